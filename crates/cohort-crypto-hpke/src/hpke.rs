//! HPKE base mode (RFC 9180 §5.1, §5.2, §5.3, §6.1), with the single-stage key schedule of
//! draft-ietf-hpke-hpke §5.1 for the SHAKE and TurboSHAKE KDFs of draft-ietf-hpke-pq.

use cohort_codec::VarBytes;
use cohort_crypto::{
    CryptoError, CryptoErrorKind, Decapsulator, HpkeCiphertext, HpkePrivateKey, HpkePublicKey,
    Secret,
};

use crate::kem::Kem;
use crate::labels::{labeled_derive, labeled_expand, labeled_extract, labeled_extract_public};
use crate::primitives::{Aead, Kdf, OneStageKdf};

const MODE_BASE: u8 = 0x00;

/// The KDF of an HPKE suite: two-stage (HKDF, RFC 9180) or single-stage (an XOF,
/// draft-ietf-hpke-hpke). The two have different key schedules and exporters.
#[derive(Debug, Clone, Copy)]
pub enum HpkeKdf<'a> {
    /// `Extract` and `Expand`: HKDF-SHA256/384/512.
    TwoStage(&'a dyn Kdf),
    /// `Derive`: SHAKE128/256, TurboSHAKE128/256.
    OneStage(&'a dyn OneStageKdf),
}

impl HpkeKdf<'_> {
    /// The HPKE KDF identifier.
    pub fn kdf_id(&self) -> u16 {
        match self {
            Self::TwoStage(kdf) => kdf.kdf_id(),
            Self::OneStage(kdf) => kdf.kdf_id(),
        }
    }

    /// `Nh`: the length of the exporter secret.
    pub fn hash_len(&self) -> usize {
        match self {
            Self::TwoStage(kdf) => kdf.hash_len(),
            Self::OneStage(kdf) => kdf.hash_len(),
        }
    }
}

/// An HPKE instance: a KEM, a KDF and an AEAD.
///
/// ```text
/// SetupBaseS(pkR, info):  shared_secret, enc = Encap(pkR)
/// SetupBaseR(enc, skR):   shared_secret      = Decap(enc, skR)
/// KeySchedule(shared_secret, info), two-stage KDF (RFC 9180 §5.1):
///   ks_context      = mode || LabeledExtract("", "psk_id_hash", "") || LabeledExtract("", "info_hash", info)
///   secret          = LabeledExtract(shared_secret, "secret", "")
///   key             = LabeledExpand(secret, "key", ks_context, Nk)
///   base_nonce      = LabeledExpand(secret, "base_nonce", ks_context, Nn)
///   exporter_secret = LabeledExpand(secret, "exp", ks_context, Nh)
/// KeySchedule(shared_secret, info), single-stage KDF (draft-ietf-hpke-hpke §5.1):
///   secrets = lengthPrefixed(psk = "") || lengthPrefixed(shared_secret)
///   context = mode || lengthPrefixed(psk_id = "") || lengthPrefixed(info)
///   key || base_nonce || exporter_secret = LabeledDerive(secrets, "secret", context, Nk + Nn + Nh)
/// ```
///
/// The KEM is any [`Kem`]: nothing here depends on the size of keys, encapsulations or shared
/// secrets.
#[derive(Debug, Clone, Copy)]
pub struct Hpke<'a> {
    kem: &'a dyn Kem,
    kdf: HpkeKdf<'a>,
    aead: &'a dyn Aead,
}

impl<'a> Hpke<'a> {
    /// HPKE with `kem`, the two-stage KDF `kdf` and `aead`.
    pub fn new(kem: &'a dyn Kem, kdf: &'a dyn Kdf, aead: &'a dyn Aead) -> Self {
        Self::with_kdf(kem, HpkeKdf::TwoStage(kdf), aead)
    }

    /// HPKE with `kem`, `kdf` (two-stage or single-stage) and `aead`.
    pub fn with_kdf(kem: &'a dyn Kem, kdf: HpkeKdf<'a>, aead: &'a dyn Aead) -> Self {
        Self { kem, kdf, aead }
    }

