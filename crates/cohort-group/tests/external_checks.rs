//! Receiver checks on external commits (RFC 9420 §12.2 external-commit rules, §12.4.2,
//! §12.4.3.2), each named by its checklist ID. dave joins alice, bob and carol by external
//! commit; the tests change his commit (signing it again with his key) and check that the
//! members reject it without changing their state.

#[path = "support.rs"]
mod support;

use cohort_group::framing::sign_content;
use cohort_group::{CommitOptions, Error, Group, GroupConfig, Processed, ValidationError};
use cohort_messages::framing::{Content, FramedContentAuthData, PublicMessage};
use cohort_messages::group_info::GroupInfo;
use cohort_messages::message::WireFormat;
use cohort_messages::proposal::{
    Add, Commit, GroupContextExtensions, Proposal, ProposalOrRef, ProposalRef, Remove,
};
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::extension::ExtensionType;
use cohort_tree::math::LeafIndex;

use cohort_group::reason::{
    CommitReason, GroupInfoReason, LeafNodeReason, ProposalListReason, PskReason, SignedObject,
};
use support::*;

fn invalid(err: &Error) -> &ValidationError {
    match err {
        Error::Invalid(v) => v,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// The group's GroupInfo after a commit by `by` that everyone else applies.
fn fresh_group_info(by: &mut Member, others: &mut [&mut Member]) -> GroupInfo {
    let out = by
        .group
        .self_update(&by.signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    by.group.merge_pending_commit().expect("merge");
    for m in others.iter_mut() {
        apply(&mut m.group, &out.commit);
    }
    let MlsMessageBody::GroupInfo(gi) = out.group_info.expect("group info").body else {
        panic!("not a GroupInfo")
    };
    gi
}

struct Setup {
    alice: Member,
    bob: Member,
    carol: Member,
    dave: cohort_crypto::SoftwareSigner,
    group_info: GroupInfo,
    commit: MlsMessage,
}

fn setup() -> Setup {
    let (mut alice, mut bob, mut carol) = trio();
    let group_info = fresh_group_info(&mut alice, &mut [&mut bob, &mut carol]);
    let dave = signer();
    let joined = Group::join_by_external_commit(
        &provider(),
        &dave,
        &spec("dave"),
        &group_info,
        None,
        None,
        GroupConfig::default(),
        Some(NOW),
    )
    .expect("external join");
    Setup {
        alice,
        bob,
        carol,
        dave,
        group_info,
        commit: joined.commit,
    }
}

/// dave's commit with `edit` applied to its Commit, signed again by `signer` over the group's
/// current context.
fn edited(
    s: &Setup,
    signer: &cohort_crypto::SoftwareSigner,
    edit: impl FnOnce(&mut Commit),
) -> MlsMessage {
    let MlsMessageBody::PublicMessage(m) = wire(&s.commit).body else {
        panic!("not a PublicMessage")
    };
    let mut content = m.content;
    let Content::Commit(commit) = &mut content.content else {
        panic!("not a commit")
    };
    edit(commit);
    let signature = sign_content(
        signer,
        WireFormat::PUBLIC_MESSAGE,
        &content,
        s.alice.group.context(),
    )
    .expect("sign");
    MlsMessage::new(MlsMessageBody::PublicMessage(PublicMessage {
        content,
        auth: FramedContentAuthData {
            signature,
            confirmation_tag: m.auth.confirmation_tag,
        },
        membership_tag: None,
    }))
}

fn assert_list_error(err: &Error, reason: ProposalListReason) {
    match invalid(err) {
        ValidationError::InvalidProposalList(r) => assert_eq!(*r, reason),
        other => panic!("expected InvalidProposalList({reason:?}), got {other:?}"),
    }
}

fn remove(leaf: u32) -> ProposalOrRef {
    ProposalOrRef::Proposal(Proposal::Remove(Remove {
        removed: LeafIndex(leaf),
    }))
}

/// The helpers themselves: dave's commit, signed again unchanged, is accepted.
#[test]
fn an_unchanged_external_commit_is_accepted() {
    let mut s = setup();
    let msg = edited(&s, &s.dave.clone(), |_| {});
    apply(&mut s.alice.group, &msg);
    apply(&mut s.bob.group, &s.commit);
    apply(&mut s.carol.group, &s.commit);
    assert_eq!(s.alice.group.members().count(), 4);
}

/// V-12.2-15: an external commit holds exactly one ExternalInit.
#[test]
fn v_12_2_15_external_commit_without_exactly_one_external_init_is_rejected() {
    let mut s = setup();
    let dave = s.dave.clone();
    let msg = edited(&s, &dave, |c| {
        c.proposals
            .retain(|p| !matches!(p, ProposalOrRef::Proposal(Proposal::ExternalInit(_))));
    });
    assert_list_error(
        &reject(&mut s.alice.group, &msg),
        ProposalListReason::MissingExternalInit,
    );
    let msg = edited(&s, &dave, |c| {
        let ei = c.proposals[0].clone();
        c.proposals.push(ei);
    });
    assert_list_error(
        &reject(&mut s.alice.group, &msg),
        ProposalListReason::MultipleExternalInits,
    );
}

/// V-12.2-16: an external commit holds at most one Remove.
#[test]
fn v_12_2_16_external_commit_with_two_removes_is_rejected() {
    let mut s = setup();
    let dave = s.dave.clone();
    let msg = edited(&s, &dave, |c| c.proposals.extend([remove(1), remove(2)]));
    assert_list_error(
        &reject(&mut s.alice.group, &msg),
        ProposalListReason::MultipleRemovesInExternalCommit,
    );
}

/// V-12.2-17: a resync must keep the removed member's identity: dave may not remove bob's leaf
/// in his external commit.
#[test]
fn v_12_2_17_resync_for_another_member_is_rejected() {
    let mut s = setup();
    let dave = s.dave.clone();
    let msg = edited(&s, &dave, |c| c.proposals.push(remove(1)));
    assert_list_error(
        &reject(&mut s.alice.group, &msg),
        ProposalListReason::ResyncChangesCredential,
    );
}

/// V-12.2-18: only ExternalInit, Remove and PreSharedKey proposals are allowed.
#[test]
fn v_12_2_18_other_proposal_types_in_an_external_commit_are_rejected() {
    let mut s = setup();
    let dave = s.dave.clone();
    let kp = key_package("erin").0;
    for extra in [
        Proposal::Add(Add { key_package: kp }),
        Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: Vec::new(),
        }),
    ] {
        let msg = edited(&s, &dave, |c| {
            c.proposals.push(ProposalOrRef::Proposal(extra))
        });
        assert_list_error(
            &reject(&mut s.alice.group, &msg),
            ProposalListReason::ExternalCommitProposalType,
        );
    }
}

/// V-12.4.3.2-04: an external commit may not include proposals by reference.
#[test]
fn v_12_4_3_2_04_external_commit_by_reference_is_rejected() {
    let mut s = setup();
    let dave = s.dave.clone();
    let msg = edited(&s, &dave, |c| {
        c.proposals
            .push(ProposalOrRef::Reference(ProposalRef(vec![1; 32].into())));
    });
    let err = reject(&mut s.alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidCommit(CommitReason::ExternalCommitByReference)
        ),
        "{err}"
    );
}

