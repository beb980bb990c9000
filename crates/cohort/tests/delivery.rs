//! Delivery through the facade (issue 19): messages of future epochs held until their epoch
//! arrives, the windows for late and early messages with their distinct errors, commits that
//! race for an epoch (with and without an ordering Delivery Service), echoes of our own
//! messages, and recovery by resync. Every refused message leaves the group as it was, in
//! memory and in the store.

use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::group::GroupConfig;
use cohort::messages::MlsMessage;
use cohort::messages::proposal::Proposal;
use cohort::storage::GroupStore;
use cohort::storage::memory::MemoryStore;
use cohort::{
    Client, ClientGroup, DeliveryError, DeliveryPolicy, Error, LostCommitPolicy, Received,
    winning_commit,
};

const NOW: u64 = 1_800_000_000;
const GROUP: &[u8] = b"delivery";

struct Member {
    client: Client,
    store: Arc<MemoryStore>,
}

fn member(name: &str, policy: DeliveryPolicy) -> Member {
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
    let suite = p.suite(CipherSuite(1)).expect("suite 1");
    let store = Arc::new(MemoryStore::new());
    let client = Client::builder(p)
        .signer(Arc::new(SoftwareSigner::generate(suite).expect("signer")))
        .credential(Credential::basic(name.as_bytes().to_vec()))
        .delivery_policy(policy)
        .build(store.clone())
        .expect("client");
    Member { client, store }
}

/// Alice creates the group and adds the others, who join; every handle, Alice's first.
fn group(members: &[&Member]) -> Vec<ClientGroup> {
    let mut handles = vec![members[0].client.create_group(GROUP, NOW).expect("create")];
    for m in &members[1..] {
        let kp = m.client.generate_key_package(NOW).expect("kp");
        let out = handles[0].add_members(&[kp], NOW).expect("add");
        handles[0].merge_pending_commit().expect("merge");
        for h in &mut handles[1..] {
            merge(h, out.commit.clone());
        }
        handles.push(
            m.client
                .join(&out.welcome.expect("welcome"), None, NOW)
                .expect("join"),
        );
    }
    handles
}

/// Processes `message`, which must be a commit, and merges it.
fn merge(group: &mut ClientGroup, message: MlsMessage) -> cohort::Merged {
    match group.process_message(message, NOW).expect("commit") {
        Received::Commit(staged) => group.merge_staged(*staged).expect("merge"),
        other => panic!("expected a commit, got {other:?}"),
    }
}

fn data(received: Received) -> Vec<u8> {
    match received {
        Received::Application { data, .. } => data,
        other => panic!("expected application data, got {other:?}"),
    }
}

/// What must not change when a message is refused: the group in memory and in the store.
fn snapshot(group: &ClientGroup, store: &MemoryStore) -> (Vec<u8>, Vec<u8>, Vec<u64>) {
    let memory = group.group().to_state_bytes().expect("state").to_vec();
    let stored = store
        .read_state(GROUP)
        .expect("read")
        .expect("stored")
        .state
        .to_vec();
    (memory, stored, store.epochs(GROUP).expect("epochs"))
}

/// Processes `message`, which must be refused with `expected`, and checks that nothing changed.
fn refused(group: &mut ClientGroup, store: &MemoryStore, message: MlsMessage) -> DeliveryError {
    let before = snapshot(group, store);
    let err = group.process_message(message, NOW).expect_err("refused");
    assert_eq!(
        snapshot(group, store),
        before,
        "a refused message changes nothing"
    );
    match err {
        Error::Delivery(d) => d,
        other => panic!("expected a delivery error, got {other}"),
    }
}

/// A message of the next epoch that arrives before the commit is held, and read once the
/// commit is merged.
#[test]
fn a_message_of_a_future_epoch_is_held_until_its_epoch_arrives() {
    let (alice, bob) = (
        member("alice", DeliveryPolicy::default()),
        member("bob", DeliveryPolicy::default()),
    );
    let mut g = group(&[&alice, &bob]);
    let update = g[0].self_update(NOW).expect("update");
    g[0].merge_pending_commit().expect("merge");
    let early = g[0].send_message(b"from epoch 2").expect("send");
    let bob_g = &mut g[1];
    assert!(matches!(
        bob_g.process_message(early, NOW).expect("held"),
        Received::Held { epoch: 2 }
    ));
    assert_eq!(bob_g.held_count(), 1);
    // Nothing is ready before the commit.
    assert!(bob_g.process_held(NOW).is_empty());
    merge(bob_g, update.commit);
    let results = bob_g.process_held(NOW);
    assert_eq!(results.len(), 1);
    let received = results.into_iter().next().expect("one").expect("read");
    assert_eq!(data(received), b"from epoch 2");
    assert_eq!(bob_g.held_count(), 0);
}

