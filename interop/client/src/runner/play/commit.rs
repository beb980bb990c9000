//! Creating groups and KeyPackages, committing (every member handles the commit, the joiners
//! join from the Welcome) and joining by external commit.

use super::{Actor, Failure, Run, agree, fail};
use crate::proto;

impl Run<'_> {
    pub(super) async fn create_group(
        &mut self,
        actor: &str,
        members: &[String],
    ) -> Result<(), Failure> {
        let mut rpc = self.rpc(actor)?;
        let state_id = rpc
            .create_group(proto::CreateGroupRequest {
                group_id: self.group_id.clone(),
                cipher_suite: self.suite,
                encrypt_handshake: self.encrypt,
                identity: actor.as_bytes().to_vec(),
            })
            .await
            .map_err(|s| self.status("CreateGroup", actor, s))?
            .into_inner()
            .state_id;
        self.track(actor, state_id)?;
        self.actors.insert(
            actor.to_owned(),
            Actor {
                state: Some(state_id),
                transaction: None,
                signer: None,
            },
        );
        if members.is_empty() {
            return Ok(());
        }
        let mut by_value = Vec::with_capacity(members.len());
        for member in members {
            let (transaction, key_package) = self.create_key_package(member).await?;
            self.actor_mut(member).transaction = Some(transaction);
            by_value.push(proto::ProposalDescription {
                proposal_type: b"add".to_vec(),
                key_package,
                ..Default::default()
            });
        }
        self.full_commit(actor, Vec::new(), by_value, &[], members, false, false)
            .await
    }

    pub(super) async fn create_key_package(
        &mut self,
        actor: &str,
    ) -> Result<(u32, Vec<u8>), Failure> {
        let mut rpc = self.rpc(actor)?;
        let r = rpc
            .create_key_package(proto::CreateKeyPackageRequest {
                cipher_suite: self.suite,
                identity: actor.as_bytes().to_vec(),
            })
            .await
            .map_err(|s| self.status("CreateKeyPackage", actor, s))?
            .into_inner();
        self.track(actor, r.transaction_id)?;
        Ok((r.transaction_id, r.key_package))
    }

    /// `actor` commits; `members` handle the commit, `actor` its pending commit, `joiners` join
    /// from the Welcome; all must then agree on the epoch authenticator.
    #[allow(
        clippy::too_many_arguments,
        reason = "the fields of the fullCommit action"
    )]
    pub(super) async fn full_commit(
        &mut self,
        actor: &str,
        by_reference: Vec<(Option<String>, Vec<u8>)>,
        by_value: Vec<proto::ProposalDescription>,
        members: &[String],
        joiners: &[String],
        force_path: bool,
        external_tree: bool,
    ) -> Result<(), Failure> {
        // Everyone is given the others' proposals only: its own are cached already.
        let others = |who: &str| -> Vec<Vec<u8>> {
            by_reference
                .iter()
                .filter(|(proposer, _)| proposer.as_deref() != Some(who))
                .map(|(_, p)| p.clone())
                .collect()
        };
        let state_id = self.state(actor)?;
        let mut rpc = self.rpc(actor)?;
        let commit = rpc
            .commit(proto::CommitRequest {
                state_id,
                by_reference: others(actor),
                by_value,
                force_path,
                external_tree,
            })
            .await
            .map_err(|s| self.status("Commit", actor, s))?
            .into_inner();
        let mut authenticators = Vec::new();
        for member in members {
            let state_id = self.state(member)?;
            let mut rpc = self.rpc(member)?;
            let r = rpc
                .handle_commit(proto::HandleCommitRequest {
                    state_id,
                    proposal: others(member),
                    commit: commit.commit.clone(),
                })
                .await
                .map_err(|s| self.status("HandleCommit", member, s))?
                .into_inner();
            self.actor_mut(member).state = Some(r.state_id);
            authenticators.push((member.as_str(), r.epoch_authenticator));
        }
        let r = rpc
            .handle_pending_commit(proto::HandlePendingCommitRequest { state_id })
            .await
            .map_err(|s| self.status("HandlePendingCommit", actor, s))?
            .into_inner();
        self.actor_mut(actor).state = Some(r.state_id);
        authenticators.push((actor, r.epoch_authenticator));
        if !joiners.is_empty() && commit.welcome.is_empty() {
            return Err(fail(
                "the commit adds members but came without a Welcome".into(),
            ));
        }
        if external_tree && !joiners.is_empty() && commit.ratchet_tree.is_empty() {
            return Err(fail(
                "external_tree was asked for but no ratchet tree came".into(),
            ));
        }
        for joiner in joiners {
            let transaction_id = self
                .actors
                .get(joiner.as_str())
                .and_then(|a| a.transaction)
                .ok_or_else(|| fail(format!("{joiner} has no KeyPackage to join with")))?;
            let mut rpc = self.rpc(joiner)?;
            let r = rpc
                .join_group(proto::JoinGroupRequest {
                    transaction_id,
                    welcome: commit.welcome.clone(),
                    encrypt_handshake: self.encrypt,
                    identity: joiner.as_bytes().to_vec(),
                    ratchet_tree: if external_tree {
                        commit.ratchet_tree.clone()
                    } else {
                        Vec::new()
                    },
                })
                .await
                .map_err(|s| self.status("JoinGroup", joiner, s))?
                .into_inner();
            self.track(joiner, r.state_id)?;
            *self.actor_mut(joiner) = Actor {
                state: Some(r.state_id),
                transaction: None,
                signer: None,
            };
            authenticators.push((joiner.as_str(), r.epoch_authenticator));
        }
        agree(&authenticators)
    }

    /// `joiner` joins by external commit from `actor`'s GroupInfo; `actor` and `members` handle
    /// the commit; all must agree on the epoch authenticator.
    pub(super) async fn external_join(
        &mut self,
        actor: &str,
        joiner: &str,
        members: &[String],
        remove_prior: bool,
        psks: Vec<proto::PreSharedKey>,
        external_tree: bool,
    ) -> Result<(), Failure> {
        let state_id = self.state(actor)?;
        let mut rpc = self.rpc(actor)?;
        let info = rpc
            .group_info(proto::GroupInfoRequest {
                state_id,
                external_tree,
            })
            .await
            .map_err(|s| self.status("GroupInfo", actor, s))?
            .into_inner();
        let mut joiner_rpc = self.rpc(joiner)?;
        let joined = joiner_rpc
            .external_join(proto::ExternalJoinRequest {
                group_info: info.group_info,
                ratchet_tree: info.ratchet_tree,
                encrypt_handshake: self.encrypt,
                identity: joiner.as_bytes().to_vec(),
                remove_prior,
                psks,
            })
            .await
            .map_err(|s| self.status("ExternalJoin", joiner, s))?
            .into_inner();
        self.track(joiner, joined.state_id)?;
        *self.actor_mut(joiner) = Actor {
            state: Some(joined.state_id),
            transaction: None,
            signer: None,
        };
        let mut authenticators = vec![(joiner, joined.epoch_authenticator)];
        for member in std::iter::once(actor).chain(members.iter().map(String::as_str)) {
            let state_id = self.state(member)?;
            let mut rpc = self.rpc(member)?;
            let r = rpc
                .handle_commit(proto::HandleCommitRequest {
                    state_id,
                    proposal: Vec::new(),
                    commit: joined.commit.clone(),
                })
                .await
                .map_err(|s| self.status("HandleCommit", member, s))?
                .into_inner();
            self.actor_mut(member).state = Some(r.state_id);
            authenticators.push((member, r.epoch_authenticator));
        }
        agree(&authenticators)
    }
}
