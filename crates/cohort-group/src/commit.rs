//! Processing a received commit (RFC 9420 §12.2 to §12.4.2): resolve and validate the proposal
//! list, apply it to a copy of the tree, merge the path, run the key schedule and check the
//! confirmation tag. The result is a new [`GroupState`] that replaces the old one only when the
//! application merges it; nothing is changed on error.

use std::collections::BTreeSet;

use cohort_codec::{Encode, VarBytes};
use cohort_crypto::{Secret, SuiteOps};
use cohort_key_schedule::{
    PskInput, confirmation_tag, confirmed_transcript_hash, interim_transcript_hash, psk_secret,
};
use cohort_messages::components::{AppDataDictionary, AppDataOperation, AppEphemeral, ComponentId};
use cohort_messages::extensions::ExtensionPayload;
use cohort_messages::framing::{
    AuthenticatedContent, ConfirmedTranscriptHashInput, Content, Mac, Sender,
};
use cohort_messages::group_context::GroupContext;
use cohort_messages::proposal::{Proposal, ProposalOrRef, ReInit};
use cohort_messages::psk::{PreSharedKeyId, Psk, ResumptionPskUsage};
use cohort_tree::leaf::{LeafNode, ProposalType};
use cohort_tree::math::LeafIndex;
use cohort_tree::treekem::{decrypt_update_path, merge_update_path};

use crate::psk::ExternalPsks;
use crate::reason::{
    CommitReason, LeafNodeReason, MissingPskReason, PolicyReason, ProposalListReason,
    ProposalReason, PskReason, SenderReason,
};
use crate::state::{EpochKeys, GroupState, GroupStatus};
use crate::validate::{
    LeafContext, check_credential_support, encoded, validate_key_package, validate_leaf,
};
use crate::{Error, ValidationError};

/// What a commit does, for the application to inspect before merging.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CommitSummary {
    /// Leaves of members added, with their new leaf nodes.
    pub added: Vec<(LeafIndex, LeafNode)>,
    /// Leaves of members removed.
    pub removed: Vec<LeafIndex>,
    /// Leaves whose member updated (by Update proposal or by the committer's path).
    pub updated: Vec<LeafIndex>,
    /// PSKs injected.
    pub psks: Vec<PreSharedKeyId>,
    /// Whether the group's extensions changed.
    pub extensions_changed: bool,
    /// Whether this commit removes us.
    pub removes_us: bool,
    /// The ReInit this commit carries (RFC 9420 §11.2): once merged, the group is
    /// [`GroupStatus::ReInitPending`] and its members move to the group it describes.
    pub reinit: Option<ReInit>,
    /// The custom proposals this commit carries, in its order, as `(type, body)`
    /// ([`CustomProposals`](crate::CustomProposals)): the application acts on them when it
    /// merges the commit.
    pub custom: Vec<(ProposalType, Vec<u8>)>,
    /// The AppEphemeral proposals this commit carries, in its order (draft-ietf-mls-extensions):
    /// data for the application's components, which every member sees with this commit.
    pub app_ephemeral: Vec<AppEphemeral>,
    /// The components whose entry of the `app_data_dictionary` this commit's AppDataUpdates
    /// changed (set or removed), in the order they first appear.
    pub app_data_updated: Vec<ComponentId>,
}

/// A resolved proposal and who proposed it.
pub(crate) struct Resolved {
    pub(crate) proposal: Proposal,
    pub(crate) sender: Sender,
}

/// The result of applying a proposal list to a copy of the tree and context (§12.3).
pub(crate) struct Applied {
    pub(crate) tree: cohort_tree::RatchetTree,
    pub(crate) extensions: Vec<cohort_tree::extension::Extension>,
    /// New members, with the KeyPackages that added them.
    pub(crate) joiners: Vec<(LeafIndex, cohort_messages::key_package::KeyPackage)>,
    pub(crate) psk_ids: Vec<PreSharedKeyId>,
    pub(crate) summary: CommitSummary,
    /// Whether the list requires a path (V-12.4-01).
    pub(crate) path_required: bool,
}

