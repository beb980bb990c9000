//! The post-quantum HPKE KEMs of draft-ietf-hpke-pq: ML-KEM-512/768/1024 (FIPS 203, from the
//! `ml-kem` crate) and the PQ/T hybrids MLKEM768-X25519 (X-Wing), MLKEM768-P256 and
//! MLKEM1024-P384 of draft-irtf-cfrg-concrete-hybrid-kems, built here from ML-KEM and the
//! curve crates with the C2PRI ("QSF") combiner of draft-irtf-cfrg-hybrid-kems.
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
//! The X25519 output is not checked for zero: X-Wing (and the generic QSF construction) define
//! none, and the hybrid's secret rests on ML-KEM when the X25519 half is degenerate.

use cohort_crypto::{CryptoError, CryptoErrorKind, HpkePrivateKey, HpkePublicKey, Secret};
use cohort_crypto_hpke::{Kem, kem_suite_id, labeled_derive};
use sha3::Digest;
use zeroize::Zeroizing;

use crate::rng;
use crate::xof::{XofKdf, shake256};

/// The length of an ML-KEM seed (`d || z`) and of its encapsulation randomness `m`.
const ML_KEM_SEED_LEN: usize = 64;
const ML_KEM_RANDOM_LEN: usize = 32;
/// The length of a hybrid KEM's seed, its private key.
const HYBRID_SEED_LEN: usize = 32;
/// The length of every shared secret here.
const SECRET_LEN: usize = 32;

/// A post-quantum or hybrid KEM of draft-ietf-hpke-pq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PqKem {
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

impl PqKem {
    /// Every KEM of this module.
    pub(crate) const ALL: [Self; 6] = [
        Self::MlKem512,
        Self::MlKem768,
        Self::MlKem1024,
        Self::MlKem768P256,
        Self::MlKem1024P384,
        Self::XWing,
    ];

    /// The ML-KEM parameter set, alone or under the hybrid.
    fn ml_kem(self) -> MlKem {
        match self {
            Self::MlKem512 => MlKem::P512,
            Self::MlKem768 | Self::MlKem768P256 | Self::XWing => MlKem::P768,
            Self::MlKem1024 | Self::MlKem1024P384 => MlKem::P1024,
        }
    }

    /// The traditional half of a hybrid, `None` for pure ML-KEM.
    fn group(self) -> Option<Group> {
        match self {
            Self::MlKem512 | Self::MlKem768 | Self::MlKem1024 => None,
            Self::MlKem768P256 => Some(Group::P256),
            Self::MlKem1024P384 => Some(Group::P384),
            Self::XWing => Some(Group::X25519),
        }
    }

    /// `SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "", Nsk)` under `"KEM" || kem_id`.
    fn derive_seed(self, ikm: &[u8]) -> Result<Secret, CryptoError> {
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
    fn seed(self, sk: &HpkePrivateKey) -> Result<&[u8], CryptoError> {
        let sk = sk.as_bytes();
        if sk.len() != self.private_key_len() {
            return Err(CryptoErrorKind::InvalidPrivateKey.into());
        }
        Ok(sk)
    }

    /// The key pair of a seed (a private key).
    fn key_pair(self, seed: Secret) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        let pk = self.public_key_of(seed.as_bytes())?;
        Ok((HpkePrivateKey::from_slice(seed.as_bytes()), pk))
    }

    fn public_key_of(self, seed: &[u8]) -> Result<HpkePublicKey, CryptoError> {
        let pk = match self.group() {
            None => self.ml_kem().public_key(seed)?,
            Some(group) => {
                let keys = HybridKeys::expand(self.ml_kem(), group, seed)?;
                let mut pk = keys.ek_pq;
                pk.extend_from_slice(&keys.ek_t);
                pk
            }
        };
        Ok(HpkePublicKey::from(pk))
    }

    /// Splits a hybrid value (a public key or an encapsulation) into its ML-KEM and group
    /// halves, checking its length.
    fn split(self, value: &[u8], pq_len: usize) -> Result<(&[u8], &[u8]), CryptoError> {
        let group_len = self.group().map_or(0, Group::element_len);
        if value.len() != pq_len + group_len {
            return Err(CryptoErrorKind::InvalidPublicKey.into());
        }
        Ok(value.split_at(pq_len))
    }
}

impl Kem for PqKem {
    fn kem_id(&self) -> u16 {
        match self {
            Self::MlKem512 => 0x0040,
            Self::MlKem768 => 0x0041,
            Self::MlKem1024 => 0x0042,
            Self::MlKem768P256 => 0x0050,
            Self::MlKem1024P384 => 0x0051,
            Self::XWing => 0x647a,
        }
    }

    fn secret_len(&self) -> usize {
        SECRET_LEN
    }

