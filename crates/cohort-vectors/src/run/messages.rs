//! `messages`: every struct in `messages.json` decodes and re-encodes to the same bytes.

use cohort_messages::internal::fuzzing::{Target, decode_and_reencode};
use cohort_test_vectors::messages::Messages;

use crate::run::Cases;

/// Runs `messages.json`: a case passes when all seventeen of its encodings round-trip.
pub(crate) fn run_messages(cases: &[Messages], run: &mut Cases) {
    for (index, case) in cases.iter().enumerate() {
        run.record(index, None, check(case));
    }
}

fn check(case: &Messages) -> Result<(), String> {
    for (field, bytes) in case.fields() {
        let target = Target::for_messages_field(field)
            .ok_or_else(|| format!("{field}: no struct is known for this field"))?;
        let again = decode_and_reencode(target, bytes).map_err(|e| format!("{field}: {e}"))?;
        if again != bytes {
            return Err(format!("{field}: re-encoding differs from the input"));
        }
    }
    Ok(())
}
