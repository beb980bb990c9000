//! The Diffie-Hellman groups under the DHKEMs: X25519, X448, P-256, P-384, P-521.

use cohort_crypto::{
    CryptoError, CryptoErrorKind, HpkePrivateKey, HpkePublicKey, HpkeSuite, Secret,
};
use cohort_crypto_hpke::{DeriveMethod, DhGroup, keys};
use ed448_goldilocks_plus::x448;
use zeroize::Zeroizing;

use crate::rng;

/// A DH group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DhAlg {
    X25519,
    X448,
    P256,
    P384,
    P521,
}

const X25519_LEN: usize = 32;
const X448_LEN: usize = 56;
const X448_BASE: [u8; X448_LEN] = {
    let mut b = [0; X448_LEN];
    b[0] = 5;
    b
};

/// Instantiates the NIST-curve operations for one curve crate.
macro_rules! nist_curve {
    ($module:ident, $krate:ident) => {
        mod $module {
            use cohort_crypto::{CryptoError, CryptoErrorKind, Secret};
            use $krate::elliptic_curve::sec1::ToEncodedPoint;
            use $krate::{PublicKey, SecretKey};

            pub(crate) fn secret_key(bytes: &[u8], len: usize) -> Result<SecretKey, CryptoError> {
                let bytes = cohort_crypto_hpke::keys::scalar_bytes(bytes, len)?;
                SecretKey::from_slice(bytes.as_bytes())
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e))
            }

            pub(crate) fn public_key(bytes: &[u8], len: usize) -> Result<PublicKey, CryptoError> {
                // Only the uncompressed form of SerializePublicKey (RFC 9180 §7.1.1).
                if bytes.len() != 1 + 2 * len || bytes.first() != Some(&0x04) {
                    return Err(CryptoErrorKind::InvalidPublicKey.into());
                }
                PublicKey::from_sec1_bytes(bytes)
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPublicKey, e))
            }

            pub(crate) fn public_of(sk: &[u8], len: usize) -> Result<Vec<u8>, CryptoError> {
                let sk = secret_key(sk, len)?;
                Ok(sk.public_key().to_encoded_point(false).as_bytes().to_vec())
            }

            pub(crate) fn dh(sk: &[u8], pk: &[u8], len: usize) -> Result<Secret, CryptoError> {
                let sk = secret_key(sk, len)?;
                let pk = public_key(pk, len)?;
                let shared = $krate::ecdh::diffie_hellman(sk.to_nonzero_scalar(), pk.as_affine());
                Ok(Secret::from_slice(shared.raw_secret_bytes()))
            }
        }
    };
}

nist_curve!(nist_p256, p256);
nist_curve!(nist_p384, p384);
nist_curve!(nist_p521, p521);

impl DhAlg {
    fn field_len(self) -> usize {
        match self {
            Self::X25519 | Self::P256 => 32,
            Self::X448 => 56,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }

    /// The mask on the first byte of a random private key: P-521 scalars have 521 bits.
    fn mask(self) -> u8 {
        if self == Self::P521 { 0x01 } else { 0xff }
    }
}

fn x25519_array(
    bytes: &[u8],
    kind: CryptoErrorKind,
) -> Result<Zeroizing<[u8; X25519_LEN]>, CryptoError> {
    let arr: [u8; X25519_LEN] = bytes.try_into().map_err(|_| CryptoError::new(kind))?;
    Ok(Zeroizing::new(arr))
}

fn x448_array(
    bytes: &[u8],
    kind: CryptoErrorKind,
) -> Result<Zeroizing<[u8; X448_LEN]>, CryptoError> {
    let arr: [u8; X448_LEN] = bytes.try_into().map_err(|_| CryptoError::new(kind))?;
    Ok(Zeroizing::new(arr))
}

fn non_zero(shared: Vec<u8>) -> Result<Secret, CryptoError> {
    let shared = Secret::new(shared);
    if shared.as_bytes().iter().all(|b| *b == 0) {
        return Err(CryptoErrorKind::ZeroSharedSecret.into());
    }
    Ok(shared)
}

impl DhGroup for DhAlg {
    fn kem_id(&self) -> u16 {
        match self {
            Self::X25519 => HpkeSuite::KEM_X25519_SHA256,
            Self::X448 => HpkeSuite::KEM_X448_SHA512,
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
            Self::X25519 | Self::X448 => DeriveMethod::Expand,
            Self::P256 | Self::P384 => DeriveMethod::Rejection { bitmask: 0xff },
            Self::P521 => DeriveMethod::Rejection { bitmask: 0x01 },
        }
    }

