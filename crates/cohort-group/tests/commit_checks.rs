//! Receiver checks on proposals (RFC 9420 §12.1), KeyPackages (§10, §10.1), leaves (§7.3),
//! proposal lists (§12.2) and commits (§12.4, §12.4.2), each named by its checklist ID.
//!
//! Invalid messages are built by hand and protected with the sender's current keys through the
//! `test-utils` hooks. Every rejection also checks that the receiver's serialized state is
//! unchanged (V-12.4.2-15).

#[path = "support.rs"]
mod support;

use cohort_codec::{Decode, VarBytes};
use cohort_crypto::{CipherSuite, Secret, Signer};
use cohort_group::internal::testing;
use cohort_group::{
    CommitOptions, Error, HandshakeFormat, LifetimePolicy, MaxLifetime, NoPsks, Processed, PskList,
    StrictChecks, ValidationError,
};
use cohort_messages::extensions::{ExtensionPayload, ExternalSender, ExternalSenders};
use cohort_messages::framing::{Content, FramedContent, Mac, Sender};
use cohort_messages::proposal::{
    Add, ExternalInit, GroupContextExtensions, PreSharedKey, Proposal, ProposalOrRef, ProposalRef,
    ReInit, Remove, Update,
};
use cohort_messages::psk::{PreSharedKeyId, Psk, ResumptionPskUsage};
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::TreeError;
use cohort_tree::leaf::{LeafNodeSource, Lifetime, ProtocolVersion};
use cohort_tree::math::LeafIndex;

use support::*;

const PSK_ID: &[u8] = b"the-psk";

fn add_of(kp: cohort_messages::key_package::KeyPackage) -> Proposal {
    Proposal::Add(Add { key_package: kp })
}

fn remove(leaf: u32) -> Proposal {
    Proposal::Remove(Remove {
        removed: LeafIndex(leaf),
    })
}

fn external_psk(nonce_len: usize) -> Proposal {
    Proposal::PreSharedKey(PreSharedKey {
        psk: PreSharedKeyId {
            psk: Psk::External {
                psk_id: PSK_ID.to_vec().into(),
            },
            psk_nonce: vec![7; nonce_len].into(),
        },
    })
}

fn empty_commit() -> cohort_messages::proposal::Commit {
    cohort_messages::proposal::Commit {
        proposals: Vec::new(),
        path: None,
    }
}

fn invalid(err: &Error) -> &ValidationError {
    match err {
        Error::Invalid(v) => v,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// `msg`, a commit with a path from `from`, with the path's leaf changed by `edit` (which signs
/// it again if it should verify), the commit re-signed and its tags recomputed.
fn edit_path_leaf(
    from: &mut Member,
    msg: &MlsMessage,
    edit: impl FnOnce(&mut cohort_tree::leaf::LeafNode),
) -> MlsMessage {
    edit_commit(from, msg, |c, _| {
        let Content::Commit(commit) = &mut c.content else {
            panic!("not a commit")
        };
        edit(&mut commit.path.as_mut().expect("path").leaf_node);
    })
}

/// Decodes a PublicMessage commit, lets `edit` change its content and auth, and protects it
/// again with `from`'s keys (signature recomputed).
fn edit_commit(
    from: &mut Member,
    msg: &MlsMessage,
    edit: impl FnOnce(&mut FramedContent, &mut Option<Mac>),
) -> MlsMessage {
    let MlsMessageBody::PublicMessage(m) = wire(msg).body else {
        panic!("not a PublicMessage")
    };
    let mut content = m.content;
    let mut tag = m.auth.confirmation_tag;
    edit(&mut content, &mut tag);
    testing::protect(
        &mut from.group,
        &from.signer,
        content,
        tag,
        HandshakeFormat::Public,
    )
    .expect("protect")
}

/// `msg` (a PublicMessage of `from`) with bit mask `bit` flipped in byte `byte` of its
/// signature, sealed again so that the membership tag covers the damaged signature and only the
/// signature is wrong.
fn with_damaged_signature(from: &mut Member, msg: &MlsMessage, byte: usize, bit: u8) -> MlsMessage {
    let MlsMessageBody::PublicMessage(m) = wire(msg).body else {
        panic!("not a PublicMessage")
    };
    let mut auth = m.auth;
    let mut sig = auth.signature.into_vec();
    sig[byte] ^= bit;
    auth.signature = sig.into();
    testing::seal(
        &mut from.group,
        m.content,
        auth,
        HandshakeFormat::Public,
        0,
        None,
    )
    .expect("seal")
}

/// A real self-update commit of `m` (left pending, then dropped).
fn self_update(m: &mut Member) -> MlsMessage {
    let out = m
        .group
        .self_update(&m.signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    m.group.clear_pending_commit();
    out.commit
}

/// A real commit by `m` adding `kp`, merged on `m`'s side (for checks of what a receiver
/// accepts or refuses of an honest committer's commit).
fn added_by(m: &mut Member, kp: cohort_messages::key_package::KeyPackage) -> MlsMessage {
    let out = m
        .group
        .add_members(&m.signer, vec![kp], &CommitOptions::new(), Some(NOW))
        .expect("add");
    m.group.merge_pending_commit().expect("merge");
    out.commit
}

// ---------------------------------------------------------------------------------------------
// §10 / §10.1 KeyPackages, received in an Add.

/// V-10-02, V-10.1-03: a KeyPackage whose signature does not verify under its leaf's
/// signature key is rejected, whether the bytes were damaged or another key signed it.
#[test]
fn v_10_1_03_key_package_signature_must_verify_under_the_leaf_key() {
    let (mut alice, mut bob, _carol) = trio();
    let (mut kp, _, _) = key_package("dave");
    kp.signature = {
        let mut s = kp.signature.as_slice().to_vec();
        s[0] ^= 1;
        s.into()
    };
    let msg = craft_proposal(&mut bob, add_of(kp), HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSignature(SignedObject::KeyPackage)
        ),
        "{err}"
    );

    let (mut kp, _, _) = key_package("dave");
    sign_key_package(&mut kp, &signer());
    let msg = commit_of(&mut bob, vec![add_of(kp)]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSignature(SignedObject::KeyPackage)
        ),
        "{err}"
    );
}

/// V-10.1-01, V-10-01, V-5.1-01: the KeyPackage's cipher suite and version must be the group's
/// (and so the mls10 of the message that carries it); a GREASE, private-use or unassigned suite
/// is as unsupported as another implemented one.
#[test]
fn v_10_1_01_key_package_suite_or_version_differs() {
    let (mut alice, mut bob, _carol) = trio();
    let other_suites = [
        CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
        CipherSuite(0x0a0a),
        CipherSuite(0xf000),
        CipherSuite(0x0042),
    ];
    for change in 0..=other_suites.len() {
        let (mut kp, _, s) = key_package("dave");
        match other_suites.get(change) {
            Some(suite) => kp.cipher_suite = *suite,
            None => kp.version = ProtocolVersion(2),
        }
        sign_key_package(&mut kp, &s);
        let msg = commit_of(&mut bob, vec![add_of(kp)]);
        let err = reject(&mut alice.group, &msg);
        assert!(
            matches!(
                invalid(&err),
                ValidationError::InvalidKeyPackage(KeyPackageReason::SuiteOrVersion)
            ),
            "{err}"
        );
    }
}

/// V-10.1-01, V-10.1-03 in a long list: the Adds' KeyPackages are checked over several threads,
/// and the error reported is still that of the first bad Add in list order, whichever thread
/// found it and whatever the other bad Add is.
#[test]
fn v_10_1_03_first_bad_add_of_a_long_list_is_reported() {
    const ADDS: usize = 48;
    let kps: Vec<_> = (0..ADDS)
        .map(|i| key_package(&format!("joiner {i}")))
        .collect();
    let wrong_suite = |kp: &mut cohort_messages::key_package::KeyPackage, s: &_| {
        kp.cipher_suite = CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256;
        sign_key_package(kp, s);
    };
    let bad_signature = |kp: &mut cohort_messages::key_package::KeyPackage| {
        let mut sig = kp.signature.as_slice().to_vec();
        sig[0] ^= 1;
        kp.signature = sig.into();
    };
    // (early, late): the early one's error must win in both arrangements.
    for early_is_suite in [true, false] {
        let (mut alice, mut bob, _carol) = trio();
        let mut list = Vec::with_capacity(ADDS);
        for (i, (kp, _, s)) in kps.iter().enumerate() {
            let mut kp = kp.clone();
            match (i, early_is_suite) {
                (5, true) | (40, false) => wrong_suite(&mut kp, s),
                (5, false) | (40, true) => bad_signature(&mut kp),
                _ => {}
            }
            list.push(add_of(kp));
        }
        let msg = commit_of(&mut bob, list);
        let err = reject(&mut alice.group, &msg);
        let expected = if early_is_suite {
            matches!(
                invalid(&err),
                ValidationError::InvalidKeyPackage(KeyPackageReason::SuiteOrVersion)
            )
        } else {
            matches!(
                invalid(&err),
                ValidationError::InvalidSignature(SignedObject::KeyPackage)
            )
        };
        assert!(expected, "early_is_suite {early_is_suite}: {err}");
    }
}

/// V-10.1-02, V-7.3-06: the KeyPackage's leaf must pass §7.3, here its lifetime: a
/// KeyPackage that expired is rejected.
#[test]
fn v_10_1_02_key_package_leaf_must_pass_leaf_validation() {
    let (mut alice, mut bob, _carol) = trio();
    let (mut kp, _, s) = key_package("dave");
    kp.leaf_node.leaf_node_source = LeafNodeSource::KeyPackage(Lifetime {
        not_before: NOW - 40 * 86_400,
        not_after: NOW - 10 * 86_400,
    });
    resign_key_package(&mut kp, &s);
    let msg = craft_proposal(&mut bob, add_of(kp), HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(LeafNodeReason::OutsideLifetime)
        ),
        "{err}"
    );
}

