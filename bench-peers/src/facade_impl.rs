//! cohort through its facade, as applications use it: a [`Client`] on the in-memory store, whose
//! every operation writes the group before it returns (so the store's cost is in the timed
//! regions, as OpenMLS's and mls-rs's storage is in theirs).

use std::sync::Arc;

use cohort::codec::{Decode, Encode};
use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::messages::MlsMessage;
use cohort::storage::memory::MemoryStore;
use cohort::storage::{GroupStore, KeyPackageStore, Zeroizing};
use cohort::{Client, ClientGroup, Received};

use crate::{Bytes, CommitBytes, Error, Mls};

/// Suite 1, MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519.
const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
/// The time every operation runs at (lifetimes are checked against it).
const NOW: u64 = 1_800_000_000;
/// The group every scenario makes.
const GROUP: &[u8] = b"bench-peers";

/// cohort's facade on one provider.
#[derive(Debug)]
pub struct Facade {
    provider: Arc<dyn CryptoProvider>,
    suite: CipherSuite,
    label: &'static str,
}

impl Facade {
    /// The facade on the aws-lc-rs backend, its default, on suite 1.
    pub fn aws_lc() -> Self {
        Facade {
            provider: Arc::new(cohort::crypto::aws_lc::provider()),
            suite: CS,
            label: "cohort facade (aws-lc)",
        }
    }

    /// The facade on the RustCrypto backend with the post-quantum suites, also at OpenMLS's
    /// code points (`PqCodePoints::OPENMLS`), on `suite`, labelled `label`.
    pub fn rustcrypto_pq(suite: CipherSuite, label: &'static str) -> Self {
        Facade {
            provider: Arc::new(cohort::crypto::rustcrypto::provider_with_pq_code_points(
                cohort::crypto::PqCodePoints::OPENMLS,
            )),
            suite,
            label,
        }
    }

    /// The facade on aws-lc's PQ provider, at OpenMLS's code points (as [`Facade::rustcrypto_pq`]).
    pub fn aws_lc_pq(suite: CipherSuite, label: &'static str) -> Self {
        Facade {
            provider: Arc::new(cohort::crypto::aws_lc::provider_with_pq_code_points(
                cohort::crypto::PqCodePoints::OPENMLS,
            )),
            suite,
            label,
        }
    }
}

/// A facade client, its store and its group.
#[derive(Debug)]
pub struct FacadeMember {
    client: Client,
    store: Arc<MemoryStore>,
    group: Option<ClientGroup>,
}

impl FacadeMember {
    fn group(&mut self) -> Result<&mut ClientGroup, Error> {
        self.group.as_mut().ok_or(Error::NoGroup)
    }

    /// The bytes its store holds for the group: the state and every epoch record.
    ///
    /// # Errors
    /// [`Error::NoGroup`] when nothing is stored; a storage failure.
    pub fn stored_bytes(&self) -> Result<usize, Error> {
        let state = self
            .store
            .read_state(GROUP)
            .map_err(|_| Error::Unexpected("stored state"))?
            .ok_or(Error::NoGroup)?;
        let mut total = state.state.len();
        for epoch in self
            .store
            .epochs(GROUP)
            .map_err(|_| Error::Unexpected("stored epochs"))?
        {
            if let Ok(Some(record)) = self.store.read_epoch(GROUP, epoch) {
                total += record.len();
            }
        }
        Ok(total)
    }
}

impl Mls for Facade {
    type Member = FacadeMember;
    /// The KeyPackage records in the store, put back after a join consumed one.
    type Checkpoint = Vec<(Vec<u8>, Zeroizing<Vec<u8>>)>;

