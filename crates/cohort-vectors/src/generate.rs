//! MLS-level test vectors for the post-quantum suites of draft-ietf-mls-pq-ciphersuites-06, in
//! the official formats of the MLS working group's files (the same JSON the runners of this
//! crate read): `crypto-basics`, `secret-tree`, `key-schedule`, `message-protection` and
//! `welcome` and `treekem`, one case per suite, `tree-operations`, three per suite,
//! `passive-client-welcome`, two per suite (the tree in the Welcome, and out of band), and
//! `passive-client-handling-commit`, one per suite over six epochs.
//!
//! No other implementation publishes MLS-level PQ vectors. These are made by cohort, with fresh
//! random inputs each time they are generated, at cohort's private-use code points (TBD*n* =
//! `0xFF00 + n`); `cargo xtask vectors --dir interop/test-vectors/pq` checks them, and
//! `interop/test-vectors/pq/README.md` says how they were made.

use std::sync::Arc;

use cohort_codec::{Encode, VarBytes};
use cohort_credential::Credential;
use cohort_crypto::{
    CipherSuite, CryptoProvider, Secret, Signer, SoftwareSigner, SuiteOps, labeled,
};
use cohort_group::framing::{PrivateOptions, protect_private, protect_public};
use cohort_group::{CommitOptions, Group, GroupConfig, LeafSpec, create_key_package};
use cohort_key_schedule::{
    ContentKind, InitSecret, RatchetConfig, SecretTree, sender_data_key_nonce,
};
use cohort_messages::framing::{Content, FramedContent, Mac, Sender};
use cohort_messages::group_context::GroupContext;
use cohort_messages::proposal::{Commit, Proposal, ProposalOrRef, Remove};
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::leaf::ProtocolVersion;
use cohort_tree::math::LeafIndex;
use serde_json::{Value, json};

/// The kinds generated, by file stem.
pub const PQ_KINDS: [&str; 9] = [
    "crypto-basics",
    "secret-tree",
    "key-schedule",
    "message-protection",
    "welcome",
    "tree-operations",
    "passive-client-welcome",
    "passive-client-handling-commit",
    "treekem",
];

/// Why a generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The provider lacks a suite it was asked for.
    #[error("the provider lacks cipher suite {0:#06x}")]
    Unsupported(u16),
    /// A crypto or key-schedule failure.
    #[error("{0}")]
    Crypto(String),
}

fn crypto(e: impl std::fmt::Display) -> GenerateError {
    GenerateError::Crypto(e.to_string())
}

/// `n` random bytes from the suite's RNG.
fn random(ops: &dyn SuiteOps, n: usize) -> Result<Vec<u8>, GenerateError> {
    let mut out = vec![0; n];
    ops.random_fill(&mut out).map_err(crypto)?;
    Ok(out)
}

