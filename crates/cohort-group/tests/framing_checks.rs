//! Receiver checks on message framing in a running group (RFC 9420 §6, §6.1, §6.2, §6.3), each
//! named by its checklist ID. Every rejection also checks that the receiver's serialized state
//! is unchanged (V-12.4.2-15): in particular a rejected PrivateMessage consumes no key.

#[path = "support.rs"]
mod support;

use cohort_codec::{Decode, Encode};
use cohort_crypto::Signer;
use cohort_group::framing::sign_content;
use cohort_group::internal::testing;
use cohort_group::{CommitOptions, Error, Group, HandshakeFormat, Processed, ValidationError};
use cohort_messages::extensions::{ExtensionPayload, ExternalSender, ExternalSenders};
use cohort_messages::framing::{Content, FramedContentAuthData, Mac, PublicMessage, Sender};
use cohort_messages::message::WireFormat;
use cohort_messages::proposal::{Proposal, Remove};
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::leaf::ProtocolVersion;
use cohort_tree::math::LeafIndex;

use cohort_group::reason::{
    CommitReason, EncryptedObject, SenderReason, SignedObject, WireFormatReason,
};
use support::*;

fn invalid(err: &Error) -> &ValidationError {
    match err {
        Error::Invalid(v) => v,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn remove(leaf: u32) -> Proposal {
    Proposal::Remove(Remove {
        removed: LeafIndex(leaf),
    })
}

fn application(from: &Member, data: &[u8]) -> cohort_messages::framing::FramedContent {
    content(from, Content::Application(data.to_vec().into()))
}

/// An application message from `from`, encrypted with its group's keys.
fn app_message(from: &mut Member, c: cohort_messages::framing::FramedContent) -> MlsMessage {
    testing::protect(
        &mut from.group,
        &from.signer,
        c,
        None,
        HandshakeFormat::Private,
    )
    .expect("protect")
}

/// V-6-01: the MLSMessage version must be mls10.
#[test]
fn v_6_01_unsupported_version_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let mut msg = bob
        .group
        .encrypt_application(&bob.signer, b"hi", b"", 0)
        .expect("encrypt");
    msg.version = ProtocolVersion(2);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(invalid(&err), ValidationError::UnsupportedVersion(2)),
        "{err}"
    );
}

/// V-6-02: message processing takes only PublicMessage and PrivateMessage.
#[test]
fn v_6_02_wrong_wire_format_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let (kp, _, _) = key_package("dave");
    let out = bob
        .group
        .add_members(
            &bob.signer,
            vec![kp.clone()],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("add");
    bob.group.clear_pending_commit();
    for msg in [
        out.welcome.expect("welcome"),
        out.group_info.expect("group info"),
        MlsMessage::new(MlsMessageBody::KeyPackage(kp)),
    ] {
        let err = reject(&mut alice.group, &msg);
        assert!(
            matches!(
                invalid(&err),
                ValidationError::UnexpectedWireFormat(WireFormatReason::NotFramedContent)
            ),
            "{err}"
        );
    }
}

/// V-6-03: application data in a PublicMessage is rejected.
#[test]
fn v_6_03_application_data_in_a_public_message_is_rejected() {
    let (mut alice, bob, _carol) = trio();
    let c = application(&bob, b"in the clear");
    let signature = sign_content(
        &bob.signer,
        WireFormat::PUBLIC_MESSAGE,
        &c,
        bob.group.context(),
    )
    .expect("sign");
    let msg = MlsMessage::new(MlsMessageBody::PublicMessage(PublicMessage {
        content: c,
        auth: FramedContentAuthData {
            signature,
            confirmation_tag: None,
        },
        membership_tag: Some(Mac(vec![0; 32].into())),
    }));
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::UnexpectedWireFormat(WireFormatReason::ApplicationInPublicMessage)
        ),
        "{err}"
    );
}

