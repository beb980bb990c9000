//! In-process interop between cohort and the published `mls-rs` and `openmls` crates.
//!
//! Each implementation is driven through the [`Member`] trait, which speaks only TLS-serialized
//! `MLSMessage` bytes, so every cell of the matrix tests the wire format and the protocol, not
//! shared Rust types. [`matrix::run`] plays every scenario of
//! `shared/interop/test-scenarios.md` that this suite implements, with every peer, in both
//! roles and every common cipher suite; `cargo xtask interop` prints the result.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod cohort_member;
pub mod matrix;
pub mod member;
pub mod mls_rs_member;
pub mod openmls_member;
pub mod scenario;

pub use member::{CommitBytes, Error, Implementation, Incoming, Member, MemberOptions};
pub use scenario::Scenario;
