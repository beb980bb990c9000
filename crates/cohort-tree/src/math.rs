//! Array-based tree math (RFC 9420 §4.1, Appendix C).
//!
//! Nodes of a tree with `n` leaves live in an array of `2n - 1` slots; leaves sit at even
//! indices and parents at odd ones. MLS trees are always full (the leaf count is a power of two),
//! so every function here takes the leaf count of the full tree.
//!
//! ```text
//!               X                 level 2: node 3
//!         X           X           level 1: nodes 1, 5
//!      X     X     X     X        level 0: nodes 0, 2, 4, 6 (leaves 0..=3)
//!      0  1  2  3  4  5  6
//! ```
//!
//! Every function works for any tree up to 2^31 leaves: the arithmetic is done in `u64`, so
//! nothing overflows even at the root of the largest tree.

use cohort_codec::{Decode, Encode};

/// The index of a leaf, counted over leaves only (RFC 9420 §4.1: `leaf_index`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct LeafIndex(pub u32);

/// The index of a node in the array representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct NodeIndex(pub u32);

impl LeafIndex {
    /// The node this leaf occupies: `2 * leaf`.
    ///
    /// A leaf index of 2^31 or more (possible in peer input, never in a tree) maps to
    /// `NodeIndex(u32::MAX)`, which lies outside every tree, instead of wrapping onto a real node.
    pub fn node(self) -> NodeIndex {
        NodeIndex(self.0.saturating_mul(2))
    }
}

impl NodeIndex {
    /// Whether this is a leaf (even index).
    pub fn is_leaf(self) -> bool {
        self.0 % 2 == 0
    }

    /// The leaf index of a leaf node, or `None` for a parent.
    pub fn leaf(self) -> Option<LeafIndex> {
        self.is_leaf().then_some(LeafIndex(self.0 / 2))
    }
}

/// The number of trailing one bits: the node's height above the leaves.
pub fn level(x: NodeIndex) -> u32 {
    x.0.trailing_ones()
}

/// The number of array slots a tree with `n_leaves` leaves uses: `2n - 1`, or 0 for no leaves.
pub fn node_width(n_leaves: u32) -> u32 {
    if n_leaves == 0 {
        0
    } else {
        // n_leaves <= 2^31, so 2(n - 1) + 1 <= 2^32 - 1 fits.
        (2 * (u64::from(n_leaves) - 1) + 1) as u32
    }
}

/// The root of a tree with `n_leaves` leaves (`n_leaves` >= 1).
pub fn root(n_leaves: u32) -> NodeIndex {
    let w = u64::from(node_width(n_leaves));
    if w == 0 {
        return NodeIndex(0);
    }
    // (1 << floor(log2(w))) - 1
    let log = 63 - w.leading_zeros();
    NodeIndex(((1u64 << log) - 1) as u32)
}

/// The left child of a parent node, `None` for a leaf.
pub fn left(x: NodeIndex) -> Option<NodeIndex> {
    let k = level(x);
    (k > 0).then(|| NodeIndex((u64::from(x.0) ^ (1u64 << (k - 1))) as u32))
}

/// The right child of a parent node, `None` for a leaf.
pub fn right(x: NodeIndex) -> Option<NodeIndex> {
    let k = level(x);
    (k > 0).then(|| NodeIndex((u64::from(x.0) ^ (3u64 << (k - 1))) as u32))
}

/// The parent of `x` in a tree of `n_leaves` leaves; `None` for the root or a node outside the
/// tree.
pub fn parent(x: NodeIndex, n_leaves: u32) -> Option<NodeIndex> {
    if x == root(n_leaves) || x.0 >= node_width(n_leaves) {
        return None;
    }
    let k = level(x);
    let v = u64::from(x.0);
    let b = (v >> (k + 1)) & 1;
    Some(NodeIndex(((v | (1u64 << k)) ^ (b << (k + 1))) as u32))
}

/// The other child of `x`'s parent; `None` for the root.
pub fn sibling(x: NodeIndex, n_leaves: u32) -> Option<NodeIndex> {
    let p = parent(x, n_leaves)?;
    if x.0 < p.0 { right(p) } else { left(p) }
}

