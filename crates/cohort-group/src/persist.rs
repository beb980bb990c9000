//! The group's persisted state, holding everything a member needs to carry on after a restart,
//! secrets included. Two forms:
//!
//! - **format 1**, one self-contained blob ([`Group::to_state_bytes`]):
//!   ```text
//!   u16 version (= 1) | GroupState | optional<pending commit: GroupState, message, summary>
//!   ```
//! - **format 2**, split in two ([`Group::to_split_state`]): the same blob without the secret
//!   trees of the current and the retained past epochs, plus those trees in a second, small blob
//!   (the *ratchets*). Reading or sending an application message changes only the ratchets, so a
//!   store rewrites a few hundred bytes per message rather than the whole group:
//!   ```text
//!   state:    u16 version (= 2) | GroupState without secret trees | optional<pending commit>
//!   ratchets: u16 version (= 1) | u64 epoch | SecretTree | vector<u64 epoch, SecretTree>
//!   ```
//!   A pending commit's next epoch stays whole in the state blob: nothing of it is consumed yet.
//!
//! [`Group::from_split_state`] reads both formats, so a group stored as format 1 migrates on its
//! next write.
//!
//! A pending commit can also be kept apart from the state ([`Group::to_split_state_apart`]),
//! as a third blob that describes the next epoch against the current one: its tree as the slots
//! the commit changed ([`cohort_tree::changes::TreeChanges`]), everything else whole. Creating a
//! commit then writes that blob and the ratchets, not the whole group again:
//! ```text
//! pending:  u16 version (= 1) | u64 epoch of the state it extends
//!           | GroupState with TreeChanges for its tree | message | summary
//! ```
//! [`Group::from_split_state_with_pending`] reads the three; a pending blob replaces a pending
//! commit that the state blob itself holds (one written by an earlier version).
//!
//! # Security
//! The blob contains the epoch's secrets and our private keys: store it as secret data (the
//! storage traits take it zeroizing). Nothing of it is ever sent.

use std::sync::Arc;

use cohort_codec::{CodecError, Decode, Encode, Reader, VarBytes};
use cohort_crypto::{CryptoProvider, Secret};
use cohort_key_schedule::{InitSecret, RatchetConfig, SecretTree};
use cohort_messages::framing::Sender;
use cohort_messages::group_context::GroupContext;
use cohort_messages::proposal::{Proposal, ReInit};
use cohort_messages::psk::PreSharedKeyId;
use cohort_tree::RatchetTree;
use cohort_tree::changes::TreeChanges;
use cohort_tree::leaf::{LeafNode, ProposalType};
use cohort_tree::math::LeafIndex;
use cohort_tree::node::RatchetTreeNodes;
use cohort_tree::treekem::PrivateTree;

use crate::commit::CommitSummary;
use crate::config::{GroupConfig, LifetimePolicy, MaxLifetime, StrictChecks};
use crate::group::Group;
use crate::sender::PendingCommit;
use crate::state::{CachedProposal, EpochKeys, GroupState, GroupStatus, PastEpoch};
use crate::{ApiMisuse, Error};

/// The version of the self-contained state format ([`Group::to_state_bytes`]).
pub const STATE_VERSION: u16 = 1;

/// The version of the split state format ([`Group::to_split_state`]) that this version writes.
/// Version 3 stores a past epoch's signature keys as the leaves where they differ from the
/// state's tree; version 2 (still read) listed every key.
pub const SPLIT_STATE_VERSION: u16 = 3;

/// The split format with every past epoch's signature keys listed (read, no longer written).
const SPLIT_STATE_VERSION_LISTED_KEYS: u16 = 2;

/// The version of the ratchets blob of the split format.
const RATCHETS_VERSION: u16 = 1;

/// The version of a pending commit's blob ([`Group::to_split_state_apart`]).
const PENDING_VERSION: u16 = 1;

/// How a state's ratchet tree is encoded: whole, or as its changes from a base tree.
#[derive(Clone, Copy)]
enum TreeForm<'a> {
    Whole,
    ChangesFrom(&'a RatchetTree),
}

/// How a state's past epochs' signature keys are encoded: listed (format 1 and split version
/// 2), or as the leaves where they differ from the state's own tree (split version 3 and
/// pending blobs).
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeysForm {
    Listed,
    Differing,
}

/// A past epoch's signature keys as [`KeysForm::Differing`] stores them.
#[derive(Encode, Decode)]
struct DifferingKeys {
    leaves: u32,
    differing: crate::state::DifferingLeaves,
}

impl DifferingKeys {
    fn of(keys: &crate::state::EpochSignatureKeys, tree: &RatchetTree) -> Self {
        let (leaves, differing) = keys.differing_from(tree);
        Self { leaves, differing }
    }

    fn against(self, tree: &RatchetTree) -> Result<crate::state::EpochSignatureKeys, Error> {
        Ok(crate::state::EpochSignatureKeys::from_differing(
            tree,
            self.leaves,
            self.differing,
        )?)
    }
}

