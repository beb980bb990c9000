//! The messages of partial MLS (draft-ietf-mls-partial-02): a message with its sender's
//! membership proof, and the annotated Welcome and Commit a light client processes.
//!
//! ```text
//! struct { T message; MembershipProof sender_membership_proof; } SenderAuthenticatedMessage<T>;
//! struct {
//!     SenderAuthenticatedMessage<Welcome> welcome;
//!     MembershipProof joiner_membership_proof;
//! } AnnotatedWelcome;
//! struct {
//!     MLSMessage commit;
//!     optional<MembershipProof> sender_membership_proof;
//!     opaque tree_hash_after<V>;
//!     optional<uint32> resolution_index;
//!     MembershipProof sender_membership_proof_after;
//!     MembershipProof receiver_membership_proof_after;
//! } AnnotatedCommit;
//! ```
//!
//! The draft registers no wire format for them: they travel beside MLS, as a ratchet tree does.

use cohort_codec::{CodecError, Decode, Encode, Reader, VarBytes};
use cohort_tree::membership::MembershipProof;

use crate::MlsMessage;
use crate::welcome::Welcome;

/// `SenderAuthenticatedMessage<T>`: a message (a `Welcome`, `GroupInfo`, `PublicMessage` or
/// `PrivateMessage`, encoded bare) and a membership proof for its sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderAuthenticated<T> {
    /// The message.
    pub message: T,
    /// The sender's membership proof.
    pub sender_membership_proof: MembershipProof,
}

impl<T: Encode> Encode for SenderAuthenticated<T> {
    fn encoded_len(&self) -> usize {
        self.message.encoded_len() + self.sender_membership_proof.encoded_len()
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        self.message.encode(out)?;
        self.sender_membership_proof.encode(out)
    }
}

impl<T: Decode> Decode for SenderAuthenticated<T> {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Self {
            message: T::decode(reader)?,
            sender_membership_proof: MembershipProof::decode(reader)?,
        })
    }
}

/// `AnnotatedWelcome`: a Welcome with its sender's and its joiner's membership proofs.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct AnnotatedWelcome {
    /// The Welcome and the committer's proof.
    pub welcome: SenderAuthenticated<Welcome>,
    /// The joiner's proof.
    pub joiner_membership_proof: MembershipProof,
}

/// `AnnotatedCommit`: a commit with what a light client needs to process it.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct AnnotatedCommit {
    /// The commit, a PublicMessage or PrivateMessage.
    pub commit: MlsMessage,
    /// The committer's proof in the tree before the commit (a member committer only).
    pub sender_membership_proof: Option<MembershipProof>,
    /// The tree hash after the commit.
    pub tree_hash_after: VarBytes,
    /// Which ciphertext of the path node the receiver decrypts (when the commit has a path).
    pub resolution_index: Option<u32>,
    /// The committer's proof in the tree after the commit.
    pub sender_membership_proof_after: MembershipProof,
    /// The receiver's proof in the tree after the commit.
    pub receiver_membership_proof_after: MembershipProof,
}
