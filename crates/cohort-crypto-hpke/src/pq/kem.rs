//! The post-quantum HPKE KEMs of draft-ietf-hpke-pq: ML-KEM-512/768/1024 (FIPS 203) and the
//! PQ/T hybrids MLKEM768-X25519 (X-Wing), MLKEM768-P256 and MLKEM1024-P384 of
//! draft-irtf-cfrg-concrete-hybrid-kems, with the C2PRI ("QSF") combiner of
//! draft-irtf-cfrg-hybrid-kems, written once over a backend's ML-KEM ([`MlKem`]) and its
//! Diffie-Hellman groups ([`DhGroup`]).
//!
//! ```text
//! ML-KEM (Nsk = 64, the seed d || z):
//!   DeriveKeyPair(ikm)   dk = SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "", 64)
//!                        ek = ML-KEM.KeyGen_internal(dk[..32], dk[32..])
//!   Encap(ek; m)         (ss, ct) = ML-KEM.Encaps_internal(ek, m), m = 32 random bytes
//!   Decap(ct, dk)        ML-KEM.Decaps(expand(dk), ct)
//!
//! Hybrid of ML-KEM and a group T (Nsk = 32, the seed):
//!   DeriveKeyPair(ikm)   seed = SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "", 32)
//!   expand(seed)         SHAKE256(seed, 64 + Nseed_T) = seed_PQ (64) || seed_T
//!                        (dk_PQ, ek_PQ) = ML-KEM.KeyGen_internal(seed_PQ)
//!                        dk_T = RandomScalar(seed_T), ek_T = dk_T * G
//!   ek                   ek_PQ || ek_T
//!   Encap(ek; m || seed_E)
//!                        (ss_PQ, ct_PQ) = ML-KEM.Encaps_internal(ek_PQ, m)
//!                        sk_E = RandomScalar(seed_E), ct_T = sk_E * G, ss_T = x(sk_E * ek_T)
//!   enc                  ct_PQ || ct_T
//!   shared secret        SHA3-256(ss_PQ || ss_T || ct_T || ek_T || label)
//!
//! T        Nseed_T  RandomScalar                                label
//! X25519   32       the seed (X25519 clamps it)                 "\.//^\"
//! P-256    96       first of 3 big-endian 32-byte chunks in     "MLKEM768-P256"
//!                   [1, n), else DeriveKeyPairFailed
//! P-384    48       the 48-byte chunk if in [1, n)              "MLKEM1024-P384"
//! ```
//!
//! The group half takes any key its [`DhGroup`] parses, and its shared secret is not checked
//! for zero: X-Wing (and the generic QSF construction) define no such check, and the hybrid's
//! secret rests on ML-KEM when the group half is degenerate. An X25519 public key is any 32
//! bytes here (a [`DhGroup`] refuses small-order ones for DHKEM), and an all-zero agreement that
//! a [`DhGroup`] refuses is taken as the zero string it is.

use std::fmt;

use cohort_crypto::{CryptoError, CryptoErrorKind, HpkePrivateKey, HpkePublicKey, Secret};
use sha3::Digest;
use zeroize::Zeroizing;

use super::xof::{XofKdf, shake256};
use crate::{DhGroup, Kem, kem_suite_id, labeled_derive};

/// The length of an ML-KEM seed (`d || z`) and of its encapsulation randomness `m`.
const ML_KEM_SEED_LEN: usize = 64;
const ML_KEM_RANDOM_LEN: usize = 32;
/// The length of a hybrid KEM's seed, its private key.
const HYBRID_SEED_LEN: usize = 32;
/// The length of every shared secret here.
const SECRET_LEN: usize = 32;

/// An ML-KEM parameter set (FIPS 203).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MlKemParams {
    /// ML-KEM-512.
    P512,
    /// ML-KEM-768.
    P768,
    /// ML-KEM-1024.
    P1024,
}

impl MlKemParams {
    /// The length of an encapsulation key.
    pub fn public_key_len(self) -> usize {
        match self {
            Self::P512 => 800,
            Self::P768 => 1184,
            Self::P1024 => 1568,
        }
    }

