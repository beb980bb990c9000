//! SelfRemove (draft-ietf-mls-extensions, "SelfRemove Proposal"): a member leaves with one
//! proposal that another member commits by reference. The receiver rules are the X-SR entries
//! of docs/extensions-checklist.md.

#[path = "support.rs"]
mod support;

use cohort_codec::{Decode, DecodeOptions, Encode};
use cohort_group::reason::{ProposalListReason, ProposalReason};
use cohort_group::{
    CommitOptions, Error, GroupStatus, HandshakeFormat, Processed, ValidationError,
};
use cohort_messages::MlsMessage;
use cohort_messages::proposal::{Proposal, ProposalOrRef, Remove, SelfRemove};
use cohort_tree::leaf::ProposalType;
use support::*;

/// A leaf spec for `name` that lists the proposal types `types`.
fn spec_listing(name: &str, types: &[ProposalType]) -> cohort_group::LeafSpec {
    let mut s = spec(name);
    s.capabilities.proposals = types.to_vec();
    s
}

/// alice, bob and carol, each listing `types` in its capabilities (the last one, carol, only
/// `carol_types`).
fn trio_listing(types: &[ProposalType], carol_types: &[ProposalType]) -> (Member, Member, Member) {
    let (mut alice, mut bob) = pair_with(
        &spec_listing("alice", types),
        &spec_listing("bob", types),
        Vec::new(),
    );
    let carol = add_with(
        &mut alice,
        &mut [&mut bob],
        &spec_listing("carol", carol_types),
    );
    (alice, bob, carol)
}

fn capable_trio() -> (Member, Member, Member) {
    let types = [ProposalType::SELF_REMOVE];
    trio_listing(&types, &types)
}

/// `m`'s self-update commit (merged on its side), and the Commit it carries.
fn self_update_commit(m: &mut Member) -> (MlsMessage, cohort_messages::proposal::Commit) {
    let out = m
        .group
        .self_update(&m.signer, &CommitOptions::new(), Some(NOW))
        .expect("commit");
    m.group.merge_pending_commit().expect("merge");
    let cohort_messages::MlsMessageBody::PublicMessage(pm) = &out.commit.body else {
        panic!("not a PublicMessage")
    };
    let cohort_messages::framing::Content::Commit(c) = &pm.content.content else {
        panic!("not a commit")
    };
    let c = c.clone();
    (out.commit, c)
}

fn self_remove() -> Proposal {
    Proposal::SelfRemove(SelfRemove::default())
}

fn invalid(err: &Error) -> &ValidationError {
    match err {
        Error::Invalid(v) => v,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// X-SR-10: Carol leaves: her SelfRemove is cached by everyone, Alice's next commit covers it by
/// reference, Bob sees Carol removed and Carol sees that she is out.
#[test]
fn a_member_leaves_with_a_self_remove_committed_by_another() {
    let (mut alice, mut bob, mut carol) = capable_trio();
    assert_eq!(
        carol.group.self_remove_code_point(),
        Some(ProposalType::SELF_REMOVE)
    );
    let leave = carol
        .group
        .propose_self_remove(&carol.signer, Some(NOW))
        .expect("propose");
    accept_proposal(&mut alice.group, &leave);
    accept_proposal(&mut bob.group, &leave);
    let (commit, c) = self_update_commit(&mut alice);
    assert!(
        matches!(c.proposals.as_slice(), [ProposalOrRef::Reference(_)]),
        "the SelfRemove is covered by reference"
    );
    match deliver(&mut bob.group, &commit).expect("bob processes") {
        Processed::Commit(staged) => {
            assert_eq!(staged.summary().removed, vec![carol.leaf()]);
            bob.group.merge_staged(*staged).expect("merge");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        bob.group.epoch_authenticator(),
        alice.group.epoch_authenticator()
    );
    assert_eq!(alice.group.members().count(), 2);
    match deliver(&mut carol.group, &commit).expect("carol processes") {
        Processed::Commit(staged) => {
            assert!(staged.summary().removes_us);
            carol.group.merge_staged(*staged).expect("merge");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(carol.group.status(), GroupStatus::Removed);
}

/// X-SR-01: a SelfRemove is valid only in a self-remove-capable group, one whose members all
/// list its type: the sender cannot send it, and a receiver refuses one sent anyway.
#[test]
fn x_sr_01_self_remove_in_a_group_not_all_supporting_it_is_refused() {
    let (mut alice, _bob, mut carol) = trio_listing(&[ProposalType::SELF_REMOVE], &[]);
    assert_eq!(carol.group.self_remove_code_point(), None);
    let err = carol
        .group
        .propose_self_remove(&carol.signer, Some(NOW))
        .expect_err("not capable");
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidProposal(ProposalReason::SelfRemoveUnsupported)
        ),
        "{err}"
    );
    let msg = craft_proposal(&mut carol, self_remove(), HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidProposal(ProposalReason::SelfRemoveUnsupported)
        ),
        "{err}"
    );
}

/// X-SR-03: a SelfRemove must be a PublicMessage (external joiners read it); as a
/// PrivateMessage it is refused, and the sender's API does not send one.
#[test]
fn x_sr_03_self_remove_as_a_private_message_is_refused() {
    let (mut alice, _bob, mut carol) = capable_trio();
    let msg = craft_proposal(&mut carol, self_remove(), HandshakeFormat::Private);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidProposal(ProposalReason::SelfRemoveNotPublic)
        ),
        "{err}"
    );
    let err = carol
        .group
        .propose(
            &carol.signer,
            self_remove(),
            HandshakeFormat::Private,
            Some(NOW),
        )
        .expect_err("private");
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidProposal(ProposalReason::SelfRemoveNotPublic)
        ),
        "{err}"
    );
}

