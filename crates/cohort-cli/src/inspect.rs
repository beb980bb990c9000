//! `cohort inspect`: decodes an MLS object, describes it, and runs the checks that need no
//! secret (signatures of KeyPackages, leaves and GroupInfos, tree and parent hashes, lifetimes,
//! the structural rules of the framing).

use std::sync::Arc;

use cohort_codec::{CodecError, Decode};
use cohort_credential::{Credential, CredentialType};
use cohort_crypto::{CipherSuite, CryptoProvider, SuiteOps, labeled};
use cohort_messages::MlsMessageBody;
use cohort_messages::components::AppDataOperation;
use cohort_messages::framing::{Content, FramedContent, PrivateMessage, PublicMessage, Sender};
use cohort_messages::group_context::GroupContext;
use cohort_messages::group_info::GroupInfo;
use cohort_messages::key_package::KeyPackage;
use cohort_messages::message::MlsMessage;
use cohort_messages::proposal::{Commit, Proposal, ProposalOrRef};
use cohort_messages::psk::{PreSharedKeyId, Psk};
use cohort_messages::welcome::Welcome;
use cohort_tree::RatchetTree;
use cohort_tree::extension::{Extension, ExtensionType};
use cohort_tree::leaf::{Capabilities, LeafNode, LeafNodeSource, ProposalType, ProtocolVersion};
use cohort_tree::math::LeafIndex;
use cohort_tree::node::{Node, RatchetTreeNodes};

use crate::doc::Doc;

/// The kinds of object `inspect` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `MLSMessage`, any wire format.
    MlsMessage,
    /// A bare `KeyPackage`.
    KeyPackage,
    /// A bare `GroupInfo`.
    GroupInfo,
    /// A bare `Welcome`.
    Welcome,
    /// The `ratchet_tree` extension's node list.
    RatchetTree,
}

impl Kind {
    /// Every kind, in the order automatic detection tries them.
    pub(crate) const ALL: [Kind; 5] = [
        Kind::MlsMessage,
        Kind::KeyPackage,
        Kind::GroupInfo,
        Kind::Welcome,
        Kind::RatchetTree,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::MlsMessage => "mls-message",
            Self::KeyPackage => "key-package",
            Self::GroupInfo => "group-info",
            Self::Welcome => "welcome",
            Self::RatchetTree => "ratchet-tree",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = InspectError;
    fn from_str(s: &str) -> Result<Self, InspectError> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| InspectError::UnknownKind(s.to_string()))
    }
}

/// Why nothing could be described.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InspectError {
    /// `--as` named no kind.
    #[error("unknown kind {0:?} (mls-message, key-package, group-info, welcome or ratchet-tree)")]
    UnknownKind(String),
    /// The bytes are not the kind asked for.
    #[error("not a valid {kind}: {source}")]
    Malformed {
        /// The kind tried.
        kind: &'static str,
        /// The decoder's error.
        source: CodecError,
    },
    /// No kind decodes the bytes; the error is the MLSMessage decoder's.
    #[error(
        "not an MLSMessage, KeyPackage, GroupInfo, Welcome or ratchet tree (as an MLSMessage: {0})"
    )]
    Unrecognized(CodecError),
}

/// What the checks are run with.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    /// The time lifetimes are checked at (seconds since the Unix epoch).
    pub now: u64,
    /// The group id, for the signatures of a bare tree's `update` and `commit` leaves.
    pub group_id: Option<Vec<u8>>,
    /// The cipher suite of a bare ratchet tree (a tree does not name its suite).
    pub suite: Option<CipherSuite>,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It holds.
    Ok,
    /// It does not: why.
    Failed(String),
    /// It cannot be run here: why.
    Skipped(String),
}

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Check {
    /// What was checked.
    pub name: String,
    /// The outcome.
    pub outcome: Outcome,
}

/// What `inspect` found.
#[derive(Debug)]
pub(crate) struct Report {
    /// The object's kind, in words (e.g. "MLSMessage: PublicMessage (commit)").
    pub what: String,
    /// Its description.
    pub doc: Doc,
    /// The checks, in order.
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether any check failed.
    pub(crate) fn failed(&self) -> bool {
        self.checks
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Failed(_)))
    }

    /// The text rendering: the kind, the description, the checks.
    pub(crate) fn to_text(&self) -> String {
        let mut out = format!("{}\n", self.what);
        for line in self.doc.to_text().lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("checks:\n");
        for check in &self.checks {
            let line = match &check.outcome {
                Outcome::Ok => format!("  ok    {}\n", check.name),
                Outcome::Failed(why) => format!("  FAIL  {}: {why}\n", check.name),
                Outcome::Skipped(why) => format!("  skip  {}: {why}\n", check.name),
            };
            out.push_str(&line);
        }
        out
    }

    /// The JSON rendering: `{"kind", "object", "checks": [{"check", "outcome", "detail"}]}`.
    pub(crate) fn to_json(&self) -> String {
        let checks = self
            .checks
            .iter()
            .map(|c| {
                let (outcome, detail) = match &c.outcome {
                    Outcome::Ok => ("ok", String::new()),
                    Outcome::Failed(d) => ("failed", d.clone()),
                    Outcome::Skipped(d) => ("skipped", d.clone()),
                };
                Doc::fields()
                    .with("check", c.name.as_str())
                    .with("outcome", outcome)
                    .with("detail", detail)
            })
            .collect::<Vec<_>>();
        Doc::fields()
            .with("kind", self.what.as_str())
            .with("object", self.doc.clone())
            .with("checks", checks)
            .to_json()
    }
}

