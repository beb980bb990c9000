//! Parent nodes, tree nodes and the `ratchet_tree` node list (RFC 9420 §7.1, §12.4.3.3).

use cohort_codec::{Decode, Encode, VarBytes};
use cohort_crypto::HpkePublicKey;

use crate::leaf::LeafNode;
use crate::math::LeafIndex;

/// `ParentNode` (RFC 9420 §7.1).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct ParentNode {
    /// The node's HPKE public key.
    pub encryption_key: HpkePublicKey,
    /// The parent hash of this node's parent (RFC 9420 §7.9).
    pub parent_hash: VarBytes,
    /// Leaves added below this node since it was last set, in ascending order.
    pub unmerged_leaves: Vec<LeafIndex>,
}

/// `Node` (RFC 9420 §12.4.3.3): a leaf or a parent.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[repr(u8)]
#[allow(
    clippy::large_enum_variant,
    reason = "trees and node lists hold nodes boxed, so the variant size costs nothing per blank"
)]
pub enum Node {
    /// `leaf(1)`.
    Leaf(LeafNode) = 1,
    /// `parent(2)`.
    Parent(ParentNode) = 2,
}

/// `optional<Node> ratchet_tree<V>`: the body of the `ratchet_tree` extension (RFC 9420
/// §12.4.3.3), blank nodes as `None`.
///
/// Decoding checks only the syntax; whether the list forms a valid tree (leaves at even
/// positions, no trailing blank, a full-tree length) is tree validation's job.
///
/// Nodes are behind pointers so that a blank costs one pointer: a list of blanks one byte each
/// cannot make the decoder allocate hundreds of times the input's size. The pointers are shared
/// (`Arc`) with the [`crate::RatchetTree`] the list comes from or goes to, so that putting a
/// large tree into a GroupInfo or building one from it copies no node.
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode)]
pub struct RatchetTreeNodes(pub Vec<Option<std::sync::Arc<Node>>>);
