//! Message framing (RFC 9420 §6): content, senders, authentication data, and the public and
//! private message formats.
//!
//! Two parts of the grammar are keyed by something outside the struct being read:
//! `FramedContentAuthData.confirmation_tag` by the content type, and `PrivateMessageContent` by
//! the outer `PrivateMessage.content_type`. Those decoders take that context as an argument.

use cohort_codec::{CodecError, Decode, Encode, Reader, VarBytes};
use cohort_tree::leaf::ProtocolVersion;
use cohort_tree::math::LeafIndex;
use subtle::ConstantTimeEq;

use crate::group_context::GroupContext;
use crate::message::WireFormat;
use crate::proposal::{Commit, Proposal};

/// `ContentType` (RFC 9420 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
#[repr(u8)]
pub enum ContentType {
    /// `application(1)`.
    Application = 1,
    /// `proposal(2)`.
    Proposal = 2,
    /// `commit(3)`.
    Commit = 3,
}

/// `Sender` (RFC 9420 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
#[repr(u8)]
pub enum Sender {
    /// `member(1)`: the member at a leaf.
    Member(LeafIndex) = 1,
    /// `external(2)`: an entry of the `external_senders` extension.
    External(u32) = 2,
    /// `new_member_proposal(3)`: a client proposing its own Add.
    NewMemberProposal = 3,
    /// `new_member_commit(4)`: a client joining by external commit.
    NewMemberCommit = 4,
}

/// `MAC` (RFC 9420 §6.1): `opaque MAC<V>`.
///
/// # Security
/// Compare received tags only with [`Mac::ct_eq`].
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Mac(pub VarBytes);

impl Mac {
    /// Constant-time comparison with an expected tag.
    pub fn ct_eq(&self, expected: &[u8]) -> bool {
        // The tag length is public; only the contents are compared in constant time.
        self.0.len() == expected.len() && bool::from(self.0.as_slice().ct_eq(expected))
    }
}

/// The `content_type` select of `FramedContent` (RFC 9420 §6).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[repr(u8)]
pub enum Content {
    /// `application(1)`: application data.
    Application(VarBytes) = 1,
    /// `proposal(2)`.
    Proposal(Proposal) = 2,
    /// `commit(3)`.
    Commit(Commit) = 3,
}

impl Content {
    /// The content's type.
    pub fn content_type(&self) -> ContentType {
        match self {
            Self::Application(_) => ContentType::Application,
            Self::Proposal(_) => ContentType::Proposal,
            Self::Commit(_) => ContentType::Commit,
        }
    }

    /// The size of the body without its content-type byte.
    pub fn body_len(&self) -> usize {
        match self {
            Self::Application(d) => d.encoded_len(),
            Self::Proposal(p) => p.encoded_len(),
            Self::Commit(c) => c.encoded_len(),
        }
    }

    /// Encodes the body without its content-type byte, as `PrivateMessageContent` carries it.
    ///
    /// # Errors
    /// A [`CodecError`] when a field is too long to encode.
    pub fn encode_body(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        match self {
            Self::Application(d) => d.encode(out),
            Self::Proposal(p) => p.encode(out),
            Self::Commit(c) => c.encode(out),
        }
    }

    /// Decodes a body of the given type that has no content-type byte of its own.
    ///
    /// # Errors
    /// A [`CodecError`] when the body is malformed.
    pub fn decode_body(reader: &mut Reader<'_>, ty: ContentType) -> Result<Self, CodecError> {
        Ok(match ty {
            ContentType::Application => Self::Application(Decode::decode(reader)?),
            ContentType::Proposal => Self::Proposal(Decode::decode(reader)?),
            ContentType::Commit => Self::Commit(Decode::decode(reader)?),
        })
    }
}

/// `FramedContent` (RFC 9420 §6).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct FramedContent {
    /// The group's id.
    pub group_id: VarBytes,
    /// The epoch the content was sent in.
    pub epoch: u64,
    /// Who sent it.
    pub sender: Sender,
    /// Application-chosen data authenticated along with the content.
    pub authenticated_data: VarBytes,
    /// The content.
    pub content: Content,
}

