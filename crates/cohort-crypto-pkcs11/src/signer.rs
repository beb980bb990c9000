//! The key handle: a [`Signer`] whose private key stays in the token.

use core::fmt;
use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};

use cohort_crypto::{CryptoError, SignaturePublicKey, SignatureScheme, Signer};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectHandle};

use crate::scheme::{Hash, SchemeSpec};
use crate::{KeySelector, Pkcs11Error, Pkcs11Token, der};

/// An MLS signature key held by a PKCS#11 token: the private key never leaves it.
///
/// Made by [`Pkcs11Token::generate_signer`] or [`Pkcs11Token::find_signer`]. Each
/// [`Signer::sign`] takes a session from the token's pool, so one signer (behind an `Arc`) can
/// sign from several threads at once, up to the pool's size.
///
/// How it signs:
/// - Ed25519 and Ed448: `CKM_EDDSA` over the message, the raw signature as is.
/// - ECDSA: the message hashed in software with the scheme's hash, `CKM_ECDSA` over the digest
///   (or `CKM_ECDSA_SHA*` over the message when the token has only that), and the `r || s`
///   result encoded in DER, as RFC 9420 §5.1.2 wants.
pub struct Pkcs11Signer {
    token: Pkcs11Token,
    spec: &'static SchemeSpec,
    mode: SignMode,
    /// The private key's handle. Handles are valid for the application's sessions while it stays
    /// logged in; should the token invalidate it anyway (a reset), the key is found again by id
    /// or label.
    private: Mutex<ObjectHandle>,
    public: SignaturePublicKey,
    label: String,
    id: Vec<u8>,
}

/// What a private key's attributes say about its protection.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyAttributes {
    /// `CKA_SENSITIVE`: the token never reveals the key in plaintext.
    pub sensitive: bool,
    /// `CKA_EXTRACTABLE`: the key may be wrapped out of the token.
    pub extractable: bool,
    /// `CKA_ALWAYS_SENSITIVE`: the key has been sensitive since it was made.
    pub always_sensitive: bool,
    /// `CKA_NEVER_EXTRACTABLE`: the key has never been extractable.
    pub never_extractable: bool,
    /// `CKA_LOCAL`: the key was generated in the token (not imported).
    pub local: bool,
    /// `CKA_TOKEN`: the key is persistent (a token object, not a session object).
    pub persistent: bool,
    /// `CKA_PRIVATE`: the key is visible only after login.
    pub private: bool,
}

impl Pkcs11Signer {
    /// The key's `CKA_LABEL`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The key's `CKA_ID`.
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// The token holding the key.
    pub fn token(&self) -> &Pkcs11Token {
        &self.token
    }

    /// Whether ECDSA digests are computed in software (`CKM_ECDSA`) rather than in the token
    /// (`CKM_ECDSA_SHA*`); `false` for EdDSA.
    pub fn hashes_in_software(&self) -> bool {
        matches!(self.mode, SignMode::SoftwareHash(_))
    }

    /// Reads the private key's protection attributes from the token.
    ///
    /// # Errors
    /// [`Pkcs11Error::Call`] when the module fails.
    pub fn key_attributes(&self) -> Result<KeyAttributes, Pkcs11Error> {
        Ok(read_private_facts(&self.token, self.handle())?.attributes)
    }

    fn handle(&self) -> ObjectHandle {
        *self.private.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Looks the private key up again after the token said its handle is invalid: by id, or by
    /// label when the id is empty. `None` unless exactly one key matches.
    fn find_again(&self) -> Option<ObjectHandle> {
        let selector = if self.id.is_empty() {
            KeySelector::Label(self.label.clone())
        } else {
            KeySelector::Id(self.id.clone())
        };
        match self.token.find_private_keys(&selector).ok()?.as_slice() {
            [one] => {
                *self.private.lock().unwrap_or_else(PoisonError::into_inner) = *one;
                Some(*one)
            }
            _ => None,
        }
    }

    fn sign_in_token(&self, message: &[u8]) -> Result<Vec<u8>, Pkcs11Error> {
        let mechanism = self.mode.mechanism();
        let data = self.mode.input(message);
        let pool = &self.token.inner.pool;
        let handle = self.handle();
        let raw = match pool.with_session(|s| s.sign(&mechanism, handle, &data)) {
            Err(
                e @ Pkcs11Error::Call {
                    rv: RvError::ObjectHandleInvalid | RvError::KeyHandleInvalid,
                    ..
                },
            ) => match self.find_again() {
                Some(handle) => pool.with_session(|s| s.sign(&mechanism, handle, &data))?,
                None => return Err(e),
            },
            other => other?,
        };
        if raw.len() != self.spec.signature_len {
            return Err(Pkcs11Error::MalformedSignature);
        }
        match self.mode {
            SignMode::SoftwareHash(_) | SignMode::TokenHash(_) => {
                der::ecdsa_raw_to_der(&raw).ok_or(Pkcs11Error::MalformedSignature)
            }
            SignMode::Ed25519 | SignMode::Ed448 => Ok(raw),
        }
    }
}

impl Signer for Pkcs11Signer {
    fn signature_scheme(&self) -> SignatureScheme {
        self.spec.scheme
    }

