//! Group state: the [`GroupStore`] trait and the [`GroupWrite`] it applies atomically.

use core::fmt;

use zeroize::Zeroizing;

use crate::StorageError;

/// A group's current state as stored: an opaque, versioned blob and the epoch it is at.
///
/// The library serializes its own state; the blob starts with the library's format version, so
/// a backend never parses it. The epoch is stored beside the blob so a backend can index, list
/// or check it without parsing either.
///
/// # Security
/// The blob holds the current epoch's secrets and our private HPKE keys. It is zeroized when
/// dropped, and its `Debug` output shows only its length.
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq)]
pub struct StoredGroup {
    /// The epoch the state is at.
    pub epoch: u64,
    /// The serialized state, opaque to the backend.
    pub state: Zeroizing<Vec<u8>>,
}

impl StoredGroup {
    /// A stored state at `epoch`.
    pub fn new(epoch: u64, state: impl Into<Zeroizing<Vec<u8>>>) -> Self {
        Self {
            epoch,
            state: state.into(),
        }
    }
}

impl fmt::Debug for StoredGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredGroup")
            .field("epoch", &self.epoch)
            .field("state", &Redacted(self.state.len()))
            .finish()
    }
}

/// One retained epoch record of a group: an opaque blob keyed by its epoch number.
///
/// The library keeps records of recent past epochs (the secrets that decrypt late application
/// messages, the resumption PSK) and may keep a record for the current epoch too (for example
/// the state of its sender ratchets, so sending a message rewrites a small record, not the whole
/// state). Retention is bounded: the library deletes expired records in a later
/// [`GroupWrite`].
///
/// # Security
/// The data is secret. It is zeroized when dropped and its `Debug` output shows only its length.
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq)]
pub struct EpochRecord {
    /// The epoch this record belongs to.
    pub epoch: u64,
    /// The record, opaque to the backend.
    pub data: Zeroizing<Vec<u8>>,
}

impl EpochRecord {
    /// A record for `epoch`.
    pub fn new(epoch: u64, data: impl Into<Zeroizing<Vec<u8>>>) -> Self {
        Self {
            epoch,
            data: data.into(),
        }
    }
}

impl fmt::Debug for EpochRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EpochRecord")
            .field("epoch", &self.epoch)
            .field("data", &Redacted(self.data.len()))
            .finish()
    }
}

/// Everything one group operation changes in storage, applied by [`GroupStore::write`] as one
/// atomic unit.
///
/// The group state machine produces one `GroupWrite` per state change (a merged commit, a
/// processed commit, a join, a sent or received message's ratchet step) and the facade hands it
/// to the store. Its parts:
///
/// | Field | Effect |
/// |---|---|
/// | [`group_id`](Self::group_id) | the group every other part belongs to |
/// | [`state`](Self::state) | if `Some`, replaces the group's state (creating the group if new); if `None`, the state is left as it is and the group must already exist |
/// | [`epoch_inserts`](Self::epoch_inserts) | epoch records to insert; a record for an epoch already stored replaces it |
/// | [`epoch_deletes`](Self::epoch_deletes) | epoch records to delete (expired under the retention bound); deleting an absent record is not an error |
/// | [`consumed_key_packages`](Self::consumed_key_packages) | KeyPackage refs used by this operation, whose private material ([`KeyPackageStore`](crate::KeyPackageStore)) is deleted; deleting an absent one is not an error |
///
/// # Atomicity contract
///
/// A backend applies a `GroupWrite` **atomically**:
///
/// 1. **All or nothing.** Every part takes effect together, or none does. In particular a
///    consumed key package is deleted if and only if the state that used it is stored, and a
///    new epoch's records appear if and only if that epoch's state does.
/// 2. **No partial reads.** A reader running concurrently, in this process or another one,
///    observes the store either entirely before the write or entirely after it.
/// 3. **Failure leaves no trace.** A write that returns an error has changed nothing: the store
///    reads exactly as before, including after a crash of the process or the machine during
///    the write, so retrying the same write is correct.
/// 4. **Durable on success.** When `write` returns `Ok`, the change survives a restart of the
///    process (a backend that is in-memory by nature, like the test store, is exempt).
///
/// Within one write, inserts are applied before deletes: an epoch listed in both ends up
/// absent, and of two inserts for one epoch the later wins.
///
/// # Examples
///
/// ```
/// use cohort_storage::GroupWrite;
///
/// // Merging a commit: the new state at epoch 8, epoch 7's secrets kept for late messages,
/// // epoch 2's expired, and the key package we joined with consumed.
/// let write = GroupWrite::new(b"group-1".to_vec())
///     .with_state(8, b"serialized state".to_vec())
///     .insert_epoch(7, b"epoch 7 secrets".to_vec())
///     .delete_epoch(2)
///     .consume_key_package(b"kp-ref".to_vec());
/// assert_eq!(write.state.as_ref().map(|s| s.epoch), Some(8));
/// ```
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq)]
pub struct GroupWrite {
    /// The group this write belongs to.
    pub group_id: Vec<u8>,
    /// The group's new state, or `None` to leave the stored state as it is.
    pub state: Option<StoredGroup>,
    /// Epoch records to insert or replace.
    pub epoch_inserts: Vec<EpochRecord>,
    /// Epochs whose records to delete.
    pub epoch_deletes: Vec<u64>,
    /// KeyPackage refs whose private material to delete. A last-resort key package is never
    /// listed, so it stays usable.
    pub consumed_key_packages: Vec<Vec<u8>>,
}

