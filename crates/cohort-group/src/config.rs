//! Group configuration and policy.

use std::fmt;
use std::sync::Arc;

use cohort_credential::{BasicValidator, CredentialValidator};
use cohort_key_schedule::RatchetConfig;
use cohort_messages::components::ComponentId;
use cohort_messages::framing::Sender;
use cohort_messages::group_context::GroupContext;
use cohort_messages::proposal::Proposal;
use cohort_tree::leaf::ProposalType;
use cohort_tree::math::LeafIndex;

/// Settings that shape a group's behaviour. Every field has a safe default.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GroupConfig {
    /// Out-of-order bounds of the secret tree's ratchets (RFC 9420 §9, §15.3).
    pub ratchet: RatchetConfig,
    /// How many past epochs' resumption PSKs are kept (RFC 9420 §8.6).
    pub max_resumption_epochs: usize,
    /// How many past epochs' secret trees are kept to read late application messages
    /// (RFC 9420 §15, V-15-01). 0 keeps none, for the strongest forward secrecy.
    ///
    /// # Security
    /// A kept epoch's unused message keys decrypt its messages that have not arrived yet: a
    /// device compromised meanwhile exposes them, up to this many epochs back. The default (3)
    /// lets a message sent just before a burst of commits still be read.
    pub max_past_epochs: usize,
    /// The application's lifetime policy for KeyPackage leaves (RFC 9420 §7.2, §7.3): the
    /// maximum total lifetime, and whether leaves are checked against the current time.
    pub lifetime: LifetimePolicy,
    /// Checks beyond the RFC's MUSTs that deployed implementations fail, off by default (see
    /// [`StrictChecks`]).
    pub strict: StrictChecks,
    /// The application's Authentication Service (RFC 9420 §5.3.1), consulted wherever a
    /// credential enters the group. Not persisted: set it again after loading a group.
    pub credential_validator: Arc<dyn CredentialValidator>,
    /// The application's decision on proposals from outside the group (RFC 9420 §12.1.8,
    /// V-12.1.8-04). Not persisted: set it again after loading a group.
    pub external_proposal_policy: Arc<dyn ExternalProposalPolicy>,
    /// The application's custom proposal types (RFC 9420 §13): which it implements, whether
    /// they need a path, and its check of each one. Not persisted: set it again after loading
    /// a group.
    pub custom_proposals: Arc<dyn CustomProposals>,
    /// The application's own rules on members' proposals and on resync by external commit
    /// (RFC 9420 §12.2, §12.4.3.2; V-12.2-14, V-12.4.3.2-09). Not persisted: set it again after
    /// loading a group.
    pub proposal_policy: Arc<dyn ProposalPolicy>,
    /// The application's components (draft-ietf-mls-extensions): which it knows, how an
    /// AppDataUpdate changes a component's data, and whether an AppEphemeral is acceptable. Not
    /// persisted: set it again after loading a group.
    pub app_components: Arc<dyn AppComponents>,
}

impl Default for GroupConfig {
    fn default() -> Self {
        Self {
            ratchet: RatchetConfig::default(),
            max_resumption_epochs: 16,
            max_past_epochs: 3,
            lifetime: LifetimePolicy::default(),
            strict: StrictChecks::TOLERANT,
            credential_validator: Arc::new(BasicValidator::default()),
            external_proposal_policy: Arc::new(AcceptExternalProposals),
            custom_proposals: Arc::new(NoCustomProposals),
            proposal_policy: Arc::new(AllowAllProposals),
            app_components: Arc::new(NoAppComponents),
        }
    }
}

impl GroupConfig {
    /// The configuration with `components` as the application's components.
    pub fn with_app_components(mut self, components: Arc<dyn AppComponents>) -> Self {
        self.app_components = components;
        self
    }

    /// The configuration with `validator` as its Authentication Service.
    pub fn with_credential_validator(mut self, validator: Arc<dyn CredentialValidator>) -> Self {
        self.credential_validator = validator;
        self
    }

    /// The configuration with `policy` deciding on proposals from outside the group.
    pub fn with_external_proposal_policy(
        mut self,
        policy: Arc<dyn ExternalProposalPolicy>,
    ) -> Self {
        self.external_proposal_policy = policy;
        self
    }

    /// The configuration with `custom` handling the application's custom proposal types.
    pub fn with_custom_proposals(mut self, custom: Arc<dyn CustomProposals>) -> Self {
        self.custom_proposals = custom;
        self
    }

