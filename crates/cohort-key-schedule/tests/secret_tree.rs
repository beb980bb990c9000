//! The secret tree's deletion schedule and out-of-order bounds (RFC 9420 §9, §9.2, §15.3).

use cohort_crypto::{CipherSuite, CryptoProvider, Secret, SuiteOps};
use cohort_key_schedule::{ContentKind, KeyScheduleError, RatchetConfig, SecretTree};
use std::sync::Arc;

fn suite() -> Arc<dyn SuiteOps> {
    cohort_crypto_rustcrypto::provider()
        .suite(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519)
        .expect("suite 1")
}

fn tree(leaves: u32, config: RatchetConfig) -> SecretTree {
    SecretTree::new(Secret::new(vec![7; 32]), leaves, config)
}

/// Opens generation `g` of `leaf`'s application ratchet, returning the key bytes.
fn open(
    t: &mut SecretTree,
    s: &dyn SuiteOps,
    leaf: u32,
    g: u32,
) -> Result<Vec<u8>, KeyScheduleError> {
    t.open(s, leaf, ContentKind::Application, g, |k| {
        Ok::<_, ()>(k.key.as_bytes().to_vec())
    })
    .map(|r| r.expect("the closure never fails"))
}

/// V-9.1-01: a generation decrypts at most one message; a replay finds its key deleted.
#[test]
fn v_9_1_01_used_generation_cannot_be_opened_again() {
    let s = suite();
    let mut t = tree(4, RatchetConfig::default());
    open(&mut t, &*s, 1, 0).expect("first use");
    assert!(matches!(
        open(&mut t, &*s, 1, 0),
        Err(KeyScheduleError::GenerationConsumed {
            leaf: 1,
            generation: 0
        })
    ));
}

/// V-9.2-01: the sender's key for a generation is the receiver's, and once the sender has used
/// it, the sender cannot derive it again either.
#[test]
fn v_9_2_01_sent_keys_are_consumed() {
    let s = suite();
    let mut sender = tree(4, RatchetConfig::default());
    let mut receiver = sender.clone();
    let k0 = sender
        .next_send_key(&*s, 2, ContentKind::Application)
        .expect("key 0");
    let k1 = sender
        .next_send_key(&*s, 2, ContentKind::Application)
        .expect("key 1");
    assert_eq!((k0.generation, k1.generation), (0, 1));
    assert_ne!(k0.key.as_bytes(), k1.key.as_bytes());
    assert_eq!(
        open(&mut receiver, &*s, 2, 1).expect("gen 1"),
        k1.key.as_bytes()
    );
    assert_eq!(
        open(&mut receiver, &*s, 2, 0).expect("gen 0, late"),
        k0.key.as_bytes()
    );
    // Handshake and application ratchets are independent.
    let h0 = sender
        .next_send_key(&*s, 2, ContentKind::Handshake)
        .expect("handshake 0");
    assert_ne!(h0.key.as_bytes(), k0.key.as_bytes());
}

/// V-9.2-01: expanding the path to a leaf deletes every node secret on it; only the off-path
/// siblings (and the leaf's ratchets) remain.
#[test]
fn v_9_2_01_tree_node_secrets_on_the_path_are_erased() {
    let s = suite();
    let mut t = tree(8, RatchetConfig::default());
    assert_eq!(t.node_secrets_held(), 1);
    open(&mut t, &*s, 0, 0).expect("open");
    // Root (3 levels above the leaves) expanded: the three off-path siblings are stored, the
    // root, the two inner path nodes and the leaf secret are gone.
    assert_eq!(t.node_secrets_held(), 3);
    for leaf in 0..8 {
        assert!(t.holds_secrets_for(leaf));
    }
    // After every leaf has been expanded, no tree-node secret is left at all.
    for leaf in 1..8 {
        open(&mut t, &*s, leaf, 0).expect("open");
    }
    assert_eq!(t.node_secrets_held(), 0);
}

/// V-9-01: a sender leaf outside the secret tree is rejected.
#[test]
fn v_9_01_leaf_outside_the_tree_is_rejected() {
    let s = suite();
    let mut t = tree(4, RatchetConfig::default());
    assert!(matches!(
        open(&mut t, &*s, 4, 0),
        Err(KeyScheduleError::LeafOutOfRange(4))
    ));
}

