//! cohort quickstart: three members, one added and one removed, key updates, messages both
//! ways, and a member whose state is saved, dropped and reloaded mid-conversation.
//!
//! Run it with `cargo run --release -p cohort-examples --example quickstart`.

// ANCHOR: all
use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CryptoProvider, SoftwareSigner};
use cohort::storage::memory::MemoryStore;
use cohort::{Client, ClientGroup, Received};

/// Seconds since the Unix epoch; cohort takes time as an argument and never reads the clock.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn main() -> Result<(), cohort::Error> {
    // The default backend is aws-lc-rs; any provider works the same way.
    let provider: Arc<dyn CryptoProvider> = Arc::new(cohort::crypto::aws_lc::provider());
    let suite = cohort::crypto::CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
    let ops = provider
        .suite(suite)
        .ok_or(cohort::Error::Misuse("suite 1 is missing"))?;

    // Each person is a client: a signing key, a credential, and a store for their state.
    let new_client = |name: &str| -> Result<(Client, Arc<MemoryStore>), cohort::Error> {
        let store = Arc::new(MemoryStore::new());
        let signer = SoftwareSigner::generate(ops.clone()).map_err(cohort::Error::Crypto)?;
        let client = Client::builder(provider.clone())
            .signer(Arc::new(signer))
            .credential(Credential::basic(name.as_bytes().to_vec()))
            .build(store.clone())?;
        Ok((client, store))
    };
    let (alice, _) = new_client("alice")?;
    let (bob, bob_store) = new_client("bob")?;
    let (carol, _) = new_client("carol")?;

    // Alice creates a group; Bob and Carol publish KeyPackages (to a directory, say).
    let mut alice_group = alice.create_group(b"book club", now())?;
    println!(
        "Alice created the group \"book club\" (epoch {}).",
        alice_group.epoch()
    );
    let bob_kp = bob.generate_key_package(now())?;
    let carol_kp = carol.generate_key_package(now())?;

    // Alice adds both with one commit; the Delivery Service accepts it, so she merges it.
    let added = alice_group.add_members(&[bob_kp, carol_kp], now())?;
    alice_group.merge_pending_commit()?;
    let welcome = added
        .welcome
        .ok_or(cohort::Error::Internal("adds produce a Welcome"))?;
    let mut bob_group = bob.join(&welcome, None, now())?;
    let mut carol_group = carol.join(&welcome, None, now())?;
    println!(
        "Alice added Bob and Carol. The group is at epoch {} with {} members: {}.",
        alice_group.epoch(),
        alice_group.members().len(),
        names(&alice_group)
    );
    same_view(&[&alice_group, &bob_group, &carol_group]);

    // Messages both ways.
    let msg = alice_group.send_message(b"Shall we read Dune next?")?;
    show(&mut bob_group, "Bob", msg.clone())?;
    show(&mut carol_group, "Carol", msg)?;
    let msg = bob_group.send_message(b"Yes, I have a copy.")?;
    show(&mut alice_group, "Alice", msg.clone())?;
    show(&mut carol_group, "Carol", msg)?;

    // Carol refreshes her keys: everyone moves to a new epoch she secured.
    let update = carol_group.self_update(now())?;
    carol_group.merge_pending_commit()?;
    apply(&mut alice_group, update.commit.clone())?;
    apply(&mut bob_group, update.commit)?;
    println!(
        "Carol updated her keys; the group is at epoch {}.",
        alice_group.epoch()
    );
    same_view(&[&alice_group, &bob_group, &carol_group]);

    // Bob's device restarts: his group is reloaded from his store and carries on.
    let bob_group_id = bob_group.id().to_vec();
    drop(bob_group);
    let mut bob_group = bob
        .load_group(&bob_group_id)?
        .ok_or(cohort::Error::Internal("Bob's group was stored"))?;
    println!(
        "Bob's app restarted; his state was reloaded from storage ({} group stored, epoch {}).",
        bob_store.group_ids().map_or(0, |g| g.len()),
        bob_group.epoch()
    );

    // Alice removes Carol. Carol learns she was removed and can read nothing after that.
    let carol_leaf = alice_group
        .members()
        .into_iter()
        .find(|m| m.credential == Credential::basic(b"carol".to_vec()))
        .map(|m| m.leaf)
        .ok_or(cohort::Error::Internal("carol is a member"))?;
    let removal = alice_group.remove_members(&[carol_leaf], now())?;
    alice_group.merge_pending_commit()?;
    apply(&mut bob_group, removal.commit.clone())?;
    if let Received::Commit(staged) = carol_group.process_message(removal.commit, now())? {
        println!(
            "Carol sees the commit; it removes her: {}.",
            staged.summary().removes_us
        );
        carol_group.merge_staged(*staged)?;
    }
    println!("Alice removed Carol. Members now: {}.", names(&alice_group));
    same_view(&[&alice_group, &bob_group]);

    let msg = bob_group.send_message(b"Just us two now.")?;
    show(&mut alice_group, "Alice", msg.clone())?;
    match carol_group.process_message(msg, now()) {
        Ok(other) => {
            println!("Carol could read it ({other:?}): that is a bug.");
            return Err(cohort::Error::Internal(
                "a removed member read the group's message",
            ));
        }
        Err(e) => println!("Carol cannot read it: {e}"),
    }
    println!("Done: every member agreed on every epoch.");
    Ok(())
}

/// Delivers `message` to `group` and prints what it was.
fn show(
    group: &mut ClientGroup,
    who: &str,
    message: cohort::messages::MlsMessage,
) -> Result<(), cohort::Error> {
    if let Received::Application { sender, data, .. } = group.process_message(message, now())? {
        println!(
            "  {who} reads from {}: {}",
            name(&sender.credential),
            String::from_utf8_lossy(&data)
        );
    }
    Ok(())
}

/// Delivers a commit and merges it.
fn apply(
    group: &mut ClientGroup,
    commit: cohort::messages::MlsMessage,
) -> Result<(), cohort::Error> {
    match group.process_message(commit, now())? {
        Received::Commit(staged) => group.merge_staged(*staged).map(|_| ()),
        _ => Err(cohort::Error::Internal("expected a commit")),
    }
}

/// Checks that every member computes the same epoch authenticator.
fn same_view(groups: &[&ClientGroup]) {
    let first = groups[0].epoch_authenticator();
    let agree = groups.iter().all(|g| g.epoch_authenticator() == first);
    println!(
        "  All {} members agree on epoch {}: {agree}.",
        groups.len(),
        groups[0].epoch()
    );
    assert!(agree, "members disagree on the epoch");
}

fn name(c: &Credential) -> String {
    match c {
        Credential::Basic { identity } => String::from_utf8_lossy(identity).into_owned(),
        _ => "someone".to_owned(),
    }
}

fn names(group: &ClientGroup) -> String {
    group
        .members()
        .iter()
        .map(|m| name(&m.credential))
        .collect::<Vec<_>>()
        .join(", ")
}
// ANCHOR_END: all