/// Decodes `bytes` as `kind` (or the first kind that decodes them whole) and describes it.
///
/// # Errors
/// [`InspectError::Malformed`] or [`InspectError::Unrecognized`] when nothing decodes.
pub(crate) fn inspect(
    bytes: &[u8],
    kind: Option<Kind>,
    options: &Options,
) -> Result<Report, InspectError> {
    let mut checks = Checks {
        list: Vec::new(),
        options,
    };
    let kinds: &[Kind] = match &kind {
        Some(k) => std::slice::from_ref(k),
        None => &Kind::ALL,
    };
    let mut first_error = None;
    for &k in kinds {
        let described = match k {
            Kind::MlsMessage => {
                MlsMessage::from_bytes(bytes).map(|m| describe_message(&m, &mut checks))
            }
            Kind::KeyPackage => KeyPackage::from_bytes(bytes)
                .map(|kp| ("KeyPackage".to_string(), key_package(&kp, "", &mut checks))),
            Kind::GroupInfo => GroupInfo::from_bytes(bytes)
                .map(|gi| ("GroupInfo".to_string(), group_info(&gi, &mut checks))),
            Kind::Welcome => Welcome::from_bytes(bytes)
                .map(|w| ("Welcome".to_string(), welcome(&w, &mut checks))),
            Kind::RatchetTree => match RatchetTreeNodes::from_bytes(bytes) {
                // An empty node list is not a likely guess: say what the other kinds said.
                Ok(nodes) if nodes.0.is_empty() && kind.is_none() => continue,
                r => r,
            }
            .map(|nodes| {
                let suite = options.suite;
                let group_id = options.group_id.clone();
                (
                    "ratchet tree".to_string(),
                    ratchet_tree(&nodes, suite, group_id.as_deref(), None, &mut checks),
                )
            }),
        };
        match described {
            Ok((what, doc)) => {
                return Ok(Report {
                    what,
                    doc,
                    checks: checks.list,
                });
            }
            Err(e) => {
                checks.list.clear();
                first_error.get_or_insert((k, e));
            }
        }
    }
    match (kind, first_error) {
        (Some(k), Some((_, source))) => Err(InspectError::Malformed {
            kind: k.name(),
            source,
        }),
        (_, Some((_, e))) => Err(InspectError::Unrecognized(e)),
        (_, None) => Err(InspectError::Unrecognized(CodecError::EmptyElement)),
    }
}

/// The checks made so far, and what they are made with.
struct Checks<'a> {
    list: Vec<Check>,
    options: &'a Options,
}

impl Checks<'_> {
    fn push(&mut self, name: impl Into<String>, outcome: Outcome) {
        self.list.push(Check {
            name: name.into(),
            outcome,
        });
    }

    fn expect(&mut self, name: impl Into<String>, holds: bool, otherwise: impl Into<String>) {
        let outcome = if holds {
            Outcome::Ok
        } else {
            Outcome::Failed(otherwise.into())
        };
        self.push(name, outcome);
    }

    fn result<E: std::fmt::Display>(&mut self, name: impl Into<String>, r: Result<(), E>) {
        let outcome = match r {
            Ok(()) => Outcome::Ok,
            Err(e) => Outcome::Failed(e.to_string()),
        };
        self.push(name, outcome);
    }
}

/// The suites the tool can check signatures and hashes for: the RustCrypto backend's, and the
/// post-quantum drafts' (at their provisional code points).
fn suite(cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
    cohort_crypto_rustcrypto::provider_with_pq_draft().suite(cs)
}

fn unsupported(cs: CipherSuite) -> Outcome {
    Outcome::Skipped(format!(
        "cipher suite {} is not one this tool knows",
        suite_name(cs)
    ))
}

fn suite_name(cs: CipherSuite) -> String {
    match cs.name() {
        Some(name) => format!("0x{:04x} {name}", cs.0),
        None => format!("0x{:04x}", cs.0),
    }
}

fn version_name(v: ProtocolVersion) -> String {
    if v == ProtocolVersion::MLS10 {
        "mls10".into()
    } else {
        format!("0x{:04x} (unknown)", v.0)
    }
}

