//! [`Member`] on the published `mls-rs` crate, with `mls-rs-crypto-rustcrypto` (suites 1, 2, 3
//! and 7) and basic credentials.
//!
//! mls-rs's client type spells out its whole configuration, so the member is generic over it
//! and [`new_member`] hands it out as a trait object.

use mls_rs::client_builder::{MlsConfig, PaddingMode};
use mls_rs::crypto::SignaturePublicKey;
use mls_rs::error::{IntoAnyError, MlsError};
use mls_rs::extension::ExtensionType;
use mls_rs::extension::built_in::{ExternalSendersExt, RequiredCapabilitiesExt};
use mls_rs::extension::recommended::LastResortKeyPackageExt;
use mls_rs::external_client::ExternalClient;
use mls_rs::external_client::builder::MlsConfig as ExternalMlsConfig;
use mls_rs::group::proposal::ProposalType;
use mls_rs::group::{CommitEffect, CommitOutput, ReceivedMessage, ReinitClient};
use mls_rs::identity::basic::{BasicCredential, BasicIdentityProvider};
use mls_rs::identity::{CredentialType, SigningIdentity};
use mls_rs::mls_rules::{DefaultMlsRules, EncryptionOptions};
use mls_rs::psk::{ExternalPskId, PreSharedKey};
use mls_rs::{
    CipherSuite, CipherSuiteProvider, Client, CryptoProvider, Extension, ExtensionList, Group,
    MlsMessage, ProtocolVersion,
};
use mls_rs_crypto_rustcrypto::RustCryptoProvider;

use crate::member::{
    AppData, CommitBytes, Error, ExternalSender, ExternalSenderEntry, Feature, HARNESS_EXTENSION,
    HARNESS_PSKS, Implementation, Incoming, Member, MemberOptions, ReInitSpec, SELF_REMOVE_MLS_RS,
    SafeAadItems, harness_psk,
};

/// An mls-rs client named `identity` for `suite`, as a [`Member`].
///
/// # Errors
/// [`Error::UnsupportedSuite`]; a failure making the signing key.
pub fn new_member(
    identity: &str,
    suite: u16,
    options: MemberOptions,
) -> Result<Box<dyn Member>, Error> {
    let crypto = RustCryptoProvider::default();
    let cs = CipherSuite::from(suite);
    let ops = crypto
        .cipher_suite_provider(cs)
        .ok_or(Error::UnsupportedSuite {
            implementation: Implementation::MlsRs,
            suite,
        })?;
    let (secret, public) = ops
        .signature_key_generate()
        .map_err(|e| MlsError::CryptoProviderError(e.into_any_error()))?;
    let credential = BasicCredential::new(identity.as_bytes().to_vec()).into_credential();
    let mut builder = Client::builder();
    for (id, secret) in HARNESS_PSKS {
        builder = builder.psk(
            ExternalPskId::new(id.to_vec()),
            PreSharedKey::new(secret.to_vec()),
        );
    }
    // SelfRemove is known to mls-rs only at its private type (feature `self_remove_proposal`),
    // declared as a custom proposal type, which puts it in the leaves' capabilities.
    let self_remove = match options.self_remove {
        None => false,
        Some(SELF_REMOVE_MLS_RS) => true,
        Some(_) => {
            return Err(Error::NotOffered {
                implementation: Implementation::MlsRs,
                what: "SelfRemove at a code point other than 0xF003",
            });
        }
    };
    if options.app_data {
        return Err(no_app_data());
    }
    if options.last_resort {
        // mls-rs marks a last-resort KeyPackage without listing the extension in the leaf's
        // capabilities, which OpenMLS 0.9.2 then refuses (docs/interop.md).
        builder = builder.extension_type(ExtensionType::LAST_RESORT_KEY_PACKAGE);
    }
    let client = builder
        .custom_proposal_types(self_remove.then_some(ProposalType::SELF_REMOVE))
        .extension_type(ExtensionType::new(HARNESS_EXTENSION))
        .crypto_provider(crypto)
        .identity_provider(BasicIdentityProvider::new())
        .mls_rules(
            DefaultMlsRules::new().with_encryption_options(EncryptionOptions::new(
                options.private_handshakes,
                // mls-rs's default padding, so that receivers strip real padding (§6.3.1).
                PaddingMode::StepFunction,
            )),
        )
        .signing_identity(SigningIdentity::new(credential, public), secret, cs)
        .build();
    Ok(Box::new(MlsRsMember {
        identity: identity.to_owned(),
        self_remove,
        client,
        group: None,
        reinit: None,
        reinit_suite: None,
    }))
}

