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

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;
use tonic::transport::Channel;
use tonic::{Code, Status};

use crate::proto;
use crate::proto::mls_client_client::MlsClientClient;

/// The default cap on assignments of clients to actors per script and suite.
pub const DEFAULT_MAX_ASSIGNMENTS: usize = 256;

/// The configs run when none is named.
pub const DEFAULT_CONFIGS: [&str; 4] = ["welcome_join", "application", "commit", "external_join"];

/// The actions the runner can play.
const SUPPORTED_ACTIONS: [&str; 18] = [
    "createGroup",
    "createKeyPackage",
    "addProposal",
    "removeProposal",
    "updateProposal",
    "groupContextExtensionsProposal",
    "installExternalPSK",
    "externalPSKProposal",
    "resumptionPSKProposal",
    "fullCommit",
    "externalJoin",
    "protect",
    "unprotect",
    "branch",
    "reinit",
    "newMemberAddProposal",
    "addExternalSigner",
    "externalSignerProposal",
];

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

/// One step of a script.
#[derive(Debug, Deserialize)]
#[serde(tag = "action")]
enum Step {
    #[serde(rename = "createGroup")]
    CreateGroup {
        actor: String,
        #[serde(default)]
        members: Vec<String>,
    },
    #[serde(rename = "createKeyPackage")]
    CreateKeyPackage { actor: String },
    #[serde(rename = "addProposal")]
    AddProposal {
        actor: String,
        #[serde(rename = "keyPackage")]
        key_package: usize,
    },
    #[serde(rename = "removeProposal")]
    RemoveProposal { actor: String, removed: String },
    #[serde(rename = "updateProposal")]
    UpdateProposal { actor: String },
    #[serde(rename = "groupContextExtensionsProposal")]
    GroupContextExtensionsProposal {
        actor: String,
        extensions: Vec<ExtensionJson>,
    },
    #[serde(rename = "installExternalPSK")]
    InstallExternalPsk { clients: Vec<String> },
    #[serde(rename = "externalPSKProposal")]
    ExternalPskProposal {
        actor: String,
        #[serde(rename = "pskID")]
        psk_id: usize,
    },
    #[serde(rename = "resumptionPSKProposal")]
    ResumptionPskProposal {
        actor: String,
        #[serde(rename = "epochID")]
        epoch_id: u64,
    },
    #[serde(rename = "fullCommit")]
    FullCommit {
        actor: String,
        #[serde(default, rename = "byReference")]
        by_reference: Vec<usize>,
        #[serde(default, rename = "byValue")]
        by_value: Vec<ValueProposal>,
        #[serde(default)]
        members: Vec<String>,
        #[serde(default)]
        joiners: Vec<String>,
        #[serde(default, alias = "forcePath")]
        force_path: bool,
        #[serde(default, alias = "externalTree")]
        external_tree: bool,
    },
    #[serde(rename = "externalJoin")]
    ExternalJoin {
        actor: String,
        joiner: String,
        #[serde(default)]
        members: Vec<String>,
        #[serde(default, rename = "removePrior")]
        remove_prior: bool,
        #[serde(default)]
        psks: Vec<usize>,
        #[serde(default, rename = "externalTree", alias = "external_tree")]
        external_tree: bool,
    },
    #[serde(rename = "protect")]
    Protect {
        actor: String,
        #[serde(rename = "authenticatedData")]
        authenticated_data: String,
        plaintext: String,
    },
    #[serde(rename = "unprotect")]
    Unprotect { actor: String, ciphertext: usize },
    #[serde(rename = "branch")]
    Branch {
        actor: String,
        members: Vec<String>,
        #[serde(default)]
        extensions: Vec<ExtensionJson>,
        #[serde(default, rename = "forcePath", alias = "force_path")]
        force_path: bool,
        #[serde(default, rename = "externalTree", alias = "external_tree")]
        external_tree: bool,
    },
    #[serde(rename = "newMemberAddProposal")]
    NewMemberAddProposal { actor: String, joiner: String },
    #[serde(rename = "addExternalSigner")]
    AddExternalSigner { actor: String, signer: String },
    #[serde(rename = "externalSignerProposal")]
    ExternalSignerProposal {
        actor: String,
        member: String,
        description: ValueProposal,
    },
    #[serde(rename = "reinit")]
    ReInit {
        #[serde(default)]
        proposer: Option<String>,
        #[serde(default, rename = "externalReinitProposal")]
        external_proposal: Option<usize>,
        committer: String,
        welcomer: String,
        #[serde(default)]
        members: Vec<String>,
        #[serde(default, rename = "changeCiphersuite", alias = "changeCipherSuite")]
        change_cipher_suite: bool,
        #[serde(default, rename = "changeGroupID")]
        change_group_id: bool,
        #[serde(default)]
        extensions: Vec<ExtensionJson>,
        #[serde(default, rename = "forcePath", alias = "force_path")]
        force_path: bool,
        #[serde(default, rename = "externalTree", alias = "external_tree")]
        external_tree: bool,
    },
}

impl Step {
    fn name(&self) -> &'static str {
        match self {
            Step::CreateGroup { .. } => "createGroup",
            Step::CreateKeyPackage { .. } => "createKeyPackage",
            Step::AddProposal { .. } => "addProposal",
            Step::RemoveProposal { .. } => "removeProposal",
            Step::UpdateProposal { .. } => "updateProposal",
            Step::GroupContextExtensionsProposal { .. } => "groupContextExtensionsProposal",
            Step::InstallExternalPsk { .. } => "installExternalPSK",
            Step::ExternalPskProposal { .. } => "externalPSKProposal",
            Step::ResumptionPskProposal { .. } => "resumptionPSKProposal",
            Step::FullCommit { .. } => "fullCommit",
            Step::ExternalJoin { .. } => "externalJoin",
            Step::Protect { .. } => "protect",
            Step::Unprotect { .. } => "unprotect",
            Step::Branch { .. } => "branch",
            Step::ReInit { .. } => "reinit",
            Step::NewMemberAddProposal { .. } => "newMemberAddProposal",
            Step::AddExternalSigner { .. } => "addExternalSigner",
            Step::ExternalSignerProposal { .. } => "externalSignerProposal",
        }
    }

    /// Who sent the proposal the step makes, if it makes one.
    fn proposer(&self) -> Option<&str> {
        match self {
            Step::AddProposal { actor, .. }
            | Step::RemoveProposal { actor, .. }
            | Step::UpdateProposal { actor }
            | Step::GroupContextExtensionsProposal { actor, .. }
            | Step::ExternalPskProposal { actor, .. }
            | Step::ResumptionPskProposal { actor, .. }
            | Step::AddExternalSigner { actor, .. }
            | Step::ExternalSignerProposal { actor, .. } => Some(actor),
            Step::NewMemberAddProposal { joiner, .. } => Some(joiner),
            _ => None,
        }
    }
}

