//! `cargo xtask crash`: the full crash run of the SQLite store.
//!
//! It runs the crash test of `cohort-storage-sqlite` (`tests/crash.rs`) with
//! `COHORT_CRASH_KILLS` set: a child process drives real groups on SQLite files and is killed
//! with SIGKILL at random moments, and after each kill every group is checked. The test prints
//! its progress and a summary line `K kills, N inconsistent`; this command passes the output
//! through and repeats that line last. The exit status is non-zero when any kill left an
//! inconsistent state or the run failed.
//!
//! ```text
//! cargo xtask crash [--kills N] [--seed S]
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};

const HELP: &str = "\
cargo xtask crash: kill a process driving groups on SQLite, N times, and check every group

USAGE:
    cargo xtask crash [--kills N] [--seed S]

OPTIONS:
    --kills N    How many times to kill the child (default 1000)
    --seed S     The random seed (default: from the clock; printed at the start)
";

/// The default number of kills.
const DEFAULT_KILLS: u64 = 1000;

/// Runs the command.
pub(crate) fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    let mut kills = DEFAULT_KILLS;
    let mut seed = None;
    let mut args = args.into_iter().map(|a| a.to_string_lossy().into_owned());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--kills" => match args.next().and_then(|v| v.parse().ok()) {
                Some(n) => kills = n,
                None => return usage("--kills takes a number"),
            },
            "--seed" => match args.next().and_then(|v| v.parse::<u64>().ok()) {
                Some(s) => seed = Some(s),
                None => return usage("--seed takes a number"),
            },
            "--help" | "-h" => {
                print!("{HELP}");
                return ExitCode::SUCCESS;
            }
            other => return usage(&format!("unknown option {other}")),
        }
    }

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "test",
            "--package",
            "cohort-storage-sqlite",
            "--test",
            "crash",
            "--",
            "--exact",
            "sigkill_at_random_moments_leaves_every_group_consistent",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("COHORT_CRASH_KILLS", kills.to_string())
        .stdout(Stdio::piped());
    if let Some(seed) = seed {
        command.env("COHORT_CRASH_SEED", seed.to_string());
    }
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot run cargo test: {e}");
            return ExitCode::from(2);
        }
    };
    let mut summary = None;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            println!("{line}");
            if let Some(counts) = parse_summary(&line) {
                summary = Some(counts);
            }
        }
    }
    let status = match child.wait() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: waiting for cargo test: {e}");
            return ExitCode::from(2);
        }
    };
    match summary {
        Some((k, n)) => {
            println!("{k} kills, {n} inconsistent");
            if n == 0 && status.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        None => {
            eprintln!("error: the crash test ended ({status}) without a summary line");
            ExitCode::FAILURE
        }
    }
}

/// The counts of a line `K kills, N inconsistent`, exactly.
fn parse_summary(line: &str) -> Option<(u64, u64)> {
    let (kills, rest) = line.split_once(" kills, ")?;
    let inconsistent = rest.strip_suffix(" inconsistent")?;
    Some((kills.parse().ok()?, inconsistent.parse().ok()?))
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("error: {problem}\n");
    eprint!("{HELP}");
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use super::parse_summary;

    #[test]
    fn the_summary_line_is_read_exactly() {
        assert_eq!(parse_summary("1000 kills, 0 inconsistent"), Some((1000, 0)));
        assert_eq!(parse_summary("20 kills, 3 inconsistent"), Some((20, 3)));
        assert_eq!(parse_summary("  100 kills, 0 inconsistent (3.1 s)"), None);
        assert_eq!(parse_summary("kill 3: INCONSISTENT: x"), None);
    }
}
