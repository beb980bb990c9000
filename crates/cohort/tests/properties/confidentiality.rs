//! **Confidentiality** (RFC 9420 §16.2, §12.4.2): only the members of an epoch can read what is
//! sent in it.
//!
//! Attacker models:
//! - a *removed member* that keeps everything it held at the moment of its removal: its live
//!   group (which then processes its own removal), an in-memory copy and its stored state bytes,
//!   and receives every later wire message;
//! - an *outsider* that sees every wire message (commits, Welcomes, application messages) and
//!   has its own group with the same group id, advanced to the same epoch numbers, and its own
//!   KeyPackage to try the Welcomes with.
//!
//! Seen to fail, in a scratch build on all three backends: removing a leaf without blanking its
//! direct path (`RatchetTree::remove_leaf` in cohort-tree), so that the removal commit still
//! encrypts to a parent whose key the removed member holds, fails
//! `a_removed_member_reads_nothing_sent_after_its_removal` (the removed member commits once
//! before its removal so that it holds such keys). The removed member's copies are shown to be
//! working ones by reading a message sent just before the removal.

use cohort::group::{CommitOptions, GroupConfig, GroupStatus, HandshakeFormat};
use cohort::messages::MlsMessage;

use crate::support::{Backend, apply, check_path_recipients, read, reject, welcome_of};

on_every_backend!(
    a_removed_member_reads_nothing_sent_after_its_removal,
    an_outsider_with_every_wire_message_reads_nothing,
);

/// A removed member, with its live group, a copy of it and its stored state, cannot process any
/// commit or application message sent after its removal, and the removal commit encrypts its
/// path secrets to the remaining members only.
fn a_removed_member_reads_nothing_sent_after_its_removal(b: &Backend) {
    let config = GroupConfig::default();
    let (mut alice, mut bob, mut carol) = b.trio(&config);
    // Dave joins after carol, so her leaf is not the last one (removing the last leaf
    // truncates the tree, which hides whether her direct path was blanked); then carol
    // commits, so she holds the private keys of her whole direct path.
    let mut dave = b.add(&mut alice, &mut [&mut bob, &mut carol], "dave", config);
    let c = carol.self_update(&CommitOptions::new());
    for g in [&mut alice.group, &mut bob.group, &mut dave.group] {
        apply(g, &c.commit);
    }
    let carol_nodes: Vec<cohort::tree::math::NodeIndex> =
        cohort::tree::math::direct_path(carol.leaf().node(), alice.group.tree().leaf_count())
            .into_iter()
            .chain([carol.leaf().node()])
            .collect();
    let copy = carol.group.clone();
    let stored = carol.group.to_state_bytes().expect("save");
    // The control: what was sent before the removal, carol's copies can read.
    let before = alice.send(b"before the removal");
    for mut g in [copy.clone(), b.reload(&stored)] {
        assert_eq!(read(&mut g, &before), b"before the removal", "{}", b.name);
    }

    let removal = alice
        .group
        .remove_members(
            &alice.signer,
            &[carol.leaf()],
            &CommitOptions::new(),
            Some(crate::support::NOW),
        )
        .expect("remove");
    alice.group.merge_pending_commit().expect("merge");
    apply(&mut bob.group, &removal.commit);
    apply(&mut dave.group, &removal.commit);
    let ciphertexts = check_path_recipients(&removal.commit, bob.group.tree(), alice.leaf(), &[]);
    assert_eq!(
        ciphertexts, 2,
        "{}: only bob and dave receive the new path",
        b.name
    );
    // No recipient is a node whose key carol held: her leaf and direct path are blank.
    let tree = bob.group.tree();
    for (_, copath_child) in tree.filtered_direct_path(alice.leaf()) {
        for x in tree.resolution(copath_child) {
            assert!(!carol_nodes.contains(&x), "{}: encrypted to {x:?}", b.name);
        }
    }
    // Carol learns that she is out, and learns nothing of the new epoch.
    apply(&mut carol.group, &removal.commit);
    assert_eq!(carol.group.status(), GroupStatus::Removed);
    assert_ne!(
        carol.group.epoch_authenticator(),
        alice.group.epoch_authenticator()
    );

    // Everything sent afterwards: application data, and commits in both framings.
    let mut later: Vec<MlsMessage> = Vec::new();
    later.push(alice.send(b"after carol left"));
    later.push(bob.send(b"still after"));
    let mut private = CommitOptions::new();
    private.format = HandshakeFormat::Private;
    let c = bob.self_update(&private);
    apply(&mut alice.group, &c.commit);
    later.push(c.commit);
    later.push(alice.send(b"two epochs later"));
    let c = alice.self_update(&CommitOptions::new());
    apply(&mut bob.group, &c.commit);
    later.push(c.commit);
    later.push(bob.send(b"three epochs later"));

    // Her live group, the copy and the stored state.
    for mut group in [carol.group.clone(), copy.clone(), b.reload(&stored)] {
        for m in &later {
            reject(&mut group, m);
        }
    }
    // The pre-removal copy, given the removal commit first, is no better off.
    let mut replayed = copy;
    apply(&mut replayed, &removal.commit);
    for m in &later {
        reject(&mut replayed, m);
    }
}

/// An outsider with its own group of the same id and epoch, and its own KeyPackage, reads no
/// application message, processes no commit and joins from no Welcome; no plaintext appears in
/// any wire message.
fn an_outsider_with_every_wire_message_reads_nothing(b: &Backend) {
    let config = GroupConfig::default();
    let (mut alice, mut bob, mut carol) = b.trio(&config);
    let mut wire: Vec<MlsMessage> = Vec::new();
    let mut welcomes = Vec::new();
    let plaintexts: [&[u8]; 3] = [b"the first secret", b"the second secret", b"the third one"];

    wire.push(alice.send(plaintexts[0]));
    let c = carol.self_update(&CommitOptions::new());
    apply(&mut alice.group, &c.commit);
    apply(&mut bob.group, &c.commit);
    wire.push(c.commit);
    wire.push(bob.send(plaintexts[1]));
    let (kp, _, _) = b.key_package("dave");
    let out = alice
        .group
        .add_members(
            &alice.signer,
            vec![kp],
            &CommitOptions::new(),
            Some(crate::support::NOW),
        )
        .expect("add dave");
    alice.group.merge_pending_commit().expect("merge");
    apply(&mut bob.group, &out.commit);
    apply(&mut carol.group, &out.commit);
    welcomes.push(welcome_of(&out));
    wire.push(out.commit);
    wire.push(carol.send(plaintexts[2]));

    // Eve's group has the same id and is moved to the same epoch number.
    let mut eve = b.create("eve", b"properties", config.clone());
    while eve.group.epoch() < alice.group.epoch() {
        eve.self_update(&CommitOptions::new());
    }
    let mut eve_earlier = b.create("eve", b"properties", config.clone());
    for m in &wire {
        reject(&mut eve.group, m);
        // And in an epoch behind, for the messages of earlier epochs.
        reject(&mut eve_earlier.group, m);
        let bytes = cohort::codec::Encode::to_bytes(m).expect("encode");
        for p in plaintexts {
            assert!(
                !bytes.windows(p.len()).any(|w| w == p),
                "{}: plaintext on the wire",
                b.name
            );
        }
    }
    let (eve_kp, eve_secrets, _) = b.key_package("eve");
    for w in &welcomes {
        assert!(
            b.join(w, &eve_kp, &eve_secrets, None, config.clone())
                .is_err(),
            "{}: eve joined from a Welcome not addressed to her",
            b.name
        );
    }
}
