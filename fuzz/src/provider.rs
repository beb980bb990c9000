//! A crypto provider for fuzzing that gives **NO SECURITY AT ALL**.
//!
//! # ⚠ NO SECURITY: FOR FUZZING ONLY ⚠
//!
//! [`FuzzingProvider`] fakes the two public-key algorithms so that a fuzz execution does not
//! spend its time on elliptic-curve arithmetic:
//!
//! - its "X25519" public key **is** the private key, and `DH(sk, pk)` is SHA-256 of the two
//!   32-byte strings in sorted order: anyone who sees a public key can decrypt every HPKE
//!   ciphertext sent to it;
//! - its "Ed25519" public key **is** the private key, and a signature is
//!   HMAC-SHA256(key, message) written twice: anyone who sees a public key can sign in its name.
//!
//! Never use it outside the fuzz targets, and never let a group built on it talk to a real
//! client: its keys and signatures have the lengths and identifiers of suites 1 and 3 but
//! interoperate with nothing. The hash, HMAC, HKDF and AEADs are the real ones (RustCrypto), so
//! the key schedule, the secret tree and message protection run as they do in production.
//!
//! The fakes keep the properties the protocol logic relies on, so the fuzzer still reaches the
//! code behind every check: Diffie-Hellman commutes (`DH(a, B) == DH(b, A)`), a signature
//! verifies only under the key that made it and over the message it was made on, keys have the
//! real lengths, the X25519 small-order points are refused as public keys, and an all-zero
//! shared secret is an error, as [`DhGroup`] asks. Randomness comes from the operating system.
//!
//! The suites are composed with `cohort-crypto-hpke`'s kit ([`ComposedSuite`]), as the real
//! backends compose theirs, so DHKEM, HPKE and the labeled operations are the real code.

use std::sync::Arc;

use cohort_crypto::{
    CipherSuite, CryptoError, CryptoErrorKind, CryptoProvider, HpkePrivateKey, HpkePublicKey,
    HpkeSuite, Secret, SignaturePrivateKey, SignaturePublicKey, SignatureScheme, SuiteOps,
};
use cohort_crypto_hpke::{
    ComposedSuite, DeriveMethod, DhGroup, HashFunction, Primitives, SignatureAlgorithm, keys,
    x25519,
};
use cohort_crypto_rustcrypto::{AeadAlg, HashAlg};
use subtle::ConstantTimeEq;

/// The suites served: the two X25519/Ed25519 suites with SHA-256 that the stateful target runs.
const SUITES: [CipherSuite; 2] = [
    CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519,
    CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519,
];

/// The length of every fake key (private and public, DH and signature): X25519's and Ed25519's.
const KEY_LEN: usize = 32;
/// The length of a fake signature: Ed25519's.
const SIGNATURE_LEN: usize = 64;
/// The algorithms of suites 1 and 3, two of them fake; the hash and the AEADs are the
/// RustCrypto backend's.
const PRIMITIVES: Primitives<HashAlg, AeadAlg, FakeX25519, FakeEd25519> = Primitives {
    hashes: &[HashAlg::Sha256],
    aeads: &[AeadAlg::Aes128Gcm, AeadAlg::ChaCha20Poly1305],
    groups: &[FakeX25519],
    signatures: &[FakeEd25519],
    random_fill,
};

/// A crypto provider with **NO SECURITY**, for fuzzing only (see the [module](self)
/// documentation): cipher suites 1 and 3 with a fake X25519 and a fake Ed25519, and the real
/// SHA-256, HMAC, HKDF, AES-128-GCM and ChaCha20-Poly1305.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default)]
pub struct FuzzingProvider;

/// The no-security fuzzing provider ([`FuzzingProvider`]).
pub fn provider() -> FuzzingProvider {
    FuzzingProvider
}

impl CryptoProvider for FuzzingProvider {
    fn cipher_suites(&self) -> &[CipherSuite] {
        &SUITES
    }

    fn suite(&self, cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
        if !SUITES.contains(&cs) {
            return None;
        }
        ComposedSuite::new(cs, &PRIMITIVES).map(|s| Arc::new(s) as Arc<dyn SuiteOps>)
    }
}

/// Fills `out` from the operating system's RNG.
fn random_fill(out: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(out).map_err(|e| CryptoError::with_source(CryptoErrorKind::Random, e))
}

// ---------------------------------------------------------------------------------------------
// Fake public-key algorithms. NO SECURITY.

/// A fake Diffie-Hellman group under X25519's KEM identifier, with **NO SECURITY**: the public
/// key of a private key is the key itself, and `DH(sk, pk)` is SHA-256 of `sk` and `pk` in
/// sorted order, so that `DH(a, B) == DH(b, A)`.
///
/// Keys are 32 bytes; `DeriveKeyPair` is X25519's ([`DeriveMethod::Expand`]). A public key that
/// is an X25519 small-order point is refused, as the real group refuses it.
#[derive(Debug, Clone, Copy)]
struct FakeX25519;

