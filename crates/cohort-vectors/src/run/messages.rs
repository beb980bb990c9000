//! `messages`: every struct in `messages.json` decodes and re-encodes to the same bytes.
//!
//! Kept apart for the lead engineer to write against the wire structs of cohort-messages.
//! `cohort_messages::internal::fuzzing` already maps each field of the file to its struct
//! (`Target::for_messages_field`) and round-trips bytes (`decode_and_reencode`), and
//! `Messages::fields` walks a case's seventeen encodings. Until then the whole file reports not
//! implemented.

use cohort_test_vectors::messages::Messages;

use crate::run::Cases;

/// Runs `messages.json`. For now: not implemented, every case failed.
pub(crate) fn run_messages(cases: &[Messages], run: &mut Cases) {
    run.not_implemented(cases.len(), "the messages round trip over cohort-messages");
}
