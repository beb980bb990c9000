//! The store of states, transactions, pending reinitializations and external signers, and the
//! operations on it that answer the requests (branching and reinitialization are in
//! `reinit`).

use std::collections::HashMap;
use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{Signer as _, SoftwareSigner};
use cohort::group::{CommitOptions, HandshakeFormat};
use cohort::messages::MlsMessage;
use cohort::messages::extensions::{ExtensionPayload, ExternalSender, ExternalSenders};
use cohort::storage::Zeroizing;
use cohort::tree::extension::ExtensionType;
use cohort::{Client, ClientGroup, ExternalJoinOptions, Received};

use super::Error;
use super::convert::{
    decode, decode_all, encode, format, group_info_message, key_package_of, leaf_in_tree, now,
    ratchet_tree, tree_of, welcome_bytes, welcome_message,
};
use super::member::{ClientParts, Ctx, Psks};
use super::propose::{FromGroupInfo, described};
use crate::proto;

/// A member's view of a group.
pub(super) struct State {
    pub(super) group: ClientGroup,
    /// What the group's client is built from.
    pub(super) parts: ClientParts,
    pub(super) format: HandshakeFormat,
    pub(super) psks: Psks,
}

/// A KeyPackage waiting for a Welcome: a client with the KeyPackage's private keys in its store.
pub(super) struct Transaction {
    pub(super) parts: ClientParts,
    client: Client,
    pub(super) psks: Psks,
}

/// A member of a group that committed a ReInit, with its client for the new group.
pub(super) struct ReInitRecord {
    /// The old group, waiting for reinitialization: a second handle of the state's group.
    pub(super) old: ClientGroup,
    /// Our client in the ReInit's cipher suite, with our KeyPackage for the new group in its
    /// store.
    pub(super) parts: ClientParts,
    pub(super) client: Client,
    pub(super) format: HandshakeFormat,
    pub(super) psks: Psks,
}

/// An external signer (RFC 9420 §12.1.8): a signature key and a basic credential.
pub(super) struct ExternalSigner {
    signer: SoftwareSigner,
}

/// States, transactions, pending reinitializations and external signers by id (one counter
/// for all four).
#[derive(Default)]
pub(super) struct Store {
    next_id: u32,
    pub(super) states: HashMap<u32, State>,
    pub(super) transactions: HashMap<u32, Transaction>,
    pub(super) reinits: HashMap<u32, ReInitRecord>,
    pub(super) signers: HashMap<u32, ExternalSigner>,
}

impl Store {
    pub(super) fn fresh_id(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    pub(super) fn add_state(&mut self, state: State) -> u32 {
        let id = self.fresh_id();
        self.states.insert(id, state);
        id
    }

    /// Ends the join transaction `transaction_id` with the group it joined: the group becomes a
    /// state with the transaction's client parts and PSKs. Its state id and epoch authenticator.
    pub(super) fn finish_join(
        &mut self,
        transaction_id: u32,
        group: ClientGroup,
        format: HandshakeFormat,
    ) -> Result<(u32, Vec<u8>), Error> {
        let transaction = self
            .transactions
            .remove(&transaction_id)
            .ok_or(Error::UnknownTransaction(transaction_id))?;
        let epoch_authenticator = group.epoch_authenticator().to_vec();
        let state_id = self.add_state(State {
            group,
            parts: transaction.parts,
            format,
            psks: transaction.psks,
        });
        Ok((state_id, epoch_authenticator))
    }

    pub(super) fn state(&mut self, id: u32) -> Result<&mut State, Error> {
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
    pub(super) fn commit_options(&self) -> CommitOptions {
        let mut options = CommitOptions::new();
        options.format = self.format;
        options.group_info = false;
        options
    }

    /// Answers a proposal request with `message`.
    pub(super) fn proposal(message: &MlsMessage) -> Result<proto::ProposalResponse, Error> {
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

/// The operations, synchronous, on the store.
impl Store {
    pub(super) fn new_member_add_proposal(
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

    pub(super) fn create_external_signer(
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

    pub(super) fn add_external_signer(
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

    pub(super) fn external_signer_proposal(
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

    pub(super) fn create_group(
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

    pub(super) fn create_key_package(
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

    pub(super) fn join_group(
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
        let (state_id, epoch_authenticator) =
            self.finish_join(req.transaction_id, group, format)?;
        Ok(proto::JoinGroupResponse {
            state_id,
            epoch_authenticator,
        })
    }

    pub(super) fn external_join(
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

    pub(super) fn group_info(
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

    pub(super) fn store_psk(
        &mut self,
        req: proto::StorePskRequest,
    ) -> Result<proto::StorePskResponse, Error> {
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

    pub(super) fn commit(
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

    pub(super) fn handle_commit(
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

    pub(super) fn handle_pending_commit(
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

    pub(super) fn protect(
        &mut self,
        req: proto::ProtectRequest,
    ) -> Result<proto::ProtectResponse, Error> {
        let state = self.state(req.state_id)?;
        let message = state
            .group
            .send_message_with(&req.plaintext, &req.authenticated_data)?;
        Ok(proto::ProtectResponse {
            ciphertext: encode(&message)?,
        })
    }

    pub(super) fn unprotect(
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
