//! The post-quantum HPKE KEMs of draft-ietf-hpke-pq through the backend's public HPKE table:
//! sizes, round trips, HPKE over kilobyte keys with both kinds of KDF, and malformed input (keys,
//! encapsulations, randomness) as typed errors, never panics. The known answers are the
//! draft's vectors, run by `cohort-vectors` (`tests/draft.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cohort_crypto::{CryptoError, CryptoErrorKind, HpkePrivateKey};
use cohort_crypto_hpke::{Kem, run_hpke};
use cohort_crypto_rustcrypto::hpke_algorithms;

/// `(kem_id, Npk, Nsk, Nenc)` of draft-ietf-hpke-pq §6.
const KEMS: [(u16, usize, usize, usize); 6] = [
    (0x0040, 800, 64, 768),
    (0x0041, 1184, 64, 1088),
    (0x0042, 1568, 64, 1568),
    (0x0050, 1249, 32, 1153),
    (0x0051, 1665, 32, 1665),
    (0x647a, 1216, 32, 1120),
];

fn kem(id: u16) -> Box<dyn Kem> {
    hpke_algorithms()
        .kem(id)
        .expect("the backend has every PQ KEM")
}

/// The randomness `Encap` takes: 32 bytes for ML-KEM, then the group's seed.
/// The kind of the error of `result`, which must be one.
fn kind<T>(result: Result<T, CryptoError>) -> CryptoErrorKind {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.kind(),
    }
}

fn randomness_len(id: u16) -> usize {
    32 + match id {
        0x0050 => 96,
        0x0051 => 48,
        0x647a => 32,
        _ => 0,
    }
}

#[test]
fn sizes_and_round_trips() {
    for (id, npk, nsk, nenc) in KEMS {
        let kem = kem(id);
        assert_eq!(kem.kem_id(), id);
        assert_eq!(
            (kem.public_key_len(), kem.private_key_len(), kem.enc_len()),
            (npk, nsk, nenc),
            "{id:#06x}"
        );
        assert_eq!(kem.secret_len(), 32);

        let (sk, pk) = kem.generate().unwrap();
        assert_eq!((sk.len(), pk.as_ref().len()), (nsk, npk), "{id:#06x}");
        assert_eq!(kem.public_key(&sk).unwrap(), pk);
        kem.validate_public_key(pk.as_ref()).unwrap();

        let (ss, enc) = kem.encap(pk.as_ref()).unwrap();
        assert_eq!(enc.len(), nenc, "{id:#06x}");
        let decapped = kem.decap(&enc, &sk, pk.as_ref()).unwrap();
        assert_eq!(decapped.as_bytes(), ss.as_bytes(), "{id:#06x}");

        // DeriveKeyPair is deterministic, and depends on the KEM (its suite_id).
        let (sk1, pk1) = kem.derive_key_pair(&[7; 32]).unwrap();
        let (sk2, pk2) = kem.derive_key_pair(&[7; 32]).unwrap();
        assert_eq!((sk1.as_bytes(), &pk1), (sk2.as_bytes(), &pk2));
        assert_ne!(kem.derive_key_pair(&[8; 32]).unwrap().1, pk1);
    }
    let (_, x_wing) = kem(0x647a).derive_key_pair(&[7; 32]).unwrap();
    let (_, p256) = kem(0x0050).derive_key_pair(&[7; 32]).unwrap();
    assert_ne!(x_wing.as_ref()[..1184], p256.as_ref()[..1184]);
}

