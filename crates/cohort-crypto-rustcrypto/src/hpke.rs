//! This backend's HPKE algorithms by identifier: the DHKEMs, HKDFs and AEADs of its cipher
//! suites, and the post-quantum KEMs and single-stage KDFs of draft-ietf-hpke-pq.

use cohort_crypto_hpke::HpkeAlgorithms;
use cohort_crypto_hpke::pq::WithPq;

use crate::aead::AeadAlg;
use crate::dh::DhAlg;
use crate::hash::HashAlg;
use crate::sig::SigAlg;

/// The HPKE algorithms of the RustCrypto backend: DHKEM over X25519, X448, P-256, P-384 and
/// P-521; ML-KEM-512/768/1024, MLKEM768-P256, MLKEM1024-P384 and MLKEM768-X25519 (X-Wing);
/// HKDF-SHA256/384/512, SHAKE128/256 and TurboSHAKE128/256; AES-128-GCM, AES-256-GCM and
/// ChaCha20Poly1305.
type RustCryptoHpke = WithPq<HashAlg, AeadAlg, DhAlg, SigAlg>;

static HPKE: RustCryptoHpke = WithPq {
    primitives: &crate::suite::PRIMITIVES,
    kems: || &crate::suite::PQ_KEMS,
};

/// The HPKE algorithms of the RustCrypto backend.
pub fn hpke_algorithms() -> &'static dyn HpkeAlgorithms {
    &HPKE
}
