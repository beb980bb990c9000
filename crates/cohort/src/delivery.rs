//! Delivery as it happens: messages of future epochs held until their epoch arrives, commits
//! that race for one epoch, and the errors of messages that arrive too late, too early or twice.
//!
//! See `docs/delivery.md` for what cohort expects of a Delivery Service (RFC 9750) and the cost
//! of each window.

use std::collections::VecDeque;

use cohort_codec::Encode;
use cohort_crypto::SignaturePublicKey;
use cohort_group::{Group, StagedCommit, ValidationError};
use cohort_key_schedule::KeyScheduleError;
use cohort_messages::proposal::Proposal;
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::math::LeafIndex;

use crate::error::Error;

/// How a group handle copes with the network: the buffer of messages from future epochs, and
/// what happens when a commit of ours loses a race.
///
/// ```
/// use cohort::{DeliveryPolicy, LostCommitPolicy};
///
/// let policy = DeliveryPolicy::default()
///     .max_buffered(256)
///     .max_epochs_ahead(4)
///     .lost_commit(LostCommitPolicy::Report);
/// assert_eq!(policy.max_buffered, 256);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryPolicy {
    /// How many messages of future epochs one group handle holds (default 64). A message that
    /// does not fit is refused with [`DeliveryError::BufferFull`].
    pub max_buffered: usize,
    /// How many epochs ahead of the group a held message may be (default 16); one further
    /// ahead is refused with [`DeliveryError::TooFarInFuture`].
    pub max_epochs_ahead: u64,
    /// What to do with the proposals of a commit of ours that another member's commit
    /// replaced (default [`LostCommitPolicy::Repropose`]).
    pub lost_commit: LostCommitPolicy,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            max_buffered: 64,
            max_epochs_ahead: 16,
            lost_commit: LostCommitPolicy::Repropose,
        }
    }
}

impl DeliveryPolicy {
    /// Sets [`DeliveryPolicy::max_buffered`].
    pub fn max_buffered(mut self, messages: usize) -> Self {
        self.max_buffered = messages;
        self
    }

    /// Sets [`DeliveryPolicy::max_epochs_ahead`].
    pub fn max_epochs_ahead(mut self, epochs: u64) -> Self {
        self.max_epochs_ahead = epochs;
        self
    }

    /// Sets [`DeliveryPolicy::lost_commit`].
    pub fn lost_commit(mut self, policy: LostCommitPolicy) -> Self {
        self.lost_commit = policy;
        self
    }
}

/// What the facade does when another member's commit for an epoch is merged while a commit of
/// ours for the same epoch is pending (ours lost the race).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LostCommitPolicy {
    /// Drop our commit and propose again, in the new epoch, what it carried that still
    /// applies (adds of clients not yet in the group, removals of members still there, PSKs,
    /// extensions, custom proposals; an Update for a self-update); the proposals are in
    /// [`LostCommit::reproposed`], to send. Any member's next commit (ours with
    /// `commit_pending`) then covers them.
    Repropose,
    /// Drop our commit and only report it ([`Merged::lost_commit`]).
    Report,
}

/// Why a message that is not invalid cannot be processed (RFC 9420 §6, §9.2, §15). Nothing in
/// the group changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// Of an epoch older than the group keeps (`GroupConfig::max_past_epochs`), or a proposal
    /// or commit of a past epoch (those are never processed late).
    #[error("message of epoch {epoch} is too old (the group is at epoch {current})")]
    TooOld {
        /// The message's epoch.
        epoch: u64,
        /// The group's epoch.
        current: u64,
    },
    /// Of a future epoch further ahead than [`DeliveryPolicy::max_epochs_ahead`]: the member
    /// has missed commits; resync (`GroupOf::resync`) or have them delivered again.
    #[error("message of epoch {epoch} is too far ahead of epoch {current}")]
    TooFarInFuture {
        /// The message's epoch.
        epoch: u64,
        /// The group's epoch.
        current: u64,
    },
    /// Of a future epoch, but the buffer holds [`DeliveryPolicy::max_buffered`] messages.
    #[error("message of epoch {epoch} does not fit the buffer of future messages")]
    BufferFull {
        /// The message's epoch.
        epoch: u64,
    },
    /// Its key was used already: the message is a duplicate or a replay.
    #[error("generation {generation} of leaf {leaf} was already read")]
    AlreadySeen {
        /// The sender's leaf.
        leaf: u32,
        /// The message's generation.
        generation: u32,
    },
    /// Further behind its sender's ratchet than the out-of-order window
    /// (`RatchetConfig::out_of_order_tolerance`) keeps keys for.
    #[error("generation {generation} of leaf {leaf} is behind the out-of-order window")]
    OutsideWindow {
        /// The sender's leaf.
        leaf: u32,
        /// The message's generation.
        generation: u32,
    },
    /// Further ahead of its sender's ratchet than `RatchetConfig::max_forward_distance`.
    #[error("generation {generation} of leaf {leaf} is too far ahead")]
    TooFarAhead {
        /// The sender's leaf.
        leaf: u32,
        /// The message's generation.
        generation: u32,
    },
    /// From a leaf that holds no member in the message's epoch (a removed member, or a forged
    /// sender).
    #[error("message from a leaf that is not a member in its epoch")]
    FromNonMember,
}

