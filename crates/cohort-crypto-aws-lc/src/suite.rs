//! The primitives of this backend, from which `cohort-crypto-hpke` composes each cipher suite's
//! operations ([`ComposedSuite`]).

use std::sync::Arc;

use cohort_crypto::{CipherSuite, SuiteOps};
use cohort_crypto_hpke::{ComposedSuite, Primitives};

use crate::aead::AeadAlg;
use crate::dh::DhAlg;
use crate::hash::HashAlg;
use crate::rng;
use crate::sig::SigAlg;

/// The algorithms of suites 1, 2, 3, 5 and 7 (aws-lc-rs has no X448 or Ed448), and ML-DSA for
/// the post-quantum suites.
pub(crate) const PRIMITIVES: Primitives<HashAlg, AeadAlg, DhAlg, SigAlg> = Primitives {
    hashes: &[HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512],
    aeads: &[
        AeadAlg::Aes128Gcm,
        AeadAlg::Aes256Gcm,
        AeadAlg::ChaCha20Poly1305,
    ],
    groups: &[DhAlg::X25519, DhAlg::P256, DhAlg::P384, DhAlg::P521],
    signatures: &[
        SigAlg::Ed25519,
        SigAlg::P256,
        SigAlg::P384,
        SigAlg::P521,
        SigAlg::MlDsa44,
        SigAlg::MlDsa65,
        SigAlg::MlDsa87,
    ],
    random_fill: rng::fill,
};

/// The operations of `cs`, implemented with aws-lc-rs, or `None`
/// when aws-lc-rs cannot serve it (X448 and Ed448).
pub(crate) fn ops(cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
    ComposedSuite::new(cs, &PRIMITIVES).map(|s| Arc::new(s) as Arc<dyn SuiteOps>)
}
