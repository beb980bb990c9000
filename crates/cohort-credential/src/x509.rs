//! X.509 credentials (RFC 9420 §5.3) validated with `rustls-webpki`, the certificate validator
//! rustls uses. Available with the `x509` feature.
//!
//! [`X509Validator`] is a [`CredentialValidator`]: it checks, in this order,
//!
//! ```text
//!  certificates[0] (leaf), certificates[1..] (intermediates)
//!        │
//!        ├─ every certificate decodes as DER ............. else BadCertificate   (V-5.3-02)
//!        ├─ leaf key is Ed25519 / Ed448 / ECDSA P-256, P-384, P-521
//!        │                                 ............. else UnsupportedScheme
//!        ├─ leaf key == LeafNode.signature_key .......... else KeyMismatch      (V-5.3-01)
//!        ├─ webpki: path to a trust anchor at clock() ... else Untrusted, Expired, NotYetValid,
//!        │          with the application's CRLs                 BadSignature, Revoked, ...
//!        ├─ leaf keyUsage / extKeyUsage policy .......... else BadUsage
//!        └─ identity by the IdentityPolicy ............... else MissingIdentity
//! ```
//!
//! The validation time comes from a clock the application supplies: the library never reads
//! the system time. Certificates in the chain may be signed with the algorithms of
//! [`X509Validator::default_signature_algorithms`] (Ed25519, ECDSA P-256 and P-384, RSA, from
//! the library of the application's crypto backend: aws-lc-rs or ring), or a list the
//! application sets; a chain signed with any other algorithm is refused with
//! [`CredentialError::UnsupportedScheme`] naming it. Leaf keys for every MLS signature scheme
//! are accepted, since the leaf key only signs MLS messages, which the crypto provider checks.
//!
//! ```
//! use cohort_credential::x509::{IdentityPolicy, X509Validator};
//!
//! # fn config(root_ca_der: &[u8]) -> Result<X509Validator, cohort_credential::x509::X509ConfigError> {
//! let validator = X509Validator::new([root_ca_der], || 1_800_000_000)?
//!     .with_identity_policy(IdentityPolicy::SanUri);
//! # Ok(validator)
//! # }
//! ```

mod der;
mod fields;

use core::fmt;
use core::time::Duration;
use std::sync::Arc;

use cohort_crypto::{SignaturePublicKey, SignatureScheme};
use rustls_pki_types::{
    CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime, alg_id,
};
use webpki::{
    CertRevocationList, EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeIdIter,
    OwnedCertRevocationList, RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy,
};

use crate::{
    Credential, CredentialContext, CredentialError, CredentialValidator, DuplicatePolicy, Identity,
};
use fields::{CertFields, KeyError, SanKind};

/// Where the identity of a member is read from in its leaf certificate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentityPolicy {
    /// The first non-empty `uniformResourceIdentifier` of subjectAltName, as written.
    SanUri,
    /// The first non-empty `rfc822Name` (e-mail address) of subjectAltName, as written.
    SanEmail,
    /// The first non-empty `dNSName` of subjectAltName, in ASCII lower case.
    SanDns,
    /// The subject distinguished name, as its DER encoding (tag and length included). An empty
    /// subject is no identity.
    #[default]
    Subject,
}

/// The leaf's keyUsage requirement (RFC 5280 §4.2.1.3). MLS leaves sign, so the relevant bit
/// is `digitalSignature`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyUsagePolicy {
    /// keyUsage is not looked at.
    Ignore,
    /// If the leaf has keyUsage, it must include `digitalSignature` (RFC 5280: an absent
    /// extension allows every use).
    #[default]
    DigitalSignatureIfPresent,
    /// The leaf must have keyUsage, and it must include `digitalSignature`.
    DigitalSignatureRequired,
}

/// The leaf's extKeyUsage requirement (RFC 5280 §4.2.1.12). Purposes are OIDs given as their
/// arcs, e.g. `vec![1, 3, 6, 1, 5, 5, 7, 3, 2]` for id-kp-clientAuth.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExtendedKeyUsagePolicy {
    /// extKeyUsage is not looked at.
    #[default]
    Any,
    /// The leaf must have extKeyUsage listing at least one of these purposes.
    Required(Vec<Vec<u64>>),
    /// If the leaf has extKeyUsage, it must list at least one of these purposes.
    RequiredIfPresent(Vec<Vec<u64>>),
}

