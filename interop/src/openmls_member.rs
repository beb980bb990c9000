//! [`Member`] on the published `openmls` crate, with `openmls_rust_crypto` (suites 1, 2 and 3)
//! and `openmls_basic_credential`.
//!
//! OpenMLS encrypts handshake messages by default and rejects PublicMessage commits; cohort and
//! mls-rs send PublicMessage commits, so the groups here use the mixed-plaintext policy (send
//! PublicMessage handshakes, accept both). The ratchet tree goes in the Welcome's GroupInfo.

use openmls::component::ComponentData;
use openmls::framing::SafeAadItem;
use openmls::group::{AppDataDictionaryUpdater, GroupContext, GroupId, Propose, StagedCommit};
use openmls::prelude::tls_codec::{Deserialize, Serialize};
use openmls::prelude::{
    AppDataDictionary, AppDataDictionaryExtension, AppDataUpdateOperation, AppDataUpdateProposal,
    AppEphemeralProposal, ProposalOrRefType,
};
use openmls::prelude::{
    BasicCredential, Capabilities, Ciphersuite, CredentialType, CredentialWithKey, Extension,
    ExtensionType, Extensions, KeyPackage, LeafNodeIndex, LeafNodeParameters,
    MIXED_CIPHERTEXT_WIRE_FORMAT_POLICY, MIXED_PLAINTEXT_WIRE_FORMAT_POLICY, MlsGroup,
    MlsGroupCreateConfig, MlsGroupJoinConfig, MlsMessageBodyIn, MlsMessageIn, MlsMessageOut,
    OpenMlsCrypto, OpenMlsProvider, PreSharedKeyProposal, ProcessedMessageContent, Proposal,
    ProposalType, ProtocolVersion, PublicMessageIn, RequiredCapabilitiesExtension, StagedWelcome,
    UnknownExtension, WireFormatPolicy,
};
use openmls::prelude::{
    ExternalProposal, ExternalSender as OpenMlsExternalSenderEntry, JoinProposal,
    SenderExtensionIndex, SignaturePublicKey,
};
use openmls::schedule::psk::{ApplicationPsk, ResumptionPsk, ResumptionPskUsage};
use openmls::schedule::{ExternalPsk, PreSharedKeyId, Psk};
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;

use crate::member::{
    AppData, CommitBytes, Error, ExternalSender, ExternalSenderEntry, Feature, HARNESS_EXTENSION,
    HARNESS_PSKS, Implementation, Incoming, Member, MemberOptions, ReInitSpec, SELF_REMOVE_DRAFT,
    SafeAadItems, harness_psk,
};

/// How many past epochs' resumption PSKs (RFC 9420 §8.6) a group keeps. OpenMLS's default
/// join configuration keeps none, so a member that joined by Welcome or external commit could
/// not use the resumption PSK of any epoch; a group it creates keeps 32 whatever the setting.
const RESUMPTION_PSKS: usize = 32;

/// An OpenMLS client with at most one group.
pub struct OpenMlsMember {
    identity: String,
    provider: OpenMlsRustCrypto,
    suite: Ciphersuite,
    signer: SignatureKeyPair,
    credential: CredentialWithKey,
    group: Option<MlsGroup>,
    /// Send handshakes as PrivateMessage (mixed-ciphertext policy) or PublicMessage
    /// (mixed-plaintext policy); both accept either.
    policy: WireFormatPolicy,
    /// Whether our leaves list SelfRemove (at 0x000a, the only type OpenMLS knows it at).
    self_remove: bool,
    /// Whether our leaves list the application data of draft-ietf-mls-extensions (the
    /// `app_data_dictionary` extension, AppDataUpdate and AppEphemeral).
    app_data: bool,
    /// The AppEphemeral data (component id, data) of the commits processed since
    /// [`Member::take_app_ephemeral`] last took it.
    app_ephemeral: Vec<(u16, Vec<u8>)>,
    /// The SafeAAD items OpenMLS parsed from the last message processed, where the group
    /// asked for a SafeAAD.
    last_safe_aad: Option<SafeAadItems>,
}

