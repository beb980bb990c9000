//! The labeled operations of RFC 9420 §5.1.2–5.1.3 over every suite of this backend: a labeled
//! signature covers exactly `SignContent{"MLS 1.0 " + label, content}`, malformed keys and
//! signatures are errors (never panics), and `DecryptWithLabel` opens only what was sealed under
//! the same label and context.

use std::sync::Arc;

use cohort_crypto::{
    CipherSuite, CryptoErrorKind, CryptoProvider, Decapsulator, SignaturePublicKey, Signer,
    SoftwareHpkeKey, SoftwareSigner, SuiteOps, labeled,
};

fn suites() -> Vec<Arc<dyn SuiteOps>> {
    let provider = cohort_crypto_rustcrypto::provider();
    (1..=7)
        .map(|n| {
            provider
                .suite(CipherSuite(n))
                .expect("every suite is built in")
        })
        .collect()
}

/// `opaque<V>` with a one-byte varint length (the labels and contents here are short).
fn short_opaque(bytes: &[u8]) -> Vec<u8> {
    assert!(bytes.len() < 64);
    let mut out = vec![bytes.len() as u8];
    out.extend_from_slice(bytes);
    out
}

/// V-5.1.2-02: a labeled signature verifies only as `SignContent{"MLS 1.0 " + label, content}`:
/// not over the raw content, not under another label, and a raw signature over the content does
/// not pass `VerifyWithLabel`.
#[test]
fn v_5_1_2_02_signatures_cover_the_labelled_sign_content() {
    for s in suites() {
        let signer = SoftwareSigner::generate(s.clone()).expect("signer");
        let pk = signer.public_key();
        let content = b"FramedContentTBS bytes";
        let sig = labeled::sign_with_label(&signer, b"FramedContentTBS", content).expect("sign");
        labeled::verify_with_label(&*s, pk, b"FramedContentTBS", content, &sig)
            .expect("the labelled signature verifies");

        let mut sign_content = short_opaque(b"MLS 1.0 FramedContentTBS");
        sign_content.extend(short_opaque(content));
        s.verify(pk, &sign_content, &sig)
            .expect("it is a plain signature over SignContent");
        assert!(s.verify(pk, content, &sig).is_err(), "raw content");
        assert!(
            labeled::verify_with_label(&*s, pk, b"LeafNodeTBS", content, &sig).is_err(),
            "another label"
        );
        let raw = signer.sign(content).expect("raw signature");
        assert!(
            labeled::verify_with_label(&*s, pk, b"FramedContentTBS", content, &raw).is_err(),
            "a raw signature is not a labelled one"
        );
    }
}

/// V-5.1.2-03 and V-5.1.1-02: badly encoded signatures (DER garbage and truncations for ECDSA,
/// wrong lengths for EdDSA) and malformed signature keys fail `VerifyWithLabel` with an error.
#[test]
fn v_5_1_2_03_malformed_signatures_and_keys_are_errors() {
    for s in suites() {
        let signer = SoftwareSigner::generate(s.clone()).expect("signer");
        let pk = signer.public_key();
        let sig = labeled::sign_with_label(&signer, b"L", b"content").expect("sign");
        let mut bad_sigs = vec![
            Vec::new(),
            vec![0x30],
            vec![0x30, 0x00],
            vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00],
            vec![0x30, 0x81, 0xff, 0x02],
            sig[..sig.len() - 1].to_vec(),
            [sig.as_slice(), &[0]].concat(),
            vec![0xff; sig.len()],
        ];
        let mut inner_length = sig.clone();
        inner_length[1] ^= 0x40;
        bad_sigs.push(inner_length);
        for bad in &bad_sigs {
            let err = labeled::verify_with_label(&*s, pk, b"L", b"content", bad)
                .expect_err("malformed signature");
            assert!(
                matches!(
                    err.kind(),
                    CryptoErrorKind::InvalidSignature | CryptoErrorKind::Encoding
                ),
                "{:?}: {err}",
                s.cipher_suite()
            );
        }
        let key = pk.as_ref().to_vec();
        for bad in [
            Vec::new(),
            key[..key.len() - 1].to_vec(),
            [key.as_slice(), &[0]].concat(),
        ] {
            let bad = SignaturePublicKey::from(bad);
            assert!(
                labeled::verify_with_label(&*s, &bad, b"L", b"content", &sig).is_err(),
                "{:?}: malformed key accepted",
                s.cipher_suite()
            );
        }
    }
}

