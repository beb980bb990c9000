//! The [`Member`] abstraction: one MLS client in one group, whatever implementation runs it.
//!
//! Every method takes and returns TLS-serialized `MLSMessage` bytes (RFC 9420 §6), so what one
//! implementation produces is what another parses: the suite tests the wire, not shared types.

use std::error::Error as StdError;
use std::fmt;

/// The post-quantum suites of draft-ietf-mls-pq-ciphersuites-06 that OpenMLS 0.9.2 offers (its
/// `draft-ietf-mls-pq-ciphersuites` feature), at its code points: TBD1, TBD2, TBD6, TBD7, TBD8,
/// TBD9, TBD10 and TBD11. cohort speaks them through `PqCodePoints::OPENMLS`. (OpenMLS's ninth,
/// `0x0906`, ML-KEM-1024 with SHA-512 and ML-DSA-87, is not a suite of the draft.) mls-rs 0.57's
/// post-quantum suites use private code points and an X-Wing that is not the draft's, so it
/// plays none of them.
pub const OPENMLS_PQ_SUITES: [u16; 8] = [
    0x004F, 0x004E, 0xF042, 0x0050, 0x0042, 0x0052, 0x0051, 0x0907,
];

/// Which implementation runs a [`Member`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Implementation {
    /// cohort (this workspace), on its RustCrypto backend.
    Cohort,
    /// The published `mls-rs` crate, on `mls-rs-crypto-rustcrypto`.
    MlsRs,
    /// The published `openmls` crate, on `openmls_rust_crypto`.
    OpenMls,
}

impl Implementation {
    /// Every implementation, cohort first.
    pub const ALL: [Implementation; 3] = [
        Implementation::Cohort,
        Implementation::MlsRs,
        Implementation::OpenMls,
    ];

    /// A short lowercase name (`cohort`, `mls-rs`, `openmls`).
    pub fn name(self) -> &'static str {
        match self {
            Implementation::Cohort => "cohort",
            Implementation::MlsRs => "mls-rs",
            Implementation::OpenMls => "openmls",
        }
    }

    /// The cipher suites (IANA code points, and OpenMLS's for the post-quantum suites of
    /// draft-ietf-mls-pq-ciphersuites, [`OPENMLS_PQ_SUITES`]) this implementation's backend in
    /// this crate offers.
    pub fn cipher_suites(self) -> &'static [u16] {
        match self {
            Implementation::Cohort => &[
                1, 2, 3, 4, 5, 6, 7, 0x004F, 0x004E, 0xF042, 0x0050, 0x0042, 0x0052, 0x0051, 0x0907,
            ],
            Implementation::MlsRs => &[1, 2, 3, 7],
            Implementation::OpenMls => &[
                1, 2, 3, 0x004F, 0x004E, 0xF042, 0x0050, 0x0042, 0x0052, 0x0051, 0x0907,
            ],
        }
    }

    /// A new client of this implementation with a basic credential `identity`, for `suite`.
    ///
    /// # Errors
    /// [`Error::UnsupportedSuite`] when the backend lacks `suite`; a failure of the
    /// implementation while making the signing key.
    pub fn new_member(
        self,
        identity: &str,
        suite: u16,
        options: MemberOptions,
    ) -> Result<Box<dyn Member>, Error> {
        if !self.cipher_suites().contains(&suite) {
            return Err(Error::UnsupportedSuite {
                implementation: self,
                suite,
            });
        }
        match self {
            Implementation::Cohort => Ok(Box::new(crate::cohort_member::CohortMember::new(
                identity, suite, options,
            )?)),
            Implementation::MlsRs => crate::mls_rs_member::new_member(identity, suite, options),
            Implementation::OpenMls => Ok(Box::new(crate::openmls_member::OpenMlsMember::new(
                identity, suite, options,
            )?)),
        }
    }

    /// A new external sender (RFC 9420 §12.1.8) of this implementation with a basic credential
    /// `identity`, for `suite`: a client outside the group that signs proposals for it.
    ///
    /// # Errors
    /// [`Error::UnsupportedSuite`] when the backend lacks `suite`; a failure of the
    /// implementation while making the signing key.
    pub fn new_external_sender(
        self,
        identity: &str,
        suite: u16,
    ) -> Result<Box<dyn ExternalSender>, Error> {
        if !self.cipher_suites().contains(&suite) {
            return Err(Error::UnsupportedSuite {
                implementation: self,
                suite,
            });
        }
        match self {
            Implementation::Cohort => Ok(Box::new(
                crate::cohort_member::CohortExternalSender::new(identity, suite)?,
            )),
            Implementation::MlsRs => crate::mls_rs_member::new_external_sender(identity, suite),
            Implementation::OpenMls => Ok(Box::new(
                crate::openmls_member::OpenMlsExternalSender::new(identity, suite)?,
            )),
        }
    }

    /// Why this implementation cannot play `feature`, from its public API, or `None` when it
    /// can. The matrix leaves such cells out and lists them with this reason.
    pub fn lacks(self, feature: Feature) -> Option<&'static str> {
        match (self, feature) {
            (Implementation::OpenMls, Feature::ReInit) => Some(
                "OpenMLS 0.9.2 cannot propose a ReInit (Proposal::re_init is crate-private), has \
                 no call to create the group a ReInit describes, and joins a Welcome with an \
                 empty resumption-PSK store, so it cannot use the reinit PSK (RFC 9420 §11.2)",
            ),
            (Implementation::OpenMls, Feature::ExternalSenderPsk) => Some(
                "OpenMLS 0.9.2's ExternalProposal makes only Add, Remove and \
                 GroupContextExtensions proposals: an external sender cannot propose a PSK \
                 (RFC 9420 §12.1.8 allows it)",
            ),
            (Implementation::OpenMls, Feature::Branch) => Some(
                "OpenMLS 0.9.2 has no call to branch a subgroup, and joins a Welcome with an \
                 empty resumption-PSK store, so it cannot use the branch PSK (RFC 9420 §11.3)",
            ),
            (Implementation::OpenMls, Feature::SelfRemoveMlsRs) => Some(
                "OpenMLS 0.9.2 knows SelfRemove only at the draft's code point 0x000a and mls-rs \
                 0.57 only at its private 0xF003: a group with both has no SelfRemove type every \
                 member lists, so it is not self-remove-capable (draft-ietf-mls-extensions)",
            ),
            (Implementation::MlsRs, Feature::SelfRemoveDraft) => Some(
                "mls-rs 0.57 knows SelfRemove only at its private code point 0xF003, not at the \
                 draft's 0x000a (draft-ietf-mls-extensions)",
            ),
            (Implementation::MlsRs, Feature::AppData) => Some(
                "mls-rs 0.57 implements no application data of draft-ietf-mls-extensions: no \
                 app_data_dictionary extension, no AppDataUpdate or AppEphemeral proposal, no \
                 safe exporter",
            ),
            (Implementation::MlsRs, Feature::ApplicationPsk) => Some(
                "mls-rs 0.57 knows only the external and resumption PSK types of RFC 9420: it \
                 cannot make, read or resolve a PSK of type application(3) \
                 (draft-ietf-mls-extensions)",
            ),
            (Implementation::MlsRs, Feature::SafeAad) => Some(
                "mls-rs 0.57 implements no Safe AAD of draft-ietf-mls-extensions: it has no \
                 app_data_dictionary, so it neither frames its messages' authenticated_data as \
                 a SafeAAD where the group's dictionary has the safe_aad component nor parses \
                 one on receipt",
            ),
            _ => None,
        }
    }
}