/// A past epoch as [`KeysForm::Differing`] stores it, its secret tree only in a blob that
/// holds the secret trees.
#[derive(Encode)]
struct PastEpochDiffering<'a> {
    context: &'a GroupContext,
    sender_data_secret: &'a Secret,
    secret_tree: Option<&'a SecretTree>,
    signature_keys: DifferingKeys,
}

/// Decodes what [`PastEpochDiffering`] encodes.
#[derive(Decode)]
struct PastEpochDifferingOwned {
    context: GroupContext,
    sender_data_secret: Secret,
    secret_tree: Option<SecretTree>,
    signature_keys: DifferingKeys,
}

/// A group stored in two parts (format 2): rewrite `state` when the epoch, the tree, the
/// proposal cache or a pending commit changes, and only `ratchets` after an application message.
#[derive(Debug)]
pub struct SplitState {
    /// Everything but the secret trees.
    pub state: zeroize::Zeroizing<Vec<u8>>,
    /// The secret trees of the current epoch and of the retained past epochs.
    pub ratchets: zeroize::Zeroizing<Vec<u8>>,
}

/// The secret trees of a split state, taken out as `decode_state` needs them.
struct Ratchets {
    epoch: u64,
    current: Option<SecretTree>,
    past: Vec<(u64, SecretTree)>,
}

impl Ratchets {
    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let version = u16::decode(&mut r)?;
        if version != RATCHETS_VERSION {
            return Err(ApiMisuse::UnsupportedStateVersion(version).into());
        }
        let epoch = u64::decode(&mut r)?;
        let current = SecretTree::decode(&mut r)?;
        let past: Vec<(u64, SecretTree)> = Vec::decode(&mut r)?;
        r.finish()?;
        Ok(Self {
            epoch,
            current: Some(current),
            past,
        })
    }

    fn take_current(&mut self, epoch: u64) -> Result<SecretTree, Error> {
        if epoch != self.epoch {
            return Err(mismatch("the ratchets are of another epoch than the state"));
        }
        self.current
            .take()
            .ok_or(Error::Internal("the current secret tree is taken once"))
    }

    fn take_past(&mut self, epoch: u64) -> Result<SecretTree, Error> {
        let at = self
            .past
            .iter()
            .position(|(e, _)| *e == epoch)
            .ok_or_else(|| mismatch("a retained past epoch has no secret tree"))?;
        Ok(self.past.swap_remove(at).1)
    }
}

fn mismatch(reason: &'static str) -> Error {
    CodecError::InvalidValue {
        what: "stored ratchets",
        reason,
    }
    .into()
}

