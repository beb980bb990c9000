//! The group: joining, processing messages, staged commits, and what a member can read.

use std::collections::VecDeque;
use std::sync::Arc;

use cohort_codec::Encode;
use cohort_crypto::{
    CryptoProvider, HpkePrivateKey, Secret, SignaturePublicKey, SuiteOps, labeled,
};
use cohort_key_schedule::interim_transcript_hash;
use cohort_messages::extensions::{ExtensionPayload, ExternalSenders};
use cohort_messages::framing::{AuthenticatedContent, Content, Sender};
use cohort_messages::group_context::GroupContext;
use cohort_messages::key_package::KeyPackage;
use cohort_messages::proposal::Proposal;
use cohort_messages::welcome::Welcome;
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::RatchetTree;
use cohort_tree::extension::{self as ext, ExtensionType};
use cohort_tree::leaf::{LeafNode, ProtocolVersion};
use cohort_tree::math::{self, LeafIndex};
use cohort_tree::node::RatchetTreeNodes;
use cohort_tree::treekem::PrivateTree;

use crate::commit::{CommitSummary, process_commit, validate_proposal};
use crate::config::GroupConfig;
use crate::framing::{unprotect_private, unprotect_public};
use crate::join::{verify_confirmation_tag, verify_group_info};
use crate::psk::ExternalPsks;
use crate::reason::{
    CommitReason, GroupInfoReason, InactiveReason, ProposalReason, SenderReason, WelcomeReason,
    WireFormatReason,
};
use crate::state::{CachedProposal, EpochKeys, GroupState, GroupStatus};

use crate::{ApiMisuse, Error, ValidationError};

/// The private keys that belong to one of our KeyPackages.
///
/// # Security
/// Zeroized on drop. Delete them once the KeyPackage is used (unless it is a last-resort one).
#[derive(Debug, Clone)]
pub struct KeyPackageSecrets {
    /// The private key of the KeyPackage's `init_key`.
    pub init_key: HpkePrivateKey,
    /// The private key of its leaf's `encryption_key`.
    pub encryption_key: HpkePrivateKey,
}

/// What processing a message produced.
#[derive(Debug)]
#[non_exhaustive]
pub enum Processed {
    /// Application data from a member.
    Application {
        /// The sender's leaf.
        sender: LeafIndex,
        /// The data.
        data: Vec<u8>,
        /// The message's authenticated data.
        authenticated_data: Vec<u8>,
    },
    /// A proposal, now cached for a later commit.
    Proposal {
        /// Who sent it.
        sender: Sender,
        /// The proposal.
        proposal: Box<Proposal>,
    },
    /// A commit, staged: merge it with [`Group::merge_staged`] or drop it.
    Commit(Box<StagedCommit>),
}

/// A received commit, fully validated, not yet applied.
#[derive(Debug)]
pub struct StagedCommit {
    next: GroupState,
    summary: CommitSummary,
    /// The epoch the group was in when the commit was staged: it merges only from there.
    from_epoch: u64,
    /// Whether it is our own pending commit, echoed back by the Delivery Service.
    own: bool,
    /// Who committed: a member's leaf, or `None` for an external commit.
    committer: Option<LeafIndex>,
}

impl StagedCommit {
    /// What the commit does.
    pub fn summary(&self) -> &CommitSummary {
        &self.summary
    }

    /// The epoch the group will be in after merging.
    pub fn epoch(&self) -> u64 {
        self.next.context.epoch
    }

    /// The epoch the commit was made in (and merges from).
    pub fn from_epoch(&self) -> u64 {
        self.from_epoch
    }

    /// Whether this is our own pending commit, echoed back by the Delivery Service
    /// (V-12.4.2-18). Merging it is merging our pending commit.
    pub fn is_own(&self) -> bool {
        self.own
    }

    /// The committer's leaf, `None` for an external commit (a new member's).
    pub fn committer(&self) -> Option<LeafIndex> {
        self.committer
    }

    /// The commit's confirmation tag (RFC 9420 §6.1): the same bytes for every member that
    /// processes it, and different for every commit. Members that must choose among commits
    /// racing for one epoch without a Delivery Service to order them can all choose the one
    /// with the lowest tag.
    pub fn confirmation_tag(&self) -> &[u8] {
        &self.next.confirmation_tag
    }
}

