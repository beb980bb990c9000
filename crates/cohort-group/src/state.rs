//! The state of a group at one epoch, and the secrets of that epoch.

use std::collections::VecDeque;

use cohort_crypto::Secret;
use cohort_key_schedule::{ApplicationExportTree, EpochSecrets, InitSecret, SecretTree};
use cohort_messages::framing::Sender;
use cohort_messages::group_context::GroupContext;
use cohort_messages::proposal::{Proposal, ReInit};
use cohort_tree::RatchetTree;
use cohort_tree::math::LeafIndex;
use cohort_tree::treekem::PrivateTree;

use crate::config::GroupConfig;

/// A proposal received in the current epoch, kept until the commit that uses it (RFC 9420
/// §12.1, V-12.1-03).
#[derive(Debug, Clone)]
pub(crate) struct CachedProposal {
    /// Its ProposalRef.
    pub(crate) reference: Vec<u8>,
    pub(crate) proposal: Proposal,
    pub(crate) sender: Sender,
    /// For a proposal we sent: the message as sent, so its echo is recognised.
    pub(crate) sent: Option<Vec<u8>>,
    /// For an Update we sent: the new leaf's HPKE private key, taken up when a commit covers
    /// the proposal (RFC 9420 §12.1.2).
    pub(crate) update_key: Option<cohort_crypto::HpkePrivateKey>,
}

/// The secrets of the current epoch that the group still needs.
///
/// # Security
/// Every secret zeroizes on drop. The epoch secret, joiner secret, commit secret and previous
/// init secret are never stored: they are consumed while deriving these.
#[derive(Debug, Clone)]
pub(crate) struct EpochKeys {
    pub(crate) sender_data_secret: Secret,
    pub(crate) exporter_secret: Secret,
    pub(crate) external_secret: Secret,
    #[allow(
        dead_code,
        reason = "read when we create commits, which comes with the sender side"
    )]
    pub(crate) confirmation_key: Secret,
    pub(crate) membership_key: Secret,
    pub(crate) resumption_psk: Secret,
    pub(crate) epoch_authenticator: Secret,
    /// The next epoch's init secret.
    pub(crate) init_secret: InitSecret,
    pub(crate) secret_tree: SecretTree,
    /// The application export tree (draft-ietf-mls-extensions "Exported Secrets"); `None` for
    /// a state stored before cohort kept one, until the next epoch.
    pub(crate) application_export: Option<ApplicationExportTree>,
}

impl EpochKeys {
    pub(crate) fn new(secrets: EpochSecrets, leaf_count: u32, config: &GroupConfig) -> Self {
        let EpochSecrets {
            sender_data_secret,
            encryption_secret,
            exporter_secret,
            external_secret,
            confirmation_key,
            membership_key,
            resumption_psk,
            epoch_authenticator,
            init_secret,
            application_export_secret,
        } = secrets;
        Self {
            sender_data_secret,
            exporter_secret,
            external_secret,
            confirmation_key,
            membership_key,
            resumption_psk,
            epoch_authenticator,
            init_secret,
            secret_tree: SecretTree::new(encryption_secret, leaf_count, config.ratchet),
            application_export: (!application_export_secret.as_bytes().is_empty())
                .then(|| ApplicationExportTree::new(application_export_secret)),
        }
    }
}

/// What is kept of a past epoch to read application messages that arrive late (RFC 9420 §15,
/// V-15-01): its context, sender-data secret, secret tree and the members' signature keys.
///
/// # Security
/// Keeping an epoch's secret tree keeps its unused message keys: the bound
/// (`GroupConfig::max_past_epochs`) trades late delivery against forward secrecy.
#[derive(Debug, Clone, cohort_codec::Encode, cohort_codec::Decode)]
pub(crate) struct PastEpoch {
    pub(crate) context: GroupContext,
    pub(crate) sender_data_secret: Secret,
    pub(crate) secret_tree: SecretTree,
    /// The members' signature keys in that epoch.
    pub(crate) signature_keys: EpochSignatureKeys,
}

