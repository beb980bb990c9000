//! What a member's client is built from and how it is built: the context of every operation
//! (the crypto provider), each member's key, credential and store, and the PSKs it was given.

use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner, SuiteOps};
use cohort::group::{GroupConfig, HandshakeFormat, LifetimePolicy, MaxLifetime, StrictChecks};
use cohort::storage::Zeroizing;
use cohort::storage::memory::MemoryStore;
use cohort::{Client, MessagePolicy};

use super::Error;

/// The configuration of every group this client holds, given to every client it builds
/// (`ClientBuilder::config`): it accepts whatever lifetime and capability list a peer's client
/// emits. No maximum total lifetime, stated as such (MLSpp's KeyPackages run from 0 to 2^64-1,
/// mls-rs's for a year, OpenMLS's for about three months); expiry is still checked against the
/// current time. Capabilities that omit the group's own suite or version, misplaced known
/// extensions and default types listed in capabilities are tolerated (RFC 9420 asks none of
/// these of a receiver; docs/interop.md gives the reasons).
fn group_config() -> GroupConfig {
    GroupConfig::default()
        .with_lifetime_policy(LifetimePolicy {
            new_members: MaxLifetime::Unbounded,
            admitted: MaxLifetime::Unbounded,
            check_expiry: true,
        })
        .with_strict_checks(StrictChecks::TOLERANT)
}

/// How many days our KeyPackages and leaves stay valid.
const LEAF_DAYS: u64 = 30;

/// What the operations need besides the store.
pub(super) struct Ctx<'a> {
    pub(super) provider: &'a Arc<dyn CryptoProvider>,
}

impl Ctx<'_> {
    pub(super) fn suite(&self, suite: u32) -> Result<(CipherSuite, Arc<dyn SuiteOps>), Error> {
        let cs = u16::try_from(suite)
            .map(CipherSuite)
            .map_err(|_| Error::UnsupportedSuite(suite))?;
        let ops = self
            .provider
            .suite(cs)
            .ok_or(Error::UnsupportedSuite(suite))?;
        Ok((cs, ops))
    }
}

/// What a member's client is built from: its cipher suite, its signature key, its basic
/// credential and its store. A client is rebuilt from them, on the same key and store, when
/// its framing becomes known (a transaction joins with the framing `JoinGroup` asks for).
#[derive(Clone)]
pub(super) struct ClientParts {
    suite: CipherSuite,
    pub(super) signer: Arc<SoftwareSigner>,
    credential: Credential,
    store: Arc<MemoryStore>,
}

impl ClientParts {
    /// A new member in `suite`: a fresh signature key and an empty store.
    pub(super) fn generate(
        ctx: &Ctx<'_>,
        suite: u32,
        credential: Credential,
    ) -> Result<Self, Error> {
        let (suite, ops) = ctx.suite(suite)?;
        Ok(Self {
            suite,
            signer: Arc::new(SoftwareSigner::generate(ops)?),
            credential,
            store: Arc::new(MemoryStore::new()),
        })
    }

    /// The member's client, framing handshake messages as `format`.
    pub(super) fn client(&self, ctx: &Ctx<'_>, format: HandshakeFormat) -> Result<Client, Error> {
        Ok(Client::builder(Arc::clone(ctx.provider))
            .cipher_suite(self.suite)
            .signer(self.signer.clone())
            .credential(self.credential.clone())
            .key_package_days(LEAF_DAYS)
            .message_policy(MessagePolicy::default().handshake_format(format))
            .config(group_config())
            .build(self.store.clone())?)
    }

    /// The signature key, for `signature_priv`.
    pub(super) fn signature_priv(&self) -> Vec<u8> {
        self.signer.private_key().as_bytes().to_vec()
    }
}

/// The external PSKs a member was given (`StorePSK`, an `ExternalJoin`'s), each registered with
/// its client. Kept so that a client made later for the member (a ReInit's new group, whose
/// client needs a store of its own) gets them too.
#[derive(Clone, Default)]
pub(super) struct Psks(Vec<(Vec<u8>, Zeroizing<Vec<u8>>)>);

impl Psks {
    /// Registers `psk_id` with `client` (replacing an earlier PSK of that id) and keeps it.
    pub(super) fn add(
        &mut self,
        client: &Client,
        psk_id: Vec<u8>,
        psk: Zeroizing<Vec<u8>>,
    ) -> Result<(), Error> {
        client.register_psk(&psk_id, psk.clone())?;
        self.0.retain(|(id, _)| *id != psk_id);
        self.0.push((psk_id, psk));
        Ok(())
    }

    /// Registers every PSK with `client`.
    pub(super) fn register_all(&self, client: &Client) -> Result<(), Error> {
        for (psk_id, psk) in &self.0 {
            client.register_psk(psk_id, psk.clone())?;
        }
        Ok(())
    }
}
