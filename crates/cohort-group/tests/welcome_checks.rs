//! Receiver checks on joining from a Welcome (RFC 9420 §12.4.3.1), on its GroupInfo
//! (§12.4.3) and on the ratchet tree used to join (§12.4.3.3), each named by its checklist ID.
//!
//! A failed join creates no group, so there is no receiver state to compare; the Welcome is
//! opened and sealed again with the joiner's keys to change one thing at a time.

#[path = "support.rs"]
mod support;

use cohort_codec::Encode;
use cohort_crypto::{CipherSuite, Secret, SoftwareHpkeKey, SoftwareSigner, labeled};
use cohort_group::join::{decrypt_group_info, decrypt_group_secrets};
use cohort_group::{
    CommitOptions, Error, Group, GroupConfig, JoinInput, KeyPackageSecrets, NoPsks, PskList,
    ValidationError, key_package_ref,
};
use cohort_key_schedule::JoinerSecret;
use cohort_messages::MlsMessageBody;
use cohort_messages::framing::Mac;
use cohort_messages::group_info::GroupInfo;
use cohort_messages::key_package::KeyPackage;
use cohort_messages::proposal::{Add, PreSharedKey, Proposal};
use cohort_messages::psk::{PreSharedKeyId, Psk, ResumptionPskUsage};
use cohort_messages::welcome::{EncryptedGroupSecrets, GroupSecrets, Welcome};
use cohort_tree::TreeError;
use cohort_tree::leaf::{LeafNodeSource, ProtocolVersion};
use cohort_tree::math::LeafIndex;
use cohort_tree::node::RatchetTreeNodes;
use cohort_tree::treekem::UpdatePathError;

use support::*;

/// alice invites dave: the Welcome, dave's KeyPackage and keys, and alice's signer.
struct Invite {
    welcome: Welcome,
    kp: KeyPackage,
    secrets: KeyPackageSecrets,
    alice_signer: SoftwareSigner,
    /// alice's tree before dave was added.
    old_tree: RatchetTreeNodes,
    /// alice's tree with dave.
    tree: RatchetTreeNodes,
    /// alice's epoch authenticator in the epoch dave joins.
    epoch_authenticator: Vec<u8>,
}

fn invite_with(tree_in_welcome: bool, extra: Vec<Proposal>, psks: &PskList) -> Invite {
    invite_full(tree_in_welcome, extra, psks, true)
}

fn invite_full(
    tree_in_welcome: bool,
    extra: Vec<Proposal>,
    psks: &PskList,
    force_path: bool,
) -> Invite {
    let mut alice = create_with("alice", Vec::new());
    let _bob = add(&mut alice, &mut [], "bob");
    let old_tree = alice.group.tree().to_nodes();
    let (kp, secrets, _) = key_package("dave");
    let mut options = CommitOptions::new();
    options.ratchet_tree_in_welcome = tree_in_welcome;
    options.force_path = force_path;
    let mut proposals = vec![Proposal::Add(Add {
        key_package: kp.clone(),
    })];
    proposals.extend(extra);
    let out = alice
        .group
        .commit(&alice.signer, proposals, &options, psks, Some(NOW))
        .expect("commit");
    alice.group.merge_pending_commit().expect("merge");
    let MlsMessageBody::Welcome(welcome) = out.welcome.expect("welcome").body else {
        panic!()
    };
    Invite {
        welcome,
        kp,
        secrets,
        alice_signer: alice.signer,
        old_tree,
        tree: alice.group.tree().to_nodes(),
        epoch_authenticator: alice.group.epoch_authenticator().to_vec(),
    }
}

fn invite() -> Invite {
    invite_with(true, Vec::new(), &PskList::default())
}

fn join(inv: &Invite, welcome: &Welcome, tree: Option<RatchetTreeNodes>) -> Result<Group, Error> {
    let input = JoinInput {
        welcome,
        key_package: &inv.kp,
        secrets: &inv.secrets,
        ratchet_tree: tree,
        now: Some(NOW),
    };
    Group::join(&provider(), input, &NoPsks, GroupConfig::default())
}

fn join_err(inv: &Invite, welcome: &Welcome) -> ValidationError {
    match join(inv, welcome, None) {
        Err(Error::Invalid(v)) => v,
        Err(other) => panic!("expected a validation error, got {other:?}"),
        Ok(_) => panic!("the join must fail"),
    }
}

fn init_key(inv: &Invite) -> SoftwareHpkeKey {
    SoftwareHpkeKey::from_key_pair(
        suite(),
        inv.secrets.init_key.clone(),
        inv.kp.init_key.clone(),
    )
    .expect("init key")
}