impl std::fmt::Debug for OpenMlsMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenMlsMember")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl OpenMlsMember {
    /// An OpenMLS client named `identity` for cipher suite `suite`.
    ///
    /// # Errors
    /// [`Error::UnsupportedSuite`]; a failure making or storing the signing key.
    pub fn new(identity: &str, suite: u16, options: MemberOptions) -> Result<Self, Error> {
        let unsupported = || Error::UnsupportedSuite {
            implementation: Implementation::OpenMls,
            suite,
        };
        let cs = Ciphersuite::try_from(suite).map_err(|_| unsupported())?;
        let provider = OpenMlsRustCrypto::default();
        if provider.crypto().supports(cs).is_err() {
            return Err(unsupported());
        }
        let signer = SignatureKeyPair::new(cs.signature_algorithm())
            .map_err(|e| Error::openmls("signature key", e))?;
        signer
            .store(provider.storage())
            .map_err(|e| Error::openmls("store signature key", e))?;
        // The PSK store is keyed by the PSK alone: the nonce given here is not used.
        for (id, secret) in HARNESS_PSKS {
            PreSharedKeyId::external(id.to_vec(), Vec::new())
                .store(&provider, secret)
                .map_err(|e| Error::openmls("store PSK", e))?;
        }
        let self_remove = match options.self_remove {
            None => false,
            Some(SELF_REMOVE_DRAFT) => true,
            Some(_) => {
                return Err(Error::NotOffered {
                    implementation: Implementation::OpenMls,
                    what: "SelfRemove at a code point other than 0x000a",
                });
            }
        };
        let credential = CredentialWithKey {
            credential: BasicCredential::new(identity.as_bytes().to_vec()).into(),
            signature_key: signer.public().into(),
        };
        Ok(Self {
            identity: identity.to_owned(),
            provider,
            suite: cs,
            signer,
            credential,
            group: None,
            policy: if options.private_handshakes {
                MIXED_CIPHERTEXT_WIRE_FORMAT_POLICY
            } else {
                MIXED_PLAINTEXT_WIRE_FORMAT_POLICY
            },
            self_remove,
            app_data: options.app_data,
            app_ephemeral: Vec::new(),
            last_safe_aad: None,
        })
    }

    /// Creates a one-member group with `group_id` and, when given, these GroupContext
    /// extensions.
    fn create(
        &mut self,
        group_id: &[u8],
        extensions: Option<Extensions<GroupContext>>,
    ) -> Result<(), Error> {
        if self.group.is_some() {
            return Err(Error::Harness(format!(
                "{} (openmls) is in a group already",
                self.identity
            )));
        }
        let mut config = MlsGroupCreateConfig::builder()
            .ciphersuite(self.suite)
            .capabilities(self.capabilities())
            .wire_format_policy(self.policy)
            .use_ratchet_tree_extension(true)
            .number_of_resumption_psks(RESUMPTION_PSKS);
        if let Some(extensions) = extensions {
            config = config.with_group_context_extensions(extensions);
        }
        let group = MlsGroup::new_with_group_id(
            &self.provider,
            &self.signer,
            &config.build(),
            GroupId::from_slice(group_id),
            self.credential.clone(),
        )
        .map_err(|e| Error::openmls("create group", e))?;
        self.group = Some(group);
        Ok(())
    }

    /// The order of the GroupContext's extensions, by type (for the harness's tests).
    #[cfg(test)]
    pub(crate) fn group_context_extension_types(&self) -> Result<Vec<ExtensionType>, Error> {
        Ok(self
            .group()?
            .extensions()
            .iter()
            .map(Extension::extension_type)
            .collect())
    }

    /// [`Member::create_group_with_app_data`] with the `app_data_dictionary` first and
    /// `required_capabilities` after it (for the harness's tests).
    #[cfg(test)]
    pub(crate) fn create_group_dictionary_first(
        &mut self,
        group_id: &[u8],
        data: &[(u16, Vec<u8>)],
    ) -> Result<(), Error> {
        self.create(group_id, Some(app_data_extensions(data, true)?))
    }

    /// Merges a commit another member made, staged; returns whether it removes us.
    fn merge_received(&mut self, staged: StagedCommit) -> Result<bool, Error> {
        let removed_us = staged.self_removed();
        let ephemeral: Vec<(u16, Vec<u8>)> = staged
            .queued_app_ephemeral_proposals()
            .map(|queued| {
                let proposal = queued.app_ephemeral_proposal();
                (proposal.component_id(), proposal.data().to_vec())
            })
            .collect();
        let (group, provider, _) = self.parts()?;
        group
            .merge_staged_commit(provider, staged)
            .map_err(|e| Error::openmls("merge staged commit", e))?;
        self.app_ephemeral.extend(ephemeral);
        Ok(removed_us)
    }

    /// [`Error::NotOffered`] when the member was not set up for application data.
    fn require_app_data(&self) -> Result<(), Error> {
        if self.app_data {
            Ok(())
        } else {
            Err(Error::NotOffered {
                implementation: Implementation::OpenMls,
                what: "application data outside the app-data scenario",
            })
        }
    }

    /// Joins by external commit from `group_info`, injecting the harness PSKs `psks`,
    /// covering the members' SelfRemove proposals `self_removes` by reference and carrying an
    /// AppDataUpdate for each of `app_data_updates` by value.
    fn external_join(
        &mut self,
        group_info: &[u8],
        psks: &[usize],
        self_removes: Vec<PublicMessageIn>,
        app_data_updates: &[(u16, Option<Vec<u8>>)],
    ) -> Result<Vec<u8>, Error> {
        let psk_proposals = psks
            .iter()
            .map(|i| self.psk_id(*i).map(PreSharedKeyProposal::new))
            .collect::<Result<Vec<_>, _>>()?;
        if self.group.is_some() {
            return Err(Error::Harness(format!(
                "{} (openmls) is in a group already",
                self.identity
            )));
        }
        let MlsMessageBodyIn::GroupInfo(group_info) = deserialize(group_info)?.extract() else {
            return Err(Error::Harness("join_external takes a GroupInfo".into()));
        };
        let mut builder = MlsGroup::external_commit_builder()
            .with_proposals(self_removes)
            .with_config(self.join_config())
            .build_group(&self.provider, group_info, self.credential.clone())
            .map_err(|e| Error::openmls("external commit: build group", e))?
            .add_psk_proposals(psk_proposals);
        for (component, update) in app_data_updates {
            builder = builder
                .add_app_data_update_proposal(app_data_update(*component, update.as_deref()));
        }
        let mut builder = builder
            .leaf_node_parameters(self.leaf_parameters())
            .load_psks(self.provider.storage())
            .map_err(|e| Error::openmls("external commit: load PSKs", e))?;
        if !app_data_updates.is_empty() {
            // The joiner gives the new dictionary entries, computed from the GroupInfo's
            // dictionary as the members compute them from theirs.
            let mut updater = builder.app_data_dictionary_updater();
            for proposal in builder.app_data_update_proposals() {
                replace_app_data(&mut updater, proposal);
            }
            let changes = updater.changes();
            builder.with_app_data_dictionary_updates(changes);
        }
        let (group, bundle) = builder
            .build(
                self.provider.rand(),
                self.provider.crypto(),
                &self.signer,
                |_| true,
            )
            .map_err(|e| Error::openmls("external commit: build", e))?
            .finalize(&self.provider)
            .map_err(|e| Error::openmls("external commit: finalize", e))?;
        self.group = Some(group);
        serialize(bundle.commit())
    }

    fn group(&self) -> Result<&MlsGroup, Error> {
        self.group
            .as_ref()
            .ok_or_else(|| Error::Harness(format!("{} (openmls) is in no group", self.identity)))
    }

    /// The group, the provider and the signer, borrowed together.
    fn parts(&mut self) -> Result<(&mut MlsGroup, &OpenMlsRustCrypto, &SignatureKeyPair), Error> {
        let identity = &self.identity;
        let group = self
            .group
            .as_mut()
            .ok_or_else(|| Error::Harness(format!("{identity} (openmls) is in no group")))?;
        Ok((group, &self.provider, &self.signer))
    }

    /// Our capabilities: OpenMLS's defaults plus [`HARNESS_EXTENSION`], SelfRemove when the
    /// member is set up for it, and the application data of draft-ietf-mls-extensions (the
    /// `app_data_dictionary` extension, AppDataUpdate and AppEphemeral) when it is set up for
    /// that.
    fn capabilities(&self) -> Capabilities {
        self.capabilities_with(&[])
    }

    /// [`OpenMlsMember::capabilities`] listing the extension types `extra` too.
    fn capabilities_with(&self, extra: &[ExtensionType]) -> Capabilities {
        let mut extensions = vec![ExtensionType::Unknown(HARNESS_EXTENSION)];
        extensions.extend_from_slice(extra);
        let mut proposals = Vec::new();
        if self.self_remove {
            proposals.push(ProposalType::SelfRemove);
        }
        if self.app_data {
            extensions.push(ExtensionType::AppDataDictionary);
            proposals.extend([ProposalType::AppDataUpdate, ProposalType::AppEphemeral]);
        }
        Capabilities::builder()
            .extensions(extensions)
            .proposals(proposals)
            .build()
    }

    /// Leaf parameters for our new leaves (keeping our capabilities).
    fn leaf_parameters(&self) -> LeafNodeParameters {
        LeafNodeParameters::builder()
            .with_capabilities(self.capabilities())
            .build()
    }

    /// A PreSharedKeyID for harness PSK `psk`, with a fresh nonce.
    fn psk_id(&self, psk: usize) -> Result<PreSharedKeyId, Error> {
        let (id, _) = harness_psk(psk)?;
        self.psk_id_for(Psk::External(ExternalPsk::new(id.to_vec())))
    }

    /// A PreSharedKeyID for the resumption PSK (usage `application`) of our group's `epoch`.
    fn resumption_psk_id(&self, epoch: u64) -> Result<PreSharedKeyId, Error> {
        let group_id = self.group()?.group_id().clone();
        self.psk_id_for(Psk::Resumption(ResumptionPsk::new(
            ResumptionPskUsage::Application,
            group_id,
            epoch.into(),
        )))
    }

    /// A PreSharedKeyID for the application PSK `psk_id` of `component`
    /// (draft-ietf-mls-extensions, PSK type `application(3)`), with a fresh nonce.
    fn application_psk_id(&self, component: u16, psk_id: &[u8]) -> Result<PreSharedKeyId, Error> {
        self.psk_id_for(Psk::Application(ApplicationPsk::new(
            component,
            psk_id.to_vec().into(),
        )))
    }

    /// A PreSharedKeyID for `psk`, with a fresh nonce.
    fn psk_id_for(&self, psk: Psk) -> Result<PreSharedKeyId, Error> {
        PreSharedKeyId::new(self.suite, self.provider.rand(), psk)
            .map_err(|e| Error::openmls("PSK nonce", e))
    }

    /// Commits a PreSharedKey proposal for `id` by value with the proposal store by reference,
    /// merged at once.
    fn commit_psk_id(&mut self, id: PreSharedKeyId) -> Result<CommitBytes, Error> {
        let (group, provider, signer) = self.parts()?;
        // The commit builder (OpenMLS's current commit API): our PSK proposal inline, the
        // proposal store by reference. With a PSK in both, OpenMLS 0.9.2 derives the PSK secret
        // in another order than the Commit lists them (docs/interop.md, peer deviations).
        let bundle = group
            .commit_builder()
            .consume_proposal_store(true)
            .add_proposal(Proposal::PreSharedKey(Box::new(PreSharedKeyProposal::new(
                id,
            ))))
            .load_psks(provider.storage())
            .map_err(|e| Error::openmls("commit PSK: load PSKs", e))?
            .build(provider.rand(), provider.crypto(), signer, |_| true)
            .map_err(|e| Error::openmls("commit PSK: build", e))?
            .stage_commit(provider)
            .map_err(|e| Error::openmls("commit PSK: stage", e))?;
        let (commit, welcome, _) = bundle.into_messages();
        merged(group, provider, &commit, welcome.as_ref())
    }

    /// Sends a PreSharedKey proposal for `id`, cached for a commit by reference.
    fn propose_psk_id(&mut self, id: PreSharedKeyId) -> Result<Vec<u8>, Error> {
        let (group, provider, signer) = self.parts()?;
        let (message, _) = group
            .propose_pre_shared_key(provider, signer, id)
            .map_err(|e| Error::openmls("propose PSK", e))?;
        serialize(&message)
    }

    /// [`Error::NotOffered`] for `feature`, which OpenMLS lacks.
    fn not_offered(feature: Feature) -> Error {
        Error::NotOffered {
            implementation: Implementation::OpenMls,
            what: Implementation::OpenMls
                .lacks(feature)
                .unwrap_or("this operation"),
        }
    }

    /// Processes `message` (a commit is merged at once); returns what it produced and the
    /// SafeAAD items OpenMLS parsed from its authenticated data, where the group asks for a
    /// SafeAAD.
    fn process_message(
        &mut self,
        message: &[u8],
    ) -> Result<(Incoming, Option<SafeAadItems>), Error> {
        let message = deserialize(message)?
            .try_into_protocol_message()
            .map_err(|e| Error::openmls("not a protocol message", e))?;
        let (group, provider, _) = self.parts()?;
        let processed = group
            .process_message(provider, message)
            .map_err(|e| Error::openmls("process message", e))?;
        let safe_aad = processed.safe_aad().map(|safe_aad| {
            safe_aad
                .items()
                .iter()
                .map(|item| (item.component_id(), item.data().to_vec()))
                .collect()
        });
        let incoming = match processed.into_content() {
            ProcessedMessageContent::ApplicationMessage(app) => {
                Incoming::Application(app.into_bytes())
            }
            ProcessedMessageContent::StagedCommitMessage(staged) => {
                let removed_us = self.merge_received(*staged)?;
                Incoming::Commit { removed_us }
            }
            // A commit with AppDataUpdates (draft-ietf-mls-extensions): OpenMLS leaves their
            // meaning to the application, which gives the new data before the commit is staged.
            ProcessedMessageContent::UnresolvedAppDataCommit(unresolved) => {
                let mut updater = group.app_data_dictionary_updater();
                for proposal in unresolved.app_data_update_proposals() {
                    replace_app_data(&mut updater, proposal);
                }
                let changes = updater.changes();
                let staged = group
                    .stage_app_data_commit(provider, *unresolved, changes)
                    .map_err(|e| Error::openmls("stage commit with AppDataUpdates", e))?;
                let removed_us = self.merge_received(staged)?;
                Incoming::Commit { removed_us }
            }
            // A new-member proposal (RFC 9420 §12.1.8) comes apart from members' proposals;
            // both are cached for a commit by reference.
            ProcessedMessageContent::ProposalMessage(proposal)
            | ProcessedMessageContent::ExternalJoinProposalMessage(proposal) => {
                group
                    .store_pending_proposal(provider.storage(), *proposal)
                    .map_err(|e| Error::openmls("store proposal", e))?;
                Incoming::Proposal
            }
            other => {
                return Err(Error::Harness(format!(
                    "openmls returned an unexpected result: {}",
                    match other {
                        ProcessedMessageContent::OwnPendingCommit => "own pending commit",
                        ProcessedMessageContent::OwnPrivateMessage => "own private message",
                        _ => "another kind",
                    }
                )));
            }
        };
        Ok((incoming, safe_aad))
    }

    fn join_config(&self) -> MlsGroupJoinConfig {
        MlsGroupJoinConfig::builder()
            .wire_format_policy(self.policy)
            .use_ratchet_tree_extension(true)
            .number_of_resumption_psks(RESUMPTION_PSKS)
            .build()
    }
}

