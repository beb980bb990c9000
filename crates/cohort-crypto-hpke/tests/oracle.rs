//! HPKE against the `hpke` crate, an independent RFC 9180 implementation, in both directions:
//! DeriveKeyPair, multi-message seal/open with the sequence number, and the secret exporter.
//! Also HKDF against RFC 5869's first test case.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aes_gcm::aead::{KeyInit, Payload};
use cohort_crypto::{CryptoError, CryptoErrorKind, HpkePrivateKey, HpkePublicKey, Secret};
use cohort_crypto_hpke::{Aead, DeriveMethod, DhGroup, Dhkem, Hpke, Kdf, hkdf};
use hmac::Mac;
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

// --- Test primitives, straight on the RustCrypto crates ------------------------------------

#[derive(Debug, Clone, Copy)]
enum TestKdf {
    Sha256,
    Sha384,
    Sha512,
}

fn hmac(kdf: TestKdf, key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    fn run<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut m = <M as Mac>::new_from_slice(key).unwrap();
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }
    Ok(match kdf {
        TestKdf::Sha256 => run::<hmac::Hmac<sha2::Sha256>>(key, data),
        TestKdf::Sha384 => run::<hmac::Hmac<sha2::Sha384>>(key, data),
        TestKdf::Sha512 => run::<hmac::Hmac<sha2::Sha512>>(key, data),
    })
}

