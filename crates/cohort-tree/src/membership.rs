//! Membership proofs of partial MLS (draft-ietf-mls-partial-02, "Membership Proofs and Partial
//! Trees"): a leaf, the nodes of its direct path and the tree hashes of its copath, from which
//! anyone recomputes the root tree hash and so checks, against the tree hash a group agreed on,
//! that the leaf sits at its index.
//!
//! ```text
//! struct { opaque hash_value<V>; } CopathHash;
//! struct {
//!   uint32 leaf_index;
//!   uint32 n_leaves;
//!   optional<Node> direct_path_nodes<V>;   // the leaf, then each ancestor up to the root
//!   CopathHash copath_hashes<V>;           // the leaf's sibling's tree hash, then each
//! } MembershipProof;                       // ancestor's sibling's, below the root
//! ```
//!
//! A proof is built from a full tree by [`MembershipProof::from_tree`] (the annotator's side)
//! and checked by [`MembershipProof::verify`] (the light client's side).

use cohort_codec::{CodecError, Decode, Encode, VarBytes};
use cohort_crypto::{CryptoError, SuiteOps};

use crate::TreeError;
use crate::hash::{leaf_tree_hash, parent_tree_hash};
use crate::leaf::LeafNode;
use crate::math::{self, LeafIndex, NodeIndex};
use crate::node::{Node, ParentNode};
use crate::tree::RatchetTree;

/// `CopathHash`: the tree hash of one copath node.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct CopathHash {
    /// The tree hash.
    pub hash_value: VarBytes,
}

/// `MembershipProof`: a leaf, its direct path's nodes and its copath's tree hashes.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct MembershipProof {
    /// The leaf's index.
    pub leaf_index: LeafIndex,
    /// The number of leaves of the tree (a power of two).
    pub n_leaves: u32,
    /// The leaf, then its ancestors up to and including the root (blank ones as `None`).
    pub direct_path_nodes: Vec<Option<Node>>,
    /// The tree hashes of the leaf's copath, from the leaf's sibling up.
    pub copath_hashes: Vec<CopathHash>,
}

/// Why a membership proof is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MembershipProofError {
    /// `n_leaves` is zero, not a power of two, or beyond 2^31.
    #[error("a tree cannot have {0} leaves (a power of two up to 2^31)")]
    LeafCount(u32),
    /// The leaf index is outside the tree.
    #[error("leaf {leaf} is outside a tree of {n_leaves} leaves")]
    LeafOutOfRange {
        /// The proof's leaf index.
        leaf: u32,
        /// The proof's leaf count.
        n_leaves: u32,
    },
    /// The proof does not have one node per level and one copath hash per level below the root.
    #[error(
        "a tree of {n_leaves} leaves needs {nodes} path nodes and {hashes} copath hashes, the proof has {got_nodes} and {got_hashes}"
    )]
    Shape {
        /// The proof's leaf count.
        n_leaves: u32,
        /// The path nodes it needs.
        nodes: usize,
        /// The copath hashes it needs.
        hashes: usize,
        /// The path nodes it has.
        got_nodes: usize,
        /// The copath hashes it has.
        got_hashes: usize,
    },
    /// The proven leaf is blank: it proves no member.
    #[error("the proven leaf is blank")]
    BlankLeaf,
    /// A path node has the wrong type for its place (a parent at the leaf, a leaf above it).
    #[error("path node {0} has the wrong node type for its place")]
    NodeType(usize),
    /// The recomputed root tree hash is not the expected one.
    #[error("the proof does not lead to the expected tree hash")]
    TreeHashMismatch,
    /// Two proofs that should describe one tree do not.
    #[error("the proofs do not reference the same tree")]
    DifferentTrees,
    /// Hashing failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// Encoding a node failed.
    #[error(transparent)]
    Codec(#[from] CodecError),
}

impl From<TreeError> for MembershipProofError {
    fn from(e: TreeError) -> Self {
        match e {
            TreeError::Crypto(c) => Self::Crypto(c),
            TreeError::Codec(c) => Self::Codec(c),
            // The hashing helpers fail only for crypto or encoding reasons.
            _ => Self::TreeHashMismatch,
        }
    }
}

impl MembershipProof {
    /// The proof for `leaf` in `tree` (whose hashes are computed as needed).
    ///
    /// # Errors
    /// [`MembershipProofError::LeafOutOfRange`] or [`MembershipProofError::BlankLeaf`] for a
    /// leaf that is not a member; a crypto or encoding failure.
    pub fn from_tree(
        tree: &mut RatchetTree,
        suite: &dyn SuiteOps,
        leaf: LeafIndex,
    ) -> Result<Self, MembershipProofError> {
        let n_leaves = tree.leaf_count();
        if leaf.0 >= n_leaves {
            return Err(MembershipProofError::LeafOutOfRange {
                leaf: leaf.0,
                n_leaves,
            });
        }
        if tree.leaf(leaf).is_none() {
            return Err(MembershipProofError::BlankLeaf);
        }
        let x = leaf.node();
        let mut direct_path_nodes = vec![tree.node(x).cloned()];
        for p in math::direct_path(x, n_leaves) {
            direct_path_nodes.push(tree.node(p).cloned());
        }
        let mut copath_hashes = Vec::new();
        for s in math::copath(x, n_leaves) {
            copath_hashes.push(CopathHash {
                hash_value: tree.node_tree_hash(suite, s)?.into(),
            });
        }
        Ok(Self {
            leaf_index: leaf,
            n_leaves,
            direct_path_nodes,
            copath_hashes,
        })
    }

