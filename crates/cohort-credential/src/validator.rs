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
    /// RFC 9420 §5.3 (V-5.3-01): the credential binds another key than the leaf's signature
    /// key; for X.509, the leaf certificate's subjectPublicKeyInfo differs from it.
    #[error("the credential does not bind the leaf's signature key")]
    KeyMismatch,
    /// RFC 9420 §5.3 (V-5.3-02): an X.509 chain that is empty, or a certificate that does not
    /// decode as DER or is otherwise malformed.
    #[error("bad certificate: {0}")]
    BadCertificate(String),
    /// A signature scheme the validator does not support, by name: the leaf's key algorithm, or
    /// the algorithm that signed a certificate in the chain.
    #[error("unsupported signature scheme: {0}")]
    UnsupportedScheme(String),
    /// The chain does not lead to a configured trust anchor (unknown issuer, name or path-length
    /// constraint violated, a leaf used as a CA ...).
    #[error("certificate chain not trusted: {0}")]
    Untrusted(String),
    /// A certificate signature in the chain does not verify.
    #[error("a certificate signature does not verify")]
    BadSignature,
    /// A certificate of the chain has expired at the validation time (seconds since the Unix
    /// epoch).
    #[error("certificate expired at {not_after}, validation time {now}")]
    Expired {
        /// The certificate's notAfter.
        not_after: u64,
        /// The validation time.
        now: u64,
    },
    /// A certificate of the chain is not yet valid at the validation time (seconds since the
    /// Unix epoch).
    #[error("certificate not valid before {not_before}, validation time {now}")]
    NotYetValid {
        /// The certificate's notBefore.
        not_before: u64,
        /// The validation time.
        now: u64,
    },
    /// A certificate of the chain is revoked by a configured CRL.
    #[error("certificate revoked")]
    Revoked,
    /// The revocation status could not be established and the policy asks for one (no
    /// authoritative CRL, an expired CRL, a CRL that does not verify ...).
    #[error("revocation status unknown: {0}")]
    RevocationUnknown(String),
    /// The leaf's key usage or extended key usage does not allow this use.
    #[error("certificate not valid for this usage: {0}")]
    BadUsage(String),
    /// The credential carries no identity of the kind the identity policy asks for.
    #[error("no identity of the required kind in the credential")]
    MissingIdentity,
}

/// What the group does when two members would hold the same [`Identity`] (RFC 9420 §5.3.1).
///
/// One user with several devices has several leaves with one identity; some deployments want
/// exactly one leaf per identity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DuplicatePolicy {
    /// Several leaves may share an identity (the library's behaviour before this hook).
    #[default]
    Allow,
    /// A credential whose identity another member already has is rejected.
    Reject,
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

    /// Whether two leaves of one group may hold the same identity. The group consults this
    /// whenever a credential enters it. The default allows it.
    fn duplicate_identity_policy(&self) -> DuplicatePolicy {
        DuplicatePolicy::Allow
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
