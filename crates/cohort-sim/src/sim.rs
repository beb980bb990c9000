//! The simulation: clients, the DS, the operations and faults the seed picks, and the
//! invariants checked after every step.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cohort::crypto::{CipherSuite, CryptoProvider, Signer, SoftwareSigner};
use cohort::group::{GroupConfig, GroupStatus};
use cohort::messages::MlsMessage;
use cohort::storage::Zeroizing;
use cohort::storage::memory::MemoryStore;

use crate::SimError;
use crate::config::{DsMode, Fault, SimConfig};
use crate::delivery::Outcome;
use crate::ds::{DeliveryService, Envelope, GroupInfoRecord, Payload};
use crate::invariants::memory_state;
use crate::member::{self, Role, Roster, SimClient, Store};
use crate::model::MemberModel;
use crate::race::SettleWindow;
use crate::reinit::ReInitPhase;
use crate::report::{Divergence, DivergenceKind, Report, Stats};
use crate::rng::Rng;

/// The first group's id.
pub(crate) const GROUP_ID: &[u8] = b"cohort-sim";

/// The id of group `generation`: the first group's, then that id with the number of the ReInit
/// that made it.
pub(crate) fn group_id(generation: u32) -> Vec<u8> {
    if generation == 0 {
        GROUP_ID.to_vec()
    } else {
        format!("cohort-sim reinit {generation}").into_bytes()
    }
}
/// The external PSK every client has.
pub(crate) const PSK_ID: &[u8] = b"cohort-sim psk";
/// The simulated time of step 0, and the seconds a step lasts.
const START: u64 = 1_800_000_000;
const STEP_SECONDS: u64 = 60;
/// The most steps the drain runs before the run is declared not converged.
const DRAIN_STEPS: u64 = 600;

/// What every member at an epoch must agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EpochFacts {
    pub authenticator: Vec<u8>,
    pub roster: Roster,
    /// The first client seen at the epoch (for the report).
    pub first: usize,
}

/// A commit made but not yet given to the DS (so several can race).
pub(crate) struct Made {
    /// Its committer.
    pub client: usize,
    /// The commit.
    pub env: Rc<Envelope>,
    /// Its Welcome, if it adds members.
    pub welcome: Option<MlsMessage>,
    /// The committer's roster before it.
    pub roster_before: Roster,
    /// For an external commit: whether it is a resync.
    pub external: Option<bool>,
}

