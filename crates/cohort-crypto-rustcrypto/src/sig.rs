//! Signature schemes: Ed25519, Ed448 (raw signatures), ECDSA over P-256, P-384, P-521 (DER), and
//! ML-DSA-44/65/87 (FIPS 204, seed private keys; see [`crate::mldsa`]).

use std::sync::Arc;

use cohort_crypto::{
    CryptoError, CryptoErrorKind, PreparedSigningKey, SignaturePrivateKey, SignaturePublicKey,
    SignatureScheme,
};
use cohort_crypto_hpke::{SignatureAlgorithm, keys};
use zeroize::Zeroizing;

use crate::mldsa::{self, MlDsa};
use crate::rng;

/// A signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SigAlg {
    Ed25519,
    Ed448,
    P256,
    P384,
    P521,
    MlDsa44,
    MlDsa65,
    MlDsa87,
}

/// Instantiates ECDSA for one curve crate.
macro_rules! ecdsa_curve {
    ($module:ident, $krate:ident, $len:expr) => {
        mod $module {
            use cohort_crypto::{CryptoError, CryptoErrorKind};
            use $krate::ecdsa::signature::{Signer as _, Verifier as _};
            use $krate::ecdsa::{Signature, SigningKey, VerifyingKey};

            const LEN: usize = $len;

            fn signing_key(sk: &[u8]) -> Result<SigningKey, CryptoError> {
                let sk = cohort_crypto_hpke::keys::scalar_bytes(sk, LEN)?;
                SigningKey::from_slice(sk.as_bytes())
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e))
            }

            pub(crate) fn public_of(sk: &[u8]) -> Result<Vec<u8>, CryptoError> {
                let vk = VerifyingKey::from(&signing_key(sk)?);
                Ok(vk.to_encoded_point(false).as_bytes().to_vec())
            }

            pub(crate) fn sign(sk: &[u8], msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
                let sig: Signature = signing_key(sk)?
                    .try_sign(msg)
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::Backend, e))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }

            pub(crate) fn verify(pk: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
                if pk.len() != 1 + 2 * LEN || pk.first() != Some(&0x04) {
                    return Err(CryptoErrorKind::InvalidPublicKey.into());
                }
                let vk = VerifyingKey::from_sec1_bytes(pk)
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPublicKey, e))?;
                let sig = Signature::from_der(sig)
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidSignature, e))?;
                vk.verify(msg, &sig)
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidSignature, e))
            }
        }
    };
}

ecdsa_curve!(ecdsa_p256, p256, 32);
ecdsa_curve!(ecdsa_p384, p384, 48);
ecdsa_curve!(ecdsa_p521, p521, 66);

const ED25519_LEN: usize = 32;
const ED448_LEN: usize = 57;

fn ed25519_key(sk: &[u8]) -> Result<ed25519_dalek::SigningKey, CryptoError> {
    let seed: Zeroizing<[u8; ED25519_LEN]> = Zeroizing::new(
        sk.try_into()
            .map_err(|_| CryptoError::new(CryptoErrorKind::InvalidPrivateKey))?,
    );
    Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
}

fn ed448_key(sk: &[u8]) -> Result<ed448_goldilocks_plus::SigningKey, CryptoError> {
    if sk.len() != ED448_LEN {
        return Err(CryptoErrorKind::InvalidPrivateKey.into());
    }
    ed448_goldilocks_plus::SigningKey::try_from(sk)
        .map_err(|_| CryptoErrorKind::InvalidPrivateKey.into())
}

impl SigAlg {
    fn private_len(self) -> usize {
        match self {
            Self::Ed25519 | Self::P256 => 32,
            Self::Ed448 => ED448_LEN,
            Self::P384 => 48,
            Self::P521 => 66,
            Self::MlDsa44 | Self::MlDsa65 | Self::MlDsa87 => mldsa::SEED_LEN,
        }
    }

    /// The ML-DSA parameter set, for the ML-DSA schemes.
    fn ml_dsa(self) -> Option<MlDsa> {
        match self {
            Self::MlDsa44 => Some(MlDsa::P44),
            Self::MlDsa65 => Some(MlDsa::P65),
            Self::MlDsa87 => Some(MlDsa::P87),
            _ => None,
        }
    }
}

impl SignatureAlgorithm for SigAlg {
    fn scheme(&self) -> SignatureScheme {
        match self {
            Self::Ed25519 => SignatureScheme::ED25519,
            Self::Ed448 => SignatureScheme::ED448,
            Self::P256 => SignatureScheme::ECDSA_SECP256R1_SHA256,
            Self::P384 => SignatureScheme::ECDSA_SECP384R1_SHA384,
            Self::P521 => SignatureScheme::ECDSA_SECP521R1_SHA512,
            Self::MlDsa44 => SignatureScheme::MLDSA44,
            Self::MlDsa65 => SignatureScheme::MLDSA65,
            Self::MlDsa87 => SignatureScheme::MLDSA87,
        }
    }

    fn generate(&self) -> Result<(SignaturePrivateKey, SignaturePublicKey), CryptoError> {
        let mask = if *self == Self::P521 { 0x01 } else { 0xff };
        keys::generate(self.private_len(), mask, rng::fill, |bytes| {
            let sk = SignaturePrivateKey::from_slice(bytes);
            let pk = self.public_key(&sk)?;
            Ok((sk, pk))
        })
    }

