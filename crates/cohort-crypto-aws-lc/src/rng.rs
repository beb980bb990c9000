//! aws-lc's random number generator.

use cohort_crypto::{CryptoError, CryptoErrorKind};

/// Fills `out` with random bytes.
pub(crate) fn fill(out: &mut [u8]) -> Result<(), CryptoError> {
    aws_lc_rs::rand::fill(out).map_err(|e| CryptoError::with_source(CryptoErrorKind::Random, e))
}