impl Group {
    /// The group's state as a versioned blob, for storage.
    ///
    /// # Errors
    /// An encoding failure.
    pub fn to_state_bytes(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, Error> {
        self.encode_blob(STATE_VERSION, true, true)
    }

    fn keys_form(version: u16) -> KeysForm {
        if version == SPLIT_STATE_VERSION {
            KeysForm::Differing
        } else {
            KeysForm::Listed
        }
    }

    /// The group's state in the split format: the state without its secret trees, and the
    /// secret trees apart (see the module docs).
    ///
    /// # Errors
    /// An encoding failure.
    pub fn to_split_state(&self) -> Result<SplitState, Error> {
        Ok(SplitState {
            state: self.encode_blob(SPLIT_STATE_VERSION, false, true)?,
            ratchets: self.ratchet_bytes()?,
        })
    }

    /// The split state with the pending commit apart (see the module docs): the state and the
    /// ratchets of [`Group::to_split_state`], the state without the pending commit, and the
    /// pending commit's own blob ([`Group::pending_commit_bytes`]).
    ///
    /// # Errors
    /// An encoding failure.
    #[allow(
        clippy::type_complexity,
        reason = "the split state and the pending blob"
    )]
    pub fn to_split_state_apart(
        &self,
    ) -> Result<(SplitState, Option<zeroize::Zeroizing<Vec<u8>>>), Error> {
        let split = SplitState {
            state: self.encode_blob(SPLIT_STATE_VERSION, false, false)?,
            ratchets: self.ratchet_bytes()?,
        };
        Ok((split, self.pending_commit_bytes()?))
    }

    /// The pending commit as a blob of its own, which describes the next epoch against the
    /// current one (its tree as the slots the commit changed); `None` without a pending commit.
    /// It is what creating a commit adds to a stored group, with [`Group::ratchet_bytes`] (a
    /// commit sent as a PrivateMessage consumes a handshake key).
    ///
    /// # Errors
    /// An encoding failure.
    pub fn pending_commit_bytes(&self) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, Error> {
        let Some(p) = self.pending_commit() else {
            return Ok(None);
        };
        let base = self.state();
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(
            state_capacity(&p.next, TreeForm::ChangesFrom(&base.tree))? + p.message.len(),
        ));
        PENDING_VERSION.encode(&mut out)?;
        base.context.epoch.encode(&mut out)?;
        encode_state(
            &p.next,
            true,
            (TreeForm::ChangesFrom(&base.tree), KeysForm::Differing),
            &mut out,
        )?;
        VarBytes::from(p.message.clone()).encode(&mut out)?;
        encode_summary(&p.summary, true, &mut out)?;
        // The next epoch's application export tree, at the end when there is one.
        if let Some(tree) = &p.next.keys.application_export {
            tree.encode(&mut out)?;
        }
        Ok(Some(out))
    }

    /// Only the ratchets part of [`Group::to_split_state`]: all that reading or sending an
    /// application message changes.
    ///
    /// # Errors
    /// An encoding failure.
    pub fn ratchet_bytes(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, Error> {
        let s = self.state();
        let past = s
            .past_epochs
            .iter()
            .map(|p| (p.context.epoch, &p.secret_tree));
        // Sized exactly, so that the buffer never grows: a grown buffer would leave a copy of
        // the keys behind, unzeroized.
        let len = RATCHETS_VERSION.encoded_len()
            + s.context.epoch.encoded_len()
            + s.keys.secret_tree.encoded_len()
            + cohort_codec::vector_iter_len(past.clone());
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(len));
        RATCHETS_VERSION.encode(&mut out)?;
        s.context.epoch.encode(&mut out)?;
        s.keys.secret_tree.encode(&mut out)?;
        cohort_codec::encode_vector_iter(past, &mut out)?;
        Ok(out)
    }

    fn encode_blob(
        &self,
        version: u16,
        with_ratchets: bool,
        with_pending: bool,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, Error> {
        let pending = self.pending_commit().filter(|_| with_pending);
        // Sized up front: a growing buffer would leave copies of the secrets at its start in the
        // memory it frees, unzeroized, and copy a large tree several times.
        let mut capacity = state_capacity(self.state(), TreeForm::Whole)?;
        if let Some(p) = pending {
            capacity += state_capacity(&p.next, TreeForm::Whole)? + p.message.len();
        }
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(capacity));
        version.encode(&mut out)?;
        let keys = Self::keys_form(version);
        encode_state(
            self.state(),
            with_ratchets,
            (TreeForm::Whole, keys),
            &mut out,
        )?;
        match pending {
            None => 0u8.encode(&mut out)?,
            Some(p) => {
                1u8.encode(&mut out)?;
                encode_state(&p.next, true, (TreeForm::Whole, keys), &mut out)?;
                VarBytes::from(p.message.clone()).encode(&mut out)?;
                encode_summary(&p.summary, version != STATE_VERSION, &mut out)?;
            }
        }
        // The private keys of our pending Update proposals, as a trailing section only when
        // there are some: blobs without them are as earlier versions wrote them.
        let update_keys: Vec<(VarBytes, &cohort_crypto::HpkePrivateKey)> = self
            .state()
            .proposals
            .iter()
            .filter_map(|c| {
                c.update_key
                    .as_ref()
                    .map(|k| (VarBytes::from(c.reference.clone()), k))
            })
            .collect();
        if !update_keys.is_empty() {
            1u8.encode(&mut out)?;
            cohort_codec::encode_vector(&update_keys, &mut out)?;
        }
        // SelfRemoves at an aliased type, as a second trailing section when there are some.
        let aliased = self
            .state()
            .proposals
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match &c.proposal {
                Proposal::SelfRemove(sr) if is_aliased_self_remove(&c.proposal) => {
                    Some(u32::try_from(i).map(|position| AliasedSelfRemove {
                        position,
                        code_point: sr.code_point,
                        reference: c.reference.clone().into(),
                        sender: c.sender,
                        sent: c.sent.clone().map(VarBytes::from),
                    }))
                }
                _ => None,
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Error::Internal("more cached proposals than a u32 counts"))?;
        if !aliased.is_empty() {
            2u8.encode(&mut out)?;
            aliased.encode(&mut out)?;
        }
        // The application export trees (draft-ietf-mls-extensions), of the state and of the
        // pending commit's next epoch, as the third and fourth sections.
        if let Some(tree) = &self.state().keys.application_export {
            3u8.encode(&mut out)?;
            tree.encode(&mut out)?;
        }
        if let Some(tree) = pending.and_then(|p| p.next.keys.application_export.as_ref()) {
            4u8.encode(&mut out)?;
            tree.encode(&mut out)?;
        }
        Ok(out)
    }

    /// Restores a group from [`Group::to_state_bytes`].
    ///
    /// # Errors
    /// [`Error::Malformed`] for a damaged blob, [`ApiMisuse::UnsupportedStateVersion`] for one
    /// written by a newer version, [`ApiMisuse::UnsupportedCipherSuite`] when the provider lacks
    /// the group's suite.
    pub fn from_state_bytes(provider: &dyn CryptoProvider, bytes: &[u8]) -> Result<Self, Error> {
        let version = u16::decode(&mut Reader::new(bytes))?;
        if version != STATE_VERSION {
            return Err(ApiMisuse::UnsupportedStateVersion(version).into());
        }
        Self::decode_blob(provider, bytes, None)
    }

    /// Restores a group from [`Group::to_split_state`], or from a format-1 blob
    /// ([`Group::to_state_bytes`]), for which `ratchets` is ignored.
    ///
    /// # Errors
    /// As [`Group::from_state_bytes`]; [`Error::Malformed`] when a format-2 state comes without
    /// its ratchets or with ratchets of another epoch.
    pub fn from_split_state(
        provider: &dyn CryptoProvider,
        state: &[u8],
        ratchets: Option<&[u8]>,
    ) -> Result<Self, Error> {
        match u16::decode(&mut Reader::new(state))? {
            STATE_VERSION => Self::decode_blob(provider, state, None),
            SPLIT_STATE_VERSION | SPLIT_STATE_VERSION_LISTED_KEYS => {
                let ratchets =
                    ratchets.ok_or_else(|| mismatch("a split state needs its ratchets"))?;
                Self::decode_blob(provider, state, Some(Ratchets::decode(ratchets)?))
            }
            version => Err(ApiMisuse::UnsupportedStateVersion(version).into()),
        }
    }

    /// Restores a group from [`Group::to_split_state_apart`]: the state, its ratchets and, when
    /// a commit was pending, its blob. A pending blob replaces a pending commit held in the
    /// state blob itself.
    ///
    /// # Errors
    /// As [`Group::from_split_state`]; [`Error::Malformed`] for a pending blob that is damaged
    /// or extends another epoch than the state's.
    pub fn from_split_state_with_pending(
        provider: &dyn CryptoProvider,
        state: &[u8],
        ratchets: Option<&[u8]>,
        pending: Option<&[u8]>,
    ) -> Result<Self, Error> {
        let mut group = Self::from_split_state(provider, state, ratchets)?;
        let Some(bytes) = pending else {
            return Ok(group);
        };
        let mut r = Reader::new(bytes);
        let version = u16::decode(&mut r)?;
        if version != PENDING_VERSION {
            return Err(ApiMisuse::UnsupportedStateVersion(version).into());
        }
        if u64::decode(&mut r)? != group.epoch() {
            return Err(mismatch("the pending commit extends another epoch"));
        }
        let next = decode_state(
            &mut r,
            None,
            (
                TreeForm::ChangesFrom(&group.state().tree),
                KeysForm::Differing,
            ),
        )?;
        let message = VarBytes::decode(&mut r)?.into_vec();
        let mut summary = decode_summary(&mut r, true)?;
        let mut next = next;
        if !r.is_empty() {
            next.keys.application_export = Some(Decode::decode(&mut r)?);
        }
        r.finish()?;
        // The summary's ReInit is not stored: it is the one the next state holds.
        summary.reinit = next.reinit.clone();
        group.set_pending(PendingCommit {
            next,
            message,
            summary,
        });
        Ok(group)
    }

    fn decode_blob(
        provider: &dyn CryptoProvider,
        bytes: &[u8],
        mut ratchets: Option<Ratchets>,
    ) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let version = u16::decode(&mut r)?;
        let keys = Self::keys_form(version);
        let state = decode_state(&mut r, ratchets.as_mut(), (TreeForm::Whole, keys))?;
        if ratchets.is_some_and(|left| !left.past.is_empty()) {
            return Err(mismatch("ratchets of epochs the state does not keep"));
        }
        let mut pending = match u8::decode(&mut r)? {
            0 => None,
            1 => {
                let next = decode_state(&mut r, None, (TreeForm::Whole, keys))?;
                let message = VarBytes::decode(&mut r)?.into_vec();
                let mut summary = decode_summary(&mut r, version != STATE_VERSION)?;
                // The summary's ReInit is not stored: it is the one the next state holds.
                summary.reinit = next.reinit.clone();
                Some(PendingCommit {
                    next,
                    message,
                    summary,
                })
            }
            tag => return Err(CodecError::OptionalTag(tag).into()),
        };
        let mut state = state;
        let mut last_section = 0;
        while !r.is_empty() {
            let section = u8::decode(&mut r)?;
            // Each optional section once, in order.
            if section <= last_section {
                return Err(CodecError::OptionalTag(section).into());
            }
            last_section = section;
            match section {
                2 => {
                    let aliased: Vec<AliasedSelfRemove> = Vec::decode(&mut r)?;
                    for a in aliased {
                        let at = usize::try_from(a.position)
                            .ok()
                            .filter(|at| *at <= state.proposals.len())
                            .ok_or(CodecError::InvalidValue {
                                what: "stored SelfRemove",
                                reason: "its place is past the cached proposals",
                            })?;
                        state.proposals.insert(
                            at,
                            CachedProposal {
                                reference: a.reference.into_vec(),
                                proposal: Proposal::SelfRemove(
                                    cohort_messages::proposal::SelfRemove {
                                        code_point: a.code_point,
                                    },
                                ),
                                sender: a.sender,
                                sent: a.sent.map(VarBytes::into_vec),
                                update_key: None,
                            },
                        );
                    }
                }
                1 => {
                    let keys: Vec<(VarBytes, cohort_crypto::HpkePrivateKey)> = Vec::decode(&mut r)?;
                    for (reference, key) in keys {
                        let cached = state
                            .proposals
                            .iter_mut()
                            .find(|c| c.reference == reference.as_slice())
                            .ok_or(CodecError::InvalidValue {
                                what: "stored Update key",
                                reason: "no cached proposal has its reference",
                            })?;
                        cached.update_key = Some(key);
                    }
                }
                3 => state.keys.application_export = Some(Decode::decode(&mut r)?),
                4 => {
                    let tree = Decode::decode(&mut r)?;
                    let p = pending.as_mut().ok_or(CodecError::InvalidValue {
                        what: "stored application export tree",
                        reason: "a pending commit's tree without a pending commit",
                    })?;
                    p.next.keys.application_export = Some(tree);
                }
                tag => return Err(CodecError::OptionalTag(tag).into()),
            }
        }
        r.finish()?;
        let cs = state.context.cipher_suite;
        let suite = provider
            .suite(cs)
            .ok_or(ApiMisuse::UnsupportedCipherSuite(cs.0))?;
        let mut group = Group::from_parts(Arc::clone(&suite), state);
        if let Some(p) = pending {
            group.set_pending(p);
        }
        Ok(group)
    }
}

