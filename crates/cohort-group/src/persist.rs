//! The group's persisted state: a versioned blob holding everything a member needs to carry on
//! after a restart, secrets included.
//!
//! ```text
//! u16 version (= 1) | GroupState | optional<pending commit: GroupState, message, summary>
//! ```
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
use cohort_tree::leaf::LeafNode;
use cohort_tree::math::LeafIndex;
use cohort_tree::node::RatchetTreeNodes;
use cohort_tree::treekem::PrivateTree;

use crate::commit::CommitSummary;
use crate::config::GroupConfig;
use crate::group::Group;
use crate::sender::PendingCommit;
use crate::state::{CachedProposal, EpochKeys, GroupState, GroupStatus, PastEpoch};
use crate::{ApiMisuse, Error, ValidationError};

/// The version of the persisted format this build writes and reads.
pub const STATE_VERSION: u16 = 1;

impl Group {
    /// The group's state as a versioned blob, for storage.
    ///
    /// # Errors
    /// An encoding failure.
    pub fn to_state_bytes(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, Error> {
        let mut out = zeroize::Zeroizing::new(Vec::new());
        STATE_VERSION.encode(&mut out)?;
        encode_state(self.state(), &mut out)?;
        match self.pending_commit() {
            None => 0u8.encode(&mut out)?,
            Some(p) => {
                1u8.encode(&mut out)?;
                encode_state(&p.next, &mut out)?;
                VarBytes::from(p.message.clone()).encode(&mut out)?;
                encode_summary(&p.summary, &mut out)?;
            }
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
        let mut r = Reader::new(bytes);
        let version = u16::decode(&mut r)?;
        if version != STATE_VERSION {
            return Err(ApiMisuse::UnsupportedStateVersion(version).into());
        }
        let state = decode_state(&mut r)?;
        let pending = match u8::decode(&mut r)? {
            0 => None,
            1 => {
                let next = decode_state(&mut r)?;
                let message = VarBytes::decode(&mut r)?.into_vec();
                let mut summary = decode_summary(&mut r)?;
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

/// A cached proposal as stored.
#[derive(Encode, Decode)]
struct StoredProposal {
    reference: VarBytes,
    proposal: Proposal,
    sender: Sender,
    sent: Option<VarBytes>,
}

fn encode_state(s: &GroupState, out: &mut Vec<u8>) -> Result<(), Error> {
    s.context.encode(out)?;
    s.tree.to_nodes().encode(out)?;
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
    k.secret_tree.encode(out)?;
    let proposals: Vec<StoredProposal> = s
        .proposals
        .iter()
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
    let past_epochs: Vec<&PastEpoch> = s.past_epochs.iter().collect();
    cohort_codec::encode_vector(&past_epochs, out)?;
    let c = &s.config;
    c.ratchet.max_forward_distance.encode(out)?;
    c.ratchet.out_of_order_tolerance.encode(out)?;
    (c.max_resumption_epochs as u64).encode(out)?;
    (c.max_past_epochs as u64).encode(out)?;
    u8::from(c.enforce_lifetimes).encode(out)?;
    c.max_lifetime_secs.encode(out)?;
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

fn decode_state(r: &mut Reader<'_>) -> Result<GroupState, Error> {
    let context = GroupContext::decode(r)?;
    let tree =
        RatchetTree::from_nodes(RatchetTreeNodes::decode(r)?).map_err(ValidationError::from)?;
    let private = PrivateTree::decode(r)?;
    let interim_transcript_hash = VarBytes::decode(r)?.into_vec();
    let confirmation_tag = VarBytes::decode(r)?.into_vec();
    let mut secrets = Vec::with_capacity(7);
    for _ in 0..7 {
        secrets.push(Secret::decode(r)?);
    }
    let init_secret = InitSecret::decode(r)?;
    let secret_tree = SecretTree::decode(r)?;
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
    };
    let proposals: Vec<StoredProposal> = Vec::decode(r)?;
    let proposals = proposals
        .into_iter()
        .map(|p| CachedProposal {
            reference: p.reference.into_vec(),
            proposal: p.proposal,
            sender: p.sender,
            sent: p.sent.map(VarBytes::into_vec),
        })
        .collect();
    let past: Vec<(u64, Secret)> = Vec::decode(r)?;
    let past_epochs: Vec<PastEpoch> = Vec::decode(r)?;
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
    let enforce_lifetimes = match u8::decode(r)? {
        0 => false,
        1 => true,
        v => {
            return Err(CodecError::UnknownEnum {
                what: "bool",
                value: u64::from(v),
            }
            .into());
        }
    };
    let max_lifetime_secs = u64::decode(r)?;
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
        enforce_lifetimes,
        max_lifetime_secs,
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
        past_epochs: past_epochs.into_iter().collect(),
        config,
        status,
        reinit,
    })
}

fn encode_summary(s: &CommitSummary, out: &mut Vec<u8>) -> Result<(), Error> {
    s.added.encode(out)?;
    s.removed.encode(out)?;
    s.updated.encode(out)?;
    s.psks.encode(out)?;
    u8::from(s.extensions_changed).encode(out)?;
    u8::from(s.removes_us).encode(out)?;
    Ok(())
}

fn decode_summary(r: &mut Reader<'_>) -> Result<CommitSummary, Error> {
    let added: Vec<(LeafIndex, LeafNode)> = Vec::decode(r)?;
    let removed: Vec<LeafIndex> = Vec::decode(r)?;
    let updated: Vec<LeafIndex> = Vec::decode(r)?;
    let psks: Vec<PreSharedKeyId> = Vec::decode(r)?;
    let extensions_changed = u8::decode(r)? == 1;
    let removes_us = u8::decode(r)? == 1;
    Ok(CommitSummary {
        added,
        removed,
        updated,
        psks,
        extensions_changed,
        removes_us,
        reinit: None,
    })
}