/// V-10.1-04: `init_key` must differ from the leaf's encryption key.
#[test]
fn v_10_1_04_init_key_equal_to_encryption_key_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let (mut kp, _, s) = key_package("dave");
    kp.init_key = kp.leaf_node.encryption_key.clone();
    sign_key_package(&mut kp, &s);
    let msg = commit_of(&mut bob, vec![add_of(kp)]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidKeyPackage(KeyPackageReason::InitKeyEqualsEncryptionKey)
        ),
        "{err}"
    );
}

/// V-10-04, V-7.3-08: a KeyPackage's leaf must have source `key_package`.
#[test]
fn v_7_3_08_key_package_leaf_with_another_source_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let (mut kp, _, s) = key_package("dave");
    kp.leaf_node.leaf_node_source = LeafNodeSource::Update;
    resign_key_package(&mut kp, &s);
    let msg = commit_of(&mut bob, vec![add_of(kp)]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(LeafNodeReason::SourceMismatch)
        ),
        "{err}"
    );
}

/// V-7.3-02: a leaf's own signature must verify (here a KeyPackage whose outer signature is
/// fine but whose leaf signature is damaged).
#[test]
fn v_7_3_02_leaf_signature_must_verify() {
    let (mut alice, mut bob, _carol) = trio();
    let (mut kp, _, s) = key_package("dave");
    let mut sig = kp.leaf_node.signature.as_slice().to_vec();
    sig[3] ^= 0x40;
    kp.leaf_node.signature = sig.into();
    sign_key_package(&mut kp, &s);
    let msg = commit_of(&mut bob, vec![add_of(kp)]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSignature(SignedObject::LeafNode)
        ),
        "{err}"
    );
}

/// V-7.3-14 (a derived check, strict mode only): a leaf whose capabilities lack the group's
/// cipher suite (or version) is refused when `StrictChecks::group_suite_in_capabilities` is on,
/// and accepted by default (deployed clients list other suites than the group's).
#[test]
fn v_7_3_14_leaf_without_the_group_suite_or_version_is_rejected_in_strict_mode() {
    for field in [0, 1] {
        let (mut alice, mut bob, _carol) = trio();
        let crafted = || {
            let (mut kp, _, s) = key_package("dave");
            if field == 0 {
                kp.leaf_node.capabilities.cipher_suites.retain(|c| *c != CS);
            } else {
                kp.leaf_node.capabilities.versions.clear();
            }
            resign_key_package(&mut kp, &s);
            kp
        };
        alice.group.set_strict_checks(StrictChecks {
            group_suite_in_capabilities: true,
            ..StrictChecks::TOLERANT
        });
        let commit = added_by(&mut bob, crafted());
        let err = reject(&mut alice.group, &commit);
        assert!(
            matches!(
                invalid(&err),
                ValidationError::UnsupportedCapability(CapabilityReason::GroupVersionOrSuite)
            ),
            "{err}"
        );
        alice.group.set_strict_checks(StrictChecks::TOLERANT);
        apply(&mut alice.group, &commit);
        assert_eq!(alice.group.members().count(), 4, "field {field}");
    }
}

/// V-7.2-06 (optional strictness): capabilities listing a default type are refused in strict
/// mode only (the tolerant default is covered by `v_10_06_unknown_values_and_extensions_are_accepted`).
#[test]
fn v_7_2_06_default_types_in_capabilities_are_refused_in_strict_mode() {
    let (mut alice, mut bob, _carol) = trio();
    alice.group.set_strict_checks(StrictChecks::ALL);
    let mut s = spec("dave");
    s.capabilities
        .proposals
        .push(cohort_tree::leaf::ProposalType::ADD);
    let (kp, _, _) = key_package_with(&s);
    let msg = commit_of(&mut bob, vec![add_of(kp)]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(LeafNodeReason::DefaultTypeInCapabilities)
        ),
        "{err}"
    );
}

/// V-7.3-13: a new leaf may not reuse another leaf's encryption key (an Add whose KeyPackage
/// copies bob's leaf key; the resulting tree is invalid, V-12.2-13).
#[test]
fn v_7_3_13_duplicate_encryption_key_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let (mut kp, _, s) = key_package("dave");
    kp.leaf_node.encryption_key = leaf_of(&alice, LeafIndex(1)).encryption_key;
    resign_key_package(&mut kp, &s);
    let msg = commit_of(&mut bob, vec![add_of(kp)]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidTree(TreeError::DuplicateEncryptionKey(..))
        ),
        "{err}"
    );
}

/// Bob's Update whose leaf carries alice's signature key (signed with it), cached by alice.
fn update_with_alices_key(alice: &mut Member, bob: &mut Member) -> MlsMessage {
    let mut leaf = update_leaf(bob);
    leaf.signature_key = leaf_of(alice, LeafIndex(0)).signature_key;
    sign_leaf(
        &mut leaf,
        &alice.signer,
        alice.group.group_id(),
        LeafIndex(1),
    );
    let proposal = craft_proposal(
        bob,
        Proposal::Update(Update { leaf_node: leaf }),
        HandshakeFormat::Public,
    );
    accept_proposal(&mut alice.group, &proposal);
    proposal
}

/// V-7.3-12, V-12.2-13: a leaf may not take another member's signature key (bob's Update
/// carries alice's key, signed with it; carol commits it).
#[test]
fn v_7_3_12_duplicate_signature_key_is_rejected() {
    let (mut alice, mut bob, mut carol) = trio();
    let proposal = update_with_alices_key(&mut alice, &mut bob);
    let msg = craft_commit(
        &mut carol,
        vec![ProposalOrRef::Reference(proposal_ref(&proposal))],
        None,
        HandshakeFormat::Public,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidTree(TreeError::DuplicateSignatureKey(..))
        ),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// §12.1 proposals, checked when received.

/// V-12.1-02: a proposal for another epoch is rejected.
#[test]
fn v_12_1_02_proposal_for_another_epoch_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let epoch = bob.group.epoch();
    for (format, other) in [
        (HandshakeFormat::Public, epoch + 1),
        (HandshakeFormat::Public, epoch - 1),
        (HandshakeFormat::Private, epoch + 1),
    ] {
        let mut c = content(&bob, Content::Proposal(remove(2)));
        c.epoch = other;
        let msg = testing::protect(&mut bob.group, &bob.signer, c, None, format).expect("protect");
        let err = reject(&mut alice.group, &msg);
        assert!(
            matches!(
                invalid(&err),
                ValidationError::WrongEpoch { got, expected } if *got == other && *expected == epoch
            ),
            "{err}"
        );
    }
}

/// V-12.1.1-01, V-10.1-05: an Add proposal is checked against §10.1 when it is received.
#[test]
fn v_12_1_1_01_add_with_an_invalid_key_package_is_rejected_on_receipt() {
    let (mut alice, mut bob, _carol) = trio();
    let (mut kp, _, s) = key_package("dave");
    kp.init_key = kp.leaf_node.encryption_key.clone();
    sign_key_package(&mut kp, &s);
    for format in [HandshakeFormat::Public, HandshakeFormat::Private] {
        let msg = craft_proposal(&mut bob, add_of(kp.clone()), format);
        let err = reject(&mut alice.group, &msg);
        assert!(
            matches!(
                invalid(&err),
                ValidationError::InvalidKeyPackage(KeyPackageReason::InitKeyEqualsEncryptionKey)
            ),
            "{err}"
        );
    }
}

/// V-12.1.2-01, V-7.2-07: an Update leaf must be signed over the group id and the sender's
/// own leaf index; one signed for another index is rejected.
#[test]
fn v_12_1_2_01_update_leaf_must_pass_leaf_validation() {
    let (mut alice, mut bob, _carol) = trio();
    let mut leaf = update_leaf(&bob);
    sign_leaf(&mut leaf, &bob.signer, bob.group.group_id(), LeafIndex(2));
    let msg = craft_proposal(
        &mut bob,
        Proposal::Update(Update { leaf_node: leaf }),
        HandshakeFormat::Public,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSignature(SignedObject::LeafNode)
        ),
        "{err}"
    );
}

/// V-7.3-09: an Update's leaf must have source `update`.
#[test]
fn v_7_3_09_update_leaf_with_another_source_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let mut leaf = update_leaf(&bob);
    leaf.leaf_node_source = LeafNodeSource::Commit(VarBytes::default());
    sign_leaf(&mut leaf, &bob.signer, bob.group.group_id(), LeafIndex(1));
    let msg = craft_proposal(
        &mut bob,
        Proposal::Update(Update { leaf_node: leaf }),
        HandshakeFormat::Private,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(LeafNodeReason::SourceMismatch)
        ),
        "{err}"
    );
}

