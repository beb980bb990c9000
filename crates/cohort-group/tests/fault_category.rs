//! Errors by who is at fault: a failure of our own crypto provider (its RNG, its HSM, its
//! backend) is [`Error::Crypto`], never [`Error::Invalid`] (a peer's invalid message), whatever
//! operation it interrupts and wherever in that operation it happens.
//!
//! [`FaultyProvider`] wraps the RustCrypto provider and fails a chosen call of its suites. Each
//! test runs an operation once to count its crypto calls, then fails each call in turn: the
//! operation must return [`Error::Crypto`] carrying the injected error (or, where the library
//! tolerates the failure, succeed), leave the group as it was, and succeed when retried.

use std::sync::Arc;

use cohort_credential::Credential;
use cohort_crypto::{CipherSuite, CryptoError, CryptoErrorKind, CryptoProvider, SoftwareSigner};
use cohort_group::reason::EncryptedObject;
use cohort_group::{
    CommitOptions, Error, Group, GroupConfig, JoinInput, KeyPackageSecrets, LeafSpec, NoPsks,
    Processed, ValidationError, create_key_package,
};
use cohort_key_schedule::KeyScheduleError;
use cohort_messages::key_package::KeyPackage;
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::TreeError;
use cohort_tree::treekem::UpdatePathError;

use cohort_conformance::crypto::{
    CryptoFaults as Faults, FailingProvider as FaultyProvider, InjectedCryptoFault,
};

const NOW: u64 = 1_800_000_000;
const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

/// A client: its own faulty provider and a signer on it (so signing can fail too).
struct Client {
    provider: FaultyProvider,
    signer: SoftwareSigner,
    name: &'static str,
}

impl Client {
    fn new(name: &'static str) -> Self {
        let provider = FaultyProvider::new(Arc::new(cohort_crypto_rustcrypto::provider()));
        let suite = provider.suite(CS).expect("suite");
        let signer = SoftwareSigner::generate(suite).expect("signer");
        Self {
            provider,
            signer,
            name,
        }
    }

    fn faults(&self) -> Arc<Faults> {
        self.provider.faults()
    }

    fn spec(&self) -> LeafSpec {
        LeafSpec::new(Credential::basic(self.name.as_bytes().to_vec()), NOW, 30)
    }

    fn create(&self) -> Result<Group, Error> {
        Group::create(
            &self.provider,
            CS,
            &self.signer,
            &self.spec(),
            b"fault-category".to_vec(),
            Vec::new(),
            GroupConfig::default(),
        )
    }

    fn key_package(&self) -> Result<(KeyPackage, KeyPackageSecrets), Error> {
        create_key_package(&self.provider, CS, &self.signer, &self.spec())
    }

    fn join(
        &self,
        welcome: &MlsMessage,
        kp: &KeyPackage,
        secrets: &KeyPackageSecrets,
    ) -> Result<Group, Error> {
        let MlsMessageBody::Welcome(welcome) = &welcome.body else {
            panic!("not a Welcome")
        };
        let input = JoinInput {
            welcome,
            key_package: kp,
            secrets,
            ratchet_tree: None,
            now: Some(NOW),
        };
        Group::join(&self.provider, input, &NoPsks, GroupConfig::default())
    }
}

