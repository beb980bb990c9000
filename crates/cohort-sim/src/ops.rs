//! The operations the seed picks: application messages, commits (self-update, add, remove,
//! proposals), proposals, external joins, concurrent commits; and what happens when the DS
//! accepts or refuses a commit, or the race settles it.

use cohort::messages::MlsMessage;
use cohort::tree::math::LeafIndex;
use cohort::{ClientGroup, ExternalJoinOptions};

use crate::config::{DsMode, Fault};
use crate::ds::Payload;
use crate::member::{self, OwnCommit, Role, Roster};
use crate::model::MemberModel;
use crate::report::DivergenceKind;
use crate::sim::{Made, PSK_ID, Sim, blames_us, error_kind};

impl Sim {
    /// The seed picks this step's operation.
    pub(crate) fn operate(&mut self) {
        let actors: Vec<usize> = (0..self.clients.len())
            .filter(|&c| self.clients[c].can_act() && self.clients[c].generation == self.generation)
            .collect();
        // While a ReInit is under way, the group carries application messages only (and, while
        // it waits for the group to settle, commits of the proposals already made).
        let handshakes = u64::from(self.reinit.is_none());
        let flush = u64::from(self.reinit.is_none() || self.reinit_waiting());
        let committers: Vec<usize> = actors
            .iter()
            .copied()
            .filter(|&c| {
                let client = &self.clients[c];
                client.own_commit.is_none()
                    && client
                        .group
                        .as_ref()
                        .is_some_and(|g| !g.has_pending_commit())
            })
            .collect();
        let outsiders: Vec<usize> = (0..self.clients.len())
            .filter(|&c| self.clients[c].role == Role::Outsider && self.clients[c].online())
            .collect();
        let with_proposals: Vec<usize> = committers
            .iter()
            .copied()
            .filter(|&c| {
                let client = &self.clients[c];
                client.epoch() == Some(client.proposals.0) && client.proposals.1 > 0
            })
            .collect();
        let group_size = self
            .canonical
            .values()
            .next_back()
            .map_or(0, |f| f.roster.len());
        let can_remove = group_size >= 3;
        let has = |v: &[usize]| u64::from(!v.is_empty());
        let h = handshakes;
        let weights = [
            40 * has(&actors),                                // application message
            8 * h * has(&committers),                         // self-update
            8 * h * has(&committers) * has(&outsiders),       // add
            6 * h * has(&committers) * u64::from(can_remove), // remove
            10 * h * has(&actors),                            // propose
            10 * flush * has(&with_proposals),                // commit pending
            5 * h
                * has(&outsiders)
                * u64::from(self.fault(Fault::ExternalJoin) && self.ds.group_info().is_some()),
            5 * h * u64::from(committers.len() >= 2 && self.fault(Fault::ConcurrentCommits)),
            // ReInit: the group settles first, then a member proposes it.
            h * u64::from(self.fault(Fault::ReInit) && group_size >= 2),
        ];
        match self.rng.weighted(&weights) {
            Some(0) => {
                if let Some(c) = self.rng.pick(&actors) {
                    self.send_application(c);
                }
            }
            Some(1) => {
                if let Some(c) = self.rng.pick(&committers) {
                    self.commit_now(c, CommitKind::Update);
                }
            }
            Some(2) => {
                if let (Some(c), Some(o)) = (self.rng.pick(&committers), self.rng.pick(&outsiders))
                {
                    self.commit_now(c, CommitKind::Add(o));
                }
            }
            Some(3) => {
                if let Some(c) = self.rng.pick(&committers) {
                    if let Some(t) = self.pick_other_member(c) {
                        self.commit_now(c, CommitKind::Remove(t));
                    }
                }
            }
            Some(4) => {
                if let Some(c) = self.rng.pick(&actors) {
                    self.propose(c, &outsiders, can_remove);
                }
            }
            Some(5) => {
                if let Some(c) = self.rng.pick(&with_proposals) {
                    self.commit_now(c, CommitKind::Pending);
                }
            }
            Some(6) => {
                if let Some(o) = self.rng.pick(&outsiders) {
                    if let Some(made) = self.external_join(o) {
                        self.submit(made);
                    }
                }
            }
            Some(7) => self.concurrent_commits(committers, outsiders, can_remove),
            Some(8) => self.start_reinit(),
            _ => {}
        }
    }