/// Which certificates of the chain are checked against the CRLs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevocationDepth {
    /// Only the leaf.
    EndEntity,
    /// The leaf and every intermediate.
    #[default]
    Chain,
}

/// What to do with a certificate for which no configured CRL is authoritative.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnknownRevocation {
    /// Accept it.
    #[default]
    Allow,
    /// Refuse it with [`CredentialError::RevocationUnknown`].
    Deny,
}

/// A configuration mistake of the application, found when the validator is built.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum X509ConfigError {
    /// No trust anchor was given.
    #[error("no trust anchor configured")]
    NoTrustAnchor,
    /// The trust anchor at this index is not a usable DER certificate.
    #[error("trust anchor {index} is not a usable certificate: {reason}")]
    BadTrustAnchor {
        /// Its position in the list given.
        index: usize,
        /// What webpki said.
        reason: String,
    },
    /// The CRL at this index does not decode.
    #[error("CRL {index} does not decode: {reason}")]
    BadCrl {
        /// Its position in the list given.
        index: usize,
        /// What webpki said.
        reason: String,
    },
}

/// An application's clock: seconds since the Unix epoch.
type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// A [`CredentialValidator`] for X.509 credentials: the chain in the credential (leaf first,
/// then intermediates) must lead to a configured trust anchor at the time the application's
/// clock gives, under the application's key-usage, revocation and identity policies.
///
/// Only [`Credential::X509`] is accepted; other types are refused with
/// [`CredentialError::UnsupportedType`]. An application that also accepts basic credentials
/// wraps this validator in its own and dispatches on the type.
///
/// # Security
/// Every certificate is untrusted input: each failure is a typed [`CredentialError`], and no
/// input makes the validator panic. The validator reads no global state; the clock and the
/// CRLs are the application's, so revocation is only as fresh as the CRLs it passes in
/// (rebuild the validator with [`with_crls`](Self::with_crls) when they are renewed).
#[derive(Clone)]
pub struct X509Validator {
    anchors: Vec<TrustAnchor<'static>>,
    clock: Clock,
    algorithms: &'static [&'static dyn SignatureVerificationAlgorithm],
    crls: Arc<[CertRevocationList<'static>]>,
    revocation_depth: RevocationDepth,
    unknown_revocation: UnknownRevocation,
    enforce_crl_expiry: bool,
    key_usage: KeyUsagePolicy,
    ext_key_usage: ExtendedKeyUsagePolicy,
    identity: IdentityPolicy,
    allow_identity_change: bool,
    duplicates: DuplicatePolicy,
}

/// The default certificate signature algorithms, from webpki's `aws-lc-rs` provider (feature
/// `aws-lc`), which has ECDSA P-521 too.
#[cfg(feature = "aws-lc")]
static DEFAULT_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::aws_lc_rs::ED25519,
    webpki::aws_lc_rs::ECDSA_P256_SHA256,
    webpki::aws_lc_rs::ECDSA_P256_SHA384,
    webpki::aws_lc_rs::ECDSA_P384_SHA256,
    webpki::aws_lc_rs::ECDSA_P384_SHA384,
    webpki::aws_lc_rs::ECDSA_P521_SHA256,
    webpki::aws_lc_rs::ECDSA_P521_SHA384,
    webpki::aws_lc_rs::ECDSA_P521_SHA512,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA384,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA512,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
];

/// The default certificate signature algorithms, from webpki's `ring` provider (feature `ring`
/// without `aws-lc`).
#[cfg(all(feature = "ring", not(feature = "aws-lc")))]
static DEFAULT_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ED25519,
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
];

/// Without a provider feature there are no default algorithms: every chain is refused
/// ([`CredentialError::UnsupportedScheme`]) until the application sets its own with
/// [`X509Validator::with_signature_algorithms`].
#[cfg(not(any(feature = "aws-lc", feature = "ring")))]
static DEFAULT_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[];