/// Turns the group layer's errors that are about delivery (epochs, generations, senders) into
/// [`Error::Delivery`]; others pass unchanged.
pub(crate) fn classify(err: Error, current: u64) -> Error {
    use cohort_group::reason::SenderReason;
    let delivery = match &err {
        Error::Invalid(ValidationError::WrongEpoch { got, .. }) if *got < current => {
            DeliveryError::TooOld {
                epoch: *got,
                current,
            }
        }
        Error::Invalid(ValidationError::WrongEpoch { got, .. }) => DeliveryError::TooFarInFuture {
            epoch: *got,
            current,
        },
        Error::Invalid(ValidationError::SecretUnavailable(k)) => match k {
            KeyScheduleError::GenerationConsumed { leaf, generation } => {
                DeliveryError::AlreadySeen {
                    leaf: *leaf,
                    generation: *generation,
                }
            }
            KeyScheduleError::GenerationTooOld {
                leaf, generation, ..
            } => DeliveryError::OutsideWindow {
                leaf: *leaf,
                generation: *generation,
            },
            KeyScheduleError::GenerationTooFarAhead {
                leaf, generation, ..
            } => DeliveryError::TooFarAhead {
                leaf: *leaf,
                generation: *generation,
            },
            _ => return err,
        },
        Error::Invalid(ValidationError::InvalidSender(
            SenderReason::PrivateMessageFromBlankLeaf | SenderReason::MemberLeafBlankOrOutOfRange,
        )) => DeliveryError::FromNonMember,
        _ => return err,
    };
    Error::Delivery(delivery)
}

/// The epoch a PublicMessage or PrivateMessage for `group_id` is of, when it is after
/// `current`; `None` for every other message (which the group layer judges).
pub(crate) fn future_epoch(message: &MlsMessage, group_id: &[u8], current: u64) -> Option<u64> {
    let (id, epoch) = addressing(message)?;
    (id == group_id && epoch > current).then_some(epoch)
}

/// The group id and epoch a PublicMessage or PrivateMessage is addressed to (in the clear).
pub(crate) fn addressing(message: &MlsMessage) -> Option<(&[u8], u64)> {
    match &message.body {
        MlsMessageBody::PublicMessage(m) => Some((m.content.group_id.as_slice(), m.content.epoch)),
        MlsMessageBody::PrivateMessage(m) => Some((m.group_id.as_slice(), m.epoch)),
        _ => None,
    }
}

/// How many of our own recently sent handshake messages are kept to recognise their echoes.
const SENT_KEPT: usize = 16;

/// Messages of future epochs (and commits waiting for the proposals they reference), in the
/// order they arrived; and our own recent handshake messages, whose echoes are no news.
#[derive(Debug, Default)]
pub(crate) struct Held {
    messages: VecDeque<(u64, MlsMessage)>,
    sent: VecDeque<Vec<u8>>,
}

impl Held {
    /// Our own handshake messages recently sent, to recognise their echoes after the group
    /// moved on.
    pub(crate) fn remember_sent(&mut self, message: &MlsMessage) {
        if let Ok(bytes) = message.to_bytes() {
            if self.sent.len() == SENT_KEPT {
                self.sent.pop_front();
            }
            self.sent.push_back(bytes);
        }
    }

    /// Whether `message` is one of ours recently sent.
    pub(crate) fn is_echo(&self, message: &MlsMessage) -> bool {
        let len = message.encoded_len();
        self.sent
            .iter()
            .any(|sent| sent.len() == len && message.to_bytes().is_ok_and(|bytes| bytes == *sent))
    }