impl Kdf for TestKdf {
    fn kdf_id(&self) -> u16 {
        match self {
            Self::Sha256 => 1,
            Self::Sha384 => 2,
            Self::Sha512 => 3,
        }
    }
    fn hash_len(&self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
    // HKDF through the crate's own helper, so the oracle comparison covers it too.
    fn extract(&self, salt: &[u8], ikm: &[u8]) -> Result<Secret, CryptoError> {
        hkdf::extract(&|k, d| hmac(*self, k, d), salt, ikm)
    }
    fn expand(&self, prk: &[u8], info: &[u8], len: usize) -> Result<Secret, CryptoError> {
        hkdf::expand(&|k, d| hmac(*self, k, d), self.hash_len(), prk, info, len)
    }
}

#[derive(Debug, Clone, Copy)]
enum TestAead {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

fn aead_run<C: KeyInit + aes_gcm::aead::Aead>(
    seal: bool,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    msg: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let c = C::new_from_slice(key).unwrap();
    let n = aes_gcm::aead::generic_array::GenericArray::from_slice(nonce);
    let r = if seal {
        c.encrypt(n, Payload { msg, aad })
    } else {
        c.decrypt(n, Payload { msg, aad })
    };
    r.map_err(|_| CryptoErrorKind::AeadOpenFailed.into())
}

impl TestAead {
    fn run(
        self,
        seal: bool,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        msg: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        match self {
            Self::Aes128Gcm => aead_run::<aes_gcm::Aes128Gcm>(seal, key, nonce, aad, msg),
            Self::Aes256Gcm => aead_run::<aes_gcm::Aes256Gcm>(seal, key, nonce, aad, msg),
            Self::ChaCha20Poly1305 => {
                aead_run::<chacha20poly1305::ChaCha20Poly1305>(seal, key, nonce, aad, msg)
            }
        }
    }
}

impl Aead for TestAead {
    fn aead_id(&self) -> u16 {
        match self {
            Self::Aes128Gcm => 1,
            Self::Aes256Gcm => 2,
            Self::ChaCha20Poly1305 => 3,
        }
    }
    fn key_len(&self) -> usize {
        match self {
            Self::Aes128Gcm => 16,
            _ => 32,
        }
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
        self.run(true, key, nonce, aad, pt)
    }
    fn open(
        &self,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        ct: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.run(false, key, nonce, aad, ct)
    }
}

#[derive(Debug, Clone, Copy)]
enum TestDh {
    X25519,
    P256,
    P384,
    P521,
}

macro_rules! nist {
    ($krate:ident, $sk:expr) => {{
        $krate::SecretKey::from_slice($sk)
            .map_err(|_| CryptoError::new(CryptoErrorKind::InvalidPrivateKey))
    }};
}

impl DhGroup for TestDh {
    fn kem_id(&self) -> u16 {
        match self {
            Self::X25519 => 0x20,
            Self::P256 => 0x10,
            Self::P384 => 0x11,
            Self::P521 => 0x12,
        }
    }
    fn private_key_len(&self) -> usize {
        match self {
            Self::X25519 | Self::P256 => 32,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }
    fn derive_method(&self) -> DeriveMethod {
        match self {
            Self::X25519 => DeriveMethod::Expand,
            Self::P521 => DeriveMethod::Rejection { bitmask: 0x01 },
            _ => DeriveMethod::Rejection { bitmask: 0xff },
        }
    }
    fn generate(&self) -> Result<(HpkePrivateKey, HpkePublicKey), CryptoError> {
        let mut seed = [0u8; 32];
        getrandom_like(&mut seed);
        Dhkem::new(self, &TestKdf::Sha256).derive_key_pair(&seed)
    }
    fn private_key_from_bytes(&self, bytes: &[u8]) -> Result<HpkePrivateKey, CryptoError> {
        if bytes.len() != self.private_key_len() {
            return Err(CryptoErrorKind::InvalidPrivateKey.into());
        }
        match self {
            Self::X25519 => {}
            Self::P256 => drop(nist!(p256, bytes)?),
            Self::P384 => drop(nist!(p384, bytes)?),
            Self::P521 => drop(nist!(p521, bytes)?),
        }
        Ok(HpkePrivateKey::from_slice(bytes))
    }
    fn public_key(&self, sk: &HpkePrivateKey) -> Result<HpkePublicKey, CryptoError> {
        let sk = sk.as_bytes();
        let pk = match self {
            Self::X25519 => {
                x25519_dalek::x25519(sk.try_into().unwrap(), x25519_dalek::X25519_BASEPOINT_BYTES)
                    .to_vec()
            }
            Self::P256 => nist!(p256, sk)?
                .public_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
            Self::P384 => nist!(p384, sk)?
                .public_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
            Self::P521 => nist!(p521, sk)?
                .public_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
        };
        Ok(HpkePublicKey::from(pk))
    }
    fn validate_public_key(&self, pk: &[u8]) -> Result<(), CryptoError> {
        let ok = match self {
            Self::X25519 => pk.len() == 32,
            Self::P256 => p256::PublicKey::from_sec1_bytes(pk).is_ok(),
            Self::P384 => p384::PublicKey::from_sec1_bytes(pk).is_ok(),
            Self::P521 => p521::PublicKey::from_sec1_bytes(pk).is_ok(),
        };
        if ok {
            Ok(())
        } else {
            Err(CryptoErrorKind::InvalidPublicKey.into())
        }
    }
    fn dh(&self, sk: &HpkePrivateKey, pk: &[u8]) -> Result<Secret, CryptoError> {
        let sk = sk.as_bytes();
        let bad = || CryptoError::new(CryptoErrorKind::InvalidPublicKey);
        Ok(Secret::from_slice(&match self {
            Self::X25519 => {
                x25519_dalek::x25519(sk.try_into().unwrap(), pk.try_into().map_err(|_| bad())?)
                    .to_vec()
            }
            Self::P256 => {
                let pk = p256::PublicKey::from_sec1_bytes(pk).map_err(|_| bad())?;
                p256::ecdh::diffie_hellman(nist!(p256, sk)?.to_nonzero_scalar(), pk.as_affine())
                    .raw_secret_bytes()
                    .to_vec()
            }
            Self::P384 => {
                let pk = p384::PublicKey::from_sec1_bytes(pk).map_err(|_| bad())?;
                p384::ecdh::diffie_hellman(nist!(p384, sk)?.to_nonzero_scalar(), pk.as_affine())
                    .raw_secret_bytes()
                    .to_vec()
            }
            Self::P521 => {
                let pk = p521::PublicKey::from_sec1_bytes(pk).map_err(|_| bad())?;
                p521::ecdh::diffie_hellman(nist!(p521, sk)?.to_nonzero_scalar(), pk.as_affine())
                    .raw_secret_bytes()
                    .to_vec()
            }
        }))
    }
}

/// Test-only randomness: a counter run through SHA-256 is plenty for ephemeral test keys.
fn getrandom_like(out: &mut [u8; 32]) {
    use sha2::Digest;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    out.copy_from_slice(&sha2::Sha256::digest(n.to_be_bytes()));
}

// --- The comparison ------------------------------------------------------------------------

const IKM: &[u8] = b"oracle test input keying material";
const INFO: &[u8] = b"info for the oracle";
const EXPORTER_CONTEXT: &[u8] = b"exporter context";
const MESSAGES: [&[u8]; 3] = [b"first", b"", b"third message, a little longer"];

fn both_directions<A, K, M>(dh: TestDh, kdf: TestKdf, aead: TestAead)
where
    A: hpke::aead::Aead,
    K: hpke::kdf::Kdf,
    M: hpke::Kem,
{
    let kem = Dhkem::new(&dh, &kdf);
    let hpke_ours = Hpke::new(&kem, &kdf, &aead);
    let mut rng = ChaCha20Rng::from_seed([9; 32]);

    // DeriveKeyPair agrees, private and public halves.
    let (sk, pk) = hpke_ours.kem().derive_key_pair(IKM).unwrap();
    let (oracle_sk, oracle_pk) = M::derive_keypair(IKM);
    assert_eq!(
        sk.as_bytes(),
        oracle_sk.to_bytes().as_slice(),
        "{dh:?}: DeriveKeyPair sk"
    );
    assert_eq!(
        pk.as_ref(),
        oracle_pk.to_bytes().as_slice(),
        "{dh:?}: DeriveKeyPair pk"
    );

    // The oracle sends, we receive.
    let (enc, mut sender) =
        hpke::setup_sender::<A, K, M, _>(&OpModeS::Base, &oracle_pk, INFO, &mut rng).unwrap();
    let enc = enc.to_bytes().to_vec();
    let mut receiver = hpke_ours
        .setup_base_r(&enc, &sk, pk.as_ref(), INFO)
        .unwrap();
    for (i, msg) in MESSAGES.iter().enumerate() {
        let aad = [i as u8];
        let ct = sender.seal(msg, &aad).unwrap();
        assert_eq!(
            receiver.open(&aad, &ct).unwrap(),
            *msg,
            "{dh:?}: oracle -> ours, message {i}"
        );
    }
    let mut theirs = [0u8; 40];
    sender.export(EXPORTER_CONTEXT, &mut theirs).unwrap();
    assert_eq!(
        receiver.export(EXPORTER_CONTEXT, 40).unwrap().as_bytes(),
        theirs,
        "{dh:?}: export"
    );

    // We send, the oracle receives.
    let (enc, mut sender) = hpke_ours.setup_base_s(pk.as_ref(), INFO).unwrap();
    let enc = M::EncappedKey::from_bytes(&enc).unwrap();
    let mut receiver =
        hpke::setup_receiver::<A, K, M>(&OpModeR::Base, &oracle_sk, &enc, INFO).unwrap();
    let mut cts = Vec::new();
    for (i, msg) in MESSAGES.iter().enumerate() {
        let aad = [i as u8];
        let ct = sender.seal(&aad, msg).unwrap();
        assert_eq!(
            receiver.open(&ct, &aad).unwrap(),
            *msg,
            "{dh:?}: ours -> oracle, message {i}"
        );
        cts.push(ct);
    }
    let mut theirs = [0u8; 40];
    receiver.export(EXPORTER_CONTEXT, &mut theirs).unwrap();
    assert_eq!(
        sender.export(EXPORTER_CONTEXT, 40).unwrap().as_bytes(),
        theirs,
        "{dh:?}: export"
    );

    // Our receiver rejects messages out of sequence.
    let (enc, mut sender) = hpke_ours.setup_base_s(pk.as_ref(), INFO).unwrap();
    let first = sender.seal(b"", b"one").unwrap();
    let second = sender.seal(b"", b"two").unwrap();
    let mut receiver = hpke_ours
        .setup_base_r(&enc, &sk, pk.as_ref(), INFO)
        .unwrap();
    assert!(receiver.open(b"", &second).is_err(), "{dh:?}: out of order");
    assert_eq!(receiver.open(b"", &first).unwrap(), b"one");
    assert_eq!(receiver.open(b"", &second).unwrap(), b"two");
}

#[test]
fn x25519_aes128gcm() {
    use hpke::{aead::AesGcm128, kdf::HkdfSha256, kem::X25519HkdfSha256};
    both_directions::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
        TestDh::X25519,
        TestKdf::Sha256,
        TestAead::Aes128Gcm,
    );
}

#[test]
fn x25519_chacha20poly1305() {
    use hpke::{aead::ChaCha20Poly1305, kdf::HkdfSha256, kem::X25519HkdfSha256};
    both_directions::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
        TestDh::X25519,
        TestKdf::Sha256,
        TestAead::ChaCha20Poly1305,
    );
}

#[test]
fn p256_aes128gcm() {
    use hpke::{aead::AesGcm128, kdf::HkdfSha256, kem::DhP256HkdfSha256};
    both_directions::<AesGcm128, HkdfSha256, DhP256HkdfSha256>(
        TestDh::P256,
        TestKdf::Sha256,
        TestAead::Aes128Gcm,
    );
}

#[test]
fn p384_aes256gcm() {
    use hpke::{aead::AesGcm256, kdf::HkdfSha384, kem::DhP384HkdfSha384};
    both_directions::<AesGcm256, HkdfSha384, DhP384HkdfSha384>(
        TestDh::P384,
        TestKdf::Sha384,
        TestAead::Aes256Gcm,
    );
}

#[test]
fn p521_aes256gcm() {
    use hpke::{aead::AesGcm256, kdf::HkdfSha512, kem::DhP521HkdfSha512};
    both_directions::<AesGcm256, HkdfSha512, DhP521HkdfSha512>(
        TestDh::P521,
        TestKdf::Sha512,
        TestAead::Aes256Gcm,
    );
}

#[test]
fn hkdf_matches_rfc5869_case_1() {
    let ikm = [0x0b; 22];
    let salt: Vec<u8> = (0x00..=0x0c).collect();
    let info: Vec<u8> = (0xf0..=0xf9).collect();
    let mac = |k: &[u8], d: &[u8]| hmac(TestKdf::Sha256, k, d);
    let prk = hkdf::extract(&mac, &salt, &ikm).unwrap();
    assert_eq!(
        prk.as_bytes(),
        hex_decode("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
    );
    let okm = hkdf::expand(&mac, 32, prk.as_bytes(), &info, 42).unwrap();
    assert_eq!(
        okm.as_bytes(),
        hex_decode(
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        )
    );
    assert!(hkdf::expand(&mac, 32, prk.as_bytes(), &info, 255 * 32 + 1).is_err());
    assert!(hkdf::expand(&mac, 32, &prk.as_bytes()[..31], &info, 32).is_err());
    assert_eq!(
        hkdf::expand(&mac, 32, prk.as_bytes(), &info, 255 * 32)
            .unwrap()
            .len(),
        255 * 32
    );
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