/// V-6-04: a message for another group is rejected, public or private.
#[test]
fn v_6_04_wrong_group_id_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    for format in [HandshakeFormat::Public, HandshakeFormat::Private] {
        let mut c = content(&bob, Content::Proposal(remove(2)));
        c.group_id = b"another group".to_vec().into();
        let msg = testing::protect(&mut bob.group, &bob.signer, c, None, format).expect("protect");
        let err = reject(&mut alice.group, &msg);
        assert!(
            matches!(invalid(&err), ValidationError::WrongGroupId),
            "{err}"
        );
    }
    let mut c = application(&bob, b"x");
    c.group_id = b"another group".to_vec().into();
    let msg = app_message(&mut bob, c);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(invalid(&err), ValidationError::WrongGroupId),
        "{err}"
    );
}

/// V-6-05, V-15-01: the epoch selects the keys; a message for an epoch the group is not in is
/// rejected (handshake and application).
#[test]
fn v_6_05_wrong_epoch_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let epoch = alice.group.epoch();
    let mut c = application(&bob, b"from the future");
    c.epoch = epoch + 1;
    let msg = app_message(&mut bob, c);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(invalid(&err), ValidationError::WrongEpoch { got, expected } if *got == epoch + 1 && *expected == epoch),
        "{err}"
    );
    let mut c = content(&bob, Content::Proposal(remove(2)));
    c.epoch = u64::MAX;
    let msg = testing::protect(
        &mut bob.group,
        &bob.signer,
        c,
        None,
        HandshakeFormat::Public,
    )
    .expect("protect");
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(invalid(&err), ValidationError::WrongEpoch { .. }),
        "{err}"
    );
}

/// V-6.1-01: a member sender must be an in-range, non-blank leaf.
#[test]
fn v_6_1_01_member_sender_out_of_range_or_blank_is_rejected() {
    let (mut alice, mut bob, mut carol) = trio();
    let mut c = content(&bob, Content::Proposal(remove(2)));
    c.sender = Sender::Member(LeafIndex(9));
    let msg = testing::protect(
        &mut bob.group,
        &bob.signer,
        c,
        None,
        HandshakeFormat::Public,
    )
    .expect("protect");
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSender(SenderReason::MemberLeafBlankOrOutOfRange)
        ),
        "{err}"
    );
    // carol removes bob; a PublicMessage from bob's blank leaf is then rejected.
    let out = carol
        .group
        .remove_members(
            &carol.signer,
            &[LeafIndex(1)],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("remove");
    carol.group.merge_pending_commit().expect("merge");
    apply(&mut alice.group, &out.commit);
    let mut c = content(&carol, Content::Proposal(remove(2)));
    c.sender = Sender::Member(LeafIndex(1));
    let msg = testing::protect(
        &mut carol.group,
        &bob.signer,
        c,
        None,
        HandshakeFormat::Public,
    )
    .expect("protect");
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSender(SenderReason::MemberLeafBlankOrOutOfRange)
        ),
        "{err}"
    );
}

/// V-6.3.2-03, V-6.3.1-07: in a PrivateMessage, `SenderData.leaf_index` must be a non-blank
/// leaf.
#[test]
fn v_6_3_2_03_private_message_from_a_blank_leaf_is_rejected() {
    let (mut alice, _bob, mut carol) = trio();
    let out = carol
        .group
        .remove_members(
            &carol.signer,
            &[LeafIndex(1)],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("remove");
    carol.group.merge_pending_commit().expect("merge");
    apply(&mut alice.group, &out.commit);
    let mut c = application(&carol, b"as bob");
    c.sender = Sender::Member(LeafIndex(1));
    let msg = app_message(&mut carol, c);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSender(SenderReason::PrivateMessageFromBlankLeaf)
        ),
        "{err}"
    );
}

