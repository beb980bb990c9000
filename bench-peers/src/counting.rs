//! Operation counts: a cohort crypto provider that counts the public-key operations and hashes
//! it performs, and an [`Mls`] wrapper that records what each timed operation cost, so the
//! report can say why a cell is what it is (for example how many signatures a join verifies).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use cohort::crypto::{
    CipherSuite, CryptoError, CryptoProvider, Decapsulator, HpkeCiphertext, HpkePrivateKey,
    HpkePublicKey, Secret, SignaturePrivateKey, SignaturePublicKey, SignatureScheme, SuiteOps,
};

use crate::primitives::{Floor, FloorPlan};
use crate::{Bytes, CommitBytes, Error, Mls};

/// What is counted, in report order.
pub const COUNTED: [&str; 7] = [
    "verify",
    "sign",
    "hpke_seal",
    "hpke_open",
    "kem_derive",
    "kem_generate",
    "kem_validate",
];

/// Counters shared by a provider and everyone holding its suites, and the length of the last
/// message verified.
#[derive(Debug, Default)]
pub struct Counts([AtomicU64; COUNTED.len()], AtomicU64);

impl Counts {
    /// The length of the last message a signature was verified over.
    pub fn last_verified_len(&self) -> u64 {
        self.1.load(Ordering::Relaxed)
    }

    fn bump(&self, i: usize) {
        self.0[i].fetch_add(1, Ordering::Relaxed);
    }

    /// The current values, in the order of [`COUNTED`].
    pub fn snapshot(&self) -> [u64; COUNTED.len()] {
        std::array::from_fn(|i| self.0[i].load(Ordering::Relaxed))
    }
}

/// A provider that counts the operations of `inner`'s suites.
#[derive(Debug)]
pub struct CountingProvider {
    inner: Arc<dyn CryptoProvider>,
    counts: Arc<Counts>,
}

impl CountingProvider {
    /// Counts the operations of `inner` into `counts`.
    pub fn new(inner: Arc<dyn CryptoProvider>, counts: Arc<Counts>) -> Self {
        CountingProvider { inner, counts }
    }
}

impl CryptoProvider for CountingProvider {
    fn cipher_suites(&self) -> &[CipherSuite] {
        self.inner.cipher_suites()
    }

    fn suite(&self, cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
        let inner = self.inner.suite(cs)?;
        Some(Arc::new(CountingSuite {
            inner,
            counts: self.counts.clone(),
        }))
    }
}

/// One suite of a [`CountingProvider`].
struct CountingSuite {
    inner: Arc<dyn SuiteOps>,
    counts: Arc<Counts>,
}

impl fmt::Debug for CountingSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CountingSuite").finish_non_exhaustive()
    }
}

impl SuiteOps for CountingSuite {
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
        self.inner.hash(data)
    }
    fn mac(&self, key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.inner.mac(key, data)
    }
    fn mac_verify(&self, key: &[u8], data: &[u8], tag: &[u8]) -> Result<(), CryptoError> {
        self.inner.mac_verify(key, data, tag)
    }
    fn kdf_extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        self.inner.kdf_extract(salt, ikm)
    }
    fn kdf_expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, CryptoError> {
        self.inner.kdf_expand(prk, info, len)
    }
    fn aead_seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.inner.aead_seal(key, nonce, aad, plaintext)
    }
    fn aead_open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.inner.aead_open(key, nonce, aad, ciphertext)
    }
    fn kem_generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        self.counts.bump(5);
        self.inner.kem_generate()
    }
    fn kem_derive(&self, ikm: &[u8]) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        self.counts.bump(4);
        self.inner.kem_derive(ikm)
    }
    fn kem_public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        self.inner.kem_public_key(sk)
    }
    fn kem_validate_public_key(&self, pk: &HpkePublicKey) -> Result<(), CryptoError> {
        self.counts.bump(6);
        self.inner.kem_validate_public_key(pk)
    }
    fn kem_encap(&self, pk: &HpkePublicKey) -> Result<(Secret, Vec<u8>), CryptoError> {
        self.inner.kem_encap(pk)
    }
    fn kem_decap(
        &self,
        enc: &[u8],
        sk: &HpkePrivateKey,
        pk: &HpkePublicKey,
    ) -> Result<Secret, CryptoError> {
        self.inner.kem_decap(enc, sk, pk)
    }
    fn hpke_seal(
        &self,
        pk: &HpkePublicKey,
        info: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext, CryptoError> {
        self.counts.bump(2);
        self.inner.hpke_seal(pk, info, aad, plaintext)
    }
    fn hpke_open(
        &self,
        key: &dyn Decapsulator,
        ciphertext: &HpkeCiphertext,
        info: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.counts.bump(3);
        self.inner.hpke_open(key, ciphertext, info, aad)
    }
    fn hpke_export_sender(
        &self,
        pk: &HpkePublicKey,
        info: &[u8],
        exporter_context: &[u8],
        len: usize,
    ) -> Result<(Vec<u8>, Secret), CryptoError> {
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
        self.inner
            .hpke_export_receiver(key, enc, info, exporter_context, len)
    }
    fn signature_generate(&self) -> Result<(SignaturePrivateKey, SignaturePublicKey), CryptoError> {
        self.inner.signature_generate()
    }
    fn signature_public_key(
        &self,
        sk: &SignaturePrivateKey,
    ) -> Result<SignaturePublicKey, CryptoError> {
        self.inner.signature_public_key(sk)
    }
    fn sign(&self, sk: &SignaturePrivateKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.counts.bump(1);
        self.inner.sign(sk, message)
    }
    fn verify(
        &self,
        pk: &SignaturePublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.counts.bump(0);
        self.counts.1.store(message.len() as u64, Ordering::Relaxed);
        self.inner.verify(pk, message, signature)
    }
    fn random_fill(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        self.inner.random_fill(out)
    }
}

