//! The application export tree of draft-ietf-mls-extensions ("Exported Secrets"): one
//! forward-secure exported secret per component, deleted from the group once exported.
//!
//! The tree has the shape of RFC 9420's secret tree (§9) with 2^16 leaves, one per
//! `ComponentID`; its root is the epoch's `application_export_secret` and a node's children are
//! `ExpandWithLabel(secret, "tree", "left" | "right", Nh)`. The component's secret is its
//! leaf's. Only the frontier is kept: the nodes not yet expanded that still cover some
//! component not yet exported. Exporting a component replaces the frontier node above it by
//! the siblings of its path, and deletes the path, so the secret cannot be derived again from
//! what the group holds (the deletion schedule of RFC 9420 §9.2).

use cohort_codec::{CodecError, Decode, Encode, Reader};
use cohort_crypto::{Secret, SuiteOps, labeled};

use crate::KeyScheduleError;

/// Levels of the tree: 16, one per bit of a component ID.
const DEPTH: u32 = 16;
/// The root's node index in the left-balanced numbering of RFC 9420 Appendix C.
const ROOT: u32 = (1 << DEPTH) - 1;

/// The undeleted part of an epoch's application export tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationExportTree {
    /// Frontier nodes, as (node index, secret), sorted by node index.
    frontier: Vec<(u32, Secret)>,
}

/// The level of node `x` (its number of trailing one bits).
fn level(x: u32) -> u32 {
    x.trailing_ones()
}

/// Whether node `x` is `leaf_node` or one of its ancestors.
fn covers(x: u32, leaf_node: u32) -> bool {
    let half = (1u32 << level(x)) - 1;
    x.saturating_sub(half) <= leaf_node && leaf_node <= x.saturating_add(half)
}

impl ApplicationExportTree {
    /// The tree of an epoch whose `application_export_secret` is `root`.
    pub fn new(root: Secret) -> Self {
        Self {
            frontier: vec![(ROOT, root)],
        }
    }

    /// The epoch's `application_export_secret`, `DeriveSecret(epoch_secret,
    /// "application_export")`.
    ///
    /// # Errors
    /// A crypto failure.
    pub fn derive_root(
        suite: &dyn SuiteOps,
        epoch_secret: &[u8],
    ) -> Result<Secret, KeyScheduleError> {
        Ok(labeled::derive_secret(
            suite,
            epoch_secret,
            b"application_export",
        )?)
    }

    /// `SafeExportSecret(component)`: the leaf secret of `component`, after which the leaf and
    /// the nodes above it that covered it are deleted.
    ///
    /// # Errors
    /// [`KeyScheduleError::ComponentSecretConsumed`] when `component`'s secret was exported
    /// already; a crypto failure (the tree is then unchanged).
    pub fn export(
        &mut self,
        suite: &dyn SuiteOps,
        component: u16,
    ) -> Result<Secret, KeyScheduleError> {
        let target = 2 * u32::from(component);
        let at = self
            .frontier
            .iter()
            .position(|(x, _)| covers(*x, target))
            .ok_or(KeyScheduleError::ComponentSecretConsumed(component))?;
        let nh = u16::try_from(suite.hash_len()).map_err(|_| {
            KeyScheduleError::Crypto(cohort_crypto::CryptoError::new(
                cohort_crypto::CryptoErrorKind::InvalidLength,
            ))
        })?;
        let (mut x, mut secret) = self.frontier[at].clone();
        let mut siblings = Vec::with_capacity(level(x) as usize);
        while x != target {
            let k = level(x);
            let step = 1u32 << (k - 1);
            let (left, right) = (x - step, x + step);
            let l = labeled::expand_with_label(suite, secret.as_bytes(), b"tree", b"left", nh)?;
            let r = labeled::expand_with_label(suite, secret.as_bytes(), b"tree", b"right", nh)?;
            if target < x {
                siblings.push((right, r));
                (x, secret) = (left, l);
            } else {
                siblings.push((left, l));
                (x, secret) = (right, r);
            }
        }
        // All derived: only now change the tree.
        self.frontier.remove(at);
        self.frontier.extend(siblings);
        self.frontier.sort_by_key(|(x, _)| *x);
        Ok(secret)
    }

    /// Whether `component`'s secret can still be exported.
    pub fn available(&self, component: u16) -> bool {
        let target = 2 * u32::from(component);
        self.frontier.iter().any(|(x, _)| covers(*x, target))
    }
}

impl Encode for ApplicationExportTree {
    fn encoded_len(&self) -> usize {
        self.frontier.encoded_len()
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        self.frontier.encode(out)
    }
}

impl Decode for ApplicationExportTree {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        let frontier: Vec<(u32, Secret)> = Decode::decode(reader)?;
        // Nodes of the tree, in order, none covering another.
        let well_formed = frontier.iter().all(|(x, _)| *x <= 2 * ROOT)
            && frontier.windows(2).all(|w| {
                let (a, b) = (w[0].0, w[1].0);
                a < b && !covers(a, b) && !covers(b, a)
            });
        if !well_formed {
            return Err(CodecError::InvalidValue {
                what: "ApplicationExportTree",
                reason: "frontier nodes out of order, outside the tree or overlapping",
            });
        }
        Ok(Self { frontier })
    }
}
