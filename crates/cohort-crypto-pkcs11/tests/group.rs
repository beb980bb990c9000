//! End to end: a group in which one member's signature key lives in a SoftHSM2 token.
//!
//! Tara signs only through a `Pkcs11Signer` (her client runs on the pure-Rust provider); Bob,
//! Carol and Dave sign in software on aws-lc-rs. Tara publishes KeyPackages, is added, sends
//! application messages, commits (an update, an add with a Welcome, a remove), and the others
//! process all of it; everyone ends on the same epoch authenticator.

#[path = "support/softhsm.rs"]
mod softhsm;

use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::messages::MlsMessage;
use cohort::storage::memory::MemoryStore;
use cohort::{Client, ClientGroup, Received};
use cohort_crypto::Signer;
use cohort_crypto_pkcs11::{Pkcs11Signer, Pkcs11Token, SlotSelector, TokenConfig};

/// A fixed clock: cohort takes time as an argument.
const NOW: u64 = 1_800_000_000;

/// A member whose key is in software.
fn software_client(provider: &Arc<dyn CryptoProvider>, cs: CipherSuite, name: &str) -> Client {
    let ops = provider.require_suite(cs).expect("the suite");
    let signer = SoftwareSigner::generate(ops).expect("a software key");
    Client::builder(provider.clone())
        .signer(Arc::new(signer))
        .credential(Credential::basic(name.as_bytes().to_vec()))
        .cipher_suite(cs)
        .build(Arc::new(MemoryStore::new()))
        .expect("build a client")
}

/// Delivers a commit and merges it.
fn apply(group: &mut ClientGroup, commit: &MlsMessage) {
    match group
        .process_message(commit.clone(), NOW)
        .expect("process a commit")
    {
        Received::Commit(staged) => {
            group.merge_staged(*staged).expect("merge");
        }
        other => panic!("expected a commit, got {other:?}"),
    }
}

/// Delivers an application message and checks its sender and content.
fn read(group: &mut ClientGroup, message: &MlsMessage, from: &str, data: &[u8]) {
    match group
        .process_message(message.clone(), NOW)
        .expect("process a message")
    {
        Received::Application {
            sender, data: got, ..
        } => {
            assert_eq!(
                sender.credential,
                Credential::basic(from.as_bytes().to_vec())
            );
            assert_eq!(got, data);
        }
        other => panic!("expected application data, got {other:?}"),
    }
}

fn same_view(groups: &[&ClientGroup]) {
    let first = groups[0].epoch_authenticator();
    for g in groups {
        assert_eq!(g.epoch(), groups[0].epoch());
        assert_eq!(
            g.epoch_authenticator(),
            first,
            "members disagree on the epoch"
        );
    }
}

/// Tara's leaf, as `group` sees it, carries the token's public key.
fn tara_uses_the_token_key(group: &ClientGroup, token_signer: &Pkcs11Signer) {
    let tara = Credential::basic(b"tara".to_vec());
    let (_, leaf) = group
        .group()
        .members()
        .find(|(_, leaf)| leaf.credential == tara)
        .expect("tara is a member");
    assert_eq!(&leaf.signature_key, token_signer.public_key());
}

