//! `cargo xtask fuzz`: builds the cargo-fuzz targets of `fuzz/` with libFuzzer's coverage
//! instrumentation on the nightly toolchain and runs each for a bounded time.
//!
//! No `cargo-fuzz` install is needed: the targets are built with the flags it would pass
//! (sanitizer coverage, `--cfg fuzzing`, debug assertions and overflow checks; no address
//! sanitizer, as the crates fuzzed forbid `unsafe`), in `fuzz/target`. Each target starts from
//! its committed corpus, `fuzz/corpus/<target>/`; what it finds new goes to a scratch directory,
//! and with `--keep` the committed corpus is replaced by a minimized merge (libFuzzer's
//! `-merge=1`) of itself and what the run found.
//! A crash leaves its input in `fuzz/artifacts/<target>/` and fails the command; turn it into a
//! named regression test.
//!
//! It prints one line per target (executions, executions per second, coverage, corpus size) and a
//! last line `N targets, N executions, N crashes`. The exit status is non-zero on any crash or
//! build failure.
//!
//! ```text
//! cargo xtask fuzz [--seconds S] [--keep] [TARGET...]
//! ```

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

const HELP: &str = "\
cargo xtask fuzz: build the fuzz targets (nightly, libFuzzer) and run each for a bounded time

USAGE:
    cargo xtask fuzz [--seconds S] [--seed N] [--keep] [TARGET...]

OPTIONS:
    --seconds S   How long each target runs (default 60)
    --seed N      libFuzzer's random seed (default: a new one each run); CI fixes it, so that a
                  bounded run explores the same inputs every time
    --keep        Replace fuzz/corpus/<target>/ by a minimized merge of it and what the run found
    TARGET...     The targets to run (default: every file in fuzz/fuzz_targets/)
";

/// The flags cargo-fuzz passes for libFuzzer's coverage-guided runs (without a sanitizer).
const RUSTFLAGS: &str = "-Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    --cfg fuzzing -Cdebug-assertions -Coverflow-checks";

/// What one run of a target reported.
#[derive(Debug, Default, PartialEq)]
struct Stats {
    executions: u64,
    coverage: u64,
    features: u64,
    corpus: u64,
}

/// Runs the command.
pub(crate) fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    let mut seconds = 60u64;
    let mut keep = false;
    let mut seed: Option<u64> = None;
    let mut targets = Vec::new();
    let mut args = args.into_iter().map(|a| a.to_string_lossy().into_owned());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => match args.next().and_then(|s| s.parse().ok()) {
                Some(s) if s > 0 => seconds = s,
                _ => return usage("--seconds needs a positive number"),
            },
            "--seed" => match args.next().and_then(|s| s.parse().ok()) {
                Some(s) => seed = Some(s),
                None => return usage("--seed needs a number"),
            },
            "--keep" => keep = true,
            "--help" | "-h" => {
                print!("{HELP}");
                return ExitCode::SUCCESS;
            }
            other if other.starts_with('-') => return usage(&format!("unknown option {other}")),
            target => targets.push(target.to_string()),
        }
    }
    let fuzz = crate::bench_peers::workspace_root().join("fuzz");
    let all = match list_targets(&fuzz) {
        Ok(all) => all,
        Err(e) => return fail(&format!("cannot list fuzz/fuzz_targets: {e}")),
    };
    if targets.is_empty() {
        targets = all;
    } else if let Some(unknown) = targets.iter().find(|t| !all.contains(t)) {
        return usage(&format!(
            "no fuzz target {unknown} (there are: {})",
            all.join(", ")
        ));
    }
    let host = match host_triple() {
        Ok(host) => host,
        Err(e) => return fail(&e),
    };
    if let Err(e) = build(&fuzz, &host) {
        return fail(&e);
    }
    let (mut total, mut crashes) = (0u64, 0usize);
    for target in &targets {
        match run(&fuzz, &host, target, seconds, seed, keep) {
            Ok(stats) => {
                total += stats.executions;
                println!(
                    "{target}: {} executions in {seconds} s ({}/s), coverage {} edges, {} features, corpus {}",
                    stats.executions,
                    stats.executions / seconds,
                    stats.coverage,
                    stats.features,
                    stats.corpus
                );
            }
            Err(e) => {
                crashes += 1;
                println!("{target}: FAILED: {e}");
            }
        }
    }
    println!(
        "{} targets, {total} executions, {crashes} crashes",
        targets.len()
    );
    if crashes == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn usage(e: &str) -> ExitCode {
    eprintln!("error: {e}\n\n{HELP}");
    ExitCode::from(2)
}

fn fail(e: &str) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::FAILURE
}

/// The targets: the file stems in `fuzz/fuzz_targets/`, sorted.
fn list_targets(fuzz: &Path) -> std::io::Result<Vec<String>> {
    let mut targets = Vec::new();
    for entry in std::fs::read_dir(fuzz.join("fuzz_targets"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            if let Some(stem) = path.file_stem() {
                targets.push(stem.to_string_lossy().into_owned());
            }
        }
    }
    targets.sort();
    Ok(targets)
}

/// This machine's target triple (`rustc -vV`).
fn host_triple() -> Result<String, String> {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_string)
        .ok_or_else(|| "rustc -vV names no host".to_string())
}

