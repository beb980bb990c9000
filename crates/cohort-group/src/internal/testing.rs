//! **Not for production.** Negative-test hooks, compiled only with the `test-utils` feature.
//!
//! The public API refuses to create invalid messages: a commit whose proposal list breaks
//! RFC 9420 §12.2, a PrivateMessage with non-zero padding, content for another epoch or group.
//! These hooks sign and protect arbitrary content with a group's current keys, skipping every
//! sender-side check, so that tests can feed such messages to a receiver. They expose epoch
//! secrets: never enable `test-utils` outside tests.

use cohort_crypto::Signer;
use cohort_messages::framing::{FramedContent, FramedContentAuthData, Mac};
use cohort_messages::message::WireFormat;
use cohort_messages::{MlsMessage, MlsMessageBody};

use crate::framing::{PrivateOptions, Tweak, seal_private_tweaked, seal_public, sign_content};
use crate::{Error, Group, HandshakeFormat};

/// The group's current membership key (RFC 9420 §6.2).
pub fn membership_key(group: &Group) -> Vec<u8> {
    group.state().keys.membership_key.as_bytes().to_vec()
}

/// Signs `content` over `group`'s current GroupContext with the wire format of `format`, and
/// protects it with the group's current keys: the membership tag for a PublicMessage from a
/// member, or the next handshake/application key of the sender's ratchet for a PrivateMessage.
/// Nothing about `content` is checked.
///
/// # Errors
/// The framing layer's own refusals (application data as a PublicMessage, a confirmation tag
/// on a non-commit); a crypto failure.
pub fn protect(
    group: &mut Group,
    signer: &dyn Signer,
    content: FramedContent,
    confirmation_tag: Option<Mac>,
    format: HandshakeFormat,
) -> Result<MlsMessage, Error> {
    let wire_format = match format {
        HandshakeFormat::Public => WireFormat::PUBLIC_MESSAGE,
        HandshakeFormat::Private => WireFormat::PRIVATE_MESSAGE,
    };
    let signature = sign_content(signer, wire_format, &content, group.context())?;
    let auth = FramedContentAuthData {
        signature,
        confirmation_tag,
    };
    seal(group, content, auth, format, 0, None)
}

/// As [`protect`] for a PrivateMessage with `padding` zero bytes, with `tweak` applied to the
/// encoded PrivateMessageContent before encryption (for example to make a padding byte
/// non-zero).
///
/// # Errors
/// As [`protect`].
pub fn protect_private_tweaked(
    group: &mut Group,
    signer: &dyn Signer,
    content: FramedContent,
    confirmation_tag: Option<Mac>,
    padding: usize,
    tweak: &dyn Fn(&mut Vec<u8>),
) -> Result<MlsMessage, Error> {
    let signature = sign_content(
        signer,
        WireFormat::PRIVATE_MESSAGE,
        &content,
        group.context(),
    )?;
    let auth = FramedContentAuthData {
        signature,
        confirmation_tag,
    };
    seal(
        group,
        content,
        auth,
        HandshakeFormat::Private,
        padding,
        Some(tweak),
    )
}

/// Protects content whose authentication data is already built (for example with a signature
/// the test corrupted) with `group`'s current keys.
///
/// # Errors
/// As [`protect`].
pub fn seal(
    group: &mut Group,
    content: FramedContent,
    auth: FramedContentAuthData,
    format: HandshakeFormat,
    padding: usize,
    tweak: Option<Tweak<'_>>,
) -> Result<MlsMessage, Error> {
    let suite = group.suite_arc();
    let body = match format {
        HandshakeFormat::Public => MlsMessageBody::PublicMessage(seal_public(
            &*suite,
            content,
            auth,
            group.context(),
            group.state().keys.membership_key.as_bytes(),
        )?),
        HandshakeFormat::Private => {
            let state = group.state_mut();
            let sender_data_secret = state.keys.sender_data_secret.clone();
            MlsMessageBody::PrivateMessage(seal_private_tweaked(
                &*suite,
                content,
                auth,
                &mut state.keys.secret_tree,
                sender_data_secret.as_bytes(),
                PrivateOptions {
                    padding,
                    reuse_guard: [0; 4],
                },
                tweak,
            )?)
        }
    };
    Ok(MlsMessage::new(body))
}

