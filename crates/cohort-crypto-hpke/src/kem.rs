//! The KEM interface HPKE runs on ([`Kem`]), and DHKEM (RFC 9180 §4.1) on top of a [`DhGroup`]
//! and a [`Kdf`].

use core::fmt;

use cohort_crypto::{CryptoError, CryptoErrorKind, HpkePrivateKey, HpkePublicKey, Secret};

use crate::labels::{kem_suite_id, labeled_expand, labeled_extract};
use crate::primitives::{DeriveMethod, DhGroup, Kdf};

/// A KEM as HPKE uses it (RFC 9180 §4, draft-ietf-hpke-hpke §4): DHKEM, ML-KEM, or a PQ/T
/// hybrid of draft-ietf-hpke-pq.
///
/// Keys, encapsulations and shared secrets are byte strings of the lengths the KEM's registry
/// entry gives (`Npk`, `Nsk`, `Nenc`, `Nsecret`); HPKE needs nothing else, so a KEM with
/// kilobyte-sized keys and ciphertexts (ML-KEM-1024: 1568 bytes each) runs through the same code
/// as DHKEM.
///
/// # Implementing
/// Private keys are in `SerializePrivateKey` form (for ML-KEM and the hybrids, the seed), public
/// keys in `SerializePublicKey` form. `validate_public_key`, `encap` and `decap` reject
/// malformed input with [`CryptoErrorKind::InvalidPublicKey`] (a bad `enc` included) and
/// malformed private keys with [`CryptoErrorKind::InvalidPrivateKey`]. Never panic.
pub trait Kem: Send + Sync + fmt::Debug {
    /// The HPKE KEM identifier.
    fn kem_id(&self) -> u16;

    /// `Nsecret`: the length of the shared secret.
    fn secret_len(&self) -> usize;

    /// `Nenc`: the length of an encapsulation.
    fn enc_len(&self) -> usize;

    /// `Npk`: the length of a serialized public key.
    fn public_key_len(&self) -> usize;

    /// `Nsk`: the length of a serialized private key.
    fn private_key_len(&self) -> usize;

    /// `GenerateKeyPair()`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::Random`] when the RNG fails.
    fn generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError>;

    /// `DeriveKeyPair(ikm)`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::DeriveKeyPairFailed`] when no candidate is a valid key.
    fn derive_key_pair(&self, ikm: &[u8]) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError>;

    /// The public key of `sk`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPrivateKey`] for a malformed key.
    fn public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError>;

    /// Checks a serialized public key.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPublicKey`].
    fn validate_public_key(&self, pk: &[u8]) -> Result<(), CryptoError>;

    /// `Encap(pkR)`: `(shared_secret, enc)`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPublicKey`] (or [`CryptoErrorKind::ZeroSharedSecret`]) for a
    /// bad `pk_r`; [`CryptoErrorKind::Random`] when the RNG fails.
    fn encap(&self, pk_r: &[u8]) -> Result<(Secret, Vec<u8>), CryptoError>;

    /// `Encap(pkR)` with its randomness given, for known-answer tests: the `ikmE` of the test
    /// vectors. For DHKEM that is the input of `DeriveKeyPair` for the ephemeral key (RFC 9180
    /// Appendix A); for ML-KEM and the hybrids, the `EncapsDerand` randomness (32 bytes for
    /// ML-KEM, then the traditional group's seed for a hybrid).
    ///
    /// # Errors
    /// As [`Kem::encap`]; [`CryptoErrorKind::InvalidLength`] for randomness of the wrong length.
    ///
    /// # Security
    /// Only for tests: reusing randomness breaks the KEM.
    fn encap_derand(
        &self,
        pk_r: &[u8],
        randomness: &[u8],
    ) -> Result<(Secret, Vec<u8>), CryptoError>;

