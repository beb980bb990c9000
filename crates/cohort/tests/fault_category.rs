//! Errors by who is at fault, through the facade: a failure of our own crypto provider (RNG,
//! HSM, backend) is [`Error::Crypto`], a failure of our store [`Error::Storage`], and neither is
//! ever [`Error::Invalid`] (a peer's invalid message, which an application would discard as
//! malicious). After either, the group is as it was (same epoch, same epoch authenticator,
//! nothing pending) and a retry succeeds.
//!
//! The provider is the RustCrypto one wrapped to fail a chosen call ([`FaultyProvider`]); the
//! store is a [`FailingStore`] around the memory store. Each crypto test fails every call of the
//! operation in turn.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cohort::credential::Credential;
use cohort::crypto::{
    CipherSuite, CryptoError, CryptoErrorKind, CryptoProvider, Decapsulator, HpkeCiphertext,
    HpkePrivateKey, HpkePublicKey, Secret, SignaturePrivateKey, SignaturePublicKey,
    SignatureScheme, SoftwareSigner, SuiteOps,
};
use cohort::storage::StorageErrorKind;
use cohort::storage::memory::MemoryStore;
use cohort::{Client, ClientGroup, Error, Received};
use cohort_conformance::storage::{FailingStore, InjectedFault};

const NOW: u64 = 1_800_000_000;
const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

/// The source of an error injected by [`FaultyProvider`].
#[derive(Debug)]
struct InjectedCryptoFault {
    /// The number of the call that failed, counted from 1.
    call: u64,
}

impl fmt::Display for InjectedCryptoFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "crypto fault injected on call {}", self.call)
    }
}

impl std::error::Error for InjectedCryptoFault {}

/// Counts the calls of a [`FaultyProvider`]'s suites and fails the one it is armed for.
#[derive(Debug, Default)]
struct Faults {
    calls: AtomicU64,
    /// The number of the call to fail, or 0 for none.
    fail_at: AtomicU64,
}

impl Faults {
    /// How many calls the suites received.
    fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Fails the `n`-th call from now (1 is the next one), once.
    fn fail_call(&self, n: u64) {
        self.fail_at.store(self.calls() + n, Ordering::SeqCst);
    }

    /// Disarms any fault not yet fired.
    fn disarm(&self) {
        self.fail_at.store(0, Ordering::SeqCst);
    }

    /// Counts a call, and fails it when armed for it with an error of `kind`.
    fn check(&self, kind: CryptoErrorKind) -> Result<(), CryptoError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if self
            .fail_at
            .compare_exchange(call, 0, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return Err(CryptoError::with_source(kind, InjectedCryptoFault { call }));
        }
        Ok(())
    }

    /// A backend (or HSM) operation.
    fn backend(&self) -> Result<(), CryptoError> {
        self.check(CryptoErrorKind::Backend)
    }

    /// An operation that draws from the RNG.
    fn rng(&self) -> Result<(), CryptoError> {
        self.check(CryptoErrorKind::Random)
    }
}

/// The RustCrypto provider, whose suites fail the call [`Faults`] is armed for.
#[derive(Debug, Clone)]
struct FaultyProvider {
    inner: Arc<dyn CryptoProvider>,
    faults: Arc<Faults>,
}

impl FaultyProvider {
    fn new() -> Self {
        Self {
            inner: Arc::new(cohort_crypto_rustcrypto::provider()),
            faults: Arc::new(Faults::default()),
        }
    }
}

impl CryptoProvider for FaultyProvider {
    fn cipher_suites(&self) -> &[CipherSuite] {
        self.inner.cipher_suites()
    }

    fn suite(&self, cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
        Some(Arc::new(FaultySuite {
            inner: self.inner.suite(cs)?,
            faults: self.faults.clone(),
        }))
    }
}