fn describe_message(m: &MlsMessage, checks: &mut Checks<'_>) -> (String, Doc) {
    checks.expect(
        "message version is mls10",
        m.version == ProtocolVersion::MLS10,
        format!("version {}", version_name(m.version)),
    );
    let wire_format = match &m.body {
        MlsMessageBody::PublicMessage(_) => "mls_public_message (1)",
        MlsMessageBody::PrivateMessage(_) => "mls_private_message (2)",
        MlsMessageBody::Welcome(_) => "mls_welcome (3)",
        MlsMessageBody::GroupInfo(_) => "mls_group_info (4)",
        MlsMessageBody::KeyPackage(_) => "mls_key_package (5)",
    };
    let (what, body) = match &m.body {
        MlsMessageBody::PublicMessage(p) => (
            format!("PublicMessage ({})", content_kind(&p.content.content)),
            public_message(p, checks),
        ),
        MlsMessageBody::PrivateMessage(p) => ("PrivateMessage".into(), private_message(p, checks)),
        MlsMessageBody::Welcome(w) => ("Welcome".into(), welcome(w, checks)),
        MlsMessageBody::GroupInfo(gi) => ("GroupInfo".into(), group_info(gi, checks)),
        MlsMessageBody::KeyPackage(kp) => ("KeyPackage".into(), key_package(kp, "", checks)),
    };
    let doc = Doc::fields()
        .with("version", version_name(m.version))
        .with("wire_format", wire_format)
        .with("body", body);
    (format!("MLSMessage: {what}"), doc)
}

fn content_kind(c: &Content) -> &'static str {
    match c {
        Content::Application(_) => "application",
        Content::Proposal(_) => "proposal",
        Content::Commit(_) => "commit",
    }
}

fn public_message(p: &PublicMessage, checks: &mut Checks<'_>) -> Doc {
    let mut doc = framed_content(&p.content, checks);
    doc.field("signature", p.auth.signature.as_slice());
    if let Some(tag) = &p.auth.confirmation_tag {
        doc.field("confirmation_tag", tag.0.as_slice());
    }
    if let Some(tag) = &p.membership_tag {
        doc.field("membership_tag", tag.0.as_slice());
    }
    let member = matches!(p.content.sender, Sender::Member(_));
    checks.expect(
        "a member's PublicMessage has a membership tag, another sender's none",
        member == p.membership_tag.is_some(),
        if member {
            "no membership tag"
        } else {
            "a membership tag from a non-member"
        },
    );
    let commit = matches!(p.content.content, Content::Commit(_));
    checks.expect(
        "a commit has a confirmation tag, other content none",
        commit == p.auth.confirmation_tag.is_some(),
        if commit {
            "a commit without a confirmation tag"
        } else {
            "a confirmation tag on a non-commit"
        },
    );
    checks.expect(
        "application data only in a PrivateMessage (V-6-03)",
        !matches!(p.content.content, Content::Application(_)),
        "an application message in a PublicMessage",
    );
    let sender_ok = match (&p.content.sender, &p.content.content) {
        (Sender::NewMemberCommit, Content::Commit(_)) => true,
        (Sender::NewMemberCommit, _) => false,
        (Sender::NewMemberProposal, Content::Proposal(Proposal::Add(_))) => true,
        (Sender::NewMemberProposal, _) => false,
        (Sender::External(_), Content::Proposal(_)) => true,
        (Sender::External(_), _) => false,
        (Sender::Member(_), _) => true,
    };
    checks.expect(
        "the sender type may send this content",
        sender_ok,
        "a sender type that cannot send this content (RFC 9420 §6)",
    );
    checks.push(
        "signature (FramedContentTBS)",
        Outcome::Skipped("needs the group context and the sender's key".into()),
    );
    if member {
        checks.push(
            "membership tag",
            Outcome::Skipped("needs the epoch's membership key".into()),
        );
    }
    doc
}

fn framed_content(c: &FramedContent, checks: &mut Checks<'_>) -> Doc {
    let sender = match c.sender {
        Sender::Member(i) => format!("member {}", i.0),
        Sender::External(i) => format!("external sender {i}"),
        Sender::NewMemberProposal => "new member (proposal)".into(),
        Sender::NewMemberCommit => "new member (commit)".into(),
    };
    let mut doc = Doc::fields()
        .with("group_id", c.group_id.as_slice())
        .with("epoch", c.epoch)
        .with("sender", sender)
        .with("authenticated_data", c.authenticated_data.as_slice());
    match &c.content {
        Content::Application(data) => doc.field("application_data", data.as_slice()),
        Content::Proposal(p) => doc.field("proposal", proposal(p, "proposal: ", checks)),
        Content::Commit(commit) => doc.field("commit", describe_commit(commit, checks)),
    }
    if let Content::Commit(Commit {
        path: Some(path), ..
    }) = &c.content
    {
        let name = "the path's leaf signature (LeafNodeTBS)";
        match (checks.options.suite, c.sender) {
            (None, _) => checks.push(
                name,
                Outcome::Skipped("a PublicMessage does not name its suite: give --suite".into()),
            ),
            (Some(cs), Sender::Member(i)) => match suite(cs) {
                Some(s) => checks.result(
                    name,
                    path.leaf_node
                        .verify_signature(&*s, Some((c.group_id.as_slice(), i)), i),
                ),
                None => checks.push(name, unsupported(cs)),
            },
            (Some(_), _) => checks.push(
                name,
                Outcome::Skipped("a new member's leaf index is not in the message".into()),
            ),
        }
    }
    doc
}