/// V-15.3-01: a generation too far ahead is rejected, and nothing is derived for it.
#[test]
fn v_15_3_01_forward_jump_is_capped() {
    let s = suite();
    let config = RatchetConfig {
        max_forward_distance: 10,
        out_of_order_tolerance: 5,
    };
    let mut t = tree(2, config);
    assert!(matches!(
        open(&mut t, &*s, 0, 11),
        Err(KeyScheduleError::GenerationTooFarAhead {
            generation: 11,
            current: 0,
            ..
        })
    ));
    open(&mut t, &*s, 0, 10).expect("exactly at the cap");
}

/// V-15.3-02 / V-9.2-02: only the most recent skipped keys are kept; older ones are erased.
#[test]
fn v_15_3_02_skipped_keys_are_bounded() {
    let s = suite();
    let config = RatchetConfig {
        max_forward_distance: 100,
        out_of_order_tolerance: 3,
    };
    let mut t = tree(2, config);
    open(&mut t, &*s, 1, 10).expect("jump to 10");
    // Generations 7, 8, 9 are kept; 0..=6 were evicted.
    for g in [9, 8, 7] {
        open(&mut t, &*s, 1, g).expect("kept for late delivery");
    }
    // An evicted generation is older than the window; a used one inside it was consumed.
    assert!(matches!(
        open(&mut t, &*s, 1, 6),
        Err(KeyScheduleError::GenerationTooOld {
            generation: 6,
            current: 11,
            ..
        })
    ));
    assert!(matches!(
        open(&mut t, &*s, 1, 9),
        Err(KeyScheduleError::GenerationConsumed { generation: 9, .. })
    ));
}

/// A failed decryption leaves the tree exactly as it was: the key can still be used.
#[test]
fn failed_decryption_consumes_nothing() {
    let s = suite();
    let mut t = tree(4, RatchetConfig::default());
    let before = format!("{t:?}");
    let failed = t
        .open(&*s, 3, ContentKind::Handshake, 5, |_| {
            Err::<(), _>("tag mismatch")
        })
        .expect("key derivation works");
    assert_eq!(failed, Err("tag mismatch"));
    assert_eq!(
        format!("{t:?}"),
        before,
        "state changed by a rejected message"
    );
    t.open(&*s, 3, ContentKind::Handshake, 5, |_| Ok::<_, ()>(()))
        .expect("derivation")
        .expect("the key is still there");
}

/// Undoing the steps taken since `keep_undo` puts the tree back byte for byte (a leaf expanded
/// from its ancestors, a ratchet moved forward with skipped keys kept), and the keys those steps
/// consumed open again, the same keys; forgotten steps stay taken.
#[test]
fn undone_steps_leave_the_tree_as_it_was() {
    use cohort_codec::Encode;
    let s = suite();
    let mut t = tree(4, RatchetConfig::default());
    let first = open(&mut t, &*s, 1, 0).expect("leaf 1 expanded before");
    let before = t.to_bytes().expect("encode");

    t.keep_undo();
    let sent = t
        .next_send_key(&*s, 2, ContentKind::Application)
        .expect("leaf 2 expanded by the step");
    let late = open(&mut t, &*s, 1, 3).expect("generation 3, 1 and 2 skipped");
    assert_ne!(t.to_bytes().expect("encode"), before);
    t.undo();
    assert_eq!(
        t.to_bytes().expect("encode"),
        before,
        "undo restores every secret"
    );
    assert_eq!(open(&mut t, &*s, 1, 3).expect("the key is back"), late);
    let again = t
        .next_send_key(&*s, 2, ContentKind::Application)
        .expect("leaf 2 again");
    assert_eq!(
        (again.generation, again.key.as_bytes()),
        (0, sent.key.as_bytes())
    );
    assert!(
        matches!(
            open(&mut t, &*s, 1, 0),
            Err(KeyScheduleError::GenerationConsumed { generation: 0, .. })
        ),
        "a step before keep_undo stays taken (key {first:?})"
    );

    t.keep_undo();
    open(&mut t, &*s, 1, 1).expect("skipped key 1");
    t.forget_undo();
    t.undo();
    assert!(
        matches!(
            open(&mut t, &*s, 1, 1),
            Err(KeyScheduleError::GenerationConsumed { generation: 1, .. })
        ),
        "a forgotten step is not undone"
    );
}
