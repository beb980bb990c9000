//! ring's random number generator.

use cohort_crypto::{CryptoError, CryptoErrorKind};
use ring::rand::{SecureRandom, SystemRandom};

/// Fills `out` with random bytes.
pub(crate) fn fill(out: &mut [u8]) -> Result<(), CryptoError> {
    SystemRandom::new()
        .fill(out)
        .map_err(|e| CryptoError::with_source(CryptoErrorKind::Random, e))
}