impl Member for OpenMlsMember {
    fn implementation(&self) -> Implementation {
        Implementation::OpenMls
    }

    fn identity(&self) -> &str {
        &self.identity
    }

    fn key_package(&mut self) -> Result<Vec<u8>, Error> {
        let bundle = KeyPackage::builder()
            .leaf_node_capabilities(self.capabilities())
            .build(
                self.suite,
                &self.provider,
                &self.signer,
                self.credential.clone(),
            )
            .map_err(|e| Error::openmls("key package", e))?;
        serialize(&MlsMessageOut::from(bundle.key_package().clone()))
    }

    fn create_group(&mut self, group_id: &[u8]) -> Result<(), Error> {
        self.create(group_id, None)
    }

    fn add_members(&mut self, key_packages: &[Vec<u8>]) -> Result<CommitBytes, Error> {
        let mut kps = Vec::new();
        for bytes in key_packages {
            let MlsMessageBodyIn::KeyPackage(kp) = deserialize(bytes)?.extract() else {
                return Err(Error::Harness("add_members takes KeyPackages".into()));
            };
            kps.push(
                kp.validate(self.provider.crypto(), ProtocolVersion::Mls10)
                    .map_err(|e| Error::openmls("validate key package", e))?,
            );
        }
        let (group, provider, signer) = self.parts()?;
        let (commit, welcome, _) = group
            .add_members(provider, signer, &kps)
            .map_err(|e| Error::openmls("add members", e))?;
        merged(group, provider, &commit, Some(&welcome))
    }

