//! Resuming a group in a new one (RFC 9420 §11.2, §11.3): reinitialization after a committed
//! ReInit, and branching a subgroup, both tied to the old group by a resumption PSK (§8.6).
//!
//! ```text
//!  old group                              new group
//!  epoch n:   commit [ReInit]   ──►  epoch n+1 (ReInitPending)
//!                                        │ resumption_psk(n+1), usage reinit
//!                                        ▼
//!                                    epoch 0 ── commit [Add.., PSK(reinit)] ──► epoch 1
//!
//!  epoch n (active)  ── resumption_psk(n), usage branch ──► epoch 0 ── commit [Add.., PSK] ──► 1
//! ```
//!
//! The creator commits Adds for the members' new KeyPackages plus the PreSharedKey proposal;
//! the joiners receive a Welcome and check it against the old group with
//! [`Group::join_resumed`].

use cohort_crypto::{CryptoProvider, Signer};
use cohort_messages::group_context::GroupContext;
use cohort_messages::key_package::KeyPackage;
use cohort_messages::proposal::{Add, Proposal, ReInit};
use cohort_messages::psk::{PreSharedKeyId, Psk, ResumptionPskUsage};
use cohort_tree::RatchetTree;
use cohort_tree::extension::Extension;
use cohort_tree::leaf::{LeafNode, ProtocolVersion};

use crate::config::GroupConfig;
use crate::group::{Group, JoinInput};
use crate::psk::ExternalPsks;
use crate::reason::WelcomeReason;
use crate::sender::{CommitOptions, CommitOutput, LeafSpec};
use crate::state::{GroupState, GroupStatus};
use crate::{ApiMisuse, Error, ValidationError};

impl Group {
    /// The ReInit this group is waiting on, once a commit carrying one was merged (RFC 9420
    /// §11.2): the new group's id, version, cipher suite and extensions.
    pub fn pending_reinit(&self) -> Option<&ReInit> {
        match self.status() {
            GroupStatus::ReInitPending => self.state().reinit.as_ref(),
            _ => None,
        }
    }

