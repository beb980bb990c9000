//! **Post-compromise security** (RFC 9420 §16.6): after a compromised member refreshes its
//! leaf with a commit the attacker does not take part in, the attacker is locked out again.
//!
//! Attacker model: at epoch E the attacker copies bob's complete state (the in-memory group and
//! its stored bytes) and also holds bob's signing key, which the update does not change. It
//! then sees every wire message and tries both to read the group's new epochs and to get a
//! message of its own accepted by alice.
//!
//! What heals: bob's own commit with a path (a self-update), which replaces his leaf key. A
//! commit by *another* member, even with a path covering bob, does not heal a stolen leaf key:
//! its path secrets are encrypted to bob's old leaf key, which the attacker holds. The last
//! test shows this (as the control that the attacker's copy is a working one), and that once
//! bob has updated, later commits by others do not let the attacker back in.
//!
//! Forged application messages of epoch E itself stay readable to receivers while E is within
//! `GroupConfig::max_past_epochs` (the late-message window of RFC 9420 §15); the forgery test
//! therefore runs with `max_past_epochs` 0.
//!
//! Seen to fail, on all three backends: with `max_past_epochs` 1 instead of 0, and in a scratch
//! build of the library that keeps the previous epoch's secrets whatever the bound (`next_state`
//! in cohort-group's `commit.rs` always retaining one past epoch),
//! `after_the_victims_update_the_copy_cannot_send` fails: alice accepts the thief's epoch-E
//! application message. The other two tests were not seen to fail in a scratch build: an
//! attacker using only the API cannot process the victim's own commit, so a commit secret
//! that was not random would not show.

use cohort::codec::VarBytes;
use cohort::group::{CommitOptions, Group, GroupConfig, HandshakeFormat};
use cohort::messages::framing::{Content, FramedContent, Sender};
use cohort::messages::proposal::{Proposal, Remove};
use cohort_group::internal::testing;

use crate::support::{Backend, apply, read, reject};

on_every_backend!(
    after_the_victims_update_the_copy_reads_nothing,
    after_the_victims_update_the_copy_cannot_send,
    another_members_commit_alone_does_not_heal_but_does_not_undo_healing,
);

/// The attacker's copies of bob: the group and its reloaded state.
fn steal(b: &Backend, group: &Group) -> [Group; 2] {
    [
        group.clone(),
        b.reload(&group.to_state_bytes().expect("save")),
    ]
}

/// Bob's state is copied at E; bob self-updates; the copy cannot process the update, nor any
/// application message or commit of the epochs after it.
fn after_the_victims_update_the_copy_reads_nothing(b: &Backend) {
    let (mut alice, mut bob, mut carol) = b.trio(&GroupConfig::default());
    let stolen = steal(b, &bob.group);
    let heal = bob.self_update(&CommitOptions::new());
    apply(&mut alice.group, &heal.commit);
    apply(&mut carol.group, &heal.commit);
    let news = [alice.send(b"after the heal"), carol.send(b"also after")];
    let next = carol.self_update(&CommitOptions::new());
    apply(&mut alice.group, &next.commit);
    apply(&mut bob.group, &next.commit);
    let later = alice.send(b"two epochs after");
    assert_eq!(read(&mut bob.group, &later), b"two epochs after");
    for mut copy in stolen {
        reject(&mut copy, &heal.commit);
        for m in &news {
            reject(&mut copy, m);
        }
        reject(&mut copy, &next.commit);
        reject(&mut copy, &later);
    }
}

/// With bob's old state and his signing key, after his update, the attacker cannot get alice
/// to accept an application message (epoch E, or relabelled E+1), a proposal or a commit.
fn after_the_victims_update_the_copy_cannot_send(b: &Backend) {
    let mut config = GroupConfig::default();
    config.max_past_epochs = 0;
    let (mut alice, mut bob, mut carol) = b.trio(&config);
    let [mut copy, _] = steal(b, &bob.group);
    let heal = bob.self_update(&CommitOptions::new());
    apply(&mut alice.group, &heal.commit);
    apply(&mut carol.group, &heal.commit);

    let forged_app = copy
        .encrypt_application(&bob.signer, b"from the thief", b"", 0)
        .expect("encrypt");
    reject(&mut alice.group, &forged_app);
    let forged_commit = copy
        .self_update(&bob.signer, &CommitOptions::new(), None)
        .expect("commit");
    reject(&mut alice.group, &forged_commit.commit);
    copy.clear_pending_commit();
    let e = copy.epoch();
    let remove = Content::Proposal(Proposal::Remove(Remove {
        removed: carol.leaf(),
    }));
    let app = Content::Application(b"thief".to_vec().into());
    let attempts = [
        (e, app.clone(), HandshakeFormat::Private),
        (e + 1, app, HandshakeFormat::Private),
        (e, remove.clone(), HandshakeFormat::Public),
        (e + 1, remove.clone(), HandshakeFormat::Public),
        (e, remove.clone(), HandshakeFormat::Private),
        (e + 1, remove, HandshakeFormat::Private),
    ];
    for (epoch, content, format) in attempts {
        let c = FramedContent {
            group_id: copy.group_id().to_vec().into(),
            epoch,
            sender: Sender::Member(bob.leaf()),
            authenticated_data: VarBytes::default(),
            content,
        };
        let m = testing::protect(&mut copy, &bob.signer, c, None, format).expect("protect");
        reject(&mut alice.group, &m);
    }
}

/// A copy of bob at E follows alice's commit (her path is encrypted to bob's stolen leaf key)
/// and reads the new epoch: the attacker is real. Once bob updates, alice's and carol's later
/// commits with paths over bob do not let that copy (or a copy taken before) back in.
fn another_members_commit_alone_does_not_heal_but_does_not_undo_healing(b: &Backend) {
    let (mut alice, mut bob, mut carol) = b.trio(&GroupConfig::default());
    let [mut copy, _] = steal(b, &bob.group);
    let c = alice.self_update(&CommitOptions::new());
    apply(&mut bob.group, &c.commit);
    apply(&mut carol.group, &c.commit);
    apply(&mut copy, &c.commit);
    let m = carol.send(b"the thief can read this");
    assert_eq!(read(&mut copy, &m), b"the thief can read this");
    assert_eq!(read(&mut bob.group, &m), b"the thief can read this");

    // Bob heals; then alice and carol commit paths that cover him.
    let heal = bob.self_update(&CommitOptions::new());
    apply(&mut alice.group, &heal.commit);
    apply(&mut carol.group, &heal.commit);
    reject(&mut copy, &heal.commit);
    for committer in 0..2 {
        let (from, other) = if committer == 0 {
            (&mut alice, &mut carol)
        } else {
            (&mut carol, &mut alice)
        };
        let c = from.self_update(&CommitOptions::new());
        apply(&mut other.group, &c.commit);
        apply(&mut bob.group, &c.commit);
        reject(&mut copy, &c.commit);
        let m = from.send(b"private again");
        assert_eq!(read(&mut bob.group, &m), b"private again");
        reject(&mut copy, &m);
    }
}
