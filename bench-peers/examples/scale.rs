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
//! A light member (draft-ietf-mls-partial-02) is added as well: it joins from a Welcome that A
//! annotates with membership proofs, follows every later commit from its annotation, and its
//! join, its processing of A's self-updates, its stored state and its heap are reported beside
//! a full member's.
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
use cohort_group::light::{LightGroup, annotate_commit, annotate_welcome};
use cohort_group::{
    CommitOptions, Group, GroupConfig, JoinInput, KeyPackageSecrets, LeafSpec, NoPsks, Processed,
    create_key_package,
};
use cohort_messages::key_package::KeyPackage;
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::math::LeafIndex;
use cohort_tree::tree::RatchetTree;
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

/// The heap bytes `light` holds: what dropping it frees.
fn heap_of_light(light: LightGroup) -> f64 {
    let before = live_bytes();
    drop(light);
    (before - live_bytes()) as f64 / 1024.0
}

/// `light` processes `commit`, made by the member at `committer` whose trees before and after
/// it are given, as annotated for it. Returns the time to annotate and to process.
fn light_follows(
    suite: &dyn cohort_crypto::SuiteOps,
    light: &mut LightGroup,
    (before, after): (&RatchetTree, &RatchetTree),
    commit: MlsMessage,
    committer: LeafIndex,
) -> Result<(Duration, Duration), Error> {
    let t = Instant::now();
    let annotated = annotate_commit(suite, before, after, commit, committer, light.own_leaf())?;
    let annotate = t.elapsed();
    let t = Instant::now();
    light.process_commit(&annotated, &NoPsks)?;
    Ok((annotate, t.elapsed()))
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

/// `SCALE_JOINS`: the number of joins timed (for profiling), 3 by default.
fn joins_env() -> usize {
    std::env::var("SCALE_JOINS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
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
    let joins = joins_env();
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

    // The light member: added by A without a path, it joins from the Welcome A annotates.
    let light_signer = SoftwareSigner::generate(suite.clone())?;
    let (light_kp, light_secrets) =
        create_key_package(&*provider, CS, &light_signer, &spec("light".into()))?;
    // Its Welcome carries no tree: the annotation gives the light member what it needs.
    let mut light_options = options.clone();
    light_options.ratchet_tree_in_welcome = false;
    let out = group.add_members(&alice, vec![light_kp.clone()], &light_options, Some(NOW))?;
    group.merge_pending_commit()?;
    let commit = out.commit.to_bytes()?;
    for k in &mut kept {
        process(&mut k.group, &commit)?;
    }
    let MlsMessageBody::Welcome(light_welcome) = out.welcome.ok_or("no Welcome")?.body else {
        return Err("not a Welcome".into());
    };
    let light_leaf = (0..group.tree().leaf_count())
        .map(LeafIndex)
        .find(|l| group.tree().leaf(*l) == Some(&light_kp.leaf_node))
        .ok_or("the light member's leaf")?;
    let t = Instant::now();
    let annotated = annotate_welcome(
        &*suite,
        group.tree(),
        light_welcome,
        LeafIndex(0),
        light_leaf,
    )?;
    let annotate_time = t.elapsed();
    let annotated_size = annotated.to_bytes()?.len();
    let mut light_times = Vec::new();
    let mut light = None;
    for _ in 0..joins_env() {
        let t = Instant::now();
        let l = LightGroup::join(&*provider, &annotated, &light_kp, &light_secrets, &NoPsks)?;
        light_times.push(t.elapsed());
        if l.epoch_authenticator() != group.epoch_authenticator() {
            return Err("the light member disagrees with the group".into());
        }
        light = Some(l);
    }
    let mut light = light.ok_or("no light join")?;
    println!(
        "light member, N = {}: annotated Welcome {:.1} KiB (A annotates it in {annotate_time:.2?}); joins in {:.2?} (median of {})",
        n + 3,
        annotated_size as f64 / 1024.0,
        median(light_times.clone()),
        light_times.len()
    );
    println!(
        "the light member's stored state: {:.1} KiB",
        light.to_bytes()?.len() as f64 / 1024.0
    );

    // Fill A's copath: the kept members self-update, largest leaf first; everyone kept
    // processes every commit.
    let t = Instant::now();
    for i in (0..kept.len()).rev() {
        let k = &mut kept[i];
        let before = k.group.tree().clone();
        let out = k.group.self_update(&k.signer, &options, Some(NOW))?;
        k.group.merge_pending_commit()?;
        let bytes = out.commit.to_bytes()?;
        light_follows(
            &*suite,
            &mut light,
            (&before, k.group.tree()),
            out.commit,
            k.group.own_leaf(),
        )?;
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
    let mut light_annotate = Vec::new();
    let mut light_process = Vec::new();
    let mut size = 0;
    for _ in 0..reps {
        let before = group.tree().clone();
        let t = Instant::now();
        let out = group.self_update(&alice, &options, Some(NOW))?;
        let bytes = out.commit.to_bytes()?;
        group.merge_pending_commit()?;
        create.push(t.elapsed());
        let (a, p) = light_follows(
            &*suite,
            &mut light,
            (&before, group.tree()),
            out.commit,
            LeafIndex(0),
        )?;
        light_annotate.push(a);
        light_process.push(p);
        if light.epoch_authenticator() != group.epoch_authenticator() {
            return Err("the light member disagrees with A after a self-update".into());
        }
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
        n + 3,
        median(create),
        b.leaf,
        median(process_times)
    );
    println!(
        "the light member (leaf {}) processes A's self-update in {:.2?} (annotating it for the light member: {:.2?}; medians of {reps})",
        light.own_leaf().0,
        median(light_process),
        median(light_annotate)
    );
    println!(
        "the light member's stored state: {:.1} KiB; its group in memory: {:.1} KiB of heap",
        light.to_bytes()?.len() as f64 / 1024.0,
        heap_of_light(light)
    );
    let stored = b.group.to_split_state()?;
    println!(
        "B's stored state: {:.1} MiB; B's group in memory: {:.1} MiB of heap",
        mib(stored.state.len() + stored.ratchets.len()),
        heap_of(b.group)
    );
    Ok(())
}
