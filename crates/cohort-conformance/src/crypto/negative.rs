//! Negative cases: every one must be an error, never a panic and never a success.

use std::sync::Arc;

use cohort_crypto::{
    CipherSuite, CryptoError, Decapsulator, HpkeCiphertext, HpkePrivateKey, HpkePublicKey,
    HpkeSuite, SignaturePrivateKey, SignaturePublicKey, SignatureScheme, SoftwareHpkeKey, SuiteOps,
};

use super::CheckFn;
use super::roundtrip::{EXTERNAL_INIT, err};

pub(super) const CHECKS: &[(&str, CheckFn)] = &[
    ("negative/hpke-wrong-key", hpke_wrong_key),
    ("negative/hpke-tampered", hpke_tampered),
    ("negative/hpke-truncated", hpke_truncated),
    ("negative/hpke-export-wrong-key", hpke_export_wrong_key),
    ("negative/hpke-export-malformed", hpke_export_malformed),
    ("negative/aead", aead),
    ("negative/mac-wrong-tag", mac_wrong_tag),
    ("negative/kdf-expand-too-long", kdf_too_long),
    ("negative/kem-invalid-public-keys", kem_invalid_public_keys),
    (
        "negative/kem-invalid-private-keys",
        kem_invalid_private_keys,
    ),
    ("negative/signature-tampered", signature_tampered),
    (
        "negative/signature-invalid-public-keys",
        signature_invalid_public_keys,
    ),
    (
        "negative/signature-invalid-private-keys",
        signature_invalid_private_keys,
    ),
    ("negative/eddsa-non-canonical-s", eddsa_non_canonical),
];