/// The directory of a run's SQLite files, deleted at the end.
struct RunDir(PathBuf);

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A simulation run: build it with [`Sim::new`], run it with [`Sim::run`].
pub struct Sim {
    pub(crate) cfg: SimConfig,
    pub(crate) rng: Rng,
    pub(crate) step: u64,
    pub(crate) provider: Arc<dyn CryptoProvider>,
    pub(crate) group_config: GroupConfig,
    pub(crate) clients: Vec<SimClient>,
    pub(crate) ds: DeliveryService,
    /// The group the DS serves: 0, then one more for each ReInit (see [`Envelope::group`]).
    pub(crate) generation: u32,
    /// A ReInit under way, until its new group exists.
    pub(crate) reinit: Option<ReInitPhase>,
    /// What the members of each epoch of each group agree on, by (group, epoch).
    pub(crate) canonical: BTreeMap<(u32, u64), EpochFacts>,
    /// The epochs a commit with a PSK led to.
    pub(crate) psk_epochs: BTreeSet<(u32, u64)>,
    pub(crate) settle: SettleWindow,
    pub(crate) stats: Stats,
    pub(crate) trace: Vec<String>,
    pub(crate) divergence: Option<Divergence>,
    pub(crate) next_message: u64,
    pub(crate) draining: bool,
    // Declared last: the clients' SQLite files are deleted after the clients are dropped.
    _dir: Option<RunDir>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("config", &self.cfg)
            .field("step", &self.step)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Sets up a run: the clients, their stores, and a first group of about half of them.
    ///
    /// # Errors
    /// [`SimError::Config`] for fewer than two clients or a settling delay not longer than the
    /// commit delay bound; [`SimError::Setup`] or [`SimError::Io`] when a client or the first
    /// group cannot be made.
    pub fn new(cfg: SimConfig) -> Result<Self, SimError> {
        if cfg.clients < 2 {
            return Err(SimError::Config("at least two clients".into()));
        }
        if cfg.settle_steps <= cfg.commit_delay_bound {
            return Err(SimError::Config(
                "the settling delay must be longer than the commit delay bound".into(),
            ));
        }
        let mut rng = Rng::new(cfg.seed ^ mode_salt(cfg.mode));
        let provider: Arc<dyn CryptoProvider> = Arc::new(cohort::crypto::aws_lc::provider());
        let suite = provider
            .suite(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519)
            .ok_or_else(|| SimError::Config("the provider lacks cipher suite 1".into()))?;
        let mut group_config = GroupConfig::default();
        group_config.max_past_epochs = cfg.windows.max_past_epochs;
        group_config.ratchet.out_of_order_tolerance = cfg.windows.out_of_order_tolerance;
        group_config.ratchet.max_forward_distance = cfg.windows.max_forward_distance;

        // About a quarter of the clients keep their state in SQLite.
        let sqlite: Vec<bool> = (0..cfg.clients).map(|_| rng.chance(250)).collect();
        let dir = if sqlite.iter().any(|s| *s) {
            Some(run_dir(&cfg)?)
        } else {
            None
        };
        let mut clients = Vec::with_capacity(cfg.clients);
        for (index, use_sqlite) in sqlite.into_iter().enumerate() {
            let signer: Arc<dyn Signer> =
                Arc::new(SoftwareSigner::generate(Arc::clone(&suite)).map_err(|e| {
                    SimError::Setup {
                        what: "a signing key",
                        source: cohort::Error::Crypto(e),
                    }
                })?);
            let store = match (&dir, use_sqlite) {
                (Some(dir), true) => Store::sqlite(dir.0.join(format!("c{index}.sqlite")))
                    .map_err(|e| SimError::Setup {
                        what: "a SQLite store",
                        source: e.into(),
                    })?,
                _ => Store::Memory(Arc::new(MemoryStore::new())),
            };
            let delivery = cfg.windows.delivery_policy();
            let client =
                member::build_client(&provider, &signer, index, &group_config, delivery, &store)
                    .map_err(|source| SimError::Setup {
                        what: "a client",
                        source,
                    })?;
            client
                .register_psk(PSK_ID, Zeroizing::new(vec![0x5a; 32]))
                .map_err(|source| SimError::Setup {
                    what: "the external PSK",
                    source,
                })?;
            clients.push(SimClient {
                index,
                signer,
                store,
                client,
                group: None,
                generation: 0,
                retired: None,
                reinit_welcome: None,
                role: Role::Outsider,
                offline_until: None,
                needs_resync: false,
                held: Vec::new(),
                undecided: Vec::new(),
                invited_if_out: None,
                sent: Default::default(),
                candidates: BTreeMap::new(),
                own_commit: None,
                model: MemberModel::default(),
                decrypted: Default::default(),
                proposals: (0, 0),
            });
        }
        let settle = SettleWindow {
            settle: cfg.settle_steps,
            delay_bound: cfg.commit_delay_bound,
        };
        let mut sim = Self {
            ds: DeliveryService::new(cfg.mode, cfg.clients, cfg.retention_commits),
            cfg,
            rng,
            step: 0,
            provider,
            group_config,
            clients,
            generation: 0,
            reinit: None,
            canonical: BTreeMap::new(),
            psk_epochs: BTreeSet::new(),
            settle,
            stats: Stats::default(),
            trace: Vec::new(),
            divergence: None,
            next_message: 0,
            draining: false,
            _dir: dir,
        };
        sim.first_group()?;
        Ok(sim)
    }

