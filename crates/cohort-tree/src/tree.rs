//! The ratchet tree (RFC 9420 §4, §7): nodes in array order, with the structural operations
//! (resolution, filtered direct path, add, update, remove with truncation).
//!
//! The tree is always full: it holds `node_width(n)` slots for `n` leaves, `n` a power of two.
//! Tree hashes are cached per node and invalidated along the path of every change, so after a
//! commit only the changed nodes are rehashed (see [`crate::hash`]).

use std::sync::Arc;

use cohort_codec::CodecError;

use crate::chunked::Chunked;
use crate::error::TreeError;
use crate::leaf::LeafNode;
use crate::math::{self, LeafIndex, NodeIndex};
use crate::node::{Node, ParentNode, RatchetTreeNodes};

/// A ratchet tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatchetTree {
    /// `node_width(leaf_count)` slots; blanks are `None`.
    ///
    /// Nodes are shared (`Arc`), and so are the chunks of slots that hold them: a commit stages
    /// its next epoch on a copy of the tree and changes only the nodes on a path, so copying the
    /// tree copies a pointer per chunk, not a thousand leaves with their credentials. A change
    /// copies its chunk of pointers and replaces its node or copies it on write.
    pub(crate) nodes: Chunked<Option<Arc<Node>>>,
    /// Cached tree hash of each node; `None` when not computed or invalidated.
    pub(crate) hashes: Chunked<Option<Arc<[u8]>>>,
    /// The first eight bytes of each node's encryption key and (leaves) signature key, zero for
    /// blanks: the key-uniqueness check after a commit scans this array instead of visiting
    /// every node.
    prefixes: Chunked<[u64; 2]>,
}

/// The first bytes of a key (little-endian, zero-padded), to rule most pairs of keys out with
/// one integer comparison.
fn prefix(key: &[u8]) -> u64 {
    let mut p = [0u8; 8];
    for (d, s) in p.iter_mut().zip(key) {
        *d = *s;
    }
    u64::from_le_bytes(p)
}

/// The `[encryption, signature]` key prefixes of a slot.
fn prefixes_of(node: Option<&Node>) -> [u64; 2] {
    match node {
        None => [0, 0],
        Some(Node::Leaf(l)) => [
            prefix(l.encryption_key.as_ref()),
            prefix(l.signature_key.as_ref()),
        ],
        Some(Node::Parent(p)) => [prefix(p.encryption_key.as_ref()), 0],
    }
}

/// A 4096-bit filter of key prefixes (by their top twelve bits).
struct PrefixFilter([u64; 64]);

impl Default for PrefixFilter {
    fn default() -> Self {
        Self([0; 64])
    }
}

impl PrefixFilter {
    fn slot(p: u64) -> (usize, u64) {
        let b = (p >> 52) as usize;
        (b / 64, 1 << (b % 64))
    }

    fn insert(&mut self, p: u64) {
        let (w, bit) = Self::slot(p);
        self.0[w] |= bit;
    }

    fn may_contain(&self, p: u64) -> bool {
        let (w, bit) = Self::slot(p);
        self.0[w] & bit != 0
    }
}

impl Default for RatchetTree {
    fn default() -> Self {
        Self::new()
    }
}

impl RatchetTree {
    /// An empty tree with no leaves.
    pub fn new() -> Self {
        Self {
            nodes: Chunked::default(),
            hashes: Chunked::default(),
            prefixes: Chunked::default(),
        }
    }

    /// A one-member tree holding `leaf` at leaf 0.
    pub fn with_first_leaf(leaf: LeafNode) -> Self {
        let prefixes = Chunked::from_vec(vec![prefixes_of(Some(&Node::Leaf(leaf.clone())))]);
        Self {
            nodes: Chunked::from_vec(vec![Some(Arc::new(Node::Leaf(leaf)))]),
            hashes: Chunked::from_vec(vec![None]),
            prefixes,
        }
    }

