//! What a run produced: its first divergence if any, counters, and the trace.

use std::fmt;

use crate::config::SimConfig;

/// A place where the library did not do what issue 19 asks, though the simulation could carry
/// on: counted in [`Stats`], and with [`SimConfig::strict`] a [`DivergenceKind::LibraryGap`].
///
/// The simulation itself stands in for nothing any more: buffering, commit races, lost commits
/// and echoes are the library's (`delivery.rs`). These are what remains to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Gap {
    /// Our own handshake message, echoed by the DS, was refused with an error though the handle
    /// still remembers it (issue 19: echoes recognised and handled without error).
    Echo,
    /// A member could not catch up though nothing it needed was lost (no queue dropped, no
    /// message refused by the buffer's bounds): the simulation made it resync (issue 19:
    /// bounded buffering that delivers what arrives early).
    Resync,
}

impl Gap {
    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Gap::Echo => "echo",
            Gap::Resync => "resync",
        }
    }
}

/// What kind of invariant a run broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DivergenceKind {
    /// Two members at the same epoch disagree on the epoch authenticator or the roster.
    Fork,
    /// An application message delivered inside the windows was not decrypted.
    Undelivered,
    /// A message outside the windows was decrypted: a key was kept beyond its window.
    OutsideWindow,
    /// An application message was decrypted twice by the same member.
    DecryptedTwice,
    /// A message was rejected but the group's state (in memory or stored) changed.
    RejectionChangedState,
    /// The stored state disagrees with memory, or keeps keys outside the windows.
    StoredState,
    /// A client reloaded from its store is not the client it was.
    Restart,
    /// An operation that must succeed failed, or failed with an error that blames our side.
    OperationFailed,
    /// A commit or proposal for the member's epoch, that it had to accept, was refused.
    Refused,
    /// A message was refused, but for another reason than the windows, the buffer's bounds or
    /// the epochs say (the error is not the predicted `DeliveryError`).
    WrongReason,
    /// The library's buffer of early messages did not do what its policy says: held what it
    /// should have refused or refused what it should have held, lost or invented a message,
    /// or a lost commit was not reported (or reported when none was lost).
    Delivery,
    /// After the drain, the members are not all at the same epoch.
    NotConverged,
    /// A library feature was needed (only with [`SimConfig::strict`]).
    LibraryGap(Gap),
}

impl fmt::Display for DivergenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            DivergenceKind::Fork => "fork",
            DivergenceKind::Undelivered => "undelivered",
            DivergenceKind::OutsideWindow => "outside-window",
            DivergenceKind::DecryptedTwice => "decrypted-twice",
            DivergenceKind::RejectionChangedState => "rejection-changed-state",
            DivergenceKind::StoredState => "stored-state",
            DivergenceKind::Restart => "restart",
            DivergenceKind::OperationFailed => "operation-failed",
            DivergenceKind::Refused => "refused",
            DivergenceKind::WrongReason => "wrong-reason",
            DivergenceKind::Delivery => "delivery",
            DivergenceKind::NotConverged => "not-converged",
            DivergenceKind::LibraryGap(g) => return write!(f, "library-gap:{}", g.name()),
        };
        f.write_str(name)
    }
}

/// A broken invariant: the run stops at the first one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// The step it happened in (steps past [`SimConfig::steps`] are the drain).
    pub step: u64,
    /// What broke.
    pub kind: DivergenceKind,
    /// Who and what, for a human.
    pub detail: String,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at step {}: {}", self.kind, self.step, self.detail)
    }
}

/// Counters of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Steps run, the drain included.
    pub steps: u64,
    /// The highest epoch reached.
    pub epochs: u64,
    /// Application messages sent.
    pub app_sent: u64,
    /// Application messages decrypted (all members together).
    pub app_decrypted: u64,
    /// Deliveries refused as the windows say they must be (too old, consumed, replayed).
    pub refused_outside_window: u64,
    /// Commits that became an epoch.
    pub commits: u64,
    /// Commits refused by the ordering DS or that lost a race.
    pub commits_lost: u64,
    /// Proposals sent.
    pub proposals: u64,
    /// Operations the library refused (an invalid combination of cached proposals, say).
    pub ops_refused: u64,
    /// Members that joined from a Welcome.
    pub welcomes: u64,
    /// External joins that became members.
    pub external_joins: u64,
    /// Members removed (or that left).
    pub removals: u64,
    /// Client restarts.
    pub restarts: u64,
    /// Offline periods.
    pub offline: u64,
    /// Member queues the DS dropped (too long offline).
    pub dropped_queues: u64,
    /// Commits that injected a PSK.
    pub psk_commits: u64,
    /// Messages lost (and retransmitted), duplicated, delayed.
    pub faults_injected: u64,
    /// Messages the library held (`Received::Held`): of a future epoch, or a commit waiting
    /// for a proposal.
    pub held_by_library: u64,
    /// Of those, commits of the current epoch waiting for a proposal not received yet.
    pub held_for_proposal: u64,
    /// Held messages the library processed later (`process_held`).
    pub processed_held: u64,
    /// Messages the buffer's bounds refused (`TooFarInFuture`, `BufferFull`).
    pub refused_by_buffer: u64,
    /// Our own handshake messages the library recognised as echoes (`Received::Echo`).
    pub echoes: u64,
    /// Own echoes refused with an error though the handle remembers them ([`Gap::Echo`]).
    pub echoes_refused: u64,
    /// Fan-out mode: epochs for which several commits competed, settled by
    /// `cohort::winning_commit`.
    pub races: u64,
    /// Commits of ours that lost, reported by `merge_staged` (`Merged::lost_commit`).
    pub lost_commits_reported: u64,
    /// Proposals sent again for lost commits (`LostCommit::reproposed`).
    pub reproposed: u64,
    /// Members stuck with nothing on its way, resynced by the simulation ([`Gap::Resync`]).
    pub stuck: u64,
    /// Resyncs by external commit in the member's own leaf (`resync`) that got in.
    pub resyncs: u64,
    /// ReInits done: new groups created by `reinit` (RFC 9420 §11.2).
    pub reinits: u64,
    /// ReInits given up because the group did not settle in time.
    pub reinits_given_up: u64,
    /// Members that joined a ReInit's new group with `join_resumed`.
    pub reinit_joins: u64,
    /// Messages of a group a ReInit closed, refused by it (`GroupInactive`).
    pub closed_group_refused: u64,
    /// Messages of a group a ReInit closed, dropped because the client no longer had it (after
    /// a restart).
    pub closed_group_dropped: u64,
}

/// The result of one run.
#[derive(Debug, Clone)]
pub struct Report {
    /// What was run.
    pub config: SimConfig,
    /// The first broken invariant, if any.
    pub divergence: Option<Divergence>,
    /// Counters.
    pub stats: Stats,
    /// Every operation, delivery decision and fault, if [`SimConfig::trace`] was set.
    pub trace: Vec<String>,
}

impl Report {
    /// The command that replays the run.
    pub fn replay_command(&self) -> String {
        self.config.replay_command()
    }
}
