//! Message protection (RFC 9420 §6): signing and MACing PublicMessages, encrypting and
//! decrypting PrivateMessages.
//!
//! ```text
//! PublicMessage  = FramedContent + auth{ SignWithLabel("FramedContentTBS") [+ confirmation_tag] }
//!                  + membership_tag = MAC(membership_key, AuthenticatedContentTBM)   (members)
//! PrivateMessage = header + AEAD(sender_data_key, SenderData)                  (sample of ct)
//!                         + AEAD(ratchet key, nonce ^ reuse_guard, PrivateMessageContent)
//! ```
//!
//! Receiving checks the group id and epoch against the GroupContext first, then the
//! cryptography. A PrivateMessage's key is consumed only once the whole message (AEAD, padding,
//! signature) has verified, so a rejected message leaves the secret tree as it was.

use cohort_codec::{CodecError, Decode, Encode, VarBytes};
use cohort_crypto::{SignaturePublicKey, Signer, SuiteOps, labeled};
use cohort_key_schedule::{ContentKind, SecretTree, sender_data_key_nonce};
use cohort_messages::framing::{
    AuthenticatedContent, Content, ContentType, FramedContent, FramedContentAuthData,
    FramedContentTbs, Mac, PrivateContentAad, PrivateMessage, PrivateMessageContent, PublicMessage,
    Sender, SenderData, SenderDataAad,
};
use cohort_messages::group_context::GroupContext;
use cohort_messages::message::WireFormat;
use cohort_tree::leaf::ProtocolVersion;
use cohort_tree::math::LeafIndex;

use crate::reason::{EncryptedObject, SenderReason, SignedObject, WireFormatReason};
use crate::{ApiMisuse, Error, ValidationError};

const SIGN_LABEL: &[u8] = b"FramedContentTBS";

/// Signs `content` as sent in `wire_format` (RFC 9420 §6.1). The GroupContext is included for
/// member and new-member-commit senders.
///
/// # Errors
/// A crypto failure of the signer; an encoding failure.
pub fn sign_content(
    signer: &dyn Signer,
    wire_format: WireFormat,
    content: &FramedContent,
    context: &GroupContext,
) -> Result<VarBytes, Error> {
    let tbs = tbs(wire_format, content, context);
    Ok(labeled::sign_encoded_with_label(signer, SIGN_LABEL, &tbs)?.into())
}

/// Verifies a content signature (RFC 9420 §6.1, V-6.1-06).
///
/// # Errors
/// [`ValidationError::InvalidSignature`] when it does not verify.
pub fn verify_content_signature(
    suite: &dyn SuiteOps,
    key: &SignaturePublicKey,
    wire_format: WireFormat,
    content: &FramedContent,
    auth: &FramedContentAuthData,
    context: &GroupContext,
) -> Result<(), Error> {
    let tbs = tbs(wire_format, content, context);
    labeled::verify_encoded_with_label(suite, key, SIGN_LABEL, &tbs, &auth.signature).map_err(|e| {
        Error::on_peer_data(
            e,
            ValidationError::InvalidSignature(SignedObject::FramedContent),
        )
    })
}

/// The `FramedContentTBS` of `content` (RFC 9420 §6.1): with the group context for member and
/// new-member-commit senders.
fn tbs<'a>(
    wire_format: WireFormat,
    content: &'a FramedContent,
    context: &'a GroupContext,
) -> FramedContentTbs<'a> {
    let context = match content.sender {
        Sender::Member(_) | Sender::NewMemberCommit => Some(context),
        Sender::External(_) | Sender::NewMemberProposal => None,
    };
    FramedContentTbs {
        version: ProtocolVersion::MLS10,
        wire_format,
        content,
        context,
    }
}

/// Checks that `auth` has a confirmation tag exactly when `content` is a commit.
fn check_tag_shape(content: &FramedContent, tag: &Option<Mac>) -> Result<(), Error> {
    let is_commit = content.content.content_type() == ContentType::Commit;
    if is_commit == tag.is_some() {
        Ok(())
    } else {
        Err(ApiMisuse::ConfirmationTagMismatch.into())
    }
}

/// Checks the message's group id and epoch against the group (V-6-04, V-6-05).
pub(crate) fn check_addressing(
    group_id: &[u8],
    epoch: u64,
    context: &GroupContext,
) -> Result<(), Error> {
    if group_id != context.group_id.as_slice() {
        return Err(ValidationError::WrongGroupId.into());
    }
    if epoch != context.epoch {
        return Err(ValidationError::WrongEpoch {
            got: epoch,
            expected: context.epoch,
        }
        .into());
    }
    Ok(())
}

