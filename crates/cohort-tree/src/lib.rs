#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod extension;
pub mod leaf;
pub mod math;
pub mod node;
pub mod path;
