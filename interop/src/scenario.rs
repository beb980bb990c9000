//! The scenarios of `shared/interop/test-scenarios.md`, played by [`Member`]s over wire bytes.
//!
//! Every scenario ends each epoch with a common-state check: all active members agree on the
//! epoch, the epoch authenticator and an exporter output, and every member's application message
//! is decrypted by every other.

use std::fmt;

use crate::cohort_member::authenticated_data_of;
use crate::member::{
    APP_COMPONENTS, APP_PSK, AppData, Error, ExternalSenderEntry, Feature, Implementation,
    Incoming, Member, MemberOptions, ReInitSpec, SAFE_AAD_COMPONENT,
};

/// The exporter label every epoch check uses.
const EXPORTER_LABEL: &[u8] = b"cohort-interop";
/// The exporter output length every epoch check uses.
const EXPORTER_LENGTH: usize = 32;

/// A scenario: the message flow of one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scenario {
    /// 1:1 join: A creates a group and adds B by Welcome.
    OneToOne,
    /// 3-party join: A adds B, then C in a second commit that B processes.
    ThreeParty,
    /// Multiple joins at once: A adds B and C with one commit and one Welcome.
    MultipleJoins,
    /// Application messages both ways: several messages per sender and epoch, in order, then a
    /// batch delivered in reverse order (within every implementation's default out-of-order
    /// window); then a replayed message, which every receiver must reject (its key is consumed,
    /// RFC 9420 §9.2).
    Application,
    /// External join: A adds B; C joins by external commit from A's GroupInfo; A and B
    /// process C's commit.
    ExternalJoin,
    /// External PSKs (RFC 9420 §8.4, §12.1.4): A commits a PSK by value; then B proposes a PSK
    /// and A commits it by reference.
    ExternalPsk,
    /// Two PSKs in one commit, one by reference (proposed by B) and one by value (A's): the
    /// PSK secret chains them in the Commit's order (§8.4).
    TwoPsks,
    /// GroupContextExtensions (RFC 9420 §12.1.7): A commits new group extensions, a
    /// `required_capabilities` (§11.1) requiring basic credentials; then A adds D, whose
    /// KeyPackage is checked against it.
    GroupContextExtensions,
    /// GroupContextExtensions with a non-default extension that every member lists in its
    /// capabilities but that `required_capabilities` does not name (RFC 9420 §12.1.7); then A
    /// adds D.
    CustomExtension,
    /// Update: A (with B and C) commits a self-update with an UpdatePath; the commit, delivered
    /// again, must be rejected (it is for an epoch that has passed, RFC 9420 §6).
    Update,
    /// Remove: A adds B and C, then removes B; B sees that it was removed.
    Remove,
    /// Update proposals by reference: B and C (those of them whose implementation sends Update
    /// proposals) propose to update; A commits the proposals by reference.
    UpdateProposal,
    /// Remove proposal by reference: B proposes to remove C; A commits it by reference.
    RemoveProposal,
    /// Full lifecycle: each member in turn adds the next, every member self-updates, then
    /// members remove one another until one is left. Every member commits at least once.
    Lifecycle,
    /// The full lifecycle again, with every commit and proposal sent as a PrivateMessage.
    PrivateHandshake,
    /// Large group, full lifecycle (test-scenarios.md): A adds the first members in one commit,
    /// then randomly chosen members add the others one by one up to [`LARGE_GROUP`], every
    /// member updates, then randomly chosen members remove randomly chosen others, by commit or
    /// by a proposal another member commits, until one is left. The choices come from a fixed
    /// seed, so a failure replays.
    LargeGroup,
    /// Churn: A builds a group of five; then, five times, a random member removes a random
    /// other and a random member adds a new participant, which takes the blank leaf (RFC 9420
    /// §12.1.1), with tree truncation and unmerged leaves along the way.
    Churn,
    /// External proposals (RFC 9420 §12.1.8): A adds B and C, then commits a
    /// GroupContextExtensions proposal listing E, a client outside the group, in
    /// `external_senders`; E proposes to add D (a PublicMessage with sender type `external`,
    /// §6), A commits it by reference and D joins from the Welcome; then E proposes to remove
    /// C and A commits that too.
    ExternalProposals,
    /// ReInit (RFC 9420 §12.1.5, §11.2): B proposes to reinitialize the group under a new
    /// group id, A commits it; then A creates the new group from B's and C's new KeyPackages,
    /// its first commit carrying the reinit resumption PSK, and B and C join it from the
    /// Welcome.
    ReInit,
    /// Branch (RFC 9420 §11.3): A, with B and C in the group, branches a subgroup with B whose
    /// first commit carries the branch resumption PSK; B joins it from the Welcome.
    Branch,
    /// Resumption PSKs (RFC 9420 §8.6, usage `application`): after a self-update, A commits
    /// the resumption PSK of an earlier epoch by value; then B proposes the resumption PSK of
    /// the previous epoch and A commits it by reference.
    ResumptionPsk,
    /// External join with a PSK (RFC 9420 §12.2, §12.4.3.2): A adds B; C joins by external
    /// commit from A's GroupInfo, injecting a harness PSK that the members hold.
    ExternalJoinPsk,
    /// New-member proposal (RFC 9420 §12.1.8, sender type `new_member_proposal`): A adds B and
    /// C; D, not a member, proposes to add itself from B's GroupInfo; A commits it by
    /// reference and D joins from the Welcome.
    NewMemberAdd,
    /// An external sender's GroupContextExtensions proposal (RFC 9420 §12.1.7, §12.1.8): A
    /// adds B and C and lists E in `external_senders`; E proposes new extensions (itself in
    /// `external_senders`, `required_capabilities` requiring basic credentials) and A commits
    /// them by reference.
    ExternalSenderGce,
    /// An external sender's PSK proposals (RFC 9420 §12.1.4, §12.1.8): as
    /// [`Scenario::ExternalSenderGce`], then E proposes an external PSK and the resumption
    /// PSK of the previous epoch, and A commits both by reference.
    ExternalSenderPsks,
    /// An external sender's ReInit (RFC 9420 §12.1.5, §12.1.8): E proposes to reinitialize
    /// the group under a new group id, in another cipher suite and with a non-default
    /// GroupContext extension; A commits it, creates the new group and B and C join it.
    ExternalSenderReInit,
    /// ReInit to another cipher suite: as [`Scenario::ReInit`], the new group in another suite
    /// (members sign with new keys in it).
    ReInitSuite,
    /// ReInit with other extensions: as [`Scenario::ReInit`], the new group's GroupContext
    /// carrying a non-default extension that every member lists in its capabilities.
    ReInitExtensions,
    /// SelfRemove (draft-ietf-mls-extensions): A adds B, C and D (every member lists
    /// SelfRemove at the group's code point); B leaves with a SelfRemove proposal, A commits it
    /// by reference, B sees it is removed; then C leaves the same way and A commits again.
    /// With one peer the members alternate between the implementations, so the leaver and
    /// committer are of different implementations in the first round and of the same one in
    /// the second.
    SelfRemove,
    /// SelfRemove committed by an external joiner (draft-ietf-mls-extensions): A adds B and
    /// C; B leaves with a SelfRemove that A and C cache; D joins by external commit from A's
    /// GroupInfo, covering B's SelfRemove by reference; A, B and C process it and B sees it is
    /// removed. D is of the committer's implementation, B and C of the other.
    ExternalJoinSelfRemove,
    /// Application data (draft-ietf-mls-extensions): A creates the group with
    /// `required_capabilities` (requiring `app_data_dictionary` and AppDataUpdate) and an
    /// `app_data_dictionary` (the last GroupContext extension) holding component `0x8001`,
    /// and adds B and C; B proposes an AppDataUpdate of `0x8001`, A commits it by reference
    /// with an AppEphemeral and an AppDataUpdate of `0x8002` by value; then A proposes to
    /// remove `0x8002` and B commits it by reference with an AppEphemeral by value. After each
    /// commit every member holds the expected dictionary, every receiver saw the AppEphemeral
    /// data, and the safe exported secrets of `0x8001` agree. With one peer B and C are of the
    /// other implementation, so each commit crosses implementations both ways.
    AppData,
    /// Application data from an external joiner (draft-ietf-mls-extensions): A creates the
    /// group as in [`Scenario::AppData`] (component `0x8001` = `v1`) and adds B; C joins by
    /// external commit from A's GroupInfo carrying an AppDataUpdate `0x8001` -> `ext` by
    /// value (no AppEphemeral: OpenMLS refuses one in an external commit); A and B process
    /// it. Then every member holds the new dictionary and the safe exported secrets of
    /// `0x8001` agree. With one peer B and C are of the other implementation than A, so the
    /// joiner joins a group the other implementation created, from its GroupInfo.
    ExternalJoinAppData,
    /// Application PSKs (draft-ietf-mls-extensions, PSK type `application(3)`): A adds B and
    /// C; every member registers the same PSK ([`APP_PSK`]: component `0x8001`, id
    /// `shared-file`); A commits a PreSharedKey proposal for it by value; then B proposes it
    /// again (a fresh nonce) and C commits it by reference. With one peer B and C are of the
    /// other implementation than A, so each PSK crosses implementations.
    AppPsk,
    /// Safe AAD (draft-ietf-mls-extensions): A creates the group with `required_capabilities`
    /// and an `app_data_dictionary` (the last GroupContext extension) holding the `safe_aad`
    /// component (2) as an empty ComponentsList, and adds B and C. Application messages go
    /// both ways with a SafeAAD of one item (component `0x8001`, `topic`) at the start of
    /// their authenticated data, which every receiver reads back through its
    /// implementation; then A and B each commit a self-update, whose authenticated data both
    /// implementations frame as the empty SafeAAD (`[0x00]` on the wire) by themselves and
    /// every receiver reads as such. With one peer B and C are of the other implementation.
    SafeAad,
    /// Last-resort KeyPackages (RFC 9420 §16.8, the `last_resort` KeyPackage extension
    /// `0x000A`): B makes a last-resort KeyPackage, which every participant's implementation
    /// reads as marked last-resort (and C's ordinary one as not); A adds B with it and C with
    /// an ordinary one; then everyone leaves that group behind, A creates a second group and
    /// adds B with the same last-resort KeyPackage (its keys kept after the first join) and C
    /// with a new one. With one peer B and C are of the other implementation, so each
    /// implementation's last-resort KeyPackage is used twice by the other.
    LastResort,
}

