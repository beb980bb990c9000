//! The PSK secret (RFC 9420 §8.4).
//!
//! ```text
//!               0                               0    = psk_secret_[0]
//!               │                               │
//! psk_[0] ──► Extract ──► ExpandWithLabel ──► Extract = psk_secret_[1]
//!                         ("derived psk",       │
//!                          PSKLabel)           ...
//! ```

use cohort_codec::Encode;
use cohort_crypto::{Secret, SuiteOps, labeled};

use crate::KeyScheduleError;

/// One PSK to inject: its encoded `PreSharedKeyID` and its value.
#[derive(Debug, Clone)]
pub struct PskInput<'a> {
    /// The encoded `PreSharedKeyID`.
    pub id: &'a [u8],
    /// The PSK itself.
    pub psk: &'a Secret,
}

/// `psk_secret` for `psks` in order; all zero (`Nh` bytes) for none.
///
/// # Errors
/// [`KeyScheduleError::TooManyPsks`] beyond 65535; a crypto failure.
pub fn psk_secret(suite: &dyn SuiteOps, psks: &[PskInput<'_>]) -> Result<Secret, KeyScheduleError> {
    let nh = suite.hash_len();
    let count = u16::try_from(psks.len()).map_err(|_| KeyScheduleError::TooManyPsks(psks.len()))?;
    let nh16 = u16::try_from(nh).map_err(|_| KeyScheduleError::LengthTooLong(nh))?;
    let zero = vec![0u8; nh];
    let mut secret = Secret::new(zero.clone());
    for (index, input) in (0u16..).zip(psks) {
        let extracted = suite.kdf_extract(&zero, input.psk.as_bytes())?;
        let mut label = Vec::with_capacity(input.id.len() + 4);
        label.extend_from_slice(input.id);
        index.encode(&mut label)?;
        count.encode(&mut label)?;
        let psk_input =
            labeled::expand_with_label(suite, extracted.as_bytes(), b"derived psk", &label, nh16)?;
        secret = suite.kdf_extract(psk_input.as_bytes(), secret.as_bytes())?;
    }
    Ok(secret)
}
