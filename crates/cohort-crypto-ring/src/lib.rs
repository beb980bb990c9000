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

/// The suites ring serves: those without X448, Ed448 or P-521, which ring does not implement.
const SUITES: [CipherSuite; 4] = [
    CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519,
    CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
    CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519,
    CipherSuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384,
];

/// The ring provider: cipher suites 1, 2, 3 and 7.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default)]
pub struct RingProvider;

/// The ring provider.
pub fn provider() -> RingProvider {
    RingProvider
}

impl CryptoProvider for RingProvider {
    fn cipher_suites(&self) -> &[CipherSuite] {
        &SUITES
    }

    fn suite(&self, cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
        suite::ops(cs)
    }
}

/// The HPKE algorithms of this backend by identifier (the DHKEMs, HKDFs and AEADs of its cipher
/// suites), for HPKE outside an MLS cipher suite. It has none of the post-quantum KEMs or
/// single-stage KDFs of draft-ietf-hpke-pq.
pub fn hpke_algorithms() -> &'static dyn cohort_crypto_hpke::HpkeAlgorithms {
    &suite::PRIMITIVES
}