    /// Builds a tree from the `ratchet_tree` extension's node list, padding it on the right to a
    /// full tree (RFC 9420 §12.4.3.3).
    ///
    /// # Errors
    /// [`TreeError::TrailingBlank`] for an empty list or one ending in a blank,
    /// [`TreeError::NodeTypeMismatch`] for a leaf at an odd or a parent at an even position,
    /// [`TreeError::TooLarge`] beyond 2^31 leaves.
    ///
    /// # Security
    /// Checks structure only. A tree received from a peer must also pass
    /// [`RatchetTree::validate_structure`], the parent-hash checks of [`crate::hash`], and leaf
    /// validation before it is used.
    pub fn from_nodes(list: RatchetTreeNodes) -> Result<Self, TreeError> {
        let mut nodes: Vec<Option<Arc<Node>>> = list.0;
        if !matches!(nodes.last(), Some(Some(_))) {
            return Err(TreeError::TrailingBlank);
        }
        for (i, node) in nodes.iter().enumerate() {
            let ok = match node.as_deref() {
                None => true,
                Some(Node::Leaf(_)) => i % 2 == 0,
                Some(Node::Parent(_)) => i % 2 == 1,
            };
            if !ok {
                return Err(TreeError::NodeTypeMismatch(NodeIndex(i as u32)));
            }
        }
        // The smallest full width 2 * leaves - 1 that holds every entry: a list may end in a
        // parent (even length), which still needs the leaf to its right.
        let leaves = nodes.len() / 2 + 1;
        let full_leaves = leaves.checked_next_power_of_two().filter(|n| *n <= 1 << 31);
        let full_leaves = full_leaves.ok_or(TreeError::TooLarge(nodes.len()))?;
        // full_leaves <= 2^31, so it fits in u32.
        let width = math::node_width(full_leaves as u32) as usize;
        nodes.resize_with(width, || None);
        let prefixes = nodes.iter().map(|n| prefixes_of(n.as_deref())).collect();
        Ok(Self {
            nodes: Chunked::from_vec(nodes),
            hashes: Chunked::from_vec(vec![None; width]),
            prefixes: Chunked::from_vec(prefixes),
        })
    }

    /// The node list for the `ratchet_tree` extension: this tree without trailing blanks.
    pub fn to_nodes(&self) -> RatchetTreeNodes {
        let end = self.nodes.rposition(Option::is_some).map_or(0, |i| i + 1);
        RatchetTreeNodes(self.nodes.iter().take(end).cloned().collect())
    }

    /// Writes the encoding of [`RatchetTree::to_nodes`] (the same bytes) to `out`, without
    /// building the list: each chunk of slots below the last non-blank node keeps its encoding
    /// from the last time, so a tree that a commit changed on one path re-encodes only the few
    /// chunks the path touched. This is what storing a group each epoch costs.
    ///
    /// # Errors
    /// [`CodecError::VectorTooLong`] for a tree of 2^30 bytes or more.
    pub fn encode_nodes(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        use cohort_codec::Encode as _;
        let (full, tail) = self.encoded_parts()?;
        let tail_len: usize = tail.iter().map(|n| n.encoded_len()).sum();
        let len = full.iter().map(|p| p.len()).sum::<usize>() + tail_len;
        cohort_codec::encode_varint(len, out)?;
        out.reserve(len);
        for part in full {
            out.extend_from_slice(part);
        }
        tail.iter().try_for_each(|n| n.encode(out))
    }

    /// The length of what [`RatchetTree::encode_nodes`] writes (computing and keeping the
    /// chunk encodings it will reuse).
    ///
    /// # Errors
    /// As [`RatchetTree::encode_nodes`].
    pub fn encoded_nodes_len(&self) -> Result<usize, CodecError> {
        use cohort_codec::Encode as _;
        let (full, tail) = self.encoded_parts()?;
        let len = full.iter().map(|p| p.len()).sum::<usize>()
            + tail.iter().map(|n| n.encoded_len()).sum::<usize>();
        Ok(cohort_codec::varint_len(len) + len)
    }

    /// The slots up to the last non-blank node: the kept encodings of the full chunks, and the
    /// slots of the last, partial chunk (encoded by the caller, not kept: it changes with every
    /// leaf added or removed at the end).
    #[allow(clippy::type_complexity, reason = "the two parts, named at the call")]
    fn encoded_parts(&self) -> Result<(Vec<&[u8]>, &[Option<Arc<Node>>]), CodecError> {
        use cohort_codec::Encode as _;
        let end = self.nodes.rposition(Option::is_some).map_or(0, |i| i + 1);
        let encode = |item: &Option<Arc<Node>>, out: &mut Vec<u8>| item.encode(out);
        let full = end / crate::chunked::CHUNK;
        let mut parts = Vec::with_capacity(full);
        for chunk in self.nodes.chunks().take(full) {
            parts.push(chunk.memo(encode)?);
        }
        let last = self.nodes.chunks().nth(full).map_or(&[][..], |c| c.items());
        let tail = &last[..(end % crate::chunked::CHUNK).min(last.len())];
        Ok((parts, tail))
    }

    /// The number of leaf slots (a power of two, or 0 for an empty tree).
    pub fn leaf_count(&self) -> u32 {
        // nodes.len() = 2n - 1 <= 2^32 - 1.
        self.nodes.len().div_ceil(2) as u32
    }

