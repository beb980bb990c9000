//! Leaf nodes (RFC 9420 §7.2) and what they carry: capabilities and lifetimes.

use cohort_codec::{CodecError, Decode, Encode, VarBytes, opaque_len};
use cohort_credential::{Credential, CredentialType};
use cohort_crypto::{
    CipherSuite, CryptoError, HpkePublicKey, SignaturePublicKey, SuiteOps, labeled,
};

use crate::extension::{Extension, ExtensionType};
use crate::math::LeafIndex;

/// A protocol version from the "MLS Protocol Versions" registry (RFC 9420 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct ProtocolVersion(pub u16);

impl ProtocolVersion {
    /// `mls10(1)`: the version RFC 9420 defines.
    pub const MLS10: Self = Self(1);
}

/// A proposal type from the "MLS Proposal Types" registry (RFC 9420 §17.4).
///
/// Defined here because [`Capabilities`] lists them; the proposals themselves live with the
/// other messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct ProposalType(pub u16);

#[allow(missing_docs)]
impl ProposalType {
    pub const ADD: Self = Self(1);
    pub const UPDATE: Self = Self(2);
    pub const REMOVE: Self = Self(3);
    pub const PSK: Self = Self(4);
    pub const REINIT: Self = Self(5);
    pub const EXTERNAL_INIT: Self = Self(6);
    pub const GROUP_CONTEXT_EXTENSIONS: Self = Self(7);
    /// `app_data_update` of draft-ietf-mls-extensions (suggested value, OpenMLS's too): a change
    /// to the GroupContext's `app_data_dictionary`. Not in RFC 9420's registry.
    pub const APP_DATA_UPDATE: Self = Self(0x0008);
    /// `app_ephemeral` of draft-ietf-mls-extensions (suggested value, OpenMLS's too):
    /// application data delivered with a commit. Not in RFC 9420's registry.
    pub const APP_EPHEMERAL: Self = Self(0x0009);
    /// `self_remove` of draft-ietf-mls-extensions (its suggested value, which OpenMLS uses): a
    /// member removes itself. Not in RFC 9420's registry.
    pub const SELF_REMOVE: Self = Self(0x000a);
    /// The private-use value at which mls-rs sends SelfRemove; read as SelfRemove only where an
    /// application turns the alias on.
    pub const SELF_REMOVE_MLS_RS: Self = Self(0xF003);

    /// Whether this is one of the default proposal types of RFC 9420 (1 to 7), which need not be
    /// listed in capabilities.
    pub fn is_default(self) -> bool {
        (1..=7).contains(&self.0)
    }

    /// This type's row of the IANA "MLS Proposal Types" registry (RFC 9420 §17.4), for the
    /// types the RFC defines; `None` for any other.
    pub fn registry(self) -> Option<&'static ProposalTypeEntry> {
        PROPOSAL_TYPES.iter().find(|e| e.proposal_type == self)
    }

    /// This type's row in RFC 9420's registry or, for the types draft-ietf-mls-extensions
    /// defines, in that draft's registrations ([`DRAFT_PROPOSAL_TYPES`]); `None` for any other.
    pub fn entry(self) -> Option<&'static ProposalTypeEntry> {
        self.registry().or_else(|| {
            DRAFT_PROPOSAL_TYPES
                .iter()
                .find(|e| e.proposal_type == self)
        })
    }
}

/// One row of the "MLS Proposal Types" registry (RFC 9420 §17.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProposalTypeEntry {
    /// The type.
    pub proposal_type: ProposalType,
    /// Its name.
    pub name: &'static str,
    /// "Ext": whether an external sender may send it (§12.1.8).
    pub external: bool,
    /// "Path": whether a commit covering it must carry a path (§12.4).
    pub path_required: bool,
}

/// The proposal types of RFC 9420 with the registry's "Ext" and "Path" columns (§17.4): the one
/// table that external-sender checks (V-6.1-03, V-12.1.8-02) and the path rule (V-12.4-01)
/// read (V-17.4-01).
pub const PROPOSAL_TYPES: [ProposalTypeEntry; 7] = {
    const fn row(
        proposal_type: ProposalType,
        name: &'static str,
        external: bool,
        path_required: bool,
    ) -> ProposalTypeEntry {
        ProposalTypeEntry {
            proposal_type,
            name,
            external,
            path_required,
        }
    }
    [
        row(ProposalType::ADD, "add", true, false),
        row(ProposalType::UPDATE, "update", false, true),
        row(ProposalType::REMOVE, "remove", true, true),
        row(ProposalType::PSK, "psk", true, false),
        row(ProposalType::REINIT, "reinit", true, false),
        row(ProposalType::EXTERNAL_INIT, "external_init", false, true),
        row(
            ProposalType::GROUP_CONTEXT_EXTENSIONS,
            "group_context_extensions",
            true,
            true,
        ),
    ]
};

