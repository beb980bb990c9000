//! `cargo xtask interop`: play the interop matrix against mls-rs and OpenMLS and print it.
//!
//! Output: one row per scenario, peer and role with one column per cipher suite (`pass`,
//! `FAIL`, `peer-dev` for a known peer deviation, `unsup` where a peer's API cannot play the
//! cell, `-` where an implementation lacks the suite), then the details of every failure and
//! deviation, then exactly `N passed, N failed`. Known peer deviations and unsupported cells
//! are counted in neither number and listed above it. Exit status 1 if a cell
//! failed, 2 for a usage error.
//!
//! With `--grpc ADDR...` it instead plays the working group's test configs against running
//! gRPC interop clients (`mls_client.proto`), through `cohort_interop_client::runner`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cohort_interop::Scenario;
use cohort_interop::matrix::{self, Cell, DEFAULT_SUITES, Filter, Outcome, Peer};

const HELP: &str = "\
cargo xtask interop: cohort against the published mls-rs and OpenMLS crates, in process

USAGE:
    cargo xtask interop [--suite N]... [--peer NAME]... [--scenario NAME]... [--seed N]
    cargo xtask interop --grpc ADDR... [--config NAME]... [--configs-dir DIR] [--suite N]...
                        [--max-assignments N] [--encrypt-handshake]

OPTIONS:
    --suite N          Only cipher suite N, in decimal (repeatable; default: 1, 2, 3, 7
                       and the post-quantum suites at OpenMLS's code points 79, 78, 61506,
                       80, 66, 82, 81, 2311, each where every implementation of the cell
                       has it)
    --peer NAME        Only this peer: mls-rs, openmls or mixed (repeatable; default: all)
    --scenario NAME    Only this scenario (repeatable; default: all): 1:1-join, 3-party-join,
                       multiple-joins, application, external-join, external-psk, two-psks,
                       group-extensions, custom-extension, update, remove, update-proposal,
                       remove-proposal, lifecycle, private-handshake, large-group, churn,
                       external-proposals, reinit, branch, resumption-psk, external-join-psk,
                       new-member-add, ext-sender-gce, ext-sender-psks, ext-sender-reinit,
                       reinit-suite, reinit-extensions, self-remove,
                       ext-join-self-remove, app-data, ext-join-app-data, app-psk,
                       safe-aad, last-resort
    --seed N           Seed of the random choices of large-group and churn (default: fixed)
    -h, --help         Print this help