/// V-7.3-10: an Update must change the leaf's encryption key.
#[test]
fn v_7_3_10_update_keeping_the_encryption_key_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let mut leaf = update_leaf(&bob);
    leaf.encryption_key = leaf_of(&bob, LeafIndex(1)).encryption_key;
    sign_leaf(&mut leaf, &bob.signer, bob.group.group_id(), LeafIndex(1));
    let msg = craft_proposal(
        &mut bob,
        Proposal::Update(Update { leaf_node: leaf }),
        HandshakeFormat::Public,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(LeafNodeReason::UpdateKeyNotFresh)
        ),
        "{err}"
    );
}

/// An external sender key for groups with `external_senders`.
fn with_external_sender() -> (cohort_crypto::SoftwareSigner, Vec<Extension>) {
    let ext_signer = signer();
    let senders = ExternalSenders(vec![ExternalSender {
        signature_key: ext_signer.public_key().clone(),
        credential: cohort_credential::Credential::basic(b"server".to_vec()),
    }]);
    (ext_signer, vec![senders.to_extension().expect("ext")])
}

/// A PublicMessage from a non-member sender, signed by `signer`.
fn from_non_member(
    group: &Member,
    sender: Sender,
    body: Content,
    signer: &cohort_crypto::SoftwareSigner,
    tag: Option<Mac>,
) -> MlsMessage {
    let mut c = content(group, body);
    c.sender = sender;
    let sig = cohort_group::framing::sign_content(
        signer,
        cohort_messages::message::WireFormat::PUBLIC_MESSAGE,
        &c,
        group.group.context(),
    )
    .expect("sign");
    let msg = cohort_messages::framing::PublicMessage {
        content: c,
        auth: cohort_messages::framing::FramedContentAuthData {
            signature: sig,
            confirmation_tag: tag,
        },
        membership_tag: None,
    };
    MlsMessage::new(MlsMessageBody::PublicMessage(msg))
}

/// V-12.1.2-02, V-12.1.8-02, V-6.1-03: only a member may send an Update; an external sender
/// and a new member may not.
#[test]
fn v_12_1_2_02_update_from_a_non_member_is_rejected() {
    let (ext_signer, extensions) = with_external_sender();
    let (mut alice, bob, _carol) = trio_with(extensions);
    let leaf = update_leaf(&bob);
    let update = Content::Proposal(Proposal::Update(Update { leaf_node: leaf }));
    let msg = from_non_member(
        &alice,
        Sender::External(0),
        update.clone(),
        &ext_signer,
        None,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSender(SenderReason::ExternalSenderContent)
        ),
        "{err}"
    );
    let msg = from_non_member(&alice, Sender::NewMemberProposal, update, &bob.signer, None);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSender(SenderReason::NewMemberProposalNotAdd)
        ),
        "{err}"
    );
}

/// V-12.1.3-01: a Remove must name an in-range, non-blank leaf.
#[test]
fn v_12_1_3_01_remove_of_a_non_member_is_rejected() {
    let (mut alice, mut bob, mut carol) = trio();
    // Out of range.
    let msg = craft_proposal(&mut bob, remove(9), HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidProposal(ProposalReason::RemoveOfNonMember)
        ),
        "{err}"
    );
    // Blank: carol removes bob, then proposes removing leaf 1 again.
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
    let msg = craft_proposal(&mut carol, remove(1), HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidProposal(ProposalReason::RemoveOfNonMember)
        ),
        "{err}"
    );
    // The same inside a commit (V-12.2-02).
    let msg = commit_of(&mut carol, vec![remove(1)]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidProposal(ProposalReason::RemoveOfNonMember)
        ),
        "{err}"
    );
}

/// V-12.1.4-03, V-8.4-02: a PSK proposal's nonce must be KDF.Nh bytes long.
#[test]
fn v_12_1_4_03_psk_nonce_of_the_wrong_length_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    for len in [0, 16, 33] {
        let msg = craft_proposal(&mut bob, external_psk(len), HandshakeFormat::Public);
        let err = reject(&mut alice.group, &msg);
        assert!(
            matches!(
                invalid(&err),
                ValidationError::InvalidPsk(PskReason::NonceLength)
            ),
            "{err}"
        );
    }
    let msg = commit_of(&mut bob, vec![external_psk(5)]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidPsk(PskReason::NonceLength)
        ),
        "{err}"
    );
}

/// V-12.1.4-01, V-12.1.4-02, V-11.2-04, V-11.3-04: a PSK proposal may not carry a reinit or
/// branch resumption PSK.
#[test]
fn v_12_1_4_01_reinit_or_branch_resumption_psk_in_a_proposal_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    for usage in [ResumptionPskUsage::Reinit, ResumptionPskUsage::Branch] {
        let p = Proposal::PreSharedKey(PreSharedKey {
            psk: PreSharedKeyId {
                psk: Psk::Resumption {
                    usage,
                    psk_group_id: bob.group.group_id().to_vec().into(),
                    psk_epoch: 1,
                },
                psk_nonce: vec![1; 32].into(),
            },
        });
        let msg = craft_proposal(&mut bob, p, HandshakeFormat::Public);
        let err = reject(&mut alice.group, &msg);
        assert!(
            matches!(
                invalid(&err),
                ValidationError::InvalidProposal(ProposalReason::NonApplicationResumptionPsk)
            ),
            "{err}"
        );
    }
}

/// V-12.1.6-01, V-12.2-11, V-12.4.3.2-06: ExternalInit is valid only inside an external
/// commit: not as a proposal message, not in a member's commit.
#[test]
fn v_12_1_6_01_external_init_outside_an_external_commit_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let ei = Proposal::ExternalInit(ExternalInit {
        kem_output: vec![1; 32].into(),
    });
    let msg = craft_proposal(&mut bob, ei.clone(), HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidProposal(ProposalReason::ExternalInitOutsideExternalCommit)
        ),
        "{err}"
    );
    let msg = commit_of(&mut bob, vec![ei]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidProposalList(ProposalListReason::ExternalInitInMemberCommit)
        ),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// §12.2 proposal lists. bob (leaf 1) commits, alice (leaf 0) receives.

fn assert_list_error(err: &Error, reason: ProposalListReason) {
    match invalid(err) {
        ValidationError::InvalidProposalList(r) => assert_eq!(*r, reason),
        other => panic!("expected InvalidProposalList({reason:?}), got {other:?}"),
    }
}

/// V-12.2-03: the committer may not commit its own Update, inline or by reference.
#[test]
fn v_12_2_03_committer_update_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let update = Proposal::Update(Update {
        leaf_node: update_leaf(&bob),
    });
    let msg = commit_of(&mut bob, vec![update.clone()]);
    assert_list_error(
        &reject(&mut alice.group, &msg),
        ProposalListReason::CommitterUpdate,
    );
    let proposal = craft_proposal(&mut bob, update, HandshakeFormat::Public);
    accept_proposal(&mut alice.group, &proposal);
    let msg = craft_commit(
        &mut bob,
        vec![ProposalOrRef::Reference(proposal_ref(&proposal))],
        None,
        HandshakeFormat::Public,
    );
    assert_list_error(
        &reject(&mut alice.group, &msg),
        ProposalListReason::CommitterUpdate,
    );
}

/// V-12.2-04, V-12.4.2-04: the committer may not remove itself; the receiver runs the list
/// validation on the commit.
#[test]
fn v_12_2_04_committer_removing_itself_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let msg = commit_of(&mut bob, vec![remove(1)]);
    assert_list_error(
        &reject(&mut alice.group, &msg),
        ProposalListReason::CommitterRemoved,
    );
}

/// V-12.2-05: at most one Update or Remove per leaf.
#[test]
fn v_12_2_05_two_removes_for_one_leaf_are_rejected() {
    let (mut alice, mut bob, mut carol) = trio();
    let msg = commit_of(&mut bob, vec![remove(2), remove(2)]);
    assert_list_error(
        &reject(&mut alice.group, &msg),
        ProposalListReason::DuplicateUpdateOrRemove,
    );
    // An Update of carol's (by reference) and a Remove of her leaf.
    let update = Proposal::Update(Update {
        leaf_node: update_leaf(&carol),
    });
    let proposal = craft_proposal(&mut carol, update, HandshakeFormat::Public);
    accept_proposal(&mut alice.group, &proposal);
    let msg = craft_commit(
        &mut bob,
        vec![
            ProposalOrRef::Reference(proposal_ref(&proposal)),
            ProposalOrRef::Proposal(remove(2)),
        ],
        None,
        HandshakeFormat::Public,
    );
    assert_list_error(
        &reject(&mut alice.group, &msg),
        ProposalListReason::DuplicateUpdateOrRemove,
    );
}

/// V-12.2-06: no two Adds for the same client (same signature key).
#[test]
fn v_12_2_06_two_adds_for_one_client_are_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let s = signer();
    let p = provider();
    let kp1 = cohort_group::create_key_package(&p, CS, &s, &spec("dave"))
        .expect("kp")
        .0;
    let kp2 = cohort_group::create_key_package(&p, CS, &s, &spec("dave"))
        .expect("kp")
        .0;
    let msg = commit_of(&mut bob, vec![add_of(kp1), add_of(kp2)]);
    assert_list_error(
        &reject(&mut alice.group, &msg),
        ProposalListReason::DuplicateAdd,
    );
}

/// V-12.2-07: no Add for a client already in the group.
#[test]
fn v_12_2_07_add_of_a_current_member_is_rejected() {
    let (mut alice, mut bob, carol) = trio();
    let kp = cohort_group::create_key_package(&provider(), CS, &carol.signer, &spec("carol"))
        .expect("kp")
        .0;
    let msg = commit_of(&mut bob, vec![add_of(kp)]);
    assert_list_error(
        &reject(&mut alice.group, &msg),
        ProposalListReason::AddOfMember,
    );
}

