//! Smoke test: every scenario once, on every implementation, at a tiny size, so the harness
//! cannot rot unnoticed. The scenarios themselves check that members agree (epoch
//! authenticators after every commit and join, the plaintext after every application message).

use cohort_bench_peers::run::{IMPLEMENTATIONS, Settings, run};
use cohort_bench_peers::{plot, report};

#[test]
fn every_scenario_runs_and_members_agree_on_every_implementation() {
    let settings = Settings {
        sizes: vec![2, 5],
        quick: true,
        implementations: IMPLEMENTATIONS.iter().map(|s| s.to_string()).collect(),
        progress: false,
    };
    let results = run(&settings).expect("run");
    for label in &results.labels {
        for (scenario, per_size) in report::SCENARIOS {
            let sizes: &[usize] = if per_size {
                &[2, 5]
            } else if scenario == "keypackage_gen" {
                &[1]
            } else {
                &[2]
            };
            for &n in sizes {
                assert!(
                    results.get(scenario, n, label).is_some(),
                    "{scenario} at N = {n} missing for {label}"
                );
            }
        }
    }
    assert!(
        results
            .counts
            .iter()
            .any(|(scenario, n, counts)| *scenario == "join_welcome" && *n == 5 && counts[0] == 7),
        "a join into a group of 5 verifies the 6 leaves (its own included) and the GroupInfo: {:?}",
        results.counts
    );
    let table = report::scenario_table(&results);
    assert!(table.contains("| self_update_process | 5 |"), "{table}");
    let svg = std::env::temp_dir().join(format!("bench-peers-smoke-{}.svg", std::process::id()));
    plot::draw(&svg, &results, &["self_update_process", "join_welcome"]).expect("plot");
    let drawn = std::fs::read_to_string(&svg).expect("svg");
    assert!(drawn.contains("<svg"));
    let _ = std::fs::remove_file(svg);
}

/// The post-quantum rows run at a tiny size on both implementations and every suite, with a
/// time in every cell OpenMLS plays and the sizes of every suite.
#[test]
fn post_quantum_rows_run() {
    let settings = Settings {
        sizes: vec![3],
        quick: true,
        implementations: Vec::new(),
        progress: false,
    };
    let report = cohort_bench_peers::pq::run(&settings, 3).expect("PQ rows");
    for (_, name) in cohort_bench_peers::pq::PQ_SUITES {
        assert!(
            report.contains(&format!("cohort facade (RustCrypto), {name}")),
            "{report}"
        );
        assert!(
            report.contains(&format!("OpenMLS (RustCrypto), {name}")),
            "{report}"
        );
        assert!(report.contains(&format!("| {name} | 3 |")), "{report}");
    }
    let self_update = report
        .lines()
        .find(|l| l.starts_with("| self_update_process | 3 |"))
        .expect("a self-update row");
    assert!(!self_update.contains('–'), "{self_update}");
}
