//! `cohort keypackage` and `cohort group`: an MLS client run from a shell, its state in a
//! directory ([`crate::state`]) and its messages in files.
//!
//! Every message is written as the raw bytes of an MLSMessage, and read raw, hex or base64 (as
//! `inspect` reads). A command that commits merges its own commit at once: the files it writes
//! are what the other members process with `group receive` (and `group join`).

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cohort::codec::{Decode as _, Encode as _};
use cohort::credential::Credential;
use cohort::group::GroupStatus;
use cohort::messages::proposal::Proposal;
use cohort::messages::{MlsMessage, MlsMessageBody};
use cohort::tree::math::LeafIndex;
use cohort::{ClientGroup, DeliveryError, Error, Member, ProposalSender, Received};

use crate::args::{self, Arity, Parsed, Spec};
use crate::input;
use crate::state::{self, NewState, State};

/// Prints a line on standard output. A closed pipe is not an error, and never a panic: by then
/// the command's work is done and stored.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Why a `keypackage` or `group` command did not run; each exits with status 2.
#[derive(Debug)]
pub(crate) enum Failure {
    /// `--help` was given: print the help text instead.
    Help,
    /// The command line is wrong.
    Usage(String),
    /// The command failed: a file, the client state, or MLS itself.
    Failed(String),
}

impl From<String> for Failure {
    fn from(e: String) -> Self {
        Self::Failed(e)
    }
}

/// The most KeyPackages one `keypackage` writes.
pub(crate) const MAX_COUNT: usize = 1000;

const STATE: (&str, Arity) = ("--state", Arity::One);
const GROUP: (&str, Arity) = ("--group", Arity::One);
const NAME: (&str, Arity) = ("--name", Arity::One);
const SUITE: (&str, Arity) = ("--suite", Arity::One);

const KEYPACKAGE: Spec = &[
    STATE,
    NAME,
    SUITE,
    ("--count", Arity::One),
    ("--out", Arity::One),
];

/// The subcommands of `group`, each with its options.
const GROUP_COMMANDS: &[(&str, Spec)] = &[
    ("create", &[STATE, GROUP, NAME, SUITE]),
    (
        "add",
        &[
            STATE,
            GROUP,
            ("--key-package", Arity::Many),
            ("--commit-out", Arity::One),
            ("--welcome-out", Arity::One),
        ],
    ),
    ("join", &[STATE, ("--welcome", Arity::One)]),
    (
        "remove",
        &[
            STATE,
            GROUP,
            ("--leaf", Arity::Many),
            ("--commit-out", Arity::One),
        ],
    ),
    ("update", &[STATE, GROUP, ("--commit-out", Arity::One)]),
    (
        "send",
        &[
            STATE,
            GROUP,
            ("--message", Arity::One),
            ("--out", Arity::One),
        ],
    ),
    ("receive", &[STATE, GROUP, ("--in", Arity::One)]),
    ("show", &[STATE, GROUP]),
];

/// The current time in seconds since the Unix epoch.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn parse(args: Vec<OsString>, spec: Spec) -> Result<Parsed, Failure> {
    args::parse(args, spec)
        .map_err(Failure::Usage)?
        .ok_or(Failure::Help)
}

/// `--suite N`, if given.
fn suite(p: &Parsed) -> Result<Option<cohort::crypto::CipherSuite>, Failure> {
    Ok(p.number::<u16>("--suite")
        .map_err(Failure::Usage)?
        .map(cohort::crypto::CipherSuite))
}

/// Runs `cohort keypackage`, printing what it wrote.
///
/// # Errors
/// A [`Failure`] for a wrong command line or a failed step.
pub(crate) fn keypackage(args: Vec<OsString>) -> Result<(), Failure> {
    let p = parse(args, KEYPACKAGE)?;
    let dir = p.required_path("--state").map_err(Failure::Usage)?;
    let out = p.required_path("--out").map_err(Failure::Usage)?;
    let count = p
        .number::<usize>("--count")
        .map_err(Failure::Usage)?
        .unwrap_or(1);
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(Failure::Usage(format!(
            "--count must be 1 to {MAX_COUNT}, not {count}"
        )));
    }
    let new = NewState {
        identity: p.text("--name").map_err(Failure::Usage)?,
        suite: suite(&p)?,
    };
    let state = State::open_or_create(&dir, &new)?;
    for i in 0..count {
        let path = if count == 1 {
            out.clone()
        } else {
            numbered(&out, i)
        };
        let kp = state
            .client
            .generate_key_package(now())
            .map_err(|e| format!("cannot create a KeyPackage: {}", one_line(&e)))?;
        state::write_file(&path, &encode(&kp)?)?;
        say!(
            "wrote a KeyPackage of {} (cipher suite {}) to {}",
            state.identity,
            state.suite.0,
            path.display()
        );
    }
    Ok(())
}