/// The buffer's two bounds, each with its own error; what falls out changes nothing.
#[test]
fn the_buffer_of_future_messages_is_bounded() {
    let policy = DeliveryPolicy::default()
        .max_buffered(1)
        .max_epochs_ahead(1);
    let (alice, bob) = (member("alice", policy), member("bob", policy));
    let mut g = group(&[&alice, &bob]);
    let mut next_epoch = Vec::new();
    for _ in 0..2 {
        g[0].self_update(NOW).expect("update");
        g[0].merge_pending_commit().expect("merge");
        next_epoch.push(g[0].send_message(b"early").expect("send"));
    }
    let (first, second) = (next_epoch.remove(0), next_epoch.remove(0));
    // Epoch 3 is two ahead of Bob's epoch 1.
    assert_eq!(
        refused(&mut g[1], &bob.store, second),
        DeliveryError::TooFarInFuture {
            epoch: 3,
            current: 1
        }
    );
    assert!(matches!(
        g[1].process_message(first.clone(), NOW).expect("held"),
        Received::Held { epoch: 2 }
    ));
    assert_eq!(
        refused(&mut g[1], &bob.store, first),
        DeliveryError::BufferFull { epoch: 2 }
    );
    assert_eq!(g[1].held_count(), 1);
}

/// V-15-01 and the windows: the defaults keep three past epochs and a hundred skipped keys;
/// a message older than that is "too old", one read twice "already seen", one too far behind
/// its ratchet "outside the window", one too far ahead of it "too far ahead".
#[test]
fn late_duplicate_and_early_messages_get_distinct_errors() {
    let config = GroupConfig::default();
    assert!(config.max_past_epochs >= 3);
    assert!(config.ratchet.out_of_order_tolerance >= 100);

    let (alice, bob) = (
        member("alice", DeliveryPolicy::default()),
        member("bob", DeliveryPolicy::default()),
    );
    let mut g = group(&[&alice, &bob]);

    // Three epochs late is read; four is too old.
    let late = g[0].send_message(b"late").expect("send");
    let too_late = g[0].send_message(b"too late").expect("send");
    for _ in 0..3 {
        let out = g[0].self_update(NOW).expect("update");
        g[0].merge_pending_commit().expect("merge");
        merge(&mut g[1], out.commit);
    }
    assert_eq!(
        data(g[1].process_message(late.clone(), NOW).expect("late")),
        b"late"
    );
    // Read once: a second copy is a duplicate.
    assert!(matches!(
        refused(&mut g[1], &bob.store, late),
        DeliveryError::AlreadySeen { .. }
    ));
    let out = g[0].self_update(NOW).expect("update");
    g[0].merge_pending_commit().expect("merge");
    merge(&mut g[1], out.commit);
    assert_eq!(
        refused(&mut g[1], &bob.store, too_late),
        DeliveryError::TooOld {
            epoch: 1,
            current: 5
        }
    );

    // Out of order within an epoch: 101 generations behind is outside the window, 100 is not.
    let sent: Vec<MlsMessage> = (0..102)
        .map(|i| g[0].send_message(format!("{i}").as_bytes()).expect("send"))
        .collect();
    assert_eq!(
        data(g[1].process_message(sent[101].clone(), NOW).expect("last")),
        b"101"
    );
    assert!(matches!(
        refused(&mut g[1], &bob.store, sent[0].clone()),
        DeliveryError::OutsideWindow { generation: 0, .. }
    ));
    assert_eq!(
        data(
            g[1].process_message(sent[1].clone(), NOW)
                .expect("in window")
        ),
        b"1"
    );

    // More than the forward distance (1000) ahead.
    let ahead: Vec<MlsMessage> = (0..1002)
        .map(|_| g[0].send_message(b"ahead").expect("send"))
        .collect();
    assert!(matches!(
        refused(&mut g[1], &bob.store, ahead[1001].clone()),
        DeliveryError::TooFarAhead { .. }
    ));
}

