//! The safe application interface of draft-ietf-mls-extensions: component-scoped signatures,
//! HPKE encryption and exported secrets, Safe AAD, and the group's application data.
//!
//! Each operation is domain-separated by a [`ComponentId`]: a component's signature does not
//! verify, and its ciphertext does not decrypt, as another component's or as one of MLS's own,
//! and no component derives MLS's secrets or another component's.

use cohort_codec::{Decode, Encode, Reader, VarBytes};
use cohort_crypto::{
    Decapsulator, HpkeCiphertext, HpkePublicKey, Secret, SignaturePublicKey, Signer, SuiteOps,
    labeled,
};
use cohort_key_schedule::KeyScheduleError;
use cohort_messages::components::{
    AppDataDictionary, ApplicationFraming, ComponentId, ComponentOperationLabel, MediaType,
    MediaTypeList, SafeAad,
};
use cohort_messages::extensions::ExtensionPayload;
use cohort_messages::group_context::GroupContext;
use cohort_tree::extension::{self as ext, ExtensionType};

use crate::{ApiMisuse, Error, Group, ValidationError};

/// `SafeSignWithLabel(SignatureKey, ComponentID, Label, Content)`: `SignWithLabel` under the
/// component's `ComponentOperationLabel`.
///
/// # Errors
/// The signer's failure ([`Error::Crypto`]).
pub fn safe_sign_with_label(
    signer: &dyn Signer,
    component: ComponentId,
    label: &[u8],
    content: &[u8],
) -> Result<Vec<u8>, Error> {
    let label = ComponentOperationLabel::encoded(component, label)?;
    Ok(labeled::sign_with_label(signer, &label, content)?)
}

/// `SafeVerifyWithLabel(VerificationKey, ComponentID, Label, Content, SignatureValue)`.
///
/// # Errors
/// [`ValidationError::InvalidSignature`] when the signature does not verify; a crypto failure.
pub fn safe_verify_with_label(
    suite: &dyn SuiteOps,
    key: &SignaturePublicKey,
    component: ComponentId,
    label: &[u8],
    content: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let label = ComponentOperationLabel::encoded(component, label)?;
    labeled::verify_with_label(suite, key, &label, content, signature).map_err(|e| {
        Error::on_peer_data(
            e,
            ValidationError::InvalidSignature(crate::reason::SignedObject::Component),
        )
    })
}

/// `SafeEncryptWithLabel(PublicKey, ComponentID, Label, Context, Plaintext)`: HPKE encryption
/// to any of the group's HPKE keys (a leaf's, a parent node's, `external_pub`, a KeyPackage's
/// `init_key`), readable only under the same component and label.
///
/// # Errors
/// A crypto failure, for example a malformed public key.
pub fn safe_encrypt_with_label(
    suite: &dyn SuiteOps,
    public_key: &HpkePublicKey,
    component: ComponentId,
    label: &[u8],
    context: &[u8],
    plaintext: &[u8],
) -> Result<HpkeCiphertext, Error> {
    let label = ComponentOperationLabel::encoded(component, label)?;
    Ok(labeled::encrypt_with_label(
        suite, public_key, &label, context, plaintext,
    )?)
}

/// `SafeDecryptWithLabel(PrivateKey, ComponentID, Label, Context, KEMOutput, Ciphertext)`.
///
/// # Errors
/// [`ValidationError::DecryptionFailed`] when the ciphertext was not made for this key,
/// component, label and context; a crypto failure of our own key.
pub fn safe_decrypt_with_label(
    suite: &dyn SuiteOps,
    key: &dyn Decapsulator,
    component: ComponentId,
    label: &[u8],
    context: &[u8],
    ciphertext: &HpkeCiphertext,
) -> Result<Vec<u8>, Error> {
    let label = ComponentOperationLabel::encoded(component, label)?;
    labeled::decrypt_with_label(suite, key, &label, context, ciphertext).map_err(|e| {
        Error::on_peer_data(
            e,
            ValidationError::DecryptionFailed(crate::reason::EncryptedObject::Component),
        )
    })
}