/// Validates `resolved` (§12.2) and applies it in the normative order (§12.3):
/// GroupContextExtensions, Updates, Removes, Adds, then PSKs.
pub(crate) fn apply_proposals(
    suite: &dyn SuiteOps,
    state: &GroupState,
    committer: LeafIndex,
    resolved: &[Resolved],
    now: Option<u64>,
) -> Result<Applied, Error> {
    validate_proposal_list(suite, state, committer, resolved, now)?;
    let mut summary = CommitSummary::default();
    let mut tree = state.tree.clone();
    let mut extensions = state.context.extensions.clone();
    for r in resolved {
        if let Proposal::GroupContextExtensions(gce) = &r.proposal {
            extensions = gce.extensions.clone();
            summary.extensions_changed = true;
        }
    }
    for r in resolved {
        if let (Proposal::Update(update), Sender::Member(leaf)) = (&r.proposal, r.sender) {
            tree.update_leaf(leaf, update.leaf_node.clone())?;
            summary.updated.push(leaf);
        }
    }
    // SelfRemoves after the Updates and before the Removes (draft-ietf-mls-extensions): each
    // removes its sender's leaf.
    for r in resolved {
        if let (Proposal::SelfRemove(_), Sender::Member(leaf)) = (&r.proposal, r.sender) {
            tree.remove_leaf(leaf)?;
            summary.removed.push(leaf);
            if leaf == state.private.own_leaf {
                summary.removes_us = true;
            }
        }
    }
    for r in resolved {
        if let Proposal::Remove(remove) = &r.proposal {
            tree.remove_leaf(remove.removed)?;
            summary.removed.push(remove.removed);
            if remove.removed == state.private.own_leaf {
                summary.removes_us = true;
            }
        }
    }
    let adds: Vec<&cohort_messages::key_package::KeyPackage> = resolved
        .iter()
        .filter_map(|r| match &r.proposal {
            Proposal::Add(add) => Some(&add.key_package),
            _ => None,
        })
        .collect();
    let leaves = tree.add_leaves(adds.iter().map(|kp| kp.leaf_node.clone()))?;
    let mut joiners = Vec::with_capacity(adds.len());
    for (leaf, kp) in leaves.into_iter().zip(adds) {
        joiners.push((leaf, kp.clone()));
        summary.added.push((leaf, kp.leaf_node.clone()));
    }
    let mut psk_ids = Vec::new();
    for r in resolved {
        match &r.proposal {
            Proposal::PreSharedKey(p) => psk_ids.push(p.psk.clone()),
            Proposal::ReInit(reinit) => summary.reinit = Some(reinit.clone()),
            Proposal::Custom {
                proposal_type,
                data,
            } => summary.custom.push((*proposal_type, data.to_vec())),
            _ => {}
        }
    }
    apply_component_proposals(state, resolved, &mut extensions, &mut summary)?;
    // The resulting tree must be valid: unique keys across leaves and nodes (V-12.2-13), and
    // the new extensions supported by every member (V-12.1.7-01/02). The tree was valid before
    // and only the updated and added leaves are new, so only their keys can collide.
    let changed: Vec<cohort_tree::math::NodeIndex> = summary
        .updated
        .iter()
        .chain(joiners.iter().map(|(leaf, _)| leaf))
        .map(|leaf| leaf.node())
        .collect();
    tree.check_changed_keys_unique(&changed)?;
    crate::validate::check_duplicate_identities(&state.config, &tree)?;
    if summary.extensions_changed {
        for (_, leaf) in tree.leaves() {
            crate::validate::check_required_capabilities(leaf, &extensions)?;
            crate::validate::check_extension_support(leaf, &extensions)?;
        }
    }
    // The registry's "Path" column (V-12.4-01, V-17.4-01); the application's for its own types.
    let path_required = resolved.is_empty()
        || resolved.iter().any(|r| match &r.proposal {
            Proposal::Custom { proposal_type, .. } => {
                state.config.custom_proposals.path_required(*proposal_type)
            }
            p => p.proposal_type().entry().is_none_or(|e| e.path_required),
        });
    Ok(Applied {
        tree,
        extensions,
        joiners,
        psk_ids,
        summary,
        path_required,
    })
}

/// The extensions' proposals after RFC 9420's (draft-ietf-mls-extensions): the AppEphemerals of
/// `resolved` into `summary`, then its AppDataUpdates into `extensions`.
pub(crate) fn apply_component_proposals(
    state: &GroupState,
    resolved: &[Resolved],
    extensions: &mut Vec<cohort_tree::extension::Extension>,
    summary: &mut CommitSummary,
) -> Result<(), Error> {
    for r in resolved {
        if let Proposal::AppEphemeral(e) = &r.proposal {
            summary.app_ephemeral.push(e.clone());
        }
    }
    summary.app_data_updated = apply_app_data_updates(
        &*state.config.app_components,
        &state.context,
        resolved,
        extensions,
    )?;
    if !summary.app_data_updated.is_empty() {
        summary.extensions_changed = true;
    }
    Ok(())
}

/// Applies the AppDataUpdates of `resolved` to the `app_data_dictionary` of `extensions` (the
/// GroupContext extensions after any GroupContextExtensions of the commit), component by
/// component as draft-ietf-mls-extensions says: a single `remove` removes present data
/// (X-AD-02); `update`s go to the application, whose result becomes the data (X-AD-04). The
/// dictionary keeps its place in the list, or is appended. Returns the components changed.
fn apply_app_data_updates(
    components: &dyn crate::AppComponents,
    context: &GroupContext,
    resolved: &[Resolved],
    extensions: &mut Vec<cohort_tree::extension::Extension>,
) -> Result<Vec<ComponentId>, Error> {
    let mut order: Vec<ComponentId> = Vec::new();
    for r in resolved {
        if let Proposal::AppDataUpdate(u) = &r.proposal {
            if !order.contains(&u.component_id) {
                order.push(u.component_id);
            }
        }
    }
    if order.is_empty() {
        return Ok(order);
    }
    let ty = cohort_tree::extension::ExtensionType::APP_DATA_DICTIONARY;
    let position = extensions.iter().position(|e| e.extension_type == ty);
    let mut dictionary = match position.and_then(|i| extensions.get(i)) {
        Some(e) => AppDataDictionary::from_extension(e)?,
        None => AppDataDictionary::new(),
    };
    for &component in &order {
        let ops: Vec<&AppDataOperation> = resolved
            .iter()
            .filter_map(|r| match &r.proposal {
                Proposal::AppDataUpdate(u) if u.component_id == component => Some(&u.op),
                _ => None,
            })
            .collect();
        let updates: Vec<&[u8]> = ops
            .iter()
            .filter_map(|op| match op {
                AppDataOperation::Update(u) => Some(u.as_slice()),
                AppDataOperation::Remove => None,
            })
            .collect();
        if updates.len() != ops.len() {
            // A remove: the list check let only a lone one through (X-AD-03).
            if dictionary.remove(component).is_none() {
                return Err(ValidationError::InvalidProposal(
                    ProposalReason::AppDataRemoveOfAbsent,
                )
                .into());
            }
            continue;
        }
        let new = components
            .apply_updates(component, dictionary.get(component), &updates, context)
            .ok_or(ValidationError::InvalidProposalList(
                ProposalListReason::AppDataUpdateRefused,
            ))?;
        dictionary.insert(component, new);
    }
    let extension = dictionary.to_extension()?;
    match position.and_then(|i| extensions.get_mut(i)) {
        Some(slot) => *slot = extension,
        None => extensions.push(extension),
    }
    Ok(order)
}