/// One suite of a [`FaultyProvider`]. It keeps the trait's default `prepare_signing_key`
/// (none), so signatures go through [`SuiteOps::sign`] and can fail like an HSM's.
struct FaultySuite {
    inner: Arc<dyn SuiteOps>,
    faults: Arc<Faults>,
}

impl fmt::Debug for FaultySuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultySuite").finish_non_exhaustive()
    }
}

impl SuiteOps for FaultySuite {
    fn cipher_suite(&self) -> CipherSuite {
        self.inner.cipher_suite()
    }
    fn hash_len(&self) -> usize {
        self.inner.hash_len()
    }
    fn aead_key_len(&self) -> usize {
        self.inner.aead_key_len()
    }
    fn aead_nonce_len(&self) -> usize {
        self.inner.aead_nonce_len()
    }
    fn signature_scheme(&self) -> SignatureScheme {
        self.inner.signature_scheme()
    }
    fn hash(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.faults.backend()?;
        self.inner.hash(data)
    }
    fn mac(&self, key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.faults.backend()?;
        self.inner.mac(key, data)
    }
    fn kdf_extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        self.faults.backend()?;
        self.inner.kdf_extract(salt, ikm)
    }
    fn kdf_expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, CryptoError> {
        self.faults.backend()?;
        self.inner.kdf_expand(prk, info, len)
    }
    fn aead_seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.faults.backend()?;
        self.inner.aead_seal(key, nonce, aad, plaintext)
    }
    fn aead_open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.faults.backend()?;
        self.inner.aead_open(key, nonce, aad, ciphertext)
    }
    fn kem_generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        self.faults.rng()?;
        self.inner.kem_generate()
    }
    fn kem_derive(&self, ikm: &[u8]) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        self.faults.backend()?;
        self.inner.kem_derive(ikm)
    }
    fn kem_public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        self.faults.backend()?;
        self.inner.kem_public_key(sk)
    }
    fn kem_validate_public_key(&self, pk: &HpkePublicKey) -> Result<(), CryptoError> {
        self.faults.backend()?;
        self.inner.kem_validate_public_key(pk)
    }
    fn kem_encap(&self, pk: &HpkePublicKey) -> Result<(Secret, Vec<u8>), CryptoError> {
        self.faults.rng()?;
        self.inner.kem_encap(pk)
    }
    fn kem_decap(
        &self,
        enc: &[u8],
        sk: &HpkePrivateKey,
        pk: &HpkePublicKey,
    ) -> Result<Secret, CryptoError> {
        self.faults.backend()?;
        self.inner.kem_decap(enc, sk, pk)
    }
    fn hpke_seal(
        &self,
        pk: &HpkePublicKey,
        info: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext, CryptoError> {
        self.faults.rng()?;
        self.inner.hpke_seal(pk, info, aad, plaintext)
    }
    fn hpke_open(
        &self,
        key: &dyn Decapsulator,
        ciphertext: &HpkeCiphertext,
        info: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.faults.backend()?;
        self.inner.hpke_open(key, ciphertext, info, aad)
    }
    fn hpke_export_sender(
        &self,
        pk: &HpkePublicKey,
        info: &[u8],
        exporter_context: &[u8],
        len: usize,
    ) -> Result<(Vec<u8>, Secret), CryptoError> {
        self.faults.rng()?;
        self.inner
            .hpke_export_sender(pk, info, exporter_context, len)
    }
    fn hpke_export_receiver(
        &self,
        key: &dyn Decapsulator,
        enc: &[u8],
        info: &[u8],
        exporter_context: &[u8],
        len: usize,
    ) -> Result<Secret, CryptoError> {
        self.faults.backend()?;
        self.inner
            .hpke_export_receiver(key, enc, info, exporter_context, len)
    }
    fn signature_generate(&self) -> Result<(SignaturePrivateKey, SignaturePublicKey), CryptoError> {
        self.faults.rng()?;
        self.inner.signature_generate()
    }
    fn signature_public_key(
        &self,
        sk: &SignaturePrivateKey,
    ) -> Result<SignaturePublicKey, CryptoError> {
        self.faults.backend()?;
        self.inner.signature_public_key(sk)
    }
    fn sign(&self, sk: &SignaturePrivateKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.faults.backend()?;
        self.inner.sign(sk, message)
    }
    fn verify(
        &self,
        pk: &SignaturePublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.faults.backend()?;
        self.inner.verify(pk, message, signature)
    }
    fn random_fill(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        self.faults.rng()?;
        self.inner.random_fill(out)
    }
}

