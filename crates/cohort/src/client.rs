//! The client: a member's identity, its crypto provider and its storage, running the
//! load → operate → write loop around the sans-IO group state machine.
//!
//! ```text
//!   Client ──create_group / join──► ClientGroup ──operation──► cohort_group::Group (sans-IO)
//!                                        │                          │ new state
//!                                        └──── one atomic GroupWrite ◄┘
//! ```
//!
//! Every operation that changes a group writes its new state in one `GroupWrite` before it
//! returns; a join deletes the KeyPackage it consumed in the same write. A received commit is
//! staged and written only when the application merges it.

use std::fmt;
use std::sync::Arc;

use cohort_codec::{Decode, Encode};
use cohort_credential::Credential;
use cohort_crypto::{CipherSuite, CryptoProvider, HpkePrivateKey, Secret, Signer};
use cohort_group::{
    CommitOptions, CommitOutput, ExternalPsks, Group, GroupConfig, JoinInput, KeyPackageSecrets,
    LeafSpec, Processed, StagedCommit, create_key_package, key_package_ref,
};
use cohort_messages::key_package::KeyPackage;
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_storage::{GroupWrite, StorageProvider, Zeroizing};
use cohort_tree::leaf::LeafNode;
use cohort_tree::math::LeafIndex;
use cohort_tree::node::RatchetTreeNodes;

use crate::Error;

/// A member's identity and environment: crypto provider, storage, signer and credential.
pub struct Client {
    provider: Arc<dyn CryptoProvider>,
    storage: Arc<dyn StorageProvider>,
    signer: Arc<dyn Signer>,
    credential: Credential,
    cipher_suite: CipherSuite,
    config: GroupConfig,
    key_package_days: u64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("credential", &self.credential)
            .field("cipher_suite", &self.cipher_suite)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]. The provider, storage, signer and credential are required; nothing is
/// chosen for the application.
pub struct ClientBuilder {
    provider: Arc<dyn CryptoProvider>,
    storage: Arc<dyn StorageProvider>,
    signer: Option<Arc<dyn Signer>>,
    credential: Option<Credential>,
    cipher_suite: CipherSuite,
    config: GroupConfig,
    key_package_days: u64,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("cipher_suite", &self.cipher_suite)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The key that signs for this client (it may live in an HSM: only the handle is given).
    pub fn signer(mut self, signer: Arc<dyn Signer>) -> Self {
        self.signer = Some(signer);
        self
    }

    /// The credential binding the client's identity to the signer's public key.
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self
    }

    /// The cipher suite of the groups this client creates and its KeyPackages (default: suite 1,
    /// the mandatory-to-implement `MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519`).
    pub fn cipher_suite(mut self, cipher_suite: CipherSuite) -> Self {
        self.cipher_suite = cipher_suite;
        self
    }

    /// Group configuration (ratchet windows, retention, lifetime checks).
    pub fn config(mut self, config: GroupConfig) -> Self {
        self.config = config;
        self
    }

    /// How many days new KeyPackages stay valid (default 30).
    pub fn key_package_days(mut self, days: u64) -> Self {
        self.key_package_days = days;
        self
    }

    /// The client.
    ///
    /// # Errors
    /// [`Error::Misuse`] when the signer or credential is missing, or the provider lacks the
    /// cipher suite.
    pub fn build(self) -> Result<Client, Error> {
        let signer = self.signer.ok_or(Error::Misuse("a signer is required"))?;
        let credential = self
            .credential
            .ok_or(Error::Misuse("a credential is required"))?;
        if self.provider.suite(self.cipher_suite).is_none() {
            return Err(Error::Misuse(
                "the provider does not implement the chosen cipher suite",
            ));
        }
        Ok(Client {
            provider: self.provider,
            storage: self.storage,
            signer,
            credential,
            cipher_suite: self.cipher_suite,
            config: self.config,
            key_package_days: self.key_package_days,
        })
    }
}

/// External PSKs looked up in the client's storage.
struct StoredPsks<'a>(&'a dyn StorageProvider);

impl ExternalPsks for StoredPsks<'_> {
    fn external_psk(&self, psk_id: &[u8]) -> Option<Secret> {
        self.0
            .psk(psk_id)
            .ok()
            .flatten()
            .map(|p| Secret::new(p.to_vec()))
    }
}

impl Client {
    /// Starts building a client on `provider` and `storage`.
    pub fn builder(
        provider: Arc<dyn CryptoProvider>,
        storage: Arc<dyn StorageProvider>,
    ) -> ClientBuilder {
        ClientBuilder {
            provider,
            storage,
            signer: None,
            credential: None,
            cipher_suite: CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519,
            config: GroupConfig::default(),
            key_package_days: 30,
        }
    }