/// The `app_data_dictionary` of a GroupContext's `extensions`, if any.
///
/// # Errors
/// A decode error for a malformed dictionary (which a group never accepts).
pub fn app_data_dictionary(
    extensions: &[cohort_tree::extension::Extension],
) -> Result<Option<AppDataDictionary>, Error> {
    Ok(ext::find(extensions, ExtensionType::APP_DATA_DICTIONARY)
        .map(AppDataDictionary::from_extension)
        .transpose()?)
}

/// Whether the group whose context is `context` frames `authenticated_data` as a [`SafeAad`]:
/// its `app_data_dictionary` has the `safe_aad` component.
pub fn safe_aad_active(context: &GroupContext) -> bool {
    component_entry(&context.extensions, ComponentId::SAFE_AAD).is_some()
}

/// The data of `component` in the `app_data_dictionary` of `extensions`, read in place (it
/// runs on every message sent and received).
pub(crate) fn component_entry(
    extensions: &[cohort_tree::extension::Extension],
    component: ComponentId,
) -> Option<&[u8]> {
    ext::find(extensions, ExtensionType::APP_DATA_DICTIONARY)
        .and_then(|e| AppDataDictionary::entry_in(&e.extension_data, component))
}

/// The [`SafeAad`] at the start of `authenticated_data`, and the bytes after it.
///
/// # Errors
/// [`ValidationError::MalformedSafeAad`] when it does not start with a well-formed one.
pub fn parse_safe_aad(authenticated_data: &[u8]) -> Result<(SafeAad, &[u8]), Error> {
    let mut r = Reader::new(authenticated_data);
    let aad = SafeAad::decode(&mut r).map_err(|_| ValidationError::MalformedSafeAad)?;
    let used = authenticated_data.len() - r.remaining();
    Ok((aad, authenticated_data.get(used..).unwrap_or_default()))
}

/// Checks a received message's `authenticated_data` against the group's Safe AAD framing
/// (X-AAD-01): where `safe_aad` is active it starts with a well-formed [`SafeAad`]. Bytes after
/// it are tolerated (OpenMLS sends an application's own AAD there).
pub(crate) fn check_safe_aad(
    context: &GroupContext,
    authenticated_data: &[u8],
) -> Result<(), Error> {
    if safe_aad_active(context) {
        parse_safe_aad(authenticated_data)?;
    }
    Ok(())
}

/// The `authenticated_data` to send in the group whose context is `context`: as given, except
/// that where `safe_aad` is active an empty one becomes the empty [`SafeAad`], and one that
/// does not start with a [`SafeAad`] is refused.
///
/// # Errors
/// [`ApiMisuse::AadNotSafeAad`].
pub(crate) fn outgoing_aad(
    context: &GroupContext,
    authenticated_data: &[u8],
) -> Result<VarBytes, Error> {
    if !safe_aad_active(context) {
        return Ok(VarBytes::from(authenticated_data.to_vec()));
    }
    if authenticated_data.is_empty() {
        return Ok(VarBytes::from(SafeAad::default().to_bytes()?));
    }
    parse_safe_aad(authenticated_data).map_err(|_| ApiMisuse::AadNotSafeAad)?;
    Ok(VarBytes::from(authenticated_data.to_vec()))
}

/// An AppDataUpdate proposal for `component`: `Some(update)` updates its data (the
/// application turns the update into the new data), `None` removes it.
pub fn app_data_update(
    component: ComponentId,
    update: Option<Vec<u8>>,
) -> cohort_messages::proposal::Proposal {
    use cohort_messages::components::{AppDataOperation, AppDataUpdate};
    cohort_messages::proposal::Proposal::AppDataUpdate(AppDataUpdate {
        component_id: component,
        op: match update {
            Some(u) => AppDataOperation::Update(VarBytes::from(u)),
            None => AppDataOperation::Remove,
        },
    })
}

