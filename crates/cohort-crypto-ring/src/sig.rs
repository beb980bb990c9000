//! Ed25519 (raw signatures) and ECDSA over P-256 and P-384 (DER signatures), signed and verified
//! by ring.
//!
//! ring imports a raw ECDSA key only together with its public key
//! (`EcdsaKeyPair::from_private_key_and_public_key`, which checks that they match); the public
//! point of a scalar is computed with `p256`/`p384`, as ring does not expose that operation.

use cohort_crypto::{
    CryptoError, CryptoErrorKind, SignaturePrivateKey, SignaturePublicKey, SignatureScheme,
};
use cohort_crypto_hpke::{SignatureAlgorithm, keys};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

use crate::dh::{nist_p256, nist_p384};
use crate::rng;

/// A signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SigAlg {
    Ed25519,
    P256,
    P384,
}

impl SigAlg {
    fn private_len(self) -> usize {
        match self {
            Self::Ed25519 | Self::P256 => 32,
            Self::P384 => 48,
        }
    }

    fn public_len(self) -> usize {
        match self {
            Self::Ed25519 => 32,
            _ => 1 + 2 * self.private_len(),
        }
    }

    fn signing(self) -> &'static signature::EcdsaSigningAlgorithm {
        match self {
            Self::P384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            _ => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        }
    }

    fn verification(self) -> &'static dyn signature::VerificationAlgorithm {
        match self {
            Self::Ed25519 => &signature::ED25519,
            Self::P256 => &signature::ECDSA_P256_SHA256_ASN1,
            Self::P384 => &signature::ECDSA_P384_SHA384_ASN1,
        }
    }

    fn check_private(self, sk: &[u8]) -> Result<(), CryptoError> {
        if sk.len() != self.private_len() {
            return Err(CryptoErrorKind::InvalidPrivateKey.into());
        }
        Ok(())
    }

    fn ed25519(sk: &[u8]) -> Result<Ed25519KeyPair, CryptoError> {
        Ed25519KeyPair::from_seed_unchecked(sk)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e))
    }

    fn ecdsa_public(self, sk: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match self {
            Self::P384 => nist_p384::public_of(sk),
            _ => nist_p256::public_of(sk),
        }
    }
}

impl SignatureAlgorithm for SigAlg {
    fn scheme(&self) -> SignatureScheme {
        match self {
            Self::Ed25519 => SignatureScheme::ED25519,
            Self::P256 => SignatureScheme::ECDSA_SECP256R1_SHA256,
            Self::P384 => SignatureScheme::ECDSA_SECP384R1_SHA384,
        }
    }

    fn generate(&self) -> Result<(SignaturePrivateKey, SignaturePublicKey), CryptoError> {
        keys::generate(self.private_len(), 0xff, rng::fill, |bytes| {
            let sk = SignaturePrivateKey::from_slice(bytes);
            let pk = self.public_key(&sk)?;
            Ok((sk, pk))
        })
    }

    fn public_key(&self, sk: &SignaturePrivateKey) -> Result<SignaturePublicKey, CryptoError> {
        let sk = sk.as_bytes();
        self.check_private(sk)?;
        let pk = match self {
            Self::Ed25519 => Self::ed25519(sk)?.public_key().as_ref().to_vec(),
            _ => self.ecdsa_public(sk)?,
        };
        Ok(SignaturePublicKey::from(pk))
    }

    fn sign(&self, sk: &SignaturePrivateKey, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let sk = sk.as_bytes();
        self.check_private(sk)?;
        match self {
            Self::Ed25519 => Ok(Self::ed25519(sk)?.sign(msg).as_ref().to_vec()),
            _ => {
                let pk = self.ecdsa_public(sk)?;
                let rng = SystemRandom::new();
                let pair =
                    EcdsaKeyPair::from_private_key_and_public_key(self.signing(), sk, &pk, &rng)
                        .map_err(|e| {
                            CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e)
                        })?;
                let sig = pair
                    .sign(&rng, msg)
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::Backend, e))?;
                Ok(sig.as_ref().to_vec())
            }
        }
    }

    fn verify(&self, pk: &SignaturePublicKey, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        let pk = pk.as_ref();
        let uncompressed = *self == Self::Ed25519 || pk.first() == Some(&0x04);
        if pk.len() != self.public_len() || !uncompressed {
            return Err(CryptoErrorKind::InvalidPublicKey.into());
        }
        UnparsedPublicKey::new(self.verification(), pk)
            .verify(msg, sig)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidSignature, e))
    }
}