/// V-12.2-08: no two PreSharedKey proposals for the same PreSharedKeyID.
#[test]
fn v_12_2_08_duplicate_psk_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let msg = commit_of(&mut bob, vec![external_psk(32), external_psk(32)]);
    assert_list_error(
        &reject(&mut alice.group, &msg),
        ProposalListReason::DuplicatePsk,
    );
}

/// V-12.2-09: at most one GroupContextExtensions proposal.
#[test]
fn v_12_2_09_two_group_context_extensions_are_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let gce = Proposal::GroupContextExtensions(GroupContextExtensions {
        extensions: Vec::new(),
    });
    let msg = commit_of(&mut bob, vec![gce.clone(), gce]);
    assert_list_error(
        &reject(&mut alice.group, &msg),
        ProposalListReason::MultipleGroupContextExtensions,
    );
}

/// V-12.1.7-03: a GroupContextExtensions proposal may not list a type twice.
#[test]
fn v_12_1_7_03_duplicate_extension_in_group_context_extensions_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let e = Extension {
        extension_type: ExtensionType::APPLICATION_ID,
        extension_data: b"x".to_vec().into(),
    };
    let gce = Proposal::GroupContextExtensions(GroupContextExtensions {
        extensions: vec![e.clone(), e],
    });
    let msg = craft_proposal(&mut bob, gce, HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(invalid(&err), ValidationError::DuplicateExtension),
        "{err}"
    );
}

/// V-12.2-10: a ReInit must be the only proposal.
#[test]
fn v_12_2_10_reinit_with_other_proposals_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let reinit = Proposal::ReInit(ReInit {
        group_id: b"next".to_vec().into(),
        version: ProtocolVersion::MLS10,
        cipher_suite: CS,
        extensions: Vec::new(),
    });
    let msg = commit_of(&mut bob, vec![reinit, remove(2)]);
    assert_list_error(
        &reject(&mut alice.group, &msg),
        ProposalListReason::ReInitNotAlone,
    );
}

/// V-12.2-11: no ExternalInit in a member's commit.
#[test]
fn v_12_2_11_external_init_in_a_member_commit_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let ei = Proposal::ExternalInit(ExternalInit {
        kem_output: vec![2; 32].into(),
    });
    let msg = commit_of(&mut bob, vec![add_of(key_package("dave").0), ei]);
    assert_list_error(
        &reject(&mut alice.group, &msg),
        ProposalListReason::ExternalInitInMemberCommit,
    );
}

// ---------------------------------------------------------------------------------------------
// §12.4 / §12.4.2 commits.

/// V-12.4-01: a commit whose list needs a path (empty, or with a Remove, Update or GCE) must
/// carry one; this is checked even when the commit would remove the receiver.
#[test]
fn v_12_4_01_commit_without_a_required_path_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let gce = Proposal::GroupContextExtensions(GroupContextExtensions {
        extensions: Vec::new(),
    });
    for list in [vec![], vec![remove(2)], vec![gce], vec![remove(0)]] {
        let msg = commit_of(&mut bob, list);
        let err = reject(&mut alice.group, &msg);
        assert!(
            matches!(
                invalid(&err),
                ValidationError::InvalidCommit(CommitReason::PathMissing)
            ),
            "{err}"
        );
    }
}

/// V-12.4-02, V-12.1-03: every ProposalRef must name a proposal cached in this epoch; the
/// cache is emptied at each epoch change. V-12.4-04: a commit that leaves out a cached
/// proposal is still accepted.
#[test]
fn v_12_4_02_unknown_proposal_reference_is_rejected() {
    let (mut alice, mut bob, mut carol) = trio();
    let unknown = ProposalRef(vec![9; 32].into());
    let msg = craft_commit(
        &mut bob,
        vec![ProposalOrRef::Reference(unknown)],
        None,
        HandshakeFormat::Public,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(invalid(&err), ValidationError::UnknownProposalRef),
        "{err}"
    );
    // A proposal cached in the previous epoch is gone after the epoch changes.
    let proposal = craft_proposal(&mut carol, external_psk(32), HandshakeFormat::Public);
    accept_proposal(&mut alice.group, &proposal);
    accept_proposal(&mut bob.group, &proposal);
    let out = carol
        .group
        .self_update(&carol.signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    carol.group.merge_pending_commit().expect("merge");
    apply(&mut alice.group, &out.commit);
    apply(&mut bob.group, &out.commit);
    let msg = craft_commit(
        &mut bob,
        vec![ProposalOrRef::Reference(proposal_ref(&proposal))],
        None,
        HandshakeFormat::Public,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(invalid(&err), ValidationError::UnknownProposalRef),
        "{err}"
    );
}

/// V-12.4-03: the same proposal may not be included twice, by reference or by value.
#[test]
fn v_12_4_03_proposal_included_twice_is_rejected() {
    let (mut alice, mut bob, mut carol) = trio();
    let proposal = craft_proposal(&mut carol, external_psk(32), HandshakeFormat::Public);
    accept_proposal(&mut alice.group, &proposal);
    let r = ProposalOrRef::Reference(proposal_ref(&proposal));
    let msg = craft_commit(&mut bob, vec![r.clone(), r], None, HandshakeFormat::Public);
    assert_list_error(
        &reject(&mut alice.group, &msg),
        ProposalListReason::IncludedTwice,
    );
    // By value: the same Add twice.
    let kp = key_package("dave").0;
    let msg = commit_of(&mut bob, vec![add_of(kp.clone()), add_of(kp)]);
    assert_list_error(
        &reject(&mut alice.group, &msg),
        ProposalListReason::DuplicateAdd,
    );
}

/// V-12.4.2-01: a commit for another epoch is rejected.
#[test]
fn v_12_4_2_01_commit_for_another_epoch_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let epoch = bob.group.epoch();
    for format in [HandshakeFormat::Public, HandshakeFormat::Private] {
        let mut c = content(&bob, Content::Commit(empty_commit()));
        c.epoch = epoch + 1;
        let msg = testing::protect(&mut bob.group, &bob.signer, c, Some(fake_tag()), format)
            .expect("protect");
        let err = reject(&mut alice.group, &msg);
        assert!(
            matches!(invalid(&err), ValidationError::WrongEpoch { got, .. } if *got == epoch + 1),
            "{err}"
        );
    }
}

/// V-12.4.2-02: a commit must unprotect with the current epoch's keys: a PublicMessage's
/// membership tag, a PrivateMessage's AEAD.
#[test]
fn v_12_4_2_02_commit_that_does_not_unprotect_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let commit = self_update(&mut bob);
    let MlsMessageBody::PublicMessage(mut m) = wire(&commit).body else {
        panic!()
    };
    let mut tag = m.membership_tag.take().expect("tag").0.into_vec();
    tag[0] ^= 1;
    m.membership_tag = Some(Mac(tag.into()));
    let err = reject(
        &mut alice.group,
        &MlsMessage::new(MlsMessageBody::PublicMessage(m)),
    );
    assert!(
        matches!(invalid(&err), ValidationError::InvalidMembershipTag),
        "{err}"
    );

    let mut options = CommitOptions::new();
    options.format = HandshakeFormat::Private;
    let out = bob
        .group
        .self_update(&bob.signer, &options, Some(NOW))
        .expect("update");
    bob.group.clear_pending_commit();
    let MlsMessageBody::PrivateMessage(mut m) = wire(&out.commit).body else {
        panic!()
    };
    let mut ct = m.ciphertext.into_vec();
    let last = ct.len() - 1;
    ct[last] ^= 1;
    m.ciphertext = ct.into();
    let err = reject(
        &mut alice.group,
        &MlsMessage::new(MlsMessageBody::PrivateMessage(m)),
    );
    assert!(
        matches!(
            invalid(&err),
            ValidationError::DecryptionFailed(EncryptedObject::PrivateMessageContent)
        ),
        "{err}"
    );
}

/// V-12.4.2-03: the commit's signature must verify (the membership tag is recomputed over the
/// damaged signature, so only the signature is wrong).
#[test]
fn v_12_4_2_03_commit_with_a_bad_signature_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let commit = self_update(&mut bob);
    let msg = with_damaged_signature(&mut bob, &commit, 10, 1);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSignature(SignedObject::FramedContent)
        ),
        "{err}"
    );
}

/// V-12.4.2-05, V-8.4-01: every PSK the commit names must be available to the receiver.
#[test]
fn v_12_4_2_05_commit_with_an_unknown_psk_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let psks = PskList(vec![(PSK_ID.to_vec(), Secret::new(vec![3; 32]))]);
    let out = bob
        .group
        .commit(
            &bob.signer,
            vec![external_psk(32)],
            &CommitOptions::new(),
            &psks,
            Some(NOW),
        )
        .expect("commit");
    let err = reject_with(&mut alice.group, &out.commit, &NoPsks);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::MissingPsk(MissingPskReason::UnknownExternal)
        ),
        "{err}"
    );
    // With the PSK, the same commit is accepted.
    match alice
        .group
        .process_message(wire(&out.commit), &psks, Some(NOW))
        .expect("with the PSK")
    {
        Processed::Commit(staged) => assert_eq!(staged.summary().psks.len(), 1),
        other => panic!("{other:?}"),
    }
}

