//! A throw-away SoftHSM2 token per test.
//!
//! SoftHSM2 reads its configuration (`SOFTHSM2_CONF`) once, when the process loads it, and a
//! PKCS#11 module is initialized once per process. So each test runs twice: the first run (the
//! parent) makes a temporary folder with a `softhsm2.conf` and a token initialized by
//! `softhsm2-util --init-token --free`, then runs this one test again in a child process with
//! `SOFTHSM2_CONF` pointing there; the second run (the child) gets the token and does the work.
//! The parent checks that the child ran exactly this test and that it passed.
//!
//! Without a PKCS#11 module (no SoftHSM2 installed, `COHORT_PKCS11_MODULE` not set), each test
//! writes `SKIPPED <name>: ...` straight to the terminal (past the test harness's capture) and
//! returns; when `CI` or `COHORT_PKCS11_REQUIRED` is set, it fails instead.

#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use cohort_crypto_pkcs11::{Pkcs11Token, SlotSelector, TokenConfig};

/// The user PIN of every test token.
pub(crate) const PIN: &str = "4321";
/// The security officer PIN of every test token.
const SO_PIN: &str = "87654321";
/// The label of every test token.
pub(crate) const LABEL: &str = "cohort-test";

/// Where SoftHSM2's module is on the usual systems (Debian and Ubuntu first).
const MODULE_PATHS: [&str; 6] = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
];

const CHILD_VAR: &str = "COHORT_PKCS11_CHILD";
const MODULE_VAR: &str = "COHORT_PKCS11_MODULE";

/// The test's token, in the child process.
pub(crate) struct Env {
    /// The PKCS#11 module.
    pub module: PathBuf,
}

impl Env {
    /// The config that opens the test token.
    pub(crate) fn config(&self) -> TokenConfig {
        TokenConfig::new(&self.module, SlotSelector::TokenLabel(LABEL.into()), PIN)
    }

    /// Opens the test token.
    pub(crate) fn open(&self) -> Pkcs11Token {
        Pkcs11Token::open(self.config()).expect("open the test token")
    }
}

/// In the parent: runs test `name` in a child with a fresh token and returns `None`. In the
/// child: returns the token's environment.
pub(crate) fn token(name: &str) -> Option<Env> {
    run_with(name, "ALL".to_owned())
}

/// As [`token`], with the mechanisms named in `disabled` (`"CKM_EDDSA"`, ...) taken away from
/// the token through SoftHSM2's `slots.mechanisms`.
pub(crate) fn token_without(name: &str, disabled: &[&str]) -> Option<Env> {
    // SoftHSM2 2.6.1 reads the first name of a negative list together with its minus sign and
    // ignores it as unknown: a placeholder goes first.
    run_with(name, format!("-CKM_IGNORED,{}", disabled.join(",")))
}

fn run_with(name: &str, mechanisms: String) -> Option<Env> {
    if std::env::var(CHILD_VAR).as_deref() == Ok(name) {
        let module = std::env::var_os(MODULE_VAR).expect("the parent sets the module path");
        return Some(Env {
            module: module.into(),
        });
    }
    let Some(module) = find_module() else {
        skip(
            name,
            "no PKCS#11 module (install softhsm2 or set COHORT_PKCS11_MODULE)",
        );
        return None;
    };
    if Command::new("softhsm2-util")
        .arg("--version")
        .output()
        .is_err()
    {
        skip(name, "softhsm2-util is not on PATH");
        return None;
    }
    let dir = TempDir::new(name);
    let tokens = dir.path().join("tokens");
    std::fs::create_dir_all(&tokens).expect("create the token folder");
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n\
             slots.removable = false\nslots.mechanisms = {mechanisms}\n",
            tokens.display()
        ),
    )
    .expect("write softhsm2.conf");
    let init = Command::new("softhsm2-util")
        .env("SOFTHSM2_CONF", &conf)
        .args(["--init-token", "--free", "--label", LABEL])
        .args(["--pin", PIN, "--so-pin", SO_PIN])
        .output()
        .expect("run softhsm2-util");
    assert!(
        init.status.success(),
        "softhsm2-util --init-token failed: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let exe = std::env::current_exe().expect("the test binary's path");
    let child = Command::new(exe)
        .env("SOFTHSM2_CONF", &conf)
        .env(CHILD_VAR, name)
        .env(MODULE_VAR, &module)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .output()
        .expect("run the test in a child process");
    let stdout = String::from_utf8_lossy(&child.stdout);
    let stderr = String::from_utf8_lossy(&child.stderr);
    // Shown by the harness when the test fails, or with --nocapture.
    println!("--- child stdout ---\n{stdout}\n--- child stderr ---\n{stderr}");
    // A part of the test the child skipped is reported where it is seen.
    for line in stdout.lines().chain(stderr.lines()) {
        if line.starts_with("SKIPPED ") {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }
    assert!(
        child.status.success(),
        "{name} failed on the SoftHSM2 token"
    );
    assert!(
        stdout.contains("test result: ok. 1 passed"),
        "the child did not run exactly {name}"
    );
    None
}

/// Reports a skipped test where it is seen, or fails when the environment demands the module.
fn skip(name: &str, why: &str) {
    let required = ["CI", "COHORT_PKCS11_REQUIRED"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| !v.is_empty() && v != "false" && v != "0"));
    assert!(
        !required,
        "{name}: {why}, but CI or COHORT_PKCS11_REQUIRED demands it"
    );
    // Straight to the process's stderr: the harness captures print! and eprint!, not this.
    let _ = writeln!(std::io::stderr(), "SKIPPED {name}: {why}");
}

/// The module named by `COHORT_PKCS11_MODULE`, or SoftHSM2's in a usual place.
fn find_module() -> Option<PathBuf> {
    if let Some(m) = std::env::var_os(MODULE_VAR) {
        let m = PathBuf::from(m);
        return m.exists().then_some(m);
    }
    MODULE_PATHS.iter().map(PathBuf::from).find(|p| p.exists())
}

/// A temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!(
            "cohort-pkcs11-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).expect("create a temporary folder");
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
