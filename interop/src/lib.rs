#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod cohort_member;
pub mod matrix;
pub mod member;
pub mod mls_rs_member;
pub mod openmls_member;
pub mod scenario;

pub use member::{
    CommitBytes, Error, Implementation, Incoming, Member, MemberOptions, OPENMLS_PQ_SUITES,
};
pub use scenario::Scenario;
