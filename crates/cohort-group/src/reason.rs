//! Why a check failed: one unit enum of reasons per [`ValidationError`] variant that names one.
//!
//! Each reason's documentation cites the RFC 9420 section that requires the check (and the
//! checklist ID where there is one); its `Display` is the text the error message shows. Match
//! on the variants, not on the text, which may be reworded.

#[cfg(doc)]
use crate::ValidationError;

/// Why the wire format or content type of a message is not allowed where it was received
/// ([`ValidationError::UnexpectedWireFormat`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum WireFormatReason {
    /// RFC 9420 §12.4.3.2: an external commit came as a PrivateMessage; it must be a PublicMessage
    /// (the joiner holds no key of the epoch to encrypt with).
    #[error("an external commit must be a PublicMessage")]
    ExternalCommitNotPublic,
    /// RFC 9420 §6.2 (V-6-03): application data came in a PublicMessage; it may only come in a
    /// PrivateMessage.
    #[error("application data in a PublicMessage")]
    ApplicationInPublicMessage,
    /// RFC 9420 §6: the message to process is not a PublicMessage or a PrivateMessage (a Welcome,
    /// GroupInfo or KeyPackage is not processed as group content).
    #[error("expected a PublicMessage or PrivateMessage")]
    NotFramedContent,
    /// RFC 9420 §6: a handshake message (proposal or commit content type) carries application data.
    #[error("application data in a handshake message")]
    ApplicationInHandshake,
    /// RFC 9420 §6.3.1: the decrypted content is not of the content type the PrivateMessage
    /// announces.
    #[error("content type mismatch")]
    ContentTypeMismatch,
}

/// Why the sender of a message is not acceptable ([`ValidationError::InvalidSender`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum SenderReason {
    /// RFC 9420 §6.1, §12.4 (V-12.4.2-06): a commit from an external sender or a
    /// new-member-proposal sender; only members (and, by external commit, new members) commit.
    #[error("a commit must come from a member")]
    CommitFromNonMember,
    /// RFC 9420 §12.4.2: the committer's leaf is blank once the commit's proposals are applied.
    #[error("committer's leaf is blank")]
    CommitterLeafBlank,
    /// RFC 9420 §12.1.2 (V-12.1.2-02): an Update proposal from a sender that is not a member.
    #[error("only members may send an Update")]
    UpdateFromNonMember,
    /// RFC 9420 §12.1.2 (V-12.1.2-02): an Update proposal from a member sender whose leaf is blank.
    #[error("blank leaf")]
    UpdateFromBlankLeaf,
    /// RFC 9420 §6.1 (V-6.1-04): sender type `new_member_commit` on content that is not a commit.
    #[error("a new member commit must be a commit")]
    NewMemberCommitNotCommit,
    /// RFC 9420 §6.3.2 (V-6.3.2-03): the sender data of a PrivateMessage names a blank leaf or one
    /// outside the tree.
    #[error("blank or unknown leaf")]
    PrivateMessageFromBlankLeaf,
    /// RFC 9420 §6.1 (V-6.1-01): a member sender whose leaf is blank or outside the tree.
    #[error("blank or out-of-range leaf")]
    MemberLeafBlankOrOutOfRange,
    /// RFC 9420 §6.1, §12.1.8 (V-6.1-02): an external sender, but the group has no
    /// `external_senders` extension.
    #[error("no external_senders extension")]
    NoExternalSenders,
    /// RFC 9420 §6.1, §12.1.8 (V-6.1-02): an external sender index past the end of the group's
    /// `external_senders` list.
    #[error("external sender index out of range")]
    ExternalSenderOutOfRange,
    /// RFC 9420 §6.1, §12.1.8 (V-6.1-03, V-12.1.8-02): an external sender sent content other than a
    /// proposal of a type the registry marks "Ext".
    #[error(
        "an external sender may only send add, remove, psk, reinit or group_context_extensions proposals"
    )]
    ExternalSenderContent,
    /// RFC 9420 §6.1, §12.1.8 (V-6.1-05): a `new_member_proposal` sender proposed something other
    /// than an Add.
    #[error("a new member may only propose its own Add")]
    NewMemberProposalNotAdd,
    /// RFC 9420 §6.1 (V-6.1-05): sender type `new_member_proposal` on content that is not a
    /// proposal.
    #[error("a new member proposal must be a proposal")]
    NewMemberProposalNotProposal,
    /// RFC 9420 §6.1, §6.3.2: application data from a sender that is not a member.
    #[error("application data from a non-member")]
    ApplicationFromNonMember,
}