/// Whether `proposal` (an AppDataUpdate or AppEphemeral) names a component the application
/// knows and, for an AppEphemeral, carries data it accepts (X-AD-01, X-AE-01, X-AE-02).
fn validate_component_proposal(
    state: &GroupState,
    sender: Sender,
    proposal: &Proposal,
) -> Result<(), Error> {
    let components = &state.config.app_components;
    let (component, ephemeral) = match proposal {
        Proposal::AppDataUpdate(u) => (u.component_id, None),
        Proposal::AppEphemeral(e) => (e.component_id, Some(e.data.as_slice())),
        _ => return Ok(()),
    };
    if !components.knows(component) {
        return Err(ValidationError::InvalidProposal(ProposalReason::UnknownComponent).into());
    }
    if let Some(data) = ephemeral {
        if !components.accept_ephemeral(component, data, sender, &state.context) {
            return Err(
                ValidationError::InvalidProposal(ProposalReason::AppEphemeralRefused).into(),
            );
        }
    }
    Ok(())
}

/// Whether every member of `tree` a commit keeps (not in `removed`) lists the non-default
/// proposal type `ty` in its capabilities (V-12.2-12).
fn kept_members_support(
    tree: &cohort_tree::RatchetTree,
    removed: &BTreeSet<LeafIndex>,
    ty: ProposalType,
) -> bool {
    tree.leaves()
        .all(|(i, leaf)| removed.contains(&i) || leaf.capabilities.proposals.contains(&ty))
}

/// Per component, the `update`s and `remove`s of a proposal list's AppDataUpdates.
pub(crate) type AppDataOps = std::collections::BTreeMap<ComponentId, (usize, usize)>;

/// A list's checks of an AppDataUpdate or AppEphemeral `r`: every member of `tree` the commit
/// keeps (not in `removed`) lists its type (X-AD-06, as V-12.2-12), and for each component one
/// `remove` or only `update`s (X-AD-03), counted in `ops`.
pub(crate) fn check_component_proposal_in_list(
    tree: &cohort_tree::RatchetTree,
    removed: &BTreeSet<LeafIndex>,
    r: &Resolved,
    ops: &mut AppDataOps,
) -> Result<(), Error> {
    let bad = |r: ProposalListReason| -> Error { ValidationError::InvalidProposalList(r).into() };
    let ty = r.proposal.proposal_type();
    if !kept_members_support(tree, removed, ty) {
        return Err(bad(ProposalListReason::ExtensionTypeUnsupported));
    }
    if let Proposal::AppDataUpdate(u) = &r.proposal {
        let entry = ops.entry(u.component_id).or_insert((0, 0));
        match u.op {
            AppDataOperation::Update(_) => entry.0 += 1,
            AppDataOperation::Remove => entry.1 += 1,
        }
        if entry.1 > 1 || (entry.1 == 1 && entry.0 > 0) {
            return Err(bad(ProposalListReason::AppDataUpdateConflict));
        }
    }
    Ok(())
}

/// Whether the GroupContext `extensions` require the AppDataUpdate proposal type.
fn requires_app_data_update(extensions: &[cohort_tree::extension::Extension]) -> bool {
    use cohort_messages::extensions::RequiredCapabilities;
    cohort_tree::extension::find(
        extensions,
        cohort_tree::extension::ExtensionType::REQUIRED_CAPABILITIES,
    )
    .and_then(|e| RequiredCapabilities::from_extension(e).ok())
    .is_some_and(|rc| rc.proposal_types.contains(&ProposalType::APP_DATA_UPDATE))
}

/// The next epoch's context and secrets (RFC 9420 §8, §8.2).
pub(crate) struct NextEpoch {
    pub(crate) context: GroupContext,
    pub(crate) confirmed: Vec<u8>,
    pub(crate) secrets: cohort_key_schedule::EpochSecrets,
    pub(crate) joiner: cohort_key_schedule::JoinerSecret,
    pub(crate) psk_secret: Secret,
}

