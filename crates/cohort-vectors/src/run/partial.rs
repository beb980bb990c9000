//! The vectors of draft-ietf-mls-partial-02 (partial, "light" clients).

use cohort_codec::{Decode, Encode};
use cohort_crypto::{CipherSuite, CryptoProvider, SuiteOps};
use cohort_messages::framing::{PrivateMessage, PublicMessage, Sender};
use cohort_messages::group_info::GroupInfo;
use cohort_messages::partial::{AnnotatedCommit, AnnotatedWelcome, SenderAuthenticated};
use cohort_messages::welcome::Welcome;
use cohort_test_vectors::partial::{MembershipProofs, MessageSyntax, SenderAuthenticatedMessages};
use cohort_tree::membership::{CopathHash, MembershipProof};

use crate::run::Cases;

/// Decodes `bytes` as a `T` that must use them all, and checks that it encodes back to them.
fn round_trip<T: Decode + Encode>(what: &str, bytes: &[u8]) -> Result<T, String> {
    let value = T::from_bytes(bytes).map_err(|e| format!("{what}: {e}"))?;
    let again = value.to_bytes().map_err(|e| format!("{what}: {e}"))?;
    if again != bytes {
        return Err(format!("{what}: re-encoding differs from the input"));
    }
    Ok(value)
}

/// Runs `check` on each case with its suite's operations, recording the result; a case whose
/// suite `provider` lacks is unsupported, by name.
fn each_case<T>(
    cases: &[T],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
    suite_of: impl Fn(&T) -> u16,
    check: impl Fn(&T, &dyn SuiteOps) -> Result<(), String>,
) {
    for (index, case) in cases.iter().enumerate() {
        let cs = suite_of(case);
        let Some(suite) = provider.suite(CipherSuite(cs)) else {
            run.unsupported_because(index, format!("cipher suite {cs}"));
            continue;
        };
        run.record(index, Some(cs), check(case, &*suite));
    }
}

/// `partial-message-syntax`: every structure decodes and re-encodes to the same bytes.
pub(crate) fn run_message_syntax(cases: &[MessageSyntax], run: &mut Cases) {
    for (index, case) in cases.iter().enumerate() {
        run.record(index, Some(case.cipher_suite), message_syntax(case));
    }
}

fn message_syntax(case: &MessageSyntax) -> Result<(), String> {
    round_trip::<CopathHash>("copath_hash", &case.copath_hash)?;
    round_trip::<MembershipProof>("membership_proof", &case.membership_proof)?;
    round_trip::<SenderAuthenticated<Welcome>>(
        "sender_authenticated_welcome",
        &case.sender_authenticated_welcome,
    )?;
    round_trip::<SenderAuthenticated<GroupInfo>>(
        "sender_authenticated_group_info",
        &case.sender_authenticated_group_info,
    )?;
    round_trip::<SenderAuthenticated<PublicMessage>>(
        "sender_authenticated_public_message",
        &case.sender_authenticated_public_message,
    )?;
    round_trip::<SenderAuthenticated<PrivateMessage>>(
        "sender_authenticated_private_message",
        &case.sender_authenticated_private_message,
    )?;
    round_trip::<AnnotatedWelcome>("annotated_welcome", &case.annotated_welcome)?;
    round_trip::<AnnotatedCommit>("annotated_commit", &case.annotated_commit)?;
    Ok(())
}

/// `partial-membership-proofs`: each proof decodes, re-encodes, has the shape of its tree and
/// leads to the case's tree hash; the proofs of a case reference one tree.
pub(crate) fn run_membership_proofs(
    cases: &[MembershipProofs],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
) {
    each_case(
        cases,
        run,
        provider,
        |c| c.cipher_suite,
        |case, suite| {
            let mut first: Option<MembershipProof> = None;
            for (i, bytes) in case.proofs.iter().enumerate() {
                let proof = round_trip::<MembershipProof>(&format!("proof {i}"), bytes)?;
                proof
                    .verify(suite, &case.tree_hash)
                    .map_err(|e| format!("proof {i} (leaf {}): {e}", proof.leaf_index.0))?;
                if let Some(first) = &first {
                    first
                        .same_tree(&proof, suite)
                        .map_err(|e| format!("proofs 0 and {i}: {e}"))?;
                } else {
                    first = Some(proof);
                }
            }
            Ok(())
        },
    );
}

