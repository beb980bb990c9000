//! The error type of the PKCS#11 backend.

use std::path::PathBuf;

use cohort_crypto::{CryptoError, CryptoErrorKind};
use cryptoki::context::Function;
use cryptoki::error::{Error as CryptokiError, RvError};
use cryptoki::mechanism::MechanismType;

/// A failure of the token, of the PKCS#11 module or of this backend's use of them.
///
/// A failed module call keeps its PKCS#11 return code: [`Pkcs11Error::return_code`] gives it
/// whichever variant carries it. Through [`cohort_crypto::Signer::sign`] this error reaches the
/// caller as the source of a [`CryptoError`] of kind [`CryptoErrorKind::Backend`], from which it
/// can be downcast:
///
/// ```
/// use core::error::Error as _;
/// use cohort_crypto_pkcs11::Pkcs11Error;
/// use cohort_crypto_pkcs11::cryptoki::error::RvError;
///
/// fn explain(e: &cohort_crypto::CryptoError) -> Option<RvError> {
///     e.source()?.downcast_ref::<Pkcs11Error>()?.return_code()
/// }
/// ```
///
/// # Security
/// No variant carries a PIN or key material.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Pkcs11Error {
    /// The module (shared library) could not be loaded or does not export PKCS#11.
    #[error("cannot load the PKCS#11 module {}", path.display())]
    LoadModule {
        /// The path that was given.
        path: PathBuf,
        /// What the loader said.
        #[source]
        source: CryptokiError,
    },
    /// A PKCS#11 function returned an error code.
    #[error("C_{function:?} failed with {rv:?}")]
    Call {
        /// The PKCS#11 function that failed.
        function: Function,
        /// Its return code (`CKR_*`).
        rv: RvError,
    },
    /// The PKCS#11 wrapper failed without a return code (a missing function, a bad value).
    #[error("PKCS#11 wrapper: {0}")]
    Wrapper(#[source] CryptokiError),
    /// No slot holds the token asked for.
    #[error("no slot holds an initialized token {0}")]
    TokenNotFound(String),
    /// The token does not list a mechanism this operation needs.
    #[error("the token does not offer {mechanism}, needed for {purpose}")]
    MechanismNotSupported {
        /// The missing mechanism (its `Display` is the `CKM_*` name).
        mechanism: MechanismType,
        /// What it was needed for, for example `"Ed25519 signatures"`.
        purpose: String,
    },
    /// The signature scheme is not one this crate can drive (Ed25519, Ed448, ECDSA on P-256,
    /// P-384 or P-521).
    #[error("signature scheme 0x{0:04x} is not supported by the PKCS#11 backend")]
    UnsupportedScheme(u16),
    /// No key matches the label or id asked for.
    #[error("no {0} in the token")]
    KeyNotFound(String),
    /// A private key with this label or id is in the token already, so a new one would make
    /// the label or id ambiguous.
    #[error("a {0} is in the token already")]
    KeyExists(String),
    /// More than one private key matches the label or id asked for.
    #[error("{count} private keys match {selector}; give a unique label or id")]
    AmbiguousKey {
        /// How the key was asked for.
        selector: String,
        /// How many matched.
        count: usize,
    },
    /// The key exists but cannot serve as an MLS signature key (wrong type or curve, no public
    /// key object, a malformed public point, not allowed to sign).
    #[error("the key in the token is unusable: {0}")]
    UnusableKey(&'static str),
    /// The token returned a signature of the wrong shape.
    #[error("the token returned a malformed signature")]
    MalformedSignature,
    /// A signature did not verify (the token's `C_Verify` said so, or it was malformed).
    #[error("the signature does not verify")]
    InvalidSignature,
}

impl Pkcs11Error {
    /// The PKCS#11 return code (`CKR_*`) behind this error, when a module call failed.
    pub fn return_code(&self) -> Option<RvError> {
        match self {
            Self::Call { rv, .. } => Some(*rv),
            Self::LoadModule { source, .. } | Self::Wrapper(source) => match source {
                CryptokiError::Pkcs11(rv, _) => Some(*rv),
                _ => None,
            },
            _ => None,
        }
    }

    /// The PKCS#11 function that failed, when a module call failed.
    pub fn function(&self) -> Option<Function> {
        match self {
            Self::Call { function, .. } => Some(*function),
            Self::LoadModule { source, .. } | Self::Wrapper(source) => match source {
                CryptokiError::Pkcs11(_, f) => Some(*f),
                _ => None,
            },
            _ => None,
        }
    }
}

impl From<CryptokiError> for Pkcs11Error {
    fn from(e: CryptokiError) -> Self {
        match e {
            CryptokiError::Pkcs11(rv, function) => Self::Call { function, rv },
            other => Self::Wrapper(other),
        }
    }
}

impl From<Pkcs11Error> for CryptoError {
    /// A [`CryptoErrorKind::Backend`] error with the PKCS#11 error as its source, except for a
    /// signature that does not verify, which is [`CryptoErrorKind::InvalidSignature`].
    fn from(e: Pkcs11Error) -> Self {
        let kind = match e {
            Pkcs11Error::InvalidSignature => CryptoErrorKind::InvalidSignature,
            _ => CryptoErrorKind::Backend,
        };
        CryptoError::with_source(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use core::error::Error as _;

    use super::*;

    #[test]
    fn return_code_survives_into_crypto_error() {
        let e = Pkcs11Error::from(CryptokiError::Pkcs11(
            RvError::UserNotLoggedIn,
            Function::Sign,
        ));
        assert_eq!(e.to_string(), "C_Sign failed with UserNotLoggedIn");
        let ce = CryptoError::from(e);
        assert_eq!(ce.kind(), CryptoErrorKind::Backend);
        let back = ce
            .source()
            .and_then(|s| s.downcast_ref::<Pkcs11Error>())
            .unwrap();
        assert_eq!(back.return_code(), Some(RvError::UserNotLoggedIn));
        assert!(matches!(back.function(), Some(Function::Sign)));
    }

    #[test]
    fn wrapper_errors_have_no_code() {
        let e = Pkcs11Error::from(CryptokiError::NotSupported);
        assert!(matches!(e, Pkcs11Error::Wrapper(_)));
        assert_eq!(e.return_code(), None);
    }

    #[test]
    fn missing_mechanism_names_it() {
        let e = Pkcs11Error::MechanismNotSupported {
            mechanism: MechanismType::EDDSA,
            purpose: "Ed25519 signatures".into(),
        };
        assert_eq!(
            e.to_string(),
            "the token does not offer CKM_EDDSA, needed for Ed25519 signatures"
        );
    }
}