/// Updates the confirmed transcript hash with the commit and runs the key schedule.
#[allow(
    clippy::too_many_arguments,
    reason = "the inputs of RFC 9420 §12.4.2's last steps"
)]
pub(crate) fn next_epoch(
    suite: &dyn SuiteOps,
    state: &GroupState,
    provisional: GroupContext,
    wire_format: cohort_messages::message::WireFormat,
    content: &cohort_messages::framing::FramedContent,
    signature: &VarBytes,
    commit_secret: &Secret,
    psk_ids: &[PreSharedKeyId],
    psks: &dyn ExternalPsks,
    resumed: Option<&GroupState>,
) -> Result<NextEpoch, Error> {
    let input = ConfirmedTranscriptHashInput {
        wire_format,
        content,
        signature,
    }
    .to_bytes()?;
    let confirmed = confirmed_transcript_hash(suite, &state.interim_transcript_hash, &input)?;
    let mut context = provisional;
    context.confirmed_transcript_hash = confirmed.clone().into();
    let context_bytes = context.to_bytes()?;
    let psk_secret = resolve_psk_secret(suite, Some(state), psk_ids, psks, resumed)?;
    let joiner = state.keys.init_secret.clone().joiner_secret(
        suite,
        commit_secret.as_bytes(),
        &context_bytes,
    )?;
    let secrets = joiner
        .clone()
        .into_epoch(suite, psk_secret.as_bytes(), &context_bytes)?;
    Ok(NextEpoch {
        context,
        confirmed,
        secrets,
        joiner,
        psk_secret,
    })
}

/// The state of the next epoch, from the pieces a commit produced.
pub(crate) fn next_state(
    state: &GroupState,
    next: NextEpoch,
    tree: cohort_tree::RatchetTree,
    mut private: cohort_tree::treekem::PrivateTree,
    interim: Vec<u8>,
    confirmation_tag: Vec<u8>,
) -> GroupState {
    let mut past = state.past_resumption_psks.clone();
    past.push_back((state.context.epoch, state.keys.resumption_psk.clone()));
    while past.len() > state.config.max_resumption_epochs {
        past.pop_front();
    }
    private.prune(&tree);
    let mut past_epochs = state.past_epochs.clone();
    if state.config.max_past_epochs > 0 {
        past_epochs.push_back(std::sync::Arc::new(crate::state::PastEpoch {
            context: state.context.clone(),
            sender_data_secret: state.keys.sender_data_secret.clone(),
            secret_tree: state.keys.secret_tree.clone(),
            signature_keys: crate::state::EpochSignatureKeys::Tree(state.tree.clone()),
        }));
    }
    // Older epochs are dropped, and their secrets zeroized, beyond the bound.
    while past_epochs.len() > state.config.max_past_epochs {
        past_epochs.pop_front();
    }
    let keys = EpochKeys::new(next.secrets, tree.leaf_count(), &state.config);
    GroupState {
        context: next.context,
        tree,
        private,
        interim_transcript_hash: interim,
        confirmation_tag,
        keys,
        proposals: Vec::new(),
        past_resumption_psks: past,
        past_epochs,
        config: state.config.clone(),
        status: state.status,
        reinit: None,
    }
}

/// Marks `next` as waiting for reinitialization when the commit carried a ReInit (RFC 9420
/// §11.2, V-12.4.2-16).
pub(crate) fn mark_reinit(next: &mut GroupState, summary: &CommitSummary) {
    if let Some(reinit) = &summary.reinit {
        next.status = GroupStatus::ReInitPending;
        next.reinit = Some(reinit.clone());
    }
}

/// What processing a commit does with its confirmation tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagCheck {
    /// Compare it with the tag the new epoch derives (RFC 9420 §12.4.2, V-12.4.2-*): the only
    /// mode outside tests.
    Verify,
    /// Keep the derived tag in its place: the `test-utils` oracle that gives a forged commit
    /// the tag its receivers will expect.
    #[cfg(feature = "test-utils")]
    Derive,
}

/// The tag the next epoch keeps: `received` when it matches `expected` (constant time).
pub(crate) fn settle_tag(
    mode: TagCheck,
    received: &Mac,
    expected: Vec<u8>,
) -> Result<Vec<u8>, Error> {
    match mode {
        TagCheck::Verify if received.ct_eq(&expected) => Ok(expected),
        TagCheck::Verify => Err(ValidationError::InvalidConfirmationTag.into()),
        #[cfg(feature = "test-utils")]
        TagCheck::Derive => Ok(expected),
    }
}

/// Processes a verified commit against `state`, returning the next epoch's state.
pub(crate) fn process_commit(
    suite: &dyn SuiteOps,
    state: &GroupState,
    content: &AuthenticatedContent,
    psks: &dyn ExternalPsks,
    now: Option<u64>,
) -> Result<(GroupState, CommitSummary), Error> {
    process_commit_with(suite, state, content, psks, now, TagCheck::Verify)
}

