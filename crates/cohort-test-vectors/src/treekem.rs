//! `treekem.json`: UpdatePath creation, decryption and merge (RFC 9420 §7.4 to §7.6, §7.9).
//!
//! The GroupContext for the HPKE calls has the given fields, the tree hash of the tree *after*
//! merging the path, and no extensions.

use serde::Deserialize;

use crate::HexBytes;

/// The file's stem.
pub const STEM: &str = "treekem";

/// One case: one cipher suite, one tree, the members' private state and some update paths.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeKem {
    /// The cipher suite's registry value.
    pub cipher_suite: u16,
    /// The GroupContext's `group_id`.
    pub group_id: HexBytes,
    /// The GroupContext's `epoch`.
    pub epoch: u64,
    /// The GroupContext's `confirmed_transcript_hash`.
    pub confirmed_transcript_hash: HexBytes,
    /// The tree, as a serialized `ratchet_tree` extension value.
    pub ratchet_tree: HexBytes,
    /// Private state of some members.
    pub leaves_private: Vec<LeafPrivate>,
    /// Update paths to process, each against the original tree.
    pub update_paths: Vec<SenderUpdatePath>,
}

/// One member's private state.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeafPrivate {
    /// The member's leaf index.
    pub index: u32,
    /// The leaf's HPKE private key.
    pub encryption_priv: HexBytes,
    /// The leaf's signature private key.
    pub signature_priv: HexBytes,
    /// The path secrets the member holds.
    pub path_secrets: Vec<PathSecret>,
}

/// A path secret held for one node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathSecret {
    /// The node index.
    pub node: u32,
    /// The path secret.
    pub path_secret: HexBytes,
}

/// One UpdatePath from one sender, and what each member must get from it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderUpdatePath {
    /// The sender's leaf index.
    pub sender: u32,
    /// A bare `UpdatePath`.
    pub update_path: HexBytes,
    /// For every leaf `j`, the path secret it decrypts at its common ancestor with the sender;
    /// `None` for the sender itself and for blank leaves.
    pub path_secrets: Vec<Option<HexBytes>>,
    /// The `commit_secret` every member derives.
    pub commit_secret: HexBytes,
    /// The tree hash after merging the path.
    pub tree_hash_after: HexBytes,
}

#[cfg(test)]
mod tests {
    #[test]
    fn treekem_parses() -> Result<(), crate::LoadError> {
        let cases: Vec<super::TreeKem> = crate::load(super::STEM)?;
        assert_eq!(cases.len(), 77);
        assert!(cases.iter().flat_map(|c| &c.update_paths).all(|p| {
            p.path_secrets
                .get(p.sender as usize)
                .is_some_and(Option::is_none)
        }));
        Ok(())
    }
}