/// An ordering Delivery Service accepts Alice's commit and refuses Bob's: Bob merges Alice's,
/// learns that his lost, and his commit's proposals (an Add) are proposed again, which Alice
/// then commits. Alice's own commit, echoed back, merges as hers.
#[test]
fn a_commit_that_loses_the_race_is_reported_and_its_proposals_proposed_again() {
    let (alice, bob, dave) = (
        member("alice", DeliveryPolicy::default()),
        member("bob", DeliveryPolicy::default()),
        member("dave", DeliveryPolicy::default()),
    );
    let mut g = group(&[&alice, &bob]);
    let dave_kp = dave.client.generate_key_package(NOW).expect("kp");
    let winner = g[0].self_update(NOW).expect("alice's commit");
    let _loser = g[1].add_members(&[dave_kp], NOW).expect("bob's commit");

    // The DS accepted Alice's: its echo merges as her own.
    let echoed = merge(&mut g[0], winner.commit.clone());
    assert!(echoed.lost_commit.is_none());
    let merged = merge(&mut g[1], winner.commit);
    let lost = merged.lost_commit.expect("bob's commit lost");
    assert!(!lost.self_update);
    assert!(matches!(lost.proposals.as_slice(), [Proposal::Add(_)]));
    assert_eq!(lost.reproposed.len(), 1, "{:?}", lost.failures);
    assert!(!g[1].has_pending_commit());
    assert_eq!(g[0].epoch_authenticator(), g[1].epoch_authenticator());

    // Alice receives the Add again and commits it; Dave joins.
    let again = lost.reproposed.into_iter().next().expect("one");
    assert!(matches!(
        g[0].process_message(again.clone(), NOW).expect("proposal"),
        Received::Proposal { .. }
    ));
    // Bob's own proposal, echoed back, is recognised.
    assert!(matches!(
        g[1].process_message(again, NOW).expect("echo"),
        Received::Proposal { .. }
    ));
    let out = g[0].commit_pending(NOW).expect("commit");
    g[0].merge_pending_commit().expect("merge");
    merge(&mut g[1], out.commit);
    let dave_g = dave
        .client
        .join(&out.welcome.expect("welcome"), None, NOW)
        .expect("dave joins");
    assert_eq!(dave_g.epoch_authenticator(), g[0].epoch_authenticator());
    assert_eq!(g[1].members().len(), 3);
}

/// A lost self-update is proposed again as an Update; an Add of a client the winner added
/// already is dropped; with `LostCommitPolicy::Report` nothing is proposed.
#[test]
fn what_no_longer_applies_is_dropped_and_report_only_proposes_nothing() {
    let (alice, bob, carol) = (
        member("alice", DeliveryPolicy::default()),
        member("bob", DeliveryPolicy::default()),
        member("carol", DeliveryPolicy::default()),
    );
    let mut g = group(&[&alice, &bob]);
    let winner = g[0]
        .add_members(&[carol.client.generate_key_package(NOW).expect("kp")], NOW)
        .expect("alice adds carol");
    g[1].add_members(&[carol.client.generate_key_package(NOW).expect("kp")], NOW)
        .expect("bob adds carol too");
    g[0].merge_pending_commit().expect("merge");
    let lost = merge(&mut g[1], winner.commit)
        .lost_commit
        .expect("bob's commit lost");
    assert!(lost.reproposed.is_empty());
    assert_eq!(lost.dropped.len(), 1, "carol is in the group already");

    let update = g[0].self_update(NOW).expect("alice's commit");
    g[0].merge_pending_commit().expect("merge");
    g[1].self_update(NOW).expect("bob's commit");
    let lost = merge(&mut g[1], update.commit).lost_commit.expect("lost");
    assert!(lost.self_update);
    assert_eq!(lost.reproposed.len(), 1, "an Update in its place");

    let reporter = member(
        "erin",
        DeliveryPolicy::default().lost_commit(LostCommitPolicy::Report),
    );
    let mut h = group(&[&alice, &reporter]);
    let winner = h[0].self_update(NOW).expect("commit");
    h[0].merge_pending_commit().expect("merge");
    h[1].self_update(NOW).expect("commit");
    let lost = merge(&mut h[1], winner.commit).lost_commit.expect("lost");
    assert!(lost.self_update && lost.reproposed.is_empty());
}