    /// The number of node slots.
    pub fn node_count(&self) -> u32 {
        self.nodes.len() as u32
    }

    /// The root of the tree.
    pub fn root(&self) -> NodeIndex {
        math::root(self.leaf_count())
    }

    /// The node at `x`, or `None` when blank or outside the tree.
    pub fn node(&self, x: NodeIndex) -> Option<&Node> {
        self.nodes.get(x.0 as usize).and_then(Option::as_deref)
    }

    /// The leaf at `leaf`, or `None` when blank or outside the tree.
    pub fn leaf(&self, leaf: LeafIndex) -> Option<&LeafNode> {
        match self.node(leaf.node()) {
            Some(Node::Leaf(l)) => Some(l),
            _ => None,
        }
    }

    /// The parent node at `x`, or `None` when blank, a leaf or outside the tree.
    pub fn parent_node(&self, x: NodeIndex) -> Option<&ParentNode> {
        match self.node(x) {
            Some(Node::Parent(p)) => Some(p),
            _ => None,
        }
    }

    /// Whether the node at `x` is blank (or outside the tree).
    pub fn is_blank(&self, x: NodeIndex) -> bool {
        self.node(x).is_none()
    }

    /// The non-blank leaves, in order.
    pub fn leaves(&self) -> impl Iterator<Item = (LeafIndex, &LeafNode)> {
        self.nodes
            .iter()
            .step_by(2)
            .enumerate()
            .filter_map(|(i, n)| match n.as_deref() {
                Some(Node::Leaf(l)) => Some((LeafIndex(i as u32), l)),
                _ => None,
            })
    }

    /// The non-blank parent nodes, in order.
    pub fn parents(&self) -> impl Iterator<Item = (NodeIndex, &ParentNode)> {
        self.nodes
            .iter()
            .enumerate()
            .skip(1)
            .step_by(2)
            .filter_map(|(i, n)| match n.as_deref() {
                Some(Node::Parent(p)) => Some((NodeIndex(i as u32), p)),
                _ => None,
            })
    }

    /// The resolution of `x` (RFC 9420 §4.1.1): the non-blank nodes covering its subtree,
    /// depth-first and left-first, each non-blank parent followed by its unmerged leaves.
    pub fn resolution(&self, x: NodeIndex) -> Vec<NodeIndex> {
        let mut out = Vec::new();
        self.resolve_into(x, &mut out);
        out
    }

    fn resolve_into(&self, x: NodeIndex, out: &mut Vec<NodeIndex>) {
        match self.node(x) {
            Some(Node::Leaf(_)) => out.push(x),
            Some(Node::Parent(p)) => {
                out.push(x);
                out.extend(p.unmerged_leaves.iter().map(|l| l.node()));
            }
            None => {
                if let (Some(l), Some(r)) = (math::left(x), math::right(x)) {
                    self.resolve_into(l, out);
                    self.resolve_into(r, out);
                }
            }
        }
    }

    /// The filtered direct path of `leaf` (RFC 9420 §4.1.2), each node paired with its child on
    /// the copath: nodes whose copath child has an empty resolution are left out.
    pub fn filtered_direct_path(&self, leaf: LeafIndex) -> Vec<(NodeIndex, NodeIndex)> {
        let n = self.leaf_count();
        let path = math::direct_path(leaf.node(), n);
        let copath = math::copath(leaf.node(), n);
        path.into_iter()
            .zip(copath)
            .filter(|(_, c)| !self.resolution(*c).is_empty())
            .collect()
    }

    /// Adds `leaf` at the leftmost blank leaf, extending the tree when there is none, and lists
    /// it as unmerged at every non-blank parent above it (RFC 9420 §12.1.1, §7.7).
    pub fn add_leaf(&mut self, leaf: LeafNode) -> Result<LeafIndex, TreeError> {
        self.add_leaf_from(leaf, 0)
    }

    /// Adds `leaves` in order, each as [`RatchetTree::add_leaf`] would: the search for the
    /// leftmost blank resumes after the last leaf placed (everything left of it is taken), so
    /// adding many members at once stays linear in the tree's size.
    ///
    /// # Errors
    /// As [`RatchetTree::add_leaf`]; the leaves before the failing one stay added.
    pub fn add_leaves(
        &mut self,
        leaves: impl IntoIterator<Item = LeafNode>,
    ) -> Result<Vec<LeafIndex>, TreeError> {
        let mut from = 0;
        let mut added = Vec::new();
        for leaf in leaves {
            let index = self.add_leaf_from(leaf, from)?;
            from = index.0 as usize + 1;
            added.push(index);
        }
        Ok(added)
    }

