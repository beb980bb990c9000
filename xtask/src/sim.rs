//! `cargo xtask sim`: the deterministic network simulation (`cohort-sim`) over a range of seeds.
//!
//! Each seed runs in both DS modes (or the one `--mode` names) with every fault kind (or those
//! `--faults` names), each run under `catch_unwind`. It prints one line per failing run with what
//! diverged and the command that replays it, and a last line `N seeds, N diverged, N panics`
//! (a seed counts once: as a panic if either mode panicked, otherwise as diverged if either
//! mode diverged). The exit status is non-zero when any seed diverged or panicked.
//!
//! ```text
//! cargo xtask sim [--seeds N] [--from K] [--seed X] [--clients C] [--steps S]
//!                 [--mode ordered|fanout|both] [--faults LIST] [--strict] [--trace] [--jobs J]
//! ```

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use cohort_sim::{DsMode, FaultSet, Report, SimConfig};

const HELP: &str = "\
cargo xtask sim: run the deterministic network simulation over a range of seeds

USAGE:
    cargo xtask sim [--seeds N] [--from K] [--seed X] [--clients C] [--steps S]
                    [--mode ordered|fanout|both] [--faults LIST] [--strict] [--trace] [--jobs J]

OPTIONS:
    --seeds N      How many seeds (default 100)
    --from K       The first seed (default 0): seeds K..K+N-1 run
    --seed X       Run (replay) seed X only
    --clients C    Clients per run (default 8)
    --steps S      Steps of traffic per run, before the drain (default 100)
    --mode M       ordered, fanout or both (default both)
    --faults LIST  Comma-separated faults to inject, `all` (default) or `none`: reorder,
                   duplicate, delay, loss, offline, restart, concurrent, external-join, psk, echo,
                   reinit
    --strict       Where the library falls short but the run could go on (an own echo refused,
                   a member stuck with nothing lost), diverge instead of counting it
    --trace        Print the trace of every run (use with --seed)
    --jobs J       Runs in parallel (default 1)
";

/// The options of a `sim` command.
struct Options {
    from: u64,
    seeds: u64,
    clients: usize,
    steps: u64,
    modes: Vec<DsMode>,
    faults: FaultSet,
    strict: bool,
    trace: bool,
    jobs: usize,
}

/// The outcomes of a seed, one per mode.
type SeedOutcomes = (u64, Vec<(DsMode, Outcome)>);

/// The outcome of one run.
enum Outcome {
    /// With the number of ReInits the run did.
    Passed(u64),
    Diverged(Box<Report>),
    Panicked(String),
    Failed(String),
}

