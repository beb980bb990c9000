//! One simulated client: a facade [`Client`] with its own store, its handle of the group, and
//! what the simulation tracks about it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CryptoProvider, Signer};
use cohort::group::GroupConfig;
use cohort::messages::MlsMessage;
use cohort::storage::memory::MemoryStore;
use cohort::storage::sqlite::SqliteStore;
use cohort::storage::{GroupStore, StorageError, StorageProvider};
use cohort::{Client, ClientGroup, DeliveryPolicy};

use crate::ds::Envelope;
use crate::model::MemberModel;

/// A client's store: in memory (kept across a restart, as a process-independent store would
/// be) or a SQLite file (reopened on a restart).
pub(crate) enum Store {
    Memory(Arc<MemoryStore>),
    Sqlite {
        path: PathBuf,
        store: Arc<SqliteStore>,
    },
}

impl Store {
    pub(crate) fn sqlite(path: PathBuf) -> Result<Self, StorageError> {
        let store = Arc::new(SqliteStore::open(&path)?);
        Ok(Self::Sqlite { path, store })
    }

    /// The store as the facade takes it.
    pub(crate) fn provider(&self) -> Arc<dyn StorageProvider> {
        match self {
            Store::Memory(s) => Arc::clone(s) as Arc<dyn StorageProvider>,
            Store::Sqlite { store, .. } => Arc::clone(store) as Arc<dyn StorageProvider>,
        }
    }

    /// The stored state blob and its epoch.
    pub(crate) fn read_state(
        &self,
        group_id: &[u8],
    ) -> Result<Option<(u64, Vec<u8>)>, StorageError> {
        let stored = match self {
            Store::Memory(s) => s.read_state(group_id)?,
            Store::Sqlite { store, .. } => store.read_state(group_id)?,
        };
        Ok(stored.map(|g| (g.epoch, g.state.to_vec())))
    }

    /// The stored record of `epoch` (the secret trees).
    pub(crate) fn read_epoch(
        &self,
        group_id: &[u8],
        epoch: u64,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let record = match self {
            Store::Memory(s) => s.read_epoch(group_id, epoch)?,
            Store::Sqlite { store, .. } => store.read_epoch(group_id, epoch)?,
        };
        Ok(record.map(|r| r.to_vec()))
    }

    /// The epochs with a stored record.
    pub(crate) fn epochs(&self, group_id: &[u8]) -> Result<Vec<u64>, StorageError> {
        match self {
            Store::Memory(s) => s.epochs(group_id),
            Store::Sqlite { store, .. } => store.epochs(group_id),
        }
    }

    /// Closes and reopens a SQLite store (a memory store stays as it is).
    pub(crate) fn reopen(&mut self) -> Result<(), StorageError> {
        if let Store::Sqlite { path, store } = self {
            // The old connection closes once the client and its handles are dropped too.
            *store = Arc::new(SqliteStore::open(&*path)?);
        }
        Ok(())
    }

    /// `sqlite` or `memory`, for the trace.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Store::Memory(_) => "memory",
            Store::Sqlite { .. } => "sqlite",
        }
    }
}

/// Where a client stands with the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Not in the group.
    Outsider,
    /// Its KeyPackage went into an Add made at `epoch`; it waits for a Welcome.
    Invited { epoch: u64 },
    /// A member.
    Member,
    /// Fan-out mode: joined (or resynced) by an external commit on epoch `base` that may still
    /// lose the race for that epoch.
    Tentative { base: u64, resync: bool },
    /// A member that lost its state (its resync on epoch `after` lost the race): it rejoins in
    /// its own place from a GroupInfo newer than `after`.
    Lost { after: u64 },
    /// A member whose group merged a ReInit commit (status `ReInitPending`): the group accepts
    /// nothing more, and the member waits for the Welcome of the new group.
    Resuming,
}

/// The handle of a group a ReInit closed, kept after joining the new group so that messages
/// still in flight for it are given to it (and refused); dropped on a restart (its state is
/// deleted from the store once the new group is joined).
pub(crate) struct Retired {
    /// Its group (see [`crate::ds::Envelope::group`]).
    pub generation: u32,
    pub group: ClientGroup,
    /// The handshake messages the handle remembers sending (see [`SimClient::sent`]).
    pub sent: VecDeque<u64>,
}

/// Our own commit, waiting for the race of its epoch to be settled.
#[derive(Debug)]
pub(crate) struct OwnCommit {
    /// The DS's sequence number of the commit.
    pub seq: u64,
    /// Its Welcome, sent if it wins.
    pub welcome: Option<MlsMessage>,
    /// The roster before it, to tell whom the Welcome is for.
    pub roster_before: Roster,
}

