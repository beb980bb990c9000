//! Opening a token: loading the module, choosing the slot, logging in.

use core::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use cohort_crypto::{SignaturePublicKey, SignatureScheme};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CryptokiError, RvError};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, ObjectClass};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

use crate::pool::SessionPool;
use crate::scheme::{Family, SchemeSpec};
use crate::signer::{self, SignMode};
use crate::{Pkcs11Error, Pkcs11Signer, der};

/// The number of sessions a token opens at most unless told otherwise.
const DEFAULT_MAX_SESSIONS: usize = 4;

/// Which slot's token to use.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotSelector {
    /// The slot whose token has this label (`CK_TOKEN_INFO.label`, without its space padding).
    /// The usual choice: slot ids may change between runs (SoftHSM2 assigns them at random).
    TokenLabel(String),
    /// The slot with this `CK_SLOT_ID`.
    SlotId(u64),
    /// The first slot with an initialized token.
    First,
}

/// How to reach a token: the module to load, the slot, the user PIN and the session limit.
///
/// ```
/// use cohort_crypto_pkcs11::{SlotSelector, TokenConfig};
///
/// let config = TokenConfig::new(
///     "/usr/lib/softhsm/libsofthsm2.so",
///     SlotSelector::TokenLabel("cohort".into()),
///     "1234",
/// )
/// .max_sessions(8);
/// // The PIN never shows up in Debug output.
/// assert!(!format!("{config:?}").contains("1234"));
/// ```
pub struct TokenConfig {
    module: PathBuf,
    slot: SlotSelector,
    pin: AuthPin,
    max_sessions: usize,
}

impl TokenConfig {
    /// The PKCS#11 module (shared library) at `module`, the token chosen by `slot`, and the
    /// user PIN `pin`, given by the application.
    pub fn new(module: impl Into<PathBuf>, slot: SlotSelector, pin: impl Into<String>) -> Self {
        Self {
            module: module.into(),
            slot,
            pin: AuthPin::from(pin.into()),
            max_sessions: DEFAULT_MAX_SESSIONS,
        }
    }

    /// The most sessions to open at once (default 4, at least 1). Each concurrent signature
    /// uses one session; more signers than sessions wait for one to be free.
    pub fn max_sessions(mut self, n: usize) -> Self {
        self.max_sessions = n.max(1);
        self
    }
}

impl fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenConfig")
            .field("module", &self.module)
            .field("slot", &self.slot)
            .field("pin", &"<redacted>")
            .field("max_sessions", &self.max_sessions)
            .finish()
    }
}

/// How to find a key in the token.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySelector {
    /// The key whose `CKA_LABEL` is this string.
    Label(String),
    /// The key whose `CKA_ID` is these bytes.
    Id(Vec<u8>),
}