fn describe_commit(commit: &Commit, checks: &mut Checks<'_>) -> Doc {
    let proposals = commit
        .proposals
        .iter()
        .enumerate()
        .map(|(i, p)| match p {
            ProposalOrRef::Proposal(p) => proposal(p, &format!("proposal {i}: "), checks),
            ProposalOrRef::Reference(r) => Doc::fields().with("reference", r.0.as_slice()),
        })
        .collect::<Vec<_>>();
    let mut doc = Doc::fields().with("proposals", proposals);
    match &commit.path {
        None => doc.field("path", "(none)"),
        Some(path) => {
            let nodes = path
                .nodes
                .iter()
                .map(|n| {
                    Doc::fields()
                        .with("encryption_key", n.encryption_key.0.as_slice())
                        .with("encrypted_path_secrets", n.encrypted_path_secret.len())
                })
                .collect::<Vec<_>>();
            doc.field(
                "path",
                Doc::fields()
                    .with("leaf_node", leaf_node(&path.leaf_node))
                    .with("nodes", nodes),
            );
            checks.expect(
                "the path's leaf comes from a commit",
                matches!(path.leaf_node.leaf_node_source, LeafNodeSource::Commit(_)),
                "leaf_node_source is not commit",
            );
        }
    }
    doc
}

fn proposal(p: &Proposal, prefix: &str, checks: &mut Checks<'_>) -> Doc {
    match p {
        Proposal::Add(add) => Doc::fields().with(
            "add",
            key_package(&add.key_package, &format!("{prefix}add: "), checks),
        ),
        Proposal::Update(u) => Doc::fields().with("update", leaf_node(&u.leaf_node)),
        Proposal::Remove(r) => Doc::fields().with("remove", format!("leaf {}", r.removed.0)),
        Proposal::PreSharedKey(psk) => Doc::fields().with("psk", psk_id(&psk.psk)),
        Proposal::ReInit(r) => Doc::fields().with(
            "reinit",
            Doc::fields()
                .with("group_id", r.group_id.as_slice())
                .with("version", version_name(r.version))
                .with("cipher_suite", suite_name(r.cipher_suite))
                .with("extensions", extensions(&r.extensions)),
        ),
        Proposal::ExternalInit(e) => Doc::fields().with(
            "external_init",
            Doc::fields().with("kem_output", e.kem_output.as_slice()),
        ),
        Proposal::GroupContextExtensions(g) => {
            Doc::fields().with("group_context_extensions", extensions(&g.extensions))
        }
        Proposal::SelfRemove(_) => Doc::fields().with("self_remove", "(no fields)"),
        Proposal::AppDataUpdate(u) => {
            let mut doc = Doc::fields().with("component_id", u64::from(u.component_id.0));
            match &u.op {
                AppDataOperation::Update(data) => {
                    doc.field("op", "update");
                    doc.field("update", data.as_slice());
                }
                AppDataOperation::Remove => doc.field("op", "remove"),
            }
            Doc::fields().with("app_data_update", doc)
        }
        Proposal::AppEphemeral(e) => Doc::fields().with(
            "app_ephemeral",
            Doc::fields()
                .with("component_id", u64::from(e.component_id.0))
                .with("data", e.data.as_slice()),
        ),
        Proposal::Custom {
            proposal_type,
            data,
        } => Doc::fields().with(
            "custom",
            Doc::fields()
                .with("type", proposal_type_name(*proposal_type))
                .with("data", data.as_slice()),
        ),
        _ => Doc::fields().with("proposal", format!("{p:?}")),
    }
}

fn psk_id(id: &PreSharedKeyId) -> Doc {
    let doc = match &id.psk {
        Psk::External { psk_id } => Doc::fields()
            .with("type", "external")
            .with("psk_id", psk_id.as_slice()),
        Psk::Resumption {
            usage,
            psk_group_id,
            psk_epoch,
        } => Doc::fields()
            .with("type", "resumption")
            .with("usage", format!("{usage:?}").to_lowercase())
            .with("psk_group_id", psk_group_id.as_slice())
            .with("psk_epoch", *psk_epoch),
        Psk::Application {
            component_id,
            psk_id,
        } => Doc::fields()
            .with("type", "application")
            .with("component_id", u64::from(component_id.0))
            .with("psk_id", psk_id.as_slice()),
    };
    doc.with("psk_nonce", id.psk_nonce.as_slice())
}

fn private_message(p: &PrivateMessage, checks: &mut Checks<'_>) -> Doc {
    checks.push(
        "content",
        Outcome::Skipped("encrypted: needs the epoch's sender data and ratchet secrets".into()),
    );
    Doc::fields()
        .with("group_id", p.group_id.as_slice())
        .with("epoch", p.epoch)
        .with(
            "content_type",
            format!("{:?}", p.content_type).to_lowercase(),
        )
        .with("authenticated_data", p.authenticated_data.as_slice())
        .with("encrypted_sender_data", p.encrypted_sender_data.as_slice())
        .with("ciphertext", p.ciphertext.as_slice())
}

