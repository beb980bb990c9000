//! The epoch key schedule (RFC 9420 §8).
//!
//! ```text
//!                     init_secret_[n-1]
//!                           │ (salt)
//!     commit_secret ──► KDF.Extract
//!                           │
//!          ExpandWithLabel(., "joiner", GroupContext_[n], Nh)
//!                           │
//!                      joiner_secret ──────────────┐
//!                           │ (salt)               │
//!  psk_secret (or 0) ──► KDF.Extract               │
//!                           ├──► DeriveSecret(., "welcome") = welcome_secret
//!          ExpandWithLabel(., "epoch", GroupContext_[n], Nh)
//!                           │
//!                      epoch_secret ──► DeriveSecret(., <label>) = the epoch's secrets
//!                           │
//!                   DeriveSecret(., "init") = init_secret_[n]
//! ```
//!
//! Each secret is its own type and each step consumes its input, so the order of derivation is
//! enforced by the types and consumed secrets are dropped (and zeroized) as the RFC's deletion
//! schedule asks (§9.2).

use cohort_crypto::{HpkePrivateKey, HpkePublicKey, Secret, SuiteOps, labeled};

use crate::KeyScheduleError;

fn nh(suite: &dyn SuiteOps) -> Result<u16, KeyScheduleError> {
    u16::try_from(suite.hash_len()).map_err(|_| KeyScheduleError::LengthTooLong(suite.hash_len()))
}

/// `init_secret`: carried from one epoch to the next.
#[derive(Debug, Clone)]
pub struct InitSecret(Secret);

impl InitSecret {
    /// Wraps an init secret (from a previous epoch, a vector, or an external init).
    pub fn new(secret: Secret) -> Self {
        Self(secret)
    }

    /// A fresh random init secret of `Nh` bytes, for a group's first epoch (RFC 9420 §11).
    ///
    /// # Errors
    /// A failure of the random source.
    pub fn random(suite: &dyn SuiteOps) -> Result<Self, KeyScheduleError> {
        let mut secret = Secret::new(vec![0; suite.hash_len()]);
        suite.random_fill(secret.as_mut_bytes())?;
        Ok(Self(secret))
    }

    /// The secret's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// `joiner_secret = ExpandWithLabel(Extract(init_secret, commit_secret), "joiner",
    /// GroupContext_[n], Nh)`; consumes the init secret.
    ///
    /// # Errors
    /// A crypto failure.
    pub fn joiner_secret(
        self,
        suite: &dyn SuiteOps,
        commit_secret: &[u8],
        group_context: &[u8],
    ) -> Result<JoinerSecret, KeyScheduleError> {
        let prk = suite.kdf_extract(self.0.as_bytes(), commit_secret)?;
        let joiner = labeled::expand_with_label(
            suite,
            prk.as_bytes(),
            b"joiner",
            group_context,
            nh(suite)?,
        )?;
        Ok(JoinerSecret(joiner))
    }
}

/// Persisted as `opaque<V>` in the library's own stored state.
impl cohort_codec::Encode for InitSecret {
    fn encoded_len(&self) -> usize {
        self.0.encoded_len()
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), cohort_codec::CodecError> {
        self.0.encode(out)
    }
}

impl cohort_codec::Decode for InitSecret {
    fn decode(r: &mut cohort_codec::Reader<'_>) -> Result<Self, cohort_codec::CodecError> {
        Secret::decode(r).map(Self)
    }
}

/// `joiner_secret`: what a Welcome gives new members.
#[derive(Debug, Clone)]
pub struct JoinerSecret(Secret);

impl JoinerSecret {
    /// Wraps a joiner secret (from a Welcome's GroupSecrets).
    pub fn new(secret: Secret) -> Self {
        Self(secret)
    }

    /// The secret's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    fn member_secret(
        &self,
        suite: &dyn SuiteOps,
        psk_secret: &[u8],
    ) -> Result<Secret, KeyScheduleError> {
        Ok(suite.kdf_extract(self.0.as_bytes(), psk_secret)?)
    }

    /// `welcome_secret = DeriveSecret(Extract(joiner_secret, psk_secret), "welcome")`.
    ///
    /// # Errors
    /// A crypto failure.
    pub fn welcome_secret(
        &self,
        suite: &dyn SuiteOps,
        psk_secret: &[u8],
    ) -> Result<WelcomeSecret, KeyScheduleError> {
        let member = self.member_secret(suite, psk_secret)?;
        Ok(WelcomeSecret(labeled::derive_secret(
            suite,
            member.as_bytes(),
            b"welcome",
        )?))
    }

    /// Derives the epoch's secrets, consuming the joiner secret.
    ///
    /// # Errors
    /// A crypto failure.
    pub fn into_epoch(
        self,
        suite: &dyn SuiteOps,
        psk_secret: &[u8],
        group_context: &[u8],
    ) -> Result<EpochSecrets, KeyScheduleError> {
        let member = self.member_secret(suite, psk_secret)?;
        let epoch = labeled::expand_with_label(
            suite,
            member.as_bytes(),
            b"epoch",
            group_context,
            nh(suite)?,
        )?;
        EpochSecrets::from_epoch_secret(suite, epoch)
    }
}

