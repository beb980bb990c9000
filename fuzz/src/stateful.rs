//! The stateful target's harness (issue 20, item 1): a fuzz input is a script that drives a
//! small cohort group, 3 to 5 members on one of several cipher suites, through honest and
//! forged operations.
//!
//! Each step picks an acting member and an operation: an application message, a proposal
//! (Remove, Update, PSK, GroupContextExtensions, Add), a commit (adds, removes, PSKs, GCE,
//! a self-update, and every proposal cached this epoch by reference), an external join, or the
//! replay of the last message. Honest operations go through the engine's API. Forged ones are
//! built from the structure an honest operation produced (or from scratch), mutated, and signed,
//! MACed and encrypted again with the sender's keys (`cohort_group::internal::testing`); a forged
//! commit gets the confirmation tag its receivers derive
//! ([`testing::derived_confirmation_tag`]), so that it is checked as deep as the tree validation,
//! the proposal-list rules, the path secrets and the key schedule, not only at the signature.
//!
//! Invariants (a panic is a finding):
//!
//! - nothing panics;
//! - a rejected message leaves the receiver's serialized state byte for byte as it was;
//! - an honest message is accepted by every member it is delivered to;
//! - a forged message is accepted by all of its receivers or by none, and after an accepted
//!   commit every member is in one epoch with one epoch authenticator.
//!
//! Receivers may disagree only in the classes the RFC leaves to each receiver, excused one by
//! one in `World::excused` and `World::broadcast`: a corrupted path ciphertext is seen only by
//! the member it is encrypted to (§12.4.2); a removed member checks neither the path nor the
//! confirmation tag; a resumption PSK is held only by members that were in the group in its
//! epoch (§8.6); a forged Update in a member's name leaves that member without the private key
//! (§12.1.2); and a message forged in another member's name, with its key, is refused by that
//! member as its own. The members that rejected are then left behind and the script ends. A
//! forged commit that every receiver accepts leaves its sender behind too (its pending state is
//! the template, not what was sent).
//!
//! The starting groups are built once per process; each input clones them, so an execution
//! costs only its own steps.

use std::sync::{Arc, OnceLock};

use cohort_codec::{Decode, Encode, VarBytes};
use cohort_credential::Credential;
use cohort_crypto::{
    CipherSuite, CryptoProvider, Secret, SignaturePublicKey, Signer, SoftwareSigner, SuiteOps,
    labeled,
};
use cohort_group::internal::testing;
use cohort_group::reason::CommitReason;
use cohort_group::{
    CommitOptions, Error, Group, GroupConfig, GroupStatus, HandshakeFormat, JoinInput,
    KeyPackageSecrets, LeafSpec, NoPsks, Processed, PskList, ValidationError, create_key_package,
};
use cohort_messages::framing::{
    AuthenticatedContent, Content, FramedContent, FramedContentAuthData, Mac, Sender,
};
use cohort_messages::key_package::KeyPackage;
use cohort_messages::proposal::{
    Add, ExternalInit, GroupContextExtensions, PreSharedKey, Proposal, ProposalOrRef, ProposalRef,
    ReInit, Remove, Update,
};
use cohort_messages::psk::{PreSharedKeyId, Psk, ResumptionPskUsage};
use cohort_messages::{MlsMessage, MlsMessageBody, WireFormat};
use cohort_tree::extension::{Extension, ExtensionType};
use cohort_tree::leaf::{LeafNode, LeafNodeSource, Lifetime, ProposalType, ProtocolVersion};
use cohort_tree::math::LeafIndex;
use cohort_tree::path::UpdatePath;
use libfuzzer_sys::arbitrary::Unstructured;

/// The time every script runs at (seconds since the Unix epoch): no wall clock.
const NOW: u64 = 1_800_000_000;
/// The bytes of an input a script may read.
const MAX_INPUT: usize = 1024;
/// The most steps a script runs.
const MAX_STEPS: usize = 6;
/// The external PSKs every member holds (and a third id nobody holds).
const PSK_IDS: [&[u8]; 3] = [b"psk-0", b"psk-1", b"psk-unknown"];

/// Whether `STATEFUL_TRACE` is set: each step and delivery is then printed, for triage
/// (`STATEFUL_TRACE=1 fuzz/target/<host>/release/stateful_group <input>`).
fn tracing() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("STATEFUL_TRACE").is_some())
}

/// A short description of `msg` for the trace.
fn summary(msg: &MlsMessage) -> String {
    match &msg.body {
        MlsMessageBody::PublicMessage(m) => format!(
            "public {:?} from {:?}: {:?}",
            m.content.content.content_type(),
            m.content.sender,
            m.content.content
        ),
        MlsMessageBody::PrivateMessage(_) => "private".to_string(),
        other => format!("{:?}", std::mem::discriminant(other)),
    }
}

/// Runs one fuzz input as a script.
///
/// # Panics
/// When cohort breaks one of the invariants of the module documentation.
pub fn run(data: &[u8]) {
    // A script never reads that far: a longer input runs as its prefix, which keeps the corpus
    // small.
    let data = &data[..data.len().min(MAX_INPUT)];
    let mut u = Unstructured::new(data);
    let starts = starts();
    let start = &starts[below(&mut u, starts.len())];
    let mut world = World::new(start);
    for _ in 0..MAX_STEPS {
        if u.is_empty() || world.over {
            break;
        }
        world.step(&mut u);
    }
}

// ---------------------------------------------------------------------------------------------
// Starting groups, built once.

/// A client: its signer, and its group once it is a member.
#[derive(Clone)]
struct Member {
    group: Group,
    signer: SoftwareSigner,
    /// Still followed by the script: not removed, not left behind by a forged commit.
    live: bool,
    /// The epoch it joined in (for the resumption PSKs it can have).
    joined: u64,
    /// A forged Update proposal in its name was cached this epoch: it holds no private key for
    /// it.
    forged_update: bool,
}

/// A client that is not a member yet, with a KeyPackage made in advance.
#[derive(Clone)]
struct Joiner {
    key_package: KeyPackage,
    secrets: KeyPackageSecrets,
    signer: SoftwareSigner,
    spec: LeafSpec,
    /// Its KeyPackage went into a proposal or commit of this script.
    used: bool,
    /// It is a member now, or joined by external commit: it is not used again.
    spent: bool,
}

/// A group as a script starts from.
struct Start {
    suite: Arc<dyn SuiteOps>,
    members: Vec<Member>,
    joiners: Vec<Joiner>,
    /// The confirmation tag of the group's current epoch.
    tag: Vec<u8>,
}

/// The starting groups: (suite, size) pairs, on [`provider`]'s backend. The suites are the
/// X25519/Ed25519 ones (AES-GCM and ChaCha20-Poly1305): the P-256 suite doubles the cost of an
/// execution.
fn starts() -> &'static [Start] {
    static STARTS: OnceLock<Vec<Start>> = OnceLock::new();
    STARTS.get_or_init(|| {
        [
            (CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519, 3),
            (
                CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519,
                4,
            ),
            (CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519, 5),
        ]
        .into_iter()
        .map(|(cs, size)| build_start(cs, size))
        .collect()
    })
}

/// The backend of every group: the no-security fuzzing provider ([`crate::provider`]), whose
/// fake X25519 and Ed25519 cost a hash instead of a scalar multiplication. For real crypto,
/// return `cohort_crypto_aws_lc::provider()` here.
fn provider() -> impl CryptoProvider {
    crate::provider::provider()
}

