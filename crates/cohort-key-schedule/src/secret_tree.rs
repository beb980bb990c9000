//! The secret tree and its hash ratchets (RFC 9420 §9), with the deletion schedule of §9.2.
//!
//! ```text
//!                 encryption_secret (root)
//!                 /                    \
//!   ExpandWithLabel(., "tree", "left")  ExpandWithLabel(., "tree", "right")
//!              ...                          ...
//!             leaf L ──► "handshake" ratchet, "application" ratchet
//!
//!   ratchet_secret_[j] ──► DeriveTreeSecret(., "key" | "nonce", j)   = key_[j], nonce_[j]
//!                      └─► DeriveTreeSecret(., "secret", j, Nh)      = ratchet_secret_[j+1]
//! ```
//!
//! Deletion: expanding a node stores both children and deletes the node; a leaf's secret is
//! deleted once its two ratchets exist; a ratchet keeps only its next secret; a key handed out
//! is forgotten. Keys for generations skipped by out-of-order delivery are kept, up to
//! [`RatchetConfig::out_of_order_tolerance`] per ratchet, and deleted when used or evicted.
//!
//! Receiving is transactional: [`SecretTree::open`] derives on scratch copies and commits only
//! when the caller's decryption succeeds, so a rejected message changes nothing.
//!
//! Undoing a step: a caller that must store each step before relying on it (the facade writes
//! the ratchets after every message) arms the tree with [`SecretTree::keep_undo`]; the steps
//! that follow keep what they replaced (moved out, not copied), [`SecretTree::undo`] puts it
//! back, and [`SecretTree::forget_undo`] drops it once the step is stored.

use std::collections::BTreeMap;

use cohort_crypto::{Secret, SuiteOps, labeled};

use crate::KeyScheduleError;

/// Which ratchet of a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentKind {
    /// Proposals and commits.
    Handshake,
    /// Application messages.
    Application,
}

/// Bounds for out-of-order delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatchetConfig {
    /// How far past the next expected generation a message may be (keys in between are derived
    /// and kept for late messages).
    pub max_forward_distance: u32,
    /// How many skipped keys one ratchet keeps for late messages; the oldest go first. A
    /// message more than this many generations behind the ratchet is refused as too old.
    ///
    /// # Security
    /// Each kept key decrypts one message of its sender until it is used or dropped: a device
    /// compromised meanwhile exposes up to this many messages per sender and epoch that were
    /// skipped and never arrived. The default (100) accepts the reordering deployed Delivery
    /// Services produce; 0 keeps none.
    pub out_of_order_tolerance: u32,
}

impl Default for RatchetConfig {
    fn default() -> Self {
        Self {
            max_forward_distance: 1000,
            out_of_order_tolerance: 100,
        }
    }
}

/// The key and nonce of one generation of a ratchet.
///
/// # Security
/// Zeroized on drop. Use it for one message only.
#[derive(Debug, Clone)]
pub struct MessageKey {
    /// The generation.
    pub generation: u32,
    /// The AEAD key (`Nk` bytes).
    pub key: Secret,
    /// The AEAD nonce (`Nn` bytes), before the reuse guard is applied.
    pub nonce: Secret,
}

/// One hash ratchet.
#[derive(Debug, Clone)]
struct HashRatchet {
    /// `ratchet_secret_[next]`.
    secret: Secret,
    /// The next generation this ratchet will produce.
    next: u32,
    /// Keys of skipped generations, kept for late messages.
    skipped: BTreeMap<u32, MessageKey>,
}

impl HashRatchet {
    fn new(secret: Secret) -> Self {
        Self {
            secret,
            next: 0,
            skipped: BTreeMap::new(),
        }
    }

    /// Produces the key of generation `next` and advances, deleting the used secret.
    fn step(&mut self, suite: &dyn SuiteOps, leaf: u32) -> Result<MessageKey, KeyScheduleError> {
        let generation = self.next;
        let next = generation
            .checked_add(1)
            .ok_or(KeyScheduleError::RatchetExhausted(leaf))?;
        let nk = len16(suite.aead_key_len())?;
        let nn = len16(suite.aead_nonce_len())?;
        let nh = len16(suite.hash_len())?;
        let s = self.secret.as_bytes();
        let key = labeled::derive_tree_secret(suite, s, b"key", generation, nk)?;
        let nonce = labeled::derive_tree_secret(suite, s, b"nonce", generation, nn)?;
        // Replacing the secret drops (and zeroizes) the consumed one.
        self.secret = labeled::derive_tree_secret(suite, s, b"secret", generation, nh)?;
        self.next = next;
        Ok(MessageKey {
            generation,
            key,
            nonce,
        })
    }

