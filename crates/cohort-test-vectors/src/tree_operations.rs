//! `tree-operations.json`: applying Add, Update and Remove proposals to a ratchet tree, with
//! extension and truncation (RFC 9420 §7.7, §7.8, §12.1.1 to §12.1.3).

use serde::Deserialize;

use crate::HexBytes;

/// The file's stem.
pub const STEM: &str = "tree-operations";

/// One case: a tree, one proposal, and the resulting tree.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeOperations {
    /// The cipher suite's registry value.
    pub cipher_suite: u16,
    /// The tree before, as a serialized `ratchet_tree` extension value.
    pub tree_before: HexBytes,
    /// The tree hash of `tree_before`.
    pub tree_hash_before: HexBytes,
    /// A bare `Proposal`.
    pub proposal: HexBytes,
    /// The proposing member's leaf index.
    pub proposal_sender: u32,
    /// The tree after applying the proposal, serialized like `tree_before`.
    pub tree_after: HexBytes,
    /// The tree hash of `tree_after`.
    pub tree_hash_after: HexBytes,
}

#[cfg(test)]
mod tests {
    #[test]
    fn tree_operations_parses() -> Result<(), crate::LoadError> {
        let cases: Vec<super::TreeOperations> = crate::load(super::STEM)?;
        assert_eq!(cases.len(), 5);
        Ok(())
    }
}
