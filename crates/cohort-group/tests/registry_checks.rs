//! The registries and extension payloads (RFC 9420 §5.3, §8.1, §11.1, §12.1.8.1, §13.5, §17):
//! the proposal-type table, the exact decoding of known extensions, default and GREASE values,
//! and the epoch counter's end. Each test is named by its checklist ID.

#[path = "support.rs"]
mod support;

use cohort_credential::{Credential, CredentialType};
use cohort_group::reason::{CommitReason, ExtensionReason, LeafNodeReason};
use cohort_group::{
    CommitOptions, Error, Group, GroupConfig, HandshakeFormat, StrictChecks, ValidationError,
};
use cohort_messages::extensions::{
    ExtensionPayload, ExternalSender, ExternalSenders, RequiredCapabilities,
};
use cohort_messages::proposal::{Add, GroupContextExtensions, Proposal};
use cohort_tree::extension::{Extension, ExtensionType};
use cohort_tree::leaf::{PROPOSAL_TYPES, ProposalType};
use support::*;

fn gce(extensions: Vec<Extension>) -> Proposal {
    Proposal::GroupContextExtensions(GroupContextExtensions { extensions })
}

/// V-17.4-01: the proposal-type table holds the registry's "Ext" and "Path" columns as RFC 9420
/// §17.4 gives them (transcribed here a second time, so a slip in either copy shows).
#[test]
fn v_17_4_01_the_proposal_type_table_matches_the_registry() {
    let rfc = [
        (1, "add", true, false),
        (2, "update", false, true),
        (3, "remove", true, true),
        (4, "psk", true, false),
        (5, "reinit", true, false),
        (6, "external_init", false, true),
        (7, "group_context_extensions", true, true),
    ];
    assert_eq!(PROPOSAL_TYPES.len(), rfc.len());
    for (value, name, external, path) in rfc {
        let row = ProposalType(value).registry().expect("a registered type");
        assert_eq!(
            (row.name, row.external, row.path_required),
            (name, external, path)
        );
    }
    assert!(ProposalType(8).registry().is_none());
    assert!(ProposalType(0x0A0A).registry().is_none());
}

/// V-12.1.8.1-01: an external sender's signature key must be a key of the group's signature
/// scheme (Ed25519 here: 32 bytes); a well-formed one is accepted.
#[test]
fn v_12_1_8_1_01_an_external_senders_key_must_fit_the_scheme() {
    let (mut alice, mut bob, _carol) = trio();
    let sender = |key: Vec<u8>| {
        ExternalSenders(vec![ExternalSender {
            signature_key: cohort_crypto::SignaturePublicKey(key.into()),
            credential: Credential::basic(b"server".to_vec()),
        }])
        .to_extension()
        .expect("extension")
    };
    for bad in [vec![7; 5], vec![7; 33], Vec::new()] {
        let msg = craft_proposal(&mut bob, gce(vec![sender(bad)]), HandshakeFormat::Public);
        let err = reject(&mut alice.group, &msg);
        assert!(
            matches!(err, Error::Invalid(ValidationError::InvalidExtension(_))),
            "{err}"
        );
    }
    let server = signer();
    let good = sender(cohort_crypto::Signer::public_key(&server).0.to_vec());
    let msg = craft_proposal(&mut bob, gce(vec![good]), HandshakeFormat::Public);
    deliver(&mut alice.group, &msg).expect("a valid key is accepted");
}

/// V-11.1-04: required_capabilities and external_senders must decode exactly as their struct:
/// a trailing byte makes the GroupContextExtensions invalid.
#[test]
fn v_11_1_04_known_extension_data_must_decode_exactly() {
    let (mut alice, mut bob, _carol) = trio();
    let required = RequiredCapabilities {
        extension_types: Vec::new(),
        proposal_types: Vec::new(),
        credential_types: Vec::new(),
    }
    .to_extension()
    .expect("extension");
    let server = signer();
    let senders = ExternalSenders(vec![ExternalSender {
        signature_key: cohort_crypto::Signer::public_key(&server).clone(),
        credential: Credential::basic(b"server".to_vec()),
    }])
    .to_extension()
    .expect("extension");
    for ext in [required, senders] {
        // The well-formed extension is accepted...
        let ok = craft_proposal(&mut bob, gce(vec![ext.clone()]), HandshakeFormat::Public);
        assert!(
            alice
                .group
                .clone()
                .process_message(wire(&ok), &cohort_group::NoPsks, Some(NOW))
                .is_ok(),
            "{:?}",
            ext.extension_type
        );
        // ...and the same with one more byte is not.
        let mut data = ext.extension_data.to_vec();
        data.push(0);
        let long = Extension::new(ext.extension_type, data);
        let msg = craft_proposal(&mut bob, gce(vec![long]), HandshakeFormat::Public);
        let err = reject(&mut alice.group, &msg);
        assert!(matches!(err, Error::Malformed(_)), "{err}");
    }
}

