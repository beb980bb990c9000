//! [`Member`] on cohort's facade (`cohort::Client` and its group handles), with the RustCrypto
//! backend (suites 1 to 7) and the in-memory store: the code applications run is the code the
//! peers meet.

use std::sync::Arc;

use cohort::codec::{Decode, DecodeOptions, Encode};
use cohort::credential::{Credential, CredentialType};
use cohort::crypto::{CipherSuite, CryptoProvider, SignaturePublicKey, Signer, SoftwareSigner};
use cohort::group::components::{
    app_data_update, app_ephemeral, is_last_resort, parse_safe_aad, safe_aad_active,
};
use cohort::group::{HandshakeFormat, ReplaceAppData};
use cohort::messages::components::{AppDataDictionary, ComponentId, SafeAad, SafeAadItem};
use cohort::messages::extensions::{ExtensionPayload, RequiredCapabilities};
use cohort::messages::extensions::{ExternalSender as ExternalSenderExt, ExternalSenders};
use cohort::messages::group_info::GroupInfo;
use cohort::messages::proposal::{
    Add, GroupContextExtensions, PreSharedKey, Proposal, ReInit, Remove,
};
use cohort::messages::psk::{Psk, ResumptionPskUsage};
use cohort::messages::{MlsMessage, MlsMessageBody};
use cohort::storage::Zeroizing;
use cohort::storage::memory::MemoryStore;
use cohort::tree::extension::{Extension, ExtensionType};
use cohort::tree::leaf::{Capabilities, ProposalType, ProtocolVersion};
use cohort::tree::math::LeafIndex;
use cohort::{Client, ClientGroup, ExternalJoinOptions, MessagePolicy, Padding, Received};

use crate::member::{
    APP_COMPONENTS, AppData, CommitBytes, Error, ExternalSender, ExternalSenderEntry,
    HARNESS_EXTENSION, HARNESS_PSKS, Implementation, Incoming, Member, MemberOptions, ReInitSpec,
    SELF_REMOVE_MLS_RS, SafeAadItems, harness_psk,
};

/// How many days cohort's KeyPackages stay valid.
const KEY_PACKAGE_DAYS: u64 = 30;

/// A cohort client with at most one group.
pub struct CohortMember {
    identity: String,
    provider: Arc<dyn CryptoProvider>,
    /// The client, with cohort's default group configuration (its lifetime policy accepts the
    /// peers' KeyPackages: F-1 and F-5 in `interop/FINDINGS.md`).
    client: Client,
    /// Its signer, for the new-member proposals the facade leaves to the application.
    signer: Arc<SoftwareSigner>,
    group: Option<ClientGroup>,
    options: MemberOptions,
    /// How incoming messages are decoded: with mls-rs's SelfRemove type as an alias when the
    /// member is set up for it.
    decode: DecodeOptions,
    /// After a ReInit to another cipher suite: a client of ours in that suite, for the new
    /// group, which becomes ours once we move there.
    next: Option<(CipherSuite, Client, Arc<SoftwareSigner>)>,
    /// The AppEphemeral data (component id, data) of the commits processed since
    /// [`Member::take_app_ephemeral`] last took it.
    app_ephemeral: Vec<(u16, Vec<u8>)>,
    /// The SafeAAD items of the last message processed, where the group asked for a SafeAAD.
    last_safe_aad: Option<SafeAadItems>,
}

impl std::fmt::Debug for CohortMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CohortMember")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// cohort's RustCrypto provider as the interop suite runs it: the seven suites of RFC 9420, and
/// the post-quantum suites also at OpenMLS's code points, with OpenMLS 0.9's key derivation for
/// those (`PqCodePoints::OPENMLS`, see `docs/interop.md`).
pub fn interop_provider() -> Arc<dyn CryptoProvider> {
    Arc::new(cohort::crypto::rustcrypto::provider_with_pq_code_points(
        cohort::crypto::PqCodePoints::OPENMLS,
    ))
}

impl CohortMember {
    /// A cohort client named `identity` for cipher suite `suite`.
    ///
    /// # Errors
    /// [`Error::UnsupportedSuite`]; a crypto failure making the signing key.
    pub fn new(identity: &str, suite: u16, options: MemberOptions) -> Result<Self, Error> {
        let provider = interop_provider();
        let (client, signer) = new_client(&provider, identity, CipherSuite(suite), options)?;
        let alias = options
            .self_remove
            .filter(|code_point| *code_point == SELF_REMOVE_MLS_RS);
        Ok(Self {
            identity: identity.to_owned(),
            provider,
            client,
            signer,
            group: None,
            options,
            decode: DecodeOptions::default().with_self_remove_alias(alias),
            next: None,
            app_ephemeral: Vec::new(),
            last_safe_aad: None,
        })
    }

