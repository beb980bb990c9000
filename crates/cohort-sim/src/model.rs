//! What each member should be able to decrypt: a model of the secret tree's windows, and the
//! check of the stored ratchets against it.
//!
//! The model mirrors RFC 9420 §9 with cohort's bounds (`cohort-key-schedule`'s
//! `HashRatchet::take`): a ratchet hands out generations in order; a message ahead of the next
//! generation derives the keys in between and keeps the newest `out_of_order_tolerance` of them;
//! a message more than `max_forward_distance` ahead is refused; a key is forgotten once used.
//! Past epochs keep their secret trees while they are among the last `max_past_epochs` the
//! member lived through.
//!
//! If the library changes these semantics (not only the numbers, which come from
//! [`Windows`]), this module changes with it.

use std::collections::{BTreeMap, BTreeSet};

use cohort::codec::{CodecError, Decode, Reader};

use crate::config::Windows;

/// One application ratchet as the model sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RatchetModel {
    /// The next generation.
    pub next: u32,
    /// Skipped generations whose keys are kept.
    pub skipped: BTreeSet<u32>,
}

/// What the library should do with an application message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prediction {
    /// Decrypt it.
    Accept,
    /// Refuse it: its epoch's keys are gone (or the member never had them).
    TooOld,
    /// Refuse it: its key was used (a duplicate), within the out-of-order window.
    AlreadySeen,
    /// Refuse it: further behind the ratchet than the out-of-order window keeps keys for.
    OutsideWindow,
    /// Refuse it: too far ahead of the ratchet.
    TooFarAhead,
    /// It is of an epoch the member has not reached.
    Future,
}

impl Prediction {
    /// A short name for the trace.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Prediction::Accept => "accept",
            Prediction::TooOld => "too-old",
            Prediction::AlreadySeen => "already-seen",
            Prediction::OutsideWindow => "outside-window",
            Prediction::TooFarAhead => "too-far-ahead",
            Prediction::Future => "future",
        }
    }
}

impl Prediction {
    /// The library's refusal of generation `generation` of `leaf` in `epoch`, for a member at
    /// `current`, that this prediction stands for (`None`: not a refusal).
    pub(crate) fn error(
        self,
        epoch: u64,
        current: u64,
        leaf: u32,
        generation: u32,
    ) -> Option<cohort::DeliveryError> {
        use cohort::DeliveryError as E;
        match self {
            Prediction::Accept | Prediction::Future => None,
            Prediction::TooOld => Some(E::TooOld { epoch, current }),
            Prediction::AlreadySeen => Some(E::AlreadySeen { leaf, generation }),
            Prediction::OutsideWindow => Some(E::OutsideWindow { leaf, generation }),
            Prediction::TooFarAhead => Some(E::TooFarAhead { leaf, generation }),
        }
    }
}

impl RatchetModel {
    fn predict(&self, generation: u32, w: &Windows) -> Prediction {
        if generation < self.next {
            if self.skipped.contains(&generation) {
                Prediction::Accept
            } else if self.next - generation > w.out_of_order_tolerance {
                // Gone from the window (evicted, or used: the library cannot tell).
                Prediction::OutsideWindow
            } else {
                // Inside the window a missing key can only have been used.
                Prediction::AlreadySeen
            }
        } else if generation - self.next > w.max_forward_distance {
            Prediction::TooFarAhead
        } else {
            Prediction::Accept
        }
    }

    /// Uses the key of `generation` (which [`RatchetModel::predict`] accepted).
    fn take(&mut self, generation: u32, w: &Windows) {
        if generation < self.next {
            self.skipped.remove(&generation);
            return;
        }
        while self.next < generation {
            if w.out_of_order_tolerance > 0 {
                self.skipped.insert(self.next);
            }
            while self.skipped.len() > w.out_of_order_tolerance as usize {
                self.skipped.pop_first();
            }
            self.next += 1;
        }
        self.next += 1;
    }
}

