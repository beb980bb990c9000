//! Extensions (RFC 9420 §7.2, §13): typed, opaque-bodied, open to new types.

use cohort_codec::{Decode, Encode, VarBytes};

/// An extension type from the "MLS Extension Types" registry (RFC 9420 §17.3).
///
/// Open registry: unknown values, GREASE included, are carried as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct ExtensionType(pub u16);

impl ExtensionType {
    /// `application_id(1)`, allowed in LeafNodes.
    pub const APPLICATION_ID: Self = Self(1);
    /// `ratchet_tree(2)`, allowed in GroupInfo.
    pub const RATCHET_TREE: Self = Self(2);
    /// `required_capabilities(3)`, allowed in GroupContext.
    pub const REQUIRED_CAPABILITIES: Self = Self(3);
    /// `external_pub(4)`, allowed in GroupInfo.
    pub const EXTERNAL_PUB: Self = Self(4);
    /// `external_senders(5)`, allowed in GroupContext.
    pub const EXTERNAL_SENDERS: Self = Self(5);
    /// `app_data_dictionary(6)` of draft-ietf-mls-extensions (suggested value): application
    /// data by component, allowed in KeyPackages, LeafNodes, GroupContext and GroupInfo.
    pub const APP_DATA_DICTIONARY: Self = Self(0x0006);
    /// `supported_wire_formats(7)` of draft-ietf-mls-extensions (suggested value): the
    /// non-default wire formats a client supports, allowed in LeafNodes.
    pub const SUPPORTED_WIRE_FORMATS: Self = Self(0x0007);
    /// `required_wire_formats(8)` of draft-ietf-mls-extensions (suggested value): the
    /// non-default wire formats every member must support, allowed in the GroupContext.
    pub const REQUIRED_WIRE_FORMATS: Self = Self(0x0008);
    /// `last_resort(10)`, registered in the "MLS Extension Types" registry by the MLS extensions
    /// document; allowed in KeyPackages, it marks a package that may be used more than once.
    pub const LAST_RESORT: Self = Self(0x000a);

    /// Whether this is one of the default extension types of RFC 9420 §7.2, which every
    /// implementation must support and need not list in its capabilities.
    pub fn is_default(self) -> bool {
        (1..=5).contains(&self.0)
    }
}

/// `Extension` (RFC 9420 §7.2): a type and an opaque body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode)]
pub struct Extension {
    /// The type.
    pub extension_type: ExtensionType,
    /// The body, whose format the type defines.
    pub extension_data: VarBytes,
}

impl Extension {
    /// An extension of type `extension_type` with body `data`.
    pub fn new(extension_type: ExtensionType, data: impl Into<Vec<u8>>) -> Self {
        Self {
            extension_type,
            extension_data: VarBytes::new(data.into()),
        }
    }
}

/// The first extension of type `ty` in `list`.
pub fn find(list: &[Extension], ty: ExtensionType) -> Option<&Extension> {
    list.iter().find(|e| e.extension_type == ty)
}

/// Whether some extension type appears twice in `list` (forbidden by RFC 9420 §13.4).
pub fn has_duplicates(list: &[Extension]) -> bool {
    list.iter().enumerate().any(|(i, e)| {
        list[..i]
            .iter()
            .any(|f| f.extension_type == e.extension_type)
    })
}