/// The signature key (and, where known, the credential) of each leaf in a past epoch.
///
/// Kept as that epoch's tree, whose chunks of nodes it shares with the trees after it: taking
/// it costs a pointer per chunk, where a list of keys cost an allocation per member on every
/// commit. A state read back from storage has the list. In the self-contained format it
/// encodes as the list of keys (`optional<SignaturePublicKey>` per leaf, blank leaves absent);
/// the split format stores it against the current tree ([`EpochSignatureKeys::differing_from`]),
/// credentials included, so that the sender of a late message who has left since is still
/// named.
#[derive(Debug, Clone)]
pub(crate) enum EpochSignatureKeys {
    /// The epoch's ratchet tree.
    Tree(RatchetTree),
    /// The leaves, as stored.
    Stored(std::sync::Arc<Vec<Option<PastLeaf>>>),
}

/// A leaf of a past epoch as stored: its signature key, and its credential unless the state
/// was stored by a version that kept only keys.
#[derive(Debug, Clone, PartialEq, Eq, cohort_codec::Encode, cohort_codec::Decode)]
pub(crate) struct PastLeaf {
    pub(crate) signature_key: cohort_crypto::SignaturePublicKey,
    pub(crate) credential: Option<cohort_credential::Credential>,
}

impl PastLeaf {
    fn of(leaf: &cohort_tree::leaf::LeafNode) -> Self {
        Self {
            signature_key: leaf.signature_key.clone(),
            credential: Some(leaf.credential.clone()),
        }
    }

    /// Whether `leaf` is this one (same key and credential).
    fn is(&self, leaf: Option<&cohort_tree::leaf::LeafNode>) -> bool {
        leaf.is_some_and(|l| {
            l.signature_key == self.signature_key && self.credential.as_ref() == Some(&l.credential)
        })
    }
}

impl EpochSignatureKeys {
    /// The signature key of `leaf`, `None` for a blank or missing leaf.
    pub(crate) fn get(&self, leaf: LeafIndex) -> Option<&cohort_crypto::SignaturePublicKey> {
        match self {
            Self::Tree(tree) => tree.leaf(leaf).map(|l| &l.signature_key),
            Self::Stored(keys) => keys
                .get(leaf.0 as usize)
                .and_then(Option::as_ref)
                .map(|l| &l.signature_key),
        }
    }

    /// The credential of `leaf` in that epoch, when known.
    pub(crate) fn credential(&self, leaf: LeafIndex) -> Option<&cohort_credential::Credential> {
        match self {
            Self::Tree(tree) => tree.leaf(leaf).map(|l| &l.credential),
            Self::Stored(keys) => keys
                .get(leaf.0 as usize)
                .and_then(Option::as_ref)
                .and_then(|l| l.credential.as_ref()),
        }
    }

    /// The keys per leaf, as they are stored.
    #[cfg(test)]
    fn to_list(&self) -> Vec<Option<cohort_crypto::SignaturePublicKey>> {
        self.each().map(|k| k.cloned()).collect()
    }

    /// The leaves, credentials included.
    #[cfg(test)]
    fn to_leaves(&self) -> Vec<Option<PastLeaf>> {
        match self {
            Self::Tree(tree) => (0..tree.leaf_count())
                .map(|i| tree.leaf(LeafIndex(i)).map(PastLeaf::of))
                .collect(),
            Self::Stored(keys) => keys.to_vec(),
        }
    }
}

