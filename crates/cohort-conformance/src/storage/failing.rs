//! Fault injection: [`FailingStore`] fails chosen group writes, and listings on demand.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use cohort_storage::{
    GroupStore, GroupWrite, KeyPackageStore, PskStore, StorageError, StoredGroup, Zeroizing,
};

/// A store wrapper that fails chosen [`GroupStore::write`] calls with a typed error, without
/// passing them to the inner store, which therefore stays exactly as it was.
///
/// Writes are numbered from 1 in the order they reach the wrapper, failed ones included. The
/// failing write returns a [`StorageErrorKind::Backend`](cohort_storage::StorageErrorKind::Backend)
/// error whose `source()` downcasts to [`InjectedFault`]. Each armed fault fires once, so the
/// next write (a retry) goes through.
///
/// The listings fail on demand too: [`fail_next_group_ids`](Self::fail_next_group_ids) and
/// [`fail_next_key_package_refs`](Self::fail_next_key_package_refs) arm the next call of
/// [`GroupStore::group_ids`] or [`KeyPackageStore::key_package_refs`] to fail, once, with a
/// [`StorageErrorKind::Backend`](cohort_storage::StorageErrorKind::Backend) error whose
/// `source()` downcasts to [`InjectedListingFault`]. Every other call is forwarded unchanged.
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
/// #     fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError> { Ok(Vec::new()) }
/// # }
/// use cohort_conformance::storage::{FailingStore, InjectedFault, InjectedListingFault};
///
/// let store = FailingStore::new(Inner).fail_write(2);
/// let write = || GroupWrite::new(b"g".to_vec()).with_state(1, vec![]);
/// assert!(store.write(write()).is_ok());
/// let e = store.write(write()).unwrap_err();
/// assert_eq!(e.kind(), StorageErrorKind::Backend);
/// let fault = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<InjectedFault>());
/// assert_eq!(fault.map(|f| f.write), Some(2));
/// assert!(store.write(write()).is_ok()); // the retry goes through
///
/// store.fail_next_group_ids();
/// let e = store.group_ids().unwrap_err();
/// let fault = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<InjectedListingFault>());
/// assert_eq!(fault.map(|f| f.method), Some("group_ids"));
/// assert!(store.group_ids().is_ok()); // once only
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
    /// Whether the next `group_ids` call fails.
    fail_group_ids: AtomicBool,
    /// Whether the next `key_package_refs` call fails.
    fail_key_package_refs: AtomicBool,
}

impl<S> FailingStore<S> {
    /// Wraps `inner`; no write fails until one is armed.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            fail_at: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            fail_group_ids: AtomicBool::new(false),
            fail_key_package_refs: AtomicBool::new(false),
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

    /// Arms the wrapper to fail the next [`GroupStore::group_ids`] call, once, without passing
    /// it to the inner store. The error's `source()` downcasts to [`InjectedListingFault`].
    pub fn fail_next_group_ids(&self) {
        self.fail_group_ids.store(true, Ordering::SeqCst);
    }

    /// Arms the wrapper to fail the next [`KeyPackageStore::key_package_refs`] call, once,
    /// without passing it to the inner store. The error's `source()` downcasts to
    /// [`InjectedListingFault`].
    pub fn fail_next_key_package_refs(&self) {
        self.fail_key_package_refs.store(true, Ordering::SeqCst);
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

/// The source of a listing error injected by [`FailingStore`] (see
/// [`FailingStore::fail_next_group_ids`] and [`FailingStore::fail_next_key_package_refs`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("fault injected on {method}")]
pub struct InjectedListingFault {
    /// The listing that failed: `"group_ids"` or `"key_package_refs"`.
    pub method: &'static str,
}

/// Disarms `armed` and, if it was armed, returns the injected error for `method`.
fn fire(armed: &AtomicBool, method: &'static str) -> Result<(), StorageError> {
    if armed.swap(false, Ordering::SeqCst) {
        Err(StorageError::backend(InjectedListingFault { method }))
    } else {
        Ok(())
    }
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

    fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError> {
        fire(&self.fail_group_ids, "group_ids")?;
        self.inner.group_ids()
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

    fn key_package_refs(&self) -> Result<Vec<Vec<u8>>, StorageError> {
        fire(&self.fail_key_package_refs, "key_package_refs")?;
        self.inner.key_package_refs()
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