/// Whether `p` is a SelfRemove at another type than draft-ietf-mls-extensions' own (mls-rs's
/// 0xF003, read with [`cohort_codec::DecodeOptions::self_remove_alias`]).
fn is_aliased_self_remove(p: &Proposal) -> bool {
    matches!(p, Proposal::SelfRemove(sr) if sr.code_point != ProposalType::SELF_REMOVE)
}

/// A cached SelfRemove at an aliased type, stored apart from the other cached proposals (whose
/// encoding would read it back as a custom proposal): its place among them, its type and the
/// rest of the cache entry.
#[derive(Encode, Decode)]
struct AliasedSelfRemove {
    position: u32,
    code_point: ProposalType,
    reference: VarBytes,
    sender: Sender,
    sent: Option<VarBytes>,
}

/// A cached proposal as stored.
#[derive(Encode, Decode)]
struct StoredProposal {
    reference: VarBytes,
    proposal: Proposal,
    sender: Sender,
    sent: Option<VarBytes>,
}

/// A past epoch without its secret tree, as the split format stores it.
#[derive(Encode)]
struct PastEpochRef<'a> {
    context: &'a GroupContext,
    sender_data_secret: &'a Secret,
    signature_keys: &'a crate::state::EpochSignatureKeys,
}

/// Decodes what [`PastEpochRef`] encodes.
#[derive(Decode)]
struct PastEpochOwned {
    context: GroupContext,
    sender_data_secret: Secret,
    signature_keys: Vec<Option<cohort_crypto::SignaturePublicKey>>,
}