    /// `Decap(enc, skR)`, where `pk_r` is the public key of `sk_r` (DHKEM binds it into the
    /// shared secret; other KEMs may ignore it).
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPublicKey`] for a malformed `enc`,
    /// [`CryptoErrorKind::InvalidPrivateKey`] for a malformed `sk_r`.
    fn decap(&self, enc: &[u8], sk_r: &HpkePrivateKey, pk_r: &[u8]) -> Result<Secret, CryptoError>;
}

/// DHKEM(Group, KDF): `Encap`, `Decap` and `DeriveKeyPair` of RFC 9180 §4.1 and §7.1.3.
#[derive(Debug, Clone, Copy)]
pub struct Dhkem<'a> {
    dh: &'a dyn DhGroup,
    kdf: &'a dyn Kdf,
}

impl<'a> Dhkem<'a> {
    /// The DHKEM over `dh` with the KEM's own KDF `kdf`.
    pub fn new(dh: &'a dyn DhGroup, kdf: &'a dyn Kdf) -> Self {
        Self { dh, kdf }
    }

    /// The KEM identifier.
    pub fn kem_id(&self) -> u16 {
        self.dh.kem_id()
    }

    /// The group.
    pub fn group(&self) -> &'a dyn DhGroup {
        self.dh
    }

    /// `Nsecret`: the length of the KEM shared secret (the KDF's `Nh`).
    pub fn secret_len(&self) -> usize {
        self.kdf.hash_len()
    }

    /// `DeriveKeyPair(ikm)` (RFC 9180 §7.1.3).
    ///
    /// # Errors
    /// [`CryptoErrorKind::DeriveKeyPairFailed`] when 256 candidates are all invalid.
    pub fn derive_key_pair(
        &self,
        ikm: &[u8],
    ) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        let suite_id = self.suite_id();
        let dkp_prk = labeled_extract(self.kdf, &suite_id, &[], b"dkp_prk", ikm)?;
        let nsk = self.dh.private_key_len();
        let sk = match self.dh.derive_method() {
            DeriveMethod::Expand => {
                let bytes =
                    labeled_expand(self.kdf, &suite_id, dkp_prk.as_bytes(), b"sk", &[], nsk)?;
                self.dh.private_key_from_bytes(bytes.as_bytes())?
            }
            DeriveMethod::Rejection { bitmask } => {
                let mut found = None;
                for counter in 0..=255u8 {
                    let candidate = labeled_expand(
                        self.kdf,
                        &suite_id,
                        dkp_prk.as_bytes(),
                        b"candidate",
                        &[counter],
                        nsk,
                    )?;
                    let mut bytes = candidate.as_bytes().to_vec();
                    if let Some(first) = bytes.first_mut() {
                        *first &= bitmask;
                    }
                    let bytes = Secret::new(bytes);
                    if let Ok(sk) = self.dh.private_key_from_bytes(bytes.as_bytes()) {
                        found = Some(sk);
                        break;
                    }
                }
                found.ok_or(CryptoErrorKind::DeriveKeyPairFailed)?
            }
        };
        let pk = self.dh.public_key(&sk)?;
        Ok((sk, pk))
    }

    /// `Encap(pkR)` with a fresh ephemeral key: `(shared_secret, enc)`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPublicKey`] or [`CryptoErrorKind::ZeroSharedSecret`] for a bad
    /// `pk_r`.
    pub fn encap(&self, pk_r: &[u8]) -> Result<(Secret, Vec<u8>), CryptoError> {
        // One call, so that neither the ephemeral public key nor the imported private key is
        // computed twice.
        let (pk_e, dh) = self.dh.generate_and_dh(pk_r)?;
        let enc = pk_e.0.into_vec();
        let shared = self.extract_and_expand(&dh, &enc, pk_r)?;
        Ok((shared, enc))
    }

    /// `Encap(pkR)` with the given ephemeral private key: deterministic, for known-answer tests.
    ///
    /// # Errors
    /// As [`Dhkem::encap`].
    pub fn encap_with_ephemeral(
        &self,
        pk_r: &[u8],
        sk_e: &HpkePrivateKey,
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        let enc = self.dh.public_key(sk_e)?.0.into_vec();
        self.encap_to(pk_r, sk_e, enc)
    }

    /// `Encap(pkR)` with the ephemeral key pair `(sk_e, enc)`.
    ///
    /// `pk_r` is not validated separately: [`DhGroup::dh`] rejects exactly the keys
    /// [`DhGroup::validate_public_key`] rejects (malformed, off-curve, identity, and small-order
    /// ones through the all-zero check), so a separate validation only repeated the
    /// Diffie-Hellman work.
    fn encap_to(
        &self,
        pk_r: &[u8],
        sk_e: &HpkePrivateKey,
        enc: Vec<u8>,
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        let dh = self.dh.dh(sk_e, pk_r)?;
        let shared = self.extract_and_expand(&dh, &enc, pk_r)?;
        Ok((shared, enc))
    }

    /// `Decap(enc, skR)`, where `pk_r` is the public key of `sk_r`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPublicKey`] for a malformed `enc`,
    /// [`CryptoErrorKind::ZeroSharedSecret`] for a small-order one.
    pub fn decap(
        &self,
        enc: &[u8],
        sk_r: &HpkePrivateKey,
        pk_r: &[u8],
    ) -> Result<Secret, CryptoError> {
        // `dh` rejects every `enc` that `validate_public_key` would (see `encap_to`).
        let dh = self.dh.dh(sk_r, enc)?;
        self.extract_and_expand(&dh, enc, pk_r)
    }

    /// `ExtractAndExpand(dh, enc || pkRm)`: the step an HSM key handle that only performs `DH`
    /// needs to finish `Decap`.
    ///
    /// # Errors
    /// Only on a KDF failure.
    pub fn extract_and_expand(
        &self,
        dh: &Secret,
        enc: &[u8],
        pk_r: &[u8],
    ) -> Result<Secret, CryptoError> {
        let suite_id = self.suite_id();
        let mut kem_context = Vec::with_capacity(enc.len() + pk_r.len());
        kem_context.extend_from_slice(enc);
        kem_context.extend_from_slice(pk_r);
        let eae_prk = labeled_extract(self.kdf, &suite_id, &[], b"eae_prk", dh.as_bytes())?;
        labeled_expand(
            self.kdf,
            &suite_id,
            eae_prk.as_bytes(),
            b"shared_secret",
            &kem_context,
            self.secret_len(),
        )
    }

    fn suite_id(&self) -> [u8; 5] {
        kem_suite_id(self.dh.kem_id())
    }
}

