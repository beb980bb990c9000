//! **Scalability** (RFC 9420 §16.1 "efficiency", §7.4, §7.6): in a tree with no blank parent
//! nodes and no unmerged leaves, a commit's UpdatePath carries one HPKE ciphertext per copath
//! node, so its cost grows as log N, not N.
//!
//! Attacker model: none; the "attacker" is a group that grows. Costs are counted (HPKE
//! ciphertexts, encoded bytes), never timed.
//!
//! The groups of 16, 64 and 256 members are built so that every parent node is filled without
//! every member having to stay online: alice adds leaves two at a time; the new member on the
//! even leaf joins and at once commits a self-update (filling its whole direct path, which also
//! clears the unmerged entry of its odd neighbour); alice processes it, and that member is
//! never needed again. Growing a group that way to 16,384 members would take N/2 joins, each
//! validating the whole tree: O(N²) signatures. So for N = 16 to 16,384 the UpdatePath is built
//! at the TreeKEM layer (`cohort_tree::treekem`, the code every commit runs) over a full tree
//! assembled directly, every leaf and parent with its own HPKE key: the committer's ciphertexts
//! and the encoded path are counted and fitted against log2 N and against N.
//!
//! Seen to fail, in a scratch build on all three backends: resolving a non-blank parent node
//! to the leaves below it instead of to itself (`RatchetTree::resolve_into` in cohort-tree), so
//! that every commit encrypts to each leaf, fails `update_paths_grow_as_log_n_up_to_16384_members`
//! at its first size. A control test also counts a tree whose parents off the committer's path
//! are blank, where the cost is N - 1 ciphertexts, and checks that the bound used above rejects
//! it.

use cohort::codec::Encode;
use cohort::group::{CommitOptions, GroupConfig};
use cohort::tree::math::{self, NodeIndex};

use crate::support::{Backend, Member, apply, check_path_recipients, welcome_of};

on_every_backend!(
    an_update_path_costs_log_n_ciphertexts,
    the_count_sees_linear_cost_in_a_tree_with_blank_parents,
    update_paths_grow_as_log_n_up_to_16384_members,
);

/// A group of `n` members (a power of two) whose tree has no blank parent and no unmerged leaf;
/// only alice's group is kept.
fn full_tree(b: &Backend, n: u32) -> Member {
    let config = GroupConfig::default();
    let mut alice = b.create("alice", b"scalability", config.clone());
    let (kp1, _, _) = b.key_package("m1");
    let out = alice
        .group
        .add_members(&alice.signer, vec![kp1], &CommitOptions::new(), None)
        .expect("add m1");
    alice.group.merge_pending_commit().expect("merge");
    drop(out);
    for k in 1..n / 2 {
        let (even, even_secrets, even_signer) = b.key_package(&format!("m{}", 2 * k));
        let (odd, _, _) = b.key_package(&format!("m{}", 2 * k + 1));
        let out = alice
            .group
            .add_members(
                &alice.signer,
                vec![even.clone(), odd],
                &CommitOptions::new(),
                None,
            )
            .expect("add a pair");
        alice.group.merge_pending_commit().expect("merge");
        let group = b
            .join(
                &welcome_of(&out),
                &even,
                &even_secrets,
                None,
                config.clone(),
            )
            .expect("join");
        let mut newcomer = Member {
            name: format!("m{}", 2 * k),
            signer: even_signer,
            group,
        };
        assert_eq!(newcomer.leaf().0, 2 * k);
        let c = newcomer.self_update(&CommitOptions::new());
        apply(&mut alice.group, &c.commit);
    }
    let tree = alice.group.tree();
    assert_eq!(tree.leaf_count(), n);
    assert_eq!(alice.group.members().count(), n as usize);
    for (x, parent) in tree.parents() {
        assert!(
            parent.unmerged_leaves.is_empty(),
            "unmerged leaves at {x:?}"
        );
    }
    assert_eq!(tree.parents().count(), n as usize - 1, "a blank parent");
    alice
}

/// In full trees of 16, 64 and 256 members a self-update carries exactly log2(N) ciphertexts,
/// one per copath node; the commit's size grows by a constant per quadrupling of N, far below
/// linear.
fn an_update_path_costs_log_n_ciphertexts(b: &Backend) {
    let mut sizes = Vec::new();
    for n in [16u32, 64, 256] {
        let mut alice = full_tree(b, n);
        let c = alice.self_update(&CommitOptions::new());
        let count = check_path_recipients(&c.commit, alice.group.tree(), alice.leaf(), &[]);
        let log = n.ilog2() as usize;
        let copath = math::copath(NodeIndex(0), n).len();
        assert_eq!(copath, log);
        assert_eq!(count, copath, "{}: N = {n}", b.name);
        assert!(count <= 2 * log + 2);
        sizes.push((n, c.commit.to_bytes().expect("encode").len()));
    }
    // The size is a + b·log2(N): equal steps for each quadrupling, and nowhere near N.
    let step1 = sizes[1].1 - sizes[0].1;
    let step2 = sizes[2].1 - sizes[1].1;
    assert!(step1.abs_diff(step2) <= 8, "{}: sizes {sizes:?}", b.name);
    assert!(
        sizes[2].1 < 3 * sizes[0].1,
        "{}: 16 times the members cost {sizes:?}",
        b.name
    );
}

