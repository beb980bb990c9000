//! [`Member`] on the published `openmls` crate, with `openmls_rust_crypto` (suites 1, 2 and 3)
//! and `openmls_basic_credential`.
//!
//! OpenMLS encrypts handshake messages by default and rejects PublicMessage commits; cohort and
//! mls-rs send PublicMessage commits, so the groups here use the mixed-plaintext policy (send
//! PublicMessage handshakes, accept both). The ratchet tree goes in the Welcome's GroupInfo.

use openmls::group::GroupId;
use openmls::prelude::tls_codec::{Deserialize, Serialize};
use openmls::prelude::{
    BasicCredential, Capabilities, Ciphersuite, CredentialType, CredentialWithKey, Extension,
    ExtensionType, Extensions, KeyPackage, LeafNodeIndex, LeafNodeParameters,
    MIXED_CIPHERTEXT_WIRE_FORMAT_POLICY, MIXED_PLAINTEXT_WIRE_FORMAT_POLICY, MlsGroup,
    MlsGroupCreateConfig, MlsGroupJoinConfig, MlsMessageBodyIn, MlsMessageIn, MlsMessageOut,
    OpenMlsCrypto, OpenMlsProvider, PreSharedKeyProposal, ProcessedMessageContent, Proposal,
    ProtocolVersion, RequiredCapabilitiesExtension, StagedWelcome, UnknownExtension,
    WireFormatPolicy,
};
use openmls::schedule::{ExternalPsk, PreSharedKeyId, Psk};
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;

