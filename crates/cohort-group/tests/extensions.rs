//! draft-ietf-mls-extensions beyond SelfRemove: application data in the GroupContext
//! (AppDataUpdate), AppEphemeral, Safe AAD, component and wire-format negotiation, application
//! PSKs, the safe exporter and the component-scoped signatures and encryption. The receiver
//! rules are the X- entries of docs/extensions-checklist.md.

#[path = "support.rs"]
mod support;

use std::sync::Arc;

use cohort_codec::{Encode, VarBytes};
use cohort_crypto::Secret;
use cohort_group::components::{
    parse_safe_aad, safe_decrypt_with_label, safe_encrypt_with_label, safe_sign_with_label,
    safe_verify_with_label,
};
use cohort_group::internal::testing;
use cohort_group::reason::{
    CapabilityReason, ExtensionReason, MissingPskReason, ProposalListReason, ProposalReason,
};
use cohort_group::{
    ApiMisuse, AppComponents, CommitOptions, Error, HandshakeFormat, Processed, PskTable,
    ReplaceAppData, ValidationError,
};
use cohort_messages::components::{
    AppDataDictionary, AppDataOperation, AppDataUpdate, AppEphemeral, ComponentData, ComponentId,
    ComponentsList, MediaType, MediaTypeList, RequiredWireFormats, SafeAad, SafeAadItem,
    SupportedWireFormats,
};
use cohort_messages::extensions::{ExtensionPayload, RequiredCapabilities};
use cohort_messages::framing::{Content, Sender};
use cohort_messages::group_context::GroupContext;
use cohort_messages::proposal::{GroupContextExtensions, PreSharedKey, Proposal};
use cohort_messages::psk::{PreSharedKeyId, Psk};
use cohort_messages::{MlsMessage, WireFormat};
use cohort_tree::extension::{Extension, ExtensionType};
use cohort_tree::leaf::ProposalType;
use support::*;

/// A private-use component the tests' applications know.
const TOPIC: ComponentId = ComponentId(0x8001);
/// Another one.
const AVATAR: ComponentId = ComponentId(0x8002);

const TYPES: [ProposalType; 2] = [ProposalType::APP_DATA_UPDATE, ProposalType::APP_EPHEMERAL];

/// A leaf spec for `name` listing the extensions' proposal types and `app_data_dictionary`,
/// with `leaf_extensions`.
fn spec_ext(
    name: &str,
    types: &[ProposalType],
    leaf_extensions: Vec<Extension>,
) -> cohort_group::LeafSpec {
    let mut s = spec(name);
    s.capabilities.proposals = types.to_vec();
    s.capabilities.extensions = vec![
        ExtensionType::APP_DATA_DICTIONARY,
        ExtensionType::SUPPORTED_WIRE_FORMATS,
        ExtensionType::REQUIRED_WIRE_FORMATS,
    ];
    s.extensions = leaf_extensions;
    s
}

/// alice, bob and carol in a group with GroupContext `extensions`; carol lists `carol_types`.
/// Everyone knows TOPIC and AVATAR with replace semantics.
fn trio_ext(extensions: Vec<Extension>, carol_types: &[ProposalType]) -> (Member, Member, Member) {
    let (mut alice, mut bob) = pair_with(
        &spec_ext("alice", &TYPES, Vec::new()),
        &spec_ext("bob", &TYPES, Vec::new()),
        extensions,
    );
    let mut carol = add_with(
        &mut alice,
        &mut [&mut bob],
        &spec_ext("carol", carol_types, Vec::new()),
    );
    for m in [&mut alice, &mut bob, &mut carol] {
        m.group
            .set_app_components(Arc::new(ReplaceAppData::new([TOPIC, AVATAR])));
    }
    (alice, bob, carol)
}

fn trio() -> (Member, Member, Member) {
    trio_ext(Vec::new(), &TYPES)
}

fn update(component: ComponentId, data: &[u8]) -> Proposal {
    Proposal::AppDataUpdate(AppDataUpdate {
        component_id: component,
        op: AppDataOperation::Update(VarBytes::from(data.to_vec())),
    })
}

fn remove(component: ComponentId) -> Proposal {
    Proposal::AppDataUpdate(AppDataUpdate {
        component_id: component,
        op: AppDataOperation::Remove,
    })
}

fn ephemeral(component: ComponentId, data: &[u8]) -> Proposal {
    Proposal::AppEphemeral(AppEphemeral {
        component_id: component,
        data: VarBytes::from(data.to_vec()),
    })
}

/// An Add proposal from `from` of a new client made from `spec`.
fn add_of(from: &mut Member, spec: &cohort_group::LeafSpec) -> MlsMessage {
    let (kp, _, _) = key_package_with(spec);
    craft_proposal(
        from,
        Proposal::Add(cohort_messages::proposal::Add { key_package: kp }),
        HandshakeFormat::Public,
    )
}

