//! A member whose signing key lives in a PKCS#11 token (a hardware security module, a smart
//! card, SoftHSM2): the key is made in the token and never leaves it; everything else runs on a
//! software provider.
//!
//! CI builds this example but does not run it, since it needs a token (the end-to-end test in
//! `crates/cohort-crypto-pkcs11/tests/group.rs` runs the same calls against SoftHSM2). To run it
//! with SoftHSM2 (`apt-get install softhsm2`):
//!
//! ```text
//! mkdir -p target/softhsm/tokens
//! echo "directories.tokendir = $PWD/target/softhsm/tokens" > target/softhsm/softhsm2.conf
//! export SOFTHSM2_CONF=$PWD/target/softhsm/softhsm2.conf
//! softhsm2-util --init-token --free --label cohort --pin 1234 --so-pin 123456
//! COHORT_HSM_PIN=1234 cargo run --example hsm -- /usr/lib/softhsm/libsofthsm2.so cohort
//! ```
//!
//! The first run generates the key "tara" in the token; later runs find it there.

use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::storage::memory::MemoryStore;
use cohort::{Client, Received};
use cohort_crypto_pkcs11::{KeySelector, Pkcs11Error, Pkcs11Token, SlotSelector, TokenConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(module), Some(token_label)) = (args.next(), args.next()) else {
        eprintln!("usage: hsm MODULE TOKEN_LABEL, with the user PIN in COHORT_HSM_PIN");
        std::process::exit(2);
    };
    // A real application takes the PIN from its secret store.
    let pin = std::env::var("COHORT_HSM_PIN").map_err(|_| "COHORT_HSM_PIN is not set")?;
    let now = now();
    let cs = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

    // ANCHOR: token_member
    // The module, the token's label and the PIN come from the application's configuration.
    let token = Pkcs11Token::open(TokenConfig::new(
        module,
        SlotSelector::TokenLabel(token_label),
        pin,
    ))?;
    // The key is found by its label; the first time, it is generated in the token (sensitive,
    // never extractable).
    let signer = match token.find_signer(&KeySelector::Label("tara".into())) {
        Ok(signer) => signer,
        Err(Pkcs11Error::KeyNotFound(_)) => {
            let scheme = cs.signature_scheme().ok_or("an unknown cipher suite")?;
            token.generate_signer(scheme, "tara", b"tara")?
        }
        Err(e) => return Err(e.into()),
    };
    // Everything else runs on a software provider: the client only holds the key's handle.
    let tara = Client::builder(Arc::new(cohort::crypto::aws_lc::provider()))
        .signer(Arc::new(signer))
        .credential(Credential::basic(b"tara".to_vec()))
        .cipher_suite(cs)
        .build(Arc::new(MemoryStore::new()))?;
    // ANCHOR_END: token_member
    println!("Tara's key is in the token {:?}.", token.label());

    // A software member adds Tara, who joins, writes and updates her keys: every signature of
    // hers is made by the token.
    let provider: Arc<dyn CryptoProvider> = Arc::new(cohort::crypto::aws_lc::provider());
    let bob = Client::builder(provider.clone())
        .signer(Arc::new(SoftwareSigner::generate(
            provider.require_suite(cs)?,
        )?))
        .credential(Credential::basic(b"bob".to_vec()))
        .cipher_suite(cs)
        .build(Arc::new(MemoryStore::new()))?;
    let mut bob_group = bob.create_group(b"hsm demo", now)?;
    let added = bob_group.add_members(&[tara.generate_key_package(now)?], now)?;
    bob_group.merge_pending_commit()?;
    let welcome = added.welcome.ok_or("an Add makes a Welcome")?;
    let mut tara_group = tara.join(&welcome, None, now)?;
    let message = tara_group.send_message(b"signed in the token")?;
    if let Received::Application { data, .. } = bob_group.process_message(message, now)? {
        println!("Bob reads: {}", String::from_utf8_lossy(&data));
    }
    let update = tara_group.self_update(now)?;
    tara_group.merge_pending_commit()?;
    if let Received::Commit(staged) = bob_group.process_message(update.commit, now)? {
        bob_group.merge_staged(*staged)?;
    }
    assert_eq!(
        bob_group.epoch_authenticator(),
        tara_group.epoch_authenticator()
    );
    println!(
        "Tara updated her keys; both are at epoch {}.",
        bob_group.epoch()
    );
    Ok(())
}

/// Seconds since the Unix epoch; cohort takes time as an argument and never reads the clock.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
