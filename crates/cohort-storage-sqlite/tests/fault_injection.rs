//! Faults over SQLite: a write that fails, whether before it reaches the database
//! (`FailingStore`) or in the middle of its transaction (a trigger that aborts it), leaves the
//! file at the old epoch, and the retry succeeds.

mod common;

use std::error::Error as _;
use std::path::Path;
use std::sync::Arc;

use cohort::Received;
use cohort::crypto::{CryptoProvider, SoftwareSigner};
use cohort::storage::StorageProvider;
use cohort_conformance::storage::{FailingStore, InjectedFault};
use cohort_storage::{GroupStore, GroupWrite, StorageErrorKind, Zeroizing};
use cohort_storage_sqlite::SqliteStore;

const GROUP: &[u8] = b"group";

/// The epoch-5 → epoch-6 write: new state, epoch 5's record kept, epoch 1's expired, and a key
/// package consumed. Its last step (the key-package deletion) is the one the trigger aborts.
fn advance_to_6() -> GroupWrite {
    GroupWrite::new(GROUP)
        .with_state(6, b"state 6".to_vec())
        .insert_epoch(5, b"record 5".to_vec())
        .delete_epoch(1)
        .consume_key_package(b"kp".to_vec())
}

/// Everything the write touches: the state, records 1 and 5, whether the key package is stored.
type Observed = (Option<(u64, Vec<u8>)>, Vec<Option<Vec<u8>>>, bool);

fn observe(store: &dyn StorageProvider) -> Observed {
    let state = store
        .read_state(GROUP)
        .unwrap()
        .map(|s| (s.epoch, s.state.to_vec()));
    let records = [1, 5]
        .iter()
        .map(|&e| store.read_epoch(GROUP, e).unwrap().map(|r| r.to_vec()))
        .collect();
    let kp = store.key_package(b"kp").unwrap().is_some();
    (state, records, kp)
}

/// What a fresh process would find in the file.
fn observe_file(path: &Path) -> Observed {
    observe(&SqliteStore::open(path).unwrap())
}

/// A store at epoch 5 with record 1 and the key package `kp`.
fn at_epoch_5(store: &dyn StorageProvider) {
    store
        .insert_key_package(b"kp", Zeroizing::new(b"private".to_vec()))
        .unwrap();
    store
        .write(
            GroupWrite::new(GROUP)
                .with_state(5, b"state 5".to_vec())
                .insert_epoch(1, b"record 1".to_vec()),
        )
        .unwrap();
}

fn expected_before() -> Observed {
    (
        Some((5, b"state 5".to_vec())),
        vec![Some(b"record 1".to_vec()), None],
        true,
    )
}

fn expected_after() -> Observed {
    (
        Some((6, b"state 6".to_vec())),
        vec![None, Some(b"record 5".to_vec())],
        false,
    )
}

#[test]
fn the_nth_write_fails_and_the_file_keeps_the_old_epoch() {
    let dir = common::TempDir::new("fault-nth");
    let path = dir.path().join("store.db");
    // Write 1 sets up epoch 5; write 2 is the one that fails.
    let store = FailingStore::new(SqliteStore::open(&path).unwrap()).fail_write(2);
    at_epoch_5(&store);

    let err = store.write(advance_to_6()).unwrap_err();
    assert_eq!(err.kind(), StorageErrorKind::Backend);
    let fault = err.source().and_then(|s| s.downcast_ref::<InjectedFault>());
    assert_eq!(fault.map(|f| f.write), Some(2));
    assert_eq!(observe(&store), expected_before());
    assert_eq!(observe_file(&path), expected_before());

    store.write(advance_to_6()).unwrap();
    assert_eq!(observe(&store), expected_after());
    assert_eq!(observe_file(&path), expected_after());
}

