//! Negative tests for TreeKEM: merging and decrypting UpdatePaths (RFC 9420 §7.3, §7.5, §7.6,
//! §7.9.2, §16.7).
//!
//! Each test takes a tree and the members' private state from `treekem.json` (cipher suite 1),
//! has a member create a fresh UpdatePath with [`plan_update_path`] and [`encrypt_update_path`],
//! tampers with it, and checks that the receiver fails with the specific [`UpdatePathError`]
//! variant of that check. Tests are named after the `../shared/spec/CHECKLIST.md` IDs they cover.
//!
//! The cases used:
//! - case 6: 8 leaves, all members, every parent non-blank, no unmerged leaves. Leaf 0's
//!   filtered direct path is 1, 3, 7 with copath children 2 (leaf 1), 5 and 11.
//! - case 10: leaves 0 to 6; parents 1, 3, 7 and 11 non-blank; leaf 5 unmerged at 7 and 11.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail the test on bad vector data"
)]

use std::sync::Arc;

use cohort_codec::{Decode, VarBytes};
use cohort_crypto::{
    CipherSuite, CryptoErrorKind, CryptoProvider, HpkePrivateKey, HpkePublicKey, Secret,
    SignaturePrivateKey, SoftwareSigner, SuiteOps, labeled,
};
use cohort_test_vectors::treekem::TreeKem;
use cohort_tree::RatchetTree;
use cohort_tree::TreeError;
use cohort_tree::leaf::{LeafNodeSource, Lifetime};
use cohort_tree::math::{LeafIndex, NodeIndex};
use cohort_tree::node::{Node, RatchetTreeNodes};
use cohort_tree::path::UpdatePath;
use cohort_tree::treekem::{
    PathPlan, PrivateTree, UpdatePathError, decrypt_update_path, encrypt_update_path,
    merge_update_path, plan_update_path,
};

/// The encoded provisional GroupContext: TreeKEM treats it as opaque bytes, so any fixed value
/// shared by sender and receivers will do here.
const CONTEXT: &[u8] = b"cohort treekem negative tests: provisional GroupContext";

fn suite() -> Arc<dyn SuiteOps> {
    cohort_crypto_rustcrypto::provider()
        .suite(CipherSuite(1))
        .expect("RustCrypto supports suite 1")
}

/// One vector case: its tree and every listed member's signature key and private tree.
struct Group {
    case: TreeKem,
    tree: RatchetTree,
}

impl Group {
    /// Case `index` of `treekem.json`, which must be of suite 1.
    fn load(index: usize) -> Self {
        let cases: Vec<TreeKem> =
            cohort_test_vectors::load(cohort_test_vectors::treekem::STEM).unwrap();
        let case = cases[index].clone();
        assert_eq!(case.cipher_suite, 1, "case {index} is not of suite 1");
        let nodes = RatchetTreeNodes::from_bytes(&case.ratchet_tree).unwrap();
        let tree = RatchetTree::from_nodes(nodes).unwrap();
        Self { case, tree }
    }

    /// The private tree of member `leaf`, with the keys of every path secret it holds.
    fn private(&self, leaf: u32) -> PrivateTree {
        let ops = suite();
        let member = self
            .case
            .leaves_private
            .iter()
            .find(|m| m.index == leaf)
            .expect("a member with private state");
        let key = HpkePrivateKey::new(member.encryption_priv.to_vec());
        let mut private = PrivateTree::new(LeafIndex(leaf), key);
        for ps in &member.path_secrets {
            let secret = Secret::new(ps.path_secret.to_vec());
            private
                .derive_path_keys(&*ops, &self.tree, &[NodeIndex(ps.node)], secret)
                .unwrap();
        }
        private
    }

    fn signer(&self, leaf: u32) -> SoftwareSigner {
        let member = self
            .case
            .leaves_private
            .iter()
            .find(|m| m.index == leaf)
            .expect("a member with private state");
        let key = SignaturePrivateKey::new(member.signature_priv.to_vec());
        SoftwareSigner::from_private(suite(), key).unwrap()
    }