impl GroupWrite {
    /// An empty write for `group_id`: it changes nothing until parts are added.
    pub fn new(group_id: impl Into<Vec<u8>>) -> Self {
        Self {
            group_id: group_id.into(),
            state: None,
            epoch_inserts: Vec::new(),
            epoch_deletes: Vec::new(),
            consumed_key_packages: Vec::new(),
        }
    }

    /// Sets the new state at `epoch`.
    pub fn with_state(mut self, epoch: u64, state: impl Into<Zeroizing<Vec<u8>>>) -> Self {
        self.state = Some(StoredGroup::new(epoch, state));
        self
    }

    /// Adds an epoch record to insert (or to replace, if `epoch` is already stored).
    pub fn insert_epoch(mut self, epoch: u64, data: impl Into<Zeroizing<Vec<u8>>>) -> Self {
        self.epoch_inserts.push(EpochRecord::new(epoch, data));
        self
    }

    /// Adds an epoch whose record to delete.
    pub fn delete_epoch(mut self, epoch: u64) -> Self {
        self.epoch_deletes.push(epoch);
        self
    }

    /// Adds a KeyPackage ref whose private material this operation consumed.
    pub fn consume_key_package(mut self, key_package_ref: impl Into<Vec<u8>>) -> Self {
        self.consumed_key_packages.push(key_package_ref.into());
        self
    }
}

