//! `cargo xtask`: project automation for cohort.
//!
//! Run `cargo xtask help` for the commands.
#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::process::ExitCode;

mod bench_peers;
mod crash;
mod deps;
mod fuzz;
mod interop;
mod sim;

const HELP: &str = "\
cargo xtask: project automation for cohort

USAGE:
    cargo xtask <COMMAND> [OPTIONS]

COMMANDS:
    vectors    Run the official MLS test vectors (`cargo xtask vectors --help`)
    interop    Play the interop matrix against mls-rs and OpenMLS (`cargo xtask interop --help`);
               with `--grpc ADDR...`, play the working group's test configs against running
               gRPC interop clients (`cargo run -p cohort-interop-client -- --port N`)
    deps       Check the dependency rules between the workspace's crates
    crash      Kill a process driving groups on SQLite 1,000 times and check every group
               (`cargo xtask crash --help`)
    fuzz       Build the fuzz targets (nightly, libFuzzer) and run each for a bounded time
               (`cargo xtask fuzz --help`)
    sim        Run the deterministic network simulation over a range of seeds, both Delivery
               Service modes, every fault (`cargo xtask sim --help`)
    bench-peers
               Time the shared scenarios on cohort, OpenMLS and mls-rs side by side and write
               the report into docs/performance.md (`cargo xtask bench-peers --help`)
    help       Print this help
";

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let command = args.next();
    match command.as_ref().and_then(|c| c.to_str()) {
        Some("vectors") => cohort_vectors::cli::main(args.collect(), "cargo xtask vectors"),
        Some("deps") => deps::main(),
        Some("interop") => interop::main(args.collect()),
        Some("crash") => crash::main(args.collect()),
        Some("bench-peers") => bench_peers::main(args.collect()),
        Some("sim") => sim::main(args.collect()),
        Some("fuzz") => fuzz::main(args.collect()),
        Some("help" | "--help" | "-h") => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        _ => usage_error(command),
    }
}

fn usage_error(command: Option<OsString>) -> ExitCode {
    match command {
        Some(command) => eprintln!("error: unknown command {command:?}\n"),
        None => eprintln!("error: no command given\n"),
    }
    eprint!("{HELP}");
    ExitCode::from(2)
}
