//! Delivery through the library: every message a member receives goes to
//! `ClientGroup::process_message`, early messages wait in the library's buffer
//! (`Received::Held`, `process_held`), commit races are settled by `cohort::winning_commit`,
//! lost commits are reported and re-proposed by `merge_staged`, echoes are `Received::Echo`.
//!
//! The simulation only checks: before each message it predicts what the library must do (from
//! the windows, the buffer's bounds and what the member itself sent), and after it compares. It
//! mirrors the library's buffer (the messages it holds, in order) so that each result of
//! `process_held` is judged against the message it is for.

use std::rc::Rc;

use cohort::group::StagedCommit;
use cohort::messages::proposal::Proposal;
use cohort::messages::{MlsMessage, MlsMessageBody};
use cohort::{DeliveryError, LostCommit, Received};

use crate::config::DsMode;
use crate::ds::{Envelope, Payload};
use crate::invariants::snapshot;
use crate::member::{self, Role};
use crate::race::Candidate;
use crate::report::{DivergenceKind, Gap};
use crate::sim::{Sim, blames_us};

/// What the library must do with a message, as the simulation predicts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Decrypt it (application data), or take it (a proposal or commit of the current epoch; a
    /// commit may also be held until a proposal it references arrives).
    Accept,
    /// Hold it: of a future epoch, inside the buffer's bounds.
    Hold,
    /// Our own handshake message of a past epoch that the handle remembers: `Received::Echo`.
    Echo,
    /// Our own handshake message of a past epoch that the handle may have forgotten (a
    /// restart, a new handle, newer messages): `Received::Echo` or refused as too old.
    MaybeEcho,
    /// Refuse it with this error (`why` names the model's reason, for the report).
    Refuse(DeliveryError, &'static str),
}

/// What a processed message did.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Decrypted, or a proposal cached.
    Applied,
    /// A commit, staged: the caller merges it (or, fan-out mode, lets the race decide).
    Commit(Box<StagedCommit>),
    /// Held by the library.
    Held,
    /// Recognised as our own echo, or refused (as predicted, or a divergence was recorded).
    Refused,
}

/// The state of a member that `process_held` may change what the library can do with: its
/// role, its epoch, and the proposals it cached.
pub(crate) type Progress = (Role, Option<u64>, (u64, u32));

impl Sim {
    pub(crate) fn progress(&self, c: usize) -> Progress {
        let client = &self.clients[c];
        (client.role, client.epoch(), client.proposals)
    }

    /// What the library must do with `env` for client `c` at epoch `current`.
    pub(crate) fn expect(&self, c: usize, env: &Envelope, current: u64) -> Expect {
        let client = &self.clients[c];
        let w = &self.cfg.windows;
        if env.epoch > current {
            if env.epoch - current > w.max_epochs_ahead {
                return Expect::Refuse(
                    DeliveryError::TooFarInFuture {
                        epoch: env.epoch,
                        current,
                    },
                    "too-far-in-future",
                );
            }
            if client.held.len() >= w.max_buffered {
                return Expect::Refuse(
                    DeliveryError::BufferFull { epoch: env.epoch },
                    "buffer-full",
                );
            }
            return Expect::Hold;
        }
        match env.payload {
            Payload::App { generation, .. } => {
                let p = client
                    .model
                    .predict(current, env.epoch, env.sender_leaf, generation, w);
                match p.error(env.epoch, current, env.sender_leaf, generation) {
                    None => Expect::Accept,
                    Some(e) => Expect::Refuse(e, p.name()),
                }
            }
            _ if env.epoch < current && env.sender == c => {
                if client.sent.contains(&env.seq) {
                    Expect::Echo
                } else {
                    Expect::MaybeEcho
                }
            }
            _ if env.epoch < current => Expect::Refuse(
                DeliveryError::TooOld {
                    epoch: env.epoch,
                    current,
                },
                "past-epoch handshake",
            ),
            _ => Expect::Accept,
        }
    }

