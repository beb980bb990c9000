//! Storage-format stability: a database written by schema version 1 and committed to the
//! repository must keep opening, with every value intact, in every later version.
//!
//! Changing the format means adding a migration (`src/schema.rs`) and a new sample beside the
//! old ones, written by `write_sample` below; an old sample is never edited or deleted.

mod common;

use std::path::{Path, PathBuf};

use cohort_storage::{GroupStore, GroupWrite, KeyPackageStore, PskStore, Zeroizing};
use cohort_storage_sqlite::{SCHEMA_VERSION, SqliteStore};

/// What every sample holds, whatever its version.
struct Expected {
    groups: &'static [(&'static [u8], u64, &'static [u8])],
    epochs: &'static [(&'static [u8], u64, &'static [u8])],
    key_packages: &'static [(&'static [u8], &'static [u8])],
    psks: &'static [(&'static [u8], &'static [u8])],
}

const SAMPLE: Expected = Expected {
    groups: &[
        (b"group-a", 7, b"state of group-a at epoch 7"),
        (b"group-a\0", 0, b""),
        (b"\x00\xff", u64::MAX, b"state at the last epoch"),
    ],
    epochs: &[
        (b"group-a", 5, b"record 5"),
        (b"group-a", 6, b"record 6"),
        (b"\x00\xff", u64::MAX - 1, b"record before the last"),
    ],
    key_packages: &[(b"kp-1", b"private 1"), (b"last-resort", b"private 2")],
    psks: &[(b"psk-id", b"a pre-shared key")],
};

fn sample_path(version: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(format!("schema-v{version}.db"))
}

/// Opens a copy of a sample (opening writes to a WAL file: never beside the committed one).
fn open_copy(version: u32, dir: &common::TempDir) -> SqliteStore {
    let copy = dir.path().join("sample.db");
    std::fs::copy(sample_path(version), &copy)
        .unwrap_or_else(|e| panic!("sample {}: {e}", sample_path(version).display()));
    SqliteStore::open(&copy).unwrap()
}

fn check(store: &SqliteStore, expected: &Expected) {
    let mut ids: Vec<Vec<u8>> = expected.groups.iter().map(|g| g.0.to_vec()).collect();
    ids.sort();
    assert_eq!(store.group_ids().unwrap(), ids);
    for &(id, epoch, state) in expected.groups {
        let stored = store.read_state(id).unwrap().unwrap();
        assert_eq!((stored.epoch, stored.state.as_slice()), (epoch, state));
    }
    for &(id, epoch, data) in expected.epochs {
        let record = store.read_epoch(id, epoch).unwrap().unwrap();
        assert_eq!(record.as_slice(), data);
    }
    assert_eq!(store.epochs(b"group-a").unwrap(), [5, 6]);
    for &(r, private) in expected.key_packages {
        assert_eq!(store.key_package(r).unwrap().unwrap().as_slice(), private);
    }
    for &(id, psk) in expected.psks {
        assert_eq!(store.psk(id).unwrap().unwrap().as_slice(), psk);
    }
}

#[test]
fn the_version_1_sample_still_opens_with_every_value_intact() {
    let dir = common::TempDir::new("stability-v1");
    let store = open_copy(1, &dir);
    check(&store, &SAMPLE);
    // And it is usable: the next write of a group goes through.
    store
        .write(
            GroupWrite::new(b"group-a".to_vec())
                .with_state(8, b"state 8".to_vec())
                .insert_epoch(7, b"record 7".to_vec())
                .delete_epoch(5)
                .consume_key_package(b"kp-1".to_vec()),
        )
        .unwrap();
    assert_eq!(store.epochs(b"group-a").unwrap(), [6, 7]);
    assert!(store.key_package(b"kp-1").unwrap().is_none());
}

#[test]
fn a_sample_exists_for_the_current_schema_version() {
    assert!(
        sample_path(SCHEMA_VERSION).is_file(),
        "the schema is at version {SCHEMA_VERSION} but tests/data has no sample for it: run \
         `COHORT_WRITE_STORAGE_SAMPLE=1 cargo test -p cohort-storage-sqlite --test stability \
         -- --ignored write_sample` and commit the file"
    );
}

/// Writes the sample of the current schema version. Run it only when adding a version.
#[test]
#[ignore = "writes tests/data; run by hand when the schema version changes"]
fn write_sample() {
    if std::env::var_os("COHORT_WRITE_STORAGE_SAMPLE").is_none() {
        return;
    }
    let path = sample_path(SCHEMA_VERSION);
    assert!(
        !path.exists(),
        "{} exists: samples are never rewritten",
        path.display()
    );
    let store = SqliteStore::open(&path).unwrap();
    for &(id, epoch, state) in SAMPLE.groups {
        let mut write = GroupWrite::new(id).with_state(epoch, state.to_vec());
        for &(_, e, data) in SAMPLE.epochs.iter().filter(|r| r.0 == id) {
            write = write.insert_epoch(e, data.to_vec());
        }
        store.write(write).unwrap();
    }
    for &(r, private) in SAMPLE.key_packages {
        store
            .insert_key_package(r, Zeroizing::new(private.to_vec()))
            .unwrap();
    }
    for &(id, psk) in SAMPLE.psks {
        store.insert_psk(id, Zeroizing::new(psk.to_vec())).unwrap();
    }
    // Closing the last connection checkpoints the log into the file and removes it.
    drop(store);
    check(&SqliteStore::open(&path).unwrap(), &SAMPLE);
}
