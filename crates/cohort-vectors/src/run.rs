//! Running a vector file: load it as its kind, then check each case.

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;

use cohort_test_vectors::{
    crypto_basics, key_schedule, message_protection, passive_client, psk_secret, secret_tree,
    transcript_hashes, tree_operations, tree_validation, treekem, welcome,
};

use crate::{FileReport, Kind};

mod deserialization;
pub(crate) mod messages;
mod tree_math;

/// Runs every case of the file at `path` as vectors of `kind`, recording `backend` for kinds
/// that use crypto.
///
/// This never fails as a whole: a file that cannot be read or is not in `kind`'s format is one
/// failure in the report, and a kind that is not implemented yet reports
/// [`FileReport::not_implemented`] with every case failed. Each failure names the file, the case
/// index and the cipher suite.
pub fn run_file(path: &Path, kind: Kind, backend: Option<&str>) -> FileReport {
    let name = path
        .file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned();
    let backend = backend.filter(|_| kind.uses_crypto()).map(str::to_owned);
    let mut run = Cases {
        report: FileReport::new(name, backend),
    };
    match kind {
        Kind::TreeMath => run.load_then(path, tree_math::run),
        Kind::Deserialization => run.load_then(path, deserialization::run),
        Kind::Messages => run.load_then(path, messages::run_messages),
        Kind::CryptoBasics => run.load_then(path, |cases: &[crypto_basics::CryptoBasics], run| {
            run.not_implemented(
                cases.len(),
                "the labelled helpers of cohort-crypto and a backend",
            )
        }),
        Kind::SecretTree => run.load_then(path, |cases: &[secret_tree::SecretTree], run| {
            run.not_implemented(cases.len(), "the secret tree of cohort-key-schedule")
        }),
        Kind::MessageProtection => run.load_then(
            path,
            |cases: &[message_protection::MessageProtection], run| {
                run.not_implemented(cases.len(), "message protection in cohort-group")
            },
        ),
        Kind::KeySchedule => run.load_then(path, |cases: &[key_schedule::KeySchedule], run| {
            run.not_implemented(cases.len(), "the epoch key schedule of cohort-key-schedule")
        }),
        Kind::PskSecret => run.load_then(path, |cases: &[psk_secret::PskSecret], run| {
            run.not_implemented(cases.len(), "PSK chaining in cohort-key-schedule")
        }),
        Kind::TranscriptHashes => run.load_then(
            path,
            |cases: &[transcript_hashes::TranscriptHashes], run| {
                run.not_implemented(cases.len(), "transcript hashes in cohort-key-schedule")
            },
        ),
        Kind::Welcome => run.load_then(path, |cases: &[welcome::Welcome], run| {
            run.not_implemented(cases.len(), "Welcome processing in cohort-group")
        }),
        Kind::TreeOperations => {
            run.load_then(path, |cases: &[tree_operations::TreeOperations], run| {
                run.not_implemented(cases.len(), "tree operations and tree hash in cohort-tree")
            })
        }
        Kind::TreeValidation => {
            run.load_then(path, |cases: &[tree_validation::TreeValidation], run| {
                run.not_implemented(cases.len(), "tree validation in cohort-tree")
            })
        }
        Kind::TreeKem => run.load_then(path, |cases: &[treekem::TreeKem], run| {
            run.not_implemented(cases.len(), "TreeKEM in cohort-tree")
        }),
        Kind::PassiveClient => {
            run.load_then(path, |cases: &[passive_client::PassiveClient], run| {
                run.not_implemented(cases.len(), "joining and commit processing in cohort-group")
            })
        }
    }
    run.report
}

/// The report being filled while a file's cases run.
pub(crate) struct Cases {
    report: FileReport,
}

impl Cases {
    /// Loads the file as `T` cases and hands them to `check`, or records the load failure.
    fn load_then<T: DeserializeOwned>(&mut self, path: &Path, check: impl FnOnce(&[T], &mut Self)) {
        match cohort_test_vectors::load_file::<T>(path) {
            Ok(cases) => check(&cases, self),
            Err(err) => {
                self.report.failed += 1;
                self.report
                    .failures
                    .push(format!("{}: {err}", self.report.name));
            }
        }
    }

    /// Records a passing case.
    pub(crate) fn pass(&mut self) {
        self.report.passed += 1;
    }

    /// Records a failing case: its index, its cipher suite (`None` for kinds without one) and
    /// what went wrong.
    pub(crate) fn fail(&mut self, case: usize, cipher_suite: Option<u16>, what: impl fmt::Display) {
        self.report.failed += 1;
        let suite = match cipher_suite {
            Some(suite) => format!("cipher suite {suite}"),
            None => "no cipher suite".to_owned(),
        };
        self.report.failures.push(format!(
            "{} case {case} ({suite}): {what}",
            self.report.name
        ));
    }

    /// Records a case skipped because the backend lacks its cipher suite.
    #[allow(dead_code, reason = "used once the crypto kinds are implemented")]
    pub(crate) fn unsupported(&mut self) {
        self.report.unsupported += 1;
    }

    /// Records that the kind is not implemented yet: all `n_cases` cases fail, and `needs` says
    /// which layer is missing.
    pub(crate) fn not_implemented(&mut self, n_cases: usize, needs: &str) {
        self.report.not_implemented = true;
        self.report.failed += n_cases;
        self.report.failures.push(format!(
            "{}: not implemented yet (needs {needs})",
            self.report.name
        ));
    }
}