    /// The cipher suite of the pending ReInit, with a client of ours in it: a new one, kept
    /// in `next`, when the suite is not ours.
    fn reinit_client(&mut self) -> Result<Client, Error> {
        let suite = self
            .group()?
            .pending_reinit()
            .ok_or_else(|| Error::Harness("cohort: no ReInit is pending".into()))?
            .cipher_suite;
        if suite == self.group()?.group().context().cipher_suite {
            return Ok(self.client.clone());
        }
        if let Some((s, client, _)) = &self.next {
            if *s == suite {
                return Ok(client.clone());
            }
        }
        let (client, signer) = new_client(&self.provider, &self.identity, suite, self.options)?;
        self.next = Some((suite, client.clone(), signer));
        Ok(client)
    }

    /// Moves to `group`: when it is a group of the client made for a ReInit, that client and
    /// its signer become ours.
    fn move_to(&mut self, group: ClientGroup) {
        let suite = group.group().context().cipher_suite;
        if let Some((s, client, signer)) = self.next.take() {
            if s == suite {
                self.client = client;
                self.signer = signer;
            } else {
                self.next = Some((s, client, signer));
            }
        }
        self.group = Some(group);
    }

    fn group(&self) -> Result<&ClientGroup, Error> {
        self.group
            .as_ref()
            .ok_or_else(|| Error::Harness(format!("{} (cohort) is in no group", self.identity)))
    }

    fn group_mut(&mut self) -> Result<&mut ClientGroup, Error> {
        let identity = &self.identity;
        self.group
            .as_mut()
            .ok_or_else(|| Error::Harness(format!("{identity} (cohort) is in no group")))
    }

    fn no_group_yet(&self) -> Result<(), Error> {
        match self.group {
            Some(_) => Err(Error::Harness(format!(
                "{} (cohort) is in a group already",
                self.identity
            ))),
            None => Ok(()),
        }
    }

    /// Commits `proposals` by value with every cached proposal, merged at once.
    fn commit_now(&mut self, proposals: Vec<Proposal>) -> Result<CommitBytes, Error> {
        let group = self.group_mut()?;
        let out = group.commit(proposals, now())?;
        group.merge_pending_commit()?;
        commit_bytes(&out)
    }

    /// The harness's external PSK `psk` as a PreSharedKey proposal.
    fn psk_proposal(&self, psk: usize) -> Result<Proposal, Error> {
        let (id, _) = harness_psk(psk)?;
        Ok(self.group()?.external_psk_proposal(id)?)
    }

    /// Joins by external commit from `group_info` (`MLSMessage` bytes) with `options`;
    /// returns the commit.
    fn external_join(
        &mut self,
        group_info: &[u8],
        options: ExternalJoinOptions,
    ) -> Result<Vec<u8>, Error> {
        self.no_group_yet()?;
        let group_info = MlsMessage::from_bytes(group_info)?;
        let (group, commit) =
            self.client
                .join_by_external_commit_with(&group_info, options, now())?;
        self.group = Some(group);
        Ok(commit.to_bytes()?)
    }

    /// Joins the group of `welcome` that resumes our current group (a reinit or a branch,
    /// RFC 9420 §11), as `client`, and moves to it.
    fn join_resumed(&mut self, client: &Client, welcome: &[u8]) -> Result<(), Error> {
        let welcome = MlsMessage::from_bytes(welcome)?;
        let group = client.join_resumed(&welcome, None, self.group()?, now())?;
        self.move_to(group);
        Ok(())
    }
}