/// The GroupSecrets and GroupInfo of the Welcome, as dave decrypts them (no PSKs).
fn open(inv: &Invite) -> (GroupSecrets, GroupInfo) {
    let s = suite();
    let r = key_package_ref(&provider(), &inv.kp).expect("ref");
    let gs = decrypt_group_secrets(&*s, &inv.welcome, r.0.as_slice(), &init_key(inv))
        .expect("group secrets");
    let joiner = JoinerSecret::new(Secret::new(gs.joiner_secret.as_slice().to_vec()));
    let gi = decrypt_group_info(&*s, &inv.welcome, &joiner, &[0; 32]).expect("group info");
    (gs, gi)
}

/// A Welcome for dave with `gi` encrypted under `gi_joiner` and `gs` encrypted to his init key.
fn seal(inv: &Invite, gs: &GroupSecrets, gi: &GroupInfo, gi_joiner: &[u8]) -> Welcome {
    let s = suite();
    let joiner = JoinerSecret::new(Secret::new(gi_joiner.to_vec()));
    let (key, nonce) = joiner
        .welcome_secret(&*s, &[0; 32])
        .and_then(|w| w.key_and_nonce(&*s))
        .expect("welcome key");
    let egi = s
        .aead_seal(
            key.as_bytes(),
            nonce.as_bytes(),
            &[],
            &gi.to_bytes().expect("encode"),
        )
        .expect("seal");
    let ct = labeled::encrypt_with_label(
        &*s,
        &inv.kp.init_key,
        b"Welcome",
        &egi,
        &gs.to_bytes().expect("encode"),
    )
    .expect("hpke");
    let r = key_package_ref(&provider(), &inv.kp).expect("ref");
    Welcome {
        cipher_suite: inv.welcome.cipher_suite,
        secrets: vec![EncryptedGroupSecrets {
            new_member: r,
            encrypted_group_secrets: ct,
        }],
        encrypted_group_info: egi.into(),
    }
}

/// Opens the Welcome, lets `edit` change the GroupInfo, signs it again with alice's key and
/// seals a new Welcome.
fn resigned(inv: &Invite, edit: impl FnOnce(&mut GroupInfo)) -> Welcome {
    let (gs, mut gi) = open(inv);
    edit(&mut gi);
    gi.signature = labeled::sign_with_label(
        &inv.alice_signer,
        b"GroupInfoTBS",
        &gi.to_be_signed().expect("tbs"),
    )
    .expect("sign")
    .into();
    seal(inv, &gs, &gi, gs.joiner_secret.as_slice())
}

/// The helpers themselves: the Welcome opened and sealed again unchanged still joins.
#[test]
fn a_resealed_welcome_still_joins() {
    let inv = invite();
    let w = resigned(&inv, |_| {});
    join(&inv, &w, None).expect("join");
}

/// V-12.4.3.1-01: no entry of the Welcome is for our KeyPackage.
#[test]
fn v_12_4_3_1_01_welcome_without_our_key_package_is_rejected() {
    let inv = invite();
    let (other, other_secrets, _) = key_package("erin");
    let input = JoinInput {
        welcome: &inv.welcome,
        key_package: &other,
        secrets: &other_secrets,
        ratchet_tree: None,
        now: Some(NOW),
    };
    let err = match Group::join(&provider(), input, &NoPsks, GroupConfig::default()) {
        Err(Error::Invalid(v)) => v,
        other => panic!("{other:?}"),
    };
    assert!(
        matches!(err, ValidationError::NoMatchingKeyPackage),
        "{err}"
    );
}

/// V-12.4.3.1-02: the Welcome's cipher suite must be our KeyPackage's.
#[test]
fn v_12_4_3_1_02_welcome_suite_differs_from_the_key_package() {
    let inv = invite();
    let mut w = inv.welcome.clone();
    w.cipher_suite = CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256;
    let err = join_err(&inv, &w);
    assert!(
        matches!(
            err,
            ValidationError::InvalidWelcome(WelcomeReason::SuiteDiffersFromKeyPackage)
        ),
        "{err}"
    );
}

/// V-12.4.3.1-03: the GroupSecrets must decrypt with our init key.
#[test]
fn v_12_4_3_1_03_group_secrets_that_do_not_decrypt_are_rejected() {
    let inv = invite();
    for field in [0, 1] {
        let mut w = inv.welcome.clone();
        let entry = &mut w.secrets[0].encrypted_group_secrets;
        let target = if field == 0 {
            &mut entry.ciphertext
        } else {
            &mut entry.kem_output
        };
        let mut bytes = target.as_slice().to_vec();
        bytes[0] ^= 1;
        *target = bytes.into();
        let err = join_err(&inv, &w);
        assert!(
            matches!(
                err,
                ValidationError::DecryptionFailed(EncryptedObject::GroupSecrets)
            ),
            "{err}"
        );
    }
}

