//! [`StorageProvider`], the one object the facade holds, and forwarding impls for pointers.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::GroupStore;
use crate::GroupWrite;
use crate::KeyPackageStore;
use crate::PskStore;
use crate::StorageError;
use crate::StoredGroup;

/// A complete storage backend: [`GroupStore`] + [`KeyPackageStore`] + [`PskStore`] on one
/// object.
///
/// The three live together because a [`GroupWrite`] deletes consumed key packages atomically
/// with the group state. Every type that implements the three traits is a `StorageProvider`
/// (there is nothing else to implement), and the facade holds one as
/// `Arc<dyn StorageProvider>`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// use cohort_storage::{GroupWrite, StorageError, StorageProvider};
///
/// /// Load, operate, write: the facade's loop, reduced to its storage calls.
/// fn bump(store: &dyn StorageProvider, group_id: &[u8]) -> Result<(), StorageError> {
///     let Some(current) = store.read_state(group_id)? else {
///         return Ok(());
///     };
///     let next = current.epoch + 1;
///     store.write(
///         GroupWrite::new(group_id)
///             .with_state(next, current.state.to_vec())
///             .insert_epoch(current.epoch, b"past-epoch secrets".to_vec()),
///     )
/// }
/// # let _ = bump;
/// ```
pub trait StorageProvider: GroupStore + KeyPackageStore + PskStore {}

impl<T: GroupStore + KeyPackageStore + PskStore + ?Sized> StorageProvider for T {}

/// Forwards the three storage traits through a smart pointer or reference.
macro_rules! forward {
    ($($ptr:ty),*) => {$(
        impl<T: GroupStore + ?Sized> GroupStore for $ptr {
            fn read_state(&self, group_id: &[u8]) -> Result<Option<StoredGroup>, StorageError> {
                (**self).read_state(group_id)
            }

            fn write(&self, write: GroupWrite) -> Result<(), StorageError> {
                (**self).write(write)
            }

            fn read_epoch(
                &self,
                group_id: &[u8],
                epoch: u64,
            ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
                (**self).read_epoch(group_id, epoch)
            }

            fn delete_group(&self, group_id: &[u8]) -> Result<(), StorageError> {
                (**self).delete_group(group_id)
            }

            fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError> {
                (**self).group_ids()
            }
        }

        impl<T: KeyPackageStore + ?Sized> KeyPackageStore for $ptr {
            fn insert_key_package(
                &self,
                key_package_ref: &[u8],
                private: Zeroizing<Vec<u8>>,
            ) -> Result<(), StorageError> {
                (**self).insert_key_package(key_package_ref, private)
            }

            fn key_package(
                &self,
                key_package_ref: &[u8],
            ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
                (**self).key_package(key_package_ref)
            }

            fn delete_key_package(&self, key_package_ref: &[u8]) -> Result<(), StorageError> {
                (**self).delete_key_package(key_package_ref)
            }

            fn key_package_refs(&self) -> Result<Vec<Vec<u8>>, StorageError> {
                (**self).key_package_refs()
            }
        }

        impl<T: PskStore + ?Sized> PskStore for $ptr {
            fn insert_psk(
                &self,
                psk_id: &[u8],
                psk: Zeroizing<Vec<u8>>,
            ) -> Result<(), StorageError> {
                (**self).insert_psk(psk_id, psk)
            }

            fn psk(&self, psk_id: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
                (**self).psk(psk_id)
            }

            fn delete_psk(&self, psk_id: &[u8]) -> Result<(), StorageError> {
                (**self).delete_psk(psk_id)
            }
        }
    )*};
}

forward!(&T, Box<T>, Arc<T>);