/// Runs the command.
pub(crate) fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    let options = match parse(args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n");
            eprint!("{HELP}");
            return ExitCode::from(2);
        }
    };
    silence_panics();
    let started = Instant::now();
    let next = AtomicU64::new(0);
    let results: Mutex<Vec<SeedOutcomes>> = Mutex::new(Vec::new());
    let options = Arc::new(options);
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= options.seeds {
                        break;
                    }
                    let seed = options.from + i;
                    let outcomes: Vec<(DsMode, Outcome)> = options
                        .modes
                        .iter()
                        .map(|&mode| (mode, run_one(&options, seed, mode)))
                        .collect();
                    report_seed(&options, seed, &outcomes);
                    if let Ok(mut r) = results.lock() {
                        r.push((seed, outcomes));
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_default();
    let (mut diverged, mut panics) = (0u64, 0u64);
    for (_, outcomes) in &results {
        if outcomes
            .iter()
            .any(|(_, o)| matches!(o, Outcome::Panicked(_)))
        {
            panics += 1;
        } else if outcomes
            .iter()
            .any(|(_, o)| matches!(o, Outcome::Diverged(_) | Outcome::Failed(_)))
        {
            diverged += 1;
        }
    }
    let reinits: u64 = results
        .iter()
        .flat_map(|(_, outcomes)| outcomes)
        .map(|(_, o)| match o {
            Outcome::Passed(n) => *n,
            _ => 0,
        })
        .sum();
    eprintln!(
        "({:.1} s; {reinits} ReInits in the runs that passed)",
        started.elapsed().as_secs_f64()
    );
    println!(
        "{} seeds, {diverged} diverged, {panics} panics",
        results.len()
    );
    if diverged == 0 && panics == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn parse(args: Vec<std::ffi::OsString>) -> Result<Option<Options>, String> {
    let mut options = Options {
        from: 0,
        seeds: 100,
        clients: 8,
        steps: 100,
        modes: DsMode::BOTH.to_vec(),
        faults: FaultSet::all(),
        strict: false,
        trace: false,
        jobs: 1,
    };
    let mut args = args.into_iter().map(|a| a.to_string_lossy().into_owned());
    fn number<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, String> {
        value
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{flag} takes a number"))
    }
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seeds" => options.seeds = number("--seeds", args.next())?,
            "--from" => options.from = number("--from", args.next())?,
            "--seed" => {
                options.from = number("--seed", args.next())?;
                options.seeds = 1;
            }
            "--clients" => options.clients = number("--clients", args.next())?,
            "--steps" => options.steps = number("--steps", args.next())?,
            "--jobs" => options.jobs = number("--jobs", args.next())?,
            "--mode" => {
                let value = args.next().ok_or("--mode takes a mode")?;
                options.modes = match value.as_str() {
                    "both" => DsMode::BOTH.to_vec(),
                    m => vec![m.parse().map_err(|e| format!("{e}"))?],
                };
            }
            "--faults" => {
                let value = args.next().ok_or("--faults takes a list")?;
                options.faults = value.parse().map_err(|e| format!("{e}"))?;
            }
            "--strict" => options.strict = true,
            "--trace" => options.trace = true,
            "--help" | "-h" => return Ok(None),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(Some(options))
}

/// Runs seed `seed` in `mode`, catching a panic.
fn run_one(options: &Options, seed: u64, mode: DsMode) -> Outcome {
    let mut config = SimConfig::new(seed, options.clients, options.steps, mode);
    config.faults = options.faults;
    config.strict = options.strict;
    config.trace = options.trace;
    let replay = config.replay_command();
    let result = panic::catch_unwind(AssertUnwindSafe(|| cohort_sim::run(config)));
    match result {
        Ok(Ok(report)) => {
            if options.trace {
                for line in &report.trace {
                    println!("  [{mode}] {line}");
                }
                println!("  [{mode}] {:?}", report.stats);
            }
            if report.divergence.is_some() {
                Outcome::Diverged(Box::new(report))
            } else {
                Outcome::Passed(report.stats.reinits)
            }
        }
        Ok(Err(e)) => Outcome::Failed(format!("{e} | replay: {replay}")),
        Err(_) => {
            let message = LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| "panic".into());
            Outcome::Panicked(format!("{message} | replay: {replay}"))
        }
    }
}

/// Prints a line for each run of `seed` that failed.
fn report_seed(_options: &Options, seed: u64, outcomes: &[(DsMode, Outcome)]) {
    for (mode, outcome) in outcomes {
        match outcome {
            Outcome::Passed(_) => {}
            Outcome::Diverged(report) => {
                if let Some(d) = &report.divergence {
                    println!(
                        "seed {seed} {mode}: {d} | replay: {}",
                        report.replay_command()
                    );
                }
            }
            Outcome::Panicked(message) => println!("seed {seed} {mode}: PANIC {message}"),
            Outcome::Failed(message) => println!("seed {seed} {mode}: could not run: {message}"),
        }
    }
}

thread_local! {
    /// The message of the last panic on this thread, kept by the hook.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Panics are caught and reported on the run's line: the hook keeps the message and location
/// instead of printing them.
fn silence_panics() {
    panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{message}{at}")));
    }));
}
