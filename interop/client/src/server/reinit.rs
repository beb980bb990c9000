//! Branching and reinitialization: the operations on the store that make a subgroup or the
//! group that replaces a reinitialized one, and join them.

use cohort::group::{CommitOptions, CommitOutput};
use cohort::messages::proposal::Proposal;

use super::Error;
use super::convert::{
    encode, extensions, key_package_message, now, ratchet_tree, welcome_bytes, welcome_message,
};
use super::member::{ClientParts, Ctx};
use super::propose::reinit_proposal;
use super::store::{ReInitRecord, State, Store};
use crate::proto;

/// Branching and reinitialization (RFC 9420 §11.2, §11.3).
impl Store {
    pub(super) fn create_branch(
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

    pub(super) fn handle_branch(
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
        let (state_id, epoch_authenticator) =
            self.finish_join(req.transaction_id, group, format)?;
        Ok(proto::HandleBranchResponse {
            state_id,
            epoch_authenticator,
        })
    }

    pub(super) fn re_init_proposal(
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
    pub(super) fn after_reinit_commit(
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

    pub(super) fn re_init_welcome(
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

    pub(super) fn handle_re_init_welcome(
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
