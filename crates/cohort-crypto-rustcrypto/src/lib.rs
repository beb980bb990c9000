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
mod rng;
mod sig;
mod suite;

/// The RustCrypto provider: all seven cipher suites of RFC 9420, in pure Rust.
///
/// HPKE comes from `cohort-crypto-hpke`; X448 and Ed448 from `ed448-goldilocks-plus`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCryptoProvider;

/// The RustCrypto provider.
pub fn provider() -> RustCryptoProvider {
    RustCryptoProvider
}

impl CryptoProvider for RustCryptoProvider {
    fn cipher_suites(&self) -> &[CipherSuite] {
        &CipherSuite::ALL
    }

    fn suite(&self, cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
        suite::ops(cs)
    }
}
