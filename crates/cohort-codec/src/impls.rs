//! Codec impls for integers, arrays, `Option` and `Vec`.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::{CodecError, Decode, Encode, Reader, encode_vector, vector_len};

macro_rules! uint {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            #[inline]
            fn encoded_len(&self) -> usize {
                core::mem::size_of::<$t>()
            }
            #[inline]
            fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
                out.extend_from_slice(&self.to_be_bytes());
                Ok(())
            }
        }
        impl Decode for $t {
            #[inline]
            fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
                Ok(<$t>::from_be_bytes(reader.read_array()?))
            }
        }
    )*};
}
uint!(u8, u16, u32, u64);

/// `opaque x[N]`: a fixed-size byte array, no length prefix.
impl<const N: usize> Encode for [u8; N] {
    #[inline]
    fn encoded_len(&self) -> usize {
        N
    }
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        out.extend_from_slice(self);
        Ok(())
    }
}

impl<const N: usize> Decode for [u8; N] {
    #[inline]
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        reader.read_array()
    }
}

/// A boxed value encodes as the value itself; boxing only keeps large, often-absent values
/// (blank tree nodes) cheap in memory.
impl<T: Encode + ?Sized> Encode for Box<T> {
    #[inline]
    fn encoded_len(&self) -> usize {
        (**self).encoded_len()
    }
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        (**self).encode(out)
    }
}

impl<T: Decode> Decode for Box<T> {
    #[inline]
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        T::decode(reader).map(Box::new)
    }
}

/// A shared value encodes as the value itself, like a boxed one.
impl<T: Encode + ?Sized> Encode for alloc::sync::Arc<T> {
    #[inline]
    fn encoded_len(&self) -> usize {
        (**self).encoded_len()
    }
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        (**self).encode(out)
    }
}

impl<T: Decode> Decode for alloc::sync::Arc<T> {
    #[inline]
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        T::decode(reader).map(alloc::sync::Arc::new)
    }
}

/// `optional<T>` (RFC 9420 §2.1.1): a presence byte 0 or 1, then the value when 1.
impl<T: Encode> Encode for Option<T> {
    #[inline]
    fn encoded_len(&self) -> usize {
        1 + self.as_ref().map_or(0, Encode::encoded_len)
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        match self {
            None => {
                out.push(0);
                Ok(())
            }
            Some(v) => {
                out.push(1);
                v.encode(out)
            }
        }
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        match u8::decode(reader)? {
            0 => Ok(None),
            1 => Ok(Some(T::decode(reader)?)),
            tag => Err(CodecError::OptionalTag(tag)),
        }
    }
}

/// A pair encodes as its two values in order (a two-field struct).
impl<A: Encode, B: Encode> Encode for (A, B) {
    #[inline]
    fn encoded_len(&self) -> usize {
        self.0.encoded_len() + self.1.encoded_len()
    }
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        self.0.encode(out)?;
        self.1.encode(out)
    }
}

impl<A: Decode, B: Decode> Decode for (A, B) {
    #[inline]
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok((A::decode(reader)?, B::decode(reader)?))
    }
}

/// `T items<V>`: an MLS variable-length vector. For `opaque data<V>` use
/// [`crate::VarBytes`], which reads the content in one step.
impl<T: Encode> Encode for Vec<T> {
    #[inline]
    fn encoded_len(&self) -> usize {
        vector_len(self)
    }
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        encode_vector(self, out)
    }
}

impl<T: Decode> Decode for Vec<T> {
    #[inline]
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        reader.read_vector()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VarBytes;
    use proptest::prelude::*;

    #[test]
    fn v_2_1_1_01_optional_tag_above_one_is_rejected() {
        assert_eq!(
            Option::<u8>::from_bytes(&[2, 0]),
            Err(CodecError::OptionalTag(2))
        );
        assert_eq!(Option::<u8>::from_bytes(&[1, 9]), Ok(Some(9)));
        assert_eq!(Option::<u8>::from_bytes(&[0]), Ok(None));
    }

    #[derive(Debug, Clone, PartialEq, Encode, Decode)]
    struct Inner {
        a: u16,
        b: VarBytes,
    }

    #[derive(Debug, Clone, PartialEq, Encode, Decode)]
    struct Outer {
        x: u8,
        inner: Vec<Inner>,
        opt: Option<Inner>,
        guard: [u8; 4],
        big: u64,
    }

    #[derive(Debug, Clone, PartialEq, Encode, Decode)]
    #[repr(u8)]
    enum Select {
        Unit = 1,
        Tuple(u32) = 2,
        Named { a: u8, b: VarBytes } = 3,
    }

    #[test]
    fn v_2_1_02_unknown_selector_is_rejected() {
        assert_eq!(
            Select::from_bytes(&[0]),
            Err(CodecError::UnknownEnum {
                what: "Select",
                value: 0
            })
        );
        assert_eq!(Select::from_bytes(&[2, 0, 0, 0, 7]), Ok(Select::Tuple(7)));
    }

    fn inner() -> impl Strategy<Value = Inner> {
        (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..300)).prop_map(|(a, b)| Inner {
            a,
            b: VarBytes::from(b),
        })
    }

    proptest! {
        #[test]
        fn derived_struct_round_trips(
            x in any::<u8>(),
            v in proptest::collection::vec(inner(), 0..20),
            opt in proptest::option::of(inner()),
            guard in any::<[u8; 4]>(),
            big in any::<u64>(),
        ) {
            let value = Outer { x, inner: v, opt, guard, big };
            let bytes = value.to_bytes().expect("encodes");
            prop_assert_eq!(bytes.len(), value.encoded_len());
            prop_assert_eq!(Outer::from_bytes(&bytes).expect("decodes"), value);
        }

        #[test]
        fn enum_round_trips(tag in 0u8..3, n in any::<u32>(), b in proptest::collection::vec(any::<u8>(), 0..100)) {
            let value = match tag {
                0 => Select::Unit,
                1 => Select::Tuple(n),
                _ => Select::Named { a: n as u8, b: VarBytes::from(b) },
            };
            let bytes = value.to_bytes().expect("encodes");
            prop_assert_eq!(bytes.len(), value.encoded_len());
            prop_assert_eq!(Select::from_bytes(&bytes).expect("decodes"), value);
        }

        #[test]
        fn arbitrary_input_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Outer::from_bytes(&data);
            let _ = Select::from_bytes(&data);
        }
    }
}
