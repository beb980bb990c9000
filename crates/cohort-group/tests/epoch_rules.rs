//! State rules around epoch changes: a commit of ours stays pending until confirmed and loses to
//! a competing commit (RFC 9420 §14), and application data moves to the new epoch's keys once a
//! commit is merged (§15.2).

#[path = "support.rs"]
mod support;

use cohort_group::{CommitOptions, Error, Processed, ValidationError};
use cohort_messages::{MlsMessage, MlsMessageBody};

use support::*;

fn epoch_of(msg: &MlsMessage) -> u64 {
    match &msg.body {
        MlsMessageBody::PrivateMessage(m) => m.epoch,
        MlsMessageBody::PublicMessage(m) => m.content.epoch,
        other => panic!("not a framed message: {other:?}"),
    }
}

fn receive(to: &mut Member, msg: &MlsMessage) -> Vec<u8> {
    match deliver(&mut to.group, msg).expect("application message") {
        Processed::Application { data, .. } => data,
        other => panic!("expected application data, got {other:?}"),
    }
}

/// V-14-02: creating a commit does not change the current state (the group stays in its epoch
/// and keeps processing that epoch's traffic); when another member's commit for the same epoch
/// is accepted first, ours is thrown away, and our losing commit is refused by those that moved
/// on (V-14-01's `WrongEpoch` for losers).
#[test]
fn v_14_02_pending_commit_changes_nothing_and_loses_to_a_competing_commit() {
    let (mut alice, mut bob, mut carol) = trio();
    let before = bob.group.to_state_bytes().expect("save");
    let epoch = bob.group.epoch();
    let authenticator = bob.group.epoch_authenticator().to_vec();

    // A commit created and then dropped leaves no trace: the stored state (which carries a
    // pending commit along with the group) is byte for byte what it was.
    bob.group
        .self_update(&bob.signer, &CommitOptions::new(), Some(NOW))
        .expect("bob's first commit");
    assert_eq!(bob.group.epoch(), epoch);
    bob.group.clear_pending_commit();
    assert_eq!(*bob.group.to_state_bytes().expect("save"), *before);

    let bobs = bob
        .group
        .self_update(&bob.signer, &CommitOptions::new(), Some(NOW))
        .expect("bob's commit");
    assert!(bob.group.has_pending_commit());
    assert_eq!(bob.group.epoch(), epoch);
    assert_eq!(bob.group.epoch_authenticator(), authenticator.as_slice());
    // Bob still reads the current epoch's traffic while his commit is pending.
    let hello = alice
        .group
        .encrypt_application(&alice.signer, b"still epoch 2", b"", 0)
        .expect("encrypt");
    assert_eq!(receive(&mut bob, &hello), b"still epoch 2");

    // Carol's competing commit reaches the Delivery Service first.
    let carols = carol
        .group
        .self_update(&carol.signer, &CommitOptions::new(), Some(NOW))
        .expect("carol's commit");
    carol.group.merge_pending_commit().expect("merge");
    apply(&mut alice.group, &carols.commit);
    apply(&mut bob.group, &carols.commit);
    assert!(
        !bob.group.has_pending_commit(),
        "the losing commit is dropped"
    );
    assert_eq!(bob.group.epoch(), epoch + 1);
    assert_eq!(
        bob.group.epoch_authenticator(),
        carol.group.epoch_authenticator()
    );
    assert!(matches!(
        bob.group.merge_pending_commit(),
        Err(Error::Misuse(_))
    ));

    // Bob's losing commit is for an epoch the others have left.
    let err = reject(&mut alice.group, &bobs.commit);
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::WrongEpoch { got, expected })
                if got == epoch && expected == epoch + 1
        ),
        "{err}"
    );
}

/// V-15.2-01: once a commit is merged, the next application message is protected with the new
/// epoch's keys: a member still in the old epoch cannot read it, one that merged the commit can.
#[test]
fn v_15_2_01_application_data_switches_to_the_new_epoch_after_a_commit() {
    let (mut alice, mut bob, mut carol) = trio();
    let old = alice.group.epoch();
    let out = alice
        .group
        .self_update(&alice.signer, &CommitOptions::new(), Some(NOW))
        .expect("commit");
    // Pending: still the old epoch's keys.
    let pending = alice
        .group
        .encrypt_application(&alice.signer, b"before", b"", 0)
        .expect("encrypt");
    assert_eq!(epoch_of(&pending), old);
    alice.group.merge_pending_commit().expect("merge");

    let after = alice
        .group
        .encrypt_application(&alice.signer, b"after", b"", 0)
        .expect("encrypt");
    assert_eq!(epoch_of(&after), old + 1);
    // Carol has not seen the commit: the message is not for her epoch.
    let err = reject(&mut carol.group, &after);
    assert!(
        matches!(err, Error::Invalid(ValidationError::WrongEpoch { .. })),
        "{err}"
    );
    // Bob merges the commit and reads both the late old-epoch message and the new one.
    apply(&mut bob.group, &out.commit);
    assert_eq!(receive(&mut bob, &after), b"after");
    assert_eq!(receive(&mut bob, &pending), b"before");
}
