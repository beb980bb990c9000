//! Errors by who is at fault, through the facade: a failure of our own crypto provider (RNG,
//! HSM, backend) is [`Error::Crypto`], a failure of our store [`Error::Storage`], and neither is
//! ever [`Error::Invalid`] (a peer's invalid message, which an application would discard as
//! malicious). After either, the group is as it was (same epoch, same epoch authenticator,
//! nothing pending) and a retry succeeds.
//!
//! The provider is the RustCrypto one wrapped to fail a chosen call ([`FaultyProvider`]); the
//! store is a [`FailingStore`] around the memory store. Each crypto test fails every call of the
//! operation in turn.

use std::fmt;
use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::storage::StorageErrorKind;
use cohort::storage::memory::MemoryStore;
use cohort::{Client, ClientGroup, Error, Received};
use cohort_conformance::storage::{FailingStore, InjectedFault};

use cohort_conformance::crypto::{
    CryptoFaults as Faults, FailingProvider as FaultyProvider, InjectedCryptoFault,
};

const NOW: u64 = 1_800_000_000;
const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

/// A facade client on its own faulty provider (its signer too) and its own failing store.
struct Peer {
    client: Client,
    faults: Arc<Faults>,
    store: Arc<FailingStore<MemoryStore>>,
}

fn peer(name: &str) -> Peer {
    let provider = FaultyProvider::new(Arc::new(cohort_crypto_rustcrypto::provider()));
    let faults = provider.faults();
    let suite = provider.suite(CS).expect("suite");
    let store = Arc::new(FailingStore::new(MemoryStore::new()));
    let client = Client::builder(Arc::new(provider))
        .signer(Arc::new(SoftwareSigner::generate(suite).expect("signer")))
        .credential(Credential::basic(name.as_bytes().to_vec()))
        .build(store.clone())
        .expect("client");
    Peer {
        client,
        faults,
        store,
    }
}

/// Alice's group with Bob in it.
fn pair() -> (Peer, ClientGroup, Peer, ClientGroup) {
    let (alice, bob) = (peer("alice"), peer("bob"));
    let mut a = alice.client.create_group(b"g", NOW).expect("create");
    let kp = bob.client.generate_key_package(NOW).expect("kp");
    let out = a.add_members(&[kp], NOW).expect("add");
    a.merge_pending_commit().expect("merge");
    let b = bob
        .client
        .join(&out.welcome.expect("welcome"), None, NOW)
        .expect("join");
    (alice, a, bob, b)
}

/// What must not change when an operation fails: epoch, epoch authenticator, pending commit.
fn view(group: &ClientGroup) -> (u64, Vec<u8>, bool) {
    (
        group.epoch(),
        group.epoch_authenticator().to_vec(),
        group.has_pending_commit(),
    )
}