/// A proposal committed by value (`byValue` of `fullCommit`).
#[derive(Debug, Deserialize)]
#[serde(tag = "proposalType")]
enum ValueProposal {
    #[serde(rename = "add")]
    Add {
        #[serde(rename = "keyPackage")]
        key_package: usize,
    },
    #[serde(rename = "remove")]
    Remove { removed: String },
    #[serde(rename = "externalPSK")]
    ExternalPsk {
        #[serde(rename = "pskID")]
        psk_id: usize,
    },
    #[serde(rename = "resumptionPSK")]
    ResumptionPsk {
        #[serde(rename = "epochID")]
        epoch_id: u64,
    },
    #[serde(rename = "groupContextExtensions")]
    GroupContextExtensions { extensions: Vec<ExtensionJson> },
    /// Only as an external signer's proposal: `fullCommit` does not commit a ReInit by value.
    #[serde(rename = "reinit")]
    ReInit {
        #[serde(default, rename = "changeCiphersuite", alias = "changeCipherSuite")]
        change_cipher_suite: bool,
        #[serde(default, rename = "changeGroupID")]
        change_group_id: bool,
        #[serde(default)]
        extensions: Vec<ExtensionJson>,
    },
}

/// An extension as the configs write it: the data in base64.
#[derive(Debug, Deserialize)]
struct ExtensionJson {
    extension_type: u32,
    extension_data: String,
}

/// Why a script is not played.
enum Parsed {
    /// It uses actions the runner does not know (listed).
    Unsupported(String),
    /// It is malformed.
    Invalid(String),
}

fn parse_script(steps: &[serde_json::Value]) -> Result<Vec<Step>, Parsed> {
    let mut unknown: Vec<String> = Vec::new();
    for step in steps {
        let action = step
            .get("action")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("(no action)");
        if !SUPPORTED_ACTIONS.contains(&action) && !unknown.iter().any(|a| a == action) {
            unknown.push(action.to_owned());
        }
    }
    if !unknown.is_empty() {
        return Err(Parsed::Unsupported(unknown.join(", ")));
    }
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            Step::deserialize(step).map_err(|e| Parsed::Invalid(format!("step {i}: {e}")))
        })
        .collect()
}

/// The actors of a script, in order of first appearance.
fn actors(steps: &[Step]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |name: &String| {
        if !names.contains(name) {
            names.push(name.clone());
        }
    };
    for step in steps {
        match step {
            Step::CreateGroup { actor, members } => {
                add(actor);
                members.iter().for_each(&mut add);
            }
            Step::CreateKeyPackage { actor }
            | Step::AddProposal { actor, .. }
            | Step::UpdateProposal { actor }
            | Step::GroupContextExtensionsProposal { actor, .. }
            | Step::ExternalPskProposal { actor, .. }
            | Step::ResumptionPskProposal { actor, .. }
            | Step::Protect { actor, .. }
            | Step::Unprotect { actor, .. } => add(actor),
            Step::RemoveProposal { actor, removed } => {
                add(actor);
                add(removed);
            }
            Step::InstallExternalPsk { clients } => clients.iter().for_each(&mut add),
            Step::FullCommit {
                actor,
                members,
                joiners,
                ..
            } => {
                add(actor);
                members.iter().chain(joiners).for_each(&mut add);
            }
            Step::ExternalJoin {
                actor,
                joiner,
                members,
                ..
            } => {
                add(actor);
                add(joiner);
                members.iter().for_each(&mut add);
            }
            Step::Branch { actor, members, .. } => {
                add(actor);
                members.iter().for_each(&mut add);
            }
            Step::NewMemberAddProposal { actor, joiner } => {
                add(actor);
                add(joiner);
            }
            Step::AddExternalSigner { actor, signer } => {
                add(actor);
                add(signer);
            }
            Step::ExternalSignerProposal { actor, member, .. } => {
                add(actor);
                add(member);
            }
            Step::ReInit {
                proposer,
                committer,
                welcomer,
                members,
                ..
            } => {
                if let Some(proposer) = proposer {
                    add(proposer);
                }
                add(committer);
                add(welcomer);
                members.iter().for_each(&mut add);
            }
        }
    }
    names
}