#[test]
fn a_write_aborted_mid_transaction_is_rolled_back_whole_and_retries() {
    let dir = common::TempDir::new("fault-trigger");
    let path = dir.path().join("store.db");
    let store = SqliteStore::open(&path).unwrap();
    at_epoch_5(&store);

    // Another connection installs a trigger that aborts the key-package deletion, the last
    // statement of the write: the state upsert and the record insert and delete have run by then.
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch(
            "CREATE TRIGGER refuse_kp_delete BEFORE DELETE ON key_packages
             BEGIN SELECT RAISE(ABORT, 'injected fault'); END;",
        )
        .unwrap();

    let err = store.write(advance_to_6()).unwrap_err();
    assert_eq!(err.kind(), StorageErrorKind::Backend);
    assert!(
        err.source()
            .and_then(|s| s.downcast_ref::<rusqlite::Error>())
            .is_some(),
        "the source is SQLite's error"
    );
    assert_eq!(observe(&store), expected_before());
    assert_eq!(observe_file(&path), expected_before());

    other
        .execute_batch("DROP TRIGGER refuse_kp_delete")
        .unwrap();
    store.write(advance_to_6()).unwrap();
    assert_eq!(observe(&store), expected_after());
    assert_eq!(observe_file(&path), expected_after());
}

#[test]
fn a_write_blocked_by_another_writer_fails_then_retries() {
    let dir = common::TempDir::new("fault-locked");
    let path = dir.path().join("store.db");
    let store = SqliteStore::open(&path).unwrap();
    at_epoch_5(&store);

    // Another process (here, a connection) holds the write lock longer than the store waits.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err = store.write(advance_to_6()).unwrap_err();
    assert_eq!(err.kind(), StorageErrorKind::Backend);
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(observe(&store), expected_before());

    store.write(advance_to_6()).unwrap();
    assert_eq!(observe_file(&path), expected_after());
}

/// The same through real groups: Bob's store fails the write that merges Alice's commit. The
/// file keeps Bob at the old epoch; reloaded from it, Bob processes the commit again and merges.
#[test]
fn a_member_whose_merge_write_fails_reloads_at_the_old_epoch_and_retries() {
    let dir = common::TempDir::new("fault-group");
    let path = dir.path().join("bob.db");
    let provider: Arc<dyn CryptoProvider> = Arc::new(cohort::crypto::rustcrypto::provider());
    let suite = cohort::crypto::CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
    let ops = provider.suite(suite).unwrap();
    let client = |name: &str, store: Arc<dyn StorageProvider>| {
        let signer = SoftwareSigner::generate(ops.clone()).unwrap();
        common::client(provider.clone(), store, signer, name).unwrap()
    };
    let alice = client(
        "alice",
        Arc::new(cohort::storage::memory::MemoryStore::new()),
    );
    let bob_store = Arc::new(FailingStore::new(SqliteStore::open(&path).unwrap()));
    let bob = client("bob", bob_store.clone());

    let mut alice_group = alice.create_group(GROUP, 1).unwrap();
    let added = alice_group
        .add_members(&[bob.generate_key_package(1).unwrap()], 1)
        .unwrap();
    alice_group.merge_pending_commit().unwrap();
    let mut bob_group = bob.join(&added.welcome.unwrap(), None, 1).unwrap();
    assert_eq!(bob_group.epoch(), 1);

    let update = alice_group.self_update(2).unwrap();
    alice_group.merge_pending_commit().unwrap();
    let Received::Commit(staged) = bob_group.process_message(update.commit.clone(), 2).unwrap()
    else {
        panic!("expected a commit");
    };
    bob_store.fail_next_write();
    let err = bob_group.merge_staged(*staged).unwrap_err();
    assert!(matches!(err, cohort::Error::Storage(ref e) if e.kind() == StorageErrorKind::Backend));
    drop(bob_group);
    assert_eq!(
        SqliteStore::open(&path)
            .unwrap()
            .read_state(GROUP)
            .unwrap()
            .map(|s| s.epoch),
        Some(1)
    );

    // The retry: reload, process the same commit, merge.
    let mut bob_group = bob.load_group(GROUP).unwrap().unwrap();
    assert_eq!(bob_group.epoch(), 1);
    let Received::Commit(staged) = bob_group.process_message(update.commit, 2).unwrap() else {
        panic!("expected a commit");
    };
    bob_group.merge_staged(*staged).unwrap();
    assert_eq!(bob_group.epoch(), 2);
    assert_eq!(
        bob_group.epoch_authenticator(),
        alice_group.epoch_authenticator()
    );
    let reloaded = bob.load_group(GROUP).unwrap().unwrap();
    assert_eq!(reloaded.epoch(), 2);
    let msg = alice_group.send_message(b"after the retry").unwrap();
    let mut bob_group = reloaded;
    assert!(matches!(
        bob_group.process_message(msg, 3).unwrap(),
        Received::Application { ref data, .. } if data == b"after the retry"
    ));
}