    /// The key of `generation` for a received message: a kept skipped key, or derived forward.
    fn take(
        &mut self,
        suite: &dyn SuiteOps,
        leaf: u32,
        generation: u32,
        config: &RatchetConfig,
    ) -> Result<MessageKey, KeyScheduleError> {
        if generation < self.next {
            if let Some(key) = self.skipped.remove(&generation) {
                return Ok(key);
            }
            // Inside the window, a missing key was used: a replay or a duplicate. Further back,
            // it may as well have been dropped from the window.
            return Err(if self.next - generation > config.out_of_order_tolerance {
                KeyScheduleError::GenerationTooOld {
                    leaf,
                    generation,
                    current: self.next,
                }
            } else {
                KeyScheduleError::GenerationConsumed { leaf, generation }
            });
        }
        if generation - self.next > config.max_forward_distance {
            return Err(KeyScheduleError::GenerationTooFarAhead {
                leaf,
                generation,
                current: self.next,
            });
        }
        while self.next < generation {
            let key = self.step(suite, leaf)?;
            if config.out_of_order_tolerance > 0 {
                self.skipped.insert(key.generation, key);
            }
            while self.skipped.len() > config.out_of_order_tolerance as usize {
                self.skipped.pop_first();
            }
        }
        self.step(suite, leaf)
    }
}

fn len16(n: usize) -> Result<u16, KeyScheduleError> {
    u16::try_from(n).map_err(|_| KeyScheduleError::LengthTooLong(n))
}

/// The two ratchets of a leaf.
#[derive(Debug, Clone)]
struct LeafRatchets {
    handshake: HashRatchet,
    application: HashRatchet,
}

impl LeafRatchets {
    fn get(&mut self, kind: ContentKind) -> &mut HashRatchet {
        match kind {
            ContentKind::Handshake => &mut self.handshake,
            ContentKind::Application => &mut self.application,
        }
    }
}

/// The secret tree of one epoch.
#[derive(Debug, Clone)]
pub struct SecretTree {
    leaf_count: u32,
    /// Secrets of tree nodes not yet expanded, by node index.
    nodes: BTreeMap<u32, Secret>,
    /// Ratchets of leaves whose secret has been expanded.
    ratchets: BTreeMap<u32, LeafRatchets>,
    config: RatchetConfig,
    /// Whether steps keep what they replace in `undo`.
    keep_undo: bool,
    /// What the steps since [`SecretTree::keep_undo`] replaced, oldest first.
    undo: Vec<StepUndo>,
}

/// What one step replaced: the leaf's ratchets before it, the node secrets it consumed and the
/// nodes it stored. Zeroized on drop (its secrets are [`Secret`]s).
#[derive(Debug, Clone)]
struct StepUndo {
    leaf: u32,
    ratchets: Option<LeafRatchets>,
    removed: Vec<(u32, Secret)>,
    stored: Vec<u32>,
}

/// What deriving a leaf's ratchets would change: applied only on success.
struct Expansion {
    leaf: u32,
    ratchets: LeafRatchets,
    /// Node secrets to store (children of expanded nodes).
    store: Vec<(u32, Secret)>,
    /// Node secrets consumed by the expansion.
    delete: Vec<u32>,
}

impl SecretTree {
    /// A secret tree for `leaf_count` leaves rooted at `encryption_secret`, which it takes over.
    pub fn new(encryption_secret: Secret, leaf_count: u32, config: RatchetConfig) -> Self {
        let mut nodes = BTreeMap::new();
        if leaf_count > 0 {
            nodes.insert(root(leaf_count), encryption_secret);
        }
        Self {
            leaf_count,
            nodes,
            ratchets: BTreeMap::new(),
            config,
            keep_undo: false,
            undo: Vec::new(),
        }
    }

    /// From now until [`SecretTree::forget_undo`], every step keeps what it replaces, so that
    /// [`SecretTree::undo`] can put the tree back where it is now.
    ///
    /// # Security
    /// The kept secrets include consumed ones: forget them as soon as the steps are stored.
    pub fn keep_undo(&mut self) {
        self.undo.clear();
        self.keep_undo = true;
    }

