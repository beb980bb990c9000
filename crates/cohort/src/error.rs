//! The facade's error: the group layer's categories plus storage.

use cohort_codec::CodecError;
use cohort_crypto::CryptoError;
use cohort_storage::StorageError;

/// Everything that can go wrong through the `cohort` facade.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that does not decode.
    #[error("malformed input: {0}")]
    Malformed(CodecError),
    /// Input that failed a check; caused by a peer, never by the caller.
    #[error("rejected by validation: {0}")]
    Invalid(cohort_group::ValidationError),
    /// A message that came too late, too early or twice for the group to process it
    /// (nobody's fault: the network's); nothing changed.
    #[error("not deliverable: {0}")]
    Delivery(crate::delivery::DeliveryError),
    /// The API was used wrongly.
    #[error("API misuse: {0}")]
    Misuse(&'static str),
    /// The group layer reports a misuse (for example no pending commit).
    #[error("API misuse: {0}")]
    GroupMisuse(cohort_group::ApiMisuse),
    /// The crypto provider failed on our own operation.
    #[error("crypto provider: {0}")]
    Crypto(CryptoError),
    /// The storage backend failed; the group in memory is unchanged since the last write.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// A bug in cohort.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl From<cohort_group::Error> for Error {
    fn from(e: cohort_group::Error) -> Self {
        match e {
            cohort_group::Error::Malformed(c) => Self::Malformed(c),
            cohort_group::Error::Invalid(v) => Self::Invalid(v),
            cohort_group::Error::Misuse(m) => Self::GroupMisuse(m),
            cohort_group::Error::Crypto(c) => Self::Crypto(c),
            cohort_group::Error::Internal(i) => Self::Internal(i),
            _ => Self::Internal("unknown group error"),
        }
    }
}

impl From<CryptoError> for Error {
    /// A failure of our own crypto provider (never a peer's invalid message).
    fn from(e: CryptoError) -> Self {
        Self::Crypto(e)
    }
}

impl From<CodecError> for Error {
    fn from(e: CodecError) -> Self {
        Self::Malformed(e)
    }
}