    fn join(&mut self, welcome: &[u8]) -> Result<(), Error> {
        let MlsMessageBodyIn::Welcome(welcome) = deserialize(welcome)?.extract() else {
            return Err(Error::Harness("join takes a Welcome".into()));
        };
        let group =
            StagedWelcome::new_from_welcome(&self.provider, &self.join_config(), welcome, None)
                .map_err(|e| Error::openmls("stage welcome", e))?
                .into_group(&self.provider)
                .map_err(|e| Error::openmls("join from welcome", e))?;
        self.group = Some(group);
        Ok(())
    }

    fn group_info(&mut self) -> Result<Vec<u8>, Error> {
        let (group, provider, signer) = self.parts()?;
        let message = group
            .export_group_info(provider.crypto(), signer, true)
            .map_err(|e| Error::openmls("export group info", e))?;
        serialize(&message)
    }

    fn join_external(&mut self, group_info: &[u8], psks: &[usize]) -> Result<Vec<u8>, Error> {
        self.external_join(group_info, psks, Vec::new(), &[])
    }

    fn process(&mut self, message: &[u8]) -> Result<Incoming, Error> {
        self.last_safe_aad = None;
        let (incoming, safe_aad) = self.process_message(message)?;
        self.last_safe_aad = safe_aad;
        Ok(incoming)
    }

    fn self_update(&mut self) -> Result<Vec<u8>, Error> {
        let leaf = self.leaf_parameters();
        let (group, provider, signer) = self.parts()?;
        let bundle = group
            .self_update(provider, signer, leaf)
            .map_err(|e| Error::openmls("self update", e))?;
        group
            .merge_pending_commit(provider)
            .map_err(|e| Error::openmls("merge pending commit", e))?;
        serialize(bundle.commit())
    }

    fn remove(&mut self, leaf: u32) -> Result<Vec<u8>, Error> {
        let (group, provider, signer) = self.parts()?;
        let (commit, _, _) = group
            .remove_members(provider, signer, &[LeafNodeIndex::new(leaf)])
            .map_err(|e| Error::openmls("remove members", e))?;
        group
            .merge_pending_commit(provider)
            .map_err(|e| Error::openmls("merge pending commit", e))?;
        serialize(&commit)
    }