    /// The proven leaf, when the proof has the right shape.
    pub fn leaf(&self) -> Option<&LeafNode> {
        match self.direct_path_nodes.first()? {
            Some(Node::Leaf(leaf)) => Some(leaf),
            _ => None,
        }
    }

    /// The node of the proven leaf's direct path at `x` (the leaf or one of its ancestors), if
    /// `x` is on it and not blank.
    pub fn node_at(&self, x: NodeIndex) -> Option<&Node> {
        let path = self.path_indices().ok()?;
        let i = path.iter().position(|p| *p == x)?;
        self.direct_path_nodes.get(i)?.as_ref()
    }

    /// The parent node at `x` on the proven leaf's direct path, if there and not blank.
    pub fn parent_at(&self, x: NodeIndex) -> Option<&ParentNode> {
        match self.node_at(x)? {
            Node::Parent(p) => Some(p),
            Node::Leaf(_) => None,
        }
    }

    /// The node indices the proof's path nodes stand for: the leaf, then its ancestors.
    ///
    /// # Errors
    /// As [`MembershipProof::check_shape`].
    pub fn path_indices(&self) -> Result<Vec<NodeIndex>, MembershipProofError> {
        self.check_shape()?;
        let x = self.leaf_index.node();
        let mut out = vec![x];
        out.extend(math::direct_path(x, self.n_leaves));
        Ok(out)
    }

    /// Checks the proof's shape: a power-of-two leaf count, a leaf inside it, one path node
    /// per level (a non-blank leaf first, then parents or blanks) and one copath hash per
    /// level below the root.
    ///
    /// # Errors
    /// The [`MembershipProofError`] that says what is wrong.
    pub fn check_shape(&self) -> Result<(), MembershipProofError> {
        let n = self.n_leaves;
        if n == 0 || !n.is_power_of_two() || n > 1 << 31 {
            return Err(MembershipProofError::LeafCount(n));
        }
        if self.leaf_index.0 >= n {
            return Err(MembershipProofError::LeafOutOfRange {
                leaf: self.leaf_index.0,
                n_leaves: n,
            });
        }
        let depth = n.trailing_zeros() as usize;
        if self.direct_path_nodes.len() != depth + 1 || self.copath_hashes.len() != depth {
            return Err(MembershipProofError::Shape {
                n_leaves: n,
                nodes: depth + 1,
                hashes: depth,
                got_nodes: self.direct_path_nodes.len(),
                got_hashes: self.copath_hashes.len(),
            });
        }
        match self.direct_path_nodes.first() {
            Some(Some(Node::Leaf(_))) => {}
            Some(None) => return Err(MembershipProofError::BlankLeaf),
            _ => return Err(MembershipProofError::NodeType(0)),
        }
        if let Some(i) = self
            .direct_path_nodes
            .iter()
            .skip(1)
            .position(|n| matches!(n, Some(Node::Leaf(_))))
        {
            return Err(MembershipProofError::NodeType(i + 1));
        }
        Ok(())
    }

    /// The root tree hash the proof leads to (RFC 9420 §7.8 along the leaf's path).
    ///
    /// # Errors
    /// A malformed proof ([`MembershipProof::check_shape`]); a crypto or encoding failure.
    pub fn root_tree_hash(&self, suite: &dyn SuiteOps) -> Result<Vec<u8>, MembershipProofError> {
        let path = self.path_indices()?;
        let leaf = match self.direct_path_nodes.first() {
            Some(Some(Node::Leaf(leaf))) => leaf,
            _ => return Err(MembershipProofError::BlankLeaf),
        };
        let mut hash = leaf_tree_hash(suite, self.leaf_index, Some(leaf))?;
        for (level, (copath, window)) in self.copath_hashes.iter().zip(path.windows(2)).enumerate()
        {
            let (child, parent) = (window[0], window[1]);
            let node = match self.direct_path_nodes.get(level + 1) {
                Some(Some(Node::Parent(p))) => Some(p),
                Some(None) => None,
                _ => return Err(MembershipProofError::NodeType(level + 1)),
            };
            let sibling = copath.hash_value.as_slice();
            hash = if child.0 < parent.0 {
                parent_tree_hash(suite, node, &hash, sibling)?
            } else {
                parent_tree_hash(suite, node, sibling, &hash)?
            };
        }
        Ok(hash)
    }

    /// Checks the proof against the tree hash the group agreed on.
    ///
    /// # Errors
    /// [`MembershipProofError::TreeHashMismatch`] when it leads elsewhere; a malformed proof.
    pub fn verify(
        &self,
        suite: &dyn SuiteOps,
        tree_hash: &[u8],
    ) -> Result<(), MembershipProofError> {
        let root = self.root_tree_hash(suite)?;
        // Tree hashes are public: a plain comparison.
        if root == tree_hash {
            Ok(())
        } else {
            Err(MembershipProofError::TreeHashMismatch)
        }
    }

    /// Whether two proofs reference the same tree: the same leaf count and root tree hash.
    /// Returns that hash.
    ///
    /// # Errors
    /// [`MembershipProofError::DifferentTrees`] when they do not; a malformed proof.
    pub fn same_tree(
        &self,
        other: &Self,
        suite: &dyn SuiteOps,
    ) -> Result<Vec<u8>, MembershipProofError> {
        let mine = self.root_tree_hash(suite)?;
        let theirs = other.root_tree_hash(suite)?;
        if self.n_leaves == other.n_leaves && mine == theirs {
            Ok(mine)
        } else {
            Err(MembershipProofError::DifferentTrees)
        }
    }
}