impl EpochSignatureKeys {
    /// The keys per leaf, as [`EpochSignatureKeys::to_list`] lists them, without copying them.
    fn each(&self) -> Box<dyn Iterator<Item = Option<&cohort_crypto::SignaturePublicKey>> + '_> {
        match self {
            Self::Tree(tree) => Box::new(
                (0..tree.leaf_count()).map(|i| tree.leaf(LeafIndex(i)).map(|l| &l.signature_key)),
            ),
            Self::Stored(keys) => {
                Box::new(keys.iter().map(|l| l.as_ref().map(|l| &l.signature_key)))
            }
        }
    }

    /// The encoded size of the list's elements (without its length prefix).
    fn items_len(&self) -> usize {
        use cohort_codec::Encode as _;
        self.each().map(|k| k.encoded_len()).sum()
    }
}

/// The leaves of a past epoch where it differs from a tree, as the split format stores them.
pub(crate) type DifferingLeaves = Vec<(u32, Option<PastLeaf>)>;

impl EpochSignatureKeys {
    /// The number of leaves up to the last one with a key, and the leaves whose key or
    /// credential differs from theirs in `tree`: what the stored state keeps of a past epoch's
    /// leaves, against the state's current tree, instead of a thousand that are, but for the
    /// few leaves the commits since changed, the current tree's. The last leaf with a key is
    /// either listed or the same in `tree`, which bounds the count when it is read back.
    pub(crate) fn differing_from(&self, tree: &RatchetTree) -> (u32, DifferingLeaves) {
        match self {
            Self::Tree(past) => {
                let changes = past.changes_from(tree);
                let leaves = (0..changes.length.div_ceil(2))
                    .rev()
                    .find(|i| past.leaf(LeafIndex(*i)).is_some())
                    .map_or(0, |i| i + 1);
                // Below the list's end, the slots `changes_from` skipped are equal; a leaf of
                // the list that the current tree lacks is among the changed ones.
                let differing = changes
                    .changed
                    .iter()
                    .filter(|c| c.index % 2 == 0 && c.index / 2 < leaves)
                    .map(|c| {
                        let leaf = match c.node.as_deref() {
                            Some(cohort_tree::node::Node::Leaf(l)) => Some(PastLeaf::of(l)),
                            _ => None,
                        };
                        (c.index / 2, leaf)
                    })
                    .filter(|(i, leaf)| match leaf {
                        Some(l) => !l.is(tree.leaf(LeafIndex(*i))),
                        None => tree.leaf(LeafIndex(*i)).is_some(),
                    })
                    .collect();
                (leaves, differing)
            }
            Self::Stored(keys) => {
                let leaves = keys.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
                let differing = keys
                    .iter()
                    .take(leaves)
                    .enumerate()
                    .filter(|(i, leaf)| {
                        let now = tree.leaf(LeafIndex(*i as u32));
                        match leaf {
                            Some(l) => !l.is(now),
                            None => now.is_some(),
                        }
                    })
                    .map(|(i, leaf)| (i as u32, leaf.clone()))
                    .collect();
                (leaves as u32, differing)
            }
        }
    }

    /// The leaves that [`EpochSignatureKeys::differing_from`] described against `tree`.
    ///
    /// # Errors
    /// For a list that names a leaf past its end or leaves out of order (damaged storage).
    pub(crate) fn from_differing(
        tree: &RatchetTree,
        leaves: u32,
        differing: DifferingLeaves,
    ) -> Result<Self, cohort_codec::CodecError> {
        let invalid = cohort_codec::CodecError::InvalidValue {
            what: "stored signature keys",
            reason: "a leaf out of order or past the end",
        };
        // Bounded by the tree and the list (see `differing_from`): a larger count is damaged.
        let listed_end = differing.last().map_or(0, |(i, _)| u64::from(*i) + 1);
        if u64::from(leaves) > listed_end.max(u64::from(tree.leaf_count())) {
            return Err(invalid);
        }
        let mut keys: Vec<Option<PastLeaf>> = (0..leaves)
            .map(|i| tree.leaf(LeafIndex(i)).map(PastLeaf::of))
            .collect();
        let mut previous: Option<u32> = None;
        for (i, leaf) in differing {
            if previous.is_some_and(|p| p >= i) {
                return Err(invalid);
            }
            previous = Some(i);
            *keys.get_mut(i as usize).ok_or_else(|| invalid.clone())? = leaf;
        }
        Ok(Self::Stored(std::sync::Arc::new(keys)))
    }

