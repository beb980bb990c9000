//! TreeKEM (RFC 9420 §7.4 to §7.6): creating, merging and decrypting UpdatePaths.
//!
//! ```text
//! path_secret[0] (random, or decrypted) ─DeriveSecret "path"─► path_secret[1] ─► ... ─► commit_secret
//!        │                                      │
//!   DeriveSecret "node"                  DeriveSecret "node"
//!        ▼                                      ▼
//!   DeriveKeyPair ─► node key of filtered-path node 0      node key of node 1 ...
//! ```
//!
//! A committer calls [`plan_update_path`] (fresh secrets, public keys merged into its tree,
//! parent hashes computed), builds and signs its new leaf with [`PathPlan::leaf_parent_hash`],
//! sets it, and encrypts with [`encrypt_update_path`] under the provisional GroupContext. A
//! receiver calls [`merge_update_path`] on its tree and then [`decrypt_update_path`].

use std::collections::BTreeMap;

use cohort_crypto::{
    CipherSuite, CryptoError, Decapsulator, HpkePrivateKey, HpkePublicKey, Secret, SuiteOps,
    labeled,
};

use crate::error::TreeError;
use crate::leaf::{LeafNode, LeafNodeSource};
use crate::math::{LeafIndex, NodeIndex};
use crate::node::ParentNode;
use crate::path::{UpdatePath, UpdatePathNode};
use crate::tree::{RatchetTree, is_descendant};

/// Why an UpdatePath was rejected (RFC 9420 §7.5, §7.6).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum UpdatePathError {
    /// RFC 9420 §7.5: the path has a different length than the sender's filtered direct path.
    #[error("update path has {got} nodes, the sender's filtered direct path {expected}")]
    WrongLength {
        /// Nodes in the path.
        got: usize,
        /// Nodes expected.
        expected: usize,
    },
    /// RFC 9420 §7.6: a node's ciphertext count differs from its copath child's resolution
    /// (new members excluded).
    #[error("path node {index} has {got} ciphertexts, the resolution {expected}")]
    CiphertextCount {
        /// Position in the path.
        index: usize,
        /// Ciphertexts present.
        got: usize,
        /// Ciphertexts expected.
        expected: usize,
    },
    /// RFC 9420 §7.9.2: the leaf's parent hash is not the parent hash of its first path node.
    #[error("the new leaf's parent hash does not match the merged path")]
    ParentHashMismatch,
    /// RFC 9420 §7.3: the path's leaf is not of source `commit`.
    #[error("the update path's leaf is not of source commit")]
    WrongLeafSource,
    /// RFC 9420 §7.5: no node in the path could be decrypted with our keys.
    #[error("no ciphertext in the update path is addressed to a key we hold")]
    NoDecryptableSecret,
    /// RFC 9420 §7.5: the path secret did not decrypt.
    #[error("the path secret could not be decrypted: {0}")]
    Decryption(CryptoError),
    /// RFC 9420 §7.5: a public key derived from the path secrets differs from the advertised one.
    #[error("derived public key differs from the update path's at {0:?}")]
    PublicKeyMismatch(NodeIndex),
    /// The sender is not a member, or is the receiver itself.
    #[error("invalid sender {0:?} for an update path")]
    InvalidSender(LeafIndex),
    /// A tree or crypto failure.
    #[error(transparent)]
    Tree(#[from] TreeError),
}

impl From<CryptoError> for UpdatePathError {
    fn from(e: CryptoError) -> Self {
        Self::Tree(TreeError::Crypto(e))
    }
}

/// A member's private view of the tree: the private keys of its leaf and of the parent nodes it
/// knows (RFC 9420 §4.2 tree invariant).
///
/// # Security
/// Private keys zeroize on drop. Replaced keys are dropped as soon as a merge replaces them.
#[derive(Debug, Clone)]
pub struct PrivateTree {
    /// Our leaf.
    pub own_leaf: LeafIndex,
    /// Private keys by node index, our leaf included.
    keys: BTreeMap<NodeIndex, HpkePrivateKey>,
}

impl PrivateTree {
    /// A private tree holding only our leaf's key.
    pub fn new(own_leaf: LeafIndex, leaf_key: HpkePrivateKey) -> Self {
        let mut keys = BTreeMap::new();
        keys.insert(own_leaf.node(), leaf_key);
        Self { own_leaf, keys }
    }

