//! Feeds the same forged messages to cohort and mls-rs and compares what they do: see
//! `cohort_fuzz::differential`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cohort_fuzz::differential::run(data));
