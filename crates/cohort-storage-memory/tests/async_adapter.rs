//! A synchronous store is usable wherever an asynchronous one is expected, through the same
//! pointers the facade holds.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use cohort_storage::{AsyncStorageProvider, GroupWrite, StorageProvider, Zeroizing};
use cohort_storage_memory::MemoryStore;

/// Polls a future that never waits (a synchronous store's never does) to completion.
fn ready<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("a synchronous store's future is always ready"),
    }
}

async fn join_then_read(store: &dyn AsyncStorageProvider) -> Option<u64> {
    store
        .insert_key_package(b"kp", Zeroizing::new(vec![1]))
        .await
        .unwrap();
    store
        .write(
            GroupWrite::new(b"g".to_vec())
                .with_state(2, b"state".to_vec())
                .insert_epoch(1, b"record".to_vec())
                .consume_key_package(b"kp".to_vec()),
        )
        .await
        .unwrap();
    assert!(store.key_package(b"kp").await.unwrap().is_none());
    assert!(store.key_package_refs().await.unwrap().is_empty());
    assert_eq!(store.group_ids().await.unwrap(), [b"g".to_vec()]);
    assert!(store.read_epoch(b"g", 1).await.unwrap().is_some());
    store.read_state(b"g").await.unwrap().map(|s| s.epoch)
}

#[test]
fn memory_store_is_an_async_store() {
    let store = MemoryStore::new();
    assert_eq!(ready(join_then_read(&store)), Some(2));
}

#[test]
fn a_shared_sync_store_converts_to_a_shared_async_one() {
    // The facade's sync form holds `Arc<dyn StorageProvider>`; its async form wraps the same
    // object as `Arc<dyn AsyncStorageProvider>`, and both see the same data.
    let sync: Arc<dyn StorageProvider> = Arc::new(MemoryStore::new());
    let as_async: Arc<dyn AsyncStorageProvider> = Arc::new(Arc::clone(&sync));
    assert_eq!(ready(join_then_read(&*as_async)), Some(2));
    assert_eq!(sync.read_state(b"g").unwrap().map(|s| s.epoch), Some(2));
}
