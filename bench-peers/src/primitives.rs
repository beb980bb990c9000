//! The primitive floor: what each implementation's own crypto layer takes for the operations the
//! scenarios are made of (Ed25519 sign and verify of 256 bytes and of what a 1 KiB and a 1 MiB
//! application message sign, X25519 key generation, HPKE `SealBase` of 32 bytes, AES-128-GCM
//! seal of 1 KiB and 1 MiB), on suite 1. cohort signs through `SoftwareSigner`, as its groups do.
//!
//! The application-message scenarios sign and verify the whole message: the `SignContent` of
//! its `FramedContentTBS` (RFC 9420 §6.1), which holds the application data, the framing and the
//! GroupContext ([`SignedSizes`]). Ed25519 hashes what it signs twice and what it verifies once,
//! so their floor ([`message_floor`]) uses signature rows of exactly that size.

use std::time::Duration;

use cohort::crypto::{CipherSuite, CryptoProvider};
use mls_rs::{CipherSuiteProvider, CryptoProvider as RsCryptoProvider};
use openmls::prelude::Ciphersuite;
use openmls_rust_crypto::OpenMlsRustCrypto;
use openmls_traits::OpenMlsProvider;
use openmls_traits::crypto::OpenMlsCrypto;

use crate::{Error, Reps, measure, timed};

/// The primitives, in report order.
pub const PRIMITIVES: [&str; 10] = [
    "Ed25519 sign",
    "Ed25519 verify",
    "X25519 keygen",
    "HPKE seal, 32 B",
    "AES-128-GCM seal, 1 KiB",
    "Ed25519 sign, 1 KiB message",
    "Ed25519 verify, 1 KiB message",
    "AES-128-GCM seal, 1 MiB",
    "Ed25519 sign, 1 MiB message",
    "Ed25519 verify, 1 MiB message",
];

/// The primitives that run [`FloorPlan::large`] times: those on 1 MiB.
fn is_large(op: &str) -> bool {
    op.contains("1 MiB")
}

/// The bytes an application message of 1 KiB and of 1 MiB signs and verifies: the
/// `SignContent` of its `FramedContentTBS` ([`crate::cohort_impl::Cohort::app_signed_lens`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedSizes {
    /// For 1 KiB of application data.
    pub kib: usize,
    /// For 1 MiB of application data.
    pub mib: usize,
}

/// The floor of an application message of `size` (`"1 KiB"` or `"1 MiB"`) from one
/// implementation's primitive medians `floor(op)`: one signature and one verification of what
/// such a message signs and two AES-128-GCM operations on `size` bytes (the seal counted twice
/// for the seal and the open). `None` when a primitive is missing.
pub fn message_floor(size: &str, floor: impl Fn(&str) -> Option<Duration>) -> Option<Duration> {
    let sign = floor(&format!("Ed25519 sign, {size} message"))?;
    let verify = floor(&format!("Ed25519 verify, {size} message"))?;
    let aead = floor(&format!("AES-128-GCM seal, {size}"))?;
    Some(sign + verify + aead * 2)
}

