//! The facade as an application uses it: owned group handles kept in a map, every member
//! operation in one call (proposals by reference, committing them, leaving, external join and
//! resync, GroupInfo on request, PSKs, listing and deleting groups and KeyPackages, last-resort
//! KeyPackages), and the misuses it refuses.

use std::collections::HashMap;
use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::group::{ApiMisuse, GroupStatus};
use cohort::messages::proposal::Proposal;
use cohort::storage::memory::MemoryStore;
use cohort::storage::{GroupStore, GroupWrite, StorageErrorKind, Zeroizing};
use cohort::tree::math::LeafIndex;
use cohort::{
    AsyncClient, AsyncClientGroup, Client, ClientGroup, Error, GroupInfoPolicy, MessagePolicy,
    ProposalSender, Received,
};
use cohort_conformance::storage::FailingStore;

const NOW: u64 = 1_800_000_000;

fn client_on(store: Arc<MemoryStore>, name: &str) -> Client {
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let suite = p.suite(CipherSuite(1)).expect("suite 1");
    Client::builder(p)
        .signer(Arc::new(SoftwareSigner::generate(suite).expect("signer")))
        .credential(Credential::basic(name.as_bytes().to_vec()))
        .build(store)
        .expect("client")
}

fn client(name: &str) -> Client {
    client_on(Arc::new(MemoryStore::new()), name)
}

/// `creator` makes `id` and adds each of `others`, who join; returns every handle, creator first.
fn group_of(id: &[u8], creator: &Client, others: &[&Client]) -> Vec<ClientGroup> {
    let mut first = creator.create_group(id, NOW).expect("create");
    let mut groups = Vec::new();
    for other in others {
        let kp = other.generate_key_package(NOW).expect("kp");
        let out = first.add_members(&[kp], NOW).expect("add");
        first.merge_pending_commit().expect("merge");
        for g in &mut groups {
            commit(g, out.commit.clone());
        }
        groups.push(
            other
                .join(&out.welcome.expect("welcome"), None, NOW)
                .expect("join"),
        );
    }
    groups.insert(0, first);
    groups
}

/// Processes a commit, which must be accepted, and merges it.
fn commit(group: &mut ClientGroup, message: cohort::messages::MlsMessage) {
    match group.process_message(message, NOW).expect("commit") {
        Received::Commit(staged) => {
            group.merge_staged(*staged).expect("merge");
        }
        other => panic!("expected a commit, got {other:?}"),
    }
}

fn same_epoch(groups: &[&ClientGroup]) {
    for g in groups {
        assert_eq!(g.epoch(), groups[0].epoch());
        assert_eq!(g.epoch_authenticator(), groups[0].epoch_authenticator());
    }
}

#[test]
fn clients_clone_and_group_handles_are_owned_and_send() {
    fn send<T: Send + 'static>() {}
    send::<Client>();
    send::<ClientGroup>();
    send::<AsyncClient>();
    send::<AsyncClientGroup>();

    // One client, many groups, kept in a map and served from one loop.
    let alice = client("alice");
    let bob = client("bob");
    let mut groups: HashMap<Vec<u8>, ClientGroup> = HashMap::new();
    for id in [&b"one"[..], b"two", b"three"] {
        let mut g = alice.create_group(id, NOW).expect("create");
        let kp = bob.generate_key_package(NOW).expect("kp");
        let out = g.add_members(&[kp], NOW).expect("add");
        g.merge_pending_commit().expect("merge");
        let joined = bob
            .join(&out.welcome.expect("welcome"), None, NOW)
            .expect("join");
        groups.insert(id.to_vec(), g);
        // The handle moves to another thread and back.
        let joined = std::thread::spawn(move || joined).join().expect("thread");
        assert_eq!(joined.client().credential(), bob.credential());
    }
    for (id, g) in &mut groups {
        let m = g.send_message(id).expect("send");
        let mut bobs = bob.load_group(id).expect("load").expect("stored");
        match bobs.process_message(m, NOW).expect("read") {
            Received::Application { data, .. } => assert_eq!(&data, id),
            other => panic!("{other:?}"),
        }
    }
    let mut ids = alice.group_ids().expect("ids");
    ids.sort();
    assert_eq!(
        ids,
        vec![b"one".to_vec(), b"three".to_vec(), b"two".to_vec()]
    );
}