/// An [`Mls`] whose timed operations record the counts they caused: the last call of each
/// operation is kept, by operation name.
pub struct Counted<M> {
    inner: M,
    counts: Arc<Counts>,
    last: Mutex<BTreeMap<&'static str, [u64; COUNTED.len()]>>,
}

impl<M> fmt::Debug for Counted<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counted").finish_non_exhaustive()
    }
}

impl<M: Mls> Counted<M> {
    /// Records the operations of `inner`, whose provider counts into `counts`.
    pub fn new(inner: M, counts: Arc<Counts>) -> Self {
        Counted {
            inner,
            counts,
            last: Mutex::new(BTreeMap::new()),
        }
    }

    /// The counts of the last call of operation `op` (`add`, `join`, `self_update`,
    /// `process_commit`, `encrypt`, `decrypt`, `key_package`, `persist`).
    pub fn last(&self, op: &str) -> Option<[u64; COUNTED.len()]> {
        self.last.lock().ok()?.get(op).copied()
    }

    fn record<T>(&self, op: &'static str, f: impl FnOnce() -> T) -> T {
        let before = self.counts.snapshot();
        let out = f();
        let after = self.counts.snapshot();
        if let Ok(mut last) = self.last.lock() {
            last.insert(op, std::array::from_fn(|i| after[i] - before[i]));
        }
        out
    }
}

impl<M: Mls> Mls for Counted<M> {
    type Member = M::Member;
    type Checkpoint = M::Checkpoint;

    fn label(&self) -> &'static str {
        self.inner.label()
    }
    fn member(&self, name: &str) -> Result<M::Member, Error> {
        self.inner.member(name)
    }
    fn key_package(&self, m: &mut M::Member) -> Result<Bytes, Error> {
        self.record("key_package", || self.inner.key_package(m))
    }
    fn create(&self, m: &mut M::Member) -> Result<(), Error> {
        self.inner.create(m)
    }
    fn add(&self, m: &mut M::Member, key_packages: &[Bytes]) -> Result<CommitBytes, Error> {
        self.record("add", || self.inner.add(m, key_packages))
    }
    fn join(&self, m: &mut M::Member, welcome: &[u8]) -> Result<(), Error> {
        self.record("join", || self.inner.join(m, welcome))
    }
    fn self_update(&self, m: &mut M::Member) -> Result<Bytes, Error> {
        self.record("self_update", || self.inner.self_update(m))
    }
    fn process_commit(&self, m: &mut M::Member, commit: &[u8]) -> Result<(), Error> {
        self.record("process_commit", || self.inner.process_commit(m, commit))
    }
    fn encrypt(&self, m: &mut M::Member, data: &[u8]) -> Result<Bytes, Error> {
        self.record("encrypt", || self.inner.encrypt(m, data))
    }
    fn decrypt(&self, m: &mut M::Member, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.record("decrypt", || self.inner.decrypt(m, message))
    }
    fn persist(&self, m: &mut M::Member) -> Result<(), Error> {
        self.record("persist", || self.inner.persist(m))
    }
    fn epoch_authenticator(&self, m: &M::Member) -> Result<Vec<u8>, Error> {
        self.inner.epoch_authenticator(m)
    }
    fn checkpoint(&self, m: &M::Member) -> M::Checkpoint {
        self.inner.checkpoint(m)
    }
    fn rollback(&self, m: &mut M::Member, checkpoint: &M::Checkpoint) {
        self.inner.rollback(m, checkpoint)
    }
    fn floor(&self, reps: FloorPlan) -> Result<Floor, Error> {
        self.inner.floor(reps)
    }
    fn pool(&self) -> Option<Arc<rayon::ThreadPool>> {
        self.inner.pool()
    }
}
