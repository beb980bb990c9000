//! The post-quantum KEMs of draft-ietf-hpke-pq on aws-lc: ML-KEM encapsulation and
//! decapsulation in aws-lc, the hybrids' groups from this backend's [`DhAlg`], and the
//! construction itself from `cohort-crypto-hpke`.
//!
//! aws-lc-rs 1.18 has no `ML-KEM.KeyGen_internal(d, z)`: it makes keys from its own randomness
//! only, while draft-ietf-hpke-pq keeps a private key as its 64-byte seed and derives every
//! TreeKEM node key from a path secret. The seed is therefore expanded with the `ml-kem` crate
//! ([`SoftMlKem`]), which gives the encapsulation key and the FIPS 203 decapsulation key that
//! aws-lc then imports to decapsulate. Deterministic encapsulation (`Encaps_internal`, for test
//! vectors only) is the `ml-kem` crate's too, and so is the modulus check of an encapsulation
//! key (FIPS 203 §7.2), which aws-lc-rs's import does not make.

use std::sync::LazyLock;

use aws_lc_rs::kem::{self, Ciphertext, DecapsulationKey, EncapsulationKey};
use cohort_crypto::{CryptoError, CryptoErrorKind, Secret};
use cohort_crypto_hpke::pq::{MlKem, MlKemParams, PqKems, SoftMlKem};

use crate::rng;
use crate::suite::PRIMITIVES;

/// ML-KEM with aws-lc's encapsulation and decapsulation.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AwsLcMlKem;

/// The post-quantum KEMs of this backend.
pub(crate) static PQ_KEMS: LazyLock<PqKems> =
    LazyLock::new(|| PqKems::new(&AwsLcMlKem, PRIMITIVES.groups, rng::fill));

fn algorithm(params: MlKemParams) -> &'static kem::Algorithm<kem::AlgorithmId> {
    match params {
        MlKemParams::P512 => &kem::ML_KEM_512,
        MlKemParams::P768 => &kem::ML_KEM_768,
        MlKemParams::P1024 => &kem::ML_KEM_1024,
    }
}

fn encapsulation_key(
    params: MlKemParams,
    ek: &[u8],
) -> Result<EncapsulationKey<kem::AlgorithmId>, CryptoError> {
    if ek.len() != params.public_key_len() {
        return Err(CryptoErrorKind::InvalidPublicKey.into());
    }
    EncapsulationKey::new(algorithm(params), ek)
        .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPublicKey, e))
}

impl MlKem for AwsLcMlKem {
    fn public_key(&self, params: MlKemParams, seed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        SoftMlKem.public_key(params, seed)
    }

    fn validate(&self, params: MlKemParams, ek: &[u8]) -> Result<(), CryptoError> {
        // aws-lc-rs's import checks the length only; FIPS 203 §7.2 asks for the modulus too.
        SoftMlKem.validate(params, ek)?;
        encapsulation_key(params, ek).map(drop)
    }

    fn encap_derand(
        &self,
        params: MlKemParams,
        ek: &[u8],
        m: &[u8],
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        SoftMlKem.encap_derand(params, ek, m)
    }

    fn encap(
        &self,
        params: MlKemParams,
        ek: &[u8],
        _random_fill: fn(&mut [u8]) -> Result<(), CryptoError>,
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        let (ct, ss) = encapsulation_key(params, ek)?
            .encapsulate()
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::Backend, e))?;
        Ok((Secret::from_slice(ss.as_ref()), ct.as_ref().to_vec()))
    }

    fn decap(&self, params: MlKemParams, seed: &[u8], ct: &[u8]) -> Result<Secret, CryptoError> {
        if ct.len() != params.ciphertext_len() {
            return Err(CryptoErrorKind::InvalidPublicKey.into());
        }
        let dk = SoftMlKem::expanded_decapsulation_key(params, seed)?;
        let dk = DecapsulationKey::new(algorithm(params), &dk)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e))?;
        let ss = dk
            .decapsulate(Ciphertext::from(ct))
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::Backend, e))?;
        Ok(Secret::from_slice(ss.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// aws-lc decapsulates what the `ml-kem` crate encapsulates to a seed's key and the other
    /// way round, with the same shared secret, for every parameter set; a key whose
    /// coefficients exceed the modulus (FIPS 203 §7.2) and a short ciphertext are refused.
    #[test]
    fn aws_lc_and_ml_kem_crate_agree() {
        for params in [MlKemParams::P512, MlKemParams::P768, MlKemParams::P1024] {
            let seed = [7u8; 64];
            let ek = AwsLcMlKem.public_key(params, &seed).expect("public key");
            let (ss, ct) = SoftMlKem
                .encap_derand(params, &ek, &[9; 32])
                .expect("encap");
            assert_eq!(
                AwsLcMlKem
                    .decap(params, &seed, &ct)
                    .expect("decap")
                    .as_bytes(),
                ss.as_bytes()
            );
            let (ss, ct) = AwsLcMlKem.encap(params, &ek, rng::fill).expect("encap");
            assert_eq!(
                SoftMlKem
                    .decap(params, &seed, &ct)
                    .expect("decap")
                    .as_bytes(),
                ss.as_bytes()
            );
            AwsLcMlKem.validate(params, &ek).expect("valid");
            let mut bad = ek.clone();
            bad[0] = 0xff;
            bad[1] |= 0x0f;
            assert!(AwsLcMlKem.validate(params, &bad).is_err());
            assert!(AwsLcMlKem.decap(params, &seed, &ct[1..]).is_err());
        }
    }
}