    fn label(&self) -> &'static str {
        self.label
    }

    fn member(&self, name: &str) -> Result<FacadeMember, Error> {
        let suite = self.provider.require_suite(self.suite)?;
        let store = Arc::new(MemoryStore::new());
        let client = Client::builder(self.provider.clone())
            .cipher_suite(self.suite)
            .signer(Arc::new(SoftwareSigner::generate(suite)?))
            .credential(Credential::basic(name.as_bytes().to_vec()))
            .build(store.clone())?;
        Ok(FacadeMember {
            client,
            store,
            group: None,
        })
    }

    fn key_package(&self, m: &mut FacadeMember) -> Result<Bytes, Error> {
        Ok(m.client.generate_key_package(NOW)?.to_bytes()?)
    }

    fn create(&self, m: &mut FacadeMember) -> Result<(), Error> {
        m.group = Some(m.client.create_group(GROUP, NOW)?);
        Ok(())
    }

    fn add(&self, m: &mut FacadeMember, key_packages: &[Bytes]) -> Result<CommitBytes, Error> {
        let kps = key_packages
            .iter()
            .map(|b| MlsMessage::from_bytes(b))
            .collect::<Result<Vec<_>, _>>()?;
        let group = m.group()?;
        let out = group.add_members(&kps, NOW)?;
        let commit = out.commit.to_bytes()?;
        let welcome = out.welcome.map(|w| w.to_bytes()).transpose()?;
        group.merge_pending_commit()?;
        Ok(CommitBytes { commit, welcome })
    }

    fn join(&self, m: &mut FacadeMember, welcome: &[u8]) -> Result<(), Error> {
        let welcome = MlsMessage::from_bytes(welcome)?;
        m.group = Some(m.client.join(&welcome, None, NOW)?);
        Ok(())
    }

    fn self_update(&self, m: &mut FacadeMember) -> Result<Bytes, Error> {
        let group = m.group()?;
        let out = group.self_update(NOW)?;
        let bytes = out.commit.to_bytes()?;
        group.merge_pending_commit()?;
        Ok(bytes)
    }

    fn process_commit(&self, m: &mut FacadeMember, commit: &[u8]) -> Result<(), Error> {
        let message = MlsMessage::from_bytes(commit)?;
        let group = m.group()?;
        match group.process_message(message, NOW)? {
            Received::Commit(staged) => {
                group.merge_staged(*staged)?;
                Ok(())
            }
            _ => Err(Error::Unexpected("commit")),
        }
    }

    fn encrypt(&self, m: &mut FacadeMember, data: &[u8]) -> Result<Bytes, Error> {
        Ok(m.group()?.send_message(data)?.to_bytes()?)
    }

    fn decrypt(&self, m: &mut FacadeMember, message: &[u8]) -> Result<Vec<u8>, Error> {
        let message = MlsMessage::from_bytes(message)?;
        match m.group()?.process_message(message, NOW)? {
            Received::Application { data, .. } => Ok(data),
            _ => Err(Error::Unexpected("application message")),
        }
    }

    /// A no-op: every facade operation has written the group before it returned.
    fn persist(&self, _m: &mut FacadeMember) -> Result<(), Error> {
        Ok(())
    }

    fn epoch_authenticator(&self, m: &FacadeMember) -> Result<Vec<u8>, Error> {
        Ok(m.group
            .as_ref()
            .ok_or(Error::NoGroup)?
            .epoch_authenticator()
            .to_vec())
    }

    fn checkpoint(&self, m: &FacadeMember) -> Self::Checkpoint {
        let refs = m.store.key_package_refs().unwrap_or_default();
        refs.into_iter()
            .filter_map(|r| {
                let record = m.store.key_package(&r).ok().flatten()?;
                Some((r, record))
            })
            .collect()
    }

    fn rollback(&self, m: &mut FacadeMember, checkpoint: &Self::Checkpoint) {
        m.group = None;
        // Best effort, untimed: the next join fails loudly if the store did not take these.
        let _ = m.store.delete_group(GROUP);
        for (r, record) in checkpoint {
            let _ = m.store.insert_key_package(r, record.clone());
        }
    }

    fn floor(&self, reps: crate::primitives::FloorPlan) -> Result<crate::primitives::Floor, Error> {
        crate::primitives::cohort(&*self.provider, reps)
    }
}