    /// Holds `message` of `epoch` if the policy allows.
    pub(crate) fn hold(
        &mut self,
        epoch: u64,
        message: MlsMessage,
        current: u64,
        policy: &DeliveryPolicy,
    ) -> Result<(), DeliveryError> {
        if epoch.saturating_sub(current) > policy.max_epochs_ahead {
            return Err(DeliveryError::TooFarInFuture { epoch, current });
        }
        if self.messages.len() >= policy.max_buffered {
            return Err(DeliveryError::BufferFull { epoch });
        }
        self.messages.push_back((epoch, message));
        Ok(())
    }

    /// Takes out the messages of `current` or earlier epochs, in arrival order.
    pub(crate) fn take_ready(&mut self, current: u64) -> Vec<MlsMessage> {
        let (ready, waiting): (VecDeque<_>, VecDeque<_>) =
            self.messages.drain(..).partition(|(e, _)| *e <= current);
        self.messages = waiting;
        ready.into_iter().map(|(_, m)| m).collect()
    }

    /// How many messages are held.
    pub(crate) fn len(&self) -> usize {
        self.messages.len()
    }
}

/// What merging a commit did beyond moving to its epoch.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Merged {
    /// A commit of ours that was pending for the same epoch and lost to the merged one.
    pub lost_commit: Option<LostCommit>,
}

/// A commit of ours that another member's commit replaced.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct LostCommit {
    /// The proposals it carried by value, as the facade made it (unknown after a reload).
    pub proposals: Vec<Proposal>,
    /// Whether it was a self-update (a commit with a path for our own keys).
    pub self_update: bool,
    /// What [`LostCommitPolicy::Repropose`] proposed again in the new epoch: send these.
    pub reproposed: Vec<MlsMessage>,
    /// The carried proposals that no longer apply (the client is in the group already, the
    /// removed member is gone), or that failed to be proposed again.
    pub dropped: Vec<Proposal>,
    /// Why proposing again failed, for those that did (a storage or crypto failure, or a
    /// proposal the new epoch refuses).
    pub failures: Vec<Error>,
}

/// Among commits that race for one epoch, the one every member chooses when no Delivery
/// Service orders them: the commit of the lowest committer leaf, members' commits before
/// external ones, and of equals the lowest confirmation tag ([`StagedCommit::confirmation_tag`],
/// the same bytes for every member). Every input to the rule is what every member sees alike.
/// Our own commit takes part as its echo (a `StagedCommit` for which [`StagedCommit::is_own`]
/// holds).
pub fn winning_commit<'a>(
    candidates: impl IntoIterator<Item = &'a StagedCommit>,
) -> Option<&'a StagedCommit> {
    candidates.into_iter().min_by(|a, b| {
        let rank = |s: &StagedCommit| s.committer().map_or(u64::MAX, |l| u64::from(l.0));
        rank(a)
            .cmp(&rank(b))
            .then_with(|| a.confirmation_tag().cmp(b.confirmation_tag()))
    })
}

/// What a commit of ours carried, kept until it is merged or lost.
#[derive(Debug, Clone, Default)]
pub(crate) struct Intent {
    pub(crate) proposals: Vec<Proposal>,
    pub(crate) self_update: bool,
    /// The signature key of each leaf a carried Remove named, when the commit was made.
    removed: Vec<(LeafIndex, SignaturePublicKey)>,
}

impl Intent {
    /// What a self-update carries.
    pub(crate) fn self_update() -> Self {
        Self {
            self_update: true,
            ..Self::default()
        }
    }

    /// What a commit of `proposals` made in `group` carries.
    pub(crate) fn carrying(group: &Group, proposals: Vec<Proposal>) -> Self {
        let removed = proposals
            .iter()
            .filter_map(|p| match p {
                Proposal::Remove(r) => group
                    .members()
                    .find(|(i, _)| *i == r.removed)
                    .map(|(i, l)| (i, l.signature_key.clone())),
                _ => None,
            })
            .collect();
        Self {
            proposals,
            self_update: false,
            removed,
        }
    }

    /// Whether `proposal` still makes sense in `group`'s new epoch: an Add of a client whose
    /// signature key no member has, a Remove of a leaf that still holds the member it named;
    /// anything else is left to the group's checks.
    pub(crate) fn still_applies(&self, proposal: &Proposal, group: &Group) -> bool {
        match proposal {
            Proposal::Add(add) => !group
                .members()
                .any(|(_, l)| l.signature_key == add.key_package.leaf_node.signature_key),
            Proposal::Remove(r) => {
                let then = self.removed.iter().find(|(i, _)| *i == r.removed);
                let now = group.members().find(|(i, _)| *i == r.removed);
                matches!((then, now), (Some((_, a)), Some((_, l))) if *a == l.signature_key)
            }
            _ => true,
        }
    }
}