/// Builds every target, installing the nightly toolchain first if it is missing.
fn build(fuzz: &Path, host: &str) -> Result<(), String> {
    let has_nightly = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_nightly {
        eprintln!("fuzz: installing the nightly toolchain (rustup toolchain install nightly)");
        let status = Command::new("rustup")
            .args(["toolchain", "install", "nightly", "--profile", "minimal"])
            .status()
            .map_err(|e| format!("cannot run rustup: {e}"))?;
        if !status.success() {
            return Err("rustup could not install the nightly toolchain".into());
        }
    }
    eprintln!("fuzz: building the targets (nightly, release, coverage instrumentation)");
    // With an explicit target, RUSTFLAGS reach the fuzzed code only, not the build scripts
    // (which would otherwise be instrumented and fail to link without libFuzzer).
    let status = Command::new("cargo")
        .args(["+nightly", "build", "--release", "--bins", "--target", host])
        .arg("--manifest-path")
        .arg(fuzz.join("Cargo.toml"))
        .env("RUSTFLAGS", RUSTFLAGS)
        .env("CARGO_TARGET_DIR", fuzz.join("target"))
        // The outer `cargo xtask` sets these for the stable toolchain; the inner build must pick
        // its own.
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("building the fuzz targets failed".into())
    }
}

/// Runs `target` for `seconds` from its committed corpus; with `keep`, merges what it found into
/// that corpus.
fn run(
    fuzz: &Path,
    host: &str,
    target: &str,
    seconds: u64,
    seed: Option<u64>,
    keep: bool,
) -> Result<Stats, String> {
    let binary = fuzz.join("target").join(host).join("release").join(target);
    let corpus = fuzz.join("corpus").join(target);
    let artifacts = fuzz.join("artifacts").join(target);
    // Beside the corpus's filesystem, so that the merged corpus can be moved in place.
    let scratch = fuzz.join("target").join("scratch").join(target);
    let _ = std::fs::remove_dir_all(&scratch);
    for dir in [&corpus, &artifacts, &scratch] {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let started = Instant::now();
    let mut command = Command::new(&binary);
    if let Some(seed) = seed {
        command.arg(format!("-seed={seed}"));
    }
    let output = command
        .arg(format!("-max_total_time={seconds}"))
        .arg("-print_final_stats=1")
        .arg("-max_len=65536")
        .arg("-rss_limit_mb=2048")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        // New inputs go to the scratch directory (the first); the committed corpus is read only.
        .arg(&scratch)
        .arg(&corpus)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let log = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "exit {} after {:.0} s; input saved in {}\n{}",
            output.status,
            started.elapsed().as_secs_f64(),
            artifacts.display(),
            tail.join("\n")
        ));
    }
    let stats = parse_stats(&log);
    if keep {
        // A fresh corpus that keeps the coverage of the committed one and of what the run
        // found, with as few inputs as libFuzzer can, then in place of the committed one.
        let merged = scratch.with_extension("merged");
        let _ = std::fs::remove_dir_all(&merged);
        std::fs::create_dir_all(&merged)
            .map_err(|e| format!("cannot create {}: {e}", merged.display()))?;
        let status = Command::new(&binary)
            .arg("-merge=1")
            .arg(&merged)
            .arg(&corpus)
            .arg(&scratch)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("cannot merge the corpus: {e}"))?;
        if !status.success() {
            return Err("merging the corpus failed".into());
        }
        std::fs::remove_dir_all(&corpus)
            .and_then(|()| std::fs::rename(&merged, &corpus))
            .map_err(|e| format!("cannot replace {}: {e}", corpus.display()))?;
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(stats)
}

/// The numbers of libFuzzer's final statistics and last status line.
fn parse_stats(log: &str) -> Stats {
    let mut stats = Stats::default();
    for line in log.lines() {
        if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
            stats.executions = n.trim().parse().unwrap_or(0);
        }
        // `#1234 DONE   cov: 567 ft: 890 corp: 12/3456b ...` (or INITED, NEW, pulse).
        if line.starts_with('#') {
            let mut words = line.split_whitespace();
            while let Some(word) = words.next() {
                let value = || -> u64 {
                    words
                        .clone()
                        .next()
                        .and_then(|v| v.split('/').next())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0)
                };
                match word {
                    "cov:" => stats.coverage = value(),
                    "ft:" => stats.features = value(),
                    "corp:" => stats.corpus = value(),
                    _ => {}
                }
            }
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libfuzzers_final_numbers() {
        let log = "INFO: Seed: 1\n#2\tINITED cov: 10 ft: 11 corp: 1/1b exec/s: 0 rss: 30Mb\n\
                   #4096\tpulse  cov: 200 ft: 300 corp: 40/900b lim: 43 exec/s: 2048 rss: 40Mb\n\
                   #9000\tDONE   cov: 210 ft: 320 corp: 44/1000b lim: 43 exec/s: 3000 rss: 40Mb\n\
                   Done 9000 runs in 3 second(s)\nstat::number_of_executed_units: 9000\n\
                   stat::average_exec_per_sec:     3000\n";
        assert_eq!(
            parse_stats(log),
            Stats {
                executions: 9000,
                coverage: 210,
                features: 320,
                corpus: 44
            }
        );
    }
}
