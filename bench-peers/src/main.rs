//! `bench-peers`: runs the scenarios of SCENARIOS.md on cohort, OpenMLS and mls-rs in one run
//! and prints a table of medians. `cargo xtask bench-peers` builds it in release mode and writes
//! its report into `docs/performance.md`.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use cohort_bench_peers::run::{IMPLEMENTATIONS, Settings, run};
use cohort_bench_peers::{plot, report};

const HELP: &str = "\
bench-peers: cohort, OpenMLS and mls-rs on the shared MLS scenarios, side by side

USAGE:
    bench-peers [--sizes 10,100,1000] [--quick] [--impls a,b,...] [--out DIR]
    bench-peers --pq [--sizes 10,100,1000] [--openmls-max N] [--quick] [--out DIR]

OPTIONS:
    --sizes LIST   group sizes N (default 10,100,1000)
    --quick        a few repetitions per scenario (smoke runs)
    --impls LIST   implementations to run (default all): cohort-facade-aws-lc, cohort-aws-lc, openmls,
                   mls-rs-aws-lc, mls-rs-aws-lc-1t, cohort-rustcrypto, mls-rs-rustcrypto
    --out DIR      also write DIR/bench-peers.md (the report) and DIR/bench-peers.svg
    --pq           instead, the post-quantum rows: cohort's facade and OpenMLS on RustCrypto, on
                   suite 1, TBD1 (X-Wing) and TBD10 (ML-KEM-768, ML-DSA-65), and the sizes a PQ
                   tree brings; with --out, DIR/bench-peers-pq.md
    --openmls-max N  with --pq, OpenMLS only up to group size N (default 100: it grows a
                   PQ group of 1000 in minutes)
";

/// What the command line asked for.
struct Args {
    settings: Settings,
    out: Option<PathBuf>,
    /// The post-quantum rows instead of the main run, with OpenMLS up to this size.
    pq: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut settings = Settings {
        sizes: vec![10, 100, 1000],
        quick: false,
        implementations: IMPLEMENTATIONS.iter().map(|s| s.to_string()).collect(),
        progress: true,
    };
    let mut out = None;
    let mut pq = None;
    let mut openmls_max = 100;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => settings.quick = true,
            "--pq" => pq = Some(()),
            "--openmls-max" => {
                let n = args.next().ok_or("--openmls-max needs a number")?;
                openmls_max = n.parse().map_err(|e| format!("--openmls-max: {e}"))?;
            }
            "--sizes" => {
                let list = args.next().ok_or("--sizes needs a list")?;
                let mut sizes = list
                    .split(',')
                    .map(|s| {
                        s.trim()
                            .parse::<usize>()
                            .map_err(|e| format!("--sizes: {e}"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                sizes.sort_unstable();
                sizes.dedup();
                if sizes.first().is_none_or(|&n| n < 2) {
                    return Err("--sizes: every N must be at least 2".into());
                }
                settings.sizes = sizes;
            }
            "--impls" => {
                let list = args.next().ok_or("--impls needs a list")?;
                settings.implementations = list.split(',').map(|s| s.trim().to_string()).collect();
            }
            "--out" => out = Some(PathBuf::from(args.next().ok_or("--out needs a directory")?)),
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        settings,
        out,
        pq: pq.map(|()| openmls_max),
    })
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores available, {}", std::env::consts::OS)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}\n");
            }
            eprint!("{HELP}");
            return ExitCode::from(2);
        }
    };
    if let Some(openmls_max) = args.pq {
        let report = match cohort_bench_peers::pq::run(&args.settings, openmls_max) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("{report}");
        if let Some(dir) = args.out {
            let md = format!(
                "Machine: {}. Binary arguments: `{}`{}.\n\n{report}",
                machine(),
                std::env::args().skip(1).collect::<Vec<_>>().join(" "),
                if args.settings.quick {
                    " (quick mode: few repetitions, not for quoting)"
                } else {
                    ""
                },
            );
            if let Err(e) = std::fs::write(dir.join("bench-peers-pq.md"), md) {
                eprintln!("error: writing the report: {e}");
                return ExitCode::FAILURE;
            }
        }
        return ExitCode::SUCCESS;
    }
    let results = match run(&args.settings) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let table = report::scenario_table(&results);
    let floor = report::floor_table(&results);
    let message_floor = report::message_floor_table(&results);
    let bytes = report::commit_bytes_table(&results);
    let counts = report::counts_table(&results);
    let signed = report::signed_line(&results);
    println!(
        "{table}\nPrimitive floor (median, each implementation's own crypto layer):\n\n{floor}"
    );
    println!("Application messages against their floor ({signed}):\n\n{message_floor}");
    println!("Self-update commit size:\n\n{bytes}");
    println!("cohort's operations per timed operation:\n\n{counts}");
    println!("Timed repetitions: {}", report::runs_line(&results));
    if let Some(dir) = args.out {
        let command: Vec<String> = std::env::args().skip(1).collect();
        let md = format!(
            "Machine: {}. Binary arguments: `{}`{}.\n\n{table}\n\
             Primitive floor (median, through each implementation's own crypto layer):\n\n{floor}\n\
             Application messages against their floor (one signature and one verification of \
             what the message signs, and two AES-128-GCM operations on its size, from the rows \
             above; {signed}):\n\n{message_floor}\n\
             Self-update commit size (`commit_bytes`):\n\n{bytes}\n\
             cohort's crypto operations in one timed operation of each scenario (counted through \
             its `SuiteOps`, on a separate untimed pass):\n\n{counts}\n\
             Timed repetitions per cell (after warm-up, capped at 15 s): {}.\n",
            machine(),
            command.join(" "),
            if args.settings.quick {
                " (quick mode: few repetitions, not for quoting)"
            } else {
                ""
            },
            report::runs_line(&results),
        );
        if let Err(e) = std::fs::write(dir.join("bench-peers.md"), md) {
            eprintln!("error: writing the report: {e}");
            return ExitCode::FAILURE;
        }
        let svg = dir.join("bench-peers.svg");
        if let Err(e) = plot::draw(&svg, &results, &["self_update_process", "join_welcome"]) {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
