//! Clients: a member's identity, its crypto provider and its storage, running the
//! load → operate → write loop around the sans-IO group state machine.
//!
//! ```text
//!   Client / AsyncClient ──create_group / join──► GroupOf ──operation──► cohort_group::Group
//!                                                   │                      (sans-IO) │ new state
//!                                                   └──── one atomic GroupWrite ◄─────┘
//! ```
//!
//! Every operation that changes a group writes its new state in one `GroupWrite` before it
//! returns; a join deletes the KeyPackage it consumed in the same write. A received commit is
//! staged and written only when the application merges it.
//!
//! A group is stored in the split format ([`Group::to_split_state`]): the state, and its secret
//! trees as the epoch record of the current epoch. An application message, sent or read, only
//! moves the secret trees, so its write is that one small record; an operation that changes the
//! epoch writes both and deletes the previous epoch's record in the same write.
//!
//! [`Client`] uses a synchronous store and [`AsyncClient`] an asynchronous one (a store reached
//! over the network). Both run the same protocol code: each operation is written once, and the
//! two differ only in whether they await the store.

use std::fmt;
use std::sync::Arc;

use cohort_codec::{Decode, Encode};
use cohort_credential::Credential;
use cohort_crypto::{CipherSuite, CryptoProvider, HpkePrivateKey, Secret, Signer};
use cohort_group::{
    CommitOptions, CommitOutput, ExternalJoin, ExternalPsks, Group, GroupConfig, JoinInput,
    KeyPackageSecrets, LeafSpec, Processed, RatchetSnapshot, StagedCommit, create_key_package,
    key_package_ref,
};
use cohort_messages::components::{AppDataDictionary, ComponentId};
use cohort_messages::framing::{ContentType, Sender};
use cohort_messages::group_info::GroupInfo;
use cohort_messages::key_package::KeyPackage;
use cohort_messages::proposal::{
    Add, GroupContextExtensions, PreSharedKey, Proposal, ReInit, Remove,
};
use cohort_messages::psk::{Psk, ResumptionPskUsage};
use cohort_messages::welcome::Welcome;
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_storage::{AsyncStorageProvider, GroupWrite, StorageProvider, Zeroizing};
use cohort_tree::extension::{Extension, ExtensionType};
use cohort_tree::leaf::{Capabilities, LeafNode, ProtocolVersion};
use cohort_tree::math::LeafIndex;
use cohort_tree::node::RatchetTreeNodes;

mod light;

pub use light::{AsyncLightClientGroup, LightClientGroup, LightGroupOf};

use crate::delivery::{self, DeliveryPolicy, Held, Intent, LostCommit, LostCommitPolicy, Merged};
use crate::remote_signer::AsyncSigner;
use crate::{Error, GroupInfoPolicy, MessagePolicy};

/// A new KeyPackage: the message to publish, its reference, and the record of its private keys.
struct NewKeyPackage {
    message: MlsMessage,
    reference: Vec<u8>,
    record: Zeroizing<Vec<u8>>,
}

/// The client's signing key: in process (or an HSM behind a synchronous [`Signer`]), or
/// reached asynchronously ([`AsyncSigner`], asynchronous clients only).
#[derive(Clone)]
enum SignerRef {
    Local(Arc<dyn Signer>),
    Remote(Arc<dyn AsyncSigner>),
}

/// What every client has: provider, signer, credential and settings.
#[derive(Clone)]
struct Identity {
    provider: Arc<dyn CryptoProvider>,
    signer: SignerRef,
    credential: Credential,
    cipher_suite: CipherSuite,
    config: GroupConfig,
    key_package_days: u64,
    policy: MessagePolicy,
    delivery: DeliveryPolicy,
    capabilities: Capabilities,
}

impl Identity {
    fn leaf_spec(&self, now: u64) -> LeafSpec {
        let mut spec = LeafSpec::new(self.credential.clone(), now, self.key_package_days);
        spec.capabilities = self.capabilities.clone();
        spec
    }

    /// A new KeyPackage signed by `signer`, its reference, and the record of its private keys to
    /// store.
    /// A last-resort KeyPackage's record ends with this byte: a join keeps it (RFC 9420 §16.8).
    /// Records of ordinary KeyPackages end after the keys, as earlier versions wrote them.
    const LAST_RESORT: u8 = 1;

    fn new_key_package(
        &self,
        signer: &dyn Signer,
        now: u64,
        last_resort: bool,
    ) -> Result<NewKeyPackage, Error> {
        let mut spec = self.leaf_spec(now);
        if last_resort {
            // Marked on the wire as the deployed implementations mark it (`last_resort`,
            // 0x000A), so that a Delivery Service or a peer can tell.
            spec.key_package_extensions
                .push(cohort_group::components::last_resort_extension());
            if !spec
                .capabilities
                .extensions
                .contains(&ExtensionType::LAST_RESORT)
            {
                spec.capabilities
                    .extensions
                    .push(ExtensionType::LAST_RESORT);
            }
        }
        let (kp, secrets) = create_key_package(&*self.provider, self.cipher_suite, signer, &spec)?;
        let reference = key_package_ref(&*self.provider, &kp)?;
        let mut record = Zeroizing::new(Vec::new());
        (
            kp.clone(),
            (secrets.init_key.clone(), secrets.encryption_key),
        )
            .encode(&mut record)?;
        if last_resort {
            record.push(Self::LAST_RESORT);
        }
        Ok(NewKeyPackage {
            message: MlsMessage::new(MlsMessageBody::KeyPackage(kp)),
            reference: reference.0.into_vec(),
            record,
        })
    }

    fn new_group(
        &self,
        signer: &dyn Signer,
        group_id: &[u8],
        extensions: Vec<Extension>,
        now: u64,
    ) -> Result<Group, Error> {
        Ok(Group::create(
            &*self.provider,
            self.cipher_suite,
            signer,
            &self.leaf_spec(now),
            group_id.to_vec(),
            extensions,
            self.config.clone(),
        )?)
    }

    fn join_with(
        &self,
        welcome: &Welcome,
        record: &[u8],
        ratchet_tree: Option<RatchetTreeNodes>,
        psks: &dyn ExternalPsks,
        old: Option<&Group>,
        now: u64,
    ) -> Result<Group, Error> {
        let (kp, (init_key, encryption_key)) = Self::key_package_record(record)?.0;
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
        Ok(match old {
            None => Group::join(&*self.provider, input, psks, self.config.clone())?,
            Some(old) => {
                Group::join_resumed(&*self.provider, input, psks, old, self.config.clone())?
            }
        })
    }

    /// A stored KeyPackage record: the KeyPackage, its private keys, and whether it is a
    /// last-resort one.
    #[allow(
        clippy::type_complexity,
        reason = "the record's parts, named at the call"
    )]
    fn key_package_record(
        record: &[u8],
    ) -> Result<((KeyPackage, (HpkePrivateKey, HpkePrivateKey)), bool), Error> {
        let mut r = cohort_codec::Reader::new(record);
        let parts = Decode::decode(&mut r)?;
        let last_resort = match r.rest() {
            [] => false,
            [Self::LAST_RESORT] => true,
            _ => {
                return Err(Error::Malformed(cohort_codec::CodecError::InvalidValue {
                    what: "KeyPackage record",
                    reason: "unknown trailing bytes",
                }));
            }
        };
        Ok((parts, last_resort))
    }

    /// Joins the group of `group_info` by external commit, replacing our leaf `resync` if given.
    fn external_join(
        &self,
        signer: &dyn Signer,
        group_info: &GroupInfo,
        options: ExternalJoinOptions,
        psks: &dyn ExternalPsks,
        now: u64,
    ) -> Result<ExternalJoin, Error> {
        let ExternalJoinOptions {
            ratchet_tree,
            psk_ids,
            replaces,
            self_removes,
            app_proposals,
        } = options;
        let psk_ids: Vec<&[u8]> = psk_ids.iter().map(Vec::as_slice).collect();
        let mut engine_options = cohort_group::ExternalJoinOptions::new()
            .psk_ids(&psk_ids)
            .self_removes(&self_removes)
            .app_proposals(&app_proposals);
        if let Some(old) = replaces {
            engine_options = engine_options.resync(old);
        }
        Ok(Group::join_by_external_commit_with(
            &*self.provider,
            signer,
            &self.leaf_spec(now),
            group_info,
            ratchet_tree,
            &engine_options,
            psks,
            self.config.clone(),
            Some(now),
        )?)
    }

    fn restore(
        &self,
        state: &[u8],
        ratchets: Option<&[u8]>,
        pending: Option<&[u8]>,
    ) -> Result<Group, Error> {
        let mut group =
            Group::from_split_state_with_pending(&*self.provider, state, ratchets, pending)?;
        // The Authentication Service and the external-proposal policy are policy, not state:
        // attach the client's again.
        group.set_credential_validator(self.config.credential_validator.clone());
        group.set_external_proposal_policy(self.config.external_proposal_policy.clone());
        group.set_custom_proposals(self.config.custom_proposals.clone());
        group.set_proposal_policy(self.config.proposal_policy.clone());
        // So is the lifetime policy and the strictness: a group stored under an earlier policy
        // is judged by the client's current one.
        group.set_lifetime_policy(self.config.lifetime);
        group.set_strict_checks(self.config.strict);
        Ok(group)
    }
}

/// A client with a synchronous store.
///
/// Cloning is cheap (two shared pointers): every clone is the same client, with the same
/// identity, settings and store. Each group handle ([`ClientGroup`]) holds such a clone, so it
/// owns what it needs and can live anywhere (in a struct beside the client, in a map of groups,
/// on another thread).
#[derive(Clone)]
pub struct Client {
    id: Arc<Identity>,
    storage: Arc<dyn StorageProvider>,
}

