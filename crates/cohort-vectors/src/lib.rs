#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod cli;
mod discover;
pub mod generate;
mod kind;
mod report;
mod run;

pub use discover::{VectorFile, discover};
pub use kind::{Kind, UnknownKind};
pub use report::FileReport;
pub use run::run_file;

mod backends;

pub use backends::{BACKENDS, built_backends, hpke_algorithms, partial_provider, provider};
