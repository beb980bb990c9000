//! The `MLSClient` gRPC service on cohort's facade (`cohort::Client` and its group handles), with
//! the RustCrypto backend (suites 1 to 7).
//!
//! Every state (a member's view of a group), transaction (a KeyPackage waiting for its Welcome),
//! pending reinitialization and external signer lives in one map behind a mutex, keyed by a `u32`
//! id drawn from one counter, so that `StorePSK` can take a state's, a transaction's or a
//! reinitialization's id.
//!
//! Each member is a [`Client`] of its own: a fresh signature key, a basic credential with the
//! identity of the request, the request's cipher suite and framing (`encrypt_handshake`), and a
//! [`MemoryStore`] of its own, so members are isolated from one another as separate applications
//! are. The facade writes every change of a group to that store before the operation returns,
//! keeps the private keys of the client's KeyPackages there, and looks external PSKs up there
//! (`StorePSK` registers them with the client). `CreateKeyPackage` makes such a client and a
//! KeyPackage in its store; `JoinGroup` joins with that client, rebuilt on the same key and store
//! with the framing `JoinGroup` asks for. `CreateKeyPackage` and `NewMemberAddProposal` return
//! the signature key they generated (`signature_priv`) but leave `init_priv` and
//! `encryption_priv` empty: the facade keeps a KeyPackage's private keys inside its store, and
//! neither the runner nor the working group's configs use them.
//!
//! # Failed requests
//!
//! An operation of the facade changes nothing when it fails, so a request that is one operation
//! leaves its state as it was. A request of several operations is not one transaction, so each
//! checks what it can (decoding, the proposals it describes) before its first operation, but:
//! - `Commit` and `HandleCommit` (and `ReInitCommit`, `HandleReInitCommit`) first process the
//!   request's by-reference proposals, and each is cached (and stored) as soon as it is
//!   processed. When one of them or the commit then fails, or the message is not a commit, the
//!   proposals processed so far stay cached in the state.
//! - `HandlePendingReInitCommit` and `HandleReInitCommit` keep the merged commit when making the
//!   KeyPackage for the new group fails afterwards (a ReInit to a suite we lack).
//!
//! # Per-request options
//!
//! The requests' per-call options map to the facade's `_with` calls: `Commit` with
//! `force_path` or `external_tree` (the ratchet tree out of band: not in the Welcome, returned in
//! the response) to `commit_with`, `GroupInfo` without the tree to `group_info_with`,
//! `CreateBranch` (its extensions, `force_path`, `external_tree`) to `branch_with`,
//! `ReInitWelcome` to `reinit_with`; `HandleBranch` and `HandleReInitWelcome` pass the request's
//! `ratchet_tree` to `join_resumed`. Nothing here drives the engine underneath.
//!
//! # Reinitialization and external signers
//!
//! A member of a group whose commit carried a ReInit gets a "reinit id" for the ReInit RPCs: it
//! holds a handle of the old group and a client of the member in the ReInit's cipher suite (a new
//! key, a store of its own, the PSKs of the state) with its KeyPackage for the new group.
//!
//! External signers (RFC 9420 §12.1.8): `CreateExternalSigner` makes a signer, kept under a
//! "signer id" from the same counter, and returns its `ExternalSender` entry (TLS-encoded);
//! `AddExternalSigner` proposes GroupContextExtensions that append an entry to the group's
//! `external_senders`; `ExternalSignerProposal` signs a described proposal for the group of a
//! GroupInfo as the entry at `signer_index` (an external signer has no client: it signs with
//! [`cohort::group::external_proposal`]). `NewMemberAddProposal` makes a KeyPackage (a
//! transaction, joined later with `JoinGroup`) and the new-member Add proposal for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use cohort::codec::{CodecError, Decode, Encode};
use cohort::credential::Credential;
use cohort::crypto::{
    CipherSuite, CryptoError, CryptoProvider, Signer as _, SoftwareSigner, SuiteOps,
};
use cohort::group::{
    CommitOptions, CommitOutput, GroupConfig, HandshakeFormat, LifetimePolicy, MaxLifetime,
    StrictChecks,
};
use cohort::messages::extensions::{ExtensionPayload, ExternalSender, ExternalSenders};
use cohort::messages::group_context::GroupContext;
use cohort::messages::group_info::GroupInfo;
use cohort::messages::key_package::KeyPackage;
use cohort::messages::proposal::{
    Add, GroupContextExtensions, PreSharedKey, Proposal, ReInit, Remove,
};
use cohort::messages::psk::{PreSharedKeyId, Psk, ResumptionPskUsage};
use cohort::messages::{MlsMessage, MlsMessageBody};
use cohort::storage::Zeroizing;
use cohort::storage::memory::MemoryStore;
use cohort::tree::extension::{Extension, ExtensionType};
use cohort::tree::leaf::ProtocolVersion;
use cohort::tree::math::LeafIndex;
use cohort::tree::node::{Node, RatchetTreeNodes};
use cohort::{Client, ClientGroup, ExternalJoinOptions, MessagePolicy, Received};
use tokio::net::TcpListener;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status};

use crate::proto;
use crate::proto::mls_client_server::{MlsClient, MlsClientServer};

/// The configuration of every group this client holds, given to every client it builds
/// (`ClientBuilder::config`): it accepts whatever lifetime and capability list a peer's client
/// emits. No maximum total lifetime, stated as such (MLSpp's KeyPackages run from 0 to 2^64-1,
/// mls-rs's for a year, OpenMLS's for about three months); expiry is still checked against the
/// current time. Capabilities that omit the group's own suite or version, misplaced known
/// extensions and default types listed in capabilities are tolerated (RFC 9420 asks none of
/// these of a receiver; docs/interop.md gives the reasons).
fn group_config() -> GroupConfig {
    GroupConfig::default()
        .with_lifetime_policy(LifetimePolicy {
            new_members: MaxLifetime::Unbounded,
            admitted: MaxLifetime::Unbounded,
            check_expiry: true,
        })
        .with_strict_checks(StrictChecks::TOLERANT)
}

/// The name the service reports (`Name`).
pub const NAME: &str = "cohort";

/// How many days our KeyPackages and leaves stay valid.
const LEAF_DAYS: u64 = 30;