/// A member's view of an MLS group.
#[derive(Debug, Clone)]
pub struct Group {
    suite: Arc<dyn SuiteOps>,
    state: GroupState,
    /// A commit we created and have not merged or discarded.
    pending: Option<Box<crate::sender::PendingCommit>>,
}

/// What is needed to join from a Welcome.
#[derive(Debug)]
pub struct JoinInput<'a> {
    /// The Welcome.
    pub welcome: &'a Welcome,
    /// Our KeyPackage that the Welcome is addressed to.
    pub key_package: &'a KeyPackage,
    /// Its private keys.
    pub secrets: &'a KeyPackageSecrets,
    /// The ratchet tree, when it is not in the GroupInfo's `ratchet_tree` extension.
    pub ratchet_tree: Option<RatchetTreeNodes>,
    /// The current time in seconds since the Unix epoch, for lifetime checks; `None` skips
    /// them.
    pub now: Option<u64>,
}

impl Group {
    /// Joins a group from a Welcome (RFC 9420 §12.4.3.1).
    ///
    /// # Errors
    /// [`ValidationError`] naming the failed check: no matching entry, decryption failures, a bad
    /// GroupInfo signature or confirmation tag, an invalid tree, a missing PSK.
    pub fn join(
        provider: &dyn CryptoProvider,
        input: JoinInput<'_>,
        psks: &dyn ExternalPsks,
        config: GroupConfig,
    ) -> Result<Self, Error> {
        Self::join_inner(provider, input, psks, config, None)
    }

