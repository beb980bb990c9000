//! Reinitialization and branching (RFC 9420 §11.2, §11.3): the whole flow, and each rule a
//! joiner enforces, named by its checklist ID.

#[path = "support.rs"]
mod support;

use cohort_crypto::CipherSuite;
use cohort_group::internal::testing;
use cohort_group::reason::{EncryptedObject, InactiveReason, ProposalListReason, WelcomeReason};
use cohort_group::{
    ApiMisuse, CommitOptions, Error, Group, GroupStatus, JoinInput, KeyPackageSecrets, NoPsks,
    Processed, ValidationError,
};
use cohort_messages::key_package::KeyPackage;
use cohort_messages::proposal::{Proposal, ReInit};
use cohort_messages::psk::{PreSharedKeyId, Psk, ResumptionPskUsage};
use cohort_messages::welcome::Welcome;
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::leaf::ProtocolVersion;
use support::*;

const NEW_ID: &[u8] = b"reinitialized";

fn reinit_proposal() -> ReInit {
    ReInit {
        group_id: NEW_ID.to_vec().into(),
        version: ProtocolVersion::MLS10,
        cipher_suite: CS,
        extensions: Vec::new(),
    }
}

/// alice, bob and carol after alice's commit of a ReInit, merged by all three.
fn reinit_trio() -> (Member, Member, Member) {
    reinit_trio_with(|_| reinit_proposal())
}