/// What went wrong in one RPC. Each maps to a [`Status`] whose message says what was wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No state with this id (never created, or freed).
    #[error("no group state with id {0}")]
    UnknownState(u32),
    /// No transaction (pending KeyPackage) with this id.
    #[error("no KeyPackage transaction with id {0}")]
    UnknownTransaction(u32),
    /// No pending reinitialization with this id.
    #[error("no ReInit with id {0}")]
    UnknownReInit(u32),
    /// No state nor transaction with this id.
    #[error("no state or transaction with id {0}")]
    UnknownId(u32),
    /// The backend has no such cipher suite (or the number does not fit in 16 bits).
    #[error("cipher suite {0} is not supported")]
    UnsupportedSuite(u32),
    /// An export length the KDF cannot produce (more than 65535 bytes).
    #[error("key_length {0} is too long (at most 65535)")]
    BadLength(u32),
    /// An extension type that does not fit in 16 bits.
    #[error("extension type {0} does not fit in 16 bits")]
    BadExtensionType(u32),
    /// A field that could not be decoded.
    #[error("malformed {field}: {source}")]
    Malformed {
        /// The request field.
        field: &'static str,
        /// What the decoder found.
        source: CodecError,
    },
    /// A field holding an MLSMessage of another kind than expected.
    #[error("{field} must be an MLSMessage carrying a {expected}")]
    WrongMessage {
        /// The request field.
        field: &'static str,
        /// The kind it must carry.
        expected: &'static str,
    },
    /// A message that processed to something else than the RPC expects.
    #[error("{field} is not a {expected} of this group")]
    UnexpectedContent {
        /// The request field.
        field: &'static str,
        /// What it had to be.
        expected: &'static str,
    },
    /// No member has this identity.
    #[error("no member of the group has identity {0:?}")]
    NoSuchMember(String),
    /// An unknown `proposal_type` in a `ProposalDescription`.
    #[error("unknown proposal type {0:?}")]
    UnknownProposalType(String),
    /// No external signer with this id.
    #[error("no external signer with id {0}")]
    UnknownSigner(u32),
    /// A remove description naming a member the given tree does not hold, or a GroupInfo
    /// without a tree when none was given.
    #[error("no ratchet tree: give ratchet_tree or a GroupInfo with the ratchet_tree extension")]
    NoTree,
    /// A request this client does not implement.
    #[error("not implemented by cohort's interop client: {0}")]
    Unimplemented(&'static str),
    /// cohort rejected the operation or the message, or its crypto backend or store failed.
    #[error("cohort: {0}")]
    Cohort(#[from] cohort::Error),
    /// The crypto backend failed (making a signature key).
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// Encoding our own output failed.
    #[error("encoding: {0}")]
    Encode(#[source] CodecError),
    /// A bug of this client.
    #[error("internal error of cohort's interop client: {0}")]
    Internal(&'static str),
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::UnknownState(_)
            | Error::UnknownTransaction(_)
            | Error::UnknownReInit(_)
            | Error::UnknownSigner(_)
            | Error::UnknownId(_) => Status::not_found(message),
            Error::UnsupportedSuite(_)
            | Error::BadLength(_)
            | Error::BadExtensionType(_)
            | Error::Malformed { .. }
            | Error::WrongMessage { .. }
            | Error::UnexpectedContent { .. }
            | Error::NoSuchMember(_)
            | Error::NoTree
            | Error::UnknownProposalType(_) => Status::invalid_argument(message),
            Error::Unimplemented(_) => Status::unimplemented(message),
            Error::Cohort(cohort::Error::Misuse(_) | cohort::Error::GroupMisuse(_)) => {
                Status::failed_precondition(message)
            }
            Error::Cohort(
                cohort::Error::Crypto(_) | cohort::Error::Storage(_) | cohort::Error::Internal(_),
            ) => Status::internal(message),
            // A message or input that does not decode or fails a check.
            Error::Cohort(_) => Status::invalid_argument(message),
            Error::Crypto(_) | Error::Encode(_) | Error::Internal(_) => Status::internal(message),
        }
    }
}

/// The service: implements `MLSClient` of `mls_client.proto`. Serve it with [`serve`] or wrap
/// it with [`CohortClient::into_service`].
#[derive(Clone)]
pub struct CohortClient {
    inner: Arc<Mutex<Store>>,
    provider: Arc<dyn CryptoProvider>,
}

impl std::fmt::Debug for CohortClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CohortClient").finish_non_exhaustive()
    }
}

impl Default for CohortClient {
    fn default() -> Self {
        Self::new()
    }
}

impl CohortClient {
    /// A client with no states, on the RustCrypto backend: the seven suites of RFC 9420 and
    /// the eleven post-quantum suites of draft-ietf-mls-pq-ciphersuites-06, at cohort's
    /// private-use code points and at OpenMLS's (with OpenMLS 0.9's key derivation for those,
    /// `PqCodePoints::OPENMLS`), all advertised by `SupportedCiphersuites`.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Mutex::new(Store::default())),
            provider: Arc::new(cohort::crypto::rustcrypto::provider_with_pq_code_points(
                cohort::crypto::PqCodePoints::OPENMLS,
            )),
        }
    }

    /// The tonic service to add to a [`tonic::transport::Server`].
    pub fn into_service(self) -> MlsClientServer<Self> {
        MlsClientServer::new(self)
    }

    /// Runs `op` on the store. A poisoned lock is taken over: operations never panic while
    /// holding it, and each facade operation stores its result only once it succeeded.
    fn with<T>(
        &self,
        op: impl FnOnce(&mut Store, &Ctx<'_>) -> Result<T, Error>,
    ) -> Result<T, Status> {
        let mut store = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let ctx = Ctx {
            provider: &self.provider,
        };
        op(&mut store, &ctx).map_err(Status::from)
    }
}

/// Serves [`CohortClient`] on `listener` until the task is dropped.
///
/// # Errors
/// A transport failure of the server.
pub async fn serve(listener: TcpListener) -> Result<(), tonic::transport::Error> {
    // Small request/response pairs: without TCP_NODELAY, delayed ACKs stall each RPC.
    let incoming = TcpListenerStream::new(listener).map(|stream| {
        stream.inspect(|s| {
            // A socket that refuses the option still works, only slower.
            let _ = s.set_nodelay(true);
        })
    });
    tonic::transport::Server::builder()
        .add_service(CohortClient::new().into_service())
        .serve_with_incoming(incoming)
        .await
}

/// What the operations need besides the store.
struct Ctx<'a> {
    provider: &'a Arc<dyn CryptoProvider>,
}

impl Ctx<'_> {
    fn suite(&self, suite: u32) -> Result<(CipherSuite, Arc<dyn SuiteOps>), Error> {
        let cs = u16::try_from(suite)
            .map(CipherSuite)
            .map_err(|_| Error::UnsupportedSuite(suite))?;
        let ops = self
            .provider
            .suite(cs)
            .ok_or(Error::UnsupportedSuite(suite))?;
        Ok((cs, ops))
    }
}

/// What a member's client is built from: its cipher suite, its signature key, its basic
/// credential and its store. A client is rebuilt from them, on the same key and store, when
/// its framing becomes known (a transaction joins with the framing `JoinGroup` asks for).
#[derive(Clone)]
struct ClientParts {
    suite: CipherSuite,
    signer: Arc<SoftwareSigner>,
    credential: Credential,
    store: Arc<MemoryStore>,
}

impl ClientParts {
    /// A new member in `suite`: a fresh signature key and an empty store.
    fn generate(ctx: &Ctx<'_>, suite: u32, credential: Credential) -> Result<Self, Error> {
        let (suite, ops) = ctx.suite(suite)?;
        Ok(Self {
            suite,
            signer: Arc::new(SoftwareSigner::generate(ops)?),
            credential,
            store: Arc::new(MemoryStore::new()),
        })
    }

    /// The member's client, framing handshake messages as `format`.
    fn client(&self, ctx: &Ctx<'_>, format: HandshakeFormat) -> Result<Client, Error> {
        Ok(Client::builder(Arc::clone(ctx.provider))
            .cipher_suite(self.suite)
            .signer(self.signer.clone())
            .credential(self.credential.clone())
            .key_package_days(LEAF_DAYS)
            .message_policy(MessagePolicy::default().handshake_format(format))
            .config(group_config())
            .build(self.store.clone())?)
    }