    /// Client 0 creates the group and adds about half of the others in one commit.
    fn first_group(&mut self) -> Result<(), SimError> {
        let now = self.now();
        let setup = |what| move |source| SimError::Setup { what, source };
        let mut group = self.clients[0]
            .client
            .create_group(GROUP_ID, now)
            .map_err(setup("the group"))?;
        let mut others: Vec<usize> = (1..self.cfg.clients).collect();
        self.rng.shuffle(&mut others);
        let count = (self.cfg.clients / 2).max(1);
        let mut joining: Vec<usize> = others.into_iter().take(count).collect();
        joining.sort_unstable();
        let mut key_packages = Vec::new();
        for &j in &joining {
            key_packages.push(
                self.clients[j]
                    .client
                    .generate_key_package(now)
                    .map_err(setup("a KeyPackage"))?,
            );
        }
        let out = group
            .add_members(&key_packages, now)
            .map_err(setup("the first commit"))?;
        group
            .merge_pending_commit()
            .map_err(setup("the first commit"))?;
        let welcome = out.welcome.ok_or(SimError::Setup {
            what: "the first Welcome",
            source: cohort::Error::Internal("an add without a Welcome"),
        })?;
        let epoch = group.epoch();
        self.clients[0].group = Some(group);
        for &j in &joining {
            let g = self.clients[j]
                .client
                .join(&welcome, None, now)
                .map_err(setup("the first join"))?;
            self.clients[j].group = Some(g);
        }
        self.ds.start(epoch);
        for c in std::iter::once(0).chain(joining) {
            self.clients[c].role = Role::Member;
            // The creator lived through the group's first epoch as well.
            let mut model = MemberModel::joined(if c == 0 { 0 } else { epoch });
            if c == 0 {
                model.advance(epoch, &self.cfg.windows);
            }
            self.clients[c].model = model;
            self.clients[c].proposals = (epoch, 0);
            self.ds.subscribe(c, epoch, self.step);
            // The first member recorded at the epoch publishes its GroupInfo.
            self.record_epoch(c);
        }
        self.note(|| format!("group created at epoch {epoch}"));
        Ok(())
    }

    /// Runs the steps, then the drain (no new traffic or faults, offline members back) until
    /// everything is delivered and settled, then checks that the members converged. Stops at
    /// the first divergence.
    pub fn run(mut self) -> Report {
        for _ in 0..self.cfg.steps {
            if self.divergence.is_some() {
                break;
            }
            self.tick();
        }
        self.draining = true;
        for _ in 0..DRAIN_STEPS {
            if self.divergence.is_some() || self.quiescent() {
                break;
            }
            self.tick();
        }
        if self.divergence.is_none() {
            self.check_convergence();
        }
        self.stats.steps = self.step;
        self.stats.epochs = self.canonical.keys().next_back().map_or(0, |k| k.1);
        Report {
            config: self.cfg.clone(),
            divergence: self.divergence.take(),
            stats: self.stats.clone(),
            trace: std::mem::take(&mut self.trace),
        }
    }

    /// The simulated time.
    pub(crate) fn now(&self) -> u64 {
        START + self.step * STEP_SECONDS
    }

    /// Whether fault `f` may be injected now.
    pub(crate) fn fault(&self, f: Fault) -> bool {
        !self.draining && self.cfg.faults.contains(f)
    }

    /// Adds a line to the trace (only built when tracing).
    pub(crate) fn note(&mut self, line: impl FnOnce() -> String) {
        if self.cfg.trace {
            let line = line();
            self.trace.push(format!("{:>4} {line}", self.step));
        }
    }

    /// Records a divergence (the first one only) and stops the run.
    pub(crate) fn diverge(&mut self, kind: DivergenceKind, detail: String) {
        if self.divergence.is_none() {
            self.note(|| format!("DIVERGENCE {kind}: {detail}"));
            self.divergence = Some(Divergence {
                step: self.step,
                kind,
                detail,
            });
        }
    }

    /// The id of client `c`'s group (that of the DS's group when it has none).
    pub(crate) fn group_id_of(&self, c: usize) -> Vec<u8> {
        self.clients[c]
            .group
            .as_ref()
            .map_or_else(|| group_id(self.generation), |g| g.id().to_vec())
    }

    /// Whether the run has diverged.
    pub(crate) fn diverged(&self) -> bool {
        self.divergence.is_some()
    }

    /// One step: availability and restarts, deliveries, races, recovery, operations,
    /// invariants.
    fn tick(&mut self) {
        self.step += 1;
        self.availability();
        if self.fault(Fault::Restart) && self.rng.chance(30) {
            let candidates: Vec<usize> = (0..self.clients.len())
                .filter(|&c| self.clients[c].online())
                .collect();
            if let Some(c) = self.rng.pick(&candidates) {
                self.restart(c);
            }
        }
        for c in 0..self.clients.len() {
            if !self.clients[c].online() {
                continue;
            }
            for env in self.ds.take_due(c, self.step) {
                if self.diverged() {
                    return;
                }
                self.receive(c, env);
            }
        }
        if self.cfg.mode == DsMode::FanOut {
            for c in 0..self.clients.len() {
                if self.clients[c].online() && !self.diverged() {
                    self.settle(c);
                }
            }
        }
        if !self.diverged() {
            self.drive_reinit();
        }
        for c in 0..self.clients.len() {
            if self.clients[c].online() && !self.diverged() {
                self.recover(c);
            }
        }
        self.expire_invitations();
        if !self.draining && !self.diverged() {
            self.operate();
        }
        if !self.diverged() {
            self.check_invariants();
        }
    }

