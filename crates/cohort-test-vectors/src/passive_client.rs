//! The passive-client files (`passive-client-welcome.json`, `passive-client-handling-commit.json`,
//! `passive-client-random.json`): join from a Welcome, then follow the group's commits and compare
//! each epoch's `epoch_authenticator` (RFC 9420 §12.4.3.1, §12.1 to §12.4, §8.7).
//!
//! All three share one format; any other file in that format can be loaded as well.

use serde::Deserialize;

use crate::HexBytes;

/// The stems of the three upstream files in this format.
pub const STEMS: [&str; 3] = [
    "passive-client-welcome",
    "passive-client-handling-commit",
    "passive-client-random",
];

/// One case: the client's keys, its Welcome, and the epochs to follow.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassiveClient {
    /// The cipher suite's registry value.
    pub cipher_suite: u16,
    /// External PSKs the client knows.
    pub external_psks: Vec<ExternalPsk>,
    /// The client's KeyPackage, wrapped in an MLSMessage (the upstream README says a bare
    /// KeyPackage; the files hold an MLSMessage).
    pub key_package: HexBytes,
    /// The private key matching the leaf's `signature_key`.
    pub signature_priv: HexBytes,
    /// The private key matching the leaf's `encryption_key`.
    pub encryption_priv: HexBytes,
    /// The private key matching the KeyPackage's `init_key`.
    pub init_priv: HexBytes,
    /// An MLSMessage carrying the Welcome.
    pub welcome: HexBytes,
    /// A serialized `ratchet_tree` extension value, or `None` when the GroupInfo in the Welcome
    /// carries the tree.
    pub ratchet_tree: Option<HexBytes>,
    /// The `epoch_authenticator` right after joining.
    pub initial_epoch_authenticator: HexBytes,
    /// The epochs to follow after joining, in order.
    pub epochs: Vec<Epoch>,
}

/// An external PSK.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalPsk {
    /// The external `psk_id`.
    pub psk_id: HexBytes,
    /// The PSK's value.
    pub psk: HexBytes,
}

/// One epoch: proposals sent by reference, then the commit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Epoch {
    /// MLSMessages carrying proposals, to cache before the commit.
    pub proposals: Vec<HexBytes>,
    /// An MLSMessage carrying the commit.
    pub commit: HexBytes,
    /// The `epoch_authenticator` after processing the commit.
    pub epoch_authenticator: HexBytes,
}

#[cfg(test)]
mod tests {
    fn count(stem: &str) -> Result<usize, crate::LoadError> {
        let cases: Vec<super::PassiveClient> = crate::load(stem)?;
        Ok(cases.len())
    }

    #[test]
    fn passive_client_welcome_parses() -> Result<(), crate::LoadError> {
        assert_eq!(count(super::STEMS[0])?, 56);
        Ok(())
    }

    #[test]
    fn passive_client_handling_commit_parses() -> Result<(), crate::LoadError> {
        assert_eq!(count(super::STEMS[1])?, 91);
        Ok(())
    }

    #[test]
    fn passive_client_random_parses() -> Result<(), crate::LoadError> {
        assert_eq!(count(super::STEMS[2])?, 1);
        Ok(())
    }
}