/// X-SR-04: a SelfRemove is committed by reference only; one by value makes the commit
/// invalid, and the committer's API refuses to put one there.
#[test]
fn x_sr_04_self_remove_by_value_is_refused() {
    let (mut alice, mut bob, _carol) = capable_trio();
    let msg = commit_of(&mut bob, vec![self_remove()]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidProposalList(ProposalListReason::SelfRemoveByValue)
        ),
        "{err}"
    );
    let err = bob
        .group
        .commit(
            &bob.signer,
            vec![self_remove()],
            &CommitOptions::new(),
            &cohort_group::NoPsks,
            Some(NOW),
        )
        .expect_err("by value");
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidProposalList(ProposalListReason::SelfRemoveByValue)
        ),
        "{err}"
    );
}

/// X-SR-05: the committer cannot commit its own SelfRemove (it would remove itself); its own
/// commits leave it out.
#[test]
fn x_sr_05_committer_committing_its_own_self_remove_is_refused() {
    let (mut alice, mut bob, _carol) = capable_trio();
    let leave = bob
        .group
        .propose_self_remove(&bob.signer, Some(NOW))
        .expect("propose");
    accept_proposal(&mut alice.group, &leave);
    let msg = craft_commit(
        &mut bob,
        vec![ProposalOrRef::Reference(proposal_ref(&leave))],
        None,
        HandshakeFormat::Public,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidProposalList(ProposalListReason::CommitterRemoved)
        ),
        "{err}"
    );
    // Bob's own commit does not cover his SelfRemove, and removes no one.
    let (commit, _) = self_update_commit(&mut bob);
    match deliver(&mut alice.group, &commit).expect("alice processes") {
        Processed::Commit(staged) => assert!(staged.summary().removed.is_empty()),
        other => panic!("{other:?}"),
    }
}

