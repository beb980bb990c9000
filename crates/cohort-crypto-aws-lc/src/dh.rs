//! The Diffie-Hellman groups under the DHKEMs: X25519, P-256, P-384, P-521, with aws-lc's static
//! (non-ephemeral) agreement keys.

use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
use cohort_crypto::{
    CryptoError, CryptoErrorKind, HpkePrivateKey, HpkePublicKey, HpkeSuite, Secret,
};
use cohort_crypto_hpke::{DeriveMethod, DhGroup, keys};

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
            Secret::from_slice(sk)
        } else {
            keys::scalar_bytes(sk, self.field_len())?
        };
        PrivateKey::from_private_key(self.algorithm(), sk.as_bytes())
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
        let mask = if *self == Self::P521 { 0x01 } else { 0xff };
        keys::generate(self.field_len(), mask, rng::fill, |bytes| {
            let sk = HpkePrivateKey::from_slice(bytes);
            let pk = self.public_key(&sk)?;
            Ok((sk, pk))
        })
    }

    fn private_key_from_bytes(&self, bytes: &[u8]) -> Result<HpkePrivateKey, CryptoError> {
        if *self == Self::X25519 {
            // Every 32 bytes are an X25519 private key (RFC 7748 clamps them), and importing
            // one into aws-lc costs a scalar multiplication for its public key, which
            // `DeriveKeyPair` computes right after anyway.
            if bytes.len() != self.field_len() {
                return Err(CryptoErrorKind::InvalidPrivateKey.into());
            }
        } else {
            self.private_key(bytes)?;
        }
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
        if *self == Self::X25519 {
            // Any 32 bytes are an X25519 key; only the small-order ones are refused, found by
            // comparison rather than by an agreement with a probe key.
            self.check_encoding(pk)?;
            let u: &[u8; 32] = pk
                .try_into()
                .map_err(|_| CryptoError::new(CryptoErrorKind::InvalidPublicKey))?;
            if cohort_crypto_hpke::x25519::is_small_order(u) {
                return Err(CryptoErrorKind::InvalidPublicKey.into());
            }
            return Ok(());
        }
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

    fn generate_and_dh(&self, pk: &[u8]) -> Result<(HpkePublicKey, Secret), CryptoError> {
        // aws-lc computes the public key when it imports a private key: import the ephemeral
        // key once and use it for both.
        let mask = if *self == Self::P521 { 0x01 } else { 0xff };
        let (sk_e, pk_e) = keys::generate(self.field_len(), mask, rng::fill, |bytes| {
            let sk = self.private_key(bytes)?;
            let pk = sk
                .compute_public_key()
                .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e))?;
            Ok((sk, HpkePublicKey::from(pk.as_ref().to_vec())))
        })?;
        Ok((pk_e, self.agree(&sk_e, pk)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// X25519 private keys are taken without an import, but only at their length; and the
    /// public key of one is still aws-lc's.
    #[test]
    fn x25519_private_key_from_bytes() {
        let alg = DhAlg::X25519;
        assert!(alg.private_key_from_bytes(&[1; 31]).is_err());
        assert!(alg.private_key_from_bytes(&[1; 33]).is_err());
        let sk = alg.private_key_from_bytes(&[1; 32]).unwrap();
        let (generated, pk) = alg.generate().unwrap();
        let again = alg.private_key_from_bytes(generated.as_bytes()).unwrap();
        assert_eq!(alg.public_key(&again).unwrap(), pk);
        assert_ne!(alg.public_key(&sk).unwrap(), pk);
    }
}