    fn enc_len(&self) -> usize {
        self.ml_kem().ciphertext_len() + self.group().map_or(0, Group::element_len)
    }

    fn public_key_len(&self) -> usize {
        self.ml_kem().public_key_len() + self.group().map_or(0, Group::element_len)
    }

    fn private_key_len(&self) -> usize {
        match self.group() {
            None => ML_KEM_SEED_LEN,
            Some(_) => HYBRID_SEED_LEN,
        }
    }

    fn generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        let mut seed = Secret::new(vec![0; self.private_key_len()]);
        rng::fill(seed.as_mut_bytes())?;
        self.key_pair(seed)
    }

    fn derive_key_pair(&self, ikm: &[u8]) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        self.key_pair(self.derive_seed(ikm)?)
    }

    fn public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        self.public_key_of(self.seed(sk)?)
    }

    fn validate_public_key(&self, pk: &[u8]) -> Result<(), CryptoError> {
        let (ek_pq, ek_t) = self.split(pk, self.ml_kem().public_key_len())?;
        self.ml_kem().validate(ek_pq)?;
        if let Some(group) = self.group() {
            group.validate(ek_t)?;
        }
        Ok(())
    }

    fn encap(&self, pk_r: &[u8]) -> Result<(Secret, Vec<u8>), CryptoError> {
        let group_seed_len = self.group().map_or(0, Group::seed_len);
        let mut randomness = Secret::new(vec![0; ML_KEM_RANDOM_LEN + group_seed_len]);
        rng::fill(randomness.as_mut_bytes())?;
        self.encap_derand(pk_r, randomness.as_bytes())
            .map_err(|e| match e.kind() {
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
        let ml_kem = self.ml_kem();
        let group_seed_len = self.group().map_or(0, Group::seed_len);
        if randomness.len() != ML_KEM_RANDOM_LEN + group_seed_len {
            return Err(CryptoErrorKind::InvalidLength.into());
        }
        let (m, seed_e) = randomness.split_at(ML_KEM_RANDOM_LEN);
        let (ek_pq, ek_t) = self.split(pk_r, ml_kem.public_key_len())?;
        let Some(group) = self.group() else {
            return ml_kem.encap(ek_pq, m);
        };
        // Check the group half before any work on the ML-KEM half.
        group.validate(ek_t)?;
        let sk_e = group.random_scalar(seed_e)?;
        let ct_t = group.base_mult(&sk_e)?;
        let ss_t = group.dh(&sk_e, ek_t)?;
        let (ss_pq, mut enc) = ml_kem.encap(ek_pq, m)?;
        let shared = combine(group, &ss_pq, &ss_t, &ct_t, ek_t);
        enc.extend_from_slice(&ct_t);
        Ok((shared, enc))
    }

    fn decap(
        &self,
        enc: &[u8],
        sk_r: &HpkePrivateKey,
        _pk_r: &[u8],
    ) -> Result<Secret, CryptoError> {
        let seed = self.seed(sk_r)?;
        let ml_kem = self.ml_kem();
        let (ct_pq, ct_t) = self.split(enc, ml_kem.ciphertext_len())?;
        let Some(group) = self.group() else {
            return ml_kem.decap(seed, ct_pq);
        };
        let keys = HybridKeys::expand(ml_kem, group, seed)?;
        let ss_t = group.dh(&keys.dk_t, ct_t)?;
        let ss_pq = ml_kem.decap(keys.seed_pq.as_bytes(), ct_pq)?;
        Ok(combine(group, &ss_pq, &ss_t, ct_t, &keys.ek_t))
    }
}

/// A [`PqKem`] whose `DeriveKeyPair` takes `SHAKE256(ikm)` as the seed, without
/// draft-ietf-hpke-pq's `LabeledDerive`: how OpenMLS 0.9 (hpke-rs 0.7) derives a node's key
/// pair from a path secret. Everything else is the draft's. Selected by
/// [`PqSeedDerivation::PlainShake256`](cohort_crypto::PqSeedDerivation::PlainShake256) for a
/// preset's aliased suites only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PlainSeed(pub(crate) PqKem);

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
    dk_t: Secret,
    ek_t: Vec<u8>,
}

impl HybridKeys {
    /// `expand(seed)`: `SHAKE256(seed, 64 + Nseed_T)` split into the ML-KEM seed and the group
    /// seed, and the key pairs of both.
    fn expand(ml_kem: MlKem, group: Group, seed: &[u8]) -> Result<Self, CryptoError> {
        if seed.len() != HYBRID_SEED_LEN {
            return Err(CryptoErrorKind::InvalidPrivateKey.into());
        }
        let expanded = shake256(seed, ML_KEM_SEED_LEN + group.seed_len());
        let (seed_pq, seed_t) = expanded.as_bytes().split_at(ML_KEM_SEED_LEN);
        let dk_t = group.random_scalar(seed_t)?;
        let ek_t = group.base_mult(&dk_t)?;
        Ok(Self {
            ek_pq: ml_kem.public_key(seed_pq)?,
            seed_pq: Secret::from_slice(seed_pq),
            dk_t,
            ek_t,
        })
    }
}

