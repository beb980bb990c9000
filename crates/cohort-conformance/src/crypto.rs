//! The crypto conformance suite: every check we have, against any [`CryptoProvider`].
//!
//! For each suite the provider serves, [`run`] performs:
//! - the `crypto-basics` known answers of the official vectors ([`run_crypto_basics`]);
//! - round trips of every primitive and labeled operation;
//! - HPKE cross-checks in both directions against the `hpke` crate, an independent
//!   implementation, for the KEMs it has (X25519, P-256, P-384, P-521): sealing and the secret
//!   exporter;
//! - negative cases: wrong keys, tampered and truncated ciphertexts, tags and signatures,
//!   invalid public keys (all-zero and small-order X25519/X448 points, off-curve NIST points),
//!   non-canonical EdDSA signatures. Each must be an error, never a panic. The HPKE exporter,
//!   which authenticates nothing, must instead give another secret for a wrong key, other info
//!   or a tampered but well-formed `enc`, and an error for a malformed one.
//!
//! A panic inside the provider is caught and reported as a failure.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use cohort_crypto::{CipherSuite, CryptoProvider, SignatureScheme, SuiteOps};
use cohort_test_vectors::crypto_basics::CryptoBasics;

mod basics;
mod failing;
mod negative;
mod oracle;
mod roundtrip;

pub use failing::{CryptoFaults, FailingProvider, InjectedCryptoFault};

/// The result of one check.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The check passed.
    Passed,
    /// The check failed; the message says what went wrong (never key material).
    Failed(String),
    /// The check does not apply: the provider lacks the suite, or the oracle lacks its KEM.
    Unsupported,
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
            Self::Unsupported => f.write_str("unsupported"),
        }
    }
}

/// One named check on one suite.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct Check {
    /// The suite the check ran on.
    pub suite: CipherSuite,
    /// The check's name, for example `"hpke/oracle-to-provider"`.
    pub name: String,
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

    /// The number of checks that did not apply.
    pub fn unsupported(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| c.outcome == Outcome::Unsupported)
            .count()
    }

    /// The number of passed checks on `suite`.
    pub fn passed_on(&self, suite: CipherSuite) -> usize {
        self.checks
            .iter()
            .filter(|c| c.suite == suite && c.outcome == Outcome::Passed)
            .count()
    }

    /// Whether no check failed and at least one passed.
    pub fn is_success(&self) -> bool {
        self.failures().is_empty() && self.passed() > 0
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            writeln!(f, "0x{:04x} {}: {}", c.suite.0, c.name, c.outcome)?;
        }
        write!(
            f,
            "conformance: {} passed, {} failed, {} unsupported",
            self.passed(),
            self.failures().len(),
            self.unsupported()
        )
    }
}

/// The official `crypto-basics` vectors, built into the kit so that it runs wherever a vendor
/// depends on it (a test checks that they are the project's copy, byte for byte).
pub const CRYPTO_BASICS_JSON: &str = include_str!("../vectors/crypto-basics.json");

/// Runs every check on every suite `provider` claims, plus the consistency of the claim itself.
///
/// The `crypto-basics` known answers are [`CRYPTO_BASICS_JSON`], built in.
pub fn run(provider: &dyn CryptoProvider) -> Report {
    let mut report = Report::default();
    let vectors = serde_json::from_str::<Vec<CryptoBasics>>(CRYPTO_BASICS_JSON);
    for &cs in provider.cipher_suites() {
        let Some(ops) = guarded(|| Ok(provider.suite(cs))).ok().flatten() else {
            report.push(
                cs,
                "provider/suite-claimed",
                Outcome::Failed(format!(
                    "cipher_suites() lists {cs} but suite() returns None"
                )),
            );
            continue;
        };
        report.push(cs, "provider/suite-claimed", check_ops_identity(&*ops, cs));
        match &vectors {
            Ok(cases) => match cases.iter().find(|c| c.cipher_suite == cs.0) {
                Some(case) => report.push(cs, "crypto-basics", run_crypto_basics(provider, case)),
                None => report.push(cs, "crypto-basics", Outcome::Unsupported),
            },
            Err(e) => report.push(cs, "crypto-basics", Outcome::Failed(e.to_string())),
        }
        run_suite_checks(&ops, &mut report);
    }
    for cs in CipherSuite::ALL {
        if !provider.cipher_suites().contains(&cs) {
            let outcome = match guarded(|| Ok(provider.suite(cs))) {
                Ok(None) => Outcome::Passed,
                Ok(Some(_)) => {
                    Outcome::Failed(format!("suite() serves {cs} but cipher_suites() omits it"))
                }
                Err(e) => Outcome::Failed(e),
            };
            report.push(cs, "provider/unclaimed-is-none", outcome);
        }
    }
    report
}