    /// Joins from a Welcome, with `old` the group it resumes (`old` may be none for an ordinary
    /// Welcome): see [`Group::join_resumed`].
    pub(crate) fn join_inner(
        provider: &dyn CryptoProvider,
        input: JoinInput<'_>,
        psks: &dyn ExternalPsks,
        config: GroupConfig,
        old: Option<&GroupState>,
    ) -> Result<Self, Error> {
        let kp = input.key_package;
        let crate::join::OpenedWelcome {
            suite,
            secrets,
            joiner,
            psk_secret,
            group_info,
            resumption,
        } = crate::join::open_welcome(provider, input.welcome, kp, input.secrets, psks, old)?;
        let s = &*suite;
        let context = group_info.group_context.clone();
        // No extension type twice, in the GroupInfo or its GroupContext (V-12.4.3-05, V-13.4-03).
        if ext::has_duplicates(&group_info.extensions) {
            return Err(ValidationError::DuplicateExtension.into());
        }
        // The GroupContext's extensions as a received GroupContextExtensions' (V-13.4-03,
        // V-13.4-06). The tree's leaves are checked for theirs with the rest of §7.3 below.
        crate::validate::check_extensions(
            &config,
            &context.extensions,
            crate::validate::Container::GroupContext,
        )?;
        // The tree: from the extension or supplied (V-12.4.3.3), checked before use.
        let nodes = match (
            ext::find(&group_info.extensions, ExtensionType::RATCHET_TREE),
            input.ratchet_tree,
        ) {
            (Some(e), _) => RatchetTreeNodes::from_extension(e)?,
            (None, Some(nodes)) => nodes,
            (None, None) => {
                return Err(ValidationError::InvalidWelcome(WelcomeReason::NoRatchetTree).into());
            }
        };
        let mut tree = RatchetTree::from_nodes(nodes)?;
        let now = if config.lifetime.check_expiry {
            input.now
        } else {
            None
        };
        // The tree's hash, the GroupInfo, the parent hashes and the structure (§12.4.3.1).
        let check_tree = |tree: &mut RatchetTree| -> Result<(), Error> {
            let tree_hash = tree.tree_hash(s)?;
            if tree_hash != context.tree_hash.as_slice() {
                return Err(
                    ValidationError::InvalidTree(cohort_tree::TreeError::TreeHashMismatch).into(),
                );
            }
            // The GroupInfo's signer (V-12.4.3.1-07).
            let signer = tree
                .leaf(group_info.signer)
                .ok_or(ValidationError::InvalidGroupInfo(
                    GroupInfoReason::SignerLeafBlank,
                ))?;
            verify_group_info(s, &group_info, &signer.signature_key)?;
            tree.verify_parent_hashes(s)?;
            tree.validate_structure()?;
            crate::validate::check_duplicate_identities(&config, tree)
        };
        // Then every leaf (signatures batch-checked over the cores). In a large tree the leaves
        // are validated on other threads while this one runs the checks above, on a copy of the
        // tree (its nodes are shared, so the copy is cheap); errors are still reported in the
        // order of the checks, the leaves' last.
        /// Below this many leaves the extra thread costs more than it saves.
        const CONCURRENT_FROM: u32 = 256;
        if tree.leaf_count() < CONCURRENT_FROM {
            check_tree(&mut tree)?;
            crate::validate::validate_tree_leaves(s, &tree, &context, now, &config)?;
        } else {
            let leaf_tree = tree.clone();
            let (checked, leaves) = crate::parallel::join(
                || check_tree(&mut tree),
                || crate::validate::validate_tree_leaves(s, &leaf_tree, &context, now, &config),
            )?;
            checked?;
            leaves?;
        }
        // Every member can use every other member's credential type (V-7.3-04/05).
        crate::validate::check_tree_credential_support(&tree)?;
        crate::validate::check_external_senders(
            &config,
            s.signature_scheme(),
            &context.extensions,
        )?;
        // A reinitialized or branched group matches the group it resumes (§11.2, §11.3).
        if let Some(old) = old {
            crate::resumption::check_resumed(old, resumption.as_ref(), &context, &tree)?;
        }
        // Our leaf (§12.4.3.1: identical to the KeyPackage's).
        let own_leaf = tree
            .leaves()
            .find(|(_, l)| *l == &kp.leaf_node)
            .map(|(i, _)| i)
            .ok_or(ValidationError::InvalidWelcome(
                WelcomeReason::OwnLeafMissing,
            ))?;
        // The leaf private key we were given belongs to our leaf (V-12.4.3.1-19).
        cohort_crypto::SoftwareHpkeKey::from_key_pair(
            suite.clone(),
            input.secrets.encryption_key.clone(),
            kp.leaf_node.encryption_key.clone(),
        )?;
        let mut private = PrivateTree::new(own_leaf, input.secrets.encryption_key.clone());
        if let Some(path_secret) = &secrets.path_secret {
            let ancestor = math::common_ancestor(own_leaf.node(), group_info.signer.node());
            let mut path = vec![ancestor];
            path.extend(
                math::direct_path(ancestor, tree.leaf_count())
                    .into_iter()
                    .filter(|x| !tree.is_blank(*x)),
            );
            let secret = Secret::new(path_secret.path_secret.as_slice().to_vec());
            private.derive_path_keys(s, &tree, &path, secret)?;
        }
        let epoch = verify_confirmation_tag(s, &group_info, joiner, psk_secret.as_bytes())?;
        let interim = interim_transcript_hash(
            s,
            &context.confirmed_transcript_hash,
            &group_info.confirmation_tag.0,
        )?;
        let keys = EpochKeys::new(epoch, tree.leaf_count(), &config);
        let state = GroupState {
            context,
            tree,
            private,
            interim_transcript_hash: interim,
            confirmation_tag: group_info.confirmation_tag.0.to_vec(),
            keys,
            proposals: Vec::new(),
            past_resumption_psks: VecDeque::new(),
            past_epochs: VecDeque::new(),
            config,
            status: GroupStatus::Active,
            reinit: None,
        };
        Ok(Self {
            suite,
            state,
            pending: None,
        })
    }

    /// A group of `state` on `suite`, with no pending commit (a light member's upgrade).
    pub(crate) fn from_state(suite: Arc<dyn SuiteOps>, state: GroupState) -> Self {
        Self {
            suite,
            state,
            pending: None,
        }
    }