    fn propose_update(&mut self) -> Result<Vec<u8>, Error> {
        let leaf = self.leaf_parameters();
        let (group, provider, signer) = self.parts()?;
        let (message, _) = group
            .propose_self_update(provider, signer, leaf)
            .map_err(|e| Error::openmls("propose self update", e))?;
        serialize(&message)
    }

    fn propose_remove(&mut self, leaf: u32) -> Result<Vec<u8>, Error> {
        let (group, provider, signer) = self.parts()?;
        let (message, _) = group
            .propose_remove_member(provider, signer, LeafNodeIndex::new(leaf))
            .map_err(|e| Error::openmls("propose remove", e))?;
        serialize(&message)
    }

    fn propose_psk(&mut self, psk: usize) -> Result<Vec<u8>, Error> {
        let id = self.psk_id(psk)?;
        self.propose_psk_id(id)
    }

    fn commit_psk(&mut self, psk: usize) -> Result<CommitBytes, Error> {
        let id = self.psk_id(psk)?;
        self.commit_psk_id(id)
    }

    fn commit_require_basic(&mut self) -> Result<Vec<u8>, Error> {
        let required = RequiredCapabilitiesExtension::new(&[], &[], &[CredentialType::Basic]);
        let extensions = Extensions::single(Extension::RequiredCapabilities(required))
            .map_err(|e| Error::openmls("group context extensions", e))?;
        let (group, provider, signer) = self.parts()?;
        let (commit, _, _) = group
            .update_group_context_extensions(provider, extensions, signer)
            .map_err(|e| Error::openmls("update group context extensions", e))?;
        group
            .merge_pending_commit(provider)
            .map_err(|e| Error::openmls("merge pending commit", e))?;
        serialize(&commit)
    }

    fn commit_custom_extension(&mut self, data: &[u8]) -> Result<Vec<u8>, Error> {
        let extensions = Extensions::single(Extension::Unknown(
            HARNESS_EXTENSION,
            UnknownExtension(data.to_vec()),
        ))
        .map_err(|e| Error::openmls("group context extensions", e))?;
        let (group, provider, signer) = self.parts()?;
        let (commit, _, _) = group
            .update_group_context_extensions(provider, extensions, signer)
            .map_err(|e| Error::openmls("update group context extensions", e))?;
        group
            .merge_pending_commit(provider)
            .map_err(|e| Error::openmls("merge pending commit", e))?;
        serialize(&commit)
    }

    fn commit_external_senders(
        &mut self,
        senders: &[ExternalSenderEntry],
    ) -> Result<Vec<u8>, Error> {
        let list = senders
            .iter()
            .map(|e| {
                OpenMlsExternalSenderEntry::new(
                    SignaturePublicKey::from(e.signature_key.clone()),
                    BasicCredential::new(e.identity.clone()).into(),
                )
            })
            .collect();
        let extensions = Extensions::single(Extension::ExternalSenders(list))
            .map_err(|e| Error::openmls("group context extensions", e))?;
        let (group, provider, signer) = self.parts()?;
        let (commit, _, _) = group
            .update_group_context_extensions(provider, extensions, signer)
            .map_err(|e| Error::openmls("update group context extensions", e))?;
        group
            .merge_pending_commit(provider)
            .map_err(|e| Error::openmls("merge pending commit", e))?;
        serialize(&commit)
    }

    fn propose_resumption_psk(&mut self, epoch: u64) -> Result<Vec<u8>, Error> {
        let id = self.resumption_psk_id(epoch)?;
        self.propose_psk_id(id)
    }

    fn commit_resumption_psk(&mut self, epoch: u64) -> Result<CommitBytes, Error> {
        let id = self.resumption_psk_id(epoch)?;
        self.commit_psk_id(id)
    }

    fn propose_reinit(&mut self, _spec: &ReInitSpec) -> Result<Vec<u8>, Error> {
        Err(Self::not_offered(Feature::ReInit))
    }

    fn propose_join(&mut self, group_info: &[u8]) -> Result<Vec<u8>, Error> {
        if self.group.is_some() {
            return Err(Error::Harness(format!(
                "{} (openmls) is in a group already",
                self.identity
            )));
        }
        let group_info = group_info_of(group_info)?;
        // The KeyPackage bundle stays in the provider's storage for the join.
        let bundle = KeyPackage::builder()
            .leaf_node_capabilities(self.capabilities())
            .build(
                self.suite,
                &self.provider,
                &self.signer,
                self.credential.clone(),
            )
            .map_err(|e| Error::openmls("key package", e))?;
        let message = JoinProposal::new::<<OpenMlsRustCrypto as OpenMlsProvider>::StorageProvider>(
            bundle.key_package().clone(),
            group_info.group_id().clone(),
            group_info.epoch(),
            &self.signer,
        )
        .map_err(|e| Error::openmls("new-member Add proposal", e))?;
        serialize(&message)
    }

    fn reinit_key_package(&mut self) -> Result<Vec<u8>, Error> {
        Err(Self::not_offered(Feature::ReInit))
    }

    fn reinit_create(&mut self, _key_packages: &[Vec<u8>]) -> Result<CommitBytes, Error> {
        Err(Self::not_offered(Feature::ReInit))
    }

    fn reinit_join(&mut self, _welcome: &[u8]) -> Result<(), Error> {
        Err(Self::not_offered(Feature::ReInit))
    }

    fn branch(
        &mut self,
        _group_id: &[u8],
        _key_packages: &[Vec<u8>],
    ) -> Result<CommitBytes, Error> {
        Err(Self::not_offered(Feature::Branch))
    }

    fn join_branch(&mut self, _welcome: &[u8]) -> Result<(), Error> {
        Err(Self::not_offered(Feature::Branch))
    }

    fn commit_pending(&mut self) -> Result<CommitBytes, Error> {
        let (group, provider, signer) = self.parts()?;
        let (commit, welcome, _) = group
            .commit_to_pending_proposals(provider, signer)
            .map_err(|e| Error::openmls("commit to pending proposals", e))?;
        merged(group, provider, &commit, welcome.as_ref())
    }

