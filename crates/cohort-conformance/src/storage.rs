//! The storage conformance suite: the [`GroupWrite`] atomicity contract and the read/write
//! semantics of every storage trait, against any [`StorageProvider`].
//!
//! [`run`] performs, each as a named [`Check`]:
//!
//! | Check | What it proves |
//! |---|---|
//! | `group/missing-is-none` | an unknown group or epoch reads as `None`, not an error; deleting one is not an error |
//! | `group/state-round-trip` | a written state reads back byte for byte with its epoch, an empty blob included, and a later write replaces it |
//! | `group/ids-are-exact` | ids that are prefixes of each other, or hold zero bytes, never collide |
//! | `group/epochs-insert-delete` | epoch records are inserted, replaced and deleted; inserts apply before deletes |
//! | `group/write-without-state` | a write with no state changes the records and leaves the state as it was |
//! | `group/key-packages-consumed` | consumed key packages are deleted by the same write; unlisted ones stay |
//! | `group/rejected-write-changes-nothing` | a write that fails ([`StorageErrorKind::GroupNotFound`]) leaves no trace |
//! | `group/delete-removes-epochs` | deleting a group removes its records, which never come back |
//! | `group/ids-listed` | `group_ids` lists each group written with a state once, in ascending byte order; not one whose write was refused, nor one deleted |
//! | `group/large-blobs` | a 4 MiB state and a 2 MiB record survive intact |
//! | `group/concurrent-reads-see-whole-writes` | readers racing a writer never see a write half applied |
//! | `key-package/round-trip` | insert, read, replace, delete |
//! | `key-package/refs-listed` | `key_package_refs` lists each inserted KeyPackage once, in ascending byte order; not one deleted or consumed by a write, but still one a refused write listed, and a last-resort one (never consumed) |
//! | `psk/round-trip` | insert, read, replace, delete |
//!
//! The checks use group ids, key-package refs and PSK ids under the prefix
//! `cohort-conformance/`, delete them first and again when they pass, and leave other data
//! alone, so the suite also runs on a store that is in use. A panic inside the store is caught
//! and reported as a failure.
//!
//! [`FailingStore`] wraps a store and fails chosen writes (and, on demand, listings), for
//! testing what the layers above do when storage fails.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use cohort_storage::{GroupWrite, StorageErrorKind, StorageProvider};

mod checks;
mod concurrent;
mod failing;

pub use failing::{FailingStore, InjectedFault, InjectedListingFault};

/// The result of one check.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The check passed.
    Passed,
    /// The check failed; the message says what went wrong (never stored values).
    Failed(String),
}

impl Outcome {
    /// Whether this is [`Outcome::Failed`].
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failed(_))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Passed => f.write_str("passed"),
            Self::Failed(why) => write!(f, "FAILED: {why}"),
        }
    }
}

/// One named check.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct Check {
    /// The check's name, for example `"group/large-blobs"`.
    pub name: &'static str,
    /// What happened.
    pub outcome: Outcome,
}

/// The results of [`run`].
#[non_exhaustive]
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every check, in the order it ran.
    pub checks: Vec<Check>,
}

impl Report {
    /// The number of passed checks.
    pub fn passed(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| c.outcome == Outcome::Passed)
            .count()
    }

    /// The failed checks.
    pub fn failures(&self) -> Vec<&Check> {
        self.checks
            .iter()
            .filter(|c| c.outcome.is_failure())
            .collect()
    }

    /// Whether no check failed and at least one passed.
    pub fn is_success(&self) -> bool {
        self.failures().is_empty() && self.passed() > 0
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            writeln!(f, "{}: {}", c.name, c.outcome)?;
        }
        write!(
            f,
            "storage conformance: {} passed, {} failed",
            self.passed(),
            self.failures().len()
        )
    }
}

