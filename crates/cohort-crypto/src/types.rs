//! Public keys and ciphertexts as they appear on the wire (RFC 9420 §5.1.1, §7.6).

use cohort_codec::{Decode, Encode, VarBytes};

/// `opaque HPKEPublicKey<V>`: an HPKE public key in the KEM's `SerializePublicKey` form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct HpkePublicKey(pub VarBytes);

/// `opaque SignaturePublicKey<V>`: a signature public key in the scheme's wire form (raw bytes
/// for EdDSA, an uncompressed point for ECDSA).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct SignaturePublicKey(pub VarBytes);

/// `HPKECiphertext` (RFC 9420 §7.6): the output of `EncryptWithLabel`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct HpkeCiphertext {
    /// The KEM's encapsulated key.
    pub kem_output: VarBytes,
    /// The AEAD ciphertext.
    pub ciphertext: VarBytes,
}

impl From<Vec<u8>> for HpkePublicKey {
    fn from(v: Vec<u8>) -> Self {
        Self(VarBytes::from(v))
    }
}

impl From<Vec<u8>> for SignaturePublicKey {
    fn from(v: Vec<u8>) -> Self {
        Self(VarBytes::from(v))
    }
}

impl AsRef<[u8]> for HpkePublicKey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for SignaturePublicKey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
