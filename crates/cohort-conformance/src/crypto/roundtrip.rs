//! Positive round trips of every primitive and labeled operation.

use std::sync::Arc;

use cohort_crypto::labeled;
use cohort_crypto::{
    Decapsulator, SignatureScheme, Signer, SoftwareHpkeKey, SoftwareSigner, SuiteOps,
};

use super::CheckFn;

pub(super) const CHECKS: &[(&str, CheckFn)] = &[
    ("hash/length", hash_length),
    ("mac/round-trip", mac_round_trip),
    ("kdf/extract-expand", kdf_lengths),
    ("aead/round-trip", aead_round_trip),
    ("kem/derive-deterministic", kem_derive),
    ("kem/encap-decap", kem_encap_decap),
    ("hpke/round-trip", hpke_round_trip),
    ("hpke/seal-many", hpke_seal_many),
    ("hpke/export-round-trip", hpke_export_round_trip),
    ("signature/round-trip", signature_round_trip),
    ("signature/prepared-key", signature_prepared_key),
    ("signature/verify-batch", signature_verify_batch),
    ("labeled/sign-verify", labeled_sign),
    ("labeled/encrypt-decrypt", labeled_encrypt),
    ("random/fill", random_fill),
];

pub(super) fn err(what: &str) -> impl Fn(cohort_crypto::CryptoError) -> String + '_ {
    move |e| format!("{what}: {e}")
}

fn ensure(cond: bool, what: &str) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what.to_owned()) }
}

fn hash_length(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let a = ops.hash(b"abc").map_err(err("hash"))?;
    ensure(a.len() == ops.hash_len(), "hash output is not Nh bytes")?;
    ensure(
        a == ops.hash(b"abc").map_err(err("hash"))?,
        "hash is not deterministic",
    )?;
    ensure(
        a != ops.hash(b"abd").map_err(err("hash"))?,
        "hash ignores its input",
    )?;
    Ok(true)
}

fn mac_round_trip(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let tag = ops.mac(b"key", b"data").map_err(err("mac"))?;
    ensure(tag.len() == ops.hash_len(), "MAC output is not Nh bytes")?;
    ops.mac_verify(b"key", b"data", &tag)
        .map_err(err("mac_verify"))?;
    Ok(true)
}

fn kdf_lengths(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let prk = ops
        .kdf_extract(b"salt", b"ikm")
        .map_err(err("kdf_extract"))?;
    ensure(
        prk.len() == ops.hash_len(),
        "extract output is not Nh bytes",
    )?;
    for len in [1, ops.hash_len(), 255 * ops.hash_len()] {
        let okm = ops
            .kdf_expand(prk.as_bytes(), b"info", len)
            .map_err(err("kdf_expand"))?;
        ensure(okm.len() == len, "expand output has the wrong length")?;
    }
    Ok(true)
}

fn aead_round_trip(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let key = vec![7; ops.aead_key_len()];
    let nonce = vec![9; ops.aead_nonce_len()];
    for pt in [&b""[..], b"hello, group"] {
        let ct = ops
            .aead_seal(&key, &nonce, b"aad", pt)
            .map_err(err("aead_seal"))?;
        ensure(
            ct.len() == pt.len() + 16,
            "ciphertext is not plaintext plus a 16-byte tag",
        )?;
        let back = ops
            .aead_open(&key, &nonce, b"aad", &ct)
            .map_err(err("aead_open"))?;
        ensure(back == pt, "aead_open returned other bytes")?;
        // Sealing in place gives the same ciphertext, whatever spare capacity the buffer has.
        for spare in [0, 16, 100] {
            let mut buffer = Vec::with_capacity(pt.len() + spare);
            buffer.extend_from_slice(pt);
            ops.aead_seal_in_place(&key, &nonce, b"aad", &mut buffer)
                .map_err(err("aead_seal_in_place"))?;
            ensure(buffer == ct, "aead_seal_in_place differs from aead_seal")?;
        }
    }
    Ok(true)
}

