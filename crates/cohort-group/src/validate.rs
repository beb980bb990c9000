//! Validation of LeafNodes (RFC 9420 §7.3) and KeyPackages (§10.1), shared by every path that
//! receives them: KeyPackages before an Add, Add and Update proposals, commit paths, and trees at
//! join.

use cohort_codec::Encode;
use cohort_crypto::{SuiteOps, labeled};
use cohort_messages::extensions::{ExtensionPayload, RequiredCapabilities};
use cohort_messages::group_context::GroupContext;
use cohort_messages::key_package::KeyPackage;
use cohort_tree::extension::{self as ext, ExtensionType};
use cohort_tree::leaf::{LeafNode, LeafNodeSource, ProtocolVersion};
use cohort_tree::math::LeafIndex;

use cohort_credential::CredentialContext;

use crate::config::GroupConfig;
use crate::reason::{
    CapabilityReason, ExtensionReason, KeyPackageReason, LeafNodeReason, SignedObject,
};
use crate::{Error, ValidationError};

/// Which kind of LeafNode is being checked, with what its signature covers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LeafContext<'a> {
    /// The leaf of a KeyPackage (source `key_package`).
    KeyPackage,
    /// The leaf of an Update proposal from `leaf` (source `update`).
    Update { group_id: &'a [u8], leaf: LeafIndex },
    /// The leaf of a commit path for `leaf` (source `commit`).
    Commit { group_id: &'a [u8], leaf: LeafIndex },
    /// A leaf of a tree received at join: any source, signed per its source.
    Tree { group_id: &'a [u8], leaf: LeafIndex },
}

fn invalid(reason: LeafNodeReason) -> Error {
    ValidationError::InvalidLeafNode(reason).into()
}

/// Checks a LeafNode against RFC 9420 §7.3, for the group whose context is `context` (its
/// required capabilities, version and suite). `now` is checked against key-package lifetimes
/// when given.
pub(crate) fn validate_leaf(
    suite: &dyn SuiteOps,
    leaf: &LeafNode,
    ctx: LeafContext<'_>,
    context: &GroupContext,
    now: Option<u64>,
    config: &GroupConfig,
) -> Result<(), Error> {
    check_leaf(suite, leaf, ctx, context, now, config, true)
}

/// [`validate_leaf`], verifying the leaf's signature only if `verify_signature` (a caller that
/// has verified it already, in a batch, passes `false`).
fn check_leaf(
    suite: &dyn SuiteOps,
    leaf: &LeafNode,
    ctx: LeafContext<'_>,
    context: &GroupContext,
    now: Option<u64>,
    config: &GroupConfig,
    verify_signature: bool,
) -> Result<(), Error> {
    // Source and signature (V-7.3-02, V-7.3-08/09/11, V-7.2-07).
    let (group, source_ok) = match (ctx, &leaf.leaf_node_source) {
        (LeafContext::KeyPackage, LeafNodeSource::KeyPackage(_)) => (None, true),
        (LeafContext::Update { group_id, leaf }, LeafNodeSource::Update) => {
            (Some((group_id, leaf)), true)
        }
        (LeafContext::Commit { group_id, leaf }, LeafNodeSource::Commit(_)) => {
            (Some((group_id, leaf)), true)
        }
        (LeafContext::Tree { group_id, leaf }, _) => (Some((group_id, leaf)), true),
        _ => (None, false),
    };
    if !source_ok {
        return Err(invalid(LeafNodeReason::SourceMismatch));
    }
    // A signature key of the group's scheme (V-5.1.2-01).
    if suite
        .signature_scheme()
        .key_well_formed(&leaf.signature_key.0)
        == Some(false)
    {
        return Err(invalid(LeafNodeReason::SignatureKeyScheme));
    }
    // Only extensions that may appear in a LeafNode (V-13.4-06, a strict check).
    check_placement(config, &leaf.extensions, Container::LeafNode)?;
    check_draft_payloads(&leaf.extensions)?;
    if verify_signature {
        let tbs = leaf.to_be_signed(group)?;
        labeled::verify_with_label(
            suite,
            &leaf.signature_key,
            b"LeafNodeTBS",
            &tbs,
            &leaf.signature,
        )
        .map_err(|e| {
            Error::on_peer_data(e, ValidationError::InvalidSignature(SignedObject::LeafNode))
        })?;
    }
    // The Authentication Service accepts the credential for this key (V-7.3-01, V-5.3.1-*).
    let as_context = match ctx {
        LeafContext::KeyPackage => CredentialContext::Add,
        LeafContext::Update { .. } => CredentialContext::Update,
        LeafContext::Commit { .. } => CredentialContext::CommitPath,
        LeafContext::Tree { .. } => CredentialContext::Join,
    };
    config
        .credential_validator
        .validate(&leaf.credential, &leaf.signature_key, as_context)
        .map_err(ValidationError::CredentialRejected)?;
    // A multi-credential's bindings are signed for this leaf's key (X-MC-01..04).
    check_multi_credential(suite, leaf)?;
    // The leaf's own credential type is among its capabilities (V-7.2-02).
    let caps = &leaf.capabilities;
    if !caps
        .credentials
        .contains(&leaf.credential.credential_type())
    {
        return Err(invalid(LeafNodeReason::CredentialTypeNotInCapabilities));
    }
    // Version and suite of the group (V-7.3-14): a strict check. RFC 9420 §7.3 asks for a leaf
    // "compatible with the group's parameters", and deployed clients omit the group's own suite
    // from their lists; the KeyPackage's suite and the GroupContext bind it.
    if config.strict.group_suite_in_capabilities
        && (!caps.versions.contains(&ProtocolVersion::MLS10)
            || !caps.cipher_suites.contains(&context.cipher_suite))
    {
        return Err(
            ValidationError::UnsupportedCapability(CapabilityReason::GroupVersionOrSuite).into(),
        );
    }
    // Default types listed in the capabilities (V-7.2-06): a sender's MUST, a strict check.
    if config.strict.default_types_in_capabilities
        && (caps.extensions.iter().any(|t| t.is_default())
            || caps.proposals.iter().any(|t| t.is_default()))
    {
        return Err(invalid(LeafNodeReason::DefaultTypeInCapabilities));
    }
    // Every non-default leaf extension is listed (V-7.2-03, V-7.3-07).
    if ext::has_duplicates(&leaf.extensions) {
        return Err(ValidationError::DuplicateExtension.into());
    }
    for e in &leaf.extensions {
        if !e.extension_type.is_default() && !caps.extensions.contains(&e.extension_type) {
            return Err(invalid(LeafNodeReason::ExtensionNotInCapabilities));
        }
    }
    // The group's required capabilities (V-7.3-03), and every GroupContext extension in use
    // (V-13.4-04, V-12.4.3-02).
    check_required_capabilities(leaf, &context.extensions)?;
    check_extension_support(leaf, &context.extensions)?;
    // The encryption key is a valid HPKE key for the suite (V-10-03, V-5.1.1-01).
    suite
        .kem_validate_public_key(&leaf.encryption_key)
        .map_err(|e| {
            Error::on_peer_data(
                e,
                ValidationError::InvalidLeafNode(LeafNodeReason::InvalidEncryptionKey),
            )
        })?;
    // Lifetime (V-7.2-05, V-7.3-06). The inverted range and the application's maximum total
    // lifetime are checked whether or not the current time is known; only the expiry check
    // needs it (and `LifetimePolicy::check_expiry` withholds it).
    if let LeafNodeSource::KeyPackage(lifetime) = &leaf.leaf_node_source {
        let Some(total) = lifetime.not_after.checked_sub(lifetime.not_before) else {
            return Err(invalid(LeafNodeReason::InvertedLifetime));
        };
        let max = match ctx {
            LeafContext::Tree { .. } => config.lifetime.admitted,
            _ => config.lifetime.new_members,
        };
        if !max.allows(total) {
            return Err(invalid(LeafNodeReason::LifetimeTooLong));
        }
        if let Some(now) = now {
            if now < lifetime.not_before || now > lifetime.not_after {
                return Err(invalid(LeafNodeReason::OutsideLifetime));
            }
        }
    }
    Ok(())
}

/// Checks that `leaf` supports every capability the `required_capabilities` extension in
/// `extensions` asks for (V-7.3-03, V-11.1-01), and the components and wire formats they
/// require ([`check_required_components`]). Default types count as supported.
pub(crate) fn check_required_capabilities(
    leaf: &LeafNode,
    extensions: &[cohort_tree::extension::Extension],
) -> Result<(), Error> {
    let Some(e) = ext::find(extensions, ExtensionType::REQUIRED_CAPABILITIES) else {
        return check_required_components(leaf, extensions);
    };
    let required = RequiredCapabilities::from_extension(e)?;
    let caps = &leaf.capabilities;
    let ext_ok = required
        .extension_types
        .iter()
        .all(|t| t.is_default() || caps.extensions.contains(t));
    let prop_ok = required
        .proposal_types
        .iter()
        .all(|t| t.is_default() || caps.proposals.contains(t));
    let cred_ok = required
        .credential_types
        .iter()
        .all(|t| caps.credentials.contains(t));
    if ext_ok && prop_ok && cred_ok {
        check_required_components(leaf, extensions)
    } else {
        Err(ValidationError::UnsupportedCapability(CapabilityReason::RequiredCapability).into())
    }
}

/// Checks that `leaf` lists every non-default extension type of the GroupContext `extensions`
/// in its capabilities (RFC 9420 §13.4: GroupContext extensions bind every member).
pub(crate) fn check_extension_support(
    leaf: &LeafNode,
    extensions: &[cohort_tree::extension::Extension],
) -> Result<(), Error> {
    let supported = extensions.iter().all(|e| {
        e.extension_type.is_default() || leaf.capabilities.extensions.contains(&e.extension_type)
    });
    if supported {
        Ok(())
    } else {
        Err(ValidationError::UnsupportedCapability(CapabilityReason::GroupContextExtension).into())
    }
}

/// Checks that `leaf` and the group's other members (every leaf of `tree` but `replaced`) can
/// use each other's credentials: the members list the leaf's credential type (V-7.3-04) and
/// the leaf lists every type in use (V-7.3-05).
pub(crate) fn check_credential_support(
    leaf: &LeafNode,
    tree: &cohort_tree::RatchetTree,
    replaced: Option<LeafIndex>,
) -> Result<(), Error> {
    check_multi_support(leaf, tree, replaced)?;
    let ty = leaf.credential.credential_type();
    // A leaf replacing one of the same credential type that supported no more types than it
    // does passes if the old one did: the other members, checked against the old leaf (when
    // they joined, or as Updates in this commit), support its type, and the new leaf supports
    // every type the old one did. This keeps a self-update from walking every leaf.
    if let Some(old) = replaced.and_then(|r| tree.leaf(r)) {
        if old.credential.credential_type() == ty
            && old
                .capabilities
                .credentials
                .iter()
                .all(|t| leaf.capabilities.credentials.contains(t))
        {
            return Ok(());
        }
    }
    for (i, other) in tree.leaves() {
        if Some(i) == replaced {
            continue;
        }
        if !other.capabilities.credentials.contains(&ty) {
            return Err(invalid(LeafNodeReason::CredentialUnsupportedByMember));
        }
        if !leaf
            .capabilities
            .credentials
            .contains(&other.credential.credential_type())
        {
            return Err(invalid(LeafNodeReason::CredentialInUseUnsupported));
        }
    }
    Ok(())
}

/// The bindings of `leaf`'s multi-credential that this client supports: those of the group's
/// suite, the only one whose signature scheme it has at hand (draft-ietf-mls-extensions
/// "Verifying a Multi-Credential"). Checks each one's signature for the leaf's key; a `multi`
/// credential must have only such bindings, a `weak-multi` one at least one.
fn check_multi_credential(suite: &dyn SuiteOps, leaf: &LeafNode) -> Result<(), Error> {
    let Some(multi) = cohort_credential::MultiCredential::from_credential(&leaf.credential) else {
        return Ok(());
    };
    let multi = multi.map_err(|_| invalid(LeafNodeReason::MalformedMultiCredential))?;
    let mut supported = 0usize;
    for b in &multi.bindings {
        if b.cipher_suite != suite.cipher_suite() {
            if multi.weak {
                continue;
            }
            return Err(invalid(LeafNodeReason::MultiBindingUnsupported));
        }
        b.verify(suite, &leaf.signature_key).map_err(|e| {
            Error::on_peer_data(
                e,
                ValidationError::InvalidLeafNode(LeafNodeReason::InvalidCredentialBinding),
            )
        })?;
        supported += 1;
    }
    if supported == 0 {
        return Err(invalid(if multi.weak {
            LeafNodeReason::WeakMultiNoSupportedBinding
        } else {
            LeafNodeReason::MalformedMultiCredential
        }));
    }
    Ok(())
}

/// Whether `member` supports `binding`: its credential type and its cipher suite are among the
/// member's capabilities.
fn supports_binding(member: &LeafNode, binding: &cohort_credential::CredentialBinding) -> bool {
    let caps = &member.capabilities;
    caps.credentials
        .contains(&binding.credential.credential_type())
        && caps.cipher_suites.contains(&binding.cipher_suite)
}

/// For a leaf with a multi-credential, every other member supports each binding (`multi`) or
/// at least one (`weak-multi`), as the draft requires (X-MC-03, X-MC-04).
fn check_multi_support(
    leaf: &LeafNode,
    tree: &cohort_tree::RatchetTree,
    replaced: Option<LeafIndex>,
) -> Result<(), Error> {
    let Some(multi) = cohort_credential::MultiCredential::from_credential(&leaf.credential) else {
        return Ok(());
    };
    let multi = multi.map_err(|_| invalid(LeafNodeReason::MalformedMultiCredential))?;
    for (i, other) in tree.leaves() {
        if Some(i) == replaced {
            continue;
        }
        if multi.weak {
            if !multi.bindings.iter().any(|b| supports_binding(other, b)) {
                return Err(invalid(LeafNodeReason::WeakMultiNoSupportedBinding));
            }
        } else if !multi.bindings.iter().all(|b| supports_binding(other, b)) {
            return Err(invalid(LeafNodeReason::MultiBindingUnsupported));
        }
    }
    Ok(())
}

/// Checks that every leaf of `tree` lists every credential type in use in it (V-7.3-04/05 for
/// a whole tree at join), in O(N·k) for k types in use rather than comparing every pair.
pub(crate) fn check_tree_credential_support(tree: &cohort_tree::RatchetTree) -> Result<(), Error> {
    let mut in_use: Vec<cohort_credential::CredentialType> = Vec::new();
    for (_, leaf) in tree.leaves() {
        let ty = leaf.credential.credential_type();
        if !in_use.contains(&ty) {
            in_use.push(ty);
        }
    }
    for (_, leaf) in tree.leaves() {
        if !in_use
            .iter()
            .all(|t| leaf.capabilities.credentials.contains(t))
        {
            return Err(invalid(LeafNodeReason::TreeCredentialUnsupported));
        }
    }
    Ok(())
}

/// Validates every leaf of a tree received at join (§12.4.3.1), on up to as many threads as
/// the machine has cores for a large tree: the signature checks dominate a join. The error
/// reported is that of the lowest failing leaf, whatever the split.
pub(crate) fn validate_tree_leaves(
    suite: &dyn SuiteOps,
    tree: &cohort_tree::RatchetTree,
    context: &GroupContext,
    now: Option<u64>,
    config: &GroupConfig,
) -> Result<(), Error> {
    let leaves: Vec<(LeafIndex, &LeafNode)> = tree.leaves().collect();
    // The smallest chunk: below 64 leaves a thread costs more than it saves, and in a large
    // tree a batch's multi-scalar multiplication loses its economy of scale below about 512.
    let min_chunk = (leaves.len() / 64).clamp(64, 512);
    let check = |chunk: &[(LeafIndex, &LeafNode)]| -> Result<(), Error> {
        // Every leaf of the tree was verified one by one by the members when it entered it:
        // check the chunk's signatures in one batch first. If the batch holds, the per-leaf
        // checks skip the signature; if not (or a leaf cannot even be encoded), they verify it
        // again one by one, so the error is the same as without the batch.
        let batch_ok = batch_verify_leaves(suite, chunk, &context.group_id);
        for (i, leaf) in chunk {
            check_leaf(
                suite,
                leaf,
                LeafContext::Tree {
                    group_id: &context.group_id,
                    leaf: *i,
                },
                context,
                now,
                config,
                !batch_ok,
            )?;
        }
        Ok(())
    };
    crate::parallel::map_guided(&leaves, min_chunk, check)?
        .into_iter()
        .collect()
}

/// Whether the signatures of all `leaves` of the tree of `group_id` verify, checked as one
/// batch ([`SuiteOps::verify_batch`]).
fn batch_verify_leaves(
    suite: &dyn SuiteOps,
    leaves: &[(LeafIndex, &LeafNode)],
    group_id: &[u8],
) -> bool {
    let Ok(tbs) = leaves
        .iter()
        .map(|(i, leaf)| leaf.tbs(Some((group_id, *i))))
        .collect::<Result<Vec<_>, _>>()
    else {
        return false;
    };
    let items: Vec<(_, &dyn Encode, _)> = leaves
        .iter()
        .zip(&tbs)
        .map(|((_, leaf), tbs)| {
            (
                &leaf.signature_key,
                tbs as &dyn Encode,
                leaf.signature.as_slice(),
            )
        })
        .collect();
    labeled::verify_batch_encoded_with_label(suite, b"LeafNodeTBS", &items).is_ok()
}

/// Checks a KeyPackage against RFC 9420 §10.1 for the group of `context`.
pub(crate) fn validate_key_package(
    suite: &dyn SuiteOps,
    kp: &KeyPackage,
    context: &GroupContext,
    now: Option<u64>,
    config: &GroupConfig,
) -> Result<(), Error> {
    if kp.cipher_suite != context.cipher_suite || kp.version != context.version {
        return Err(ValidationError::InvalidKeyPackage(KeyPackageReason::SuiteOrVersion).into());
    }
    check_signature_key(suite, &kp.leaf_node)?;
    let tbs = kp.to_be_signed()?;
    labeled::verify_with_label(
        suite,
        &kp.leaf_node.signature_key,
        b"KeyPackageTBS",
        &tbs,
        &kp.signature,
    )
    .map_err(|e| {
        Error::on_peer_data(
            e,
            ValidationError::InvalidSignature(SignedObject::KeyPackage),
        )
    })?;
    check_extensions(config, &kp.extensions, Container::KeyPackage)?;
    if kp.init_key == kp.leaf_node.encryption_key {
        return Err(ValidationError::InvalidKeyPackage(
            KeyPackageReason::InitKeyEqualsEncryptionKey,
        )
        .into());
    }
    suite.kem_validate_public_key(&kp.init_key).map_err(|e| {
        Error::on_peer_data(
            e,
            ValidationError::InvalidKeyPackage(KeyPackageReason::InvalidInitKey),
        )
    })?;
    validate_leaf(
        suite,
        &kp.leaf_node,
        LeafContext::KeyPackage,
        context,
        now,
        config,
    )
}

/// A leaf's signature key is a key of the group's signature scheme (V-5.1.2-01), checked before
/// any signature by it is tried.
fn check_signature_key(suite: &dyn SuiteOps, leaf: &LeafNode) -> Result<(), Error> {
    if suite
        .signature_scheme()
        .key_well_formed(&leaf.signature_key.0)
        == Some(false)
    {
        return Err(invalid(LeafNodeReason::SignatureKeyScheme));
    }
    Ok(())
}

/// Where an extension list lives, for [`check_placement`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Container {
    KeyPackage,
    LeafNode,
    GroupContext,
}

/// A received extension list, or one we are about to send: no type twice (V-13.4-03) and, in
/// strict mode, only the types `container` may hold ([`check_placement`], V-13.4-06).
pub(crate) fn check_extensions(
    config: &GroupConfig,
    extensions: &[cohort_tree::extension::Extension],
    container: Container,
) -> Result<(), Error> {
    if ext::has_duplicates(extensions) {
        return Err(ValidationError::DuplicateExtension.into());
    }
    check_placement(config, extensions, container)?;
    check_draft_payloads(extensions)
}

/// The bodies of draft-ietf-mls-extensions' extensions decode exactly wherever they appear: an
/// `app_data_dictionary` sorted by component with one entry each (X-AD-07), and the wire-format
/// lists (X-WF-01).
pub(crate) fn check_draft_payloads(
    extensions: &[cohort_tree::extension::Extension],
) -> Result<(), Error> {
    use cohort_messages::components::{
        AppDataDictionary, RequiredWireFormats, SupportedWireFormats,
    };
    let ok = extensions.iter().all(|e| match e.extension_type {
        ExtensionType::APP_DATA_DICTIONARY => {
            AppDataDictionary::from_extension(e).is_ok_and(|d| well_formed_components(&d))
        }
        ExtensionType::SUPPORTED_WIRE_FORMATS => SupportedWireFormats::from_extension(e).is_ok(),
        ExtensionType::REQUIRED_WIRE_FORMATS => RequiredWireFormats::from_extension(e).is_ok(),
        _ => true,
    });
    if ok {
        Ok(())
    } else {
        Err(ValidationError::InvalidExtension(ExtensionReason::MalformedDraftExtension).into())
    }
}

/// The components of draft-ietf-mls-extensions that a dictionary carries decode as their
/// types: `app_components` and `safe_aad` as a `ComponentsList` (X-NEG-03),
/// `content_media_types` as a non-empty `MediaTypeList` (X-CM-01), `last_resort_key_package`
/// empty (X-LR-02). Other components, GREASE included, are the application's (X-GR-01).
fn well_formed_components(d: &cohort_messages::components::AppDataDictionary) -> bool {
    use cohort_codec::Decode;
    use cohort_messages::components::{ComponentId, ComponentsList, MediaTypeList};
    d.entries().iter().all(|e| match e.component_id {
        ComponentId::APP_COMPONENTS | ComponentId::SAFE_AAD => {
            ComponentsList::from_bytes(&e.data).is_ok()
        }
        ComponentId::CONTENT_MEDIA_TYPES => MediaTypeList::from_bytes(&e.data).is_ok(),
        ComponentId::LAST_RESORT_KEY_PACKAGE => e.data.is_empty(),
        _ => true,
    })
}

/// The components a LeafNode or GroupContext lists in its `app_data_dictionary` under
/// `component` (a `ComponentsList`: `app_components` or `safe_aad`); empty when absent or
/// malformed (malformed dictionaries are refused by [`check_draft_payloads`]).
fn listed_components(
    extensions: &[cohort_tree::extension::Extension],
    component: cohort_messages::components::ComponentId,
) -> Vec<cohort_messages::components::ComponentId> {
    use cohort_codec::Decode;
    crate::components::component_entry(extensions, component)
        .and_then(|data| cohort_messages::components::ComponentsList::from_bytes(data).ok())
        .map(|l| l.component_ids)
        .unwrap_or_default()
}

/// Checks `leaf` against the negotiation of draft-ietf-mls-extensions: it lists every component
/// the GroupContext requires in `app_components` and `safe_aad` (X-NEG-01), and every
/// non-default wire format of `required_wire_formats` in its `supported_wire_formats`
/// (X-NEG-02).
pub(crate) fn check_required_components(
    leaf: &LeafNode,
    extensions: &[cohort_tree::extension::Extension],
) -> Result<(), Error> {
    use cohort_messages::components::{ComponentId, RequiredWireFormats, SupportedWireFormats};
    for list in [ComponentId::APP_COMPONENTS, ComponentId::SAFE_AAD] {
        let required = listed_components(extensions, list);
        if required.is_empty() {
            continue;
        }
        let supported = listed_components(&leaf.extensions, list);
        if !required.iter().all(|c| supported.contains(c)) {
            return Err(ValidationError::UnsupportedCapability(
                CapabilityReason::RequiredComponent,
            )
            .into());
        }
    }
    if let Some(e) = ext::find(extensions, ExtensionType::REQUIRED_WIRE_FORMATS) {
        let required = RequiredWireFormats::from_extension(e)?;
        let supported = ext::find(&leaf.extensions, ExtensionType::SUPPORTED_WIRE_FORMATS)
            .map(SupportedWireFormats::from_extension)
            .transpose()?
            .unwrap_or_default();
        // The five wire formats of RFC 9420 are supported by every client.
        let ok = required
            .wire_formats
            .iter()
            .all(|w| w.is_default() || supported.wire_formats.contains(w));
        if !ok {
            return Err(ValidationError::UnsupportedCapability(
                CapabilityReason::RequiredWireFormat,
            )
            .into());
        }
    }
    Ok(())
}

/// With [`StrictChecks::extension_placement`](crate::StrictChecks) on, refuses a known extension
/// type in a container the registry does not list it for (RFC 9420 §17.3 "Message(s)",
/// V-13.4-06): the group-level types (ratchet_tree,
/// required_capabilities, external_pub, external_senders) in a KeyPackage or LeafNode, and
/// application_id, ratchet_tree or external_pub in a GroupContext. Unknown types pass.
pub(crate) fn check_placement(
    config: &GroupConfig,
    extensions: &[cohort_tree::extension::Extension],
    container: Container,
) -> Result<(), Error> {
    if !config.strict.extension_placement {
        return Ok(());
    }
    let misplaced = |t: ExtensionType| match container {
        Container::KeyPackage | Container::LeafNode => matches!(
            t,
            ExtensionType::RATCHET_TREE
                | ExtensionType::REQUIRED_CAPABILITIES
                | ExtensionType::EXTERNAL_PUB
                | ExtensionType::EXTERNAL_SENDERS
        ),
        Container::GroupContext => matches!(
            t,
            ExtensionType::APPLICATION_ID
                | ExtensionType::RATCHET_TREE
                | ExtensionType::EXTERNAL_PUB
        ),
    };
    if extensions.iter().any(|e| misplaced(e.extension_type)) {
        return Err(ValidationError::InvalidExtension(match container {
            Container::KeyPackage => ExtensionReason::NotAllowedInKeyPackage,
            Container::LeafNode => ExtensionReason::NotAllowedInLeafNode,
            Container::GroupContext => ExtensionReason::NotAllowedInGroupContext,
        })
        .into());
    }
    Ok(())
}

/// The Authentication Service accepts `new` as the successor of `old` for the same member
/// (RFC 9420 §5.3.1, V-5.3.1-07): in an Update, a commit path, or a resync.
pub(crate) fn check_successor(
    config: &GroupConfig,
    old: &LeafNode,
    new: &LeafNode,
) -> Result<(), Error> {
    config
        .credential_validator
        .valid_successor(&old.credential, &new.credential, &new.signature_key)
        .map_err(|e| ValidationError::CredentialRejected(e).into())
}

/// Decodes the `external_senders` extension in `extensions`, if any, and has the Authentication
/// Service accept each sender's credential (V-11.1-04, V-5.3.1-06).
pub(crate) fn check_external_senders(
    config: &GroupConfig,
    scheme: cohort_crypto::SignatureScheme,
    extensions: &[cohort_tree::extension::Extension],
) -> Result<(), Error> {
    if let Some(e) = ext::find(extensions, ExtensionType::EXTERNAL_SENDERS) {
        let senders = cohort_messages::extensions::ExternalSenders::from_extension(e)?;
        for sender in &senders.0 {
            // A key of the group's signature scheme (V-12.1.8.1-01).
            if scheme.key_well_formed(&sender.signature_key.0) == Some(false) {
                return Err(ValidationError::InvalidExtension(
                    ExtensionReason::ExternalSenderKeyScheme,
                )
                .into());
            }
            config
                .credential_validator
                .validate(
                    &sender.credential,
                    &sender.signature_key,
                    CredentialContext::ExternalSender,
                )
                .map_err(ValidationError::CredentialRejected)?;
        }
    }
    Ok(())
}

/// Whether the group of `tree` is self-remove-capable at `code_point` (draft-ietf-mls-extensions,
/// X-SR-01): every member lists the type in its capabilities.
///
/// # Errors
/// [`ProposalReason::SelfRemoveUnsupported`](crate::reason::ProposalReason::SelfRemoveUnsupported)
/// when a member does not.
pub(crate) fn check_self_remove_support(
    tree: &cohort_tree::RatchetTree,
    code_point: cohort_tree::leaf::ProposalType,
) -> Result<(), Error> {
    if tree
        .leaves()
        .all(|(_, leaf)| leaf.capabilities.proposals.contains(&code_point))
    {
        Ok(())
    } else {
        Err(
            ValidationError::InvalidProposal(crate::reason::ProposalReason::SelfRemoveUnsupported)
                .into(),
        )
    }
}

/// When the Authentication Service's policy rejects duplicate identities, checks that no two
/// members of `tree` have the same identity (RFC 9420 §5.3.1: the application decides; the
/// default policy allows duplicates and costs nothing).
pub(crate) fn check_duplicate_identities(
    config: &GroupConfig,
    tree: &cohort_tree::RatchetTree,
) -> Result<(), Error> {
    let validator = &config.credential_validator;
    if validator.duplicate_identity_policy() != cohort_credential::DuplicatePolicy::Reject {
        return Ok(());
    }
    let mut seen = std::collections::HashSet::new();
    for (_, leaf) in tree.leaves() {
        let identity = validator
            .validate(
                &leaf.credential,
                &leaf.signature_key,
                CredentialContext::Join,
            )
            .map_err(ValidationError::CredentialRejected)?;
        if !seen.insert(identity) {
            return Err(ValidationError::DuplicateIdentity.into());
        }
    }
    Ok(())
}

/// The encoded bytes of a value, for comparisons by encoding.
pub(crate) fn encoded<T: Encode>(value: &T) -> Result<Vec<u8>, Error> {
    Ok(value.to_bytes()?)
}

#[cfg(test)]
mod tests {
    use cohort_codec::VarBytes;
    use cohort_credential::{Credential, CredentialType};
    use cohort_crypto::{CipherSuite, HpkePublicKey, SignaturePublicKey};
    use cohort_tree::RatchetTree;
    use cohort_tree::leaf::{Capabilities, LeafNode, LeafNodeSource, Lifetime, ProtocolVersion};

    use super::check_tree_credential_support;

    /// The leaves of a joined tree are checked in batches per thread, and the error is still
    /// that of the lowest failing leaf with the check it fails first: a bad signature in one
    /// chunk, a validly signed but expired leaf in another (V-7.3-06, V-12.4.3.1-13).
    #[test]
    fn v_12_4_3_1_13_batched_leaf_checks_report_the_first_bad_leaf() {
        use std::sync::Arc;

        use cohort_crypto::{CryptoProvider, SoftwareSigner, labeled};
        use cohort_messages::group_context::GroupContext;
        use cohort_tree::math::LeafIndex;

        use crate::reason::{LeafNodeReason, SignedObject};
        use crate::validate::validate_tree_leaves;
        use crate::{Error, GroupConfig, LeafSpec, ValidationError, create_key_package};

        const NOW: u64 = 1_800_000_000;
        let cs = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
        let provider = cohort_crypto_rustcrypto::provider();
        let suite: Arc<dyn cohort_crypto::SuiteOps> = provider.suite(cs).expect("suite");
        let mut tree = RatchetTree::new();
        let mut signers = Vec::new();
        for i in 0..150 {
            let signer = SoftwareSigner::generate(suite.clone()).expect("signer");
            let spec = LeafSpec::new(Credential::basic(format!("m{i}").into_bytes()), NOW, 30);
            let (kp, _) = create_key_package(&provider, cs, &signer, &spec).expect("kp");
            tree.add_leaf(kp.leaf_node).expect("add");
            signers.push(signer);
        }
        let context = GroupContext {
            version: ProtocolVersion::MLS10,
            cipher_suite: cs,
            group_id: b"batched".to_vec().into(),
            epoch: 1,
            tree_hash: VarBytes::default(),
            confirmed_transcript_hash: VarBytes::default(),
            extensions: Vec::new(),
        };
        let config = GroupConfig::default();
        let check =
            |tree: &RatchetTree| validate_tree_leaves(&*suite, tree, &context, Some(NOW), &config);
        check(&tree).expect("a valid tree");

        let leaf_at = |tree: &RatchetTree, i: u32| tree.leaf(LeafIndex(i)).expect("leaf").clone();
        // A damaged signature in the second half.
        let mut bad_sig = leaf_at(&tree, 140);
        let mut sig = bad_sig.signature.as_slice().to_vec();
        sig[5] ^= 1;
        bad_sig.signature = sig.into();
        let mut damaged = tree.clone();
        damaged.set_leaf(LeafIndex(140), bad_sig).expect("set");
        assert!(matches!(
            check(&damaged),
            Err(Error::Invalid(ValidationError::InvalidSignature(
                SignedObject::LeafNode
            )))
        ));
        // And an expired, correctly signed leaf in the first half: that one is reported.
        let mut expired = leaf_at(&tree, 20);
        expired.leaf_node_source = LeafNodeSource::KeyPackage(Lifetime {
            not_before: NOW - 10 * 86_400,
            not_after: NOW - 1,
        });
        let tbs = expired.to_be_signed(None).expect("tbs");
        expired.signature = labeled::sign_with_label(&signers[20], b"LeafNodeTBS", &tbs)
            .expect("sign")
            .into();
        damaged.set_leaf(LeafIndex(20), expired).expect("set");
        let err = check(&damaged).expect_err("expired leaf");
        assert!(
            matches!(
                err,
                Error::Invalid(ValidationError::InvalidLeafNode(
                    LeafNodeReason::OutsideLifetime
                ))
            ),
            "the expired leaf 20 comes first, got {err}"
        );
    }

    fn leaf(n: u8, credential: Credential, supported: Vec<CredentialType>) -> LeafNode {
        LeafNode {
            encryption_key: HpkePublicKey(vec![n; 32].into()),
            signature_key: SignaturePublicKey(vec![n + 100; 32].into()),
            credential,
            capabilities: Capabilities {
                versions: vec![ProtocolVersion::MLS10],
                cipher_suites: vec![CipherSuite(1)],
                extensions: Vec::new(),
                proposals: Vec::new(),
                credentials: supported,
            },
            leaf_node_source: LeafNodeSource::KeyPackage(Lifetime {
                not_before: 0,
                not_after: u64::MAX,
            }),
            extensions: Vec::new(),
            signature: VarBytes::default(),
        }
    }

    /// V-7.3-04/05 over a whole tree at join: every leaf must list every credential type in
    /// use, whichever leaf uses it.
    #[test]
    fn v_7_3_05_a_tree_with_a_leaf_missing_a_type_in_use_is_refused() {
        let other = CredentialType(0xf0f0);
        let custom = Credential::Other {
            credential_type: other,
            data: b"carol".to_vec().into(),
        };
        let both = vec![CredentialType::BASIC, other];
        let mut tree = RatchetTree::new();
        for l in [
            leaf(1, Credential::basic(b"alice".to_vec()), both.clone()),
            leaf(2, custom, both),
        ] {
            tree.add_leaf(l).expect("add");
        }
        assert!(check_tree_credential_support(&tree).is_ok());
        // Bob lists only basic: carol's type is in use, so the tree is refused.
        tree.add_leaf(leaf(
            3,
            Credential::basic(b"bob".to_vec()),
            vec![CredentialType::BASIC],
        ))
        .expect("add");
        assert!(check_tree_credential_support(&tree).is_err());
    }
}