/// V-11.1-03: default proposal types are assumed supported (no leaf lists `update`, yet
/// requiring it is fine); credential types never are (requiring one no leaf lists fails).
#[test]
fn v_11_1_03_default_types_are_assumed_credential_types_are_not() {
    let (mut alice, mut bob, _carol) = trio();
    assert!(
        leaf_of(&alice, alice.leaf())
            .capabilities
            .proposals
            .is_empty()
    );
    let require = |proposal_types: Vec<ProposalType>, credential_types: Vec<CredentialType>| {
        RequiredCapabilities {
            extension_types: Vec::new(),
            proposal_types,
            credential_types,
        }
        .to_extension()
        .expect("extension")
    };
    let defaults = require(vec![ProposalType::UPDATE, ProposalType::REMOVE], Vec::new());
    let msg = craft_proposal(&mut bob, gce(vec![defaults]), HandshakeFormat::Public);
    deliver(&mut alice.group.clone(), &msg).expect("default proposal types are assumed");
    let credential = require(Vec::new(), vec![CredentialType(0xf0f0)]);
    let out = bob.group.commit(
        &bob.signer,
        vec![gce(vec![credential.clone()])],
        &CommitOptions::new(),
        &cohort_group::NoPsks,
        Some(NOW),
    );
    let msg = commit_of(&mut bob, vec![gce(vec![credential])]);
    let err = reject(&mut alice.group, &msg);
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    assert_eq!(
        out.expect_err("the committer's own check refuses it")
            .to_string(),
        err.to_string(),
        "the committer refuses it as its receivers do"
    );
}

/// V-13.5-01: GREASE values take the normal path for unknown values: a GREASE extension in a
/// KeyPackage's leaf (listed in its capabilities) is carried and ignored, so the Add goes
/// through; a GREASE proposal type is rejected like any type this client does not implement.
#[test]
fn v_13_5_01_grease_values_take_the_unknown_value_path() {
    let (mut alice, mut bob, _carol) = trio();
    let grease = ExtensionType(0x1A1A);
    let mut dave = spec("dave");
    dave.capabilities.extensions.push(grease);
    dave.extensions
        .push(Extension::new(grease, b"ignored".to_vec()));
    let (kp, _, _) = key_package_with(&dave);
    let out = alice
        .group
        .add_members(&alice.signer, vec![kp], &CommitOptions::new(), Some(NOW))
        .expect("a GREASE leaf extension is ignored");
    alice.group.merge_pending_commit().expect("merge");
    apply(&mut bob.group, &out.commit);
    let msg = craft_proposal(
        &mut bob,
        Proposal::Custom {
            proposal_type: ProposalType(0x2A2A),
            data: b"grease".to_vec().into(),
        },
        HandshakeFormat::Public,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::UnsupportedProposalType(0x2A2A))
        ),
        "{err}"
    );
}

/// Whether `v` is one of the GREASE values of RFC 9420 §13.5 (0x0A0A, 0x1A1A, ... 0xEAEA).
fn is_grease(v: u16) -> bool {
    v & 0x0F0F == 0x0A0A && (v >> 12) == ((v >> 4) & 0xF)
}

/// V-13.5-02: this client's own capabilities hold no GREASE value, so mutual support is
/// computed on real values only.
#[test]
fn v_13_5_02_our_own_capabilities_hold_no_grease() {
    assert!(is_grease(0x0A0A) && is_grease(0xEAEA) && !is_grease(0x0A1A));
    let alice = create_with("alice", Vec::new());
    let caps = &leaf_of(&alice, alice.leaf()).capabilities;
    let values = caps
        .versions
        .iter()
        .map(|v| v.0)
        .chain(caps.cipher_suites.iter().map(|c| c.0))
        .chain(caps.extensions.iter().map(|e| e.0))
        .chain(caps.proposals.iter().map(|p| p.0))
        .chain(caps.credentials.iter().map(|c| c.0));
    for v in values {
        assert!(!is_grease(v), "GREASE value {v:#06x} in our capabilities");
    }
}

