//! The sending side (RFC 9420 §10, §11, §12.4): KeyPackages, creating a group, committing
//! proposals with or without a path, Welcome and GroupInfo, and application messages.

use std::collections::VecDeque;

use cohort_codec::{Encode, VarBytes};
use cohort_credential::{Credential, CredentialType};
use cohort_crypto::{
    CipherSuite, CryptoProvider, HpkePublicKey, Secret, Signer, SuiteOps, labeled,
};
use cohort_key_schedule::{InitSecret, confirmation_tag, interim_transcript_hash};
use cohort_messages::extensions::{ExtensionPayload, ExternalPub};
use cohort_messages::framing::{Content, FramedContent, FramedContentAuthData, Mac, Sender};
use cohort_messages::group_context::GroupContext;
use cohort_messages::group_info::GroupInfo;
use cohort_messages::key_package::{KeyPackage, KeyPackageRef};
use cohort_messages::message::WireFormat;
use cohort_messages::proposal::{Add, Commit, Proposal, ProposalOrRef, Remove};
use cohort_messages::psk::PreSharedKeyId;
use cohort_messages::welcome::{EncryptedGroupSecrets, GroupSecrets, PathSecret, Welcome};
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::RatchetTree;
use cohort_tree::extension::Extension;
use cohort_tree::leaf::{
    Capabilities, LeafNode, LeafNodeSource, Lifetime, ProposalType, ProtocolVersion,
};
use cohort_tree::math::{self, LeafIndex};
use cohort_tree::treekem::{PrivateTree, encrypt_update_path, plan_update_path};

use crate::commit::{Applied, Resolved, apply_proposals, next_epoch, next_state};
use crate::config::GroupConfig;
use crate::framing::{PrivateOptions, seal_private, seal_public, sign_content};
use crate::group::{Group, KeyPackageSecrets};
use crate::psk::ExternalPsks;
use crate::reason::{CommitReason, ProposalListReason};
use crate::state::{EpochKeys, GroupState, GroupStatus};
use crate::{ApiMisuse, Error};

/// What a client puts in its leaf: credential, capabilities, lifetime and extensions.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LeafSpec {
    /// The credential binding the identity to the signature key.
    pub credential: Credential,
    /// Capabilities; the group's suite and version and the credential's type are added if
    /// missing.
    pub capabilities: Capabilities,
    /// KeyPackage lifetime: valid from `not_before` to `not_after` (seconds since the epoch).
    pub lifetime: Lifetime,
    /// Leaf extensions.
    pub extensions: Vec<Extension>,
    /// Extensions of the KeyPackage itself (not of its leaf), for example the `last_resort`
    /// marking ([`last_resort_extension`](crate::components::last_resort_extension)).
    pub key_package_extensions: Vec<Extension>,
}

impl LeafSpec {
    /// A leaf with `credential`, default capabilities, valid from `now` (less an hour of clock
    /// skew) for `days` days.
    pub fn new(credential: Credential, now: u64, days: u64) -> Self {
        Self {
            credential,
            capabilities: Capabilities::default(),
            lifetime: Lifetime {
                not_before: now.saturating_sub(3600),
                not_after: now.saturating_add(days.saturating_mul(86_400)),
            },
            extensions: Vec::new(),
            key_package_extensions: Vec::new(),
        }
    }

    pub(crate) fn capabilities_for(&self, cs: CipherSuite) -> Capabilities {
        let mut caps = self.capabilities.clone();
        if !caps.versions.contains(&ProtocolVersion::MLS10) {
            caps.versions.push(ProtocolVersion::MLS10);
        }
        if !caps.cipher_suites.contains(&cs) {
            caps.cipher_suites.push(cs);
        }
        let ct = self.credential.credential_type();
        if !caps.credentials.contains(&ct) {
            caps.credentials.push(ct);
        }
        if !caps.credentials.contains(&CredentialType::BASIC) {
            caps.credentials.push(CredentialType::BASIC);
        }
        caps
    }
}