/// `merge_staged` through the facade refuses a commit staged in another group or in an epoch
/// the group has left, and changes nothing, in memory or stored.
#[test]
fn merge_staged_refuses_another_group_or_a_stale_epoch() {
    let (alice, bob) = (client("alice"), client("bob"));
    let mut g = group_of(b"one", &alice, &[&bob]);
    let mut other = group_of(b"two", &alice, &[&bob]);
    let out = g[0].self_update(NOW).expect("update");
    g[0].merge_pending_commit().expect("merge");
    let stage = |gr: &mut ClientGroup| match gr.process_message(out.commit.clone(), NOW) {
        Ok(Received::Commit(staged)) => staged,
        other => panic!("{other:?}"),
    };
    let (first, second) = (stage(&mut g[1]), stage(&mut g[1]));
    let epoch = other[1].epoch();
    let err = other[1].merge_staged(*first).expect_err("another group");
    assert!(
        matches!(
            err,
            Error::GroupMisuse(ApiMisuse::StagedCommitForAnotherGroup)
        ),
        "{err}"
    );
    assert_eq!(other[1].epoch(), epoch);
    g[1].merge_staged(*second).expect("merge");
    // The next commit, staged twice: the second copy is stale once the first is merged.
    let third = {
        let out = g[0].self_update(NOW).expect("update");
        g[0].merge_pending_commit().expect("merge");
        let a = match g[1].process_message(out.commit.clone(), NOW) {
            Ok(Received::Commit(staged)) => staged,
            other => panic!("{other:?}"),
        };
        let b = match g[1].process_message(out.commit, NOW) {
            Ok(Received::Commit(staged)) => staged,
            other => panic!("{other:?}"),
        };
        g[1].merge_staged(*a).expect("merge");
        b
    };
    let stored_epoch = |c: &Client| c.load_group(b"one").expect("load").expect("stored").epoch();
    let before = (g[1].epoch(), stored_epoch(&bob));
    let err = g[1].merge_staged(*third).expect_err("stale");
    assert!(
        matches!(err, Error::GroupMisuse(ApiMisuse::StaleStagedCommit { .. })),
        "{err}"
    );
    assert_eq!((g[1].epoch(), stored_epoch(&bob)), before);
    same_epoch(&[&g[0], &g[1]]);
}

/// `load_group` says "absent" with `Ok(None)` and reports a damaged state as an error, never as
/// absent; a failed listing is a storage error.
#[test]
fn load_group_tells_absent_from_failed() {
    let store = Arc::new(MemoryStore::new());
    let alice = client_on(store.clone(), "alice");
    assert!(alice.load_group(b"nothing").expect("no error").is_none());
    alice.create_group(b"kept", NOW).expect("create");
    assert!(alice.load_group(b"kept").expect("load").is_some());
    store
        .write(GroupWrite::new(b"damaged".to_vec()).with_state(3, vec![0xff; 7]))
        .expect("write");
    let err = alice.load_group(b"damaged").expect_err("damaged");
    assert!(
        matches!(err, Error::Malformed(_) | Error::GroupMisuse(_)),
        "{err}"
    );

    let failing = Arc::new(FailingStore::new(MemoryStore::new()));
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let suite = p.suite(CipherSuite(1)).expect("suite 1");
    let carol = Client::builder(p)
        .signer(Arc::new(SoftwareSigner::generate(suite).expect("signer")))
        .credential(Credential::basic(b"carol".to_vec()))
        .build(failing.clone())
        .expect("client");
    failing.fail_next_group_ids();
    match carol.group_ids() {
        Err(Error::Storage(e)) => assert_eq!(e.kind(), StorageErrorKind::Backend),
        other => panic!("{other:?}"),
    }
}