fn group_life(env: &softhsm::Env, cs: CipherSuite) {
    let (module, token_label, pin) = (&env.module, softhsm::LABEL, softhsm::PIN);
    // ANCHOR: token_member
    // The module, the token's label and the PIN come from the application's configuration.
    let token = Pkcs11Token::open(TokenConfig::new(
        module,
        SlotSelector::TokenLabel(token_label.into()),
        pin,
    ))
    .expect("open the token");
    // Generated in the token, sensitive and never extractable; on later runs,
    // `token.find_signer(&KeySelector::Label("tara".into()))` finds it again.
    let scheme = cs.signature_scheme().expect("a defined suite");
    let token_signer = Arc::new(
        token
            .generate_signer(scheme, "tara", b"tara")
            .expect("a key in the token"),
    );
    // Everything else runs on a software provider.
    let tara = Client::builder(Arc::new(cohort::crypto::rustcrypto::provider()))
        .signer(token_signer.clone())
        .credential(Credential::basic(b"tara".to_vec()))
        .cipher_suite(cs)
        .build(Arc::new(MemoryStore::new()))
        .expect("tara's client");
    // ANCHOR_END: token_member
    let others: Arc<dyn CryptoProvider> = Arc::new(cohort::crypto::aws_lc::provider());
    let bob = software_client(&others, cs, "bob");
    let carol = software_client(&others, cs, "carol");
    let dave = software_client(&others, cs, "dave");

    // Tara publishes KeyPackages, signed in the token; Bob adds her and Carol.
    let tara_kp = tara.generate_key_package(NOW).expect("tara's KeyPackage");
    let _spare = tara.generate_key_package(NOW).expect("a second KeyPackage");
    let carol_kp = carol.generate_key_package(NOW).expect("carol's KeyPackage");
    let mut bob_g = bob.create_group(b"hsm group", NOW).expect("create");
    let added = bob_g.add_members(&[tara_kp, carol_kp], NOW).expect("add");
    bob_g.merge_pending_commit().expect("merge");
    let welcome = added.welcome.expect("a Welcome");
    let mut tara_g = tara.join(&welcome, None, NOW).expect("tara joins");
    let mut carol_g = carol.join(&welcome, None, NOW).expect("carol joins");
    same_view(&[&bob_g, &tara_g, &carol_g]);
    tara_uses_the_token_key(&bob_g, &token_signer);
    tara_uses_the_token_key(&carol_g, &token_signer);

    // Application messages from the token member, and to her.
    for i in 0..3u8 {
        let text = [b"from the token ".as_slice(), &[b'0' + i]].concat();
        let msg = tara_g.send_message(&text).expect("tara sends");
        read(&mut bob_g, &msg, "tara", &text);
        read(&mut carol_g, &msg, "tara", &text);
    }
    let msg = bob_g.send_message(b"hello tara").expect("bob sends");
    read(&mut tara_g, &msg, "bob", b"hello tara");
    read(&mut carol_g, &msg, "bob", b"hello tara");

    // Tara commits: a key update (a fresh leaf, signed in the token)...
    let update = tara_g.self_update(NOW).expect("tara updates");
    tara_g.merge_pending_commit().expect("merge");
    apply(&mut bob_g, &update.commit);
    apply(&mut carol_g, &update.commit);
    same_view(&[&bob_g, &tara_g, &carol_g]);
    tara_uses_the_token_key(&bob_g, &token_signer);

    // ...an add with a Welcome, which Dave joins from...
    let dave_kp = dave.generate_key_package(NOW).expect("dave's KeyPackage");
    let added = tara_g.add_members(&[dave_kp], NOW).expect("tara adds dave");
    tara_g.merge_pending_commit().expect("merge");
    apply(&mut bob_g, &added.commit);
    apply(&mut carol_g, &added.commit);
    let mut dave_g = dave
        .join(&added.welcome.expect("a Welcome"), None, NOW)
        .expect("dave joins from tara's Welcome");
    same_view(&[&bob_g, &tara_g, &carol_g, &dave_g]);
    tara_uses_the_token_key(&dave_g, &token_signer);

    // ...and a remove.
    let carol_leaf = tara_g
        .members()
        .into_iter()
        .find(|m| m.credential == Credential::basic(b"carol".to_vec()))
        .expect("carol is a member")
        .leaf;
    let removed = tara_g
        .remove_members(&[carol_leaf], NOW)
        .expect("tara removes carol");
    tara_g.merge_pending_commit().expect("merge");
    apply(&mut bob_g, &removed.commit);
    apply(&mut dave_g, &removed.commit);
    match carol_g
        .process_message(removed.commit.clone(), NOW)
        .expect("carol sees it")
    {
        Received::Commit(staged) => assert!(staged.summary().removes_us),
        other => panic!("expected a commit, got {other:?}"),
    }
    same_view(&[&bob_g, &tara_g, &dave_g]);
    assert_eq!(tara_g.members().len(), 3);

    let msg = tara_g
        .send_message(b"still signing in the token")
        .expect("send");
    read(&mut bob_g, &msg, "tara", b"still signing in the token");
    read(&mut dave_g, &msg, "tara", b"still signing in the token");
    let msg = dave_g.send_message(b"hi").expect("dave sends");
    read(&mut tara_g, &msg, "dave", b"hi");
    eprintln!(
        "suite 0x{:04x}: the token member lived through epoch {}",
        cs.0,
        tara_g.epoch()
    );
}

#[test]
fn group_with_a_token_member_suite_1_ed25519() {
    let Some(env) = softhsm::token("group_with_a_token_member_suite_1_ed25519") else {
        return;
    };
    group_life(
        &env,
        CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519,
    );
}

#[test]
fn group_with_a_token_member_suite_2_p256() {
    let Some(env) = softhsm::token("group_with_a_token_member_suite_2_p256") else {
        return;
    };
    group_life(&env, CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256);
}

#[test]
fn group_with_a_token_member_suite_7_p384() {
    let Some(env) = softhsm::token("group_with_a_token_member_suite_7_p384") else {
        return;
    };
    group_life(&env, CipherSuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384);
}