    /// The private key held for `x`.
    pub fn key(&self, x: NodeIndex) -> Option<&HpkePrivateKey> {
        self.keys.get(&x)
    }

    /// Sets the private key of `x`.
    pub fn set_key(&mut self, x: NodeIndex, key: HpkePrivateKey) {
        self.keys.insert(x, key);
    }

    /// Nodes with a private key.
    pub fn nodes(&self) -> impl Iterator<Item = NodeIndex> + '_ {
        self.keys.keys().copied()
    }

    /// Forgets (and zeroizes) keys of nodes outside our leaf's direct path or blank in `tree`.
    pub fn prune(&mut self, tree: &RatchetTree) {
        let own = self.own_leaf.node();
        self.keys
            .retain(|x, _| (*x == own || is_descendant(own, *x)) && !tree.is_blank(*x));
    }

    /// Derives the keys of the nodes of `path` from `path_secret` onwards (RFC 9420 §7.4),
    /// checking each against the tree, and returns the secret one step past the last node (the
    /// commit secret when `path` ends at the root).
    ///
    /// # Errors
    /// [`UpdatePathError::PublicKeyMismatch`] when a derived key differs from the tree's.
    pub fn derive_path_keys(
        &mut self,
        suite: &dyn SuiteOps,
        tree: &RatchetTree,
        path: &[NodeIndex],
        path_secret: Secret,
    ) -> Result<Secret, UpdatePathError> {
        let mut secret = path_secret;
        for &x in path {
            let (sk, pk) = node_key_pair(suite, &secret)?;
            let expected = tree.parent_node(x).map(|p| &p.encryption_key);
            if expected != Some(&pk) {
                return Err(UpdatePathError::PublicKeyMismatch(x));
            }
            self.keys.insert(x, sk);
            secret = next_path_secret(suite, &secret)?;
        }
        Ok(secret)
    }
}

/// Persisted as our leaf index and the list of `(node, private key)`; for the library's own
/// stored state only.
impl cohort_codec::Encode for PrivateTree {
    fn encoded_len(&self) -> usize {
        self.own_leaf.encoded_len() + cohort_codec::vector_len(&self.entries())
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), cohort_codec::CodecError> {
        self.own_leaf.encode(out)?;
        cohort_codec::encode_vector(&self.entries(), out)
    }
}

impl cohort_codec::Decode for PrivateTree {
    fn decode(reader: &mut cohort_codec::Reader<'_>) -> Result<Self, cohort_codec::CodecError> {
        let own_leaf = LeafIndex::decode(reader)?;
        let entries: Vec<(NodeIndex, HpkePrivateKey)> = reader.read_vector()?;
        Ok(Self {
            own_leaf,
            keys: entries.into_iter().collect(),
        })
    }
}

impl PrivateTree {
    fn entries(&self) -> Vec<(NodeIndex, &HpkePrivateKey)> {
        self.keys.iter().map(|(x, k)| (*x, k)).collect()
    }
}

/// A committer's fresh path, merged into its own tree but not yet encrypted.
///
/// # Security
/// Holds the path secrets; they zeroize on drop.
#[derive(Debug)]
pub struct PathPlan {
    sender: LeafIndex,
    /// Filtered direct path with copath children.
    filtered: Vec<(NodeIndex, NodeIndex)>,
    /// One path secret per filtered node.
    path_secrets: Vec<Secret>,
    /// One key pair per filtered node.
    node_private: Vec<HpkePrivateKey>,
    leaf_private: HpkePrivateKey,
    leaf_public: HpkePublicKey,
    leaf_parent_hash: Vec<u8>,
    commit_secret: Secret,
}

impl PathPlan {
    /// The new leaf's HPKE public key: put it in the leaf's `encryption_key`.
    pub fn leaf_public_key(&self) -> &HpkePublicKey {
        &self.leaf_public
    }

    /// The parent hash the new leaf must carry (source `commit`).
    pub fn leaf_parent_hash(&self) -> &[u8] {
        &self.leaf_parent_hash
    }

    /// The commit secret of this path.
    pub fn commit_secret(&self) -> &Secret {
        &self.commit_secret
    }