    /// Another client in `c`'s roster, chosen by the seed.
    fn pick_other_member(&mut self, c: usize) -> Option<usize> {
        let group = self.clients[c].group.as_ref()?;
        let others: Vec<usize> = member::roster(group)
            .into_iter()
            .map(|(_, client)| client)
            .filter(|&o| o != c && o < self.clients.len())
            .collect();
        self.rng.pick(&others)
    }

    /// Client `c` sends an application message.
    fn send_application(&mut self, c: usize) {
        let id = self.next_message;
        self.next_message += 1;
        let client = &mut self.clients[c];
        let Some(group) = client.group.as_mut() else {
            return;
        };
        let (epoch, leaf) = (group.epoch(), group.own_leaf().0);
        match group.send_message(format!("sim-message {id}").as_bytes()) {
            Ok(message) => {
                let generation = client.model.send(epoch, leaf);
                let env = self.ds.envelope(
                    Payload::App { id, generation },
                    epoch,
                    c,
                    leaf,
                    self.step,
                    message,
                );
                self.stats.app_sent += 1;
                self.note(|| format!("c{c} sends message {id} at epoch {epoch} (#{})", env.seq));
                self.fan_out(&env);
            }
            Err(e) => self.diverge(
                DivergenceKind::OperationFailed,
                format!("c{c} cannot send a message: {e}"),
            ),
        }
    }

    /// Client `c` sends a proposal: an update, a remove, an add, a PSK, or to leave.
    fn propose(&mut self, c: usize, outsiders: &[usize], can_remove: bool) {
        let now = self.now();
        let psk = self.fault(Fault::Psk);
        let weights = [
            3,
            2 * u64::from(can_remove),
            2 * u64::from(!outsiders.is_empty()),
            3 * u64::from(psk),
            u64::from(can_remove),
        ];
        let kind = self.rng.weighted(&weights);
        let target = if kind == Some(1) {
            self.pick_other_member(c)
        } else {
            None
        };
        let outsider = if kind == Some(2) {
            self.rng.pick(outsiders)
        } else {
            None
        };
        let key_package = match outsider {
            Some(o) => match self.clients[o].client.generate_key_package(now) {
                Ok(kp) => Some(kp),
                Err(e) => {
                    self.diverge(
                        DivergenceKind::OperationFailed,
                        format!("c{o} cannot make a KeyPackage: {e}"),
                    );
                    return;
                }
            },
            None => None,
        };
        let Some(group) = self.clients[c].group.as_mut() else {
            return;
        };
        let (epoch, leaf) = (group.epoch(), group.own_leaf().0);
        let target_leaf = target.and_then(|t| leaf_of(group, t));
        let (what, result) = match (kind, target_leaf, &key_package) {
            (Some(0), _, _) => ("update", group.propose_update(now)),
            (Some(1), Some(l), _) => ("remove", group.propose_remove(LeafIndex(l), now)),
            (Some(2), _, Some(kp)) => ("add", group.propose_add(kp, now)),
            (Some(3), _, _) => ("psk", group.propose_external_psk(PSK_ID, now)),
            (Some(4), _, _) => ("leave", group.leave(now)),
            _ => return,
        };
        match result {
            Ok(message) => {
                if let Some(o) = outsider {
                    self.clients[o].role = Role::Invited { epoch };
                }
                let env = self
                    .ds
                    .envelope(Payload::Proposal, epoch, c, leaf, self.step, message);
                let client = &mut self.clients[c];
                client.proposals = if client.proposals.0 == epoch {
                    (epoch, client.proposals.1 + 1)
                } else {
                    (epoch, 1)
                };
                client.sent_handshake(env.seq);
                self.stats.proposals += 1;
                self.note(|| {
                    let about = match (target, outsider) {
                        (Some(t), _) => format!(" of c{t}"),
                        (_, Some(o)) => format!(" of c{o}"),
                        _ => String::new(),
                    };
                    format!(
                        "c{c} proposes {what}{about} at epoch {epoch} (#{})",
                        env.seq
                    )
                });
                self.fan_out(&env);
            }
            Err(e) => self.op_failed(c, what, &e, false),
        }
    }