    /// `sender` plans a path on `tree` (a copy of the group's tree, possibly changed by
    /// proposals) and signs its new leaf; returns the sender's tree after the path and the plan.
    fn plan_on(&self, mut tree: RatchetTree, sender: u32) -> (RatchetTree, PathPlan) {
        let ops = suite();
        let leaf_index = LeafIndex(sender);
        let plan = plan_update_path(&mut tree, &*ops, leaf_index).unwrap();
        let mut leaf = tree.leaf(leaf_index).cloned().unwrap();
        leaf.encryption_key = plan.leaf_public_key().clone();
        leaf.leaf_node_source = LeafNodeSource::Commit(VarBytes::from(plan.leaf_parent_hash()));
        let tbs = leaf
            .to_be_signed(Some((&self.case.group_id, leaf_index)))
            .unwrap();
        leaf.signature = labeled::sign_with_label(&self.signer(sender), b"LeafNodeTBS", &tbs)
            .unwrap()
            .into();
        tree.set_leaf(leaf_index, leaf).unwrap();
        (tree, plan)
    }

    /// A fresh, honest UpdatePath from `sender` over `tree`, leaving out `excluded`.
    fn path_on(
        &self,
        tree: RatchetTree,
        sender: u32,
        excluded: &[LeafIndex],
    ) -> (UpdatePath, PathPlan) {
        let (tree, plan) = self.plan_on(tree, sender);
        let leaf = tree.leaf(LeafIndex(sender)).cloned().unwrap();
        let path = encrypt_update_path(&tree, &*suite(), &plan, leaf, CONTEXT, excluded).unwrap();
        (path, plan)
    }

    /// A fresh, honest UpdatePath from `sender` over the group's tree.
    fn path(&self, sender: u32) -> UpdatePath {
        self.path_on(self.tree.clone(), sender, &[]).0
    }

    /// Merges `path` into a copy of the group's tree.
    fn merge(&self, sender: u32, path: &UpdatePath) -> Result<RatchetTree, UpdatePathError> {
        let mut tree = self.tree.clone();
        merge_update_path(&mut tree, &*suite(), LeafIndex(sender), path, &[])?;
        Ok(tree)
    }

    /// Merges `path` and has member `receiver` decrypt it; returns the commit secret.
    fn receive(
        &self,
        sender: u32,
        receiver: u32,
        path: &UpdatePath,
    ) -> Result<Secret, UpdatePathError> {
        let tree = self.merge(sender, path)?;
        let mut private = self.private(receiver);
        let (commit_secret, _, _) = decrypt_update_path(
            &tree,
            &*suite(),
            &mut private,
            LeafIndex(sender),
            path,
            CONTEXT,
            &[],
        )?;
        Ok(commit_secret)
    }
}

/// `bytes` with its last byte flipped.
fn flipped(bytes: &[u8]) -> VarBytes {
    let mut v = bytes.to_vec();
    let last = v.last_mut().expect("non-empty");
    *last ^= 0x01;
    VarBytes::from(v)
}

fn public_key(sk: &HpkePrivateKey) -> HpkePublicKey {
    suite().kem_public_key(sk).unwrap()
}

fn node_key(tree: &RatchetTree, x: NodeIndex) -> Option<&HpkePublicKey> {
    match tree.node(x)? {
        Node::Leaf(l) => Some(&l.encryption_key),
        Node::Parent(p) => Some(&p.encryption_key),
    }
}