/// A facade client on its own faulty provider (its signer too) and its own failing store.
struct Peer {
    client: Client,
    faults: Arc<Faults>,
    store: Arc<FailingStore<MemoryStore>>,
}

fn peer(name: &str) -> Peer {
    let provider = FaultyProvider::new();
    let faults = provider.faults.clone();
    let suite = provider.suite(CS).expect("suite");
    let store = Arc::new(FailingStore::new(MemoryStore::new()));
    let client = Client::builder(Arc::new(provider))
        .signer(Arc::new(SoftwareSigner::generate(suite).expect("signer")))
        .credential(Credential::basic(name.as_bytes().to_vec()))
        .build(store.clone())
        .expect("client");
    Peer {
        client,
        faults,
        store,
    }
}

/// Alice's group with Bob in it.
fn pair() -> (Peer, ClientGroup, Peer, ClientGroup) {
    let (alice, bob) = (peer("alice"), peer("bob"));
    let mut a = alice.client.create_group(b"g", NOW).expect("create");
    let kp = bob.client.generate_key_package(NOW).expect("kp");
    let out = a.add_members(&[kp], NOW).expect("add");
    a.merge_pending_commit().expect("merge");
    let b = bob
        .client
        .join(&out.welcome.expect("welcome"), None, NOW)
        .expect("join");
    (alice, a, bob, b)
}

/// What must not change when an operation fails: epoch, epoch authenticator, pending commit.
fn view(group: &ClientGroup) -> (u64, Vec<u8>, bool) {
    (
        group.epoch(),
        group.epoch_authenticator().to_vec(),
        group.has_pending_commit(),
    )
}

/// Runs `op` on what `prepare` made once to count its crypto calls on `faults`, then again with
/// each of those calls failing in turn, each time on a fresh `prepare`. Every failure must be
/// [`Error::Crypto`] carrying the injected error, and `op` run again (nothing armed) must then
/// succeed; `op` checks itself that a failure changed nothing. An operation may also succeed
/// where the library tolerates a failure (a batch signature check that falls back to checking
/// one by one). Returns how many runs failed.
fn crypto_sweep<S, T>(
    what: &str,
    faults: &Faults,
    mut prepare: impl FnMut() -> S,
    mut op: impl FnMut(&S) -> Result<T, Error>,
) -> u64 {
    let input = prepare();
    let before = faults.calls();
    op(&input).unwrap_or_else(|e| panic!("{what}: the run without faults failed: {e}"));
    let calls = faults.calls() - before;
    assert!(calls > 0, "{what}: no crypto call to fail");
    let mut failed = 0;
    for n in 1..=calls {
        let input = prepare();
        faults.fail_call(n);
        let result = op(&input);
        faults.disarm();
        match result {
            Ok(_) => {}
            Err(Error::Crypto(e)) => {
                let injected = std::error::Error::source(&e)
                    .and_then(|s| s.downcast_ref::<InjectedCryptoFault>());
                assert!(
                    injected.is_some(),
                    "{what}, call {n} of {calls}: not the injected error: {e:?}"
                );
                if let Err(e) = op(&input) {
                    panic!("{what}, call {n} of {calls}: the retry failed: {e}");
                }
                failed += 1;
            }
            Err(other) => panic!(
                "{what}, call {n} of {calls}: a failure of our provider reported as {other:?}"
            ),
        }
    }
    assert!(failed > 0, "{what}: no injected failure was reported");
    failed
}