/// A protocol feature that not every implementation offers (see [`Implementation::lacks`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    /// Proposing and committing a ReInit, and creating and joining the new group (RFC 9420
    /// §11.2).
    ReInit,
    /// Branching a subgroup and joining it (RFC 9420 §11.3).
    Branch,
    /// Proposing a PSK as an external sender (RFC 9420 §12.1.8).
    ExternalSenderPsk,
    /// SelfRemove (draft-ietf-mls-extensions) at the draft's code point,
    /// [`SELF_REMOVE_DRAFT`].
    SelfRemoveDraft,
    /// SelfRemove at mls-rs's private code point, [`SELF_REMOVE_MLS_RS`].
    SelfRemoveMlsRs,
    /// Application data (draft-ietf-mls-extensions): the `app_data_dictionary` GroupContext
    /// extension, AppDataUpdate and AppEphemeral proposals, and the safe exporter.
    AppData,
    /// Application PSKs (draft-ietf-mls-extensions): PreSharedKey proposals of PSK type
    /// `application(3)`, named by a component and an id.
    ApplicationPsk,
    /// Safe AAD (draft-ietf-mls-extensions): every message's `authenticated_data` framed as a
    /// SafeAAD in a group whose `app_data_dictionary` has the `safe_aad` component.
    SafeAad,
}

/// The application components of the `app-data` scenario (draft-ietf-mls-extensions), from
/// the private range (`0x8000` and up). Every member set up with [`MemberOptions::app_data`]
/// knows them with "replace" semantics: an AppDataUpdate's `update` is the component's new
/// data, and of several in one commit the last one counts.
pub const APP_COMPONENTS: [u16; 2] = [0x8001, 0x8002];

/// A group's application data: the entries of its `app_data_dictionary`
/// (draft-ietf-mls-extensions), as (component id, data), in component order.
pub type AppData = Vec<(u16, Vec<u8>)>;

/// The application PSK of the `app-psk` scenario (draft-ietf-mls-extensions, PSK type
/// `application(3)`): the component that owns it, its id and its secret, which every member
/// registers.
pub const APP_PSK: (u16, &[u8], &[u8]) = (APP_COMPONENTS[0], b"shared-file", &[0x33; 32]);

/// The items of a SafeAAD (draft-ietf-mls-extensions), as (component id, data), in component
/// order.
pub type SafeAadItems = Vec<(u16, Vec<u8>)>;