/// Creates a signed KeyPackage (RFC 9420 §10) and the private keys that go with it.
///
/// # Errors
/// [`ApiMisuse::UnsupportedCipherSuite`]; a crypto failure.
pub fn create_key_package(
    provider: &dyn CryptoProvider,
    cs: CipherSuite,
    signer: &dyn Signer,
    spec: &LeafSpec,
) -> Result<(KeyPackage, KeyPackageSecrets), Error> {
    let suite = provider
        .suite(cs)
        .ok_or(ApiMisuse::UnsupportedCipherSuite(cs.0))?;
    let (encryption_private, encryption_key) = suite.kem_generate()?;
    let (init_private, init_key) = suite.kem_generate()?;
    let mut leaf = LeafNode {
        encryption_key,
        signature_key: signer.public_key().clone(),
        credential: spec.credential.clone(),
        capabilities: spec.capabilities_for(cs),
        leaf_node_source: LeafNodeSource::KeyPackage(spec.lifetime),
        extensions: spec.extensions.clone(),
        signature: VarBytes::default(),
    };
    leaf.signature =
        labeled::sign_with_label(signer, b"LeafNodeTBS", &leaf.to_be_signed(None)?)?.into();
    let mut kp = KeyPackage {
        version: ProtocolVersion::MLS10,
        cipher_suite: cs,
        init_key,
        leaf_node: leaf,
        extensions: spec.key_package_extensions.clone(),
        signature: VarBytes::default(),
    };
    kp.signature = labeled::sign_with_label(signer, b"KeyPackageTBS", &kp.to_be_signed()?)?.into();
    Ok((
        kp,
        KeyPackageSecrets {
            init_key: init_private,
            encryption_key: encryption_private,
        },
    ))
}

/// The KeyPackageRef of `kp` (RFC 9420 §5.2), with the hash of the KeyPackage's own suite.
///
/// # Errors
/// [`ApiMisuse::UnsupportedCipherSuite`]; a crypto failure.
pub fn key_package_ref(
    provider: &dyn CryptoProvider,
    kp: &KeyPackage,
) -> Result<KeyPackageRef, Error> {
    let suite = provider
        .suite(kp.cipher_suite)
        .ok_or(ApiMisuse::UnsupportedCipherSuite(kp.cipher_suite.0))?;
    let r = labeled::make_key_package_ref(&*suite, &kp.to_bytes()?)?;
    Ok(KeyPackageRef(r.0))
}

/// How handshake messages are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HandshakeFormat {
    /// PublicMessage: readable by the Delivery Service.
    #[default]
    Public,
    /// PrivateMessage: encrypted to the group.
    Private,
}

/// Choices for one commit. [`CommitOptions::new`] and [`Default`] give the same options.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CommitOptions {
    /// Include a path even when no proposal requires one (a self-update).
    pub force_path: bool,
    /// Framing of the commit message.
    pub format: HandshakeFormat,
    /// Put the ratchet tree in the Welcome's GroupInfo.
    pub ratchet_tree_in_welcome: bool,
    /// Authenticated data of the commit message.
    pub authenticated_data: Vec<u8>,
    /// A new credential for our leaf, carried by the commit's path (for example a renewed
    /// certificate). Receivers' Authentication Service must accept it as our successor.
    pub new_credential: Option<Credential>,
    /// Also return a signed GroupInfo of the new epoch, for external joiners
    /// ([`CommitOutput::group_info`]; RFC 9420 §12.4.3.1). With the ratchet tree in it, a
    /// GroupInfo is the size of the tree and signing it hashes all of it: turn this off when no
    /// one joins by external commit, or publish one when needed with
    /// [`Group::group_info`](crate::Group::group_info).
    pub group_info: bool,
}

impl CommitOptions {
    /// Defaults: PublicMessage, no forced path, the tree in the Welcome, a GroupInfo for
    /// external joiners.
    pub fn new() -> Self {
        Self {
            force_path: false,
            format: HandshakeFormat::default(),
            ratchet_tree_in_welcome: true,
            authenticated_data: Vec::new(),
            new_credential: None,
            group_info: true,
        }
    }
}

impl Default for CommitOptions {
    /// The same as [`CommitOptions::new`].
    fn default() -> Self {
        Self::new()
    }
}

/// What a commit produces: send `commit` to the group and `welcome` to the new members.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CommitOutput {
    /// The commit, to send to the group.
    pub commit: MlsMessage,
    /// The Welcome for the members added, if any.
    pub welcome: Option<MlsMessage>,
    /// The GroupInfo of the new epoch (with `external_pub`, and the ratchet tree when
    /// [`CommitOptions::ratchet_tree_in_welcome`] is set), for external joiners; `None` when
    /// [`CommitOptions::group_info`] is off.
    pub group_info: Option<MlsMessage>,
}

/// A commit we created, waiting for the Delivery Service to confirm it.
#[derive(Debug, Clone)]
pub(crate) struct PendingCommit {
    pub(crate) next: GroupState,
    pub(crate) message: Vec<u8>,
    pub(crate) summary: crate::CommitSummary,
}