/// The control: an untampered fresh path is accepted by every other member, who all derive the
/// sender's commit secret.
#[test]
fn fresh_paths_are_accepted_by_every_member() {
    for index in [6, 10] {
        let g = Group::load(index);
        let (path, plan) = g.path_on(g.tree.clone(), 0, &[]);
        for m in g.case.leaves_private.iter().filter(|m| m.index != 0) {
            let secret = g.receive(0, m.index, &path).unwrap();
            assert_eq!(
                secret,
                *plan.commit_secret(),
                "case {index} leaf {}",
                m.index
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shape of the path (§7.5, §7.6, §7.3)
// ---------------------------------------------------------------------------------------------

/// V-7.5-01: a path one node shorter than the sender's filtered direct path.
#[test]
fn v_7_5_01_path_with_a_node_missing_is_rejected() {
    let g = Group::load(6);
    let mut path = g.path(0);
    path.nodes.pop();
    let err = g.merge(0, &path).unwrap_err();
    assert!(
        matches!(
            err,
            UpdatePathError::WrongLength {
                got: 2,
                expected: 3
            }
        ),
        "{err:?}"
    );
}

/// V-7.5-01: a path one node longer than the sender's filtered direct path.
#[test]
fn v_7_5_01_path_with_an_extra_node_is_rejected() {
    let g = Group::load(6);
    let mut path = g.path(0);
    path.nodes.push(path.nodes[0].clone());
    let err = g.merge(0, &path).unwrap_err();
    assert!(
        matches!(
            err,
            UpdatePathError::WrongLength {
                got: 4,
                expected: 3
            }
        ),
        "{err:?}"
    );
}

/// V-7.6-01: an extra ciphertext at path node 1 (copath child 5, a one-node resolution).
#[test]
fn v_7_6_01_extra_ciphertext_is_rejected() {
    let g = Group::load(6);
    let mut path = g.path(0);
    let extra = path.nodes[1].encrypted_path_secret[0].clone();
    path.nodes[1].encrypted_path_secret.push(extra);
    let err = g.merge(0, &path).unwrap_err();
    assert!(
        matches!(
            err,
            UpdatePathError::CiphertextCount {
                index: 1,
                got: 2,
                expected: 1
            }
        ),
        "{err:?}"
    );
}

/// V-7.6-01: a path node without its ciphertext.
#[test]
fn v_7_6_01_missing_ciphertext_is_rejected() {
    let g = Group::load(6);
    let mut path = g.path(0);
    path.nodes[0].encrypted_path_secret.clear();
    let err = g.merge(0, &path).unwrap_err();
    assert!(
        matches!(
            err,
            UpdatePathError::CiphertextCount {
                index: 0,
                got: 0,
                expected: 1
            }
        ),
        "{err:?}"
    );
}

/// V-7.6-01: leaves added by the same commit are left out of the count. In case 10, leaf 5 is
/// in the resolution of copath child 11 (`[11, leaf 5]`); a path encrypted to it as well has
/// one ciphertext too many at node 2 for a receiver that knows leaf 5 was just added.
#[test]
fn v_7_6_01_ciphertext_to_a_new_member_is_rejected() {
    let g = Group::load(10);
    let (path, _) = g.path_on(g.tree.clone(), 0, &[]);
    let mut tree = g.tree;
    let err =
        merge_update_path(&mut tree, &*suite(), LeafIndex(0), &path, &[LeafIndex(5)]).unwrap_err();
    assert!(
        matches!(
            err,
            UpdatePathError::CiphertextCount {
                index: 2,
                got: 2,
                expected: 1
            }
        ),
        "{err:?}"
    );
}

/// V-7.3-11: the path's leaf must have source `commit`; `update` and `key_package` are refused.
#[test]
fn v_7_3_11_path_leaf_not_of_source_commit_is_rejected() {
    let g = Group::load(6);
    let sources = [
        LeafNodeSource::Update,
        LeafNodeSource::KeyPackage(Lifetime {
            not_before: 0,
            not_after: u64::MAX,
        }),
    ];
    for source in sources {
        let mut path = g.path(0);
        path.leaf_node.leaf_node_source = source;
        let err = g.merge(0, &path).unwrap_err();
        assert!(matches!(err, UpdatePathError::WrongLeafSource), "{err:?}");
    }
}

/// The sender of a path must be a member, and never the receiver itself (RFC 9420 §7.5).
#[test]
fn path_from_a_non_member_or_to_oneself_is_rejected() {
    let g = Group::load(10);
    let path = g.path(0);
    for sender in [7, 1 << 20, (1 << 31) + 1] {
        let mut tree = g.tree.clone();
        let err =
            merge_update_path(&mut tree, &*suite(), LeafIndex(sender), &path, &[]).unwrap_err();
        assert!(
            matches!(err, UpdatePathError::InvalidSender(LeafIndex(s)) if s == sender),
            "{err:?}"
        );
    }
    let tree = g.merge(0, &path).unwrap();
    let mut private = g.private(0);
    let err = decrypt_update_path(
        &tree,
        &*suite(),
        &mut private,
        LeafIndex(0),
        &path,
        CONTEXT,
        &[],
    )
    .unwrap_err();
    assert!(
        matches!(err, UpdatePathError::InvalidSender(LeafIndex(0))),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Parent hashes and public keys (§7.5, §7.9.2)
// ---------------------------------------------------------------------------------------------

/// V-7.5-03 (V-7.9.2-05): the new leaf's parent hash must be that of its first path node.
#[test]
fn v_7_5_03_tampered_leaf_parent_hash_is_rejected() {
    let g = Group::load(6);
    let mut path = g.path(0);
    let LeafNodeSource::Commit(ph) = &path.leaf_node.leaf_node_source else {
        panic!("a fresh path's leaf has source commit");
    };
    path.leaf_node.leaf_node_source = LeafNodeSource::Commit(flipped(ph));
    let err = g.merge(0, &path).unwrap_err();
    assert!(
        matches!(err, UpdatePathError::ParentHashMismatch),
        "{err:?}"
    );
}

/// V-7.5-03: every advertised key is bound by the parent-hash chain, so replacing the key of the
/// top path node (the root) alone is caught when the chain is recomputed at the merge.
#[test]
fn v_7_5_03_replaced_path_key_breaks_the_parent_hash_chain() {
    let g = Group::load(6);
    let mut path = g.path(0);
    path.nodes[2].encryption_key = suite().kem_generate().unwrap().1;
    let err = g.merge(0, &path).unwrap_err();
    assert!(
        matches!(err, UpdatePathError::ParentHashMismatch),
        "{err:?}"
    );
}

/// V-7.5-06: a sender whose advertised keys (with consistent parent hashes) do not come from the
/// path secrets it encrypts. Built from two plans: the keys, parent hashes and leaf of one, the
/// encrypted secrets of the other. The merge succeeds; each receiver fails at the first node it
/// derives: node 1 for leaf 1, node 3 for leaf 2, the root 7 for leaf 4.
#[test]
fn v_7_5_06_advertised_keys_not_derived_from_the_path_secret_are_rejected() {
    let g = Group::load(6);
    let ops = suite();
    let (_, plan_a) = g.plan_on(g.tree.clone(), 0);
    let (tree_b, _) = g.plan_on(g.tree.clone(), 0);
    let leaf_b = tree_b.leaf(LeafIndex(0)).cloned().unwrap();
    let path = encrypt_update_path(&tree_b, &*ops, &plan_a, leaf_b, CONTEXT, &[]).unwrap();
    g.merge(0, &path).unwrap();
    for (receiver, first) in [(1, 1), (2, 3), (4, 7)] {
        let err = g.receive(0, receiver, &path).unwrap_err();
        assert!(
            matches!(err, UpdatePathError::PublicKeyMismatch(NodeIndex(x)) if x == first),
            "leaf {receiver}: {err:?}"
        );
    }
}

/// V-7.5-06: every node above the decryption point is checked, not only the first: with the
/// root's key replaced in the merged tree, leaf 1 derives nodes 1 and 3 correctly and fails at
/// the root.
#[test]
fn v_7_5_06_mismatch_above_the_decryption_point_is_rejected() {
    let g = Group::load(6);
    let ops = suite();
    let path = g.path(0);
    let mut tree = g.merge(0, &path).unwrap();
    let mut root = tree.parent_node(NodeIndex(7)).cloned().unwrap();
    root.encryption_key = ops.kem_generate().unwrap().1;
    tree.set_parent(NodeIndex(7), root).unwrap();
    let mut private = g.private(1);
    let err = decrypt_update_path(
        &tree,
        &*ops,
        &mut private,
        LeafIndex(0),
        &path,
        CONTEXT,
        &[],
    )
    .unwrap_err();
    assert!(
        matches!(err, UpdatePathError::PublicKeyMismatch(NodeIndex(7))),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Decryption (§7.5, §7.6)
// ---------------------------------------------------------------------------------------------

/// V-7.5-05: a tampered HPKE ciphertext fails to open.
#[test]
fn v_7_5_05_tampered_ciphertext_is_rejected() {
    let g = Group::load(6);
    let mut path = g.path(0);
    for node in &mut path.nodes {
        for ct in &mut node.encrypted_path_secret {
            ct.ciphertext = flipped(&ct.ciphertext);
        }
    }
    for receiver in [1, 2, 7] {
        let err = g.receive(0, receiver, &path).unwrap_err();
        assert!(
            matches!(&err, UpdatePathError::Decryption(e) if e.kind() == CryptoErrorKind::AeadOpenFailed),
            "leaf {receiver}: {err:?}"
        );
    }
}

/// V-7.5-05: a path encrypted under another GroupContext does not decrypt.
#[test]
fn v_7_5_05_path_for_another_group_context_is_rejected() {
    let g = Group::load(6);
    let (tree, plan) = g.plan_on(g.tree.clone(), 0);
    let leaf = tree.leaf(LeafIndex(0)).cloned().unwrap();
    let path = encrypt_update_path(&tree, &*suite(), &plan, leaf, b"another context", &[]).unwrap();
    let err = g.receive(0, 1, &path).unwrap_err();
    assert!(
        matches!(&err, UpdatePathError::Decryption(e) if e.kind() == CryptoErrorKind::AeadOpenFailed),
        "{err:?}"
    );
}

/// V-7.6-02: a `kem_output` one byte short or one byte long is not an X25519 encapsulation.
#[test]
fn v_7_6_02_kem_output_of_wrong_length_is_rejected() {
    let g = Group::load(6);
    for delta in [-1isize, 1] {
        let mut path = g.path(0);
        for node in &mut path.nodes {
            for ct in &mut node.encrypted_path_secret {
                let mut enc = ct.kem_output.to_vec();
                if delta < 0 {
                    enc.pop();
                } else {
                    enc.push(0);
                }
                ct.kem_output = VarBytes::from(enc);
            }
        }
        let err = g.receive(0, 1, &path).unwrap_err();
        assert!(
            matches!(err, UpdatePathError::Decryption(_)),
            "delta {delta}: {err:?}"
        );
    }
}

/// V-7.5-04: a receiver that holds no private key in the resolution of its copath child. Leaf 4
/// without its path secrets knows only its leaf key, but the copath child 11 is non-blank.
#[test]
fn v_7_5_04_no_decryptable_node_is_rejected() {
    let g = Group::load(6);
    let ops = suite();
    let path = g.path(0);
    let tree = g.merge(0, &path).unwrap();
    let member = &g.case.leaves_private[4];
    assert_eq!(member.index, 4);
    let leaf_key = HpkePrivateKey::new(member.encryption_priv.to_vec());
    let mut private = PrivateTree::new(LeafIndex(4), leaf_key);
    let err = decrypt_update_path(
        &tree,
        &*ops,
        &mut private,
        LeafIndex(0),
        &path,
        CONTEXT,
        &[],
    )
    .unwrap_err();
    assert!(
        matches!(err, UpdatePathError::NoDecryptableSecret),
        "{err:?}"
    );
}

/// V-7.5-04: a receiver outside the tree, or at a blank leaf, has nothing to decrypt with.
#[test]
fn v_7_5_04_receiver_outside_the_tree_finds_no_ciphertext() {
    let g = Group::load(10);
    let ops = suite();
    let path = g.path(0);
    let tree = g.merge(0, &path).unwrap();
    for own in [7, 100] {
        let mut private = PrivateTree::new(LeafIndex(own), ops.kem_generate().unwrap().0);
        let err = decrypt_update_path(
            &tree,
            &*ops,
            &mut private,
            LeafIndex(0),
            &path,
            CONTEXT,
            &[],
        )
        .unwrap_err();
        assert!(
            matches!(err, UpdatePathError::NoDecryptableSecret),
            "leaf {own}: {err:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Key hygiene and uniqueness (§7.5, §16.7)
// ---------------------------------------------------------------------------------------------

/// V-7.5-08: after merge and decryption, the receiver keeps no private key of a replaced or
/// blanked node. Leaf 3 is removed by the same commit (blanking 6, 5, 3 and 7); leaf 0 commits,
/// setting 1, 3 and 7 again (5 stays blank, its copath child being empty). Leaf 2 held keys for
/// 3, 5 and 7: afterwards it holds its leaf key and the new keys of 3 and 7, nothing for 5.
#[test]
fn v_7_5_08_keys_of_replaced_and_blanked_nodes_are_gone() {
    let g = Group::load(6);
    let ops = suite();
    let mut removed = g.tree.clone();
    removed.remove_leaf(LeafIndex(3)).unwrap();
    let (path, plan) = g.path_on(removed.clone(), 0, &[]);

    let mut private = g.private(2);
    let before: Vec<(NodeIndex, HpkePublicKey)> = private
        .nodes()
        .map(|x| (x, public_key(private.key(x).unwrap())))
        .collect();
    let held: Vec<u32> = before.iter().map(|(x, _)| x.0).collect();
    assert_eq!(held, [3, 4, 5, 7]);

    let mut tree = removed;
    merge_update_path(&mut tree, &*ops, LeafIndex(0), &path, &[]).unwrap();
    let (secret, _, _) = decrypt_update_path(
        &tree,
        &*ops,
        &mut private,
        LeafIndex(0),
        &path,
        CONTEXT,
        &[],
    )
    .unwrap();
    assert_eq!(secret, *plan.commit_secret());

    let after: Vec<u32> = private.nodes().map(|x| x.0).collect();
    assert_eq!(after, [3, 4, 7]);
    assert!(private.key(NodeIndex(5)).is_none());
    for x in private.nodes() {
        let pk = public_key(private.key(x).unwrap());
        assert_eq!(Some(&pk), node_key(&tree, x), "key of node {x:?}");
        if x != LeafIndex(2).node() {
            let old = before.iter().find(|(y, _)| *y == x).map(|(_, k)| k);
            assert_ne!(Some(&pk), old, "node {x:?} kept its old key");
        }
    }
}

/// V-7.5-08: for every receiver of a fresh path, every private key it still holds is the key of
/// a non-blank node on its own direct path, matching the merged tree's public key.
#[test]
fn v_7_5_08_every_receiver_holds_only_current_keys() {
    for index in [6, 10] {
        let g = Group::load(index);
        let ops = suite();
        let path = g.path(0);
        let tree = g.merge(0, &path).unwrap();
        for m in g.case.leaves_private.iter().filter(|m| m.index != 0) {
            let mut private = g.private(m.index);
            decrypt_update_path(
                &tree,
                &*ops,
                &mut private,
                LeafIndex(0),
                &path,
                CONTEXT,
                &[],
            )
            .unwrap();
            for x in private.nodes() {
                let pk = ops.kem_public_key(private.key(x).unwrap()).unwrap();
                assert_eq!(
                    Some(&pk),
                    node_key(&tree, x),
                    "case {index} leaf {}: stale key for {x:?}",
                    m.index
                );
            }
        }
    }
}

/// V-16.7-01: a path whose new leaf reuses another member's encryption key. The merge itself
/// checks only the path's shape, hashes and keys against its own secrets, so the merged tree
/// must go through `validate_structure`, which rejects it.
#[test]
fn v_16_7_01_path_leaf_with_a_members_encryption_key_is_rejected() {
    let g = Group::load(6);
    let ops = suite();
    let taken = g.tree.leaf(LeafIndex(1)).unwrap().encryption_key.clone();
    let mut path = g.path(0);
    path.leaf_node.encryption_key = taken;
    let tree = g.merge(0, &path).unwrap();
    let err = tree.validate_structure().unwrap_err();
    assert!(
        matches!(
            err,
            TreeError::DuplicateEncryptionKey(NodeIndex(0), NodeIndex(2))
        ),
        "{err:?}"
    );
    // The incremental check a receiver runs after a merge (only the path's nodes changed)
    // finds the same collision, and nothing when only unrelated nodes are named.
    let changed: Vec<NodeIndex> = tree
        .filtered_direct_path(LeafIndex(0))
        .into_iter()
        .map(|(x, _)| x)
        .chain([NodeIndex(0)])
        .collect();
    let err = tree.check_changed_keys_unique(&changed).unwrap_err();
    assert!(
        matches!(
            err,
            TreeError::DuplicateEncryptionKey(NodeIndex(0), NodeIndex(2))
        ),
        "{err:?}"
    );
    assert!(g.tree.check_changed_keys_unique(&changed).is_ok());
    // And the signature over the changed leaf no longer verifies.
    let err = tree
        .verify_leaf_signatures(&*ops, &g.case.group_id)
        .unwrap_err();
    assert!(
        matches!(err, TreeError::InvalidLeafSignature(LeafIndex(0))),
        "{err:?}"
    );
}
