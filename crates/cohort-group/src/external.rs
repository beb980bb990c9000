//! External commits (RFC 9420 §12.4.3.2): a client joins (or re-joins) a group by itself from a
//! GroupInfo with `external_pub`, and members process such a commit.
//!
//! ```text
//! joiner: (kem_output, init_secret) = SetupBaseS(external_pub, "").export("MLS 1.0 external init secret", Nh)
//!         commit = [ExternalInit{kem_output}, (Remove old leaf)] + path from the leftmost free leaf
//! member: init_secret = SetupBaseR(kem_output, external_priv, "").export(...), then as any commit
//! ```

use std::collections::VecDeque;
use std::sync::Arc;

use cohort_codec::{Encode, VarBytes};
use cohort_crypto::{
    CipherSuite, CryptoError, CryptoProvider, Decapsulator, HpkePrivateKey, HpkePublicKey, Secret,
    Signer, SuiteOps, labeled,
};
use cohort_key_schedule::{InitSecret, SecretTree, confirmation_tag, interim_transcript_hash};
use cohort_messages::extensions::{ExtensionPayload, ExternalPub};
use cohort_messages::framing::{
    AuthenticatedContent, Content, FramedContent, FramedContentAuthData, Mac, Sender,
};
use cohort_messages::group_context::GroupContext;
use cohort_messages::group_info::GroupInfo;
use cohort_messages::message::WireFormat;
use cohort_messages::proposal::{
    Commit, ExternalInit, PreSharedKey, Proposal, ProposalOrRef, Remove,
};
use cohort_messages::psk::Psk;
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::RatchetTree;
use cohort_tree::extension::{self as ext, ExtensionType};
use cohort_tree::leaf::{LeafNode, LeafNodeSource, ProtocolVersion};
use cohort_tree::math::LeafIndex;
use cohort_tree::node::RatchetTreeNodes;
use cohort_tree::treekem::{
    PrivateTree, decrypt_update_path, encrypt_update_path, merge_update_path, plan_update_path,
};

use crate::commit::{CommitSummary, next_epoch, next_state};
use crate::config::GroupConfig;
use crate::framing::{seal_public, sign_content};
use crate::group::Group;
use crate::psk::ExternalPsks;
use crate::reason::{
    CommitReason, EncryptedObject, GroupInfoReason, LeafNodeReason, MissingPskReason, PolicyReason,
    ProposalListReason, ProposalReason, SenderReason, WireFormatReason,
};
use crate::sender::LeafSpec;
use crate::state::{EpochKeys, GroupState, GroupStatus};
use crate::validate::{LeafContext, validate_leaf};
use crate::{ApiMisuse, Error, ValidationError};

/// The label of the HPKE export that yields the external init secret (RFC 9420 §8.3).
const EXTERNAL_INIT_LABEL: &[u8] = b"MLS 1.0 external init secret";

/// What an external join produces: the group (already in the new epoch) and the commit to send.
#[derive(Debug)]
#[non_exhaustive]
pub struct ExternalJoin {
    /// Our view of the group after our commit.
    pub group: Group,
    /// The external commit, a PublicMessage to send to the group.
    pub commit: MlsMessage,
}