fn resumption_psk(group_id: &[u8], epoch: u64) -> Proposal {
    Proposal::PreSharedKey(PreSharedKey {
        psk: PreSharedKeyId {
            psk: Psk::Resumption {
                usage: ResumptionPskUsage::Application,
                psk_group_id: group_id.to_vec().into(),
                psk_epoch: epoch,
            },
            psk_nonce: vec![4; 32].into(),
        },
    })
}

/// V-8.4-05, V-8.4-01: a resumption PSK is available only for an epoch the receiver retains:
/// not for an epoch before it joined, not for a future epoch. The commits carry a made-up
/// confirmation tag, so one whose PSK resolves fails later, at the tag.
#[test]
fn v_8_4_05_resumption_psk_of_an_epoch_not_retained_is_unavailable() {
    let (mut alice, mut bob, _carol) = trio();
    assert_eq!((alice.group.epoch(), bob.group.epoch()), (2, 2));
    let group_id = alice.group.group_id().to_vec();
    // Bob joined at epoch 1: epoch 0 was never his; epoch 3 has not happened.
    for epoch in [0, 3, u64::MAX] {
        let msg = commit_of(&mut alice, vec![resumption_psk(&group_id, epoch)]);
        let err = reject(&mut bob.group, &msg);
        assert!(
            matches!(
                invalid(&err),
                ValidationError::MissingPsk(MissingPskReason::ResumptionEpochNotRetained)
            ),
            "epoch {epoch}: {err}"
        );
    }
    // The epoch he joined at and the current one are retained: the PSK resolves.
    for epoch in [1, 2] {
        let msg = commit_of(&mut alice, vec![resumption_psk(&group_id, epoch)]);
        let err = reject(&mut bob.group, &msg);
        assert!(
            matches!(invalid(&err), ValidationError::InvalidConfirmationTag),
            "epoch {epoch}: {err}"
        );
    }
    // Another group's resumption PSK is not available either.
    let msg = commit_of(&mut alice, vec![resumption_psk(b"another group", 2)]);
    let err = reject(&mut bob.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::MissingPsk(MissingPskReason::ResumptionOfUnknownGroup)
        ),
        "{err}"
    );
}

/// V-12.4.2-06, V-6.1-03: a commit's sender must be a member (or a new member committing);
/// an external sender or a new-member proposal sender cannot commit.
#[test]
fn v_12_4_2_06_commit_from_a_non_member_sender_is_rejected() {
    let (ext_signer, extensions) = with_external_sender();
    let (mut alice, _bob, _carol) = trio_with(extensions);
    let commit = Content::Commit(empty_commit());
    let msg = from_non_member(
        &alice,
        Sender::External(0),
        commit.clone(),
        &ext_signer,
        Some(fake_tag()),
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSender(SenderReason::ExternalSenderContent)
        ),
        "{err}"
    );
    let msg = from_non_member(
        &alice,
        Sender::NewMemberProposal,
        commit,
        &ext_signer,
        Some(fake_tag()),
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSender(SenderReason::NewMemberProposalNotProposal)
        ),
        "{err}"
    );
}

/// V-12.4.2-08, V-7.3-11: the path's leaf must pass §7.3 with source `commit`: another source,
/// or a signature over the wrong leaf index, is rejected.
#[test]
fn v_12_4_2_08_invalid_path_leaf_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let commit = self_update(&mut bob);
    let gid = bob.group.group_id().to_vec();
    let signer_copy = bob.signer.clone();
    let msg = edit_path_leaf(&mut bob, &commit, |leaf| {
        leaf.leaf_node_source = LeafNodeSource::Update;
        sign_leaf(leaf, &signer_copy, &gid, LeafIndex(1));
    });
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(LeafNodeReason::SourceMismatch)
        ),
        "{err}"
    );
    let msg = edit_path_leaf(&mut bob, &commit, |leaf| {
        sign_leaf(leaf, &signer_copy, &gid, LeafIndex(2));
    });
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSignature(SignedObject::LeafNode)
        ),
        "{err}"
    );
}

/// V-12.4.2-09, V-7.5-07: the path leaf's encryption key must differ from the committer's
/// current one.
#[test]
fn v_12_4_2_09_path_leaf_reusing_the_encryption_key_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let commit = self_update(&mut bob);
    let gid = bob.group.group_id().to_vec();
    let old_key = leaf_of(&bob, LeafIndex(1)).encryption_key;
    let signer_copy = bob.signer.clone();
    let msg = edit_path_leaf(&mut bob, &commit, |leaf| {
        leaf.encryption_key = old_key;
        sign_leaf(leaf, &signer_copy, &gid, LeafIndex(1));
    });
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(LeafNodeReason::PathKeyNotFresh)
        ),
        "{err}"
    );
}

/// V-12.4.2-14, V-6.1-07: the confirmation tag must match the new epoch's; the same commit
/// with its tag restored is then accepted.
#[test]
fn v_12_4_2_14_commit_with_a_wrong_confirmation_tag_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let commit = self_update(&mut bob);
    let msg = edit_commit(&mut bob, &commit, |_, tag| {
        let mut t = tag.take().expect("tag").0.into_vec();
        t[5] ^= 1;
        *tag = Some(Mac(t.into()));
    });
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(invalid(&err), ValidationError::InvalidConfirmationTag),
        "{err}"
    );
    let msg = edit_commit(&mut bob, &commit, |_, _| {});
    apply(&mut alice.group, &msg);
}

/// V-12.2-02: the whole commit is rejected when one proposal of the list is invalid on its own
/// (an expired KeyPackage next to a valid one, V-12.2-01).
#[test]
fn v_12_2_02_commit_with_one_invalid_proposal_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let good = key_package("dave").0;
    let (mut bad, _, _) = key_package("erin");
    let mut sig = bad.signature.as_slice().to_vec();
    sig[1] ^= 2;
    bad.signature = sig.into();
    let msg = commit_of(&mut bob, vec![add_of(good), add_of(bad)]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSignature(SignedObject::KeyPackage)
        ),
        "{err}"
    );
}

/// The decode of a crafted commit round-trips (guards the helpers themselves).
#[test]
fn crafted_messages_round_trip() {
    let (_alice, mut bob, _carol) = trio();
    let msg = commit_of(&mut bob, vec![remove(2)]);
    let bytes = cohort_codec::Encode::to_bytes(&msg).expect("encode");
    assert_eq!(MlsMessage::from_bytes(&bytes).expect("decode"), msg);
}

// ---------------------------------------------------------------------------------------------
// §7.2 / §7.3 leaf contents, capabilities and the group's extensions.

use cohort_credential::CredentialType;
use cohort_group::reason::{
    CapabilityReason, CommitReason, EncryptedObject, InactiveReason, KeyPackageReason,
    LeafNodeReason, MissingPskReason, ProposalListReason, ProposalReason, PskReason, SenderReason,
    SignedObject,
};
use cohort_messages::extensions::RequiredCapabilities;
use cohort_tree::extension::{Extension, ExtensionType};

const CUSTOM_EXT: ExtensionType = ExtensionType(0xff01);

fn custom_extension() -> Extension {
    Extension {
        extension_type: CUSTOM_EXT,
        extension_data: b"custom".to_vec().into(),
    }
}

fn requiring(ext: ExtensionType) -> Extension {
    RequiredCapabilities {
        extension_types: vec![ext],
        proposal_types: Vec::new(),
        credential_types: Vec::new(),
    }
    .to_extension()
    .expect("ext")
}

/// V-7.2-02: the leaf's own credential type must be among its capabilities.
#[test]
fn v_7_2_02_credential_type_missing_from_capabilities_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let (mut kp, _, s) = key_package("dave");
    kp.leaf_node.capabilities.credentials = vec![CredentialType(0xf0f0)];
    resign_key_package(&mut kp, &s);
    let msg = commit_of(&mut bob, vec![add_of(kp)]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(LeafNodeReason::CredentialTypeNotInCapabilities)
        ),
        "{err}"
    );
}

/// V-7.2-03, V-7.3-07, V-10-05: a non-default leaf extension must be listed in the leaf's
/// capabilities.
#[test]
fn v_7_2_03_unlisted_leaf_extension_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let (mut kp, _, s) = key_package("dave");
    kp.leaf_node.extensions.push(custom_extension());
    resign_key_package(&mut kp, &s);
    let msg = craft_proposal(&mut bob, add_of(kp), HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(LeafNodeReason::ExtensionNotInCapabilities)
        ),
        "{err}"
    );
}

/// V-7.2-05: a lifetime longer than the application's maximum, or inverted, is rejected, each
/// with its own reason, and both whether or not the expiry check runs (only that check needs
/// the current time; the maximum is an RFC MUST).
#[test]
fn v_7_2_05_lifetime_longer_than_the_maximum_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let max = MaxLifetime::days(400);
    let too_long = NOW + 401 * 86_400;
    for check_expiry in [true, false] {
        alice.group.set_lifetime_policy(LifetimePolicy {
            new_members: max,
            admitted: MaxLifetime::Unbounded,
            check_expiry,
        });
        for ((not_before, not_after), reason) in [
            ((NOW - 3600, too_long), LeafNodeReason::LifetimeTooLong),
            ((NOW + 10, NOW - 10), LeafNodeReason::InvertedLifetime),
            ((0, u64::MAX), LeafNodeReason::LifetimeTooLong),
        ] {
            let (mut kp, _, s) = key_package("dave");
            kp.leaf_node.leaf_node_source = LeafNodeSource::KeyPackage(Lifetime {
                not_before,
                not_after,
            });
            resign_key_package(&mut kp, &s);
            let msg = commit_of(&mut bob, vec![add_of(kp)]);
            let err = reject(&mut alice.group, &msg);
            assert!(
                matches!(invalid(&err), ValidationError::InvalidLeafNode(r) if *r == reason),
                "check_expiry {check_expiry}: {err}"
            );
        }
    }
}

