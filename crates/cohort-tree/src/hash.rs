//! Tree hashes (RFC 9420 §7.8) and parent hashes (§7.9).
//!
//! ```text
//!            th(P) = Hash(TreeHashInput{parent, optional<P>, th(L), th(R)})
//!             /  \
//!        th(L)    th(R)          th(leaf i) = Hash(TreeHashInput{leaf, i, optional<leaf>})
//!
//!   ph(P, S) = Hash(ParentHashInput{P.encryption_key, P.parent_hash, original th(S)})
//! ```
//!
//! Tree hashes are cached per node in the tree and invalidated along the path of each change,
//! so recomputing after a commit costs one hash per changed node. The "original sibling tree
//! hash" of §7.9 blanks the parent's unmerged leaves in the sibling subtree; when none of them
//! lies there it is the cached hash, otherwise it is recomputed for that subtree only.

use cohort_codec::{CodecError, Encode};
use cohort_crypto::SuiteOps;

use crate::error::TreeError;
use crate::math::{self, LeafIndex, NodeIndex};
use crate::node::{Node, ParentNode};
use crate::tree::{RatchetTree, is_descendant};

/// `NodeType` values in `TreeHashInput`.
const NODE_TYPE_LEAF: u8 = 1;
const NODE_TYPE_PARENT: u8 = 2;

impl RatchetTree {
    /// The tree hash of the root (RFC 9420 §7.8), computing and caching what is missing.
    ///
    /// # Errors
    /// A crypto or encoding failure.
    pub fn tree_hash(&mut self, suite: &dyn SuiteOps) -> Result<Vec<u8>, TreeError> {
        if self.nodes.is_empty() {
            return Err(TreeError::TrailingBlank);
        }
        let root = self.root();
        self.node_tree_hash(suite, root)
    }

    /// Checks the root tree hash against `expected`, the `tree_hash` of the GroupContext the
    /// tree is used with (RFC 9420 §7.8, §12.4.3.3: before the tree is used for anything).
    ///
    /// # Errors
    /// [`TreeError::TreeHashMismatch`] when they differ; [`TreeError::TrailingBlank`] for an
    /// empty tree; a crypto or encoding failure.
    pub fn verify_tree_hash(
        &mut self,
        suite: &dyn SuiteOps,
        expected: &[u8],
    ) -> Result<(), TreeError> {
        if self.tree_hash(suite)? != expected {
            return Err(TreeError::TreeHashMismatch);
        }
        Ok(())
    }

    /// The tree hash of the subtree rooted at `x`, computing and caching what is missing.
    ///
    /// # Errors
    /// A crypto or encoding failure.
    pub fn node_tree_hash(
        &mut self,
        suite: &dyn SuiteOps,
        x: NodeIndex,
    ) -> Result<Vec<u8>, TreeError> {
        if let Some(Some(h)) = self.hashes.get(x.0 as usize) {
            return Ok(h.to_vec());
        }
        let hash = match (math::left(x), math::right(x)) {
            (Some(l), Some(r)) => {
                let lh = self.node_tree_hash(suite, l)?;
                let rh = self.node_tree_hash(suite, r)?;
                parent_hash_input_hash(suite, self.parent_node(x), &lh, &rh)?
            }
            _ => leaf_hash(suite, self, x)?,
        };
        if let Some(slot) = self.hashes.get_mut(x.0 as usize) {
            *slot = Some(std::sync::Arc::from(hash.as_slice()));
        }
        Ok(hash)
    }

    /// Computes every missing tree hash, so that later reads through [`RatchetTree::cached_hash`]
    /// succeed.
    ///
    /// # Errors
    /// A crypto or encoding failure.
    pub fn compute_hashes(&mut self, suite: &dyn SuiteOps) -> Result<(), TreeError> {
        self.tree_hash(suite).map(|_| ())
    }

    /// The cached tree hash of `x`, if computed since its subtree last changed.
    pub fn cached_hash(&self, x: NodeIndex) -> Option<&[u8]> {
        self.hashes.get(x.0 as usize).and_then(|h| h.as_deref())
    }