/// The `safe_aad` component (draft-ietf-mls-extensions, ComponentId 2): in a group's
/// `app_data_dictionary` it asks every message's `authenticated_data` to start with a SafeAAD.
pub const SAFE_AAD_COMPONENT: u16 = 2;

/// The SelfRemove proposal type draft-ietf-mls-extensions suggests, which OpenMLS and cohort use.
pub const SELF_REMOVE_DRAFT: u16 = 0x000a;

/// The private-use proposal type mls-rs 0.57 sends SelfRemove at.
pub const SELF_REMOVE_MLS_RS: u16 = 0xf003;

impl Implementation {
    /// The SelfRemove code point a group of `lineup` uses: mls-rs's [`SELF_REMOVE_MLS_RS`]
    /// when an mls-rs member takes part, otherwise the draft's [`SELF_REMOVE_DRAFT`]. With
    /// both mls-rs and OpenMLS in the lineup there is none (see [`Implementation::lacks`]).
    pub fn self_remove_code_point(lineup: &[Implementation]) -> u16 {
        if lineup.contains(&Implementation::MlsRs) {
            SELF_REMOVE_MLS_RS
        } else {
            SELF_REMOVE_DRAFT
        }
    }

    /// The feature a lineup needs to play SelfRemove at `code_point`.
    pub fn self_remove_feature(code_point: u16) -> Feature {
        if code_point == SELF_REMOVE_MLS_RS {
            Feature::SelfRemoveMlsRs
        } else {
            Feature::SelfRemoveDraft
        }
    }
}

/// What a ReInit proposal (RFC 9420 §12.1.5) asks for: the new group's id, cipher suite and
/// GroupContext extensions (version MLS 1.0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReInitSpec {
    /// The new group's id.
    pub group_id: Vec<u8>,
    /// The new group's cipher suite (IANA code point).
    pub suite: u16,
    /// When set, the new group's GroupContext carries one extension of the non-default type
    /// [`HARNESS_EXTENSION`] with this body (every member lists the type in its
    /// capabilities); otherwise it has no extensions.
    pub extension: Option<Vec<u8>>,
}

impl fmt::Display for Implementation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The external PSKs (RFC 9420 §8.4) every member is provisioned with: (PSK id, secret).
pub const HARNESS_PSKS: [(&[u8], &[u8]); 2] = [
    (b"cohort-interop psk 0", &[0x11; 32]),
    (b"cohort-interop psk 1", &[0x22; 32]),
];

/// A non-default extension type every member lists in its capabilities (RFC 9420 §7.2), from
/// the range reserved for private use (§17.3).
pub const HARNESS_EXTENSION: u16 = 0xff0a;

/// The harness PSK number `i`.
///
/// # Errors
/// [`Error::Harness`] when there is no such PSK.
pub fn harness_psk(i: usize) -> Result<(&'static [u8], &'static [u8]), Error> {
    HARNESS_PSKS
        .get(i)
        .copied()
        .ok_or_else(|| Error::Harness(format!("no harness PSK {i}")))
}

/// An entry of a group's `external_senders` extension (RFC 9420 §12.1.8.1): a signature public
/// key and the identity of a basic credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalSenderEntry {
    /// The sender's signature public key, as the suite encodes it.
    pub signature_key: Vec<u8>,
    /// The identity of the sender's basic credential.
    pub identity: Vec<u8>,
}

/// A client outside the group that sends proposals to it as an external sender (RFC 9420
/// §12.1.8), once the group lists it in its `external_senders` extension. Its proposals are
/// PublicMessages with sender type `external` (§6).
pub trait ExternalSender {
    /// Which implementation this is.
    fn implementation(&self) -> Implementation;

    /// Its entry for the group's `external_senders` extension.
    fn entry(&self) -> ExternalSenderEntry;

    /// Proposes to add the owner of `key_package` (`MLSMessage` bytes) to the group of
    /// `group_info` (a GroupInfo `MLSMessage` of the current epoch, with the ratchet tree), as
    /// the external sender at `sender_index` of the group's `external_senders`. Returns the
    /// proposal message.
    ///
    /// # Errors
    /// A failure of the implementation (for example a group that does not list us).
    fn propose_add(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        key_package: &[u8],
    ) -> Result<Vec<u8>, Error>;

    /// Proposes to remove the member at `leaf` from the group of `group_info`, as
    /// [`ExternalSender::propose_add`] does for an Add.
    ///
    /// # Errors
    /// A failure of the implementation.
    fn propose_remove(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        leaf: u32,
    ) -> Result<Vec<u8>, Error>;

    /// Proposes to inject the external PSK [`HARNESS_PSKS`]`[psk]` (RFC 9420 §12.1.4), as
    /// [`ExternalSender::propose_add`] does for an Add.
    ///
    /// # Errors
    /// [`Error::NotOffered`] when the implementation cannot (see [`Implementation::lacks`]);
    /// a failure of the implementation.
    fn propose_psk(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        psk: usize,
    ) -> Result<Vec<u8>, Error>;