fn welcome(w: &Welcome, checks: &mut Checks<'_>) -> Doc {
    let secrets = w
        .secrets
        .iter()
        .map(|s| {
            Doc::fields()
                .with("new_member", s.new_member.0.as_slice())
                .with(
                    "kem_output",
                    s.encrypted_group_secrets.kem_output.as_slice(),
                )
                .with(
                    "ciphertext",
                    s.encrypted_group_secrets.ciphertext.as_slice(),
                )
        })
        .collect::<Vec<_>>();
    checks.expect(
        "cipher suite known",
        suite(w.cipher_suite).is_some(),
        format!("{} is not one this tool knows", suite_name(w.cipher_suite)),
    );
    let mut refs: Vec<&[u8]> = w
        .secrets
        .iter()
        .map(|s| s.new_member.0.as_slice())
        .collect();
    refs.sort_unstable();
    let unique = refs.windows(2).all(|p| p[0] != p[1]);
    checks.expect(
        "one entry per KeyPackage",
        unique,
        "two entries name the same KeyPackage",
    );
    checks.push(
        "GroupSecrets and GroupInfo",
        Outcome::Skipped("encrypted: needs the joiner's init private key".into()),
    );
    Doc::fields()
        .with("cipher_suite", suite_name(w.cipher_suite))
        .with("secrets", secrets)
        .with("encrypted_group_info", w.encrypted_group_info.as_slice())
}

fn key_package(kp: &KeyPackage, prefix: &str, checks: &mut Checks<'_>) -> Doc {
    let doc = Doc::fields()
        .with("version", version_name(kp.version))
        .with("cipher_suite", suite_name(kp.cipher_suite))
        .with("init_key", kp.init_key.0.as_slice())
        .with("leaf_node", leaf_node(&kp.leaf_node))
        .with("extensions", extensions(&kp.extensions))
        .with("signature", kp.signature.as_slice());
    let name = |n: &str| format!("{prefix}{n}");
    checks.expect(
        name("version is mls10"),
        kp.version == ProtocolVersion::MLS10,
        format!("version {}", version_name(kp.version)),
    );
    checks.expect(
        name("leaf node source is key_package"),
        matches!(kp.leaf_node.leaf_node_source, LeafNodeSource::KeyPackage(_)),
        "another leaf node source",
    );
    checks.expect(
        name("init_key differs from the leaf's encryption_key"),
        kp.init_key != kp.leaf_node.encryption_key,
        "they are equal",
    );
    let caps = &kp.leaf_node.capabilities;
    checks.expect(
        name("the leaf's capabilities list the KeyPackage's version and suite"),
        caps.versions.contains(&kp.version) && caps.cipher_suites.contains(&kp.cipher_suite),
        "missing from the capabilities",
    );
    checks.expect(
        name("no extension type twice"),
        !cohort_tree::extension::has_duplicates(&kp.extensions)
            && !cohort_tree::extension::has_duplicates(&kp.leaf_node.extensions),
        "an extension type appears twice",
    );
    if let LeafNodeSource::KeyPackage(l) = &kp.leaf_node.leaf_node_source {
        let now = checks.options.now;
        checks.expect(
            name(&format!("lifetime covers {}", date(now))),
            l.not_before <= now && now <= l.not_after,
            format!("valid {} to {}", date(l.not_before), date(l.not_after)),
        );
    }
    match suite(kp.cipher_suite) {
        None => {
            checks.push(
                name("leaf signature (LeafNodeTBS)"),
                unsupported(kp.cipher_suite),
            );
            checks.push(
                name("signature (KeyPackageTBS)"),
                unsupported(kp.cipher_suite),
            );
        }
        Some(s) => {
            checks.result(
                name("leaf signature (LeafNodeTBS)"),
                kp.leaf_node.verify_signature(&*s, None, LeafIndex(0)),
            );
            let verified = kp
                .to_be_signed()
                .map_err(|e| e.to_string())
                .and_then(|tbs| {
                    labeled::verify_with_label(
                        &*s,
                        &kp.leaf_node.signature_key,
                        b"KeyPackageTBS",
                        &tbs,
                        &kp.signature,
                    )
                    .map_err(|e| e.to_string())
                });
            checks.result(name("signature (KeyPackageTBS)"), verified);
        }
    }
    doc
}

