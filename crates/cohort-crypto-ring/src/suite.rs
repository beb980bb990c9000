//! One cipher suite's operations, composed from the primitives.

use cohort_crypto::{
    CipherSuite, CryptoError, CryptoErrorKind, Decapsulator, HpkeCiphertext, HpkePrivateKey,
    HpkePublicKey, Secret, SignaturePrivateKey, SignaturePublicKey, SignatureScheme, SuiteOps,
};
use cohort_crypto_hpke::{Aead, DhGroup, Dhkem, Hpke, Kdf};

use crate::aead::AeadAlg;
use crate::dh::DhAlg;
use crate::hash::HashAlg;
use crate::rng;
use crate::sig::SigAlg;

/// The operations of one cipher suite, implemented with ring.
#[derive(Debug, Clone)]
pub(crate) struct RingSuite {
    cs: CipherSuite,
    scheme: SignatureScheme,
    hash: HashAlg,
    aead: AeadAlg,
    dh: DhAlg,
    sig: SigAlg,
}

impl RingSuite {
    /// The suite `cs`, or `None` when ring cannot serve it (X448, Ed448, P-521).
    pub(crate) fn new(cs: CipherSuite) -> Option<Self> {
        let (hash, aead, dh, sig) = match cs.0 {
            1 => (
                HashAlg::Sha256,
                AeadAlg::Aes128Gcm,
                DhAlg::X25519,
                SigAlg::Ed25519,
            ),
            2 => (
                HashAlg::Sha256,
                AeadAlg::Aes128Gcm,
                DhAlg::P256,
                SigAlg::P256,
            ),
            3 => (
                HashAlg::Sha256,
                AeadAlg::ChaCha20Poly1305,
                DhAlg::X25519,
                SigAlg::Ed25519,
            ),
            7 => (
                HashAlg::Sha384,
                AeadAlg::Aes256Gcm,
                DhAlg::P384,
                SigAlg::P384,
            ),
            _ => return None,
        };
        Some(Self {
            cs,
            scheme: cs.signature_scheme()?,
            hash,
            aead,
            dh,
            sig,
        })
    }

    /// In every suite of RFC 9420 the DHKEM's KDF is the suite's KDF.
    fn kem(&self) -> Dhkem<'_> {
        Dhkem::new(&self.dh, &self.hash)
    }

    fn hpke(&self) -> Hpke<'_> {
        Hpke::new(self.kem(), &self.hash, &self.aead)
    }
}

impl SuiteOps for RingSuite {
    fn cipher_suite(&self) -> CipherSuite {
        self.cs
    }

    fn hash_len(&self) -> usize {
        Kdf::hash_len(&self.hash)
    }

    fn aead_key_len(&self) -> usize {
        self.aead.key_len()
    }

    fn aead_nonce_len(&self) -> usize {
        self.aead.nonce_len()
    }

    fn signature_scheme(&self) -> SignatureScheme {
        self.scheme
    }

    fn hash(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(self.hash.hash(data))
    }

    fn mac(&self, key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.hash.mac(key, data)
    }

    fn kdf_extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        self.hash.extract(salt, ikm)
    }

    fn kdf_expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, CryptoError> {
        self.hash.expand(prk, info, len)
    }

    fn aead_seal(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.aead.seal(key, nonce, aad, plaintext)
    }

    fn aead_open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.aead.open(key, nonce, aad, ciphertext)
    }

    fn kem_generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        self.dh.generate()
    }

    fn kem_derive(&self, ikm: &[u8]) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        self.kem().derive_key_pair(ikm)
    }

    fn kem_public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        self.dh.public_key(sk)
    }

    fn kem_validate_public_key(&self, pk: &HpkePublicKey) -> Result<(), CryptoError> {
        self.dh.validate_public_key(pk.as_ref())
    }

    fn kem_encap(&self, pk: &HpkePublicKey) -> Result<(Secret, Vec<u8>), CryptoError> {
        self.kem().encap(pk.as_ref())
    }

    fn kem_decap(
        &self,
        enc: &[u8],
        sk: &HpkePrivateKey,
        pk: &HpkePublicKey,
    ) -> Result<Secret, CryptoError> {
        self.kem().decap(enc, sk, pk.as_ref())
    }

    fn hpke_seal(
        &self,
        pk: &HpkePublicKey,
        info: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<HpkeCiphertext, CryptoError> {
        self.hpke().seal_base(pk, info, aad, plaintext)
    }

    fn hpke_open(
        &self,
        key: &dyn Decapsulator,
        ciphertext: &HpkeCiphertext,
        info: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        if key.cipher_suite() != self.cs {
            return Err(CryptoErrorKind::InvalidPrivateKey.into());
        }
        self.hpke().open_base(key, ciphertext, info, aad)
    }

    fn hpke_export_sender(
        &self,
        pk: &HpkePublicKey,
        info: &[u8],
        exporter_context: &[u8],
        len: usize,
    ) -> Result<(Vec<u8>, Secret), CryptoError> {
        self.hpke()
            .send_export(pk.as_ref(), info, exporter_context, len)
    }

    fn hpke_export_receiver(
        &self,
        key: &dyn Decapsulator,
        enc: &[u8],
        info: &[u8],
        exporter_context: &[u8],
        len: usize,
    ) -> Result<Secret, CryptoError> {
        if key.cipher_suite() != self.cs {
            return Err(CryptoErrorKind::InvalidPrivateKey.into());
        }
        self.hpke()
            .receive_export(enc, key, info, exporter_context, len)
    }

    fn signature_generate(&self) -> Result<(SignaturePrivateKey, SignaturePublicKey), CryptoError> {
        self.sig.generate()
    }

    fn signature_public_key(
        &self,
        sk: &SignaturePrivateKey,
    ) -> Result<SignaturePublicKey, CryptoError> {
        self.sig.public_key(sk)
    }

    fn sign(&self, sk: &SignaturePrivateKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.sig.sign(sk, message)
    }

    fn verify(
        &self,
        pk: &SignaturePublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.sig.verify(pk, message, signature)
    }

    fn random_fill(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        rng::fill(out)
    }
}
