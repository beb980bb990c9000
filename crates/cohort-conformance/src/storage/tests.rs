//! The kit catches what it claims to: each seeded bug fails its named check, and only the
//! correct store passes everything.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use cohort_storage::{
    GroupStore, GroupWrite, KeyPackageStore, PskStore, StorageError, StorageErrorKind, StoredGroup,
    Zeroizing,
};

use super::{Outcome, run};

#[derive(Debug, Default, Clone, Copy)]
struct Bugs {
    /// Applies state, epoch records and key-package deletions under separate locks.
    split_write: bool,
    /// Never deletes consumed key packages.
    ignore_consumed: bool,
    /// A missing group is an error, not `None`.
    missing_is_error: bool,
    /// `delete_group` leaves the epoch records behind.
    keep_epochs_on_delete: bool,
    /// A stateless write to an unknown group stores its records before failing.
    partial_on_reject: bool,
    /// Values over 1 MiB are truncated.
    truncate_large: bool,
    /// Deletes are applied before inserts.
    deletes_first: bool,
    /// Group ids are truncated to their first 8 bytes.
    short_ids: bool,
    /// The listings come in descending order.
    unsorted_listing: bool,
    /// The listings come from an index that is added to but never removed from.
    stale_listing: bool,
}

type Bytes = Zeroizing<Vec<u8>>;

#[derive(Debug, Default)]
struct Maps {
    states: HashMap<Vec<u8>, StoredGroup>,
    epochs: HashMap<(Vec<u8>, u64), Bytes>,
    kps: HashMap<Vec<u8>, Bytes>,
    psks: HashMap<Vec<u8>, Bytes>,
    /// Every group id ever given a state, for `stale_listing`.
    ever_groups: BTreeSet<Vec<u8>>,
    /// Every key-package ref ever inserted, for `stale_listing`.
    ever_kps: BTreeSet<Vec<u8>>,
}

#[derive(Debug, Default)]
struct Buggy {
    bugs: Bugs,
    maps: Mutex<Maps>,
}

impl Buggy {
    fn new(bugs: Bugs) -> Self {
        Self {
            bugs,
            maps: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Maps> {
        self.maps.lock().unwrap()
    }

    fn id(&self, id: &[u8]) -> Vec<u8> {
        if self.bugs.short_ids {
            id.iter().take(8).copied().collect()
        } else {
            id.to_vec()
        }
    }

    fn value(&self, v: Bytes) -> Bytes {
        if self.bugs.truncate_large && v.len() > 1 << 20 {
            Zeroizing::new(v[..1 << 20].to_vec())
        } else {
            v
        }
    }

    /// A listing as the bugs make it: `live` keys, or the stale index; sorted, or reversed.
    fn listing<'a>(
        &self,
        live: impl Iterator<Item = &'a Vec<u8>>,
        ever: &BTreeSet<Vec<u8>>,
    ) -> Vec<Vec<u8>> {
        let mut list: Vec<Vec<u8>> = if self.bugs.stale_listing {
            ever.iter().cloned().collect()
        } else {
            live.cloned().collect()
        };
        list.sort();
        if self.bugs.unsorted_listing {
            list.reverse();
        }
        list
    }

    fn pause(&self) {
        if self.bugs.split_write {
            std::thread::sleep(Duration::from_micros(50));
        }
    }
}

impl GroupStore for Buggy {
    fn read_state(&self, group_id: &[u8]) -> Result<Option<StoredGroup>, StorageError> {
        let state = self.lock().states.get(&self.id(group_id)).cloned();
        if state.is_none() && self.bugs.missing_is_error {
            return Err(StorageErrorKind::GroupNotFound.into());
        }
        Ok(state)
    }