    /// Proposes to inject the resumption PSK (usage `application`, RFC 9420 §8.6) of the
    /// group's `epoch`, as [`ExternalSender::propose_add`] does for an Add.
    ///
    /// # Errors
    /// [`Error::NotOffered`]; a failure of the implementation.
    fn propose_resumption_psk(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        epoch: u64,
    ) -> Result<Vec<u8>, Error>;

    /// Proposes new GroupContext extensions (RFC 9420 §12.1.7): an `external_senders`
    /// extension listing `senders` and a `required_capabilities` extension (§11.1) requiring
    /// basic credentials.
    ///
    /// # Errors
    /// A failure of the implementation.
    fn propose_group_extensions(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        senders: &[ExternalSenderEntry],
    ) -> Result<Vec<u8>, Error>;

    /// Proposes to reinitialize the group as `spec` describes (RFC 9420 §12.1.5).
    ///
    /// # Errors
    /// [`Error::NotOffered`]; a failure of the implementation.
    fn propose_reinit(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        spec: &ReInitSpec,
    ) -> Result<Vec<u8>, Error>;
}

/// How a [`Member`] is set up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberOptions {
    /// Send commits and proposals as PrivateMessage (RFC 9420 §6.3) instead of PublicMessage.
    /// Every member accepts both either way.
    pub private_handshakes: bool,
    /// List SelfRemove (draft-ietf-mls-extensions) at this proposal type in the member's
    /// capabilities, and read it there ([`SELF_REMOVE_DRAFT`] or [`SELF_REMOVE_MLS_RS`]).
    /// cohort's facade lists [`SELF_REMOVE_DRAFT`] by default, so cohort members always do;
    /// with [`SELF_REMOVE_MLS_RS`] they list both and decode with the alias.
    pub self_remove: Option<u16>,
    /// Application data (draft-ietf-mls-extensions): list the `app_data_dictionary` extension
    /// and the AppDataUpdate and AppEphemeral proposals in the member's capabilities, and know
    /// the [`APP_COMPONENTS`] with replace semantics.
    pub app_data: bool,
    /// List the `last_resort` KeyPackage extension (`0x000A`) in the capabilities of every
    /// leaf, not only of the last-resort KeyPackages: OpenMLS 0.9.2 refuses a KeyPackage
    /// whose extensions its leaf does not list, and mls-rs lists extension types per client
    /// (cohort and OpenMLS members list it in their last-resort KeyPackages in any case).
    pub last_resort: bool,
}

/// The result of a commit made by a [`Member`]: the commit for the group and, when members were
/// added, the Welcome for them. Both are `MLSMessage` bytes.
#[derive(Debug, Clone)]
pub struct CommitBytes {
    /// The commit (an `MLSMessage` carrying a PublicMessage or PrivateMessage).
    pub commit: Vec<u8>,
    /// The Welcome (an `MLSMessage` carrying a Welcome), when the commit added members.
    pub welcome: Option<Vec<u8>>,
}

/// What processing an incoming message produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// Application data, decrypted.
    Application(Vec<u8>),
    /// A commit, processed and merged: the member is in the next epoch (or was removed).
    Commit {
        /// Whether the commit removed this member from the group.
        removed_us: bool,
    },
    /// A proposal, cached for a later commit.
    Proposal,
}

/// One MLS client taking part in at most one group, driven through wire bytes only.
///
/// A commit a member makes is merged at once (the suite plays a Delivery Service that accepts
/// every commit in the order it is made), so after [`Member::add_members`],
/// [`Member::self_update`] and [`Member::remove`] the member is already in the new epoch.
pub trait Member {
    /// Which implementation this is.
    fn implementation(&self) -> Implementation;

    /// The identity in the member's basic credential.
    fn identity(&self) -> &str;

    /// A fresh KeyPackage as `MLSMessage` bytes; its private keys are kept for a later join.
    ///
    /// # Errors
    /// A failure of the implementation.
    fn key_package(&mut self) -> Result<Vec<u8>, Error>;

    /// Creates a one-member group with `group_id`.
    ///
    /// # Errors
    /// [`Error::Harness`] when the member is in a group already; a failure of the
    /// implementation.
    fn create_group(&mut self, group_id: &[u8]) -> Result<(), Error>;

    /// Adds the owners of `key_packages` (`MLSMessage` bytes) in one commit, merged at once. The
    /// Welcome carries the ratchet tree in its GroupInfo's `ratchet_tree` extension.
    ///
    /// # Errors
    /// A failure of the implementation (for example a KeyPackage it rejects).
    fn add_members(&mut self, key_packages: &[Vec<u8>]) -> Result<CommitBytes, Error>;

    /// Joins from a Welcome (`MLSMessage` bytes) addressed to one of our KeyPackages, taking the
    /// ratchet tree from the GroupInfo's `ratchet_tree` extension.
    ///
    /// # Errors
    /// A failure of the implementation (for example a Welcome it rejects).
    fn join(&mut self, welcome: &[u8]) -> Result<(), Error>;