impl Group {
    /// Joins the group of `group_info` by an external commit (RFC 9420 §12.4.3.2). With
    /// `resync`, the commit also removes our old leaf (a member re-joining after losing state).
    ///
    /// The returned group is in the new epoch; send the commit, and if the Delivery Service
    /// rejects it, drop the group. To inject PSKs in the commit, use
    /// [`Group::join_by_external_commit_with_psks`].
    ///
    /// # Errors
    /// [`ValidationError::InvalidGroupInfo`] without `external_pub` (V-12.4.3.2-01); the checks of
    /// a Welcome join on the GroupInfo and tree (V-12.4.3.2-02); a crypto failure.
    #[allow(
        clippy::too_many_arguments,
        reason = "the joiner's inputs of RFC 9420 §12.4.3.2"
    )]
    pub fn join_by_external_commit(
        provider: &dyn CryptoProvider,
        signer: &dyn Signer,
        spec: &LeafSpec,
        group_info: &GroupInfo,
        ratchet_tree: Option<RatchetTreeNodes>,
        resync: Option<LeafIndex>,
        config: GroupConfig,
        now: Option<u64>,
    ) -> Result<ExternalJoin, Error> {
        Self::join_by_external_commit_with_psks(
            provider,
            signer,
            spec,
            group_info,
            ratchet_tree,
            resync,
            &[],
            &crate::NoPsks,
            config,
            now,
        )
    }

    /// [`Group::join_by_external_commit`] with one PreSharedKey proposal (RFC 9420 §12.1.4) for
    /// each of the external PSKs `psk_ids`, by value, after the ExternalInit (and Remove): an
    /// external commit may hold "zero or more PreSharedKey proposals" (§12.2). Each proposal
    /// gets a fresh nonce of the group's KDF length (§8.4); the PSKs are injected in the order
    /// of `psk_ids`, and `psks` supplies their values. The members need the same PSKs to
    /// process the commit.
    ///
    /// Only external PSKs can be named: a joiner holds no resumption secret of the group, and
    /// reinit and branch PSKs belong to §11's Welcomes.
    ///
    /// # Errors
    /// As [`Group::join_by_external_commit`]; [`ValidationError::MissingPsk`] when `psks` lacks
    /// one of the PSKs.
    #[allow(
        clippy::too_many_arguments,
        reason = "the joiner's inputs of RFC 9420 §12.4.3.2"
    )]
    pub fn join_by_external_commit_with_psks(
        provider: &dyn CryptoProvider,
        signer: &dyn Signer,
        spec: &LeafSpec,
        group_info: &GroupInfo,
        ratchet_tree: Option<RatchetTreeNodes>,
        resync: Option<LeafIndex>,
        psk_ids: &[&[u8]],
        psks: &dyn ExternalPsks,
        config: GroupConfig,
        now: Option<u64>,
    ) -> Result<ExternalJoin, Error> {
        let options = ExternalJoinOptions {
            resync,
            psk_ids,
            self_removes: &[],
            app_proposals: &[],
        };
        Self::join_by_external_commit_with(
            provider,
            signer,
            spec,
            group_info,
            ratchet_tree,
            &options,
            psks,
            config,
            now,
        )
    }

    /// [`Group::join_by_external_commit`] with every choice of [`ExternalJoinOptions`]: a
    /// resync, external PSKs, and the group's pending SelfRemove proposals
    /// (draft-ietf-mls-extensions), which the commit covers by reference.
    ///
    /// # Errors
    /// As [`Group::join_by_external_commit_with_psks`]; for a SelfRemove that is not a valid
    /// PublicMessage SelfRemove of a member of this GroupInfo's epoch, the error a member would
    /// give it (its membership tag is not checked: a joiner holds no membership key).
    #[allow(
        clippy::too_many_arguments,
        reason = "the joiner's inputs of RFC 9420 §12.4.3.2"
    )]
    pub fn join_by_external_commit_with(
        provider: &dyn CryptoProvider,
        signer: &dyn Signer,
        spec: &LeafSpec,
        group_info: &GroupInfo,
        ratchet_tree: Option<RatchetTreeNodes>,
        options: &ExternalJoinOptions<'_>,
        psks: &dyn ExternalPsks,
        config: GroupConfig,
        now: Option<u64>,
    ) -> Result<ExternalJoin, Error> {
        let ExternalJoinOptions {
            resync,
            psk_ids,
            self_removes,
            app_proposals,
        } = *options;
        let context = group_info.group_context.clone();
        // The group's version must be one we run (V-12.4.3-06), as at a Welcome.
        if context.version != ProtocolVersion::MLS10 {
            return Err(ValidationError::UnsupportedVersion(context.version.0).into());
        }
        let cs = context.cipher_suite;
        let suite = provider
            .suite(cs)
            .ok_or(ApiMisuse::UnsupportedCipherSuite(cs.0))?;
        let s = &*suite;
        let external_pub = ext::find(&group_info.extensions, ExtensionType::EXTERNAL_PUB)
            .ok_or(ValidationError::InvalidGroupInfo(
                GroupInfoReason::NoExternalPub,
            ))
            .and_then(|e| {
                ExternalPub::from_extension(e)
                    .map_err(|_| ValidationError::InvalidGroupInfo(GroupInfoReason::BadExternalPub))
            })?
            .external_pub;
        // Every PSK must be known before anything is derived (V-8.4-01).
        if psk_ids.iter().any(|id| psks.external_psk(id).is_none()) {
            return Err(ValidationError::MissingPsk(MissingPskReason::UnknownExternal).into());
        }
        let mut tree = verified_tree(s, group_info, ratchet_tree, &config, now)?;
        let nh = s.hash_len();
        // The group's `external_pub` is the GroupInfo signer's data: a key the KEM refuses is
        // the GroupInfo's fault, a failure of our provider ours.
        let (kem_output, init_secret) = s
            .hpke_export_sender(&external_pub, &[], EXTERNAL_INIT_LABEL, nh)
            .map_err(|e| {
                Error::on_peer_data(
                    e,
                    ValidationError::InvalidGroupInfo(GroupInfoReason::BadExternalPub),
                )
            })?;

        let mut proposals = vec![ProposalOrRef::Proposal(Proposal::ExternalInit(
            ExternalInit {
                kem_output: kem_output.into(),
            },
        ))];
        // The pending SelfRemoves, by reference, their senders' leaves removed first (they come
        // before a Remove, X-SR-06).
        let mut self_removed = Vec::with_capacity(self_removes.len());
        for message in self_removes {
            let (leaf, reference) = verified_self_remove(s, &tree, &context, message)?;
            if self_removed.contains(&leaf) || resync == Some(leaf) {
                return Err(ValidationError::InvalidProposalList(
                    ProposalListReason::DuplicateUpdateOrRemove,
                )
                .into());
            }
            self_removed.push(leaf);
            proposals.push(ProposalOrRef::Reference(reference));
        }
        for leaf in &self_removed {
            tree.remove_leaf(*leaf)?;
        }
        if let Some(old) = resync {
            tree.remove_leaf(old)?;
            proposals.push(ProposalOrRef::Proposal(Proposal::Remove(Remove {
                removed: old,
            })));
        }
        // The PSKs, by value, each with a fresh nonce of length Nh (V-12.1.4-03).
        let mut psk_list = Vec::with_capacity(psk_ids.len());
        for id in psk_ids {
            let psk = crate::psk::fresh_psk_id(
                s,
                Psk::External {
                    psk_id: id.to_vec().into(),
                },
            )?;
            proposals.push(ProposalOrRef::Proposal(Proposal::PreSharedKey(
                PreSharedKey { psk: psk.clone() },
            )));
            psk_list.push(psk);
        }
        // AppDataUpdates and AppEphemerals by value (X-AD-09), checked as members will check
        // them, against the group as the GroupInfo gives it.
        let mut app_check = base_state(
            context.clone(),
            Vec::new(),
            InitSecret::new(Secret::new(Vec::new())),
            config.clone(),
        );
        if !app_proposals.is_empty() {
            // The members' capabilities are checked; a join without these proposals does not
            // pay for a copy of the tree.
            app_check.tree = tree.clone();
        }
        let mut app_resolved = Vec::with_capacity(app_proposals.len());
        let mut app_ops = crate::commit::AppDataOps::new();
        for p in app_proposals {
            if !matches!(p, Proposal::AppDataUpdate(_) | Proposal::AppEphemeral(_)) {
                return Err(ApiMisuse::UnsupportedProposal.into());
            }
            let r = crate::commit::Resolved {
                proposal: p.clone(),
                sender: Sender::NewMemberCommit,
            };
            crate::commit::validate_proposal(s, &app_check, r.sender, p, now)?;
            crate::commit::check_component_proposal_in_list(
                &tree,
                &std::collections::BTreeSet::new(),
                &r,
                &mut app_ops,
            )?;
            proposals.push(ProposalOrRef::Proposal(p.clone()));
            app_resolved.push(r);
        }
        // Our leaf goes into the leftmost free slot; the path is planned from there.
        let caps = spec.capabilities_for(cs);
        let placeholder = LeafNode {
            encryption_key: HpkePublicKey::from(Vec::new()),
            signature_key: signer.public_key().clone(),
            credential: spec.credential.clone(),
            capabilities: caps,
            leaf_node_source: LeafNodeSource::Commit(VarBytes::default()),
            extensions: spec.extensions.clone(),
            signature: VarBytes::default(),
        };
        let own = tree.add_leaf(placeholder.clone())?;
        let plan = plan_update_path(&mut tree, s, own)?;
        let mut leaf = placeholder;
        leaf.encryption_key = plan.leaf_public_key().clone();
        leaf.leaf_node_source = LeafNodeSource::Commit(plan.leaf_parent_hash().to_vec().into());
        leaf.signature = labeled::sign_with_label(
            signer,
            b"LeafNodeTBS",
            &leaf.to_be_signed(Some((&context.group_id, own)))?,
        )?
        .into();
        tree.set_leaf(own, leaf.clone())?;
        // The members check the tree our commit makes (V-12.4.3.2-02, V-7.9.2-*): refuse here
        // what they would refuse, for example our signature key already at another leaf (a
        // member re-joining without naming its old leaf for a resync). The GroupInfo's tree
        // passed `verified_tree`: only our leaf and our path's nodes are new.
        let changed: Vec<cohort_tree::math::NodeIndex> = tree
            .filtered_direct_path(own)
            .into_iter()
            .map(|(x, _)| x)
            .chain([own.node()])
            .collect();
        tree.check_changed_keys_unique(&changed)?;
        let mut provisional = GroupContext {
            epoch: next_epoch_number(&context)?,
            ..context.clone()
        };
        apply_app_proposals(
            &app_check,
            &app_resolved,
            &tree,
            &mut provisional,
            &mut CommitSummary::default(),
        )?;
        provisional.tree_hash = tree.tree_hash(s)?.into();
        let path = encrypt_update_path(&tree, s, &plan, leaf, &provisional.to_bytes()?, &[])?;

        let content = FramedContent {
            group_id: context.group_id.clone(),
            epoch: context.epoch,
            sender: Sender::NewMemberCommit,
            authenticated_data: crate::components::outgoing_aad(&context, &[])?,
            content: Content::Commit(Commit {
                proposals,
                path: Some(path),
            }),
        };
        let signature = sign_content(signer, WireFormat::PUBLIC_MESSAGE, &content, &context)?;
        // The epoch of the GroupInfo as far as the key schedule needs it: its interim transcript
        // hash and, as init secret, the exported one.
        let interim = interim_transcript_hash(
            s,
            &context.confirmed_transcript_hash,
            &group_info.confirmation_tag.0,
        )?;
        let base = base_state(
            context,
            interim,
            InitSecret::new(init_secret),
            config.clone(),
        );
        let next = next_epoch(
            s,
            &base,
            provisional,
            WireFormat::PUBLIC_MESSAGE,
            &content,
            &signature,
            plan.commit_secret(),
            &psk_list,
            psks,
            None,
        )?;
        let tag = confirmation_tag(s, next.secrets.confirmation_key.as_bytes(), &next.confirmed)?;
        let interim = interim_transcript_hash(s, &next.confirmed, &tag)?;
        let tag_bytes = tag.clone();
        let auth = FramedContentAuthData {
            signature,
            confirmation_tag: Some(Mac(tag.into())),
        };
        let message = seal_public(s, content, auth, &base.context, &[])?;
        let keys = EpochKeys::new(next.secrets, tree.leaf_count(), &config);
        let state = GroupState {
            context: next.context,
            tree,
            private: plan.private_tree(),
            interim_transcript_hash: interim,
            confirmation_tag: tag_bytes,
            keys,
            proposals: Vec::new(),
            past_resumption_psks: VecDeque::new(),
            past_epochs: VecDeque::new(),
            config,
            status: GroupStatus::Active,
            reinit: None,
        };
        Ok(ExternalJoin {
            group: Group::from_parts(Arc::clone(&suite), state),
            commit: MlsMessage::new(MlsMessageBody::PublicMessage(message)),
        })
    }
}

