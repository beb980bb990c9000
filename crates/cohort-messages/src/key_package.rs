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

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_credential::{Credential, CredentialType};
    use cohort_crypto::SignaturePublicKey;
    use cohort_tree::extension::ExtensionType;
    use cohort_tree::leaf::{Capabilities, LeafNodeSource, Lifetime, ProposalType};

    /// RFC 9420 §13.5: GREASE values in capabilities, extensions and credentials must survive a
    /// decode and re-encode unchanged.
    #[test]
    fn grease_values_survive_a_round_trip() {
        let grease = |i: u16| 0x0a0a + i * 0x1010;
        let leaf = LeafNode {
            encryption_key: HpkePublicKey::from(vec![1; 32]),
            signature_key: SignaturePublicKey::from(vec![2; 32]),
            credential: Credential::basic(b"alice".to_vec()),
            capabilities: Capabilities {
                versions: vec![ProtocolVersion::MLS10, ProtocolVersion(grease(0))],
                cipher_suites: vec![CipherSuite(1), CipherSuite(grease(1))],
                extensions: vec![ExtensionType(grease(2))],
                proposals: vec![ProposalType(grease(3))],
                credentials: vec![CredentialType::BASIC, CredentialType(grease(4))],
            },
            leaf_node_source: LeafNodeSource::KeyPackage(Lifetime {
                not_before: 0,
                not_after: 9,
            }),
            extensions: vec![Extension::new(ExtensionType(grease(5)), vec![0xee; 3])],
            signature: VarBytes::from(vec![3; 64]),
        };
        let kp = KeyPackage {
            version: ProtocolVersion::MLS10,
            cipher_suite: CipherSuite(1),
            init_key: HpkePublicKey::from(vec![4; 32]),
            leaf_node: leaf,
            extensions: vec![Extension::new(ExtensionType(grease(6)), Vec::new())],
            signature: VarBytes::from(vec![5; 64]),
        };
        let bytes = kp.to_bytes().expect("encodes");
        assert_eq!(bytes.len(), kp.encoded_len());
        let back = KeyPackage::from_bytes(&bytes).expect("decodes");
        assert_eq!(back, kp);
        assert_eq!(back.to_bytes().expect("re-encodes"), bytes);
        // The TBS is the encoding without the trailing signature.
        let tbs = kp.to_be_signed().expect("encodes");
        assert_eq!(&bytes[..tbs.len()], &tbs[..]);
        assert_eq!(bytes.len() - tbs.len(), kp.signature.encoded_len());
    }
}