/// V-12.4.3.1-04: every PSK in the GroupSecrets must be available.
#[test]
fn v_12_4_3_1_04_welcome_with_an_unknown_psk_is_rejected() {
    let psks = PskList(vec![(b"the-psk".to_vec(), Secret::new(vec![3; 32]))]);
    let psk = Proposal::PreSharedKey(PreSharedKey {
        psk: PreSharedKeyId {
            psk: Psk::External {
                psk_id: b"the-psk".to_vec().into(),
            },
            psk_nonce: vec![1; 32].into(),
        },
    });
    let inv = invite_with(true, vec![psk], &psks);
    let err = join_err(&inv, &inv.welcome);
    assert!(
        matches!(
            err,
            ValidationError::MissingPsk(MissingPskReason::UnknownExternal)
        ),
        "{err}"
    );
    // With the PSK, dave joins.
    let input = JoinInput {
        welcome: &inv.welcome,
        key_package: &inv.kp,
        secrets: &inv.secrets,
        ratchet_tree: None,
        now: Some(NOW),
    };
    Group::join(&provider(), input, &psks, GroupConfig::default()).expect("join with the PSK");
}

/// V-12.4.3.1-05: at most one reinit or branch resumption PSK in the GroupSecrets.
#[test]
fn v_12_4_3_1_05_two_resumption_psks_are_rejected() {
    let inv = invite();
    let (mut gs, gi) = open(&inv);
    for (usage, epoch) in [
        (ResumptionPskUsage::Reinit, 4),
        (ResumptionPskUsage::Branch, 5),
    ] {
        gs.psks.push(PreSharedKeyId {
            psk: Psk::Resumption {
                usage,
                psk_group_id: b"old group".to_vec().into(),
                psk_epoch: epoch,
            },
            psk_nonce: vec![epoch as u8; 32].into(),
        });
    }
    let w = seal(&inv, &gs, &gi, gs.joiner_secret.as_slice());
    let err = join_err(&inv, &w);
    assert!(
        matches!(
            err,
            ValidationError::InvalidWelcome(WelcomeReason::TwoResumptionPsks)
        ),
        "{err}"
    );
}

/// V-12.4.3.1-06: the GroupInfo must decrypt with the welcome key derived from the joiner
/// secret (here the GroupSecrets carry another joiner secret).
#[test]
fn v_12_4_3_1_06_group_info_that_does_not_decrypt_is_rejected() {
    let inv = invite();
    let (gs, gi) = open(&inv);
    let right = gs.joiner_secret.as_slice().to_vec();
    let mut wrong = gs;
    wrong.joiner_secret = cohort_codec::SecretVarBytes::new(vec![0x11; 32]);
    let w = seal(&inv, &wrong, &gi, &right);
    let err = join_err(&inv, &w);
    assert!(
        matches!(
            err,
            ValidationError::DecryptionFailed(EncryptedObject::GroupInfo)
        ),
        "{err}"
    );
}

/// V-12.4.3.1-07, V-12.4.3-04: the GroupInfo signature must verify under the `signer` leaf,
/// which must exist.
#[test]
fn v_12_4_3_1_07_group_info_signature_and_signer_are_checked() {
    let inv = invite();
    let (gs, mut gi) = open(&inv);
    let mut sig = gi.signature.as_slice().to_vec();
    sig[7] ^= 1;
    gi.signature = sig.into();
    let w = seal(&inv, &gs, &gi, gs.joiner_secret.as_slice());
    let err = join_err(&inv, &w);
    assert!(
        matches!(
            err,
            ValidationError::InvalidSignature(SignedObject::GroupInfo)
        ),
        "{err}"
    );
    // Signed by alice but naming bob as the signer.
    let w = resigned(&inv, |gi| gi.signer = LeafIndex(1));
    let err = join_err(&inv, &w);
    assert!(
        matches!(
            err,
            ValidationError::InvalidSignature(SignedObject::GroupInfo)
        ),
        "{err}"
    );
    // A signer outside the tree.
    let w = resigned(&inv, |gi| gi.signer = LeafIndex(40));
    let err = join_err(&inv, &w);
    assert!(
        matches!(
            err,
            ValidationError::InvalidGroupInfo(GroupInfoReason::SignerLeafBlank)
        ),
        "{err}"
    );
}