    /// The client's credential.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    fn leaf_spec(&self, now: u64) -> LeafSpec {
        LeafSpec::new(self.credential.clone(), now, self.key_package_days)
    }

    /// Creates a KeyPackage to publish, and stores its private keys until a Welcome uses it.
    ///
    /// # Errors
    /// A crypto or storage failure.
    pub fn generate_key_package(&self, now: u64) -> Result<MlsMessage, Error> {
        let (kp, secrets) = create_key_package(
            &*self.provider,
            self.cipher_suite,
            &*self.signer,
            &self.leaf_spec(now),
        )?;
        let r = key_package_ref(&*self.provider, &kp)?;
        let mut record = Zeroizing::new(Vec::new());
        (
            kp.clone(),
            (secrets.init_key.clone(), secrets.encryption_key.clone()),
        )
            .encode(&mut record)?;
        self.storage.insert_key_package(&r.0, record)?;
        Ok(MlsMessage::new(MlsMessageBody::KeyPackage(kp)))
    }

    /// Creates a group with this client as its only member, and stores it.
    ///
    /// # Errors
    /// A crypto or storage failure.
    pub fn create_group(&self, group_id: &[u8], now: u64) -> Result<ClientGroup<'_>, Error> {
        let group = Group::create(
            &*self.provider,
            self.cipher_suite,
            &*self.signer,
            &self.leaf_spec(now),
            group_id.to_vec(),
            Vec::new(),
            self.config,
        )?;
        let g = ClientGroup {
            client: self,
            group,
        };
        g.save(None)?;
        Ok(g)
    }

    /// Joins a group from a Welcome addressed to one of our stored KeyPackages; the KeyPackage
    /// is deleted in the same write that stores the group. `ratchet_tree` is needed only when
    /// the Welcome's GroupInfo does not carry the tree.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the Welcome is for none of our KeyPackages or fails validation;
    /// [`Error::Malformed`]; a storage failure.
    pub fn join(
        &self,
        welcome: &MlsMessage,
        ratchet_tree: Option<RatchetTreeNodes>,
        now: u64,
    ) -> Result<ClientGroup<'_>, Error> {
        let MlsMessageBody::Welcome(welcome) = &welcome.body else {
            return Err(Error::Misuse("join takes an MLSMessage carrying a Welcome"));
        };
        let mut found = None;
        for entry in &welcome.secrets {
            if let Some(record) = self.storage.key_package(&entry.new_member.0)? {
                found = Some((entry.new_member.0.to_vec(), record));
                break;
            }
        }
        let (kp_ref, record) = found.ok_or(Error::Invalid(
            cohort_group::ValidationError::NoMatchingKeyPackage,
        ))?;
        let (kp, (init_key, encryption_key)): (KeyPackage, (HpkePrivateKey, HpkePrivateKey)) =
            Decode::from_bytes(&record)?;
        let secrets = KeyPackageSecrets {
            init_key,
            encryption_key,
        };
        let input = JoinInput {
            welcome,
            key_package: &kp,
            secrets: &secrets,
            ratchet_tree,
            now: Some(now),
        };
        let group = Group::join(
            &*self.provider,
            input,
            &StoredPsks(&*self.storage),
            self.config,
        )?;
        let g = ClientGroup {
            client: self,
            group,
        };
        g.save(Some(kp_ref))?;
        Ok(g)
    }

    /// Loads a stored group.
    ///
    /// # Errors
    /// [`Error::Misuse`] when no such group is stored; [`Error::Malformed`] for a damaged state.
    pub fn load_group(&self, group_id: &[u8]) -> Result<ClientGroup<'_>, Error> {
        let stored = self
            .storage
            .read_state(group_id)?
            .ok_or(Error::Misuse("no such group is stored"))?;
        let group = Group::from_state_bytes(&*self.provider, &stored.state)?;
        Ok(ClientGroup {
            client: self,
            group,
        })
    }
}

/// A member (one non-blank leaf) of a group.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Member {
    /// Its leaf index.
    pub leaf: LeafIndex,
    /// Its credential.
    pub credential: Credential,
}

impl Member {
    fn of(leaf: LeafIndex, node: &LeafNode) -> Self {
        Self {
            leaf,
            credential: node.credential.clone(),
        }
    }
}

/// What an incoming message produced.
#[derive(Debug)]
#[non_exhaustive]
pub enum Received {
    /// Application data.
    Application {
        /// Who sent it.
        sender: Member,
        /// The data.
        data: Vec<u8>,
    },
    /// A proposal, cached for a later commit.
    Proposal,
    /// A commit: inspect it, then [`ClientGroup::merge_staged`] (or drop it).
    Commit(Box<StagedCommit>),
}

/// A group of a [`Client`]: every change is written to the client's storage before the method
/// returns.
#[derive(Debug)]
pub struct ClientGroup<'c> {
    client: &'c Client,
    group: Group,
}

