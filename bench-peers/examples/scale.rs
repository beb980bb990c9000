//! cohort at scale: a group of N members (default 50,000) made by one commit, a new member
//! joining it by Welcome, and self-update commits made and processed in it; timed, with the heap
//! bytes a member's group holds, the size of its stored state and the process's resident memory.
//!
//! `cargo run --release -p cohort-bench-peers --example scale -- 50000`
//!
//! The group is built the fastest valid way: N KeyPackages added by one commit from its creator,
//! A. Its tree is then sparse: the parents off A's path are blank, so a commit would encrypt to
//! every leaf under them. To give A's commits the O(log N) path of an established group, the
//! members at leaves 1, 2, 4, ..., 2^k join from that commit's Welcome and each commits a
//! self-update (largest leaf first): afterwards every node on A's copath is a single non-blank
//! node, as in a full tree. B is the member at the largest of those leaves, in the other half of
//! the tree from A, so the two share only the root. The self-update loop then times A creating
//! a self-update commit and B processing it, at N + 1 members.
//!
//! The joins validate every leaf (batch-checked signatures), decode and hash the tree and check
//! its parent hashes, as any join does. Memory is counted by an instrumented allocator: the live
//! heap bytes that dropping a member's `Group` frees.

use std::alloc::System;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cohort_codec::{Decode, Encode};
use cohort_credential::Credential;
use cohort_crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort_group::{
    CommitOptions, Group, GroupConfig, JoinInput, KeyPackageSecrets, LeafSpec, NoPsks, Processed,
    create_key_package,
};
use cohort_messages::key_package::KeyPackage;
use cohort_messages::{MlsMessage, MlsMessageBody};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
const NOW: u64 = 1_800_000_000;

type Error = Box<dyn std::error::Error>;

/// Resident set size of this process, from `/proc/self/statm` (Linux), in MiB.
fn resident_mib() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096.0 / (1024.0 * 1024.0))
}

/// Heap bytes allocated and not yet freed, process-wide.
fn live_bytes() -> i128 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i128 - s.bytes_deallocated as i128 + s.bytes_reallocated as i128
}