    /// An operation of client `c` failed: a divergence if it blames our side or `must` is set,
    /// otherwise the library refused it (counted).
    fn op_failed(&mut self, c: usize, what: &str, e: &cohort::Error, must: bool) {
        if must || blames_us(e) {
            self.diverge(
                DivergenceKind::OperationFailed,
                format!("c{c} cannot {what}: {e}"),
            );
        } else {
            self.stats.ops_refused += 1;
            let e = error_kind(e);
            self.note(|| format!("c{c}'s {what} refused by the library ({e})"));
        }
    }

    /// Client `c` makes a commit and gives it to the DS at once.
    pub(crate) fn commit_now(&mut self, c: usize, kind: CommitKind) {
        if let Some(made) = self.make_commit(c, kind) {
            self.submit(made);
        }
    }

    /// Several members (and maybe an outsider, by external commit) commit from their epoch in
    /// the same step; the DS gets the commits in a random order.
    fn concurrent_commits(
        &mut self,
        mut committers: Vec<usize>,
        outsiders: Vec<usize>,
        can_remove: bool,
    ) {
        self.rng.shuffle(&mut committers);
        let count = self.rng.range(2, 3) as usize;
        let mut outsiders = outsiders;
        self.rng.shuffle(&mut outsiders);
        let mut made = Vec::new();
        for &c in committers.iter().take(count) {
            let kind = match self.rng.below(3) {
                0 if can_remove => match self.pick_other_member(c) {
                    Some(t) => CommitKind::Remove(t),
                    None => CommitKind::Update,
                },
                1 => match outsiders.pop() {
                    Some(o) => CommitKind::Add(o),
                    None => CommitKind::Update,
                },
                _ => CommitKind::Update,
            };
            if let Some(m) = self.make_commit(c, kind) {
                made.push(m);
            }
            if self.diverged() {
                return;
            }
        }
        if self.fault(Fault::ExternalJoin) && self.rng.chance(300) {
            if let Some(o) = outsiders.pop() {
                if let Some(m) = self.external_join(o) {
                    made.push(m);
                }
            }
        }
        self.rng.shuffle(&mut made);
        let who: Vec<String> = made.iter().map(|m| format!("c{}", m.client)).collect();
        self.note(|| format!("concurrent commits from {}", who.join(", ")));
        for m in made {
            self.submit(m);
        }
    }

    /// Client `c` makes a commit of `kind`, pending until the DS or the race decides.
    pub(crate) fn make_commit(&mut self, c: usize, kind: CommitKind) -> Option<Made> {
        let now = self.now();
        let key_package = match kind {
            CommitKind::Add(o) => match self.clients[o].client.generate_key_package(now) {
                Ok(kp) => Some(kp),
                Err(e) => {
                    self.diverge(
                        DivergenceKind::OperationFailed,
                        format!("c{o} cannot make a KeyPackage: {e}"),
                    );
                    return None;
                }
            },
            _ => None,
        };
        let group = self.clients[c].group.as_mut()?;
        if group.has_pending_commit() {
            return None;
        }
        let (epoch, leaf) = (group.epoch(), group.own_leaf().0);
        let roster_before = member::roster(group);
        let (what, result) = match (kind, &key_package) {
            (CommitKind::Update, _) => ("self-update", group.self_update(now)),
            (CommitKind::Add(_), Some(kp)) => {
                ("add", group.add_members(std::slice::from_ref(kp), now))
            }
            (CommitKind::Remove(t), _) => match leaf_of(group, t) {
                Some(l) => ("remove", group.remove_members(&[LeafIndex(l)], now)),
                None => return None,
            },
            (CommitKind::Pending, _) => ("commit proposals", group.commit_pending(now)),
            (CommitKind::Add(_), None) => return None,
        };
        match result {
            Ok(out) => {
                if let CommitKind::Add(o) = kind {
                    self.clients[o].role = Role::Invited { epoch };
                }
                let env = self.ds.envelope(
                    Payload::Commit { external: false },
                    epoch,
                    c,
                    leaf,
                    self.step,
                    out.commit,
                );
                self.clients[c].sent_handshake(env.seq);
                self.note(|| {
                    let about = match kind {
                        CommitKind::Add(o) | CommitKind::Remove(o) => format!(" c{o}"),
                        _ => String::new(),
                    };
                    format!("c{c} commits {what}{about} at epoch {epoch} (#{})", env.seq)
                });
                Some(Made {
                    client: c,
                    env,
                    welcome: out.welcome,
                    roster_before,
                    external: None,
                })
            }
            Err(e) => {
                self.op_failed(c, what, &e, false);
                None
            }
        }
    }