/// V-5.3-03: a credential of a type this client does not implement is refused: with the default
/// Authentication Service, a KeyPackage with an unknown credential type (listed in every leaf's
/// capabilities, so only the type itself is at stake) cannot be added.
#[test]
fn v_5_3_03_a_credential_of_an_unimplemented_type_is_refused() {
    let unknown = CredentialType(0xf0f0);
    let mut alice_spec = spec("alice");
    alice_spec.capabilities.credentials.push(unknown);
    let p = provider();
    let alice_signer = signer();
    let mut alice = Group::create(
        &p,
        CS,
        &alice_signer,
        &alice_spec,
        b"as".to_vec(),
        Vec::new(),
        GroupConfig::default(),
    )
    .expect("create");
    let mut dave = cohort_group::LeafSpec::new(
        Credential::Other {
            credential_type: unknown,
            data: b"dave".to_vec().into(),
        },
        NOW,
        30,
    );
    dave.capabilities.credentials.push(unknown);
    let (kp, _, _) = key_package_with(&dave);
    let err = alice
        .add_members(&alice_signer, vec![kp], &CommitOptions::new(), Some(NOW))
        .expect_err("the default AS implements basic credentials only");
    assert!(
        matches!(err, Error::Invalid(ValidationError::CredentialRejected(_))),
        "{err}"
    );
    let _ = Add {
        key_package: key_package("x").0,
    };
}

/// V-5.3.3-01: `application_id` is the member's own claim, not authenticated by the AS, and
/// need not be unique: two members with the same value are both accepted.
#[test]
fn v_5_3_3_01_application_id_need_not_be_unique() {
    let (mut alice, mut bob, _carol) = trio();
    let app_id = Extension::new(ExtensionType::APPLICATION_ID, b"\x05same".to_vec());
    for name in ["dave", "erin"] {
        let mut s = spec(name);
        s.extensions.push(app_id.clone());
        let (kp, _, _) = key_package_with(&s);
        let out = alice
            .group
            .add_members(&alice.signer, vec![kp], &CommitOptions::new(), Some(NOW))
            .expect("add");
        alice.group.merge_pending_commit().expect("merge");
        apply(&mut bob.group, &out.commit);
    }
    assert_eq!(alice.group.members().count(), 5);
}

/// Sets `group`'s epoch to `epoch` by editing its stored state: the GroupContext's epoch
/// follows the state version (u16), protocol version (u16), suite (u16) and group id.
fn at_epoch(group: &Group, epoch: u64) -> Group {
    let mut bytes = group.to_state_bytes().expect("save").to_vec();
    let id_len = group.group_id().len();
    assert!(id_len < 64, "a one-byte length prefix");
    let at = 2 + 2 + 2 + 1 + id_len;
    assert_eq!(bytes[at..at + 8], group.epoch().to_be_bytes());
    bytes[at..at + 8].copy_from_slice(&epoch.to_be_bytes());
    Group::from_state_bytes(&provider(), &bytes).expect("load")
}

/// V-8.1-02: at the last epoch a u64 can count, a commit is refused: ours is not created, and a
/// received one is rejected without changing the state.
#[test]
fn v_8_1_02_a_commit_past_the_last_epoch_is_refused() {
    let (mut alice, mut bob, _carol) = trio();
    alice.group = at_epoch(&alice.group, u64::MAX);
    bob.group = at_epoch(&bob.group, u64::MAX);
    for g in [&mut alice.group, &mut bob.group] {
        g.set_credential_validator(std::sync::Arc::new(AcceptAll));
    }
    let err = alice
        .group
        .self_update(&alice.signer, &CommitOptions::new(), Some(NOW))
        .expect_err("no epoch after the last");
    assert!(
        matches!(err, Error::Invalid(ValidationError::InvalidCommit(_))),
        "{err}"
    );
    let (kp, _, _) = key_package("dave");
    let msg = commit_of(&mut alice, vec![Proposal::Add(Add { key_package: kp })]);
    let err = reject(&mut bob.group, &msg);
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::InvalidCommit(CommitReason::EpochOverflow))
        ),
        "{err}"
    );
}

/// Refuses basic credentials named "mallory"; anyone else keeps their identity.
#[derive(Debug)]
struct NoMallory;

impl cohort_credential::CredentialValidator for NoMallory {
    fn validate(
        &self,
        credential: &Credential,
        _key: &cohort_crypto::SignaturePublicKey,
        _context: cohort_credential::CredentialContext,
    ) -> Result<cohort_credential::Identity, cohort_credential::CredentialError> {
        match credential {
            Credential::Basic { identity } if identity.as_slice() != b"mallory" => {
                Ok(cohort_credential::Identity(identity.to_vec()))
            }
            _ => Err(cohort_credential::CredentialError::Rejected(
                "mallory is not welcome".into(),
            )),
        }
    }
}

