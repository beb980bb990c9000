//! Ed25519 (raw signatures), ECDSA over P-256, P-384, P-521 (DER signatures), and ML-DSA-44/65/87
//! (FIPS 204, as draft-ietf-mls-pq-ciphersuites uses it: the private key is the 32-byte seed
//! `xi` of `ML-DSA.KeyGen_internal`, signing is hedged, with the empty context).

use std::sync::Arc;

use aws_lc_rs::agreement;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, PqdsaKeyPair, UnparsedPublicKey,
};
use cohort_crypto::{
    CryptoError, CryptoErrorKind, PreparedSigningKey, Secret, SignaturePrivateKey,
    SignaturePublicKey, SignatureScheme,
};
use cohort_crypto_hpke::{SignatureAlgorithm, keys};

use crate::rng;

/// A signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SigAlg {
    Ed25519,
    P256,
    P384,
    P521,
    MlDsa44,
    MlDsa65,
    MlDsa87,
}

impl SigAlg {
    fn private_len(self) -> usize {
        match self {
            Self::Ed25519 | Self::P256 | Self::MlDsa44 | Self::MlDsa65 | Self::MlDsa87 => 32,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }

    fn public_len(self) -> usize {
        match self {
            Self::Ed25519 => 32,
            Self::MlDsa44 => 1312,
            Self::MlDsa65 => 1952,
            Self::MlDsa87 => 2592,
            _ => 1 + 2 * self.private_len(),
        }
    }

    /// aws-lc's ML-DSA signing and verification algorithms, `None` for the other schemes.
    fn ml_dsa(
        self,
    ) -> Option<(
        &'static signature::PqdsaSigningAlgorithm,
        &'static signature::PqdsaVerificationAlgorithm,
    )> {
        match self {
            Self::MlDsa44 => Some((&signature::ML_DSA_44_SIGNING, &signature::ML_DSA_44)),
            Self::MlDsa65 => Some((&signature::ML_DSA_65_SIGNING, &signature::ML_DSA_65)),
            Self::MlDsa87 => Some((&signature::ML_DSA_87_SIGNING, &signature::ML_DSA_87)),
            _ => None,
        }
    }

    /// The ML-DSA key pair of the seed `sk`.
    fn ml_dsa_pair(
        signing: &'static signature::PqdsaSigningAlgorithm,
        sk: &[u8],
    ) -> Result<PqdsaKeyPair, CryptoError> {
        PqdsaKeyPair::from_seed(signing, sk)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e))
    }

    fn ecdh(self) -> &'static agreement::Algorithm {
        match self {
            Self::P384 => &agreement::ECDH_P384,
            Self::P521 => &agreement::ECDH_P521,
            _ => &agreement::ECDH_P256,
        }
    }

    fn signing(self) -> &'static signature::EcdsaSigningAlgorithm {
        match self {
            Self::P384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            Self::P521 => &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
            _ => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        }
    }

    fn verification(self) -> &'static dyn signature::VerificationAlgorithm {
        match self {
            Self::Ed25519 => &signature::ED25519,
            Self::P256 => &signature::ECDSA_P256_SHA256_ASN1,
            Self::P384 => &signature::ECDSA_P384_SHA384_ASN1,
            Self::P521 => &signature::ECDSA_P521_SHA512_ASN1,
            Self::MlDsa44 => &signature::ML_DSA_44,
            Self::MlDsa65 => &signature::ML_DSA_65,
            Self::MlDsa87 => &signature::ML_DSA_87,
        }
    }

    /// The private key in canonical form: Ed25519 and ML-DSA seeds exactly, ECDSA scalars
    /// left-padded.
    fn private_bytes(self, sk: &[u8]) -> Result<Secret, CryptoError> {
        if self == Self::Ed25519 || self.ml_dsa().is_some() {
            if sk.len() != self.private_len() {
                return Err(CryptoErrorKind::InvalidPrivateKey.into());
            }
            return Ok(Secret::from_slice(sk));
        }
        keys::scalar_bytes(sk, self.private_len())
    }

    fn ed25519(sk: &[u8]) -> Result<Ed25519KeyPair, CryptoError> {
        Ed25519KeyPair::from_seed_unchecked(sk)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e))
    }

    /// aws-lc derives the public point of a scalar through its ECDH key type.
    fn ecdsa_public(self, sk: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let key = agreement::PrivateKey::from_private_key(self.ecdh(), sk)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e))?;
        let pk = key
            .compute_public_key()
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e))?;
        Ok(pk.as_ref().to_vec())
    }
}

impl SignatureAlgorithm for SigAlg {
    fn scheme(&self) -> SignatureScheme {
        match self {
            Self::Ed25519 => SignatureScheme::ED25519,
            Self::P256 => SignatureScheme::ECDSA_SECP256R1_SHA256,
            Self::P384 => SignatureScheme::ECDSA_SECP384R1_SHA384,
            Self::P521 => SignatureScheme::ECDSA_SECP521R1_SHA512,
            Self::MlDsa44 => SignatureScheme::MLDSA44,
            Self::MlDsa65 => SignatureScheme::MLDSA65,
            Self::MlDsa87 => SignatureScheme::MLDSA87,
        }
    }

