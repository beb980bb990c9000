//! AES-GCM and ChaCha20-Poly1305.

use aes_gcm::aead::{KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;
use cohort_crypto::{CryptoError, CryptoErrorKind, HpkeSuite};
use cohort_crypto_hpke::Aead;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// The AEADs of the MLS suites, as the composition kit's [`Aead`]: for a provider that
/// composes its own suites from these and other primitives (docs/providers.md).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AeadAlg {
    /// AES-128-GCM.
    Aes128Gcm,
    /// AES-256-GCM.
    Aes256Gcm,
    /// ChaCha20-Poly1305.
    ChaCha20Poly1305,
}

impl AeadAlg {
    fn check(self, key: &[u8], nonce: &[u8]) -> Result<(), CryptoError> {
        if key.len() != self.key_len() || nonce.len() != NONCE_LEN {
            return Err(CryptoErrorKind::InvalidLength.into());
        }
        Ok(())
    }
}

fn seal_with<C: KeyInit + aes_gcm::aead::Aead>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    pt: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let cipher = C::new_from_slice(key)
        .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidLength, e))?;
    // The caller checked the nonce length, so `from_slice` cannot panic.
    let nonce = aes_gcm::aead::generic_array::GenericArray::from_slice(nonce);
    cipher
        .encrypt(nonce, Payload { msg: pt, aad })
        .map_err(|_| CryptoErrorKind::InvalidLength.into())
}

fn open_with<C: KeyInit + aes_gcm::aead::Aead>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ct: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let cipher = C::new_from_slice(key)
        .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidLength, e))?;
    // The caller checked the nonce length, so `from_slice` cannot panic.
    let nonce = aes_gcm::aead::generic_array::GenericArray::from_slice(nonce);
    cipher
        .decrypt(nonce, Payload { msg: ct, aad })
        .map_err(|_| CryptoErrorKind::AeadOpenFailed.into())
}

impl Aead for AeadAlg {
    fn aead_id(&self) -> u16 {
        match self {
            Self::Aes128Gcm => HpkeSuite::AEAD_AES128GCM,
            Self::Aes256Gcm => HpkeSuite::AEAD_AES256GCM,
            Self::ChaCha20Poly1305 => HpkeSuite::AEAD_CHACHA20POLY1305,
        }
    }

    fn key_len(&self) -> usize {
        match self {
            Self::Aes128Gcm => 16,
            Self::Aes256Gcm | Self::ChaCha20Poly1305 => 32,
        }
    }

    fn nonce_len(&self) -> usize {
        NONCE_LEN
    }

    fn seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        pt: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.check(key, nonce)?;
        match self {
            Self::Aes128Gcm => seal_with::<Aes128Gcm>(key, nonce, aad, pt),
            Self::Aes256Gcm => seal_with::<Aes256Gcm>(key, nonce, aad, pt),
            Self::ChaCha20Poly1305 => seal_with::<ChaCha20Poly1305>(key, nonce, aad, pt),
        }
    }

    fn open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ct: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.check(key, nonce)?;
        if ct.len() < TAG_LEN {
            return Err(CryptoErrorKind::AeadOpenFailed.into());
        }
        match self {
            Self::Aes128Gcm => open_with::<Aes128Gcm>(key, nonce, aad, ct),
            Self::Aes256Gcm => open_with::<Aes256Gcm>(key, nonce, aad, ct),
            Self::ChaCha20Poly1305 => open_with::<ChaCha20Poly1305>(key, nonce, aad, ct),
        }
    }
}