fn external_group() -> (cohort_crypto::SoftwareSigner, Member, Member, Member) {
    let ext_signer = signer();
    let senders = ExternalSenders(vec![ExternalSender {
        signature_key: ext_signer.public_key().clone(),
        credential: cohort_credential::Credential::basic(b"server".to_vec()),
    }]);
    let (a, b, c) = trio_with(vec![senders.to_extension().expect("ext")]);
    (ext_signer, a, b, c)
}

/// A PublicMessage from a non-member `sender`, signed by `signer` with `wire_format`.
fn non_member(
    group: &Member,
    sender: Sender,
    body: Content,
    signer: &cohort_crypto::SoftwareSigner,
) -> MlsMessage {
    let mut c = content(group, body);
    c.sender = sender;
    let signature = sign_content(
        signer,
        WireFormat::PUBLIC_MESSAGE,
        &c,
        group.group.context(),
    )
    .expect("sign");
    MlsMessage::new(MlsMessageBody::PublicMessage(PublicMessage {
        content: c,
        auth: FramedContentAuthData {
            signature,
            confirmation_tag: None,
        },
        membership_tag: None,
    }))
}

/// V-6.1-02, V-12.1.8-03: an external sender needs the `external_senders` extension and an
/// index inside it; a valid one is accepted.
#[test]
fn v_6_1_02_external_sender_without_extension_or_out_of_range_is_rejected() {
    let (mut alice, _bob, _carol) = trio();
    let s = signer();
    let msg = non_member(
        &alice,
        Sender::External(0),
        Content::Proposal(remove(2)),
        &s,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSender(SenderReason::NoExternalSenders)
        ),
        "{err}"
    );
    let (ext_signer, mut alice, _bob, _carol) = external_group();
    let msg = non_member(
        &alice,
        Sender::External(1),
        Content::Proposal(remove(2)),
        &ext_signer,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSender(SenderReason::ExternalSenderOutOfRange)
        ),
        "{err}"
    );
    // Index 0, signed by another key: the signature fails (V-6.1-06).
    let msg = non_member(
        &alice,
        Sender::External(0),
        Content::Proposal(remove(2)),
        &s,
    );
    reject_as_badly_signed(&mut alice.group, &msg);
    // Index 0 with the right key is accepted.
    let msg = non_member(
        &alice,
        Sender::External(0),
        Content::Proposal(remove(2)),
        &ext_signer,
    );
    accept_proposal(&mut alice.group, &msg);
}

/// V-6.1-05, V-12.1.8-05: a new_member_proposal must be an Add, signed by the key in its own
/// KeyPackage.
#[test]
fn v_6_1_05_new_member_proposal_must_be_a_self_signed_add() {
    let (mut alice, _bob, _carol) = trio();
    let (kp, _, kp_signer) = key_package("dave");
    let other = signer();
    let add = Content::Proposal(Proposal::Add(cohort_messages::proposal::Add {
        key_package: kp,
    }));
    let msg = non_member(&alice, Sender::NewMemberProposal, add.clone(), &other);
    reject_as_badly_signed(&mut alice.group, &msg);
    let msg = non_member(
        &alice,
        Sender::NewMemberProposal,
        Content::Proposal(remove(2)),
        &kp_signer,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSender(SenderReason::NewMemberProposalNotAdd)
        ),
        "{err}"
    );
    let msg = non_member(&alice, Sender::NewMemberProposal, add, &kp_signer);
    accept_proposal(&mut alice.group, &msg);
}