    /// The leaves of a list of keys (the self-contained format and split version 2), without
    /// credentials.
    pub(crate) fn from_keys(keys: Vec<Option<cohort_crypto::SignaturePublicKey>>) -> Self {
        Self::Stored(std::sync::Arc::new(
            keys.into_iter()
                .map(|k| {
                    k.map(|signature_key| PastLeaf {
                        signature_key,
                        credential: None,
                    })
                })
                .collect(),
        ))
    }
}

/// Encodes as `to_list()` would (`optional<SignaturePublicKey> keys<V>`), without building the
/// list: a past epoch is written with every state, and copying a thousand keys each time cost
/// more than the rest of the state.
impl cohort_codec::Encode for EpochSignatureKeys {
    fn encoded_len(&self) -> usize {
        let len = self.items_len();
        cohort_codec::varint_len(len) + len
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), cohort_codec::CodecError> {
        cohort_codec::encode_varint(self.items_len(), out)?;
        for key in self.each() {
            key.encode(out)?;
        }
        Ok(())
    }
}

impl cohort_codec::Decode for EpochSignatureKeys {
    fn decode(reader: &mut cohort_codec::Reader<'_>) -> Result<Self, cohort_codec::CodecError> {
        Ok(Self::from_keys(Vec::decode(reader)?))
    }
}

/// Whether the group can still be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupStatus {
    /// A member, able to send and receive.
    Active,
    /// Removed by a commit (RFC 9420 §12.4.2, V-12.4.2-17).
    Removed,
    /// A commit with a ReInit proposal was merged (RFC 9420 §11.2, V-12.4.2-16): nothing more
    /// is sent or accepted in this group. Its members move to the group the ReInit describes
    /// ([`Group::pending_reinit`](crate::Group::pending_reinit)), created with
    /// [`Group::reinit`](crate::Group::reinit) and joined with
    /// [`Group::join_resumed`](crate::Group::join_resumed).
    ReInitPending,
}

/// Everything a member knows about a group in one epoch.
#[derive(Debug, Clone)]
pub(crate) struct GroupState {
    pub(crate) context: GroupContext,
    pub(crate) tree: RatchetTree,
    pub(crate) private: PrivateTree,
    pub(crate) interim_transcript_hash: Vec<u8>,
    /// The confirmation tag of the commit that began this epoch (for GroupInfo).
    pub(crate) confirmation_tag: Vec<u8>,
    pub(crate) keys: EpochKeys,
    pub(crate) proposals: Vec<CachedProposal>,
    /// Resumption PSKs of past epochs, newest last, bounded by the configuration.
    pub(crate) past_resumption_psks: VecDeque<(u64, Secret)>,
    /// Past epochs kept for late application messages, newest last. Shared between copies of
    /// the state (a staged commit's next epoch, the facade's copy for an operation); written
    /// through `Arc::make_mut`, which copies one only while it is shared.
    pub(crate) past_epochs: VecDeque<std::sync::Arc<PastEpoch>>,
    pub(crate) config: GroupConfig,
    pub(crate) status: GroupStatus,
    /// The ReInit committed in the epoch that began this state, when `status` is
    /// [`GroupStatus::ReInitPending`].
    pub(crate) reinit: Option<ReInit>,
}

impl GroupState {
    /// The resumption PSK of `epoch` of this group, if still retained (RFC 9420 §8.6).
    pub(crate) fn resumption_psk(&self, epoch: u64) -> Option<&Secret> {
        if epoch == self.context.epoch {
            return Some(&self.keys.resumption_psk);
        }
        self.past_resumption_psks
            .iter()
            .find(|(e, _)| *e == epoch)
            .map(|(_, s)| s)
    }
}

