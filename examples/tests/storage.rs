//! A storage backend written the way docs/storage.md describes, from a crate outside cohort:
//! the three traits on one type, certified by the conformance kit and used by a client; and the
//! fault injector failing a client's write.
//!
//! The book includes this file (docs/storage.md), so what it shows is what compiles and passes.

use std::collections::BTreeMap;
use std::error::Error as _;
use std::sync::{Arc, Mutex, MutexGuard};

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::storage::memory::MemoryStore;
use cohort::storage::{
    GroupStore, GroupWrite, KeyPackageStore, PskStore, StorageError, StorageErrorKind,
    StorageProvider, StoredGroup, Zeroizing,
};
use cohort::{Client, Error};
use cohort_conformance::storage::{FailingStore, InjectedFault};

const NOW: u64 = 1_800_000_000;

/// Everything in ordered maps behind one lock: the lock makes each write atomic and each read
/// see whole writes, and ordered keys make the listings come out in ascending byte order.
#[derive(Debug, Default)]
pub struct MapStore {
    maps: Mutex<Maps>,
}

#[derive(Debug, Default)]
struct Maps {
    groups: BTreeMap<Vec<u8>, Group>,
    key_packages: BTreeMap<Vec<u8>, Zeroizing<Vec<u8>>>,
    psks: BTreeMap<Vec<u8>, Zeroizing<Vec<u8>>>,
}

/// A group: its state and its epoch records.
#[derive(Debug)]
struct Group {
    state: StoredGroup,
    records: BTreeMap<u64, Zeroizing<Vec<u8>>>,
}

impl MapStore {
    /// A lock poisoned by a panic elsewhere is a typed error, not a panic here.
    fn lock(&self) -> Result<MutexGuard<'_, Maps>, StorageError> {
        self.maps
            .lock()
            .map_err(|e| StorageError::with_source(StorageErrorKind::Poisoned, e.to_string()))
    }
}

// ANCHOR: traits
impl GroupStore for MapStore {
    fn read_state(&self, group_id: &[u8]) -> Result<Option<StoredGroup>, StorageError> {
        Ok(self.lock()?.groups.get(group_id).map(|g| g.state.clone()))
    }

    fn write(&self, write: GroupWrite) -> Result<(), StorageError> {
        let mut maps = self.lock()?;
        // The one check that can fail comes first: a write without a state (a message's
        // ratchet step) needs its group.
        if write.state.is_none() && !maps.groups.contains_key(&write.group_id) {
            return Err(StorageErrorKind::GroupNotFound.into());
        }
        // Then every change, under the lock: no reader sees a part of it.
        let group = maps.groups.entry(write.group_id).or_insert_with(|| Group {
            state: StoredGroup::new(0, Vec::new()),
            records: BTreeMap::new(),
        });
        if let Some(state) = write.state {
            group.state = state;
        }
        // Inserts before deletes; of two inserts for one epoch, the later wins.
        for record in write.epoch_inserts {
            group.records.insert(record.epoch, record.data);
        }
        for epoch in &write.epoch_deletes {
            group.records.remove(epoch);
        }
        for key_package_ref in &write.consumed_key_packages {
            maps.key_packages.remove(key_package_ref);
        }
        Ok(())
    }

    fn read_epoch(
        &self,
        group_id: &[u8],
        epoch: u64,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
        let maps = self.lock()?;
        Ok(maps
            .groups
            .get(group_id)
            .and_then(|g| g.records.get(&epoch).cloned()))
    }

    fn delete_group(&self, group_id: &[u8]) -> Result<(), StorageError> {
        self.lock()?.groups.remove(group_id);
        Ok(())
    }

    fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError> {
        Ok(self.lock()?.groups.keys().cloned().collect())
    }
}

impl KeyPackageStore for MapStore {
    fn insert_key_package(
        &self,
        key_package_ref: &[u8],
        private: Zeroizing<Vec<u8>>,
    ) -> Result<(), StorageError> {
        let mut maps = self.lock()?;
        maps.key_packages.insert(key_package_ref.to_vec(), private);
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
        Ok(self.lock()?.key_packages.keys().cloned().collect())
    }
}