    fn public_key(&self, sk: &SignaturePrivateKey) -> Result<SignaturePublicKey, CryptoError> {
        let sk = sk.as_bytes();
        let pk = match self {
            Self::Ed25519 => ed25519_key(sk)?.verifying_key().to_bytes().to_vec(),
            Self::Ed448 => ed448_key(sk)?.verifying_key().to_bytes().to_vec(),
            Self::P256 => ecdsa_p256::public_of(sk)?,
            Self::P384 => ecdsa_p384::public_of(sk)?,
            Self::P521 => ecdsa_p521::public_of(sk)?,
            Self::MlDsa44 => MlDsa::P44.public_of(sk)?,
            Self::MlDsa65 => MlDsa::P65.public_of(sk)?,
            Self::MlDsa87 => MlDsa::P87.public_of(sk)?,
        };
        Ok(SignaturePublicKey::from(pk))
    }

    fn sign(&self, sk: &SignaturePrivateKey, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        use ed25519_dalek::Signer as _;
        let sk = sk.as_bytes();
        match self {
            Self::Ed25519 => Ok(ed25519_key(sk)?.sign(msg).to_bytes().to_vec()),
            Self::Ed448 => Ok(ed448_key(sk)?.sign_raw(msg).to_bytes().to_vec()),
            Self::P256 => ecdsa_p256::sign(sk, msg),
            Self::P384 => ecdsa_p384::sign(sk, msg),
            Self::P521 => ecdsa_p521::sign(sk, msg),
            Self::MlDsa44 => MlDsa::P44.sign(sk, msg),
            Self::MlDsa65 => MlDsa::P65.sign(sk, msg),
            Self::MlDsa87 => MlDsa::P87.sign(sk, msg),
        }
    }

    fn prepare(
        &self,
        sk: &SignaturePrivateKey,
    ) -> Result<Option<Arc<dyn PreparedSigningKey>>, CryptoError> {
        // Expanding an ML-DSA seed (the matrix A, the secret vectors) costs about as much as a
        // signature: do it once.
        if let Some(ml_dsa) = self.ml_dsa() {
            return ml_dsa.prepare(sk.as_bytes()).map(Some);
        }
        match self {
            Self::Ed25519 => Ok(Some(Arc::new(PreparedEd25519(ed25519_key(sk.as_bytes())?)))),
            _ => Ok(None),
        }
    }

    fn verify_batch(
        &self,
        items: &[(&SignaturePublicKey, &[u8], &[u8])],
    ) -> Result<(), CryptoError> {
        match self {
            Self::Ed25519 => cohort_crypto_hpke::ed25519_batch::verify_batch(items, &rng::fill),
            _ => items
                .iter()
                .try_for_each(|(pk, msg, sig)| self.verify(pk, msg, sig)),
        }
    }

    fn verify(&self, pk: &SignaturePublicKey, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        let pk = pk.as_ref();
        match self {
            Self::Ed25519 => {
                let pk: [u8; 32] = pk
                    .try_into()
                    .map_err(|_| CryptoError::new(CryptoErrorKind::InvalidPublicKey))?;
                let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk)
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPublicKey, e))?;
                let sig = ed25519_dalek::Signature::from_slice(sig)
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidSignature, e))?;
                // RFC 8032 verification, rejecting non-canonical S, as ring and aws-lc do: members
                // of one group may use different backends and must agree on every signature.
                // (`verify_strict` would also reject small-order keys, which those backends
                // accept.)
                ed25519_dalek::Verifier::verify(&vk, msg, &sig)
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidSignature, e))
            }
            Self::Ed448 => {
                let pk: [u8; ED448_LEN] = pk
                    .try_into()
                    .map_err(|_| CryptoError::new(CryptoErrorKind::InvalidPublicKey))?;
                let vk = ed448_goldilocks_plus::VerifyingKey::from_bytes(&pk)
                    .map_err(|_| CryptoError::new(CryptoErrorKind::InvalidPublicKey))?;
                let sig = ed448_goldilocks_plus::Signature::from_slice(sig)
                    .map_err(|_| CryptoError::new(CryptoErrorKind::InvalidSignature))?;
                vk.verify_raw(&sig, msg)
                    .map_err(|_| CryptoError::new(CryptoErrorKind::InvalidSignature))
            }
            Self::P256 => ecdsa_p256::verify(pk, msg, sig),
            Self::P384 => ecdsa_p384::verify(pk, msg, sig),
            Self::P521 => ecdsa_p521::verify(pk, msg, sig),
            Self::MlDsa44 => MlDsa::P44.verify(pk, msg, sig),
            Self::MlDsa65 => MlDsa::P65.verify(pk, msg, sig),
            Self::MlDsa87 => MlDsa::P87.verify(pk, msg, sig),
        }
    }
}

/// An Ed25519 key expanded once (the seed hashed, the public point computed), so that signing
/// does not redo it. `ed25519_dalek::SigningKey` erases itself when dropped.
struct PreparedEd25519(ed25519_dalek::SigningKey);

impl core::fmt::Debug for PreparedEd25519 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PreparedEd25519(..)")
    }
}

impl PreparedSigningKey for PreparedEd25519 {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        use ed25519_dalek::Signer as _;
        Ok(self.0.sign(message).to_bytes().to_vec())
    }
}
