//! The group kinds so far: `message-protection` and `welcome`.

use std::sync::Arc;

use cohort_codec::{Decode, Encode, VarBytes};
use cohort_crypto::{
    CipherSuite, CryptoProvider, HpkePrivateKey, Secret, SignaturePrivateKey, SignaturePublicKey,
    SoftwareHpkeKey, SoftwareSigner, SuiteOps, labeled,
};
use cohort_group::framing::{
    PrivateOptions, protect_private, protect_public, unprotect_private, unprotect_public,
};
use cohort_group::join;
use cohort_key_schedule::{JoinerSecret, RatchetConfig, SecretTree};
use cohort_messages::framing::{
    Content, FramedContent, Mac, PrivateMessage, PublicMessage, Sender,
};
use cohort_messages::group_context::GroupContext;
use cohort_messages::proposal::{Commit, Proposal};
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_test_vectors::message_protection::MessageProtection;
use cohort_test_vectors::welcome::Welcome as WelcomeCase;
use cohort_tree::leaf::ProtocolVersion;
use cohort_tree::math::LeafIndex;

use crate::run::Cases;

type Check = Result<(), String>;

/// One content of a message-protection case: name, content, its PublicMessage (none for
/// application data) and its PrivateMessage.
type Item<'a> = (&'a str, Content, Option<&'a [u8]>, &'a [u8]);

/// `message-protection`: each of a proposal, a commit and application data, as PublicMessage
/// (except application data, which must be refused) and as PrivateMessage, both directions.
pub(crate) fn run_message_protection(
    cases: &[MessageProtection],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
) {
    for (index, case) in cases.iter().enumerate() {
        if let Some(ops) = run.suite(provider, case.cipher_suite) {
            run.record(index, Some(case.cipher_suite), check_protection(case, &ops));
        }
    }
}

fn public_of(bytes: &[u8]) -> Result<PublicMessage, String> {
    match MlsMessage::from_bytes(bytes)
        .map_err(|e| e.to_string())?
        .body
    {
        MlsMessageBody::PublicMessage(m) => Ok(m),
        _ => Err("not a PublicMessage".into()),
    }
}

fn private_of(bytes: &[u8]) -> Result<PrivateMessage, String> {
    match MlsMessage::from_bytes(bytes)
        .map_err(|e| e.to_string())?
        .body
    {
        MlsMessageBody::PrivateMessage(m) => Ok(m),
        _ => Err("not a PrivateMessage".into()),
    }
}

