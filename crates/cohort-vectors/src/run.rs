//! Running a vector file: load it as its kind, then check each case.

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;

use cohort_test_vectors::{
    crypto_basics, key_schedule, message_protection, passive_client, psk_secret, secret_tree,
    transcript_hashes, tree_operations, tree_validation, treekem, welcome,
};

use cohort_crypto::{CipherSuite, CryptoProvider, SuiteOps};

use crate::{FileReport, Kind};

mod crypto;
mod deserialization;
mod group;
mod hpke_pq;
pub(crate) mod messages;
mod partial;
mod passive;
mod schedule;
mod tree;
mod tree_math;

/// Runs every case of the file at `path` as vectors of `kind`, recording `backend` for kinds
/// that use crypto.
///
/// This never fails as a whole: a file that cannot be read or is not in `kind`'s format is one
/// failure in the report. Each failure names the file, the case index and the cipher suite.
pub fn run_file(path: &Path, kind: Kind, backend: Option<&str>) -> FileReport {
    let name = path
        .file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned();
    let backend = kind
        .uses_crypto()
        .then(|| backend.or_else(|| crate::built_backends().first().copied()))
        .flatten();
    let mut run = Cases {
        report: FileReport::new(name, backend.map(str::to_owned)),
    };
    match kind {
        Kind::TreeMath => run.load_then(path, tree_math::run),
        Kind::Deserialization => run.load_then(path, deserialization::run),
        Kind::Messages => run.load_then(path, messages::run_messages),
        Kind::PartialMessageSyntax => run.load_then(path, partial::run_message_syntax),
        Kind::HpkePq => {
            // HPKE runs on a backend's HPKE algorithms, not on an MLS cipher suite.
            let Some(algorithms) = backend.and_then(crate::hpke_algorithms) else {
                run.backend_missing(path, backend);
                return run.report;
            };
            run.load_then(
                path,
                |cases: &[cohort_test_vectors::hpke_pq::HpkePq], run| {
                    hpke_pq::run_hpke_pq(cases, run, algorithms)
                },
            );
        }
        Kind::PartialMembershipProofs
        | Kind::PartialSenderAuthenticatedMessages
        | Kind::PartialTreeOperations
        | Kind::PartialAnnotatedWelcome
        | Kind::PartialAnnotatedCommit
        | Kind::PartialPassiveClientScenarios => {
            let Some(provider) = backend.and_then(crate::partial_provider) else {
                run.backend_missing(path, backend);
                return run.report;
            };
            run_crypto_kind(path, kind, &*provider, &mut run);
        }
        _ => {
            let Some(provider) = backend.and_then(crate::provider) else {
                run.backend_missing(path, backend);
                return run.report;
            };
            run_crypto_kind(path, kind, &*provider, &mut run);
        }
    }
    run.report
}

