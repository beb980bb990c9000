#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

use std::fmt;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use cohort_storage::{
    GroupStore, GroupWrite, KeyPackageStore, PskStore, StorageError, StorageErrorKind, StoredGroup,
    Zeroizing, discard,
};
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};

mod schema;

pub use schema::{SCHEMA_VERSION, UnsupportedSchemaVersion};

/// How long a call waits for another connection (in this process or another) that holds the
/// database's write lock, before it fails with [`StorageErrorKind::Backend`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`StorageProvider`](cohort_storage::StorageProvider) on one SQLite database.
///
/// Four tables hold the data: group states (with their epoch beside the blob), epoch records
/// keyed by `(group id, epoch)`, key packages keyed by ref and PSKs keyed by id; a fifth holds
/// the schema version. Every [`GroupWrite`] is **one SQLite transaction**: the state, the epoch
/// inserts and deletes and the consumed key packages commit together or not at all, and a crash
/// at any moment leaves the database before or after the write, never in between. With the
/// write-ahead log and `synchronous = FULL`, a write that returned `Ok` survives a crash of the
/// process or of the machine.
///
/// The connection sits behind a [`Mutex`], so one store is `Send + Sync` and may be shared as
/// `Arc<dyn StorageProvider>`; calls are serialized. Other processes may open the same file;
/// SQLite's own locking keeps them apart, and a call waits up to five seconds for a lock before
/// failing with a [`StorageErrorKind::Backend`] error.
///
/// # Errors
///
/// Every failure of SQLite is a [`StorageError`] whose `source()` downcasts to
/// [`rusqlite::Error`]: [`StorageErrorKind::Corrupt`] for a damaged file or one that is not a
/// database, [`StorageErrorKind::Backend`] for anything else (I/O, a full disk, a read-only
/// file, a lock held too long). A lock poisoned by a panic is [`StorageErrorKind::Poisoned`].
///
/// # Security
///
/// Values are secrets. They are handed back as [`Zeroizing`] buffers, and the database runs with
/// `secure_delete` on, so SQLite overwrites deleted records in the main file. Copies can still
/// remain in the write-ahead log until its next checkpoint, in SQLite's page cache and in freed
/// memory of the process: protect the file (and its `-wal` and `-shm` companions) as you would
/// the keys themselves. The store's `Debug` output shows nothing stored.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (or creates) the database at `path`, switches it to WAL mode and brings its schema
    /// up to [`SCHEMA_VERSION`], in one transaction.
    ///
    /// # Errors
    ///
    /// [`StorageErrorKind::UnsupportedVersion`] when the database was written by a newer
    /// version of this crate (the source downcasts to [`UnsupportedSchemaVersion`]);
    /// [`StorageErrorKind::Corrupt`] when the file is not a database;
    /// [`StorageErrorKind::Backend`] when SQLite cannot open or migrate it.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        let conn = Connection::open(path).map_err(db_error)?;
        Self::from_connection(conn, true)
    }

    /// A private database in memory, gone when the store is dropped. Mostly for tests.
    ///
    /// # Errors
    ///
    /// [`StorageErrorKind::Backend`] when SQLite cannot create it.
    pub fn open_in_memory() -> Result<Self, StorageError> {
        let conn = Connection::open_in_memory().map_err(db_error)?;
        Self::from_connection(conn, false)
    }

    fn from_connection(mut conn: Connection, on_disk: bool) -> Result<Self, StorageError> {
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db_error)?;
        if on_disk {
            // The write-ahead log: readers never block the writer, and a commit is one append.
            let mode: String = conn
                .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
                .map_err(db_error)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StorageError::backend(format!(
                    "SQLite refused WAL mode (journal mode is {mode})"
                )));
            }
        }
        // FULL syncs the log on every commit: in WAL mode, NORMAL may lose the last commits on a
        // power failure, which would break "durable on success".
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db_error)?;
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(db_error)?;
        schema::migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// The ids of the stored groups, in ascending byte order: [`GroupStore::group_ids`],
    /// callable without the trait in scope.
    ///
    /// # Errors
    ///
    /// A [`StorageError`] when SQLite fails.
    pub fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError> {
        GroupStore::group_ids(self)
    }

    /// The epochs of `group_id` that have a stored record, in increasing order (empty for an
    /// unknown group).
    ///
    /// # Errors
    ///
    /// A [`StorageError`] when SQLite fails.
    pub fn epochs(&self, group_id: &[u8]) -> Result<Vec<u64>, StorageError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare_cached("SELECT epoch FROM epochs WHERE group_id = ?1")
            .map_err(db_error)?;
        let rows = stmt
            .query_map(params![group_id], |row| row.get::<_, i64>(0))
            .map_err(db_error)?;
        let mut epochs = rows
            .map(|r| r.map(from_sql_epoch))
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_error)?;
        epochs.sort_unstable();
        Ok(epochs)
    }

    /// The refs of the stored key packages, in ascending byte order:
    /// [`KeyPackageStore::key_package_refs`], callable without the trait in scope.
    ///
    /// # Errors
    ///
    /// A [`StorageError`] when SQLite fails.
    pub fn key_package_refs(&self) -> Result<Vec<Vec<u8>>, StorageError> {
        KeyPackageStore::key_package_refs(self)
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, StorageError> {
        self.conn.lock().map_err(|poison| {
            StorageError::with_source(StorageErrorKind::Poisoned, poison.to_string())
        })
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("SqliteStore");
        match self.conn.try_lock() {
            Ok(conn) => d.field("path", &conn.path()).finish(),
            Err(_) => d.finish_non_exhaustive(),
        }
    }
}

