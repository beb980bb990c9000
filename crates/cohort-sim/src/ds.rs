//! The simulated Delivery Service (RFC 9750): per-client queues with delivery times, a log of
//! everything sent to the group (new subscribers fetch from it), the ordering of commits in
//! [`DsMode::Ordered`], the latest GroupInfo for external joiners, and the retention bound for
//! offline members.
//!
//! Faults are decided by the simulation (which owns the seeded generator) and arrive here as
//! delivery times; the DS only keeps them.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use cohort::messages::MlsMessage;

use crate::config::DsMode;

/// What a message carries, as the simulation knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Payload {
    /// Application data: message `id`, generation `generation` of its sender's ratchet.
    App { id: u64, generation: u32 },
    /// A proposal.
    Proposal,
    /// A commit; `external` for a join or resync by external commit.
    Commit { external: bool },
    /// A Welcome (addressed to one client, never logged).
    Welcome,
}

impl Payload {
    /// A short name for the trace.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Payload::App { .. } => "app",
            Payload::Proposal => "proposal",
            Payload::Commit { external: false } => "commit",
            Payload::Commit { external: true } => "external-commit",
            Payload::Welcome => "welcome",
        }
    }

    /// Whether it is a commit.
    pub(crate) fn is_commit(self) -> bool {
        matches!(self, Payload::Commit { .. })
    }
}

/// A message as the DS received it.
#[derive(Debug)]
pub(crate) struct Envelope {
    /// The DS's sequence number: unique, in the order the DS received messages.
    pub seq: u64,
    /// What it carries.
    pub payload: Payload,
    /// The epoch it was made in (for a Welcome, the epoch it joins).
    pub epoch: u64,
    /// The sending client.
    pub sender: usize,
    /// The sender's leaf (an external committer's new leaf).
    pub sender_leaf: u32,
    /// The step the DS received it in.
    pub sent_at: u64,
    /// The group it is for: 0 for the first group, `n` for the group the `n`th ReInit made
    /// (a Welcome: the group it joins).
    pub group: u32,
    /// The message.
    pub message: MlsMessage,
}

/// A delivery waiting in a client's queue.
#[derive(Debug)]
struct Delivery {
    due: u64,
    /// Orders deliveries due in the same step (random under the reorder fault).
    order: u64,
    env: Rc<Envelope>,
}

/// A GroupInfo the DS holds, with the roster (client → leaf) of its epoch as the
/// member who published it saw it.
#[derive(Debug, Clone)]
pub(crate) struct GroupInfoRecord {
    pub epoch: u64,
    pub message: MlsMessage,
    pub roster: BTreeMap<usize, u32>,
}

/// The Delivery Service.
#[derive(Debug)]
pub(crate) struct DeliveryService {
    mode: DsMode,
    /// The group it serves (see [`Envelope::group`]).
    group: u32,
    next_seq: u64,
    /// Clients that receive the group's messages.
    subscribers: BTreeSet<usize>,
    queues: Vec<Vec<Delivery>>,
    /// Every group message sent, in order.
    log: Vec<Rc<Envelope>>,
    /// Ordered mode: the epoch whose commit it accepts next.
    epoch: u64,
    /// The GroupInfo of each epoch, as the first member there published it.
    group_infos: BTreeMap<u64, GroupInfoRecord>,
    retention_commits: usize,
}

impl DeliveryService {
    pub(crate) fn new(mode: DsMode, clients: usize, retention_commits: usize) -> Self {
        Self {
            mode,
            group: 0,
            next_seq: 0,
            subscribers: BTreeSet::new(),
            queues: (0..clients).map(|_| Vec::new()).collect(),
            log: Vec::new(),
            epoch: 0,
            group_infos: BTreeMap::new(),
            retention_commits,
        }
    }

    /// Receives a message from `sender`: gives it its sequence number.
    pub(crate) fn envelope(
        &mut self,
        payload: Payload,
        epoch: u64,
        sender: usize,
        sender_leaf: u32,
        now: u64,
        message: MlsMessage,
    ) -> Rc<Envelope> {
        self.next_seq += 1;
        Rc::new(Envelope {
            seq: self.next_seq,
            payload,
            epoch,
            sender,
            sender_leaf,
            sent_at: now,
            group: self.group,
            message,
        })
    }

    /// Logs `env`, a group message being fanned out, for later subscribers.
    pub(crate) fn log(&mut self, env: &Rc<Envelope>) {
        self.log.push(Rc::clone(env));
    }

    /// Ordered mode: whether the DS accepts `env`, a commit for its epoch. An accepted commit
    /// moves the DS to the next epoch. Fan-out mode accepts everything.
    pub(crate) fn accept_commit(&mut self, env: &Envelope) -> bool {
        match self.mode {
            DsMode::FanOut => true,
            DsMode::Ordered => {
                if env.epoch == self.epoch {
                    self.epoch += 1;
                    true
                } else {
                    false
                }
            }
        }
    }

