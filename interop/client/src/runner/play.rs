//! One run of one script on one assignment of clients and one suite: the state the steps
//! leave, the helpers the steps share, and how a run fails.

mod commit;
mod reinit;
mod step;

use std::collections::HashMap;
use std::fmt::Write as _;

use base64::Engine as _;
use tonic::transport::Channel;
use tonic::{Code, Status};

use super::script::{ExtensionJson, Step, ValueProposal};
use super::{Client, Options};
use crate::proto;
use crate::proto::mls_client_client::MlsClientClient;

/// Why a run did not pass.
pub(super) enum Failure {
    Failed(String),
    Unsupported(String),
}

/// What a step left for later steps.
#[derive(Clone)]
enum Output {
    None,
    KeyPackage(Vec<u8>),
    Proposal(Vec<u8>),
    Psk {
        id: Vec<u8>,
        secret: Vec<u8>,
    },
    Protected {
        ciphertext: Vec<u8>,
        plaintext: Vec<u8>,
        authenticated_data: Vec<u8>,
    },
}

/// An actor's current state or transaction on its client, and its external signer (id on its
/// client, index in the group's `external_senders`).
#[derive(Default, Clone, Copy)]
struct Actor {
    state: Option<u32>,
    transaction: Option<u32>,
    signer: Option<(u32, u32)>,
}

/// One run of one script on one assignment and suite.
pub(super) struct Run<'a> {
    clients: &'a [Client],
    client_of: HashMap<String, usize>,
    suite: u32,
    encrypt: bool,
    group_id: Vec<u8>,
    actors: HashMap<String, Actor>,
    outputs: Vec<Output>,
    /// Every state and transaction created, to free at the end: (client, id).
    created: Vec<(usize, u32)>,
    /// The step being played, for messages.
    step: usize,
    /// Who sent the proposal of each step that made one.
    proposers: HashMap<usize, String>,
    /// The new cipher suite and group id of each external ReInit proposal, by step.
    reinit_targets: HashMap<usize, (u32, Vec<u8>)>,
    /// How many external signers the group lists.
    signers: u32,
}

impl<'a> Run<'a> {
    pub(super) fn new(
        clients: &'a [Client],
        actors: &[String],
        assignment: &[usize],
        suite: u32,
        options: &Options,
    ) -> Self {
        let client_of = actors
            .iter()
            .cloned()
            .zip(assignment.iter().copied())
            .collect();
        Self {
            clients,
            client_of,
            suite,
            encrypt: options.encrypt_handshake,
            group_id: rand::random::<[u8; 16]>().to_vec(),
            actors: HashMap::new(),
            outputs: Vec::new(),
            created: Vec::new(),
            step: 0,
            proposers: HashMap::new(),
            reinit_targets: HashMap::new(),
            signers: 0,
        }
    }

    pub(super) async fn play(&mut self, steps: &[Step]) -> Result<(), Failure> {
        for (i, step) in steps.iter().enumerate() {
            self.step = i;
            let output = self
                .play_step(step)
                .await
                .map_err(|failure| match failure {
                    Failure::Failed(reason) => {
                        Failure::Failed(format!("step {i} ({}): {reason}", step.name()))
                    }
                    unsupported => unsupported,
                })?;
            if let (Output::Proposal(_), Some(who)) = (&output, step.proposer()) {
                self.proposers.insert(i, who.to_owned());
            }
            self.outputs.push(output);
        }
        Ok(())
    }

    /// Frees every state and transaction of the run (best effort: a client may have dropped
    /// some already).
    pub(super) async fn free(&mut self) {
        for (client, id) in std::mem::take(&mut self.created) {
            if let Some(c) = self.clients.get(client) {
                let mut rpc = c.rpc.clone();
                // Errors are ignored: freeing is housekeeping, not part of the test.
                let _ = rpc.free(proto::FreeRequest { state_id: id }).await;
            }
        }
    }

    /// A cipher suite other than the run's that every client supports.
    fn other_suite(&self) -> Option<u32> {
        let first = self.clients.first()?;
        first
            .suites
            .iter()
            .copied()
            .find(|s| *s != self.suite && self.clients.iter().all(|c| c.suites.contains(s)))
    }