/// [`reinit_trio`] with the ReInit `make` gives for alice's group.
fn reinit_trio_with(make: impl FnOnce(&Group) -> ReInit) -> (Member, Member, Member) {
    let (mut alice, mut bob, mut carol) = trio();
    let reinit = make(&alice.group);
    let out = alice
        .group
        .commit(
            &alice.signer,
            vec![Proposal::ReInit(reinit.clone())],
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("commit ReInit");
    alice.group.merge_pending_commit().expect("merge");
    for m in [&mut bob, &mut carol] {
        match deliver(&mut m.group, &out.commit).expect("process") {
            Processed::Commit(staged) => {
                assert_eq!(staged.summary().reinit, Some(reinit.clone()));
                m.group.merge_staged(*staged).expect("merge");
            }
            other => panic!("expected a commit, got {other:?}"),
        }
    }
    (alice, bob, carol)
}

fn welcome_of(msg: Option<MlsMessage>) -> Welcome {
    let MlsMessageBody::Welcome(w) = msg.expect("a Welcome").body else {
        panic!("not a Welcome")
    };
    w
}

/// Joins `welcome` as the owner of `kp`, resuming `old`.
fn join_resumed(
    welcome: &Welcome,
    kp: &KeyPackage,
    secrets: &KeyPackageSecrets,
    old: &Group,
) -> Result<Group, Error> {
    let input = JoinInput {
        welcome,
        key_package: kp,
        secrets,
        ratchet_tree: None,
        now: Some(NOW),
    };
    Group::join_resumed(&provider(), input, &NoPsks, old, config())
}

/// [`join_resumed`], which must fail without changing `old`; returns the error.
fn reject_join(
    welcome: &Welcome,
    kp: &KeyPackage,
    secrets: &KeyPackageSecrets,
    old: &Group,
) -> Error {
    let before = old.to_state_bytes().expect("save");
    let err = join_resumed(welcome, kp, secrets, old).expect_err("the join must fail");
    assert_eq!(*old.to_state_bytes().expect("save"), *before);
    err
}

fn invalid_welcome(err: &Error) -> WelcomeReason {
    match err {
        Error::Invalid(ValidationError::InvalidWelcome(r)) => *r,
        other => panic!("expected InvalidWelcome, got {other}"),
    }
}

/// A KeyPackage for `m`'s next group, with the same signature key (so the same member).
fn next_key_package(m: &Member, name: &str) -> (KeyPackage, KeyPackageSecrets) {
    cohort_group::create_key_package(&provider(), CS, &m.signer, &spec(name)).expect("kp")
}

#[test]
fn reinit_moves_every_member_to_the_new_group() {
    let (alice, bob, carol) = reinit_trio();
    for m in [&alice, &bob, &carol] {
        assert_eq!(m.group.status(), GroupStatus::ReInitPending);
        assert_eq!(m.group.pending_reinit(), Some(&reinit_proposal()));
    }
    // The pending ReInit survives a save and a load.
    let bob_old = Group::from_state_bytes(&provider(), &bob.group.to_state_bytes().expect("save"))
        .expect("load");
    assert_eq!(bob_old.pending_reinit(), Some(&reinit_proposal()));
    let (bob_kp, bob_secrets) = next_key_package(&bob, "bob");
    let (carol_kp, carol_secrets) = next_key_package(&carol, "carol");
    let (mut new_alice, out) = alice
        .group
        .reinit(
            &provider(),
            &alice.signer,
            &spec("alice"),
            vec![bob_kp.clone(), carol_kp.clone()],
            &CommitOptions::new(),
            config(),
            Some(NOW),
        )
        .expect("reinit");
    assert_eq!(new_alice.group_id(), NEW_ID);
    assert_eq!(new_alice.epoch(), 1);
    let welcome = welcome_of(out.welcome);
    let mut new_bob = join_resumed(&welcome, &bob_kp, &bob_secrets, &bob_old).expect("bob joins");
    let new_carol =
        join_resumed(&welcome, &carol_kp, &carol_secrets, &carol.group).expect("carol joins");
    assert_eq!(
        new_bob.epoch_authenticator(),
        new_alice.epoch_authenticator()
    );
    assert_eq!(
        new_carol.epoch_authenticator(),
        new_alice.epoch_authenticator()
    );
    // The new group works.
    let msg = new_alice
        .encrypt_application(&alice.signer, b"hello again", b"", 0)
        .expect("encrypt");
    match deliver(&mut new_bob, &msg).expect("decrypt") {
        Processed::Application { data, .. } => assert_eq!(data, b"hello again"),
        other => panic!("expected application data, got {other:?}"),
    }
    // Without the old group, the reinit PSK is missing (V-8.4-01).
    let input = JoinInput {
        welcome: &welcome,
        key_package: &bob_kp,
        secrets: &bob_secrets,
        ratchet_tree: None,
        now: Some(NOW),
    };
    let err = Group::join(&provider(), input, &NoPsks, config()).expect_err("no PSK");
    assert!(
        matches!(err, Error::Invalid(ValidationError::MissingPsk(_))),
        "{err}"
    );
}

/// V-12.4.2-16: after a ReInit commit nothing more is sent or accepted in the old group.
#[test]
fn v_12_4_2_16_nothing_is_sent_or_accepted_after_a_reinit() {
    let (mut alice, mut bob, mut carol) = trio();
    // Sent by carol before she sees the ReInit.
    let late = carol
        .group
        .encrypt_application(&carol.signer, b"late", b"", 0)
        .expect("encrypt");
    let out = alice
        .group
        .commit(
            &alice.signer,
            vec![Proposal::ReInit(reinit_proposal())],
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("commit ReInit");
    alice.group.merge_pending_commit().expect("merge");
    apply(&mut bob.group, &out.commit);
    let err = reject(&mut bob.group, &late);
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::GroupInactive(
                InactiveReason::ReInitPending
            ))
        ),
        "{err}"
    );
    let err = alice
        .group
        .encrypt_application(&alice.signer, b"no", b"", 0)
        .expect_err("inactive");
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::GroupInactive(
                InactiveReason::ReInitPending
            ))
        ),
        "{err}"
    );
    let err = alice
        .group
        .self_update(&alice.signer, &CommitOptions::new(), Some(NOW))
        .expect_err("inactive");
    assert!(
        matches!(err, Error::Invalid(ValidationError::GroupInactive(_))),
        "{err}"
    );
    // An active group has nothing to reinitialize.
    let err = carol
        .group
        .reinit(
            &provider(),
            &carol.signer,
            &spec("carol"),
            Vec::new(),
            &CommitOptions::new(),
            config(),
            Some(NOW),
        )
        .expect_err("no ReInit");
    assert!(
        matches!(err, Error::Misuse(ApiMisuse::NoPendingReInit)),
        "{err}"
    );
}