    /// Client `c`, a member, processes `env` through the library. A rejection, a hold, an echo
    /// or a staged commit must leave its state (in memory and stored) byte-identical.
    pub(crate) fn process(&mut self, c: usize, env: &Rc<Envelope>) -> Outcome {
        let now = self.now();
        let Some(current) = self.clients[c].epoch() else {
            return Outcome::Refused;
        };
        let expect = self.expect(c, env, current);
        let client = &mut self.clients[c];
        let Some(group) = client.group.as_mut() else {
            return Outcome::Refused;
        };
        let before = snapshot(group, &client.store);
        let result = group.process_message(env.message.clone(), now);
        let changes = matches!(
            result,
            Ok(Received::Application { .. } | Received::Proposal { .. })
        );
        if !changes {
            let after = snapshot(group, &client.store);
            let what = match &result {
                Ok(r) => received_name(r).to_owned(),
                Err(e) => format!("refused ({e})"),
            };
            if !self.unchanged(c, before, after, || {
                format!("{} #{} {what}", env.payload.name(), env.seq)
            }) {
                return Outcome::Refused;
            }
        }
        self.judge(c, env, current, &expect, result)
    }

    /// Checks that a message that changed nothing left the state as it was.
    pub(crate) fn unchanged(
        &mut self,
        c: usize,
        before: Result<crate::invariants::Snapshot, String>,
        after: Result<crate::invariants::Snapshot, String>,
        what: impl FnOnce() -> String,
    ) -> bool {
        match (before, after) {
            (Ok(b), Ok(a)) if a == b => true,
            (Ok(_), Ok(_)) => {
                let what = what();
                self.diverge(
                    DivergenceKind::RejectionChangedState,
                    format!("c{c}: {what}, but its state changed"),
                );
                false
            }
            (Err(s), _) | (_, Err(s)) => {
                self.diverge(DivergenceKind::StoredState, format!("c{c}: {s}"));
                false
            }
        }
    }

