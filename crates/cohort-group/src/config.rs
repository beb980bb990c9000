//! Group configuration and policy.

use std::fmt;
use std::sync::Arc;

use cohort_credential::{BasicValidator, CredentialValidator};
use cohort_key_schedule::RatchetConfig;
use cohort_messages::framing::Sender;
use cohort_messages::group_context::GroupContext;
use cohort_messages::proposal::Proposal;

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
    pub max_past_epochs: usize,
    /// Whether to check that KeyPackage leaves are within their lifetime (RFC 9420 §7.3); needs
    /// the current time, given with each operation.
    pub enforce_lifetimes: bool,
    /// The longest total lifetime accepted for a leaf, in seconds (RFC 9420 §7.2).
    pub max_lifetime_secs: u64,
    /// The application's Authentication Service (RFC 9420 §5.3.1), consulted wherever a
    /// credential enters the group. Not persisted: set it again after loading a group.
    pub credential_validator: Arc<dyn CredentialValidator>,
    /// The application's decision on proposals from outside the group (RFC 9420 §12.1.8,
    /// V-12.1.8-04). Not persisted: set it again after loading a group.
    pub external_proposal_policy: Arc<dyn ExternalProposalPolicy>,
}

impl Default for GroupConfig {
    fn default() -> Self {
        Self {
            ratchet: RatchetConfig::default(),
            max_resumption_epochs: 16,
            max_past_epochs: 1,
            enforce_lifetimes: true,
            // Three months and a bit, a common upper bound for KeyPackage lifetimes.
            max_lifetime_secs: 100 * 24 * 3600,
            credential_validator: Arc::new(BasicValidator::default()),
            external_proposal_policy: Arc::new(AcceptExternalProposals),
        }
    }
}

impl GroupConfig {
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

    /// The configuration with lifetime checks switched off (for replaying old traffic or test
    /// vectors whose lifetimes have passed).
    pub fn without_lifetime_checks(mut self) -> Self {
        self.enforce_lifetimes = false;
        self
    }
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
