//! `key-schedule.json`: the epoch key schedule, GroupContext encoding, exporter and
//! `external_pub` (RFC 9420 §8, §8.1, §8.5, §8.7).
//!
//! Epoch `i` uses a GroupContext with `epoch = i`, the given hashes and no extensions, and takes
//! its `init_secret` from the previous epoch (or `initial_init_secret` for epoch 0).

use serde::Deserialize;

use crate::HexBytes;

/// The file's stem.
pub const STEM: &str = "key-schedule";

/// One case: one cipher suite and a chain of epochs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySchedule {
    /// The cipher suite's registry value.
    pub cipher_suite: u16,
    /// The group's id.
    pub group_id: HexBytes,
    /// The `init_secret` that feeds epoch 0.
    pub initial_init_secret: HexBytes,
    /// The epochs, in order.
    pub epochs: Vec<Epoch>,
}

/// One epoch's inputs and every secret derived from them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Epoch {
    /// Input: the GroupContext's `tree_hash`.
    pub tree_hash: HexBytes,
    /// Input: the `commit_secret`.
    pub commit_secret: HexBytes,
    /// Input: the `psk_secret` (possibly all zero).
    pub psk_secret: HexBytes,
    /// Input: the GroupContext's `confirmed_transcript_hash`.
    pub confirmed_transcript_hash: HexBytes,
    /// The encoded GroupContext.
    pub group_context: HexBytes,
    /// `joiner_secret`.
    pub joiner_secret: HexBytes,
    /// `welcome_secret`.
    pub welcome_secret: HexBytes,
    /// `init_secret`, which feeds the next epoch.
    pub init_secret: HexBytes,
    /// `sender_data_secret`.
    pub sender_data_secret: HexBytes,
    /// `encryption_secret`.
    pub encryption_secret: HexBytes,
    /// `exporter_secret`.
    pub exporter_secret: HexBytes,
    /// `epoch_authenticator`.
    pub epoch_authenticator: HexBytes,
    /// `external_secret`.
    pub external_secret: HexBytes,
    /// `confirmation_key`.
    pub confirmation_key: HexBytes,
    /// `membership_key`.
    pub membership_key: HexBytes,
    /// `resumption_psk`.
    pub resumption_psk: HexBytes,
    /// The public key of `DeriveKeyPair(external_secret)`.
    pub external_pub: HexBytes,
    /// One `MLS-Exporter` known answer.
    pub exporter: Exporter,
}

/// `MLS-Exporter(label, context, length)` known answer (RFC 9420 §8.5).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exporter {
    /// The label, a string. Its characters happen to be hex digits, but it is used as the
    /// string's own bytes (checked against the file's expected outputs), not hex-decoded.
    pub label: String,
    /// The context.
    pub context: HexBytes,
    /// The output length.
    pub length: u32,
    /// The expected output.
    pub secret: HexBytes,
}

#[cfg(test)]
mod tests {
    #[test]
    fn key_schedule_parses() -> Result<(), crate::LoadError> {
        let cases: Vec<super::KeySchedule> = crate::load(super::STEM)?;
        assert_eq!(cases.len(), 7);
        assert!(cases.iter().all(|c| !c.epochs.is_empty()));
        Ok(())
    }
}