impl PskStore for MapStore {
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
// `StorageProvider` needs no impl: every type with the three traits is one.
// ANCHOR_END: traits

// ANCHOR: certify
#[test]
fn map_store_passes_the_storage_conformance_kit() {
    let store = MapStore::default();
    let report = cohort_conformance::storage::run(&store);
    println!("{report}");
    assert!(report.is_success(), "{report}");
}
// ANCHOR_END: certify

/// A client on `store`.
fn client_on(store: Arc<dyn StorageProvider>, name: &str) -> Result<Client, Error> {
    let provider: Arc<dyn CryptoProvider> = Arc::new(cohort::crypto::aws_lc::provider());
    let ops = provider.require_suite(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519)?;
    Client::builder(provider)
        .signer(Arc::new(SoftwareSigner::generate(ops)?))
        .credential(Credential::basic(name.as_bytes().to_vec()))
        .build(store)
}

/// The backend under a client: a group is created, joined, written to, and reloaded.
#[test]
fn a_client_runs_on_the_map_store() -> Result<(), Error> {
    let (alice_store, bob_store) = (Arc::new(MapStore::default()), Arc::new(MapStore::default()));
    let alice = client_on(alice_store, "alice")?;
    let bob = client_on(bob_store.clone(), "bob")?;
    let mut group = alice.create_group(b"on a map", NOW)?;
    let kp = bob.generate_key_package(NOW)?;
    assert_eq!(bob_store.key_package_refs()?.len(), 1);
    let added = group.add_members(&[kp], NOW)?;
    group.merge_pending_commit()?;
    let welcome = added.welcome.ok_or(Error::Internal("a Welcome"))?;
    let mut bob_group = bob.join(&welcome, None, NOW)?;
    // The join consumed the KeyPackage in the write that stored the group.
    assert!(bob_store.key_package_refs()?.is_empty());
    let message = group.send_message(b"stored on a map")?;
    bob_group.process_message(message, NOW)?;
    drop(bob_group);
    let reloaded = bob.load_group(b"on a map")?;
    assert_eq!(reloaded.map(|g| g.epoch()), Some(group.epoch()));
    assert!(bob.load_group(b"another group")?.is_none());
    Ok(())
}

/// A client's write fails: the operation returns the storage error and changes nothing, in
/// memory or in the store; the retry succeeds.
#[test]
fn a_failed_write_changes_nothing() -> Result<(), Error> {
    // ANCHOR: fault
    let store = Arc::new(FailingStore::new(MemoryStore::new())); // or `.fail_write(n)`: the nth
    let alice = client_on(store.clone(), "alice")?;
    let mut group = alice.create_group(b"g", NOW)?;

    store.fail_next_write();
    let Err(Error::Storage(err)) = group.self_update(NOW) else {
        panic!("the write was to fail");
    };
    assert_eq!(err.kind(), StorageErrorKind::Backend);
    assert!(err.source().is_some_and(|s| s.is::<InjectedFault>()));
    // Nothing changed: no pending commit in memory, the old epoch in the store.
    assert!(!group.has_pending_commit());
    let stored = alice.load_group(b"g")?.map(|g| g.epoch());
    assert_eq!(stored, Some(0));

    // Each fault fires once: the retry goes through.
    group.self_update(NOW)?;
    group.merge_pending_commit()?;
    assert_eq!(alice.load_group(b"g")?.map(|g| g.epoch()), Some(1));

    // Listings fail the same way, once each.
    store.fail_next_group_ids();
    assert!(matches!(alice.group_ids(), Err(Error::Storage(_))));
    store.fail_next_key_package_refs();
    assert!(matches!(alice.key_package_refs(), Err(Error::Storage(_))));
    assert_eq!(alice.group_ids()?, [b"g".to_vec()]);
    // ANCHOR_END: fault
    Ok(())
}