    /// The configuration with `policy` as the application's rules on members' proposals.
    pub fn with_proposal_policy(mut self, policy: Arc<dyn ProposalPolicy>) -> Self {
        self.proposal_policy = policy;
        self
    }

    /// The configuration with `policy` as its lifetime policy.
    pub fn with_lifetime_policy(mut self, policy: LifetimePolicy) -> Self {
        self.lifetime = policy;
        self
    }

    /// The configuration without the check of leaves against the current time (V-7.3-06), for
    /// replaying old traffic or test vectors whose lifetimes have passed. The maximum total
    /// lifetime and the inverted-range check (V-7.2-05, an RFC MUST) still run.
    pub fn without_expiry_check(mut self) -> Self {
        self.lifetime.check_expiry = false;
        self
    }

    /// The configuration with `strict` as its optional strict checks.
    pub fn with_strict_checks(mut self, strict: StrictChecks) -> Self {
        self.strict = strict;
        self
    }
}

/// The longest total lifetime (`not_after - not_before`) a KeyPackage's leaf may declare
/// (RFC 9420 §7.2: "Applications MUST define a maximum total lifetime that is acceptable for a
/// LeafNode, and reject any LeafNode where the total lifetime is longer").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaxLifetime {
    /// Any total lifetime, including `0..=2^64-1`, the "never expires" KeyPackages that MLSpp
    /// makes. The application's choice when the expiry check and its Authentication Service
    /// are what bound a leaf's use.
    Unbounded,
    /// At most this many seconds.
    Seconds(u64),
}

impl MaxLifetime {
    /// At most `days` days.
    pub const fn days(days: u64) -> Self {
        Self::Seconds(days.saturating_mul(24 * 3600))
    }

    /// Whether a total lifetime of `total` seconds is acceptable.
    pub const fn allows(self, total: u64) -> bool {
        match self {
            Self::Unbounded => true,
            Self::Seconds(max) => total <= max,
        }
    }

    /// The bound as seconds, `u64::MAX` for [`MaxLifetime::Unbounded`] (no total lifetime
    /// exceeds it: the two accept the same leaves).
    pub const fn as_secs(self) -> u64 {
        match self {
            Self::Unbounded => u64::MAX,
            Self::Seconds(max) => max,
        }
    }

    /// The bound of [`MaxLifetime::as_secs`]: `u64::MAX` is [`MaxLifetime::Unbounded`].
    pub const fn from_secs(secs: u64) -> Self {
        if secs == u64::MAX {
            Self::Unbounded
        } else {
            Self::Seconds(secs)
        }
    }
}

/// The application's policy on the `lifetime` of KeyPackage leaves (RFC 9420 §7.2, §7.3).
///
/// Three checks, each with its own setting:
/// - **Maximum total lifetime** (V-7.2-05, an RFC MUST whose value the application defines):
///   [`new_members`](Self::new_members) bounds the leaves that enter a group in our view (the
///   KeyPackages we add, Add proposals and the Adds of commits we receive, new-member
///   proposals); [`admitted`](Self::admitted) bounds the leaves already in the tree of a group
///   we join by Welcome or external commit, which another member admitted under its own
///   policy. The check runs whether or not the current time is known.
/// - **Inverted range** (`not_after` before `not_before`, V-7.2-05): always refused.
/// - **Expiry** (V-7.3-06, RECOMMENDED for what we receive): the current time, given with each
///   operation, must lie within the lifetime. [`check_expiry`](Self::check_expiry) turns it off.
///
/// # Defaults, and why
/// Both maxima default to [`MaxLifetime::Unbounded`], stated here in so many words: deployed
/// implementations differ widely (OpenMLS makes KeyPackages of about three months, mls-rs of a
/// year, MLSpp of `0..=2^64-1`, "never expires"), and any finite default refuses one of them:
/// the KeyPackage cannot be added, a commit adding it cannot be processed, a group holding it
/// cannot be joined. The expiry check (on by default) and the Authentication Service still
/// bound how long a leaf is usable. An application that wants a finite bound sets one:
///
/// ```
/// use cohort_group::{GroupConfig, LifetimePolicy, MaxLifetime};
///
/// // Our own members' KeyPackages may live at most 90 days; groups we join may hold older
/// // leaves of any lifetime, admitted by others.
/// let config = GroupConfig::default().with_lifetime_policy(LifetimePolicy {
///     new_members: MaxLifetime::days(90),
///     ..LifetimePolicy::default()
/// });
/// assert!(config.lifetime.admitted.allows(u64::MAX));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LifetimePolicy {
    /// The maximum total lifetime of a leaf entering the group (default unbounded).
    pub new_members: MaxLifetime,
    /// The maximum total lifetime of a leaf already in the tree of a group we join (default
    /// unbounded).
    pub admitted: MaxLifetime,
    /// Whether KeyPackage leaves are checked against the current time given with each
    /// operation (default on; V-7.3-06).
    pub check_expiry: bool,
}

