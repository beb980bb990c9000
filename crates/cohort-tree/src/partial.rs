//! TreeKEM for a light client (draft-ietf-mls-partial-02, "Annotated Commit"): the commit
//! secret from an UpdatePath without the tree, guided by the committer's and the receiver's
//! membership proofs in the tree after the commit and the annotation's `resolution_index`.

use cohort_crypto::{HpkePrivateKey, HpkePublicKey, Secret, SuiteOps, labeled};

use crate::math::{self, NodeIndex};
use crate::membership::{MembershipProof, MembershipProofError};
use crate::node::Node;
use crate::path::UpdatePath;
use crate::treekem::{BorrowedKey, UpdatePathError, next_path_secret, node_key_pair};

/// What a light receiver learns from an UpdatePath.
#[derive(Debug)]
pub struct LightPath {
    /// The commit secret.
    pub commit_secret: Secret,
    /// The new path secrets and key pairs of the receiver's direct path, from the lowest
    /// common ancestor with the committer up to the root (non-blank nodes only).
    pub nodes: Vec<LightPathNode>,
}

/// One node of the receiver's direct path after a commit.
#[derive(Debug, Clone)]
pub struct LightPathNode {
    /// The node.
    pub node: NodeIndex,
    /// Its path secret.
    pub path_secret: Secret,
    /// Its private key.
    pub private_key: HpkePrivateKey,
}

