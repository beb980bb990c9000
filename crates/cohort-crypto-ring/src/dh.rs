//! The Diffie-Hellman groups under the DHKEMs: X25519, P-256, P-384.
//!
//! ring's `agreement` module only has ephemeral private keys, which cannot be imported, derived
//! (`DeriveKeyPair`) or used twice, while MLS keeps HPKE private keys (init keys, leaf and tree
//! node keys). The group operations therefore use `x25519-dalek`, `p256` and `p384`; everything
//! else in this backend is ring.

use cohort_crypto::{
    CryptoError, CryptoErrorKind, HpkePrivateKey, HpkePublicKey, HpkeSuite, Secret,
};
use cohort_crypto_hpke::{DeriveMethod, DhGroup, keys};
use zeroize::Zeroizing;

use crate::rng;

/// A DH group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DhAlg {
    X25519,
    P256,
    P384,
}

const X25519_LEN: usize = 32;

/// Instantiates the NIST-curve operations for one curve crate.
macro_rules! nist_curve {
    ($module:ident, $krate:ident, $len:expr) => {
        pub(crate) mod $module {
            use cohort_crypto::{CryptoError, CryptoErrorKind, Secret};
            use $krate::elliptic_curve::sec1::ToEncodedPoint;
            use $krate::{PublicKey, SecretKey};

            const LEN: usize = $len;

            pub(crate) fn secret_key(bytes: &[u8]) -> Result<SecretKey, CryptoError> {
                if bytes.len() != LEN {
                    return Err(CryptoErrorKind::InvalidPrivateKey.into());
                }
                SecretKey::from_slice(bytes)
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e))
            }

            pub(crate) fn public_key(bytes: &[u8]) -> Result<PublicKey, CryptoError> {
                // Only the uncompressed form of SerializePublicKey (RFC 9180 §7.1.1).
                if bytes.len() != 1 + 2 * LEN || bytes.first() != Some(&0x04) {
                    return Err(CryptoErrorKind::InvalidPublicKey.into());
                }
                PublicKey::from_sec1_bytes(bytes)
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPublicKey, e))
            }

            pub(crate) fn public_of(sk: &[u8]) -> Result<Vec<u8>, CryptoError> {
                let sk = secret_key(sk)?;
                Ok(sk.public_key().to_encoded_point(false).as_bytes().to_vec())
            }

            pub(crate) fn dh(sk: &[u8], pk: &[u8]) -> Result<Secret, CryptoError> {
                let sk = secret_key(sk)?;
                let pk = public_key(pk)?;
                let shared = $krate::ecdh::diffie_hellman(sk.to_nonzero_scalar(), pk.as_affine());
                Ok(Secret::from_slice(shared.raw_secret_bytes()))
            }
        }
    };
}

nist_curve!(nist_p256, p256, 32);
nist_curve!(nist_p384, p384, 48);

impl DhAlg {
    fn field_len(self) -> usize {
        match self {
            Self::X25519 | Self::P256 => 32,
            Self::P384 => 48,
        }
    }
}

fn x25519_array(
    bytes: &[u8],
    kind: CryptoErrorKind,
) -> Result<Zeroizing<[u8; X25519_LEN]>, CryptoError> {
    let arr: [u8; X25519_LEN] = bytes.try_into().map_err(|_| CryptoError::new(kind))?;
    Ok(Zeroizing::new(arr))
}

impl DhGroup for DhAlg {
    fn kem_id(&self) -> u16 {
        match self {
            Self::X25519 => HpkeSuite::KEM_X25519_SHA256,
            Self::P256 => HpkeSuite::KEM_P256_SHA256,
            Self::P384 => HpkeSuite::KEM_P384_SHA384,
        }
    }

    fn private_key_len(&self) -> usize {
        self.field_len()
    }

    fn derive_method(&self) -> DeriveMethod {
        match self {
            Self::X25519 => DeriveMethod::Expand,
            Self::P256 | Self::P384 => DeriveMethod::Rejection { bitmask: 0xff },
        }
    }

    fn generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        keys::generate(self.field_len(), 0xff, rng::fill, |bytes| {
            let sk = HpkePrivateKey::from_slice(bytes);
            let pk = self.public_key(&sk)?;
            Ok((sk, pk))
        })
    }

    fn private_key_from_bytes(&self, bytes: &[u8]) -> Result<HpkePrivateKey, CryptoError> {
        match self {
            Self::X25519 => drop(x25519_array(bytes, CryptoErrorKind::InvalidPrivateKey)?),
            Self::P256 => drop(nist_p256::secret_key(bytes)?),
            Self::P384 => drop(nist_p384::secret_key(bytes)?),
        }
        Ok(HpkePrivateKey::from_slice(bytes))
    }

    fn public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        let sk = sk.as_bytes();
        let pk = match self {
            Self::X25519 => {
                let k = x25519_array(sk, CryptoErrorKind::InvalidPrivateKey)?;
                x25519_dalek::x25519(*k, x25519_dalek::X25519_BASEPOINT_BYTES).to_vec()
            }
            Self::P256 => nist_p256::public_of(sk)?,
            Self::P384 => nist_p384::public_of(sk)?,
        };
        Ok(HpkePublicKey::from(pk))
    }

    fn validate_public_key(&self, pk: &[u8]) -> Result<(), CryptoError> {
        match self {
            // The keys whose Diffie-Hellman output is zero for every private key, found by
            // comparison rather than by a scalar multiplication with a probe key.
            Self::X25519 => {
                let u = x25519_array(pk, CryptoErrorKind::InvalidPublicKey)?;
                if cohort_crypto_hpke::x25519::is_small_order(&u) {
                    return Err(CryptoErrorKind::InvalidPublicKey.into());
                }
            }
            Self::P256 => drop(nist_p256::public_key(pk)?),
            Self::P384 => drop(nist_p384::public_key(pk)?),
        }
        Ok(())
    }

    fn dh(&self, sk: &HpkePrivateKey, pk: &[u8]) -> Result<Secret, CryptoError> {
        let sk = sk.as_bytes();
        match self {
            Self::X25519 => {
                let u = x25519_array(pk, CryptoErrorKind::InvalidPublicKey)?;
                let k = x25519_array(sk, CryptoErrorKind::InvalidPrivateKey)?;
                let shared = Secret::from_slice(&x25519_dalek::x25519(*k, *u));
                if shared.as_bytes().iter().all(|b| *b == 0) {
                    return Err(CryptoErrorKind::ZeroSharedSecret.into());
                }
                Ok(shared)
            }
            Self::P256 => nist_p256::dh(sk, pk),
            Self::P384 => nist_p384::dh(sk, pk),
        }
    }
}