/// A client with an asynchronous store (for example one reached over the network).
///
/// External PSKs are looked up synchronously while a message is processed, so they come from
/// an [`ExternalPsks`] the application gives, not from the async store.
///
/// Cloning is cheap, as for [`Client`].
#[derive(Clone)]
pub struct AsyncClient {
    id: Arc<Identity>,
    storage: Arc<dyn AsyncStorageProvider>,
    psks: Arc<dyn ExternalPsks>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("credential", &self.id.credential)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for AsyncClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncClient")
            .field("credential", &self.id.credential)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`] or an [`AsyncClient`]. The provider, signer and credential are required;
/// nothing is chosen for the application.
pub struct ClientBuilder {
    provider: Arc<dyn CryptoProvider>,
    signer: Option<SignerRef>,
    credential: Option<Credential>,
    cipher_suite: CipherSuite,
    config: GroupConfig,
    key_package_days: u64,
    policy: MessagePolicy,
    delivery: DeliveryPolicy,
    capabilities: Capabilities,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("cipher_suite", &self.cipher_suite)
            .finish_non_exhaustive()
    }
}

/// What a client's leaves declare by default beyond RFC 9420's defaults: SelfRemove
/// (draft-ietf-mls-extensions, at its code point 0x000a), so that `leave` takes one message in
/// groups of such clients.
fn default_capabilities() -> Capabilities {
    Capabilities {
        proposals: vec![cohort_tree::leaf::ProposalType::SELF_REMOVE],
        ..Capabilities::default()
    }
}

impl ClientBuilder {
    /// Starts building a client on `provider`.
    pub fn new(provider: Arc<dyn CryptoProvider>) -> Self {
        Self {
            provider,
            signer: None,
            credential: None,
            cipher_suite: CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519,
            config: GroupConfig::default(),
            key_package_days: 30,
            policy: MessagePolicy::default(),
            delivery: DeliveryPolicy::default(),
            capabilities: default_capabilities(),
        }
    }

    /// The key that signs for this client (it may live in an HSM: only the handle is given).
    pub fn signer(mut self, signer: Arc<dyn Signer>) -> Self {
        self.signer = Some(SignerRef::Local(signer));
        self
    }

    /// A signing key reached asynchronously (a key service over the network), instead of
    /// [`ClientBuilder::signer`]; for [`ClientBuilder::build_async`] only. Each operation that
    /// signs then runs on a thread of its own while the task awaits the signatures (see
    /// [`AsyncSigner`]).
    pub fn async_signer(mut self, signer: Arc<dyn AsyncSigner>) -> Self {
        self.signer = Some(SignerRef::Remote(signer));
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

    /// The lifetime policy for KeyPackage leaves (RFC 9420 §7.2, §7.3), in place of the one in
    /// [`ClientBuilder::config`]. The default accepts any total lifetime (MLSpp's KeyPackages
    /// never expire) and checks expiry against the time given with each operation; see
    /// [`LifetimePolicy`](cohort_group::LifetimePolicy) for why. Groups loaded from storage are
    /// judged by this policy too.
    pub fn lifetime_policy(mut self, policy: cohort_group::LifetimePolicy) -> Self {
        self.config.lifetime = policy;
        self
    }

    /// The optional strict checks (off by default: deployed implementations fail them), in
    /// place of those in [`ClientBuilder::config`]. Groups loaded from storage use these too.
    pub fn strict_checks(mut self, strict: cohort_group::StrictChecks) -> Self {
        self.config.strict = strict;
        self
    }

    /// What the client's leaves declare it supports beyond the defaults (RFC 9420 §7.2): the
    /// application's extension, proposal and credential types (for example a custom proposal
    /// type, or an extension the group will require). The group's suite and version and the
    /// credential's type are always added. This replaces the default list, which declares
    /// SelfRemove (`ProposalType::SELF_REMOVE`): keep it in `capabilities.proposals` for
    /// `leave` to use it (list `ProposalType::SELF_REMOVE_MLS_RS` too in groups with mls-rs
    /// members, whose messages then decode with
    /// `DecodeOptions::with_self_remove_alias(Some(0xF003))`).
    pub fn capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// The application's components (draft-ietf-mls-extensions): which it knows, how an
    /// AppDataUpdate changes a component's data, and whether an AppEphemeral is acceptable
    /// ([`AppComponents`](cohort_group::AppComponents)), in place of the one in
    /// [`ClientBuilder::config`]. Groups loaded from storage use it too. By default no
    /// component is known, and every AppDataUpdate and AppEphemeral is refused.
    pub fn app_components(mut self, components: Arc<dyn cohort_group::AppComponents>) -> Self {
        self.config.app_components = components;
        self
    }

    /// How many days new KeyPackages stay valid (default 30).
    pub fn key_package_days(mut self, days: u64) -> Self {
        self.key_package_days = days;
        self
    }

    /// How the client frames what it sends: commits as PublicMessage or PrivateMessage, and the
    /// padding of application messages (default: PublicMessage commits, no padding).
    pub fn message_policy(mut self, policy: MessagePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// How the client's groups cope with the network: how many messages of future epochs each
    /// holds until their epoch arrives, and what happens to a commit of ours that loses a race
    /// (default [`DeliveryPolicy::default`]; see `docs/delivery.md`).
    pub fn delivery_policy(mut self, policy: DeliveryPolicy) -> Self {
        self.delivery = policy;
        self
    }

    fn identity(self) -> Result<Identity, Error> {
        let signer = self.signer.ok_or(Error::Misuse("a signer is required"))?;
        let credential = self
            .credential
            .ok_or(Error::Misuse("a credential is required"))?;
        if self.provider.suite(self.cipher_suite).is_none() {
            return Err(Error::Misuse(
                "the provider does not implement the chosen cipher suite",
            ));
        }
        Ok(Identity {
            provider: self.provider,
            signer,
            credential,
            cipher_suite: self.cipher_suite,
            config: self.config,
            key_package_days: self.key_package_days,
            policy: self.policy,
            delivery: self.delivery,
            capabilities: self.capabilities,
        })
    }

    /// A client on the synchronous `storage`.
    ///
    /// # Errors
    /// [`Error::Misuse`] when the signer or credential is missing, or the provider lacks the
    /// cipher suite.
    pub fn build(self, storage: Arc<dyn StorageProvider>) -> Result<Client, Error> {
        if matches!(self.signer, Some(SignerRef::Remote(_))) {
            return Err(Error::Misuse(
                "an asynchronous signer needs an asynchronous client (build_async)",
            ));
        }
        Ok(Client {
            id: Arc::new(self.identity()?),
            storage,
        })
    }

    /// A client on the asynchronous `storage`, with external PSKs from `psks`.
    ///
    /// # Errors
    /// As [`ClientBuilder::build`].
    pub fn build_async(
        self,
        storage: Arc<dyn AsyncStorageProvider>,
        psks: Arc<dyn ExternalPsks>,
    ) -> Result<AsyncClient, Error> {
        Ok(AsyncClient {
            id: Arc::new(self.identity()?),
            storage,
            psks,
        })
    }
}

/// External PSKs looked up in a synchronous store. A failed lookup is kept, so that the
/// operation reports the storage failure rather than a PSK the peer named wrongly.
struct StoredPsks {
    store: Arc<dyn StorageProvider>,
    failure: std::sync::Mutex<Option<cohort_storage::StorageError>>,
}

impl StoredPsks {
    fn new(store: Arc<dyn StorageProvider>) -> Self {
        Self {
            store,
            failure: std::sync::Mutex::new(None),
        }
    }

    /// `err` unless a lookup failed in storage, which is then the error to report: the group
    /// saw the PSK as missing, but the fault was ours.
    fn blame(&self, err: Error) -> Error {
        match self.failure.lock().ok().and_then(|mut f| f.take()) {
            Some(storage) => Error::Storage(storage),
            None => err,
        }
    }
}

/// Where an operation finds external PSKs: the client's store (whose failures are reported as
/// such) or the application's [`ExternalPsks`].
#[derive(Clone)]
struct Psks {
    lookup: Arc<dyn ExternalPsks>,
    stored: Option<Arc<StoredPsks>>,
}

impl Psks {
    fn from_store(store: Arc<dyn StorageProvider>) -> Self {
        let stored = Arc::new(StoredPsks::new(store));
        Self {
            lookup: stored.clone(),
            stored: Some(stored),
        }
    }

    fn given(lookup: Arc<dyn ExternalPsks>) -> Self {
        Self {
            lookup,
            stored: None,
        }
    }

    /// `err`, or the storage failure behind it (see [`StoredPsks::blame`]).
    fn blame(&self, err: impl Into<Error>) -> Error {
        let err = err.into();
        match &self.stored {
            Some(stored) => stored.blame(err),
            None => err,
        }
    }
}

/// The start of the keys under which the PSK store keeps application PSKs.
const APPLICATION_PSK_PREFIX: &[u8] = b"\0cohort application psk\0";

/// The key under which the PSK store keeps component `component`'s PSK `psk_id`: a prefix no
/// external PSK id of the application is expected to start with (and none is looked up as
/// one), the component, then the id.
fn application_psk_key(component: ComponentId, psk_id: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(APPLICATION_PSK_PREFIX.len() + 2 + psk_id.len());
    key.extend_from_slice(APPLICATION_PSK_PREFIX);
    key.extend_from_slice(&component.0.to_be_bytes());
    key.extend_from_slice(psk_id);
    key
}

impl StoredPsks {
    /// The PSK stored under `key`; a storage failure is kept to be reported.
    fn lookup(&self, key: &[u8]) -> Option<Secret> {
        match self.store.psk(key) {
            Ok(found) => found.map(|p| Secret::new(p.to_vec())),
            Err(e) => {
                if let Ok(mut failure) = self.failure.lock() {
                    failure.get_or_insert(e);
                }
                None
            }
        }
    }
}

impl ExternalPsks for StoredPsks {
    fn application_psk(&self, component: ComponentId, psk_id: &[u8]) -> Option<Secret> {
        self.lookup(&application_psk_key(component, psk_id))
    }

    fn external_psk(&self, psk_id: &[u8]) -> Option<Secret> {
        // An external PSK id that spells an application PSK's key is not that PSK: the two
        // types stay apart even in the one store.
        if psk_id.starts_with(APPLICATION_PSK_PREFIX) {
            return None;
        }
        self.lookup(psk_id)
    }
}

/// The Welcome inside `message`, or a misuse error; the envelope must be `mls10` (V-6-01).
fn welcome_of(message: &MlsMessage) -> Result<&Welcome, Error> {
    check_version(message)?;
    match &message.body {
        MlsMessageBody::Welcome(w) => Ok(w),
        _ => Err(Error::Misuse("join takes an MLSMessage carrying a Welcome")),
    }
}

/// The GroupInfo inside `message`, or a misuse error; the envelope must be `mls10` (V-6-01).
fn group_info_of(message: &MlsMessage) -> Result<GroupInfo, Error> {
    check_version(message)?;
    match &message.body {
        MlsMessageBody::GroupInfo(gi) => Ok(gi.clone()),
        _ => Err(Error::Misuse(
            "an external join takes an MLSMessage carrying a GroupInfo",
        )),
    }
}

/// An MLSMessage must be of version `mls10` (RFC 9420 §6, V-6-01).
fn check_version(message: &MlsMessage) -> Result<(), Error> {
    if message.version == ProtocolVersion::MLS10 {
        Ok(())
    } else {
        Err(Error::Invalid(
            cohort_group::ValidationError::UnsupportedVersion(message.version.0),
        ))
    }
}

/// The client operations that touch storage, written once for [`Client`] and [`AsyncClient`]:
/// the first argument is empty or `async`, the rest empty or `.await`.
macro_rules! client_api {
    ($($async:ident)?, $($await:tt)*) => {
        /// The client's credential.
        pub fn credential(&self) -> &Credential {
            &self.id.credential
        }

        /// Creates a KeyPackage to publish, and stores its private keys until a Welcome uses it.
        ///
        /// # Errors
        /// A crypto or storage failure.
        pub $($async)? fn generate_key_package(&self, now: u64) -> Result<MlsMessage, Error> {
            let id = self.id.clone();
            let new = self.with_signer(move |signer| id.new_key_package(signer, now, false))$($await)*?;
            self.storage.insert_key_package(&new.reference, new.record)$($await)*?;
            Ok(new.message)
        }

        /// Creates a last-resort KeyPackage (RFC 9420 §16.8): one whose private keys are kept
        /// after a Welcome uses it, so that the client stays reachable when its other
        /// KeyPackages are used up. Reusing it weakens forward secrecy for the groups it joins
        /// until the client updates its leaf: publish it only as the last choice, and replace it
        /// (delete it with `delete_key_package`) regularly.
        ///
        /// # Errors
        /// A crypto or storage failure.
        pub $($async)? fn generate_last_resort_key_package(&self, now: u64) -> Result<MlsMessage, Error> {
            let id = self.id.clone();
            let new = self.with_signer(move |signer| id.new_key_package(signer, now, true))$($await)*?;
            self.storage.insert_key_package(&new.reference, new.record)$($await)*?;
            Ok(new.message)
        }

        /// The references (RFC 9420 §5.2) of the KeyPackages whose private keys are stored,
        /// in ascending order.
        ///
        /// # Errors
        /// A storage failure.
        pub $($async)? fn key_package_refs(&self) -> Result<Vec<Vec<u8>>, Error> {
            Ok(self.storage.key_package_refs()$($await)*?)
        }

        /// Deletes the private keys of the KeyPackage `key_package_ref` (one withdrawn from the
        /// Delivery Service, or a last-resort one being replaced). Deleting an absent one is
        /// not an error.
        ///
        /// # Errors
        /// A storage failure.
        pub $($async)? fn delete_key_package(&self, key_package_ref: &[u8]) -> Result<(), Error> {
            Ok(self.storage.delete_key_package(key_package_ref)$($await)*?)
        }

        /// The ids of the stored groups, in ascending order.
        ///
        /// # Errors
        /// A storage failure.
        pub $($async)? fn group_ids(&self) -> Result<Vec<Vec<u8>>, Error> {
            Ok(self.storage.group_ids()$($await)*?)
        }

        /// Deletes a stored group: its state and every epoch record (after we left it or were
        /// removed). A handle of it still in memory is not affected. Deleting an absent group
        /// is not an error.
        ///
        /// # Errors
        /// A storage failure.
        pub $($async)? fn delete_group(&self, group_id: &[u8]) -> Result<(), Error> {
            Ok(self.storage.delete_group(group_id)$($await)*?)
        }

        /// Joins the group of `group_info` (an MLSMessage carrying a GroupInfo with
        /// `external_pub`) by external commit (RFC 9420 §12.4.3.2), and stores it. Returns the
        /// group, already in the new epoch, and the commit to send; if the Delivery Service
        /// rejects the commit, delete the group (`delete_group`) and try again from a newer
        /// GroupInfo. `ratchet_tree` is needed only when the GroupInfo does not carry the tree.
        ///
        /// # Errors
        /// [`Error::Invalid`] for a GroupInfo that fails validation, or of a group we already
        /// have; a crypto or storage failure.
        pub $($async)? fn join_by_external_commit(
            &self,
            group_info: &MlsMessage,
            ratchet_tree: Option<RatchetTreeNodes>,
            now: u64,
        ) -> Result<(GroupOf<Self>, MlsMessage), Error> {
            let options = ExternalJoinOptions { ratchet_tree, ..ExternalJoinOptions::default() };
            self.join_by_external_commit_with(group_info, options, now)$($await)*
        }

        /// `join_by_external_commit` with [`ExternalJoinOptions`]: external PSKs to inject
        /// (RFC 9420 §12.2: an external commit may carry PreSharedKey proposals; the members
        /// need them too), the leaf of a former self to remove (a client that lost its
        /// state re-joining in its own place, §12.4.3.2), and the group's pending SelfRemove
        /// proposals to commit by reference (draft-ietf-mls-extensions).
        ///
        /// # Errors
        /// As `join_by_external_commit`; [`Error::Invalid`] when a PSK is not available or the
        /// leaf to replace is not a member.
        pub $($async)? fn join_by_external_commit_with(
            &self,
            group_info: &MlsMessage,
            options: ExternalJoinOptions,
            now: u64,
        ) -> Result<(GroupOf<Self>, MlsMessage), Error> {
            let group_info = group_info_of(group_info)?;
            // The group id must not be one of our groups already (as for a Welcome).
            if self.storage.read_state(group_info.group_context.group_id.as_slice())$($await)*?.is_some() {
                return Err(Error::Invalid(cohort_group::ValidationError::InvalidGroupInfo(
                    crate::group::reason::GroupInfoReason::GroupIdInUse,
                )));
            }
            let (id, psks) = (self.id.clone(), self.psks());
            let lookup = Arc::clone(&psks.lookup);
            let joined = self
                .with_signer(move |signer| {
                    id.external_join(signer, &group_info, options, &*lookup, now)
                })$($await)*
                .map_err(|e| psks.blame(e))?;
            let g = GroupOf::new(self.clone(), joined.group);
            g.save(None)$($await)*?;
            Ok((g, joined.commit))
        }

        /// Creates a group with this client as its only member, and stores it.
        ///
        /// # Errors
        /// A crypto or storage failure.
        pub $($async)? fn create_group(&self, group_id: &[u8], now: u64) -> Result<GroupOf<Self>, Error> {
            self.create_group_with(group_id, Vec::new(), now)$($await)*
        }

        /// `create_group` with GroupContext `extensions` (RFC 9420 §13): for example
        /// `required_capabilities`, `external_senders`, or the application data of
        /// draft-ietf-mls-extensions (`app_data_dictionary`). Our own leaf must support each
        /// non-default type ([`ClientBuilder::capabilities`]).
        ///
        /// # Errors
        /// [`Error::Invalid`] when our leaf does not support the extensions; a crypto or
        /// storage failure.
        pub $($async)? fn create_group_with(&self, group_id: &[u8], extensions: Vec<Extension>, now: u64) -> Result<GroupOf<Self>, Error> {
            let (id, group_id) = (self.id.clone(), group_id.to_vec());
            let group = self.with_signer(move |signer| id.new_group(signer, &group_id, extensions, now))$($await)*?;
            let g = GroupOf::new(self.clone(), group);
            g.save(None)$($await)*?;
            Ok(g)
        }

        /// Joins a group from a Welcome addressed to one of our stored KeyPackages; the
        /// KeyPackage is deleted in the same write that stores the group. `ratchet_tree` is
        /// needed only when the Welcome's GroupInfo does not carry the tree.
        ///
        /// # Errors
        /// [`Error::Invalid`] when the Welcome is for none of our KeyPackages or fails
        /// validation; [`Error::Malformed`]; a storage failure.
        pub $($async)? fn join(
            &self,
            welcome: &MlsMessage,
            ratchet_tree: Option<RatchetTreeNodes>,
            now: u64,
        ) -> Result<GroupOf<Self>, Error> {
            self.join_inner(welcome, ratchet_tree, None, now)$($await)*
        }

        /// Joins a group that resumes `old` (RFC 9420 §11): the new group of a committed
        /// ReInit, or a branch of `old`, from the Welcome its creator sent (`ratchet_tree` as
        /// for `join`: only when the Welcome does not carry the tree). On top of the checks of
        /// `join`, the Welcome must carry `old`'s resumption PSK and the new group
        /// must match the ReInit (or hold only members of `old`, for a branch).
        ///
        /// # Errors
        /// As `join`; [`Error::Invalid`] when a rule of §11 fails.
        pub $($async)? fn join_resumed(
            &self,
            welcome: &MlsMessage,
            ratchet_tree: Option<RatchetTreeNodes>,
            old: &GroupOf<Self>,
            now: u64,
        ) -> Result<GroupOf<Self>, Error> {
            self.join_inner(welcome, ratchet_tree, Some(&old.group), now)$($await)*
        }

        $($async)? fn join_inner(
            &self,
            welcome: &MlsMessage,
            ratchet_tree: Option<RatchetTreeNodes>,
            old: Option<&Group>,
            now: u64,
        ) -> Result<GroupOf<Self>, Error> {
            let welcome = welcome_of(welcome)?;
            let (kp_ref, record, last_resort) = self.welcome_key_package(welcome)$($await)*?;
            let psks = self.psks();
            let group = self
                .id
                .join_with(welcome, &record, ratchet_tree, &*psks.lookup, old, now)
                .map_err(|e| psks.blame(e))?;
            self.check_group_id_free(group.group_id())$($await)*?;
            let g = GroupOf::new(self.clone(), group);
            g.save((!last_resort).then_some(kp_ref))$($await)*?;
            Ok(g)
        }

        /// The stored KeyPackage `welcome` is addressed to: its ref, its record, and whether it
        /// is a last-resort one (which a join keeps; any other is deleted in the write that
        /// stores the group, RFC 9420 §16.8).
        $($async)? fn welcome_key_package(
            &self,
            welcome: &Welcome,
        ) -> Result<(Vec<u8>, Zeroizing<Vec<u8>>, bool), Error> {
            for entry in &welcome.secrets {
                if let Some(record) = self.storage.key_package(&entry.new_member.0)$($await)*? {
                    let last_resort = Identity::key_package_record(&record)?.1;
                    return Ok((entry.new_member.0.to_vec(), record, last_resort));
                }
            }
            Err(Error::Invalid(cohort_group::ValidationError::NoMatchingKeyPackage))
        }

        /// Refuses a joined group whose id is one of our groups already (V-12.4.3.1-08).
        $($async)? fn check_group_id_free(&self, group_id: &[u8]) -> Result<(), Error> {
            if self.storage.read_state(group_id)$($await)*?.is_some() {
                return Err(Error::Invalid(cohort_group::ValidationError::InvalidGroupInfo(
                    crate::group::reason::GroupInfoReason::GroupIdInUse,
                )));
            }
            Ok(())
        }

        /// Loads a stored group: `Ok(None)` when no group of this id is stored.
        ///
        /// # Errors
        /// A storage failure ([`Error::Storage`]); [`Error::Malformed`] or
        /// [`Error::GroupMisuse`] for a stored state that cannot be read (damaged, or written by
        /// a newer version). An error never means "absent": do not overwrite the group on one.
        pub $($async)? fn load_group(&self, group_id: &[u8]) -> Result<Option<GroupOf<Self>>, Error> {
            let Some(stored) = self.storage.read_state(group_id)$($await)*? else {
                return Ok(None);
            };
            // The current epoch's record holds the secret trees (absent for a group stored whole
            // in format 1 by an earlier version); the next epoch's, our pending commit if any.
            let ratchets = self.storage.read_epoch(group_id, stored.epoch)$($await)*?;
            let pending = match stored.epoch.checked_add(1) {
                Some(next) => self.storage.read_epoch(group_id, next)$($await)*?,
                None => None,
            };
            let group = self.id.restore(
                &stored.state,
                ratchets.as_deref().map(|r| r.as_slice()),
                pending.as_deref().map(|p| p.as_slice()),
            )?;
            Ok(Some(GroupOf::new(self.clone(), group)))
        }
    };
}

impl Client {
    /// Runs `op` with the client's signer (always local for a synchronous client).
    fn with_signer<T>(&self, op: impl FnOnce(&dyn Signer) -> Result<T, Error>) -> Result<T, Error> {
        match &self.id.signer {
            SignerRef::Local(signer) => op(&**signer),
            SignerRef::Remote(_) => Err(Error::Misuse(
                "an asynchronous signer needs an asynchronous client",
            )),
        }
    }

    /// Stores the external PSK `psk_id` (RFC 9420 §8.4), so that commits and Welcomes that use
    /// it can be processed, and `propose_external_psk` can name it. (An [`AsyncClient`] looks
    /// PSKs up in the application's [`ExternalPsks`] instead.)
    ///
    /// # Errors
    /// A storage failure.
    pub fn register_psk(&self, psk_id: &[u8], psk: Zeroizing<Vec<u8>>) -> Result<(), Error> {
        Ok(self.storage.insert_psk(psk_id, psk)?)
    }

    /// Stores the PSK that application component `component` names `psk_id`
    /// (draft-ietf-mls-extensions "Pre-Shared Keys", PSK type `application`), so that commits
    /// and Welcomes that use it can be processed and `application_psk_proposal` can name it.
    /// It is kept apart from external PSKs: the same `psk_id` under another component, or as
    /// an external PSK, is another PSK.
    ///
    /// # Errors
    /// A storage failure.
    pub fn register_application_psk(
        &self,
        component: ComponentId,
        psk_id: &[u8],
        psk: Zeroizing<Vec<u8>>,
    ) -> Result<(), Error> {
        Ok(self
            .storage
            .insert_psk(&application_psk_key(component, psk_id), psk)?)
    }

    /// Deletes the application PSK `psk_id` of `component`. Deleting an absent one is not an
    /// error.
    ///
    /// # Errors
    /// A storage failure.
    pub fn delete_application_psk(
        &self,
        component: ComponentId,
        psk_id: &[u8],
    ) -> Result<(), Error> {
        Ok(self
            .storage
            .delete_psk(&application_psk_key(component, psk_id))?)
    }

    /// Deletes the external PSK `psk_id`. Deleting an absent one is not an error.
    ///
    /// # Errors
    /// A storage failure.
    pub fn delete_psk(&self, psk_id: &[u8]) -> Result<(), Error> {
        Ok(self.storage.delete_psk(psk_id)?)
    }

    /// Starts building a client on `provider` (then `.build(storage)`).
    pub fn builder(provider: Arc<dyn CryptoProvider>) -> ClientBuilder {
        ClientBuilder::new(provider)
    }

    fn psks(&self) -> Psks {
        Psks::from_store(Arc::clone(&self.storage))
    }

    client_api!(,);
}

impl AsyncClient {
    fn psks(&self) -> Psks {
        Psks::given(Arc::clone(&self.psks))
    }

    /// Runs `op` with the client's signer: inline for a local one; for an [`AsyncSigner`], on
    /// a thread of its own while this task awaits the signatures it asks for.
    async fn with_signer<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn Signer) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        match &self.id.signer {
            SignerRef::Local(signer) => op(&**signer),
            SignerRef::Remote(signer) => crate::remote_signer::run(Arc::clone(signer), op).await,
        }
    }

    client_api!(async, .await);
}

/// Choices for an external join ([`Client::join_by_external_commit_with`]).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ExternalJoinOptions {
    /// The ratchet tree, when the GroupInfo does not carry it.
    pub ratchet_tree: Option<RatchetTreeNodes>,
    /// External PSKs to inject, by id; the client (and the members) must have them.
    pub psk_ids: Vec<Vec<u8>>,
    /// The leaf of our former self to remove in the same commit (a resync, RFC 9420
    /// §12.4.3.2).
    pub replaces: Option<LeafIndex>,
    /// The group's pending SelfRemove proposals (draft-ietf-mls-extensions), PublicMessages
    /// of the GroupInfo's epoch as the Delivery Service hands them out with it: the commit
    /// covers each by reference, after checking it as a member would (but for the membership
    /// tag), and its sender leaves.
    pub self_removes: Vec<MlsMessage>,
    /// AppDataUpdate and AppEphemeral proposals (draft-ietf-mls-extensions) the commit carries
    /// by value; the client's `AppComponents` computes the new data, as the members' do.
    pub app_proposals: Vec<Proposal>,
}

impl ExternalJoinOptions {
    /// The options carrying the AppDataUpdate and AppEphemeral `proposals` by value.
    pub fn app_proposals(mut self, proposals: Vec<Proposal>) -> Self {
        self.app_proposals = proposals;
        self
    }

    /// The options with the external PSKs `psk_ids`.
    pub fn psks(mut self, psk_ids: Vec<Vec<u8>>) -> Self {
        self.psk_ids = psk_ids;
        self
    }

    /// The options removing our former leaf `leaf`.
    pub fn replacing(mut self, leaf: LeafIndex) -> Self {
        self.replaces = Some(leaf);
        self
    }

    /// The options committing the pending SelfRemove proposals `messages`.
    pub fn self_removes(mut self, messages: Vec<MlsMessage>) -> Self {
        self.self_removes = messages;
        self
    }

    /// The options with the ratchet tree given out of band.
    pub fn ratchet_tree(mut self, tree: RatchetTreeNodes) -> Self {
        self.ratchet_tree = Some(tree);
        self
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
        /// The message's authenticated data (sent in the clear, covered by the AEAD).
        authenticated_data: Vec<u8>,
    },
    /// A proposal, cached for a later commit (by any member, with
    /// [`GroupOf::commit_pending`]).
    Proposal {
        /// Who sent it.
        sender: ProposalSender,
        /// The proposal.
        proposal: Box<Proposal>,
    },
    /// A commit: inspect it ([`StagedCommit::summary`]), then merge it with `merge_staged` (or
    /// drop it).
    Commit(Box<StagedCommit>),
    /// A message of a future epoch, held until the group reaches it, or a commit of this
    /// epoch that references a proposal not received yet: [`GroupOf::process_held`] processes
    /// it when it can be (see [`DeliveryPolicy`]).
    Held {
        /// The message's epoch.
        epoch: u64,
    },
    /// Our own commit or proposal, echoed back by the Delivery Service after the group moved
    /// on (the commit merged, lost or cleared): nothing to do.
    Echo,
}

/// Who sent a proposal (RFC 9420 §6.1, §12.1.8).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ProposalSender {
    /// A member of the group.
    Member(Member),
    /// The external sender at this index of the group's `external_senders` extension.
    External(u32),
    /// A client asking to be added: the proposal is the Add of its own KeyPackage.
    NewMember,
}

/// A group of a client: every change is written to the client's storage before the method
/// returns.
///
/// The handle owns a clone of its client (cheap: shared pointers), so it has no lifetime and is
/// `Send`: keep it in a struct or a map keyed by [`GroupOf::id`], move it to another thread.
#[derive(Debug)]
pub struct GroupOf<C> {
    client: C,
    group: Group,
    /// Messages of future epochs, until their epoch arrives (in memory only).
    held: Held,
    /// What our pending commit carried, to propose again if it loses a race (in memory only).
    intent: Option<Intent>,
    /// The time given to the last `process_message`, for proposals made when a commit of ours
    /// lost a race.
    now: u64,
}

impl<C> GroupOf<C> {
    fn new(client: C, group: Group) -> Self {
        Self {
            client,
            group,
            held: Held::default(),
            intent: None,
            now: 0,
        }
    }
}

/// A group of a [`Client`] (synchronous storage).
pub type ClientGroup = GroupOf<Client>;

/// A group of an [`AsyncClient`] (asynchronous storage).
pub type AsyncClientGroup = GroupOf<AsyncClient>;

impl<C> GroupOf<C> {
    /// The client this group belongs to.
    pub fn client(&self) -> &C {
        &self.client
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

    /// Whether the group is active, we were removed, or a committed ReInit awaits the new
    /// group (RFC 9420 §11.2).
    pub fn status(&self) -> cohort_group::GroupStatus {
        self.group.status()
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

    /// The group's application data: the GroupContext's `app_data_dictionary`
    /// (draft-ietf-mls-extensions), if it has one. AppDataUpdate proposals change it.
    ///
    /// # Errors
    /// None in practice: the group accepts only well-formed dictionaries.
    pub fn app_data(&self) -> Result<Option<AppDataDictionary>, Error> {
        Ok(self.group.app_data_dictionary()?)
    }

    /// The ratchet tree of the current epoch, for a joiner that gets it out of band (a Welcome
    /// or GroupInfo made without it).
    pub fn ratchet_tree(&self) -> RatchetTreeNodes {
        self.group.tree().to_nodes()
    }

    /// The sans-IO group underneath, for what the facade does not wrap.
    pub fn group(&self) -> &Group {
        &self.group
    }

    /// The write that stores `group` whole: its state, its secret trees as the record of its
    /// epoch (replacing the record of `previous_epoch` when that is another), and its pending
    /// commit, if any, as the record of the next epoch (else that record goes).
    ///
    /// The records of a group are thus: its epoch's (the secret trees) and, while a commit of
    /// ours is pending, the next epoch's (that commit). Merging it replaces the latter with the
    /// new epoch's secret trees.
    fn write_of(
        group: &Group,
        previous_epoch: Option<u64>,
        consumed_key_package: Option<Vec<u8>>,
    ) -> Result<GroupWrite, Error> {
        let (split, pending) = group.to_split_state_apart()?;
        let epoch = group.epoch();
        let mut write = GroupWrite::new(group.group_id().to_vec())
            .with_state(epoch, split.state)
            .insert_epoch(epoch, split.ratchets);
        if let Some(previous) = previous_epoch.filter(|e| *e != epoch) {
            write = write.delete_epoch(previous);
            // A commit of ours pending in the previous epoch was its next epoch's record; when
            // the group moved elsewhere (a resync, another member's commit over several
            // epochs), that record goes too. (When it moved to that very epoch, the record was
            // replaced by the new ratchets above, and must not be deleted.)
            if let Some(stale) = previous.checked_add(1).filter(|e| *e != epoch) {
                write = write.delete_epoch(stale);
            }
        }
        if let Some(next) = epoch.checked_add(1) {
            write = match pending {
                Some(pending) => write.insert_epoch(next, pending),
                None => write.delete_epoch(next),
            };
        }
        if let Some(r) = consumed_key_package {
            write = write.consume_key_package(r);
        }
        Ok(write)
    }

    /// The write after creating a commit: its pending commit as the next epoch's record and the
    /// secret trees (a commit sent as a PrivateMessage used a handshake key), for a group
    /// whose state is otherwise as stored at `epoch`. `None` when `group` is not such a group
    /// (another epoch, no pending commit): it is then stored whole.
    fn staged_write_of(group: &Group, epoch: u64) -> Result<Option<GroupWrite>, Error> {
        let next = epoch.checked_add(1);
        let (Some(next), true) = (next, group.epoch() == epoch) else {
            return Ok(None);
        };
        let Some(pending) = group.pending_commit_bytes()? else {
            return Ok(None);
        };
        Ok(Some(
            GroupWrite::new(group.group_id().to_vec())
                .insert_epoch(epoch, group.ratchet_bytes()?)
                .insert_epoch(next, pending),
        ))
    }

    /// The write after an application message: the secret trees only.
    fn ratchet_write_of(group: &Group) -> Result<GroupWrite, Error> {
        Ok(GroupWrite::new(group.group_id().to_vec())
            .insert_epoch(group.epoch(), group.ratchet_bytes()?))
    }

    /// After a message step and its write: keeps the step once `stored`, or puts the secret
    /// tree back and returns the write's error.
    fn settle_ratchets(
        &mut self,
        before: RatchetSnapshot,
        stored: Result<(), Error>,
    ) -> Result<(), Error> {
        match stored {
            Ok(()) => {
                self.group.keep_ratchets(before);
                Ok(())
            }
            Err(e) => Err(self.roll_back(before, e)),
        }
    }

    /// Puts the secret tree of `before` back after a failed message step, and returns `err`.
    fn roll_back(&mut self, before: RatchetSnapshot, err: impl Into<Error>) -> Error {
        match self.group.restore_ratchets(before) {
            Ok(()) => err.into(),
            Err(restore) => restore.into(),
        }
    }

    /// The member at `leaf` in `epoch` (the current one or a retained past one).
    fn sender_in(group: &Group, epoch: u64, leaf: LeafIndex) -> Result<Member, Error> {
        group
            .credential_in_epoch(epoch, leaf)
            .map(|credential| Member {
                leaf,
                credential: credential.clone(),
            })
            .ok_or(Error::Internal("sender verified but not found"))
    }

    fn member_of(group: &Group, leaf: LeafIndex) -> Result<Member, Error> {
        group
            .members()
            .find(|(i, _)| *i == leaf)
            .map(|(i, l)| Member::of(i, l))
            .ok_or(Error::Internal("sender verified but not found"))
    }
}

/// Whether `message` is a commit (its content type is in the clear in both framings).
fn is_commit(message: &MlsMessage) -> bool {
    match &message.body {
        MlsMessageBody::PublicMessage(m) => m.content.content.content_type() == ContentType::Commit,
        MlsMessageBody::PrivateMessage(m) => m.content_type == ContentType::Commit,
        _ => false,
    }
}

/// Whether `message` is a PrivateMessage of application data (its content type is in the clear
/// and authenticated by the AEAD).
fn is_application(message: &MlsMessage) -> bool {
    matches!(&message.body, MlsMessageBody::PrivateMessage(m) if m.content_type == ContentType::Application)
}

/// The KeyPackages inside MLSMessages.
fn key_packages(messages: &[MlsMessage]) -> Result<Vec<KeyPackage>, Error> {
    messages
        .iter()
        .map(|m| match &m.body {
            // The envelope is mls10 and the KeyPackage has the envelope's version (V-10-01).
            MlsMessageBody::KeyPackage(kp) => {
                check_version(m)?;
                if kp.version != m.version {
                    return Err(Error::Invalid(
                        cohort_group::ValidationError::InvalidKeyPackage(
                            crate::group::reason::KeyPackageReason::VersionDiffersFromMessage,
                        ),
                    ));
                }
                Ok(kp.clone())
            }
            _ => Err(Error::Misuse(
                "add_members takes MLSMessages carrying KeyPackages",
            )),
        })
        .collect()
}

/// The group operations, written once for both clients: the first argument is empty or
/// `async`, the rest empty or `.await`.
macro_rules! group_api {
    ($client:ty; $($async:ident)?, $($await:tt)*) => {
        /// Adds the clients of `key_packages` (MLSMessages carrying KeyPackages). The commit is
        /// pending until `merge_pending_commit`. Like every commit, it also covers the proposals
        /// cached in this epoch (by reference), PSK proposals included (their PSKs are looked up
        /// as for `commit`).
        ///
        /// # Errors
        /// [`Error::Invalid`] for an invalid KeyPackage; a crypto or storage failure.
        pub $($async)? fn add_members(&mut self, key_packages: &[MlsMessage], now: u64) -> Result<CommitOutput, Error> {
            let proposals = self::key_packages(key_packages)?
                .into_iter()
                .map(|key_package| Proposal::Add(Add { key_package }))
                .collect();
            // With a path, as the engine's `add_members` (fresh keys for the new members).
            let mut options = self.commit_options();
            options.force_path = true;
            self.commit_with(proposals, options, now)$($await)*
        }

        /// Removes the members at `leaves`. The commit is pending until merged. It also covers
        /// the proposals cached in this epoch, as `add_members`.
        ///
        /// # Errors
        /// [`Error::Invalid`] for a leaf that is not a member; a crypto or storage failure.
        pub $($async)? fn remove_members(&mut self, leaves: &[LeafIndex], now: u64) -> Result<CommitOutput, Error> {
            let proposals = leaves.iter().map(|&removed| Proposal::Remove(Remove { removed })).collect();
            let options = self.commit_options();
            self.commit_with(proposals, options, now)$($await)*
        }

        /// Refreshes our keys (post-compromise security). The commit is pending until merged.
        /// It also covers the proposals cached in this epoch, as `add_members`.
        ///
        /// # Errors
        /// A crypto or storage failure.
        pub $($async)? fn self_update(&mut self, now: u64) -> Result<CommitOutput, Error> {
            let options = self.commit_options();
            let out = self.commit_with(Vec::new(), options, now)$($await)*?;
            self.intent = Some(Intent::self_update());
            Ok(out)
        }

        /// Applies our pending commit once the Delivery Service has accepted it.
        ///
        /// # Errors
        /// A misuse error when there is none; a storage failure.
        pub $($async)? fn merge_pending_commit(&mut self) -> Result<(), Error> {
            let mut next = self.group.clone();
            next.merge_pending_commit()?;
            self.commit_to(next)$($await)*?;
            self.intent = None;
            Ok(())
        }

        /// Encrypts application data for the group.
        ///
        /// # Errors
        /// A crypto or storage failure.
        pub $($async)? fn send_message(&mut self, data: &[u8]) -> Result<MlsMessage, Error> {
            self.send_message_with(data, &[])$($await)*
        }

        /// Encrypts application data with `authenticated_data`, which travels in the clear and
        /// is authenticated with the message. Padded as the client's [`MessagePolicy`] says.
        ///
        /// # Errors
        /// A crypto or storage failure.
        pub $($async)? fn send_message_with(&mut self, data: &[u8], authenticated_data: &[u8]) -> Result<MlsMessage, Error> {
            let padding = self.client.id.policy.padding_for(data.len());
            let SignerRef::Local(signer) = &self.client.id.signer else {
                // A remote signer: the operation runs on its own thread, on a copy.
                let (mut next, data, aad) = (self.group.clone(), data.to_vec(), authenticated_data.to_vec());
                let (next, message) = self.client.with_signer(move |signer| {
                    let message = next.encrypt_application(signer, &data, &aad, padding)?;
                    Ok((next, message))
                })$($await)*?;
                self.commit_to(next)$($await)*?;
                return Ok(message);
            };
            // Only the current secret tree moves: it keeps what the step replaces until stored.
            let epoch = self.group.epoch();
            let before = self.group.ratchet_snapshot(epoch);
            let encrypted = self.group.encrypt_application(&**signer, data, authenticated_data, padding);
            let message = match encrypted {
                Ok(message) => message,
                Err(e) => return Err(self.roll_back(before, e)),
            };
            // The sending ratchet moved on: persist it before the message leaves.
            self.commit_ratchets(before)$($await)*?;
            Ok(message)
        }

        /// Processes an incoming message. Application data and proposals are stored at once; a
        /// commit is returned staged and stored only when merged. A message of a future epoch
        /// is held ([`Received::Held`]) until the group reaches its epoch, then processed by
        /// [`GroupOf::process_held`].
        ///
        /// # Errors
        /// [`Error::Invalid`] or [`Error::Malformed`] for a bad message, [`Error::Delivery`]
        /// for one that came too late, too early or twice; either changes nothing.
        pub $($async)? fn process_message(&mut self, message: MlsMessage, now: u64) -> Result<Received, Error> {
            self.now = now;
            let current = self.group.epoch();
            let policy = self.client.id.delivery;
            if let Some(epoch) = delivery::future_epoch(&message, self.group.group_id(), current) {
                // A group we were removed from (or that a ReInit closed) never reaches that
                // epoch: refused as the group refuses everything then, not held.
                let inactive = match self.group.status() {
                    cohort_group::GroupStatus::Active => None,
                    cohort_group::GroupStatus::ReInitPending => {
                        Some(cohort_group::reason::InactiveReason::ReInitPending)
                    }
                    _ => Some(cohort_group::reason::InactiveReason::Removed),
                };
                if let Some(reason) = inactive {
                    return Err(Error::Invalid(cohort_group::ValidationError::GroupInactive(reason)));
                }
                self.held.hold(epoch, message, current, &policy).map_err(Error::Delivery)?;
                return Ok(Received::Held { epoch });
            }
            // Our own commit or proposal, echoed after the group moved on (merged, lost or
            // cleared): nothing to do. In the current epoch the group recognises echoes itself.
            if delivery::addressing(&message).is_some_and(|(_, e)| e < current)
                && self.held.is_echo(&message)
            {
                return Ok(Received::Echo);
            }
            // Kept aside for a retry: a commit that references a proposal not received yet
            // (the Delivery Service reordered them) is held until `process_held`.
            let retry = is_commit(&message).then(|| message.clone());
            match self.process_now(message, now)$($await)* {
                Err(Error::Invalid(cohort_group::ValidationError::UnknownProposalRef)) => {
                    let retry = retry.ok_or(Error::Internal("only a commit references proposals"))?;
                    self.held
                        .hold(current, retry, current, &policy)
                        .map_err(Error::Delivery)?;
                    Ok(Received::Held { epoch: current })
                }
                result => result.map_err(|e| delivery::classify(e, current)),
            }
        }

        /// Processes the held messages of the epoch the group is in (and of earlier ones), in
        /// the order they arrived, each with its result as `process_message` gives it: call it
        /// after every epoch change and every proposal received. A commit among them comes back
        /// staged (or held again while a proposal it references is still missing); messages of
        /// later epochs stay held.
        pub $($async)? fn process_held(&mut self, now: u64) -> Vec<Result<Received, Error>> {
            let ready = self.held.take_ready(self.group.epoch());
            let mut results = Vec::with_capacity(ready.len());
            for message in ready {
                results.push(self.process_message(message, now)$($await)*);
            }
            results
        }

        $($async)? fn process_now(&mut self, message: MlsMessage, now: u64) -> Result<Received, Error> {
            let epoch = delivery::addressing(&message).map_or(self.group.epoch(), |(_, e)| e);
            if is_application(&message) {
                // Application data moves only the secret trees: processed in place, and only
                // they are stored. A rejected message changes nothing (the group guarantees it);
                // a failed write puts the tree back.
                let before = self.group.ratchet_snapshot(epoch);
                return match self.group.process_message(message, &cohort_group::NoPsks, Some(now)) {
                    Ok(Processed::Application { sender, data, authenticated_data }) => {
                        // The sender as a member of the message's epoch: a late message's
                        // sender may have left since.
                        let sender = match Self::sender_in(&self.group, epoch, sender) {
                            Ok(sender) => sender,
                            Err(e) => return Err(self.roll_back(before, e)),
                        };
                        self.commit_ratchets(before)$($await)*?;
                        Ok(Received::Application { sender, data, authenticated_data })
                    }
                    // The content type is authenticated: nothing else can come out.
                    Ok(_) => Err(self.roll_back(
                        before,
                        Error::Internal("an application message processed as another kind"),
                    )),
                    Err(e) => Err(self.roll_back(before, e)),
                };
            }
            let mut next = self.group.clone();
            let psks = self.client.psks();
            let processed = next
                .process_message(message, &*psks.lookup, Some(now))
                .map_err(|e| psks.blame(e))?;
            match processed {
                Processed::Application { sender, data, authenticated_data } => {
                    let sender = Self::sender_in(&next, epoch, sender)?;
                    self.commit_to(next)$($await)*?;
                    Ok(Received::Application { sender, data, authenticated_data })
                }
                Processed::Proposal { sender, proposal } => {
                    let sender = match sender {
                        Sender::Member(leaf) => ProposalSender::Member(Self::member_of(&next, leaf)?),
                        Sender::External(index) => ProposalSender::External(index),
                        Sender::NewMemberProposal => ProposalSender::NewMember,
                        Sender::NewMemberCommit => {
                            return Err(Error::Internal("a proposal from a new_member_commit sender"));
                        }
                    };
                    self.commit_to(next)$($await)*?;
                    Ok(Received::Proposal { sender, proposal })
                }
                Processed::Commit(staged) => Ok(Received::Commit(staged)),
                _ => Err(Error::Internal("unknown processing result")),
            }
        }

        /// Runs `operation` on a copy of the group with the client's signer, and stores the
        /// result before it becomes the group: whatever `cohort_group::Group` offers beyond
        /// the methods here (proposals by reference, committing them with chosen options, PSKs,
        /// GroupContextExtensions, ReInit), with the same guarantee. If `operation` or the write
        /// fails, the group is unchanged.
        ///
        /// # Errors
        /// `operation`'s error, or a storage failure.
        pub $($async)? fn operate<T: Send + 'static>(
            &mut self,
            operation: impl FnOnce(&mut Group, &dyn Signer) -> Result<T, cohort_group::Error>
                + Send
                + 'static,
        ) -> Result<T, Error> {
            let mut next = self.group.clone();
            let (next, out) = self.client.with_signer(move |signer| {
                let out = operation(&mut next, signer)?;
                Ok((next, out))
            })$($await)*?;
            self.commit_to(next)$($await)*?;
            Ok(out)
        }

        /// Commit options following the client's [`MessagePolicy`].
        fn commit_options(&self) -> CommitOptions {
            let mut options = CommitOptions::new();
            options.format = self.client.id.policy.handshake_format;
            options.group_info = self.client.id.policy.group_info == GroupInfoPolicy::EveryCommit;
            options
        }


        /// A PreSharedKey proposal (RFC 9420 §12.1.4) for the external PSK `psk_id`, with a fresh
        /// nonce of the group's KDF length (§8.4): for `propose` or `commit`.
        ///
        /// # Errors
        /// A crypto failure drawing the nonce.
        pub fn external_psk_proposal(&self, psk_id: &[u8]) -> Result<Proposal, Error> {
            self.psk_proposal(Psk::External {
                psk_id: psk_id.to_vec().into(),
            })
        }

        /// `SafeSignWithLabel` (draft-ietf-mls-extensions "Signature Keys"): signs `content` for
        /// component `component` with our leaf's signature key, under `label`. Other members
        /// verify it with [`GroupOf::safe_verify`].
        ///
        /// # Errors
        /// The signer's failure. A client with an asynchronous signer cannot sign here
        /// ([`Error::Misuse`]).
        pub fn safe_sign(&self, component: ComponentId, label: &[u8], content: &[u8]) -> Result<Vec<u8>, Error> {
            match &self.client.id.signer {
                SignerRef::Local(signer) => Ok(cohort_group::components::safe_sign_with_label(
                    &**signer, component, label, content,
                )?),
                SignerRef::Remote(_) => Err(Error::Misuse(
                    "safe_sign needs a synchronous signer",
                )),
            }
        }

        /// `SafeVerifyWithLabel`: whether `signature` is component `component`'s signature under
        /// `label` of `content` by the member at `leaf`.
        ///
        /// # Errors
        /// [`Error::Invalid`] when it does not verify, or `leaf` is not a member.
        pub fn safe_verify(
            &self,
            leaf: LeafIndex,
            component: ComponentId,
            label: &[u8],
            content: &[u8],
            signature: &[u8],
        ) -> Result<(), Error> {
            let key = self
                .group
                .tree()
                .leaf(leaf)
                .map(|l| l.signature_key.clone())
                .ok_or(Error::Misuse("no member at that leaf"))?;
            let suite = self.client.id.provider.require_suite(self.group.context().cipher_suite)?;
            Ok(cohort_group::components::safe_verify_with_label(
                &*suite, &key, component, label, content, signature,
            )?)
        }

        /// A PreSharedKey proposal (PSK type `application`, draft-ietf-mls-extensions) for
        /// component `component`'s PSK `psk_id` (see `Client::register_application_psk`), with a
        /// fresh nonce: for `propose` or `commit`.
        ///
        /// # Errors
        /// A crypto failure drawing the nonce.
        pub fn application_psk_proposal(&self, component: ComponentId, psk_id: &[u8]) -> Result<Proposal, Error> {
            self.psk_proposal(Psk::Application {
                component_id: component,
                psk_id: psk_id.to_vec().into(),
            })
        }

        /// A PreSharedKey proposal for this group's resumption PSK of `epoch` (usage
        /// `application`, RFC 9420 §8.6), with a fresh nonce: for `propose` or `commit`. The
        /// epoch must still be retained (`GroupConfig::max_resumption_epochs`).
        ///
        /// # Errors
        /// A crypto failure drawing the nonce.
        pub fn resumption_psk_proposal(&self, epoch: u64) -> Result<Proposal, Error> {
            self.psk_proposal(Psk::Resumption {
                usage: ResumptionPskUsage::Application,
                psk_group_id: self.group.group_id().to_vec().into(),
                psk_epoch: epoch,
            })
        }

        fn psk_proposal(&self, psk: Psk) -> Result<Proposal, Error> {
            let cs = self.group.context().cipher_suite;
            let suite = self.client.id.provider.require_suite(cs)?;
            Ok(Proposal::PreSharedKey(PreSharedKey {
                psk: cohort_group::fresh_psk_id(&*suite, psk)?,
            }))
        }

        /// Sends `proposal` by reference (RFC 9420 §12.1), for any proposal type but Update
        /// (use `propose_update`) and ExternalInit. The named `propose_*` calls build the
        /// common ones.
        ///
        /// # Errors
        /// [`Error::Invalid`] when the proposal fails the checks receivers make; a crypto or
        /// storage failure.
        pub $($async)? fn propose(&mut self, proposal: Proposal, now: u64) -> Result<MlsMessage, Error> {
            let format = self.client.id.policy.handshake_format;
            let message = self
                .operate(move |g, signer| g.propose(signer, proposal, format, Some(now)))$($await)*?;
            self.held.remember_sent(&message);
            Ok(message)
        }

        /// Commits `proposals` by value together with every proposal cached in this epoch (by
        /// reference), with a path when one is required. The commit is pending until
        /// `merge_pending_commit`.
        ///
        /// # Errors
        /// [`Error::Invalid`] when the proposals together are invalid; a crypto or storage
        /// failure.
        pub $($async)? fn commit(&mut self, proposals: Vec<Proposal>, now: u64) -> Result<CommitOutput, Error> {
            let options = self.commit_options();
            self.commit_with(proposals, options, now)$($await)*
        }

        /// `commit` with explicit [`CommitOptions`](crate::group::CommitOptions) instead of the
        /// client's [`MessagePolicy`]: a path even when none is required (`force_path`), the
        /// ratchet tree left out of the Welcome to send it out of band
        /// (`ratchet_tree_in_welcome`, see [`GroupOf::ratchet_tree`]), a GroupInfo with the
        /// commit, authenticated data, a new credential.
        ///
        /// # Errors
        /// As `commit`.
        pub $($async)? fn commit_with(&mut self, proposals: Vec<Proposal>, options: CommitOptions, now: u64) -> Result<CommitOutput, Error> {
            let psks = self.client.psks();
            let lookup = Arc::clone(&psks.lookup);
            let intent = Intent::carrying(&self.group, proposals.clone());
            let mut next = self.group.clone();
            let (next, out) = self.client.with_signer(move |signer| {
                let out = next.commit(signer, proposals, &options, &*lookup, Some(now))?;
                Ok((next, out))
            })$($await)*
                .map_err(|e| psks.blame(e))?;
            self.stage_to(next)$($await)*?;
            self.held.remember_sent(&out.commit);
            self.intent = Some(intent);
            Ok(out)
        }

        /// A signed GroupInfo of the current epoch with `external_pub`, with the ratchet tree
        /// in it or not (then the joiner needs the tree out of band: [`GroupOf::ratchet_tree`]).
        ///
        /// # Errors
        /// A crypto failure.
        pub $($async)? fn group_info_with(&self, with_ratchet_tree: bool) -> Result<MlsMessage, Error> {
            let group = self.group.clone();
            self.client
                .with_signer(move |signer| Ok(group.group_info(signer, with_ratchet_tree)?))$($await)*
        }

        /// The ReInit a merged commit carried, if the group awaits its new group
        /// (RFC 9420 §11.2).
        pub fn pending_reinit(&self) -> Option<&ReInit> {
            self.group.pending_reinit()
        }

        /// Creates the group the committed ReInit describes, as a group of `new_client` (the
        /// group's own client when the ReInit keeps the cipher suite; a client of the new suite
        /// otherwise), adding the members through `key_packages`, their KeyPackages for the new
        /// group. Returns the new group, stored, and the commit's output: send its Welcome.
        /// This group stays stored until the application deletes it, unless the new group keeps
        /// its id and `new_client` shares its store: the new group then replaces it there (the
        /// handle of this one still serves `join_resumed`, from memory).
        ///
        /// # Errors
        /// [`Error::GroupMisuse`] when no ReInit is pending or the new client's suite is not
        /// the ReInit's; [`Error::Invalid`] for an invalid KeyPackage; a crypto or storage
        /// failure.
        pub $($async)? fn reinit(
            &self,
            new_client: &$client,
            key_packages: &[MlsMessage],
            now: u64,
        ) -> Result<(GroupOf<$client>, CommitOutput), Error> {
            let mut options = CommitOptions::new();
            options.format = new_client.id.policy.handshake_format;
            self.reinit_with(new_client, key_packages, options, now)$($await)*
        }

        /// `reinit` with explicit [`CommitOptions`](crate::group::CommitOptions) for the new
        /// group's first commit.
        ///
        /// # Errors
        /// As `reinit`.
        pub $($async)? fn reinit_with(
            &self,
            new_client: &$client,
            key_packages: &[MlsMessage],
            options: CommitOptions,
            now: u64,
        ) -> Result<(GroupOf<$client>, CommitOutput), Error> {
            let reinit = self
                .group
                .pending_reinit()
                .ok_or(Error::GroupMisuse(cohort_group::ApiMisuse::NoPendingReInit))?;
            if reinit.cipher_suite != new_client.id.cipher_suite {
                return Err(Error::Misuse(
                    "the new group's client must be of the ReInit's cipher suite",
                ));
            }
            let (kps, old, id) = (self::key_packages(key_packages)?, self.group.clone(), Arc::clone(&new_client.id));
            let (group, out) = new_client
                .with_signer(move |signer| {
                    Ok(old.reinit(&*id.provider, signer, &id.leaf_spec(now), kps, &options, id.config.clone(), Some(now))?)
                })$($await)*?;
            let g = GroupOf::new(new_client.clone(), group);
            g.save(None)$($await)*?;
            Ok((g, out))
        }

        /// Creates a branch of this group (RFC 9420 §11.3): a new group `group_id` with the
        /// same suite and extensions, whose members are the clients of `key_packages` (members
        /// of this group). Returns the new group, stored, and the commit's output: send its
        /// Welcome; they join with `join_resumed`.
        ///
        /// # Errors
        /// [`Error::Invalid`] for an invalid KeyPackage; a crypto or storage failure.
        pub $($async)? fn branch(
            &self,
            group_id: &[u8],
            key_packages: &[MlsMessage],
            now: u64,
        ) -> Result<(GroupOf<$client>, CommitOutput), Error> {
            let extensions = self.group.context().extensions.clone();
            self.branch_with(group_id, extensions, key_packages, self.commit_options(), now)$($await)*
        }

        /// `branch` with the new group's GroupContext `extensions` and explicit
        /// [`CommitOptions`](crate::group::CommitOptions) for its first commit.
        ///
        /// # Errors
        /// As `branch`; [`Error::Invalid`] when a member cannot support the extensions.
        pub $($async)? fn branch_with(
            &self,
            group_id: &[u8],
            extensions: Vec<Extension>,
            key_packages: &[MlsMessage],
            options: CommitOptions,
            now: u64,
        ) -> Result<(GroupOf<$client>, CommitOutput), Error> {
            let (kps, old, id) = (self::key_packages(key_packages)?, self.group.clone(), Arc::clone(&self.client.id));
            let group_id = group_id.to_vec();
            let (group, out) = self
                .client
                .with_signer(move |signer| {
                    Ok(old.branch(&*id.provider, signer, &id.leaf_spec(now), group_id, extensions, kps, &options, id.config.clone(), Some(now))?)
                })$($await)*?;
            let g = GroupOf::new(self.client.clone(), group);
            g.save(None)$($await)*?;
            Ok((g, out))
        }

        /// Proposes adding the client of `key_package` (an MLSMessage carrying a KeyPackage).
        /// Returns the proposal to send; any member, ourselves included, commits it with
        /// [`GroupOf::commit_pending`].
        ///
        /// # Errors
        /// [`Error::Invalid`] for an invalid KeyPackage; a crypto or storage failure.
        pub $($async)? fn propose_add(&mut self, key_package: &MlsMessage, now: u64) -> Result<MlsMessage, Error> {
            let kp = self::key_packages(std::slice::from_ref(key_package))?
                .pop()
                .ok_or(Error::Internal("one KeyPackage in, one out"))?;
            self.propose(Proposal::Add(Add { key_package: kp }), now)$($await)*
        }

        /// Proposes removing the member at `leaf`.
        ///
        /// # Errors
        /// [`Error::Invalid`] when `leaf` is not a member; a crypto or storage failure.
        pub $($async)? fn propose_remove(&mut self, leaf: LeafIndex, now: u64) -> Result<MlsMessage, Error> {
            self.propose(Proposal::Remove(Remove { removed: leaf }), now)$($await)*
        }

        /// Proposes refreshing our leaf's encryption key (an Update, RFC 9420 §12.1.2) for
        /// another member to commit. To refresh and commit at once, use `self_update`.
        ///
        /// # Errors
        /// A crypto or storage failure.
        pub $($async)? fn propose_update(&mut self, now: u64) -> Result<MlsMessage, Error> {
            let format = self.client.id.policy.handshake_format;
            let message = self
                .operate(move |g, signer| g.propose_update(signer, format, Some(now)))$($await)*?;
            self.held.remember_sent(&message);
            Ok(message)
        }

        /// Proposes injecting the external PSK `psk_id` (RFC 9420 §12.1.4, §8.4). Every member
        /// needs it to process the commit that covers the proposal: register it first with the
        /// client's `register_psk` (or the application's PSK lookup of an async client).
        ///
        /// # Errors
        /// A crypto or storage failure.
        pub $($async)? fn propose_external_psk(&mut self, psk_id: &[u8], now: u64) -> Result<MlsMessage, Error> {
            let proposal = self.external_psk_proposal(psk_id)?;
            self.propose(proposal, now)$($await)*
        }

        /// Proposes replacing the group's GroupContext extensions with `extensions`
        /// (RFC 9420 §12.1.7).
        ///
        /// # Errors
        /// [`Error::Invalid`] when a member cannot support them; a crypto or storage failure.
        pub $($async)? fn propose_group_context_extensions(&mut self, extensions: Vec<Extension>, now: u64) -> Result<MlsMessage, Error> {
            let proposal = Proposal::GroupContextExtensions(GroupContextExtensions { extensions });
            self.propose(proposal, now)$($await)*
        }

        /// Proposes reinitializing the group as `group_id` with `cipher_suite` and
        /// `extensions` (RFC 9420 §11.2, §12.1.5). Once a commit covers it, the group accepts
        /// no more messages and its members create or join the new group.
        ///
        /// # Errors
        /// [`Error::Invalid`] for an invalid ReInit; a crypto or storage failure.
        pub $($async)? fn propose_reinit(&mut self, group_id: &[u8], cipher_suite: CipherSuite, extensions: Vec<Extension>, now: u64) -> Result<MlsMessage, Error> {
            let proposal = Proposal::ReInit(ReInit {
                group_id: group_id.to_vec().into(),
                version: ProtocolVersion::MLS10,
                cipher_suite,
                extensions,
            });
            self.propose(proposal, now)$($await)*
        }

        /// Proposes a change of component `component`'s application data in the GroupContext
        /// (an AppDataUpdate, draft-ietf-mls-extensions): `Some(update)` is passed to every
        /// member's [`AppComponents::apply_updates`](cohort_group::AppComponents::apply_updates),
        /// `None` removes the component's data. Any member commits it, without a path. To
        /// change the data in one step, `commit` the same proposal by value
        /// ([`app_data_update`](cohort_group::components::app_data_update)).
        ///
        /// # Errors
        /// [`Error::Invalid`] when a member does not support the type or the application does
        /// not know the component; a crypto or storage failure.
        pub $($async)? fn propose_app_data_update(&mut self, component: ComponentId, update: Option<Vec<u8>>, now: u64) -> Result<MlsMessage, Error> {
            self.propose(cohort_group::components::app_data_update(component, update), now)$($await)*
        }

        /// `SafeExportSecret(component)` of the current epoch (draft-ietf-mls-extensions
        /// "Exported Secrets"): a secret every member derives alike for `component`, forward
        /// secure: it is deleted from the stored group once exported, and a second call in the
        /// same epoch fails.
        ///
        /// # Errors
        /// [`Error::GroupMisuse`] for a second export in this epoch; a crypto or storage
        /// failure.
        pub $($async)? fn safe_export_secret(&mut self, component: ComponentId) -> Result<Secret, Error> {
            self.operate(move |g, _| g.safe_export_secret(component))$($await)*
        }

        /// Asks to leave the group. In a group whose members all support SelfRemove
        /// (draft-ietf-mls-extensions) it sends one, which any member and any client joining by
        /// external commit can commit; otherwise it proposes removing our own leaf (RFC 9420
        /// §12.1.3), which only members commit. Either way another client commits it (a member
        /// cannot commit its own removal); the commit arrives as a [`Received::Commit`] whose
        /// summary says it removes us.
        ///
        /// # Errors
        /// A crypto or storage failure.
        pub $($async)? fn leave(&mut self, now: u64) -> Result<MlsMessage, Error> {
            if self.group.self_remove_code_point().is_some() {
                let message = self
                    .operate(move |g, signer| g.propose_self_remove(signer, Some(now)))$($await)*?;
                self.held.remember_sent(&message);
                return Ok(message);
            }
            let own = self.group.own_leaf();
            self.propose(Proposal::Remove(Remove { removed: own }), now)$($await)*
        }

        /// Commits every proposal cached in this epoch (ours and those received), by
        /// reference. The commit is pending until `merge_pending_commit`.
        ///
        /// # Errors
        /// [`Error::Invalid`] when the proposals together are invalid; a crypto or storage
        /// failure.
        pub $($async)? fn commit_pending(&mut self, now: u64) -> Result<CommitOutput, Error> {
            self.commit(Vec::new(), now)$($await)*
        }

        /// Drops our pending commit (the Delivery Service rejected it, or another commit won);
        /// the proposals it covered stay cached.
        ///
        /// # Errors
        /// A storage failure.
        pub $($async)? fn clear_pending_commit(&mut self) -> Result<(), Error> {
            let mut next = self.group.clone();
            next.clear_pending_commit();
            self.commit_to(next)$($await)*?;
            self.intent = None;
            Ok(())
        }

        /// Whether a commit of ours awaits `merge_pending_commit` or `clear_pending_commit`.
        pub fn has_pending_commit(&self) -> bool {
            self.group.has_pending_commit()
        }

        /// A signed GroupInfo of the current epoch, with `external_pub` and the ratchet tree,
        /// for a client joining by external commit (RFC 9420 §12.4.3.1).
        ///
        /// # Errors
        /// A crypto failure.
        pub $($async)? fn group_info(&self) -> Result<MlsMessage, Error> {
            self.group_info_with(true)$($await)*
        }

        /// Re-joins the group by external commit in place of our own leaf (RFC 9420
        /// §12.4.3.2, "resync"), from a GroupInfo of its current epoch: for a member that missed
        /// commits it can no longer process. The group moves to the new epoch and is stored;
        /// returns the commit to send. If the Delivery Service rejects it, reload or resync
        /// again from a newer GroupInfo.
        ///
        /// # Errors
        /// [`Error::Invalid`] for a GroupInfo that fails validation or is of another group; a
        /// crypto or storage failure.
        pub $($async)? fn resync(&mut self, group_info: &MlsMessage, now: u64) -> Result<MlsMessage, Error> {
            let group_info = group_info_of(group_info)?;
            if group_info.group_context.group_id.as_slice() != self.group.group_id() {
                return Err(Error::Invalid(cohort_group::ValidationError::WrongGroupId));
            }
            let (id, own) = (Arc::clone(&self.client.id), self.group.own_leaf());
            let joined = self
                .client
                .with_signer(move |signer| {
                    let options = ExternalJoinOptions::default().replacing(own);
                    id.external_join(signer, &group_info, options, &cohort_group::NoPsks, now)
                })$($await)*?;
            self.commit_to(joined.group)$($await)*?;
            self.held.remember_sent(&joined.commit);
            Ok(joined.commit)
        }

        /// Applies a staged commit and stores the new epoch. If a commit of ours was pending
        /// for the same epoch and this is another member's, ours lost the race: it is dropped,
        /// reported in [`Merged::lost_commit`], and what it carried is proposed again as the
        /// client's [`DeliveryPolicy::lost_commit`] says (at the time of the `process_message`
        /// call that staged the commit).
        ///
        /// # Errors
        /// A misuse error for a staged commit of another group or epoch; a storage failure.
        pub $($async)? fn merge_staged(&mut self, staged: StagedCommit) -> Result<Merged, Error> {
            let lost = self.group.has_pending_commit()
                && !staged.is_own()
                && staged.from_epoch() == self.group.epoch();
            let mut next = self.group.clone();
            next.merge_staged(staged)?;
            self.commit_to(next)$($await)*?;
            let intent = self.intent.take();
            if !lost {
                return Ok(Merged::default());
            }
            let intent = intent.unwrap_or_default();
            let mut lost = LostCommit {
                proposals: intent.proposals.clone(),
                self_update: intent.self_update,
                ..LostCommit::default()
            };
            if self.client.id.delivery.lost_commit == LostCommitPolicy::Repropose {
                let now = self.now;
                for proposal in lost.proposals.clone() {
                    if !intent.still_applies(&proposal, &self.group) {
                        lost.dropped.push(proposal);
                        continue;
                    }
                    match self.propose(proposal.clone(), now)$($await)* {
                        Ok(message) => lost.reproposed.push(message),
                        Err(e) => {
                            lost.dropped.push(proposal);
                            lost.failures.push(e);
                        }
                    }
                }
                if intent.self_update {
                    match self.propose_update(now)$($await)* {
                        Ok(message) => lost.reproposed.push(message),
                        Err(e) => lost.failures.push(e),
                    }
                }
            }
            Ok(Merged { lost_commit: Some(lost) })
        }

        /// How many messages of future epochs are held.
        pub fn held_count(&self) -> usize {
            self.held.len()
        }

        /// The confirmation tag of our pending commit, which is also its echo's
        /// [`StagedCommit::confirmation_tag`]: for choosing among racing commits without an
        /// ordering Delivery Service ([`crate::winning_commit`]).
        pub fn pending_commit_confirmation_tag(&self) -> Option<&[u8]> {
            self.group.pending_commit_confirmation_tag()
        }
    };
}

impl GroupOf<Client> {
    fn save(&self, consumed_key_package: Option<Vec<u8>>) -> Result<(), Error> {
        Ok(self
            .client
            .storage
            .write(Self::write_of(&self.group, None, consumed_key_package)?)?)
    }

    /// Stores `next` and only then makes it the group: if the write fails, memory and storage
    /// both stay at the old state.
    fn commit_to(&mut self, next: Group) -> Result<(), Error> {
        let write = Self::write_of(&next, Some(self.group.epoch()), None)?;
        self.client.storage.write(write)?;
        self.group = next;
        Ok(())
    }

    /// Stores `next`, which only added a pending commit to the group (see `staged_write_of`),
    /// and only then makes it the group.
    fn stage_to(&mut self, next: Group) -> Result<(), Error> {
        let write = match Self::staged_write_of(&next, self.group.epoch())? {
            Some(write) => write,
            None => Self::write_of(&next, Some(self.group.epoch()), None)?,
        };
        self.client.storage.write(write)?;
        self.group = next;
        Ok(())
    }

    /// Stores the secret trees after an application message; if that fails, puts `before` back
    /// so that memory stays where the store is.
    fn commit_ratchets(&mut self, before: RatchetSnapshot) -> Result<(), Error> {
        let stored =
            Self::ratchet_write_of(&self.group).and_then(|w| Ok(self.client.storage.write(w)?));
        self.settle_ratchets(before, stored)
    }

    group_api!(Client; ,);
}

impl GroupOf<AsyncClient> {
    async fn save(&self, consumed_key_package: Option<Vec<u8>>) -> Result<(), Error> {
        Ok(self
            .client
            .storage
            .write(Self::write_of(&self.group, None, consumed_key_package)?)
            .await?)
    }

    /// Stores `next` and only then makes it the group: if the write fails, memory and storage
    /// both stay at the old state.
    async fn commit_to(&mut self, next: Group) -> Result<(), Error> {
        let write = Self::write_of(&next, Some(self.group.epoch()), None)?;
        self.client.storage.write(write).await?;
        self.group = next;
        Ok(())
    }

    /// Stores `next`, which only added a pending commit to the group (see `staged_write_of`),
    /// and only then makes it the group.
    async fn stage_to(&mut self, next: Group) -> Result<(), Error> {
        let write = match Self::staged_write_of(&next, self.group.epoch())? {
            Some(write) => write,
            None => Self::write_of(&next, Some(self.group.epoch()), None)?,
        };
        self.client.storage.write(write).await?;
        self.group = next;
        Ok(())
    }

    /// Stores the secret trees after an application message; if that fails, puts `before` back
    /// so that memory stays where the store is.
    async fn commit_ratchets(&mut self, before: RatchetSnapshot) -> Result<(), Error> {
        let stored = match Self::ratchet_write_of(&self.group) {
            Ok(w) => self.client.storage.write(w).await.map_err(Error::from),
            Err(e) => Err(e),
        };
        self.settle_ratchets(before, stored)
    }

    group_api!(AsyncClient; async, .await);
}
