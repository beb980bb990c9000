//! `MLSMessage` (RFC 9420 §6): the envelope of everything MLS sends.

use cohort_codec::{Decode, Encode};
use cohort_tree::leaf::ProtocolVersion;

use crate::framing::{PrivateMessage, PublicMessage};
use crate::group_info::GroupInfo;
use crate::key_package::KeyPackage;
use crate::welcome::Welcome;

/// A wire format from the "MLS Wire Formats" registry (RFC 9420 §17.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct WireFormat(pub u16);

#[allow(missing_docs)]
impl WireFormat {
    pub const PUBLIC_MESSAGE: Self = Self(1);
    pub const PRIVATE_MESSAGE: Self = Self(2);
    pub const WELCOME: Self = Self(3);
    pub const GROUP_INFO: Self = Self(4);
    pub const KEY_PACKAGE: Self = Self(5);

    /// Whether this is one of the five wire formats of RFC 9420, which every client supports
    /// (and `required_wire_formats` of draft-ietf-mls-extensions need not list).
    pub fn is_default(self) -> bool {
        (1..=5).contains(&self.0)
    }
}

/// The `wire_format` select of `MLSMessage`.
///
/// A wire format this library does not know cannot be parsed (its body has no length prefix),
/// so decoding it fails with `CodecError::UnknownEnum`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[repr(u16)]
pub enum MlsMessageBody {
    /// `mls_public_message(1)`.
    PublicMessage(PublicMessage) = 1,
    /// `mls_private_message(2)`.
    PrivateMessage(PrivateMessage) = 2,
    /// `mls_welcome(3)`.
    Welcome(Welcome) = 3,
    /// `mls_group_info(4)`.
    GroupInfo(GroupInfo) = 4,
    /// `mls_key_package(5)`.
    KeyPackage(KeyPackage) = 5,
}

/// `MLSMessage` (RFC 9420 §6).
///
/// The version is decoded as it is; checking that it is `mls10` (V-6-01) is the receiver's job,
/// so that the error can say which version arrived.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct MlsMessage {
    /// The protocol version.
    pub version: ProtocolVersion,
    /// The message.
    pub body: MlsMessageBody,
}

impl MlsMessage {
    /// An `mls10` message with `body`.
    pub fn new(body: MlsMessageBody) -> Self {
        Self {
            version: ProtocolVersion::MLS10,
            body,
        }
    }

    /// The wire format of the body.
    pub fn wire_format(&self) -> WireFormat {
        match self.body {
            MlsMessageBody::PublicMessage(_) => WireFormat::PUBLIC_MESSAGE,
            MlsMessageBody::PrivateMessage(_) => WireFormat::PRIVATE_MESSAGE,
            MlsMessageBody::Welcome(_) => WireFormat::WELCOME,
            MlsMessageBody::GroupInfo(_) => WireFormat::GROUP_INFO,
            MlsMessageBody::KeyPackage(_) => WireFormat::KEY_PACKAGE,
        }
    }
}
