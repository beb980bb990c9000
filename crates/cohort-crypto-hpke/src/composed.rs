//! `SuiteOps` written once over a backend's primitives.
//!
//! A backend lists the algorithms it implements ([`Primitives`]); [`ComposedSuite::new`] picks,
//! for a cipher suite, the hash, AEAD, Diffie-Hellman group and signature scheme the registry
//! names (RFC 9420 §17.1), and implements every [`SuiteOps`] method on them: HKDF and MAC on the
//! hash, DHKEM and HPKE through [`Dhkem`] and [`Hpke`], signatures and randomness as given.

use core::fmt;
use std::sync::Arc;

use cohort_crypto::{
    CipherSuite, CryptoError, CryptoErrorKind, Decapsulator, HpkeCiphertext, HpkePrivateKey,
    HpkePublicKey, PreparedSigningKey, Secret, SignaturePrivateKey, SignaturePublicKey,
    SignatureScheme, SuiteOps,
};

use crate::hpke::Hpke;
use crate::kem::{Dhkem, Kem};
use crate::primitives::{Aead, DhGroup, Kdf};

/// A hash function with its HMAC; as a [`Kdf`], the HKDF built on that HMAC (RFC 9420 §5.1).
///
/// # Implementing
/// `hash` and `mac` return `hash_len` bytes. If the library keeps HKDF's pseudorandom key opaque,
/// implement [`Kdf`] with [`crate::hkdf::extract`] and [`crate::hkdf::expand`] over `mac`.
pub trait HashFunction: Kdf {
    /// `Hash(data)`.
    ///
    /// # Errors
    /// Only on a backend failure.
    fn hash(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// `MAC(key, data)`: HMAC with this hash.
    ///
    /// # Errors
    /// Only on a backend failure.
    fn mac(&self, key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// A signature scheme (RFC 9420 §5.1.2): keys and signatures in their wire form.
///
/// # Implementing
/// As the signature methods of [`SuiteOps`]: DER-encoded ECDSA signatures, raw EdDSA ones;
/// private keys are the raw seed (EdDSA) or the big-endian scalar (ECDSA). Never panic.
pub trait SignatureAlgorithm: Send + Sync + fmt::Debug {
    /// The TLS `SignatureScheme` this implements.
    fn scheme(&self) -> SignatureScheme;

    /// Generates a key pair.
    ///
    /// # Errors
    /// [`CryptoErrorKind::Random`] when the RNG fails.
    fn generate(&self) -> Result<(SignaturePrivateKey, SignaturePublicKey), CryptoError>;

    /// The public key of `sk`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPrivateKey`] when `sk` is malformed.
    fn public_key(&self, sk: &SignaturePrivateKey) -> Result<SignaturePublicKey, CryptoError>;

    /// Signs `message` with `sk`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPrivateKey`] when `sk` is malformed.
    fn sign(&self, sk: &SignaturePrivateKey, message: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// `sk` parsed for repeated signing, as [`SuiteOps::prepare_signing_key`]; the default has
    /// no parsed form.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPrivateKey`] when `sk` is malformed.
    fn prepare(
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
    /// [`CryptoErrorKind::InvalidSignature`] for a malformed or wrong signature.
    fn verify(
        &self,
        pk: &SignaturePublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError>;

    /// Verifies a batch, as [`SuiteOps::verify_batch`]; the default verifies one by one.
    ///
    /// # Errors
    /// As [`SuiteOps::verify_batch`].
    fn verify_batch(
        &self,
        items: &[(&SignaturePublicKey, &[u8], &[u8])],
    ) -> Result<(), CryptoError> {
        items
            .iter()
            .try_for_each(|(pk, message, signature)| self.verify(pk, message, signature))
    }
}

/// The algorithms a backend implements, and its random number generator.
///
/// Each list holds the backend's value for every algorithm it has; [`ComposedSuite::new`] finds
/// a suite's by identifier ([`Kdf::kdf_id`], [`Aead::aead_id`], [`DhGroup::kem_id`],
/// [`SignatureAlgorithm::scheme`]), so the suites a backend can serve follow from these lists.
pub struct Primitives<H: 'static, A: 'static, D: 'static, S: 'static> {
    /// The hash functions (with their HMAC and HKDF).
    pub hashes: &'static [H],
    /// The AEADs.
    pub aeads: &'static [A],
    /// The Diffie-Hellman groups of the DHKEMs.
    pub groups: &'static [D],
    /// The signature schemes.
    pub signatures: &'static [S],
    /// Fills its argument with cryptographically secure random bytes, or fails with
    /// [`CryptoErrorKind::Random`].
    pub random_fill: fn(&mut [u8]) -> Result<(), CryptoError>,
}

impl<H, A, D, S> fmt::Debug for Primitives<H, A, D, S>
where
    H: fmt::Debug + 'static,
    A: fmt::Debug + 'static,
    D: fmt::Debug + 'static,
    S: fmt::Debug + 'static,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Primitives")
            .field("hashes", &self.hashes)
            .field("aeads", &self.aeads)
            .field("groups", &self.groups)
            .field("signatures", &self.signatures)
            .finish_non_exhaustive()
    }
}

/// The operations of one cipher suite, composed from a backend's [`Primitives`]: the hash `H`,
/// the AEAD `A`, the Diffie-Hellman group `D` (or another [`Kem`], see
/// [`ComposedSuite::with_kems`]) and the signature scheme `S`.
#[derive(Clone)]
pub struct ComposedSuite<H, A, D, S> {
    cs: CipherSuite,
    hash: H,
    aead: A,
    kem: SuiteKem<D>,
    sig: S,
    random_fill: fn(&mut [u8]) -> Result<(), CryptoError>,
}

/// The KEM of a composed suite: a DHKEM on a group of the table, or a KEM given whole.
#[derive(Clone)]
enum SuiteKem<D> {
    Dh(D),
    Other(&'static dyn Kem),
}

impl<D: fmt::Debug> fmt::Debug for SuiteKem<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dh(dh) => dh.fmt(f),
            Self::Other(kem) => kem.fmt(f),
        }
    }
}

impl<H, A, D, S> ComposedSuite<H, A, D, S>
where
    H: HashFunction + Clone + 'static,
    A: Aead + Clone + 'static,
    D: DhGroup + Clone + 'static,
    S: SignatureAlgorithm + Clone + 'static,
{
    /// The suite `cs` from `primitives`, or `None` when `cs` is not a suite of RFC 9420 or one of
    /// its algorithms is missing from `primitives`.
    pub fn new(cs: CipherSuite, primitives: &Primitives<H, A, D, S>) -> Option<Self> {
        Self::with_kems(cs, primitives, &[])
    }

    /// The suite `cs` from `primitives`, its KEM taken from `kems` when one has the suite's KEM
    /// identifier (the post-quantum KEMs of draft-ietf-hpke-pq), else a DHKEM on a group of
    /// `primitives`. `None` when `cs` has no registry entry
    /// ([`CipherSuite::hpke_suite`]) or one of its algorithms is missing.
    ///
    /// The DHKEM uses the suite's KDF, as in every suite of RFC 9420; a KEM of `kems` brings
    /// its own key derivation.
    pub fn with_kems(
        cs: CipherSuite,
        primitives: &Primitives<H, A, D, S>,
        kems: &[&'static dyn Kem],
    ) -> Option<Self> {
        Self::with_kems_as(cs, cs, primitives, kems)
    }

    /// As [`ComposedSuite::with_kems`], with the algorithms of the suite `algorithms_of` under
    /// the code point `cs`: a suite whose number differs between implementations (the
    /// post-quantum drafts', see [`cohort_crypto::PqCodePoints`]).
    pub fn with_kems_as(
        cs: CipherSuite,
        algorithms_of: CipherSuite,
        primitives: &Primitives<H, A, D, S>,
        kems: &[&'static dyn Kem],
    ) -> Option<Self> {
        let ids = algorithms_of.hpke_suite()?;
        let scheme = algorithms_of.signature_scheme()?;
        let kem = match kems.iter().find(|k| k.kem_id() == ids.kem) {
            Some(kem) => SuiteKem::Other(*kem),
            None => SuiteKem::Dh(pick(primitives.groups, |g| g.kem_id() == ids.kem)?),
        };
        Some(Self {
            cs,
            hash: pick(primitives.hashes, |h| h.kdf_id() == ids.kdf)?,
            aead: pick(primitives.aeads, |a| a.aead_id() == ids.aead)?,
            kem,
            sig: pick(primitives.signatures, |s| s.scheme() == scheme)?,
            random_fill: primitives.random_fill,
        })
    }
}

/// The first algorithm of `list` that `matches`.
fn pick<T: Clone>(list: &[T], matches: impl Fn(&T) -> bool) -> Option<T> {
    list.iter().find(|x| matches(x)).cloned()
}

impl<H: HashFunction, A: Aead, D: DhGroup, S: SignatureAlgorithm> ComposedSuite<H, A, D, S> {
    /// Runs `f` on the suite's KEM. In every suite of RFC 9420 the DHKEM's KDF is the suite's
    /// KDF.
    fn with_kem<T>(&self, f: impl FnOnce(&dyn Kem) -> T) -> T {
        match &self.kem {
            SuiteKem::Dh(dh) => f(&Dhkem::new(dh, &self.hash)),
            SuiteKem::Other(kem) => f(*kem),
        }
    }

    /// Runs `f` on the suite's HPKE.
    fn with_hpke<T>(&self, f: impl FnOnce(&Hpke<'_>) -> T) -> T {
        self.with_kem(|kem| f(&Hpke::new(kem, &self.hash, &self.aead)))
    }

    /// A key handle of another suite cannot open this suite's ciphertexts.
    fn check_key(&self, key: &dyn Decapsulator) -> Result<(), CryptoError> {
        if key.cipher_suite() != self.cs {
            return Err(CryptoErrorKind::InvalidPrivateKey.into());
        }
        Ok(())
    }
}

impl<H: fmt::Debug, A: fmt::Debug, D: fmt::Debug, S: fmt::Debug> fmt::Debug
    for ComposedSuite<H, A, D, S>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComposedSuite")
            .field("cs", &self.cs)
            .field("hash", &self.hash)
            .field("aead", &self.aead)
            .field("kem", &self.kem)
            .field("sig", &self.sig)
            .finish_non_exhaustive()
    }
}

impl<H, A, D, S> SuiteOps for ComposedSuite<H, A, D, S>
where
    H: HashFunction,
    A: Aead,
    D: DhGroup,
    S: SignatureAlgorithm,
{
    fn cipher_suite(&self) -> CipherSuite {
        self.cs
    }

    fn hash_len(&self) -> usize {
        self.hash.hash_len()
    }

    fn aead_key_len(&self) -> usize {
        self.aead.key_len()
    }

    fn aead_nonce_len(&self) -> usize {
        self.aead.nonce_len()
    }

    fn signature_scheme(&self) -> SignatureScheme {
        self.sig.scheme()
    }

    fn hash(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.hash.hash(data)
    }

    fn mac(&self, key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.hash.mac(key, data)
    }

    fn kdf_extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        self.hash.extract(salt, ikm)
    }

    fn kdf_expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, CryptoError> {
        self.hash.expand(prk, info, len)
    }

    fn aead_seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.aead.seal(key, nonce, aad, plaintext)
    }

    fn aead_seal_in_place(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        buffer: &mut Vec<u8>,
    ) -> Result<(), CryptoError> {
        self.aead.seal_in_place(key, nonce, aad, buffer)
    }

    fn aead_open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.aead.open(key, nonce, aad, ciphertext)
    }

