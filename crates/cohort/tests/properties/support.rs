//! What every property test shares: the backends, members of a sans-IO group, delivery through
//! an encode/decode round trip, the rejection check that compares a receiver's serialized state
//! before and after, and a small seeded generator so that random choices repeat exactly.

#![allow(
    dead_code,
    reason = "each property module uses a part of these helpers"
)]

use std::sync::Arc;

use cohort::codec::{Decode, Encode};
use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner, SuiteOps};
use cohort::group::{
    CommitOptions, CommitOutput, Group, GroupConfig, JoinInput, KeyPackageSecrets, LeafSpec,
    NoPsks, Processed, create_key_package,
};
use cohort::messages::key_package::KeyPackage;
use cohort::messages::welcome::Welcome;
use cohort::messages::{MlsMessage, MlsMessageBody};
use cohort::tree::math::LeafIndex;

/// The time every test runs at.
pub(crate) const NOW: u64 = 1_800_000_000;
/// The mandatory-to-implement suite, the one every backend offers.
pub(crate) const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

/// One crypto backend.
pub(crate) struct Backend {
    /// Its name, for failure messages.
    pub name: &'static str,
    /// The provider.
    pub provider: Arc<dyn CryptoProvider>,
}

impl Backend {
    /// The pure-Rust backend.
    pub(crate) fn rustcrypto() -> Self {
        Self {
            name: "rustcrypto",
            provider: Arc::new(cohort_crypto_rustcrypto::provider()),
        }
    }

    /// The ring backend.
    pub(crate) fn ring() -> Self {
        Self {
            name: "ring",
            provider: Arc::new(cohort_crypto_ring::provider()),
        }
    }

    /// The aws-lc-rs backend.
    pub(crate) fn aws_lc() -> Self {
        Self {
            name: "aws-lc",
            provider: Arc::new(cohort_crypto_aws_lc::provider()),
        }
    }

    /// Suite 1 of this backend.
    pub(crate) fn suite(&self) -> Arc<dyn SuiteOps> {
        self.provider.suite(CS).expect("every backend has suite 1")
    }

    /// A fresh signing key.
    pub(crate) fn signer(&self) -> SoftwareSigner {
        SoftwareSigner::generate(self.suite()).expect("signer")
    }

    /// A fresh KeyPackage of `name`, with its private keys and signer.
    pub(crate) fn key_package(
        &self,
        name: &str,
    ) -> (KeyPackage, KeyPackageSecrets, SoftwareSigner) {
        let signer = self.signer();
        let (kp, secrets) =
            create_key_package(&*self.provider, CS, &signer, &spec(name)).expect("KeyPackage");
        (kp, secrets, signer)
    }

    /// A one-member group of `name` with `config`.
    pub(crate) fn create(&self, name: &str, group_id: &[u8], config: GroupConfig) -> Member {
        let signer = self.signer();
        let group = Group::create(
            &*self.provider,
            CS,
            &signer,
            &spec(name),
            group_id.to_vec(),
            Vec::new(),
            config,
        )
        .expect("create");
        Member {
            name: name.to_owned(),
            signer,
            group,
        }
    }

    /// Joins from `welcome` with the KeyPackage `kp`.
    pub(crate) fn join(
        &self,
        welcome: &Welcome,
        kp: &KeyPackage,
        secrets: &KeyPackageSecrets,
        ratchet_tree: Option<cohort::tree::node::RatchetTreeNodes>,
        config: GroupConfig,
    ) -> Result<Group, cohort_group::Error> {
        let input = JoinInput {
            welcome,
            key_package: kp,
            secrets,
            ratchet_tree,
            now: Some(NOW),
        };
        Group::join(&*self.provider, input, &NoPsks, config)
    }

    /// Reloads a group from its serialized state.
    pub(crate) fn reload(&self, bytes: &[u8]) -> Group {
        Group::from_state_bytes(&*self.provider, bytes).expect("reload")
    }

    /// Reloads a group stored in the split format: its state and its ratchets.
    pub(crate) fn reload_split(&self, (state, ratchets): &(Vec<u8>, Option<Vec<u8>>)) -> Group {
        Group::from_split_state(&*self.provider, state, ratchets.as_deref()).expect("reload")
    }