fn invalid(err: &Error) -> &ValidationError {
    match err {
        Error::Invalid(v) => v,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// `m` commits `proposals` by value (merging its own commit); returns the commit message.
fn commit(m: &mut Member, proposals: Vec<Proposal>) -> MlsMessage {
    let out = m
        .group
        .commit(
            &m.signer,
            proposals,
            &CommitOptions::new(),
            &cohort_group::NoPsks,
            Some(NOW),
        )
        .expect("commit");
    m.group.merge_pending_commit().expect("merge");
    out.commit
}

/// `msg` delivered to `to` and merged: its summary.
fn apply_summary(to: &mut Member, msg: &MlsMessage) -> cohort_group::CommitSummary {
    match deliver(&mut to.group, msg).expect("process") {
        Processed::Commit(staged) => {
            let summary = staged.summary().clone();
            to.group.merge_staged(*staged).expect("merge");
            summary
        }
        other => panic!("expected a commit, got {other:?}"),
    }
}

fn dictionary(m: &Member) -> AppDataDictionary {
    m.group
        .app_data_dictionary()
        .expect("well formed")
        .unwrap_or_default()
}

/// An AppDataUpdate sets a component's data in the GroupContext without a path; a later one
/// replaces it, a remove removes it; every member agrees on the epoch.
#[test]
fn app_data_updates_set_replace_and_remove_component_data() {
    let (mut alice, mut bob, mut carol) = trio();
    let msg = commit(
        &mut alice,
        vec![update(TOPIC, b"lunch"), update(AVATAR, b"cat")],
    );
    let cohort_messages::MlsMessageBody::PublicMessage(pm) = &msg.body else {
        panic!("a PublicMessage")
    };
    let Content::Commit(c) = &pm.content.content else {
        panic!("a commit")
    };
    assert!(c.path.is_none(), "AppDataUpdate does not require a path");
    for m in [&mut bob, &mut carol] {
        let summary = apply_summary(m, &msg);
        assert_eq!(summary.app_data_updated, vec![TOPIC, AVATAR]);
        assert_eq!(
            m.group.epoch_authenticator(),
            alice.group.epoch_authenticator()
        );
    }
    assert_eq!(dictionary(&bob).get(TOPIC), Some(&b"lunch"[..]));
    // Bob proposes, Carol commits it by reference together with a remove of her own.
    let proposal = bob
        .group
        .propose(
            &bob.signer,
            update(TOPIC, b"dinner"),
            HandshakeFormat::Public,
            Some(NOW),
        )
        .expect("propose");
    for m in [&mut alice, &mut carol] {
        accept_proposal(&mut m.group, &proposal);
    }
    let msg = commit(&mut carol, vec![remove(AVATAR)]);
    for m in [&mut alice, &mut bob] {
        apply_summary(m, &msg);
        assert_eq!(
            m.group.epoch_authenticator(),
            carol.group.epoch_authenticator()
        );
    }
    let d = dictionary(&alice);
    assert_eq!(d.get(TOPIC), Some(&b"dinner"[..]));
    assert_eq!(d.get(AVATAR), None);
}

/// X-AD-01: an AppDataUpdate for a component the application does not know is refused, on its
/// own and in a commit.
#[test]
fn x_ad_01_app_data_update_for_an_unknown_component_is_refused() {
    let (mut alice, mut bob, _carol) = trio();
    let unknown = ComponentId(0x9999);
    let msg = craft_proposal(&mut alice, update(unknown, b"x"), HandshakeFormat::Public);
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(
        invalid(&err),
        ValidationError::InvalidProposal(ProposalReason::UnknownComponent)
    ));
    let msg = commit_of(&mut alice, vec![update(unknown, b"x")]);
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(
        invalid(&err),
        ValidationError::InvalidProposal(ProposalReason::UnknownComponent)
    ));
}

/// X-AD-02: a remove of a component that has no data is refused.
#[test]
fn x_ad_02_remove_of_absent_component_data_is_refused() {
    let (mut alice, mut bob, _carol) = trio();
    let msg = commit_of(&mut alice, vec![remove(TOPIC)]);
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(
        invalid(&err),
        ValidationError::InvalidProposal(ProposalReason::AppDataRemoveOfAbsent)
    ));
}

/// X-AD-03: for one component, two removes, or an update and a remove, are refused.
#[test]
fn x_ad_03_conflicting_app_data_updates_are_refused() {
    let (mut alice, mut bob, mut carol) = trio();
    let msg = commit(&mut alice, vec![update(TOPIC, b"a")]);
    apply(&mut bob.group, &msg);
    apply(&mut carol.group, &msg);
    for list in [
        vec![remove(TOPIC), remove(TOPIC)],
        vec![update(TOPIC, b"b"), remove(TOPIC)],
        vec![remove(TOPIC), update(TOPIC, b"b")],
    ] {
        let msg = commit_of(&mut alice, list);
        let err = reject(&mut bob.group, &msg);
        assert!(matches!(
            invalid(&err),
            ValidationError::InvalidProposalList(ProposalListReason::AppDataUpdateConflict)
        ));
    }
    // Several updates of one component are fine: the application sees them in order.
    let msg = commit(&mut alice, vec![update(TOPIC, b"b"), update(TOPIC, b"c")]);
    apply(&mut bob.group, &msg);
    assert_eq!(dictionary(&bob).get(TOPIC), Some(&b"c"[..]));
}

/// Refuses every update; accepts no AppEphemeral whose data is not `b"ok"`.
#[derive(Debug)]
struct Picky;

impl AppComponents for Picky {
    fn knows(&self, component: ComponentId) -> bool {
        component == TOPIC
    }
    fn apply_updates(
        &self,
        _: ComponentId,
        _: Option<&[u8]>,
        _: &[&[u8]],
        _: &GroupContext,
    ) -> Option<Vec<u8>> {
        None
    }
    fn accept_ephemeral(&self, _: ComponentId, data: &[u8], _: Sender, _: &GroupContext) -> bool {
        data == b"ok"
    }
}

/// X-AD-04: the application's logic refuses the updates: the commit is refused.
#[test]
fn x_ad_04_updates_the_application_refuses_reject_the_commit() {
    let (mut alice, mut bob, _carol) = trio();
    bob.group.set_app_components(Arc::new(Picky));
    let msg = commit_of(&mut alice, vec![update(TOPIC, b"x")]);
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(
        invalid(&err),
        ValidationError::InvalidProposalList(ProposalListReason::AppDataUpdateRefused)
    ));
}