#[test]
fn hpke_over_pq_kems_with_two_stage_and_one_stage_kdfs() {
    let algorithms = hpke_algorithms();
    for (id, ..) in KEMS {
        // HKDF-SHA256 and SHAKE256, each with AES-128-GCM.
        for kdf_id in [0x0001, 0x0011] {
            run_hpke(algorithms, id, kdf_id, 0x0001, |hpke| {
                let (sk, pk) = hpke
                    .kem()
                    .derive_key_pair(b"recipient seed of 32 bytes.....")
                    .unwrap();
                let (enc, mut sender) = hpke.setup_base_s(pk.as_ref(), b"info").unwrap();
                let shared = hpke.kem().decap(&enc, &sk, pk.as_ref()).unwrap();
                let mut receiver = hpke.key_schedule(&shared, b"info").unwrap();
                for message in [&b"first"[..], b"second", &[0xab; 3000]] {
                    let ct = sender.seal(b"aad", message).unwrap();
                    assert_eq!(receiver.open(b"aad", &ct).unwrap(), message);
                }
                let tampered = sender.seal(b"aad", b"third").unwrap();
                assert_eq!(
                    receiver.open(b"other aad", &tampered).unwrap_err().kind(),
                    CryptoErrorKind::AeadOpenFailed
                );
                assert_eq!(
                    sender.export(b"context", 48).unwrap().as_bytes(),
                    receiver.export(b"context", 48).unwrap().as_bytes()
                );
                // Another info gives another context.
                let other = hpke.key_schedule(&shared, b"other info").unwrap();
                assert_ne!(
                    other.export(b"context", 32).unwrap().as_bytes(),
                    receiver.export(b"context", 32).unwrap().as_bytes()
                );
            })
            .unwrap();
        }
    }
}

#[test]
fn tampered_encapsulations_give_another_secret() {
    for (id, ..) in KEMS {
        let kem = kem(id);
        let (sk, pk) = kem.derive_key_pair(&[1; 32]).unwrap();
        let (ss, enc) = kem.encap(pk.as_ref()).unwrap();
        // The first byte of the ML-KEM ciphertext: ML-KEM's implicit rejection answers with a
        // pseudorandom secret, not an error.
        let mut tampered = enc.clone();
        tampered[0] ^= 1;
        let other = kem.decap(&tampered, &sk, pk.as_ref()).unwrap();
        assert_ne!(other.as_bytes(), ss.as_bytes(), "{id:#06x}");
        // Another recipient key decapsulates to another secret too.
        let (sk2, pk2) = kem.derive_key_pair(&[2; 32]).unwrap();
        let wrong = kem.decap(&enc, &sk2, pk2.as_ref()).unwrap();
        assert_ne!(wrong.as_bytes(), ss.as_bytes(), "{id:#06x}");
    }
}

#[test]
fn malformed_input_is_a_typed_error() {
    for (id, npk, nsk, nenc) in KEMS {
        let kem = kem(id);
        let (sk, pk) = kem.derive_key_pair(&[3; 32]).unwrap();
        let pk = pk.as_ref();

        // Public keys of the wrong length, and encapsulations of the wrong length.
        for len in [0, 1, npk - 1, npk + 1] {
            let bad = vec![0x42; len];
            assert_eq!(
                kind(kem.validate_public_key(&bad)),
                CryptoErrorKind::InvalidPublicKey
            );
            assert_eq!(kind(kem.encap(&bad)), CryptoErrorKind::InvalidPublicKey);
        }
        for len in [0, nenc - 1, nenc + 1] {
            let bad = vec![0x42; len];
            assert_eq!(
                kind(kem.decap(&bad, &sk, pk)),
                CryptoErrorKind::InvalidPublicKey
            );
        }
        // An ML-KEM encapsulation key with a coefficient of 4095 >= q fails the modulus check.
        let mut unreduced = pk.to_vec();
        unreduced[0] = 0xff;
        unreduced[1] |= 0x0f;
        assert_eq!(
            kind(kem.validate_public_key(&unreduced)),
            CryptoErrorKind::InvalidPublicKey,
            "{id:#06x}"
        );
        assert_eq!(
            kind(kem.encap(&unreduced)),
            CryptoErrorKind::InvalidPublicKey
        );
        // Private keys of the wrong length.
        for len in [0, nsk - 1, nsk + 1] {
            let bad = HpkePrivateKey::from_slice(&vec![1; len]);
            assert_eq!(
                kind(kem.public_key(&bad)),
                CryptoErrorKind::InvalidPrivateKey
            );
            let enc = vec![0; nenc];
            assert_eq!(
                kind(kem.decap(&enc, &bad, pk)),
                CryptoErrorKind::InvalidPrivateKey
            );
        }
        // Randomness of the wrong length.
        let n = randomness_len(id);
        for len in [0, n - 1, n + 1] {
            assert_eq!(
                kind(kem.encap_derand(pk, &vec![5; len])),
                CryptoErrorKind::InvalidLength
            );
        }
    }
}

