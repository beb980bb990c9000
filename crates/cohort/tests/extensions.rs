//! draft-ietf-mls-extensions through the facade: application data kept in the group and changed
//! by AppDataUpdate, AppEphemeral data delivered with a commit, safe exported secrets, component
//! signatures, application PSKs and last-resort KeyPackages marked on the wire, without reaching
//! MLS's own secrets or a lower layer.

use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::group::components::{app_ephemeral, is_last_resort};
use cohort::group::{ApiMisuse, ReplaceAppData};
use cohort::messages::components::ComponentId;
use cohort::messages::{MlsMessage, MlsMessageBody};
use cohort::storage::Zeroizing;
use cohort::storage::memory::MemoryStore;
use cohort::tree::extension::ExtensionType;
use cohort::tree::leaf::{Capabilities, ProposalType};
use cohort::{Client, ClientGroup, Error, Received};

const NOW: u64 = 1_800_000_000;
const TOPIC: ComponentId = ComponentId(0x8001);

fn client(name: &str) -> Client {
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let suite = p.suite(CipherSuite(1)).expect("suite 1");
    Client::builder(p)
        .signer(Arc::new(SoftwareSigner::generate(suite).expect("signer")))
        .credential(Credential::basic(name.as_bytes().to_vec()))
        .capabilities(Capabilities {
            extensions: vec![ExtensionType::APP_DATA_DICTIONARY],
            proposals: vec![
                ProposalType::SELF_REMOVE,
                ProposalType::APP_DATA_UPDATE,
                ProposalType::APP_EPHEMERAL,
            ],
            ..Capabilities::default()
        })
        .app_components(Arc::new(ReplaceAppData::new([TOPIC])))
        .build(Arc::new(MemoryStore::new()))
        .expect("client")
}

/// alice's group with bob in it, created with an `app_data_dictionary` holding TOPIC's data.
fn pair(alice: &Client, bob: &Client) -> (ClientGroup, ClientGroup) {
    let mut initial = cohort::messages::components::AppDataDictionary::new();
    initial.insert(TOPIC, b"initial".to_vec());
    let extensions = vec![
        cohort::messages::extensions::ExtensionPayload::to_extension(&initial).expect("encodes"),
    ];
    let mut a = alice
        .create_group_with(b"extensions", extensions, NOW)
        .expect("create");
    let kp = bob.generate_key_package(NOW).expect("kp");
    let out = a.add_members(&[kp], NOW).expect("add");
    a.merge_pending_commit().expect("merge");
    let b = bob
        .join(&out.welcome.expect("welcome"), None, NOW)
        .expect("join");
    (a, b)
}

fn merge(group: &mut ClientGroup, message: MlsMessage) -> cohort::group::CommitSummary {
    match group.process_message(message, NOW).expect("commit") {
        Received::Commit(staged) => {
            let summary = staged.summary().clone();
            group.merge_staged(*staged).expect("merge");
            summary
        }
        other => panic!("expected a commit, got {other:?}"),
    }
}

/// Bob proposes new application data, Alice commits it with an AppEphemeral: both see the
/// data, the AppEphemeral arrives with the commit, and the state reloads with the data.
#[test]
fn application_data_and_ephemeral_data_through_the_facade() {
    let (alice, bob) = (client("alice"), client("bob"));
    let (mut a, mut b) = pair(&alice, &bob);
    assert_eq!(
        b.app_data().expect("ok").expect("a dictionary").get(TOPIC),
        Some(&b"initial"[..]),
        "the creator's data reaches the joiner"
    );
    let proposal = b
        .propose_app_data_update(TOPIC, Some(b"lunch at noon".to_vec()), NOW)
        .expect("propose");
    assert!(matches!(
        a.process_message(proposal, NOW).expect("proposal"),
        Received::Proposal { .. }
    ));
    let out = a
        .commit(vec![app_ephemeral(TOPIC, b"ping".to_vec())], NOW)
        .expect("commit");
    a.merge_pending_commit().expect("merge");
    let summary = merge(&mut b, out.commit);
    assert_eq!(summary.app_data_updated, vec![TOPIC]);
    assert_eq!(summary.app_ephemeral[0].data.as_slice(), b"ping");
    for g in [&a, &b] {
        let data = g.app_data().expect("ok").expect("a dictionary");
        assert_eq!(data.get(TOPIC), Some(&b"lunch at noon"[..]));
    }
    assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());
    let reloaded = bob
        .load_group(b"extensions")
        .expect("load")
        .expect("stored");
    assert_eq!(
        reloaded
            .app_data()
            .expect("ok")
            .expect("a dictionary")
            .get(TOPIC),
        Some(&b"lunch at noon"[..])
    );
}