/// Applies an external commit's AppEphemerals and AppDataUpdates (X-AD-09) to `provisional`,
/// as a member's commit applies them, and checks every leaf of `tree` against the changed
/// GroupContext.
fn apply_app_proposals(
    state: &GroupState,
    app_proposals: &[crate::commit::Resolved],
    tree: &RatchetTree,
    provisional: &mut GroupContext,
    summary: &mut CommitSummary,
) -> Result<(), Error> {
    if app_proposals.is_empty() {
        return Ok(());
    }
    crate::commit::apply_component_proposals(
        state,
        app_proposals,
        &mut provisional.extensions,
        summary,
    )?;
    if !summary.app_data_updated.is_empty() {
        for (_, leaf) in tree.leaves() {
            crate::validate::check_required_capabilities(leaf, &provisional.extensions)?;
            crate::validate::check_extension_support(leaf, &provisional.extensions)?;
        }
    }
    Ok(())
}

/// What a client joining by external commit adds to the commit ([`Group::join_by_external_commit_with`]).
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct ExternalJoinOptions<'a> {
    /// Our old leaf, removed by the same commit (a resync, RFC 9420 §12.4.3.2).
    pub resync: Option<LeafIndex>,
    /// External PSKs to inject, each by a PreSharedKey proposal by value.
    pub psk_ids: &'a [&'a [u8]],
    /// The group's pending SelfRemove proposals (draft-ietf-mls-extensions), as the Delivery
    /// Service hands them out with the GroupInfo: PublicMessages of the GroupInfo's epoch. The
    /// commit covers each by reference, and its sender leaves.
    pub self_removes: &'a [MlsMessage],
    /// AppDataUpdate and AppEphemeral proposals (draft-ietf-mls-extensions) to carry by value,
    /// after the PSKs. Our own [`AppComponents`](crate::AppComponents) computes the new data,
    /// as every member's does.
    pub app_proposals: &'a [Proposal],
}