/// `FILE.i`: the name of the `i`th of several output files.
fn numbered(path: &Path, i: usize) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(".{i}"));
    PathBuf::from(name)
}

/// Runs `cohort group SUBCOMMAND`, printing what happened.
///
/// # Errors
/// A [`Failure`] for a wrong command line or a failed step.
pub(crate) fn group(args: Vec<OsString>) -> Result<(), Failure> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        return Err(Failure::Usage("group needs a subcommand".into()));
    };
    let command = command.to_string_lossy().into_owned();
    if command == "-h" || command == "--help" {
        return Err(Failure::Help);
    }
    let Some(&(_, spec)) = GROUP_COMMANDS.iter().find(|(name, _)| *name == command) else {
        return Err(Failure::Usage(format!(
            "unknown group subcommand {command:?}"
        )));
    };
    let p = parse(args.collect(), spec)?;
    let dir = p.required_path("--state").map_err(Failure::Usage)?;
    match command.as_str() {
        "create" => create(&p, &dir),
        "join" => join(&p, &dir),
        _ => {
            let id = p.required_text("--group").map_err(Failure::Usage)?;
            // Every option of these subcommands is required: check them all before touching
            // the state.
            for name in spec.iter().map(|(n, _)| *n) {
                if name != "--state" && name != "--group" && !p.has(name) {
                    return Err(Failure::Usage(format!("{name} is required")));
                }
            }
            let state = State::open(&dir)?;
            let mut group = load(&state, &id)?;
            match command.as_str() {
                "add" => add(&p, &mut group),
                "remove" => remove(&p, &mut group),
                "update" => update(&p, &mut group),
                "send" => send(&p, &mut group),
                "receive" => receive(&p, &mut group),
                _ => {
                    say!("{}", show(&group).trim_end());
                    Ok(())
                }
            }
        }
    }
}

fn create(p: &Parsed, dir: &Path) -> Result<(), Failure> {
    let id = p.required_text("--group").map_err(Failure::Usage)?;
    let new = NewState {
        identity: p.text("--name").map_err(Failure::Usage)?,
        suite: suite(p)?,
    };
    let state = State::open_or_create(dir, &new)?;
    let exists = state
        .client
        .load_group(id.as_bytes())
        .map_err(|e| format!("cannot read group {id:?}: {}", one_line(&e)))?
        .is_some();
    if exists {
        return Err(Failure::Failed(format!(
            "group {id:?} exists already in {}",
            dir.display()
        )));
    }
    let group = state
        .client
        .create_group(id.as_bytes(), now())
        .map_err(|e| format!("cannot create group {id:?}: {}", one_line(&e)))?;
    say!(
        "created group {} (cipher suite {}, epoch {}) with {} at leaf {}",
        text_or_hex(group.id()),
        state.suite.0,
        group.epoch(),
        state.identity,
        group.own_leaf().0
    );
    Ok(())
}

fn join(p: &Parsed, dir: &Path) -> Result<(), Failure> {
    let path = p.required_path("--welcome").map_err(Failure::Usage)?;
    let state = State::open(dir)?;
    let welcome = read_message(&path, "a Welcome", |b| {
        matches!(b, MlsMessageBody::Welcome(_))
    })?;
    let group = state
        .client
        .join(&welcome, None, now())
        .map_err(|e| format!("cannot join from {}: {}", path.display(), one_line(&e)))?;
    say!(
        "joined group {} at epoch {} as leaf {} ({} members)",
        text_or_hex(group.id()),
        group.epoch(),
        group.own_leaf().0,
        group.members().len()
    );
    Ok(())
}

