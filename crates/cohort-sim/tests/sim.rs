//! The simulation on a few fixed seeds in both DS modes, and its determinism.

use cohort_sim::{DsMode, Fault, FaultSet, SimConfig, Stats};

/// A short run: few clients, few steps, so that the suite stays fast.
fn short(seed: u64, mode: DsMode) -> SimConfig {
    SimConfig::new(seed, 4, 30, mode)
}

#[test]
fn fixed_seeds_hold_their_invariants_in_both_modes() {
    let mut total = Stats::default();
    for mode in DsMode::BOTH {
        for seed in [0, 3, 7] {
            let mut config = short(seed, mode);
            // No gap tolerated: an own echo refused or a member stuck is a divergence.
            config.strict = true;
            let report = cohort_sim::run(config).expect("the run starts");
            assert!(
                report.divergence.is_none(),
                "{}: {}",
                report.replay_command(),
                report.divergence.map(|d| d.to_string()).unwrap_or_default()
            );
            assert!(report.stats.app_decrypted > 0, "{:?}", report.stats);
            add(&mut total, &report.stats);
        }
    }
    // The library's delivery features were exercised.
    assert!(total.held_by_library > 0, "{total:?}");
    assert!(total.processed_held > 0, "{total:?}");
    assert!(total.races > 0, "{total:?}");
    assert!(total.lost_commits_reported > 0, "{total:?}");
    assert!(total.reproposed > 0, "{total:?}");
    assert!(total.echoes > 0, "{total:?}");
}

/// Adds the counters the tests look at.
fn add(total: &mut Stats, s: &Stats) {
    total.held_by_library += s.held_by_library;
    total.processed_held += s.processed_held;
    total.races += s.races;
    total.lost_commits_reported += s.lost_commits_reported;
    total.reproposed += s.reproposed;
    total.echoes += s.echoes;
}

#[test]
fn without_faults_nothing_diverges_or_needs_a_resync() {
    for mode in DsMode::BOTH {
        let mut config = short(5, mode);
        config.faults = FaultSet::none();
        config.strict = true;
        let report = cohort_sim::run(config).expect("the run starts");
        assert!(report.divergence.is_none(), "{:?}", report.divergence);
        assert_eq!(report.stats.resyncs, 0, "{:?}", report.stats);
        assert_eq!(report.stats.restarts, 0, "{:?}", report.stats);
        assert_eq!(report.stats.held_by_library, 0, "{:?}", report.stats);
    }
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    for mode in DsMode::BOTH {
        let mut config = SimConfig::new(42, 5, 40, mode);
        config.trace = true;
        let first = cohort_sim::run(config.clone()).expect("the run starts");
        let second = cohort_sim::run(config).expect("the run starts");
        assert!(!first.trace.is_empty(), "a trace was recorded");
        assert_eq!(first.trace, second.trace, "{mode}");
        assert_eq!(first.stats, second.stats, "{mode}");
        assert_eq!(first.divergence, second.divergence, "{mode}");
    }
}

#[test]
fn another_seed_gives_another_run() {
    let mut a = SimConfig::new(1, 4, 20, DsMode::Ordered);
    a.trace = true;
    let mut b = a.clone();
    b.seed = 2;
    let (a, b) = (
        cohort_sim::run(a).expect("runs"),
        cohort_sim::run(b).expect("runs"),
    );
    assert_ne!(a.trace, b.trace);
}

#[test]
fn unusable_configurations_are_refused() {
    assert!(cohort_sim::run(SimConfig::new(0, 1, 10, DsMode::Ordered)).is_err());
    let mut config = SimConfig::new(0, 3, 10, DsMode::FanOut);
    config.settle_steps = config.commit_delay_bound;
    assert!(cohort_sim::run(config).is_err());
}

/// With the ReInit fault on (as in every default run), runs reinitialize the group: a member
/// proposes a ReInit, another commits it, the committer creates the new group and the others
/// join it with `join_resumed`; messages still in flight for the old group are refused by it.
/// The invariants hold across the switch and the members converge in the newest group.
#[test]
fn reinit_runs_create_and_join_new_groups() {
    assert!(FaultSet::all().contains(Fault::ReInit));
    for mode in DsMode::BOTH {
        let (mut reinits, mut joins, mut refused) = (0, 0, 0);
        let mut trace = Vec::new();
        for seed in 0..6 {
            let mut config = SimConfig::new(seed, 5, 80, mode);
            config.strict = true;
            config.trace = true;
            let report = cohort_sim::run(config).expect("the run starts");
            assert!(
                report.divergence.is_none(),
                "{}: {}",
                report.replay_command(),
                report.divergence.map(|d| d.to_string()).unwrap_or_default()
            );
            reinits += report.stats.reinits;
            joins += report.stats.reinit_joins;
            refused += report.stats.closed_group_refused;
            trace.extend(report.trace);
        }
        assert!(reinits > 0, "{mode}: no ReInit");
        assert!(joins > 0, "{mode}: nobody joined a new group");
        assert!(refused > 0, "{mode}: no message refused by a closed group");
        for line in [
            "proposes a ReInit into group",
            "commits the ReInit",
            "merges the ReInit: its group is closed",
            "creates group",
            "joins group",
        ] {
            assert!(
                trace.iter().any(|l| l.contains(line)),
                "{mode}: no trace line with {line:?}"
            );
        }
    }
}