/// Without an ordering Delivery Service both commits reach everyone; every member (the two
/// committers included, through their echoes) chooses the same one with `winning_commit`.
#[test]
fn without_an_ordering_service_every_member_chooses_the_same_commit() {
    let (alice, bob, carol) = (
        member("alice", DeliveryPolicy::default()),
        member("bob", DeliveryPolicy::default()),
        member("carol", DeliveryPolicy::default()),
    );
    let mut g = group(&[&alice, &bob, &carol]);
    let a = g[0].self_update(NOW).expect("alice").commit;
    let b = g[1].self_update(NOW).expect("bob").commit;
    for handle in g.iter_mut() {
        let staged: Vec<_> = [a.clone(), b.clone()]
            .into_iter()
            .map(|m| match handle.process_message(m, NOW).expect("commit") {
                Received::Commit(s) => *s,
                other => panic!("expected a commit, got {other:?}"),
            })
            .collect();
        let own_tag = handle.pending_commit_confirmation_tag().map(<[u8]>::to_vec);
        let winner = winning_commit(&staged).expect("a winner");
        let index = staged
            .iter()
            .position(|s| std::ptr::eq(s, winner))
            .expect("found");
        if let Some(tag) = own_tag {
            // Our echo carries our pending commit's tag.
            assert!(
                staged
                    .iter()
                    .any(|s| s.is_own() && s.confirmation_tag() == tag)
            );
        }
        // The lowest committer leaf: Alice's.
        assert_eq!(winner.committer(), Some(cohort::tree::math::LeafIndex(0)));
        let chosen = staged.into_iter().nth(index).expect("winner");
        handle.merge_staged(chosen).expect("merge");
    }
    assert_eq!(g[0].epoch_authenticator(), g[1].epoch_authenticator());
    assert_eq!(g[1].epoch_authenticator(), g[2].epoch_authenticator());
}

/// A member that was offline for more commits than the group keeps, and whose held messages
/// cannot bring it back, rejoins in one call from a current GroupInfo.
#[test]
fn a_member_that_missed_too_much_resyncs_in_one_call() {
    let (alice, bob) = (
        member("alice", DeliveryPolicy::default().max_epochs_ahead(2)),
        member("bob", DeliveryPolicy::default().max_epochs_ahead(2)),
    );
    let mut g = group(&[&alice, &bob]);
    for _ in 0..5 {
        g[0].self_update(NOW).expect("update");
        g[0].merge_pending_commit().expect("merge");
    }
    let current = g[0].send_message(b"now").expect("send");
    assert_eq!(
        refused(&mut g[1], &bob.store, current),
        DeliveryError::TooFarInFuture {
            epoch: 6,
            current: 1
        }
    );
    let info = g[0].group_info().expect("group info");
    let commit = g[1].resync(&info, NOW).expect("resync");
    merge(&mut g[0], commit);
    assert_eq!(g[0].epoch_authenticator(), g[1].epoch_authenticator());
    let hello = g[1].send_message(b"back").expect("send");
    assert_eq!(
        data(g[0].process_message(hello, NOW).expect("read")),
        b"back"
    );
}

/// A late message from a member removed since is read and names its sender, from the epoch it
/// was sent in; also after a reload (the past epoch's members come from the store).
#[test]
fn a_late_message_from_a_member_removed_since_names_its_sender() {
    let (alice, bob, carol) = (
        member("alice", DeliveryPolicy::default()),
        member("bob", DeliveryPolicy::default()),
        member("carol", DeliveryPolicy::default()),
    );
    let mut g = group(&[&alice, &bob, &carol]);
    let from_carol = g[2].send_message(b"before I go").expect("send");
    let carol_leaf = g[2].own_leaf();
    let out = g[0].remove_members(&[carol_leaf], NOW).expect("remove");
    g[0].merge_pending_commit().expect("merge");
    merge(&mut g[1], out.commit);
    let mut reloaded = bob.client.load_group(GROUP).expect("load").expect("stored");
    for handle in [&mut g[1], &mut reloaded] {
        match handle
            .process_message(from_carol.clone(), NOW)
            .expect("late")
        {
            Received::Application { sender, data, .. } => {
                assert_eq!(data, b"before I go");
                assert_eq!(sender.leaf, carol_leaf);
                assert_eq!(sender.credential, Credential::basic(b"carol".to_vec()));
            }
            other => panic!("expected application data, got {other:?}"),
        }
    }
}

/// A proposal of the past epoch from a member removed since is too old (its epoch is checked
/// before its sender is looked up in the current tree, V-6-05), not "from a non-member".
#[test]
fn a_late_proposal_from_a_member_removed_since_is_too_old() {
    let (alice, bob, carol) = (
        member("alice", DeliveryPolicy::default()),
        member("bob", DeliveryPolicy::default()),
        member("carol", DeliveryPolicy::default()),
    );
    let mut g = group(&[&alice, &bob, &carol]);
    let epoch = g[1].epoch();
    let proposal = g[2].propose_update(NOW).expect("propose");
    let carol_leaf = g[2].own_leaf();
    let out = g[0].remove_members(&[carol_leaf], NOW).expect("remove");
    g[0].merge_pending_commit().expect("merge");
    merge(&mut g[1], out.commit);
    assert_eq!(
        refused(&mut g[1], &bob.store, proposal),
        DeliveryError::TooOld {
            epoch,
            current: epoch + 1
        }
    );
}

