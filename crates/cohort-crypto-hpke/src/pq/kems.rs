//! [`PqKems`]: a backend's post-quantum KEMs, and the MLS suites of
//! draft-ietf-mls-pq-ciphersuites composed with them.

use cohort_crypto::{CipherSuite, CryptoError, PqCodePoints, PqSeedDerivation, SuiteOps};
use std::sync::Arc;

use super::kem::{MlKem, PlainSeed, PqKem, PqKemId};
use super::xof::XofKdf;
use crate::{
    Aead, ComposedSuite, DhGroup, HashFunction, HpkeAlgorithms, HpkeKdf, Kem, OneStageKdf,
    Primitives, SignatureAlgorithm,
};

/// Every KEM of draft-ietf-hpke-pq a backend can build from its [`MlKem`] and its groups, each
/// also with OpenMLS 0.9's key derivation ([`PlainSeed`]). Build it once, in a `static`
/// (`std::sync::LazyLock`): the suites borrow it for `'static`.
#[derive(Debug)]
pub struct PqKems {
    kems: Vec<PqKem>,
    plain: Vec<PlainSeed>,
}

impl PqKems {
    /// The KEMs of [`PqKemId::ALL`] over `ml_kem` whose group (for a hybrid) is in `groups`.
    pub fn new<G: DhGroup>(
        ml_kem: &'static dyn MlKem,
        groups: &'static [G],
        random_fill: fn(&mut [u8]) -> Result<(), CryptoError>,
    ) -> Self {
        let kems: Vec<PqKem> = PqKemId::ALL
            .into_iter()
            .filter_map(|id| PqKem::new(id, ml_kem, groups, random_fill))
            .collect();
        let plain = kems.iter().copied().map(PlainSeed).collect();
        Self { kems, plain }
    }

    /// The KEM with HPKE identifier `kem_id`.
    pub fn get(&self, kem_id: u16) -> Option<&PqKem> {
        self.kems.iter().find(|k| k.kem_id() == kem_id)
    }

    /// The KEMs, with the key derivation `derivation`.
    fn with(&'static self, derivation: PqSeedDerivation) -> Vec<&'static dyn Kem> {
        match derivation {
            PqSeedDerivation::PlainShake256 => self.plain.iter().map(|k| k as &dyn Kem).collect(),
            _ => self.kems.iter().map(|k| k as &dyn Kem).collect(),
        }
    }

    /// The operations of `cs`, read through `points`: a suite of RFC 9420, one of the eleven of
    /// draft-ietf-mls-pq-ciphersuites at cohort's code points, or an alias of `points` with
    /// its draft suite's algorithms (and the preset's key derivation) under its own code point.
    /// `None` when `primitives` and these KEMs lack one of its algorithms.
    pub fn suite<H, A, D, S>(
        &'static self,
        cs: CipherSuite,
        points: PqCodePoints,
        primitives: &Primitives<H, A, D, S>,
    ) -> Option<Arc<dyn SuiteOps>>
    where
        H: HashFunction + Clone + 'static,
        A: Aead + Clone + 'static,
        D: DhGroup + Clone + 'static,
        S: SignatureAlgorithm + Clone + 'static,
    {
        let suite = match points.draft_suite(cs) {
            Some(draft) => ComposedSuite::with_kems_as(
                cs,
                draft,
                primitives,
                &self.with(points.seed_derivation),
            ),
            None => ComposedSuite::with_kems(cs, primitives, &self.with(PqSeedDerivation::Labeled)),
        };
        suite.map(|s| Arc::new(s) as Arc<dyn SuiteOps>)
    }
}

/// A backend's HPKE algorithms by identifier: those of its [`Primitives`] table, the KEMs of
/// its [`PqKems`] and the single-stage KDFs of draft-ietf-hpke-pq ([`XofKdf`]).
pub struct WithPq<H: 'static, A: 'static, D: 'static, S: 'static> {
    /// The backend's table.
    pub primitives: &'static Primitives<H, A, D, S>,
    /// The backend's post-quantum KEMs (built on first use).
    pub kems: fn() -> &'static PqKems,
}

impl<H, A, D, S> std::fmt::Debug for WithPq<H, A, D, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithPq").finish_non_exhaustive()
    }
}

impl<H, A, D, S> HpkeAlgorithms for WithPq<H, A, D, S>
where
    H: HashFunction + 'static,
    A: Aead + 'static,
    D: DhGroup + 'static,
    S: Send + Sync + std::fmt::Debug + 'static,
{
    fn kem(&self, kem_id: u16) -> Option<Box<dyn Kem + '_>> {
        match (self.kems)().get(kem_id) {
            Some(kem) => Some(Box::new(*kem)),
            None => self.primitives.kem(kem_id),
        }
    }

    fn kdf(&self, kdf_id: u16) -> Option<HpkeKdf<'_>> {
        match XofKdf::ALL.iter().find(|x| x.kdf_id() == kdf_id) {
            Some(xof) => Some(HpkeKdf::OneStage(xof)),
            None => self.primitives.kdf(kdf_id),
        }
    }

    fn aead(&self, aead_id: u16) -> Option<&dyn Aead> {
        self.primitives.aead(aead_id)
    }
}
