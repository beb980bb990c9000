//! `passive-client`: join from a Welcome, then follow every epoch's proposals and commit, and
//! compare the epoch authenticator after each step.

use cohort_codec::Decode;
use cohort_crypto::{CipherSuite, CryptoProvider, HpkePrivateKey, Secret, SignaturePrivateKey};
use cohort_group::{Group, GroupConfig, JoinInput, KeyPackageSecrets, Processed, PskList};
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_test_vectors::passive_client::PassiveClient;
use cohort_tree::node::RatchetTreeNodes;

use crate::run::Cases;

pub(crate) fn run_passive_client(
    cases: &[PassiveClient],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
) {
    for (index, case) in cases.iter().enumerate() {
        if provider.suite(CipherSuite(case.cipher_suite)).is_none() {
            run.unsupported();
            continue;
        }
        run.record(index, Some(case.cipher_suite), check(case, provider));
    }
}

fn check(case: &PassiveClient, provider: &dyn CryptoProvider) -> Result<(), String> {
    let MlsMessageBody::KeyPackage(kp) = MlsMessage::from_bytes(&case.key_package)
        .map_err(|e| format!("key package: {e}"))?
        .body
    else {
        return Err("key_package is not a KeyPackage".into());
    };
    let MlsMessageBody::Welcome(welcome) = MlsMessage::from_bytes(&case.welcome)
        .map_err(|e| format!("welcome: {e}"))?
        .body
    else {
        return Err("welcome is not a Welcome".into());
    };
    // The given private keys match the KeyPackage's public keys.
    let suite = provider.suite(kp.cipher_suite).ok_or("suite")?;
    let sig = SignaturePrivateKey::new(case.signature_priv.to_vec());
    if suite
        .signature_public_key(&sig)
        .map_err(|e| e.to_string())?
        != kp.leaf_node.signature_key
    {
        return Err("signature_priv does not match the KeyPackage".into());
    }
    let secrets = KeyPackageSecrets {
        init_key: HpkePrivateKey::new(case.init_priv.to_vec()),
        encryption_key: HpkePrivateKey::new(case.encryption_priv.to_vec()),
    };
    let ratchet_tree = case
        .ratchet_tree
        .as_ref()
        .map(|t| RatchetTreeNodes::from_bytes(t))
        .transpose()
        .map_err(|e| format!("ratchet tree: {e}"))?;
    let psks = PskList(
        case.external_psks
            .iter()
            .map(|p| (p.psk_id.to_vec(), Secret::new(p.psk.to_vec())))
            .collect(),
    );
    // The vectors' lifetimes ended long ago: lifetime checks are off for them.
    let config = GroupConfig::default().without_expiry_check();
    let input = JoinInput {
        welcome: &welcome,
        key_package: &kp,
        secrets: &secrets,
        ratchet_tree,
        now: None,
    };
    let mut group =
        Group::join(provider, input, &psks, config).map_err(|e| format!("join: {e}"))?;
    if group.epoch_authenticator() != case.initial_epoch_authenticator.as_slice() {
        return Err("epoch authenticator after joining differs".into());
    }
    for (n, epoch) in case.epochs.iter().enumerate() {
        for (p, proposal) in epoch.proposals.iter().enumerate() {
            let msg = MlsMessage::from_bytes(proposal)
                .map_err(|e| format!("epoch {n} proposal {p}: {e}"))?;
            match group.process_message(msg, &psks, None) {
                Ok(Processed::Proposal { .. }) => {}
                Ok(_) => return Err(format!("epoch {n} proposal {p}: not a proposal")),
                Err(e) => return Err(format!("epoch {n} proposal {p}: {e}")),
            }
        }
        let msg =
            MlsMessage::from_bytes(&epoch.commit).map_err(|e| format!("epoch {n} commit: {e}"))?;
        match group.process_message(msg, &psks, None) {
            Ok(Processed::Commit(staged)) => group
                .merge_staged(*staged)
                .map_err(|e| format!("epoch {n} merge: {e}"))?,
            Ok(_) => return Err(format!("epoch {n}: the commit is not a commit")),
            Err(e) => return Err(format!("epoch {n} commit: {e}")),
        }
        if group.epoch_authenticator() != epoch.epoch_authenticator.as_slice() {
            return Err(format!("epoch {n}: epoch authenticator differs"));
        }
    }
    Ok(())
}