/// The GroupContext extensions of a group that requires AppDataUpdate, with a dictionary.
fn requiring_app_data_update(dictionary: &AppDataDictionary) -> Vec<Extension> {
    vec![
        RequiredCapabilities {
            extension_types: vec![ExtensionType::APP_DATA_DICTIONARY],
            proposal_types: vec![ProposalType::APP_DATA_UPDATE],
            credential_types: Vec::new(),
        }
        .to_extension()
        .expect("encodes"),
        dictionary.to_extension().expect("encodes"),
    ]
}

/// X-AD-05: where AppDataUpdate is required, a GroupContextExtensions may not change the
/// dictionary (it may change other extensions and leave the dictionary as it is).
#[test]
fn x_ad_05_gce_changing_app_data_where_app_data_update_is_required_is_refused() {
    let mut d = AppDataDictionary::new();
    d.insert(TOPIC, b"a".to_vec());
    let (mut alice, mut bob, _carol) = trio_ext(requiring_app_data_update(&d), &TYPES);
    let mut changed = d.clone();
    changed.insert(TOPIC, b"b".to_vec());
    let gce = |extensions| Proposal::GroupContextExtensions(GroupContextExtensions { extensions });
    let msg = commit_of(&mut alice, vec![gce(requiring_app_data_update(&changed))]);
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(
        invalid(&err),
        ValidationError::InvalidProposalList(ProposalListReason::GceChangesAppData)
    ));
    // The same dictionary with another extension added is fine.
    let mut same = requiring_app_data_update(&d);
    same.push(Extension::new(ExtensionType(0x0A0A), vec![1]));
    let mut ok = commit_of(&mut alice, vec![gce(same)]);
    ok = wire(&ok);
    let out = bob
        .group
        .process_message(ok, &cohort_group::NoPsks, Some(NOW));
    // Refused only because Alice's crafted commit has no path and a made-up tag, not for the
    // dictionary rule.
    assert!(!matches!(
        out.as_ref().err().map(invalid),
        Some(ValidationError::InvalidProposalList(
            ProposalListReason::GceChangesAppData
        ))
    ));
}

/// X-AD-06: a commit with an AppDataUpdate or AppEphemeral where a member the commit keeps does
/// not list the type is refused, and the committer refuses to make it.
#[test]
fn x_ad_06_extension_proposal_type_a_member_does_not_support_is_refused() {
    let (mut alice, mut bob, _carol) = trio_ext(Vec::new(), &[]);
    for p in [update(TOPIC, b"x"), ephemeral(TOPIC, b"x")] {
        let msg = commit_of(&mut alice, vec![p.clone()]);
        let err = reject(&mut bob.group, &msg);
        assert!(matches!(
            invalid(&err),
            ValidationError::InvalidProposalList(ProposalListReason::ExtensionTypeUnsupported)
        ));
        let err = alice
            .group
            .commit(
                &alice.signer,
                vec![p],
                &CommitOptions::new(),
                &cohort_group::NoPsks,
                Some(NOW),
            )
            .expect_err("the committer checks too");
        assert!(matches!(
            invalid(&err),
            ValidationError::InvalidProposalList(ProposalListReason::ExtensionTypeUnsupported)
        ));
    }
}

/// X-AD-07: an `app_data_dictionary` whose entries are out of order (or repeat a component) is
/// refused, here in a GroupContextExtensions and in a joiner's KeyPackage.
#[test]
fn x_ad_07_unsorted_app_data_dictionary_is_refused() {
    let (mut alice, mut bob, _carol) = trio();
    let entries: Vec<ComponentData> = [AVATAR, TOPIC]
        .into_iter()
        .map(|c| ComponentData {
            component_id: c,
            data: VarBytes::from(vec![1]),
        })
        .collect();
    let unsorted = Extension::new(
        ExtensionType::APP_DATA_DICTIONARY,
        entries.to_bytes().expect("encodes"),
    );
    let msg = commit_of(
        &mut alice,
        vec![Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: vec![unsorted.clone()],
        })],
    );
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(
        invalid(&err),
        ValidationError::InvalidExtension(ExtensionReason::MalformedDraftExtension)
    ));
    // In a KeyPackage's leaf.
    let msg = add_of(&mut alice, &spec_ext("dave", &TYPES, vec![unsorted]));
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(
        invalid(&err),
        ValidationError::InvalidExtension(ExtensionReason::MalformedDraftExtension)
    ));
}

/// AppEphemerals reach every member with the commit, in order, and change no state but the
/// transcript.
#[test]
fn app_ephemeral_data_arrives_with_the_commit_in_order() {
    let (mut alice, mut bob, _carol) = trio();
    let msg = commit(
        &mut alice,
        vec![
            ephemeral(TOPIC, b"one"),
            ephemeral(AVATAR, b"x"),
            ephemeral(TOPIC, b"two"),
        ],
    );
    let summary = apply_summary(&mut bob, &msg);
    let got: Vec<(ComponentId, Vec<u8>)> = summary
        .app_ephemeral
        .iter()
        .map(|e| (e.component_id, e.data.to_vec()))
        .collect();
    assert_eq!(
        got,
        vec![
            (TOPIC, b"one".to_vec()),
            (AVATAR, b"x".to_vec()),
            (TOPIC, b"two".to_vec())
        ]
    );
    assert!(!summary.extensions_changed);
    assert!(bob.group.app_data_dictionary().expect("ok").is_none());
    assert_eq!(
        bob.group.epoch_authenticator(),
        alice.group.epoch_authenticator()
    );
}

/// X-AE-01: an AppEphemeral for a component the application does not know is refused.
#[test]
fn x_ae_01_app_ephemeral_for_an_unknown_component_is_refused() {
    let (mut alice, mut bob, _carol) = trio();
    let msg = commit_of(&mut alice, vec![ephemeral(ComponentId(0x7777), b"x")]);
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(
        invalid(&err),
        ValidationError::InvalidProposal(ProposalReason::UnknownComponent)
    ));
}