/// V-12.4.3.2-03, V-6.1-04: an external commit must carry a path.
#[test]
fn v_12_4_3_2_03_external_commit_without_a_path_is_rejected() {
    let mut s = setup();
    let dave = s.dave.clone();
    let msg = edited(&s, &dave, |c| c.path = None);
    let err = reject(&mut s.alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidCommit(CommitReason::NewMemberCommitWithoutPath)
        ),
        "{err}"
    );
}

/// V-12.4.3.2-05: the signature must verify under the path leaf's signature key.
#[test]
fn v_12_4_3_2_05_external_commit_signed_by_another_key_is_rejected() {
    let mut s = setup();
    let other = signer();
    let msg = edited(&s, &other, |_| {});
    let err = reject(&mut s.alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSignature(SignedObject::FramedContent)
        ),
        "{err}"
    );
}

/// V-12.4.3.2-07, V-8.3-01: the epoch's init secret is the one exported from the joiner's KEM
/// output: a different kem_output gives another epoch, caught by the confirmation tag.
#[test]
fn v_12_4_3_2_07_external_init_secret_comes_from_the_kem_output() {
    let mut s = setup();
    let dave = s.dave.clone();
    let msg = edited(&s, &dave, |c| {
        for p in &mut c.proposals {
            if let ProposalOrRef::Proposal(Proposal::ExternalInit(ei)) = p {
                let mut k = ei.kem_output.as_slice().to_vec();
                k[0] ^= 1;
                ei.kem_output = k.into();
            }
        }
    });
    let err = reject(&mut s.alice.group, &msg);
    assert!(
        matches!(invalid(&err), ValidationError::InvalidConfirmationTag),
        "{err}"
    );
}

