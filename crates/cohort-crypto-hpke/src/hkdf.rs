//! HKDF (RFC 5869) from an HMAC, for backends whose HKDF API hides the pseudorandom key.
//!
//! MLS uses the output of `Extract` as a secret of its own (the key schedule's `joiner_secret`
//! and friends), so a backend needs raw `Extract` and `Expand`. Some libraries (ring, aws-lc-rs)
//! offer HMAC with raw output but keep HKDF's PRK opaque; these two functions build HKDF on
//! their HMAC.

use cohort_crypto::{CryptoError, CryptoErrorKind, Secret};

/// An HMAC function: `hmac(key, data)` returns the full tag.
pub type HmacFn<'a> = &'a dyn Fn(&[u8], &[u8]) -> Result<Vec<u8>, CryptoError>;

/// `HKDF-Extract(salt, ikm) = HMAC(salt, ikm)`.
///
/// # Errors
/// Errors of `hmac`.
pub fn extract(hmac: HmacFn<'_>, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
    hmac(salt, ikm).map(Secret::new)
}

/// `HKDF-Expand(prk, info, len)` with an HMAC of output length `hash_len`.
///
/// # Errors
/// [`CryptoErrorKind::InvalidLength`] when `len > 255 * hash_len` or `prk` is shorter than
/// `hash_len` (RFC 5869 §2.3); errors of `hmac`.
pub fn expand(
    hmac: HmacFn<'_>,
    hash_len: usize,
    prk: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Secret, CryptoError> {
    if hash_len == 0 || len > 255 * hash_len || prk.len() < hash_len {
        return Err(CryptoErrorKind::InvalidLength.into());
    }
    let mut okm = Secret::new(vec![0; len]);
    let mut block = Secret::default();
    for (index, chunk) in okm.as_mut_bytes().chunks_mut(hash_len).enumerate() {
        // T(i) = HMAC(PRK, T(i-1) || info || i), i from 1 to at most 255 (checked above).
        let counter = u8::try_from(index + 1).map_err(|_| CryptoErrorKind::InvalidLength)?;
        let mut bytes = Vec::with_capacity(block.len() + info.len() + 1);
        bytes.extend_from_slice(block.as_bytes());
        bytes.extend_from_slice(info);
        bytes.push(counter);
        let input = Secret::new(bytes);
        block = Secret::new(hmac(prk, input.as_bytes())?);
        let take = block
            .as_bytes()
            .get(..chunk.len())
            .ok_or(CryptoErrorKind::InvalidLength)?;
        chunk.copy_from_slice(take);
    }
    Ok(okm)
}