/// `MAC(membership_key, AuthenticatedContentTBM)` (RFC 9420 §6.2).
fn membership_tag(
    suite: &dyn SuiteOps,
    membership_key: &[u8],
    content: &FramedContent,
    auth: &FramedContentAuthData,
    context: &GroupContext,
) -> Result<Vec<u8>, Error> {
    let mut tbm = tbs(WireFormat::PUBLIC_MESSAGE, content, context).to_bytes()?;
    auth.encode(&mut tbm)?;
    Ok(suite.mac(membership_key, &tbm)?)
}

/// Protects `content` as a PublicMessage (RFC 9420 §6.2): signs it and, for a member sender,
/// adds the membership tag. `confirmation_tag` must be given exactly for commits.
///
/// # Errors
/// [`ApiMisuse::ApplicationAsPublicMessage`] for application data (V-6-03);
/// [`ApiMisuse::ConfirmationTagMismatch`]; a crypto failure.
pub fn protect_public(
    suite: &dyn SuiteOps,
    signer: &dyn Signer,
    content: FramedContent,
    confirmation_tag: Option<Mac>,
    context: &GroupContext,
    membership_key: &[u8],
) -> Result<PublicMessage, Error> {
    if matches!(content.content, Content::Application(_)) {
        return Err(ApiMisuse::ApplicationAsPublicMessage.into());
    }
    let signature = sign_content(signer, WireFormat::PUBLIC_MESSAGE, &content, context)?;
    let auth = FramedContentAuthData {
        signature,
        confirmation_tag,
    };
    seal_public(suite, content, auth, context, membership_key)
}

/// Builds a PublicMessage from content already signed (for commits, whose confirmation tag is
/// computed from the signature): adds the membership tag for a member sender.
///
/// # Errors
/// As [`protect_public`].
pub fn seal_public(
    suite: &dyn SuiteOps,
    content: FramedContent,
    auth: FramedContentAuthData,
    context: &GroupContext,
    membership_key: &[u8],
) -> Result<PublicMessage, Error> {
    if matches!(content.content, Content::Application(_)) {
        return Err(ApiMisuse::ApplicationAsPublicMessage.into());
    }
    check_tag_shape(&content, &auth.confirmation_tag)?;
    let membership_tag = match content.sender {
        Sender::Member(_) => Some(Mac(membership_tag(
            suite,
            membership_key,
            &content,
            &auth,
            context,
        )?
        .into())),
        _ => None,
    };
    Ok(PublicMessage {
        content,
        auth,
        membership_tag,
    })
}

/// Verifies a PublicMessage (RFC 9420 §6.2): addressing, the membership tag of a member sender
/// (in constant time) and the signature under `sender_key`, which the caller resolved from the
/// sender (the tree leaf, an external sender, or the new member's own leaf).
///
/// Returns the content as an [`AuthenticatedContent`]. The confirmation tag of a commit is
/// checked later, against the new epoch's key (RFC 9420 §12.4.2).
///
/// # Errors
/// [`ValidationError`] naming the failed check.
pub fn unprotect_public(
    suite: &dyn SuiteOps,
    message: PublicMessage,
    context: &GroupContext,
    membership_key: &[u8],
    sender_key: &SignaturePublicKey,
) -> Result<AuthenticatedContent, Error> {
    let content = &message.content;
    if matches!(content.content, Content::Application(_)) {
        return Err(ValidationError::UnexpectedWireFormat(
            WireFormatReason::ApplicationInPublicMessage,
        )
        .into());
    }
    check_addressing(&content.group_id, content.epoch, context)?;
    if let Sender::Member(_) = content.sender {
        let tag = message
            .membership_tag
            .as_ref()
            .ok_or(ValidationError::InvalidMembershipTag)?;
        let expected = membership_tag(suite, membership_key, content, &message.auth, context)?;
        if !tag.ct_eq(&expected) {
            return Err(ValidationError::InvalidMembershipTag.into());
        }
    }
    verify_content_signature(
        suite,
        sender_key,
        WireFormat::PUBLIC_MESSAGE,
        content,
        &message.auth,
        context,
    )?;
    Ok(AuthenticatedContent {
        wire_format: WireFormat::PUBLIC_MESSAGE,
        content: message.content,
        auth: message.auth,
    })
}

/// What a sender chooses for a PrivateMessage: padding and the random reuse guard.
#[derive(Debug, Clone, Copy)]
pub struct PrivateOptions {
    /// Zero bytes appended to the content before encryption.
    pub padding: usize,
    /// Four fresh random bytes XORed into the nonce (RFC 9420 §6.3.1).
    pub reuse_guard: [u8; 4],
}