/// V-12.4.2-07, V-12.4.3.2-08: the joiner takes the leftmost free leaf once Removes are
/// applied (bob's blank leaf 1 here).
#[test]
fn v_12_4_3_2_08_joiner_takes_the_leftmost_free_leaf() {
    let (mut alice, mut bob, mut carol) = trio();
    let out = carol
        .group
        .remove_members(
            &carol.signer,
            &[LeafIndex(1)],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("remove");
    carol.group.merge_pending_commit().expect("merge");
    apply(&mut alice.group, &out.commit);
    apply(&mut bob.group, &out.commit);
    let MlsMessageBody::GroupInfo(gi) = out.group_info.expect("group info").body else {
        panic!()
    };
    let dave = signer();
    let joined = Group::join_by_external_commit(
        &provider(),
        &dave,
        &spec("dave"),
        &gi,
        None,
        None,
        GroupConfig::default(),
        Some(NOW),
    )
    .expect("external join");
    assert_eq!(joined.group.own_leaf(), LeafIndex(1));
    match deliver(&mut alice.group, &joined.commit).expect("process") {
        Processed::Commit(staged) => {
            assert_eq!(staged.summary().added.len(), 1);
            assert_eq!(staged.summary().added[0].0, LeafIndex(1));
        }
        other => panic!("{other:?}"),
    }
}

/// V-12.4.3.2-01: the joiner needs an external_pub in the GroupInfo.
#[test]
fn v_12_4_3_2_01_group_info_without_external_pub_is_rejected() {
    let s = setup();
    let mut gi = s.group_info;
    gi.extensions
        .retain(|e| e.extension_type != ExtensionType::EXTERNAL_PUB);
    let result = Group::join_by_external_commit(
        &provider(),
        &signer(),
        &spec("erin"),
        &gi,
        None,
        None,
        GroupConfig::default(),
        Some(NOW),
    );
    let Err(err) = result else {
        panic!("must be rejected")
    };
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidGroupInfo(GroupInfoReason::NoExternalPub)
        ),
        "{err}"
    );
}

/// V-12.4.3.2-02, V-12.4.3-06: the joiner checks the GroupInfo as for a Welcome: its signature,
/// no duplicate extension, a version it runs, and the tree against the GroupContext's tree hash.
#[test]
fn v_12_4_3_2_02_joiner_checks_the_group_info() {
    let s = setup();
    let join = |gi: &GroupInfo| {
        let result = Group::join_by_external_commit(
            &provider(),
            &signer(),
            &spec("erin"),
            gi,
            None,
            None,
            GroupConfig::default(),
            Some(NOW),
        );
        let Err(err) = result else {
            panic!("must be rejected")
        };
        err
    };
    let mut gi = s.group_info.clone();
    let mut sig = gi.signature.as_slice().to_vec();
    sig[0] ^= 1;
    gi.signature = sig.into();
    let err = join(&gi);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSignature(SignedObject::GroupInfo)
        ),
        "{err}"
    );
    let mut gi = s.group_info.clone();
    let first = gi.extensions[0].clone();
    gi.extensions.push(first);
    let err = join(&gi);
    assert!(
        matches!(invalid(&err), ValidationError::DuplicateExtension),
        "{err}"
    );
    // V-12.4.3-06: a GroupContext of a version we do not run.
    let mut gi = s.group_info.clone();
    gi.group_context.version = cohort_tree::leaf::ProtocolVersion(0x0a0a);
    let err = join(&gi);
    assert!(
        matches!(invalid(&err), ValidationError::UnsupportedVersion(0x0a0a)),
        "{err}"
    );
    let mut gi = s.group_info;
    let mut th = gi.group_context.tree_hash.as_slice().to_vec();
    th[0] ^= 1;
    gi.group_context.tree_hash = th.into();
    let err = join(&gi);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidTree(cohort_tree::TreeError::TreeHashMismatch)
        ),
        "{err}"
    );
}