impl Group {
    /// Creates a one-member group (RFC 9420 §11).
    ///
    /// # Errors
    /// [`ApiMisuse::UnsupportedCipherSuite`]; a crypto failure.
    #[allow(
        clippy::too_many_arguments,
        reason = "the creator's choices of RFC 9420 §11"
    )]
    pub fn create(
        provider: &dyn CryptoProvider,
        cs: CipherSuite,
        signer: &dyn Signer,
        spec: &LeafSpec,
        group_id: Vec<u8>,
        extensions: Vec<Extension>,
        config: GroupConfig,
    ) -> Result<Self, Error> {
        let suite = provider
            .suite(cs)
            .ok_or(ApiMisuse::UnsupportedCipherSuite(cs.0))?;
        let s = &*suite;
        // The GroupContext extensions pass the checks a receiver makes of a
        // GroupContextExtensions: no type twice (V-13.4-03), and only GroupContext types
        // (V-13.4-06, a strict check).
        crate::validate::check_extensions(
            &config,
            &extensions,
            crate::validate::Container::GroupContext,
        )?;
        let (kp, secrets) = create_key_package(provider, cs, signer, spec)?;
        let mut tree = RatchetTree::with_first_leaf(kp.leaf_node);
        let context = GroupContext {
            version: ProtocolVersion::MLS10,
            cipher_suite: cs,
            group_id: group_id.into(),
            epoch: 0,
            tree_hash: tree.tree_hash(s)?.into(),
            confirmed_transcript_hash: VarBytes::default(),
            extensions,
        };
        let context_bytes = context.to_bytes()?;
        let zero = vec![0u8; s.hash_len()];
        let init = InitSecret::random(s)?;
        let epoch = init
            .joiner_secret(s, &zero, &context_bytes)
            .and_then(|j| j.into_epoch(s, &zero, &context_bytes))?;
        let tag = confirmation_tag(s, epoch.confirmation_key.as_bytes(), &[])?;
        let interim = interim_transcript_hash(s, &[], &tag)?;
        let keys = EpochKeys::new(epoch, 1, &config);
        let state = GroupState {
            context,
            tree,
            private: PrivateTree::new(LeafIndex(0), secrets.encryption_key),
            interim_transcript_hash: interim,
            confirmation_tag: tag,
            keys,
            proposals: Vec::new(),
            past_resumption_psks: VecDeque::new(),
            past_epochs: VecDeque::new(),
            config,
            status: GroupStatus::Active,
            reinit: None,
        };
        Ok(Group::from_parts(suite, state))
    }

    /// Commits `proposals` (by value) plus every proposal cached this epoch (by reference),
    /// with a path when required or forced. The commit stays pending: after the Delivery Service
    /// accepts it, call [`Group::merge_pending_commit`] (or process the echoed commit); if it is
    /// rejected, [`Group::clear_pending_commit`].
    ///
    /// # Errors
    /// [`Error::Invalid`] when the proposals are invalid (the same checks receivers make);
    /// [`Error::Misuse`]; a crypto failure.
    pub fn commit(
        &mut self,
        signer: &dyn Signer,
        proposals: Vec<Proposal>,
        options: &CommitOptions,
        psks: &dyn ExternalPsks,
        now: Option<u64>,
    ) -> Result<CommitOutput, Error> {
        self.commit_inner(signer, proposals, options, psks, now, None)
    }

    /// [`Group::commit`], and for the first commit of a reinitialized or branched group (RFC
    /// 9420 §11.2, §11.3) the resumption PSK of the old group: its PreSharedKey proposal goes
    /// on the wire by value but skips the proposal checks, which reject reinit and branch
    /// usages everywhere else (V-12.1.4-01/02).
    pub(crate) fn commit_inner(
        &mut self,
        signer: &dyn Signer,
        proposals: Vec<Proposal>,
        options: &CommitOptions,
        psks: &dyn ExternalPsks,
        now: Option<u64>,
        resumption: Option<(&GroupState, PreSharedKeyId)>,
    ) -> Result<CommitOutput, Error> {
        self.ensure_active()?;
        let suite = self.suite_arc();
        let s = &*suite;
        let state = self.state().clone();
        let own = state.private.own_leaf;
        // Our own Updates stay out: the committer may not cover them (RFC 9420 §12.2), and the
        // commit's path refreshes our leaf anyway.
        // Nor our own SelfRemoves: a committer cannot remove itself.
        let covered = || {
            state.proposals.iter().filter(|c| {
                !(c.sender == Sender::Member(own)
                    && matches!(c.proposal, Proposal::Update(_) | Proposal::SelfRemove(_)))
            })
        };
        let mut resolved: Vec<Resolved> = covered()
            .map(|c| Resolved {
                proposal: c.proposal.clone(),
                sender: c.sender,
            })
            .collect();
        let mut list: Vec<ProposalOrRef> = covered()
            .map(|c| {
                ProposalOrRef::Reference(cohort_messages::proposal::ProposalRef(
                    c.reference.clone().into(),
                ))
            })
            .collect();
        for p in proposals {
            // Receivers refuse a SelfRemove by value (X-SR-04): send it with `propose`.
            if matches!(p, Proposal::SelfRemove(_)) {
                return Err(crate::ValidationError::InvalidProposalList(
                    ProposalListReason::SelfRemoveByValue,
                )
                .into());
            }
            resolved.push(Resolved {
                proposal: p.clone(),
                sender: Sender::Member(own),
            });
            list.push(ProposalOrRef::Proposal(p));
        }
        let now = if state.config.lifetime.check_expiry {
            now
        } else {
            None
        };
        let Applied {
            mut tree,
            extensions,
            joiners,
            mut psk_ids,
            mut summary,
            path_required,
        } = apply_proposals(s, &state, own, &resolved, now)?;
        let resumed = match resumption {
            Some((old, id)) => {
                list.push(ProposalOrRef::Proposal(Proposal::PreSharedKey(
                    cohort_messages::proposal::PreSharedKey { psk: id.clone() },
                )));
                psk_ids.push(id);
                summary.psks = psk_ids.clone();
                Some(old)
            }
            None => None,
        };
        if summary.removes_us {
            return Err(crate::ValidationError::InvalidProposalList(
                ProposalListReason::CommitterRemoved,
            )
            .into());
        }
        // New members advertise the group's media types (draft-ietf-mls-extensions, a SHOULD
        // on the adder: receivers do not check it).
        crate::components::check_joiners_media_types(
            &extensions,
            joiners.iter().map(|(_, kp)| &kp.leaf_node),
        )?;
        let joiner_leaves: Vec<LeafIndex> = joiners.iter().map(|(l, _)| *l).collect();
        let mut provisional = GroupContext {
            epoch: state.context.epoch.checked_add(1).ok_or(
                crate::ValidationError::InvalidCommit(CommitReason::EpochOverflow),
            )?,
            extensions,
            ..state.context.clone()
        };
        let (path, commit_secret, private, plan) = if path_required || options.force_path {
            let plan = plan_update_path(&mut tree, s, own)?;
            let mut leaf = state
                .tree
                .leaf(own)
                .cloned()
                .ok_or(Error::Internal("our leaf is blank"))?;
            leaf.encryption_key = plan.leaf_public_key().clone();
            leaf.leaf_node_source = LeafNodeSource::Commit(plan.leaf_parent_hash().to_vec().into());
            if let Some(credential) = &options.new_credential {
                leaf.credential = credential.clone();
            }
            let tbs = leaf.to_be_signed(Some((&state.context.group_id, own)))?;
            leaf.signature = labeled::sign_with_label(signer, b"LeafNodeTBS", &tbs)?.into();
            tree.set_leaf(own, leaf.clone())?;
            provisional.tree_hash = tree.tree_hash(s)?.into();
            let path = encrypt_update_path(
                &tree,
                s,
                &plan,
                leaf,
                &provisional.to_bytes()?,
                &joiner_leaves,
            )?;
            let secret = plan.commit_secret().clone();
            let private = plan.private_tree();
            (Some(path), secret, private, Some(plan))
        } else {
            provisional.tree_hash = tree.tree_hash(s)?.into();
            (
                None,
                Secret::new(vec![0; s.hash_len()]),
                state.private.clone(),
                None,
            )
        };
        let content = FramedContent {
            group_id: state.context.group_id.clone(),
            epoch: state.context.epoch,
            sender: Sender::Member(own),
            authenticated_data: crate::components::outgoing_aad(
                &state.context,
                &options.authenticated_data,
            )?,
            content: Content::Commit(Commit {
                proposals: list,
                path,
            }),
        };
        let wire_format = match options.format {
            HandshakeFormat::Public => WireFormat::PUBLIC_MESSAGE,
            HandshakeFormat::Private => WireFormat::PRIVATE_MESSAGE,
        };
        let signature = sign_content(signer, wire_format, &content, &state.context)?;
        let next = next_epoch(
            s,
            &state,
            provisional,
            wire_format,
            &content,
            &signature,
            &commit_secret,
            &psk_ids,
            psks,
            resumed,
        )?;
        let tag = confirmation_tag(s, next.secrets.confirmation_key.as_bytes(), &next.confirmed)?;
        let interim = interim_transcript_hash(s, &next.confirmed, &tag)?;
        let tag_bytes = tag.clone();
        let auth = FramedContentAuthData {
            signature,
            confirmation_tag: Some(Mac(tag.clone().into())),
        };
        // Protect with the keys of the epoch the commit is sent in.
        let mut sent_state = state.clone();
        let body = match options.format {
            HandshakeFormat::Public => MlsMessageBody::PublicMessage(seal_public(
                s,
                content,
                auth,
                &state.context,
                state.keys.membership_key.as_bytes(),
            )?),
            HandshakeFormat::Private => MlsMessageBody::PrivateMessage(seal_private(
                s,
                content,
                auth,
                &mut sent_state.keys.secret_tree,
                state.keys.sender_data_secret.as_bytes(),
                PrivateOptions {
                    padding: 0,
                    reuse_guard: random_guard(s)?,
                },
            )?),
        };
        let commit_message = MlsMessage::new(body);
        // GroupInfo of the new epoch, signed by us: for the Welcome and, if asked, for external
        // joiners. Skipped when neither wants it (its signature hashes the whole tree).
        let group_info = if options.group_info || !joiners.is_empty() {
            let external_pub = s.kem_derive(next.secrets.external_secret.as_bytes())?.1;
            let mut gi_extensions = vec![ExternalPub { external_pub }.to_extension()?];
            if options.ratchet_tree_in_welcome {
                gi_extensions.push(tree.to_nodes().to_extension()?);
            }
            let mut group_info = GroupInfo {
                group_context: next.context.clone(),
                extensions: gi_extensions,
                confirmation_tag: Mac(tag.into()),
                signer: own,
                signature: VarBytes::default(),
            };
            group_info.signature =
                labeled::sign_with_label(signer, b"GroupInfoTBS", &group_info.to_be_signed()?)?
                    .into();
            Some(group_info)
        } else {
            None
        };
        let welcome = match &group_info {
            Some(group_info) if !joiners.is_empty() => {
                Some(MlsMessage::new(MlsMessageBody::Welcome(build_welcome(
                    s,
                    &next,
                    group_info,
                    &joiners,
                    own,
                    plan.as_ref(),
                    &psk_ids,
                )?)))
            }
            _ => None,
        };
        let mut next_group = next_state(&sent_state, next, tree, private, interim, tag_bytes);
        crate::commit::mark_reinit(&mut next_group, &summary);
        self.set_pending(PendingCommit {
            next: next_group,
            message: commit_message.to_bytes()?,
            summary,
        });
        // Sending a PrivateMessage consumed a handshake key, whatever happens to the commit.
        if options.format == HandshakeFormat::Private {
            self.state_mut().keys.secret_tree = sent_state.keys.secret_tree;
        }
        Ok(CommitOutput {
            commit: commit_message,
            welcome,
            group_info: group_info
                .filter(|_| options.group_info)
                .map(|gi| MlsMessage::new(MlsMessageBody::GroupInfo(gi))),
        })
    }

    /// Sends `proposal` to the group (RFC 9420 §12.1) and caches it, so that any member,
    /// ourselves included, can commit it by reference. Returns the message to send.
    ///
    /// Update proposals are not offered: refresh our keys with [`Group::self_update`].
    ///
    /// # Errors
    /// [`Error::Invalid`] when the proposal is invalid (the checks receivers make);
    /// [`ApiMisuse`] for an Update or ExternalInit; a crypto failure.
    pub fn propose(
        &mut self,
        signer: &dyn Signer,
        proposal: Proposal,
        format: HandshakeFormat,
        now: Option<u64>,
    ) -> Result<MlsMessage, Error> {
        if matches!(proposal, Proposal::Update(_) | Proposal::ExternalInit(_)) {
            return Err(ApiMisuse::UnsupportedProposal.into());
        }
        if matches!(proposal, Proposal::SelfRemove(_)) && format != HandshakeFormat::Public {
            return Err(crate::ValidationError::InvalidProposal(
                crate::reason::ProposalReason::SelfRemoveNotPublic,
            )
            .into());
        }
        self.propose_inner(signer, proposal, None, format, now)
    }

    /// Proposes that we leave the group (draft-ietf-mls-extensions, SelfRemove): a
    /// PublicMessage that any other member, or a client joining by external commit, commits by
    /// reference. It is sent at the type every member lists in its capabilities: the draft's
    /// [`ProposalType::SELF_REMOVE`], else mls-rs's [`ProposalType::SELF_REMOVE_MLS_RS`]
    /// (whose receivers in cohort need [`cohort_codec::DecodeOptions::self_remove_alias`]).
    /// A client sends at most one SelfRemove per epoch: a second call returns the message of
    /// the first.
    ///
    /// # Errors
    /// [`Error::Invalid`] with
    /// [`ProposalReason::SelfRemoveUnsupported`](crate::reason::ProposalReason::SelfRemoveUnsupported)
    /// when some member supports neither; a crypto failure.
    pub fn propose_self_remove(
        &mut self,
        signer: &dyn Signer,
        now: Option<u64>,
    ) -> Result<MlsMessage, Error> {
        // One SelfRemove per epoch (X-SR-09): once sent, the same message is returned again.
        let own = Sender::Member(self.state().private.own_leaf);
        let sent = self
            .state()
            .proposals
            .iter()
            .find_map(|c| match &c.proposal {
                Proposal::SelfRemove(sr) if c.sender == own => {
                    c.sent.as_ref().map(|bytes| (sr.code_point, bytes))
                }
                _ => None,
            });
        if let Some((code_point, bytes)) = sent {
            let options =
                cohort_codec::DecodeOptions::default().with_self_remove_alias(Some(code_point.0));
            return Ok(<MlsMessage as cohort_codec::Decode>::from_bytes_with(
                bytes, options,
            )?);
        }
        let code_point =
            self.self_remove_code_point()
                .ok_or(crate::ValidationError::InvalidProposal(
                    crate::reason::ProposalReason::SelfRemoveUnsupported,
                ))?;
        let proposal = Proposal::SelfRemove(cohort_messages::proposal::SelfRemove { code_point });
        self.propose_inner(signer, proposal, None, HandshakeFormat::Public, now)
    }

    /// The type at which this group's members can all receive a SelfRemove: the draft's, else
    /// mls-rs's; `None` when the group is not self-remove-capable.
    pub fn self_remove_code_point(&self) -> Option<ProposalType> {
        [ProposalType::SELF_REMOVE, ProposalType::SELF_REMOVE_MLS_RS]
            .into_iter()
            .find(|t| crate::validate::check_self_remove_support(&self.state().tree, *t).is_ok())
    }

    /// Proposes injecting the external PSK `psk_id` into the next epoch (RFC 9420 §12.1.4), with
    /// a fresh nonce of the KDF's output length (§8.4). Every member, the committer included,
    /// needs the PSK to process the commit that covers it.
    ///
    /// # Errors
    /// As [`Group::propose`]; a crypto failure.
    pub fn propose_external_psk(
        &mut self,
        signer: &dyn Signer,
        psk_id: &[u8],
        format: HandshakeFormat,
        now: Option<u64>,
    ) -> Result<MlsMessage, Error> {
        let psk = crate::psk::fresh_psk_id(
            &*self.suite_arc(),
            cohort_messages::psk::Psk::External {
                psk_id: psk_id.to_vec().into(),
            },
        )?;
        let proposal = Proposal::PreSharedKey(cohort_messages::proposal::PreSharedKey { psk });
        self.propose(signer, proposal, format, now)
    }

    /// Proposes to refresh our leaf (RFC 9420 §12.1.2): an Update with a fresh HPKE key, whose
    /// private key the group keeps until a commit by another member covers the proposal (a
    /// commit of ours leaves our own Updates out: its path refreshes the leaf anyway). The
    /// credential stays the same.
    ///
    /// # Errors
    /// As [`Group::propose`]; a crypto failure.
    pub fn propose_update(
        &mut self,
        signer: &dyn Signer,
        format: HandshakeFormat,
        now: Option<u64>,
    ) -> Result<MlsMessage, Error> {
        self.ensure_active()?;
        let suite = self.suite_arc();
        let s = &*suite;
        let state = self.state();
        let own = state.private.own_leaf;
        let mut leaf = state
            .tree
            .leaf(own)
            .cloned()
            .ok_or(Error::Internal("our own leaf is blank"))?;
        let (private, public) = s.kem_generate()?;
        leaf.encryption_key = public;
        leaf.leaf_node_source = LeafNodeSource::Update;
        let tbs = leaf.to_be_signed(Some((&state.context.group_id, own)))?;
        leaf.signature = labeled::sign_with_label(signer, b"LeafNodeTBS", &tbs)?.into();
        let proposal = Proposal::Update(cohort_messages::proposal::Update { leaf_node: leaf });
        self.propose_inner(signer, proposal, Some(private), format, now)
    }

    fn propose_inner(
        &mut self,
        signer: &dyn Signer,
        proposal: Proposal,
        update_key: Option<cohort_crypto::HpkePrivateKey>,
        format: HandshakeFormat,
        now: Option<u64>,
    ) -> Result<MlsMessage, Error> {
        self.ensure_active()?;
        let suite = self.suite_arc();
        let s = &*suite;
        let state = self.state().clone();
        let own = state.private.own_leaf;
        let now = if state.config.lifetime.check_expiry {
            now
        } else {
            None
        };
        crate::commit::validate_proposal(s, &state, Sender::Member(own), &proposal, now)?;
        let content = FramedContent {
            group_id: state.context.group_id.clone(),
            epoch: state.context.epoch,
            sender: Sender::Member(own),
            authenticated_data: crate::components::outgoing_aad(&state.context, &[])?,
            content: Content::Proposal(proposal.clone()),
        };
        let wire_format = match format {
            HandshakeFormat::Public => WireFormat::PUBLIC_MESSAGE,
            HandshakeFormat::Private => WireFormat::PRIVATE_MESSAGE,
        };
        let signature = sign_content(signer, wire_format, &content, &state.context)?;
        let auth = FramedContentAuthData {
            signature,
            confirmation_tag: None,
        };
        let authenticated = cohort_messages::framing::AuthenticatedContent {
            wire_format,
            content: content.clone(),
            auth: auth.clone(),
        };
        let reference = labeled::make_proposal_ref(s, &authenticated.to_bytes()?)?;
        let guard = random_guard(s)?;
        let target = self.state_mut();
        let body = match format {
            HandshakeFormat::Public => MlsMessageBody::PublicMessage(seal_public(
                s,
                content,
                auth,
                &state.context,
                state.keys.membership_key.as_bytes(),
            )?),
            HandshakeFormat::Private => MlsMessageBody::PrivateMessage(seal_private(
                s,
                content,
                auth,
                &mut target.keys.secret_tree,
                state.keys.sender_data_secret.as_bytes(),
                PrivateOptions {
                    padding: 0,
                    reuse_guard: guard,
                },
            )?),
        };
        let message = MlsMessage::new(body);
        target.proposals.push(crate::state::CachedProposal {
            reference: reference.as_slice().to_vec(),
            proposal,
            sender: Sender::Member(own),
            sent: Some(message.to_bytes()?),
            update_key,
        });
        Ok(message)
    }

    /// A signed GroupInfo of the current epoch (RFC 9420 §12.4.3) with `external_pub`, so a
    /// client can join by external commit, and the ratchet tree when `with_ratchet_tree`.
    ///
    /// # Errors
    /// A crypto or encoding failure.
    pub fn group_info(
        &self,
        signer: &dyn Signer,
        with_ratchet_tree: bool,
    ) -> Result<MlsMessage, Error> {
        let state = self.state();
        let s = &*self.suite_arc();
        let external_pub = s.kem_derive(state.keys.external_secret.as_bytes())?.1;
        let mut extensions = vec![ExternalPub { external_pub }.to_extension()?];
        if with_ratchet_tree {
            extensions.push(state.tree.to_nodes().to_extension()?);
        }
        let mut group_info = GroupInfo {
            group_context: state.context.clone(),
            extensions,
            confirmation_tag: Mac(state.confirmation_tag.clone().into()),
            signer: state.private.own_leaf,
            signature: VarBytes::default(),
        };
        group_info.signature =
            labeled::sign_with_label(signer, b"GroupInfoTBS", &group_info.to_be_signed()?)?.into();
        Ok(MlsMessage::new(MlsMessageBody::GroupInfo(group_info)))
    }

    /// Adds the clients of `key_packages` with one commit (with a path, for post-compromise
    /// security of the new epoch).
    ///
    /// # Errors
    /// As [`Group::commit`].
    pub fn add_members(
        &mut self,
        signer: &dyn Signer,
        key_packages: Vec<KeyPackage>,
        options: &CommitOptions,
        now: Option<u64>,
    ) -> Result<CommitOutput, Error> {
        let proposals = key_packages
            .into_iter()
            .map(|key_package| Proposal::Add(Add { key_package }))
            .collect();
        let mut options = options.clone();
        options.force_path = true;
        self.commit(signer, proposals, &options, &crate::NoPsks, now)
    }

    /// Removes the members at `leaves` with one commit.
    ///
    /// # Errors
    /// As [`Group::commit`].
    pub fn remove_members(
        &mut self,
        signer: &dyn Signer,
        leaves: &[LeafIndex],
        options: &CommitOptions,
        now: Option<u64>,
    ) -> Result<CommitOutput, Error> {
        let proposals = leaves
            .iter()
            .map(|l| Proposal::Remove(Remove { removed: *l }))
            .collect();
        self.commit(signer, proposals, options, &crate::NoPsks, now)
    }

    /// Refreshes our leaf and path keys with an empty commit (post-compromise security).
    ///
    /// # Errors
    /// As [`Group::commit`].
    pub fn self_update(
        &mut self,
        signer: &dyn Signer,
        options: &CommitOptions,
        now: Option<u64>,
    ) -> Result<CommitOutput, Error> {
        self.commit(signer, Vec::new(), options, &crate::NoPsks, now)
    }

    /// Encrypts application data as a PrivateMessage with the next key of our application
    /// ratchet (consumed at once), padded with `padding` zero bytes.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the group is inactive; a crypto failure.
    pub fn encrypt_application(
        &mut self,
        signer: &dyn Signer,
        data: &[u8],
        authenticated_data: &[u8],
        padding: usize,
    ) -> Result<MlsMessage, Error> {
        self.ensure_active()?;
        let suite = self.suite_arc();
        let state = self.state_mut();
        let message = seal_application(
            &*suite,
            signer,
            (&state.context, state.private.own_leaf),
            (
                &mut state.keys.secret_tree,
                state.keys.sender_data_secret.as_bytes(),
            ),
            (data, authenticated_data),
            padding,
        )?;
        Ok(MlsMessage::new(MlsMessageBody::PrivateMessage(message)))
    }
}

