//! The provider traits: what a crypto backend implements.
//!
//! ```text
//! CryptoProvider ──suite(cs)──► Arc<dyn SuiteOps>   (one object per cipher suite)
//!                                   │ primitives: hash, MAC, HKDF, AEAD, DHKEM, HPKE,
//!                                   │ signatures, randomness
//!                                   ▼
//!            Signer / Decapsulator  (key handles: the private key may live in an HSM)
//! ```
//!
//! The MLS labeled operations of [`crate::labeled`] are written once on top of these traits.

use core::fmt;
use std::sync::Arc;

use subtle::ConstantTimeEq;

use crate::{
    CipherSuite, CryptoError, CryptoErrorKind, HpkeCiphertext, HpkePrivateKey, HpkePublicKey,
    Secret, SignaturePrivateKey, SignaturePublicKey, SignatureScheme,
};

/// A crypto backend: the set of cipher suites it serves.
///
/// # Implementing
/// Return from [`CryptoProvider::cipher_suites`] exactly the suites for which
/// [`CryptoProvider::suite`] returns `Some`: suite support is data, never an error at first use.
/// Providers are shared between threads, so they are `Send + Sync`; `suite` may build a new
/// object each call or hand out a shared one.
///
/// ```
/// use std::sync::Arc;
/// use cohort_crypto::{CipherSuite, CryptoProvider, SuiteOps};
///
/// /// A provider that serves nothing, as the smallest example.
/// #[derive(Debug)]
/// struct Empty;
///
/// impl CryptoProvider for Empty {
///     fn cipher_suites(&self) -> &[CipherSuite] {
///         &[]
///     }
///     fn suite(&self, _cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
///         None
///     }
/// }
///
/// let cs = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
/// let err = Empty.require_suite(cs).unwrap_err();
/// assert!(err.to_string().contains("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"));
/// ```
pub trait CryptoProvider: Send + Sync + fmt::Debug {
    /// The cipher suites this provider implements, in its order of preference.
    fn cipher_suites(&self) -> &[CipherSuite];

    /// The operations of `cs`, or `None` when this provider does not implement it.
    fn suite(&self, cs: CipherSuite) -> Option<Arc<dyn SuiteOps>>;

    /// The operations of `cs`, or a typed error naming the suite.
    ///
    /// # Errors
    /// [`CryptoErrorKind::UnsupportedCipherSuite`] when [`CryptoProvider::suite`] returns `None`.
    fn require_suite(&self, cs: CipherSuite) -> Result<Arc<dyn SuiteOps>, CryptoError> {
        self.suite(cs).ok_or_else(|| CryptoError::unsupported(cs))
    }
}

/// The primitives of one cipher suite (RFC 9420 §5.1).
///
/// # Implementing
/// A backend implements primitives only; the labeled MLS operations are built on them by
/// [`crate::labeled`]. HPKE (RFC 9180 base mode) may come from `cohort-crypto-hpke`. The library
/// relies on these invariants:
/// - `hash_len`, `aead_key_len`, `aead_nonce_len` are the suite's `Nh`, `Nk`, `Nn`, and every
///   output of `hash`, `mac` and `kdf_extract` is `hash_len` bytes long.
/// - No method panics on any input. Malformed keys, signatures and ciphertexts are errors:
///   [`CryptoErrorKind::InvalidPublicKey`], [`CryptoErrorKind::InvalidSignature`],
///   [`CryptoErrorKind::AeadOpenFailed`] and so on.
/// - Public keys are checked before use: on the curve, not the identity, of the right length,
///   and not of small order (an all-zero Diffie-Hellman output is an error).
/// - HPKE public keys use `SerializePublicKey` of RFC 9180 §7.1.1 (uncompressed points for the
///   NIST curves); ECDSA signatures are DER encoded, EdDSA signatures raw (RFC 9420 §5.1.2).
pub trait SuiteOps: Send + Sync + fmt::Debug {
    /// The suite these operations implement.
    fn cipher_suite(&self) -> CipherSuite;