    /// The description of a proposal committed by value.
    fn describe(&self, proposal: &ValueProposal) -> Result<proto::ProposalDescription, Failure> {
        let mut d = proto::ProposalDescription::default();
        match proposal {
            ValueProposal::Add { key_package } => {
                d.proposal_type = b"add".to_vec();
                d.key_package = self.key_package(*key_package)?;
            }
            ValueProposal::Remove { removed } => {
                d.proposal_type = b"remove".to_vec();
                d.removed_id = removed.as_bytes().to_vec();
            }
            ValueProposal::ExternalPsk { psk_id } => {
                d.proposal_type = b"externalPSK".to_vec();
                d.psk_id = self.psk(*psk_id)?.0;
            }
            ValueProposal::ResumptionPsk { epoch_id } => {
                d.proposal_type = b"resumptionPSK".to_vec();
                d.epoch_id = *epoch_id;
            }
            ValueProposal::GroupContextExtensions { extensions } => {
                d.proposal_type = b"groupContextExtensions".to_vec();
                d.extensions = decode_extensions(extensions)?;
            }
            ValueProposal::ReInit {
                change_cipher_suite,
                change_group_id,
                extensions,
            } => {
                d.proposal_type = b"reinit".to_vec();
                d.cipher_suite = if *change_cipher_suite {
                    self.other_suite().ok_or_else(|| {
                        Failure::Unsupported(
                            "no second cipher suite that every client supports".into(),
                        )
                    })?
                } else {
                    self.suite
                };
                d.group_id = if *change_group_id {
                    rand::random::<[u8; 16]>().to_vec()
                } else {
                    self.group_id.clone()
                };
                d.extensions = decode_extensions(extensions)?;
            }
        }
        Ok(d)
    }

    /// A GroupInfo of `actor`'s group, with the ratchet tree in its extension.
    async fn group_info(&self, actor: &str) -> Result<proto::GroupInfoResponse, Failure> {
        let state_id = self.state(actor)?;
        let mut rpc = self.rpc(actor)?;
        Ok(rpc
            .group_info(proto::GroupInfoRequest {
                state_id,
                external_tree: false,
            })
            .await
            .map_err(|s| self.status("GroupInfo", actor, s))?
            .into_inner())
    }

    fn rpc(&self, actor: &str) -> Result<MlsClientClient<Channel>, Failure> {
        let client = self
            .client_of
            .get(actor)
            .and_then(|i| self.clients.get(*i))
            .ok_or_else(|| fail(format!("{actor} has no client")))?;
        Ok(client.rpc.clone())
    }

    fn state(&self, actor: &str) -> Result<u32, Failure> {
        self.actors
            .get(actor)
            .and_then(|a| a.state)
            .ok_or_else(|| fail(format!("{actor} is in no group")))
    }

    fn actor_mut(&mut self, actor: &str) -> &mut Actor {
        self.actors.entry(actor.to_owned()).or_default()
    }

    /// Remembers `id` on `actor`'s client, to free it at the end.
    fn track(&mut self, actor: &str, id: u32) -> Result<(), Failure> {
        let client = *self
            .client_of
            .get(actor)
            .ok_or_else(|| fail(format!("{actor} has no client")))?;
        self.created.push((client, id));
        Ok(())
    }

    fn key_package(&self, step: usize) -> Result<Vec<u8>, Failure> {
        match self.outputs.get(step) {
            Some(Output::KeyPackage(kp)) => Ok(kp.clone()),
            _ => Err(fail(format!("step {step} made no KeyPackage"))),
        }
    }

    fn proposal(&self, step: usize) -> Result<Vec<u8>, Failure> {
        match self.outputs.get(step) {
            Some(Output::Proposal(p)) => Ok(p.clone()),
            _ => Err(fail(format!("step {step} made no proposal"))),
        }
    }

    fn psk(&self, step: usize) -> Result<(Vec<u8>, Vec<u8>), Failure> {
        match self.outputs.get(step) {
            Some(Output::Psk { id, secret }) => Ok((id.clone(), secret.clone())),
            _ => Err(fail(format!("step {step} installed no PSK"))),
        }
    }

    /// A client's error answer: `UNIMPLEMENTED` makes the run unsupported, anything else fails
    /// it.
    fn status(&self, rpc: &str, actor: &str, status: Status) -> Failure {
        let client = self.client_of.get(actor).copied().unwrap_or_default();
        let what = format!(
            "{rpc} on client {client} ({actor}): {:?}: {}",
            status.code(),
            status.message()
        );
        if status.code() == Code::Unimplemented {
            Failure::Unsupported(format!("step {}: {what}", self.step))
        } else {
            Failure::Failed(what)
        }
    }
}

fn fail(reason: String) -> Failure {
    Failure::Failed(reason)
}

fn decode_extensions(list: &[ExtensionJson]) -> Result<Vec<proto::Extension>, Failure> {
    list.iter()
        .map(|e| {
            let extension_data = base64::engine::general_purpose::STANDARD
                .decode(&e.extension_data)
                .map_err(|err| fail(format!("extension_data is not base64: {err}")))?;
            Ok(proto::Extension {
                extension_type: e.extension_type,
                extension_data,
            })
        })
        .collect()
}

/// Every member must have the same epoch authenticator.
fn agree(authenticators: &[(&str, Vec<u8>)]) -> Result<(), Failure> {
    let Some((_, first)) = authenticators.first() else {
        return Ok(());
    };
    if authenticators.iter().all(|(_, a)| a == first) {
        return Ok(());
    }
    let mut detail = String::new();
    for (who, a) in authenticators {
        let prefix: String = a.iter().take(6).fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
        let _ = write!(detail, " {who}={prefix}..");
    }
    Err(fail(format!("epoch authenticators differ:{detail}")))
}
