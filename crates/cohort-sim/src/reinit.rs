//! ReInit (RFC 9420 §11.2, §12.1.5) through the facade, now and then (`Fault::ReInit`).
//!
//! ```text
//!   Waiting ──(the group settles)──► Proposed ──(a member commits it)──► Committed
//!      │ (not settled in time: given up)                                    │ the committer merged it
//!      ▼                                                                    ▼
//!   no ReInit        the committer creates the new group (`reinit`) with fresh KeyPackages of
//!                    the others and sends the Welcome; the DS serves the new group from then on
//! ```
//!
//! The group first settles (no handshake in flight, no proposal cached, every member at the
//! newest epoch), so that the ReInit is the only proposal of its commit (§12.2). A member
//! proposes it, with the same cipher suite and extensions and the id [`group_id`] of the next
//! group; a member that cached it commits it; while it is under way the group carries
//! application messages only. Each member that merges the commit is [`Role::Resuming`]: its
//! group is closed (`ReInitPending`), and it joins the new group with `join_resumed` once it has
//! the Welcome (kept until then if it comes first). Messages of the old group still in flight
//! go to the closed group, which must refuse them (`GroupInactive(ReInitPending)`), or
//! recognise an own echo, without changing its state; once the member has joined the new group
//! the old one is deleted from its store, and its handle kept for what is still in flight until
//! a restart (then such messages are for a group the client no longer has, and are dropped).
//! The model (rosters, epochs, windows) starts again with the new group: epochs are keyed by
//! (group, epoch).

use std::rc::Rc;

use cohort::Received;
use cohort::group::reason::InactiveReason;
use cohort::group::{GroupStatus, ValidationError};

use crate::ds::{Envelope, Payload};
use crate::invariants::snapshot;
use crate::member::{self, Retired, Role};
use crate::model::MemberModel;
use crate::ops::CommitKind;
use crate::report::DivergenceKind;
use crate::sim::{Sim, group_id};

/// How many steps the group may take to settle before the ReInit is given up.
const SETTLE_STEPS: u64 = 40;

/// Where a ReInit stands, until its new group exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReInitPhase {
    /// The group settles, since step `since`.
    Waiting { since: u64 },
    /// A member proposed the ReInit at `epoch`; a member that cached it commits it.
    Proposed { epoch: u64 },
    /// `committer` committed it; once it merged it, it creates the new group.
    Committed { committer: usize },
}

impl Sim {
    /// Whether a ReInit waits for the group to settle.
    pub(crate) fn reinit_waiting(&self) -> bool {
        matches!(self.reinit, Some(ReInitPhase::Waiting { .. }))
    }

    /// The seed picked a ReInit: the group settles first.
    pub(crate) fn start_reinit(&mut self) {
        self.reinit = Some(ReInitPhase::Waiting { since: self.step });
        let generation = self.generation;
        self.note(|| format!("a ReInit of group {generation} is coming"));
    }

    /// Each step: moves the ReInit on, and has the members whose group it closed join the new
    /// group from a Welcome they kept.
    pub(crate) fn drive_reinit(&mut self) {
        match self.reinit {
            Some(ReInitPhase::Waiting { since }) => {
                if self.draining || self.step - since > SETTLE_STEPS {
                    self.reinit = None;
                    self.stats.reinits_given_up += 1;
                    self.note(|| "the group did not settle: no ReInit".into());
                } else if let Some(epoch) = self.settled() {
                    self.propose_reinit(epoch);
                }
            }
            Some(ReInitPhase::Proposed { epoch }) if !self.draining => self.commit_reinit(epoch),
            Some(ReInitPhase::Committed { committer }) => {
                let client = &self.clients[committer];
                if client.role == Role::Resuming && client.online() {
                    self.create_new_group(committer);
                }
            }
            _ => {}
        }
        for c in 0..self.clients.len() {
            if self.diverged() {
                return;
            }
            if self.clients[c].role == Role::Resuming && self.clients[c].online() {
                // A kept Welcome of a group the client has joined since (by another copy of it,
                // which a duplicating DS delivers) is stale.
                if let Some(env) = self.clients[c]
                    .reinit_welcome
                    .take()
                    .filter(|env| env.group > self.clients[c].generation)
                {
                    self.join_new_group(c, &env);
                }
            }
        }
    }