/// Protects `content` from a member as a PrivateMessage (RFC 9420 §6.3): signs it, encrypts it
/// with the next key of the sender's ratchet (consumed at once), and encrypts the sender data.
///
/// # Errors
/// [`ApiMisuse::PrivateMessageFromNonMember`], [`ApiMisuse::ConfirmationTagMismatch`]; a key
/// schedule or crypto failure.
#[allow(
    clippy::too_many_arguments,
    reason = "each input is a distinct part of §6.3"
)]
pub fn protect_private(
    suite: &dyn SuiteOps,
    signer: &dyn Signer,
    content: FramedContent,
    confirmation_tag: Option<Mac>,
    context: &GroupContext,
    secret_tree: &mut SecretTree,
    sender_data_secret: &[u8],
    options: PrivateOptions,
) -> Result<PrivateMessage, Error> {
    let signature = sign_content(signer, WireFormat::PRIVATE_MESSAGE, &content, context)?;
    let auth = FramedContentAuthData {
        signature,
        confirmation_tag,
    };
    seal_private(
        suite,
        content,
        auth,
        secret_tree,
        sender_data_secret,
        options,
    )
}

/// Encrypts content already signed (with wire format `mls_private_message`) as a
/// PrivateMessage.
///
/// # Errors
/// As [`protect_private`].
pub fn seal_private(
    suite: &dyn SuiteOps,
    content: FramedContent,
    auth: FramedContentAuthData,
    secret_tree: &mut SecretTree,
    sender_data_secret: &[u8],
    options: PrivateOptions,
) -> Result<PrivateMessage, Error> {
    seal_private_tweaked(
        suite,
        content,
        auth,
        secret_tree,
        sender_data_secret,
        options,
        None,
    )
}

/// Spare capacity for the tag when a plaintext is sealed in place (16 bytes for every MLS
/// AEAD; a larger tag would only cost a reallocation).
const AEAD_TAG_ROOM: usize = 16;

/// A change made to an encoded plaintext before encryption (test hooks only).
pub(crate) type Tweak<'a> = &'a dyn Fn(&mut Vec<u8>);

/// [`seal_private`], with `tweak` applied to the encoded PrivateMessageContent before it is
/// encrypted (only the test hooks pass one, to build invalid plaintexts).
pub(crate) fn seal_private_tweaked(
    suite: &dyn SuiteOps,
    content: FramedContent,
    auth: FramedContentAuthData,
    secret_tree: &mut SecretTree,
    sender_data_secret: &[u8],
    options: PrivateOptions,
    tweak: Option<Tweak<'_>>,
) -> Result<PrivateMessage, Error> {
    let Sender::Member(leaf) = content.sender else {
        return Err(ApiMisuse::PrivateMessageFromNonMember.into());
    };
    check_tag_shape(&content, &auth.confirmation_tag)?;
    let content_type = content.content.content_type();
    let plaintext = PrivateMessageContent {
        content: content.content,
        auth,
        padding_len: options.padding,
    };
    // Encrypted in place, with room for the AEAD tag: a large message is not copied again.
    let mut plaintext = {
        let mut out = Vec::with_capacity(plaintext.encoded_len() + AEAD_TAG_ROOM);
        plaintext.encode(&mut out)?;
        out
    };
    if let Some(tweak) = tweak {
        tweak(&mut plaintext);
    }
    let kind = kind_of(content_type);
    let key = secret_tree.next_send_key(suite, leaf.0, kind)?;
    let nonce = guarded_nonce(key.nonce.as_bytes(), options.reuse_guard);
    let aad = PrivateContentAad {
        group_id: content.group_id.clone(),
        epoch: content.epoch,
        content_type,
        authenticated_data: content.authenticated_data.clone(),
    }
    .to_bytes()?;
    suite.aead_seal_in_place(key.key.as_bytes(), &nonce, &aad, &mut plaintext)?;
    let ciphertext = plaintext;
    let sender_data = SenderData {
        leaf_index: leaf,
        generation: key.generation,
        reuse_guard: options.reuse_guard,
    }
    .to_bytes()?;
    let (sd_key, sd_nonce) = sender_data_key_nonce(suite, sender_data_secret, &ciphertext)?;
    let sd_aad = SenderDataAad {
        group_id: content.group_id.clone(),
        epoch: content.epoch,
        content_type,
    }
    .to_bytes()?;
    let encrypted_sender_data = suite.aead_seal(
        sd_key.as_bytes(),
        sd_nonce.as_bytes(),
        &sd_aad,
        &sender_data,
    )?;
    Ok(PrivateMessage {
        group_id: content.group_id,
        epoch: content.epoch,
        content_type,
        authenticated_data: content.authenticated_data,
        encrypted_sender_data: encrypted_sender_data.into(),
        ciphertext: ciphertext.into(),
    })
}

