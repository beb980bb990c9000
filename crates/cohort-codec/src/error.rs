//! The codec's error type.

/// What was wrong with an encoding.
///
/// Every variant names one defect of the input, so a caller (and a test) can tell them apart.
/// The messages never contain the input bytes.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The input ended inside a fixed-width field or a declared span (RFC 9420 §2.1).
    #[error("input ended early: {needed} bytes needed, {remaining} remain")]
    Truncated {
        /// Bytes the field needed.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A variable-length header starts with the reserved `0b11` prefix (RFC 9420 §2.1.2).
    #[error("variable-length header uses the reserved 0b11 prefix")]
    VarintPrefix,
    /// A variable-length header is longer than its value needs (RFC 9420 §2.1.2).
    #[error("variable-length header encodes {value} in {width} bytes, which is not minimal")]
    NonMinimalVarint {
        /// The value carried.
        value: u32,
        /// The width used.
        width: usize,
    },
    /// A vector declares more bytes than the input has left (RFC 9420 §2.1.2).
    #[error("vector declares {declared} bytes but only {remaining} remain")]
    LengthOverflow {
        /// The declared length.
        declared: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A vector's elements do not end exactly on its declared boundary.
    #[error("an element runs past the end of its vector")]
    VectorBoundary,
    /// A vector element consumed no input, so the vector could not be bounded.
    #[error("a vector element consumed no bytes")]
    EmptyElement,
    /// An `optional<T>` presence byte other than 0 or 1 (RFC 9420 §2.1.1).
    #[error("optional presence byte is {0}, must be 0 or 1")]
    OptionalTag(u8),
    /// A selector or enumeration holds a value that is reserved or not defined.
    #[error("{what}: value {value} is not defined")]
    UnknownEnum {
        /// The type being decoded.
        what: &'static str,
        /// The value read.
        value: u64,
    },
    /// A complete value was decoded but input remains (RFC 9420 §2.1).
    #[error("{0} trailing bytes after a complete value")]
    TrailingBytes(usize),
    /// A vector to encode is 2^30 bytes or longer, which MLS cannot express.
    #[error("vector of {0} bytes is too long to encode (MLS allows at most 2^30 - 1)")]
    VectorTooLong(usize),
    /// A field holds a value its type does not allow (for example a fixed-size key of the wrong
    /// length).
    #[error("invalid {what}: {reason}")]
    InvalidValue {
        /// The field or type.
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}
