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
#[derive(Debug)]
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
