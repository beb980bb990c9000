//! Negative tests for ratchet-tree validation (RFC 9420 §7.1, §7.2, §7.3, §7.8, §7.9.2,
//! §12.4.3.1, §12.4.3.3, §16.7).
//!
//! Each test starts from a valid tree of `tree-validation.json` (cipher suite 1), mutates one
//! thing, and checks that validation fails with the specific [`TreeError`] variant of that check.
//! Tests are named after the `../shared/spec/CHECKLIST.md` IDs they cover.
//!
//! The cases used (leaves `c` = source commit, `k` = source key_package):
//! - case 2: 8 leaves `0c..6c 7k`, every parent non-blank, no unmerged leaves.
//! - case 12: 8 leaves `0c..5c 6k 7k`; parent 11 lists leaf 7, parent 13 is blank.
//! - case 13: 7 leaves `0c..4c 5k 6k`; parents 7 and 11 list leaf 5, parent 9 is blank.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail the test on bad vector data"
)]

use std::sync::Arc;

use cohort_codec::{Decode, VarBytes};
use cohort_crypto::{
    CipherSuite, CryptoError, CryptoProvider, Decapsulator, HpkeCiphertext, HpkePrivateKey,
    HpkePublicKey, Secret, SignaturePrivateKey, SignaturePublicKey, SignatureScheme, SuiteOps,
};
use cohort_test_vectors::tree_validation::TreeValidation;
use cohort_tree::leaf::LeafNodeSource;
use cohort_tree::math::{LeafIndex, NodeIndex};
use cohort_tree::node::{Node, ParentNode, RatchetTreeNodes};
use cohort_tree::{RatchetTree, TreeError};

type Nodes = Vec<Option<Arc<Node>>>;

fn suite() -> Arc<dyn SuiteOps> {
    cohort_crypto_rustcrypto::provider()
        .suite(CipherSuite(1))
        .expect("RustCrypto supports suite 1")
}

/// Case `index` of `tree-validation.json`, which must be of suite 1.
fn case(index: usize) -> TreeValidation {
    let cases: Vec<TreeValidation> =
        cohort_test_vectors::load(cohort_test_vectors::tree_validation::STEM).unwrap();
    let case = cases[index].clone();
    assert_eq!(case.cipher_suite, 1, "case {index} is not of suite 1");
    case
}

/// The node list of case `index`, to mutate.
fn nodes(index: usize) -> Nodes {
    RatchetTreeNodes::from_bytes(&case(index).tree).unwrap().0
}

fn tree(nodes: Nodes) -> RatchetTree {
    RatchetTree::from_nodes(RatchetTreeNodes(nodes)).expect("structurally valid node list")
}

fn parent_mut(nodes: &mut Nodes, x: u32) -> &mut ParentNode {
    match nodes[x as usize].as_mut().map(Arc::make_mut) {
        Some(Node::Parent(p)) => p,
        other => panic!("node {x} is not a parent: {other:?}"),
    }
}

fn leaf_mut(nodes: &mut Nodes, leaf: u32) -> &mut cohort_tree::leaf::LeafNode {
    match nodes[2 * leaf as usize].as_mut().map(Arc::make_mut) {
        Some(Node::Leaf(l)) => l,
        other => panic!("leaf {leaf} is blank: {other:?}"),
    }
}

/// `bytes` with its last byte flipped.
fn flipped(bytes: &[u8]) -> VarBytes {
    let mut v = bytes.to_vec();
    let last = v.last_mut().expect("non-empty");
    *last ^= 0x01;
    VarBytes::from(v)
}

fn fresh_hpke_key() -> HpkePublicKey {
    suite().kem_generate().unwrap().1
}

fn unmerged(nodes: &mut Nodes, x: u32) -> &mut Vec<LeafIndex> {
    &mut parent_mut(nodes, x).unmerged_leaves
}

/// The tree checks a joiner runs, in the order the vector runner runs them.
fn validate(tree: &mut RatchetTree, group_id: &[u8]) -> Result<(), TreeError> {
    let ops = suite();
    tree.verify_parent_hashes(&*ops)?;
    tree.validate_structure()?;
    tree.verify_leaf_signatures(&*ops, group_id)
}