/// [`process_commit`] with the confirmation tag treated as `mode` says.
pub(crate) fn process_commit_with(
    suite: &dyn SuiteOps,
    state: &GroupState,
    content: &AuthenticatedContent,
    psks: &dyn ExternalPsks,
    now: Option<u64>,
    mode: TagCheck,
) -> Result<(GroupState, CommitSummary), Error> {
    let Content::Commit(commit) = &content.content.content else {
        return Err(Error::Internal("process_commit called on a non-commit"));
    };
    let committer = match content.content.sender {
        Sender::Member(leaf) => leaf,
        Sender::NewMemberCommit => {
            return crate::external::process_external_commit(
                suite, state, content, psks, now, mode,
            );
        }
        _ => return Err(ValidationError::InvalidSender(SenderReason::CommitFromNonMember).into()),
    };
    if committer == state.private.own_leaf {
        return Err(ValidationError::InvalidCommit(CommitReason::OwnCommitProcessed).into());
    }
    let tag = content
        .auth
        .confirmation_tag
        .as_ref()
        .ok_or(ValidationError::InvalidConfirmationTag)?;
    let new_epoch = state
        .context
        .epoch
        .checked_add(1)
        .ok_or(ValidationError::InvalidCommit(CommitReason::EpochOverflow))?;

    // Resolve references against this epoch's cache (V-12.4-02), each proposal once (V-12.4-03).
    let mut seen_refs = BTreeSet::new();
    let mut resolved = Vec::with_capacity(commit.proposals.len());
    for p in &commit.proposals {
        match p {
            ProposalOrRef::Proposal(Proposal::SelfRemove(_)) => {
                return Err(ValidationError::InvalidProposalList(
                    ProposalListReason::SelfRemoveByValue,
                )
                .into());
            }
            ProposalOrRef::Proposal(proposal) => resolved.push(Resolved {
                proposal: proposal.clone(),
                sender: Sender::Member(committer),
            }),
            ProposalOrRef::Reference(r) => {
                if !seen_refs.insert(r.0.as_slice()) {
                    return Err(ValidationError::InvalidProposalList(
                        ProposalListReason::IncludedTwice,
                    )
                    .into());
                }
                let cached = state
                    .proposals
                    .iter()
                    .find(|c| c.reference.as_slice() == r.0.as_slice())
                    .ok_or(ValidationError::UnknownProposalRef)?;
                resolved.push(Resolved {
                    proposal: cached.proposal.clone(),
                    sender: cached.sender,
                });
            }
        }
    }
    let Applied {
        mut tree,
        extensions,
        joiners,
        psk_ids,
        mut summary,
        path_required,
    } = apply_proposals(suite, state, committer, &resolved, now)?;
    let joiners: Vec<LeafIndex> = joiners.into_iter().map(|(leaf, _)| leaf).collect();
    // A path where the list needs one (V-12.4-01), checked before anything else depends on it.
    if path_required && commit.path.is_none() {
        return Err(ValidationError::InvalidCommit(CommitReason::PathMissing).into());
    }
    if summary.removes_us {
        // The path is not encrypted to us and we cannot derive the new epoch, so its
        // confirmation tag cannot be checked: the group becomes inactive (V-12.4.2-17). The old
        // epoch's keys stay for late application messages until the state is deleted.
        let mut removed = state.clone();
        removed.status = GroupStatus::Removed;
        removed.proposals.clear();
        summary.psks = psk_ids;
        return Ok((removed, summary));
    }
    let mut private = state.private.clone();
    // A commit covering our own Update: our leaf's new private key is the one kept with the
    // proposal (RFC 9420 §12.1.2).
    let own = state.private.own_leaf;
    if let Some(new_leaf) = tree.leaf(own).filter(|_| summary.updated.contains(&own)) {
        let key = state
            .proposals
            .iter()
            .filter_map(|c| match (&c.proposal, &c.update_key) {
                (Proposal::Update(u), Some(key))
                    if u.leaf_node.encryption_key == new_leaf.encryption_key =>
                {
                    Some(key.clone())
                }
                _ => None,
            })
            .next()
            .ok_or(ValidationError::InvalidCommit(
                CommitReason::UnsentOwnUpdate,
            ))?;
        private.set_key(own.node(), key);
    }
    let mut provisional = GroupContext {
        version: state.context.version,
        cipher_suite: state.context.cipher_suite,
        group_id: state.context.group_id.clone(),
        epoch: new_epoch,
        tree_hash: VarBytes::default(),
        confirmed_transcript_hash: state.context.confirmed_transcript_hash.clone(),
        extensions,
    };
    let commit_secret = match &commit.path {
        None => Secret::new(vec![0; suite.hash_len()]),
        Some(path) => {
            let group_id = state.context.group_id.clone();
            let old_leaf = tree.leaf(committer).ok_or(ValidationError::InvalidSender(
                SenderReason::CommitterLeafBlank,
            ))?;
            if old_leaf.encryption_key == path.leaf_node.encryption_key {
                return Err(
                    ValidationError::InvalidLeafNode(LeafNodeReason::PathKeyNotFresh).into(),
                );
            }
            crate::validate::check_successor(&state.config, old_leaf, &path.leaf_node)?;
            validate_leaf(
                suite,
                &path.leaf_node,
                LeafContext::Commit {
                    group_id: &group_id,
                    leaf: committer,
                },
                &provisional,
                now,
                &state.config,
            )?;
            check_credential_support(&path.leaf_node, &tree, Some(committer))?;
            merge_update_path(&mut tree, suite, committer, path, &joiners)?;
            // Only the committer's leaf and its filtered direct path changed (V-16.7-01).
            let changed: Vec<cohort_tree::math::NodeIndex> = tree
                .filtered_direct_path(committer)
                .into_iter()
                .map(|(x, _)| x)
                .chain([committer.node()])
                .collect();
            tree.check_changed_keys_unique(&changed)?;
            crate::validate::check_duplicate_identities(&state.config, &tree)?;
            summary.updated.push(committer);
            provisional.tree_hash = tree.tree_hash(suite)?.into();
            let context_bytes = provisional.to_bytes()?;
            let (commit_secret, _, _) = decrypt_update_path(
                &tree,
                suite,
                &mut private,
                committer,
                path,
                &context_bytes,
                &joiners,
            )?;
            commit_secret
        }
    };
    if provisional.tree_hash.is_empty() {
        provisional.tree_hash = tree.tree_hash(suite)?.into();
    }
    let next = next_epoch(
        suite,
        state,
        provisional,
        content.wire_format,
        &content.content,
        &content.auth.signature,
        &commit_secret,
        &psk_ids,
        psks,
        None,
    )?;
    let expected = confirmation_tag(
        suite,
        next.secrets.confirmation_key.as_bytes(),
        &next.confirmed,
    )?;
    let tag = settle_tag(mode, tag, expected)?;
    let interim = interim_transcript_hash(suite, &next.confirmed, &tag)?;
    summary.psks = psk_ids;
    let mut next = next_state(state, next, tree, private, interim, tag);
    mark_reinit(&mut next, &summary);
    Ok((next, summary))
}

