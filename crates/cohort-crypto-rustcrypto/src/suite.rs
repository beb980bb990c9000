//! The primitives of this backend, from which `cohort-crypto-hpke` composes each cipher suite's
//! operations ([`ComposedSuite`]).

use std::sync::{Arc, LazyLock};

use cohort_crypto::{CipherSuite, SuiteOps};
use cohort_crypto_hpke::pq::{PqKems, SoftMlKem};
use cohort_crypto_hpke::{ComposedSuite, Primitives};

use crate::aead::AeadAlg;
use crate::dh::DhAlg;
use crate::hash::HashAlg;
use crate::rng;
use crate::sig::SigAlg;

/// Every algorithm of the seven suites of RFC 9420, and ML-DSA.
pub(crate) const PRIMITIVES: Primitives<HashAlg, AeadAlg, DhAlg, SigAlg> = Primitives {
    hashes: &[HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512],
    aeads: &[
        AeadAlg::Aes128Gcm,
        AeadAlg::Aes256Gcm,
        AeadAlg::ChaCha20Poly1305,
    ],
    groups: &[
        DhAlg::X25519,
        DhAlg::X448,
        DhAlg::P256,
        DhAlg::P384,
        DhAlg::P521,
    ],
    signatures: &[
        SigAlg::Ed25519,
        SigAlg::Ed448,
        SigAlg::P256,
        SigAlg::P384,
        SigAlg::P521,
        // No suite of RFC 9420 uses ML-DSA; the ML-DSA suites of draft-ietf-mls-pq-ciphersuites
        // are not wired yet.
        SigAlg::MlDsa44,
        SigAlg::MlDsa65,
        SigAlg::MlDsa87,
    ],
    random_fill: rng::fill,
};

/// The operations of `cs`, implemented with RustCrypto crates, or `None`
/// when it is not one of the seven of RFC 9420.
pub(crate) fn ops(cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
    ComposedSuite::new(cs, &PRIMITIVES).map(|s| Arc::new(s) as Arc<dyn SuiteOps>)
}

/// The post-quantum KEMs of draft-ietf-hpke-pq: ML-KEM from the `ml-kem` crate, the hybrids'
/// groups from [`PRIMITIVES`].
pub(crate) static PQ_KEMS: LazyLock<PqKems> =
    LazyLock::new(|| PqKems::new(&SoftMlKem, PRIMITIVES.groups, rng::fill));

/// The suite `cs`, one of the seven of RFC 9420 or one of the eleven of
/// draft-ietf-mls-pq-ciphersuites, read through `points`: an alias gets its draft suite's
/// algorithms under its own code point.
pub(crate) fn ops_with_pq_points(
    cs: CipherSuite,
    points: cohort_crypto::PqCodePoints,
) -> Option<Arc<dyn SuiteOps>> {
    PQ_KEMS.suite(cs, points, &PRIMITIVES)
}
