//! The crypto backends the runner can use.

use cohort_crypto::CryptoProvider;
use cohort_crypto_hpke::HpkeAlgorithms;

/// The crypto backend names `--backend` accepts.
pub const BACKENDS: [&str; 3] = ["rustcrypto", "ring", "aws-lc"];

/// The backends this build can run the crypto kinds on, a subset of [`BACKENDS`], default
/// first.
pub fn built_backends() -> &'static [&'static str] {
    &["rustcrypto", "ring", "aws-lc"]
}

/// The provider of backend `name`, or `None` when it is not built in.
pub fn provider(name: &str) -> Option<Box<dyn CryptoProvider>> {
    match name {
        // The suites of RFC 9420 and the post-quantum ones at cohort's code points (the
        // generated PQ vectors); ring reports those unsupported, by name.
        "rustcrypto" => Some(Box::new(
            cohort_crypto_rustcrypto::provider_with_pq_code_points(
                cohort_crypto::PqCodePoints::PRIVATE_USE,
            ),
        )),
        "ring" => Some(Box::new(cohort_crypto_ring::provider())),
        "aws-lc" => Some(Box::new(
            cohort_crypto_aws_lc::provider_with_pq_code_points(
                cohort_crypto::PqCodePoints::PRIVATE_USE,
            ),
        )),
        _ => None,
    }
}

/// Backend `name` for the vectors of draft-ietf-mls-partial-02, whose suites 8 to 10 are the
/// post-quantum drafts' in MLSpp's numbering: the RustCrypto and aws-lc backends with those
/// aliases ([`cohort_crypto::PqCodePoints::MLSPP`]); ring as [`provider`] (it lacks the
/// post-quantum suites, whose cases are then reported unsupported by name).
pub fn partial_provider(name: &str) -> Option<Box<dyn CryptoProvider>> {
    match name {
        "rustcrypto" => Some(Box::new(
            cohort_crypto_rustcrypto::provider_with_pq_code_points(
                cohort_crypto::PqCodePoints::MLSPP,
            ),
        )),
        "aws-lc" => Some(Box::new(
            cohort_crypto_aws_lc::provider_with_pq_code_points(cohort_crypto::PqCodePoints::MLSPP),
        )),
        other => provider(other),
    }
}

/// The HPKE algorithms of backend `name` (for the HPKE vectors), or `None` when it is not built
/// in or offers none outside its cipher suites.
pub fn hpke_algorithms(name: &str) -> Option<&'static dyn HpkeAlgorithms> {
    match name {
        "rustcrypto" => Some(cohort_crypto_rustcrypto::hpke_algorithms()),
        "ring" => Some(cohort_crypto_ring::hpke_algorithms()),
        "aws-lc" => Some(cohort_crypto_aws_lc::hpke_algorithms()),
        _ => None,
    }
}
