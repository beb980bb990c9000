//! The one error type of the storage boundary.

use core::error::Error as StdError;
use core::fmt;

/// What kind of storage failure happened.
///
/// Callers branch on the kind; the optional [`StorageError`] source carries the backend's own
/// error (an I/O error, a database error) for logs and downcasting.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageErrorKind {
    /// The backend failed: I/O, the database, the network, a full disk, an injected fault.
    ///
    /// The source says why. A [`GroupStore::write`](crate::GroupStore::write) that fails with
    /// this kind has changed nothing, so the operation may be retried.
    Backend,
    /// A lock guarding the store was poisoned by a panic in another thread.
    ///
    /// The store refuses to go on rather than guess whether the data behind the lock is whole.
    Poisoned,
    /// Stored data is unreadable or inconsistent (a truncated record, a checksum mismatch).
    Corrupt,
    /// A [`GroupWrite`](crate::GroupWrite) without a new state named a group that is not
    /// stored. Such a write only makes sense for a group that exists (it advances a stored
    /// group's past-epoch records), so the store rejects it and changes nothing.
    GroupNotFound,
    /// The store was written by a newer version of its backend, whose format this version
    /// cannot read. Upgrade the software rather than the data.
    UnsupportedVersion,
}

impl fmt::Display for StorageErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Backend => f.write_str("storage backend failure"),
            Self::Poisoned => f.write_str("storage lock poisoned by a panic"),
            Self::Corrupt => f.write_str("stored data is corrupt"),
            Self::GroupNotFound => f.write_str("group not found in storage"),
            Self::UnsupportedVersion => {
                f.write_str("storage was written by a newer, unsupported version")
            }
        }
    }
}

/// A storage failure: a [`StorageErrorKind`] and, optionally, the backend error behind it.
///
/// `source()` returns the boxed backend error, so callers can downcast it to the backend's own
/// type (for example `std::io::Error` or a database error).
///
/// # Security
/// Neither the kind nor (by contract for implementors) the source carries stored values: state
/// blobs, epoch secrets, key-package private keys and PSKs never appear in an error.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct StorageError {
    kind: StorageErrorKind,
    #[source]
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl StorageError {
    /// An error of `kind` with no source.
    pub fn new(kind: StorageErrorKind) -> Self {
        Self { kind, source: None }
    }

    /// An error of `kind` caused by `source`.
    pub fn with_source(
        kind: StorageErrorKind,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            kind,
            source: Some(source.into()),
        }
    }

    /// A [`StorageErrorKind::Backend`] error caused by `source`.
    pub fn backend(source: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Self {
        Self::with_source(StorageErrorKind::Backend, source)
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> StorageErrorKind {
        self.kind
    }
}

impl From<StorageErrorKind> for StorageError {
    fn from(kind: StorageErrorKind) -> Self {
        Self::new(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("disk on fire")]
    struct DiskError;

    #[test]
    fn source_is_wired_and_downcasts() {
        let e = StorageError::backend(DiskError);
        assert_eq!(e.kind(), StorageErrorKind::Backend);
        assert!(
            e.source()
                .and_then(|s| s.downcast_ref::<DiskError>())
                .is_some()
        );
        assert_eq!(e.to_string(), "storage backend failure");
        assert!(
            StorageError::from(StorageErrorKind::Corrupt)
                .source()
                .is_none()
        );
    }

    #[test]
    fn io_errors_downcast() {
        let e = StorageError::backend(std::io::Error::other("no space"));
        let io = e.source().and_then(|s| s.downcast_ref::<std::io::Error>());
        assert_eq!(io.map(|e| e.kind()), Some(std::io::ErrorKind::Other));
    }
}
