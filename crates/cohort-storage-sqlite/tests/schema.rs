//! Opening: WAL mode, the schema version, migrations, and files the store must refuse.

mod common;

use std::error::Error as _;

use cohort_storage::{GroupStore, GroupWrite, StorageErrorKind};
use cohort_storage_sqlite::{SCHEMA_VERSION, SqliteStore, UnsupportedSchemaVersion};
use rusqlite::Connection;

fn recorded_version(conn: &Connection) -> i64 {
    conn.query_row("SELECT version FROM cohort_schema WHERE id = 0", [], |r| {
        r.get(0)
    })
    .unwrap()
}

#[test]
fn a_new_file_gets_the_current_schema_in_wal_mode() {
    let dir = common::TempDir::new("schema-new");
    let path = dir.path().join("store.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    assert_eq!(recorded_version(&conn), i64::from(SCHEMA_VERSION));
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn reopening_keeps_the_data_and_the_version() {
    let dir = common::TempDir::new("schema-reopen");
    let path = dir.path().join("store.db");
    let store = SqliteStore::open(&path).unwrap();
    store
        .write(
            GroupWrite::new(b"g".to_vec())
                .with_state(7, b"state".to_vec())
                .insert_epoch(6, b"record".to_vec()),
        )
        .unwrap();
    drop(store);
    for _ in 0..2 {
        let store = SqliteStore::open(&path).unwrap();
        let state = store.read_state(b"g").unwrap().unwrap();
        assert_eq!((state.epoch, state.state.as_slice()), (7, &b"state"[..]));
        assert_eq!(store.epochs(b"g").unwrap(), [6]);
    }
    let conn = Connection::open(&path).unwrap();
    assert_eq!(recorded_version(&conn), i64::from(SCHEMA_VERSION));
}

#[test]
fn an_empty_sqlite_file_is_migrated() {
    // A database that exists but has no schema yet (version 0), as an application might create.
    let dir = common::TempDir::new("schema-empty");
    let path = dir.path().join("store.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE unrelated (x INTEGER)")
        .unwrap();
    let store = SqliteStore::open(&path).unwrap();
    store
        .write(GroupWrite::new(b"g".to_vec()).with_state(1, vec![1]))
        .unwrap();
    assert_eq!(store.group_ids().unwrap(), [b"g".to_vec()]);
}

#[test]
fn a_database_from_a_newer_version_is_refused_with_a_typed_error() {
    let dir = common::TempDir::new("schema-newer");
    let path = dir.path().join("store.db");
    drop(SqliteStore::open(&path).unwrap());
    let newer = i64::from(SCHEMA_VERSION) + 1;
    Connection::open(&path)
        .unwrap()
        .execute("UPDATE cohort_schema SET version = ?1", [newer])
        .unwrap();

    let err = SqliteStore::open(&path).unwrap_err();
    assert_eq!(err.kind(), StorageErrorKind::UnsupportedVersion);
    let source = err
        .source()
        .and_then(|s| s.downcast_ref::<UnsupportedSchemaVersion>())
        .map(|s| (s.found, s.supported));
    assert_eq!(source, Some((newer, SCHEMA_VERSION)));
    assert!(err.source().unwrap().to_string().contains("newer"));
    // Refusing changed nothing: the version is still the newer one.
    assert_eq!(recorded_version(&Connection::open(&path).unwrap()), newer);
}

#[test]
fn a_file_that_is_not_a_database_is_corrupt() {
    let dir = common::TempDir::new("schema-garbage");
    let path = dir.path().join("store.db");
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert_eq!(err.kind(), StorageErrorKind::Corrupt);
    assert!(
        err.source()
            .and_then(|s| s.downcast_ref::<rusqlite::Error>())
            .is_some()
    );
}