/// Our own commit and proposal, echoed by the Delivery Service after the group moved on, are
/// no news: `Received::Echo`, no error, nothing changed.
#[test]
fn echoes_after_the_group_moved_on_are_recognised() {
    let (alice, bob) = (
        member("alice", DeliveryPolicy::default()),
        member("bob", DeliveryPolicy::default()),
    );
    let mut g = group(&[&alice, &bob]);
    let proposal = g[0].propose_update(NOW).expect("propose");
    let commit = g[0].commit_pending(NOW).expect("commit").commit;
    // The DS accepted the commit: Alice merges at once, the echoes come later.
    g[0].merge_pending_commit().expect("merge");
    let before = snapshot(&g[0], &alice.store);
    for echo in [proposal, commit] {
        assert!(matches!(
            g[0].process_message(echo, NOW).expect("echo"),
            Received::Echo
        ));
    }
    assert_eq!(snapshot(&g[0], &alice.store), before);
}

/// A commit that arrives before a proposal it references is held, and processed once the
/// proposal is in.
#[test]
fn a_commit_before_its_proposal_is_held_until_the_proposal_arrives() {
    let (alice, bob, carol) = (
        member("alice", DeliveryPolicy::default()),
        member("bob", DeliveryPolicy::default()),
        member("carol", DeliveryPolicy::default()),
    );
    let mut g = group(&[&alice, &bob, &carol]);
    let proposal = g[1].propose_update(NOW).expect("bob proposes");
    assert!(matches!(
        g[0].process_message(proposal.clone(), NOW)
            .expect("proposal"),
        Received::Proposal { .. }
    ));
    let commit = g[0].commit_pending(NOW).expect("commit").commit;
    g[0].merge_pending_commit().expect("merge");
    // Carol gets the commit first.
    let current = g[2].epoch();
    assert!(matches!(
        g[2].process_message(commit, NOW).expect("held"),
        Received::Held { epoch } if epoch == current
    ));
    assert!(matches!(
        g[2].process_message(proposal, NOW).expect("proposal"),
        Received::Proposal { .. }
    ));
    let mut results = g[2].process_held(NOW);
    assert_eq!(results.len(), 1);
    match results.remove(0).expect("commit") {
        Received::Commit(staged) => {
            g[2].merge_staged(*staged).expect("merge");
        }
        other => panic!("expected a commit, got {other:?}"),
    }
    assert_eq!(g[2].epoch_authenticator(), g[0].epoch_authenticator());
}

/// V-12.4.2-17: once a member has merged the commit that removes it, its group is inactive: a
/// message of the next epoch (which it can never reach) is refused as `GroupInactive(Removed)`,
/// not held for later.
#[test]
fn v_12_4_2_17_a_removed_member_refuses_the_next_epochs_messages_instead_of_holding_them() {
    let (alice, bob, carol) = (
        member("alice", DeliveryPolicy::default()),
        member("bob", DeliveryPolicy::default()),
        member("carol", DeliveryPolicy::default()),
    );
    let mut g = group(&[&alice, &bob, &carol]);
    let carol_leaf = g[2].own_leaf();
    let out = g[0].remove_members(&[carol_leaf], NOW).expect("remove");
    g[0].merge_pending_commit().expect("merge");
    merge(&mut g[1], out.commit.clone());
    merge(&mut g[2], out.commit);
    assert_eq!(g[2].status(), cohort::group::GroupStatus::Removed);
    let after = g[0].send_message(b"just us").expect("send");
    let err = g[2]
        .process_message(after.clone(), NOW)
        .expect_err("removed");
    assert!(
        matches!(
            err,
            Error::Invalid(cohort::group::ValidationError::GroupInactive(
                cohort::group::reason::InactiveReason::Removed
            ))
        ),
        "{err}"
    );
    assert!(g[2].process_held(NOW).is_empty(), "nothing was held");
    match g[1].process_message(after, NOW).expect("bob reads") {
        Received::Application { data, .. } => assert_eq!(data, b"just us"),
        other => panic!("{other:?}"),
    }
}