impl<'a> ExternalJoinOptions<'a> {
    /// No resync, no PSK, no SelfRemove.
    pub fn new() -> Self {
        Self::default()
    }

    /// With `resync` as our old leaf.
    pub fn resync(mut self, old: LeafIndex) -> Self {
        self.resync = Some(old);
        self
    }

    /// With the external PSKs `psk_ids`.
    pub fn psk_ids(mut self, psk_ids: &'a [&'a [u8]]) -> Self {
        self.psk_ids = psk_ids;
        self
    }

    /// With the pending SelfRemoves `messages`.
    pub fn self_removes(mut self, messages: &'a [MlsMessage]) -> Self {
        self.self_removes = messages;
        self
    }

    /// With the AppDataUpdate and AppEphemeral `proposals`, by value.
    pub fn app_proposals(mut self, proposals: &'a [Proposal]) -> Self {
        self.app_proposals = proposals;
        self
    }
}

/// Checks a SelfRemove a joiner commits by reference as a member would, but for its membership
/// tag (draft-ietf-mls-extensions): a PublicMessage of the group's epoch whose content is a
/// SelfRemove from a member, signed by that member, in a self-remove-capable group. Returns
/// the member's leaf and the proposal's reference.
fn verified_self_remove(
    s: &dyn SuiteOps,
    tree: &RatchetTree,
    context: &GroupContext,
    message: &MlsMessage,
) -> Result<(LeafIndex, cohort_messages::proposal::ProposalRef), Error> {
    let MlsMessageBody::PublicMessage(m) = &message.body else {
        return Err(ValidationError::InvalidProposal(ProposalReason::SelfRemoveNotPublic).into());
    };
    crate::framing::check_addressing(&m.content.group_id, m.content.epoch, context)?;
    let Content::Proposal(Proposal::SelfRemove(sr)) = &m.content.content else {
        return Err(ValidationError::InvalidCommit(CommitReason::ExternalCommitByReference).into());
    };
    let Sender::Member(leaf) = m.content.sender else {
        return Err(
            ValidationError::InvalidProposal(ProposalReason::SelfRemoveFromNonMember).into(),
        );
    };
    let key =
        tree.leaf(leaf)
            .map(|l| l.signature_key.clone())
            .ok_or(ValidationError::InvalidSender(
                SenderReason::MemberLeafBlankOrOutOfRange,
            ))?;
    crate::framing::verify_content_signature(
        s,
        &key,
        WireFormat::PUBLIC_MESSAGE,
        &m.content,
        &m.auth,
        context,
    )?;
    crate::validate::check_self_remove_support(tree, sr.code_point)?;
    let authenticated = AuthenticatedContent {
        wire_format: WireFormat::PUBLIC_MESSAGE,
        content: m.content.clone(),
        auth: m.auth.clone(),
    };
    let reference = labeled::make_proposal_ref(s, &authenticated.to_bytes()?)?;
    Ok((
        leaf,
        cohort_messages::proposal::ProposalRef(reference.as_slice().to_vec().into()),
    ))
}