fn random_u32(ops: &dyn SuiteOps) -> Result<u32, GenerateError> {
    let b = random(ops, 4)?;
    Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// A GroupContext without extensions, as the official formats that give one by its fields use.
fn context_of(
    cs: CipherSuite,
    group_id: &[u8],
    epoch: u64,
    tree_hash: &[u8],
    confirmed: &[u8],
) -> GroupContext {
    GroupContext {
        version: ProtocolVersion::MLS10,
        cipher_suite: cs,
        group_id: VarBytes::from(group_id.to_vec()),
        epoch,
        tree_hash: VarBytes::from(tree_hash.to_vec()),
        confirmed_transcript_hash: VarBytes::from(confirmed.to_vec()),
        extensions: Vec::new(),
    }
}

/// The files of [`PQ_KINDS`] for `suites` on `provider`, each as pretty JSON text: one case
/// per suite, in the order given.
///
/// # Errors
/// [`GenerateError::Unsupported`] for a suite the provider lacks; a crypto failure.
pub fn pq_vectors(
    provider: &(dyn CryptoProvider + 'static),
    suites: &[CipherSuite],
) -> Result<Vec<(&'static str, String)>, GenerateError> {
    let mut files: Vec<(&'static str, Vec<Value>)> =
        PQ_KINDS.iter().map(|k| (*k, Vec::new())).collect();
    for &cs in suites {
        let ops = provider.suite(cs).ok_or(GenerateError::Unsupported(cs.0))?;
        files[0].1.push(crypto_basics(cs, &ops)?);
        files[1].1.push(secret_tree(cs, &*ops)?);
        files[2].1.push(key_schedule(cs, &*ops)?);
        files[3].1.push(message_protection(cs, &ops)?);
        files[4].1.push(welcome(provider, cs, &ops)?);
        files[5].1.extend(tree_operations(provider, cs, &ops)?);
        // A join with the tree in the Welcome and one with the tree out of band; then a
        // member that follows six epochs of commits and proposals.
        files[6]
            .1
            .push(passive_client(provider, cs, &ops, true, 0)?);
        files[6]
            .1
            .push(passive_client(provider, cs, &ops, false, 0)?);
        files[7]
            .1
            .push(passive_client(provider, cs, &ops, true, 6)?);
        files[8].1.push(treekem(provider, cs, &ops)?);
    }
    files
        .into_iter()
        .map(|(stem, cases)| {
            serde_json::to_string_pretty(&cases)
                .map(|text| (stem, text + "\n"))
                .map_err(crypto)
        })
        .collect()
}

/// One `crypto-basics` case: each labelled helper of RFC 9420 §5 and §8 on random inputs.
fn crypto_basics(cs: CipherSuite, ops: &Arc<dyn SuiteOps>) -> Result<Value, GenerateError> {
    let s = &**ops;
    let nh = s.hash_len();
    let value = random(s, 32)?;
    let ref_hash = labeled::ref_hash(s, b"RefHash", &value).map_err(crypto)?;
    let (secret, context) = (random(s, nh)?, random(s, 32)?);
    let expanded =
        labeled::expand_with_label(s, &secret, b"ExpandWithLabel", &context, 16).map_err(crypto)?;
    let derive_secret = random(s, nh)?;
    let derived = labeled::derive_secret(s, &derive_secret, b"DeriveSecret").map_err(crypto)?;
    let (tree_secret, generation) = (random(s, nh)?, random_u32(s)?);
    let tree_length = u16::try_from(nh).map_err(crypto)?;
    let tree_out = labeled::derive_tree_secret(
        s,
        &tree_secret,
        b"DeriveTreeSecret",
        generation,
        tree_length,
    )
    .map_err(crypto)?;
    let (sig_private, sig_public) = s.signature_generate().map_err(crypto)?;
    let signer = SoftwareSigner::from_private(ops.clone(), sig_private).map_err(crypto)?;
    let content = random(s, 32)?;
    let signature =
        labeled::sign_with_label(&signer, b"SignWithLabel", &content).map_err(crypto)?;
    let (hpke_private, hpke_public) = s.kem_generate().map_err(crypto)?;
    let (hpke_context, plaintext) = (random(s, 32)?, random(s, 32)?);
    let sealed = labeled::encrypt_with_label(
        s,
        &hpke_public,
        b"EncryptWithLabel",
        &hpke_context,
        &plaintext,
    )
    .map_err(crypto)?;
    Ok(json!({
        "cipher_suite": cs.0,
        "ref_hash": { "label": "RefHash", "value": hex::encode(&value), "out": hex::encode(&ref_hash) },
        "expand_with_label": {
            "secret": hex::encode(&secret),
            "label": "ExpandWithLabel",
            "context": hex::encode(&context),
            "length": 16,
            "out": hex::encode(expanded.as_bytes()),
        },
        "derive_secret": {
            "secret": hex::encode(&derive_secret),
            "label": "DeriveSecret",
            "out": hex::encode(derived.as_bytes()),
        },
        "derive_tree_secret": {
            "secret": hex::encode(&tree_secret),
            "label": "DeriveTreeSecret",
            "generation": generation,
            "length": tree_length,
            "out": hex::encode(tree_out.as_bytes()),
        },
        "sign_with_label": {
            "priv": hex::encode(signer.private_key().as_bytes()),
            "pub": hex::encode(sig_public.as_ref()),
            "content": hex::encode(&content),
            "label": "SignWithLabel",
            "signature": hex::encode(&signature),
        },
        "encrypt_with_label": {
            "priv": hex::encode(hpke_private.as_bytes()),
            "pub": hex::encode(hpke_public.as_ref()),
            "label": "EncryptWithLabel",
            "context": hex::encode(&hpke_context),
            "plaintext": hex::encode(&plaintext),
            "kem_output": hex::encode(sealed.kem_output.as_slice()),
            "ciphertext": hex::encode(sealed.ciphertext.as_slice()),
        },
    }))
}

/// One `secret-tree` case: a tree of 8 leaves, both ratchets of every leaf at generations 0, 1,
/// 15 and 100, and the sender-data key and nonce of a random ciphertext.
fn secret_tree(cs: CipherSuite, s: &dyn SuiteOps) -> Result<Value, GenerateError> {
    const LEAVES: u32 = 8;
    const GENERATIONS: [u32; 4] = [0, 1, 15, 100];
    let nh = s.hash_len();
    let (sender_data_secret, ciphertext) = (random(s, nh)?, random(s, 77)?);
    let (key, nonce) =
        sender_data_key_nonce(s, &sender_data_secret, &ciphertext).map_err(crypto)?;
    let encryption_secret = random(s, nh)?;
    let config = RatchetConfig {
        max_forward_distance: 1000,
        out_of_order_tolerance: 0,
    };
    let mut tree = SecretTree::new(Secret::new(encryption_secret.clone()), LEAVES, config);
    let mut leaves = Vec::new();
    for leaf in 0..LEAVES {
        let mut generations = Vec::new();
        for generation in GENERATIONS {
            let mut keys = Vec::new();
            for kind in [ContentKind::Handshake, ContentKind::Application] {
                let k = tree
                    .open(s, leaf, kind, generation, |k| Ok::<_, ()>(k.clone()))
                    .map_err(crypto)?
                    .map_err(|()| GenerateError::Crypto("unreachable".into()))?;
                keys.push((
                    hex::encode(k.key.as_bytes()),
                    hex::encode(k.nonce.as_bytes()),
                ));
            }
            generations.push(json!({
                "generation": generation,
                "handshake_key": keys[0].0,
                "handshake_nonce": keys[0].1,
                "application_key": keys[1].0,
                "application_nonce": keys[1].1,
            }));
        }
        leaves.push(Value::Array(generations));
    }
    Ok(json!({
        "cipher_suite": cs.0,
        "sender_data": {
            "sender_data_secret": hex::encode(&sender_data_secret),
            "ciphertext": hex::encode(&ciphertext),
            "key": hex::encode(key.as_bytes()),
            "nonce": hex::encode(nonce.as_bytes()),
        },
        "encryption_secret": hex::encode(&encryption_secret),
        "leaves": leaves,
    }))
}

/// One `key-schedule` case: three epochs from a random initial `init_secret`, with random
/// tree hashes, commit secrets, confirmed transcript hashes and (in epoch 1) a PSK secret; every
/// secret, `external_pub` (a post-quantum KEM's key derived from `external_secret`) and one
/// exporter output.
fn key_schedule(cs: CipherSuite, s: &dyn SuiteOps) -> Result<Value, GenerateError> {
    let nh = s.hash_len();
    let group_id = random(s, 16)?;
    let initial = random(s, nh)?;
    let mut init = InitSecret::new(Secret::new(initial.clone()));
    let mut epochs = Vec::new();
    for epoch in 0..3u64 {
        let tree_hash = random(s, nh)?;
        let commit_secret = random(s, nh)?;
        let psk_secret = if epoch == 1 {
            random(s, nh)?
        } else {
            vec![0; nh]
        };
        let confirmed = random(s, nh)?;
        let context = context_of(cs, &group_id, epoch, &tree_hash, &confirmed)
            .to_bytes()
            .map_err(crypto)?;
        let joiner = init
            .joiner_secret(s, &commit_secret, &context)
            .map_err(crypto)?;
        let welcome = joiner.welcome_secret(s, &psk_secret).map_err(crypto)?;
        let joiner_hex = hex::encode(joiner.as_bytes());
        let secrets = joiner
            .into_epoch(s, &psk_secret, &context)
            .map_err(crypto)?;
        let (_, external_pub) = secrets.external_key_pair(s).map_err(crypto)?;
        let exporter_context = random(s, 32)?;
        let exported = secrets
            .export(s, b"exporter label", &exporter_context, 32)
            .map_err(crypto)?;
        epochs.push(json!({
            "tree_hash": hex::encode(&tree_hash),
            "commit_secret": hex::encode(&commit_secret),
            "psk_secret": hex::encode(&psk_secret),
            "confirmed_transcript_hash": hex::encode(&confirmed),
            "group_context": hex::encode(&context),
            "joiner_secret": joiner_hex,
            "welcome_secret": hex::encode(welcome.as_bytes()),
            "init_secret": hex::encode(secrets.init_secret.as_bytes()),
            "sender_data_secret": hex::encode(secrets.sender_data_secret.as_bytes()),
            "encryption_secret": hex::encode(secrets.encryption_secret.as_bytes()),
            "exporter_secret": hex::encode(secrets.exporter_secret.as_bytes()),
            "epoch_authenticator": hex::encode(secrets.epoch_authenticator.as_bytes()),
            "external_secret": hex::encode(secrets.external_secret.as_bytes()),
            "confirmation_key": hex::encode(secrets.confirmation_key.as_bytes()),
            "membership_key": hex::encode(secrets.membership_key.as_bytes()),
            "resumption_psk": hex::encode(secrets.resumption_psk.as_bytes()),
            "external_pub": hex::encode(external_pub.as_ref()),
            "exporter": {
                "label": "exporter label",
                "context": hex::encode(&exporter_context),
                "length": 32,
                "secret": hex::encode(exported.as_bytes()),
            },
        }));
        init = secrets.init_secret.clone();
    }
    Ok(json!({
        "cipher_suite": cs.0,
        "group_id": hex::encode(&group_id),
        "initial_init_secret": hex::encode(&initial),
        "epochs": epochs,
    }))
}

/// One `message-protection` case: a Remove proposal, a commit of it and random application data
/// from leaf 1 of a two-leaf group in a random context, as PublicMessage (not the application
/// data) and as PrivateMessage.
fn message_protection(cs: CipherSuite, ops: &Arc<dyn SuiteOps>) -> Result<Value, GenerateError> {
    let s = &**ops;
    let nh = s.hash_len();
    let (group_id, tree_hash, confirmed) = (random(s, 16)?, random(s, nh)?, random(s, nh)?);
    let epoch = u64::from(random_u32(s)?);
    let context = context_of(cs, &group_id, epoch, &tree_hash, &confirmed);
    let (sig_private, sig_public) = s.signature_generate().map_err(crypto)?;
    let signer = SoftwareSigner::from_private(ops.clone(), sig_private).map_err(crypto)?;
    let (encryption_secret, sender_data_secret, membership_key) =
        (random(s, nh)?, random(s, nh)?, random(s, nh)?);
    let sender = LeafIndex(1);
    let framed = |content: Content| FramedContent {
        group_id: context.group_id.clone(),
        epoch,
        sender: Sender::Member(sender),
        authenticated_data: VarBytes::default(),
        content,
    };
    let proposal = Proposal::Remove(Remove {
        removed: LeafIndex(0),
    });
    let commit = Commit {
        proposals: vec![ProposalOrRef::Proposal(proposal.clone())],
        path: None,
    };
    let application = random(s, 32)?;
    let mut tree = SecretTree::new(
        Secret::new(encryption_secret.clone()),
        2,
        RatchetConfig::default(),
    );
    let mut protect = |content: Content, tag: Option<Mac>, public: bool| {
        let message = if public {
            MlsMessage::new(MlsMessageBody::PublicMessage(
                protect_public(s, &signer, framed(content), tag, &context, &membership_key)
                    .map_err(crypto)?,
            ))
        } else {
            let options = PrivateOptions {
                padding: 0,
                reuse_guard: [0; 4],
            };
            MlsMessage::new(MlsMessageBody::PrivateMessage(
                protect_private(
                    s,
                    &signer,
                    framed(content),
                    tag,
                    &context,
                    &mut tree,
                    &sender_data_secret,
                    options,
                )
                .map_err(crypto)?,
            ))
        };
        message.to_bytes().map(hex::encode).map_err(crypto)
    };
    let tag = Mac(random(s, nh)?.into());
    let proposal_pub = protect(Content::Proposal(proposal.clone()), None, true)?;
    let proposal_priv = protect(Content::Proposal(proposal.clone()), None, false)?;
    let commit_pub = protect(Content::Commit(commit.clone()), Some(tag.clone()), true)?;
    let commit_priv = protect(Content::Commit(commit.clone()), Some(tag), false)?;
    let application_priv = protect(
        Content::Application(application.clone().into()),
        None,
        false,
    )?;
    Ok(json!({
        "cipher_suite": cs.0,
        "group_id": hex::encode(&group_id),
        "epoch": epoch,
        "tree_hash": hex::encode(&tree_hash),
        "confirmed_transcript_hash": hex::encode(&confirmed),
        "signature_priv": hex::encode(signer.private_key().as_bytes()),
        "signature_pub": hex::encode(sig_public.as_ref()),
        "encryption_secret": hex::encode(&encryption_secret),
        "sender_data_secret": hex::encode(&sender_data_secret),
        "membership_key": hex::encode(&membership_key),
        "proposal": hex::encode(proposal.to_bytes().map_err(crypto)?),
        "proposal_pub": proposal_pub,
        "proposal_priv": proposal_priv,
        "commit": hex::encode(commit.to_bytes().map_err(crypto)?),
        "commit_pub": commit_pub,
        "commit_priv": commit_priv,
        "application": hex::encode(&application),
        "application_priv": application_priv,
    }))
}

/// A group of the suite created by "alice" with signer `creator` and a random group id, with
/// the default configuration.
fn alices_group(
    provider: &(dyn CryptoProvider + 'static),
    cs: CipherSuite,
    ops: &Arc<dyn SuiteOps>,
    creator: &SoftwareSigner,
) -> Result<Group, GenerateError> {
    const NOW: u64 = 1_800_000_000;
    Group::create(
        provider,
        cs,
        creator,
        &LeafSpec::new(Credential::basic(b"alice".to_vec()), NOW, 30),
        random(&**ops, 16)?,
        Vec::new(),
        GroupConfig::default(),
    )
    .map_err(crypto)
}

/// One `welcome` case: a group created on the suite adds one KeyPackage; the Welcome, the
/// KeyPackage, its init key and the creator's signature key.
fn welcome(
    provider: &(dyn CryptoProvider + 'static),
    cs: CipherSuite,
    ops: &Arc<dyn SuiteOps>,
) -> Result<Value, GenerateError> {
    const NOW: u64 = 1_800_000_000;
    let spec = |name: &str| LeafSpec::new(Credential::basic(name.as_bytes().to_vec()), NOW, 30);
    let creator = SoftwareSigner::generate(ops.clone()).map_err(crypto)?;
    let joiner = SoftwareSigner::generate(ops.clone()).map_err(crypto)?;
    let mut group = alices_group(provider, cs, ops, &creator)?;
    let (key_package, secrets) =
        create_key_package(provider, cs, &joiner, &spec("bob")).map_err(crypto)?;
    let out = group
        .add_members(
            &creator,
            vec![key_package.clone()],
            &CommitOptions::new(),
            Some(NOW),
        )
        .map_err(crypto)?;
    let welcome = out
        .welcome
        .ok_or_else(|| GenerateError::Crypto("an add without a Welcome".into()))?;
    let key_package = MlsMessage::new(MlsMessageBody::KeyPackage(key_package));
    Ok(json!({
        "cipher_suite": cs.0,
        "init_priv": hex::encode(secrets.init_key.as_bytes()),
        "signer_pub": hex::encode(creator.public_key().as_ref()),
        "key_package": hex::encode(key_package.to_bytes().map_err(crypto)?),
        "welcome": hex::encode(welcome.to_bytes().map_err(crypto)?),
    }))
}

/// One `passive-client-*` case: a passive member (whose KeyPackage and private keys the case
/// gives) joins a group of the suite from a Welcome (`tree_in_welcome`, or the tree given out of
/// band), then follows `epochs` epochs in which the two active members take turns: a
/// self-update commit, an Add proposed by one and committed by reference by the other, a
/// commit removing the member added, and so on. Every epoch authenticator is the creator's.
fn passive_client(
    provider: &(dyn CryptoProvider + 'static),
    cs: CipherSuite,
    ops: &Arc<dyn SuiteOps>,
    tree_in_welcome: bool,
    epochs: usize,
) -> Result<Value, GenerateError> {
    const NOW: u64 = 1_800_000_000;
    let spec = |name: &str| LeafSpec::new(Credential::basic(name.as_bytes().to_vec()), NOW, 30);
    let alice = SoftwareSigner::generate(ops.clone()).map_err(crypto)?;
    let bob = SoftwareSigner::generate(ops.clone()).map_err(crypto)?;
    let (signature_priv, signature_pub) = ops.signature_generate().map_err(crypto)?;
    let passive = SoftwareSigner::from_key_pair(ops.clone(), signature_priv.clone(), signature_pub)
        .map_err(crypto)?;
    let mut a = alices_group(provider, cs, ops, &alice)?;
    let (bob_kp, bob_secrets) =
        create_key_package(provider, cs, &bob, &spec("bob")).map_err(crypto)?;
    let (kp, secrets) =
        create_key_package(provider, cs, &passive, &spec("passive")).map_err(crypto)?;
    let mut options = CommitOptions::new();
    options.ratchet_tree_in_welcome = tree_in_welcome;
    let out = a
        .add_members(
            &alice,
            vec![bob_kp.clone(), kp.clone()],
            &options,
            Some(NOW),
        )
        .map_err(crypto)?;
    a.merge_pending_commit().map_err(crypto)?;
    let welcome = out
        .welcome
        .ok_or_else(|| GenerateError::Crypto("an add without a Welcome".into()))?;
    let MlsMessageBody::Welcome(w) = &welcome.body else {
        return Err(GenerateError::Crypto("not a Welcome".into()));
    };
    let tree = a.tree().to_nodes();
    let mut b = Group::join(
        provider,
        cohort_group::JoinInput {
            welcome: w,
            key_package: &bob_kp,
            secrets: &bob_secrets,
            ratchet_tree: (!tree_in_welcome).then(|| tree.clone()),
            now: Some(NOW),
        },
        &cohort_group::NoPsks,
        GroupConfig::default(),
    )
    .map_err(crypto)?;
    let initial = a.epoch_authenticator().to_vec();
    // Delivers `msg` to `g`: a proposal is cached, a commit merged.
    let deliver = |g: &mut Group, msg: &MlsMessage| -> Result<(), GenerateError> {
        match g
            .process_message(msg.clone(), &cohort_group::NoPsks, Some(NOW))
            .map_err(crypto)?
        {
            cohort_group::Processed::Commit(staged) => g.merge_staged(*staged).map_err(crypto),
            _ => Ok(()),
        }
    };
    let mut epoch_cases = Vec::with_capacity(epochs);
    let mut added = None;
    for n in 0..epochs {
        // Alice and Bob take turns as the committer.
        let ((committer, committer_signer), (other, other_signer)) = if n % 2 == 0 {
            ((&mut a, &alice), (&mut b, &bob))
        } else {
            ((&mut b, &bob), (&mut a, &alice))
        };
        let mut proposals = Vec::new();
        let mut just_added = false;
        let commit = match (n % 3, added) {
            (1, None) => {
                let newcomer = SoftwareSigner::generate(ops.clone()).map_err(crypto)?;
                let (kp, _) =
                    create_key_package(provider, cs, &newcomer, &spec("carol")).map_err(crypto)?;
                let proposal = other
                    .propose(
                        other_signer,
                        Proposal::Add(cohort_messages::proposal::Add { key_package: kp }),
                        cohort_group::HandshakeFormat::Public,
                        Some(NOW),
                    )
                    .map_err(crypto)?;
                deliver(committer, &proposal)?;
                proposals.push(hex::encode(proposal.to_bytes().map_err(crypto)?));
                let out = committer
                    .commit(
                        committer_signer,
                        Vec::new(),
                        &CommitOptions::new(),
                        &cohort_group::NoPsks,
                        Some(NOW),
                    )
                    .map_err(crypto)?;
                just_added = true;
                out.commit
            }
            (2, Some(leaf)) => {
                added = None;
                committer
                    .remove_members(committer_signer, &[leaf], &CommitOptions::new(), Some(NOW))
                    .map_err(crypto)?
                    .commit
            }
            _ => {
                committer
                    .self_update(committer_signer, &CommitOptions::new(), Some(NOW))
                    .map_err(crypto)?
                    .commit
            }
        };
        committer.merge_pending_commit().map_err(crypto)?;
        // The member just added took the rightmost leaf.
        if just_added {
            added = committer.tree().leaves().map(|(i, _)| i).last();
        }
        deliver(other, &commit)?;
        epoch_cases.push(json!({
            "proposals": proposals,
            "commit": hex::encode(commit.to_bytes().map_err(crypto)?),
            "epoch_authenticator": hex::encode(a.epoch_authenticator()),
        }));
    }
    let key_package = MlsMessage::new(MlsMessageBody::KeyPackage(kp));
    Ok(json!({
        "cipher_suite": cs.0,
        "external_psks": [],
        "key_package": hex::encode(key_package.to_bytes().map_err(crypto)?),
        "signature_priv": hex::encode(signature_priv.as_bytes()),
        "encryption_priv": hex::encode(secrets.encryption_key.as_bytes()),
        "init_priv": hex::encode(secrets.init_key.as_bytes()),
        "welcome": hex::encode(welcome.to_bytes().map_err(crypto)?),
        "ratchet_tree": (!tree_in_welcome)
            .then(|| tree.to_bytes().map(hex::encode))
            .transpose()
            .map_err(crypto)?,
        "initial_epoch_authenticator": hex::encode(initial),
        "epochs": epoch_cases,
    }))
}

/// A path of `sender` over `base` (as a committer makes it): the plan, the tree with the new
/// path and leaf, the UpdatePath, and the provisional GroupContext it was encrypted under.
fn update_path(
    s: &dyn SuiteOps,
    base: &cohort_tree::RatchetTree,
    sender: LeafIndex,
    signer: &dyn Signer,
    context: &GroupContext,
) -> Result<
    (
        cohort_tree::treekem::PathPlan,
        cohort_tree::RatchetTree,
        cohort_tree::path::UpdatePath,
        Vec<u8>,
    ),
    GenerateError,
> {
    use cohort_tree::leaf::LeafNodeSource;
    let mut tree = base.clone();
    let plan = cohort_tree::treekem::plan_update_path(&mut tree, s, sender).map_err(crypto)?;
    let mut leaf = base
        .leaf(sender)
        .cloned()
        .ok_or_else(|| GenerateError::Crypto("a blank sender".into()))?;
    leaf.encryption_key = plan.leaf_public_key().clone();
    leaf.leaf_node_source = LeafNodeSource::Commit(VarBytes::from(plan.leaf_parent_hash()));
    let tbs = leaf
        .to_be_signed(Some((&context.group_id, sender)))
        .map_err(crypto)?;
    leaf.signature = labeled::sign_with_label(signer, b"LeafNodeTBS", &tbs)
        .map_err(crypto)?
        .into();
    tree.set_leaf(sender, leaf.clone()).map_err(crypto)?;
    let context = GroupContext {
        tree_hash: tree.tree_hash(s).map_err(crypto)?.into(),
        ..context.clone()
    }
    .to_bytes()
    .map_err(crypto)?;
    let path = cohort_tree::treekem::encrypt_update_path(&tree, s, &plan, leaf, &context, &[])
        .map_err(crypto)?;
    Ok((plan, tree, path, context))
}

/// One `treekem` case: a five-member group of the suite whose creator (leaf 0, whose private
/// state the case leaves out) has sent one path, so that parent nodes hold keys; the private
/// state of leaves 1 to 4 (their leaf keys, and the path secrets of the creator's path they
/// know); then UpdatePaths from leaves 1 and 3, each with the path secret every other member
/// decrypts, the commit secret and the tree hash after.
fn treekem(
    provider: &(dyn CryptoProvider + 'static),
    cs: CipherSuite,
    ops: &Arc<dyn SuiteOps>,
) -> Result<Value, GenerateError> {
    use cohort_tree::treekem::{PrivateTree, decrypt_update_path, merge_update_path};
    const NOW: u64 = 1_800_000_000;
    let s = &**ops;
    let spec = |name: &str| LeafSpec::new(Credential::basic(name.as_bytes().to_vec()), NOW, 30);
    let creator = SoftwareSigner::generate(ops.clone()).map_err(crypto)?;
    let mut group = alices_group(provider, cs, ops, &creator)?;
    // Leaves 1 to 4: signer, signature private key, leaf private key.
    let mut members = Vec::new();
    let mut key_packages = Vec::new();
    for name in ["bob", "carol", "dave", "erin"] {
        let (private, public) = s.signature_generate().map_err(crypto)?;
        let signer =
            SoftwareSigner::from_key_pair(ops.clone(), private.clone(), public).map_err(crypto)?;
        let (kp, secrets) =
            create_key_package(provider, cs, &signer, &spec(name)).map_err(crypto)?;
        key_packages.push(kp);
        members.push((signer, private, secrets.encryption_key));
    }
    // Adds need no path: the parents stay blank until the creator's path below.
    group
        .add_members(&creator, key_packages, &CommitOptions::new(), Some(NOW))
        .map_err(crypto)?;
    group.merge_pending_commit().map_err(crypto)?;
    let context = GroupContext {
        version: ProtocolVersion::MLS10,
        cipher_suite: cs,
        group_id: group.group_id().to_vec().into(),
        epoch: u64::from(random_u32(s)?),
        tree_hash: VarBytes::default(),
        confirmed_transcript_hash: random(s, s.hash_len())?.into(),
        extensions: Vec::new(),
    };
    let (plan, base, _, _) = update_path(s, group.tree(), LeafIndex(0), &creator, &context)?;
    // Each member knows the creator's path secrets from the node above both of them upwards.
    let filtered: Vec<cohort_tree::math::NodeIndex> = base
        .filtered_direct_path(LeafIndex(0))
        .into_iter()
        .map(|(x, _)| x)
        .collect();
    let mut leaves_private = Vec::new();
    let mut privates = Vec::new();
    for (i, (_, signature_priv, encryption_priv)) in members.iter().enumerate() {
        let leaf = LeafIndex(u32::try_from(i + 1).map_err(crypto)?);
        let mut private = PrivateTree::new(leaf, encryption_priv.clone());
        let mut secrets = Vec::new();
        let above = cohort_tree::math::direct_path(leaf.node(), base.leaf_count());
        for x in filtered.iter().filter(|x| above.contains(x)) {
            let secret = plan
                .path_secret_for(*x)
                .ok_or_else(|| GenerateError::Crypto("a path node without a secret".into()))?;
            private
                .derive_path_keys(s, &base, &[*x], secret.clone())
                .map_err(crypto)?;
            secrets.push(json!({"node": x.0, "path_secret": hex::encode(secret.as_bytes())}));
        }
        leaves_private.push(json!({
            "index": leaf.0,
            "encryption_priv": hex::encode(encryption_priv.as_bytes()),
            "signature_priv": hex::encode(signature_priv.as_bytes()),
            "path_secrets": secrets,
        }));
        privates.push((leaf, private));
    }
    let mut update_paths = Vec::new();
    for sender in [LeafIndex(1), LeafIndex(3)] {
        let signer = &members[sender.0 as usize - 1].0;
        let (plan, mut tree, path, context) = update_path(s, &base, sender, signer, &context)?;
        let mut path_secrets = vec![Value::Null; base.leaf_count() as usize];
        for (leaf, private) in privates.iter().filter(|(l, _)| *l != sender) {
            let mut theirs = base.clone();
            merge_update_path(&mut theirs, s, sender, &path, &[]).map_err(crypto)?;
            let mut private = private.clone();
            let (commit_secret, _, path_secret) =
                decrypt_update_path(&theirs, s, &mut private, sender, &path, &context, &[])
                    .map_err(crypto)?;
            if commit_secret.as_bytes() != plan.commit_secret().as_bytes() {
                return Err(GenerateError::Crypto(
                    "members disagree on a commit secret".into(),
                ));
            }
            path_secrets[leaf.0 as usize] = json!(hex::encode(path_secret.as_bytes()));
        }
        update_paths.push(json!({
            "sender": sender.0,
            "update_path": hex::encode(path.to_bytes().map_err(crypto)?),
            "path_secrets": path_secrets,
            "commit_secret": hex::encode(plan.commit_secret().as_bytes()),
            "tree_hash_after": hex::encode(tree.tree_hash(s).map_err(crypto)?),
        }));
    }
    Ok(json!({
        "cipher_suite": cs.0,
        "group_id": hex::encode(context.group_id.as_slice()),
        "epoch": context.epoch,
        "confirmed_transcript_hash": hex::encode(context.confirmed_transcript_hash.as_slice()),
        "ratchet_tree": hex::encode(base.to_nodes().to_bytes().map_err(crypto)?),
        "leaves_private": leaves_private,
        "update_paths": update_paths,
    }))
}

/// Three `tree-operations` cases: in the tree of a four-member group made on the suite, an Add
/// of a new KeyPackage, an Update of the creator's leaf (a proposal it made) and a Remove of
/// leaf 2, each with the tree and its hash before and after.
fn tree_operations(
    provider: &(dyn CryptoProvider + 'static),
    cs: CipherSuite,
    ops: &Arc<dyn SuiteOps>,
) -> Result<Vec<Value>, GenerateError> {
    const NOW: u64 = 1_800_000_000;
    let s = &**ops;
    let spec = |name: &str| LeafSpec::new(Credential::basic(name.as_bytes().to_vec()), NOW, 30);
    let creator = SoftwareSigner::generate(ops.clone()).map_err(crypto)?;
    let mut group = alices_group(provider, cs, ops, &creator)?;
    let key_package = |name: &str| {
        let signer = SoftwareSigner::generate(ops.clone()).map_err(crypto)?;
        create_key_package(provider, cs, &signer, &spec(name))
            .map(|(kp, _)| kp)
            .map_err(crypto)
    };
    let members = ["bob", "carol", "dave"]
        .into_iter()
        .map(key_package)
        .collect::<Result<Vec<_>, _>>()?;
    group
        .add_members(&creator, members, &CommitOptions::new(), Some(NOW))
        .map_err(crypto)?;
    group.merge_pending_commit().map_err(crypto)?;
    let update = group
        .propose_update(&creator, cohort_group::HandshakeFormat::Public, Some(NOW))
        .map_err(crypto)?;
    let MlsMessageBody::PublicMessage(update) = update.body else {
        return Err(GenerateError::Crypto(
            "an Update not as a PublicMessage".into(),
        ));
    };
    let Content::Proposal(update) = update.content.content else {
        return Err(GenerateError::Crypto("not a proposal".into()));
    };
    let proposals = [
        Proposal::Add(cohort_messages::proposal::Add {
            key_package: key_package("erin")?,
        }),
        update,
        Proposal::Remove(Remove {
            removed: LeafIndex(2),
        }),
    ];
    let before = group.tree().clone();
    let mut cases = Vec::new();
    for proposal in proposals {
        let mut tree = before.clone();
        match &proposal {
            Proposal::Add(add) => tree
                .add_leaf(add.key_package.leaf_node.clone())
                .map(|_| ())
                .map_err(crypto)?,
            Proposal::Update(update) => tree
                .update_leaf(LeafIndex(0), update.leaf_node.clone())
                .map_err(crypto)?,
            Proposal::Remove(remove) => tree.remove_leaf(remove.removed).map_err(crypto)?,
            _ => return Err(GenerateError::Crypto("unexpected proposal".into())),
        }
        cases.push(json!({
            "cipher_suite": cs.0,
            "tree_before": hex::encode(before.to_nodes().to_bytes().map_err(crypto)?),
            "tree_hash_before": hex::encode(before.clone().tree_hash(s).map_err(crypto)?),
            "proposal": hex::encode(proposal.to_bytes().map_err(crypto)?),
            "proposal_sender": 0,
            "tree_after": hex::encode(tree.to_nodes().to_bytes().map_err(crypto)?),
            "tree_hash_after": hex::encode(tree.tree_hash(s).map_err(crypto)?),
        }));
    }
    Ok(cases)
}
