//! Light ("partial") members of draft-ietf-mls-partial-02: members that hold the group's
//! secrets and their own path's keys, never the ratchet tree. What a full member reads from
//! the tree, a light member takes from membership proofs checked against the tree hash the key
//! schedule binds (see `docs/light-clients.md` for what it trusts).
//!
//! This module joins from an `AnnotatedWelcome` (RFC 9420 §12.4.3.1 with the draft's changes):
//!
//! 1. the sender's and the joiner's proofs reference one tree;
//! 2. the GroupInfo is decrypted as usual; its signer is the sender proof's leaf, and its
//!    signature verifies under that leaf's key;
//! 3. the tree integrity checks are replaced by: the GroupContext's tree hash is the proofs'
//!    root tree hash;
//! 4. our leaf is the joiner proof's, which must be our KeyPackage's leaf, byte for byte;
//! 5. a path secret gives the keys of the common ancestor with the signer and of the non-blank
//!    nodes above it, each checked against the joiner proof's node;
//! 6. the epoch secrets come from the joiner secret and PSKs, and the confirmation tag must
//!    match.

use std::sync::Arc;

use cohort_codec::Encode;
use cohort_credential::Credential;
use cohort_crypto::{CryptoProvider, HpkePrivateKey, Secret, Signer, SoftwareHpkeKey, SuiteOps};
use cohort_key_schedule::{EpochSecrets, RatchetConfig, SecretTree, interim_transcript_hash};
use cohort_messages::MlsMessageBody;
use cohort_messages::framing::{
    ConfirmedTranscriptHashInput, Content, ContentType, PrivateMessage, Sender,
};
use cohort_messages::group_context::GroupContext;
use cohort_messages::key_package::KeyPackage;
use cohort_messages::partial::{AnnotatedCommit, AnnotatedWelcome, SenderAuthenticated};
use cohort_messages::proposal::{Proposal, ProposalOrRef};
use cohort_tree::extension as ext;
use cohort_tree::math::{self, LeafIndex};
use cohort_tree::membership::MembershipProof;
use cohort_tree::partial::{LightPathNode, light_decrypt_update_path, light_path_keys};

use crate::commit::resolve_psk_secret;
use crate::join::{verify_confirmation_tag, verify_group_info};
use crate::reason::{CommitReason, SenderReason, WireFormatReason};
use crate::{Error, ExternalPsks, KeyPackageSecrets, ValidationError};

/// A light member's state in one epoch.
#[derive(Clone)]
pub struct LightGroup {
    suite: Arc<dyn SuiteOps>,
    context: GroupContext,
    own_leaf: LeafIndex,
    leaf_key: HpkePrivateKey,
    path: Vec<LightPathNode>,
    /// The epoch's secrets; its encryption secret is consumed into `secret_tree` and empty.
    epoch: EpochSecrets,
    interim_transcript_hash: Vec<u8>,
    /// The epoch's secret tree, for application messages.
    secret_tree: SecretTree,
    /// Our membership proof in the epoch's tree: attached to what we send.
    own_proof: MembershipProof,
    /// The confirmation tag of the commit that began the epoch (a full member publishes it in
    /// its GroupInfo, after an upgrade).
    confirmation_tag: Vec<u8>,
}

/// An application message a light member read ([`LightGroup::process_application`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LightApplication {
    /// The sender's leaf.
    pub sender: LeafIndex,
    /// The sender's credential, from its membership proof (to be checked by the application's
    /// Authentication Service, as for a full member).
    pub credential: Credential,
    /// The application data.
    pub data: Vec<u8>,
    /// The message's authenticated data.
    pub authenticated_data: Vec<u8>,
}

/// The secret tree of an epoch whose tree has `n_leaves` leaves, from `epoch`'s encryption
/// secret, which it consumes (RFC 9420 §9: the secret is deleted once the tree is derived).
fn secret_tree_of(epoch: &mut EpochSecrets, n_leaves: u32) -> SecretTree {
    let secret = std::mem::replace(&mut epoch.encryption_secret, Secret::new(Vec::new()));
    SecretTree::new(secret, n_leaves, RatchetConfig::default())
}