/// Application data from our leaf `own_leaf` in `context`, signed and encrypted with the next
/// key of our application ratchet (full and light members alike).
pub(crate) fn seal_application(
    s: &dyn SuiteOps,
    signer: &dyn Signer,
    (context, own_leaf): (&GroupContext, LeafIndex),
    (secret_tree, sender_data_secret): (&mut cohort_key_schedule::SecretTree, &[u8]),
    (data, authenticated_data): (&[u8], &[u8]),
    padding: usize,
) -> Result<cohort_messages::framing::PrivateMessage, Error> {
    let reuse_guard = random_guard(s)?;
    let content = FramedContent {
        group_id: context.group_id.clone(),
        epoch: context.epoch,
        sender: Sender::Member(own_leaf),
        authenticated_data: crate::components::outgoing_aad(context, authenticated_data)?,
        content: Content::Application(data.to_vec().into()),
    };
    crate::framing::protect_private(
        s,
        signer,
        content,
        None,
        context,
        secret_tree,
        sender_data_secret,
        PrivateOptions {
            padding,
            reuse_guard,
        },
    )
}

/// Four fresh random bytes for a reuse guard.
fn random_guard(s: &dyn SuiteOps) -> Result<[u8; 4], Error> {
    let mut guard = [0u8; 4];
    s.random_fill(&mut guard)?;
    Ok(guard)
}