/// [`Error::NotOffered`] for `feature`, which mls-rs 0.57 lacks, with the reason
/// [`Implementation::lacks`] gives (`fallback` if it gives none).
fn lacking(feature: Feature, fallback: &'static str) -> Error {
    Error::NotOffered {
        implementation: Implementation::MlsRs,
        what: Implementation::MlsRs.lacks(feature).unwrap_or(fallback),
    }
}

/// [`Error::NotOffered`] for application data (draft-ietf-mls-extensions), which mls-rs 0.57
/// lacks ([`Implementation::lacks`]).
fn no_app_data() -> Error {
    lacking(Feature::AppData, "application data")
}

/// [`Error::NotOffered`] for application PSKs (draft-ietf-mls-extensions), which mls-rs 0.57
/// lacks ([`Implementation::lacks`]).
fn no_application_psk() -> Error {
    lacking(Feature::ApplicationPsk, "application PSKs")
}

/// [`Error::NotOffered`] for Safe AAD (draft-ietf-mls-extensions), which mls-rs 0.57 lacks
/// ([`Implementation::lacks`]).
fn no_safe_aad() -> Error {
    lacking(Feature::SafeAad, "Safe AAD")
}

/// An mls-rs client with at most one group.
struct MlsRsMember<C: MlsConfig> {
    identity: String,
    /// Whether the client lists SelfRemove (at 0xF003) and may send it.
    self_remove: bool,
    client: Client<C>,
    group: Option<Group<C>>,
    /// After a ReInit commit: the client that creates or joins the new group (it replaces the
    /// old group, which mls-rs then no longer offers).
    reinit: Option<ReinitClient<C>>,
    /// The cipher suite of the ReInit this member saw committed, if any.
    reinit_suite: Option<CipherSuite>,
}

impl<C: MlsConfig> MlsRsMember<C> {
    /// The ReInit client, made from the group after a ReInit commit.
    fn reinit_client(&mut self) -> Result<&ReinitClient<C>, Error> {
        if self.reinit.is_none() {
            let group = self.group.take().ok_or_else(|| {
                Error::Harness(format!("{} (mls-rs) is in no group", self.identity))
            })?;
            // A ReInit to another suite needs a signing key in it, with the same identity.
            let client = match self.reinit_suite {
                Some(suite) if suite != group.cipher_suite() => {
                    let (secret, public) = RustCryptoProvider::default()
                        .cipher_suite_provider(suite)
                        .ok_or(Error::UnsupportedSuite {
                            implementation: Implementation::MlsRs,
                            suite: u16::from(suite),
                        })?
                        .signature_key_generate()
                        .map_err(|e| MlsError::CryptoProviderError(e.into_any_error()))?;
                    let credential =
                        BasicCredential::new(self.identity.as_bytes().to_vec()).into_credential();
                    group.get_reinit_client(
                        Some(secret),
                        Some(SigningIdentity::new(credential, public)),
                    )?
                }
                _ => group.get_reinit_client(None, None)?,
            };
            self.reinit = Some(client);
        }
        self.reinit
            .as_ref()
            .ok_or_else(|| Error::Harness("mls-rs: no ReInit client".into()))
    }

    fn group(&self) -> Result<&Group<C>, Error> {
        self.group
            .as_ref()
            .ok_or_else(|| Error::Harness(format!("{} (mls-rs) is in no group", self.identity)))
    }

