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

/// The algorithms of suites 1, 2, 3 and 7: ring has no X448, Ed448 or P-521.
pub(crate) const PRIMITIVES: Primitives<HashAlg, AeadAlg, DhAlg, SigAlg> = Primitives {
    hashes: &[HashAlg::Sha256, HashAlg::Sha384],
    aeads: &[
        AeadAlg::Aes128Gcm,
        AeadAlg::Aes256Gcm,
        AeadAlg::ChaCha20Poly1305,
    ],
    groups: &[DhAlg::X25519, DhAlg::P256, DhAlg::P384],
    signatures: &[SigAlg::Ed25519, SigAlg::P256, SigAlg::P384],
    random_fill: rng::fill,
};

/// The operations of `cs`, implemented with ring, or `None`
/// when ring cannot serve it (X448, Ed448, P-521).
pub(crate) fn ops(cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
    ComposedSuite::new(cs, &PRIMITIVES).map(|s| Arc::new(s) as Arc<dyn SuiteOps>)
}