    /// The length of a ciphertext.
    pub fn ciphertext_len(self) -> usize {
        match self {
            Self::P512 => 768,
            Self::P768 => 1088,
            Self::P1024 => 1568,
        }
    }
}

/// A backend's ML-KEM (FIPS 203), keyed by the 64-byte seed `d || z` as draft-ietf-hpke-pq
/// keeps private keys. [`SoftMlKem`](super::SoftMlKem) implements all of it with the `ml-kem`
/// crate; a backend whose library lacks part of it (a key pair from a seed, deterministic
/// encapsulation) takes that part from there.
///
/// # Implementing
/// Never panic; a malformed key or ciphertext is an error of the matching kind.
pub trait MlKem: Send + Sync + fmt::Debug {
    /// The encapsulation key of `seed` (`ML-KEM.KeyGen_internal(d, z)`).
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPrivateKey`] for a seed of the wrong length.
    fn public_key(&self, params: MlKemParams, seed: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// The encapsulation-key checks of FIPS 203 §7.2 (length and modulus).
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPublicKey`].
    fn validate(&self, params: MlKemParams, ek: &[u8]) -> Result<(), CryptoError>;

    /// `ML-KEM.Encaps_internal(ek, m)`: `(shared secret, ciphertext)`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPublicKey`], [`CryptoErrorKind::InvalidLength`] for `m`.
    fn encap_derand(
        &self,
        params: MlKemParams,
        ek: &[u8],
        m: &[u8],
    ) -> Result<(Secret, Vec<u8>), CryptoError>;

    /// `ML-KEM.Encaps(ek)` with fresh randomness from `random_fill` or the library's own.
    ///
    /// # Errors
    /// As [`MlKem::encap_derand`], and [`CryptoErrorKind::Random`].
    fn encap(
        &self,
        params: MlKemParams,
        ek: &[u8],
        random_fill: fn(&mut [u8]) -> Result<(), CryptoError>,
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        let mut m = Secret::new(vec![0; ML_KEM_RANDOM_LEN]);
        random_fill(m.as_mut_bytes())?;
        self.encap_derand(params, ek, m.as_bytes())
    }

    /// `ML-KEM.Decaps(dk, ct)` with the decapsulation key of `seed`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPrivateKey`], or [`CryptoErrorKind::InvalidPublicKey`] for a
    /// ciphertext of the wrong length.
    fn decap(&self, params: MlKemParams, seed: &[u8], ct: &[u8]) -> Result<Secret, CryptoError>;
}

/// Which KEM of draft-ietf-hpke-pq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PqKemId {
    /// ML-KEM-512 (`0x0040`).
    MlKem512,
    /// ML-KEM-768 (`0x0041`).
    MlKem768,
    /// ML-KEM-1024 (`0x0042`).
    MlKem1024,
    /// MLKEM768-P256 (`0x0050`).
    MlKem768P256,
    /// MLKEM1024-P384 (`0x0051`).
    MlKem1024P384,
    /// MLKEM768-X25519, X-Wing (`0x647a`).
    XWing,
}

impl PqKemId {
    /// Every KEM of draft-ietf-hpke-pq.
    pub const ALL: [Self; 6] = [
        Self::MlKem512,
        Self::MlKem768,
        Self::MlKem1024,
        Self::MlKem768P256,
        Self::MlKem1024P384,
        Self::XWing,
    ];

    /// The HPKE KEM identifier.
    pub fn kem_id(self) -> u16 {
        match self {
            Self::MlKem512 => 0x0040,
            Self::MlKem768 => 0x0041,
            Self::MlKem1024 => 0x0042,
            Self::MlKem768P256 => 0x0050,
            Self::MlKem1024P384 => 0x0051,
            Self::XWing => 0x647a,
        }
    }

    /// The ML-KEM parameter set, alone or under the hybrid.
    pub fn ml_kem(self) -> MlKemParams {
        match self {
            Self::MlKem512 => MlKemParams::P512,
            Self::MlKem768 | Self::MlKem768P256 | Self::XWing => MlKemParams::P768,
            Self::MlKem1024 | Self::MlKem1024P384 => MlKemParams::P1024,
        }
    }

    /// The DHKEM identifier of the traditional half's group (the [`DhGroup::kem_id`] a backend
    /// gives it), `None` for pure ML-KEM.
    pub fn group_kem_id(self) -> Option<u16> {
        self.group().map(Group::dhkem_id)
    }

