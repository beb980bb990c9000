//! The `MLSClient` gRPC service on cohort's sans-IO [`Group`], with the RustCrypto backend.
//!
//! Every state (a member's view of a group) and every transaction (a KeyPackage waiting for its
//! Welcome) lives in one map behind a mutex, keyed by a `u32` id drawn from one counter, so that
//! `StorePSK` can take either kind of id. Members use basic credentials with the identity of
//! the request. Operations of several steps (a commit after its proposals, a commit handled
//! after its proposals) work on a copy of the group and store it back only when every step
//! succeeded, so a rejected request leaves the state as it was.
//!
//! A member of a group whose commit carried a ReInit gets a "reinit id" for the ReInit RPCs: it
//! holds the old group and the member's KeyPackage for the new one.
//!
//! External signers (RFC 9420 §12.1.8): `CreateExternalSigner` makes a signer, kept under a
//! "signer id" from the same counter, and returns its `ExternalSender` entry (TLS-encoded);
//! `AddExternalSigner` proposes GroupContextExtensions that append an entry to the group's
//! `external_senders`; `ExternalSignerProposal` signs a described proposal for the group of a
//! GroupInfo as the entry at `signer_index`. `NewMemberAddProposal` makes a KeyPackage (a
//! transaction, joined later with `JoinGroup`) and the new-member Add proposal for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use cohort_codec::{CodecError, Decode, Encode};
use cohort_credential::Credential;
use cohort_crypto::{
    CipherSuite, CryptoError, CryptoProvider, Secret, Signer as _, SoftwareSigner, SuiteOps,
};
use cohort_group::{
    CommitOptions, Group, GroupConfig, HandshakeFormat, JoinInput, KeyPackageSecrets, LeafSpec,
    LifetimePolicy, MaxLifetime, Processed, PskList, StrictChecks, create_key_package,
};
use cohort_messages::extensions::{ExtensionPayload, ExternalSender, ExternalSenders};
use cohort_messages::group_context::GroupContext;
use cohort_messages::group_info::GroupInfo;
use cohort_messages::key_package::KeyPackage;
use cohort_messages::proposal::{
    Add, GroupContextExtensions, PreSharedKey, Proposal, ReInit, Remove,
};
use cohort_messages::psk::{PreSharedKeyId, Psk, ResumptionPskUsage};
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::extension::{Extension, ExtensionType};
use cohort_tree::leaf::ProtocolVersion;
use cohort_tree::math::LeafIndex;
use cohort_tree::node::{Node, RatchetTreeNodes};
use tokio::net::TcpListener;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status};

use crate::proto;
use crate::proto::mls_client_server::{MlsClient, MlsClientServer};

