//! Recovery: a member that cannot catch up resyncs by external commit
//! (`ClientGroup::resync` in its own leaf, or an external join replacing its leaf when it lost
//! its state).
//!
//! A member has to when the DS dropped its queue (offline too long), when the library's buffer
//! refused a handshake message (too far ahead, or full), or when its own resync lost a race. A
//! member stuck for no such reason is a [`Gap::Resync`]: the library's buffering should have
//! carried it through.

use cohort::ExternalJoinOptions;
use cohort::tree::math::LeafIndex;

use crate::ds::Payload;
use crate::member::Role;
use crate::report::{DivergenceKind, Gap};
use crate::sim::{Made, Sim};

impl Sim {
    /// Brings client `c` back into the group when it cannot catch up: its DS queue was dropped,
    /// it lost its state, or it waits for something that is no longer on its way.
    pub(crate) fn recover(&mut self, c: usize) {
        let client = &self.clients[c];
        let needed = match (client.role, client.epoch()) {
            (Role::Lost { after }, _) => self.ds.group_info().is_some_and(|g| g.epoch > after),
            // A member of a group a ReInit closed catches up in it alone: nothing is sent there.
            (Role::Member, Some(epoch)) if client.generation == self.generation => {
                if client.needs_resync {
                    true
                } else {
                    // Nothing on its way and no race pending, yet behind or holding messages:
                    // what it waits for will never come.
                    let waiting = !self.ds.has_queued(c)
                        && !client.candidates.contains_key(&epoch)
                        && client.own_commit.is_none()
                        && (epoch < self.ds.latest_epoch() || !client.held.is_empty());
                    if waiting {
                        let held: Vec<u64> = client.held.iter().map(|e| e.seq).collect();
                        if self.cfg.strict {
                            self.diverge(
                                DivergenceKind::LibraryGap(Gap::Resync),
                                format!(
                                    "c{c} at epoch {epoch} can no longer catch up (the group is \
                                     at {}; held: {held:?})",
                                    self.ds.latest_epoch()
                                ),
                            );
                            return;
                        }
                        self.stats.stuck += 1;
                        self.note(|| format!("c{c} is stuck at epoch {epoch} (held: {held:?})"));
                    }
                    waiting
                }
            }
            _ => false,
        };
        if needed {
            self.resync(c);
        }
    }

    /// Client `c` resyncs from the DS's newest GroupInfo: in its own leaf by `resync` when it
    /// still has the group, by an external join replacing its leaf otherwise. If the GroupInfo
    /// no longer lists it, it was removed while away: it deletes the group.
    fn resync(&mut self, c: usize) {
        let Some(info) = self.ds.group_info().cloned() else {
            return;
        };
        if self.external_undecided(info.epoch) {
            // Another external commit on this epoch is undecided: try again next step.
            return;
        }
        let now = self.now();
        let id = self.group_id_of(c);
        let Some(&leaf) = info.roster.get(&c) else {
            self.note(|| format!("c{c} finds itself removed from the group"));
            if self.clients[c].group.is_some() || matches!(self.clients[c].role, Role::Lost { .. })
            {
                self.removed(c);
            }
            return;
        };
        let client = &mut self.clients[c];
        let own = client.group.as_ref().map(|g| g.own_leaf().0);
        let (group, commit) = if own == Some(leaf) {
            let Some(group) = client.group.as_mut() else {
                return;
            };
            match group.resync(&info.message, now) {
                Ok(commit) => (None, commit),
                Err(e) => {
                    self.diverge(
                        DivergenceKind::OperationFailed,
                        format!("c{c} cannot resync from epoch {}: {e}", info.epoch),
                    );
                    return;
                }
            }
        } else {
            // Its handle (if any) is of another tree: start over in its own place.
            client.group = None;
            if let Err(e) = client.client.delete_group(&id) {
                self.diverge(
                    DivergenceKind::OperationFailed,
                    format!("c{c} cannot delete its stale group: {e}"),
                );
                return;
            }
            let options = ExternalJoinOptions::default().replacing(LeafIndex(leaf));
            match client
                .client
                .join_by_external_commit_with(&info.message, options, now)
            {
                Ok((group, commit)) => (Some(group), commit),
                Err(e) => {
                    self.diverge(
                        DivergenceKind::OperationFailed,
                        format!("c{c} cannot rejoin in its leaf {leaf}: {e}"),
                    );
                    return;
                }
            }
        };
        if let Some(group) = group {
            // A new handle: what the old one held is gone with it.
            client.group = Some(group);
            client.generation = self.generation;
            client.new_handle();
        }
        client.undecided.clear();
        client.candidates.clear();
        client.own_commit = None;
        client.needs_resync = false;
        let new_leaf = client.group.as_ref().map_or(leaf, |g| g.own_leaf().0);
        let env = self.ds.envelope(
            Payload::Commit { external: true },
            info.epoch,
            c,
            new_leaf,
            self.step,
            commit,
        );
        if own == Some(leaf) {
            // `resync` keeps the handle, which remembers the commit.
            self.clients[c].sent_handshake(env.seq);
        }
        self.note(|| format!("c{c} resyncs at epoch {} (#{})", info.epoch, env.seq));
        self.submit(Made {
            client: c,
            env,
            welcome: None,
            roster_before: Vec::new(),
            external: Some(true),
        });
    }
}