    /// [`RatchetTree::add_leaf`], knowing that the leaves before `from` are all taken.
    fn add_leaf_from(&mut self, leaf: LeafNode, from: usize) -> Result<LeafIndex, TreeError> {
        let slot = self
            .nodes
            .iter_from(2 * from)
            .step_by(2)
            .position(Option::is_none)
            .map(|i| i + from);
        let index = match slot {
            Some(i) => LeafIndex(i as u32),
            None => {
                let n = self.leaf_count();
                if n >= 1 << 31 {
                    return Err(TreeError::TooLarge(self.nodes.len()));
                }
                let new_width = math::node_width((n * 2).max(1)) as usize;
                self.nodes.resize_with(new_width, || None);
                self.hashes.resize_with(new_width, || None);
                self.prefixes.resize_with(new_width, || [0, 0]);
                LeafIndex(n)
            }
        };
        self.set_node(index.node(), Some(Node::Leaf(leaf)));
        for p in math::direct_path(index.node(), self.leaf_count()) {
            if let Some(Some(node)) = self.nodes.get_mut(p.0 as usize) {
                if let Node::Parent(parent) = Arc::make_mut(node) {
                    // Leaves only ever join at the leftmost blank, but keep the list sorted for
                    // any order of operations.
                    if let Err(pos) = parent.unmerged_leaves.binary_search(&index) {
                        parent.unmerged_leaves.insert(pos, index);
                    }
                }
            }
        }
        Ok(index)
    }

    /// Replaces the leaf at `leaf` and blanks its direct path (RFC 9420 §12.1.2).
    ///
    /// # Errors
    /// [`TreeError::BlankOrMissingLeaf`] when there is no member at `leaf`.
    pub fn update_leaf(&mut self, leaf: LeafIndex, node: LeafNode) -> Result<(), TreeError> {
        if self.leaf(leaf).is_none() {
            return Err(TreeError::BlankOrMissingLeaf(leaf));
        }
        self.set_node(leaf.node(), Some(Node::Leaf(node)));
        self.blank_direct_path(leaf);
        Ok(())
    }

    /// Blanks the leaf at `leaf` and its direct path, then truncates the tree while its right
    /// half is blank (RFC 9420 §12.1.3, §7.7).
    ///
    /// # Errors
    /// [`TreeError::BlankOrMissingLeaf`] when there is no member at `leaf`.
    pub fn remove_leaf(&mut self, leaf: LeafIndex) -> Result<(), TreeError> {
        if self.leaf(leaf).is_none() {
            return Err(TreeError::BlankOrMissingLeaf(leaf));
        }
        self.set_node(leaf.node(), None);
        self.blank_direct_path(leaf);
        self.truncate();
        Ok(())
    }

    /// Blanks every node on the direct path of `leaf`.
    pub fn blank_direct_path(&mut self, leaf: LeafIndex) {
        for p in math::direct_path(leaf.node(), self.leaf_count()) {
            self.set_node(p, None);
        }
    }

    /// Sets the parent node at `x`, invalidating cached hashes above it.
    ///
    /// # Errors
    /// [`TreeError::NodeTypeMismatch`] when `x` is not a parent position inside the tree.
    pub fn set_parent(&mut self, x: NodeIndex, node: ParentNode) -> Result<(), TreeError> {
        if x.is_leaf() || x.0 >= self.node_count() {
            return Err(TreeError::NodeTypeMismatch(x));
        }
        self.set_node(x, Some(Node::Parent(node)));
        Ok(())
    }

    /// Sets the leaf at `leaf` without touching its direct path.
    ///
    /// # Errors
    /// [`TreeError::BlankOrMissingLeaf`] when `leaf` is outside the tree.
    pub fn set_leaf(&mut self, leaf: LeafIndex, node: LeafNode) -> Result<(), TreeError> {
        if leaf.node().0 >= self.node_count() {
            return Err(TreeError::BlankOrMissingLeaf(leaf));
        }
        self.set_node(leaf.node(), Some(Node::Leaf(node)));
        Ok(())
    }

    /// Drops the root and its right subtree while that subtree is entirely blank (RFC 9420
    /// §7.7); the left subtree keeps its array indices.
    pub fn truncate(&mut self) {
        while self.leaf_count() > 1 {
            // With n leaves the root is n - 1 and the right subtree holds indices n..2n-1.
            let half = self.nodes.len().div_ceil(2);
            if self.nodes.iter_from(half).any(Option::is_some) {
                break;
            }
            // Keep the left subtree: its node indices are unchanged in the array layout.
            let new_width = half - 1;
            self.nodes.truncate(new_width);
            self.hashes.truncate(new_width);
            self.prefixes.truncate(new_width);
        }
        if self.leaf_count() == 1 && self.nodes.get(0).is_some_and(Option::is_none) {
            self.nodes.clear();
            self.hashes.clear();
            self.prefixes.clear();
        }
    }