/// The checks that assume DHKEM keys and encodings: they flip a byte of a "point" (for X-Wing,
/// of the X25519 half, where every 32-byte string is a key; for ML-KEM, of a ciphertext, which
/// ML-KEM's implicit rejection answers with a pseudorandom secret rather than an error), or
/// offer all-zero and all-0xff private keys (valid ML-KEM and hybrid seeds).
const DH_ONLY_CHECKS: [&str; 3] = [
    "negative/hpke-export-malformed",
    "negative/kem-invalid-public-keys",
    "negative/kem-invalid-private-keys",
];

/// The check that assumes ECDSA or EdDSA private keys (all-zero and all-0xff are valid ML-DSA
/// seeds).
const ECDSA_EDDSA_ONLY_CHECKS: [&str; 1] = ["negative/signature-invalid-private-keys"];

/// As [`run`], for a provider that serves the post-quantum suites of
/// draft-ietf-mls-pq-ciphersuites ([`CipherSuite::PQ_DRAFT`]): on those suites, the checks that
/// assume DHKEM, ECDSA or EdDSA keys do not apply and are reported unsupported, whatever they
/// gave. The post-quantum algorithms' own negative cases are the backend's to test (and their
/// known answers are the HPKE-PQ vectors').
pub fn run_pq(provider: &dyn CryptoProvider) -> Report {
    let mut report = run(provider);
    for check in &mut report.checks {
        let Some(scheme) = CipherSuite::PQ_DRAFT
            .contains(&check.suite)
            .then(|| check.suite.signature_scheme())
            .flatten()
        else {
            continue;
        };
        let name = check.name.as_str();
        let ml_dsa = [
            SignatureScheme::MLDSA44,
            SignatureScheme::MLDSA65,
            SignatureScheme::MLDSA87,
        ]
        .contains(&scheme);
        if DH_ONLY_CHECKS.contains(&name) || (ml_dsa && ECDSA_EDDSA_ONLY_CHECKS.contains(&name)) {
            check.outcome = Outcome::Unsupported;
        }
    }
    report
}

/// Runs the checks of one suite (round trips, oracle cross-checks, negative cases) but not the
/// known answers.
pub fn run_suite(ops: &Arc<dyn SuiteOps>) -> Report {
    let mut report = Report::default();
    run_suite_checks(ops, &mut report);
    report
}

/// Runs one `crypto-basics` case: [`Outcome::Unsupported`] when the provider lacks its suite.
///
/// This is the per-case entry point of the vector runner.
pub fn run_crypto_basics(provider: &dyn CryptoProvider, case: &CryptoBasics) -> Outcome {
    let cs = CipherSuite(case.cipher_suite);
    let ops = match guarded(|| Ok(provider.suite(cs))) {
        Ok(Some(ops)) => ops,
        Ok(None) => return Outcome::Unsupported,
        Err(e) => return Outcome::Failed(e),
    };
    to_outcome(guarded(|| basics::check(&ops, case)))
}

impl Report {
    fn push(&mut self, suite: CipherSuite, name: &str, outcome: Outcome) {
        self.checks.push(Check {
            suite,
            name: name.to_owned(),
            outcome,
        });
    }
}

/// A check's body: `Ok(true)` passed, `Ok(false)` does not apply, `Err` failed.
type CheckFn = fn(&Arc<dyn SuiteOps>) -> Result<bool, String>;

fn run_suite_checks(ops: &Arc<dyn SuiteOps>, report: &mut Report) {
    let cs = ops.cipher_suite();
    let checks: Vec<(&str, CheckFn)> = roundtrip::CHECKS
        .iter()
        .chain(oracle::CHECKS)
        .chain(negative::CHECKS)
        .copied()
        .collect();
    for (name, check) in checks {
        let outcome = match guarded(|| check(ops)) {
            Ok(true) => Outcome::Passed,
            Ok(false) => Outcome::Unsupported,
            Err(e) => Outcome::Failed(e),
        };
        report.push(cs, name, outcome);
    }
}

fn check_ops_identity(ops: &dyn SuiteOps, cs: CipherSuite) -> Outcome {
    if ops.cipher_suite() != cs {
        return Outcome::Failed(format!(
            "suite({cs}) returned operations for {}",
            ops.cipher_suite()
        ));
    }
    if Some(ops.signature_scheme()) != cs.signature_scheme() {
        return Outcome::Failed("wrong signature scheme".into());
    }
    Outcome::Passed
}

fn to_outcome(r: Result<(), String>) -> Outcome {
    match r {
        Ok(()) => Outcome::Passed,
        Err(e) => Outcome::Failed(e),
    }
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