    fn group_mut(&mut self) -> Result<&mut Group<C>, Error> {
        let identity = &self.identity;
        self.group
            .as_mut()
            .ok_or_else(|| Error::Harness(format!("{identity} (mls-rs) is in no group")))
    }
}

impl<C: MlsConfig> Member for MlsRsMember<C> {
    fn implementation(&self) -> Implementation {
        Implementation::MlsRs
    }

    fn identity(&self) -> &str {
        &self.identity
    }

    fn key_package(&mut self) -> Result<Vec<u8>, Error> {
        let kp = self.client.generate_key_package_message(
            ExtensionList::default(),
            ExtensionList::default(),
            None,
        )?;
        Ok(kp.to_bytes()?)
    }

    fn create_group(&mut self, group_id: &[u8]) -> Result<(), Error> {
        if self.group.is_some() {
            return Err(Error::Harness(format!(
                "{} (mls-rs) is in a group already",
                self.identity
            )));
        }
        self.group = Some(self.client.create_group_with_id(
            group_id.to_vec(),
            ExtensionList::default(),
            ExtensionList::default(),
            None,
        )?);
        Ok(())
    }

    fn add_members(&mut self, key_packages: &[Vec<u8>]) -> Result<CommitBytes, Error> {
        let group = self.group_mut()?;
        let mut builder = group.commit_builder();
        for kp in key_packages {
            builder = builder.add_member(MlsMessage::from_bytes(kp)?)?;
        }
        let out = builder.build()?;
        group.apply_pending_commit()?;
        let welcome = match out.welcome_messages.as_slice() {
            [one] => one.to_bytes()?,
            other => {
                return Err(Error::Harness(format!(
                    "mls-rs made {} Welcomes for one add commit",
                    other.len()
                )));
            }
        };
        Ok(CommitBytes {
            commit: out.commit_message.to_bytes()?,
            welcome: Some(welcome),
        })
    }

    fn join(&mut self, welcome: &[u8]) -> Result<(), Error> {
        let welcome = MlsMessage::from_bytes(welcome)?;
        let (mut group, _info) = self.client.join_group(None, &welcome, None)?;
        // As an application does after joining: mls-rs deletes the KeyPackage the Welcome
        // used when it first writes the group, unless it is a last-resort one.
        group.write_to_storage()?;
        self.group = Some(group);
        Ok(())
    }

    fn group_info(&mut self) -> Result<Vec<u8>, Error> {
        Ok(self
            .group()?
            .group_info_message_allowing_ext_commit(true)?
            .to_bytes()?)
    }

    fn join_external(&mut self, group_info: &[u8], psks: &[usize]) -> Result<Vec<u8>, Error> {
        if self.group.is_some() {
            return Err(Error::Harness(format!(
                "{} (mls-rs) is in a group already",
                self.identity
            )));
        }
        let mut builder = self.client.external_commit_builder()?;
        for i in psks {
            let (id, _) = harness_psk(*i)?;
            builder = builder.with_external_psk(ExternalPskId::new(id.to_vec()));
        }
        let (group, commit) = builder.build(MlsMessage::from_bytes(group_info)?)?;
        self.group = Some(group);
        Ok(commit.to_bytes()?)
    }

    fn process(&mut self, message: &[u8]) -> Result<Incoming, Error> {
        let message = MlsMessage::from_bytes(message)?;
        match self.group_mut()?.process_incoming_message(message)? {
            ReceivedMessage::ApplicationMessage(app) => {
                Ok(Incoming::Application(app.data().to_vec()))
            }
            ReceivedMessage::Commit(commit) => {
                if let CommitEffect::ReInit(reinit) = &commit.effect {
                    self.reinit_suite = Some(reinit.proposal.new_cipher_suite());
                }
                Ok(Incoming::Commit {
                    removed_us: matches!(commit.effect, CommitEffect::Removed { .. }),
                })
            }
            ReceivedMessage::Proposal(_) => Ok(Incoming::Proposal),
            other => Err(Error::Harness(format!(
                "mls-rs returned an unexpected result: {other:?}"
            ))),
        }
    }