/// V-7.2-05: the default policy states "unbounded": a KeyPackage that never expires
/// (`0..=2^64-1`, as MLSpp makes them) is added and the commit accepted, while an inverted
/// lifetime is still refused with the expiry check off.
#[test]
fn v_7_2_05_unbounded_lifetime_is_accepted_by_default_and_inverted_never() {
    let (mut alice, mut bob, _carol) = trio();
    assert_eq!(alice.group.config().lifetime, LifetimePolicy::default());
    assert_eq!(
        LifetimePolicy::default().new_members,
        MaxLifetime::Unbounded
    );
    let (mut kp, _, s) = key_package("dave");
    kp.leaf_node.leaf_node_source = LeafNodeSource::KeyPackage(Lifetime {
        not_before: 0,
        not_after: u64::MAX,
    });
    resign_key_package(&mut kp, &s);
    apply(&mut alice.group, &added_by(&mut bob, kp));
    assert_eq!(alice.group.members().count(), 4);

    let (mut alice, mut bob, _carol) = trio();
    alice
        .group
        .set_lifetime_policy(LifetimePolicy::default().without_expiry_check());
    let (mut kp, _, s) = key_package("erin");
    kp.leaf_node.leaf_node_source = LeafNodeSource::KeyPackage(Lifetime {
        not_before: NOW + 10,
        not_after: NOW - 10,
    });
    resign_key_package(&mut kp, &s);
    let msg = commit_of(&mut bob, vec![add_of(kp)]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(LeafNodeReason::InvertedLifetime)
        ),
        "{err}"
    );
}

/// V-10-03, V-5.1.1-01: the init key and the leaf's encryption key must be valid keys for the
/// suite's KEM.
#[test]
fn v_10_03_invalid_hpke_keys_are_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let (mut kp, _, s) = key_package("dave");
    kp.init_key = cohort_crypto::HpkePublicKey(vec![1; 5].into());
    sign_key_package(&mut kp, &s);
    let msg = commit_of(&mut bob, vec![add_of(kp)]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidKeyPackage(KeyPackageReason::InvalidInitKey)
        ),
        "{err}"
    );
    let (mut kp, _, s) = key_package("dave");
    kp.leaf_node.encryption_key = cohort_crypto::HpkePublicKey(vec![1; 31].into());
    resign_key_package(&mut kp, &s);
    let msg = commit_of(&mut bob, vec![add_of(kp)]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(LeafNodeReason::InvalidEncryptionKey)
        ),
        "{err}"
    );
}

/// V-7.2-04, V-10-06, V-13.4-01: unknown capability values and unknown KeyPackage and leaf
/// extensions are ignored: such a KeyPackage is added and the commit accepted. V-7.2-06: by
/// default, capabilities that list default types are tolerated too.
#[test]
fn v_10_06_unknown_values_and_extensions_are_accepted() {
    let (mut alice, mut bob, _carol) = trio();
    let mut s = spec("dave");
    s.capabilities.versions.push(ProtocolVersion(0x0a0a));
    s.capabilities.cipher_suites.push(CipherSuite(0x1a1a));
    s.capabilities
        .extensions
        .extend([ExtensionType(0x2a2a), CUSTOM_EXT]);
    s.capabilities
        .proposals
        .push(cohort_tree::leaf::ProposalType(0x3a3a));
    s.capabilities.credentials.push(CredentialType(0x4a4a));
    s.capabilities
        .extensions
        .push(ExtensionType::APPLICATION_ID);
    s.capabilities
        .proposals
        .push(cohort_tree::leaf::ProposalType::ADD);
    s.extensions.push(custom_extension());
    let (mut kp, _, signer) = key_package_with(&s);
    kp.extensions.push(Extension {
        extension_type: ExtensionType(0x5a5a),
        extension_data: b"unknown".to_vec().into(),
    });
    sign_key_package(&mut kp, &signer);
    apply(&mut alice.group, &added_by(&mut bob, kp));
    assert_eq!(alice.group.members().count(), 4);
}

/// V-7.3-03, V-11.1-01: a new leaf must support the group's required capabilities.
#[test]
fn v_7_3_03_leaf_missing_a_required_capability_is_rejected() {
    let both = spec_supporting("alice", &[CUSTOM_EXT]);
    let (mut alice, mut bob) = pair_with(
        &both,
        &spec_supporting("bob", &[CUSTOM_EXT]),
        vec![requiring(CUSTOM_EXT)],
    );
    let (kp, _, _) = key_package("dave");
    let msg = commit_of(&mut alice, vec![add_of(kp)]);
    let err = reject(&mut bob.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::UnsupportedCapability(CapabilityReason::RequiredCapability)
        ),
        "{err}"
    );
}

/// V-13.4-04: a new member must support every non-default GroupContext extension in use.
#[test]
fn v_13_4_04_leaf_not_supporting_a_group_extension_is_rejected() {
    let (mut alice, mut bob) = pair_with(
        &spec_supporting("alice", &[CUSTOM_EXT]),
        &spec_supporting("bob", &[CUSTOM_EXT]),
        vec![custom_extension()],
    );
    let (kp, _, _) = key_package("dave");
    let msg = craft_proposal(&mut alice, add_of(kp), HandshakeFormat::Public);
    let err = reject(&mut bob.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::UnsupportedCapability(CapabilityReason::GroupContextExtension)
        ),
        "{err}"
    );
}

/// V-12.1.7-01: a GroupContextExtensions whose required_capabilities some member lacks is
/// invalid.
#[test]
fn v_12_1_7_01_gce_with_unmet_required_capabilities_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let gce = Proposal::GroupContextExtensions(GroupContextExtensions {
        extensions: vec![requiring(CUSTOM_EXT)],
    });
    let msg = commit_of(&mut bob, vec![gce]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::UnsupportedCapability(CapabilityReason::RequiredCapability)
        ),
        "{err}"
    );
}

/// V-11.1-02: the members that must meet a GCE's required_capabilities are those of the
/// resulting tree: a member removed by the same commit does not count, a member added by it
/// does.
#[test]
fn v_11_1_02_gce_requirements_count_adds_and_not_removes_of_the_same_commit() {
    let (mut alice, mut bob) = pair_with(
        &spec_supporting("alice", &[CUSTOM_EXT]),
        &spec_supporting("bob", &[CUSTOM_EXT]),
        Vec::new(),
    );
    // Carol lacks the extension.
    let carol = add(&mut alice, &mut [&mut bob], "carol");
    let gce = || {
        Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: vec![requiring(CUSTOM_EXT)],
        })
    };
    // With carol staying, the requirement is unmet (on the committer's side too).
    let err = alice
        .group
        .commit(
            &alice.signer,
            vec![gce()],
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect_err("carol lacks the extension");
    assert!(
        matches!(
            invalid(&err),
            ValidationError::UnsupportedCapability(CapabilityReason::RequiredCapability)
        ),
        "{err}"
    );
    // A newcomer without it, added by the same commit, counts as well.
    let (dave, _, _) = key_package("dave");
    let (erin, _, _) = key_package_with(&spec_supporting("erin", &[CUSTOM_EXT]));
    let err = alice
        .group
        .commit(
            &alice.signer,
            vec![remove(carol.leaf().0), add_of(dave), gce()],
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect_err("dave lacks the extension");
    assert!(
        matches!(
            invalid(&err),
            ValidationError::UnsupportedCapability(CapabilityReason::RequiredCapability)
        ),
        "{err}"
    );
    // Removing carol in the same commit (and adding a newcomer who has it) makes it valid, and
    // bob accepts the commit.
    let out = alice
        .group
        .commit(
            &alice.signer,
            vec![remove(carol.leaf().0), add_of(erin), gce()],
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("carol is removed by the same commit");
    alice.group.merge_pending_commit().expect("merge");
    apply(&mut bob.group, &out.commit);
    assert_eq!(
        bob.group.epoch_authenticator(),
        alice.group.epoch_authenticator()
    );
}

/// V-12.1.7-02, V-13.4-05: a GroupContextExtensions with an extension some member does not
/// support is invalid.
#[test]
fn v_12_1_7_02_gce_with_an_unsupported_extension_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let gce = Proposal::GroupContextExtensions(GroupContextExtensions {
        extensions: vec![custom_extension()],
    });
    let msg = commit_of(&mut bob, vec![gce]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::UnsupportedCapability(CapabilityReason::GroupContextExtension)
        ),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// More §12.1 / §12.4.2.

/// V-12.1-01: a received proposal's signature must verify.
#[test]
fn v_12_1_01_proposal_with_a_bad_signature_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let proposal = craft_proposal(&mut bob, remove(2), HandshakeFormat::Public);
    let msg = with_damaged_signature(&mut bob, &proposal, 20, 4);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidSignature(SignedObject::FramedContent)
        ),
        "{err}"
    );
}