/// V-12.4.3.1-09, V-12.4.3-06: the GroupInfo's suite must be our KeyPackage's, and its version
/// mls10.
#[test]
fn v_12_4_3_1_09_group_info_suite_or_version_differs() {
    let inv = invite();
    let w = resigned(&inv, |gi| {
        gi.group_context.cipher_suite = CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256;
    });
    let err = join_err(&inv, &w);
    assert!(
        matches!(
            err,
            ValidationError::InvalidWelcome(WelcomeReason::GroupInfoSuiteOrVersion)
        ),
        "{err}"
    );
    let w = resigned(&inv, |gi| gi.group_context.version = ProtocolVersion(7));
    let err = join_err(&inv, &w);
    assert!(
        matches!(
            err,
            ValidationError::InvalidWelcome(WelcomeReason::GroupInfoSuiteOrVersion)
        ),
        "{err}"
    );
}

/// V-12.4.3.1-10: without a ratchet_tree extension and without a tree out of band, the
/// Welcome cannot be processed; with the tree out of band it can.
#[test]
fn v_12_4_3_1_10_welcome_without_a_ratchet_tree_is_rejected() {
    let inv = invite_with(false, Vec::new(), &PskList::default());
    let err = join_err(&inv, &inv.welcome);
    assert!(
        matches!(
            err,
            ValidationError::InvalidWelcome(WelcomeReason::NoRatchetTree)
        ),
        "{err}"
    );
    join(&inv, &inv.welcome, Some(inv.tree.clone())).expect("join with the tree");
}

/// V-12.4.3.3-04, V-12.4.3.1-11: the tree's root hash must equal the GroupContext's
/// tree_hash, whatever its source (here the tree of the previous epoch, out of band).
#[test]
fn v_12_4_3_3_04_tree_with_the_wrong_hash_is_rejected() {
    let inv = invite_with(false, Vec::new(), &PskList::default());
    let err = match join(&inv, &inv.welcome, Some(inv.old_tree.clone())) {
        Err(Error::Invalid(v)) => v,
        other => panic!("{other:?}"),
    };
    assert!(
        matches!(
            err,
            ValidationError::InvalidTree(TreeError::TreeHashMismatch)
        ),
        "{err}"
    );
}

/// V-12.4.3.3-01: the last node of the tree must not be blank.
#[test]
fn v_12_4_3_3_01_tree_ending_in_a_blank_is_rejected() {
    let inv = invite_with(false, Vec::new(), &PskList::default());
    let mut nodes = inv.tree.clone();
    nodes.0.push(None);
    nodes.0.push(None);
    let err = match join(&inv, &inv.welcome, Some(nodes)) {
        Err(Error::Invalid(v)) => v,
        other => panic!("{other:?}"),
    };
    assert!(
        matches!(err, ValidationError::InvalidTree(TreeError::TrailingBlank)),
        "{err}"
    );
    let err = match join(&inv, &inv.welcome, Some(RatchetTreeNodes(Vec::new()))) {
        Err(Error::Invalid(v)) => v,
        other => panic!("{other:?}"),
    };
    assert!(
        matches!(err, ValidationError::InvalidTree(TreeError::TrailingBlank)),
        "{err}"
    );
}

/// V-12.4.3.1-21: the GroupInfo's confirmation tag must match the epoch's confirmation key.
#[test]
fn v_12_4_3_1_21_group_info_with_a_wrong_confirmation_tag_is_rejected() {
    let inv = invite();
    let w = resigned(&inv, |gi| {
        let mut t = gi.confirmation_tag.0.as_slice().to_vec();
        t[0] ^= 1;
        gi.confirmation_tag = Mac(t.into());
    });
    let err = join_err(&inv, &w);
    assert!(
        matches!(err, ValidationError::InvalidConfirmationTag),
        "{err}"
    );
}

use cohort_group::reason::{
    CapabilityReason, EncryptedObject, GroupInfoReason, MissingPskReason, SignedObject,
    WelcomeReason,
};
use cohort_messages::extensions::{ExtensionPayload, RequiredCapabilities};
use cohort_tree::extension::{Extension, ExtensionType};

const CUSTOM_EXT: ExtensionType = ExtensionType(0xff01);

fn custom_extension() -> Extension {
    Extension {
        extension_type: CUSTOM_EXT,
        extension_data: b"custom".to_vec().into(),
    }
}

