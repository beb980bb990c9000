//! Membership proofs of draft-ietf-mls-partial-02, built from the official tree-validation
//! trees and checked against their tree hashes; and each way a proof can be wrong, refused.

use cohort_codec::{Decode, VarBytes};
use cohort_crypto::{CipherSuite, CryptoProvider, SuiteOps};
use cohort_test_vectors::tree_validation::TreeValidation;
use cohort_tree::RatchetTree;
use cohort_tree::math::LeafIndex;
use cohort_tree::membership::{MembershipProof, MembershipProofError};
use cohort_tree::node::{Node, RatchetTreeNodes};

fn trees() -> Vec<(std::sync::Arc<dyn SuiteOps>, RatchetTree)> {
    let provider = cohort_crypto_rustcrypto::provider();
    cohort_test_vectors::load::<TreeValidation>("tree-validation")
        .expect("tree-validation vectors")
        .into_iter()
        .filter_map(|case| {
            let suite = provider.suite(CipherSuite(case.cipher_suite))?;
            let nodes = RatchetTreeNodes::from_bytes(&case.tree).expect("tree decodes");
            Some((suite, RatchetTree::from_nodes(nodes).expect("tree")))
        })
        .collect()
}

/// A proof for every member of every vector tree leads to that tree's hash, and two members'
/// proofs reference the same tree.
#[test]
fn proofs_from_the_vector_trees_verify() {
    let mut checked = 0;
    for (suite, mut tree) in trees() {
        let root = tree.tree_hash(&*suite).expect("tree hash");
        let members: Vec<LeafIndex> = tree.leaves().map(|(i, _)| i).collect();
        let mut first: Option<MembershipProof> = None;
        for leaf in members {
            let proof = MembershipProof::from_tree(&mut tree, &*suite, leaf).expect("proof");
            proof.verify(&*suite, &root).expect("verifies");
            assert_eq!(proof.leaf(), tree.leaf(leaf));
            if let Some(first) = &first {
                assert_eq!(first.same_tree(&proof, &*suite).expect("same tree"), root);
            } else {
                first = Some(proof);
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} proofs");
}

fn a_proof() -> (std::sync::Arc<dyn SuiteOps>, MembershipProof, Vec<u8>) {
    let (suite, mut tree) = trees()
        .into_iter()
        .find(|(_, t)| t.leaf_count() >= 8 && t.leaf(LeafIndex(0)).is_some())
        .expect("a tree of 8 leaves");
    let root = tree.tree_hash(&*suite).expect("hash");
    let proof = MembershipProof::from_tree(&mut tree, &*suite, LeafIndex(0)).expect("proof");
    (suite, proof, root)
}

#[test]
fn a_changed_copath_hash_or_node_leads_elsewhere() {
    let (suite, proof, root) = a_proof();
    let mut p = proof.clone();
    let mut h = p.copath_hashes[1].hash_value.to_vec();
    h[0] ^= 1;
    p.copath_hashes[1].hash_value = VarBytes::new(h);
    assert!(matches!(
        p.verify(&*suite, &root),
        Err(MembershipProofError::TreeHashMismatch)
    ));
    // Another leaf index (the leaf hash covers it).
    let mut p = proof.clone();
    p.leaf_index = LeafIndex(1);
    assert!(matches!(
        p.verify(&*suite, &root),
        Err(MembershipProofError::TreeHashMismatch)
    ));
    // A parent blanked.
    let mut p = proof.clone();
    if let Some(i) = p
        .direct_path_nodes
        .iter()
        .position(|n| matches!(n, Some(Node::Parent(_))))
    {
        p.direct_path_nodes[i] = None;
        assert!(matches!(
            p.verify(&*suite, &root),
            Err(MembershipProofError::TreeHashMismatch)
        ));
    }
    // Two proofs of different trees.
    let mut p = proof.clone();
    p.copath_hashes[0].hash_value = VarBytes::new(vec![0; 32]);
    assert!(matches!(
        proof.same_tree(&p, &*suite),
        Err(MembershipProofError::DifferentTrees)
    ));
}

#[test]
fn malformed_proofs_are_refused_before_hashing() {
    let (suite, proof, root) = a_proof();
    let check = |p: &MembershipProof| p.verify(&*suite, &root);
    let mut p = proof.clone();
    p.n_leaves = 6;
    assert!(matches!(check(&p), Err(MembershipProofError::LeafCount(6))));
    let mut p = proof.clone();
    p.n_leaves = 0;
    assert!(matches!(check(&p), Err(MembershipProofError::LeafCount(0))));
    let mut p = proof.clone();
    p.leaf_index = LeafIndex(proof.n_leaves);
    assert!(matches!(
        check(&p),
        Err(MembershipProofError::LeafOutOfRange { .. })
    ));
    let mut p = proof.clone();
    p.copath_hashes.pop();
    assert!(matches!(check(&p), Err(MembershipProofError::Shape { .. })));
    let mut p = proof.clone();
    p.direct_path_nodes.push(None);
    assert!(matches!(check(&p), Err(MembershipProofError::Shape { .. })));
    let mut p = proof.clone();
    p.direct_path_nodes[0] = None;
    assert!(matches!(check(&p), Err(MembershipProofError::BlankLeaf)));
    // A leaf where a parent belongs.
    let mut p = proof;
    p.direct_path_nodes[1] = p.direct_path_nodes[0].clone();
    assert!(matches!(check(&p), Err(MembershipProofError::NodeType(1))));
    // A proof for a blank leaf cannot be built.
    let (suite, mut tree) = trees()
        .into_iter()
        .find(|(_, t)| t.leaves().count() < t.leaf_count() as usize)
        .expect("a tree with a blank leaf");
    let blank = (0..tree.leaf_count())
        .map(LeafIndex)
        .find(|l| tree.leaf(*l).is_none())
        .expect("blank leaf");
    assert!(matches!(
        MembershipProof::from_tree(&mut tree, &*suite, blank),
        Err(MembershipProofError::BlankLeaf)
    ));
}
