#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod algorithms;
mod composed;
#[cfg(feature = "ed25519-batch")]
pub mod ed25519_batch;
pub mod hkdf;
mod hpke;
mod kem;
pub mod keys;
mod labels;
#[cfg(feature = "pq")]
pub mod pq;
mod primitives;
pub mod x25519;

pub use algorithms::{HpkeAlgorithms, MissingAlgorithm, aead_name, kdf_name, kem_name, run_hpke};
pub use composed::{ComposedSuite, HashFunction, Primitives, SignatureAlgorithm};
pub use hpke::{Context, Hpke, HpkeKdf};
pub use kem::{Dhkem, Kem};
pub use labels::{kem_suite_id, labeled_derive};
pub use primitives::{Aead, DeriveMethod, DhGroup, Kdf, OneStageKdf};
