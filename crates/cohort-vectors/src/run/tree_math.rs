//! `tree-math`: every relative of every node, for trees of 1 to 512 leaves.

use cohort_test_vectors::tree_math::TreeMath;
use cohort_tree::math::{self, NodeIndex};

use crate::run::Cases;

pub(crate) fn run(cases: &[TreeMath], run: &mut Cases) {
    for (index, case) in cases.iter().enumerate() {
        match check(case) {
            Ok(()) => run.pass(),
            Err(what) => run.fail(index, None, what),
        }
    }
}

fn check(case: &TreeMath) -> Result<(), String> {
    let n = case.n_leaves;
    let width = math::node_width(n);
    if width != case.n_nodes {
        return Err(format!(
            "node_width({n}) = {width}, expected {}",
            case.n_nodes
        ));
    }
    let root = math::root(n).0;
    if root != case.root {
        return Err(format!("root({n}) = {root}, expected {}", case.root));
    }
    compare("left", &case.left, width, math::left)?;
    compare("right", &case.right, width, math::right)?;
    compare("parent", &case.parent, width, |x| math::parent(x, n))?;
    compare("sibling", &case.sibling, width, |x| math::sibling(x, n))
}

/// Checks `relative(x)` against `expected[x]` for every node `x` of a `width`-node tree.
fn compare(
    name: &str,
    expected: &[Option<u32>],
    width: u32,
    relative: impl Fn(NodeIndex) -> Option<NodeIndex>,
) -> Result<(), String> {
    if expected.len() != width as usize {
        return Err(format!(
            "{name} has {} entries for {width} nodes",
            expected.len()
        ));
    }
    for (x, want) in (0..width).zip(expected) {
        let got = relative(NodeIndex(x)).map(|node| node.0);
        if got != *want {
            return Err(format!("{name}({x}) = {got:?}, expected {want:?}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_leaves() -> TreeMath {
        TreeMath {
            n_leaves: 2,
            n_nodes: 3,
            root: 1,
            left: vec![None, Some(0), None],
            right: vec![None, Some(2), None],
            parent: vec![Some(1), None, Some(1)],
            sibling: vec![Some(2), None, Some(0)],
        }
    }

    #[test]
    fn a_correct_case_passes() {
        assert_eq!(check(&two_leaves()), Ok(()));
    }

    #[test]
    fn a_wrong_relative_fails() {
        let mut case = two_leaves();
        case.sibling[2] = Some(1);
        assert_eq!(
            check(&case),
            Err("sibling(2) = Some(0), expected Some(1)".to_owned())
        );
        let mut case = two_leaves();
        case.parent.pop();
        assert!(check(&case).is_err());
        let mut case = two_leaves();
        case.root = 0;
        assert!(check(&case).is_err());
    }
}
