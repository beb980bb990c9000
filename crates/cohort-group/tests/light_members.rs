//! Light members (draft-ietf-mls-partial-02) in a group of full members: a light client joins
//! from a Welcome that the test annotates from the inviter's tree, as a Delivery Service would,
//! then reads and sends application messages that carry their sender's membership proof
//! ("Application Messages"). Refused messages consume no key.

#[path = "support.rs"]
mod support;

use cohort_group::light::LightGroup;
use cohort_group::{CommitOptions, Error, Group, NoPsks, Processed, ValidationError};
use cohort_messages::framing::PrivateMessage;
use cohort_messages::partial::{AnnotatedWelcome, SenderAuthenticated};
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::math::LeafIndex;
use cohort_tree::membership::MembershipProof;
use support::*;

/// The membership proof of `leaf` in `group`'s current tree: what an annotator gives.
fn proof(group: &Group, leaf: LeafIndex) -> MembershipProof {
    let mut tree = group.tree().clone();
    MembershipProof::from_tree(&mut tree, &*suite(), leaf).expect("proof")
}

/// `message` (a PrivateMessage) with the proof of `leaf` in `group`'s tree.
fn annotate(
    group: &Group,
    message: &MlsMessage,
    leaf: LeafIndex,
) -> SenderAuthenticated<PrivateMessage> {
    let MlsMessageBody::PrivateMessage(m) = &message.body else {
        panic!("not a PrivateMessage")
    };
    SenderAuthenticated {
        message: m.clone(),
        sender_membership_proof: proof(group, leaf),
    }
}

/// alice, bob and carol (full members) and a light member that alice added.
fn mixed() -> (
    Member,
    Member,
    Member,
    LightGroup,
    cohort_crypto::SoftwareSigner,
) {
    let (mut alice, mut bob, mut carol) = trio();
    let (kp, secrets, light_signer) = key_package("light");
    let welcome = invite(&mut alice, &mut [&mut bob, &mut carol], &kp);
    let light_leaf = LeafIndex(3);
    let annotated = AnnotatedWelcome {
        welcome: SenderAuthenticated {
            message: welcome,
            sender_membership_proof: proof(&alice.group, alice.leaf()),
        },
        joiner_membership_proof: proof(&alice.group, light_leaf),
    };
    let light =
        LightGroup::join(&provider(), &annotated, &kp, &secrets, &NoPsks).expect("light join");
    assert_eq!(light.own_leaf(), light_leaf);
    assert_eq!(
        light.epoch_authenticator(),
        alice.group.epoch_authenticator()
    );
    (alice, bob, carol, light, light_signer)
}