    /// Processes a received MLSMessage: a proposal is cached, a commit is staged, application
    /// data is returned. A rejected message leaves the group exactly as it was.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the failed check, [`Error::Malformed`] for bad encodings.
    pub fn process_message(
        &mut self,
        message: MlsMessage,
        psks: &dyn ExternalPsks,
        now: Option<u64>,
    ) -> Result<Processed, Error> {
        if message.version != ProtocolVersion::MLS10 {
            return Err(ValidationError::UnsupportedVersion(message.version.0).into());
        }
        self.ensure_active()?;
        let now = if self.state.config.lifetime.check_expiry {
            now
        } else {
            None
        };
        // Our own commit, echoed back by the Delivery Service (V-12.4.2-18): we cannot process
        // it like a peer's (we cannot decrypt our own path), so it is matched to the pending
        // commit byte for byte and applied from local state.
        // The lengths are compared first, so that a message that cannot be the echo (every
        // application message, most handshakes) is not serialized again.
        let echoes = |sent: &[u8]| -> Result<bool, Error> {
            Ok(message.encoded_len() == sent.len() && message.to_bytes()? == sent)
        };
        if let Some(pending) = &self.pending {
            if echoes(&pending.message)? {
                let pending = self
                    .pending
                    .take()
                    .ok_or(Error::Internal("pending commit vanished"))?;
                return Ok(Processed::Commit(Box::new(StagedCommit {
                    next: pending.next,
                    summary: pending.summary,
                    from_epoch: self.state.context.epoch,
                    own: true,
                    committer: Some(self.state.private.own_leaf),
                })));
            }
        }
        // Our own proposal echoed back: it is cached already (a PrivateMessage of ours could
        // not be decrypted again, its key is gone).
        let mut own = None;
        for cached in &self.state.proposals {
            if let Some(sent) = cached.sent.as_deref() {
                if echoes(sent)? {
                    own = Some(cached);
                    break;
                }
            }
        }
        if let Some(own) = own {
            return Ok(Processed::Proposal {
                sender: own.sender,
                proposal: Box::new(own.proposal.clone()),
            });
        }
        let s = &*self.suite;
        match message.body {
            MlsMessageBody::PrivateMessage(m) => {
                if m.content_type == cohort_messages::framing::ContentType::Application
                    && m.epoch != self.state.context.epoch
                {
                    // A late message of a retained past epoch (V-15-01); never a future one.
                    let past = self
                        .state
                        .past_epochs
                        .iter_mut()
                        .find(|p| p.context.epoch == m.epoch)
                        .map(Arc::make_mut)
                        .ok_or(ValidationError::WrongEpoch {
                            got: m.epoch,
                            expected: self.state.context.epoch,
                        })?;
                    crate::components::check_safe_aad(&past.context, &m.authenticated_data)?;
                    let keys = &past.signature_keys;
                    let content = unprotect_private(
                        s,
                        &m,
                        &past.context,
                        &mut past.secret_tree,
                        past.sender_data_secret.as_bytes(),
                        |leaf| keys.get(leaf),
                    )?;
                    return application(content);
                }
                // The group's Safe AAD framing (X-AAD-01), before any key is used.
                crate::components::check_safe_aad(&self.state.context, &m.authenticated_data)?;
                if m.content_type == cohort_messages::framing::ContentType::Application {
                    let state = &mut self.state;
                    let tree = &state.tree;
                    let content = unprotect_private(
                        s,
                        &m,
                        &state.context,
                        &mut state.keys.secret_tree,
                        state.keys.sender_data_secret.as_bytes(),
                        |leaf| tree.leaf(leaf).map(|l| &l.signature_key),
                    )?;
                    return application(content);
                }
                let mut staged = self.state.clone();
                let content = {
                    let tree = &staged.tree;
                    unprotect_private(
                        s,
                        &m,
                        &staged.context,
                        &mut staged.keys.secret_tree,
                        staged.keys.sender_data_secret.as_bytes(),
                        |leaf| tree.leaf(leaf).map(|l| &l.signature_key),
                    )?
                };
                let out = self.handshake(&mut staged, content, psks, now)?;
                if !matches!(out, Processed::Commit(_)) {
                    self.state = staged;
                }
                Ok(out)
            }
            MlsMessageBody::PublicMessage(m) => {
                // Group and epoch first (RFC 9420 §6): the sender's leaf is looked up in this
                // epoch's tree, where a member of a past epoch may no longer be.
                crate::framing::check_addressing(
                    &m.content.group_id,
                    m.content.epoch,
                    &self.state.context,
                )?;
                crate::components::check_safe_aad(
                    &self.state.context,
                    &m.content.authenticated_data,
                )?;
                let key = self.sender_key(&m.content.sender, &m.content.content)?;
                let content = unprotect_public(
                    s,
                    m,
                    &self.state.context,
                    self.state.keys.membership_key.as_bytes(),
                    &key,
                )?;
                let mut staged = self.state.clone();
                let out = self.handshake(&mut staged, content, psks, now)?;
                if !matches!(out, Processed::Commit(_)) {
                    self.state = staged;
                }
                Ok(out)
            }
            _ => Err(
                ValidationError::UnexpectedWireFormat(WireFormatReason::NotFramedContent).into(),
            ),
        }
    }