/// V-6.1-06, V-6.2-02: the content signature must verify over the wire format actually
/// received, under the sender leaf's key.
#[test]
fn v_6_1_06_content_signature_must_verify() {
    let (mut alice, mut bob, carol) = trio();
    // Signed as a PrivateMessage, sent as a PublicMessage.
    let c = content(&bob, Content::Proposal(remove(2)));
    let signature = sign_content(
        &bob.signer,
        WireFormat::PRIVATE_MESSAGE,
        &c,
        bob.group.context(),
    )
    .expect("sign");
    let auth = FramedContentAuthData {
        signature,
        confirmation_tag: None,
    };
    let msg =
        testing::seal(&mut bob.group, c, auth, HandshakeFormat::Public, 0, None).expect("seal");
    reject_as_badly_signed(&mut alice.group, &msg);
    // Signed by carol's key in bob's name, public and private (V-6.3.1-05).
    for format in [HandshakeFormat::Public, HandshakeFormat::Private] {
        let c = content(&bob, Content::Proposal(remove(2)));
        let msg =
            testing::protect(&mut bob.group, &carol.signer, c, None, format).expect("protect");
        reject_as_badly_signed(&mut alice.group, &msg);
    }
}

/// V-6.2-01: a member's PublicMessage must carry the right membership tag.
#[test]
fn v_6_2_01_wrong_membership_tag_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let msg = craft_proposal(&mut bob, remove(2), HandshakeFormat::Public);
    let MlsMessageBody::PublicMessage(mut m) = msg.body else {
        panic!()
    };
    let mut tag = m.membership_tag.take().expect("tag").0.into_vec();
    tag[31] ^= 0x80;
    m.membership_tag = Some(Mac(tag.into()));
    let err = reject(
        &mut alice.group,
        &MlsMessage::new(MlsMessageBody::PublicMessage(m)),
    );
    assert!(
        matches!(invalid(&err), ValidationError::InvalidMembershipTag),
        "{err}"
    );
    // A tag of the previous epoch's key does not verify either.
    let stale = craft_proposal(&mut bob, remove(2), HandshakeFormat::Public);
    let out = bob
        .group
        .self_update(&bob.signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    bob.group.merge_pending_commit().expect("merge");
    apply(&mut alice.group, &out.commit);
    let MlsMessageBody::PublicMessage(mut m) = stale.body else {
        panic!()
    };
    m.content.epoch = alice.group.epoch();
    let err = reject(
        &mut alice.group,
        &MlsMessage::new(MlsMessageBody::PublicMessage(m)),
    );
    assert!(
        matches!(invalid(&err), ValidationError::InvalidMembershipTag),
        "{err}"
    );
}

/// V-6.2-03: `membership_tag` is present exactly for member senders; the decoder reads it by
/// sender type, so a member message without it, or a non-member message with one, does not
/// decode.
#[test]
fn v_6_2_03_membership_tag_presence_follows_the_sender_type() {
    let (alice, mut bob, _carol) = trio();
    let msg = craft_proposal(&mut bob, remove(2), HandshakeFormat::Public);
    let bytes = msg.to_bytes().expect("encode");
    // The tag is the last 33 bytes (length prefix and 32 bytes).
    assert!(MlsMessage::from_bytes(&bytes[..bytes.len() - 33]).is_err());
    let s = signer();
    let ext = non_member(
        &alice,
        Sender::NewMemberProposal,
        Content::Proposal(remove(2)),
        &s,
    );
    let mut bytes = ext.to_bytes().expect("encode");
    bytes.push(32);
    bytes.extend_from_slice(&[0; 32]);
    assert!(MlsMessage::from_bytes(&bytes).is_err());
}

/// V-6.3.1-04: every padding byte of a PrivateMessage must be zero.
#[test]
fn v_6_3_1_04_non_zero_padding_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let c = application(&bob, b"padded");
    let msg = testing::protect_private_tweaked(&mut bob.group, &bob.signer, c, None, 8, &|p| {
        let last = p.len() - 1;
        p[last] = 1;
    })
    .expect("protect");
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(invalid(&err), ValidationError::InvalidPadding),
        "{err}"
    );
    // The same with zero padding decrypts.
    let c = application(&bob, b"padded");
    let msg = testing::protect_private_tweaked(&mut bob.group, &bob.signer, c, None, 8, &|_| {})
        .expect("protect");
    match deliver(&mut alice.group, &msg).expect("zero padding") {
        Processed::Application { data, .. } => assert_eq!(data, b"padded"),
        other => panic!("{other:?}"),
    }
}