    /// Checks the structural rules a received tree must meet (RFC 9420 §7.1, §12.4.3.1, §16.7):
    /// unmerged-leaf lists strictly increasing, naming non-blank leaves below their parent and
    /// listed at every non-blank node in between; no encryption key used twice anywhere in the
    /// tree; no signature key used by two leaves.
    ///
    /// # Errors
    /// The [`TreeError`] of the first failed check.
    pub fn validate_structure(&self) -> Result<(), TreeError> {
        let n = self.leaf_count();
        for (x, p) in self.parents() {
            if p.unmerged_leaves.windows(2).any(|w| w[0] >= w[1]) {
                return Err(TreeError::UnsortedUnmergedLeaves(x));
            }
            for &leaf in &p.unmerged_leaves {
                let ln = leaf.node();
                // Range-check the leaf index itself: `leaf.node()` wraps for indices >= 2^31.
                let below = leaf.0 < n && is_descendant(ln, x);
                if !below || self.leaf(leaf).is_none() {
                    return Err(TreeError::InvalidUnmergedLeaf { node: x, leaf });
                }
                for mid in math::direct_path(ln, n).into_iter().take_while(|m| *m != x) {
                    if let Some(mp) = self.parent_node(mid) {
                        if mp.unmerged_leaves.binary_search(&leaf).is_err() {
                            return Err(TreeError::UnmergedLeafNotPropagated {
                                node: x,
                                leaf,
                                intermediate: mid,
                            });
                        }
                    }
                }
            }
        }
        self.check_key_uniqueness()
    }

    /// The key-uniqueness rules of [`RatchetTree::validate_structure`] (no encryption key twice
    /// in the tree, no signature key on two leaves) for a tree that met them before the nodes
    /// `changed` were set: only the keys of those nodes can collide, so they are looked up in
    /// one pass over the tree instead of indexing every key. The unmerged-leaf rules need no
    /// check after the tree's own operations ([`RatchetTree::add_leaf`] keeps the lists sorted
    /// and propagated, a path merge resets them).
    ///
    /// # Errors
    /// [`TreeError::DuplicateEncryptionKey`] or [`TreeError::DuplicateSignatureKey`], lower
    /// index first.
    pub fn check_changed_keys_unique(&self, changed: &[NodeIndex]) -> Result<(), TreeError> {
        let mut changed: Vec<NodeIndex> = changed.to_vec();
        changed.sort_unstable();
        changed.dedup();
        // The changed nodes' keys: a handful (a path and a few leaves), compared linearly.
        let mut enc: Vec<(u64, &[u8], NodeIndex)> = Vec::new();
        let mut sig: Vec<(u64, &[u8], LeafIndex)> = Vec::new();
        let mut seen_enc: std::collections::HashMap<&[u8], NodeIndex> =
            std::collections::HashMap::new();
        let mut seen_sig: std::collections::HashMap<&[u8], LeafIndex> =
            std::collections::HashMap::new();
        for &x in &changed {
            let key = match self.node(x) {
                None => continue,
                Some(Node::Leaf(l)) => {
                    let leaf = LeafIndex(x.0 / 2);
                    let k = l.signature_key.as_ref();
                    if let Some(prev) = seen_sig.insert(k, leaf) {
                        return Err(TreeError::DuplicateSignatureKey(prev, leaf));
                    }
                    sig.push((prefix(k), k, leaf));
                    l.encryption_key.as_ref()
                }
                Some(Node::Parent(p)) => p.encryption_key.as_ref(),
            };
            if let Some(prev) = seen_enc.insert(key, x) {
                return Err(TreeError::DuplicateEncryptionKey(prev, x));
            }
            enc.push((prefix(key), key, x));
        }
        if enc.is_empty() {
            return Ok(());
        }
        if changed.len() > 32 {
            // Many changed nodes (a commit adding many members): index them instead, so that
            // the pass stays linear.
            return self.check_keys_unique_indexed(&enc, &sig);
        }
        let hit = |list: &[(u64, &[u8], NodeIndex)], key: &[u8]| {
            let p = prefix(key);
            list.iter()
                .find(|(q, k, _)| *q == p && *k == key)
                .map(|(_, _, x)| *x)
        };
        // Only nodes whose key prefixes pass the filter of the changed ones are visited (about
        // one in 4096 / changed keys, besides the changed nodes themselves).
        let mut enc_filter = PrefixFilter::default();
        let mut sig_filter = PrefixFilter::default();
        enc.iter().for_each(|(p, _, _)| enc_filter.insert(*p));
        sig.iter().for_each(|(p, _, _)| sig_filter.insert(*p));
        for (i, [pe, ps]) in self.prefixes.iter().enumerate() {
            let candidate =
                enc_filter.may_contain(*pe) || (i % 2 == 0 && sig_filter.may_contain(*ps));
            if !candidate {
                continue;
            }
            let x = NodeIndex(i as u32);
            let key = match self.node(x) {
                None => continue,
                Some(Node::Leaf(l)) => {
                    let leaf = LeafIndex(x.0 / 2);
                    let k = l.signature_key.as_ref();
                    let p = prefix(k);
                    if let Some((_, _, other)) = sig
                        .iter()
                        .find(|(q, o, c)| *q == p && *o == k && *c != leaf)
                    {
                        return Err(TreeError::DuplicateSignatureKey(
                            leaf.min(*other),
                            leaf.max(*other),
                        ));
                    }
                    l.encryption_key.as_ref()
                }
                Some(Node::Parent(p)) => p.encryption_key.as_ref(),
            };
            if let Some(other) = hit(&enc, key).filter(|other| *other != x) {
                return Err(TreeError::DuplicateEncryptionKey(
                    x.min(other),
                    x.max(other),
                ));
            }
        }
        Ok(())
    }