    /// The signature key, for `signature_priv`.
    fn signature_priv(&self) -> Vec<u8> {
        self.signer.private_key().as_bytes().to_vec()
    }
}

/// The external PSKs a member was given (`StorePSK`, an `ExternalJoin`'s), each registered with
/// its client. Kept so that a client made later for the member (a ReInit's new group, whose
/// client needs a store of its own) gets them too.
#[derive(Clone, Default)]
struct Psks(Vec<(Vec<u8>, Zeroizing<Vec<u8>>)>);

impl Psks {
    /// Registers `psk_id` with `client` (replacing an earlier PSK of that id) and keeps it.
    fn add(
        &mut self,
        client: &Client,
        psk_id: Vec<u8>,
        psk: Zeroizing<Vec<u8>>,
    ) -> Result<(), Error> {
        client.register_psk(&psk_id, psk.clone())?;
        self.0.retain(|(id, _)| *id != psk_id);
        self.0.push((psk_id, psk));
        Ok(())
    }

    /// Registers every PSK with `client`.
    fn register_all(&self, client: &Client) -> Result<(), Error> {
        for (psk_id, psk) in &self.0 {
            client.register_psk(psk_id, psk.clone())?;
        }
        Ok(())
    }
}

/// A member's view of a group.
struct State {
    group: ClientGroup,
    /// What the group's client is built from.
    parts: ClientParts,
    format: HandshakeFormat,
    psks: Psks,
}

/// A KeyPackage waiting for a Welcome: a client with the KeyPackage's private keys in its store.
struct Transaction {
    parts: ClientParts,
    client: Client,
    psks: Psks,
}

/// A member of a group that committed a ReInit, with its client for the new group.
struct ReInitRecord {
    /// The old group, waiting for reinitialization: a second handle of the state's group.
    old: ClientGroup,
    /// Our client in the ReInit's cipher suite, with our KeyPackage for the new group in its
    /// store.
    parts: ClientParts,
    client: Client,
    format: HandshakeFormat,
    psks: Psks,
}

/// An external signer (RFC 9420 §12.1.8): a signature key and a basic credential.
struct ExternalSigner {
    signer: SoftwareSigner,
}

/// States, transactions, pending reinitializations and external signers by id (one counter
/// for all four).
#[derive(Default)]
struct Store {
    next_id: u32,
    states: HashMap<u32, State>,
    transactions: HashMap<u32, Transaction>,
    reinits: HashMap<u32, ReInitRecord>,
    signers: HashMap<u32, ExternalSigner>,
}

impl Store {
    fn fresh_id(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    fn add_state(&mut self, state: State) -> u32 {
        let id = self.fresh_id();
        self.states.insert(id, state);
        id
    }

    fn state(&mut self, id: u32) -> Result<&mut State, Error> {
        self.states.get_mut(&id).ok_or(Error::UnknownState(id))
    }

    /// A new transaction: a client of `parts` and a KeyPackage in its store. Returns its id and
    /// the KeyPackage.
    fn add_transaction(
        &mut self,
        ctx: &Ctx<'_>,
        parts: ClientParts,
    ) -> Result<(u32, MlsMessage), Error> {
        // The framing does not matter for a KeyPackage; JoinGroup picks the group's.
        let client = parts.client(ctx, HandshakeFormat::Public)?;
        let key_package = client.generate_key_package(now())?;
        let id = self.fresh_id();
        self.transactions.insert(
            id,
            Transaction {
                parts,
                client,
                psks: Psks::default(),
            },
        );
        Ok((id, key_package))
    }
}

impl State {
    /// Commit options for the engine operations run through `operate`, as the client's own
    /// commits would have them (its framing, no GroupInfo).
    fn commit_options(&self) -> CommitOptions {
        let mut options = CommitOptions::new();
        options.format = self.format;
        options.group_info = false;
        options
    }

    /// Answers a proposal request with `message`.
    fn proposal(message: &MlsMessage) -> Result<proto::ProposalResponse, Error> {
        Ok(proto::ProposalResponse {
            proposal: encode(message)?,
        })
    }

    /// Processes `proposals`, which must each be a proposal: each is cached, and stored, as it
    /// is processed.
    fn process_proposals(&mut self, proposals: Vec<MlsMessage>) -> Result<(), Error> {
        for message in proposals {
            match self.group.process_message(message, now())? {
                Received::Proposal { .. } => {}
                _ => {
                    return Err(Error::UnexpectedContent {
                        field: "proposal",
                        expected: "proposal",
                    });
                }
            }
        }
        Ok(())
    }
}

/// Where a described proposal gets what depends on who proposes it.
trait Proposer {
    /// The leaf of the member whose basic credential has `identity`.
    fn leaf_of(&self, identity: &[u8]) -> Result<LeafIndex, Error>;
    /// An external PreSharedKey proposal for `psk_id`, with a fresh nonce.
    fn external_psk(&self, psk_id: &[u8]) -> Result<Proposal, Error>;
    /// A resumption PreSharedKey proposal (usage `application`) for `epoch` of the group.
    fn resumption_psk(&self, epoch: u64) -> Result<Proposal, Error>;
}

impl Proposer for State {
    fn leaf_of(&self, identity: &[u8]) -> Result<LeafIndex, Error> {
        self.group
            .members()
            .iter()
            .find(|member| basic_identity(&member.credential) == Some(identity))
            .map(|member| member.leaf)
            .ok_or_else(|| Error::NoSuchMember(String::from_utf8_lossy(identity).into_owned()))
    }

    fn external_psk(&self, psk_id: &[u8]) -> Result<Proposal, Error> {
        Ok(self.group.external_psk_proposal(psk_id)?)
    }

    fn resumption_psk(&self, epoch: u64) -> Result<Proposal, Error> {
        Ok(self.group.resumption_psk_proposal(epoch)?)
    }
}

/// An external signer proposing to the group of a GroupInfo, whose ratchet tree comes with the
/// request or in the GroupInfo.
struct FromGroupInfo<'a> {
    ctx: &'a Ctx<'a>,
    group_info: &'a GroupInfo,
    ratchet_tree: &'a [u8],
}

impl FromGroupInfo<'_> {
    /// A PreSharedKey proposal for `psk` with a fresh nonce of the KDF's length in the group's
    /// suite.
    fn psk_proposal(&self, psk: Psk) -> Result<Proposal, Error> {
        psk_proposal(self.ctx, &self.group_info.group_context, psk)
    }
}

impl Proposer for FromGroupInfo<'_> {
    fn leaf_of(&self, identity: &[u8]) -> Result<LeafIndex, Error> {
        let tree = match ratchet_tree(self.ratchet_tree)? {
            Some(tree) => tree,
            None => tree_of(self.group_info).ok_or(Error::NoTree)??,
        };
        leaf_in_tree(&tree, identity)
    }

    fn external_psk(&self, psk_id: &[u8]) -> Result<Proposal, Error> {
        self.psk_proposal(Psk::External {
            psk_id: psk_id.to_vec().into(),
        })
    }

    fn resumption_psk(&self, epoch: u64) -> Result<Proposal, Error> {
        self.psk_proposal(Psk::Resumption {
            usage: ResumptionPskUsage::Application,
            psk_group_id: self.group_info.group_context.group_id.clone(),
            psk_epoch: epoch,
        })
    }
}

