//! A crypto provider that fails on demand ([`FailingProvider`]), to show that an application
//! sees a failure of its own provider (an RNG, an HSM, a backend) as such, never as a peer's
//! invalid message.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cohort_crypto::{
    CipherSuite, CryptoError, CryptoErrorKind, CryptoProvider, Decapsulator, HpkeCiphertext,
    HpkePrivateKey, HpkePublicKey, Secret, SignaturePrivateKey, SignaturePublicKey,
    SignatureScheme, SuiteOps,
};

/// The source of an error injected by [`FailingProvider`].
#[derive(Debug)]
pub struct InjectedCryptoFault {
    /// The number of the call that failed, counted from 1.
    pub call: u64,
}

impl fmt::Display for InjectedCryptoFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "crypto fault injected on call {}", self.call)
    }
}

impl std::error::Error for InjectedCryptoFault {}

/// Counts the calls of a [`FailingProvider`]'s suites and fails the one it is armed for.
#[derive(Debug, Default)]
pub struct CryptoFaults {
    calls: AtomicU64,
    /// The number of the call to fail, or 0 for none.
    fail_at: AtomicU64,
}

impl CryptoFaults {
    /// How many calls the suites received.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Fails the `n`-th call from now (1 is the next one), once.
    pub fn fail_call(&self, n: u64) {
        self.fail_at.store(self.calls() + n, Ordering::SeqCst);
    }

    /// Disarms any fault not yet fired.
    pub fn disarm(&self) {
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

/// A provider whose suites fail the call its [`CryptoFaults`] are armed for, and otherwise
/// do what the wrapped provider does: a backend, an RNG or an HSM that fails on demand.
///
/// ```
/// # fn demo(inner: std::sync::Arc<dyn cohort_crypto::CryptoProvider>) {
/// use cohort_conformance::crypto::FailingProvider;
///
/// let provider = FailingProvider::new(inner);
/// let faults = provider.faults();
/// faults.fail_call(1); // the next crypto call fails, once
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct FailingProvider {
    inner: Arc<dyn CryptoProvider>,
    faults: Arc<CryptoFaults>,
}

impl FailingProvider {
    /// `inner`, failing on demand.
    pub fn new(inner: Arc<dyn CryptoProvider>) -> Self {
        Self {
            inner,
            faults: Arc::new(CryptoFaults::default()),
        }
    }

    /// The counter that arms its faults (shared by every suite it hands out).
    pub fn faults(&self) -> Arc<CryptoFaults> {
        Arc::clone(&self.faults)
    }
}

impl CryptoProvider for FailingProvider {
    fn cipher_suites(&self) -> &[CipherSuite] {
        self.inner.cipher_suites()
    }

    fn suite(&self, cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
        Some(Arc::new(FailingSuite {
            inner: self.inner.suite(cs)?,
            faults: self.faults.clone(),
        }))
    }
}

/// One suite of a [`FailingProvider`]. It keeps the trait's default `prepare_signing_key`
/// (none), so signatures go through [`SuiteOps::sign`] and can fail like an HSM's.
struct FailingSuite {
    inner: Arc<dyn SuiteOps>,
    faults: Arc<CryptoFaults>,
}

impl fmt::Debug for FailingSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FailingSuite").finish_non_exhaustive()
    }
}

impl SuiteOps for FailingSuite {
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