/// Checks one proposal on its own (RFC 9420 §12.1): when it is received, and again for each
/// entry of a commit's list. Checks that depend on the rest of the list are in
/// [`validate_proposal_list`].
pub(crate) fn validate_proposal(
    suite: &dyn SuiteOps,
    state: &GroupState,
    sender: Sender,
    proposal: &Proposal,
    now: Option<u64>,
) -> Result<(), Error> {
    // The application's own rules (V-12.2-14; resync, V-12.4.3.2-09, is judged with the
    // external commit).
    if let Sender::Member(leaf) = sender {
        if !state
            .config
            .proposal_policy
            .authorize(leaf, proposal, &state.context)
        {
            return Err(ValidationError::PolicyViolation(PolicyReason::MemberProposal).into());
        }
    }
    match proposal {
        // The KeyPackage passes §10.1 (V-12.1.1-01, V-10.1-05).
        Proposal::Add(add) => {
            validate_key_package(suite, &add.key_package, &state.context, now, &state.config)?;
            check_credential_support(&add.key_package.leaf_node, &state.tree, None)
        }
        // Only a member updates, with a fresh key and a valid leaf (V-12.1.2-01/02, V-7.3-10).
        Proposal::Update(update) => {
            let Sender::Member(leaf) = sender else {
                return Err(
                    ValidationError::InvalidSender(SenderReason::UpdateFromNonMember).into(),
                );
            };
            let old = state.tree.leaf(leaf).ok_or(ValidationError::InvalidSender(
                SenderReason::UpdateFromBlankLeaf,
            ))?;
            if old.encryption_key == update.leaf_node.encryption_key {
                return Err(
                    ValidationError::InvalidLeafNode(LeafNodeReason::UpdateKeyNotFresh).into(),
                );
            }
            validate_leaf(
                suite,
                &update.leaf_node,
                LeafContext::Update {
                    group_id: &state.context.group_id,
                    leaf,
                },
                &state.context,
                now,
                &state.config,
            )?;
            crate::validate::check_successor(&state.config, old, &update.leaf_node)?;
            check_credential_support(&update.leaf_node, &state.tree, Some(leaf))
        }
        // The removed leaf is a member (V-12.1.3-01).
        Proposal::Remove(rm) => {
            if state.tree.leaf(rm.removed).is_none() {
                return Err(
                    ValidationError::InvalidProposal(ProposalReason::RemoveOfNonMember).into(),
                );
            }
            Ok(())
        }
        // A nonce of Nh bytes (V-12.1.4-03); reinit and branch PSKs only where §11 uses them
        // (V-12.1.4-01/02).
        Proposal::PreSharedKey(p) => {
            if p.psk.psk_nonce.len() != suite.hash_len() {
                return Err(ValidationError::InvalidPsk(PskReason::NonceLength).into());
            }
            if let Psk::Resumption { usage, .. } = &p.psk.psk {
                if *usage != ResumptionPskUsage::Application {
                    return Err(ValidationError::InvalidProposal(
                        ProposalReason::NonApplicationResumptionPsk,
                    )
                    .into());
                }
            }
            Ok(())
        }
        // No extension type twice (V-12.1.7-03).
        Proposal::GroupContextExtensions(g) => {
            // No type twice, only GroupContext extensions (a strict check), and known payloads
            // decode exactly (V-11.1-04).
            crate::validate::check_extensions(
                &state.config,
                &g.extensions,
                crate::validate::Container::GroupContext,
            )?;
            if let Some(e) = cohort_tree::extension::find(
                &g.extensions,
                cohort_tree::extension::ExtensionType::REQUIRED_CAPABILITIES,
            ) {
                use cohort_messages::extensions::{ExtensionPayload, RequiredCapabilities};
                RequiredCapabilities::from_extension(e)?;
            }
            // External senders introduced or changed are accepted by the AS (V-5.3.1-06).
            crate::validate::check_external_senders(
                &state.config,
                suite.signature_scheme(),
                &g.extensions,
            )
        }
        // A ReInit may not lower the version (V-12.1.5-01). Its extensions become the new
        // group's GroupContext extensions: no type twice (V-13.4-03), and only GroupContext
        // types (V-13.4-06, a strict check), as in a GroupContextExtensions.
        Proposal::ReInit(r) => {
            if r.version < state.context.version {
                return Err(
                    ValidationError::InvalidProposal(ProposalReason::ReInitLowersVersion).into(),
                );
            }
            crate::validate::check_extensions(
                &state.config,
                &r.extensions,
                crate::validate::Container::GroupContext,
            )
        }
        // A custom type this client implements, accepted by the application (V-12.1-04).
        Proposal::Custom {
            proposal_type,
            data,
        } => {
            let custom = &state.config.custom_proposals;
            if !custom.supports(*proposal_type) {
                return Err(ValidationError::UnsupportedProposalType(proposal_type.0).into());
            }
            if !custom.validate(*proposal_type, data, sender, &state.context) {
                return Err(ValidationError::CustomProposalRejected(proposal_type.0).into());
            }
            Ok(())
        }
        // Only a member leaves (X-SR-02), and only in a self-remove-capable group: every member
        // lists the type it is sent at (X-SR-01).
        Proposal::SelfRemove(sr) => {
            if !matches!(sender, Sender::Member(_)) {
                return Err(ValidationError::InvalidProposal(
                    ProposalReason::SelfRemoveFromNonMember,
                )
                .into());
            }
            crate::validate::check_self_remove_support(&state.tree, sr.code_point)
        }
        // A component the application knows, and AppEphemeral data it accepts (X-AD-01,
        // X-AE-01, X-AE-02).
        Proposal::AppDataUpdate(_) | Proposal::AppEphemeral(_) => {
            validate_component_proposal(state, sender, proposal)
        }
        // Judged by where it appears: the list checks and the receipt path.
        _ => Ok(()),
    }
}