    /// Drops what the steps since [`SecretTree::keep_undo`] replaced (zeroizing it), and stops
    /// keeping it.
    pub fn forget_undo(&mut self) {
        self.undo.clear();
        self.keep_undo = false;
    }

    /// Puts the tree back where it was at [`SecretTree::keep_undo`], newest step first, and
    /// stops keeping what steps replace. Without `keep_undo` before, nothing changes.
    pub fn undo(&mut self) {
        while let Some(step) = self.undo.pop() {
            for x in step.stored {
                self.nodes.remove(&x);
            }
            for (x, secret) in step.removed {
                self.nodes.insert(x, secret);
            }
            match step.ratchets {
                Some(r) => self.ratchets.insert(step.leaf, r),
                None => self.ratchets.remove(&step.leaf),
            };
        }
        self.keep_undo = false;
    }

    /// The number of leaves.
    pub fn leaf_count(&self) -> u32 {
        self.leaf_count
    }

    /// The ratchet bounds in force.
    pub fn config(&self) -> RatchetConfig {
        self.config
    }

    /// The key of the next generation for sending as `leaf`; it is consumed at once.
    ///
    /// # Errors
    /// [`KeyScheduleError::LeafOutOfRange`], or a crypto failure.
    pub fn next_send_key(
        &mut self,
        suite: &dyn SuiteOps,
        leaf: u32,
        kind: ContentKind,
    ) -> Result<MessageKey, KeyScheduleError> {
        let mut expansion = self.expand(suite, leaf)?;
        let key = expansion.ratchets.get(kind).step(suite, leaf)?;
        self.apply(expansion);
        Ok(key)
    }

    /// Runs `decrypt` with the key of `generation` from `leaf`'s ratchet, and consumes that key
    /// (and commits skipped keys and tree expansion) only when `decrypt` succeeds. On any error
    /// the tree is unchanged.
    ///
    /// The outer error is the key schedule's (a consumed or too-distant generation); the inner
    /// one is `decrypt`'s.
    ///
    /// # Errors
    /// [`KeyScheduleError::GenerationConsumed`], [`KeyScheduleError::GenerationTooFarAhead`],
    /// [`KeyScheduleError::LeafOutOfRange`], or a crypto failure.
    pub fn open<T, E>(
        &mut self,
        suite: &dyn SuiteOps,
        leaf: u32,
        kind: ContentKind,
        generation: u32,
        decrypt: impl FnOnce(&MessageKey) -> Result<T, E>,
    ) -> Result<Result<T, E>, KeyScheduleError> {
        let mut expansion = self.expand(suite, leaf)?;
        let config = self.config;
        let key = expansion
            .ratchets
            .get(kind)
            .take(suite, leaf, generation, &config)?;
        match decrypt(&key) {
            Ok(value) => {
                self.apply(expansion);
                Ok(Ok(value))
            }
            Err(e) => Ok(Err(e)),
        }
    }

    /// Whether any secret is still held for `leaf` (its ratchets, or a tree node above it).
    pub fn holds_secrets_for(&self, leaf: u32) -> bool {
        self.ratchets.contains_key(&leaf)
            || self
                .path_to(leaf)
                .iter()
                .any(|x| self.nodes.contains_key(x))
    }

    /// The number of tree-node secrets held (not yet expanded), for tests of the deletion
    /// schedule.
    pub fn node_secrets_held(&self) -> usize {
        self.nodes.len()
    }