/// V-6.3.2-02: the sender data must decrypt under the epoch's sender-data key.
#[test]
fn v_6_3_2_02_damaged_sender_data_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let msg = bob
        .group
        .encrypt_application(&bob.signer, b"hi", b"", 0)
        .expect("encrypt");
    let MlsMessageBody::PrivateMessage(mut m) = msg.body.clone() else {
        panic!()
    };
    let mut sd = m.encrypted_sender_data.into_vec();
    sd[0] ^= 1;
    m.encrypted_sender_data = sd.into();
    let err = reject(
        &mut alice.group,
        &MlsMessage::new(MlsMessageBody::PrivateMessage(m)),
    );
    assert!(
        matches!(
            invalid(&err),
            ValidationError::DecryptionFailed(EncryptedObject::SenderData)
        ),
        "{err}"
    );
    // Nothing was consumed: the original still decrypts.
    assert!(matches!(
        deliver(&mut alice.group, &msg),
        Ok(Processed::Application { .. })
    ));
}

/// V-6.1-04: a new_member_commit must carry a commit with a path (its signature key comes from
/// the path leaf).
#[test]
fn v_6_1_04_new_member_commit_without_a_path_is_rejected() {
    let (mut alice, _bob, _carol) = trio();
    let s = signer();
    let commit = Content::Commit(cohort_messages::proposal::Commit {
        proposals: Vec::new(),
        path: None,
    });
    let mut c = content(&alice, commit);
    c.sender = Sender::NewMemberCommit;
    let signature =
        sign_content(&s, WireFormat::PUBLIC_MESSAGE, &c, alice.group.context()).expect("sign");
    let msg = MlsMessage::new(MlsMessageBody::PublicMessage(PublicMessage {
        content: c,
        auth: FramedContentAuthData {
            signature,
            confirmation_tag: Some(fake_tag()),
        },
        membership_tag: None,
    }));
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidCommit(CommitReason::NewMemberCommitWithoutPath)
        ),
        "{err}"
    );
    let msg = non_member(
        &alice,
        Sender::NewMemberCommit,
        Content::Proposal(remove(2)),
        &s,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSender(SenderReason::NewMemberCommitNotCommit)
        ),
        "{err}"
    );
}

/// V-6.1-08: the signatures of external and new-member-proposal senders do not cover the
/// GroupContext, so their group id and epoch are checked explicitly.
#[test]
fn v_6_1_08_external_proposal_for_another_group_or_epoch_is_rejected() {
    let (ext_signer, mut alice, _bob, _carol) = external_group();
    let epoch = alice.group.epoch();
    for which in [0, 1] {
        let mut c = content(&alice, Content::Proposal(remove(2)));
        c.sender = Sender::External(0);
        if which == 0 {
            c.epoch = epoch + 3;
        } else {
            c.group_id = b"elsewhere".to_vec().into();
        }
        let signature = sign_content(
            &ext_signer,
            WireFormat::PUBLIC_MESSAGE,
            &c,
            alice.group.context(),
        )
        .expect("sign");
        let msg = MlsMessage::new(MlsMessageBody::PublicMessage(PublicMessage {
            content: c,
            auth: FramedContentAuthData {
                signature,
                confirmation_tag: None,
            },
            membership_tag: None,
        }));
        let err = reject(&mut alice.group, &msg);
        if which == 0 {
            assert!(
                matches!(invalid(&err), ValidationError::WrongEpoch { .. }),
                "{err}"
            );
        } else {
            assert!(
                matches!(invalid(&err), ValidationError::WrongGroupId),
                "{err}"
            );
        }
    }
}