/// A buffer size that holds the encoding of `s` in the usual case: its tree and its past
/// epochs' keys exactly, and room for the rest (the context, the secrets, a few proposals). A
/// state with more is still encoded whole, the buffer growing.
fn state_capacity(s: &GroupState, tree: TreeForm<'_>) -> Result<usize, Error> {
    // Past epochs stored with their keys listed (format 1) may grow the buffer: this is sized
    // for the keys of the split format, a few leaves each.
    let keys: usize = s
        .past_epochs
        .iter()
        .map(|p| p.context.encoded_len() + 1024)
        .sum();
    let proposals: usize = s
        .proposals
        .iter()
        .map(|c| c.sent.as_ref().map_or(512, Vec::len) + 256)
        .sum();
    let tree = match tree {
        TreeForm::Whole => s.tree.encoded_nodes_len()?,
        // A path of changed nodes, a few kilobytes in the usual case; more grows the buffer.
        TreeForm::ChangesFrom(_) => 8192,
    };
    Ok(tree + keys + proposals + s.context.encoded_len() + 4096)
}

/// Encodes `s`; without its secret trees (and those of its past epochs) unless `with_ratchets`.
fn encode_state(
    s: &GroupState,
    with_ratchets: bool,
    (tree, keys): (TreeForm<'_>, KeysForm),
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    s.context.encode(out)?;
    match tree {
        // The same bytes as `s.tree.to_nodes().encode(out)`, reusing unchanged chunks' encodings.
        TreeForm::Whole => s.tree.encode_nodes(out)?,
        TreeForm::ChangesFrom(base) => s.tree.changes_from(base).encode(out)?,
    }
    s.private.encode(out)?;
    VarBytes::from(s.interim_transcript_hash.clone()).encode(out)?;
    VarBytes::from(s.confirmation_tag.clone()).encode(out)?;
    let k = &s.keys;
    for secret in [
        &k.sender_data_secret,
        &k.exporter_secret,
        &k.external_secret,
        &k.confirmation_key,
        &k.membership_key,
        &k.resumption_psk,
        &k.epoch_authenticator,
    ] {
        secret.encode(out)?;
    }
    k.init_secret.encode(out)?;
    if with_ratchets {
        k.secret_tree.encode(out)?;
    }
    // A SelfRemove at another type than the draft's reads back only with an alias the decoder
    // cannot know: it is stored in a section of its own ([`AliasedSelfRemove`]).
    let proposals: Vec<StoredProposal> = s
        .proposals
        .iter()
        .filter(|c| !is_aliased_self_remove(&c.proposal))
        .map(|c| StoredProposal {
            reference: c.reference.clone().into(),
            proposal: c.proposal.clone(),
            sender: c.sender,
            sent: c.sent.clone().map(VarBytes::from),
        })
        .collect();
    proposals.encode(out)?;
    let past: Vec<(u64, &Secret)> = s
        .past_resumption_psks
        .iter()
        .map(|(e, p)| (*e, p))
        .collect();
    cohort_codec::encode_vector(&past, out)?;
    if keys == KeysForm::Differing {
        let past_epochs: Vec<PastEpochDiffering<'_>> = s
            .past_epochs
            .iter()
            .map(|p| PastEpochDiffering {
                context: &p.context,
                sender_data_secret: &p.sender_data_secret,
                secret_tree: with_ratchets.then_some(&p.secret_tree),
                signature_keys: DifferingKeys::of(&p.signature_keys, &s.tree),
            })
            .collect();
        cohort_codec::encode_vector(&past_epochs, out)?;
    } else if with_ratchets {
        let past_epochs: Vec<&PastEpoch> = s.past_epochs.iter().map(|p| &**p).collect();
        cohort_codec::encode_vector(&past_epochs, out)?;
    } else {
        let past_epochs: Vec<PastEpochRef<'_>> = s
            .past_epochs
            .iter()
            .map(|p| PastEpochRef {
                context: &p.context,
                sender_data_secret: &p.sender_data_secret,
                signature_keys: &p.signature_keys,
            })
            .collect();
        cohort_codec::encode_vector(&past_epochs, out)?;
    }
    let c = &s.config;
    c.ratchet.max_forward_distance.encode(out)?;
    c.ratchet.out_of_order_tolerance.encode(out)?;
    (c.max_resumption_epochs as u64).encode(out)?;
    (c.max_past_epochs as u64).encode(out)?;
    // One byte of flags (bit 0 the expiry check, as the `bool` of earlier blobs; bits 1-3 the
    // strict checks; bit 4 a separate bound for admitted leaves follows), then the maximum
    // total lifetime of new members (`u64::MAX` unbounded).
    let separate_admitted = c.lifetime.admitted != c.lifetime.new_members;
    let flags = u8::from(c.lifetime.check_expiry)
        | u8::from(c.strict.group_suite_in_capabilities) << 1
        | u8::from(c.strict.extension_placement) << 2
        | u8::from(c.strict.default_types_in_capabilities) << 3
        | u8::from(separate_admitted) << 4;
    flags.encode(out)?;
    c.lifetime.new_members.as_secs().encode(out)?;
    if separate_admitted {
        c.lifetime.admitted.as_secs().encode(out)?;
    }
    let status: u8 = match s.status {
        GroupStatus::Active => 1,
        GroupStatus::Removed => 2,
        GroupStatus::ReInitPending => 3,
    };
    status.encode(out)?;
    // Only a pending ReInit carries more: blobs of the other states are unchanged.
    if s.status == GroupStatus::ReInitPending {
        s.reinit
            .as_ref()
            .ok_or(Error::Internal("a pending ReInit without its proposal"))?
            .encode(out)?;
    }
    Ok(())
}

/// Decodes a state; its secret trees come from `ratchets` when given (format 2), else from `r`.
fn decode_state(
    r: &mut Reader<'_>,
    mut ratchets: Option<&mut Ratchets>,
    (tree, keys_form): (TreeForm<'_>, KeysForm),
) -> Result<GroupState, Error> {
    let context = GroupContext::decode(r)?;
    let tree = match tree {
        TreeForm::Whole => RatchetTree::from_nodes(RatchetTreeNodes::decode(r)?)?,
        TreeForm::ChangesFrom(base) => RatchetTree::with_changes(base, TreeChanges::decode(r)?)?,
    };
    let private = PrivateTree::decode(r)?;
    let interim_transcript_hash = VarBytes::decode(r)?.into_vec();
    let confirmation_tag = VarBytes::decode(r)?.into_vec();
    let mut secrets = Vec::with_capacity(7);
    for _ in 0..7 {
        secrets.push(Secret::decode(r)?);
    }
    let init_secret = InitSecret::decode(r)?;
    let secret_tree = match ratchets.as_deref_mut() {
        Some(ratchets) => ratchets.take_current(context.epoch)?,
        None => SecretTree::decode(r)?,
    };
    let mut it = secrets.into_iter();
    let mut next = || {
        it.next()
            .ok_or(Error::Internal("seven secrets were decoded"))
    };
    let keys = EpochKeys {
        sender_data_secret: next()?,
        exporter_secret: next()?,
        external_secret: next()?,
        confirmation_key: next()?,
        membership_key: next()?,
        resumption_psk: next()?,
        epoch_authenticator: next()?,
        init_secret,
        secret_tree,
        // Restored from a trailing section of the blob, where there is one.
        application_export: None,
    };
    let proposals: Vec<StoredProposal> = Vec::decode(r)?;
    let proposals = proposals
        .into_iter()
        .map(|p| CachedProposal {
            reference: p.reference.into_vec(),
            proposal: p.proposal,
            sender: p.sender,
            sent: p.sent.map(VarBytes::into_vec),
            update_key: None,
        })
        .collect();
    let past: Vec<(u64, Secret)> = Vec::decode(r)?;
    let past_epochs: Vec<PastEpoch> = match ratchets {
        _ if keys_form == KeysForm::Differing => {
            let stored: Vec<PastEpochDifferingOwned> = Vec::decode(r)?;
            let mut ratchets = ratchets;
            stored
                .into_iter()
                .map(|p| {
                    let secret_tree = match (p.secret_tree, ratchets.as_deref_mut()) {
                        (Some(tree), None) => tree,
                        (None, Some(ratchets)) => ratchets.take_past(p.context.epoch)?,
                        _ => {
                            return Err(mismatch(
                                "a past epoch's secret tree is stored twice or not at all",
                            ));
                        }
                    };
                    Ok(PastEpoch {
                        secret_tree,
                        signature_keys: p.signature_keys.against(&tree)?,
                        context: p.context,
                        sender_data_secret: p.sender_data_secret,
                    })
                })
                .collect::<Result<_, Error>>()?
        }
        None => Vec::decode(r)?,
        Some(ratchets) => {
            let stored: Vec<PastEpochOwned> = Vec::decode(r)?;
            stored
                .into_iter()
                .map(|p| {
                    Ok(PastEpoch {
                        secret_tree: ratchets.take_past(p.context.epoch)?,
                        context: p.context,
                        sender_data_secret: p.sender_data_secret,
                        signature_keys: crate::state::EpochSignatureKeys::from_keys(
                            p.signature_keys,
                        ),
                    })
                })
                .collect::<Result<_, Error>>()?
        }
    };
    let ratchet = RatchetConfig {
        max_forward_distance: u32::decode(r)?,
        out_of_order_tolerance: u32::decode(r)?,
    };
    let max_resumption_epochs =
        usize::try_from(u64::decode(r)?).map_err(|_| CodecError::InvalidValue {
            what: "GroupConfig",
            reason: "resumption bound too large",
        })?;
    let max_past_epochs =
        usize::try_from(u64::decode(r)?).map_err(|_| CodecError::InvalidValue {
            what: "GroupConfig",
            reason: "past-epoch bound too large",
        })?;
    let flags = u8::decode(r)?;
    if flags & !0x1f != 0 {
        return Err(CodecError::UnknownEnum {
            what: "GroupConfig flags",
            value: u64::from(flags),
        }
        .into());
    }
    let new_members = MaxLifetime::from_secs(u64::decode(r)?);
    let admitted = if flags & 0x10 != 0 {
        MaxLifetime::from_secs(u64::decode(r)?)
    } else {
        new_members
    };
    let lifetime = LifetimePolicy {
        new_members,
        admitted,
        check_expiry: flags & 1 != 0,
    };
    let strict = StrictChecks {
        group_suite_in_capabilities: flags & 0x02 != 0,
        extension_placement: flags & 0x04 != 0,
        default_types_in_capabilities: flags & 0x08 != 0,
    };
    let (status, reinit) = match u8::decode(r)? {
        1 => (GroupStatus::Active, None),
        2 => (GroupStatus::Removed, None),
        3 => (GroupStatus::ReInitPending, Some(ReInit::decode(r)?)),
        v => {
            return Err(CodecError::UnknownEnum {
                what: "GroupStatus",
                value: u64::from(v),
            }
            .into());
        }
    };
    let config = GroupConfig {
        ratchet,
        max_resumption_epochs,
        max_past_epochs,
        lifetime,
        strict,
        ..GroupConfig::default()
    };
    Ok(GroupState {
        context,
        tree,
        private,
        interim_transcript_hash,
        confirmation_tag,
        keys,
        proposals,
        past_resumption_psks: past.into_iter().collect(),
        past_epochs: past_epochs.into_iter().map(Arc::new).collect(),
        config,
        status,
        reinit,
    })
}

/// A pending commit's summary; its custom proposals only in format 2 (format 1 predates them,
/// so a format-1 blob keeps none).
fn encode_summary(s: &CommitSummary, with_custom: bool, out: &mut Vec<u8>) -> Result<(), Error> {
    s.added.encode(out)?;
    s.removed.encode(out)?;
    s.updated.encode(out)?;
    s.psks.encode(out)?;
    u8::from(s.extensions_changed).encode(out)?;
    u8::from(s.removes_us).encode(out)?;
    if with_custom {
        // The extensions' AppEphemerals and changed components share the custom list, under
        // their own proposal types (which never reach it as custom proposals, since they decode
        // as proposals of their own): blobs without them read as before.
        let mut custom: Vec<(ProposalType, VarBytes)> = s
            .custom
            .iter()
            .map(|(t, d)| (*t, VarBytes::from(d.clone())))
            .collect();
        for e in &s.app_ephemeral {
            custom.push((ProposalType::APP_EPHEMERAL, e.to_bytes()?.into()));
        }
        for c in &s.app_data_updated {
            custom.push((ProposalType::APP_DATA_UPDATE, c.to_bytes()?.into()));
        }
        custom.encode(out)?;
    }
    Ok(())
}

fn decode_summary(r: &mut Reader<'_>, with_custom: bool) -> Result<CommitSummary, Error> {
    let added: Vec<(LeafIndex, LeafNode)> = Vec::decode(r)?;
    let removed: Vec<LeafIndex> = Vec::decode(r)?;
    let updated: Vec<LeafIndex> = Vec::decode(r)?;
    let psks: Vec<PreSharedKeyId> = Vec::decode(r)?;
    let extensions_changed = u8::decode(r)? == 1;
    let removes_us = u8::decode(r)? == 1;
    let mut custom = Vec::new();
    let mut app_ephemeral = Vec::new();
    let mut app_data_updated = Vec::new();
    if with_custom {
        let stored: Vec<(ProposalType, VarBytes)> = Vec::decode(r)?;
        for (t, d) in stored {
            match t {
                ProposalType::APP_EPHEMERAL => {
                    app_ephemeral.push(cohort_messages::components::AppEphemeral::from_bytes(&d)?);
                }
                ProposalType::APP_DATA_UPDATE => {
                    app_data_updated.push(cohort_messages::components::ComponentId::from_bytes(&d)?)
                }
                _ => custom.push((t, d.into_vec())),
            }
        }
    }
    Ok(CommitSummary {
        added,
        removed,
        updated,
        psks,
        extensions_changed,
        removes_us,
        reinit: None,
        custom,
        app_ephemeral,
        app_data_updated,
    })
}

/// A checkpoint of the secret tree that one application-message step changes
/// ([`Group::ratchet_snapshot`]): to put back with [`Group::restore_ratchets`] when storing the
/// step fails, so that memory stays where the store is, or to release with
/// [`Group::keep_ratchets`] once it is stored.
///
/// It copies nothing: the tree keeps what the step replaces (moved out, not copied) until one
/// of those two calls.
///
/// # Security
/// Until released, the tree keeps the keys the step consumed: release it as soon as the step is
/// stored. They zeroize when released.
#[derive(Debug)]
#[must_use = "restore the ratchets or keep them: until then the consumed keys are kept"]
pub struct RatchetSnapshot {
    /// The group's epoch when the checkpoint was taken.
    epoch: u64,
    /// The epoch whose secret tree keeps what the step replaces, when the group holds it.
    tree: Option<u64>,
}

impl Group {
    /// Takes a checkpoint of the secret tree of `epoch` (the current epoch, or a retained past
    /// one for a late message), which is all that sending or reading an application message
    /// changes. An epoch the group does not hold gives a checkpoint of nothing (a message of it
    /// is rejected without change).
    pub fn ratchet_snapshot(&mut self, epoch: u64) -> RatchetSnapshot {
        let current = self.state().context.epoch;
        let tree = self.secret_tree_of(epoch).map(|t| {
            t.keep_undo();
            epoch
        });
        RatchetSnapshot {
            epoch: current,
            tree,
        }
    }

    /// Puts the secret tree of `snapshot` back where it was when the checkpoint was taken.
    ///
    /// # Errors
    /// [`ApiMisuse::StaleRatchetSnapshot`] when the group has changed epoch since (nothing
    /// changes then, but the tree stops keeping what its steps replace).
    pub fn restore_ratchets(&mut self, snapshot: RatchetSnapshot) -> Result<(), Error> {
        if snapshot.epoch != self.state().context.epoch {
            self.keep_ratchets(snapshot);
            return Err(ApiMisuse::StaleRatchetSnapshot.into());
        }
        if let Some(tree) = snapshot.tree.and_then(|e| self.secret_tree_of(e)) {
            tree.undo();
        }
        Ok(())
    }

    /// Releases the checkpoint: the step since is kept, and the keys it consumed are dropped.
    pub fn keep_ratchets(&mut self, snapshot: RatchetSnapshot) {
        if let Some(tree) = snapshot.tree.and_then(|e| self.secret_tree_of(e)) {
            tree.forget_undo();
        }
    }

    /// The secret tree of `epoch`: the current one or a retained past one.
    fn secret_tree_of(&mut self, epoch: u64) -> Option<&mut SecretTree> {
        let s = self.state_mut();
        if epoch == s.context.epoch {
            return Some(&mut s.keys.secret_tree);
        }
        s.past_epochs
            .iter_mut()
            .find(|p| p.context.epoch == epoch)
            .map(|p| &mut Arc::make_mut(p).secret_tree)
    }
}