    /// `inviter` adds `name`; every member of `others` processes the commit; the new member
    /// joins from the Welcome (with the tree in it) with `config`.
    pub(crate) fn add(
        &self,
        inviter: &mut Member,
        others: &mut [&mut Member],
        name: &str,
        config: GroupConfig,
    ) -> Member {
        let (kp, secrets, signer) = self.key_package(name);
        let out = inviter
            .group
            .add_members(
                &inviter.signer,
                vec![kp.clone()],
                &CommitOptions::new(),
                Some(NOW),
            )
            .expect("add");
        inviter.group.merge_pending_commit().expect("merge");
        for m in others.iter_mut() {
            apply(&mut m.group, &out.commit);
        }
        let group = self
            .join(&welcome_of(&out), &kp, &secrets, None, config)
            .expect("join");
        Member {
            name: name.to_owned(),
            signer,
            group,
        }
    }

    /// alice (leaf 0), bob (leaf 1) and carol (leaf 2) in one group, all with `config`.
    pub(crate) fn trio(&self, config: &GroupConfig) -> (Member, Member, Member) {
        let mut alice = self.create("alice", b"properties", config.clone());
        let mut bob = self.add(&mut alice, &mut [], "bob", config.clone());
        let carol = self.add(&mut alice, &mut [&mut bob], "carol", config.clone());
        same_epoch(&[&alice.group, &bob.group, &carol.group]);
        (alice, bob, carol)
    }
}

/// The leaf of `name`, valid around [`NOW`].
pub(crate) fn spec(name: &str) -> LeafSpec {
    LeafSpec::new(Credential::basic(name.as_bytes().to_vec()), NOW, 30)
}

/// A client in a group.
#[derive(Clone)]
pub(crate) struct Member {
    /// Its name, which is its basic credential's identity.
    pub name: String,
    /// Its signing key.
    pub signer: SoftwareSigner,
    /// Its group.
    pub group: Group,
}

impl Member {
    /// Its leaf.
    pub(crate) fn leaf(&self) -> LeafIndex {
        self.group.own_leaf()
    }

    /// An empty commit with a path, merged at once; returns the commit.
    pub(crate) fn self_update(&mut self, options: &CommitOptions) -> CommitOutput {
        let out = self
            .group
            .self_update(&self.signer, options, Some(NOW))
            .expect("self-update");
        self.group.merge_pending_commit().expect("merge");
        out
    }

    /// An application message.
    pub(crate) fn send(&mut self, data: &[u8]) -> MlsMessage {
        self.group
            .encrypt_application(&self.signer, data, b"", 0)
            .expect("encrypt")
    }
}

/// The Welcome of a commit that added members.
pub(crate) fn welcome_of(out: &CommitOutput) -> Welcome {
    match &out.welcome.as_ref().expect("a Welcome").body {
        MlsMessageBody::Welcome(w) => w.clone(),
        other => panic!("not a Welcome: {other:?}"),
    }
}

/// The message as another client receives it: encoded and decoded again.
pub(crate) fn wire(msg: &MlsMessage) -> MlsMessage {
    MlsMessage::from_bytes(&msg.to_bytes().expect("encode")).expect("decode")
}

/// Delivers `msg` to `to`.
pub(crate) fn deliver(to: &mut Group, msg: &MlsMessage) -> Result<Processed, cohort_group::Error> {
    to.process_message(wire(msg), &NoPsks, Some(NOW))
}

/// Delivers a commit, which must be accepted, and merges it.
pub(crate) fn apply(to: &mut Group, msg: &MlsMessage) {
    match deliver(to, msg).expect("the commit must be accepted") {
        Processed::Commit(staged) => to.merge_staged(*staged).expect("merge"),
        other => panic!("expected a commit, got {other:?}"),
    }
}

/// Delivers an application message, which must be accepted; returns its data.
pub(crate) fn read(to: &mut Group, msg: &MlsMessage) -> Vec<u8> {
    match deliver(to, msg).expect("the message must be accepted") {
        Processed::Application { data, .. } => data,
        other => panic!("expected application data, got {other:?}"),
    }
}