impl X509Validator {
    /// A validator trusting the DER certificates `trust_anchors`, validating at the time
    /// `clock` returns (seconds since the Unix epoch), with the default policies: identity from
    /// the subject, `digitalSignature` required if keyUsage is present, any extKeyUsage, no
    /// CRLs, no identity change on update, duplicate identities allowed.
    ///
    /// # Errors
    /// [`X509ConfigError::NoTrustAnchor`] for an empty list, and
    /// [`X509ConfigError::BadTrustAnchor`] for a certificate webpki cannot use as an anchor.
    pub fn new<I, B, C>(trust_anchors: I, clock: C) -> Result<Self, X509ConfigError>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
        C: Fn() -> u64 + Send + Sync + 'static,
    {
        let mut anchors = Vec::new();
        for (index, der) in trust_anchors.into_iter().enumerate() {
            let der = CertificateDer::from(der.as_ref());
            let anchor = webpki::anchor_from_trusted_cert(&der).map_err(|e| {
                X509ConfigError::BadTrustAnchor {
                    index,
                    reason: format!("{e:?}"),
                }
            })?;
            anchors.push(anchor.to_owned());
        }
        if anchors.is_empty() {
            return Err(X509ConfigError::NoTrustAnchor);
        }
        Ok(Self {
            anchors,
            clock: Arc::new(clock),
            algorithms: DEFAULT_ALGORITHMS,
            crls: Arc::new([]),
            revocation_depth: RevocationDepth::default(),
            unknown_revocation: UnknownRevocation::default(),
            enforce_crl_expiry: false,
            key_usage: KeyUsagePolicy::default(),
            ext_key_usage: ExtendedKeyUsagePolicy::default(),
            identity: IdentityPolicy::default(),
            allow_identity_change: false,
            duplicates: DuplicatePolicy::default(),
        })
    }