impl FakeX25519 {
    /// A public key of the right length that is not a small-order point, as an array.
    fn checked_public_key(pk: &[u8]) -> Result<&[u8; KEY_LEN], CryptoError> {
        let pk: &[u8; KEY_LEN] = pk
            .try_into()
            .map_err(|_| CryptoError::new(CryptoErrorKind::InvalidPublicKey))?;
        if x25519::is_small_order(pk) {
            return Err(CryptoErrorKind::InvalidPublicKey.into());
        }
        Ok(pk)
    }
}

impl DhGroup for FakeX25519 {
    fn kem_id(&self) -> u16 {
        HpkeSuite::KEM_X25519_SHA256
    }

    fn private_key_len(&self) -> usize {
        KEY_LEN
    }

    fn derive_method(&self) -> DeriveMethod {
        DeriveMethod::Expand
    }

    fn generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        // A private key is its own public key: draw one that is a valid public key.
        keys::generate(KEY_LEN, 0xff, random_fill, |bytes| {
            Self::checked_public_key(bytes)?;
            Ok((
                HpkePrivateKey::from_slice(bytes),
                HpkePublicKey::from(bytes.to_vec()),
            ))
        })
    }

    fn private_key_from_bytes(&self, bytes: &[u8]) -> Result<HpkePrivateKey, CryptoError> {
        if bytes.len() != KEY_LEN {
            return Err(CryptoErrorKind::InvalidPrivateKey.into());
        }
        Ok(HpkePrivateKey::from_slice(bytes))
    }

    fn public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        let sk = self.private_key_from_bytes(sk.as_bytes())?;
        Ok(HpkePublicKey::from(sk.as_bytes().to_vec()))
    }

    fn validate_public_key(&self, pk: &[u8]) -> Result<(), CryptoError> {
        Self::checked_public_key(pk).map(drop)
    }

    fn dh(&self, sk: &HpkePrivateKey, pk: &[u8]) -> Result<Secret, CryptoError> {
        let sk = sk.as_bytes();
        if sk.len() != KEY_LEN {
            return Err(CryptoErrorKind::InvalidPrivateKey.into());
        }
        let pk = Self::checked_public_key(pk)?.as_slice();
        let (low, high) = if sk <= pk { (sk, pk) } else { (pk, sk) };
        let shared = HashAlg::Sha256.hash(&[low, high].concat())?;
        if shared.iter().all(|&b| b == 0) {
            return Err(CryptoErrorKind::ZeroSharedSecret.into());
        }
        Ok(Secret::new(shared))
    }
}

/// A fake signature scheme under Ed25519's identifier, with **NO SECURITY**: the public key of
/// a private key is the key itself, and the signature of a message is
/// `HMAC-SHA256(key, message)` written twice (64 bytes, Ed25519's length).
///
/// Verification recomputes the signature and compares it in constant time.
#[derive(Debug, Clone, Copy)]
struct FakeEd25519;

impl FakeEd25519 {
    /// The signature of `message` under `key` (a 32-byte private or public key: they are equal).
    fn signature(key: &[u8], message: &[u8]) -> Result<[u8; SIGNATURE_LEN], CryptoError> {
        let tag = HashAlg::Sha256.mac(key, message)?;
        if tag.len() != SIGNATURE_LEN / 2 {
            return Err(CryptoErrorKind::InvalidLength.into());
        }
        let mut signature = [0; SIGNATURE_LEN];
        signature[..32].copy_from_slice(&tag);
        signature[32..].copy_from_slice(&tag);
        Ok(signature)
    }
}