fn psk(nonce_len: usize) -> ProposalOrRef {
    ProposalOrRef::Proposal(Proposal::PreSharedKey(
        cohort_messages::proposal::PreSharedKey {
            psk: cohort_messages::psk::PreSharedKeyId {
                psk: cohort_messages::psk::Psk::External {
                    psk_id: b"the-psk".to_vec().into(),
                },
                psk_nonce: vec![9; nonce_len].into(),
            },
        },
    ))
}

/// V-12.1.4-03 and V-12.2-08 in an external commit: its PreSharedKey proposals are checked
/// like a member's (nonce length, each PSK once).
#[test]
fn v_12_2_08_external_commit_psks_are_checked() {
    let mut s = setup();
    let dave = s.dave.clone();
    let msg = edited(&s, &dave, |c| c.proposals.push(psk(3)));
    let err = reject(&mut s.alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidPsk(PskReason::NonceLength)
        ),
        "{err}"
    );
    let msg = edited(&s, &dave, |c| c.proposals.extend([psk(32), psk(32)]));
    assert_list_error(
        &reject(&mut s.alice.group, &msg),
        ProposalListReason::DuplicatePsk,
    );
}

/// V-12.2-17: a resync's path leaf must, like an Update, replace the removed leaf's
/// encryption key.
#[test]
fn v_12_2_17_resync_reusing_the_old_encryption_key_is_rejected() {
    let (mut alice, mut bob, mut carol) = trio();
    let gi = fresh_group_info(&mut alice, &mut [&mut bob, &mut carol]);
    let joined = Group::join_by_external_commit(
        &provider(),
        &bob.signer,
        &spec("bob"),
        &gi,
        None,
        Some(LeafIndex(1)),
        GroupConfig::default(),
        Some(NOW),
    )
    .expect("resync");
    let old_key = leaf_of(&alice, LeafIndex(1)).encryption_key;
    let MlsMessageBody::PublicMessage(m) = wire(&joined.commit).body else {
        panic!()
    };
    let mut content = m.content;
    let Content::Commit(commit) = &mut content.content else {
        panic!()
    };
    let leaf = &mut commit.path.as_mut().expect("path").leaf_node;
    leaf.encryption_key = old_key;
    // The joiner's leaf index is the leftmost free one after the Remove: bob's own leaf 1.
    sign_leaf(leaf, &bob.signer, alice.group.group_id(), LeafIndex(1));
    let signature = sign_content(
        &bob.signer,
        WireFormat::PUBLIC_MESSAGE,
        &content,
        alice.group.context(),
    )
    .expect("sign");
    let msg = MlsMessage::new(MlsMessageBody::PublicMessage(PublicMessage {
        content,
        auth: FramedContentAuthData {
            signature,
            confirmation_tag: m.auth.confirmation_tag,
        },
        membership_tag: None,
    }));
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(LeafNodeReason::PathKeyNotFresh)
        ),
        "{err}"
    );
}

/// V-12.4.3.2-10: an external commit is a PublicMessage without a membership tag: one with a
/// tag appended does not decode (the tag's presence follows the sender type).
#[test]
fn v_12_4_3_2_10_external_commit_with_a_membership_tag_does_not_decode() {
    use cohort_codec::{Decode, Encode};
    let s = setup();
    let mut bytes = s.commit.to_bytes().expect("encode");
    MlsMessage::from_bytes(&bytes).expect("the original decodes");
    bytes.push(32);
    bytes.extend_from_slice(&[0; 32]);
    assert!(MlsMessage::from_bytes(&bytes).is_err());
}