    /// Handles verified handshake content on `staged` (a copy of the state).
    fn handshake(
        &self,
        staged: &mut GroupState,
        content: AuthenticatedContent,
        psks: &dyn ExternalPsks,
        now: Option<u64>,
    ) -> Result<Processed, Error> {
        let s = &*self.suite;
        match &content.content.content {
            Content::Application(_) => Err(ValidationError::UnexpectedWireFormat(
                WireFormatReason::ApplicationInHandshake,
            )
            .into()),
            Content::Proposal(proposal) => {
                if matches!(proposal, Proposal::ExternalInit(_)) {
                    return Err(ValidationError::InvalidProposal(
                        ProposalReason::ExternalInitOutsideExternalCommit,
                    )
                    .into());
                }
                // A SelfRemove is sent in the clear, so that external joiners can commit it
                // (draft-ietf-mls-extensions, X-SR-03).
                if matches!(proposal, Proposal::SelfRemove(_))
                    && content.wire_format != cohort_messages::message::WireFormat::PUBLIC_MESSAGE
                {
                    return Err(ValidationError::InvalidProposal(
                        ProposalReason::SelfRemoveNotPublic,
                    )
                    .into());
                }
                // Each proposal is checked on receipt too (V-12.1.1-01, V-10.1-05), and again in
                // the commit that uses it.
                validate_proposal(s, staged, content.content.sender, proposal, now)?;
                // The application authorizes what comes from outside the group (V-12.1.8-04).
                let sender = content.content.sender;
                if matches!(sender, Sender::External(_) | Sender::NewMemberProposal)
                    && !staged.config.external_proposal_policy.authorize(
                        sender,
                        proposal,
                        &staged.context,
                    )
                {
                    return Err(ValidationError::ExternalProposalRejected.into());
                }
                let reference = labeled::make_proposal_ref(s, &content.to_bytes()?)?;
                // A proposal already cached (our own, echoed as a PublicMessage) is kept once.
                if !staged
                    .proposals
                    .iter()
                    .any(|c| c.reference.as_slice() == reference.as_slice())
                {
                    staged.proposals.push(CachedProposal {
                        reference: reference.as_slice().to_vec(),
                        proposal: proposal.clone(),
                        sender: content.content.sender,
                        sent: None,
                        update_key: None,
                    });
                }
                Ok(Processed::Proposal {
                    sender: content.content.sender,
                    proposal: Box::new(proposal.clone()),
                })
            }
            Content::Commit(_) => {
                let (next, summary) = process_commit(s, staged, &content, psks, now)?;
                Ok(Processed::Commit(Box::new(StagedCommit {
                    next,
                    summary,
                    from_epoch: self.state.context.epoch,
                    own: false,
                    committer: match content.content.sender {
                        Sender::Member(leaf) => Some(leaf),
                        _ => None,
                    },
                })))
            }
        }
    }