/// The proposal `description` describes, made by `proposer`.
fn described(
    ctx: &Ctx<'_>,
    proposer: &impl Proposer,
    description: &proto::ProposalDescription,
) -> Result<Proposal, Error> {
    match description.proposal_type.as_slice() {
        b"add" => Ok(Proposal::Add(Add {
            key_package: key_package(&description.key_package)?,
        })),
        b"remove" => Ok(Proposal::Remove(Remove {
            removed: proposer.leaf_of(&description.removed_id)?,
        })),
        b"externalPSK" => proposer.external_psk(&description.psk_id),
        b"resumptionPSK" => proposer.resumption_psk(description.epoch_id),
        b"groupContextExtensions" => Ok(Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: extensions(&description.extensions)?,
        })),
        b"reinit" => Ok(Proposal::ReInit(reinit_proposal(
            ctx,
            description.group_id.clone(),
            description.cipher_suite,
            &description.extensions,
        )?)),
        other => Err(Error::UnknownProposalType(
            String::from_utf8_lossy(other).into_owned(),
        )),
    }
}

/// A PreSharedKey proposal for `psk` with a fresh nonce of the KDF's length in the suite of
/// `context` (for an external signer, which has no group handle to ask).
fn psk_proposal(ctx: &Ctx<'_>, context: &GroupContext, psk: Psk) -> Result<Proposal, Error> {
    let (_, ops) = ctx.suite(u32::from(context.cipher_suite.0))?;
    let mut nonce = vec![0u8; ops.hash_len()];
    ops.random_fill(&mut nonce)?;
    Ok(Proposal::PreSharedKey(PreSharedKey {
        psk: PreSharedKeyId {
            psk,
            psk_nonce: nonce.into(),
        },
    }))
}

/// The GroupInfo of a GroupInfo MLSMessage.
fn group_info_message(bytes: &[u8]) -> Result<(MlsMessage, GroupInfo), Error> {
    let message = decode::<MlsMessage>("group_info", bytes)?;
    match &message.body {
        MlsMessageBody::GroupInfo(group_info) => {
            let group_info = group_info.clone();
            Ok((message, group_info))
        }
        _ => Err(Error::WrongMessage {
            field: "group_info",
            expected: "GroupInfo",
        }),
    }
}

/// The ratchet tree in the extension of `group_info`, if it has one.
fn tree_of(group_info: &GroupInfo) -> Option<Result<RatchetTreeNodes, Error>> {
    cohort::tree::extension::find(&group_info.extensions, ExtensionType::RATCHET_TREE)
        .map(|e| decode("ratchet_tree extension", e.extension_data.as_slice()))
}

/// The leaf of the member with basic credential `identity` in `tree` (the nodes of a ratchet
/// tree, leaves at even positions).
fn leaf_in_tree(tree: &RatchetTreeNodes, identity: &[u8]) -> Result<LeafIndex, Error> {
    tree.0
        .iter()
        .step_by(2)
        .enumerate()
        .find_map(|(leaf, node)| match node.as_deref() {
            Some(Node::Leaf(leaf_node))
                if basic_identity(&leaf_node.credential) == Some(identity) =>
            {
                u32::try_from(leaf).ok().map(LeafIndex)
            }
            _ => None,
        })
        .ok_or_else(|| Error::NoSuchMember(String::from_utf8_lossy(identity).into_owned()))
}

/// A ReInit to `group_id`, `suite` (which we must support) and `extensions`, in MLS 1.0.
fn reinit_proposal(
    ctx: &Ctx<'_>,
    group_id: Vec<u8>,
    suite: u32,
    list: &[proto::Extension],
) -> Result<ReInit, Error> {
    let (cipher_suite, _) = ctx.suite(suite)?;
    Ok(ReInit {
        group_id: group_id.into(),
        version: ProtocolVersion::MLS10,
        cipher_suite,
        extensions: extensions(list)?,
    })
}

/// The identity of a basic credential.
fn basic_identity(credential: &Credential) -> Option<&[u8]> {
    match credential {
        Credential::Basic { identity } => Some(identity.as_slice()),
        _ => None,
    }
}

fn format(encrypt_handshake: bool) -> HandshakeFormat {
    if encrypt_handshake {
        HandshakeFormat::Private
    } else {
        HandshakeFormat::Public
    }
}

fn decode<T: Decode>(field: &'static str, bytes: &[u8]) -> Result<T, Error> {
    T::from_bytes(bytes).map_err(|source| Error::Malformed { field, source })
}

/// Each of `list`, decoded.
fn decode_all<T: Decode>(field: &'static str, list: &[Vec<u8>]) -> Result<Vec<T>, Error> {
    list.iter().map(|bytes| decode(field, bytes)).collect()
}

fn encode<T: Encode>(value: &T) -> Result<Vec<u8>, Error> {
    value.to_bytes().map_err(Error::Encode)
}

/// A KeyPackage MLSMessage (as the facade takes KeyPackages), checked to carry one.
fn key_package_message(bytes: &[u8]) -> Result<MlsMessage, Error> {
    let message = decode::<MlsMessage>("key_package", bytes)?;
    match message.body {
        MlsMessageBody::KeyPackage(_) => Ok(message),
        _ => Err(Error::WrongMessage {
            field: "key_package",
            expected: "KeyPackage",
        }),
    }
}

/// The KeyPackage of a KeyPackage MLSMessage.
fn key_package(bytes: &[u8]) -> Result<KeyPackage, Error> {
    key_package_of(key_package_message(bytes)?)
}

fn key_package_of(message: MlsMessage) -> Result<KeyPackage, Error> {
    match message.body {
        MlsMessageBody::KeyPackage(kp) => Ok(kp),
        _ => Err(Error::WrongMessage {
            field: "key_package",
            expected: "KeyPackage",
        }),
    }
}

/// A Welcome MLSMessage, checked to carry one.
fn welcome_message(bytes: &[u8]) -> Result<MlsMessage, Error> {
    let message = decode::<MlsMessage>("welcome", bytes)?;
    match message.body {
        MlsMessageBody::Welcome(_) => Ok(message),
        _ => Err(Error::WrongMessage {
            field: "welcome",
            expected: "Welcome",
        }),
    }
}

/// A ratchet tree sent out of band: empty means none.
fn ratchet_tree(bytes: &[u8]) -> Result<Option<RatchetTreeNodes>, Error> {
    if bytes.is_empty() {
        Ok(None)
    } else {
        decode("ratchet_tree", bytes).map(Some)
    }
}

fn extensions(list: &[proto::Extension]) -> Result<Vec<Extension>, Error> {
    list.iter()
        .map(|e| {
            let extension_type = u16::try_from(e.extension_type)
                .map_err(|_| Error::BadExtensionType(e.extension_type))?;
            Ok(Extension {
                extension_type: ExtensionType(extension_type),
                extension_data: e.extension_data.clone().into(),
            })
        })
        .collect()
}

