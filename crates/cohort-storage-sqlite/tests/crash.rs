//! Crash tests that kill for real.
//!
//! A child process (this test binary, run again with `COHORT_CRASH_CHILD` set) drives three
//! members, each with its own SQLite file, through real group operations with the `cohort`
//! facade: groups created and joined from Welcomes (key packages consumed), self-update commits
//! merged by their committer and processed by the others, and application messages sent and
//! received. Every handshake and message goes through a delivery-service log (a fourth SQLite
//! file) before anyone applies it, as a real Delivery Service would order them.
//!
//! The parent kills the child with SIGKILL at a random moment, reopens every file and checks:
//!
//! ```text
//!   for each live group, for each member:
//!     key package still stored   ⇔  group not stored          (the join's write is atomic)
//!     the group loads, at an epoch ≤ the log's head
//!     the logged commits from that epoch on process and merge   (a mixed state cannot)
//!     a message already received (acked) does not decrypt again (no consumed secret is back)
//!     a message not yet received at an older epoch does decrypt
//!   every member ends at the head epoch with the same epoch authenticator
//!   the next commit, from another member, and a message from each, go through everywhere
//! ```
//!
//! `cargo test` runs 20 kills; `COHORT_CRASH_KILLS=N` (what `cargo xtask crash` sets) runs N and
//! prints a last line `K kills, N inconsistent`.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cohort::codec::{Decode, Encode};
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::messages::{MlsMessage, MlsMessageBody};
use cohort::{Client, ClientGroup, Received};
use cohort_storage::{GroupStore, KeyPackageStore};
use cohort_storage_sqlite::SqliteStore;
use rusqlite::{Connection, OptionalExtension, params};

/// Set in the child: the directory of the files.
const CHILD_ENV: &str = "COHORT_CRASH_CHILD";
/// Set in the child: its random seed.
const SEED_ENV: &str = "COHORT_CRASH_SEED";
/// How many kills the parent makes (default [`DEFAULT_KILLS`]).
const KILLS_ENV: &str = "COHORT_CRASH_KILLS";
const DEFAULT_KILLS: u64 = 20;
/// The line the child prints once its files are open and it starts operating.
const READY: &str = "crash-child: ready";
/// The child stops by itself after this many operations, in case nobody kills it.
const MAX_CHILD_OPS: u32 = 300;
/// The longest the parent waits after the child is ready before killing it.
const MAX_KILL_DELAY: Duration = Duration::from_millis(60);

const MEMBERS: [&str; 3] = ["alice", "bob", "carol"];
/// Only the newest groups get traffic and checks; older ones are left alone.
const LIVE_GROUPS: u32 = 2;

// ---------------------------------------------------------------------------------------------
// The two roles.

/// The child's entry point: a no-op unless the parent started this binary as a child.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let seed = std::env::var(SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let code = match run_child(Path::new(&dir), seed) {
        Ok(()) => 0,
        Err(why) => {
            eprintln!("crash-child: {why}");
            3
        }
    };
    std::process::exit(code);
}

