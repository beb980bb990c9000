//! Decoding the requests' fields and encoding the answers (MLSMessages, KeyPackages, Welcomes,
//! ratchet trees, extensions), and the small helpers the operations share.

use cohort::codec::{Decode, Encode};
use cohort::credential::Credential;
use cohort::group::{CommitOutput, HandshakeFormat};
use cohort::messages::group_info::GroupInfo;
use cohort::messages::key_package::KeyPackage;
use cohort::messages::{MlsMessage, MlsMessageBody};
use cohort::tree::extension::{Extension, ExtensionType};
use cohort::tree::math::LeafIndex;
use cohort::tree::node::{Node, RatchetTreeNodes};

use super::Error;
use crate::proto;

/// The GroupInfo of a GroupInfo MLSMessage.
pub(super) fn group_info_message(bytes: &[u8]) -> Result<(MlsMessage, GroupInfo), Error> {
    let message = decode::<MlsMessage>("group_info", bytes)?;
    match &message.body {
        MlsMessageBody::GroupInfo(group_info) => {
            let group_info = group_info.clone();
            Ok((message, group_info))
        }
        _ => Err(Error::WrongMessage {
            field: "group_info",
            expected: "GroupInfo",
        }),
    }
}

/// The ratchet tree in the extension of `group_info`, if it has one.
pub(super) fn tree_of(group_info: &GroupInfo) -> Option<Result<RatchetTreeNodes, Error>> {
    cohort::tree::extension::find(&group_info.extensions, ExtensionType::RATCHET_TREE)
        .map(|e| decode("ratchet_tree extension", e.extension_data.as_slice()))
}

/// The leaf of the member with basic credential `identity` in `tree` (the nodes of a ratchet
/// tree, leaves at even positions).
pub(super) fn leaf_in_tree(tree: &RatchetTreeNodes, identity: &[u8]) -> Result<LeafIndex, Error> {
    tree.0
        .iter()
        .step_by(2)
        .enumerate()
        .find_map(|(leaf, node)| match node.as_deref() {
            Some(Node::Leaf(leaf_node))
                if basic_identity(&leaf_node.credential) == Some(identity) =>
            {
                u32::try_from(leaf).ok().map(LeafIndex)
            }
            _ => None,
        })
        .ok_or_else(|| Error::NoSuchMember(String::from_utf8_lossy(identity).into_owned()))
}

/// The identity of a basic credential.
pub(super) fn basic_identity(credential: &Credential) -> Option<&[u8]> {
    match credential {
        Credential::Basic { identity } => Some(identity.as_slice()),
        _ => None,
    }
}

pub(super) fn format(encrypt_handshake: bool) -> HandshakeFormat {
    if encrypt_handshake {
        HandshakeFormat::Private
    } else {
        HandshakeFormat::Public
    }
}

pub(super) fn decode<T: Decode>(field: &'static str, bytes: &[u8]) -> Result<T, Error> {
    T::from_bytes(bytes).map_err(|source| Error::Malformed { field, source })
}

/// Each of `list`, decoded.
pub(super) fn decode_all<T: Decode>(
    field: &'static str,
    list: &[Vec<u8>],
) -> Result<Vec<T>, Error> {
    list.iter().map(|bytes| decode(field, bytes)).collect()
}

pub(super) fn encode<T: Encode>(value: &T) -> Result<Vec<u8>, Error> {
    value.to_bytes().map_err(Error::Encode)
}

/// A KeyPackage MLSMessage (as the facade takes KeyPackages), checked to carry one.
pub(super) fn key_package_message(bytes: &[u8]) -> Result<MlsMessage, Error> {
    let message = decode::<MlsMessage>("key_package", bytes)?;
    match message.body {
        MlsMessageBody::KeyPackage(_) => Ok(message),
        _ => Err(Error::WrongMessage {
            field: "key_package",
            expected: "KeyPackage",
        }),
    }
}

/// The KeyPackage of a KeyPackage MLSMessage.
pub(super) fn key_package(bytes: &[u8]) -> Result<KeyPackage, Error> {
    key_package_of(key_package_message(bytes)?)
}

pub(super) fn key_package_of(message: MlsMessage) -> Result<KeyPackage, Error> {
    match message.body {
        MlsMessageBody::KeyPackage(kp) => Ok(kp),
        _ => Err(Error::WrongMessage {
            field: "key_package",
            expected: "KeyPackage",
        }),
    }
}

/// A Welcome MLSMessage, checked to carry one.
pub(super) fn welcome_message(bytes: &[u8]) -> Result<MlsMessage, Error> {
    let message = decode::<MlsMessage>("welcome", bytes)?;
    match message.body {
        MlsMessageBody::Welcome(_) => Ok(message),
        _ => Err(Error::WrongMessage {
            field: "welcome",
            expected: "Welcome",
        }),
    }
}

/// A ratchet tree sent out of band: empty means none.
pub(super) fn ratchet_tree(bytes: &[u8]) -> Result<Option<RatchetTreeNodes>, Error> {
    if bytes.is_empty() {
        Ok(None)
    } else {
        decode("ratchet_tree", bytes).map(Some)
    }
}

pub(super) fn extensions(list: &[proto::Extension]) -> Result<Vec<Extension>, Error> {
    list.iter()
        .map(|e| {
            let extension_type = u16::try_from(e.extension_type)
                .map_err(|_| Error::BadExtensionType(e.extension_type))?;
            Ok(Extension {
                extension_type: ExtensionType(extension_type),
                extension_data: e.extension_data.clone().into(),
            })
        })
        .collect()
}

/// Seconds since the Unix epoch (cohort takes time as an argument).
pub(super) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The Welcome of a commit's output, encoded; empty when there is none.
pub(super) fn welcome_bytes(out: &CommitOutput) -> Result<Vec<u8>, Error> {
    Ok(out
        .welcome
        .as_ref()
        .map(encode)
        .transpose()?
        .unwrap_or_default())
}