/// Proposals by reference: Bob proposes adding Carol, Alice receives the proposal with its
/// sender and content and commits it with `commit_pending`; Carol joins.
#[test]
fn a_proposal_by_reference_is_received_with_its_sender_and_committed() {
    let (alice, bob, carol) = (client("alice"), client("bob"), client("carol"));
    let mut g = group_of(b"g", &alice, &[&bob]);
    let kp = carol.generate_key_package(NOW).expect("kp");
    let proposal = g[1].propose_add(&kp, NOW).expect("propose");
    match g[0].process_message(proposal, NOW).expect("proposal") {
        Received::Proposal {
            sender: ProposalSender::Member(m),
            proposal,
        } => {
            assert_eq!(m.leaf, g[1].own_leaf());
            assert!(matches!(*proposal, Proposal::Add(_)));
        }
        other => panic!("{other:?}"),
    }
    let out = g[0].commit_pending(NOW).expect("commit");
    assert!(g[0].has_pending_commit());
    g[0].merge_pending_commit().expect("merge");
    commit(&mut g[1], out.commit);
    let c = carol
        .join(&out.welcome.expect("welcome"), None, NOW)
        .expect("join");
    same_epoch(&[&g[0], &g[1], &c]);
    assert_eq!(c.members().len(), 3);
}

