//! This backend's HPKE algorithms by identifier ([`HpkeAlgorithms`]): the DHKEMs, HKDFs and
//! AEADs of its cipher suites, and the post-quantum KEMs and single-stage KDFs of
//! draft-ietf-hpke-pq, which no MLS cipher suite of this backend uses yet.

use cohort_crypto_hpke::{Aead, HpkeAlgorithms, HpkeKdf, Kem, OneStageKdf};

use crate::pq_kem::PqKem;
use crate::suite::PRIMITIVES;
use crate::xof::XofKdf;

/// The HPKE algorithms of the RustCrypto backend: DHKEM over X25519, X448, P-256, P-384 and
/// P-521; ML-KEM-512/768/1024, MLKEM768-P256, MLKEM1024-P384 and MLKEM768-X25519 (X-Wing);
/// HKDF-SHA256/384/512, SHAKE128/256 and TurboSHAKE128/256; AES-128-GCM, AES-256-GCM and
/// ChaCha20Poly1305.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCryptoHpke;

/// The HPKE algorithms of the RustCrypto backend.
pub fn hpke_algorithms() -> &'static RustCryptoHpke {
    &RustCryptoHpke
}

impl HpkeAlgorithms for RustCryptoHpke {
    fn kem(&self, kem_id: u16) -> Option<Box<dyn Kem + '_>> {
        match PqKem::ALL.into_iter().find(|k| k.kem_id() == kem_id) {
            Some(kem) => Some(Box::new(kem)),
            None => PRIMITIVES.kem(kem_id),
        }
    }

    fn kdf(&self, kdf_id: u16) -> Option<HpkeKdf<'_>> {
        match XofKdf::ALL.iter().find(|x| x.kdf_id() == kdf_id) {
            Some(xof) => Some(HpkeKdf::OneStage(xof)),
            None => PRIMITIVES.kdf(kdf_id),
        }
    }

    fn aead(&self, aead_id: u16) -> Option<&dyn Aead> {
        PRIMITIVES.aead(aead_id)
    }
}