    /// Compares the library's `result` for `env` (client `c` at epoch `current`) with what
    /// was expected, and records it.
    fn judge(
        &mut self,
        c: usize,
        env: &Rc<Envelope>,
        current: u64,
        expect: &Expect,
        result: Result<Received, cohort::Error>,
    ) -> Outcome {
        let w = self.cfg.windows;
        let name = env.payload.name();
        let seq = env.seq;
        match result {
            Ok(Received::Application { sender, data, .. }) => {
                let Payload::App { id, generation } = env.payload else {
                    self.diverge(
                        DivergenceKind::OperationFailed,
                        format!("c{c} read {name} #{seq} as application data"),
                    );
                    return Outcome::Refused;
                };
                if message_id(&data) != Some(id) || sender.leaf.0 != env.sender_leaf {
                    self.diverge(
                        DivergenceKind::Fork,
                        format!("c{c} decrypted message {id} to other data or another sender"),
                    );
                    return Outcome::Refused;
                }
                if member::client_of(&sender.credential) != Some(env.sender) {
                    self.diverge(
                        DivergenceKind::OperationFailed,
                        format!(
                            "c{c} read message {id} as sent by {:?}, not c{}",
                            sender.credential, env.sender
                        ),
                    );
                    return Outcome::Refused;
                }
                let client = &mut self.clients[c];
                client
                    .model
                    .take(env.epoch, env.sender_leaf, generation, &w);
                let first = client.decrypted.insert(id);
                self.stats.app_decrypted += 1;
                if let Expect::Refuse(_, why) = expect {
                    self.diverge(
                        DivergenceKind::OutsideWindow,
                        format!(
                            "c{c} at epoch {current} decrypted message {id} (epoch {}, leaf {}, \
                             generation {generation}), which the windows refuse ({why})",
                            env.epoch, env.sender_leaf
                        ),
                    );
                } else if *expect != Expect::Accept {
                    self.diverge(
                        DivergenceKind::Delivery,
                        format!(
                            "c{c} at epoch {current} decrypted message {id} of epoch {} at once \
                             ({expect:?} expected)",
                            env.epoch
                        ),
                    );
                } else if !first {
                    self.diverge(
                        DivergenceKind::DecryptedTwice,
                        format!("c{c} decrypted message {id} twice"),
                    );
                } else {
                    self.note(|| format!("c{c} reads message {id}"));
                }
                Outcome::Applied
            }
            Ok(Received::Proposal { .. }) => {
                if env.payload != Payload::Proposal
                    || env.epoch != current
                    || *expect != Expect::Accept
                {
                    self.diverge(
                        DivergenceKind::Delivery,
                        format!(
                            "c{c} at epoch {current} took {name} #{seq} of epoch {} as a \
                             proposal ({expect:?} expected)",
                            env.epoch
                        ),
                    );
                    return Outcome::Refused;
                }
                // Our own proposal's echo is cached once, as when we made it.
                if env.sender != c {
                    let client = &mut self.clients[c];
                    let (e, n) = client.proposals;
                    client.proposals = if e == current {
                        (e, n + 1)
                    } else {
                        (current, 1)
                    };
                }
                self.note(|| format!("c{c} caches proposal #{seq}"));
                Outcome::Applied
            }
            Ok(Received::Commit(staged)) => {
                let own = env.sender == c;
                if !env.payload.is_commit()
                    || env.epoch != current
                    || staged.from_epoch() != current
                    || *expect != Expect::Accept
                    || staged.is_own() != own
                {
                    self.diverge(
                        DivergenceKind::Delivery,
                        format!(
                            "c{c} at epoch {current} staged {name} #{seq} of epoch {} from c{} \
                             (from epoch {}, own: {}; {expect:?} expected)",
                            env.epoch,
                            env.sender,
                            staged.from_epoch(),
                            staged.is_own()
                        ),
                    );
                    return Outcome::Refused;
                }
                Outcome::Commit(staged)
            }
            Ok(Received::Held { epoch }) => {
                // A commit of this epoch waiting for one of its proposals is held too.
                let for_proposal = env.payload.is_commit()
                    && env.epoch == current
                    && epoch == current
                    && *expect == Expect::Accept
                    && self.clients[c].held.len() < w.max_buffered;
                if epoch != env.epoch || !(*expect == Expect::Hold || for_proposal) {
                    self.diverge(
                        DivergenceKind::Delivery,
                        format!(
                            "c{c} at epoch {current} held {name} #{seq} of epoch {} as of epoch \
                             {epoch} ({expect:?} expected, {} held)",
                            env.epoch,
                            self.clients[c].held.len()
                        ),
                    );
                    return Outcome::Refused;
                }
                self.clients[c].held.push(Rc::clone(env));
                self.stats.held_by_library += 1;
                if for_proposal {
                    self.stats.held_for_proposal += 1;
                }
                self.note(|| {
                    let why = if for_proposal {
                        " (a proposal is missing)"
                    } else {
                        ""
                    };
                    format!("c{c} holds {name} #{seq} of epoch {}{why}", env.epoch)
                });
                Outcome::Held
            }
            Ok(Received::Echo) => {
                if !matches!(expect, Expect::Echo | Expect::MaybeEcho) {
                    self.diverge(
                        DivergenceKind::Delivery,
                        format!(
                            "c{c} at epoch {current} took {name} #{seq} of epoch {} from c{} for \
                             an echo of its own ({expect:?} expected)",
                            env.epoch, env.sender
                        ),
                    );
                    return Outcome::Refused;
                }
                self.stats.echoes += 1;
                self.note(|| format!("c{c} recognises the echo of its {name} #{seq}"));
                Outcome::Refused
            }
            Ok(other) => {
                self.diverge(
                    DivergenceKind::OperationFailed,
                    format!("c{c} got an unknown result for #{seq}: {other:?}"),
                );
                Outcome::Refused
            }
            Err(e) => {
                self.judge_refusal(c, env, current, expect, &e);
                Outcome::Refused
            }
        }
    }