/// Every client lists SelfRemove, AppDataUpdate and AppEphemeral (draft-ietf-mls-extensions)
/// but `joiner-2`: once it joins, the group is no longer self-remove-capable (X-SR-01), and
/// commits carrying the other two are refused (X-AD-06).
fn spec(name: &str) -> LeafSpec {
    let mut spec = LeafSpec::new(Credential::basic(name.as_bytes().to_vec()), NOW, 30);
    if name != "joiner-2" {
        spec.capabilities.proposals = vec![
            ProposalType::SELF_REMOVE,
            ProposalType::APP_DATA_UPDATE,
            ProposalType::APP_EPHEMERAL,
        ];
    }
    spec
}

/// The component every client knows (with replace semantics); others are unknown (X-AD-01).
const COMPONENT: cohort_messages::components::ComponentId =
    cohort_messages::components::ComponentId(0x8001);

/// The clients' configuration: the defaults, and the application component [`COMPONENT`].
fn config() -> GroupConfig {
    GroupConfig::default().with_app_components(std::sync::Arc::new(
        cohort_group::ReplaceAppData::new([COMPONENT]),
    ))
}

fn psks(suite: &dyn SuiteOps) -> PskList {
    PskList(
        PSK_IDS[..2]
            .iter()
            .map(|id| (id.to_vec(), Secret::new(vec![0x42; suite.hash_len()])))
            .collect(),
    )
}

fn new_joiner(cs: CipherSuite, suite: &Arc<dyn SuiteOps>, name: &str) -> Joiner {
    let signer = SoftwareSigner::generate(suite.clone()).expect("signer");
    let spec = spec(name);
    let (key_package, secrets) =
        create_key_package(&provider(), cs, &signer, &spec).expect("key package");
    Joiner {
        key_package,
        secrets,
        signer,
        spec,
        used: false,
        spent: false,
    }
}

/// Creates a group of `size` members on `cs` (each added by the creator), and three clients
/// that can join later.
fn build_start(cs: CipherSuite, size: usize) -> Start {
    let p = provider();
    let suite = p.suite(cs).expect("the backend supports the suite");
    let signer = SoftwareSigner::generate(suite.clone()).expect("signer");
    let group = Group::create(
        &p,
        cs,
        &signer,
        &spec("member-0"),
        b"stateful-fuzz".to_vec(),
        Vec::new(),
        config(),
    )
    .expect("create");
    let mut members = vec![Member {
        group,
        signer,
        live: true,
        joined: 0,
        forged_update: false,
    }];
    let mut tag = Vec::new();
    for i in 1..size {
        let j = new_joiner(cs, &suite, &format!("member-{i}"));
        let creator = &mut members[0];
        let out = creator
            .group
            .add_members(
                &creator.signer,
                vec![j.key_package.clone()],
                &CommitOptions::new(),
                Some(NOW),
            )
            .expect("add");
        tag = creator
            .group
            .pending_commit_confirmation_tag()
            .expect("pending")
            .to_vec();
        creator.group.merge_pending_commit().expect("merge");
        for m in &mut members[1..] {
            let wire =
                MlsMessage::from_bytes(&out.commit.to_bytes().expect("encode")).expect("decode");
            match m.group.process_message(wire, &NoPsks, Some(NOW)) {
                Ok(Processed::Commit(staged)) => m.group.merge_staged(*staged).expect("merge"),
                other => panic!("setup: the add was not accepted: {other:?}"),
            }
        }
        let Some(MlsMessageBody::Welcome(welcome)) = out.welcome.map(|w| w.body) else {
            panic!("setup: no Welcome")
        };
        let input = JoinInput {
            welcome: &welcome,
            key_package: &j.key_package,
            secrets: &j.secrets,
            ratchet_tree: None,
            now: Some(NOW),
        };
        let group = Group::join(&p, input, &NoPsks, config()).expect("join");
        let joined = group.epoch();
        members.push(Member {
            group,
            signer: j.signer,
            live: true,
            joined,
            forged_update: false,
        });
    }
    let joiners = (0..3)
        .map(|i| new_joiner(cs, &suite, &format!("joiner-{i}")))
        .collect();
    Start {
        suite,
        members,
        joiners,
        tag,
    }
}

// ---------------------------------------------------------------------------------------------
// The script.

/// Whether a message is the engine's own or was forged, and what the forging touched.
#[derive(Clone, Copy, Default)]
struct Forgery {
    forged: bool,
    /// A path ciphertext was changed: only the member it is encrypted to can tell (RFC 9420
    /// §12.4.2 has each receiver decrypt only its own), so receivers may disagree.
    ciphertext: bool,
    /// The commit names another member than its real sender (signed with either key): that
    /// member refuses it as its own commit (RFC 9420 §12.4.2 has a member merge its own commits
    /// from its pending state), where the others may accept it.
    impersonated: Option<LeafIndex>,
}

/// The state of one execution.
struct World {
    suite: Arc<dyn SuiteOps>,
    members: Vec<Member>,
    joiners: Vec<Joiner>,
    psks: PskList,
    /// The confirmation tag of the current epoch.
    tag: Vec<u8>,
    /// The last message delivered, for replays.
    last: Option<MlsMessage>,
    /// The script stopped (a legitimate split, or nobody left to act).
    over: bool,
}

/// What a member made of a message delivered to it.
enum Outcome {
    Accepted(Processed),
    Rejected(Error),
}

impl World {
    fn new(start: &Start) -> Self {
        Self {
            suite: start.suite.clone(),
            members: start.members.clone(),
            joiners: start.joiners.clone(),
            psks: psks(&*start.suite),
            tag: start.tag.clone(),
            last: None,
            over: false,
        }
    }

    /// Runs one step of the script.
    fn step(&mut self, u: &mut Unstructured<'_>) {
        let actors: Vec<usize> = (0..self.members.len())
            .filter(|&i| {
                self.members[i].live && self.members[i].group.status() == GroupStatus::Active
            })
            .collect();
        if actors.is_empty() {
            self.over = true;
            return;
        }
        let actor = actors[below(u, actors.len())];
        // Cheap operations are the common ones: a commit costs several times an application
        // message.
        let op = byte(u) % 32;
        if tracing() {
            eprintln!(
                "STEP\tactor {actor} (leaf {:?}), op {op}",
                self.members[actor].group.own_leaf()
            );
        }
        match op {
            0..=7 => self.application(u, actor),
            8..=10 => self.forged_application(u, actor),
            11..=15 => self.proposal(u, actor),
            16..=20 => self.forged_proposal(u, actor),
            21..=24 => self.commit(u, actor),
            25..=29 => self.forged_commit(u, actor),
            30 => self.external_join(u, actor),
            _ => self.replay(),
        }
    }

    /// The live members but `except`.
    fn receivers(&self, except: Option<usize>) -> Vec<usize> {
        (0..self.members.len())
            .filter(|&i| Some(i) != except && self.members[i].live)
            .collect()
    }

    /// Delivers `msg` (encoded and decoded again, as the network would) to member `to`, and
    /// checks that a rejection leaves its state unchanged. `None` when the message does not
    /// survive the encoding round trip.
    fn deliver(&mut self, to: usize, msg: &MlsMessage) -> Option<Outcome> {
        let wire = msg.to_bytes().ok()?;
        let decoded = MlsMessage::from_bytes(&wire).ok()?;
        let m = &mut self.members[to];
        let before = m.group.to_state_bytes().expect("state encodes");
        if tracing() {
            eprintln!(
                "DELIVER\tto {to} (leaf {:?}, epoch {})\t{:?}",
                m.group.own_leaf(),
                m.group.epoch(),
                summary(&decoded)
            );
        }
        let result = m.group.process_message(decoded, &self.psks, Some(NOW));
        if tracing() {
            eprintln!(
                "RESULT\t{:?}",
                result.as_ref().map(|_| ()).map_err(ToString::to_string)
            );
        }
        match result {
            Ok(p) => Some(Outcome::Accepted(p)),
            Err(e) => {
                let after = m.group.to_state_bytes().expect("state encodes");
                assert!(
                    *before == *after,
                    "member {to} rejected a message ({e}) and its state changed"
                );
                Some(Outcome::Rejected(e))
            }
        }
    }

