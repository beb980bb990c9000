#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use cohort_storage::{
    GroupStore, GroupWrite, KeyPackageStore, PskStore, StorageError, StorageErrorKind, StoredGroup,
    Zeroizing, discard,
};

/// An in-memory [`StorageProvider`](cohort_storage::StorageProvider): every group, epoch record,
/// key package and PSK in maps behind one [`Mutex`].
///
/// Each [`GroupWrite`] is applied under the lock in two steps: the one check that can fail (a
/// write without a state needs its group), then every change in place, together with the
/// key-package deletions (steps that cannot fail, so an unchanged state is never copied). A reader, which takes the same lock,
/// sees the store before or after a write, never in between; a rejected write changes nothing.
///
/// Nothing survives the process; use it for tests and examples. A lock poisoned by a panic in
/// another thread makes every later call fail with [`StorageErrorKind::Poisoned`].
///
/// # Security
/// Stored values are zeroized when they are replaced, deleted or dropped with the store. Its
/// `Debug` output shows only counts.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The ids of the stored groups, in ascending byte order: [`GroupStore::group_ids`],
    /// callable without the trait in scope.
    ///
    /// # Errors
    /// [`StorageErrorKind::Poisoned`] if the lock is poisoned.
    pub fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError> {
        GroupStore::group_ids(self)
    }

    /// The epochs of `group_id` that have a stored record, in increasing order (empty for an
    /// unknown group).
    ///
    /// # Errors
    /// [`StorageErrorKind::Poisoned`] if the lock is poisoned.
    pub fn epochs(&self, group_id: &[u8]) -> Result<Vec<u64>, StorageError> {
        let inner = self.lock()?;
        Ok(inner
            .groups
            .get(group_id)
            .map(|g| g.epochs.keys().copied().collect())
            .unwrap_or_default())
    }

    /// The refs of the stored key packages, in ascending byte order:
    /// [`KeyPackageStore::key_package_refs`], callable without the trait in scope.
    ///
    /// # Errors
    /// [`StorageErrorKind::Poisoned`] if the lock is poisoned.
    pub fn key_package_refs(&self) -> Result<Vec<Vec<u8>>, StorageError> {
        KeyPackageStore::key_package_refs(self)
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StorageError> {
        self.inner.lock().map_err(|poison| {
            StorageError::with_source(StorageErrorKind::Poisoned, poison.to_string())
        })
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("MemoryStore");
        match self.inner.try_lock() {
            Ok(inner) => d
                .field("groups", &inner.groups.len())
                .field("key_packages", &inner.key_packages.len())
                .field("psks", &inner.psks.len())
                .finish(),
            Err(_) => d.finish_non_exhaustive(),
        }
    }
}

impl GroupStore for MemoryStore {
    fn read_state(&self, group_id: &[u8]) -> Result<Option<StoredGroup>, StorageError> {
        Ok(self.lock()?.groups.get(group_id).map(|g| g.state.clone()))
    }

    fn write(&self, write: GroupWrite) -> Result<(), StorageError> {
        let mut inner = self.lock()?;
        // Step 1, the only one that can fail: a write without a state needs the group.
        if write.state.is_none() && !inner.groups.contains_key(&write.group_id) {
            return Err(StorageErrorKind::GroupNotFound.into());
        }
        // Step 2: apply everything in place under the lock; nothing here can fail, so no reader
        // sees a part of it, and an unchanged state is not copied.
        let entry = inner
            .groups
            .entry(write.group_id)
            .or_insert_with(|| GroupEntry {
                state: StoredGroup::new(0, Vec::new()),
                epochs: Default::default(),
            });
        // What is replaced or deleted is wiped in bulk (see `discard`).
        if let Some(state) = write.state {
            discard(std::mem::replace(&mut entry.state, state).state);
        }
        for record in write.epoch_inserts {
            if let Some(old) = entry.epochs.insert(record.epoch, record.data) {
                discard(old);
            }
        }
        for epoch in &write.epoch_deletes {
            if let Some(old) = entry.epochs.remove(epoch) {
                discard(old);
            }
        }
        for kp in &write.consumed_key_packages {
            inner.key_packages.remove(kp);
        }
        Ok(())
    }