impl Default for LifetimePolicy {
    fn default() -> Self {
        Self {
            new_members: MaxLifetime::Unbounded,
            admitted: MaxLifetime::Unbounded,
            check_expiry: true,
        }
    }
}

impl LifetimePolicy {
    /// This policy without the expiry check (V-7.3-06): for replaying old traffic or test
    /// vectors whose lifetimes have passed. The maxima and the inverted-range check still run.
    pub fn without_expiry_check(mut self) -> Self {
        self.check_expiry = false;
        self
    }
}

/// Checks a receiver may make beyond the RFC's MUSTs, which RFC-conformant deployed
/// implementations fail. Each is off by default (tolerant); [`StrictChecks::ALL`] turns every
/// one on. docs/interop.md gives the decision for every "derived" and "optional strictness"
/// item of the checklist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct StrictChecks {
    /// Refuse a leaf whose `capabilities` omit the group's protocol version or cipher suite
    /// (V-7.3-14; RFC 9420 §7.3 asks only for compatibility "with the group's parameters", and
    /// a client in the working group's interop traces lists suites 1 to 6 in the KeyPackages
    /// it makes for a suite-7 group). Tolerated by default: the KeyPackage's own suite and the
    /// GroupContext bind the suite.
    pub group_suite_in_capabilities: bool,
    /// Refuse a known extension type in a container RFC 9420 §17.3 does not list it for, for
    /// example `external_pub` in a LeafNode or `application_id` in a GroupContext (V-13.4-06).
    /// Tolerated by default: such an extension is carried and never acted on.
    pub extension_placement: bool,
    /// Refuse capabilities that list a default proposal or extension type (V-7.2-06, a
    /// sender's MUST of §7.2). Tolerated by default.
    pub default_types_in_capabilities: bool,
}

impl StrictChecks {
    /// Every optional check off (the default).
    pub const TOLERANT: Self = Self {
        group_suite_in_capabilities: false,
        extension_placement: false,
        default_types_in_capabilities: false,
    };

    /// Every optional check on.
    pub const ALL: Self = Self {
        group_suite_in_capabilities: true,
        extension_placement: true,
        default_types_in_capabilities: true,
    };
}

/// The application's decision on proposals sent from outside the group (RFC 9420 §12.1.8): by an
/// external sender of the `external_senders` extension, or by a client asking to be added
/// (`new_member_proposal`).
///
/// # Implementing
/// Return `true` to let the proposal be cached, so that a member can commit it, or `false` to
/// reject the message ([`ValidationError::ExternalProposalRejected`](crate::ValidationError)).
/// The library has already verified the signature, the sender's right to send this proposal
/// type, and the proposal itself. Decide from data, without side effects: the group state is
/// unchanged when the proposal is rejected.
///
/// ```
/// use cohort_group::ExternalProposalPolicy;
/// use cohort_messages::framing::Sender;
/// use cohort_messages::group_context::GroupContext;
/// use cohort_messages::proposal::Proposal;
///
/// /// Lets the server remove members, and nobody else in from outside.
/// #[derive(Debug)]
/// struct ServerRemovesOnly;
///
/// impl ExternalProposalPolicy for ServerRemovesOnly {
///     fn authorize(&self, sender: Sender, proposal: &Proposal, _context: &GroupContext) -> bool {
///         matches!((sender, proposal), (Sender::External(0), Proposal::Remove(_)))
///     }
/// }
/// ```
pub trait ExternalProposalPolicy: Send + Sync + fmt::Debug {
    /// Whether `proposal` from the non-member `sender` may enter the group whose current
    /// context is `context`.
    fn authorize(&self, sender: Sender, proposal: &Proposal, context: &GroupContext) -> bool;
}

/// Authorizes every external proposal that passes the protocol's checks (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptExternalProposals;

impl ExternalProposalPolicy for AcceptExternalProposals {
    fn authorize(&self, _sender: Sender, _proposal: &Proposal, _context: &GroupContext) -> bool {
        true
    }
}

