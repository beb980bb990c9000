//! Proposals from outside the group (RFC 9420 §12.1.8): an external sender of the
//! `external_senders` extension and a new member's self-Add, built with the public API,
//! processed by members and committed by reference.

#[path = "support.rs"]
mod support;

use cohort_crypto::{Signer, SoftwareSigner};
use cohort_group::{
    ApiMisuse, CommitOptions, Error, ExternalProposalPolicy, Group, GroupStatus, JoinInput, NoPsks,
    Processed, ValidationError, external_proposal, new_member_proposal,
};
use cohort_messages::extensions::{ExtensionPayload, ExternalSender, ExternalSenders};
use cohort_messages::framing::Sender;
use cohort_messages::group_context::GroupContext;
use cohort_messages::proposal::{
    Add, GroupContextExtensions, PreSharedKey, Proposal, ReInit, Remove, Update,
};
use cohort_messages::psk::{PreSharedKeyId, Psk, ResumptionPskUsage};
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::leaf::ProtocolVersion;
use cohort_tree::math::LeafIndex;
use support::*;

/// The external sender's signer, and alice, bob and carol in a group that lists it at index 0.
fn external_group() -> (SoftwareSigner, Member, Member, Member) {
    let ext_signer = signer();
    let (a, b, c) = trio_with(vec![senders_extension(&ext_signer)]);
    (ext_signer, a, b, c)
}

fn senders_extension(s: &SoftwareSigner) -> cohort_tree::extension::Extension {
    ExternalSenders(vec![ExternalSender {
        signature_key: s.public_key().clone(),
        credential: cohort_credential::Credential::basic(b"server".to_vec()),
    }])
    .to_extension()
    .expect("ext")
}

/// The GroupContext a non-member learns from `m`'s GroupInfo.
fn context_from_group_info(m: &Member) -> GroupContext {
    let gi = wire(&m.group.group_info(&m.signer, false).expect("group info"));
    let MlsMessageBody::GroupInfo(gi) = gi.body else {
        panic!("not a GroupInfo")
    };
    gi.group_context
}

fn from_external(ext: &SoftwareSigner, m: &Member, proposal: Proposal) -> MlsMessage {
    let msg = external_proposal(
        &provider(),
        ext,
        &context_from_group_info(m),
        0,
        proposal,
        b"from the server",
    )
    .expect("external proposal");
    // V-12.1.8-01: an external proposal is a PublicMessage.
    assert!(matches!(msg.body, MlsMessageBody::PublicMessage(_)));
    msg
}

/// Delivers a proposal and checks its sender.
fn accept_from(to: &mut Group, msg: &MlsMessage, sender: Sender) {
    match deliver(to, msg).expect("proposal") {
        Processed::Proposal { sender: s, .. } => assert_eq!(s, sender),
        other => panic!("expected a proposal, got {other:?}"),
    }
}