/// The assignments of `clients` clients to `actors` actors: all of them when there are at most
/// `cap`, otherwise each "everyone on client i" and a deterministic sample seeded by `label`.
fn assignments(actors: usize, clients: usize, cap: usize, label: &str) -> Vec<Vec<usize>> {
    let cap = cap.max(1);
    let total = u32::try_from(actors)
        .ok()
        .and_then(|k| clients.checked_pow(k))
        .filter(|t| *t <= cap);
    if let Some(total) = total {
        return (0..total)
            .map(|mut n| {
                let mut digits = vec![0; actors];
                for d in digits.iter_mut().rev() {
                    *d = n % clients;
                    n /= clients;
                }
                digits
            })
            .collect();
    }
    let mut out: Vec<Vec<usize>> = (0..clients.min(cap)).map(|c| vec![c; actors]).collect();
    // FNV-1a of the label seeds a xorshift generator.
    let mut state = label.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let clients_u64 = u64::try_from(clients).unwrap_or(u64::MAX);
    let mut attempts = 0usize;
    while out.len() < cap && attempts < cap.saturating_mul(16) {
        attempts += 1;
        let candidate: Vec<usize> = (0..actors)
            .map(|_| usize::try_from(next() % clients_u64).unwrap_or(0))
            .collect();
        if !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out
}

/// `alice=0 bob=1`; for a script of more than [`MAX_LISTED_ACTORS`] actors, how many are on
/// each client and the assignment's number.
fn assignment_label(actors: &[String], assignment: &[usize], n: usize, clients: usize) -> String {
    if actors.len() <= MAX_LISTED_ACTORS {
        let who: Vec<String> = actors
            .iter()
            .zip(assignment)
            .map(|(a, c)| format!("{a}={c}"))
            .collect();
        return who.join(" ");
    }
    let counts: Vec<String> = (0..clients)
        .map(|c| {
            let on = assignment.iter().filter(|x| **x == c).count();
            format!("{on} on client {c}")
        })
        .collect();
    format!(
        "assignment #{n} of {} actors: {}",
        actors.len(),
        counts.join(", ")
    )
}

/// Scripts with more actors print a summary of each assignment instead of every actor.
const MAX_LISTED_ACTORS: usize = 10;

/// Where the ReInit proposal of a `reinit` action comes from.
enum ReInitSource<'s> {
    /// A member proposes it, with these changes.
    Member {
        proposer: &'s str,
        change: ReInitChange,
    },
    /// An external signer proposed it in an earlier step.
    External {
        proposal: Vec<u8>,
        cipher_suite: u32,
        group_id: Vec<u8>,
    },
}

/// What a ReInit changes.
struct ReInitChange {
    cipher_suite: bool,
    group_id: bool,
    extensions: Vec<proto::Extension>,
}

/// Why a run did not pass.
enum Failure {
    Failed(String),
    Unsupported(String),
}

/// What a step left for later steps.
#[derive(Clone)]
enum Output {
    None,
    KeyPackage(Vec<u8>),
    Proposal(Vec<u8>),
    Psk {
        id: Vec<u8>,
        secret: Vec<u8>,
    },
    Protected {
        ciphertext: Vec<u8>,
        plaintext: Vec<u8>,
        authenticated_data: Vec<u8>,
    },
}

/// An actor's current state or transaction on its client, and its external signer (id on its
/// client, index in the group's `external_senders`).
#[derive(Default, Clone, Copy)]
struct Actor {
    state: Option<u32>,
    transaction: Option<u32>,
    signer: Option<(u32, u32)>,
}

/// One run of one script on one assignment and suite.
struct Run<'a> {
    clients: &'a [Client],
    client_of: HashMap<String, usize>,
    suite: u32,
    encrypt: bool,
    group_id: Vec<u8>,
    actors: HashMap<String, Actor>,
    outputs: Vec<Output>,
    /// Every state and transaction created, to free at the end: (client, id).
    created: Vec<(usize, u32)>,
    /// The step being played, for messages.
    step: usize,
    /// Who sent the proposal of each step that made one.
    proposers: HashMap<usize, String>,
    /// The new cipher suite and group id of each external ReInit proposal, by step.
    reinit_targets: HashMap<usize, (u32, Vec<u8>)>,
    /// How many external signers the group lists.
    signers: u32,
}

impl<'a> Run<'a> {
    fn new(
        clients: &'a [Client],
        actors: &[String],
        assignment: &[usize],
        suite: u32,
        options: &Options,
    ) -> Self {
        let client_of = actors
            .iter()
            .cloned()
            .zip(assignment.iter().copied())
            .collect();
        Self {
            clients,
            client_of,
            suite,
            encrypt: options.encrypt_handshake,
            group_id: rand::random::<[u8; 16]>().to_vec(),
            actors: HashMap::new(),
            outputs: Vec::new(),
            created: Vec::new(),
            step: 0,
            proposers: HashMap::new(),
            reinit_targets: HashMap::new(),
            signers: 0,
        }
    }

    async fn play(&mut self, steps: &[Step]) -> Result<(), Failure> {
        for (i, step) in steps.iter().enumerate() {
            self.step = i;
            let output = self
                .play_step(step)
                .await
                .map_err(|failure| match failure {
                    Failure::Failed(reason) => {
                        Failure::Failed(format!("step {i} ({}): {reason}", step.name()))
                    }
                    unsupported => unsupported,
                })?;
            if let (Output::Proposal(_), Some(who)) = (&output, step.proposer()) {
                self.proposers.insert(i, who.to_owned());
            }
            self.outputs.push(output);
        }
        Ok(())
    }

    /// Frees every state and transaction of the run (best effort: a client may have dropped
    /// some already).
    async fn free(&mut self) {
        for (client, id) in std::mem::take(&mut self.created) {
            if let Some(c) = self.clients.get(client) {
                let mut rpc = c.rpc.clone();
                // Errors are ignored: freeing is housekeeping, not part of the test.
                let _ = rpc.free(proto::FreeRequest { state_id: id }).await;
            }
        }
    }