/// V-6.3-01: a PrivateMessage's content_type must be application, proposal or commit; any
/// other value does not decode.
#[test]
fn v_6_3_01_unknown_private_content_type_does_not_decode() {
    let (_alice, mut bob, _carol) = trio();
    let msg = bob
        .group
        .encrypt_application(&bob.signer, b"hi", b"", 0)
        .expect("encrypt");
    let mut bytes = msg.to_bytes().expect("encode");
    // version, wire_format, group_id (one length byte), epoch, then content_type.
    let at = 2 + 2 + 1 + bob.group.group_id().len() + 8;
    assert_eq!(bytes[at], 1);
    MlsMessage::from_bytes(&bytes).expect("the original decodes");
    for bad in [0, 4, 0xff] {
        bytes[at] = bad;
        assert!(
            MlsMessage::from_bytes(&bytes).is_err(),
            "content_type {bad}"
        );
    }
}

/// V-6.3.2-01: the sender-data key and nonce come from the first KDF.Nh bytes of the
/// ciphertext: changing one of those bytes makes the sender data fail, while a later byte
/// only breaks the content (V-6.3.1-03: the content AAD covers the authenticated data too).
#[test]
fn v_6_3_2_01_sender_data_keys_come_from_the_ciphertext_sample() {
    let (mut alice, mut bob, _carol) = trio();
    let msg = bob
        .group
        .encrypt_application(&bob.signer, &[7; 100], b"aad", 0)
        .expect("encrypt");
    let MlsMessageBody::PrivateMessage(m) = msg.body.clone() else {
        panic!()
    };
    for (at, what) in [
        (0, EncryptedObject::SenderData),
        (31, EncryptedObject::SenderData),
        (32, EncryptedObject::PrivateMessageContent),
    ] {
        let mut bad = m.clone();
        let mut ct = bad.ciphertext.into_vec();
        ct[at] ^= 1;
        bad.ciphertext = ct.into();
        let err = reject(
            &mut alice.group,
            &MlsMessage::new(MlsMessageBody::PrivateMessage(bad)),
        );
        assert!(
            matches!(invalid(&err), ValidationError::DecryptionFailed(w) if *w == what),
            "byte {at}: {err}"
        );
    }
    let mut bad = m;
    bad.authenticated_data = b"aae".to_vec().into();
    let err = reject(
        &mut alice.group,
        &MlsMessage::new(MlsMessageBody::PrivateMessage(bad)),
    );
    assert!(
        matches!(
            invalid(&err),
            ValidationError::DecryptionFailed(EncryptedObject::PrivateMessageContent)
        ),
        "{err}"
    );
    assert!(matches!(
        deliver(&mut alice.group, &msg),
        Ok(Processed::Application { .. })
    ));
}

/// V-6.3.1-06: the decrypted content is decoded by the outer content_type; garbage is
/// malformed.
#[test]
fn v_6_3_1_06_undecodable_private_content_is_malformed() {
    let (mut alice, mut bob, _carol) = trio();
    let c = content(&bob, Content::Proposal(remove(2)));
    let msg = testing::protect_private_tweaked(&mut bob.group, &bob.signer, c, None, 0, &|p| {
        // The proposal type becomes reserved(0).
        p[0] = 0;
        p[1] = 0;
    })
    .expect("protect");
    let before = alice.group.to_state_bytes().expect("save");
    let err = alice
        .group
        .process_message(wire(&msg), &cohort_group::NoPsks, Some(NOW))
        .expect_err("rejected");
    assert!(matches!(err, Error::Malformed(_)), "{err}");
    assert_eq!(*alice.group.to_state_bytes().expect("save"), *before);
}

/// `auth` sealed as a PrivateMessage of `from` (the sender data names `from`'s leaf) over
/// `from`'s content `body`.
fn private_with_auth(from: &mut Member, body: Content, auth: FramedContentAuthData) -> MlsMessage {
    let c = content(from, body);
    testing::seal(&mut from.group, c, auth, HandshakeFormat::Private, 0, None).expect("seal")
}

