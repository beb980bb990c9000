//! Playing one step of a script: the proposals, PSKs and messages each action makes, and the
//! hand-over to the commit, join, branch and ReInit operations.

use super::reinit::{ReInitChange, ReInitSource};
use super::{Failure, Output, Run, decode_extensions, fail};
use crate::proto;
use crate::runner::script::{Step, ValueProposal};

impl Run<'_> {
    pub(super) async fn play_step(&mut self, step: &Step) -> Result<Output, Failure> {
        match step {
            Step::CreateGroup { actor, members } => {
                self.create_group(actor, members).await?;
                Ok(Output::None)
            }
            Step::CreateKeyPackage { actor } => {
                let (transaction, key_package) = self.create_key_package(actor).await?;
                self.actor_mut(actor).transaction = Some(transaction);
                Ok(Output::KeyPackage(key_package))
            }
            Step::AddProposal { actor, key_package } => {
                let key_package = self.key_package(*key_package)?;
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .add_proposal(proto::AddProposalRequest {
                        state_id,
                        key_package,
                    })
                    .await
                    .map_err(|s| self.status("AddProposal", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::RemoveProposal { actor, removed } => {
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .remove_proposal(proto::RemoveProposalRequest {
                        state_id,
                        removed_id: removed.as_bytes().to_vec(),
                    })
                    .await
                    .map_err(|s| self.status("RemoveProposal", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::UpdateProposal { actor } => {
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .update_proposal(proto::UpdateProposalRequest { state_id })
                    .await
                    .map_err(|s| self.status("UpdateProposal", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::GroupContextExtensionsProposal { actor, extensions } => {
                let extensions = decode_extensions(extensions)?;
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .group_context_extensions_proposal(
                        proto::GroupContextExtensionsProposalRequest {
                            state_id,
                            extensions,
                        },
                    )
                    .await
                    .map_err(|s| self.status("GroupContextExtensionsProposal", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::InstallExternalPsk { clients } => {
                let id = rand::random::<[u8; 16]>().to_vec();
                let secret = rand::random::<[u8; 32]>().to_vec();
                for actor in clients {
                    let a = self.actors.get(actor).copied().unwrap_or_default();
                    let state_or_transaction_id = a.state.or(a.transaction).ok_or_else(|| {
                        fail(format!(
                            "{actor} has neither a group state nor a KeyPackage"
                        ))
                    })?;
                    let mut rpc = self.rpc(actor)?;
                    rpc.store_psk(proto::StorePskRequest {
                        state_or_transaction_id,
                        psk_id: id.clone(),
                        psk_secret: secret.clone(),
                    })
                    .await
                    .map_err(|s| self.status("StorePSK", actor, s))?;
                }
                Ok(Output::Psk { id, secret })
            }
            Step::ExternalPskProposal { actor, psk_id } => {
                let (psk_id, _) = self.psk(*psk_id)?;
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .external_psk_proposal(proto::ExternalPskProposalRequest { state_id, psk_id })
                    .await
                    .map_err(|s| self.status("ExternalPSKProposal", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::ResumptionPskProposal { actor, epoch_id } => {
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .resumption_psk_proposal(proto::ResumptionPskProposalRequest {
                        state_id,
                        epoch_id: *epoch_id,
                    })
                    .await
                    .map_err(|s| self.status("ResumptionPSKProposal", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::FullCommit {
                actor,
                by_reference,
                by_value,
                members,
                joiners,
                force_path,
                external_tree,
            } => {
                let by_reference = by_reference
                    .iter()
                    .map(|i| {
                        self.proposal(*i)
                            .map(|p| (self.proposers.get(i).cloned(), p))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if by_value
                    .iter()
                    .any(|p| matches!(p, ValueProposal::ReInit { .. }))
                {
                    return Err(fail(
                        "a ReInit by value in fullCommit; use the reinit action".into(),
                    ));
                }
                let by_value = by_value
                    .iter()
                    .map(|p| self.describe(p))
                    .collect::<Result<Vec<_>, _>>()?;
                self.full_commit(
                    actor,
                    by_reference,
                    by_value,
                    members,
                    joiners,
                    *force_path,
                    *external_tree,
                )
                .await?;
                Ok(Output::None)
            }
            Step::ExternalJoin {
                actor,
                joiner,
                members,
                remove_prior,
                psks,
                external_tree,
            } => {
                let psks = psks
                    .iter()
                    .map(|i| {
                        self.psk(*i)
                            .map(|(psk_id, psk_secret)| proto::PreSharedKey { psk_id, psk_secret })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.external_join(actor, joiner, members, *remove_prior, psks, *external_tree)
                    .await?;
                Ok(Output::None)
            }
            Step::Protect {
                actor,
                authenticated_data,
                plaintext,
            } => {
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .protect(proto::ProtectRequest {
                        state_id,
                        authenticated_data: authenticated_data.as_bytes().to_vec(),
                        plaintext: plaintext.as_bytes().to_vec(),
                    })
                    .await
                    .map_err(|s| self.status("Protect", actor, s))?;
                Ok(Output::Protected {
                    ciphertext: r.into_inner().ciphertext,
                    plaintext: plaintext.as_bytes().to_vec(),
                    authenticated_data: authenticated_data.as_bytes().to_vec(),
                })
            }
            Step::Branch {
                actor,
                members,
                extensions,
                force_path,
                external_tree,
            } => {
                let extensions = decode_extensions(extensions)?;
                self.branch(actor, members, extensions, *force_path, *external_tree)
                    .await?;
                Ok(Output::None)
            }
            Step::NewMemberAddProposal { actor, joiner } => {
                let info = self.group_info(actor).await?;
                let mut rpc = self.rpc(joiner)?;
                let r = rpc
                    .new_member_add_proposal(proto::NewMemberAddProposalRequest {
                        group_info: info.group_info,
                        identity: joiner.as_bytes().to_vec(),
                    })
                    .await
                    .map_err(|s| self.status("NewMemberAddProposal", joiner, s))?
                    .into_inner();
                self.track(joiner, r.transaction_id)?;
                self.actor_mut(joiner).transaction = Some(r.transaction_id);
                Ok(Output::Proposal(r.proposal))
            }
            Step::AddExternalSigner { actor, signer } => {
                let mut signer_rpc = self.rpc(signer)?;
                let created = signer_rpc
                    .create_external_signer(proto::CreateExternalSignerRequest {
                        cipher_suite: self.suite,
                        identity: signer.as_bytes().to_vec(),
                    })
                    .await
                    .map_err(|s| self.status("CreateExternalSigner", signer, s))?
                    .into_inner();
                self.track(signer, created.signer_id)?;
                // AddExternalSigner appends to the group's external_senders.
                let index = self.signers;
                self.signers += 1;
                self.actor_mut(signer).signer = Some((created.signer_id, index));
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .add_external_signer(proto::AddExternalSignerRequest {
                        state_id,
                        external_sender: created.external_sender,
                    })
                    .await
                    .map_err(|s| self.status("AddExternalSigner", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::ExternalSignerProposal {
                actor,
                member,
                description,
            } => {
                let (signer_id, signer_index) = self
                    .actors
                    .get(actor)
                    .and_then(|a| a.signer)
                    .ok_or_else(|| fail(format!("{actor} is no external signer")))?;
                let description = self.describe(description)?;
                if description.proposal_type == b"reinit" {
                    self.reinit_targets.insert(
                        self.step,
                        (description.cipher_suite, description.group_id.clone()),
                    );
                }
                let info = self.group_info(member).await?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .external_signer_proposal(proto::ExternalSignerProposalRequest {
                        signer_id,
                        signer_index,
                        group_info: info.group_info,
                        ratchet_tree: info.ratchet_tree,
                        description: Some(description),
                    })
                    .await
                    .map_err(|s| self.status("ExternalSignerProposal", actor, s))?;
                Ok(Output::Proposal(r.into_inner().proposal))
            }
            Step::ReInit {
                proposer,
                external_proposal,
                committer,
                welcomer,
                members,
                change_cipher_suite,
                change_group_id,
                extensions,
                force_path,
                external_tree,
            } => {
                let mut participants: Vec<&str> = Vec::new();
                for who in proposer.iter().chain([committer, welcomer]).chain(members) {
                    if !participants.contains(&who.as_str()) {
                        participants.push(who);
                    }
                }
                let source = match (proposer, external_proposal) {
                    (Some(proposer), None) => ReInitSource::Member {
                        proposer,
                        change: ReInitChange {
                            cipher_suite: *change_cipher_suite,
                            group_id: *change_group_id,
                            extensions: decode_extensions(extensions)?,
                        },
                    },
                    (None, Some(step)) => {
                        let (cipher_suite, group_id) =
                            self.reinit_targets.get(step).cloned().ok_or_else(|| {
                                fail(format!("step {step} made no external ReInit proposal"))
                            })?;
                        ReInitSource::External {
                            proposal: self.proposal(*step)?,
                            cipher_suite,
                            group_id,
                        }
                    }
                    _ => {
                        return Err(fail(
                            "reinit needs exactly one of proposer and externalReinitProposal"
                                .into(),
                        ));
                    }
                };
                self.reinit(
                    source,
                    committer,
                    welcomer,
                    &participants,
                    *force_path,
                    *external_tree,
                )
                .await?;
                Ok(Output::None)
            }
            Step::Unprotect { actor, ciphertext } => {
                let Some(Output::Protected {
                    ciphertext,
                    plaintext,
                    authenticated_data,
                }) = self.outputs.get(*ciphertext).cloned()
                else {
                    return Err(fail(format!("step {ciphertext} is not a protect step")));
                };
                let state_id = self.state(actor)?;
                let mut rpc = self.rpc(actor)?;
                let r = rpc
                    .unprotect(proto::UnprotectRequest {
                        state_id,
                        ciphertext,
                    })
                    .await
                    .map_err(|s| self.status("Unprotect", actor, s))?
                    .into_inner();
                if r.plaintext != plaintext {
                    return Err(fail("Unprotect returned another plaintext".into()));
                }
                if r.authenticated_data != authenticated_data {
                    return Err(fail("Unprotect returned other authenticated data".into()));
                }
                Ok(Output::None)
            }
        }
    }
}
