//! The primitives a backend supplies for HPKE: a KDF, an AEAD and a Diffie-Hellman group.

use core::fmt;

use cohort_crypto::{CryptoError, HpkePrivateKey, HpkePublicKey, Secret};

/// A KDF in the HKDF style of RFC 9180 §4 (`Extract` and `Expand`).
///
/// # Implementing
/// `extract` returns `hash_len` bytes; `expand` returns exactly `len` bytes or
/// [`cohort_crypto::CryptoErrorKind::InvalidLength`] when `len` is out of range. Never panic.
pub trait Kdf: Send + Sync + fmt::Debug {
    /// The HPKE KDF identifier (RFC 9180 §7.2).
    fn kdf_id(&self) -> u16;

    /// `Nh`: the output length of `extract`.
    fn hash_len(&self) -> usize;

    /// `Extract(salt, ikm)`.
    ///
    /// # Errors
    /// Only on a backend failure.
    fn extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError>;

    /// `Expand(prk, info, len)`.
    ///
    /// # Errors
    /// [`cohort_crypto::CryptoErrorKind::InvalidLength`] when `len` is too large.
    fn expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, CryptoError>;
}

/// A single-stage KDF (draft-ietf-hpke-hpke §4, draft-ietf-hpke-pq §5): one `Derive(ikm, L)`
/// instead of `Extract` and `Expand`, as the SHAKE and TurboSHAKE XOFs offer.
///
/// # Implementing
/// `derive` returns exactly `len` bytes, the first `len` bytes of the XOF's output on `ikm`.
/// Never panic.
pub trait OneStageKdf: Send + Sync + fmt::Debug {
    /// The HPKE KDF identifier (`0x0010` SHAKE128, `0x0011` SHAKE256, `0x0012` TurboSHAKE128,
    /// `0x0013` TurboSHAKE256).
    fn kdf_id(&self) -> u16;

    /// `Nh`: the length of the exporter secret (32 or 64).
    fn hash_len(&self) -> usize;

    /// `Derive(ikm, len)`.
    ///
    /// # Errors
    /// [`cohort_crypto::CryptoErrorKind::InvalidLength`] when `len` is out of range.
    fn derive(&self, ikm: &[u8], len: usize) -> Result<Secret, CryptoError>;
}

/// An AEAD (RFC 9180 §5.2).
///
/// # Implementing
/// `seal` appends the tag; `open` fails with
/// [`cohort_crypto::CryptoErrorKind::AeadOpenFailed`] on any tampering or a too-short input, and
/// with [`cohort_crypto::CryptoErrorKind::InvalidLength`] on a wrong key or nonce length.
pub trait Aead: Send + Sync + fmt::Debug {
    /// The HPKE AEAD identifier (RFC 9180 §7.3).
    fn aead_id(&self) -> u16;

    /// `Nk`.
    fn key_len(&self) -> usize;

    /// `Nn`.
    fn nonce_len(&self) -> usize;

    /// `Seal(key, nonce, aad, pt)`.
    ///
    /// # Errors
    /// [`cohort_crypto::CryptoErrorKind::InvalidLength`] on a wrong key or nonce length.
    fn seal(&self, key: &[u8], nonce: &[u8], aad: &[u8], pt: &[u8])
    -> Result<Vec<u8>, CryptoError>;

    /// `Seal(key, nonce, aad, pt)` with the plaintext in `buffer`, replaced by the ciphertext.
    /// The default seals into a new buffer.
    ///
    /// # Errors
    /// As [`Aead::seal`].
    fn seal_in_place(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        buffer: &mut Vec<u8>,
    ) -> Result<(), CryptoError> {
        *buffer = self.seal(key, nonce, aad, buffer)?;
        Ok(())
    }

    /// `Open(key, nonce, aad, ct)`.
    ///
    /// # Errors
    /// [`cohort_crypto::CryptoErrorKind::AeadOpenFailed`] when the tag does not verify.
    fn open(&self, key: &[u8], nonce: &[u8], aad: &[u8], ct: &[u8])
    -> Result<Vec<u8>, CryptoError>;
}

/// How `DeriveKeyPair` turns key material into a private key (RFC 9180 §7.1.3).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeriveMethod {
    /// X25519 and X448: `sk = LabeledExpand(dkp_prk, "sk", "", Nsk)`.
    Expand,
    /// The NIST curves: rejection sampling of `candidate` values, the first byte masked with
    /// `bitmask`, until one is a valid scalar.
    Rejection {
        /// `0xff` for P-256 and P-384, `0x01` for P-521.
        bitmask: u8,
    },
}

/// The Diffie-Hellman group under a DHKEM (RFC 9180 §4.1).
///
/// # Implementing
/// Public keys are in `SerializePublicKey` form (uncompressed points for the NIST curves).
/// `validate_public_key` and `dh` reject malformed, off-curve and identity points with
/// [`cohort_crypto::CryptoErrorKind::InvalidPublicKey`]; `dh` rejects an all-zero output with
/// [`cohort_crypto::CryptoErrorKind::ZeroSharedSecret`]. Never panic.
pub trait DhGroup: Send + Sync + fmt::Debug {
    /// The HPKE KEM identifier of the DHKEM built on this group (RFC 9180 §7.1).
    fn kem_id(&self) -> u16;

    /// `Nsk`: the length of a serialized private key.
    fn private_key_len(&self) -> usize;

    /// How `DeriveKeyPair` works for this group.
    fn derive_method(&self) -> DeriveMethod;

    /// Generates a random key pair.
    ///
    /// # Errors
    /// [`cohort_crypto::CryptoErrorKind::Random`] when the RNG fails.
    fn generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError>;

    /// Parses `bytes` as a private key: for the NIST curves, a big-endian scalar in
    /// `[1, order)`.
    ///
    /// # Errors
    /// [`cohort_crypto::CryptoErrorKind::InvalidPrivateKey`] otherwise.
    fn private_key_from_bytes(&self, bytes: &[u8]) -> Result<HpkePrivateKey, CryptoError>;

    /// The public key of `sk`.
    ///
    /// # Errors
    /// [`cohort_crypto::CryptoErrorKind::InvalidPrivateKey`] for a malformed key.
    fn public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError>;

    /// Checks a serialized public key.
    ///
    /// # Errors
    /// [`cohort_crypto::CryptoErrorKind::InvalidPublicKey`].
    fn validate_public_key(&self, pk: &[u8]) -> Result<(), CryptoError>;

    /// `DH(sk, pk)`: the serialized shared point (its x-coordinate for the NIST curves).
    ///
    /// # Errors
    /// As described on the trait.
    fn dh(&self, sk: &HpkePrivateKey, pk: &[u8]) -> Result<Secret, CryptoError>;

    /// A fresh ephemeral key pair and its agreement with `pk`: `(pkE, DH(skE, pk))`, the
    /// Diffie-Hellman half of `Encap` (RFC 9180 §4.1). The default is [`DhGroup::generate`] then
    /// [`DhGroup::dh`]; a library that computes the public key whenever it imports a private key
    /// should override it to import the ephemeral key once.
    ///
    /// # Errors
    /// As [`DhGroup::generate`] and [`DhGroup::dh`].
    fn generate_and_dh(&self, pk: &[u8]) -> Result<(HpkePublicKey, Secret), CryptoError> {
        let (sk_e, pk_e) = self.generate()?;
        Ok((pk_e, self.dh(&sk_e, pk)?))
    }
}
