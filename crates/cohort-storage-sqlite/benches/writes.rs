//! What storing a group costs on SQLite, for groups of 10 and 1,000 members (suite 1,
//! RustCrypto), written to a file in the system temp dir with WAL and `synchronous=FULL`:
//!
//! - `sqlite_write/full_state`: one epoch change's write (state and ratchets record, the previous
//!   record deleted), the write alone;
//! - `sqlite_write/ratchets`: one application message's write (the ratchets record), alone;
//! - `facade/send_message` and `facade/read_message`: a member sending, or reading, one 100-byte
//!   application message through the facade, its write included, on SQLite and in memory.
//!
//! Before the timed runs it prints the stored sizes: the state blob, the ratchets record after a
//! message, and the database file. Set `COHORT_STORAGE_BENCH_SIZES=10` to run only some sizes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "bench setup fails loudly; criterion_group! generates an undocumented pub fn"
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::messages::MlsMessage;
use cohort::storage::StorageProvider;
use cohort::storage::memory::MemoryStore;
use cohort::{Client, Received};
use cohort_storage::{GroupStore, GroupWrite};
use cohort_storage_sqlite::SqliteStore;
use criterion::{BatchSize, BenchmarkId, Criterion};

const SIZES: &[usize] = &[10, 1_000];
const NOW: u64 = 1_800_000_000;
const GROUP: &[u8] = b"storage bench";

fn provider() -> Arc<dyn CryptoProvider> {
    Arc::new(cohort::crypto::rustcrypto::provider())
}

fn client(p: &Arc<dyn CryptoProvider>, store: Arc<dyn StorageProvider>, name: &str) -> Client {
    let suite = p.suite(CipherSuite(1)).unwrap();
    Client::builder(p.clone())
        .signer(Arc::new(SoftwareSigner::generate(suite).unwrap()))
        .credential(cohort::credential::Credential::basic(
            name.as_bytes().to_vec(),
        ))
        .build(store)
        .unwrap()
}

/// A database file in the temp dir, removed (with its WAL) when dropped.
struct DbFile(PathBuf);

impl DbFile {
    fn new(label: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "cohort-storage-bench-{label}-{}.db",
            std::process::id()
        ));
        let file = Self(path);
        file.remove();
        file
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }

    fn size(&self) -> u64 {
        ["", "-wal"]
            .iter()
            .filter_map(|s| std::fs::metadata(format!("{}{s}", self.0.display())).ok())
            .map(|m| m.len())
            .sum()
    }
}

impl Drop for DbFile {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Alice creates a group of `n` (she, Bob and `n - 2` others who never act), Bob joins it
/// from the Welcome. Alice's store is in memory; Bob's is `bob_store`.
fn group_of(
    p: &Arc<dyn CryptoProvider>,
    n: usize,
    bob_store: Arc<dyn StorageProvider>,
) -> (Client, Client) {
    let alice = client(p, Arc::new(MemoryStore::new()), "alice");
    let bob = client(p, bob_store, "bob");
    let mut kps: Vec<MlsMessage> = vec![bob.generate_key_package(NOW).unwrap()];
    for i in 2..n {
        let other = client(p, Arc::new(MemoryStore::new()), &format!("member {i}"));
        kps.push(other.generate_key_package(NOW).unwrap());
    }
    let mut group = alice.create_group(GROUP, NOW).unwrap();
    let out = group.add_members(&kps, NOW).unwrap();
    group.merge_pending_commit().unwrap();
    bob.join(&out.welcome.unwrap(), None, NOW).unwrap();
    (alice, bob)
}

fn sizes() -> Vec<usize> {
    match std::env::var("COHORT_STORAGE_BENCH_SIZES") {
        Ok(list) => list.split(',').map(|s| s.trim().parse().unwrap()).collect(),
        Err(_) => SIZES.to_vec(),
    }
}

fn bench(c: &mut Criterion) {
    let p = provider();
    for n in sizes() {
        let file = DbFile::new(&format!("n{n}"));
        let store = Arc::new(SqliteStore::open(&file.0).unwrap());
        let (alice, bob) = group_of(&p, n, store.clone());
        let mut alice_group = alice.load_group(GROUP).unwrap().unwrap();
        let mut bob_group = bob.load_group(GROUP).unwrap().unwrap();
        let m = alice_group.send_message(&[7; 100]).unwrap();
        assert!(matches!(
            bob_group.process_message(m, NOW).unwrap(),
            Received::Application { .. }
        ));
        let stored = store.read_state(GROUP).unwrap().unwrap();
        let record = store.read_epoch(GROUP, stored.epoch).unwrap().unwrap();
        println!(
            "storage n={n}: state {} bytes, ratchets record {} bytes, database file {} bytes",
            stored.state.len(),
            record.len(),
            file.size()
        );

        let split = bob_group.group().to_split_state().unwrap();
        let epoch = bob_group.epoch();
        let mut g = c.benchmark_group("sqlite_write");
        g.sample_size(20).measurement_time(Duration::from_secs(5));
        g.bench_function(BenchmarkId::new("full_state", n), |b| {
            b.iter(|| {
                let w = GroupWrite::new(GROUP.to_vec())
                    .with_state(epoch, split.state.to_vec())
                    .insert_epoch(epoch, split.ratchets.to_vec())
                    .delete_epoch(epoch.wrapping_sub(1));
                store.write(w).unwrap();
            });
        });
        g.bench_function(BenchmarkId::new("ratchets", n), |b| {
            b.iter(|| {
                let w =
                    GroupWrite::new(GROUP.to_vec()).insert_epoch(epoch, split.ratchets.to_vec());
                store.write(w).unwrap();
            });
        });
        g.finish();

        let mut g = c.benchmark_group("facade");
        g.sample_size(20).measurement_time(Duration::from_secs(5));
        g.bench_function(BenchmarkId::new("send_message/sqlite", n), |b| {
            b.iter(|| bob_group.send_message(&[7; 100]).unwrap());
        });
        g.bench_function(BenchmarkId::new("read_message/sqlite", n), |b| {
            b.iter_batched(
                || alice_group.send_message(&[7; 100]).unwrap(),
                |m| bob_group.process_message(m, NOW).unwrap(),
                BatchSize::SmallInput,
            );
        });
        drop(bob_group);
        drop(alice_group);
        let (alice, bob) = group_of(&p, n, Arc::new(MemoryStore::new()));
        let mut alice_group = alice.load_group(GROUP).unwrap().unwrap();
        let mut bob_group = bob.load_group(GROUP).unwrap().unwrap();
        g.bench_function(BenchmarkId::new("send_message/memory", n), |b| {
            b.iter(|| bob_group.send_message(&[7; 100]).unwrap());
        });
        g.bench_function(BenchmarkId::new("read_message/memory", n), |b| {
            b.iter_batched(
                || alice_group.send_message(&[7; 100]).unwrap(),
                |m| bob_group.process_message(m, NOW).unwrap(),
                BatchSize::SmallInput,
            );
        });
        g.finish();
    }
}

criterion::criterion_group!(benches, bench);
criterion::criterion_main!(benches);