/// §12.4.3.2 / §12.2: an external commit may carry PreSharedKey proposals. dave joins with two
/// external PSKs that the members hold: the commit lists them by value after the ExternalInit,
/// each with a nonce of length Nh, and every member that has the PSKs reaches dave's epoch. A
/// member without them rejects the commit, and a joiner lacking a PSK cannot make one.
#[test]
fn external_commit_with_psks_is_accepted_by_members_holding_them() {
    use cohort_crypto::Secret;
    use cohort_group::PskList;

    let (mut alice, mut bob, mut carol) = trio();
    let group_info = fresh_group_info(&mut alice, &mut [&mut bob, &mut carol]);
    let psks = PskList(vec![
        (b"psk one".to_vec(), Secret::new(vec![1; 32])),
        (b"psk two".to_vec(), Secret::new(vec![2; 32])),
    ]);
    let dave = signer();
    let joined = Group::join_by_external_commit_with_psks(
        &provider(),
        &dave,
        &spec("dave"),
        &group_info,
        None,
        None,
        &[b"psk two", b"psk one"],
        &psks,
        GroupConfig::default(),
        Some(NOW),
    )
    .expect("external join with PSKs");

    // The PSKs are in the commit, by value, in the order asked, after the ExternalInit.
    let MlsMessageBody::PublicMessage(m) = wire(&joined.commit).body else {
        panic!("not a PublicMessage")
    };
    let Content::Commit(commit) = &m.content.content else {
        panic!("not a commit")
    };
    let ids: Vec<Vec<u8>> = commit
        .proposals
        .iter()
        .filter_map(|p| match p {
            ProposalOrRef::Proposal(Proposal::PreSharedKey(p)) => match &p.psk.psk {
                cohort_messages::psk::Psk::External { psk_id } => {
                    assert_eq!(p.psk.psk_nonce.as_slice().len(), 32, "nonce of Nh bytes");
                    Some(psk_id.as_slice().to_vec())
                }
                other => panic!("not an external PSK: {other:?}"),
            },
            _ => None,
        })
        .collect();
    assert_eq!(ids, [b"psk two".to_vec(), b"psk one".to_vec()]);
    assert!(matches!(
        commit.proposals.first(),
        Some(ProposalOrRef::Proposal(Proposal::ExternalInit(_)))
    ));

    // carol lacks the PSKs: she rejects the commit and keeps her state.
    let err = reject(&mut carol.group, &joined.commit);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::MissingPsk(cohort_group::reason::MissingPskReason::UnknownExternal)
        ),
        "{err}"
    );
    // alice and bob have them and reach dave's epoch, with his epoch authenticator.
    for m in [&mut alice, &mut bob] {
        match m
            .group
            .process_message(wire(&joined.commit), &psks, Some(NOW))
            .expect("process")
        {
            Processed::Commit(staged) => m.group.merge_staged(*staged).expect("merge"),
            other => panic!("expected a commit, got {other:?}"),
        }
        assert_eq!(m.group.epoch(), joined.group.epoch());
        assert_eq!(
            m.group.epoch_authenticator(),
            joined.group.epoch_authenticator()
        );
    }

    // The same join without the PSK values fails before anything is sent.
    let err = Group::join_by_external_commit_with_psks(
        &provider(),
        &signer(),
        &spec("erin"),
        &group_info,
        None,
        None,
        &[b"psk one"],
        &PskList::default(),
        GroupConfig::default(),
        Some(NOW),
    )
    .expect_err("an unknown PSK");
    assert!(
        matches!(
            invalid(&err),
            ValidationError::MissingPsk(cohort_group::reason::MissingPskReason::UnknownExternal)
        ),
        "{err}"
    );
}

/// V-12.4.3.2-02 on the joiner's side: a client joining by external commit refuses to send a
/// commit whose tree its receivers refuse. Bob joins again with his own signer without naming
/// his old leaf (no resync): the new leaf would share his old leaf's signature key.
#[test]
fn v_12_4_3_2_02_external_join_with_a_signature_key_already_in_the_tree_is_refused() {
    let (mut alice, mut bob, mut carol) = trio();
    let group_info = fresh_group_info(&mut alice, &mut [&mut bob, &mut carol]);
    let result = Group::join_by_external_commit(
        &provider(),
        &bob.signer,
        &spec("bob"),
        &group_info,
        None,
        None,
        GroupConfig::default(),
        Some(NOW),
    );
    let err = result
        .map(|_| ())
        .expect_err("bob's key is in the tree already");
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::InvalidTree(
                cohort_tree::TreeError::DuplicateSignatureKey(..)
            ))
        ),
        "{err}"
    );
}
