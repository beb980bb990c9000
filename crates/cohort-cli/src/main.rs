//! `cohort`: a command-line tool for MLS (RFC 9420) objects.
//!
//! * `cohort inspect [FILE]` decodes an MLSMessage, KeyPackage, GroupInfo, Welcome or ratchet
//!   tree (raw, hex or base64; from a file, standard input, or one field of a JSON test-vector
//!   file), prints what it holds, and runs the checks that need no secret.
//! * `cohort vectors` runs the official test vectors, as `cargo xtask vectors` does.
//! * `cohort keypackage` and `cohort group ...` run an MLS client whose state is a directory,
//!   exchanging KeyPackages, commits, Welcomes and application messages through files.
//!
//! Errors are one line on standard error and a non-zero exit: 1 when a check failed, 2 when the
//! input could not be read or decoded, the command line is wrong, or a client command failed.

mod args;
mod doc;
mod group;
mod input;
mod inspect;
mod state;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "\
cohort: look inside MLS (RFC 9420) objects, run the MLS test vectors, and run an MLS group
from a shell

USAGE:
    cohort inspect [FILE] [OPTIONS]    Decode, describe and check one object (FILE or - for
                                       standard input; default standard input)
    cohort vectors [OPTIONS]           Run the official test vectors (`cohort vectors --help`)
    cohort keypackage OPTIONS          Write KeyPackages of a client (see CLIENT COMMANDS)
    cohort group SUBCOMMAND OPTIONS    Create, join, change and use a group (see CLIENT COMMANDS)
    cohort --version | --help

INSPECT OPTIONS:
    --as KIND           mls-message, key-package, group-info, welcome or ratchet-tree
                        (default: the first that decodes the whole input, in that order)
    --encoding ENC      auto, raw, hex or base64 (default auto: hex if the text is only hex
                        digits, else base64 if it is base64, else raw bytes)
    --field NAME        Read a JSON test-vector file and take its field NAME (hex)
    --index N           With --field: the test case (default 0)
    --json              Print JSON instead of text
    --now SECONDS       The time lifetimes are checked at (default: now)
    --suite N           The cipher suite of a bare ratchet tree (e.g. 1 or 0x0001)
    --group-id HEX      The group id, to verify a bare tree's update and commit leaves

CLIENT COMMANDS:
    A client's state is a directory (--state DIR): its identity and cipher suite
    (client.json), its signature key (signature.key) and its SQLite store (client.sqlite).
    Messages are written as raw MLSMessage bytes, and read raw, hex or base64. A command that
    commits merges its own commit; the other members process the commit file with
    `group receive`. Group ids are UTF-8 text.

    cohort keypackage --state DIR [--name NAME] [--suite N] [--count N] --out FILE
        Write a KeyPackage to FILE (with --count N > 1: N of them, to FILE.0 ... FILE.N-1).
        Creates the state on first use: --name (the identity) is then required, and --suite
        picks the cipher suite (default 1).
    cohort group create --state DIR --group ID [--name NAME] [--suite N]
        Create a group with this client as its only member (creating the state as
        `keypackage` does when there is none).
    cohort group add --state DIR --group ID --key-package FILE... --commit-out FILE
                     --welcome-out FILE
        Add the clients of the KeyPackages; write the commit and the Welcome.
    cohort group join --state DIR --welcome FILE
        Join the group of a Welcome addressed to one of this client's KeyPackages.
    cohort group remove --state DIR --group ID --leaf N... --commit-out FILE
        Remove the members at these leaves; write the commit.
    cohort group update --state DIR --group ID --commit-out FILE
        Refresh this client's keys; write the commit.
    cohort group send --state DIR --group ID --message TEXT --out FILE
        Encrypt TEXT for the group; write the message.
    cohort group receive --state DIR --group ID --in FILE
        Process a message: print an application message as `SENDER (leaf N): TEXT`, or
        merge a commit and print what it changed.
    cohort group show --state DIR --group ID
        Print the group's epoch, epoch authenticator, cipher suite and members.

EXIT STATUS:
    0 decoded and every check that ran passed, or the client command succeeded;
    1 a check failed; 2 an error
";

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let command = args.next();
    match command.as_ref().and_then(|c| c.to_str()) {
        Some("inspect") => run_inspect(args.collect()),
        Some("vectors") => cohort_vectors::cli::main(args.collect(), "cohort vectors"),
        Some("keypackage") => client_command(group::keypackage(args.collect())),
        Some("group") => client_command(group::group(args.collect())),
        Some("-h" | "--help" | "help") => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Some("-V" | "--version") => {
            println!("cohort {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some(other) => usage_error(&format!("unknown command {other:?}")),
        None => usage_error("no command given"),
    }
}

fn usage_error(what: &str) -> ExitCode {
    eprintln!("cohort: {what} (see `cohort --help`)");
    ExitCode::from(2)
}

/// Reports how `keypackage` or `group` went.
fn client_command(result: Result<(), group::Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(group::Failure::Help) => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Err(group::Failure::Usage(e)) => usage_error(&e),
        Err(group::Failure::Failed(e)) => {
            eprintln!("cohort: {e}");
            ExitCode::from(2)
        }
    }
}

