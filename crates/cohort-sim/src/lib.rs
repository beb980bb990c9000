//! A deterministic network simulation of cohort clients (issue 19).
//!
//! [`Sim`] drives many clients of the facade (`cohort::Client`, each with its own store, some in
//! SQLite) through a simulated Delivery Service, and after every step checks the invariants.
//! Every choice comes from the seed: who acts, what it does, which faults hit which message. The
//! crypto provider's randomness makes keys differ from run to run but never changes what happens,
//! so a seed replays the same run ([`SimConfig::trace`] records it).
//!
//! ```text
//!   seed ─► Rng ─► operations (send, self-update, add, remove, propose, commit proposals,
//!            │                  external join, concurrent commits, ReInit)
//!            └──► faults (reorder, duplicate, delay, loss, offline, restart, echo)
//!                     │
//!   clients ◄──── DS (Ordered: first commit of an epoch wins; FanOut: every commit to every
//!                     member) ── per-client queues, log, GroupInfo of each epoch, retention
//! ```
//!
//! **The library does the delivery work**, as an application would use it: every message goes
//! to `process_message`; what arrives early is held by the library (`Received::Held`) and
//! processed by `process_held` after each epoch change or proposal; in fan-out mode the members
//! settle the commits of an epoch with `cohort::winning_commit` once a settling delay has passed
//! ([`SettleWindow`]); a commit of ours that lost comes back from `merge_staged` as
//! `Merged::lost_commit`, whose proposals the member sends again; our own echoes are
//! `Received::Echo`; a member that missed too much calls `resync`. The simulation predicts each
//! result (its model of the windows, the buffer's bounds, what the member sent) and checks it,
//! error included (`DeliveryError`).
//!
//! **ReInit** (`reinit.rs`): now and then the group settles, a member proposes a ReInit (same
//! suite, the next group's id), a member commits it, and once merged the committer creates the
//! new group (`reinit`) and sends the Welcome; the others join it with `join_resumed`. The DS then
//! serves the new group, and the model (epochs, rosters, windows) starts again with it; messages
//! still in flight for the old group go to its closed handle, which must refuse them unchanged.
//!
//! **Invariants**, after every step: members at the same epoch of the same group agree on the epoch authenticator
//! and the roster; an application message delivered inside the configured windows is decrypted,
//! exactly once, and one outside them is refused with the error the windows predict; a rejected,
//! held or echoed message (and a staged commit) leaves the state (in memory and stored)
//! byte-identical; the library holds exactly the messages it said it held; the stored state is
//! the state in memory, with the current epoch's record only, and the stored secret trees keep
//! exactly the keys the windows allow; a restart reloads the same state; and after the drain all
//! members are at the same epoch. A panic is caught by the runner (`cargo xtask sim`).
//!
//! **Gaps.** Where the library still falls short of issue 19 but the run can go on (an own echo
//! refused, a member stuck with nothing lost), the simulation counts it ([`Gap`]); with
//! [`SimConfig::strict`] it is a divergence.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod config;
mod delivery;
mod ds;
mod error;
mod invariants;
mod member;
mod model;
mod ops;
mod race;
mod recovery;
mod reinit;
mod report;
mod rng;
mod sim;

pub use config::{DsMode, Fault, FaultSet, SimConfig, Windows};
pub use error::SimError;
pub use race::{Candidate, SettleWindow};
pub use report::{Divergence, DivergenceKind, Gap, Report, Stats};
pub use rng::Rng;
pub use sim::Sim;

/// Runs one simulation.
///
/// # Errors
/// As [`Sim::new`]: the configuration is unusable or the setup failed. Divergences are not
/// errors: they are in the [`Report`].
pub fn run(config: SimConfig) -> Result<Report, SimError> {
    Ok(Sim::new(config)?.run())
}