impl SignatureAlgorithm for FakeEd25519 {
    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ED25519
    }

    fn generate(&self) -> Result<(SignaturePrivateKey, SignaturePublicKey), CryptoError> {
        let mut sk = SignaturePrivateKey::new(vec![0; KEY_LEN]);
        random_fill(sk.as_mut_bytes())?;
        let pk = self.public_key(&sk)?;
        Ok((sk, pk))
    }

    fn public_key(&self, sk: &SignaturePrivateKey) -> Result<SignaturePublicKey, CryptoError> {
        if sk.len() != KEY_LEN {
            return Err(CryptoErrorKind::InvalidPrivateKey.into());
        }
        Ok(SignaturePublicKey::from(sk.as_bytes().to_vec()))
    }

    fn sign(&self, sk: &SignaturePrivateKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sk.len() != KEY_LEN {
            return Err(CryptoErrorKind::InvalidPrivateKey.into());
        }
        Self::signature(sk.as_bytes(), message).map(|s| s.to_vec())
    }

    fn verify(
        &self,
        pk: &SignaturePublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let pk: &[u8] = pk.as_ref();
        if pk.len() != KEY_LEN {
            return Err(CryptoErrorKind::InvalidPublicKey.into());
        }
        if signature.len() != SIGNATURE_LEN {
            return Err(CryptoErrorKind::InvalidSignature.into());
        }
        let expected = Self::signature(pk, message)?;
        if bool::from(expected.as_slice().ct_eq(signature)) {
            Ok(())
        } else {
            Err(CryptoErrorKind::InvalidSignature.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
    /// The AEAD nonce and tag lengths (both AEADs).
    const NONCE_LEN: usize = 12;
    const TAG_LEN: usize = 16;

    fn suite() -> Arc<dyn SuiteOps> {
        provider().suite(CS).expect("suite 1")
    }

    #[test]
    fn serves_suites_1_and_3_only() {
        let p = provider();
        for cs in SUITES {
            let suite = p.suite(cs).expect("a listed suite");
            assert_eq!(suite.cipher_suite(), cs);
            assert_eq!(suite.hash_len(), 32);
            assert_eq!(suite.signature_scheme(), SignatureScheme::ED25519);
        }
        assert!(
            p.suite(CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256)
                .is_none()
        );
    }

    #[test]
    fn dh_commutes() {
        let g = FakeX25519;
        let (a, pa) = g.generate().expect("key a");
        let (b, pb) = g.generate().expect("key b");
        assert_eq!(
            pa.as_ref(),
            a.as_bytes(),
            "the public key is the private key"
        );
        let ab = g.dh(&a, pb.as_ref()).expect("dh(a, B)");
        let ba = g.dh(&b, pa.as_ref()).expect("dh(b, A)");
        assert_eq!(ab, ba);
        assert_eq!(ab.len(), 32);
        let (c, _) = g.generate().expect("key c");
        assert_ne!(g.dh(&c, pb.as_ref()).expect("dh(c, B)"), ab);
    }

    #[test]
    fn dh_refuses_malformed_and_small_order_keys() {
        let g = FakeX25519;
        let (a, _) = g.generate().expect("key");
        assert!(g.dh(&a, &[7; 31]).is_err());
        assert!(
            g.dh(&a, &[0; 32]).is_err(),
            "the zero point has small order"
        );
        assert!(g.validate_public_key(&[0; 32]).is_err());
        assert!(g.validate_public_key(&[7; 33]).is_err());
        assert!(g.validate_public_key(&[7; 32]).is_ok());
        assert!(
            g.dh(&HpkePrivateKey::from_slice(&[1; 31]), &[7; 32])
                .is_err()
        );
    }

    /// DeriveKeyPair is deterministic and HPKE round-trips through the fake DHKEM.
    #[test]
    fn kem_and_hpke_round_trip() {
        let s = suite();
        let (sk, pk) = s.kem_derive(&[3; 32]).expect("derive");
        assert_eq!(s.kem_derive(&[3; 32]).expect("derive").1, pk);
        let (shared, enc) = s.kem_encap(&pk).expect("encap");
        assert_eq!(s.kem_decap(&enc, &sk, &pk).expect("decap"), shared);
        let key = cohort_crypto::SoftwareHpkeKey::from_key_pair(s.clone(), sk, pk.clone())
            .expect("matching key pair");
        let ct = s.hpke_seal(&pk, b"info", b"aad", b"hello").expect("seal");
        let pt = s.hpke_open(&key, &ct, b"info", b"aad").expect("open");
        assert_eq!(pt, b"hello");
    }

    #[test]
    fn sign_and_verify() {
        let s = suite();
        let (sk, pk) = s.signature_generate().expect("generate");
        assert_eq!(s.signature_public_key(&sk).expect("public key"), pk);
        let sig = s.sign(&sk, b"message").expect("sign");
        assert_eq!(sig.len(), SIGNATURE_LEN);
        s.verify(&pk, b"message", &sig).expect("verifies");
        assert!(s.verify(&pk, b"other message", &sig).is_err());
        let (_, other) = s.signature_generate().expect("generate");
        assert!(s.verify(&other, b"message", &sig).is_err());
        assert!(s.verify(&pk, b"message", &sig[..63]).is_err());
        assert!(
            s.verify(&SignaturePublicKey::from(vec![1; 31]), b"message", &sig)
                .is_err()
        );
    }

    #[test]
    fn a_flipped_signature_byte_fails() {
        let s = suite();
        let (sk, pk) = s.signature_generate().expect("generate");
        let sig = s.sign(&sk, b"message").expect("sign");
        for i in [0, 31, 32, 63] {
            let mut bad = sig.clone();
            bad[i] ^= 0x01;
            assert!(s.verify(&pk, b"message", &bad).is_err(), "byte {i}");
        }
    }

    #[test]
    fn aeads_round_trip_and_refuse_tampering() {
        for (cs, key_len) in [(SUITES[0], 16), (SUITES[1], 32)] {
            let s = provider().suite(cs).expect("suite");
            assert_eq!(s.aead_key_len(), key_len);
            let key = vec![9; key_len];
            let nonce = [1; NONCE_LEN];
            let ct = s.aead_seal(&key, &nonce, b"aad", b"text").expect("seal");
            assert_eq!(
                s.aead_open(&key, &nonce, b"aad", &ct).expect("open"),
                b"text"
            );
            let mut bad = ct.clone();
            bad[0] ^= 1;
            assert!(s.aead_open(&key, &nonce, b"aad", &bad).is_err());
            assert!(
                s.aead_open(&key, &nonce, b"aad", &ct[..TAG_LEN - 1])
                    .is_err()
            );
            assert!(s.aead_seal(&key[1..], &nonce, b"aad", b"text").is_err());
        }
    }
}