    async fn play_step(&mut self, step: &Step) -> Result<Output, Failure> {
        match step {
            Step::CreateGroup { actor, members } => {
                self.create_group(actor, members).await?;
                Ok(Output::None)
            }
            Step::CreateKeyPackage { actor } => {
                let (transaction, key_package) = self.create_key_package(actor).await?;
                self.actor_mut(actor).transaction = Some(transaction);
                Ok(Output::KeyPackage(key_package))
            }
            Step::AddProposal { actor, key_package } => {
                let key_package = self.key_package(*key_package)?;
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .add_proposal(proto::AddProposalRequest {
                        state_id,
                        key_package,
                    })
                    .await
                    .map_err(|s| self.status("AddProposal", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::RemoveProposal { actor, removed } => {
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .remove_proposal(proto::RemoveProposalRequest {
                        state_id,
                        removed_id: removed.as_bytes().to_vec(),
                    })
                    .await
                    .map_err(|s| self.status("RemoveProposal", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::UpdateProposal { actor } => {
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .update_proposal(proto::UpdateProposalRequest { state_id })
                    .await
                    .map_err(|s| self.status("UpdateProposal", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::GroupContextExtensionsProposal { actor, extensions } => {
                let extensions = decode_extensions(extensions)?;
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .group_context_extensions_proposal(
                        proto::GroupContextExtensionsProposalRequest {
                            state_id,
                            extensions,
                        },
                    )
                    .await
                    .map_err(|s| self.status("GroupContextExtensionsProposal", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::InstallExternalPsk { clients } => {
                let id = rand::random::<[u8; 16]>().to_vec();
                let secret = rand::random::<[u8; 32]>().to_vec();
                for actor in clients {
                    let a = self.actors.get(actor).copied().unwrap_or_default();
                    let state_or_transaction_id = a.state.or(a.transaction).ok_or_else(|| {
                        fail(format!(
                            "{actor} has neither a group state nor a KeyPackage"
                        ))
                    })?;
                    let mut rpc = self.rpc(actor)?;
                    rpc.store_psk(proto::StorePskRequest {
                        state_or_transaction_id,
                        psk_id: id.clone(),
                        psk_secret: secret.clone(),
                    })
                    .await
                    .map_err(|s| self.status("StorePSK", actor, s))?;
                }
                Ok(Output::Psk { id, secret })
            }
            Step::ExternalPskProposal { actor, psk_id } => {
                let (psk_id, _) = self.psk(*psk_id)?;
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .external_psk_proposal(proto::ExternalPskProposalRequest { state_id, psk_id })
                    .await
                    .map_err(|s| self.status("ExternalPSKProposal", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::ResumptionPskProposal { actor, epoch_id } => {
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .resumption_psk_proposal(proto::ResumptionPskProposalRequest {
                        state_id,
                        epoch_id: *epoch_id,
                    })
                    .await
                    .map_err(|s| self.status("ResumptionPSKProposal", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::FullCommit {
                actor,
                by_reference,
                by_value,
                members,
                joiners,
                force_path,
                external_tree,
            } => {
                let by_reference = by_reference
                    .iter()
                    .map(|i| {
                        self.proposal(*i)
                            .map(|p| (self.proposers.get(i).cloned(), p))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if by_value
                    .iter()
                    .any(|p| matches!(p, ValueProposal::ReInit { .. }))
                {
                    return Err(fail(
                        "a ReInit by value in fullCommit; use the reinit action".into(),
                    ));
                }
                let by_value = by_value
                    .iter()
                    .map(|p| self.describe(p))
                    .collect::<Result<Vec<_>, _>>()?;
                self.full_commit(
                    actor,
                    by_reference,
                    by_value,
                    members,
                    joiners,
                    *force_path,
                    *external_tree,
                )
                .await?;
                Ok(Output::None)
            }
            Step::ExternalJoin {
                actor,
                joiner,
                members,
                remove_prior,
                psks,
                external_tree,
            } => {
                let psks = psks
                    .iter()
                    .map(|i| {
                        self.psk(*i)
                            .map(|(psk_id, psk_secret)| proto::PreSharedKey { psk_id, psk_secret })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.external_join(actor, joiner, members, *remove_prior, psks, *external_tree)
                    .await?;
                Ok(Output::None)
            }
            Step::Protect {
                actor,
                authenticated_data,
                plaintext,
            } => {
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .protect(proto::ProtectRequest {
                        state_id,
                        authenticated_data: authenticated_data.as_bytes().to_vec(),
                        plaintext: plaintext.as_bytes().to_vec(),
                    })
                    .await
                    .map_err(|s| self.status("Protect", actor, s))?;
                Ok(Output::Protected {
                    ciphertext: r.into_inner().ciphertext,
                    plaintext: plaintext.as_bytes().to_vec(),
                    authenticated_data: authenticated_data.as_bytes().to_vec(),
                })
            }
            Step::Branch {
                actor,
                members,
                extensions,
                force_path,
                external_tree,
            } => {
                let extensions = decode_extensions(extensions)?;
                self.branch(actor, members, extensions, *force_path, *external_tree)
                    .await?;
                Ok(Output::None)
            }
            Step::NewMemberAddProposal { actor, joiner } => {
                let info = self.group_info(actor).await?;
                let mut rpc = self.rpc(joiner)?;
                let r = rpc
                    .new_member_add_proposal(proto::NewMemberAddProposalRequest {
                        group_info: info.group_info,
                        identity: joiner.as_bytes().to_vec(),
                    })
                    .await
                    .map_err(|s| self.status("NewMemberAddProposal", joiner, s))?
                    .into_inner();
                self.track(joiner, r.transaction_id)?;
                self.actor_mut(joiner).transaction = Some(r.transaction_id);
                Ok(Output::Proposal(r.proposal))
            }
            Step::AddExternalSigner { actor, signer } => {
                let mut signer_rpc = self.rpc(signer)?;
                let created = signer_rpc
                    .create_external_signer(proto::CreateExternalSignerRequest {
                        cipher_suite: self.suite,
                        identity: signer.as_bytes().to_vec(),
                    })
                    .await
                    .map_err(|s| self.status("CreateExternalSigner", signer, s))?
                    .into_inner();
                self.track(signer, created.signer_id)?;
                // AddExternalSigner appends to the group's external_senders.
                let index = self.signers;
                self.signers += 1;
                self.actor_mut(signer).signer = Some((created.signer_id, index));
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .add_external_signer(proto::AddExternalSignerRequest {
                        state_id,
                        external_sender: created.external_sender,
                    })
                    .await
                    .map_err(|s| self.status("AddExternalSigner", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::ExternalSignerProposal {
                actor,
                member,
                description,
            } => {
                let (signer_id, signer_index) = self
                    .actors
                    .get(actor)
                    .and_then(|a| a.signer)
                    .ok_or_else(|| fail(format!("{actor} is no external signer")))?;
                let description = self.describe(description)?;
                if description.proposal_type == b"reinit" {
                    self.reinit_targets.insert(
                        self.step,
                        (description.cipher_suite, description.group_id.clone()),
                    );
                }
                let info = self.group_info(member).await?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .external_signer_proposal(proto::ExternalSignerProposalRequest {
                        signer_id,
                        signer_index,
                        group_info: info.group_info,
                        ratchet_tree: info.ratchet_tree,
                        description: Some(description),
                    })
                    .await
                    .map_err(|s| self.status("ExternalSignerProposal", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::ReInit {
                proposer,
                external_proposal,
                committer,
                welcomer,
                members,
                change_cipher_suite,
                change_group_id,
                extensions,
                force_path,
                external_tree,
            } => {
                let mut participants: Vec<&str> = Vec::new();
                for who in proposer.iter().chain([committer, welcomer]).chain(members) {
                    if !participants.contains(&who.as_str()) {
                        participants.push(who);
                    }
                }
                let source = match (proposer, external_proposal) {
                    (Some(proposer), None) => ReInitSource::Member {
                        proposer,
                        change: ReInitChange {
                            cipher_suite: *change_cipher_suite,
                            group_id: *change_group_id,
                            extensions: decode_extensions(extensions)?,
                        },
                    },
                    (None, Some(step)) => {
                        let (cipher_suite, group_id) =
                            self.reinit_targets.get(step).cloned().ok_or_else(|| {
                                fail(format!("step {step} made no external ReInit proposal"))
                            })?;
                        ReInitSource::External {
                            proposal: self.proposal(*step)?,
                            cipher_suite,
                            group_id,
                        }
                    }
                    _ => {
                        return Err(fail(
                            "reinit needs exactly one of proposer and externalReinitProposal"
                                .into(),
                        ));
                    }
                };
                self.reinit(
                    source,
                    committer,
                    welcomer,
                    &participants,
                    *force_path,
                    *external_tree,
                )
                .await?;
                Ok(Output::None)
            }
            Step::Unprotect { actor, ciphertext } => {
                let Some(Output::Protected {
                    ciphertext,
                    plaintext,
                    authenticated_data,
                }) = self.outputs.get(*ciphertext).cloned()
                else {
                    return Err(fail(format!("step {ciphertext} is not a protect step")));
                };
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .unprotect(proto::UnprotectRequest {
                        state_id,
                        ciphertext,
                    })
                    .await
                    .map_err(|s| self.status("Unprotect", actor, s))?
                    .into_inner();
                if r.plaintext != plaintext {
                    return Err(fail("Unprotect returned another plaintext".into()));
                }
                if r.authenticated_data != authenticated_data {
                    return Err(fail("Unprotect returned other authenticated data".into()));
                }
                Ok(Output::None)
            }
        }
    }

    async fn create_group(&mut self, actor: &str, members: &[String]) -> Result<(), Failure> {
        let mut rpc = self.rpc(actor)?;
        let state_id = rpc
            .create_group(proto::CreateGroupRequest {
                group_id: self.group_id.clone(),
                cipher_suite: self.suite,
                encrypt_handshake: self.encrypt,
                identity: actor.as_bytes().to_vec(),
            })
            .await
            .map_err(|s| self.status("CreateGroup", actor, s))?
            .into_inner()
            .state_id;
        self.track(actor, state_id)?;
        self.actors.insert(
            actor.to_owned(),
            Actor {
                state: Some(state_id),
                transaction: None,
                signer: None,
            },
        );
        if members.is_empty() {
            return Ok(());
        }
        let mut by_value = Vec::with_capacity(members.len());
        for member in members {
            let (transaction, key_package) = self.create_key_package(member).await?;
            self.actor_mut(member).transaction = Some(transaction);
            by_value.push(proto::ProposalDescription {
                proposal_type: b"add".to_vec(),
                key_package,
                ..Default::default()
            });
        }
        self.full_commit(actor, Vec::new(), by_value, &[], members, false, false)
            .await
    }

    async fn create_key_package(&mut self, actor: &str) -> Result<(u32, Vec<u8>), Failure> {
        let mut rpc = self.rpc(actor)?;
        let r = rpc
            .create_key_package(proto::CreateKeyPackageRequest {
                cipher_suite: self.suite,
                identity: actor.as_bytes().to_vec(),
            })
            .await
            .map_err(|s| self.status("CreateKeyPackage", actor, s))?
            .into_inner();
        self.track(actor, r.transaction_id)?;
        Ok((r.transaction_id, r.key_package))
    }

    /// `actor` commits; `members` handle the commit, `actor` its pending commit, `joiners` join
    /// from the Welcome; all must then agree on the epoch authenticator.
    #[allow(
        clippy::too_many_arguments,
        reason = "the fields of the fullCommit action"
    )]
    async fn full_commit(
        &mut self,
        actor: &str,
        by_reference: Vec<(Option<String>, Vec<u8>)>,
        by_value: Vec<proto::ProposalDescription>,
        members: &[String],
        joiners: &[String],
        force_path: bool,
        external_tree: bool,
    ) -> Result<(), Failure> {
        // Everyone is given the others' proposals only: its own are cached already.
        let others = |who: &str| -> Vec<Vec<u8>> {
            by_reference
                .iter()
                .filter(|(proposer, _)| proposer.as_deref() != Some(who))
                .map(|(_, p)| p.clone())
                .collect()
        };
        let state_id = self.state(actor)?;
        let mut rpc = self.rpc(actor)?;
        let commit = rpc
            .commit(proto::CommitRequest {
                state_id,
                by_reference: others(actor),
                by_value,
                force_path,
                external_tree,
            })
            .await
            .map_err(|s| self.status("Commit", actor, s))?
            .into_inner();
        let mut authenticators = Vec::new();
        for member in members {
            let state_id = self.state(member)?;
            let mut rpc = self.rpc(member)?;
            let r = rpc
                .handle_commit(proto::HandleCommitRequest {
                    state_id,
                    proposal: others(member),
                    commit: commit.commit.clone(),
                })
                .await
                .map_err(|s| self.status("HandleCommit", member, s))?
                .into_inner();
            self.actor_mut(member).state = Some(r.state_id);
            authenticators.push((member.as_str(), r.epoch_authenticator));
        }
        let r = rpc
            .handle_pending_commit(proto::HandlePendingCommitRequest { state_id })
            .await
            .map_err(|s| self.status("HandlePendingCommit", actor, s))?
            .into_inner();
        self.actor_mut(actor).state = Some(r.state_id);
        authenticators.push((actor, r.epoch_authenticator));
        if !joiners.is_empty() && commit.welcome.is_empty() {
            return Err(fail(
                "the commit adds members but came without a Welcome".into(),
            ));
        }
        if external_tree && !joiners.is_empty() && commit.ratchet_tree.is_empty() {
            return Err(fail(
                "external_tree was asked for but no ratchet tree came".into(),
            ));
        }
        for joiner in joiners {
            let transaction_id = self
                .actors
                .get(joiner.as_str())
                .and_then(|a| a.transaction)
                .ok_or_else(|| fail(format!("{joiner} has no KeyPackage to join with")))?;
            let mut rpc = self.rpc(joiner)?;
            let r = rpc
                .join_group(proto::JoinGroupRequest {
                    transaction_id,
                    welcome: commit.welcome.clone(),
                    encrypt_handshake: self.encrypt,
                    identity: joiner.as_bytes().to_vec(),
                    ratchet_tree: if external_tree {
                        commit.ratchet_tree.clone()
                    } else {
                        Vec::new()
                    },
                })
                .await
                .map_err(|s| self.status("JoinGroup", joiner, s))?
                .into_inner();
            self.track(joiner, r.state_id)?;
            *self.actor_mut(joiner) = Actor {
                state: Some(r.state_id),
                transaction: None,
                signer: None,
            };
            authenticators.push((joiner.as_str(), r.epoch_authenticator));
        }
        agree(&authenticators)
    }

    /// `joiner` joins by external commit from `actor`'s GroupInfo; `actor` and `members` handle
    /// the commit; all must agree on the epoch authenticator.
    async fn external_join(
        &mut self,
        actor: &str,
        joiner: &str,
        members: &[String],
        remove_prior: bool,
        psks: Vec<proto::PreSharedKey>,
        external_tree: bool,
    ) -> Result<(), Failure> {
        let state_id = self.state(actor)?;
        let mut rpc = self.rpc(actor)?;
        let info = rpc
            .group_info(proto::GroupInfoRequest {
                state_id,
                external_tree,
            })
            .await
            .map_err(|s| self.status("GroupInfo", actor, s))?
            .into_inner();
        let mut joiner_rpc = self.rpc(joiner)?;
        let joined = joiner_rpc
            .external_join(proto::ExternalJoinRequest {
                group_info: info.group_info,
                ratchet_tree: info.ratchet_tree,
                encrypt_handshake: self.encrypt,
                identity: joiner.as_bytes().to_vec(),
                remove_prior,
                psks,
            })
            .await
            .map_err(|s| self.status("ExternalJoin", joiner, s))?
            .into_inner();
        self.track(joiner, joined.state_id)?;
        *self.actor_mut(joiner) = Actor {
            state: Some(joined.state_id),
            transaction: None,
            signer: None,
        };
        let mut authenticators = vec![(joiner, joined.epoch_authenticator)];
        for member in std::iter::once(actor).chain(members.iter().map(String::as_str)) {
            let state_id = self.state(member)?;
            let mut rpc = self.rpc(member)?;
            let r = rpc
                .handle_commit(proto::HandleCommitRequest {
                    state_id,
                    proposal: Vec::new(),
                    commit: joined.commit.clone(),
                })
                .await
                .map_err(|s| self.status("HandleCommit", member, s))?
                .into_inner();
            self.actor_mut(member).state = Some(r.state_id);
            authenticators.push((member, r.epoch_authenticator));
        }
        agree(&authenticators)
    }

    /// `actor` branches a subgroup with `members`, who each make a new KeyPackage and join
    /// it; all must agree on the new group's epoch authenticator.
    async fn branch(
        &mut self,
        actor: &str,
        members: &[String],
        extensions: Vec<proto::Extension>,
        force_path: bool,
        external_tree: bool,
    ) -> Result<(), Failure> {
        let mut transactions = Vec::with_capacity(members.len());
        let mut key_packages = Vec::with_capacity(members.len());
        for member in members {
            let (transaction, key_package) = self.create_key_package(member).await?;
            transactions.push(transaction);
            key_packages.push(key_package);
        }
        let state_id = self.state(actor)?;
        let mut rpc = self.rpc(actor)?;
        let branch = rpc
            .create_branch(proto::CreateBranchRequest {
                state_id,
                group_id: rand::random::<[u8; 16]>().to_vec(),
                extensions,
                key_packages,
                force_path,
                external_tree,
            })
            .await
            .map_err(|s| self.status("CreateBranch", actor, s))?
            .into_inner();
        self.track(actor, branch.state_id)?;
        self.actor_mut(actor).state = Some(branch.state_id);
        let mut authenticators = vec![(actor, branch.epoch_authenticator)];
        for (member, transaction_id) in members.iter().zip(transactions) {
            let state_id = self.state(member)?;
            let mut rpc = self.rpc(member)?;
            let r = rpc
                .handle_branch(proto::HandleBranchRequest {
                    state_id,
                    transaction_id,
                    welcome: branch.welcome.clone(),
                    ratchet_tree: branch.ratchet_tree.clone(),
                })
                .await
                .map_err(|s| self.status("HandleBranch", member, s))?
                .into_inner();
            self.track(member, r.state_id)?;
            self.actor_mut(member).state = Some(r.state_id);
            authenticators.push((member, r.epoch_authenticator));
        }
        agree(&authenticators)
    }

    /// `proposer` proposes a ReInit, `committer` commits it, every participant handles the
    /// commit (all must agree), `welcomer` creates the new group with the others' new
    /// KeyPackages, and the others join it (all must agree again).
    #[allow(clippy::too_many_arguments, reason = "the fields of the reinit action")]
    async fn reinit(
        &mut self,
        source: ReInitSource<'_>,
        committer: &str,
        welcomer: &str,
        participants: &[&str],
        force_path: bool,
        external_tree: bool,
    ) -> Result<(), Failure> {
        let (proposal, cipher_suite, group_id) = match source {
            ReInitSource::Member { proposer, change } => {
                let cipher_suite = if change.cipher_suite {
                    self.other_suite().ok_or_else(|| {
                        Failure::Unsupported(
                            "no second cipher suite that every client supports".into(),
                        )
                    })?
                } else {
                    self.suite
                };
                let group_id = if change.group_id {
                    rand::random::<[u8; 16]>().to_vec()
                } else {
                    self.group_id.clone()
                };
                let state_id = self.state(proposer)?;
                let mut rpc = self.rpc(proposer)?;
                let proposal = rpc
                    .re_init_proposal(proto::ReInitProposalRequest {
                        state_id,
                        cipher_suite,
                        group_id: group_id.clone(),
                        extensions: change.extensions,
                    })
                    .await
                    .map_err(|s| self.status("ReInitProposal", proposer, s))?
                    .into_inner()
                    .proposal;
                (proposal, cipher_suite, group_id)
            }
            ReInitSource::External {
                proposal,
                cipher_suite,
                group_id,
            } => (proposal, cipher_suite, group_id),
        };
        let state_id = self.state(committer)?;
        let mut rpc = self.rpc(committer)?;
        let commit = rpc
            .re_init_commit(proto::CommitRequest {
                state_id,
                by_reference: vec![proposal.clone()],
                by_value: Vec::new(),
                force_path,
                external_tree: false,
            })
            .await
            .map_err(|s| self.status("ReInitCommit", committer, s))?
            .into_inner()
            .commit;
        // Everyone moves to the ReInit state: (actor, reinit id, new KeyPackage).
        let mut reinits: Vec<(&str, u32, Vec<u8>)> = Vec::with_capacity(participants.len());
        let mut authenticators = Vec::with_capacity(participants.len());
        for who in participants.iter().copied() {
            let state_id = self.state(who)?;
            let mut rpc = self.rpc(who)?;
            let r = if who == committer {
                rpc.handle_pending_re_init_commit(proto::HandlePendingCommitRequest { state_id })
                    .await
                    .map_err(|s| self.status("HandlePendingReInitCommit", who, s))?
            } else {
                rpc.handle_re_init_commit(proto::HandleCommitRequest {
                    state_id,
                    proposal: vec![proposal.clone()],
                    commit: commit.clone(),
                })
                .await
                .map_err(|s| self.status("HandleReInitCommit", who, s))?
            }
            .into_inner();
            self.track(who, r.reinit_id)?;
            reinits.push((who, r.reinit_id, r.key_package));
            authenticators.push((who, r.epoch_authenticator));
        }
        agree(&authenticators)?;
        let welcomer_reinit = reinits
            .iter()
            .find(|(who, _, _)| *who == welcomer)
            .map(|(_, id, _)| *id)
            .ok_or_else(|| fail(format!("{welcomer} took no part in the ReInit")))?;
        let key_package = reinits
            .iter()
            .filter(|(who, _, _)| *who != welcomer)
            .map(|(_, _, kp)| kp.clone())
            .collect();
        let mut rpc = self.rpc(welcomer)?;
        let created = rpc
            .re_init_welcome(proto::ReInitWelcomeRequest {
                reinit_id: welcomer_reinit,
                key_package,
                force_path,
                external_tree,
            })
            .await
            .map_err(|s| self.status("ReInitWelcome", welcomer, s))?
            .into_inner();
        self.track(welcomer, created.state_id)?;
        self.actor_mut(welcomer).state = Some(created.state_id);
        let mut authenticators = vec![(welcomer, created.epoch_authenticator)];
        for (who, reinit_id, _) in reinits.iter().filter(|(w, _, _)| *w != welcomer) {
            let mut rpc = self.rpc(who)?;
            let r = rpc
                .handle_re_init_welcome(proto::HandleReInitWelcomeRequest {
                    reinit_id: *reinit_id,
                    welcome: created.welcome.clone(),
                    ratchet_tree: created.ratchet_tree.clone(),
                })
                .await
                .map_err(|s| self.status("HandleReInitWelcome", who, s))?
                .into_inner();
            self.track(who, r.state_id)?;
            self.actor_mut(who).state = Some(r.state_id);
            authenticators.push((who, r.epoch_authenticator));
        }
        self.suite = cipher_suite;
        self.group_id = group_id;
        agree(&authenticators)
    }

    /// A cipher suite other than the run's that every client supports.
    fn other_suite(&self) -> Option<u32> {
        let first = self.clients.first()?;
        first
            .suites
            .iter()
            .copied()
            .find(|s| *s != self.suite && self.clients.iter().all(|c| c.suites.contains(s)))
    }

    /// The description of a proposal committed by value.
    fn describe(&self, proposal: &ValueProposal) -> Result<proto::ProposalDescription, Failure> {
        let mut d = proto::ProposalDescription::default();
        match proposal {
            ValueProposal::Add { key_package } => {
                d.proposal_type = b"add".to_vec();
                d.key_package = self.key_package(*key_package)?;
            }
            ValueProposal::Remove { removed } => {
                d.proposal_type = b"remove".to_vec();
                d.removed_id = removed.as_bytes().to_vec();
            }
            ValueProposal::ExternalPsk { psk_id } => {
                d.proposal_type = b"externalPSK".to_vec();
                d.psk_id = self.psk(*psk_id)?.0;
            }
            ValueProposal::ResumptionPsk { epoch_id } => {
                d.proposal_type = b"resumptionPSK".to_vec();
                d.epoch_id = *epoch_id;
            }
            ValueProposal::GroupContextExtensions { extensions } => {
                d.proposal_type = b"groupContextExtensions".to_vec();
                d.extensions = decode_extensions(extensions)?;
            }
            ValueProposal::ReInit {
                change_cipher_suite,
                change_group_id,
                extensions,
            } => {
                d.proposal_type = b"reinit".to_vec();
                d.cipher_suite = if *change_cipher_suite {
                    self.other_suite().ok_or_else(|| {
                        Failure::Unsupported(
                            "no second cipher suite that every client supports".into(),
                        )
                    })?
                } else {
                    self.suite
                };
                d.group_id = if *change_group_id {
                    rand::random::<[u8; 16]>().to_vec()
                } else {
                    self.group_id.clone()
                };
                d.extensions = decode_extensions(extensions)?;
            }
        }
        Ok(d)
    }

    /// A GroupInfo of `actor`'s group, with the ratchet tree in its extension.
    async fn group_info(&self, actor: &str) -> Result<proto::GroupInfoResponse, Failure> {
        let state_id = self.state(actor)?;
        let mut rpc = self.rpc(actor)?;
        Ok(rpc
            .group_info(proto::GroupInfoRequest {
                state_id,
                external_tree: false,
            })
            .await
            .map_err(|s| self.status("GroupInfo", actor, s))?
            .into_inner())
    }

    fn rpc(&self, actor: &str) -> Result<MlsClientClient<Channel>, Failure> {
        let client = self
            .client_of
            .get(actor)
            .and_then(|i| self.clients.get(*i))
            .ok_or_else(|| fail(format!("{actor} has no client")))?;
        Ok(client.rpc.clone())
    }

    fn state(&self, actor: &str) -> Result<u32, Failure> {
        self.actors
            .get(actor)
            .and_then(|a| a.state)
            .ok_or_else(|| fail(format!("{actor} is in no group")))
    }

    fn actor_mut(&mut self, actor: &str) -> &mut Actor {
        self.actors.entry(actor.to_owned()).or_default()
    }

    /// Remembers `id` on `actor`'s client, to free it at the end.
    fn track(&mut self, actor: &str, id: u32) -> Result<(), Failure> {
        let client = *self
            .client_of
            .get(actor)
            .ok_or_else(|| fail(format!("{actor} has no client")))?;
        self.created.push((client, id));
        Ok(())
    }

    fn key_package(&self, step: usize) -> Result<Vec<u8>, Failure> {
        match self.outputs.get(step) {
            Some(Output::KeyPackage(kp)) => Ok(kp.clone()),
            _ => Err(fail(format!("step {step} made no KeyPackage"))),
        }
    }

    fn proposal(&self, step: usize) -> Result<Vec<u8>, Failure> {
        match self.outputs.get(step) {
            Some(Output::Proposal(p)) => Ok(p.clone()),
            _ => Err(fail(format!("step {step} made no proposal"))),
        }
    }

    fn psk(&self, step: usize) -> Result<(Vec<u8>, Vec<u8>), Failure> {
        match self.outputs.get(step) {
            Some(Output::Psk { id, secret }) => Ok((id.clone(), secret.clone())),
            _ => Err(fail(format!("step {step} installed no PSK"))),
        }
    }

    /// A client's error answer: `UNIMPLEMENTED` makes the run unsupported, anything else fails
    /// it.
    fn status(&self, rpc: &str, actor: &str, status: Status) -> Failure {
        let client = self.client_of.get(actor).copied().unwrap_or_default();
        let what = format!(
            "{rpc} on client {client} ({actor}): {:?}: {}",
            status.code(),
            status.message()
        );
        if status.code() == Code::Unimplemented {
            Failure::Unsupported(format!("step {}: {what}", self.step))
        } else {
            Failure::Failed(what)
        }
    }
}

fn fail(reason: String) -> Failure {
    Failure::Failed(reason)
}

fn decode_extensions(list: &[ExtensionJson]) -> Result<Vec<proto::Extension>, Failure> {
    list.iter()
        .map(|e| {
            let extension_data = base64::engine::general_purpose::STANDARD
                .decode(&e.extension_data)
                .map_err(|err| fail(format!("extension_data is not base64: {err}")))?;
            Ok(proto::Extension {
                extension_type: e.extension_type,
                extension_data,
            })
        })
        .collect()
}

/// Every member must have the same epoch authenticator.
fn agree(authenticators: &[(&str, Vec<u8>)]) -> Result<(), Failure> {
    let Some((_, first)) = authenticators.first() else {
        return Ok(());
    };
    if authenticators.iter().all(|(_, a)| a == first) {
        return Ok(());
    }
    let mut detail = String::new();
    for (who, a) in authenticators {
        let prefix: String = a.iter().take(6).fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
        let _ = write!(detail, " {who}={prefix}..");
    }
    Err(fail(format!("epoch authenticators differ:{detail}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_enumerate_all_below_the_cap() {
        let all = assignments(3, 2, 256, "x");
        assert_eq!(all.len(), 8);
        assert_eq!(all[0], vec![0, 0, 0]);
        assert_eq!(all[5], vec![1, 0, 1]);
    }

    #[test]
    fn assignments_sample_above_the_cap() {
        let some = assignments(20, 2, 10, "x");
        assert_eq!(some.len(), 10);
        assert_eq!(some[0], vec![0; 20]);
        assert_eq!(some[1], vec![1; 20]);
        assert_eq!(some, assignments(20, 2, 10, "x"));
    }

    #[test]
    fn unknown_actions_make_a_script_unsupported() {
        let steps: Vec<serde_json::Value> = serde_json::from_str(
            r#"[{"action": "createGroup", "actor": "a"}, {"action": "teleport", "actor": "a"}]"#,
        )
        .unwrap();
        assert!(matches!(parse_script(&steps), Err(Parsed::Unsupported(a)) if a == "teleport"));
    }

    #[test]
    fn external_signer_actions_parse() {
        let steps: Vec<serde_json::Value> = serde_json::from_str(
            r#"[{"action": "createGroup", "actor": "a"},
                {"action": "newMemberAddProposal", "actor": "a", "joiner": "b"},
                {"action": "addExternalSigner", "actor": "a", "signer": "ds"},
                {"action": "externalSignerProposal", "actor": "ds", "member": "a",
                 "description": {"proposalType": "reinit", "changeGroupID": true}},
                {"action": "reinit", "externalReinitProposal": 3, "committer": "a",
                 "welcomer": "b"}]"#,
        )
        .unwrap();
        let Ok(parsed) = parse_script(&steps) else {
            panic!("the external-signer actions did not parse");
        };
        assert_eq!(actors(&parsed), ["a", "b", "ds"]);
        assert_eq!(parsed[1].proposer(), Some("b"));
        assert_eq!(parsed[3].proposer(), Some("ds"));
    }
}