impl std::fmt::Debug for LightGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LightGroup")
            .field("group_id", &self.context.group_id)
            .field("epoch", &self.context.epoch)
            .field("own_leaf", &self.own_leaf)
            .field(
                "path_nodes",
                &self.path.iter().map(|n| n.node).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl LightGroup {
    /// Joins as a light member from `welcome`, with our KeyPackage `key_package` and its
    /// private keys.
    ///
    /// # Errors
    /// [`ValidationError`] naming the failed check: proofs of different trees or not matching
    /// the GroupContext's tree hash, a signer other than the sender proof's leaf, a joiner
    /// proof for another leaf than ours, and the checks of an ordinary join (decryption, the
    /// GroupInfo signature, PSKs, the confirmation tag).
    pub fn join(
        provider: &dyn CryptoProvider,
        welcome: &AnnotatedWelcome,
        key_package: &KeyPackage,
        secrets: &KeyPackageSecrets,
        psks: &dyn ExternalPsks,
    ) -> Result<Self, Error> {
        let kp = key_package;
        let sender = &welcome.welcome.sender_membership_proof;
        let joiner = &welcome.joiner_membership_proof;
        // The GroupInfo, as in an ordinary join (a new group: external PSKs only).
        let crate::join::OpenedWelcome {
            suite,
            secrets: group_secrets,
            joiner: joiner_secret,
            psk_secret,
            group_info,
            ..
        } = crate::join::open_welcome(provider, &welcome.welcome.message, kp, secrets, psks, None)?;
        let s = &*suite;
        let context = group_info.group_context.clone();
        // One tree.
        let root = sender
            .same_tree(joiner, s)
            .map_err(ValidationError::InvalidMembershipProof)?;
        if ext::has_duplicates(&group_info.extensions) || ext::has_duplicates(&context.extensions) {
            return Err(ValidationError::DuplicateExtension.into());
        }
        if group_info.signer != sender.leaf_index {
            return Err(ValidationError::AnnotationMismatch(
                "the GroupInfo's signer is not the sender proof's leaf",
            )
            .into());
        }
        let signer_leaf = sender.leaf().ok_or(ValidationError::AnnotationMismatch(
            "the sender proof proves no leaf",
        ))?;
        verify_group_info(s, &group_info, &signer_leaf.signature_key)?;
        // 3. The tree hash.
        if root.as_slice() != context.tree_hash.as_slice() {
            return Err(ValidationError::InvalidMembershipProof(
                cohort_tree::membership::MembershipProofError::TreeHashMismatch,
            )
            .into());
        }
        // 4. Our leaf.
        if joiner.leaf() != Some(&kp.leaf_node) {
            return Err(ValidationError::AnnotationMismatch(
                "the joiner proof's leaf is not our KeyPackage's",
            )
            .into());
        }
        let own_leaf = joiner.leaf_index;
        SoftwareHpkeKey::from_key_pair(
            suite.clone(),
            secrets.encryption_key.clone(),
            kp.leaf_node.encryption_key.clone(),
        )?;
        // 5. The path secret.
        let path = match &group_secrets.path_secret {
            Some(p) => {
                let ancestor = math::common_ancestor(own_leaf.node(), group_info.signer.node());
                let secret = Secret::new(p.path_secret.as_slice().to_vec());
                light_path_keys(s, joiner, ancestor, secret)
                    .map_err(ValidationError::InvalidLightPath)?
                    .0
            }
            None => Vec::new(),
        };
        // 6. The epoch.
        let mut epoch =
            verify_confirmation_tag(s, &group_info, joiner_secret, psk_secret.as_bytes())?;
        let interim = interim_transcript_hash(
            s,
            &context.confirmed_transcript_hash,
            &group_info.confirmation_tag.0,
        )?;
        let secret_tree = secret_tree_of(&mut epoch, joiner.n_leaves);
        Ok(Self {
            suite,
            context,
            own_leaf,
            leaf_key: secrets.encryption_key.clone(),
            path,
            epoch,
            interim_transcript_hash: interim,
            secret_tree,
            own_proof: joiner.clone(),
            confirmation_tag: group_info.confirmation_tag.0.to_vec(),
        })
    }

    /// Processes an `AnnotatedCommit` sent as a PublicMessage (draft-ietf-mls-partial-02,
    /// "Annotated Commit") and moves to the next epoch. On any error the state is unchanged.
    ///
    /// The committer's proof before the commit is checked against the current tree hash and
    /// its leaf signs the commit; the proofs after the commit reference one tree whose hash is
    /// the annotation's `tree_hash_after`, and the receiver's is our leaf; only PreSharedKey and
    /// GroupContextExtensions proposals are applied (a light member cannot check the others);
    /// the path, if any, is decrypted where the annotation points; the confirmation tag binds
    /// the new epoch, `tree_hash_after` included.
    ///
    /// # Errors
    /// [`ValidationError`] naming the failed check. A PrivateMessage commit, or proposals by
    /// reference, are refused as not supported for light members yet.
    pub fn process_commit(
        &mut self,
        annotated: &AnnotatedCommit,
        psks: &dyn ExternalPsks,
    ) -> Result<(), Error> {
        let s = &*self.suite;
        let MlsMessageBody::PublicMessage(message) = &annotated.commit.body else {
            return Err(ValidationError::UnsupportedForLightMember(
                "a commit that is not a PublicMessage",
            )
            .into());
        };
        let content = &message.content;
        let Content::Commit(commit) = &content.content else {
            return Err(ValidationError::UnexpectedWireFormat(
                WireFormatReason::ContentTypeMismatch,
            )
            .into());
        };
        // The committer's key: its proof in the current tree (a member), or the path's leaf.
        let sender_key = match (content.sender, &annotated.sender_membership_proof) {
            (Sender::Member(leaf), Some(proof)) => {
                if proof.leaf_index != leaf {
                    return Err(ValidationError::AnnotationMismatch(
                        "the sender proof is not the committer's leaf",
                    )
                    .into());
                }
                proof
                    .verify(s, &self.context.tree_hash)
                    .map_err(ValidationError::InvalidMembershipProof)?;
                proof.leaf().map(|l| l.signature_key.clone()).ok_or(
                    ValidationError::AnnotationMismatch("the sender proof proves no leaf"),
                )?
            }
            (Sender::NewMemberCommit, None) => commit
                .path
                .as_ref()
                .map(|p| p.leaf_node.signature_key.clone())
                .ok_or(ValidationError::InvalidCommit(
                    CommitReason::ExternalCommitWithoutPath,
                ))?,
            _ => {
                return Err(ValidationError::AnnotationMismatch(
                    "a sender proof for a non-member, or none for a member",
                )
                .into());
            }
        };
        let authenticated = crate::framing::unprotect_public(
            s,
            message.clone(),
            &self.context,
            self.epoch.membership_key.as_bytes(),
            &sender_key,
        )?;
        // The tree after the commit.
        let sender_after = &annotated.sender_membership_proof_after;
        let receiver_after = &annotated.receiver_membership_proof_after;
        let root_after = sender_after
            .same_tree(receiver_after, s)
            .map_err(ValidationError::InvalidMembershipProof)?;
        if root_after.as_slice() != annotated.tree_hash_after.as_slice() {
            return Err(ValidationError::InvalidMembershipProof(
                cohort_tree::membership::MembershipProofError::TreeHashMismatch,
            )
            .into());
        }
        if receiver_after.leaf_index != self.own_leaf {
            return Err(
                ValidationError::AnnotationMismatch("the receiver proof is not our leaf").into(),
            );
        }
        // Proposals: only those that do not touch the tree apply.
        let mut psk_ids = Vec::new();
        let mut extensions = self.context.extensions.clone();
        for p in &commit.proposals {
            match p {
                ProposalOrRef::Proposal(Proposal::PreSharedKey(psk)) => {
                    psk_ids.push(psk.psk.clone())
                }
                ProposalOrRef::Proposal(Proposal::GroupContextExtensions(g)) => {
                    extensions = g.extensions.clone();
                }
                ProposalOrRef::Proposal(_) => {}
                ProposalOrRef::Reference(_) => {
                    return Err(ValidationError::UnsupportedForLightMember(
                        "proposals by reference",
                    )
                    .into());
                }
            }
        }
        let mut provisional = self.context.clone();
        provisional.epoch = provisional
            .epoch
            .checked_add(1)
            .ok_or(ValidationError::InvalidCommit(CommitReason::EpochOverflow))?;
        provisional.tree_hash = annotated.tree_hash_after.clone();
        provisional.extensions = extensions;
        // The path.
        let (commit_secret, new_path) = match (&commit.path, annotated.resolution_index) {
            (Some(path), Some(index)) => {
                if sender_after.leaf() != Some(&path.leaf_node) {
                    return Err(ValidationError::AnnotationMismatch(
                        "the sender proof after the commit does not hold the path's leaf",
                    )
                    .into());
                }
                let mut keys: Vec<(math::NodeIndex, HpkePrivateKey)> =
                    vec![(self.own_leaf.node(), self.leaf_key.clone())];
                keys.extend(self.path.iter().map(|n| (n.node, n.private_key.clone())));
                let light = light_decrypt_update_path(
                    s,
                    path,
                    index,
                    sender_after,
                    receiver_after,
                    &keys,
                    &provisional.to_bytes()?,
                )
                .map_err(ValidationError::InvalidLightPath)?;
                (light.commit_secret, Some(light.nodes))
            }
            (None, None) => (Secret::new(vec![0; s.hash_len()]), None),
            _ => {
                return Err(ValidationError::AnnotationMismatch(
                    "a resolution index without a path, or a path without one",
                )
                .into());
            }
        };
        // The new epoch.
        let input = ConfirmedTranscriptHashInput {
            wire_format: authenticated.wire_format,
            content: &authenticated.content,
            signature: &authenticated.auth.signature,
        }
        .to_bytes()?;
        let confirmed = cohort_key_schedule::confirmed_transcript_hash(
            s,
            &self.interim_transcript_hash,
            &input,
        )?;
        let mut context = provisional;
        context.confirmed_transcript_hash = confirmed.clone().into();
        let context_bytes = context.to_bytes()?;
        let psk_secret = resolve_psk_secret(s, None, &psk_ids, psks, None)?;
        let joiner = self.epoch.init_secret.clone().joiner_secret(
            s,
            commit_secret.as_bytes(),
            &context_bytes,
        )?;
        let mut epoch = joiner.into_epoch(s, psk_secret.as_bytes(), &context_bytes)?;
        let tag = authenticated
            .auth
            .confirmation_tag
            .as_ref()
            .ok_or(ValidationError::InvalidConfirmationTag)?;
        let expected = cohort_key_schedule::confirmation_tag(
            s,
            epoch.confirmation_key.as_bytes(),
            &confirmed,
        )?;
        if !tag.ct_eq(&expected) {
            return Err(ValidationError::InvalidConfirmationTag.into());
        }
        let interim = interim_transcript_hash(s, &confirmed, &tag.0)?;
        // Our path keys: the new ones from the common ancestor up; below it, those of nodes
        // still non-blank on our path after the commit.
        let path = match new_path {
            Some(new) => {
                let replaced: Vec<math::NodeIndex> = new.iter().map(|n| n.node).collect();
                let lowest = replaced.first().copied();
                let mut kept: Vec<LightPathNode> = std::mem::take(&mut self.path)
                    .into_iter()
                    .filter(|n| {
                        lowest.is_some_and(|l| {
                            cohort_tree::tree::is_descendant(n.node, l) && n.node != l
                        }) && receiver_after.parent_at(n.node).is_some()
                    })
                    .collect();
                kept.extend(new);
                kept
            }
            None => std::mem::take(&mut self.path)
                .into_iter()
                .filter(|n| receiver_after.parent_at(n.node).is_some())
                .collect(),
        };
        self.secret_tree = secret_tree_of(&mut epoch, receiver_after.n_leaves);
        self.own_proof = receiver_after.clone();
        self.confirmation_tag = tag.0.to_vec();
        self.context = context;
        self.epoch = epoch;
        self.interim_transcript_hash = interim;
        self.path = path;
        Ok(())
    }

    /// Reads an application message of the current epoch that carries its sender's membership
    /// proof (draft-ietf-mls-partial-02, "Application Messages"). The proof is checked against
    /// the epoch's tree hash before it is used; the sender the message names (in its encrypted
    /// sender data) must be the proof's leaf, whose signature key verifies the message. On any
    /// error the state is unchanged (no key is consumed).
    ///
    /// # Errors
    /// [`ValidationError::InvalidMembershipProof`] for a proof that does not verify,
    /// [`ValidationError::AnnotationMismatch`] for a proof of another leaf than the sender's,
    /// [`ValidationError::UnsupportedForLightMember`] for a handshake message, and the checks
    /// of an ordinary PrivateMessage (epoch, decryption, generation, signature).
    pub fn process_application(
        &mut self,
        message: &SenderAuthenticated<PrivateMessage>,
    ) -> Result<LightApplication, Error> {
        let s = &*self.suite;
        let proof = &message.sender_membership_proof;
        let private = &message.message;
        if private.content_type != ContentType::Application {
            return Err(ValidationError::UnsupportedForLightMember(
                "a handshake message as a PrivateMessage",
            )
            .into());
        }
        if private.epoch != self.context.epoch {
            return Err(ValidationError::WrongEpoch {
                got: private.epoch,
                expected: self.context.epoch,
            }
            .into());
        }
        proof
            .verify(s, &self.context.tree_hash)
            .map_err(ValidationError::InvalidMembershipProof)?;
        let leaf = proof.leaf().ok_or(ValidationError::AnnotationMismatch(
            "the sender proof proves no leaf",
        ))?;
        let named = std::cell::Cell::new(None);
        let content = crate::framing::unprotect_private(
            s,
            private,
            &self.context,
            &mut self.secret_tree,
            self.epoch.sender_data_secret.as_bytes(),
            |sender| {
                named.set(Some(sender));
                (sender == proof.leaf_index).then_some(&leaf.signature_key)
            },
        )
        .map_err(|e| match (e, named.get()) {
            (
                Error::Invalid(ValidationError::InvalidSender(
                    SenderReason::PrivateMessageFromBlankLeaf,
                )),
                Some(sender),
            ) if sender != proof.leaf_index => {
                ValidationError::AnnotationMismatch("the sender proof is not the sender's leaf")
                    .into()
            }
            (e, _) => e,
        })?;
        let Content::Application(data) = content.content.content else {
            return Err(ValidationError::UnexpectedWireFormat(
                WireFormatReason::ContentTypeMismatch,
            )
            .into());
        };
        Ok(LightApplication {
            sender: proof.leaf_index,
            credential: leaf.credential.clone(),
            data: data.into_vec(),
            authenticated_data: content.content.authenticated_data.into_vec(),
        })
    }

    /// Encrypts `data` for the group as a PrivateMessage from our leaf, signed with `signer`
    /// (the key of our leaf), padded with `padding` zero bytes, and carrying our membership
    /// proof so that other light members can verify it. A full member reads the inner
    /// PrivateMessage as any other.
    ///
    /// # Errors
    /// A crypto failure (drawing the reuse guard, deriving the key, signing).
    pub fn encrypt_application(
        &mut self,
        signer: &dyn Signer,
        data: &[u8],
        authenticated_data: &[u8],
        padding: usize,
    ) -> Result<SenderAuthenticated<PrivateMessage>, Error> {
        let message = crate::sender::seal_application(
            &*self.suite,
            signer,
            (&self.context, self.own_leaf),
            (
                &mut self.secret_tree,
                self.epoch.sender_data_secret.as_bytes(),
            ),
            (data, authenticated_data),
            padding,
        )?;
        Ok(SenderAuthenticated {
            message,
            sender_membership_proof: self.own_proof.clone(),
        })
    }

    /// Our membership proof in the current epoch's tree (the joiner proof we joined with, or
    /// the receiver proof of the last commit).
    pub fn membership_proof(&self) -> &MembershipProof {
        &self.own_proof
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.context.epoch
    }

    /// The epoch authenticator (RFC 9420 §8.7), which every member of the epoch shares.
    pub fn epoch_authenticator(&self) -> &[u8] {
        self.epoch.epoch_authenticator.as_bytes()
    }

    /// Our leaf.
    pub fn own_leaf(&self) -> LeafIndex {
        self.own_leaf
    }

    /// The group context of the current epoch.
    pub fn context(&self) -> &GroupContext {
        &self.context
    }

    /// The interim transcript hash of the current epoch.
    pub fn interim_transcript_hash(&self) -> &[u8] {
        &self.interim_transcript_hash
    }

    /// The nodes of our direct path whose private keys we hold (besides our leaf's).
    pub fn path_nodes(&self) -> impl Iterator<Item = math::NodeIndex> + '_ {
        self.path.iter().map(|n| n.node)
    }

    /// Whether we hold the private key of `node`: our leaf's, or one of our path's.
    pub fn holds_key(&self, node: math::NodeIndex) -> bool {
        (node == self.own_leaf.node() && !self.leaf_key.is_empty())
            || self.path.iter().any(|n| n.node == node)
    }

    /// The suite's operations.
    pub fn suite(&self) -> &Arc<dyn SuiteOps> {
        &self.suite
    }
}