/// The model of one member's keys, from the moment it joined (or resynced).
#[derive(Debug, Clone, Default)]
pub(crate) struct MemberModel {
    /// The epochs the member had keys for, since it joined, in order.
    lived: Vec<u64>,
    /// The application ratchets by (epoch, leaf).
    ratchets: BTreeMap<(u64, u32), RatchetModel>,
}

impl MemberModel {
    /// A member that just joined at `epoch`, with no keys of earlier epochs.
    pub(crate) fn joined(epoch: u64) -> Self {
        Self {
            lived: vec![epoch],
            ratchets: BTreeMap::new(),
        }
    }

    /// The member moved to `epoch`; epochs beyond the window are forgotten.
    pub(crate) fn advance(&mut self, epoch: u64, w: &Windows) {
        self.lived.push(epoch);
        let keep_from = epoch.saturating_sub(w.max_past_epochs as u64);
        self.lived.retain(|e| *e >= keep_from);
        self.ratchets.retain(|(e, _), _| *e >= keep_from);
    }

    /// The past epochs whose secret trees the member should still have at `current`.
    pub(crate) fn retained_past(&self, current: u64, w: &Windows) -> Vec<u64> {
        self.lived
            .iter()
            .copied()
            .filter(|e| *e < current && current - e <= w.max_past_epochs as u64)
            .collect()
    }

    /// What the library should do with generation `generation` of leaf `leaf` in `epoch`, for
    /// a member at `current`.
    pub(crate) fn predict(
        &self,
        current: u64,
        epoch: u64,
        leaf: u32,
        generation: u32,
        w: &Windows,
    ) -> Prediction {
        if epoch > current {
            return Prediction::Future;
        }
        if epoch < current && !self.retained_past(current, w).contains(&epoch) {
            return Prediction::TooOld;
        }
        if !self.lived.contains(&epoch) {
            return Prediction::TooOld;
        }
        self.ratchets.get(&(epoch, leaf)).map_or_else(
            || RatchetModel::default().predict(generation, w),
            |r| r.predict(generation, w),
        )
    }

    /// The member decrypted generation `generation` of `leaf` in `epoch`.
    pub(crate) fn take(&mut self, epoch: u64, leaf: u32, generation: u32, w: &Windows) {
        self.ratchets
            .entry((epoch, leaf))
            .or_default()
            .take(generation, w);
    }

    /// The member sent a message from its own leaf `leaf` in `epoch`; returns its generation.
    pub(crate) fn send(&mut self, epoch: u64, leaf: u32) -> u32 {
        let r = self.ratchets.entry((epoch, leaf)).or_default();
        let generation = r.next;
        r.next += 1;
        generation
    }

    /// The model's ratchet of `leaf` in `epoch` (the default if no message moved it).
    fn ratchet(&self, epoch: u64, leaf: u32) -> RatchetModel {
        self.ratchets
            .get(&(epoch, leaf))
            .cloned()
            .unwrap_or_default()
    }

