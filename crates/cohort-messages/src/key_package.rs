//! KeyPackages (RFC 9420 §10).

use cohort_codec::{CodecError, Decode, Encode, VarBytes};
use cohort_crypto::{CipherSuite, HpkePublicKey};
use cohort_tree::extension::Extension;
use cohort_tree::leaf::{LeafNode, ProtocolVersion};

/// `KeyPackage` (RFC 9420 §10): a client's signed offer to be added to a group.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct KeyPackage {
    /// The protocol version.
    pub version: ProtocolVersion,
    /// The cipher suite the package is for.
    pub cipher_suite: CipherSuite,
    /// The HPKE key a Welcome is encrypted to.
    pub init_key: HpkePublicKey,
    /// The leaf the client will occupy, of source `key_package`.
    pub leaf_node: LeafNode,
    /// KeyPackage extensions.
    pub extensions: Vec<Extension>,
    /// `SignWithLabel(., "KeyPackageTBS", KeyPackageTBS)`.
    pub signature: VarBytes,
}

impl KeyPackage {
    /// The encoded `KeyPackageTBS`: every field but the signature.
    ///
    /// # Errors
    /// A [`CodecError`] when a field is too long to encode.
    pub fn to_be_signed(&self) -> Result<Vec<u8>, CodecError> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.version.encode(&mut out)?;
        self.cipher_suite.encode(&mut out)?;
        self.init_key.encode(&mut out)?;
        self.leaf_node.encode(&mut out)?;
        self.extensions.encode(&mut out)?;
        Ok(out)
    }
}

/// `KeyPackageRef` (RFC 9420 §5.2): `RefHash("MLS 1.0 KeyPackage Reference", KeyPackage)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct KeyPackageRef(pub VarBytes);