/// Seconds since the Unix epoch (cohort takes time as an argument).
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The operations, synchronous, on the store.
impl Store {
    fn new_member_add_proposal(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::NewMemberAddProposalRequest,
    ) -> Result<proto::NewMemberAddProposalResponse, Error> {
        let (_, group_info) = group_info_message(&req.group_info)?;
        let context = &group_info.group_context;
        let parts = ClientParts::generate(
            ctx,
            u32::from(context.cipher_suite.0),
            Credential::basic(req.identity),
        )?;
        let signature_priv = parts.signature_priv();
        let signer = Arc::clone(&parts.signer);
        let (transaction_id, key_package) = self.add_transaction(ctx, parts)?;
        // The facade leaves new-member proposals to the application: signed with the
        // KeyPackage's own key (RFC 9420 §12.1.8).
        let message = cohort::group::new_member_proposal(
            &**ctx.provider,
            &*signer,
            context,
            key_package_of(key_package)?,
            &[],
        )
        .map_err(cohort::Error::from)?;
        Ok(proto::NewMemberAddProposalResponse {
            transaction_id,
            proposal: encode(&message)?,
            // The KeyPackage's private keys stay in the client's store (see the module docs).
            init_priv: Vec::new(),
            encryption_priv: Vec::new(),
            signature_priv,
        })
    }

    fn create_external_signer(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::CreateExternalSignerRequest,
    ) -> Result<proto::CreateExternalSignerResponse, Error> {
        let (_, ops) = ctx.suite(req.cipher_suite)?;
        let signer = SoftwareSigner::generate(ops)?;
        let entry = ExternalSender {
            signature_key: signer.public_key().clone(),
            credential: Credential::basic(req.identity),
        };
        let signer_id = self.fresh_id();
        self.signers.insert(signer_id, ExternalSigner { signer });
        Ok(proto::CreateExternalSignerResponse {
            signer_id,
            external_sender: encode(&entry)?,
        })
    }

    fn add_external_signer(
        &mut self,
        req: proto::AddExternalSignerRequest,
    ) -> Result<proto::ProposalResponse, Error> {
        let entry: ExternalSender = decode("external_sender", &req.external_sender)?;
        let state = self.state(req.state_id)?;
        // The group's extensions with `entry` appended to `external_senders` (which is added
        // when missing); the other extensions stay.
        let mut extensions = state.group.group().context().extensions.clone();
        let position = extensions
            .iter()
            .position(|e| e.extension_type == ExtensionType::EXTERNAL_SENDERS);
        let mut senders = match position {
            Some(i) => ExternalSenders::from_extension(&extensions[i]).map_err(|source| {
                Error::Malformed {
                    field: "the group's external_senders",
                    source,
                }
            })?,
            None => ExternalSenders(Vec::new()),
        };
        senders.0.push(entry);
        let extension = senders.to_extension().map_err(Error::Encode)?;
        match position {
            Some(i) => extensions[i] = extension,
            None => extensions.push(extension),
        }
        let message = state
            .group
            .propose_group_context_extensions(extensions, now())?;
        State::proposal(&message)
    }

    fn external_signer_proposal(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::ExternalSignerProposalRequest,
    ) -> Result<proto::ProposalResponse, Error> {
        let signer = &self
            .signers
            .get(&req.signer_id)
            .ok_or(Error::UnknownSigner(req.signer_id))?
            .signer;
        let (_, group_info) = group_info_message(&req.group_info)?;
        let description = req.description.unwrap_or_default();
        let proposer = FromGroupInfo {
            ctx,
            group_info: &group_info,
            ratchet_tree: &req.ratchet_tree,
        };
        let proposal = described(ctx, &proposer, &description)?;
        let message = cohort::group::external_proposal(
            &**ctx.provider,
            signer,
            &group_info.group_context,
            req.signer_index,
            proposal,
            &[],
        )
        .map_err(cohort::Error::from)?;
        State::proposal(&message)
    }

    fn create_group(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::CreateGroupRequest,
    ) -> Result<proto::CreateGroupResponse, Error> {
        let parts = ClientParts::generate(ctx, req.cipher_suite, Credential::basic(req.identity))?;
        let format = format(req.encrypt_handshake);
        let group = parts
            .client(ctx, format)?
            .create_group(&req.group_id, now())?;
        let state_id = self.add_state(State {
            group,
            parts,
            format,
            psks: Psks::default(),
        });
        Ok(proto::CreateGroupResponse { state_id })
    }

    fn create_key_package(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::CreateKeyPackageRequest,
    ) -> Result<proto::CreateKeyPackageResponse, Error> {
        let parts = ClientParts::generate(ctx, req.cipher_suite, Credential::basic(req.identity))?;
        let signature_priv = parts.signature_priv();
        let (transaction_id, key_package) = self.add_transaction(ctx, parts)?;
        Ok(proto::CreateKeyPackageResponse {
            transaction_id,
            key_package: encode(&key_package)?,
            // The KeyPackage's private keys stay in the client's store (see the module docs).
            init_priv: Vec::new(),
            encryption_priv: Vec::new(),
            signature_priv,
        })
    }

    fn join_group(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::JoinGroupRequest,
    ) -> Result<proto::JoinGroupResponse, Error> {
        let transaction = self
            .transactions
            .get(&req.transaction_id)
            .ok_or(Error::UnknownTransaction(req.transaction_id))?;
        let welcome = welcome_message(&req.welcome)?;
        // The transaction's client, with the framing of the group it joins.
        let format = format(req.encrypt_handshake);
        let client = transaction.parts.client(ctx, format)?;
        let group = client.join(&welcome, ratchet_tree(&req.ratchet_tree)?, now())?;
        let transaction = self
            .transactions
            .remove(&req.transaction_id)
            .ok_or(Error::UnknownTransaction(req.transaction_id))?;
        let epoch_authenticator = group.epoch_authenticator().to_vec();
        let state_id = self.add_state(State {
            group,
            parts: transaction.parts,
            format,
            psks: transaction.psks,
        });
        Ok(proto::JoinGroupResponse {
            state_id,
            epoch_authenticator,
        })
    }

    fn external_join(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::ExternalJoinRequest,
    ) -> Result<proto::ExternalJoinResponse, Error> {
        let (message, group_info) = group_info_message(&req.group_info)?;
        let tree = ratchet_tree(&req.ratchet_tree)?;
        // Our prior leaf: the one with our identity, in the tree we were given or the
        // GroupInfo's.
        let prior = if req.remove_prior {
            let nodes = match &tree {
                Some(nodes) => nodes.clone(),
                None => tree_of(&group_info).ok_or(Error::UnexpectedContent {
                    field: "group_info",
                    expected: "GroupInfo with a ratchet tree (none was given)",
                })??,
            };
            Some(leaf_in_tree(&nodes, &req.identity)?)
        } else {
            None
        };
        let parts = ClientParts::generate(
            ctx,
            u32::from(group_info.group_context.cipher_suite.0),
            Credential::basic(req.identity),
        )?;
        let format = format(req.encrypt_handshake);
        let client = parts.client(ctx, format)?;
        // The PSKs to inject (in the request's order), registered with the new client.
        let mut psks = Psks::default();
        for psk in &req.psks {
            let secret = Zeroizing::new(psk.psk_secret.clone());
            psks.add(&client, psk.psk_id.clone(), secret)?;
        }
        let mut options =
            ExternalJoinOptions::default().psks(req.psks.into_iter().map(|p| p.psk_id).collect());
        if let Some(tree) = tree {
            options = options.ratchet_tree(tree);
        }
        if let Some(leaf) = prior {
            options = options.replacing(leaf);
        }
        let (group, commit) = client.join_by_external_commit_with(&message, options, now())?;
        let epoch_authenticator = group.epoch_authenticator().to_vec();
        let state_id = self.add_state(State {
            group,
            parts,
            format,
            psks,
        });
        Ok(proto::ExternalJoinResponse {
            state_id,
            commit: encode(&commit)?,
            epoch_authenticator,
        })
    }