/// Small-order X25519 u-coordinates (RFC 7748 §6.1): 0, 1, two points of order 8, p-1, p, p+1.
const X25519_SMALL_ORDER: &[&str] = &[
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

/// Small-order X448 u-coordinates (RFC 7748 §6.2): 0, 1, p-1.
const X448_SMALL_ORDER: &[&str] = &[
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
    "fefffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffffffffffffffffffffffffffffffffffffffffffffffffff",
];

/// The group order L of Ed25519, little-endian.
const ED25519_L: &str = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
/// The group order L of Ed448, little-endian, 57 bytes.
const ED448_L: &str = "f34458ab92c27823558fc58d72c26c219036d6ae49db4ec4e923ca7cffffffffffffffffffffffffffffffffffffffffffffffffffffff3f00";

fn must_fail<T>(what: &str, r: Result<T, CryptoError>) -> Result<(), String> {
    match r {
        Ok(_) => Err(format!("{what}: accepted, must be an error")),
        Err(_) => Ok(()),
    }
}

fn unhex(s: &str) -> Vec<u8> {
    // The constants above are valid hex; an empty vector would only make a check stricter.
    hex::decode(s).unwrap_or_default()
}

fn sealed(ops: &Arc<dyn SuiteOps>) -> Result<(SoftwareHpkeKey, HpkeCiphertext), String> {
    let key = SoftwareHpkeKey::derive(ops.clone(), b"negative ikm").map_err(err("kem_derive"))?;
    let ct = ops
        .hpke_seal(key.public_key(), b"info", b"aad", b"plaintext")
        .map_err(err("hpke_seal"))?;
    Ok((key, ct))
}

fn flip(bytes: &[u8], index: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    if let Some(b) = v.get_mut(index) {
        *b ^= 0x01;
    }
    v
}

fn hpke_wrong_key(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let (_, ct) = sealed(ops)?;
    let other = SoftwareHpkeKey::derive(ops.clone(), b"another ikm").map_err(err("kem_derive"))?;
    must_fail(
        "hpke_open with another key",
        ops.hpke_open(&other, &ct, b"info", b"aad"),
    )?;
    let (key, _) = sealed(ops)?;
    must_fail(
        "hpke_open with other info",
        ops.hpke_open(&key, &ct, b"other", b"aad"),
    )?;
    must_fail(
        "hpke_open with other aad",
        ops.hpke_open(&key, &ct, b"info", b"other"),
    )?;
    Ok(true)
}

fn hpke_tampered(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let (key, ct) = sealed(ops)?;
    let body = HpkeCiphertext {
        kem_output: ct.kem_output.clone(),
        ciphertext: flip(&ct.ciphertext, 0).into(),
    };
    must_fail(
        "hpke_open of a tampered ciphertext",
        ops.hpke_open(&key, &body, b"info", b"aad"),
    )?;
    let last = ct.ciphertext.len().saturating_sub(1);
    let tag = HpkeCiphertext {
        kem_output: ct.kem_output.clone(),
        ciphertext: flip(&ct.ciphertext, last).into(),
    };
    must_fail(
        "hpke_open with a tampered tag",
        ops.hpke_open(&key, &tag, b"info", b"aad"),
    )?;
    let mid = ct.kem_output.len() / 2;
    let enc = HpkeCiphertext {
        kem_output: flip(&ct.kem_output, mid).into(),
        ciphertext: ct.ciphertext.clone(),
    };
    must_fail(
        "hpke_open with a tampered kem_output",
        ops.hpke_open(&key, &enc, b"info", b"aad"),
    )?;
    Ok(true)
}

fn hpke_truncated(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let (key, ct) = sealed(ops)?;
    for len in [0, 1, 15, 16, ct.ciphertext.len() - 1] {
        let short = HpkeCiphertext {
            kem_output: ct.kem_output.clone(),
            ciphertext: ct.ciphertext.get(..len).unwrap_or_default().to_vec().into(),
        };
        must_fail(
            "hpke_open of a truncated ciphertext",
            ops.hpke_open(&key, &short, b"info", b"aad"),
        )?;
    }
    for len in [0, 1, ct.kem_output.len() - 1] {
        let short = HpkeCiphertext {
            kem_output: ct.kem_output.get(..len).unwrap_or_default().to_vec().into(),
            ciphertext: ct.ciphertext.clone(),
        };
        must_fail(
            "hpke_open with a truncated kem_output",
            ops.hpke_open(&key, &short, b"info", b"aad"),
        )?;
        must_fail("decap of a truncated enc", key.decap(&short.kem_output))?;
    }
    let mut long = ct.kem_output.to_vec();
    long.push(0);
    must_fail("decap of an over-long enc", key.decap(&long))?;
    Ok(true)
}

/// HPKE export authenticates nothing: a wrong key, other info or a tampered `enc` must give
/// another secret, never the sender's (and, for a well-formed `enc`, no error either).
fn hpke_export_wrong_key(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let nh = ops.hash_len();
    let key = SoftwareHpkeKey::derive(ops.clone(), b"negative ikm").map_err(err("kem_derive"))?;
    let (enc, sent) = ops
        .hpke_export_sender(key.public_key(), b"", EXTERNAL_INIT, nh)
        .map_err(err("hpke_export_sender"))?;
    let other = SoftwareHpkeKey::derive(ops.clone(), b"another ikm").map_err(err("kem_derive"))?;
    let wrong = ops
        .hpke_export_receiver(&other, &enc, b"", EXTERNAL_INIT, nh)
        .map_err(err(
            "hpke_export_receiver with another key (a valid enc must decapsulate)",
        ))?;
    if wrong == sent {
        return Err("hpke_export_receiver with another key gives the sender's secret".into());
    }
    let other_info = ops
        .hpke_export_receiver(&key, &enc, b"other", EXTERNAL_INIT, nh)
        .map_err(err("hpke_export_receiver with other info"))?;
    if other_info == sent {
        return Err("hpke_export_receiver ignores info".into());
    }
    // A flipped bit may still be a valid point (X25519) or not (the NIST curves): either an
    // error or another secret, never the sender's.
    for index in [0, enc.len() / 2, enc.len() - 1] {
        if let Ok(secret) =
            ops.hpke_export_receiver(&key, &flip(&enc, index), b"", EXTERNAL_INIT, nh)
        {
            if secret == sent {
                return Err(format!(
                    "hpke_export_receiver of an enc tampered at byte {index} gives the sender's \
                     secret"
                ));
            }
        }
    }
    Ok(true)
}

/// A key handle that claims another suite than the one it decapsulates for.
#[derive(Debug)]
struct OtherSuite(SoftwareHpkeKey, CipherSuite);

impl Decapsulator for OtherSuite {
    fn cipher_suite(&self) -> CipherSuite {
        self.1
    }
    fn public_key(&self) -> &HpkePublicKey {
        self.0.public_key()
    }
    fn decap(&self, enc: &[u8]) -> Result<cohort_crypto::Secret, CryptoError> {
        self.0.decap(enc)
    }
}

/// Malformed `enc` values, invalid recipient keys, a key of another suite and over-long outputs
/// are errors on both sides, never a panic and never a secret.
fn hpke_export_malformed(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let nh = ops.hash_len();
    let key = SoftwareHpkeKey::derive(ops.clone(), b"negative ikm").map_err(err("kem_derive"))?;
    let (enc, _) = ops
        .hpke_export_sender(key.public_key(), b"", EXTERNAL_INIT, nh)
        .map_err(err("hpke_export_sender"))?;
    let mut long = enc.clone();
    long.push(0);
    let mut bad = vec![
        ("an empty enc".to_owned(), vec![]),
        (
            "a one-byte enc".to_owned(),
            enc.get(..1).unwrap_or_default().to_vec(),
        ),
        (
            "a truncated enc".to_owned(),
            enc.get(..enc.len() - 1).unwrap_or_default().to_vec(),
        ),
        ("an over-long enc".to_owned(), long),
    ];
    bad.extend(invalid_kem_public_keys(ops)?);
    for (what, bad_enc) in &bad {
        must_fail(
            &format!("hpke_export_receiver of {what}"),
            ops.hpke_export_receiver(&key, bad_enc, b"", EXTERNAL_INIT, nh),
        )?;
        must_fail(
            &format!("hpke_export_sender to {what} as public key"),
            ops.hpke_export_sender(
                &HpkePublicKey::from(bad_enc.clone()),
                b"",
                EXTERNAL_INIT,
                nh,
            ),
        )?;
    }
    let too_long = 255 * nh + 1;
    must_fail(
        "hpke_export_sender of more than 255 * Nh bytes",
        ops.hpke_export_sender(key.public_key(), b"", EXTERNAL_INIT, too_long),
    )?;
    must_fail(
        "hpke_export_receiver of more than 255 * Nh bytes",
        ops.hpke_export_receiver(&key, &enc, b"", EXTERNAL_INIT, too_long),
    )?;
    let cs = ops.cipher_suite();
    if let Some(&foreign) = CipherSuite::ALL.iter().find(|&&c| c != cs) {
        let handle = OtherSuite(key, foreign);
        must_fail(
            "hpke_export_receiver through a key of another suite",
            ops.hpke_export_receiver(&handle, &enc, b"", EXTERNAL_INIT, nh),
        )?;
    }
    Ok(true)
}

fn aead(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let (nk, nn) = (ops.aead_key_len(), ops.aead_nonce_len());
    let key = vec![3; nk];
    let nonce = vec![4; nn];
    let ct = ops
        .aead_seal(&key, &nonce, b"aad", b"some plaintext")
        .map_err(err("aead_seal"))?;
    must_fail(
        "aead_open with another key",
        ops.aead_open(&vec![5; nk], &nonce, b"aad", &ct),
    )?;
    must_fail(
        "aead_open with another nonce",
        ops.aead_open(&key, &vec![5; nn], b"aad", &ct),
    )?;
    must_fail(
        "aead_open with another aad",
        ops.aead_open(&key, &nonce, b"aax", &ct),
    )?;
    must_fail(
        "aead_open of a tampered body",
        ops.aead_open(&key, &nonce, b"aad", &flip(&ct, 0)),
    )?;
    must_fail(
        "aead_open with a tampered tag",
        ops.aead_open(&key, &nonce, b"aad", &flip(&ct, ct.len() - 1)),
    )?;
    for len in [0, 1, 15, ct.len() - 1] {
        must_fail(
            "aead_open of a truncated ciphertext",
            ops.aead_open(&key, &nonce, b"aad", &ct[..len]),
        )?;
    }
    for bad_key in [vec![], vec![3; nk - 1], vec![3; nk + 1]] {
        must_fail(
            "aead_seal with a key of the wrong length",
            ops.aead_seal(&bad_key, &nonce, b"", b"x"),
        )?;
        must_fail(
            "aead_open with a key of the wrong length",
            ops.aead_open(&bad_key, &nonce, b"aad", &ct),
        )?;
    }
    for bad_nonce in [vec![], vec![4; nn - 1], vec![4; nn + 1]] {
        must_fail(
            "aead_seal with a nonce of the wrong length",
            ops.aead_seal(&key, &bad_nonce, b"", b"x"),
        )?;
        must_fail(
            "aead_open with a nonce of the wrong length",
            ops.aead_open(&key, &bad_nonce, b"aad", &ct),
        )?;
    }
    Ok(true)
}

fn mac_wrong_tag(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let tag = ops.mac(b"key", b"data").map_err(err("mac"))?;
    must_fail(
        "mac_verify with a flipped tag",
        ops.mac_verify(b"key", b"data", &flip(&tag, 3)),
    )?;
    must_fail(
        "mac_verify with a truncated tag",
        ops.mac_verify(b"key", b"data", &tag[..tag.len() - 1]),
    )?;
    must_fail(
        "mac_verify with an empty tag",
        ops.mac_verify(b"key", b"data", &[]),
    )?;
    must_fail(
        "mac_verify with another key",
        ops.mac_verify(b"kez", b"data", &tag),
    )?;
    Ok(true)
}

fn kdf_too_long(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let prk = ops.kdf_extract(b"", b"ikm").map_err(err("kdf_extract"))?;
    must_fail(
        "kdf_expand beyond 255 * Nh",
        ops.kdf_expand(prk.as_bytes(), b"", 255 * ops.hash_len() + 1),
    )?;
    Ok(true)
}

/// Invalid encodings of public keys for the suite's KEM.
fn invalid_kem_public_keys(ops: &Arc<dyn SuiteOps>) -> Result<Vec<(String, Vec<u8>)>, String> {
    let (_, valid) = ops.kem_derive(b"negative ikm").map_err(err("kem_derive"))?;
    let valid = valid.as_ref().to_vec();
    let mut bad = vec![
        ("empty".to_owned(), vec![]),
        ("truncated".to_owned(), valid[..valid.len() - 1].to_vec()),
        ("over-long".to_owned(), [valid.as_slice(), &[0]].concat()),
    ];
    let kem = ops.cipher_suite().hpke_suite().map(|s| s.kem);
    match kem {
        Some(HpkeSuite::KEM_X25519_SHA256) => {
            bad.extend(
                X25519_SMALL_ORDER
                    .iter()
                    .map(|h| (format!("small-order X25519 point {h}"), unhex(h))),
            );
        }
        Some(HpkeSuite::KEM_X448_SHA512) => {
            bad.extend(
                X448_SMALL_ORDER
                    .iter()
                    .map(|h| (format!("small-order X448 point {h}"), unhex(h))),
            );
        }
        Some(_) => {
            let n = (valid.len() - 1) / 2;
            bad.push((
                "off-curve point (y flipped)".to_owned(),
                flip(&valid, valid.len() - 1),
            ));
            bad.push((
                "off-curve point (0, 0)".to_owned(),
                [&[4u8][..], &vec![0; 2 * n]].concat(),
            ));
            let mut one_one = vec![0; 1 + 2 * n];
            one_one[0] = 4;
            one_one[n] = 1;
            one_one[2 * n] = 1;
            bad.push(("off-curve point (1, 1)".to_owned(), one_one));
            bad.push(("identity encoding".to_owned(), vec![0]));
            bad.push((
                "bad SEC1 tag".to_owned(),
                [&[7u8][..], &valid[1..]].concat(),
            ));
        }
        None => {}
    }
    Ok(bad)
}

fn kem_invalid_public_keys(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let receiver =
        SoftwareHpkeKey::derive(ops.clone(), b"receiver ikm").map_err(err("kem_derive"))?;
    for (what, pk) in invalid_kem_public_keys(ops)? {
        let pk = HpkePublicKey::from(pk);
        must_fail(
            &format!("kem_validate_public_key of {what}"),
            ops.kem_validate_public_key(&pk),
        )?;
        must_fail(
            &format!("hpke_seal to {what}"),
            ops.hpke_seal(&pk, b"", b"", b"x"),
        )?;
        must_fail(&format!("kem_encap to {what}"), ops.kem_encap(&pk))?;
        must_fail(
            &format!("decap of {what} as enc"),
            receiver.decap(pk.as_ref()),
        )?;
    }
    Ok(true)
}

fn kem_invalid_private_keys(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let (sk, _) = ops.kem_derive(b"negative ikm").map_err(err("kem_derive"))?;
    let n = sk.len();
    let mut bad = vec![vec![], vec![1; n + 1]];
    let nist = !matches!(
        ops.cipher_suite().hpke_suite().map(|s| s.kem),
        Some(HpkeSuite::KEM_X25519_SHA256 | HpkeSuite::KEM_X448_SHA512)
    );
    if nist {
        bad.push(vec![0; n]);
        bad.push(vec![0xff; n]);
        // A scalar with its leading zero byte stripped: rejected, or read as the same integer.
        let short = HpkePrivateKey::new(vec![1; n - 1]);
        if let Ok(pk) = ops.kem_public_key(&short) {
            let padded = HpkePrivateKey::new([vec![0u8], vec![1u8; n - 1]].concat());
            let expected = ops
                .kem_public_key(&padded)
                .map_err(err("kem_public_key of a left-padded scalar"))?;
            if pk != expected {
                return Err("a short NIST scalar is accepted as another integer".into());
            }
        }
    } else {
        bad.push(vec![1; n - 1]);
    }
    for sk in bad {
        let sk = HpkePrivateKey::new(sk);
        must_fail(
            "kem_public_key of a malformed private key",
            ops.kem_public_key(&sk),
        )?;
    }
    Ok(true)
}

fn signature_tampered(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let (sk, pk) = ops
        .signature_generate()
        .map_err(err("signature_generate"))?;
    let sig = ops.sign(&sk, b"message").map_err(err("sign"))?;
    let (_, other) = ops
        .signature_generate()
        .map_err(err("signature_generate"))?;
    must_fail(
        "verify with another key",
        ops.verify(&other, b"message", &sig),
    )?;
    must_fail(
        "verify of another message",
        ops.verify(&pk, b"messagf", &sig),
    )?;
    for i in [0, sig.len() / 2, sig.len() - 1] {
        must_fail(
            "verify of a tampered signature",
            ops.verify(&pk, b"message", &flip(&sig, i)),
        )?;
    }
    for len in [0, 1, sig.len() - 1] {
        must_fail(
            "verify of a truncated signature",
            ops.verify(&pk, b"message", &sig[..len]),
        )?;
    }
    must_fail(
        "verify of a signature with a trailing byte",
        ops.verify(&pk, b"message", &[sig.as_slice(), &[0]].concat()),
    )?;
    Ok(true)
}

fn signature_invalid_public_keys(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let (sk, pk) = ops
        .signature_generate()
        .map_err(err("signature_generate"))?;
    let sig = ops.sign(&sk, b"message").map_err(err("sign"))?;
    let pk = pk.as_ref().to_vec();
    let mut bad = vec![
        vec![],
        pk[..pk.len() - 1].to_vec(),
        [pk.as_slice(), &[0]].concat(),
    ];
    let scheme = ops.signature_scheme();
    if scheme != SignatureScheme::ED25519 && scheme != SignatureScheme::ED448 {
        bad.push(flip(&pk, pk.len() - 1));
        bad.push(vec![0]);
        let mut zero = vec![0; pk.len()];
        zero[0] = 4;
        bad.push(zero);
    }
    for pk in bad {
        must_fail(
            "verify with a malformed public key",
            ops.verify(&SignaturePublicKey::from(pk), b"message", &sig),
        )?;
    }
    Ok(true)
}

fn signature_invalid_private_keys(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let (sk, _) = ops
        .signature_generate()
        .map_err(err("signature_generate"))?;
    let n = sk.len();
    let mut bad = vec![vec![], vec![1; n + 1]];
    let scheme = ops.signature_scheme();
    if scheme != SignatureScheme::ED25519 && scheme != SignatureScheme::ED448 {
        bad.push(vec![0; n]);
        bad.push(vec![0xff; n]);
        short_ecdsa_scalar(ops, n)?;
    } else {
        bad.push(vec![1; n - 1]);
    }
    for sk in bad {
        let sk = SignaturePrivateKey::new(sk);
        must_fail(
            "signature_public_key of a malformed private key",
            ops.signature_public_key(&sk),
        )?;
        must_fail(
            "sign with a malformed private key",
            ops.sign(&sk, b"message"),
        )?;
    }
    Ok(true)
}

/// An ECDSA scalar with its leading zero byte stripped (some encoders write P-521 keys so) is
/// either rejected or read as the same integer: same public key, signatures that verify under it.
fn short_ecdsa_scalar(ops: &Arc<dyn SuiteOps>, n: usize) -> Result<(), String> {
    let short = SignaturePrivateKey::new(vec![1; n - 1]);
    let padded = SignaturePrivateKey::new([vec![0u8], vec![1u8; n - 1]].concat());
    if let Ok(pk) = ops.signature_public_key(&short) {
        let expected = ops
            .signature_public_key(&padded)
            .map_err(err("signature_public_key of a left-padded scalar"))?;
        if pk != expected {
            return Err("a short ECDSA scalar is accepted as another integer".into());
        }
    }
    if let Ok(sig) = ops.sign(&short, b"message") {
        let pk = ops
            .signature_public_key(&padded)
            .map_err(err("signature_public_key of a left-padded scalar"))?;
        ops.verify(&pk, b"message", &sig)
            .map_err(err("verify of a signature by a short ECDSA scalar"))?;
    }
    Ok(())
}

/// `S + L` in place of `S`: the same point equation holds, so only a canonicity check rejects it
/// (RFC 8032 §5.1.7, §5.2.7).
fn eddsa_non_canonical(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let order = match ops.signature_scheme() {
        SignatureScheme::ED25519 => unhex(ED25519_L),
        SignatureScheme::ED448 => unhex(ED448_L),
        _ => return Ok(false),
    };
    let (sk, pk) = ops
        .signature_generate()
        .map_err(err("signature_generate"))?;
    let sig = ops.sign(&sk, b"message").map_err(err("sign"))?;
    let half = sig.len() / 2;
    if order.len() != half {
        return Err("unexpected EdDSA signature length".into());
    }
    let mut forged = sig.clone();
    let mut carry = 0u16;
    for (s, l) in forged[half..].iter_mut().zip(&order) {
        let sum = u16::from(*s) + u16::from(*l) + carry;
        *s = sum.to_le_bytes()[0];
        carry = sum >> 8;
    }
    must_fail(
        "verify of a signature with S + L",
        ops.verify(&pk, b"message", &forged),
    )?;
    // A batch check applies the same rule to S.
    must_fail(
        "verify_batch of a signature with S + L",
        ops.verify_batch(&[
            (&pk, &b"message"[..], sig.as_slice()),
            (&pk, &b"message"[..], forged.as_slice()),
        ]),
    )?;
    ops.verify(&pk, b"message", &sig)
        .map_err(err("verify of the original signature"))?;
    Ok(true)
}
