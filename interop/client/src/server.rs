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
//!
//! [`Client`]: cohort::Client
//! [`MemoryStore`]: cohort::storage::memory::MemoryStore

mod convert;
mod member;
mod propose;
mod reinit;
mod store;

use std::sync::{Arc, Mutex, PoisonError};

use cohort::codec::CodecError;
use cohort::crypto::{CryptoError, CryptoProvider};
use tokio::net::TcpListener;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status};

use crate::proto;
use crate::proto::mls_client_server::{MlsClient, MlsClientServer};

use convert::{extensions, key_package_message, now};
use member::Ctx;
use propose::Proposer as _;
use store::{State, Store};

/// The name the service reports (`Name`).
pub const NAME: &str = "cohort";

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
