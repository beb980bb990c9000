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
use cohort_crypto::{
    CryptoProvider, Decapsulator, HpkePrivateKey, Secret, SoftwareHpkeKey, SuiteOps, labeled,
};
use cohort_key_schedule::{EpochSecrets, JoinerSecret, interim_transcript_hash};
use cohort_messages::group_context::GroupContext;
use cohort_messages::key_package::KeyPackage;
use cohort_messages::partial::AnnotatedWelcome;
use cohort_tree::extension as ext;
use cohort_tree::leaf::ProtocolVersion;
use cohort_tree::math::{self, LeafIndex};
use cohort_tree::partial::{LightPathNode, light_path_keys};

use crate::commit::resolve_psk_secret;
use crate::join::{
    decrypt_group_info, decrypt_group_secrets, verify_confirmation_tag, verify_group_info,
};
use crate::reason::WelcomeReason;
use crate::{ApiMisuse, Error, ExternalPsks, KeyPackageSecrets, ValidationError};

/// A light member's state in one epoch.
pub struct LightGroup {
    suite: Arc<dyn SuiteOps>,
    context: GroupContext,
    own_leaf: LeafIndex,
    leaf_key: HpkePrivateKey,
    path: Vec<LightPathNode>,
    epoch: EpochSecrets,
    interim_transcript_hash: Vec<u8>,
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
        let w = &welcome.welcome.message;
        if w.cipher_suite != kp.cipher_suite {
            return Err(
                ValidationError::InvalidWelcome(WelcomeReason::SuiteDiffersFromKeyPackage).into(),
            );
        }
        let suite = provider
            .suite(kp.cipher_suite)
            .ok_or(ApiMisuse::UnsupportedCipherSuite(kp.cipher_suite.0))?;
        let s = &*suite;
        // 1. One tree.
        let root = sender
            .same_tree(joiner, s)
            .map_err(ValidationError::InvalidMembershipProof)?;
        // 2. The GroupInfo, as in an ordinary join.
        let kp_ref = labeled::make_key_package_ref(s, &kp.to_bytes()?)?;
        let init_key = SoftwareHpkeKey::from_key_pair(
            suite.clone(),
            secrets.init_key.clone(),
            kp.init_key.clone(),
        )?;
        let group_secrets =
            decrypt_group_secrets(s, w, kp_ref.as_slice(), &init_key as &dyn Decapsulator)?;
        // A new group: external PSKs only.
        let psk_secret = resolve_psk_secret(s, None, &group_secrets.psks, psks, None)?;
        let joiner_secret =
            JoinerSecret::new(Secret::new(group_secrets.joiner_secret.as_slice().to_vec()));
        let group_info = decrypt_group_info(s, w, &joiner_secret, psk_secret.as_bytes())?;
        let context = group_info.group_context.clone();
        if context.cipher_suite != kp.cipher_suite || context.version != ProtocolVersion::MLS10 {
            return Err(
                ValidationError::InvalidWelcome(WelcomeReason::GroupInfoSuiteOrVersion).into(),
            );
        }
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
        let epoch = verify_confirmation_tag(s, &group_info, joiner_secret, psk_secret.as_bytes())?;
        let interim = interim_transcript_hash(
            s,
            &context.confirmed_transcript_hash,
            &group_info.confirmation_tag.0,
        )?;
        Ok(Self {
            suite,
            context,
            own_leaf,
            leaf_key: secrets.encryption_key.clone(),
            path,
            epoch,
            interim_transcript_hash: interim,
        })
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
