//! The asynchronous form of the storage traits, for stores reached over the network.
//!
//! Each trait mirrors its synchronous twin method for method, with the same contract (the
//! [atomicity contract](crate::GroupWrite#atomicity-contract) included). Every synchronous store
//! is also an asynchronous one through a blanket impl, so the facade's async API accepts both;
//! the protocol code is the same either way, because it never calls storage itself.
//!
//! The blanket impl runs the synchronous call inline, inside the future. That is right for
//! in-memory stores and quick local ones; a store that blocks for long should implement the
//! async trait itself (and move its blocking work to a thread its runtime provides).
//!
//! The async methods have the same names as the sync ones. A type that implements a sync trait
//! also implements its async twin, so with both traits in scope a call such as `store.write(w)`
//! is ambiguous: import only the form you use, or call through the trait
//! (`GroupStore::write(&store, w)`).

use core::fmt;

use async_trait::async_trait;
use zeroize::Zeroizing;

use crate::GroupStore;
use crate::GroupWrite;
use crate::KeyPackageStore;
use crate::PskStore;
use crate::StorageError;
use crate::StoredGroup;

/// The asynchronous form of [`GroupStore`], with the same contract.
///
/// Implement it (with [`#[async_trait]`](macro@async_trait)) for a store whose calls are
/// naturally asynchronous; a type that implements [`GroupStore`] already has it.
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
///
/// use cohort_storage::{AsyncGroupStore, GroupStore, GroupWrite, StorageError};
///
/// /// Whatever the store, the async facade drives it the same way.
/// async fn epoch_of(
///     store: &dyn AsyncGroupStore,
///     group_id: &[u8],
/// ) -> Result<Option<u64>, StorageError> {
///     Ok(store.read_state(group_id).await?.map(|s| s.epoch))
/// }
///
/// # #[derive(Debug)]
/// # struct Empty;
/// # impl GroupStore for Empty {
/// #     fn read_state(&self, _: &[u8]) -> Result<Option<cohort_storage::StoredGroup>, StorageError> { Ok(None) }
/// #     fn write(&self, _: GroupWrite) -> Result<(), StorageError> { Ok(()) }
/// #     fn read_epoch(&self, _: &[u8], _: u64) -> Result<Option<cohort_storage::Zeroizing<Vec<u8>>>, StorageError> { Ok(None) }
/// #     fn delete_group(&self, _: &[u8]) -> Result<(), StorageError> { Ok(()) }
/// #     fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError> { Ok(Vec::new()) }
/// # }
/// // `Empty` implements only the synchronous `GroupStore`: it is usable here as is.
/// let mut fut = pin!(epoch_of(&Empty, b"g"));
/// let Poll::Ready(epoch) = fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) else {
///     unreachable!("a synchronous store is always ready")
/// };
/// assert_eq!(epoch?, None);
/// # Ok::<(), StorageError>(())
/// ```
#[async_trait]
pub trait AsyncGroupStore: Send + Sync + fmt::Debug {
    /// See [`GroupStore::read_state`].
    ///
    /// # Errors
    /// As [`GroupStore::read_state`].
    async fn read_state(&self, group_id: &[u8]) -> Result<Option<StoredGroup>, StorageError>;

    /// See [`GroupStore::write`]; the same atomicity contract holds, and a future dropped
    /// before completion must leave the store either unchanged or fully written.
    ///
    /// # Errors
    /// As [`GroupStore::write`].
    async fn write(&self, write: GroupWrite) -> Result<(), StorageError>;

    /// See [`GroupStore::read_epoch`].
    ///
    /// # Errors
    /// As [`GroupStore::read_epoch`].
    async fn read_epoch(
        &self,
        group_id: &[u8],
        epoch: u64,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError>;

    /// See [`GroupStore::delete_group`].
    ///
    /// # Errors
    /// As [`GroupStore::delete_group`].
    async fn delete_group(&self, group_id: &[u8]) -> Result<(), StorageError>;

    /// See [`GroupStore::group_ids`]: the ids of every group with a state, each once, in
    /// ascending byte order.
    ///
    /// # Errors
    /// As [`GroupStore::group_ids`].
    async fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError>;
}

/// The asynchronous form of [`KeyPackageStore`], with the same contract.
///
/// A type that implements [`KeyPackageStore`] already has it.
#[async_trait]
pub trait AsyncKeyPackageStore: Send + Sync + fmt::Debug {
    /// See [`KeyPackageStore::insert_key_package`].
    ///
    /// # Errors
    /// As [`KeyPackageStore::insert_key_package`].
    async fn insert_key_package(
        &self,
        key_package_ref: &[u8],
        private: Zeroizing<Vec<u8>>,
    ) -> Result<(), StorageError>;