/// Application messages both ways: a full member's message, annotated with its proof, is read
/// by the light member with the sender's leaf and credential; the light member's message is
/// read by every full member as an ordinary PrivateMessage, and its proof verifies against
/// their tree.
#[test]
fn light_member_reads_and_sends_application_messages() {
    let (mut alice, mut bob, mut carol, mut light, light_signer) = mixed();
    let m = bob
        .group
        .encrypt_application(&bob.signer, b"hello light", b"aad", 0)
        .expect("send");
    let read = light
        .process_application(&annotate(&alice.group, &m, bob.leaf()))
        .expect("read");
    assert_eq!(read.sender, bob.leaf());
    assert_eq!(
        read.credential,
        cohort_credential::Credential::basic(b"bob".to_vec())
    );
    assert_eq!(
        (read.data.as_slice(), read.authenticated_data.as_slice()),
        (&b"hello light"[..], &b"aad"[..])
    );

    let sent = light
        .encrypt_application(&light_signer, b"hello full", b"", 16)
        .expect("light sends");
    let mut tree = alice.group.tree().clone();
    let root = tree.tree_hash(&*suite()).expect("hash");
    assert_eq!(
        sent.sender_membership_proof
            .root_tree_hash(&*suite())
            .expect("hash"),
        root
    );
    let wire = MlsMessage::new(MlsMessageBody::PrivateMessage(sent.message));
    for full in [&mut alice, &mut bob, &mut carol] {
        match deliver(&mut full.group, &wire).expect("full member reads") {
            Processed::Application { sender, data, .. } => {
                assert_eq!(
                    (sender, data.as_slice()),
                    (light.own_leaf(), &b"hello full"[..])
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

/// The refusals of a light member's receive path, each leaving the message readable after:
/// a proof of another leaf than the sender's, a proof altered so that it does not verify
/// against the epoch's tree hash, and a proof of a leaf in another tree; then the genuine
/// message is read, and its replay is refused (the key is consumed).
#[test]
fn light_member_refuses_unproven_application_messages() {
    let (mut alice, mut bob, carol, mut light, _) = mixed();
    let m = bob
        .group
        .encrypt_application(&bob.signer, b"proven", b"", 0)
        .expect("send");
    let genuine = annotate(&alice.group, &m, bob.leaf());

    let other_leaf = annotate(&alice.group, &m, carol.leaf());
    assert!(matches!(
        light.process_application(&other_leaf),
        Err(Error::Invalid(ValidationError::AnnotationMismatch(_)))
    ));
    let mut altered = genuine.clone();
    if let Some(first) = altered.sender_membership_proof.copath_hashes.first_mut() {
        first.hash_value = vec![0u8; 32].into();
    }
    assert!(matches!(
        light.process_application(&altered),
        Err(Error::Invalid(ValidationError::InvalidMembershipProof(_)))
    ));
    // bob's proof from before the light member joined: a tree of another hash.
    let (mut lonely, _, _) = trio();
    let stale = SenderAuthenticated {
        message: genuine.message.clone(),
        sender_membership_proof: proof(&lonely.group, bob.leaf()),
    };
    assert!(matches!(
        light.process_application(&stale),
        Err(Error::Invalid(ValidationError::InvalidMembershipProof(_)))
    ));
    let _ = &mut lonely;

    let read = light.process_application(&genuine).expect("still readable");
    assert_eq!(read.data, b"proven");
    assert!(light.process_application(&genuine).is_err(), "a replay");

    // A message of an epoch the light member has not reached (it was given no annotated
    // commit for it).
    let update = alice
        .group
        .self_update(&alice.signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    alice.group.merge_pending_commit().expect("merge");
    apply(&mut bob.group, &update.commit);
    let later = bob
        .group
        .encrypt_application(&bob.signer, b"later", b"", 0)
        .expect("send");
    assert!(matches!(
        light.process_application(&annotate(&alice.group, &later, bob.leaf())),
        Err(Error::Invalid(ValidationError::WrongEpoch { .. }))
    ));
}

/// A light member follows full members' commits, each annotated by its committer from the
/// trees before and after it (`annotate_commit`), and agrees on every epoch authenticator:
/// self-updates by each full member (paths meeting the light member's at every level), an add
/// without a path, an add with one (the new member's leaf left out of the path's
/// ciphertexts), and a removal. It then reads the new member's message and sends one that
/// every full member reads.
/// `committer` commits with `commit` and merges; the `others` process the commit; `light`
/// processes it as annotated from the committer's trees, and agrees with the committer.
fn step(
    committer: &mut Member,
    others: &mut [&mut Member],
    light: &mut LightGroup,
    commit: &dyn Fn(&mut Member) -> cohort_group::CommitOutput,
) -> cohort_group::CommitOutput {
    let before = committer.group.tree().clone();
    let out = commit(committer);
    committer.group.merge_pending_commit().expect("merge");
    for m in others.iter_mut() {
        apply(&mut m.group, &out.commit);
    }
    let annotated = cohort_group::light::annotate_commit(
        &*suite(),
        &before,
        committer.group.tree(),
        out.commit.clone(),
        committer.leaf(),
        light.own_leaf(),
    )
    .expect("annotate");
    light
        .process_commit(&annotated, &NoPsks)
        .expect("light member processes");
    assert_eq!(
        light.epoch_authenticator(),
        committer.group.epoch_authenticator()
    );
    out
}

/// A self-update with a path.
fn update(m: &mut Member) -> cohort_group::CommitOutput {
    m.group
        .self_update(&m.signer, &CommitOptions::new(), Some(NOW))
        .expect("update")
}

#[test]
fn light_member_follows_annotated_commits() {
    let (mut alice, mut bob, mut carol, mut light, light_signer) = mixed();
    step(&mut alice, &mut [&mut bob, &mut carol], &mut light, &update);
    step(&mut bob, &mut [&mut alice, &mut carol], &mut light, &update);
    step(&mut carol, &mut [&mut alice, &mut bob], &mut light, &update);
    // An add without a path, then one with a path: dave and erin join by Welcome.
    let join = |out: cohort_group::CommitOutput,
                kp: &cohort_messages::key_package::KeyPackage,
                secrets: &cohort_group::KeyPackageSecrets,
                signer: cohort_crypto::SoftwareSigner| {
        let MlsMessageBody::Welcome(welcome) = out.welcome.expect("welcome").body else {
            panic!("not a Welcome")
        };
        join_welcome(&welcome, kp, secrets, signer)
    };
    let (kp, secrets, signer) = key_package("dave");
    let mut options = CommitOptions::new();
    options.force_path = false;
    let out = step(
        &mut alice,
        &mut [&mut bob, &mut carol],
        &mut light,
        &|m: &mut Member| {
            m.group
                .add_members(&m.signer, vec![kp.clone()], &options, Some(NOW))
                .expect("add")
        },
    );
    let mut dave = join(out, &kp, &secrets, signer);
    let (kp, secrets, signer) = key_package("erin");
    options.force_path = true;
    let out = step(
        &mut alice,
        &mut [&mut bob, &mut carol, &mut dave],
        &mut light,
        &|m: &mut Member| {
            m.group
                .add_members(&m.signer, vec![kp.clone()], &options, Some(NOW))
                .expect("add")
        },
    );
    let mut erin = join(out, &kp, &secrets, signer);
    // The light member is stored and reloaded: the rest runs on the reloaded state.
    let stored = light.to_bytes().expect("store");
    light = LightGroup::from_bytes(&provider(), &stored).expect("reload");
    assert_eq!(light.to_bytes().expect("store again"), stored);
    // bob removes carol, with his path.
    let carol_leaf = carol.leaf();
    step(
        &mut bob,
        &mut [&mut alice, &mut dave, &mut erin],
        &mut light,
        &|m: &mut Member| {
            m.group
                .remove_members(&m.signer, &[carol_leaf], &CommitOptions::new(), Some(NOW))
                .expect("remove")
        },
    );
    step(
        &mut erin,
        &mut [&mut alice, &mut bob, &mut dave],
        &mut light,
        &update,
    );
    let m = dave
        .group
        .encrypt_application(&dave.signer, b"from dave", b"", 0)
        .expect("send");
    let read = light
        .process_application(&annotate(&alice.group, &m, dave.leaf()))
        .expect("light reads");
    assert_eq!(
        (read.sender, read.data.as_slice()),
        (dave.leaf(), &b"from dave"[..])
    );
    let sent = light
        .encrypt_application(&light_signer, b"from light", b"", 0)
        .expect("light sends");
    let wire = MlsMessage::new(MlsMessageBody::PrivateMessage(sent.message));
    for full in [&mut alice, &mut bob, &mut dave, &mut erin] {
        match deliver(&mut full.group, &wire).expect("read") {
            Processed::Application { data, .. } => assert_eq!(data, b"from light"),
            other => panic!("{other:?}"),
        }
    }
}

/// A stored light member reloads to the same state, and every cut of the stored bytes, and an
/// unknown version, is refused as malformed without a panic.
#[test]
fn light_member_state_round_trips_and_refuses_damage() {
    let (_, _, _, light, _) = mixed();
    let stored = light.to_bytes().expect("store");
    let back = LightGroup::from_bytes(&provider(), &stored).expect("reload");
    assert_eq!(back.epoch_authenticator(), light.epoch_authenticator());
    assert_eq!(back.membership_proof(), light.membership_proof());
    for cut in 0..stored.len() {
        assert!(
            matches!(
                LightGroup::from_bytes(&provider(), &stored[..cut]),
                Err(Error::Malformed(_))
            ),
            "cut at {cut}"
        );
    }
    let mut other = stored.to_vec();
    other[1] = 2;
    assert!(matches!(
        LightGroup::from_bytes(&provider(), &other),
        Err(Error::Malformed(_))
    ));
}

/// A light member upgrades to a full member when given the tree (draft-ietf-mls-partial-02,
/// "Upgrading and Downgrading"): a tree of another epoch is refused; the epoch's tree makes a
/// full member that processes the next commit, commits its own self-update that every other
/// member processes, and reads and sends messages, all on the keys it had as a light member.
#[test]
fn light_member_upgrades_to_a_full_member() {
    let (mut alice, mut bob, mut carol, mut light, light_signer) = mixed();
    let stale = alice.group.tree().to_nodes();
    // One commit with a path, followed as a light member.
    step(&mut alice, &mut [&mut bob, &mut carol], &mut light, &update);
    // A light message sent before the upgrade.
    let early = light
        .encrypt_application(&light_signer, b"before", b"", 0)
        .expect("send");
    let early = MlsMessage::new(MlsMessageBody::PrivateMessage(early.message));
    deliver(&mut bob.group, &early).expect("bob reads");

    assert!(matches!(
        light.upgrade(stale, config(), Some(NOW)),
        Err(Error::Invalid(ValidationError::InvalidTree(_)))
    ));
    let full = light
        .upgrade(alice.group.tree().to_nodes(), config(), Some(NOW))
        .expect("upgrade");
    let mut full = Member {
        signer: light_signer,
        group: full,
    };
    assert_eq!(
        full.group.epoch_authenticator(),
        alice.group.epoch_authenticator()
    );
    // Its next message uses the next generation: bob, who read the light member's message of
    // generation 0, reads it (a reset secret tree would send generation 0 again, a replay).
    let after = full
        .group
        .encrypt_application(&full.signer, b"after", b"", 0)
        .expect("send");
    match deliver(&mut bob.group, &after).expect("bob reads the upgraded member") {
        Processed::Application { data, .. } => assert_eq!(data, b"after"),
        other => panic!("{other:?}"),
    }
    // The next commit, processed as a full member.
    let update = alice
        .group
        .self_update(&alice.signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    alice.group.merge_pending_commit().expect("merge");
    for m in [&mut bob, &mut carol, &mut full] {
        apply(&mut m.group, &update.commit);
    }
    // Its own self-update, which every other member processes.
    let own = full
        .group
        .self_update(&full.signer, &CommitOptions::new(), Some(NOW))
        .expect("the upgraded member commits");
    full.group.merge_pending_commit().expect("merge");
    for m in [&mut alice, &mut bob, &mut carol] {
        apply(&mut m.group, &own.commit);
        assert_eq!(
            m.group.epoch_authenticator(),
            full.group.epoch_authenticator()
        );
    }
    let m = full
        .group
        .encrypt_application(&full.signer, b"now full", b"", 0)
        .expect("send");
    match deliver(&mut carol.group, &m).expect("carol reads") {
        Processed::Application { data, .. } => assert_eq!(data, b"now full"),
        other => panic!("{other:?}"),
    }
}