fn kem_derive(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let (sk1, pk1) = ops
        .kem_derive(b"conformance ikm")
        .map_err(err("kem_derive"))?;
    let (sk2, pk2) = ops
        .kem_derive(b"conformance ikm")
        .map_err(err("kem_derive"))?;
    ensure(
        sk1 == sk2 && pk1 == pk2,
        "DeriveKeyPair is not deterministic",
    )?;
    let pk3 = ops.kem_public_key(&sk1).map_err(err("kem_public_key"))?;
    ensure(
        pk1 == pk3,
        "kem_public_key differs from the derived public key",
    )?;
    ops.kem_validate_public_key(&pk1)
        .map_err(err("kem_validate_public_key"))?;
    let (_, other) = ops.kem_derive(b"other ikm").map_err(err("kem_derive"))?;
    ensure(other != pk1, "DeriveKeyPair ignores its input")?;
    Ok(true)
}

fn kem_encap_decap(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let (sk, pk) = ops.kem_generate().map_err(err("kem_generate"))?;
    let (shared, enc) = ops.kem_encap(&pk).map_err(err("kem_encap"))?;
    let back = ops.kem_decap(&enc, &sk, &pk).map_err(err("kem_decap"))?;
    ensure(shared == back, "decap differs from encap")?;
    Ok(true)
}

fn hpke_round_trip(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let key = SoftwareHpkeKey::generate(ops.clone()).map_err(err("kem_generate"))?;
    for pt in [&b""[..], b"welcome"] {
        let ct = ops
            .hpke_seal(key.public_key(), b"info", b"aad", pt)
            .map_err(err("hpke_seal"))?;
        let back = ops
            .hpke_open(&key, &ct, b"info", b"aad")
            .map_err(err("hpke_open"))?;
        ensure(back == pt, "hpke_open returned other bytes")?;
    }
    Ok(true)
}

/// Sealing to many recipients at once: each ciphertext opens under its own recipient's key (and
/// `info` and `aad`) only, gives back that recipient's plaintext, and has its own encapsulation.
fn hpke_seal_many(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let keys = (0..3)
        .map(|_| SoftwareHpkeKey::generate(ops.clone()).map_err(err("kem_generate")))
        .collect::<Result<Vec<_>, _>>()?;
    let plaintexts: [&[u8]; 3] = [b"", b"for the second", b"for the third"];
    let recipients: Vec<_> = keys
        .iter()
        .map(|k| k.public_key())
        .zip(plaintexts)
        .collect();
    let cts = ops
        .hpke_seal_many(&recipients, b"a long shared info", b"aad")
        .map_err(err("hpke_seal_many"))?;
    ensure(cts.len() == keys.len(), "not one ciphertext per recipient")?;
    for (i, (key, ct)) in keys.iter().zip(&cts).enumerate() {
        let back = ops
            .hpke_open(key, ct, b"a long shared info", b"aad")
            .map_err(err("hpke_open"))?;
        ensure(
            back == plaintexts[i],
            "a recipient opened another's plaintext",
        )?;
        ensure(
            ops.hpke_open(key, ct, b"other info", b"aad").is_err(),
            "a ciphertext opened under another info",
        )?;
        let other = &keys[(i + 1) % keys.len()];
        ensure(
            ops.hpke_open(other, ct, b"a long shared info", b"aad")
                .is_err(),
            "a ciphertext opened under another recipient's key",
        )?;
    }
    ensure(
        cts[0].kem_output != cts[1].kem_output && cts[1].kem_output != cts[2].kem_output,
        "recipients share an ephemeral key",
    )?;
    ensure(
        ops.hpke_seal_many(&[], b"info", b"aad")
            .map_err(err("hpke_seal_many"))?
            .is_empty(),
        "no recipients gave ciphertexts",
    )?;
    Ok(true)
}

/// The exporter context of an external commit's `init_secret` (RFC 9420 §8.3).
pub(super) const EXTERNAL_INIT: &[u8] = b"MLS 1.0 external init secret";

