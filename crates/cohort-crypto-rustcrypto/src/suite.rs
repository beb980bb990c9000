//! The primitives of this backend, from which `cohort-crypto-hpke` composes each cipher suite's
//! operations ([`ComposedSuite`]).

use std::sync::Arc;

use cohort_crypto::{CipherSuite, PqSeedDerivation, SuiteOps};
use cohort_crypto_hpke::{ComposedSuite, Kem, Primitives};

use crate::aead::AeadAlg;
use crate::dh::DhAlg;
use crate::hash::HashAlg;
use crate::pq_kem::{PlainSeed, PqKem};
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

/// The post-quantum KEMs the suites of draft-ietf-mls-pq-ciphersuites use.
const PQ_KEMS: &[&dyn Kem] = &[
    &PqKem::MlKem768,
    &PqKem::MlKem1024,
    &PqKem::MlKem768P256,
    &PqKem::MlKem1024P384,
    &PqKem::XWing,
];

/// [`PQ_KEMS`] with OpenMLS 0.9's `DeriveKeyPair` ([`PlainSeed`]).
const PQ_KEMS_PLAIN_SEED: &[&dyn Kem] = &[
    &PlainSeed(PqKem::MlKem768),
    &PlainSeed(PqKem::MlKem1024),
    &PlainSeed(PqKem::MlKem768P256),
    &PlainSeed(PqKem::MlKem1024P384),
    &PlainSeed(PqKem::XWing),
];

/// The operations of `cs`, one of the seven of RFC 9420 or one of the eleven of
/// draft-ietf-mls-pq-ciphersuites, or `None`.
pub(crate) fn ops_with_pq(cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
    ComposedSuite::with_kems(cs, &PRIMITIVES, PQ_KEMS).map(|s| Arc::new(s) as Arc<dyn SuiteOps>)
}

/// The suite `cs`, read through `points`: an alias gets its draft suite's algorithms under its
/// own code point.
pub(crate) fn ops_with_pq_points(
    cs: CipherSuite,
    points: cohort_crypto::PqCodePoints,
) -> Option<Arc<dyn SuiteOps>> {
    let kems = match points.seed_derivation {
        PqSeedDerivation::PlainShake256 => PQ_KEMS_PLAIN_SEED,
        _ => PQ_KEMS,
    };
    match points.draft_suite(cs) {
        Some(draft) => ComposedSuite::with_kems_as(cs, draft, &PRIMITIVES, kems)
            .map(|s| Arc::new(s) as Arc<dyn SuiteOps>),
        None => ops_with_pq(cs),
    }
}
