//! The group layer's errors: a small categorized `Error`, details in sub-enums.

use cohort_codec::CodecError;
use cohort_crypto::CryptoError;
use cohort_key_schedule::KeyScheduleError;
use cohort_tree::TreeError;
use cohort_tree::treekem::UpdatePathError;

use crate::reason::{
    CapabilityReason, CommitReason, EncryptedObject, ExtensionReason, GroupInfoReason,
    InactiveReason, KeyPackageReason, LeafNodeReason, MissingPskReason, PolicyReason,
    ProposalListReason, ProposalReason, PskReason, SenderReason, SignedObject, WelcomeReason,
    WireFormatReason,
};

/// Everything that can go wrong in the group layer.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input does not decode.
    #[error("malformed input: {0}")]
    Malformed(#[from] CodecError),
    /// The input decoded but failed a check; caused by the peer, never by the caller, and never
    /// by a failure of our own provider (that is [`Error::Crypto`]).
    #[error("rejected by validation: {0}")]
    Invalid(#[from] ValidationError),
    /// The caller used the API wrongly; never caused by peer data.
    #[error("API misuse: {0}")]
    Misuse(#[from] ApiMisuse),
    /// Our crypto provider (its RNG, its HSM, its backend) failed, whether on our own data or on
    /// the peer's: not the peer's fault. The provider's error is kept as it was, with its kind
    /// and source.
    #[error("crypto provider: {0}")]
    Crypto(#[from] CryptoError),
    /// A bug in cohort.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl Error {
    /// The error for `e`, a crypto operation on data from a peer that failed: `invalid` (the
    /// peer's fault) when the failure is an answer about the data (a signature or tag that does
    /// not verify, a malformed key or encapsulation), [`Error::Crypto`] when our own provider
    /// failed (its RNG, its HSM, its backend, a suite or key it cannot handle).
    pub(crate) fn on_peer_data(e: CryptoError, invalid: ValidationError) -> Self {
        if is_provider_failure(&e) {
            Self::Crypto(e)
        } else {
            Self::Invalid(invalid)
        }
    }
}

/// Whether `e` is a failure of our own crypto provider rather than an answer about the data it
/// was given ([`cohort_crypto::CryptoErrorKind::is_provider_failure`]).
pub(crate) fn is_provider_failure(e: &CryptoError) -> bool {
    e.kind().is_provider_failure()
}

impl From<TreeError> for Error {
    /// A failure of our provider inside a tree operation is [`Error::Crypto`]; anything else is
    /// the tree's (or the peer data's) fault: [`ValidationError::InvalidTree`].
    fn from(e: TreeError) -> Self {
        match e {
            TreeError::Crypto(c) if is_provider_failure(&c) => Self::Crypto(c),
            other => Self::Invalid(ValidationError::InvalidTree(other)),
        }
    }
}

impl From<UpdatePathError> for Error {
    /// A failure of our provider while merging or decrypting a path is [`Error::Crypto`];
    /// anything else is [`ValidationError::InvalidUpdatePath`].
    fn from(e: UpdatePathError) -> Self {
        match e {
            UpdatePathError::Decryption(c) | UpdatePathError::Tree(TreeError::Crypto(c))
                if is_provider_failure(&c) =>
            {
                Self::Crypto(c)
            }
            other => Self::Invalid(ValidationError::InvalidUpdatePath(other)),
        }
    }
}

impl From<KeyScheduleError> for Error {
    /// The key schedule derives from secrets only, so any crypto failure in it is our
    /// provider's: [`Error::Crypto`]. A consumed or unreachable key is
    /// [`ValidationError::SecretUnavailable`].
    fn from(e: KeyScheduleError) -> Self {
        match e {
            KeyScheduleError::Crypto(c) => Self::Crypto(c),
            other => Self::Invalid(ValidationError::SecretUnavailable(other)),
        }
    }
}

/// A check that peer data failed. Each variant cites the RFC 9420 section that requires it.
///
/// A variant that covers several rules names the one that failed with a unit enum from
/// [`reason`](crate::reason) (for example [`LeafNodeReason`]), whose own documentation cites the
/// rule's section: match on those variants, not on the message text.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    /// draft-ietf-mls-partial-02: a membership proof is malformed, leads to another tree hash
    /// than the group's, or the proofs of one message describe different trees.
    #[error("invalid membership proof: {0}")]
    InvalidMembershipProof(cohort_tree::membership::MembershipProofError),
    /// draft-ietf-mls-partial-02: an annotation contradicts its message (what, in words).
    #[error("the annotation does not match the message: {0}")]
    AnnotationMismatch(&'static str),
    /// draft-ietf-mls-partial-02: what a light member cannot process yet (what, in words).
    #[error("not supported for a light member yet: {0}")]
    UnsupportedForLightMember(&'static str),
    /// draft-ietf-mls-partial-02: a light member's path keys do not follow from the path secret
    /// and the proofs.
    #[error("invalid path for a light member: {0}")]
    InvalidLightPath(cohort_tree::partial::LightPathError),
    /// RFC 9420 §6: the message is addressed to another group.
    #[error("message is for another group")]
    WrongGroupId,
    /// RFC 9420 §6: the message is for an epoch this group cannot process.
    #[error("message is for epoch {got}, expected {expected}")]
    WrongEpoch {
        /// The epoch in the message.
        got: u64,
        /// The epoch expected.
        expected: u64,
    },
    /// RFC 9420 §6.2: the wire format is not allowed for this content or operation (for example
    /// application data in a PublicMessage).
    #[error("unexpected wire format: {0}")]
    UnexpectedWireFormat(WireFormatReason),
    /// RFC 9420 §6: the version is not `mls10`.
    #[error("unsupported protocol version {0}")]
    UnsupportedVersion(u16),
    /// RFC 9420 §6.1, §6.3.2: the sender is out of range, blank, or not allowed this content.
    #[error("invalid sender: {0}")]
    InvalidSender(SenderReason),
    /// RFC 9420 §5.1.2: a signature does not verify; names the signed object.
    #[error("invalid signature on {0}")]
    InvalidSignature(SignedObject),
    /// RFC 9420 §6.2: the membership tag does not verify.
    #[error("invalid membership tag")]
    InvalidMembershipTag,
    /// RFC 9420 §6.1, §12.4.2: the confirmation tag does not verify.
    #[error("invalid confirmation tag")]
    InvalidConfirmationTag,
    /// RFC 9420 §5.1.3, §6.3: a decryption of peer data failed; names what was being decrypted.
    #[error("decryption of {0} failed")]
    DecryptionFailed(EncryptedObject),
    /// RFC 9420 §6.3.1: a padding byte is not zero.
    #[error("non-zero padding in a PrivateMessage")]
    InvalidPadding,
    /// RFC 9420 §9, §15.3: the key for this message is not available (consumed, too far ahead).
    #[error("message key unavailable: {0}")]
    SecretUnavailable(KeyScheduleError),
    /// RFC 9420 §12.4.3.1: no entry of the Welcome is for one of our KeyPackages.
    #[error("no Welcome entry for our KeyPackage")]
    NoMatchingKeyPackage,
    /// RFC 9420 §12.4.3.1: the Welcome is inconsistent with our KeyPackage or itself.
    #[error("invalid Welcome: {0}")]
    InvalidWelcome(WelcomeReason),
    /// RFC 9420 §7, §12.4.3.3: the ratchet tree is invalid.
    #[error("invalid ratchet tree: {0}")]
    InvalidTree(TreeError),
    /// RFC 9420 §7.5, §7.6: the UpdatePath is invalid.
    #[error("invalid update path: {0}")]
    InvalidUpdatePath(UpdatePathError),
    /// RFC 9420 §7.3: a LeafNode fails validation; the reason names the rule.
    #[error("invalid leaf node: {0}")]
    InvalidLeafNode(LeafNodeReason),
    /// RFC 9420 §10.1: a KeyPackage fails validation; the reason names the rule.
    #[error("invalid key package: {0}")]
    InvalidKeyPackage(KeyPackageReason),
    /// RFC 9420 §12.1: a single proposal is invalid; the reason names the rule.
    #[error("invalid proposal: {0}")]
    InvalidProposal(ProposalReason),
    /// RFC 9420 §12.2: the commit's proposal list is invalid; the reason names the rule.
    #[error("invalid proposal list: {0}")]
    InvalidProposalList(ProposalListReason),
    /// RFC 9420 §12.4: a commit references a proposal not cached in this epoch.
    #[error("commit references an unknown proposal")]
    UnknownProposalRef,
    /// RFC 9420 §12.4, §12.4.2: the commit is invalid; the reason names the rule.
    #[error("invalid commit: {0}")]
    InvalidCommit(CommitReason),
    /// RFC 9420 §8.4: a PSK the message names is not available.
    #[error("PSK not available: {0}")]
    MissingPsk(MissingPskReason),
    /// RFC 9420 §8.4: a PSK id is not acceptable; the reason names the rule.
    #[error("invalid PSK: {0}")]
    InvalidPsk(PskReason),
    /// RFC 9420 §7.2, §11.1, §13: a capability the group needs is missing.
    #[error("unsupported capability: {0}")]
    UnsupportedCapability(CapabilityReason),
    /// RFC 9420 §13.4: an extension type appears twice in one list.
    #[error("duplicate extension type")]
    DuplicateExtension,
    /// RFC 9420 §12.1.8.1, §13: an extension's content is invalid; the reason names the rule.
    #[error("invalid extension: {0}")]
    InvalidExtension(ExtensionReason),
    /// RFC 9420 §12.4.2: the group cannot process messages (we were removed, or a ReInit is
    /// pending).
    #[error("group is inactive: {0}")]
    GroupInactive(InactiveReason),
    /// RFC 9420 §5.3.1: two members would have the same identity, and the Authentication
    /// Service's policy rejects that.
    #[error("two members would have the same identity")]
    DuplicateIdentity,
    /// RFC 9420 §5.3.1: the application's Authentication Service refused a credential.
    #[error("credential rejected: {0}")]
    CredentialRejected(cohort_credential::CredentialError),
    /// RFC 9420 §12.4.3: the GroupInfo is invalid; the reason names the rule.
    #[error("invalid group info: {0}")]
    InvalidGroupInfo(GroupInfoReason),
    /// RFC 9420 §12.1.8: the application's policy did not authorize a proposal from outside the
    /// group.
    #[error("external proposal not authorized")]
    ExternalProposalRejected,
    /// RFC 9420 §12.1 (V-12.1-04): a proposal of a type this client does not implement.
    #[error("unsupported proposal type {0:#06x}")]
    UnsupportedProposalType(u16),
    /// RFC 9420 §12.2, §12.4.3.2: the application's [`ProposalPolicy`](crate::ProposalPolicy)
    /// refused a member's proposal, or a resync; names what was refused.
    #[error("refused by the application's policy: {0}")]
    PolicyViolation(PolicyReason),
    /// RFC 9420 §13: the application's check rejected a custom proposal.
    #[error("custom proposal of type {0:#06x} rejected by the application")]
    CustomProposalRejected(u16),
    /// draft-ietf-mls-extensions "Safe AAD" (X-AAD-01): the group's GroupContext has the
    /// `safe_aad` component, and the message's `authenticated_data` does not start with a
    /// well-formed `SafeAAD` (items sorted by component, one each).
    #[error("authenticated_data is not a SafeAAD, which the group requires")]
    MalformedSafeAad,
    /// draft-ietf-mls-extensions "Framing of application_data" (X-CM-02): the group has
    /// `content_media_types`, and the application data is not an `ApplicationFraming`.
    #[error("application data is not an ApplicationFraming, which the group requires")]
    MalformedApplicationFraming,
}

/// A misuse of the API by the caller.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ApiMisuse {
    /// RFC 9420 §6.2: application data may only be sent as a PrivateMessage.
    #[error("application data cannot be sent as a PublicMessage")]
    ApplicationAsPublicMessage,
    /// RFC 9420 §6.3.2: only members can send PrivateMessages.
    #[error("only a member sender can send a PrivateMessage")]
    PrivateMessageFromNonMember,
    /// A commit must carry a confirmation tag, and nothing else may.
    #[error("confirmation tag given for a non-commit, or missing for a commit")]
    ConfirmationTagMismatch,
    /// The stored state was written by a newer version of cohort.
    #[error("stored group state has version {0}, which this build cannot read")]
    UnsupportedStateVersion(u16),
    /// This proposal type cannot be proposed on its own (Update: use a self-update commit;
    /// ExternalInit: only inside an external commit).
    #[error("this proposal type cannot be sent as a proposal")]
    UnsupportedProposal,
    /// There is no pending commit to merge.
    #[error("no pending commit")]
    NoPendingCommit,
    /// A ratchet snapshot was restored after the group left the epochs it was taken in.
    #[error("the ratchet snapshot is of other epochs than the group's")]
    StaleRatchetSnapshot,
    /// The cipher suite is not available from the provider.
    #[error("cipher suite {0} is not available")]
    UnsupportedCipherSuite(u16),
    /// RFC 9420 §11.2: reinitializing needs a committed ReInit, and there is none.
    #[error("no ReInit is pending")]
    NoPendingReInit,
    /// The protocol version is not one this build runs (only `mls10`).
    #[error("protocol version {0} is not supported")]
    UnsupportedVersion(u16),
    /// RFC 9420 §12.1.8: the signer is not the external sender at that index of the group's
    /// `external_senders` extension, or (for a new member proposal) not the KeyPackage's.
    #[error("the signer is not the external sender it claims to be")]
    NotTheSender,
    /// draft-ietf-mls-extensions "Safe AAD": the group frames `authenticated_data` as a
    /// `SafeAAD`, and the authenticated data given does not start with one.
    #[error("the group requires authenticated_data to be a SafeAAD")]
    AadNotSafeAad,
    /// draft-ietf-mls-extensions "Content Advertisement": a media type the group's
    /// `content_media_types` does not list (or the group has none).
    #[error("the group does not list this media type")]
    MediaTypeNotInGroup,
    /// draft-ietf-mls-extensions "Content Advertisement": a new member does not advertise every
    /// media type the group's `content_media_types` requires, and a client should not add it.
    #[error("a new member does not advertise the group's media types")]
    MediaTypesUnsupported,
    /// draft-ietf-mls-extensions "Exported Secrets": the component's safe exported secret of
    /// this epoch was exported already, and its key material deleted.
    #[error("component {0:#06x}'s exported secret of this epoch was already consumed")]
    ExportedSecretConsumed(u16),
    /// A staged commit was merged into another group than the one that staged it.
    #[error("the staged commit is for another group")]
    StagedCommitForAnotherGroup,
    /// A staged commit was merged into the group after it left the epoch the commit was staged
    /// in (another commit was merged first, or the staged commit was merged already).
    #[error("the staged commit was staged in epoch {staged}, but the group is at epoch {current}")]
    StaleStagedCommit {
        /// The epoch the commit was staged in.
        staged: u64,
        /// The group's current epoch.
        current: u64,
    },
}
