//! MLS variable-length integers (RFC 9420 §2.1.2).
//!
//! ```text
//! prefix  width  usable bits  range
//! 00      1      6            0 ..= 63
//! 01      2      14           64 ..= 16383
//! 10      4      30           16384 ..= 2^30 - 1
//! 11      -      -            invalid in MLS
//! ```

use alloc::vec::Vec;

use crate::CodecError;

/// The largest vector length MLS can express: 2^30 - 1 bytes.
pub const MAX_VECTOR_LEN: usize = (1 << 30) - 1;

/// The number of bytes the header for `len` takes.
#[inline]
pub fn varint_len(len: usize) -> usize {
    if len < 1 << 6 {
        1
    } else if len < 1 << 14 {
        2
    } else {
        4
    }
}

/// Appends the minimal MLS varint header for `len`.
///
/// # Errors
/// [`CodecError::VectorTooLong`] when `len` is 2^30 or more.
#[inline]
pub fn encode_varint(len: usize, out: &mut Vec<u8>) -> Result<(), CodecError> {
    if len > MAX_VECTOR_LEN {
        return Err(CodecError::VectorTooLong(len));
    }
    // The casts below cannot truncate: len < 2^30 was checked above.
    let v = len as u32;
    if len < 1 << 6 {
        out.push(v as u8);
    } else if len < 1 << 14 {
        out.extend_from_slice(&((v as u16) | 0x4000).to_be_bytes());
    } else {
        out.extend_from_slice(&(v | 0x8000_0000).to_be_bytes());
    }
    Ok(())
}

/// Decodes one MLS varint header from the front of `input`, returning the value and the number
/// of bytes it took.
///
/// # Errors
/// [`CodecError::VarintPrefix`] for the `0b11` prefix, [`CodecError::NonMinimalVarint`] for a
/// longer form than needed, [`CodecError::Truncated`] when `input` ends inside the header.
#[inline]
pub fn decode_varint(input: &[u8]) -> Result<(u32, usize), CodecError> {
    let first = *input.first().ok_or(CodecError::Truncated {
        needed: 1,
        remaining: 0,
    })?;
    let width = match first >> 6 {
        0 => 1,
        1 => 2,
        2 => 4,
        _ => return Err(CodecError::VarintPrefix),
    };
    let bytes = input.get(..width).ok_or(CodecError::Truncated {
        needed: width,
        remaining: input.len(),
    })?;
    let mut value = u32::from(first & 0x3f);
    for b in &bytes[1..] {
        value = (value << 8) | u32::from(*b);
    }
    // `value` < 2^30, so the widening cast is exact on every target.
    if varint_len(value as usize) != width {
        return Err(CodecError::NonMinimalVarint { value, width });
    }
    Ok((value, width))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v_2_1_2_01_prefix_11_is_rejected() {
        assert_eq!(
            decode_varint(&[0xc0, 0, 0, 0, 0, 0, 0, 1]),
            Err(CodecError::VarintPrefix)
        );
        assert_eq!(decode_varint(&[0xff]), Err(CodecError::VarintPrefix));
    }

    #[test]
    fn v_2_1_2_02_non_minimal_forms_are_rejected() {
        assert_eq!(
            decode_varint(&[0x40, 0x3f]),
            Err(CodecError::NonMinimalVarint {
                value: 63,
                width: 2
            })
        );
        assert_eq!(
            decode_varint(&[0x80, 0x00, 0x3f, 0xff]),
            Err(CodecError::NonMinimalVarint {
                value: 16383,
                width: 4
            })
        );
        assert_eq!(decode_varint(&[0x40, 0x40]), Ok((64, 2)));
        assert_eq!(decode_varint(&[0x80, 0x00, 0x40, 0x00]), Ok((16384, 4)));
    }

    #[test]
    fn truncated_header_is_an_error() {
        assert_eq!(
            decode_varint(&[0x80, 0x01]),
            Err(CodecError::Truncated {
                needed: 4,
                remaining: 2
            })
        );
        assert_eq!(
            decode_varint(&[]),
            Err(CodecError::Truncated {
                needed: 1,
                remaining: 0
            })
        );
    }

    #[test]
    fn lengths_of_2_pow_30_cannot_be_encoded() {
        let mut out = Vec::new();
        assert_eq!(
            encode_varint(1 << 30, &mut out),
            Err(CodecError::VectorTooLong(1 << 30))
        );
        encode_varint(MAX_VECTOR_LEN, &mut out).expect("largest length encodes");
        assert_eq!(out, [0xbf, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn round_trip_at_the_boundaries() {
        for len in [0usize, 1, 63, 64, 16383, 16384, MAX_VECTOR_LEN] {
            let mut out = Vec::new();
            encode_varint(len, &mut out).expect("in range");
            assert_eq!(out.len(), varint_len(len));
            assert_eq!(decode_varint(&out), Ok((len as u32, out.len())));
        }
    }
}