    /// A signed GroupInfo of the current epoch (`MLSMessage` bytes) with the `external_pub` and
    /// `ratchet_tree` extensions, so that a client can join by external commit.
    ///
    /// # Errors
    /// A failure of the implementation.
    fn group_info(&mut self) -> Result<Vec<u8>, Error>;

    /// Joins by external commit (RFC 9420 §12.4.3.2) from a GroupInfo (`MLSMessage` bytes) that
    /// carries the ratchet tree; returns the commit for the members. The member is in the new
    /// epoch at once.
    ///
    /// # Errors
    /// A failure of the implementation (for example a GroupInfo it rejects).
    /// With `psks`, the commit also injects those [`HARNESS_PSKS`] (by number) with
    /// PreSharedKey proposals by value, as §12.2 allows in an external commit.
    fn join_external(&mut self, group_info: &[u8], psks: &[usize]) -> Result<Vec<u8>, Error>;

    /// Processes an incoming handshake or application message (`MLSMessage` bytes). A commit is
    /// merged at once.
    ///
    /// # Errors
    /// A failure of the implementation (for example a message it rejects).
    fn process(&mut self, message: &[u8]) -> Result<Incoming, Error>;

    /// Commits with no proposals and a fresh UpdatePath (a self-update, RFC 9420 §12.4), merged
    /// at once. Returns the commit.
    ///
    /// # Errors
    /// A failure of the implementation.
    fn self_update(&mut self) -> Result<Vec<u8>, Error>;

    /// Removes the member at `leaf` in one commit, merged at once. Returns the commit.
    ///
    /// # Errors
    /// A failure of the implementation (for example a blank leaf).
    fn remove(&mut self, leaf: u32) -> Result<Vec<u8>, Error>;

    /// Proposes to replace our own leaf (an Update proposal, RFC 9420 §12.1.2) and returns the
    /// proposal message. The member caches it for a later commit by reference.
    ///
    /// # Errors
    /// [`Error::NotOffered`] when the implementation does not send Update proposals; a failure
    /// of the implementation.
    fn propose_update(&mut self) -> Result<Vec<u8>, Error>;

    /// Proposes to remove the member at `leaf` (RFC 9420 §12.1.3) and returns the proposal
    /// message. The member caches it for a later commit by reference.
    ///
    /// # Errors
    /// A failure of the implementation.
    fn propose_remove(&mut self, leaf: u32) -> Result<Vec<u8>, Error>;

    /// Proposes to inject the external PSK [`HARNESS_PSKS`]`[psk]` (RFC 9420 §12.1.4) and
    /// returns the proposal message, cached for a commit by reference.
    ///
    /// # Errors
    /// A failure of the implementation.
    fn propose_psk(&mut self, psk: usize) -> Result<Vec<u8>, Error>;

    /// Commits a PreSharedKey proposal for [`HARNESS_PSKS`]`[psk]` by value, together with
    /// every proposal cached this epoch by reference, merged at once.
    ///
    /// # Errors
    /// A failure of the implementation.
    fn commit_psk(&mut self, psk: usize) -> Result<CommitBytes, Error>;

    /// Commits a GroupContextExtensions proposal (RFC 9420 §12.1.7) by value that sets the
    /// group's extensions to one `required_capabilities` extension (§11.1) requiring basic
    /// credentials, merged at once. Returns the commit.
    ///
    /// # Errors
    /// A failure of the implementation.
    fn commit_require_basic(&mut self) -> Result<Vec<u8>, Error>;

    /// Commits a GroupContextExtensions proposal by value that sets the group's extensions to one
    /// extension of the non-default type [`HARNESS_EXTENSION`], with `data` as its body, without
    /// listing it in `required_capabilities` (RFC 9420 §12.1.7). Returns the commit.
    ///
    /// # Errors
    /// A failure of the implementation.
    fn commit_custom_extension(&mut self, data: &[u8]) -> Result<Vec<u8>, Error>;

    /// Commits a GroupContextExtensions proposal by value that sets the group's extensions to
    /// one `external_senders` extension (RFC 9420 §12.1.8.1) listing `senders`, merged at once.
    /// Returns the commit.
    ///
    /// # Errors
    /// A failure of the implementation.
    fn commit_external_senders(
        &mut self,
        senders: &[ExternalSenderEntry],
    ) -> Result<Vec<u8>, Error>;

    /// Proposes to inject the resumption PSK (usage `application`) of this group's `epoch`
    /// (RFC 9420 §8.6, §12.1.4) and returns the proposal message, cached for a commit by
    /// reference.
    ///
    /// # Errors
    /// A failure of the implementation (for example an epoch it no longer holds).
    fn propose_resumption_psk(&mut self, epoch: u64) -> Result<Vec<u8>, Error>;