    /// Derives `leaf`'s ratchets without changing the tree: from the stored ratchets, or by
    /// expanding the nearest stored ancestor secret down to the leaf.
    fn expand(&self, suite: &dyn SuiteOps, leaf: u32) -> Result<Expansion, KeyScheduleError> {
        if leaf >= self.leaf_count {
            return Err(KeyScheduleError::LeafOutOfRange(leaf));
        }
        if let Some(r) = self.ratchets.get(&leaf) {
            return Ok(Expansion {
                leaf,
                ratchets: r.clone(),
                store: Vec::new(),
                delete: Vec::new(),
            });
        }
        // Path from the leaf up to the root; find the lowest node still holding a secret.
        let path = self.path_to(leaf);
        let start = path.iter().position(|x| self.nodes.contains_key(x)).ok_or(
            KeyScheduleError::GenerationConsumed {
                leaf,
                generation: 0,
            },
        )?;
        let nh = len16(suite.hash_len())?;
        let mut store = Vec::new();
        let mut delete = vec![path[start]];
        let mut secret = self
            .nodes
            .get(&path[start])
            .cloned()
            .ok_or(KeyScheduleError::LeafOutOfRange(leaf))?;
        // Walk down from path[start] to the leaf, storing each off-path child.
        for i in (0..start).rev() {
            let parent = path[i + 1];
            let child = path[i];
            let (l, r) = children(parent);
            let left = labeled::expand_with_label(suite, secret.as_bytes(), b"tree", b"left", nh)?;
            let right =
                labeled::expand_with_label(suite, secret.as_bytes(), b"tree", b"right", nh)?;
            let (on, off, off_index) = if child == l {
                (left, right, r)
            } else {
                (right, left, l)
            };
            store.push((off_index, off));
            secret = on;
        }
        let handshake =
            labeled::expand_with_label(suite, secret.as_bytes(), b"handshake", &[], nh)?;
        let application =
            labeled::expand_with_label(suite, secret.as_bytes(), b"application", &[], nh)?;
        if start == 0 {
            delete.push(path[0]);
        }
        let ratchets = LeafRatchets {
            handshake: HashRatchet::new(handshake),
            application: HashRatchet::new(application),
        };
        Ok(Expansion {
            leaf,
            ratchets,
            store,
            delete,
        })
    }

    fn apply(&mut self, expansion: Expansion) {
        if !self.keep_undo {
            for x in expansion.delete {
                self.nodes.remove(&x);
            }
            for (x, s) in expansion.store {
                self.nodes.insert(x, s);
            }
            self.ratchets.insert(expansion.leaf, expansion.ratchets);
            return;
        }
        let mut step = StepUndo {
            leaf: expansion.leaf,
            ratchets: None,
            removed: Vec::new(),
            stored: Vec::with_capacity(expansion.store.len()),
        };
        for x in expansion.delete {
            if let Some(secret) = self.nodes.remove(&x) {
                step.removed.push((x, secret));
            }
        }
        for (x, s) in expansion.store {
            if let Some(old) = self.nodes.insert(x, s) {
                step.removed.push((x, old));
            }
            step.stored.push(x);
        }
        step.ratchets = self.ratchets.insert(expansion.leaf, expansion.ratchets);
        self.undo.push(step);
    }

    /// Node indices from `leaf`'s node up to the root.
    fn path_to(&self, leaf: u32) -> Vec<u32> {
        let mut out = vec![leaf * 2];
        let root = root(self.leaf_count);
        let mut x = leaf * 2;
        while x != root {
            x = parent(x);
            out.push(x);
        }
        out
    }
}

