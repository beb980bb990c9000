//! The cryptographic steps of joining from a Welcome (RFC 9420 §12.4.3.1).
//!
//! ```text
//! Welcome.secrets[i] where new_member == KeyPackageRef(our KeyPackage)
//!     └─ DecryptWithLabel(init_key, "Welcome", encrypted_group_info) ─► GroupSecrets
//!            joiner_secret + psk_secret ─► welcome_secret ─► (key, nonce)
//!                └─ AEAD.Open(key, nonce, "", encrypted_group_info) ─► GroupInfo
//!                       └─ VerifyWithLabel(signer's key, "GroupInfoTBS")
//! ```

use cohort_codec::{Decode, Encode};
use cohort_crypto::{Decapsulator, SignaturePublicKey, SuiteOps, labeled};
use cohort_key_schedule::JoinerSecret;
use cohort_messages::group_info::GroupInfo;
use cohort_messages::welcome::{GroupSecrets, Welcome};

use crate::reason::{EncryptedObject, SignedObject};
use crate::{Error, ValidationError};

/// Decrypts the GroupSecrets addressed to the KeyPackage whose reference is `key_package_ref`,
/// with that KeyPackage's init key.
///
/// # Errors
/// [`ValidationError::NoMatchingKeyPackage`] when no entry is ours;
/// [`ValidationError::DecryptionFailed`] when the entry does not decrypt; a decode error.
pub fn decrypt_group_secrets(
    suite: &dyn SuiteOps,
    welcome: &Welcome,
    key_package_ref: &[u8],
    init_key: &dyn Decapsulator,
) -> Result<GroupSecrets, Error> {
    let entry = welcome
        .secrets
        .iter()
        .find(|s| s.new_member.0.as_slice() == key_package_ref)
        .ok_or(ValidationError::NoMatchingKeyPackage)?;
    let plaintext = labeled::decrypt_with_label(
        suite,
        init_key,
        b"Welcome",
        &welcome.encrypted_group_info,
        &entry.encrypted_group_secrets,
    )
    .map_err(|e| {
        Error::on_peer_data(
            e,
            ValidationError::DecryptionFailed(EncryptedObject::GroupSecrets),
        )
    })?;
    Ok(GroupSecrets::from_bytes(&plaintext)?)
}

/// Decrypts the Welcome's GroupInfo with keys derived from `joiner_secret` and `psk_secret`.
///
/// # Errors
/// [`ValidationError::DecryptionFailed`] when it does not decrypt; a decode error.
pub fn decrypt_group_info(
    suite: &dyn SuiteOps,
    welcome: &Welcome,
    joiner_secret: &JoinerSecret,
    psk_secret: &[u8],
) -> Result<GroupInfo, Error> {
    let welcome_secret = joiner_secret.welcome_secret(suite, psk_secret)?;
    let (key, nonce) = welcome_secret.key_and_nonce(suite)?;
    let plaintext = suite
        .aead_open(
            key.as_bytes(),
            nonce.as_bytes(),
            &[],
            &welcome.encrypted_group_info,
        )
        .map_err(|e| {
            Error::on_peer_data(
                e,
                ValidationError::DecryptionFailed(EncryptedObject::GroupInfo),
            )
        })?;
    Ok(GroupInfo::from_bytes(&plaintext)?)
}

/// Verifies a GroupInfo's signature under the signer's key (RFC 9420 §12.4.3, V-12.4.3.1-07).
///
/// # Errors
/// [`ValidationError::InvalidSignature`] when it does not verify.
pub fn verify_group_info(
    suite: &dyn SuiteOps,
    group_info: &GroupInfo,
    signer_key: &SignaturePublicKey,
) -> Result<(), Error> {
    let tbs = group_info.to_be_signed()?;
    labeled::verify_with_label(
        suite,
        signer_key,
        b"GroupInfoTBS",
        &tbs,
        &group_info.signature,
    )
    .map_err(|e| {
        Error::on_peer_data(
            e,
            ValidationError::InvalidSignature(SignedObject::GroupInfo),
        )
    })
}