/// Leaving: Bob proposes his own removal (a SelfRemove, which facade clients declare by
/// default), Alice commits it, Bob learns he was removed.
#[test]
fn a_member_leaves_by_proposing_its_removal() {
    let (alice, bob) = (client("alice"), client("bob"));
    let mut g = group_of(b"g", &alice, &[&bob]);
    let leaving = g[1].leave(NOW).expect("leave");
    match g[0].process_message(leaving, NOW).expect("proposal") {
        Received::Proposal { proposal, sender } => {
            assert!(matches!(*proposal, Proposal::SelfRemove(_)));
            assert!(matches!(sender, ProposalSender::Member(m) if m.leaf == LeafIndex(1)));
        }
        other => panic!("{other:?}"),
    }
    let out = g[0].commit_pending(NOW).expect("commit");
    g[0].merge_pending_commit().expect("merge");
    match g[1].process_message(out.commit, NOW).expect("commit") {
        Received::Commit(staged) => {
            assert!(staged.summary().removes_us);
            g[1].merge_staged(*staged).expect("merge");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(g[1].status(), GroupStatus::Removed);
    assert_eq!(g[0].members().len(), 1);
    bob.delete_group(b"g").expect("delete");
    assert!(bob.load_group(b"g").expect("load").is_none());
}

/// A pending commit can be dropped, and the drop is stored.
#[test]
fn a_pending_commit_is_cleared_and_stays_cleared() {
    let alice = client("alice");
    let mut g = alice.create_group(b"g", NOW).expect("create");
    g.self_update(NOW).expect("update");
    assert!(g.has_pending_commit());
    g.clear_pending_commit().expect("clear");
    assert!(!g.has_pending_commit());
    let reloaded = alice.load_group(b"g").expect("load").expect("stored");
    assert!(!reloaded.has_pending_commit());
    assert_eq!(reloaded.epoch(), 0);
}

/// External join from a GroupInfo published on request, and resync of a member in place of its
/// own leaf; commits carry no GroupInfo unless the policy asks for one.
#[test]
fn external_join_and_resync_from_a_group_info() {
    let (alice, bob, dave) = (client("alice"), client("bob"), client("dave"));
    let mut g = group_of(b"g", &alice, &[&bob]);
    let out = g[0].self_update(NOW).expect("update");
    assert!(
        out.group_info.is_none(),
        "GroupInfo only on request by default"
    );
    g[0].merge_pending_commit().expect("merge");
    commit(&mut g[1], out.commit);

    let info = g[0].group_info().expect("group info");
    let (d, join) = dave
        .join_by_external_commit(&info, None, NOW)
        .expect("external join");
    commit(&mut g[0], join.clone());
    commit(&mut g[1], join);
    same_epoch(&[&g[0], &g[1], &d]);
    assert!(
        dave.join_by_external_commit(&info, None, NOW).is_err(),
        "a group we have already"
    );

    // Bob resyncs: his leaf is replaced, the group keeps three members.
    let info = g[0].group_info().expect("group info");
    let resync = g[1].resync(&info, NOW).expect("resync");
    commit(&mut g[0], resync);
    assert_eq!(g[0].members().len(), 3);
    assert_eq!(g[1].epoch(), g[0].epoch());
    assert_eq!(g[1].epoch_authenticator(), g[0].epoch_authenticator());

    // With the policy, every commit carries one.
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let suite = p.suite(CipherSuite(1)).expect("suite 1");
    let erin = Client::builder(p)
        .signer(Arc::new(SoftwareSigner::generate(suite).expect("signer")))
        .credential(Credential::basic(b"erin".to_vec()))
        .message_policy(MessagePolicy::default().group_info(GroupInfoPolicy::EveryCommit))
        .build(Arc::new(MemoryStore::new()))
        .expect("client");
    let mut e = erin.create_group(b"e", NOW).expect("create");
    assert!(e.self_update(NOW).expect("update").group_info.is_some());
}

/// An external PSK registered with both members, proposed and committed.
#[test]
fn an_external_psk_is_registered_proposed_and_committed() {
    let (alice, bob) = (client("alice"), client("bob"));
    let mut g = group_of(b"g", &alice, &[&bob]);
    for c in [&alice, &bob] {
        c.register_psk(b"the psk", Zeroizing::new(vec![7; 32]))
            .expect("register");
    }
    let proposal = g[1].propose_external_psk(b"the psk", NOW).expect("propose");
    match g[0].process_message(proposal, NOW).expect("proposal") {
        Received::Proposal { proposal, .. } => {
            assert!(matches!(*proposal, Proposal::PreSharedKey(_)));
        }
        other => panic!("{other:?}"),
    }
    let out = g[0].commit_pending(NOW).expect("commit");
    g[0].merge_pending_commit().expect("merge");
    commit(&mut g[1], out.commit);
    same_epoch(&[&g[0], &g[1]]);
    // Without the PSK, the commit cannot be processed.
    bob.delete_psk(b"the psk").expect("delete");
    let proposal = g[0].propose_external_psk(b"the psk", NOW).expect("propose");
    g[1].process_message(proposal, NOW).expect("proposal");
    let out = g[0].commit_pending(NOW).expect("alice still has it");
    assert!(g[1].process_message(out.commit, NOW).is_err());
}

/// A cached PSK proposal is covered by whichever commit comes next: a self-update, an add or a
/// removal look its PSK up like `commit_pending` does.
#[test]
fn a_cached_psk_proposal_is_covered_by_self_update_add_and_remove() {
    let (alice, bob, carol) = (client("alice"), client("bob"), client("carol"));
    let mut g = group_of(b"g", &alice, &[&bob]);
    for c in [&alice, &bob] {
        c.register_psk(b"the psk", Zeroizing::new(vec![7; 32]))
            .expect("register");
    }
    for op in ["self-update", "add", "remove"] {
        let proposal = g[1].propose_external_psk(b"the psk", NOW).expect("propose");
        g[0].process_message(proposal, NOW).expect("proposal");
        let out = match op {
            "self-update" => g[0].self_update(NOW),
            "add" => {
                let kp = carol.generate_key_package(NOW).expect("kp");
                g[0].add_members(&[kp], NOW)
            }
            _ => {
                let leaf = g[0]
                    .members()
                    .iter()
                    .find(|m| m.credential == Credential::basic(b"carol".to_vec()))
                    .map(|m| m.leaf)
                    .expect("carol was added");
                g[0].remove_members(&[leaf], NOW)
            }
        }
        .unwrap_or_else(|e| panic!("{op} with a cached PSK proposal: {e}"));
        g[0].merge_pending_commit().expect("merge");
        commit(&mut g[1], out.commit);
        same_epoch(&[&g[0], &g[1]]);
    }
}

/// KeyPackages are listed and deleted; a last-resort one survives the joins that use it.
#[test]
fn key_packages_are_listed_deleted_and_last_resort_ones_kept() {
    let (alice, bob) = (client("alice"), client("bob"));
    let kp = bob.generate_key_package(NOW).expect("kp");
    assert_eq!(bob.key_package_refs().expect("refs").len(), 1);
    let refs = bob.key_package_refs().expect("refs");
    bob.delete_key_package(&refs[0]).expect("delete");
    assert!(bob.key_package_refs().expect("refs").is_empty());
    let mut g = alice.create_group(b"gone", NOW).expect("create");
    let out = g.add_members(&[kp], NOW).expect("add");
    assert!(
        bob.join(&out.welcome.expect("welcome"), None, NOW).is_err(),
        "its keys were deleted"
    );

    let last = bob.generate_last_resort_key_package(NOW).expect("kp");
    for id in [&b"first"[..], b"second"] {
        let mut g = alice.create_group(id, NOW).expect("create");
        let out = g
            .add_members(std::slice::from_ref(&last), NOW)
            .expect("add");
        g.merge_pending_commit().expect("merge");
        bob.join(&out.welcome.expect("welcome"), None, NOW)
            .expect("joins with the last-resort KeyPackage");
        assert_eq!(bob.key_package_refs().expect("refs").len(), 1);
    }
}

/// GroupContextExtensions proposed by reference and committed.
#[test]
fn group_context_extensions_are_proposed_and_committed() {
    let (alice, bob) = (client("alice"), client("bob"));
    let mut g = group_of(b"g", &alice, &[&bob]);
    let ext = cohort::tree::extension::Extension::new(
        cohort::tree::extension::ExtensionType::EXTERNAL_SENDERS,
        vec![0],
    );
    let proposal = g[0]
        .propose_group_context_extensions(vec![ext], NOW)
        .expect("propose");
    g[1].process_message(proposal, NOW).expect("proposal");
    let out = g[1].commit_pending(NOW).expect("commit");
    g[1].merge_pending_commit().expect("merge");
    commit(&mut g[0], out.commit);
    same_epoch(&[&g[0], &g[1]]);
}

/// ReInit (RFC 9420 §11.2) and branch (§11.3) through the facade: a ReInit proposed and
/// committed, the new group created by one member and joined by the other with
/// `join_resumed`; then a branch of the new group.
#[test]
fn reinit_and_branch_through_the_facade() {
    let (alice, bob) = (client("alice"), client("bob"));
    let mut g = group_of(b"old", &alice, &[&bob]);
    let proposal = g[1]
        .propose_reinit(b"new", CipherSuite(1), Vec::new(), NOW)
        .expect("propose");
    g[0].process_message(proposal, NOW).expect("proposal");
    let out = g[0].commit_pending(NOW).expect("commit");
    g[0].merge_pending_commit().expect("merge");
    commit(&mut g[1], out.commit);
    assert_eq!(g[0].status(), GroupStatus::ReInitPending);
    assert!(g[1].pending_reinit().is_some());

    let kp = bob.generate_key_package(NOW).expect("kp");
    let (mut new_alice, out) = g[0].reinit(&alice, &[kp], NOW).expect("reinit");
    let new_bob = bob
        .join_resumed(&out.welcome.expect("welcome"), None, &g[1], NOW)
        .expect("join the new group");
    assert_eq!(new_alice.id(), b"new");
    same_epoch(&[&new_alice, &new_bob]);

    // A branch with the same members, by value: Bob joins it from the Welcome.
    let kp = bob.generate_key_package(NOW).expect("kp");
    let (branch, out) = new_alice.branch(b"side", &[kp], NOW).expect("branch");
    let joined = bob
        .join_resumed(&out.welcome.expect("welcome"), None, &new_bob, NOW)
        .expect("join the branch");
    same_epoch(&[&branch, &joined]);
    // A commit by value in the new group.
    let psk = new_alice
        .resumption_psk_proposal(new_alice.epoch())
        .expect("psk");
    new_alice.commit(vec![psk], NOW).expect("commit by value");
    new_alice.merge_pending_commit().expect("merge");
}

/// A proposal from outside the group arrives with its sender: a new member asking to be added
/// (RFC 9420 §12.1.8) is `ProposalSender::NewMember`, and once a member commits it, the client
/// joins from the Welcome with the KeyPackage its store kept; an external sender of the group's
/// `external_senders` is `ProposalSender::External(index)`.
#[test]
fn proposals_from_outside_the_group_carry_their_sender() {
    use cohort::crypto::Signer as _;
    use cohort::group::{external_proposal, new_member_proposal};
    use cohort::messages::MlsMessageBody;
    use cohort::messages::extensions::{ExtensionPayload, ExternalSender, ExternalSenders};
    use cohort::messages::proposal::Remove;

    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let suite = p.suite(CipherSuite(1)).expect("suite 1");
    let dave_signer = Arc::new(SoftwareSigner::generate(suite.clone()).expect("signer"));
    let dave = Client::builder(p.clone())
        .signer(dave_signer.clone())
        .credential(Credential::basic(b"dave".to_vec()))
        .build(Arc::new(MemoryStore::new()))
        .expect("client");
    let (alice, bob) = (client("alice"), client("bob"));
    let mut g = group_of(b"g", &alice, &[&bob]);

    // Dave asks to join, from the group's context (as a GroupInfo would give it).
    let MlsMessageBody::KeyPackage(kp) = dave.generate_key_package(NOW).expect("kp").body else {
        panic!("not a KeyPackage")
    };
    let context = g[0].group().context().clone();
    let ask = new_member_proposal(&*p, &*dave_signer, &context, kp, &[]).expect("proposal");
    match g[0].process_message(ask.clone(), NOW).expect("proposal") {
        Received::Proposal {
            sender: ProposalSender::NewMember,
            proposal,
        } => assert!(matches!(*proposal, Proposal::Add(_))),
        other => panic!("{other:?}"),
    }
    g[1].process_message(ask, NOW).expect("proposal");
    let out = g[0].commit_pending(NOW).expect("commit");
    g[0].merge_pending_commit().expect("merge");
    commit(&mut g[1], out.commit);
    let d = dave
        .join(&out.welcome.expect("welcome"), None, NOW)
        .expect("dave joins");
    same_epoch(&[&g[0], &g[1], &d]);

    // A server becomes the group's external sender, then proposes removing Dave.
    let server = SoftwareSigner::generate(suite).expect("signer");
    let senders = ExternalSenders(vec![ExternalSender {
        signature_key: server.public_key().clone(),
        credential: Credential::basic(b"server".to_vec()),
    }])
    .to_extension()
    .expect("extension");
    let out = g[0]
        .commit(
            vec![Proposal::GroupContextExtensions(
                cohort::messages::proposal::GroupContextExtensions {
                    extensions: vec![senders],
                },
            )],
            NOW,
        )
        .expect("commit");
    g[0].merge_pending_commit().expect("merge");
    commit(&mut g[1], out.commit);
    let context = g[0].group().context().clone();
    let removal = external_proposal(
        &*p,
        &server,
        &context,
        0,
        Proposal::Remove(Remove {
            removed: d.own_leaf(),
        }),
        &[],
    )
    .expect("external proposal");
    match g[1].process_message(removal, NOW).expect("proposal") {
        Received::Proposal {
            sender: ProposalSender::External(0),
            proposal,
        } => assert!(matches!(*proposal, Proposal::Remove(_))),
        other => panic!("{other:?}"),
    }
}