fn next_epoch_number(context: &GroupContext) -> Result<u64, Error> {
    context
        .epoch
        .checked_add(1)
        .ok_or(ValidationError::InvalidCommit(CommitReason::EpochOverflow).into())
}

/// The tree of a GroupInfo, checked as a Welcome join checks it (V-12.4.3.2-02).
fn verified_tree(
    s: &dyn SuiteOps,
    group_info: &GroupInfo,
    given: Option<RatchetTreeNodes>,
    config: &GroupConfig,
    now: Option<u64>,
) -> Result<RatchetTree, Error> {
    let context = &group_info.group_context;
    // No extension type twice (V-12.4.3-05, V-13.4-03), as for a Welcome join.
    if ext::has_duplicates(&group_info.extensions) {
        return Err(ValidationError::DuplicateExtension.into());
    }
    // The GroupContext's extensions as a received GroupContextExtensions' (V-13.4-03,
    // V-13.4-06).
    crate::validate::check_extensions(
        config,
        &context.extensions,
        crate::validate::Container::GroupContext,
    )?;
    let nodes = match (
        ext::find(&group_info.extensions, ExtensionType::RATCHET_TREE),
        given,
    ) {
        (Some(e), _) => RatchetTreeNodes::from_extension(e)?,
        (None, Some(nodes)) => nodes,
        (None, None) => {
            return Err(ValidationError::InvalidGroupInfo(GroupInfoReason::NoRatchetTree).into());
        }
    };
    let mut tree = RatchetTree::from_nodes(nodes)?;
    tree.verify_tree_hash(s, &context.tree_hash)?;
    let signer = tree
        .leaf(group_info.signer)
        .ok_or(ValidationError::InvalidGroupInfo(
            GroupInfoReason::SignerLeafBlank,
        ))?;
    crate::join::verify_group_info(s, group_info, &signer.signature_key)?;
    tree.verify_parent_hashes(s)?;
    tree.validate_structure()?;
    crate::validate::check_duplicate_identities(config, &tree)?;
    let now = if config.lifetime.check_expiry {
        now
    } else {
        None
    };
    for (i, leaf) in tree.leaves() {
        validate_leaf(
            s,
            leaf,
            LeafContext::Tree {
                group_id: &context.group_id,
                leaf: i,
            },
            context,
            now,
            config,
        )?;
        crate::validate::check_credential_support(leaf, &tree, Some(i))?;
    }
    Ok(tree)
}

