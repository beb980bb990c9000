//! The Diffie-Hellman groups under the DHKEMs: X25519, P-256, P-384, P-521, with aws-lc's static
//! (non-ephemeral) agreement keys.

use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
use cohort_crypto::{
    CryptoError, CryptoErrorKind, HpkePrivateKey, HpkePublicKey, HpkeSuite, Secret,
};
use cohort_crypto_hpke::{DeriveMethod, DhGroup};

use crate::rng;

/// A DH group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DhAlg {
    X25519,
    P256,
    P384,
    P521,
}

impl DhAlg {
    pub(crate) fn algorithm(self) -> &'static agreement::Algorithm {
        match self {
            Self::X25519 => &agreement::X25519,
            Self::P256 => &agreement::ECDH_P256,
            Self::P384 => &agreement::ECDH_P384,
            Self::P521 => &agreement::ECDH_P521,
        }
    }

    fn field_len(self) -> usize {
        match self {
            Self::X25519 | Self::P256 => 32,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }

    fn public_len(self) -> usize {
        match self {
            Self::X25519 => 32,
            _ => 1 + 2 * self.field_len(),
        }
    }

    pub(crate) fn private_key(self, sk: &[u8]) -> Result<PrivateKey, CryptoError> {
        let sk = if self == Self::X25519 {
            if sk.len() != self.field_len() {
                return Err(CryptoErrorKind::InvalidPrivateKey.into());
            }
            zeroize::Zeroizing::new(sk.to_vec())
        } else {
            scalar_bytes(sk, self.field_len())?
        };
        PrivateKey::from_private_key(self.algorithm(), &sk)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e))
    }

    /// Length and form: uncompressed points only for the NIST curves (RFC 9180 §7.1.1).
    fn check_encoding(self, pk: &[u8]) -> Result<(), CryptoError> {
        let uncompressed = self == Self::X25519 || pk.first() == Some(&0x04);
        if pk.len() != self.public_len() || !uncompressed {
            return Err(CryptoErrorKind::InvalidPublicKey.into());
        }
        Ok(())
    }

    fn agree(self, sk: &PrivateKey, pk: &[u8]) -> Result<Secret, CryptoError> {
        self.check_encoding(pk)?;
        let shared = agreement::agree(
            sk,
            UnparsedPublicKey::new(self.algorithm(), pk),
            CryptoError::new(CryptoErrorKind::InvalidPublicKey),
            |k| Ok(Secret::from_slice(k)),
        )?;
        if shared.as_bytes().iter().all(|b| *b == 0) {
            return Err(CryptoErrorKind::ZeroSharedSecret.into());
        }
        Ok(shared)
    }
}

impl DhGroup for DhAlg {
    fn kem_id(&self) -> u16 {
        match self {
            Self::X25519 => HpkeSuite::KEM_X25519_SHA256,
            Self::P256 => HpkeSuite::KEM_P256_SHA256,
            Self::P384 => HpkeSuite::KEM_P384_SHA384,
            Self::P521 => HpkeSuite::KEM_P521_SHA512,
        }
    }

    fn private_key_len(&self) -> usize {
        self.field_len()
    }

    fn derive_method(&self) -> DeriveMethod {
        match self {
            Self::X25519 => DeriveMethod::Expand,
            Self::P256 | Self::P384 => DeriveMethod::Rejection { bitmask: 0xff },
            Self::P521 => DeriveMethod::Rejection { bitmask: 0x01 },
        }
    }

    fn generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        // A random string is a valid scalar with overwhelming probability; the bound only guards
        // against a broken RNG.
        for _ in 0..64 {
            let mut sk = HpkePrivateKey::new(vec![0; self.field_len()]);
            rng::fill(sk.as_mut_bytes())?;
            if *self == Self::P521 {
                if let Some(first) = sk.as_mut_bytes().first_mut() {
                    *first &= 0x01;
                }
            }
            if let Ok(pk) = self.public_key(&sk) {
                return Ok((sk, pk));
            }
        }
        Err(CryptoErrorKind::Random.into())
    }

    fn private_key_from_bytes(&self, bytes: &[u8]) -> Result<HpkePrivateKey, CryptoError> {
        self.private_key(bytes)?;
        Ok(HpkePrivateKey::from_slice(bytes))
    }

    fn public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        let pk = self
            .private_key(sk.as_bytes())?
            .compute_public_key()
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e))?;
        Ok(HpkePublicKey::from(pk.as_ref().to_vec()))
    }

    fn validate_public_key(&self, pk: &[u8]) -> Result<(), CryptoError> {
        // Agreement with a fixed key parses the point (on the curve, not the identity) and, for
        // X25519, exposes small-order points through an all-zero or rejected result.
        let mut probe = vec![0x42; self.field_len()];
        if *self == Self::P521 {
            probe[0] = 0x01;
        }
        let probe = self.private_key(&probe)?;
        self.agree(&probe, pk)
            .map(drop)
            .map_err(|e| match e.kind() {
                CryptoErrorKind::ZeroSharedSecret => {
                    CryptoError::new(CryptoErrorKind::InvalidPublicKey)
                }
                _ => e,
            })
    }

    fn dh(&self, sk: &HpkePrivateKey, pk: &[u8]) -> Result<Secret, CryptoError> {
        let sk = self.private_key(sk.as_bytes())?;
        self.agree(&sk, pk)
    }
}

/// A big-endian private scalar of a NIST curve, left-padded with zeros to the field size `len`.
///
/// Some encoders write the scalar without leading zero bytes (one key in 256 for P-521); the
/// value is the same integer, so it is accepted. Longer or empty input is an invalid key.
pub(crate) fn scalar_bytes(
    bytes: &[u8],
    len: usize,
) -> Result<zeroize::Zeroizing<Vec<u8>>, cohort_crypto::CryptoError> {
    if bytes.is_empty() || bytes.len() > len {
        return Err(cohort_crypto::CryptoErrorKind::InvalidPrivateKey.into());
    }
    let mut out = zeroize::Zeroizing::new(vec![0u8; len]);
    out[len - bytes.len()..].copy_from_slice(bytes);
    Ok(out)
}