/// Runs a kind that needs a crypto backend.
fn run_crypto_kind(path: &Path, kind: Kind, provider: &dyn CryptoProvider, run: &mut Cases) {
    match kind {
        Kind::CryptoBasics => run.load_then(path, |cases: &[crypto_basics::CryptoBasics], run| {
            crypto::run_crypto_basics(cases, run, provider)
        }),
        Kind::TreeValidation => {
            run.load_then(path, |cases: &[tree_validation::TreeValidation], run| {
                tree::run_tree_validation(cases, run, provider)
            })
        }
        Kind::TreeKem => run.load_then(path, |cases: &[treekem::TreeKem], run| {
            tree::run_treekem(cases, run, provider)
        }),
        Kind::TreeOperations => {
            run.load_then(path, |cases: &[tree_operations::TreeOperations], run| {
                tree::run_tree_operations(cases, run, provider)
            })
        }
        Kind::SecretTree => run.load_then(path, |cases: &[secret_tree::SecretTree], run| {
            schedule::run_secret_tree(cases, run, provider)
        }),
        Kind::MessageProtection => run.load_then(
            path,
            |cases: &[message_protection::MessageProtection], run| {
                group::run_message_protection(cases, run, provider)
            },
        ),
        Kind::KeySchedule => run.load_then(path, |cases: &[key_schedule::KeySchedule], run| {
            schedule::run_key_schedule(cases, run, provider)
        }),
        Kind::PskSecret => run.load_then(path, |cases: &[psk_secret::PskSecret], run| {
            schedule::run_psk_secret(cases, run, provider)
        }),
        Kind::TranscriptHashes => run.load_then(
            path,
            |cases: &[transcript_hashes::TranscriptHashes], run| {
                schedule::run_transcript_hashes(cases, run, provider)
            },
        ),
        Kind::Welcome => run.load_then(path, |cases: &[welcome::Welcome], run| {
            group::run_welcome(cases, run, provider)
        }),
        Kind::PassiveClient => {
            run.load_then(path, |cases: &[passive_client::PassiveClient], run| {
                passive::run_passive_client(cases, run, provider)
            })
        }
        Kind::PartialMembershipProofs => run.load_then(
            path,
            |cases: &[cohort_test_vectors::partial::MembershipProofs], run| {
                partial::run_membership_proofs(cases, run, provider)
            },
        ),
        Kind::PartialSenderAuthenticatedMessages => run.load_then(
            path,
            |cases: &[cohort_test_vectors::partial::SenderAuthenticatedMessages], run| {
                partial::run_sender_authenticated(cases, run, provider)
            },
        ),
        Kind::PartialPassiveClientScenarios => run.load_then(
            path,
            |cases: &[cohort_test_vectors::partial::PassiveClientScenario], run| {
                partial::run_passive_scenarios(cases, run, provider)
            },
        ),
        Kind::PartialAnnotatedWelcome => run.load_then(
            path,
            |cases: &[cohort_test_vectors::partial::AnnotatedWelcome], run| {
                partial::run_annotated_welcome(cases, run, provider)
            },
        ),
        Kind::PartialTreeOperations => run.load_then(
            path,
            |cases: &[cohort_test_vectors::partial::TreeOperations], run| {
                partial::run_tree_operations(cases, run, provider)
            },
        ),
        Kind::PartialAnnotatedCommit => run.load_then(
            path,
            |cases: &[cohort_test_vectors::partial::AnnotatedCommitCase], run| {
                partial::run_annotated_commit(cases, run, provider)
            },
        ),
        Kind::TreeMath
        | Kind::Deserialization
        | Kind::Messages
        | Kind::HpkePq
        | Kind::PartialMessageSyntax => {}
    }
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
    pub(crate) fn unsupported(&mut self) {
        self.report.unsupported += 1;
    }

    /// Records a case skipped because the backend lacks `what`, naming it.
    pub(crate) fn unsupported_because(&mut self, case: usize, what: impl fmt::Display) {
        self.report.unsupported += 1;
        self.report.unsupported_details.push(format!(
            "{} case {case}: unsupported: {what}",
            self.report.name
        ));
    }

    /// The operations of suite `cs` on `provider`; records the case as unsupported when the
    /// provider lacks it.
    pub(crate) fn suite(
        &mut self,
        provider: &dyn CryptoProvider,
        cs: u16,
    ) -> Option<std::sync::Arc<dyn SuiteOps>> {
        let ops = provider.suite(CipherSuite(cs));
        if ops.is_none() {
            self.unsupported();
        }
        ops
    }

    /// Records one case's result.
    pub(crate) fn record(&mut self, case: usize, cs: Option<u16>, result: Result<(), String>) {
        match result {
            Ok(()) => self.pass(),
            Err(what) => self.fail(case, cs, what),
        }
    }

    /// Records that a crypto kind could not run because its backend is not built in: one
    /// failure, so the file can never pass silently.
    fn backend_missing(&mut self, path: &Path, backend: Option<&str>) {
        self.report.failed += 1;
        self.report.failures.push(format!(
            "{}: backend {} is not built into this runner (built: {})",
            path.display(),
            backend.unwrap_or("(none)"),
            crate::built_backends().join(", ")
        ));
    }
}
