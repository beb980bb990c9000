//! The interop matrix: scenario × peer × role × cipher suite, and its per-cell results.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::member::Implementation;
use crate::scenario::Scenario;

/// Whom cohort plays against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Peer {
    /// cohort and one other implementation.
    One(Implementation),
    /// cohort, mls-rs and OpenMLS in one group.
    Mixed,
}

impl Peer {
    /// Every peer, in the order the matrix prints them.
    pub const ALL: [Peer; 3] = [
        Peer::One(Implementation::MlsRs),
        Peer::One(Implementation::OpenMls),
        Peer::Mixed,
    ];

    /// The peer called `name` (`mls-rs`, `openmls` or `mixed`).
    pub fn from_name(name: &str) -> Option<Peer> {
        Peer::ALL.into_iter().find(|p| p.to_string() == name)
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::One(imp) => write!(f, "{imp}"),
            Peer::Mixed => f.write_str("mixed"),
        }
    }
}

/// One cell of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell {
    /// The message flow.
    pub scenario: Scenario,
    /// The other implementation(s).
    pub peer: Peer,
    /// Who is A, the member that creates the group and makes the commits (in the lifecycle
    /// scenario every member commits, A first).
    pub committer: Implementation,
    /// The cipher suite (IANA code point).
    pub suite: u16,
    /// The seed of the scenario's random choices.
    pub seed: u64,
}

impl Cell {
    /// The implementations of participants A, B, C, ...: A is the committer; with one peer the
    /// others are of the other implementation (in the lifecycle, private-handshake, large-group,
    /// churn and self-remove scenarios the participants alternate between the two, so both
    /// commit or both leave; in ext-join-self-remove D, the joiner that commits, is of A's
    /// implementation, while in ext-join-app-data C, the joiner, is of the other one); in a
    /// mixed group they cycle through all three.
    pub fn lineup(&self) -> Vec<Implementation> {
        let n = self.scenario.members();
        match self.peer {
            Peer::One(peer) => {
                let other = if self.committer == Implementation::Cohort {
                    peer
                } else {
                    Implementation::Cohort
                };
                (0..n)
                    .map(|i| match (self.scenario, i) {
                        (_, 0) => self.committer,
                        // The lifecycles alternate, so every implementation commits.
                        (
                            Scenario::Lifecycle
                            | Scenario::PrivateHandshake
                            | Scenario::LargeGroup
                            | Scenario::Churn
                            | Scenario::SelfRemove,
                            i,
                        ) if i % 2 == 0 => self.committer,
                        // The external joiner D commits the SelfRemove.
                        (Scenario::ExternalJoinSelfRemove, 3) => self.committer,
                        _ => other,
                    })
                    .collect()
            }
            Peer::Mixed => {
                let start = Implementation::ALL
                    .iter()
                    .position(|i| *i == self.committer)
                    .unwrap_or(0);
                (0..n)
                    .map(|i| Implementation::ALL[(start + i) % Implementation::ALL.len()])
                    .collect()
            }
        }
    }

    /// The role column: who commits.
    pub fn role(&self) -> String {
        match self.peer {
            Peer::One(_) if self.committer == Implementation::Cohort => "cohort commits".into(),
            Peer::One(_) => "peer commits".into(),
            Peer::Mixed => format!("{} creates", self.committer),
        }
    }

    /// Plays the cell. A panic inside an implementation is caught and reported as a failure.
    pub fn run(&self) -> Outcome {
        let lineup = self.lineup();
        let result = catch_unwind(AssertUnwindSafe(|| {
            self.scenario.run(&lineup, self.suite, self.seed)
        }));
        let failure = match result {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(panic) => Some(format!(
                "panicked: {}",
                panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("(no message)")
            )),
        };
        match (failure, known_deviation(self)) {
            (None, None) => Outcome::Passed,
            (None, Some(reason)) => Outcome::DeviationFixed(reason),
            (Some(detail), None) => Outcome::Failed(detail),
            (Some(detail), Some(reason)) => Outcome::KnownDeviation { reason, detail },
        }
    }
}

/// The result of one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every step and every epoch check passed.
    Passed,
    /// Something failed.
    Failed(String),
    /// Failed, because of a known deviation of the peer from RFC 9420 (see `docs/interop.md`).
    KnownDeviation {
        /// The deviation, with its RFC section.
        reason: &'static str,
        /// What failed.
        detail: String,
    },
    /// Listed as a known peer deviation but passed: the list needs updating. Counted as a
    /// failure so that the list is kept honest.
    DeviationFixed(&'static str),
}

impl Outcome {
    /// A short label for the matrix.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Passed => "pass",
            Outcome::Failed(_) => "FAIL",
            Outcome::KnownDeviation { .. } => "peer-deviation",
            Outcome::DeviationFixed(_) => "FAIL (listed deviation passed)",
        }
    }

    /// Whether the cell counts as a failure (known peer deviations do not).
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Failed(_) | Outcome::DeviationFixed(_))
    }
}

/// Which cells to run.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these suites (empty: every suite both sides support).
    pub suites: Vec<u16>,
    /// Only these peers (empty: all).
    pub peers: Vec<Peer>,
    /// Only these scenarios (empty: all).
    pub scenarios: Vec<Scenario>,
    /// The seed of the random choices (default: [`crate::scenario::DEFAULT_SEED`]).
    pub seed: Option<u64>,
}