/// V-12.1-04, V-12.2-12 (= V-13.2-01): a proposal type this client does not implement is rejected, on
/// receipt and in a commit.
#[test]
fn v_12_1_04_unsupported_proposal_type_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let custom = Proposal::Custom {
        proposal_type: cohort_tree::leaf::ProposalType(0xf00d),
        data: b"?".to_vec().into(),
    };
    let msg = craft_proposal(&mut bob, custom.clone(), HandshakeFormat::Private);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::UnsupportedProposalType(0xf00d)
        ),
        "{err}"
    );
    let msg = commit_of(&mut bob, vec![custom]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::UnsupportedProposalType(0xf00d)
        ),
        "{err}"
    );
}

/// V-12.1.5-01: a ReInit may not lower the protocol version.
#[test]
fn v_12_1_5_01_reinit_downgrading_the_version_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let reinit = Proposal::ReInit(ReInit {
        group_id: b"next".to_vec().into(),
        version: ProtocolVersion(0),
        cipher_suite: CS,
        extensions: Vec::new(),
    });
    let msg = craft_proposal(&mut bob, reinit, HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidProposal(ProposalReason::ReInitLowersVersion)
        ),
        "{err}"
    );
}

/// V-12.4.2-10, V-7.3-13: no key of the UpdatePath may already be in the tree (here the path
/// leaf takes carol's encryption key).
#[test]
fn v_12_4_2_10_path_key_already_in_the_tree_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let commit = self_update(&mut bob);
    let gid = bob.group.group_id().to_vec();
    let carol_key = leaf_of(&bob, LeafIndex(2)).encryption_key;
    let signer_copy = bob.signer.clone();
    let msg = edit_path_leaf(&mut bob, &commit, |leaf| {
        leaf.encryption_key = carol_key;
        sign_leaf(leaf, &signer_copy, &gid, LeafIndex(1));
    });
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidTree(TreeError::DuplicateEncryptionKey(..))
        ),
        "{err}"
    );
}

/// V-12.4.2-17: once a commit removes us, the group is inactive and refuses further messages.
#[test]
fn v_12_4_2_17_removed_member_rejects_further_messages() {
    let (mut alice, mut bob, mut carol) = trio();
    let out = bob
        .group
        .remove_members(
            &bob.signer,
            &[LeafIndex(2)],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("remove");
    bob.group.merge_pending_commit().expect("merge");
    apply(&mut carol.group, &out.commit);
    assert_eq!(carol.group.status(), cohort_group::GroupStatus::Removed);
    apply(&mut alice.group, &out.commit);
    let msg = alice
        .group
        .encrypt_application(&alice.signer, b"after", b"", 0)
        .expect("encrypt");
    let err = reject(&mut carol.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::GroupInactive(InactiveReason::Removed)
        ),
        "{err}"
    );
}

/// V-12.4.2-18: our own commit echoed back is recognised byte for byte; any other commit in our
/// name is rejected, since we cannot process our own path.
#[test]
fn v_12_4_2_18_own_commit_is_only_accepted_as_the_exact_echo() {
    let (_alice, mut bob, _carol) = trio();
    let out = bob
        .group
        .self_update(&bob.signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    let forged = edit_commit(&mut bob, &out.commit, |c, _| {
        c.authenticated_data = b"changed".to_vec().into();
    });
    let err = reject(&mut bob.group, &forged);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidCommit(CommitReason::OwnCommitProcessed)
        ),
        "{err}"
    );
    assert!(bob.group.has_pending_commit());
    apply(&mut bob.group, &out.commit);
    assert!(!bob.group.has_pending_commit());
}

fn other_credential(name: &str) -> cohort_credential::Credential {
    cohort_credential::Credential::Other {
        credential_type: CredentialType(0xf0f0),
        data: name.as_bytes().to_vec().into(),
    }
}

/// V-7.3-04 (with V-7.3-05, = V-13.3-01): every member must support the new leaf's credential
/// type.
#[test]
fn v_7_3_04_credential_type_unsupported_by_a_member_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let dave = cohort_group::LeafSpec::new(other_credential("dave"), NOW, 30);
    let (kp, _, _) = key_package_with(&dave);
    let msg = craft_proposal(&mut bob, add_of(kp.clone()), HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(LeafNodeReason::CredentialUnsupportedByMember)
        ),
        "{err}"
    );
    let msg = commit_of(&mut bob, vec![add_of(kp)]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(LeafNodeReason::CredentialUnsupportedByMember)
        ),
        "{err}"
    );
}

/// V-7.3-05: a new leaf must support every credential type already in use (bob uses a
/// non-basic credential; dave lists only basic).
#[test]
fn v_7_3_05_leaf_missing_a_credential_type_in_use_is_rejected() {
    let mut alice_spec = spec("alice");
    alice_spec.capabilities.credentials = vec![CredentialType::BASIC, CredentialType(0xf0f0)];
    let bob_spec = cohort_group::LeafSpec::new(other_credential("bob"), NOW, 30);
    let (mut alice, mut bob) = pair_with(&alice_spec, &bob_spec, Vec::new());
    let (kp, _, _) = key_package("dave");
    let msg = commit_of(&mut alice, vec![add_of(kp)]);
    let err = reject(&mut bob.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(LeafNodeReason::CredentialInUseUnsupported)
        ),
        "{err}"
    );
}

/// V-12.1.7-05: a GroupContextExtensions replaces the whole list; nothing carries over.
#[test]
fn v_12_1_7_05_group_context_extensions_replace_the_list() {
    let app_id = Extension {
        extension_type: ExtensionType::APPLICATION_ID,
        extension_data: b"app".to_vec().into(),
    };
    let (mut alice, mut bob, _carol) = trio_with(vec![app_id]);
    assert_eq!(alice.group.context().extensions.len(), 1);
    let gce = Proposal::GroupContextExtensions(GroupContextExtensions {
        extensions: Vec::new(),
    });
    let out = bob
        .group
        .commit(
            &bob.signer,
            vec![gce],
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("commit");
    bob.group.merge_pending_commit().expect("merge");
    apply(&mut alice.group, &out.commit);
    assert!(alice.group.context().extensions.is_empty());
    assert_eq!(
        alice.group.epoch_authenticator(),
        bob.group.epoch_authenticator()
    );
}

/// V-12.4.2-13: the transcript hash covers the commit's content: the same commit with other
/// authenticated data (signed again, membership tag recomputed) no longer matches its
/// confirmation tag.
#[test]
fn v_12_4_2_13_transcript_covers_the_commit_content() {
    let (mut alice, mut bob, _carol) = trio();
    let commit = self_update(&mut bob);
    let msg = edit_commit(&mut bob, &commit, |c, _| {
        c.authenticated_data = b"not what was confirmed".to_vec().into();
    });
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(invalid(&err), ValidationError::InvalidConfirmationTag),
        "{err}"
    );
}

/// V-7.2-01: `leaf_node_source` must be key_package, update or commit; a KeyPackage whose
/// leaf says otherwise does not decode.
#[test]
fn v_7_2_01_unknown_leaf_node_source_does_not_decode() {
    use cohort_codec::Encode;
    let (kp, _, _) = key_package("dave");
    let msg = MlsMessage::new(MlsMessageBody::KeyPackage(kp.clone()));
    let mut bytes = msg.to_bytes().expect("encode");
    let leaf = &kp.leaf_node;
    // version, wire_format, then the KeyPackage up to the leaf's source.
    let at = 2
        + 2
        + kp.version.to_bytes().expect("encode").len()
        + kp.cipher_suite.to_bytes().expect("encode").len()
        + kp.init_key.to_bytes().expect("encode").len()
        + leaf.encryption_key.to_bytes().expect("encode").len()
        + leaf.signature_key.to_bytes().expect("encode").len()
        + leaf.credential.to_bytes().expect("encode").len()
        + leaf.capabilities.to_bytes().expect("encode").len();
    assert_eq!(bytes[at], 1, "the source of a KeyPackage leaf");
    for bad in [0, 4, 0xff] {
        bytes[at] = bad;
        assert!(MlsMessage::from_bytes(&bytes).is_err(), "source {bad}");
    }
}

