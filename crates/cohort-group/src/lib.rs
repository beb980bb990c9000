#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![deny(rustdoc::broken_intra_doc_links)]

mod commit;
pub mod components;
mod config;
mod error;
mod external;
mod external_proposal;
pub mod framing;
mod group;
#[doc(hidden)]
pub mod internal;
pub mod join;
pub mod light;
mod parallel;
mod persist;
mod psk;
pub mod reason;
mod resumption;
mod sender;
mod state;
mod validate;

pub use commit::CommitSummary;
pub use config::{
    AcceptExternalProposals, AllowAllProposals, AppComponents, CustomProposals,
    ExternalProposalPolicy, GroupConfig, LifetimePolicy, MaxLifetime, NoAppComponents,
    NoCustomProposals, ProposalPolicy, ReplaceAppData, StrictChecks,
};
pub use error::{ApiMisuse, Error, ValidationError};
pub use external::{ExternalJoin, ExternalJoinOptions};
pub use external_proposal::{external_proposal, new_member_proposal};
pub use group::{Group, JoinInput, KeyPackageSecrets, Processed, StagedCommit};
pub use persist::{RatchetSnapshot, SPLIT_STATE_VERSION, STATE_VERSION, SplitState};
pub use psk::{ExternalPsks, NoPsks, PskList, PskTable, fresh_psk_id};
pub use sender::{
    CommitOptions, CommitOutput, HandshakeFormat, LeafSpec, create_key_package, key_package_ref,
};
pub use state::GroupStatus;