    fn generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        let sk = keys::generate(self.field_len(), self.mask(), rng::fill, |bytes| {
            self.private_key_from_bytes(bytes)
        })?;
        let pk = self.public_key(&sk)?;
        Ok((sk, pk))
    }

    fn private_key_from_bytes(&self, bytes: &[u8]) -> Result<HpkePrivateKey, CryptoError> {
        match self {
            Self::X25519 | Self::X448 => {
                if bytes.len() != self.field_len() {
                    return Err(CryptoErrorKind::InvalidPrivateKey.into());
                }
            }
            Self::P256 | Self::P384 | Self::P521 => {
                let len = self.field_len();
                let padded = keys::scalar_bytes(bytes, len)?;
                let padded = padded.as_bytes();
                match self {
                    Self::P256 => drop(nist_p256::secret_key(padded, len)?),
                    Self::P384 => drop(nist_p384::secret_key(padded, len)?),
                    _ => drop(nist_p521::secret_key(padded, len)?),
                }
                return Ok(HpkePrivateKey::from_slice(padded));
            }
        }
        Ok(HpkePrivateKey::from_slice(bytes))
    }

    fn public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        let sk = sk.as_bytes();
        let pk = match self {
            Self::X25519 => {
                let secret = x25519_dalek::StaticSecret::from(*x25519_array(
                    sk,
                    CryptoErrorKind::InvalidPrivateKey,
                )?);
                x25519_dalek::PublicKey::from(&secret).as_bytes().to_vec()
            }
            Self::X448 => x448::x448(
                *x448_array(sk, CryptoErrorKind::InvalidPrivateKey)?,
                X448_BASE,
            )
            .to_vec(),
            Self::P256 => nist_p256::public_of(sk, 32)?,
            Self::P384 => nist_p384::public_of(sk, 48)?,
            Self::P521 => nist_p521::public_of(sk, 66)?,
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
            Self::X448 => {
                let u = x448_array(pk, CryptoErrorKind::InvalidPublicKey)?;
                let probe = x448::x448([0x42; X448_LEN], *u);
                if probe.iter().all(|b| *b == 0) {
                    return Err(CryptoErrorKind::InvalidPublicKey.into());
                }
            }
            Self::P256 => drop(nist_p256::public_key(pk, 32)?),
            Self::P384 => drop(nist_p384::public_key(pk, 48)?),
            Self::P521 => drop(nist_p521::public_key(pk, 66)?),
        }
        Ok(())
    }

    fn dh(&self, sk: &HpkePrivateKey, pk: &[u8]) -> Result<Secret, CryptoError> {
        let sk = sk.as_bytes();
        match self {
            Self::X25519 => {
                let u = x25519_array(pk, CryptoErrorKind::InvalidPublicKey)?;
                let k = x25519_array(sk, CryptoErrorKind::InvalidPrivateKey)?;
                non_zero(x25519_dalek::x25519(*k, *u).to_vec())
            }
            Self::X448 => {
                let u = x448_array(pk, CryptoErrorKind::InvalidPublicKey)?;
                let k = x448_array(sk, CryptoErrorKind::InvalidPrivateKey)?;
                non_zero(x448::x448(*k, *u).to_vec())
            }
            Self::P256 => nist_p256::dh(sk, pk, 32),
            Self::P384 => nist_p384::dh(sk, pk, 48),
            Self::P521 => nist_p521::dh(sk, pk, 66),
        }
    }
}