    /// Outsider `o` joins by external commit from the DS's newest GroupInfo (sometimes with the
    /// external PSK).
    fn external_join(&mut self, o: usize) -> Option<Made> {
        let info = self.ds.group_info()?.clone();
        if self.external_undecided(info.epoch) {
            return None;
        }
        let with_psk = self.fault(Fault::Psk) && self.rng.chance(300);
        let mut options = ExternalJoinOptions::default();
        if with_psk {
            options = options.psks(vec![PSK_ID.to_vec()]);
        }
        let now = self.now();
        match self.clients[o]
            .client
            .join_by_external_commit_with(&info.message, options, now)
        {
            Ok((group, commit)) => {
                let leaf = group.own_leaf().0;
                self.clients[o].group = Some(group);
                self.clients[o].generation = self.generation;
                self.clients[o].new_handle();
                let env = self.ds.envelope(
                    Payload::Commit { external: true },
                    info.epoch,
                    o,
                    leaf,
                    self.step,
                    commit,
                );
                self.note(|| {
                    let psk = if with_psk { " with the PSK" } else { "" };
                    format!(
                        "c{o} joins by external commit at epoch {}{psk} (#{})",
                        info.epoch, env.seq
                    )
                });
                Some(Made {
                    client: o,
                    env,
                    welcome: None,
                    roster_before: Vec::new(),
                    external: Some(false),
                })
            }
            Err(e) => {
                self.op_failed(o, "join by external commit", &e, false);
                None
            }
        }
    }

    /// Fan-out mode: whether an external commit on `epoch` is undecided. The library's rule
    /// ranks external commits after members' and, among them, by confirmation tag, which
    /// depends on fresh keys: two of them in one race would make the run depend on more than
    /// the seed. So an external committer waits for the other's outcome.
    pub(crate) fn external_undecided(&self, epoch: u64) -> bool {
        self.cfg.mode == DsMode::FanOut
            && self
                .clients
                .iter()
                .any(|c| matches!(c.role, Role::Tentative { base, .. } if base == epoch))
    }

    /// Gives a commit to the DS. Ordered mode: accepted (merged, fanned out, the Welcome sent)
    /// or refused (dropped by its sender). Fan-out mode: fanned out, and pending until the
    /// race of its epoch is settled.
    pub(crate) fn submit(&mut self, made: Made) {
        let Made {
            client: c,
            env,
            welcome,
            roster_before,
            external,
        } = made;
        match self.cfg.mode {
            DsMode::Ordered => {
                if self.ds.accept_commit(&env) {
                    self.note(|| format!("DS accepts #{}", env.seq));
                    self.fan_out(&env);
                    match external {
                        Some(resync) => self.external_won(c, env.epoch, resync),
                        None => self.own_commit_won(c, welcome, &roster_before),
                    }
                } else {
                    self.note(|| format!("DS refuses #{} from c{c}", env.seq));
                    match external {
                        Some(resync) => {
                            self.stats.commits_lost += 1;
                            self.external_lost(c, resync, env.epoch);
                        }
                        None => self.commit_refused(c, env.seq),
                    }
                }
            }
            DsMode::FanOut => {
                self.fan_out(&env);
                if let Some(resync) = external {
                    self.clients[c].role = Role::Tentative {
                        base: env.epoch,
                        resync,
                    };
                    // It hears the group from the commit's epoch on (the competing commits).
                    self.ds.subscribe(c, env.epoch, self.step);
                }
                self.clients[c].own_commit = Some(OwnCommit {
                    seq: env.seq,
                    welcome,
                    roster_before,
                });
                self.add_candidate(c, env);
            }
        }
    }

    /// Ordered mode: the DS refused client `c`'s commit `seq` (another commit was accepted for
    /// the epoch). Either the client drops it at once (`clear_pending_commit`, what it carried
    /// is gone), or it keeps it pending until the accepted commit arrives: merging that one
    /// then drops it and proposes again what it carried (`Merged::lost_commit`).
    fn commit_refused(&mut self, c: usize, seq: u64) {
        if self.rng.chance(500) {
            self.stats.commits_lost += 1;
            if let Some(group) = self.clients[c].group.as_mut() {
                if let Err(e) = group.clear_pending_commit() {
                    self.diverge(
                        DivergenceKind::OperationFailed,
                        format!("c{c} cannot drop its refused commit: {e}"),
                    );
                }
            }
        } else {
            self.note(|| format!("c{c} keeps #{seq} pending until the winner arrives"));
            self.clients[c].own_commit = Some(OwnCommit {
                seq,
                welcome: None,
                roster_before: Vec::new(),
            });
        }
    }