    /// The library refused `env`: it must be for the predicted reason.
    fn judge_refusal(
        &mut self,
        c: usize,
        env: &Envelope,
        current: u64,
        expect: &Expect,
        e: &cohort::Error,
    ) {
        let name = env.payload.name();
        let seq = env.seq;
        if blames_us(e) {
            self.diverge(
                DivergenceKind::OperationFailed,
                format!("c{c} failed on {name} #{seq}: {e}"),
            );
            return;
        }
        let delivery = match e {
            cohort::Error::Delivery(d) => Some(d),
            _ => None,
        };
        let handshake = !matches!(env.payload, Payload::App { .. });
        // A commit of this epoch that waits for a proposal does not fit a full buffer.
        let full = DeliveryError::BufferFull { epoch: current };
        let commit_not_held = env.payload.is_commit()
            && env.epoch == current
            && *expect == Expect::Accept
            && delivery == Some(&full)
            && self.clients[c].held.len() >= self.cfg.windows.max_buffered;
        match expect {
            Expect::Refuse(want, why) if delivery == Some(want) => {
                if matches!(
                    want,
                    DeliveryError::TooFarInFuture { .. } | DeliveryError::BufferFull { .. }
                ) {
                    self.stats.refused_by_buffer += 1;
                    if handshake {
                        // A handshake message is gone: the member cannot follow the group
                        // without it and resyncs (`recover`).
                        self.clients[c].needs_resync = true;
                    }
                }
                if let Payload::App { id, .. } = env.payload {
                    self.stats.refused_outside_window += 1;
                    self.note(|| format!("c{c} refuses message {id} ({why})"));
                } else {
                    self.note(|| format!("c{c} refuses {name} #{seq} ({why})"));
                }
            }
            _ if commit_not_held => {
                self.stats.refused_by_buffer += 1;
                self.clients[c].needs_resync = true;
                self.note(|| format!("c{c} cannot hold {name} #{seq} (buffer full)"));
            }
            Expect::MaybeEcho
                if matches!(delivery, Some(DeliveryError::TooOld { epoch, current: now })
                    if *epoch == env.epoch && *now == current) =>
            {
                self.note(|| format!("c{c} refuses the echo of its {name} #{seq} (forgotten)"));
            }
            Expect::Echo => self.own_echo_refused(c, env, e),
            Expect::Refuse(want, why) => self.diverge(
                DivergenceKind::WrongReason,
                format!(
                    "c{c} at epoch {current} refused {name} #{seq} (epoch {}, from c{}) with \
                     \"{e}\", expected {want:?} ({why})",
                    env.epoch, env.sender
                ),
            ),
            Expect::Accept if !handshake => {
                let Payload::App { id, generation } = env.payload else {
                    return;
                };
                self.diverge(
                    DivergenceKind::Undelivered,
                    format!(
                        "c{c} at epoch {current} refused message {id} (epoch {}, leaf {}, \
                         generation {generation}) inside the windows: {e}",
                        env.epoch, env.sender_leaf
                    ),
                );
            }
            Expect::Accept => self.diverge(
                DivergenceKind::Refused,
                format!(
                    "c{c} at epoch {current} refused {name} #{seq} from c{} for its epoch: {e}",
                    env.sender
                ),
            ),
            Expect::Hold | Expect::MaybeEcho => self.diverge(
                DivergenceKind::Delivery,
                format!(
                    "c{c} at epoch {current} refused {name} #{seq} of epoch {} ({e}); \
                     {expect:?} expected",
                    env.epoch
                ),
            ),
        }
    }

    /// Our own handshake message, echoed by the DS and remembered by the handle, was refused
    /// with an error; the library should recognise it (issue 19, item 2).
    pub(crate) fn own_echo_refused(&mut self, c: usize, env: &Envelope, e: &cohort::Error) {
        if self.cfg.strict {
            self.diverge(
                DivergenceKind::LibraryGap(Gap::Echo),
                format!(
                    "c{c} refused the echo of its own {} #{}: {e}",
                    env.payload.name(),
                    env.seq
                ),
            );
            return;
        }
        self.stats.echoes_refused += 1;
        let kind = crate::sim::error_kind(e);
        self.note(|| {
            format!(
                "c{c} refuses the echo of its {} #{} ({kind})",
                env.payload.name(),
                env.seq
            )
        });
    }

