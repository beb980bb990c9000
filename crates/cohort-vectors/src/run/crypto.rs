//! `crypto-basics`: the labelled helpers, through the conformance kit's per-case entry point.

use cohort_conformance::crypto::{Outcome, run_crypto_basics as check};
use cohort_crypto::CryptoProvider;
use cohort_test_vectors::crypto_basics::CryptoBasics;

use crate::run::Cases;

pub(crate) fn run_crypto_basics(
    cases: &[CryptoBasics],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
) {
    for (index, case) in cases.iter().enumerate() {
        match check(provider, case) {
            Outcome::Passed => run.pass(),
            Outcome::Unsupported => run.unsupported(),
            Outcome::Failed(why) => run.fail(index, Some(case.cipher_suite), why),
            other => run.fail(index, Some(case.cipher_suite), other),
        }
    }
}
