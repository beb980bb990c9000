//! A write failed by `FailingStore` leaves the store at the old epoch, and the retry succeeds.

use std::error::Error as _;

use cohort_conformance::storage::{FailingStore, InjectedFault, InjectedListingFault};
use cohort_storage::{
    GroupStore, GroupWrite, KeyPackageStore, StorageErrorKind, StorageProvider, Zeroizing,
};
use cohort_storage_memory::MemoryStore;

const GROUP: &[u8] = b"group";

/// The epoch-5 → epoch-6 write: new state, epoch 5's record kept, epoch 1's expired, and a key
/// package consumed.
fn advance_to_6() -> GroupWrite {
    GroupWrite::new(GROUP)
        .with_state(6, b"state 6".to_vec())
        .insert_epoch(5, b"record 5".to_vec())
        .delete_epoch(1)
        .consume_key_package(b"kp".to_vec())
}

/// Everything the write touches: the state, epoch records 1 and 5, whether the key package is
/// stored.
type Observed = (Option<(u64, Vec<u8>)>, [Option<Vec<u8>>; 2], bool);

/// Reads everything the write touches through the public traits.
fn observe(store: &dyn StorageProvider) -> Observed {
    let state = store
        .read_state(GROUP)
        .unwrap()
        .map(|s| (s.epoch, s.state.to_vec()));
    let records = [1, 5].map(|e| store.read_epoch(GROUP, e).unwrap().map(|r| r.to_vec()));
    let kp = store.key_package(b"kp").unwrap().is_some();
    (state, records, kp)
}

#[test]
fn failed_write_leaves_the_store_unchanged_and_the_retry_succeeds() {
    let store = FailingStore::new(MemoryStore::new());
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
    let before = observe(&store);
    assert_eq!(before.0, Some((5, b"state 5".to_vec())));

    // ANCHOR: fault
    store.fail_next_write();
    let err = store.write(advance_to_6()).unwrap_err();
    assert_eq!(err.kind(), StorageErrorKind::Backend);
    let fault = err.source().and_then(|s| s.downcast_ref::<InjectedFault>());
    assert_eq!(fault.map(|f| f.write), Some(2));
    assert_eq!(store.failed_writes(), 1);

    // Nothing of the failed write is visible: still epoch 5, record 1 kept, key package kept.
    assert_eq!(observe(&store), before);
    assert_eq!(store.inner().epochs(GROUP).unwrap(), [1]);

    // The same write, retried, goes through whole.
    store.write(advance_to_6()).unwrap();
    // ANCHOR_END: fault
    let after = observe(&store);
    assert_eq!(after.0, Some((6, b"state 6".to_vec())));
    assert_eq!(after.1, [None, Some(b"record 5".to_vec())]);
    assert!(!after.2, "the consumed key package is deleted");
    assert_eq!(store.writes(), 3);
}

#[test]
fn the_nth_write_fails_once() {
    let store = FailingStore::new(MemoryStore::new()).fail_write(3);
    let results: Vec<bool> = (0..5)
        .map(|n| {
            store
                .write(GroupWrite::new(GROUP).with_state(n, vec![]))
                .is_ok()
        })
        .collect();
    assert_eq!(results, [true, true, false, true, true]);
    // The failed write (epoch 2) never reached the store; the others did, in order.
    assert_eq!(store.read_state(GROUP).unwrap().map(|s| s.epoch), Some(4));
}

#[test]
fn an_armed_listing_fails_once_and_changes_nothing() {
    let store = FailingStore::new(MemoryStore::new());
    store
        .write(GroupWrite::new(GROUP).with_state(1, vec![]))
        .unwrap();
    store
        .insert_key_package(b"kp", Zeroizing::new(b"private".to_vec()))
        .unwrap();

    store.fail_next_group_ids();
    let err = store.group_ids().unwrap_err();
    assert_eq!(err.kind(), StorageErrorKind::Backend);
    let fault = err
        .source()
        .and_then(|s| s.downcast_ref::<InjectedListingFault>());
    assert_eq!(fault.map(|f| f.method), Some("group_ids"));
    // Only the armed listing fails, and only once.
    assert_eq!(store.key_package_refs().unwrap(), [b"kp".to_vec()]);
    assert_eq!(store.group_ids().unwrap(), [GROUP.to_vec()]);

    store.fail_next_key_package_refs();
    let err = store.key_package_refs().unwrap_err();
    let fault = err
        .source()
        .and_then(|s| s.downcast_ref::<InjectedListingFault>());
    assert_eq!(fault.map(|f| f.method), Some("key_package_refs"));
    assert_eq!(store.key_package_refs().unwrap(), [b"kp".to_vec()]);
    // Listing faults are not writes.
    assert_eq!((store.writes(), store.failed_writes()), (1, 0));
}
