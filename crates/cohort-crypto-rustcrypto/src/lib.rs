#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

use std::sync::Arc;

use cohort_crypto::{CipherSuite, CryptoProvider, SuiteOps};

mod aead;
mod dh;
mod hash;
mod hpke;
mod mldsa;
mod pq_kem;
mod rng;
mod sig;
mod suite;
mod xof;

pub use aead::AeadAlg;
pub use hash::HashAlg;
pub use hpke::{RustCryptoHpke, hpke_algorithms};

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
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCryptoPqProvider;

/// The RustCrypto provider with the post-quantum suites of draft-ietf-mls-pq-ciphersuites.
pub fn provider_with_pq_draft() -> RustCryptoPqProvider {
    RustCryptoPqProvider
}

/// The suites of [`RustCryptoPqProvider`], in its order of preference.
const PQ_PROVIDER_SUITES: [CipherSuite; 18] = {
    let mut all = [CipherSuite(0); 18];
    let mut i = 0;
    while i < 7 {
        all[i] = CipherSuite::ALL[i];
        i += 1;
    }
    while i < 18 {
        all[i] = CipherSuite::PQ_DRAFT[i - 7];
        i += 1;
    }
    all
};

impl CryptoProvider for RustCryptoPqProvider {
    fn cipher_suites(&self) -> &[CipherSuite] {
        &PQ_PROVIDER_SUITES
    }

    fn suite(&self, cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
        suite::ops_with_pq(cs)
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
