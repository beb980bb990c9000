//! Proposals and commits (RFC 9420 §12.1, §12.4).

use cohort_codec::{CodecError, Decode, Encode, Reader, VarBytes};
use cohort_crypto::CipherSuite;
use cohort_tree::extension::Extension;
use cohort_tree::leaf::{LeafNode, ProposalType, ProtocolVersion};
use cohort_tree::math::LeafIndex;
use cohort_tree::path::UpdatePath;

use crate::components::{AppDataUpdate, AppEphemeral};
use crate::key_package::KeyPackage;
use crate::psk::PreSharedKeyId;

/// `Add` (RFC 9420 §12.1.1): add the client of a KeyPackage.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Add {
    /// The new member's KeyPackage.
    pub key_package: KeyPackage,
}

/// `Update` (RFC 9420 §12.1.2): replace the sender's leaf.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Update {
    /// The new leaf, of source `update`.
    pub leaf_node: LeafNode,
}

/// `Remove` (RFC 9420 §12.1.3): remove the member at a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct Remove {
    /// The leaf to remove.
    pub removed: LeafIndex,
}

/// `PreSharedKey` (RFC 9420 §12.1.4): inject a PSK into the next epoch.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct PreSharedKey {
    /// The PSK.
    pub psk: PreSharedKeyId,
}

/// `ReInit` (RFC 9420 §12.1.5): close the group and start a new one with new parameters.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct ReInit {
    /// The new group's id.
    pub group_id: VarBytes,
    /// The new group's protocol version.
    pub version: ProtocolVersion,
    /// The new group's cipher suite.
    pub cipher_suite: CipherSuite,
    /// The new group's GroupContext extensions.
    pub extensions: Vec<Extension>,
}

/// `ExternalInit` (RFC 9420 §12.1.6): the KEM output an external joiner derives its init
/// secret from.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct ExternalInit {
    /// The KEM output, to the group's `external_pub`.
    pub kem_output: VarBytes,
}

/// `GroupContextExtensions` (RFC 9420 §12.1.7): replace the GroupContext's extensions.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct GroupContextExtensions {
    /// The complete new list.
    pub extensions: Vec<Extension>,
}

/// `SelfRemove` (draft-ietf-mls-extensions, "SelfRemove Proposal"): the sender leaves the
/// group. Its body is empty; it is sent as a PublicMessage and committed by reference only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelfRemove {
    /// The code point it travels at: [`ProposalType::SELF_REMOVE`], or the alias it was read
    /// at ([`cohort_codec::DecodeOptions::self_remove_alias`]), kept so it re-encodes as sent.
    pub code_point: ProposalType,
}

impl Default for SelfRemove {
    /// At the draft's code point.
    fn default() -> Self {
        Self {
            code_point: ProposalType::SELF_REMOVE,
        }
    }
}

/// `Proposal` (RFC 9420 §12.1).
///
/// The RFC's `select` has no default arm. For proposal types this library does not define,
/// cohort reads the body as one `opaque<V>` (the convention of the deployed implementations for
/// custom proposals), keeping it as [`Proposal::Custom`] so it survives a round trip.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proposal {
    /// `add(1)`.
    Add(Add),
    /// `update(2)`.
    Update(Update),
    /// `remove(3)`.
    Remove(Remove),
    /// `psk(4)`.
    PreSharedKey(PreSharedKey),
    /// `reinit(5)`.
    ReInit(ReInit),
    /// `external_init(6)`.
    ExternalInit(ExternalInit),
    /// `group_context_extensions(7)`.
    GroupContextExtensions(GroupContextExtensions),
    /// `self_remove` (draft-ietf-mls-extensions), at its code point or an alias.
    SelfRemove(SelfRemove),
    /// `app_data_update` (draft-ietf-mls-extensions, 0x0008).
    AppDataUpdate(AppDataUpdate),
    /// `app_ephemeral` (draft-ietf-mls-extensions, 0x0009).
    AppEphemeral(AppEphemeral),
    /// Any other proposal type, body kept as read.
    Custom {
        /// The type; never one of 1 to 7.
        proposal_type: ProposalType,
        /// The body.
        data: VarBytes,
    },
}

impl Proposal {
    /// The proposal's type.
    pub fn proposal_type(&self) -> ProposalType {
        match self {
            Self::Add(_) => ProposalType::ADD,
            Self::Update(_) => ProposalType::UPDATE,
            Self::Remove(_) => ProposalType::REMOVE,
            Self::PreSharedKey(_) => ProposalType::PSK,
            Self::ReInit(_) => ProposalType::REINIT,
            Self::ExternalInit(_) => ProposalType::EXTERNAL_INIT,
            Self::GroupContextExtensions(_) => ProposalType::GROUP_CONTEXT_EXTENSIONS,
            Self::SelfRemove(s) => s.code_point,
            Self::AppDataUpdate(_) => ProposalType::APP_DATA_UPDATE,
            Self::AppEphemeral(_) => ProposalType::APP_EPHEMERAL,
            Self::Custom { proposal_type, .. } => *proposal_type,
        }
    }
}