    /// Compares the stored ratchets of a member at `current` with the model: the same past
    /// epochs, the windows configured, and in every application ratchet the same next
    /// generation and the same kept keys. Returns what differs, or `None`.
    pub(crate) fn check_stored(
        &self,
        stored: &StoredRatchets,
        current: u64,
        w: &Windows,
    ) -> Option<String> {
        if stored.current.epoch != current {
            return Some(format!(
                "stored ratchets are of epoch {}, the group is at {current}",
                stored.current.epoch
            ));
        }
        let past: Vec<u64> = stored.past.iter().map(|t| t.epoch).collect();
        let mut sorted = past.clone();
        sorted.sort_unstable();
        let expected = self.retained_past(current, w);
        if sorted != expected {
            return Some(format!(
                "stored past epochs {past:?}, the windows keep {expected:?} at epoch {current}"
            ));
        }
        for tree in std::iter::once(&stored.current).chain(&stored.past) {
            if (tree.max_forward_distance, tree.out_of_order_tolerance)
                != (w.max_forward_distance, w.out_of_order_tolerance)
            {
                return Some(format!(
                    "epoch {} stored with windows ({}, {}), configured ({}, {})",
                    tree.epoch,
                    tree.max_forward_distance,
                    tree.out_of_order_tolerance,
                    w.max_forward_distance,
                    w.out_of_order_tolerance
                ));
            }
            for (leaf, (handshake, application)) in &tree.leaves {
                if !handshake.skipped.is_empty() {
                    return Some(format!(
                        "epoch {} leaf {leaf}: {} handshake keys kept, though handshakes are \
                         PublicMessages",
                        tree.epoch,
                        handshake.skipped.len()
                    ));
                }
                let model = self.ratchet(tree.epoch, *leaf);
                if application.next != model.next || application.skipped != model.skipped {
                    return Some(format!(
                        "epoch {} leaf {leaf}: stored ratchet at generation {} keeping {:?}, \
                         expected generation {} keeping {:?}",
                        tree.epoch,
                        application.next,
                        application.skipped,
                        model.next,
                        model.skipped
                    ));
                }
            }
            // A ratchet the model moved must be stored.
            for ((epoch, leaf), model) in self
                .ratchets
                .range((tree.epoch, 0)..=(tree.epoch, u32::MAX))
            {
                if *model != RatchetModel::default() && !tree.leaves.contains_key(leaf) {
                    return Some(format!(
                        "epoch {epoch} leaf {leaf}: ratchet at generation {} missing from the \
                         stored state",
                        model.next
                    ));
                }
            }
        }
        None
    }
}

/// One stored hash ratchet: its next generation and the generations whose keys it keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StoredRatchet {
    pub next: u32,
    pub skipped: BTreeSet<u32>,
}

/// One stored secret tree.
#[derive(Debug, Clone, Default)]
pub(crate) struct StoredTree {
    pub epoch: u64,
    pub max_forward_distance: u32,
    pub out_of_order_tolerance: u32,
    /// (handshake, application) ratchets by leaf.
    pub leaves: BTreeMap<u32, (StoredRatchet, StoredRatchet)>,
}

/// The ratchets record of a stored group (the split format's second blob, documented in
/// `cohort-group`'s `persist.rs`):
/// `u16 version (= 1) | u64 epoch | SecretTree | vector<u64 epoch, SecretTree>`.
#[derive(Debug, Clone, Default)]
pub(crate) struct StoredRatchets {
    pub current: StoredTree,
    pub past: Vec<StoredTree>,
}

/// The version of the ratchets record this parser reads.
const RATCHETS_VERSION: u16 = 1;

impl StoredRatchets {
    /// Parses a ratchets record; `Ok(None)` for a version this parser does not know (the check
    /// is then skipped, not failed).
    pub(crate) fn parse(bytes: &[u8]) -> Result<Option<Self>, CodecError> {
        let mut r = Reader::new(bytes);
        if u16::decode(&mut r)? != RATCHETS_VERSION {
            return Ok(None);
        }
        let epoch = u64::decode(&mut r)?;
        let current = parse_tree(&mut r, epoch)?;
        let mut past = Vec::new();
        let mut list = r.sub_reader()?;
        while !list.is_empty() {
            let epoch = u64::decode(&mut list)?;
            past.push(parse_tree(&mut list, epoch)?);
        }
        r.finish()?;
        Ok(Some(Self { current, past }))
    }
}

/// `SecretTree`: `u32 max_forward_distance | u32 out_of_order_tolerance | u32 leaf_count |
/// vector<u32 node, opaque secret> | vector<u32 leaf, HashRatchet handshake, HashRatchet
/// application>`.
fn parse_tree(r: &mut Reader<'_>, epoch: u64) -> Result<StoredTree, CodecError> {
    let max_forward_distance = u32::decode(r)?;
    let out_of_order_tolerance = u32::decode(r)?;
    let _leaf_count = u32::decode(r)?;
    let _nodes = r.sub_reader()?;
    let mut leaves = BTreeMap::new();
    let mut ratchets = r.sub_reader()?;
    while !ratchets.is_empty() {
        let leaf = u32::decode(&mut ratchets)?;
        let handshake = parse_ratchet(&mut ratchets)?;
        let application = parse_ratchet(&mut ratchets)?;
        leaves.insert(leaf, (handshake, application));
    }
    Ok(StoredTree {
        epoch,
        max_forward_distance,
        out_of_order_tolerance,
        leaves,
    })
}