/// A client of ours in `suite`, with the harness's capabilities, framing and PSKs.
fn new_client(
    provider: &Arc<dyn CryptoProvider>,
    identity: &str,
    suite: CipherSuite,
    options: MemberOptions,
) -> Result<(Client, Arc<SoftwareSigner>), Error> {
    let ops = provider.suite(suite).ok_or(Error::UnsupportedSuite {
        implementation: Implementation::Cohort,
        suite: suite.0,
    })?;
    let signer = Arc::new(SoftwareSigner::generate(ops)?);
    // The facade's default lists SelfRemove at the draft's code point; this list replaces it,
    // so it keeps that and adds mls-rs's when the member plays SelfRemove with mls-rs.
    let mut capabilities = Capabilities::default();
    capabilities
        .extensions
        .push(ExtensionType(HARNESS_EXTENSION));
    capabilities.proposals.push(ProposalType::SELF_REMOVE);
    if options.self_remove == Some(SELF_REMOVE_MLS_RS) {
        capabilities
            .proposals
            .push(ProposalType::SELF_REMOVE_MLS_RS);
    }
    if options.app_data {
        capabilities
            .extensions
            .push(ExtensionType::APP_DATA_DICTIONARY);
        capabilities
            .proposals
            .extend([ProposalType::APP_DATA_UPDATE, ProposalType::APP_EPHEMERAL]);
    }
    let format = if options.private_handshakes {
        HandshakeFormat::Private
    } else {
        HandshakeFormat::Public
    };
    // Application messages padded to a multiple of 32 bytes, so that the peers strip real
    // padding from cohort's messages (RFC 9420 §6.3.1).
    let policy = MessagePolicy::default()
        .handshake_format(format)
        .padding(Padding::ToMultipleOf(32));
    let mut builder = Client::builder(provider.clone());
    if options.app_data {
        // Replace semantics: an AppDataUpdate's `update` is the component's new data.
        builder = builder.app_components(Arc::new(ReplaceAppData::new(
            APP_COMPONENTS.map(ComponentId),
        )));
    }
    let client = builder
        .cipher_suite(suite)
        .signer(signer.clone())
        .credential(Credential::basic(identity.as_bytes().to_vec()))
        .capabilities(capabilities)
        .key_package_days(KEY_PACKAGE_DAYS)
        .message_policy(policy)
        .build(Arc::new(MemoryStore::new()))?;
    for (id, secret) in HARNESS_PSKS {
        client.register_psk(id, Zeroizing::new(secret.to_vec()))?;
    }
    Ok((client, signer))
}

/// A commit's messages as bytes.
fn commit_bytes(out: &cohort::group::CommitOutput) -> Result<CommitBytes, Error> {
    Ok(CommitBytes {
        commit: out.commit.to_bytes()?,
        welcome: out.welcome.as_ref().map(|w| w.to_bytes()).transpose()?,
    })
}

/// The `MLSMessage`s of `key_packages` (bytes).
fn messages(key_packages: &[Vec<u8>]) -> Result<Vec<MlsMessage>, Error> {
    key_packages
        .iter()
        .map(|bytes| Ok(MlsMessage::from_bytes(bytes)?))
        .collect()
}

impl Member for CohortMember {
    fn implementation(&self) -> Implementation {
        Implementation::Cohort
    }

    fn identity(&self) -> &str {
        &self.identity
    }

    fn key_package(&mut self) -> Result<Vec<u8>, Error> {
        Ok(self.client.generate_key_package(now())?.to_bytes()?)
    }

    fn create_group(&mut self, group_id: &[u8]) -> Result<(), Error> {
        self.no_group_yet()?;
        self.group = Some(self.client.create_group(group_id, now())?);
        Ok(())
    }

    fn add_members(&mut self, key_packages: &[Vec<u8>]) -> Result<CommitBytes, Error> {
        let kps = messages(key_packages)?;
        let group = self.group_mut()?;
        let out = group.add_members(&kps, now())?;
        group.merge_pending_commit()?;
        if out.welcome.is_none() {
            return Err(Error::Harness("cohort made no Welcome for an add".into()));
        }
        commit_bytes(&out)
    }

    fn join(&mut self, welcome: &[u8]) -> Result<(), Error> {
        self.no_group_yet()?;
        let welcome = MlsMessage::from_bytes(welcome)?;
        self.group = Some(self.client.join(&welcome, None, now())?);
        Ok(())
    }

    fn group_info(&mut self) -> Result<Vec<u8>, Error> {
        Ok(self.group()?.group_info()?.to_bytes()?)
    }

    fn join_external(
        &mut self,
        group_info: &[u8],
        psk_numbers: &[usize],
    ) -> Result<Vec<u8>, Error> {
        let psk_ids = psk_numbers
            .iter()
            .map(|i| harness_psk(*i).map(|(id, _)| id.to_vec()))
            .collect::<Result<Vec<_>, _>>()?;
        self.external_join(group_info, ExternalJoinOptions::default().psks(psk_ids))
    }