    /// Commits a PreSharedKey proposal for the resumption PSK of this group's `epoch` by value,
    /// together with every proposal cached this epoch by reference, merged at once.
    ///
    /// # Errors
    /// A failure of the implementation.
    fn commit_resumption_psk(&mut self, epoch: u64) -> Result<CommitBytes, Error>;

    /// Proposes to reinitialize the group (a ReInit proposal, RFC 9420 §12.1.5) as `spec`
    /// describes, in version MLS 1.0.
    ///
    /// # Errors
    /// [`Error::NotOffered`] when the implementation cannot (see [`Implementation::lacks`]); a
    /// failure of the implementation.
    fn propose_reinit(&mut self, spec: &ReInitSpec) -> Result<Vec<u8>, Error>;

    /// As a client outside the group, asks to be added to the group of `group_info` (a
    /// GroupInfo `MLSMessage` of the current epoch): a new-member proposal (RFC 9420 §12.1.8,
    /// sender type `new_member_proposal`) adding a fresh KeyPackage of ours, whose keys are
    /// kept for a later [`Member::join`]. Returns the proposal message.
    ///
    /// # Errors
    /// [`Error::Harness`] when the member is in a group already; a failure of the
    /// implementation.
    fn propose_join(&mut self, group_info: &[u8]) -> Result<Vec<u8>, Error>;

    /// After a ReInit was committed: a KeyPackage (`MLSMessage` bytes) for the new group, in
    /// its cipher suite (with a new signature key when the suite changes), kept for
    /// [`Member::reinit_join`].
    ///
    /// # Errors
    /// [`Error::NotOffered`]; [`Error::Harness`] when no ReInit is pending; a failure of the
    /// implementation.
    fn reinit_key_package(&mut self) -> Result<Vec<u8>, Error>;

    /// After a ReInit was committed: creates the new group it describes (RFC 9420 §11.2) with
    /// the owners of `key_packages` (made by [`Member::reinit_key_package`]), its first commit
    /// carrying the reinit resumption PSK. The member moves to the new group; the result holds
    /// the Welcome.
    ///
    /// # Errors
    /// [`Error::NotOffered`]; a failure of the implementation.
    fn reinit_create(&mut self, key_packages: &[Vec<u8>]) -> Result<CommitBytes, Error>;

    /// After a ReInit was committed: joins the new group from its Welcome, resolving the reinit
    /// PSK from the old group, and moves to it.
    ///
    /// # Errors
    /// [`Error::NotOffered`]; a failure of the implementation.
    fn reinit_join(&mut self, welcome: &[u8]) -> Result<(), Error>;

    /// Branches a subgroup `group_id` off the group (RFC 9420 §11.3) with the owners of
    /// `key_packages` (members of this group, with new KeyPackages from
    /// [`Member::key_package`]); its first commit carries the branch resumption PSK. The
    /// member moves to the subgroup; the result holds the Welcome.
    ///
    /// # Errors
    /// [`Error::NotOffered`]; a failure of the implementation.
    fn branch(&mut self, group_id: &[u8], key_packages: &[Vec<u8>]) -> Result<CommitBytes, Error>;

    /// Joins a subgroup branched off our group from its Welcome, resolving the branch PSK
    /// from our group, and moves to it.
    ///
    /// # Errors
    /// [`Error::NotOffered`]; a failure of the implementation.
    fn join_branch(&mut self, welcome: &[u8]) -> Result<(), Error>;

    /// Commits every proposal received or sent this epoch, by reference, merged at once.
    ///
    /// # Errors
    /// A failure of the implementation.
    fn commit_pending(&mut self) -> Result<CommitBytes, Error>;

    /// Leaves the group with a SelfRemove proposal (draft-ietf-mls-extensions), a
    /// PublicMessage at the code point of [`MemberOptions::self_remove`], and returns it.
    /// Another member commits it by reference (or a client joining by external commit does).
    ///
    /// # Errors
    /// [`Error::NotOffered`] when the member was not set up for SelfRemove at a code point its
    /// implementation knows; [`Error::Harness`] when the group is not self-remove-capable; a
    /// failure of the implementation.
    fn propose_self_remove(&mut self) -> Result<Vec<u8>, Error>;

    /// [`Member::join_external`] that also commits, by reference, the pending SelfRemove
    /// proposals `self_removes` (`MLSMessage` bytes of the GroupInfo's epoch), as
    /// draft-ietf-mls-extensions asks of external joiners.
    ///
    /// # Errors
    /// [`Error::NotOffered`] when the implementation's API cannot; a failure of the
    /// implementation (for example a SelfRemove it refuses).
    fn join_external_self_removes(
        &mut self,
        group_info: &[u8],
        self_removes: &[Vec<u8>],
    ) -> Result<Vec<u8>, Error>;