    /// Delivers a non-commit to `to_all`; a forged one must be accepted by all or none, an
    /// honest one by all. Returns the members that accepted.
    fn broadcast(
        &mut self,
        msg: &MlsMessage,
        to_all: &[usize],
        forged: bool,
        impersonated: Option<LeafIndex>,
    ) -> Vec<usize> {
        self.last = Some(msg.clone());
        let mut accepted = Vec::new();
        let mut rejected = Vec::new();
        for &r in to_all {
            match self.deliver(r, msg) {
                Some(Outcome::Accepted(Processed::Commit(_))) => {
                    panic!("member {r} staged a commit from a non-commit message")
                }
                Some(Outcome::Accepted(_)) => accepted.push(r),
                Some(Outcome::Rejected(e)) => rejected.push((r, e)),
                None => return Vec::new(),
            }
        }
        if !forged {
            if let Some((r, e)) = rejected.first() {
                panic!("member {r} rejected an honest message: {e}");
            }
        } else if !accepted.is_empty() && !rejected.is_empty() {
            // A message forged in another member's name, with its key: that member's view of
            // its own ratchet and proposals is not the others' (a member never reads its own
            // messages, RFC 9420 §6.3), so it alone may reject. It is left behind.
            let mut unexcused = Vec::new();
            for (r, e) in rejected {
                if Some(self.members[r].group.own_leaf()) == impersonated {
                    self.members[r].live = false;
                } else {
                    unexcused.push(format!("{r}: {e}"));
                }
            }
            assert!(
                unexcused.is_empty(),
                "receivers disagree on a forged message: accepted by {accepted:?}, rejected by \
                 {unexcused:?}"
            );
        }
        accepted
    }

    // ------------------------------------------------------------------ application messages

    fn application(&mut self, u: &mut Unstructured<'_>, actor: usize) {
        let data = bytes(u, 24);
        let aad = if flag(u) { bytes(u, 8) } else { Vec::new() };
        let padding = usize::from(byte(u) % 4) * 8;
        let m = &mut self.members[actor];
        let Ok(msg) = m.group.encrypt_application(&m.signer, &data, &aad, padding) else {
            return;
        };
        let to = self.receivers(Some(actor));
        self.broadcast(&msg, &to, false, None);
    }

    /// A forged application message, sealed by a copy of the sender's group so that the sender
    /// itself receives it like every other member.
    fn forged_application(&mut self, u: &mut Unstructured<'_>, actor: usize) {
        let data = bytes(u, 24);
        let mut content = self.content(actor, Content::Application(data.into()));
        let mut signer = self.members[actor].signer.clone();
        let mut tweak_at = None;
        let mut padding = 0;
        match byte(u) % 8 {
            0 => content.epoch = content.epoch.wrapping_add(1),
            1 => content.epoch = content.epoch.wrapping_sub(1),
            2 => content.sender = Sender::Member(LeafIndex(u32::from(byte(u) % 8))),
            3 => content.group_id = flip(&content.group_id, 0).into(),
            4 => {
                padding = 1 + usize::from(byte(u) % 16);
                tweak_at = Some(usize::MAX);
            }
            5 => tweak_at = Some(usize::from(byte(u))),
            6 => signer = self.other_signer(u, actor),
            _ => content.authenticated_data = bytes(u, 16).into(),
        }
        let own = self.members[actor].group.own_leaf();
        let content_sender = content.sender;
        let mut sealer = self.members[actor].group.clone();
        let Ok(signature) = cohort_group::framing::sign_content(
            &signer,
            WireFormat::PRIVATE_MESSAGE,
            &content,
            sealer.context(),
        ) else {
            return;
        };
        let auth = FramedContentAuthData {
            signature,
            confirmation_tag: None,
        };
        let tweak = move |plain: &mut Vec<u8>| match tweak_at {
            // The last byte is padding when there is some.
            Some(usize::MAX) => {
                if let Some(b) = plain.last_mut() {
                    *b ^= 1;
                }
            }
            Some(i) if !plain.is_empty() => {
                let i = i % plain.len();
                plain[i] ^= 0x80;
            }
            _ => {}
        };
        let Ok(msg) = testing::seal(
            &mut sealer,
            content,
            auth,
            HandshakeFormat::Private,
            padding,
            Some(&tweak),
        ) else {
            return;
        };
        let impersonated = match content_sender {
            Sender::Member(l) if l != own => Some(l),
            _ => None,
        };
        let to = self.receivers(None);
        self.broadcast(&msg, &to, true, impersonated);
    }

    // --------------------------------------------------------------------------- proposals

    fn proposal(&mut self, u: &mut Unstructured<'_>, actor: usize) {
        let format = format(u);
        let choice = byte(u) % 6;
        let proposal = match choice {
            0 => {
                let target = self.pick_leaf(u);
                Proposal::Remove(Remove { removed: target })
            }
            1 => {
                let m = &mut self.members[actor];
                let Ok(msg) = m.group.propose_update(&m.signer, format, Some(NOW)) else {
                    return;
                };
                let to = self.receivers(Some(actor));
                self.broadcast(&msg, &to, false, None);
                return;
            }
            2 => {
                let id = PSK_IDS[below(u, 2)];
                let m = &mut self.members[actor];
                let Ok(msg) = m
                    .group
                    .propose_external_psk(&m.signer, id, format, Some(NOW))
                else {
                    return;
                };
                let to = self.receivers(Some(actor));
                self.broadcast(&msg, &to, false, None);
                return;
            }
            3 => Proposal::GroupContextExtensions(GroupContextExtensions {
                extensions: extensions(u),
            }),
            5 => {
                // Refused by the sender where the group is not self-remove-capable.
                let m = &mut self.members[actor];
                let Ok(msg) = m.group.propose_self_remove(&m.signer, Some(NOW)) else {
                    return;
                };
                let to = self.receivers(Some(actor));
                self.broadcast(&msg, &to, false, None);
                return;
            }
            _ => {
                let Some(j) = self.take_joiner(u) else { return };
                Proposal::Add(Add {
                    key_package: self.joiners[j].key_package.clone(),
                })
            }
        };
        let m = &mut self.members[actor];
        let Ok(msg) = m.group.propose(&m.signer, proposal, format, Some(NOW)) else {
            return;
        };
        let to = self.receivers(Some(actor));
        self.broadcast(&msg, &to, false, None);
    }

    /// A proposal built by hand, possibly invalid, sealed by a copy of the sender's group and
    /// delivered to every member, the sender included (so that every cache holds it or none).
    fn forged_proposal(&mut self, u: &mut Unstructured<'_>, actor: usize) {
        let proposal = self.hostile_proposal(u, actor);
        let is_update = matches!(proposal, Proposal::Update(_));
        let format = format(u);
        let mut content = self.content(actor, Content::Proposal(proposal));
        let mut signer = self.members[actor].signer.clone();
        if byte(u).is_multiple_of(4) {
            // Sent in another member's name, and maybe with its key.
            let other = self.pick_member(u);
            content.sender = Sender::Member(self.members[other].group.own_leaf());
            if flag(u) {
                signer = self.members[other].signer.clone();
            }
        }
        let Sender::Member(leaf) = content.sender else {
            return;
        };
        let mut sealer = self.members[actor].group.clone();
        let Ok(msg) = testing::protect(&mut sealer, &signer, content, None, format) else {
            return;
        };
        let own = self.members[actor].group.own_leaf();
        let impersonated = Some(leaf).filter(|l| *l != own);
        let to = self.receivers(None);
        let accepted = self.broadcast(&msg, &to, true, impersonated);
        if is_update
            && !accepted.is_empty()
            && let Some(m) = self
                .members
                .iter_mut()
                .find(|m| m.live && m.group.own_leaf() == leaf)
        {
            m.forged_update = true;
        }
    }

