//! `tree-validation.json`: resolutions, tree hashes, parent hashes and leaf signatures of a
//! ratchet tree (RFC 9420 §4.1.1, §7.2, §7.3, §7.8, §7.9).

use serde::Deserialize;

use crate::HexBytes;

/// The file's stem.
pub const STEM: &str = "tree-validation";

/// One case: one cipher suite and one tree, with per-node expectations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeValidation {
    /// The cipher suite's registry value.
    pub cipher_suite: u16,
    /// The tree, as a serialized `ratchet_tree` extension value.
    pub tree: HexBytes,
    /// The group id, the context of the leaves' signatures.
    pub group_id: HexBytes,
    /// For every node, its resolution as node indices.
    pub resolutions: Vec<Vec<u32>>,
    /// For every node, the tree hash of its subtree.
    pub tree_hashes: Vec<HexBytes>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn tree_validation_parses() -> Result<(), crate::LoadError> {
        let cases: Vec<super::TreeValidation> = crate::load(super::STEM)?;
        assert_eq!(cases.len(), 98);
        assert!(
            cases
                .iter()
                .all(|c| c.resolutions.len() == c.tree_hashes.len())
        );
        Ok(())
    }
}