    fn process(&mut self, message: &[u8]) -> Result<Incoming, Error> {
        let message = MlsMessage::from_bytes_with(message, self.decode)?;
        // Where the group's dictionary has the `safe_aad` component, cohort checks that the
        // authenticated data starts with a SafeAAD; the harness reads the items with
        // `parse_safe_aad` from what cohort returns (application data) or from the message it
        // checked (handshakes, whose authenticated data the facade does not return).
        self.last_safe_aad = None;
        let framed = safe_aad_active(self.group()?.group().context());
        let mut aad = message_authenticated_data(&message);
        let group = self.group_mut()?;
        let incoming = match group.process_message(message, now())? {
            Received::Application {
                data,
                authenticated_data,
                ..
            } => {
                aad = authenticated_data;
                Incoming::Application(data)
            }
            Received::Proposal { .. } => Incoming::Proposal,
            Received::Commit(staged) => {
                let summary = staged.summary();
                let removed_us = summary.removes_us;
                let ephemeral: Vec<(u16, Vec<u8>)> = summary
                    .app_ephemeral
                    .iter()
                    .map(|e| (e.component_id.0, e.data.as_slice().to_vec()))
                    .collect();
                group.merge_staged(*staged)?;
                self.app_ephemeral.extend(ephemeral);
                Incoming::Commit { removed_us }
            }
            _ => return Err(Error::Harness("cohort returned an unknown result".into())),
        };
        if framed {
            let (safe_aad, _tail) = parse_safe_aad(&aad).map_err(cohort::Error::from)?;
            self.last_safe_aad = Some(
                safe_aad
                    .items()
                    .iter()
                    .map(|item| (item.component_id.0, item.aad_item_data.as_slice().to_vec()))
                    .collect(),
            );
        }
        Ok(incoming)
    }

    fn self_update(&mut self) -> Result<Vec<u8>, Error> {
        let group = self.group_mut()?;
        let out = group.self_update(now())?;
        group.merge_pending_commit()?;
        Ok(out.commit.to_bytes()?)
    }

    fn remove(&mut self, leaf: u32) -> Result<Vec<u8>, Error> {
        let group = self.group_mut()?;
        let out = group.remove_members(&[LeafIndex(leaf)], now())?;
        group.merge_pending_commit()?;
        Ok(out.commit.to_bytes()?)
    }

    fn propose_update(&mut self) -> Result<Vec<u8>, Error> {
        Ok(self.group_mut()?.propose_update(now())?.to_bytes()?)
    }

    fn propose_remove(&mut self, leaf: u32) -> Result<Vec<u8>, Error> {
        Ok(self
            .group_mut()?
            .propose_remove(LeafIndex(leaf), now())?
            .to_bytes()?)
    }

    fn propose_psk(&mut self, psk: usize) -> Result<Vec<u8>, Error> {
        let (id, _) = harness_psk(psk)?;
        Ok(self
            .group_mut()?
            .propose_external_psk(id, now())?
            .to_bytes()?)
    }

    fn commit_psk(&mut self, psk: usize) -> Result<CommitBytes, Error> {
        let proposal = self.psk_proposal(psk)?;
        self.commit_now(vec![proposal])
    }

