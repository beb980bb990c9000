//! The facade's clients: a synchronous and an asynchronous client in one group, both storing
//! every change, and a group reloaded from storage.

use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::group::NoPsks;
use cohort::storage::memory::MemoryStore;
use cohort::storage::{AsyncStorageProvider, GroupStore};
use cohort::{AsyncClient, Client, ClientBuilder, Received};

const NOW: u64 = 1_800_000_000;

fn builder(p: &Arc<dyn CryptoProvider>, name: &str) -> ClientBuilder {
    let suite = p.suite(CipherSuite(1)).expect("suite 1");
    ClientBuilder::new(p.clone())
        .signer(Arc::new(SoftwareSigner::generate(suite).expect("signer")))
        .credential(Credential::basic(name.as_bytes().to_vec()))
}

/// `alice` creates the group `id` and adds `bob`, who joins from the Welcome.
fn two_in_a_group(
    alice: &Client,
    bob: &Client,
    id: &[u8],
) -> (cohort::ClientGroup, cohort::ClientGroup) {
    let mut alice_group = alice.create_group(id, NOW).expect("create");
    let kp = bob.generate_key_package(NOW).expect("kp");
    let out = alice_group.add_members(&[kp], NOW).expect("add");
    alice_group.merge_pending_commit().expect("merge");
    let bob_group = bob
        .join(&out.welcome.expect("welcome"), None, NOW)
        .expect("join");
    (alice_group, bob_group)
}

