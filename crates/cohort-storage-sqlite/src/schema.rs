//! The schema, its version and the migrations applied on open.
//!
//! ```text
//!   cohort_schema (id = 0, version)            one row: the version of everything below
//!   groups        (group_id PK, epoch, state)  a group's current state
//!   epochs        (group_id, epoch) PK, data   retained epoch records
//!   key_packages  (kp_ref PK, private)         our KeyPackages' private material
//!   psks          (psk_id PK, psk)             external PSKs
//! ```
//!
//! `MIGRATIONS[i]` takes a database from version `i` to `i + 1`. Opening a database runs the
//! missing ones and records the new version, all in one transaction, so a crash mid-migration
//! leaves the old version whole. A released migration is never edited: a format change adds one.

use cohort_storage::{StorageError, StorageErrorKind};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::db_error;

/// The schema version this crate writes. A database at a higher version is refused with
/// [`StorageErrorKind::UnsupportedVersion`]; one at a lower version is migrated on open.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The migrations, in order: entry `i` takes version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &["\
    CREATE TABLE groups (
        group_id BLOB NOT NULL PRIMARY KEY,
        epoch INTEGER NOT NULL,
        state BLOB NOT NULL
    );
    CREATE TABLE epochs (
        group_id BLOB NOT NULL,
        epoch INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (group_id, epoch)
    );
    CREATE TABLE key_packages (
        kp_ref BLOB NOT NULL PRIMARY KEY,
        private BLOB NOT NULL
    );
    CREATE TABLE psks (
        psk_id BLOB NOT NULL PRIMARY KEY,
        psk BLOB NOT NULL
    );
"];

/// The source of a [`StorageErrorKind::UnsupportedVersion`] error: the database's schema is
/// newer than this crate's.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the database has schema version {found}, newer than version {supported} that this \
     version of cohort-storage-sqlite reads; upgrade the software, not the data"
)]
pub struct UnsupportedSchemaVersion {
    /// The version recorded in the database.
    pub found: i64,
    /// The newest version this crate reads ([`SCHEMA_VERSION`]).
    pub supported: u32,
}

/// Brings the database up to [`SCHEMA_VERSION`] in one transaction.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StorageError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_error)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS cohort_schema (
            id INTEGER NOT NULL PRIMARY KEY CHECK (id = 0),
            version INTEGER NOT NULL
        );",
    )
    .map_err(db_error)?;
    let found: i64 = tx
        .query_row(
            "SELECT version FROM cohort_schema WHERE id = 0",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(db_error)?
        .unwrap_or(0);
    let current = match usize::try_from(found) {
        Ok(v) if v <= MIGRATIONS.len() => v,
        Ok(_) => {
            return Err(StorageError::with_source(
                StorageErrorKind::UnsupportedVersion,
                UnsupportedSchemaVersion {
                    found,
                    supported: SCHEMA_VERSION,
                },
            ));
        }
        Err(_) => {
            return Err(StorageError::with_source(
                StorageErrorKind::Corrupt,
                format!("negative schema version {found}"),
            ));
        }
    };
    if current == MIGRATIONS.len() {
        // Up to date: nothing to write, and the transaction ends without a commit record.
        return tx.commit().map_err(db_error);
    }
    for migration in &MIGRATIONS[current..] {
        tx.execute_batch(migration).map_err(db_error)?;
    }
    tx.execute(
        "INSERT INTO cohort_schema (id, version) VALUES (0, ?1) \
         ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        params![SCHEMA_VERSION],
    )
    .map_err(db_error)?;
    tx.commit().map_err(db_error)
}