    fn commit_require_basic(&mut self) -> Result<Vec<u8>, Error> {
        let proposal = Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: vec![require_basic()?],
        });
        Ok(self.commit_now(vec![proposal])?.commit)
    }

    fn commit_custom_extension(&mut self, data: &[u8]) -> Result<Vec<u8>, Error> {
        let proposal = Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: vec![Extension {
                extension_type: ExtensionType(HARNESS_EXTENSION),
                extension_data: data.to_vec().into(),
            }],
        });
        Ok(self.commit_now(vec![proposal])?.commit)
    }

    fn commit_external_senders(
        &mut self,
        senders: &[ExternalSenderEntry],
    ) -> Result<Vec<u8>, Error> {
        let proposal = Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: vec![external_senders_extension(senders)?],
        });
        Ok(self.commit_now(vec![proposal])?.commit)
    }

    fn propose_resumption_psk(&mut self, epoch: u64) -> Result<Vec<u8>, Error> {
        let group = self.group_mut()?;
        let proposal = group.resumption_psk_proposal(epoch)?;
        Ok(group.propose(proposal, now())?.to_bytes()?)
    }

    fn commit_resumption_psk(&mut self, epoch: u64) -> Result<CommitBytes, Error> {
        let proposal = self.group()?.resumption_psk_proposal(epoch)?;
        self.commit_now(vec![proposal])
    }

    fn propose_reinit(&mut self, spec: &ReInitSpec) -> Result<Vec<u8>, Error> {
        let group = self.group_mut()?;
        Ok(group.propose(reinit_proposal(spec), now())?.to_bytes()?)
    }

    fn propose_join(&mut self, group_info: &[u8]) -> Result<Vec<u8>, Error> {
        self.no_group_yet()?;
        let group_info = parse_group_info(group_info)?;
        // The KeyPackage's private keys are stored by the client, for the Welcome that follows.
        let MlsMessageBody::KeyPackage(key_package) = self.client.generate_key_package(now())?.body
        else {
            return Err(Error::Harness("cohort: not a KeyPackage".into()));
        };
        Ok(cohort::group::new_member_proposal(
            &*self.provider,
            &*self.signer,
            &group_info.group_context,
            key_package,
            &[],
        )
        .map_err(cohort::Error::from)?
        .to_bytes()?)
    }

    fn reinit_key_package(&mut self) -> Result<Vec<u8>, Error> {
        let client = self.reinit_client()?;
        Ok(client.generate_key_package(now())?.to_bytes()?)
    }

    fn reinit_create(&mut self, key_packages: &[Vec<u8>]) -> Result<CommitBytes, Error> {
        let kps = messages(key_packages)?;
        let client = self.reinit_client()?;
        let (group, out) = self.group()?.reinit(&client, &kps, now())?;
        let bytes = commit_bytes(&out)?;
        self.move_to(group);
        Ok(bytes)
    }

    fn reinit_join(&mut self, welcome: &[u8]) -> Result<(), Error> {
        if self.group()?.pending_reinit().is_none() {
            return Err(Error::Harness("cohort: no ReInit is pending".into()));
        }
        let client = self.reinit_client()?;
        self.join_resumed(&client, welcome)
    }

    fn branch(&mut self, group_id: &[u8], key_packages: &[Vec<u8>]) -> Result<CommitBytes, Error> {
        let kps = messages(key_packages)?;
        let (group, out) = self.group()?.branch(group_id, &kps, now())?;
        let bytes = commit_bytes(&out)?;
        self.move_to(group);
        Ok(bytes)
    }

    fn join_branch(&mut self, welcome: &[u8]) -> Result<(), Error> {
        let client = self.client.clone();
        self.join_resumed(&client, welcome)
    }

    fn commit_pending(&mut self) -> Result<CommitBytes, Error> {
        let group = self.group_mut()?;
        let out = group.commit_pending(now())?;
        group.merge_pending_commit()?;
        commit_bytes(&out)
    }

    fn propose_self_remove(&mut self) -> Result<Vec<u8>, Error> {
        let wanted = self.options.self_remove.ok_or(Error::NotOffered {
            implementation: Implementation::Cohort,
            what: "SelfRemove outside a SelfRemove scenario",
        })?;
        let group = self.group_mut()?;
        // `leave` falls back to a Remove of our own leaf in a group that is not
        // self-remove-capable; the scenario wants the SelfRemove.
        match group.group().self_remove_code_point() {
            Some(code_point) if code_point.0 == wanted => {}
            other => {
                return Err(Error::Harness(format!(
                    "cohort: the group's SelfRemove type is {other:?}, not {wanted:#06x}"
                )));
            }
        }
        Ok(group.leave(now())?.to_bytes()?)
    }

    fn join_external_self_removes(
        &mut self,
        group_info: &[u8],
        self_removes: &[Vec<u8>],
    ) -> Result<Vec<u8>, Error> {
        let self_removes = self_removes
            .iter()
            .map(|bytes| Ok(MlsMessage::from_bytes_with(bytes, self.decode)?))
            .collect::<Result<Vec<_>, Error>>()?;
        self.external_join(
            group_info,
            ExternalJoinOptions::default().self_removes(self_removes),
        )
    }

    fn create_group_with_app_data(
        &mut self,
        group_id: &[u8],
        data: &[(u16, Vec<u8>)],
    ) -> Result<(), Error> {
        self.no_group_yet()?;
        let mut dictionary = AppDataDictionary::new();
        for (component, bytes) in data {
            dictionary.insert(ComponentId(*component), bytes.clone());
        }
        // The dictionary last: OpenMLS moves it to the end of the list when it applies
        // AppDataUpdates (docs/interop.md, peer deviations).
        let extensions = vec![
            RequiredCapabilities {
                extension_types: vec![ExtensionType::APP_DATA_DICTIONARY],
                proposal_types: vec![ProposalType::APP_DATA_UPDATE],
                credential_types: Vec::new(),
            }
            .to_extension()?,
            dictionary.to_extension()?,
        ];
        self.group = Some(self.client.create_group_with(group_id, extensions, now())?);
        Ok(())
    }

    fn propose_app_data_update(
        &mut self,
        component: u16,
        update: Option<&[u8]>,
    ) -> Result<Vec<u8>, Error> {
        Ok(self
            .group_mut()?
            .propose_app_data_update(ComponentId(component), update.map(<[u8]>::to_vec), now())?
            .to_bytes()?)
    }

    fn commit_app_data(
        &mut self,
        updates: &[(u16, Option<Vec<u8>>)],
        ephemeral: &[(u16, Vec<u8>)],
    ) -> Result<CommitBytes, Error> {
        let proposals = updates
            .iter()
            .map(|(component, update)| app_data_update(ComponentId(*component), update.clone()))
            .chain(
                ephemeral
                    .iter()
                    .map(|(component, data)| app_ephemeral(ComponentId(*component), data.clone())),
            )
            .collect();
        self.commit_now(proposals)
    }

    fn app_data(&self) -> Result<Option<AppData>, Error> {
        Ok(self.group()?.app_data()?.map(|dictionary| {
            dictionary
                .entries()
                .iter()
                .map(|entry| (entry.component_id.0, entry.data.as_slice().to_vec()))
                .collect()
        }))
    }

    fn take_app_ephemeral(&mut self) -> Result<Vec<(u16, Vec<u8>)>, Error> {
        Ok(std::mem::take(&mut self.app_ephemeral))
    }

    fn safe_export_secret(&mut self, component: u16) -> Result<Vec<u8>, Error> {
        Ok(self
            .group_mut()?
            .safe_export_secret(ComponentId(component))?
            .as_bytes()
            .to_vec())
    }

    fn join_external_app_data(
        &mut self,
        group_info: &[u8],
        updates: &[(u16, Option<Vec<u8>>)],
    ) -> Result<Vec<u8>, Error> {
        // The client's `ReplaceAppData` computes the new dictionary, as the members' does.
        let proposals = updates
            .iter()
            .map(|(component, update)| app_data_update(ComponentId(*component), update.clone()))
            .collect();
        self.external_join(
            group_info,
            ExternalJoinOptions::default().app_proposals(proposals),
        )
    }

    fn register_application_psk(
        &mut self,
        component: u16,
        psk_id: &[u8],
        secret: &[u8],
    ) -> Result<(), Error> {
        Ok(self.client.register_application_psk(
            ComponentId(component),
            psk_id,
            Zeroizing::new(secret.to_vec()),
        )?)
    }

    fn propose_application_psk(&mut self, component: u16, psk_id: &[u8]) -> Result<Vec<u8>, Error> {
        let group = self.group_mut()?;
        let proposal = group.application_psk_proposal(ComponentId(component), psk_id)?;
        Ok(group.propose(proposal, now())?.to_bytes()?)
    }

    fn commit_application_psk(
        &mut self,
        component: u16,
        psk_id: &[u8],
    ) -> Result<CommitBytes, Error> {
        let proposal = self
            .group()?
            .application_psk_proposal(ComponentId(component), psk_id)?;
        self.commit_now(vec![proposal])
    }

    fn encrypt_with_safe_aad(
        &mut self,
        data: &[u8],
        items: &[(u16, Vec<u8>)],
    ) -> Result<Vec<u8>, Error> {
        let safe_aad = SafeAad::new(
            items
                .iter()
                .map(|(component, bytes)| SafeAadItem {
                    component_id: ComponentId(*component),
                    aad_item_data: bytes.clone().into(),
                })
                .collect(),
        )?;
        Ok(self
            .group_mut()?
            .send_message_with(data, &safe_aad.to_bytes()?)?
            .to_bytes()?)
    }

    fn last_safe_aad(&self) -> Result<Option<SafeAadItems>, Error> {
        Ok(self.last_safe_aad.clone())
    }

    fn last_resort_key_package(&mut self) -> Result<Vec<u8>, Error> {
        Ok(self
            .client
            .generate_last_resort_key_package(now())?
            .to_bytes()?)
    }

    fn is_last_resort(&self, key_package: &[u8]) -> Result<bool, Error> {
        match MlsMessage::from_bytes(key_package)?.body {
            MlsMessageBody::KeyPackage(key_package) => Ok(is_last_resort(&key_package)),
            _ => Err(Error::Harness("is_last_resort takes a KeyPackage".into())),
        }
    }

    fn forget_group(&mut self) -> Result<(), Error> {
        self.group()?;
        self.group = None;
        Ok(())
    }

    fn encrypt(&mut self, data: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(self.group_mut()?.send_message(data)?.to_bytes()?)
    }

    fn epoch(&self) -> Result<u64, Error> {
        Ok(self.group()?.epoch())
    }

    fn own_leaf(&self) -> Result<u32, Error> {
        Ok(self.group()?.own_leaf().0)
    }

    fn epoch_authenticator(&self) -> Result<Vec<u8>, Error> {
        Ok(self.group()?.epoch_authenticator().to_vec())
    }

    fn export(&self, label: &[u8], context: &[u8], length: usize) -> Result<Vec<u8>, Error> {
        Ok(self
            .group()?
            .export_secret(label, context, length)?
            .as_bytes()
            .to_vec())
    }
}

