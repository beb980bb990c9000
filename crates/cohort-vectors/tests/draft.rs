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