    /// The epoch of the group, if it is settled: every client a member at the newest epoch or
    /// an outsider, no handshake message nor Welcome in flight, no proposal cached, no commit
    /// pending, nothing held.
    fn settled(&self) -> Option<u64> {
        let (&(generation, epoch), facts) = self.canonical.iter().next_back()?;
        if generation != self.generation || self.ds.latest_epoch() != epoch {
            return None;
        }
        for (c, client) in self.clients.iter().enumerate() {
            let in_roster = facts.roster.iter().any(|(_, o)| *o == c);
            match client.role {
                Role::Outsider if !in_roster => {}
                Role::Member if in_roster => {
                    let group = client.group.as_ref()?;
                    if client.generation != generation
                        || group.epoch() != epoch
                        || group.has_pending_commit()
                        || client.needs_resync
                        || client.own_commit.is_some()
                        || !client.held.is_empty()
                        || !client.undecided.is_empty()
                        || !client.candidates.is_empty()
                        || (client.proposals.0 == epoch && client.proposals.1 > 0)
                        || self.ds.has_queued_handshake(c)
                    {
                        return None;
                    }
                }
                _ => return None,
            }
        }
        Some(epoch)
    }

    /// A member proposes the ReInit at `epoch`: the same cipher suite and extensions, the next
    /// group's id.
    fn propose_reinit(&mut self, epoch: u64) {
        let actors: Vec<usize> = (0..self.clients.len())
            .filter(|&c| self.clients[c].can_act())
            .collect();
        let Some(p) = self.rng.pick(&actors) else {
            return;
        };
        let now = self.now();
        let next = self.generation + 1;
        let Some(group) = self.clients[p].group.as_mut() else {
            return;
        };
        let context = group.group().context();
        let (suite, extensions) = (context.cipher_suite, context.extensions.clone());
        let leaf = group.own_leaf().0;
        match group.propose_reinit(&group_id(next), suite, extensions, now) {
            Ok(message) => {
                let env = self
                    .ds
                    .envelope(Payload::Proposal, epoch, p, leaf, self.step, message);
                let client = &mut self.clients[p];
                client.proposals = (epoch, 1);
                client.sent_handshake(env.seq);
                self.stats.proposals += 1;
                self.reinit = Some(ReInitPhase::Proposed { epoch });
                self.note(|| {
                    format!(
                        "c{p} proposes a ReInit into group {next} at epoch {epoch} (#{})",
                        env.seq
                    )
                });
                self.fan_out(&env);
            }
            Err(e) => self.diverge(
                DivergenceKind::OperationFailed,
                format!("c{p} cannot propose a ReInit: {e}"),
            ),
        }
    }

    /// Now and then, a member that cached the ReInit proposed at `epoch` commits it.
    fn commit_reinit(&mut self, epoch: u64) {
        let ready: Vec<usize> = (0..self.clients.len())
            .filter(|&c| {
                let client = &self.clients[c];
                client.can_act()
                    && client.generation == self.generation
                    && client.own_commit.is_none()
                    && client.proposals.0 == epoch
                    && client.proposals.1 > 0
                    && client
                        .group
                        .as_ref()
                        .is_some_and(|g| g.epoch() == epoch && !g.has_pending_commit())
            })
            .collect();
        if ready.is_empty() || !self.rng.chance(500) {
            return;
        }
        let Some(c) = self.rng.pick(&ready) else {
            return;
        };
        self.note(|| format!("c{c} commits the ReInit"));
        match self.make_commit(c, CommitKind::Pending) {
            Some(made) => {
                self.reinit = Some(ReInitPhase::Committed { committer: c });
                self.submit(made);
            }
            None if !self.diverged() => self.diverge(
                DivergenceKind::OperationFailed,
                format!("c{c} cannot commit the ReInit it cached"),
            ),
            None => {}
        }
    }

    /// Client `c` entered a new epoch: if the commit carried a ReInit, its group is closed and
    /// it waits for the new group.
    pub(crate) fn reinit_merged(&mut self, c: usize) {
        let client = &mut self.clients[c];
        let next = group_id(client.generation + 1);
        let Some(group) = client.group.as_ref() else {
            return;
        };
        if client.role != Role::Member || group.status() != GroupStatus::ReInitPending {
            return;
        }
        let epoch = group.epoch();
        let expected = group
            .pending_reinit()
            .is_some_and(|r| r.group_id.as_slice() == next.as_slice());
        if !expected {
            let detail = format!(
                "c{c} merged a ReInit at epoch {epoch} of group {} that the simulation did not \
                 make",
                client.generation
            );
            self.diverge(DivergenceKind::OperationFailed, detail);
            return;
        }
        client.role = Role::Resuming;
        self.note(|| format!("c{c} merges the ReInit: its group is closed at epoch {epoch}"));
    }