    fn kem_generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        self.with_kem(|kem| kem.generate())
    }

    fn kem_derive(&self, ikm: &[u8]) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        self.with_kem(|kem| kem.derive_key_pair(ikm))
    }

    fn kem_public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        self.with_kem(|kem| kem.public_key(sk))
    }

    fn kem_validate_public_key(&self, pk: &HpkePublicKey) -> Result<(), CryptoError> {
        self.with_kem(|kem| kem.validate_public_key(pk.as_ref()))
    }

    fn kem_encap(&self, pk: &HpkePublicKey) -> Result<(Secret, Vec<u8>), CryptoError> {
        self.with_kem(|kem| kem.encap(pk.as_ref()))
    }

    fn kem_decap(
        &self,
        enc: &[u8],
        sk: &HpkePrivateKey,
        pk: &HpkePublicKey,
    ) -> Result<Secret, CryptoError> {
        self.with_kem(|kem| kem.decap(enc, sk, pk.as_ref()))
    }

    fn hpke_seal(
        &self,
        pk: &HpkePublicKey,
        info: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext, CryptoError> {
        self.with_hpke(|hpke| hpke.seal_base(pk, info, aad, plaintext))
    }

    fn hpke_seal_many(
        &self,
        recipients: &[(&HpkePublicKey, &[u8])],
        info: &[u8],
        aad: &[u8],
    ) -> Result<Vec<HpkeCiphertext>, CryptoError> {
        self.with_hpke(|hpke| hpke.seal_base_many(recipients, info, aad))
    }

    fn hpke_open(
        &self,
        key: &dyn Decapsulator,
        ciphertext: &HpkeCiphertext,
        info: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.check_key(key)?;
        self.with_hpke(|hpke| hpke.open_base(key, ciphertext, info, aad))
    }

    fn hpke_export_sender(
        &self,
        pk: &HpkePublicKey,
        info: &[u8],
        exporter_context: &[u8],
        len: usize,
    ) -> Result<(Vec<u8>, Secret), CryptoError> {
        self.with_hpke(|hpke| hpke.send_export(pk.as_ref(), info, exporter_context, len))
    }

    fn hpke_export_receiver(
        &self,
        key: &dyn Decapsulator,
        enc: &[u8],
        info: &[u8],
        exporter_context: &[u8],
        len: usize,
    ) -> Result<Secret, CryptoError> {
        self.check_key(key)?;
        self.with_hpke(|hpke| hpke.receive_export(enc, key, info, exporter_context, len))
    }

    fn signature_generate(&self) -> Result<(SignaturePrivateKey, SignaturePublicKey), CryptoError> {
        self.sig.generate()
    }

    fn signature_public_key(
        &self,
        sk: &SignaturePrivateKey,
    ) -> Result<SignaturePublicKey, CryptoError> {
        self.sig.public_key(sk)
    }

    fn sign(&self, sk: &SignaturePrivateKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.sig.sign(sk, message)
    }

    fn prepare_signing_key(
        &self,
        sk: &SignaturePrivateKey,
    ) -> Result<Option<Arc<dyn PreparedSigningKey>>, CryptoError> {
        self.sig.prepare(sk)
    }

    fn verify_batch(
        &self,
        items: &[(&SignaturePublicKey, &[u8], &[u8])],
    ) -> Result<(), CryptoError> {
        self.sig.verify_batch(items)
    }

    fn verify(
        &self,
        pk: &SignaturePublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.sig.verify(pk, message, signature)
    }

    fn random_fill(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        (self.random_fill)(out)
    }
}
