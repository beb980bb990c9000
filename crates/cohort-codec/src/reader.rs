//! A bounded cursor over untrusted input.

use crate::{CodecError, Decode, varint::decode_varint};
use alloc::vec::Vec;

/// A cursor over a byte slice that never reads past its end.
///
/// # Security
/// Every read checks the remaining length first. Vector headers are checked against the
/// remaining input before anything is allocated, and a vector's elements are decoded from a
/// sub-reader that ends at the declared boundary.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    options: DecodeOptions,
}

/// What a decoder cannot tell from the wire: how to read encodings that deployed peers give
/// to values the standards leave open. [`Default`] reads only what the specifications define.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// A proposal type that is read as a SelfRemove proposal (an empty body) besides
    /// draft-ietf-mls-extensions' own code point: mls-rs sends SelfRemove at the private-use
    /// value 0xF003. Without it, such a type is read as a custom proposal (an `opaque<V>` body).
    pub self_remove_alias: Option<u16>,
}

impl DecodeOptions {
    /// The default options with `alias` read as SelfRemove.
    pub fn with_self_remove_alias(mut self, alias: Option<u16>) -> Self {
        self.self_remove_alias = alias;
        self
    }
}

impl<'a> Reader<'a> {
    /// A reader over all of `data`, with the default [`DecodeOptions`].
    pub fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            options: DecodeOptions::default(),
        }
    }

    /// A reader over all of `data` that decodes as `options` say.
    pub fn with_options(data: &'a [u8], options: DecodeOptions) -> Self {
        Self { data, options }
    }

    /// The options this reader decodes with (inherited by its sub-readers).
    pub fn options(&self) -> DecodeOptions {
        self.options
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.data.len()
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The bytes not yet read, without consuming them.
    pub fn rest(&self) -> &'a [u8] {
        self.data
    }

    /// Succeeds only when every byte has been read.
    ///
    /// # Errors
    /// [`CodecError::TrailingBytes`] with the number of bytes left.
    pub fn finish(self) -> Result<(), CodecError> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(CodecError::TrailingBytes(self.data.len()))
        }
    }

    /// Reads the next `n` bytes.
    ///
    /// # Errors
    /// [`CodecError::Truncated`] when fewer than `n` remain.
    #[inline]
    pub fn read_slice(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.data.len() {
            return Err(CodecError::Truncated {
                needed: n,
                remaining: self.data.len(),
            });
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Ok(head)
    }

    /// Reads a fixed-size array.
    ///
    /// # Errors
    /// [`CodecError::Truncated`] when fewer than `N` bytes remain.
    #[inline]
    pub fn read_array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.read_slice(N)?);
        Ok(out)
    }

    /// Looks at the next byte without consuming it.
    pub fn peek_u8(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// Reads an MLS varint vector header and returns the declared length, after checking that
    /// that many bytes remain.
    ///
    /// # Errors
    /// The varint errors of [`crate::decode_varint`], or [`CodecError::LengthOverflow`].
    #[inline]
    pub fn read_length(&mut self) -> Result<usize, CodecError> {
        let (len, width) = decode_varint(self.data)?;
        self.data = &self.data[width..];
        // len < 2^30 (checked by decode_varint), so it fits usize on every supported target.
        let len = len as usize;
        if len > self.data.len() {
            return Err(CodecError::LengthOverflow {
                declared: len,
                remaining: self.data.len(),
            });
        }
        Ok(len)
    }

    /// Reads `opaque data<V>` and returns the content, borrowed from the input.
    ///
    /// # Errors
    /// As [`Reader::read_length`].
    #[inline]
    pub fn read_opaque(&mut self) -> Result<&'a [u8], CodecError> {
        let len = self.read_length()?;
        self.read_slice(len)
    }

    /// Reads a vector header and returns a reader over exactly the declared content.
    ///
    /// # Errors
    /// As [`Reader::read_length`].
    pub fn sub_reader(&mut self) -> Result<Reader<'a>, CodecError> {
        let options = self.options;
        Ok(Reader::with_options(self.read_opaque()?, options))
    }

    /// Reads `T items<V>`: a header, then elements until the declared content is used up.
    ///
    /// # Errors
    /// As [`Reader::read_length`]; [`CodecError::VectorBoundary`] when an element runs past
    /// the declared end; [`CodecError::EmptyElement`] when an element consumes nothing.
    pub fn read_vector<T: Decode>(&mut self) -> Result<Vec<T>, CodecError> {
        let mut sub = self.sub_reader()?;
        let mut items = Vec::new();
        while !sub.is_empty() {
            let before = sub.remaining();
            let item = T::decode(&mut sub).map_err(|e| match e {
                CodecError::Truncated { .. } => CodecError::VectorBoundary,
                other => other,
            })?;
            if sub.remaining() == before {
                return Err(CodecError::EmptyElement);
            }
            items.push(item);
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v_2_1_2_03_length_beyond_input_is_rejected_before_allocation() {
        // Declares 2^30 - 1 bytes with 1 byte of content.
        let mut r = Reader::new(&[0xbf, 0xff, 0xff, 0xff, 0x00]);
        assert_eq!(
            r.read_vector::<u8>(),
            Err(CodecError::LengthOverflow {
                declared: (1 << 30) - 1,
                remaining: 1
            })
        );
    }

    #[test]
    fn v_2_1_01_element_past_boundary_is_rejected() {
        // A vector of u16 whose content is 3 bytes: the second u16 runs past the boundary.
        let mut r = Reader::new(&[0x03, 0x00, 0x01, 0x00, 0x02]);
        assert_eq!(r.read_vector::<u16>(), Err(CodecError::VectorBoundary));
    }

    #[test]
    fn v_2_1_04_truncated_fixed_width_fields_are_rejected() {
        let mut r = Reader::new(&[0x01, 0x02, 0x03]);
        assert_eq!(
            r.read_array::<4>(),
            Err(CodecError::Truncated {
                needed: 4,
                remaining: 3
            })
        );
        assert_eq!(
            u32::from_bytes(&[1, 2, 3]),
            Err(CodecError::Truncated {
                needed: 4,
                remaining: 3
            })
        );
    }

    #[test]
    fn v_2_1_03_trailing_bytes_are_rejected() {
        assert_eq!(
            u16::from_bytes(&[0, 1, 2]),
            Err(CodecError::TrailingBytes(1))
        );
    }
}
