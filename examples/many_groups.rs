//! One client, many groups: a service (the "hub") keeps its 20 groups in a map keyed by group id
//! and serves all of them from one loop. Four other clients share the groups, two or three to a
//! group. Everything the hub receives comes through one inbox of (group id, message) pairs, in the
//! order the Delivery Service fixed; each message goes to its group by id, commits are merged,
//! proposals committed, application messages counted. At the end every group is reloaded from the
//! hub's store and must be at the epoch the loop left it in.
//!
//! Run it with `cargo run --example many_groups`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::messages::MlsMessage;
use cohort::storage::memory::MemoryStore;
use cohort::{Client, ClientGroup, Error, Received};

const GROUPS: usize = 20;
const PEERS: [&str; 4] = ["bob", "carol", "dave", "erin"];

/// What the Delivery Service hands the hub, in order: (group id, message).
type Inbox = VecDeque<(Vec<u8>, MlsMessage)>;

/// Another client, with its own handles of the groups it is in.
struct Peer {
    client: Client,
    groups: HashMap<Vec<u8>, ClientGroup>,
}

/// What the hub's loop saw.
#[derive(Debug, Default)]
struct Tally {
    application: usize,
    commits: usize,
    proposals: usize,
    rejected: usize,
}

fn main() -> Result<(), Error> {
    let started = std::time::Instant::now();
    let now = now();
    let provider: Arc<dyn CryptoProvider> = Arc::new(cohort::crypto::aws_lc::provider());
    let hub = client(&provider, "hub")?;
    let mut peers = PEERS
        .iter()
        .map(|name| {
            Ok(Peer {
                client: client(&provider, name)?,
                groups: HashMap::new(),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;

    // The hub creates every group and adds its peers; the handles go into one map. They own
    // what they need (a clone of the client), so the map can live anywhere: in a struct beside
    // the client, in another thread.
    let mut groups: HashMap<Vec<u8>, ClientGroup> = HashMap::new();
    for g in 0..GROUPS {
        let id = format!("group-{g:02}").into_bytes();
        let mut group = hub.create_group(&id, now)?;
        let members = members_of(g);
        let key_packages = members
            .iter()
            .map(|&p| peers[p].client.generate_key_package(now))
            .collect::<Result<Vec<_>, Error>>()?;
        let added = group.add_members(&key_packages, now)?;
        group.merge_pending_commit()?;
        let welcome = added
            .welcome
            .ok_or(Error::Internal("adds produce a Welcome"))?;
        for &p in &members {
            let joined = peers[p].client.join(&welcome, None, now)?;
            peers[p].groups.insert(id.clone(), joined);
        }
        groups.insert(id, group);
    }
    println!(
        "The hub created {GROUPS} groups with {} other clients.",
        PEERS.len()
    );

    let mut inbox = Inbox::new();
    let mut tally = Tally::default();
    let ids: Vec<Vec<u8>> = (0..GROUPS)
        .map(|g| format!("group-{g:02}").into_bytes())
        .collect();

    // Round 1: chat. Two members of each group write.
    for (g, id) in ids.iter().enumerate() {
        let members = members_of(g);
        for (turn, &p) in members.iter().take(2).enumerate() {
            let text = format!("{} in {}: message {}", PEERS[p], show(id), turn + 1);
            send(&mut peers, p, id, text.as_bytes(), now, &mut inbox)?;
        }
    }
    // A message for a group the hub does not have, and a replayed message: both are refused,
    // and the loop goes on.
    inbox.push_back((b"no such group".to_vec(), inbox[0].1.clone()));
    inbox.push_back(inbox[0].clone());
    serve(&mut groups, &mut inbox, &mut peers, now, &mut tally)?;
    println!("Round 1 (chat): {tally:?}");

    // Round 2: in each group a member refreshes its keys (a commit), then another writes in the
    // new epoch. The hub must take them in order.
    for (g, id) in ids.iter().enumerate() {
        let members = members_of(g);
        self_update(&mut peers, members[0], id, now, &mut inbox)?;
        let text = format!("{} in {}: after the update", PEERS[members[1]], show(id));
        send(&mut peers, members[1], id, text.as_bytes(), now, &mut inbox)?;
    }
    serve(&mut groups, &mut inbox, &mut peers, now, &mut tally)?;
    println!("Round 2 (updates): {tally:?}");

    // Round 3: in each group a member proposes an update; the hub commits each proposal as it
    // reads it and sends the commit to the group.
    for (g, id) in ids.iter().enumerate() {
        let p = members_of(g)[1];
        let proposal = peers[p]
            .groups
            .get_mut(id)
            .ok_or(NO_GROUP)?
            .propose_update(now)?;
        deliver(&mut peers, id, Some(p), &proposal, now)?;
        inbox.push_back((id.clone(), proposal));
    }
    serve(&mut groups, &mut inbox, &mut peers, now, &mut tally)?;
    println!("Round 3 (proposals committed by the hub): {tally:?}");

    // The hub writes to every group; every member reads it.
    for (id, group) in &mut groups {
        let message = group.send_message(b"the hub says hello")?;
        deliver(&mut peers, id, None, &message, now)?;
    }

    assert_eq!(tally.application, 3 * GROUPS);
    assert_eq!((tally.commits, tally.proposals), (GROUPS, GROUPS));
    assert_eq!(tally.rejected, 2);

    // Every member of every group agrees on the epoch.
    for (id, group) in &groups {
        for peer in &peers {
            if let Some(theirs) = peer.groups.get(id) {
                assert_eq!(theirs.epoch(), group.epoch());
                assert_eq!(theirs.epoch_authenticator(), group.epoch_authenticator());
            }
        }
    }

    // The hub restarts: every group comes back from its store at the epoch the loop left it in.
    let mut stored = hub.group_ids()?;
    stored.sort();
    assert_eq!(stored, ids);
    let before: HashMap<Vec<u8>, (u64, Vec<u8>)> = groups
        .iter()
        .map(|(id, g)| (id.clone(), (g.epoch(), g.epoch_authenticator().to_vec())))
        .collect();
    drop(groups);
    let mut reloaded: HashMap<Vec<u8>, ClientGroup> = HashMap::new();
    for id in &stored {
        match hub.load_group(id)? {
            Some(group) => {
                reloaded.insert(id.clone(), group);
            }
            None => return Err(Error::Internal("a listed group is not stored")),
        }
    }
    for (id, group) in &reloaded {
        let (epoch, authenticator) = &before[id];
        assert_eq!(group.epoch(), *epoch, "{}", show(id));
        assert_eq!(group.epoch_authenticator(), authenticator.as_slice());
    }
    println!(
        "Reloaded all {} groups from the hub's store, each at the epoch it had ({}).",
        reloaded.len(),
        epochs(&reloaded)
    );
    println!(
        "Done in {:.1} s: {} application messages read, {} commits merged, {} proposals \
         committed, {} messages refused.",
        started.elapsed().as_secs_f64(),
        tally.application,
        tally.commits,
        tally.proposals,
        tally.rejected
    );
    Ok(())
}

const NO_GROUP: Error = Error::Internal("the peer is in this group");

// ANCHOR: serve
/// The hub's loop: each message goes to its group by id. Commits are merged; a proposal is
/// committed at once and the commit sent to the group's other members; application messages are
/// counted. A message that is refused (malformed, invalid, of an unknown group) is dropped and
/// the loop goes on; any other error (storage, crypto) stops it.
fn serve(
    groups: &mut HashMap<Vec<u8>, ClientGroup>,
    inbox: &mut Inbox,
    peers: &mut [Peer],
    now: u64,
    tally: &mut Tally,
) -> Result<(), Error> {
    while let Some((id, message)) = inbox.pop_front() {
        let Some(group) = groups.get_mut(&id) else {
            println!("  dropped a message for an unknown group ({})", show(&id));
            tally.rejected += 1;
            continue;
        };
        let received = match group.process_message(message, now) {
            Ok(received) => received,
            // Invalid or malformed, or not deliverable (a replay, too old, too far ahead).
            Err(e @ (Error::Invalid(_) | Error::Malformed(_) | Error::Delivery(_))) => {
                println!("  refused a message in {}: {e}", show(&id));
                tally.rejected += 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        match received {
            Received::Application { sender, data, .. } => {
                tally.application += 1;
                // The first few, to show them; the rest are only counted.
                if tally.application <= 3 {
                    println!(
                        "  {} (leaf {}): {}",
                        show(&id),
                        sender.leaf.0,
                        String::from_utf8_lossy(&data)
                    );
                }
            }
            Received::Commit(staged) => {
                group.merge_staged(*staged)?;
                tally.commits += 1;
            }
            // Of an epoch still to come, kept by the group until `process_held` (this example's
            // Delivery Service keeps order, so it does not happen here; see docs/delivery.md),
            // or our own message echoed: nothing to do now.
            Received::Held { .. } | Received::Echo => {}
            Received::Proposal { .. } => {
                tally.proposals += 1;
                let out = group.commit_pending(now)?;
                // The Delivery Service accepts it; then the other members get it.
                group.merge_pending_commit()?;
                deliver(peers, &id, None, &out.commit, now)?;
            }
            _ => {
                return Err(Error::Internal(
                    "a kind of message this example does not know",
                ));
            }
        }
    }
    Ok(())
}
// ANCHOR_END: serve

/// Peer `from` sends `text` in group `id`: the other peers read it, the hub's copy is queued.
fn send(
    peers: &mut [Peer],
    from: usize,
    id: &[u8],
    text: &[u8],
    now: u64,
    inbox: &mut Inbox,
) -> Result<(), Error> {
    let group = peers[from].groups.get_mut(id).ok_or(NO_GROUP)?;
    let message = group.send_message(text)?;
    // The other peers read it now; the hub reads its copy later, in its loop.
    deliver(peers, id, Some(from), &message, now)?;
    inbox.push_back((id.to_vec(), message));
    Ok(())
}

/// Peer `from` refreshes its keys in group `id`; the Delivery Service accepts the commit.
fn self_update(
    peers: &mut [Peer],
    from: usize,
    id: &[u8],
    now: u64,
    inbox: &mut Inbox,
) -> Result<(), Error> {
    let group = peers[from].groups.get_mut(id).ok_or(NO_GROUP)?;
    let out = group.self_update(now)?;
    group.merge_pending_commit()?;
    deliver(peers, id, Some(from), &out.commit, now)?;
    inbox.push_back((id.to_vec(), out.commit));
    Ok(())
}

/// Hands `message` to every peer in group `id` except `from`: commits are merged, proposals
/// kept for the commit that covers them, application messages read.
fn deliver(
    peers: &mut [Peer],
    id: &[u8],
    from: Option<usize>,
    message: &MlsMessage,
    now: u64,
) -> Result<(), Error> {
    for (i, peer) in peers.iter_mut().enumerate() {
        if Some(i) == from {
            continue;
        }
        if let Some(group) = peer.groups.get_mut(id) {
            if let Received::Commit(staged) = group.process_message(message.clone(), now)? {
                group.merge_staged(*staged)?;
            }
        }
    }
    Ok(())
}

/// The peers of group `g`: two or three of the four, varying from group to group.
fn members_of(g: usize) -> Vec<usize> {
    let n = PEERS.len();
    let mut members = vec![g % n, (g + 1) % n];
    if g % 2 == 0 {
        members.push((g + 2) % n);
    }
    members
}

fn client(provider: &Arc<dyn CryptoProvider>, name: &str) -> Result<Client, Error> {
    let ops = provider
        .suite(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519)
        .ok_or(Error::Misuse("suite 1 is missing"))?;
    Client::builder(provider.clone())
        .signer(Arc::new(
            SoftwareSigner::generate(ops).map_err(Error::Crypto)?,
        ))
        .credential(Credential::basic(name.as_bytes().to_vec()))
        .build(Arc::new(MemoryStore::new()))
}

/// Seconds since the Unix epoch; cohort takes time as an argument and never reads the clock.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn show(id: &[u8]) -> String {
    String::from_utf8_lossy(id).into_owned()
}

/// The groups' epochs, from lowest to highest: "epoch 4 ×20".
fn epochs(groups: &HashMap<Vec<u8>, ClientGroup>) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for g in groups.values() {
        *counts.entry(g.epoch()).or_insert(0) += 1;
    }
    counts
        .iter()
        .map(|(epoch, n)| format!("epoch {epoch} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