/// X-AE-02: an AppEphemeral whose data the application refuses is refused.
#[test]
fn x_ae_02_app_ephemeral_the_application_refuses_is_refused() {
    let (mut alice, mut bob, _carol) = trio();
    bob.group.set_app_components(Arc::new(Picky));
    let msg = craft_proposal(&mut alice, ephemeral(TOPIC, b"no"), HandshakeFormat::Public);
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(
        invalid(&err),
        ValidationError::InvalidProposal(ProposalReason::AppEphemeralRefused)
    ));
    let msg = craft_proposal(&mut alice, ephemeral(TOPIC, b"ok"), HandshakeFormat::Public);
    accept_proposal(&mut bob.group, &msg);
}

/// The GroupContext extensions of a group with Safe AAD on.
fn safe_aad_group() -> Vec<Extension> {
    let mut d = AppDataDictionary::new();
    d.insert(
        ComponentId::SAFE_AAD,
        ComponentsList::default().to_bytes().expect("encodes"),
    );
    vec![d.to_extension().expect("encodes")]
}

/// X-AAD-01: in a group with the `safe_aad` component, a message whose `authenticated_data` is
/// not a SafeAAD is refused; our own messages carry one (empty unless the application gives
/// items), and one with items reads back.
#[test]
fn x_aad_01_authenticated_data_must_be_a_safe_aad_where_the_group_requires_it() {
    let (mut alice, mut bob, _carol) = trio_ext(safe_aad_group(), &TYPES);
    // Our own commit and proposal carry the empty SafeAAD.
    let proposal = alice
        .group
        .propose(
            &alice.signer,
            ephemeral(TOPIC, b"x"),
            HandshakeFormat::Public,
            Some(NOW),
        )
        .expect("propose");
    let cohort_messages::MlsMessageBody::PublicMessage(pm) = &proposal.body else {
        panic!("a PublicMessage")
    };
    assert_eq!(pm.content.authenticated_data.as_slice(), [0]);
    accept_proposal(&mut bob.group, &proposal);
    // A crafted proposal with other AAD is refused, before anything else.
    let mut c = content(&alice, Content::Proposal(ephemeral(TOPIC, b"y")));
    c.authenticated_data = VarBytes::from(vec![0xff]);
    let msg = testing::protect(
        &mut alice.group,
        &alice.signer,
        c,
        None,
        HandshakeFormat::Public,
    )
    .expect("protect");
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(invalid(&err), ValidationError::MalformedSafeAad));
    // Application messages: the sender refuses AAD that is not a SafeAAD ...
    let err = alice
        .group
        .encrypt_application(&alice.signer, b"hi", &[0xff], 0)
        .expect_err("not a SafeAAD");
    assert!(matches!(err, Error::Misuse(ApiMisuse::AadNotSafeAad)));
    // ... and one with items reads back.
    let aad = SafeAad::new(vec![SafeAadItem {
        component_id: TOPIC,
        aad_item_data: VarBytes::from(b"t".to_vec()),
    }])
    .expect("one item")
    .to_bytes()
    .expect("encodes");
    let msg = alice
        .group
        .encrypt_application(&alice.signer, b"hi", &aad, 0)
        .expect("encrypt");
    match deliver(&mut bob.group, &msg).expect("read") {
        Processed::Application {
            authenticated_data, ..
        } => {
            let (parsed, tail) = parse_safe_aad(&authenticated_data).expect("a SafeAAD");
            assert_eq!(parsed.get(TOPIC), Some(&b"t"[..]));
            assert!(tail.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

/// A leaf's `app_data_dictionary` listing `components` under `app_components`.
fn supporting_components(components: &[ComponentId]) -> Extension {
    let mut d = AppDataDictionary::new();
    d.insert(
        ComponentId::APP_COMPONENTS,
        ComponentsList {
            component_ids: components.to_vec(),
        }
        .to_bytes()
        .expect("encodes"),
    );
    d.to_extension().expect("encodes")
}

/// X-NEG-01: in a group whose GroupContext requires components (`app_components`), a new
/// member that does not list them all is refused; one that does is added.
#[test]
fn x_neg_01_joiner_lacking_a_required_component_is_refused() {
    let required = vec![supporting_components(&[TOPIC])];
    let (mut alice, mut bob) = pair_with(
        &spec_ext(
            "alice",
            &TYPES,
            vec![supporting_components(&[TOPIC, AVATAR])],
        ),
        &spec_ext("bob", &TYPES, vec![supporting_components(&[TOPIC])]),
        required,
    );
    let msg = add_of(
        &mut alice,
        &spec_ext("carol", &TYPES, vec![supporting_components(&[AVATAR])]),
    );
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(
        invalid(&err),
        ValidationError::UnsupportedCapability(CapabilityReason::RequiredComponent)
    ));
    let msg = add_of(
        &mut alice,
        &spec_ext("dave", &TYPES, vec![supporting_components(&[TOPIC])]),
    );
    accept_proposal(&mut bob.group, &msg);
}

/// X-NEG-02: in a group whose GroupContext has `required_wire_formats`, a new member whose
/// `supported_wire_formats` lacks one of them is refused (the RFC's five always count as
/// supported).
#[test]
fn x_neg_02_joiner_lacking_a_required_wire_format_is_refused() {
    let custom = WireFormat(0xF0F0);
    let required = RequiredWireFormats {
        wire_formats: vec![WireFormat::PRIVATE_MESSAGE, custom],
    }
    .to_extension()
    .expect("encodes");
    let supports = |formats: Vec<WireFormat>| {
        SupportedWireFormats {
            wire_formats: formats,
        }
        .to_extension()
        .expect("encodes")
    };
    let (mut alice, mut bob) = pair_with(
        &spec_ext("alice", &TYPES, vec![supports(vec![custom])]),
        &spec_ext("bob", &TYPES, vec![supports(vec![custom])]),
        vec![required],
    );
    let msg = add_of(&mut alice, &spec_ext("carol", &TYPES, Vec::new()));
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(
        invalid(&err),
        ValidationError::UnsupportedCapability(CapabilityReason::RequiredWireFormat)
    ));
}

/// X-PSK-01: an application PSK is looked up by component and id: a member that does not have
/// it refuses the commit; members that do agree on the epoch, and an external PSK of the same
/// id does not stand in for it.
#[test]
fn x_psk_01_application_psk_is_separated_by_component() {
    let (mut alice, mut bob, _carol) = trio();
    let id = PreSharedKeyId {
        psk: Psk::Application {
            component_id: TOPIC,
            psk_id: VarBytes::from(b"shared-file".to_vec()),
        },
        psk_nonce: VarBytes::from(vec![7; 32]),
    };
    let secret = || Secret::new(vec![9; 32]);
    let psks = PskTable {
        external: Vec::new(),
        application: vec![(TOPIC, b"shared-file".to_vec(), secret())],
    };
    let out = alice
        .group
        .commit(
            &alice.signer,
            vec![Proposal::PreSharedKey(PreSharedKey { psk: id })],
            &CommitOptions::new(),
            &psks,
            Some(NOW),
        )
        .expect("commit");
    alice.group.merge_pending_commit().expect("merge");
    // The same id as an external PSK, or under another component, is not it.
    for wrong in [
        PskTable {
            external: vec![(b"shared-file".to_vec(), secret())],
            application: Vec::new(),
        },
        PskTable {
            external: Vec::new(),
            application: vec![(AVATAR, b"shared-file".to_vec(), secret())],
        },
    ] {
        let err = reject_with(&mut bob.group, &out.commit, &wrong);
        assert!(matches!(
            invalid(&err),
            ValidationError::MissingPsk(MissingPskReason::UnknownApplication)
        ));
    }
    match bob
        .group
        .process_message(wire(&out.commit), &psks, Some(NOW))
        .expect("process")
    {
        Processed::Commit(staged) => bob.group.merge_staged(*staged).expect("merge"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        bob.group.epoch_authenticator(),
        alice.group.epoch_authenticator()
    );
}

/// X-EXP-01: the safe exporter: every member derives the same secret for a component,
/// components get different secrets, a second export fails (the secret is consumed and its
/// source deleted, also across a save and a load), and the next epoch has fresh ones.
#[test]
fn safe_exported_secrets_agree_differ_by_component_and_are_consumed() {
    let (mut alice, mut bob, mut carol) = trio();
    let a = alice.group.safe_export_secret(TOPIC).expect("export");
    let b = bob.group.safe_export_secret(TOPIC).expect("export");
    assert_eq!(a.as_bytes(), b.as_bytes());
    assert_eq!(a.as_bytes().len(), 32);
    let other = alice.group.safe_export_secret(AVATAR).expect("export");
    assert_ne!(a.as_bytes(), other.as_bytes());
    assert!(!alice.group.safe_export_available(TOPIC));
    assert!(alice.group.safe_export_available(ComponentId(TOPIC.0 + 2)));
    let err = alice.group.safe_export_secret(TOPIC).expect_err("consumed");
    assert!(matches!(
        err,
        Error::Misuse(ApiMisuse::ExportedSecretConsumed(c)) if c == TOPIC.0
    ));
    // Neighbouring leaves of the tree still derive what the others derive.
    let n = alice
        .group
        .safe_export_secret(ComponentId(0x8000))
        .expect("export");
    let saved = bob.group.to_state_bytes().expect("save");
    let mut reloaded = cohort_group::Group::from_state_bytes(&provider(), &saved).expect("load");
    assert!(matches!(
        reloaded.safe_export_secret(TOPIC),
        Err(Error::Misuse(ApiMisuse::ExportedSecretConsumed(_)))
    ));
    assert_eq!(
        reloaded
            .safe_export_secret(ComponentId(0x8000))
            .expect("export")
            .as_bytes(),
        n.as_bytes()
    );
    assert_eq!(
        carol
            .group
            .safe_export_secret(ComponentId(0xFFFF))
            .expect("export")
            .as_bytes(),
        alice
            .group
            .safe_export_secret(ComponentId(0xFFFF))
            .expect("export")
            .as_bytes()
    );
    assert_eq!(
        carol
            .group
            .safe_export_secret(ComponentId(0))
            .expect("export")
            .as_bytes(),
        alice
            .group
            .safe_export_secret(ComponentId(0))
            .expect("export")
            .as_bytes()
    );
    // The next epoch's secret is another, and available again.
    let msg = commit(&mut alice, vec![ephemeral(TOPIC, b"next")]);
    apply(&mut bob.group, &msg);
    let next = alice.group.safe_export_secret(TOPIC).expect("export");
    assert_ne!(next.as_bytes(), a.as_bytes());
    assert_eq!(
        bob.group
            .safe_export_secret(TOPIC)
            .expect("export")
            .as_bytes(),
        next.as_bytes()
    );
}

/// X-SIG-01: component signatures verify only under the component and label they were made
/// with, and never as an MLS signature of the same content.
#[test]
fn safe_signatures_are_separated_by_component_and_label() {
    let s = suite();
    let signer = signer();
    let key = cohort_crypto::Signer::public_key(&signer).clone();
    let sig = safe_sign_with_label(&signer, TOPIC, b"vote", b"yes").expect("sign");
    safe_verify_with_label(&*s, &key, TOPIC, b"vote", b"yes", &sig).expect("verifies");
    for (component, label) in [(AVATAR, &b"vote"[..]), (TOPIC, &b"poll"[..])] {
        let err = safe_verify_with_label(&*s, &key, component, label, b"yes", &sig)
            .expect_err("another component or label");
        assert!(matches!(
            invalid(&err),
            ValidationError::InvalidSignature(_)
        ));
    }
    assert!(cohort_crypto::labeled::verify_with_label(&*s, &key, b"vote", b"yes", &sig).is_err());
}

/// X-HPKE-01: component ciphertexts decrypt only under the component, label and context they
/// were made with.
#[test]
fn safe_encryption_is_separated_by_component() {
    let s = suite();
    let (private, public) = s.kem_generate().expect("keygen");
    let key = cohort_crypto::SoftwareHpkeKey::from_private(s.clone(), private).expect("key");
    let ct =
        safe_encrypt_with_label(&*s, &public, TOPIC, b"note", b"ctx", b"secret").expect("encrypt");
    assert_eq!(
        safe_decrypt_with_label(&*s, &key, TOPIC, b"note", b"ctx", &ct).expect("decrypt"),
        b"secret"
    );
    for (component, context) in [(AVATAR, &b"ctx"[..]), (TOPIC, &b"other"[..])] {
        let err = safe_decrypt_with_label(&*s, &key, component, b"note", context, &ct)
            .expect_err("another component or context");
        assert!(matches!(
            invalid(&err),
            ValidationError::DecryptionFailed(_)
        ));
    }
}

/// X-AD-08: the draft's registry rows: an external sender may propose AppDataUpdate and
/// AppEphemeral ("External: Y"), neither needs a path; SelfRemove is member-only and needs one.
#[test]
fn app_data_update_is_an_external_proposal_type() {
    for t in TYPES {
        assert!(t.entry().is_some_and(|e| e.external && !e.path_required));
        assert!(t.registry().is_none(), "not in RFC 9420's registry");
    }
    let sr = ProposalType::SELF_REMOVE.entry().expect("a draft type");
    assert!(!sr.external && sr.path_required);
    // Through the receive path: a server listed in external_senders updates the data.
    let server = signer();
    let senders = cohort_messages::extensions::ExternalSenders(vec![
        cohort_messages::extensions::ExternalSender {
            signature_key: cohort_crypto::Signer::public_key(&server).clone(),
            credential: cohort_credential::Credential::basic(b"server".to_vec()),
        },
    ])
    .to_extension()
    .expect("encodes");
    let (mut alice, mut bob, mut carol) = trio_ext(vec![senders], &TYPES);
    let msg = cohort_group::external_proposal(
        &provider(),
        &server,
        alice.group.context(),
        0,
        update(TOPIC, b"from the server"),
        &[],
    )
    .expect("an external proposal");
    for m in [&mut alice, &mut bob, &mut carol] {
        accept_proposal(&mut m.group, &msg);
    }
    let commit = commit(&mut alice, Vec::new());
    apply(&mut bob.group, &commit);
    assert_eq!(dictionary(&bob).get(TOPIC), Some(&b"from the server"[..]));
}

/// A dictionary extension with `entries`.
fn dictionary_of(entries: &[(ComponentId, Vec<u8>)]) -> Extension {
    let mut d = AppDataDictionary::new();
    for (c, data) in entries {
        d.insert(*c, data.clone());
    }
    d.to_extension().expect("encodes")
}

fn media_types(types: &[&str]) -> Vec<u8> {
    MediaTypeList::new(types.iter().map(|t| MediaType::new(t)).collect())
        .expect("non-empty")
        .to_bytes()
        .expect("encodes")
}

/// X-CM-01 / X-NEG-03 / X-LR-02: the draft's own components decode as their types wherever a
/// dictionary appears: an empty `content_media_types`, an `app_components` that is not a
/// ComponentsList, or a `last_resort_key_package` with data is refused in a new member's leaf.
#[test]
fn x_cm_01_x_neg_03_x_lr_02_malformed_draft_components_are_refused() {
    for bad in [
        (ComponentId::CONTENT_MEDIA_TYPES, vec![0]),
        (ComponentId::APP_COMPONENTS, vec![5, 1]),
        (ComponentId::LAST_RESORT_KEY_PACKAGE, vec![1]),
    ] {
        let (mut alice, mut bob, _carol) = trio();
        let msg = add_of(
            &mut alice,
            &spec_ext("dave", &TYPES, vec![dictionary_of(&[bad])]),
        );
        let err = reject(&mut bob.group, &msg);
        assert!(matches!(
            invalid(&err),
            ValidationError::InvalidExtension(ExtensionReason::MalformedDraftExtension)
        ));
    }
}

/// X-GR-01: GREASE and unknown components in a new member's dictionary and `app_components`
/// list are ignored: the member is added.
#[test]
fn x_gr_01_grease_components_are_ignored() {
    let (mut alice, mut bob, _carol) = trio();
    let listed = ComponentsList {
        component_ids: vec![TOPIC, ComponentId(0x3A3A), ComponentId(0xBEEF)],
    }
    .to_bytes()
    .expect("encodes");
    let leaf = dictionary_of(&[
        (ComponentId::APP_COMPONENTS, listed),
        (ComponentId(0x0A0A), vec![1, 2, 3]),
        (ComponentId(0x7A7A), Vec::new()),
    ]);
    let msg = add_of(&mut alice, &spec_ext("dave", &TYPES, vec![leaf]));
    accept_proposal(&mut bob.group, &msg);
}

/// Content advertisement: in a group with `content_media_types`, application data is framed
/// with its media type (the group's first when left empty) and read back; unframed data is
/// refused by the reader (X-CM-02); and a committer does not add a client that does not
/// advertise the group's media types.
#[test]
fn x_cm_02_application_framing_in_a_group_with_media_types() {
    use cohort_group::components::{frame_application, unframe_application};
    let group = vec![dictionary_of(&[(
        ComponentId::CONTENT_MEDIA_TYPES,
        media_types(&["text/plain", "application/json"]),
    )])];
    let leaf = |types: &[&str]| {
        vec![dictionary_of(&[(
            ComponentId::CONTENT_MEDIA_TYPES,
            media_types(types),
        )])]
    };
    let (mut alice, mut bob) = pair_with(
        &spec_ext("alice", &TYPES, leaf(&["text/plain", "application/json"])),
        &spec_ext(
            "bob",
            &TYPES,
            leaf(&["application/json", "text/plain", "image/png"]),
        ),
        group,
    );
    let context = alice.group.context().clone();
    let json = MediaType::new("application/json");
    for (given, expected) in [(Some(&json), "application/json"), (None, "text/plain")] {
        let data = frame_application(&context, given, b"{}").expect("frame");
        let msg = alice
            .group
            .encrypt_application(&alice.signer, &data, &[], 0)
            .expect("encrypt");
        let Processed::Application { data, .. } = deliver(&mut bob.group, &msg).expect("read")
        else {
            panic!("an application message")
        };
        let (media_type, content) =
            unframe_application(bob.group.context(), &data).expect("framed");
        assert_eq!(
            media_type.expect("a media type").media_type.as_slice(),
            expected.as_bytes()
        );
        assert_eq!(content, b"{}");
    }
    assert!(matches!(
        frame_application(&context, Some(&MediaType::new("image/png")), b"x"),
        Err(Error::Misuse(ApiMisuse::MediaTypeNotInGroup))
    ));
    let err = unframe_application(&context, b"not framed").expect_err("X-CM-02");
    assert!(matches!(
        invalid(&err),
        ValidationError::MalformedApplicationFraming
    ));
    // Carol advertises only text/plain: Alice does not add her.
    let (kp, _, _) = key_package_with(&spec_ext("carol", &TYPES, leaf(&["text/plain"])));
    let err = alice
        .group
        .add_members(&alice.signer, vec![kp], &CommitOptions::new(), Some(NOW))
        .expect_err("carol lacks application/json");
    assert!(matches!(
        err,
        Error::Misuse(ApiMisuse::MediaTypesUnsupported)
    ));
}

/// A leaf spec whose credential is `credential`, listing basic, x509 and both multi types.
fn spec_multi(credential: cohort_credential::Credential) -> cohort_group::LeafSpec {
    use cohort_credential::CredentialType;
    let mut s = spec_ext("multi", &TYPES, Vec::new());
    s.credential = credential;
    s.capabilities.credentials = vec![
        CredentialType::BASIC,
        CredentialType::MULTI,
        CredentialType::WEAK_MULTI,
    ];
    s
}

/// alice and bob listing basic and the multi types (not x509).
fn multi_pair() -> (Member, Member) {
    let (a, b) = (
        spec_multi(cohort_credential::Credential::basic(b"alice".to_vec())),
        spec_multi(cohort_credential::Credential::basic(b"bob".to_vec())),
    );
    pair_with(&a, &b, Vec::new())
}

/// A binding of `credential` under a fresh key, for the leaf key of `leaf_signer`.
fn binding(
    cs: cohort_crypto::CipherSuite,
    credential: cohort_credential::Credential,
    leaf_signer: &cohort_crypto::SoftwareSigner,
) -> cohort_credential::CredentialBinding {
    let key = signer();
    let leaf_key = cohort_crypto::Signer::public_key(leaf_signer);
    cohort_credential::CredentialBinding::sign(&key, cs, credential, leaf_key).expect("sign")
}

/// An Add of a client whose leaf (signed by `leaf_signer`) carries `multi`.
fn add_with_credential(
    alice: &mut Member,
    credential: cohort_credential::Credential,
    leaf_signer: cohort_crypto::SoftwareSigner,
) -> MlsMessage {
    let (kp, _) =
        cohort_group::create_key_package(&provider(), CS, &leaf_signer, &spec_multi(credential))
            .expect("kp");
    craft_proposal(
        alice,
        Proposal::Add(cohort_messages::proposal::Add { key_package: kp }),
        HandshakeFormat::Public,
    )
}

/// A member with a multi-credential (two basic credentials, each bound by its own key) is
/// added; X-MC-02: a binding signed for another leaf key is refused.
#[test]
fn x_mc_02_multi_credential_bindings_must_be_signed_for_the_leaf_key() {
    use cohort_credential::{Credential, MultiCredential};
    let (mut alice, mut bob) = multi_pair();
    let dave = signer();
    let multi = MultiCredential {
        weak: false,
        bindings: vec![
            binding(CS, Credential::basic(b"dave@corp".to_vec()), &dave),
            binding(CS, Credential::basic(b"dave@chat".to_vec()), &dave),
        ],
    };
    let msg = add_with_credential(&mut alice, multi.to_credential().expect("encodes"), dave);
    accept_proposal(&mut bob.group, &msg);
    // The same bindings on another client's leaf do not verify.
    let msg = add_with_credential(
        &mut alice,
        multi.to_credential().expect("encodes"),
        signer(),
    );
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(
        invalid(&err),
        ValidationError::InvalidLeafNode(
            cohort_group::reason::LeafNodeReason::InvalidCredentialBinding
        )
    ));
}

/// X-MC-01: a multi-credential whose body is not a list of bindings is refused.
#[test]
fn x_mc_01_malformed_multi_credential_is_refused() {
    let (mut alice, mut bob) = multi_pair();
    let credential = cohort_credential::Credential::Other {
        credential_type: cohort_credential::CredentialType::MULTI,
        data: VarBytes::from(vec![0, 1, 2]),
    };
    let msg = add_with_credential(&mut alice, credential, signer());
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(
        invalid(&err),
        ValidationError::InvalidLeafNode(
            cohort_group::reason::LeafNodeReason::MalformedMultiCredential
        )
    ));
}