    /// [`RatchetTree::check_changed_keys_unique`]'s pass over the tree with the changed keys
    /// (already free of duplicates among themselves) in hash maps.
    fn check_keys_unique_indexed(
        &self,
        enc: &[(u64, &[u8], NodeIndex)],
        sig: &[(u64, &[u8], LeafIndex)],
    ) -> Result<(), TreeError> {
        use std::collections::HashMap;
        let enc: HashMap<&[u8], NodeIndex> = enc.iter().map(|(_, k, x)| (*k, *x)).collect();
        let sig: HashMap<&[u8], LeafIndex> = sig.iter().map(|(_, k, l)| (*k, *l)).collect();
        for (i, node) in self.nodes.iter().enumerate() {
            let x = NodeIndex(i as u32);
            let key = match node.as_deref() {
                None => continue,
                Some(Node::Leaf(l)) => {
                    let leaf = LeafIndex(x.0 / 2);
                    if let Some(&other) = sig.get(l.signature_key.as_ref()) {
                        if other != leaf {
                            return Err(TreeError::DuplicateSignatureKey(
                                leaf.min(other),
                                leaf.max(other),
                            ));
                        }
                    }
                    l.encryption_key.as_ref()
                }
                Some(Node::Parent(p)) => p.encryption_key.as_ref(),
            };
            if let Some(&other) = enc.get(key) {
                if other != x {
                    return Err(TreeError::DuplicateEncryptionKey(
                        x.min(other),
                        x.max(other),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Verifies the signature of every non-blank leaf (RFC 9420 §7.3), `update` and `commit`
    /// leaves with `group_id` and their own index.
    ///
    /// # Errors
    /// [`TreeError::InvalidLeafSignature`] naming the first leaf that fails.
    pub fn verify_leaf_signatures(
        &self,
        suite: &dyn cohort_crypto::SuiteOps,
        group_id: &[u8],
    ) -> Result<(), TreeError> {
        self.leaves()
            .try_for_each(|(i, leaf)| leaf.verify_signature(suite, Some((group_id, i)), i))
    }

    /// RFC 9420 §7.3, §16.7: encryption keys are unique across all nodes, signature keys across
    /// all leaves.
    fn check_key_uniqueness(&self) -> Result<(), TreeError> {
        // The keys are sorted and compared with their neighbours: at 50,000 leaves that is a few
        // times cheaper than hashing every key into a map. Only a tree that has a duplicate
        // takes the map below, which names the same pair as a pass in index order.
        let mut enc: Vec<(u64, &[u8])> = Vec::with_capacity(self.nodes.len());
        let mut sig: Vec<(u64, &[u8])> = Vec::with_capacity(self.nodes.len().div_ceil(2));
        // The key prefixes are the tree's own array, kept with every change of a slot.
        for (node, [pe, ps]) in self.nodes.iter().zip(self.prefixes.iter()) {
            let key = match node.as_deref() {
                None => continue,
                Some(Node::Leaf(l)) => {
                    sig.push((*ps, l.signature_key.as_ref()));
                    l.encryption_key.as_ref()
                }
                Some(Node::Parent(p)) => p.encryption_key.as_ref(),
            };
            enc.push((*pe, key));
        }
        let repeats = |mut keys: Vec<(u64, &[u8])>| {
            keys.sort_unstable();
            keys.windows(2).any(|w| w[0] == w[1])
        };
        if !repeats(enc) && !repeats(sig) {
            return Ok(());
        }
        self.first_duplicate_key()
    }

    /// The first duplicate key of the tree in index order, as [`Self::check_key_uniqueness`]
    /// reports it.
    fn first_duplicate_key(&self) -> Result<(), TreeError> {
        use std::collections::HashMap;
        let mut enc: HashMap<&[u8], NodeIndex> = HashMap::new();
        let mut sig: HashMap<&[u8], LeafIndex> = HashMap::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let x = NodeIndex(i as u32);
            let key = match node.as_deref() {
                None => continue,
                Some(Node::Leaf(l)) => {
                    let leaf = LeafIndex(x.0 / 2);
                    if let Some(prev) = sig.insert(l.signature_key.as_ref(), leaf) {
                        return Err(TreeError::DuplicateSignatureKey(prev, leaf));
                    }
                    l.encryption_key.as_ref()
                }
                Some(Node::Parent(p)) => p.encryption_key.as_ref(),
            };
            if let Some(prev) = enc.insert(key, x) {
                return Err(TreeError::DuplicateEncryptionKey(prev, x));
            }
        }
        Ok(())
    }

    /// Sets a slot and invalidates the cached hashes of it and its ancestors.
    pub(crate) fn set_node(&mut self, x: NodeIndex, node: Option<Node>) {
        if let Some(slot) = self.nodes.get_mut(x.0 as usize) {
            if let Some(p) = self.prefixes.get_mut(x.0 as usize) {
                *p = prefixes_of(node.as_ref());
            }
            *slot = node.map(Arc::new);
            self.invalidate(x);
        }
    }

    /// Forgets the cached hashes of `x` and every ancestor.
    pub(crate) fn invalidate(&mut self, x: NodeIndex) {
        let n = self.leaf_count();
        if let Some(h) = self.hashes.get_mut(x.0 as usize) {
            *h = None;
        }
        for p in math::direct_path(x, n) {
            if let Some(h) = self.hashes.get_mut(p.0 as usize) {
                *h = None;
            }
        }
    }
}

/// Whether `x` lies in the subtree rooted at `top` (or is `top`).
pub fn is_descendant(x: NodeIndex, top: NodeIndex) -> bool {
    let k = math::level(top);
    let span = (1u64 << k) - 1;
    let (t, v) = (u64::from(top.0), u64::from(x.0));
    v + span >= t && v <= t + span
}

/// Nodes for the tests of this crate.
#[cfg(test)]
pub(crate) mod tests_support {
    use cohort_codec::VarBytes;
    use cohort_credential::Credential;
    use cohort_crypto::{CipherSuite, HpkePublicKey, SignaturePublicKey};

    use crate::leaf::{Capabilities, LeafNode, LeafNodeSource, Lifetime};
    use crate::node::ParentNode;

    /// A leaf whose keys and credential are made of `n`.
    pub(crate) fn leaf(n: u16) -> LeafNode {
        let [a, b] = n.to_be_bytes();
        LeafNode {
            encryption_key: HpkePublicKey(vec![a, b, 1].into()),
            signature_key: SignaturePublicKey(vec![a, b, 2].into()),
            credential: Credential::basic(vec![a, b]),
            capabilities: Capabilities {
                versions: Vec::new(),
                cipher_suites: vec![CipherSuite(1)],
                extensions: Vec::new(),
                proposals: Vec::new(),
                credentials: Vec::new(),
            },
            leaf_node_source: LeafNodeSource::KeyPackage(Lifetime {
                not_before: 0,
                not_after: u64::MAX,
            }),
            extensions: Vec::new(),
            signature: VarBytes::default(),
        }
    }

    /// A parent whose key is made of `n`.
    pub(crate) fn parent(n: u16) -> ParentNode {
        let [a, b] = n.to_be_bytes();
        ParentNode {
            encryption_key: HpkePublicKey(vec![a, b, 3].into()),
            parent_hash: VarBytes::default(),
            unmerged_leaves: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use cohort_codec::VarBytes;
    use cohort_crypto::{HpkePublicKey, SignaturePublicKey};

    use super::RatchetTree;
    use super::tests_support::leaf;
    use crate::math::LeafIndex;

    /// Adding many leaves at once places them exactly where adding them one by one does:
    /// into the blanks left by removals first, left to right, then by extending the tree.
    #[test]
    fn add_leaves_matches_repeated_add_leaf() {
        let mut base = RatchetTree::with_first_leaf(leaf(0));
        for n in 1..12 {
            base.add_leaf(leaf(n)).expect("add");
        }
        for removed in [3, 4, 9] {
            base.remove_leaf(LeafIndex(removed)).expect("remove");
        }
        let mut one_by_one = base.clone();
        let expected: Vec<LeafIndex> = (100..110)
            .map(|n| one_by_one.add_leaf(leaf(n)).expect("add"))
            .collect();
        let mut at_once = base.clone();
        let got = at_once.add_leaves((100..110).map(leaf)).expect("add");
        assert_eq!(got, expected);
        assert_eq!(at_once, one_by_one);
        assert_eq!(&got[..3], &[LeafIndex(3), LeafIndex(4), LeafIndex(9)]);
    }

    /// The sorted key check tells keys that share their first eight bytes apart, and a
    /// duplicate is still reported as the first pair in index order (signature keys, then
    /// encryption keys, of the lowest node that repeats one).
    #[test]
    fn key_uniqueness_by_sorting() {
        use super::TreeError;
        let with_keys = |enc: &[u8], sig: &[u8]| {
            let mut l = leaf(0);
            l.encryption_key = HpkePublicKey(enc.to_vec().into());
            l.signature_key = SignaturePublicKey(sig.to_vec().into());
            l
        };
        let prefix = [7u8; 8];
        let key = |last: u8| [&prefix[..], &[last]].concat();
        let mut tree = RatchetTree::with_first_leaf(with_keys(&key(1), &key(2)));
        tree.add_leaf(with_keys(&key(3), &key(4))).expect("add");
        tree.add_leaf(with_keys(&prefix, &key(5))).expect("add");
        tree.validate_structure()
            .expect("same prefixes, different keys");
        let mut dup = tree.clone();
        dup.add_leaf(with_keys(&key(6), &key(4))).expect("add");
        dup.add_leaf(with_keys(&key(1), &key(8))).expect("add");
        assert!(matches!(
            dup.validate_structure(),
            Err(TreeError::DuplicateSignatureKey(LeafIndex(1), LeafIndex(3)))
        ));
        let mut dup = tree.clone();
        dup.add_leaf(with_keys(&prefix, &key(9))).expect("add");
        assert!(matches!(
            dup.validate_structure(),
            Err(TreeError::DuplicateEncryptionKey(_, _))
        ));
    }

    /// The key-prefix array follows every change of the tree (adds into blanks and at the end,
    /// removals with truncation, updates, a rebuild from the node list), and the incremental
    /// key check finds a collision with a leaf or parent chunks away from the changed node.
    #[test]
    fn key_prefixes_follow_the_nodes() {
        use super::{Node, prefixes_of};
        use crate::math::NodeIndex;
        use crate::node::ParentNode;
        let in_sync = |t: &RatchetTree| {
            t.prefixes.len() == t.nodes.len()
                && t.prefixes
                    .iter()
                    .zip(t.nodes.iter())
                    .all(|(p, n)| *p == prefixes_of(n.as_deref()))
        };
        let mut tree = RatchetTree::with_first_leaf(leaf(0));
        assert!(in_sync(&tree));
        tree.add_leaves((1..300).map(leaf)).expect("add");
        assert!(in_sync(&tree));
        for removed in [5, 150, 299, 298] {
            tree.remove_leaf(LeafIndex(removed)).expect("remove");
            assert!(in_sync(&tree));
        }
        tree.add_leaf(leaf(1000)).expect("add");
        tree.update_leaf(LeafIndex(7), leaf(1001)).expect("update");
        let parent = ParentNode {
            encryption_key: leaf(2).encryption_key,
            parent_hash: VarBytes::default(),
            unmerged_leaves: Vec::new(),
        };
        tree.set_node(NodeIndex(401), Some(Node::Parent(parent)));
        assert!(in_sync(&tree));
        let rebuilt = RatchetTree::from_nodes(tree.to_nodes()).expect("rebuild");
        assert!(in_sync(&rebuilt));
        // Leaf 2's key on parent 401: found from either end.
        let err = tree.check_changed_keys_unique(&[NodeIndex(401)]);
        assert!(
            matches!(
                err,
                Err(crate::TreeError::DuplicateEncryptionKey(
                    NodeIndex(4),
                    NodeIndex(401)
                ))
            ),
            "{err:?}"
        );
        assert!(tree.check_changed_keys_unique(&[NodeIndex(4)]).is_err());
        assert!(tree.check_changed_keys_unique(&[NodeIndex(14)]).is_ok());
        tree.truncate();
        assert!(in_sync(&tree));
    }
}