#[test]
fn external_remove_is_committed_by_reference() {
    let (ext, mut alice, mut bob, mut carol) = external_group();
    let msg = from_external(
        &ext,
        &alice,
        Proposal::Remove(Remove {
            removed: LeafIndex(2),
        }),
    );
    accept_from(&mut alice.group, &msg, Sender::External(0));
    accept_from(&mut bob.group, &msg, Sender::External(0));
    accept_from(&mut carol.group, &msg, Sender::External(0));
    let out = bob
        .group
        .commit(
            &bob.signer,
            Vec::new(),
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("commit");
    bob.group.merge_pending_commit().expect("merge");
    match deliver(&mut alice.group, &out.commit).expect("process") {
        Processed::Commit(staged) => {
            assert_eq!(staged.summary().removed, vec![LeafIndex(2)]);
            alice.group.merge_staged(*staged).expect("merge");
        }
        other => panic!("expected a commit, got {other:?}"),
    }
    apply(&mut carol.group, &out.commit);
    assert_eq!(carol.group.status(), GroupStatus::Removed);
    assert_eq!(
        alice.group.epoch_authenticator(),
        bob.group.epoch_authenticator()
    );
    assert_eq!(alice.group.members().count(), 2);
}

/// A cached proposal (here an external one) survives a save and a load, and is then committed
/// by reference.
#[test]
fn cached_external_proposal_survives_save_and_load() {
    let (ext, mut alice, mut bob, _carol) = external_group();
    let msg = from_external(
        &ext,
        &alice,
        Proposal::Remove(Remove {
            removed: LeafIndex(2),
        }),
    );
    accept_from(&mut alice.group, &msg, Sender::External(0));
    accept_from(&mut bob.group, &msg, Sender::External(0));
    let bytes = bob.group.to_state_bytes().expect("save");
    bob.group = Group::from_state_bytes(&provider(), &bytes).expect("load");
    bob.group
        .set_credential_validator(std::sync::Arc::new(AcceptAll));
    assert_eq!(*bob.group.to_state_bytes().expect("save"), *bytes);
    let out = bob
        .group
        .commit(
            &bob.signer,
            Vec::new(),
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("commit");
    bob.group.merge_pending_commit().expect("merge");
    apply(&mut alice.group, &out.commit);
    assert_eq!(alice.group.members().count(), 2);
}

#[test]
fn external_add_brings_in_a_new_member() {
    let (ext, mut alice, mut bob, mut carol) = external_group();
    let (kp, secrets, _) = key_package("dave");
    let msg = from_external(
        &ext,
        &alice,
        Proposal::Add(Add {
            key_package: kp.clone(),
        }),
    );
    for m in [&mut alice, &mut bob, &mut carol] {
        accept_from(&mut m.group, &msg, Sender::External(0));
    }
    let out = carol
        .group
        .commit(
            &carol.signer,
            Vec::new(),
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("commit");
    carol.group.merge_pending_commit().expect("merge");
    apply(&mut alice.group, &out.commit);
    apply(&mut bob.group, &out.commit);
    let MlsMessageBody::Welcome(welcome) = out.welcome.expect("welcome").body else {
        panic!("not a Welcome")
    };
    let input = JoinInput {
        welcome: &welcome,
        key_package: &kp,
        secrets: &secrets,
        ratchet_tree: None,
        now: Some(NOW),
    };
    let dave = Group::join(&provider(), input, &NoPsks, config()).expect("join");
    assert_eq!(
        dave.epoch_authenticator(),
        alice.group.epoch_authenticator()
    );
    assert_eq!(dave.members().count(), 4);
}

#[test]
fn new_member_proposal_self_add_is_committed() {
    let (mut alice, mut bob, _carol) = trio();
    let (kp, secrets, dave_signer) = key_package("dave");
    let msg = new_member_proposal(
        &provider(),
        &dave_signer,
        &context_from_group_info(&alice),
        kp.clone(),
        b"let me in",
    )
    .expect("proposal");
    assert!(matches!(msg.body, MlsMessageBody::PublicMessage(_)));
    accept_from(&mut alice.group, &msg, Sender::NewMemberProposal);
    accept_from(&mut bob.group, &msg, Sender::NewMemberProposal);
    let out = alice
        .group
        .commit(
            &alice.signer,
            Vec::new(),
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("commit");
    alice.group.merge_pending_commit().expect("merge");
    apply(&mut bob.group, &out.commit);
    let MlsMessageBody::Welcome(welcome) = out.welcome.expect("welcome").body else {
        panic!("not a Welcome")
    };
    let input = JoinInput {
        welcome: &welcome,
        key_package: &kp,
        secrets: &secrets,
        ratchet_tree: None,
        now: Some(NOW),
    };
    let dave = Group::join(&provider(), input, &NoPsks, config()).expect("join");
    assert_eq!(dave.epoch_authenticator(), bob.group.epoch_authenticator());
}

#[test]
fn external_reinit_and_group_context_extensions_are_committed() {
    let (ext, mut alice, mut bob, _carol) = external_group();
    // GroupContextExtensions: the same senders, plus nothing else (a path is required).
    let gce = from_external(
        &ext,
        &alice,
        Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: vec![senders_extension(&ext)],
        }),
    );
    accept_from(&mut alice.group, &gce, Sender::External(0));
    accept_from(&mut bob.group, &gce, Sender::External(0));
    let out = alice
        .group
        .commit(
            &alice.signer,
            Vec::new(),
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("commit GCE");
    alice.group.merge_pending_commit().expect("merge");
    match deliver(&mut bob.group, &out.commit).expect("process") {
        Processed::Commit(staged) => {
            assert!(staged.summary().extensions_changed);
            bob.group.merge_staged(*staged).expect("merge");
        }
        other => panic!("expected a commit, got {other:?}"),
    }
    // ReInit from the external sender, committed by bob.
    let reinit = ReInit {
        group_id: b"next".to_vec().into(),
        version: ProtocolVersion::MLS10,
        cipher_suite: CS,
        extensions: Vec::new(),
    };
    let msg = from_external(&ext, &bob, Proposal::ReInit(reinit.clone()));
    accept_from(&mut alice.group, &msg, Sender::External(0));
    accept_from(&mut bob.group, &msg, Sender::External(0));
    let out = bob
        .group
        .commit(
            &bob.signer,
            Vec::new(),
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("commit ReInit");
    bob.group.merge_pending_commit().expect("merge");
    apply(&mut alice.group, &out.commit);
    assert_eq!(alice.group.pending_reinit(), Some(&reinit));
    assert_eq!(bob.group.status(), GroupStatus::ReInitPending);
}

/// The sender side refuses what receivers would reject: a proposal type an external sender may
/// not send (V-12.1.8-02), a signer that is not the listed sender (V-12.1.8-03), a new member
/// proposal signed by another key (V-12.1.8-05).
#[test]
fn v_12_1_8_02_sender_side_refusals() {
    let (ext, alice, _bob, _carol) = external_group();
    let context = alice.group.context().clone();
    let update = Proposal::Update(Update {
        leaf_node: leaf_of(&alice, LeafIndex(0)),
    });
    let err = external_proposal(&provider(), &ext, &context, 0, update, b"").expect_err("no");
    assert!(
        matches!(err, Error::Misuse(ApiMisuse::UnsupportedProposal)),
        "{err}"
    );
    let remove = || {
        Proposal::Remove(Remove {
            removed: LeafIndex(1),
        })
    };
    for (s, index) in [(&signer(), 0), (&ext, 1)] {
        let err =
            external_proposal(&provider(), s, &context, index, remove(), b"").expect_err("no");
        assert!(
            matches!(err, Error::Misuse(ApiMisuse::NotTheSender)),
            "{err}"
        );
    }
    let (plain, _, _) = trio();
    let err = external_proposal(&provider(), &ext, plain.group.context(), 0, remove(), b"")
        .expect_err("no extension");
    assert!(
        matches!(err, Error::Misuse(ApiMisuse::NotTheSender)),
        "{err}"
    );
    let (kp, _, _) = key_package("dave");
    let err = new_member_proposal(&provider(), &signer(), &context, kp, b"").expect_err("no");
    assert!(
        matches!(err, Error::Misuse(ApiMisuse::NotTheSender)),
        "{err}"
    );
}

/// V-12.1.4-01, V-12.1.8-02: an external PreSharedKey proposal is judged like a member's: a
/// reinit usage is refused, and the state is unchanged.
#[test]
fn v_12_1_4_01_external_psk_proposal_with_reinit_usage_is_rejected() {
    let (ext, mut alice, _bob, _carol) = external_group();
    let psk = Proposal::PreSharedKey(PreSharedKey {
        psk: PreSharedKeyId {
            psk: Psk::Resumption {
                usage: ResumptionPskUsage::Reinit,
                psk_group_id: alice.group.group_id().to_vec().into(),
                psk_epoch: alice.group.epoch(),
            },
            psk_nonce: vec![1; 32].into(),
        },
    });
    let msg = from_external(&ext, &alice, psk);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::InvalidProposal(
                cohort_group::reason::ProposalReason::NonApplicationResumptionPsk
            ))
        ),
        "{err}"
    );
}

/// An external proposal of a past epoch is rejected, and the state is unchanged.
#[test]
fn external_proposal_of_a_past_epoch_is_rejected() {
    let (ext, mut alice, mut bob, _carol) = external_group();
    let msg = from_external(
        &ext,
        &alice,
        Proposal::Remove(Remove {
            removed: LeafIndex(2),
        }),
    );
    let out = bob
        .group
        .self_update(&bob.signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    bob.group.merge_pending_commit().expect("merge");
    apply(&mut alice.group, &out.commit);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(err, Error::Invalid(ValidationError::WrongEpoch { .. })),
        "{err}"
    );
}

/// Accepts only Removes from outside the group.
#[derive(Debug)]
struct RemovesOnly;

impl ExternalProposalPolicy for RemovesOnly {
    fn authorize(&self, _sender: Sender, proposal: &Proposal, _context: &GroupContext) -> bool {
        matches!(proposal, Proposal::Remove(_))
    }
}

/// V-12.1.8-04: external proposals, self-adds included, that the application does not
/// authorize are rejected, and the state is unchanged.
#[test]
fn v_12_1_8_04_unauthorized_external_proposal_is_rejected() {
    let (ext, mut alice, _bob, _carol) = external_group();
    alice
        .group
        .set_external_proposal_policy(std::sync::Arc::new(RemovesOnly));
    let (kp, _, dave_signer) = key_package("dave");
    let add = from_external(
        &ext,
        &alice,
        Proposal::Add(Add {
            key_package: kp.clone(),
        }),
    );
    let err = reject(&mut alice.group, &add);
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::ExternalProposalRejected)
        ),
        "{err}"
    );
    let self_add = new_member_proposal(&provider(), &dave_signer, alice.group.context(), kp, b"")
        .expect("proposal");
    let err = reject(&mut alice.group, &self_add);
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::ExternalProposalRejected)
        ),
        "{err}"
    );
    let remove = from_external(
        &ext,
        &alice,
        Proposal::Remove(Remove {
            removed: LeafIndex(2),
        }),
    );
    accept_from(&mut alice.group, &remove, Sender::External(0));
}
