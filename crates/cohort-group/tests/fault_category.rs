//! Errors by who is at fault: a failure of our own crypto provider (its RNG, its HSM, its
//! backend) is [`Error::Crypto`], never [`Error::Invalid`] (a peer's invalid message), whatever
//! operation it interrupts and wherever in that operation it happens.
//!
//! [`FaultyProvider`] wraps the RustCrypto provider and fails a chosen call of its suites. Each
//! test runs an operation once to count its crypto calls, then fails each call in turn: the
//! operation must return [`Error::Crypto`] carrying the injected error (or, where the library
//! tolerates the failure, succeed), leave the group as it was, and succeed when retried.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cohort_credential::Credential;
use cohort_crypto::{
    CipherSuite, CryptoError, CryptoErrorKind, CryptoProvider, Decapsulator, HpkeCiphertext,
    HpkePrivateKey, HpkePublicKey, Secret, SignaturePrivateKey, SignaturePublicKey,
    SignatureScheme, SoftwareSigner, SuiteOps,
};
use cohort_group::reason::EncryptedObject;
use cohort_group::{
    CommitOptions, Error, Group, GroupConfig, JoinInput, KeyPackageSecrets, LeafSpec, NoPsks,
    Processed, ValidationError, create_key_package,
};
use cohort_key_schedule::KeyScheduleError;
use cohort_messages::key_package::KeyPackage;
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::TreeError;
use cohort_tree::treekem::UpdatePathError;

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

    /// Counts a call, and fails it when armed for it: with [`CryptoErrorKind::Random`] for the
    /// RNG's operations, [`CryptoErrorKind::Backend`] (an HSM or backend failure) for the others.
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

    fn backend(&self) -> Result<(), CryptoError> {
        self.check(CryptoErrorKind::Backend)
    }

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

/// A client: its own faulty provider and a signer on it (so signing can fail too).
struct Client {
    provider: FaultyProvider,
    signer: SoftwareSigner,
    name: &'static str,
}

impl Client {
    fn new(name: &'static str) -> Self {
        let provider = FaultyProvider::new();
        let suite = provider.suite(CS).expect("suite");
        let signer = SoftwareSigner::generate(suite).expect("signer");
        Self {
            provider,
            signer,
            name,
        }
    }

    fn faults(&self) -> &Faults {
        &self.provider.faults
    }

    fn spec(&self) -> LeafSpec {
        LeafSpec::new(Credential::basic(self.name.as_bytes().to_vec()), NOW, 30)
    }

    fn create(&self) -> Result<Group, Error> {
        Group::create(
            &self.provider,
            CS,
            &self.signer,
            &self.spec(),
            b"fault-category".to_vec(),
            Vec::new(),
            GroupConfig::default(),
        )
    }

    fn key_package(&self) -> Result<(KeyPackage, KeyPackageSecrets), Error> {
        create_key_package(&self.provider, CS, &self.signer, &self.spec())
    }

    fn join(
        &self,
        welcome: &MlsMessage,
        kp: &KeyPackage,
        secrets: &KeyPackageSecrets,
    ) -> Result<Group, Error> {
        let MlsMessageBody::Welcome(welcome) = &welcome.body else {
            panic!("not a Welcome")
        };
        let input = JoinInput {
            welcome,
            key_package: kp,
            secrets,
            ratchet_tree: None,
            now: Some(NOW),
        };
        Group::join(&self.provider, input, &NoPsks, GroupConfig::default())
    }
}

