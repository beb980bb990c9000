//! Drives a small cohort group through a script of operations with forged, re-signed messages
//! in flight: see `cohort_fuzz::stateful`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cohort_fuzz::stateful::run(data));
