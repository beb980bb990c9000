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