    // ----------------------------------------------------------------------------- commits

    /// The by-value proposals of a commit, chosen by the script.
    fn commit_proposals(&mut self, u: &mut Unstructured<'_>, actor: usize) -> Vec<Proposal> {
        let mut proposals = Vec::new();
        for _ in 0..byte(u) % 3 {
            match byte(u) % 5 {
                0 => {
                    if let Some(j) = self.take_joiner(u) {
                        proposals.push(Proposal::Add(Add {
                            key_package: self.joiners[j].key_package.clone(),
                        }));
                    }
                }
                1 => {
                    let others = self.receivers(Some(actor));
                    if !others.is_empty() {
                        let r = others[below(u, others.len())];
                        proposals.push(Proposal::Remove(Remove {
                            removed: self.members[r].group.own_leaf(),
                        }));
                    }
                }
                2 => proposals.push(Proposal::PreSharedKey(PreSharedKey {
                    psk: PreSharedKeyId {
                        psk: Psk::External {
                            psk_id: PSK_IDS[below(u, 2)].to_vec().into(),
                        },
                        psk_nonce: vec![byte(u); self.suite.hash_len()].into(),
                    },
                })),
                3 => proposals.push(Proposal::GroupContextExtensions(GroupContextExtensions {
                    extensions: extensions(u),
                })),
                _ => {
                    let epoch = self.members[actor].group.epoch();
                    let latest_join = self
                        .members
                        .iter()
                        .filter(|m| m.live)
                        .map(|m| m.joined)
                        .max()
                        .unwrap_or(0);
                    proposals.push(Proposal::PreSharedKey(PreSharedKey {
                        psk: PreSharedKeyId {
                            psk: Psk::Resumption {
                                usage: ResumptionPskUsage::Application,
                                psk_group_id: self.members[actor].group.group_id().to_vec().into(),
                                // An epoch every member was in, so that every member holds
                                // it (forged commits try the others).
                                psk_epoch: epoch
                                    .saturating_sub(u64::from(byte(u) % 3))
                                    .max(latest_join),
                            },
                            psk_nonce: vec![byte(u); self.suite.hash_len()].into(),
                        },
                    }));
                }
            }
        }
        proposals
    }

    fn commit(&mut self, u: &mut Unstructured<'_>, actor: usize) {
        let proposals = self.commit_proposals(u, actor);
        let mut options = CommitOptions::new();
        options.force_path = flag(u);
        options.format = format(u);
        options.group_info = false;
        let m = &mut self.members[actor];
        let Ok(out) = m
            .group
            .commit(&m.signer, proposals, &options, &self.psks, Some(NOW))
        else {
            return;
        };
        self.settle_commit(&out.commit, Some(actor), Forgery::default(), out.welcome);
    }

    /// A commit made by the engine, then mutated and protected again with the committer's keys
    /// and the confirmation tag a receiver derives for it.
    fn forged_commit(&mut self, u: &mut Unstructured<'_>, actor: usize) {
        let proposals = self.commit_proposals(u, actor);
        let mut options = CommitOptions::new();
        options.force_path = flag(u);
        options.group_info = false;
        let m = &mut self.members[actor];
        let out = m
            .group
            .commit(&m.signer, proposals, &options, &self.psks, Some(NOW));
        // The engine's commit is only a template: it is never sent or merged.
        m.group.clear_pending_commit();
        let Ok(out) = out else { return };
        let MlsMessageBody::PublicMessage(public) = out.commit.body else {
            return;
        };
        let mut content = public.content;
        let Content::Commit(mut commit) = content.content else {
            return;
        };
        let mut forgery = Forgery {
            forged: true,
            ..Forgery::default()
        };
        let leaf = self.members[actor].group.own_leaf();
        let group_id = self.members[actor].group.group_id().to_vec();
        let mut signer = self.members[actor].signer.clone();
        let mut wire_format = format(u);
        let mut seal_format = wire_format;
        let mut bad_tag = false;
        for _ in 0..1 + byte(u) % 3 {
            match byte(u) % 8 {
                0..=2 => self.mutate_list(u, actor, &mut commit.proposals),
                3..=5 => {
                    let mut path = commit.path.take();
                    if let Some(p) = &mut path {
                        forgery.ciphertext |= self.mutate_path(u, actor, p, &group_id, leaf);
                    }
                    commit.path = path.filter(|_| !byte(u).is_multiple_of(8));
                }
                _ => match byte(u) % 6 {
                    0 => content.authenticated_data = bytes(u, 16).into(),
                    1 => content.epoch = content.epoch.wrapping_add(1),
                    2 => {
                        let other = LeafIndex(u32::from(byte(u) % 8));
                        content.sender = Sender::Member(other);
                        forgery.impersonated = Some(other).filter(|l| *l != leaf);
                        if flag(u) {
                            signer = self.other_signer(u, actor);
                        }
                    }
                    3 => signer = self.other_signer(u, actor),
                    4 => {
                        // Signed for one wire format, sent in the other.
                        seal_format = match wire_format {
                            HandshakeFormat::Public => HandshakeFormat::Private,
                            HandshakeFormat::Private => HandshakeFormat::Public,
                        };
                        wire_format = seal_format;
                        seal_format = match wire_format {
                            HandshakeFormat::Public => HandshakeFormat::Private,
                            HandshakeFormat::Private => HandshakeFormat::Public,
                        };
                    }
                    _ => bad_tag = true,
                },
            }
        }
        content.content = Content::Commit(commit);
        let context = self.members[actor].group.context().clone();
        let Ok(signature) =
            cohort_group::framing::sign_content(&signer, wire(wire_format), &content, &context)
        else {
            return;
        };
        let placeholder = public
            .auth
            .confirmation_tag
            .unwrap_or_else(|| Mac(vec![0; self.suite.hash_len()].into()));
        let tag = self.derive_tag(&content, wire(wire_format), &signature, placeholder, actor);
        let tag = if bad_tag {
            Mac(flip(&tag.0, byte(u).into()).into())
        } else {
            tag
        };
        let auth = FramedContentAuthData {
            signature,
            confirmation_tag: Some(tag),
        };
        // Sealed by a copy: a commit in another member's name takes a key of that member's
        // ratchet, which the actor's own group must not lose (the commit is rejected, or
        // accepted and the actor left behind, either way the copy is dropped).
        let mut sealer = self.members[actor].group.clone();
        let Ok(msg) = testing::seal(&mut sealer, content, auth, seal_format, 0, None) else {
            return;
        };
        self.settle_commit(&msg, Some(actor), forgery, None);
    }

    /// The confirmation tag a receiver that the commit does not remove derives for it, or
    /// `placeholder` when none derives one (the commit is then rejected anyway).
    fn derive_tag(
        &self,
        content: &FramedContent,
        wire_format: WireFormat,
        signature: &[u8],
        placeholder: Mac,
        sender: usize,
    ) -> Mac {
        let ac = AuthenticatedContent {
            wire_format,
            content: content.clone(),
            auth: FramedContentAuthData {
                signature: signature.to_vec().into(),
                confirmation_tag: Some(placeholder.clone()),
            },
        };
        for r in self.receivers(Some(sender)) {
            match testing::derived_confirmation_tag(
                &self.members[r].group,
                &ac,
                &self.psks,
                Some(NOW),
            ) {
                // A removed member returns its current tag: ask the next one.
                Ok(tag) if tag == self.tag => continue,
                Ok(tag) => return Mac(tag.into()),
                Err(_) => return placeholder,
            }
        }
        placeholder
    }

