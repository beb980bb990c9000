//! The vectors of drafts beyond RFC 9420 under `cargo test`, from the project's copies in
//! `crates/cohort-test-vectors/drafts/` (or `COHORT_DRAFT_VECTORS_DIR`), through the same runner
//! as `cargo xtask vectors --kind hpke-pq`.

use cohort_test_vectors::{draft_vector_path, hpke_pq};
use cohort_vectors::{Kind, built_backends, run_file};

/// The 13 HPKE vectors of draft-ietf-hpke-pq: all pass on the RustCrypto backend, which has
/// every KEM and KDF of the draft, and all but the X448 one on aws-lc. A backend without an algorithm reports the case as
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
        // RustCrypto has every algorithm; aws-lc all but X448 (case 9's DHKEM).
        let expected = match *backend {
            "rustcrypto" => Some(13),
            "aws-lc" => Some(12),
            _ => None,
        };
        if let Some(expected) = expected {
            assert_eq!(
                report.passed, expected,
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

/// The seven files of draft-ietf-mls-partial-02: proofs, syntax, the light receiver's TreeKEM
/// and the light join pass every case on the RustCrypto backend (its post-quantum suites under
/// MLSpp's code points 8 to 10 included), and so does a light member following a group over
/// three commits, and so does the annotated-commit file (with its commit secret as input: its
/// states hold no key for the receiver's path). A changed commit secret or epoch authenticator
/// fails the annotated-commit case.
#[test]
fn partial_clients() {
    use cohort_test_vectors::partial;
    for (name, cases) in [
        ("membership-proofs", 80),
        ("message-syntax", 10),
        ("sender-authenticated-messages", 20),
        ("tree-operations", 40),
        ("annotated-welcome", 10),
        ("passive-client-scenarios", 10),
        ("annotated-commit", 10),
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
    let kind = "partial-annotated-commit".parse::<Kind>().expect("kind");
    let text = std::fs::read_to_string(partial::path("annotated-commit")).expect("read");
    let tmp = std::env::temp_dir().join(format!("cohort-annotated-commit-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    for field in ["commit_secret", "epoch_authenticator_after"] {
        let mut cases: serde_json::Value = serde_json::from_str(&text).expect("json");
        let hex = cases[0][field].as_str().expect("hex").to_owned();
        let first = if hex.starts_with('0') { "1" } else { "0" };
        cases[0][field] = serde_json::Value::String(format!("{first}{}", &hex[1..]));
        let path = tmp.join("test-vector-partial-annotated-commit.json");
        std::fs::write(&path, cases.to_string()).expect("write");
        let report = run_file(&path, kind, Some("rustcrypto"));
        assert_eq!((report.passed, report.failed), (9, 1), "{field} changed");
    }
    std::fs::remove_dir_all(&tmp).ok();
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
    let mut other = sender;
    let mut h = other.copath_hashes[0].hash_value.to_vec();
    h[0] ^= 1;
    other.copath_hashes[0].hash_value = h.into();
    assert!(matches!(
        run(case.resolution_index, &other, &keys, &case.tree_hash_after),
        Err(LightPathError::Proof(_))
    ));
}

/// A light join refuses annotations that do not fit the Welcome: proofs of another tree, a
/// sender proof for another leaf than the GroupInfo's signer, a joiner proof for another leaf
/// than ours.
#[test]
fn light_join_refusals() {
    use cohort_codec::Decode;
    use cohort_crypto::{CipherSuite, Secret};
    use cohort_group::light::LightGroup;
    use cohort_group::{Error, PskList, ValidationError};
    use cohort_messages::partial::AnnotatedWelcome;

    let cases: Vec<cohort_test_vectors::partial::AnnotatedWelcome> =
        cohort_test_vectors::load_file(&cohort_test_vectors::partial::path("annotated-welcome"))
            .expect("load");
    let case = cases.iter().find(|c| c.cipher_suite == 1).expect("suite 1");
    let provider = cohort_crypto_rustcrypto::provider();
    let (kp, secrets) =
        light_client_keys(&case.key_package, &case.init_priv, &case.encryption_priv);
    let psks = PskList(Vec::<(Vec<u8>, Secret)>::new());
    let welcome = AnnotatedWelcome::from_bytes(&case.annotated_welcome).expect("decode");
    let join = |w: &AnnotatedWelcome| LightGroup::join(&provider, w, &kp, &secrets, &psks);
    let group = join(&welcome).expect("the case joins");
    assert_eq!(group.context().cipher_suite, CipherSuite(1));
    assert!(group.holds_key(group.own_leaf().node()));

    // The joiner's proof of another tree.
    let mut w = welcome.clone();
    let mut h = w.joiner_membership_proof.copath_hashes[0]
        .hash_value
        .to_vec();
    h[0] ^= 1;
    w.joiner_membership_proof.copath_hashes[0].hash_value = h.into();
    assert!(matches!(
        join(&w),
        Err(Error::Invalid(ValidationError::InvalidMembershipProof(_)))
    ));
    // Both proofs altered: refused as proofs (of two trees, or of a tree not the group's).
    let mut w = welcome.clone();
    for proof in [
        &mut w.welcome.sender_membership_proof,
        &mut w.joiner_membership_proof,
    ] {
        let last = proof.copath_hashes.len() - 1;
        proof.copath_hashes[last].hash_value = vec![7; 32].into();
    }
    let both = join(&w);
    assert!(
        matches!(
            both,
            Err(Error::Invalid(ValidationError::InvalidMembershipProof(_)))
        ),
        "{both:?}"
    );
    // The proofs swapped: the sender proof is not the signer's leaf.
    let mut w = welcome.clone();
    std::mem::swap(
        &mut w.welcome.sender_membership_proof,
        &mut w.joiner_membership_proof,
    );
    assert!(matches!(
        join(&w),
        Err(Error::Invalid(ValidationError::AnnotationMismatch(_)))
    ));
    // The sender's proof as the joiner's: a leaf that is not our KeyPackage's.
    let mut w = welcome;
    w.joiner_membership_proof = w.welcome.sender_membership_proof.clone();
    assert!(matches!(
        join(&w),
        Err(Error::Invalid(ValidationError::AnnotationMismatch(_)))
    ));
}

/// A light member refuses a commit whose annotation does not fit, and stays where it was.
#[test]
fn light_commit_refusals() {
    use cohort_codec::Decode;
    use cohort_crypto::Secret;
    use cohort_group::light::LightGroup;
    use cohort_group::{Error, PskList, ValidationError};
    use cohort_messages::partial::{AnnotatedCommit, AnnotatedWelcome};

    let cases: Vec<cohort_test_vectors::partial::PassiveClientScenario> =
        cohort_test_vectors::load_file(&cohort_test_vectors::partial::path(
            "passive-client-scenarios",
        ))
        .expect("load");
    let case = cases.iter().find(|c| c.cipher_suite == 1).expect("suite 1");
    let provider = cohort_crypto_rustcrypto::provider();
    let (kp, secrets) =
        light_client_keys(&case.key_package, &case.init_priv, &case.encryption_priv);
    let psks = PskList(Vec::<(Vec<u8>, Secret)>::new());
    let welcome = AnnotatedWelcome::from_bytes(&case.annotated_welcome).expect("decode");
    let mut group = LightGroup::join(&provider, &welcome, &kp, &secrets, &psks).expect("joins");
    let commit = AnnotatedCommit::from_bytes(&case.epochs[0].annotated_commit).expect("decode");
    let before = (group.epoch(), group.epoch_authenticator().to_vec());
    let refused = |group: &mut LightGroup, c: &AnnotatedCommit| {
        let r = group.process_commit(c, &psks);
        assert_eq!(
            (group.epoch(), group.epoch_authenticator().to_vec()),
            before,
            "a refused commit changed the state"
        );
        r
    };
    // Another tree hash after the commit than the proofs'.
    let mut c = commit.clone();
    c.tree_hash_after = vec![0; 32].into();
    assert!(matches!(
        refused(&mut group, &c),
        Err(Error::Invalid(ValidationError::InvalidMembershipProof(_)))
    ));
    // The committer's proof given as ours.
    let mut c = commit.clone();
    c.receiver_membership_proof_after = c.sender_membership_proof_after.clone();
    assert!(refused(&mut group, &c).is_err());
    // A resolution index past the ciphertexts.
    let mut c = commit.clone();
    if c.resolution_index.is_some() {
        c.resolution_index = Some(99);
        assert!(matches!(
            refused(&mut group, &c),
            Err(Error::Invalid(ValidationError::InvalidLightPath(_)))
        ));
    }
    // No sender proof for a member's commit.
    let mut c = commit.clone();
    c.sender_membership_proof = None;
    assert!(matches!(
        refused(&mut group, &c),
        Err(Error::Invalid(ValidationError::AnnotationMismatch(_)))
    ));
    // The commit itself, then again: the second time it is for a past epoch.
    group.process_commit(&commit, &psks).expect("the commit");
    assert_eq!(group.epoch(), before.0 + 1);
    assert_eq!(
        group.epoch_authenticator(),
        case.epochs[0].epoch_authenticator.as_slice()
    );
    assert!(group.process_commit(&commit, &psks).is_err());
}

/// The KeyPackage (an MLSMessage) and private keys of a light-client case.
fn light_client_keys(
    key_package: &[u8],
    init_priv: &[u8],
    encryption_priv: &[u8],
) -> (
    cohort_messages::key_package::KeyPackage,
    cohort_group::KeyPackageSecrets,
) {
    use cohort_codec::Decode;
    let cohort_messages::MlsMessageBody::KeyPackage(kp) =
        cohort_messages::MlsMessage::from_bytes(key_package)
            .expect("kp")
            .body
    else {
        panic!("not a KeyPackage")
    };
    let secrets = cohort_group::KeyPackageSecrets {
        init_key: cohort_crypto::HpkePrivateKey::new(init_priv.to_vec()),
        encryption_key: cohort_crypto::HpkePrivateKey::new(encryption_priv.to_vec()),
    };
    (kp, secrets)
}

/// The MLS-level post-quantum vectors cohort publishes (`interop/test-vectors/pq/`, made by
/// `cargo xtask vectors --generate-pq`): every case of the nine files passes on RustCrypto,
/// the other backends report the suites unsupported, by name; a fresh generation passes too,
/// and a file with one output changed fails.
#[test]
fn generated_pq_vectors() {
    use cohort_vectors::generate::{PQ_KINDS, pq_vectors};
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/test-vectors/pq");
    let check = |path: &std::path::Path, stem: &str, backend: &str| {
        let kind = Kind::from_file_name(&format!("{stem}.json")).expect("an official kind");
        run_file(path, kind, Some(backend))
    };
    // One case per suite; tree-operations has three (an Add, an Update, a Remove), and
    // passive-client-welcome two (the tree in the Welcome, and out of band).
    let cases = |stem: &str| match stem {
        "tree-operations" => 33,
        "passive-client-welcome" => 22,
        _ => 11,
    };
    for stem in PQ_KINDS {
        for backend in built_backends() {
            let report = check(&dir.join(format!("{stem}.json")), stem, backend);
            assert_eq!(
                report.failed, 0,
                "{stem} [{backend}]: {:?}",
                report.failures
            );
            assert_eq!(
                report.passed + report.unsupported,
                cases(stem),
                "{stem} [{backend}]"
            );
            if *backend == "rustcrypto" {
                assert_eq!(
                    report.passed,
                    cases(stem),
                    "{stem}: {:?}",
                    report.unsupported_details
                );
            } else {
                assert!(
                    report
                        .unsupported_details
                        .iter()
                        .all(|d| d.contains("cipher suite")),
                    "{stem} [{backend}]: {:?}",
                    report.unsupported_details
                );
            }
        }
    }
    let provider = cohort_crypto_rustcrypto::provider_with_pq_code_points(
        cohort_crypto::PqCodePoints::PRIVATE_USE,
    );
    let fresh = pq_vectors(&provider, &cohort_crypto::CipherSuite::PQ_DRAFT).expect("generate");
    let tmp = std::env::temp_dir().join(format!("cohort-pq-vectors-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    for (stem, text) in &fresh {
        let path = tmp.join(format!("{stem}.json"));
        std::fs::write(&path, text).expect("write");
        assert_eq!(
            check(&path, stem, "rustcrypto").passed,
            cases(stem),
            "fresh {stem}"
        );
        // One output changed: the first hex digit of one output of the first case.
        let mut json: serde_json::Value = serde_json::from_str(text).expect("json");
        let field = match *stem {
            "crypto-basics" => &mut json[0]["derive_secret"]["out"],
            "secret-tree" => &mut json[0]["leaves"][3][2]["application_key"],
            "key-schedule" => &mut json[0]["epochs"][1]["exporter_secret"],
            "message-protection" => &mut json[0]["membership_key"],
            "tree-operations" => &mut json[0]["tree_hash_after"],
            "passive-client-welcome" => &mut json[0]["initial_epoch_authenticator"],
            "passive-client-handling-commit" => &mut json[0]["epochs"][5]["epoch_authenticator"],
            "treekem" => &mut json[0]["update_paths"][1]["commit_secret"],
            _ => &mut json[0]["signer_pub"],
        };
        let hex = field.as_str().expect("hex").to_owned();
        let first = if hex.starts_with('0') { "1" } else { "0" };
        let flipped = format!("{first}{}", &hex[1..]);
        *field = serde_json::Value::String(flipped);
        std::fs::write(&path, json.to_string()).expect("write");
        let report = check(&path, stem, "rustcrypto");
        assert_eq!(
            (report.passed, report.failed),
            (cases(stem) - 1, 1),
            "tampered {stem}"
        );
    }
    std::fs::remove_dir_all(&tmp).ok();
}
