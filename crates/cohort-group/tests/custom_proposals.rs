//! Custom proposal types (RFC 9420 §12.1, §13): carried only for a client that implements them,
//! judged by the application, committed only when every member supports them, and shown to the
//! application in the commit's summary.

#[path = "support.rs"]
mod support;

use std::sync::Arc;

use cohort_codec::VarBytes;
use cohort_group::{
    CommitOptions, CustomProposals, Error, HandshakeFormat, Processed, ValidationError,
};
use cohort_messages::framing::Sender;
use cohort_messages::group_context::GroupContext;
use cohort_messages::proposal::{Proposal, ProposalOrRef};
use cohort_tree::leaf::ProposalType;
use support::{Member, NOW, commit_of, craft_commit, craft_proposal, pair_with, reject, spec};

/// A private-use proposal type: a room topic of at most 16 bytes of UTF-8.
const TOPIC: ProposalType = ProposalType(0xF0A0);

#[derive(Debug)]
struct Topic {
    path_required: bool,
}

impl CustomProposals for Topic {
    fn supports(&self, proposal_type: ProposalType) -> bool {
        proposal_type == TOPIC
    }

    fn path_required(&self, _: ProposalType) -> bool {
        self.path_required
    }

    fn validate(&self, _: ProposalType, data: &[u8], _: Sender, _: &GroupContext) -> bool {
        data.len() <= 16 && std::str::from_utf8(data).is_ok()
    }
}

/// `m` commits `proposals` by value (and whatever it has cached), with default options.
fn commit_with(
    m: &mut Member,
    proposals: Vec<Proposal>,
) -> Result<cohort_group::CommitOutput, Error> {
    m.group.commit(
        &m.signer,
        proposals,
        &CommitOptions::new(),
        &cohort_group::NoPsks,
        Some(NOW),
    )
}

fn topic(text: &[u8]) -> Proposal {
    Proposal::Custom {
        proposal_type: TOPIC,
        data: VarBytes::from(text.to_vec()),
    }
}

/// alice and bob, whose leaves list TOPIC when `bob_lists_it` (alice's always does), both with
/// the Topic handler.
fn pair(bob_lists_it: bool, path_required: bool) -> (Member, Member) {
    let mut alice_spec = spec("alice");
    alice_spec.capabilities.proposals = vec![TOPIC];
    let mut bob_spec = spec("bob");
    if bob_lists_it {
        bob_spec.capabilities.proposals = vec![TOPIC];
    }
    let (mut alice, mut bob) = pair_with(&alice_spec, &bob_spec, Vec::new());
    for m in [&mut alice, &mut bob] {
        m.group
            .set_custom_proposals(Arc::new(Topic { path_required }));
    }
    (alice, bob)
}

/// V-12.1-04: a client that does not implement a proposal type rejects a message carrying it.
#[test]
fn v_12_1_04_a_proposal_of_a_type_we_do_not_implement_is_rejected() {
    let (mut alice, mut bob) = pair(true, false);
    bob.group
        .set_custom_proposals(Arc::new(cohort_group::NoCustomProposals));
    let msg = alice
        .group
        .propose(
            &alice.signer,
            topic(b"lunch"),
            HandshakeFormat::Public,
            Some(NOW),
        )
        .expect("alice implements it");
    let err = reject(&mut bob.group, &msg);
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::UnsupportedProposalType(0xF0A0))
        ),
        "{err}"
    );
}

/// The application's check runs on a received custom proposal: one it refuses is rejected,
/// and the state is unchanged.
#[test]
fn a_custom_proposal_the_application_refuses_is_rejected() {
    let (mut alice, mut bob) = pair(true, false);
    let msg = craft_proposal(&mut alice, topic(&[0xff; 4]), HandshakeFormat::Public);
    let err = reject(&mut bob.group, &msg);
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::CustomProposalRejected(0xF0A0))
        ),
        "{err}"
    );
    // The sender's own check refuses it too.
    assert!(matches!(
        alice.group.propose(
            &alice.signer,
            topic(&[0xff; 4]),
            HandshakeFormat::Public,
            Some(NOW)
        ),
        Err(Error::Invalid(ValidationError::CustomProposalRejected(
            0xF0A0
        )))
    ));
}

