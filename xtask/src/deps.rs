//! `cargo xtask deps`: checks the workspace's dependency rules (STYLE.md §1) with
//! `cargo metadata`.
//!
//! 1. Protocol and trait crates never depend, in normal dependencies, on a concrete crypto or
//!    storage backend (dev-dependencies may, for tests).
//! 2. Backends never depend on one another, on protocol crates or on the facade.
//! 3. Nothing depends on the facade `cohort` except the examples, the harnesses that must
//!    drive what applications run (the interop suite, the gRPC interop client, bench-peers, the
//!    network simulation `cohort-sim`), and the command-line tool `cohort-cli`, whose
//!    `keypackage` and `group` commands run a client as an application does.
//!
//! It prints one line per violation and a last line `N checked, N violations`; the exit status is
//! non-zero when any rule is broken.

use std::process::{Command, ExitCode};

use serde::Deserialize;

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    workspace_members: Vec<String>,
}

#[derive(Deserialize)]
struct Package {
    id: String,
    name: String,
    dependencies: Vec<Dependency>,
}

#[derive(Deserialize)]
struct Dependency {
    name: String,
    kind: Option<String>,
}

const BACKENDS: [&str; 4] = [
    "cohort-crypto-rustcrypto",
    "cohort-crypto-ring",
    "cohort-crypto-aws-lc",
    "cohort-storage-memory",
];

const PROTOCOL: [&str; 9] = [
    "cohort-codec",
    "cohort-crypto",
    "cohort-crypto-hpke",
    "cohort-credential",
    "cohort-tree",
    "cohort-key-schedule",
    "cohort-messages",
    "cohort-storage",
    "cohort-group",
];

/// Runs the check.
pub(crate) fn main() -> ExitCode {
    let output = match Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
    {
        Ok(o) if o.status.success() => o.stdout,
        Ok(o) => {
            eprintln!(
                "error: cargo metadata failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("error: cannot run cargo metadata: {e}");
            return ExitCode::from(2);
        }
    };
    let metadata: Metadata = match serde_json::from_slice(&output) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: cannot read cargo metadata: {e}");
            return ExitCode::from(2);
        }
    };
    let mut checked = 0usize;
    let mut violations = Vec::new();
    for package in metadata
        .packages
        .iter()
        .filter(|p| metadata.workspace_members.contains(&p.id))
    {
        for dep in package.dependencies.iter().filter(|d| d.kind.is_none()) {
            checked += 1;
            if let Some(rule) = broken_rule(&package.name, &dep.name) {
                violations.push(format!("{} -> {}: {rule}", package.name, dep.name));
            }
        }
    }
    for v in &violations {
        println!("{v}");
    }
    println!("{checked} checked, {} violations", violations.len());
    if violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The rule that `from -> to` (a normal dependency) breaks, if any.
fn broken_rule(from: &str, to: &str) -> Option<&'static str> {
    if PROTOCOL.contains(&from) && BACKENDS.contains(&to) {
        return Some("a protocol crate names a concrete backend");
    }
    if BACKENDS.contains(&from)
        && (BACKENDS.contains(&to)
            || (PROTOCOL.contains(&to) && !is_backend_base(to))
            || to == "cohort")
    {
        return Some("a backend depends on another backend, a protocol crate or the facade");
    }
    if to == "cohort" && !FACADE_USERS.contains(&from) {
        return Some("only the examples, the harnesses and the CLI may depend on the facade");
    }
    None
}

/// The crates that may depend on the facade: the examples, the harnesses, which test and race
/// the API applications use, and the command-line tool, whose `keypackage` and `group` commands
/// run a client as an application would.
const FACADE_USERS: [&str; 6] = [
    "cohort-cli",
    "cohort-examples",
    "cohort-interop",
    "cohort-interop-client",
    "cohort-bench-peers",
    "cohort-sim",
];

/// Crates a backend may build on: the traits it implements and the codec they use.
fn is_backend_base(name: &str) -> bool {
    matches!(
        name,
        "cohort-crypto" | "cohort-crypto-hpke" | "cohort-codec" | "cohort-storage"
    )
}

#[cfg(test)]
mod tests {
    use super::broken_rule;

    #[test]
    fn rules_catch_each_kind_of_violation() {
        assert!(broken_rule("cohort-group", "cohort-crypto-rustcrypto").is_some());
        assert!(broken_rule("cohort-crypto-ring", "cohort-crypto-aws-lc").is_some());
        assert!(broken_rule("cohort-crypto-ring", "cohort-tree").is_some());
        assert!(broken_rule("cohort-tree", "cohort").is_some());
        assert!(broken_rule("cohort-crypto-ring", "cohort-crypto-hpke").is_none());
        assert!(broken_rule("cohort", "cohort-crypto-aws-lc").is_none());
        assert!(broken_rule("cohort-examples", "cohort").is_none());
        assert!(broken_rule("cohort-interop", "cohort").is_none());
        assert!(broken_rule("cohort-sim", "cohort").is_none());
        assert!(broken_rule("cohort-cli", "cohort").is_none());
        assert!(broken_rule("cohort-group", "cohort").is_some());
        assert!(broken_rule("cohort-storage-memory", "cohort-storage").is_none());
    }
}