    /// Creates the group a committed ReInit describes (RFC 9420 §11.2) and adds the old members
    /// through `key_packages` (their new KeyPackages, in the new suite). The first commit
    /// carries a resumption PSK of usage `reinit` for this group's current epoch (the one the
    /// ReInit commit began), so only members of this group can join. Returns the new group, at
    /// epoch 1 with that commit merged, and the commit's output: send its Welcome to the
    /// members.
    ///
    /// Any member can call it; the members agree out of band on who does.
    ///
    /// # Errors
    /// [`ApiMisuse::NoPendingReInit`] when no ReInit was committed;
    /// [`ApiMisuse::UnsupportedVersion`] / [`ApiMisuse::UnsupportedCipherSuite`] when the
    /// ReInit asks for what we cannot run (V-12.1.5-02); [`Error::Invalid`] when a KeyPackage
    /// fails the checks of an Add.
    #[allow(
        clippy::too_many_arguments,
        reason = "the creator's choices of RFC 9420 §11 and the new members"
    )]
    pub fn reinit(
        &self,
        provider: &dyn CryptoProvider,
        signer: &dyn Signer,
        spec: &LeafSpec,
        key_packages: Vec<KeyPackage>,
        options: &CommitOptions,
        config: GroupConfig,
        now: Option<u64>,
    ) -> Result<(Group, CommitOutput), Error> {
        let reinit = self.pending_reinit().ok_or(ApiMisuse::NoPendingReInit)?;
        if reinit.version != ProtocolVersion::MLS10 {
            return Err(ApiMisuse::UnsupportedVersion(reinit.version.0).into());
        }
        let new = Group::create(
            provider,
            reinit.cipher_suite,
            signer,
            spec,
            reinit.group_id.as_slice().to_vec(),
            reinit.extensions.clone(),
            config,
        )?;
        let id = self.resumption_psk_id(ResumptionPskUsage::Reinit, &new)?;
        self.resume_into(new, id, signer, key_packages, options, now)
    }

    /// Branches a subgroup off this group (RFC 9420 §11.3): a new group `group_id`, in this
    /// group's suite and version, with GroupContext `extensions`, whose members are us and the
    /// clients of `key_packages`, each of whom must be a member of this group (the joiners
    /// check it). The first commit carries a resumption PSK of usage `branch` for this group's
    /// current epoch. Returns the new group at epoch 1 and the commit's output (its Welcome is
    /// for the new members).
    ///
    /// # Errors
    /// [`Error::Invalid`] when the group is inactive or a KeyPackage fails the checks of an
    /// Add; a crypto failure.
    #[allow(
        clippy::too_many_arguments,
        reason = "the creator's choices of RFC 9420 §11 and the new members"
    )]
    pub fn branch(
        &self,
        provider: &dyn CryptoProvider,
        signer: &dyn Signer,
        spec: &LeafSpec,
        group_id: Vec<u8>,
        extensions: Vec<Extension>,
        key_packages: Vec<KeyPackage>,
        options: &CommitOptions,
        config: GroupConfig,
        now: Option<u64>,
    ) -> Result<(Group, CommitOutput), Error> {
        self.ensure_active()?;
        let new = Group::create(
            provider,
            self.context().cipher_suite,
            signer,
            spec,
            group_id,
            extensions,
            config,
        )?;
        let id = self.resumption_psk_id(ResumptionPskUsage::Branch, &new)?;
        self.resume_into(new, id, signer, key_packages, options, now)
    }

    /// Joins a group that resumes `old` (RFC 9420 §11.2, §11.3), from a Welcome whose
    /// resumption PSK (usage `reinit` or `branch`) comes from `old`'s retained resumption
    /// secrets. On top of every check of [`Group::join`]:
    ///
    /// - the Welcome carries a reinit or branch PSK of `old`, and the new group is at epoch 1
    ///   (V-11.2-02, V-11.3-02, V-12.4.3.1-22);
    /// - reinit: `old` has a pending ReInit, the PSK is of the epoch its commit began, and the
    ///   new group's id, version, suite and extensions are the ReInit's (V-11.2-01, V-11.2-03,
    ///   V-12.4.3.1-23); the memberships of both groups are the same;
    /// - branch: the version and suite are `old`'s (V-11.3-01), and every member of the new
    ///   group is a member of `old` (V-11.3-03, V-12.4.3.1-24).
    ///
    /// Two leaves are the same member when they have the same signature key or when the
    /// Authentication Service accepts the new credential as a successor of the old
    /// ([`CredentialValidator::valid_successor`](cohort_credential::CredentialValidator::valid_successor)).
    ///
    /// # Errors
    /// As [`Group::join`]; [`ValidationError::InvalidWelcome`] naming the §11 rule that failed;
    /// [`ValidationError::MissingPsk`] when the PSK is not `old`'s.
    pub fn join_resumed(
        provider: &dyn CryptoProvider,
        input: JoinInput<'_>,
        psks: &dyn ExternalPsks,
        old: &Group,
        config: GroupConfig,
    ) -> Result<Self, Error> {
        Self::join_inner(provider, input, psks, config, Some(old.state()))
    }

    /// The id of this group's resumption PSK of the current epoch, with `usage` and a fresh
    /// nonce of the length of `new`'s KDF (the group that uses the PSK, §8.4).
    fn resumption_psk_id(
        &self,
        usage: ResumptionPskUsage,
        new: &Group,
    ) -> Result<PreSharedKeyId, Error> {
        crate::psk::fresh_psk_id(
            &*new.suite_arc(),
            Psk::Resumption {
                usage,
                psk_group_id: self.context().group_id.clone(),
                psk_epoch: self.epoch(),
            },
        )
    }

    /// Commits the Adds of `key_packages` in `new` with the resumption PSK `id` of this group,
    /// and merges the commit.
    pub(crate) fn resume_into(
        &self,
        mut new: Group,
        id: PreSharedKeyId,
        signer: &dyn Signer,
        key_packages: Vec<KeyPackage>,
        options: &CommitOptions,
        now: Option<u64>,
    ) -> Result<(Group, CommitOutput), Error> {
        let proposals = key_packages
            .into_iter()
            .map(|key_package| Proposal::Add(Add { key_package }))
            .collect();
        let mut options = options.clone();
        options.force_path = true;
        let output = new.commit_inner(
            signer,
            proposals,
            &options,
            &crate::NoPsks,
            now,
            Some((self.state(), id)),
        )?;
        new.merge_pending_commit()?;
        Ok((new, output))
    }
}