    /// Delivers a commit from `sender` (a member, or `None` for an external joiner) to every
    /// live member, and checks that they agree. Returns whether it was accepted.
    fn settle_commit(
        &mut self,
        msg: &MlsMessage,
        sender: Option<usize>,
        forgery: Forgery,
        welcome: Option<MlsMessage>,
    ) -> bool {
        self.last = Some(msg.clone());
        let receivers = self.receivers(sender);
        let mut staged = Vec::new();
        let mut rejected = Vec::new();
        let mut removed_accepting = Vec::new();
        for r in receivers {
            match self.deliver(r, msg) {
                Some(Outcome::Accepted(Processed::Commit(s))) => {
                    if s.summary().removes_us {
                        removed_accepting.push((r, s));
                    } else {
                        staged.push((r, s));
                    }
                }
                Some(Outcome::Accepted(other)) => {
                    panic!("member {r} took a commit for something else: {other:?}")
                }
                Some(Outcome::Rejected(e)) => rejected.push((r, e)),
                None => {
                    if let Some(s) = sender {
                        self.members[s].group.clear_pending_commit();
                    }
                    return false;
                }
            }
        }
        // A removed member checks neither the path nor the confirmation tag (RFC 9420
        // §12.4.2: it cannot derive the new epoch): it may accept what the others reject. It
        // is then left out of the script rather than merged.
        if staged.is_empty() && !rejected.is_empty() {
            for (r, _) in &removed_accepting {
                self.members[*r].live = false;
            }
            removed_accepting.clear();
        }
        let accepted = !staged.is_empty() || !removed_accepting.is_empty();
        if accepted && !rejected.is_empty() {
            self.split(&staged, &removed_accepting, &rejected, forgery);
        }
        if !accepted {
            if !forgery.forged {
                // The committer accepted its own commit: every rejection must be excused, and
                // the script ends with the group split.
                let earliest = sender.map_or(0, |s| self.members[s].joined);
                for (r, e) in &rejected {
                    assert!(
                        self.excused(*r, e, forgery, earliest),
                        "member {r} rejected an honest commit: {e}"
                    );
                }
                self.over = true;
            }
            if let Some(s) = sender {
                self.members[s].group.clear_pending_commit();
            }
            return false;
        }
        // Everyone (who counts) accepted: merge.
        let mut next_tag = None;
        // The clients the commit adds, by signature key; none when it injects a resumption PSK,
        // which a new member cannot hold (RFC 9420 §8.6), so that its Welcome may fail.
        let mut added = Vec::new();
        for (r, s) in staged.into_iter().chain(removed_accepting) {
            let removes = s.summary().removes_us;
            if !removes {
                next_tag = Some(s.confirmation_tag().to_vec());
                let summary = s.summary();
                if !summary
                    .psks
                    .iter()
                    .any(|p| matches!(p.psk, Psk::Resumption { .. }))
                {
                    added = summary
                        .added
                        .iter()
                        .map(|(_, l)| l.signature_key.clone())
                        .collect();
                }
            }
            let m = &mut self.members[r];
            m.group.merge_staged(*s).expect("a staged commit merges");
            m.forged_update = false;
            if removes || m.group.status() == GroupStatus::Removed {
                m.live = false;
            }
        }
        if let Some(s) = sender {
            let m = &mut self.members[s];
            if forgery.forged {
                // Its own state holds the template, not what was sent: it is left behind.
                m.group.clear_pending_commit();
                m.live = false;
            } else {
                next_tag = m
                    .group
                    .pending_commit_confirmation_tag()
                    .map(<[u8]>::to_vec);
                m.group
                    .merge_pending_commit()
                    .expect("the committer merges its commit");
                m.forged_update = false;
            }
        }
        if let Some(tag) = next_tag {
            self.tag = tag;
        }
        if let Some(w) = welcome {
            self.welcome(&w, &added);
        }
        // After a legitimate split the members that rejected are left behind, and the script
        // ends.
        if self.rejected_remains(&rejected) {
            self.over = true;
        }
        self.check_agreement();
        true
    }

    /// Whether a member that rejected the commit is still live (after a legitimate split).
    fn rejected_remains(&mut self, rejected: &[(usize, Error)]) -> bool {
        for (r, _) in rejected {
            self.members[*r].live = false;
        }
        !rejected.is_empty()
    }

    /// Whether member `r` may reject, with `e`, a commit that others accept (or that its
    /// committer made), `earliest` being the earliest epoch an accepting member joined in.
    fn excused(&self, r: usize, e: &Error, forgery: Forgery, earliest: u64) -> bool {
        let m = &self.members[r];
        // A path secret corrupted for one receiver only: it alone can tell.
        forgery.ciphertext
            || Some(m.group.own_leaf()) == forgery.impersonated
            // A resumption PSK of an epoch before this member joined (RFC 9420 §8.6: each
            // member holds the resumption secrets of its own epochs).
            || (m.joined > earliest && matches!(e, Error::Invalid(ValidationError::MissingPsk(_))))
            // An Update in its name that it did not make (RFC 9420 §12.1.2: the private key
            // stays with the proposer).
            || (m.forged_update
                && matches!(
                    e,
                    Error::Invalid(ValidationError::InvalidCommit(CommitReason::UnsentOwnUpdate))
                ))
    }

    /// Some members accepted a commit and others rejected it: allowed only in the classes the
    /// RFC leaves to each receiver.
    fn split(
        &mut self,
        staged: &[(usize, Box<cohort_group::StagedCommit>)],
        removed: &[(usize, Box<cohort_group::StagedCommit>)],
        rejected: &[(usize, Error)],
        forgery: Forgery,
    ) {
        let earliest = staged
            .iter()
            .map(|(r, _)| self.members[*r].joined)
            .min()
            .unwrap_or(0);
        let excused = |r: usize, e: &Error| self.excused(r, e, forgery, earliest);
        let unexcused: Vec<String> = rejected
            .iter()
            .filter(|(r, e)| !excused(*r, e))
            .map(|(r, e)| format!("{r}: {e}"))
            .collect();
        assert!(
            unexcused.is_empty(),
            "receivers disagree on a commit (forged: {}): accepted by {:?} (removed: {:?}), \
             rejected by {unexcused:?}",
            forgery.forged,
            staged.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
            removed.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
        );
        // Those that accepted must still agree with each other.
        let tags: Vec<&[u8]> = staged.iter().map(|(_, s)| s.confirmation_tag()).collect();
        assert!(
            tags.windows(2).all(|w| w[0] == w[1]),
            "receivers that accepted a commit derived different epochs"
        );
    }

    /// Every live member is in one epoch with one epoch authenticator.
    fn check_agreement(&self) {
        let live: Vec<&Member> = self.members.iter().filter(|m| m.live).collect();
        for pair in live.windows(2) {
            let (a, b) = (&pair[0].group, &pair[1].group);
            assert_eq!(a.epoch(), b.epoch(), "members are in different epochs");
            assert!(
                a.epoch_authenticator() == b.epoch_authenticator(),
                "members in epoch {} have different epoch authenticators",
                a.epoch()
            );
        }
    }

    /// Every client whose KeyPackage the script used and that is not a member yet tries the
    /// Welcome of an honest commit; those it adds (signature keys `added`) must join.
    fn welcome(&mut self, welcome: &MlsMessage, added: &[SignaturePublicKey]) {
        let MlsMessageBody::Welcome(w) = &welcome.body else {
            return;
        };
        let p = provider();
        for j in 0..self.joiners.len() {
            let joiner = &self.joiners[j];
            if !joiner.used || joiner.spent {
                continue;
            }
            let input = JoinInput {
                welcome: w,
                key_package: &joiner.key_package,
                secrets: &joiner.secrets,
                ratchet_tree: None,
                now: Some(NOW),
            };
            let result = Group::join(&p, input, &self.psks, config());
            if let Err(e) = &result {
                // Added with this very KeyPackage (not a forged one carrying its signature key,
                // whose Welcome entry the client cannot open): it must join.
                let own_entry = cohort_group::key_package_ref(&p, &joiner.key_package)
                    .is_ok_and(|r| w.secrets.iter().any(|s| s.new_member == r));
                assert!(
                    !(own_entry && added.contains(joiner.signer.public_key())),
                    "a client added by an honest commit cannot join from its Welcome: {e}"
                );
            }
            if let Ok(group) = result {
                let joined = group.epoch();
                let signer = joiner.signer.clone();
                self.members.push(Member {
                    group,
                    signer,
                    live: true,
                    joined,
                    forged_update: false,
                });
                // A KeyPackage joins once.
                self.joiners[j].spent = true;
            }
        }
    }