    /// The path secret of filtered-path node `x`, for a Welcome's `path_secret`.
    pub fn path_secret_for(&self, x: NodeIndex) -> Option<&Secret> {
        self.filtered
            .iter()
            .position(|(p, _)| *p == x)
            .and_then(|i| self.path_secrets.get(i))
    }

    /// The committer's private tree after the path: its new leaf key and every path key.
    pub fn private_tree(&self) -> PrivateTree {
        let mut private = PrivateTree::new(self.sender, self.leaf_private.clone());
        for ((x, _), sk) in self.filtered.iter().zip(&self.node_private) {
            private.set_key(*x, sk.clone());
        }
        private
    }
}

/// Generates a fresh path for `sender` and merges its public keys and parent hashes into `tree`
/// (RFC 9420 §7.4, §7.5, §7.9). The tree's leaf is left as it was: build a leaf of source
/// `commit` with [`PathPlan::leaf_public_key`] and [`PathPlan::leaf_parent_hash`], sign it, and
/// set it with [`RatchetTree::set_leaf`] before encrypting.
///
/// # Errors
/// [`UpdatePathError::InvalidSender`] when `sender` is blank; a crypto failure.
pub fn plan_update_path(
    tree: &mut RatchetTree,
    suite: &dyn SuiteOps,
    sender: LeafIndex,
) -> Result<PathPlan, UpdatePathError> {
    if tree.leaf(sender).is_none() {
        return Err(UpdatePathError::InvalidSender(sender));
    }
    let nh = suite.hash_len();
    let (leaf_private, leaf_public) = suite.kem_generate()?;
    let filtered = tree.filtered_direct_path(sender);
    let mut path_secrets = Vec::with_capacity(filtered.len());
    let mut node_private = Vec::with_capacity(filtered.len());
    let mut node_public = Vec::with_capacity(filtered.len());
    let mut secret = Secret::new(vec![0; nh]);
    suite.random_fill(secret.as_mut_bytes())?;
    for _ in &filtered {
        let (sk, pk) = node_key_pair(suite, &secret)?;
        node_private.push(sk);
        node_public.push(pk);
        let next = next_path_secret(suite, &secret)?;
        path_secrets.push(std::mem::replace(&mut secret, next));
    }
    let commit_secret = secret;
    let leaf_parent_hash = apply_path_keys(tree, suite, sender, &filtered, node_public)?;
    Ok(PathPlan {
        sender,
        filtered,
        path_secrets,
        node_private,
        leaf_private,
        leaf_public,
        leaf_parent_hash,
        commit_secret,
    })
}

/// Encrypts each path secret of `plan` to the resolution of its copath child, leaving out the
/// leaves in `excluded` (members added by the same commit), under `group_context`, the encoded
/// provisional GroupContext (RFC 9420 §7.6).
///
/// # Errors
/// A crypto failure (for example an invalid public key in the tree).
pub fn encrypt_update_path(
    tree: &RatchetTree,
    suite: &dyn SuiteOps,
    plan: &PathPlan,
    leaf_node: LeafNode,
    group_context: &[u8],
    excluded: &[LeafIndex],
) -> Result<UpdatePath, UpdatePathError> {
    let mut nodes = Vec::with_capacity(plan.filtered.len());
    for ((x, copath), secret) in plan.filtered.iter().zip(&plan.path_secrets) {
        let encryption_key = tree
            .parent_node(*x)
            .map(|p| p.encryption_key.clone())
            .ok_or(UpdatePathError::Tree(TreeError::NodeTypeMismatch(*x)))?;
        let mut encrypted_path_secret = Vec::new();
        for r in resolution_excluding(tree, *copath, excluded) {
            let pk = node_public_key(tree, r).ok_or(TreeError::NodeTypeMismatch(r))?;
            encrypted_path_secret.push(labeled::encrypt_with_label(
                suite,
                pk,
                b"UpdatePathNode",
                group_context,
                secret.as_bytes(),
            )?);
        }
        nodes.push(UpdatePathNode {
            encryption_key,
            encrypted_path_secret,
        });
    }
    Ok(UpdatePath { leaf_node, nodes })
}