/// `welcome_secret`: the key and nonce that encrypt a Welcome's GroupInfo.
#[derive(Debug, Clone)]
pub struct WelcomeSecret(Secret);

impl WelcomeSecret {
    /// The secret's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// `(welcome_key, welcome_nonce)`: `ExpandWithLabel(welcome_secret, "key" | "nonce", "",
    /// Nk | Nn)` (RFC 9420 §12.4.3.1).
    ///
    /// # Errors
    /// A crypto failure.
    pub fn key_and_nonce(
        &self,
        suite: &dyn SuiteOps,
    ) -> Result<(Secret, Secret), KeyScheduleError> {
        let nk = len16(suite.aead_key_len())?;
        let nn = len16(suite.aead_nonce_len())?;
        let key = labeled::expand_with_label(suite, self.0.as_bytes(), b"key", &[], nk)?;
        let nonce = labeled::expand_with_label(suite, self.0.as_bytes(), b"nonce", &[], nn)?;
        Ok((key, nonce))
    }
}

fn len16(n: usize) -> Result<u16, KeyScheduleError> {
    u16::try_from(n).map_err(|_| KeyScheduleError::LengthTooLong(n))
}

/// The secrets of one epoch, derived from its `epoch_secret` (RFC 9420 §8, "Epoch-Derived
/// Secrets").
///
/// # Security
/// Every field zeroizes on drop and `Debug` prints no secret.
#[derive(Debug, Clone)]
pub struct EpochSecrets {
    /// `sender_data_secret`: keys for encrypting sender data.
    pub sender_data_secret: Secret,
    /// `encryption_secret`: the root of the secret tree.
    pub encryption_secret: Secret,
    /// `exporter_secret`: the root of [`EpochSecrets::export`].
    pub exporter_secret: Secret,
    /// `external_secret`: derives the external key pair.
    pub external_secret: Secret,
    /// `confirmation_key`: the key of the confirmation tag.
    pub confirmation_key: Secret,
    /// `membership_key`: the key of PublicMessage membership tags.
    pub membership_key: Secret,
    /// `resumption_psk`: this epoch's resumption PSK.
    pub resumption_psk: Secret,
    /// `epoch_authenticator`: equal for every member that shares this epoch's view.
    pub epoch_authenticator: Secret,
    /// `init_secret` of the next epoch.
    pub init_secret: InitSecret,
    /// `application_export_secret` (draft-ietf-mls-extensions "Exported Secrets"): the root of
    /// the epoch's [`ApplicationExportTree`](crate::ApplicationExportTree).
    pub application_export_secret: Secret,
}

impl EpochSecrets {
    /// Derives every epoch secret from `epoch_secret`, which is consumed.
    ///
    /// # Errors
    /// A crypto failure.
    pub fn from_epoch_secret(
        suite: &dyn SuiteOps,
        epoch_secret: Secret,
    ) -> Result<Self, KeyScheduleError> {
        let d = |label: &[u8]| labeled::derive_secret(suite, epoch_secret.as_bytes(), label);
        Ok(Self {
            sender_data_secret: d(b"sender data")?,
            encryption_secret: d(b"encryption")?,
            exporter_secret: d(b"exporter")?,
            external_secret: d(b"external")?,
            confirmation_key: d(b"confirm")?,
            membership_key: d(b"membership")?,
            resumption_psk: d(b"resumption")?,
            epoch_authenticator: d(b"authentication")?,
            init_secret: InitSecret(d(b"init")?),
            application_export_secret: d(b"application_export")?,
        })
    }

    /// `MLS-Exporter(label, context, length) = ExpandWithLabel(DeriveSecret(exporter_secret,
    /// label), "exported", Hash(context), length)` (RFC 9420 §8.5).
    ///
    /// # Errors
    /// [`KeyScheduleError::LengthTooLong`] beyond what the KDF can produce; a crypto failure.
    pub fn export(
        &self,
        suite: &dyn SuiteOps,
        label: &[u8],
        context: &[u8],
        length: usize,
    ) -> Result<Secret, KeyScheduleError> {
        let derived = labeled::derive_secret(suite, self.exporter_secret.as_bytes(), label)?;
        let context_hash = suite.hash(context)?;
        Ok(labeled::expand_with_label(
            suite,
            derived.as_bytes(),
            b"exported",
            &context_hash,
            len16(length)?,
        )?)
    }

    /// The group's external key pair: `DeriveKeyPair(external_secret)` (RFC 9420 §8).
    ///
    /// # Errors
    /// A crypto failure.
    pub fn external_key_pair(
        &self,
        suite: &dyn SuiteOps,
    ) -> Result<(HpkePrivateKey, HpkePublicKey), KeyScheduleError> {
        Ok(suite.kem_derive(self.external_secret.as_bytes())?)
    }
}

/// The init secret an external joiner shares through its `kem_output` (RFC 9420 §8.3):
/// `SetupBaseR(kem_output, external_priv, "").export("MLS 1.0 external init secret", Nh)` on the
/// members' side, run by the caller's HPKE context and passed in here as `exported`.
pub fn external_init_secret(exported: Secret) -> InitSecret {
    InitSecret(exported)
}
