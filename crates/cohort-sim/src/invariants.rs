//! The invariants checked after every step and at the end, and the snapshots they compare.

use cohort::ClientGroup;

use crate::member::{Role, SimClient, Store};
use crate::model::StoredRatchets;
use crate::report::DivergenceKind;
use crate::sim::Sim;

/// The state of a group before a message, to compare after a rejection.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub epoch: u64,
    pub authenticator: Vec<u8>,
    pub state: Vec<u8>,
    pub ratchets: Vec<u8>,
    pub stored_state: Option<(u64, Vec<u8>)>,
    pub stored_records: Vec<(u64, Option<Vec<u8>>)>,
    pub pending: bool,
}

impl Sim {
    /// After every step: each member's epoch agrees with the first member there; its stored
    /// state is its state in memory, with the current epoch's record only, and the stored keys
    /// are exactly those the windows keep; its group handle holds what it said it held.
    pub(crate) fn check_invariants(&mut self) {
        let w = self.cfg.windows;
        for c in 0..self.clients.len() {
            if let Some(group) = self.clients[c].group.as_ref() {
                let (count, mirror) = (group.held_count(), self.clients[c].held.len());
                if count != mirror {
                    self.diverge(
                        DivergenceKind::Delivery,
                        format!(
                            "c{c}'s group handle holds {count} message(s), it said it held \
                             {mirror}"
                        ),
                    );
                    return;
                }
            }
            // A member whose group a ReInit closed is checked too: the closed group is stored.
            if !matches!(self.clients[c].role, Role::Member | Role::Resuming)
                || self.clients[c].group.is_none()
            {
                continue;
            }
            self.record_epoch(c);
            if self.diverged() {
                return;
            }
            let client = &self.clients[c];
            let Some(group) = client.group.as_ref() else {
                continue;
            };
            let problem = stored_problem(client).or_else(|| {
                let epoch = group.epoch();
                match client.store.read_epoch(group.id(), epoch) {
                    Ok(Some(bytes)) => match StoredRatchets::parse(&bytes) {
                        Ok(Some(stored)) => client.model.check_stored(&stored, epoch, &w),
                        Ok(None) => None,
                        Err(e) => Some(format!("stored ratchets do not parse: {e}")),
                    },
                    Ok(None) => Some(format!("no stored record for epoch {epoch}")),
                    Err(e) => Some(format!("store: {e}")),
                }
            });
            if let Some(problem) = problem {
                self.diverge(DivergenceKind::StoredState, format!("c{c}: {problem}"));
                return;
            }
        }
    }

    /// Whether nothing is left to deliver or settle.
    pub(crate) fn quiescent(&self) -> bool {
        self.clients.iter().all(|client| {
            client.online()
                && !self.ds.has_queued(client.index)
                && client.held.is_empty()
                && client.undecided.is_empty()
                && client.candidates.is_empty()
                && client.own_commit.is_none()
                && !client.needs_resync
                && (matches!(client.role, Role::Member | Role::Outsider)
                    || self.invitation_unused(client.role))
        })
    }

    /// Whether `role` is an invitation no commit used: the group never moved past the epoch of
    /// the Add (its proposal was never committed), so no Welcome is coming.
    fn invitation_unused(&self, role: Role) -> bool {
        match role {
            Role::Invited { epoch } => !self.canonical.contains_key(&(self.generation, epoch + 1)),
            _ => false,
        }
    }

    /// After the drain: every member at the newest epoch of the newest group.
    pub(crate) fn check_convergence(&mut self) {
        let (generation, latest) = self
            .canonical
            .keys()
            .next_back()
            .copied()
            .unwrap_or_default();
        let mut behind = Vec::new();
        for client in &self.clients {
            match (client.role, client.epoch()) {
                (Role::Member, Some(e))
                    if e == latest && client.generation == generation && client.held.is_empty() => {
                }
                (Role::Member, e) => behind.push(format!(
                    "c{} at epoch {e:?} of group {} holding {} message(s)",
                    client.index,
                    client.generation,
                    client.held.len()
                )),
                (Role::Outsider, _) => {}
                (role, _) if self.invitation_unused(role) => {}
                (role, _) => behind.push(format!("c{} still {role:?}", client.index)),
            }
        }
        if !behind.is_empty() {
            self.diverge(
                DivergenceKind::NotConverged,
                format!(
                    "at epoch {latest} of group {generation}: {}",
                    behind.join("; ")
                ),
            );
        }
    }
}

/// The state of `group` in memory.
pub(crate) fn memory_state(group: &ClientGroup) -> Result<Snapshot, String> {
    let split = group
        .group()
        .to_split_state()
        .map_err(|e| format!("cannot serialize the group: {e}"))?;
    Ok(Snapshot {
        epoch: group.epoch(),
        authenticator: group.epoch_authenticator().to_vec(),
        state: split.state.to_vec(),
        ratchets: split.ratchets.to_vec(),
        stored_state: None,
        stored_records: Vec::new(),
        pending: group.has_pending_commit(),
    })
}

/// The state of `group` in memory and everything `store` holds of it.
pub(crate) fn snapshot(group: &ClientGroup, store: &Store) -> Result<Snapshot, String> {
    let mut s = memory_state(group)?;
    let id = group.id();
    s.stored_state = store.read_state(id).map_err(|e| format!("store: {e}"))?;
    let epochs = store.epochs(id).map_err(|e| format!("store: {e}"))?;
    for epoch in epochs {
        let record = store
            .read_epoch(id, epoch)
            .map_err(|e| format!("store: {e}"))?;
        s.stored_records.push((epoch, record));
    }
    Ok(s)
}

/// What is wrong with the stored state of client `client`'s group, if anything: reloaded from
/// the store it must be the group in memory, and no record of a past epoch may remain (their
/// keys live in the current epoch's record, inside the windows).
fn stored_problem(client: &SimClient) -> Option<String> {
    let group = client.group.as_ref()?;
    let epoch = group.epoch();
    match client.store.epochs(group.id()) {
        Ok(epochs) if epochs.contains(&epoch) && epochs.iter().all(|e| *e >= epoch) => {}
        Ok(epochs) => {
            return Some(format!(
                "stored epoch records {epochs:?}, the group is at epoch {epoch}"
            ));
        }
        Err(e) => return Some(format!("store: {e}")),
    }
    let memory = match memory_state(group) {
        Ok(m) => m,
        Err(e) => return Some(e),
    };
    match client.client.load_group(group.id()) {
        Ok(Some(loaded)) => match memory_state(&loaded) {
            Ok(stored) if stored == memory => None,
            Ok(stored) => Some(format!(
                "the stored group (epoch {}, pending commit: {}) is not the group in memory \
                 (epoch {epoch}, pending commit: {})",
                stored.epoch, stored.pending, memory.pending
            )),
            Err(e) => Some(e),
        },
        Ok(None) => Some("no stored group".into()),
        Err(e) => Some(format!("the stored group does not load: {e}")),
    }
}