#[test]
fn sigkill_at_random_moments_leaves_every_group_consistent() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let kills = std::env::var(KILLS_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_KILLS);
    let seed = std::env::var(SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(7, |d| d.as_nanos() as u64)
        });
    println!("crash test: {kills} kills, seed {seed}");
    let mut rng = Rng(seed | 1);
    let root = std::env::temp_dir().join(format!("cohort-crash-{}", std::process::id()));
    let mut generation = 0u32;
    let mut dir = fresh_world(&root, &mut generation);

    let started = Instant::now();
    let (mut killed, mut inconsistent, mut failures) = (0u64, 0u64, Vec::new());
    let (mut mid_operation, mut total) = (0u64, Recovery::default());
    while killed < kills {
        match kill_child_once(&dir, &mut rng) {
            Ok(true) => killed += 1,
            Ok(false) => {}
            Err(why) => {
                killed += 1;
                inconsistent += 1;
                failures.push(format!("kill {killed}: child failed: {why}"));
                dir = fresh_world(&root, &mut generation);
                continue;
            }
        }
        match World::open(&dir).and_then(|w| w.check_and_recover(&mut rng)) {
            Ok(r) => {
                mid_operation += u64::from(r.mid_operation());
                total.add(&r);
            }
            Err(why) => {
                inconsistent += 1;
                println!("kill {killed}: INCONSISTENT: {why}");
                failures.push(format!("kill {killed}: {why}"));
                // Go on from a fresh world, so one failure does not hide the next.
                dir = fresh_world(&root, &mut generation);
            }
        }
        if killed % 100 == 0 {
            println!(
                "  {killed} kills, {inconsistent} inconsistent ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    // Groups left behind by newer ones got no checks after later kills: each must still load.
    if let Err(why) = World::open(&dir).and_then(|w| w.check_every_group_loads()) {
        inconsistent += 1;
        println!("at the end: INCONSISTENT: {why}");
        failures.push(format!("at the end: {why}"));
    }
    let _ = std::fs::remove_dir_all(&root);
    println!(
        "{mid_operation} kills landed mid-operation; recovery applied {} commits, {} joins and \
         {} messages, and refused {} replayed messages",
        total.commits, total.joins, total.messages, total.replays_refused
    );
    println!("{killed} kills, {inconsistent} inconsistent");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A new directory with the members' signing keys and a first group.
fn fresh_world(root: &Path, generation: &mut u32) -> PathBuf {
    *generation += 1;
    let dir = root.join(format!("world-{generation}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let provider = provider();
    let ops = provider.suite(SUITE).unwrap();
    for name in MEMBERS {
        let signer = SoftwareSigner::generate(ops.clone()).unwrap();
        let key = signer.private_key().to_bytes().unwrap();
        std::fs::write(dir.join(format!("{name}.key")), key).unwrap();
    }
    World::open(&dir).unwrap().new_group(&mut Rng(5)).unwrap();
    dir
}

/// Starts a child on `dir`, waits until it operates, kills it after a random delay. `Ok(true)`
/// when it was killed, `Ok(false)` when it finished on its own first.
fn kill_child_once(dir: &Path, rng: &mut Rng) -> Result<bool, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .env(SEED_ENV, rng.next().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    // The harness may print `test crash_child ... ` on the same line first.
    let ready = lines.any(|l| l.is_ok_and(|l| l.contains(READY)));
    if ready {
        let delay = rng.below(MAX_KILL_DELAY.as_micros() as u64 + 1);
        std::thread::sleep(Duration::from_micros(delay));
    }
    // On Unix, `kill` sends SIGKILL: no destructor, no flush, no rollback runs in the child.
    let _ = child.kill();
    let status = child.wait().map_err(|e| format!("wait: {e}"))?;
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    match status.code() {
        None if ready => Ok(true),
        Some(0) if ready => Ok(false),
        _ => Err(format!("{status} before it was killed: {}", stderr.trim())),
    }
}

fn run_child(dir: &Path, seed: u64) -> Result<(), String> {
    let world = World::open(dir)?;
    let mut rng = Rng(seed | 1);
    println!("{READY}");
    for _ in 0..MAX_CHILD_OPS {
        world.random_op(&mut rng)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The world: three members on SQLite files and the delivery-service log.

const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

fn provider() -> Arc<dyn CryptoProvider> {
    Arc::new(cohort::crypto::rustcrypto::provider())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn group_id(index: u32) -> Vec<u8> {
    format!("group-{index}").into_bytes()
}

/// What a delivery-service log row carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A commit leaving `epoch`, by `member`.
    Commit,
    /// A Welcome into `epoch` for `member`, who joins with the key package whose ref is in
    /// `extra`.
    Welcome,
    /// An application message at `epoch` from `member`, with its plaintext in `extra`.
    App,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Commit => "commit",
            Self::Welcome => "welcome",
            Self::App => "app",
        }
    }

    fn parse(s: &str) -> Result<Self, String> {
        match s {
            "commit" => Ok(Self::Commit),
            "welcome" => Ok(Self::Welcome),
            "app" => Ok(Self::App),
            other => Err(format!("unknown log kind {other}")),
        }
    }
}

struct Row {
    seq: i64,
    kind: Kind,
    epoch: u64,
    member: usize,
    message: MlsMessage,
    /// An application message's plaintext; a Welcome's KeyPackageRef.
    extra: Vec<u8>,
}

struct World {
    provider: Arc<dyn CryptoProvider>,
    stores: Vec<Arc<SqliteStore>>,
    clients: Vec<Client>,
    ds: Connection,
}

impl World {
    /// Opens every file of `dir`, as a restarted application would.
    fn open(dir: &Path) -> Result<Self, String> {
        let provider = provider();
        let ops = provider.suite(SUITE).ok_or("suite 1 missing")?;
        let mut stores = Vec::new();
        let mut clients = Vec::new();
        for name in MEMBERS {
            let key = std::fs::read(dir.join(format!("{name}.key"))).map_err(|e| e.to_string())?;
            let signer = SoftwareSigner::from_private(
                ops.clone(),
                Decode::from_bytes(&key).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            let store = Arc::new(
                SqliteStore::open(dir.join(format!("{name}.db")))
                    .map_err(|e| format!("{name}: open: {e}"))?,
            );
            let client = common::client(provider.clone(), store.clone(), signer, name)
                .map_err(|e| e.to_string())?;
            stores.push(store);
            clients.push(client);
        }
        let ds = Connection::open(dir.join("ds.db")).map_err(|e| e.to_string())?;
        ds.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS log (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 grp INTEGER NOT NULL,
                 kind TEXT NOT NULL,
                 epoch INTEGER NOT NULL,
                 member INTEGER NOT NULL,
                 message BLOB NOT NULL,
                 extra BLOB NOT NULL
             );
             CREATE TABLE IF NOT EXISTS acks (
                 member INTEGER NOT NULL,
                 seq INTEGER NOT NULL,
                 PRIMARY KEY (member, seq)
             );",
        )
        .map_err(|e| e.to_string())?;
        Ok(Self {
            provider,
            stores,
            clients,
            ds,
        })
    }

    /// The newest groups, oldest first.
    fn live_groups(&self) -> Result<Vec<u32>, String> {
        let mut stmt = self
            .ds
            .prepare("SELECT DISTINCT grp FROM log ORDER BY grp DESC LIMIT ?1")
            .map_err(|e| e.to_string())?;
        let mut groups = stmt
            .query_map([LIVE_GROUPS], |r| r.get::<_, u32>(0))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| e.to_string())?;
        groups.reverse();
        Ok(groups)
    }

    fn random_op(&self, rng: &mut Rng) -> Result<(), String> {
        let groups = self.live_groups()?;
        let roll = rng.below(100);
        if groups.is_empty() || roll < 10 {
            return self.new_group(rng);
        }
        let group = groups[rng.below(groups.len() as u64) as usize];
        let member = rng.below(MEMBERS.len() as u64) as usize;
        if roll < 45 {
            self.self_update(group, member)
        } else {
            self.send(group, member, rng)
        }
    }

    fn append(
        &self,
        group: u32,
        kind: Kind,
        epoch: u64,
        member: usize,
        message: &MlsMessage,
        extra: &[u8],
    ) -> Result<i64, String> {
        let bytes = message.to_bytes().map_err(|e| e.to_string())?;
        self.ds
            .execute(
                "INSERT INTO log (grp, kind, epoch, member, message, extra) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![group, kind.as_str(), epoch, member, bytes, extra],
            )
            .map_err(|e| e.to_string())?;
        Ok(self.ds.last_insert_rowid())
    }

    fn load(&self, member: usize, group: u32) -> Result<ClientGroup, String> {
        self.clients[member]
            .load_group(&group_id(group))
            .map_err(|e| format!("{} cannot load group {group}: {e}", MEMBERS[member]))?
            .ok_or_else(|| format!("{} has no stored group {group}", MEMBERS[member]))
    }

    /// Alice creates a group and adds Bob and Carol, who join from the Welcome.
    fn new_group(&self, _rng: &mut Rng) -> Result<(), String> {
        let index: u32 = self
            .ds
            .query_row("SELECT COALESCE(MAX(grp) + 1, 0) FROM log", [], |r| {
                r.get(0)
            })
            .map_err(|e| e.to_string())?;
        let mut kps = Vec::new();
        let mut refs = Vec::new();
        for member in 1..MEMBERS.len() {
            let kp = self.clients[member]
                .generate_key_package(now())
                .map_err(|e| format!("key package: {e}"))?;
            let MlsMessageBody::KeyPackage(inner) = &kp.body else {
                return Err("not a key package".into());
            };
            let r = cohort::group::key_package_ref(&*self.provider, inner)
                .map_err(|e| e.to_string())?;
            refs.push(r.0.as_slice().to_vec());
            kps.push(kp);
        }
        let mut alice = self.clients[0]
            .create_group(&group_id(index), now())
            .map_err(|e| format!("create: {e}"))?;
        let out = alice
            .add_members(&kps, now())
            .map_err(|e| format!("add: {e}"))?;
        let welcome = out.welcome.ok_or("no Welcome")?;
        // The Delivery Service accepts the commit and the Welcome together.
        self.ds
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| e.to_string())?;
        self.append(index, Kind::Commit, 0, 0, &out.commit, &[])?;
        for (i, r) in refs.iter().enumerate() {
            self.append(index, Kind::Welcome, 1, i + 1, &welcome, r)?;
        }
        self.ds.execute_batch("COMMIT").map_err(|e| e.to_string())?;
        apply_commit(&mut alice, out.commit)?;
        for (client, name) in self.clients.iter().zip(MEMBERS).skip(1) {
            client
                .join(&welcome, None, now())
                .map_err(|e| format!("{name} join: {e}"))?;
        }
        Ok(())
    }

    /// `member` commits a self-update; the committer and then everyone else apply it.
    fn self_update(&self, group: u32, member: usize) -> Result<(), String> {
        let mut g = self.load(member, group)?;
        let epoch = g.epoch();
        let out = g.self_update(now()).map_err(|e| format!("update: {e}"))?;
        self.append(group, Kind::Commit, epoch, member, &out.commit, &[])?;
        apply_commit(&mut g, out.commit.clone())?;
        for other in (0..MEMBERS.len()).filter(|&m| m != member) {
            let mut g = self.load(other, group)?;
            apply_commit(&mut g, out.commit.clone())
                .map_err(|e| format!("{} at epoch {epoch}: {e}", MEMBERS[other]))?;
        }
        Ok(())
    }

    /// `member` sends a message; everyone else receives it and acknowledges it.
    fn send(&self, group: u32, member: usize, rng: &mut Rng) -> Result<(), String> {
        let mut g = self.load(member, group)?;
        let data = rng.next().to_le_bytes();
        let message = g.send_message(&data).map_err(|e| format!("send: {e}"))?;
        let seq = self.append(group, Kind::App, g.epoch(), member, &message, &data)?;
        for other in (0..MEMBERS.len()).filter(|&m| m != member) {
            let mut g = self.load(other, group)?;
            match g.process_message(message.clone(), now()) {
                Ok(Received::Application { data: got, .. }) if got == data => {}
                Ok(_) => return Err(format!("{} read something else", MEMBERS[other])),
                Err(e) => return Err(format!("{} cannot read: {e}", MEMBERS[other])),
            }
            self.ds
                .execute(
                    "INSERT INTO acks (member, seq) VALUES (?1, ?2)",
                    params![other, seq],
                )
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn rows(&self, group: u32) -> Result<Vec<Row>, String> {
        let mut stmt = self
            .ds
            .prepare(
                "SELECT seq, kind, epoch, member, message, extra FROM log \
                 WHERE grp = ?1 ORDER BY seq",
            )
            .map_err(|e| e.to_string())?;
        let raw = stmt
            .query_map([group], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u64>(2)?,
                    r.get::<_, usize>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                    r.get::<_, Vec<u8>>(5)?,
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| e.to_string())?;
        raw.into_iter()
            .map(|(seq, kind, epoch, member, message, extra)| {
                Ok(Row {
                    seq,
                    kind: Kind::parse(&kind)?,
                    epoch,
                    member,
                    message: MlsMessage::from_bytes(&message).map_err(|e| e.to_string())?,
                    extra,
                })
            })
            .collect()
    }

    fn acked(&self, member: usize, seq: i64) -> Result<bool, String> {
        self.ds
            .query_row(
                "SELECT 1 FROM acks WHERE member = ?1 AND seq = ?2",
                params![member, seq],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(|e| e.to_string())
    }

    /// The checks after a kill, which also bring every member up to the log's head; then the
    /// next commit and a message from each member.
    fn check_and_recover(&self, rng: &mut Rng) -> Result<Recovery, String> {
        let groups = self.live_groups()?;
        let mut recovery = Recovery::default();
        for &group in &groups {
            self.recover_group(group, &mut recovery)
                .map_err(|e| format!("group {group}: {e}"))?;
        }
        let group = *groups.last().ok_or("no group")?;
        let committer = rng.below(MEMBERS.len() as u64) as usize;
        self.self_update(group, committer)
            .map_err(|e| format!("group {group}: the next commit: {e}"))?;
        for member in 0..MEMBERS.len() {
            self.send(group, member, rng)
                .map_err(|e| format!("group {group}: a message after recovery: {e}"))?;
        }
        self.same_view(group)?;
        Ok(recovery)
    }

    fn recover_group(&self, group: u32, recovery: &mut Recovery) -> Result<(), String> {
        let rows = self.rows(group)?;
        let gid = group_id(group);
        let head = rows
            .iter()
            .filter(|r| r.kind == Kind::Commit)
            .map(|r| r.epoch + 1)
            .max()
            .ok_or("no commit logged")?;
        for (member, name) in MEMBERS.iter().enumerate() {
            let store = &self.stores[member];
            let stored = store.read_state(&gid).map_err(|e| e.to_string())?;
            // The epoch up to which this member may already have received messages; `None`
            // for a member that joins only now.
            let mut seen_until = stored.as_ref().map(|s| s.epoch);
            if let Some(welcome) = rows
                .iter()
                .find(|r| r.kind == Kind::Welcome && r.member == member)
            {
                let kp_stored = store
                    .key_package(&welcome.extra)
                    .map_err(|e| e.to_string())?
                    .is_some();
                match (stored.is_some(), kp_stored) {
                    (true, true) => {
                        return Err(format!("{name}: joined, but the key package is back"));
                    }
                    (false, false) => {
                        return Err(format!("{name}: key package consumed, group missing"));
                    }
                    (false, true) => {
                        self.clients[member]
                            .join(&welcome.message, None, now())
                            .map_err(|e| format!("{name}: join after the crash: {e}"))?;
                        recovery.joins += 1;
                        seen_until = None;
                    }
                    (true, false) => {}
                }
            } else if stored.is_none() {
                return Err(format!("{name}: the group is not stored"));
            }
            let mut g = self.load(member, group)?;
            let loaded = g.epoch();
            if loaded > head {
                return Err(format!("{name}: at epoch {loaded}, past the head {head}"));
            }
            for row in &rows {
                match row.kind {
                    Kind::Welcome => {}
                    Kind::Commit if row.epoch < g.epoch() => {}
                    Kind::Commit if row.epoch == g.epoch() => {
                        apply_commit(&mut g, row.message.clone()).map_err(|e| {
                            format!(
                                "{name}: loaded at epoch {loaded}, cannot apply the commit of \
                                 {} leaving epoch {}: {e}",
                                MEMBERS[row.member], row.epoch
                            )
                        })?;
                        recovery.commits += 1;
                    }
                    Kind::Commit => {
                        return Err(format!("{name}: a gap before epoch {}", row.epoch));
                    }
                    Kind::App if row.member == member || row.epoch != g.epoch() => {}
                    Kind::App => {
                        let got = g.process_message(row.message.clone(), now());
                        let read = matches!(
                            got,
                            Ok(Received::Application { ref data, .. }) if *data == row.extra
                        );
                        let must_read = seen_until.is_none_or(|e| e < row.epoch);
                        let must_fail =
                            seen_until == Some(row.epoch) && self.acked(member, row.seq)?;
                        if must_read && !read {
                            return Err(format!(
                                "{name}: cannot read message {} at epoch {}: {:?}",
                                row.seq,
                                row.epoch,
                                got.err()
                            ));
                        }
                        if must_fail && !read {
                            recovery.replays_refused += 1;
                        }
                        if read {
                            recovery.messages += 1;
                        }
                        if must_fail && read {
                            return Err(format!(
                                "{name}: message {} was received before the crash and \
                                 decrypts again (a consumed key came back)",
                                row.seq
                            ));
                        }
                    }
                }
            }
            if g.epoch() != head {
                return Err(format!("{name}: ends at epoch {}, not {head}", g.epoch()));
            }
        }
        self.same_view(group)
    }

    /// Every group ever logged loads for every member that stores it, at an epoch the log
    /// reached.
    fn check_every_group_loads(&self) -> Result<(), String> {
        let groups: Vec<(u32, u64)> = self
            .ds
            .prepare("SELECT grp, MAX(epoch) + 1 FROM log WHERE kind = 'commit' GROUP BY grp")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()
            })
            .map_err(|e| e.to_string())?;
        for (group, head) in groups {
            for (member, name) in MEMBERS.iter().enumerate() {
                if self.stores[member]
                    .read_state(&group_id(group))
                    .map_err(|e| e.to_string())?
                    .is_none()
                {
                    continue;
                }
                let epoch = self.load(member, group)?.epoch();
                if epoch > head {
                    return Err(format!(
                        "group {group}: {name} at epoch {epoch}, past the head {head}"
                    ));
                }
            }
        }
        Ok(())
    }

    fn same_view(&self, group: u32) -> Result<(), String> {
        let mut views = Vec::new();
        for member in 0..MEMBERS.len() {
            let g = self.load(member, group)?;
            views.push((g.epoch(), g.epoch_authenticator().to_vec()));
        }
        if views.windows(2).all(|w| w[0] == w[1]) {
            Ok(())
        } else {
            Err(format!(
                "members disagree: epochs {:?}",
                views.iter().map(|v| v.0).collect::<Vec<_>>()
            ))
        }
    }
}

/// What recovering after one kill had to do: non-zero when the kill landed mid-operation.
#[derive(Debug, Default)]
struct Recovery {
    /// Logged commits a member had not applied yet.
    commits: u64,
    /// Joins whose write had not happened (the key package was still stored).
    joins: u64,
    /// Logged messages a member had not received yet.
    messages: u64,
    /// Messages received before the kill that were refused when delivered again.
    replays_refused: u64,
}

impl Recovery {
    fn add(&mut self, other: &Self) {
        self.commits += other.commits;
        self.joins += other.joins;
        self.messages += other.messages;
        self.replays_refused += other.replays_refused;
    }

    fn mid_operation(&self) -> bool {
        self.commits + self.joins + self.messages > 0
    }
}

/// Processes `commit` (our own is matched to our pending commit) and merges it.
fn apply_commit(g: &mut ClientGroup, commit: MlsMessage) -> Result<(), String> {
    match g.process_message(commit, now()) {
        Ok(Received::Commit(staged)) => g
            .merge_staged(*staged)
            .map_err(|e| e.to_string())
            .map(|_| ()),
        Ok(_) => Err("not a commit".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// xorshift64: enough randomness to pick operations and delays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