/// Samples per primitive, in the order of [`PRIMITIVES`].
pub type Floor = Vec<(&'static str, Vec<Duration>)>;

/// How the floor is measured: `small` repetitions for every primitive but those on 1 MiB,
/// which run `large` times, and the sizes the message signatures are measured at.
#[derive(Debug, Clone, Copy)]
pub struct FloorPlan {
    /// Repetitions of the small operations.
    pub small: Reps,
    /// Repetitions of the operations on 1 MiB.
    pub large: Reps,
    /// What the application messages sign.
    pub signed: SignedSizes,
}

fn prim(backend: &'static str, op: &'static str) -> impl Fn(String) -> Error {
    move |message| Error::Primitive {
        backend,
        op,
        message,
    }
}

fn run(
    reps: FloorPlan,
    mut ops: Vec<Box<dyn FnMut() -> Result<(), Error> + '_>>,
) -> Result<Floor, Error> {
    let mut out = Vec::with_capacity(PRIMITIVES.len());
    for (i, op) in ops.iter_mut().enumerate() {
        let r = if is_large(PRIMITIVES[i]) {
            reps.large
        } else {
            reps.small
        };
        let samples = measure(r, || Ok(timed(&mut *op)?.0))?;
        out.push((PRIMITIVES[i], samples));
    }
    Ok(out)
}

/// Messages of the sizes `signed` gives, to sign and verify.
fn signed(signed: SignedSizes) -> (Vec<u8>, Vec<u8>) {
    (vec![5u8; signed.kib], vec![6u8; signed.mib])
}

/// The floor through cohort's `SuiteOps` on `provider`.
///
/// # Errors
/// The provider's.
pub fn cohort(provider: &dyn CryptoProvider, reps: FloorPlan) -> Result<Floor, Error> {
    let suite =
        provider.require_suite(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519)?;
    let s = &*suite;
    let msg = vec![7u8; 256];
    // Signing goes through the signer cohort's groups use, which keeps the parsed key.
    let signer = cohort::crypto::SoftwareSigner::generate(suite.clone())?;
    let pk = cohort::crypto::Signer::public_key(&signer).clone();
    let sig = cohort::crypto::Signer::sign(&signer, &msg)?;
    let (_, hpke_pk) = s.kem_generate()?;
    let key = vec![1u8; s.aead_key_len()];
    let nonce = vec![2u8; s.aead_nonce_len()];
    let kib = vec![3u8; 1024];
    let mib = vec![4u8; 1 << 20];
    let (signed_kib, signed_mib) = signed(reps.signed);
    let kib_sig = cohort::crypto::Signer::sign(&signer, &signed_kib)?;
    let mib_sig = cohort::crypto::Signer::sign(&signer, &signed_mib)?;
    run(
        reps,
        vec![
            Box::new(|| Ok(cohort::crypto::Signer::sign(&signer, &msg).map(drop)?)),
            Box::new(|| Ok(s.verify(&pk, &msg, &sig)?)),
            Box::new(|| Ok(s.kem_generate().map(drop)?)),
            Box::new(|| Ok(s.hpke_seal(&hpke_pk, b"info", b"", &msg[..32]).map(drop)?)),
            Box::new(|| Ok(s.aead_seal(&key, &nonce, b"", &kib).map(drop)?)),
            Box::new(|| Ok(cohort::crypto::Signer::sign(&signer, &signed_kib).map(drop)?)),
            Box::new(|| Ok(s.verify(&pk, &signed_kib, &kib_sig)?)),
            Box::new(|| Ok(s.aead_seal(&key, &nonce, b"", &mib).map(drop)?)),
            Box::new(|| Ok(cohort::crypto::Signer::sign(&signer, &signed_mib).map(drop)?)),
            Box::new(|| Ok(s.verify(&pk, &signed_mib, &mib_sig)?)),
        ],
    )
}

/// The floor through OpenMLS's `OpenMlsCrypto` of `openmls_rust_crypto`. OpenMLS has no HPKE
/// key generation call of its own: its key pairs come from `derive_hpke_keypair` on fresh
/// random bytes, which is what is timed as X25519 keygen.
///
/// # Errors
/// The provider's.
pub fn openmls(reps: FloorPlan) -> Result<Floor, Error> {
    const B: &str = "openmls";
    let provider = OpenMlsRustCrypto::default();
    let c = provider.crypto();
    let cs = Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
    let scheme = cs.signature_algorithm();
    let msg = vec![7u8; 256];
    let (sk, pk) = c
        .signature_key_gen(scheme)
        .map_err(|e| prim(B, "keygen")(format!("{e:?}")))?;
    let sig = c
        .sign(scheme, &msg, &sk)
        .map_err(|e| prim(B, "sign")(format!("{e:?}")))?;
    let hpke = c
        .derive_hpke_keypair(cs.hpke_config(), &[9u8; 32])
        .map_err(|e| prim(B, "derive")(format!("{e:?}")))?;
    let key = vec![1u8; 16];
    let nonce = vec![2u8; 12];
    let kib = vec![3u8; 1024];
    let mib = vec![4u8; 1 << 20];
    let err = |op: &'static str| {
        move |e: openmls_traits::types::CryptoError| prim(B, op)(format!("{e:?}"))
    };
    let (signed_kib, signed_mib) = signed(reps.signed);
    let kib_sig = c.sign(scheme, &signed_kib, &sk).map_err(err("sign"))?;
    let mib_sig = c.sign(scheme, &signed_mib, &sk).map_err(err("sign"))?;
    run(
        reps,
        vec![
            Box::new(|| c.sign(scheme, &msg, &sk).map(drop).map_err(err("sign"))),
            Box::new(|| {
                c.verify_signature(scheme, &msg, &pk, &sig)
                    .map_err(err("verify"))
            }),
            Box::new(|| {
                let mut ikm = [0u8; 32];
                let rand = provider.rand();
                ikm.copy_from_slice(
                    &openmls_traits::random::OpenMlsRand::random_vec(rand, 32)
                        .map_err(|e| prim(B, "random")(format!("{e:?}")))?,
                );
                c.derive_hpke_keypair(cs.hpke_config(), &ikm)
                    .map(drop)
                    .map_err(err("derive"))
            }),
            Box::new(|| {
                c.hpke_seal(cs.hpke_config(), &hpke.public, b"info", b"", &msg[..32])
                    .map(drop)
                    .map_err(err("hpke seal"))
            }),
            Box::new(|| {
                c.aead_encrypt(cs.aead_algorithm(), &key, &kib, &nonce, b"")
                    .map(drop)
                    .map_err(err("aead"))
            }),
            Box::new(|| {
                c.sign(scheme, &signed_kib, &sk)
                    .map(drop)
                    .map_err(err("sign"))
            }),
            Box::new(|| {
                c.verify_signature(scheme, &signed_kib, &pk, &kib_sig)
                    .map_err(err("verify"))
            }),
            Box::new(|| {
                c.aead_encrypt(cs.aead_algorithm(), &key, &mib, &nonce, b"")
                    .map(drop)
                    .map_err(err("aead"))
            }),
            Box::new(|| {
                c.sign(scheme, &signed_mib, &sk)
                    .map(drop)
                    .map_err(err("sign"))
            }),
            Box::new(|| {
                c.verify_signature(scheme, &signed_mib, &pk, &mib_sig)
                    .map_err(err("verify"))
            }),
        ],
    )
}