/// An ML-KEM parameter set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MlKem {
    P512,
    P768,
    P1024,
}

/// The ML-KEM operations of one parameter set of the `ml-kem` crate.
macro_rules! ml_kem_ops {
    ($module:ident, $params:ident) => {
        mod $module {
            use cohort_crypto::{CryptoError, CryptoErrorKind, Secret};
            use ml_kem::$params::{DecapsulationKey, EncapsulationKey};
            use ml_kem::{B32, Decapsulate, KeyExport, Seed, TryKeyInit};
            use zeroize::Zeroizing;

            fn decapsulation_key(seed: &[u8]) -> Result<DecapsulationKey, CryptoError> {
                let seed = Zeroizing::new(
                    Seed::try_from(seed).map_err(|_| CryptoErrorKind::InvalidPrivateKey)?,
                );
                Ok(DecapsulationKey::from_seed(*seed))
            }

            fn encapsulation_key(ek: &[u8]) -> Result<EncapsulationKey, CryptoError> {
                // FIPS 203 §7.2: the length and modulus checks of the encapsulation key.
                EncapsulationKey::new_from_slice(ek)
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPublicKey, e))
            }

            pub(super) fn public_key(seed: &[u8]) -> Result<Vec<u8>, CryptoError> {
                let dk = decapsulation_key(seed)?;
                Ok(dk.encapsulation_key().to_bytes().to_vec())
            }

            pub(super) fn validate(ek: &[u8]) -> Result<(), CryptoError> {
                encapsulation_key(ek).map(drop)
            }

            pub(super) fn encap(ek: &[u8], m: &[u8]) -> Result<(Secret, Vec<u8>), CryptoError> {
                let ek = encapsulation_key(ek)?;
                let m =
                    Zeroizing::new(B32::try_from(m).map_err(|_| CryptoErrorKind::InvalidLength)?);
                let (ct, ss) = ek.encapsulate_deterministic(&m);
                let ss = Zeroizing::new(ss);
                Ok((Secret::from_slice(ss.as_slice()), ct.to_vec()))
            }

            pub(super) fn decap(seed: &[u8], ct: &[u8]) -> Result<Secret, CryptoError> {
                let dk = decapsulation_key(seed)?;
                let ss =
                    Zeroizing::new(dk.decapsulate_slice(ct).map_err(|e| {
                        CryptoError::with_source(CryptoErrorKind::InvalidPublicKey, e)
                    })?);
                Ok(Secret::from_slice(ss.as_slice()))
            }
        }
    };
}

ml_kem_ops!(ml_kem_512, ml_kem_512);
ml_kem_ops!(ml_kem_768, ml_kem_768);
ml_kem_ops!(ml_kem_1024, ml_kem_1024);

impl MlKem {
    fn public_key_len(self) -> usize {
        match self {
            Self::P512 => 800,
            Self::P768 => 1184,
            Self::P1024 => 1568,
        }
    }

    fn ciphertext_len(self) -> usize {
        match self {
            Self::P512 => 768,
            Self::P768 => 1088,
            Self::P1024 => 1568,
        }
    }

    fn public_key(self, seed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match self {
            Self::P512 => ml_kem_512::public_key(seed),
            Self::P768 => ml_kem_768::public_key(seed),
            Self::P1024 => ml_kem_1024::public_key(seed),
        }
    }

    fn validate(self, ek: &[u8]) -> Result<(), CryptoError> {
        match self {
            Self::P512 => ml_kem_512::validate(ek),
            Self::P768 => ml_kem_768::validate(ek),
            Self::P1024 => ml_kem_1024::validate(ek),
        }
    }

    fn encap(self, ek: &[u8], m: &[u8]) -> Result<(Secret, Vec<u8>), CryptoError> {
        match self {
            Self::P512 => ml_kem_512::encap(ek, m),
            Self::P768 => ml_kem_768::encap(ek, m),
            Self::P1024 => ml_kem_1024::encap(ek, m),
        }
    }

    fn decap(self, seed: &[u8], ct: &[u8]) -> Result<Secret, CryptoError> {
        match self {
            Self::P512 => ml_kem_512::decap(seed, ct),
            Self::P768 => ml_kem_768::decap(seed, ct),
            Self::P1024 => ml_kem_1024::decap(seed, ct),
        }
    }
}

