//! Criterion benches of the ratchet tree, cipher suite 1 on RustCrypto, for 10 to 10,000
//! leaves:
//!
//! - `tree_hash/from_scratch`: the root tree hash of a tree with no cached hashes;
//! - `tree_hash/one_leaf_changed`: setting one leaf and rehashing (only its path is recomputed);
//! - `parent_hash/verify_tree`: parent-hash verification of the whole tree (§7.9.2);
//! - `treekem/encap`: [`plan_update_path`], signing the new leaf, and [`encrypt_update_path`];
//! - `treekem/decap`: [`merge_update_path`] and [`decrypt_update_path`] for the receiver whose
//!   copath node is its own leaf, so it derives every key up to the root.
//!
//! Each tree is built outside the timed region: `n` members join (fresh HPKE and signature keys,
//! signed key-package leaves), then every even leaf commits a path in turn, so that every parent
//! above two members is non-blank and the copath resolutions are single nodes. Set
//! `COHORT_TREE_BENCH_SIZES=10,100` to run only some sizes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "bench setup fails loudly; criterion_group! generates an undocumented pub fn"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use cohort_codec::VarBytes;
use cohort_credential::{Credential, CredentialType};
use cohort_crypto::{
    CipherSuite, CryptoProvider, HpkePrivateKey, Secret, Signer, SoftwareSigner, SuiteOps, labeled,
};
use cohort_tree::RatchetTree;
use cohort_tree::leaf::{Capabilities, LeafNode, LeafNodeSource, Lifetime, ProtocolVersion};
use cohort_tree::math::LeafIndex;
use cohort_tree::path::UpdatePath;
use cohort_tree::treekem::{
    PrivateTree, decrypt_update_path, encrypt_update_path, merge_update_path, plan_update_path,
};
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode};

const SIZES: &[u32] = &[10, 100, 1_000, 10_000];
const GROUP_ID: &[u8] = b"cohort tree bench";
const CONTEXT: &[u8] = b"cohort tree bench: provisional GroupContext";

/// A group of `n` members with every parent populated.
struct Fixture {
    n: u32,
    ops: Arc<dyn SuiteOps>,
    /// The tree, with every tree hash cached.
    tree: RatchetTree,
    /// Leaf 0's signer: leaf 0 is the committer of the TreeKEM benches.
    sender: SoftwareSigner,
    /// Leaf 1's HPKE private key: leaf 1 is the receiver of `treekem/decap`.
    receiver_key: HpkePrivateKey,
}

fn capabilities() -> Capabilities {
    Capabilities {
        versions: vec![ProtocolVersion::MLS10],
        cipher_suites: vec![CipherSuite(1)],
        extensions: Vec::new(),
        proposals: Vec::new(),
        credentials: vec![CredentialType::BASIC],
    }
}

/// Signs `leaf` in place, with the group id and index for update and commit leaves.
fn sign(leaf: &mut LeafNode, signer: &dyn Signer, index: LeafIndex) {
    let group = match leaf.leaf_node_source {
        LeafNodeSource::KeyPackage(_) => None,
        _ => Some((GROUP_ID, index)),
    };
    let tbs = leaf.to_be_signed(group).unwrap();
    leaf.signature = labeled::sign_with_label(signer, b"LeafNodeTBS", &tbs)
        .unwrap()
        .into();
}

/// Commits a fresh path from `sender` into `tree` (public state only) and sets its signed leaf.
fn commit(tree: &mut RatchetTree, ops: &dyn SuiteOps, signer: &dyn Signer, sender: LeafIndex) {
    tree.compute_hashes(ops).unwrap();
    let plan = plan_update_path(tree, ops, sender).unwrap();
    let mut leaf = tree.leaf(sender).cloned().unwrap();
    leaf.encryption_key = plan.leaf_public_key().clone();
    leaf.leaf_node_source = LeafNodeSource::Commit(VarBytes::from(plan.leaf_parent_hash()));
    sign(&mut leaf, signer, sender);
    tree.set_leaf(sender, leaf).unwrap();
}

impl Fixture {
    fn build(n: u32) -> Self {
        let ops = cohort_crypto_rustcrypto::provider()
            .suite(CipherSuite(1))
            .unwrap();
        let mut tree = RatchetTree::new();
        let mut signers = Vec::with_capacity(n as usize);
        let mut receiver_key = None;
        for i in 0..n {
            let signer = SoftwareSigner::generate(ops.clone()).unwrap();
            let (sk, pk) = ops.kem_generate().unwrap();
            let mut leaf = LeafNode {
                encryption_key: pk,
                signature_key: signer.public_key().clone(),
                credential: Credential::basic(format!("member {i}")),
                capabilities: capabilities(),
                leaf_node_source: LeafNodeSource::KeyPackage(Lifetime {
                    not_before: 0,
                    not_after: u64::MAX,
                }),
                extensions: Vec::new(),
                signature: VarBytes::default(),
            };
            sign(&mut leaf, &signer, LeafIndex(i));
            let index = tree.add_leaf(leaf).unwrap();
            assert_eq!(index, LeafIndex(i));
            if i == 1 {
                receiver_key = Some(sk);
            }
            signers.push(signer);
        }
        // Every even leaf commits, left to right: each parent is then set by the last commit
        // below it, and every parent-hash chain is intact.
        for i in (0..n).step_by(2) {
            commit(&mut tree, &*ops, &signers[i as usize], LeafIndex(i));
        }
        tree.verify_parent_hashes(&*ops).unwrap();
        tree.validate_structure().unwrap();
        let sender = signers.swap_remove(0);
        Self {
            n,
            ops,
            tree,
            sender,
            receiver_key: receiver_key.expect("at least two members"),
        }
    }
}