/// V-5.1.3-01: `DecryptWithLabel` is HPKE base-mode open with info `EncryptContext{"MLS 1.0 " +
/// label, context}` and empty AAD; another label, another context, another key or a tampered
/// ciphertext is an error.
#[test]
fn v_5_1_3_01_decrypt_with_label_opens_only_its_own_label_and_context() {
    for s in suites() {
        let key = SoftwareHpkeKey::generate(s.clone()).expect("key");
        let other = SoftwareHpkeKey::generate(s.clone()).expect("key");
        let ct = labeled::encrypt_with_label(&*s, key.public_key(), b"Welcome", b"ctx", b"secret")
            .expect("seal");
        let opened = labeled::decrypt_with_label(&*s, &key, b"Welcome", b"ctx", &ct).expect("open");
        assert_eq!(opened, b"secret");

        let mut info = short_opaque(b"MLS 1.0 Welcome");
        info.extend(short_opaque(b"ctx"));
        assert_eq!(
            s.hpke_open(&key, &ct, &info, &[]).expect("plain HPKE open"),
            b"secret"
        );

        let mut tampered = ct.clone();
        let mut bytes = tampered.ciphertext.as_slice().to_vec();
        bytes[0] ^= 1;
        tampered.ciphertext = bytes.into();
        for (what, result) in [
            (
                "label",
                labeled::decrypt_with_label(&*s, &key, b"UpdatePathNode", b"ctx", &ct),
            ),
            (
                "context",
                labeled::decrypt_with_label(&*s, &key, b"Welcome", b"ctX", &ct),
            ),
            (
                "key",
                labeled::decrypt_with_label(&*s, &other, b"Welcome", b"ctx", &ct),
            ),
            (
                "ciphertext",
                labeled::decrypt_with_label(&*s, &key, b"Welcome", b"ctx", &tampered),
            ),
        ] {
            assert!(
                result.is_err(),
                "{:?}: another {what} opened",
                s.cipher_suite()
            );
        }
    }
}

/// V-5.2-01: `KeyPackageRef` and `ProposalRef` are `RefHash` with their own labels,
/// `Hash(RefHashInput{opaque label<V>, opaque value<V>})`, computed with the hash of the suite
/// passed in, so a KeyPackage's ref depends on the KeyPackage's suite.
#[test]
fn v_5_2_01_references_are_ref_hashes_with_their_labels() {
    let value = b"an encoded KeyPackage or AuthenticatedContent";
    let mut refs = Vec::new();
    for s in suites() {
        for (label, ours) in [
            (
                &b"MLS 1.0 KeyPackage Reference"[..],
                labeled::make_key_package_ref(&*s, value)
                    .expect("ref")
                    .0
                    .to_vec(),
            ),
            (
                &b"MLS 1.0 Proposal Reference"[..],
                labeled::make_proposal_ref(&*s, value)
                    .expect("ref")
                    .0
                    .to_vec(),
            ),
        ] {
            let mut input = short_opaque(label);
            input.extend(short_opaque(value));
            assert_eq!(
                ours,
                s.hash(&input).expect("hash"),
                "{:?}",
                s.cipher_suite()
            );
            assert_eq!(ours.len(), s.hash_len());
        }
        refs.push((
            s.hash_len(),
            labeled::make_key_package_ref(&*s, value).expect("ref").0,
        ));
    }
    // Suites with different hashes give different refs for the same bytes.
    assert!(
        refs.iter()
            .any(|(n, r)| *n != 32 && r.as_slice() != refs[0].1.as_slice())
    );
}