/// The object whose signature did not verify ([`ValidationError::InvalidSignature`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum SignedObject {
    /// RFC 9420 §6.1 (V-6.1-06): the signature over a message's `FramedContentTBS`.
    #[error("FramedContent")]
    FramedContent,
    /// RFC 9420 §12.4.3, §12.4.3.1 (V-12.4.3.1-07): the signature over a `GroupInfoTBS`, by the
    /// leaf the GroupInfo names as its signer.
    #[error("GroupInfo")]
    GroupInfo,
    /// RFC 9420 §7.3 (V-7.3-02): the signature over a `LeafNodeTBS`.
    #[error("LeafNode")]
    LeafNode,
    /// RFC 9420 §10.1 (V-10.1-03): the signature over a `KeyPackageTBS`, under its leaf's key.
    #[error("KeyPackage")]
    KeyPackage,
    /// draft-ietf-mls-extensions "Signature Keys": a component's `SafeSignWithLabel`
    /// signature.
    #[error("component signature")]
    Component,
}

/// What did not decrypt ([`ValidationError::DecryptionFailed`]).
///
/// Only a failure the peer's data explains (a tag that does not verify, a malformed encapsulation)
/// is reported this way; a failure of our own provider is an
/// [`Error::Crypto`](crate::Error::Crypto).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum EncryptedObject {
    /// RFC 9420 §8.3, §12.4.3.2: the `kem_output` of an ExternalInit proposal, which the group's
    /// external key cannot decapsulate.
    #[error("ExternalInit")]
    ExternalInit,
    /// RFC 9420 §6.3.2: the encrypted sender data of a PrivateMessage.
    #[error("SenderData")]
    SenderData,
    /// RFC 9420 §6.3.1: the content of a PrivateMessage.
    #[error("PrivateMessage content")]
    PrivateMessageContent,
    /// RFC 9420 §12.4.3.1: the Welcome's GroupSecrets addressed to our KeyPackage.
    #[error("GroupSecrets")]
    GroupSecrets,
    /// RFC 9420 §12.4.3.1 (V-12.4.3.1-06): the Welcome's encrypted GroupInfo.
    #[error("GroupInfo")]
    GroupInfo,
    /// draft-ietf-mls-extensions "HPKE Keys": a component's `SafeEncryptWithLabel` ciphertext.
    #[error("component ciphertext")]
    Component,
}

