//! The `crypto-basics` known answers (RFC 9420 §5 and §8).

use std::sync::Arc;

use cohort_crypto::labeled;
use cohort_crypto::{
    HpkeCiphertext, HpkePrivateKey, HpkePublicKey, SignaturePrivateKey, SignaturePublicKey,
    SoftwareHpkeKey, SoftwareSigner, SuiteOps,
};
use cohort_test_vectors::crypto_basics::CryptoBasics;

pub(super) fn check(ops: &Arc<dyn SuiteOps>, case: &CryptoBasics) -> Result<(), String> {
    let s = &**ops;

    let v = &case.ref_hash;
    let out =
        labeled::ref_hash(s, v.label.as_bytes(), &v.value).map_err(|e| format!("ref_hash: {e}"))?;
    expect_eq("ref_hash", &out, &v.out)?;

    let v = &case.expand_with_label;
    let out = labeled::expand_with_label(s, &v.secret, v.label.as_bytes(), &v.context, v.length)
        .map_err(|e| format!("expand_with_label: {e}"))?;
    expect_eq("expand_with_label", out.as_bytes(), &v.out)?;

    let v = &case.derive_secret;
    let out = labeled::derive_secret(s, &v.secret, v.label.as_bytes())
        .map_err(|e| format!("derive_secret: {e}"))?;
    expect_eq("derive_secret", out.as_bytes(), &v.out)?;

    let v = &case.derive_tree_secret;
    let out = labeled::derive_tree_secret(s, &v.secret, v.label.as_bytes(), v.generation, v.length)
        .map_err(|e| format!("derive_tree_secret: {e}"))?;
    expect_eq("derive_tree_secret", out.as_bytes(), &v.out)?;

    let v = &case.sign_with_label;
    let public = SignaturePublicKey::from(v.public.0.clone());
    labeled::verify_with_label(s, &public, v.label.as_bytes(), &v.content, &v.signature)
        .map_err(|e| format!("verify_with_label of the vector's signature: {e}"))?;
    let signer = SoftwareSigner::from_key_pair(
        ops.clone(),
        SignaturePrivateKey::from_slice(&v.private),
        public.clone(),
    )
    .map_err(|e| format!("sign_with_label key import: {e}"))?;
    let fresh = labeled::sign_with_label(&signer, v.label.as_bytes(), &v.content)
        .map_err(|e| format!("sign_with_label: {e}"))?;
    labeled::verify_with_label(s, &public, v.label.as_bytes(), &v.content, &fresh)
        .map_err(|e| format!("verify_with_label of a fresh signature: {e}"))?;

    let v = &case.encrypt_with_label;
    let key = SoftwareHpkeKey::from_key_pair(
        ops.clone(),
        HpkePrivateKey::from_slice(&v.private),
        HpkePublicKey::from(v.public.0.clone()),
    )
    .map_err(|e| format!("encrypt_with_label key import: {e}"))?;
    let ct = HpkeCiphertext {
        kem_output: v.kem_output.0.clone().into(),
        ciphertext: v.ciphertext.0.clone().into(),
    };
    let pt = labeled::decrypt_with_label(s, &key, v.label.as_bytes(), &v.context, &ct)
        .map_err(|e| format!("decrypt_with_label of the vector's ciphertext: {e}"))?;
    expect_eq("decrypt_with_label", &pt, &v.plaintext)?;
    let public = HpkePublicKey::from(v.public.0.clone());
    let fresh =
        labeled::encrypt_with_label(s, &public, v.label.as_bytes(), &v.context, &v.plaintext)
            .map_err(|e| format!("encrypt_with_label: {e}"))?;
    let pt = labeled::decrypt_with_label(s, &key, v.label.as_bytes(), &v.context, &fresh)
        .map_err(|e| format!("decrypt_with_label of a fresh ciphertext: {e}"))?;
    expect_eq("encrypt_with_label round trip", &pt, &v.plaintext)
}

fn expect_eq(what: &str, got: &[u8], want: &[u8]) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: output differs from the known answer"))
    }
}
