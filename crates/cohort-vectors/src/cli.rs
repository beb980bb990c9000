//! The vector runner's command line, shared by `cargo xtask vectors` and the `cohort vectors`
//! command of the `cohort` tool: run the official test vectors and report per file.
//!
//! The command line and output are a contract other tools rely on (issue 2, item 6):
//!
//! * no arguments: every `.json` file of the project's vector folder (README files and other
//!   files are ignored), each as the kind its name implies; `--dir DIR` for another folder;
//! * `--file PATH --kind KIND`: one file as the given kind (`passive-client` takes any file in
//!   that format, whatever its name); without `--kind`, the kind comes from the file name;
//! * `--backend NAME`: the crypto backend (default: every backend built);
//! * one line per file and backend, `NAME [BACKEND]: P passed, F failed, U unsupported` (no
//!   ` [BACKEND]` for kinds without crypto, `NAME: not implemented` for kinds not implemented
//!   yet), failure details on stderr (and, for kinds that name them, what each unsupported case
//!   lacks), then exactly `N passed, N failed`;
//! * exit status 1 if anything failed, 2 for a usage or I/O error.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::{BACKENDS, FileReport, Kind, UnknownKind};

/// The help text; `INVOCATION` stands for the command that runs it.
const HELP: &str = "\
INVOCATION: run the official MLS test vectors

USAGE:
    INVOCATION [--dir DIR] [--backend NAME]
    INVOCATION --file PATH [--kind KIND] [--backend NAME]
    INVOCATION --generate-pq DIR