/// X-MC-03: in a `multi` credential every binding must be supported by every member: a binding
/// of a credential type the members do not list (x509) is refused, as is one of another cipher
/// suite.
#[test]
fn x_mc_03_multi_binding_a_member_does_not_support_is_refused() {
    use cohort_credential::{Credential, MultiCredential};
    for (cs, credential) in [
        (
            CS,
            Credential::X509 {
                certificates: Vec::new(),
            },
        ),
        (
            cohort_crypto::CipherSuite(3),
            Credential::basic(b"dave@corp".to_vec()),
        ),
    ] {
        let (mut alice, mut bob) = multi_pair();
        let dave = signer();
        let multi = MultiCredential {
            weak: false,
            bindings: vec![
                binding(CS, Credential::basic(b"dave@chat".to_vec()), &dave),
                binding(cs, credential, &dave),
            ],
        };
        let msg = add_with_credential(&mut alice, multi.to_credential().expect("encodes"), dave);
        let err = reject(&mut bob.group, &msg);
        assert!(matches!(
            invalid(&err),
            ValidationError::InvalidLeafNode(
                cohort_group::reason::LeafNodeReason::MultiBindingUnsupported
            )
        ));
    }
}

/// X-MC-04: a `weak-multi` credential needs each member to support one binding at least: one
/// basic binding beside an x509 one is enough; x509 alone is refused.
#[test]
fn x_mc_04_weak_multi_needs_one_supported_binding_per_member() {
    use cohort_credential::{Credential, MultiCredential};
    let x509 = || Credential::X509 {
        certificates: Vec::new(),
    };
    let (mut alice, mut bob) = multi_pair();
    let dave = signer();
    let weak = MultiCredential {
        weak: true,
        bindings: vec![
            binding(CS, x509(), &dave),
            binding(CS, Credential::basic(b"dave@chat".to_vec()), &dave),
        ],
    };
    let msg = add_with_credential(&mut alice, weak.to_credential().expect("encodes"), dave);
    accept_proposal(&mut bob.group, &msg);
    let erin = signer();
    let only_x509 = MultiCredential {
        weak: true,
        bindings: vec![binding(CS, x509(), &erin)],
    };
    let msg = add_with_credential(
        &mut alice,
        only_x509.to_credential().expect("encodes"),
        erin,
    );
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(
        invalid(&err),
        ValidationError::InvalidLeafNode(
            cohort_group::reason::LeafNodeReason::WeakMultiNoSupportedBinding
        )
    ));
}