/// `HashRatchet`: `opaque secret | u32 next | vector<u32 generation, opaque key, opaque nonce>`.
fn parse_ratchet(r: &mut Reader<'_>) -> Result<StoredRatchet, CodecError> {
    let _secret = r.read_opaque()?;
    let next = u32::decode(r)?;
    let mut skipped = BTreeSet::new();
    let mut keys = r.sub_reader()?;
    while !keys.is_empty() {
        skipped.insert(u32::decode(&mut keys)?);
        let _key = keys.read_opaque()?;
        let _nonce = keys.read_opaque()?;
    }
    Ok(StoredRatchet { next, skipped })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ratchet_model_keeps_the_newest_skipped_keys() {
        let w = Windows {
            max_past_epochs: 1,
            out_of_order_tolerance: 2,
            max_forward_distance: 5,
            ..Windows::default()
        };
        let mut m = MemberModel::joined(4);
        assert_eq!(m.predict(4, 4, 1, 3, &w), Prediction::Accept);
        m.take(4, 1, 3, &w);
        // 0 was evicted, 1 and 2 are kept.
        assert_eq!(m.predict(4, 4, 1, 0, &w), Prediction::OutsideWindow);
        assert_eq!(m.predict(4, 4, 1, 1, &w), Prediction::Accept);
        m.take(4, 1, 1, &w);
        // Used, but further back than the window: the library cannot tell it from evicted.
        assert_eq!(m.predict(4, 4, 1, 1, &w), Prediction::OutsideWindow);
        // Used inside the window: a duplicate.
        m.take(4, 1, 5, &w);
        assert_eq!(m.predict(4, 4, 1, 5, &w), Prediction::AlreadySeen);
        assert_eq!(m.predict(4, 4, 1, 12, &w), Prediction::TooFarAhead);
        assert_eq!(m.predict(4, 5, 1, 0, &w), Prediction::Future);
        m.advance(5, &w);
        assert_eq!(m.predict(5, 4, 1, 2, &w), Prediction::Accept);
        assert_eq!(m.retained_past(5, &w), vec![4]);
        m.advance(6, &w);
        assert_eq!(m.predict(6, 4, 1, 2, &w), Prediction::TooOld);
        assert_eq!(m.retained_past(6, &w), vec![5]);
        // A member that joined at 6 never had epoch 5.
        assert_eq!(
            MemberModel::joined(6).predict(6, 5, 0, 0, &w),
            Prediction::TooOld
        );
    }

    /// The parser reads what the library stores, and the model predicts it: skipped keys kept
    /// and evicted, a used key gone, the past epoch kept.
    #[test]
    fn the_stored_ratchets_are_what_the_model_predicts() {
        use std::sync::Arc;

        use cohort::credential::Credential;
        use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
        use cohort::group::GroupConfig;
        use cohort::storage::GroupStore;
        use cohort::storage::memory::MemoryStore;
        use cohort::{Client, Received};

        const NOW: u64 = 1_800_000_000;
        let w = Windows {
            max_past_epochs: 2,
            out_of_order_tolerance: 3,
            max_forward_distance: 50,
            ..Windows::default()
        };
        let mut config = GroupConfig::default();
        config.max_past_epochs = w.max_past_epochs;
        config.ratchet.out_of_order_tolerance = w.out_of_order_tolerance;
        config.ratchet.max_forward_distance = w.max_forward_distance;
        let p: Arc<dyn CryptoProvider> = Arc::new(cohort::crypto::aws_lc::provider());
        let suite = p.suite(CipherSuite(1)).expect("suite 1");
        let client = |name: &str, store: Arc<MemoryStore>| {
            Client::builder(p.clone())
                .signer(Arc::new(
                    SoftwareSigner::generate(suite.clone()).expect("key"),
                ))
                .credential(Credential::basic(name.as_bytes().to_vec()))
                .config(config.clone())
                .build(store)
                .expect("client")
        };
        let (alice_store, bob_store) = (Arc::new(MemoryStore::new()), Arc::new(MemoryStore::new()));
        let (alice, bob) = (
            client("alice", alice_store.clone()),
            client("bob", bob_store.clone()),
        );
        let mut a = alice.create_group(b"g", NOW).expect("create");
        let kp = bob.generate_key_package(NOW).expect("kp");
        let out = a.add_members(&[kp], NOW).expect("add");
        a.merge_pending_commit().expect("merge");
        let mut b = bob
            .join(&out.welcome.expect("welcome"), None, NOW)
            .expect("join");
        let epoch = a.epoch();
        let leaf = a.own_leaf().0;
        let (mut am, mut bm) = (MemberModel::joined(epoch - 1), MemberModel::joined(epoch));
        am.advance(epoch, &w);
        let sent: Vec<_> = (0..6)
            .map(|i| {
                assert_eq!(am.send(epoch, leaf), i);
                a.send_message(b"hi").expect("send")
            })
            .collect();
        let read = |b: &mut cohort::ClientGroup, i: usize| {
            matches!(
                b.process_message(sent[i].clone(), NOW),
                Ok(Received::Application { .. })
            )
        };
        // The library refuses generation `i` with the error the model predicts.
        let refused_as_predicted = |b: &mut cohort::ClientGroup, m: &MemberModel, i: u32| {
            let want = m
                .predict(epoch, epoch, leaf, i, &w)
                .error(epoch, epoch, leaf, i)
                .expect("a refusal");
            match b.process_message(sent[i as usize].clone(), NOW) {
                Err(cohort::Error::Delivery(got)) => assert_eq!(got, want),
                other => panic!("{other:?}, expected {want:?}"),
            }
        };
        // Generation 5 first: 0 to 4 are skipped, the newest three kept.
        assert_eq!(bm.predict(epoch, epoch, leaf, 5, &w), Prediction::Accept);
        assert!(read(&mut b, 5));
        bm.take(epoch, leaf, 5, &w);
        assert_eq!(
            bm.predict(epoch, epoch, leaf, 1, &w),
            Prediction::OutsideWindow
        );
        refused_as_predicted(&mut b, &bm, 1);
        assert!(read(&mut b, 3));
        bm.take(epoch, leaf, 3, &w);
        assert_eq!(
            bm.predict(epoch, epoch, leaf, 3, &w),
            Prediction::AlreadySeen
        );
        refused_as_predicted(&mut b, &bm, 3);

        let stored = |store: &MemoryStore, epoch: u64| {
            let bytes = store
                .read_epoch(b"g", epoch)
                .expect("read")
                .expect("record");
            StoredRatchets::parse(&bytes)
                .expect("parse")
                .expect("version 1")
        };
        assert_eq!(bm.check_stored(&stored(&bob_store, epoch), epoch, &w), None);
        assert_eq!(
            am.check_stored(&stored(&alice_store, epoch), epoch, &w),
            None
        );
        let kept = &stored(&bob_store, epoch).current.leaves[&leaf].1;
        assert_eq!(kept.skipped, BTreeSet::from([2, 4]));

        // A new epoch: the old one is kept, with its ratchets as they were.
        let out = b.self_update(NOW).expect("update");
        b.merge_pending_commit().expect("merge");
        match a.process_message(out.commit, NOW).expect("commit") {
            Received::Commit(staged) => {
                a.merge_staged(*staged).expect("merge");
            }
            other => panic!("{other:?}"),
        }
        am.advance(epoch + 1, &w);
        bm.advance(epoch + 1, &w);
        assert_eq!(
            bm.check_stored(&stored(&bob_store, epoch + 1), epoch + 1, &w),
            None
        );
        assert_eq!(
            am.check_stored(&stored(&alice_store, epoch + 1), epoch + 1, &w),
            None
        );
        // A model that forgot a used key disagrees.
        let mut wrong = bm.clone();
        wrong.take(epoch, leaf, 2, &w);
        assert!(
            wrong
                .check_stored(&stored(&bob_store, epoch + 1), epoch + 1, &w)
                .is_some()
        );
    }
}
