//! `transcript-hashes.json`: the confirmed and interim transcript hashes and the confirmation tag
//! (RFC 9420 §6.1, §8.2).

use serde::Deserialize;

use crate::HexBytes;

/// The file's stem.
pub const STEM: &str = "transcript-hashes";

/// One case: one cipher suite and one commit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptHashes {
    /// The cipher suite's registry value.
    pub cipher_suite: u16,
    /// The epoch's `confirmation_key`.
    pub confirmation_key: HexBytes,
    /// A bare `AuthenticatedContent` holding a commit.
    pub authenticated_content: HexBytes,
    /// The interim transcript hash before the commit.
    pub interim_transcript_hash_before: HexBytes,
    /// The expected confirmed transcript hash after the commit.
    pub confirmed_transcript_hash_after: HexBytes,
    /// The expected interim transcript hash after the commit.
    pub interim_transcript_hash_after: HexBytes,
}

#[cfg(test)]
mod tests {
    #[test]
    fn transcript_hashes_parses() -> Result<(), crate::LoadError> {
        let cases: Vec<super::TranscriptHashes> = crate::load(super::STEM)?;
        assert_eq!(cases.len(), 7);
        Ok(())
    }
}
