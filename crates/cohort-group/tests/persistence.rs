//! The group state survives a save and reload, and every rejected message leaves it exactly as
//! it was (RFC 9420 §12.4.2, V-12.4.2-15): the serialized state is compared byte for byte.

use cohort_codec::{Decode, Encode};
use cohort_credential::Credential;
use cohort_crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort_group::{
    CommitOptions, Error, Group, GroupConfig, HandshakeFormat, JoinInput, LeafSpec, NoPsks,
    Processed, ValidationError, create_key_package,
};
use cohort_messages::{MlsMessage, MlsMessageBody};

const NOW: u64 = 1_800_000_000;
const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

struct Pair {
    p: cohort_crypto_rustcrypto::RustCryptoProvider,
    alice: Group,
    alice_signer: SoftwareSigner,
    bob: Group,
    bob_signer: SoftwareSigner,
}

fn pair() -> Pair {
    let p = cohort_crypto_rustcrypto::provider();
    let suite = p.suite(CS).expect("suite");
    let alice_signer = SoftwareSigner::generate(suite.clone()).expect("signer");
    let bob_signer = SoftwareSigner::generate(suite).expect("signer");
    let spec = |n: &str| LeafSpec::new(Credential::basic(n.as_bytes().to_vec()), NOW, 30);
    let mut alice = Group::create(
        &p,
        CS,
        &alice_signer,
        &spec("alice"),
        b"g".to_vec(),
        Vec::new(),
        GroupConfig::default(),
    )
    .expect("create");
    let (kp, secrets) = create_key_package(&p, CS, &bob_signer, &spec("bob")).expect("kp");
    let out = alice
        .add_members(
            &alice_signer,
            vec![kp.clone()],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("add");
    alice.merge_pending_commit().expect("merge");
    let MlsMessageBody::Welcome(welcome) = out.welcome.expect("welcome").body else {
        panic!()
    };
    let input = JoinInput {
        welcome: &welcome,
        key_package: &kp,
        secrets: &secrets,
        ratchet_tree: None,
        now: Some(NOW),
    };
    let bob = Group::join(&p, input, &NoPsks, GroupConfig::default()).expect("join");
    Pair {
        p,
        alice,
        alice_signer,
        bob,
        bob_signer,
    }
}

fn reload(p: &dyn CryptoProvider, g: &Group) -> Group {
    let bytes = g.to_state_bytes().expect("save");
    let back = Group::from_state_bytes(p, &bytes).expect("load");
    assert_eq!(
        *back.to_state_bytes().expect("save again"),
        *bytes,
        "state encoding is not stable"
    );
    back
}

#[test]
fn a_group_is_saved_dropped_and_reloaded_mid_conversation() {
    let Pair {
        p,
        mut alice,
        alice_signer,
        bob,
        bob_signer,
    } = pair();
    let msg = alice
        .encrypt_application(&alice_signer, b"one", b"", 0)
        .expect("encrypt");
    // Both members are saved, dropped and loaded again.
    let mut bob = reload(&p, &bob);
    let saved = alice.to_state_bytes().expect("save");
    drop(alice);
    let mut alice = Group::from_state_bytes(&p, &saved).expect("load");
    match bob
        .process_message(msg, &NoPsks, Some(NOW))
        .expect("process")
    {
        Processed::Application { data, .. } => assert_eq!(data, b"one"),
        other => panic!("{other:?}"),
    }
    // The reloaded sender's ratchet moved on: its next message uses a fresh generation.
    let msg = alice
        .encrypt_application(&alice_signer, b"two", b"", 0)
        .expect("encrypt");
    match bob
        .process_message(msg, &NoPsks, Some(NOW))
        .expect("process")
    {
        Processed::Application { data, .. } => assert_eq!(data, b"two"),
        other => panic!("{other:?}"),
    }
    // A pending commit survives a reload too, and the echo is recognised afterwards.
    let out = bob
        .self_update(&bob_signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    let mut bob = reload(&p, &bob);
    merge_commit(&mut bob, out.commit, "echo");
    assert_eq!(bob.epoch(), 2);
}

/// Processes `commit`, which must be a commit, and merges it.
fn merge_commit(group: &mut Group, commit: MlsMessage, what: &str) {
    match group
        .process_message(commit, &NoPsks, Some(NOW))
        .unwrap_or_else(|e| panic!("{what}: {e}"))
    {
        Processed::Commit(staged) => group.merge_staged(*staged).expect("merge"),
        other => panic!("{what}: {other:?}"),
    }
}

/// Runs `message` (expected to be rejected) against `group` and checks the state is unchanged.
fn assert_rejected_without_change(group: &mut Group, message: MlsMessage) -> Error {
    let before = group.to_state_bytes().expect("save");
    let err = group
        .process_message(message, &NoPsks, Some(NOW))
        .expect_err("must be rejected");
    assert_eq!(
        *group.to_state_bytes().expect("save"),
        *before,
        "state changed after: {err}"
    );
    err
}

/// Flips one byte of an encoded message at `offset` from the end.
fn corrupt(message: &MlsMessage, from_end: usize) -> Option<MlsMessage> {
    let mut bytes = message.to_bytes().expect("encode");
    let at = bytes.len().checked_sub(from_end)?;
    bytes[at] ^= 0x01;
    MlsMessage::from_bytes(&bytes).ok()
}

#[test]
fn v_12_4_2_15_rejected_messages_leave_the_state_unchanged() {
    for format in [HandshakeFormat::Public, HandshakeFormat::Private] {
        let Pair {
            mut alice,
            alice_signer,
            mut bob,
            ..
        } = pair();
        let mut options = CommitOptions::new();
        options.format = format;
        let out = alice
            .self_update(&alice_signer, &options, Some(NOW))
            .expect("update");
        // A damaged commit: tag, signature or ciphertext bytes flipped at several places.
        let mut rejected = 0;
        for from_end in [1, 2, 5, 17, 40, 80] {
            if let Some(bad) = corrupt(&out.commit, from_end) {
                assert_rejected_without_change(&mut bob, bad);
                rejected += 1;
            }
        }
        assert!(rejected >= 4);
        // A commit for another epoch (replayed after it was applied).
        match bob
            .process_message(out.commit.clone(), &NoPsks, Some(NOW))
            .expect("good commit")
        {
            Processed::Commit(staged) => bob.merge_staged(*staged).expect("merge"),
            other => panic!("{other:?}"),
        }
        let err = assert_rejected_without_change(&mut bob, out.commit);
        assert!(
            matches!(
                err,
                Error::Invalid(ValidationError::WrongEpoch { .. })
                    | Error::Invalid(ValidationError::SecretUnavailable(_))
            ),
            "{err}"
        );
        // A damaged application message.
        alice.merge_pending_commit().expect("merge");
        let app = alice
            .encrypt_application(&alice_signer, b"x", b"", 0)
            .expect("encrypt");
        for from_end in [1, 3, 20] {
            if let Some(bad) = corrupt(&app, from_end) {
                assert_rejected_without_change(&mut bob, bad);
            }
        }
        // The undamaged message still decrypts: the rejections consumed nothing.
        match bob.process_message(app, &NoPsks, Some(NOW)).expect("app") {
            Processed::Application { data, .. } => assert_eq!(data, b"x"),
            other => panic!("{other:?}"),
        }
    }
}

/// Saves `g` in the split format and loads it again.
fn reload_split(p: &dyn CryptoProvider, g: &Group) -> Group {
    let split = g.to_split_state().expect("save");
    let back = Group::from_split_state(p, &split.state, Some(&split.ratchets)).expect("load");
    assert_eq!(
        *back.to_state_bytes().expect("save"),
        *g.to_state_bytes().expect("save"),
        "the split format lost or changed something"
    );
    back
}

fn read(g: &mut Group, msg: MlsMessage) -> Vec<u8> {
    match g.process_message(msg, &NoPsks, Some(NOW)).expect("read") {
        Processed::Application { data, .. } => data,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_split_format_round_trips_and_messages_change_only_the_ratchets() {
    let Pair {
        p,
        mut alice,
        alice_signer,
        mut bob,
        bob_signer,
    } = pair();
    // A past epoch, a pending commit and messages in both directions.
    let late = alice
        .encrypt_application(&alice_signer, b"late", b"", 0)
        .expect("encrypt");
    let out = alice
        .self_update(&alice_signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    alice.merge_pending_commit().expect("merge");
    merge_commit(&mut bob, out.commit, "commit");
    let mut bob = reload_split(&p, &bob);
    let before = bob.to_split_state().expect("save");
    assert_eq!(read(&mut bob, late), b"late");
    let msg = alice
        .encrypt_application(&alice_signer, b"now", b"", 0)
        .expect("encrypt");
    assert_eq!(read(&mut bob, msg), b"now");
    let sent = bob
        .encrypt_application(&bob_signer, b"back", b"", 0)
        .expect("encrypt");
    let after = bob.to_split_state().expect("save");
    assert_eq!(
        *after.state, *before.state,
        "an application message changed more than the ratchets"
    );
    assert_ne!(*after.ratchets, *before.ratchets);
    assert_eq!(*bob.ratchet_bytes().expect("ratchets"), *after.ratchets);
    // The stored ratchets hold the consumed keys as deleted, and a sent generation as used.
    let mut bob = reload_split(&p, &bob);
    assert_eq!(read(&mut alice, sent), b"back");
    let again = bob
        .encrypt_application(&bob_signer, b"after", b"", 0)
        .expect("encrypt");
    assert_eq!(read(&mut alice, again), b"after");
    // With a pending commit.
    bob.self_update(&bob_signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    let mut bob = reload_split(&p, &bob);
    bob.merge_pending_commit().expect("merge");
}

#[test]
fn a_split_state_needs_its_own_ratchets() {
    let Pair {
        p,
        mut alice,
        alice_signer,
        ..
    } = pair();
    let old = alice.to_split_state().expect("save");
    let err = Group::from_split_state(&p, &old.state, None).expect_err("no ratchets");
    assert!(matches!(err, Error::Malformed(_)), "{err}");
    alice
        .self_update(&alice_signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    alice.merge_pending_commit().expect("merge");
    let new = alice.to_split_state().expect("save");
    // Ratchets of another epoch, or with a past epoch the state does not keep, are refused.
    for (state, ratchets) in [(&old.state, &new.ratchets), (&new.state, &old.ratchets)] {
        let err = Group::from_split_state(&p, state, Some(ratchets)).expect_err("mismatch");
        assert!(matches!(err, Error::Malformed(_)), "{err}");
    }
    let mut truncated = new.ratchets.to_vec();
    truncated.pop();
    assert!(Group::from_split_state(&p, &new.state, Some(&truncated)).is_err());
    // A format-1 blob still loads through the split reader, its ratchets ignored.
    let whole = alice.to_state_bytes().expect("save");
    let back = Group::from_split_state(&p, &whole, None).expect("format 1");
    assert_eq!(*back.to_state_bytes().expect("save"), *whole);
}

/// An Update proposal of ours (RFC 9420 §12.1.2): the new leaf key is kept, stored with the
/// group, and taken up when another member's commit covers the proposal; our own commit leaves
/// it out (its path refreshes the leaf anyway).
#[test]
fn our_update_proposal_is_committed_by_another_member_after_a_reload() {
    let Pair {
        p,
        mut alice,
        alice_signer,
        mut bob,
        bob_signer,
    } = pair();
    let old_key = alice
        .members()
        .find(|(i, _)| *i == alice.own_leaf())
        .map(|(_, l)| l.encryption_key.clone())
        .expect("leaf");
    let proposal = alice
        .propose_update(&alice_signer, HandshakeFormat::Public, Some(NOW))
        .expect("propose");
    // Alice is stored and loaded again between her proposal and bob's commit.
    let mut alice = reload(&p, &alice);
    assert!(matches!(
        bob.process_message(proposal, &NoPsks, Some(NOW))
            .expect("cached"),
        Processed::Proposal { .. }
    ));
    let out = bob
        .commit(
            &bob_signer,
            Vec::new(),
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("commit");
    bob.merge_pending_commit().expect("merge");
    match alice
        .process_message(out.commit, &NoPsks, Some(NOW))
        .expect("alice takes up her new key")
    {
        Processed::Commit(staged) => {
            assert!(staged.summary().updated.contains(&alice.own_leaf()));
            alice.merge_staged(*staged).expect("merge");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(alice.epoch_authenticator(), bob.epoch_authenticator());
    let new_key = alice
        .members()
        .find(|(i, _)| *i == alice.own_leaf())
        .map(|(_, l)| l.encryption_key.clone())
        .expect("leaf");
    assert_ne!(new_key, old_key);
    // Bob's next path is encrypted to alice's new leaf key, which she holds.
    let out = bob
        .self_update(&bob_signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    bob.merge_pending_commit().expect("merge");
    merge_commit(&mut alice, out.commit, "path to the new key");
    assert_eq!(alice.epoch_authenticator(), bob.epoch_authenticator());
    // A proposed Update of hers that she then commits herself is left out of her commit.
    let proposal = alice
        .propose_update(&alice_signer, HandshakeFormat::Public, Some(NOW))
        .expect("propose");
    bob.process_message(proposal, &NoPsks, Some(NOW))
        .expect("cached");
    let out = alice
        .commit(
            &alice_signer,
            Vec::new(),
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("commit without her own Update");
    alice.merge_pending_commit().expect("merge");
    merge_commit(&mut bob, out.commit, "bob accepts it");
    assert_eq!(alice.epoch_authenticator(), bob.epoch_authenticator());
}

/// The stored tree is `to_nodes()`'s encoding, byte for byte, however the tree changed: the
/// chunk encodings reused from the last write must never be stale. Adds across several 64-slot
/// chunks, self-updates (one path), removes (blanks and truncation), each followed by the
/// comparison on a fresh tree and on one whose chunk encodings are already kept, and a reload.
#[test]
fn the_stored_tree_is_the_tree_after_every_kind_of_change() {
    let mut pair = pair();
    let p = &pair.p;
    let suite = p.suite(CS).expect("suite");
    let spec = |n: &str| LeafSpec::new(Credential::basic(n.as_bytes().to_vec()), NOW, 30);
    let same = |g: &Group, what: &str| {
        for _ in 0..2 {
            let mut stored = Vec::new();
            g.tree().encode_nodes(&mut stored).expect("encode");
            let listed = g.tree().to_nodes().to_bytes().expect("encode");
            assert!(
                stored == listed,
                "{what}: the stored tree differs from the tree ({} and {} bytes)",
                stored.len(),
                listed.len()
            );
        }
    };
    same(&pair.alice, "start");
    let mut kps = Vec::new();
    for i in 0..70 {
        let signer = SoftwareSigner::generate(suite.clone()).expect("signer");
        let (kp, _) = create_key_package(p, CS, &signer, &spec(&format!("m{i}"))).expect("kp");
        kps.push(kp);
    }
    let out = pair
        .alice
        .add_members(&pair.alice_signer, kps, &CommitOptions::new(), Some(NOW))
        .expect("add");
    pair.alice.merge_pending_commit().expect("merge");
    merge_commit(&mut pair.bob, out.commit, "the adds");
    same(&pair.alice, "after 70 adds");
    for round in 0..3 {
        let out = pair
            .bob
            .self_update(&pair.bob_signer, &CommitOptions::new(), Some(NOW))
            .expect("update");
        pair.bob.merge_pending_commit().expect("merge");
        merge_commit(&mut pair.alice, out.commit, "an update");
        same(&pair.alice, &format!("after update {round}"));
        same(&pair.bob, &format!("bob after update {round}"));
    }
    // Remove the members past the first chunk's leaves, so that the tree truncates.
    let removed: Vec<_> = pair
        .alice
        .members()
        .map(|(i, _)| i)
        .filter(|i| i.0 >= 20)
        .collect();
    let out = pair
        .alice
        .remove_members(
            &pair.alice_signer,
            &removed,
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("remove");
    pair.alice.merge_pending_commit().expect("merge");
    merge_commit(&mut pair.bob, out.commit, "the removes");
    same(&pair.alice, "after the removes");
    let reloaded = reload(p, &pair.alice);
    same(&reloaded, "reloaded");
    assert_eq!(
        reloaded.epoch_authenticator(),
        pair.bob.epoch_authenticator()
    );
}