    fn self_update(&mut self) -> Result<Vec<u8>, Error> {
        let group = self.group_mut()?;
        // A commit with no proposals carries a path (mls-rs always adds one to an empty commit).
        let out = group.commit(Vec::new())?;
        if !out.contains_update_path {
            return Err(Error::Harness(
                "mls-rs made a self-update without a path".into(),
            ));
        }
        group.apply_pending_commit()?;
        Ok(out.commit_message.to_bytes()?)
    }

    fn remove(&mut self, leaf: u32) -> Result<Vec<u8>, Error> {
        let group = self.group_mut()?;
        let out = group.commit_builder().remove_member(leaf)?.build()?;
        group.apply_pending_commit()?;
        Ok(out.commit_message.to_bytes()?)
    }

    fn propose_update(&mut self) -> Result<Vec<u8>, Error> {
        Ok(self.group_mut()?.propose_update(Vec::new())?.to_bytes()?)
    }

    fn propose_remove(&mut self, leaf: u32) -> Result<Vec<u8>, Error> {
        Ok(self
            .group_mut()?
            .propose_remove(leaf, Vec::new())?
            .to_bytes()?)
    }

    fn propose_psk(&mut self, psk: usize) -> Result<Vec<u8>, Error> {
        let (id, _) = harness_psk(psk)?;
        Ok(self
            .group_mut()?
            .propose_external_psk(ExternalPskId::new(id.to_vec()), Vec::new())?
            .to_bytes()?)
    }

    fn commit_psk(&mut self, psk: usize) -> Result<CommitBytes, Error> {
        let (id, _) = harness_psk(psk)?;
        let group = self.group_mut()?;
        let out = group
            .commit_builder()
            .add_external_psk(ExternalPskId::new(id.to_vec()))?
            .build()?;
        finish_commit(group, out)
    }

    fn commit_require_basic(&mut self) -> Result<Vec<u8>, Error> {
        let mut extensions = ExtensionList::new();
        extensions
            .set_from(RequiredCapabilitiesExt {
                extensions: Vec::new(),
                proposals: Vec::new(),
                credentials: vec![CredentialType::BASIC],
            })
            .map_err(MlsError::from)?;
        let group = self.group_mut()?;
        let out = group
            .commit_builder()
            .set_group_context_ext(extensions)?
            .build()?;
        Ok(finish_commit(group, out)?.commit)
    }

    fn commit_custom_extension(&mut self, data: &[u8]) -> Result<Vec<u8>, Error> {
        let mut extensions = ExtensionList::new();
        extensions.set(Extension::new(
            ExtensionType::new(HARNESS_EXTENSION),
            data.to_vec(),
        ));
        let group = self.group_mut()?;
        let out = group
            .commit_builder()
            .set_group_context_ext(extensions)?
            .build()?;
        Ok(finish_commit(group, out)?.commit)
    }

    fn commit_external_senders(
        &mut self,
        senders: &[ExternalSenderEntry],
    ) -> Result<Vec<u8>, Error> {
        let allowed = senders
            .iter()
            .map(|e| {
                SigningIdentity::new(
                    BasicCredential::new(e.identity.clone()).into_credential(),
                    SignaturePublicKey::from(e.signature_key.clone()),
                )
            })
            .collect();
        let mut extensions = ExtensionList::new();
        extensions
            .set_from(ExternalSendersExt::new(allowed))
            .map_err(MlsError::from)?;
        let group = self.group_mut()?;
        let out = group
            .commit_builder()
            .set_group_context_ext(extensions)?
            .build()?;
        Ok(finish_commit(group, out)?.commit)
    }

    fn propose_resumption_psk(&mut self, epoch: u64) -> Result<Vec<u8>, Error> {
        Ok(self
            .group_mut()?
            .propose_resumption_psk(epoch, Vec::new())?
            .to_bytes()?)
    }

    fn commit_resumption_psk(&mut self, epoch: u64) -> Result<CommitBytes, Error> {
        let group = self.group_mut()?;
        let out = group.commit_builder().add_resumption_psk(epoch)?.build()?;
        finish_commit(group, out)
    }