/// The parsed `inspect` command line.
#[derive(Debug, Default)]
struct InspectArgs {
    file: Option<PathBuf>,
    kind: Option<inspect::Kind>,
    encoding: Option<input::Encoding>,
    field: Option<String>,
    index: Option<usize>,
    json: bool,
    options: inspect::Options,
    now_given: bool,
}

/// Parses `inspect`'s arguments; `Ok(None)` asks for the help text.
fn parse_inspect(args: Vec<OsString>) -> Result<Option<InspectArgs>, String> {
    let mut parsed = InspectArgs::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str() else {
            // A file name that is not UTF-8.
            if parsed.file.replace(PathBuf::from(arg)).is_some() {
                return Err("more than one file given".into());
            }
            continue;
        };
        let (name, inline) = match text.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (text.to_string(), None),
        };
        let mut value = || -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next().and_then(|a| a.into_string().ok()))
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--json" => parsed.json = true,
            "--as" => parsed.kind = Some(value()?.parse().map_err(|e| format!("{e}"))?),
            "--encoding" => parsed.encoding = Some(value()?.parse().map_err(|e| format!("{e}"))?),
            "--field" => parsed.field = Some(value()?),
            "--index" => {
                let v = value()?;
                parsed.index = Some(
                    v.parse()
                        .map_err(|_| format!("--index: not a number: {v}"))?,
                );
            }
            "--now" => {
                let v = value()?;
                parsed.options.now = v.parse().map_err(|_| format!("--now: not a number: {v}"))?;
                parsed.now_given = true;
            }
            "--suite" => {
                let v = value()?;
                let n = match v.strip_prefix("0x") {
                    Some(h) => u16::from_str_radix(h, 16),
                    None => v.parse(),
                }
                .map_err(|_| format!("--suite: not a cipher suite number: {v}"))?;
                parsed.options.suite = Some(cohort_crypto::CipherSuite(n));
            }
            "--group-id" => {
                let v = value()?;
                parsed.options.group_id =
                    Some(hex::decode(&v).map_err(|e| format!("--group-id: not hex: {e}"))?);
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ => {
                if parsed.file.replace(PathBuf::from(text)).is_some() {
                    return Err("more than one file given".into());
                }
            }
        }
    }
    if parsed.index.is_some() && parsed.field.is_none() {
        return Err("--index needs --field".into());
    }
    Ok(Some(parsed))
}

fn run_inspect(args: Vec<OsString>) -> ExitCode {
    let mut parsed = match parse_inspect(args) {
        Ok(Some(p)) => p,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => return usage_error(&e),
    };
    if !parsed.now_given {
        parsed.options.now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
    }
    let path = parsed.file.clone().unwrap_or_else(|| PathBuf::from("-"));
    let field = parsed.field.clone().map(|name| input::JsonField {
        name,
        index: parsed.index.unwrap_or(0),
    });
    let bytes = input::read(&path).and_then(|data| {
        input::object_bytes(
            &data,
            parsed.encoding.unwrap_or(input::Encoding::Auto),
            field.as_ref(),
        )
    });
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cohort: {e}");
            return ExitCode::from(2);
        }
    };
    match inspect::inspect(&bytes, parsed.kind, &parsed.options) {
        Ok(report) => {
            if parsed.json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_text());
            }
            if report.failed() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("cohort: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<InspectArgs>, String> {
        parse_inspect(args.iter().map(OsString::from).collect())
    }

    #[test]
    fn inspect_options() {
        let p = parse(&[
            "f.bin",
            "--as",
            "welcome",
            "--encoding=hex",
            "--json",
            "--now",
            "5",
            "--suite",
            "0x0003",
            "--group-id",
            "00ff",
        ])
        .ok()
        .flatten()
        .expect("parsed");
        assert_eq!(p.file, Some(PathBuf::from("f.bin")));
        assert_eq!(p.kind, Some(inspect::Kind::Welcome));
        assert_eq!(p.encoding, Some(input::Encoding::Hex));
        assert!(p.json && p.now_given);
        assert_eq!(p.options.now, 5);
        assert_eq!(p.options.suite, Some(cohort_crypto::CipherSuite(3)));
        assert_eq!(p.options.group_id, Some(vec![0, 255]));
    }

    #[test]
    fn bad_inspect_command_lines() {
        for (args, says) in [
            (&["--as", "tree"][..], "unknown kind"),
            (&["--encoding", "b32"], "unknown encoding"),
            (&["--index", "1"], "--index needs --field"),
            (&["--now"], "--now needs a value"),
            (&["--suite", "x"], "not a cipher suite"),
            (&["--group-id", "zz"], "not hex"),
            (&["a", "b"], "more than one file"),
            (&["--frobnicate"], "unknown option"),
        ] {
            match parse(args) {
                Err(e) => assert!(e.contains(says), "{args:?}: {e}"),
                Ok(_) => panic!("{args:?} parsed"),
            }
        }
        assert!(matches!(parse(&["--help"]), Ok(None)));
    }
}
