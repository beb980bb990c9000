//! The tree kinds: `tree-validation`, `tree-operations` and `treekem`.

use cohort_codec::{Decode, Encode, VarBytes};
use cohort_crypto::{
    CipherSuite, CryptoProvider, HpkePrivateKey, Secret, SignaturePrivateKey, SoftwareSigner,
    SuiteOps, labeled,
};
use cohort_messages::group_context::GroupContext;
use cohort_messages::proposal::Proposal;
use cohort_test_vectors::tree_operations::TreeOperations;
use cohort_test_vectors::tree_validation::TreeValidation;
use cohort_test_vectors::treekem::{SenderUpdatePath, TreeKem};
use cohort_tree::RatchetTree;
use cohort_tree::leaf::{LeafNodeSource, ProtocolVersion};
use cohort_tree::math::{LeafIndex, NodeIndex};
use cohort_tree::node::RatchetTreeNodes;
use cohort_tree::path::UpdatePath;
use cohort_tree::treekem::{
    PrivateTree, decrypt_update_path, encrypt_update_path, merge_update_path, plan_update_path,
};

use crate::run::Cases;

type Check = Result<(), String>;

fn tree_from(bytes: &[u8]) -> Result<RatchetTree, String> {
    let nodes = RatchetTreeNodes::from_bytes(bytes).map_err(|e| format!("tree decode: {e}"))?;
    RatchetTree::from_nodes(nodes).map_err(|e| format!("tree: {e}"))
}

/// `tree-validation`: resolutions and tree hashes of every node, parent-hash coverage, structure
/// and every leaf signature.
pub(crate) fn run_tree_validation(
    cases: &[TreeValidation],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
) {
    for (index, case) in cases.iter().enumerate() {
        if let Some(ops) = run.suite(provider, case.cipher_suite) {
            run.record(
                index,
                Some(case.cipher_suite),
                check_validation(case, &*ops),
            );
        }
    }
}

fn check_validation(case: &TreeValidation, ops: &dyn SuiteOps) -> Check {
    let mut tree = tree_from(&case.tree)?;
    for (x, expected) in case.resolutions.iter().enumerate() {
        let got: Vec<u32> = tree
            .resolution(NodeIndex(x as u32))
            .iter()
            .map(|n| n.0)
            .collect();
        if &got != expected {
            return Err(format!(
                "resolution of node {x}: {got:?}, expected {expected:?}"
            ));
        }
    }
    for (x, expected) in case.tree_hashes.iter().enumerate() {
        let got = tree
            .node_tree_hash(ops, NodeIndex(x as u32))
            .map_err(|e| e.to_string())?;
        if got != expected.as_slice() {
            return Err(format!("tree hash of node {x} differs"));
        }
    }
    tree.verify_parent_hashes(ops)
        .map_err(|e| format!("parent hashes: {e}"))?;
    tree.validate_structure()
        .map_err(|e| format!("structure: {e}"))?;
    tree.verify_leaf_signatures(ops, &case.group_id)
        .map_err(|e| format!("signatures: {e}"))
}

/// `tree-operations`: apply one Add, Update or Remove and compare the tree and its hash.
pub(crate) fn run_tree_operations(
    cases: &[TreeOperations],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
) {
    for (index, case) in cases.iter().enumerate() {
        if let Some(ops) = run.suite(provider, case.cipher_suite) {
            run.record(index, Some(case.cipher_suite), check_operation(case, &*ops));
        }
    }
}

fn check_operation(case: &TreeOperations, ops: &dyn SuiteOps) -> Check {
    let mut tree = tree_from(&case.tree_before)?;
    let before = tree.tree_hash(ops).map_err(|e| e.to_string())?;
    if before != case.tree_hash_before.as_slice() {
        return Err("tree hash before the proposal differs".into());
    }
    let proposal = Proposal::from_bytes(&case.proposal).map_err(|e| format!("proposal: {e}"))?;
    let sender = LeafIndex(case.proposal_sender);
    let applied = match proposal {
        Proposal::Add(add) => tree.add_leaf(add.key_package.leaf_node).map(|_| ()),
        Proposal::Update(update) => tree.update_leaf(sender, update.leaf_node),
        Proposal::Remove(remove) => tree.remove_leaf(remove.removed),
        other => {
            return Err(format!(
                "unexpected proposal type {:?}",
                other.proposal_type()
            ));
        }
    };
    applied.map_err(|e| format!("applying the proposal: {e}"))?;
    let after = tree.to_nodes().to_bytes().map_err(|e| e.to_string())?;
    if after != case.tree_after.as_slice() {
        return Err("tree after the proposal differs".into());
    }
    let hash = tree.tree_hash(ops).map_err(|e| e.to_string())?;
    if hash != case.tree_hash_after.as_slice() {
        return Err("tree hash after the proposal differs".into());
    }
    Ok(())
}

/// `treekem`: every member processes every UpdatePath, and a fresh path from each sender is
/// processed by every other member.
pub(crate) fn run_treekem(cases: &[TreeKem], run: &mut Cases, provider: &dyn CryptoProvider) {
    for (index, case) in cases.iter().enumerate() {
        if let Some(ops) = run.suite(provider, case.cipher_suite) {
            run.record(index, Some(case.cipher_suite), check_treekem(case, &ops));
        }
    }
}

