//! The post-quantum cipher suites of draft-ietf-mls-pq-ciphersuites (at private-use code points)
//! through the conformance kit and the labeled operations of RFC 9420 §5.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cohort_crypto::{
    CipherSuite, CryptoProvider, Signer, SoftwareHpkeKey, SoftwareSigner, labeled,
};

/// The kit's checks that assume DHKEM, ECDSA or EdDSA keys are reported unsupported on the PQ
/// suites (`run_pq`); `tests/pq_kem.rs` and the `mldsa` unit tests hold the negative cases of
/// these algorithms. Everything else passes, at least 20 checks per PQ suite.
#[test]
fn the_pq_provider_passes_the_conformance_kit() {
    let report =
        cohort_conformance::crypto::run_pq(&cohort_crypto_rustcrypto::provider_with_pq_draft());
    println!("{report}");
    assert!(report.is_success(), "{report}");
    for cs in CipherSuite::PQ_DRAFT {
        assert!(report.passed_on(cs) >= 20, "{cs}: {}", report.passed_on(cs));
    }
}

#[test]
fn the_default_provider_serves_no_pq_suite() {
    let provider = cohort_crypto_rustcrypto::provider();
    for cs in CipherSuite::PQ_DRAFT {
        assert!(provider.suite(cs).is_none(), "{cs}");
    }
}

#[test]
fn labeled_operations_on_every_pq_suite() {
    let provider = cohort_crypto_rustcrypto::provider_with_pq_draft();
    for cs in CipherSuite::PQ_DRAFT {
        let ops = provider.require_suite(cs).unwrap();
        let ids = cs.hpke_suite().unwrap();
        assert_eq!(ops.signature_scheme(), cs.signature_scheme().unwrap());

        let signer = SoftwareSigner::generate(ops.clone()).unwrap();
        let sig = labeled::sign_with_label(&signer, b"Label", b"content").unwrap();
        labeled::verify_with_label(&*ops, signer.public_key(), b"Label", b"content", &sig).unwrap();
        assert!(
            labeled::verify_with_label(&*ops, signer.public_key(), b"Other", b"content", &sig)
                .is_err()
        );

        let key = SoftwareHpkeKey::derive(ops.clone(), &[0x42; 32]).unwrap();
        let expected_pk_len = match ids.kem {
            0x0041 => 1184,
            0x0042 => 1568,
            0x0050 => 1249,
            0x0051 => 1665,
            0x647a => 1216,
            other => panic!("unexpected KEM {other:#06x}"),
        };
        assert_eq!(
            cohort_crypto::Decapsulator::public_key(&key).as_ref().len(),
            expected_pk_len
        );
        let ct = labeled::encrypt_with_label(
            &*ops,
            cohort_crypto::Decapsulator::public_key(&key),
            b"Label",
            b"context",
            &[0xab; 5000],
        )
        .unwrap();
        let pt = labeled::decrypt_with_label(&*ops, &key, b"Label", b"context", &ct).unwrap();
        assert_eq!(pt, [0xab; 5000]);
        assert!(labeled::decrypt_with_label(&*ops, &key, b"Other", b"context", &ct).is_err());
    }
}

/// Another implementation's numbering (here MLSpp's 8 to 10 and OpenMLS's): the same draft
/// suites, algorithm for algorithm, under the alias code point, which the suite reports as its
/// own; the private-use code points stay served, and the default PQ provider has no alias.
#[test]
fn code_point_presets_serve_the_draft_suites_under_their_aliases() {
    use cohort_crypto::PqCodePoints;
    let mlspp = cohort_crypto_rustcrypto::provider_with_pq_code_points(PqCodePoints::MLSPP);
    for (wire, draft) in PqCodePoints::MLSPP
        .aliases
        .iter()
        .chain(PqCodePoints::OPENMLS.aliases)
    {
        let provider = if PqCodePoints::MLSPP.draft_suite(*wire).is_some() {
            mlspp.clone()
        } else {
            cohort_crypto_rustcrypto::provider_with_pq_code_points(PqCodePoints::OPENMLS)
        };
        assert!(provider.cipher_suites().contains(wire));
        let alias = provider.suite(*wire).expect("alias served");
        let original = provider.suite(*draft).expect("draft suite still served");
        assert_eq!(alias.cipher_suite(), *wire);
        assert_eq!(alias.hash_len(), original.hash_len());
        assert_eq!(alias.signature_scheme(), original.signature_scheme());
        assert_eq!(alias.hash(b"x").unwrap(), original.hash(b"x").unwrap());
        // An HPKE round trip on the alias, opened by the original: one KEM.
        let key = SoftwareHpkeKey::generate(original.clone()).unwrap();
        let public = cohort_crypto::Decapsulator::public_key(&key);
        let ct = labeled::encrypt_with_label(&*alias, public, b"l", b"c", b"hi").unwrap();
        assert_eq!(
            labeled::decrypt_with_label(&*original, &key, b"l", b"c", &ct).unwrap(),
            b"hi"
        );
    }
    assert!(
        mlspp.suite(CipherSuite(0x004F)).is_none(),
        "OpenMLS's alias in MLSpp's preset"
    );
    let default = cohort_crypto_rustcrypto::provider_with_pq_draft();
    assert!(default.suite(CipherSuite(0x0008)).is_none());
    assert_eq!(default.cipher_suites().len(), 18);
}