    fn propose_self_remove(&mut self) -> Result<Vec<u8>, Error> {
        if !self.self_remove {
            return Err(Error::NotOffered {
                implementation: Implementation::OpenMls,
                what: "SelfRemove outside a SelfRemove scenario",
            });
        }
        let (group, provider, signer) = self.parts()?;
        let message = group
            .leave_group_via_self_remove(provider, signer)
            .map_err(|e| Error::openmls("leave group via SelfRemove", e))?;
        serialize(&message)
    }

    fn join_external_self_removes(
        &mut self,
        group_info: &[u8],
        self_removes: &[Vec<u8>],
    ) -> Result<Vec<u8>, Error> {
        let messages = self_removes
            .iter()
            .map(|bytes| match deserialize(bytes)?.extract() {
                MlsMessageBodyIn::PublicMessage(message) => Ok(message),
                _ => Err(Error::Harness(
                    "a SelfRemove must be a PublicMessage".into(),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.external_join(group_info, &[], messages, &[])
    }

    fn create_group_with_app_data(
        &mut self,
        group_id: &[u8],
        data: &[(u16, Vec<u8>)],
    ) -> Result<(), Error> {
        self.require_app_data()?;
        self.create(group_id, Some(app_data_extensions(data, false)?))
    }

    fn propose_app_data_update(
        &mut self,
        component: u16,
        update: Option<&[u8]>,
    ) -> Result<Vec<u8>, Error> {
        self.require_app_data()?;
        let propose = match update {
            Some(update) => Propose::UpdateAppDataComponent {
                component_id: component,
                update: update.to_vec(),
            },
            None => Propose::RemoveAppDataComponent {
                component_id: component,
            },
        };
        let (group, provider, signer) = self.parts()?;
        let (message, _) = group
            .propose(provider, signer, propose, ProposalOrRefType::Reference)
            .map_err(|e| Error::openmls("propose AppDataUpdate", e))?;
        serialize(&message)
    }

    fn commit_app_data(
        &mut self,
        updates: &[(u16, Option<Vec<u8>>)],
        ephemeral: &[(u16, Vec<u8>)],
    ) -> Result<CommitBytes, Error> {
        self.require_app_data()?;
        let (group, provider, signer) = self.parts()?;
        let mut builder = group.commit_builder().consume_proposal_store(true);
        for (component, update) in updates {
            builder = builder.add_proposal(Proposal::AppDataUpdate(Box::new(app_data_update(
                *component,
                update.as_deref(),
            ))));
        }
        for (component, data) in ephemeral {
            builder = builder.add_proposal(Proposal::AppEphemeral(Box::new(
                AppEphemeralProposal::new(*component, data.clone()),
            )));
        }
        let mut builder = builder
            .load_psks(provider.storage())
            .map_err(|e| Error::openmls("commit app data: load PSKs", e))?;
        // The committer gives the new dictionary entries: every AppDataUpdate of the commit,
        // those of the proposal store (by reference) and ours (by value).
        let mut updater = builder.app_data_dictionary_updater();
        for proposal in builder.app_data_update_proposals() {
            replace_app_data(&mut updater, proposal);
        }
        let changes = updater.changes();
        builder.with_app_data_dictionary_updates(changes);
        let bundle = builder
            .build(provider.rand(), provider.crypto(), signer, |_| true)
            .map_err(|e| Error::openmls("commit app data: build", e))?
            .stage_commit(provider)
            .map_err(|e| Error::openmls("commit app data: stage", e))?;
        let (commit, welcome, _) = bundle.into_messages();
        merged(group, provider, &commit, welcome.as_ref())
    }

    fn app_data(&self) -> Result<Option<AppData>, Error> {
        self.require_app_data()?;
        Ok(self
            .group()?
            .extensions()
            .app_data_dictionary()
            .map(|extension| {
                extension
                    .dictionary()
                    .entries()
                    .map(|entry| (entry.id(), entry.data().to_vec()))
                    .collect()
            }))
    }

    fn take_app_ephemeral(&mut self) -> Result<Vec<(u16, Vec<u8>)>, Error> {
        self.require_app_data()?;
        Ok(std::mem::take(&mut self.app_ephemeral))
    }

    fn safe_export_secret(&mut self, component: u16) -> Result<Vec<u8>, Error> {
        self.require_app_data()?;
        let (group, provider, _) = self.parts()?;
        group
            .safe_export_secret(provider.crypto(), provider.storage(), component)
            .map_err(|e| Error::openmls("safe export secret", e))
    }

    fn join_external_app_data(
        &mut self,
        group_info: &[u8],
        updates: &[(u16, Option<Vec<u8>>)],
    ) -> Result<Vec<u8>, Error> {
        self.require_app_data()?;
        self.external_join(group_info, &[], Vec::new(), updates)
    }

    fn register_application_psk(
        &mut self,
        component: u16,
        psk_id: &[u8],
        secret: &[u8],
    ) -> Result<(), Error> {
        // The store is keyed by the PSK alone: the nonce given here is not used.
        PreSharedKeyId::application(component, psk_id.to_vec(), Vec::new())
            .store(&self.provider, secret)
            .map_err(|e| Error::openmls("store application PSK", e))
    }

    fn propose_application_psk(&mut self, component: u16, psk_id: &[u8]) -> Result<Vec<u8>, Error> {
        let id = self.application_psk_id(component, psk_id)?;
        self.propose_psk_id(id)
    }

    fn commit_application_psk(
        &mut self,
        component: u16,
        psk_id: &[u8],
    ) -> Result<CommitBytes, Error> {
        let id = self.application_psk_id(component, psk_id)?;
        self.commit_psk_id(id)
    }

    fn encrypt_with_safe_aad(
        &mut self,
        data: &[u8],
        items: &[(u16, Vec<u8>)],
    ) -> Result<Vec<u8>, Error> {
        let items = items
            .iter()
            .map(|(component, bytes)| SafeAadItem::new(*component, bytes.clone()))
            .collect();
        let (group, provider, signer) = self.parts()?;
        // Staged for the next message only; OpenMLS puts the SafeAAD before the
        // application's own AAD (none here).
        group
            .set_safe_aad(items)
            .map_err(|e| Error::openmls("set Safe AAD", e))?;
        let message = group
            .create_message(provider, signer, data)
            .map_err(|e| Error::openmls("create message", e))?;
        serialize(&message)
    }

    fn last_safe_aad(&self) -> Result<Option<SafeAadItems>, Error> {
        Ok(self.last_safe_aad.clone())
    }

    fn last_resort_key_package(&mut self) -> Result<Vec<u8>, Error> {
        // OpenMLS's marking: the `last_resort` KeyPackage extension, which also keeps the
        // bundle in storage after a Welcome uses it.
        // OpenMLS refuses a KeyPackage whose extensions its leaf does not list, its own
        // last-resort marking included, and `mark_as_last_resort` does not list it.
        let bundle = KeyPackage::builder()
            .leaf_node_capabilities(self.capabilities_with(&[ExtensionType::LastResort]))
            .mark_as_last_resort()
            .build(
                self.suite,
                &self.provider,
                &self.signer,
                self.credential.clone(),
            )
            .map_err(|e| Error::openmls("last-resort key package", e))?;
        serialize(&MlsMessageOut::from(bundle.key_package().clone()))
    }

    fn is_last_resort(&self, key_package: &[u8]) -> Result<bool, Error> {
        let MlsMessageBodyIn::KeyPackage(kp) = deserialize(key_package)?.extract() else {
            return Err(Error::Harness("is_last_resort takes a KeyPackage".into()));
        };
        let kp = kp
            .validate(self.provider.crypto(), ProtocolVersion::Mls10)
            .map_err(|e| Error::openmls("validate key package", e))?;
        Ok(kp.last_resort())
    }

    fn forget_group(&mut self) -> Result<(), Error> {
        self.group()?;
        self.group = None;
        Ok(())
    }

    fn encrypt(&mut self, data: &[u8]) -> Result<Vec<u8>, Error> {
        let (group, provider, signer) = self.parts()?;
        let message = group
            .create_message(provider, signer, data)
            .map_err(|e| Error::openmls("create message", e))?;
        serialize(&message)
    }

    fn epoch(&self) -> Result<u64, Error> {
        Ok(self.group()?.epoch().as_u64())
    }

    fn own_leaf(&self) -> Result<u32, Error> {
        Ok(self.group()?.own_leaf_index().u32())
    }

    fn epoch_authenticator(&self) -> Result<Vec<u8>, Error> {
        Ok(self.group()?.epoch_authenticator().as_slice().to_vec())
    }

    fn export(&self, label: &[u8], context: &[u8], length: usize) -> Result<Vec<u8>, Error> {
        // OpenMLS takes the label as a string.
        let label = std::str::from_utf8(label)
            .map_err(|_| Error::Harness("OpenMLS exporter labels must be UTF-8".into()))?;
        self.group()?
            .export_secret(self.provider.crypto(), label, context, length)
            .map_err(|e| Error::openmls("export secret", e))
    }
}

/// An external sender (RFC 9420 §12.1.8) on OpenMLS: a signature key pair and a basic
/// credential, proposing with `ExternalProposal`.
pub struct OpenMlsExternalSender {
    identity: String,
    provider: OpenMlsRustCrypto,
    signer: SignatureKeyPair,
}

impl std::fmt::Debug for OpenMlsExternalSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenMlsExternalSender")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl OpenMlsExternalSender {
    /// An OpenMLS external sender named `identity` for cipher suite `suite`.
    ///
    /// # Errors
    /// [`Error::UnsupportedSuite`]; a failure making the signing key.
    pub fn new(identity: &str, suite: u16) -> Result<Self, Error> {
        let unsupported = || Error::UnsupportedSuite {
            implementation: Implementation::OpenMls,
            suite,
        };
        let cs = Ciphersuite::try_from(suite).map_err(|_| unsupported())?;
        let provider = OpenMlsRustCrypto::default();
        if provider.crypto().supports(cs).is_err() {
            return Err(unsupported());
        }
        let signer = SignatureKeyPair::new(cs.signature_algorithm())
            .map_err(|e| Error::openmls("signature key", e))?;
        Ok(Self {
            identity: identity.to_owned(),
            provider,
            signer,
        })
    }
}

/// The (unverified) GroupInfo of a GroupInfo `MLSMessage`: the external sender needs only its
/// group id and epoch.
fn group_info_of(
    bytes: &[u8],
) -> Result<openmls::messages::group_info::VerifiableGroupInfo, Error> {
    match deserialize(bytes)?.extract() {
        MlsMessageBodyIn::GroupInfo(group_info) => Ok(group_info),
        _ => Err(Error::Harness("expected a GroupInfo".into())),
    }
}

impl ExternalSender for OpenMlsExternalSender {
    fn implementation(&self) -> Implementation {
        Implementation::OpenMls
    }

    fn entry(&self) -> ExternalSenderEntry {
        ExternalSenderEntry {
            signature_key: self.signer.public().to_vec(),
            identity: self.identity.as_bytes().to_vec(),
        }
    }

    fn propose_add(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        key_package: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let group_info = group_info_of(group_info)?;
        let MlsMessageBodyIn::KeyPackage(kp) = deserialize(key_package)?.extract() else {
            return Err(Error::Harness("propose_add takes a KeyPackage".into()));
        };
        let kp = kp
            .validate(self.provider.crypto(), ProtocolVersion::Mls10)
            .map_err(|e| Error::openmls("validate key package", e))?;
        let message = ExternalProposal::new_add::<OpenMlsRustCrypto>(
            kp,
            group_info.group_id().clone(),
            group_info.epoch(),
            &self.signer,
            SenderExtensionIndex::new(sender_index),
        )
        .map_err(|e| Error::openmls("external Add proposal", e))?;
        serialize(&message)
    }

    fn propose_remove(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        leaf: u32,
    ) -> Result<Vec<u8>, Error> {
        let group_info = group_info_of(group_info)?;
        let message = ExternalProposal::new_remove::<OpenMlsRustCrypto>(
            LeafNodeIndex::new(leaf),
            group_info.group_id().clone(),
            group_info.epoch(),
            &self.signer,
            SenderExtensionIndex::new(sender_index),
        )
        .map_err(|e| Error::openmls("external Remove proposal", e))?;
        serialize(&message)
    }

    fn propose_psk(
        &mut self,
        _group_info: &[u8],
        _sender_index: u32,
        _psk: usize,
    ) -> Result<Vec<u8>, Error> {
        Err(OpenMlsMember::not_offered(Feature::ExternalSenderPsk))
    }

    fn propose_resumption_psk(
        &mut self,
        _group_info: &[u8],
        _sender_index: u32,
        _epoch: u64,
    ) -> Result<Vec<u8>, Error> {
        Err(OpenMlsMember::not_offered(Feature::ExternalSenderPsk))
    }

    fn propose_group_extensions(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        senders: &[ExternalSenderEntry],
    ) -> Result<Vec<u8>, Error> {
        let group_info = group_info_of(group_info)?;
        let list = senders
            .iter()
            .map(|e| {
                OpenMlsExternalSenderEntry::new(
                    SignaturePublicKey::from(e.signature_key.clone()),
                    BasicCredential::new(e.identity.clone()).into(),
                )
            })
            .collect();
        let required = RequiredCapabilitiesExtension::new(&[], &[], &[CredentialType::Basic]);
        let extensions = Extensions::from_vec(vec![
            Extension::ExternalSenders(list),
            Extension::RequiredCapabilities(required),
        ])
        .map_err(|e| Error::openmls("group context extensions", e))?;
        let message = ExternalProposal::new_group_context_extensions::<OpenMlsRustCrypto>(
            extensions,
            group_info.group_id().clone(),
            group_info.epoch(),
            &self.signer,
            SenderExtensionIndex::new(sender_index),
        )
        .map_err(|e| Error::openmls("external GroupContextExtensions proposal", e))?;
        serialize(&message)
    }

    fn propose_reinit(
        &mut self,
        _group_info: &[u8],
        _sender_index: u32,
        _spec: &ReInitSpec,
    ) -> Result<Vec<u8>, Error> {
        Err(OpenMlsMember::not_offered(Feature::ReInit))
    }
}

/// An AppDataUpdate proposal for `component`: `Some(update)` replaces its data, `None`
/// removes it.
fn app_data_update(component: u16, update: Option<&[u8]>) -> AppDataUpdateProposal {
    match update {
        Some(update) => AppDataUpdateProposal::update(component, update.to_vec()),
        None => AppDataUpdateProposal::remove(component),
    }
}

/// Records `proposal` in `updater` with the replace semantics every member of the `app-data`
/// scenario uses: an `update` is the component's new data (the last of a commit counts, as the
/// proposals come in commit order within a component), a `remove` removes it.
fn replace_app_data(updater: &mut AppDataDictionaryUpdater<'_>, proposal: &AppDataUpdateProposal) {
    let component = proposal.component_id();
    match proposal.operation() {
        AppDataUpdateOperation::Update(update) => {
            updater.set(ComponentData::from_parts(component, update.clone()));
        }
        AppDataUpdateOperation::Remove => updater.remove(&component),
    }
}

/// GroupContext extensions requiring `app_data_dictionary` and AppDataUpdate, with a
/// dictionary holding `data`: last, as the scenarios keep it (OpenMLS re-appends it at the end
/// of the list whenever it applies AppDataUpdates, where the draft changes it in place,
/// docs/interop.md), or first when `dictionary_first`, to show that deviation.
fn app_data_extensions(
    data: &[(u16, Vec<u8>)],
    dictionary_first: bool,
) -> Result<Extensions<GroupContext>, Error> {
    let mut dictionary = AppDataDictionary::new();
    for (component, bytes) in data {
        let _ = dictionary.insert(*component, bytes.clone());
    }
    let required = Extension::RequiredCapabilities(RequiredCapabilitiesExtension::new(
        &[ExtensionType::AppDataDictionary],
        &[ProposalType::AppDataUpdate],
        &[],
    ));
    let dictionary = Extension::AppDataDictionary(AppDataDictionaryExtension::new(dictionary));
    let list = if dictionary_first {
        vec![dictionary, required]
    } else {
        vec![required, dictionary]
    };
    Extensions::from_vec(list).map_err(|e| Error::openmls("group context extensions", e))
}

/// Merges `group`'s pending commit, and returns the commit and its Welcome as bytes.
fn merged(
    group: &mut MlsGroup,
    provider: &OpenMlsRustCrypto,
    commit: &MlsMessageOut,
    welcome: Option<&MlsMessageOut>,
) -> Result<CommitBytes, Error> {
    group
        .merge_pending_commit(provider)
        .map_err(|e| Error::openmls("merge pending commit", e))?;
    Ok(CommitBytes {
        commit: serialize(commit)?,
        welcome: welcome.map(serialize).transpose()?,
    })
}

/// An OpenMLS message as TLS bytes.
fn serialize(message: &MlsMessageOut) -> Result<Vec<u8>, Error> {
    message
        .tls_serialize_detached()
        .map_err(|e| Error::openmls("serialize", e))
}

/// TLS bytes as an OpenMLS incoming message; the whole input must be consumed.
fn deserialize(bytes: &[u8]) -> Result<MlsMessageIn, Error> {
    MlsMessageIn::tls_deserialize_exact(bytes).map_err(|e| Error::openmls("deserialize", e))
}