    /// Client `c`'s commit won (ordered mode: the DS accepted it): it merges it, and sends the
    /// Welcome to the new members.
    pub(crate) fn own_commit_won(
        &mut self,
        c: usize,
        welcome: Option<MlsMessage>,
        roster_before: &Roster,
    ) {
        let Some(group) = self.clients[c].group.as_mut() else {
            return;
        };
        if let Err(e) = group.merge_pending_commit() {
            self.diverge(
                DivergenceKind::OperationFailed,
                format!("c{c} cannot merge its accepted commit: {e}"),
            );
            return;
        }
        let epoch = group.epoch();
        self.note(|| format!("c{c} merges its commit, now at epoch {epoch}"));
        self.entered_epoch(c, false);
        self.send_welcome(c, welcome, roster_before);
        self.process_held(c);
    }

    /// Client `c`, whose commit (adding clients) was merged, sends its Welcome to the clients
    /// that were not in `roster_before`.
    pub(crate) fn send_welcome(
        &mut self,
        c: usize,
        welcome: Option<MlsMessage>,
        roster_before: &Roster,
    ) {
        let Some(welcome) = welcome else {
            return;
        };
        let Some(group) = self.clients[c].group.as_ref() else {
            return;
        };
        let (epoch, leaf) = (group.epoch(), group.own_leaf().0);
        let after = member::roster(group);
        for (_, j) in after {
            if j < self.clients.len() && !roster_before.iter().any(|(_, b)| *b == j) {
                let env =
                    self.ds
                        .envelope(Payload::Welcome, epoch, c, leaf, self.step, welcome.clone());
                self.deliver_to(j, &env);
            }
        }
    }

    /// Client `c`'s external commit on epoch `base` won: it is a member.
    pub(crate) fn external_won(&mut self, c: usize, base: u64, resync: bool) {
        let client = &mut self.clients[c];
        client.role = Role::Member;
        client.needs_resync = false;
        client.own_commit = None;
        client.model = MemberModel::joined(base + 1);
        client.proposals = (base + 1, 0);
        client.candidates.retain(|e, _| *e > base);
        client.invited_if_out = None;
        if resync {
            self.stats.resyncs += 1;
        } else {
            self.stats.external_joins += 1;
        }
        if self.cfg.mode == DsMode::Ordered {
            self.ds.subscribe(c, base + 1, self.step);
        }
        let what = if resync { "resync" } else { "external join" };
        self.note(|| format!("c{c}'s {what} is in: epoch {}", base + 1));
        self.record_epoch(c);
        // A resync keeps the handle, and what it held.
        self.process_held(c);
    }

    /// Client `c`'s external commit lost: it deletes the group it made. A joiner is an outsider
    /// again; a member that resynced has lost its state and rejoins in its own place.
    pub(crate) fn external_lost(&mut self, c: usize, resync: bool, base: u64) {
        let id = self.group_id_of(c);
        let client = &mut self.clients[c];
        client.group = None;
        client.own_commit = None;
        client.new_handle();
        client.undecided.clear();
        client.candidates.clear();
        let deleted = client.client.delete_group(&id);
        if resync {
            client.role = Role::Lost { after: base };
        } else {
            client.role = match client.invited_if_out.take() {
                Some(epoch) => Role::Invited { epoch },
                None => Role::Outsider,
            };
            self.ds.unsubscribe(c);
        }
        self.note(|| format!("c{c}'s external commit lost"));
        if let Err(e) = deleted {
            self.diverge(
                DivergenceKind::OperationFailed,
                format!("c{c} cannot delete its lost group: {e}"),
            );
        }
    }
}

/// What a commit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommitKind {
    Update,
    Add(usize),
    Remove(usize),
    Pending,
}

/// The leaf of client `t` in `group`.
fn leaf_of(group: &ClientGroup, t: usize) -> Option<u32> {
    member::roster(group)
        .into_iter()
        .find(|(_, client)| *client == t)
        .map(|(leaf, _)| leaf)
}