    fn propose_reinit(&mut self, spec: &ReInitSpec) -> Result<Vec<u8>, Error> {
        Ok(self
            .group_mut()?
            .propose_reinit(
                Some(spec.group_id.clone()),
                ProtocolVersion::MLS_10,
                CipherSuite::from(spec.suite),
                reinit_extensions(spec),
                Vec::new(),
            )?
            .to_bytes()?)
    }

    fn propose_join(&mut self, group_info: &[u8]) -> Result<Vec<u8>, Error> {
        if self.group.is_some() {
            return Err(Error::Harness(format!(
                "{} (mls-rs) is in a group already",
                self.identity
            )));
        }
        // mls-rs makes (and keeps) the KeyPackage itself.
        Ok(self
            .client
            .external_add_proposal(
                &MlsMessage::from_bytes(group_info)?,
                None,
                Vec::new(),
                ExtensionList::default(),
                ExtensionList::default(),
                None,
            )?
            .to_bytes()?)
    }

    fn reinit_key_package(&mut self) -> Result<Vec<u8>, Error> {
        Ok(self
            .reinit_client()?
            .generate_key_package(None)?
            .to_bytes()?)
    }

    fn reinit_create(&mut self, key_packages: &[Vec<u8>]) -> Result<CommitBytes, Error> {
        self.reinit_client()?;
        let client = self
            .reinit
            .take()
            .ok_or_else(|| Error::Harness("mls-rs: no ReInit client".into()))?;
        let kps = key_packages
            .iter()
            .map(|kp| MlsMessage::from_bytes(kp))
            .collect::<Result<Vec<_>, _>>()?;
        let (group, welcomes) = client.commit(kps, ExtensionList::new(), None)?;
        let welcome = one_welcome(&welcomes)?;
        // The new group starts at epoch 1: its first commit (the Adds) is merged already.
        self.group = Some(group);
        Ok(CommitBytes {
            commit: Vec::new(),
            welcome: Some(welcome),
        })
    }

    fn reinit_join(&mut self, welcome: &[u8]) -> Result<(), Error> {
        self.reinit_client()?;
        let client = self
            .reinit
            .take()
            .ok_or_else(|| Error::Harness("mls-rs: no ReInit client".into()))?;
        let (group, _) = client.join(&MlsMessage::from_bytes(welcome)?, None, None)?;
        self.group = Some(group);
        Ok(())
    }

    fn branch(&mut self, group_id: &[u8], key_packages: &[Vec<u8>]) -> Result<CommitBytes, Error> {
        let kps = key_packages
            .iter()
            .map(|kp| MlsMessage::from_bytes(kp))
            .collect::<Result<Vec<_>, _>>()?;
        let (subgroup, welcomes) = self.group()?.branch(group_id.to_vec(), kps, None)?;
        let welcome = one_welcome(&welcomes)?;
        self.group = Some(subgroup);
        Ok(CommitBytes {
            commit: Vec::new(),
            welcome: Some(welcome),
        })
    }

    fn join_branch(&mut self, welcome: &[u8]) -> Result<(), Error> {
        let (subgroup, _) =
            self.group()?
                .join_subgroup(&MlsMessage::from_bytes(welcome)?, None, None)?;
        self.group = Some(subgroup);
        Ok(())
    }

    fn commit_pending(&mut self) -> Result<CommitBytes, Error> {
        let group = self.group_mut()?;
        // A commit with no new proposals takes every cached one by reference.
        let out = group.commit(Vec::new())?;
        let description = group.apply_pending_commit()?;
        if let CommitEffect::ReInit(reinit) = &description.effect {
            self.reinit_suite = Some(reinit.proposal.new_cipher_suite());
        }
        commit_bytes(out)
    }

    fn propose_self_remove(&mut self) -> Result<Vec<u8>, Error> {
        if !self.self_remove {
            return Err(Error::NotOffered {
                implementation: Implementation::MlsRs,
                what: "SelfRemove outside a SelfRemove scenario",
            });
        }
        Ok(self
            .group_mut()?
            .propose_self_remove(Vec::new())?
            .to_bytes()?)
    }