fn group_info(gi: &GroupInfo, checks: &mut Checks<'_>) -> Doc {
    let gc = &gi.group_context;
    let doc = Doc::fields()
        .with("group_context", group_context(gc))
        .with("extensions", extensions(&gi.extensions))
        .with("confirmation_tag", gi.confirmation_tag.0.as_slice())
        .with("signer", format!("leaf {}", gi.signer.0))
        .with("signature", gi.signature.as_slice());
    checks.expect(
        "version is mls10",
        gc.version == ProtocolVersion::MLS10,
        format!("version {}", version_name(gc.version)),
    );
    checks.expect(
        "no extension type twice",
        !cohort_tree::extension::has_duplicates(&gi.extensions)
            && !cohort_tree::extension::has_duplicates(&gc.extensions),
        "an extension type appears twice",
    );
    let tree = gi
        .extensions
        .iter()
        .find(|e| e.extension_type == ExtensionType::RATCHET_TREE);
    let Some(tree) = tree else {
        checks.push(
            "signature (GroupInfoTBS)",
            Outcome::Skipped("no ratchet_tree extension: the signer's key is in the tree".into()),
        );
        return doc;
    };
    let nodes = match RatchetTreeNodes::from_bytes(tree.extension_data.as_slice()) {
        Ok(nodes) => nodes,
        Err(e) => {
            checks.push(
                "ratchet_tree extension decodes",
                Outcome::Failed(e.to_string()),
            );
            return doc;
        }
    };
    let mut doc = doc;
    doc.field(
        "ratchet_tree",
        ratchet_tree(
            &nodes,
            Some(gc.cipher_suite),
            Some(gc.group_id.as_slice()),
            Some(&gc.tree_hash),
            checks,
        ),
    );
    match suite(gc.cipher_suite) {
        None => checks.push("signature (GroupInfoTBS)", unsupported(gc.cipher_suite)),
        Some(s) => {
            let signer = nodes
                .0
                .get(gi.signer.node().0 as usize)
                .and_then(|n| n.as_deref());
            let outcome = match signer {
                Some(Node::Leaf(leaf)) => {
                    match gi
                        .to_be_signed()
                        .map_err(|e| e.to_string())
                        .and_then(|tbs| {
                            labeled::verify_with_label(
                                &*s,
                                &leaf.signature_key,
                                b"GroupInfoTBS",
                                &tbs,
                                &gi.signature,
                            )
                            .map_err(|e| e.to_string())
                        }) {
                        Ok(()) => Outcome::Ok,
                        Err(e) => Outcome::Failed(e),
                    }
                }
                _ => Outcome::Failed(format!("leaf {} is blank or outside the tree", gi.signer.0)),
            };
            checks.push("signature (GroupInfoTBS)", outcome);
        }
    }
    checks.push(
        "confirmation tag",
        Outcome::Skipped("needs the epoch's confirmation key".into()),
    );
    doc
}

fn group_context(gc: &GroupContext) -> Doc {
    Doc::fields()
        .with("version", version_name(gc.version))
        .with("cipher_suite", suite_name(gc.cipher_suite))
        .with("group_id", gc.group_id.as_slice())
        .with("epoch", gc.epoch)
        .with("tree_hash", gc.tree_hash.as_slice())
        .with(
            "confirmed_transcript_hash",
            gc.confirmed_transcript_hash.as_slice(),
        )
        .with("extensions", extensions(&gc.extensions))
}

/// Describes and checks a tree: its structure, its hashes (with a suite), its leaves'
/// signatures (those that need a group id only with one), and its tree hash against `expected`.
fn ratchet_tree(
    nodes: &RatchetTreeNodes,
    cs: Option<CipherSuite>,
    group_id: Option<&[u8]>,
    expected: Option<&[u8]>,
    checks: &mut Checks<'_>,
) -> Doc {
    let listed = nodes
        .0
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let at = format!("node {i}");
            match n.as_deref() {
                None => Doc::fields().with(&at, "blank"),
                Some(Node::Leaf(leaf)) => {
                    Doc::fields().with(&format!("{at} (leaf {})", i / 2), leaf_node(leaf))
                }
                Some(Node::Parent(p)) => Doc::fields().with(
                    &format!("{at} (parent)"),
                    Doc::fields()
                        .with("encryption_key", p.encryption_key.0.as_slice())
                        .with("parent_hash", p.parent_hash.as_slice())
                        .with(
                            "unmerged_leaves",
                            p.unmerged_leaves
                                .iter()
                                .map(|l| Doc::Int(u64::from(l.0)))
                                .collect::<Vec<_>>(),
                        ),
                ),
            }
        })
        .collect::<Vec<_>>();
    let mut doc = Doc::fields().with("nodes", listed);
    let mut tree = match RatchetTree::from_nodes(nodes.clone()) {
        Ok(t) => t,
        Err(e) => {
            checks.push("tree structure", Outcome::Failed(e.to_string()));
            return doc;
        }
    };
    checks.result("tree structure", tree.validate_structure());
    let Some(cs) = cs else {
        checks.push(
            "tree hash, parent hashes and leaf signatures",
            Outcome::Skipped("a bare tree does not name its suite: give --suite".into()),
        );
        return doc;
    };
    let Some(s) = suite(cs) else {
        checks.push(
            "tree hash, parent hashes and leaf signatures",
            unsupported(cs),
        );
        return doc;
    };
    match tree.tree_hash(&*s) {
        Ok(hash) => {
            doc.field("tree_hash", hash.as_slice());
            if let Some(expected) = expected {
                checks.expect(
                    "tree hash matches the group context",
                    hash.as_slice() == expected,
                    "it differs",
                );
            }
        }
        Err(e) => checks.push("tree hash", Outcome::Failed(e.to_string())),
    }
    checks.result("parent hashes", tree.verify_parent_hashes(&*s));
    let mut unchecked = 0usize;
    let mut failures = Vec::new();
    for (i, leaf) in tree.leaves() {
        let group = match (&leaf.leaf_node_source, group_id) {
            (LeafNodeSource::KeyPackage(_), _) => None,
            (_, Some(g)) => Some((g, i)),
            (_, None) => {
                unchecked += 1;
                continue;
            }
        };
        if let Err(e) = leaf.verify_signature(&*s, group, i) {
            failures.push(format!("leaf {}: {e}", i.0));
        }
    }
    let name = "leaf signatures (LeafNodeTBS)";
    match (failures.is_empty(), unchecked) {
        (false, _) => checks.push(name, Outcome::Failed(failures.join("; "))),
        (true, 0) => checks.push(name, Outcome::Ok),
        (true, n) => checks.push(
            name,
            Outcome::Skipped(format!(
                "{n} update or commit leaves are signed with the group id: give --group-id"
            )),
        ),
    }
    doc
}