fn hpke_export_round_trip(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let key = SoftwareHpkeKey::generate(ops.clone()).map_err(err("kem_generate"))?;
    let nh = ops.hash_len();
    // The external-commit shape first, then other info, contexts and lengths.
    let cases: [(&[u8], &[u8], usize); 5] = [
        (b"", EXTERNAL_INIT, nh),
        (b"info", b"", nh),
        (b"info", b"context", 1),
        (b"", b"context", 2 * nh + 3),
        (b"info", b"context", 255 * nh),
    ];
    for (info, context, len) in cases {
        let (enc, sent) = ops
            .hpke_export_sender(key.public_key(), info, context, len)
            .map_err(err("hpke_export_sender"))?;
        ensure(sent.len() == len, "exported secret has the wrong length")?;
        let received = ops
            .hpke_export_receiver(&key, &enc, info, context, len)
            .map_err(err("hpke_export_receiver"))?;
        ensure(
            sent == received,
            "sender and receiver export different secrets",
        )?;
    }
    let (enc1, s1) = ops
        .hpke_export_sender(key.public_key(), b"", EXTERNAL_INIT, nh)
        .map_err(err("hpke_export_sender"))?;
    let (enc2, s2) = ops
        .hpke_export_sender(key.public_key(), b"", EXTERNAL_INIT, nh)
        .map_err(err("hpke_export_sender"))?;
    ensure(
        enc1 != enc2 && s1 != s2,
        "two exports to the same key repeat their enc or secret",
    )?;
    let other = ops
        .hpke_export_receiver(&key, &enc1, b"", b"MLS 1.0 other secret", nh)
        .map_err(err("hpke_export_receiver"))?;
    ensure(other != s1, "export ignores the exporter context")?;
    Ok(true)
}

fn signature_round_trip(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let (sk, pk) = ops
        .signature_generate()
        .map_err(err("signature_generate"))?;
    ensure(
        ops.signature_public_key(&sk)
            .map_err(err("signature_public_key"))?
            == pk,
        "public key of private key differs",
    )?;
    let sig = ops.sign(&sk, b"message").map_err(err("sign"))?;
    ops.verify(&pk, b"message", &sig).map_err(err("verify"))?;
    Ok(true)
}

/// A key in the backend's parsed form signs as the raw key does: its signatures verify under the
/// key's public key, and for the deterministic EdDSA they are the very bytes `sign` gives.
fn signature_prepared_key(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let (sk, pk) = ops
        .signature_generate()
        .map_err(err("signature_generate"))?;
    let Some(prepared) = ops
        .prepare_signing_key(&sk)
        .map_err(err("prepare_signing_key"))?
    else {
        return Ok(false);
    };
    for msg in [&b""[..], b"message", &[0x5a; 1000]] {
        let sig = prepared.sign(msg).map_err(err("prepared sign"))?;
        ops.verify(&pk, msg, &sig)
            .map_err(err("verify of a prepared key's signature"))?;
        let eddsa = [SignatureScheme::ED25519, SignatureScheme::ED448];
        if eddsa.contains(&ops.signature_scheme()) {
            // EdDSA signs deterministically.
            let direct = ops.sign(&sk, msg).map_err(err("sign"))?;
            ensure(sig == direct, "a prepared key signs other bytes than sign")?;
        }
    }
    let signer = SoftwareSigner::from_private(ops.clone(), sk).map_err(err("from_private"))?;
    let sig = signer
        .sign(b"through the signer")
        .map_err(err("signer sign"))?;
    ops.verify(&pk, b"through the signer", &sig)
        .map_err(err("verify of a SoftwareSigner signature"))?;
    Ok(true)
}

