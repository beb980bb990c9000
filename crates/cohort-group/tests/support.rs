//! Shared helpers of the negative tests: small groups on the RustCrypto provider (suite 1),
//! delivery through an encode/decode round trip, hand-built messages protected with a group's
//! keys through `cohort_group::internal::testing`, and a rejection check that compares the
//! receiver's serialized state before and after (V-12.4.2-15).
//!
//! Included by the other test files with `#[path = "support.rs"] mod support;`.

#![allow(dead_code, reason = "each test file uses a part of these helpers")]

use std::sync::Arc;

use cohort_codec::{Decode, Encode, VarBytes};
use cohort_credential::Credential;
use cohort_crypto::{CipherSuite, CryptoProvider, SoftwareSigner, SuiteOps, labeled};
use cohort_group::internal::testing;
use cohort_group::{
    CommitOptions, Error, ExternalPsks, Group, GroupConfig, HandshakeFormat, JoinInput,
    KeyPackageSecrets, LeafSpec, NoPsks, Processed, create_key_package,
};
use cohort_messages::framing::{AuthenticatedContent, Content, FramedContent, Mac, Sender};
use cohort_messages::key_package::KeyPackage;
use cohort_messages::message::WireFormat;
use cohort_messages::proposal::{Commit, Proposal, ProposalOrRef, ProposalRef};
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::extension::Extension;
use cohort_tree::leaf::{LeafNode, LeafNodeSource};
use cohort_tree::math::LeafIndex;
use cohort_tree::path::UpdatePath;

/// The time every test runs at.
pub(crate) const NOW: u64 = 1_800_000_000;
/// The mandatory-to-implement suite.
pub(crate) const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

/// The provider of every test.
pub(crate) fn provider() -> cohort_crypto_rustcrypto::RustCryptoProvider {
    cohort_crypto_rustcrypto::provider()
}

/// The suite of every test.
pub(crate) fn suite() -> Arc<dyn SuiteOps> {
    provider().suite(CS).expect("suite")
}

/// A fresh signer.
pub(crate) fn signer() -> SoftwareSigner {
    SoftwareSigner::generate(suite()).expect("signer")
}

/// A leaf spec for `name`, valid around [`NOW`].
pub(crate) fn spec(name: &str) -> LeafSpec {
    LeafSpec::new(Credential::basic(name.as_bytes().to_vec()), NOW, 30)
}

/// A client in a group.
pub(crate) struct Member {
    /// Its signer.
    pub signer: SoftwareSigner,
    /// Its group.
    pub group: Group,
}

impl Member {
    /// Its leaf index.
    pub(crate) fn leaf(&self) -> LeafIndex {
        self.group.own_leaf()
    }
}

/// A one-member group created by `name`, with GroupContext `extensions`.
pub(crate) fn create_with(name: &str, extensions: Vec<Extension>) -> Member {
    let p = provider();
    let signer = signer();
    let group = Group::create(
        &p,
        CS,
        &signer,
        &spec(name),
        b"negative-tests".to_vec(),
        extensions,
        config(),
    )
    .expect("create");
    Member { signer, group }
}

/// A fresh KeyPackage of `name`, with its secrets and signer.
pub(crate) fn key_package(name: &str) -> (KeyPackage, KeyPackageSecrets, SoftwareSigner) {
    let s = signer();
    let (kp, secrets) = create_key_package(&provider(), CS, &s, &spec(name)).expect("kp");
    (kp, secrets, s)
}

/// `inviter` adds `name`; every member of `others` processes the commit; the new member joins.
pub(crate) fn add(inviter: &mut Member, others: &mut [&mut Member], name: &str) -> Member {
    add_with(inviter, others, &spec(name))
}

/// `inviter` adds `kp`; every member of `others` processes the commit. Returns the Welcome.
pub(crate) fn invite(
    inviter: &mut Member,
    others: &mut [&mut Member],
    kp: &KeyPackage,
) -> cohort_messages::welcome::Welcome {
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
    let MlsMessageBody::Welcome(welcome) = out.welcome.expect("welcome").body else {
        panic!("not a Welcome")
    };
    welcome
}

