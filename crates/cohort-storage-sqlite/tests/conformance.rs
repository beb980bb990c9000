//! The storage conformance kit against the SQLite store.

mod common;

use cohort_storage_sqlite::SqliteStore;

#[test]
fn sqlite_store_passes_the_storage_conformance_kit() {
    let dir = common::TempDir::new("conformance");
    let store = SqliteStore::open(dir.path().join("store.db")).unwrap();
    let report = cohort_conformance::storage::run(&store);
    println!("{report}");
    assert!(report.is_success(), "{report}");
    // The kit cleans up after itself.
    assert_eq!(store.group_ids().unwrap(), Vec::<Vec<u8>>::new());
    assert_eq!(store.key_package_refs().unwrap(), Vec::<Vec<u8>>::new());
}
