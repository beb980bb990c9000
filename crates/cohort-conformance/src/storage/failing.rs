//! Fault injection: [`FailingStore`] fails chosen group writes.

use std::sync::atomic::{AtomicU64, Ordering};

use cohort_storage::{
    GroupStore, GroupWrite, KeyPackageStore, PskStore, StorageError, StoredGroup, Zeroizing,
};

/// A store wrapper that fails chosen [`GroupStore::write`] calls with a typed error, without
/// passing them to the inner store, which therefore stays exactly as it was.
///
/// Writes are numbered from 1 in the order they reach the wrapper, failed ones included. The
/// failing write returns a [`StorageErrorKind::Backend`](cohort_storage::StorageErrorKind::Backend)
/// error whose `source()` downcasts to [`InjectedFault`]. Each armed fault fires once, so the
/// next write (a retry) goes through. Every other call is forwarded unchanged.
///
/// Use it to test that an operation whose write fails returns the storage error and leaves
/// both the in-memory group and the store at the old epoch, and that retrying succeeds.
///
/// # Examples
///
/// ```
/// # use cohort_storage::{GroupStore, GroupWrite, StorageError, StorageErrorKind, StoredGroup, Zeroizing};
/// # #[derive(Debug)]
/// # struct Inner;
/// # impl GroupStore for Inner {
/// #     fn read_state(&self, _: &[u8]) -> Result<Option<StoredGroup>, StorageError> { Ok(None) }
/// #     fn write(&self, _: GroupWrite) -> Result<(), StorageError> { Ok(()) }
/// #     fn read_epoch(&self, _: &[u8], _: u64) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> { Ok(None) }
/// #     fn delete_group(&self, _: &[u8]) -> Result<(), StorageError> { Ok(()) }
/// # }
/// use cohort_conformance::storage::{FailingStore, InjectedFault};
///
/// let store = FailingStore::new(Inner).fail_write(2);
/// let write = || GroupWrite::new(b"g".to_vec()).with_state(1, vec![]);
/// assert!(store.write(write()).is_ok());
/// let e = store.write(write()).unwrap_err();
/// assert_eq!(e.kind(), StorageErrorKind::Backend);
/// let fault = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<InjectedFault>());
/// assert_eq!(fault.map(|f| f.write), Some(2));
/// assert!(store.write(write()).is_ok()); // the retry goes through
/// ```
#[derive(Debug)]
pub struct FailingStore<S> {
    inner: S,
    /// The number of the write to fail, or 0 for none.
    fail_at: AtomicU64,
    /// How many writes reached the wrapper.
    writes: AtomicU64,
    /// How many writes were failed.
    failed: AtomicU64,
}

impl<S> FailingStore<S> {
    /// Wraps `inner`; no write fails until one is armed.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            fail_at: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    /// Arms the wrapper to fail write number `n` (counted from 1 since the wrapper was made), and
    /// returns it. `n = 0` disarms it.
    pub fn fail_write(self, n: u64) -> Self {
        self.fail_at.store(n, Ordering::SeqCst);
        self
    }

    /// Arms the wrapper to fail the next write, replacing any fault armed before.
    pub fn fail_next_write(&self) {
        let next = self.writes.load(Ordering::SeqCst) + 1;
        self.fail_at.store(next, Ordering::SeqCst);
    }

    /// How many writes reached the wrapper, failed ones included.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// How many writes the wrapper failed.
    pub fn failed_writes(&self) -> u64 {
        self.failed.load(Ordering::SeqCst)
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Unwraps the store.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

/// The source of an error injected by [`FailingStore`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("fault injected on write {write}")]
pub struct InjectedFault {
    /// The number of the write that failed, counted from 1.
    pub write: u64,
}

impl<S: GroupStore> GroupStore for FailingStore<S> {
    fn read_state(&self, group_id: &[u8]) -> Result<Option<StoredGroup>, StorageError> {
        self.inner.read_state(group_id)
    }

    fn write(&self, write: GroupWrite) -> Result<(), StorageError> {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if self
            .fail_at
            .compare_exchange(n, 0, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            self.failed.fetch_add(1, Ordering::SeqCst);
            return Err(StorageError::backend(InjectedFault { write: n }));
        }
        self.inner.write(write)
    }

    fn read_epoch(
        &self,
        group_id: &[u8],
        epoch: u64,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
        self.inner.read_epoch(group_id, epoch)
    }

    fn delete_group(&self, group_id: &[u8]) -> Result<(), StorageError> {
        self.inner.delete_group(group_id)
    }
}

impl<S: KeyPackageStore> KeyPackageStore for FailingStore<S> {
    fn insert_key_package(
        &self,
        key_package_ref: &[u8],
        private: Zeroizing<Vec<u8>>,
    ) -> Result<(), StorageError> {
        self.inner.insert_key_package(key_package_ref, private)
    }

    fn key_package(
        &self,
        key_package_ref: &[u8],
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
        self.inner.key_package(key_package_ref)
    }

    fn delete_key_package(&self, key_package_ref: &[u8]) -> Result<(), StorageError> {
        self.inner.delete_key_package(key_package_ref)
    }
}

impl<S: PskStore> PskStore for FailingStore<S> {
    fn insert_psk(&self, psk_id: &[u8], psk: Zeroizing<Vec<u8>>) -> Result<(), StorageError> {
        self.inner.insert_psk(psk_id, psk)
    }

    fn psk(&self, psk_id: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
        self.inner.psk(psk_id)
    }

    fn delete_psk(&self, psk_id: &[u8]) -> Result<(), StorageError> {
        self.inner.delete_psk(psk_id)
    }
}