/// `FramedContentAuthData` (RFC 9420 §6.1).
///
/// Its `confirmation_tag` is present exactly when the content is a commit, so decoding needs the
/// content type: use [`FramedContentAuthData::decode_for`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramedContentAuthData {
    /// `SignWithLabel(., "FramedContentTBS", FramedContentTBS)`.
    pub signature: VarBytes,
    /// `MAC(confirmation_key, confirmed_transcript_hash)`, for commits only.
    pub confirmation_tag: Option<Mac>,
}

impl FramedContentAuthData {
    /// Decodes the auth data of content of type `ty`.
    ///
    /// # Errors
    /// A [`CodecError`] when malformed.
    pub fn decode_for(reader: &mut Reader<'_>, ty: ContentType) -> Result<Self, CodecError> {
        let signature = VarBytes::decode(reader)?;
        let confirmation_tag = if ty == ContentType::Commit {
            Some(Mac::decode(reader)?)
        } else {
            None
        };
        Ok(Self {
            signature,
            confirmation_tag,
        })
    }

    /// Checks that the tag is present exactly for commits, so that the encoding decodes back
    /// to the same value.
    ///
    /// # Errors
    /// [`CodecError::InvalidValue`] on a mismatch.
    pub fn check_shape(&self, ty: ContentType) -> Result<(), CodecError> {
        if self.confirmation_tag.is_some() == (ty == ContentType::Commit) {
            Ok(())
        } else {
            Err(CodecError::InvalidValue {
                what: "FramedContentAuthData",
                reason: "confirmation_tag must be present exactly for commits",
            })
        }
    }
}

impl Encode for FramedContentAuthData {
    fn encoded_len(&self) -> usize {
        self.signature.encoded_len()
            + self
                .confirmation_tag
                .as_ref()
                .map_or(0, Encode::encoded_len)
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        self.signature.encode(out)?;
        if let Some(tag) = &self.confirmation_tag {
            tag.encode(out)?;
        }
        Ok(())
    }
}

/// `FramedContentTBS` (RFC 9420 §6.1), built for encoding only: what a content signature
/// covers.
#[derive(Debug, Clone, Copy)]
pub struct FramedContentTbs<'a> {
    /// The protocol version.
    pub version: ProtocolVersion,
    /// The wire format the content is (or was) sent in.
    pub wire_format: WireFormat,
    /// The content.
    pub content: &'a FramedContent,
    /// The group context, for `member` and `new_member_commit` senders only.
    pub context: Option<&'a GroupContext>,
}

impl Encode for FramedContentTbs<'_> {
    fn encoded_len(&self) -> usize {
        2 + 2 + self.content.encoded_len() + self.context.map_or(0, Encode::encoded_len)
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        let needs_context = matches!(
            self.content.sender,
            Sender::Member(_) | Sender::NewMemberCommit
        );
        if needs_context != self.context.is_some() {
            return Err(CodecError::InvalidValue {
                what: "FramedContentTBS",
                reason: "the group context is included exactly for member and new-member-commit senders",
            });
        }
        self.version.encode(out)?;
        self.wire_format.encode(out)?;
        self.content.encode(out)?;
        if let Some(ctx) = self.context {
            ctx.encode(out)?;
        }
        Ok(())
    }
}

/// `AuthenticatedContent` (RFC 9420 §6): the input of a ProposalRef and of the confirmed
/// transcript hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedContent {
    /// The wire format it was sent in.
    pub wire_format: WireFormat,
    /// The content.
    pub content: FramedContent,
    /// Its authentication data.
    pub auth: FramedContentAuthData,
}

impl Encode for AuthenticatedContent {
    fn encoded_len(&self) -> usize {
        self.wire_format.encoded_len() + self.content.encoded_len() + self.auth.encoded_len()
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        self.auth.check_shape(self.content.content.content_type())?;
        self.wire_format.encode(out)?;
        self.content.encode(out)?;
        self.auth.encode(out)
    }
}

impl Decode for AuthenticatedContent {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        let wire_format = WireFormat::decode(reader)?;
        let content = FramedContent::decode(reader)?;
        let auth = FramedContentAuthData::decode_for(reader, content.content.content_type())?;
        Ok(Self {
            wire_format,
            content,
            auth,
        })
    }
}