    fn group(self) -> Option<Group> {
        match self {
            Self::MlKem512 | Self::MlKem768 | Self::MlKem1024 => None,
            Self::MlKem768P256 => Some(Group::P256),
            Self::MlKem1024P384 => Some(Group::P384),
            Self::XWing => Some(Group::X25519),
        }
    }
}

/// A KEM of draft-ietf-hpke-pq over a backend's [`MlKem`] and, for a hybrid, its
/// [`DhGroup`] of the traditional half.
#[derive(Clone, Copy)]
pub struct PqKem {
    id: PqKemId,
    ml_kem: &'static dyn MlKem,
    group: Option<&'static dyn DhGroup>,
    random_fill: fn(&mut [u8]) -> Result<(), CryptoError>,
}

impl fmt::Debug for PqKem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PqKem")
            .field("id", &self.id)
            .field("ml_kem", &self.ml_kem)
            .finish_non_exhaustive()
    }
}

impl PqKem {
    /// The KEM `id` over `ml_kem` and, for a hybrid, the group among `groups` whose
    /// [`DhGroup::kem_id`] is the DHKEM of its traditional half; `None` when `groups` lacks it.
    pub fn new<G: DhGroup>(
        id: PqKemId,
        ml_kem: &'static dyn MlKem,
        groups: &'static [G],
        random_fill: fn(&mut [u8]) -> Result<(), CryptoError>,
    ) -> Option<Self> {
        let group = match id.group_kem_id() {
            None => None,
            Some(kem_id) => Some(groups.iter().find(|g| g.kem_id() == kem_id)? as &dyn DhGroup),
        };
        Some(Self {
            id,
            ml_kem,
            group,
            random_fill,
        })
    }

    /// Which KEM this is.
    pub fn id(&self) -> PqKemId {
        self.id
    }

    fn params(&self) -> MlKemParams {
        self.id.ml_kem()
    }

    /// The traditional half: its description and the backend's group.
    fn hybrid(&self) -> Result<Option<(Group, &'static dyn DhGroup)>, CryptoError> {
        match (self.id.group(), self.group) {
            (None, _) => Ok(None),
            (Some(g), Some(dh)) => Ok(Some((g, dh))),
            (Some(_), None) => Err(CryptoErrorKind::Backend.into()),
        }
    }

    /// `SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "", Nsk)` under `"KEM" || kem_id`.
    fn derive_seed(&self, ikm: &[u8]) -> Result<Secret, CryptoError> {
        labeled_derive(
            &XofKdf::Shake256,
            &kem_suite_id(self.kem_id()),
            ikm,
            b"DeriveKeyPair",
            &[],
            self.private_key_len(),
        )
    }