/// The seed of the random choices unless another is given.
pub const DEFAULT_SEED: u64 = 0x636f_686f_7274;

/// The size of the large-group scenario.
pub const LARGE_GROUP: usize = 10;

impl Scenario {
    /// Every scenario, in the order the matrix prints them.
    pub const ALL: [Scenario; 35] = [
        Scenario::OneToOne,
        Scenario::ThreeParty,
        Scenario::MultipleJoins,
        Scenario::Application,
        Scenario::ExternalJoin,
        Scenario::ExternalPsk,
        Scenario::TwoPsks,
        Scenario::GroupContextExtensions,
        Scenario::CustomExtension,
        Scenario::Update,
        Scenario::Remove,
        Scenario::UpdateProposal,
        Scenario::RemoveProposal,
        Scenario::Lifecycle,
        Scenario::PrivateHandshake,
        Scenario::LargeGroup,
        Scenario::Churn,
        Scenario::ExternalProposals,
        Scenario::ReInit,
        Scenario::Branch,
        Scenario::ResumptionPsk,
        Scenario::ExternalJoinPsk,
        Scenario::NewMemberAdd,
        Scenario::ExternalSenderGce,
        Scenario::ExternalSenderPsks,
        Scenario::ExternalSenderReInit,
        Scenario::ReInitSuite,
        Scenario::ReInitExtensions,
        Scenario::SelfRemove,
        Scenario::ExternalJoinSelfRemove,
        Scenario::AppData,
        Scenario::ExternalJoinAppData,
        Scenario::AppPsk,
        Scenario::SafeAad,
        Scenario::LastResort,
    ];

    /// The scenario's short name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::OneToOne => "1:1-join",
            Scenario::ThreeParty => "3-party-join",
            Scenario::MultipleJoins => "multiple-joins",
            Scenario::Application => "application",
            Scenario::ExternalJoin => "external-join",
            Scenario::ExternalPsk => "external-psk",
            Scenario::TwoPsks => "two-psks",
            Scenario::GroupContextExtensions => "group-extensions",
            Scenario::CustomExtension => "custom-extension",
            Scenario::Update => "update",
            Scenario::Remove => "remove",
            Scenario::UpdateProposal => "update-proposal",
            Scenario::RemoveProposal => "remove-proposal",
            Scenario::Lifecycle => "lifecycle",
            Scenario::PrivateHandshake => "private-handshake",
            Scenario::LargeGroup => "large-group",
            Scenario::Churn => "churn",
            Scenario::ExternalProposals => "external-proposals",
            Scenario::ReInit => "reinit",
            Scenario::Branch => "branch",
            Scenario::ResumptionPsk => "resumption-psk",
            Scenario::ExternalJoinPsk => "external-join-psk",
            Scenario::NewMemberAdd => "new-member-add",
            Scenario::ExternalSenderGce => "ext-sender-gce",
            Scenario::ExternalSenderPsks => "ext-sender-psks",
            Scenario::ExternalSenderReInit => "ext-sender-reinit",
            Scenario::ReInitSuite => "reinit-suite",
            Scenario::ReInitExtensions => "reinit-extensions",
            Scenario::SelfRemove => "self-remove",
            Scenario::ExternalJoinSelfRemove => "ext-join-self-remove",
            Scenario::AppData => "app-data",
            Scenario::ExternalJoinAppData => "ext-join-app-data",
            Scenario::AppPsk => "app-psk",
            Scenario::SafeAad => "safe-aad",
            Scenario::LastResort => "last-resort",
        }
    }

    /// The scenario called `name` (as [`Scenario::name`] prints it).
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// How many members the scenario needs (A, B, ...).
    pub fn members(self) -> usize {
        match self {
            Scenario::OneToOne | Scenario::Application => 2,
            Scenario::ThreeParty
            | Scenario::MultipleJoins
            | Scenario::ExternalJoin
            | Scenario::ExternalPsk
            | Scenario::TwoPsks
            | Scenario::Update
            | Scenario::Remove
            | Scenario::UpdateProposal
            | Scenario::RemoveProposal
            | Scenario::ReInit
            | Scenario::Branch
            | Scenario::ResumptionPsk
            | Scenario::ExternalJoinPsk
            | Scenario::ReInitSuite
            | Scenario::ReInitExtensions
            | Scenario::AppData
            | Scenario::ExternalJoinAppData
            | Scenario::AppPsk
            | Scenario::SafeAad
            | Scenario::LastResort => 3,
            // A, B and C in the group; D the new member, or E the external sender.
            Scenario::NewMemberAdd
            | Scenario::SelfRemove
            | Scenario::ExternalJoinSelfRemove
            | Scenario::ExternalSenderGce
            | Scenario::ExternalSenderPsks
            | Scenario::ExternalSenderReInit => 4,
            // A, B and C in the group, D added by E's proposal, E the external sender.
            Scenario::ExternalProposals => 5,
            Scenario::Lifecycle
            | Scenario::PrivateHandshake
            | Scenario::GroupContextExtensions
            | Scenario::CustomExtension => 4,
            Scenario::LargeGroup | Scenario::Churn => LARGE_GROUP,
        }
    }

    /// Whether the scenario means anything for `lineup` (every implementation now sends Update
    /// proposals, so every lineup applies). A lineup can still be unsupported by an
    /// implementation's API: see [`Scenario::unsupported`].
    pub fn applies_to(self, _lineup: &[Implementation]) -> bool {
        true
    }

    /// Why `lineup` cannot play the scenario, when one of its implementations lacks a
    /// feature the scenario needs of it ([`Implementation::lacks`]); `None` when it can. The
    /// matrix leaves such cells out and lists them as unsupported, counted in neither number.
    pub fn unsupported(self, lineup: &[Implementation]) -> Option<&'static str> {
        if let Some(code_point) = self.self_remove_code_point(lineup) {
            // Every member lists SelfRemove at the group's code point (X-SR-01).
            let feature = Implementation::self_remove_feature(code_point);
            return lineup.iter().find_map(|imp| imp.lacks(feature));
        }
        let feature = match self {
            // Every member proposes, commits, creates or joins the new group.
            Scenario::ReInit
            | Scenario::ReInitSuite
            | Scenario::ReInitExtensions
            | Scenario::ExternalSenderReInit => Feature::ReInit,
            // Only E proposes PSKs as an external sender; the members receiving them may still
            // deviate (see `KNOWN_DEVIATIONS`).
            Scenario::ExternalSenderPsks => {
                return lineup
                    .get(3)
                    .and_then(|imp| imp.lacks(Feature::ExternalSenderPsk));
            }
            // Every member keeps, changes and reads the application data.
            Scenario::AppData | Scenario::ExternalJoinAppData => Feature::AppData,
            // Every member registers the application PSK and uses it.
            Scenario::AppPsk => Feature::ApplicationPsk,
            // Every member frames, and reads, the authenticated data as a SafeAAD.
            Scenario::SafeAad => Feature::SafeAad,
            // A branches and B joins the subgroup; C stays behind.
            Scenario::Branch => {
                return lineup
                    .iter()
                    .take(2)
                    .find_map(|imp| imp.lacks(Feature::Branch));
            }
            _ => return None,
        };
        lineup.iter().find_map(|imp| imp.lacks(feature))
    }

    /// The SelfRemove code point the scenario's group uses with `lineup`
    /// ([`Implementation::self_remove_code_point`]); `None` for a scenario without SelfRemove.
    pub fn self_remove_code_point(self, lineup: &[Implementation]) -> Option<u16> {
        matches!(
            self,
            Scenario::SelfRemove | Scenario::ExternalJoinSelfRemove
        )
        .then(|| Implementation::self_remove_code_point(lineup))
    }

    /// Whether the scenario's group carries application data (draft-ietf-mls-extensions), so
    /// that its members are set up with [`MemberOptions::app_data`].
    fn has_app_data(self) -> bool {
        matches!(self, Scenario::AppData | Scenario::ExternalJoinAppData)
    }

    /// Plays the scenario with `lineup[0]` as A, `lineup[1]` as B, and so on, in `suite`; `seed`
    /// drives the random choices of the large-group and churn scenarios (the matrix uses
    /// [`DEFAULT_SEED`]).
    ///
    /// # Errors
    /// The first failure of a member, or [`Error::Mismatch`] when members disagree.
    pub fn run(self, lineup: &[Implementation], suite: u16, seed: u64) -> Result<(), Error> {
        if lineup.len() < self.members() {
            return Err(Error::Harness(format!(
                "{} needs {} members, the lineup has {}",
                self.name(),
                self.members(),
                lineup.len()
            )));
        }
        let options = MemberOptions {
            private_handshakes: self == Scenario::PrivateHandshake,
            self_remove: self.self_remove_code_point(lineup),
            // The safe-aad group's dictionary needs the `app_data_dictionary` extension in
            // every member's capabilities.
            app_data: self.has_app_data() || self == Scenario::SafeAad,
            last_resort: self == Scenario::LastResort,
        };
        let mut group = Party::new(lineup, suite, options)?;
        if self.has_app_data() {
            group.create_with_app_data(0)?;
        } else if self == Scenario::SafeAad {
            group.create_with_safe_aad(0)?;
        } else {
            group.create(0)?;
        }
        match self {
            Scenario::OneToOne => {
                group.add(0, &[1])?;
                group.verify()
            }
            Scenario::ThreeParty => {
                group.add(0, &[1])?;
                group.verify()?;
                group.add(0, &[2])?;
                group.verify()
            }
            Scenario::MultipleJoins => {
                group.add(0, &[1, 2])?;
                group.verify()
            }
            Scenario::Application => {
                group.add(0, &[1])?;
                group.verify()?;
                for round in 0..3 {
                    group.messages(0, 3, round)?;
                    group.messages(1, 3, round)?;
                }
                group.messages_reversed(0, 4)?;
                group.messages_reversed(1, 4)?;
                group.replay_rejected(0)?;
                group.replay_rejected(1)
            }
            Scenario::ExternalJoin => {
                group.add(0, &[1])?;
                group.verify()?;
                group.join_external(0, 2)?;
                group.verify()
            }
            Scenario::ExternalPsk => {
                group.add(0, &[1, 2])?;
                group.verify()?;
                group.commit_psk(0, 0)?;
                group.verify()?;
                group.propose(1, Proposing::Psk(1))?;
                group.commit_pending(0, &[])?;
                group.verify()
            }
            Scenario::TwoPsks => {
                group.add(0, &[1, 2])?;
                group.verify()?;
                group.propose(1, Proposing::Psk(1))?;
                group.commit_psk(0, 0)?;
                group.verify()
            }
            Scenario::GroupContextExtensions => {
                group.add(0, &[1, 2])?;
                group.verify()?;
                let commit = group
                    .member(0)?
                    .commit_require_basic()
                    .map_err(|e| step(&group.name(0), "commit group extensions", e))?;
                group.distribute(0, &commit, &[])?;
                group.verify()?;
                group.add(0, &[3])?;
                group.verify()
            }
            Scenario::CustomExtension => {
                group.add(0, &[1, 2])?;
                group.verify()?;
                let commit = group
                    .member(0)?
                    .commit_custom_extension(b"cohort-interop")
                    .map_err(|e| step(&group.name(0), "commit group extensions", e))?;
                group.distribute(0, &commit, &[])?;
                group.verify()?;
                group.add(0, &[3])?;
                group.verify()
            }
            Scenario::Update => {
                group.add(0, &[1, 2])?;
                group.verify()?;
                let commit = group.self_update(0)?;
                group.verify()?;
                group.redelivery_rejected(0, &commit)?;
                group.verify()?;
                group.self_update(0)?;
                group.verify()
            }
            Scenario::Remove => {
                group.add(0, &[1, 2])?;
                group.verify()?;
                group.remove(0, 1)?;
                group.verify()
            }
            Scenario::UpdateProposal => {
                group.add(0, &[1, 2])?;
                group.verify()?;
                for proposer in [1, 2] {
                    group.propose(proposer, Proposing::Update)?;
                }
                group.commit_pending(0, &[])?;
                group.verify()
            }
            Scenario::RemoveProposal => {
                group.add(0, &[1, 2])?;
                group.verify()?;
                let leaf = group.member(2)?.own_leaf()?;
                group.propose(1, Proposing::Remove(leaf))?;
                group.commit_pending(0, &[2])?;
                group.verify()
            }
            Scenario::Lifecycle | Scenario::PrivateHandshake => {
                for joiner in 1..lineup.len() {
                    group.add(joiner - 1, &[joiner])?;
                    group.verify()?;
                }
                for member in 0..lineup.len() {
                    group.self_update(member)?;
                    group.verify()?;
                }
                // The last member removes the first, then the others remove one another from
                // the highest index down.
                let last = lineup.len() - 1;
                group.remove(last, 0)?;
                group.verify()?;
                for removed in (1..last).rev() {
                    let remover = if removed == 1 { last } else { removed - 1 };
                    group.remove(remover, removed)?;
                    group.verify()?;
                }
                Ok(())
            }
            Scenario::LargeGroup => large_group(&mut group, lineup.len(), seed),
            Scenario::Churn => churn(&mut group, lineup.len(), seed),
            Scenario::ExternalProposals => external_proposals(&mut group, lineup, suite),
            Scenario::ReInit => {
                group.add(0, &[1, 2])?;
                group.verify()?;
                group.propose(1, Proposing::ReInit(suite, false))?;
                group.commit_pending(0, &[])?;
                group.reinit(0, &[1, 2])?;
                group.verify()
            }
            Scenario::ReInitSuite | Scenario::ReInitExtensions => {
                let (new_suite, extension) = if self == Scenario::ReInitSuite {
                    (other_suite(suite), false)
                } else {
                    (suite, true)
                };
                group.add(0, &[1, 2])?;
                group.verify()?;
                group.propose(1, Proposing::ReInit(new_suite, extension))?;
                group.commit_pending(0, &[])?;
                group.reinit(0, &[1, 2])?;
                group.verify()
            }
            Scenario::NewMemberAdd => {
                group.add(0, &[1, 2])?;
                group.verify()?;
                let group_info = group.export_group_info(1)?;
                let joiner = group.name(3);
                let proposal = group
                    .member(3)?
                    .propose_join(&group_info)
                    .map_err(|e| step(&joiner, "new-member Add proposal", e))?;
                group.deliver_proposal(&joiner, &proposal)?;
                group.commit_pending_joining(0, &[], &[3])?;
                group.verify()
            }
            Scenario::ExternalSenderGce
            | Scenario::ExternalSenderPsks
            | Scenario::ExternalSenderReInit => {
                external_sender_more(self, &mut group, lineup, suite)
            }
            Scenario::Branch => {
                group.add(0, &[1, 2])?;
                group.verify()?;
                group.self_update(0)?;
                group.verify()?;
                group.branch(0, &[1])?;
                group.verify()
            }
            Scenario::ResumptionPsk => {
                group.add(0, &[1, 2])?;
                group.verify()?;
                let joined = group.member(0)?.epoch()?;
                group.self_update(0)?;
                group.verify()?;
                // The epoch everyone joined in, one epoch back.
                let out = group
                    .member(0)?
                    .commit_resumption_psk(joined)
                    .map_err(|e| step(&group.name(0), "commit resumption PSK", e))?;
                group.distribute(0, &out.commit, &[])?;
                group.verify()?;
                // The epoch before this one, proposed by B and committed by reference.
                let previous = group.member(0)?.epoch()?.saturating_sub(1);
                group.propose(1, Proposing::ResumptionPsk(previous))?;
                group.commit_pending(0, &[])?;
                group.verify()
            }
            Scenario::ExternalJoinPsk => {
                group.add(0, &[1])?;
                group.verify()?;
                group.join_external_with(0, 2, &[1])?;
                group.verify()
            }
            Scenario::SelfRemove => {
                group.add(0, &[1, 2, 3])?;
                group.verify()?;
                group.self_remove(1)?;
                group.commit_pending(0, &[1])?;
                group.verify()?;
                group.self_remove(2)?;
                group.commit_pending(0, &[2])?;
                group.verify()
            }
            Scenario::ExternalJoinSelfRemove => {
                group.add(0, &[1, 2])?;
                group.verify()?;
                let self_remove = group.self_remove(1)?;
                let group_info = group.export_group_info(0)?;
                let joiner = group.name(3);
                let commit = group
                    .member(3)?
                    .join_external_self_removes(&group_info, &[self_remove])
                    .map_err(|e| step(&joiner, "external commit with a SelfRemove", e))?;
                group.distribute(3, &commit, &[1])?;
                group.active[1] = false;
                group.active[3] = true;
                group.verify()
            }
            Scenario::AppData => app_data(&mut group),
            Scenario::ExternalJoinAppData => external_join_app_data(&mut group),
            Scenario::AppPsk => app_psk(&mut group),
            Scenario::SafeAad => safe_aad(&mut group),
            Scenario::LastResort => last_resort(&mut group),
        }
    }
}