    // ------------------------------------------------------------------------ external join

    /// A client joins by external commit from a member's GroupInfo; the commit is delivered
    /// honest or forged.
    fn external_join(&mut self, u: &mut Unstructured<'_>, actor: usize) {
        let Some(j) = self.take_joiner(u) else { return };
        let joiner = self.joiners[j].clone();
        self.joiners[j].spent = true;
        let m = &self.members[actor];
        let Ok(gi) = m.group.group_info(&m.signer, true) else {
            return;
        };
        let MlsMessageBody::GroupInfo(gi) = gi.body else {
            return;
        };
        let psk_ids: Vec<&[u8]> = if flag(u) {
            vec![PSK_IDS[0]]
        } else {
            Vec::new()
        };
        let Ok(join) = Group::join_by_external_commit_with_psks(
            &provider(),
            &joiner.signer,
            &joiner.spec,
            &gi,
            None,
            None,
            &psk_ids,
            &self.psks,
            config(),
            Some(NOW),
        ) else {
            return;
        };
        if flag(u) {
            let epoch = join.group.epoch();
            if self.settle_commit(&join.commit, None, Forgery::default(), None) {
                self.members.push(Member {
                    group: join.group,
                    signer: joiner.signer,
                    live: true,
                    joined: epoch,
                    forged_update: false,
                });
                self.check_agreement();
            }
            return;
        }
        // Forged: mutate the external commit, sign it again with the joiner's key.
        let MlsMessageBody::PublicMessage(public) = join.commit.body else {
            return;
        };
        let mut content = public.content;
        let Content::Commit(mut commit) = content.content else {
            return;
        };
        let mut forgery = Forgery {
            forged: true,
            ..Forgery::default()
        };
        let leaf = join.group.own_leaf();
        let group_id = join.group.group_id().to_vec();
        match byte(u) % 4 {
            0 | 1 => self.mutate_list(u, actor, &mut commit.proposals),
            2 => {
                if let Some(p) = &mut commit.path {
                    forgery.ciphertext |= self.mutate_path(u, actor, p, &group_id, leaf);
                }
            }
            _ => {
                if let Some(ProposalOrRef::Proposal(Proposal::ExternalInit(e))) =
                    commit.proposals.first_mut()
                {
                    e.kem_output = flip(&e.kem_output, byte(u).into()).into();
                }
            }
        }
        content.content = Content::Commit(commit);
        let context = self.members[actor].group.context().clone();
        let Ok(signature) = cohort_group::framing::sign_content(
            &joiner.signer,
            WireFormat::PUBLIC_MESSAGE,
            &content,
            &context,
        ) else {
            return;
        };
        let placeholder = public
            .auth
            .confirmation_tag
            .unwrap_or_else(|| Mac(vec![0; self.suite.hash_len()].into()));
        let tag = self.derive_tag(
            &content,
            WireFormat::PUBLIC_MESSAGE,
            &signature,
            placeholder,
            usize::MAX,
        );
        let auth = FramedContentAuthData {
            signature,
            confirmation_tag: Some(tag),
        };
        let mut sealer = self.members[actor].group.clone();
        let Ok(msg) = testing::seal(&mut sealer, content, auth, HandshakeFormat::Public, 0, None)
        else {
            return;
        };
        // The joiner's own group holds the template: it is not followed.
        self.settle_commit(&msg, None, forgery, None);
    }

    /// Delivers the last message again: whatever the members do, a rejection must leave them
    /// unchanged, and a commit is not merged twice.
    fn replay(&mut self) {
        let Some(msg) = self.last.clone() else { return };
        for r in self.receivers(None) {
            let _ = self.deliver(r, &msg);
        }
    }

    // -------------------------------------------------------------------------- mutations

    /// Mutates a commit's proposal list.
    fn mutate_list(
        &mut self,
        u: &mut Unstructured<'_>,
        actor: usize,
        list: &mut Vec<ProposalOrRef>,
    ) {
        let n = list.len();
        match byte(u) % 8 {
            0 | 1 => {
                let p = self.hostile_proposal(u, actor);
                list.insert(below(u, n + 1), ProposalOrRef::Proposal(p));
            }
            2 if n > 0 => {
                let i = below(u, n);
                list.insert(below(u, n + 1), list[i].clone());
            }
            3 if n > 0 => {
                list.remove(below(u, n));
            }
            4 if n > 1 => list.swap(below(u, n), below(u, n)),
            5 => {
                let r = if n > 0 && flag(u) {
                    match &list[below(u, n)] {
                        ProposalOrRef::Reference(r) => flip(&r.0, byte(u).into()),
                        ProposalOrRef::Proposal(_) => bytes(u, 40),
                    }
                } else {
                    bytes(u, 40)
                };
                list.insert(
                    below(u, n + 1),
                    ProposalOrRef::Reference(ProposalRef(r.into())),
                );
            }
            6 if n > 0 => {
                let i = below(u, n);
                list[i] = ProposalOrRef::Proposal(self.hostile_proposal(u, actor));
            }
            _ => list.clear(),
        }
    }

    /// Mutates a commit's UpdatePath; true when a path ciphertext was changed.
    fn mutate_path(
        &mut self,
        u: &mut Unstructured<'_>,
        actor: usize,
        path: &mut UpdatePath,
        group_id: &[u8],
        leaf: LeafIndex,
    ) -> bool {
        let mut resign = true;
        let signer = self.members[actor].signer.clone();
        let mut leaf_signer = signer.clone();
        let n = path.nodes.len();
        let mut ciphertext = false;
        match byte(u) % 16 {
            0 => path.leaf_node.capabilities.cipher_suites.clear(),
            1 => path.leaf_node.extensions.push(odd_extension(u)),
            2 => {
                path.leaf_node.encryption_key = match path.nodes.first() {
                    Some(node) if flag(u) => node.encryption_key.clone(),
                    _ => self.members[actor]
                        .group
                        .members()
                        .find(|(i, _)| *i == self.members[actor].group.own_leaf())
                        .map(|(_, l)| l.encryption_key.clone())
                        .unwrap_or_else(|| path.leaf_node.encryption_key.clone()),
                }
            }
            3 => path.leaf_node.credential = Credential::basic(bytes(u, 8)),
            4 => {
                path.leaf_node.leaf_node_source = if flag(u) {
                    LeafNodeSource::Update
                } else {
                    LeafNodeSource::KeyPackage(Lifetime {
                        not_before: 0,
                        not_after: u64::MAX,
                    })
                }
            }
            5 => {
                path.leaf_node.signature = flip(&path.leaf_node.signature, byte(u).into()).into();
                resign = false;
            }
            6 => {
                let other = self.pick_member(u);
                leaf_signer = self.members[other].signer.clone();
                path.leaf_node.signature_key = leaf_of(&self.members[other]).signature_key;
            }
            7 if n > 0 => {
                path.nodes.pop();
            }
            8 if n > 0 => path.nodes.push(path.nodes[0].clone()),
            9 if n > 1 => {
                let k = path.nodes[0].encryption_key.clone();
                path.nodes[0].encryption_key = path.nodes[n - 1].encryption_key.clone();
                path.nodes[n - 1].encryption_key = k;
            }
            10 if n > 0 => {
                let i = below(u, n);
                path.nodes[i].encryption_key.0 = bytes(u, 4).into();
            }
            11 | 12 if n > 0 => {
                let node = &mut path.nodes[below(u, n)];
                let c = node.encrypted_path_secret.len();
                if c > 0 {
                    let ct = &mut node.encrypted_path_secret[below(u, c)];
                    if flag(u) {
                        ct.ciphertext = flip(&ct.ciphertext, byte(u).into()).into();
                    } else {
                        ct.kem_output = flip(&ct.kem_output, byte(u).into()).into();
                    }
                    ciphertext = true;
                }
            }
            13 if n > 0 => {
                let node = &mut path.nodes[below(u, n)];
                let c = node.encrypted_path_secret.len();
                if c > 1 {
                    node.encrypted_path_secret.swap(0, c - 1);
                    ciphertext = true;
                } else if c == 1 {
                    node.encrypted_path_secret.pop();
                    ciphertext = true;
                }
            }
            14 => {
                if let LeafNodeSource::Commit(ph) = &mut path.leaf_node.leaf_node_source {
                    *ph = flip(ph, byte(u).into()).into();
                }
            }
            _ => path.leaf_node.capabilities.versions.clear(),
        }
        if resign {
            sign_leaf(&mut path.leaf_node, &leaf_signer, group_id, leaf);
        }
        ciphertext
    }

