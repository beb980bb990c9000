//! The difference between two ratchet trees as a list of changed slots, so that a tree that
//! differs from a stored one by a path can be stored as that path.
//!
//! A member that creates a commit keeps the next epoch's tree until the commit is accepted. That
//! tree differs from the current one on the committer's direct path (and the leaves the commit
//! adds, updates or removes): [`RatchetTree::changes_from`] lists those slots, and
//! [`RatchetTree::with_changes`] rebuilds the tree from the current one and the list. Comparing
//! costs a pointer comparison per chunk of slots the two trees share, which is all of them but
//! the few the commit wrote.

use std::sync::Arc;

use cohort_codec::{Decode, Encode};

use crate::error::TreeError;
use crate::node::{Node, RatchetTreeNodes};
use crate::tree::RatchetTree;

/// The slots in which one tree differs from another: the length of its node list (as
/// [`RatchetTree::to_nodes`] gives it, without trailing blanks) and each differing slot below
/// it with its new content.
///
/// ```text
/// struct {
///     uint32 length;
///     struct { uint32 index; optional<Node> node; } changed<V>;
/// } TreeChanges;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode)]
pub struct TreeChanges {
    /// The number of slots in the changed tree's node list.
    pub length: u32,
    /// The slots that differ, in increasing index order, each with its new content.
    pub changed: Vec<ChangedSlot>,
}

/// One slot of [`TreeChanges`].
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct ChangedSlot {
    /// The slot's node index.
    pub index: u32,
    /// Its new content (`None` for a blank).
    pub node: Option<Arc<Node>>,
}

impl RatchetTree {
    /// The slots of this tree that differ from `base`'s (see [`TreeChanges`]).
    ///
    /// Chunks of slots that the two trees share (this tree was copied from `base` and changed
    /// on a path) are skipped with one pointer comparison each; the slots of the others are
    /// compared by pointer, then by value.
    pub fn changes_from(&self, base: &RatchetTree) -> TreeChanges {
        let length = self.nodes.rposition(Option::is_some).map_or(0, |i| i + 1);
        let mut changed = Vec::new();
        let mut theirs = base.nodes.chunks();
        let mut start = 0usize;
        for ours in self.nodes.chunks() {
            if start >= length {
                break;
            }
            let other = theirs.next();
            if other.is_some_and(|o| std::ptr::eq(o, ours)) {
                start += ours.items().len();
                continue;
            }
            let other = other.map_or(&[][..], |o| o.items());
            for (k, slot) in ours.items().iter().enumerate() {
                let index = start + k;
                if index >= length {
                    break;
                }
                let same = match (slot, other.get(k).and_then(Option::as_ref)) {
                    (None, None) => true,
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
                    _ => false,
                };
                if !same {
                    changed.push(ChangedSlot {
                        // The tree holds fewer than 2^32 slots (`node_count` is a u32).
                        index: index as u32,
                        node: slot.clone(),
                    });
                }
            }
            start += ours.items().len();
        }
        TreeChanges {
            length: length as u32,
            changed,
        }
    }

    /// The tree that `changes` (from [`RatchetTree::changes_from`]) describe against `base`.
    ///
    /// # Errors
    /// [`TreeError::InvalidChanges`] when a changed slot lies outside the length or the slots
    /// are not in increasing order; the errors of [`RatchetTree::from_nodes`] for a result that
    /// is not a well-formed tree.
    pub fn with_changes(
        base: &RatchetTree,
        changes: TreeChanges,
    ) -> Result<RatchetTree, TreeError> {
        let length = changes.length as usize;
        let mut nodes = base.to_nodes().0;
        nodes.resize_with(length, || None);
        let mut previous: Option<u32> = None;
        for slot in changes.changed {
            if slot.index as usize >= length || previous.is_some_and(|p| p >= slot.index) {
                return Err(TreeError::InvalidChanges);
            }
            previous = Some(slot.index);
            nodes[slot.index as usize] = slot.node;
        }
        RatchetTree::from_nodes(RatchetTreeNodes(nodes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::{LeafIndex, NodeIndex};
    use crate::tree::tests_support::{leaf, parent};

    fn tree(leaves: u32) -> RatchetTree {
        let mut t = RatchetTree::with_first_leaf(leaf(0));
        for i in 1..leaves {
            t.add_leaf(leaf(i as u16)).expect("room");
        }
        t
    }

    #[test]
    fn an_unchanged_copy_has_no_changes() {
        let base = tree(300);
        let changes = base.clone().changes_from(&base);
        assert_eq!(changes.length, base.to_nodes().0.len() as u32);
        assert!(changes.changed.is_empty());
        assert_eq!(
            RatchetTree::with_changes(&base, changes).expect("rebuilt"),
            base
        );
    }

    #[test]
    fn a_changed_path_is_listed_and_rebuilt() {
        let base = tree(300);
        let mut next = base.clone();
        next.update_leaf(LeafIndex(7), leaf(1000))
            .expect("a member");
        next.set_parent(NodeIndex(15), parent(1)).expect("a parent");
        let changes = next.changes_from(&base);
        let indices: Vec<u32> = changes.changed.iter().map(|c| c.index).collect();
        assert!(
            indices.contains(&14) && indices.contains(&15),
            "{indices:?}"
        );
        assert!(indices.len() <= 10, "only the path: {indices:?}");
        let bytes = changes.to_bytes().expect("encodes");
        let decoded = TreeChanges::from_bytes(&bytes).expect("decodes");
        assert_eq!(
            RatchetTree::with_changes(&base, decoded).expect("rebuilt"),
            next
        );
    }

    #[test]
    fn growing_and_shrinking_trees_are_rebuilt() {
        let base = tree(100);
        let mut grown = base.clone();
        for i in 0..50 {
            grown.add_leaf(leaf(500 + i as u16)).expect("room");
        }
        let changes = grown.changes_from(&base);
        assert_eq!(
            RatchetTree::with_changes(&base, changes).expect("rebuilt"),
            grown
        );

        let mut shrunk = base.clone();
        for i in 60..100 {
            shrunk.remove_leaf(LeafIndex(i)).expect("a member");
        }
        shrunk.truncate();
        let changes = shrunk.changes_from(&base);
        assert_eq!(
            RatchetTree::with_changes(&base, changes).expect("rebuilt"),
            shrunk
        );
    }

    #[test]
    fn changes_out_of_order_or_range_are_refused() {
        let base = tree(10);
        let out_of_range = TreeChanges {
            length: 3,
            changed: vec![ChangedSlot {
                index: 3,
                node: None,
            }],
        };
        assert!(matches!(
            RatchetTree::with_changes(&base, out_of_range),
            Err(TreeError::InvalidChanges)
        ));
        let unordered = TreeChanges {
            length: 19,
            changed: vec![
                ChangedSlot {
                    index: 4,
                    node: None,
                },
                ChangedSlot {
                    index: 2,
                    node: None,
                },
            ],
        };
        assert!(matches!(
            RatchetTree::with_changes(&base, unordered),
            Err(TreeError::InvalidChanges)
        ));
    }
}