/// V-12.4.3-05, V-13.4-03: no extension type twice in the GroupInfo or its GroupContext.
#[test]
fn v_12_4_3_05_duplicate_group_info_extensions_are_rejected() {
    let inv = invite();
    let w = resigned(&inv, |gi| {
        let first = gi.extensions[0].clone();
        gi.extensions.push(first);
    });
    assert!(matches!(
        join_err(&inv, &w),
        ValidationError::DuplicateExtension
    ));
    let w = resigned(&inv, |gi| {
        gi.group_context.extensions = vec![custom_extension(), custom_extension()];
    });
    assert!(matches!(
        join_err(&inv, &w),
        ValidationError::DuplicateExtension
    ));
}

/// V-12.4.3-02, V-13.4-05: every GroupContext extension must be supported by the joiner (and
/// every member): a GroupInfo whose context names one nobody lists is invalid.
#[test]
fn v_12_4_3_02_unsupported_group_context_extension_is_rejected() {
    let inv = invite();
    let w = resigned(&inv, |gi| {
        gi.group_context.extensions.push(custom_extension())
    });
    let err = join_err(&inv, &w);
    assert!(
        matches!(
            err,
            ValidationError::UnsupportedCapability(CapabilityReason::GroupContextExtension)
        ),
        "{err}"
    );
}

/// V-12.4.3.1-13, V-7.3-15: every leaf of the joined tree passes §7.3 in the GroupInfo's
/// context, here its required capabilities.
#[test]
fn v_12_4_3_1_13_tree_leaf_failing_leaf_validation_is_rejected() {
    let inv = invite();
    let required = RequiredCapabilities {
        extension_types: vec![CUSTOM_EXT],
        proposal_types: Vec::new(),
        credential_types: Vec::new(),
    }
    .to_extension()
    .expect("ext");
    let w = resigned(&inv, |gi| gi.group_context.extensions.push(required));
    let err = join_err(&inv, &w);
    assert!(
        matches!(
            err,
            ValidationError::UnsupportedCapability(CapabilityReason::RequiredCapability)
        ),
        "{err}"
    );
}

/// V-12.4.3-01, V-13.4-02: unknown GroupInfo extensions are ignored.
#[test]
fn v_12_4_3_01_unknown_group_info_extension_is_ignored() {
    let inv = invite();
    let w = resigned(&inv, |gi| {
        gi.extensions.push(Extension {
            extension_type: ExtensionType(0x3a3a),
            extension_data: b"grease".to_vec().into(),
        });
    });
    join(&inv, &w, None).expect("join");
}

/// V-12.4.3.3-05: the ratchet_tree of the GroupInfo does not become a GroupContext extension.
#[test]
fn v_12_4_3_3_05_ratchet_tree_is_not_copied_into_the_group_context() {
    let inv = invite();
    let group = join(&inv, &inv.welcome, None).expect("join");
    assert!(
        group
            .context()
            .extensions
            .iter()
            .all(|e| e.extension_type != ExtensionType::RATCHET_TREE)
    );
}

/// V-12.4.3.1-12, V-7.9.2-01: every non-blank parent must be parent-hash valid; a tree whose
/// parent node carries a wrong parent_hash is rejected even with a matching tree hash.
#[test]
fn v_12_4_3_1_12_tree_with_a_broken_parent_hash_is_rejected() {
    let inv = invite();
    let w = resigned(&inv, |gi| {
        let at = gi
            .extensions
            .iter()
            .position(|e| e.extension_type == ExtensionType::RATCHET_TREE)
            .expect("tree");
        let mut nodes = RatchetTreeNodes::from_extension(&gi.extensions[at]).expect("nodes");
        let parent = nodes
            .0
            .iter_mut()
            .skip(1)
            .step_by(2)
            .flatten()
            .find_map(|n| match std::sync::Arc::make_mut(n) {
                cohort_tree::node::Node::Parent(p) if !p.parent_hash.is_empty() => Some(p),
                _ => None,
            })
            .expect("a parent with a parent hash");
        let mut ph = parent.parent_hash.as_slice().to_vec();
        ph[0] ^= 1;
        parent.parent_hash = ph.into();
        let mut tree = cohort_tree::RatchetTree::from_nodes(nodes.clone()).expect("tree");
        gi.group_context.tree_hash = tree.tree_hash(&*suite()).expect("hash").into();
        gi.extensions[at] = nodes.to_extension().expect("ext");
    });
    let err = join_err(&inv, &w);
    assert!(
        matches!(
            err,
            ValidationError::InvalidTree(TreeError::ParentHashCoverage { links: 0, .. })
        ),
        "{err}"
    );
}