impl ClientGroup<'_> {
    fn save(&self, consumed_key_package: Option<Vec<u8>>) -> Result<(), Error> {
        let state = self.group.to_state_bytes()?;
        let mut write =
            GroupWrite::new(self.group.group_id().to_vec()).with_state(self.group.epoch(), state);
        if let Some(r) = consumed_key_package {
            write = write.consume_key_package(r);
        }
        self.client.storage.write(write)?;
        Ok(())
    }

    /// The group id.
    pub fn id(&self) -> &[u8] {
        self.group.group_id()
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.group.epoch()
    }

    /// The members with their credentials.
    pub fn members(&self) -> Vec<Member> {
        self.group
            .members()
            .map(|(i, l)| Member::of(i, l))
            .collect()
    }

    /// Our own leaf.
    pub fn own_leaf(&self) -> LeafIndex {
        self.group.own_leaf()
    }

    /// The epoch authenticator: compare it out of band to detect an impersonator.
    pub fn epoch_authenticator(&self) -> &[u8] {
        self.group.epoch_authenticator()
    }

    /// `MLS-Exporter(label, context, length)` (RFC 9420 §8.5).
    ///
    /// # Errors
    /// A length the KDF cannot produce.
    pub fn export_secret(
        &self,
        label: &[u8],
        context: &[u8],
        length: usize,
    ) -> Result<Secret, Error> {
        Ok(self.group.export_secret(label, context, length)?)
    }

    /// The sans-IO group underneath, for what the facade does not wrap.
    pub fn group(&self) -> &Group {
        &self.group
    }

    /// Adds the clients of `key_packages` (MLSMessages carrying KeyPackages). The commit is
    /// pending until [`ClientGroup::merge_pending_commit`].
    ///
    /// # Errors
    /// [`Error::Invalid`] for an invalid KeyPackage; a crypto or storage failure.
    pub fn add_members(
        &mut self,
        key_packages: &[MlsMessage],
        now: u64,
    ) -> Result<CommitOutput, Error> {
        let mut kps = Vec::with_capacity(key_packages.len());
        for m in key_packages {
            match &m.body {
                MlsMessageBody::KeyPackage(kp) => kps.push(kp.clone()),
                _ => {
                    return Err(Error::Misuse(
                        "add_members takes MLSMessages carrying KeyPackages",
                    ));
                }
            }
        }
        let out =
            self.group
                .add_members(&*self.client.signer, kps, &CommitOptions::new(), Some(now))?;
        self.save(None)?;
        Ok(out)
    }

    /// Removes the members at `leaves`. The commit is pending until merged.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a leaf that is not a member; a crypto or storage failure.
    pub fn remove_members(
        &mut self,
        leaves: &[LeafIndex],
        now: u64,
    ) -> Result<CommitOutput, Error> {
        let out = self.group.remove_members(
            &*self.client.signer,
            leaves,
            &CommitOptions::new(),
            Some(now),
        )?;
        self.save(None)?;
        Ok(out)
    }

    /// Refreshes our keys (post-compromise security). The commit is pending until merged.
    ///
    /// # Errors
    /// A crypto or storage failure.
    pub fn self_update(&mut self, now: u64) -> Result<CommitOutput, Error> {
        let out = self
            .group
            .self_update(&*self.client.signer, &CommitOptions::new(), Some(now))?;
        self.save(None)?;
        Ok(out)
    }

    /// Applies our pending commit once the Delivery Service has accepted it.
    ///
    /// # Errors
    /// [`Error::Misuse`] when there is none; a storage failure.
    pub fn merge_pending_commit(&mut self) -> Result<(), Error> {
        self.group.merge_pending_commit()?;
        self.save(None)
    }

    /// Encrypts application data for the group.
    ///
    /// # Errors
    /// A crypto or storage failure.
    pub fn send_message(&mut self, data: &[u8]) -> Result<MlsMessage, Error> {
        let message = self
            .group
            .encrypt_application(&*self.client.signer, data, &[], 0)?;
        // The sending ratchet moved on: persist it before the message leaves.
        self.save(None)?;
        Ok(message)
    }

    /// Processes an incoming message. Application data and proposals are stored at once; a
    /// commit is returned staged and stored only when merged.
    ///
    /// # Errors
    /// [`Error::Invalid`] or [`Error::Malformed`] for a bad message, which changes nothing.
    pub fn process_message(&mut self, message: MlsMessage, now: u64) -> Result<Received, Error> {
        let psks = StoredPsks(&*self.client.storage);
        match self.group.process_message(message, &psks, Some(now))? {
            Processed::Application { sender, data, .. } => {
                self.save(None)?;
                let member = self
                    .group
                    .members()
                    .find(|(i, _)| *i == sender)
                    .map(|(i, l)| Member::of(i, l))
                    .ok_or(Error::Internal("sender verified but not found"))?;
                Ok(Received::Application {
                    sender: member,
                    data,
                })
            }
            Processed::Proposal { .. } => {
                self.save(None)?;
                Ok(Received::Proposal)
            }
            Processed::Commit(staged) => Ok(Received::Commit(staged)),
            _ => Err(Error::Internal("unknown processing result")),
        }
    }

    /// Applies a staged commit and stores the new epoch.
    ///
    /// # Errors
    /// A storage failure.
    pub fn merge_staged(&mut self, staged: StagedCommit) -> Result<(), Error> {
        self.group.merge_staged(staged);
        self.save(None)
    }
}
