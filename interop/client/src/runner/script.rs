//! Reading a script: its steps (the actions of the working group's `test-config.md`), the
//! proposals they describe, and the actors they name.

use serde::Deserialize;

/// The actions the runner can play.
const SUPPORTED_ACTIONS: [&str; 18] = [
    "createGroup",
    "createKeyPackage",
    "addProposal",
    "removeProposal",
    "updateProposal",
    "groupContextExtensionsProposal",
    "installExternalPSK",
    "externalPSKProposal",
    "resumptionPSKProposal",
    "fullCommit",
    "externalJoin",
    "protect",
    "unprotect",
    "branch",
    "reinit",
    "newMemberAddProposal",
    "addExternalSigner",
    "externalSignerProposal",
];

/// One step of a script.
#[derive(Debug, Deserialize)]
#[serde(tag = "action")]
pub(super) enum Step {
    #[serde(rename = "createGroup")]
    CreateGroup {
        actor: String,
        #[serde(default)]
        members: Vec<String>,
    },
    #[serde(rename = "createKeyPackage")]
    CreateKeyPackage { actor: String },
    #[serde(rename = "addProposal")]
    AddProposal {
        actor: String,
        #[serde(rename = "keyPackage")]
        key_package: usize,
    },
    #[serde(rename = "removeProposal")]
    RemoveProposal { actor: String, removed: String },
    #[serde(rename = "updateProposal")]
    UpdateProposal { actor: String },
    #[serde(rename = "groupContextExtensionsProposal")]
    GroupContextExtensionsProposal {
        actor: String,
        extensions: Vec<ExtensionJson>,
    },
    #[serde(rename = "installExternalPSK")]
    InstallExternalPsk { clients: Vec<String> },
    #[serde(rename = "externalPSKProposal")]
    ExternalPskProposal {
        actor: String,
        #[serde(rename = "pskID")]
        psk_id: usize,
    },
    #[serde(rename = "resumptionPSKProposal")]
    ResumptionPskProposal {
        actor: String,
        #[serde(rename = "epochID")]
        epoch_id: u64,
    },
    #[serde(rename = "fullCommit")]
    FullCommit {
        actor: String,
        #[serde(default, rename = "byReference")]
        by_reference: Vec<usize>,
        #[serde(default, rename = "byValue")]
        by_value: Vec<ValueProposal>,
        #[serde(default)]
        members: Vec<String>,
        #[serde(default)]
        joiners: Vec<String>,
        #[serde(default, alias = "forcePath")]
        force_path: bool,
        #[serde(default, alias = "externalTree")]
        external_tree: bool,
    },
    #[serde(rename = "externalJoin")]
    ExternalJoin {
        actor: String,
        joiner: String,
        #[serde(default)]
        members: Vec<String>,
        #[serde(default, rename = "removePrior")]
        remove_prior: bool,
        #[serde(default)]
        psks: Vec<usize>,
        #[serde(default, rename = "externalTree", alias = "external_tree")]
        external_tree: bool,
    },
    #[serde(rename = "protect")]
    Protect {
        actor: String,
        #[serde(rename = "authenticatedData")]
        authenticated_data: String,
        plaintext: String,
    },
    #[serde(rename = "unprotect")]
    Unprotect { actor: String, ciphertext: usize },
    #[serde(rename = "branch")]
    Branch {
        actor: String,
        members: Vec<String>,
        #[serde(default)]
        extensions: Vec<ExtensionJson>,
        #[serde(default, rename = "forcePath", alias = "force_path")]
        force_path: bool,
        #[serde(default, rename = "externalTree", alias = "external_tree")]
        external_tree: bool,
    },
    #[serde(rename = "newMemberAddProposal")]
    NewMemberAddProposal { actor: String, joiner: String },
    #[serde(rename = "addExternalSigner")]
    AddExternalSigner { actor: String, signer: String },
    #[serde(rename = "externalSignerProposal")]
    ExternalSignerProposal {
        actor: String,
        member: String,
        description: ValueProposal,
    },
    #[serde(rename = "reinit")]
    ReInit {
        #[serde(default)]
        proposer: Option<String>,
        #[serde(default, rename = "externalReinitProposal")]
        external_proposal: Option<usize>,
        committer: String,
        welcomer: String,
        #[serde(default)]
        members: Vec<String>,
        #[serde(default, rename = "changeCiphersuite", alias = "changeCipherSuite")]
        change_cipher_suite: bool,
        #[serde(default, rename = "changeGroupID")]
        change_group_id: bool,
        #[serde(default)]
        extensions: Vec<ExtensionJson>,
        #[serde(default, rename = "forcePath", alias = "force_path")]
        force_path: bool,
        #[serde(default, rename = "externalTree", alias = "external_tree")]
        external_tree: bool,
    },
}