/// A staged commit merges only into the group that staged it, and only from the epoch it was
/// staged in: a commit staged twice merges once, and a commit of another group never; each
/// refusal leaves the group as it was.
#[test]
fn merge_staged_refuses_another_group_or_a_stale_epoch() {
    let (mut alice, mut bob, _carol) = trio();
    let out = bob
        .group
        .self_update(&bob.signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    bob.group.merge_pending_commit().expect("merge");
    let mut staged = || match deliver(&mut alice.group, &out.commit).expect("process") {
        Processed::Commit(staged) => staged,
        other => panic!("expected a commit, got {other:?}"),
    };
    let (first, second, third) = (staged(), staged(), staged());

    let signer = signer();
    let mut other = cohort_group::Group::create(
        &provider(),
        CS,
        &signer,
        &spec("dave"),
        b"another group".to_vec(),
        Vec::new(),
        config(),
    )
    .expect("create");
    let before = other.to_state_bytes().expect("state");
    let err = other.merge_staged(*first).expect_err("another group");
    assert!(
        matches!(
            err,
            Error::Misuse(cohort_group::ApiMisuse::StagedCommitForAnotherGroup)
        ),
        "{err}"
    );
    assert_eq!(other.to_state_bytes().expect("state"), before);

    let epoch = alice.group.epoch();
    alice.group.merge_staged(*second).expect("merge");
    assert_eq!(alice.group.epoch(), epoch + 1);
    let before = alice.group.to_state_bytes().expect("state");
    let err = alice.group.merge_staged(*third).expect_err("stale");
    assert!(
        matches!(
            err,
            Error::Misuse(cohort_group::ApiMisuse::StaleStagedCommit { staged, current })
                if staged == epoch && current == epoch + 1
        ),
        "{err}"
    );
    assert_eq!(alice.group.to_state_bytes().expect("state"), before);
}

// ---------------------------------------------------------------------------------------------
// Duplicate extensions in a KeyPackage or a ReInit (§13.4), key uniqueness across leaves added
// together (§12.2), and the committer's parent hash (§7.9.2), through `process_message`.

/// An extension of a type no registry lists, with `data`.
fn unknown_extension(data: &[u8]) -> Extension {
    Extension::new(ExtensionType(0xff01), data.to_vec())
}

/// V-13.4-03: a KeyPackage whose `extensions` name one type twice (signed again, so only the
/// duplicate is wrong) is refused, in an Add proposal and in a commit by value.
#[test]
fn v_13_4_03_duplicate_key_package_extension_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let (mut kp, _, dave) = key_package("dave");
    kp.extensions = vec![unknown_extension(b"one"), unknown_extension(b"two")];
    sign_key_package(&mut kp, &dave);
    let msg = craft_proposal(&mut bob, add_of(kp.clone()), HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(invalid(&err), ValidationError::DuplicateExtension),
        "{err}"
    );
    let msg = commit_of(&mut bob, vec![add_of(kp.clone())]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(invalid(&err), ValidationError::DuplicateExtension),
        "{err}"
    );
    // The committer's own check refuses it too.
    let err = bob
        .group
        .add_members(&bob.signer, vec![kp], &CommitOptions::new(), Some(NOW))
        .expect_err("a duplicate KeyPackage extension");
    assert!(
        matches!(invalid(&err), ValidationError::DuplicateExtension),
        "{err}"
    );
    // One of each is fine.
    let (mut kp, _, erin) = key_package("erin");
    kp.extensions = vec![unknown_extension(b"one")];
    sign_key_package(&mut kp, &erin);
    apply(&mut alice.group, &added_by(&mut bob, kp));
}

/// V-13.4-03: a ReInit whose `extensions` (the new group's GroupContext extensions) name one
/// type twice is refused, as a proposal and in a commit.
#[test]
fn v_13_4_03_duplicate_reinit_extension_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let reinit = Proposal::ReInit(ReInit {
        group_id: b"next".to_vec().into(),
        version: ProtocolVersion::MLS10,
        cipher_suite: CS,
        extensions: vec![unknown_extension(b"one"), unknown_extension(b"two")],
    });
    let msg = craft_proposal(&mut bob, reinit.clone(), HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(invalid(&err), ValidationError::DuplicateExtension),
        "{err}"
    );
    let msg = commit_of(&mut bob, vec![reinit]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(invalid(&err), ValidationError::DuplicateExtension),
        "{err}"
    );
}

/// V-12.2-13: two Adds in one commit whose KeyPackages share a leaf encryption key leave a
/// tree with one key on two leaves: refused, naming the two new leaves. Two that share a
/// signature key are refused earlier, as two Adds for the same client (V-12.2-06).
#[test]
fn v_12_2_13_two_adds_sharing_a_key_are_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let (dave_kp, _, dave) = key_package("dave");
    // Two signers, one leaf encryption key.
    let (mut erin_kp, _, erin) = key_package("erin");
    erin_kp.leaf_node.encryption_key = dave_kp.leaf_node.encryption_key.clone();
    resign_key_package(&mut erin_kp, &erin);
    let msg = commit_of(&mut bob, vec![add_of(dave_kp.clone()), add_of(erin_kp)]);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidTree(TreeError::DuplicateEncryptionKey(
                cohort_tree::math::NodeIndex(6),
                cohort_tree::math::NodeIndex(8)
            ))
        ),
        "{err}"
    );
    // One signer, two KeyPackages.
    let (erin_kp, _) =
        cohort_group::create_key_package(&provider(), CS, &dave, &spec("erin")).expect("kp");
    let msg = commit_of(&mut bob, vec![add_of(dave_kp), add_of(erin_kp)]);
    assert_list_error(
        &reject(&mut alice.group, &msg),
        ProposalListReason::DuplicateAdd,
    );
}

/// V-12.2-13: a commit changing more than 32 leaves takes the indexed uniqueness pass
/// (`check_keys_unique_indexed`); it refuses a changed leaf that repeats a key of a leaf the
/// commit does not touch, encryption key (the 33rd of 33 Adds takes bob's) or signature key
/// (bob's Update takes alice's, committed with 32 Adds), as the small-commit pass does.
#[test]
fn v_12_2_13_many_changed_leaves_repeating_a_member_key_are_rejected() {
    let (mut alice, mut bob, mut carol) = trio();
    let adds = |n: usize| -> Vec<ProposalOrRef> {
        (0..n)
            .map(|i| ProposalOrRef::Proposal(add_of(key_package(&format!("member {i}")).0)))
            .collect()
    };
    let (mut kp, _, mallory) = key_package("mallory");
    kp.leaf_node.encryption_key = leaf_of(&alice, LeafIndex(1)).encryption_key;
    resign_key_package(&mut kp, &mallory);
    let mut list = adds(32);
    list.push(ProposalOrRef::Proposal(add_of(kp)));
    let msg = craft_commit(&mut carol, list, None, HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidTree(TreeError::DuplicateEncryptionKey(
                cohort_tree::math::NodeIndex(2),
                cohort_tree::math::NodeIndex(70)
            ))
        ),
        "{err}"
    );
    let proposal = update_with_alices_key(&mut alice, &mut bob);
    let mut list = vec![ProposalOrRef::Reference(proposal_ref(&proposal))];
    list.extend(adds(32));
    let msg = craft_commit(&mut carol, list, None, HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidTree(TreeError::DuplicateSignatureKey(
                LeafIndex(0),
                LeafIndex(1)
            ))
        ),
        "{err}"
    );
}

/// V-7.9.2-05, V-7.5-03: the committer's new leaf must carry the parent hash of its first path
/// node. bob's self-update with that parent hash changed (the leaf signed again, so only the
/// parent hash is wrong) is refused when the receiver recomputes the chain.
#[test]
fn v_7_9_2_05_commit_path_with_a_wrong_leaf_parent_hash_is_rejected() {
    let (mut alice, mut bob, _carol) = trio();
    let commit = self_update(&mut bob);
    let gid = bob.group.group_id().to_vec();
    let signer_copy = bob.signer.clone();
    let msg = edit_path_leaf(&mut bob, &commit, |leaf| {
        let LeafNodeSource::Commit(ph) = &leaf.leaf_node_source else {
            panic!("a path leaf has source commit")
        };
        let mut ph = ph.as_slice().to_vec();
        ph[0] ^= 1;
        leaf.leaf_node_source = LeafNodeSource::Commit(ph.into());
        sign_leaf(leaf, &signer_copy, &gid, LeafIndex(1));
    });
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            invalid(&err),
            ValidationError::InvalidUpdatePath(
                cohort_tree::treekem::UpdatePathError::ParentHashMismatch
            )
        ),
        "{err}"
    );
    // The commit as bob sent it is accepted.
    apply(&mut alice.group, &commit);
}

/// The content and auth of a PublicMessage `msg`, as a receiver verifies them.
fn authenticated(msg: &MlsMessage) -> cohort_messages::framing::AuthenticatedContent {
    let MlsMessageBody::PublicMessage(m) = wire(msg).body else {
        panic!("not a PublicMessage")
    };
    cohort_messages::framing::AuthenticatedContent {
        wire_format: cohort_messages::message::WireFormat::PUBLIC_MESSAGE,
        content: m.content,
        auth: m.auth,
    }
}

/// The test hook the fuzz harnesses use to reach the state after a forged commit:
/// `derived_confirmation_tag` returns an honest commit's own tag, and gives a commit built
/// without the sender-side checks (here an Add by value, tag made up) the tag that receivers
/// then accept; the made-up tag itself is refused.
#[test]
fn derived_confirmation_tag_is_the_tag_receivers_expect() {
    let (mut alice, mut bob, _carol) = trio();
    let honest = self_update(&mut bob);
    let ac = authenticated(&honest);
    let derived = testing::derived_confirmation_tag(&alice.group, &ac, &NoPsks, Some(NOW))
        .expect("an honest commit derives");
    assert_eq!(
        derived,
        ac.auth.confirmation_tag.expect("tag").0.into_vec(),
        "the honest commit's tag"
    );

    let forged = commit_of(&mut bob, vec![add_of(key_package("dave").0)]);
    let err = reject(&mut alice.group, &forged);
    assert!(
        matches!(invalid(&err), ValidationError::InvalidConfirmationTag),
        "{err}"
    );
    let derived = testing::derived_confirmation_tag(
        &alice.group,
        &authenticated(&forged),
        &NoPsks,
        Some(NOW),
    )
    .expect("the forged commit derives");
    let retagged = edit_commit(&mut bob, &forged, |_, tag| *tag = Some(Mac(derived.into())));
    let epoch = alice.group.epoch();
    apply(&mut alice.group, &retagged);
    assert_eq!(alice.group.epoch(), epoch + 1);
    assert!(
        alice.group.tree().leaf(LeafIndex(3)).is_some(),
        "dave added"
    );
}