/// Delivers `msg`, which must be rejected, and checks that the group's serialized state is
/// byte for byte what it was. Returns the error.
pub(crate) fn reject(to: &mut Group, msg: &MlsMessage) -> cohort_group::Error {
    reject_bytes(to, &msg.to_bytes().expect("encode")).expect("decoded, then rejected")
}

/// Delivers an encoded message: `None` when it does not even decode, the error when it decodes
/// and is rejected. Panics when it is accepted, or when a rejection changed the state.
pub(crate) fn reject_bytes(to: &mut Group, bytes: &[u8]) -> Option<cohort_group::Error> {
    let msg = MlsMessage::from_bytes(bytes).ok()?;
    let before = to.to_state_bytes().expect("save");
    let result = to.process_message(msg, &NoPsks, Some(NOW));
    let err = match result {
        Ok(p) => panic!("accepted: {p:?}"),
        Err(e) => e,
    };
    assert_eq!(
        *to.to_state_bytes().expect("save"),
        *before,
        "the state changed on rejection: {err}"
    );
    Some(err)
}

/// Every group is in the same epoch with the same epoch authenticator.
pub(crate) fn same_epoch(groups: &[&Group]) {
    for g in groups {
        assert_eq!(g.epoch(), groups[0].epoch());
        assert_eq!(g.epoch_authenticator(), groups[0].epoch_authenticator());
    }
}

/// A small deterministic generator (SplitMix64): random choices that repeat from a seed.
pub(crate) struct Rng(u64);

impl Rng {
    /// The generator for `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n` > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("fits")
    }
}

/// Bit positions to flip in a message of `len` bytes: every bit of the first `head` bytes (the
/// framing and length prefixes, where a decoder could be lenient), then `samples` positions
/// spread evenly over the rest with a seeded jitter, so every region is hit.
pub(crate) fn bit_positions(len: usize, head: usize, samples: usize, seed: u64) -> Vec<usize> {
    let head = head.min(len);
    let mut out: Vec<usize> = (0..head * 8).collect();
    let rest = (len - head) * 8;
    if rest > 0 {
        let mut rng = Rng::new(seed);
        let step = (rest / samples.max(1)).max(1);
        let mut at = head * 8;
        while at < len * 8 {
            out.push(at + rng.below(step).min(len * 8 - at - 1));
            at += step;
        }
    }
    out
}

/// `bytes` with bit `bit` flipped.
pub(crate) fn flipped(bytes: &[u8], bit: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[bit / 8] ^= 1 << (bit % 8);
    out
}

/// The UpdatePath of a commit sent as a PublicMessage.
pub(crate) fn update_path(msg: &MlsMessage) -> cohort::tree::path::UpdatePath {
    use cohort::messages::framing::Content;
    let MlsMessageBody::PublicMessage(public) = &msg.body else {
        panic!("not a PublicMessage")
    };
    let Content::Commit(commit) = &public.content.content else {
        panic!("not a commit")
    };
    commit.path.clone().expect("a path")
}

/// Checks that each node of the UpdatePath of `msg`, a commit by `committer`, carries exactly
/// one ciphertext per node of its copath child's resolution in `tree` (the tree after the
/// commit) minus the leaves the commit added, and that no ciphertext goes to a leaf outside
/// `tree`'s members. Returns the total number of ciphertexts.
pub(crate) fn check_path_recipients(
    msg: &MlsMessage,
    tree: &cohort_tree::RatchetTree,
    committer: LeafIndex,
    joiners: &[LeafIndex],
) -> usize {
    let path = update_path(msg);
    let filtered = tree.filtered_direct_path(committer);
    assert_eq!(
        path.nodes.len(),
        filtered.len(),
        "one path node per filtered node"
    );
    let mut total = 0;
    for (node, (_, copath_child)) in path.nodes.iter().zip(filtered) {
        let recipients = tree
            .resolution(copath_child)
            .into_iter()
            .filter(|x| !joiners.iter().any(|j| j.node() == *x))
            .count();
        assert_eq!(
            node.encrypted_path_secret.len(),
            recipients,
            "ciphertexts for copath node {copath_child:?}"
        );
        total += recipients;
    }
    total
}
