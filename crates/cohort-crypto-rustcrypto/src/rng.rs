//! The operating system's random number generator.

use cohort_crypto::{CryptoError, CryptoErrorKind};

/// Fills `out` from the OS RNG.
pub(crate) fn fill(out: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(out).map_err(|e| CryptoError::with_source(CryptoErrorKind::Random, e))
}