/// The component whose data every round of [`Scenario::AppData`] keeps, and whose safe
/// exported secret the members compare.
const TOPIC: u16 = APP_COMPONENTS[0];
/// The component [`Scenario::AppData`] adds by value and then removes.
const SECOND: u16 = APP_COMPONENTS[1];

/// The flow of [`Scenario::AppData`]; A has created the group with `TOPIC` = `v1`.
fn app_data(group: &mut Party) -> Result<(), Error> {
    group.add(0, &[1, 2])?;
    group.verify()?;
    let mut expected: AppData = vec![(TOPIC, b"v1".to_vec())];
    group.check_app_data(None, &expected, &[])?;

    // B proposes new data for TOPIC; A commits it by reference, with an AppEphemeral and an
    // AppDataUpdate adding SECOND by value.
    group.propose(1, Proposing::AppDataUpdate(TOPIC, Some(b"v2")))?;
    let ephemeral = vec![(TOPIC, b"tick 1".to_vec())];
    let out = group
        .member(0)?
        .commit_app_data(&[(SECOND, Some(b"w1".to_vec()))], &ephemeral)
        .map_err(|e| step(&group.name(0), "commit application data", e))?;
    group.distribute(0, &out.commit, &[])?;
    group.verify()?;
    expected = vec![(TOPIC, b"v2".to_vec()), (SECOND, b"w1".to_vec())];
    group.check_app_data(Some(0), &expected, &ephemeral)?;

    // A proposes to remove SECOND; B, of the other implementation, commits it by reference
    // with an AppEphemeral by value.
    group.propose(0, Proposing::AppDataUpdate(SECOND, None))?;
    let ephemeral = vec![(SECOND, b"tick 2".to_vec())];
    let out = group
        .member(1)?
        .commit_app_data(&[], &ephemeral)
        .map_err(|e| step(&group.name(1), "commit application data", e))?;
    group.distribute(1, &out.commit, &[])?;
    group.verify()?;
    expected = vec![(TOPIC, b"v2".to_vec())];
    group.check_app_data(Some(1), &expected, &ephemeral)
}

/// The flow of [`Scenario::ExternalJoinAppData`]; A has created the group with `TOPIC` =
/// `v1`.
fn external_join_app_data(group: &mut Party) -> Result<(), Error> {
    group.add(0, &[1])?;
    group.verify()?;
    group.check_app_data(None, &[(TOPIC, b"v1".to_vec())], &[])?;

    // C joins from A's GroupInfo, replacing TOPIC's data by value in its external commit.
    let group_info = group.export_group_info(0)?;
    let joiner = group.name(2);
    let commit = group
        .member(2)?
        .join_external_app_data(&group_info, &[(TOPIC, Some(b"ext".to_vec()))])
        .map_err(|e| step(&joiner, "external commit with an AppDataUpdate", e))?;
    group.distribute(2, &commit, &[])?;
    group.active[2] = true;
    group.verify()?;
    group.check_app_data(Some(2), &[(TOPIC, b"ext".to_vec())], &[])
}

