//! `messages.json`: one encoded example of every wire struct (RFC 9420 §6, §7, §10, §12).
//!
//! Each field must decode as its struct and re-encode to the same bytes. The values carry no
//! semantic guarantee: MACs and signatures may be garbage.

use serde::Deserialize;

use crate::HexBytes;

/// The file's stem.
pub const STEM: &str = "messages";

/// One case: one example of each struct.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Messages {
    /// MLSMessage carrying a Welcome.
    pub mls_welcome: HexBytes,
    /// MLSMessage carrying a GroupInfo.
    pub mls_group_info: HexBytes,
    /// MLSMessage carrying a KeyPackage.
    pub mls_key_package: HexBytes,
    /// A `ratchet_tree` extension value (`optional<Node><V>`).
    pub ratchet_tree: HexBytes,
    /// A bare `GroupSecrets`.
    pub group_secrets: HexBytes,
    /// An `Add` proposal body (no proposal type).
    pub add_proposal: HexBytes,
    /// An `Update` proposal body.
    pub update_proposal: HexBytes,
    /// A `Remove` proposal body.
    pub remove_proposal: HexBytes,
    /// A `PreSharedKey` proposal body.
    pub pre_shared_key_proposal: HexBytes,
    /// A `ReInit` proposal body.
    pub re_init_proposal: HexBytes,
    /// An `ExternalInit` proposal body.
    pub external_init_proposal: HexBytes,
    /// A `GroupContextExtensions` proposal body.
    pub group_context_extensions_proposal: HexBytes,
    /// A bare `Commit`.
    pub commit: HexBytes,
    /// MLSMessage carrying a PublicMessage with application data (syntactically valid, never to
    /// be processed: RFC 9420 §6.2 forbids it).
    pub public_message_application: HexBytes,
    /// MLSMessage carrying a PublicMessage with a proposal.
    pub public_message_proposal: HexBytes,
    /// MLSMessage carrying a PublicMessage with a commit.
    pub public_message_commit: HexBytes,
    /// MLSMessage carrying a PrivateMessage.
    pub private_message: HexBytes,
}

impl Messages {
    /// Every field as `(name, bytes)`, in file order, so a test can walk them all.
    pub fn fields(&self) -> [(&'static str, &[u8]); 17] {
        [
            ("mls_welcome", &self.mls_welcome),
            ("mls_group_info", &self.mls_group_info),
            ("mls_key_package", &self.mls_key_package),
            ("ratchet_tree", &self.ratchet_tree),
            ("group_secrets", &self.group_secrets),
            ("add_proposal", &self.add_proposal),
            ("update_proposal", &self.update_proposal),
            ("remove_proposal", &self.remove_proposal),
            ("pre_shared_key_proposal", &self.pre_shared_key_proposal),
            ("re_init_proposal", &self.re_init_proposal),
            ("external_init_proposal", &self.external_init_proposal),
            (
                "group_context_extensions_proposal",
                &self.group_context_extensions_proposal,
            ),
            ("commit", &self.commit),
            (
                "public_message_application",
                &self.public_message_application,
            ),
            ("public_message_proposal", &self.public_message_proposal),
            ("public_message_commit", &self.public_message_commit),
            ("private_message", &self.private_message),
        ]
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_parses() -> Result<(), crate::LoadError> {
        let cases: Vec<super::Messages> = crate::load(super::STEM)?;
        assert_eq!(cases.len(), 300);
        assert!(cases[0].fields().iter().all(|(_, bytes)| !bytes.is_empty()));
        Ok(())
    }
}
