//! Transcript hashes and the confirmation tag (RFC 9420 §8.2, §6.1).
//!
//! ```text
//! confirmed_[n] = Hash(interim_[n-1] || ConfirmedTranscriptHashInput_[n])
//! interim_[n]   = Hash(confirmed_[n] || InterimTranscriptHashInput_[n])
//! confirmation_tag = MAC(confirmation_key_[n], confirmed_[n])
//! ```

use cohort_codec::encode_opaque;
use cohort_crypto::SuiteOps;

use crate::KeyScheduleError;

/// `Hash(interim_transcript_hash_before || ConfirmedTranscriptHashInput)`; `input` is the
/// encoded `ConfirmedTranscriptHashInput`.
///
/// # Errors
/// A crypto failure.
pub fn confirmed_transcript_hash(
    suite: &dyn SuiteOps,
    interim_before: &[u8],
    input: &[u8],
) -> Result<Vec<u8>, KeyScheduleError> {
    let mut buf = Vec::with_capacity(interim_before.len() + input.len());
    buf.extend_from_slice(interim_before);
    buf.extend_from_slice(input);
    Ok(suite.hash(&buf)?)
}

/// `Hash(confirmed_transcript_hash || InterimTranscriptHashInput{confirmation_tag})`.
///
/// # Errors
/// A crypto or encoding failure.
pub fn interim_transcript_hash(
    suite: &dyn SuiteOps,
    confirmed: &[u8],
    confirmation_tag: &[u8],
) -> Result<Vec<u8>, KeyScheduleError> {
    let mut buf = Vec::with_capacity(confirmed.len() + confirmation_tag.len() + 4);
    buf.extend_from_slice(confirmed);
    encode_opaque(confirmation_tag, &mut buf)?;
    Ok(suite.hash(&buf)?)
}

/// `MAC(confirmation_key, confirmed_transcript_hash)`.
///
/// # Errors
/// A crypto failure.
pub fn confirmation_tag(
    suite: &dyn SuiteOps,
    confirmation_key: &[u8],
    confirmed: &[u8],
) -> Result<Vec<u8>, KeyScheduleError> {
    Ok(suite.mac(confirmation_key, confirmed)?)
}