/// The flow of [`Scenario::AppPsk`].
fn app_psk(group: &mut Party) -> Result<(), Error> {
    let (component, psk_id, _) = APP_PSK;
    group.add(0, &[1, 2])?;
    group.verify()?;
    group.register_application_psk()?;

    // A commits the application PSK by value.
    let out = group
        .member(0)?
        .commit_application_psk(component, psk_id)
        .map_err(|e| step(&group.name(0), "commit application PSK", e))?;
    group.distribute(0, &out.commit, &[])?;
    group.verify()?;

    // B proposes it again, with a fresh nonce; C commits it by reference.
    group.propose(1, Proposing::ApplicationPsk(component, psk_id))?;
    group.commit_pending(2, &[])?;
    group.verify()
}

/// The SafeAAD item of the application messages of [`Scenario::SafeAad`]: (component id,
/// data).
const SAFE_AAD_ITEM: (u16, &[u8]) = (APP_COMPONENTS[0], b"topic");

/// The flow of [`Scenario::SafeAad`]; A has created the group with the `safe_aad` component.
fn safe_aad(group: &mut Party) -> Result<(), Error> {
    group.add(0, &[1, 2])?;
    group.verify()?;
    // Application messages both ways, with the item.
    group.safe_aad_message(0)?;
    group.safe_aad_message(1)?;
    // A commit each way, with the empty SafeAAD the implementations add by themselves.
    group.framed_self_update(0)?;
    group.verify()?;
    group.framed_self_update(1)?;
    group.verify()?;
    group.safe_aad_message(2)?;
    group.safe_aad_message(0)
}

/// The group id of the second group of [`Scenario::LastResort`].
const SECOND_GROUP_ID: &[u8] = b"cohort-interop group, second";

/// The flow of [`Scenario::LastResort`].
fn last_resort(group: &mut Party) -> Result<(), Error> {
    let owner = group.name(1);
    let last_resort = group
        .member(1)?
        .last_resort_key_package()
        .map_err(|e| step(&owner, "last-resort KeyPackage", e))?;
    let ordinary = group.member(2)?.key_package()?;
    group.check_last_resort(&last_resort, true)?;
    group.check_last_resort(&ordinary, false)?;
    group.add_key_packages(0, &[1, 2], vec![last_resort.clone(), ordinary])?;
    group.verify()?;

    // A second group: B joins it with the same last-resort KeyPackage, C with a new one.
    group.regroup(0, SECOND_GROUP_ID)?;
    let ordinary = group.member(2)?.key_package()?;
    group.add_key_packages(0, &[1, 2], vec![last_resort, ordinary])?;
    group.verify()?;
    group.self_update(1)?;
    group.verify()
}

/// The large-group lifecycle of [`Scenario::LargeGroup`] over `n` members.
fn large_group(group: &mut Party, n: usize, seed: u64) -> Result<(), Error> {
    let mut rng = SplitMix(seed);
    let first = 3.min(n - 1);
    group.add(0, &(1..=first).collect::<Vec<_>>())?;
    group.verify()?;
    for joiner in first + 1..n {
        let adder = group.random_active(&mut rng, None)?;
        group.add(adder, &[joiner])?;
        group.verify()?;
    }
    for member in 0..n {
        group.self_update(member)?;
        group.verify()?;
    }
    let mut by_proposal = false;
    while group.active_count() > 1 {
        let remover = group.random_active(&mut rng, None)?;
        let removed = group.random_active(&mut rng, Some(remover))?;
        // Every other removal goes by proposal, committed by a third member when there is one.
        let committer = if by_proposal && group.active_count() > 2 {
            loop {
                let c = group.random_active(&mut rng, Some(removed))?;
                if c != remover {
                    break Some(c);
                }
            }
        } else {
            None
        };
        match committer {
            Some(committer) => {
                let leaf = group.member(removed)?.own_leaf()?;
                group.propose(remover, Proposing::Remove(leaf))?;
                group.commit_pending(committer, &[removed])?;
            }
            None => group.remove(remover, removed)?,
        }
        by_proposal = !by_proposal;
        group.verify()?;
    }
    Ok(())
}

/// The churn of [`Scenario::Churn`]: half of the `n` participants form the group, the other
/// half replace members one by one.
fn churn(group: &mut Party, n: usize, seed: u64) -> Result<(), Error> {
    let mut rng = SplitMix(seed ^ 0x0063_6875_726e);
    let half = n / 2;
    for joiner in 1..half {
        let adder = group.random_active(&mut rng, None)?;
        group.add(adder, &[joiner])?;
        group.verify()?;
    }
    for joiner in half..n {
        let remover = group.random_active(&mut rng, None)?;
        let removed = group.random_active(&mut rng, Some(remover))?;
        group.remove(remover, removed)?;
        group.verify()?;
        let adder = group.random_active(&mut rng, None)?;
        group.add(adder, &[joiner])?;
        group.verify()?;
    }
    Ok(())
}

/// The group id of the group a ReInit creates.
const REINIT_GROUP_ID: &[u8] = b"cohort-interop group, reinitialized";
/// The body of the non-default extension a ReInit puts in the new group's GroupContext.
const REINIT_EXTENSION_DATA: &[u8] = b"cohort-interop reinit";
/// The group id of a branched subgroup.
const BRANCH_GROUP_ID: &[u8] = b"cohort-interop subgroup";

/// The flow of [`Scenario::ExternalProposals`]: participants 0 to 2 form the group, 3 is
/// added by the external sender, which is a client of `lineup[4]`'s implementation.
fn external_proposals(
    group: &mut Party,
    lineup: &[Implementation],
    suite: u16,
) -> Result<(), Error> {
    let sender_imp = *lineup
        .get(4)
        .ok_or_else(|| Error::Harness("external-proposals needs five participants".into()))?;
    let sender_name = participant(4, sender_imp);
    let mut sender = sender_imp.new_external_sender(&sender_name, suite)?;
    group.add(0, &[1, 2])?;
    group.verify()?;
    group.install_external_senders(&[sender.entry()])?;

    // E proposes to add D, from B's GroupInfo; A commits it by reference.
    let key_package = group.member(3)?.key_package()?;
    let group_info = group.export_group_info(1)?;
    let proposal = sender
        .propose_add(&group_info, 0, &key_package)
        .map_err(|e| step(&sender_name, "external Add proposal", e))?;
    group.deliver_proposal(&sender_name, &proposal)?;
    group.commit_pending_joining(0, &[], &[3])?;
    group.verify()?;

    // E proposes to remove C, from D's GroupInfo; A commits it by reference.
    let leaf = group.member(2)?.own_leaf()?;
    let group_info = group.export_group_info(3)?;
    let proposal = sender
        .propose_remove(&group_info, 0, leaf)
        .map_err(|e| step(&sender_name, "external Remove proposal", e))?;
    group.deliver_proposal(&sender_name, &proposal)?;
    group.commit_pending(0, &[2])?;
    group.verify()
}

/// The cipher suite a ReInit moves a group in `suite` to: another one that cohort and mls-rs
/// both offer, with another signature scheme where possible.
pub fn other_suite(suite: u16) -> u16 {
    match suite {
        1 => 2,
        2 => 1,
        3 => 7,
        _ => 3,
    }
}

/// The flows of [`Scenario::ExternalSenderGce`], [`Scenario::ExternalSenderPsks`] and
/// [`Scenario::ExternalSenderReInit`]: participants 0 to 2 form the group and list 3, a
/// client of `lineup[3]`'s implementation, as external sender, which then proposes.
fn external_sender_more(
    scenario: Scenario,
    group: &mut Party,
    lineup: &[Implementation],
    suite: u16,
) -> Result<(), Error> {
    let sender_imp = *lineup
        .get(3)
        .ok_or_else(|| Error::Harness(format!("{scenario} needs four participants")))?;
    // Named E, as in the other external-sender scenario.
    let sender_name = format!("E-{sender_imp}");
    let mut sender = sender_imp.new_external_sender(&sender_name, suite)?;
    let senders = [sender.entry()];
    group.add(0, &[1, 2])?;
    group.verify()?;
    group.install_external_senders(&senders)?;

    let group_info = group.export_group_info(1)?;
    let mut proposals = Vec::new();
    match scenario {
        Scenario::ExternalSenderGce => proposals.push(
            sender
                .propose_group_extensions(&group_info, 0, &senders)
                .map_err(|e| step(&sender_name, "external GroupContextExtensions proposal", e))?,
        ),
        Scenario::ExternalSenderPsks => {
            let previous = group.member(0)?.epoch()?.saturating_sub(1);
            proposals.push(
                sender
                    .propose_psk(&group_info, 0, 0)
                    .map_err(|e| step(&sender_name, "external PSK proposal", e))?,
            );
            proposals.push(
                sender
                    .propose_resumption_psk(&group_info, 0, previous)
                    .map_err(|e| step(&sender_name, "external resumption PSK proposal", e))?,
            );
        }
        _ => {
            let spec = ReInitSpec {
                group_id: REINIT_GROUP_ID.to_vec(),
                suite: other_suite(suite),
                extension: Some(REINIT_EXTENSION_DATA.to_vec()),
            };
            proposals.push(
                sender
                    .propose_reinit(&group_info, 0, &spec)
                    .map_err(|e| step(&sender_name, "external ReInit proposal", e))?,
            );
        }
    }
    for proposal in &proposals {
        group.deliver_proposal(&sender_name, proposal)?;
    }
    group.commit_pending(0, &[])?;
    if scenario == Scenario::ExternalSenderReInit {
        group.reinit(0, &[1, 2])?;
    }
    group.verify()
}