/// `PublicMessage` (RFC 9420 §6.2): signed, and MACed for member senders, but not encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicMessage {
    /// The content.
    pub content: FramedContent,
    /// Its authentication data.
    pub auth: FramedContentAuthData,
    /// `MAC(membership_key, AuthenticatedContentTBM)`, for member senders only.
    pub membership_tag: Option<Mac>,
}

impl Encode for PublicMessage {
    fn encoded_len(&self) -> usize {
        self.content.encoded_len()
            + self.auth.encoded_len()
            + self.membership_tag.as_ref().map_or(0, Encode::encoded_len)
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        self.auth.check_shape(self.content.content.content_type())?;
        if self.membership_tag.is_some() != matches!(self.content.sender, Sender::Member(_)) {
            return Err(CodecError::InvalidValue {
                what: "PublicMessage",
                reason: "membership_tag must be present exactly for member senders",
            });
        }
        self.content.encode(out)?;
        self.auth.encode(out)?;
        if let Some(tag) = &self.membership_tag {
            tag.encode(out)?;
        }
        Ok(())
    }
}

impl Decode for PublicMessage {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        let content = FramedContent::decode(reader)?;
        let auth = FramedContentAuthData::decode_for(reader, content.content.content_type())?;
        let membership_tag = match content.sender {
            Sender::Member(_) => Some(Mac::decode(reader)?),
            _ => None,
        };
        Ok(Self {
            content,
            auth,
            membership_tag,
        })
    }
}

/// `PrivateMessage` (RFC 9420 §6.3): encrypted content with encrypted sender data.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct PrivateMessage {
    /// The group's id.
    pub group_id: VarBytes,
    /// The epoch.
    pub epoch: u64,
    /// The type of the encrypted content.
    pub content_type: ContentType,
    /// Application-chosen data authenticated along with the content.
    pub authenticated_data: VarBytes,
    /// The encrypted `SenderData`.
    pub encrypted_sender_data: VarBytes,
    /// The encrypted `PrivateMessageContent`.
    pub ciphertext: VarBytes,
}

/// `PrivateMessageContent` (RFC 9420 §6.3.1): the plaintext of a PrivateMessage's ciphertext.
///
/// Its body has no type byte (the outer `content_type` gives it), and it ends in zero padding:
/// decode with [`PrivateMessageContent::decode_for`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateMessageContent {
    /// The content.
    pub content: Content,
    /// Its authentication data.
    pub auth: FramedContentAuthData,
    /// The number of zero bytes of padding.
    pub padding_len: usize,
}

impl PrivateMessageContent {
    /// Decodes a whole plaintext for outer content type `ty`: body, auth data, then padding
    /// that must be all zero (RFC 9420 §6.3.1).
    ///
    /// # Errors
    /// A [`CodecError`] when malformed; [`CodecError::InvalidValue`] with `what` =
    /// `"PrivateMessageContent padding"` when a padding byte is not zero.
    pub fn decode_for(plaintext: &[u8], ty: ContentType) -> Result<Self, CodecError> {
        let mut reader = Reader::new(plaintext);
        let content = Content::decode_body(&mut reader, ty)?;
        let auth = FramedContentAuthData::decode_for(&mut reader, ty)?;
        let padding = reader.rest();
        if padding.iter().any(|b| *b != 0) {
            return Err(CodecError::InvalidValue {
                what: "PrivateMessageContent padding",
                reason: "padding bytes must be zero",
            });
        }
        Ok(Self {
            content,
            auth,
            padding_len: padding.len(),
        })
    }
}

impl Encode for PrivateMessageContent {
    fn encoded_len(&self) -> usize {
        self.content.body_len() + self.auth.encoded_len() + self.padding_len
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        self.auth.check_shape(self.content.content_type())?;
        self.content.encode_body(out)?;
        self.auth.encode(out)?;
        out.resize(out.len() + self.padding_len, 0);
        Ok(())
    }
}

/// `PrivateContentAAD` (RFC 9420 §6.3.1): the AAD of the content encryption.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct PrivateContentAad {
    /// The group's id.
    pub group_id: VarBytes,
    /// The epoch.
    pub epoch: u64,
    /// The content type.
    pub content_type: ContentType,
    /// The message's authenticated data.
    pub authenticated_data: VarBytes,
}