/// The control: right after alice adds 15 members in one commit, the parents off her path are
/// blank, so her next self-update must encrypt to every other leaf (N - 1 = 15 ciphertexts) —
/// the count and the bound above do tell linear from logarithmic.
fn the_count_sees_linear_cost_in_a_tree_with_blank_parents(b: &Backend) {
    let n = 16u32;
    let mut alice = b.create("alice", b"scalability", GroupConfig::default());
    let kps = (1..n).map(|i| b.key_package(&format!("m{i}")).0).collect();
    alice
        .group
        .add_members(&alice.signer, kps, &CommitOptions::new(), None)
        .expect("add");
    alice.group.merge_pending_commit().expect("merge");
    let c = alice.self_update(&CommitOptions::new());
    let count = check_path_recipients(&c.commit, alice.group.tree(), alice.leaf(), &[]);
    assert_eq!(count, n as usize - 1, "{}", b.name);
    assert!(count > 2 * n.ilog2() as usize + 2);
}

/// A ratchet tree of `n` leaves (a power of two) with every parent set, assembled directly:
/// each leaf and parent has a fresh HPKE key; leaves carry placeholder signatures, which
/// TreeKEM's sender side never reads.
fn assembled_full_tree(b: &Backend, n: u32) -> cohort_tree::RatchetTree {
    use cohort::codec::VarBytes;
    use cohort::credential::{Credential, CredentialType};
    use cohort::crypto::{CipherSuite, SignaturePublicKey};
    use cohort::tree::leaf::{Capabilities, LeafNode, LeafNodeSource, Lifetime, ProtocolVersion};
    use cohort::tree::node::{Node, ParentNode, RatchetTreeNodes};
    let suite = b.suite();
    let nodes = (0..2 * n - 1)
        .map(|x| {
            let key = suite.kem_generate().expect("kem").1;
            let node = if x % 2 == 0 {
                Node::Leaf(LeafNode {
                    encryption_key: key,
                    signature_key: SignaturePublicKey(x.to_be_bytes().to_vec().into()),
                    credential: Credential::basic(format!("m{}", x / 2).into_bytes()),
                    capabilities: Capabilities {
                        versions: vec![ProtocolVersion::MLS10],
                        cipher_suites: vec![CipherSuite(1)],
                        extensions: Vec::new(),
                        proposals: Vec::new(),
                        credentials: vec![CredentialType::BASIC],
                    },
                    leaf_node_source: LeafNodeSource::KeyPackage(Lifetime {
                        not_before: 0,
                        not_after: u64::MAX,
                    }),
                    extensions: Vec::new(),
                    signature: VarBytes::default(),
                })
            } else {
                Node::Parent(ParentNode {
                    encryption_key: key,
                    parent_hash: VarBytes::default(),
                    unmerged_leaves: Vec::new(),
                })
            };
            Some(std::sync::Arc::new(node))
        })
        .collect();
    cohort_tree::RatchetTree::from_nodes(RatchetTreeNodes(nodes)).expect("tree")
}

/// Leaf 0's UpdatePath over full trees of 16 to 16,384 members: exactly log2(N) HPKE
/// ciphertexts (the copath length), and an encoded size that a + b·log2(N) fits to within a few
/// bytes while a + b·N cannot (its best fit misses by hundreds of bytes).
fn update_paths_grow_as_log_n_up_to_16384_members(b: &Backend) {
    use cohort::tree::leaf::LeafNodeSource;
    use cohort::tree::math::LeafIndex;
    use cohort_tree::treekem::{encrypt_update_path, plan_update_path};
    let suite = b.suite();
    let mut points = Vec::new();
    for log in [4u32, 6, 8, 10, 12, 14] {
        let n = 1u32 << log;
        let mut tree = assembled_full_tree(b, n);
        let sender = LeafIndex(0);
        let plan = plan_update_path(&mut tree, &*suite, sender).expect("plan");
        let mut leaf = tree.leaf(sender).cloned().expect("leaf");
        leaf.encryption_key = plan.leaf_public_key().clone();
        leaf.leaf_node_source =
            LeafNodeSource::Commit(cohort::codec::VarBytes::from(plan.leaf_parent_hash()));
        tree.set_leaf(sender, leaf.clone()).expect("set");
        let path =
            encrypt_update_path(&tree, &*suite, &plan, leaf, b"context", &[]).expect("encrypt");
        let ciphertexts: usize = path
            .nodes
            .iter()
            .map(|p| p.encrypted_path_secret.len())
            .sum();
        assert_eq!(ciphertexts, log as usize, "{}: N = {n}", b.name);
        assert_eq!(ciphertexts, math::copath(NodeIndex(0), n).len());
        let size = path.to_bytes().expect("encode").len();
        points.push((f64::from(n), f64::from(log), size as f64));
    }
    let worst = |xs: &[(f64, f64)]| -> f64 {
        // Least squares of size on x; the largest residual.
        let k = xs.len() as f64;
        let (sx, sy) = xs.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
        let (mx, my) = (sx / k, sy / k);
        let cov: f64 = xs.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
        let var: f64 = xs.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
        let slope = cov / var;
        xs.iter()
            .map(|(x, y)| (y - (my + slope * (x - mx))).abs())
            .fold(0.0, f64::max)
    };
    let by_log: Vec<(f64, f64)> = points.iter().map(|(_, l, s)| (*l, *s)).collect();
    let by_n: Vec<(f64, f64)> = points.iter().map(|(n, _, s)| (*n, *s)).collect();
    let (log_fit, linear_fit) = (worst(&by_log), worst(&by_n));
    assert!(
        log_fit <= 8.0,
        "{}: sizes {points:?} do not follow log N (worst residual {log_fit})",
        b.name
    );
    assert!(
        linear_fit > 20.0 * log_fit.max(1.0),
        "{}: sizes {points:?} fit N as well as log N",
        b.name
    );
}
