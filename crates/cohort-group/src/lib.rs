#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![deny(rustdoc::broken_intra_doc_links)]

mod error;
pub mod framing;
pub mod join;

pub use error::{ApiMisuse, Error, ValidationError};