    fn generate(&self) -> Result<(SignaturePrivateKey, SignaturePublicKey), CryptoError> {
        // Every 32-byte seed is an ML-DSA key: the mask and range checks pass it as is.
        let mask = if *self == Self::P521 { 0x01 } else { 0xff };
        keys::generate(self.private_len(), mask, rng::fill, |bytes| {
            let sk = SignaturePrivateKey::from_slice(bytes);
            let pk = self.public_key(&sk)?;
            Ok((sk, pk))
        })
    }

    fn public_key(&self, sk: &SignaturePrivateKey) -> Result<SignaturePublicKey, CryptoError> {
        let sk = self.private_bytes(sk.as_bytes())?;
        let sk = sk.as_bytes();
        let pk = match (self, self.ml_dsa()) {
            (_, Some((signing, _))) => Self::ml_dsa_pair(signing, sk)?
                .public_key()
                .as_ref()
                .to_vec(),
            (Self::Ed25519, None) => Self::ed25519(sk)?.public_key().as_ref().to_vec(),
            _ => self.ecdsa_public(sk)?,
        };
        Ok(SignaturePublicKey::from(pk))
    }

    fn sign(&self, sk: &SignaturePrivateKey, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let sk = self.private_bytes(sk.as_bytes())?;
        let sk = sk.as_bytes();
        if let Some((signing, _)) = self.ml_dsa() {
            return ml_dsa_sign(&Self::ml_dsa_pair(signing, sk)?, msg);
        }
        match self {
            Self::Ed25519 => Ok(Self::ed25519(sk)?.sign(msg).as_ref().to_vec()),
            _ => {
                let pk = self.ecdsa_public(sk)?;
                let pair = EcdsaKeyPair::from_private_key_and_public_key(self.signing(), sk, &pk)
                    .map_err(|e| {
                    CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e)
                })?;
                let sig = pair
                    .sign(&SystemRandom::new(), msg)
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::Backend, e))?;
                Ok(sig.as_ref().to_vec())
            }
        }
    }

    fn prepare(
        &self,
        sk: &SignaturePrivateKey,
    ) -> Result<Option<Arc<dyn PreparedSigningKey>>, CryptoError> {
        let sk = self.private_bytes(sk.as_bytes())?;
        let sk = sk.as_bytes();
        let key = match (self, self.ml_dsa()) {
            (_, Some((signing, _))) => Prepared::MlDsa(Self::ml_dsa_pair(signing, sk)?),
            (Self::Ed25519, None) => Prepared::Ed25519(Self::ed25519(sk)?),
            _ => {
                let pk = self.ecdsa_public(sk)?;
                Prepared::Ecdsa(
                    EcdsaKeyPair::from_private_key_and_public_key(self.signing(), sk, &pk)
                        .map_err(|e| {
                            CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e)
                        })?,
                )
            }
        };
        Ok(Some(Arc::new(key)))
    }

    fn verify_batch(
        &self,
        items: &[(&SignaturePublicKey, &[u8], &[u8])],
    ) -> Result<(), CryptoError> {
        match self {
            #[cfg(feature = "ed25519-batch")]
            Self::Ed25519 => cohort_crypto_hpke::ed25519_batch::verify_batch(items, &rng::fill),
            _ => items
                .iter()
                .try_for_each(|(pk, msg, sig)| self.verify(pk, msg, sig)),
        }
    }

    fn verify(&self, pk: &SignaturePublicKey, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        let pk = pk.as_ref();
        let uncompressed =
            *self == Self::Ed25519 || self.ml_dsa().is_some() || pk.first() == Some(&0x04);
        if pk.len() != self.public_len() || !uncompressed {
            return Err(CryptoErrorKind::InvalidPublicKey.into());
        }
        UnparsedPublicKey::new(self.verification(), pk)
            .verify(msg, sig)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidSignature, e))
    }
}

/// A private key parsed once into aws-lc's key type: signing then skips expanding the seed (and,
/// for Ed25519, the base-point multiplication that recomputes the public key) every time.
/// aws-lc frees, and cleanses, the key when it is dropped.
enum Prepared {
    Ed25519(Ed25519KeyPair),
    Ecdsa(EcdsaKeyPair),
    MlDsa(PqdsaKeyPair),
}

/// An ML-DSA signature of `msg` (hedged, with the empty context).
fn ml_dsa_sign(pair: &PqdsaKeyPair, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut sig = vec![0; pair.algorithm().signature_len()];
    let len = pair
        .sign(msg, &mut sig)
        .map_err(|e| CryptoError::with_source(CryptoErrorKind::Backend, e))?;
    sig.truncate(len);
    Ok(sig)
}

impl core::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Ed25519(_) => "Prepared(Ed25519, ..)",
            Self::Ecdsa(_) => "Prepared(ECDSA, ..)",
            Self::MlDsa(_) => "Prepared(ML-DSA, ..)",
        })
    }
}

impl PreparedSigningKey for Prepared {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match self {
            Self::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            Self::Ecdsa(pair) => pair
                .sign(&SystemRandom::new(), message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|e| CryptoError::with_source(CryptoErrorKind::Backend, e)),
            Self::MlDsa(pair) => ml_dsa_sign(pair, message),
        }
    }
}
