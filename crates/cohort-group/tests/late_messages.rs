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
    (alice, alice_signer, bob)
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
        Processed::Commit(staged) => bob.merge_staged(*staged),
        other => panic!("{other:?}"),
    }
}

fn read(bob: &mut Group, msg: MlsMessage) -> Result<Vec<u8>, Error> {
    match bob.process_message(msg, &NoPsks, Some(NOW))? {
        Processed::Application { data, .. } => Ok(data),
        other => panic!("{other:?}"),
    }
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
    assert!(read(&mut bob, late).is_err());
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