impl Kem for Dhkem<'_> {
    fn kem_id(&self) -> u16 {
        self.dh.kem_id()
    }

    fn secret_len(&self) -> usize {
        self.kdf.hash_len()
    }

    fn enc_len(&self) -> usize {
        self.public_key_len()
    }

    fn public_key_len(&self) -> usize {
        // X25519 and X448 keys are as long as their scalars; NIST points are uncompressed.
        let n = self.dh.private_key_len();
        match self.dh.derive_method() {
            DeriveMethod::Expand => n,
            DeriveMethod::Rejection { .. } => 1 + 2 * n,
        }
    }

    fn private_key_len(&self) -> usize {
        self.dh.private_key_len()
    }

    fn generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        self.dh.generate()
    }

    fn derive_key_pair(&self, ikm: &[u8]) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        Dhkem::derive_key_pair(self, ikm)
    }

    fn public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        self.dh.public_key(sk)
    }

    fn validate_public_key(&self, pk: &[u8]) -> Result<(), CryptoError> {
        self.dh.validate_public_key(pk)
    }

    fn encap(&self, pk_r: &[u8]) -> Result<(Secret, Vec<u8>), CryptoError> {
        Dhkem::encap(self, pk_r)
    }

    fn encap_derand(
        &self,
        pk_r: &[u8],
        randomness: &[u8],
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        let (sk_e, _) = Dhkem::derive_key_pair(self, randomness)?;
        self.encap_with_ephemeral(pk_r, &sk_e)
    }

    fn decap(&self, enc: &[u8], sk_r: &HpkePrivateKey, pk_r: &[u8]) -> Result<Secret, CryptoError> {
        Dhkem::decap(self, enc, sk_r, pk_r)
    }
}