    /// A proposal that may break any of RFC 9420 §12.1's rules.
    fn hostile_proposal(&mut self, u: &mut Unstructured<'_>, actor: usize) -> Proposal {
        let hash_len = self.suite.hash_len();
        match byte(u) % 12 {
            // AppDataUpdate or AppEphemeral of the known component or another, an update or a
            // remove (X-AD-01..06, X-AE-01).
            11 => {
                use cohort_messages::components::{
                    AppDataOperation, AppDataUpdate, AppEphemeral, ComponentId,
                };
                let component_id = if flag(u) {
                    COMPONENT
                } else {
                    ComponentId(u16::from_be_bytes([byte(u), byte(u)]))
                };
                if flag(u) {
                    Proposal::AppEphemeral(AppEphemeral {
                        component_id,
                        data: bytes(u, 8).into(),
                    })
                } else {
                    Proposal::AppDataUpdate(AppDataUpdate {
                        component_id,
                        op: if flag(u) {
                            AppDataOperation::Update(bytes(u, 8).into())
                        } else {
                            AppDataOperation::Remove
                        },
                    })
                }
            }
            // SelfRemove at its type or another (by value in a commit, as a PrivateMessage, in
            // a group that is not capable: X-SR-01..06).
            10 => Proposal::SelfRemove(cohort_messages::proposal::SelfRemove {
                code_point: if flag(u) {
                    ProposalType::SELF_REMOVE
                } else {
                    ProposalType(u16::from_be_bytes([byte(u), byte(u)]))
                },
            }),
            0 => Proposal::Add(Add {
                key_package: self.hostile_key_package(u, actor),
            }),
            1 => Proposal::Remove(Remove {
                removed: LeafIndex(u32::from(byte(u) % 8)),
            }),
            2 => {
                let m = &self.members[actor];
                let mut leaf = leaf_of(m);
                leaf.leaf_node_source = LeafNodeSource::Update;
                if flag(u) {
                    // A fresh key from a KeyPackage made in advance (no key generation here).
                    let j = below(u, self.joiners.len());
                    leaf.encryption_key =
                        self.joiners[j].key_package.leaf_node.encryption_key.clone();
                }
                if byte(u).is_multiple_of(4) {
                    leaf.credential = Credential::basic(bytes(u, 8));
                }
                if byte(u).is_multiple_of(4) {
                    leaf.extensions.push(odd_extension(u));
                }
                sign_leaf(&mut leaf, &m.signer, m.group.group_id(), m.group.own_leaf());
                Proposal::Update(Update { leaf_node: leaf })
            }
            3 | 4 => {
                let group_id = self.members[actor].group.group_id().to_vec();
                let epoch = self.members[actor].group.epoch();
                let psk = match byte(u) % 5 {
                    0 | 1 => Psk::External {
                        psk_id: PSK_IDS[below(u, 3)].to_vec().into(),
                    },
                    // An application PSK nobody has (X-PSK-01).
                    4 => Psk::Application {
                        component_id: COMPONENT,
                        psk_id: PSK_IDS[below(u, 3)].to_vec().into(),
                    },
                    k => Psk::Resumption {
                        usage: match byte(u) % 4 {
                            0 => ResumptionPskUsage::Reinit,
                            1 => ResumptionPskUsage::Branch,
                            _ => ResumptionPskUsage::Application,
                        },
                        psk_group_id: if k == 2 {
                            group_id.into()
                        } else {
                            bytes(u, 4).into()
                        },
                        psk_epoch: match byte(u) % 4 {
                            0 => epoch,
                            1 => epoch.saturating_sub(1),
                            2 => epoch + 1,
                            _ => 0,
                        },
                    },
                };
                let nonce_len = match byte(u) % 4 {
                    0 => 0,
                    1 => hash_len - 1,
                    _ => hash_len,
                };
                Proposal::PreSharedKey(PreSharedKey {
                    psk: PreSharedKeyId {
                        psk,
                        psk_nonce: vec![byte(u); nonce_len].into(),
                    },
                })
            }
            5 => Proposal::ReInit(ReInit {
                group_id: bytes(u, 8).into(),
                version: ProtocolVersion(u16::from(byte(u) % 3)),
                cipher_suite: CipherSuite(u16::from(byte(u) % 9)),
                extensions: extensions(u),
            }),
            6 => Proposal::ExternalInit(ExternalInit {
                kem_output: bytes(u, 40).into(),
            }),
            7 | 8 => Proposal::GroupContextExtensions(GroupContextExtensions {
                extensions: extensions(u),
            }),
            _ => Proposal::Custom {
                proposal_type: ProposalType(if flag(u) { 0x0a0a } else { 0xf000 }),
                data: bytes(u, 8).into(),
            },
        }
    }

    /// A KeyPackage of a client made in advance, with one field made wrong and (mostly) signed
    /// again so that the signature is not what fails.
    fn hostile_key_package(&mut self, u: &mut Unstructured<'_>, actor: usize) -> KeyPackage {
        let j = below(u, self.joiners.len());
        let joiner = self.joiners[j].clone();
        let mut kp = joiner.key_package;
        let mut signer = joiner.signer;
        let mut resign = true;
        match byte(u) % 10 {
            0 => {
                kp.leaf_node.leaf_node_source = LeafNodeSource::KeyPackage(Lifetime {
                    not_before: 0,
                    not_after: NOW - 1,
                })
            }
            1 => kp.cipher_suite = CipherSuite(u16::from(byte(u) % 9)),
            2 => kp.version = ProtocolVersion(2),
            3 => kp.init_key = kp.leaf_node.encryption_key.clone(),
            4 => kp.leaf_node.leaf_node_source = LeafNodeSource::Update,
            5 => kp.leaf_node.capabilities.cipher_suites.clear(),
            6 => {
                // A member's signature key, properly signed by that member.
                let m = &self.members[actor];
                kp.leaf_node.signature_key = leaf_of(m).signature_key;
                signer = m.signer.clone();
            }
            7 => kp.leaf_node.extensions.push(odd_extension(u)),
            8 => kp.extensions.push(odd_extension(u)),
            _ => {
                kp.signature = flip(&kp.signature, byte(u).into()).into();
                resign = false;
            }
        }
        if resign {
            sign_leaf(&mut kp.leaf_node, &signer, b"", LeafIndex(0));
            if let Ok(tbs) = kp.to_be_signed()
                && let Ok(sig) = labeled::sign_with_label(&signer, b"KeyPackageTBS", &tbs)
            {
                kp.signature = sig.into();
            }
        }
        kp
    }

