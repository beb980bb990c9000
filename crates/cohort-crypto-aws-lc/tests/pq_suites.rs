//! The post-quantum suites of draft-ietf-mls-pq-ciphersuites on aws-lc through the conformance
//! kit; their known answers are the HPKE-PQ and generated MLS vectors (`cargo xtask vectors`).

use cohort_crypto::{CipherSuite, CryptoProvider};

/// Every PQ suite passes the kit (its DHKEM-, ECDSA- and EdDSA-only checks do not apply), at
/// least 20 checks each; the default provider serves none of them.
#[test]
fn the_pq_provider_passes_the_conformance_kit() {
    let report =
        cohort_conformance::crypto::run_pq(&cohort_crypto_aws_lc::provider_with_pq_draft());
    println!("{report}");
    assert!(report.is_success(), "{report}");
    for cs in CipherSuite::PQ_DRAFT {
        assert!(report.passed_on(cs) >= 20, "{cs}: {}", report.passed_on(cs));
        assert!(cohort_crypto_aws_lc::provider().suite(cs).is_none(), "{cs}");
    }
}