impl fmt::Display for KeySelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Label(l) => write!(f, "key labelled {l:?}"),
            Self::Id(id) => {
                f.write_str("key with id ")?;
                id.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

/// An open, logged-in PKCS#11 token: the factory of [`Pkcs11Signer`]s.
///
/// Cloning is cheap and shares the session pool; the token stays open while a clone or a
/// signer made from it is alive. Safe to use from several threads.
///
/// # What the token does
/// Only signing with the long-term MLS signature key (and, on request, [`Pkcs11Token::verify`]).
/// Hashing, HKDF, AEAD, HPKE and the per-epoch keys stay in the software provider the
/// application gives cohort: they are short-lived, and moving them to the token would cost a
/// round trip per message without protecting anything that outlives an epoch.
#[derive(Clone)]
pub struct Pkcs11Token {
    pub(crate) inner: Arc<TokenInner>,
}

pub(crate) struct TokenInner {
    pub(crate) pool: SessionPool,
    slot: Slot,
    label: String,
    mechanisms: Vec<MechanismType>,
}

impl Pkcs11Token {
    /// Loads the module, initializes it (if nothing in the process has yet), finds the slot,
    /// reads the mechanism list and logs in with the PIN.
    ///
    /// # Errors
    /// [`Pkcs11Error::LoadModule`] when the module cannot be loaded,
    /// [`Pkcs11Error::TokenNotFound`] when no slot matches, [`Pkcs11Error::Call`] with the
    /// module's return code otherwise (`PinIncorrect` for a wrong PIN, for example).
    pub fn open(config: TokenConfig) -> Result<Self, Pkcs11Error> {
        let pkcs11 = Pkcs11::new(&config.module).map_err(|source| Pkcs11Error::LoadModule {
            path: config.module.clone(),
            source,
        })?;
        match pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            // Another token handle (or another library) in this process initialized it: the
            // module is shared, and so is its initialization.
            Ok(()) | Err(CryptokiError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(e.into()),
        }
        let (slot, info) = find_slot(&pkcs11, &config.slot)?;
        let mechanisms = pkcs11.get_mechanism_list(slot)?;
        let pool = SessionPool::new(
            pkcs11,
            slot,
            config.pin,
            info.login_required(),
            config.max_sessions,
        )?;
        Ok(Self {
            inner: Arc::new(TokenInner {
                pool,
                slot,
                label: info.label().trim_end().to_owned(),
                mechanisms,
            }),
        })
    }

    /// The token's label.
    pub fn label(&self) -> &str {
        &self.inner.label
    }

    /// The slot the token is in.
    pub fn slot_id(&self) -> u64 {
        self.inner.slot.id()
    }

    /// The mechanisms the token lists (`C_GetMechanismList`), read when it was opened.
    pub fn mechanisms(&self) -> &[MechanismType] {
        &self.inner.mechanisms
    }

    /// Whether the token lists `mechanism`.
    pub fn has_mechanism(&self, mechanism: MechanismType) -> bool {
        self.inner.mechanisms.contains(&mechanism)
    }

    /// The signature schemes this token can sign with (it has the signing mechanism), among
    /// those this crate drives.
    pub fn signature_schemes(&self) -> Vec<SignatureScheme> {
        crate::scheme::SCHEMES
            .iter()
            .filter(|s| self.sign_mode(s).is_ok())
            .map(|s| s.scheme)
            .collect()
    }

    /// The number of sessions open now for signing (idle or in use). One more session, opened
    /// with the token and never used for an operation, keeps the login and the key handles
    /// alive.
    pub fn open_sessions(&self) -> usize {
        self.inner.pool.open_sessions()
    }

    /// Generates a key pair for `scheme` in the token and returns a signer for it.
    ///
    /// The private key is a token object (it persists) with `CKA_SENSITIVE` set and
    /// `CKA_EXTRACTABLE` clear, so the token never releases it; the public key is a token
    /// object too. Both carry `label` and `id`, by which [`Pkcs11Token::find_signer`] finds them
    /// again.
    ///
    /// # Errors
    /// [`Pkcs11Error::UnsupportedScheme`] for a scheme this crate does not drive;
    /// [`Pkcs11Error::MechanismNotSupported`] naming the signing or key-generation mechanism
    /// the token lacks; [`Pkcs11Error::KeyExists`] when a private key with this label or id
    /// exists already; [`Pkcs11Error::Call`] when the module fails.
    pub fn generate_signer(
        &self,
        scheme: SignatureScheme,
        label: &str,
        id: &[u8],
    ) -> Result<Pkcs11Signer, Pkcs11Error> {
        let spec = SchemeSpec::of(scheme).ok_or(Pkcs11Error::UnsupportedScheme(scheme.0))?;
        let mode = self.sign_mode(spec)?;
        if !self.has_mechanism(spec.keygen) {
            return Err(Pkcs11Error::MechanismNotSupported {
                mechanism: spec.keygen,
                purpose: format!("{} key generation", spec.name()),
            });
        }
        for selector in [
            KeySelector::Label(label.to_owned()),
            KeySelector::Id(id.to_vec()),
        ] {
            if !self.find_private_keys(&selector)?.is_empty() {
                return Err(Pkcs11Error::KeyExists(format!("private {selector}")));
            }
        }
        let mechanism = match spec.family {
            Family::Ed25519 | Family::Ed448 => Mechanism::EccEdwardsKeyPairGen,
            Family::Ecdsa(_) => Mechanism::EccKeyPairGen,
        };
        let public_template = [
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Verify(true),
            Attribute::EcParams(spec.ec_params.to_vec()),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.to_vec()),
        ];
        let private_template = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.to_vec()),
        ];
        let (public, private) = self.inner.pool.with_session(|s| {
            s.generate_key_pair(&mechanism, &public_template, &private_template)
        })?;
        let public_key = self.read_public_key(spec, public)?;
        Ok(signer::new(
            self.clone(),
            spec,
            mode,
            private,
            public_key,
            label.to_owned(),
            id.to_vec(),
        ))
    }

    /// Finds a private key (and its public key, by the same `CKA_ID`, or the same label when
    /// the id is empty) and returns a signer for it. The key's type and curve decide the
    /// scheme.
    ///
    /// # Errors
    /// [`Pkcs11Error::KeyNotFound`] when no private key (or no matching public key) exists;
    /// [`Pkcs11Error::AmbiguousKey`] when several private keys match;
    /// [`Pkcs11Error::UnusableKey`] when the key is not an Ed25519, Ed448 or P-256/384/521 key,
    /// may not sign, or is extractable or not sensitive (such a key can leave the token, which
    /// this crate refuses); [`Pkcs11Error::MechanismNotSupported`] naming the signing mechanism
    /// the token lacks.
    pub fn find_signer(&self, key: &KeySelector) -> Result<Pkcs11Signer, Pkcs11Error> {
        let found = self.find_private_keys(key)?;
        let private = match found.as_slice() {
            [] => return Err(Pkcs11Error::KeyNotFound(format!("private {key}"))),
            [one] => *one,
            many => {
                return Err(Pkcs11Error::AmbiguousKey {
                    selector: key.to_string(),
                    count: many.len(),
                });
            }
        };
        let facts = signer::read_private_facts(self, private)?;
        if !facts.attributes.sensitive || facts.attributes.extractable {
            return Err(Pkcs11Error::UnusableKey(
                "the private key is extractable or not sensitive",
            ));
        }
        if !facts.can_sign {
            return Err(Pkcs11Error::UnusableKey("the private key may not sign"));
        }
        let spec = SchemeSpec::from_key(facts.key_type, &facts.ec_params).ok_or(
            Pkcs11Error::UnusableKey("not an Ed25519, Ed448 or NIST P-256/384/521 key"),
        )?;
        let mode = self.sign_mode(spec)?;
        let mut template = vec![Attribute::Class(ObjectClass::PUBLIC_KEY)];
        if facts.id.is_empty() {
            template.push(Attribute::Label(facts.label.clone()));
        } else {
            template.push(Attribute::Id(facts.id.clone()));
        }
        let publics = self
            .inner
            .pool
            .with_session(|s| s.find_objects(&template))?;
        let public = match publics.as_slice() {
            [] => {
                return Err(Pkcs11Error::KeyNotFound(format!(
                    "public key for the {key}"
                )));
            }
            [one] => *one,
            many => {
                return Err(Pkcs11Error::AmbiguousKey {
                    selector: format!("public key for the {key}"),
                    count: many.len(),
                });
            }
        };
        let public_key = self.read_public_key(spec, public)?;
        Ok(signer::new(
            self.clone(),
            spec,
            mode,
            private,
            public_key,
            String::from_utf8_lossy(&facts.label).into_owned(),
            facts.id,
        ))
    }

    /// Verifies `signature` (in MLS wire form: DER for ECDSA, raw for EdDSA) over `message`
    /// under `public_key`, inside the token: the public key is imported as a session object,
    /// used with `C_Verify` and destroyed.
    ///
    /// cohort verifies in software; this is for cross-checking a software signer against the
    /// token, or for applications that want the token's own verdict.
    ///
    /// # Errors
    /// [`Pkcs11Error::InvalidSignature`] when the signature is malformed or does not verify;
    /// [`Pkcs11Error::UnusableKey`] for a public key of the wrong length or form;
    /// [`Pkcs11Error::MechanismNotSupported`] naming the mechanism the token lacks.
    pub fn verify(
        &self,
        scheme: SignatureScheme,
        public_key: &SignaturePublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Pkcs11Error> {
        let spec = SchemeSpec::of(scheme).ok_or(Pkcs11Error::UnsupportedScheme(scheme.0))?;
        let mode = self.sign_mode(spec)?;
        let key: &[u8] = public_key.as_ref();
        if spec.public_key_from_ec_point(key).as_deref() != Some(key) {
            return Err(Pkcs11Error::UnusableKey(
                "the public key has the wrong length or form",
            ));
        }
        let raw_signature = match spec.family {
            Family::Ecdsa(_) => der::ecdsa_der_to_raw(signature, spec.signature_len / 2)
                .ok_or(Pkcs11Error::InvalidSignature)?,
            Family::Ed25519 | Family::Ed448 => signature.to_vec(),
        };
        let template = [
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(spec.key_type),
            Attribute::Token(false),
            Attribute::Verify(true),
            Attribute::EcParams(spec.ec_params.to_vec()),
            Attribute::EcPoint(der::octet_string(key)),
        ];
        let data = mode.input(message);
        let mechanism = mode.mechanism();
        let result = self.inner.pool.with_session(|s| {
            let handle = s.create_object(&template)?;
            let verdict = s.verify(&mechanism, handle, &data, &raw_signature);
            let destroyed = s.destroy_object(handle);
            verdict.and(destroyed)
        });
        match result {
            Err(Pkcs11Error::Call {
                rv: RvError::SignatureInvalid | RvError::SignatureLenRange,
                ..
            }) => Err(Pkcs11Error::InvalidSignature),
            other => other,
        }
    }

    /// How this token signs with `spec`, or the error naming the missing mechanism.
    pub(crate) fn sign_mode(&self, spec: &SchemeSpec) -> Result<SignMode, Pkcs11Error> {
        let missing = || Pkcs11Error::MechanismNotSupported {
            mechanism: spec.sign_mechanism(),
            purpose: format!("{} signatures", spec.name()),
        };
        match spec.family {
            Family::Ed25519 if self.has_mechanism(MechanismType::EDDSA) => Ok(SignMode::Ed25519),
            Family::Ed448 if self.has_mechanism(MechanismType::EDDSA) => Ok(SignMode::Ed448),
            Family::Ecdsa(h) if self.has_mechanism(MechanismType::ECDSA) => {
                Ok(SignMode::SoftwareHash(h))
            }
            Family::Ecdsa(h) if self.has_mechanism(h.ecdsa_mechanism()) => {
                Ok(SignMode::TokenHash(h))
            }
            _ => Err(missing()),
        }
    }

    pub(crate) fn find_private_keys(
        &self,
        key: &KeySelector,
    ) -> Result<Vec<cryptoki::object::ObjectHandle>, Pkcs11Error> {
        let which = match key {
            KeySelector::Label(l) => Attribute::Label(l.as_bytes().to_vec()),
            KeySelector::Id(id) => Attribute::Id(id.clone()),
        };
        let template = [Attribute::Class(ObjectClass::PRIVATE_KEY), which];
        self.inner.pool.with_session(|s| s.find_objects(&template))
    }

    fn read_public_key(
        &self,
        spec: &SchemeSpec,
        public: cryptoki::object::ObjectHandle,
    ) -> Result<SignaturePublicKey, Pkcs11Error> {
        let attributes = self.inner.pool.with_session(|s| {
            s.get_attributes(public, &[cryptoki::object::AttributeType::EcPoint])
        })?;
        let point = attributes
            .into_iter()
            .find_map(|a| match a {
                Attribute::EcPoint(p) => Some(p),
                _ => None,
            })
            .ok_or(Pkcs11Error::UnusableKey(
                "the public key has no CKA_EC_POINT",
            ))?;
        let key = spec
            .public_key_from_ec_point(&point)
            .ok_or(Pkcs11Error::UnusableKey("malformed CKA_EC_POINT"))?;
        Ok(SignaturePublicKey::from(key))
    }
}

impl fmt::Debug for Pkcs11Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Token")
            .field("label", &self.inner.label)
            .field("slot", &self.inner.slot.id())
            .finish_non_exhaustive()
    }
}

/// The slot `selector` names, with its token's information.
fn find_slot(
    pkcs11: &Pkcs11,
    selector: &SlotSelector,
) -> Result<(Slot, cryptoki::slot::TokenInfo), Pkcs11Error> {
    for slot in pkcs11.get_slots_with_initialized_token()? {
        let info = pkcs11.get_token_info(slot)?;
        let hit = match selector {
            SlotSelector::TokenLabel(label) => info.label().trim_end() == label.as_str(),
            SlotSelector::SlotId(id) => slot.id() == *id,
            SlotSelector::First => true,
        };
        if hit {
            return Ok((slot, info));
        }
    }
    Err(Pkcs11Error::TokenNotFound(match selector {
        SlotSelector::TokenLabel(label) => format!("labelled {label:?}"),
        SlotSelector::SlotId(id) => format!("in slot {id}"),
        SlotSelector::First => "in any slot".to_owned(),
    }))
}
