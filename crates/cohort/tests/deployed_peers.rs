//! What deployed implementations emit, received through the facade with its default settings
//! (interop finding F-5): KeyPackages that never expire (MLSpp makes every KeyPackage with the
//! lifetime `0..=2^64-1`), and KeyPackages for a suite-7 group whose capabilities list suites 1
//! to 6 only (a client of the working group's interop traces). Each is added, committed,
//! processed by another member and present in the tree a new member joins; the strict settings
//! refuse each at every one of those steps.

use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::group::reason::{CapabilityReason, LeafNodeReason};
use cohort::group::{
    LeafSpec, LifetimePolicy, MaxLifetime, StrictChecks, ValidationError, create_key_package,
};
use cohort::messages::key_package::KeyPackage;
use cohort::messages::{MlsMessage, MlsMessageBody};
use cohort::storage::memory::MemoryStore;
use cohort::tree::leaf::{LeafNodeSource, Lifetime};
use cohort::{Client, ClientBuilder, ClientGroup, Error, Received};
use cohort_crypto::labeled;

const NOW: u64 = 1_800_000_000;
const SUITE_7: CipherSuite = CipherSuite(7);

fn provider() -> Arc<dyn CryptoProvider> {
    Arc::new(cohort_crypto_rustcrypto::provider())
}

fn client(p: &Arc<dyn CryptoProvider>, cs: CipherSuite, name: &str) -> ClientBuilder {
    let suite = p.suite(cs).expect("suite");
    Client::builder(p.clone())
        .cipher_suite(cs)
        .signer(Arc::new(SoftwareSigner::generate(suite).expect("signer")))
        .credential(Credential::basic(name.as_bytes().to_vec()))
}

fn build(b: ClientBuilder) -> Client {
    b.build(Arc::new(MemoryStore::new())).expect("client")
}

/// A KeyPackage as the peer makes it: `edit` changes the leaf, which is then signed again, and
/// the KeyPackage after it.
fn peer_key_package(
    p: &Arc<dyn CryptoProvider>,
    cs: CipherSuite,
    name: &str,
    edit: impl FnOnce(&mut KeyPackage),
) -> MlsMessage {
    let suite = p.suite(cs).expect("suite");
    let signer = SoftwareSigner::generate(suite).expect("signer");
    let spec = LeafSpec::new(Credential::basic(name.as_bytes().to_vec()), NOW, 30);
    let (mut kp, _secrets) = create_key_package(&**p, cs, &signer, &spec).expect("kp");
    edit(&mut kp);
    let tbs = kp.leaf_node.to_be_signed(None).expect("leaf tbs");
    kp.leaf_node.signature = labeled::sign_with_label(&signer, b"LeafNodeTBS", &tbs)
        .expect("sign leaf")
        .into();
    let tbs = kp.to_be_signed().expect("kp tbs");
    kp.signature = labeled::sign_with_label(&signer, b"KeyPackageTBS", &tbs)
        .expect("sign kp")
        .into();
    MlsMessage::new(MlsMessageBody::KeyPackage(kp))
}

/// MLSpp's lifetime: from 0 to 2^64-1.
fn never_expires(kp: &mut KeyPackage) {
    kp.leaf_node.leaf_node_source = LeafNodeSource::KeyPackage(Lifetime {
        not_before: 0,
        not_after: u64::MAX,
    });
}

/// Capabilities listing suites 1 to 6, not the group's suite 7.
fn without_suite_7(kp: &mut KeyPackage) {
    kp.leaf_node.capabilities.cipher_suites = (1..=6).map(CipherSuite).collect();
}

/// Alice creates a group and adds Bob, who joins.
fn alice_and_bob(alice: &Client, bob: &Client) -> (ClientGroup, ClientGroup) {
    let mut a = alice.create_group(b"deployed", NOW).expect("create");
    let kp = bob.generate_key_package(NOW).expect("bob kp");
    let out = a.add_members(&[kp], NOW).expect("add bob");
    a.merge_pending_commit().expect("merge");
    let b = bob
        .join(&out.welcome.expect("welcome"), None, NOW)
        .expect("bob joins");
    (a, b)
}

/// Alice adds the peer's KeyPackage, Bob processes and merges the commit, then Alice adds Carol,
/// who joins a tree that holds the peer's leaf. Returns the member counts Bob (before Carol) and
/// Carol see.
fn add_peer_then_join(
    alice: &Client,
    bob: &Client,
    carol: &Client,
    peer: MlsMessage,
) -> Result<(usize, usize), (&'static str, Error)> {
    let (mut a, mut b) = alice_and_bob(alice, bob);
    let out = a.add_members(&[peer], NOW).map_err(|e| ("add", e))?;
    a.merge_pending_commit().expect("merge");
    match b
        .process_message(out.commit, NOW)
        .map_err(|e| ("process", e))?
    {
        Received::Commit(staged) => {
            b.merge_staged(*staged).expect("merge staged");
        }
        other => panic!("expected a commit, got {other:?}"),
    }
    let kp = carol.generate_key_package(NOW).expect("carol kp");
    let out = a.add_members(&[kp], NOW).expect("add carol");
    a.merge_pending_commit().expect("merge");
    let c = carol
        .join(&out.welcome.expect("welcome"), None, NOW)
        .map_err(|e| ("join", e))?;
    Ok((b.members().len(), c.members().len()))
}