    fn public_key(&self) -> &SignaturePublicKey {
        &self.public
    }

    /// Signs `message` in the token.
    ///
    /// # Errors
    /// [`cohort_crypto::CryptoErrorKind::Backend`] with the [`Pkcs11Error`] (and its PKCS#11
    /// return code) as source.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.sign_in_token(message).map_err(CryptoError::from)
    }
}

impl fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("scheme", &self.spec.name())
            .field("label", &self.label)
            .field("id", &self.id)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// How the token is asked to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignMode {
    Ed25519,
    Ed448,
    /// `CKM_ECDSA` on a digest computed here.
    SoftwareHash(Hash),
    /// `CKM_ECDSA_SHA*` on the message.
    TokenHash(Hash),
}

impl SignMode {
    pub(crate) fn mechanism(self) -> Mechanism<'static> {
        match self {
            Self::Ed25519 => Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)),
            Self::Ed448 => Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)),
            Self::SoftwareHash(_) => Mechanism::Ecdsa,
            Self::TokenHash(Hash::Sha256) => Mechanism::EcdsaSha256,
            Self::TokenHash(Hash::Sha384) => Mechanism::EcdsaSha384,
            Self::TokenHash(Hash::Sha512) => Mechanism::EcdsaSha512,
        }
    }

    /// What goes to `C_Sign`/`C_Verify` for `message`.
    pub(crate) fn input(self, message: &[u8]) -> Cow<'_, [u8]> {
        match self {
            Self::SoftwareHash(h) => Cow::Owned(h.digest(message)),
            _ => Cow::Borrowed(message),
        }
    }
}

pub(crate) fn new(
    token: Pkcs11Token,
    spec: &'static SchemeSpec,
    mode: SignMode,
    private: ObjectHandle,
    public: SignaturePublicKey,
    label: String,
    id: Vec<u8>,
) -> Pkcs11Signer {
    Pkcs11Signer {
        token,
        spec,
        mode,
        private: Mutex::new(private),
        public,
        label,
        id,
    }
}

/// What [`Pkcs11Token::find_signer`] needs to know about a private key.
pub(crate) struct PrivateFacts {
    pub(crate) attributes: KeyAttributes,
    pub(crate) can_sign: bool,
    pub(crate) key_type: KeyType,
    pub(crate) ec_params: Vec<u8>,
    pub(crate) label: Vec<u8>,
    pub(crate) id: Vec<u8>,
}

pub(crate) fn read_private_facts(
    token: &Pkcs11Token,
    private: ObjectHandle,
) -> Result<PrivateFacts, Pkcs11Error> {
    const WANTED: [AttributeType; 12] = [
        AttributeType::Sensitive,
        AttributeType::Extractable,
        AttributeType::AlwaysSensitive,
        AttributeType::NeverExtractable,
        AttributeType::Local,
        AttributeType::Token,
        AttributeType::Private,
        AttributeType::Sign,
        AttributeType::KeyType,
        AttributeType::EcParams,
        AttributeType::Label,
        AttributeType::Id,
    ];
    let found = token
        .inner
        .pool
        .with_session(|s| s.get_attributes(private, &WANTED))?;
    // Absent attributes take the value that promises the least protection.
    let mut facts = PrivateFacts {
        attributes: KeyAttributes {
            sensitive: false,
            extractable: true,
            always_sensitive: false,
            never_extractable: false,
            local: false,
            persistent: false,
            private: false,
        },
        can_sign: false,
        key_type: KeyType::GENERIC_SECRET,
        ec_params: Vec::new(),
        label: Vec::new(),
        id: Vec::new(),
    };
    let a = &mut facts.attributes;
    for attribute in found {
        match attribute {
            Attribute::Sensitive(v) => a.sensitive = v,
            Attribute::Extractable(v) => a.extractable = v,
            Attribute::AlwaysSensitive(v) => a.always_sensitive = v,
            Attribute::NeverExtractable(v) => a.never_extractable = v,
            Attribute::Local(v) => a.local = v,
            Attribute::Token(v) => a.persistent = v,
            Attribute::Private(v) => a.private = v,
            Attribute::Sign(v) => facts.can_sign = v,
            Attribute::KeyType(v) => facts.key_type = v,
            Attribute::EcParams(v) => facts.ec_params = v,
            Attribute::Label(v) => facts.label = v,
            Attribute::Id(v) => facts.id = v,
            _ => {}
        }
    }
    Ok(facts)
}
