//! A group's life, end to end: create, add by Welcome, messages both ways, self-update,
//! remove, commits as PublicMessage and PrivateMessage, our own commit echoed back. Every member
//! must agree on the epoch authenticator after each step.

use cohort_credential::Credential;
use cohort_crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort_group::{
    CommitOptions, Error, Group, GroupConfig, GroupStatus, HandshakeFormat, JoinInput, LeafSpec,
    NoPsks, Processed, ValidationError, create_key_package,
};
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::math::LeafIndex;

const NOW: u64 = 1_800_000_000;
const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

struct Member {
    signer: SoftwareSigner,
    group: Option<Group>,
}

fn provider() -> cohort_crypto_rustcrypto::RustCryptoProvider {
    cohort_crypto_rustcrypto::provider()
}

fn signer(p: &dyn CryptoProvider, cs: CipherSuite) -> SoftwareSigner {
    SoftwareSigner::generate(p.suite(cs).expect("suite")).expect("signer")
}

fn spec(name: &str) -> LeafSpec {
    LeafSpec::new(Credential::basic(name.as_bytes().to_vec()), NOW, 30)
}

/// A client with a fresh KeyPackage, joining from `welcome`.
fn join(
    p: &dyn CryptoProvider,
    cs: CipherSuite,
    name: &str,
    inviter: &mut Group,
    inviter_signer: &SoftwareSigner,
) -> Member {
    join_with(p, cs, name, inviter, inviter_signer, &CommitOptions::new()).0
}

/// [`join`] with the inviter's commit made with `options`; also returns the commit's GroupInfo
/// for external joiners, if it made one.
fn join_with(
    p: &dyn CryptoProvider,
    cs: CipherSuite,
    name: &str,
    inviter: &mut Group,
    inviter_signer: &SoftwareSigner,
    options: &CommitOptions,
) -> (Member, Option<MlsMessage>) {
    let s = signer(p, cs);
    let (kp, secrets) = create_key_package(p, cs, &s, &spec(name)).expect("key package");
    let out = inviter
        .add_members(inviter_signer, vec![kp.clone()], options, Some(NOW))
        .expect("add");
    inviter.merge_pending_commit().expect("merge");
    let MlsMessageBody::Welcome(welcome) = out.welcome.expect("welcome").body else {
        panic!("not a welcome")
    };
    let input = JoinInput {
        welcome: &welcome,
        key_package: &kp,
        secrets: &secrets,
        ratchet_tree: None,
        now: Some(NOW),
    };
    let group = Group::join(p, input, &NoPsks, GroupConfig::default()).expect("join");
    let member = Member {
        signer: s,
        group: Some(group),
    };
    (member, out.group_info)
}

fn deliver(to: &mut Group, msg: &MlsMessage) -> Processed {
    let bytes = cohort_codec::Encode::to_bytes(msg).expect("encode");
    let msg = <MlsMessage as cohort_codec::Decode>::from_bytes(&bytes).expect("decode");
    to.process_message(msg, &NoPsks, Some(NOW))
        .expect("process")
}

fn apply_commit(to: &mut Group, msg: &MlsMessage) {
    match deliver(to, msg) {
        Processed::Commit(staged) => to.merge_staged(*staged).expect("merge"),
        other => panic!("expected a commit, got {other:?}"),
    }
}

fn same_epoch(groups: &[&Group]) {
    let first = groups[0];
    for g in groups {
        assert_eq!(g.epoch(), first.epoch());
        assert_eq!(g.epoch_authenticator(), first.epoch_authenticator());
        assert_eq!(
            g.export_secret(b"test", b"ctx", 32)
                .expect("export")
                .as_bytes(),
            first
                .export_secret(b"test", b"ctx", 32)
                .expect("export")
                .as_bytes()
        );
    }
}