    /// The key that verifies content from `sender` (RFC 9420 §6.1).
    fn sender_key(&self, sender: &Sender, content: &Content) -> Result<SignaturePublicKey, Error> {
        match sender {
            Sender::Member(leaf) => self
                .state
                .tree
                .leaf(*leaf)
                .map(|l| l.signature_key.clone())
                .ok_or(
                    ValidationError::InvalidSender(SenderReason::MemberLeafBlankOrOutOfRange)
                        .into(),
                ),
            Sender::External(index) => {
                // Only proposals of the types the registry marks "Ext", and nothing else
                // (V-6.1-03, V-12.1.8-02, V-17.4-01).
                let allowed = match content {
                    Content::Proposal(p) => p.proposal_type().entry().is_some_and(|e| e.external),
                    _ => false,
                };
                if !allowed {
                    return Err(ValidationError::InvalidSender(
                        SenderReason::ExternalSenderContent,
                    )
                    .into());
                }
                let e = ext::find(
                    &self.state.context.extensions,
                    ExtensionType::EXTERNAL_SENDERS,
                )
                .ok_or(ValidationError::InvalidSender(
                    SenderReason::NoExternalSenders,
                ))?;
                let senders = ExternalSenders::from_extension(e)?;
                senders
                    .0
                    .get(*index as usize)
                    .map(|s| s.signature_key.clone())
                    .ok_or(
                        ValidationError::InvalidSender(SenderReason::ExternalSenderOutOfRange)
                            .into(),
                    )
            }
            Sender::NewMemberProposal => match content {
                Content::Proposal(p) => match p {
                    Proposal::Add(add) => Ok(add.key_package.leaf_node.signature_key.clone()),
                    _ => Err(
                        ValidationError::InvalidSender(SenderReason::NewMemberProposalNotAdd)
                            .into(),
                    ),
                },
                _ => Err(ValidationError::InvalidSender(
                    SenderReason::NewMemberProposalNotProposal,
                )
                .into()),
            },
            Sender::NewMemberCommit => match content {
                Content::Commit(c) => c
                    .path
                    .as_ref()
                    .map(|p| p.leaf_node.signature_key.clone())
                    .ok_or(
                        ValidationError::InvalidCommit(CommitReason::NewMemberCommitWithoutPath)
                            .into(),
                    ),
                _ => Err(
                    ValidationError::InvalidSender(SenderReason::NewMemberCommitNotCommit).into(),
                ),
            },
        }
    }

    /// Applies a staged commit: the group moves to the next epoch. A pending commit of ours
    /// for the same epoch is discarded (another commit won).
    ///
    /// # Errors
    /// [`ApiMisuse::StagedCommitForAnotherGroup`] when `staged` was staged by another group;
    /// [`ApiMisuse::StaleStagedCommit`] when the group is no longer in the epoch `staged` was
    /// staged in. The group is unchanged then.
    pub fn merge_staged(&mut self, staged: StagedCommit) -> Result<(), Error> {
        if staged.next.context.group_id != self.state.context.group_id {
            return Err(ApiMisuse::StagedCommitForAnotherGroup.into());
        }
        if staged.from_epoch != self.state.context.epoch {
            return Err(ApiMisuse::StaleStagedCommit {
                staged: staged.from_epoch,
                current: self.state.context.epoch,
            }
            .into());
        }
        let mut next = staged.next;
        self.carry_into(&mut next);
        self.state = next;
        self.pending = None;
        Ok(())
    }

    /// Applies our pending commit, once the Delivery Service has accepted it.
    ///
    /// # Errors
    /// [`ApiMisuse::NoPendingCommit`] when there is none.
    pub fn merge_pending_commit(&mut self) -> Result<(), Error> {
        let pending = self.pending.take().ok_or(ApiMisuse::NoPendingCommit)?;
        let mut next = pending.next;
        self.carry_into(&mut next);
        self.state = next;
        Ok(())
    }

    /// Gives `next` what it must take from the group as it is now, not as it was when the
    /// commit was staged or created (or as a reload left it):
    ///
    /// - the secret trees of the epochs it keeps as past ones: messages read since consumed
    ///   keys in them (V-9.2-01), and the old copies would bring those keys back;
    /// - the application's policies (Authentication Service, external-proposal policy, custom
    ///   proposals, proposal policy, components), which are not stored: a pending commit reloaded from storage has defaults.
    fn carry_into(&self, next: &mut GroupState) {
        let current = &self.state;
        next.config.credential_validator = current.config.credential_validator.clone();
        next.config.external_proposal_policy = current.config.external_proposal_policy.clone();
        next.config.custom_proposals = current.config.custom_proposals.clone();
        next.config.proposal_policy = current.config.proposal_policy.clone();
        next.config.app_components = current.config.app_components.clone();
        for past in &mut next.past_epochs {
            if past.context.group_id != current.context.group_id {
                continue;
            }
            let epoch = past.context.epoch;
            let past = Arc::make_mut(past);
            if epoch == current.context.epoch {
                past.secret_tree = current.keys.secret_tree.clone();
            } else if let Some(kept) = current
                .past_epochs
                .iter()
                .find(|p| p.context.epoch == epoch)
            {
                past.secret_tree = kept.secret_tree.clone();
            }
        }
    }