    /// The private key as a seed of the right length.
    fn seed<'k>(&self, sk: &'k HpkePrivateKey) -> Result<&'k [u8], CryptoError> {
        let sk = sk.as_bytes();
        if sk.len() != self.private_key_len() {
            return Err(CryptoErrorKind::InvalidPrivateKey.into());
        }
        Ok(sk)
    }

    /// The key pair of a seed (a private key).
    fn key_pair(&self, seed: Secret) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        let pk = self.public_key_of(seed.as_bytes())?;
        Ok((HpkePrivateKey::from_slice(seed.as_bytes()), pk))
    }

    fn public_key_of(&self, seed: &[u8]) -> Result<HpkePublicKey, CryptoError> {
        let pk = match self.hybrid()? {
            None => self.ml_kem.public_key(self.params(), seed)?,
            Some((group, dh)) => {
                let keys = HybridKeys::expand(self, group, dh, seed)?;
                let mut pk = keys.ek_pq;
                pk.extend_from_slice(&keys.ek_t);
                pk
            }
        };
        Ok(HpkePublicKey::from(pk))
    }

    /// Splits a hybrid value (a public key or an encapsulation) into its ML-KEM and group
    /// halves, checking its length.
    fn split<'v>(
        &self,
        value: &'v [u8],
        pq_len: usize,
    ) -> Result<(&'v [u8], &'v [u8]), CryptoError> {
        let group_len = self.id.group().map_or(0, Group::element_len);
        if value.len() != pq_len + group_len {
            return Err(CryptoErrorKind::InvalidPublicKey.into());
        }
        Ok(value.split_at(pq_len))
    }

    /// `Encap`, with `randomness` (`m || seed_E`) or fresh randomness when `None`.
    fn encap_with(
        &self,
        pk_r: &[u8],
        randomness: Option<&[u8]>,
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        let params = self.params();
        let (ek_pq, ek_t) = self.split(pk_r, params.public_key_len())?;
        let ml_kem_encap = |m: Option<&[u8]>| match m {
            Some(m) => self.ml_kem.encap_derand(params, ek_pq, m),
            None => self.ml_kem.encap(params, ek_pq, self.random_fill),
        };
        let Some((group, dh)) = self.hybrid()? else {
            if let Some(r) = randomness
                && r.len() != ML_KEM_RANDOM_LEN
            {
                return Err(CryptoErrorKind::InvalidLength.into());
            }
            return ml_kem_encap(randomness);
        };
        let fresh;
        let (m, seed_e) = match randomness {
            Some(r) if r.len() == ML_KEM_RANDOM_LEN + group.seed_len() => {
                let (m, seed_e) = r.split_at(ML_KEM_RANDOM_LEN);
                (Some(m), seed_e)
            }
            Some(_) => return Err(CryptoErrorKind::InvalidLength.into()),
            None => {
                let mut seed_e = Secret::new(vec![0; group.seed_len()]);
                (self.random_fill)(seed_e.as_mut_bytes())?;
                fresh = seed_e;
                (None, fresh.as_bytes())
            }
        };
        // Check the group half before any work on the ML-KEM half.
        group.validate(dh, ek_t)?;
        let sk_e = group.random_scalar(dh, seed_e)?;
        let ct_t = dh.public_key(&sk_e)?;
        let ss_t = group.agree(dh, &sk_e, ek_t)?;
        let (ss_pq, mut enc) = ml_kem_encap(m)?;
        let shared = combine(group, &ss_pq, &ss_t, ct_t.as_ref(), ek_t);
        enc.extend_from_slice(ct_t.as_ref());
        Ok((shared, enc))
    }
}

impl Kem for PqKem {
    fn kem_id(&self) -> u16 {
        self.id.kem_id()
    }

    fn secret_len(&self) -> usize {
        SECRET_LEN
    }

    fn enc_len(&self) -> usize {
        self.params().ciphertext_len() + self.id.group().map_or(0, Group::element_len)
    }

    fn public_key_len(&self) -> usize {
        self.params().public_key_len() + self.id.group().map_or(0, Group::element_len)
    }

    fn private_key_len(&self) -> usize {
        match self.id.group() {
            None => ML_KEM_SEED_LEN,
            Some(_) => HYBRID_SEED_LEN,
        }
    }

    fn generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        let mut seed = Secret::new(vec![0; self.private_key_len()]);
        (self.random_fill)(seed.as_mut_bytes())?;
        self.key_pair(seed)
    }

    fn derive_key_pair(&self, ikm: &[u8]) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        self.key_pair(self.derive_seed(ikm)?)
    }

    fn public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        self.public_key_of(self.seed(sk)?)
    }

    fn validate_public_key(&self, pk: &[u8]) -> Result<(), CryptoError> {
        let params = self.params();
        let (ek_pq, ek_t) = self.split(pk, params.public_key_len())?;
        self.ml_kem.validate(params, ek_pq)?;
        if let Some((group, dh)) = self.hybrid()? {
            group.validate(dh, ek_t)?;
        }
        Ok(())
    }

    fn encap(&self, pk_r: &[u8]) -> Result<(Secret, Vec<u8>), CryptoError> {
        self.encap_with(pk_r, None).map_err(|e| match e.kind() {
            // Three rejected P-256 candidates from a working RNG: about 2^-96.
            CryptoErrorKind::DeriveKeyPairFailed => CryptoErrorKind::Random.into(),
            _ => e,
        })
    }

    fn encap_derand(
        &self,
        pk_r: &[u8],
        randomness: &[u8],
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        self.encap_with(pk_r, Some(randomness))
    }

    fn decap(
        &self,
        enc: &[u8],
        sk_r: &HpkePrivateKey,
        _pk_r: &[u8],
    ) -> Result<Secret, CryptoError> {
        let seed = self.seed(sk_r)?;
        let params = self.params();
        let (ct_pq, ct_t) = self.split(enc, params.ciphertext_len())?;
        let Some((group, dh)) = self.hybrid()? else {
            return self.ml_kem.decap(params, seed, ct_pq);
        };
        let keys = HybridKeys::expand(self, group, dh, seed)?;
        let ss_t = group.agree(dh, &keys.dk_t, ct_t)?;
        let ss_pq = self.ml_kem.decap(params, keys.seed_pq.as_bytes(), ct_pq)?;
        Ok(combine(group, &ss_pq, &ss_t, ct_t, &keys.ek_t))
    }
}