/// X-WF-01: a `supported_wire_formats` extension whose body is not a list of wire formats is
/// refused in a new member's leaf.
#[test]
fn x_wf_01_malformed_supported_wire_formats_is_refused() {
    let (mut alice, mut bob, _carol) = trio();
    let bad = Extension::new(ExtensionType::SUPPORTED_WIRE_FORMATS, vec![3, 0, 1]);
    let msg = add_of(&mut alice, &spec_ext("dave", &TYPES, vec![bad]));
    let err = reject(&mut bob.group, &msg);
    assert!(matches!(
        invalid(&err),
        ValidationError::InvalidExtension(ExtensionReason::MalformedDraftExtension)
    ));
}

/// X-AD-09: a client joining by external commit may carry AppDataUpdates and AppEphemerals by
/// value: the members apply them as in a member's commit, and the joiner agrees; one the
/// members' applications refuse is refused.
#[test]
fn x_ad_09_external_commit_carries_app_data_updates() {
    let (mut alice, mut bob, _carol) = trio();
    let group_info = match alice
        .group
        .group_info(&alice.signer, true)
        .expect("gi")
        .body
    {
        cohort_messages::MlsMessageBody::GroupInfo(gi) => gi,
        _ => panic!("a GroupInfo"),
    };
    let dave = signer();
    let join = |proposals: &[Proposal]| {
        cohort_group::Group::join_by_external_commit_with(
            &provider(),
            &dave,
            &spec_ext("dave", &TYPES, Vec::new()),
            &group_info,
            None,
            &cohort_group::ExternalJoinOptions::new().app_proposals(proposals),
            &cohort_group::NoPsks,
            config().with_app_components(Arc::new(ReplaceAppData::new([TOPIC]))),
            Some(NOW),
        )
    };
    // Bob's application refuses every update: the commit is refused.
    let refused = join(&[update(TOPIC, b"hello")]).expect("external join");
    bob.group.set_app_components(Arc::new(Picky));
    let err = reject(&mut bob.group, &refused.commit);
    assert!(matches!(
        invalid(&err),
        ValidationError::InvalidProposalList(ProposalListReason::AppDataUpdateRefused)
    ));
    bob.group
        .set_app_components(Arc::new(ReplaceAppData::new([TOPIC, AVATAR])));
    let joined = join(&[update(TOPIC, b"hello"), ephemeral(TOPIC, b"joined")]).expect("join");
    for m in [&mut alice, &mut bob] {
        let summary = apply_summary(m, &joined.commit);
        assert_eq!(summary.app_data_updated, vec![TOPIC]);
        assert_eq!(summary.app_ephemeral.len(), 1);
        assert_eq!(
            m.group.epoch_authenticator(),
            joined.group.epoch_authenticator()
        );
        assert_eq!(dictionary(m).get(TOPIC), Some(&b"hello"[..]));
    }
    // Only these two types may ride along.
    let err = join(&[Proposal::Remove(cohort_messages::proposal::Remove {
        removed: cohort_tree::math::LeafIndex(1),
    })])
    .expect_err("not an app proposal");
    assert!(matches!(err, Error::Misuse(ApiMisuse::UnsupportedProposal)));
}
