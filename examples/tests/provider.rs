//! A crypto provider written the way docs/providers.md describes, from a crate outside cohort:
//! one cipher suite (suite 1: X25519, AES-128-GCM, SHA-256, Ed25519) composed from RustCrypto
//! primitives by `cohort-crypto-hpke`, certified by the conformance kit, and used by a client.
//!
//! The book includes this file (docs/providers.md), so what it shows is what compiles and passes.

use std::sync::Arc;

use aes_gcm::Aes128Gcm;
use aes_gcm::aead::{Aead as _, KeyInit, Payload};
use cohort_crypto::{
    CipherSuite, CryptoError, CryptoErrorKind, CryptoProvider, HpkePrivateKey, HpkePublicKey,
    HpkeSuite, Secret, SignaturePrivateKey, SignaturePublicKey, SignatureScheme, SuiteOps,
};
use cohort_crypto_hpke::{
    Aead, ComposedSuite, DeriveMethod, DhGroup, HashFunction, Kdf, Primitives, SignatureAlgorithm,
};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

// ANCHOR: provider
/// The primitives of suite 1, and the operating system's random number generator.
const PRIMITIVES: Primitives<MySha256, MyAes128Gcm, MyX25519, MyEd25519> = Primitives {
    hashes: &[MySha256],
    aeads: &[MyAes128Gcm],
    groups: &[MyX25519],
    signatures: &[MyEd25519],
    random_fill: my_rng_fill,
};

/// The provider: `ComposedSuite` adds HKDF, DHKEM, HPKE and the rest on top of the primitives.
#[derive(Debug)]
pub struct MyProvider;

impl CryptoProvider for MyProvider {
    fn cipher_suites(&self) -> &[CipherSuite] {
        &[CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519]
    }

    fn suite(&self, cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
        ComposedSuite::new(cs, &PRIMITIVES).map(|s| Arc::new(s) as Arc<dyn SuiteOps>)
    }
}
// ANCHOR_END: provider

// ANCHOR: certify
#[test]
fn passes_the_conformance_kit() {
    let report = cohort_conformance::crypto::run(&MyProvider);
    println!("{report}");
    assert!(report.is_success(), "{report}");
}
// ANCHOR_END: certify

/// The provider works in a client like any other: a group of two, a message, an update.
#[test]
fn runs_a_group() -> Result<(), cohort::Error> {
    use cohort::credential::Credential;
    use cohort::crypto::SoftwareSigner;
    use cohort::storage::memory::MemoryStore;
    use cohort::{Client, Received};

    const NOW: u64 = 1_800_000_000;
    let provider: Arc<dyn CryptoProvider> = Arc::new(MyProvider);
    let client = |name: &str| -> Result<Client, cohort::Error> {
        let ops = provider.require_suite(CipherSuite(1))?;
        Client::builder(provider.clone())
            .signer(Arc::new(SoftwareSigner::generate(ops)?))
            .credential(Credential::basic(name.as_bytes().to_vec()))
            .build(Arc::new(MemoryStore::new()))
    };
    let (alice, bob) = (client("alice")?, client("bob")?);
    let mut alice_group = alice.create_group(b"my provider", NOW)?;
    let added = alice_group.add_members(&[bob.generate_key_package(NOW)?], NOW)?;
    alice_group.merge_pending_commit()?;
    let welcome = added.welcome.ok_or(cohort::Error::Internal("a Welcome"))?;
    let mut bob_group = bob.join(&welcome, None, NOW)?;
    let message = alice_group.send_message(b"composed")?;
    assert!(matches!(
        bob_group.process_message(message, NOW)?,
        Received::Application { data, .. } if data == b"composed"
    ));
    let update = bob_group.self_update(NOW)?;
    bob_group.merge_pending_commit()?;
    match alice_group.process_message(update.commit, NOW)? {
        Received::Commit(staged) => {
            alice_group.merge_staged(*staged)?;
        }
        other => panic!("expected a commit, got {other:?}"),
    }
    assert_eq!(
        alice_group.epoch_authenticator(),
        bob_group.epoch_authenticator()
    );
    Ok(())
}