/// The traditional group of a hybrid (a "nominal group" of draft-irtf-cfrg-hybrid-kems).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    X25519,
    P256,
    P384,
}

/// The NIST-curve operations of one curve crate.
macro_rules! nist_group {
    ($module:ident, $krate:ident) => {
        mod $module {
            use cohort_crypto::{CryptoError, CryptoErrorKind, Secret};
            use $krate::elliptic_curve::sec1::ToEncodedPoint;
            use $krate::{PublicKey, SecretKey};

            /// `RandomScalar`: the first chunk that is a scalar in `[1, n)`.
            pub(super) fn random_scalar(seed: &[u8], len: usize) -> Result<Secret, CryptoError> {
                seed.chunks_exact(len)
                    .find(|chunk| SecretKey::from_slice(chunk).is_ok())
                    .map(Secret::from_slice)
                    .ok_or_else(|| CryptoErrorKind::DeriveKeyPairFailed.into())
            }

            fn secret_key(sk: &Secret) -> Result<SecretKey, CryptoError> {
                SecretKey::from_slice(sk.as_bytes())
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPrivateKey, e))
            }

            pub(super) fn public_key(bytes: &[u8], len: usize) -> Result<PublicKey, CryptoError> {
                // The uncompressed SEC1 form only; `from_sec1_bytes` refuses the identity and
                // points off the curve.
                if bytes.len() != 1 + 2 * len || bytes.first() != Some(&0x04) {
                    return Err(CryptoErrorKind::InvalidPublicKey.into());
                }
                PublicKey::from_sec1_bytes(bytes)
                    .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPublicKey, e))
            }

            pub(super) fn base_mult(sk: &Secret) -> Result<Vec<u8>, CryptoError> {
                let sk = secret_key(sk)?;
                Ok(sk.public_key().to_encoded_point(false).as_bytes().to_vec())
            }

            pub(super) fn dh(sk: &Secret, pk: &[u8], len: usize) -> Result<Secret, CryptoError> {
                let sk = secret_key(sk)?;
                let pk = public_key(pk, len)?;
                let shared = $krate::ecdh::diffie_hellman(sk.to_nonzero_scalar(), pk.as_affine());
                Ok(Secret::from_slice(shared.raw_secret_bytes()))
            }
        }
    };
}

nist_group!(group_p256, p256);
nist_group!(group_p384, p384);

impl Group {
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

    fn random_scalar(self, seed: &[u8]) -> Result<Secret, CryptoError> {
        if seed.len() != self.seed_len() {
            return Err(CryptoErrorKind::InvalidLength.into());
        }
        match self {
            Self::X25519 => Ok(Secret::from_slice(seed)),
            Self::P256 => group_p256::random_scalar(seed, self.scalar_len()),
            Self::P384 => group_p384::random_scalar(seed, self.scalar_len()),
        }
    }

    fn base_mult(self, sk: &Secret) -> Result<Vec<u8>, CryptoError> {
        match self {
            Self::X25519 => {
                let k = x25519_scalar(sk)?;
                let secret = x25519_dalek::StaticSecret::from(*k);
                Ok(x25519_dalek::PublicKey::from(&secret).as_bytes().to_vec())
            }
            Self::P256 => group_p256::base_mult(sk),
            Self::P384 => group_p384::base_mult(sk),
        }
    }

    fn validate(self, pk: &[u8]) -> Result<(), CryptoError> {
        match self {
            // Every 32-byte string is an X25519 public key.
            Self::X25519 if pk.len() == 32 => Ok(()),
            Self::X25519 => Err(CryptoErrorKind::InvalidPublicKey.into()),
            Self::P256 => group_p256::public_key(pk, 32).map(drop),
            Self::P384 => group_p384::public_key(pk, 48).map(drop),
        }
    }

    /// The shared secret of `sk` and the element `pk`: the X25519 output, or the x-coordinate.
    fn dh(self, sk: &Secret, pk: &[u8]) -> Result<Secret, CryptoError> {
        match self {
            Self::X25519 => {
                let k = x25519_scalar(sk)?;
                let u: [u8; 32] = pk
                    .try_into()
                    .map_err(|_| CryptoErrorKind::InvalidPublicKey)?;
                let shared = Zeroizing::new(x25519_dalek::x25519(*k, u));
                Ok(Secret::from_slice(shared.as_slice()))
            }
            Self::P256 => group_p256::dh(sk, pk, 32),
            Self::P384 => group_p384::dh(sk, pk, 48),
        }
    }
}

fn x25519_scalar(sk: &Secret) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let k: [u8; 32] = sk
        .as_bytes()
        .try_into()
        .map_err(|_| CryptoErrorKind::InvalidPrivateKey)?;
    Ok(Zeroizing::new(k))
}