/// Why a Welcome was rejected ([`ValidationError::InvalidWelcome`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum WelcomeReason {
    /// RFC 9420 §12.4.3.1 (V-12.4.3.1-02): the Welcome's cipher suite is not our KeyPackage's.
    #[error("cipher suite differs from our KeyPackage's")]
    SuiteDiffersFromKeyPackage,
    /// RFC 9420 §12.4.3.1 (V-12.4.3.1-05): the GroupSecrets name more than one resumption PSK of
    /// usage `reinit` or `branch`.
    #[error("more than one reinit or branch resumption PSK")]
    TwoResumptionPsks,
    /// RFC 9420 §12.4.3.1 (V-12.4.3.1-09): the GroupInfo's cipher suite is not our KeyPackage's, or
    /// its version is not `mls10`.
    #[error("GroupInfo suite or version differs")]
    GroupInfoSuiteOrVersion,
    /// RFC 9420 §12.4.3.1, §12.4.3.3 (V-12.4.3.1-10): neither the GroupInfo's `ratchet_tree`
    /// extension nor the caller supplies the tree.
    #[error("no ratchet tree")]
    NoRatchetTree,
    /// RFC 9420 §12.4.3.1 (V-12.4.3.1-17): no leaf of the tree is identical to our KeyPackage's
    /// leaf.
    #[error("our leaf is not in the tree")]
    OwnLeafMissing,
    /// RFC 9420 §11.2, §11.3 (V-11.2-03): a Welcome that resumes a group carries no resumption PSK
    /// of usage `reinit` or `branch`.
    #[error("no reinit or branch PSK of the resumed group")]
    NoResumptionPsk,
    /// RFC 9420 §11.2, §11.3: the Welcome's resumption PSK is not of the group it resumes.
    #[error("the resumption PSK is of another group")]
    ResumptionPskOfAnotherGroup,
    /// RFC 9420 §11.2, §11.3 (V-11.2-02, V-11.3-02, V-12.4.3.1-22): a reinitialized or branched
    /// group is not at epoch 1.
    #[error("a reinitialized or branched group must start at epoch 1")]
    ResumedEpochNotOne,
    /// RFC 9420 §11.2 (V-11.2-03, V-12.4.3.1-23): a reinit PSK, but the resumed group committed no
    /// ReInit.
    #[error("the resumed group has no pending ReInit")]
    NoPendingReInit,
    /// RFC 9420 §11.2 (V-11.2-03, V-12.4.3.1-23): the reinit PSK is not of the epoch the ReInit
    /// commit began.
    #[error("the reinit PSK is not of the epoch the ReInit commit began")]
    ReInitPskEpoch,
    /// RFC 9420 §11.2 (V-11.2-01): the new group's id, version, cipher suite or extensions are not
    /// the ReInit's.
    #[error("the new group does not match the ReInit")]
    ReInitMismatch,
    /// RFC 9420 §11.2 (V-11.2-01, V-12.4.3.1-23): the reinitialized group's members are not the old
    /// group's.
    #[error("the reinitialized group's members are not the old group's")]
    ReInitMembership,
    /// RFC 9420 §11.3 (V-11.3-01, V-12.4.3.1-24): a branch changes the version or the cipher suite.
    #[error("a branch must keep the version and cipher suite")]
    BranchSuiteOrVersion,
    /// RFC 9420 §11.3 (V-11.3-03, V-12.4.3.1-24): a member of the branch is not a member of the old
    /// group.
    #[error("a member of the branch is not a member of the old group")]
    BranchMemberNotInOldGroup,
}