// The primitives: one small type per algorithm, each implementing a trait of cohort-crypto-hpke
// with a RustCrypto crate.

fn my_rng_fill(out: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(out).map_err(|e| CryptoError::with_source(CryptoErrorKind::Random, e))
}

/// SHA-256 with its HMAC and HKDF.
#[derive(Debug, Clone, Copy)]
struct MySha256;

impl Kdf for MySha256 {
    fn kdf_id(&self) -> u16 {
        HpkeSuite::KDF_SHA256
    }

    fn hash_len(&self) -> usize {
        32
    }

    fn extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        Ok(Secret::new(
            hkdf::Hkdf::<Sha256>::extract(Some(salt), ikm).0.to_vec(),
        ))
    }

    fn expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, CryptoError> {
        // A too-short pseudorandom key, or more than 255 blocks asked for.
        let hkdf = hkdf::Hkdf::<Sha256>::from_prk(prk)
            .map_err(|_| CryptoError::new(CryptoErrorKind::InvalidLength))?;
        let mut okm = Secret::new(vec![0; len]);
        hkdf.expand(info, okm.as_mut_bytes())
            .map_err(|_| CryptoError::new(CryptoErrorKind::InvalidLength))?;
        Ok(okm)
    }
}

impl HashFunction for MySha256 {
    fn hash(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(Sha256::digest(data).to_vec())
    }

    fn mac(&self, key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidLength, e))?;
        mac.update(data);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

/// AES-128-GCM.
#[derive(Debug, Clone, Copy)]
struct MyAes128Gcm;

impl MyAes128Gcm {
    const TAG_LEN: usize = 16;

    fn cipher(&self, key: &[u8], nonce: &[u8]) -> Result<Aes128Gcm, CryptoError> {
        if key.len() != self.key_len() || nonce.len() != self.nonce_len() {
            return Err(CryptoErrorKind::InvalidLength.into());
        }
        Aes128Gcm::new_from_slice(key)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidLength, e))
    }
}

impl Aead for MyAes128Gcm {
    fn aead_id(&self) -> u16 {
        HpkeSuite::AEAD_AES128GCM
    }

    fn key_len(&self) -> usize {
        16
    }

    fn nonce_len(&self) -> usize {
        12
    }

    fn seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        pt: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        // `cipher` checked the nonce's length, so `from_slice` cannot panic.
        self.cipher(key, nonce)?
            .encrypt(nonce.into(), Payload { msg: pt, aad })
            .map_err(|_| CryptoErrorKind::InvalidLength.into())
    }

    fn open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ct: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let cipher = self.cipher(key, nonce)?;
        if ct.len() < Self::TAG_LEN {
            return Err(CryptoErrorKind::AeadOpenFailed.into());
        }
        cipher
            .decrypt(nonce.into(), Payload { msg: ct, aad })
            .map_err(|_| CryptoErrorKind::AeadOpenFailed.into())
    }
}

/// X25519, the group under DHKEM(X25519, HKDF-SHA256).
#[derive(Debug, Clone, Copy)]
struct MyX25519;

fn x25519_bytes(bytes: &[u8], kind: CryptoErrorKind) -> Result<[u8; 32], CryptoError> {
    bytes.try_into().map_err(|_| CryptoError::new(kind))
}

impl DhGroup for MyX25519 {
    fn kem_id(&self) -> u16 {
        HpkeSuite::KEM_X25519_SHA256
    }

    fn private_key_len(&self) -> usize {
        32
    }

    fn derive_method(&self) -> DeriveMethod {
        DeriveMethod::Expand
    }