    // ---------------------------------------------------------------------------- helpers

    /// FramedContent from `actor` in its current epoch.
    fn content(&self, actor: usize, content: Content) -> FramedContent {
        let g = &self.members[actor].group;
        FramedContent {
            group_id: g.group_id().to_vec().into(),
            epoch: g.epoch(),
            sender: Sender::Member(g.own_leaf()),
            authenticated_data: VarBytes::default(),
            content,
        }
    }

    /// A live member chosen by the script.
    fn pick_member(&self, u: &mut Unstructured<'_>) -> usize {
        let live = self.receivers(None);
        live.get(below(u, live.len())).copied().unwrap_or(0)
    }

    /// The signer of another member than `actor` when there is one.
    fn other_signer(&self, u: &mut Unstructured<'_>, actor: usize) -> SoftwareSigner {
        let others = self.receivers(Some(actor));
        let i = others.get(below(u, others.len())).copied().unwrap_or(actor);
        self.members[i].signer.clone()
    }

    /// A live member's leaf chosen by the script.
    fn pick_leaf(&self, u: &mut Unstructured<'_>) -> LeafIndex {
        self.members[self.pick_member(u)].group.own_leaf()
    }

    /// A client made in advance whose KeyPackage is not used yet, now marked used.
    fn take_joiner(&mut self, u: &mut Unstructured<'_>) -> Option<usize> {
        let free: Vec<usize> = (0..self.joiners.len())
            .filter(|&j| !self.joiners[j].used && !self.joiners[j].spent)
            .collect();
        let j = *free.get(below(u, free.len()))?;
        self.joiners[j].used = true;
        Some(j)
    }
}

/// A member's own current leaf.
fn leaf_of(m: &Member) -> LeafNode {
    let own = m.group.own_leaf();
    m.group
        .members()
        .find(|(i, _)| *i == own)
        .map(|(_, l)| l.clone())
        .expect("a live member's leaf is in its tree")
}

/// Signs `leaf` again with `signer`: with the group id and leaf index unless it is a KeyPackage
/// leaf (RFC 9420 §7.2).
fn sign_leaf(leaf: &mut LeafNode, signer: &SoftwareSigner, group_id: &[u8], index: LeafIndex) {
    let group = match leaf.leaf_node_source {
        LeafNodeSource::KeyPackage(_) => None,
        _ => Some((group_id, index)),
    };
    if let Ok(tbs) = leaf.to_be_signed(group)
        && let Ok(sig) = labeled::sign_with_label(signer, b"LeafNodeTBS", &tbs)
    {
        leaf.signature = sig.into();
    }
}

/// A list of GroupContext (or ReInit) extensions, often invalid.
fn extensions(u: &mut Unstructured<'_>) -> Vec<Extension> {
    (0..byte(u) % 3).map(|_| odd_extension(u)).collect()
}

/// One extension of the kinds a group must check: required capabilities it may not meet,
/// external senders, types it does not support, malformed bodies.
fn odd_extension(u: &mut Unstructured<'_>) -> Extension {
    match byte(u) % 8 {
        // required_capabilities: nothing required.
        0 => Extension::new(ExtensionType::REQUIRED_CAPABILITIES, vec![0, 0, 0]),
        // required_capabilities: an extension type nobody supports.
        1 => Extension::new(
            ExtensionType::REQUIRED_CAPABILITIES,
            vec![2, 0x0a, 0x0a, 0, 0],
        ),
        // external_senders: an empty list.
        2 => Extension::new(ExtensionType::EXTERNAL_SENDERS, vec![0]),
        3 => Extension::new(ExtensionType::APPLICATION_ID, bytes(u, 8)),
        4 => Extension::new(ExtensionType::RATCHET_TREE, bytes(u, 4)),
        5 => Extension::new(ExtensionType(0x0a0a), bytes(u, 4)),
        6 => Extension::new(ExtensionType::LAST_RESORT, Vec::new()),
        _ => Extension::new(ExtensionType(u16::from(byte(u) % 8)), bytes(u, 6)),
    }
}

fn wire(format: HandshakeFormat) -> WireFormat {
    match format {
        HandshakeFormat::Public => WireFormat::PUBLIC_MESSAGE,
        HandshakeFormat::Private => WireFormat::PRIVATE_MESSAGE,
    }
}

fn format(u: &mut Unstructured<'_>) -> HandshakeFormat {
    if flag(u) {
        HandshakeFormat::Private
    } else {
        HandshakeFormat::Public
    }
}

/// The next byte of the script, 0 once it is exhausted.
fn byte(u: &mut Unstructured<'_>) -> u8 {
    u.arbitrary().unwrap_or(0)
}

fn flag(u: &mut Unstructured<'_>) -> bool {
    byte(u) & 1 == 1
}

/// An index below `n` (0 when `n` is 0).
fn below(u: &mut Unstructured<'_>, n: usize) -> usize {
    if n == 0 { 0 } else { usize::from(byte(u)) % n }
}

/// Up to `max` bytes of the script.
fn bytes(u: &mut Unstructured<'_>, max: usize) -> Vec<u8> {
    let n = below(u, max + 1);
    u.bytes(n).map(<[u8]>::to_vec).unwrap_or_default()
}

/// `b` with one bit flipped at `at` (modulo its length), or one byte when it is empty.
fn flip(b: &[u8], at: usize) -> Vec<u8> {
    let mut v = b.to_vec();
    if v.is_empty() {
        v.push(1);
    } else {
        let i = at % v.len();
        v[i] ^= 1;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::run;

    #[test]
    fn fixed_scripts() {
        // Empty, one step of each operation, and a few longer mixes.
        run(&[]);
        for start in 0..3u8 {
            for op in 0..32u8 {
                run(&[start, 0, op, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
            }
        }
        run(&[1, 2, 9, 0, 0, 1, 1, 11, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 5, 7]);
    }

    /// The first input the fuzzer failed on (a harness bug): a forged Add carrying a waiting
    /// client's signature key, committed by an honest commit; the Welcome is for the forged
    /// KeyPackage, so the client rightly cannot join, and must not be required to.
    #[test]
    fn forged_add_with_a_clients_key_does_not_require_it_to_join() {
        run(&[
            0xff, 0xaa, 0x10, 0xaa, 0x14, 0x23, 0x10, 0xf7, 0xd7, 0x35, 0x35, 0x10, 0xf7, 0xd7,
            0x35, 0x35, 0x35, 0x35, 0x35, 0x35,
        ]);
    }

    /// Found by the fuzzer: a forged Add carrying a waiting client's signature key is committed,
    /// then that client joins by external commit; every member refuses its commit (two leaves
    /// with one signature key). cohort's joiner now refuses to send it
    /// (`Group::join_by_external_commit` validates the tree its commit makes).
    #[test]
    fn external_joiner_whose_key_is_in_the_tree_does_not_send_its_commit() {
        run(&[
            0x03, 0x4e, 0x91, 0x00, 0xff, 0xff, 0x20, 0x2a, 0x2e, 0xf5, 0x00, 0x00, 0x00, 0x3a,
            0x2e, 0xf5, 0x7c, 0x38, 0x38, 0x38, 0x38, 0x39, 0x83, 0x33, 0xb5, 0x7d, 0x1f, 0x7a,
            0x31, 0xfe, 0x6e, 0x26, 0x15, 0x3b, 0x15, 0x6e, 0x15, 0x15, 0x6e, 0x31, 0x7a, 0x7f,
        ]);
    }

    #[test]
    fn pseudo_random_scripts() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..300 {
            let len = (next() % 160) as usize;
            let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            run(&data);
        }
    }
}
