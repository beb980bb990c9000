//! The official vectors under `cargo test`: one test per file in `interop/test-vectors/` (or
//! `COHORT_TEST_VECTORS_DIR`), through the same runner as `cargo xtask vectors`.
//!
//! Every kind is implemented; each file must pass on every backend that has its suites.

use cohort_vectors::{FileReport, Kind, built_backends, discover, run_file};

/// Runs the file with stem `stem` as `kind` and checks that it ran `n_cases` cases, all passing;
/// a kind that uses crypto runs on every built backend. Only a backend that lacks a cipher suite
/// may report cases as unsupported, and the RustCrypto backend has every suite.
fn assert_passes(stem: &str, kind: Kind, n_cases: usize) {
    let path = cohort_test_vectors::vector_path(stem);
    if kind.uses_crypto() {
        for backend in built_backends() {
            let report = run_file(&path, kind, Some(backend));
            check(&report, n_cases, *backend != "rustcrypto");
        }
    } else {
        check(&run_file(&path, kind, None), n_cases, false);
    }
}

fn check(report: &FileReport, n_cases: usize, may_lack_suites: bool) {
    let name = format!(
        "{} [{}]",
        report.name,
        report.backend.as_deref().unwrap_or("-")
    );
    assert!(!report.not_implemented, "{name}: not implemented");
    assert_eq!(
        report.failed,
        0,
        "{name} failures:\n{}",
        report.failures.join("\n")
    );
    if !may_lack_suites {
        assert_eq!(report.unsupported, 0, "{name}: cases unsupported");
    }
    assert_eq!(
        report.passed + report.unsupported,
        n_cases,
        "{name}: wrong number of cases"
    );
    assert!(report.passed > 0, "{name}: nothing ran");
}

#[test]
fn tree_math() {
    assert_passes("tree-math", Kind::TreeMath, 10);
}

#[test]
fn deserialization() {
    assert_passes("deserialization", Kind::Deserialization, 14);
}

#[test]
fn messages() {
    assert_passes("messages", Kind::Messages, 300);
}

#[test]
fn crypto_basics() {
    assert_passes("crypto-basics", Kind::CryptoBasics, 7);
}

#[test]
fn secret_tree() {
    assert_passes("secret-tree", Kind::SecretTree, 21);
}

/// Opens PrivateMessages sealed by another implementation with random reuse guards: V-6.3.1-02
/// (the content nonce is the ratchet nonce with its first four bytes XORed with `reuse_guard`).
#[test]
fn message_protection() {
    assert_passes("message-protection", Kind::MessageProtection, 7);
}

#[test]
fn key_schedule() {
    assert_passes("key-schedule", Kind::KeySchedule, 7);
}

#[test]
fn psk_secret() {
    assert_passes("psk_secret", Kind::PskSecret, 77);
}

#[test]
fn transcript_hashes() {
    assert_passes("transcript-hashes", Kind::TranscriptHashes, 7);
}

#[test]
fn welcome() {
    assert_passes("welcome", Kind::Welcome, 7);
}

/// Applies one Add, Update or Remove to `tree_before` and compares the resulting tree and its
/// hash: V-12.3-02 (an Update replaces the leaf and blanks its direct path), V-12.3-03 (a Remove
/// blanks leaf and path, then truncates), V-12.3-04 (an Add takes the leftmost blank leaf or
/// extends the tree, and joins the unmerged leaves above it), V-7.7-01 (truncation and
/// extension).
#[test]
fn tree_operations() {
    assert_passes("tree-operations", Kind::TreeOperations, 5);
}

/// Tree hashes, resolutions and parent-hash chains of 98 trees shaped by many commits:
/// V-7.9-01 (`original_sibling_tree_hash` with the unmerged leaves taken out) and V-7.9.2-04
/// (leaves whose chain was overwritten by later commits are no reason to reject: every tree here
/// must be accepted).
#[test]
fn tree_validation() {
    assert_passes("tree-validation", Kind::TreeValidation, 98);
}

/// Encaps and decaps of UpdatePaths from every leaf: V-12.4.2-11 (the path secrets decrypt only
/// under the provisional GroupContext), V-12.4.2-12 (`commit_secret` one step past the last path
/// secret) and V-7.5-02 (the merged tree, compared by its hash).
#[test]
fn treekem() {
    assert_passes("treekem", Kind::TreeKem, 77);
}