/// Why a LeafNode failed validation ([`ValidationError::InvalidLeafNode`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum LeafNodeReason {
    /// RFC 9420 §12.4.2, §12.2 (V-12.4.2-09, V-12.2-17): a commit path's leaf keeps the encryption
    /// key of the leaf it replaces.
    #[error("the path leaf's encryption key is not fresh")]
    PathKeyNotFresh,
    /// RFC 9420 §7.3, §12.1.2 (V-7.3-10): an Update's leaf keeps the encryption key of the leaf it
    /// replaces.
    #[error("an Update must change the encryption key")]
    UpdateKeyNotFresh,
    /// RFC 9420 §7.3 (V-7.3-06): the current time is outside the leaf's lifetime.
    #[error("the leaf is outside its lifetime")]
    OutsideLifetime,
    /// RFC 9420 §7.3 (V-7.3-08/09/11, V-7.2-07): the `leaf_node_source` is not `key_package` in a
    /// KeyPackage, `update` in an Update or `commit` in a commit path.
    #[error("leaf_node_source does not match where the leaf was received")]
    SourceMismatch,
    /// RFC 9420 §5.1.2 (V-5.1.2-01): the signature key is not a key of the group's signature
    /// scheme.
    #[error("the signature key is not a key of the group's signature scheme")]
    SignatureKeyScheme,
    /// RFC 9420 §7.2 (V-7.2-02): the leaf's own credential type is not in its capabilities.
    #[error("the leaf's credential type is not in its capabilities")]
    CredentialTypeNotInCapabilities,
    /// RFC 9420 §7.2 (V-7.2-06): the capabilities list a default extension or proposal type (a
    /// strict check).
    #[error("the capabilities list a default extension or proposal type")]
    DefaultTypeInCapabilities,
    /// RFC 9420 §7.2, §7.3 (V-7.2-03, V-7.3-07): a non-default leaf extension is not listed in the
    /// leaf's capabilities.
    #[error("an extension is not listed in the leaf's capabilities")]
    ExtensionNotInCapabilities,
    /// RFC 9420 §5.1.1, §10 (V-10-03, V-5.1.1-01): the encryption key is not a valid public key of
    /// the suite's KEM.
    #[error("the encryption key is not a valid HPKE key")]
    InvalidEncryptionKey,
    /// RFC 9420 §7.2 (V-7.2-05, V-7.3-06): the lifetime's `not_after` is before its `not_before`.
    #[error("the lifetime is inverted (not_after before not_before)")]
    InvertedLifetime,
    /// RFC 9420 §7.2 (V-7.2-05): the lifetime is longer than the application's maximum
    /// ([`LifetimePolicy`](crate::LifetimePolicy)).
    #[error("the lifetime is longer than the application's maximum (LifetimePolicy)")]
    LifetimeTooLong,
    /// RFC 9420 §7.3 (V-7.3-04): a member of the group does not list the leaf's credential type.
    #[error("a member does not support the leaf's credential type")]
    CredentialUnsupportedByMember,
    /// RFC 9420 §7.3 (V-7.3-05): the leaf does not list a credential type in use in the group.
    #[error("the leaf does not support a credential type in use in the group")]
    CredentialInUseUnsupported,
    /// draft-ietf-mls-extensions "Multi-Credentials" (X-MC-01): a `multi` or `weak-multi`
    /// credential whose body is not a list of credential bindings.
    #[error("a malformed multi-credential")]
    MalformedMultiCredential,
    /// draft-ietf-mls-extensions "Verifying a Multi-Credential" (X-MC-02): a binding's signature
    /// does not verify under its credential key for the leaf's signature key.
    #[error("a credential binding's signature does not verify")]
    InvalidCredentialBinding,
    /// draft-ietf-mls-extensions "Verifying a Multi-Credential" (X-MC-03): in a `multi`
    /// credential, a binding some member (this client included) does not support (its
    /// credential type or cipher suite).
    #[error("a member does not support a binding of the multi-credential")]
    MultiBindingUnsupported,
    /// draft-ietf-mls-extensions "Verifying a Multi-Credential" (X-MC-04): in a `weak-multi`
    /// credential, a member (this client included) supports none of the bindings.
    #[error("a member supports no binding of the weak multi-credential")]
    WeakMultiNoSupportedBinding,
    /// RFC 9420 §7.3, §12.4.3.1 (V-7.3-04/05): in a tree received at join, a member does not list a
    /// credential type in use in the group.
    #[error("a member does not support a credential type in use in the group")]
    TreeCredentialUnsupported,
}

/// Why a KeyPackage failed validation ([`ValidationError::InvalidKeyPackage`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum KeyPackageReason {
    /// RFC 9420 §10.1 (V-10.1-01): the KeyPackage's cipher suite or version is not the group's.
    #[error("cipher suite or version differs from the group's")]
    SuiteOrVersion,
    /// RFC 9420 §10.1 (V-10.1-04): the `init_key` equals the leaf's `encryption_key`.
    #[error("init_key equals the leaf's encryption key")]
    InitKeyEqualsEncryptionKey,
    /// RFC 9420 §5.1.1, §10 (V-10-03, V-5.1.1-01): the `init_key` is not a valid public key of the
    /// suite's KEM.
    #[error("init_key is not a valid HPKE key")]
    InvalidInitKey,
    /// RFC 9420 §10 (V-10-01): the KeyPackage's version is not that of the MLSMessage carrying it.
    #[error("the KeyPackage's version differs from its MLSMessage's")]
    VersionDiffersFromMessage,
}