/// An AppEphemeral proposal: `data` for `component`, delivered with the commit that carries
/// it (commit it by value).
pub fn app_ephemeral(component: ComponentId, data: Vec<u8>) -> cohort_messages::proposal::Proposal {
    cohort_messages::proposal::Proposal::AppEphemeral(cohort_messages::components::AppEphemeral {
        component_id: component,
        data: VarBytes::from(data),
    })
}

/// The `last_resort` KeyPackage extension (`0x000A`, empty), the marking OpenMLS and other
/// deployed implementations use for a last-resort KeyPackage. List
/// [`ExtensionType::LAST_RESORT`] in the leaf's capabilities beside it.
pub fn last_resort_extension() -> cohort_tree::extension::Extension {
    cohort_tree::extension::Extension::new(ExtensionType::LAST_RESORT, Vec::new())
}

/// An `app_data_dictionary` KeyPackage extension with the draft's `last_resort_key_package`
/// component (empty data): the marking of draft-ietf-mls-extensions "Last-Resort
/// KeyPackages". List [`ExtensionType::APP_DATA_DICTIONARY`] in the leaf's capabilities beside
/// it.
///
/// # Errors
/// None in practice (an encoding failure).
pub fn last_resort_component_extension() -> Result<cohort_tree::extension::Extension, Error> {
    let mut d = AppDataDictionary::new();
    d.insert(ComponentId::LAST_RESORT_KEY_PACKAGE, Vec::new());
    Ok(d.to_extension()?)
}

/// Whether `key_package` is marked as a last-resort KeyPackage, by either marking: the
/// `last_resort` extension (`0x000A`) or the `last_resort_key_package` component of its
/// `app_data_dictionary` (X-LR-01). Receivers may apply their own policy to such Adds.
pub fn is_last_resort(key_package: &cohort_messages::key_package::KeyPackage) -> bool {
    ext::find(&key_package.extensions, ExtensionType::LAST_RESORT).is_some()
        || component_entry(
            &key_package.extensions,
            ComponentId::LAST_RESORT_KEY_PACKAGE,
        )
        .is_some()
}

/// The `content_media_types` of a LeafNode's or GroupContext's `extensions`
/// (draft-ietf-mls-extensions "Content Advertisement"), if its dictionary has them.
///
/// # Errors
/// A decode error for a malformed list (which a group never accepts).
pub fn content_media_types(
    extensions: &[cohort_tree::extension::Extension],
) -> Result<Option<MediaTypeList>, Error> {
    Ok(
        component_entry(extensions, ComponentId::CONTENT_MEDIA_TYPES)
            .map(MediaTypeList::from_bytes)
            .transpose()?,
    )
}

/// The `application_data` to send `content` of `media_type` in the group whose context is
/// `context`: framed as an `ApplicationFraming` where the group has `content_media_types`
/// (then `media_type` `None` means the group's first media type), as given otherwise.
///
/// # Errors
/// [`ApiMisuse::MediaTypeNotInGroup`] for a media type the group does not list, or a media
/// type given to a group without `content_media_types`.
pub fn frame_application(
    context: &GroupContext,
    media_type: Option<&MediaType>,
    content: &[u8],
) -> Result<Vec<u8>, Error> {
    let Some(group_types) = content_media_types(&context.extensions)? else {
        return match media_type {
            None => Ok(content.to_vec()),
            Some(_) => Err(ApiMisuse::MediaTypeNotInGroup.into()),
        };
    };
    let media_type = match media_type {
        None => MediaType::new(""),
        Some(m) if group_types.media_types().iter().any(|g| g.same_type(m)) => m.clone(),
        Some(_) => return Err(ApiMisuse::MediaTypeNotInGroup.into()),
    };
    Ok(ApplicationFraming {
        media_type,
        inner_application_content: VarBytes::from(content.to_vec()),
    }
    .to_bytes()?)
}