#[test]
fn nist_hybrid_halves_must_be_points() {
    for (id, ml_kem_pk, ml_kem_ct, point) in [(0x0050, 1184, 1088, 65), (0x0051, 1568, 1568, 97)] {
        let kem = kem(id);
        let (sk, pk) = kem.derive_key_pair(&[4; 32]).unwrap();
        let (_, enc) = kem.encap(pk.as_ref()).unwrap();
        for bad_point in [
            vec![0; point],
            {
                // Off the curve: y + 1.
                let mut p = pk.as_ref()[ml_kem_pk..].to_vec();
                p[point - 1] ^= 1;
                p
            },
            {
                // Compressed form.
                let mut p = pk.as_ref()[ml_kem_pk..].to_vec();
                p[0] = 0x02;
                p
            },
        ] {
            let mut bad_pk = pk.as_ref()[..ml_kem_pk].to_vec();
            bad_pk.extend_from_slice(&bad_point);
            assert_eq!(
                kem.validate_public_key(&bad_pk).unwrap_err().kind(),
                CryptoErrorKind::InvalidPublicKey
            );
            assert_eq!(
                kem.encap(&bad_pk).unwrap_err().kind(),
                CryptoErrorKind::InvalidPublicKey
            );
            let mut bad_enc = enc[..ml_kem_ct].to_vec();
            bad_enc.extend_from_slice(&bad_point);
            assert_eq!(
                kem.decap(&bad_enc, &sk, pk.as_ref()).unwrap_err().kind(),
                CryptoErrorKind::InvalidPublicKey
            );
        }
    }
}

/// P-256's `RandomScalar` takes the first of three 32-byte chunks that is a scalar in `[1, n)`.
#[test]
fn p256_random_scalar_rejects_out_of_range_chunks() {
    let kem = kem(0x0050);
    let (_, pk) = kem.derive_key_pair(&[6; 32]).unwrap();
    let m = [9u8; 32];
    let chunk = [0x11u8; 32];
    let randomness = |chunks: [[u8; 32]; 3]| {
        let mut r = m.to_vec();
        chunks.iter().for_each(|c| r.extend_from_slice(c));
        r
    };
    let first = kem
        .encap_derand(pk.as_ref(), &randomness([chunk, [0; 32], [0; 32]]))
        .unwrap();
    // 0xff..ff is above the order and zero is not a scalar: both are skipped.
    let third = kem
        .encap_derand(pk.as_ref(), &randomness([[0xff; 32], [0; 32], chunk]))
        .unwrap();
    assert_eq!(first.1, third.1);
    assert_eq!(first.0.as_bytes(), third.0.as_bytes());
    let none = kem.encap_derand(pk.as_ref(), &randomness([[0xff; 32], [0; 32], [0xff; 32]]));
    assert_eq!(
        none.unwrap_err().kind(),
        CryptoErrorKind::DeriveKeyPairFailed
    );
}

/// Arbitrary bytes of the right lengths never panic: `decap` either answers (ML-KEM's implicit
/// rejection, any X25519 string) or refuses a group half that is not a point.
#[test]
fn arbitrary_encapsulations_and_keys_never_panic() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut bytes = |len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect()
    };
    for (id, npk, _, nenc) in KEMS {
        let kem = kem(id);
        let (sk, pk) = kem.derive_key_pair(&[8; 32]).unwrap();
        for _ in 0..8 {
            let enc = bytes(nenc);
            match kem.decap(&enc, &sk, pk.as_ref()) {
                Ok(ss) => assert_eq!(ss.len(), 32),
                Err(e) => assert_eq!(e.kind(), CryptoErrorKind::InvalidPublicKey, "{id:#06x}"),
            }
            let random_pk = bytes(npk);
            if let Err(e) = kem.encap(&random_pk) {
                assert_eq!(e.kind(), CryptoErrorKind::InvalidPublicKey, "{id:#06x}");
            }
        }
    }
}