    /// Client `c`, which committed the ReInit and merged it, creates the new group with fresh
    /// KeyPackages of the other members, and sends them the Welcome. The DS switches to it.
    fn create_new_group(&mut self, c: usize) {
        let now = self.now();
        let Some(old) = self.clients[c].group.as_ref() else {
            return;
        };
        let others: Vec<usize> = member::roster(old)
            .into_iter()
            .map(|(_, o)| o)
            .filter(|&o| o != c && o < self.clients.len())
            .collect();
        let mut key_packages = Vec::with_capacity(others.len());
        for &o in &others {
            match self.clients[o].client.generate_key_package(now) {
                Ok(kp) => key_packages.push(kp),
                Err(e) => {
                    self.diverge(
                        DivergenceKind::OperationFailed,
                        format!("c{o} cannot make a KeyPackage: {e}"),
                    );
                    return;
                }
            }
        }
        let client = &mut self.clients[c];
        let Some(old) = client.group.as_ref() else {
            return;
        };
        let (group, out) = match old.reinit(&client.client, &key_packages, now) {
            Ok(made) => made,
            Err(e) => {
                self.diverge(
                    DivergenceKind::OperationFailed,
                    format!("c{c} cannot create the new group of the ReInit: {e}"),
                );
                return;
            }
        };
        let (epoch, leaf) = (group.epoch(), group.own_leaf().0);
        let generation = self.generation + 1;
        self.retire(c, group, generation);
        // The creator lived through the new group's first epoch as well.
        let mut model = MemberModel::joined(0);
        model.advance(epoch, &self.cfg.windows);
        self.clients[c].model = model;
        if self.diverged() {
            return;
        }
        self.generation = generation;
        self.reinit = None;
        self.ds.switch(generation, epoch);
        self.ds.subscribe_keeping(c, epoch, self.step);
        self.stats.reinits += 1;
        self.note(|| {
            let to: Vec<String> = others.iter().map(|o| format!("c{o}")).collect();
            format!(
                "c{c} creates group {generation} at epoch {epoch}, Welcome to {}",
                to.join(", ")
            )
        });
        self.record_epoch(c);
        let Some(welcome) = out.welcome else {
            if !others.is_empty() {
                self.diverge(
                    DivergenceKind::OperationFailed,
                    format!("c{c}'s new group of the ReInit came without a Welcome"),
                );
            }
            return;
        };
        for o in others {
            let env =
                self.ds
                    .envelope(Payload::Welcome, epoch, c, leaf, self.step, welcome.clone());
            self.deliver_to(o, &env);
        }
    }

    /// Client `c` has `group`, of group `generation`, in place of the group a ReInit closed:
    /// the closed one is retired (kept in memory for what is still in flight, deleted from the
    /// store).
    fn retire(&mut self, c: usize, group: cohort::ClientGroup, generation: u32) {
        let client = &mut self.clients[c];
        let Some(old) = client.group.replace(group) else {
            return;
        };
        let old_id = old.id().to_vec();
        client.retired = Some(Retired {
            generation: client.generation,
            group: old,
            sent: std::mem::take(&mut client.sent),
        });
        client.new_handle();
        client.generation = generation;
        client.role = Role::Member;
        client.undecided.clear();
        client.candidates.clear();
        client.own_commit = None;
        client.needs_resync = false;
        let epoch = client.epoch().unwrap_or_default();
        client.proposals = (epoch, 0);
        client.model = MemberModel::joined(epoch);
        if let Err(e) = client.client.delete_group(&old_id) {
            self.diverge(
                DivergenceKind::OperationFailed,
                format!("c{c} cannot delete the group the ReInit closed: {e}"),
            );
        }
    }

    /// Client `c` received a Welcome: if it is for the new group of a ReInit of its group, it
    /// joins (or keeps it until it has merged the ReInit) and this returns true.
    pub(crate) fn reinit_welcome(&mut self, c: usize, env: &Rc<Envelope>) -> bool {
        let client = &mut self.clients[c];
        if env.group <= client.generation || !matches!(client.role, Role::Member | Role::Resuming) {
            return false;
        }
        if client.role == Role::Resuming {
            self.join_new_group(c, env);
        } else {
            client.reinit_welcome = Some(Rc::clone(env));
            self.note(|| {
                format!(
                    "c{c} keeps the Welcome of group {} until it has merged the ReInit",
                    env.group
                )
            });
        }
        true
    }