    /// Drops our pending commit (the Delivery Service rejected it).
    pub fn clear_pending_commit(&mut self) {
        self.pending = None;
    }

    /// Whether a commit of ours is pending.
    pub fn has_pending_commit(&self) -> bool {
        self.pending.is_some()
    }

    pub(crate) fn from_parts(suite: Arc<dyn SuiteOps>, state: GroupState) -> Self {
        Self {
            suite,
            state,
            pending: None,
        }
    }

    pub(crate) fn suite_arc(&self) -> Arc<dyn SuiteOps> {
        self.suite.clone()
    }

    pub(crate) fn state(&self) -> &GroupState {
        &self.state
    }

    pub(crate) fn state_mut(&mut self) -> &mut GroupState {
        &mut self.state
    }

    pub(crate) fn pending_commit(&self) -> Option<&crate::sender::PendingCommit> {
        self.pending.as_deref()
    }

    /// The credential of the member at `leaf` in `epoch`: the current epoch or one of the
    /// retained past ones (for the sender of a late message, who may have left since). `None`
    /// for a blank leaf, an epoch not kept, or a past epoch read from a state stored by a
    /// version that kept only signature keys.
    pub fn credential_in_epoch(
        &self,
        epoch: u64,
        leaf: LeafIndex,
    ) -> Option<&cohort_credential::Credential> {
        if epoch == self.state.context.epoch {
            return self.state.tree.leaf(leaf).map(|l| &l.credential);
        }
        self.state
            .past_epochs
            .iter()
            .find(|p| p.context.epoch == epoch)
            .and_then(|p| p.signature_keys.credential(leaf))
    }

    /// The confirmation tag of our pending commit, as [`StagedCommit::confirmation_tag`] gives
    /// it for the commit's echo and for every member that processes it.
    pub fn pending_commit_confirmation_tag(&self) -> Option<&[u8]> {
        self.pending
            .as_deref()
            .map(|p| p.next.confirmation_tag.as_slice())
    }

    pub(crate) fn set_pending(&mut self, pending: crate::sender::PendingCommit) {
        self.pending = Some(Box::new(pending));
    }

    pub(crate) fn ensure_active(&self) -> Result<(), Error> {
        match self.state.status {
            GroupStatus::Active => Ok(()),
            GroupStatus::Removed => {
                Err(ValidationError::GroupInactive(InactiveReason::Removed).into())
            }
            // V-12.4.2-16: nothing more is sent or accepted after a ReInit.
            GroupStatus::ReInitPending => {
                Err(ValidationError::GroupInactive(InactiveReason::ReInitPending).into())
            }
        }
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.state.context.epoch
    }

    /// The group id.
    pub fn group_id(&self) -> &[u8] {
        &self.state.context.group_id
    }

    /// The group context of the current epoch.
    pub fn context(&self) -> &GroupContext {
        &self.state.context
    }

    /// Our leaf index.
    pub fn own_leaf(&self) -> LeafIndex {
        self.state.private.own_leaf
    }

    /// The epoch authenticator (RFC 9420 §8.7): equal for every member with the same view.
    pub fn epoch_authenticator(&self) -> &[u8] {
        self.state.keys.epoch_authenticator.as_bytes()
    }

    /// `MLS-Exporter(label, context, length)` of the current epoch (RFC 9420 §8.5).
    ///
    /// # Errors
    /// A length the KDF cannot produce.
    pub fn export_secret(
        &self,
        label: &[u8],
        context: &[u8],
        length: usize,
    ) -> Result<Secret, Error> {
        let s = &*self.suite;
        let derived = labeled::derive_secret(s, self.state.keys.exporter_secret.as_bytes(), label)?;
        let hash = s.hash(context)?;
        let length =
            u16::try_from(length).map_err(|_| Error::Internal("export length too long"))?;
        Ok(labeled::expand_with_label(
            s,
            derived.as_bytes(),
            b"exported",
            &hash,
            length,
        )?)
    }