/// Joins by Welcome, 28 of the 56 with external PSKs, and checks the epoch authenticator:
/// V-8.4-04 (the joiner combines `GroupSecrets.psks` in the order given).
#[test]
fn passive_client_welcome() {
    assert_passes("passive-client-welcome", Kind::PassiveClient, 56);
}

/// Joins, then processes commits of every proposal type, PSKs included: V-12.3-05 (PSKs
/// resolved in list order before the key schedule runs) and V-8.2-02 (the first commit after a
/// join verifies only if the interim transcript hash came from the GroupInfo's tag).
#[test]
fn passive_client_handling_commit() {
    assert_passes("passive-client-handling-commit", Kind::PassiveClient, 91);
}

#[test]
fn passive_client_random() {
    assert_passes("passive-client-random", Kind::PassiveClient, 1);
}

/// Every file in the folder has a kind and a test above, and none is missing: a file added or
/// lost shows up here rather than being skipped.
#[test]
fn folder_holds_exactly_the_tested_files() {
    let dir = cohort_test_vectors::vectors_dir();
    let files = discover(&dir).unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()));
    let found: Vec<(&str, Option<Kind>)> = files
        .iter()
        .map(|file| (file.name.as_str(), file.kind))
        .collect();
    let expected = [
        ("crypto-basics.json", Some(Kind::CryptoBasics)),
        ("deserialization.json", Some(Kind::Deserialization)),
        ("key-schedule.json", Some(Kind::KeySchedule)),
        ("message-protection.json", Some(Kind::MessageProtection)),
        ("messages.json", Some(Kind::Messages)),
        (
            "passive-client-handling-commit.json",
            Some(Kind::PassiveClient),
        ),
        ("passive-client-random.json", Some(Kind::PassiveClient)),
        ("passive-client-welcome.json", Some(Kind::PassiveClient)),
        ("psk_secret.json", Some(Kind::PskSecret)),
        ("secret-tree.json", Some(Kind::SecretTree)),
        ("transcript-hashes.json", Some(Kind::TranscriptHashes)),
        ("tree-math.json", Some(Kind::TreeMath)),
        ("tree-operations.json", Some(Kind::TreeOperations)),
        ("tree-validation.json", Some(Kind::TreeValidation)),
        ("treekem.json", Some(Kind::TreeKem)),
        ("welcome.json", Some(Kind::Welcome)),
    ];
    assert_eq!(found, expected);
}

/// A file run as the wrong kind is one failure, not a panic and not a pass.
#[test]
fn wrong_kind_is_a_failure() {
    let report = run_file(
        &cohort_test_vectors::vector_path("tree-math"),
        Kind::Deserialization,
        None,
    );
    assert_eq!((report.passed, report.failed), (0, 1));
    assert!(
        report.failures[0].contains("tree-math.json"),
        "{:?}",
        report.failures
    );
}

/// A missing file is a failure.
#[test]
fn missing_file_is_a_failure() {
    let report = run_file(
        &cohort_test_vectors::vector_path("no-such-file"),
        Kind::TreeMath,
        None,
    );
    assert_eq!((report.passed, report.failed), (0, 1));
}

/// A backend that is not built into the runner fails the file instead of passing it.
#[test]
fn a_backend_not_built_in_is_a_failure() {
    let path = cohort_test_vectors::vector_path("crypto-basics");
    let report = run_file(&path, Kind::CryptoBasics, Some("no-such-backend"));
    assert_eq!((report.passed, report.failed), (0, 1));
    assert!(
        report.failures[0].contains("not built"),
        "{:?}",
        report.failures
    );
}

/// The conformance kit carries its own copy of `crypto-basics.json` (so that it runs where a
/// vendor depends on it, outside this repository): it is the project's copy, byte for byte.
#[test]
fn the_conformance_kits_crypto_basics_are_the_projects() {
    let project = std::fs::read_to_string(cohort_test_vectors::vector_path("crypto-basics"))
        .expect("the project's crypto-basics.json");
    assert_eq!(cohort_conformance::crypto::CRYPTO_BASICS_JSON, project);
}
