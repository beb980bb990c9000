//! A driver of the working group's test configs (`interop/configs/*.json`, the format of
//! mls-implementations' `test-config.md`) against gRPC `MLSClient`s.
//!
//! For each script of each config, every actor is given one of the clients, in every
//! combination (with `c` clients and `k` actors, `c^k` assignments, capped by
//! [`Options::max_assignments`]), for each requested cipher suite that every client supports.
//! Each run is one line: config/script, the assignment, the suite and `pass`, `FAIL: reason` or
//! `unsupported: reason`. The last line is exactly `N passed, N failed`.
//!
//! Actions: `createGroup` (with `members`, added by one commit of Adds), `createKeyPackage`,
//! `addProposal`, `removeProposal`, `updateProposal`, `groupContextExtensionsProposal`,
//! `installExternalPSK`, `externalPSKProposal`, `resumptionPSKProposal`, `fullCommit`,
//! `externalJoin`, `protect`, `unprotect`, `branch` (the members join the subgroup with new
//! KeyPackages), `reinit` (proposer or `externalReinitProposal`, committer, welcomer;
//! `changeCiphersuite` picks another suite every client supports), `newMemberAddProposal`
//! (the joiner asks to be added from the actor's GroupInfo), `addExternalSigner` (the signer
//! is created on its actor's client, the actor proposes to list it in `external_senders`) and
//! `externalSignerProposal` (the signer proposes from the GroupInfo of `member`). A committer
//! and each member handling a commit are given the by-reference proposals of others only: their
//! own are cached already. After every commit all the members it concerns must agree on the
//! epoch authenticator; `unprotect` must give back what was protected. A script with any other
//! action is reported as unsupported, and so is a run in which a client answers
//! `UNIMPLEMENTED`; neither counts as passed or failed.

mod assignment;
mod play;
mod script;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tonic::Status;
use tonic::transport::Channel;

use crate::proto;
use crate::proto::mls_client_client::MlsClientClient;

use assignment::{assignment_label, assignments};
use play::{Failure, Run};
use script::{Parsed, actors, parse_script};

/// The default cap on assignments of clients to actors per script and suite.
pub const DEFAULT_MAX_ASSIGNMENTS: usize = 256;

/// The configs run when none is named.
pub const DEFAULT_CONFIGS: [&str; 4] = ["welcome_join", "application", "commit", "external_join"];

/// What to run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// Cipher suites to run (each only where every client supports it). Default: suite 1.
    pub suites: Vec<u16>,
    /// At most this many assignments of clients to actors per script and suite. When a script
    /// has more, the runner takes every "all actors on client i" assignment and then a
    /// deterministic pseudo-random sample. Default [`DEFAULT_MAX_ASSIGNMENTS`].
    pub max_assignments: usize,
    /// Whether groups encrypt their handshake messages (PrivateMessage). Default: no.
    pub encrypt_handshake: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            suites: vec![1],
            max_assignments: DEFAULT_MAX_ASSIGNMENTS,
            encrypt_handshake: false,
        }
    }
}

/// One test config: named scripts.
#[derive(Debug, Clone)]
pub struct Config {
    /// The config's name (its file name without `.json`).
    pub name: String,
    /// The scripts, in name order.
    pub scripts: Vec<Script>,
}

/// One script: a sequence of steps (actions).
#[derive(Debug, Clone)]
pub struct Script {
    /// The script's name.
    pub name: String,
    /// The steps, as JSON objects.
    pub steps: Vec<serde_json::Value>,
}

/// The outcome of a whole run of the runner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Runs that passed.
    pub passed: usize,
    /// Runs that failed (and scripts that could not be read).
    pub failed: usize,
    /// `config/script` of each script not run, or not run to the end, because the runner or a
    /// client does not support it, with the reason.
    pub unsupported: Vec<String>,
}

/// A failure of the runner itself (not of a run).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A config file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A config file is not a test config.
    #[error("{path} is not a test config: {reason}")]
    BadConfig {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// No client address was given.
    #[error("no client address given")]
    NoClients,
    /// A client could not be reached.
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// The address.
        address: String,
        /// Why.
        source: tonic::transport::Error,
    },
    /// A client failed `Name` or `SupportedCiphersuites`.
    #[error("{address}: {rpc} failed: {status}")]
    Rpc {
        /// The client's address.
        address: String,
        /// The RPC.
        rpc: &'static str,
        /// The client's answer.
        status: Box<Status>,
    },
    /// Writing the report failed.
    #[error("cannot write the report: {0}")]
    Output(#[from] std::io::Error),
    /// The async runtime could not be started.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// Reads the config at `path`: `{"scripts": {"name": [step, ...], ...}}`.
///
/// # Errors
/// [`Error::Io`], or [`Error::BadConfig`] when it is not JSON of that shape.
pub fn load_config(path: &Path) -> Result<Config, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    let bad = |reason: String| Error::BadConfig {
        path: path.to_owned(),
        reason,
    };
    #[derive(Deserialize)]
    struct File {
        scripts: std::collections::BTreeMap<String, Vec<serde_json::Value>>,
    }
    let file: File = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Config {
        name,
        scripts: file
            .scripts
            .into_iter()
            .map(|(name, steps)| Script { name, steps })
            .collect(),
    })
}