/// Alice (who created the group) and Bob, in the same epoch.
fn pair() -> (Client, Group, Client, Group) {
    let (alice, bob) = (Client::new("alice"), Client::new("bob"));
    let mut a = alice.create().expect("create");
    let (kp, secrets) = bob.key_package().expect("kp");
    let out = a
        .add_members(
            &alice.signer,
            vec![kp.clone()],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("add");
    a.merge_pending_commit().expect("merge");
    let b = bob
        .join(&out.welcome.expect("welcome"), &kp, &secrets)
        .expect("join");
    (alice, a, bob, b)
}

/// What identifies a group's state for these tests: its epoch and epoch authenticator.
fn view(group: &Group) -> (u64, Vec<u8>) {
    (group.epoch(), group.epoch_authenticator().to_vec())
}

/// Runs `op` once to count its crypto calls on `faults`, then once more with each of those
/// calls failing in turn. Every failure must be [`Error::Crypto`] carrying the injected error;
/// `op` may also succeed where a failure is tolerated (a batch signature check that falls back
/// to checking one by one). Returns how many runs failed.
fn sweep<T>(what: &str, faults: &Faults, mut op: impl FnMut() -> Result<T, Error>) -> u64 {
    let before = faults.calls();
    op().unwrap_or_else(|e| panic!("{what}: the run without faults failed: {e}"));
    let calls = faults.calls() - before;
    assert!(calls > 0, "{what}: no crypto call to fail");
    let mut failed = 0;
    for n in 1..=calls {
        faults.fail_call(n);
        let result = op();
        faults.disarm();
        match result {
            Ok(_) => {}
            Err(Error::Crypto(e)) => {
                assert!(
                    matches!(e.kind(), CryptoErrorKind::Backend | CryptoErrorKind::Random),
                    "{what}, call {n} of {calls}: {e}"
                );
                let injected = std::error::Error::source(&e)
                    .and_then(|s| s.downcast_ref::<InjectedCryptoFault>());
                assert!(
                    injected.is_some(),
                    "{what}, call {n} of {calls}: not the injected error: {e:?}"
                );
                failed += 1;
            }
            Err(other) => panic!(
                "{what}, call {n} of {calls}: a failure of our provider reported as {other:?}"
            ),
        }
    }
    assert!(failed > 0, "{what}: no injected failure was reported");
    failed
}

#[test]
fn a_provider_failure_while_creating_a_group_or_key_package_is_a_crypto_error() {
    let alice = Client::new("alice");
    sweep("create", &alice.faults(), || alice.create());
    sweep("key package", &alice.faults(), || alice.key_package());
}

#[test]
fn a_provider_failure_while_committing_is_a_crypto_error_and_changes_nothing() {
    let (alice, mut a, _bob, mut b) = pair();
    let carol = Client::new("carol");
    let (kp, carol_secrets) = carol.key_package().expect("kp");
    let before = view(&a);
    for (what, add) in [("self_update", false), ("add_members", true)] {
        sweep(what, &alice.faults(), || {
            let out = if add {
                a.add_members(
                    &alice.signer,
                    vec![kp.clone()],
                    &CommitOptions::new(),
                    Some(NOW),
                )
            } else {
                a.self_update(&alice.signer, &CommitOptions::new(), Some(NOW))
            };
            assert_eq!(view(&a), before, "{what}");
            let pending = a.has_pending_commit();
            a.clear_pending_commit();
            assert_eq!(
                pending,
                out.is_ok(),
                "{what}: a pending commit only on success"
            );
            out
        });
    }
    // The retry goes through, and the group moves on with it.
    let out = a
        .add_members(
            &alice.signer,
            vec![kp.clone()],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("retry");
    a.merge_pending_commit().expect("merge");
    let Processed::Commit(staged) = b
        .process_message(out.commit, &NoPsks, Some(NOW))
        .expect("bob")
    else {
        panic!("not a commit")
    };
    b.merge_staged(*staged).expect("merge");
    let c = carol
        .join(&out.welcome.expect("welcome"), &kp, &carol_secrets)
        .expect("carol joins");
    assert_eq!(view(&a), view(&b));
    assert_eq!(view(&a), view(&c));
}

#[test]
fn a_provider_failure_while_processing_a_commit_is_a_crypto_error_and_changes_nothing() {
    let (alice, mut a, bob, mut b) = pair();
    let out = a
        .self_update(&alice.signer, &CommitOptions::new(), Some(NOW))
        .expect("commit");
    let before = view(&b);
    // Receiving the path covers hashing, signature and HPKE decryption of peer data, key
    // derivation and the key schedule.
    sweep("process commit", &bob.faults(), || {
        let processed = b.process_message(out.commit.clone(), &NoPsks, Some(NOW));
        assert_eq!(view(&b), before);
        processed
    });
    let Processed::Commit(staged) = b
        .process_message(out.commit, &NoPsks, Some(NOW))
        .expect("retry")
    else {
        panic!("not a commit")
    };
    b.merge_staged(*staged).expect("merge");
    a.merge_pending_commit().expect("merge");
    assert_eq!(view(&a), view(&b));
}

#[test]
fn a_provider_failure_on_application_messages_is_a_crypto_error_and_changes_nothing() {
    let (alice, mut a, bob, mut b) = pair();
    // Sending: the reuse guard's randomness, the signature, the key derivations, the AEAD.
    let before = view(&a);
    sweep("send", &alice.faults(), || {
        let sent = a.encrypt_application(&alice.signer, b"hello", b"", 0);
        assert_eq!(view(&a), before);
        sent
    });
    // Receiving, a fresh message each time (a processed one is consumed): the sender data key
    // and its decryption, the ratchet, the content's decryption and signature.
    let before = view(&b);
    let mut messages = Vec::new();
    for _ in 0..64 {
        messages.push(
            a.encrypt_application(&alice.signer, b"hello", b"", 0)
                .expect("send"),
        );
    }
    let mut next = messages.into_iter();
    let mut current = next.next().expect("a message");
    sweep("process application", &bob.faults(), || {
        let processed = b.process_message(current.clone(), &NoPsks, Some(NOW));
        assert_eq!(view(&b), before);
        if processed.is_ok() {
            current = next.next().expect("enough messages");
        }
        processed
    });
    // The message a failure interrupted is still readable: its key was not consumed.
    match b
        .process_message(current, &NoPsks, Some(NOW))
        .expect("retry")
    {
        Processed::Application { data, .. } => assert_eq!(data, b"hello"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_provider_failure_while_joining_is_a_crypto_error() {
    let (alice, mut a, _bob, _b) = pair();
    let carol = Client::new("carol");
    let (kp, secrets) = carol.key_package().expect("kp");
    let out = a
        .add_members(
            &alice.signer,
            vec![kp.clone()],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("add");
    a.merge_pending_commit().expect("merge");
    let welcome = out.welcome.expect("welcome");
    // Decrypting the GroupSecrets (through the HPKE key) and the GroupInfo, verifying it, the
    // tree's hashes and leaves, the key schedule.
    sweep("join", &carol.faults(), || {
        carol.join(&welcome, &kp, &secrets)
    });
    let c = carol.join(&welcome, &kp, &secrets).expect("retry");
    assert_eq!(view(&a), view(&c));
}

#[test]
fn a_provider_failure_in_an_external_join_is_a_crypto_error() {
    let (alice, a, _bob, _b) = pair();
    let dave = Client::new("dave");
    let MlsMessageBody::GroupInfo(group_info) = a.group_info(&alice.signer, true).expect("gi").body
    else {
        panic!("not a GroupInfo")
    };
    sweep("external join", &dave.faults(), || {
        Group::join_by_external_commit(
            &dave.provider,
            &dave.signer,
            &dave.spec(),
            &group_info,
            None,
            None,
            GroupConfig::default(),
            Some(NOW),
        )
    });
}

/// The conversions into the group's `Error` split by the kind of the crypto error: a failure
/// of the provider is ours, an answer about the data is the peer's.
#[test]
fn crypto_errors_inside_tree_path_and_key_schedule_errors_keep_their_category() {
    let ours = || CryptoError::new(CryptoErrorKind::Backend);
    let theirs = || CryptoError::new(CryptoErrorKind::AeadOpenFailed);
    assert!(matches!(
        Error::from(TreeError::Crypto(ours())),
        Error::Crypto(_)
    ));
    assert!(matches!(
        Error::from(TreeError::Crypto(CryptoError::new(CryptoErrorKind::Random))),
        Error::Crypto(_)
    ));
    assert!(matches!(
        Error::from(TreeError::Crypto(CryptoError::new(
            CryptoErrorKind::InvalidPublicKey
        ))),
        Error::Invalid(ValidationError::InvalidTree(TreeError::Crypto(_)))
    ));
    assert!(matches!(
        Error::from(TreeError::TreeHashMismatch),
        Error::Invalid(ValidationError::InvalidTree(TreeError::TreeHashMismatch))
    ));
    assert!(matches!(
        Error::from(UpdatePathError::Decryption(ours())),
        Error::Crypto(_)
    ));
    assert!(matches!(
        Error::from(UpdatePathError::Tree(TreeError::Crypto(ours()))),
        Error::Crypto(_)
    ));
    assert!(matches!(
        Error::from(UpdatePathError::Decryption(theirs())),
        Error::Invalid(ValidationError::InvalidUpdatePath(
            UpdatePathError::Decryption(_)
        ))
    ));
    assert!(matches!(
        Error::from(KeyScheduleError::Crypto(ours())),
        Error::Crypto(_)
    ));
    assert!(matches!(
        Error::from(KeyScheduleError::GenerationConsumed {
            leaf: 1,
            generation: 0
        }),
        Error::Invalid(ValidationError::SecretUnavailable(
            KeyScheduleError::GenerationConsumed { .. }
        ))
    ));
}

/// A tampered PrivateMessage is still the peer's fault: the category split does not turn a
/// failed decryption of peer data into ours.
#[test]
fn a_tampered_message_is_still_invalid() {
    let (alice, mut a, _bob, mut b) = pair();
    let msg = a
        .encrypt_application(&alice.signer, b"hello", b"", 0)
        .expect("send");
    let MlsMessageBody::PrivateMessage(mut m) = msg.body else {
        panic!("not a PrivateMessage")
    };
    let mut ct = m.ciphertext.into_vec();
    let last = ct.len() - 1;
    ct[last] ^= 1;
    m.ciphertext = ct.into();
    let err = b
        .process_message(
            MlsMessage::new(MlsMessageBody::PrivateMessage(m)),
            &NoPsks,
            Some(NOW),
        )
        .expect_err("tampered");
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::DecryptionFailed(
                EncryptedObject::PrivateMessageContent
            ))
        ),
        "{err}"
    );
}