impl Encode for Proposal {
    fn encoded_len(&self) -> usize {
        2 + match self {
            Self::Add(p) => p.encoded_len(),
            Self::Update(p) => p.encoded_len(),
            Self::Remove(p) => p.encoded_len(),
            Self::PreSharedKey(p) => p.encoded_len(),
            Self::ReInit(p) => p.encoded_len(),
            Self::ExternalInit(p) => p.encoded_len(),
            Self::GroupContextExtensions(p) => p.encoded_len(),
            Self::SelfRemove(_) => 0,
            Self::AppDataUpdate(p) => p.encoded_len(),
            Self::AppEphemeral(p) => p.encoded_len(),
            Self::Custom { data, .. } => data.encoded_len(),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        self.proposal_type().encode(out)?;
        match self {
            Self::Add(p) => p.encode(out),
            Self::Update(p) => p.encode(out),
            Self::Remove(p) => p.encode(out),
            Self::PreSharedKey(p) => p.encode(out),
            Self::ReInit(p) => p.encode(out),
            Self::ExternalInit(p) => p.encode(out),
            Self::GroupContextExtensions(p) => p.encode(out),
            Self::AppDataUpdate(p) => p.encode(out),
            Self::AppEphemeral(p) => p.encode(out),
            Self::SelfRemove(s) => {
                if s.code_point.is_default() || s.code_point.0 == 0 {
                    return Err(CodecError::InvalidValue {
                        what: "Proposal",
                        reason: "SelfRemove cannot use a reserved or RFC 9420 type",
                    });
                }
                Ok(())
            }
            Self::Custom {
                proposal_type,
                data,
            } => {
                if proposal_type.is_default() || proposal_type.0 == 0 {
                    return Err(CodecError::InvalidValue {
                        what: "Proposal",
                        reason: "a custom proposal cannot use a reserved or RFC 9420 type",
                    });
                }
                data.encode(out)
            }
        }
    }
}

impl Decode for Proposal {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        let proposal_type = ProposalType::decode(reader)?;
        Ok(match proposal_type {
            ProposalType::ADD => Self::Add(Decode::decode(reader)?),
            ProposalType::UPDATE => Self::Update(Decode::decode(reader)?),
            ProposalType::REMOVE => Self::Remove(Decode::decode(reader)?),
            ProposalType::PSK => Self::PreSharedKey(Decode::decode(reader)?),
            ProposalType::REINIT => Self::ReInit(Decode::decode(reader)?),
            ProposalType::EXTERNAL_INIT => Self::ExternalInit(Decode::decode(reader)?),
            ProposalType::GROUP_CONTEXT_EXTENSIONS => {
                Self::GroupContextExtensions(Decode::decode(reader)?)
            }
            ProposalType(0) => {
                return Err(CodecError::UnknownEnum {
                    what: "ProposalType",
                    value: 0,
                });
            }
            ProposalType::SELF_REMOVE => Self::SelfRemove(SelfRemove::default()),
            ProposalType::APP_DATA_UPDATE => Self::AppDataUpdate(Decode::decode(reader)?),
            ProposalType::APP_EPHEMERAL => Self::AppEphemeral(Decode::decode(reader)?),
            t if reader.options().self_remove_alias == Some(t.0) => {
                Self::SelfRemove(SelfRemove { code_point: t })
            }
            _ => Self::Custom {
                proposal_type,
                data: VarBytes::decode(reader)?,
            },
        })
    }
}

/// `ProposalRef` (RFC 9420 §5.2): `RefHash("MLS 1.0 Proposal Reference", AuthenticatedContent)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct ProposalRef(pub VarBytes);

/// `ProposalOrRef` (RFC 9420 §12.4): a proposal carried in a commit by value or by reference.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[repr(u8)]
#[allow(
    clippy::large_enum_variant,
    reason = "commits carry few of these; boxing would cost an allocation per proposal"
)]
pub enum ProposalOrRef {
    /// `proposal(1)`: by value.
    Proposal(Proposal) = 1,
    /// `reference(2)`: a proposal sent earlier in this epoch.
    Reference(ProposalRef) = 2,
}

/// `Commit` (RFC 9420 §12.4).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Commit {
    /// The proposals committed, by value or reference.
    pub proposals: Vec<ProposalOrRef>,
    /// The committer's new path, when present.
    pub path: Option<UpdatePath>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_and_grease_proposals_round_trip() {
        for ty in [0x0a0a_u16, 0xf000] {
            let p = Proposal::Custom {
                proposal_type: ProposalType(ty),
                data: VarBytes::from(vec![9, 8, 7]),
            };
            let bytes = p.to_bytes().expect("encodes");
            assert_eq!(bytes.len(), p.encoded_len());
            assert_eq!(Proposal::from_bytes(&bytes).expect("decodes"), p);
        }
    }

    #[test]
    fn self_remove_is_an_empty_body_at_its_code_point_or_an_alias() {
        let p = Proposal::SelfRemove(SelfRemove::default());
        assert_eq!(p.to_bytes().expect("encodes"), [0x00, 0x0a]);
        assert_eq!(Proposal::from_bytes(&[0x00, 0x0a]).expect("decodes"), p);
        // mls-rs's value reads as a custom proposal (an opaque body) unless aliased.
        let aliased = cohort_codec::DecodeOptions::default().with_self_remove_alias(Some(0xF003));
        let mls_rs = Proposal::from_bytes_with(&[0xf0, 0x03], aliased).expect("decodes");
        assert_eq!(
            mls_rs,
            Proposal::SelfRemove(SelfRemove {
                code_point: ProposalType::SELF_REMOVE_MLS_RS
            })
        );
        assert_eq!(mls_rs.to_bytes().expect("encodes"), [0xf0, 0x03]);
        assert!(matches!(
            Proposal::from_bytes(&[0xf0, 0x03, 0x00]).expect("decodes"),
            Proposal::Custom { .. }
        ));
    }

    #[test]
    fn v_2_1_02_reserved_proposal_type_is_rejected() {
        assert_eq!(
            Proposal::from_bytes(&[0, 0, 0]),
            Err(CodecError::UnknownEnum {
                what: "ProposalType",
                value: 0
            })
        );
    }

    #[test]
    fn v_2_1_02_unknown_proposal_or_ref_type_is_rejected() {
        assert!(matches!(
            ProposalOrRef::from_bytes(&[3, 0]),
            Err(CodecError::UnknownEnum { value: 3, .. })
        ));
    }
}
