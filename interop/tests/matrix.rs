//! The interop matrix on cipher suite 1 (the MTI suite); `cargo xtask interop` runs every suite.

use cohort_interop::matrix::{self, Filter, Outcome};

#[test]
fn suite_1_matrix() {
    let results = matrix::run(&Filter {
        suites: vec![1],
        ..Filter::default()
    });
    assert!(!results.is_empty());
    let mut failures = Vec::new();
    for (cell, outcome) in &results {
        println!(
            "{:<17} {:<8} {:<16} suite {}: {}",
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
