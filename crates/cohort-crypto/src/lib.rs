#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(rustdoc::broken_intra_doc_links)]

mod suite;
mod types;

pub use suite::CipherSuite;
pub use types::{HpkeCiphertext, HpkePublicKey, SignaturePublicKey};
