//! The key schedule's error type.

use cohort_codec::CodecError;
use cohort_crypto::CryptoError;

/// What went wrong in the key schedule or the secret tree.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum KeyScheduleError {
    /// draft-ietf-mls-extensions "Exported Secrets": the component's exported secret of this
    /// epoch was exported already, and the key material it came from deleted.
    #[error("component {0:#06x}'s exported secret was already consumed")]
    ComponentSecretConsumed(u16),
    /// RFC 9420 §9.2: the key of this generation was already used (or its message replayed),
    /// and has been deleted.
    #[error("generation {generation} of leaf {leaf} was already consumed")]
    GenerationConsumed {
        /// The sender's leaf.
        leaf: u32,
        /// The generation.
        generation: u32,
    },
    /// RFC 9420 §9.2: a generation further behind the ratchet than its out-of-order window
    /// ([`RatchetConfig::out_of_order_tolerance`](crate::RatchetConfig)): its key is gone,
    /// whether it was used or dropped from the window.
    #[error("generation {generation} of leaf {leaf} is older than the window ending at {current}")]
    GenerationTooOld {
        /// The sender's leaf.
        leaf: u32,
        /// The generation asked for.
        generation: u32,
        /// The ratchet's next generation.
        current: u32,
    },
    /// A generation more than the configured forward distance ahead of the ratchet.
    #[error("generation {generation} of leaf {leaf} is too far ahead of {current}")]
    GenerationTooFarAhead {
        /// The sender's leaf.
        leaf: u32,
        /// The generation asked for.
        generation: u32,
        /// The ratchet's next generation.
        current: u32,
    },
    /// A leaf outside the secret tree.
    #[error("leaf {0} is outside the secret tree")]
    LeafOutOfRange(u32),
    /// The ratchet has reached the last generation a `uint32` can name.
    #[error("the ratchet of leaf {0} is exhausted")]
    RatchetExhausted(u32),
    /// A length does not fit the KDF's `uint16` length field.
    #[error("requested length {0} is too long for ExpandWithLabel")]
    LengthTooLong(usize),
    /// More PSKs than a `uint16` can count.
    #[error("{0} PSKs are more than PSKLabel can count")]
    TooManyPsks(usize),
    /// A crypto operation failed.
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// An encoding failed.
    #[error("encoding: {0}")]
    Codec(#[from] CodecError),
}