/// The proposal types draft-ietf-mls-extensions registers, with their "External" and "Path
/// Required" columns (draft "MLS Proposal Types").
pub const DRAFT_PROPOSAL_TYPES: [ProposalTypeEntry; 3] = [
    ProposalTypeEntry {
        proposal_type: ProposalType::APP_DATA_UPDATE,
        name: "app_data_update",
        external: true,
        path_required: false,
    },
    ProposalTypeEntry {
        proposal_type: ProposalType::APP_EPHEMERAL,
        name: "app_ephemeral",
        external: true,
        path_required: false,
    },
    ProposalTypeEntry {
        proposal_type: ProposalType::SELF_REMOVE,
        name: "self_remove",
        external: false,
        path_required: true,
    },
];

/// `Capabilities` (RFC 9420 §7.2): what the leaf's client supports.
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode)]
pub struct Capabilities {
    /// Supported protocol versions.
    pub versions: Vec<ProtocolVersion>,
    /// Supported cipher suites.
    pub cipher_suites: Vec<CipherSuite>,
    /// Supported non-default extension types.
    pub extensions: Vec<ExtensionType>,
    /// Supported non-default proposal types.
    pub proposals: Vec<ProposalType>,
    /// Supported credential types.
    pub credentials: Vec<CredentialType>,
}

/// `Lifetime` (RFC 9420 §7.2): seconds since the Unix epoch, both bounds inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct Lifetime {
    /// Not valid before this time.
    pub not_before: u64,
    /// Not valid after this time.
    pub not_after: u64,
}

/// `LeafNodeSource` with its source-dependent field (RFC 9420 §7.2).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[repr(u8)]
pub enum LeafNodeSource {
    /// `key_package(1)`: the leaf of a KeyPackage, with its lifetime.
    KeyPackage(Lifetime) = 1,
    /// `update(2)`: the leaf of an Update proposal.
    Update = 2,
    /// `commit(3)`: the leaf of a commit's UpdatePath, with its parent hash.
    Commit(VarBytes) = 3,
}

/// `LeafNode` (RFC 9420 §7.2).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct LeafNode {
    /// The leaf's HPKE public key.
    pub encryption_key: HpkePublicKey,
    /// The member's signature public key.
    pub signature_key: SignaturePublicKey,
    /// The member's credential.
    pub credential: Credential,
    /// What the member's client supports.
    pub capabilities: Capabilities,
    /// Where the leaf came from, with the source-dependent field.
    pub leaf_node_source: LeafNodeSource,
    /// Leaf extensions.
    pub extensions: Vec<Extension>,
    /// `SignWithLabel(., "LeafNodeTBS", LeafNodeTBS)`.
    pub signature: VarBytes,
}

/// A leaf's `LeafNodeTBS` (RFC 9420 §7.2): every field but the signature, then for `update`
/// and `commit` leaves the group id and the leaf's index. Made by [`LeafNode::tbs`].
#[derive(Debug, Clone, Copy)]
pub struct LeafNodeTbs<'a> {
    leaf: &'a LeafNode,
    tail: Option<(&'a [u8], LeafIndex)>,
}

impl Encode for LeafNodeTbs<'_> {
    fn encoded_len(&self) -> usize {
        let l = self.leaf;
        l.encryption_key.encoded_len()
            + l.signature_key.encoded_len()
            + l.credential.encoded_len()
            + l.capabilities.encoded_len()
            + l.leaf_node_source.encoded_len()
            + l.extensions.encoded_len()
            + self
                .tail
                .map_or(0, |(gid, i)| opaque_len(gid) + i.encoded_len())
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        let l = self.leaf;
        l.encryption_key.encode(out)?;
        l.signature_key.encode(out)?;
        l.credential.encode(out)?;
        l.capabilities.encode(out)?;
        l.leaf_node_source.encode(out)?;
        l.extensions.encode(out)?;
        if let Some((group_id, leaf_index)) = self.tail {
            cohort_codec::encode_opaque(group_id, out)?;
            leaf_index.encode(out)?;
        }
        Ok(())
    }
}

