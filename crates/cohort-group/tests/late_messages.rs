//! Application messages from a past epoch are read while that epoch is retained, and refused
//! once it is not (RFC 9420 §15, V-15-01); a future epoch is always refused (V-6-05).

use cohort_credential::Credential;
use cohort_crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort_group::{
    CommitOptions, Error, Group, GroupConfig, JoinInput, LeafSpec, NoPsks, Processed,
    ValidationError, create_key_package,
};
use cohort_messages::{MlsMessage, MlsMessageBody};

const NOW: u64 = 1_800_000_000;
const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

/// alice and bob, with `past` past epochs retained.
fn pair(past: usize) -> (Group, SoftwareSigner, Group) {
    let (alice, alice_signer, bob, _) = pair_with_signers(past);
    (alice, alice_signer, bob)
}

/// alice and bob with both their signers.
fn pair_with_signers(past: usize) -> (Group, SoftwareSigner, Group, SoftwareSigner) {
    let p = cohort_crypto_rustcrypto::provider();
    let suite = p.suite(CS).expect("suite");
    let mut config = GroupConfig::default();
    config.max_past_epochs = past;
    let spec = |n: &str| LeafSpec::new(Credential::basic(n.as_bytes().to_vec()), NOW, 30);
    let alice_signer = SoftwareSigner::generate(suite.clone()).expect("signer");
    let mut alice = Group::create(
        &p,
        CS,
        &alice_signer,
        &spec("alice"),
        b"late".to_vec(),
        Vec::new(),
        config.clone(),
    )
    .expect("create");
    let bob_signer = SoftwareSigner::generate(suite).expect("signer");
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
    let bob = Group::join(&p, input, &NoPsks, config).expect("join");
    (alice, alice_signer, bob, bob_signer)
}

/// Alice commits a self-update and bob follows.
fn next_epoch(alice: &mut Group, signer: &SoftwareSigner, bob: &mut Group) {
    let out = alice
        .self_update(signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    alice.merge_pending_commit().expect("merge");
    match bob
        .process_message(out.commit, &NoPsks, Some(NOW))
        .expect("commit")
    {
        Processed::Commit(staged) => bob.merge_staged(*staged).expect("merge"),
        other => panic!("{other:?}"),
    }
}

fn read(bob: &mut Group, msg: MlsMessage) -> Result<Vec<u8>, Error> {
    match bob.process_message(msg, &NoPsks, Some(NOW))? {
        Processed::Application { data, .. } => Ok(data),
        other => panic!("{other:?}"),
    }
}

/// Whether `r` is the refusal of a message whose key was consumed (RFC 9420 §9.2, V-9.1-01).
fn consumed<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    matches!(
        r,
        Err(Error::Invalid(ValidationError::SecretUnavailable(
            cohort_key_schedule::KeyScheduleError::GenerationConsumed { .. }
        )))
    )
}

#[test]
fn v_15_01_late_message_of_a_retained_epoch_is_read() {
    let (mut alice, signer, mut bob) = pair(1);
    let late = alice
        .encrypt_application(&signer, b"sent in epoch 1", b"", 0)
        .expect("encrypt");
    next_epoch(&mut alice, &signer, &mut bob);
    assert_eq!(bob.epoch(), 2);
    // Bob reloads in between: the retained epoch is part of his stored state.
    let mut bob = Group::from_state_bytes(
        &cohort_crypto_rustcrypto::provider(),
        &bob.to_state_bytes().expect("save"),
    )
    .expect("load");
    assert_eq!(
        read(&mut bob, late.clone()).expect("late message"),
        b"sent in epoch 1"
    );
    // Its key is consumed: a replay is refused.
    assert!(consumed(read(&mut bob, late)));
}

#[test]
fn v_15_01_message_of_an_expired_epoch_is_refused() {
    let (mut alice, signer, mut bob) = pair(1);
    let late = alice
        .encrypt_application(&signer, b"too late", b"", 0)
        .expect("encrypt");
    next_epoch(&mut alice, &signer, &mut bob);
    next_epoch(&mut alice, &signer, &mut bob);
    let before = bob.to_state_bytes().expect("save");
    let err = read(&mut bob, late).expect_err("expired");
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::WrongEpoch {
                got: 1,
                expected: 3
            })
        ),
        "{err}"
    );
    assert_eq!(*bob.to_state_bytes().expect("save"), *before);
}