/// The §11 checks of a Welcome that resumes `old`, given the Welcome's reinit or branch PSK
/// (`psk`), the new group's context and its verified tree.
pub(crate) fn check_resumed(
    old: &GroupState,
    psk: Option<&Psk>,
    context: &GroupContext,
    tree: &RatchetTree,
) -> Result<(), Error> {
    let bad = |r: WelcomeReason| -> Error { ValidationError::InvalidWelcome(r).into() };
    let Some(Psk::Resumption {
        usage,
        psk_group_id,
        psk_epoch,
    }) = psk
    else {
        return Err(bad(WelcomeReason::NoResumptionPsk));
    };
    if psk_group_id.as_slice() != old.context.group_id.as_slice() {
        return Err(bad(WelcomeReason::ResumptionPskOfAnotherGroup));
    }
    // V-11.2-02, V-11.3-02, V-12.4.3.1-22.
    if context.epoch != 1 {
        return Err(bad(WelcomeReason::ResumedEpochNotOne));
    }
    let old_leaves: Vec<&LeafNode> = old.tree.leaves().map(|(_, l)| l).collect();
    let new_leaves: Vec<&LeafNode> = tree.leaves().map(|(_, l)| l).collect();
    let same = |o: &LeafNode, n: &LeafNode| {
        o.signature_key == n.signature_key
            || old
                .config
                .credential_validator
                .valid_successor(&o.credential, &n.credential, &n.signature_key)
                .is_ok()
    };
    let subset = new_leaves
        .iter()
        .all(|n| old_leaves.iter().any(|o| same(o, n)));
    match usage {
        ResumptionPskUsage::Reinit => {
            // V-11.2-03, V-12.4.3.1-23: the old group committed a ReInit, and the PSK is of the
            // epoch that commit began.
            let reinit = match (old.status, &old.reinit) {
                (GroupStatus::ReInitPending, Some(r)) => r,
                _ => return Err(bad(WelcomeReason::NoPendingReInit)),
            };
            if *psk_epoch != old.context.epoch {
                return Err(bad(WelcomeReason::ReInitPskEpoch));
            }
            // V-11.2-01.
            if context.group_id != reinit.group_id
                || context.version != reinit.version
                || context.cipher_suite != reinit.cipher_suite
                || context.extensions != reinit.extensions
            {
                return Err(bad(WelcomeReason::ReInitMismatch));
            }
            let superset = old_leaves
                .iter()
                .all(|o| new_leaves.iter().any(|n| same(o, n)));
            if !subset || !superset {
                return Err(bad(WelcomeReason::ReInitMembership));
            }
        }
        ResumptionPskUsage::Branch => {
            // V-11.3-01, V-12.4.3.1-24.
            if context.version != old.context.version
                || context.cipher_suite != old.context.cipher_suite
            {
                return Err(bad(WelcomeReason::BranchSuiteOrVersion));
            }
            // V-11.3-03.
            if !subset {
                return Err(bad(WelcomeReason::BranchMemberNotInOldGroup));
            }
        }
        _ => return Err(bad(WelcomeReason::NoResumptionPsk)),
    }
    Ok(())
}
