//! Private-key helpers for backends: drawing a random key, and reading a NIST-curve scalar.

use cohort_crypto::{CryptoError, CryptoErrorKind, Secret};

/// How many candidates [`generate`] draws before it gives up.
const TRIES: usize = 64;

/// Generates a private key from random bytes: draws `len` bytes with `random_fill`, ANDs the
/// first one with `mask`, and offers them to `accept`, until `accept` takes a candidate.
///
/// `mask` is `0x01` for P-521 (a 521-bit scalar in 66 bytes) and `0xff` otherwise. For the NIST
/// curves a random string is a valid scalar with overwhelming probability, so the bound of 64
/// candidates only guards against a broken RNG. Each candidate is zeroized once offered.
///
/// # Errors
/// Errors of `random_fill`; [`CryptoErrorKind::Random`] when `accept` refuses every candidate.
pub fn generate<T>(
    len: usize,
    mask: u8,
    mut random_fill: impl FnMut(&mut [u8]) -> Result<(), CryptoError>,
    mut accept: impl FnMut(&[u8]) -> Result<T, CryptoError>,
) -> Result<T, CryptoError> {
    for _ in 0..TRIES {
        let mut candidate = Secret::new(vec![0; len]);
        random_fill(candidate.as_mut_bytes())?;
        if let Some(first) = candidate.as_mut_bytes().first_mut() {
            *first &= mask;
        }
        if let Ok(key) = accept(candidate.as_bytes()) {
            return Ok(key);
        }
    }
    Err(CryptoErrorKind::Random.into())
}

/// A big-endian private scalar of a NIST curve, left-padded with zeros to the field size `len`.
///
/// Some encoders write the scalar without leading zero bytes (one key in 256 for P-521); the
/// value is the same integer, so it is accepted. Whether the value is in range is for the curve
/// implementation to check.
///
/// # Errors
/// [`CryptoErrorKind::InvalidPrivateKey`] for empty input or input longer than `len`.
pub fn scalar_bytes(bytes: &[u8], len: usize) -> Result<Secret, CryptoError> {
    if bytes.is_empty() || bytes.len() > len {
        return Err(CryptoErrorKind::InvalidPrivateKey.into());
    }
    let mut out = Secret::new(vec![0; len]);
    out.as_mut_bytes()[len - bytes.len()..].copy_from_slice(bytes);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_scalars_are_left_padded_and_long_ones_refused() {
        let padded = scalar_bytes(&[1, 2, 3], 5).expect("short scalar");
        assert_eq!(padded.as_bytes(), &[0, 0, 1, 2, 3]);
        assert_eq!(scalar_bytes(&[7; 5], 5).expect("full").as_bytes(), &[7; 5]);
        assert!(scalar_bytes(&[1; 6], 5).is_err());
        assert!(scalar_bytes(&[], 5).is_err());
    }

    #[test]
    fn generate_masks_the_first_byte_and_retries_refused_candidates() {
        let mut draws = 0u8;
        let fill = |out: &mut [u8]| {
            draws += 1;
            out.fill(draws | 0xf0);
            Ok(())
        };
        // The first candidate is refused, the second taken.
        let key = generate(3, 0x01, fill, |c| match c {
            [0x01, 0xf1, 0xf1] => Err(CryptoErrorKind::InvalidPrivateKey.into()),
            _ => Ok(c.to_vec()),
        })
        .expect("second candidate");
        assert_eq!(key, [0x00, 0xf2, 0xf2]);
    }

    #[test]
    fn generate_gives_up_as_a_random_failure() {
        let refused: Result<(), _> = generate(
            2,
            0xff,
            |_| Ok(()),
            |_| Err(CryptoErrorKind::InvalidPrivateKey.into()),
        );
        assert_eq!(refused.map_err(|e| e.kind()), Err(CryptoErrorKind::Random));
    }
}