/// **Tests only** (feature `test-utils`): what a secret tree holds and what can be derived from
/// it, for tests that search a dump for consumed secrets.
#[cfg(feature = "test-utils")]
impl SecretTree {
    /// The secrets this tree stores: node secrets, each ratchet's next secret, and the keys and
    /// nonces kept for skipped generations.
    pub fn held_secrets(&self) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = self.nodes.values().map(|s| s.as_bytes().to_vec()).collect();
        for r in self.ratchets.values() {
            for ratchet in [&r.handshake, &r.application] {
                out.push(ratchet.secret.as_bytes().to_vec());
                for k in ratchet.skipped.values() {
                    out.push(k.key.as_bytes().to_vec());
                    out.push(k.nonce.as_bytes().to_vec());
                }
            }
        }
        out
    }

    /// The secrets that reading (or sending) generation `generation` of `leaf`'s `kind` ratchet
    /// consumes, derived from this tree as it is: the node secrets from the nearest held
    /// ancestor down to the leaf (the leaf's own secret included), the ratchet secrets up to
    /// and including `generation`'s, and that generation's key and nonce. Keys of generations
    /// skipped on the way are not included: they may be kept for late messages.
    ///
    /// # Errors
    /// [`KeyScheduleError::LeafOutOfRange`], or a crypto failure.
    pub fn secrets_consumed_by(
        &self,
        suite: &dyn SuiteOps,
        leaf: u32,
        kind: ContentKind,
        generation: u32,
    ) -> Result<Vec<Vec<u8>>, KeyScheduleError> {
        let mut out = Vec::new();
        let mut ratchet = match self.ratchets.get(&leaf) {
            Some(r) => match kind {
                ContentKind::Handshake => r.handshake.clone(),
                ContentKind::Application => r.application.clone(),
            },
            None => {
                let expansion = self.expand(suite, leaf)?;
                // Re-walk the path to record the on-path secrets `expand` does not keep.
                let path = self.path_to(leaf);
                let nh = len16(suite.hash_len())?;
                let start = path
                    .iter()
                    .position(|x| self.nodes.contains_key(x))
                    .ok_or(KeyScheduleError::LeafOutOfRange(leaf))?;
                let mut secret = self
                    .nodes
                    .get(&path[start])
                    .cloned()
                    .ok_or(KeyScheduleError::LeafOutOfRange(leaf))?;
                out.push(secret.as_bytes().to_vec());
                for i in (0..start).rev() {
                    let (l, _) = children(path[i + 1]);
                    let side: &[u8] = if path[i] == l { b"left" } else { b"right" };
                    secret =
                        labeled::expand_with_label(suite, secret.as_bytes(), b"tree", side, nh)?;
                    out.push(secret.as_bytes().to_vec());
                }
                match kind {
                    ContentKind::Handshake => expansion.ratchets.handshake,
                    ContentKind::Application => expansion.ratchets.application,
                }
            }
        };
        while ratchet.next <= generation {
            out.push(ratchet.secret.as_bytes().to_vec());
            let key = ratchet.step(suite, leaf)?;
            if key.generation == generation {
                out.push(key.key.as_bytes().to_vec());
                out.push(key.nonce.as_bytes().to_vec());
            }
        }
        Ok(out)
    }

    /// Every secret derivable from this tree up to generation `generations - 1` of each
    /// ratchet: the held ones, the node and leaf secrets below each held node, and every ratchet
    /// secret, key and nonce on the way.
    ///
    /// # Errors
    /// A crypto failure.
    pub fn derivable_secrets(
        &self,
        suite: &dyn SuiteOps,
        generations: u32,
    ) -> Result<Vec<Vec<u8>>, KeyScheduleError> {
        let mut out = self.held_secrets();
        let nh = len16(suite.hash_len())?;
        let chain = |mut ratchet: HashRatchet,
                     leaf: u32,
                     out: &mut Vec<Vec<u8>>|
         -> Result<(), KeyScheduleError> {
            while ratchet.next < generations {
                let key = ratchet.step(suite, leaf)?;
                out.push(key.key.as_bytes().to_vec());
                out.push(key.nonce.as_bytes().to_vec());
                out.push(ratchet.secret.as_bytes().to_vec());
            }
            Ok(())
        };
        for (leaf, r) in &self.ratchets {
            chain(r.handshake.clone(), *leaf, &mut out)?;
            chain(r.application.clone(), *leaf, &mut out)?;
        }
        let mut stack: Vec<(u32, Secret)> =
            self.nodes.iter().map(|(x, s)| (*x, s.clone())).collect();
        while let Some((x, secret)) = stack.pop() {
            out.push(secret.as_bytes().to_vec());
            if x % 2 == 0 {
                let leaf = x / 2;
                for label in [&b"handshake"[..], b"application"] {
                    let start =
                        labeled::expand_with_label(suite, secret.as_bytes(), label, &[], nh)?;
                    out.push(start.as_bytes().to_vec());
                    chain(HashRatchet::new(start), leaf, &mut out)?;
                }
                continue;
            }
            let (l, r) = children(x);
            for (child, side) in [(l, &b"left"[..]), (r, b"right")] {
                // Only nodes with a real leaf below them: the leftmost leaf of `child`'s subtree.
                let first_leaf = (u64::from(child) + 1 - (1u64 << level(child))) / 2;
                if first_leaf < u64::from(self.leaf_count) {
                    let s =
                        labeled::expand_with_label(suite, secret.as_bytes(), b"tree", side, nh)?;
                    stack.push((child, s));
                }
            }
        }
        Ok(out)
    }
}

/// Root of a full tree with `n` leaves (n a power of two or not: the tree math of §4 rounds up).
fn root(n: u32) -> u32 {
    let width = 2 * u64::from(n.max(1)) - 1;
    let log = 63 - width.leading_zeros();
    ((1u64 << log) - 1) as u32
}

fn level(x: u32) -> u32 {
    x.trailing_ones()
}

fn children(x: u32) -> (u32, u32) {
    let k = level(x);
    let v = u64::from(x);
    (
        (v ^ (1u64 << (k - 1))) as u32,
        (v ^ (3u64 << (k - 1))) as u32,
    )
}

fn parent(x: u32) -> u32 {
    let k = level(x);
    let v = u64::from(x);
    let b = (v >> (k + 1)) & 1;
    ((v | (1u64 << k)) ^ (b << (k + 1))) as u32
}