/// The safe exporter through the facade: members agree, and the consumed secret stays
/// consumed in the stored group.
#[test]
fn safe_exported_secret_is_consumed_in_storage() {
    let (alice, bob) = (client("alice"), client("bob"));
    let (mut a, mut b) = pair(&alice, &bob);
    let sa = a.safe_export_secret(TOPIC).expect("export");
    let sb = b.safe_export_secret(TOPIC).expect("export");
    assert_eq!(sa.as_bytes(), sb.as_bytes());
    assert_ne!(
        sa.as_bytes(),
        a.export_secret(b"topic", b"", 32)
            .expect("export")
            .as_bytes()
    );
    let mut reloaded = alice
        .load_group(b"extensions")
        .expect("load")
        .expect("stored");
    assert!(matches!(
        reloaded.safe_export_secret(TOPIC),
        Err(Error::GroupMisuse(ApiMisuse::ExportedSecretConsumed(_)))
    ));
}

/// Component signatures: Bob verifies Alice's under the same component and label only.
#[test]
fn component_signatures_through_the_facade() {
    let (alice, bob) = (client("alice"), client("bob"));
    let (a, b) = pair(&alice, &bob);
    let sig = a.safe_sign(TOPIC, b"vote", b"yes").expect("sign");
    b.safe_verify(a.own_leaf(), TOPIC, b"vote", b"yes", &sig)
        .expect("verifies");
    assert!(
        b.safe_verify(a.own_leaf(), ComponentId(0x8002), b"vote", b"yes", &sig)
            .is_err()
    );
    assert!(
        b.safe_verify(b.own_leaf(), TOPIC, b"vote", b"yes", &sig)
            .is_err()
    );
}

/// An application PSK registered by both members is committed and agreed on; the same id as an
/// external PSK is another PSK.
#[test]
fn application_psk_through_the_facade() {
    let (alice, bob) = (client("alice"), client("bob"));
    let (mut a, mut b) = pair(&alice, &bob);
    let psk = || Zeroizing::new(vec![4u8; 32]);
    alice
        .register_application_psk(TOPIC, b"file", psk())
        .expect("register");
    bob.register_psk(b"file", psk()).expect("register");
    let proposal = a
        .application_psk_proposal(TOPIC, b"file")
        .expect("proposal");
    let out = a.commit(vec![proposal], NOW).expect("commit");
    a.merge_pending_commit().expect("merge");
    assert!(
        b.process_message(out.commit.clone(), NOW).is_err(),
        "bob has it only as an external PSK"
    );
    bob.register_application_psk(TOPIC, b"file", psk())
        .expect("register");
    merge(&mut b, out.commit);
    assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());
    // An external PSK whose id spells the store's key of the application PSK is not it.
    let mut spelled = b"\0cohort application psk\0".to_vec();
    spelled.extend_from_slice(&TOPIC.0.to_be_bytes());
    spelled.extend_from_slice(b"file");
    let proposal = a.external_psk_proposal(&spelled).expect("proposal");
    assert!(
        a.commit(vec![proposal], NOW).is_err(),
        "an external PSK id may not reach an application PSK"
    );
}

/// X-LR-01: a last-resort KeyPackage is marked on the wire (the `last_resort` extension), an
/// ordinary one is not, and the draft's component marking is recognized too.
#[test]
fn x_lr_01_last_resort_key_packages_are_marked_and_recognized() {
    let bob = client("bob");
    let kp_of = |m: MlsMessage| match m.body {
        MlsMessageBody::KeyPackage(kp) => kp,
        _ => panic!("a KeyPackage"),
    };
    let last = kp_of(bob.generate_last_resort_key_package(NOW).expect("kp"));
    let ordinary = kp_of(bob.generate_key_package(NOW).expect("kp"));
    assert!(is_last_resort(&last));
    assert!(!is_last_resort(&ordinary));
    assert!(
        last.leaf_node
            .capabilities
            .extensions
            .contains(&ExtensionType::LAST_RESORT)
    );
    let mut component = ordinary;
    component.extensions =
        vec![cohort::group::components::last_resort_component_extension().expect("encodes")];
    assert!(is_last_resort(&component));
    // A member adding the marked package sees the marking in the Add.
    let alice = client("alice");
    let mut a = alice.create_group(b"lr", NOW).expect("create");
    let out = a
        .add_members(&[MlsMessage::new(MlsMessageBody::KeyPackage(last))], NOW)
        .expect("add");
    a.merge_pending_commit().expect("merge");
    bob.join(&out.welcome.expect("welcome"), None, NOW)
        .expect("joins with its last-resort package");
}