/// Runs every check against `store`.
///
/// # Examples
///
/// ```
/// # use cohort_storage::{GroupStore, KeyPackageStore, PskStore, StorageProvider};
/// # use cohort_storage::{GroupWrite, StorageError, StorageErrorKind, StoredGroup, Zeroizing};
/// # #[derive(Debug)]
/// # struct Broken;
/// # impl GroupStore for Broken {
/// #     fn read_state(&self, _: &[u8]) -> Result<Option<StoredGroup>, StorageError> { Err(StorageErrorKind::Backend.into()) }
/// #     fn write(&self, _: GroupWrite) -> Result<(), StorageError> { Err(StorageErrorKind::Backend.into()) }
/// #     fn read_epoch(&self, _: &[u8], _: u64) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> { Err(StorageErrorKind::Backend.into()) }
/// #     fn delete_group(&self, _: &[u8]) -> Result<(), StorageError> { Err(StorageErrorKind::Backend.into()) }
/// #     fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError> { Err(StorageErrorKind::Backend.into()) }
/// # }
/// # impl KeyPackageStore for Broken {
/// #     fn insert_key_package(&self, _: &[u8], _: Zeroizing<Vec<u8>>) -> Result<(), StorageError> { Err(StorageErrorKind::Backend.into()) }
/// #     fn key_package(&self, _: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> { Err(StorageErrorKind::Backend.into()) }
/// #     fn delete_key_package(&self, _: &[u8]) -> Result<(), StorageError> { Err(StorageErrorKind::Backend.into()) }
/// #     fn key_package_refs(&self) -> Result<Vec<Vec<u8>>, StorageError> { Err(StorageErrorKind::Backend.into()) }
/// # }
/// # impl PskStore for Broken {
/// #     fn insert_psk(&self, _: &[u8], _: Zeroizing<Vec<u8>>) -> Result<(), StorageError> { Err(StorageErrorKind::Backend.into()) }
/// #     fn psk(&self, _: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> { Err(StorageErrorKind::Backend.into()) }
/// #     fn delete_psk(&self, _: &[u8]) -> Result<(), StorageError> { Err(StorageErrorKind::Backend.into()) }
/// # }
/// /// Certifies a backend: panics with the full report if any check fails.
/// fn certify(store: &dyn StorageProvider) {
///     let report = cohort_conformance::storage::run(store);
///     assert!(report.is_success(), "{report}");
/// }
/// # let _ = certify;
/// // A store whose every call fails fails every check, with a reason.
/// let report = cohort_conformance::storage::run(&Broken);
/// assert_eq!(report.failures().len(), report.checks.len());
/// ```
pub fn run(store: &dyn StorageProvider) -> Report {
    let mut report = Report::default();
    for &(name, check) in checks::CHECKS.iter().chain(concurrent::CHECKS) {
        let outcome = match guarded(|| check(store)) {
            Ok(()) => Outcome::Passed,
            Err(why) => Outcome::Failed(why),
        };
        report.checks.push(Check { name, outcome });
    }
    report
}

/// A check's body: `Ok` passed, `Err` failed with a reason.
type CheckFn = fn(&dyn StorageProvider) -> Result<(), String>;

/// The namespaced key of `what` in check `check`.
fn key(check: &str, what: &str) -> Vec<u8> {
    format!("cohort-conformance/{check}/{what}").into_bytes()
}

/// A recognisable blob of `len` bytes derived from `seed`, so a mixed-up or torn value shows.
fn blob(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

fn ensure(cond: bool, what: impl Into<String>) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what.into()) }
}

/// Formats a storage error for a failure message: what was being done, then the kind.
fn err(what: &str) -> impl Fn(cohort_storage::StorageError) -> String + '_ {
    move |e| format!("{what}: {e} ({:?})", e.kind())
}

/// Writes `write`, expecting success.
fn write_ok(store: &dyn StorageProvider, write: GroupWrite, what: &str) -> Result<(), String> {
    store.write(write).map_err(err(what))
}

/// Whether `e` is of `kind`.
fn is_kind(e: &cohort_storage::StorageError, kind: StorageErrorKind) -> bool {
    e.kind() == kind
}

/// Runs `f`, turning a panic into an error message.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(format!("panicked: {msg}"))
        }
    }
}

#[cfg(test)]
mod tests;