/// Merges a received UpdatePath into `tree` (RFC 9420 §7.5): checks its shape, blanks the
/// sender's direct path, installs the new keys on the filtered direct path, recomputes the
/// parent hashes and checks the new leaf's, then sets the leaf.
///
/// `excluded` are the leaves added by the same commit. On error `tree` may be partly changed:
/// callers merge into a copy (a staged commit) and drop it on failure.
///
/// # Errors
/// [`UpdatePathError`] naming the failed check.
pub fn merge_update_path(
    tree: &mut RatchetTree,
    suite: &dyn SuiteOps,
    sender: LeafIndex,
    path: &UpdatePath,
    excluded: &[LeafIndex],
) -> Result<(), UpdatePathError> {
    if tree.leaf(sender).is_none() {
        return Err(UpdatePathError::InvalidSender(sender));
    }
    if !matches!(path.leaf_node.leaf_node_source, LeafNodeSource::Commit(_)) {
        return Err(UpdatePathError::WrongLeafSource);
    }
    let filtered = tree.filtered_direct_path(sender);
    if filtered.len() != path.nodes.len() {
        return Err(UpdatePathError::WrongLength {
            got: path.nodes.len(),
            expected: filtered.len(),
        });
    }
    for (index, ((_, copath), node)) in filtered.iter().zip(&path.nodes).enumerate() {
        let expected = resolution_excluding(tree, *copath, excluded).len();
        let got = node.encrypted_path_secret.len();
        if got != expected {
            return Err(UpdatePathError::CiphertextCount {
                index,
                got,
                expected,
            });
        }
    }
    let keys = path
        .nodes
        .iter()
        .map(|n| n.encryption_key.clone())
        .collect();
    let leaf_parent_hash = apply_path_keys(tree, suite, sender, &filtered, keys)?;
    match &path.leaf_node.leaf_node_source {
        LeafNodeSource::Commit(ph) if ph.as_slice() == leaf_parent_hash.as_slice() => {}
        _ => return Err(UpdatePathError::ParentHashMismatch),
    }
    tree.set_leaf(sender, path.leaf_node.clone())?;
    Ok(())
}

/// Decrypts the path secret addressed to us in a merged UpdatePath and derives the keys of the
/// path nodes above it (RFC 9420 §7.5). Call after [`merge_update_path`] on the same tree.
///
/// Returns the commit secret. `private` gains the new path keys; keys it held for replaced
/// nodes are dropped.
///
/// # Errors
/// [`UpdatePathError::NoDecryptableSecret`], [`UpdatePathError::Decryption`] or
/// [`UpdatePathError::PublicKeyMismatch`].
pub fn decrypt_update_path(
    tree: &RatchetTree,
    suite: &dyn SuiteOps,
    private: &mut PrivateTree,
    sender: LeafIndex,
    path: &UpdatePath,
    group_context: &[u8],
    excluded: &[LeafIndex],
) -> Result<(Secret, NodeIndex, Secret), UpdatePathError> {
    let own = private.own_leaf;
    if own == sender {
        return Err(UpdatePathError::InvalidSender(sender));
    }
    // The filtered direct path of the sender is unchanged by the merge (copath resolutions
    // are untouched), so it can be recomputed on the merged tree.
    let filtered = tree.filtered_direct_path(sender);
    let pos = filtered
        .iter()
        .position(|(_, c)| is_descendant(own.node(), *c))
        .ok_or(UpdatePathError::NoDecryptableSecret)?;
    let (ancestor, copath) = filtered[pos];
    let resolution = resolution_excluding(tree, copath, excluded);
    let (slot, holder) = resolution
        .iter()
        .enumerate()
        .find(|(_, r)| private.key(**r).is_some())
        .ok_or(UpdatePathError::NoDecryptableSecret)?;
    let sk = private
        .key(*holder)
        .ok_or(UpdatePathError::NoDecryptableSecret)?;
    let pk = node_public_key(tree, *holder).ok_or(UpdatePathError::NoDecryptableSecret)?;
    let ct = path
        .nodes
        .get(pos)
        .and_then(|n| n.encrypted_path_secret.get(slot))
        .ok_or(UpdatePathError::NoDecryptableSecret)?;
    let key = BorrowedKey { suite, sk, pk };
    let secret = labeled::decrypt_with_label(suite, &key, b"UpdatePathNode", group_context, ct)
        .map_err(UpdatePathError::Decryption)?;
    let path_secret = Secret::new(secret);
    let upper: Vec<NodeIndex> = filtered[pos..].iter().map(|(x, _)| *x).collect();
    // The merge blanked the sender's direct path: keys we held there are gone (or are about to
    // be replaced by the derivation below).
    private.prune(tree);
    let decrypted = path_secret.clone();
    let commit_secret = private.derive_path_keys(suite, tree, &upper, path_secret)?;
    Ok((commit_secret, ancestor, decrypted))
}

