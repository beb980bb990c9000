//! Errors of tree operations and tree validation.

use cohort_codec::CodecError;
use cohort_crypto::CryptoError;

use crate::math::{LeafIndex, NodeIndex};

/// What was wrong with a ratchet tree, or with an operation on one.
///
/// Each variant names one check; the doc comment cites the RFC section that requires it.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// RFC 9420 §12.4.3.3: the node list is empty or its last entry is blank.
    #[error("ratchet tree is empty or its last node is blank")]
    TrailingBlank,
    /// RFC 9420 §12.4.3.3: a leaf at an odd position or a parent at an even one.
    #[error("node {0:?} does not have the type its position requires")]
    NodeTypeMismatch(NodeIndex),
    /// A stored list of changed slots (`TreeChanges`) names a slot outside the tree, or names
    /// slots out of order: the stored state is damaged.
    #[error("the changes of a stored tree are out of order or out of range")]
    InvalidChanges,
    /// The tree would need more than 2^31 leaves.
    #[error("ratchet tree of {0} nodes is too large")]
    TooLarge(usize),
    /// RFC 9420 §7.1: `unmerged_leaves` must be strictly increasing.
    #[error("unmerged leaves of {0:?} are not strictly increasing")]
    UnsortedUnmergedLeaves(NodeIndex),
    /// RFC 9420 §12.4.3.1: an unmerged leaf must be a non-blank descendant of its parent.
    #[error("unmerged leaf {leaf:?} of {node:?} is not a non-blank leaf below it")]
    InvalidUnmergedLeaf {
        /// The parent node.
        node: NodeIndex,
        /// The leaf it lists.
        leaf: LeafIndex,
    },
    /// RFC 9420 §12.4.3.1: every non-blank node between an unmerged leaf and the parent listing
    /// it must list it too.
    #[error("{leaf:?} is unmerged at {node:?} but not at the non-blank {intermediate:?} below it")]
    UnmergedLeafNotPropagated {
        /// The parent node that lists the leaf.
        node: NodeIndex,
        /// The leaf.
        leaf: LeafIndex,
        /// The intermediate node that does not.
        intermediate: NodeIndex,
    },
    /// RFC 9420 §7.3, §16.7: two nodes share an encryption key.
    #[error("nodes {0:?} and {1:?} have the same encryption key")]
    DuplicateEncryptionKey(NodeIndex, NodeIndex),
    /// RFC 9420 §7.3: two leaves share a signature key.
    #[error("leaves {0:?} and {1:?} have the same signature key")]
    DuplicateSignatureKey(LeafIndex, LeafIndex),
    /// RFC 9420 §7.9.2: a non-blank parent is not covered by exactly one valid parent-hash
    /// link from below.
    #[error("parent {node:?} is covered by {links} valid parent-hash links, not exactly one")]
    ParentHashCoverage {
        /// The parent node.
        node: NodeIndex,
        /// How many valid links were found.
        links: usize,
    },
    /// RFC 9420 §7.9: a recomputed parent hash differs from the one in the tree or leaf.
    #[error("parent hash mismatch at {0:?}")]
    ParentHashMismatch(NodeIndex),
    /// RFC 9420 §7.8, §12.4.3.3: the tree hash differs from the expected one.
    #[error("tree hash does not match the expected value")]
    TreeHashMismatch,
    /// RFC 9420 §7.3: a leaf's signature does not verify.
    #[error("signature of leaf {0:?} does not verify")]
    InvalidLeafSignature(LeafIndex),
    /// A leaf index outside the tree, or pointing at a blank leaf, where a member is required.
    #[error("leaf {0:?} is outside the tree or blank")]
    BlankOrMissingLeaf(LeafIndex),
    /// A crypto operation failed.
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// An encoding failed.
    #[error("encoding: {0}")]
    Codec(#[from] CodecError),
}

/// Whether `e` is a failure of our own crypto provider rather than an answer about the data it
/// was given ([`cohort_crypto::CryptoErrorKind::is_provider_failure`]).
pub(crate) fn is_provider_failure(e: &CryptoError) -> bool {
    e.kind().is_provider_failure()
}