impl Step {
    pub(super) fn name(&self) -> &'static str {
        match self {
            Step::CreateGroup { .. } => "createGroup",
            Step::CreateKeyPackage { .. } => "createKeyPackage",
            Step::AddProposal { .. } => "addProposal",
            Step::RemoveProposal { .. } => "removeProposal",
            Step::UpdateProposal { .. } => "updateProposal",
            Step::GroupContextExtensionsProposal { .. } => "groupContextExtensionsProposal",
            Step::InstallExternalPsk { .. } => "installExternalPSK",
            Step::ExternalPskProposal { .. } => "externalPSKProposal",
            Step::ResumptionPskProposal { .. } => "resumptionPSKProposal",
            Step::FullCommit { .. } => "fullCommit",
            Step::ExternalJoin { .. } => "externalJoin",
            Step::Protect { .. } => "protect",
            Step::Unprotect { .. } => "unprotect",
            Step::Branch { .. } => "branch",
            Step::ReInit { .. } => "reinit",
            Step::NewMemberAddProposal { .. } => "newMemberAddProposal",
            Step::AddExternalSigner { .. } => "addExternalSigner",
            Step::ExternalSignerProposal { .. } => "externalSignerProposal",
        }
    }

    /// Who sent the proposal the step makes, if it makes one.
    pub(super) fn proposer(&self) -> Option<&str> {
        match self {
            Step::AddProposal { actor, .. }
            | Step::RemoveProposal { actor, .. }
            | Step::UpdateProposal { actor }
            | Step::GroupContextExtensionsProposal { actor, .. }
            | Step::ExternalPskProposal { actor, .. }
            | Step::ResumptionPskProposal { actor, .. }
            | Step::AddExternalSigner { actor, .. }
            | Step::ExternalSignerProposal { actor, .. } => Some(actor),
            Step::NewMemberAddProposal { joiner, .. } => Some(joiner),
            _ => None,
        }
    }
}

/// A proposal committed by value (`byValue` of `fullCommit`).
#[derive(Debug, Deserialize)]
#[serde(tag = "proposalType")]
pub(super) enum ValueProposal {
    #[serde(rename = "add")]
    Add {
        #[serde(rename = "keyPackage")]
        key_package: usize,
    },
    #[serde(rename = "remove")]
    Remove { removed: String },
    #[serde(rename = "externalPSK")]
    ExternalPsk {
        #[serde(rename = "pskID")]
        psk_id: usize,
    },
    #[serde(rename = "resumptionPSK")]
    ResumptionPsk {
        #[serde(rename = "epochID")]
        epoch_id: u64,
    },
    #[serde(rename = "groupContextExtensions")]
    GroupContextExtensions { extensions: Vec<ExtensionJson> },
    /// Only as an external signer's proposal: `fullCommit` does not commit a ReInit by value.
    #[serde(rename = "reinit")]
    ReInit {
        #[serde(default, rename = "changeCiphersuite", alias = "changeCipherSuite")]
        change_cipher_suite: bool,
        #[serde(default, rename = "changeGroupID")]
        change_group_id: bool,
        #[serde(default)]
        extensions: Vec<ExtensionJson>,
    },
}

/// An extension as the configs write it: the data in base64.
#[derive(Debug, Deserialize)]
pub(super) struct ExtensionJson {
    pub(super) extension_type: u32,
    pub(super) extension_data: String,
}