/// V-5.3.1-04: the credential in an Update proposal is put to the Authentication Service: bob
/// updating to a credential it refuses is rejected (received on its own and in a commit); the
/// same Update keeping his credential is accepted.
#[test]
fn v_5_3_1_04_an_update_proposals_credential_is_validated() {
    let (mut alice, mut bob, _carol) = trio();
    alice
        .group
        .set_credential_validator(std::sync::Arc::new(NoMallory));
    let update = |leaf| Proposal::Update(cohort_messages::proposal::Update { leaf_node: leaf });
    let mut leaf = update_leaf(&bob);
    leaf.credential = Credential::basic(b"mallory".to_vec());
    sign_leaf(&mut leaf, &bob.signer, bob.group.group_id(), bob.leaf());
    let msg = craft_proposal(&mut bob, update(leaf.clone()), HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(err, Error::Invalid(ValidationError::CredentialRejected(_))),
        "{err}"
    );
    let same = update(update_leaf(&bob));
    let msg = craft_proposal(&mut bob, same, HandshakeFormat::Public);
    deliver(&mut alice.group, &msg).expect("an Update keeping the credential");
}

/// V-5.1.2-01: a leaf's signature key must be a key of the group's signature scheme: a
/// KeyPackage whose leaf holds a P-256 point in an Ed25519 group is refused before any
/// signature is tried.
#[test]
fn v_5_1_2_01_a_leaf_key_of_another_scheme_is_refused() {
    let (mut alice, mut bob, _carol) = trio();
    let (mut kp, _, _) = key_package("dave");
    let mut p256 = vec![0x04];
    p256.extend([7u8; 64]);
    kp.leaf_node.signature_key = cohort_crypto::SignaturePublicKey(p256.into());
    let msg = craft_proposal(
        &mut bob,
        Proposal::Add(Add { key_package: kp }),
        HandshakeFormat::Public,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::InvalidLeafNode(
                LeafNodeReason::SignatureKeyScheme
            ))
        ),
        "{err}"
    );
}

/// Whether `err` refuses a misplaced extension for `reason`.
fn misplaced(err: &Error, reason: ExtensionReason) -> bool {
    matches!(err, Error::Invalid(ValidationError::InvalidExtension(r)) if *r == reason)
}

/// V-13.4-06 (optional strictness): with `StrictChecks::extension_placement` on, a known
/// extension in a container the registry does not list it for is refused: external_pub in a
/// LeafNode, ratchet_tree in a KeyPackage, application_id in a GroupContext.
#[test]
fn v_13_4_06_a_known_extension_in_the_wrong_container_is_refused() {
    let (mut alice, mut bob, _carol) = trio();
    alice.group.set_strict_checks(StrictChecks {
        extension_placement: true,
        ..StrictChecks::TOLERANT
    });
    let (mut kp, _, dave) = key_package("dave");
    kp.leaf_node
        .extensions
        .push(Extension::new(ExtensionType::EXTERNAL_PUB, vec![0; 33]));
    resign_key_package(&mut kp, &dave);
    let msg = craft_proposal(
        &mut bob,
        Proposal::Add(Add { key_package: kp }),
        HandshakeFormat::Public,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        misplaced(&err, ExtensionReason::NotAllowedInLeafNode),
        "{err}"
    );
    let (mut kp, _, erin) = key_package("erin");
    kp.extensions
        .push(Extension::new(ExtensionType::RATCHET_TREE, vec![0]));
    sign_key_package(&mut kp, &erin);
    let msg = craft_proposal(
        &mut bob,
        Proposal::Add(Add { key_package: kp }),
        HandshakeFormat::Public,
    );
    let err = reject(&mut alice.group, &msg);
    assert!(
        misplaced(&err, ExtensionReason::NotAllowedInKeyPackage),
        "{err}"
    );
    let app_id = Extension::new(ExtensionType::APPLICATION_ID, b"\x03app".to_vec());
    let msg = craft_proposal(&mut bob, gce(vec![app_id]), HandshakeFormat::Public);
    let err = reject(&mut alice.group, &msg);
    assert!(
        misplaced(&err, ExtensionReason::NotAllowedInGroupContext),
        "{err}"
    );
}

