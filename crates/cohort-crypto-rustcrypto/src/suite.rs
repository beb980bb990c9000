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

/// Every algorithm of the seven suites of RFC 9420.
const PRIMITIVES: Primitives<HashAlg, AeadAlg, DhAlg, SigAlg> = Primitives {
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
    ],
    random_fill: rng::fill,
};

/// The operations of `cs`, implemented with RustCrypto crates, or `None`
/// when it is not one of the seven of RFC 9420.
pub(crate) fn ops(cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
    ComposedSuite::new(cs, &PRIMITIVES).map(|s| Arc::new(s) as Arc<dyn SuiteOps>)
}