fn is_invalid_leaf(err: &Error, reason: LeafNodeReason) -> bool {
    matches!(err, Error::Invalid(ValidationError::InvalidLeafNode(r)) if *r == reason)
}

/// V-7.2-05: a KeyPackage that never expires is added, committed, processed and joined with
/// the facade's default settings (the default maximum is stated as unbounded).
#[test]
fn v_7_2_05_never_expiring_key_package_is_accepted_by_default() {
    let p = provider();
    let cs = CipherSuite(1);
    let (alice, bob, carol) = (
        build(client(&p, cs, "alice")),
        build(client(&p, cs, "bob")),
        build(client(&p, cs, "carol")),
    );
    let peer = peer_key_package(&p, cs, "mlspp", never_expires);
    let (bob_sees, carol_sees) = add_peer_then_join(&alice, &bob, &carol, peer).expect("accepted");
    assert_eq!((bob_sees, carol_sees), (3, 4));
}

/// V-7.2-05: with a finite maximum for new members, the never-expiring KeyPackage is refused
/// when we add it and when a commit adds it; with a finite maximum for admitted leaves, a tree
/// holding it cannot be joined.
#[test]
fn v_7_2_05_a_finite_maximum_refuses_a_never_expiring_key_package() {
    let p = provider();
    let cs = CipherSuite(1);
    let bounded = LifetimePolicy {
        new_members: MaxLifetime::days(400),
        admitted: MaxLifetime::days(400),
        check_expiry: true,
    };
    let reason = LeafNodeReason::LifetimeTooLong;
    let strict = |name| build(client(&p, cs, name).lifetime_policy(bounded));
    let default = |name| build(client(&p, cs, name));
    let peer = || peer_key_package(&p, cs, "mlspp", never_expires);

    let (step, err) =
        add_peer_then_join(&strict("alice"), &default("bob"), &default("carol"), peer())
            .expect_err("our add refused");
    assert_eq!(step, "add");
    assert!(is_invalid_leaf(&err, reason), "{err}");

    let (step, err) =
        add_peer_then_join(&default("alice"), &strict("bob"), &default("carol"), peer())
            .expect_err("the commit refused");
    assert_eq!(step, "process");
    assert!(is_invalid_leaf(&err, reason), "{err}");

    let (step, err) =
        add_peer_then_join(&default("alice"), &default("bob"), &strict("carol"), peer())
            .expect_err("the join refused");
    assert_eq!(step, "join");
    assert!(is_invalid_leaf(&err, reason), "{err}");

    // Bounding only new members still joins a group that admitted the leaf before.
    let new_only = build(client(&p, cs, "carol").lifetime_policy(LifetimePolicy {
        new_members: MaxLifetime::days(400),
        ..LifetimePolicy::default()
    }));
    add_peer_then_join(&default("alice"), &default("bob"), &new_only, peer())
        .expect("admitted leaves are judged by their own bound");
}

/// V-7.3-14: a suite-7 KeyPackage whose capabilities list suites 1 to 6 only is added,
/// committed, processed and joined with the default settings.
#[test]
fn v_7_3_14_capabilities_without_the_group_suite_are_accepted_by_default() {
    let p = provider();
    let (alice, bob, carol) = (
        build(client(&p, SUITE_7, "alice")),
        build(client(&p, SUITE_7, "bob")),
        build(client(&p, SUITE_7, "carol")),
    );
    let peer = peer_key_package(&p, SUITE_7, "trace-client", without_suite_7);
    let (bob_sees, carol_sees) = add_peer_then_join(&alice, &bob, &carol, peer).expect("accepted");
    assert_eq!((bob_sees, carol_sees), (3, 4));
}

/// V-7.3-14: with `StrictChecks::group_suite_in_capabilities` on, the same KeyPackage is
/// refused when we add it, when a commit adds it, and in the tree of a group we join.
#[test]
fn v_7_3_14_strict_mode_refuses_capabilities_without_the_group_suite() {
    let p = provider();
    let strict = |name| build(client(&p, SUITE_7, name).strict_checks(StrictChecks::ALL));
    let default = |name| build(client(&p, SUITE_7, name));
    let peer = || peer_key_package(&p, SUITE_7, "trace-client", without_suite_7);
    let unsupported = |err: &Error| {
        matches!(
            err,
            Error::Invalid(ValidationError::UnsupportedCapability(
                CapabilityReason::GroupVersionOrSuite
            ))
        )
    };
    for (alice, bob, carol, at) in [
        (strict("alice"), default("bob"), default("carol"), "add"),
        (default("alice"), strict("bob"), default("carol"), "process"),
        (default("alice"), default("bob"), strict("carol"), "join"),
    ] {
        let (step, err) = add_peer_then_join(&alice, &bob, &carol, peer()).expect_err("refused");
        assert_eq!(step, at);
        assert!(unsupported(&err), "{at}: {err}");
    }
}