    fn write(&self, write: GroupWrite) -> Result<(), StorageError> {
        let id = self.id(&write.group_id);
        let mut maps = self.lock();
        let exists = maps.states.contains_key(&id);
        if write.state.is_none() && !exists && !self.bugs.partial_on_reject {
            return Err(StorageErrorKind::GroupNotFound.into());
        }
        if let Some(mut state) = write.state {
            state.state = self.value(state.state);
            maps.states.insert(id.clone(), state);
            maps.ever_groups.insert(id.clone());
        }
        if self.bugs.split_write {
            drop(maps);
            self.pause();
            maps = self.lock();
        }
        if self.bugs.deletes_first {
            for e in &write.epoch_deletes {
                maps.epochs.remove(&(id.clone(), *e));
            }
        }
        for r in write.epoch_inserts {
            let data = self.value(r.data);
            maps.epochs.insert((id.clone(), r.epoch), data);
        }
        if !self.bugs.deletes_first {
            for e in &write.epoch_deletes {
                maps.epochs.remove(&(id.clone(), *e));
            }
        }
        if !exists && !maps.states.contains_key(&id) {
            return Err(StorageErrorKind::GroupNotFound.into());
        }
        if self.bugs.split_write {
            drop(maps);
            self.pause();
            maps = self.lock();
        }
        if !self.bugs.ignore_consumed {
            for kp in &write.consumed_key_packages {
                maps.kps.remove(kp);
            }
        }
        Ok(())
    }

    fn read_epoch(&self, group_id: &[u8], epoch: u64) -> Result<Option<Bytes>, StorageError> {
        Ok(self.lock().epochs.get(&(self.id(group_id), epoch)).cloned())
    }

    fn delete_group(&self, group_id: &[u8]) -> Result<(), StorageError> {
        let id = self.id(group_id);
        let mut maps = self.lock();
        maps.states.remove(&id);
        if !self.bugs.keep_epochs_on_delete {
            maps.epochs.retain(|(g, _), _| *g != id);
        }
        Ok(())
    }

    fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError> {
        let maps = self.lock();
        Ok(self.listing(maps.states.keys(), &maps.ever_groups))
    }
}

impl KeyPackageStore for Buggy {
    fn insert_key_package(&self, r: &[u8], private: Bytes) -> Result<(), StorageError> {
        let mut maps = self.lock();
        maps.kps.insert(r.to_vec(), private);
        maps.ever_kps.insert(r.to_vec());
        Ok(())
    }

    fn key_package(&self, r: &[u8]) -> Result<Option<Bytes>, StorageError> {
        Ok(self.lock().kps.get(r).cloned())
    }

    fn delete_key_package(&self, r: &[u8]) -> Result<(), StorageError> {
        self.lock().kps.remove(r);
        Ok(())
    }

    fn key_package_refs(&self) -> Result<Vec<Vec<u8>>, StorageError> {
        let maps = self.lock();
        Ok(self.listing(maps.kps.keys(), &maps.ever_kps))
    }
}

impl PskStore for Buggy {
    fn insert_psk(&self, id: &[u8], psk: Bytes) -> Result<(), StorageError> {
        self.lock().psks.insert(id.to_vec(), psk);
        Ok(())
    }

    fn psk(&self, id: &[u8]) -> Result<Option<Bytes>, StorageError> {
        Ok(self.lock().psks.get(id).cloned())
    }

    fn delete_psk(&self, id: &[u8]) -> Result<(), StorageError> {
        self.lock().psks.remove(id);
        Ok(())
    }
}

/// The names of the checks `store` fails.
fn failing(bugs: Bugs) -> Vec<&'static str> {
    let report = run(&Buggy::new(bugs));
    report
        .checks
        .iter()
        .filter(|c| c.outcome.is_failure())
        .map(|c| c.name)
        .collect()
}

#[test]
fn a_correct_store_passes_every_check() {
    let report = run(&Buggy::default());
    assert!(report.is_success(), "{report}");
    assert_eq!(report.checks.len(), 14);
    assert!(report.checks.iter().all(|c| c.outcome == Outcome::Passed));
}