/// The floor through mls-rs's `CipherSuiteProvider` of `provider`.
///
/// # Errors
/// The provider's.
pub fn mls_rs<P: RsCryptoProvider>(provider: &P, reps: FloorPlan) -> Result<Floor, Error> {
    const B: &str = "mls-rs";
    let s = provider
        .cipher_suite_provider(mls_rs::CipherSuite::CURVE25519_AES128)
        .ok_or(Error::Unexpected("mls-rs suite 1"))?;
    let s = &s;
    let msg = vec![7u8; 256];
    let dbg = |op: &'static str| {
        move |e: <P::CipherSuiteProvider as CipherSuiteProvider>::Error| {
            prim(B, op)(format!("{e:?}"))
        }
    };
    let (sk, pk) = s.signature_key_generate().map_err(dbg("keygen"))?;
    let sig = s.sign(&sk, &msg).map_err(dbg("sign"))?;
    let (_, hpke_pk) = s.kem_generate().map_err(dbg("kem"))?;
    let key = vec![1u8; 16];
    let nonce = vec![2u8; 12];
    let kib = vec![3u8; 1024];
    let mib = vec![4u8; 1 << 20];
    let (signed_kib, signed_mib) = signed(reps.signed);
    let kib_sig = s.sign(&sk, &signed_kib).map_err(dbg("sign"))?;
    let mib_sig = s.sign(&sk, &signed_mib).map_err(dbg("sign"))?;
    run(
        reps,
        vec![
            Box::new(|| s.sign(&sk, &msg).map(drop).map_err(dbg("sign"))),
            Box::new(|| s.verify(&pk, &sig, &msg).map_err(dbg("verify"))),
            Box::new(|| s.kem_generate().map(drop).map_err(dbg("kem"))),
            Box::new(|| {
                s.hpke_seal(&hpke_pk, b"info", None, &msg[..32])
                    .map(drop)
                    .map_err(dbg("hpke seal"))
            }),
            Box::new(|| {
                s.aead_seal(&key, &kib, None, &nonce)
                    .map(drop)
                    .map_err(dbg("aead"))
            }),
            Box::new(|| s.sign(&sk, &signed_kib).map(drop).map_err(dbg("sign"))),
            Box::new(|| s.verify(&pk, &kib_sig, &signed_kib).map_err(dbg("verify"))),
            Box::new(|| {
                s.aead_seal(&key, &mib, None, &nonce)
                    .map(drop)
                    .map_err(dbg("aead"))
            }),
            Box::new(|| s.sign(&sk, &signed_mib).map(drop).map_err(dbg("sign"))),
            Box::new(|| s.verify(&pk, &mib_sig, &signed_mib).map_err(dbg("verify"))),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_floor_is_sign_verify_and_two_aead_of_that_size() {
        let us = Duration::from_micros;
        let rows = [
            ("Ed25519 sign, 1 KiB message", us(10)),
            ("Ed25519 verify, 1 KiB message", us(30)),
            ("AES-128-GCM seal, 1 KiB", us(1)),
            ("Ed25519 sign", us(1000)),
        ];
        let lookup = |op: &str| rows.iter().find(|(o, _)| *o == op).map(|(_, d)| *d);
        assert_eq!(message_floor("1 KiB", lookup), Some(us(42)));
        assert_eq!(message_floor("1 MiB", lookup), None);
        assert!(PRIMITIVES.iter().filter(|op| is_large(op)).count() == 3);
    }
}
