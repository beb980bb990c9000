//! The storage conformance kit against the in-memory store.

use cohort_storage_memory::MemoryStore;

// ANCHOR: certify
#[test]
fn memory_store_passes_the_storage_conformance_kit() {
    let store = MemoryStore::new();
    let report = cohort_conformance::storage::run(&store);
    println!("{report}");
    assert!(report.is_success(), "{report}");
    // ANCHOR_END: certify
    // The kit cleans up after itself.
    assert_eq!(store.group_ids().unwrap(), Vec::<Vec<u8>>::new());
    assert_eq!(store.key_package_refs().unwrap(), Vec::<Vec<u8>>::new());
}