    /// Creates a one-member group with `group_id` whose GroupContext carries, in this order, a
    /// `required_capabilities` extension (RFC 9420 §11.1) requiring the `app_data_dictionary`
    /// extension and the AppDataUpdate proposal, and an `app_data_dictionary` extension
    /// (draft-ietf-mls-extensions) holding `data` (component id, data).
    ///
    /// # Errors
    /// [`Error::NotOffered`] when the implementation has no application data; [`Error::Harness`]
    /// when the member is in a group already; a failure of the implementation.
    fn create_group_with_app_data(
        &mut self,
        group_id: &[u8],
        data: &[(u16, Vec<u8>)],
    ) -> Result<(), Error>;

    /// Proposes an AppDataUpdate (draft-ietf-mls-extensions) for `component`: `Some(update)`
    /// replaces its data, `None` removes it. Returns the proposal message, cached for a commit
    /// by reference.
    ///
    /// # Errors
    /// [`Error::NotOffered`]; a failure of the implementation.
    fn propose_app_data_update(
        &mut self,
        component: u16,
        update: Option<&[u8]>,
    ) -> Result<Vec<u8>, Error>;

    /// Commits, by value, an AppDataUpdate for each of `updates` (as in
    /// [`Member::propose_app_data_update`]) and an AppEphemeral for each of `ephemeral`
    /// (component id, data), together with every proposal cached this epoch by reference,
    /// merged at once.
    ///
    /// # Errors
    /// [`Error::NotOffered`]; a failure of the implementation.
    fn commit_app_data(
        &mut self,
        updates: &[(u16, Option<Vec<u8>>)],
        ephemeral: &[(u16, Vec<u8>)],
    ) -> Result<CommitBytes, Error>;

    /// The group's application data (its GroupContext's `app_data_dictionary`), or `None`
    /// without that extension.
    ///
    /// # Errors
    /// [`Error::NotOffered`]; [`Error::Harness`] when the member is in no group.
    fn app_data(&self) -> Result<Option<AppData>, Error>;

    /// The AppEphemeral data (component id, data) of the commits this member processed since
    /// the last call, in their order, and forgets it.
    ///
    /// # Errors
    /// [`Error::NotOffered`].
    fn take_app_ephemeral(&mut self) -> Result<Vec<(u16, Vec<u8>)>, Error>;

    /// `SafeExportSecret(component)` of the current epoch (draft-ietf-mls-extensions,
    /// "Exported Secrets"); a second export of a component in one epoch fails.
    ///
    /// # Errors
    /// [`Error::NotOffered`]; [`Error::Harness`] when the member is in no group; a failure of
    /// the implementation.
    fn safe_export_secret(&mut self, component: u16) -> Result<Vec<u8>, Error>;

    /// [`Member::join_external`] whose commit also carries, by value, an AppDataUpdate
    /// (draft-ietf-mls-extensions) for each of `updates`, as in
    /// [`Member::propose_app_data_update`]; the joiner computes the new dictionary as the
    /// members do (the member must be set up with [`MemberOptions::app_data`]).
    ///
    /// # Errors
    /// [`Error::NotOffered`]; a failure of the implementation.
    fn join_external_app_data(
        &mut self,
        group_info: &[u8],
        updates: &[(u16, Option<Vec<u8>>)],
    ) -> Result<Vec<u8>, Error>;

    /// Stores `secret` as the application PSK `psk_id` of `component`
    /// (draft-ietf-mls-extensions, PSK type `application(3)`), for the commits that use it.
    ///
    /// # Errors
    /// [`Error::NotOffered`] when the implementation has no application PSKs; a failure of
    /// the implementation.
    fn register_application_psk(
        &mut self,
        component: u16,
        psk_id: &[u8],
        secret: &[u8],
    ) -> Result<(), Error>;

    /// Proposes to inject the application PSK `psk_id` of `component` (a PreSharedKey
    /// proposal with a fresh nonce) and returns the proposal message, cached for a commit by
    /// reference.
    ///
    /// # Errors
    /// [`Error::NotOffered`]; a failure of the implementation.
    fn propose_application_psk(&mut self, component: u16, psk_id: &[u8]) -> Result<Vec<u8>, Error>;

    /// Commits a PreSharedKey proposal for the application PSK `psk_id` of `component` by
    /// value (with a fresh nonce), together with every proposal cached this epoch by
    /// reference, merged at once.
    ///
    /// # Errors
    /// [`Error::NotOffered`]; a failure of the implementation.
    fn commit_application_psk(
        &mut self,
        component: u16,
        psk_id: &[u8],
    ) -> Result<CommitBytes, Error>;

    /// Encrypts application data as a PrivateMessage (`MLSMessage` bytes) whose
    /// `authenticated_data` starts with a SafeAAD (draft-ietf-mls-extensions) holding `items`
    /// (component id, data, in component order), in a group whose `app_data_dictionary` has
    /// the `safe_aad` component.
    ///
    /// # Errors
    /// [`Error::NotOffered`] when the implementation has no Safe AAD; a failure of the
    /// implementation.
    fn encrypt_with_safe_aad(
        &mut self,
        data: &[u8],
        items: &[(u16, Vec<u8>)],
    ) -> Result<Vec<u8>, Error>;