/// The configuration of every group this client holds: it accepts whatever lifetime and
/// capability list a peer's client emits. No maximum total lifetime, stated as such (MLSpp's
/// KeyPackages run from 0 to 2^64-1, mls-rs's for a year, OpenMLS's for about three months);
/// expiry is still checked against the current time. Capabilities that omit the group's own
/// suite or version, misplaced known extensions and default types listed in capabilities are
/// tolerated (RFC 9420 asks none of these of a receiver; docs/interop.md gives the reasons).
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
    /// cohort rejected the operation or the message.
    #[error("cohort: {0}")]
    Group(#[from] cohort_group::Error),
    /// The crypto backend failed.
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// Encoding our own output failed.
    #[error("encoding: {0}")]
    Encode(#[source] CodecError),
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
            Error::Group(cohort_group::Error::Misuse(_)) => Status::failed_precondition(message),
            Error::Group(_) => Status::invalid_argument(message),
            Error::Crypto(_) | Error::Encode(_) => Status::internal(message),
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
    /// A client with no states, on the RustCrypto backend.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Mutex::new(Store::default())),
            provider: Arc::new(cohort_crypto_rustcrypto::provider()),
        }
    }

    /// The tonic service to add to a [`tonic::transport::Server`].
    pub fn into_service(self) -> MlsClientServer<Self> {
        MlsClientServer::new(self)
    }

    /// Runs `op` on the store. A poisoned lock is taken over: operations never panic while
    /// holding it, and each one stores its result only once it succeeded.
    fn with<T>(
        &self,
        op: impl FnOnce(&mut Store, &Ctx<'_>) -> Result<T, Error>,
    ) -> Result<T, Status> {
        let mut store = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let ctx = Ctx {
            provider: &*self.provider,
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
    provider: &'a dyn CryptoProvider,
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

/// A member's view of a group, with its keys and PSKs.
struct State {
    group: Group,
    signer: SoftwareSigner,
    identity: Vec<u8>,
    format: HandshakeFormat,
    psks: PskList,
}

/// A KeyPackage waiting for a Welcome.
struct Transaction {
    key_package: KeyPackage,
    secrets: KeyPackageSecrets,
    signer: SoftwareSigner,
    identity: Vec<u8>,
    psks: PskList,
}

/// A member of a group that committed a ReInit, with its KeyPackage for the new group.
struct ReInitRecord {
    /// The old group, waiting for reinitialization.
    old: Group,
    /// Our KeyPackage (in the new suite) and its keys.
    key_package: KeyPackage,
    secrets: KeyPackageSecrets,
    signer: SoftwareSigner,
    identity: Vec<u8>,
    format: HandshakeFormat,
    psks: PskList,
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
}

impl State {
    fn commit_options(&self) -> CommitOptions {
        let mut options = CommitOptions::new();
        options.format = self.format;
        options
    }

    /// The leaf of the member whose basic credential has `identity`.
    fn leaf_of(&self, identity: &[u8]) -> Result<LeafIndex, Error> {
        self.group
            .members()
            .find(|(_, leaf)| basic_identity(&leaf.credential) == Some(identity))
            .map(|(index, _)| index)
            .ok_or_else(|| Error::NoSuchMember(String::from_utf8_lossy(identity).into_owned()))
    }

    fn suite_ops(&self, ctx: &Ctx<'_>) -> Result<Arc<dyn SuiteOps>, Error> {
        let cs = self.group.context().cipher_suite;
        ctx.suite(u32::from(cs.0)).map(|(_, ops)| ops)
    }

    /// An external PreSharedKey proposal for `psk_id`, with a fresh nonce.
    fn external_psk(&self, ctx: &Ctx<'_>, psk_id: &[u8]) -> Result<Proposal, Error> {
        let psk = Psk::External {
            psk_id: psk_id.to_vec().into(),
        };
        self.psk_proposal(ctx, psk)
    }

    /// A resumption PreSharedKey proposal (usage `application`) for `epoch` of this group.
    fn resumption_psk(&self, ctx: &Ctx<'_>, epoch: u64) -> Result<Proposal, Error> {
        let psk = Psk::Resumption {
            usage: ResumptionPskUsage::Application,
            psk_group_id: self.group.group_id().to_vec().into(),
            psk_epoch: epoch,
        };
        self.psk_proposal(ctx, psk)
    }

    fn psk_proposal(&self, ctx: &Ctx<'_>, psk: Psk) -> Result<Proposal, Error> {
        let ops = self.suite_ops(ctx)?;
        let mut nonce = vec![0u8; ops.hash_len()];
        ops.random_fill(&mut nonce)?;
        Ok(Proposal::PreSharedKey(PreSharedKey {
            psk: PreSharedKeyId {
                psk,
                psk_nonce: nonce.into(),
            },
        }))
    }

    /// Sends `proposal` and keeps it cached; returns the message.
    fn propose(&mut self, proposal: Proposal) -> Result<proto::ProposalResponse, Error> {
        let mut next = self.group.clone();
        let message = next.propose(&self.signer, proposal, self.format, Some(now()))?;
        self.group = next;
        Ok(proto::ProposalResponse {
            proposal: encode(&message)?,
        })
    }

    /// The proposal a `ProposalDescription` of a commit describes.
    fn described(
        &self,
        ctx: &Ctx<'_>,
        description: &proto::ProposalDescription,
    ) -> Result<Proposal, Error> {
        described(
            ctx,
            self.group.context(),
            |identity| self.leaf_of(identity),
            description,
        )
    }

    /// Processes `proposals` (messages) on `group`; each must be a proposal.
    fn process_proposals(&self, group: &mut Group, proposals: &[Vec<u8>]) -> Result<(), Error> {
        for bytes in proposals {
            let message = decode::<MlsMessage>("proposal", bytes)?;
            match group.process_message(message, &self.psks, Some(now()))? {
                Processed::Proposal { .. } => {}
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

/// The proposal `description` describes, for the group of `context`; `leaf_of` finds a
/// member's leaf by identity.
fn described(
    ctx: &Ctx<'_>,
    context: &GroupContext,
    leaf_of: impl FnOnce(&[u8]) -> Result<LeafIndex, Error>,
    description: &proto::ProposalDescription,
) -> Result<Proposal, Error> {
    match description.proposal_type.as_slice() {
        b"add" => Ok(Proposal::Add(Add {
            key_package: key_package(&description.key_package)?,
        })),
        b"remove" => Ok(Proposal::Remove(Remove {
            removed: leaf_of(&description.removed_id)?,
        })),
        b"externalPSK" => psk_proposal(
            ctx,
            context,
            Psk::External {
                psk_id: description.psk_id.clone().into(),
            },
        ),
        b"resumptionPSK" => psk_proposal(
            ctx,
            context,
            Psk::Resumption {
                usage: ResumptionPskUsage::Application,
                psk_group_id: context.group_id.clone(),
                psk_epoch: description.epoch_id,
            },
        ),
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
/// `context`.
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
fn group_info_message(bytes: &[u8]) -> Result<GroupInfo, Error> {
    match decode::<MlsMessage>("group_info", bytes)?.body {
        MlsMessageBody::GroupInfo(group_info) => Ok(group_info),
        _ => Err(Error::WrongMessage {
            field: "group_info",
            expected: "GroupInfo",
        }),
    }
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

fn leaf_spec(identity: &[u8]) -> LeafSpec {
    LeafSpec::new(Credential::basic(identity.to_vec()), now(), LEAF_DAYS)
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

fn encode<T: Encode>(value: &T) -> Result<Vec<u8>, Error> {
    value.to_bytes().map_err(Error::Encode)
}

/// A KeyPackage sent as an MLSMessage.
fn key_package(bytes: &[u8]) -> Result<KeyPackage, Error> {
    match decode::<MlsMessage>("key_package", bytes)?.body {
        MlsMessageBody::KeyPackage(kp) => Ok(kp),
        _ => Err(Error::WrongMessage {
            field: "key_package",
            expected: "KeyPackage",
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
        let group_info = group_info_message(&req.group_info)?;
        let context = &group_info.group_context;
        let (cs, ops) = ctx.suite(u32::from(context.cipher_suite.0))?;
        let signer = SoftwareSigner::generate(ops)?;
        let (kp, secrets) =
            create_key_package(ctx.provider, cs, &signer, &leaf_spec(&req.identity))?;
        let message =
            cohort_group::new_member_proposal(ctx.provider, &signer, context, kp.clone(), &[])?;
        let init_priv = secrets.init_key.as_bytes().to_vec();
        let encryption_priv = secrets.encryption_key.as_bytes().to_vec();
        let transaction_id = self.fresh_id();
        self.transactions.insert(
            transaction_id,
            Transaction {
                key_package: kp,
                secrets,
                signer,
                identity: req.identity,
                psks: PskList::default(),
            },
        );
        Ok(proto::NewMemberAddProposalResponse {
            transaction_id,
            proposal: encode(&message)?,
            init_priv,
            encryption_priv,
            // The signature key stays inside its signer.
            signature_priv: Vec::new(),
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
        let mut extensions = state.group.context().extensions.clone();
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
        state.propose(Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions,
        }))
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
        let group_info = group_info_message(&req.group_info)?;
        let description = req.description.unwrap_or_default();
        let leaf_of = |identity: &[u8]| {
            let tree = match ratchet_tree(&req.ratchet_tree)? {
                Some(tree) => tree,
                None => group_info
                    .extensions
                    .iter()
                    .find(|e| e.extension_type == ExtensionType::RATCHET_TREE)
                    .ok_or(Error::NoTree)
                    .and_then(|e| decode("ratchet_tree extension", &e.extension_data))?,
            };
            leaf_in_tree(&tree, identity)
        };
        let proposal = described(ctx, &group_info.group_context, leaf_of, &description)?;
        let message = cohort_group::external_proposal(
            ctx.provider,
            signer,
            &group_info.group_context,
            req.signer_index,
            proposal,
            &[],
        )?;
        Ok(proto::ProposalResponse {
            proposal: encode(&message)?,
        })
    }

    fn create_group(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::CreateGroupRequest,
    ) -> Result<proto::CreateGroupResponse, Error> {
        let (cs, ops) = ctx.suite(req.cipher_suite)?;
        let signer = SoftwareSigner::generate(ops)?;
        let group = Group::create(
            ctx.provider,
            cs,
            &signer,
            &leaf_spec(&req.identity),
            req.group_id,
            Vec::new(),
            group_config(),
        )?;
        let state_id = self.add_state(State {
            group,
            signer,
            identity: req.identity,
            format: format(req.encrypt_handshake),
            psks: PskList::default(),
        });
        Ok(proto::CreateGroupResponse { state_id })
    }

    fn create_key_package(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::CreateKeyPackageRequest,
    ) -> Result<proto::CreateKeyPackageResponse, Error> {
        let (cs, ops) = ctx.suite(req.cipher_suite)?;
        let signer = SoftwareSigner::generate(ops)?;
        let (kp, secrets) =
            create_key_package(ctx.provider, cs, &signer, &leaf_spec(&req.identity))?;
        let key_package = encode(&MlsMessage::new(MlsMessageBody::KeyPackage(kp.clone())))?;
        let init_priv = secrets.init_key.as_bytes().to_vec();
        let encryption_priv = secrets.encryption_key.as_bytes().to_vec();
        let transaction_id = self.fresh_id();
        self.transactions.insert(
            transaction_id,
            Transaction {
                key_package: kp,
                secrets,
                signer,
                identity: req.identity,
                psks: PskList::default(),
            },
        );
        Ok(proto::CreateKeyPackageResponse {
            transaction_id,
            key_package,
            init_priv,
            encryption_priv,
            // The signature key stays inside its signer.
            signature_priv: Vec::new(),
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
        let MlsMessageBody::Welcome(welcome) = decode::<MlsMessage>("welcome", &req.welcome)?.body
        else {
            return Err(Error::WrongMessage {
                field: "welcome",
                expected: "Welcome",
            });
        };
        let group = Group::join(
            ctx.provider,
            JoinInput {
                welcome: &welcome,
                key_package: &transaction.key_package,
                secrets: &transaction.secrets,
                ratchet_tree: ratchet_tree(&req.ratchet_tree)?,
                now: Some(now()),
            },
            &transaction.psks,
            group_config(),
        )?;
        let transaction = self
            .transactions
            .remove(&req.transaction_id)
            .ok_or(Error::UnknownTransaction(req.transaction_id))?;
        let epoch_authenticator = group.epoch_authenticator().to_vec();
        let state_id = self.add_state(State {
            group,
            signer: transaction.signer,
            identity: transaction.identity,
            format: format(req.encrypt_handshake),
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
        // The PSKs to inject (by value, in the request's order), kept with the new state too.
        let psks = PskList(
            req.psks
                .iter()
                .map(|p| (p.psk_id.clone(), Secret::new(p.psk_secret.clone())))
                .collect(),
        );
        let psk_ids: Vec<&[u8]> = req.psks.iter().map(|p| p.psk_id.as_slice()).collect();
        let MlsMessageBody::GroupInfo(group_info) =
            decode::<MlsMessage>("group_info", &req.group_info)?.body
        else {
            return Err(Error::WrongMessage {
                field: "group_info",
                expected: "GroupInfo",
            });
        };
        let (_, ops) = ctx.suite(u32::from(group_info.group_context.cipher_suite.0))?;
        let tree = ratchet_tree(&req.ratchet_tree)?;
        // Our prior leaf: the one with our identity, in the tree we were given or the
        // GroupInfo's.
        let prior = if req.remove_prior {
            let nodes = match &tree {
                Some(nodes) => nodes.clone(),
                None => {
                    let extension = cohort_tree::extension::find(
                        &group_info.extensions,
                        ExtensionType::RATCHET_TREE,
                    )
                    .ok_or(Error::UnexpectedContent {
                        field: "group_info",
                        expected: "GroupInfo with a ratchet tree (none was given)",
                    })?;
                    decode(
                        "ratchet_tree extension",
                        extension.extension_data.as_slice(),
                    )?
                }
            };
            let leaf = nodes
                .0
                .iter()
                .step_by(2)
                .enumerate()
                .find(|(_, node)| match node.as_deref() {
                    Some(Node::Leaf(leaf)) => {
                        basic_identity(&leaf.credential) == Some(&req.identity[..])
                    }
                    _ => false,
                })
                .map(|(i, _)| i)
                .ok_or_else(|| {
                    Error::NoSuchMember(String::from_utf8_lossy(&req.identity).into_owned())
                })?;
            let leaf = u32::try_from(leaf).map_err(|_| Error::UnexpectedContent {
                field: "ratchet_tree",
                expected: "tree of at most 2^32 leaves",
            })?;
            Some(LeafIndex(leaf))
        } else {
            None
        };
        let signer = SoftwareSigner::generate(ops)?;
        let joined = Group::join_by_external_commit_with_psks(
            ctx.provider,
            &signer,
            &leaf_spec(&req.identity),
            &group_info,
            tree,
            prior,
            &psk_ids,
            &psks,
            group_config(),
            Some(now()),
        )?;
        let commit = encode(&joined.commit)?;
        let epoch_authenticator = joined.group.epoch_authenticator().to_vec();
        let state_id = self.add_state(State {
            group: joined.group,
            signer,
            identity: req.identity,
            format: format(req.encrypt_handshake),
            psks,
        });
        Ok(proto::ExternalJoinResponse {
            state_id,
            commit,
            epoch_authenticator,
        })
    }

    fn group_info(
        &mut self,
        req: proto::GroupInfoRequest,
    ) -> Result<proto::GroupInfoResponse, Error> {
        let state = self.state(req.state_id)?;
        let group_info = state.group.group_info(&state.signer, !req.external_tree)?;
        let ratchet_tree = if req.external_tree {
            encode(&state.group.tree().to_nodes())?
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
        let list = if let Some(state) = self.states.get_mut(&id) {
            &mut state.psks
        } else if let Some(transaction) = self.transactions.get_mut(&id) {
            &mut transaction.psks
        } else if let Some(reinit) = self.reinits.get_mut(&id) {
            &mut reinit.psks
        } else {
            return Err(Error::UnknownId(id));
        };
        list.0.retain(|(psk_id, _)| *psk_id != req.psk_id);
        list.0.push((req.psk_id, Secret::new(req.psk_secret)));
        Ok(proto::StorePskResponse {})
    }

    fn commit(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::CommitRequest,
    ) -> Result<proto::CommitResponse, Error> {
        let state = self.state(req.state_id)?;
        let mut next = state.group.clone();
        // The proposals by reference are cached first; cohort commits every cached proposal.
        state.process_proposals(&mut next, &req.by_reference)?;
        let proposals = req
            .by_value
            .iter()
            .map(|d| state.described(ctx, d))
            .collect::<Result<Vec<_>, _>>()?;
        let mut options = state.commit_options();
        options.force_path = req.force_path;
        options.ratchet_tree_in_welcome = !req.external_tree;
        let out = next.commit(&state.signer, proposals, &options, &state.psks, Some(now()))?;
        let ratchet_tree = if req.external_tree {
            // The tree of the new epoch, read from a copy with the commit merged.
            let mut merged = next.clone();
            merged.merge_pending_commit()?;
            encode(&merged.tree().to_nodes())?
        } else {
            Vec::new()
        };
        let response = proto::CommitResponse {
            commit: encode(&out.commit)?,
            welcome: out
                .welcome
                .as_ref()
                .map(encode)
                .transpose()?
                .unwrap_or_default(),
            ratchet_tree,
        };
        state.group = next;
        Ok(response)
    }

    fn handle_commit(
        &mut self,
        req: proto::HandleCommitRequest,
    ) -> Result<proto::HandleCommitResponse, Error> {
        let state = self.state(req.state_id)?;
        let mut next = state.group.clone();
        state.process_proposals(&mut next, &req.proposal)?;
        let message = decode::<MlsMessage>("commit", &req.commit)?;
        match next.process_message(message, &state.psks, Some(now()))? {
            Processed::Commit(staged) => next.merge_staged(*staged)?,
            _ => {
                return Err(Error::UnexpectedContent {
                    field: "commit",
                    expected: "commit",
                });
            }
        }
        let epoch_authenticator = next.epoch_authenticator().to_vec();
        state.group = next;
        Ok(proto::HandleCommitResponse {
            state_id: req.state_id,
            epoch_authenticator,
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
        let message = state.group.encrypt_application(
            &state.signer,
            &req.plaintext,
            &req.authenticated_data,
            0,
        )?;
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
        match state
            .group
            .process_message(message, &state.psks, Some(now()))?
        {
            Processed::Application {
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

/// Branching and reinitialization (RFC 9420 §11.2, §11.3).
impl Store {
    fn create_branch(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::CreateBranchRequest,
    ) -> Result<proto::CreateSubgroupResponse, Error> {
        let key_packages = req
            .key_packages
            .iter()
            .map(|kp| key_package(kp))
            .collect::<Result<Vec<_>, _>>()?;
        let state = self.state(req.state_id)?;
        let mut options = state.commit_options();
        options.force_path = req.force_path;
        options.ratchet_tree_in_welcome = !req.external_tree;
        let (group, out) = state.group.branch(
            ctx.provider,
            &state.signer,
            &leaf_spec(&state.identity),
            req.group_id,
            extensions(&req.extensions)?,
            key_packages,
            &options,
            group_config(),
            Some(now()),
        )?;
        let new = State {
            group,
            signer: state.signer.clone(),
            identity: state.identity.clone(),
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
        let welcome = welcome(&req.welcome)?;
        let old = self
            .states
            .get(&req.state_id)
            .ok_or(Error::UnknownState(req.state_id))?;
        let transaction = self
            .transactions
            .get(&req.transaction_id)
            .ok_or(Error::UnknownTransaction(req.transaction_id))?;
        let group = join_resumed(
            ctx,
            &welcome,
            &req.ratchet_tree,
            (&transaction.key_package, &transaction.secrets),
            &transaction.psks,
            &old.group,
        )?;
        let format = old.format;
        let transaction = self
            .transactions
            .remove(&req.transaction_id)
            .ok_or(Error::UnknownTransaction(req.transaction_id))?;
        let epoch_authenticator = group.epoch_authenticator().to_vec();
        let state_id = self.add_state(State {
            group,
            signer: transaction.signer,
            identity: transaction.identity,
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
        self.state(req.state_id)?.propose(Proposal::ReInit(reinit))
    }

    /// After a commit with a ReInit was merged into state `state_id`: our KeyPackage for the
    /// new group, and a ReInit record holding both.
    fn after_reinit_commit(
        &mut self,
        ctx: &Ctx<'_>,
        state_id: u32,
    ) -> Result<proto::HandleReInitCommitResponse, Error> {
        let state = self.state(state_id)?;
        let reinit = state
            .group
            .pending_reinit()
            .ok_or(Error::UnexpectedContent {
                field: "commit",
                expected: "commit carrying a ReInit",
            })?
            .clone();
        let (cs, ops) = ctx.suite(u32::from(reinit.cipher_suite.0))?;
        let signer = SoftwareSigner::generate(ops)?;
        let (kp, secrets) =
            create_key_package(ctx.provider, cs, &signer, &leaf_spec(&state.identity))?;
        let record = ReInitRecord {
            old: state.group.clone(),
            key_package: kp.clone(),
            secrets,
            signer,
            identity: state.identity.clone(),
            format: state.format,
            psks: state.psks.clone(),
        };
        let epoch_authenticator = state.group.epoch_authenticator().to_vec();
        let reinit_id = self.fresh_id();
        self.reinits.insert(reinit_id, record);
        Ok(proto::HandleReInitCommitResponse {
            reinit_id,
            key_package: encode(&MlsMessage::new(MlsMessageBody::KeyPackage(kp)))?,
            epoch_authenticator,
        })
    }

    fn re_init_welcome(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::ReInitWelcomeRequest,
    ) -> Result<proto::CreateSubgroupResponse, Error> {
        let key_packages = req
            .key_package
            .iter()
            .map(|kp| key_package(kp))
            .collect::<Result<Vec<_>, _>>()?;
        let record = self
            .reinits
            .get(&req.reinit_id)
            .ok_or(Error::UnknownReInit(req.reinit_id))?;
        let mut options = CommitOptions::new();
        options.format = record.format;
        options.force_path = req.force_path;
        options.ratchet_tree_in_welcome = !req.external_tree;
        let (group, out) = record.old.reinit(
            ctx.provider,
            &record.signer,
            &leaf_spec(&record.identity),
            key_packages,
            &options,
            group_config(),
            Some(now()),
        )?;
        let new = State {
            group,
            signer: record.signer.clone(),
            identity: record.identity.clone(),
            format: record.format,
            psks: record.psks.clone(),
        };
        self.subgroup(new, &out, req.external_tree)
    }

    fn handle_re_init_welcome(
        &mut self,
        ctx: &Ctx<'_>,
        req: proto::HandleReInitWelcomeRequest,
    ) -> Result<proto::JoinGroupResponse, Error> {
        let welcome = welcome(&req.welcome)?;
        let record = self
            .reinits
            .get(&req.reinit_id)
            .ok_or(Error::UnknownReInit(req.reinit_id))?;
        let group = join_resumed(
            ctx,
            &welcome,
            &req.ratchet_tree,
            (&record.key_package, &record.secrets),
            &record.psks,
            &record.old,
        )?;
        let epoch_authenticator = group.epoch_authenticator().to_vec();
        let new = State {
            group,
            signer: record.signer.clone(),
            identity: record.identity.clone(),
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
    /// its Welcome.
    fn subgroup(
        &mut self,
        state: State,
        out: &cohort_group::CommitOutput,
        external_tree: bool,
    ) -> Result<proto::CreateSubgroupResponse, Error> {
        let welcome = out
            .welcome
            .as_ref()
            .map(encode)
            .transpose()?
            .unwrap_or_default();
        let ratchet_tree = if external_tree {
            encode(&state.group.tree().to_nodes())?
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

/// A Welcome sent as an MLSMessage.
/// Joins the group that `welcome` (with `tree`, if the Welcome lacks one) creates from `old`
/// (a ReInit's or branch's resumption), as the owner of `key_package`.
fn join_resumed(
    ctx: &Ctx<'_>,
    welcome: &cohort_messages::welcome::Welcome,
    tree: &[u8],
    (key_package, secrets): (&KeyPackage, &KeyPackageSecrets),
    psks: &PskList,
    old: &Group,
) -> Result<Group, Error> {
    Ok(Group::join_resumed(
        ctx.provider,
        JoinInput {
            welcome,
            key_package,
            secrets,
            ratchet_tree: ratchet_tree(tree)?,
            now: Some(now()),
        },
        psks,
        old,
        group_config(),
    )?)
}

fn welcome(bytes: &[u8]) -> Result<cohort_messages::welcome::Welcome, Error> {
    match decode::<MlsMessage>("welcome", bytes)?.body {
        MlsMessageBody::Welcome(welcome) => Ok(welcome),
        _ => Err(Error::WrongMessage {
            field: "welcome",
            expected: "Welcome",
        }),
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
            let key_package = key_package(&req.key_package)?;
            s.state(req.state_id)?
                .propose(Proposal::Add(Add { key_package }))
        })
        .map(Response::new)
    }

    async fn update_proposal(
        &self,
        request: Request<proto::UpdateProposalRequest>,
    ) -> Result<Response<proto::ProposalResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, _| {
            let state = s.state(req.state_id)?;
            let mut next = state.group.clone();
            let message = next.propose_update(&state.signer, state.format, Some(now()))?;
            state.group = next;
            Ok(proto::ProposalResponse {
                proposal: encode(&message)?,
            })
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
            state.propose(Proposal::Remove(Remove { removed }))
        })
        .map(Response::new)
    }

    async fn external_psk_proposal(
        &self,
        request: Request<proto::ExternalPskProposalRequest>,
    ) -> Result<Response<proto::ProposalResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| {
            let state = s.state(req.state_id)?;
            let proposal = state.external_psk(ctx, &req.psk_id)?;
            state.propose(proposal)
        })
        .map(Response::new)
    }

    async fn resumption_psk_proposal(
        &self,
        request: Request<proto::ResumptionPskProposalRequest>,
    ) -> Result<Response<proto::ProposalResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| {
            let state = s.state(req.state_id)?;
            let proposal = state.resumption_psk(ctx, req.epoch_id)?;
            state.propose(proposal)
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
            s.state(req.state_id)?
                .propose(Proposal::GroupContextExtensions(GroupContextExtensions {
                    extensions,
                }))
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
        self.with(|s, ctx| s.re_init_welcome(ctx, req))
            .map(Response::new)
    }

    async fn handle_re_init_welcome(
        &self,
        request: Request<proto::HandleReInitWelcomeRequest>,
    ) -> Result<Response<proto::JoinGroupResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| s.handle_re_init_welcome(ctx, req))
            .map(Response::new)
    }

    async fn create_branch(
        &self,
        request: Request<proto::CreateBranchRequest>,
    ) -> Result<Response<proto::CreateSubgroupResponse>, Status> {
        let req = request.into_inner();
        self.with(|s, ctx| s.create_branch(ctx, req))
            .map(Response::new)
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
