//! The application's own rules (RFC 9420 §12.2 "application-specific" checks, §12.4.3.2
//! resync): a `ProposalPolicy` refuses members' proposals and resync, on receipt, inside
//! commits, and on our own side, leaving the state unchanged.

#[path = "support.rs"]
mod support;

use std::sync::Arc;

use cohort_group::{
    CommitOptions, Error, Group, GroupConfig, HandshakeFormat, NoPsks, ProposalPolicy,
    ValidationError,
};
use cohort_messages::MlsMessageBody;
use cohort_messages::group_context::GroupContext;
use cohort_messages::proposal::{Add, Proposal, Remove};
use cohort_tree::math::LeafIndex;
use support::*;

/// Only leaf 0 adds or removes; resync as `resync` says.
#[derive(Debug)]
struct AdminOnly {
    resync: bool,
}

impl ProposalPolicy for AdminOnly {
    fn authorize(&self, sender: LeafIndex, proposal: &Proposal, _: &GroupContext) -> bool {
        match proposal {
            Proposal::Add(_) | Proposal::Remove(_) => sender == LeafIndex(0),
            _ => true,
        }
    }

    fn allow_resync(&self, _: LeafIndex, _: &GroupContext) -> bool {
        self.resync
    }
}

fn policy_violation(err: &Error) -> bool {
    matches!(err, Error::Invalid(ValidationError::PolicyViolation(_)))
}

/// alice (the admin), bob and carol, all with `AdminOnly`.
fn trio_with_policy(resync: bool) -> (Member, Member, Member) {
    let (mut alice, mut bob, mut carol) = trio();
    for m in [&mut alice, &mut bob, &mut carol] {
        m.group.set_proposal_policy(Arc::new(AdminOnly { resync }));
    }
    (alice, bob, carol)
}

/// V-12.2-14: a member's proposal the application forbids is refused: received on its own, in a
/// commit by value, and on the proposer's own side; the admin's goes through.
#[test]
fn v_12_2_14_the_application_policy_refuses_a_members_proposal() {
    let (mut alice, mut bob, mut carol) = trio_with_policy(true);
    let remove_carol = Proposal::Remove(Remove {
        removed: carol.leaf(),
    });
    // Bob's own side refuses.
    let err = bob
        .group
        .propose(
            &bob.signer,
            remove_carol.clone(),
            HandshakeFormat::Public,
            Some(NOW),
        )
        .expect_err("refused");
    assert!(policy_violation(&err), "{err}");
    // Received on its own (sent without the check) and in a commit.
    let msg = craft_proposal(&mut bob, remove_carol.clone(), HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(policy_violation(&err), "{err}");
    let (kp, _, _) = key_package("dave");
    let msg = commit_of(&mut bob, vec![Proposal::Add(Add { key_package: kp })]);
    let err = reject(&mut carol.group, &msg);
    assert!(policy_violation(&err), "{err}");
    // Bob's self-update is allowed; the admin removes carol.
    let out = bob
        .group
        .self_update(&bob.signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    bob.group.merge_pending_commit().expect("merge");
    apply(&mut alice.group, &out.commit);
    apply(&mut carol.group, &out.commit);
    let out = alice
        .group
        .commit(
            &alice.signer,
            vec![remove_carol],
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("the admin removes");
    alice.group.merge_pending_commit().expect("merge");
    apply(&mut bob.group, &out.commit);
    assert_eq!(alice.group.members().count(), 2);
}

/// V-12.4.3.2-09: an application that forbids resync refuses an external commit in which a
/// member re-joins in place of its old leaf; one that allows it accepts the same commit.
#[test]
fn v_12_4_3_2_09_the_application_may_forbid_resync() {
    for allowed in [false, true] {
        let (mut alice, mut bob, _carol) = trio_with_policy(allowed);
        let out = alice
            .group
            .self_update(&alice.signer, &CommitOptions::new(), Some(NOW))
            .expect("update");
        alice.group.merge_pending_commit().expect("merge");
        apply(&mut bob.group, &out.commit);
        let MlsMessageBody::GroupInfo(gi) = out.group_info.expect("group info").body else {
            panic!("not a GroupInfo")
        };
        let joined = Group::join_by_external_commit(
            &provider(),
            &bob.signer,
            &spec("bob"),
            &gi,
            None,
            Some(bob.leaf()),
            GroupConfig::default(),
            Some(NOW),
        )
        .expect("resync");
        if allowed {
            apply(&mut alice.group, &joined.commit);
            assert_eq!(
                alice.group.epoch_authenticator(),
                joined.group.epoch_authenticator()
            );
        } else {
            let err = reject(&mut alice.group, &joined.commit);
            assert!(policy_violation(&err), "{err}");
        }
    }
}
