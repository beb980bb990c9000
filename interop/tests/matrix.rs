//! The interop matrix on cipher suite 1 (the MTI suite); `cargo xtask interop` runs every suite.
//! The scenarios added for RFC 9420 §11, §12.1.8 (external senders and new-member proposals)
//! and external-join PSKs run here in a sample of their cells only, to keep the test short.

use cohort_interop::matrix::{self, Cell, Filter, Outcome, Peer};
use cohort_interop::{Implementation, Scenario};

/// The scenarios sampled here rather than run in every cell.
const SAMPLED: [Scenario; 11] = [
    Scenario::ExternalProposals,
    Scenario::ReInit,
    Scenario::Branch,
    Scenario::ResumptionPsk,
    Scenario::ExternalJoinPsk,
    Scenario::NewMemberAdd,
    Scenario::ExternalSenderGce,
    Scenario::ExternalSenderPsks,
    Scenario::ExternalSenderReInit,
    Scenario::ReInitSuite,
    Scenario::ReInitExtensions,
];

/// Whether `cell` runs here: every cell of the other scenarios; of the sampled ones, mls-rs
/// committing (cohort proposes the ReInit, sends the external proposals, joins by external
/// commit or by its own new-member proposal, joins the reinitialized group and the branch)
/// and cohort committing with OpenMLS (OpenMLS as external sender, external joiner and new
/// member).
fn in_subset(cell: &Cell) -> bool {
    !SAMPLED.contains(&cell.scenario)
        || matches!(
            (cell.peer, cell.committer),
            (Peer::One(Implementation::MlsRs), Implementation::MlsRs)
                | (Peer::One(Implementation::OpenMls), Implementation::Cohort)
        )
}

/// The scenarios of draft-ietf-mls-extensions features mls-rs 0.57 lacks (application data,
/// application PSKs, Safe AAD): they run with OpenMLS only.
const EXTENSIONS_DRAFT: [Scenario; 4] = [
    Scenario::AppData,
    Scenario::ExternalJoinAppData,
    Scenario::AppPsk,
    Scenario::SafeAad,
];

#[test]
fn suite_1_matrix() {
    let cells: Vec<Cell> = matrix::cells(&Filter {
        suites: vec![1],
        ..Filter::default()
    })
    .into_iter()
    .filter(in_subset)
    .collect();
    for scenario in SAMPLED {
        assert!(
            cells.iter().any(|c| c.scenario == scenario),
            "{scenario} is not sampled"
        );
    }
    let results: Vec<(Cell, Outcome)> = cells.into_iter().map(|c| (c, c.run())).collect();
    let mut failures = Vec::new();
    for (cell, outcome) in &results {
        println!(
            "{:<18} {:<8} {:<16} suite {}: {}",
            cell.scenario.name(),
            cell.peer.to_string(),
            cell.role(),
            cell.suite,
            outcome.label()
        );
        if let Outcome::Failed(detail) | Outcome::KnownDeviation { detail, .. } = outcome {
            println!("    {detail}");
        }
        if outcome.is_failure() {
            failures.push(format!("{cell:?}: {outcome:?}"));
        }
    }
    let (passed, failed, deviations) = matrix::totals(&results);
    println!("{passed} passed, {failed} failed, {deviations} known peer deviations");
    assert!(
        failures.is_empty(),
        "failing cells:\n{}",
        failures.join("\n")
    );
}

/// The cells left out as unsupported are exactly those where OpenMLS would have to take part
/// in a ReInit or a branch, or propose PSKs as an external sender, each left out with OpenMLS's
/// reason, the SelfRemove cells of mixed groups, where OpenMLS and mls-rs share no
/// SelfRemove type, and the application-data, application-PSK and Safe AAD cells with mls-rs,
/// which has none of them. The last-resort cells all run.
#[test]
fn only_peer_gaps_and_mixed_self_remove_cells_are_unsupported() {
    let filter = Filter {
        suites: vec![1],
        ..Filter::default()
    };
    let unsupported = matrix::unsupported(&filter);
    assert!(!unsupported.is_empty());
    for (cell, reason) in &unsupported {
        if EXTENSIONS_DRAFT.contains(&cell.scenario) {
            assert!(cell.lineup().contains(&Implementation::MlsRs), "{cell:?}");
            assert!(reason.starts_with("mls-rs 0.57"), "{cell:?}: {reason}");
            assert!(!matrix::cells(&filter).contains(cell), "{cell:?} runs too");
            continue;
        }
        if matches!(
            cell.scenario,
            Scenario::SelfRemove | Scenario::ExternalJoinSelfRemove
        ) {
            assert_eq!(cell.peer, Peer::Mixed, "{cell:?}");
            assert!(
                reason.contains("0x000a") && reason.contains("0xF003"),
                "{reason}"
            );
            assert!(!matrix::cells(&filter).contains(cell), "{cell:?} runs too");
            continue;
        }
        assert!(
            matches!(
                cell.scenario,
                Scenario::ReInit
                    | Scenario::ReInitSuite
                    | Scenario::ReInitExtensions
                    | Scenario::ExternalSenderReInit
                    | Scenario::Branch
                    | Scenario::ExternalSenderPsks
            ),
            "{cell:?}"
        );
        if cell.scenario == Scenario::ExternalSenderPsks {
            // Only OpenMLS as the external sender E is unsupported.
            assert_eq!(cell.lineup()[3], Implementation::OpenMls, "{cell:?}");
        }
        assert!(reason.starts_with("OpenMLS"), "{cell:?}: {reason}");
        assert!(cell.lineup().contains(&Implementation::OpenMls), "{cell:?}");
        assert!(!matrix::cells(&filter).contains(cell), "{cell:?} runs too");
    }
    // Every SelfRemove cell with one peer runs, in both roles.
    for scenario in [Scenario::SelfRemove, Scenario::ExternalJoinSelfRemove] {
        let runs = matrix::cells(&filter)
            .into_iter()
            .filter(|c| c.scenario == scenario)
            .count();
        assert_eq!(runs, 4, "{scenario}");
    }
    // The application-data and application-PSK cells with OpenMLS run, in both roles; none
    // other does.
    for scenario in EXTENSIONS_DRAFT {
        let runs: Vec<Cell> = matrix::cells(&filter)
            .into_iter()
            .filter(|c| c.scenario == scenario)
            .collect();
        assert_eq!(runs.len(), 2, "{scenario}: {runs:?}");
        assert!(
            runs.iter()
                .all(|c| c.peer == Peer::One(Implementation::OpenMls)),
            "{scenario}: {runs:?}"
        );
        assert!(
            runs.iter().any(|c| c.committer == Implementation::Cohort)
                && runs.iter().any(|c| c.committer == Implementation::OpenMls),
            "{scenario}: {runs:?}"
        );
    }
    // Every last-resort cell runs: with each peer and mixed, in both roles (every creator).
    let runs: Vec<Cell> = matrix::cells(&filter)
        .into_iter()
        .filter(|c| c.scenario == Scenario::LastResort)
        .collect();
    assert_eq!(runs.len(), 7, "{runs:?}");
    // A branch that leaves OpenMLS behind (mixed, cohort creating: OpenMLS is C) runs.
    assert!(
        matrix::cells(&filter)
            .iter()
            .any(|c| c.scenario == Scenario::Branch
                && c.peer == Peer::Mixed
                && c.committer == Implementation::Cohort)
    );
}