/// The application's custom proposal types (RFC 9420 §13): proposal types outside the seven of
/// the RFC, whose body is carried as opaque bytes (`Proposal::Custom`) and which cohort only
/// transports; their meaning is the application's.
///
/// # What cohort checks, and what is left to the application
/// A custom proposal is accepted, received alone or in a commit, only when [`supports`] says
/// this client implements its type (else the message is rejected, V-12.1-04) and [`validate`]
/// accepts it. A commit that carries one is accepted only when every member that processes the
/// commit lists the type in its leaf's `capabilities.proposals` (V-12.2-12, V-13.2-01); list
/// the type in your own capabilities ([`LeafSpec`](crate::LeafSpec)) to receive such commits. A
/// commit carrying a type for which [`path_required`] is true must have a path (V-12.4-01).
/// A staged or pending commit lists its custom proposals in
/// [`CommitSummary::custom`](crate::CommitSummary::custom): act on them when merging.
///
/// [`supports`]: CustomProposals::supports
/// [`validate`]: CustomProposals::validate
/// [`path_required`]: CustomProposals::path_required
///
/// ```
/// use cohort_group::CustomProposals;
/// use cohort_messages::framing::Sender;
/// use cohort_messages::group_context::GroupContext;
/// use cohort_tree::leaf::ProposalType;
///
/// /// One private-use type: a room topic, at most 256 bytes of UTF-8.
/// #[derive(Debug)]
/// struct Topic;
///
/// const TOPIC: ProposalType = ProposalType(0xF0A0);
///
/// impl CustomProposals for Topic {
///     fn supports(&self, proposal_type: ProposalType) -> bool {
///         proposal_type == TOPIC
///     }
///     fn path_required(&self, _: ProposalType) -> bool {
///         false
///     }
///     fn validate(&self, _: ProposalType, data: &[u8], _: Sender, _: &GroupContext) -> bool {
///         data.len() <= 256 && std::str::from_utf8(data).is_ok()
///     }
/// }
/// ```
pub trait CustomProposals: Send + Sync + fmt::Debug {
    /// Whether this client implements `proposal_type`.
    fn supports(&self, proposal_type: ProposalType) -> bool;

    /// Whether a commit covering `proposal_type` must carry a path (the "Path Required" column
    /// of the IANA registry). The default, `true`, is the safe choice.
    fn path_required(&self, proposal_type: ProposalType) -> bool {
        let _ = proposal_type;
        true
    }

    /// Whether the proposal `data` of `proposal_type` from `sender` may enter the group whose
    /// current context is `context` (checked when the proposal is received and again in a
    /// commit). Decide from data, without side effects: a rejected message changes nothing.
    fn validate(
        &self,
        proposal_type: ProposalType,
        data: &[u8],
        sender: Sender,
        context: &GroupContext,
    ) -> bool;
}

/// Implements no custom proposal type (the default): every custom proposal is rejected.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCustomProposals;

impl CustomProposals for NoCustomProposals {
    fn supports(&self, _proposal_type: ProposalType) -> bool {
        false
    }

    fn validate(&self, _: ProposalType, _: &[u8], _: Sender, _: &GroupContext) -> bool {
        false
    }
}

/// The application's own rules on what members may propose (RFC 9420 §12.2: "application-
/// specific" checks such as who may add or remove), and on resync (§12.4.3.2: an external commit
/// in which a client removes its own old leaf).
///
/// [`authorize`](ProposalPolicy::authorize) is consulted for every proposal from a member: one
/// received on its own, each one a commit covers (by reference or by value, with the proposer
/// as `sender`), and our own before we send or commit them. A refusal rejects the message
/// ([`ValidationError::PolicyViolation`](crate::ValidationError::PolicyViolation)) and changes
/// nothing. Proposals from outside the group go to
/// [`ExternalProposalPolicy`] instead.
///
/// ```
/// use cohort_group::ProposalPolicy;
/// use cohort_messages::group_context::GroupContext;
/// use cohort_messages::proposal::Proposal;
/// use cohort_tree::math::LeafIndex;
///
/// /// Only the group's creator (leaf 0) adds or removes; nobody re-joins by external commit.
/// #[derive(Debug)]
/// struct AdminOnly;
///
/// impl ProposalPolicy for AdminOnly {
///     fn authorize(&self, sender: LeafIndex, proposal: &Proposal, _: &GroupContext) -> bool {
///         match proposal {
///             Proposal::Add(_) | Proposal::Remove(_) => sender == LeafIndex(0),
///             _ => true,
///         }
///     }
///     fn allow_resync(&self, _removed: LeafIndex, _: &GroupContext) -> bool {
///         false
///     }
/// }
/// ```
pub trait ProposalPolicy: Send + Sync + fmt::Debug {
    /// Whether the member at `sender` may make `proposal` in the group whose current context is
    /// `context`. Decide from data, without side effects.
    fn authorize(&self, sender: LeafIndex, proposal: &Proposal, context: &GroupContext) -> bool;