/// Why a single proposal is invalid ([`ValidationError::InvalidProposal`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ProposalReason {
    /// RFC 9420 §12.1.3 (V-12.1.3-01): a Remove names a blank leaf or one outside the tree.
    #[error("a Remove must name a member")]
    RemoveOfNonMember,
    /// RFC 9420 §12.1.4 (V-12.1.4-01/02): a PreSharedKey proposal carries a resumption PSK of usage
    /// `reinit` or `branch`.
    #[error("a PSK proposal may only carry an application resumption PSK")]
    NonApplicationResumptionPsk,
    /// RFC 9420 §12.1.5 (V-12.1.5-01): a ReInit asks for a lower protocol version than the group's.
    #[error("a ReInit may not lower the protocol version")]
    ReInitLowersVersion,
    /// RFC 9420 §12.1: a proposal of a kind this client cannot judge in a commit's list.
    #[error("unknown proposal")]
    UnknownProposal,
    /// RFC 9420 §12.1.6 (V-12.1.6-01): an ExternalInit sent as a proposal; it is only valid inside
    /// an external commit.
    #[error("ExternalInit is only valid inside an external commit")]
    ExternalInitOutsideExternalCommit,
    /// draft-ietf-mls-extensions, SelfRemove (X-SR-02): a SelfRemove from a sender that is not a
    /// member (an external sender or a new member).
    #[error("a SelfRemove must come from a member")]
    SelfRemoveFromNonMember,
    /// draft-ietf-mls-extensions, SelfRemove (X-SR-03): a SelfRemove proposal not sent as a
    /// PublicMessage.
    #[error("a SelfRemove must be sent as a PublicMessage")]
    SelfRemoveNotPublic,
    /// draft-ietf-mls-extensions, SelfRemove (X-SR-01): a SelfRemove in a group where not every
    /// member lists its type in its capabilities.
    #[error("SelfRemove in a group whose members do not all support it")]
    SelfRemoveUnsupported,
    /// draft-ietf-mls-extensions "Updating Application Data" and "Attaching Application Data to
    /// a Commit" (X-AD-01, X-AE-01): an AppDataUpdate or AppEphemeral for a component the
    /// application does not know.
    #[error("the proposal names a component the application does not know")]
    UnknownComponent,
    /// draft-ietf-mls-extensions "Updating Application Data" (X-AD-02): an AppDataUpdate removes
    /// the data of a component that has none in the GroupContext.
    #[error("an AppDataUpdate removes a component that has no data")]
    AppDataRemoveOfAbsent,
    /// draft-ietf-mls-extensions "Attaching Application Data to a Commit" (X-AE-02): the
    /// application's logic for the component refused an AppEphemeral's data.
    #[error("the application refused an AppEphemeral's data")]
    AppEphemeralRefused,
}

