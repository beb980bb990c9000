//! Our own KeyPackages' private material: [`KeyPackageStore`].

use core::fmt;

use zeroize::Zeroizing;

use crate::StorageError;

/// The private material of the KeyPackages we published, keyed by KeyPackageRef.
///
/// When we create a KeyPackage, the library stores its private material (the init key, the
/// leaf's encryption key, and whatever else it needs to join) under the KeyPackage's ref. When a
/// Welcome arrives, it reads the material back. When the join is stored, the ref is listed in
/// [`GroupWrite::consumed_key_packages`](crate::GroupWrite::consumed_key_packages) and deleted
/// **in the same atomic write** as the new group, unless the KeyPackage is last-resort
/// ([RFC 9420 §16.8](https://www.rfc-editor.org/rfc/rfc9420#section-16.8)), which the library
/// keeps by not listing it.
///
/// # Implementing
///
/// Implement this on the same type as [`GroupStore`](crate::GroupStore), over the same
/// underlying storage, because a group write deletes key packages atomically with the state.
/// Values are opaque; zeroize your copies when you drop them.
///
/// # Invariants the library relies on
///
/// - [`insert_key_package`](Self::insert_key_package) replaces any value under the same ref.
/// - [`key_package`](Self::key_package) returns `Ok(None)` for an unknown ref, never an error.
/// - [`delete_key_package`](Self::delete_key_package) of an unknown ref is not an error.
/// - A ref deleted, directly or through a group write, never comes back.
/// - [`key_package_refs`](Self::key_package_refs) lists exactly the refs stored: inserted and
///   not yet deleted, directly or as consumed by a group write (so a last-resort KeyPackage,
///   never consumed, stays listed until it is deleted).
///
/// # Examples
///
/// Overriding one piece: a wrapper that counts how many key packages were inserted and forwards
/// everything to an inner store.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// use cohort_storage::{KeyPackageStore, StorageError};
/// use cohort_storage::Zeroizing;
///
/// #[derive(Debug)]
/// struct Counting<S> {
///     inner: S,
///     inserted: AtomicUsize,
/// }
///
/// impl<S: KeyPackageStore> KeyPackageStore for Counting<S> {
///     fn insert_key_package(
///         &self,
///         key_package_ref: &[u8],
///         private: Zeroizing<Vec<u8>>,
///     ) -> Result<(), StorageError> {
///         self.inner.insert_key_package(key_package_ref, private)?;
///         self.inserted.fetch_add(1, Ordering::Relaxed);
///         Ok(())
///     }
///
///     fn key_package(
///         &self,
///         key_package_ref: &[u8],
///     ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
///         self.inner.key_package(key_package_ref)
///     }
///
///     fn delete_key_package(&self, key_package_ref: &[u8]) -> Result<(), StorageError> {
///         self.inner.delete_key_package(key_package_ref)
///     }
///
///     fn key_package_refs(&self) -> Result<Vec<Vec<u8>>, StorageError> {
///         self.inner.key_package_refs()
///     }
/// }
/// ```
pub trait KeyPackageStore: Send + Sync + fmt::Debug {
    /// Stores `private` under `key_package_ref`, replacing any previous value.
    ///
    /// # Errors
    /// A [`StorageError`] if the backend fails; nothing is stored then.
    fn insert_key_package(
        &self,
        key_package_ref: &[u8],
        private: Zeroizing<Vec<u8>>,
    ) -> Result<(), StorageError>;

    /// The private material stored under `key_package_ref`, or `None`.
    ///
    /// # Errors
    /// A [`StorageError`] if the backend fails; never for an unknown ref.
    fn key_package(
        &self,
        key_package_ref: &[u8],
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError>;

    /// Deletes the private material stored under `key_package_ref`, if any.
    ///
    /// # Errors
    /// A [`StorageError`] if the backend fails; never for an unknown ref.
    fn delete_key_package(&self, key_package_ref: &[u8]) -> Result<(), StorageError>;

    /// The refs of every stored KeyPackage record, each once and in ascending byte order (the
    /// order of `Ord` for `[u8]`: byte by byte, unsigned, a proper prefix before the longer
    /// ref). Empty for an empty store.
    ///
    /// A ref is listed from its [`insert_key_package`](Self::insert_key_package) until it is
    /// deleted, by [`delete_key_package`](Self::delete_key_package) or as one of a successful
    /// group write's
    /// [`consumed_key_packages`](crate::GroupWrite::consumed_key_packages); a last-resort
    /// KeyPackage, which a join does not consume, stays listed. The facade uses this to
    /// enumerate, and to delete, a client's KeyPackages. Only refs are returned, never the
    /// private material.
    ///
    /// # Errors
    /// A [`StorageError`] if the backend fails; never for an empty store.
    fn key_package_refs(&self) -> Result<Vec<Vec<u8>>, StorageError>;
}