    /// The SafeAAD items the implementation read at the start of the `authenticated_data` of
    /// the last message this member processed, or `None` when it read no SafeAAD there (the
    /// group does not ask for one).
    ///
    /// # Errors
    /// [`Error::NotOffered`] when the implementation has no Safe AAD.
    fn last_safe_aad(&self) -> Result<Option<SafeAadItems>, Error>;

    /// A fresh last-resort KeyPackage (`MLSMessage` bytes), marked with the `last_resort`
    /// extension (`0x000A`); its private keys are kept after a Welcome uses it, so that it
    /// joins any number of groups.
    ///
    /// # Errors
    /// [`Error::NotOffered`] when the implementation has no last-resort KeyPackages; a failure
    /// of the implementation.
    fn last_resort_key_package(&mut self) -> Result<Vec<u8>, Error>;

    /// Whether the implementation reads `key_package` (`MLSMessage` bytes) as marked
    /// last-resort.
    ///
    /// # Errors
    /// [`Error::NotOffered`]; a failure of the implementation (bytes it cannot read).
    fn is_last_resort(&self, key_package: &[u8]) -> Result<bool, Error>;

    /// Drops the member's handle on its group without telling the group; its client, with
    /// its stored keys and KeyPackages, stays, so that the member can create or join another
    /// group.
    ///
    /// # Errors
    /// [`Error::Harness`] when the member is in no group.
    fn forget_group(&mut self) -> Result<(), Error>;

    /// Encrypts application data as a PrivateMessage (`MLSMessage` bytes).
    ///
    /// # Errors
    /// A failure of the implementation.
    fn encrypt(&mut self, data: &[u8]) -> Result<Vec<u8>, Error>;

    /// The current epoch.
    ///
    /// # Errors
    /// [`Error::Harness`] when the member is in no group.
    fn epoch(&self) -> Result<u64, Error>;

    /// Our own leaf index.
    ///
    /// # Errors
    /// [`Error::Harness`] when the member is in no group.
    fn own_leaf(&self) -> Result<u32, Error>;

    /// The epoch authenticator of the current epoch (RFC 9420 §8.7).
    ///
    /// # Errors
    /// [`Error::Harness`] when the member is in no group.
    fn epoch_authenticator(&self) -> Result<Vec<u8>, Error>;

    /// `MLS-Exporter(label, context, length)` of the current epoch (RFC 9420 §8.5).
    ///
    /// # Errors
    /// [`Error::Harness`] when the member is in no group; a failure of the implementation.
    fn export(&self, label: &[u8], context: &[u8], length: usize) -> Result<Vec<u8>, Error>;
}

/// Everything that can go wrong while driving members.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operation of cohort failed.
    #[error("cohort: {0}")]
    Cohort(#[from] cohort::Error),
    /// cohort's codec rejected bytes.
    #[error("cohort codec: {0}")]
    CohortCodec(#[from] cohort::codec::CodecError),
    /// cohort's crypto provider failed.
    #[error("cohort crypto: {0}")]
    CohortCrypto(#[from] cohort::crypto::CryptoError),
    /// An operation of mls-rs failed.
    #[error("mls-rs: {0}")]
    MlsRs(#[from] mls_rs::error::MlsError),
    /// An operation of OpenMLS failed (its error types are generic over its providers, so the
    /// error is kept boxed, with its message and its source chain).
    #[error("openmls: {context}: {source}")]
    OpenMls {
        /// The operation that failed.
        context: &'static str,
        /// OpenMLS's error.
        source: Box<dyn StdError + Send + Sync>,
    },
    /// The implementation's backend lacks the cipher suite.
    #[error("{implementation} does not support cipher suite {suite}")]
    UnsupportedSuite {
        /// The implementation.
        implementation: Implementation,
        /// The suite's IANA code point.
        suite: u16,
    },
    /// The implementation does not offer an operation (for example cohort sends no Update
    /// proposals: it refreshes keys by commit).
    #[error("{implementation} does not offer {what}")]
    NotOffered {
        /// The implementation.
        implementation: Implementation,
        /// The operation.
        what: &'static str,
    },
    /// The harness drove a member wrongly, or an implementation returned something the harness
    /// did not expect (for example no Welcome for an add).
    #[error("harness: {0}")]
    Harness(String),
    /// A step of a scenario failed at one member.
    #[error("{member}: {step}: {source}")]
    Step {
        /// The member (`A-cohort`, ...).
        member: String,
        /// What it was doing.
        step: String,
        /// Why it failed.
        source: Box<Error>,
    },
    /// Several members failed the same step.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several(Vec<Error>),
    /// Members disagree on the group state after an epoch.
    #[error("state mismatch: {0}")]
    Mismatch(String),
}

impl Error {
    /// An OpenMLS error with the operation that produced it.
    pub(crate) fn openmls(
        context: &'static str,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Error::OpenMls {
            context,
            source: Box::new(source),
        }
    }
}