/// A ReInit must be the only proposal of its commit (V-12.2-06 sender side).
#[test]
fn reinit_with_other_proposals_is_refused_by_the_committer() {
    let (mut alice, _bob, _carol) = trio();
    let err = alice
        .group
        .commit(
            &alice.signer,
            vec![
                Proposal::ReInit(reinit_proposal()),
                Proposal::Remove(cohort_messages::proposal::Remove {
                    removed: cohort_tree::math::LeafIndex(2),
                }),
            ],
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect_err("refused");
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::InvalidProposalList(
                ProposalListReason::ReInitNotAlone
            ))
        ),
        "{err}"
    );
    assert_eq!(alice.group.status(), GroupStatus::Active);
}

/// A reinit PSK id of `old`'s group for `epoch`.
fn reinit_psk(old: &Group, usage: ResumptionPskUsage, epoch: u64) -> PreSharedKeyId {
    PreSharedKeyId {
        psk: Psk::Resumption {
            usage,
            psk_group_id: old.group_id().to_vec().into(),
            psk_epoch: epoch,
        },
        psk_nonce: vec![7; 32].into(),
    }
}

/// alice's new group `group_id` in `cs`, at epoch 0.
fn fresh_group(alice: &Member, cs: CipherSuite, group_id: &[u8]) -> Group {
    Group::create(
        &provider(),
        cs,
        &alice.signer,
        &spec("alice"),
        group_id.to_vec(),
        Vec::new(),
        config(),
    )
    .expect("create")
}

/// V-11.2-01, V-12.4.3.1-23: the new group's id, version, suite and extensions are the
/// ReInit's.
#[test]
fn v_11_2_01_new_group_must_match_the_reinit() {
    let (alice, bob, _carol) = reinit_trio();
    let (bob_kp, bob_secrets) = next_key_package(&bob, "bob");
    let new = fresh_group(&alice, CS, b"some other id");
    let id = reinit_psk(
        &alice.group,
        ResumptionPskUsage::Reinit,
        alice.group.epoch(),
    );
    let (_, out) = testing::resume(
        &alice.group,
        new,
        id,
        &alice.signer,
        vec![bob_kp.clone()],
        Some(NOW),
    )
    .expect("resume");
    let err = reject_join(&welcome_of(out.welcome), &bob_kp, &bob_secrets, &bob.group);
    assert_eq!(invalid_welcome(&err), WelcomeReason::ReInitMismatch);
}