    fn join_external_self_removes(
        &mut self,
        group_info: &[u8],
        self_removes: &[Vec<u8>],
    ) -> Result<Vec<u8>, Error> {
        if self.group.is_some() {
            return Err(Error::Harness(format!(
                "{} (mls-rs) is in a group already",
                self.identity
            )));
        }
        // mls-rs takes a member's SelfRemove into an external commit as a received custom
        // proposal (a PublicMessage), checked as its external client checks proposals.
        let mut builder = self.client.external_commit_builder()?;
        for message in self_removes {
            builder = builder.with_received_custom_proposal(MlsMessage::from_bytes(message)?);
        }
        let (group, commit) = builder.build(MlsMessage::from_bytes(group_info)?)?;
        self.group = Some(group);
        Ok(commit.to_bytes()?)
    }

    fn create_group_with_app_data(
        &mut self,
        _group_id: &[u8],
        _data: &[(u16, Vec<u8>)],
    ) -> Result<(), Error> {
        Err(no_app_data())
    }

    fn propose_app_data_update(
        &mut self,
        _component: u16,
        _update: Option<&[u8]>,
    ) -> Result<Vec<u8>, Error> {
        Err(no_app_data())
    }

    fn commit_app_data(
        &mut self,
        _updates: &[(u16, Option<Vec<u8>>)],
        _ephemeral: &[(u16, Vec<u8>)],
    ) -> Result<CommitBytes, Error> {
        Err(no_app_data())
    }

    fn app_data(&self) -> Result<Option<AppData>, Error> {
        Err(no_app_data())
    }

    fn take_app_ephemeral(&mut self) -> Result<Vec<(u16, Vec<u8>)>, Error> {
        Err(no_app_data())
    }

    fn safe_export_secret(&mut self, _component: u16) -> Result<Vec<u8>, Error> {
        Err(no_app_data())
    }

    fn join_external_app_data(
        &mut self,
        _group_info: &[u8],
        _updates: &[(u16, Option<Vec<u8>>)],
    ) -> Result<Vec<u8>, Error> {
        Err(no_app_data())
    }

    fn register_application_psk(
        &mut self,
        _component: u16,
        _psk_id: &[u8],
        _secret: &[u8],
    ) -> Result<(), Error> {
        Err(no_application_psk())
    }

    fn propose_application_psk(
        &mut self,
        _component: u16,
        _psk_id: &[u8],
    ) -> Result<Vec<u8>, Error> {
        Err(no_application_psk())
    }

    fn commit_application_psk(
        &mut self,
        _component: u16,
        _psk_id: &[u8],
    ) -> Result<CommitBytes, Error> {
        Err(no_application_psk())
    }

    fn encrypt_with_safe_aad(
        &mut self,
        _data: &[u8],
        _items: &[(u16, Vec<u8>)],
    ) -> Result<Vec<u8>, Error> {
        Err(no_safe_aad())
    }

    fn last_safe_aad(&self) -> Result<Option<SafeAadItems>, Error> {
        Err(no_safe_aad())
    }

    fn last_resort_key_package(&mut self) -> Result<Vec<u8>, Error> {
        // mls-rs's marking (feature `last_resort_key_package_ext`): the `last_resort`
        // KeyPackage extension, which also keeps the KeyPackage after a join.
        let mut extensions = ExtensionList::new();
        extensions
            .set_from(LastResortKeyPackageExt)
            .map_err(MlsError::from)?;
        let kp =
            self.client
                .generate_key_package_message(extensions, ExtensionList::default(), None)?;
        Ok(kp.to_bytes()?)
    }

    fn is_last_resort(&self, key_package: &[u8]) -> Result<bool, Error> {
        let kp = MlsMessage::from_bytes(key_package)?
            .into_key_package()
            .ok_or_else(|| Error::Harness("is_last_resort takes a KeyPackage".into()))?;
        Ok(kp
            .extensions
            .has_extension(ExtensionType::LAST_RESORT_KEY_PACKAGE))
    }