/// The `authenticated_data` of a PublicMessage or PrivateMessage (sent in the clear in both);
/// empty for other messages.
fn message_authenticated_data(message: &MlsMessage) -> Vec<u8> {
    match &message.body {
        MlsMessageBody::PublicMessage(public) => {
            public.content.authenticated_data.as_slice().to_vec()
        }
        MlsMessageBody::PrivateMessage(private) => private.authenticated_data.as_slice().to_vec(),
        _ => Vec::new(),
    }
}

/// The `authenticated_data` of a PublicMessage or PrivateMessage `MLSMessage` (bytes), as it
/// travels, read with cohort's codec (for the harness's wire checks).
///
/// # Errors
/// Bytes that are not such a message.
pub(crate) fn authenticated_data_of(message: &[u8]) -> Result<Vec<u8>, Error> {
    let message = MlsMessage::from_bytes_with(
        message,
        DecodeOptions::default().with_self_remove_alias(Some(SELF_REMOVE_MLS_RS)),
    )?;
    match message.body {
        MlsMessageBody::PublicMessage(_) | MlsMessageBody::PrivateMessage(_) => {
            Ok(message_authenticated_data(&message))
        }
        _ => Err(Error::Harness(
            "not a PublicMessage or PrivateMessage".into(),
        )),
    }
}