/// A group configured for `n`: small sample counts and short times for the big trees.
fn group<'a>(c: &'a mut Criterion, name: &str, n: u32) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    if n >= 1_000 {
        g.sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .sampling_mode(SamplingMode::Flat);
    } else {
        g.sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(1));
    }
    g
}

fn bench_tree_hash(c: &mut Criterion, fx: &Fixture) {
    let ops = &*fx.ops;
    let nodes = fx.tree.to_nodes();
    let mut g = group(c, "tree_hash", fx.n);
    g.bench_with_input(
        BenchmarkId::new("from_scratch", fx.n),
        &nodes,
        |b, nodes| {
            b.iter_batched(
                || RatchetTree::from_nodes(nodes.clone()).unwrap(),
                |mut tree| black_box(tree.tree_hash(ops).unwrap()),
                BatchSize::LargeInput,
            );
        },
    );

    // A leaf in the middle, changed (so its hash differs) and set again on every iteration.
    let mut tree = fx.tree.clone();
    tree.compute_hashes(ops).unwrap();
    let index = LeafIndex(fx.n / 2);
    let mut leaf = tree.leaf(index).cloned().unwrap();
    leaf.extensions.clear();
    leaf.credential = Credential::basic("changed");
    g.bench_function(BenchmarkId::new("one_leaf_changed", fx.n), |b| {
        b.iter_batched(
            || leaf.clone(),
            |leaf| {
                tree.set_leaf(index, leaf).unwrap();
                black_box(tree.tree_hash(ops).unwrap())
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

fn bench_parent_hash(c: &mut Criterion, fx: &Fixture) {
    let ops = &*fx.ops;
    let mut tree = fx.tree.clone();
    let mut g = group(c, "parent_hash", fx.n);
    g.bench_function(BenchmarkId::new("verify_tree", fx.n), |b| {
        b.iter(|| tree.verify_parent_hashes(ops).unwrap());
    });
    g.finish();
}

fn bench_treekem(c: &mut Criterion, fx: &Fixture) {
    let ops = &*fx.ops;
    let sender = LeafIndex(0);
    let mut g = group(c, "treekem", fx.n);

    // Encap on one tree, over and over: each plan replaces the sender's path with a fresh one,
    // which costs the same every time.
    let mut tree = fx.tree.clone();
    g.bench_function(BenchmarkId::new("encap", fx.n), |b| {
        b.iter(|| black_box(encap(&mut tree, fx)));
    });

    // Decap: one path, merged again and again into the receiver's tree (merging the same path
    // twice gives the same tree, so every iteration does the full work) and decrypted by leaf 1.
    let (path, commit_secret) = encap(&mut fx.tree.clone(), fx);
    let mut receiver_tree = fx.tree.clone();
    let private = PrivateTree::new(LeafIndex(1), fx.receiver_key.clone());
    {
        let mut t = fx.tree.clone();
        merge_update_path(&mut t, ops, sender, &path, &[]).unwrap();
        let mut p = private.clone();
        let (secret, _, _) =
            decrypt_update_path(&t, ops, &mut p, sender, &path, CONTEXT, &[]).unwrap();
        assert_eq!(secret, commit_secret);
    }
    g.bench_function(BenchmarkId::new("decap", fx.n), |b| {
        b.iter_batched(
            || private.clone(),
            |mut private| {
                merge_update_path(&mut receiver_tree, ops, sender, &path, &[]).unwrap();
                black_box(
                    decrypt_update_path(
                        &receiver_tree,
                        ops,
                        &mut private,
                        sender,
                        &path,
                        CONTEXT,
                        &[],
                    )
                    .unwrap(),
                )
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

/// Leaf 0 commits a fresh path over `tree`: plan, sign the new leaf, encrypt. Returns the path
/// and its commit secret.
fn encap(tree: &mut RatchetTree, fx: &Fixture) -> (UpdatePath, Secret) {
    let ops = &*fx.ops;
    let sender = LeafIndex(0);
    let plan = plan_update_path(tree, ops, sender).unwrap();
    let mut leaf = tree.leaf(sender).cloned().unwrap();
    leaf.encryption_key = plan.leaf_public_key().clone();
    leaf.leaf_node_source = LeafNodeSource::Commit(VarBytes::from(plan.leaf_parent_hash()));
    sign(&mut leaf, &fx.sender, sender);
    tree.set_leaf(sender, leaf.clone()).unwrap();
    let path = encrypt_update_path(tree, ops, &plan, leaf, CONTEXT, &[]).unwrap();
    (path, plan.commit_secret().clone())
}

fn sizes() -> Vec<u32> {
    match std::env::var("COHORT_TREE_BENCH_SIZES") {
        Ok(list) => list
            .split(',')
            .map(|s| s.trim().parse().expect("COHORT_TREE_BENCH_SIZES: numbers"))
            .collect(),
        Err(_) => SIZES.to_vec(),
    }
}

fn benches(c: &mut Criterion) {
    for n in sizes() {
        let fx = Fixture::build(n);
        bench_tree_hash(c, &fx);
        bench_parent_hash(c, &fx);
        bench_treekem(c, &fx);
    }
}

criterion::criterion_group!(tree, benches);
criterion::criterion_main!(tree);