/// Fails the next write of `store`, runs `op`, and checks that it failed with that write's
/// [`Error::Storage`].
fn storage_failure<T: fmt::Debug>(
    what: &str,
    store: &FailingStore<MemoryStore>,
    op: impl FnOnce() -> Result<T, Error>,
) {
    let failed = store.failed_writes();
    store.fail_next_write();
    match op() {
        Err(Error::Storage(e)) => {
            assert_eq!(e.kind(), StorageErrorKind::Backend, "{what}");
            let injected =
                std::error::Error::source(&e).and_then(|s| s.downcast_ref::<InjectedFault>());
            assert!(injected.is_some(), "{what}: not the injected error: {e:?}");
        }
        other => panic!("{what}: a failure of our store reported as {other:?}"),
    }
    assert_eq!(
        store.failed_writes(),
        failed + 1,
        "{what}: the write was not tried"
    );
}

#[test]
fn create_group_reports_provider_and_store_failures_as_ours() {
    let alice = peer("alice");
    let mut n = 0u32;
    crypto_sweep(
        "create_group",
        &alice.faults,
        || {
            n += 1;
            format!("g{n}").into_bytes()
        },
        |id| {
            let created = alice.client.create_group(id, NOW);
            // A failed creation stores nothing.
            let stored = alice.client.load_group(id).expect("load").is_some();
            assert_eq!(stored, created.is_ok(), "create_group");
            created
        },
    );
    storage_failure("create_group", &alice.store, || {
        alice.client.create_group(b"stored", NOW)
    });
    assert!(alice.client.load_group(b"stored").expect("load").is_none());
    let g = alice.client.create_group(b"stored", NOW).expect("retry");
    assert_eq!(g.epoch(), 0);
}

#[test]
fn join_reports_provider_and_store_failures_as_ours() {
    let (_alice, mut a, _bob, _b) = pair();
    // Each run joins afresh: a new client (on the same faulty provider, so the faults are
    // counted in one place) whose KeyPackage Alice adds.
    let provider = FaultyProvider::new();
    let faults = provider.faults.clone();
    let joiner = |name: &str| -> (Client, Arc<FailingStore<MemoryStore>>) {
        let suite = provider.suite(CS).expect("suite");
        let store = Arc::new(FailingStore::new(MemoryStore::new()));
        let client = Client::builder(Arc::new(provider.clone()))
            .signer(Arc::new(SoftwareSigner::generate(suite).expect("signer")))
            .credential(Credential::basic(name.as_bytes().to_vec()))
            .build(store.clone())
            .expect("client");
        (client, store)
    };
    let mut invite = |name: &str| {
        let (client, store) = joiner(name);
        let kp = client.generate_key_package(NOW).expect("kp");
        let out = a.add_members(&[kp], NOW).expect("add");
        a.merge_pending_commit().expect("merge");
        (client, store, out.welcome.expect("welcome"))
    };
    let mut n = 0u32;
    crypto_sweep(
        "join",
        &faults,
        || {
            n += 1;
            invite(&format!("carol{n}"))
        },
        |(client, _, welcome)| {
            let refs = client.key_package_refs().expect("refs");
            let joined = client.join(welcome, None, NOW);
            if joined.is_err() {
                // Nothing consumed, nothing stored.
                assert_eq!(client.key_package_refs().expect("refs"), refs);
                assert!(client.group_ids().expect("ids").is_empty());
            }
            joined
        },
    );
    let (dave, store, welcome) = invite("dave");
    let refs = dave.key_package_refs().expect("refs");
    storage_failure("join", &store, || dave.join(&welcome, None, NOW));
    assert_eq!(dave.key_package_refs().expect("refs"), refs);
    assert!(dave.group_ids().expect("ids").is_empty());
    let d = dave.join(&welcome, None, NOW).expect("retry");
    assert_eq!(d.epoch_authenticator(), a.epoch_authenticator());
}