/// A [`PqKem`] whose `DeriveKeyPair` takes `SHAKE256(ikm)` as the seed, without
/// draft-ietf-hpke-pq's `LabeledDerive`: how OpenMLS 0.9 (hpke-rs 0.7) derives a node's key
/// pair from a path secret. Everything else is the draft's. Selected by
/// [`PqSeedDerivation::PlainShake256`](cohort_crypto::PqSeedDerivation::PlainShake256) for a
/// preset's aliased suites only.
#[derive(Debug, Clone, Copy)]
pub struct PlainSeed(pub PqKem);

impl Kem for PlainSeed {
    fn kem_id(&self) -> u16 {
        self.0.kem_id()
    }
    fn secret_len(&self) -> usize {
        self.0.secret_len()
    }
    fn enc_len(&self) -> usize {
        self.0.enc_len()
    }
    fn public_key_len(&self) -> usize {
        self.0.public_key_len()
    }
    fn private_key_len(&self) -> usize {
        self.0.private_key_len()
    }
    fn generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        self.0.generate()
    }
    fn derive_key_pair(&self, ikm: &[u8]) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        self.0.key_pair(shake256(ikm, self.0.private_key_len()))
    }
    fn public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        self.0.public_key(sk)
    }
    fn validate_public_key(&self, pk: &[u8]) -> Result<(), CryptoError> {
        self.0.validate_public_key(pk)
    }
    fn encap(&self, pk_r: &[u8]) -> Result<(Secret, Vec<u8>), CryptoError> {
        self.0.encap(pk_r)
    }
    fn encap_derand(
        &self,
        pk_r: &[u8],
        randomness: &[u8],
    ) -> Result<(Secret, Vec<u8>), CryptoError> {
        self.0.encap_derand(pk_r, randomness)
    }
    fn decap(&self, enc: &[u8], sk_r: &HpkePrivateKey, pk_r: &[u8]) -> Result<Secret, CryptoError> {
        self.0.decap(enc, sk_r, pk_r)
    }
}

/// The C2PRI combiner: `SHA3-256(ss_PQ || ss_T || ct_T || ek_T || label)`.
fn combine(group: Group, ss_pq: &Secret, ss_t: &Secret, ct_t: &[u8], ek_t: &[u8]) -> Secret {
    let mut hash = sha3::Sha3_256::new();
    hash.update(ss_pq.as_bytes());
    hash.update(ss_t.as_bytes());
    hash.update(ct_t);
    hash.update(ek_t);
    hash.update(group.label());
    // The hasher's state, which absorbed both shared secrets, is erased when it is dropped.
    let shared = Zeroizing::new(hash.finalize());
    Secret::from_slice(shared.as_slice())
}

/// The component keys of a hybrid seed.
struct HybridKeys {
    seed_pq: Secret,
    ek_pq: Vec<u8>,
    dk_t: HpkePrivateKey,
    ek_t: Vec<u8>,
}

