//! The one error type of the crypto boundary.

use core::error::Error as StdError;
use core::fmt;

use crate::CipherSuite;

/// What kind of crypto failure happened.
///
/// Callers branch on the kind; the optional [`CryptoError`] source carries the backend's own
/// error for logs and downcasting.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoErrorKind {
    /// The provider does not implement this cipher suite.
    UnsupportedCipherSuite(CipherSuite),
    /// A public key is malformed, not on the curve, of small order or otherwise unusable.
    InvalidPublicKey,
    /// A private key is malformed or out of range.
    InvalidPrivateKey,
    /// A signature is malformed or does not verify.
    InvalidSignature,
    /// AEAD decryption failed: wrong key, nonce or associated data, or tampered ciphertext.
    AeadOpenFailed,
    /// A MAC did not match.
    InvalidMac,
    /// An input has the wrong length (a key, nonce, tag, or an output length out of range).
    InvalidLength,
    /// A Diffie-Hellman result was the all-zero value (a small-order peer key).
    ZeroSharedSecret,
    /// `DeriveKeyPair` found no valid private key (RFC 9180 §7.1.3).
    DeriveKeyPairFailed,
    /// The random number generator failed.
    Random,
    /// A label structure could not be encoded.
    Encoding,
    /// The key handle or provider failed for a reason of its own (an HSM error, for example).
    Backend,
}

impl CryptoErrorKind {
    /// Whether this kind is a failure of the provider itself rather than an answer about the data
    /// it was given.
    ///
    /// The kinds that describe the data (a public key, signature, tag, length or Diffie-Hellman
    /// output that is no good, or `DeriveKeyPair` finding no key) can be caused by a peer. Every
    /// other kind (RNG and backend or HSM failures, a cipher suite or private key the provider
    /// cannot handle, an encoding failure, and kinds added later) is the provider's own: a
    /// caller reports it as its own failure, never as a peer's invalid message.
    pub fn is_provider_failure(&self) -> bool {
        !matches!(
            self,
            Self::InvalidPublicKey
                | Self::InvalidSignature
                | Self::AeadOpenFailed
                | Self::InvalidMac
                | Self::InvalidLength
                | Self::ZeroSharedSecret
                | Self::DeriveKeyPairFailed
        )
    }
}

impl fmt::Display for CryptoErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsupportedCipherSuite(cs) => write!(f, "unsupported cipher suite {cs}"),
            Self::InvalidPublicKey => f.write_str("invalid public key"),
            Self::InvalidPrivateKey => f.write_str("invalid private key"),
            Self::InvalidSignature => f.write_str("invalid signature"),
            Self::AeadOpenFailed => f.write_str("AEAD decryption failed"),
            Self::InvalidMac => f.write_str("MAC mismatch"),
            Self::InvalidLength => f.write_str("invalid input length"),
            Self::ZeroSharedSecret => f.write_str("Diffie-Hellman output is all zero"),
            Self::DeriveKeyPairFailed => f.write_str("DeriveKeyPair found no valid key"),
            Self::Random => f.write_str("random number generator failed"),
            Self::Encoding => f.write_str("cannot encode label structure"),
            Self::Backend => f.write_str("crypto backend failure"),
        }
    }
}

/// A crypto failure: a [`CryptoErrorKind`] and, optionally, the backend error behind it.
///
/// `source()` returns the boxed backend error, so callers can downcast it.
///
/// # Security
/// Neither the kind nor (by contract for implementors) the source carries key material or
/// plaintext.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct CryptoError {
    kind: CryptoErrorKind,
    #[source]
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl CryptoError {
    /// An error of `kind` with no source.
    pub fn new(kind: CryptoErrorKind) -> Self {
        Self { kind, source: None }
    }

    /// An error of `kind` caused by `source`.
    pub fn with_source(
        kind: CryptoErrorKind,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            kind,
            source: Some(source.into()),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> CryptoErrorKind {
        self.kind
    }

    /// A shortcut for [`CryptoErrorKind::UnsupportedCipherSuite`].
    pub fn unsupported(cs: CipherSuite) -> Self {
        Self::new(CryptoErrorKind::UnsupportedCipherSuite(cs))
    }
}

impl From<CryptoErrorKind> for CryptoError {
    fn from(kind: CryptoErrorKind) -> Self {
        Self::new(kind)
    }
}

impl From<cohort_codec::CodecError> for CryptoError {
    fn from(e: cohort_codec::CodecError) -> Self {
        Self::with_source(CryptoErrorKind::Encoding, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("hsm said no")]
    struct HsmError;

    #[test]
    fn source_is_wired_and_downcasts() {
        let e = CryptoError::with_source(CryptoErrorKind::Backend, HsmError);
        let src = e.source();
        assert!(src.and_then(|s| s.downcast_ref::<HsmError>()).is_some());
        assert_eq!(e.kind(), CryptoErrorKind::Backend);
        assert!(
            CryptoError::new(CryptoErrorKind::InvalidMac)
                .source()
                .is_none()
        );
    }
}
