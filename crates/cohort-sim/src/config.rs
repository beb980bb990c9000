//! What a run simulates: the seed, the number of clients and steps, the Delivery Service's mode,
//! the faults, and the windows the clients are configured with.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::SimError;

/// How the simulated Delivery Service treats commits (RFC 9750 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DsMode {
    /// An ordering DS: it accepts the first commit of each epoch and refuses the others (their
    /// senders learn it at once and drop their pending commit), and fans out what it accepted
    /// in one order.
    Ordered,
    /// A plain fan-out DS: every commit reaches every member; the members settle races
    /// themselves with the library's rule (`cohort::winning_commit`), after a settling delay
    /// ([`crate::SettleWindow`]).
    FanOut,
}

impl DsMode {
    /// Both modes, ordering first.
    pub const BOTH: [DsMode; 2] = [DsMode::Ordered, DsMode::FanOut];

    /// The mode's name on the command line: `ordered` or `fanout`.
    pub fn name(self) -> &'static str {
        match self {
            DsMode::Ordered => "ordered",
            DsMode::FanOut => "fanout",
        }
    }
}

impl fmt::Display for DsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DsMode {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ordered" => Ok(DsMode::Ordered),
            "fanout" | "fan-out" => Ok(DsMode::FanOut),
            other => Err(SimError::Config(format!(
                "unknown DS mode {other:?} (ordered or fanout)"
            ))),
        }
    }
}

/// One kind of fault (or of unusual traffic) the seed may inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// Deliveries to a client take a small random delay, so messages overtake one another.
    Reorder,
    /// A delivery arrives twice.
    Duplicate,
    /// A delivery is held back for many steps, across several epochs.
    Delay,
    /// A delivery is lost and retransmitted later.
    Loss,
    /// A member goes offline for a while, sometimes longer than the DS keeps its messages.
    Offline,
    /// A client drops its handles and reloads its groups from its store.
    Restart,
    /// Several members commit in the same step, from the same epoch.
    ConcurrentCommits,
    /// Clients join by external commit.
    ExternalJoin,
    /// External PSKs are proposed and injected.
    Psk,
    /// The DS echoes handshake messages back to their sender.
    Echo,
    /// Now and then the group is reinitialized (RFC 9420 §11.2): a member proposes a ReInit,
    /// another commits it, and the committer creates the new group, which the others join.
    ReInit,
}

impl Fault {
    /// Every fault kind.
    pub const ALL: [Fault; 11] = [
        Fault::Reorder,
        Fault::Duplicate,
        Fault::Delay,
        Fault::Loss,
        Fault::Offline,
        Fault::Restart,
        Fault::ConcurrentCommits,
        Fault::ExternalJoin,
        Fault::Psk,
        Fault::Echo,
        Fault::ReInit,
    ];

    /// The fault's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Reorder => "reorder",
            Fault::Duplicate => "duplicate",
            Fault::Delay => "delay",
            Fault::Loss => "loss",
            Fault::Offline => "offline",
            Fault::Restart => "restart",
            Fault::ConcurrentCommits => "concurrent",
            Fault::ExternalJoin => "external-join",
            Fault::Psk => "psk",
            Fault::Echo => "echo",
            Fault::ReInit => "reinit",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl FromStr for Fault {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
                SimError::Config(format!("unknown fault {s:?} (one of {})", names.join(", ")))
            })
    }
}

/// A set of [`Fault`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultSet(u32);

impl FaultSet {
    /// Every fault.
    pub fn all() -> Self {
        Fault::ALL.into_iter().fold(Self::none(), Self::with)
    }

    /// No fault.
    pub fn none() -> Self {
        Self(0)
    }

    /// The set with `fault` added.
    pub fn with(self, fault: Fault) -> Self {
        Self(self.0 | fault.bit())
    }

    /// The set with `fault` removed.
    pub fn without(self, fault: Fault) -> Self {
        Self(self.0 & !fault.bit())
    }

    /// Whether `fault` is in the set.
    pub fn contains(self, fault: Fault) -> bool {
        self.0 & fault.bit() != 0
    }

    /// The set's faults, in [`Fault::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Fault> {
        Fault::ALL.into_iter().filter(move |f| self.contains(*f))
    }
}

impl Default for FaultSet {
    fn default() -> Self {
        Self::all()
    }
}

impl FromStr for FaultSet {
    type Err = SimError;

    /// A comma-separated list of fault names, `all` or `none`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" => Ok(Self::all()),
            "none" | "" => Ok(Self::none()),
            _ => s
                .split(',')
                .map(|name| name.trim().parse::<Fault>())
                .try_fold(Self::none(), |set, f| Ok(set.with(f?))),
        }
    }
}

impl fmt::Display for FaultSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Fault::name).collect();
        f.write_str(&names.join(","))
    }
}