/// How many of its own handshake messages a group handle remembers to recognise their echoes
/// (`docs/delivery.md`, *Echoes*).
pub(crate) const REMEMBERED_SENT: usize = 16;

/// A roster: (leaf, client) in leaf order.
pub(crate) type Roster = Vec<(u32, usize)>;

/// A simulated client.
pub(crate) struct SimClient {
    pub index: usize,
    pub signer: Arc<dyn Signer>,
    pub store: Store,
    pub client: Client,
    pub group: Option<ClientGroup>,
    /// The group `group` is of (see [`crate::ds::Envelope::group`]).
    pub generation: u32,
    /// The group a ReInit closed, after the member joined the new one.
    pub retired: Option<Retired>,
    /// The Welcome of a ReInit's new group, kept until the member has merged the ReInit.
    pub reinit_welcome: Option<Rc<Envelope>>,
    pub role: Role,
    /// Offline until this step (`None`: online).
    pub offline_until: Option<u64>,
    /// The DS dropped its queue: it must resync.
    pub needs_resync: bool,
    /// What its group handle holds (`Received::Held`), in the order the library holds it: a
    /// mirror of the library's buffer, to check each result of `process_held` against the
    /// message it is for.
    pub held: Vec<Rc<Envelope>>,
    /// Fan-out mode, while its external commit is undecided: messages of the epochs after it.
    pub undecided: Vec<Rc<Envelope>>,
    /// Fan-out mode, while its external join is undecided: a lost commit's Add of it was
    /// proposed again at this epoch; if the join loses, it is invited.
    pub invited_if_out: Option<u64>,
    /// Our own handshake messages its group handle sent and remembers (to recognise their
    /// echoes), oldest first.
    pub sent: VecDeque<u64>,
    /// Fan-out mode: commits competing for an epoch, by epoch.
    pub candidates: BTreeMap<u64, Vec<Rc<Envelope>>>,
    /// Fan-out mode: our own commit, until its race is settled. Ordered mode: a commit the DS
    /// refused that we keep pending until the winner arrives (the library then reports it
    /// lost).
    pub own_commit: Option<OwnCommit>,
    /// The model of its keys.
    pub model: MemberModel,
    /// Application messages it decrypted.
    pub decrypted: BTreeSet<u64>,
    /// Proposals it cached in its current epoch: (epoch, count).
    pub proposals: (u64, u32),
}

impl SimClient {
    /// Whether it is online.
    pub(crate) fn online(&self) -> bool {
        self.offline_until.is_none()
    }

    /// Whether it is a member that can act: online, with a group, not waiting to resync (nor
    /// for the new group of a ReInit).
    pub(crate) fn can_act(&self) -> bool {
        self.online() && self.role == Role::Member && self.group.is_some() && !self.needs_resync
    }

    /// Its group's epoch, if it has a group.
    pub(crate) fn epoch(&self) -> Option<u64> {
        self.group.as_ref().map(ClientGroup::epoch)
    }

    /// Its group handle sent `seq`, one of our handshake messages: the handle remembers its
    /// last [`REMEMBERED_SENT`].
    pub(crate) fn sent_handshake(&mut self, seq: u64) {
        if self.sent.len() == REMEMBERED_SENT {
            self.sent.pop_front();
        }
        self.sent.push_back(seq);
    }

    /// A new group handle (a join, a restart): it remembers nothing it sent, holds nothing.
    pub(crate) fn new_handle(&mut self) {
        self.sent.clear();
        self.held.clear();
    }
}

/// The identity of client `index`.
pub(crate) fn identity(index: usize) -> Vec<u8> {
    format!("c{index}").into_bytes()
}

/// The client of a credential made by [`identity`].
pub(crate) fn client_of(credential: &Credential) -> Option<usize> {
    match credential {
        Credential::Basic { identity } => std::str::from_utf8(identity.as_slice())
            .ok()?
            .strip_prefix('c')?
            .parse()
            .ok(),
        _ => None,
    }
}

/// The roster of `group`.
pub(crate) fn roster(group: &ClientGroup) -> Roster {
    group
        .members()
        .iter()
        .map(|m| (m.leaf.0, client_of(&m.credential).unwrap_or(usize::MAX)))
        .collect()
}

/// Builds the facade client of `index` on `store`.
pub(crate) fn build_client(
    provider: &Arc<dyn CryptoProvider>,
    signer: &Arc<dyn Signer>,
    index: usize,
    config: &GroupConfig,
    delivery: DeliveryPolicy,
    store: &Store,
) -> Result<Client, cohort::Error> {
    Client::builder(Arc::clone(provider))
        .signer(Arc::clone(signer))
        .credential(Credential::basic(identity(index)))
        .config(config.clone())
        .delivery_policy(delivery)
        .build(store.provider())
}