    fn read_epoch(
        &self,
        group_id: &[u8],
        epoch: u64,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
        Ok(self
            .lock()?
            .groups
            .get(group_id)
            .and_then(|g| g.epochs.get(&epoch))
            .cloned())
    }

    fn delete_group(&self, group_id: &[u8]) -> Result<(), StorageError> {
        self.lock()?.groups.remove(group_id);
        Ok(())
    }

    fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError> {
        let inner = self.lock()?;
        let mut ids: Vec<Vec<u8>> = inner.groups.keys().cloned().collect();
        ids.sort_unstable();
        Ok(ids)
    }
}

impl KeyPackageStore for MemoryStore {
    fn insert_key_package(
        &self,
        key_package_ref: &[u8],
        private: Zeroizing<Vec<u8>>,
    ) -> Result<(), StorageError> {
        self.lock()?
            .key_packages
            .insert(key_package_ref.to_vec(), private);
        Ok(())
    }

    fn key_package(
        &self,
        key_package_ref: &[u8],
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
        Ok(self.lock()?.key_packages.get(key_package_ref).cloned())
    }

    fn delete_key_package(&self, key_package_ref: &[u8]) -> Result<(), StorageError> {
        self.lock()?.key_packages.remove(key_package_ref);
        Ok(())
    }

    fn key_package_refs(&self) -> Result<Vec<Vec<u8>>, StorageError> {
        let inner = self.lock()?;
        let mut refs: Vec<Vec<u8>> = inner.key_packages.keys().cloned().collect();
        refs.sort_unstable();
        Ok(refs)
    }
}

impl PskStore for MemoryStore {
    fn insert_psk(&self, psk_id: &[u8], psk: Zeroizing<Vec<u8>>) -> Result<(), StorageError> {
        self.lock()?.psks.insert(psk_id.to_vec(), psk);
        Ok(())
    }

    fn psk(&self, psk_id: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
        Ok(self.lock()?.psks.get(psk_id).cloned())
    }

    fn delete_psk(&self, psk_id: &[u8]) -> Result<(), StorageError> {
        self.lock()?.psks.remove(psk_id);
        Ok(())
    }
}

/// Everything the store holds. Values are `Zeroizing`, so replaced and removed ones are wiped.
#[derive(Default)]
struct Inner {
    groups: HashMap<Vec<u8>, GroupEntry>,
    key_packages: HashMap<Vec<u8>, Zeroizing<Vec<u8>>>,
    psks: HashMap<Vec<u8>, Zeroizing<Vec<u8>>>,
}

/// One group: its state and its epoch records.
struct GroupEntry {
    state: StoredGroup,
    epochs: BTreeMap<u64, Zeroizing<Vec<u8>>>,
}

impl Drop for GroupEntry {
    /// A deleted group's state and records are wiped in bulk (see `discard`).
    fn drop(&mut self) {
        discard(std::mem::take(&mut self.state.state));
        for (_, record) in std::mem::take(&mut self.epochs) {
            discard(record);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn poisoned_lock_is_a_typed_error() {
        let store = Arc::new(MemoryStore::new());
        let s = Arc::clone(&store);
        let _ = std::thread::spawn(move || {
            let _guard = s.inner.lock();
            panic!("poison the lock");
        })
        .join();
        let err = store.read_state(b"g").err().map(|e| e.kind());
        assert_eq!(err, Some(StorageErrorKind::Poisoned));
        let err = store.write(GroupWrite::new(b"g".to_vec()).with_state(0, vec![]));
        assert_eq!(
            err.err().map(|e| e.kind()),
            Some(StorageErrorKind::Poisoned)
        );
    }

    #[test]
    fn debug_shows_counts_only() {
        let store = MemoryStore::new();
        store
            .insert_psk(b"id", Zeroizing::new(b"SECRETPSK".to_vec()))
            .unwrap();
        let s = format!("{store:?}");
        assert!(s.contains("psks: 1") && !s.contains("SECRET"), "{s}");
    }
}
