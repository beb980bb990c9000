//! Decode any top-level wire struct by name, for fuzz targets, the `messages` vector and the
//! hostile-input tests.

use cohort_codec::{CodecError, Decode, Encode};
use cohort_tree::node::RatchetTreeNodes;

use crate::group_info::GroupInfo;
use crate::key_package::KeyPackage;
use crate::message::MlsMessage;
use crate::proposal::{
    Add, Commit, ExternalInit, GroupContextExtensions, PreSharedKey, Proposal, ReInit, Remove,
    Update,
};
use crate::welcome::{GroupSecrets, Welcome};

/// A wire struct that can be decoded on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `MLSMessage`.
    MlsMessage,
    /// `KeyPackage`.
    KeyPackage,
    /// `Welcome`.
    Welcome,
    /// `GroupInfo`.
    GroupInfo,
    /// `optional<Node> ratchet_tree<V>`.
    RatchetTree,
    /// `GroupSecrets`.
    GroupSecrets,
    /// `Proposal`.
    Proposal,
    /// `Add`.
    Add,
    /// `Update`.
    Update,
    /// `Remove`.
    Remove,
    /// `PreSharedKey`.
    PreSharedKey,
    /// `ReInit`.
    ReInit,
    /// `ExternalInit`.
    ExternalInit,
    /// `GroupContextExtensions`.
    GroupContextExtensions,
    /// `Commit`.
    Commit,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 15] = [
        Self::MlsMessage,
        Self::KeyPackage,
        Self::Welcome,
        Self::GroupInfo,
        Self::RatchetTree,
        Self::GroupSecrets,
        Self::Proposal,
        Self::Add,
        Self::Update,
        Self::Remove,
        Self::PreSharedKey,
        Self::ReInit,
        Self::ExternalInit,
        Self::GroupContextExtensions,
        Self::Commit,
    ];
}

impl Target {
    /// The struct a field of the official `messages.json` vector holds.
    pub fn for_messages_field(field: &str) -> Option<Target> {
        Some(match field {
            "mls_welcome"
            | "mls_group_info"
            | "mls_key_package"
            | "public_message_application"
            | "public_message_proposal"
            | "public_message_commit"
            | "private_message" => Self::MlsMessage,
            "ratchet_tree" => Self::RatchetTree,
            "group_secrets" => Self::GroupSecrets,
            "add_proposal" => Self::Add,
            "update_proposal" => Self::Update,
            "remove_proposal" => Self::Remove,
            "pre_shared_key_proposal" => Self::PreSharedKey,
            "re_init_proposal" => Self::ReInit,
            "external_init_proposal" => Self::ExternalInit,
            "group_context_extensions_proposal" => Self::GroupContextExtensions,
            "commit" => Self::Commit,
            _ => return None,
        })
    }
}

fn again<T: Decode + Encode>(bytes: &[u8]) -> Result<Vec<u8>, CodecError> {
    T::from_bytes(bytes)?.to_bytes()
}

/// Decodes `bytes` as `target` with the top-level (no trailing bytes) decode, and re-encodes
/// the result.
///
/// # Errors
/// The decode error, if any.
pub fn decode_and_reencode(target: Target, bytes: &[u8]) -> Result<Vec<u8>, CodecError> {
    match target {
        Target::MlsMessage => again::<MlsMessage>(bytes),
        Target::KeyPackage => again::<KeyPackage>(bytes),
        Target::Welcome => again::<Welcome>(bytes),
        Target::GroupInfo => again::<GroupInfo>(bytes),
        Target::RatchetTree => again::<RatchetTreeNodes>(bytes),
        Target::GroupSecrets => again::<GroupSecrets>(bytes),
        Target::Proposal => again::<Proposal>(bytes),
        Target::Add => again::<Add>(bytes),
        Target::Update => again::<Update>(bytes),
        Target::Remove => again::<Remove>(bytes),
        Target::PreSharedKey => again::<PreSharedKey>(bytes),
        Target::ReInit => again::<ReInit>(bytes),
        Target::ExternalInit => again::<ExternalInit>(bytes),
        Target::GroupContextExtensions => again::<GroupContextExtensions>(bytes),
        Target::Commit => again::<Commit>(bytes),
    }
}

/// Fuzz entry: decodes `bytes` as `target`; when it decodes, checks the codec's invariants
/// (the re-encoding has the announced length and decodes to the same value).
///
/// # Panics
/// When an invariant fails: that is a bug for the fuzzer to report.
pub fn fuzz_decode(target: Target, bytes: &[u8]) {
    if let Ok(encoded) = decode_and_reencode(target, bytes) {
        // Strict decoding and canonical encodings mean a decoded value re-encodes to its input.
        assert_eq!(
            encoded, bytes,
            "{target:?}: re-encoding differs from the input"
        );
    }
}