/// V-12.4.3.1-18: the path secret must derive the keys already in the tree.
#[test]
fn v_12_4_3_1_18_wrong_path_secret_is_rejected() {
    let inv = invite();
    let (mut gs, gi) = open(&inv);
    assert!(gs.path_secret.is_some());
    gs.path_secret = Some(cohort_messages::welcome::PathSecret {
        path_secret: cohort_codec::SecretVarBytes::new(vec![0x22; 32]),
    });
    let w = seal(&inv, &gs, &gi, gs.joiner_secret.as_slice());
    let err = join_err(&inv, &w);
    assert!(
        matches!(
            err,
            ValidationError::InvalidUpdatePath(UpdatePathError::PublicKeyMismatch(_))
        ),
        "{err}"
    );
}

/// V-12.4.3.1-19: the leaf private key given for our KeyPackage must match its leaf.
#[test]
fn v_12_4_3_1_19_leaf_private_key_must_match_our_leaf() {
    let inv = invite();
    let wrong = KeyPackageSecrets {
        init_key: inv.secrets.init_key.clone(),
        encryption_key: suite().kem_generate().expect("kem").0,
    };
    let input = JoinInput {
        welcome: &inv.welcome,
        key_package: &inv.kp,
        secrets: &wrong,
        ratchet_tree: None,
        now: Some(NOW),
    };
    match Group::join(&provider(), input, &NoPsks, GroupConfig::default()) {
        Err(Error::Crypto(e)) => {
            assert_eq!(e.kind(), cohort_crypto::CryptoErrorKind::InvalidPrivateKey)
        }
        other => panic!("{other:?}"),
    }
}

/// V-12.4.3.1-17: our KeyPackage's leaf must be in the tree. Here the GroupInfo's tree holds
/// another client's KeyPackage leaf in our place (tree hash recomputed, GroupInfo signed again;
/// without a path in the commit, no parent hash covers the new leaf).
#[test]
fn v_12_4_3_1_17_welcome_whose_tree_lacks_our_leaf_is_rejected() {
    let inv = invite_full(true, Vec::new(), &PskList::default(), false);
    let (erin, _, _) = key_package("erin");
    let w = resigned(&inv, |gi| {
        let at = gi
            .extensions
            .iter()
            .position(|e| e.extension_type == ExtensionType::RATCHET_TREE)
            .expect("tree");
        let mut nodes = RatchetTreeNodes::from_extension(&gi.extensions[at]).expect("nodes");
        let ours = nodes
            .0
            .iter_mut()
            .flatten()
            .find(|n| matches!(&***n, cohort_tree::node::Node::Leaf(l) if *l == inv.kp.leaf_node))
            .expect("our leaf");
        *ours = std::sync::Arc::new(cohort_tree::node::Node::Leaf(erin.leaf_node.clone()));
        let mut tree = cohort_tree::RatchetTree::from_nodes(nodes.clone()).expect("tree");
        gi.group_context.tree_hash = tree.tree_hash(&*suite()).expect("hash").into();
        gi.extensions[at] = nodes.to_extension().expect("ext");
    });
    let err = join_err(&inv, &w);
    assert!(
        matches!(
            err,
            ValidationError::InvalidWelcome(WelcomeReason::OwnLeafMissing)
        ),
        "{err}"
    );
}

/// V-12.4.3.1-20: the joiner runs the key schedule from the joiner secret, PSK secret and
/// GroupContext and reaches the same epoch secrets as the group.
#[test]
fn v_12_4_3_1_20_joiner_derives_the_group_epoch() {
    let inv = invite();
    let group = join(&inv, &inv.welcome, None).expect("join");
    assert_eq!(
        group.epoch_authenticator(),
        inv.epoch_authenticator.as_slice()
    );
}

