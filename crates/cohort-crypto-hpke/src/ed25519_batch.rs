//! Ed25519 batch verification (RFC 8032 §5.1.7) over `ed25519-dalek`, for backends whose own
//! library verifies one signature at a time.
//!
//! A batch of `n` signatures is checked with one multi-scalar multiplication under random
//! weights, a few times cheaper per signature than `n` verifications once `n` is in the
//! hundreds. The answer is only "all valid" or "not all valid": the caller verifies one by one
//! to find the bad one. See [`cohort_crypto::SuiteOps::verify_batch`] for where a batch check
//! is appropriate.

use cohort_crypto::{CryptoError, CryptoErrorKind, SignaturePublicKey};
use ed25519_dalek::{Signature, VerifyingKey};

/// The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian.
const ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// Whether the little-endian scalar `s` is below L, as RFC 8032 §5.1.7 requires of a
/// signature's S (the same rule the single verification applies).
fn is_canonical(s: &[u8; 32]) -> bool {
    for i in (0..32).rev() {
        if s[i] != ORDER[i] {
            return s[i] < ORDER[i];
        }
    }
    false
}

/// Verifies every `(public_key, message, signature)` of `items` at once.
///
/// # Errors
/// [`CryptoErrorKind::InvalidPublicKey`] for a key that is not 32 bytes or not a point,
/// [`CryptoErrorKind::InvalidSignature`] for a signature that is not 64 bytes, has a
/// non-canonical S, or when the batch equation does not hold.
pub fn verify_batch(items: &[(&SignaturePublicKey, &[u8], &[u8])]) -> Result<(), CryptoError> {
    if items.is_empty() {
        return Ok(());
    }
    let mut keys = Vec::with_capacity(items.len());
    let mut signatures = Vec::with_capacity(items.len());
    let mut messages = Vec::with_capacity(items.len());
    for (public_key, message, signature) in items {
        let pk: &[u8; 32] = public_key
            .as_ref()
            .try_into()
            .map_err(|_| CryptoError::new(CryptoErrorKind::InvalidPublicKey))?;
        keys.push(
            VerifyingKey::from_bytes(pk)
                .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPublicKey, e))?,
        );
        let sig: &[u8; 64] = (*signature)
            .try_into()
            .map_err(|_| CryptoError::new(CryptoErrorKind::InvalidSignature))?;
        let mut s = [0u8; 32];
        s.copy_from_slice(&sig[32..]);
        if !is_canonical(&s) {
            return Err(CryptoErrorKind::InvalidSignature.into());
        }
        signatures.push(Signature::from_bytes(sig));
        messages.push(*message);
    }
    ed25519_dalek::verify_batch(&messages, &signatures, &keys)
        .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidSignature, e))
}

#[cfg(test)]
mod tests {
    use super::{ORDER, is_canonical};

    #[test]
    fn canonical_scalars_are_those_below_the_order() {
        let mut below = ORDER;
        below[0] -= 1;
        assert!(is_canonical(&below));
        assert!(is_canonical(&[0; 32]));
        assert!(!is_canonical(&ORDER));
        let mut above = ORDER;
        above[31] += 1;
        assert!(!is_canonical(&above));
        assert!(!is_canonical(&[0xff; 32]));
    }
}