/// Commits, in `new`, Adds of `key_packages` together with the resumption PSK `id` drawn from
/// `old` (RFC 9420 §11), as [`Group::reinit`] and [`Group::branch`] do but with any group and
/// PSK id: for Welcomes that break the §11 rules. Returns `new` after the commit and the output.
///
/// # Errors
/// As [`Group::commit`]; [`crate::ValidationError::MissingPsk`] when `old` lacks the PSK.
pub fn resume(
    old: &Group,
    new: Group,
    id: cohort_messages::psk::PreSharedKeyId,
    signer: &dyn Signer,
    key_packages: Vec<cohort_messages::key_package::KeyPackage>,
    now: Option<u64>,
) -> Result<(Group, crate::CommitOutput), Error> {
    old.resume_into(
        new,
        id,
        signer,
        key_packages,
        &crate::CommitOptions::new(),
        now,
    )
}

/// The secrets of a group's secret trees, for forward-secrecy tests that search a dump.
#[derive(Debug)]
pub struct RatchetSecrets {
    /// What the trees and sender-data secrets store.
    pub held: Vec<Vec<u8>>,
    /// What they store or can derive up to the generation asked for.
    pub derivable: Vec<Vec<u8>>,
}

/// What the group's secret trees (the current epoch's and every retained past epoch's) and
/// sender-data secrets hold, and what can be derived from them up to generation
/// `generations - 1` of each ratchet.
///
/// # Errors
/// A crypto failure.
pub fn ratchet_secrets(group: &Group, generations: u32) -> Result<RatchetSecrets, Error> {
    let s = group.state();
    let suite = group.suite_arc();
    let trees = std::iter::once((&s.keys.secret_tree, &s.keys.sender_data_secret)).chain(
        s.past_epochs
            .iter()
            .map(|p| (&p.secret_tree, &p.sender_data_secret)),
    );
    let (mut held, mut derivable) = (Vec::new(), Vec::new());
    for (tree, sender_data) in trees {
        held.push(sender_data.as_bytes().to_vec());
        held.extend(tree.held_secrets());
        derivable.push(sender_data.as_bytes().to_vec());
        derivable.extend(tree.derivable_secrets(&*suite, generations)?);
    }
    Ok(RatchetSecrets { held, derivable })
}

/// The secrets that reading generation `generation` of `leaf`'s application ratchet consumes,
/// derived from `group`'s current secret tree as it is (take the group at the start of the
/// epoch to get the whole path from the root). See `SecretTree::secrets_consumed_by`.
///
/// # Errors
/// A leaf out of range; a crypto failure.
pub fn application_secrets_consumed_by(
    group: &Group,
    leaf: u32,
    generation: u32,
) -> Result<Vec<Vec<u8>>, Error> {
    let suite = group.suite_arc();
    Ok(group.state().keys.secret_tree.secrets_consumed_by(
        &*suite,
        leaf,
        cohort_key_schedule::ContentKind::Application,
        generation,
    )?)
}

/// The confirmation tag that `receiver` derives for the commit `content` (RFC 9420 §12.4.2):
/// every check a receiver makes runs but the last, and the tag it would compare is returned.
/// With it a test or a fuzzer gives a forged commit the tag its receivers expect, and so
/// reaches the state after it. `content`'s own confirmation tag must be present (any value).
/// Ask a member the commit does not remove: a removed member derives no new epoch, and this
/// returns its current tag.
///
/// # Errors
/// Whatever processing the commit at `receiver` refuses before its tag is compared.
pub fn derived_confirmation_tag(
    receiver: &Group,
    content: &cohort_messages::framing::AuthenticatedContent,
    psks: &dyn crate::ExternalPsks,
    now: Option<u64>,
) -> Result<Vec<u8>, Error> {
    crate::commit::process_commit_with(
        &*receiver.suite_arc(),
        receiver.state(),
        content,
        psks,
        now,
        crate::commit::TagCheck::Derive,
    )
    .map(|(next, _)| next.confirmation_tag)
}