fn add(p: &Parsed, group: &mut ClientGroup) -> Result<(), Failure> {
    let commit_out = p.required_path("--commit-out").map_err(Failure::Usage)?;
    let welcome_out = p.required_path("--welcome-out").map_err(Failure::Usage)?;
    let mut key_packages = Vec::new();
    for path in p.all("--key-package") {
        key_packages.push(read_message(Path::new(path), "a KeyPackage", |b| {
            matches!(b, MlsMessageBody::KeyPackage(_))
        })?);
    }
    let before = group.members();
    let out = group
        .add_members(&key_packages, now())
        .map_err(|e| format!("cannot add: {}", one_line(&e)))?;
    let welcome = out
        .welcome
        .as_ref()
        .ok_or_else(|| "the commit adding members came without a Welcome".to_string())?;
    let written = encode(&out.commit).and_then(|commit| {
        state::write_file(&commit_out, &commit)?;
        state::write_file(&welcome_out, &encode(welcome)?)
    });
    finish_commit(group, written)?;
    let after = group.members();
    let added: Vec<String> = after
        .iter()
        .filter(|m| {
            !before
                .iter()
                .any(|b| b.leaf == m.leaf && b.credential == m.credential)
        })
        .map(describe)
        .collect();
    say!("added {}: now at epoch {}", added.join(", "), group.epoch());
    say!(
        "wrote the commit to {} and the Welcome to {}",
        commit_out.display(),
        welcome_out.display()
    );
    Ok(())
}

fn remove(p: &Parsed, group: &mut ClientGroup) -> Result<(), Failure> {
    let commit_out = p.required_path("--commit-out").map_err(Failure::Usage)?;
    let leaves: Vec<LeafIndex> = p
        .numbers::<u32>("--leaf")
        .map_err(Failure::Usage)?
        .into_iter()
        .map(LeafIndex)
        .collect();
    let before = group.members();
    let mut removed = Vec::new();
    for leaf in &leaves {
        if *leaf == group.own_leaf() {
            return Err(Failure::Failed(format!(
                "leaf {} is our own: a member cannot remove itself by commit",
                leaf.0
            )));
        }
        let member = before
            .iter()
            .find(|m| m.leaf == *leaf)
            .ok_or_else(|| format!("leaf {} is not a member of the group", leaf.0))?;
        removed.push(describe(member));
    }
    let out = group
        .remove_members(&leaves, now())
        .map_err(|e| format!("cannot remove: {}", one_line(&e)))?;
    let written = encode(&out.commit).and_then(|c| state::write_file(&commit_out, &c));
    finish_commit(group, written)?;
    say!(
        "removed {}: now at epoch {}",
        removed.join(", "),
        group.epoch()
    );
    say!("wrote the commit to {}", commit_out.display());
    Ok(())
}

fn update(p: &Parsed, group: &mut ClientGroup) -> Result<(), Failure> {
    let commit_out = p.required_path("--commit-out").map_err(Failure::Usage)?;
    let out = group
        .self_update(now())
        .map_err(|e| format!("cannot update: {}", one_line(&e)))?;
    let written = encode(&out.commit).and_then(|c| state::write_file(&commit_out, &c));
    finish_commit(group, written)?;
    say!(
        "updated our keys (leaf {}): now at epoch {}",
        group.own_leaf().0,
        group.epoch()
    );
    say!("wrote the commit to {}", commit_out.display());
    Ok(())
}

/// Merges our pending commit once its files are `written`; when they are not, drops the commit
/// so that the group stays as it was.
fn finish_commit(group: &mut ClientGroup, written: Result<(), String>) -> Result<(), Failure> {
    if let Err(e) = written {
        // Best effort: the error to report is the write's.
        let _ = group.clear_pending_commit();
        return Err(Failure::Failed(e));
    }
    group
        .merge_pending_commit()
        .map_err(|e| Failure::Failed(format!("cannot merge our commit: {}", one_line(&e))))
}

fn send(p: &Parsed, group: &mut ClientGroup) -> Result<(), Failure> {
    let text = p.required_text("--message").map_err(Failure::Usage)?;
    let out = p.required_path("--out").map_err(Failure::Usage)?;
    let message = group
        .send_message(text.as_bytes())
        .map_err(|e| format!("cannot send: {}", one_line(&e)))?;
    state::write_file(&out, &encode(&message)?)?;
    say!(
        "wrote a message of {} bytes for epoch {} to {}",
        text.len(),
        group.epoch(),
        out.display()
    );
    Ok(())
}