#[test]
fn v_15_01_no_past_epoch_is_kept_when_the_bound_is_zero() {
    let (mut alice, signer, mut bob) = pair(0);
    let late = alice
        .encrypt_application(&signer, b"late", b"", 0)
        .expect("encrypt");
    next_epoch(&mut alice, &signer, &mut bob);
    assert!(matches!(
        read(&mut bob, late),
        Err(Error::Invalid(ValidationError::WrongEpoch { .. }))
    ));
}

#[test]
fn v_6_05_message_of_a_future_epoch_is_refused() {
    let (mut alice, signer, mut bob) = pair(1);
    // Alice moves on without bob; her next message is for an epoch bob has not reached.
    let out = alice
        .self_update(&signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    alice.merge_pending_commit().expect("merge");
    let early = alice
        .encrypt_application(&signer, b"from the future", b"", 0)
        .expect("encrypt");
    assert!(matches!(
        read(&mut bob, early),
        Err(Error::Invalid(ValidationError::WrongEpoch {
            got: 2,
            expected: 1
        }))
    ));
    drop(out);
}

/// V-9.2-01 (and S-9.2-01): a message read between staging a commit and merging it consumes its
/// key for good. The staged next epoch keeps the current epoch as a past one; merging must carry
/// over the current secret tree as it is then, not as it was when the commit was staged, or the
/// consumed key comes back and the message decrypts a second time.
#[test]
fn v_9_2_01_key_consumed_after_staging_stays_deleted_after_the_merge() {
    let (mut alice, signer, mut bob) = pair(1);
    let msg = alice
        .encrypt_application(&signer, b"read while a commit is staged", b"", 0)
        .expect("encrypt");
    let out = alice
        .self_update(&signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    alice.merge_pending_commit().expect("merge");
    let Processed::Commit(staged) = bob
        .process_message(out.commit, &NoPsks, Some(NOW))
        .expect("commit")
    else {
        panic!("not a commit")
    };
    assert_eq!(
        read(&mut bob, msg.clone()).expect("read in the current epoch"),
        b"read while a commit is staged"
    );
    bob.merge_staged(*staged).expect("merge");
    assert_eq!(bob.epoch(), 2);
    assert!(
        consumed(read(&mut bob, msg)),
        "a consumed key came back with the merged commit"
    );
}

/// V-9.2-01: the same for our own pending commit: a message read while it is pending stays
/// consumed once it is merged.
#[test]
fn v_9_2_01_key_consumed_while_our_commit_is_pending_stays_deleted() {
    let (mut alice, signer, mut bob, bob_signer) = pair_with_signers(1);
    let msg = alice
        .encrypt_application(&signer, b"read while our commit is pending", b"", 0)
        .expect("encrypt");
    bob.self_update(&bob_signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    assert!(read(&mut bob, msg.clone()).is_ok());
    bob.merge_pending_commit().expect("merge");
    assert!(
        consumed(read(&mut bob, msg)),
        "a consumed key came back with the merged commit"
    );
}

/// A ratchet checkpoint of a past epoch's tree: restoring it after a late message has been read
/// puts that key back (the message reads again), keeping it makes the read final; a checkpoint
/// of an epoch the group does not hold is harmless, and one taken before the group changed
/// epoch is refused.
#[test]
fn ratchet_checkpoint_restores_or_keeps_one_epochs_tree() {
    let (mut alice, signer, mut bob) = pair(1);
    let late = alice
        .encrypt_application(&signer, b"late", b"", 0)
        .expect("encrypt");
    next_epoch(&mut alice, &signer, &mut bob);
    let before = bob.to_state_bytes().expect("save");

    let checkpoint = bob.ratchet_snapshot(1);
    assert_eq!(read(&mut bob, late.clone()).expect("late"), b"late");
    assert_ne!(*bob.to_state_bytes().expect("save"), *before);
    bob.restore_ratchets(checkpoint).expect("same epoch");
    assert_eq!(*bob.to_state_bytes().expect("save"), *before);

    let checkpoint = bob.ratchet_snapshot(1);
    assert_eq!(read(&mut bob, late.clone()).expect("read again"), b"late");
    bob.keep_ratchets(checkpoint);
    assert!(consumed(read(&mut bob, late)));

    let nothing = bob.ratchet_snapshot(7);
    let now = bob.to_state_bytes().expect("save");
    bob.restore_ratchets(nothing).expect("nothing to restore");
    assert_eq!(*bob.to_state_bytes().expect("save"), *now);

    let stale = bob.ratchet_snapshot(2);
    next_epoch(&mut alice, &signer, &mut bob);
    assert!(matches!(
        bob.restore_ratchets(stale),
        Err(Error::Misuse(cohort_group::ApiMisuse::StaleRatchetSnapshot))
    ));
}