/// V-12.1.8-01: external proposals must arrive as PublicMessage. A PrivateMessage has no way to
/// name an external sender (its SenderData carries a leaf index), so the receiver rebuilds the
/// content with `sender = member(leaf)`: the server's proposal, signed as `external(0)` and
/// sealed in a member's PrivateMessage, fails the signature check and is not cached; the same
/// proposal as a PublicMessage is accepted.
#[test]
fn v_12_1_8_01_external_proposal_in_a_private_message_is_rejected() {
    let (ext_signer, mut alice, mut bob, _carol) = external_group();
    let mut external = content(&bob, Content::Proposal(remove(2)));
    external.sender = Sender::External(0);
    for wire_format in [WireFormat::PRIVATE_MESSAGE, WireFormat::PUBLIC_MESSAGE] {
        let signature =
            sign_content(&ext_signer, wire_format, &external, alice.group.context()).expect("sign");
        let auth = FramedContentAuthData {
            signature,
            confirmation_tag: None,
        };
        let msg = private_with_auth(&mut bob, Content::Proposal(remove(2)), auth);
        reject_as_badly_signed(&mut alice.group, &msg);
    }
    // The server signing the member-sender content as a PrivateMessage fails too.
    let as_bob = content(&bob, Content::Proposal(remove(2)));
    let signature = sign_content(
        &ext_signer,
        WireFormat::PRIVATE_MESSAGE,
        &as_bob,
        alice.group.context(),
    )
    .expect("sign");
    let auth = FramedContentAuthData {
        signature,
        confirmation_tag: None,
    };
    let msg = private_with_auth(&mut bob, Content::Proposal(remove(2)), auth);
    reject_as_badly_signed(&mut alice.group, &msg);
    let msg = non_member(
        &alice,
        Sender::External(0),
        Content::Proposal(remove(2)),
        &ext_signer,
    );
    accept_proposal(&mut alice.group, &msg);
}

/// V-6.3.1-05: the receiver checks a PrivateMessage's FramedContentAuthData over the content
/// rebuilt with `sender = member(SenderData.leaf_index)` and `wire_format =
/// mls_private_message`. Signed with the public wire format, or over another member's sender
/// (carol's content, signed by carol, in bob's sender data), it is refused; signed as the
/// receiver rebuilds it, it is accepted.
#[test]
fn v_6_3_1_05_private_content_is_verified_as_the_receiver_rebuilds_it() {
    let (mut alice, mut bob, carol) = trio();
    let context = alice.group.context().clone();
    let sign = |signer: &cohort_crypto::SoftwareSigner,
                wire_format: WireFormat,
                c: &cohort_messages::framing::FramedContent| FramedContentAuthData {
        signature: sign_content(signer, wire_format, c, &context).expect("sign"),
        confirmation_tag: None,
    };
    let as_bob = content(&bob, Content::Proposal(remove(2)));
    let auth = sign(&bob.signer, WireFormat::PUBLIC_MESSAGE, &as_bob);
    let msg = private_with_auth(&mut bob, Content::Proposal(remove(2)), auth);
    reject_as_badly_signed(&mut alice.group, &msg);
    let as_carol = content(&carol, Content::Proposal(remove(2)));
    let auth = sign(&carol.signer, WireFormat::PRIVATE_MESSAGE, &as_carol);
    let msg = private_with_auth(&mut bob, Content::Proposal(remove(2)), auth);
    reject_as_badly_signed(&mut alice.group, &msg);
    let auth = sign(&bob.signer, WireFormat::PRIVATE_MESSAGE, &as_bob);
    let msg = private_with_auth(&mut bob, Content::Proposal(remove(2)), auth);
    accept_proposal(&mut alice.group, &msg);
}

/// Rejects `msg` (state unchanged, as `reject` checks) for a signature that does not verify over
/// the content as the receiver rebuilds it.
fn reject_as_badly_signed(to: &mut Group, msg: &MlsMessage) {
    let err = reject(to, msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSignature(SignedObject::FramedContent)
        ),
        "{err}"
    );
}