/// Why a light receiver cannot take an UpdatePath.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LightPathError {
    /// A proof is malformed, or the two do not describe one tree.
    #[error("membership proof: {0}")]
    Proof(#[from] MembershipProofError),
    /// The committer and the receiver are one leaf.
    #[error("the committer is the receiver")]
    SameLeaf,
    /// The lowest common ancestor is not among the committer's non-blank direct-path nodes.
    #[error("the common ancestor {0:?} is not on the committer's new path")]
    AncestorNotOnPath(NodeIndex),
    /// The UpdatePath has no node or no ciphertext where the annotation points.
    #[error("the update path has no ciphertext at node {node}, index {index}")]
    NoCiphertext {
        /// Position in the path.
        node: usize,
        /// The `resolution_index`.
        index: u32,
    },
    /// The UpdatePath does not have one node per non-blank node of the committer's new path.
    #[error("the update path has {got} nodes, the committer's new path {expected}")]
    WrongLength {
        /// Nodes in the path.
        got: usize,
        /// Non-blank nodes of the new path.
        expected: usize,
    },
    /// No key of the receiver's path below the common ancestor is held.
    #[error("no key held for the receiver's path below the common ancestor")]
    NoKey,
    /// Decryption or key derivation failed, or a derived key differs from the tree's.
    #[error(transparent)]
    Path(#[from] UpdatePathError),
}

/// The commit secret (and the receiver's new path) from `path`, for the receiver of
/// `receiver_after` holding `keys` (private keys of nodes of its direct path, the leaf's
/// included), with `group_context` the provisional GroupContext of the commit (its tree hash
/// the one after the commit).
///
/// The committer is `sender_after`'s leaf. The ciphertext is the path node at the common
/// ancestor's position among the committer's non-blank direct-path nodes, and in it the one at
/// `resolution_index`; it is decrypted with the highest held key of the receiver's path below
/// the ancestor. Each derived public key is checked against the node in the proofs.
///
/// # Errors
/// [`LightPathError`] says what is wrong.
pub fn light_decrypt_update_path(
    suite: &dyn SuiteOps,
    path: &UpdatePath,
    resolution_index: u32,
    sender_after: &MembershipProof,
    receiver_after: &MembershipProof,
    keys: &[(NodeIndex, HpkePrivateKey)],
    group_context: &[u8],
) -> Result<LightPath, LightPathError> {
    sender_after.same_tree(receiver_after, suite)?;
    let committer = sender_after.leaf_index;
    let receiver = receiver_after.leaf_index;
    if committer == receiver {
        return Err(LightPathError::SameLeaf);
    }
    let ancestor = math::common_ancestor(committer.node(), receiver.node());
    // The committer's new path: its non-blank direct-path nodes (the filtered direct path).
    let sender_path = sender_after.path_indices()?;
    let filtered: Vec<NodeIndex> = sender_path
        .iter()
        .zip(&sender_after.direct_path_nodes)
        .skip(1)
        .filter(|(_, n)| n.is_some())
        .map(|(x, _)| *x)
        .collect();
    if path.nodes.len() != filtered.len() {
        return Err(LightPathError::WrongLength {
            got: path.nodes.len(),
            expected: filtered.len(),
        });
    }
    let position = filtered
        .iter()
        .position(|x| *x == ancestor)
        .ok_or(LightPathError::AncestorNotOnPath(ancestor))?;
    let ct = path
        .nodes
        .get(position)
        .and_then(|n| n.encrypted_path_secret.get(resolution_index as usize))
        .ok_or(LightPathError::NoCiphertext {
            node: position,
            index: resolution_index,
        })?;
    // The receiver's key: the highest non-blank node of its path below the ancestor whose
    // private key it holds.
    let receiver_path = receiver_after.path_indices()?;
    let below: Vec<(NodeIndex, Option<&Node>)> = receiver_path
        .iter()
        .zip(&receiver_after.direct_path_nodes)
        .take_while(|(x, _)| **x != ancestor)
        .map(|(x, n)| (*x, n.as_ref()))
        .collect();
    let (sk, pk) = below
        .iter()
        .rev()
        .find_map(|(x, node)| {
            let pk = node_key((*node)?)?;
            let sk = keys.iter().find(|(k, _)| k == x).map(|(_, sk)| sk)?;
            Some((sk, pk))
        })
        .ok_or(LightPathError::NoKey)?;
    let key = BorrowedKey { suite, sk, pk };
    let secret = labeled::decrypt_with_label(suite, &key, b"UpdatePathNode", group_context, ct)
        .map_err(UpdatePathError::Decryption)?;
    // Derive up the committer's new path from the ancestor, checking each public key.
    let mut path_secret = Secret::new(secret);
    let mut nodes = Vec::new();
    for (i, x) in filtered.iter().enumerate().skip(position) {
        let (sk, pk) = node_key_pair(suite, &path_secret).map_err(UpdatePathError::from)?;
        let advertised = path.nodes.get(i).map(|n| &n.encryption_key);
        let in_tree = sender_after.parent_at(*x).map(|p| &p.encryption_key);
        if advertised != Some(&pk) || in_tree != Some(&pk) {
            return Err(UpdatePathError::PublicKeyMismatch(*x).into());
        }
        let next = next_path_secret(suite, &path_secret).map_err(UpdatePathError::from)?;
        nodes.push(LightPathNode {
            node: *x,
            path_secret,
            private_key: sk,
        });
        path_secret = next;
    }
    Ok(LightPath {
        commit_secret: path_secret,
        nodes,
    })
}

/// The key pairs of `proof`'s direct path from `from` up, derived from `path_secret` as a
/// joiner does with a Welcome's path secret (RFC 9420 §12.4.3.1): `from` (the common ancestor of
/// the joiner and the committer) and each non-blank node above it on the proof's path, each
/// derived public key checked against the proof's node. Returns the nodes and the path secret
/// after the last.
///
/// # Errors
/// [`LightPathError::AncestorNotOnPath`] when `from` is not a non-blank parent of the proof's
/// path; [`UpdatePathError::PublicKeyMismatch`] when a derived key differs; a malformed proof.
pub fn light_path_keys(
    suite: &dyn SuiteOps,
    proof: &MembershipProof,
    from: NodeIndex,
    path_secret: Secret,
) -> Result<(Vec<LightPathNode>, Secret), LightPathError> {
    let path = proof.path_indices()?;
    let start = path
        .iter()
        .position(|x| *x == from)
        .filter(|i| *i > 0 && proof.direct_path_nodes.get(*i).is_some_and(Option::is_some))
        .ok_or(LightPathError::AncestorNotOnPath(from))?;
    let mut secret = path_secret;
    let mut nodes = Vec::new();
    for (x, node) in path.iter().zip(&proof.direct_path_nodes).skip(start) {
        let Some(Node::Parent(parent)) = node else {
            continue;
        };
        let (sk, pk) = node_key_pair(suite, &secret).map_err(UpdatePathError::from)?;
        if pk != parent.encryption_key {
            return Err(UpdatePathError::PublicKeyMismatch(*x).into());
        }
        let next = next_path_secret(suite, &secret).map_err(UpdatePathError::from)?;
        nodes.push(LightPathNode {
            node: *x,
            path_secret: secret,
            private_key: sk,
        });
        secret = next;
    }
    Ok((nodes, secret))
}

fn node_key(node: &Node) -> Option<&HpkePublicKey> {
    match node {
        Node::Leaf(l) => Some(&l.encryption_key),
        Node::Parent(p) => Some(&p.encryption_key),
    }
}

/// The annotator's side of the above: the `resolution_index` of an AnnotatedCommit for
/// `receiver`, from the tree after the commit. It is the position, in the resolution of the
/// common ancestor's child on the receiver's side (without the leaves the commit `added`, which
/// the path does not encrypt to), of the node whose key the receiver holds: its own leaf when
/// it is listed there as an unmerged leaf, else its ancestor in that resolution.
///
/// # Errors
/// [`LightPathError::SameLeaf`] when the receiver is the committer;
/// [`LightPathError::NoKey`] when no node of that resolution covers the receiver (a leaf the
/// commit added, or one outside the tree).
pub fn resolution_index(
    tree_after: &crate::tree::RatchetTree,
    committer: math::LeafIndex,
    receiver: math::LeafIndex,
    added: &[math::LeafIndex],
) -> Result<u32, LightPathError> {
    if committer == receiver {
        return Err(LightPathError::SameLeaf);
    }
    let n = tree_after.leaf_count();
    if committer.0 >= n || receiver.0 >= n || added.contains(&receiver) {
        return Err(LightPathError::NoKey);
    }
    let ancestor = math::common_ancestor(committer.node(), receiver.node());
    let child = [math::left(ancestor), math::right(ancestor)]
        .into_iter()
        .flatten()
        .find(|c| crate::tree::is_descendant(receiver.node(), *c))
        .ok_or(LightPathError::NoKey)?;
    let mut resolution = tree_after.resolution(child);
    resolution.retain(|x| x.leaf().is_none_or(|l| !added.contains(&l)));
    let position = resolution
        .iter()
        .position(|x| *x == receiver.node())
        .or_else(|| {
            resolution
                .iter()
                .position(|x| crate::tree::is_descendant(receiver.node(), *x))
        })
        .ok_or(LightPathError::NoKey)?;
    u32::try_from(position).map_err(|_| LightPathError::NoKey)
}

#[cfg(test)]
mod tests {
    use super::{LightPathError, resolution_index};
    use crate::math::{LeafIndex, NodeIndex};
    use crate::node::Node;
    use crate::tree::RatchetTree;
    use crate::tree::tests_support::{leaf, parent};

    /// An 8-leaf tree: leaves 0, 1, 2, 3, 5 and 6, parent 1 (over leaves 0-1) and parent 11
    /// (over leaves 4-7) non-blank, leaf 6 unmerged at parent 11; parents 3, 5, 7, 9 and 13
    /// blank.
    fn tree() -> RatchetTree {
        let mut tree = RatchetTree::default();
        for n in 0..7u16 {
            tree.add_leaf(leaf(n)).expect("add");
        }
        tree.set_node(LeafIndex(4).node(), None);
        tree.set_node(NodeIndex(1), Some(Node::Parent(parent(1))));
        let mut p = parent(11);
        p.unmerged_leaves = vec![LeafIndex(6)];
        tree.set_node(NodeIndex(11), Some(Node::Parent(p)));
        tree
    }

    /// The receiver's entry in the resolution of the common ancestor's child on its side: its
    /// ancestor there, its own leaf where it is an unmerged leaf, its leaf where the parents
    /// above it are blank; the leaves the commit added do not count.
    #[test]
    fn resolution_index_points_at_the_receivers_ciphertext() {
        let tree = tree();
        // Committer 0, receiver 5: the root's right child 11 resolves to [11, 6].
        assert_eq!(
            resolution_index(&tree, LeafIndex(0), LeafIndex(5), &[]).unwrap(),
            0
        );
        // Receiver 6, unmerged at 11: its own leaf, second.
        assert_eq!(
            resolution_index(&tree, LeafIndex(0), LeafIndex(6), &[]).unwrap(),
            1
        );
        // Committer 5, receiver 3: the root's left child 3 is blank, its resolution
        // [1, 4, 6] (parent 1, leaves 2 and 3); leaf 3 is third, second once leaf 2 was added.
        assert_eq!(
            resolution_index(&tree, LeafIndex(5), LeafIndex(3), &[]).unwrap(),
            2
        );
        assert_eq!(
            resolution_index(&tree, LeafIndex(5), LeafIndex(3), &[LeafIndex(2)]).unwrap(),
            1
        );
        // Receiver 1 under parent 1: index 0.
        assert_eq!(
            resolution_index(&tree, LeafIndex(5), LeafIndex(1), &[]).unwrap(),
            0
        );
        // The committer itself, a leaf the commit added, a leaf outside the tree.
        assert!(matches!(
            resolution_index(&tree, LeafIndex(5), LeafIndex(5), &[]),
            Err(LightPathError::SameLeaf)
        ));
        assert!(matches!(
            resolution_index(&tree, LeafIndex(0), LeafIndex(3), &[LeafIndex(3)]),
            Err(LightPathError::NoKey)
        ));
        assert!(matches!(
            resolution_index(&tree, LeafIndex(0), LeafIndex(8), &[]),
            Err(LightPathError::NoKey)
        ));
    }
}