    /// Members go offline (the offline fault) and come back.
    fn availability(&mut self) {
        for c in 0..self.clients.len() {
            if let Some(until) = self.clients[c].offline_until {
                if self.draining || until <= self.step {
                    self.clients[c].offline_until = None;
                    self.note(|| format!("c{c} back online"));
                }
            }
        }
        if !self.fault(Fault::Offline) || !self.rng.chance(25) {
            return;
        }
        let online: Vec<usize> = (0..self.clients.len())
            .filter(|&c| self.clients[c].can_act())
            .collect();
        // Keep two members online.
        if online.len() <= 2 {
            return;
        }
        let Some(c) = self.rng.pick(&online) else {
            return;
        };
        let duration = if self.rng.chance(500) {
            self.rng.range(3, 15)
        } else {
            self.rng.range(20, 90)
        };
        self.clients[c].offline_until = Some(self.step + duration);
        self.stats.offline += 1;
        self.note(|| format!("c{c} offline for {duration} steps"));
    }

    /// Drops client `c`'s handles and reloads its group from its store: the reloaded group
    /// must be the one it had.
    fn restart(&mut self, c: usize) {
        let before = match self.clients[c].group.as_ref() {
            Some(g) => match memory_state(g) {
                Ok(s) => Some(s),
                Err(e) => {
                    self.diverge(DivergenceKind::StoredState, format!("c{c}: {e}"));
                    return;
                }
            },
            None => None,
        };
        let kind = self.clients[c].store.kind();
        self.note(|| format!("c{c} restarts ({kind})"));
        self.stats.restarts += 1;
        // The library's buffer is in memory: what it held was not processed, so the DS
        // delivers it again (a DS counts a message delivered once it is processed).
        let held = std::mem::take(&mut self.clients[c].held);
        for (order, env) in held.into_iter().enumerate() {
            self.ds.enqueue(c, env, self.step, order as u64);
        }
        // So is a Welcome kept for later; the handle of a closed group is gone (its state was
        // deleted).
        if let Some(env) = self.clients[c].reinit_welcome.take() {
            self.ds.enqueue(c, env, self.step, 0);
        }
        let client = &mut self.clients[c];
        let id = client.group.as_ref().map(|g| g.id().to_vec());
        client.group = None;
        client.retired = None;
        client.new_handle();
        // Rebuild from the store: the old client and handles are gone.
        let rebuilt = client
            .store
            .reopen()
            .map_err(cohort::Error::from)
            .and_then(|()| {
                member::build_client(
                    &self.provider,
                    &client.signer,
                    client.index,
                    &self.group_config,
                    self.cfg.windows.delivery_policy(),
                    &client.store,
                )
            });
        match rebuilt {
            Ok(new) => client.client = new,
            Err(e) => {
                self.diverge(
                    DivergenceKind::Restart,
                    format!("c{c} cannot rebuild its client: {e}"),
                );
                return;
            }
        }
        let (Some(before), Some(id)) = (before, id) else {
            return;
        };
        match self.clients[c].client.load_group(&id) {
            Ok(Some(g)) => {
                let after = memory_state(&g);
                self.clients[c].group = Some(g);
                match after {
                    Ok(after) if after == before => {}
                    Ok(after) => self.diverge(
                        DivergenceKind::Restart,
                        format!(
                            "c{c} reloaded at epoch {} (pending commit: {}), had epoch {} \
                             (pending commit: {}){}",
                            after.epoch,
                            after.pending,
                            before.epoch,
                            before.pending,
                            if after.epoch == before.epoch {
                                ", with a different state"
                            } else {
                                ""
                            }
                        ),
                    ),
                    Err(e) => self.diverge(DivergenceKind::StoredState, format!("c{c}: {e}")),
                }
            }
            Ok(None) => self.diverge(
                DivergenceKind::Restart,
                format!("c{c}'s group is missing from its store after a restart"),
            ),
            Err(e) => self.diverge(
                DivergenceKind::Restart,
                format!("c{c} cannot load its group after a restart: {e}"),
            ),
        }
    }