    /// Sets the epoch of a new group (Ordered mode accepts its first commit next).
    pub(crate) fn start(&mut self, epoch: u64) {
        self.epoch = epoch;
    }

    /// Switches to group `group`, the new group of a ReInit, at `epoch`: no subscriber, an
    /// empty log, no GroupInfo. What is queued for the old group stays queued (in flight).
    pub(crate) fn switch(&mut self, group: u32, epoch: u64) {
        self.group = group;
        self.epoch = epoch;
        self.subscribers.clear();
        self.log.clear();
        self.group_infos.clear();
    }

    /// The clients that receive the group's messages, in order.
    pub(crate) fn subscribers(&self) -> Vec<usize> {
        self.subscribers.iter().copied().collect()
    }

    /// `client` receives the group's messages from now on, and fetches every logged message of
    /// epoch `from_epoch` or later that it did not send. Its queue is emptied first.
    pub(crate) fn subscribe(&mut self, client: usize, from_epoch: u64, now: u64) {
        self.queues[client].clear();
        self.subscribe_keeping(client, from_epoch, now);
    }

    /// As [`DeliveryService::subscribe`], but what is queued for the client stays (a member
    /// that joins the new group of a ReInit still has messages of the old one on their way).
    pub(crate) fn subscribe_keeping(&mut self, client: usize, from_epoch: u64, now: u64) {
        self.subscribers.insert(client);
        let fetched: Vec<Rc<Envelope>> = self
            .log
            .iter()
            .filter(|e| e.epoch >= from_epoch && e.sender != client)
            .cloned()
            .collect();
        let queue = &mut self.queues[client];
        for env in fetched {
            queue.push(Delivery {
                due: now,
                order: env.seq,
                env,
            });
        }
    }

    /// `client` no longer receives the group's messages; its queue is emptied.
    pub(crate) fn unsubscribe(&mut self, client: usize) {
        self.subscribers.remove(&client);
        self.queues[client].clear();
    }

    /// Queues `env` for `client`, due at step `due`.
    pub(crate) fn enqueue(&mut self, client: usize, env: Rc<Envelope>, due: u64, order: u64) {
        self.queues[client].push(Delivery { due, order, env });
    }

    /// For an offline client: if its queue holds more commits than the DS keeps, drops it and
    /// returns true (the client must resync when it returns).
    pub(crate) fn enforce_retention(&mut self, client: usize) -> bool {
        let queue = &mut self.queues[client];
        let commits = queue.iter().filter(|d| d.env.payload.is_commit()).count();
        if commits > self.retention_commits {
            queue.clear();
            true
        } else {
            false
        }
    }

    /// Takes the deliveries due for `client` by step `now`, in order.
    pub(crate) fn take_due(&mut self, client: usize, now: u64) -> Vec<Rc<Envelope>> {
        let queue = &mut self.queues[client];
        let mut due: Vec<Delivery> = Vec::new();
        let mut i = 0;
        while i < queue.len() {
            if queue[i].due <= now {
                due.push(queue.swap_remove(i));
            } else {
                i += 1;
            }
        }
        due.sort_by_key(|d| (d.due, d.order, d.env.seq));
        due.into_iter().map(|d| d.env).collect()
    }

    /// Whether a handshake message (proposal, commit) or a Welcome is queued for `client`.
    pub(crate) fn has_queued_handshake(&self, client: usize) -> bool {
        self.queues[client]
            .iter()
            .any(|d| !matches!(d.env.payload, Payload::App { .. }))
    }

    /// Whether anything is queued for `client` (due or not).
    pub(crate) fn has_queued(&self, client: usize) -> bool {
        !self.queues[client].is_empty()
    }

    /// Publishes a GroupInfo; the DS keeps the first of each epoch.
    pub(crate) fn publish_group_info(&mut self, record: GroupInfoRecord) {
        self.group_infos.entry(record.epoch).or_insert(record);
    }

    /// The newest GroupInfo.
    pub(crate) fn group_info(&self) -> Option<&GroupInfoRecord> {
        self.group_infos.values().next_back()
    }

    /// The GroupInfo of `epoch`, if a member published one: fan-out mode, an external committer
    /// on the epoch before learns from it whether its commit got in.
    pub(crate) fn group_info_at(&self, epoch: u64) -> Option<&GroupInfoRecord> {
        self.group_infos.get(&epoch)
    }

    /// The newest epoch the DS knows of: the accepted epoch (Ordered) or that of the newest
    /// GroupInfo (fan-out).
    pub(crate) fn latest_epoch(&self) -> u64 {
        match self.mode {
            DsMode::Ordered => self.epoch,
            DsMode::FanOut => self.group_info().map_or(0, |g| g.epoch),
        }
    }
}