/// Why a commit's list of proposals is invalid ([`ValidationError::InvalidProposalList`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ProposalListReason {
    /// RFC 9420 §12.4 (V-12.4-03): the commit includes a proposal twice.
    #[error("a proposal is included twice")]
    IncludedTwice,
    /// RFC 9420 §12.2 (V-12.2-06): two Adds for the same client (signature key).
    #[error("two Adds for the same client")]
    DuplicateAdd,
    /// RFC 9420 §12.2 (V-12.2-07): an Add for a client already in the group, and not removed by the
    /// same commit.
    #[error("an Add for a client already in the group")]
    AddOfMember,
    /// RFC 9420 §12.2 (V-12.2-03): the committer covers an Update of its own.
    #[error("the committer cannot commit its own Update")]
    CommitterUpdate,
    /// RFC 9420 §12.2 (V-12.2-05): two Updates or Removes (or one of each) for the same leaf.
    #[error("two Updates or Removes for one leaf")]
    DuplicateUpdateOrRemove,
    /// RFC 9420 §12.2 (V-12.2-04, V-12.4.2-04): the commit removes its committer.
    #[error("the committer cannot remove itself")]
    CommitterRemoved,
    /// RFC 9420 §12.2 (V-12.2-08): two PreSharedKey proposals for the same PSK.
    #[error("two PreSharedKey proposals for one PSK")]
    DuplicatePsk,
    /// RFC 9420 §12.2 (V-12.2-10): a ReInit together with other proposals.
    #[error("a ReInit must be the only proposal")]
    ReInitNotAlone,
    /// RFC 9420 §12.2 (V-12.2-11): an ExternalInit in a member's (not an external) commit.
    #[error("an ExternalInit in a member's commit")]
    ExternalInitInMemberCommit,
    /// RFC 9420 §12.2 (V-12.2-12): a member the commit keeps does not support a custom proposal
    /// type it carries.
    #[error("a member does not support a custom proposal type")]
    CustomTypeUnsupported,
    /// RFC 9420 §12.2 (V-12.2-09): more than one GroupContextExtensions proposal.
    #[error("more than one GroupContextExtensions proposal")]
    MultipleGroupContextExtensions,
    /// RFC 9420 §12.2 (V-12.2-15): an external commit with more than one ExternalInit.
    #[error("more than one ExternalInit")]
    MultipleExternalInits,
    /// RFC 9420 §12.2 (V-12.2-16): an external commit with more than one Remove.
    #[error("more than one Remove in an external commit")]
    MultipleRemovesInExternalCommit,
    /// RFC 9420 §12.2 (V-12.2-18): an external commit holds a proposal other than ExternalInit,
    /// Remove and PreSharedKey.
    #[error("an external commit may only hold ExternalInit, Remove and PreSharedKey")]
    ExternalCommitProposalType,
    /// RFC 9420 §12.2 (V-12.2-15): an external commit without an ExternalInit.
    #[error("an external commit needs exactly one ExternalInit")]
    MissingExternalInit,
    /// RFC 9420 §12.2, §5.3.1 (V-12.2-17, V-5.3.1-07): the Remove of a resync names a member whose
    /// credential the new leaf's does not succeed.
    #[error("a resync must keep the removed member's credential")]
    ResyncChangesCredential,
    /// draft-ietf-mls-extensions, SelfRemove (X-SR-04): a SelfRemove carried by value; it is
    /// committed by reference only.
    #[error("a SelfRemove may only be committed by reference")]
    SelfRemoveByValue,
    /// draft-ietf-mls-extensions "Updating Application Data" (X-AD-03): for one component, more
    /// than one AppDataUpdate `remove`, or both `update` and `remove`.
    #[error("AppDataUpdates for one component both remove it twice or remove and update it")]
    AppDataUpdateConflict,
    /// draft-ietf-mls-extensions "Updating Application Data" (X-AD-04): the application's logic
    /// for a component refused the commit's updates of its data.
    #[error("the application refused a component's AppDataUpdates")]
    AppDataUpdateRefused,
    /// draft-ietf-mls-extensions "Updating Application Data" (X-AD-05): a GroupContextExtensions
    /// proposal adds, removes or changes `app_data_dictionary` in a group that requires the
    /// AppDataUpdate proposal type.
    #[error("a GroupContextExtensions changes app_data_dictionary where AppDataUpdate is required")]
    GceChangesAppData,
    /// RFC 9420 §12.2 (V-12.2-12), for the proposal types of draft-ietf-mls-extensions
    /// (X-AD-06): a member the commit keeps does not list the type in its capabilities.
    #[error("a member the commit keeps does not support a proposal type of the MLS extensions")]
    ExtensionTypeUnsupported,
}