    /// The certificate signature algorithms used unless
    /// [`with_signature_algorithms`](Self::with_signature_algorithms) replaces them: Ed25519,
    /// ECDSA P-256 and P-384 (SHA-256, SHA-384) and RSA (PKCS#1 and PSS, 2048 to 8192 bits),
    /// from webpki's `aws-lc-rs` provider with the feature `aws-lc` (then ECDSA P-521 too),
    /// else from its `ring` provider with the feature `ring` (`ring` has no P-521). With
    /// neither feature the list is empty.
    pub fn default_signature_algorithms() -> &'static [&'static dyn SignatureVerificationAlgorithm]
    {
        DEFAULT_ALGORITHMS
    }

    /// Replaces the algorithms certificate signatures in the chain may use, for example with
    /// webpki's `aws-lc-rs` list, which has ECDSA P-521.
    #[must_use]
    pub fn with_signature_algorithms(
        mut self,
        algorithms: &'static [&'static dyn SignatureVerificationAlgorithm],
    ) -> Self {
        self.algorithms = algorithms;
        self
    }

    /// Replaces the CRLs (DER `CertificateList`, RFC 5280 §5) certificates are checked against.
    ///
    /// # Errors
    /// [`X509ConfigError::BadCrl`] for one that does not decode. Its signature is checked at
    /// validation time, against the issuer found in the chain.
    pub fn with_crls<I, B>(mut self, crls: I) -> Result<Self, X509ConfigError>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let mut parsed = Vec::new();
        for (index, der) in crls.into_iter().enumerate() {
            let crl = OwnedCertRevocationList::from_der(der.as_ref()).map_err(|e| {
                X509ConfigError::BadCrl {
                    index,
                    reason: format!("{e:?}"),
                }
            })?;
            parsed.push(CertRevocationList::from(crl));
        }
        self.crls = parsed.into();
        Ok(self)
    }

    /// Which certificates are checked against the CRLs (default: the whole chain).
    #[must_use]
    pub fn with_revocation_depth(mut self, depth: RevocationDepth) -> Self {
        self.revocation_depth = depth;
        self
    }

    /// What to do when no CRL covers a certificate (default: allow). Only applies once at least
    /// one CRL is configured.
    #[must_use]
    pub fn with_unknown_revocation(mut self, policy: UnknownRevocation) -> Self {
        self.unknown_revocation = policy;
        self
    }

    /// Whether a CRL whose nextUpdate is before the validation time makes the status unknown
    /// (default: false, an old CRL still counts).
    #[must_use]
    pub fn with_crl_expiry_enforced(mut self, enforce: bool) -> Self {
        self.enforce_crl_expiry = enforce;
        self
    }

    /// The leaf's keyUsage requirement.
    #[must_use]
    pub fn with_key_usage(mut self, policy: KeyUsagePolicy) -> Self {
        self.key_usage = policy;
        self
    }

    /// The leaf's extKeyUsage requirement.
    #[must_use]
    pub fn with_extended_key_usage(mut self, policy: ExtendedKeyUsagePolicy) -> Self {
        self.ext_key_usage = policy;
        self
    }

    /// Where the member's identity is read from.
    #[must_use]
    pub fn with_identity_policy(mut self, policy: IdentityPolicy) -> Self {
        self.identity = policy;
        self
    }

    /// Whether a member may change identity when it replaces its credential (V-5.3.1-07;
    /// default: no).
    #[must_use]
    pub fn with_identity_change_allowed(mut self, allowed: bool) -> Self {
        self.allow_identity_change = allowed;
        self
    }

    /// What the group does with two leaves of the same identity (default: allow).
    #[must_use]
    pub fn with_duplicate_identity_policy(mut self, policy: DuplicatePolicy) -> Self {
        self.duplicates = policy;
        self
    }

    /// The identity the policy reads from an X.509 credential, without validating the chain,
    /// the time or the key.
    ///
    /// This is what [`valid_successor`](CredentialValidator::valid_successor) uses for the old
    /// credential, which may have expired since it was accepted (RFC 9420 §5.3.2).
    ///
    /// # Errors
    /// [`CredentialError::UnsupportedType`], [`CredentialError::BadCertificate`] or
    /// [`CredentialError::MissingIdentity`].
    pub fn identity(&self, credential: &Credential) -> Result<Identity, CredentialError> {
        let chain = x509_chain(credential)?;
        let leaf = parse_all(chain)?;
        self.identity_of(&leaf)
    }

    fn identity_of(&self, leaf: &CertFields<'_>) -> Result<Identity, CredentialError> {
        let kind = match self.identity {
            // An empty Name (allowed when subjectAltName is present) identifies no one.
            IdentityPolicy::Subject if leaf.subject == [der::SEQUENCE, 0] => {
                return Err(CredentialError::MissingIdentity);
            }
            IdentityPolicy::Subject => return Ok(Identity(leaf.subject.to_vec())),
            IdentityPolicy::SanUri => SanKind::Uri,
            IdentityPolicy::SanEmail => SanKind::Email,
            IdentityPolicy::SanDns => SanKind::Dns,
        };
        let names = leaf
            .alt_names(kind)
            .map_err(|()| bad("certificate 0: malformed subjectAltName"))?;
        let first = names
            .iter()
            .find(|name| !name.is_empty())
            .ok_or(CredentialError::MissingIdentity)?;
        Ok(Identity(match kind {
            SanKind::Dns => first.to_ascii_lowercase().into_bytes(),
            SanKind::Uri | SanKind::Email => first.as_bytes().to_vec(),
        }))
    }

    fn check_usage(&self, leaf: &CertFields<'_>) -> Result<(), CredentialError> {
        let digital_signature = leaf
            .digital_signature()
            .map_err(|()| bad("certificate 0: malformed keyUsage"))?;
        match (self.key_usage, digital_signature) {
            (KeyUsagePolicy::Ignore, _) | (_, Some(true)) => {}
            (KeyUsagePolicy::DigitalSignatureIfPresent, None) => {}
            (KeyUsagePolicy::DigitalSignatureRequired, None) => {
                return Err(CredentialError::BadUsage(
                    "keyUsage with digitalSignature required, none present".into(),
                ));
            }
            (_, Some(false)) => {
                return Err(CredentialError::BadUsage(
                    "keyUsage does not include digitalSignature".into(),
                ));
            }
        }

        let present = leaf
            .ext_key_usages()
            .map_err(|()| bad("certificate 0: malformed extKeyUsage"))?;
        let (wanted, required) = match &self.ext_key_usage {
            ExtendedKeyUsagePolicy::Any => return Ok(()),
            ExtendedKeyUsagePolicy::Required(wanted) => (wanted, true),
            ExtendedKeyUsagePolicy::RequiredIfPresent(wanted) => (wanted, false),
        };
        match present {
            None if !required => Ok(()),
            None => Err(CredentialError::BadUsage(
                "extKeyUsage required, none present".into(),
            )),
            Some(present) if present.iter().any(|p| wanted.contains(p)) => Ok(()),
            Some(_) => Err(CredentialError::BadUsage(
                "extKeyUsage lists none of the required purposes".into(),
            )),
        }
    }

    fn verify_chain(&self, chain: &[crate::Certificate], now: u64) -> Result<(), CredentialError> {
        let Some((leaf, rest)) = chain.split_first() else {
            return Err(bad("empty certificate chain"));
        };
        let leaf_der = CertificateDer::from(&leaf.cert_data[..]);
        let end_entity = EndEntityCert::try_from(&leaf_der).map_err(|e| map_webpki(e, now))?;
        let intermediates: Vec<CertificateDer<'_>> = rest
            .iter()
            .map(|c| CertificateDer::from(&c.cert_data[..]))
            .collect();

        let crl_refs: Vec<&CertRevocationList<'static>> = self.crls.iter().collect();
        let revocation = match RevocationOptionsBuilder::new(&crl_refs) {
            Ok(builder) => Some(
                builder
                    .with_depth(match self.revocation_depth {
                        RevocationDepth::EndEntity => RevocationCheckDepth::EndEntity,
                        RevocationDepth::Chain => RevocationCheckDepth::Chain,
                    })
                    .with_status_policy(match self.unknown_revocation {
                        UnknownRevocation::Allow => UnknownStatusPolicy::Allow,
                        UnknownRevocation::Deny => UnknownStatusPolicy::Deny,
                    })
                    .with_expiration_policy(if self.enforce_crl_expiry {
                        webpki::ExpirationPolicy::Enforce
                    } else {
                        webpki::ExpirationPolicy::Ignore
                    })
                    .build(),
            ),
            // No CRL configured: no revocation checking.
            Err(_) => None,
        };

        end_entity
            .verify_for_usage(
                self.algorithms,
                &self.anchors,
                &intermediates,
                UnixTime::since_unix_epoch(Duration::from_secs(now)),
                AnyPurpose,
                revocation,
                None,
            )
            .map(|_| ())
            .map_err(|e| map_webpki(e, now))
    }
}

