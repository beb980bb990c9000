//! The key schedule's derivations recomputed by hand from the suite's raw primitives (`Hash`,
//! `KDF.Extract`, `KDF.Expand`, `MAC`) and byte-level encodings written out here, then compared
//! with what the crate derives (RFC 9420 §8, §8.2, §8.4, §9, §9.1).
//!
//! The official vectors check the same derivations against fixed outputs; these tests name each
//! formula and run on a 32-byte and a 64-byte hash, so a varint length prefix of two bytes (64 is
//! past the one-byte range) is exercised as well.

use cohort_crypto::{CipherSuite, CryptoProvider, Secret, SuiteOps, labeled};
use cohort_key_schedule::{
    ContentKind, InitSecret, PskInput, RatchetConfig, SecretTree, confirmation_tag,
    confirmed_transcript_hash, interim_transcript_hash, psk_secret,
};
use std::sync::Arc;

/// Suites with `Nh` = 32 and `Nh` = 64.
fn suites() -> Vec<Arc<dyn SuiteOps>> {
    let provider = cohort_crypto_rustcrypto::provider();
    [
        CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519,
        CipherSuite::MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448,
    ]
    .into_iter()
    .map(|s| {
        provider
            .suite(s)
            .expect("the RustCrypto backend has every suite")
    })
    .collect()
}

/// The QUIC-style variable-length integer of RFC 9420 §2.1.2, written out by hand.
fn varint(n: usize) -> Vec<u8> {
    match n {
        0..=0x3f => vec![n as u8],
        0x40..=0x3fff => (0x4000 | n as u16).to_be_bytes().to_vec(),
        _ => (0x8000_0000 | n as u32).to_be_bytes().to_vec(),
    }
}

/// `opaque<V>`: a varint length, then the bytes.
fn opaque(bytes: &[u8]) -> Vec<u8> {
    let mut out = varint(bytes.len());
    out.extend_from_slice(bytes);
    out
}

/// `ExpandWithLabel` from `KDF.Expand` and a hand-encoded `KDFLabel`.
fn expand_by_hand(
    s: &dyn SuiteOps,
    secret: &[u8],
    label: &str,
    context: &[u8],
    len: usize,
) -> Vec<u8> {
    let mut info = (len as u16).to_be_bytes().to_vec();
    info.extend(opaque(format!("MLS 1.0 {label}").as_bytes()));
    info.extend(opaque(context));
    s.kdf_expand(secret, &info, len)
        .expect("expand")
        .as_bytes()
        .to_vec()
}

fn derive_by_hand(s: &dyn SuiteOps, secret: &[u8], label: &str) -> Vec<u8> {
    expand_by_hand(s, secret, label, &[], s.hash_len())
}

/// V-8-01: `ExpandWithLabel` is `KDF.Expand` over `KDFLabel{uint16 length, "MLS 1.0 " + label,
/// context}` and `DeriveSecret` is `ExpandWithLabel(secret, label, "", Nh)`; a long context
/// (two-byte varint) included.
#[test]
fn v_8_01_expand_with_label_and_derive_secret_follow_kdf_label() {
    for s in suites() {
        let secret = vec![0x5a; s.hash_len()];
        for context in [Vec::new(), vec![1, 2, 3], vec![9; 300]] {
            for len in [16u16, 32, 64] {
                let ours = labeled::expand_with_label(&*s, &secret, b"some label", &context, len)
                    .expect("expand_with_label");
                let by_hand = expand_by_hand(&*s, &secret, "some label", &context, len.into());
                assert_eq!(ours.as_bytes(), by_hand.as_slice(), "len {len}");
            }
        }
        let ours = labeled::derive_secret(&*s, &secret, b"welcome").expect("derive_secret");
        assert_eq!(
            ours.as_bytes(),
            derive_by_hand(&*s, &secret, "welcome").as_slice()
        );
        // The prefix is part of the label: a label without it derives something else.
        let unprefixed = {
            let mut info = (s.hash_len() as u16).to_be_bytes().to_vec();
            info.extend(opaque(b"welcome"));
            info.extend(opaque(&[]));
            s.kdf_expand(&secret, &info, s.hash_len()).expect("expand")
        };
        assert_ne!(ours.as_bytes(), unprefixed.as_bytes());
    }
}