/// V-12.4.3.3-04, V-12.4.3.1-13 on a tree large enough for the leaves to be validated on other
/// threads while the tree is hashed: the joiner still joins, and with a damaged leaf the error
/// reported is the first check's (the tree hash), not the leaf's signature.
#[test]
fn v_12_4_3_3_04_large_tree_checks_keep_their_order() {
    let mut alice = create_with("alice", Vec::new());
    let key_packages: Vec<KeyPackage> = (0..300)
        .map(|i| key_package(&format!("member {i}")).0)
        .collect();
    let mut options = CommitOptions::new();
    options.ratchet_tree_in_welcome = false;
    alice
        .group
        .add_members(&alice.signer, key_packages, &options, Some(NOW))
        .expect("add 300");
    alice.group.merge_pending_commit().expect("merge");
    let (kp, secrets, _) = key_package("dave");
    let out = alice
        .group
        .add_members(&alice.signer, vec![kp.clone()], &options, Some(NOW))
        .expect("add dave");
    alice.group.merge_pending_commit().expect("merge");
    let MlsMessageBody::Welcome(welcome) = out.welcome.expect("welcome").body else {
        panic!("not a Welcome")
    };
    let tree = alice.group.tree().to_nodes();
    let join_with = |nodes: RatchetTreeNodes| {
        let input = JoinInput {
            welcome: &welcome,
            key_package: &kp,
            secrets: &secrets,
            ratchet_tree: Some(nodes),
            now: Some(NOW),
        };
        Group::join(&provider(), input, &NoPsks, GroupConfig::default())
    };
    let dave = join_with(tree.clone()).expect("join a 302-member group");
    assert_eq!(
        dave.epoch_authenticator(),
        alice.group.epoch_authenticator()
    );
    let mut damaged = tree;
    match damaged
        .0
        .get_mut(2 * 150)
        .and_then(|n| n.as_mut().map(std::sync::Arc::make_mut))
    {
        Some(cohort_tree::node::Node::Leaf(leaf)) => {
            let mut sig = leaf.signature.as_slice().to_vec();
            sig[0] ^= 1;
            leaf.signature = sig.into();
        }
        _ => panic!("no leaf 150"),
    }
    match join_with(damaged) {
        Err(Error::Invalid(ValidationError::InvalidTree(TreeError::TreeHashMismatch))) => {}
        other => panic!("expected the tree hash mismatch first, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Tree hash and parent hashes (§7.8, §7.9.2) of the tree a joiner receives. Each Welcome's
// tree is changed, the GroupContext's tree hash recomputed and the GroupInfo signed again, so
// that the check under test is the one that fails.

/// A Welcome whose ratchet_tree extension `edit` changed, with the GroupContext's tree hash set
/// to the changed tree's and the GroupInfo signed again by alice.
fn with_tree(inv: &Invite, edit: impl FnOnce(&mut RatchetTreeNodes)) -> Welcome {
    resigned(inv, |gi| {
        let at = gi
            .extensions
            .iter()
            .position(|e| e.extension_type == ExtensionType::RATCHET_TREE)
            .expect("tree");
        let mut nodes = RatchetTreeNodes::from_extension(&gi.extensions[at]).expect("nodes");
        edit(&mut nodes);
        let mut tree = cohort_tree::RatchetTree::from_nodes(nodes.clone()).expect("tree");
        gi.group_context.tree_hash = tree.tree_hash(&*suite()).expect("hash").into();
        gi.extensions[at] = nodes.to_extension().expect("ext");
    })
}

fn node_mut(nodes: &mut RatchetTreeNodes, x: usize) -> &mut cohort_tree::node::Node {
    std::sync::Arc::make_mut(nodes.0[x].as_mut().expect("non-blank node"))
}

/// V-7.9.2-02: every non-blank parent must be covered by exactly one chain. The invite's tree
/// is alice, bob, dave with alice's path over parents 1 and 3; the root 3 with a new encryption
/// key is linked by neither child (every link hashes the parent's key).
#[test]
fn v_7_9_2_02_welcome_tree_with_a_parent_no_chain_covers_is_rejected() {
    let inv = invite();
    let w = with_tree(&inv, |nodes| {
        let cohort_tree::node::Node::Parent(root) = node_mut(nodes, 3) else {
            panic!("node 3 is a parent")
        };
        root.encryption_key = suite().kem_generate().expect("kem").1;
    });
    assert_uncovered(&inv, &w, 3);
}

/// V-7.9.2-03: a link D→P holds only if `D.parent_hash == ParentHash(P, S)`. alice's leaf with
/// its parent hash changed (and signed again by alice) no longer links parent 1, which no other
/// descendant covers.
#[test]
fn v_7_9_2_03_welcome_tree_with_a_broken_leaf_link_is_rejected() {
    let inv = invite();
    let (_, gi) = open(&inv);
    let gid = gi.group_context.group_id.as_slice().to_vec();
    let w = with_tree(&inv, |nodes| {
        let cohort_tree::node::Node::Leaf(leaf) = node_mut(nodes, 0) else {
            panic!("node 0 is a leaf")
        };
        let LeafNodeSource::Commit(ph) = &leaf.leaf_node_source else {
            panic!("alice's leaf has source commit")
        };
        let mut ph = ph.as_slice().to_vec();
        ph[0] ^= 1;
        leaf.leaf_node_source = LeafNodeSource::Commit(ph.into());
        sign_leaf(leaf, &inv.alice_signer, &gid, LeafIndex(0));
    });
    assert_uncovered(&inv, &w, 1);
}

/// V-7.9.2-03: a link D→P also needs `P.unmerged_leaves ∩ leaves(C) == resolution(C) \ {D}`,
/// and the sibling's original tree hash leaves out P's unmerged leaves. dave's leaf 2 listed as
/// unmerged at the root changes what parent 1's link hashes: the root is covered by no link.
#[test]
fn v_7_9_2_03_welcome_tree_with_unmerged_leaves_breaking_the_link_is_rejected() {
    let inv = invite();
    let w = with_tree(&inv, |nodes| {
        let cohort_tree::node::Node::Parent(root) = node_mut(nodes, 3) else {
            panic!("node 3 is a parent")
        };
        root.unmerged_leaves = vec![LeafIndex(2)];
    });
    assert_uncovered(&inv, &w, 3);
}

/// Joining from `w` fails because parent `node` of its tree is covered by no parent-hash link.
fn assert_uncovered(inv: &Invite, w: &Welcome, node: u32) {
    let err = join_err(inv, w);
    assert!(
        matches!(
            err,
            ValidationError::InvalidTree(TreeError::ParentHashCoverage {
                node: cohort_tree::math::NodeIndex(n),
                links: 0
            }) if n == node
        ),
        "{err}"
    );
}

/// The RFC 9420 §7.8 tree hash of `nodes`, computed here from the wire encodings:
/// `TreeHashInput` with a leaf's `leaf_index` (left out if `with_leaf_index` is false, as a
/// wrong implementation would), an optional node absent exactly when blank, and a parent's two
/// child hashes.
fn rfc_tree_hash(nodes: &RatchetTreeNodes, with_leaf_index: bool) -> Vec<u8> {
    fn level(x: usize) -> u32 {
        (!x).trailing_zeros()
    }
    fn vec_of(bytes: &[u8]) -> Vec<u8> {
        assert!(bytes.len() < 64, "one-byte varint");
        let mut v = vec![bytes.len() as u8];
        v.extend_from_slice(bytes);
        v
    }
    fn hash(nodes: &RatchetTreeNodes, x: usize, with_leaf_index: bool) -> Vec<u8> {
        let node = nodes.0.get(x).and_then(|n| n.as_deref());
        let mut input = Vec::new();
        let k = level(x);
        if k == 0 {
            input.push(1);
            if with_leaf_index {
                input.extend_from_slice(&((x / 2) as u32).to_be_bytes());
            }
            match node {
                Some(cohort_tree::node::Node::Leaf(l)) => {
                    input.push(1);
                    input.extend(l.to_bytes().expect("leaf"));
                }
                None => input.push(0),
                Some(_) => panic!("a parent at a leaf position"),
            }
        } else {
            input.push(2);
            match node {
                Some(cohort_tree::node::Node::Parent(p)) => {
                    input.push(1);
                    input.extend(p.to_bytes().expect("parent"));
                }
                None => input.push(0),
                Some(_) => panic!("a leaf at a parent position"),
            }
            let left = x ^ (1 << (k - 1));
            let right = x ^ (3 << (k - 1));
            input.extend(vec_of(&hash(nodes, left, with_leaf_index)));
            input.extend(vec_of(&hash(nodes, right, with_leaf_index)));
        }
        suite().hash(&input).expect("hash")
    }
    let leaves = nodes.0.len().div_ceil(2).next_power_of_two();
    hash(nodes, leaves - 1, with_leaf_index)
}

/// V-7.8-01: the joiner computes the tree hash from the §7.8 inputs. The GroupContext's tree
/// hash equals one computed here from the wire encodings; one computed without the leaves'
/// `leaf_index` (the tree unchanged, the GroupInfo signed again) is a mismatch.
#[test]
fn v_7_8_01_joiner_recomputes_the_tree_hash_from_its_inputs() {
    let inv = invite();
    let (_, gi) = open(&inv);
    let nodes = RatchetTreeNodes::from_extension(
        gi.extensions
            .iter()
            .find(|e| e.extension_type == ExtensionType::RATCHET_TREE)
            .expect("tree"),
    )
    .expect("nodes");
    assert_eq!(
        rfc_tree_hash(&nodes, true),
        gi.group_context.tree_hash.as_slice()
    );
    let wrong = rfc_tree_hash(&nodes, false);
    let w = resigned(&inv, |gi| gi.group_context.tree_hash = wrong.into());
    let err = join_err(&inv, &w);
    assert!(
        matches!(
            err,
            ValidationError::InvalidTree(TreeError::TreeHashMismatch)
        ),
        "{err}"
    );
}