/// V-11.2-02, V-11.3-02, V-12.4.3.1-22: a resumed group starts at epoch 1.
#[test]
fn v_11_2_02_resumed_group_must_be_at_epoch_1() {
    let (alice, bob, carol) = reinit_trio();
    let (bob_kp, bob_secrets) = next_key_package(&bob, "bob");
    let (carol_kp, _) = next_key_package(&carol, "carol");
    let mut new = fresh_group(&alice, CS, NEW_ID);
    new.self_update(&alice.signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    new.merge_pending_commit().expect("merge");
    let id = reinit_psk(
        &alice.group,
        ResumptionPskUsage::Reinit,
        alice.group.epoch(),
    );
    let (_, out) = testing::resume(
        &alice.group,
        new,
        id,
        &alice.signer,
        vec![bob_kp.clone(), carol_kp],
        Some(NOW),
    )
    .expect("resume");
    let err = reject_join(&welcome_of(out.welcome), &bob_kp, &bob_secrets, &bob.group);
    assert_eq!(invalid_welcome(&err), WelcomeReason::ResumedEpochNotOne);
}

/// V-11.2-03: the Welcome carries the reinit PSK of the epoch the ReInit commit began; a
/// Welcome without one, or with an older epoch's, is refused.
#[test]
fn v_11_2_03_welcome_must_carry_the_reinit_psk() {
    let (alice, bob, carol) = reinit_trio();
    let (bob_kp, bob_secrets) = next_key_package(&bob, "bob");
    let (carol_kp, _) = next_key_package(&carol, "carol");
    // No resumption PSK at all: an ordinary group with the ReInit's parameters.
    let mut plain = fresh_group(&alice, CS, NEW_ID);
    let out = plain
        .add_members(
            &alice.signer,
            vec![bob_kp.clone(), carol_kp.clone()],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("add");
    let err = reject_join(&welcome_of(out.welcome), &bob_kp, &bob_secrets, &bob.group);
    assert_eq!(invalid_welcome(&err), WelcomeReason::NoResumptionPsk);
    // The PSK of the epoch before the ReInit commit (still retained).
    let id = reinit_psk(
        &alice.group,
        ResumptionPskUsage::Reinit,
        alice.group.epoch() - 1,
    );
    let (_, out) = testing::resume(
        &alice.group,
        fresh_group(&alice, CS, NEW_ID),
        id,
        &alice.signer,
        vec![bob_kp.clone(), carol_kp],
        Some(NOW),
    )
    .expect("resume");
    let err = reject_join(&welcome_of(out.welcome), &bob_kp, &bob_secrets, &bob.group);
    assert_eq!(invalid_welcome(&err), WelcomeReason::ReInitPskEpoch);
}

/// V-12.4.3.1-23: every member of the old group is in the reinitialized one, and no one else.
#[test]
fn v_12_4_3_1_23_reinit_keeps_the_membership() {
    let (alice, bob, _carol) = reinit_trio();
    let (bob_kp, bob_secrets) = next_key_package(&bob, "bob");
    // carol is left out.
    let (_, out) = alice
        .group
        .reinit(
            &provider(),
            &alice.signer,
            &spec("alice"),
            vec![bob_kp.clone()],
            &CommitOptions::new(),
            config(),
            Some(NOW),
        )
        .expect("reinit");
    let err = reject_join(&welcome_of(out.welcome), &bob_kp, &bob_secrets, &bob.group);
    assert_eq!(invalid_welcome(&err), WelcomeReason::ReInitMembership);
}

/// A reinit Welcome resumed against a group with no pending ReInit is refused (V-12.4.3.1-23).
#[test]
fn v_12_4_3_1_23_reinit_psk_needs_a_pending_reinit() {
    let (alice, bob, carol) = trio();
    let (bob_kp, bob_secrets) = next_key_package(&bob, "bob");
    let (carol_kp, _) = next_key_package(&carol, "carol");
    let id = reinit_psk(
        &alice.group,
        ResumptionPskUsage::Reinit,
        alice.group.epoch(),
    );
    let (_, out) = testing::resume(
        &alice.group,
        fresh_group(&alice, CS, NEW_ID),
        id,
        &alice.signer,
        vec![bob_kp.clone(), carol_kp],
        Some(NOW),
    )
    .expect("resume");
    let err = reject_join(&welcome_of(out.welcome), &bob_kp, &bob_secrets, &bob.group);
    assert_eq!(invalid_welcome(&err), WelcomeReason::NoPendingReInit);
}

#[test]
fn branch_creates_a_subgroup_of_some_members() {
    let (alice, bob, carol) = trio();
    let (bob_kp, bob_secrets) = next_key_package(&bob, "bob");
    let (mut sub_alice, out) = alice
        .group
        .branch(
            &provider(),
            &alice.signer,
            &spec("alice"),
            b"subgroup".to_vec(),
            Vec::new(),
            vec![bob_kp.clone()],
            &CommitOptions::new(),
            config(),
            Some(NOW),
        )
        .expect("branch");
    assert_eq!(sub_alice.epoch(), 1);
    let welcome = welcome_of(out.welcome);
    let mut sub_bob = join_resumed(&welcome, &bob_kp, &bob_secrets, &bob.group).expect("join");
    assert_eq!(
        sub_bob.epoch_authenticator(),
        sub_alice.epoch_authenticator()
    );
    assert_eq!(sub_bob.members().count(), 2);
    // The old group carries on.
    assert_eq!(alice.group.status(), GroupStatus::Active);
    let msg = sub_alice
        .encrypt_application(&alice.signer, b"just us", b"", 0)
        .expect("encrypt");
    match deliver(&mut sub_bob, &msg).expect("decrypt") {
        Processed::Application { data, .. } => assert_eq!(data, b"just us"),
        other => panic!("expected application data, got {other:?}"),
    }
    // carol, not invited, has no entry in the Welcome.
    let (carol_kp, carol_secrets) = next_key_package(&carol, "carol");
    let err = join_resumed(&welcome, &carol_kp, &carol_secrets, &carol.group).expect_err("no");
    assert!(
        matches!(err, Error::Invalid(ValidationError::NoMatchingKeyPackage)),
        "{err}"
    );
}

/// V-11.3-01, V-12.4.3.1-24: a branch keeps the old group's version and cipher suite.
#[test]
fn v_11_3_01_branch_must_keep_the_suite() {
    let (alice, _bob, _carol) = trio();
    let other = CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256;
    // bob's signature key is of another scheme in the other suite: a new client of the same
    // identity, which the Authentication Service accepts as the same member.
    let bob_signer = cohort_crypto::SoftwareSigner::generate(provider_suite(other)).expect("sig");
    let (bob_kp, bob_secrets) =
        cohort_group::create_key_package(&provider(), other, &bob_signer, &spec("bob"))
            .expect("kp");
    let alice_signer = cohort_crypto::SoftwareSigner::generate(provider_suite(other)).expect("sig");
    let new = Group::create(
        &provider(),
        other,
        &alice_signer,
        &spec("alice"),
        b"subgroup".to_vec(),
        Vec::new(),
        config(),
    )
    .expect("create");
    let id = reinit_psk(
        &alice.group,
        ResumptionPskUsage::Branch,
        alice.group.epoch(),
    );
    let (_, out) = testing::resume(
        &alice.group,
        new,
        id,
        &alice_signer,
        vec![bob_kp.clone()],
        Some(NOW),
    )
    .expect("resume");
    let err = reject_join(
        &welcome_of(out.welcome),
        &bob_kp,
        &bob_secrets,
        &alice.group,
    );
    assert_eq!(invalid_welcome(&err), WelcomeReason::BranchSuiteOrVersion);
}

fn provider_suite(cs: CipherSuite) -> std::sync::Arc<dyn cohort_crypto::SuiteOps> {
    use cohort_crypto::CryptoProvider;
    provider().suite(cs).expect("suite")
}

/// V-11.3-03, V-12.4.3.1-24: every member of a branch is a member of the old group.
#[test]
fn v_11_3_03_branch_members_must_be_old_members() {
    let (alice, bob, _carol) = trio();
    let (bob_kp, bob_secrets) = next_key_package(&bob, "bob");
    let (dave_kp, _, _) = key_package("dave");
    let (_, out) = alice
        .group
        .branch(
            &provider(),
            &alice.signer,
            &spec("alice"),
            b"subgroup".to_vec(),
            Vec::new(),
            vec![bob_kp.clone(), dave_kp],
            &CommitOptions::new(),
            config(),
            Some(NOW),
        )
        .expect("branch");
    let err = reject_join(&welcome_of(out.welcome), &bob_kp, &bob_secrets, &bob.group);
    assert_eq!(
        invalid_welcome(&err),
        WelcomeReason::BranchMemberNotInOldGroup
    );
}

/// A branch Welcome resumed against another group: its PSK is not there (V-8.4-01).
#[test]
fn branch_psk_of_another_group_is_missing() {
    let (alice, bob, _carol) = trio();
    let (other, _, _) = trio();
    let (bob_kp, bob_secrets) = next_key_package(&bob, "bob");
    let (_, out) = alice
        .group
        .branch(
            &provider(),
            &alice.signer,
            &spec("alice"),
            b"subgroup".to_vec(),
            Vec::new(),
            vec![bob_kp.clone()],
            &CommitOptions::new(),
            config(),
            Some(NOW),
        )
        .expect("branch");
    // `other` has the same group id (every test group has) but other secrets.
    let err = reject_join(
        &welcome_of(out.welcome),
        &bob_kp,
        &bob_secrets,
        &other.group,
    );
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::DecryptionFailed(
                EncryptedObject::GroupInfo
            ))
        ),
        "{err}"
    );
}