    /// The KEM.
    pub fn kem(&self) -> &'a dyn Kem {
        self.kem
    }

    /// `SetupBaseS(pkR, info)`: `(enc, context)`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPublicKey`] or [`CryptoErrorKind::ZeroSharedSecret`] for a bad
    /// `pk_r`.
    pub fn setup_base_s(
        &self,
        pk_r: &[u8],
        info: &[u8],
    ) -> Result<(Vec<u8>, Context<'a>), CryptoError> {
        let (shared, enc) = self.kem.encap(pk_r)?;
        Ok((enc, self.key_schedule(&shared, info)?))
    }

    /// `SetupBaseS` with the encapsulation's randomness given ([`Kem::encap_derand`]), for
    /// known-answer tests.
    ///
    /// # Errors
    /// As [`Hpke::setup_base_s`]; [`CryptoErrorKind::InvalidLength`] for randomness of the
    /// wrong length.
    pub fn setup_base_s_derand(
        &self,
        pk_r: &[u8],
        info: &[u8],
        randomness: &[u8],
    ) -> Result<(Vec<u8>, Context<'a>), CryptoError> {
        let (shared, enc) = self.kem.encap_derand(pk_r, randomness)?;
        Ok((enc, self.key_schedule(&shared, info)?))
    }

    /// `SetupBaseR(enc, skR, info)` with a software key whose public key is `pk_r`.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidPublicKey`] for a malformed `enc`.
    pub fn setup_base_r(
        &self,
        enc: &[u8],
        sk_r: &HpkePrivateKey,
        pk_r: &[u8],
        info: &[u8],
    ) -> Result<Context<'a>, CryptoError> {
        let shared = self.kem.decap(enc, sk_r, pk_r)?;
        self.key_schedule(&shared, info)
    }

    /// `SetupBaseR(enc, skR, info)` decapsulating through a key handle.
    ///
    /// # Errors
    /// Errors of [`Decapsulator::decap`].
    pub fn setup_base_r_with_handle(
        &self,
        enc: &[u8],
        key: &dyn Decapsulator,
        info: &[u8],
    ) -> Result<Context<'a>, CryptoError> {
        let shared = key.decap(enc)?;
        self.key_schedule(&shared, info)
    }

    /// `SealBase(pkR, info, aad, pt)` as an MLS `HPKECiphertext`.
    ///
    /// # Errors
    /// As [`Hpke::setup_base_s`].
    pub fn seal_base(
        &self,
        pk_r: &HpkePublicKey,
        info: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext, CryptoError> {
        let (enc, mut ctx) = self.setup_base_s(pk_r.as_ref(), info)?;
        let ciphertext = ctx.seal(aad, plaintext)?;
        Ok(HpkeCiphertext {
            kem_output: VarBytes::new(enc),
            ciphertext: VarBytes::new(ciphertext),
        })
    }

    /// `SealBase(pkR, info, aad, pt)` for each `(pkR, pt)` of `recipients`, all under one
    /// `info` and `aad`.
    ///
    /// The key schedule's `info_hash` depends only on `info`, so it is computed once instead of
    /// once per recipient: a Welcome's `info` carries the encrypted GroupInfo with the whole
    /// ratchet tree, hundreds of kilobytes in a large group, and hashing it for every new member
    /// would dominate adding many members. Each recipient still gets its own ephemeral key.
    ///
    /// # Errors
    /// As [`Hpke::setup_base_s`], for the first recipient that fails.
    pub fn seal_base_many(
        &self,
        recipients: &[(&HpkePublicKey, &[u8])],
        info: &[u8],
        aad: &[u8],
    ) -> Result<Vec<HpkeCiphertext>, CryptoError> {
        let ks_context = self.key_schedule_context(info)?;
        recipients
            .iter()
            .map(|(pk_r, plaintext)| {
                let (shared, enc) = self.kem.encap(pk_r.as_ref())?;
                let mut ctx = self.key_schedule_with_context(&shared, &ks_context)?;
                let ciphertext = ctx.seal(aad, plaintext)?;
                Ok(HpkeCiphertext {
                    kem_output: VarBytes::new(enc),
                    ciphertext: VarBytes::new(ciphertext),
                })
            })
            .collect()
    }

    /// `OpenBase(enc, skR, info, aad, ct)` through a key handle.
    ///
    /// # Errors
    /// Errors of [`Decapsulator::decap`], or [`CryptoErrorKind::AeadOpenFailed`].
    pub fn open_base(
        &self,
        key: &dyn Decapsulator,
        ciphertext: &HpkeCiphertext,
        info: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let mut ctx = self.setup_base_r_with_handle(&ciphertext.kem_output, key, info)?;
        ctx.open(aad, &ciphertext.ciphertext)
    }

    /// `SendExport(pkR, info, exporter_context, L)` (RFC 9180 §6.2): `(enc, secret)`.
    ///
    /// # Errors
    /// As [`Hpke::setup_base_s`], or [`CryptoErrorKind::InvalidLength`] for a too-large `len`.
    pub fn send_export(
        &self,
        pk_r: &[u8],
        info: &[u8],
        exporter_context: &[u8],
        len: usize,
    ) -> Result<(Vec<u8>, Secret), CryptoError> {
        let (enc, ctx) = self.setup_base_s(pk_r, info)?;
        Ok((enc, ctx.export(exporter_context, len)?))
    }

    /// `ReceiveExport(enc, skR, info, exporter_context, L)` (RFC 9180 §6.2) through a key
    /// handle.
    ///
    /// # Errors
    /// As [`Hpke::setup_base_r_with_handle`] and [`Context::export`].
    pub fn receive_export(
        &self,
        enc: &[u8],
        key: &dyn Decapsulator,
        info: &[u8],
        exporter_context: &[u8],
        len: usize,
    ) -> Result<Secret, CryptoError> {
        self.setup_base_r_with_handle(enc, key, info)?
            .export(exporter_context, len)
    }

    /// The base-mode key schedule (RFC 9180 §5.1, draft-ietf-hpke-hpke §5.1) from a KEM shared
    /// secret.
    ///
    /// # Errors
    /// Only on a KDF failure.
    pub fn key_schedule(
        &self,
        shared_secret: &Secret,
        info: &[u8],
    ) -> Result<Context<'a>, CryptoError> {
        let ks_context = self.key_schedule_context(info)?;
        self.key_schedule_with_context(shared_secret, &ks_context)
    }

    /// The part of the key schedule that does not depend on the shared secret: for a two-stage
    /// KDF `mode || psk_id_hash || info_hash`, for a single-stage one
    /// `mode || lengthPrefixed(psk_id) || lengthPrefixed(info)`.
    fn key_schedule_context(&self, info: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match self.kdf {
            HpkeKdf::TwoStage(kdf) => {
                let suite_id = self.suite_id();
                let psk_id_hash = labeled_extract(kdf, &suite_id, &[], b"psk_id_hash", &[])?;
                // `info` is public (for MLS, a label and a public context): no zeroizing copy.
                let info_hash = labeled_extract_public(kdf, &suite_id, b"info_hash", info)?;
                let mut ks_context = Vec::with_capacity(1 + psk_id_hash.len() + info_hash.len());
                ks_context.push(MODE_BASE);
                ks_context.extend_from_slice(psk_id_hash.as_bytes());
                ks_context.extend_from_slice(info_hash.as_bytes());
                Ok(ks_context)
            }
            HpkeKdf::OneStage(_) => {
                let info_len =
                    u16::try_from(info.len()).map_err(|_| CryptoErrorKind::InvalidLength)?;
                let mut context = Vec::with_capacity(5 + info.len());
                context.push(MODE_BASE);
                // lengthPrefixed(psk_id) with the empty psk_id of the base mode.
                context.extend_from_slice(&0u16.to_be_bytes());
                context.extend_from_slice(&info_len.to_be_bytes());
                context.extend_from_slice(info);
                Ok(context)
            }
        }
    }

    /// The rest of the key schedule, given [`Hpke::key_schedule_context`]'s output.
    fn key_schedule_with_context(
        &self,
        shared_secret: &Secret,
        ks_context: &[u8],
    ) -> Result<Context<'a>, CryptoError> {
        let suite_id = self.suite_id();
        let (nk, nn, nh) = (
            self.aead.key_len(),
            self.aead.nonce_len(),
            self.kdf.hash_len(),
        );
        let (key, base_nonce, exporter_secret) = match self.kdf {
            HpkeKdf::TwoStage(kdf) => {
                let secret =
                    labeled_extract(kdf, &suite_id, shared_secret.as_bytes(), b"secret", &[])?;
                let expand = |label: &[u8], len| {
                    labeled_expand(kdf, &suite_id, secret.as_bytes(), label, ks_context, len)
                };
                (
                    expand(b"key", nk)?,
                    expand(b"base_nonce", nn)?,
                    expand(b"exp", nh)?,
                )
            }
            HpkeKdf::OneStage(kdf) => {
                // secrets = lengthPrefixed(psk) || lengthPrefixed(shared_secret), psk empty.
                let ss_len = u16::try_from(shared_secret.len())
                    .map_err(|_| CryptoErrorKind::InvalidLength)?;
                let mut secrets = Secret::new(vec![0; 4 + shared_secret.len()]);
                let bytes = secrets.as_mut_bytes();
                bytes[2..4].copy_from_slice(&ss_len.to_be_bytes());
                bytes[4..].copy_from_slice(shared_secret.as_bytes());
                let secret = labeled_derive(
                    kdf,
                    &suite_id,
                    secrets.as_bytes(),
                    b"secret",
                    ks_context,
                    nk + nn + nh,
                )?;
                let split = |from: usize, to: usize| {
                    secret
                        .as_bytes()
                        .get(from..to)
                        .map(Secret::from_slice)
                        .ok_or(CryptoErrorKind::InvalidLength)
                };
                (
                    split(0, nk)?,
                    split(nk, nk + nn)?,
                    split(nk + nn, nk + nn + nh)?,
                )
            }
        };
        Ok(Context {
            kdf: self.kdf,
            aead: self.aead,
            suite_id,
            key,
            base_nonce,
            exporter_secret,
            seq: 0,
        })
    }

    fn suite_id(&self) -> [u8; 10] {
        let [k0, k1] = self.kem.kem_id().to_be_bytes();
        let [f0, f1] = self.kdf.kdf_id().to_be_bytes();
        let [a0, a1] = self.aead.aead_id().to_be_bytes();
        [b'H', b'P', b'K', b'E', k0, k1, f0, f1, a0, a1]
    }
}