/// A batch of valid signatures verifies; one wrong signature, a signature over another
/// message, a malformed key or signature, or a signature under another key fails the whole
/// batch, wherever it sits; the empty batch verifies.
fn signature_verify_batch(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let keys = (0..70)
        .map(|_| ops.signature_generate().map_err(err("signature_generate")))
        .collect::<Result<Vec<_>, _>>()?;
    let messages: Vec<Vec<u8>> = (0..keys.len()).map(|i| vec![i as u8; 1 + i]).collect();
    let signatures = keys
        .iter()
        .zip(&messages)
        .map(|((sk, _), m)| ops.sign(sk, m).map_err(err("sign")))
        .collect::<Result<Vec<_>, _>>()?;
    fn items<'a>(
        keys: &'a [(
            cohort_crypto::SignaturePrivateKey,
            cohort_crypto::SignaturePublicKey,
        )],
        messages: &'a [Vec<u8>],
        sigs: &'a [Vec<u8>],
    ) -> Vec<(&'a cohort_crypto::SignaturePublicKey, &'a [u8], &'a [u8])> {
        keys.iter()
            .zip(messages)
            .zip(sigs)
            .map(|(((_, pk), m), s)| (pk, m.as_slice(), s.as_slice()))
            .collect()
    }
    ops.verify_batch(&items(&keys, &messages, &signatures))
        .map_err(err("verify_batch of valid signatures"))?;
    ops.verify_batch(&[])
        .map_err(err("verify_batch of nothing"))?;
    for bad in [0, 33, 69] {
        let mut flipped = signatures.clone();
        flipped[bad][0] ^= 1;
        ensure(
            ops.verify_batch(&items(&keys, &messages, &flipped))
                .is_err(),
            "a batch with a damaged signature verified",
        )?;
        let mut swapped = signatures.clone();
        swapped[bad] = signatures[(bad + 1) % signatures.len()].clone();
        ensure(
            ops.verify_batch(&items(&keys, &messages, &swapped))
                .is_err(),
            "a batch with another message's signature verified",
        )?;
        let mut short = signatures.clone();
        short[bad].pop();
        ensure(
            ops.verify_batch(&items(&keys, &messages, &short)).is_err(),
            "a batch with a truncated signature verified",
        )?;
        let mut batch = items(&keys, &messages, &signatures);
        let malformed = cohort_crypto::SignaturePublicKey::from(vec![0xff; 7]);
        batch[bad].0 = &malformed;
        ensure(
            ops.verify_batch(&batch).is_err(),
            "a batch with a malformed key verified",
        )?;
        let mut batch = items(&keys, &messages, &signatures);
        batch[bad].0 = &keys[(bad + 1) % keys.len()].1;
        ensure(
            ops.verify_batch(&batch).is_err(),
            "a batch with a signature under another key verified",
        )?;
    }
    Ok(true)
}

fn labeled_sign(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let signer = SoftwareSigner::generate(ops.clone()).map_err(err("signature_generate"))?;
    ensure(
        signer.signature_scheme() == ops.signature_scheme(),
        "signer scheme differs",
    )?;
    let sig = labeled::sign_with_label(&signer, b"LeafNodeTBS", b"content")
        .map_err(err("sign_with_label"))?;
    labeled::verify_with_label(
        &**ops,
        signer.public_key(),
        b"LeafNodeTBS",
        b"content",
        &sig,
    )
    .map_err(err("verify_with_label"))?;
    ensure(
        labeled::verify_with_label(
            &**ops,
            signer.public_key(),
            b"GroupInfoTBS",
            b"content",
            &sig,
        )
        .is_err(),
        "a signature verified under another label",
    )?;
    Ok(true)
}

fn labeled_encrypt(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let key = SoftwareHpkeKey::generate(ops.clone()).map_err(err("kem_generate"))?;
    let ct = labeled::encrypt_with_label(
        &**ops,
        key.public_key(),
        b"UpdatePathNode",
        b"ctx",
        b"secret",
    )
    .map_err(err("encrypt_with_label"))?;
    let pt = labeled::decrypt_with_label(&**ops, &key, b"UpdatePathNode", b"ctx", &ct)
        .map_err(err("decrypt_with_label"))?;
    ensure(pt == b"secret", "decrypt_with_label returned other bytes")?;
    ensure(
        labeled::decrypt_with_label(&**ops, &key, b"UpdatePathNode", b"other", &ct).is_err(),
        "decrypted under another context",
    )?;
    Ok(true)
}

fn random_fill(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    ops.random_fill(&mut a).map_err(err("random_fill"))?;
    ops.random_fill(&mut b).map_err(err("random_fill"))?;
    ensure(a != b && a != [0; 32], "random_fill repeats itself")?;
    Ok(true)
}