    /// Client `c`, whose group the ReInit closed, joins the new group from `env`, its Welcome.
    fn join_new_group(&mut self, c: usize, env: &Envelope) {
        let now = self.now();
        let client = &mut self.clients[c];
        let Some(old) = client.group.as_ref() else {
            return;
        };
        match client.client.join_resumed(&env.message, None, old, now) {
            Ok(group) => {
                let epoch = group.epoch();
                // Another copy of this Welcome may have been kept; it is no longer needed.
                client.reinit_welcome = None;
                self.retire(c, group, env.group);
                if self.diverged() {
                    return;
                }
                self.ds.subscribe_keeping(c, epoch, self.step);
                self.stats.reinit_joins += 1;
                self.note(|| {
                    format!(
                        "c{c} joins group {} from the ReInit's Welcome at epoch {epoch}",
                        env.group
                    )
                });
                self.record_epoch(c);
            }
            Err(e) => self.diverge(
                DivergenceKind::OperationFailed,
                format!(
                    "c{c} cannot join group {} from the ReInit's Welcome: {e}",
                    env.group
                ),
            ),
        }
    }

    /// Client `c`, a member, received `env`, a message of another group than its own: of the
    /// group a ReInit closed, it goes to that group's handle if the client still has it.
    pub(crate) fn other_group(&mut self, c: usize, env: &Envelope) {
        let client = &self.clients[c];
        if env.group > client.generation {
            let detail = format!(
                "c{c}, in group {}, received {} #{} of group {}",
                client.generation,
                env.payload.name(),
                env.seq,
                env.group
            );
            self.diverge(DivergenceKind::Delivery, detail);
            return;
        }
        if client.retired.as_ref().map(|r| r.generation) == Some(env.group) {
            self.deliver_to_closed_group(c, env, true);
        } else {
            self.stats.closed_group_dropped += 1;
            self.note(|| {
                format!(
                    "c{c} drops {} #{} of group {}, which it no longer has",
                    env.payload.name(),
                    env.seq,
                    env.group
                )
            });
        }
    }

    /// Client `c` gives `env` to its group that a ReInit closed (`retired`: the handle it kept
    /// after joining the new group; otherwise its group, as it waits for the Welcome). The group
    /// accepts nothing more: it must refuse the message, or recognise an own handshake message
    /// of an earlier epoch as an echo, and its state must stay as it was.
    pub(crate) fn deliver_to_closed_group(&mut self, c: usize, env: &Envelope, retired: bool) {
        let now = self.now();
        let client = &mut self.clients[c];
        let (group, sent) = if retired {
            match client.retired.as_mut() {
                Some(r) => (&mut r.group, &r.sent),
                None => return,
            }
        } else {
            match client.group.as_mut() {
                Some(g) => (g, &client.sent),
                None => return,
            }
        };
        let current = group.epoch();
        let handshake = !matches!(env.payload, Payload::App { .. });
        let own_echo = handshake && env.sender == c && env.epoch < current;
        let remembered = own_echo && sent.contains(&env.seq);
        let before = snapshot(group, &client.store);
        let result = group.process_message(env.message.clone(), now);
        let after = snapshot(group, &client.store);
        let (name, seq) = (env.payload.name(), env.seq);
        let what = match &result {
            Ok(_) => "processed".to_owned(),
            Err(e) => format!("refused ({e})"),
        };
        if !self.unchanged(c, before, after, || {
            format!("{name} #{seq} {what} by the group the ReInit closed")
        }) {
            return;
        }
        match result {
            Ok(Received::Echo) if own_echo => {
                self.stats.echoes += 1;
                self.note(|| {
                    format!("c{c}'s closed group recognises the echo of its {name} #{seq}")
                });
            }
            Err(cohort::Error::Invalid(ValidationError::GroupInactive(
                InactiveReason::ReInitPending,
            ))) if !remembered => {
                self.stats.closed_group_refused += 1;
                self.note(|| {
                    format!(
                        "c{c}'s closed group refuses {name} #{seq} of epoch {}",
                        env.epoch
                    )
                });
            }
            Err(e) if remembered => self.own_echo_refused(c, env, &e),
            other => self.diverge(
                DivergenceKind::WrongReason,
                format!(
                    "c{c}'s group closed by a ReInit at epoch {current} gave {other:?} for {name} \
                     #{seq} of epoch {} from c{}; a refusal (GroupInactive) or an own echo \
                     expected",
                    env.epoch, env.sender
                ),
            ),
        }
    }
}