/// `SenderData` (RFC 9420 §6.3.2): who sent a PrivateMessage and with which key generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct SenderData {
    /// The sender's leaf.
    pub leaf_index: LeafIndex,
    /// The ratchet generation used.
    pub generation: u32,
    /// XORed into the first four bytes of the content nonce.
    pub reuse_guard: [u8; 4],
}

/// `SenderDataAAD` (RFC 9420 §6.3.2): the AAD of the sender-data encryption.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct SenderDataAad {
    /// The group's id.
    pub group_id: VarBytes,
    /// The epoch.
    pub epoch: u64,
    /// The content type.
    pub content_type: ContentType,
}

/// `ConfirmedTranscriptHashInput` (RFC 9420 §8.2), built for encoding only.
#[derive(Debug, Clone, Copy)]
pub struct ConfirmedTranscriptHashInput<'a> {
    /// The wire format the commit was sent in.
    pub wire_format: WireFormat,
    /// The commit's content.
    pub content: &'a FramedContent,
    /// The commit's signature.
    pub signature: &'a VarBytes,
}

impl Encode for ConfirmedTranscriptHashInput<'_> {
    fn encoded_len(&self) -> usize {
        2 + self.content.encoded_len() + self.signature.encoded_len()
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        self.wire_format.encode(out)?;
        self.content.encode(out)?;
        self.signature.encode(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app_content() -> FramedContent {
        FramedContent {
            group_id: VarBytes::from(vec![1, 2]),
            epoch: 7,
            sender: Sender::Member(LeafIndex(3)),
            authenticated_data: VarBytes::default(),
            content: Content::Application(VarBytes::from(vec![0xaa; 5])),
        }
    }

    #[test]
    fn private_content_round_trips_with_padding() {
        let pmc = PrivateMessageContent {
            content: app_content().content,
            auth: FramedContentAuthData {
                signature: VarBytes::from(vec![5; 4]),
                confirmation_tag: None,
            },
            padding_len: 9,
        };
        let bytes = pmc.to_bytes().expect("encodes");
        assert_eq!(bytes.len(), pmc.encoded_len());
        assert_eq!(
            PrivateMessageContent::decode_for(&bytes, ContentType::Application).expect("decodes"),
            pmc
        );
    }

    #[test]
    fn v_6_3_1_04_non_zero_padding_is_rejected() {
        let pmc = PrivateMessageContent {
            content: app_content().content,
            auth: FramedContentAuthData {
                signature: VarBytes::from(vec![5; 4]),
                confirmation_tag: None,
            },
            padding_len: 3,
        };
        let mut bytes = pmc.to_bytes().expect("encodes");
        let last = bytes.len() - 1;
        bytes[last] = 1;
        assert!(matches!(
            PrivateMessageContent::decode_for(&bytes, ContentType::Application),
            Err(CodecError::InvalidValue {
                what: "PrivateMessageContent padding",
                ..
            })
        ));
    }

    #[test]
    fn v_6_2_03_membership_tag_follows_sender_type() {
        let mut msg = PublicMessage {
            content: app_content(),
            auth: FramedContentAuthData {
                signature: VarBytes::default(),
                confirmation_tag: None,
            },
            membership_tag: None,
        };
        // A member sender without a tag cannot be encoded.
        assert!(msg.to_bytes().is_err());
        msg.membership_tag = Some(Mac(VarBytes::from(vec![1; 32])));
        let bytes = msg.to_bytes().expect("encodes");
        assert_eq!(PublicMessage::from_bytes(&bytes).expect("decodes"), msg);
        // The same bytes with the tag cut off are truncated input.
        assert!(PublicMessage::from_bytes(&bytes[..bytes.len() - 33]).is_err());
    }

    #[test]
    fn mac_comparison_checks_every_byte() {
        let tag = Mac(VarBytes::from(vec![1, 2, 3]));
        assert!(tag.ct_eq(&[1, 2, 3]));
        assert!(!tag.ct_eq(&[1, 2, 4]));
        assert!(!tag.ct_eq(&[1, 2]));
    }
}
