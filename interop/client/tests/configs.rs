//! Two cohort clients in process, on ephemeral loopback ports, play the default configs
//! (welcome_join, application, commit, external_join) on suite 1 through the gRPC runner.

use std::path::PathBuf;

use cohort_interop_client::runner::{self, DEFAULT_CONFIGS, Options};

/// The project's copy of the working group's configs (`interop/configs/`).
fn configs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../configs")
}

/// Starts two servers and plays `configs` with `options`; returns the summary and the report.
async fn run_configs(configs: &[&str], options: Options) -> (runner::Summary, String) {
    let mut addresses = Vec::new();
    for _ in 0..2 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        addresses.push(listener.local_addr().unwrap().to_string());
        tokio::spawn(cohort_interop_client::server::serve(listener));
    }
    let configs: Vec<_> = configs
        .iter()
        .map(|name| runner::load_config(&configs_dir().join(format!("{name}.json"))).unwrap())
        .collect();
    let mut out = Vec::new();
    let summary = runner::run(&addresses, &configs, &options, &mut out)
        .await
        .unwrap();
    let report = String::from_utf8_lossy(&out).into_owned();
    println!("{report}");
    (summary, report)
}

/// Runs the default configs with `options`; checks that nothing failed.
async fn run_default_configs(options: Options) {
    let (summary, report) = run_configs(&DEFAULT_CONFIGS, options).await;
    assert_eq!(summary.failed, 0, "{report}");
    assert!(summary.passed > 0, "{report}");
    assert!(
        report
            .trim_end()
            .ends_with(&format!("{} passed, 0 failed", summary.passed))
    );
    // External joins with PSKs run and pass (they were unsupported before
    // `Group::join_by_external_commit_with_psks`).
    let with_psk: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("external_join/with_psk "))
        .collect();
    assert!(!with_psk.is_empty(), "{report}");
    assert!(with_psk.iter().all(|l| l.contains(": pass")), "{report}");
}

/// Every assignment of clients to actors (up to 2^8 for commit/add), suite 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_configs_pass_between_two_cohort_clients() {
    run_default_configs(Options::default()).await;
}

/// The same with encrypted handshake messages (PrivateMessage), on a sample of assignments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_configs_pass_with_encrypted_handshakes() {
    let mut options = Options::default();
    options.encrypt_handshake = true;
    options.max_assignments = 8;
    run_default_configs(options).await;
}

/// Branching (`branch.json`), every assignment of its 5 actors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn branch_config_passes() {
    let (summary, report) = run_configs(&["branch"], Options::default()).await;
    assert_eq!(summary.failed, 0, "{report}");
    assert!(summary.passed > 0, "{report}");
}

/// Reinitialization (`reinit.json`) on a sample of assignments, including the scripts whose
/// ReInit keeps the group id (the reinit PSK must then be found in the old group, not the new
/// one of the same id).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reinit_config_passes() {
    let mut options = Options::default();
    options.max_assignments = 4;
    let (summary, report) = run_configs(&["reinit"], options).await;
    assert_eq!(summary.failed, 0, "{report}");
    assert!(summary.passed > 0, "{report}");
    for script in ["reinit/change_ciphersuite", "reinit/change_extensions"] {
        assert!(
            report
                .lines()
                .any(|l| l.starts_with(&format!("{script} ")) && l.contains(": pass")),
            "{script} did not run: {report}"
        );
    }
}

/// External proposals (`external_proposals.json`): new-member Add proposals, external signers
/// added by GroupContextExtensions proposals and proposing Add, Remove, PSKs, extensions and a
/// ReInit. Every script runs (none is unsupported) and passes, on every assignment of its
/// actors up to 16.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_proposals_config_passes() {
    let mut options = Options::default();
    options.max_assignments = 16;
    let (summary, report) = run_configs(&["external_proposals"], options).await;
    assert_eq!(summary.failed, 0, "{report}");
    assert!(summary.unsupported.is_empty(), "{report}");
    for script in [
        "joiner_signed_add",
        "external_add",
        "external_remove",
        "external_psk",
        "resumption_psk",
        "group_context_extensions",
        "multiple_external",
        "external_reinit",
    ] {
        assert!(
            report
                .lines()
                .any(|l| l.starts_with(&format!("external_proposals/{script} "))
                    && l.contains(": pass")),
            "{script} did not pass: {report}"
        );
    }
}
