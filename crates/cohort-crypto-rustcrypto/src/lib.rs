#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

use std::sync::Arc;

use cohort_crypto::{CipherSuite, CryptoProvider, PqCodePoints, SuiteOps};

mod aead;
mod dh;
mod hash;
mod hpke;
mod mldsa;
mod rng;
mod sig;
mod suite;

pub use aead::AeadAlg;
pub use hash::HashAlg;
pub use hpke::hpke_algorithms;

/// The RustCrypto provider: all seven cipher suites of RFC 9420, in pure Rust.
///
/// HPKE comes from `cohort-crypto-hpke`; X448 and Ed448 from `ed448-goldilocks-plus`. The
/// post-quantum KEMs of draft-ietf-hpke-pq are available as HPKE algorithms through
/// [`hpke_algorithms`], and as MLS cipher suites through [`provider_with_pq_draft`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCryptoProvider;

/// The RustCrypto provider.
pub fn provider() -> RustCryptoProvider {
    RustCryptoProvider
}

/// The RustCrypto provider with the eleven post-quantum suites of
/// draft-ietf-mls-pq-ciphersuites-06 as well, at the private-use code points of
/// [`CipherSuite::PQ_DRAFT`] (the draft's are not assigned yet): ML-KEM, X-Wing and the
/// NIST-curve hybrids for HPKE, Ed25519, ECDSA or ML-DSA for signatures. Its preference order
/// puts the seven suites of RFC 9420 first.
///
/// A separate provider, so that [`provider`] keeps serving exactly the suites of RFC 9420:
/// choosing this one is choosing the draft's suites, which only cohort clients speak at these
/// code points.
///
/// [`provider_with_pq_code_points`] serves the same suites under another implementation's
/// numbering as well.
#[derive(Debug, Clone)]
pub struct RustCryptoPqProvider {
    points: PqCodePoints,
    suites: Vec<CipherSuite>,
}

impl Default for RustCryptoPqProvider {
    fn default() -> Self {
        provider_with_pq_draft()
    }
}

/// The RustCrypto provider with the post-quantum suites of draft-ietf-mls-pq-ciphersuites.
pub fn provider_with_pq_draft() -> RustCryptoPqProvider {
    provider_with_pq_code_points(PqCodePoints::PRIVATE_USE)
}

/// As [`provider_with_pq_draft`], with the draft suites also served at the code points of
/// `points` (for example [`PqCodePoints::MLSPP`], to talk to MLSpp or run vectors made with its
/// numbering). The aliases come last in the preference order; the private-use code points stay.
pub fn provider_with_pq_code_points(points: PqCodePoints) -> RustCryptoPqProvider {
    RustCryptoPqProvider {
        points,
        suites: points.suites_after(&CipherSuite::ALL),
    }
}

impl CryptoProvider for RustCryptoPqProvider {
    fn cipher_suites(&self) -> &[CipherSuite] {
        &self.suites
    }

    fn suite(&self, cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
        suite::ops_with_pq_points(cs, self.points)
    }
}

impl CryptoProvider for RustCryptoProvider {
    fn cipher_suites(&self) -> &[CipherSuite] {
        &CipherSuite::ALL
    }

    fn suite(&self, cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
        suite::ops(cs)
    }
}
