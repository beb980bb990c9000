//! `tree-math.json`: the array-based tree math of RFC 9420 §4.1 and Appendix C.

use serde::Deserialize;

/// The file's stem.
pub const STEM: &str = "tree-math";

/// One case: one tree size and every node's relatives.
///
/// `left`, `right`, `parent` and `sibling` each have `n_nodes` entries, indexed by node; `None`
/// (JSON `null`) means the relative does not exist.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeMath {
    /// The number of leaves.
    pub n_leaves: u32,
    /// The number of nodes, `node_width(n_leaves)`.
    pub n_nodes: u32,
    /// The root's node index.
    pub root: u32,
    /// `left(i)` for every node `i`.
    pub left: Vec<Option<u32>>,
    /// `right(i)` for every node `i`.
    pub right: Vec<Option<u32>>,
    /// `parent(i)` for every node `i`.
    pub parent: Vec<Option<u32>>,
    /// `sibling(i)` for every node `i`.
    pub sibling: Vec<Option<u32>>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn tree_math_parses() -> Result<(), crate::LoadError> {
        let cases: Vec<super::TreeMath> = crate::load(super::STEM)?;
        assert_eq!(cases.len(), 10);
        for case in &cases {
            assert_eq!(case.left.len(), case.n_nodes as usize);
            assert_eq!(case.sibling.len(), case.n_nodes as usize);
        }
        assert_eq!(cases[0].parent, vec![None]);
        Ok(())
    }
}
