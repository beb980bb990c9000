//! `message-protection.json`: protecting and unprotecting PublicMessage and PrivateMessage
//! (RFC 9420 §6).
//!
//! The group has two members and the sender is leaf 1. The GroupContext is built from the fields
//! here with no extensions.

use serde::Deserialize;

use crate::HexBytes;

/// The file's stem.
pub const STEM: &str = "message-protection";

/// One case: one cipher suite, the group state, the sender's keys and the protected payloads.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageProtection {
    /// The cipher suite's registry value.
    pub cipher_suite: u16,
    /// The GroupContext's `group_id`.
    pub group_id: HexBytes,
    /// The GroupContext's `epoch`.
    pub epoch: u64,
    /// The GroupContext's `tree_hash`.
    pub tree_hash: HexBytes,
    /// The GroupContext's `confirmed_transcript_hash`.
    pub confirmed_transcript_hash: HexBytes,
    /// The sender's signature private key.
    pub signature_priv: HexBytes,
    /// The sender's signature public key.
    pub signature_pub: HexBytes,
    /// The epoch's `encryption_secret` (root of the secret tree).
    pub encryption_secret: HexBytes,
    /// The epoch's `sender_data_secret`.
    pub sender_data_secret: HexBytes,
    /// The epoch's `membership_key`.
    pub membership_key: HexBytes,
    /// A bare `Proposal`.
    pub proposal: HexBytes,
    /// `proposal` as an MLSMessage carrying a PublicMessage.
    pub proposal_pub: HexBytes,
    /// `proposal` as an MLSMessage carrying a PrivateMessage.
    pub proposal_priv: HexBytes,
    /// A bare `Commit`.
    pub commit: HexBytes,
    /// `commit` as an MLSMessage carrying a PublicMessage.
    pub commit_pub: HexBytes,
    /// `commit` as an MLSMessage carrying a PrivateMessage.
    pub commit_priv: HexBytes,
    /// Raw application data.
    pub application: HexBytes,
    /// `application` as an MLSMessage carrying a PrivateMessage.
    pub application_priv: HexBytes,
}

#[cfg(test)]
mod tests {
    #[test]
    fn message_protection_parses() -> Result<(), crate::LoadError> {
        let cases: Vec<super::MessageProtection> = crate::load(super::STEM)?;
        assert_eq!(cases.len(), 7);
        assert_eq!(cases[0].cipher_suite, 1);
        Ok(())
    }
}