fn receive(p: &Parsed, group: &mut ClientGroup) -> Result<(), Failure> {
    let path = p.required_path("--in").map_err(Failure::Usage)?;
    let message = read_message(&path, "a PublicMessage or PrivateMessage", |b| {
        matches!(
            b,
            MlsMessageBody::PublicMessage(_) | MlsMessageBody::PrivateMessage(_)
        )
    })?;
    let current = group.epoch();
    let received = group.process_message(message, now()).map_err(|e| {
        let why = match &e {
            Error::Delivery(DeliveryError::BufferFull { epoch }) => format!(
                "it is of epoch {epoch}, ahead of the group's {current}: process the commits \
                 before it first"
            ),
            other => one_line(other),
        };
        format!("cannot process {}: {why}", path.display())
    })?;
    match received {
        Received::Application { sender, data, .. } => {
            say!("{}: {}", describe(&sender), String::from_utf8_lossy(&data));
        }
        Received::Commit(staged) => {
            let before = group.members();
            let name = |leaf: LeafIndex| {
                before
                    .iter()
                    .find(|m| m.leaf == leaf)
                    .map_or_else(|| format!("leaf {}", leaf.0), describe)
            };
            let summary = staged.summary();
            let mut report = String::new();
            let committer = staged
                .committer()
                .map_or_else(|| "a new member (external commit)".to_string(), name);
            if summary.removes_us {
                let _ = writeln!(
                    report,
                    "commit from {committer} in epoch {}",
                    staged.from_epoch()
                );
            } else {
                let _ = writeln!(
                    report,
                    "commit from {committer}: epoch {} -> {}",
                    staged.from_epoch(),
                    staged.epoch()
                );
            }
            for (leaf, node) in &summary.added {
                let _ = writeln!(
                    report,
                    "  added {} (leaf {})",
                    identity(&node.credential),
                    leaf.0
                );
            }
            for leaf in &summary.removed {
                let _ = writeln!(report, "  removed {}", name(*leaf));
            }
            for leaf in &summary.updated {
                let _ = writeln!(report, "  updated {}", name(*leaf));
            }
            if !summary.psks.is_empty() {
                let _ = writeln!(report, "  injected {} PSKs", summary.psks.len());
            }
            if summary.extensions_changed {
                let _ = writeln!(report, "  changed the group's extensions");
            }
            if summary.reinit.is_some() {
                let _ = writeln!(report, "  reinitialized the group (ReInit)");
            }
            if summary.removes_us {
                let _ = writeln!(
                    report,
                    "  removed us from the group: it stays stored, inactive"
                );
            }
            group
                .merge_staged(*staged)
                .map_err(|e| format!("cannot merge the commit: {}", one_line(&e)))?;
            say!("{}", report.trim_end());
        }
        Received::Proposal { sender, proposal } => {
            let sender = match sender {
                ProposalSender::Member(m) => describe(&m),
                ProposalSender::External(i) => format!("external sender {i}"),
                ProposalSender::NewMember => "a new member".to_string(),
                _ => "an unknown sender".to_string(),
            };
            say!(
                "{} proposal from {sender}, kept for the next commit",
                proposal_name(&proposal)
            );
        }
        Received::Echo => say!("our own message, echoed back: nothing to do"),
        Received::Held { epoch } => {
            // Not reached: the client holds no message (see `State::open_or_create`).
            return Err(Failure::Failed(format!(
                "cannot process {}: it is of epoch {epoch}, ahead of the group's {current}",
                path.display()
            )));
        }
        _ => say!("nothing to do"),
    }
    Ok(())
}