OPTIONS:
    --dir DIR        Run every .json file in DIR, each as the kind its name implies
                     (default: the project's interop/test-vectors, or $COHORT_TEST_VECTORS_DIR)
    --file PATH      Run one file
    --kind KIND      The file's kind (default: from its name). Kinds: tree-math, deserialization,
                     crypto-basics, secret-tree, message-protection, key-schedule, psk_secret,
                     transcript-hashes, welcome, tree-operations, tree-validation, treekem,
                     messages, passive-client (any file in the passive-client format),
                     hpke-pq (the HPKE vectors of draft-ietf-hpke-pq, e.g.
                     crates/cohort-test-vectors/drafts/hpke-pq-test-vectors.json),
                     partial-<name> (the files of draft-ietf-mls-partial-02,
                     crates/cohort-test-vectors/drafts/partial/test-vector-partial-<name>.json)
    --backend NAME   Crypto backend: rustcrypto, ring or aws-lc (default: every one built)
    --generate-pq DIR  Write new MLS-level vectors for the eleven post-quantum suites of
                     draft-ietf-mls-pq-ciphersuites-06 (cohort's code points, RustCrypto) in
                     the official formats: DIR/crypto-basics.json, secret-tree.json,
                     key-schedule.json, message-protection.json, welcome.json,
                     tree-operations.json (run them with --dir DIR)
    -h, --help       Print this help

OUTPUT:
    One line per file and backend, `NAME [BACKEND]: P passed, F failed, U unsupported`, failure
    details on stderr, then `N passed, N failed`. Exit status 1 if anything failed.
";

/// Runs the vector command with `args` (the arguments after `vectors`); `invocation` is how the
/// user ran it (`cargo xtask vectors`, `cohort vectors`), for the help and error texts.
pub fn main(args: Vec<OsString>, invocation: &str) -> ExitCode {
    let options = match Options::parse(args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{}", HELP.replace("INVOCATION", invocation));
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("error: {err}\n\nRun `{invocation} --help` for usage.");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = &options.generate_pq {
        return generate_pq(dir);
    }
    let jobs = match options.jobs() {
        Ok(jobs) => jobs,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let mut totals = Totals::default();
    for job in &jobs {
        totals.run(job, options.backend.as_deref());
    }
    println!("{} passed, {} failed", totals.passed, totals.failed);
    if totals.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Writes the post-quantum vectors of [`crate::generate`] into `dir`.
fn generate_pq(dir: &std::path::Path) -> ExitCode {
    let provider = cohort_crypto_rustcrypto::provider_with_pq_code_points(
        cohort_crypto::PqCodePoints::PRIVATE_USE,
    );
    let files = match crate::generate::pq_vectors(&provider, &cohort_crypto::CipherSuite::PQ_DRAFT)
    {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("error: creating {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    for (stem, text) in files {
        let path = dir.join(format!("{stem}.json"));
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("error: writing {}: {e}", path.display());
            return ExitCode::from(2);
        }
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}

/// A usage or I/O error: reported, and the exit status is 2.
#[derive(Debug, thiserror::Error)]
enum Error {
    #[error("unexpected argument {0:?}")]
    UnexpectedArgument(OsString),
    #[error("{0} needs a value")]
    MissingValue(&'static str),
    #[error("{0} given twice")]
    Repeated(&'static str),
    #[error("--dir and --file cannot be combined")]
    DirAndFile,
    #[error("--generate-pq runs alone")]
    GenerateWithOthers,
    #[error("--kind needs --file")]
    KindWithoutFile,
    #[error(transparent)]
    UnknownKind(#[from] UnknownKind),
    #[error("cannot tell the kind of {0} from its name; give --kind")]
    NoKindForFile(PathBuf),
    #[error("unknown backend {0:?}; backends: rustcrypto, ring, aws-lc")]
    UnknownBackend(String),
    #[error("{0:?} is not valid UTF-8")]
    NotUtf8(OsString),
    #[error("cannot list the vector folder {dir}: {source}")]
    ReadDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("no .json vector files in {0}")]
    EmptyDir(PathBuf),
}

/// The parsed command line.
#[derive(Debug, Default)]
struct Options {
    dir: Option<PathBuf>,
    file: Option<PathBuf>,
    kind: Option<Kind>,
    backend: Option<String>,
    generate_pq: Option<PathBuf>,
}

impl Options {
    /// Parses the arguments; `Ok(None)` asks for the help text.
    fn parse(args: Vec<OsString>) -> Result<Option<Options>, Error> {
        let mut options = Options::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let text = arg
                .to_str()
                .ok_or_else(|| Error::UnexpectedArgument(arg.clone()))?;
            // Accept both `--opt value` and `--opt=value`.
            let (name, inline) = match text.split_once('=') {
                Some((name, value)) if name.starts_with("--") => {
                    (name.to_owned(), Some(OsString::from(value)))
                }
                _ => (text.to_owned(), None),
            };
            let mut value = |flag: &'static str| {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or(Error::MissingValue(flag))
            };
            match name.as_str() {
                "-h" | "--help" if inline.is_none() => return Ok(None),
                "--dir" => set(&mut options.dir, "--dir", value("--dir")?.into())?,
                "--file" => set(&mut options.file, "--file", value("--file")?.into())?,
                "--generate-pq" => set(
                    &mut options.generate_pq,
                    "--generate-pq",
                    value("--generate-pq")?.into(),
                )?,
                "--kind" => {
                    let kind = utf8(value("--kind")?)?.parse()?;
                    set(&mut options.kind, "--kind", kind)?;
                }
                "--backend" => {
                    let backend = utf8(value("--backend")?)?;
                    if !BACKENDS.contains(&backend.as_str()) {
                        return Err(Error::UnknownBackend(backend));
                    }
                    set(&mut options.backend, "--backend", backend)?;
                }
                _ => return Err(Error::UnexpectedArgument(arg)),
            }
        }
        if options.dir.is_some() && options.file.is_some() {
            return Err(Error::DirAndFile);
        }
        if options.generate_pq.is_some()
            && (options.dir.is_some()
                || options.file.is_some()
                || options.kind.is_some()
                || options.backend.is_some())
        {
            return Err(Error::GenerateWithOthers);
        }
        if options.kind.is_some() && options.file.is_none() {
            return Err(Error::KindWithoutFile);
        }
        Ok(Some(options))
    }

    /// The files to run, each with its kind (`None` when a folder's file name implies no kind).
    fn jobs(&self) -> Result<Vec<Job>, Error> {
        if let Some(file) = &self.file {
            let kind = match self.kind {
                Some(kind) => kind,
                None => file_name(file)
                    .and_then(|name| Kind::from_file_name(&name))
                    .ok_or_else(|| Error::NoKindForFile(file.clone()))?,
            };
            let name = file_name(file).unwrap_or_else(|| file.display().to_string());
            return Ok(vec![Job {
                path: file.clone(),
                name,
                kind: Some(kind),
            }]);
        }
        let dir = self
            .dir
            .clone()
            .unwrap_or_else(cohort_test_vectors::vectors_dir);
        let files = crate::discover(&dir).map_err(|source| Error::ReadDir {
            dir: dir.clone(),
            source,
        })?;
        if files.is_empty() {
            return Err(Error::EmptyDir(dir));
        }
        Ok(files
            .into_iter()
            .map(|f| Job {
                path: f.path,
                name: f.name,
                kind: f.kind,
            })
            .collect())
    }
}

/// One file to run.
struct Job {
    path: PathBuf,
    name: String,
    kind: Option<Kind>,
}

/// Case totals over every file and backend.
#[derive(Debug, Default)]
struct Totals {
    passed: usize,
    failed: usize,
}

impl Totals {
    /// Runs one file on each backend that applies, printing its lines.
    fn run(&mut self, job: &Job, backend: Option<&str>) {
        let Some(kind) = job.kind else {
            println!("{}: 0 passed, 1 failed, 0 unsupported", job.name);
            eprintln!(
                "{}: cannot tell the vector kind from the file name; run it with --file and --kind",
                job.name
            );
            self.failed += 1;
            return;
        };
        for backend in backends_for(kind, backend) {
            let report = crate::run_file(&job.path, kind, backend);
            self.passed += report.passed;
            self.failed += report.failed;
            print_report(&report);
            if report.not_implemented {
                // The same on every backend: say it once.
                break;
            }
        }
    }
}

/// The backends to run `kind` on: none for kinds without crypto, else the one asked for, else
/// every one built (or none yet, while no backend is built).
fn backends_for(kind: Kind, chosen: Option<&str>) -> Vec<Option<&str>> {
    if !kind.uses_crypto() {
        return vec![None];
    }
    if let Some(chosen) = chosen {
        return vec![Some(chosen)];
    }
    let built = crate::built_backends();
    if built.is_empty() {
        vec![None]
    } else {
        built.iter().copied().map(Some).collect()
    }
}

fn print_report(report: &FileReport) {
    if report.not_implemented {
        println!("{}: not implemented", report.name);
    } else {
        let backend = report
            .backend
            .as_ref()
            .map(|b| format!(" [{b}]"))
            .unwrap_or_default();
        println!(
            "{}{backend}: {} passed, {} failed, {} unsupported",
            report.name, report.passed, report.failed, report.unsupported
        );
    }
    for failure in &report.failures {
        eprintln!("{failure}");
    }
    for unsupported in &report.unsupported_details {
        eprintln!("{unsupported}");
    }
}

fn set<T>(slot: &mut Option<T>, flag: &'static str, value: T) -> Result<(), Error> {
    if slot.replace(value).is_some() {
        return Err(Error::Repeated(flag));
    }
    Ok(())
}

fn utf8(value: OsString) -> Result<String, Error> {
    value.into_string().map_err(Error::NotUtf8)
}

fn file_name(path: &std::path::Path) -> Option<String> {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Options>, Error> {
        Options::parse(args.iter().map(OsString::from).collect())
    }

    #[test]
    fn no_arguments_runs_the_project_folder() -> Result<(), Error> {
        let options = parse(&[])?.ok_or(Error::DirAndFile)?;
        assert!(options.dir.is_none() && options.file.is_none() && options.backend.is_none());
        let jobs = options.jobs()?;
        assert_eq!(jobs.len(), 16);
        assert!(jobs.iter().all(|job| job.kind.is_some()));
        Ok(())
    }

    #[test]
    fn file_and_kind() -> Result<(), Error> {
        let options = parse(&[
            "--file",
            "x/anything.json",
            "--kind=passive-client",
            "--backend",
            "ring",
        ])?
        .ok_or(Error::DirAndFile)?;
        assert_eq!(options.kind, Some(Kind::PassiveClient));
        assert_eq!(options.backend.as_deref(), Some("ring"));
        let jobs = options.jobs()?;
        assert_eq!((jobs.len(), jobs[0].name.as_str()), (1, "anything.json"));
        Ok(())
    }

    #[test]
    fn bad_command_lines_are_errors() {
        assert!(matches!(
            parse(&["--kind", "tree-math"]),
            Err(Error::KindWithoutFile)
        ));
        assert!(matches!(
            parse(&["--dir", "a", "--file", "b"]),
            Err(Error::DirAndFile)
        ));
        assert!(matches!(
            parse(&["--backend", "openssl"]),
            Err(Error::UnknownBackend(_))
        ));
        assert!(matches!(
            parse(&["--file", "a", "--kind", "nope"]),
            Err(Error::UnknownKind(_))
        ));
        assert!(matches!(
            parse(&["--file"]),
            Err(Error::MissingValue("--file"))
        ));
        assert!(matches!(
            parse(&["--file", "a", "--file", "b"]),
            Err(Error::Repeated("--file"))
        ));
        assert!(matches!(
            parse(&["extra"]),
            Err(Error::UnexpectedArgument(_))
        ));
        assert!(matches!(parse(&["--help"]), Ok(None)));
    }

    #[test]
    fn backends_only_for_crypto_kinds() {
        assert_eq!(backends_for(Kind::TreeMath, Some("ring")), vec![None]);
        assert_eq!(
            backends_for(Kind::Welcome, Some("ring")),
            vec![Some("ring")]
        );
    }
}