/// The direct path of `x`: its ancestors from its parent up to and including the root.
pub fn direct_path(x: NodeIndex, n_leaves: u32) -> Vec<NodeIndex> {
    let mut out = Vec::with_capacity(level(root(n_leaves)) as usize);
    let mut cur = x;
    while let Some(p) = parent(cur, n_leaves) {
        out.push(p);
        cur = p;
    }
    out
}

/// The copath of `x`: the sibling of `x` and of each node of its direct path below the root.
pub fn copath(x: NodeIndex, n_leaves: u32) -> Vec<NodeIndex> {
    let mut out = Vec::with_capacity(level(root(n_leaves)) as usize);
    let mut cur = x;
    while let Some(s) = sibling(cur, n_leaves) {
        out.push(s);
        cur = match parent(cur, n_leaves) {
            Some(p) => p,
            None => break,
        };
    }
    out
}

/// The lowest common ancestor of two nodes (RFC 9420 Appendix C, `common_ancestor_direct`).
pub fn common_ancestor(x: NodeIndex, y: NodeIndex) -> NodeIndex {
    let (xv, yv) = (u64::from(x.0), u64::from(y.0));
    // One node may be an ancestor of the other.
    let (lx, ly) = (level(x) + 1, level(y) + 1);
    if lx <= ly && xv >> ly == yv >> ly {
        return y;
    }
    if ly <= lx && xv >> lx == yv >> lx {
        return x;
    }
    // Otherwise strip low bits until the prefixes agree; k >= 1 here because x != y.
    let (mut a, mut b, mut k) = (xv, yv, 0u32);
    while a != b {
        a >>= 1;
        b >>= 1;
        k += 1;
    }
    NodeIndex(((a << k) + (1u64 << (k - 1)) - 1) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_tree_matches_the_rfc_picture() {
        assert_eq!(node_width(4), 7);
        assert_eq!(root(4), NodeIndex(3));
        assert_eq!(left(NodeIndex(3)), Some(NodeIndex(1)));
        assert_eq!(right(NodeIndex(3)), Some(NodeIndex(5)));
        assert_eq!(parent(NodeIndex(2), 4), Some(NodeIndex(1)));
        assert_eq!(sibling(NodeIndex(4), 4), Some(NodeIndex(6)));
        assert_eq!(copath(NodeIndex(0), 4), vec![NodeIndex(2), NodeIndex(5)]);
        assert_eq!(parent(NodeIndex(3), 4), None);
    }

    #[test]
    fn largest_tree_does_not_overflow() {
        let n = 1u32 << 31;
        assert_eq!(node_width(n), u32::MAX);
        let r = root(n);
        assert_eq!(r, NodeIndex((1u32 << 31) - 1));
        assert_eq!(level(r), 31);
        let last = LeafIndex(n - 1).node();
        assert_eq!(last, NodeIndex(u32::MAX - 1));
        let path = direct_path(last, n);
        assert_eq!(path.len(), 31);
        assert_eq!(path.last(), Some(&r));
        assert_eq!(copath(last, n).len(), 31);
        assert_eq!(right(r), Some(NodeIndex(r.0 + (1 << 30))));
    }

    fn brute_common_ancestor(x: NodeIndex, y: NodeIndex, n: u32) -> NodeIndex {
        let mut px = vec![x];
        px.extend(direct_path(x, n));
        let mut py = vec![y];
        py.extend(direct_path(y, n));
        *px.iter()
            .find(|a| py.contains(a))
            .expect("the root is shared")
    }

    proptest! {
        #[test]
        fn parent_of_child_is_self(k in 1u32..10, i in 0u32..512) {
            let n = 1u32 << k;
            let x = NodeIndex(i % node_width(n));
            if let (Some(l), Some(r)) = (left(x), right(x)) {
                prop_assert_eq!(parent(l, n), Some(x));
                prop_assert_eq!(parent(r, n), Some(x));
                prop_assert_eq!(sibling(l, n), Some(r));
            }
            prop_assert_eq!(direct_path(x, n).len() + level(x) as usize, level(root(n)) as usize);
        }

        #[test]
        fn common_ancestor_matches_brute_force(k in 0u32..8, a in 0u32..256, b in 0u32..256) {
            let n = 1u32 << k;
            let w = node_width(n);
            let (x, y) = (NodeIndex(a % w), NodeIndex(b % w));
            prop_assert_eq!(common_ancestor(x, y), brute_common_ancestor(x, y, n));
        }
    }
}
