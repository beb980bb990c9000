//! [`SoftMlKem`]: ML-KEM-512/768/1024 (FIPS 203) from the `ml-kem` crate, keyed by seeds.

use cohort_crypto::{CryptoError, Secret};
use zeroize::Zeroizing;

use super::kem::{MlKem, MlKemParams};

/// ML-KEM from the `ml-kem` crate: every operation of [`MlKem`], and the expanded
/// decapsulation key of a seed ([`SoftMlKem::expanded_decapsulation_key`]) for a library that
/// decapsulates with keys it cannot derive from a seed itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct SoftMlKem;

/// The ML-KEM operations of one parameter set of the `ml-kem` crate.
macro_rules! ml_kem_ops {
    ($module:ident, $params:ident) => {
        mod $module {
            use cohort_crypto::{CryptoError, CryptoErrorKind, Secret};
            use ml_kem::$params::{DecapsulationKey, EncapsulationKey};
            use ml_kem::{B32, Decapsulate, KeyExport, Seed, TryKeyInit};
            use zeroize::Zeroizing;

            fn decapsulation_key(seed: &[u8]) -> Result<DecapsulationKey, CryptoError> {
                let seed = Zeroizing::new(
                    Seed::try_from(seed).map_err(|_| CryptoErrorKind::InvalidPrivateKey)?,
                );
                Ok(DecapsulationKey::from_seed(*seed))
            }

            fn encapsulation_key(ek: &[u8]) -> Result<EncapsulationKey, CryptoError> {
                // FIPS 203 §7.2: the length and modulus checks of the encapsulation key.
                EncapsulationKey::new_from_slice(ek)
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPublicKey, e))
            }

            pub(super) fn public_key(seed: &[u8]) -> Result<Vec<u8>, CryptoError> {
                let dk = decapsulation_key(seed)?;
                Ok(dk.encapsulation_key().to_bytes().to_vec())
            }

            pub(super) fn validate(ek: &[u8]) -> Result<(), CryptoError> {
                encapsulation_key(ek).map(drop)
            }

            pub(super) fn encap(ek: &[u8], m: &[u8]) -> Result<(Secret, Vec<u8>), CryptoError> {
                let ek = encapsulation_key(ek)?;
                let m =
                    Zeroizing::new(B32::try_from(m).map_err(|_| CryptoErrorKind::InvalidLength)?);
                let (ct, ss) = ek.encapsulate_deterministic(&m);
                let ss = Zeroizing::new(ss);
                Ok((Secret::from_slice(ss.as_slice()), ct.to_vec()))
            }

            pub(super) fn decap(seed: &[u8], ct: &[u8]) -> Result<Secret, CryptoError> {
                let dk = decapsulation_key(seed)?;
                let ss =
                    Zeroizing::new(dk.decapsulate_slice(ct).map_err(|e| {
                        CryptoError::with_source(CryptoErrorKind::InvalidPublicKey, e)
                    })?);
                Ok(Secret::from_slice(ss.as_slice()))
            }

            #[allow(deprecated)]
            pub(super) fn expanded(seed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
                use ml_kem::ExpandedKeyEncoding;
                let dk = decapsulation_key(seed)?;
                let expanded = Zeroizing::new(dk.to_expanded_bytes());
                Ok(Zeroizing::new(expanded.to_vec()))
            }
        }
    };
}

ml_kem_ops!(ml_kem_512, ml_kem_512);
ml_kem_ops!(ml_kem_768, ml_kem_768);
ml_kem_ops!(ml_kem_1024, ml_kem_1024);

impl SoftMlKem {
    /// The FIPS 203 decapsulation key `dk` (`dk_PKE || ek || H(ek) || z`) of `seed`.
    ///
    /// # Errors
    /// [`cohort_crypto::CryptoErrorKind::InvalidPrivateKey`] for a seed of the wrong length.
    pub fn expanded_decapsulation_key(
        params: MlKemParams,
        seed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        match params {
            MlKemParams::P512 => ml_kem_512::expanded(seed),
            MlKemParams::P768 => ml_kem_768::expanded(seed),
            MlKemParams::P1024 => ml_kem_1024::expanded(seed),
        }
    }
}

impl MlKem for SoftMlKem {
    fn public_key(&self, params: MlKemParams, seed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match params {
            MlKemParams::P512 => ml_kem_512::public_key(seed),
            MlKemParams::P768 => ml_kem_768::public_key(seed),
            MlKemParams::P1024 => ml_kem_1024::public_key(seed),
        }
    }

    fn validate(&self, params: MlKemParams, ek: &[u8]) -> Result<(), CryptoError> {
        match params {
            MlKemParams::P512 => ml_kem_512::validate(ek),
            MlKemParams::P768 => ml_kem_768::validate(ek),
            MlKemParams::P1024 => ml_kem_1024::validate(ek),
        }
    }

    fn encap_derand(
        &self,
        params: MlKemParams,
        ek: &[u8],
        m: &[u8],
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        match params {
            MlKemParams::P512 => ml_kem_512::encap(ek, m),
            MlKemParams::P768 => ml_kem_768::encap(ek, m),
            MlKemParams::P1024 => ml_kem_1024::encap(ek, m),
        }
    }

    fn decap(&self, params: MlKemParams, seed: &[u8], ct: &[u8]) -> Result<Secret, CryptoError> {
        match params {
            MlKemParams::P512 => ml_kem_512::decap(seed, ct),
            MlKemParams::P768 => ml_kem_768::decap(seed, ct),
            MlKemParams::P1024 => ml_kem_1024::decap(seed, ct),
        }
    }
}
