//! AES-GCM and ChaCha20-Poly1305.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use cohort_crypto::{CryptoError, CryptoErrorKind, HpkeSuite};
use cohort_crypto_hpke::Aead;

const NONCE_LEN: usize = 12;

/// The AEADs of the MLS suites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AeadAlg {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl AeadAlg {
    fn key(self, key: &[u8], nonce: &[u8]) -> Result<(LessSafeKey, Nonce), CryptoError> {
        let alg = match self {
            Self::Aes128Gcm => &aead::AES_128_GCM,
            Self::Aes256Gcm => &aead::AES_256_GCM,
            Self::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        };
        if key.len() != self.key_len() {
            return Err(CryptoErrorKind::InvalidLength.into());
        }
        let key = UnboundKey::new(alg, key)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidLength, e))?;
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidLength, e))?;
        Ok((LessSafeKey::new(key), nonce))
    }
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
        // Room for the tag up front: appending it must not move the whole message again.
        let mut in_out = Vec::with_capacity(pt.len() + key_tag_len());
        in_out.extend_from_slice(pt);
        self.seal_in_place(key, nonce, aad, &mut in_out)?;
        Ok(in_out)
    }

    fn seal_in_place(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        buffer: &mut Vec<u8>,
    ) -> Result<(), CryptoError> {
        let (key, nonce) = self.key(key, nonce)?;
        key.seal_in_place_append_tag(nonce, Aad::from(aad), buffer)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::Backend, e))
    }

    fn open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ct: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let (key, nonce) = self.key(key, nonce)?;
        let mut in_out = ct.to_vec();
        let len = key
            .open_in_place(nonce, Aad::from(aad), &mut in_out)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::AeadOpenFailed, e))?
            .len();
        in_out.truncate(len);
        Ok(in_out)
    }
}

/// The tag length of every AEAD of the MLS cipher suites (AES-GCM and ChaCha20-Poly1305).
const fn key_tag_len() -> usize {
    16
}