impl fmt::Debug for GroupWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupWrite")
            .field("group_id", &Hex(&self.group_id))
            .field("state", &self.state)
            .field("epoch_inserts", &self.epoch_inserts)
            .field("epoch_deletes", &self.epoch_deletes)
            .field(
                "consumed_key_packages",
                &self
                    .consumed_key_packages
                    .iter()
                    .map(|r| Hex(r))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Persistent group state: the current state of each group and its retained epoch records.
///
/// The library loads a group with [`read_state`](Self::read_state), runs an operation in
/// memory, and persists the result with one [`write`](Self::write). Values are opaque blobs; the
/// backend never parses them.
///
/// # Implementing
///
/// - Key everything by the group id bytes; epoch records by `(group id, epoch)`.
/// - Apply each [`GroupWrite`] under its [atomicity contract](GroupWrite#atomicity-contract):
///   one database transaction, or build the new state aside and swap it in under one lock. The
///   key-package deletions of a write hit the same store as your
///   [`KeyPackageStore`](crate::KeyPackageStore), so implement both on one type (see
///   [`StorageProvider`](crate::StorageProvider)).
/// - A missing group or epoch is `Ok(None)`, never an error. Errors are for failures.
/// - [`group_ids`](Self::group_ids) returns the ids sorted by their bytes; a backend with an
///   index on the group id gets that order for free (SQLite compares blobs byte by byte).
/// - Do not put stored values in errors or logs.
/// - Certify the backend with `cohort_conformance::storage::run`.
///
/// # Invariants the library relies on
///
/// - After `write` returns `Ok`, `read_state` returns the written state and `read_epoch` the
///   written records, byte for byte, until a later write or [`delete_group`](Self::delete_group)
///   changes them.
/// - After `write` returns `Err`, the store is exactly as before the call.
/// - [`delete_group`](Self::delete_group) removes the state and every epoch record of the group
///   at once.
/// - [`group_ids`](Self::group_ids) lists exactly the groups that have a state: a group appears
///   when a write with a state succeeds and disappears when it is deleted.
///
/// # Examples
///
/// A minimal store: one mutex over a map, where each write builds the group's new entry aside
/// and swaps it in, so a reader never sees half of it.
///
/// ```
/// use std::collections::{BTreeMap, HashMap};
/// use std::sync::Mutex;
///
/// use cohort_storage::{GroupStore, GroupWrite, StorageError, StorageErrorKind, StoredGroup};
/// use cohort_storage::Zeroizing;
///
/// type Epochs = BTreeMap<u64, Zeroizing<Vec<u8>>>;
///
/// #[derive(Debug, Default)]
/// struct TinyStore(Mutex<HashMap<Vec<u8>, (StoredGroup, Epochs)>>);
///
/// impl GroupStore for TinyStore {
///     fn read_state(&self, group_id: &[u8]) -> Result<Option<StoredGroup>, StorageError> {
///         let map = self.0.lock().map_err(|_| StorageErrorKind::Poisoned)?;
///         Ok(map.get(group_id).map(|(state, _)| state.clone()))
///     }
///
///     fn write(&self, write: GroupWrite) -> Result<(), StorageError> {
///         let mut map = self.0.lock().map_err(|_| StorageErrorKind::Poisoned)?;
///         let old = map.get(&write.group_id);
///         let state = match (write.state, old) {
///             (Some(state), _) => state,
///             (None, Some((state, _))) => state.clone(),
///             (None, None) => return Err(StorageErrorKind::GroupNotFound.into()),
///         };
///         let mut epochs = old.map(|(_, e)| e.clone()).unwrap_or_default();
///         for record in write.epoch_inserts {
///             epochs.insert(record.epoch, record.data);
///         }
///         for epoch in write.epoch_deletes {
///             epochs.remove(&epoch);
///         }
///         // (This store has no key packages; a real one deletes
///         // `write.consumed_key_packages` here, under the same lock.)
///         map.insert(write.group_id, (state, epochs));
///         Ok(())
///     }
///
///     fn read_epoch(
///         &self,
///         group_id: &[u8],
///         epoch: u64,
///     ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
///         let map = self.0.lock().map_err(|_| StorageErrorKind::Poisoned)?;
///         Ok(map.get(group_id).and_then(|(_, e)| e.get(&epoch)).cloned())
///     }
///
///     fn delete_group(&self, group_id: &[u8]) -> Result<(), StorageError> {
///         let mut map = self.0.lock().map_err(|_| StorageErrorKind::Poisoned)?;
///         map.remove(group_id);
///         Ok(())
///     }
///
///     fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError> {
///         let map = self.0.lock().map_err(|_| StorageErrorKind::Poisoned)?;
///         let mut ids: Vec<Vec<u8>> = map.keys().cloned().collect();
///         ids.sort_unstable();
///         Ok(ids)
///     }
/// }
///
/// let store = TinyStore::default();
/// store.write(GroupWrite::new(b"g".to_vec()).with_state(1, b"s1".to_vec()))?;
/// store.write(GroupWrite::new(b"g".to_vec()).insert_epoch(1, b"ratchets".to_vec()))?;
/// assert_eq!(store.read_state(b"g")?.map(|s| s.epoch), Some(1));
/// assert!(store.read_epoch(b"g", 1)?.is_some());
/// assert!(store.read_state(b"unknown")?.is_none());
/// store.write(GroupWrite::new(b"a".to_vec()).with_state(0, b"s0".to_vec()))?;
/// assert_eq!(store.group_ids()?, [b"a".to_vec(), b"g".to_vec()]);
/// store.delete_group(b"g")?;
/// assert_eq!(store.group_ids()?, [b"a".to_vec()]);
/// # Ok::<(), StorageError>(())
/// ```
pub trait GroupStore: Send + Sync + fmt::Debug {
    /// The current state of `group_id`, or `None` if the group is not stored.
    ///
    /// # Errors
    /// A [`StorageError`] if the backend fails; never for a missing group.
    fn read_state(&self, group_id: &[u8]) -> Result<Option<StoredGroup>, StorageError>;

    /// Applies `write` atomically (see the [atomicity contract](GroupWrite#atomicity-contract)).
    ///
    /// # Errors
    /// [`StorageErrorKind::GroupNotFound`](crate::StorageErrorKind::GroupNotFound) if the write
    /// has no state and the group is not stored; any other [`StorageError`] if the backend
    /// fails. Either way the store is unchanged.
    fn write(&self, write: GroupWrite) -> Result<(), StorageError>;

    /// The record of `epoch` of `group_id`, or `None` if it is not stored (never written, or
    /// expired and deleted).
    ///
    /// # Errors
    /// A [`StorageError`] if the backend fails; never for a missing record.
    fn read_epoch(
        &self,
        group_id: &[u8],
        epoch: u64,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError>;

    /// Deletes `group_id`'s state and every epoch record of it, atomically. Deleting a group
    /// that is not stored is not an error.
    ///
    /// # Errors
    /// A [`StorageError`] if the backend fails; the group is then unchanged.
    fn delete_group(&self, group_id: &[u8]) -> Result<(), StorageError>;

    /// The ids of every stored group, that is of every group with a state, each once and in
    /// ascending byte order (the order of `Ord` for `[u8]`: byte by byte, unsigned, a proper
    /// prefix before the longer id). Empty for an empty store.
    ///
    /// A group is listed from the successful [`write`](Self::write) that gives it a state until
    /// [`delete_group`](Self::delete_group) removes it; a write that failed never lists one. The
    /// facade uses this to enumerate, and to delete, a client's groups.
    ///
    /// # Errors
    /// A [`StorageError`] if the backend fails; never for an empty store.
    fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError>;
}

/// Shows a secret's length, never its bytes.
struct Redacted(usize);

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} secret bytes>", self.0)
    }
}

/// Shows an identifier as hex.
struct Hex<'a>(&'a [u8]);

impl fmt::Debug for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let w = GroupWrite::new(vec![0xab])
            .with_state(3, b"TOPSECRETSTATE".to_vec())
            .insert_epoch(2, b"TOPSECRETEPOCH".to_vec())
            .consume_key_package(vec![0xcd]);
        let s = format!("{w:?}");
        assert!(!s.contains("TOPSECRET"), "{s}");
        assert!(!s.contains("84, 79, 80"), "{s}");
        assert!(s.contains("ab") && s.contains("cd") && s.contains("<14 secret bytes>"));
    }

    #[test]
    fn builder_collects_parts_in_order() {
        let w = GroupWrite::new(b"g".to_vec())
            .insert_epoch(1, vec![1])
            .insert_epoch(2, vec![2])
            .delete_epoch(0)
            .consume_key_package(b"a".to_vec())
            .consume_key_package(b"b".to_vec());
        assert!(w.state.is_none());
        assert_eq!(
            w.epoch_inserts.iter().map(|r| r.epoch).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(w.epoch_deletes, [0]);
        assert_eq!(w.consumed_key_packages, [b"a".to_vec(), b"b".to_vec()]);
    }
}