#[test]
fn a_sync_and_an_async_client_share_a_group() {
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let alice_store = Arc::new(MemoryStore::new());
    let alice: Client = builder(&p, "alice").build(alice_store).expect("alice");
    let bob_store = Arc::new(MemoryStore::new());
    let bob: AsyncClient = builder(&p, "bob")
        .build_async(
            bob_store.clone() as Arc<dyn AsyncStorageProvider>,
            Arc::new(NoPsks),
        )
        .expect("bob");

    pollster::block_on(async {
        let bob_kp = bob.generate_key_package(NOW).await.expect("kp");
        assert_eq!(bob_store.key_package_refs().expect("refs").len(), 1);
        let mut alice_group = alice.create_group(b"mixed", NOW).expect("create");
        let out = alice_group.add_members(&[bob_kp], NOW).expect("add");
        alice_group.merge_pending_commit().expect("merge");
        let mut bob_group = bob
            .join(&out.welcome.expect("welcome"), None, NOW)
            .await
            .expect("join");
        // The KeyPackage was consumed in the same write that stored the group.
        assert!(bob_store.key_package_refs().expect("refs").is_empty());
        assert_eq!(
            bob_group.epoch_authenticator(),
            alice_group.epoch_authenticator()
        );

        let msg = bob_group.send_message(b"async hello").await.expect("send");
        match alice_group.process_message(msg, NOW).expect("process") {
            Received::Application { sender, data, .. } => {
                assert_eq!(data, b"async hello");
                assert_eq!(sender.credential, Credential::basic(b"bob".to_vec()));
            }
            other => panic!("{other:?}"),
        }
        let update = alice_group.self_update(NOW).expect("update");
        alice_group.merge_pending_commit().expect("merge");
        match bob_group
            .process_message(update.commit, NOW)
            .await
            .expect("commit")
        {
            Received::Commit(staged) => {
                bob_group.merge_staged(*staged).await.expect("merge");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(bob_group.epoch(), 2);
        // What bob stored is what bob has.
        let stored = GroupStore::read_state(&*bob_store, b"mixed")
            .expect("read")
            .expect("stored");
        assert_eq!(stored.epoch, 2);
        let reloaded = bob
            .load_group(b"mixed")
            .await
            .expect("load")
            .expect("stored");
        assert_eq!(
            reloaded.epoch_authenticator(),
            alice_group.epoch_authenticator()
        );
    });
}

#[test]
fn a_group_reloads_from_the_synchronous_store() {
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let store = Arc::new(MemoryStore::new());
    let alice = builder(&p, "alice").build(store).expect("alice");
    let group = alice.create_group(b"g", NOW).expect("create");
    let auth = group.epoch_authenticator().to_vec();
    drop(group);
    let again = alice.load_group(b"g").expect("load").expect("stored");
    assert_eq!(again.epoch_authenticator(), auth);
    assert!(alice.load_group(b"missing").expect("no error").is_none());
}

/// V-12.4.3.1-08, V-12.4.3-03: a Welcome for a group id we already have is refused, and the KeyPackage it
/// was addressed to stays stored.
#[test]
fn v_12_4_3_1_08_welcome_for_a_group_we_have_is_refused() {
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let bob_store = Arc::new(MemoryStore::new());
    let bob = builder(&p, "bob").build(bob_store.clone()).expect("bob");
    // Bob already has a group called "same".
    bob.create_group(b"same", NOW).expect("bob's group");
    let alice = builder(&p, "alice")
        .build(Arc::new(MemoryStore::new()))
        .expect("alice");
    let mut group = alice.create_group(b"same", NOW).expect("alice's group");
    let kp = bob.generate_key_package(NOW).expect("kp");
    let out = group.add_members(&[kp], NOW).expect("add");
    let err = bob
        .join(&out.welcome.expect("welcome"), None, NOW)
        .expect_err("duplicate id");
    assert!(
        matches!(
            err,
            cohort::Error::Invalid(cohort::group::ValidationError::InvalidGroupInfo(_))
        ),
        "{err}"
    );
    assert_eq!(bob_store.key_package_refs().expect("refs").len(), 1);
}

/// A failed write leaves the group in memory at the old state too (issue 10 item 4): the
/// operation returns a storage error, and retrying after the fault succeeds.
#[test]
fn a_failed_write_changes_nothing_in_memory() {
    use cohort_conformance::storage::FailingStore;
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let alice = builder(&p, "alice")
        .build(Arc::new(MemoryStore::new()))
        .expect("alice");
    let bob_store = Arc::new(FailingStore::new(MemoryStore::new()));
    let bob = builder(&p, "bob").build(bob_store.clone()).expect("bob");
    let (mut alice_group, mut bob_group) = two_in_a_group(&alice, &bob, b"faults");
    let update = alice_group.self_update(NOW).expect("update");
    alice_group.merge_pending_commit().expect("merge");

    // Bob's merge write fails: the error is a storage error, and bob is still at epoch 1.
    let Received::Commit(staged) = bob_group
        .process_message(update.commit.clone(), NOW)
        .expect("process")
    else {
        panic!("a commit")
    };
    bob_store.fail_next_write();
    let err = bob_group.merge_staged(*staged).expect_err("injected fault");
    assert!(matches!(err, cohort::Error::Storage(_)), "{err}");
    assert_eq!(bob_group.epoch(), 1);
    assert_eq!(
        bob.load_group(b"faults")
            .expect("load")
            .expect("stored")
            .epoch(),
        1
    );
    // A failed send is an error too (the message must not be sent: its ratchet step is lost).
    bob_store.fail_next_write();
    assert!(matches!(
        bob_group.send_message(b"lost"),
        Err(cohort::Error::Storage(_))
    ));
    // Retrying the commit works, and bob and alice agree.
    let Received::Commit(staged) = bob_group
        .process_message(update.commit, NOW)
        .expect("process")
    else {
        panic!("a commit")
    };
    bob_group.merge_staged(*staged).expect("retry");
    assert_eq!(
        bob_group.epoch_authenticator(),
        alice_group.epoch_authenticator()
    );
    assert_eq!(
        bob.load_group(b"faults")
            .expect("load")
            .expect("stored")
            .epoch(),
        2
    );
}

/// V-16.8-01, V-12.4.3.1-27: a KeyPackage consumed by a join cannot be used again. Bob's one
/// KeyPackage is added to two groups; the first Welcome consumes it, and neither the second
/// Welcome nor a replay of the first finds anything to open it with.
#[test]
fn v_16_8_01_a_consumed_key_package_cannot_join_again() {
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let bob_store = Arc::new(MemoryStore::new());
    let bob = builder(&p, "bob").build(bob_store.clone()).expect("bob");
    let alice = builder(&p, "alice")
        .build(Arc::new(MemoryStore::new()))
        .expect("alice");
    let kp = bob.generate_key_package(NOW).expect("kp");
    let mut first = alice.create_group(b"first", NOW).expect("first");
    let mut second = alice.create_group(b"second", NOW).expect("second");
    let w1 = first
        .add_members(std::slice::from_ref(&kp), NOW)
        .expect("add");
    let w2 = second.add_members(&[kp], NOW).expect("add");

    let w1 = w1.welcome.expect("welcome");
    bob.join(&w1, None, NOW).expect("the first join");
    assert!(bob_store.key_package_refs().expect("refs").is_empty());
    for welcome in [w2.welcome.expect("welcome"), w1] {
        let err = bob
            .join(&welcome, None, NOW)
            .expect_err("the KeyPackage was consumed");
        assert!(
            matches!(
                err,
                cohort::Error::Invalid(cohort::group::ValidationError::NoMatchingKeyPackage)
            ),
            "{err}"
        );
    }
    assert!(bob.load_group(b"second").expect("no error").is_none());
}

/// An application message, sent or read, rewrites only the group's small ratchets record: the
/// stored state stays byte for byte as it was, and the store keeps one record, the current
/// epoch's, whose predecessor goes in the same write as each new epoch.
#[test]
fn an_application_message_writes_only_the_ratchets() {
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let alice_store = Arc::new(MemoryStore::new());
    let alice = builder(&p, "alice")
        .build(alice_store.clone())
        .expect("alice");
    let bob_store = Arc::new(MemoryStore::new());
    let bob = builder(&p, "bob").build(bob_store.clone()).expect("bob");
    let (mut alice_group, mut bob_group) = two_in_a_group(&alice, &bob, b"split");
    for (store, epoch) in [(&alice_store, 1), (&bob_store, 1)] {
        assert_eq!(store.epochs(b"split").expect("epochs"), [epoch]);
    }
    let state = |s: &MemoryStore| s.read_state(b"split").expect("read").expect("stored").state;
    let record = |s: &MemoryStore| s.read_epoch(b"split", 1).expect("read").expect("record");
    let (alice_state, bob_state) = (state(&alice_store), state(&bob_store));
    let (alice_record, bob_record) = (record(&alice_store), record(&bob_store));
    let m = alice_group.send_message(b"hello").expect("send");
    assert!(matches!(
        bob_group.process_message(m, NOW).expect("read"),
        Received::Application { .. }
    ));
    assert_eq!(*state(&alice_store), *alice_state);
    assert_eq!(*state(&bob_store), *bob_state);
    assert_ne!(*record(&alice_store), *alice_record);
    assert_ne!(*record(&bob_store), *bob_record);
    // The record is a small fraction of the state.
    assert!(record(&bob_store).len() * 2 < bob_state.len());
    // A reload carries on from the record: the read key stays consumed.
    let m2 = alice_group.send_message(b"again").expect("send");
    let mut reloaded = bob.load_group(b"split").expect("load").expect("stored");
    assert!(matches!(
        reloaded.process_message(m2, NOW).expect("read"),
        Received::Application { .. }
    ));
    // A new epoch replaces the record in the same write.
    let update = alice_group.self_update(NOW).expect("update");
    alice_group.merge_pending_commit().expect("merge");
    assert_eq!(alice_store.epochs(b"split").expect("epochs"), [2]);
    let Received::Commit(staged) = reloaded
        .process_message(update.commit, NOW)
        .expect("commit")
    else {
        panic!("a commit")
    };
    reloaded.merge_staged(*staged).expect("merge");
    assert_eq!(bob_store.epochs(b"split").expect("epochs"), [2]);
}

/// A message step whose write fails is undone in memory: a failed send does not burn its
/// generation, and a message whose read could not be stored can be read again.
#[test]
fn a_failed_message_write_leaves_the_ratchets_as_stored() {
    use cohort_conformance::storage::FailingStore;
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let alice_store = Arc::new(FailingStore::new(MemoryStore::new()));
    let alice = builder(&p, "alice")
        .build(alice_store.clone())
        .expect("alice");
    let bob_store = Arc::new(FailingStore::new(MemoryStore::new()));
    let bob = builder(&p, "bob").build(bob_store.clone()).expect("bob");
    let (mut alice_group, mut bob_group) = two_in_a_group(&alice, &bob, b"faults");
    let snapshot = |g: &cohort::GroupOf<Client>| g.group().to_state_bytes().expect("save");

    let before = snapshot(&alice_group);
    alice_store.fail_next_write();
    let err = alice_group.send_message(b"lost").expect_err("fault");
    assert!(matches!(err, cohort::Error::Storage(_)), "{err}");
    assert_eq!(*snapshot(&alice_group), *before);
    let m = alice_group.send_message(b"kept").expect("send");

    let before = snapshot(&bob_group);
    bob_store.fail_next_write();
    let err = bob_group
        .process_message(m.clone(), NOW)
        .expect_err("fault");
    assert!(matches!(err, cohort::Error::Storage(_)), "{err}");
    assert_eq!(*snapshot(&bob_group), *before);
    match bob_group.process_message(m.clone(), NOW).expect("retry") {
        Received::Application { data, .. } => assert_eq!(data, b"kept"),
        other => panic!("{other:?}"),
    }
    // Stored and in memory, the key is now consumed.
    let replay = bob_group
        .process_message(m.clone(), NOW)
        .expect_err("a replay");
    let mut reloaded = bob.load_group(b"faults").expect("load").expect("stored");
    let reloaded_replay = reloaded.process_message(m, NOW).expect_err("a replay");
    for err in [replay, reloaded_replay] {
        assert!(
            matches!(
                err,
                cohort::Error::Delivery(cohort::DeliveryError::AlreadySeen {
                    leaf: 0,
                    generation: 0,
                    ..
                })
            ),
            "{err}"
        );
    }

    // A late message: sent in epoch 1, read by bob in epoch 2 from the retained past epoch.
    // Its failed write puts that past epoch's secret tree back too.
    let late = alice_group.send_message(b"late").expect("send");
    let update = alice_group.self_update(NOW).expect("update");
    alice_group.merge_pending_commit().expect("merge");
    let Received::Commit(staged) = bob_group
        .process_message(update.commit, NOW)
        .expect("commit")
    else {
        panic!("a commit")
    };
    bob_group.merge_staged(*staged).expect("merge");
    assert_eq!(bob_group.epoch(), 2);
    let before = snapshot(&bob_group);
    bob_store.fail_next_write();
    let err = bob_group
        .process_message(late.clone(), NOW)
        .expect_err("fault");
    assert!(matches!(err, cohort::Error::Storage(_)), "{err}");
    assert_eq!(*snapshot(&bob_group), *before);
    match bob_group.process_message(late, NOW).expect("retry") {
        Received::Application { data, .. } => assert_eq!(data, b"late"),
        other => panic!("{other:?}"),
    }
    assert_ne!(*snapshot(&bob_group), *before);
}

/// Alice and Bob in one group, both with `policy`; Bob's store is returned too.
fn pair_with_policy(
    p: &Arc<dyn CryptoProvider>,
    policy: cohort::MessagePolicy,
) -> (Client, Client) {
    let alice = builder(p, "alice")
        .message_policy(policy)
        .build(Arc::new(MemoryStore::new()))
        .expect("alice");
    let bob = builder(p, "bob")
        .message_policy(policy)
        .build(Arc::new(MemoryStore::new()))
        .expect("bob");
    (alice, bob)
}

/// The message policy: commits framed as PrivateMessages when asked, application data padded
/// to a block so that lengths within one block encrypt alike, and authenticated data carried
/// to the receiver.
#[test]
fn the_message_policy_frames_commits_and_pads_messages() {
    use cohort::codec::Encode;
    use cohort::group::HandshakeFormat;
    use cohort::messages::MlsMessageBody;
    use cohort::{MessagePolicy, Padding};
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let lengths = |policy: MessagePolicy| -> (bool, usize, usize) {
        let (alice, bob) = pair_with_policy(&p, policy);
        let mut alice_group = alice.create_group(b"policy", NOW).expect("create");
        let kp = bob.generate_key_package(NOW).expect("kp");
        let out = alice_group.add_members(&[kp], NOW).expect("add");
        let private_commit = matches!(out.commit.body, MlsMessageBody::PrivateMessage(_));
        alice_group.merge_pending_commit().expect("merge");
        let mut bob_group = bob
            .join(&out.welcome.expect("welcome"), None, NOW)
            .expect("join");
        let short = alice_group.send_message_with(b"hi", b"aad").expect("send");
        let long = alice_group
            .send_message_with(&[b'x'; 40], b"aad")
            .expect("send");
        let sizes = (
            short.to_bytes().expect("encode").len(),
            long.to_bytes().expect("encode").len(),
        );
        match bob_group.process_message(short, NOW).expect("read") {
            Received::Application {
                data,
                authenticated_data,
                ..
            } => {
                assert_eq!(data, b"hi");
                assert_eq!(authenticated_data, b"aad");
            }
            other => panic!("{other:?}"),
        }
        // A commit of the policy's format is processed by the other member.
        let update = bob_group.self_update(NOW).expect("update");
        assert_eq!(
            matches!(update.commit.body, MlsMessageBody::PrivateMessage(_)),
            private_commit
        );
        let Received::Commit(staged) = alice_group
            .process_message(update.commit, NOW)
            .expect("commit")
        else {
            panic!("a commit")
        };
        alice_group.merge_staged(*staged).expect("merge");
        (private_commit, sizes.0, sizes.1)
    };
    let (private, short, long) = lengths(MessagePolicy::default());
    assert!(!private);
    assert!(short < long, "unpadded messages differ in length");
    let (private, short, long) = lengths(
        MessagePolicy::default()
            .handshake_format(HandshakeFormat::Private)
            .padding(Padding::ToMultipleOf(64)),
    );
    assert!(private);
    assert_eq!(short, long, "both pad to one 64-byte block");
}

/// `operate` runs any cohort-group operation with the facade's write-before-apply guarantee: a
/// Remove proposal sent by reference and committed later, both stored; a failing operation
/// changes nothing.
#[test]
fn operate_runs_group_operations_transactionally() {
    use cohort::group::{CommitOptions, HandshakeFormat, NoPsks};
    use cohort::messages::proposal::{Proposal, Remove};
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let (alice, bob) = pair_with_policy(&p, cohort::MessagePolicy::default());
    let (mut alice_group, mut bob_group) = two_in_a_group(&alice, &bob, b"operate");
    let bob_leaf = bob_group.own_leaf();
    let proposal = alice_group
        .operate(move |g, signer| {
            g.propose(
                signer,
                Proposal::Remove(Remove { removed: bob_leaf }),
                HandshakeFormat::Public,
                Some(NOW),
            )
        })
        .expect("propose");
    assert!(matches!(
        bob_group.process_message(proposal, NOW).expect("proposal"),
        Received::Proposal { .. }
    ));
    // A failing operation leaves the group, in memory and stored, as it was.
    let before = alice_group.group().to_state_bytes().expect("save");
    assert!(
        alice_group
            .operate(|g, _| g.merge_pending_commit())
            .is_err()
    );
    assert_eq!(
        *alice_group.group().to_state_bytes().expect("save"),
        *before
    );
    // The cached proposal is committed by reference; the commit is stored as pending.
    let out = alice_group
        .operate(|g, signer| {
            g.commit(
                signer,
                Vec::new(),
                &CommitOptions::new(),
                &NoPsks,
                Some(NOW),
            )
        })
        .expect("commit");
    let mut reloaded = alice.load_group(b"operate").expect("load").expect("stored");
    assert!(reloaded.group().has_pending_commit());
    reloaded.merge_pending_commit().expect("merge");
    assert_eq!(reloaded.members().len(), 1);
    let Received::Commit(staged) = bob_group.process_message(out.commit, NOW).expect("commit")
    else {
        panic!("a commit")
    };
    assert!(staged.summary().removes_us);
}

/// A key service stand-in: signs in process, but only after yielding to the executor once (as a
/// network call would), counts its signatures, and can be told to fail.
#[derive(Debug)]
struct KeyService {
    key: SoftwareSigner,
    signed: std::sync::atomic::AtomicUsize,
    fail: std::sync::atomic::AtomicBool,
}

/// A future that is pending once, waking itself, then ready.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

#[async_trait::async_trait]
impl cohort::AsyncSigner for KeyService {
    fn signature_scheme(&self) -> cohort::crypto::SignatureScheme {
        cohort::crypto::Signer::signature_scheme(&self.key)
    }

    fn public_key(&self) -> &cohort::crypto::SignaturePublicKey {
        cohort::crypto::Signer::public_key(&self.key)
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, cohort::crypto::CryptoError> {
        use std::sync::atomic::Ordering;
        YieldOnce(false).await;
        if self.fail.load(Ordering::SeqCst) {
            return Err(cohort::crypto::CryptoError::with_source(
                cohort::crypto::CryptoErrorKind::Backend,
                "the key service is down",
            ));
        }
        self.signed.fetch_add(1, Ordering::SeqCst);
        cohort::crypto::Signer::sign(&self.key, message)
    }
}

/// An asynchronous client whose key lives in a key service it awaits: every operation that
/// signs (KeyPackage, group creation, commits, messages, `operate`) goes through the service;
/// the group works with a synchronous client; a failing service fails the operation and
/// changes nothing. A synchronous client refuses an asynchronous signer.
#[test]
fn an_async_client_signs_through_an_async_key_service() {
    use std::sync::atomic::Ordering;
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let suite = p.suite(CipherSuite(1)).expect("suite 1");
    let service = Arc::new(KeyService {
        key: SoftwareSigner::generate(suite).expect("key"),
        signed: Default::default(),
        fail: Default::default(),
    });
    let remote = || {
        ClientBuilder::new(p.clone())
            .async_signer(service.clone())
            .credential(Credential::basic(b"alice".to_vec()))
    };
    assert!(matches!(
        remote().build(Arc::new(MemoryStore::new())),
        Err(cohort::Error::Misuse(_))
    ));
    let alice = remote()
        .build_async(
            Arc::new(MemoryStore::new()) as Arc<dyn AsyncStorageProvider>,
            Arc::new(NoPsks),
        )
        .expect("alice");
    let bob = builder(&p, "bob")
        .build(Arc::new(MemoryStore::new()))
        .expect("bob");
    pollster::block_on(async {
        let mut alice_group = alice.create_group(b"remote", NOW).await.expect("create");
        let kp = bob.generate_key_package(NOW).expect("kp");
        let out = alice_group.add_members(&[kp], NOW).await.expect("add");
        alice_group.merge_pending_commit().await.expect("merge");
        let mut bob_group = bob
            .join(&out.welcome.expect("welcome"), None, NOW)
            .expect("join");
        let msg = alice_group
            .send_message(b"signed remotely")
            .await
            .expect("send");
        match bob_group.process_message(msg, NOW).expect("read") {
            Received::Application { data, .. } => assert_eq!(data, b"signed remotely"),
            other => panic!("{other:?}"),
        }
        let update = alice_group.self_update(NOW).await.expect("update");
        alice_group.merge_pending_commit().await.expect("merge");
        let Received::Commit(staged) = bob_group
            .process_message(update.commit, NOW)
            .expect("commit")
        else {
            panic!("a commit")
        };
        bob_group.merge_staged(*staged).expect("merge");
        assert_eq!(
            alice_group.epoch_authenticator(),
            bob_group.epoch_authenticator()
        );
        alice
            .generate_key_package(NOW)
            .await
            .expect("a KeyPackage signed remotely");
        // Group creation, the add (leaf, content, GroupInfo), a message, the update (leaf,
        // content, GroupInfo) and a KeyPackage (leaf, package): at least nine signatures.
        assert!(service.signed.load(Ordering::SeqCst) >= 9);

        // The service fails: the operation fails with it and the group is as it was.
        service.fail.store(true, Ordering::SeqCst);
        let before = alice_group.group().to_state_bytes().expect("save");
        let err = alice_group
            .self_update(NOW)
            .await
            .expect_err("service down");
        assert!(matches!(err, cohort::Error::Crypto(_)), "{err}");
        assert!(matches!(
            alice_group.send_message(b"lost").await,
            Err(cohort::Error::Crypto(_))
        ));
        assert_eq!(
            *alice_group.group().to_state_bytes().expect("save"),
            *before
        );
        service.fail.store(false, Ordering::SeqCst);
        let msg = alice_group.send_message(b"back up").await.expect("send");
        match bob_group.process_message(msg, NOW).expect("read") {
            Received::Application { data, .. } => assert_eq!(data, b"back up"),
            other => panic!("{other:?}"),
        }
    });
}

/// Creating a commit writes the pending commit as the next epoch's record and the secret trees,
/// not the state again; a reload has the same pending commit (its next epoch rebuilt from the
/// changed path), which merges to the epoch the other members reach; clearing it deletes the
/// record. With both handshake formats: a PrivateMessage commit uses a handshake key, which the
/// write keeps.
#[test]
fn a_pending_commit_is_stored_apart_and_reloads() {
    use cohort::MessagePolicy;
    use cohort::group::HandshakeFormat;
    for format in [HandshakeFormat::Public, HandshakeFormat::Private] {
        let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
        let policy = MessagePolicy::default().handshake_format(format);
        let alice_store = Arc::new(MemoryStore::new());
        let alice = builder(&p, "alice")
            .message_policy(policy)
            .build(alice_store.clone())
            .expect("alice");
        let bob = builder(&p, "bob")
            .message_policy(policy)
            .build(Arc::new(MemoryStore::new()))
            .expect("bob");
        let (mut alice_group, mut bob_group) = two_in_a_group(&alice, &bob, b"apart");
        let state = || {
            alice_store
                .read_state(b"apart")
                .expect("read")
                .expect("stored")
        };
        let before = state();
        let carol = builder(&p, "carol")
            .build(Arc::new(MemoryStore::new()))
            .expect("carol");
        let kp = carol.generate_key_package(NOW).expect("kp");

        // Each kind of commit: staged apart, reloaded equal, cleared.
        type Commit = fn(
            &mut cohort::ClientGroup,
            &cohort::messages::MlsMessage,
        ) -> cohort::group::CommitOutput;
        let commits: [(&str, Commit); 3] = [
            ("self_update", |g, _| g.self_update(NOW).expect("update")),
            ("add_members", |g, kp| {
                g.add_members(std::slice::from_ref(kp), NOW).expect("add")
            }),
            ("commit", |g, _| g.commit(Vec::new(), NOW).expect("commit")),
        ];
        for (name, commit) in commits {
            commit(&mut alice_group, &kp);
            let after = state();
            assert_eq!(
                *after.state, *before.state,
                "{name}: the state is not rewritten"
            );
            assert_eq!(
                alice_store.epochs(b"apart").expect("epochs"),
                [1, 2],
                "{name}"
            );
            let reloaded = alice.load_group(b"apart").expect("load").expect("stored");
            assert!(reloaded.has_pending_commit(), "{name}");
            assert_eq!(
                *reloaded.group().to_state_bytes().expect("bytes"),
                *alice_group.group().to_state_bytes().expect("bytes"),
                "{name}: the reload is the group in memory, pending commit included"
            );
            alice_group.clear_pending_commit().expect("clear");
            assert_eq!(alice_store.epochs(b"apart").expect("epochs"), [1], "{name}");
            assert!(
                !alice
                    .load_group(b"apart")
                    .expect("load")
                    .expect("stored")
                    .has_pending_commit()
            );
        }

        // A reloaded pending commit merges to the epoch bob reaches.
        let out = alice_group.self_update(NOW).expect("update");
        let mut reloaded = alice.load_group(b"apart").expect("load").expect("stored");
        reloaded.merge_pending_commit().expect("merge");
        assert_eq!(alice_store.epochs(b"apart").expect("epochs"), [2]);
        let Received::Commit(staged) = bob_group.process_message(out.commit, NOW).expect("commit")
        else {
            panic!("a commit");
        };
        bob_group.merge_staged(*staged).expect("merge");
        assert_eq!(
            reloaded.epoch_authenticator(),
            bob_group.epoch_authenticator()
        );
        let again = alice.load_group(b"apart").expect("load").expect("stored");
        assert_eq!(again.epoch_authenticator(), bob_group.epoch_authenticator());
    }
}

/// A commit of ours pending when the group moves on by another way than merging it (here a
/// resync past several epochs) leaves no record behind: its next-epoch secrets are deleted in
/// the same write.
#[test]
fn a_pending_commit_leaves_no_record_when_the_group_moves_elsewhere() {
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let alice_store = Arc::new(MemoryStore::new());
    let alice = builder(&p, "alice")
        .build(alice_store.clone())
        .expect("alice");
    let bob = builder(&p, "bob")
        .build(Arc::new(MemoryStore::new()))
        .expect("bob");
    let (mut alice_group, mut bob_group) = two_in_a_group(&alice, &bob, b"moved");
    alice_group.self_update(NOW).expect("pending");
    assert_eq!(alice_store.epochs(b"moved").expect("epochs"), [1, 2]);
    for _ in 0..2 {
        bob_group.self_update(NOW).expect("update");
        bob_group.merge_pending_commit().expect("merge");
    }
    let info = bob_group.group_info().expect("group info");
    alice_group.resync(&info, NOW).expect("resync");
    assert_eq!(alice_store.epochs(b"moved").expect("epochs"), [4]);
}

/// `leave` sends a SelfRemove (draft-ietf-mls-extensions) between facade clients, which declare
/// it by default; the other member commits it and the leaver learns it is out. Clients whose
/// capabilities leave it out fall back to a Remove of their own leaf.
#[test]
fn leave_sends_a_self_remove_when_every_member_supports_it() {
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    for declared in [true, false] {
        let caps = |b: ClientBuilder| {
            if declared {
                b
            } else {
                b.capabilities(Default::default())
            }
        };
        let alice = caps(builder(&p, "alice"))
            .build(Arc::new(MemoryStore::new()))
            .expect("alice");
        let bob = caps(builder(&p, "bob"))
            .build(Arc::new(MemoryStore::new()))
            .expect("bob");
        let (mut alice_group, mut bob_group) = two_in_a_group(&alice, &bob, b"leaving");
        let leave = bob_group.leave(NOW).expect("leave");
        match alice_group.process_message(leave, NOW).expect("proposal") {
            Received::Proposal { proposal, .. } => assert_eq!(
                matches!(
                    *proposal,
                    cohort::messages::proposal::Proposal::SelfRemove(_)
                ),
                declared,
                "declared: {declared}"
            ),
            other => panic!("{other:?}"),
        }
        let out = alice_group.commit_pending(NOW).expect("commit");
        alice_group.merge_pending_commit().expect("merge");
        assert_eq!(alice_group.members().len(), 1);
        match bob_group.process_message(out.commit, NOW).expect("commit") {
            Received::Commit(staged) => assert!(staged.summary().removes_us),
            other => panic!("{other:?}"),
        }
    }
}