/// A state holding only what the key schedule needs to step from `context`'s epoch.
fn base_state(
    context: GroupContext,
    interim: Vec<u8>,
    init_secret: InitSecret,
    config: GroupConfig,
) -> GroupState {
    let empty = || Secret::new(Vec::new());
    GroupState {
        context,
        tree: RatchetTree::new(),
        private: PrivateTree::new(LeafIndex(0), HpkePrivateKey::new(Vec::new())),
        interim_transcript_hash: interim,
        confirmation_tag: Vec::new(),
        keys: EpochKeys {
            sender_data_secret: empty(),
            exporter_secret: empty(),
            external_secret: empty(),
            confirmation_key: empty(),
            membership_key: empty(),
            resumption_psk: empty(),
            epoch_authenticator: empty(),
            init_secret,
            secret_tree: SecretTree::new(empty(), 0, config.ratchet),
            application_export: None,
        },
        proposals: Vec::new(),
        past_resumption_psks: VecDeque::new(),
        past_epochs: VecDeque::new(),
        config,
        status: GroupStatus::Active,
        reinit: None,
    }
}

/// Processes a verified external commit (sender `new_member_commit`) against `state`.
pub(crate) fn process_external_commit(
    s: &dyn SuiteOps,
    state: &GroupState,
    content: &AuthenticatedContent,
    psks: &dyn ExternalPsks,
    now: Option<u64>,
    mode: crate::commit::TagCheck,
) -> Result<(GroupState, CommitSummary), Error> {
    let bad = |r: ProposalListReason| -> Error { ValidationError::InvalidProposalList(r).into() };
    let Content::Commit(commit) = &content.content.content else {
        return Err(ValidationError::InvalidSender(SenderReason::NewMemberCommitNotCommit).into());
    };
    if content.wire_format != WireFormat::PUBLIC_MESSAGE {
        return Err(ValidationError::UnexpectedWireFormat(
            WireFormatReason::ExternalCommitNotPublic,
        )
        .into());
    }
    let path = commit.path.as_ref().ok_or(ValidationError::InvalidCommit(
        CommitReason::ExternalCommitWithoutPath,
    ))?;
    let tag = content
        .auth
        .confirmation_tag
        .as_ref()
        .ok_or(ValidationError::InvalidConfirmationTag)?;
    // Proposals: by value only; exactly one ExternalInit, at most one Remove, and PSKs.
    let mut kem_output = None;
    let mut removed = None;
    let mut psk_ids = Vec::new();
    // SelfRemoves of members, committed by reference (draft-ietf-mls-extensions): the one kind
    // of reference an external commit may hold (X-SR-07).
    let mut self_removed: Vec<LeafIndex> = Vec::new();
    let mut app_proposals: Vec<crate::commit::Resolved> = Vec::new();
    for p in &commit.proposals {
        let p = match p {
            ProposalOrRef::Proposal(Proposal::SelfRemove(_)) => {
                return Err(bad(ProposalListReason::SelfRemoveByValue));
            }
            ProposalOrRef::Proposal(p) => p,
            ProposalOrRef::Reference(r) => {
                let cached = state
                    .proposals
                    .iter()
                    .find(|c| c.reference.as_slice() == r.0.as_slice())
                    .filter(|c| matches!(c.proposal, Proposal::SelfRemove(_)))
                    .ok_or(ValidationError::InvalidCommit(
                        CommitReason::ExternalCommitByReference,
                    ))?;
                crate::commit::validate_proposal(s, state, cached.sender, &cached.proposal, now)?;
                let Sender::Member(leaf) = cached.sender else {
                    return Err(ValidationError::InvalidProposal(
                        ProposalReason::SelfRemoveFromNonMember,
                    )
                    .into());
                };
                if self_removed.contains(&leaf) {
                    return Err(bad(ProposalListReason::DuplicateUpdateOrRemove));
                }
                self_removed.push(leaf);
                continue;
            }
        };
        match p {
            Proposal::ExternalInit(ei) if kem_output.is_none() => {
                kem_output = Some(ei.kem_output.clone())
            }
            Proposal::ExternalInit(_) => {
                return Err(bad(ProposalListReason::MultipleExternalInits));
            }
            Proposal::Remove(r) if removed.is_none() => removed = Some(r.removed),
            Proposal::Remove(_) => {
                return Err(bad(ProposalListReason::MultipleRemovesInExternalCommit));
            }
            Proposal::PreSharedKey(psk) => {
                // Individually valid (V-12.1.4-03), and each PSK once (V-12.2-08).
                crate::commit::validate_proposal(s, state, content.content.sender, p, now)?;
                if psk_ids.contains(&psk.psk) {
                    return Err(bad(ProposalListReason::DuplicatePsk));
                }
                psk_ids.push(psk.psk.clone())
            }
            // The extensions' AppDataUpdate and AppEphemeral may be in an external commit
            // (draft-ietf-mls-extensions, X-AD-09), judged as in a member's commit.
            Proposal::AppDataUpdate(_) | Proposal::AppEphemeral(_) => {
                crate::commit::validate_proposal(s, state, content.content.sender, p, now)?;
                let r = crate::commit::Resolved {
                    proposal: p.clone(),
                    sender: content.content.sender,
                };
                app_proposals.push(r);
            }
            _ => {
                return Err(bad(ProposalListReason::ExternalCommitProposalType));
            }
        }
    }
    let kem_output = kem_output.ok_or_else(|| bad(ProposalListReason::MissingExternalInit))?;
    // Every member the commit keeps lists their types; one `remove` or only `update`s per
    // component (X-AD-06, X-AD-03).
    let leaving: std::collections::BTreeSet<LeafIndex> = removed
        .into_iter()
        .chain(self_removed.iter().copied())
        .collect();
    let mut app_data_ops = crate::commit::AppDataOps::new();
    for r in &app_proposals {
        crate::commit::check_component_proposal_in_list(
            &state.tree,
            &leaving,
            r,
            &mut app_data_ops,
        )?;
    }
    let mut summary = CommitSummary::default();
    let mut tree = state.tree.clone();
    // SelfRemoves before the Remove (X-SR-06: no Remove of a leaf that removes itself).
    if removed.is_some_and(|old| self_removed.contains(&old)) {
        return Err(bad(ProposalListReason::DuplicateUpdateOrRemove));
    }
    for leaf in self_removed {
        tree.remove_leaf(leaf)?;
        summary.removed.push(leaf);
        summary.removes_us |= leaf == state.private.own_leaf;
    }
    if summary.removes_us {
        let mut gone = state.clone();
        gone.status = GroupStatus::Removed;
        return Ok((gone, summary));
    }
    if let Some(old) = removed {
        let old_leaf = tree.leaf(old).ok_or(ValidationError::InvalidProposal(
            ProposalReason::RemoveOfNonMember,
        ))?;
        // The application may forbid resync (V-12.4.3.2-09).
        if !state
            .config
            .proposal_policy
            .allow_resync(old, &state.context)
        {
            return Err(ValidationError::PolicyViolation(PolicyReason::Resync).into());
        }
        // A resync keeps the member's identity (V-12.2-17, V-5.3.1-07): the Authentication
        // Service must accept the new credential as the removed member's successor.
        if crate::validate::check_successor(&state.config, old_leaf, &path.leaf_node).is_err() {
            return Err(bad(ProposalListReason::ResyncChangesCredential));
        }
        // ... and, like an Update, bring a fresh encryption key (V-12.2-17, V-7.3-10).
        if old_leaf.encryption_key == path.leaf_node.encryption_key {
            return Err(ValidationError::InvalidLeafNode(LeafNodeReason::PathKeyNotFresh).into());
        }
        tree.remove_leaf(old)?;
        summary.removed.push(old);
        if old == state.private.own_leaf {
            summary.removes_us = true;
            let mut gone = state.clone();
            gone.status = GroupStatus::Removed;
            return Ok((gone, summary));
        }
    }
    // The joiner takes the leftmost free leaf once the Remove is applied (V-12.4.3.2-08).
    let joiner = tree.add_leaf(path.leaf_node.clone())?;
    let group_id = state.context.group_id.clone();
    let mut provisional = GroupContext {
        epoch: next_epoch_number(&state.context)?,
        ..state.context.clone()
    };
    apply_app_proposals(state, &app_proposals, &tree, &mut provisional, &mut summary)?;
    validate_leaf(
        s,
        &path.leaf_node,
        LeafContext::Commit {
            group_id: &group_id,
            leaf: joiner,
        },
        &provisional,
        now,
        &state.config,
    )?;
    crate::validate::check_credential_support(&path.leaf_node, &tree, Some(joiner))?;
    merge_update_path(&mut tree, s, joiner, path, &[])?;
    tree.validate_structure()?;
    crate::validate::check_duplicate_identities(&state.config, &tree)?;
    provisional.tree_hash = tree.tree_hash(s)?.into();
    let mut private = state.private.clone();
    let (commit_secret, _, _) = decrypt_update_path(
        &tree,
        s,
        &mut private,
        joiner,
        path,
        &provisional.to_bytes()?,
        &[],
    )?;
    // The init secret comes from the joiner's KEM output (V-8.3-01).
    let (sk, pk) = s.kem_derive(state.keys.external_secret.as_bytes())?;
    let key = ExternalKey {
        suite: s,
        sk: &sk,
        pk: &pk,
    };
    let init = s
        .hpke_export_receiver(&key, &kem_output, &[], EXTERNAL_INIT_LABEL, s.hash_len())
        .map_err(|e| {
            Error::on_peer_data(
                e,
                ValidationError::DecryptionFailed(EncryptedObject::ExternalInit),
            )
        })?;
    let mut base = state.clone();
    base.keys.init_secret = InitSecret::new(init);
    let next = next_epoch(
        s,
        &base,
        provisional,
        content.wire_format,
        &content.content,
        &content.auth.signature,
        &commit_secret,
        &psk_ids,
        psks,
        None,
    )?;
    let expected = confirmation_tag(s, next.secrets.confirmation_key.as_bytes(), &next.confirmed)?;
    let tag = crate::commit::settle_tag(mode, tag, expected)?;
    let interim = interim_transcript_hash(s, &next.confirmed, &tag)?;
    summary.added.push((joiner, path.leaf_node.clone()));
    summary.psks = psk_ids;
    Ok((
        next_state(state, next, tree, private, interim, tag),
        summary,
    ))
}

/// The group's external private key, borrowed for one HPKE receiver setup.
struct ExternalKey<'a> {
    suite: &'a dyn SuiteOps,
    sk: &'a HpkePrivateKey,
    pk: &'a HpkePublicKey,
}

impl std::fmt::Debug for ExternalKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExternalKey(<redacted>)")
    }
}

impl Decapsulator for ExternalKey<'_> {
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
