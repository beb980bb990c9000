//! **Asynchrony** (RFC 9420 §16.1, §12.4.3.1): nobody has to be online at the same time as
//! anybody else; a client needs only its stored state and the messages the Delivery Service
//! kept for it.
//!
//! Attacker model: the network delays every message arbitrarily and clients go offline for
//! long spans; there is no active attacker. Each client here is a facade `Client` over a
//! `MemoryStore`; going offline means dropping the `Client` and every group handle, so only the
//! store (and the application's signing key) is left, and coming back means building a new
//! `Client` over the same store and calling `load_group`.
//!
//! Seen to fail: in a scratch build where the synchronous `GroupOf::save` skips its write, both
//! tests fail on all three backends (the joiner's KeyPackage secrets stay stored and the
//! offline member's group is not in the store), as does
//! `forward_secrecy::the_stored_state_refuses_what_it_has_read`.

use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CryptoProvider, SoftwareSigner};
use cohort::messages::MlsMessage;
use cohort::storage::memory::MemoryStore;
use cohort::{Client, ClientBuilder, Received};

use crate::support::{Backend, CS, NOW};

on_every_backend!(
    a_member_joins_while_everyone_else_is_offline,
    a_member_offline_for_twenty_epochs_catches_up,
);

/// What stays of a client while it is offline: its store and its signing key.
struct Offline {
    name: &'static str,
    store: Arc<MemoryStore>,
    signer: Arc<SoftwareSigner>,
}

impl Offline {
    fn new(b: &Backend, name: &'static str) -> Self {
        Self {
            name,
            store: Arc::new(MemoryStore::new()),
            signer: Arc::new(b.signer()),
        }
    }

    /// The client back online, from nothing but the store and the key.
    fn online(&self, provider: &Arc<dyn CryptoProvider>) -> Client {
        ClientBuilder::new(provider.clone())
            .cipher_suite(CS)
            .signer(self.signer.clone())
            .credential(Credential::basic(self.name.as_bytes().to_vec()))
            .build(self.store.clone())
            .expect("client")
    }
}

const GROUP: &[u8] = b"asynchrony";

/// Processes a commit through the facade and merges it.
fn apply(group: &mut cohort::ClientGroup, msg: MlsMessage) {
    match group.process_message(msg, NOW).expect("process") {
        Received::Commit(staged) => {
            group.merge_staged(*staged).expect("merge");
        }
        other => panic!("expected a commit, got {other:?}"),
    }
}

/// Reads an application message through the facade.
fn read(group: &mut cohort::ClientGroup, msg: MlsMessage) -> Vec<u8> {
    match group.process_message(msg, NOW).expect("process") {
        Received::Application { data, .. } => data,
        other => panic!("expected application data, got {other:?}"),
    }
}

/// Dave publishes a KeyPackage and goes offline. Alice adds him and goes offline too. Dave
/// comes back with only his store, joins from the Welcome, sends a message and goes offline;
/// Alice comes back from her store and reads it.
fn a_member_joins_while_everyone_else_is_offline(b: &Backend) {
    let alice = Offline::new(b, "alice");
    let dave = Offline::new(b, "dave");
    let published = dave
        .online(&b.provider)
        .generate_key_package(NOW)
        .expect("KeyPackage");
    // Dave's client is gone; alice creates the group and adds him.
    let welcome = {
        let client = alice.online(&b.provider);
        let mut group = client.create_group(GROUP, NOW).expect("create");
        let out = group.add_members(&[published], NOW).expect("add");
        group.merge_pending_commit().expect("merge");
        out.welcome.expect("a Welcome")
    };
    // Alice is offline; dave joins from his store alone, and goes offline at once.
    {
        let client = dave.online(&b.provider);
        let group = client.join(&welcome, None, NOW).expect("join");
        assert_eq!(group.members().len(), 2);
    }
    // The KeyPackage's private keys went in the same write that stored the group.
    assert!(dave.store.key_package_refs().expect("refs").is_empty());
    // Dave comes back from his store and writes.
    let message = dave
        .online(&b.provider)
        .load_group(GROUP)
        .expect("dave's stored group")
        .expect("stored")
        .send_message(b"joined while you slept")
        .expect("send");
    let auth = dave
        .online(&b.provider)
        .load_group(GROUP)
        .expect("dave's stored group")
        .expect("stored")
        .epoch_authenticator()
        .to_vec();
    let client = alice.online(&b.provider);
    let mut group = client
        .load_group(GROUP)
        .expect("alice's stored group")
        .expect("stored");
    assert_eq!(group.epoch_authenticator(), auth, "{}", b.name);
    assert_eq!(read(&mut group, message), b"joined while you slept");
}