/// Checks a regular commit's proposal list (RFC 9420 §12.2) and each proposal in it (§12.1).
fn validate_proposal_list(
    suite: &dyn SuiteOps,
    state: &GroupState,
    committer: LeafIndex,
    list: &[Resolved],
    now: Option<u64>,
) -> Result<(), Error> {
    let bad = |r: ProposalListReason| -> Error { ValidationError::InvalidProposalList(r).into() };
    let mut touched = BTreeSet::new();
    let mut add_keys = BTreeSet::new();
    let mut psk_ids = BTreeSet::new();
    let mut gce = 0;
    // Per component, the AppDataUpdates' `update`s and `remove`s.
    let mut app_data_ops = AppDataOps::new();
    let removed: BTreeSet<LeafIndex> = list
        .iter()
        .filter_map(|r| match (&r.proposal, r.sender) {
            (Proposal::Remove(rm), _) => Some(rm.removed),
            (Proposal::SelfRemove(_), Sender::Member(leaf)) => Some(leaf),
            _ => None,
        })
        .collect();
    // Adds are judged under the extensions the commit's GroupContextExtensions sets, if any
    // (V-12.3-01: the GCE applies first).
    let with_new_extensions = list.iter().find_map(|r| match &r.proposal {
        Proposal::GroupContextExtensions(g) => {
            let mut s = state.clone();
            s.context.extensions = g.extensions.clone();
            Some(s)
        }
        _ => None,
    });
    let add_state = with_new_extensions.as_ref().unwrap_or(state);
    // Each Add's KeyPackage check (two signature verifications) is independent of the others:
    // run them over the cores first, then report their outcomes in list order below, so the
    // error a bad list yields does not depend on the split.
    /// Below this many Adds per thread a thread costs more than it saves.
    const ADDS_PER_THREAD: usize = 4;
    let adds: Vec<&Resolved> = list
        .iter()
        .filter(|r| matches!(r.proposal, Proposal::Add(_)))
        .collect();
    let mut add_checks = crate::parallel::map_chunks(&adds, ADDS_PER_THREAD, |chunk| {
        chunk
            .iter()
            .map(|r| validate_proposal(suite, add_state, r.sender, &r.proposal, now))
            .collect::<Vec<_>>()
    })?
    .into_iter()
    .flatten();
    for r in list {
        match &r.proposal {
            Proposal::Add(add) => {
                add_checks
                    .next()
                    .ok_or(Error::Internal("an Add without its check"))??;
                let key = add.key_package.leaf_node.signature_key.clone();
                if !add_keys.insert(key.clone()) {
                    return Err(bad(ProposalListReason::DuplicateAdd));
                }
                let member = state
                    .tree
                    .leaves()
                    .find(|(_, l)| l.signature_key == key)
                    .map(|(i, _)| i);
                if member.is_some_and(|i| !removed.contains(&i)) {
                    return Err(bad(ProposalListReason::AddOfMember));
                }
            }
            Proposal::Update(_) => {
                let Sender::Member(leaf) = r.sender else {
                    return Err(
                        ValidationError::InvalidSender(SenderReason::UpdateFromNonMember).into(),
                    );
                };
                if leaf == committer {
                    return Err(bad(ProposalListReason::CommitterUpdate));
                }
                if !touched.insert(leaf) {
                    return Err(bad(ProposalListReason::DuplicateUpdateOrRemove));
                }
                validate_proposal(suite, state, r.sender, &r.proposal, now)?;
            }
            Proposal::Remove(rm) => {
                if rm.removed == committer {
                    return Err(bad(ProposalListReason::CommitterRemoved));
                }
                validate_proposal(suite, state, r.sender, &r.proposal, now)?;
                if !touched.insert(rm.removed) {
                    return Err(bad(ProposalListReason::DuplicateUpdateOrRemove));
                }
            }
            // Its sender's leaf is removed: not the committer's (X-SR-05), and no other Update,
            // Remove or SelfRemove for that leaf (X-SR-06).
            Proposal::SelfRemove(_) => {
                validate_proposal(suite, state, r.sender, &r.proposal, now)?;
                let Sender::Member(leaf) = r.sender else {
                    return Err(ValidationError::InvalidProposal(
                        ProposalReason::SelfRemoveFromNonMember,
                    )
                    .into());
                };
                if leaf == committer {
                    return Err(bad(ProposalListReason::CommitterRemoved));
                }
                if !touched.insert(leaf) {
                    return Err(bad(ProposalListReason::DuplicateUpdateOrRemove));
                }
            }
            Proposal::PreSharedKey(p) => {
                validate_proposal(suite, state, r.sender, &r.proposal, now)?;
                if !psk_ids.insert(encoded(&p.psk)?) {
                    return Err(bad(ProposalListReason::DuplicatePsk));
                }
            }
            Proposal::GroupContextExtensions(g) => {
                gce += 1;
                validate_proposal(suite, state, r.sender, &r.proposal, now)?;
                // Where AppDataUpdate is required, only AppDataUpdates change the application
                // data (X-AD-05).
                let dictionary = |list: &[cohort_tree::extension::Extension]| {
                    cohort_tree::extension::find(
                        list,
                        cohort_tree::extension::ExtensionType::APP_DATA_DICTIONARY,
                    )
                    .cloned()
                };
                if requires_app_data_update(&state.context.extensions)
                    && dictionary(&g.extensions) != dictionary(&state.context.extensions)
                {
                    return Err(bad(ProposalListReason::GceChangesAppData));
                }
            }
            Proposal::AppDataUpdate(_) | Proposal::AppEphemeral(_) => {
                validate_proposal(suite, state, r.sender, &r.proposal, now)?;
                check_component_proposal_in_list(&state.tree, &removed, r, &mut app_data_ops)?;
            }
            Proposal::ReInit(_) => {
                validate_proposal(suite, state, r.sender, &r.proposal, now)?;
                if list.len() != 1 {
                    return Err(bad(ProposalListReason::ReInitNotAlone));
                }
            }
            Proposal::ExternalInit(_) => {
                return Err(bad(ProposalListReason::ExternalInitInMemberCommit));
            }
            // Every member that processes the commit supports the type (V-12.2-12): not the
            // ones it removes, nor the ones it adds.
            Proposal::Custom { proposal_type, .. } => {
                validate_proposal(suite, state, r.sender, &r.proposal, now)?;
                if !kept_members_support(&state.tree, &removed, *proposal_type) {
                    return Err(bad(ProposalListReason::CustomTypeUnsupported));
                }
            }
            _ => {
                return Err(
                    ValidationError::InvalidProposal(ProposalReason::UnknownProposal).into(),
                );
            }
        }
    }
    if gce > 1 {
        return Err(bad(ProposalListReason::MultipleGroupContextExtensions));
    }
    Ok(())
}

