//! The vectors of drafts beyond RFC 9420 under `cargo test`, from the project's copies in
//! `crates/cohort-test-vectors/drafts/` (or `COHORT_DRAFT_VECTORS_DIR`), through the same runner
//! as `cargo xtask vectors --kind hpke-pq`.

use cohort_test_vectors::{draft_vector_path, hpke_pq};
use cohort_vectors::{Kind, built_backends, run_file};

/// The 13 HPKE vectors of draft-ietf-hpke-pq: all pass on the RustCrypto backend, which has
/// every KEM and KDF of the draft. A backend without an algorithm reports the case as
/// unsupported, naming what it lacks, and fails none.
#[test]
fn hpke_pq() {
    let path = draft_vector_path(hpke_pq::STEM);
    assert_eq!(
        Kind::from_file_name("hpke-pq-test-vectors.json"),
        Some(Kind::HpkePq)
    );
    for backend in built_backends() {
        let report = run_file(&path, Kind::HpkePq, Some(backend));
        let name = format!("{} [{backend}]", report.name);
        assert!(!report.not_implemented, "{name}: not implemented");
        assert_eq!(
            report.failed,
            0,
            "{name} failures:\n{}",
            report.failures.join("\n")
        );
        assert_eq!(
            report.passed + report.unsupported,
            13,
            "{name}: wrong number of cases"
        );
        assert_eq!(
            report.unsupported_details.len(),
            report.unsupported,
            "{name}: an unsupported case without a reason"
        );
        if *backend == "rustcrypto" {
            assert_eq!(
                report.passed, 13,
                "{name}: {:?}",
                report.unsupported_details
            );
        }
    }
}

/// A missing file fails: never a silent pass.
#[test]
fn missing_file_fails() {
    let report = run_file(
        &draft_vector_path("no-such-file"),
        Kind::HpkePq,
        Some("rustcrypto"),
    );
    assert_eq!(report.failed, 1);
    assert_eq!(report.passed, 0);
}

/// The seven files of draft-ietf-mls-partial-02: the four about proofs, syntax and the light
/// receiver's TreeKEM pass every case on the RustCrypto backend (its post-quantum suites under
/// MLSpp's code points 8 to 10 included); the three that need the light client's group state
/// (joining, processing commits, following a group) report "not implemented", by name.
#[test]
fn partial_clients() {
    use cohort_test_vectors::partial;
    for (name, cases) in [
        ("membership-proofs", 80),
        ("message-syntax", 10),
        ("sender-authenticated-messages", 20),
        ("tree-operations", 40),
    ] {
        let file = format!("{}.json", partial::stem(name));
        let kind = Kind::from_file_name(&file).expect("kind from the file name");
        assert_eq!(kind.as_str(), format!("partial-{name}"));
        let report = run_file(&partial::path(name), kind, Some("rustcrypto"));
        assert_eq!(
            (report.passed, report.failed, report.unsupported),
            (cases, 0, 0),
            "{file}: {:?} {:?}",
            report.failures,
            report.unsupported_details
        );
    }
    for name in [
        "annotated-welcome",
        "annotated-commit",
        "passive-client-scenarios",
    ] {
        let kind = format!("partial-{name}").parse::<Kind>().expect("kind");
        let report = run_file(&partial::path(name), kind, Some("rustcrypto"));
        assert!(report.not_implemented, "{name}");
        assert_eq!((report.passed, report.failed), (0, 0));
    }
}

/// The light receiver's TreeKEM refuses what does not fit: another ciphertext than the one the
/// annotation names, a key it does not hold, another context, proofs of another tree.
#[test]
fn light_update_path_refusals() {
    use cohort_codec::Decode;
    use cohort_crypto::{CipherSuite, CryptoProvider, HpkePrivateKey};
    use cohort_tree::math::NodeIndex;
    use cohort_tree::membership::MembershipProof;
    use cohort_tree::partial::{LightPathError, light_decrypt_update_path};
    use cohort_tree::path::UpdatePath;

    let cases: Vec<cohort_test_vectors::partial::TreeOperations> =
        cohort_test_vectors::load_file(&cohort_test_vectors::partial::path("tree-operations"))
            .expect("load");
    let case = &cases[0];
    let suite = cohort_crypto_rustcrypto::provider()
        .suite(CipherSuite(case.cipher_suite))
        .expect("suite 1");
    let path = UpdatePath::from_bytes(&case.update_path).expect("path");
    let sender = MembershipProof::from_bytes(&case.sender_membership_proof_after).expect("s");
    let receiver = MembershipProof::from_bytes(&case.receiver_membership_proof_after).expect("r");
    let keys: Vec<(NodeIndex, HpkePrivateKey)> = case
        .receiver_path_state
        .iter()
        .map(|s| {
            (
                NodeIndex(s.node),
                HpkePrivateKey::new(s.encryption_priv.to_vec()),
            )
        })
        .collect();
    let run = |index: u32,
               sender: &MembershipProof,
               keys: &[(NodeIndex, HpkePrivateKey)],
               context: &[u8]| {
        light_decrypt_update_path(&*suite, &path, index, sender, &receiver, keys, context)
    };
    let ok = run(case.resolution_index, &sender, &keys, &case.tree_hash_after).expect("the case");
    assert_eq!(ok.commit_secret.as_bytes(), case.commit_secret.as_slice());
    assert!(!ok.nodes.is_empty());
    // A resolution index past the ciphertexts.
    assert!(matches!(
        run(99, &sender, &keys, &case.tree_hash_after),
        Err(LightPathError::NoCiphertext { index: 99, .. })
    ));
    // No key for the receiver's path.
    assert!(matches!(
        run(case.resolution_index, &sender, &[], &case.tree_hash_after),
        Err(LightPathError::NoKey)
    ));
    // Another context: the path secret does not decrypt.
    assert!(matches!(
        run(case.resolution_index, &sender, &keys, b"another context"),
        Err(LightPathError::Path(_))
    ));
    // The receiver's proof given as the committer's: one leaf.
    assert!(matches!(
        run(
            case.resolution_index,
            &receiver,
            &keys,
            &case.tree_hash_after
        ),
        Err(LightPathError::SameLeaf)
    ));
    // A committer's proof of another tree.
    let mut other = sender.clone();
    let mut h = other.copath_hashes[0].hash_value.to_vec();
    h[0] ^= 1;
    other.copath_hashes[0].hash_value = h.into();
    assert!(matches!(
        run(case.resolution_index, &other, &keys, &case.tree_hash_after),
        Err(LightPathError::Proof(_))
    ));
}
