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
mod pq;
mod rng;
mod sig;
mod suite;

/// The suites aws-lc-rs serves: every suite of RFC 9420 except the X448/Ed448 ones (4 and 6),
/// which aws-lc-rs does not implement.
const SUITES: [CipherSuite; 5] = [
    CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519,
    CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
    CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519,
    CipherSuite::MLS_256_DHKEMP521_AES256GCM_SHA512_P521,
    CipherSuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384,
];

/// The aws-lc-rs provider: cipher suites 1, 2, 3, 5 and 7.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default)]
pub struct AwsLcProvider;

/// The aws-lc-rs provider.
pub fn provider() -> AwsLcProvider {
    AwsLcProvider
}

impl CryptoProvider for AwsLcProvider {
    fn cipher_suites(&self) -> &[CipherSuite] {
        &SUITES
    }

    fn suite(&self, cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
        suite::ops(cs)
    }
}

pub use hpke::hpke_algorithms;

/// The aws-lc-rs provider with the eleven post-quantum suites of
/// draft-ietf-mls-pq-ciphersuites-06 as well, at the private-use code points of
/// [`CipherSuite::PQ_DRAFT`]: ML-KEM (encapsulation and decapsulation in aws-lc, key pairs
/// from seeds through the `ml-kem` crate, which aws-lc-rs cannot make), X-Wing and the
/// NIST-curve hybrids over aws-lc's X25519 and ECDH, ML-DSA in aws-lc. Its preference order
/// puts suites 1, 2, 3, 5 and 7 first.
///
/// A separate provider, so that [`provider`] keeps serving exactly the suites of RFC 9420.
/// [`provider_with_pq_code_points`] serves the same suites under another implementation's
/// numbering as well.
#[derive(Debug, Clone)]
pub struct AwsLcPqProvider {
    points: PqCodePoints,
    suites: Vec<CipherSuite>,
}

impl Default for AwsLcPqProvider {
    fn default() -> Self {
        provider_with_pq_draft()
    }
}

/// The aws-lc-rs provider with the post-quantum suites of draft-ietf-mls-pq-ciphersuites.
pub fn provider_with_pq_draft() -> AwsLcPqProvider {
    provider_with_pq_code_points(PqCodePoints::PRIVATE_USE)
}

/// As [`provider_with_pq_draft`], with the draft suites also served at the code points of
/// `points` (for example [`PqCodePoints::OPENMLS`]). The aliases come last in the preference
/// order; the private-use code points stay.
pub fn provider_with_pq_code_points(points: PqCodePoints) -> AwsLcPqProvider {
    AwsLcPqProvider {
        points,
        suites: points.suites_after(&SUITES),
    }
}

impl CryptoProvider for AwsLcPqProvider {
    fn cipher_suites(&self) -> &[CipherSuite] {
        &self.suites
    }

    fn suite(&self, cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
        pq::PQ_KEMS.suite(cs, self.points, &suite::PRIMITIVES)
    }
}