/// [`run`] on a fresh async runtime, for callers that are not async.
///
/// # Errors
/// As [`run`]; [`Error::Runtime`].
pub fn run_blocking(
    addresses: &[String],
    configs: &[Config],
    options: &Options,
    out: &mut dyn Write,
) -> Result<Summary, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(run(addresses, configs, options, out))
}

/// Connects to the clients at `addresses` (`host:port` or `http://host:port`) and plays every
/// script of `configs`, writing one line per run to `out` and then `N passed, N failed`.
///
/// # Errors
/// When a client cannot be reached or does not answer `Name`/`SupportedCiphersuites`, or the
/// report cannot be written. Failed runs are not errors: they are counted in the [`Summary`].
pub async fn run(
    addresses: &[String],
    configs: &[Config],
    options: &Options,
    out: &mut dyn Write,
) -> Result<Summary, Error> {
    if addresses.is_empty() {
        return Err(Error::NoClients);
    }
    let mut clients = Vec::with_capacity(addresses.len());
    for address in addresses {
        clients.push(Client::connect(address).await?);
    }
    for (i, client) in clients.iter().enumerate() {
        let suites: Vec<String> = client.suites.iter().map(u32::to_string).collect();
        writeln!(
            out,
            "client {i}: {} at {} (suites {})",
            client.name,
            client.address,
            suites.join(", ")
        )?;
    }
    let mut suites = Vec::new();
    for suite in &options.suites {
        let suite = u32::from(*suite);
        match clients.iter().position(|c| !c.suites.contains(&suite)) {
            Some(i) => writeln!(
                out,
                "suite {suite}: not run, client {i} does not support it"
            )?,
            None => suites.push(suite),
        }
    }
    let mut summary = Summary::default();
    for config in configs {
        for script in &config.scripts {
            let label = format!("{}/{}", config.name, script.name);
            let steps = match parse_script(&script.steps) {
                Ok(steps) => steps,
                Err(Parsed::Unsupported(actions)) => {
                    let reason = format!("actions not supported by the runner: {actions}");
                    writeln!(out, "{label}: unsupported: {reason}")?;
                    summary.unsupported.push(format!("{label} ({reason})"));
                    continue;
                }
                Err(Parsed::Invalid(reason)) => {
                    writeln!(out, "{label}: FAIL: cannot read the script: {reason}")?;
                    summary.failed += 1;
                    continue;
                }
            };
            let actors = actors(&steps);
            let assignments =
                assignments(actors.len(), clients.len(), options.max_assignments, &label);
            let mut unsupported: Option<String> = None;
            for suite in &suites {
                for (n, assignment) in assignments.iter().enumerate() {
                    let who = assignment_label(&actors, assignment, n, clients.len());
                    let mut run = Run::new(&clients, &actors, assignment, *suite, options);
                    let outcome = run.play(&steps).await;
                    run.free().await;
                    let line = format!("{label} [{who}] suite {suite}");
                    match outcome {
                        Ok(()) => {
                            summary.passed += 1;
                            writeln!(out, "{line}: pass")?;
                        }
                        Err(Failure::Failed(reason)) => {
                            summary.failed += 1;
                            writeln!(out, "{line}: FAIL: {reason}")?;
                        }
                        Err(Failure::Unsupported(reason)) => {
                            writeln!(out, "{line}: unsupported: {reason}")?;
                            unsupported.get_or_insert(reason);
                        }
                    }
                }
            }
            if let Some(reason) = unsupported {
                summary.unsupported.push(format!("{label} ({reason})"));
            }
        }
    }
    if !summary.unsupported.is_empty() {
        writeln!(
            out,
            "{} scripts unsupported, counted in neither number:",
            summary.unsupported.len()
        )?;
        for script in &summary.unsupported {
            writeln!(out, "    {script}")?;
        }
    }
    writeln!(out, "{} passed, {} failed", summary.passed, summary.failed)?;
    Ok(summary)
}

/// A connected client.
struct Client {
    address: String,
    name: String,
    suites: Vec<u32>,
    rpc: MlsClientClient<Channel>,
}

impl Client {
    async fn connect(address: &str) -> Result<Self, Error> {
        let uri = if address.contains("://") {
            address.to_owned()
        } else {
            format!("http://{address}")
        };
        let mut rpc = MlsClientClient::connect(uri)
            .await
            .map_err(|source| Error::Connect {
                address: address.to_owned(),
                source,
            })?;
        let rpc_error = |rpc: &'static str| {
            move |status| Error::Rpc {
                address: address.to_owned(),
                rpc,
                status: Box::new(status),
            }
        };
        let name = rpc
            .name(proto::NameRequest {})
            .await
            .map_err(rpc_error("Name"))?
            .into_inner()
            .name;
        let suites = rpc
            .supported_ciphersuites(proto::SupportedCiphersuitesRequest {})
            .await
            .map_err(rpc_error("SupportedCiphersuites"))?
            .into_inner()
            .ciphersuites;
        Ok(Self {
            address: address.to_owned(),
            name,
            suites,
            rpc,
        })
    }
}
