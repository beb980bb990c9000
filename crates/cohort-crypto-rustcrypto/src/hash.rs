//! SHA-2, HMAC and HKDF.

use cohort_crypto::{CryptoError, CryptoErrorKind, HpkeSuite, Secret};
use cohort_crypto_hpke::{HashFunction, Kdf};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha384, Sha512};

/// A SHA-2 hash and the HMAC and HKDF built on it, as the composition kit's [`HashFunction`]:
/// for a provider that composes its own suites from these and other primitives
/// (docs/providers.md).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashFunction for HashAlg {
    fn hash(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(match self {
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha384 => Sha384::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        })
    }

    fn mac(&self, key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        fn run<M: Mac + hmac::digest::KeyInit>(
            key: &[u8],
            data: &[u8],
        ) -> Result<Vec<u8>, CryptoError> {
            let mut mac = <M as Mac>::new_from_slice(key)
                .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidLength, e))?;
            mac.update(data);
            Ok(mac.finalize().into_bytes().to_vec())
        }
        match self {
            Self::Sha256 => run::<Hmac<Sha256>>(key, data),
            Self::Sha384 => run::<Hmac<Sha384>>(key, data),
            Self::Sha512 => run::<Hmac<Sha512>>(key, data),
        }
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
        Ok(Secret::new(match self {
            Self::Sha256 => Hkdf::<Sha256>::extract(Some(salt), ikm).0.to_vec(),
            Self::Sha384 => Hkdf::<Sha384>::extract(Some(salt), ikm).0.to_vec(),
            Self::Sha512 => Hkdf::<Sha512>::extract(Some(salt), ikm).0.to_vec(),
        }))
    }

    fn expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, CryptoError> {
        let mut okm = Secret::new(vec![0; len]);
        let out = okm.as_mut_bytes();
        let result = match self {
            Self::Sha256 => Hkdf::<Sha256>::from_prk(prk).map(|h| h.expand(info, out)),
            Self::Sha384 => Hkdf::<Sha384>::from_prk(prk).map(|h| h.expand(info, out)),
            Self::Sha512 => Hkdf::<Sha512>::from_prk(prk).map(|h| h.expand(info, out)),
        };
        match result {
            Ok(Ok(())) => Ok(okm),
            _ => Err(CryptoErrorKind::InvalidLength.into()),
        }
    }
}
