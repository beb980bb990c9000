//! Branching a subgroup and reinitializing a group: the `branch` and `reinit` actions.

use super::{Failure, Run, agree, fail};
use crate::proto;

/// Where the ReInit proposal of a `reinit` action comes from.
pub(super) enum ReInitSource<'s> {
    /// A member proposes it, with these changes.
    Member {
        proposer: &'s str,
        change: ReInitChange,
    },
    /// An external signer proposed it in an earlier step.
    External {
        proposal: Vec<u8>,
        cipher_suite: u32,
        group_id: Vec<u8>,
    },
}

/// What a ReInit changes.
pub(super) struct ReInitChange {
    pub(super) cipher_suite: bool,
    pub(super) group_id: bool,
    pub(super) extensions: Vec<proto::Extension>,
}

impl Run<'_> {
    /// `actor` branches a subgroup with `members`, who each make a new KeyPackage and join
    /// it; all must agree on the new group's epoch authenticator.
    pub(super) async fn branch(
        &mut self,
        actor: &str,
        members: &[String],
        extensions: Vec<proto::Extension>,
        force_path: bool,
        external_tree: bool,
    ) -> Result<(), Failure> {
        let mut transactions = Vec::with_capacity(members.len());
        let mut key_packages = Vec::with_capacity(members.len());
        for member in members {
            let (transaction, key_package) = self.create_key_package(member).await?;
            transactions.push(transaction);
            key_packages.push(key_package);
        }
        let state_id = self.state(actor)?;
        let mut rpc = self.rpc(actor)?;
        let branch = rpc
            .create_branch(proto::CreateBranchRequest {
                state_id,
                group_id: rand::random::<[u8; 16]>().to_vec(),
                extensions,
                key_packages,
                force_path,
                external_tree,
            })
            .await
            .map_err(|s| self.status("CreateBranch", actor, s))?
            .into_inner();
        self.track(actor, branch.state_id)?;
        self.actor_mut(actor).state = Some(branch.state_id);
        let mut authenticators = vec![(actor, branch.epoch_authenticator)];
        for (member, transaction_id) in members.iter().zip(transactions) {
            let state_id = self.state(member)?;
            let mut rpc = self.rpc(member)?;
            let r = rpc
                .handle_branch(proto::HandleBranchRequest {
                    state_id,
                    transaction_id,
                    welcome: branch.welcome.clone(),
                    ratchet_tree: branch.ratchet_tree.clone(),
                })
                .await
                .map_err(|s| self.status("HandleBranch", member, s))?
                .into_inner();
            self.track(member, r.state_id)?;
            self.actor_mut(member).state = Some(r.state_id);
            authenticators.push((member, r.epoch_authenticator));
        }
        agree(&authenticators)
    }

    /// `proposer` proposes a ReInit, `committer` commits it, every participant handles the
    /// commit (all must agree), `welcomer` creates the new group with the others' new
    /// KeyPackages, and the others join it (all must agree again).
    #[allow(clippy::too_many_arguments, reason = "the fields of the reinit action")]
    pub(super) async fn reinit(
        &mut self,
        source: ReInitSource<'_>,
        committer: &str,
        welcomer: &str,
        participants: &[&str],
        force_path: bool,
        external_tree: bool,
    ) -> Result<(), Failure> {
        let (proposal, cipher_suite, group_id) = match source {
            ReInitSource::Member { proposer, change } => {
                let cipher_suite = if change.cipher_suite {
                    self.other_suite().ok_or_else(|| {
                        Failure::Unsupported(
                            "no second cipher suite that every client supports".into(),
                        )
                    })?
                } else {
                    self.suite
                };
                let group_id = if change.group_id {
                    rand::random::<[u8; 16]>().to_vec()
                } else {
                    self.group_id.clone()
                };
                let state_id = self.state(proposer)?;
                let mut rpc = self.rpc(proposer)?;
                let proposal = rpc
                    .re_init_proposal(proto::ReInitProposalRequest {
                        state_id,
                        cipher_suite,
                        group_id: group_id.clone(),
                        extensions: change.extensions,
                    })
                    .await
                    .map_err(|s| self.status("ReInitProposal", proposer, s))?
                    .into_inner()
                    .proposal;
                (proposal, cipher_suite, group_id)
            }
            ReInitSource::External {
                proposal,
                cipher_suite,
                group_id,
            } => (proposal, cipher_suite, group_id),
        };
        let state_id = self.state(committer)?;
        let mut rpc = self.rpc(committer)?;
        let commit = rpc
            .re_init_commit(proto::CommitRequest {
                state_id,
                by_reference: vec![proposal.clone()],
                by_value: Vec::new(),
                force_path,
                external_tree: false,
            })
            .await
            .map_err(|s| self.status("ReInitCommit", committer, s))?
            .into_inner()
            .commit;
        // Everyone moves to the ReInit state: (actor, reinit id, new KeyPackage).
        let mut reinits: Vec<(&str, u32, Vec<u8>)> = Vec::with_capacity(participants.len());
        let mut authenticators = Vec::with_capacity(participants.len());
        for who in participants.iter().copied() {
            let state_id = self.state(who)?;
            let mut rpc = self.rpc(who)?;
            let r = if who == committer {
                rpc.handle_pending_re_init_commit(proto::HandlePendingCommitRequest { state_id })
                    .await
                    .map_err(|s| self.status("HandlePendingReInitCommit", who, s))?
            } else {
                rpc.handle_re_init_commit(proto::HandleCommitRequest {
                    state_id,
                    proposal: vec![proposal.clone()],
                    commit: commit.clone(),
                })
                .await
                .map_err(|s| self.status("HandleReInitCommit", who, s))?
            }
            .into_inner();
            self.track(who, r.reinit_id)?;
            reinits.push((who, r.reinit_id, r.key_package));
            authenticators.push((who, r.epoch_authenticator));
        }
        agree(&authenticators)?;
        let welcomer_reinit = reinits
            .iter()
            .find(|(who, _, _)| *who == welcomer)
            .map(|(_, id, _)| *id)
            .ok_or_else(|| fail(format!("{welcomer} took no part in the ReInit")))?;
        let key_package = reinits
            .iter()
            .filter(|(who, _, _)| *who != welcomer)
            .map(|(_, _, kp)| kp.clone())
            .collect();
        let mut rpc = self.rpc(welcomer)?;
        let created = rpc
            .re_init_welcome(proto::ReInitWelcomeRequest {
                reinit_id: welcomer_reinit,
                key_package,
                force_path,
                external_tree,
            })
            .await
            .map_err(|s| self.status("ReInitWelcome", welcomer, s))?
            .into_inner();
        self.track(welcomer, created.state_id)?;
        self.actor_mut(welcomer).state = Some(created.state_id);
        let mut authenticators = vec![(welcomer, created.epoch_authenticator)];
        for (who, reinit_id, _) in reinits.iter().filter(|(w, _, _)| *w != welcomer) {
            let mut rpc = self.rpc(who)?;
            let r = rpc
                .handle_re_init_welcome(proto::HandleReInitWelcomeRequest {
                    reinit_id: *reinit_id,
                    welcome: created.welcome.clone(),
                    ratchet_tree: created.ratchet_tree.clone(),
                })
                .await
                .map_err(|s| self.status("HandleReInitWelcome", who, s))?
                .into_inner();
            self.track(who, r.state_id)?;
            self.actor_mut(who).state = Some(r.state_id);
            authenticators.push((who, r.epoch_authenticator));
        }
        self.suite = cipher_suite;
        self.group_id = group_id;
        agree(&authenticators)
    }
}
