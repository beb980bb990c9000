//! A group whose members hold X.509 credentials from one certificate authority: each member's
//! MLS signature key is certified by the CA, every member validates every credential against the
//! CA (chain, validity, key binding, identity from the DNS name), and a client certified by
//! another CA cannot be added.
//!
//! Run it with `cargo run --example x509`.

use std::sync::Arc;

use cohort::credential::x509::{IdentityPolicy, X509Validator};
use cohort::credential::{Certificate, Credential};
use cohort::crypto::{CipherSuite, CryptoProvider, SignaturePublicKey, Signer, SoftwareSigner};
use cohort::group::GroupConfig;
use cohort::storage::memory::MemoryStore;
use cohort::{Client, Error, Received};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PublicKeyData, SanType, SignatureAlgorithm,
};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A certificate authority: its certificate and the issuer that signs leaves.
struct Ca {
    der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Result<Ca, rcgen::Error> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let der = params.self_signed(&key)?.der().to_vec();
    Ok(Ca {
        der,
        issuer: Issuer::new(params, key),
    })
}

/// An MLS Ed25519 signature key, as rcgen sees a public key to certify.
struct MlsKey<'a>(&'a SignaturePublicKey);

impl PublicKeyData for MlsKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0.as_ref()
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_ED25519
    }
}

/// A client named `name` whose signature key `ca` certifies for `name.example.com`.
fn client(
    provider: &Arc<dyn CryptoProvider>,
    ca: &Ca,
    name: &str,
    validator: &Arc<X509Validator>,
) -> Result<Client, Box<dyn std::error::Error>> {
    let ops = provider.suite(CipherSuite(1)).ok_or("suite 1 is missing")?;
    let signer = SoftwareSigner::generate(ops)?;
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.subject_alt_names = vec![SanType::DnsName(format!("{name}.example.com").try_into()?)];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let leaf = params.signed_by(&MlsKey(signer.public_key()), &ca.issuer)?;
    let credential = Credential::X509 {
        certificates: vec![Certificate {
            cert_data: leaf.der().to_vec().into(),
        }],
    };
    Ok(Client::builder(provider.clone())
        .signer(Arc::new(signer))
        .credential(credential)
        .config(GroupConfig::default().with_credential_validator(validator.clone()))
        .build(Arc::new(MemoryStore::new()))?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let provider: Arc<dyn CryptoProvider> = Arc::new(cohort::crypto::aws_lc::provider());
    let company = ca("Example Company CA")?;
    // Everyone trusts the company CA and names members by the certificate's DNS name.
    let validator = Arc::new(
        X509Validator::new([&company.der], now)?.with_identity_policy(IdentityPolicy::SanDns),
    );
    let alice = client(&provider, &company, "alice", &validator)?;
    let bob = client(&provider, &company, "bob", &validator)?;
    let carol = client(&provider, &company, "carol", &validator)?;

    let mut alice_group = alice.create_group(b"x509 group", now())?;
    let kps = [
        bob.generate_key_package(now())?,
        carol.generate_key_package(now())?,
    ];
    let out = alice_group.add_members(&kps, now())?;
    alice_group.merge_pending_commit()?;
    let welcome = out.welcome.ok_or("adds produce a Welcome")?;
    let mut bob_group = bob.join(&welcome, None, now())?;
    let mut carol_group = carol.join(&welcome, None, now())?;
    println!("Alice added Bob and Carol; every certificate chains to the company CA.");

    // Bob updates his keys (his credential is validated again as his own successor).
    let update = bob_group.self_update(now())?;
    bob_group.merge_pending_commit()?;
    for g in [&mut alice_group, &mut carol_group] {
        if let Received::Commit(staged) = g.process_message(update.commit.clone(), now())? {
            g.merge_staged(*staged)?;
        }
    }
    println!(
        "Bob updated his keys; all three are at epoch {}.",
        alice_group.epoch()
    );

    // A client certified by another CA is refused.
    let rogue_ca = ca("Rogue CA")?;
    let mallory = client(
        &provider,
        &rogue_ca,
        "mallory",
        &Arc::new(X509Validator::new([&rogue_ca.der], now)?),
    )?;
    match alice_group.add_members(&[mallory.generate_key_package(now())?], now()) {
        Err(Error::Invalid(e)) => println!("Mallory, certified by another CA, is refused: {e}"),
        Err(e) => return Err(e.into()),
        Ok(_) => return Err("a client of an untrusted CA was added".into()),
    }

    // Alice removes Carol.
    let carol_leaf = carol_group.own_leaf();
    let removal = alice_group.remove_members(&[carol_leaf], now())?;
    alice_group.merge_pending_commit()?;
    if let Received::Commit(staged) = bob_group.process_message(removal.commit, now())? {
        bob_group.merge_staged(*staged)?;
    }
    assert_eq!(
        alice_group.epoch_authenticator(),
        bob_group.epoch_authenticator()
    );
    println!(
        "Alice removed Carol; Alice and Bob agree on epoch {}.",
        bob_group.epoch()
    );
    Ok(())
}