/// [`add`] of a client whose leaf is `spec`.
pub(crate) fn add_with(
    inviter: &mut Member,
    others: &mut [&mut Member],
    spec: &LeafSpec,
) -> Member {
    let (kp, secrets, signer) = key_package_with(spec);
    let welcome = invite(inviter, others, &kp);
    join_welcome(&welcome, &kp, &secrets, signer)
}

/// The member that joins from `welcome` with `kp`, its `secrets` and `signer`.
pub(crate) fn join_welcome(
    welcome: &cohort_messages::welcome::Welcome,
    kp: &KeyPackage,
    secrets: &KeyPackageSecrets,
    signer: SoftwareSigner,
) -> Member {
    let input = JoinInput {
        welcome,
        key_package: kp,
        secrets,
        ratchet_tree: None,
        now: Some(NOW),
    };
    let group = Group::join(&provider(), input, &NoPsks, config()).expect("join");
    Member { signer, group }
}

/// alice (leaf 0), bob (leaf 1) and carol (leaf 2), in the same epoch; GroupContext
/// `extensions`.
pub(crate) fn trio_with(extensions: Vec<Extension>) -> (Member, Member, Member) {
    let mut alice = create_with("alice", extensions);
    let mut bob = add(&mut alice, &mut [], "bob");
    let carol = add(&mut alice, &mut [&mut bob], "carol");
    assert_eq!(
        bob.group.epoch_authenticator(),
        carol.group.epoch_authenticator()
    );
    (alice, bob, carol)
}

/// alice, bob and carol with no GroupContext extensions.
pub(crate) fn trio() -> (Member, Member, Member) {
    trio_with(Vec::new())
}

/// The message as another client receives it: encoded and decoded again.
pub(crate) fn wire(msg: &MlsMessage) -> MlsMessage {
    MlsMessage::from_bytes(&msg.to_bytes().expect("encode")).expect("decode")
}

/// Delivers `msg` to `to`.
pub(crate) fn deliver(to: &mut Group, msg: &MlsMessage) -> Result<Processed, Error> {
    to.process_message(wire(msg), &NoPsks, Some(NOW))
}

/// Delivers a commit and merges it.
pub(crate) fn apply(to: &mut Group, msg: &MlsMessage) {
    match deliver(to, msg).expect("process") {
        Processed::Commit(staged) => to.merge_staged(*staged).expect("merge"),
        other => panic!("expected a commit, got {other:?}"),
    }
}

/// Delivers a proposal, which must be accepted and cached.
pub(crate) fn accept_proposal(to: &mut Group, msg: &MlsMessage) {
    match deliver(to, msg).expect("proposal") {
        Processed::Proposal { .. } => {}
        other => panic!("expected a proposal, got {other:?}"),
    }
}

/// Delivers `msg`, which must be rejected, and checks that the group's serialized state is
/// byte for byte what it was (V-12.4.2-15). Returns the error.
pub(crate) fn reject(to: &mut Group, msg: &MlsMessage) -> Error {
    reject_with(to, msg, &NoPsks)
}

/// [`reject`] with the receiver's PSKs.
pub(crate) fn reject_with(to: &mut Group, msg: &MlsMessage, psks: &dyn ExternalPsks) -> Error {
    let before = to.to_state_bytes().expect("save");
    let err = to
        .process_message(wire(msg), psks, Some(NOW))
        .expect_err("the message must be rejected");
    assert_eq!(
        *to.to_state_bytes().expect("save"),
        *before,
        "the state changed on rejection: {err}"
    );
    err
}

/// FramedContent from `from` in its current epoch.
pub(crate) fn content(from: &Member, content: Content) -> FramedContent {
    FramedContent {
        group_id: from.group.group_id().to_vec().into(),
        epoch: from.group.epoch(),
        sender: Sender::Member(from.leaf()),
        authenticated_data: VarBytes::default(),
        content,
    }
}