fn leaf_node(leaf: &LeafNode) -> Doc {
    let source = match &leaf.leaf_node_source {
        LeafNodeSource::KeyPackage(l) => Doc::fields()
            .with("type", "key_package")
            .with("not_before", date(l.not_before))
            .with("not_after", date(l.not_after)),
        LeafNodeSource::Update => Doc::fields().with("type", "update"),
        LeafNodeSource::Commit(parent_hash) => Doc::fields()
            .with("type", "commit")
            .with("parent_hash", parent_hash.as_slice()),
    };
    Doc::fields()
        .with("encryption_key", leaf.encryption_key.0.as_slice())
        .with("signature_key", leaf.signature_key.0.as_slice())
        .with("credential", credential(&leaf.credential))
        .with("capabilities", capabilities(&leaf.capabilities))
        .with("leaf_node_source", source)
        .with("extensions", extensions(&leaf.extensions))
        .with("signature", leaf.signature.as_slice())
}

fn credential(c: &Credential) -> Doc {
    match c {
        Credential::Basic { identity } => {
            let mut doc = Doc::fields().with("type", "basic");
            match std::str::from_utf8(identity.as_slice()) {
                Ok(text) if text.chars().all(|ch| !ch.is_control()) => {
                    doc.field("identity", format!("{text:?}"));
                }
                _ => doc.field("identity", identity.as_slice()),
            }
            doc
        }
        Credential::X509 { certificates } => Doc::fields().with("type", "x509").with(
            "certificates",
            certificates
                .iter()
                .map(|c| Doc::from(c.cert_data.as_slice()))
                .collect::<Vec<_>>(),
        ),
        Credential::Other {
            credential_type,
            data,
        } => Doc::fields()
            .with("type", credential_type_name(*credential_type))
            .with("data", data.as_slice()),
        _ => Doc::fields().with("type", "unknown"),
    }
}

fn capabilities(c: &Capabilities) -> Doc {
    let list = |items: Vec<String>| {
        if items.is_empty() {
            Doc::from("(none)")
        } else {
            Doc::from(items.join(", "))
        }
    };
    Doc::fields()
        .with(
            "versions",
            list(c.versions.iter().map(|v| version_name(*v)).collect()),
        )
        .with(
            "cipher_suites",
            list(
                c.cipher_suites
                    .iter()
                    .map(|s| format!("0x{:04x}", s.0))
                    .collect(),
            ),
        )
        .with(
            "extensions",
            list(
                c.extensions
                    .iter()
                    .map(|e| extension_type_name(*e))
                    .collect(),
            ),
        )
        .with(
            "proposals",
            list(c.proposals.iter().map(|p| proposal_type_name(*p)).collect()),
        )
        .with(
            "credentials",
            list(
                c.credentials
                    .iter()
                    .map(|t| credential_type_name(*t))
                    .collect(),
            ),
        )
}

fn extensions(list: &[Extension]) -> Doc {
    Doc::List(
        list.iter()
            .map(|e| {
                Doc::fields()
                    .with("type", extension_type_name(e.extension_type))
                    .with("data", e.extension_data.as_slice())
            })
            .collect(),
    )
}

fn extension_type_name(t: ExtensionType) -> String {
    let name = match t {
        ExtensionType::APPLICATION_ID => "application_id",
        ExtensionType::RATCHET_TREE => "ratchet_tree",
        ExtensionType::REQUIRED_CAPABILITIES => "required_capabilities",
        ExtensionType::EXTERNAL_PUB => "external_pub",
        ExtensionType::EXTERNAL_SENDERS => "external_senders",
        ExtensionType::APP_DATA_DICTIONARY => "app_data_dictionary",
        ExtensionType::SUPPORTED_WIRE_FORMATS => "supported_wire_formats",
        ExtensionType::REQUIRED_WIRE_FORMATS => "required_wire_formats",
        ExtensionType::LAST_RESORT => "last_resort",
        _ => return format!("0x{:04x}", t.0),
    };
    format!("{name} (0x{:04x})", t.0)
}