/// The windows every simulated client is configured with (`GroupConfig`), and that the
/// invariants hold the library to: a message inside them must be decrypted, a key outside them
/// must be gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// Past epochs whose secret trees are kept (`GroupConfig::max_past_epochs`).
    pub max_past_epochs: usize,
    /// Skipped keys kept per ratchet (`RatchetConfig::out_of_order_tolerance`).
    pub out_of_order_tolerance: u32,
    /// How far past the next generation a message may be (`RatchetConfig::max_forward_distance`).
    pub max_forward_distance: u32,
    /// How many messages of future epochs a group handle holds (`DeliveryPolicy::max_buffered`).
    pub max_buffered: usize,
    /// How many epochs ahead a held message may be (`DeliveryPolicy::max_epochs_ahead`).
    pub max_epochs_ahead: u64,
}

impl Windows {
    /// The clients' delivery policy.
    pub fn delivery_policy(&self) -> cohort::DeliveryPolicy {
        cohort::DeliveryPolicy::default()
            .max_buffered(self.max_buffered)
            .max_epochs_ahead(self.max_epochs_ahead)
    }
}

impl Default for Windows {
    /// The library's defaults (what issue 19 asks them to accept: three past epochs, 100
    /// out-of-order generations; 1000 ahead; 64 early messages up to 16 epochs ahead).
    fn default() -> Self {
        let group = cohort::group::GroupConfig::default();
        let delivery = cohort::DeliveryPolicy::default();
        Self {
            max_past_epochs: group.max_past_epochs,
            out_of_order_tolerance: group.ratchet.out_of_order_tolerance,
            max_forward_distance: group.ratchet.max_forward_distance,
            max_buffered: delivery.max_buffered,
            max_epochs_ahead: delivery.max_epochs_ahead,
        }
    }
}

/// A run of the simulation.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The seed every choice comes from.
    pub seed: u64,
    /// How many clients exist (members and outsiders); at least 2.
    pub clients: usize,
    /// How many steps of traffic, before the drain that lets everything settle.
    pub steps: u64,
    /// The Delivery Service's mode.
    pub mode: DsMode,
    /// The faults the seed may inject.
    pub faults: FaultSet,
    /// The clients' windows.
    pub windows: Windows,
    /// How many commits the DS keeps for an offline member before it drops the member's queue
    /// (the member then has to resync).
    pub retention_commits: usize,
    /// Fan-out mode: how many steps after the earliest competing commit a member decides a race.
    pub settle_steps: u64,
    /// Fan-out mode: the most steps a commit may take to reach an online member. The settling
    /// delay only works if it is longer, so faults on commits stay inside this bound.
    pub commit_delay_bound: u64,
    /// A [`Gap`](crate::Gap) (an echo refused, a member stuck for no reason) is a divergence
    /// instead of being counted and worked around.
    pub strict: bool,
    /// Record a trace of every operation and fault (for replay and the determinism test).
    pub trace: bool,
    /// Where the SQLite files of the clients that use SQLite go (default: `/dev/shm` when it
    /// exists, the system's temporary directory otherwise). A directory per run is made in it
    /// and deleted at the end.
    pub sqlite_dir: Option<PathBuf>,
}

impl SimConfig {
    /// A run of `seed` with `clients` clients for `steps` steps in `mode`, every fault on, the
    /// default windows.
    pub fn new(seed: u64, clients: usize, steps: u64, mode: DsMode) -> Self {
        Self {
            seed,
            clients,
            steps,
            mode,
            faults: FaultSet::all(),
            windows: Windows::default(),
            retention_commits: 8,
            settle_steps: 10,
            commit_delay_bound: 4,
            strict: false,
            trace: false,
            sqlite_dir: None,
        }
    }

    /// The command that replays this run.
    pub fn replay_command(&self) -> String {
        let mut cmd = format!(
            "cargo xtask sim --seed {} --clients {} --steps {} --mode {}",
            self.seed, self.clients, self.steps, self.mode
        );
        if self.faults != FaultSet::all() {
            cmd.push_str(&format!(" --faults {}", self.faults));
            if self.faults == FaultSet::none() {
                cmd.push_str("none");
            }
        }
        if self.strict {
            cmd.push_str(" --strict");
        }
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Fault::ALL {
            assert_eq!(f.name().parse::<Fault>().ok(), Some(f));
        }
        for m in DsMode::BOTH {
            assert_eq!(m.name().parse::<DsMode>().ok(), Some(m));
        }
        let set: FaultSet = "delay,echo".parse().expect("set");
        assert!(set.contains(Fault::Delay) && set.contains(Fault::Echo));
        assert!(!set.contains(Fault::Loss));
        assert_eq!(set.to_string(), "delay,echo");
        assert_eq!("all".parse::<FaultSet>().ok(), Some(FaultSet::all()));
    }
}