/// Alice (who created the group) and Bob, in the same epoch.
fn pair() -> (Client, Group, Client, Group) {
    let (alice, bob) = (Client::new("alice"), Client::new("bob"));
    let mut a = alice.create().expect("create");
    let (kp, secrets) = bob.key_package().expect("kp");
    let out = a
        .add_members(
            &alice.signer,
            vec![kp.clone()],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("add");
    a.merge_pending_commit().expect("merge");
    let b = bob
        .join(&out.welcome.expect("welcome"), &kp, &secrets)
        .expect("join");
    (alice, a, bob, b)
}

/// What identifies a group's state for these tests: its epoch and epoch authenticator.
fn view(group: &Group) -> (u64, Vec<u8>) {
    (group.epoch(), group.epoch_authenticator().to_vec())
}

/// Runs `op` once to count its crypto calls on `faults`, then once more with each of those
/// calls failing in turn. Every failure must be [`Error::Crypto`] carrying the injected error;
/// `op` may also succeed where a failure is tolerated (a batch signature check that falls back
/// to checking one by one). Returns how many runs failed.
fn sweep<T>(what: &str, faults: &Faults, mut op: impl FnMut() -> Result<T, Error>) -> u64 {
    let before = faults.calls();
    op().unwrap_or_else(|e| panic!("{what}: the run without faults failed: {e}"));
    let calls = faults.calls() - before;
    assert!(calls > 0, "{what}: no crypto call to fail");
    let mut failed = 0;
    for n in 1..=calls {
        faults.fail_call(n);
        let result = op();
        faults.disarm();
        match result {
            Ok(_) => {}
            Err(Error::Crypto(e)) => {
                assert!(
                    matches!(e.kind(), CryptoErrorKind::Backend | CryptoErrorKind::Random),
                    "{what}, call {n} of {calls}: {e}"
                );
                let injected = std::error::Error::source(&e)
                    .and_then(|s| s.downcast_ref::<InjectedCryptoFault>());
                assert!(
                    injected.is_some(),
                    "{what}, call {n} of {calls}: not the injected error: {e:?}"
                );
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

#[test]
fn a_provider_failure_while_creating_a_group_or_key_package_is_a_crypto_error() {
    let alice = Client::new("alice");
    sweep("create", alice.faults(), || alice.create());
    sweep("key package", alice.faults(), || alice.key_package());
}

#[test]
fn a_provider_failure_while_committing_is_a_crypto_error_and_changes_nothing() {
    let (alice, mut a, _bob, mut b) = pair();
    let carol = Client::new("carol");
    let (kp, carol_secrets) = carol.key_package().expect("kp");
    let before = view(&a);
    for (what, add) in [("self_update", false), ("add_members", true)] {
        sweep(what, alice.faults(), || {
            let out = if add {
                a.add_members(
                    &alice.signer,
                    vec![kp.clone()],
                    &CommitOptions::new(),
                    Some(NOW),
                )
            } else {
                a.self_update(&alice.signer, &CommitOptions::new(), Some(NOW))
            };
            assert_eq!(view(&a), before, "{what}");
            let pending = a.has_pending_commit();
            a.clear_pending_commit();
            assert_eq!(
                pending,
                out.is_ok(),
                "{what}: a pending commit only on success"
            );
            out
        });
    }
    // The retry goes through, and the group moves on with it.
    let out = a
        .add_members(
            &alice.signer,
            vec![kp.clone()],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("retry");
    a.merge_pending_commit().expect("merge");
    let Processed::Commit(staged) = b
        .process_message(out.commit, &NoPsks, Some(NOW))
        .expect("bob")
    else {
        panic!("not a commit")
    };
    b.merge_staged(*staged).expect("merge");
    let c = carol
        .join(&out.welcome.expect("welcome"), &kp, &carol_secrets)
        .expect("carol joins");
    assert_eq!(view(&a), view(&b));
    assert_eq!(view(&a), view(&c));
}

#[test]
fn a_provider_failure_while_processing_a_commit_is_a_crypto_error_and_changes_nothing() {
    let (alice, mut a, bob, mut b) = pair();
    let out = a
        .self_update(&alice.signer, &CommitOptions::new(), Some(NOW))
        .expect("commit");
    let before = view(&b);
    // Receiving the path covers hashing, signature and HPKE decryption of peer data, key
    // derivation and the key schedule.
    sweep("process commit", bob.faults(), || {
        let processed = b.process_message(out.commit.clone(), &NoPsks, Some(NOW));
        assert_eq!(view(&b), before);
        processed
    });
    let Processed::Commit(staged) = b
        .process_message(out.commit, &NoPsks, Some(NOW))
        .expect("retry")
    else {
        panic!("not a commit")
    };
    b.merge_staged(*staged).expect("merge");
    a.merge_pending_commit().expect("merge");
    assert_eq!(view(&a), view(&b));
}

#[test]
fn a_provider_failure_on_application_messages_is_a_crypto_error_and_changes_nothing() {
    let (alice, mut a, bob, mut b) = pair();
    // Sending: the reuse guard's randomness, the signature, the key derivations, the AEAD.
    let before = view(&a);
    sweep("send", alice.faults(), || {
        let sent = a.encrypt_application(&alice.signer, b"hello", b"", 0);
        assert_eq!(view(&a), before);
        sent
    });
    // Receiving, a fresh message each time (a processed one is consumed): the sender data key
    // and its decryption, the ratchet, the content's decryption and signature.
    let before = view(&b);
    let mut messages = Vec::new();
    for _ in 0..64 {
        messages.push(
            a.encrypt_application(&alice.signer, b"hello", b"", 0)
                .expect("send"),
        );
    }
    let mut next = messages.into_iter();
    let mut current = next.next().expect("a message");
    sweep("process application", bob.faults(), || {
        let processed = b.process_message(current.clone(), &NoPsks, Some(NOW));
        assert_eq!(view(&b), before);
        if processed.is_ok() {
            current = next.next().expect("enough messages");
        }
        processed
    });
    // The message a failure interrupted is still readable: its key was not consumed.
    match b
        .process_message(current, &NoPsks, Some(NOW))
        .expect("retry")
    {
        Processed::Application { data, .. } => assert_eq!(data, b"hello"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_provider_failure_while_joining_is_a_crypto_error() {
    let (alice, mut a, _bob, _b) = pair();
    let carol = Client::new("carol");
    let (kp, secrets) = carol.key_package().expect("kp");
    let out = a
        .add_members(
            &alice.signer,
            vec![kp.clone()],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("add");
    a.merge_pending_commit().expect("merge");
    let welcome = out.welcome.expect("welcome");
    // Decrypting the GroupSecrets (through the HPKE key) and the GroupInfo, verifying it, the
    // tree's hashes and leaves, the key schedule.
    sweep("join", carol.faults(), || {
        carol.join(&welcome, &kp, &secrets)
    });
    let c = carol.join(&welcome, &kp, &secrets).expect("retry");
    assert_eq!(view(&a), view(&c));
}

#[test]
fn a_provider_failure_in_an_external_join_is_a_crypto_error() {
    let (alice, a, _bob, _b) = pair();
    let dave = Client::new("dave");
    let MlsMessageBody::GroupInfo(group_info) = a.group_info(&alice.signer, true).expect("gi").body
    else {
        panic!("not a GroupInfo")
    };
    sweep("external join", dave.faults(), || {
        Group::join_by_external_commit(
            &dave.provider,
            &dave.signer,
            &dave.spec(),
            &group_info,
            None,
            None,
            GroupConfig::default(),
            Some(NOW),
        )
    });
}

/// The conversions into the group's `Error` split by the kind of the crypto error: a failure
/// of the provider is ours, an answer about the data is the peer's.
#[test]
fn crypto_errors_inside_tree_path_and_key_schedule_errors_keep_their_category() {
    let ours = || CryptoError::new(CryptoErrorKind::Backend);
    let theirs = || CryptoError::new(CryptoErrorKind::AeadOpenFailed);
    assert!(matches!(
        Error::from(TreeError::Crypto(ours())),
        Error::Crypto(_)
    ));
    assert!(matches!(
        Error::from(TreeError::Crypto(CryptoError::new(CryptoErrorKind::Random))),
        Error::Crypto(_)
    ));
    assert!(matches!(
        Error::from(TreeError::Crypto(CryptoError::new(
            CryptoErrorKind::InvalidPublicKey
        ))),
        Error::Invalid(ValidationError::InvalidTree(TreeError::Crypto(_)))
    ));
    assert!(matches!(
        Error::from(TreeError::TreeHashMismatch),
        Error::Invalid(ValidationError::InvalidTree(TreeError::TreeHashMismatch))
    ));
    assert!(matches!(
        Error::from(UpdatePathError::Decryption(ours())),
        Error::Crypto(_)
    ));
    assert!(matches!(
        Error::from(UpdatePathError::Tree(TreeError::Crypto(ours()))),
        Error::Crypto(_)
    ));
    assert!(matches!(
        Error::from(UpdatePathError::Decryption(theirs())),
        Error::Invalid(ValidationError::InvalidUpdatePath(
            UpdatePathError::Decryption(_)
        ))
    ));
    assert!(matches!(
        Error::from(KeyScheduleError::Crypto(ours())),
        Error::Crypto(_)
    ));
    assert!(matches!(
        Error::from(KeyScheduleError::GenerationConsumed {
            leaf: 1,
            generation: 0
        }),
        Error::Invalid(ValidationError::SecretUnavailable(
            KeyScheduleError::GenerationConsumed { .. }
        ))
    ));
}

/// A tampered PrivateMessage is still the peer's fault: the category split does not turn a
/// failed decryption of peer data into ours.
#[test]
fn a_tampered_message_is_still_invalid() {
    let (alice, mut a, _bob, mut b) = pair();
    let msg = a
        .encrypt_application(&alice.signer, b"hello", b"", 0)
        .expect("send");
    let MlsMessageBody::PrivateMessage(mut m) = msg.body else {
        panic!("not a PrivateMessage")
    };
    let mut ct = m.ciphertext.into_vec();
    let last = ct.len() - 1;
    ct[last] ^= 1;
    m.ciphertext = ct.into();
    let err = b
        .process_message(
            MlsMessage::new(MlsMessageBody::PrivateMessage(m)),
            &NoPsks,
            Some(NOW),
        )
        .expect_err("tampered");
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::DecryptionFailed(
                EncryptedObject::PrivateMessageContent
            ))
        ),
        "{err}"
    );
}