fn run(p: &dyn CryptoProvider, cs: CipherSuite, format: HandshakeFormat) {
    let alice_signer = signer(p, cs);
    let mut alice = Group::create(
        p,
        cs,
        &alice_signer,
        &spec("alice"),
        b"group-1".to_vec(),
        Vec::new(),
        GroupConfig::default(),
    )
    .expect("create");
    let mut bob = join(p, cs, "bob", &mut alice, &alice_signer);
    same_epoch(&[&alice, bob.group.as_ref().expect("bob")]);

    // Carol joins; bob processes the commit that adds her.
    let carol_signer = signer(p, cs);
    let (kp, secrets) = create_key_package(p, cs, &carol_signer, &spec("carol")).expect("kp");
    let mut options = CommitOptions::new();
    options.format = format;
    let out = alice
        .add_members(&alice_signer, vec![kp.clone()], &options, Some(NOW))
        .expect("add carol");
    // The Delivery Service echoes alice's commit back to her: it is recognised as her own.
    apply_commit(&mut alice, &out.commit);
    let bob_group = bob.group.as_mut().expect("bob");
    apply_commit(bob_group, &out.commit);
    let MlsMessageBody::Welcome(welcome) = out.welcome.expect("welcome").body else {
        panic!()
    };
    let input = JoinInput {
        welcome: &welcome,
        key_package: &kp,
        secrets: &secrets,
        ratchet_tree: None,
        now: Some(NOW),
    };
    let mut carol = Group::join(p, input, &NoPsks, GroupConfig::default()).expect("carol joins");
    same_epoch(&[&alice, bob_group, &carol]);
    assert_eq!(alice.members().count(), 3);

    // Application messages both ways.
    let hello = bob_group
        .encrypt_application(&bob.signer, b"hello from bob", b"aad", 16)
        .expect("encrypt");
    for g in [&mut alice, &mut carol] {
        match deliver(g, &hello) {
            Processed::Application {
                sender,
                data,
                authenticated_data,
            } => {
                assert_eq!(sender, LeafIndex(1));
                assert_eq!(data, b"hello from bob");
                assert_eq!(authenticated_data, b"aad");
            }
            other => panic!("expected application data, got {other:?}"),
        }
    }
    // A replay of the same message is refused: its key is gone (V-9.1-01).
    assert!(
        matches!(
            alice.process_message(hello, &NoPsks, Some(NOW)),
            Err(Error::Invalid(ValidationError::SecretUnavailable(
                cohort_key_schedule::KeyScheduleError::GenerationConsumed { .. }
            )))
        ),
        "a replay"
    );

    // Carol updates her keys; everyone follows.
    let out = carol
        .self_update(&carol_signer, &options, Some(NOW))
        .expect("update");
    carol.merge_pending_commit().expect("merge");
    apply_commit(&mut alice, &out.commit);
    apply_commit(bob.group.as_mut().expect("bob"), &out.commit);
    same_epoch(&[&alice, bob.group.as_ref().expect("bob"), &carol]);

    // Bob removes carol; carol learns she is out.
    let bob_group = bob.group.as_mut().expect("bob");
    let out = bob_group
        .remove_members(&bob.signer, &[LeafIndex(2)], &options, Some(NOW))
        .expect("remove");
    bob_group.merge_pending_commit().expect("merge");
    apply_commit(&mut alice, &out.commit);
    match deliver(&mut carol, &out.commit) {
        Processed::Commit(staged) => {
            assert!(staged.summary().removes_us);
            carol.merge_staged(*staged).expect("merge");
        }
        other => panic!("expected a commit, got {other:?}"),
    }
    assert_eq!(carol.status(), GroupStatus::Removed);
    same_epoch(&[&alice, bob.group.as_ref().expect("bob")]);
    assert_eq!(alice.members().count(), 2);
    // Carol can no longer read the group's messages.
    let secret = alice
        .encrypt_application(&alice_signer, b"after carol left", b"", 0)
        .expect("encrypt");
    assert!(
        matches!(
            carol.process_message(secret.clone(), &NoPsks, Some(NOW)),
            Err(Error::Invalid(ValidationError::GroupInactive(
                cohort_group::reason::InactiveReason::Removed
            )))
        ),
        "a removed member reads nothing"
    );
    match deliver(bob.group.as_mut().expect("bob"), &secret) {
        Processed::Application { data, .. } => assert_eq!(data, b"after carol left"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn lifecycle_with_public_handshakes() {
    run(&provider(), CS, HandshakeFormat::Public);
}

#[test]
fn lifecycle_with_private_handshakes() {
    run(&provider(), CS, HandshakeFormat::Private);
}

#[test]
fn lifecycle_on_every_rustcrypto_suite() {
    let p = provider();
    for cs in CipherSuite::ALL {
        run(&p, cs, HandshakeFormat::Public);
    }
}

/// RFC 9420 §12.4.3.2: a client joins by external commit from a GroupInfo, and a member who
/// lost its state re-joins by an external commit that removes its old leaf (resync).
#[test]
fn external_join_and_resync() {
    let p = provider();
    let alice_signer = signer(&p, CS);
    let mut alice = Group::create(
        &p,
        CS,
        &alice_signer,
        &spec("alice"),
        b"ext".to_vec(),
        Vec::new(),
        GroupConfig::default(),
    )
    .expect("create");
    let mut bob = join(&p, CS, "bob", &mut alice, &alice_signer);
    // Alice publishes a GroupInfo (with the tree and external_pub) from her last commit.
    let out = alice
        .self_update(&alice_signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    alice.merge_pending_commit().expect("merge");
    apply_commit(bob.group.as_mut().expect("bob"), &out.commit);
    let MlsMessageBody::GroupInfo(group_info) = out.group_info.expect("group info").body else {
        panic!()
    };

    let dave_signer = signer(&p, CS);
    let joined = Group::join_by_external_commit(
        &p,
        &dave_signer,
        &spec("dave"),
        &group_info,
        None,
        None,
        GroupConfig::default(),
        Some(NOW),
    )
    .expect("external join");
    let mut dave = joined.group;
    apply_commit(&mut alice, &joined.commit);
    apply_commit(bob.group.as_mut().expect("bob"), &joined.commit);
    same_epoch(&[&alice, bob.group.as_ref().expect("bob"), &dave]);
    assert_eq!(alice.members().count(), 3);

    // Dave can talk to the group.
    let hi = dave
        .encrypt_application(&dave_signer, b"dave here", b"", 0)
        .expect("encrypt");
    match deliver(&mut alice, &hi) {
        Processed::Application { data, .. } => assert_eq!(data, b"dave here"),
        other => panic!("{other:?}"),
    }

    // Bob loses his state and re-joins, removing his old leaf.
    let out = alice
        .self_update(&alice_signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    alice.merge_pending_commit().expect("merge");
    apply_commit(&mut dave, &out.commit);
    let MlsMessageBody::GroupInfo(group_info) = out.group_info.expect("group info").body else {
        panic!()
    };
    let old_bob = bob.group.as_ref().expect("bob").own_leaf();
    let rejoined = Group::join_by_external_commit(
        &p,
        &bob.signer,
        &spec("bob"),
        &group_info,
        None,
        Some(old_bob),
        GroupConfig::default(),
        Some(NOW),
    )
    .expect("resync");
    apply_commit(&mut alice, &rejoined.commit);
    apply_commit(&mut dave, &rejoined.commit);
    same_epoch(&[&alice, &dave, &rejoined.group]);
    assert_eq!(alice.members().count(), 3);
}

/// RFC 9420 §12.1, §12.4: proposals sent as messages are cached by every member (the proposer's
/// own echo included) and committed by reference by another member.
#[test]
fn proposals_by_reference() {
    for format in [HandshakeFormat::Public, HandshakeFormat::Private] {
        let p = provider();
        let alice_signer = signer(&p, CS);
        let mut alice = Group::create(
            &p,
            CS,
            &alice_signer,
            &spec("alice"),
            b"refs".to_vec(),
            Vec::new(),
            GroupConfig::default(),
        )
        .expect("create");
        let mut carol = join(&p, CS, "carol", &mut alice, &alice_signer);
        let carol_group = carol.group.as_mut().expect("carol");
        same_epoch(&[&alice, carol_group]);
        // Alice proposes to add dave; the proposal reaches everyone, alice included.
        let dave_signer = signer(&p, CS);
        let (kp, secrets) = create_key_package(&p, CS, &dave_signer, &spec("dave")).expect("kp");
        let add = cohort_messages::proposal::Proposal::Add(cohort_messages::proposal::Add {
            key_package: kp.clone(),
        });
        let proposal = alice
            .propose(&alice_signer, add, format, Some(NOW))
            .expect("propose");
        assert!(matches!(
            deliver(&mut alice, &proposal),
            Processed::Proposal { .. }
        ));
        assert!(matches!(
            deliver(carol_group, &proposal),
            Processed::Proposal { .. }
        ));
        // Carol commits it by reference; alice (the proposer) processes the commit.
        let out = carol_group
            .commit(
                &carol.signer,
                Vec::new(),
                &CommitOptions::new(),
                &NoPsks,
                Some(NOW),
            )
            .expect("commit");
        carol_group.merge_pending_commit().expect("merge");
        let cohort_messages::framing::Content::Commit(commit) = (match &out.commit.body {
            MlsMessageBody::PublicMessage(m) => m.content.content.clone(),
            _ => panic!("commits are public here"),
        }) else {
            panic!("not a commit")
        };
        assert!(matches!(
            commit.proposals[0],
            cohort_messages::proposal::ProposalOrRef::Reference(_)
        ));
        apply_commit(&mut alice, &out.commit);
        let MlsMessageBody::Welcome(welcome) = out.welcome.expect("welcome").body else {
            panic!()
        };
        let input = JoinInput {
            welcome: &welcome,
            key_package: &kp,
            secrets: &secrets,
            ratchet_tree: None,
            now: Some(NOW),
        };
        let dave = Group::join(&p, input, &NoPsks, GroupConfig::default()).expect("dave joins");
        same_epoch(&[&alice, carol_group, &dave]);
    }
}

/// RFC 9420 §12.4.3: a member exports a GroupInfo of the current epoch, with or without the
/// ratchet tree, and a client joins from it by external commit (the tree given out of band when
/// the GroupInfo lacks it).
#[test]
fn group_info_export_enables_external_joins() {
    for with_tree in [true, false] {
        let p = provider();
        let alice_signer = signer(&p, CS);
        let mut alice = Group::create(
            &p,
            CS,
            &alice_signer,
            &spec("alice"),
            b"gi".to_vec(),
            Vec::new(),
            GroupConfig::default(),
        )
        .expect("create");
        let _bob = join(&p, CS, "bob", &mut alice, &alice_signer);
        let MlsMessageBody::GroupInfo(group_info) = alice
            .group_info(&alice_signer, with_tree)
            .expect("export")
            .body
        else {
            panic!()
        };
        let tree = (!with_tree).then(|| alice.tree().to_nodes());
        let erin = signer(&p, CS);
        let joined = Group::join_by_external_commit(
            &p,
            &erin,
            &spec("erin"),
            &group_info,
            tree,
            None,
            GroupConfig::default(),
            Some(NOW),
        )
        .expect("external join");
        apply_commit(&mut alice, &joined.commit);
        same_epoch(&[&alice, &joined.group]);
    }
}

/// `CommitOptions::group_info` off: a self-update returns no GroupInfo, and a commit that adds a
/// member still builds the Welcome (with its signed GroupInfo) that the joiner uses.
#[test]
fn commits_without_a_group_info_for_external_joiners() {
    let p = provider();
    let alice_signer = signer(&p, CS);
    let mut alice = Group::create(
        &p,
        CS,
        &alice_signer,
        &spec("alice"),
        b"no-gi".to_vec(),
        Vec::new(),
        GroupConfig::default(),
    )
    .expect("create");
    let mut options = CommitOptions::new();
    options.group_info = false;
    let (bob, group_info) = join_with(&p, CS, "bob", &mut alice, &alice_signer, &options);
    assert!(group_info.is_none());
    let mut bob = bob.group.expect("bob");

    let out = alice
        .self_update(&alice_signer, &options, Some(NOW))
        .expect("update");
    assert!(out.group_info.is_none() && out.welcome.is_none());
    alice.merge_pending_commit().expect("merge");
    apply_commit(&mut bob, &out.commit);
    same_epoch(&[&alice, &bob]);

    // The default still returns one.
    let out = alice
        .self_update(&alice_signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    assert!(matches!(
        out.group_info.map(|m| m.body),
        Some(MlsMessageBody::GroupInfo(_))
    ));
}

/// `CommitOptions::default()` and `CommitOptions::new()` are the same options (a Welcome made
/// with either carries the tree, and a GroupInfo comes with the commit).
#[test]
fn commit_options_default_and_new_agree() {
    let (d, n) = (CommitOptions::default(), CommitOptions::new());
    assert_eq!(d.force_path, n.force_path);
    assert_eq!(d.format, n.format);
    assert_eq!(d.ratchet_tree_in_welcome, n.ratchet_tree_in_welcome);
    assert!(d.ratchet_tree_in_welcome);
    assert_eq!(d.authenticated_data, n.authenticated_data);
    assert_eq!(d.new_credential.is_none(), n.new_credential.is_none());
    assert_eq!(d.group_info, n.group_info);
}