#[cfg(test)]
mod signature_key_tests {
    use cohort_codec::Encode;
    use cohort_crypto::SignaturePublicKey;

    use super::EpochSignatureKeys;

    /// The list is encoded without being built, to the same bytes.
    #[test]
    fn keys_encode_as_their_list() {
        let keys = EpochSignatureKeys::from_keys(vec![
            Some(SignaturePublicKey::from(vec![1; 32])),
            None,
            Some(SignaturePublicKey::from(vec![2; 33])),
        ]);
        let direct = keys.to_bytes().expect("encode");
        let listed = keys.to_list().to_bytes().expect("encode");
        assert_eq!(direct, listed);
        assert_eq!(keys.encoded_len(), listed.len());
    }

    fn leaf(n: u8) -> cohort_tree::leaf::LeafNode {
        use cohort_tree::leaf::{Capabilities, LeafNode, LeafNodeSource, Lifetime};
        LeafNode {
            encryption_key: cohort_crypto::HpkePublicKey(vec![n, 1].into()),
            signature_key: SignaturePublicKey::from(vec![n, 2]),
            credential: cohort_credential::Credential::basic(vec![n]),
            capabilities: Capabilities {
                versions: Vec::new(),
                cipher_suites: Vec::new(),
                extensions: Vec::new(),
                proposals: Vec::new(),
                credentials: Vec::new(),
            },
            leaf_node_source: LeafNodeSource::KeyPackage(Lifetime {
                not_before: 0,
                not_after: u64::MAX,
            }),
            extensions: Vec::new(),
            signature: Default::default(),
        }
    }

    /// The leaves without their trailing blanks (which `differing_from` does not count).
    fn trimmed(keys: &EpochSignatureKeys) -> Vec<Option<super::PastLeaf>> {
        let mut list = keys.to_leaves();
        while list.last().is_some_and(Option::is_none) {
            list.pop();
        }
        list
    }

    /// A past epoch's keys stored as the leaves where they differ from the current tree come
    /// back as they were: after an update, a removal in the middle, and removals at the end
    /// that shrank the tree below blanks of the past one; from a tree and from a stored list.
    #[test]
    fn keys_stored_against_the_current_tree_come_back() {
        use cohort_tree::RatchetTree;
        use cohort_tree::math::LeafIndex;
        let mut past = RatchetTree::with_first_leaf(leaf(0));
        for n in 1..12 {
            past.add_leaf(leaf(n)).expect("room");
        }
        past.remove_leaf(LeafIndex(9)).expect("member");
        let mut current = past.clone();
        current
            .update_leaf(LeafIndex(3), leaf(100))
            .expect("member");
        current.remove_leaf(LeafIndex(5)).expect("member");
        for i in [6, 7, 8, 10, 11] {
            current.remove_leaf(LeafIndex(i)).expect("member");
        }
        current.truncate();
        current.add_leaf(leaf(200)).expect("room");
        for keys in [
            EpochSignatureKeys::Tree(past.clone()),
            EpochSignatureKeys::Stored(std::sync::Arc::new(
                EpochSignatureKeys::Tree(past.clone()).to_leaves(),
            )),
        ] {
            let (leaves, differing) = keys.differing_from(&current);
            assert!(differing.len() < 9, "only what changed: {differing:?}");
            let back =
                EpochSignatureKeys::from_differing(&current, leaves, differing).expect("decodes");
            assert_eq!(trimmed(&back), trimmed(&keys));
        }
        // The same tree: nothing listed.
        let same = EpochSignatureKeys::Tree(current.clone()).differing_from(&current);
        assert!(same.1.is_empty());
        // A count that neither the tree nor the list explains is refused.
        assert!(EpochSignatureKeys::from_differing(&current, 1000, Vec::new()).is_err());
        let unordered = vec![(3, None), (1, None)];
        assert!(EpochSignatureKeys::from_differing(&current, 4, unordered).is_err());
    }
}