impl fmt::Debug for X509Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("X509Validator")
            .field("trust_anchors", &self.anchors.len())
            .field("signature_algorithms", &self.algorithms)
            .field("crls", &self.crls.len())
            .field("revocation_depth", &self.revocation_depth)
            .field("unknown_revocation", &self.unknown_revocation)
            .field("enforce_crl_expiry", &self.enforce_crl_expiry)
            .field("key_usage", &self.key_usage)
            .field("ext_key_usage", &self.ext_key_usage)
            .field("identity", &self.identity)
            .field("allow_identity_change", &self.allow_identity_change)
            .field("duplicates", &self.duplicates)
            .finish_non_exhaustive()
    }
}

impl CredentialValidator for X509Validator {
    /// Validates an X.509 credential as the [module documentation](self) describes. The same
    /// checks apply in every `context`.
    fn validate(
        &self,
        credential: &Credential,
        signature_key: &SignaturePublicKey,
        _context: CredentialContext,
    ) -> Result<Identity, CredentialError> {
        let chain = x509_chain(credential)?;
        let leaf = parse_all(chain)?;
        let (_scheme, key) = leaf.public_key().map_err(|e| match e {
            KeyError::Malformed => bad("certificate 0: malformed subjectPublicKeyInfo"),
            KeyError::Unsupported(name) => CredentialError::UnsupportedScheme(name),
        })?;
        if key != signature_key.as_ref() {
            return Err(CredentialError::KeyMismatch);
        }
        self.verify_chain(chain, (self.clock)())?;
        self.check_usage(&leaf)?;
        self.identity_of(&leaf)
    }