    /// See [`KeyPackageStore::key_package`].
    ///
    /// # Errors
    /// As [`KeyPackageStore::key_package`].
    async fn key_package(
        &self,
        key_package_ref: &[u8],
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError>;

    /// See [`KeyPackageStore::delete_key_package`].
    ///
    /// # Errors
    /// As [`KeyPackageStore::delete_key_package`].
    async fn delete_key_package(&self, key_package_ref: &[u8]) -> Result<(), StorageError>;

    /// See [`KeyPackageStore::key_package_refs`]: the refs of every stored KeyPackage record,
    /// each once, in ascending byte order.
    ///
    /// # Errors
    /// As [`KeyPackageStore::key_package_refs`].
    async fn key_package_refs(&self) -> Result<Vec<Vec<u8>>, StorageError>;
}

/// The asynchronous form of [`PskStore`], with the same contract.
///
/// A type that implements [`PskStore`] already has it.
///
/// # Examples
///
/// A PSK service reached over the network implements the async trait directly:
///
/// ```
/// use async_trait::async_trait;
/// use cohort_storage::{AsyncPskStore, StorageError};
/// use cohort_storage::Zeroizing;
///
/// # #[derive(Debug)]
/// # struct Client;
/// # impl Client {
/// #     async fn fetch(&self, _: &[u8]) -> Result<Option<Vec<u8>>, std::io::Error> { Ok(None) }
/// # }
/// #[derive(Debug)]
/// struct RemotePsks {
///     client: Client,
/// }
///
/// #[async_trait]
/// impl AsyncPskStore for RemotePsks {
///     async fn insert_psk(&self, _: &[u8], _: Zeroizing<Vec<u8>>) -> Result<(), StorageError> {
///         Err(StorageError::backend("the PSK service is read-only"))
///     }
///
///     async fn psk(&self, psk_id: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
///         let psk = self.client.fetch(psk_id).await.map_err(StorageError::backend)?;
///         Ok(psk.map(Zeroizing::new))
///     }
///
///     async fn delete_psk(&self, _: &[u8]) -> Result<(), StorageError> {
///         Err(StorageError::backend("the PSK service is read-only"))
///     }
/// }
/// ```
#[async_trait]
pub trait AsyncPskStore: Send + Sync + fmt::Debug {
    /// See [`PskStore::insert_psk`].
    ///
    /// # Errors
    /// As [`PskStore::insert_psk`].
    async fn insert_psk(&self, psk_id: &[u8], psk: Zeroizing<Vec<u8>>) -> Result<(), StorageError>;

    /// See [`PskStore::psk`].
    ///
    /// # Errors
    /// As [`PskStore::psk`].
    async fn psk(&self, psk_id: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError>;

    /// See [`PskStore::delete_psk`].
    ///
    /// # Errors
    /// As [`PskStore::delete_psk`].
    async fn delete_psk(&self, psk_id: &[u8]) -> Result<(), StorageError>;
}

/// The asynchronous form of [`StorageProvider`](crate::StorageProvider): the three async traits
/// on one object, held by the async facade as `Arc<dyn AsyncStorageProvider>`.
///
/// Every [`StorageProvider`](crate::StorageProvider) is one, and so is any type that implements
/// the three async traits.
pub trait AsyncStorageProvider: AsyncGroupStore + AsyncKeyPackageStore + AsyncPskStore {}

impl<T: AsyncGroupStore + AsyncKeyPackageStore + AsyncPskStore + ?Sized> AsyncStorageProvider
    for T
{
}

#[async_trait]
impl<T: GroupStore + ?Sized> AsyncGroupStore for T {
    async fn read_state(&self, group_id: &[u8]) -> Result<Option<StoredGroup>, StorageError> {
        GroupStore::read_state(self, group_id)
    }

    async fn write(&self, write: GroupWrite) -> Result<(), StorageError> {
        GroupStore::write(self, write)
    }

    async fn read_epoch(
        &self,
        group_id: &[u8],
        epoch: u64,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
        GroupStore::read_epoch(self, group_id, epoch)
    }

    async fn delete_group(&self, group_id: &[u8]) -> Result<(), StorageError> {
        GroupStore::delete_group(self, group_id)
    }

    async fn group_ids(&self) -> Result<Vec<Vec<u8>>, StorageError> {
        GroupStore::group_ids(self)
    }
}

#[async_trait]
impl<T: KeyPackageStore + ?Sized> AsyncKeyPackageStore for T {
    async fn insert_key_package(
        &self,
        key_package_ref: &[u8],
        private: Zeroizing<Vec<u8>>,
    ) -> Result<(), StorageError> {
        KeyPackageStore::insert_key_package(self, key_package_ref, private)
    }

    async fn key_package(
        &self,
        key_package_ref: &[u8],
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
        KeyPackageStore::key_package(self, key_package_ref)
    }

    async fn delete_key_package(&self, key_package_ref: &[u8]) -> Result<(), StorageError> {
        KeyPackageStore::delete_key_package(self, key_package_ref)
    }

    async fn key_package_refs(&self) -> Result<Vec<Vec<u8>>, StorageError> {
        KeyPackageStore::key_package_refs(self)
    }
}

#[async_trait]
impl<T: PskStore + ?Sized> AsyncPskStore for T {
    async fn insert_psk(&self, psk_id: &[u8], psk: Zeroizing<Vec<u8>>) -> Result<(), StorageError> {
        PskStore::insert_psk(self, psk_id, psk)
    }

    async fn psk(&self, psk_id: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
        PskStore::psk(self, psk_id)
    }

    async fn delete_psk(&self, psk_id: &[u8]) -> Result<(), StorageError> {
        PskStore::delete_psk(self, psk_id)
    }
}