    /// The group's external public key (RFC 9420 §8, `external_pub`), derived from this epoch's
    /// `external_secret`: publish it in a GroupInfo to let clients join by external commit.
    ///
    /// # Errors
    /// A crypto failure.
    pub fn external_public_key(&self) -> Result<cohort_crypto::HpkePublicKey, Error> {
        let (_, public) = self
            .suite
            .kem_derive(self.state.keys.external_secret.as_bytes())?;
        Ok(public)
    }

    /// The members: each non-blank leaf with its index.
    pub fn members(&self) -> impl Iterator<Item = (LeafIndex, &LeafNode)> {
        self.state.tree.leaves()
    }

    /// The group's configuration (its policies and windows).
    pub fn config(&self) -> &GroupConfig {
        &self.state.config
    }

    /// Sets the lifetime policy (RFC 9420 §7.2, §7.3) applied from now on. It is stored with the
    /// group; an application that changes its policy applies the new one to loaded groups here.
    pub fn set_lifetime_policy(&mut self, policy: crate::LifetimePolicy) {
        self.state.config.lifetime = policy;
    }

    /// Sets the optional strict checks applied from now on (stored with the group, like
    /// [`Group::set_lifetime_policy`]).
    pub fn set_strict_checks(&mut self, strict: crate::StrictChecks) {
        self.state.config.strict = strict;
    }

    /// Sets the Authentication Service consulted for every credential from now on (it is not
    /// part of the stored state: set it again after [`Group::from_state_bytes`]).
    pub fn set_credential_validator(
        &mut self,
        validator: Arc<dyn cohort_credential::CredentialValidator>,
    ) {
        self.state.config.credential_validator = validator;
    }

    /// Sets the policy on proposals from outside the group (RFC 9420 §12.1.8) from now on (it
    /// is not part of the stored state: set it again after [`Group::from_state_bytes`]).
    pub fn set_external_proposal_policy(
        &mut self,
        policy: Arc<dyn crate::config::ExternalProposalPolicy>,
    ) {
        self.state.config.external_proposal_policy = policy;
    }

    /// Sets the application's components ([`AppComponents`](crate::AppComponents)), which decide
    /// on AppDataUpdate and AppEphemeral proposals (not persisted: set it again after loading a
    /// group).
    pub fn set_app_components(&mut self, components: Arc<dyn crate::config::AppComponents>) {
        self.state.config.app_components = components;
    }

    /// Sets the application's custom proposal types ([`CustomProposals`](crate::CustomProposals))
    /// from now on (not part of the stored state: set it again after loading a group).
    pub fn set_custom_proposals(&mut self, custom: Arc<dyn crate::config::CustomProposals>) {
        self.state.config.custom_proposals = custom;
    }

    /// Sets the application's rules on members' proposals and resync
    /// ([`ProposalPolicy`](crate::ProposalPolicy)) from now on (not part of the stored state:
    /// set it again after loading a group).
    pub fn set_proposal_policy(&mut self, policy: Arc<dyn crate::config::ProposalPolicy>) {
        self.state.config.proposal_policy = policy;
    }

    /// Whether we can still use the group.
    pub fn status(&self) -> GroupStatus {
        self.state.status
    }

    /// The ratchet tree.
    pub fn tree(&self) -> &RatchetTree {
        &self.state.tree
    }
}

fn application(content: AuthenticatedContent) -> Result<Processed, Error> {
    let Sender::Member(sender) = content.content.sender else {
        return Err(ValidationError::InvalidSender(SenderReason::ApplicationFromNonMember).into());
    };
    match content.content.content {
        Content::Application(data) => Ok(Processed::Application {
            sender,
            data: data.into_vec(),
            authenticated_data: content.content.authenticated_data.into_vec(),
        }),
        _ => {
            Err(ValidationError::UnexpectedWireFormat(WireFormatReason::ContentTypeMismatch).into())
        }
    }
}
