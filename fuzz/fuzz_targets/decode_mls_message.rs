//! Decodes arbitrary bytes as a `MlsMessage`: no panic, and anything accepted re-encodes to its input.
#![no_main]

use cohort_messages::internal::fuzzing::{Target, fuzz_decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_decode(Target::MlsMessage, data));