    // ----- Sending -------------------------------------------------------------------------

    /// The delays of one delivery (two for a duplicate), from the faults. Commits in fan-out
    /// mode stay inside the commit delay bound, which the race rule relies on.
    fn plan_delays(&mut self, bounded: bool) -> Vec<u64> {
        let mut delay = 1;
        if self.fault(Fault::Reorder) {
            delay += self.rng.below(3);
        }
        if self.fault(Fault::Delay) && self.rng.chance(40) {
            delay += self.rng.range(5, 30);
            self.stats.faults_injected += 1;
        }
        if self.fault(Fault::Loss) && self.rng.chance(30) {
            // Lost, and retransmitted this much later.
            delay += self.rng.range(3, 15);
            self.stats.faults_injected += 1;
        }
        let bound = |d: u64| {
            if bounded {
                d.min(self.cfg.commit_delay_bound)
            } else {
                d
            }
        };
        let mut delays = vec![bound(delay)];
        if self.fault(Fault::Duplicate) && self.rng.chance(40) {
            let extra = self.rng.below(10);
            delays.push(bound(delay + extra));
            self.stats.faults_injected += 1;
        }
        delays
    }

    /// Queues `env` for client `c`, with faults. An offline member's queue may overflow the
    /// DS's retention: it is dropped and the member will have to resync.
    pub(crate) fn deliver_to(&mut self, c: usize, env: &Rc<Envelope>) {
        let bounded = self.cfg.mode == DsMode::FanOut && env.payload.is_commit();
        for delay in self.plan_delays(bounded) {
            let order = if self.fault(Fault::Reorder) {
                self.rng.next_u64()
            } else {
                env.seq
            };
            self.ds.enqueue(c, Rc::clone(env), self.step + delay, order);
        }
        if !self.clients[c].online() && self.ds.enforce_retention(c) {
            self.clients[c].needs_resync = true;
            self.stats.dropped_queues += 1;
            self.note(|| format!("DS drops c{c}'s queue (offline too long)"));
        }
    }

    /// Sends `env` to every subscriber but its sender (which gets an echo now and then).
    pub(crate) fn fan_out(&mut self, env: &Rc<Envelope>) {
        self.ds.log(env);
        for c in self.ds.subscribers() {
            if c == env.sender {
                let handshake = matches!(env.payload, Payload::Commit { .. } | Payload::Proposal);
                if handshake && self.fault(Fault::Echo) && self.rng.chance(200) {
                    self.note(|| format!("DS echoes #{} to its sender c{c}", env.seq));
                    self.deliver_to(c, env);
                }
                continue;
            }
            self.deliver_to(c, env);
        }
    }

    // ----- Receiving -----------------------------------------------------------------------

    /// Client `c` receives `env` from the DS. A member gives it to the library, except, in
    /// fan-out mode, a commit of its epoch, which competes for the epoch until the race
    /// settles.
    pub(crate) fn receive(&mut self, c: usize, env: Rc<Envelope>) {
        if env.payload == Payload::Welcome {
            self.receive_welcome(c, &env);
            return;
        }
        match self.clients[c].role {
            Role::Outsider | Role::Invited { .. } | Role::Lost { .. } => return,
            Role::Tentative { base, .. } => {
                // Until it knows whether its external commit is in, it keeps what comes after.
                if env.epoch > base {
                    self.clients[c].undecided.push(env);
                }
                return;
            }
            _ if env.group != self.clients[c].generation => {
                self.other_group(c, &env);
                return;
            }
            Role::Resuming => {
                self.deliver_to_closed_group(c, &env, false);
                return;
            }
            Role::Member => {}
        }
        let Some(current) = self.clients[c].epoch() else {
            return;
        };
        if self.cfg.mode == DsMode::FanOut && env.payload.is_commit() && env.epoch >= current {
            // A commit competes for its epoch from the moment it arrives (our own, since we
            // sent it). One of the current epoch waits for the race to settle; one of a later
            // epoch goes to the library too, which holds it until then.
            if env.sender != c {
                self.add_candidate(c, Rc::clone(&env));
            }
            if env.epoch == current {
                return;
            }
        }
        let progress = self.progress(c);
        if let Outcome::Commit(staged) = self.process(c, &env) {
            self.take_commit(c, &env, *staged);
        }
        if self.progress(c) != progress {
            self.process_held(c);
        }
    }

