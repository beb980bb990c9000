//! The backend's one conformance test: the whole kit, every suite it serves.

#[test]
fn passes_the_conformance_kit() {
    let report = cohort_conformance::crypto::run(&cohort_crypto_ring::provider());
    println!("{report}");
    assert!(report.is_success(), "{report}");
}
