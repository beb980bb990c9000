//! UpdatePath (RFC 9420 §7.6): a committer's new path, encrypted to the copath.

use cohort_codec::{Decode, Encode};
use cohort_crypto::{HpkeCiphertext, HpkePublicKey};

use crate::leaf::LeafNode;

/// `UpdatePathNode` (RFC 9420 §7.6): a new public key for one node of the filtered direct path
/// and its path secret, encrypted to each node of the copath child's resolution.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct UpdatePathNode {
    /// The node's new HPKE public key.
    pub encryption_key: HpkePublicKey,
    /// The path secret, once per node of the resolution, in resolution order.
    pub encrypted_path_secret: Vec<HpkeCiphertext>,
}

/// `UpdatePath` (RFC 9420 §7.6).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct UpdatePath {
    /// The committer's new leaf, of source `commit`.
    pub leaf_node: LeafNode,
    /// One entry per node of the committer's filtered direct path.
    pub nodes: Vec<UpdatePathNode>,
}