/// A custom proposal sent by reference is cached and committed; the receiver's staged commit
/// and the committer's summary list it, and the members agree on the new epoch. Its type needs
/// no path here, so the commit carries none.
#[test]
fn a_custom_proposal_is_committed_and_listed_in_the_summary() {
    let (mut alice, mut bob) = pair(true, false);
    let msg = alice
        .group
        .propose(
            &alice.signer,
            topic(b"lunch"),
            HandshakeFormat::Public,
            Some(NOW),
        )
        .expect("propose");
    assert!(matches!(
        support::deliver(&mut bob.group, &msg).expect("cached"),
        Processed::Proposal { .. }
    ));
    let out = commit_with(&mut bob, vec![topic(b"dinner")]).expect("commit");
    bob.group.merge_pending_commit().expect("merge");
    let Processed::Commit(staged) =
        support::deliver(&mut alice.group, &out.commit).expect("commit")
    else {
        panic!("a commit")
    };
    assert_eq!(
        staged.summary().custom,
        [(TOPIC, b"lunch".to_vec()), (TOPIC, b"dinner".to_vec())]
    );
    alice.group.merge_staged(*staged).expect("merge");
    assert_eq!(
        alice.group.epoch_authenticator(),
        bob.group.epoch_authenticator()
    );
}

/// V-12.2-12 (V-13.2-01): a commit carrying a custom type that a member who processes it does
/// not list in its capabilities is invalid, whoever made it.
#[test]
fn v_12_2_12_a_custom_type_a_member_does_not_support_cannot_be_committed() {
    let (mut alice, mut bob) = pair(false, false);
    let refused = commit_with(&mut alice, vec![topic(b"lunch")]);
    assert!(
        matches!(
            refused,
            Err(Error::Invalid(ValidationError::InvalidProposalList(
                cohort_group::reason::ProposalListReason::CustomTypeUnsupported
            )))
        ),
        "{refused:?}"
    );
    let msg = commit_of(&mut alice, vec![topic(b"lunch")]);
    let err = reject(&mut bob.group, &msg);
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::InvalidProposalList(
                cohort_group::reason::ProposalListReason::CustomTypeUnsupported
            ))
        ),
        "{err}"
    );
}

/// V-12.4-01: a custom type whose handler says it needs a path makes a commit without one
/// invalid.
#[test]
fn v_12_4_01_a_path_required_custom_type_needs_a_path() {
    let (mut alice, mut bob) = pair(true, true);
    let msg = craft_commit(
        &mut alice,
        vec![ProposalOrRef::Proposal(topic(b"lunch"))],
        None,
        HandshakeFormat::Public,
    );
    let err = reject(&mut bob.group, &msg);
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::InvalidCommit(
                cohort_group::reason::CommitReason::PathMissing
            ))
        ),
        "{err}"
    );
    // The committer's own commit carries a path.
    let out = commit_with(&mut alice, vec![topic(b"lunch")]).expect("commit");
    let Processed::Commit(staged) = support::deliver(&mut bob.group, &out.commit).expect("commit")
    else {
        panic!("a commit")
    };
    assert_eq!(staged.summary().custom.len(), 1);
}

/// The application's policies are not stored: set again after a reload, they also hold for the
/// epoch a pending commit opens when it is merged (its stored next state has none).
#[test]
fn the_handler_set_after_a_reload_holds_after_merging_a_pending_commit() {
    let (mut alice, mut bob) = pair(true, false);
    let out = alice
        .group
        .self_update(&alice.signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    let bytes = alice.group.to_state_bytes().expect("save");
    alice.group =
        cohort_group::Group::from_state_bytes(&support::provider(), &bytes).expect("load");
    alice
        .group
        .set_credential_validator(Arc::new(support::AcceptAll));
    alice.group.set_custom_proposals(Arc::new(Topic {
        path_required: false,
    }));
    alice.group.merge_pending_commit().expect("merge");
    support::apply(&mut bob.group, &out.commit);
    let msg = bob
        .group
        .propose(
            &bob.signer,
            topic(b"lunch"),
            HandshakeFormat::Public,
            Some(NOW),
        )
        .expect("propose");
    assert!(matches!(
        support::deliver(&mut alice.group, &msg).expect("alice still implements TOPIC"),
        Processed::Proposal { .. }
    ));
}