/// The suites the matrix covers when the filter names none, each where the implementations of
/// the cell all have it: 1, 2, 3 and 7 of RFC 9420, and the post-quantum suites at OpenMLS's
/// code points ([`crate::OPENMLS_PQ_SUITES`], cohort and OpenMLS only).
pub const DEFAULT_SUITES: [u16; 12] = [
    1, 2, 3, 7, 0x004F, 0x004E, 0xF042, 0x0050, 0x0042, 0x0052, 0x0051, 0x0907,
];

/// Every cell selected by `filter` that its implementations can play, in print order.
pub fn cells(filter: &Filter) -> Vec<Cell> {
    candidates(filter)
        .into_iter()
        .filter(|cell| cell.scenario.unsupported(&cell.lineup()).is_none())
        .collect()
}

/// The cells selected by `filter` that one of their implementations cannot play, with the
/// reason ([`Scenario::unsupported`]), in print order. They are not run and count as neither
/// passed nor failed.
pub fn unsupported(filter: &Filter) -> Vec<(Cell, &'static str)> {
    candidates(filter)
        .into_iter()
        .filter_map(|cell| {
            cell.scenario
                .unsupported(&cell.lineup())
                .map(|reason| (cell, reason))
        })
        .collect()
}

/// Every cell selected by `filter` whose implementations all have its suite, supported or not.
fn candidates(filter: &Filter) -> Vec<Cell> {
    let suites: &[u16] = if filter.suites.is_empty() {
        &DEFAULT_SUITES
    } else {
        &filter.suites
    };
    let mut out = Vec::new();
    for scenario in Scenario::ALL {
        if !filter.scenarios.is_empty() && !filter.scenarios.contains(&scenario) {
            continue;
        }
        for peer in Peer::ALL {
            if !filter.peers.is_empty() && !filter.peers.contains(&peer) {
                continue;
            }
            let committers: &[Implementation] = match peer {
                Peer::One(p) => &[Implementation::Cohort, p][..],
                Peer::Mixed => &Implementation::ALL[..],
            };
            for &committer in committers {
                for &suite in suites {
                    let cell = Cell {
                        scenario,
                        peer,
                        committer,
                        suite,
                        seed: filter.seed.unwrap_or(crate::scenario::DEFAULT_SEED),
                    };
                    let lineup = cell.lineup();
                    // A mixed cell needs all three implementations in the group.
                    let mixed_ok = peer != Peer::Mixed
                        || Implementation::ALL.iter().all(|i| lineup.contains(i));
                    if mixed_ok
                        && scenario.applies_to(&lineup)
                        && lineup
                            .iter()
                            .all(|imp| imp.cipher_suites().contains(&suite))
                    {
                        out.push(cell);
                    }
                }
            }
        }
    }
    out
}

/// Runs every cell selected by `filter` and returns each with its outcome.
pub fn run(filter: &Filter) -> Vec<(Cell, Outcome)> {
    cells(filter)
        .into_iter()
        .map(|cell| {
            let outcome = cell.run();
            (cell, outcome)
        })
        .collect()
}

/// Counts: (passed, failed, known peer deviations).
pub fn totals(results: &[(Cell, Outcome)]) -> (usize, usize, usize) {
    let passed = results
        .iter()
        .filter(|(_, o)| *o == Outcome::Passed)
        .count();
    let failed = results.iter().filter(|(_, o)| o.is_failure()).count();
    let deviations = results.len() - passed - failed;
    (passed, failed, deviations)
}

/// A known deviation of a peer from RFC 9420 that makes some cells fail.
#[derive(Debug, Clone, Copy)]
pub struct Deviation {
    /// The peer that deviates.
    pub peer: Implementation,
    /// The scenario it breaks.
    pub scenario: Scenario,
    /// Whether it shows only when the peer is A, the committer; otherwise whenever the peer
    /// takes part.
    pub as_committer: bool,
    /// What the peer does, against which RFC section.
    pub reason: &'static str,
}

/// The known peer deviations that break a scenario of this matrix, documented in
/// `docs/interop.md`.
pub const KNOWN_DEVIATIONS: &[Deviation] = &[
    Deviation {
        peer: Implementation::OpenMls,
        scenario: Scenario::TwoPsks,
        as_committer: true,
        reason: "OpenMLS 0.9.2 lists the by-reference PSK first in the Commit but derives the \
                 PSK secret with the by-value one first (RFC 9420 §8.4: the Commit's order)",
    },
    Deviation {
        peer: Implementation::OpenMls,
        scenario: Scenario::CustomExtension,
        as_committer: false,
        reason: "OpenMLS 0.9.2 neither makes nor accepts GroupContextExtensions with a \
                 non-default extension that required_capabilities does not list (RFC 9420 \
                 §12.1.7 asks only that members support it)",
    },
    Deviation {
        peer: Implementation::OpenMls,
        scenario: Scenario::ExternalSenderPsks,
        as_committer: false,
        reason: "OpenMLS 0.9.2 rejects PreSharedKey proposals from external senders (\"The \
                 proposal is invalid for the Sender of type External\"), which RFC 9420 \
                 §12.1.8 allows (Ext column of §17.4)",
    },
];

/// The known deviation that explains a failure of `cell`, if any: one whose scenario is the
/// cell's and whose peer takes part in it (as A, the committer, when the deviation says so). A listed cell that passes is reported, so the
/// list stays true.
pub fn known_deviation(cell: &Cell) -> Option<&'static str> {
    let lineup = cell.lineup();
    KNOWN_DEVIATIONS
        .iter()
        .find(|d| {
            d.scenario == cell.scenario
                && if d.as_committer {
                    lineup.first() == Some(&d.peer)
                } else {
                    lineup.contains(&d.peer)
                }
        })
        .map(|d| d.reason)
}