/// V-12.1.5-02: a ReInit to a version this client cannot run is reported when it tries to
/// create the new group.
#[test]
fn v_12_1_5_02_reinit_to_an_unknown_version_is_reported() {
    let (mut alice, _bob, _carol) = trio();
    let mut reinit = reinit_proposal();
    reinit.version = ProtocolVersion(2);
    alice
        .group
        .commit(
            &alice.signer,
            vec![Proposal::ReInit(reinit)],
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("commit ReInit");
    alice.group.merge_pending_commit().expect("merge");
    let err = alice
        .group
        .reinit(
            &provider(),
            &alice.signer,
            &spec("alice"),
            Vec::new(),
            &CommitOptions::new(),
            config(),
            Some(NOW),
        )
        .expect_err("unsupported");
    assert!(
        matches!(err, Error::Misuse(ApiMisuse::UnsupportedVersion(2))),
        "{err}"
    );
}

/// A pending ReInit commit of ours survives a save and a load, and merging it afterwards makes
/// the group wait for reinitialization.
#[test]
fn pending_reinit_commit_survives_save_and_load() {
    let (mut alice, _bob, _carol) = trio();
    alice
        .group
        .commit(
            &alice.signer,
            vec![Proposal::ReInit(reinit_proposal())],
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("commit ReInit");
    let bytes = alice.group.to_state_bytes().expect("save");
    let mut loaded = Group::from_state_bytes(&provider(), &bytes).expect("load");
    assert_eq!(*loaded.to_state_bytes().expect("save"), *bytes);
    assert_eq!(loaded.status(), GroupStatus::Active);
    loaded.merge_pending_commit().expect("merge");
    assert_eq!(loaded.status(), GroupStatus::ReInitPending);
    assert_eq!(loaded.pending_reinit(), Some(&reinit_proposal()));
}

/// A ReInit may move the group to another cipher suite (here one with a longer hash, so the
/// PSK nonce follows the new suite's KDF): the members bring KeyPackages and signature keys of
/// the new suite, accepted as the same members by the Authentication Service.
#[test]
fn reinit_moves_the_group_to_another_suite() {
    let (mut alice, mut bob, _carol) = trio();
    let new_cs = CipherSuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384;
    // carol leaves first, so the new group has alice and bob.
    let out = alice
        .group
        .remove_members(
            &alice.signer,
            &[cohort_tree::math::LeafIndex(2)],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("remove");
    alice.group.merge_pending_commit().expect("merge");
    apply(&mut bob.group, &out.commit);
    let reinit = ReInit {
        cipher_suite: new_cs,
        ..reinit_proposal()
    };
    let out = alice
        .group
        .commit(
            &alice.signer,
            vec![Proposal::ReInit(reinit)],
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("commit ReInit");
    alice.group.merge_pending_commit().expect("merge");
    apply(&mut bob.group, &out.commit);
    let alice_signer =
        cohort_crypto::SoftwareSigner::generate(provider_suite(new_cs)).expect("signer");
    let bob_signer =
        cohort_crypto::SoftwareSigner::generate(provider_suite(new_cs)).expect("signer");
    let (bob_kp, bob_secrets) =
        cohort_group::create_key_package(&provider(), new_cs, &bob_signer, &spec("bob"))
            .expect("kp");
    let (new_alice, out) = alice
        .group
        .reinit(
            &provider(),
            &alice_signer,
            &spec("alice"),
            vec![bob_kp.clone()],
            &CommitOptions::new(),
            config(),
            Some(NOW),
        )
        .expect("reinit");
    assert_eq!(new_alice.context().cipher_suite, new_cs);
    let new_bob =
        join_resumed(&welcome_of(out.welcome), &bob_kp, &bob_secrets, &bob.group).expect("join");
    assert_eq!(
        new_bob.epoch_authenticator(),
        new_alice.epoch_authenticator()
    );
}

/// A ReInit may keep the group id (RFC 9420 §11.2 only asks that the new group use the ReInit's
/// parameters). The new group and the one it resumes then share an id, and the reinit PSK must
/// be taken from the resumed group's epoch, on both the welcomer's and the joiners' side.
#[test]
fn reinit_keeping_the_group_id() {
    let (alice, bob, carol) = reinit_trio_with(|group| ReInit {
        group_id: group.group_id().to_vec().into(),
        ..reinit_proposal()
    });
    let (bob_kp, bob_secrets) = next_key_package(&bob, "bob");
    let (carol_kp, _) = next_key_package(&carol, "carol");
    let (new_alice, out) = alice
        .group
        .reinit(
            &provider(),
            &alice.signer,
            &spec("alice"),
            vec![bob_kp.clone(), carol_kp],
            &CommitOptions::new(),
            config(),
            Some(NOW),
        )
        .expect("reinit keeping the id");
    assert_eq!(new_alice.group_id(), alice.group.group_id());
    let welcome = welcome_of(out.welcome);
    let new_bob = join_resumed(&welcome, &bob_kp, &bob_secrets, &bob.group).expect("bob joins");
    assert_eq!(
        new_bob.epoch_authenticator(),
        new_alice.epoch_authenticator()
    );
}