    fn forget_group(&mut self) -> Result<(), Error> {
        self.group()?;
        self.group = None;
        Ok(())
    }

    fn encrypt(&mut self, data: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(self
            .group_mut()?
            .encrypt_application_message(data, Vec::new())?
            .to_bytes()?)
    }

    fn epoch(&self) -> Result<u64, Error> {
        Ok(self.group()?.current_epoch())
    }

    fn own_leaf(&self) -> Result<u32, Error> {
        Ok(self.group()?.current_member_index())
    }

    fn epoch_authenticator(&self) -> Result<Vec<u8>, Error> {
        Ok(self.group()?.epoch_authenticator()?.to_vec())
    }

    fn export(&self, label: &[u8], context: &[u8], length: usize) -> Result<Vec<u8>, Error> {
        Ok(self
            .group()?
            .export_secret(label, context, length)?
            .to_vec())
    }
}

/// Merges our commit `out` and returns its messages.
fn finish_commit<C: MlsConfig>(
    group: &mut Group<C>,
    out: CommitOutput,
) -> Result<CommitBytes, Error> {
    group.apply_pending_commit()?;
    commit_bytes(out)
}

/// The messages of our (merged) commit `out`.
fn commit_bytes(out: CommitOutput) -> Result<CommitBytes, Error> {
    let welcome = match out.welcome_messages.as_slice() {
        [] => None,
        [one] => Some(one.to_bytes()?),
        other => {
            return Err(Error::Harness(format!(
                "mls-rs made {} Welcomes for one commit",
                other.len()
            )));
        }
    };
    Ok(CommitBytes {
        commit: out.commit_message.to_bytes()?,
        welcome,
    })
}

/// The one Welcome of a group creation, as bytes.
fn one_welcome(welcomes: &[MlsMessage]) -> Result<Vec<u8>, Error> {
    match welcomes {
        [one] => Ok(one.to_bytes()?),
        other => Err(Error::Harness(format!(
            "mls-rs made {} Welcomes for one group",
            other.len()
        ))),
    }
}

/// An mls-rs external sender named `identity` for `suite` (RFC 9420 §12.1.8), on mls-rs's
/// `ExternalClient`, as an [`ExternalSender`].
///
/// # Errors
/// [`Error::UnsupportedSuite`]; a failure making the signing key.
pub fn new_external_sender(identity: &str, suite: u16) -> Result<Box<dyn ExternalSender>, Error> {
    let crypto = RustCryptoProvider::default();
    let cs = CipherSuite::from(suite);
    let ops = crypto
        .cipher_suite_provider(cs)
        .ok_or(Error::UnsupportedSuite {
            implementation: Implementation::MlsRs,
            suite,
        })?;
    let (secret, public) = ops
        .signature_key_generate()
        .map_err(|e| MlsError::CryptoProviderError(e.into_any_error()))?;
    let credential = BasicCredential::new(identity.as_bytes().to_vec()).into_credential();
    let signing_identity = SigningIdentity::new(credential, public.clone());
    let client = ExternalClient::builder()
        .crypto_provider(crypto)
        .identity_provider(BasicIdentityProvider::new())
        .signer(secret, signing_identity)
        .build();
    Ok(Box::new(MlsRsExternalSender {
        identity: identity.to_owned(),
        public: public.as_bytes().to_vec(),
        client,
    }))
}

/// An mls-rs external sender: it observes the group from each GroupInfo it is given.
struct MlsRsExternalSender<C: ExternalMlsConfig> {
    identity: String,
    public: Vec<u8>,
    client: ExternalClient<C>,
}

impl<C: ExternalMlsConfig> ExternalSender for MlsRsExternalSender<C> {
    fn implementation(&self) -> Implementation {
        Implementation::MlsRs
    }

    fn entry(&self) -> ExternalSenderEntry {
        ExternalSenderEntry {
            signature_key: self.public.clone(),
            identity: self.identity.as_bytes().to_vec(),
        }
    }