    /// Fan-out mode: keeps `env` as a commit competing for its epoch.
    pub(crate) fn add_candidate(&mut self, c: usize, env: Rc<Envelope>) {
        let list = self.clients[c].candidates.entry(env.epoch).or_default();
        if !list.iter().any(|e| e.seq == env.seq) {
            list.push(env);
        }
    }

    /// Client `c` receives a Welcome.
    fn receive_welcome(&mut self, c: usize, env: &Rc<Envelope>) {
        if self.reinit_welcome(c, env) {
            return;
        }
        let now = self.now();
        let role = self.clients[c].role;
        let joined = self.clients[c].client.join(&env.message, None, now);
        match (role, joined) {
            (Role::Invited { .. }, Ok(group)) => {
                let epoch = group.epoch();
                let client = &mut self.clients[c];
                client.group = Some(group);
                client.generation = env.group;
                client.role = Role::Member;
                client.model = MemberModel::joined(epoch);
                client.proposals = (epoch, 0);
                client.new_handle();
                client.undecided.clear();
                self.ds.subscribe(c, epoch, self.step);
                self.stats.welcomes += 1;
                self.note(|| format!("c{c} joins from a Welcome at epoch {epoch}"));
                self.record_epoch(c);
            }
            (Role::Invited { .. }, Err(e)) => self.diverge(
                DivergenceKind::OperationFailed,
                format!("c{c} cannot join from its Welcome: {e}"),
            ),
            (_, Ok(_)) => self.diverge(
                DivergenceKind::OperationFailed,
                format!("c{c} joined again from another copy of a Welcome"),
            ),
            (_, Err(_)) => self.note(|| format!("c{c} refuses a copy of a Welcome")),
        }
    }

    /// Client `c` moved to a new epoch (not by a join).
    pub(crate) fn entered_epoch(&mut self, c: usize, psk: bool) {
        let w = self.cfg.windows;
        let client = &mut self.clients[c];
        let Some(epoch) = client.epoch() else {
            return;
        };
        client.model.advance(epoch, &w);
        client.proposals = (epoch, 0);
        client.candidates.retain(|e, _| *e >= epoch);
        let generation = client.generation;
        if psk && self.psk_epochs.insert((generation, epoch)) {
            self.stats.psk_commits += 1;
        }
        self.record_epoch(c);
        self.reinit_merged(c);
    }

    /// Client `c` processed its removal: it deletes the group and leaves the DS.
    pub(crate) fn removed(&mut self, c: usize) {
        let id = self.group_id_of(c);
        let client = &mut self.clients[c];
        client.group = None;
        client.role = Role::Outsider;
        client.new_handle();
        client.undecided.clear();
        client.candidates.clear();
        client.own_commit = None;
        client.needs_resync = false;
        client.model = MemberModel::default();
        let deleted = client.client.delete_group(&id);
        self.ds.unsubscribe(c);
        self.stats.removals += 1;
        self.note(|| format!("c{c} is out of the group"));
        if let Err(e) = deleted {
            self.diverge(
                DivergenceKind::OperationFailed,
                format!("c{c} cannot delete the group it left: {e}"),
            );
        }
    }

    /// Checks client `c`'s epoch against what the first member there saw (authenticator and
    /// roster); the first member at a new epoch publishes its GroupInfo.
    pub(crate) fn record_epoch(&mut self, c: usize) {
        let Some(group) = self.clients[c].group.as_ref() else {
            return;
        };
        let epoch = group.epoch();
        let generation = self.clients[c].generation;
        // A group a ReInit closed has no GroupInfo to publish: nobody may join it.
        let open = group.status() == GroupStatus::Active && generation == self.generation;
        let facts = EpochFacts {
            authenticator: group.epoch_authenticator().to_vec(),
            roster: member::roster(group),
            first: c,
        };
        match self.canonical.get(&(generation, epoch)) {
            None => {
                self.canonical.insert((generation, epoch), facts);
                self.stats.commits += 1;
                if open {
                    self.publish_group_info(c);
                }
            }
            Some(known) => {
                if known.authenticator != facts.authenticator || known.roster != facts.roster {
                    let what = if known.authenticator != facts.authenticator {
                        "epoch authenticator"
                    } else {
                        "roster"
                    };
                    let detail = format!(
                        "c{c} and c{} disagree at epoch {epoch} of group {generation} on the \
                         {what} (rosters {:?} and {:?})",
                        known.first, facts.roster, known.roster
                    );
                    self.diverge(DivergenceKind::Fork, detail);
                }
            }
        }
    }