/// Why a commit is invalid ([`ValidationError::InvalidCommit`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum CommitReason {
    /// RFC 9420 §12.4.2 (V-12.4.2-18): a commit by our own leaf that is not the exact echo of our
    /// pending commit.
    #[error("our own commit must be merged from its pending state, not processed")]
    OwnCommitProcessed,
    /// RFC 9420 §8.1 (V-8.1-02): the commit would move the group past the last epoch a `uint64` can
    /// count.
    #[error("the epoch counter would overflow")]
    EpochOverflow,
    /// RFC 9420 §12.4 (V-12.4-01): the proposal list requires a path and the commit has none.
    #[error("a path is required but missing")]
    PathMissing,
    /// RFC 9420 §12.1.2, §12.4.2: the commit applies an Update of our leaf that we did not send.
    #[error("the commit applies an Update of our leaf that we did not send")]
    UnsentOwnUpdate,
    /// RFC 9420 §12.4.3.2 (V-12.4.3.2-03): an external commit without a path.
    #[error("an external commit must carry a path")]
    ExternalCommitWithoutPath,
    /// RFC 9420 §12.4.3.2 (V-12.4.3.2-04): an external commit includes proposals by reference.
    #[error("an external commit may not include proposals by reference")]
    ExternalCommitByReference,
    /// RFC 9420 §6.1, §12.4.3.2 (V-6.1-04, V-12.4.3.2-03): a `new_member_commit` sender's commit
    /// has no path to take its signature key from.
    #[error("an external commit needs a path")]
    NewMemberCommitWithoutPath,
}

/// Which PSK a message names that is not available ([`ValidationError::MissingPsk`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum MissingPskReason {
    /// RFC 9420 §8.4 (V-8.4-01): an external PSK the application does not know.
    #[error("an external PSK is unknown")]
    UnknownExternal,
    /// RFC 9420 §8.4, §8.6: a resumption PSK of a group that is neither this one nor the one it
    /// resumes.
    #[error("a resumption PSK of another group")]
    ResumptionOfUnknownGroup,
    /// RFC 9420 §8.4, §8.6 (V-8.4-05): a resumption PSK of an epoch whose secret is no longer
    /// retained.
    #[error("a resumption PSK of an epoch not retained")]
    ResumptionEpochNotRetained,
    /// draft-ietf-mls-extensions "Pre-Shared Keys" (X-PSK-01): an application PSK that the
    /// application does not know for its component.
    #[error("an application component's PSK is unknown")]
    UnknownApplication,
}

/// Why a PSK id is not acceptable ([`ValidationError::InvalidPsk`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum PskReason {
    /// RFC 9420 §8.4, §12.1.4 (V-12.1.4-03, V-8.4-02): the `psk_nonce` is not `Nh` bytes long.
    #[error("psk_nonce is not Nh bytes long")]
    NonceLength,
}

/// Which capability the group needs is missing from a leaf
/// ([`ValidationError::UnsupportedCapability`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum CapabilityReason {
    /// RFC 9420 §7.3 (V-7.3-14): the leaf's capabilities lack the group's version or cipher suite
    /// (a strict check).
    #[error("the group's version or cipher suite")]
    GroupVersionOrSuite,
    /// RFC 9420 §7.3, §11.1 (V-7.3-03, V-11.1-01): the leaf lacks a capability of the group's
    /// `required_capabilities`.
    #[error("a required capability of the group")]
    RequiredCapability,
    /// draft-ietf-mls-extensions "Negotiating Extensions and Components" (X-NEG-01): the leaf's
    /// `app_components` (or `safe_aad`) list lacks a component the GroupContext's list requires.
    #[error("a component the group requires")]
    RequiredComponent,
    /// draft-ietf-mls-extensions "Negotiating Extensions and Components" (X-NEG-02): the leaf's
    /// `supported_wire_formats` lacks a wire format of the group's `required_wire_formats`.
    #[error("a wire format the group requires")]
    RequiredWireFormat,
    /// RFC 9420 §13.4, §12.1.7 (V-13.4-04, V-12.1.7-02): the leaf does not list a non-default
    /// GroupContext extension type in use.
    #[error("a GroupContext extension of the group")]
    GroupContextExtension,
}