    // mls-rs finds our index in the group's external_senders itself.
    fn propose_add(
        &mut self,
        group_info: &[u8],
        _sender_index: u32,
        key_package: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let mut group =
            self.client
                .observe_group(MlsMessage::from_bytes(group_info)?, None, None)?;
        Ok(group
            .propose_add(MlsMessage::from_bytes(key_package)?, Vec::new())?
            .to_bytes()?)
    }

    fn propose_remove(
        &mut self,
        group_info: &[u8],
        _sender_index: u32,
        leaf: u32,
    ) -> Result<Vec<u8>, Error> {
        let mut group =
            self.client
                .observe_group(MlsMessage::from_bytes(group_info)?, None, None)?;
        Ok(group.propose_remove(leaf, Vec::new())?.to_bytes()?)
    }

    fn propose_psk(
        &mut self,
        group_info: &[u8],
        _sender_index: u32,
        psk: usize,
    ) -> Result<Vec<u8>, Error> {
        let (id, _) = harness_psk(psk)?;
        let mut group =
            self.client
                .observe_group(MlsMessage::from_bytes(group_info)?, None, None)?;
        Ok(group
            .propose_external_psk(ExternalPskId::new(id.to_vec()), Vec::new())?
            .to_bytes()?)
    }

    fn propose_resumption_psk(
        &mut self,
        group_info: &[u8],
        _sender_index: u32,
        epoch: u64,
    ) -> Result<Vec<u8>, Error> {
        let mut group =
            self.client
                .observe_group(MlsMessage::from_bytes(group_info)?, None, None)?;
        Ok(group
            .propose_resumption_psk(epoch, Vec::new())?
            .to_bytes()?)
    }

    fn propose_group_extensions(
        &mut self,
        group_info: &[u8],
        _sender_index: u32,
        senders: &[ExternalSenderEntry],
    ) -> Result<Vec<u8>, Error> {
        let mut extensions = ExtensionList::new();
        extensions
            .set_from(external_senders_ext(senders))
            .map_err(MlsError::from)?;
        extensions
            .set_from(require_basic())
            .map_err(MlsError::from)?;
        let mut group =
            self.client
                .observe_group(MlsMessage::from_bytes(group_info)?, None, None)?;
        Ok(group
            .propose_group_context_extensions(extensions, Vec::new())?
            .to_bytes()?)
    }

    fn propose_reinit(
        &mut self,
        group_info: &[u8],
        _sender_index: u32,
        spec: &ReInitSpec,
    ) -> Result<Vec<u8>, Error> {
        let mut group =
            self.client
                .observe_group(MlsMessage::from_bytes(group_info)?, None, None)?;
        Ok(group
            .propose_reinit(
                Some(spec.group_id.clone()),
                ProtocolVersion::MLS_10,
                CipherSuite::from(spec.suite),
                reinit_extensions(spec),
                Vec::new(),
            )?
            .to_bytes()?)
    }
}

/// The GroupContext extensions of the group `spec` describes.
fn reinit_extensions(spec: &ReInitSpec) -> ExtensionList {
    let mut extensions = ExtensionList::new();
    if let Some(data) = &spec.extension {
        extensions.set(Extension::new(
            ExtensionType::new(HARNESS_EXTENSION),
            data.clone(),
        ));
    }
    extensions
}

/// An `external_senders` extension listing `senders`.
fn external_senders_ext(senders: &[ExternalSenderEntry]) -> ExternalSendersExt {
    ExternalSendersExt::new(
        senders
            .iter()
            .map(|e| {
                SigningIdentity::new(
                    BasicCredential::new(e.identity.clone()).into_credential(),
                    SignaturePublicKey::from(e.signature_key.clone()),
                )
            })
            .collect(),
    )
}

/// A `required_capabilities` extension requiring basic credentials.
fn require_basic() -> RequiredCapabilitiesExt {
    RequiredCapabilitiesExt {
        extensions: Vec::new(),
        proposals: Vec::new(),
        credentials: vec![CredentialType::BASIC],
    }
}
