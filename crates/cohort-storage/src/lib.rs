#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod asynchronous;
mod error;
mod group;
mod key_package;
mod provider;
mod psk;

pub use asynchronous::{
    AsyncGroupStore, AsyncKeyPackageStore, AsyncPskStore, AsyncStorageProvider,
};
pub use error::{StorageError, StorageErrorKind};
pub use group::{EpochRecord, GroupStore, GroupWrite, StoredGroup};
pub use key_package::KeyPackageStore;
pub use provider::StorageProvider;
pub use psk::PskStore;
pub use zeroize::Zeroizing;