/// X-SR-06: a Remove of a leaf whose member removes itself in the same commit is invalid, as
/// are two SelfRemoves of one member.
#[test]
fn x_sr_06_remove_of_a_self_removing_member_is_refused() {
    let (mut alice, mut bob, mut carol) = capable_trio();
    let leave = carol
        .group
        .propose_self_remove(&carol.signer, Some(NOW))
        .expect("propose");
    accept_proposal(&mut alice.group, &leave);
    accept_proposal(&mut bob.group, &leave);
    let remove = ProposalOrRef::Proposal(Proposal::Remove(Remove {
        removed: carol.leaf(),
    }));
    let by_ref = ProposalOrRef::Reference(proposal_ref(&leave));
    for list in [
        vec![by_ref.clone(), remove.clone()],
        vec![remove, by_ref.clone()],
    ] {
        let msg = craft_commit(&mut bob, list, None, HandshakeFormat::Public);
        let err = reject(&mut alice.group, &msg);
        assert!(
            matches!(
                invalid(&err),
                ValidationError::InvalidProposalList(ProposalListReason::DuplicateUpdateOrRemove)
            ),
            "{err}"
        );
    }
    // A second SelfRemove of Carol's in the same epoch (another message: its authenticated
    // data differs, so its reference does too).
    let mut c = content(
        &carol,
        cohort_messages::framing::Content::Proposal(self_remove()),
    );
    c.authenticated_data = b"again".to_vec().into();
    let again = cohort_group::internal::testing::protect(
        &mut carol.group,
        &carol.signer,
        c,
        None,
        HandshakeFormat::Public,
    )
    .expect("protect");
    accept_proposal(&mut alice.group, &again);
    let list = vec![by_ref, ProposalOrRef::Reference(proposal_ref(&again))];
    let msg = craft_commit(&mut bob, list, None, HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidProposalList(ProposalListReason::DuplicateUpdateOrRemove)
        ),
        "{err}"
    );
}

/// mls-rs sends SelfRemove at 0xF003. In a group whose members list only that type, cohort
/// sends it there too; a receiver reads it as SelfRemove when its decoder has the alias, and
/// as an unknown custom proposal (refused) without it.
#[test]
fn self_remove_at_mls_rs_code_point_needs_the_alias() {
    let types = [ProposalType::SELF_REMOVE_MLS_RS];
    let (mut alice, _bob, mut carol) = trio_listing(&types, &types);
    assert_eq!(
        carol.group.self_remove_code_point(),
        Some(ProposalType::SELF_REMOVE_MLS_RS)
    );
    let leave = carol
        .group
        .propose_self_remove(&carol.signer, Some(NOW))
        .expect("propose");
    let bytes = leave.to_bytes().expect("encode");
    let aliased = DecodeOptions::default().with_self_remove_alias(Some(0xF003));
    let read = MlsMessage::from_bytes_with(&bytes, aliased).expect("decodes with the alias");
    assert_eq!(read, leave);
    match alice
        .group
        .clone()
        .process_message(read, &cohort_group::NoPsks, Some(NOW))
    {
        Ok(Processed::Proposal { proposal, .. }) => {
            assert!(matches!(*proposal, Proposal::SelfRemove(_)))
        }
        other => panic!("{other:?}"),
    }
    // Without the alias the type reads as a custom proposal whose opaque body swallows the
    // bytes after it: the message does not decode, or decodes to something refused.
    if let Ok(misread) = MlsMessage::from_bytes(&bytes) {
        assert!(
            alice
                .group
                .process_message(misread, &cohort_group::NoPsks, Some(NOW))
                .is_err()
        );
    }
}

/// The GroupInfo `m` publishes for external joiners, with the ratchet tree.
fn group_info_of(m: &Member) -> cohort_messages::group_info::GroupInfo {
    let msg = m.group.group_info(&m.signer, true).expect("group info");
    match msg.body {
        cohort_messages::MlsMessageBody::GroupInfo(gi) => gi,
        _ => panic!("not a GroupInfo"),
    }
}

