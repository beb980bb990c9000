#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod der;
mod error;
mod pool;
mod provider;
mod scheme;
mod signer;
mod token;

/// The `cryptoki` crate this backend is built on, for its mechanism and return-code types.
pub use cryptoki;
pub use error::Pkcs11Error;
pub use provider::Pkcs11Provider;
pub use signer::{KeyAttributes, Pkcs11Signer};
pub use token::{KeySelector, Pkcs11Token, SlotSelector, TokenConfig};