/// A confirmation tag of the right length that no key produced.
pub(crate) fn fake_tag() -> Mac {
    Mac(vec![0x5a; 32].into())
}

/// A commit from `from` with `proposals` and `path` and a made-up confirmation tag, protected
/// with its group's current keys: no sender-side check runs.
pub(crate) fn craft_commit(
    from: &mut Member,
    proposals: Vec<ProposalOrRef>,
    path: Option<UpdatePath>,
    format: HandshakeFormat,
) -> MlsMessage {
    let c = content(from, Content::Commit(Commit { proposals, path }));
    testing::protect(&mut from.group, &from.signer, c, Some(fake_tag()), format).expect("protect")
}

/// [`craft_commit`] of proposals by value, as a PublicMessage without a path.
pub(crate) fn commit_of(from: &mut Member, proposals: Vec<Proposal>) -> MlsMessage {
    let list = proposals.into_iter().map(ProposalOrRef::Proposal).collect();
    craft_commit(from, list, None, HandshakeFormat::Public)
}

/// A proposal from `from`, protected with its group's current keys, unchecked.
pub(crate) fn craft_proposal(
    from: &mut Member,
    proposal: Proposal,
    format: HandshakeFormat,
) -> MlsMessage {
    let c = content(from, Content::Proposal(proposal));
    testing::protect(&mut from.group, &from.signer, c, None, format).expect("protect")
}

/// The ProposalRef of a proposal sent as a PublicMessage.
pub(crate) fn proposal_ref(msg: &MlsMessage) -> ProposalRef {
    let MlsMessageBody::PublicMessage(m) = &msg.body else {
        panic!("not a PublicMessage")
    };
    let ac = AuthenticatedContent {
        wire_format: WireFormat::PUBLIC_MESSAGE,
        content: m.content.clone(),
        auth: m.auth.clone(),
    };
    let r = labeled::make_proposal_ref(&*suite(), &ac.to_bytes().expect("encode")).expect("ref");
    ProposalRef(r.0)
}

/// Signs `leaf` again with `signer`: with the group id and leaf index for update and commit
/// sources, without them for a KeyPackage leaf.
pub(crate) fn sign_leaf(
    leaf: &mut LeafNode,
    signer: &SoftwareSigner,
    group_id: &[u8],
    index: LeafIndex,
) {
    let tbs = leaf.to_be_signed(Some((group_id, index))).expect("tbs");
    leaf.signature = labeled::sign_with_label(signer, b"LeafNodeTBS", &tbs)
        .expect("sign")
        .into();
}

/// Signs a KeyPackage's leaf and then the KeyPackage again with `signer`.
pub(crate) fn resign_key_package(kp: &mut KeyPackage, signer: &SoftwareSigner) {
    sign_leaf(&mut kp.leaf_node, signer, b"", LeafIndex(0));
    sign_key_package(kp, signer);
}

/// Signs only the KeyPackage (not its leaf) again with `signer`.
pub(crate) fn sign_key_package(kp: &mut KeyPackage, signer: &SoftwareSigner) {
    kp.signature = labeled::sign_with_label(signer, b"KeyPackageTBS", &kp.to_be_signed().unwrap())
        .expect("sign")
        .into();
}

/// A valid Update leaf for `m`'s own leaf: a fresh encryption key, source `update`, signed.
pub(crate) fn update_leaf(m: &Member) -> LeafNode {
    let mut leaf = m
        .group
        .members()
        .find(|(i, _)| *i == m.leaf())
        .map(|(_, l)| l.clone())
        .expect("own leaf");
    leaf.encryption_key = suite().kem_generate().expect("kem").1;
    leaf.leaf_node_source = LeafNodeSource::Update;
    sign_leaf(&mut leaf, &m.signer, m.group.group_id(), m.leaf());
    leaf
}

