//! The harnesses behind the stateful and differential fuzz targets, in a library so that
//! `cargo test` (in `fuzz/`) runs them on fixed scripts without libFuzzer.

pub mod differential;
pub mod provider;
pub mod stateful;
