//! cohort at scale: a group of N members (default 50,000) made by one commit, then a new member
//! joining it by Welcome, timed, with the size of the stored state and the process's resident
//! memory.
//!
//! `cargo run --release -p cohort-bench-peers --example scale -- 50000`
//!
//! The group is built the fastest valid way: N KeyPackages added by one commit from its creator.
//! Its tree is therefore sparse (the parents off the creator's path are blank), which is the
//! shape of a freshly created large group, not the full tree of the `bench-peers` scenarios.
//! The join validates every leaf (batch-checked signatures), decodes and hashes the tree and
//! checks its parent hashes, as any join does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cohort_codec::{Decode, Encode};
use cohort_credential::Credential;
use cohort_crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort_group::{
    CommitOptions, Group, GroupConfig, JoinInput, LeafSpec, NoPsks, create_key_package,
};
use cohort_messages::{MlsMessage, MlsMessageBody};

const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
const NOW: u64 = 1_800_000_000;

/// Resident set size of this process, from `/proc/self/statm` (Linux), in MiB.
fn resident_mib() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096.0 / (1024.0 * 1024.0))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 50_000,
    };
    let provider: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_aws_lc::provider());
    let suite = provider.require_suite(CS)?;
    let spec = |name: String| LeafSpec::new(Credential::basic(name.into_bytes()), NOW, 30);

    let t = Instant::now();
    let mut key_packages = Vec::with_capacity(n);
    for i in 0..n {
        let signer = SoftwareSigner::generate(suite.clone())?;
        let (kp, _) = create_key_package(&*provider, CS, &signer, &spec(format!("m{i}")))?;
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
    group.add_members(&alice, key_packages, &options, Some(NOW))?;
    group.merge_pending_commit()?;
    println!("one commit adding {n} members: {:.2?}", t.elapsed());

    // The joiner: one more member, added by a commit with a path; its Welcome carries the tree.
    let joiner = SoftwareSigner::generate(suite.clone())?;
    let (kp, secrets) = create_key_package(&*provider, CS, &joiner, &spec("joiner".into()))?;
    let out = group.add_members(&alice, vec![kp.clone()], &options, Some(NOW))?;
    group.merge_pending_commit()?;
    let welcome_bytes = out.welcome.ok_or("no Welcome")?.to_bytes()?;
    println!("Welcome: {:.1} MiB", welcome_bytes.len() as f64 / 1048576.0);

    let before = resident_mib();
    let mut times = Vec::new();
    let mut joined = None;
    for _ in 0..3 {
        let t = Instant::now();
        let MlsMessageBody::Welcome(welcome) = MlsMessage::from_bytes(&welcome_bytes)?.body else {
            return Err("not a Welcome".into());
        };
        let input = JoinInput {
            welcome: &welcome,
            key_package: &kp,
            secrets: &secrets,
            ratchet_tree: None,
            now: Some(NOW),
        };
        let g = Group::join(&*provider, input, &NoPsks, GroupConfig::default())?;
        times.push(t.elapsed());
        if g.epoch_authenticator() != group.epoch_authenticator() {
            return Err("the joiner disagrees with the group".into());
        }
        joined = Some(g);
    }
    times.sort();
    let median: Duration = times[times.len() / 2];
    println!(
        "join by Welcome, N = {}: {median:.2?} (median of 3: {times:.2?})",
        n + 1
    );
    let joined = joined.ok_or("no join")?;
    let split = joined.to_split_state()?;
    println!(
        "the joiner's stored state: {:.1} MiB (+ {:.1} KiB of ratchets)",
        split.state.len() as f64 / 1048576.0,
        split.ratchets.len() as f64 / 1024.0
    );
    if let (Some(before), Some(after)) = (before, resident_mib()) {
        println!(
            "resident memory: {after:.0} MiB for the process (two {}-member groups and the Welcome); {:.0} MiB more after the joins",
            n + 1,
            after - before
        );
    }
    Ok(())
}