    /// Client `c` publishes a GroupInfo of its epoch to the DS.
    pub(crate) fn publish_group_info(&mut self, c: usize) {
        let Some(group) = self.clients[c].group.as_ref() else {
            return;
        };
        match group.group_info() {
            Ok(message) => {
                let roster = member::roster(group)
                    .into_iter()
                    .map(|(leaf, client)| (client, leaf))
                    .collect();
                let epoch = group.epoch();
                self.ds.publish_group_info(GroupInfoRecord {
                    epoch,
                    message,
                    roster,
                });
            }
            Err(e) => self.diverge(
                DivergenceKind::OperationFailed,
                format!("c{c} cannot sign a GroupInfo: {e}"),
            ),
        }
    }

    /// Invitations whose Add did not make the next epoch are forgotten.
    fn expire_invitations(&mut self) {
        for c in 0..self.clients.len() {
            if let Role::Invited { epoch } = self.clients[c].role {
                if self.invitation_lapsed(c, epoch) {
                    self.clients[c].role = Role::Outsider;
                    self.note(|| format!("c{c}'s invitation lapsed"));
                } else if self.welcome_lost(c, epoch) {
                    // It is in the tree but its Welcome will never come (its committer gave up
                    // the commit, say to resync): it joins in its leaf by external commit.
                    self.clients[c].role = Role::Lost { after: epoch };
                    self.note(|| format!("c{c}'s Welcome will never come"));
                }
            }
        }
    }

    /// Whether client `c` was added at `epoch` but no Welcome is on its way nor pending with a
    /// committer.
    fn welcome_lost(&self, c: usize, epoch: u64) -> bool {
        self.canonical
            .get(&(self.generation, epoch + 1))
            .is_some_and(|f| f.roster.iter().any(|(_, client)| *client == c))
            && !self.ds.has_queued(c)
            && !self.clients.iter().any(|o| {
                o.own_commit
                    .as_ref()
                    .is_some_and(|own| own.welcome.is_some())
            })
    }

    /// Whether the Add of client `c` made at `epoch` did not make it: the next epoch exists
    /// without `c` joining in it (`c` absent, or already there from an earlier membership).
    fn invitation_lapsed(&self, c: usize, epoch: u64) -> bool {
        let has = |e: u64| {
            self.canonical
                .get(&(self.generation, e))
                .map(|f| f.roster.iter().any(|(_, client)| *client == c))
        };
        match has(epoch + 1) {
            None => false,
            Some(added) => !added || has(epoch) == Some(true),
        }
    }
}

/// A different stream for each mode, so the two runs of a seed are not the same choices.
fn mode_salt(mode: DsMode) -> u64 {
    match mode {
        DsMode::Ordered => 0,
        DsMode::FanOut => 0x5bd1_e995_0000_0000,
    }
}

/// Whether an error blames our own side (our store, our provider, a bug), which a peer's
/// message or a refused operation never may.
pub(crate) fn blames_us(e: &cohort::Error) -> bool {
    matches!(
        e,
        cohort::Error::Storage(_) | cohort::Error::Crypto(_) | cohort::Error::Internal(_)
    )
}

/// The category of an error, for the trace (no details, which may carry run-specific bytes).
pub(crate) fn error_kind(e: &cohort::Error) -> &'static str {
    match e {
        cohort::Error::Malformed(_) => "malformed",
        cohort::Error::Invalid(_) => "invalid",
        cohort::Error::Misuse(_) | cohort::Error::GroupMisuse(_) => "misuse",
        cohort::Error::Crypto(_) => "crypto",
        cohort::Error::Storage(_) => "storage",
        cohort::Error::Internal(_) => "internal",
        _ => "other",
    }
}

/// A fresh directory for a run's SQLite files.
fn run_dir(cfg: &SimConfig) -> Result<RunDir, SimError> {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let base = cfg.sqlite_dir.clone().unwrap_or_else(|| {
        let shm = PathBuf::from("/dev/shm");
        if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        }
    });
    let path = base.join(format!(
        "cohort-sim-{}-{}-{}-{}",
        std::process::id(),
        cfg.seed,
        cfg.mode,
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&path).map_err(|source| SimError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(RunDir(path))
}