impl LeafNode {
    /// The encoded `LeafNodeTBS`: every field but the signature, followed for `update` and
    /// `commit` leaves by the group id and the leaf's index (RFC 9420 §7.2). `group` is ignored
    /// for `key_package` leaves.
    ///
    /// # Errors
    /// A [`CodecError`] when a field is too long to encode.
    pub fn to_be_signed(&self, group: Option<(&[u8], LeafIndex)>) -> Result<Vec<u8>, CodecError> {
        self.tbs(group)?.to_bytes()
    }

    /// The `LeafNodeTBS` of [`LeafNode::to_be_signed`] as a value to encode, for writing it
    /// straight into a larger buffer (a `SignContent`).
    ///
    /// # Errors
    /// [`CodecError::InvalidValue`] for an `update` or `commit` leaf without `group`.
    pub fn tbs<'a>(
        &'a self,
        group: Option<(&'a [u8], LeafIndex)>,
    ) -> Result<LeafNodeTbs<'a>, CodecError> {
        let tail = match (&self.leaf_node_source, group) {
            (LeafNodeSource::KeyPackage(_), _) => None,
            (_, Some(g)) => Some(g),
            (_, None) => {
                return Err(CodecError::InvalidValue {
                    what: "LeafNodeTBS",
                    reason: "update and commit leaves are signed with their group id and index",
                });
            }
        };
        Ok(LeafNodeTbs { leaf: self, tail })
    }

    /// Verifies the leaf's signature under its own `signature_key` (RFC 9420 §7.3, label
    /// `"LeafNodeTBS"`). `group` gives the group id and leaf index that `update` and `commit`
    /// leaves are signed with.
    ///
    /// # Errors
    /// [`crate::TreeError::InvalidLeafSignature`] (reported for `leaf_index`) when the signature
    /// or key is bad; [`crate::TreeError::Crypto`] when our provider failed; an encoding failure.
    pub fn verify_signature(
        &self,
        suite: &dyn SuiteOps,
        group: Option<(&[u8], LeafIndex)>,
        leaf_index: LeafIndex,
    ) -> Result<(), crate::TreeError> {
        let tbs = self.to_be_signed(group)?;
        labeled::verify_with_label(
            suite,
            &self.signature_key,
            b"LeafNodeTBS",
            &tbs,
            &self.signature,
        )
        .map_err(|e: CryptoError| {
            // A failure of our own provider is not the leaf's fault.
            if crate::error::is_provider_failure(&e) {
                crate::TreeError::Crypto(e)
            } else {
                crate::TreeError::InvalidLeafSignature(leaf_index)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(source: LeafNodeSource) -> LeafNode {
        LeafNode {
            encryption_key: HpkePublicKey(vec![1; 32].into()),
            signature_key: SignaturePublicKey(vec![2; 32].into()),
            credential: Credential::basic(b"alice".to_vec()),
            capabilities: Capabilities {
                versions: vec![ProtocolVersion::MLS10],
                cipher_suites: vec![CipherSuite(1)],
                extensions: vec![ExtensionType(0xff00)],
                proposals: Vec::new(),
                credentials: vec![CredentialType::BASIC],
            },
            leaf_node_source: source,
            extensions: vec![Extension {
                extension_type: ExtensionType(0xff00),
                extension_data: vec![7; 3].into(),
            }],
            signature: vec![9; 64].into(),
        }
    }

    /// The `LeafNodeTBS` encoder says its length exactly (the batch check writes it into a
    /// `SignContent` whose length prefix comes first) and encodes what `to_be_signed` returns:
    /// every field but the signature, and the group's id and index for update and commit leaves.
    #[test]
    fn tbs_length_and_bytes() {
        let group = (&b"group"[..], LeafIndex(3));
        let sources = [
            LeafNodeSource::KeyPackage(Lifetime {
                not_before: 1,
                not_after: 2,
            }),
            LeafNodeSource::Update,
            LeafNodeSource::Commit(vec![5; 32].into()),
        ];
        for source in sources {
            let with_group = !matches!(source, LeafNodeSource::KeyPackage(_));
            let leaf = leaf(source);
            let tbs = leaf.tbs(Some(group)).unwrap();
            let bytes = tbs.to_bytes().unwrap();
            assert_eq!(bytes.len(), tbs.encoded_len());
            assert_eq!(bytes, leaf.to_be_signed(Some(group)).unwrap());
            let whole = leaf.to_bytes().unwrap();
            let unsigned = whole.len() - leaf.signature.encoded_len();
            assert_eq!(bytes[..unsigned], whole[..unsigned]);
            let tail = if with_group { 6 + 4 } else { 0 };
            assert_eq!(bytes.len(), unsigned + tail);
            assert_eq!(leaf.tbs(None).is_err(), with_group);
        }
    }
}