    fn group_info(
        &mut self,
        req: proto::GroupInfoRequest,
    ) -> Result<proto::GroupInfoResponse, Error> {
        let state = self.state(req.state_id)?;
        let group_info = state.group.group_info_with(!req.external_tree)?;
        let ratchet_tree = if req.external_tree {
            encode(&state.group.ratchet_tree())?
        } else {
            Vec::new()
        };
        Ok(proto::GroupInfoResponse {
            group_info: encode(&group_info)?,
            ratchet_tree,
        })
    }

    fn store_psk(&mut self, req: proto::StorePskRequest) -> Result<proto::StorePskResponse, Error> {
        let id = req.state_or_transaction_id;
        let (psks, client) = if let Some(state) = self.states.get_mut(&id) {
            (&mut state.psks, state.group.client())
        } else if let Some(transaction) = self.transactions.get_mut(&id) {
            (&mut transaction.psks, &transaction.client)
        } else if let Some(reinit) = self.reinits.get_mut(&id) {
            (&mut reinit.psks, &reinit.client)
        } else {
            return Err(Error::UnknownId(id));
        };
        psks.add(client, req.psk_id, Zeroizing::new(req.psk_secret))?;
        Ok(proto::StorePskResponse {})
    }

    fn commit(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::CommitRequest,
    ) -> Result<proto::CommitResponse, Error> {
        let by_reference = decode_all("proposal", &req.by_reference)?;
        let state = self.state(req.state_id)?;
        // Everything that can fail before the state changes first: decoding, and the proposals
        // by value (processing those by reference changes no member).
        let proposals = req
            .by_value
            .iter()
            .map(|d| described(ctx, &*state, d))
            .collect::<Result<Vec<_>, _>>()?;
        // The proposals by reference are cached; cohort commits every cached proposal.
        state.process_proposals(by_reference)?;
        let mut options = state.commit_options();
        options.force_path = req.force_path;
        options.ratchet_tree_in_welcome = !req.external_tree;
        let out = state.group.commit_with(proposals, options, now())?;
        // The tree of the new epoch, for a Welcome made without it: the pending commit's.
        let tree = if req.external_tree {
            let mut merged = state.group.group().clone();
            merged.merge_pending_commit().map_err(cohort::Error::from)?;
            Some(merged.tree().to_nodes())
        } else {
            None
        };
        Ok(proto::CommitResponse {
            commit: encode(&out.commit)?,
            welcome: welcome_bytes(&out)?,
            ratchet_tree: tree.as_ref().map(encode).transpose()?.unwrap_or_default(),
        })
    }

    fn handle_commit(
        &mut self,
        req: proto::HandleCommitRequest,
    ) -> Result<proto::HandleCommitResponse, Error> {
        let proposals = decode_all("proposal", &req.proposal)?;
        let message = decode::<MlsMessage>("commit", &req.commit)?;
        let state = self.state(req.state_id)?;
        state.process_proposals(proposals)?;
        match state.group.process_message(message, now())? {
            Received::Commit(staged) => {
                state.group.merge_staged(*staged)?;
            }
            _ => {
                return Err(Error::UnexpectedContent {
                    field: "commit",
                    expected: "commit",
                });
            }
        }
        Ok(proto::HandleCommitResponse {
            state_id: req.state_id,
            epoch_authenticator: state.group.epoch_authenticator().to_vec(),
        })
    }

    fn handle_pending_commit(
        &mut self,
        req: proto::HandlePendingCommitRequest,
    ) -> Result<proto::HandleCommitResponse, Error> {
        let state = self.state(req.state_id)?;
        state.group.merge_pending_commit()?;
        Ok(proto::HandleCommitResponse {
            state_id: req.state_id,
            epoch_authenticator: state.group.epoch_authenticator().to_vec(),
        })
    }

    fn protect(&mut self, req: proto::ProtectRequest) -> Result<proto::ProtectResponse, Error> {
        let state = self.state(req.state_id)?;
        let message = state
            .group
            .send_message_with(&req.plaintext, &req.authenticated_data)?;
        Ok(proto::ProtectResponse {
            ciphertext: encode(&message)?,
        })
    }

    fn unprotect(
        &mut self,
        req: proto::UnprotectRequest,
    ) -> Result<proto::UnprotectResponse, Error> {
        let state = self.state(req.state_id)?;
        let message = decode::<MlsMessage>("ciphertext", &req.ciphertext)?;
        match state.group.process_message(message, now())? {
            Received::Application {
                data,
                authenticated_data,
                ..
            } => Ok(proto::UnprotectResponse {
                authenticated_data,
                plaintext: data,
            }),
            _ => Err(Error::UnexpectedContent {
                field: "ciphertext",
                expected: "application message",
            }),
        }
    }
}

/// The Welcome of a commit's output, encoded; empty when there is none.
fn welcome_bytes(out: &CommitOutput) -> Result<Vec<u8>, Error> {
    Ok(out
        .welcome
        .as_ref()
        .map(encode)
        .transpose()?
        .unwrap_or_default())
}

/// Branching and reinitialization (RFC 9420 §11.2, §11.3).
impl Store {
    fn create_branch(
        &mut self,
        req: proto::CreateBranchRequest,
    ) -> Result<proto::CreateSubgroupResponse, Error> {
        let key_packages = req
            .key_packages
            .iter()
            .map(|kp| key_package_message(kp))
            .collect::<Result<Vec<_>, _>>()?;
        let extensions = extensions(&req.extensions)?;
        let state = self.state(req.state_id)?;
        let mut options = state.commit_options();
        options.force_path = req.force_path;
        options.ratchet_tree_in_welcome = !req.external_tree;
        let (group, out) =
            state
                .group
                .branch_with(&req.group_id, extensions, &key_packages, options, now())?;
        let new = State {
            group,
            parts: state.parts.clone(),
            format: state.format,
            psks: state.psks.clone(),
        };
        self.subgroup(new, &out, req.external_tree)
    }

    fn handle_branch(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::HandleBranchRequest,
    ) -> Result<proto::HandleBranchResponse, Error> {
        let welcome = welcome_message(&req.welcome)?;
        let old = self
            .states
            .get(&req.state_id)
            .ok_or(Error::UnknownState(req.state_id))?;
        let transaction = self
            .transactions
            .get(&req.transaction_id)
            .ok_or(Error::UnknownTransaction(req.transaction_id))?;
        let tree = ratchet_tree(&req.ratchet_tree)?;
        let client = transaction.parts.client(ctx, old.format)?;
        let group = client.join_resumed(&welcome, tree, &old.group, now())?;
        let format = old.format;
        let transaction = self
            .transactions
            .remove(&req.transaction_id)
            .ok_or(Error::UnknownTransaction(req.transaction_id))?;
        let epoch_authenticator = group.epoch_authenticator().to_vec();
        let state_id = self.add_state(State {
            group,
            parts: transaction.parts,
            format,
            psks: transaction.psks,
        });
        Ok(proto::HandleBranchResponse {
            state_id,
            epoch_authenticator,
        })
    }