    /// The tree hash of `x`'s subtree with the leaves in `excluded` blanked and removed from every
    /// unmerged-leaves list: the "original sibling tree hash" of RFC 9420 §7.9.
    ///
    /// Uses the cache for subtrees that contain none of `excluded`; call
    /// [`RatchetTree::compute_hashes`] first for the fast path.
    ///
    /// # Errors
    /// A crypto or encoding failure.
    pub fn original_tree_hash(
        &self,
        suite: &dyn SuiteOps,
        x: NodeIndex,
        excluded: &[LeafIndex],
    ) -> Result<Vec<u8>, TreeError> {
        let touches = excluded.iter().any(|l| is_descendant(l.node(), x));
        if !touches {
            if let Some(h) = self.cached_hash(x) {
                return Ok(h.to_vec());
            }
        }
        match (math::left(x), math::right(x)) {
            (Some(l), Some(r)) => {
                let lh = self.original_tree_hash(suite, l, excluded)?;
                let rh = self.original_tree_hash(suite, r, excluded)?;
                let parent = self.parent_node(x).map(|p| {
                    let mut p = p.clone();
                    p.unmerged_leaves.retain(|u| !excluded.contains(u));
                    p
                });
                parent_hash_input_hash(suite, parent.as_ref(), &lh, &rh)
            }
            _ => {
                let leaf = LeafIndex(x.0 / 2);
                if excluded.contains(&leaf) {
                    leaf_hash_of(suite, leaf, None)
                } else {
                    leaf_hash(suite, self, x)
                }
            }
        }
    }

    /// The parent hash of `p` with copath child `s` (RFC 9420 §7.9), from the node's own
    /// `parent_hash` field.
    ///
    /// # Errors
    /// [`TreeError::ParentHashMismatch`] when `p` is blank; a crypto or encoding failure.
    pub fn parent_hash(
        &self,
        suite: &dyn SuiteOps,
        p: NodeIndex,
        s: NodeIndex,
    ) -> Result<Vec<u8>, TreeError> {
        let node = self
            .parent_node(p)
            .ok_or(TreeError::ParentHashMismatch(p))?;
        let sibling_hash = self.original_tree_hash(suite, s, &node.unmerged_leaves)?;
        parent_hash_of(suite, node, &sibling_hash)
    }

    /// Checks that every non-blank parent is parent-hash valid, covered by exactly one valid link
    /// from a node below it (RFC 9420 §7.9.2). Computes missing tree hashes first.
    ///
    /// For each parent `P` and child `C` (sibling `S`), the only possible link is from the one
    /// node `D` of `resolution(C)` that is not among `P`'s unmerged leaves, and it exists only
    /// when every unmerged leaf of `P` under `C` is in that resolution; so each parent costs one
    /// resolution per side, never a search over pairs.
    ///
    /// # Errors
    /// [`TreeError::ParentHashCoverage`] naming the first parent not covered exactly once.
    pub fn verify_parent_hashes(&mut self, suite: &dyn SuiteOps) -> Result<(), TreeError> {
        self.compute_hashes(suite)?;
        let parents: Vec<NodeIndex> = self.parents().map(|(x, _)| x).collect();
        for p in parents {
            let mut links = 0;
            let (Some(l), Some(r)) = (math::left(p), math::right(p)) else {
                continue;
            };
            for (c, s) in [(l, r), (r, l)] {
                if self.link_below(suite, p, c, s)? {
                    links += 1;
                }
            }
            if links != 1 {
                return Err(TreeError::ParentHashCoverage { node: p, links });
            }
        }
        Ok(())
    }

    /// Whether some node `D` under child `c` of `p` validly links to `p` (RFC 9420 §7.9.2).
    fn link_below(
        &self,
        suite: &dyn SuiteOps,
        p: NodeIndex,
        c: NodeIndex,
        s: NodeIndex,
    ) -> Result<bool, TreeError> {
        let Some(parent) = self.parent_node(p) else {
            return Ok(false);
        };
        let resolution = self.resolution(c);
        let unmerged_under_c: Vec<NodeIndex> = parent
            .unmerged_leaves
            .iter()
            .map(|l| l.node())
            .filter(|n| is_descendant(*n, c))
            .collect();
        // resolution(C) minus D must equal P.unmerged ∩ subtree(C): exactly one extra node.
        let extra: Vec<NodeIndex> = resolution
            .iter()
            .copied()
            .filter(|n| !unmerged_under_c.contains(n))
            .collect();
        let all_unmerged_in_res = unmerged_under_c.iter().all(|u| resolution.contains(u));
        let [d] = extra.as_slice() else {
            return Ok(false);
        };
        if !all_unmerged_in_res || resolution.len() != unmerged_under_c.len() + 1 {
            return Ok(false);
        }
        let Some(d_parent_hash) = self.node(*d).and_then(node_parent_hash) else {
            return Ok(false);
        };
        let expected = self.parent_hash(suite, p, s)?;
        Ok(d_parent_hash == expected.as_slice())
    }
}