fn proposal_type_name(t: ProposalType) -> String {
    let name = match t {
        ProposalType::ADD => "add",
        ProposalType::UPDATE => "update",
        ProposalType::REMOVE => "remove",
        ProposalType::PSK => "psk",
        ProposalType::REINIT => "reinit",
        ProposalType::EXTERNAL_INIT => "external_init",
        ProposalType::GROUP_CONTEXT_EXTENSIONS => "group_context_extensions",
        ProposalType::APP_DATA_UPDATE => "app_data_update",
        ProposalType::APP_EPHEMERAL => "app_ephemeral",
        ProposalType::SELF_REMOVE => "self_remove",
        ProposalType::SELF_REMOVE_MLS_RS => "self_remove (mls-rs code point)",
        _ => return format!("0x{:04x}", t.0),
    };
    format!("{name} (0x{:04x})", t.0)
}

fn credential_type_name(t: CredentialType) -> String {
    match t {
        CredentialType::BASIC => "basic (0x0001)".into(),
        CredentialType::X509 => "x509 (0x0002)".into(),
        CredentialType::MULTI => "multi (0x0003)".into(),
        CredentialType::WEAK_MULTI => "weak-multi (0x0004)".into(),
        _ => format!("0x{:04x}", t.0),
    }
}

/// Seconds since the Unix epoch as a UTC date and time (`YYYY-MM-DD hh:mm:ss UTC`), or the
/// number itself past year 9999.
pub(crate) fn date(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    if days > 2_932_896 {
        return format!("{secs} (seconds since 1970)");
    }
    // Howard Hinnant's civil-from-days, for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Encodes what was decoded, to check it round-trips (used by the tests).
#[cfg(test)]
fn round_trips(bytes: &[u8]) -> bool {
    use cohort_codec::Encode as _;
    MlsMessage::from_bytes(bytes)
        .ok()
        .and_then(|m| m.to_bytes().ok())
        .is_some_and(|b| b == bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(date(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(date(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(date(u64::MAX), format!("{} (seconds since 1970)", u64::MAX));
    }

    #[test]
    fn kinds_parse_by_name() {
        for k in Kind::ALL {
            assert_eq!(k.name().parse::<Kind>().ok(), Some(k));
        }
        assert!(matches!(
            "tree".parse::<Kind>(),
            Err(InspectError::UnknownKind(_))
        ));
    }

    #[test]
    fn every_cut_of_the_vector_messages_is_an_error() {
        let path = cohort_test_vectors::vector_path("messages");
        let cases: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON");
        let options = Options::default();
        for field in [
            "mls_welcome",
            "mls_group_info",
            "mls_key_package",
            "public_message_application",
            "public_message_proposal",
            "public_message_commit",
            "private_message",
        ] {
            let whole = hex::decode(cases[0][field].as_str().expect("hex")).expect("hex");
            assert!(
                inspect(&whole, Some(Kind::MlsMessage), &options).is_ok(),
                "{field}"
            );
            for cut in 0..whole.len() {
                assert!(
                    inspect(&whole[..cut], Some(Kind::MlsMessage), &options).is_err(),
                    "{field} cut at {cut}"
                );
                // Other kinds may happen to decode a prefix; none may panic.
                let _ = inspect(&whole[..cut], None, &options);
            }
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [&[][..], &[0], &[0, 1, 0, 9, 0xff], &[0xff; 64]] {
            assert!(inspect(bytes, None, &Options::default()).is_err());
            assert!(!round_trips(bytes));
        }
    }
}

#[cfg(test)]
mod extension_tests {
    use super::*;
    use cohort_codec::VarBytes;
    use cohort_messages::components::{AppDataUpdate, AppEphemeral, ComponentId};

    /// The proposals of draft-ietf-mls-extensions are shown field by field, with their names.
    #[test]
    fn extension_proposals_are_shown_by_name() {
        let options = Options::default();
        let mut checks = Checks {
            list: Vec::new(),
            options: &options,
        };
        let update = Proposal::AppDataUpdate(AppDataUpdate {
            component_id: ComponentId(0x8001),
            op: AppDataOperation::Update(VarBytes::from(vec![0xab])),
        });
        let text = proposal(&update, "", &mut checks).to_text();
        assert!(text.contains("app_data_update"), "{text}");
        assert!(text.contains("32769"), "{text}");
        let remove = Proposal::AppDataUpdate(AppDataUpdate {
            component_id: ComponentId(1),
            op: AppDataOperation::Remove,
        });
        assert!(
            proposal(&remove, "", &mut checks)
                .to_text()
                .contains("remove")
        );
        let ephemeral = Proposal::AppEphemeral(AppEphemeral {
            component_id: ComponentId(5),
            data: VarBytes::from(vec![1]),
        });
        assert!(
            proposal(&ephemeral, "", &mut checks)
                .to_text()
                .contains("app_ephemeral")
        );
        assert_eq!(
            proposal_type_name(ProposalType::APP_DATA_UPDATE),
            "app_data_update (0x0008)"
        );
        assert_eq!(
            extension_type_name(ExtensionType::APP_DATA_DICTIONARY),
            "app_data_dictionary (0x0006)"
        );
    }
}