    fn re_init_proposal(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::ReInitProposalRequest,
    ) -> Result<proto::ProposalResponse, Error> {
        let reinit = reinit_proposal(ctx, req.group_id, req.cipher_suite, &req.extensions)?;
        let message = self
            .state(req.state_id)?
            .group
            .propose(Proposal::ReInit(reinit), now())?;
        State::proposal(&message)
    }

    /// After a commit with a ReInit was merged into state `state_id`: our client and
    /// KeyPackage for the new group, and a ReInit record holding them with the old group.
    fn after_reinit_commit(
        &mut self,
        ctx: &Ctx<'_>,
        state_id: u32,
    ) -> Result<proto::HandleReInitCommitResponse, Error> {
        let state = self.state(state_id)?;
        let suite = state
            .group
            .pending_reinit()
            .ok_or(Error::UnexpectedContent {
                field: "commit",
                expected: "commit carrying a ReInit",
            })?
            .cipher_suite;
        // A new key in the new suite, and a store of its own: the new group may keep the old
        // group's id, which a store holds once.
        let parts = ClientParts::generate(
            ctx,
            u32::from(suite.0),
            state.group.client().credential().clone(),
        )?;
        let client = parts.client(ctx, state.format)?;
        state.psks.register_all(&client)?;
        let key_package = client.generate_key_package(now())?;
        // A second handle of the old group, loaded from its client's store.
        let old = state
            .group
            .client()
            .load_group(state.group.id())?
            .filter(|old| old.epoch_authenticator() == state.group.epoch_authenticator())
            .ok_or(Error::Internal(
                "the old group's store does not hold its current epoch",
            ))?;
        let record = ReInitRecord {
            old,
            parts,
            client,
            format: state.format,
            psks: state.psks.clone(),
        };
        let epoch_authenticator = state.group.epoch_authenticator().to_vec();
        let reinit_id = self.fresh_id();
        self.reinits.insert(reinit_id, record);
        Ok(proto::HandleReInitCommitResponse {
            reinit_id,
            key_package: encode(&key_package)?,
            epoch_authenticator,
        })
    }

    fn re_init_welcome(
        &mut self,
        req: proto::ReInitWelcomeRequest,
    ) -> Result<proto::CreateSubgroupResponse, Error> {
        let key_packages = req
            .key_package
            .iter()
            .map(|kp| key_package_message(kp))
            .collect::<Result<Vec<_>, _>>()?;
        let record = self
            .reinits
            .get(&req.reinit_id)
            .ok_or(Error::UnknownReInit(req.reinit_id))?;
        let mut options = CommitOptions::new();
        options.format = record.format;
        options.force_path = req.force_path;
        options.ratchet_tree_in_welcome = !req.external_tree;
        options.group_info = false;
        let (group, out) = record
            .old
            .reinit_with(&record.client, &key_packages, options, now())?;
        let new = State {
            group,
            parts: record.parts.clone(),
            format: record.format,
            psks: record.psks.clone(),
        };
        self.subgroup(new, &out, req.external_tree)
    }

    fn handle_re_init_welcome(
        &mut self,
        req: proto::HandleReInitWelcomeRequest,
    ) -> Result<proto::JoinGroupResponse, Error> {
        let welcome = welcome_message(&req.welcome)?;
        let record = self
            .reinits
            .get(&req.reinit_id)
            .ok_or(Error::UnknownReInit(req.reinit_id))?;
        let tree = ratchet_tree(&req.ratchet_tree)?;
        let group = record
            .client
            .join_resumed(&welcome, tree, &record.old, now())?;
        let epoch_authenticator = group.epoch_authenticator().to_vec();
        let new = State {
            group,
            parts: record.parts.clone(),
            format: record.format,
            psks: record.psks.clone(),
        };
        let state_id = self.add_state(new);
        Ok(proto::JoinGroupResponse {
            state_id,
            epoch_authenticator,
        })
    }

    /// Stores the creator's state of a new (branched or reinitialized) group and answers with
    /// its Welcome, and its ratchet tree when `external_tree` asks for it out of band (the
    /// Welcome carries it too: see the module docs).
    fn subgroup(
        &mut self,
        state: State,
        out: &CommitOutput,
        external_tree: bool,
    ) -> Result<proto::CreateSubgroupResponse, Error> {
        let welcome = welcome_bytes(out)?;
        let ratchet_tree = if external_tree {
            encode(&state.group.group().tree().to_nodes())?
        } else {
            Vec::new()
        };
        let epoch_authenticator = state.group.epoch_authenticator().to_vec();
        let state_id = self.add_state(state);
        Ok(proto::CreateSubgroupResponse {
            state_id,
            welcome,
            ratchet_tree,
            epoch_authenticator,
        })
    }
}

#[tonic::async_trait]
impl MlsClient for CohortClient {
    async fn name(
        &self,
        _request: Request<proto::NameRequest>,
    ) -> Result<Response<proto::NameResponse>, Status> {
        Ok(Response::new(proto::NameResponse {
            name: NAME.to_owned(),
        }))
    }

    async fn supported_ciphersuites(
        &self,
        _request: Request<proto::SupportedCiphersuitesRequest>,
    ) -> Result<Response<proto::SupportedCiphersuitesResponse>, Status> {
        let ciphersuites = self
            .provider
            .cipher_suites()
            .iter()
            .map(|cs| u32::from(cs.0))
            .collect();
        Ok(Response::new(proto::SupportedCiphersuitesResponse {
            ciphersuites,
        }))
    }

