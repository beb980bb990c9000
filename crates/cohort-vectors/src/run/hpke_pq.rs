//! `hpke-pq`: the HPKE vectors of draft-ietf-hpke-pq, on a backend's HPKE algorithms.
//!
//! Each case checks `DeriveKeyPair(ikmR)`, the encapsulation with the randomness `ikmE`, the
//! shared secret on both sides, the key schedule's outputs, every encryption in sequence (sealed
//! by the sender, opened by the receiver) and every export from both contexts. A case whose KEM,
//! KDF or AEAD the backend lacks is unsupported, with the missing algorithm named.

use cohort_crypto::{HpkePrivateKey, Secret};
use cohort_crypto_hpke::{Context, Hpke, HpkeAlgorithms, run_hpke};
use cohort_test_vectors::hpke_pq::HpkePq;

use crate::run::Cases;

pub(crate) fn run_hpke_pq(cases: &[HpkePq], run: &mut Cases, algorithms: &dyn HpkeAlgorithms) {
    for (index, case) in cases.iter().enumerate() {
        let suite = format!(
            "kem 0x{:04x}, kdf 0x{:04x}, aead 0x{:04x}",
            case.kem_id, case.kdf_id, case.aead_id
        );
        match run_hpke(algorithms, case.kem_id, case.kdf_id, case.aead_id, |hpke| {
            check(case, hpke)
        }) {
            Ok(Ok(())) => run.pass(),
            Ok(Err(what)) => run.fail(index, None, format!("{suite}: {what}")),
            Err(missing) => run.unsupported_because(index, format!("{suite}: no {missing}")),
        }
    }
}

fn check(case: &HpkePq, hpke: &Hpke<'_>) -> Result<(), String> {
    if case.mode != 0 {
        return Err(format!(
            "mode {} (only the base mode is implemented)",
            case.mode
        ));
    }
    let kem = hpke.kem();

    let (sk, pk) = kem
        .derive_key_pair(&case.ikm_r)
        .map_err(|e| format!("DeriveKeyPair(ikmR): {e}"))?;
    expect_private_key(case.kem_id, sk.as_bytes(), &case.sk_rm)?;
    expect("pkRm", pk.as_ref(), &case.pk_rm)?;
    kem.validate_public_key(&case.pk_rm)
        .map_err(|e| format!("pkRm refused: {e}"))?;
    let public = kem
        .public_key(&HpkePrivateKey::from_slice(&case.sk_rm))
        .map_err(|e| format!("public key of skRm: {e}"))?;
    expect("public key of skRm", public.as_ref(), &case.pk_rm)?;

    let (shared, enc) = kem
        .encap_derand(&case.pk_rm, &case.ikm_e)
        .map_err(|e| format!("Encap(pkR) with ikmE: {e}"))?;
    expect("enc", &enc, &case.enc)?;
    expect(
        "shared_secret (sender)",
        shared.as_bytes(),
        &case.shared_secret,
    )?;
    let (enc_s, mut sender) = hpke
        .setup_base_s_derand(&case.pk_rm, &case.info, &case.ikm_e)
        .map_err(|e| format!("SetupBaseS: {e}"))?;
    expect("enc of SetupBaseS", &enc_s, &case.enc)?;

    let decapped = kem
        .decap(&case.enc, &sk, &case.pk_rm)
        .map_err(|e| format!("Decap(enc, skR): {e}"))?;
    expect(
        "shared_secret (receiver)",
        decapped.as_bytes(),
        &case.shared_secret,
    )?;
    let mut receiver = hpke
        .key_schedule(&decapped, &case.info)
        .map_err(|e| format!("KeySchedule: {e}"))?;

    for (role, context) in [("sender", &sender), ("receiver", &receiver)] {
        let (key, base_nonce, exporter_secret) = context.secrets();
        expect(&format!("key ({role})"), key.as_bytes(), &case.key)?;
        expect(
            &format!("base_nonce ({role})"),
            base_nonce.as_bytes(),
            &case.base_nonce,
        )?;
        expect(
            &format!("exporter_secret ({role})"),
            exporter_secret.as_bytes(),
            &case.exporter_secret,
        )?;
    }

    for (seq, encryption) in case.encryptions.iter().enumerate() {
        expect(
            &format!("nonce of encryption {seq}"),
            &nonce(&case.base_nonce, seq),
            &encryption.nonce,
        )?;
        let ct = sender
            .seal(&encryption.aad, &encryption.pt)
            .map_err(|e| format!("encryption {seq}: Seal: {e}"))?;
        expect(&format!("ct of encryption {seq}"), &ct, &encryption.ct)?;
        let pt = receiver
            .open(&encryption.aad, &encryption.ct)
            .map_err(|e| format!("encryption {seq}: Open: {e}"))?;
        expect(&format!("pt of encryption {seq}"), &pt, &encryption.pt)?;
    }

    for (index, export) in case.exports.iter().enumerate() {
        for (role, context) in [("sender", &sender), ("receiver", &receiver)] {
            let value = exported(context, &export.exporter_context, export.len)
                .map_err(|e| format!("export {index} ({role}): {e}"))?;
            expect(
                &format!("export {index} ({role})"),
                value.as_bytes(),
                &export.exported_value,
            )?;
        }
    }
    Ok(())
}

fn exported(context: &Context<'_>, exporter_context: &[u8], len: usize) -> Result<Secret, String> {
    context
        .export(exporter_context, len)
        .map_err(|e| e.to_string())
}

/// `base_nonce XOR I2OSP(seq, Nn)`.
fn nonce(base_nonce: &[u8], seq: usize) -> Vec<u8> {
    let mut nonce = base_nonce.to_vec();
    let seq = (seq as u64).to_be_bytes();
    for (n, s) in nonce.iter_mut().rev().zip(seq.iter().rev()) {
        *n ^= s;
    }
    nonce
}

/// Compares a derived private key with `skRm` as keys. RFC 9180 §7.1.2 makes X25519 and X448
/// private keys equal to their clamped form (`SerializePrivateKey` MUST clamp its output,
/// `DeserializePrivateKey` its input); the file is not consistent about it (its X448 key is
/// clamped, its X25519 key is not), so these two compare clamped. Every other KEM compares
/// bytes.
fn expect_private_key(kem_id: u16, got: &[u8], want: &[u8]) -> Result<(), String> {
    expect("skRm", &clamped(kem_id, got), &clamped(kem_id, want))
}

/// `decodeScalar25519` / `decodeScalar448` of RFC 7748 §5 for the X25519 and X448 DHKEMs; other
/// keys unchanged.
fn clamped(kem_id: u16, key: &[u8]) -> Vec<u8> {
    let mut key = key.to_vec();
    let len = key.len();
    if let [first, .., last] = key.as_mut_slice() {
        match (kem_id, len) {
            (0x0020, 32) => {
                *first &= 0xf8;
                *last = (*last & 0x7f) | 0x40;
            }
            (0x0021, 56) => {
                *first &= 0xfc;
                *last |= 0x80;
            }
            _ => {}
        }
    }
    key
}

fn expect(what: &str, got: &[u8], want: &[u8]) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{what}: got {}, want {}",
            abbreviate(got),
            abbreviate(want)
        ))
    }
}

/// Hex of at most 32 bytes, with the length of longer values.
fn abbreviate(bytes: &[u8]) -> String {
    if bytes.len() <= 32 {
        hex_string(bytes)
    } else {
        format!("{}... ({} bytes)", hex_string(&bytes[..32]), bytes.len())
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