/// Seconds since the Unix epoch (cohort takes time as an argument).
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An external sender (RFC 9420 §12.1.8) on cohort: a signer and a basic credential, proposing
/// with [`cohort::group::external_proposal`] from a GroupInfo's GroupContext.
pub struct CohortExternalSender {
    identity: String,
    provider: Arc<dyn CryptoProvider>,
    signer: SoftwareSigner,
}

impl std::fmt::Debug for CohortExternalSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CohortExternalSender")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl CohortExternalSender {
    /// An external sender named `identity` for cipher suite `suite`.
    ///
    /// # Errors
    /// [`Error::UnsupportedSuite`]; a crypto failure making the signing key.
    pub fn new(identity: &str, suite: u16) -> Result<Self, Error> {
        let provider = interop_provider();
        let ops = provider
            .suite(CipherSuite(suite))
            .ok_or(Error::UnsupportedSuite {
                implementation: Implementation::Cohort,
                suite,
            })?;
        Ok(Self {
            identity: identity.to_owned(),
            provider,
            signer: SoftwareSigner::generate(ops)?,
        })
    }

    /// Signs `proposal` for the group of `group_info` as external sender `sender_index`.
    fn send(
        &self,
        group_info: &[u8],
        sender_index: u32,
        proposal: Proposal,
    ) -> Result<Vec<u8>, Error> {
        let group_info = parse_group_info(group_info)?;
        Ok(cohort::group::external_proposal(
            &*self.provider,
            &self.signer,
            &group_info.group_context,
            sender_index,
            proposal,
            &[],
        )
        .map_err(cohort::Error::from)?
        .to_bytes()?)
    }

    /// A PreSharedKey proposal for `psk` with a fresh nonce of the KDF's length in the suite
    /// of `group_info` (an external sender has no group handle to ask).
    fn psk_proposal(&self, group_info: &[u8], psk: Psk) -> Result<Proposal, Error> {
        let suite = parse_group_info(group_info)?.group_context.cipher_suite;
        let ops = self.provider.suite(suite).ok_or(Error::UnsupportedSuite {
            implementation: Implementation::Cohort,
            suite: suite.0,
        })?;
        Ok(Proposal::PreSharedKey(PreSharedKey {
            psk: cohort::group::fresh_psk_id(&*ops, psk).map_err(cohort::Error::from)?,
        }))
    }
}