/// Encrypts the GroupInfo and one GroupSecrets per joiner (RFC 9420 §12.4.3.1).
fn build_welcome(
    s: &dyn SuiteOps,
    next: &crate::commit::NextEpoch,
    group_info: &GroupInfo,
    joiners: &[(LeafIndex, KeyPackage)],
    own: LeafIndex,
    plan: Option<&cohort_tree::treekem::PathPlan>,
    psk_ids: &[PreSharedKeyId],
) -> Result<Welcome, Error> {
    let welcome_secret = next.joiner.welcome_secret(s, next.psk_secret.as_bytes())?;
    let (key, nonce) = welcome_secret.key_and_nonce(s)?;
    let encrypted_group_info = s.aead_seal(
        key.as_bytes(),
        nonce.as_bytes(),
        &[],
        &group_info.to_bytes()?,
    )?;
    // Each new member's GroupSecrets, encoded (they hold the joiner secret: zeroized on drop).
    let mut plaintexts = Vec::with_capacity(joiners.len());
    for (leaf, _) in joiners {
        let path_secret = match plan {
            Some(plan) => {
                let ancestor = math::common_ancestor(leaf.node(), own.node());
                plan.path_secret_for(ancestor).map(|p| PathSecret {
                    path_secret: p.as_bytes().to_vec().into(),
                })
            }
            None => None,
        };
        let group_secrets = GroupSecrets {
            joiner_secret: next.joiner.as_bytes().to_vec().into(),
            path_secret,
            psks: psk_ids.to_vec(),
        };
        plaintexts.push(zeroize::Zeroizing::new(group_secrets.to_bytes()?));
    }
    // The HPKE encryptions are independent: spread over the cores, each thread sharing the work
    // that depends only on the (large) encrypted GroupInfo.
    /// Below this many new members per thread a thread costs more than it saves.
    const PER_THREAD: usize = 4;
    let recipients: Vec<(&KeyPackage, &[u8])> = joiners
        .iter()
        .zip(&plaintexts)
        .map(|((_, kp), pt)| (kp, pt.as_slice()))
        .collect();
    let seal = |chunk: &[(&KeyPackage, &[u8])]| -> Result<Vec<EncryptedGroupSecrets>, Error> {
        let keyed: Vec<(&HpkePublicKey, &[u8])> =
            chunk.iter().map(|(kp, pt)| (&kp.init_key, *pt)).collect();
        let cts = labeled::encrypt_with_label_many(s, b"Welcome", &encrypted_group_info, &keyed)?;
        chunk
            .iter()
            .zip(cts)
            .map(|((kp, _), ct)| {
                let r = labeled::make_key_package_ref(s, &kp.to_bytes()?)?;
                Ok(EncryptedGroupSecrets {
                    new_member: KeyPackageRef(r.0),
                    encrypted_group_secrets: ct,
                })
            })
            .collect()
    };
    let mut secrets = Vec::with_capacity(joiners.len());
    for chunk in crate::parallel::map_chunks(&recipients, PER_THREAD, seal)? {
        secrets.extend(chunk?);
    }
    Ok(Welcome {
        cipher_suite: group_info.group_context.cipher_suite,
        secrets,
        encrypted_group_info: encrypted_group_info.into(),
    })
}