    /// `Nh`: the output length of the hash (and of the KDF's extract).
    fn hash_len(&self) -> usize;

    /// `Nk`: the AEAD key length.
    fn aead_key_len(&self) -> usize;

    /// `Nn`: the AEAD nonce length.
    fn aead_nonce_len(&self) -> usize;

    /// The suite's signature scheme.
    fn signature_scheme(&self) -> SignatureScheme;

    /// `Hash(data)`.
    ///
    /// # Errors
    /// Only on a backend failure.
    fn hash(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// `MAC(key, data)`: HMAC with the suite's hash (RFC 9420 §5.1).
    ///
    /// # Errors
    /// Only on a backend failure.
    fn mac(&self, key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// Checks `tag == MAC(key, data)` in constant time.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidMac`] when the tag does not match.
    fn mac_verify(&self, key: &[u8], data: &[u8], tag: &[u8]) -> Result<(), CryptoError> {
        let expected = self.mac(key, data)?;
        if bool::from(expected.ct_eq(tag)) {
            Ok(())
        } else {
            Err(CryptoErrorKind::InvalidMac.into())
        }
    }

    /// `KDF.Extract(salt, ikm)` (HKDF-Extract).
    ///
    /// # Errors
    /// Only on a backend failure.
    fn kdf_extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError>;

    /// `KDF.Expand(prk, info, len)` (HKDF-Expand).
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidLength`] when `len` exceeds `255 * Nh` or `prk` is too short.
    fn kdf_expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, CryptoError>;

    /// `AEAD.Seal(key, nonce, aad, plaintext)`: the ciphertext with the tag appended.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidLength`] on a key or nonce of the wrong length.
    fn aead_seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// [`SuiteOps::aead_seal`] of the plaintext in `buffer`, replaced by the ciphertext: a
    /// backend that encrypts in place saves a copy of a large message. The default seals into
    /// a new buffer.
    ///
    /// # Errors
    /// As [`SuiteOps::aead_seal`].
    fn aead_seal_in_place(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        buffer: &mut Vec<u8>,
    ) -> Result<(), CryptoError> {
        *buffer = self.aead_seal(key, nonce, aad, buffer)?;
        Ok(())
    }

    /// `AEAD.Open(key, nonce, aad, ciphertext)`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::AeadOpenFailed`] when the tag does not verify (or the input is shorter
    /// than a tag); [`CryptoErrorKind::InvalidLength`] on a key or nonce of the wrong length.
    ///
    /// # Security
    /// Takes untrusted input; never releases plaintext of a ciphertext that fails to verify.
    fn aead_open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// Generates a fresh HPKE key pair (`GenerateKeyPair`, RFC 9180 §4).
    ///
    /// # Errors
    /// [`CryptoErrorKind::Random`] when the RNG fails.
    fn kem_generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError>;

    /// `DeriveKeyPair(ikm)` of RFC 9180 §7.1.3.
    ///
    /// # Errors
    /// [`CryptoErrorKind::DeriveKeyPairFailed`] in the (negligibly likely) case that no candidate
    /// is a valid key.
    fn kem_derive(&self, ikm: &[u8]) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError>;

    /// The public key of an HPKE private key.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPrivateKey`] when `sk` is malformed.
    fn kem_public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError>;

    /// Checks that `pk` is a valid public key of the suite's KEM.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPublicKey`] when it is not.
    fn kem_validate_public_key(&self, pk: &HpkePublicKey) -> Result<(), CryptoError>;

    /// `Encap(pkR)`: a fresh KEM shared secret and its encapsulation `enc`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPublicKey`] or [`CryptoErrorKind::ZeroSharedSecret`] for a bad
    /// `pk`.
    fn kem_encap(&self, pk: &HpkePublicKey) -> Result<(Secret, Vec<u8>), CryptoError>;

    /// `Decap(enc, skR)` with a software private key whose public key is `pk`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPublicKey`] for a malformed `enc`,
    /// [`CryptoErrorKind::InvalidPrivateKey`] for a malformed `sk`.
    fn kem_decap(
        &self,
        enc: &[u8],
        sk: &HpkePrivateKey,
        pk: &HpkePublicKey,
    ) -> Result<Secret, CryptoError>;

    /// HPKE `SealBase(pkR, info, aad, pt)` (RFC 9180 §6.1).
    ///
    /// # Errors
    /// As [`SuiteOps::kem_encap`].
    fn hpke_seal(
        &self,
        pk: &HpkePublicKey,
        info: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext, CryptoError>;

    /// HPKE `SealBase(pkR, info, aad, pt)` for each `(pkR, pt)` of `recipients`, all under one
    /// `info` and `aad`, in order: what a Welcome does for its new members.
    ///
    /// The default calls [`SuiteOps::hpke_seal`] once per recipient. An implementation may share
    /// the work that depends only on `info` (the key schedule's `info_hash`, over the whole
    /// encrypted GroupInfo for a Welcome); every recipient must still get a fresh ephemeral key.
    ///
    /// # Errors
    /// As [`SuiteOps::hpke_seal`], for the first recipient that fails.
    fn hpke_seal_many(
        &self,
        recipients: &[(&HpkePublicKey, &[u8])],
        info: &[u8],
        aad: &[u8],
    ) -> Result<Vec<HpkeCiphertext>, CryptoError> {
        recipients
            .iter()
            .map(|(pk, plaintext)| self.hpke_seal(pk, info, aad, plaintext))
            .collect()
    }

    /// HPKE `OpenBase(enc, skR, info, aad, ct)` (RFC 9180 §6.1), decapsulating through `key`.
    ///
    /// # Errors
    /// Errors of [`Decapsulator::decap`], or [`CryptoErrorKind::AeadOpenFailed`].
    fn hpke_open(
        &self,
        key: &dyn Decapsulator,
        ciphertext: &HpkeCiphertext,
        info: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// HPKE `SendExport(pkR, info, exporter_context, L)` (RFC 9180 §6.2): `SetupBaseS(pkR,
    /// info)`, then `Export(exporter_context, L)` on the sender's context. Returns the KEM
    /// output `enc` and the `len`-byte exported secret.
    ///
    /// MLS uses it for external commits (RFC 9420 §8.3): `info` is empty, the exporter context
    /// is `"MLS 1.0 external init secret"` and `len` is `Nh`.
    ///
    /// # Errors
    /// As [`SuiteOps::kem_encap`]; [`CryptoErrorKind::InvalidLength`] when `len` exceeds
    /// `255 * Nh`.
    fn hpke_export_sender(
        &self,
        pk: &HpkePublicKey,
        info: &[u8],
        exporter_context: &[u8],
        len: usize,
    ) -> Result<(Vec<u8>, Secret), CryptoError>;

    /// HPKE `ReceiveExport(enc, skR, info, exporter_context, L)` (RFC 9180 §6.2): `SetupBaseR`
    /// decapsulating `enc` through `key`, then `Export(exporter_context, L)`.
    ///
    /// # Errors
    /// Errors of [`Decapsulator::decap`] (a malformed `enc` is
    /// [`CryptoErrorKind::InvalidPublicKey`]); [`CryptoErrorKind::InvalidPrivateKey`] when `key`
    /// belongs to another suite; [`CryptoErrorKind::InvalidLength`] when `len` exceeds
    /// `255 * Nh`.
    ///
    /// # Security
    /// The exporter has no authentication: a wrong key or a tampered (but well-formed) `enc`
    /// yields a different secret, not an error. Whatever the secret protects must be
    /// authenticated by its own means (in MLS, the confirmation tag of the external commit).
    fn hpke_export_receiver(
        &self,
        key: &dyn Decapsulator,
        enc: &[u8],
        info: &[u8],
        exporter_context: &[u8],
        len: usize,
    ) -> Result<Secret, CryptoError>;

    /// Generates a signature key pair.
    ///
    /// # Errors
    /// [`CryptoErrorKind::Random`] when the RNG fails.
    fn signature_generate(&self) -> Result<(SignaturePrivateKey, SignaturePublicKey), CryptoError>;

    /// The public key of a signature private key.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPrivateKey`] when `sk` is malformed.
    fn signature_public_key(
        &self,
        sk: &SignaturePrivateKey,
    ) -> Result<SignaturePublicKey, CryptoError>;

    /// Signs `message` with a software private key.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPrivateKey`] when `sk` is malformed.
    fn sign(&self, sk: &SignaturePrivateKey, message: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// The key `sk` in the backend's parsed form, for signing many times without parsing it
    /// again (an Ed25519 seed must be expanded, and its public point computed, before every
    /// signature otherwise). `None` when the backend has no such form; [`SoftwareSigner`] then
    /// signs through [`SuiteOps::sign`].
    ///
    /// A prepared key signs exactly as [`SuiteOps::sign`] would with `sk`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPrivateKey`] when `sk` is malformed.
    fn prepare_signing_key(
        &self,
        sk: &SignaturePrivateKey,
    ) -> Result<Option<Arc<dyn PreparedSigningKey>>, CryptoError> {
        let _ = sk;
        Ok(None)
    }

    /// Verifies `signature` over `message`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPublicKey`] for a malformed key,
    /// [`CryptoErrorKind::InvalidSignature`] for a malformed or wrong signature (including
    /// non-canonical encodings).
    fn verify(
        &self,
        pk: &SignaturePublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError>;

    /// Verifies every `(public_key, message, signature)` of `items`: `Ok` only if all verify.
    /// The default verifies them one by one with [`SuiteOps::verify`].
    ///
    /// A backend may verify the batch at once (for Ed25519, one multi-scalar multiplication
    /// with random weights: a few times cheaper per signature). Such a check agrees with
    /// [`SuiteOps::verify`] on every honestly made signature, but may judge differently one
    /// that its signer built with small-order components on purpose (RFC 8032 §5.1.7 allows
    /// both the cofactored and the cofactorless equation, and implementations differ). Use it
    /// where every signature was already verified one by one by others (the leaves of a tree a
    /// new member joins), and on failure verify one by one to find the bad one.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidSignature`] (or [`CryptoErrorKind::InvalidPublicKey`]) when
    /// any signature does not verify, without saying which.
    fn verify_batch(
        &self,
        items: &[(&SignaturePublicKey, &[u8], &[u8])],
    ) -> Result<(), CryptoError> {
        items
            .iter()
            .try_for_each(|(pk, message, signature)| self.verify(pk, message, signature))
    }

    /// Fills `out` with cryptographically secure random bytes.
    ///
    /// # Errors
    /// [`CryptoErrorKind::Random`] when the RNG fails.
    fn random_fill(&self, out: &mut [u8]) -> Result<(), CryptoError>;
}

/// A signing key handle. The private key may live outside the process (an HSM, a keystore).
///
/// # Implementing
/// `sign` signs the bytes it is given as is (the labeled `SignContent` of RFC 9420 §5.1.2 is built
/// by [`crate::labeled::sign_with_label`]), with the suite's scheme and wire encoding (DER for
/// ECDSA, raw for EdDSA). `public_key` returns the matching key in wire form.
///
/// ```
/// use cohort_crypto::{CryptoError, CryptoErrorKind, SignaturePublicKey, SignatureScheme, Signer};
///
/// /// A handle to a key held by a (pretend) HSM.
/// #[derive(Debug)]
/// struct HsmKey { slot: u32, public: SignaturePublicKey }
///
/// impl Signer for HsmKey {
///     fn signature_scheme(&self) -> SignatureScheme { SignatureScheme::ED25519 }
///     fn public_key(&self) -> &SignaturePublicKey { &self.public }
///     fn sign(&self, _message: &[u8]) -> Result<Vec<u8>, CryptoError> {
///         // Call into the HSM here; report its failures as Backend errors with a source.
///         Err(CryptoError::new(CryptoErrorKind::Backend))
///     }
/// }
/// ```
pub trait Signer: Send + Sync + fmt::Debug {
    /// The scheme this key signs with.
    fn signature_scheme(&self) -> SignatureScheme;

    /// The public key, in wire form.
    fn public_key(&self) -> &SignaturePublicKey;

    /// Signs `message`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::Backend`] (with a source) when the key store fails.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// An HPKE private-key handle: performs the KEM's `Decap` (RFC 9180 §4) without revealing the
/// private key.
///
/// # Implementing
/// `decap(enc)` returns the KEM shared secret: for DHKEM, `ExtractAndExpand(DH(skR, enc),
/// enc || pkR)`. Reject a malformed `enc` with [`CryptoErrorKind::InvalidPublicKey`] and an
/// all-zero DH output with [`CryptoErrorKind::ZeroSharedSecret`]; never panic. An HSM that only
/// offers raw ECDH can finish `Decap` with `cohort_crypto_hpke::Dhkem::extract_and_expand`.
///
/// ```
/// use cohort_crypto::{
///     CipherSuite, CryptoError, CryptoErrorKind, Decapsulator, HpkePublicKey, Secret,
/// };
///
/// /// An HPKE key that stays in a (pretend) HSM.
/// #[derive(Debug)]
/// struct HsmHpkeKey { slot: u32, public: HpkePublicKey }
///
/// impl Decapsulator for HsmHpkeKey {
///     fn cipher_suite(&self) -> CipherSuite {
///         CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256
///     }
///     fn public_key(&self) -> &HpkePublicKey { &self.public }
///     fn decap(&self, _enc: &[u8]) -> Result<Secret, CryptoError> {
///         // Ask the HSM for DH(skR, enc), then ExtractAndExpand with enc || pkR.
///         Err(CryptoError::new(CryptoErrorKind::Backend))
///     }
/// }
/// ```
pub trait Decapsulator: Send + Sync + fmt::Debug {
    /// The suite whose KEM this key belongs to.
    fn cipher_suite(&self) -> CipherSuite;

    /// The public key, in `SerializePublicKey` form.
    fn public_key(&self) -> &HpkePublicKey;

    /// `Decap(enc, skR)`.
    ///
    /// # Errors
    /// As described on the trait.
    fn decap(&self, enc: &[u8]) -> Result<Secret, CryptoError>;
}

/// A software signature private key in a backend's parsed form (see
/// [`SuiteOps::prepare_signing_key`]).
///
/// # Implementing
/// Sign as [`SuiteOps::sign`] does with the key it was prepared from. Erase the key material when
/// dropped, and do not print it in `Debug`.
pub trait PreparedSigningKey: Send + Sync + fmt::Debug {
    /// Signs `message`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::Backend`] when the backend fails.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// A signature private key held in memory, signing through the suite's [`SuiteOps::sign`], or
/// through the backend's parsed form of the key when it offers one
/// ([`SuiteOps::prepare_signing_key`]).
#[derive(Debug, Clone)]
pub struct SoftwareSigner {
    ops: Arc<dyn SuiteOps>,
    private: SignaturePrivateKey,
    public: SignaturePublicKey,
    prepared: Option<Arc<dyn PreparedSigningKey>>,
}

impl SoftwareSigner {
    /// Generates a fresh key.
    ///
    /// # Errors
    /// As [`SuiteOps::signature_generate`].
    pub fn generate(ops: Arc<dyn SuiteOps>) -> Result<Self, CryptoError> {
        let (private, public) = ops.signature_generate()?;
        let prepared = ops.prepare_signing_key(&private)?;
        Ok(Self {
            ops,
            private,
            public,
            prepared,
        })
    }

    /// Wraps an existing private key, deriving its public key.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPrivateKey`] when `private` is malformed.
    pub fn from_private(
        ops: Arc<dyn SuiteOps>,
        private: SignaturePrivateKey,
    ) -> Result<Self, CryptoError> {
        let public = ops.signature_public_key(&private)?;
        let prepared = ops.prepare_signing_key(&private)?;
        Ok(Self {
            ops,
            private,
            public,
            prepared,
        })
    }

    /// Wraps an existing key pair, checking that the two halves match.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPrivateKey`] when `private` is malformed or does not match
    /// `public`.
    pub fn from_key_pair(
        ops: Arc<dyn SuiteOps>,
        private: SignaturePrivateKey,
        public: SignaturePublicKey,
    ) -> Result<Self, CryptoError> {
        let signer = Self::from_private(ops, private)?;
        if signer.public != public {
            return Err(CryptoErrorKind::InvalidPrivateKey.into());
        }
        Ok(signer)
    }

    /// The private key.
    pub fn private_key(&self) -> &SignaturePrivateKey {
        &self.private
    }
}

impl Signer for SoftwareSigner {
    fn signature_scheme(&self) -> SignatureScheme {
        self.ops.signature_scheme()
    }

    fn public_key(&self) -> &SignaturePublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match &self.prepared {
            Some(key) => key.sign(message),
            None => self.ops.sign(&self.private, message),
        }
    }
}

/// An HPKE private key held in memory, decapsulating through the suite's [`SuiteOps::kem_decap`].
#[derive(Debug, Clone)]
pub struct SoftwareHpkeKey {
    ops: Arc<dyn SuiteOps>,
    private: HpkePrivateKey,
    public: HpkePublicKey,
}

impl SoftwareHpkeKey {
    /// Generates a fresh key.
    ///
    /// # Errors
    /// As [`SuiteOps::kem_generate`].
    pub fn generate(ops: Arc<dyn SuiteOps>) -> Result<Self, CryptoError> {
        let (private, public) = ops.kem_generate()?;
        Ok(Self {
            ops,
            private,
            public,
        })
    }

    /// Derives a key with `DeriveKeyPair(ikm)`.
    ///
    /// # Errors
    /// As [`SuiteOps::kem_derive`].
    pub fn derive(ops: Arc<dyn SuiteOps>, ikm: &[u8]) -> Result<Self, CryptoError> {
        let (private, public) = ops.kem_derive(ikm)?;
        Ok(Self {
            ops,
            private,
            public,
        })
    }

    /// Wraps an existing private key, deriving its public key.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPrivateKey`] when `private` is malformed.
    pub fn from_private(
        ops: Arc<dyn SuiteOps>,
        private: HpkePrivateKey,
    ) -> Result<Self, CryptoError> {
        let public = ops.kem_public_key(&private)?;
        Ok(Self {
            ops,
            private,
            public,
        })
    }

    /// Wraps an existing key pair, checking that the two halves match.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPrivateKey`] when `private` is malformed or does not match
    /// `public`.
    pub fn from_key_pair(
        ops: Arc<dyn SuiteOps>,
        private: HpkePrivateKey,
        public: HpkePublicKey,
    ) -> Result<Self, CryptoError> {
        let key = Self::from_private(ops, private)?;
        if key.public != public {
            return Err(CryptoErrorKind::InvalidPrivateKey.into());
        }
        Ok(key)
    }

    /// The private key.
    pub fn private_key(&self) -> &HpkePrivateKey {
        &self.private
    }
}

impl Decapsulator for SoftwareHpkeKey {
    fn cipher_suite(&self) -> CipherSuite {
        self.ops.cipher_suite()
    }

    fn public_key(&self) -> &HpkePublicKey {
        &self.public
    }

    fn decap(&self, enc: &[u8]) -> Result<Secret, CryptoError> {
        self.ops.kem_decap(enc, &self.private, &self.public)
    }
}