/// Runs `op` on what `prepare` made once to count its crypto calls on `faults`, then again with
/// each of those calls failing in turn, each time on a fresh `prepare`. Every failure must be
/// [`Error::Crypto`] carrying the injected error, and `op` run again (nothing armed) must then
/// succeed; `op` checks itself that a failure changed nothing. An operation may also succeed
/// where the library tolerates a failure (a batch signature check that falls back to checking
/// one by one). Returns how many runs failed.
fn crypto_sweep<S, T>(
    what: &str,
    faults: &Faults,
    mut prepare: impl FnMut() -> S,
    mut op: impl FnMut(&S) -> Result<T, Error>,
) -> u64 {
    let input = prepare();
    let before = faults.calls();
    op(&input).unwrap_or_else(|e| panic!("{what}: the run without faults failed: {e}"));
    let calls = faults.calls() - before;
    assert!(calls > 0, "{what}: no crypto call to fail");
    let mut failed = 0;
    for n in 1..=calls {
        let input = prepare();
        faults.fail_call(n);
        let result = op(&input);
        faults.disarm();
        match result {
            Ok(_) => {}
            Err(Error::Crypto(e)) => {
                let injected = std::error::Error::source(&e)
                    .and_then(|s| s.downcast_ref::<InjectedCryptoFault>());
                assert!(
                    injected.is_some(),
                    "{what}, call {n} of {calls}: not the injected error: {e:?}"
                );
                if let Err(e) = op(&input) {
                    panic!("{what}, call {n} of {calls}: the retry failed: {e}");
                }
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

/// Fails the next write of `store`, runs `op`, and checks that it failed with that write's
/// [`Error::Storage`].
fn storage_failure<T: fmt::Debug>(
    what: &str,
    store: &FailingStore<MemoryStore>,
    op: impl FnOnce() -> Result<T, Error>,
) {
    let failed = store.failed_writes();
    store.fail_next_write();
    match op() {
        Err(Error::Storage(e)) => {
            assert_eq!(e.kind(), StorageErrorKind::Backend, "{what}");
            let injected =
                std::error::Error::source(&e).and_then(|s| s.downcast_ref::<InjectedFault>());
            assert!(injected.is_some(), "{what}: not the injected error: {e:?}");
        }
        other => panic!("{what}: a failure of our store reported as {other:?}"),
    }
    assert_eq!(
        store.failed_writes(),
        failed + 1,
        "{what}: the write was not tried"
    );
}

#[test]
fn create_group_reports_provider_and_store_failures_as_ours() {
    let alice = peer("alice");
    let mut n = 0u32;
    crypto_sweep(
        "create_group",
        &alice.faults,
        || {
            n += 1;
            format!("g{n}").into_bytes()
        },
        |id| {
            let created = alice.client.create_group(id, NOW);
            // A failed creation stores nothing.
            let stored = alice.client.load_group(id).expect("load").is_some();
            assert_eq!(stored, created.is_ok(), "create_group");
            created
        },
    );
    storage_failure("create_group", &alice.store, || {
        alice.client.create_group(b"stored", NOW)
    });
    assert!(alice.client.load_group(b"stored").expect("load").is_none());
    let g = alice.client.create_group(b"stored", NOW).expect("retry");
    assert_eq!(g.epoch(), 0);
}

#[test]
fn join_reports_provider_and_store_failures_as_ours() {
    let (_alice, mut a, _bob, _b) = pair();
    // Each run joins afresh: a new client (on the same faulty provider, so the faults are
    // counted in one place) whose KeyPackage Alice adds.
    let provider = FaultyProvider::new(Arc::new(cohort_crypto_rustcrypto::provider()));
    let faults = provider.faults();
    let joiner = |name: &str| -> (Client, Arc<FailingStore<MemoryStore>>) {
        let suite = provider.suite(CS).expect("suite");
        let store = Arc::new(FailingStore::new(MemoryStore::new()));
        let client = Client::builder(Arc::new(provider.clone()))
            .signer(Arc::new(SoftwareSigner::generate(suite).expect("signer")))
            .credential(Credential::basic(name.as_bytes().to_vec()))
            .build(store.clone())
            .expect("client");
        (client, store)
    };
    let mut invite = |name: &str| {
        let (client, store) = joiner(name);
        let kp = client.generate_key_package(NOW).expect("kp");
        let out = a.add_members(&[kp], NOW).expect("add");
        a.merge_pending_commit().expect("merge");
        (client, store, out.welcome.expect("welcome"))
    };
    let mut n = 0u32;
    crypto_sweep(
        "join",
        &faults,
        || {
            n += 1;
            invite(&format!("carol{n}"))
        },
        |(client, _, welcome)| {
            let refs = client.key_package_refs().expect("refs");
            let joined = client.join(welcome, None, NOW);
            if joined.is_err() {
                // Nothing consumed, nothing stored.
                assert_eq!(client.key_package_refs().expect("refs"), refs);
                assert!(client.group_ids().expect("ids").is_empty());
            }
            joined
        },
    );
    let (dave, store, welcome) = invite("dave");
    let refs = dave.key_package_refs().expect("refs");
    storage_failure("join", &store, || dave.join(&welcome, None, NOW));
    assert_eq!(dave.key_package_refs().expect("refs"), refs);
    assert!(dave.group_ids().expect("ids").is_empty());
    let d = dave.join(&welcome, None, NOW).expect("retry");
    assert_eq!(d.epoch_authenticator(), a.epoch_authenticator());
}

#[test]
fn commits_report_provider_and_store_failures_as_ours_and_change_nothing() {
    let (alice, mut a, _bob, mut b) = pair();
    let carol = peer("carol");
    let kp = carol.client.generate_key_package(NOW).expect("kp");
    let before = view(&a);
    for what in ["self_update", "add_members"] {
        let commit = |a: &mut ClientGroup| match what {
            "self_update" => a.self_update(NOW),
            _ => a.add_members(std::slice::from_ref(&kp), NOW),
        };
        crypto_sweep(
            what,
            &alice.faults,
            || (),
            |()| {
                let out = commit(&mut a);
                if out.is_ok() {
                    a.clear_pending_commit().expect("clear");
                }
                assert_eq!(view(&a), before, "{what}");
                out
            },
        );
        storage_failure(what, &alice.store, || commit(&mut a));
        assert_eq!(view(&a), before, "{what}");
    }
    // The retry goes through, and everyone moves on with it.
    let out = a.add_members(&[kp], NOW).expect("retry");
    a.merge_pending_commit().expect("merge");
    match b.process_message(out.commit, NOW).expect("bob") {
        Received::Commit(staged) => {
            b.merge_staged(*staged).expect("merge");
        }
        other => panic!("{other:?}"),
    }
    let c = carol
        .client
        .join(&out.welcome.expect("welcome"), None, NOW)
        .expect("carol");
    assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());
    assert_eq!(a.epoch_authenticator(), c.epoch_authenticator());
}

#[test]
fn processing_a_commit_reports_provider_failures_as_ours_and_changes_nothing() {
    let (_alice, mut a, bob, mut b) = pair();
    let out = a.self_update(NOW).expect("commit");
    let before = view(&b);
    // Hashes, the signature and the HPKE decryption of the path, key derivations and the key
    // schedule: all on the peer's data, all done by our provider.
    crypto_sweep(
        "process commit",
        &bob.faults,
        || (),
        |()| {
            let processed = b.process_message(out.commit.clone(), NOW);
            assert_eq!(view(&b), before);
            processed
        },
    );
    match b.process_message(out.commit, NOW).expect("retry") {
        Received::Commit(staged) => {
            b.merge_staged(*staged).expect("merge");
        }
        other => panic!("{other:?}"),
    }
    a.merge_pending_commit().expect("merge");
    assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());
}

#[test]
fn application_messages_report_provider_and_store_failures_as_ours_and_change_nothing() {
    let (alice, mut a, bob, mut b) = pair();
    // Sending: the reuse guard, the signature, the ratchet, the two encryptions.
    let before = view(&a);
    crypto_sweep(
        "send_message",
        &alice.faults,
        || (),
        |()| {
            let sent = a.send_message(b"hello");
            assert_eq!(view(&a), before);
            sent
        },
    );
    storage_failure("send_message", &alice.store, || a.send_message(b"lost"));
    assert_eq!(view(&a), before);

    // Receiving, a new message each run; the sweep reads the one a failure interrupted again,
    // so its key was not consumed.
    let before = view(&b);
    crypto_sweep(
        "process application message",
        &bob.faults,
        || a.send_message(b"hello").expect("send"),
        |message| {
            let processed = b.process_message(message.clone(), NOW);
            assert_eq!(view(&b), before);
            processed
        },
    );
    let message = a.send_message(b"stored").expect("send");
    storage_failure("process_message", &bob.store, || {
        b.process_message(message.clone(), NOW)
    });
    assert_eq!(view(&b), before);
    match b.process_message(message, NOW).expect("retry") {
        Received::Application { data, .. } => assert_eq!(data, b"stored"),
        other => panic!("{other:?}"),
    }
}
