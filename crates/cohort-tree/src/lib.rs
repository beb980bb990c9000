#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod changes;
mod chunked;
mod error;
pub mod extension;
pub mod hash;
pub mod leaf;
pub mod math;
pub mod membership;
pub mod node;
pub mod partial;
pub mod path;
pub mod tree;
pub mod treekem;

pub use error::TreeError;
pub use tree::RatchetTree;