use crate::member::{
    CommitBytes, Error, HARNESS_EXTENSION, HARNESS_PSKS, Implementation, Incoming, Member,
    MemberOptions, harness_psk,
};

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
        })
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

    /// Our capabilities: OpenMLS's defaults plus [`HARNESS_EXTENSION`].
    fn capabilities() -> Capabilities {
        Capabilities::builder()
            .extensions(vec![ExtensionType::Unknown(HARNESS_EXTENSION)])
            .build()
    }

    /// Leaf parameters for our new leaves (keeping our capabilities).
    fn leaf_parameters() -> LeafNodeParameters {
        LeafNodeParameters::builder()
            .with_capabilities(Self::capabilities())
            .build()
    }

    /// A PreSharedKeyID for harness PSK `psk`, with a fresh nonce.
    fn psk_id(&self, psk: usize) -> Result<PreSharedKeyId, Error> {
        let (id, _) = harness_psk(psk)?;
        PreSharedKeyId::new(
            self.suite,
            self.provider.rand(),
            Psk::External(ExternalPsk::new(id.to_vec())),
        )
        .map_err(|e| Error::openmls("PSK nonce", e))
    }

    fn join_config(&self) -> MlsGroupJoinConfig {
        MlsGroupJoinConfig::builder()
            .wire_format_policy(self.policy)
            .use_ratchet_tree_extension(true)
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
            .leaf_node_capabilities(Self::capabilities())
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
        if self.group.is_some() {
            return Err(Error::Harness(format!(
                "{} (openmls) is in a group already",
                self.identity
            )));
        }
        let config = MlsGroupCreateConfig::builder()
            .ciphersuite(self.suite)
            .capabilities(Self::capabilities())
            .wire_format_policy(self.policy)
            .use_ratchet_tree_extension(true)
            .build();
        let group = MlsGroup::new_with_group_id(
            &self.provider,
            &self.signer,
            &config,
            GroupId::from_slice(group_id),
            self.credential.clone(),
        )
        .map_err(|e| Error::openmls("create group", e))?;
        self.group = Some(group);
        Ok(())
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
        group
            .merge_pending_commit(provider)
            .map_err(|e| Error::openmls("merge pending commit", e))?;
        Ok(CommitBytes {
            commit: serialize(&commit)?,
            welcome: Some(serialize(&welcome)?),
        })
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

    fn join_external(&mut self, group_info: &[u8]) -> Result<Vec<u8>, Error> {
        if self.group.is_some() {
            return Err(Error::Harness(format!(
                "{} (openmls) is in a group already",
                self.identity
            )));
        }
        let MlsMessageBodyIn::GroupInfo(group_info) = deserialize(group_info)?.extract() else {
            return Err(Error::Harness("join_external takes a GroupInfo".into()));
        };
        let (group, bundle) = MlsGroup::external_commit_builder()
            .with_config(self.join_config())
            .build_group(&self.provider, group_info, self.credential.clone())
            .map_err(|e| Error::openmls("external commit: build group", e))?
            .leaf_node_parameters(Self::leaf_parameters())
            .load_psks(self.provider.storage())
            .map_err(|e| Error::openmls("external commit: load PSKs", e))?
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

    fn process(&mut self, message: &[u8]) -> Result<Incoming, Error> {
        let message = deserialize(message)?
            .try_into_protocol_message()
            .map_err(|e| Error::openmls("not a protocol message", e))?;
        let (group, provider, _) = self.parts()?;
        let processed = group
            .process_message(provider, message)
            .map_err(|e| Error::openmls("process message", e))?;
        match processed.into_content() {
            ProcessedMessageContent::ApplicationMessage(app) => {
                Ok(Incoming::Application(app.into_bytes()))
            }
            ProcessedMessageContent::StagedCommitMessage(staged) => {
                let removed_us = staged.self_removed();
                group
                    .merge_staged_commit(provider, *staged)
                    .map_err(|e| Error::openmls("merge staged commit", e))?;
                Ok(Incoming::Commit { removed_us })
            }
            ProcessedMessageContent::ProposalMessage(proposal) => {
                group
                    .store_pending_proposal(provider.storage(), *proposal)
                    .map_err(|e| Error::openmls("store proposal", e))?;
                Ok(Incoming::Proposal)
            }
            other => Err(Error::Harness(format!(
                "openmls returned an unexpected result: {}",
                match other {
                    ProcessedMessageContent::ExternalJoinProposalMessage(_) => "external join",
                    ProcessedMessageContent::OwnPendingCommit => "own pending commit",
                    ProcessedMessageContent::OwnPrivateMessage => "own private message",
                    _ => "another kind",
                }
            ))),
        }
    }

    fn self_update(&mut self) -> Result<Vec<u8>, Error> {
        let (group, provider, signer) = self.parts()?;
        let bundle = group
            .self_update(provider, signer, Self::leaf_parameters())
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
        let (group, provider, signer) = self.parts()?;
        let (message, _) = group
            .propose_self_update(provider, signer, Self::leaf_parameters())
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
        let (group, provider, signer) = self.parts()?;
        let (message, _) = group
            .propose_pre_shared_key(provider, signer, id)
            .map_err(|e| Error::openmls("propose PSK", e))?;
        serialize(&message)
    }

    fn commit_psk(&mut self, psk: usize) -> Result<CommitBytes, Error> {
        let id = self.psk_id(psk)?;
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
        group
            .merge_pending_commit(provider)
            .map_err(|e| Error::openmls("merge pending commit", e))?;
        let (commit, welcome, _) = bundle.into_messages();
        Ok(CommitBytes {
            commit: serialize(&commit)?,
            welcome: welcome.as_ref().map(serialize).transpose()?,
        })
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

    fn commit_pending(&mut self) -> Result<CommitBytes, Error> {
        let (group, provider, signer) = self.parts()?;
        let (commit, welcome, _) = group
            .commit_to_pending_proposals(provider, signer)
            .map_err(|e| Error::openmls("commit to pending proposals", e))?;
        group
            .merge_pending_commit(provider)
            .map_err(|e| Error::openmls("merge pending commit", e))?;
        Ok(CommitBytes {
            commit: serialize(&commit)?,
            welcome: welcome.as_ref().map(serialize).transpose()?,
        })
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
