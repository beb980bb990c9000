//! `opaque data<V>` as owned byte vectors, public and secret.

use alloc::vec::Vec;
use core::fmt;
use core::ops::Deref;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{CodecError, Decode, Encode, Reader, encode_opaque, opaque_len};

/// `opaque data<V>`: a variable-length byte string of public data.
///
/// Decoding reads the whole content in one step after checking it is there.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarBytes(Vec<u8>);

impl VarBytes {
    /// Wraps `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, unwrapped.
    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }
}

impl Deref for VarBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for VarBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for VarBytes {
    fn from(v: Vec<u8>) -> Self {
        Self(v)
    }
}

impl From<&[u8]> for VarBytes {
    fn from(v: &[u8]) -> Self {
        Self(v.to_vec())
    }
}

impl From<VarBytes> for Vec<u8> {
    fn from(v: VarBytes) -> Self {
        v.0
    }
}

impl fmt::Debug for VarBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 32;
        for b in self.0.iter().take(SHOWN) {
            write!(f, "{b:02x}")?;
        }
        if self.0.len() > SHOWN {
            write!(f, "..({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

impl Encode for VarBytes {
    #[inline]
    fn encoded_len(&self) -> usize {
        opaque_len(&self.0)
    }
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        encode_opaque(&self.0, out)
    }
}

impl Decode for VarBytes {
    #[inline]
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Self(reader.read_opaque()?.to_vec()))
    }
}

/// `opaque data<V>` holding secret material.
///
/// # Security
/// Zeroized on drop, compared in constant time, and its `Debug` output is redacted.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct SecretVarBytes(Vec<u8>);

impl SecretVarBytes {
    /// Wraps `bytes`, taking ownership so that no other copy is left behind by this call.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The secret bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
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

impl From<Vec<u8>> for SecretVarBytes {
    fn from(v: Vec<u8>) -> Self {
        Self(v)
    }
}

impl PartialEq for SecretVarBytes {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for SecretVarBytes {}

impl fmt::Debug for SecretVarBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretVarBytes(<{} bytes redacted>)", self.0.len())
    }
}

impl Encode for SecretVarBytes {
    #[inline]
    fn encoded_len(&self) -> usize {
        opaque_len(&self.0)
    }
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        encode_opaque(&self.0, out)
    }
}

impl Decode for SecretVarBytes {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Self(reader.read_opaque()?.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn secret_debug_is_redacted() {
        let s = SecretVarBytes::new(alloc::vec![0xab; 3]);
        let shown = format!("{s:?}");
        assert!(!shown.contains("ab"), "{shown}");
        assert!(shown.contains("3 bytes"));
    }

    #[test]
    fn opaque_round_trips_with_minimal_headers() {
        for len in [0usize, 63, 64, 16383, 16384] {
            let v = VarBytes::new(alloc::vec![7; len]);
            let bytes = v.to_bytes().expect("encodes");
            assert_eq!(bytes.len(), v.encoded_len());
            assert_eq!(VarBytes::from_bytes(&bytes).expect("decodes"), v);
        }
    }
}
