//! Proposals from outside the group (RFC 9420 §12.1.8): an `external` sender listed in the
//! group's `external_senders` extension, and a client proposing its own Add
//! (`new_member_proposal`). Both are signed PublicMessages without a membership tag; members
//! process them with [`Group::process_message`](crate::Group::process_message), which caches
//! them for a commit by reference.

use cohort_crypto::{CryptoProvider, Signer};
use cohort_messages::extensions::{ExtensionPayload, ExternalSenders};
use cohort_messages::framing::{Content, FramedContent, FramedContentAuthData, Sender};
use cohort_messages::group_context::GroupContext;
use cohort_messages::key_package::KeyPackage;
use cohort_messages::message::WireFormat;
use cohort_messages::proposal::{Add, Proposal};
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::extension::{self as ext, ExtensionType};

use crate::framing::{seal_public, sign_content};
use crate::{ApiMisuse, Error};

/// Builds a proposal from the external sender at `sender_index` of the group's
/// `external_senders` extension (RFC 9420 §12.1.8), for the group and epoch of `context` (take
/// it from a GroupInfo): a PublicMessage signed by `signer`, to send to the group.
///
/// # Errors
/// [`ApiMisuse::UnsupportedProposal`] for a proposal type an external sender may not send
/// (only Add, Remove, PreSharedKey, ReInit and GroupContextExtensions, V-12.1.8-02);
/// [`ApiMisuse::NotTheSender`] when `context` has no such external sender or its key is not
/// `signer`'s; [`ApiMisuse::UnsupportedCipherSuite`]; [`Error::Malformed`] when the extension
/// does not decode.
pub fn external_proposal(
    provider: &dyn CryptoProvider,
    signer: &dyn Signer,
    context: &GroupContext,
    sender_index: u32,
    proposal: Proposal,
    authenticated_data: &[u8],
) -> Result<MlsMessage, Error> {
    // The registry's "Ext" column (V-12.1.8-02, V-17.4-01).
    if !proposal.proposal_type().entry().is_some_and(|e| e.external) {
        return Err(ApiMisuse::UnsupportedProposal.into());
    }
    let e = ext::find(&context.extensions, ExtensionType::EXTERNAL_SENDERS)
        .ok_or(ApiMisuse::NotTheSender)?;
    let senders = ExternalSenders::from_extension(e)?;
    let listed = senders
        .0
        .get(sender_index as usize)
        .ok_or(ApiMisuse::NotTheSender)?;
    if listed.signature_key != *signer.public_key() {
        return Err(ApiMisuse::NotTheSender.into());
    }
    seal(
        provider,
        signer,
        context,
        Sender::External(sender_index),
        proposal,
        authenticated_data,
    )
}

/// Builds the proposal of a client that asks to be added (RFC 9420 §12.1.8,
/// `new_member_proposal`): an Add of `key_package`, signed by `signer` (the KeyPackage's
/// signature key), for the group and epoch of `context` (take it from a GroupInfo).
///
/// # Errors
/// [`ApiMisuse::NotTheSender`] when `signer` does not hold the KeyPackage's signature key;
/// [`ApiMisuse::UnsupportedCipherSuite`] when the KeyPackage's suite is not the group's or is
/// not available.
pub fn new_member_proposal(
    provider: &dyn CryptoProvider,
    signer: &dyn Signer,
    context: &GroupContext,
    key_package: KeyPackage,
    authenticated_data: &[u8],
) -> Result<MlsMessage, Error> {
    if key_package.leaf_node.signature_key != *signer.public_key() {
        return Err(ApiMisuse::NotTheSender.into());
    }
    if key_package.cipher_suite != context.cipher_suite {
        return Err(ApiMisuse::UnsupportedCipherSuite(key_package.cipher_suite.0).into());
    }
    seal(
        provider,
        signer,
        context,
        Sender::NewMemberProposal,
        Proposal::Add(Add { key_package }),
        authenticated_data,
    )
}

/// Signs `proposal` from `sender` and frames it as a PublicMessage (no membership tag: the
/// sender is not a member).
fn seal(
    provider: &dyn CryptoProvider,
    signer: &dyn Signer,
    context: &GroupContext,
    sender: Sender,
    proposal: Proposal,
    authenticated_data: &[u8],
) -> Result<MlsMessage, Error> {
    let suite = provider
        .suite(context.cipher_suite)
        .ok_or(ApiMisuse::UnsupportedCipherSuite(context.cipher_suite.0))?;
    let content = FramedContent {
        group_id: context.group_id.clone(),
        epoch: context.epoch,
        sender,
        authenticated_data: crate::components::outgoing_aad(context, authenticated_data)?,
        content: Content::Proposal(proposal),
    };
    let signature = sign_content(signer, WireFormat::PUBLIC_MESSAGE, &content, context)?;
    let auth = FramedContentAuthData {
        signature,
        confirmation_tag: None,
    };
    let message = seal_public(&*suite, content, auth, context, &[])?;
    Ok(MlsMessage::new(MlsMessageBody::PublicMessage(message)))
}