/// Why an annotation could not be made ([`annotate_welcome`], [`annotate_commit`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnnotateError {
    /// A membership proof could not be built (a blank or missing leaf).
    #[error("membership proof: {0}")]
    Proof(#[from] cohort_tree::membership::MembershipProofError),
    /// The receiver has no ciphertext in the commit's path (it was added by the commit, or is
    /// the committer).
    #[error("resolution index: {0}")]
    Path(#[from] cohort_tree::partial::LightPathError),
    /// Hashing the tree failed.
    #[error("tree hash: {0}")]
    Tree(#[from] cohort_tree::TreeError),
    /// What a light member cannot process yet.
    #[error("not supported for light members: {0}")]
    Unsupported(&'static str),
}

/// The annotator's side of a Welcome (draft-ietf-mls-partial-02, "Joining via Annotated
/// Welcome"): `welcome` with the proofs of its sender (the GroupInfo's signer) and of the
/// joiner, both in `tree`, the tree of the epoch the Welcome starts. A full member that added
/// the joiner, or a Delivery Service that follows the tree, makes it.
///
/// # Errors
/// [`AnnotateError::Proof`] when a leaf is blank or outside the tree.
pub fn annotate_welcome(
    suite: &dyn SuiteOps,
    tree: &cohort_tree::tree::RatchetTree,
    welcome: cohort_messages::welcome::Welcome,
    sender: LeafIndex,
    joiner: LeafIndex,
) -> Result<AnnotatedWelcome, AnnotateError> {
    let mut tree = tree.clone();
    Ok(AnnotatedWelcome {
        welcome: SenderAuthenticated {
            message: welcome,
            sender_membership_proof: MembershipProof::from_tree(&mut tree, suite, sender)?,
        },
        joiner_membership_proof: MembershipProof::from_tree(&mut tree, suite, joiner)?,
    })
}

/// The annotator's side of a commit (draft-ietf-mls-partial-02, "Annotated Commit"), for the
/// light member at `receiver`: from the trees before and after the commit, the committer's
/// proof before (for a member's commit), the tree hash after, the `resolution_index` of the
/// receiver's ciphertext when the commit has a path, and both proofs after. `committer_after`
/// is the committer's leaf after the commit (for an external commit, the leaf it took). The
/// leaves the commit added, whom its path does not encrypt to, are those blank before it and
/// not after.
///
/// # Errors
/// [`AnnotateError::Unsupported`] for a commit sent as a PrivateMessage (a light member reads
/// PublicMessage commits only); [`AnnotateError::Path`] when the receiver has no ciphertext;
/// a blank leaf.
pub fn annotate_commit(
    suite: &dyn SuiteOps,
    tree_before: &cohort_tree::tree::RatchetTree,
    tree_after: &cohort_tree::tree::RatchetTree,
    commit: cohort_messages::MlsMessage,
    committer_after: LeafIndex,
    receiver: LeafIndex,
) -> Result<AnnotatedCommit, AnnotateError> {
    let MlsMessageBody::PublicMessage(public) = &commit.body else {
        return Err(AnnotateError::Unsupported(
            "a commit that is not a PublicMessage",
        ));
    };
    let Content::Commit(content) = &public.content.content else {
        return Err(AnnotateError::Unsupported(
            "a PublicMessage that is not a commit",
        ));
    };
    let sender_membership_proof = match public.content.sender {
        Sender::Member(leaf) => Some(MembershipProof::from_tree(
            &mut tree_before.clone(),
            suite,
            leaf,
        )?),
        _ => None,
    };
    let resolution_index = match content.path {
        Some(_) => {
            let added: Vec<LeafIndex> = (0..tree_after.leaf_count())
                .map(LeafIndex)
                .filter(|l| tree_before.leaf(*l).is_none() && tree_after.leaf(*l).is_some())
                .collect();
            Some(cohort_tree::partial::resolution_index(
                tree_after,
                committer_after,
                receiver,
                &added,
            )?)
        }
        None => None,
    };
    let mut after = tree_after.clone();
    Ok(AnnotatedCommit {
        tree_hash_after: after.tree_hash(suite)?.into(),
        sender_membership_proof_after: MembershipProof::from_tree(
            &mut after,
            suite,
            committer_after,
        )?,
        receiver_membership_proof_after: MembershipProof::from_tree(&mut after, suite, receiver)?,
        sender_membership_proof,
        resolution_index,
        commit,
    })
}

/// The format version of [`LightGroup::to_bytes`].
/// Not 1 to 3, the versions of a full member's stored state, so that neither reads as the
/// other.
const LIGHT_STATE_VERSION: u16 = 0x4C01;

impl LightGroup {
    /// The light member's state, to store and reload with [`LightGroup::from_bytes`]: the
    /// GroupContext, our leaf and its key, our path's secrets and keys, the epoch's secrets
    /// (the encryption secret is not kept: it is consumed into the secret tree), the interim
    /// transcript hash, the secret tree and our membership proof. Its size grows with log N,
    /// not with the group.
    ///
    /// # Security
    /// Holds private keys and epoch secrets; zeroized on drop. Store it as the group's state.
    ///
    /// # Errors
    /// An encoding failure.
    pub fn to_bytes(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, Error> {
        use cohort_codec::Encode as _;
        let mut out = zeroize::Zeroizing::new(Vec::new());
        LIGHT_STATE_VERSION.encode(&mut out)?;
        self.context.encode(&mut out)?;
        self.own_leaf.encode(&mut out)?;
        self.leaf_key.encode(&mut out)?;
        let path: Vec<(math::NodeIndex, (&Secret, &HpkePrivateKey))> = self
            .path
            .iter()
            .map(|n| (n.node, (&n.path_secret, &n.private_key)))
            .collect();
        cohort_codec::encode_vector(&path, &mut out)?;
        let e = &self.epoch;
        for secret in [
            &e.sender_data_secret,
            &e.exporter_secret,
            &e.external_secret,
            &e.confirmation_key,
            &e.membership_key,
            &e.resumption_psk,
            &e.epoch_authenticator,
        ] {
            secret.encode(&mut out)?;
        }
        e.init_secret.encode(&mut out)?;
        cohort_codec::VarBytes::from(self.interim_transcript_hash.clone()).encode(&mut out)?;
        self.secret_tree.encode(&mut out)?;
        self.own_proof.encode(&mut out)?;
        cohort_codec::VarBytes::from(self.confirmation_tag.clone()).encode(&mut out)?;
        Ok(out)
    }

    /// A light member's state stored by [`LightGroup::to_bytes`], on `provider`.
    ///
    /// # Errors
    /// [`Error::Malformed`] for bytes that do not decode (or another format version); the
    /// provider lacks the group's suite.
    pub fn from_bytes(provider: &dyn CryptoProvider, bytes: &[u8]) -> Result<Self, Error> {
        use cohort_codec::Decode as _;
        let mut r = cohort_codec::Reader::new(bytes);
        let version = u16::decode(&mut r)?;
        if version != LIGHT_STATE_VERSION {
            return Err(Error::Malformed(cohort_codec::CodecError::InvalidValue {
                what: "light member state version",
                reason: "not a light member's state (0x4C01)",
            }));
        }
        let context = GroupContext::decode(&mut r)?;
        let suite = provider.require_suite(context.cipher_suite)?;
        let own_leaf = LeafIndex::decode(&mut r)?;
        let leaf_key = HpkePrivateKey::decode(&mut r)?;
        let path: Vec<(math::NodeIndex, (Secret, HpkePrivateKey))> = r.read_vector()?;
        let mut secrets = Vec::with_capacity(7);
        for _ in 0..7 {
            secrets.push(Secret::decode(&mut r)?);
        }
        let init_secret = cohort_key_schedule::InitSecret::decode(&mut r)?;
        let interim = cohort_codec::VarBytes::decode(&mut r)?;
        let secret_tree = SecretTree::decode(&mut r)?;
        let own_proof = MembershipProof::decode(&mut r)?;
        let confirmation_tag = cohort_codec::VarBytes::decode(&mut r)?;
        r.finish()?;
        let mut secrets = secrets.into_iter();
        let mut next = || secrets.next().unwrap_or_else(|| Secret::new(Vec::new()));
        let epoch = EpochSecrets {
            sender_data_secret: next(),
            encryption_secret: Secret::new(Vec::new()),
            exporter_secret: next(),
            external_secret: next(),
            confirmation_key: next(),
            membership_key: next(),
            resumption_psk: next(),
            epoch_authenticator: next(),
            init_secret,
            // Not stored for a light member: an upgraded member has no safe exporter until
            // the next epoch.
            application_export_secret: Secret::new(Vec::new()),
        };
        Ok(Self {
            suite,
            context,
            own_leaf,
            leaf_key,
            path: path
                .into_iter()
                .map(|(node, (path_secret, private_key))| LightPathNode {
                    node,
                    path_secret,
                    private_key,
                })
                .collect(),
            epoch,
            interim_transcript_hash: interim.into_vec(),
            secret_tree,
            own_proof,
            confirmation_tag: confirmation_tag.into_vec(),
        })
    }

    /// Becomes a full member, given the epoch's ratchet tree (draft-ietf-mls-partial-02,
    /// "Upgrading and Downgrading"). The tree is checked as a joiner checks it (RFC 9420
    /// §12.4.3.1): its hash is the epoch's, its parent hashes, its structure, every leaf
    /// (signatures, lifetimes at `now`, capabilities, duplicate identities, credential
    /// support); our leaf is the one our membership proof holds, and every private key of our
    /// path matches the tree's public key. The full member keeps the secret tree (keys already
    /// used stay used) and the epoch's secrets.
    ///
    /// # Errors
    /// [`ValidationError`] naming the failed check; the light member is unchanged either way.
    pub fn upgrade(
        &self,
        tree: cohort_tree::node::RatchetTreeNodes,
        config: crate::GroupConfig,
        now: Option<u64>,
    ) -> Result<crate::Group, Error> {
        use crate::validate;
        let s = &*self.suite;
        let mut tree = cohort_tree::tree::RatchetTree::from_nodes(tree)
            .map_err(ValidationError::InvalidTree)?;
        if tree.tree_hash(s)? != self.context.tree_hash.as_slice() {
            return Err(
                ValidationError::InvalidTree(cohort_tree::TreeError::TreeHashMismatch).into(),
            );
        }
        tree.verify_parent_hashes(s)?;
        tree.validate_structure()?;
        validate::check_duplicate_identities(&config, &tree)?;
        let now = if config.lifetime.check_expiry {
            now
        } else {
            None
        };
        validate::validate_tree_leaves(s, &tree, &self.context, now, &config)?;
        validate::check_tree_credential_support(&tree)?;
        validate::check_external_senders(&config, s.signature_scheme(), &self.context.extensions)?;
        if tree.leaf(self.own_leaf) != self.own_proof.leaf() {
            return Err(ValidationError::AnnotationMismatch(
                "the tree's leaf at our index is not the one our proof holds",
            )
            .into());
        }
        let mut private =
            cohort_tree::treekem::PrivateTree::new(self.own_leaf, self.leaf_key.clone());
        for node in &self.path {
            let public = s.kem_public_key(&node.private_key)?;
            match tree.node(node.node) {
                Some(cohort_tree::node::Node::Parent(p)) if p.encryption_key == public => {}
                _ => {
                    return Err(ValidationError::AnnotationMismatch(
                        "a key of our path is not the tree's",
                    )
                    .into());
                }
            }
            private.set_key(node.node, node.private_key.clone());
        }
        let e = &self.epoch;
        let keys = crate::state::EpochKeys {
            sender_data_secret: e.sender_data_secret.clone(),
            exporter_secret: e.exporter_secret.clone(),
            external_secret: e.external_secret.clone(),
            confirmation_key: e.confirmation_key.clone(),
            membership_key: e.membership_key.clone(),
            resumption_psk: e.resumption_psk.clone(),
            epoch_authenticator: e.epoch_authenticator.clone(),
            init_secret: e.init_secret.clone(),
            secret_tree: self.secret_tree.clone(),
            application_export: (!e.application_export_secret.as_bytes().is_empty()).then(|| {
                cohort_key_schedule::ApplicationExportTree::new(e.application_export_secret.clone())
            }),
        };
        let state = crate::state::GroupState {
            context: self.context.clone(),
            tree,
            private,
            interim_transcript_hash: self.interim_transcript_hash.clone(),
            confirmation_tag: self.confirmation_tag.clone(),
            keys,
            proposals: Vec::new(),
            past_resumption_psks: std::collections::VecDeque::new(),
            past_epochs: std::collections::VecDeque::new(),
            config,
            status: crate::GroupStatus::Active,
            reinit: None,
        };
        Ok(crate::Group::from_state(self.suite.clone(), state))
    }
}
