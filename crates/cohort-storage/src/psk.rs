//! External pre-shared keys: [`PskStore`].

use core::fmt;

use zeroize::Zeroizing;

use crate::StorageError;

/// External pre-shared keys
/// ([RFC 9420 §8.4](https://www.rfc-editor.org/rfc/rfc9420#section-8.4)), keyed by PSK id.
///
/// The application inserts the PSKs it shares out of band; the library reads them when a commit
/// or a Welcome references one by id. Resumption PSKs are not here: they are derived per epoch
/// and kept in the group's epoch records ([`GroupStore::read_epoch`](crate::GroupStore)).
///
/// # Implementing
///
/// Values are opaque secrets; zeroize your copies when you drop them.
///
/// # Invariants the library relies on
///
/// - [`insert_psk`](Self::insert_psk) replaces any value under the same id.
/// - [`psk`](Self::psk) returns `Ok(None)` for an unknown id, never an error; the library then
///   rejects the message that referenced it.
/// - [`delete_psk`](Self::delete_psk) of an unknown id is not an error.
///
/// # Examples
///
/// A store that serves one fixed PSK and refuses changes, for a deployment where PSKs are
/// provisioned elsewhere.
///
/// ```
/// use cohort_storage::{PskStore, StorageError, StorageErrorKind};
/// use cohort_storage::Zeroizing;
///
/// #[derive(Debug)]
/// struct Provisioned;
///
/// impl PskStore for Provisioned {
///     fn insert_psk(&self, _: &[u8], _: Zeroizing<Vec<u8>>) -> Result<(), StorageError> {
///         Err(StorageErrorKind::Backend.into())
///     }
///
///     fn psk(&self, psk_id: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
///         Ok((psk_id == b"ops-team").then(|| Zeroizing::new(vec![7; 32])))
///     }
///
///     fn delete_psk(&self, _: &[u8]) -> Result<(), StorageError> {
///         Err(StorageErrorKind::Backend.into())
///     }
/// }
///
/// assert!(Provisioned.psk(b"ops-team")?.is_some());
/// assert!(Provisioned.psk(b"other")?.is_none());
/// # Ok::<(), StorageError>(())
/// ```
pub trait PskStore: Send + Sync + fmt::Debug {
    /// Stores `psk` under `psk_id`, replacing any previous value.
    ///
    /// # Errors
    /// A [`StorageError`] if the backend fails; nothing is stored then.
    fn insert_psk(&self, psk_id: &[u8], psk: Zeroizing<Vec<u8>>) -> Result<(), StorageError>;

    /// The PSK stored under `psk_id`, or `None`.
    ///
    /// # Errors
    /// A [`StorageError`] if the backend fails; never for an unknown id.
    fn psk(&self, psk_id: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError>;

    /// Deletes the PSK stored under `psk_id`, if any.
    ///
    /// # Errors
    /// A [`StorageError`] if the backend fails; never for an unknown id.
    fn delete_psk(&self, psk_id: &[u8]) -> Result<(), StorageError>;
}