    fn generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        let mut sk = HpkePrivateKey::from_slice(&[0; 32]);
        my_rng_fill(sk.as_mut_bytes())?;
        let pk = self.public_key(&sk)?;
        Ok((sk, pk))
    }

    fn private_key_from_bytes(&self, bytes: &[u8]) -> Result<HpkePrivateKey, CryptoError> {
        // Any 32 bytes are an X25519 private key (RFC 7748 clamps them when used).
        x25519_bytes(bytes, CryptoErrorKind::InvalidPrivateKey)?;
        Ok(HpkePrivateKey::from_slice(bytes))
    }

    fn public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        let sk = x25519_bytes(sk.as_bytes(), CryptoErrorKind::InvalidPrivateKey)?;
        let secret = x25519_dalek::StaticSecret::from(sk);
        Ok(HpkePublicKey::from(
            x25519_dalek::PublicKey::from(&secret).as_bytes().to_vec(),
        ))
    }

    fn validate_public_key(&self, pk: &[u8]) -> Result<(), CryptoError> {
        let u = x25519_bytes(pk, CryptoErrorKind::InvalidPublicKey)?;
        // The points whose Diffie-Hellman output is zero whatever the private key.
        if cohort_crypto_hpke::x25519::is_small_order(&u) {
            return Err(CryptoErrorKind::InvalidPublicKey.into());
        }
        Ok(())
    }

    fn dh(&self, sk: &HpkePrivateKey, pk: &[u8]) -> Result<Secret, CryptoError> {
        let u = x25519_bytes(pk, CryptoErrorKind::InvalidPublicKey)?;
        let k = x25519_bytes(sk.as_bytes(), CryptoErrorKind::InvalidPrivateKey)?;
        let shared = x25519_dalek::x25519(k, u);
        if shared == [0; 32] {
            return Err(CryptoErrorKind::ZeroSharedSecret.into());
        }
        Ok(Secret::from_slice(&shared))
    }
}

/// Ed25519 (RFC 8032), raw 64-byte signatures, 32-byte seeds as private keys.
#[derive(Debug, Clone, Copy)]
struct MyEd25519;

fn ed25519_key(sk: &SignaturePrivateKey) -> Result<ed25519_dalek::SigningKey, CryptoError> {
    let seed: [u8; 32] = sk
        .as_bytes()
        .try_into()
        .map_err(|_| CryptoError::new(CryptoErrorKind::InvalidPrivateKey))?;
    Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
}

impl SignatureAlgorithm for MyEd25519 {
    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ED25519
    }

    fn generate(&self) -> Result<(SignaturePrivateKey, SignaturePublicKey), CryptoError> {
        let mut seed = Secret::new(vec![0; 32]);
        my_rng_fill(seed.as_mut_bytes())?;
        let sk = SignaturePrivateKey::from_slice(seed.as_bytes());
        let pk = self.public_key(&sk)?;
        Ok((sk, pk))
    }

    fn public_key(&self, sk: &SignaturePrivateKey) -> Result<SignaturePublicKey, CryptoError> {
        Ok(SignaturePublicKey::from(
            ed25519_key(sk)?.verifying_key().to_bytes().to_vec(),
        ))
    }

    fn sign(&self, sk: &SignaturePrivateKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        use ed25519_dalek::Signer as _;
        Ok(ed25519_key(sk)?.sign(message).to_bytes().to_vec())
    }

    fn verify(
        &self,
        pk: &SignaturePublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let pk: [u8; 32] = pk
            .as_ref()
            .try_into()
            .map_err(|_| CryptoError::new(CryptoErrorKind::InvalidPublicKey))?;
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidPublicKey, e))?;
        let signature = ed25519_dalek::Signature::from_slice(signature)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidSignature, e))?;
        // RFC 8032 verification, which rejects a non-canonical S.
        ed25519_dalek::Verifier::verify(&vk, message, &signature)
            .map_err(|e| CryptoError::with_source(CryptoErrorKind::InvalidSignature, e))
    }
}