/// Blanks the sender's direct path, installs `keys` on the filtered path with fresh parent
/// hashes (root first), and returns the parent hash the sender's leaf must carry.
fn apply_path_keys(
    tree: &mut RatchetTree,
    suite: &dyn SuiteOps,
    sender: LeafIndex,
    filtered: &[(NodeIndex, NodeIndex)],
    keys: Vec<HpkePublicKey>,
) -> Result<Vec<u8>, TreeError> {
    tree.blank_direct_path(sender);
    for ((x, _), key) in filtered.iter().zip(&keys) {
        tree.set_parent(
            *x,
            ParentNode {
                encryption_key: key.clone(),
                parent_hash: Default::default(),
                unmerged_leaves: Vec::new(),
            },
        )?;
    }
    // From the root down: each node's parent_hash is the parent hash of the node above it.
    let mut above: Vec<u8> = Vec::new();
    for (x, _) in filtered.iter().rev() {
        let mut node = tree
            .parent_node(*x)
            .cloned()
            .ok_or(TreeError::NodeTypeMismatch(*x))?;
        node.parent_hash = above.clone().into();
        tree.set_parent(*x, node)?;
        let copath = filtered
            .iter()
            .find(|(p, _)| p == x)
            .map(|(_, c)| *c)
            .ok_or(TreeError::NodeTypeMismatch(*x))?;
        above = tree.parent_hash(suite, *x, copath)?;
    }
    Ok(above)
}

/// The resolution of `x` without the leaves in `excluded`.
fn resolution_excluding(
    tree: &RatchetTree,
    x: NodeIndex,
    excluded: &[LeafIndex],
) -> Vec<NodeIndex> {
    let mut r = tree.resolution(x);
    if !excluded.is_empty() {
        r.retain(|n| n.leaf().is_none_or(|l| !excluded.contains(&l)));
    }
    r
}

/// The HPKE public key of a non-blank node.
fn node_public_key(tree: &RatchetTree, x: NodeIndex) -> Option<&HpkePublicKey> {
    match tree.node(x)? {
        crate::node::Node::Leaf(l) => Some(&l.encryption_key),
        crate::node::Node::Parent(p) => Some(&p.encryption_key),
    }
}

/// `node_priv, node_pub = DeriveKeyPair(DeriveSecret(path_secret, "node"))`.
pub(crate) fn node_key_pair(
    suite: &dyn SuiteOps,
    path_secret: &Secret,
) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
    let node_secret = labeled::derive_secret(suite, path_secret.as_bytes(), b"node")?;
    suite.kem_derive(node_secret.as_bytes())
}

/// `DeriveSecret(path_secret, "path")`.
pub fn next_path_secret(suite: &dyn SuiteOps, path_secret: &Secret) -> Result<Secret, CryptoError> {
    labeled::derive_secret(suite, path_secret.as_bytes(), b"path")
}

/// A private key borrowed for one decapsulation.
pub(crate) struct BorrowedKey<'a> {
    pub(crate) suite: &'a dyn SuiteOps,
    pub(crate) sk: &'a HpkePrivateKey,
    pub(crate) pk: &'a HpkePublicKey,
}

impl std::fmt::Debug for BorrowedKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BorrowedKey(<redacted>)")
    }
}

impl Decapsulator for BorrowedKey<'_> {
    fn cipher_suite(&self) -> CipherSuite {
        self.suite.cipher_suite()
    }

    fn public_key(&self) -> &HpkePublicKey {
        self.pk
    }

    fn decap(&self, enc: &[u8]) -> Result<Secret, CryptoError> {
        self.suite.kem_decap(enc, self.sk, self.pk)
    }
}