/// X-SR-07: a client joining by external commit covers the group's pending SelfRemoves by
/// reference (the one kind of reference an external commit may hold); the members accept it,
/// the leaver is gone, and everyone shares the new epoch.
#[test]
fn x_sr_07_external_joiner_commits_a_pending_self_remove() {
    let types = [ProposalType::SELF_REMOVE];
    let (mut alice, mut bob, mut carol) = capable_trio();
    let leave = carol
        .group
        .propose_self_remove(&carol.signer, Some(NOW))
        .expect("propose");
    accept_proposal(&mut alice.group, &leave);
    accept_proposal(&mut bob.group, &leave);
    let dave = signer();
    let pending = [leave];
    let joined = cohort_group::Group::join_by_external_commit_with(
        &provider(),
        &dave,
        &spec_listing("dave", &types),
        &group_info_of(&alice),
        None,
        &cohort_group::ExternalJoinOptions::new().self_removes(&pending),
        &cohort_group::NoPsks,
        config(),
        Some(NOW),
    )
    .expect("external join");
    // Carol's leaf is free again before dave takes the leftmost free one.
    assert_eq!(joined.group.own_leaf(), carol.leaf());
    for m in [&mut alice, &mut bob] {
        match deliver(&mut m.group, &joined.commit).expect("process") {
            Processed::Commit(staged) => {
                assert_eq!(staged.summary().removed, vec![carol.leaf()]);
                m.group.merge_staged(*staged).expect("merge");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            m.group.epoch_authenticator(),
            joined.group.epoch_authenticator()
        );
    }
    match deliver(&mut carol.group, &joined.commit).expect("carol processes") {
        Processed::Commit(staged) => assert!(staged.summary().removes_us),
        other => panic!("{other:?}"),
    }
}

/// X-SR-07: what the joiner is handed is checked as a member would check it (the membership tag
/// aside): a SelfRemove whose signature does not verify is refused, and so is one of another
/// epoch.
#[test]
fn x_sr_07_external_joiner_refuses_a_bad_self_remove() {
    let types = [ProposalType::SELF_REMOVE];
    let (alice, _bob, mut carol) = capable_trio();
    let leave = carol
        .group
        .propose_self_remove(&carol.signer, Some(NOW))
        .expect("propose");
    let cohort_messages::MlsMessageBody::PublicMessage(mut m) = leave.clone().body else {
        panic!("not a PublicMessage")
    };
    let mut sig = m.auth.signature.to_vec();
    sig[0] ^= 1;
    m.auth.signature = sig.into();
    let forged = MlsMessage::new(cohort_messages::MlsMessageBody::PublicMessage(m));
    let join = |pending: &[MlsMessage]| {
        cohort_group::Group::join_by_external_commit_with(
            &provider(),
            &signer(),
            &spec_listing("dave", &types),
            &group_info_of(&alice),
            None,
            &cohort_group::ExternalJoinOptions::new().self_removes(pending),
            &cohort_group::NoPsks,
            config(),
            Some(NOW),
        )
    };
    let err = join(&[forged]).map(|_| ()).expect_err("bad signature");
    assert!(
        matches!(invalid(&err), ValidationError::InvalidSignature(_)),
        "{err}"
    );
    let cohort_messages::MlsMessageBody::PublicMessage(mut m) = leave.body else {
        panic!("not a PublicMessage")
    };
    m.content.epoch += 1;
    let other_epoch = MlsMessage::new(cohort_messages::MlsMessageBody::PublicMessage(m));
    let err = join(&[other_epoch]).map(|_| ()).expect_err("another epoch");
    assert!(
        matches!(invalid(&err), ValidationError::WrongEpoch { .. }),
        "{err}"
    );
}

/// X-SR-02: SelfRemove cannot be an external proposal: one signed by an external sender of the
/// group is refused by its sender check (only registry types marked "Ext" come from outside).
#[test]
fn x_sr_02_self_remove_from_an_external_sender_is_refused() {
    use cohort_messages::extensions::{ExtensionPayload, ExternalSender, ExternalSenders};
    let ext = signer();
    let senders = ExternalSenders(vec![ExternalSender {
        signature_key: cohort_crypto::Signer::public_key(&ext).clone(),
        credential: cohort_credential::Credential::basic(b"server".to_vec()),
    }])
    .to_extension()
    .expect("extension");
    let (mut alice, _bob, _carol) = trio_with(vec![senders]);
    let context = alice.group.context().clone();
    let content = cohort_messages::framing::FramedContent {
        group_id: context.group_id.clone(),
        epoch: context.epoch,
        sender: cohort_messages::framing::Sender::External(0),
        authenticated_data: Default::default(),
        content: cohort_messages::framing::Content::Proposal(self_remove()),
    };
    let wire_format = cohort_messages::message::WireFormat::PUBLIC_MESSAGE;
    let signature =
        cohort_group::framing::sign_content(&ext, wire_format, &content, &context).expect("sign");
    let auth = cohort_messages::framing::FramedContentAuthData {
        signature,
        confirmation_tag: None,
    };
    let message =
        cohort_group::framing::seal_public(&*suite(), content, auth, &context, &[]).expect("seal");
    let msg = MlsMessage::new(cohort_messages::MlsMessageBody::PublicMessage(message));
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSender(
                cohort_group::reason::SenderReason::ExternalSenderContent
            )
        ),
        "{err}"
    );
}

