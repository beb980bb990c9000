//! The Authentication Service hook (RFC 9420 §5.3.1): the application decides which credentials
//! it accepts and when one may succeed another.
//!
//! The group calls the validator wherever a credential enters: KeyPackages before an Add, Add
//! proposals, Updates and commit paths, every leaf of a tree at join, external senders, and
//! external commits. X.509 validation plugs in through the same trait.

use core::fmt;

use cohort_crypto::SignaturePublicKey;

use crate::Credential;

/// Where a credential was met, so a validator can apply different policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialContext {
    /// In a KeyPackage we are about to add, or in a received Add proposal (V-5.3.1-01/03).
    Add,
    /// In an Update proposal (V-5.3.1-04).
    Update,
    /// In a commit's UpdatePath leaf (V-5.3.1-05).
    CommitPath,
    /// In the tree of a group we join, by Welcome or external commit (V-5.3.1-02).
    Join,
    /// In the `external_senders` extension (V-5.3.1-06).
    ExternalSender,
    /// In the leaf of an external commit (a new member, or a member re-joining).
    ExternalCommit,
}

/// The identity a validator extracted from a credential, for comparing members.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity(pub Vec<u8>);

/// Why a credential was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// RFC 9420 §5.3: this credential type is not accepted here.
    #[error("credential type {0} is not supported")]
    UnsupportedType(u16),
    /// RFC 9420 §5.3.1: the credential does not pass the application's checks.
    #[error("credential rejected: {0}")]
    Rejected(String),
    /// RFC 9420 §5.3.1: the new credential is not an acceptable successor of the old one.
    #[error("the new credential does not identify the same member")]
    NotSuccessor,
    /// RFC 9420 §5.3: the credential binds another key than the leaf's signature key (X.509).
    #[error("the credential does not bind the leaf's signature key")]
    KeyMismatch,
}

/// The application's Authentication Service.
///
/// # Implementing
/// `validate` must check that `credential` is acceptable in `context` and that it binds
/// `signature_key` (for X.509: the leaf certificate's key equals it), and return the member's
/// identity. `valid_successor` decides whether a member may replace `old` with `new` (same
/// identity, or a change the application allows). Both are called with peer data: never panic.
///
/// ```
/// use cohort_credential::{
///     Credential, CredentialContext, CredentialError, CredentialValidator, Identity,
/// };
/// use cohort_crypto::SignaturePublicKey;
///
/// /// Accepts basic credentials whose identity ends in "@example.com".
/// #[derive(Debug)]
/// struct Company;
///
/// impl CredentialValidator for Company {
///     fn validate(
///         &self,
///         credential: &Credential,
///         _key: &SignaturePublicKey,
///         _context: CredentialContext,
///     ) -> Result<Identity, CredentialError> {
///         match credential {
///             Credential::Basic { identity } if identity.ends_with(b"@example.com") => {
///                 Ok(Identity(identity.to_vec()))
///             }
///             _ => Err(CredentialError::Rejected("not a company identity".into())),
///         }
///     }
/// }
///
/// let key = SignaturePublicKey::from(vec![1; 32]);
/// assert!(Company.validate(&Credential::basic(b"ana@example.com".to_vec()), &key, CredentialContext::Add).is_ok());
/// assert!(Company.validate(&Credential::basic(b"eve@evil.test".to_vec()), &key, CredentialContext::Add).is_err());
/// ```
pub trait CredentialValidator: Send + Sync + fmt::Debug {
    /// Checks `credential` (bound to `signature_key`) met in `context`, returning the identity.
    ///
    /// # Errors
    /// A [`CredentialError`] saying why it is refused.
    fn validate(
        &self,
        credential: &Credential,
        signature_key: &SignaturePublicKey,
        context: CredentialContext,
    ) -> Result<Identity, CredentialError>;

    /// Whether `new` may replace `old` for the same member (RFC 9420 §5.3.1, V-5.3.1-07). The
    /// default requires the same identity as `validate` extracts from both.
    ///
    /// # Errors
    /// [`CredentialError::NotSuccessor`] when it may not.
    fn valid_successor(
        &self,
        old: &Credential,
        new: &Credential,
        signature_key: &SignaturePublicKey,
    ) -> Result<(), CredentialError> {
        let a = self.validate(old, signature_key, CredentialContext::Update)?;
        let b = self.validate(new, signature_key, CredentialContext::Update)?;
        if a == b {
            Ok(())
        } else {
            Err(CredentialError::NotSuccessor)
        }
    }
}

/// Accepts basic credentials with a non-empty identity, and refuses every other type. A member
/// keeps its identity across updates unless `allow_identity_change` is set.
///
/// # Security
/// Basic credentials prove nothing by themselves: the application must authenticate the
/// identity to signature key binding some other way (for example by comparing the epoch
/// authenticator or key fingerprints out of band).
#[derive(Debug, Clone, Copy, Default)]
pub struct BasicValidator {
    /// Whether a member may change its identity in an Update or commit.
    pub allow_identity_change: bool,
}

impl CredentialValidator for BasicValidator {
    fn validate(
        &self,
        credential: &Credential,
        _signature_key: &SignaturePublicKey,
        _context: CredentialContext,
    ) -> Result<Identity, CredentialError> {
        match credential {
            Credential::Basic { identity } if !identity.is_empty() => {
                Ok(Identity(identity.to_vec()))
            }
            Credential::Basic { .. } => Err(CredentialError::Rejected("empty identity".into())),
            other => Err(CredentialError::UnsupportedType(other.credential_type().0)),
        }
    }

    fn valid_successor(
        &self,
        old: &Credential,
        new: &Credential,
        signature_key: &SignaturePublicKey,
    ) -> Result<(), CredentialError> {
        let a = self.validate(old, signature_key, CredentialContext::Update)?;
        let b = self.validate(new, signature_key, CredentialContext::Update)?;
        if a == b || self.allow_identity_change {
            Ok(())
        } else {
            Err(CredentialError::NotSuccessor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SignaturePublicKey {
        SignaturePublicKey::from(vec![9; 32])
    }

    #[test]
    fn basic_validator_accepts_basic_and_refuses_others() {
        let v = BasicValidator::default();
        assert!(
            v.validate(
                &Credential::basic(b"a".to_vec()),
                &key(),
                CredentialContext::Add
            )
            .is_ok()
        );
        assert!(matches!(
            v.validate(
                &Credential::basic(Vec::new()),
                &key(),
                CredentialContext::Add
            ),
            Err(CredentialError::Rejected(_))
        ));
        let x509 = Credential::X509 {
            certificates: Vec::new(),
        };
        assert!(matches!(
            v.validate(&x509, &key(), CredentialContext::Join),
            Err(CredentialError::UnsupportedType(t)) if t == crate::CredentialType::X509.0
        ));
    }

    /// V-5.3.1-07: a member keeps its identity unless the policy allows a change.
    #[test]
    fn v_5_3_1_07_successor_keeps_the_identity() {
        let strict = BasicValidator::default();
        let a = Credential::basic(b"alice".to_vec());
        let b = Credential::basic(b"bob".to_vec());
        assert!(strict.valid_successor(&a, &a, &key()).is_ok());
        assert!(matches!(
            strict.valid_successor(&a, &b, &key()),
            Err(CredentialError::NotSuccessor)
        ));
        let relaxed = BasicValidator {
            allow_identity_change: true,
        };
        assert!(relaxed.valid_successor(&a, &b, &key()).is_ok());
    }
}
