#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod error;
pub mod labeled;
mod provider;
mod secret;
mod suite;
mod types;

pub use error::{CryptoError, CryptoErrorKind};
pub use provider::{
    CryptoProvider, Decapsulator, PreparedSigningKey, Signer, SoftwareHpkeKey, SoftwareSigner,
    SuiteOps,
};
pub use secret::{HpkePrivateKey, Secret, SignaturePrivateKey};
pub use suite::{CipherSuite, HpkeSuite, PqCodePoints, PqSeedDerivation, SignatureScheme};
pub use types::{HpkeCiphertext, HpkePublicKey, SignaturePublicKey};