/// X-SR-08: a SelfRemove "requires an UpdatePath": a commit covering one by reference without
/// a path is refused, while the committer's API always adds one.
#[test]
fn x_sr_08_commit_of_a_self_remove_without_a_path_is_refused() {
    let (mut alice, mut bob, mut carol) = capable_trio();
    let leave = carol
        .group
        .propose_self_remove(&carol.signer, Some(NOW))
        .expect("propose");
    accept_proposal(&mut alice.group, &leave);
    accept_proposal(&mut bob.group, &leave);
    let msg = craft_commit(
        &mut bob,
        vec![ProposalOrRef::Reference(proposal_ref(&leave))],
        None,
        HandshakeFormat::Public,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidCommit(cohort_group::reason::CommitReason::PathMissing)
        ),
        "{err}"
    );
    let (_, commit) = self_update_commit(&mut bob);
    assert!(commit.path.is_some(), "a SelfRemove commit without a path");
}

/// X-SR-09: "A client MUST NOT issue more than one SelfRemove proposal per epoch": a second
/// `propose_self_remove` in the same epoch issues no new proposal but returns the first one's
/// message.
#[test]
fn x_sr_09_second_self_remove_in_an_epoch_is_the_first_again() {
    let (mut alice, _bob, mut carol) = capable_trio();
    let first = carol
        .group
        .propose_self_remove(&carol.signer, Some(NOW))
        .expect("first");
    let second = carol
        .group
        .propose_self_remove(&carol.signer, Some(NOW))
        .expect("second");
    assert_eq!(first, second, "the same proposal");
    accept_proposal(&mut alice.group, &first);
    accept_proposal(&mut alice.group, &second);
    let (_, commit) = self_update_commit(&mut alice);
    assert_eq!(commit.proposals.len(), 1, "one SelfRemove covered");
}

/// A cached SelfRemove at mls-rs's type survives a store and reload in both formats (its
/// encoding alone would read back as a custom proposal), and the reloaded members go on: the
/// sender returns the same message, the receiver commits it.
#[test]
fn a_cached_self_remove_at_the_alias_survives_a_reload() {
    let types = [ProposalType::SELF_REMOVE_MLS_RS];
    let (mut alice, mut bob, mut carol) = trio_listing(&types, &types);
    let leave = carol
        .group
        .propose_self_remove(&carol.signer, Some(NOW))
        .expect("propose");
    // Delivered as decoded (the tests' `wire` round trip would decode without the alias).
    for m in [&mut alice, &mut bob] {
        m.group
            .process_message(leave.clone(), &cohort_group::NoPsks, Some(NOW))
            .expect("cached");
    }
    let bytes = alice.group.to_state_bytes().expect("save");
    let reloaded = cohort_group::Group::from_state_bytes(&provider(), &bytes).expect("reload");
    assert_eq!(*reloaded.to_state_bytes().expect("save again"), *bytes);
    let split = alice.group.to_split_state().expect("split");
    alice.group =
        cohort_group::Group::from_split_state(&provider(), &split.state, Some(&split.ratchets))
            .expect("reload");
    let bytes = carol.group.to_state_bytes().expect("save");
    carol.group = cohort_group::Group::from_state_bytes(&provider(), &bytes).expect("reload");
    let again = carol
        .group
        .propose_self_remove(&carol.signer, Some(NOW))
        .expect("again");
    assert_eq!(again, leave, "the reloaded sender returns the same message");
    let (commit, _) = self_update_commit(&mut alice);
    match deliver(&mut bob.group, &commit).expect("bob processes") {
        Processed::Commit(staged) => assert_eq!(staged.summary().removed, vec![carol.leaf()]),
        other => panic!("{other:?}"),
    }
}
