//! The group context (RFC 9420 §8.1).

use cohort_codec::{Decode, Encode, VarBytes};
use cohort_crypto::CipherSuite;
use cohort_tree::extension::Extension;
use cohort_tree::leaf::ProtocolVersion;

/// `GroupContext` (RFC 9420 §8.1): the state every member agrees on in an epoch.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct GroupContext {
    /// The protocol version.
    pub version: ProtocolVersion,
    /// The group's cipher suite.
    pub cipher_suite: CipherSuite,
    /// The group's id.
    pub group_id: VarBytes,
    /// The epoch.
    pub epoch: u64,
    /// The tree hash of the ratchet tree's root.
    pub tree_hash: VarBytes,
    /// The confirmed transcript hash.
    pub confirmed_transcript_hash: VarBytes,
    /// The group's extensions.
    pub extensions: Vec<Extension>,
}