/// Reads received `application_data` in the group whose context is `context`: where the group
/// has `content_media_types`, an `ApplicationFraming` whose media type (the group's first when
/// empty) and content are returned; otherwise the data as it is, with no media type.
///
/// # Errors
/// [`ValidationError::MalformedApplicationFraming`] when the data is not an
/// `ApplicationFraming` (X-CM-02).
pub fn unframe_application(
    context: &GroupContext,
    application_data: &[u8],
) -> Result<(Option<MediaType>, Vec<u8>), Error> {
    let Some(group_types) = content_media_types(&context.extensions)? else {
        return Ok((None, application_data.to_vec()));
    };
    let framing = ApplicationFraming::from_bytes(application_data)
        .map_err(|_| ValidationError::MalformedApplicationFraming)?;
    let media_type = if framing.media_type.media_type.is_empty() {
        group_types
            .media_types()
            .first()
            .cloned()
            .ok_or(ValidationError::MalformedApplicationFraming)?
    } else {
        framing.media_type
    };
    Ok((
        Some(media_type),
        framing.inner_application_content.into_vec(),
    ))
}

/// Checks, for our own commits, that each new member advertises every media type of the new
/// GroupContext's `content_media_types` (draft-ietf-mls-extensions "Content Advertisement":
/// a client SHOULD NOT add one that does not).
pub(crate) fn check_joiners_media_types<'a>(
    extensions: &[cohort_tree::extension::Extension],
    joiners: impl IntoIterator<Item = &'a cohort_tree::leaf::LeafNode>,
) -> Result<(), Error> {
    let Some(required) = content_media_types(extensions)? else {
        return Ok(());
    };
    for leaf in joiners {
        let covered = content_media_types(&leaf.extensions)
            .ok()
            .flatten()
            .is_some_and(|own| own.covers(&required));
        if !covered {
            return Err(ApiMisuse::MediaTypesUnsupported.into());
        }
    }
    Ok(())
}

impl Group {
    /// `SafeExportSecret(component)` of the current epoch (draft-ietf-mls-extensions "Exported
    /// Secrets"): a secret of `Nh` bytes for `component` alone, which every member derives
    /// alike. Unlike [`Group::export_secret`] it is forward secure: once exported, the
    /// component's secret of this epoch, and what it was derived from, are deleted from the
    /// group (store the group afterwards), and a second call fails.
    ///
    /// # Errors
    /// [`ApiMisuse::ExportedSecretConsumed`] for a second export of `component` in this epoch,
    /// or for a group restored from a state stored before cohort kept the export tree (until
    /// its next epoch); a crypto failure.
    pub fn safe_export_secret(&mut self, component: ComponentId) -> Result<Secret, Error> {
        let suite = self.suite_arc();
        let state = self.state_mut();
        let tree = state
            .keys
            .application_export
            .as_mut()
            .ok_or(ApiMisuse::ExportedSecretConsumed(component.0))?;
        tree.export(&*suite, component.0).map_err(|e| match e {
            KeyScheduleError::ComponentSecretConsumed(c) => {
                ApiMisuse::ExportedSecretConsumed(c).into()
            }
            other => other.into(),
        })
    }

    /// Whether `component`'s safe exported secret of this epoch is still available.
    pub fn safe_export_available(&self, component: ComponentId) -> bool {
        self.state()
            .keys
            .application_export
            .as_ref()
            .is_some_and(|t| t.available(component.0))
    }

    /// The group's application data: the GroupContext's `app_data_dictionary`, if it has one.
    ///
    /// # Errors
    /// None in practice: the group accepts only well-formed dictionaries.
    pub fn app_data_dictionary(&self) -> Result<Option<AppDataDictionary>, Error> {
        app_data_dictionary(&self.state().context.extensions)
    }
}
