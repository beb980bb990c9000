//! A light member (draft-ietf-mls-partial-02) through the facade: a client joins as a light
//! member from a Welcome its inviter annotates, follows the inviter's commits from their
//! annotations, is reloaded from its store half-way, and exchanges application messages. Every
//! step is stored before it returns; a refused step changes neither memory nor the store.

use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::group::light::{annotate_commit, annotate_welcome};
use cohort::messages::partial::SenderAuthenticated;
use cohort::messages::{MlsMessage, MlsMessageBody};
use cohort::storage::GroupStore;
use cohort::storage::memory::MemoryStore;
use cohort::tree::math::LeafIndex;
use cohort::tree::membership::MembershipProof;
use cohort::{ClientBuilder, ClientGroup, Received};

const NOW: u64 = 1_800_000_000;

fn builder(p: &Arc<dyn CryptoProvider>, name: &str) -> ClientBuilder {
    let suite = p.suite(CipherSuite(1)).expect("suite 1");
    ClientBuilder::new(p.clone())
        .signer(Arc::new(SoftwareSigner::generate(suite).expect("signer")))
        .credential(Credential::basic(name.as_bytes().to_vec()))
}

/// `alice`'s self-update, annotated for the member at `receiver` from her trees.
fn annotated_update(
    alice: &mut ClientGroup,
    receiver: LeafIndex,
    p: &Arc<dyn CryptoProvider>,
) -> cohort::messages::partial::AnnotatedCommit {
    let suite = p.suite(CipherSuite(1)).expect("suite 1");
    let before = alice.group().tree().clone();
    let out = alice.self_update(NOW).expect("update");
    alice.merge_pending_commit().expect("merge");
    annotate_commit(
        &*suite,
        &before,
        alice.group().tree(),
        out.commit,
        alice.group().own_leaf(),
        receiver,
    )
    .expect("annotate")
}

#[test]
fn a_light_member_through_the_facade() {
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let suite = p.suite(CipherSuite(1)).expect("suite 1");
    let alice = builder(&p, "alice")
        .build(Arc::new(MemoryStore::new()))
        .expect("alice");
    let light_store = Arc::new(MemoryStore::new());
    let light_client = builder(&p, "light")
        .build(light_store.clone())
        .expect("light");

    // alice adds the light client's KeyPackage and annotates the Welcome from her tree.
    let mut group = alice.create_group(b"light", NOW).expect("create");
    let kp = light_client.generate_key_package(NOW).expect("kp");
    let out = group.add_members(&[kp], NOW).expect("add");
    group.merge_pending_commit().expect("merge");
    let MlsMessageBody::Welcome(welcome) = out.welcome.expect("a Welcome").body else {
        panic!("not a Welcome")
    };
    let annotated = annotate_welcome(
        &*suite,
        group.group().tree(),
        welcome,
        group.group().own_leaf(),
        LeafIndex(1),
    )
    .expect("annotate");
    let mut light = light_client.join_light(&annotated).expect("join light");
    assert_eq!(light.epoch_authenticator(), group.epoch_authenticator());
    assert!(
        light_client.key_package_refs().expect("refs").is_empty(),
        "the KeyPackage is consumed by the join"
    );
    // The same Welcome again: the KeyPackage is gone.
    assert!(light_client.join_light(&annotated).is_err());

    // A commit, then the light member reloaded from its store.
    let commit = annotated_update(&mut group, light.own_leaf(), &p);
    light.process_commit(&commit).expect("commit");
    assert_eq!(light.epoch_authenticator(), group.epoch_authenticator());
    let stored = light_store
        .read_state(b"light")
        .expect("read")
        .expect("stored");
    assert_eq!(stored.epoch, light.epoch());
    let mut light = light_client
        .load_light_group(b"light")
        .expect("load")
        .expect("stored");
    // A full member's loader refuses it, and the light loader refuses a full member's state.
    assert!(light_client.load_group(b"light").is_err());
    let other = alice.load_light_group(b"light");
    assert!(
        matches!(other, Err(cohort::Error::Malformed(_))),
        "{other:?}"
    );

    // A refused commit (the same again) changes neither memory nor the store.
    let before = light_store.read_state(b"light").expect("read");
    assert!(light.process_commit(&commit).is_err());
    assert_eq!(light_store.read_state(b"light").expect("read"), before);
    let commit = annotated_update(&mut group, light.own_leaf(), &p);
    light.process_commit(&commit).expect("the next commit");
    assert_eq!(light.epoch_authenticator(), group.epoch_authenticator());

    // Messages both ways.
    let m = group.send_message(b"to light").expect("send");
    let MlsMessageBody::PrivateMessage(private) = m.body else {
        panic!("a PrivateMessage")
    };
    let mut tree = group.group().tree().clone();
    let proof =
        MembershipProof::from_tree(&mut tree, &*suite, group.group().own_leaf()).expect("proof");
    let read = light
        .process_application(&SenderAuthenticated {
            message: private,
            sender_membership_proof: proof,
        })
        .expect("read");
    assert_eq!(read.data, b"to light");
    let sent = light.send_message(b"from light").expect("send");
    match group
        .process_message(
            MlsMessage::new(MlsMessageBody::PrivateMessage(sent.message)),
            NOW,
        )
        .expect("alice reads")
    {
        Received::Application { data, .. } => assert_eq!(data, b"from light"),
        other => panic!("{other:?}"),
    }
    // What was read and sent is stored: a reload reads the same epoch and keys.
    let reloaded = light_client
        .load_light_group(b"light")
        .expect("load")
        .expect("stored");
    assert_eq!(
        reloaded.light().to_bytes().expect("bytes"),
        light.light().to_bytes().expect("bytes")
    );
}