    async fn create_group(
        &self,
        request: Request<proto::CreateGroupRequest>,
    ) -> Result<Response<proto::CreateGroupResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| s.create_group(ctx, req))
            .map(Response::new)
    }

    async fn create_key_package(
        &self,
        request: Request<proto::CreateKeyPackageRequest>,
    ) -> Result<Response<proto::CreateKeyPackageResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| s.create_key_package(ctx, req))
            .map(Response::new)
    }

    async fn join_group(
        &self,
        request: Request<proto::JoinGroupRequest>,
    ) -> Result<Response<proto::JoinGroupResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| s.join_group(ctx, req))
            .map(Response::new)
    }

    async fn external_join(
        &self,
        request: Request<proto::ExternalJoinRequest>,
    ) -> Result<Response<proto::ExternalJoinResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| s.external_join(ctx, req))
            .map(Response::new)
    }

    async fn group_info(
        &self,
        request: Request<proto::GroupInfoRequest>,
    ) -> Result<Response<proto::GroupInfoResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| s.group_info(req)).map(Response::new)
    }

    async fn state_auth(
        &self,
        request: Request<proto::StateAuthRequest>,
    ) -> Result<Response<proto::StateAuthResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| {
            let state = s.state(req.state_id)?;
            Ok(proto::StateAuthResponse {
                state_auth_secret: state.group.epoch_authenticator().to_vec(),
            })
        })
        .map(Response::new)
    }

    async fn export(
        &self,
        request: Request<proto::ExportRequest>,
    ) -> Result<Response<proto::ExportResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| {
            let state = s.state(req.state_id)?;
            let length = u16::try_from(req.key_length)
                .map(usize::from)
                .map_err(|_| Error::BadLength(req.key_length))?;
            let secret = state
                .group
                .export_secret(req.label.as_bytes(), &req.context, length)?;
            Ok(proto::ExportResponse {
                exported_secret: secret.as_bytes().to_vec(),
            })
        })
        .map(Response::new)
    }

    async fn protect(
        &self,
        request: Request<proto::ProtectRequest>,
    ) -> Result<Response<proto::ProtectResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| s.protect(req)).map(Response::new)
    }

    async fn unprotect(
        &self,
        request: Request<proto::UnprotectRequest>,
    ) -> Result<Response<proto::UnprotectResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| s.unprotect(req)).map(Response::new)
    }

    async fn store_psk(
        &self,
        request: Request<proto::StorePskRequest>,
    ) -> Result<Response<proto::StorePskResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| s.store_psk(req)).map(Response::new)
    }

    async fn add_proposal(
        &self,
        request: Request<proto::AddProposalRequest>,
    ) -> Result<Response<proto::ProposalResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| {
            let key_package = key_package_message(&req.key_package)?;
            let message = s
                .state(req.state_id)?
                .group
                .propose_add(&key_package, now())?;
            State::proposal(&message)
        })
        .map(Response::new)
    }

    async fn update_proposal(
        &self,
        request: Request<proto::UpdateProposalRequest>,
    ) -> Result<Response<proto::ProposalResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| {
            let message = s.state(req.state_id)?.group.propose_update(now())?;
            State::proposal(&message)
        })
        .map(Response::new)
    }

    async fn remove_proposal(
        &self,
        request: Request<proto::RemoveProposalRequest>,
    ) -> Result<Response<proto::ProposalResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| {
            let state = s.state(req.state_id)?;
            let removed = state.leaf_of(&req.removed_id)?;
            let message = state.group.propose_remove(removed, now())?;
            State::proposal(&message)
        })
        .map(Response::new)
    }

    async fn external_psk_proposal(
        &self,
        request: Request<proto::ExternalPskProposalRequest>,
    ) -> Result<Response<proto::ProposalResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| {
            let message = s
                .state(req.state_id)?
                .group
                .propose_external_psk(&req.psk_id, now())?;
            State::proposal(&message)
        })
        .map(Response::new)
    }

    async fn resumption_psk_proposal(
        &self,
        request: Request<proto::ResumptionPskProposalRequest>,
    ) -> Result<Response<proto::ProposalResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| {
            let group = &mut s.state(req.state_id)?.group;
            let proposal = group.resumption_psk_proposal(req.epoch_id)?;
            State::proposal(&group.propose(proposal, now())?)
        })
        .map(Response::new)
    }

    async fn group_context_extensions_proposal(
        &self,
        request: Request<proto::GroupContextExtensionsProposalRequest>,
    ) -> Result<Response<proto::ProposalResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| {
            let extensions = extensions(&req.extensions)?;
            let message = s
                .state(req.state_id)?
                .group
                .propose_group_context_extensions(extensions, now())?;
            State::proposal(&message)
        })
        .map(Response::new)
    }

    async fn commit(
        &self,
        request: Request<proto::CommitRequest>,
    ) -> Result<Response<proto::CommitResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| s.commit(ctx, req)).map(Response::new)
    }

    async fn handle_commit(
        &self,
        request: Request<proto::HandleCommitRequest>,
    ) -> Result<Response<proto::HandleCommitResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| s.handle_commit(req)).map(Response::new)
    }

    async fn handle_pending_commit(
        &self,
        request: Request<proto::HandlePendingCommitRequest>,
    ) -> Result<Response<proto::HandleCommitResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| s.handle_pending_commit(req))
            .map(Response::new)
    }

    async fn re_init_proposal(
        &self,
        request: Request<proto::ReInitProposalRequest>,
    ) -> Result<Response<proto::ProposalResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| s.re_init_proposal(ctx, req))
            .map(Response::new)
    }

    async fn re_init_commit(
        &self,
        request: Request<proto::CommitRequest>,
    ) -> Result<Response<proto::CommitResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| s.commit(ctx, req)).map(Response::new)
    }

    async fn handle_pending_re_init_commit(
        &self,
        request: Request<proto::HandlePendingCommitRequest>,
    ) -> Result<Response<proto::HandleReInitCommitResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| {
            s.handle_pending_commit(proto::HandlePendingCommitRequest {
                state_id: req.state_id,
            })?;
            s.after_reinit_commit(ctx, req.state_id)
        })
        .map(Response::new)
    }

    async fn handle_re_init_commit(
        &self,
        request: Request<proto::HandleCommitRequest>,
    ) -> Result<Response<proto::HandleReInitCommitResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| {
            let state_id = req.state_id;
            s.handle_commit(req)?;
            s.after_reinit_commit(ctx, state_id)
        })
        .map(Response::new)
    }

    async fn re_init_welcome(
        &self,
        request: Request<proto::ReInitWelcomeRequest>,
    ) -> Result<Response<proto::CreateSubgroupResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| s.re_init_welcome(req)).map(Response::new)
    }

    async fn handle_re_init_welcome(
        &self,
        request: Request<proto::HandleReInitWelcomeRequest>,
    ) -> Result<Response<proto::JoinGroupResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| s.handle_re_init_welcome(req))
            .map(Response::new)
    }

    async fn create_branch(
        &self,
        request: Request<proto::CreateBranchRequest>,
    ) -> Result<Response<proto::CreateSubgroupResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| s.create_branch(req)).map(Response::new)
    }

    async fn handle_branch(
        &self,
        request: Request<proto::HandleBranchRequest>,
    ) -> Result<Response<proto::HandleBranchResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| s.handle_branch(ctx, req))
            .map(Response::new)
    }

    async fn new_member_add_proposal(
        &self,
        request: Request<proto::NewMemberAddProposalRequest>,
    ) -> Result<Response<proto::NewMemberAddProposalResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| s.new_member_add_proposal(ctx, req))
            .map(Response::new)
    }

    async fn create_external_signer(
        &self,
        request: Request<proto::CreateExternalSignerRequest>,
    ) -> Result<Response<proto::CreateExternalSignerResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| s.create_external_signer(ctx, req))
            .map(Response::new)
    }

    async fn add_external_signer(
        &self,
        request: Request<proto::AddExternalSignerRequest>,
    ) -> Result<Response<proto::ProposalResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| s.add_external_signer(req))
            .map(Response::new)
    }

    async fn external_signer_proposal(
        &self,
        request: Request<proto::ExternalSignerProposalRequest>,
    ) -> Result<Response<proto::ProposalResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| s.external_signer_proposal(ctx, req))
            .map(Response::new)
    }

    async fn free(
        &self,
        request: Request<proto::FreeRequest>,
    ) -> Result<Response<proto::FreeResponse>, Status> {
        let id = request.into_inner().state_id;
        self.with(|s, _| {
            let found = s.states.remove(&id).is_some()
                || s.transactions.remove(&id).is_some()
                || s.reinits.remove(&id).is_some()
                || s.signers.remove(&id).is_some();
            if found {
                Ok(proto::FreeResponse {})
            } else {
                Err(Error::UnknownId(id))
            }
        })
        .map(Response::new)
    }
}