/// Bob goes offline at epoch 2. The group goes through 20 commits (updates by alice and carol,
/// adds and removes of others) while the Delivery Service keeps them. Bob comes back from his
/// store, processes the 20 commits in order, agrees with the group and reads its news.
fn a_member_offline_for_twenty_epochs_catches_up(b: &Backend) {
    let names = ["alice", "bob", "carol"];
    let people: Vec<Offline> = names.iter().map(|n| Offline::new(b, n)).collect();
    let clients: Vec<Client> = people.iter().map(|p| p.online(&b.provider)).collect();
    let mut alice = clients[0].create_group(GROUP, NOW).expect("create");
    let kps = [1, 2].map(|i| clients[i].generate_key_package(NOW).expect("kp"));
    let out = alice.add_members(&kps, NOW).expect("add");
    alice.merge_pending_commit().expect("merge");
    let welcome = out.welcome.expect("welcome");
    clients[1].join(&welcome, None, NOW).expect("bob joins");
    let mut carol = clients[2].join(&welcome, None, NOW).expect("carol joins");
    let start = alice.epoch();

    // Bob is offline: his client is never used again.
    let mut queue: Vec<MlsMessage> = Vec::new();
    let guests: Vec<Client> = (0..4)
        .map(|i| {
            let p = Offline::new(b, ["g0", "g1", "g2", "g3"][i]);
            p.online(&b.provider)
        })
        .collect();
    let mut guest_leaf = None;
    for round in 0..20 {
        let (committer, other) = if round % 2 == 0 {
            (&mut alice, &mut carol)
        } else {
            (&mut carol, &mut alice)
        };
        let out = match (round % 5, guest_leaf) {
            (1, None) => {
                let kp = guests[round % 4]
                    .generate_key_package(NOW)
                    .expect("guest kp");
                let out = committer.add_members(&[kp], NOW).expect("add guest");
                guest_leaf = Some(());
                out
            }
            (3, Some(())) => {
                let leaf = committer
                    .members()
                    .iter()
                    .find(|m| {
                        names
                            .iter()
                            .all(|n| m.credential != Credential::basic(n.as_bytes().to_vec()))
                    })
                    .expect("the guest")
                    .leaf;
                guest_leaf = None;
                committer
                    .remove_members(&[leaf], NOW)
                    .expect("remove guest")
            }
            _ => committer.self_update(NOW).expect("update"),
        };
        committer.merge_pending_commit().expect("merge");
        apply(other, out.commit.clone());
        queue.push(out.commit);
    }
    assert_eq!(alice.epoch(), start + 20);
    let news = alice.send_message(b"while you were away").expect("send");

    let bob_client = people[1].online(&b.provider);
    let mut bob = bob_client
        .load_group(GROUP)
        .expect("bob's stored group")
        .expect("stored");
    assert_eq!(bob.epoch(), start);
    for commit in queue {
        apply(&mut bob, commit);
    }
    assert_eq!(bob.epoch(), alice.epoch());
    assert_eq!(
        bob.epoch_authenticator(),
        alice.epoch_authenticator(),
        "{}",
        b.name
    );
    assert_eq!(read(&mut bob, news), b"while you were away");
    // What bob stored after catching up is where he is.
    let again = bob_client
        .load_group(GROUP)
        .expect("reload")
        .expect("stored");
    assert_eq!(again.epoch_authenticator(), alice.epoch_authenticator());
}