/// Decrypts and verifies a PrivateMessage (RFC 9420 §6.3): addressing, sender data, the sender
/// leaf (via `leaf_key`, which returns the signature key of a non-blank leaf), content
/// decryption with the reuse guard, zero padding, and the signature. The message key is
/// consumed only when all of that succeeds.
///
/// # Errors
/// [`ValidationError`] naming the failed check; nothing is consumed on error.
pub fn unprotect_private<'k>(
    suite: &dyn SuiteOps,
    message: &PrivateMessage,
    context: &GroupContext,
    secret_tree: &mut SecretTree,
    sender_data_secret: &[u8],
    leaf_key: impl Fn(LeafIndex) -> Option<&'k SignaturePublicKey>,
) -> Result<AuthenticatedContent, Error> {
    check_addressing(&message.group_id, message.epoch, context)?;
    let (sd_key, sd_nonce) = sender_data_key_nonce(suite, sender_data_secret, &message.ciphertext)?;
    let sd_aad = SenderDataAad {
        group_id: message.group_id.clone(),
        epoch: message.epoch,
        content_type: message.content_type,
    }
    .to_bytes()?;
    let sender_data = suite
        .aead_open(
            sd_key.as_bytes(),
            sd_nonce.as_bytes(),
            &sd_aad,
            &message.encrypted_sender_data,
        )
        .map_err(|e| peer_crypto(e, EncryptedObject::SenderData))?;
    let sender_data = SenderData::from_bytes(&sender_data)?;
    let leaf = sender_data.leaf_index;
    let sender_key = leaf_key(leaf).ok_or(ValidationError::InvalidSender(
        SenderReason::PrivateMessageFromBlankLeaf,
    ))?;
    let aad = PrivateContentAad {
        group_id: message.group_id.clone(),
        epoch: message.epoch,
        content_type: message.content_type,
        authenticated_data: message.authenticated_data.clone(),
    }
    .to_bytes()?;
    let kind = kind_of(message.content_type);
    secret_tree.open(suite, leaf.0, kind, sender_data.generation, |key| {
        let nonce = guarded_nonce(key.nonce.as_bytes(), sender_data.reuse_guard);
        let plaintext = suite
            .aead_open(key.key.as_bytes(), &nonce, &aad, &message.ciphertext)
            .map_err(|e| peer_crypto(e, EncryptedObject::PrivateMessageContent))?;
        let inner = PrivateMessageContent::decode_for(&plaintext, message.content_type).map_err(
            |e| match e {
                CodecError::InvalidValue {
                    what: "PrivateMessageContent padding",
                    ..
                } => Error::Invalid(ValidationError::InvalidPadding),
                other => Error::Malformed(other),
            },
        )?;
        let content = FramedContent {
            group_id: message.group_id.clone(),
            epoch: message.epoch,
            sender: Sender::Member(leaf),
            authenticated_data: message.authenticated_data.clone(),
            content: inner.content,
        };
        verify_content_signature(
            suite,
            sender_key,
            WireFormat::PRIVATE_MESSAGE,
            &content,
            &inner.auth,
            context,
        )?;
        Ok::<_, Error>(AuthenticatedContent {
            wire_format: WireFormat::PRIVATE_MESSAGE,
            content,
            auth: inner.auth,
        })
    })?
}

fn kind_of(ty: ContentType) -> ContentKind {
    match ty {
        ContentType::Application => ContentKind::Application,
        ContentType::Proposal | ContentType::Commit => ContentKind::Handshake,
    }
}

/// The ratchet nonce with its first four bytes XORed with the reuse guard.
fn guarded_nonce(nonce: &[u8], guard: [u8; 4]) -> Vec<u8> {
    let mut n = nonce.to_vec();
    for (b, g) in n.iter_mut().zip(guard) {
        *b ^= g;
    }
    n
}

/// Maps a failed decryption of peer data to [`ValidationError::DecryptionFailed`], or to
/// [`Error::Crypto`] when our provider failed.
fn peer_crypto(e: cohort_crypto::CryptoError, what: EncryptedObject) -> Error {
    Error::on_peer_data(e, ValidationError::DecryptionFailed(what))
}