#[test]
fn commits_report_provider_and_store_failures_as_ours_and_change_nothing() {
    let (alice, mut a, _bob, mut b) = pair();
    let carol = peer("carol");
    let kp = carol.client.generate_key_package(NOW).expect("kp");
    let before = view(&a);
    for what in ["self_update", "add_members"] {
        let commit = |a: &mut ClientGroup| match what {
            "self_update" => a.self_update(NOW),
            _ => a.add_members(std::slice::from_ref(&kp), NOW),
        };
        crypto_sweep(
            what,
            &alice.faults,
            || (),
            |()| {
                let out = commit(&mut a);
                if out.is_ok() {
                    a.clear_pending_commit().expect("clear");
                }
                assert_eq!(view(&a), before, "{what}");
                out
            },
        );
        storage_failure(what, &alice.store, || commit(&mut a));
        assert_eq!(view(&a), before, "{what}");
    }
    // The retry goes through, and everyone moves on with it.
    let out = a.add_members(&[kp], NOW).expect("retry");
    a.merge_pending_commit().expect("merge");
    match b.process_message(out.commit, NOW).expect("bob") {
        Received::Commit(staged) => b.merge_staged(*staged).expect("merge"),
        other => panic!("{other:?}"),
    }
    let c = carol
        .client
        .join(&out.welcome.expect("welcome"), None, NOW)
        .expect("carol");
    assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());
    assert_eq!(a.epoch_authenticator(), c.epoch_authenticator());
}

#[test]
fn processing_a_commit_reports_provider_failures_as_ours_and_changes_nothing() {
    let (_alice, mut a, bob, mut b) = pair();
    let out = a.self_update(NOW).expect("commit");
    let before = view(&b);
    // Hashes, the signature and the HPKE decryption of the path, key derivations and the key
    // schedule: all on the peer's data, all done by our provider.
    crypto_sweep(
        "process commit",
        &bob.faults,
        || (),
        |()| {
            let processed = b.process_message(out.commit.clone(), NOW);
            assert_eq!(view(&b), before);
            processed
        },
    );
    match b.process_message(out.commit, NOW).expect("retry") {
        Received::Commit(staged) => b.merge_staged(*staged).expect("merge"),
        other => panic!("{other:?}"),
    }
    a.merge_pending_commit().expect("merge");
    assert_eq!(a.epoch_authenticator(), b.epoch_authenticator());
}

#[test]
fn application_messages_report_provider_and_store_failures_as_ours_and_change_nothing() {
    let (alice, mut a, bob, mut b) = pair();
    // Sending: the reuse guard, the signature, the ratchet, the two encryptions.
    let before = view(&a);
    crypto_sweep(
        "send_message",
        &alice.faults,
        || (),
        |()| {
            let sent = a.send_message(b"hello");
            assert_eq!(view(&a), before);
            sent
        },
    );
    storage_failure("send_message", &alice.store, || a.send_message(b"lost"));
    assert_eq!(view(&a), before);

    // Receiving, a new message each run; the sweep reads the one a failure interrupted again,
    // so its key was not consumed.
    let before = view(&b);
    crypto_sweep(
        "process application message",
        &bob.faults,
        || a.send_message(b"hello").expect("send"),
        |message| {
            let processed = b.process_message(message.clone(), NOW);
            assert_eq!(view(&b), before);
            processed
        },
    );
    let message = a.send_message(b"stored").expect("send");
    storage_failure("process_message", &bob.store, || {
        b.process_message(message.clone(), NOW)
    });
    assert_eq!(view(&b), before);
    match b.process_message(message, NOW).expect("retry") {
        Received::Application { data, .. } => assert_eq!(data, b"stored"),
        other => panic!("{other:?}"),
    }
}
