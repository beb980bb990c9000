//! A conversation that outlives the process: Alice and Bob keep their state in SQLite files, so
//! each run of this example continues where the last one stopped.
//!
//! Run it twice: `cargo run --release --example persistent` (state in `target/cohort-demo/`, or
//! the folder given as the first argument; delete it to start over).
//!
//! The signing keys are kept in plain files next to the databases to make the demo
//! self-contained; a real application keeps them in a keystore or an HSM.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::storage::sqlite::SqliteStore;
use cohort::{Client, ClientGroup, Error, Received};

const GROUP: &[u8] = b"persistent demo";

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A client whose signing key and state live in `dir`.
fn client(dir: &Path, name: &str, provider: &Arc<dyn CryptoProvider>) -> Result<Client, Error> {
    let ops = provider
        .suite(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519)
        .ok_or(Error::Misuse("suite 1 is missing"))?;
    let key_file = dir.join(format!("{name}.key"));
    let signer = match std::fs::read(&key_file) {
        Ok(bytes) => {
            let private = cohort::crypto::SignaturePrivateKey::new(bytes);
            SoftwareSigner::from_private(ops, private).map_err(Error::Crypto)?
        }
        Err(_) => {
            let signer = SoftwareSigner::generate(ops).map_err(Error::Crypto)?;
            std::fs::write(&key_file, signer.private_key().as_bytes())
                .map_err(|_| Error::Misuse("cannot write the demo's key file"))?;
            signer
        }
    };
    let store = SqliteStore::open(dir.join(format!("{name}.sqlite")))?;
    Client::builder(provider.clone())
        .signer(Arc::new(signer))
        .credential(Credential::basic(name.as_bytes().to_vec()))
        .build(Arc::new(store))
}

fn main() -> Result<(), Error> {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/cohort-demo"), PathBuf::from);
    std::fs::create_dir_all(&dir).map_err(|_| Error::Misuse("cannot create the demo folder"))?;
    let provider: Arc<dyn CryptoProvider> = Arc::new(cohort::crypto::aws_lc::provider());
    let alice = client(&dir, "alice", &provider)?;
    let bob = client(&dir, "bob", &provider)?;

    // `Ok(None)` means "no such group": only then is a new one created. An error (a storage
    // fault, a damaged state) stops here rather than overwrite what is stored.
    let (mut alice_group, mut bob_group) = match alice.load_group(GROUP)? {
        Some(a) => {
            let b = bob
                .load_group(GROUP)?
                .ok_or(Error::Misuse("Alice's group is stored but Bob's is not"))?;
            println!(
                "Loaded the group from {} at epoch {}.",
                dir.display(),
                a.epoch()
            );
            (a, b)
        }
        None => {
            println!("No stored group in {}: creating one.", dir.display());
            let mut a = alice.create_group(GROUP, now())?;
            let kp = bob.generate_key_package(now())?;
            let out = a.add_members(&[kp], now())?;
            a.merge_pending_commit()?;
            let b = bob.join(
                &out.welcome
                    .ok_or(Error::Internal("adds produce a Welcome"))?,
                None,
                now(),
            )?;
            (a, b)
        }
    };

    let epoch = alice_group.epoch();
    let text = format!("hello from epoch {epoch}");
    let msg = alice_group.send_message(text.as_bytes())?;
    if let Received::Application { data, .. } = bob_group.process_message(msg, now())? {
        println!("  Bob reads: {}", String::from_utf8_lossy(&data));
    }
    // Alice refreshes her keys; the group moves to the next epoch, stored by both.
    let update = alice_group.self_update(now())?;
    alice_group.merge_pending_commit()?;
    advance(&mut bob_group, update.commit)?;
    assert_eq!(
        alice_group.epoch_authenticator(),
        bob_group.epoch_authenticator()
    );
    println!(
        "Both are now at epoch {} and agree on it. Run me again to continue from here.",
        bob_group.epoch()
    );
    Ok(())
}

fn advance(group: &mut ClientGroup, commit: cohort::messages::MlsMessage) -> Result<(), Error> {
    match group.process_message(commit, now())? {
        Received::Commit(staged) => group.merge_staged(*staged).map(|_| ()),
        _ => Err(Error::Internal("expected a commit")),
    }
}
