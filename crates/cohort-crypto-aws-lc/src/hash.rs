//! SHA-2, HMAC, and HKDF built on the HMAC.

use aws_lc_rs::{digest, hmac};
use cohort_crypto::{CryptoError, HpkeSuite, Secret};
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
        hkdf::expand(&|k, d| self.mac(k, d), self.hash_len(), prk, info, len)
    }
}