/// The heap bytes `group` holds: what dropping it frees.
fn heap_of(group: Group) -> f64 {
    let before = live_bytes();
    drop(group);
    (before - live_bytes()) as f64 / 1048576.0
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / 1048576.0
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Joins from `welcome_bytes` with `kp` and its secrets.
fn join(
    provider: &dyn CryptoProvider,
    welcome_bytes: &[u8],
    kp: &KeyPackage,
    secrets: &KeyPackageSecrets,
) -> Result<Group, Error> {
    let MlsMessageBody::Welcome(welcome) = MlsMessage::from_bytes(welcome_bytes)?.body else {
        return Err("not a Welcome".into());
    };
    let input = JoinInput {
        welcome: &welcome,
        key_package: kp,
        secrets,
        ratchet_tree: None,
        now: Some(NOW),
    };
    Ok(Group::join(
        provider,
        input,
        &NoPsks,
        GroupConfig::default(),
    )?)
}

/// `group` processes the commit `bytes` and merges it.
fn process(group: &mut Group, bytes: &[u8]) -> Result<(), Error> {
    match group.process_message(MlsMessage::from_bytes(bytes)?, &NoPsks, Some(NOW))? {
        Processed::Commit(staged) => {
            group.merge_staged(*staged)?;
            Ok(())
        }
        _ => Err("not a commit".into()),
    }
}

/// A member kept for the self-update set-up: its leaf, signer and group.
struct Kept {
    leaf: usize,
    signer: SoftwareSigner,
    group: Group,
}

fn main() -> Result<(), Error> {
    let n: usize = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 50_000,
    };
    let provider: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_aws_lc::provider());
    let suite = provider.require_suite(CS)?;
    let spec = |name: String| LeafSpec::new(Credential::basic(name.into_bytes()), NOW, 30);
    // KeyPackage i lands on leaf i + 1 (A is leaf 0); keep the secrets of leaves 1, 2, 4, ...
    let kept_leaves: Vec<usize> = (0..usize::BITS)
        .map(|k| 1usize << k)
        .take_while(|&leaf| leaf <= n)
        .collect();

    let t = Instant::now();
    let mut key_packages = Vec::with_capacity(n);
    let mut kept_keys = Vec::new();
    for i in 0..n {
        let signer = SoftwareSigner::generate(suite.clone())?;
        let (kp, secrets) = create_key_package(&*provider, CS, &signer, &spec(format!("m{i}")))?;
        if kept_leaves.contains(&(i + 1)) {
            kept_keys.push((i + 1, signer, kp.clone(), secrets));
        }
        key_packages.push(kp);
    }
    println!(
        "{n} KeyPackages made in {:.2?} (untimed setup)",
        t.elapsed()
    );

    let alice = SoftwareSigner::generate(suite.clone())?;
    let mut group = Group::create(
        &*provider,
        CS,
        &alice,
        &spec("alice".into()),
        b"scale".to_vec(),
        Vec::new(),
        GroupConfig::default(),
    )?;
    let mut options = CommitOptions::new();
    options.group_info = false;
    let t = Instant::now();
    let big = group.add_members(&alice, key_packages, &options, Some(NOW))?;
    group.merge_pending_commit()?;
    println!("one commit adding {n} members: {:.2?}", t.elapsed());
    let big_welcome = big.welcome.ok_or("no Welcome")?.to_bytes()?;

    // The members at leaves 1, 2, 4, ... join from that Welcome.
    let mut kept = Vec::new();
    let mut kept_joins = Vec::new();
    for (leaf, signer, kp, secrets) in kept_keys {
        let t = Instant::now();
        let g = join(&*provider, &big_welcome, &kp, &secrets)?;
        kept_joins.push(t.elapsed());
        if g.own_leaf().0 as usize != leaf || g.epoch_authenticator() != group.epoch_authenticator()
        {
            return Err("a kept member joined at the wrong leaf or disagrees".into());
        }
        kept.push(Kept {
            leaf,
            signer,
            group: g,
        });
    }
    println!(
        "{} members joined from that Welcome ({:.1} MiB), N = {}: median {:.2?}",
        kept.len(),
        mib(big_welcome.len()),
        n + 1,
        median(kept_joins)
    );
    drop(big_welcome);

    // The joiner: one more member, added by a commit with a path; its Welcome carries the tree.
    let joiner = SoftwareSigner::generate(suite.clone())?;
    let (kp, secrets) = create_key_package(&*provider, CS, &joiner, &spec("joiner".into()))?;
    let out = group.add_members(&alice, vec![kp.clone()], &options, Some(NOW))?;
    group.merge_pending_commit()?;
    let commit = out.commit.to_bytes()?;
    for k in &mut kept {
        process(&mut k.group, &commit)?;
    }
    let welcome_bytes = out.welcome.ok_or("no Welcome")?.to_bytes()?;
    println!("Welcome: {:.1} MiB", mib(welcome_bytes.len()));

    let rss_before = resident_mib();
    let mut times = Vec::new();
    let mut joined = None;
    // SCALE_JOINS sets the number of joins (for profiling).
    let joins: usize = std::env::var("SCALE_JOINS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    for _ in 0..joins {
        let t = Instant::now();
        let g = join(&*provider, &welcome_bytes, &kp, &secrets)?;
        times.push(t.elapsed());
        if g.epoch_authenticator() != group.epoch_authenticator() {
            return Err("the joiner disagrees with the group".into());
        }
        joined = Some(g);
    }
    println!(
        "join by Welcome, N = {}: {:.2?} (median of {joins}: {times:.2?})",
        n + 2,
        median(times.clone())
    );
    let joined = joined.ok_or("no join")?;
    let split = joined.to_split_state()?;
    println!(
        "the joiner's stored state: {:.1} MiB (+ {:.1} KiB of ratchets)",
        mib(split.state.len()),
        split.ratchets.len() as f64 / 1024.0
    );
    if let (Some(before), Some(after)) = (rss_before, resident_mib()) {
        println!(
            "resident memory: {after:.0} MiB for the process; {:.0} MiB more after the joins",
            after - before
        );
    }
    println!(
        "the joiner's group in memory: {:.1} MiB of heap",
        heap_of(joined)
    );

    // Fill A's copath: the kept members self-update, largest leaf first; everyone kept
    // processes every commit.
    let t = Instant::now();
    for i in (0..kept.len()).rev() {
        let k = &mut kept[i];
        let out = k.group.self_update(&k.signer, &options, Some(NOW))?;
        k.group.merge_pending_commit()?;
        let bytes = out.commit.to_bytes()?;
        process(&mut group, &bytes)?;
        for (j, other) in kept.iter_mut().enumerate() {
            if j != i {
                process(&mut other.group, &bytes)?;
            }
        }
    }
    println!(
        "{} self-updates to fill A's copath: {:.2?} (untimed setup)",
        kept.len(),
        t.elapsed()
    );
    let mut b = kept.pop().ok_or("no kept member")?;
    drop(kept);

    // SCALE_REPS sets the number of self-updates (for profiling).
    let reps: usize = std::env::var("SCALE_REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(11);
    let mut create = Vec::new();
    let mut process_times = Vec::new();
    let mut size = 0;
    for _ in 0..reps {
        let t = Instant::now();
        let out = group.self_update(&alice, &options, Some(NOW))?;
        let bytes = out.commit.to_bytes()?;
        group.merge_pending_commit()?;
        create.push(t.elapsed());
        size = bytes.len();
        let t = Instant::now();
        process(&mut b.group, &bytes)?;
        process_times.push(t.elapsed());
        if b.group.epoch_authenticator() != group.epoch_authenticator() {
            return Err("B disagrees with A after a self-update".into());
        }
    }
    println!(
        "self-update, N = {}: A creates in {:.2?}, B (leaf {}) processes in {:.2?} (medians of {reps}; commit {size} B)",
        n + 2,
        median(create),
        b.leaf,
        median(process_times)
    );
    let stored = b.group.to_split_state()?;
    println!(
        "B's stored state: {:.1} MiB; B's group in memory: {:.1} MiB of heap",
        mib(stored.state.len() + stored.ratchets.len()),
        heap_of(b.group)
    );
    Ok(())
}