/// An HPKE encryption context (RFC 9180 §5.2): sender or receiver.
#[derive(Debug)]
pub struct Context<'a> {
    kdf: HpkeKdf<'a>,
    aead: &'a dyn Aead,
    suite_id: [u8; 10],
    key: Secret,
    base_nonce: Secret,
    exporter_secret: Secret,
    seq: u64,
}

impl Context<'_> {
    /// `Seal(aad, pt)` with the next sequence number.
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidLength`] when the sequence number is exhausted.
    pub fn seal(&mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce = self.nonce()?;
        let ct = self
            .aead
            .seal(self.key.as_bytes(), nonce.as_bytes(), aad, plaintext)?;
        self.seq += 1;
        Ok(ct)
    }

    /// `Open(aad, ct)` with the next sequence number. The sequence number advances only on
    /// success.
    ///
    /// # Errors
    /// [`CryptoErrorKind::AeadOpenFailed`] when the ciphertext does not verify.
    pub fn open(&mut self, aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce = self.nonce()?;
        let pt = self
            .aead
            .open(self.key.as_bytes(), nonce.as_bytes(), aad, ciphertext)?;
        self.seq += 1;
        Ok(pt)
    }

    /// `Export(exporter_context, L)` (RFC 9180 §5.3; `LabeledDerive(exporter_secret, "sec",
    /// exporter_context, L)` for a single-stage KDF, draft-ietf-hpke-hpke §5.3).
    ///
    /// # Errors
    /// [`CryptoErrorKind::InvalidLength`] when `len` exceeds `255 * Nh` (two-stage) or 16 bits.
    pub fn export(&self, exporter_context: &[u8], len: usize) -> Result<Secret, CryptoError> {
        match self.kdf {
            HpkeKdf::TwoStage(kdf) => labeled_expand(
                kdf,
                &self.suite_id,
                self.exporter_secret.as_bytes(),
                b"sec",
                exporter_context,
                len,
            ),
            HpkeKdf::OneStage(kdf) => labeled_derive(
                kdf,
                &self.suite_id,
                self.exporter_secret.as_bytes(),
                b"sec",
                exporter_context,
                len,
            ),
        }
    }

    /// The AEAD key, base nonce and exporter secret, for known-answer tests.
    ///
    /// # Security
    /// These are the context's secrets: only for comparing with test vectors.
    pub fn secrets(&self) -> (&Secret, &Secret, &Secret) {
        (&self.key, &self.base_nonce, &self.exporter_secret)
    }

    /// `ComputeNonce(seq)`: the base nonce XOR the big-endian sequence number.
    fn nonce(&self) -> Result<Secret, CryptoError> {
        if self.seq == u64::MAX {
            return Err(CryptoErrorKind::InvalidLength.into());
        }
        let mut nonce = self.base_nonce.as_bytes().to_vec();
        let seq = self.seq.to_be_bytes();
        for (n, s) in nonce.iter_mut().rev().zip(seq.iter().rev()) {
            *n ^= s;
        }
        Ok(Secret::new(nonce))
    }
}