impl HybridKeys {
    /// `expand(seed)`: `SHAKE256(seed, 64 + Nseed_T)` split into the ML-KEM seed and the group
    /// seed, and the key pairs of both.
    fn expand(
        kem: &PqKem,
        group: Group,
        dh: &dyn DhGroup,
        seed: &[u8],
    ) -> Result<Self, CryptoError> {
        if seed.len() != HYBRID_SEED_LEN {
            return Err(CryptoErrorKind::InvalidPrivateKey.into());
        }
        let expanded = shake256(seed, ML_KEM_SEED_LEN + group.seed_len());
        let (seed_pq, seed_t) = expanded.as_bytes().split_at(ML_KEM_SEED_LEN);
        let dk_t = group.random_scalar(dh, seed_t)?;
        let ek_t = dh.public_key(&dk_t)?.as_ref().to_vec();
        Ok(Self {
            ek_pq: kem.ml_kem.public_key(kem.params(), seed_pq)?,
            seed_pq: Secret::from_slice(seed_pq),
            dk_t,
            ek_t,
        })
    }
}

/// The traditional group of a hybrid (a "nominal group" of draft-irtf-cfrg-hybrid-kems): what
/// the construction fixes about it; the arithmetic is the backend's [`DhGroup`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    X25519,
    P256,
    P384,
}

impl Group {
    /// The DHKEM of this group (RFC 9180 §7.1), by which a backend's [`DhGroup`] is found.
    fn dhkem_id(self) -> u16 {
        match self {
            Self::X25519 => 0x0020,
            Self::P256 => 0x0010,
            Self::P384 => 0x0011,
        }
    }

    /// `Nseed`: the bytes `RandomScalar` takes.
    fn seed_len(self) -> usize {
        match self {
            Self::X25519 => 32,
            Self::P256 => 96,
            Self::P384 => 48,
        }
    }

    /// The length of a scalar and of a field element.
    fn scalar_len(self) -> usize {
        match self {
            Self::X25519 | Self::P256 => 32,
            Self::P384 => 48,
        }
    }

    /// The length of a serialized element (a public key or a ciphertext).
    fn element_len(self) -> usize {
        match self {
            Self::X25519 => 32,
            Self::P256 => 65,
            Self::P384 => 97,
        }
    }

    fn label(self) -> &'static [u8] {
        match self {
            Self::X25519 => b"\\.//^\\",
            Self::P256 => b"MLKEM768-P256",
            Self::P384 => b"MLKEM1024-P384",
        }
    }

    /// `RandomScalar`: the seed itself for X25519 (which clamps it); for the NIST curves the
    /// first chunk that is a scalar in `[1, n)`, else [`CryptoErrorKind::DeriveKeyPairFailed`].
    fn random_scalar(self, dh: &dyn DhGroup, seed: &[u8]) -> Result<HpkePrivateKey, CryptoError> {
        if seed.len() != self.seed_len() {
            return Err(CryptoErrorKind::InvalidLength.into());
        }
        if self == Self::X25519 {
            return Ok(HpkePrivateKey::from_slice(seed));
        }
        seed.chunks_exact(self.scalar_len())
            .find_map(|chunk| dh.private_key_from_bytes(chunk).ok())
            .ok_or_else(|| CryptoErrorKind::DeriveKeyPairFailed.into())
    }

    /// Checks an element: any 32 bytes for X25519, an uncompressed point on the curve (not the
    /// identity) for the NIST curves.
    fn validate(self, dh: &dyn DhGroup, pk: &[u8]) -> Result<(), CryptoError> {
        match self {
            Self::X25519 if pk.len() == 32 => Ok(()),
            Self::X25519 => Err(CryptoErrorKind::InvalidPublicKey.into()),
            Self::P256 | Self::P384 => dh.validate_public_key(pk),
        }
    }

    /// The shared secret of `sk` and the element `pk` (the X25519 output, or the
    /// x-coordinate), an all-zero one included.
    fn agree(
        self,
        dh: &dyn DhGroup,
        sk: &HpkePrivateKey,
        pk: &[u8],
    ) -> Result<Secret, CryptoError> {
        // A small-order X25519 point gives zero with every key; some libraries refuse it.
        if self == Self::X25519
            && let Ok(u) = <&[u8; 32]>::try_from(pk)
            && crate::x25519::is_small_order(u)
        {
            return Ok(Secret::new(vec![0; self.scalar_len()]));
        }
        match dh.dh(sk, pk) {
            Err(e) if e.kind() == CryptoErrorKind::ZeroSharedSecret => {
                Ok(Secret::new(vec![0; self.scalar_len()]))
            }
            other => other,
        }
    }
}