/// V-8-02 and V-8.1-01: the epoch chain. `joiner = ExpandWithLabel(Extract(init_prev,
/// commit_secret), "joiner", GC_new, Nh)`; `welcome = DeriveSecret(Extract(joiner, psk_secret),
/// "welcome")`; `epoch = ExpandWithLabel(Extract(joiner, psk_secret), "epoch", GC_new, Nh)`; the
/// eight labelled secrets and the next `init_secret` come from `epoch` by `DeriveSecret`. The
/// GroupContext of the new epoch enters both the joiner and the epoch secret, so members that
/// disagree about it (another epoch number or tree hash) derive different keys.
#[test]
fn v_8_02_epoch_chain_matches_the_rfc_formulas() {
    for s in suites() {
        let nh = s.hash_len();
        let init_prev = vec![0x11; nh];
        let commit_secret = vec![0x22; nh];
        let psk = vec![0x33; nh];
        let group_context = b"encoded GroupContext of epoch n".to_vec();

        let joiner = InitSecret::new(Secret::new(init_prev.clone()))
            .joiner_secret(&*s, &commit_secret, &group_context)
            .expect("joiner");
        let prk = s.kdf_extract(&init_prev, &commit_secret).expect("extract");
        let joiner_by_hand = expand_by_hand(&*s, prk.as_bytes(), "joiner", &group_context, nh);
        assert_eq!(joiner.as_bytes(), joiner_by_hand.as_slice());

        let member = s.kdf_extract(&joiner_by_hand, &psk).expect("extract");
        let welcome = joiner.welcome_secret(&*s, &psk).expect("welcome");
        assert_eq!(
            welcome.as_bytes(),
            derive_by_hand(&*s, member.as_bytes(), "welcome").as_slice()
        );

        let epoch = expand_by_hand(&*s, member.as_bytes(), "epoch", &group_context, nh);
        let secrets = joiner.into_epoch(&*s, &psk, &group_context).expect("epoch");
        let pairs: [(&Secret, &str); 8] = [
            (&secrets.sender_data_secret, "sender data"),
            (&secrets.encryption_secret, "encryption"),
            (&secrets.exporter_secret, "exporter"),
            (&secrets.external_secret, "external"),
            (&secrets.confirmation_key, "confirm"),
            (&secrets.membership_key, "membership"),
            (&secrets.resumption_psk, "resumption"),
            (&secrets.epoch_authenticator, "authentication"),
        ];
        for (ours, label) in pairs {
            assert_eq!(
                ours.as_bytes(),
                derive_by_hand(&*s, &epoch, label).as_slice(),
                "{label}"
            );
        }
        assert_eq!(
            secrets.init_secret.as_bytes(),
            derive_by_hand(&*s, &epoch, "init").as_slice()
        );

        // Another GroupContext (V-8.1-01: epoch, tree hash, extensions all live in it) gives
        // another joiner secret and, from the same joiner secret, another epoch.
        let other_context = b"encoded GroupContext of epoch m".to_vec();
        let other_joiner = InitSecret::new(Secret::new(init_prev.clone()))
            .joiner_secret(&*s, &commit_secret, &other_context)
            .expect("joiner");
        assert_ne!(other_joiner.as_bytes(), joiner_by_hand.as_slice());
        let other_epoch = cohort_key_schedule::JoinerSecret::new(Secret::new(joiner_by_hand))
            .into_epoch(&*s, &psk, &other_context)
            .expect("epoch");
        assert_ne!(
            other_epoch.confirmation_key.as_bytes(),
            derive_by_hand(&*s, &epoch, "confirm").as_slice()
        );
    }
}

/// V-8.2-01: `confirmed_n = Hash(interim_{n-1} || ConfirmedTranscriptHashInput)`,
/// `interim_n = Hash(confirmed_n || InterimTranscriptHashInput{opaque confirmation_tag<V>})`, and
/// the confirmation tag is `MAC(confirmation_key, confirmed_n)`.
#[test]
fn v_8_2_01_transcript_hashes_and_confirmation_tag() {
    for s in suites() {
        let nh = s.hash_len();
        let interim_prev = vec![0x44; nh];
        let input = b"encoded ConfirmedTranscriptHashInput".to_vec();
        let confirmed = confirmed_transcript_hash(&*s, &interim_prev, &input).expect("confirmed");
        let mut buf = interim_prev.clone();
        buf.extend_from_slice(&input);
        assert_eq!(confirmed, s.hash(&buf).expect("hash"));

        let key = vec![0x55; nh];
        let tag = confirmation_tag(&*s, &key, &confirmed).expect("tag");
        assert_eq!(tag, s.mac(&key, &confirmed).expect("mac"));

        let interim = interim_transcript_hash(&*s, &confirmed, &tag).expect("interim");
        let mut buf = confirmed.clone();
        buf.extend(opaque(&tag));
        assert_eq!(interim, s.hash(&buf).expect("hash"));
        // The tag enters with its length prefix: hashing it bare gives another value.
        let mut bare = confirmed.clone();
        bare.extend_from_slice(&tag);
        assert_ne!(interim, s.hash(&bare).expect("hash"));
    }
}