#[test]
fn unmutated_vector_trees_are_valid() {
    for index in [2, 12, 13] {
        let c = case(index);
        let mut t = tree(nodes(index));
        validate(&mut t, &c.group_id).unwrap_or_else(|e| panic!("case {index}: {e}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Parent hashes (§7.9.2)
// ---------------------------------------------------------------------------------------------

/// V-7.9.2-01: a tampered `parent_hash` in parent node 5 breaks the chain through it. Its parent
/// 3 (checked first) is then linked by neither child: the link from 5 carries the wrong value,
/// and the link from 1 hashes the tree hash of 5, which changed.
#[test]
fn v_7_9_2_01_tampered_parent_node_parent_hash_is_rejected() {
    let mut n = nodes(2);
    let p = parent_mut(&mut n, 5);
    p.parent_hash = flipped(&p.parent_hash);
    let err = tree(n).verify_parent_hashes(&*suite()).unwrap_err();
    assert!(
        matches!(
            err,
            TreeError::ParentHashCoverage {
                node: NodeIndex(3),
                links: 0
            }
        ),
        "{err:?}"
    );
}

/// V-7.9.2-03: a link D→P holds only when `D.parent_hash == ParentHash(P, S)`. Tampering the
/// commit leaf 0's parent hash leaves parent 1 without a valid link.
#[test]
fn v_7_9_2_03_tampered_leaf_parent_hash_is_rejected() {
    let mut n = nodes(2);
    let leaf = leaf_mut(&mut n, 0);
    let LeafNodeSource::Commit(ph) = &leaf.leaf_node_source else {
        panic!("leaf 0 of case 2 is a commit leaf");
    };
    leaf.leaf_node_source = LeafNodeSource::Commit(flipped(ph));
    let err = tree(n).verify_parent_hashes(&*suite()).unwrap_err();
    assert!(
        matches!(
            err,
            TreeError::ParentHashCoverage {
                node: NodeIndex(1),
                links: 0
            }
        ),
        "{err:?}"
    );
}

/// V-7.9.2-03: a link D→P also needs `P.unmerged_leaves ∩ leaves(C) == resolution(C) \ {D}`.
/// Listing the commit leaf 4 as unmerged at parent 11 too passes the structural checks (leaf 4
/// is a non-blank leaf below 11, and 9 between them is blank), but the resolution of 11 grows
/// to three nodes, so the root 7 (which lists only leaf 5) has no valid link from 11 any more,
/// and the link from its other child hashes 11's changed unmerged list: 7 is covered by none.
#[test]
fn v_7_9_2_03_unmerged_leaves_not_matching_resolution_break_the_link() {
    let mut n = nodes(13);
    *unmerged(&mut n, 11) = vec![LeafIndex(4), LeafIndex(5)];
    let mut t = tree(n);
    t.validate_structure().unwrap();
    let err = t.verify_parent_hashes(&*suite()).unwrap_err();
    assert!(
        matches!(err, TreeError::ParentHashCoverage { links: 0, .. }),
        "{err:?}"
    );
}

/// V-7.9.2-02 (no chain): a parent whose encryption key changed is linked by neither child
/// (every link hashes the parent's key). The root of case 2 is chosen so that no other parent's
/// links depend on it.
#[test]
fn v_7_9_2_02_parent_covered_by_no_chain_is_rejected() {
    let mut n = nodes(2);
    parent_mut(&mut n, 7).encryption_key = fresh_hpke_key();
    let err = tree(n).verify_parent_hashes(&*suite()).unwrap_err();
    assert!(
        matches!(
            err,
            TreeError::ParentHashCoverage {
                node: NodeIndex(7),
                links: 0
            }
        ),
        "{err:?}"
    );
}

/// V-7.9.2-02 (two chains): a parent must be covered by exactly one link. Two valid links to the
/// same parent need a hash collision (each child's parent hash is part of the other side's
/// sibling tree hash), so this test runs the check over a suite whose hash is constant: every
/// parent hash is then the same value, and with every node carrying it, parent 1 is linked from
/// both leaf 0 and leaf 1.
#[test]
fn v_7_9_2_02_parent_covered_twice_is_rejected() {
    let ops = ConstantHash(suite());
    let constant = VarBytes::from(vec![0u8; ops.hash_len()]);
    let mut n = nodes(2);
    for (i, node) in n.iter_mut().enumerate() {
        match node.as_mut().map(Arc::make_mut) {
            Some(Node::Parent(p)) => p.parent_hash = constant.clone(),
            Some(Node::Leaf(l)) => {
                if let LeafNodeSource::Commit(_) = l.leaf_node_source {
                    l.leaf_node_source = LeafNodeSource::Commit(constant.clone());
                }
            }
            None => panic!("case 2 has no blank node, {i} is"),
        }
    }
    let err = tree(n).verify_parent_hashes(&ops).unwrap_err();
    assert!(
        matches!(
            err,
            TreeError::ParentHashCoverage {
                node: NodeIndex(1),
                links: 2
            }
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Unmerged leaves (§7.1, §12.4.3.1)
// ---------------------------------------------------------------------------------------------

/// V-7.1-01: `unmerged_leaves` out of order.
#[test]
fn v_7_1_01_unsorted_unmerged_leaves_are_rejected() {
    let mut n = nodes(13);
    *unmerged(&mut n, 7) = vec![LeafIndex(5), LeafIndex(4)];
    let err = tree(n).validate_structure().unwrap_err();
    assert!(
        matches!(err, TreeError::UnsortedUnmergedLeaves(NodeIndex(7))),
        "{err:?}"
    );
}

/// V-7.1-01: `unmerged_leaves` must be strictly increasing, so a duplicate is rejected too.
#[test]
fn v_7_1_01_duplicate_unmerged_leaf_is_rejected() {
    let mut n = nodes(13);
    *unmerged(&mut n, 11) = vec![LeafIndex(5), LeafIndex(5)];
    let err = tree(n).validate_structure().unwrap_err();
    assert!(
        matches!(err, TreeError::UnsortedUnmergedLeaves(NodeIndex(11))),
        "{err:?}"
    );
}

/// V-7.1-02: an unmerged leaf beyond the tree's leaf count (8).
#[test]
fn v_7_1_02_unmerged_leaf_out_of_range_is_rejected() {
    let mut n = nodes(13);
    unmerged(&mut n, 11).push(LeafIndex(8));
    let err = tree(n).validate_structure().unwrap_err();
    assert!(
        matches!(
            err,
            TreeError::InvalidUnmergedLeaf {
                node: NodeIndex(11),
                leaf: LeafIndex(8)
            }
        ),
        "{err:?}"
    );
}

/// V-7.1-02: an unmerged leaf index of 2^31 + 5 is out of range, even though `2 * leaf` in
/// 32 bits wraps around to node 10, which is leaf 5 and does lie below parents 7 and 11.
#[test]
fn v_7_1_02_unmerged_leaf_whose_node_index_wraps_is_rejected() {
    let wrapped = LeafIndex((1 << 31) + 5);
    let mut n = nodes(13);
    *unmerged(&mut n, 7) = vec![wrapped];
    *unmerged(&mut n, 11) = vec![wrapped];
    let err = tree(n).validate_structure().unwrap_err();
    assert!(
        matches!(err, TreeError::InvalidUnmergedLeaf { leaf, .. } if leaf == wrapped),
        "{err:?}"
    );
}

/// V-12.1.3-01: a leaf index of 2^31 + 1 (a peer's Remove, say) names no member: it must not
/// wrap around onto leaf 1 (node 2).
#[test]
fn v_12_1_3_01_leaf_index_beyond_u32_node_range_names_no_member() {
    let wrapped = LeafIndex((1 << 31) + 1);
    let mut t = tree(nodes(2));
    let before = t.clone();
    assert!(t.leaf(wrapped).is_none());
    let err = t.remove_leaf(wrapped).unwrap_err();
    assert!(
        matches!(err, TreeError::BlankOrMissingLeaf(leaf) if leaf == wrapped),
        "{err:?}"
    );
    let leaf = before.leaf(LeafIndex(1)).cloned().unwrap();
    let err = t.update_leaf(wrapped, leaf.clone()).unwrap_err();
    assert!(matches!(err, TreeError::BlankOrMissingLeaf(_)), "{err:?}");
    let err = t.set_leaf(wrapped, leaf).unwrap_err();
    assert!(matches!(err, TreeError::BlankOrMissingLeaf(_)), "{err:?}");
    assert_eq!(t, before);
}

/// V-12.4.3.1-14: an unmerged leaf that does not descend from the parent listing it (leaf 0 is
/// not below parent 11).
#[test]
fn v_12_4_3_1_14_unmerged_leaf_not_a_descendant_is_rejected() {
    let mut n = nodes(13);
    *unmerged(&mut n, 11) = vec![LeafIndex(0), LeafIndex(5)];
    let err = tree(n).validate_structure().unwrap_err();
    assert!(
        matches!(
            err,
            TreeError::InvalidUnmergedLeaf {
                node: NodeIndex(11),
                leaf: LeafIndex(0)
            }
        ),
        "{err:?}"
    );
}

/// V-12.4.3.1-14: an unmerged leaf that is blank. Leaf 5 is listed at parents 7 and 11; 7 is
/// checked first.
#[test]
fn v_12_4_3_1_14_blank_unmerged_leaf_is_rejected() {
    let mut n = nodes(13);
    n[LeafIndex(5).node().0 as usize] = None;
    let err = tree(n).validate_structure().unwrap_err();
    assert!(
        matches!(
            err,
            TreeError::InvalidUnmergedLeaf {
                node: NodeIndex(7),
                leaf: LeafIndex(5)
            }
        ),
        "{err:?}"
    );
}

/// V-12.4.3.1-15: leaf 5 is unmerged at the root 7 but no longer at the non-blank parent 11
/// between them.
#[test]
fn v_12_4_3_1_15_unmerged_leaf_missing_at_intermediate_parent_is_rejected() {
    let mut n = nodes(13);
    unmerged(&mut n, 11).clear();
    let err = tree(n).validate_structure().unwrap_err();
    assert!(
        matches!(
            err,
            TreeError::UnmergedLeafNotPropagated {
                node: NodeIndex(7),
                leaf: LeafIndex(5),
                intermediate: NodeIndex(11)
            }
        ),
        "{err:?}"
    );
}

/// V-12.4.3.1-15: leaf 7 is unmerged at parent 11; a parent node inserted at the blank 13
/// between them does not list it.
#[test]
fn v_12_4_3_1_15_unmerged_leaf_missing_at_inserted_parent_is_rejected() {
    let mut n = nodes(12);
    assert!(n[13].is_none(), "node 13 of case 12 is blank");
    n[13] = Some(Arc::new(Node::Parent(ParentNode {
        encryption_key: fresh_hpke_key(),
        parent_hash: VarBytes::default(),
        unmerged_leaves: Vec::new(),
    })));
    let err = tree(n).validate_structure().unwrap_err();
    assert!(
        matches!(
            err,
            TreeError::UnmergedLeafNotPropagated {
                node: NodeIndex(11),
                leaf: LeafIndex(7),
                intermediate: NodeIndex(13)
            }
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Key uniqueness (§7.3, §16.7)
// ---------------------------------------------------------------------------------------------

/// V-7.3-13: two leaves with the same encryption key.
#[test]
fn v_7_3_13_duplicate_leaf_encryption_key_is_rejected() {
    let mut n = nodes(2);
    let key = leaf_mut(&mut n, 0).encryption_key.clone();
    leaf_mut(&mut n, 3).encryption_key = key;
    let err = tree(n).validate_structure().unwrap_err();
    assert!(
        matches!(
            err,
            TreeError::DuplicateEncryptionKey(NodeIndex(0), NodeIndex(6))
        ),
        "{err:?}"
    );
}

/// V-16.7-01 (with V-7.3-13): a parent with the encryption key of a leaf.
#[test]
fn v_16_7_01_parent_with_leaf_encryption_key_is_rejected() {
    let mut n = nodes(2);
    let key = leaf_mut(&mut n, 5).encryption_key.clone();
    parent_mut(&mut n, 3).encryption_key = key;
    let err = tree(n).validate_structure().unwrap_err();
    assert!(
        matches!(
            err,
            TreeError::DuplicateEncryptionKey(NodeIndex(3), NodeIndex(10))
        ),
        "{err:?}"
    );
}

/// V-16.7-01 (V-12.4.3.1-16): two parents with the same encryption key.
#[test]
fn v_16_7_01_two_parents_with_one_encryption_key_are_rejected() {
    let mut n = nodes(2);
    let key = parent_mut(&mut n, 1).encryption_key.clone();
    parent_mut(&mut n, 11).encryption_key = key;
    let err = tree(n).validate_structure().unwrap_err();
    assert!(
        matches!(
            err,
            TreeError::DuplicateEncryptionKey(NodeIndex(1), NodeIndex(11))
        ),
        "{err:?}"
    );
}

/// V-7.3-12 (V-12.4.3.1-26): two leaves with the same signature key.
#[test]
fn v_7_3_12_duplicate_signature_key_is_rejected() {
    let mut n = nodes(2);
    let key = leaf_mut(&mut n, 1).signature_key.clone();
    leaf_mut(&mut n, 6).signature_key = key;
    let err = tree(n).validate_structure().unwrap_err();
    assert!(
        matches!(
            err,
            TreeError::DuplicateSignatureKey(LeafIndex(1), LeafIndex(6))
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Leaf signatures (§7.2, §7.3)
// ---------------------------------------------------------------------------------------------

/// V-7.3-02: a commit leaf whose signature was tampered with.
#[test]
fn v_7_3_02_bad_commit_leaf_signature_is_rejected() {
    let c = case(2);
    let mut n = nodes(2);
    let leaf = leaf_mut(&mut n, 3);
    leaf.signature = flipped(&leaf.signature);
    let err = tree(n)
        .verify_leaf_signatures(&*suite(), &c.group_id)
        .unwrap_err();
    assert!(
        matches!(err, TreeError::InvalidLeafSignature(LeafIndex(3))),
        "{err:?}"
    );
}

/// V-7.3-02: a key-package leaf whose signed content changed after signing.
#[test]
fn v_7_3_02_bad_key_package_leaf_signature_is_rejected() {
    let c = case(2);
    let mut n = nodes(2);
    let leaf = leaf_mut(&mut n, 7);
    assert!(matches!(
        leaf.leaf_node_source,
        LeafNodeSource::KeyPackage(_)
    ));
    leaf.encryption_key = fresh_hpke_key();
    let err = tree(n)
        .verify_leaf_signatures(&*suite(), &c.group_id)
        .unwrap_err();
    assert!(
        matches!(err, TreeError::InvalidLeafSignature(LeafIndex(7))),
        "{err:?}"
    );
}

/// V-7.2-07: commit and update leaves are signed with the group id; verifying them under another
/// group id fails at the first such leaf.
#[test]
fn v_7_2_07_leaf_signed_for_another_group_is_rejected() {
    let c = case(2);
    let wrong_group = flipped(&c.group_id);
    let err = tree(nodes(2))
        .verify_leaf_signatures(&*suite(), &wrong_group)
        .unwrap_err();
    assert!(
        matches!(err, TreeError::InvalidLeafSignature(LeafIndex(0))),
        "{err:?}"
    );
}

/// V-7.2-07: commit leaves are signed with the index they occupy; two commit leaves swapped in
/// the tree no longer verify.
#[test]
fn v_7_2_07_leaf_signed_for_another_index_is_rejected() {
    let c = case(2);
    let mut n = nodes(2);
    n.swap(
        LeafIndex(1).node().0 as usize,
        LeafIndex(2).node().0 as usize,
    );
    let err = tree(n)
        .verify_leaf_signatures(&*suite(), &c.group_id)
        .unwrap_err();
    assert!(
        matches!(err, TreeError::InvalidLeafSignature(LeafIndex(1))),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The ratchet_tree node list (§12.4.3.3) and the tree hash (§7.8)
// ---------------------------------------------------------------------------------------------

/// V-12.4.3.3-01: a node list ending in a blank.
#[test]
fn v_12_4_3_3_01_trailing_blank_is_rejected() {
    let mut n = nodes(2);
    n.push(None);
    let err = RatchetTree::from_nodes(RatchetTreeNodes(n)).unwrap_err();
    assert!(matches!(err, TreeError::TrailingBlank), "{err:?}");
}

/// V-12.4.3.3-01: an empty node list.
#[test]
fn v_12_4_3_3_01_empty_node_list_is_rejected() {
    let err = RatchetTree::from_nodes(RatchetTreeNodes(Vec::new())).unwrap_err();
    assert!(matches!(err, TreeError::TrailingBlank), "{err:?}");
}

/// V-12.4.3.3-03: a leaf at an odd (parent) position.
#[test]
fn v_12_4_3_3_03_leaf_at_parent_position_is_rejected() {
    let mut n = nodes(2);
    n[5] = n[4].clone();
    let err = RatchetTree::from_nodes(RatchetTreeNodes(n)).unwrap_err();
    assert!(
        matches!(err, TreeError::NodeTypeMismatch(NodeIndex(5))),
        "{err:?}"
    );
}

/// V-12.4.3.3-03: a parent at an even (leaf) position.
#[test]
fn v_12_4_3_3_03_parent_at_leaf_position_is_rejected() {
    let mut n = nodes(2);
    n[8] = n[9].clone();
    let err = RatchetTree::from_nodes(RatchetTreeNodes(n)).unwrap_err();
    assert!(
        matches!(err, TreeError::NodeTypeMismatch(NodeIndex(8))),
        "{err:?}"
    );
}

/// V-12.4.3.3-02: a list whose last entry is a parent is padded on the right to the next full
/// width (3 nodes for 2 entries), never cut short.
#[test]
fn v_12_4_3_3_02_list_ending_in_a_parent_is_padded_not_truncated() {
    let n = nodes(2);
    let list: Nodes = n[..2].to_vec();
    let t = RatchetTree::from_nodes(RatchetTreeNodes(list.clone())).unwrap();
    assert_eq!(t.leaf_count(), 2);
    assert!(t.parent_node(NodeIndex(1)).is_some());
    assert_eq!(t.to_nodes().0, list);
}

/// V-12.4.3.3-04 (V-7.8-01): the tree hash is checked against the GroupContext's; any change to
/// the tree, or a wrong expected value, is a mismatch.
#[test]
fn v_12_4_3_3_04_tree_hash_mismatch_is_detected() {
    let ops = suite();
    let c = case(2);
    let expected = c.tree_hashes[tree(nodes(2)).root().0 as usize].to_vec();

    let mut t = tree(nodes(2));
    t.verify_tree_hash(&*ops, &expected).unwrap();

    let err = t.verify_tree_hash(&*ops, &flipped(&expected)).unwrap_err();
    assert!(matches!(err, TreeError::TreeHashMismatch), "{err:?}");

    let err = t.verify_tree_hash(&*ops, &[]).unwrap_err();
    assert!(matches!(err, TreeError::TreeHashMismatch), "{err:?}");

    // The same tree with one leaf changed: the cached hashes along its path are invalidated,
    // and the root hash no longer matches.
    let mut leaf = t.leaf(LeafIndex(4)).cloned().unwrap();
    leaf.signature = flipped(&leaf.signature);
    t.set_leaf(LeafIndex(4), leaf).unwrap();
    let err = t.verify_tree_hash(&*ops, &expected).unwrap_err();
    assert!(matches!(err, TreeError::TreeHashMismatch), "{err:?}");
}

/// V-7.8-01: after a change, the cached tree hash equals one computed from scratch.
#[test]
fn v_7_8_01_cached_tree_hash_matches_recomputation_after_a_change() {
    let ops = suite();
    let mut t = tree(nodes(13));
    t.tree_hash(&*ops).unwrap();
    t.remove_leaf(LeafIndex(2)).unwrap();
    let mut leaf = t.leaf(LeafIndex(6)).cloned().unwrap();
    leaf.signature = flipped(&leaf.signature);
    t.set_leaf(LeafIndex(6), leaf).unwrap();
    let cached = t.tree_hash(&*ops).unwrap();
    let mut fresh = RatchetTree::from_nodes(t.to_nodes()).unwrap();
    assert_eq!(cached, fresh.tree_hash(&*ops).unwrap());
}

// ---------------------------------------------------------------------------------------------
// A suite whose hash collides on every input
// ---------------------------------------------------------------------------------------------

/// Suite 1 with `hash` replaced by a constant: every parent hash collides.
#[derive(Debug)]
struct ConstantHash(Arc<dyn SuiteOps>);

impl SuiteOps for ConstantHash {
    fn cipher_suite(&self) -> CipherSuite {
        self.0.cipher_suite()
    }
    fn hash_len(&self) -> usize {
        self.0.hash_len()
    }
    fn aead_key_len(&self) -> usize {
        self.0.aead_key_len()
    }
    fn aead_nonce_len(&self) -> usize {
        self.0.aead_nonce_len()
    }
    fn signature_scheme(&self) -> SignatureScheme {
        self.0.signature_scheme()
    }
    fn hash(&self, _data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(vec![0; self.0.hash_len()])
    }
    fn mac(&self, key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.0.mac(key, data)
    }
    fn kdf_extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        self.0.kdf_extract(salt, ikm)
    }
    fn kdf_expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, CryptoError> {
        self.0.kdf_expand(prk, info, len)
    }
    fn aead_seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.0.aead_seal(key, nonce, aad, plaintext)
    }
    fn aead_open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.0.aead_open(key, nonce, aad, ciphertext)
    }
    fn kem_generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        self.0.kem_generate()
    }
    fn kem_derive(&self, ikm: &[u8]) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        self.0.kem_derive(ikm)
    }
    fn kem_public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        self.0.kem_public_key(sk)
    }
    fn kem_validate_public_key(&self, pk: &HpkePublicKey) -> Result<(), CryptoError> {
        self.0.kem_validate_public_key(pk)
    }
    fn kem_encap(&self, pk: &HpkePublicKey) -> Result<(Secret, Vec<u8>), CryptoError> {
        self.0.kem_encap(pk)
    }
    fn kem_decap(
        &self,
        enc: &[u8],
        sk: &HpkePrivateKey,
        pk: &HpkePublicKey,
    ) -> Result<Secret, CryptoError> {
        self.0.kem_decap(enc, sk, pk)
    }
    fn hpke_seal(
        &self,
        pk: &HpkePublicKey,
        info: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext, CryptoError> {
        self.0.hpke_seal(pk, info, aad, plaintext)
    }
    fn hpke_open(
        &self,
        key: &dyn Decapsulator,
        ciphertext: &HpkeCiphertext,
        info: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.0.hpke_open(key, ciphertext, info, aad)
    }
    fn hpke_export_sender(
        &self,
        pk: &HpkePublicKey,
        info: &[u8],
        exporter_context: &[u8],
        len: usize,
    ) -> Result<(Vec<u8>, Secret), CryptoError> {
        self.0.hpke_export_sender(pk, info, exporter_context, len)
    }
    fn hpke_export_receiver(
        &self,
        key: &dyn Decapsulator,
        enc: &[u8],
        info: &[u8],
        exporter_context: &[u8],
        len: usize,
    ) -> Result<Secret, CryptoError> {
        self.0
            .hpke_export_receiver(key, enc, info, exporter_context, len)
    }
    fn signature_generate(&self) -> Result<(SignaturePrivateKey, SignaturePublicKey), CryptoError> {
        self.0.signature_generate()
    }
    fn signature_public_key(
        &self,
        sk: &SignaturePrivateKey,
    ) -> Result<SignaturePublicKey, CryptoError> {
        self.0.signature_public_key(sk)
    }
    fn sign(&self, sk: &SignaturePrivateKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.0.sign(sk, message)
    }
    fn verify(
        &self,
        pk: &SignaturePublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.0.verify(pk, message, signature)
    }
    fn random_fill(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        self.0.random_fill(out)
    }
}
