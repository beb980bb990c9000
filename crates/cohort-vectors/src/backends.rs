//! The crypto backends the runner can use.

use cohort_crypto::CryptoProvider;

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
        "rustcrypto" => Some(Box::new(cohort_crypto_rustcrypto::provider())),
        "ring" => Some(Box::new(cohort_crypto_ring::provider())),
        "aws-lc" => Some(Box::new(cohort_crypto_aws_lc::provider())),
        _ => None,
    }
}
