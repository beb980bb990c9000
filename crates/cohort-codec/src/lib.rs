#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![deny(rustdoc::broken_intra_doc_links)]

#[doc(hidden)]
pub extern crate alloc;
// Lets the derives, which name `::cohort_codec`, work inside this crate's own tests.
extern crate self as cohort_codec;
#[cfg(test)]
extern crate std;

mod bytes;
mod error;
mod impls;
mod reader;
mod varint;

pub use bytes::{SecretVarBytes, VarBytes};
pub use cohort_codec_derive::{Decode, Encode};
pub use error::CodecError;
pub use reader::{DecodeOptions, Reader};
pub use varint::{MAX_VECTOR_LEN, decode_varint, encode_varint, varint_len};

use alloc::vec::Vec;

/// A value that can be written in the TLS presentation language.
///
/// `encoded_len` must return exactly the number of bytes `encode` appends; callers use it to size
/// buffers and vector headers.
pub trait Encode {
    /// The number of bytes [`Encode::encode`] appends.
    fn encoded_len(&self) -> usize;

    /// Appends the encoding of `self` to `out`.
    ///
    /// # Errors
    /// [`CodecError::VectorTooLong`] when a vector inside holds 2^30 bytes or more, which MLS
    /// cannot express.
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError>;

    /// Encodes `self` into a new buffer of exactly the right size.
    ///
    /// # Errors
    /// As [`Encode::encode`].
    fn to_bytes(&self) -> Result<Vec<u8>, CodecError> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out)?;
        Ok(out)
    }
}

/// A value that can be read from the TLS presentation language.
///
/// # Security
/// Implementations read only through [`Reader`], which never reads past its input and never
/// allocates on a length the input declares before checking that the bytes are there.
pub trait Decode: Sized {
    /// Reads one value from `reader`, leaving the rest of the input in place.
    ///
    /// # Errors
    /// A [`CodecError`] naming what was malformed.
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError>;

    /// Top-level decode: reads one value that must span all of `bytes`.
    ///
    /// # Errors
    /// [`CodecError::TrailingBytes`] when input is left over, or any error of
    /// [`Decode::decode`].
    fn from_bytes(bytes: &[u8]) -> Result<Self, CodecError> {
        Self::from_bytes_with(bytes, DecodeOptions::default())
    }

    /// [`Decode::from_bytes`] with `options`.
    ///
    /// # Errors
    /// As [`Decode::from_bytes`].
    fn from_bytes_with(bytes: &[u8], options: DecodeOptions) -> Result<Self, CodecError> {
        let mut reader = Reader::with_options(bytes, options);
        let value = Self::decode(&mut reader)?;
        reader.finish()?;
        Ok(value)
    }
}

impl<T: Encode + ?Sized> Encode for &T {
    #[inline]
    fn encoded_len(&self) -> usize {
        (**self).encoded_len()
    }
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        (**self).encode(out)
    }
}

/// Encodes the elements of `items` as one MLS variable-length vector (`T items<V>`), without
/// collecting them into a `Vec` first.
///
/// # Errors
/// [`CodecError::VectorTooLong`] when the content is 2^30 bytes or more.
pub fn encode_vector<T: Encode>(items: &[T], out: &mut Vec<u8>) -> Result<(), CodecError> {
    let len: usize = items.iter().map(Encode::encoded_len).sum();
    encode_varint(len, out)?;
    items.iter().try_for_each(|item| item.encode(out))
}

/// The encoded size of `items` as one MLS variable-length vector.
pub fn vector_len<T: Encode>(items: &[T]) -> usize {
    let len: usize = items.iter().map(Encode::encoded_len).sum();
    varint_len(len) + len
}

/// Encodes the items an iterator yields as one MLS variable-length vector (`T items<V>`): for
/// items held in a map or computed on the way, without collecting them first. The iterator is
/// walked twice (once for the length).
///
/// # Errors
/// [`CodecError::VectorTooLong`] when the content is 2^30 bytes or more.
pub fn encode_vector_iter<I>(items: I, out: &mut Vec<u8>) -> Result<(), CodecError>
where
    I: Iterator + Clone,
    I::Item: Encode,
{
    let len: usize = items.clone().map(|item| item.encoded_len()).sum();
    encode_varint(len, out)?;
    out.reserve(len);
    items.into_iter().try_for_each(|item| item.encode(out))
}

/// The encoded size of the items an iterator yields as one MLS variable-length vector.
pub fn vector_iter_len<I>(items: I) -> usize
where
    I: Iterator,
    I::Item: Encode,
{
    let len: usize = items.map(|item| item.encoded_len()).sum();
    varint_len(len) + len
}

/// Encodes `bytes` as `opaque data<V>`.
///
/// # Errors
/// [`CodecError::VectorTooLong`] when `bytes` holds 2^30 bytes or more.
pub fn encode_opaque(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), CodecError> {
    encode_varint(bytes.len(), out)?;
    out.extend_from_slice(bytes);
    Ok(())
}

/// The encoded size of `bytes` as `opaque data<V>`.
pub fn opaque_len(bytes: &[u8]) -> usize {
    varint_len(bytes.len()) + bytes.len()
}