fn check_protection(case: &MessageProtection, ops: &Arc<dyn SuiteOps>) -> Check {
    let s = &**ops;
    let context = GroupContext {
        version: ProtocolVersion::MLS10,
        cipher_suite: CipherSuite(case.cipher_suite),
        group_id: VarBytes::from(case.group_id.as_slice()),
        epoch: case.epoch,
        tree_hash: VarBytes::from(case.tree_hash.as_slice()),
        confirmed_transcript_hash: VarBytes::from(case.confirmed_transcript_hash.as_slice()),
        extensions: Vec::new(),
    };
    let signer = SoftwareSigner::from_private(
        ops.clone(),
        SignaturePrivateKey::new(case.signature_priv.to_vec()),
    )
    .map_err(|e| format!("signature key: {e}"))?;
    let public_key = SignaturePublicKey::from(case.signature_pub.to_vec());
    let tree = || {
        SecretTree::new(
            Secret::new(case.encryption_secret.to_vec()),
            2,
            RatchetConfig::default(),
        )
    };
    let sender = LeafIndex(1);
    let leaf_key = |l: LeafIndex| (l == sender).then_some(&public_key);
    let framed = |content: Content| FramedContent {
        group_id: context.group_id.clone(),
        epoch: context.epoch,
        sender: Sender::Member(sender),
        authenticated_data: VarBytes::default(),
        content,
    };
    let proposal = Proposal::from_bytes(&case.proposal).map_err(|e| format!("proposal: {e}"))?;
    let commit = Commit::from_bytes(&case.commit).map_err(|e| format!("commit: {e}"))?;
    // The vectors' commits carry a confirmation tag whose value is not checked here.
    let items: [Item<'_>; 3] = [
        (
            "proposal",
            Content::Proposal(proposal),
            Some(&case.proposal_pub),
            &case.proposal_priv,
        ),
        (
            "commit",
            Content::Commit(commit),
            Some(&case.commit_pub),
            &case.commit_priv,
        ),
        (
            "application",
            Content::Application(case.application.to_vec().into()),
            None,
            &case.application_priv,
        ),
    ];
    for (name, content, public, private) in items {
        let e = |what: &str, err: &dyn std::fmt::Display| format!("{name}: {what}: {err}");
        // The given PublicMessage verifies and carries the content.
        let tag_of = |c: &Content, given: Option<&Mac>| match c {
            Content::Commit(_) => given
                .cloned()
                .or_else(|| Some(Mac(vec![0; s.hash_len()].into()))),
            _ => None,
        };
        if let Some(public) = public {
            let msg = public_of(public).map_err(|err| e("decode", &err))?;
            let tag = msg.auth.confirmation_tag.clone();
            let got = unprotect_public(s, msg, &context, &case.membership_key, &public_key)
                .map_err(|err| e("given PublicMessage", &err))?;
            if got.content.content != content {
                return Err(format!("{name}: PublicMessage content differs"));
            }
            let ours = protect_public(
                s,
                &signer,
                framed(content.clone()),
                tag_of(&content, tag.as_ref()),
                &context,
                &case.membership_key,
            )
            .map_err(|err| e("protect public", &err))?;
            let ours =
                PublicMessage::from_bytes(&ours.to_bytes().map_err(|err| e("encode", &err))?)
                    .map_err(|err| e("decode ours", &err))?;
            unprotect_public(s, ours, &context, &case.membership_key, &public_key)
                .map_err(|err| e("our PublicMessage", &err))?;
        } else if protect_public(
            s,
            &signer,
            framed(content.clone()),
            None,
            &context,
            &case.membership_key,
        )
        .is_ok()
        {
            return Err(format!(
                "{name}: protecting application data as a PublicMessage succeeded"
            ));
        }
        // The given PrivateMessage decrypts and carries the content.
        let msg = private_of(private).map_err(|err| e("decode", &err))?;
        let mut receiver = tree();
        let got = unprotect_private(
            s,
            &msg,
            &context,
            &mut receiver,
            &case.sender_data_secret,
            leaf_key,
        )
        .map_err(|err| e("given PrivateMessage", &err))?;
        if got.content.content != content {
            return Err(format!("{name}: PrivateMessage content differs"));
        }
        // Ours round-trips through a fresh receiver.
        let tag = got.auth.confirmation_tag.clone();
        let mut sender_tree = tree();
        let options = PrivateOptions {
            padding: 7,
            reuse_guard: [1, 2, 3, 4],
        };
        let ours = protect_private(
            s,
            &signer,
            framed(content.clone()),
            tag,
            &context,
            &mut sender_tree,
            &case.sender_data_secret,
            options,
        )
        .map_err(|err| e("protect private", &err))?;
        let ours = PrivateMessage::from_bytes(&ours.to_bytes().map_err(|err| e("encode", &err))?)
            .map_err(|err| e("decode ours", &err))?;
        let mut receiver = tree();
        let back = unprotect_private(
            s,
            &ours,
            &context,
            &mut receiver,
            &case.sender_data_secret,
            leaf_key,
        )
        .map_err(|err| e("our PrivateMessage", &err))?;
        if back.content.content != content {
            return Err(format!("{name}: our PrivateMessage content differs"));
        }
    }
    Ok(())
}

/// `welcome`: find our entry, decrypt the secrets and the GroupInfo, verify its signature and
/// its confirmation tag.
pub(crate) fn run_welcome(cases: &[WelcomeCase], run: &mut Cases, provider: &dyn CryptoProvider) {
    for (index, case) in cases.iter().enumerate() {
        if let Some(ops) = run.suite(provider, case.cipher_suite) {
            run.record(index, Some(case.cipher_suite), check_welcome(case, &ops));
        }
    }
}

fn check_welcome(case: &WelcomeCase, ops: &Arc<dyn SuiteOps>) -> Check {
    let s = &**ops;
    let kp_message = MlsMessage::from_bytes(&case.key_package).map_err(|e| e.to_string())?;
    let MlsMessageBody::KeyPackage(kp) = kp_message.body else {
        return Err("key_package is not a KeyPackage".into());
    };
    let MlsMessageBody::Welcome(welcome) = MlsMessage::from_bytes(&case.welcome)
        .map_err(|e| e.to_string())?
        .body
    else {
        return Err("welcome is not a Welcome".into());
    };
    let kp_bytes = kp.to_bytes().map_err(|e| e.to_string())?;
    let kp_ref = labeled::make_key_package_ref(s, &kp_bytes).map_err(|e| e.to_string())?;
    let init_key = SoftwareHpkeKey::from_key_pair(
        ops.clone(),
        HpkePrivateKey::new(case.init_priv.to_vec()),
        kp.init_key,
    )
    .map_err(|e| format!("init key: {e}"))?;
    let secrets = join::decrypt_group_secrets(s, &welcome, kp_ref.as_slice(), &init_key)
        .map_err(|e| e.to_string())?;
    if !secrets.psks.is_empty() {
        return Err("the vector's GroupSecrets name PSKs".into());
    }
    let zero = vec![0u8; s.hash_len()];
    let joiner = JoinerSecret::new(Secret::new(secrets.joiner_secret.as_slice().to_vec()));
    let group_info =
        join::decrypt_group_info(s, &welcome, &joiner, &zero).map_err(|e| e.to_string())?;
    let signer = SignaturePublicKey::from(case.signer_pub.to_vec());
    join::verify_group_info(s, &group_info, &signer).map_err(|e| e.to_string())?;
    join::verify_confirmation_tag(s, &group_info, joiner, &zero).map_err(|e| e.to_string())?;
    Ok(())
}