    /// Client `c` has the library process what it holds, after its epoch changed or it cached
    /// a proposal, again as long as that changes something. Each result is judged against the
    /// message it is for (the library takes, in arrival order, those of the current epoch or
    /// earlier); staged commits are merged (or, fan-out mode, join the race) afterwards.
    pub(crate) fn process_held(&mut self, c: usize) {
        loop {
            if self.diverged() || self.clients[c].role != Role::Member {
                return;
            }
            let Some(current) = self.clients[c].epoch() else {
                return;
            };
            if !self.clients[c].held.iter().any(|e| e.epoch <= current) {
                return;
            }
            let progress = self.progress(c);
            let now = self.now();
            let client = &mut self.clients[c];
            let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut client.held)
                .into_iter()
                .partition(|e| e.epoch <= current);
            client.held = waiting;
            let Some(group) = client.group.as_mut() else {
                return;
            };
            let before = snapshot(group, &client.store);
            let results = group.process_held(now);
            if results.len() != ready.len() {
                let seqs: Vec<u64> = ready.iter().map(|e| e.seq).collect();
                self.diverge(
                    DivergenceKind::Delivery,
                    format!(
                        "c{c} at epoch {current}: process_held gave {} results, for the {} held \
                         messages {seqs:?} of this epoch or earlier",
                        results.len(),
                        ready.len()
                    ),
                );
                return;
            }
            self.stats.processed_held += ready.len() as u64;
            let mut changed = false;
            let mut staged = Vec::new();
            for (env, result) in ready.into_iter().zip(results) {
                let expect = self.expect(c, &env, current);
                match self.judge(c, &env, current, &expect, result) {
                    Outcome::Applied => changed = true,
                    Outcome::Commit(s) => staged.push((env, s)),
                    Outcome::Held | Outcome::Refused => {}
                }
                if self.diverged() {
                    return;
                }
            }
            if !changed {
                let client = &self.clients[c];
                let Some(group) = client.group.as_ref() else {
                    return;
                };
                let after = snapshot(group, &client.store);
                if !self.unchanged(c, before, after, || {
                    "process_held took nothing in".to_owned()
                }) {
                    return;
                }
            }
            for (env, s) in staged {
                self.take_commit(c, &env, *s);
                if self.diverged() {
                    return;
                }
            }
            if self.progress(c) == progress {
                return;
            }
        }
    }

    /// A commit of client `c`'s epoch came staged from the library. Ordered mode: merge it
    /// (unless the group moved on: a duplicate). Fan-out mode: it joins the race.
    pub(crate) fn take_commit(&mut self, c: usize, env: &Rc<Envelope>, staged: StagedCommit) {
        if self.cfg.mode == DsMode::FanOut {
            if self.clients[c].epoch() == Some(env.epoch) {
                self.add_candidate(c, Rc::clone(env));
            }
            return;
        }
        self.merge(c, env, staged);
    }

    /// Client `c` merges `staged`, the commit of `env`; `merge_staged` must report our pending
    /// commit lost exactly when it is another member's commit. A lost commit's proposals go
    /// to the DS again.
    pub(crate) fn merge(&mut self, c: usize, env: &Envelope, staged: StagedCommit) {
        let client = &mut self.clients[c];
        let Some(group) = client.group.as_mut() else {
            return;
        };
        if staged.from_epoch() != group.epoch() {
            // Staged with others in one `process_held` call: a copy of a commit merged since.
            self.note(|| format!("c{c} drops a stale copy of commit #{}", env.seq));
            return;
        }
        let pending = group.has_pending_commit();
        let own = staged.is_own();
        let removes_us = staged.summary().removes_us;
        let psk = !staged.summary().psks.is_empty();
        let merged = match group.merge_staged(staged) {
            Ok(m) => m,
            Err(e) => {
                self.diverge(
                    DivergenceKind::OperationFailed,
                    format!("c{c} cannot merge commit #{}: {e}", env.seq),
                );
                return;
            }
        };
        let lost = merged.lost_commit;
        if lost.is_some() != (pending && !own) {
            self.diverge(
                DivergenceKind::Delivery,
                format!(
                    "c{c} merged commit #{} (own: {own}) with a commit of its own pending: \
                     {pending}, and merge_staged reported {} lost commit",
                    env.seq,
                    if lost.is_some() { "a" } else { "no" }
                ),
            );
            return;
        }
        self.note(|| format!("c{c} merges commit #{}", env.seq));
        if own {
            let mine = self.clients[c].own_commit.take();
            if mine.as_ref().map(|m| m.seq) != Some(env.seq) {
                self.diverge(
                    DivergenceKind::Delivery,
                    format!(
                        "c{c} merged #{} as its own commit, its commit is {:?}",
                        env.seq,
                        mine.map(|m| m.seq)
                    ),
                );
                return;
            }
            self.entered_epoch(c, psk);
            if let Some(mine) = mine {
                self.send_welcome(c, mine.welcome, &mine.roster_before);
            }
            return;
        }
        if pending {
            self.clients[c].own_commit = None;
            self.stats.commits_lost += 1;
        }
        if removes_us {
            self.removed(c);
            return;
        }
        self.entered_epoch(c, psk);
        if let Some(lost) = lost {
            self.repropose(c, lost);
        }
    }

    /// Our commit lost: the library proposed again what still applies; send it.
    fn repropose(&mut self, c: usize, lost: LostCommit) {
        self.stats.lost_commits_reported += 1;
        if let Some(e) = lost.failures.iter().find(|e| blames_us(e)) {
            self.diverge(
                DivergenceKind::OperationFailed,
                format!("c{c} cannot propose again what its lost commit carried: {e}"),
            );
            return;
        }
        let Some(group) = self.clients[c].group.as_ref() else {
            return;
        };
        let (epoch, leaf) = (group.epoch(), group.own_leaf().0);
        // The clients it added are invited again, in this epoch.
        for p in &lost.proposals {
            if let Proposal::Add(add) = p {
                let Some(o) = member::client_of(&add.key_package.leaf_node.credential) else {
                    continue;
                };
                if lost.dropped.contains(p) {
                    continue;
                }
                match self.clients.get(o).map(|o| o.role) {
                    Some(Role::Outsider) => self.clients[o].role = Role::Invited { epoch },
                    // Unless a newer invitation is under way (this epoch may be long past).
                    Some(Role::Invited { epoch: e }) if e < epoch => {
                        self.clients[o].role = Role::Invited { epoch };
                    }
                    // Its external join is undecided: invited if it loses.
                    Some(Role::Tentative { .. }) => {
                        self.clients[o].invited_if_out = Some(epoch);
                    }
                    _ => {}
                }
            }
        }
        let (carried, dropped) = (lost.proposals.len(), lost.dropped.len());
        self.note(|| {
            format!(
                "c{c}'s commit lost: {carried} proposal(s) carried{}, {} sent again, {dropped} \
                 dropped",
                if lost.self_update {
                    " and a self-update"
                } else {
                    ""
                },
                lost.reproposed.len()
            )
        });
        for message in lost.reproposed {
            let env = self
                .ds
                .envelope(Payload::Proposal, epoch, c, leaf, self.step, message);
            let client = &mut self.clients[c];
            client.sent_handshake(env.seq);
            client.proposals = if client.proposals.0 == epoch {
                (epoch, client.proposals.1 + 1)
            } else {
                (epoch, 1)
            };
            self.stats.proposals += 1;
            self.stats.reproposed += 1;
            self.note(|| format!("c{c} proposes again at epoch {epoch} (#{})", env.seq));
            self.fan_out(&env);
        }
    }

    /// Fan-out mode: settles the race of client `c`'s epoch, once the settling delay has passed:
    /// the commits of the window are staged by the library and `cohort::winning_commit` picks
    /// the one to merge (ours takes part as its echo). An external committer waits for the
    /// GroupInfo of the next epoch instead.
    pub(crate) fn settle(&mut self, c: usize) {
        // A member whose queue the DS dropped may lack competing commits: it resyncs instead.
        if self.clients[c].needs_resync {
            return;
        }
        let epoch = match (self.clients[c].role, self.clients[c].epoch()) {
            (Role::Member, Some(e)) => e,
            (Role::Tentative { base, resync }, _) => {
                self.decide_external(c, base, resync);
                return;
            }
            _ => return,
        };
        let Some(list) = self.clients[c].candidates.get(&epoch) else {
            return;
        };
        let candidates: Vec<Candidate> = list
            .iter()
            .map(|e| Candidate {
                seq: e.seq,
                sent_at: e.sent_at,
            })
            .collect();
        let Some(window) = self.settle.contenders(&candidates, self.step) else {
            return;
        };
        let contenders: Vec<Rc<Envelope>> = list
            .iter()
            .filter(|e| window.contains(&e.seq))
            .cloned()
            .collect();
        // A contender the library holds for a missing proposal comes back through
        // `process_held`; until then the member waits.
        if contenders
            .iter()
            .any(|e| self.clients[c].held.iter().any(|h| h.seq == e.seq))
        {
            return;
        }
        let mut staged = Vec::with_capacity(contenders.len());
        for env in &contenders {
            match self.process(c, env) {
                Outcome::Commit(s) => staged.push((Rc::clone(env), s)),
                // Held (a proposal is missing) or refused (a divergence, or the buffer is
                // full and the member resyncs): no decision now.
                _ => return,
            }
        }
        let Some(winner) = cohort::winning_commit(staged.iter().map(|(_, s)| &**s)) else {
            return;
        };
        let Some(index) = staged.iter().position(|(_, s)| std::ptr::eq(&**s, winner)) else {
            return;
        };
        let (env, winner) = staged.swap_remove(index);
        drop(staged);
        if contenders.len() > 1 {
            self.stats.races += 1;
        }
        self.note(|| {
            format!(
                "c{c} settles epoch {epoch}: #{} from c{} wins over {}",
                env.seq,
                env.sender,
                contenders.len() - 1
            )
        });
        let all = self.clients[c]
            .candidates
            .remove(&epoch)
            .unwrap_or_default();
        self.merge(c, &env, *winner);
        // The others are of a past epoch now: the library refuses them (or recognises our own
        // as an echo), changing nothing.
        for loser in all {
            if self.diverged() || self.clients[c].role != Role::Member {
                break;
            }
            if loser.seq != env.seq {
                self.process(c, &loser);
            }
        }
        self.process_held(c);
    }

    /// Fan-out mode: client `c` made an external commit on epoch `base` (a join, or a resync).
    /// No member tells it whether the commit won; the first member in the next epoch
    /// publishes its GroupInfo, and the commit won if that is the epoch it is in.
    fn decide_external(&mut self, c: usize, base: u64, resync: bool) {
        let Some(info) = self.ds.group_info_at(base + 1) else {
            return;
        };
        let theirs = info.message.clone();
        let Some(group) = self.clients[c].group.as_ref() else {
            return;
        };
        let mine = match group.group_info() {
            Ok(m) => m,
            Err(e) => {
                self.diverge(
                    DivergenceKind::OperationFailed,
                    format!("c{c} cannot sign a GroupInfo: {e}"),
                );
                return;
            }
        };
        if same_epoch(&mine, &theirs) {
            self.external_won(c, base, resync);
            for env in std::mem::take(&mut self.clients[c].undecided) {
                if self.diverged() {
                    return;
                }
                self.receive(c, env);
            }
            self.process_held(c);
        } else {
            self.stats.commits_lost += 1;
            self.external_lost(c, resync, base);
        }
    }
}

/// Whether two GroupInfos are of the same epoch of the same group: the same group context and
/// confirmation tag (their signers differ).
fn same_epoch(a: &MlsMessage, b: &MlsMessage) -> bool {
    match (&a.body, &b.body) {
        (MlsMessageBody::GroupInfo(a), MlsMessageBody::GroupInfo(b)) => {
            a.group_context == b.group_context && a.confirmation_tag == b.confirmation_tag
        }
        _ => false,
    }
}

/// A short name of a result, for the trace.
fn received_name(r: &Received) -> &'static str {
    match r {
        Received::Application { .. } => "decrypted",
        Received::Proposal { .. } => "cached",
        Received::Commit(_) => "staged",
        Received::Held { .. } => "held",
        Received::Echo => "recognised as an echo",
        _ => "processed",
    }
}

/// The message id in application data.
pub(crate) fn message_id(data: &[u8]) -> Option<u64> {
    std::str::from_utf8(data)
        .ok()?
        .strip_prefix("sim-message ")?
        .parse()
        .ok()
}
