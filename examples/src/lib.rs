//! The examples of cohort, and the compiled code of its documentation.
//!
//! This library exists for its doctests: it includes the repository's README below, so that
//! `cargo test -p cohort-examples --doc` (and `cargo test --workspace`) compiles and runs the
//! README's Rust example. The runnable examples are this package's `[[example]]` targets, and
//! the code the book (`docs/`) shows lives in them and in this package's tests.
#![doc = include_str!("../../README.md")]
#![forbid(unsafe_code)]