GRPC MODE (the working group's test configs against running gRPC interop clients):
    --grpc ADDR...     The clients (127.0.0.1:50051 or http://127.0.0.1:50051), one or more;
                       start cohort's with `cargo run -p cohort-interop-client -- --port N`
    --config NAME      Only this config (repeatable; default: welcome_join, application,
                       commit, external_join)
    --configs-dir DIR  Where the configs are (default: ../shared/interop/configs beside the
                       workspace, else the project's copy in interop/configs)
    --suite N          Cipher suite N (repeatable; default: 1), where every client has it
    --max-assignments N
                       At most N assignments of clients to actors per script and suite
                       (default: 256; above it a fixed sample)
    --encrypt-handshake
                       Groups send PrivateMessage handshakes

OUTPUT:
    The matrix (one row per scenario, peer and role, one column per suite), failure details,
    then `N passed, N failed`. Known peer deviations and cells a peer's API cannot play
    (`unsup`) count as neither and are listed with their reasons. Exit status 1 if any cell
    failed.
    With --grpc: one line per run (config/script, assignment of actors to clients, suite,
    pass / FAIL: reason / unsupported: reason), the unsupported scripts, then
    `N passed, N failed`. Exit status 1 if any run failed.
";

/// Runs `cargo xtask interop` with the arguments after `interop`.
pub(crate) fn main(args: Vec<OsString>) -> ExitCode {
    if args
        .iter()
        .any(|a| a == "--grpc" || a.to_string_lossy().starts_with("--grpc="))
    {
        return grpc_main(args);
    }
    let filter = match parse(args) {
        Ok(Some(filter)) => filter,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("error: {err}\n\nRun `cargo xtask interop --help` for usage.");
            return ExitCode::from(2);
        }
    };
    let results = matrix::run(&filter);
    let suites: Vec<u16> = if filter.suites.is_empty() {
        DEFAULT_SUITES.to_vec()
    } else {
        filter.suites.clone()
    };
    let unsupported = matrix::unsupported(&filter);
    print_matrix(&results, &unsupported, &suites);
    let (passed, failed, deviations) = matrix::totals(&results);
    if !unsupported.is_empty() {
        print_unsupported(&unsupported);
    }
    if deviations > 0 {
        println!("{deviations} known peer deviations (see docs/interop.md), not counted below");
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A usage error: reported, and the exit status is 2.
#[derive(Debug, thiserror::Error)]
enum Error {
    #[error("unexpected argument {0:?}")]
    UnexpectedArgument(OsString),
    #[error("{0} needs a value")]
    MissingValue(&'static str),
    #[error("not a cipher suite number: {0:?}")]
    BadSuite(String),
    #[error("not a seed (an unsigned 64-bit number): {0:?}")]
    BadSeed(String),
    #[error("unknown peer {0:?}; peers: mls-rs, openmls, mixed")]
    UnknownPeer(String),
    #[error("unknown scenario {0:?}; see --help")]
    UnknownScenario(String),
    #[error("not a number: {0:?}")]
    BadNumber(String),
    #[error("--grpc needs at least one address")]
    NoAddress,
    #[error("no config {name:?} in {dir}")]
    NoConfig { name: String, dir: PathBuf },
}

/// What `--grpc` mode runs.
struct GrpcArgs {
    addresses: Vec<String>,
    configs: Vec<String>,
    configs_dir: Option<PathBuf>,
    options: cohort_interop_client::runner::Options,
}

/// `cargo xtask interop --grpc ...`: the test configs against running gRPC clients.
fn grpc_main(args: Vec<OsString>) -> ExitCode {
    let args = match parse_grpc(args) {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("error: {err}\n\nRun `cargo xtask interop --help` for usage.");
            return ExitCode::from(2);
        }
    };
    let dir = args.configs_dir.clone().unwrap_or_else(default_configs_dir);
    let mut configs = Vec::new();
    for name in &args.configs {
        let path = dir.join(format!("{name}.json"));
        if !path.is_file() {
            eprintln!(
                "error: {}",
                Error::NoConfig {
                    name: name.clone(),
                    dir
                }
            );
            return ExitCode::from(2);
        }
        match cohort_interop_client::runner::load_config(&path) {
            Ok(config) => configs.push(config),
            Err(err) => {
                eprintln!("error: {err}");
                return ExitCode::from(2);
            }
        }
    }
    println!("configs from {}", dir.display());
    let mut stdout = std::io::stdout();
    match cohort_interop_client::runner::run_blocking(
        &args.addresses,
        &configs,
        &args.options,
        &mut stdout,
    ) {
        Ok(summary) if summary.failed == 0 => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `../shared/interop/configs` beside the workspace when it exists, else the project's copy.
fn default_configs_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let shared = root.join("../shared/interop/configs");
    if shared.is_dir() {
        shared
    } else {
        root.join("interop/configs")
    }
}

/// Parses the arguments of `--grpc` mode; `Ok(None)` asks for the help text.
fn parse_grpc(args: Vec<OsString>) -> Result<Option<GrpcArgs>, Error> {
    let mut out = GrpcArgs {
        addresses: Vec::new(),
        configs: Vec::new(),
        configs_dir: None,
        options: cohort_interop_client::runner::Options::default(),
    };
    let mut suites = Vec::new();
    let mut args = args.into_iter().peekable();
    while let Some(arg) = args.next() {
        let (name, inline) = split_flag(&arg)?;
        let mut value = |flag: &'static str| flag_value(&inline, &mut args, flag);
        match name.as_str() {
            "-h" | "--help" if inline.is_none() => return Ok(None),
            "--grpc" => {
                if let Some(v) = inline {
                    out.addresses.push(v);
                }
                // Every following argument up to the next option is an address.
                while let Some(next) = args.next_if(|a| !a.to_string_lossy().starts_with("--")) {
                    out.addresses
                        .push(next.into_string().map_err(Error::UnexpectedArgument)?);
                }
            }
            "--config" => out.configs.push(value("--config")?),
            "--configs-dir" => out.configs_dir = Some(PathBuf::from(value("--configs-dir")?)),
            "--suite" => {
                let v = value("--suite")?;
                suites.push(v.parse::<u16>().map_err(|_| Error::BadSuite(v.clone()))?);
            }
            "--max-assignments" => {
                let v = value("--max-assignments")?;
                out.options.max_assignments = v
                    .parse::<usize>()
                    .map_err(|_| Error::BadNumber(v.clone()))?;
            }
            "--encrypt-handshake" if inline.is_none() => out.options.encrypt_handshake = true,
            _ => return Err(Error::UnexpectedArgument(arg)),
        }
    }
    if out.addresses.is_empty() {
        return Err(Error::NoAddress);
    }
    if !suites.is_empty() {
        out.options.suites = suites;
    }
    if out.configs.is_empty() {
        out.configs = cohort_interop_client::runner::DEFAULT_CONFIGS
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
    }
    Ok(Some(out))
}

/// Splits `--opt=value` into the flag and its inline value (both `--opt value` and
/// `--opt=value` are accepted); any other argument comes back whole.
fn split_flag(arg: &OsString) -> Result<(String, Option<String>), Error> {
    let text = arg
        .to_str()
        .ok_or_else(|| Error::UnexpectedArgument(arg.clone()))?;
    Ok(match text.split_once('=') {
        Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value.to_owned())),
        _ => (text.to_owned(), None),
    })
}

/// The value of `flag`: given inline, or else the next argument.
fn flag_value(
    inline: &Option<String>,
    args: &mut impl Iterator<Item = OsString>,
    flag: &'static str,
) -> Result<String, Error> {
    match inline {
        Some(v) => Ok(v.clone()),
        None => args
            .next()
            .and_then(|v| v.into_string().ok())
            .ok_or(Error::MissingValue(flag)),
    }
}

/// Parses the arguments; `Ok(None)` asks for the help text.
fn parse(args: Vec<OsString>) -> Result<Option<Filter>, Error> {
    let mut filter = Filter::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = split_flag(&arg)?;
        let mut value = |flag: &'static str| flag_value(&inline, &mut args, flag);
        match name.as_str() {
            "-h" | "--help" if inline.is_none() => return Ok(None),
            "--suite" => {
                let v = value("--suite")?;
                let suite = v.parse::<u16>().map_err(|_| Error::BadSuite(v.clone()))?;
                filter.suites.push(suite);
            }
            "--peer" => {
                let v = value("--peer")?;
                filter
                    .peers
                    .push(Peer::from_name(&v).ok_or(Error::UnknownPeer(v))?);
            }
            "--scenario" => {
                let v = value("--scenario")?;
                filter
                    .scenarios
                    .push(Scenario::from_name(&v).ok_or(Error::UnknownScenario(v))?);
            }
            "--seed" => {
                let v = value("--seed")?;
                let seed = v.parse::<u64>().map_err(|_| Error::BadSeed(v.clone()))?;
                filter.seed = Some(seed);
            }
            _ => return Err(Error::UnexpectedArgument(arg)),
        }
    }
    Ok(Some(filter))
}

/// Lists the unsupported cells (`unsup` in the matrix), one line per scenario, peer and role
/// with its suites and the reason; they count as neither passed nor failed.
fn print_unsupported(unsupported: &[(Cell, &str)]) {
    println!(
        "{} cells unsupported by a peer's API, not run and counted in neither number:",
        unsupported.len()
    );
    let mut rows: Vec<(String, Vec<u16>, &str)> = Vec::new();
    for (cell, reason) in unsupported {
        let name = format!("{} / {} / {}", cell.scenario.name(), cell.peer, cell.role());
        match rows.iter_mut().find(|(n, _, _)| *n == name) {
            Some((_, suites, _)) => suites.push(cell.suite),
            None => rows.push((name, vec![cell.suite], reason)),
        }
    }
    for (name, suites, reason) in rows {
        let suites: Vec<String> = suites.iter().map(ToString::to_string).collect();
        println!(
            "  {name} (suites {}): unsupported: {reason}",
            suites.join(", ")
        );
    }
}

/// Prints one row per scenario, peer and role, one column per suite, then the details of every
/// cell that did not pass (failures on stderr as well).
fn print_matrix(results: &[(Cell, Outcome)], unsupported: &[(Cell, &str)], suites: &[u16]) {
    let mut header = format!("{:<17} {:<8} {:<16}", "scenario", "peer", "role");
    for suite in suites {
        header.push_str(&format!(" {:>9}", format!("suite {suite}")));
    }
    println!("{header}");
    println!("{}", "-".repeat(header.len()));
    let mut cells: Vec<&Cell> = results
        .iter()
        .map(|(c, _)| c)
        .chain(unsupported.iter().map(|(c, _)| c))
        .collect();
    cells.sort();
    let mut rows: Vec<(Scenario, Peer, cohort_interop::Implementation)> = Vec::new();
    for cell in cells {
        let row = (cell.scenario, cell.peer, cell.committer);
        if !rows.contains(&row) {
            rows.push(row);
        }
    }
    for (scenario, peer, committer) in rows {
        let mut role = String::new();
        let mut line = String::new();
        for suite in suites {
            let found = results.iter().find(|(c, _)| {
                c.scenario == scenario
                    && c.peer == peer
                    && c.committer == committer
                    && c.suite == *suite
            });
            let unsupported_here = unsupported.iter().find(|(c, _)| {
                c.scenario == scenario
                    && c.peer == peer
                    && c.committer == committer
                    && c.suite == *suite
            });
            let label = match (found, unsupported_here) {
                (Some((cell, outcome)), _) => {
                    role = cell.role();
                    match outcome {
                        Outcome::Passed => "pass",
                        Outcome::Failed(_) | Outcome::DeviationFixed(_) => "FAIL",
                        Outcome::KnownDeviation { .. } => "peer-dev",
                    }
                }
                (None, Some((cell, _))) => {
                    role = cell.role();
                    "unsup"
                }
                (None, None) => "-",
            };
            line.push_str(&format!(" {label:>9}"));
        }
        println!(
            "{:<17} {:<8} {:<16}{line}",
            scenario.name(),
            peer.to_string(),
            role
        );
    }
    let mut first = true;
    for (cell, outcome) in results {
        let what = match outcome {
            Outcome::Passed => continue,
            Outcome::Failed(detail) => format!("FAIL: {detail}"),
            Outcome::KnownDeviation { reason, detail } => {
                format!("known peer deviation ({reason}): {detail}")
            }
            Outcome::DeviationFixed(reason) => {
                format!("FAIL: listed as a peer deviation ({reason}) but passed")
            }
        };
        if first {
            println!();
            first = false;
        }
        let line = format!(
            "{} / {} / {} / suite {}: {what}",
            cell.scenario.name(),
            cell.peer,
            cell.role(),
            cell.suite
        );
        if outcome.is_failure() {
            eprintln!("{line}");
        }
        println!("{line}");
    }
    if !first {
        println!();
    }
}