/// A member's current leaf.
pub(crate) fn leaf_of(m: &Member, index: LeafIndex) -> LeafNode {
    m.group
        .members()
        .find(|(i, _)| *i == index)
        .map(|(_, l)| l.clone())
        .expect("leaf")
}

/// A leaf spec for `name` whose capabilities also list the non-default extension types
/// `extensions`.
pub(crate) fn spec_supporting(
    name: &str,
    extensions: &[cohort_tree::extension::ExtensionType],
) -> LeafSpec {
    let mut s = spec(name);
    s.capabilities.extensions = extensions.to_vec();
    s
}

/// A fresh KeyPackage from `spec`, with its secrets and signer.
pub(crate) fn key_package_with(spec: &LeafSpec) -> (KeyPackage, KeyPackageSecrets, SoftwareSigner) {
    let s = signer();
    let (kp, secrets) = create_key_package(&provider(), CS, &s, spec).expect("kp");
    (kp, secrets, s)
}

/// alice (created from `alice_spec` with GroupContext `extensions`) and bob (joined from
/// `bob_spec`), in the same epoch.
pub(crate) fn pair_with(
    alice_spec: &LeafSpec,
    bob_spec: &LeafSpec,
    extensions: Vec<Extension>,
) -> (Member, Member) {
    let p = provider();
    let alice_signer = signer();
    let mut alice = Member {
        group: Group::create(
            &p,
            CS,
            &alice_signer,
            alice_spec,
            b"negative-tests".to_vec(),
            extensions,
            config(),
        )
        .expect("create"),
        signer: alice_signer,
    };
    let (kp, secrets, signer) = key_package_with(bob_spec);
    let group = add_and_join(&mut alice, &kp, &secrets, config()).expect("join");
    (alice, Member { signer, group })
}

/// `alice` adds the owner of `kp` (merging her commit), who joins from the Welcome with
/// `config`: the joiner's group, or why the join failed.
pub(crate) fn add_and_join(
    alice: &mut Member,
    kp: &KeyPackage,
    secrets: &KeyPackageSecrets,
    config: GroupConfig,
) -> Result<Group, Error> {
    let out = alice
        .group
        .add_members(
            &alice.signer,
            vec![kp.clone()],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("add");
    alice.group.merge_pending_commit().expect("merge");
    let MlsMessageBody::Welcome(welcome) = out.welcome.expect("welcome").body else {
        panic!("not a Welcome")
    };
    let input = JoinInput {
        welcome: &welcome,
        key_package: kp,
        secrets,
        ratchet_tree: None,
        now: Some(NOW),
    };
    Group::join(&provider(), input, &NoPsks, config)
}

/// Accepts every credential, whatever its type, and a successor only when the credential is
/// unchanged: these tests exercise the protocol's checks, not an Authentication Service (the AS
/// has its own tests).
#[derive(Debug)]
pub(crate) struct AcceptAll;

impl cohort_credential::CredentialValidator for AcceptAll {
    fn validate(
        &self,
        credential: &Credential,
        _key: &cohort_crypto::SignaturePublicKey,
        _context: cohort_credential::CredentialContext,
    ) -> Result<cohort_credential::Identity, cohort_credential::CredentialError> {
        use cohort_codec::Encode;
        let bytes = credential
            .to_bytes()
            .map_err(|e| cohort_credential::CredentialError::Rejected(e.to_string()))?;
        Ok(cohort_credential::Identity(bytes))
    }

    fn valid_successor(
        &self,
        old: &Credential,
        new: &Credential,
        _key: &cohort_crypto::SignaturePublicKey,
    ) -> Result<(), cohort_credential::CredentialError> {
        if old == new {
            Ok(())
        } else {
            Err(cohort_credential::CredentialError::NotSuccessor)
        }
    }
}

/// The configuration of the tests' groups: defaults, with [`AcceptAll`] as the AS.
pub(crate) fn config() -> GroupConfig {
    GroupConfig::default().with_credential_validator(Arc::new(AcceptAll))
}