impl ExternalSender for CohortExternalSender {
    fn implementation(&self) -> Implementation {
        Implementation::Cohort
    }

    fn entry(&self) -> ExternalSenderEntry {
        ExternalSenderEntry {
            signature_key: self.signer.public_key().0.as_slice().to_vec(),
            identity: self.identity.as_bytes().to_vec(),
        }
    }

    fn propose_add(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        key_package: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let MlsMessageBody::KeyPackage(key_package) = MlsMessage::from_bytes(key_package)?.body
        else {
            return Err(Error::Harness("propose_add takes a KeyPackage".into()));
        };
        self.send(group_info, sender_index, Proposal::Add(Add { key_package }))
    }

    fn propose_remove(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        leaf: u32,
    ) -> Result<Vec<u8>, Error> {
        self.send(
            group_info,
            sender_index,
            Proposal::Remove(Remove {
                removed: LeafIndex(leaf),
            }),
        )
    }

    fn propose_psk(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        psk: usize,
    ) -> Result<Vec<u8>, Error> {
        let (id, _) = harness_psk(psk)?;
        let proposal = self.psk_proposal(
            group_info,
            Psk::External {
                psk_id: id.to_vec().into(),
            },
        )?;
        self.send(group_info, sender_index, proposal)
    }

    fn propose_resumption_psk(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        epoch: u64,
    ) -> Result<Vec<u8>, Error> {
        let group_id = parse_group_info(group_info)?.group_context.group_id;
        let proposal = self.psk_proposal(
            group_info,
            Psk::Resumption {
                usage: ResumptionPskUsage::Application,
                psk_group_id: group_id,
                psk_epoch: epoch,
            },
        )?;
        self.send(group_info, sender_index, proposal)
    }

    fn propose_group_extensions(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        senders: &[ExternalSenderEntry],
    ) -> Result<Vec<u8>, Error> {
        let proposal = Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: vec![external_senders_extension(senders)?, require_basic()?],
        });
        self.send(group_info, sender_index, proposal)
    }

    fn propose_reinit(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        spec: &ReInitSpec,
    ) -> Result<Vec<u8>, Error> {
        self.send(group_info, sender_index, reinit_proposal(spec))
    }
}

/// The ReInit proposal `spec` describes, in version MLS 1.0.
fn reinit_proposal(spec: &ReInitSpec) -> Proposal {
    Proposal::ReInit(ReInit {
        group_id: spec.group_id.clone().into(),
        version: ProtocolVersion::MLS10,
        cipher_suite: CipherSuite(spec.suite),
        extensions: spec
            .extension
            .iter()
            .map(|data| Extension {
                extension_type: ExtensionType(HARNESS_EXTENSION),
                extension_data: data.clone().into(),
            })
            .collect(),
    })
}

/// An `external_senders` extension (RFC 9420 §12.1.8.1) listing `senders`.
fn external_senders_extension(senders: &[ExternalSenderEntry]) -> Result<Extension, Error> {
    Ok(ExternalSenders(
        senders
            .iter()
            .map(|e| ExternalSenderExt {
                signature_key: SignaturePublicKey::from(e.signature_key.clone()),
                credential: Credential::basic(e.identity.clone()),
            })
            .collect(),
    )
    .to_extension()?)
}

/// A `required_capabilities` extension (RFC 9420 §11.1) requiring basic credentials.
fn require_basic() -> Result<Extension, Error> {
    Ok(RequiredCapabilities {
        extension_types: Vec::new(),
        proposal_types: Vec::new(),
        credential_types: vec![CredentialType::BASIC],
    }
    .to_extension()?)
}

/// The GroupInfo of a GroupInfo `MLSMessage`.
fn parse_group_info(bytes: &[u8]) -> Result<GroupInfo, Error> {
    match MlsMessage::from_bytes(bytes)?.body {
        MlsMessageBody::GroupInfo(group_info) => Ok(group_info),
        _ => Err(Error::Harness("expected a GroupInfo".into())),
    }
}