/// Why an extension's content or placement is invalid ([`ValidationError::InvalidExtension`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ExtensionReason {
    /// draft-ietf-mls-extensions (X-AD-07, X-WF-01): an `app_data_dictionary` whose entries are
    /// out of order or repeat a component, or a `supported_wire_formats` /
    /// `required_wire_formats` body that does not decode exactly.
    #[error("an MLS-extensions extension body is malformed")]
    MalformedDraftExtension,
    /// RFC 9420 §12.1.8.1 (V-12.1.8.1-01): an external sender's signature key is not a key of the
    /// group's signature scheme.
    #[error("an external sender's signature key is not a key of the group's scheme")]
    ExternalSenderKeyScheme,
    /// RFC 9420 §13.4, §17.3 (V-13.4-06): a KeyPackage carries an extension the registry does not
    /// allow there (a strict check).
    #[error("an extension that may not appear in a KeyPackage")]
    NotAllowedInKeyPackage,
    /// RFC 9420 §13.4, §17.3 (V-13.4-06): a LeafNode carries an extension the registry does not
    /// allow there (a strict check).
    #[error("an extension that may not appear in a LeafNode")]
    NotAllowedInLeafNode,
    /// RFC 9420 §13.4, §17.3 (V-13.4-06): a GroupContext carries an extension the registry does not
    /// allow there (a strict check).
    #[error("an extension that may not appear in a GroupContext")]
    NotAllowedInGroupContext,
}

/// Why the group can no longer process messages ([`ValidationError::GroupInactive`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum InactiveReason {
    /// RFC 9420 §12.4.2 (V-12.4.2-17): a commit removed us from the group.
    #[error("we were removed from the group")]
    Removed,
    /// RFC 9420 §11.2, §12.4.2 (V-12.4.2-16): a ReInit was committed; the members move to the new
    /// group.
    #[error("a ReInit is pending")]
    ReInitPending,
}

/// Why a GroupInfo is invalid ([`ValidationError::InvalidGroupInfo`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum GroupInfoReason {
    /// RFC 9420 §12.4.3.2 (V-12.4.3.2-01): a GroupInfo for an external join has no `external_pub`
    /// extension.
    #[error("no external_pub extension")]
    NoExternalPub,
    /// RFC 9420 §12.4.3.2: the GroupInfo's `external_pub` extension does not decode.
    #[error("bad external_pub")]
    BadExternalPub,
    /// RFC 9420 §12.4.3.2, §12.4.3.3 (V-12.4.3.2-02): neither the GroupInfo's `ratchet_tree`
    /// extension nor the caller supplies the tree.
    #[error("no ratchet tree")]
    NoRatchetTree,
    /// RFC 9420 §12.4.3.1 (V-12.4.3.1-07): the leaf the GroupInfo names as its signer is blank or
    /// outside the tree.
    #[error("the signer's leaf is blank")]
    SignerLeafBlank,
    /// RFC 9420 §12.4.3.1 (V-12.4.3.1-08): the group id is already in use by one of our groups.
    #[error("the group id is already in use by one of our groups")]
    GroupIdInUse,
}

/// What the application's [`ProposalPolicy`](crate::ProposalPolicy) refused
/// ([`ValidationError::PolicyViolation`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum PolicyReason {
    /// RFC 9420 §12.2 (V-12.2-14): the policy refused a member's proposal.
    #[error("a member's proposal")]
    MemberProposal,
    /// RFC 9420 §12.4.3.2 (V-12.4.3.2-09): the policy refused a resync by external commit.
    #[error("resync by external commit")]
    Resync,
}