    /// `new` must pass [`validate`](CredentialValidator::validate) with `signature_key` (the
    /// key of the leaf that carries `new`), and carry the same identity as `old` unless
    /// identity changes are allowed. `old` is only read for its identity, not validated again:
    /// it may have expired since it was accepted (RFC 9420 §5.3.2, V-5.3.2-01), and it was
    /// bound to the member's previous key.
    fn valid_successor(
        &self,
        old: &Credential,
        new: &Credential,
        signature_key: &SignaturePublicKey,
    ) -> Result<(), CredentialError> {
        let new_identity = self.validate(new, signature_key, CredentialContext::Update)?;
        if self.allow_identity_change {
            return Ok(());
        }
        let old_identity = self.identity(old)?;
        if old_identity == new_identity {
            Ok(())
        } else {
            Err(CredentialError::NotSuccessor)
        }
    }

    fn duplicate_identity_policy(&self) -> DuplicatePolicy {
        self.duplicates
    }
}

/// The leaf's public key and scheme as MLS carries them in `signature_key` (RFC 9420 §5.1.1):
/// Ed25519 and Ed448 raw, ECDSA as an uncompressed SEC1 point. Useful to build a LeafNode from
/// a certificate, or to check the scheme against the group's cipher suite.
///
/// # Errors
/// [`CredentialError::UnsupportedType`] for a non-X.509 credential,
/// [`CredentialError::BadCertificate`] for an empty chain or a malformed leaf, and
/// [`CredentialError::UnsupportedScheme`] for a key no MLS cipher suite signs with.
pub fn leaf_signature_key(
    credential: &Credential,
) -> Result<(SignatureScheme, SignaturePublicKey), CredentialError> {
    let chain = x509_chain(credential)?;
    let leaf = parse_all(chain)?;
    match leaf.public_key() {
        Ok((scheme, key)) => Ok((scheme, SignaturePublicKey::from(key.to_vec()))),
        Err(KeyError::Malformed) => Err(bad("certificate 0: malformed subjectPublicKeyInfo")),
        Err(KeyError::Unsupported(name)) => Err(CredentialError::UnsupportedScheme(name)),
    }
}

/// An extKeyUsage validator for webpki that accepts every purpose: the leaf's extKeyUsage is
/// checked by [`X509Validator::check_usage`] against the application's policy instead.
struct AnyPurpose;

impl ExtendedKeyUsageValidator for AnyPurpose {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        for purpose in iter {
            purpose?;
        }
        Ok(())
    }
}

/// The chain of an X.509 credential.
fn x509_chain(credential: &Credential) -> Result<&[crate::Certificate], CredentialError> {
    match credential {
        Credential::X509 { certificates } => Ok(certificates),
        other => Err(CredentialError::UnsupportedType(other.credential_type().0)),
    }
}

/// Checks every certificate of the chain decodes (V-5.3-02) and returns the leaf's fields.
fn parse_all(chain: &[crate::Certificate]) -> Result<CertFields<'_>, CredentialError> {
    let mut leaf = None;
    if chain.is_empty() {
        return Err(bad("empty certificate chain"));
    }
    for (index, cert) in chain.iter().enumerate() {
        let fields = CertFields::parse(&cert.cert_data)
            .ok_or_else(|| bad(format!("certificate {index} is not a DER certificate")))?;
        if index == 0 {
            leaf = Some(fields);
        }
    }
    leaf.ok_or_else(|| bad("empty certificate chain"))
}

fn bad(reason: impl Into<String>) -> CredentialError {
    CredentialError::BadCertificate(reason.into())
}