#[test]
fn a_non_atomic_write_is_caught_by_concurrent_readers() {
    let bugs = Bugs {
        split_write: true,
        ..Bugs::default()
    };
    let failed = failing(bugs);
    assert!(
        failed.contains(&"group/concurrent-reads-see-whole-writes"),
        "{failed:?}"
    );
}

#[test]
fn each_seeded_bug_fails_its_check() {
    let cases: [(Bugs, &str); 11] = [
        (
            Bugs {
                ignore_consumed: true,
                ..Bugs::default()
            },
            "group/key-packages-consumed",
        ),
        (
            Bugs {
                missing_is_error: true,
                ..Bugs::default()
            },
            "group/missing-is-none",
        ),
        (
            Bugs {
                keep_epochs_on_delete: true,
                ..Bugs::default()
            },
            "group/delete-removes-epochs",
        ),
        (
            Bugs {
                partial_on_reject: true,
                ..Bugs::default()
            },
            "group/rejected-write-changes-nothing",
        ),
        (
            Bugs {
                truncate_large: true,
                ..Bugs::default()
            },
            "group/large-blobs",
        ),
        (
            Bugs {
                deletes_first: true,
                ..Bugs::default()
            },
            "group/epochs-insert-delete",
        ),
        (
            Bugs {
                short_ids: true,
                ..Bugs::default()
            },
            "group/ids-are-exact",
        ),
        (
            Bugs {
                unsorted_listing: true,
                ..Bugs::default()
            },
            "group/ids-listed",
        ),
        (
            Bugs {
                unsorted_listing: true,
                ..Bugs::default()
            },
            "key-package/refs-listed",
        ),
        (
            Bugs {
                stale_listing: true,
                ..Bugs::default()
            },
            "group/ids-listed",
        ),
        (
            Bugs {
                stale_listing: true,
                ..Bugs::default()
            },
            "key-package/refs-listed",
        ),
    ];
    for (bugs, check) in cases {
        let failed = failing(bugs);
        assert!(
            failed.contains(&check),
            "{bugs:?} should fail {check}, failed {failed:?}"
        );
    }
}

#[test]
fn a_panicking_store_is_a_failure_not_a_crash() {
    #[derive(Debug)]
    struct Panics;
    impl GroupStore for Panics {
        fn read_state(&self, _: &[u8]) -> Result<Option<StoredGroup>, StorageError> {
            panic!("boom")
        }
        fn write(&self, _: GroupWrite) -> Result<(), StorageError> {
            panic!("boom")
        }
        fn read_epoch(&self, _: &[u8], _: u64) -> Result<Option<Bytes>, StorageError> {
            panic!("boom")
        }
        fn delete_group(&self, _: &[u8]) -> Result<(), StorageError> {
            panic!("boom")
        }
        fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError> {
            panic!("boom")
        }
    }
    impl KeyPackageStore for Panics {
        fn insert_key_package(&self, _: &[u8], _: Bytes) -> Result<(), StorageError> {
            panic!("boom")
        }
        fn key_package(&self, _: &[u8]) -> Result<Option<Bytes>, StorageError> {
            panic!("boom")
        }
        fn delete_key_package(&self, _: &[u8]) -> Result<(), StorageError> {
            panic!("boom")
        }
        fn key_package_refs(&self) -> Result<Vec<Vec<u8>>, StorageError> {
            panic!("boom")
        }
    }
    impl PskStore for Panics {
        fn insert_psk(&self, _: &[u8], _: Bytes) -> Result<(), StorageError> {
            panic!("boom")
        }
        fn psk(&self, _: &[u8]) -> Result<Option<Bytes>, StorageError> {
            panic!("boom")
        }
        fn delete_psk(&self, _: &[u8]) -> Result<(), StorageError> {
            panic!("boom")
        }
    }
    let report = run(&Panics);
    assert_eq!(report.failures().len(), report.checks.len());
    assert!(
        report
            .checks
            .iter()
            .all(|c| matches!(&c.outcome, Outcome::Failed(m) if m.contains("panicked")))
    );
}