/// The key and nonce that protect a PrivateMessage's sender data (RFC 9420 §6.3.2): derived from
/// `sender_data_secret` and the first `Nh` bytes of the ciphertext (all of it when shorter).
///
/// # Errors
/// A crypto failure.
pub fn sender_data_key_nonce(
    suite: &dyn SuiteOps,
    sender_data_secret: &[u8],
    ciphertext: &[u8],
) -> Result<(Secret, Secret), KeyScheduleError> {
    let sample = &ciphertext[..ciphertext.len().min(suite.hash_len())];
    let nk = len16(suite.aead_key_len())?;
    let nn = len16(suite.aead_nonce_len())?;
    let key = labeled::expand_with_label(suite, sender_data_secret, b"key", sample, nk)?;
    let nonce = labeled::expand_with_label(suite, sender_data_secret, b"nonce", sample, nn)?;
    Ok((key, nonce))
}

/// The persisted form of the secret tree (for the library's own stored state, never the wire):
/// configuration, leaf count, unexpanded node secrets, and each expanded leaf's ratchets with
/// their skipped keys.
mod persist {
    use cohort_codec::{CodecError, Decode, Encode, Reader, encode_vector_iter, vector_iter_len};
    use cohort_crypto::Secret;

    use super::{HashRatchet, LeafRatchets, MessageKey, RatchetConfig, SecretTree};

    impl Encode for MessageKey {
        fn encoded_len(&self) -> usize {
            4 + self.key.encoded_len() + self.nonce.encoded_len()
        }
        fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
            self.generation.encode(out)?;
            self.key.encode(out)?;
            self.nonce.encode(out)
        }
    }

    impl Decode for MessageKey {
        fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
            Ok(Self {
                generation: u32::decode(r)?,
                key: Secret::decode(r)?,
                nonce: Secret::decode(r)?,
            })
        }
    }

    impl Encode for HashRatchet {
        fn encoded_len(&self) -> usize {
            self.secret.encoded_len() + 4 + vector_iter_len(self.skipped.values())
        }
        fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
            self.secret.encode(out)?;
            self.next.encode(out)?;
            encode_vector_iter(self.skipped.values(), out)
        }
    }

    impl Decode for HashRatchet {
        fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
            let secret = Secret::decode(r)?;
            let next = u32::decode(r)?;
            let skipped: Vec<MessageKey> = r.read_vector()?;
            Ok(Self {
                secret,
                next,
                skipped: skipped.into_iter().map(|k| (k.generation, k)).collect(),
            })
        }
    }

    impl SecretTree {
        fn node_entries(&self) -> impl Iterator<Item = (u32, &Secret)> + Clone {
            self.nodes.iter().map(|(k, v)| (*k, v))
        }
        fn ratchet_entries(
            &self,
        ) -> impl Iterator<Item = (u32, (&HashRatchet, &HashRatchet))> + Clone {
            self.ratchets
                .iter()
                .map(|(k, v)| (*k, (&v.handshake, &v.application)))
        }
    }

    impl Encode for SecretTree {
        fn encoded_len(&self) -> usize {
            8 + 4 + vector_iter_len(self.node_entries()) + vector_iter_len(self.ratchet_entries())
        }
        fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
            self.config.max_forward_distance.encode(out)?;
            self.config.out_of_order_tolerance.encode(out)?;
            self.leaf_count.encode(out)?;
            encode_vector_iter(self.node_entries(), out)?;
            encode_vector_iter(self.ratchet_entries(), out)
        }
    }

    impl Decode for SecretTree {
        fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
            let config = RatchetConfig {
                max_forward_distance: u32::decode(r)?,
                out_of_order_tolerance: u32::decode(r)?,
            };
            let leaf_count = u32::decode(r)?;
            let nodes: Vec<(u32, Secret)> = r.read_vector()?;
            let ratchets: Vec<(u32, (HashRatchet, HashRatchet))> = r.read_vector()?;
            Ok(Self {
                leaf_count,
                nodes: nodes.into_iter().collect(),
                ratchets: ratchets
                    .into_iter()
                    .map(|(leaf, (handshake, application))| {
                        (
                            leaf,
                            LeafRatchets {
                                handshake,
                                application,
                            },
                        )
                    })
                    .collect(),
                config,
                keep_undo: false,
                undo: Vec::new(),
            })
        }
    }
}