impl GroupStore for SqliteStore {
    fn read_state(&self, group_id: &[u8]) -> Result<Option<StoredGroup>, StorageError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare_cached("SELECT epoch, state FROM groups WHERE group_id = ?1")
            .map_err(db_error)?;
        stmt.query_row(params![group_id], |row| {
            let epoch = from_sql_epoch(row.get(0)?);
            let state = Zeroizing::new(row.get::<_, Vec<u8>>(1)?);
            Ok(StoredGroup::new(epoch, state))
        })
        .optional()
        .map_err(db_error)
    }

    fn write(&self, write: GroupWrite) -> Result<(), StorageError> {
        let mut conn = self.lock()?;
        // IMMEDIATE takes the write lock up front, so a second process writing the same file
        // waits for it instead of failing halfway through.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        match &write.state {
            Some(state) => {
                tx.prepare_cached(
                    "INSERT INTO groups (group_id, epoch, state) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (group_id) DO UPDATE SET epoch = excluded.epoch, \
                     state = excluded.state",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        write.group_id,
                        to_sql_epoch(state.epoch),
                        state.state.as_slice()
                    ])
                })
                .map_err(db_error)?;
            }
            None => {
                let exists = tx
                    .prepare_cached("SELECT 1 FROM groups WHERE group_id = ?1")
                    .and_then(|mut s| s.exists(params![write.group_id]))
                    .map_err(db_error)?;
                if !exists {
                    // Dropping the transaction rolls it back; nothing was changed anyway.
                    return Err(StorageErrorKind::GroupNotFound.into());
                }
            }
        }
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO epochs (group_id, epoch, data) VALUES (?1, ?2, ?3)",
                )
                .map_err(db_error)?;
            for record in &write.epoch_inserts {
                insert
                    .execute(params![
                        write.group_id,
                        to_sql_epoch(record.epoch),
                        record.data.as_slice()
                    ])
                    .map_err(db_error)?;
            }
            let mut delete = tx
                .prepare_cached("DELETE FROM epochs WHERE group_id = ?1 AND epoch = ?2")
                .map_err(db_error)?;
            for &epoch in &write.epoch_deletes {
                delete
                    .execute(params![write.group_id, to_sql_epoch(epoch)])
                    .map_err(db_error)?;
            }
            let mut consume = tx
                .prepare_cached("DELETE FROM key_packages WHERE kp_ref = ?1")
                .map_err(db_error)?;
            for kp_ref in &write.consumed_key_packages {
                consume.execute(params![kp_ref]).map_err(db_error)?;
            }
        }
        tx.commit().map_err(db_error)?;
        // The write's buffers are secret: wiped in bulk rather than byte by byte.
        if let Some(state) = write.state {
            discard(state.state);
        }
        for record in write.epoch_inserts {
            discard(record.data);
        }
        Ok(())
    }

    fn read_epoch(
        &self,
        group_id: &[u8],
        epoch: u64,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare_cached("SELECT data FROM epochs WHERE group_id = ?1 AND epoch = ?2")
            .map_err(db_error)?;
        stmt.query_row(params![group_id, to_sql_epoch(epoch)], |row| {
            row.get::<_, Vec<u8>>(0).map(Zeroizing::new)
        })
        .optional()
        .map_err(db_error)
    }

    fn delete_group(&self, group_id: &[u8]) -> Result<(), StorageError> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        tx.execute("DELETE FROM epochs WHERE group_id = ?1", params![group_id])
            .map_err(db_error)?;
        tx.execute("DELETE FROM groups WHERE group_id = ?1", params![group_id])
            .map_err(db_error)?;
        tx.commit().map_err(db_error)
    }

    fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError> {
        let conn = self.lock()?;
        // Ids are bound as blobs, and SQLite orders blobs with memcmp: ascending byte order.
        let mut stmt = conn
            .prepare_cached("SELECT group_id FROM groups ORDER BY group_id")
            .map_err(db_error)?;
        let rows = stmt
            .query_map([], |row| row.get::<_, Vec<u8>>(0))
            .map_err(db_error)?;
        rows.collect::<Result<_, _>>().map_err(db_error)
    }
}