/// V-8.4-03: PSKs are chained in the order listed, each through `PSKLabel{id, uint16 index,
/// uint16 count}`; with no PSK the secret is `Nh` zero bytes, and reordering the PSKs changes it.
#[test]
fn v_8_4_03_psk_secret_chains_in_order_with_psk_label() {
    for s in suites() {
        let nh = s.hash_len();
        assert_eq!(
            psk_secret(&*s, &[]).expect("none").as_bytes(),
            vec![0u8; nh].as_slice()
        );

        let (id_a, id_b) = (b"encoded id A".to_vec(), b"encoded id B".to_vec());
        let (psk_a, psk_b) = (Secret::new(vec![0xa0; nh]), Secret::new(vec![0xb0; 20]));
        let listed = [
            PskInput {
                id: &id_a,
                psk: &psk_a,
            },
            PskInput {
                id: &id_b,
                psk: &psk_b,
            },
        ];
        let ours = psk_secret(&*s, &listed).expect("psk_secret");

        let zero = vec![0u8; nh];
        let mut by_hand = zero.clone();
        for (index, (id, psk)) in [(&id_a, &psk_a), (&id_b, &psk_b)].into_iter().enumerate() {
            let extracted = s.kdf_extract(&zero, psk.as_bytes()).expect("extract");
            let mut label = id.to_vec();
            label.extend_from_slice(&(index as u16).to_be_bytes());
            label.extend_from_slice(&2u16.to_be_bytes());
            let input = expand_by_hand(&*s, extracted.as_bytes(), "derived psk", &label, nh);
            by_hand = s
                .kdf_extract(&input, &by_hand)
                .expect("extract")
                .as_bytes()
                .to_vec();
        }
        assert_eq!(ours.as_bytes(), by_hand.as_slice());

        let reversed = [
            PskInput {
                id: &id_b,
                psk: &psk_b,
            },
            PskInput {
                id: &id_a,
                psk: &psk_a,
            },
        ];
        assert_ne!(
            psk_secret(&*s, &reversed).expect("reversed").as_bytes(),
            ours.as_bytes()
        );
    }
}

/// V-9.1-02 and V-6.3.1-01: in a two-leaf secret tree, `left = ExpandWithLabel(root, "tree",
/// "left", Nh)` (and "right"); each leaf's handshake and application ratchets start at
/// `ExpandWithLabel(leaf_secret, "handshake" | "application", "", Nh)`; generation `j` gives
/// `key = DeriveTreeSecret(secret_j, "key", j, Nk)`, `nonce = ... "nonce" ... Nn` and
/// `secret_{j+1} = DeriveTreeSecret(secret_j, "secret", j, Nh)`, the generation as a big-endian
/// uint32. Handshake and application content open with keys of their own ratchets.
#[test]
fn v_9_1_02_ratchet_keys_follow_derive_tree_secret() {
    for s in suites() {
        let (nh, nk, nn) = (s.hash_len(), s.aead_key_len(), s.aead_nonce_len());
        let root = vec![0x66; nh];
        let leaf_secret = |leaf: u32| {
            let side = if leaf == 0 { "left" } else { "right" };
            expand_by_hand(&*s, &root, "tree", side.as_bytes(), nh)
        };
        let ratchet_at = |leaf: u32, kind: &str, generation: u32| {
            let mut secret = expand_by_hand(&*s, &leaf_secret(leaf), kind, &[], nh);
            for j in 0..generation {
                secret = expand_by_hand(&*s, &secret, "secret", &j.to_be_bytes(), nh);
            }
            let g = generation.to_be_bytes();
            (
                expand_by_hand(&*s, &secret, "key", &g, nk),
                expand_by_hand(&*s, &secret, "nonce", &g, nn),
            )
        };

        let mut tree = SecretTree::new(Secret::new(root.clone()), 2, RatchetConfig::default());
        for (leaf, kind, label, generation) in [
            (1, ContentKind::Application, "application", 2),
            (0, ContentKind::Handshake, "handshake", 0),
            (1, ContentKind::Handshake, "handshake", 1),
        ] {
            let (key, nonce) = tree
                .open(&*s, leaf, kind, generation, |k| {
                    Ok::<_, ()>((k.key.as_bytes().to_vec(), k.nonce.as_bytes().to_vec()))
                })
                .expect("open")
                .expect("the closure never fails");
            assert_eq!(
                (key.clone(), nonce),
                ratchet_at(leaf, label, generation),
                "{label}"
            );
            let other = if label == "handshake" {
                "application"
            } else {
                "handshake"
            };
            assert_ne!(key, ratchet_at(leaf, other, generation).0);
        }
    }
}