/// SplitMix64: a tiny deterministic generator for the scenario's choices (not for keys).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `bound` (which must not be 0).
    fn below(&mut self, bound: usize) -> usize {
        let bound = u64::try_from(bound).unwrap_or(u64::MAX).max(1);
        usize::try_from(self.next() % bound).unwrap_or(0)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The members of one scenario run: `members[i]` is participant `i` (A, B, ...), `active[i]`
/// whether it is in the group now.
struct Party {
    members: Vec<Box<dyn Member>>,
    active: Vec<bool>,
}

/// A proposal a member sends.
#[derive(Debug, Clone, Copy)]
enum Proposing {
    /// Update our own leaf.
    Update,
    /// Remove the member at this leaf.
    Remove(u32),
    /// Inject harness PSK number `n`.
    Psk(usize),
    /// Inject the resumption PSK of this epoch of the group.
    ResumptionPsk(u64),
    /// Reinitialize the group as [`REINIT_GROUP_ID`] in this cipher suite, with the
    /// extension [`REINIT_EXTENSION_DATA`] when the flag is set.
    ReInit(u16, bool),
    /// Replace this component's application data (`Some`) or remove it (`None`).
    AppDataUpdate(u16, Option<&'static [u8]>),
    /// Inject this component's application PSK with this id.
    ApplicationPsk(u16, &'static [u8]),
}

impl Party {
    fn new(lineup: &[Implementation], suite: u16, options: MemberOptions) -> Result<Self, Error> {
        let members = lineup
            .iter()
            .enumerate()
            .map(|(i, imp)| imp.new_member(&participant(i, *imp), suite, options))
            .collect::<Result<Vec<_>, _>>()?;
        let active = vec![false; members.len()];
        Ok(Self { members, active })
    }

    fn member(&mut self, i: usize) -> Result<&mut Box<dyn Member>, Error> {
        self.members
            .get_mut(i)
            .ok_or_else(|| Error::Harness(format!("no participant {i}")))
    }

    fn name(&self, i: usize) -> String {
        self.members
            .get(i)
            .map_or_else(|| format!("#{i}"), |m| m.identity().to_owned())
    }

    fn create(&mut self, creator: usize) -> Result<(), Error> {
        self.member(creator)?
            .create_group(b"cohort-interop group")?;
        self.active[creator] = true;
        Ok(())
    }

    /// `creator` creates the group of [`Scenario::AppData`]: `required_capabilities` and an
    /// `app_data_dictionary` holding `v1` for the first of the [`APP_COMPONENTS`].
    fn create_with_app_data(&mut self, creator: usize) -> Result<(), Error> {
        let name = self.name(creator);
        self.member(creator)?
            .create_group_with_app_data(b"cohort-interop group", &[(TOPIC, b"v1".to_vec())])
            .map_err(|e| step(&name, "create a group with application data", e))?;
        self.active[creator] = true;
        Ok(())
    }

    /// `creator` creates the group of [`Scenario::SafeAad`]: `required_capabilities` and an
    /// `app_data_dictionary` holding the `safe_aad` component as an empty ComponentsList
    /// (`[0x00]`: no component's items are required).
    fn create_with_safe_aad(&mut self, creator: usize) -> Result<(), Error> {
        let name = self.name(creator);
        self.member(creator)?
            .create_group_with_app_data(b"cohort-interop group", &[(SAFE_AAD_COMPONENT, vec![0])])
            .map_err(|e| step(&name, "create a group with the safe_aad component", e))?;
        self.active[creator] = true;
        Ok(())
    }

    /// `sender` sends an application message whose authenticated data is a SafeAAD holding
    /// [`SAFE_AAD_ITEM`] (as seen on the wire), and every other active member decrypts it and
    /// reads that SafeAAD through its implementation.
    fn safe_aad_message(&mut self, sender: usize) -> Result<(), Error> {
        let name = self.name(sender);
        let epoch = self.members[sender].epoch()?;
        let text = format!("{name}: epoch {epoch}, with a SafeAAD").into_bytes();
        let (component, data) = SAFE_AAD_ITEM;
        let items = vec![(component, data.to_vec())];
        let ciphertext = self.members[sender]
            .encrypt_with_safe_aad(&text, &items)
            .map_err(|e| step(&name, "encrypt with a SafeAAD", e))?;
        let aad = authenticated_data_of(&ciphertext)?;
        let (sent, tail) =
            cohort::group::components::parse_safe_aad(&aad).map_err(cohort::Error::from)?;
        if sent.get(cohort::messages::components::ComponentId(component)) != Some(data)
            || sent.items().len() != 1
            || !tail.is_empty()
        {
            return Err(Error::Mismatch(format!(
                "{name} sent the authenticated data {aad:02x?}, expected a SafeAAD holding only \
                 {component:#06x} -> {data:?}"
            )));
        }
        for i in 0..self.members.len() {
            if i == sender || !self.active[i] {
                continue;
            }
            let reader = self.name(i);
            let incoming = self.members[i]
                .process(&ciphertext)
                .map_err(|e| step(&reader, &format!("decrypt {name}'s message"), e))?;
            if incoming != Incoming::Application(text.clone()) {
                return Err(Error::Mismatch(format!(
                    "{reader} read {name}'s message as {incoming:?}"
                )));
            }
            let read = self.members[i]
                .last_safe_aad()
                .map_err(|e| step(&reader, "read the SafeAAD", e))?;
            if read.as_ref() != Some(&items) {
                return Err(Error::Mismatch(format!(
                    "{reader} read the SafeAAD of {name}'s message as {read:?}, expected \
                     {items:?}"
                )));
            }
        }
        Ok(())
    }

    /// `committer` commits a self-update, which every other member processes; its
    /// authenticated data must be the empty SafeAAD (`[0x00]`), which every receiver reads
    /// as such.
    fn framed_self_update(&mut self, committer: usize) -> Result<(), Error> {
        let commit = self.self_update(committer)?;
        let name = self.name(committer);
        let aad = authenticated_data_of(&commit)?;
        if aad != [0x00] {
            return Err(Error::Mismatch(format!(
                "{name}'s commit carries the authenticated data {aad:02x?}, expected the empty \
                 SafeAAD [00]"
            )));
        }
        for i in 0..self.members.len() {
            if i == committer || !self.active[i] {
                continue;
            }
            let reader = self.name(i);
            let read = self.members[i]
                .last_safe_aad()
                .map_err(|e| step(&reader, "read the SafeAAD", e))?;
            if read != Some(Vec::new()) {
                return Err(Error::Mismatch(format!(
                    "{reader} read the SafeAAD of {name}'s commit as {read:?}, expected an \
                     empty one"
                )));
            }
        }
        Ok(())
    }

    /// Every participant's implementation reads `key_package` as marked last-resort
    /// (`expected`) or not.
    fn check_last_resort(&mut self, key_package: &[u8], expected: bool) -> Result<(), Error> {
        for i in 0..self.members.len() {
            let name = self.name(i);
            let marked = self.members[i]
                .is_last_resort(key_package)
                .map_err(|e| step(&name, "read a KeyPackage's last-resort marking", e))?;
            if marked != expected {
                return Err(Error::Mismatch(format!(
                    "{name} reads a KeyPackage as {}last-resort, expected {}",
                    if marked { "" } else { "not " },
                    if expected { "last-resort" } else { "not" }
                )));
            }
        }
        Ok(())
    }

    /// Every active member leaves its group behind ([`Member::forget_group`]) and `creator`
    /// creates a new one with `group_id`.
    fn regroup(&mut self, creator: usize, group_id: &[u8]) -> Result<(), Error> {
        for i in 0..self.members.len() {
            if self.active[i] {
                self.members[i].forget_group()?;
                self.active[i] = false;
            }
        }
        let name = self.name(creator);
        self.member(creator)?
            .create_group(group_id)
            .map_err(|e| step(&name, "create the second group", e))?;
        self.active[creator] = true;
        Ok(())
    }

    /// The application-data check of [`Scenario::AppData`] after a commit of `committer`
    /// (`None`: after the joins): every active member holds `expected` as its
    /// `app_data_dictionary`, every member but the committer saw exactly `ephemeral` as the
    /// AppEphemeral data of the commits it processed, and every member's
    /// `SafeExportSecret` of the first of the [`APP_COMPONENTS`] in this epoch is the same.
    fn check_app_data(
        &mut self,
        committer: Option<usize>,
        expected: &[(u16, Vec<u8>)],
        ephemeral: &[(u16, Vec<u8>)],
    ) -> Result<(), Error> {
        let mut secret: Option<(String, Vec<u8>)> = None;
        for i in 0..self.members.len() {
            if !self.active[i] {
                continue;
            }
            let name = self.name(i);
            let member = &mut self.members[i];
            let data = member
                .app_data()
                .map_err(|e| step(&name, "read the application data", e))?;
            if data.as_deref() != Some(expected) {
                return Err(Error::Mismatch(format!(
                    "{name} holds the application data {data:?}, expected {expected:?}"
                )));
            }
            let seen = member
                .take_app_ephemeral()
                .map_err(|e| step(&name, "read the AppEphemeral data", e))?;
            if Some(i) != committer && seen != ephemeral {
                return Err(Error::Mismatch(format!(
                    "{name} saw the AppEphemeral data {seen:?}, expected {ephemeral:?}"
                )));
            }
            let exported = member
                .safe_export_secret(APP_COMPONENTS[0])
                .map_err(|e| step(&name, "safe export", e))?;
            match &secret {
                None => secret = Some((name, exported)),
                Some((first, value)) if *value != exported => {
                    let epoch = member.epoch()?;
                    return Err(Error::Mismatch(format!(
                        "{first} and {name} differ in the safe exported secret of component \
                         {:#06x} in epoch {epoch}",
                        APP_COMPONENTS[0]
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Every participant registers the application PSK [`APP_PSK`] of [`Scenario::AppPsk`].
    fn register_application_psk(&mut self) -> Result<(), Error> {
        let (component, psk_id, secret) = APP_PSK;
        for i in 0..self.members.len() {
            let name = self.name(i);
            self.members[i]
                .register_application_psk(component, psk_id, secret)
                .map_err(|e| step(&name, "register the application PSK", e))?;
        }
        Ok(())
    }

    /// `committer` adds `joiners` in one commit; the other members process it; the joiners
    /// join from the Welcome.
    fn add(&mut self, committer: usize, joiners: &[usize]) -> Result<(), Error> {
        let mut key_packages = Vec::new();
        for j in joiners {
            key_packages.push(self.member(*j)?.key_package()?);
        }
        self.add_key_packages(committer, joiners, key_packages)
    }

    /// [`Party::add`] with the joiners' KeyPackages given, in the order of `joiners`.
    fn add_key_packages(
        &mut self,
        committer: usize,
        joiners: &[usize],
        key_packages: Vec<Vec<u8>>,
    ) -> Result<(), Error> {
        let out = self
            .member(committer)?
            .add_members(&key_packages)
            .map_err(|e| step(&self.name(committer), "add", e))?;
        self.distribute(committer, &out.commit, &[])?;
        self.join_welcome(committer, out.welcome, joiners)
    }

    /// `joiners` join from `committer`'s Welcome (an error when it made none).
    fn join_welcome(
        &mut self,
        committer: usize,
        welcome: Option<Vec<u8>>,
        joiners: &[usize],
    ) -> Result<(), Error> {
        let welcome = welcome
            .ok_or_else(|| Error::Harness(format!("{} made no Welcome", self.name(committer))))?;
        for j in joiners {
            self.member(*j)?
                .join(&welcome)
                .map_err(|e| step(&self.name(*j), "join", e))?;
            self.active[*j] = true;
        }
        Ok(())
    }

    /// Participant `i`'s GroupInfo.
    fn export_group_info(&mut self, i: usize) -> Result<Vec<u8>, Error> {
        self.member(i)?
            .group_info()
            .map_err(|e| step(&self.name(i), "export GroupInfo", e))
    }

    /// A (participant 0) commits a GroupContextExtensions that lists `senders` as the group's
    /// external senders; everyone processes it and checks the common state.
    fn install_external_senders(&mut self, senders: &[ExternalSenderEntry]) -> Result<(), Error> {
        let commit = self
            .member(0)?
            .commit_external_senders(senders)
            .map_err(|e| step(&self.name(0), "commit external_senders", e))?;
        self.distribute(0, &commit, &[])?;
        self.verify()
    }

    /// `joiner` joins by external commit from `publisher`'s GroupInfo; every member processes
    /// the commit.
    fn join_external(&mut self, publisher: usize, joiner: usize) -> Result<(), Error> {
        self.join_external_with(publisher, joiner, &[])
    }

    /// [`Party::join_external`] with the harness PSKs `psks` injected by the external commit.
    fn join_external_with(
        &mut self,
        publisher: usize,
        joiner: usize,
        psks: &[usize],
    ) -> Result<(), Error> {
        let group_info = self.export_group_info(publisher)?;
        let commit = self
            .member(joiner)?
            .join_external(&group_info, psks)
            .map_err(|e| step(&self.name(joiner), "external commit", e))?;
        self.distribute(joiner, &commit, &[])?;
        self.active[joiner] = true;
        Ok(())
    }

    /// `committer` commits a self-update; every other member processes it. Returns the commit.
    fn self_update(&mut self, committer: usize) -> Result<Vec<u8>, Error> {
        let commit = self
            .member(committer)?
            .self_update()
            .map_err(|e| step(&self.name(committer), "self-update", e))?;
        self.distribute(committer, &commit, &[])?;
        Ok(commit)
    }

    /// Every active member but `sender` must reject `message` delivered again, and stay usable.
    fn redelivery_rejected(&mut self, sender: usize, message: &[u8]) -> Result<(), Error> {
        for i in 0..self.members.len() {
            if i == sender || !self.active[i] {
                continue;
            }
            if let Ok(incoming) = self.members[i].process(message) {
                return Err(Error::Mismatch(format!(
                    "{} accepted a message of {} delivered twice, as {incoming:?}",
                    self.name(i),
                    self.name(sender)
                )));
            }
        }
        Ok(())
    }

    /// `sender` sends a message that everyone reads; delivered again, everyone rejects it.
    fn replay_rejected(&mut self, sender: usize) -> Result<(), Error> {
        let text = format!("{}: a message to replay", self.name(sender)).into_bytes();
        let ciphertext = self.broadcast(sender, &text)?;
        self.redelivery_rejected(sender, &ciphertext)
    }

    /// `sender` encrypts `text` and every other active member reads it back; returns the
    /// ciphertext.
    fn broadcast(&mut self, sender: usize, text: &[u8]) -> Result<Vec<u8>, Error> {
        let name = self.name(sender);
        let ciphertext = self.members[sender]
            .encrypt(text)
            .map_err(|e| step(&name, "encrypt", e))?;
        for i in 0..self.members.len() {
            if i == sender || !self.active[i] {
                continue;
            }
            let reader = self.name(i);
            match self.members[i]
                .process(&ciphertext)
                .map_err(|e| step(&reader, &format!("decrypt {name}'s message"), e))?
            {
                Incoming::Application(data) if data == text => {}
                other => {
                    return Err(Error::Mismatch(format!(
                        "{reader} read {name}'s message as {other:?}"
                    )));
                }
            }
        }
        Ok(ciphertext)
    }

    fn remove(&mut self, committer: usize, removed: usize) -> Result<(), Error> {
        let leaf = self.member(removed)?.own_leaf()?;
        let commit = self
            .member(committer)?
            .remove(leaf)
            .map_err(|e| step(&self.name(committer), "remove", e))?;
        self.distribute(committer, &commit, &[removed])?;
        self.active[removed] = false;
        Ok(())
    }

    /// How many members are in the group.
    fn active_count(&self) -> usize {
        self.active.iter().filter(|a| **a).count()
    }

    /// A random active member other than `except`.
    fn random_active(&self, rng: &mut SplitMix, except: Option<usize>) -> Result<usize, Error> {
        let candidates: Vec<usize> = (0..self.members.len())
            .filter(|i| self.active[*i] && Some(*i) != except)
            .collect();
        if candidates.is_empty() {
            return Err(Error::Harness("no member to choose from".into()));
        }
        Ok(candidates[rng.below(candidates.len())])
    }

    /// `sender` encrypts `count` messages; every other active member reads them newest first.
    fn messages_reversed(&mut self, sender: usize, count: usize) -> Result<(), Error> {
        let name = self.name(sender);
        let mut sent = Vec::new();
        for k in 0..count {
            let text = format!("{name}: reversed batch, message {k}").into_bytes();
            let ciphertext = self.members[sender]
                .encrypt(&text)
                .map_err(|e| step(&name, "encrypt", e))?;
            sent.push((text, ciphertext));
        }
        for i in 0..self.members.len() {
            if i == sender || !self.active[i] {
                continue;
            }
            let reader = self.name(i);
            for (text, ciphertext) in sent.iter().rev() {
                match self.members[i]
                    .process(ciphertext)
                    .map_err(|e| step(&reader, &format!("decrypt {name}'s late message"), e))?
                {
                    Incoming::Application(data) if data == *text => {}
                    other => {
                        return Err(Error::Mismatch(format!(
                            "{reader} read {name}'s message as {other:?}"
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// `proposer` sends a proposal; every other active member processes and caches it.
    fn propose(&mut self, proposer: usize, proposal: Proposing) -> Result<(), Error> {
        let name = self.name(proposer);
        let message = match proposal {
            Proposing::Update => self.members[proposer].propose_update(),
            Proposing::Remove(leaf) => self.members[proposer].propose_remove(leaf),
            Proposing::Psk(n) => self.members[proposer].propose_psk(n),
            Proposing::ResumptionPsk(epoch) => self.members[proposer].propose_resumption_psk(epoch),
            Proposing::ReInit(suite, extension) => {
                self.members[proposer].propose_reinit(&ReInitSpec {
                    group_id: REINIT_GROUP_ID.to_vec(),
                    suite,
                    extension: extension.then(|| REINIT_EXTENSION_DATA.to_vec()),
                })
            }
            Proposing::AppDataUpdate(component, update) => {
                self.members[proposer].propose_app_data_update(component, update)
            }
            Proposing::ApplicationPsk(component, psk_id) => {
                self.members[proposer].propose_application_psk(component, psk_id)
            }
        }
        .map_err(|e| step(&name, "propose", e))?;
        self.deliver_proposal_except(Some(proposer), &name, &message)
    }

    /// `leaver` leaves with a SelfRemove proposal, which every other active member processes
    /// and caches; returns the proposal message. The leaver stays active until a commit
    /// removes it.
    fn self_remove(&mut self, leaver: usize) -> Result<Vec<u8>, Error> {
        let name = self.name(leaver);
        let message = self.members[leaver]
            .propose_self_remove()
            .map_err(|e| step(&name, "SelfRemove", e))?;
        self.deliver_proposal_except(Some(leaver), &name, &message)?;
        Ok(message)
    }

    /// Every active member processes and caches a proposal of `sender`, who is not a member.
    fn deliver_proposal(&mut self, sender: &str, message: &[u8]) -> Result<(), Error> {
        self.deliver_proposal_except(None, sender, message)
    }

    /// Every active member but `proposer` processes and caches `message`, a proposal of
    /// `name`.
    fn deliver_proposal_except(
        &mut self,
        proposer: Option<usize>,
        name: &str,
        message: &[u8],
    ) -> Result<(), Error> {
        for i in 0..self.members.len() {
            if Some(i) == proposer || !self.active[i] {
                continue;
            }
            let reader = self.name(i);
            let incoming = self.members[i]
                .process(message)
                .map_err(|e| step(&reader, &format!("process {name}'s proposal"), e))?;
            if incoming != Incoming::Proposal {
                return Err(Error::Mismatch(format!(
                    "{reader} processed {name}'s proposal as {incoming:?}"
                )));
            }
        }
        Ok(())
    }

    /// After a ReInit commit: every other member of the group makes a KeyPackage for the new
    /// group, `creator` creates it with them (`joiners` must be all the other members), and
    /// they join from the Welcome with the reinit PSK.
    fn reinit(&mut self, creator: usize, joiners: &[usize]) -> Result<(), Error> {
        let mut key_packages = Vec::new();
        for j in joiners {
            let name = self.name(*j);
            key_packages.push(
                self.member(*j)?
                    .reinit_key_package()
                    .map_err(|e| step(&name, "KeyPackage for the new group", e))?,
            );
        }
        let out = self
            .member(creator)?
            .reinit_create(&key_packages)
            .map_err(|e| step(&self.name(creator), "create the reinitialized group", e))?;
        let welcome = out
            .welcome
            .ok_or_else(|| Error::Harness(format!("{} made no Welcome", self.name(creator))))?;
        for j in joiners {
            let name = self.name(*j);
            self.member(*j)?
                .reinit_join(&welcome)
                .map_err(|e| step(&name, "join the reinitialized group", e))?;
        }
        Ok(())
    }

    /// `creator` branches a subgroup with `joiners`, who make new KeyPackages and join it
    /// from the Welcome with the branch PSK; the other members stay behind and leave the
    /// party.
    fn branch(&mut self, creator: usize, joiners: &[usize]) -> Result<(), Error> {
        let mut key_packages = Vec::new();
        for j in joiners {
            key_packages.push(self.member(*j)?.key_package()?);
        }
        let out = self
            .member(creator)?
            .branch(BRANCH_GROUP_ID, &key_packages)
            .map_err(|e| step(&self.name(creator), "branch", e))?;
        let welcome = out
            .welcome
            .ok_or_else(|| Error::Harness(format!("{} made no Welcome", self.name(creator))))?;
        for j in joiners {
            let name = self.name(*j);
            self.member(*j)?
                .join_branch(&welcome)
                .map_err(|e| step(&name, "join the subgroup", e))?;
        }
        for i in 0..self.members.len() {
            if i != creator && !joiners.contains(&i) {
                self.active[i] = false;
            }
        }
        Ok(())
    }

    /// `committer` commits harness PSK `psk` by value with every cached proposal.
    fn commit_psk(&mut self, committer: usize, psk: usize) -> Result<(), Error> {
        let out = self
            .member(committer)?
            .commit_psk(psk)
            .map_err(|e| step(&self.name(committer), "commit PSK", e))?;
        self.distribute(committer, &out.commit, &[])
    }

    /// `committer` commits every cached proposal by reference; `removed` are the members the
    /// proposals remove.
    fn commit_pending(&mut self, committer: usize, removed: &[usize]) -> Result<(), Error> {
        self.commit_pending_joining(committer, removed, &[])
    }

    /// [`Party::commit_pending`] for proposals that also add `joiners`, who join from the
    /// commit's Welcome.
    fn commit_pending_joining(
        &mut self,
        committer: usize,
        removed: &[usize],
        joiners: &[usize],
    ) -> Result<(), Error> {
        let out = self
            .member(committer)?
            .commit_pending()
            .map_err(|e| step(&self.name(committer), "commit proposals", e))?;
        self.distribute(committer, &out.commit, removed)?;
        for r in removed {
            self.active[*r] = false;
        }
        if joiners.is_empty() {
            return Ok(());
        }
        self.join_welcome(committer, out.welcome, joiners)
    }

    /// Every active member but `sender` processes the commit; those in `removed` must see that
    /// it removes them, the others that it does not.
    fn distribute(&mut self, sender: usize, commit: &[u8], removed: &[usize]) -> Result<(), Error> {
        // Every receiver gets the commit even after one fails, so a failure shows who agrees.
        let mut failures = Vec::new();
        for i in 0..self.members.len() {
            if i == sender || !self.active[i] {
                continue;
            }
            let name = self.name(i);
            let expect_removed = removed.contains(&i);
            match self.members[i].process(commit) {
                Ok(Incoming::Commit { removed_us }) if removed_us == expect_removed => {}
                Ok(other) => failures.push(Error::Mismatch(format!(
                    "{name} processed the commit of {} as {other:?}, expected a commit that {} it",
                    self.name(sender),
                    if expect_removed { "removes" } else { "keeps" }
                ))),
                Err(e) => failures.push(step(&name, "process commit", e)),
            }
        }
        match failures.len() {
            0 => Ok(()),
            1 => Err(failures.remove(0)),
            _ => Err(Error::Several(failures)),
        }
    }

    /// Every active member sends `count` messages that every other active member decrypts, in
    /// order; `round` makes the texts unique.
    fn messages(&mut self, sender: usize, count: usize, round: usize) -> Result<(), Error> {
        for k in 0..count {
            let name = self.name(sender);
            let epoch = self.members[sender].epoch()?;
            let text = format!("{name}: epoch {epoch}, round {round}, message {k}").into_bytes();
            self.broadcast(sender, &text)?;
        }
        Ok(())
    }

    /// The common-state check: same epoch, epoch authenticator and exporter output everywhere,
    /// then one message from each member read by all the others.
    fn verify(&mut self) -> Result<(), Error> {
        let active: Vec<usize> = (0..self.members.len())
            .filter(|i| self.active[*i])
            .collect();
        let Some(&first) = active.first() else {
            return Err(Error::Harness("no active member".into()));
        };
        let epoch = self.members[first].epoch()?;
        let authenticator = self.members[first].epoch_authenticator()?;
        let context = epoch.to_be_bytes();
        let exported = self.members[first].export(EXPORTER_LABEL, &context, EXPORTER_LENGTH)?;
        for &i in &active[1..] {
            let m = &self.members[i];
            let (a, b) = (self.name(first), self.name(i));
            if m.epoch()? != epoch {
                return Err(Error::Mismatch(format!(
                    "{b} is at epoch {}, {a} at {epoch}",
                    m.epoch()?
                )));
            }
            if m.epoch_authenticator()? != authenticator {
                return Err(Error::Mismatch(format!(
                    "{a} and {b} differ in the epoch authenticator of epoch {epoch}"
                )));
            }
            if m.export(EXPORTER_LABEL, &context, EXPORTER_LENGTH)? != exported {
                return Err(Error::Mismatch(format!(
                    "{a} and {b} differ in the exporter output of epoch {epoch}"
                )));
            }
        }
        for &i in &active {
            self.messages(i, 1, 0)?;
        }
        Ok(())
    }
}

/// Participant `i`'s name: A, B, C, ... with its implementation (`A-cohort`).
fn participant(i: usize, imp: Implementation) -> String {
    let letter = u8::try_from(i)
        .ok()
        .filter(|i| *i < 26)
        .map_or('?', |i| char::from(b'A' + i));
    format!("{letter}-{imp}")
}

/// Names the member and step where `error` happened.
fn step(member: &str, what: &str, error: Error) -> Error {
    Error::Step {
        member: member.to_owned(),
        step: what.to_owned(),
        source: Box::new(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The state check is not vacuous: a member that missed a commit is caught.
    #[test]
    fn verify_catches_a_missed_commit() {
        for peer in [Implementation::MlsRs, Implementation::OpenMls] {
            let mut party =
                Party::new(&[Implementation::Cohort, peer], 1, MemberOptions::default()).unwrap();
            party.create(0).unwrap();
            party.add(0, &[1]).unwrap();
            party.verify().unwrap();
            // A self-update that is never delivered to B.
            party.members[0].self_update().unwrap();
            assert!(
                matches!(party.verify(), Err(Error::Mismatch(_))),
                "{peer}: a missed commit went unnoticed"
            );
        }
    }

    /// Every implementation rejects a commit whose bytes were damaged in transit, and stays
    /// usable: the undamaged commit is then accepted.
    #[test]
    fn damaged_commit_is_rejected_by_every_receiver() {
        for committer in Implementation::ALL {
            let receivers: Vec<Implementation> = Implementation::ALL
                .into_iter()
                .filter(|i| *i != committer)
                .collect();
            let mut lineup = vec![committer];
            lineup.extend(&receivers);
            let mut party = Party::new(&lineup, 1, MemberOptions::default()).unwrap();
            party.create(0).unwrap();
            party.add(0, &[1, 2]).unwrap();
            let commit = party.members[0].self_update().unwrap();
            let mut damaged = commit.clone();
            // The last bytes are the membership tag of a PublicMessage.
            if let Some(last) = damaged.last_mut() {
                *last ^= 0x01;
            }
            for (member, imp) in party.members[1..].iter_mut().zip(&receivers) {
                assert!(
                    member.process(&damaged).is_err(),
                    "{imp} accepted a damaged commit from {committer}"
                );
                assert_eq!(
                    member.process(&commit).unwrap(),
                    Incoming::Commit { removed_us: false }
                );
            }
            party.verify().unwrap();
        }
    }

    /// The external-sender check is not vacuous: a proposal signed by a client the group's
    /// `external_senders` does not list, claiming a listed sender's index, is rejected by
    /// every implementation, which then accepts the listed sender's proposal.
    #[test]
    fn external_proposal_from_an_unlisted_sender_is_rejected() {
        let lineup = Implementation::ALL;
        let mut party = Party::new(&lineup, 1, MemberOptions::default()).unwrap();
        party.create(0).unwrap();
        party.add(0, &[1, 2]).unwrap();
        let mut listed = Implementation::Cohort
            .new_external_sender("listed", 1)
            .unwrap();
        // OpenMLS signs whatever index it is told, so it can play the impostor.
        let mut impostor = Implementation::OpenMls
            .new_external_sender("impostor", 1)
            .unwrap();
        let commit = party.members[0]
            .commit_external_senders(&[listed.entry()])
            .unwrap();
        party.distribute(0, &commit, &[]).unwrap();
        let group_info = party.members[0].group_info().unwrap();
        let leaf = party.members[2].own_leaf().unwrap();
        let forged = impostor.propose_remove(&group_info, 0, leaf).unwrap();
        for (member, imp) in party.members.iter_mut().zip(lineup) {
            assert!(
                member.process(&forged).is_err(),
                "{imp} accepted an external proposal from an unlisted sender"
            );
        }
        let genuine = listed.propose_remove(&group_info, 0, leaf).unwrap();
        party.deliver_proposal("listed", &genuine).unwrap();
    }

    /// The SelfRemove cells are not vacuous: every implementation sends a real SelfRemove
    /// proposal, at the code point of its group (cohort leaves with a Remove of its own leaf
    /// in a group that is not self-remove-capable, which the harness refuses).
    #[test]
    fn self_removes_are_sent_at_the_group_code_point() {
        use cohort::codec::{Decode, DecodeOptions};
        use cohort::messages::framing::Content;
        use cohort::messages::proposal::Proposal;
        use cohort::messages::{MlsMessage, MlsMessageBody};

        for peer in [Implementation::MlsRs, Implementation::OpenMls] {
            let lineup = [Implementation::Cohort, peer, Implementation::Cohort];
            let code_point = Implementation::self_remove_code_point(&lineup);
            let options = MemberOptions {
                self_remove: Some(code_point),
                ..MemberOptions::default()
            };
            let mut party = Party::new(&lineup, 1, options).unwrap();
            party.create(0).unwrap();
            party.add(0, &[1, 2]).unwrap();
            let decode = DecodeOptions::default().with_self_remove_alias(Some(code_point));
            for leaver in [1, 2] {
                let bytes = party.members[leaver].propose_self_remove().unwrap();
                let message = MlsMessage::from_bytes_with(&bytes, decode).unwrap();
                let MlsMessageBody::PublicMessage(public) = message.body else {
                    panic!("{peer}: a SelfRemove that is not a PublicMessage");
                };
                match public.content.content {
                    Content::Proposal(Proposal::SelfRemove(s)) => {
                        assert_eq!(s.code_point.0, code_point, "{}", party.name(leaver));
                    }
                    other => panic!("{}: sent {other:?}", party.name(leaver)),
                }
            }
        }
        // A cohort member not set up for SelfRemove does not send one.
        let lineup = [Implementation::Cohort, Implementation::OpenMls];
        let mut party = Party::new(&lineup, 1, MemberOptions::default()).unwrap();
        party.create(0).unwrap();
        party.add(0, &[1]).unwrap();
        assert!(party.members[0].propose_self_remove().is_err());
    }

    /// The app-data cells are not vacuous: the dictionary, the AppEphemeral data and the safe
    /// exported secret are each compared, so a member that reads another dictionary, missed
    /// the AppEphemeral or exports another secret is caught.
    #[test]
    fn app_data_check_catches_disagreement() {
        let options = MemberOptions {
            app_data: true,
            ..MemberOptions::default()
        };
        let lineup = [Implementation::Cohort, Implementation::OpenMls];
        let mut party = Party::new(&lineup, 1, options).unwrap();
        party.create_with_app_data(0).unwrap();
        party.add(0, &[1]).unwrap();
        let expected = vec![(TOPIC, b"v1".to_vec())];
        party.check_app_data(None, &expected, &[]).unwrap();
        // The secret of TOPIC is consumed in this epoch: a second check must fail.
        assert!(party.check_app_data(None, &expected, &[]).is_err());
        let commit = party.members[0].self_update().unwrap();
        party.distribute(0, &commit, &[]).unwrap();
        // Another dictionary, and an AppEphemeral the receiver never saw, are mismatches.
        assert!(matches!(
            party.check_app_data(None, &[(TOPIC, b"v2".to_vec())], &[]),
            Err(Error::Mismatch(_))
        ));
        assert!(matches!(
            party.check_app_data(Some(0), &expected, &[(TOPIC, b"tick".to_vec())]),
            Err(Error::Mismatch(_))
        ));
    }

    /// The peer deviation docs/interop.md lists: OpenMLS 0.9.2, applying an AppDataUpdate,
    /// moves the `app_data_dictionary` to the end of the GroupContext's extensions, where
    /// draft-ietf-mls-extensions changes it in place; with the dictionary not last, cohort
    /// (which changes it in place) then derives another GroupContext and rejects OpenMLS's
    /// commit. The `app-data` scenario keeps the dictionary last. If OpenMLS changes, this
    /// test fails and the deviation goes from the list.
    #[test]
    fn openmls_moves_the_app_data_dictionary_to_the_end() {
        use crate::cohort_member::CohortMember;
        use crate::openmls_member::OpenMlsMember;
        use openmls::prelude::ExtensionType;

        let options = MemberOptions {
            app_data: true,
            ..MemberOptions::default()
        };
        let mut a = OpenMlsMember::new("A-openmls", 1, options).unwrap();
        let mut b = CohortMember::new("B-cohort", 1, options).unwrap();
        a.create_group_dictionary_first(b"dictionary first", &[(TOPIC, b"v1".to_vec())])
            .unwrap();
        let out = a.add_members(&[b.key_package().unwrap()]).unwrap();
        b.join(&out.welcome.unwrap()).unwrap();
        assert_eq!(
            a.epoch_authenticator().unwrap(),
            b.epoch_authenticator().unwrap()
        );
        assert_eq!(
            a.group_context_extension_types().unwrap(),
            [
                ExtensionType::AppDataDictionary,
                ExtensionType::RequiredCapabilities
            ]
        );
        let out = a
            .commit_app_data(&[(TOPIC, Some(b"v2".to_vec()))], &[])
            .unwrap();
        assert_eq!(
            a.group_context_extension_types().unwrap(),
            [
                ExtensionType::RequiredCapabilities,
                ExtensionType::AppDataDictionary
            ],
            "OpenMLS kept the dictionary in place: drop the deviation from docs/interop.md"
        );
        // cohort's GroupContext keeps the dictionary first, so the confirmation tag differs.
        let rejected = b.process(&out.commit);
        assert!(
            format!("{rejected:?}").contains("InvalidConfirmationTag"),
            "cohort: {rejected:?}"
        );
    }

    /// The app-psk cells are not vacuous: the application PSK enters the key schedule of
    /// both cohort and OpenMLS, so a receiver that registered another secret under the same
    /// component and id rejects a commit that injects it, whichever implementation commits,
    /// and accepts it once it holds the committer's secret.
    #[test]
    fn application_psk_secrets_must_agree() {
        let (component, psk_id, secret) = APP_PSK;
        for lineup in [
            [Implementation::Cohort, Implementation::OpenMls],
            [Implementation::OpenMls, Implementation::Cohort],
        ] {
            let mut party = Party::new(&lineup, 1, MemberOptions::default()).unwrap();
            party.create(0).unwrap();
            party.add(0, &[1]).unwrap();
            party.members[0]
                .register_application_psk(component, psk_id, secret)
                .unwrap();
            party.members[1]
                .register_application_psk(component, psk_id, &[0x44; 32])
                .unwrap();
            let out = party.members[0]
                .commit_application_psk(component, psk_id)
                .unwrap();
            let rejected = party.members[1].process(&out.commit);
            assert!(
                rejected.is_err(),
                "{} accepted {}'s commit of an application PSK it holds another secret for: \
                 {rejected:?}",
                lineup[1],
                lineup[0]
            );
            // With the right secret the same commit goes through: the rejection was the
            // secret's.
            party.members[1]
                .register_application_psk(component, psk_id, secret)
                .unwrap();
            assert_eq!(
                party.members[1].process(&out.commit).unwrap(),
                Incoming::Commit { removed_us: false }
            );
            party.verify().unwrap();
        }
    }

    /// The safe-aad cells are not vacuous: where the group has no `safe_aad` component,
    /// neither cohort nor OpenMLS reads a SafeAAD and a commit's authenticated data is empty;
    /// with it, both read the empty SafeAAD their peer frames by itself around a message sent
    /// without AAD, and the item of one sent with it.
    #[test]
    fn safe_aad_is_read_only_where_the_group_asks_for_it() {
        let options = MemberOptions {
            app_data: true,
            ..MemberOptions::default()
        };
        for lineup in [
            [Implementation::Cohort, Implementation::OpenMls],
            [Implementation::OpenMls, Implementation::Cohort],
        ] {
            let mut plain = Party::new(&lineup, 1, options).unwrap();
            plain.create(0).unwrap();
            plain.add(0, &[1]).unwrap();
            plain.broadcast(0, b"no SafeAAD").unwrap();
            assert_eq!(
                plain.members[1].last_safe_aad().unwrap(),
                None,
                "{lineup:?}"
            );
            let commit = plain.self_update(0).unwrap();
            assert_eq!(authenticated_data_of(&commit).unwrap(), b"", "{lineup:?}");
            assert_eq!(
                plain.members[1].last_safe_aad().unwrap(),
                None,
                "{lineup:?}"
            );

            let mut framed = Party::new(&lineup, 1, options).unwrap();
            framed.create_with_safe_aad(0).unwrap();
            framed.add(0, &[1]).unwrap();
            framed.broadcast(0, b"an empty SafeAAD").unwrap();
            assert_eq!(
                framed.members[1].last_safe_aad().unwrap(),
                Some(Vec::new()),
                "{lineup:?}"
            );
            framed.safe_aad_message(0).unwrap();
            framed.framed_self_update(0).unwrap();
        }
    }

    /// The last-resort cells are not vacuous: an ordinary KeyPackage, used by the other
    /// implementation to add its owner to a second group, no longer joins (its keys went with
    /// the first join), for every implementation as owner; so the second join of the
    /// scenario stands on the last-resort marking.
    #[test]
    fn an_ordinary_key_package_joins_once() {
        let options = MemberOptions {
            last_resort: true,
            ..MemberOptions::default()
        };
        for lineup in [
            [Implementation::Cohort, Implementation::OpenMls],
            [Implementation::Cohort, Implementation::MlsRs],
            [Implementation::OpenMls, Implementation::Cohort],
        ] {
            let mut party = Party::new(&lineup, 1, options).unwrap();
            party.create(0).unwrap();
            let key_package = party.members[1].key_package().unwrap();
            party.check_last_resort(&key_package, false).unwrap();
            party
                .add_key_packages(0, &[1], vec![key_package.clone()])
                .unwrap();
            party.verify().unwrap();
            party.regroup(0, SECOND_GROUP_ID).unwrap();
            let out = party.members[0].add_members(&[key_package]).unwrap();
            let joined = party.members[1].join(&out.welcome.unwrap());
            assert!(
                joined.is_err(),
                "{}'s ordinary KeyPackage joined a second group",
                lineup[1]
            );
        }
    }

    /// The peer note docs/interop.md lists: OpenMLS 0.9.2 refuses a KeyPackage whose
    /// `last_resort` extension its leaf's capabilities do not list (RFC 9420 §10.1 does not
    /// ask for it), which is how mls-rs 0.57 marks one unless the client lists the type; the
    /// last-resort scenario has mls-rs list it. If OpenMLS changes, this test fails and the
    /// note goes.
    #[test]
    fn openmls_wants_last_resort_in_the_capabilities() {
        let lineup = [Implementation::OpenMls, Implementation::MlsRs];
        let mut party = Party::new(&lineup, 1, MemberOptions::default()).unwrap();
        let key_package = party.members[1].last_resort_key_package().unwrap();
        assert!(party.members[1].is_last_resort(&key_package).unwrap());
        let refused = party.members[0].is_last_resort(&key_package);
        assert!(
            format!("{refused:?}").contains("UnsupportedExtension"),
            "OpenMLS read mls-rs's last-resort KeyPackage: drop the note from docs/interop.md: \
             {refused:?}"
        );
        // cohort reads it (RFC 9420 §10.1 has no such check).
        let cohort = Implementation::Cohort
            .new_member("cohort", 1, MemberOptions::default())
            .unwrap();
        assert!(cohort.is_last_resort(&key_package).unwrap());
    }

    #[test]
    fn scenario_names_round_trip() {
        for s in Scenario::ALL {
            assert_eq!(Scenario::from_name(s.name()), Some(s));
        }
    }
}