/// The confirmation tag a GroupInfo must carry: `MAC(confirmation_key,
/// confirmed_transcript_hash)` of the epoch derived from `joiner_secret` (RFC 9420 §12.4.3.1).
///
/// # Errors
/// [`ValidationError::InvalidConfirmationTag`] when it differs.
pub fn verify_confirmation_tag(
    suite: &dyn SuiteOps,
    group_info: &GroupInfo,
    joiner_secret: JoinerSecret,
    psk_secret: &[u8],
) -> Result<cohort_key_schedule::EpochSecrets, Error> {
    let context = group_info.group_context.to_bytes()?;
    let epoch = joiner_secret.into_epoch(suite, psk_secret, &context)?;
    let expected = cohort_key_schedule::confirmation_tag(
        suite,
        epoch.confirmation_key.as_bytes(),
        &group_info.group_context.confirmed_transcript_hash,
    )?;
    if group_info.confirmation_tag.ct_eq(&expected) {
        Ok(epoch)
    } else {
        Err(ValidationError::InvalidConfirmationTag.into())
    }
}

/// A Welcome opened with one of our KeyPackages: the steps of RFC 9420 §12.4.3.1 before the
/// tree, shared by full and light joins.
pub(crate) struct OpenedWelcome {
    /// The suite's operations.
    pub(crate) suite: std::sync::Arc<dyn SuiteOps>,
    /// The decrypted GroupSecrets.
    pub(crate) secrets: GroupSecrets,
    /// The joiner secret.
    pub(crate) joiner: JoinerSecret,
    /// The PSK secret of the GroupSecrets' PSKs.
    pub(crate) psk_secret: cohort_crypto::Secret,
    /// The decrypted GroupInfo, its suite and version checked.
    pub(crate) group_info: GroupInfo,
    /// The reinit or branch resumption PSK, if any (at most one).
    pub(crate) resumption: Option<cohort_messages::psk::Psk>,
}

/// Opens `welcome` with `kp` and its private keys: the suites match, the GroupSecrets and the
/// GroupInfo decrypt, at most one reinit/branch resumption PSK (V-12.4.3.1-05), the PSKs
/// resolve (resumption PSKs only from `old`, the group it resumes), and the GroupInfo has our
/// suite and version mls10.
///
/// # Errors
/// The [`ValidationError`] of the failed step; an unsupported suite.
pub(crate) fn open_welcome(
    provider: &dyn cohort_crypto::CryptoProvider,
    welcome: &Welcome,
    kp: &cohort_messages::key_package::KeyPackage,
    kp_secrets: &crate::KeyPackageSecrets,
    psks: &dyn crate::ExternalPsks,
    old: Option<&crate::state::GroupState>,
) -> Result<OpenedWelcome, Error> {
    use crate::reason::WelcomeReason;
    use cohort_messages::psk::{Psk, ResumptionPskUsage};
    if welcome.cipher_suite != kp.cipher_suite {
        return Err(
            ValidationError::InvalidWelcome(WelcomeReason::SuiteDiffersFromKeyPackage).into(),
        );
    }
    let suite = provider
        .suite(kp.cipher_suite)
        .ok_or(crate::ApiMisuse::UnsupportedCipherSuite(kp.cipher_suite.0))?;
    let s = &*suite;
    let kp_ref = labeled::make_key_package_ref(s, &kp.to_bytes()?)?;
    let init_key = cohort_crypto::SoftwareHpkeKey::from_key_pair(
        suite.clone(),
        kp_secrets.init_key.clone(),
        kp.init_key.clone(),
    )?;
    let secrets = decrypt_group_secrets(s, welcome, kp_ref.as_slice(), &init_key)?;
    // At most one reinit/branch resumption PSK (V-12.4.3.1-05).
    let mut resumptions = secrets.psks.iter().map(|id| &id.psk).filter(|psk| {
        matches!(
            psk,
            Psk::Resumption {
                usage: ResumptionPskUsage::Reinit | ResumptionPskUsage::Branch,
                ..
            }
        )
    });
    let resumption = resumptions.next().cloned();
    if resumptions.next().is_some() {
        return Err(ValidationError::InvalidWelcome(WelcomeReason::TwoResumptionPsks).into());
    }
    // The group is new to us: resumption PSKs can only come from `old`.
    let psk_secret = crate::commit::resolve_psk_secret(s, None, &secrets.psks, psks, old)?;
    let joiner = JoinerSecret::new(cohort_crypto::Secret::new(
        secrets.joiner_secret.as_slice().to_vec(),
    ));
    let group_info = decrypt_group_info(s, welcome, &joiner, psk_secret.as_bytes())?;
    let context = &group_info.group_context;
    if context.cipher_suite != kp.cipher_suite
        || context.version != cohort_tree::leaf::ProtocolVersion::MLS10
    {
        return Err(ValidationError::InvalidWelcome(WelcomeReason::GroupInfoSuiteOrVersion).into());
    }
    Ok(OpenedWelcome {
        suite,
        secrets,
        joiner,
        psk_secret,
        group_info,
        resumption,
    })
}
