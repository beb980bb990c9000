//! Secret byte strings: zeroized on drop, compared in constant time, never printed.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

macro_rules! secret_bytes {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// # Security
        /// Zeroized on drop, compared in constant time; `Debug` shows only the length.
        #[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
        pub struct $name(Vec<u8>);

        impl $name {
            /// Wraps `bytes`, taking ownership so no copy is left behind by this call.
            pub fn new(bytes: Vec<u8>) -> Self {
                Self(bytes)
            }

            /// Copies `bytes` into a new secret.
            pub fn from_slice(bytes: &[u8]) -> Self {
                Self(bytes.to_vec())
            }

            /// The secret bytes.
            pub fn as_bytes(&self) -> &[u8] {
                &self.0
            }

            /// The secret bytes, mutably: for filling a buffer allocated with
            /// `new(vec![0; len])` in place, so no unprotected copy exists.
            pub fn as_mut_bytes(&mut self) -> &mut [u8] {
                &mut self.0
            }

            /// The number of bytes.
            pub fn len(&self) -> usize {
                self.0.len()
            }

            /// Whether the secret is empty.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl From<Vec<u8>> for $name {
            fn from(v: Vec<u8>) -> Self {
                Self(v)
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.0.ct_eq(&other.0).into()
            }
        }

        impl Eq for $name {}

        /// Encodes as `opaque<V>`, for the library's own persisted state: never put it on the
        /// wire.
        impl cohort_codec::Encode for $name {
            fn encoded_len(&self) -> usize {
                cohort_codec::opaque_len(&self.0)
            }
            fn encode(&self, out: &mut Vec<u8>) -> Result<(), cohort_codec::CodecError> {
                cohort_codec::encode_opaque(&self.0, out)
            }
        }

        impl cohort_codec::Decode for $name {
            fn decode(
                reader: &mut cohort_codec::Reader<'_>,
            ) -> Result<Self, cohort_codec::CodecError> {
                Ok(Self(reader.read_opaque()?.to_vec()))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "(<{} bytes redacted>)"), self.0.len())
            }
        }
    };
}

secret_bytes!(
    /// A secret produced by a KDF, a KEM or a key schedule.
    Secret
);

secret_bytes!(
    /// An HPKE private key in the KEM's `SerializePrivateKey` form (RFC 9180 §7.1.2).
    HpkePrivateKey
);

secret_bytes!(
    /// A signature private key in the scheme's raw form: the 32- or 57-byte seed for EdDSA, the
    /// big-endian scalar for ECDSA.
    SignaturePrivateKey
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_and_eq_works() {
        let s = Secret::new(vec![0xab; 4]);
        let shown = format!("{s:?}");
        assert!(!shown.contains("ab"), "{shown}");
        assert!(shown.contains("4 bytes"));
        assert_eq!(s, Secret::from_slice(&[0xab; 4]));
        assert_ne!(s, Secret::from_slice(&[0xab; 3]));
    }
}