/// `partial-sender-authenticated-messages`: the message and its sender's proof decode and
/// re-encode; the proof has its tree's shape, proves a leaf and hashes to a root; the sender the
/// message names is the proof's leaf.
///
/// The file gives no group context, so neither the tree hash the proof must match (it is the
/// epoch's) nor the signature (its TBS holds the group context) can be checked from it: a light
/// client checks both against its own state (see the light-client documentation).
pub(crate) fn run_sender_authenticated(
    cases: &[SenderAuthenticatedMessages],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
) {
    each_case(
        cases,
        run,
        provider,
        |c| c.cipher_suite,
        |case, suite| {
            let bytes = &case.sender_authenticated_message;
            let (proof, sender) = match case.message_type.as_str() {
                t if t.starts_with("PublicMessage") => {
                    let m = round_trip::<SenderAuthenticated<PublicMessage>>(t, bytes)?;
                    (m.sender_membership_proof, Some(m.message.content.sender))
                }
                t if t.starts_with("PrivateMessage") => {
                    let m = round_trip::<SenderAuthenticated<PrivateMessage>>(t, bytes)?;
                    (m.sender_membership_proof, None)
                }
                t @ "GroupInfo" => {
                    let m = round_trip::<SenderAuthenticated<GroupInfo>>(t, bytes)?;
                    let signer = m.message.signer;
                    m.sender_membership_proof
                        .verify(suite, &m.message.group_context.tree_hash)
                        .map_err(|e| format!("the proof against the GroupInfo's tree hash: {e}"))?;
                    (m.sender_membership_proof, Some(Sender::Member(signer)))
                }
                t @ "Welcome" => {
                    let m = round_trip::<SenderAuthenticated<Welcome>>(t, bytes)?;
                    (m.sender_membership_proof, None)
                }
                other => return Err(format!("unknown message_type {other:?}")),
            };
            proof
                .root_tree_hash(suite)
                .map_err(|e| format!("the sender's proof: {e}"))?;
            match sender {
                Some(Sender::Member(leaf)) if leaf != proof.leaf_index => Err(format!(
                    "the message names leaf {}, the proof leaf {}",
                    leaf.0, proof.leaf_index.0
                )),
                Some(Sender::Member(_)) | None => Ok(()),
                Some(other) => Err(format!("a non-member sender {other:?} with a proof")),
            }
        },
    );
}

/// `partial-tree-operations`: a light receiver's commit secret from an UpdatePath: both proofs
/// lead to the tree hash after the commit, the path secret is decrypted where the proofs and
/// the resolution index point, each derived public key matches the proofs' and the UpdatePath's,
/// and the commit secret is the file's.
pub(crate) fn run_tree_operations(
    cases: &[cohort_test_vectors::partial::TreeOperations],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
) {
    each_case(
        cases,
        run,
        provider,
        |c| c.cipher_suite,
        |case, suite| {
            let path =
                round_trip::<cohort_tree::path::UpdatePath>("update_path", &case.update_path)?;
            let sender = round_trip::<MembershipProof>(
                "sender_membership_proof_after",
                &case.sender_membership_proof_after,
            )?;
            let receiver = round_trip::<MembershipProof>(
                "receiver_membership_proof_after",
                &case.receiver_membership_proof_after,
            )?;
            sender
                .verify(suite, &case.tree_hash_after)
                .map_err(|e| format!("sender proof: {e}"))?;
            receiver
                .verify(suite, &case.tree_hash_after)
                .map_err(|e| format!("receiver proof: {e}"))?;
            let keys: Vec<_> = case
                .receiver_path_state
                .iter()
                .map(|s| {
                    (
                        cohort_tree::math::NodeIndex(s.node),
                        cohort_crypto::HpkePrivateKey::new(s.encryption_priv.to_vec()),
                    )
                })
                .collect();
            // The file gives no group context: its ciphertexts are sealed with the tree hash
            // after the commit alone as EncryptWithLabel's context (a light client passes the
            // provisional GroupContext, which carries that tree hash).
            let light = cohort_tree::partial::light_decrypt_update_path(
                suite,
                &path,
                case.resolution_index,
                &sender,
                &receiver,
                &keys,
                &case.tree_hash_after,
            )
            .map_err(|e| e.to_string())?;
            if light.commit_secret.as_bytes() != case.commit_secret.as_slice() {
                return Err("the commit secret differs".into());
            }
            Ok(())
        },
    );
}

