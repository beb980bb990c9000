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

/// Drops a secret blob, zeroizing its whole allocation at the speed of `memset`.
///
/// Dropping a [`Zeroizing<Vec<u8>>`](Zeroizing) wipes it too, but the `zeroize` crate wipes a
/// vector's elements one volatile byte write at a time (only its spare capacity in bulk): for a
/// group state of a few hundred kilobytes that costs more than the rest of a store write. Here the
/// length is set to zero first, so the whole allocation is spare capacity and is wiped in bulk
/// (a `memset` the compiler cannot remove), then freed. Stores call it on every state or record
/// they replace or delete, and on the buffers of a write once it is applied.
///
/// # Examples
///
/// ```
/// use cohort_storage::{Zeroizing, discard};
///
/// let blob = Zeroizing::new(vec![0x5a_u8; 4096]);
/// discard(blob);
/// ```
pub fn discard(mut blob: Zeroizing<Vec<u8>>) {
    // The bytes are plain `u8`: clearing runs no destructor and leaves them in place, as spare
    // capacity, for the drop below to wipe in bulk.
    blob.clear();
    drop(blob);
}