/// `group show`'s text.
fn show(group: &ClientGroup) -> String {
    let mut out = String::new();
    let suite = group.group().context().cipher_suite;
    let status = match group.status() {
        GroupStatus::Active => "active",
        GroupStatus::Removed => "removed (we are no longer a member)",
        GroupStatus::ReInitPending => "reinit pending",
        _ => "unknown",
    };
    let own = group.own_leaf();
    let members = group.members();
    let _ = writeln!(out, "group: {}", text_or_hex(group.id()));
    let _ = writeln!(out, "epoch: {}", group.epoch());
    let _ = writeln!(
        out,
        "epoch authenticator: {}",
        hex::encode(group.epoch_authenticator())
    );
    let _ = writeln!(
        out,
        "cipher suite: {} ({})",
        suite.0,
        suite.name().unwrap_or("unknown")
    );
    let _ = writeln!(out, "status: {status}");
    let _ = writeln!(out, "members: {}", members.len());
    for m in &members {
        let _ = writeln!(
            out,
            "  leaf {}: {}{}",
            m.leaf.0,
            identity(&m.credential),
            if m.leaf == own { " (us)" } else { "" }
        );
    }
    out
}

/// Loads the group `id` of `state`.
fn load(state: &State, id: &str) -> Result<ClientGroup, Failure> {
    state
        .client
        .load_group(id.as_bytes())
        .map_err(|e| format!("cannot read group {id:?}: {}", one_line(&e)))?
        .ok_or_else(|| {
            Failure::Failed(format!(
                "no group {id:?} in {} (`cohort group create` or `cohort group join` makes one)",
                state.dir.display()
            ))
        })
}

/// Reads the MLSMessage in `path` (raw, hex or base64), which must carry `what`.
fn read_message(
    path: &Path,
    what: &str,
    is_expected: impl Fn(&MlsMessageBody) -> bool,
) -> Result<MlsMessage, Failure> {
    let bytes = input::read(path)
        .and_then(|data| input::object_bytes(&data, input::Encoding::Auto, None))
        .map_err(|e| one_line(&e))?;
    let name = if path == Path::new("-") {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    let message = MlsMessage::from_bytes(&bytes)
        .map_err(|e| format!("{name}: not an MLSMessage: {}", one_line(&e)))?;
    if !is_expected(&message.body) {
        return Err(Failure::Failed(format!(
            "{name}: an MLSMessage, but not {what}"
        )));
    }
    Ok(message)
}

/// The bytes of `message`.
fn encode(message: &MlsMessage) -> Result<Vec<u8>, String> {
    message
        .to_bytes()
        .map_err(|e| format!("cannot encode a message: {e}"))
}

/// A member as `identity (leaf N)`.
fn describe(member: &Member) -> String {
    format!("{} (leaf {})", identity(&member.credential), member.leaf.0)
}

/// A credential's identity: the text of a basic credential's (hex when it is not printable).
fn identity(credential: &Credential) -> String {
    match credential {
        Credential::Basic { identity } => text_or_hex(identity.as_slice()),
        other => format!("({} credential)", other.credential_type().0),
    }
}

/// `bytes` as text when they are printable UTF-8, else as `0x` and hex.
fn text_or_hex(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.is_empty() && !text.chars().any(char::is_control) => text.to_string(),
        _ => format!("0x{}", hex::encode(bytes)),
    }
}

/// A proposal's type, as RFC 9420 names it.
fn proposal_name(proposal: &Proposal) -> &'static str {
    match proposal {
        Proposal::Add(_) => "Add",
        Proposal::Update(_) => "Update",
        Proposal::Remove(_) => "Remove",
        Proposal::PreSharedKey(_) => "PreSharedKey",
        Proposal::ReInit(_) => "ReInit",
        Proposal::ExternalInit(_) => "ExternalInit",
        Proposal::GroupContextExtensions(_) => "GroupContextExtensions",
        Proposal::SelfRemove(_) => "SelfRemove",
        _ => "a custom",
    }
}

/// An error's text on one line.
fn one_line(e: &impl std::fmt::Display) -> String {
    e.to_string().replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_print_as_text_or_hex() {
        assert_eq!(text_or_hex(b"alice"), "alice");
        assert_eq!(text_or_hex(b"a\nb"), "0x610a62");
        assert_eq!(text_or_hex(&[0xff]), "0xff");
        assert_eq!(text_or_hex(b""), "0x");
        assert_eq!(numbered(Path::new("out/kp"), 3), PathBuf::from("out/kp.3"));
    }

    #[test]
    fn every_group_subcommand_takes_state() {
        for (name, spec) in GROUP_COMMANDS {
            assert!(spec.iter().any(|(n, _)| *n == "--state"), "{name}");
        }
    }
}