/// A light client of a case: joined from `annotated_welcome` with the KeyPackage (an
/// MLSMessage) and its private keys; returned with the case's PSKs.
fn light_join(
    provider: &dyn CryptoProvider,
    key_package: &[u8],
    init_priv: &[u8],
    encryption_priv: &[u8],
    external_psks: &[cohort_test_vectors::passive_client::ExternalPsk],
    annotated_welcome: &[u8],
) -> Result<(cohort_group::light::LightGroup, cohort_group::PskList), String> {
    let kp = match cohort_messages::MlsMessage::from_bytes(key_package)
        .map_err(|e| format!("key_package: {e}"))?
        .body
    {
        cohort_messages::MlsMessageBody::KeyPackage(kp) => kp,
        _ => return Err("key_package: not a KeyPackage".into()),
    };
    let secrets = cohort_group::KeyPackageSecrets {
        init_key: cohort_crypto::HpkePrivateKey::new(init_priv.to_vec()),
        encryption_key: cohort_crypto::HpkePrivateKey::new(encryption_priv.to_vec()),
    };
    let psks = cohort_group::PskList(
        external_psks
            .iter()
            .map(|p| {
                (
                    p.psk_id.to_vec(),
                    cohort_crypto::Secret::new(p.psk.to_vec()),
                )
            })
            .collect(),
    );
    let welcome = round_trip::<AnnotatedWelcome>("annotated_welcome", annotated_welcome)?;
    let group = cohort_group::light::LightGroup::join(provider, &welcome, &kp, &secrets, &psks)
        .map_err(|e| format!("join: {e}"))?;
    Ok((group, psks))
}

/// `partial-annotated-welcome`: a light client joins from the `AnnotatedWelcome` at the
/// vector's leaf, holding its path keys, and reaches the vector's epoch authenticator.
pub(crate) fn run_annotated_welcome(
    cases: &[cohort_test_vectors::partial::AnnotatedWelcome],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
) {
    each_case(
        cases,
        run,
        provider,
        |c| c.cipher_suite,
        |case, _suite| {
            let (group, _) = light_join(
                provider,
                &case.key_package,
                &case.init_priv,
                &case.encryption_priv,
                &case.external_psks,
                &case.annotated_welcome,
            )?;
            if group.own_leaf().0 != case.joiner_leaf_index {
                return Err(format!("joined at leaf {}", group.own_leaf().0));
            }
            if group.epoch_authenticator() != case.epoch_authenticator.as_slice() {
                return Err("the epoch authenticator differs".into());
            }
            Ok(())
        },
    );
}

/// `partial-passive-client-scenarios`: a light client joins from the `AnnotatedWelcome` and
/// processes each epoch's `AnnotatedCommit`, reaching each epoch authenticator. (The epochs'
/// application messages are plain PrivateMessages, without the sender's proof a light member
/// needs for the signature: not processed.)
pub(crate) fn run_passive_scenarios(
    cases: &[cohort_test_vectors::partial::PassiveClientScenario],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
) {
    each_case(
        cases,
        run,
        provider,
        |c| c.cipher_suite,
        |case, _suite| {
            let (mut group, psks) = light_join(
                provider,
                &case.key_package,
                &case.init_priv,
                &case.encryption_priv,
                &case.external_psks,
                &case.annotated_welcome,
            )?;
            if group.epoch_authenticator() != case.initial_epoch_authenticator.as_slice() {
                return Err("the epoch authenticator after joining differs".into());
            }
            for (n, epoch) in case.epochs.iter().enumerate() {
                if !epoch.proposals.is_empty() {
                    return Err(format!(
                        "epoch {n}: proposals by reference are not supported"
                    ));
                }
                let commit = round_trip::<AnnotatedCommit>(
                    &format!("epoch {n} annotated_commit"),
                    &epoch.annotated_commit,
                )?;
                group
                    .process_commit(&commit, &psks)
                    .map_err(|e| format!("epoch {n}: {e}"))?;
                if group.epoch_authenticator() != epoch.epoch_authenticator.as_slice() {
                    return Err(format!("epoch {n}: the epoch authenticator differs"));
                }
            }
            Ok(())
        },
    );
}

