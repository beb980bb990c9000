//! The seven vector files of draft-ietf-mls-partial-02 (`test-vector-partial-<name>.json`),
//! kept in `drafts/partial/`.

use serde::Deserialize;

use crate::HexBytes;

/// The folder, under [`crate::draft_vectors_dir`], that holds the files.
pub const DIR: &str = "partial";

/// The file stem of the vectors of kind `name` (e.g. `"membership-proofs"`).
pub fn stem(name: &str) -> String {
    format!("test-vector-partial-{name}")
}

/// The path of the file of kind `name` (e.g. `"membership-proofs"`).
pub fn path(name: &str) -> std::path::PathBuf {
    crate::draft_vectors_dir()
        .join(DIR)
        .join(format!("{}.json", stem(name)))
}

/// `membership-proofs`: proofs for leaves of one tree, each valid against its tree hash.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipProofs {
    /// The cipher suite.
    pub cipher_suite: u16,
    /// The root tree hash.
    pub tree_hash: HexBytes,
    /// Encoded `MembershipProof`s.
    pub proofs: Vec<HexBytes>,
}

/// `message-syntax`: one encoding of each new structure.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageSyntax {
    /// The cipher suite.
    pub cipher_suite: u16,
    /// `CopathHash`.
    pub copath_hash: HexBytes,
    /// `MembershipProof`.
    pub membership_proof: HexBytes,
    /// `SenderAuthenticatedMessage<Welcome>`.
    pub sender_authenticated_welcome: HexBytes,
    /// `SenderAuthenticatedMessage<GroupInfo>`.
    pub sender_authenticated_group_info: HexBytes,
    /// `SenderAuthenticatedMessage<PublicMessage>`.
    pub sender_authenticated_public_message: HexBytes,
    /// `SenderAuthenticatedMessage<PrivateMessage>`.
    pub sender_authenticated_private_message: HexBytes,
    /// `AnnotatedWelcome`.
    pub annotated_welcome: HexBytes,
    /// `AnnotatedCommit`.
    pub annotated_commit: HexBytes,
}

/// `sender-authenticated-messages`: a message with its sender's membership proof.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderAuthenticatedMessages {
    /// The cipher suite.
    pub cipher_suite: u16,
    /// What the message is (`PublicMessageProposal`, `PublicMessageCommit`, ...).
    pub message_type: String,
    /// The encoded `SenderAuthenticatedMessage<T>`.
    pub sender_authenticated_message: HexBytes,
}

/// One node of a receiver's retained direct-path state.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathState {
    /// The node index.
    pub node: u32,
    /// The node's HPKE private key.
    pub encryption_priv: HexBytes,
    /// The node's path secret (empty for a leaf's key from a KeyPackage).
    pub path_secret: HexBytes,
}

/// `tree-operations`: a light receiver's commit secret from an UpdatePath and proofs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeOperations {
    /// The cipher suite.
    pub cipher_suite: u16,
    /// The encoded `UpdatePath`.
    pub update_path: HexBytes,
    /// The tree hash after the commit.
    pub tree_hash_after: HexBytes,
    /// Which ciphertext of the path node to decrypt.
    pub resolution_index: u32,
    /// The committer's proof after the commit.
    pub sender_membership_proof_after: HexBytes,
    /// The receiver's proof after the commit.
    pub receiver_membership_proof_after: HexBytes,
    /// The receiver's direct-path private state.
    pub receiver_path_state: Vec<PathState>,
    /// The expected commit secret.
    pub commit_secret: HexBytes,
}

/// `annotated-welcome`: a light client joins from an `AnnotatedWelcome`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnotatedWelcome {
    /// The cipher suite.
    pub cipher_suite: u16,
    /// The external PSKs the Welcome may use.
    pub external_psks: Vec<crate::passive_client::ExternalPsk>,
    /// The joiner's KeyPackage (an MLSMessage).
    pub key_package: HexBytes,
    /// Its signature private key.
    pub signature_priv: HexBytes,
    /// Its leaf's HPKE private key.
    pub encryption_priv: HexBytes,
    /// Its init private key.
    pub init_priv: HexBytes,
    /// The encoded `AnnotatedWelcome`.
    pub annotated_welcome: HexBytes,
    /// The joiner's leaf index.
    pub joiner_leaf_index: u32,
    /// The epoch authenticator after joining.
    pub epoch_authenticator: HexBytes,
}

/// A light client's state in one epoch, as `annotated-commit` gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LightState {
    /// The group id.
    pub group_id: HexBytes,
    /// The epoch.
    pub epoch: u64,
    /// The tree hash.
    pub tree_hash: HexBytes,
    /// The confirmed transcript hash.
    pub confirmed_transcript_hash: HexBytes,
    /// The interim transcript hash.
    pub interim_transcript_hash: HexBytes,
    /// The receiver's leaf.
    pub receiver_leaf_index: u32,
    /// The receiver's path secrets and keys (above its leaf).
    pub direct_path_secrets: Vec<DirectPathSecret>,
    /// `init_secret`.
    pub init_secret: HexBytes,
    /// `encryption_secret`.
    pub encryption_secret: HexBytes,
    /// `sender_data_secret`.
    pub sender_data_secret: HexBytes,
    /// `membership_key`.
    pub membership_key: HexBytes,
}

/// A path secret of the receiver's direct path and the private key it derives.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectPathSecret {
    /// The node.
    pub node: u32,
    /// Its path secret.
    pub path_secret: HexBytes,
    /// Its HPKE private key.
    pub encryption_priv: HexBytes,
}

/// `annotated-commit`: a light client's state before a commit, the commit annotated for it,
/// the commit secret, and the state after.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnotatedCommitCase {
    /// The cipher suite.
    pub cipher_suite: u16,
    /// The state before the commit.
    pub state_before: LightState,
    /// Proposals sent before the commit (MLSMessages).
    pub proposals: Vec<HexBytes>,
    /// The encoded `AnnotatedCommit`.
    pub annotated_commit: HexBytes,
    /// The commit secret (the file holds no key of the receiver's path before the commit).
    pub commit_secret: HexBytes,
    /// The tree hash after the commit.
    pub tree_hash_after: HexBytes,
    /// The state after the commit.
    pub state_after: LightState,
    /// The epoch authenticator after the commit.
    pub epoch_authenticator_after: HexBytes,
}

/// One epoch of a passive light client's scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialEpoch {
    /// Proposals sent before the commit (MLSMessages).
    pub proposals: Vec<HexBytes>,
    /// The encoded `AnnotatedCommit`.
    pub annotated_commit: HexBytes,
    /// Application messages of the new epoch (MLSMessages).
    pub application_messages: Vec<HexBytes>,
    /// The epoch authenticator after the commit.
    pub epoch_authenticator: HexBytes,
}

/// `passive-client-scenarios`: a light client joins and follows several epochs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassiveClientScenario {
    /// The cipher suite.
    pub cipher_suite: u16,
    /// The external PSKs the group may use.
    pub external_psks: Vec<crate::passive_client::ExternalPsk>,
    /// The client's KeyPackage (an MLSMessage).
    pub key_package: HexBytes,
    /// Its signature private key.
    pub signature_priv: HexBytes,
    /// Its leaf's HPKE private key.
    pub encryption_priv: HexBytes,
    /// Its init private key.
    pub init_priv: HexBytes,
    /// The encoded `AnnotatedWelcome`.
    pub annotated_welcome: HexBytes,
    /// The epoch authenticator after joining.
    pub initial_epoch_authenticator: HexBytes,
    /// The epochs that follow.
    pub epochs: Vec<PartialEpoch>,
}