    /// Whether an external commit may remove the member at `removed` (a client re-joining in
    /// place of its old leaf). The default allows it.
    fn allow_resync(&self, removed: LeafIndex, context: &GroupContext) -> bool {
        let _ = (removed, context);
        true
    }
}

/// Authorizes every proposal that passes the protocol's checks, and resync (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAllProposals;

impl ProposalPolicy for AllowAllProposals {
    fn authorize(&self, _: LeafIndex, _: &Proposal, _: &GroupContext) -> bool {
        true
    }
}

/// The application's components (draft-ietf-mls-extensions, "The Safe Application Interface"):
/// the logic behind the AppDataUpdate and AppEphemeral proposals.
///
/// # What cohort checks, and what is left to the application
/// An AppDataUpdate or AppEphemeral naming a component for which [`knows`] is false is refused
/// (X-AD-01, X-AE-01). For the AppDataUpdates of a commit, cohort checks the list's shape (one
/// `remove`, or only `update`s, per component; a `remove` of data that is present: X-AD-02,
/// X-AD-03) and then asks [`apply_updates`] for each updated component's new data, in the
/// commit's order; `None` refuses the commit (X-AD-04). It writes the result into the
/// GroupContext's `app_data_dictionary`. An AppEphemeral is passed to [`accept_ephemeral`]
/// when received and in a commit (X-AE-02); once the commit is merged, its data is in
/// [`CommitSummary::app_ephemeral`](crate::CommitSummary::app_ephemeral), in order.
///
/// Decide from data, without side effects: a rejected message changes nothing, and a commit
/// may be checked more than once (when staged, and when it is our own).
///
/// [`knows`]: AppComponents::knows
/// [`apply_updates`]: AppComponents::apply_updates
/// [`accept_ephemeral`]: AppComponents::accept_ephemeral
pub trait AppComponents: Send + Sync + fmt::Debug {
    /// Whether the application knows `component_id`.
    fn knows(&self, component_id: ComponentId) -> bool;

    /// The new data of `component_id` after `updates` (the `update` fields of the commit's
    /// AppDataUpdates for it, in order), given its `current` data; `None` when the application
    /// considers the updates invalid, which rejects the commit.
    fn apply_updates(
        &self,
        component_id: ComponentId,
        current: Option<&[u8]>,
        updates: &[&[u8]],
        context: &GroupContext,
    ) -> Option<Vec<u8>>;

    /// Whether AppEphemeral `data` for `component_id` from `sender` is acceptable. The default
    /// accepts any.
    fn accept_ephemeral(
        &self,
        component_id: ComponentId,
        data: &[u8],
        sender: Sender,
        context: &GroupContext,
    ) -> bool {
        let _ = (component_id, data, sender, context);
        true
    }
}

/// Knows no component (the default): every AppDataUpdate and AppEphemeral is refused.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAppComponents;

impl AppComponents for NoAppComponents {
    fn knows(&self, _: ComponentId) -> bool {
        false
    }

    fn apply_updates(
        &self,
        _: ComponentId,
        _: Option<&[u8]>,
        _: &[&[u8]],
        _: &GroupContext,
    ) -> Option<Vec<u8>> {
        None
    }
}

/// Components whose AppDataUpdate carries the new data itself: the last `update` of a commit
/// replaces the component's data. It knows the components it lists and accepts every
/// AppEphemeral for them.
///
/// ```
/// use cohort_group::{AppComponents, ReplaceAppData};
/// use cohort_messages::components::ComponentId;
///
/// let topic = ComponentId(0x8001);
/// let components = ReplaceAppData::new([topic]);
/// assert!(components.knows(topic));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ReplaceAppData {
    components: Vec<ComponentId>,
}

impl ReplaceAppData {
    /// Replace semantics for `components`.
    pub fn new(components: impl IntoIterator<Item = ComponentId>) -> Self {
        Self {
            components: components.into_iter().collect(),
        }
    }
}

impl AppComponents for ReplaceAppData {
    fn knows(&self, component_id: ComponentId) -> bool {
        self.components.contains(&component_id)
    }

    fn apply_updates(
        &self,
        _: ComponentId,
        _: Option<&[u8]>,
        updates: &[&[u8]],
        _: &GroupContext,
    ) -> Option<Vec<u8>> {
        updates.last().map(|u| u.to_vec())
    }
}
