//! Proposals described by a request (`ProposalDescription`), made by a member of the group or
//! by an external signer from a GroupInfo.

use cohort::messages::group_context::GroupContext;
use cohort::messages::group_info::GroupInfo;
use cohort::messages::proposal::{
    Add, GroupContextExtensions, PreSharedKey, Proposal, ReInit, Remove,
};
use cohort::messages::psk::{Psk, ResumptionPskUsage};
use cohort::tree::leaf::ProtocolVersion;
use cohort::tree::math::LeafIndex;

use super::Error;
use super::convert::{
    basic_identity, extensions, key_package, leaf_in_tree, ratchet_tree, tree_of,
};
use super::member::Ctx;
use super::store::State;
use crate::proto;

/// Where a described proposal gets what depends on who proposes it.
pub(super) trait Proposer {
    /// The leaf of the member whose basic credential has `identity`.
    fn leaf_of(&self, identity: &[u8]) -> Result<LeafIndex, Error>;
    /// An external PreSharedKey proposal for `psk_id`, with a fresh nonce.
    fn external_psk(&self, psk_id: &[u8]) -> Result<Proposal, Error>;
    /// A resumption PreSharedKey proposal (usage `application`) for `epoch` of the group.
    fn resumption_psk(&self, epoch: u64) -> Result<Proposal, Error>;
}

impl Proposer for State {
    fn leaf_of(&self, identity: &[u8]) -> Result<LeafIndex, Error> {
        self.group
            .members()
            .iter()
            .find(|member| basic_identity(&member.credential) == Some(identity))
            .map(|member| member.leaf)
            .ok_or_else(|| Error::NoSuchMember(String::from_utf8_lossy(identity).into_owned()))
    }

    fn external_psk(&self, psk_id: &[u8]) -> Result<Proposal, Error> {
        Ok(self.group.external_psk_proposal(psk_id)?)
    }

    fn resumption_psk(&self, epoch: u64) -> Result<Proposal, Error> {
        Ok(self.group.resumption_psk_proposal(epoch)?)
    }
}

/// An external signer proposing to the group of a GroupInfo, whose ratchet tree comes with the
/// request or in the GroupInfo.
pub(super) struct FromGroupInfo<'a> {
    pub(super) ctx: &'a Ctx<'a>,
    pub(super) group_info: &'a GroupInfo,
    pub(super) ratchet_tree: &'a [u8],
}

impl FromGroupInfo<'_> {
    /// A PreSharedKey proposal for `psk` with a fresh nonce of the KDF's length in the group's
    /// suite.
    fn psk_proposal(&self, psk: Psk) -> Result<Proposal, Error> {
        psk_proposal(self.ctx, &self.group_info.group_context, psk)
    }
}

impl Proposer for FromGroupInfo<'_> {
    fn leaf_of(&self, identity: &[u8]) -> Result<LeafIndex, Error> {
        let tree = match ratchet_tree(self.ratchet_tree)? {
            Some(tree) => tree,
            None => tree_of(self.group_info).ok_or(Error::NoTree)??,
        };
        leaf_in_tree(&tree, identity)
    }

    fn external_psk(&self, psk_id: &[u8]) -> Result<Proposal, Error> {
        self.psk_proposal(Psk::External {
            psk_id: psk_id.to_vec().into(),
        })
    }

    fn resumption_psk(&self, epoch: u64) -> Result<Proposal, Error> {
        self.psk_proposal(Psk::Resumption {
            usage: ResumptionPskUsage::Application,
            psk_group_id: self.group_info.group_context.group_id.clone(),
            psk_epoch: epoch,
        })
    }
}

/// The proposal `description` describes, made by `proposer`.
pub(super) fn described(
    ctx: &Ctx<'_>,
    proposer: &impl Proposer,
    description: &proto::ProposalDescription,
) -> Result<Proposal, Error> {
    match description.proposal_type.as_slice() {
        b"add" => Ok(Proposal::Add(Add {
            key_package: key_package(&description.key_package)?,
        })),
        b"remove" => Ok(Proposal::Remove(Remove {
            removed: proposer.leaf_of(&description.removed_id)?,
        })),
        b"externalPSK" => proposer.external_psk(&description.psk_id),
        b"resumptionPSK" => proposer.resumption_psk(description.epoch_id),
        b"groupContextExtensions" => Ok(Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: extensions(&description.extensions)?,
        })),
        b"reinit" => Ok(Proposal::ReInit(reinit_proposal(
            ctx,
            description.group_id.clone(),
            description.cipher_suite,
            &description.extensions,
        )?)),
        other => Err(Error::UnknownProposalType(
            String::from_utf8_lossy(other).into_owned(),
        )),
    }
}

/// A PreSharedKey proposal for `psk` with a fresh nonce of the KDF's length in the suite of
/// `context` (for an external signer, which has no group handle to ask).
fn psk_proposal(ctx: &Ctx<'_>, context: &GroupContext, psk: Psk) -> Result<Proposal, Error> {
    let (_, ops) = ctx.suite(u32::from(context.cipher_suite.0))?;
    Ok(Proposal::PreSharedKey(PreSharedKey {
        psk: cohort::group::fresh_psk_id(&*ops, psk).map_err(cohort::Error::from)?,
    }))
}

/// A ReInit to `group_id`, `suite` (which we must support) and `extensions`, in MLS 1.0.
pub(super) fn reinit_proposal(
    ctx: &Ctx<'_>,
    group_id: Vec<u8>,
    suite: u32,
    list: &[proto::Extension],
) -> Result<ReInit, Error> {
    let (cipher_suite, _) = ctx.suite(suite)?;
    Ok(ReInit {
        group_id: group_id.into(),
        version: ProtocolVersion::MLS10,
        cipher_suite,
        extensions: extensions(list)?,
    })
}