/// Maps a webpki failure to the credential error that names it.
#[allow(deprecated)] // The context-free variants still have to be mapped.
fn map_webpki(error: webpki::Error, now: u64) -> CredentialError {
    use webpki::Error as E;
    match error {
        E::CertExpired { not_after, .. } => CredentialError::Expired {
            not_after: not_after.as_secs(),
            now,
        },
        E::CertNotValidYet { not_before, .. } => CredentialError::NotYetValid {
            not_before: not_before.as_secs(),
            now,
        },
        E::CertRevoked => CredentialError::Revoked,
        E::InvalidSignatureForPublicKey => CredentialError::BadSignature,
        E::UnsupportedSignatureAlgorithmContext(ctx) => {
            CredentialError::UnsupportedScheme(scheme_name(&ctx.signature_algorithm_id, None))
        }
        E::UnsupportedSignatureAlgorithmForPublicKeyContext(ctx) => {
            CredentialError::UnsupportedScheme(scheme_name(
                &ctx.signature_algorithm_id,
                Some(&ctx.public_key_algorithm_id),
            ))
        }
        E::UnsupportedSignatureAlgorithm | E::UnsupportedSignatureAlgorithmForPublicKey => {
            CredentialError::UnsupportedScheme("unknown certificate signature algorithm".into())
        }
        E::CaUsedAsEndEntity
        | E::RequiredEkuNotFound
        | E::RequiredEkuNotFoundContext(_)
        | E::EmptyEkuExtension => CredentialError::BadUsage(format!("{error:?}")),
        E::UnknownIssuer
        | E::CertDistrusted
        | E::EndEntityUsedAsCa
        | E::PathLenConstraintViolated
        | E::NameConstraintViolation
        | E::MaximumPathDepthExceeded
        | E::MaximumPathBuildCallsExceeded
        | E::MaximumSignatureChecksExceeded
        | E::MaximumNameConstraintComparisonsExceeded => {
            CredentialError::Untrusted(format!("{error:?}"))
        }
        E::UnknownRevocationStatus
        | E::CrlExpired { .. }
        | E::IssuerNotCrlSigner
        | E::InvalidCrlSignatureForPublicKey
        | E::UnsupportedCrlSignatureAlgorithm
        | E::UnsupportedCrlSignatureAlgorithmContext(_)
        | E::UnsupportedCrlSignatureAlgorithmForPublicKey
        | E::UnsupportedCrlSignatureAlgorithmForPublicKeyContext(_)
        | E::UnsupportedCrlIssuingDistributionPoint
        | E::UnsupportedCrlVersion
        | E::UnsupportedDeltaCrl
        | E::UnsupportedIndirectCrl
        | E::UnsupportedRevocationReason
        | E::UnsupportedRevocationReasonsPartitioning
        | E::InvalidCrlNumber => CredentialError::RevocationUnknown(format!("{error:?}")),
        // Everything else is a certificate webpki cannot read or will not accept as written.
        other => bad(format!("{other:?}")),
    }
}

/// A readable name for a certificate signature algorithm (an AlgorithmIdentifier's contents),
/// with the curve when the issuer's key algorithm is known.
fn scheme_name(signature: &[u8], public_key: Option<&[u8]>) -> String {
    let curve = public_key.and_then(|pk| {
        [
            (alg_id::ECDSA_P256, "secp256r1"),
            (alg_id::ECDSA_P384, "secp384r1"),
            (alg_id::ECDSA_P521, "secp521r1"),
        ]
        .into_iter()
        .find(|(id, _)| id.as_ref() == pk)
        .map(|(_, name)| name)
    });
    let hash = [
        (alg_id::ECDSA_SHA256, "sha256"),
        (alg_id::ECDSA_SHA384, "sha384"),
        (alg_id::ECDSA_SHA512, "sha512"),
    ]
    .into_iter()
    .find(|(id, _)| id.as_ref() == signature)
    .map(|(_, name)| name);
    if let Some(hash) = hash {
        return match curve {
            Some(curve) => format!("ecdsa_{curve}_{hash}"),
            None => format!("ecdsa_{hash}"),
        };
    }
    let known = [
        (alg_id::ED25519, "ed25519"),
        (alg_id::ED448, "ed448"),
        (alg_id::RSA_PKCS1_SHA256, "rsa_pkcs1_sha256"),
        (alg_id::RSA_PKCS1_SHA384, "rsa_pkcs1_sha384"),
        (alg_id::RSA_PKCS1_SHA512, "rsa_pkcs1_sha512"),
        (alg_id::RSA_PSS_SHA256, "rsa_pss_sha256"),
        (alg_id::RSA_PSS_SHA384, "rsa_pss_sha384"),
        (alg_id::RSA_PSS_SHA512, "rsa_pss_sha512"),
    ];
    match known.into_iter().find(|(id, _)| id.as_ref() == signature) {
        Some((_, name)) => name.into(),
        None => {
            // The contents start with the algorithm OID.
            let mut d = der::Der::new(signature);
            match d.read(der::OID) {
                Some(oid) => format!("signature algorithm {}", fields::dotted(oid)),
                None => "unknown signature algorithm".into(),
            }
        }
    }
}
