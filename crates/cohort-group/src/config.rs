//! Group configuration and policy.

use std::sync::Arc;

use cohort_credential::{BasicValidator, CredentialValidator};
use cohort_key_schedule::RatchetConfig;

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
        }
    }
}

impl GroupConfig {
    /// The configuration with `validator` as its Authentication Service.
    pub fn with_credential_validator(mut self, validator: Arc<dyn CredentialValidator>) -> Self {
        self.credential_validator = validator;
        self
    }

    /// The configuration with lifetime checks switched off (for replaying old traffic or test
    /// vectors whose lifetimes have passed).
    pub fn without_lifetime_checks(mut self) -> Self {
        self.enforce_lifetimes = false;
        self
    }
}