/// `psk_secret` for the PSK ids of a commit or a Welcome (RFC 9420 §8.4). Resumption PSKs come
/// from `state` (the group itself; none for a joiner) or, for another group (the old group of a
/// reinit or branch, §11), from `resumed`.
pub(crate) fn resolve_psk_secret(
    suite: &dyn SuiteOps,
    state: Option<&GroupState>,
    ids: &[PreSharedKeyId],
    psks: &dyn ExternalPsks,
    resumed: Option<&GroupState>,
) -> Result<Secret, Error> {
    let mut values = Vec::with_capacity(ids.len());
    let mut encoded_ids = Vec::with_capacity(ids.len());
    for id in ids {
        let value =
            match &id.psk {
                Psk::External { psk_id } => {
                    psks.external_psk(psk_id)
                        .ok_or(ValidationError::MissingPsk(
                            MissingPskReason::UnknownExternal,
                        ))?
                }
                Psk::Application {
                    component_id,
                    psk_id,
                } => psks.application_psk(*component_id, psk_id).ok_or(
                    ValidationError::MissingPsk(MissingPskReason::UnknownApplication),
                )?,
                Psk::Resumption {
                    usage,
                    psk_group_id,
                    psk_epoch,
                } => {
                    // A ReInit or branch PSK comes from the group being resumed, an application
                    // one from this group (RFC 9420 §8.6, §11). The two may share a group id (a
                    // ReInit that keeps it), so look in the expected group first and take the
                    // first group that has the id and still holds the epoch.
                    let order = match usage {
                        ResumptionPskUsage::Application => [state, resumed],
                        _ => [resumed, state],
                    };
                    let mut same_group = order
                        .into_iter()
                        .flatten()
                        .filter(|g| psk_group_id.as_slice() == g.context.group_id.as_slice())
                        .peekable();
                    if same_group.peek().is_none() {
                        return Err(ValidationError::MissingPsk(
                            MissingPskReason::ResumptionOfUnknownGroup,
                        )
                        .into());
                    }
                    same_group
                        .find_map(|g| g.resumption_psk(*psk_epoch).cloned())
                        .ok_or(ValidationError::MissingPsk(
                            MissingPskReason::ResumptionEpochNotRetained,
                        ))?
                }
            };
        values.push(value);
        encoded_ids.push(id.to_bytes()?);
    }
    let inputs: Vec<PskInput<'_>> = encoded_ids
        .iter()
        .zip(&values)
        .map(|(id, psk)| PskInput { id, psk })
        .collect();
    Ok(psk_secret(suite, &inputs)?)
}