/// `partial-annotated-commit`: the light client's processing of an `AnnotatedCommit` with the
/// file's `commit_secret` as input (its `state_before` holds no key of the receiver's path, so
/// the path itself cannot be decrypted from the file): the committer's proof against the tree
/// hash before, the commit's signature under the proof's leaf and its membership tag, the two
/// proofs after it against `tree_hash_after`, ours at our leaf, a `resolution_index` iff a
/// path; `state_after`'s path secrets derive their keys, the keys are the receiver proof's,
/// and they chain up to the commit secret; then the key schedule of the new epoch: the
/// confirmation tag, the epoch authenticator and every secret and hash of `state_after`.
pub(crate) fn run_annotated_commit(
    cases: &[cohort_test_vectors::partial::AnnotatedCommitCase],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
) {
    each_case(cases, run, provider, |c| c.cipher_suite, annotated_commit);
}

fn annotated_commit(
    case: &cohort_test_vectors::partial::AnnotatedCommitCase,
    s: &dyn SuiteOps,
) -> Result<(), String> {
    use cohort_codec::VarBytes;
    use cohort_crypto::{Secret, labeled};
    use cohort_messages::MlsMessageBody;
    use cohort_messages::framing::{ConfirmedTranscriptHashInput, Content};
    use cohort_messages::group_context::GroupContext;
    use cohort_messages::proposal::{Proposal, ProposalOrRef};
    use cohort_tree::leaf::ProtocolVersion;
    use cohort_tree::math::{LeafIndex, NodeIndex};
    use cohort_tree::node::Node;

    if !case.proposals.is_empty() {
        return Err("proposals sent before the commit are not read here".into());
    }
    let (before, after) = (&case.state_before, &case.state_after);
    let annotated = round_trip::<AnnotatedCommit>("annotated_commit", &case.annotated_commit)?;
    let MlsMessageBody::PublicMessage(message) = &annotated.commit.body else {
        return Err("the commit is not a PublicMessage".into());
    };
    let Content::Commit(commit) = &message.content.content else {
        return Err("the message is not a commit".into());
    };
    let context = GroupContext {
        version: ProtocolVersion::MLS10,
        cipher_suite: CipherSuite(case.cipher_suite),
        group_id: VarBytes::from(before.group_id.to_vec()),
        epoch: before.epoch,
        tree_hash: VarBytes::from(before.tree_hash.to_vec()),
        confirmed_transcript_hash: VarBytes::from(before.confirmed_transcript_hash.to_vec()),
        extensions: Vec::new(),
    };
    // The committer: its proof before the commit, then the signature and membership tag.
    let Sender::Member(committer) = message.content.sender else {
        return Err("not a member's commit".into());
    };
    let proof = annotated
        .sender_membership_proof
        .as_ref()
        .ok_or("no sender proof for a member's commit")?;
    if proof.leaf_index != committer {
        return Err("the sender proof is not the committer's leaf".into());
    }
    proof
        .verify(s, &before.tree_hash)
        .map_err(|e| format!("sender proof before: {e}"))?;
    let key = &proof
        .leaf()
        .ok_or("the sender proof proves no leaf")?
        .signature_key;
    let authenticated = cohort_group::framing::unprotect_public(
        s,
        message.clone(),
        &context,
        &before.membership_key,
        key,
    )
    .map_err(|e| format!("the commit: {e}"))?;
    // The tree after.
    let receiver = &annotated.receiver_membership_proof_after;
    let root = annotated
        .sender_membership_proof_after
        .same_tree(receiver, s)
        .map_err(|e| format!("proofs after: {e}"))?;
    if root != case.tree_hash_after.as_slice()
        || annotated.tree_hash_after.as_slice() != case.tree_hash_after.as_slice()
        || after.tree_hash.as_slice() != case.tree_hash_after.as_slice()
    {
        return Err("the tree hash after differs".into());
    }
    if receiver.leaf_index != LeafIndex(before.receiver_leaf_index)
        || after.receiver_leaf_index != before.receiver_leaf_index
    {
        return Err("the receiver proof is not our leaf".into());
    }
    if commit.path.is_some() != annotated.resolution_index.is_some() {
        return Err("a resolution index without a path, or a path without one".into());
    }
    // Our new path: each secret derives the key the receiver proof holds, and they chain to
    // the commit secret.
    let mut chained: Option<Secret> = None;
    for node in &after.direct_path_secrets {
        let node_secret =
            labeled::derive_secret(s, &node.path_secret, b"node").map_err(|e| e.to_string())?;
        let (sk, pk) = s
            .kem_derive(node_secret.as_bytes())
            .map_err(|e| e.to_string())?;
        if sk.as_bytes() != node.encryption_priv.as_slice() {
            return Err(format!("node {}: the private key differs", node.node));
        }
        match receiver.node_at(NodeIndex(node.node)) {
            Some(Node::Parent(p)) if p.encryption_key == pk => {}
            _ => return Err(format!("node {}: the proof's key differs", node.node)),
        }
        if let Some(expected) = &chained {
            if expected.as_bytes() != node.path_secret.as_slice() {
                return Err(format!("node {}: the path secrets do not chain", node.node));
            }
        }
        chained =
            Some(labeled::derive_secret(s, &node.path_secret, b"path").map_err(|e| e.to_string())?);
    }
    if let Some(top) = chained {
        if top.as_bytes() != case.commit_secret.as_slice() {
            return Err("the path secrets do not chain to the commit secret".into());
        }
    }
    // The new epoch.
    let mut extensions = Vec::new();
    for p in &commit.proposals {
        match p {
            ProposalOrRef::Proposal(Proposal::GroupContextExtensions(g)) => {
                extensions.clone_from(&g.extensions);
            }
            ProposalOrRef::Proposal(Proposal::PreSharedKey(_)) | ProposalOrRef::Reference(_) => {
                return Err("PSKs and proposals by reference are not read here".into());
            }
            ProposalOrRef::Proposal(_) => {}
        }
    }
    let input = ConfirmedTranscriptHashInput {
        wire_format: authenticated.wire_format,
        content: &authenticated.content,
        signature: &authenticated.auth.signature,
    }
    .to_bytes()
    .map_err(|e| e.to_string())?;
    let confirmed =
        cohort_key_schedule::confirmed_transcript_hash(s, &before.interim_transcript_hash, &input)
            .map_err(|e| e.to_string())?;
    let next = GroupContext {
        epoch: before.epoch + 1,
        tree_hash: VarBytes::from(case.tree_hash_after.to_vec()),
        confirmed_transcript_hash: VarBytes::from(confirmed.clone()),
        extensions,
        ..context
    };
    let next_bytes = next.to_bytes().map_err(|e| e.to_string())?;
    let init = cohort_key_schedule::InitSecret::new(Secret::new(before.init_secret.to_vec()));
    let joiner = init
        .joiner_secret(s, &case.commit_secret, &next_bytes)
        .map_err(|e| e.to_string())?;
    let secrets = joiner
        .into_epoch(s, &vec![0; s.hash_len()], &next_bytes)
        .map_err(|e| e.to_string())?;
    let tag = authenticated
        .auth
        .confirmation_tag
        .as_ref()
        .ok_or("no confirmation tag")?;
    let expected_tag =
        cohort_key_schedule::confirmation_tag(s, secrets.confirmation_key.as_bytes(), &confirmed)
            .map_err(|e| e.to_string())?;
    if !tag.ct_eq(&expected_tag) {
        return Err("the confirmation tag differs".into());
    }
    let interim = cohort_key_schedule::interim_transcript_hash(s, &confirmed, &tag.0)
        .map_err(|e| e.to_string())?;
    let checks: [(&str, &[u8], &[u8]); 8] = [
        (
            "epoch_authenticator",
            secrets.epoch_authenticator.as_bytes(),
            &case.epoch_authenticator_after,
        ),
        (
            "init_secret",
            secrets.init_secret.as_bytes(),
            &after.init_secret,
        ),
        (
            "encryption_secret",
            secrets.encryption_secret.as_bytes(),
            &after.encryption_secret,
        ),
        (
            "sender_data_secret",
            secrets.sender_data_secret.as_bytes(),
            &after.sender_data_secret,
        ),
        (
            "membership_key",
            secrets.membership_key.as_bytes(),
            &after.membership_key,
        ),
        (
            "confirmed_transcript_hash",
            &confirmed,
            &after.confirmed_transcript_hash,
        ),
        (
            "interim_transcript_hash",
            &interim,
            &after.interim_transcript_hash,
        ),
        ("group_id", next.group_id.as_slice(), &after.group_id),
    ];
    for (what, got, expected) in checks {
        if got != expected {
            return Err(format!("{what} after the commit differs"));
        }
    }
    if after.epoch != next.epoch {
        return Err("the epoch after differs".into());
    }
    Ok(())
}