/// The provisional GroupContext of the vector: given fields, the tree hash after the merge.
fn group_context(case: &TreeKem, tree_hash: &[u8]) -> Result<Vec<u8>, String> {
    GroupContext {
        version: ProtocolVersion::MLS10,
        cipher_suite: CipherSuite(case.cipher_suite),
        group_id: VarBytes::from(case.group_id.as_slice()),
        epoch: case.epoch,
        tree_hash: VarBytes::from(tree_hash),
        confirmed_transcript_hash: VarBytes::from(case.confirmed_transcript_hash.as_slice()),
        extensions: Vec::new(),
    }
    .to_bytes()
    .map_err(|e| e.to_string())
}

fn check_treekem(case: &TreeKem, ops: &std::sync::Arc<dyn SuiteOps>) -> Check {
    let base = tree_from(&case.ratchet_tree)?;
    let mut members = Vec::new();
    for leaf in &case.leaves_private {
        let key = HpkePrivateKey::new(leaf.encryption_priv.to_vec());
        let mut private = PrivateTree::new(LeafIndex(leaf.index), key);
        for ps in &leaf.path_secrets {
            let secret = Secret::new(ps.path_secret.to_vec());
            private
                .derive_path_keys(&**ops, &base, &[NodeIndex(ps.node)], secret)
                .map_err(|e| format!("leaf {} private state: {e}", leaf.index))?;
        }
        members.push((leaf.index, leaf.signature_priv.to_vec(), private));
    }
    for (u, update) in case.update_paths.iter().enumerate() {
        process_given(case, ops, &base, &members, update).map_err(|e| format!("path {u}: {e}"))?;
        create_fresh(case, ops, &base, &members, update)
            .map_err(|e| format!("path {u}, fresh: {e}"))?;
    }
    Ok(())
}

type Member = (u32, Vec<u8>, PrivateTree);

fn process_given(
    case: &TreeKem,
    ops: &std::sync::Arc<dyn SuiteOps>,
    base: &RatchetTree,
    members: &[Member],
    update: &SenderUpdatePath,
) -> Check {
    let path = UpdatePath::from_bytes(&update.update_path).map_err(|e| e.to_string())?;
    let sender = LeafIndex(update.sender);
    let mut tree = base.clone();
    merge_update_path(&mut tree, &**ops, sender, &path, &[]).map_err(|e| format!("merge: {e}"))?;
    let hash = tree.tree_hash(&**ops).map_err(|e| e.to_string())?;
    if hash != update.tree_hash_after.as_slice() {
        return Err("tree hash after the merge differs".into());
    }
    let context = group_context(case, &hash)?;
    for (index, _, private) in members.iter().filter(|m| m.0 != update.sender) {
        let mut private = private.clone();
        let (commit_secret, _, path_secret) =
            decrypt_update_path(&tree, &**ops, &mut private, sender, &path, &context, &[])
                .map_err(|e| format!("leaf {index} decrypting: {e}"))?;
        if commit_secret.as_bytes() != update.commit_secret.as_slice() {
            return Err(format!("leaf {index}: commit secret differs"));
        }
        let expected = update
            .path_secrets
            .get(*index as usize)
            .and_then(Option::as_ref);
        if expected.map(|e| e.as_slice()) != Some(path_secret.as_bytes()) {
            return Err(format!("leaf {index}: path secret differs"));
        }
    }
    Ok(())
}

fn create_fresh(
    case: &TreeKem,
    ops: &std::sync::Arc<dyn SuiteOps>,
    base: &RatchetTree,
    members: &[Member],
    update: &SenderUpdatePath,
) -> Check {
    let sender = LeafIndex(update.sender);
    let signature_priv = members
        .iter()
        .find(|m| m.0 == update.sender)
        .map(|m| m.1.clone())
        .ok_or("the sender's private state is missing")?;
    let signer =
        SoftwareSigner::from_private(ops.clone(), SignaturePrivateKey::new(signature_priv))
            .map_err(|e| e.to_string())?;
    let mut tree = base.clone();
    let plan = plan_update_path(&mut tree, &**ops, sender).map_err(|e| e.to_string())?;
    let mut leaf = base
        .leaf(sender)
        .cloned()
        .ok_or("the sender's leaf is blank")?;
    leaf.encryption_key = plan.leaf_public_key().clone();
    leaf.leaf_node_source = LeafNodeSource::Commit(VarBytes::from(plan.leaf_parent_hash()));
    let tbs = leaf
        .to_be_signed(Some((&case.group_id, sender)))
        .map_err(|e| e.to_string())?;
    leaf.signature = labeled::sign_with_label(&signer, b"LeafNodeTBS", &tbs)
        .map_err(|e| e.to_string())?
        .into();
    tree.set_leaf(sender, leaf.clone())
        .map_err(|e| e.to_string())?;
    let hash = tree.tree_hash(&**ops).map_err(|e| e.to_string())?;
    let context = group_context(case, &hash)?;
    let path = encrypt_update_path(&tree, &**ops, &plan, leaf, &context, &[])
        .map_err(|e| e.to_string())?;
    for (index, _, private) in members.iter().filter(|m| m.0 != update.sender) {
        let mut theirs = base.clone();
        merge_update_path(&mut theirs, &**ops, sender, &path, &[])
            .map_err(|e| format!("leaf {index} merging: {e}"))?;
        let mut private = private.clone();
        let (commit_secret, _, _) =
            decrypt_update_path(&theirs, &**ops, &mut private, sender, &path, &context, &[])
                .map_err(|e| format!("leaf {index} decrypting: {e}"))?;
        if commit_secret.as_bytes() != plan.commit_secret().as_bytes() {
            return Err(format!(
                "leaf {index}: commit secret differs from the sender's"
            ));
        }
    }
    Ok(())
}