impl KeyPackageStore for SqliteStore {
    fn insert_key_package(
        &self,
        key_package_ref: &[u8],
        private: Zeroizing<Vec<u8>>,
    ) -> Result<(), StorageError> {
        let conn = self.lock()?;
        conn.prepare_cached(
            "INSERT OR REPLACE INTO key_packages (kp_ref, private) VALUES (?1, ?2)",
        )
        .and_then(|mut s| s.execute(params![key_package_ref, private.as_slice()]))
        .map_err(db_error)?;
        Ok(())
    }

    fn key_package(
        &self,
        key_package_ref: &[u8],
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare_cached("SELECT private FROM key_packages WHERE kp_ref = ?1")
            .map_err(db_error)?;
        stmt.query_row(params![key_package_ref], |row| {
            row.get::<_, Vec<u8>>(0).map(Zeroizing::new)
        })
        .optional()
        .map_err(db_error)
    }

    fn delete_key_package(&self, key_package_ref: &[u8]) -> Result<(), StorageError> {
        let conn = self.lock()?;
        conn.prepare_cached("DELETE FROM key_packages WHERE kp_ref = ?1")
            .and_then(|mut s| s.execute(params![key_package_ref]))
            .map_err(db_error)?;
        Ok(())
    }

    fn key_package_refs(&self) -> Result<Vec<Vec<u8>>, StorageError> {
        let conn = self.lock()?;
        // Refs are bound as blobs, and SQLite orders blobs with memcmp: ascending byte order.
        let mut stmt = conn
            .prepare_cached("SELECT kp_ref FROM key_packages ORDER BY kp_ref")
            .map_err(db_error)?;
        let rows = stmt
            .query_map([], |row| row.get::<_, Vec<u8>>(0))
            .map_err(db_error)?;
        rows.collect::<Result<_, _>>().map_err(db_error)
    }
}

impl PskStore for SqliteStore {
    fn insert_psk(&self, psk_id: &[u8], psk: Zeroizing<Vec<u8>>) -> Result<(), StorageError> {
        let conn = self.lock()?;
        conn.prepare_cached("INSERT OR REPLACE INTO psks (psk_id, psk) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![psk_id, psk.as_slice()]))
            .map_err(db_error)?;
        Ok(())
    }

    fn psk(&self, psk_id: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare_cached("SELECT psk FROM psks WHERE psk_id = ?1")
            .map_err(db_error)?;
        stmt.query_row(params![psk_id], |row| {
            row.get::<_, Vec<u8>>(0).map(Zeroizing::new)
        })
        .optional()
        .map_err(db_error)
    }

    fn delete_psk(&self, psk_id: &[u8]) -> Result<(), StorageError> {
        let conn = self.lock()?;
        conn.prepare_cached("DELETE FROM psks WHERE psk_id = ?1")
            .and_then(|mut s| s.execute(params![psk_id]))
            .map_err(db_error)?;
        Ok(())
    }
}

/// Maps a SQLite error to a storage error of the right kind, keeping it as the source.
///
/// Values are bound as parameters, never formatted into SQL, so the error carries no secret.
fn db_error(e: rusqlite::Error) -> StorageError {
    let kind = match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StorageErrorKind::Corrupt,
        _ => StorageErrorKind::Backend,
    };
    StorageError::with_source(kind, e)
}

/// SQLite integers are signed 64-bit: epochs are stored with the same bits, so `u64::MAX` reads
/// back as itself.
fn to_sql_epoch(epoch: u64) -> i64 {
    i64::from_be_bytes(epoch.to_be_bytes())
}

/// The inverse of [`to_sql_epoch`].
fn from_sql_epoch(stored: i64) -> u64 {
    u64::from_be_bytes(stored.to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_round_trip_through_sql_integers() {
        for e in [0, 1, i64::MAX as u64, 1 << 63, u64::MAX] {
            assert_eq!(from_sql_epoch(to_sql_epoch(e)), e);
        }
    }

    #[test]
    fn debug_shows_no_values() {
        let store = SqliteStore::open_in_memory().unwrap();
        store
            .insert_psk(b"id", Zeroizing::new(b"SECRETPSK".to_vec()))
            .unwrap();
        let s = format!("{store:?}");
        assert!(s.starts_with("SqliteStore") && !s.contains("SECRET"), "{s}");
    }

    #[test]
    fn the_store_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<SqliteStore>();
    }
}