/// The `parent_hash` a node carries: a parent's field, or a commit-source leaf's.
fn node_parent_hash(node: &Node) -> Option<&[u8]> {
    match node {
        Node::Parent(p) => Some(&p.parent_hash),
        Node::Leaf(l) => match &l.leaf_node_source {
            crate::leaf::LeafNodeSource::Commit(ph) => Some(ph),
            _ => None,
        },
    }
}

/// `Hash(ParentHashInput{encryption_key, parent_hash, original_sibling_tree_hash})`.
///
/// # Errors
/// A crypto or encoding failure.
pub fn parent_hash_of(
    suite: &dyn SuiteOps,
    node: &ParentNode,
    original_sibling_tree_hash: &[u8],
) -> Result<Vec<u8>, TreeError> {
    let mut buf = Vec::with_capacity(
        node.encryption_key.encoded_len()
            + node.parent_hash.encoded_len()
            + cohort_codec::opaque_len(original_sibling_tree_hash),
    );
    node.encryption_key.encode(&mut buf)?;
    node.parent_hash.encode(&mut buf)?;
    cohort_codec::encode_opaque(original_sibling_tree_hash, &mut buf)?;
    Ok(suite.hash(&buf)?)
}

fn leaf_hash(suite: &dyn SuiteOps, tree: &RatchetTree, x: NodeIndex) -> Result<Vec<u8>, TreeError> {
    let leaf = LeafIndex(x.0 / 2);
    leaf_hash_of(suite, leaf, tree.leaf(leaf))
}

/// The tree hash of a leaf: `Hash(TreeHashInput{leaf, LeafNodeHashInput{leaf_index,
/// optional<LeafNode>}})` (RFC 9420 §7.8).
///
/// # Errors
/// A crypto or encoding failure.
pub fn leaf_tree_hash(
    suite: &dyn SuiteOps,
    leaf: LeafIndex,
    node: Option<&crate::leaf::LeafNode>,
) -> Result<Vec<u8>, TreeError> {
    leaf_hash_of(suite, leaf, node)
}

/// The tree hash of a parent from its children's: `Hash(TreeHashInput{parent,
/// ParentNodeHashInput{optional<ParentNode>, left_hash, right_hash}})` (RFC 9420 §7.8).
///
/// # Errors
/// A crypto or encoding failure.
pub fn parent_tree_hash(
    suite: &dyn SuiteOps,
    node: Option<&ParentNode>,
    left: &[u8],
    right: &[u8],
) -> Result<Vec<u8>, TreeError> {
    parent_hash_input_hash(suite, node, left, right)
}

/// `Hash(TreeHashInput{leaf, LeafNodeHashInput{leaf_index, optional<LeafNode>}})`.
fn leaf_hash_of(
    suite: &dyn SuiteOps,
    leaf: LeafIndex,
    node: Option<&crate::leaf::LeafNode>,
) -> Result<Vec<u8>, TreeError> {
    let mut buf = Vec::with_capacity(6 + node.map_or(0, Encode::encoded_len));
    buf.push(NODE_TYPE_LEAF);
    leaf.encode(&mut buf)?;
    node.encode(&mut buf)?;
    Ok(suite.hash(&buf)?)
}

/// `Hash(TreeHashInput{parent, ParentNodeHashInput{optional<ParentNode>, left, right}})`.
fn parent_hash_input_hash(
    suite: &dyn SuiteOps,
    node: Option<&ParentNode>,
    left: &[u8],
    right: &[u8],
) -> Result<Vec<u8>, TreeError> {
    let mut buf = Vec::with_capacity(
        2 + node.map_or(0, Encode::encoded_len)
            + cohort_codec::opaque_len(left)
            + cohort_codec::opaque_len(right),
    );
    buf.push(NODE_TYPE_PARENT);
    node.encode(&mut buf)?;
    encode_opaque_pair(left, right, &mut buf)?;
    Ok(suite.hash(&buf)?)
}

fn encode_opaque_pair(a: &[u8], b: &[u8], out: &mut Vec<u8>) -> Result<(), CodecError> {
    cohort_codec::encode_opaque(a, out)?;
    cohort_codec::encode_opaque(b, out)
}