/// V-13.4-06: by default the placement check is off (optional strictness): the same misplaced
/// extensions are carried and never acted on, and the commit that adds both KeyPackages and
/// sets the GroupContext extensions is accepted.
#[test]
fn misplaced_known_extensions_are_tolerated_by_default() {
    let (mut alice, mut bob, _carol) = trio();
    let (mut kp, _, dave) = key_package("dave");
    kp.leaf_node
        .extensions
        .push(Extension::new(ExtensionType::EXTERNAL_PUB, vec![0; 33]));
    resign_key_package(&mut kp, &dave);
    let (mut kp2, _, erin) = key_package("erin");
    kp2.extensions
        .push(Extension::new(ExtensionType::RATCHET_TREE, vec![0]));
    sign_key_package(&mut kp2, &erin);
    let out = bob
        .group
        .add_members(&bob.signer, vec![kp, kp2], &CommitOptions::new(), Some(NOW))
        .expect("add");
    bob.group.merge_pending_commit().expect("merge");
    apply(&mut alice.group, &out.commit);
    assert_eq!(alice.group.members().count(), 5);
}

/// The test configuration with the placement check on.
fn strict_placement() -> GroupConfig {
    config().with_strict_checks(StrictChecks {
        extension_placement: true,
        ..StrictChecks::TOLERANT
    })
}

/// `alice` adds a new member from `kp_spec` (its leaf extensions set to `leaf_extensions` when
/// any are given) and the new member joins from the Welcome with `config`.
fn join_added(
    alice: &mut Member,
    kp_spec: &cohort_group::LeafSpec,
    leaf_extensions: Vec<Extension>,
    config: GroupConfig,
) -> Result<Group, Error> {
    let (mut kp, secrets, bob) = key_package_with(kp_spec);
    if !leaf_extensions.is_empty() {
        kp.leaf_node.extensions = leaf_extensions;
        resign_key_package(&mut kp, &bob);
    }
    add_and_join(alice, &kp, &secrets, config)
}

/// V-13.4-06: group creation and joins apply the placement rule a received
/// GroupContextExtensions gets, in the same mode. With `StrictChecks::extension_placement` on,
/// `create` refuses an `application_id` among the GroupContext extensions, and a joiner refuses
/// a Welcome whose GroupContext carries one; by default both are tolerated.
#[test]
fn v_13_4_06_misplaced_group_context_extension_at_create_and_join() {
    let app_id = Extension::new(ExtensionType::APPLICATION_ID, b"\x03app".to_vec());
    let err = Group::create(
        &provider(),
        CS,
        &signer(),
        &spec("alice"),
        b"negative-tests".to_vec(),
        vec![app_id.clone()],
        strict_placement(),
    )
    .expect_err("strict create");
    assert!(
        misplaced(&err, ExtensionReason::NotAllowedInGroupContext),
        "{err}"
    );
    // Tolerated by default: the group is created, and a tolerant joiner joins it.
    let mut alice = create_with("alice", vec![app_id]);
    join_added(&mut alice, &spec("bob"), Vec::new(), config()).expect("tolerant join");
    let err = join_added(&mut alice, &spec("carol"), Vec::new(), strict_placement())
        .expect_err("strict join");
    assert!(
        misplaced(&err, ExtensionReason::NotAllowedInGroupContext),
        "{err}"
    );
}

/// V-13.4-06: a joiner checks the leaves of the tree it receives for misplaced extensions in
/// the same mode: bob's leaf carries `external_pub` (tolerated by the default group that added
/// him); carol, joining strict, refuses the tree, a tolerant dave joins it.
#[test]
fn v_13_4_06_misplaced_leaf_extension_in_the_joined_tree() {
    let mut alice = create_with("alice", Vec::new());
    let external_pub = Extension::new(ExtensionType::EXTERNAL_PUB, vec![0; 33]);
    join_added(&mut alice, &spec("bob"), vec![external_pub], config()).expect("tolerant join");
    let err = join_added(&mut alice, &spec("carol"), Vec::new(), strict_placement())
        .expect_err("strict join");
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::InvalidExtension(
                ExtensionReason::NotAllowedInLeafNode
            ))
        ),
        "{err}"
    );
    join_added(&mut alice, &spec("dave"), Vec::new(), config()).expect("tolerant join");
}

/// V-13.4-03: `create` refuses GroupContext extensions that name one type twice, whatever the
/// strict checks, as a receiver refuses such a GroupContextExtensions.
#[test]
fn v_13_4_03_create_refuses_a_duplicate_group_context_extension() {
    let ext = Extension::new(ExtensionType(0xff01), b"x".to_vec());
    let err = Group::create(
        &provider(),
        CS,
        &signer(),
        &spec("alice"),
        b"negative-tests".to_vec(),
        vec![ext.clone(), ext],
        config(),
    )
    .expect_err("duplicate");
    assert!(
        matches!(err, Error::Invalid(ValidationError::DuplicateExtension)),
        "{err}"
    );
}