/// Why a script is not played.
pub(super) enum Parsed {
    /// It uses actions the runner does not know (listed).
    Unsupported(String),
    /// It is malformed.
    Invalid(String),
}

pub(super) fn parse_script(steps: &[serde_json::Value]) -> Result<Vec<Step>, Parsed> {
    let mut unknown: Vec<String> = Vec::new();
    for step in steps {
        let action = step
            .get("action")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("(no action)");
        if !SUPPORTED_ACTIONS.contains(&action) && !unknown.iter().any(|a| a == action) {
            unknown.push(action.to_owned());
        }
    }
    if !unknown.is_empty() {
        return Err(Parsed::Unsupported(unknown.join(", ")));
    }
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            Step::deserialize(step).map_err(|e| Parsed::Invalid(format!("step {i}: {e}")))
        })
        .collect()
}

/// The actors of a script, in order of first appearance.
pub(super) fn actors(steps: &[Step]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |name: &String| {
        if !names.contains(name) {
            names.push(name.clone());
        }
    };
    for step in steps {
        match step {
            Step::CreateGroup { actor, members } => {
                add(actor);
                members.iter().for_each(&mut add);
            }
            Step::CreateKeyPackage { actor }
            | Step::AddProposal { actor, .. }
            | Step::UpdateProposal { actor }
            | Step::GroupContextExtensionsProposal { actor, .. }
            | Step::ExternalPskProposal { actor, .. }
            | Step::ResumptionPskProposal { actor, .. }
            | Step::Protect { actor, .. }
            | Step::Unprotect { actor, .. } => add(actor),
            Step::RemoveProposal { actor, removed } => {
                add(actor);
                add(removed);
            }
            Step::InstallExternalPsk { clients } => clients.iter().for_each(&mut add),
            Step::FullCommit {
                actor,
                members,
                joiners,
                ..
            } => {
                add(actor);
                members.iter().chain(joiners).for_each(&mut add);
            }
            Step::ExternalJoin {
                actor,
                joiner,
                members,
                ..
            } => {
                add(actor);
                add(joiner);
                members.iter().for_each(&mut add);
            }
            Step::Branch { actor, members, .. } => {
                add(actor);
                members.iter().for_each(&mut add);
            }
            Step::NewMemberAddProposal { actor, joiner } => {
                add(actor);
                add(joiner);
            }
            Step::AddExternalSigner { actor, signer } => {
                add(actor);
                add(signer);
            }
            Step::ExternalSignerProposal { actor, member, .. } => {
                add(actor);
                add(member);
            }
            Step::ReInit {
                proposer,
                committer,
                welcomer,
                members,
                ..
            } => {
                if let Some(proposer) = proposer {
                    add(proposer);
                }
                add(committer);
                add(welcomer);
                members.iter().for_each(&mut add);
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_actions_make_a_script_unsupported() {
        let steps: Vec<serde_json::Value> = serde_json::from_str(
            r#"[{"action": "createGroup", "actor": "a"}, {"action": "teleport", "actor": "a"}]"#,
        )
        .unwrap();
        assert!(matches!(parse_script(&steps), Err(Parsed::Unsupported(a)) if a == "teleport"));
    }

    #[test]
    fn external_signer_actions_parse() {
        let steps: Vec<serde_json::Value> = serde_json::from_str(
            r#"[{"action": "createGroup", "actor": "a"},
                {"action": "newMemberAddProposal", "actor": "a", "joiner": "b"},
                {"action": "addExternalSigner", "actor": "a", "signer": "ds"},
                {"action": "externalSignerProposal", "actor": "ds", "member": "a",
                 "description": {"proposalType": "reinit", "changeGroupID": true}},
                {"action": "reinit", "externalReinitProposal": 3, "committer": "a",
                 "welcomer": "b"}]"#,
        )
        .unwrap();
        let Ok(parsed) = parse_script(&steps) else {
            panic!("the external-signer actions did not parse");
        };
        assert_eq!(actors(&parsed), ["a", "b", "ds"]);
        assert_eq!(parsed[1].proposer(), Some("b"));
        assert_eq!(parsed[3].proposer(), Some("ds"));
    }
}
