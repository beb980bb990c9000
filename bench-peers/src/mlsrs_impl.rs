//! mls-rs on a chosen crypto provider (aws-lc or RustCrypto), with its default in-memory
//! storage: state stays in memory until `Group::write_to_storage`, which is the persist step.

use std::sync::Arc;

use mls_rs::client_builder::{
    BaseConfig, ClientBuilder, WithCryptoProvider, WithIdentityProvider, WithMlsRules,
};
use mls_rs::error::IntoAnyError;
use mls_rs::group::ReceivedMessage;
use mls_rs::identity::SigningIdentity;
use mls_rs::identity::basic::{BasicCredential, BasicIdentityProvider};
use mls_rs::mls_rules::{CommitOptions, DefaultMlsRules, EncryptionOptions};
use mls_rs::storage_provider::KeyPackageData;
use mls_rs::storage_provider::in_memory::InMemoryKeyPackageStorage;
use mls_rs::{CipherSuite, CipherSuiteProvider, Client, CryptoProvider, ExtensionList, MlsMessage};

use crate::{Bytes, CommitBytes, Error, Mls};

/// Suite 1.
const CS: CipherSuite = CipherSuite::CURVE25519_AES128;

/// The client configuration: default in-memory storage, basic identities, the rules of
/// SCENARIOS.md, crypto provider `P`.
type RsConfig<P> = WithMlsRules<
    DefaultMlsRules,
    WithCryptoProvider<P, WithIdentityProvider<BasicIdentityProvider, BaseConfig>>,
>;

/// mls-rs on crypto provider `P`.
#[derive(Debug)]
pub struct MlsRs<P> {
    provider: P,
    label: &'static str,
    /// A one-thread pool to run every operation in, or `None` for rayon's global pool (one
    /// thread per core: mls-rs parallelizes tree validation and path encryption).
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl MlsRs<mls_rs_crypto_awslc::AwsLcCryptoProvider> {
    /// mls-rs on aws-lc (its fastest backend in the baseline).
    pub fn aws_lc() -> Self {
        MlsRs {
            provider: mls_rs_crypto_awslc::AwsLcCryptoProvider::new(),
            label: "mls-rs (aws-lc)",
            pool: None,
        }
    }

    /// mls-rs on aws-lc with every operation run in a one-thread rayon pool, so that it does
    /// the same work on one core as cohort.
    pub fn aws_lc_one_thread() -> Self {
        // Bench setup: a one-thread pool is only refused when the OS cannot start a thread.
        #[allow(clippy::expect_used, reason = "bench setup")]
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a one-thread rayon pool");
        MlsRs {
            provider: mls_rs_crypto_awslc::AwsLcCryptoProvider::new(),
            label: "mls-rs (aws-lc, 1 thread)",
            pool: Some(Arc::new(pool)),
        }
    }
}

impl MlsRs<mls_rs_crypto_rustcrypto::RustCryptoProvider> {
    /// mls-rs on RustCrypto.
    pub fn rustcrypto() -> Self {
        MlsRs {
            provider: mls_rs_crypto_rustcrypto::RustCryptoProvider::new(),
            label: "mls-rs (RustCrypto)",
            pool: None,
        }
    }
}

/// An mls-rs client, its KeyPackage storage (kept to roll it back) and its group.
pub struct MlsRsMember<P: CryptoProvider + Clone> {
    client: Client<RsConfig<P>>,
    key_packages: InMemoryKeyPackageStorage,
    group: Option<mls_rs::Group<RsConfig<P>>>,
}

impl<P: CryptoProvider + Clone> std::fmt::Debug for MlsRsMember<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MlsRsMember").finish_non_exhaustive()
    }
}

impl<P: CryptoProvider + Clone> MlsRsMember<P> {
    fn group(&mut self) -> Result<&mut mls_rs::Group<RsConfig<P>>, Error> {
        self.group.as_mut().ok_or(Error::NoGroup)
    }
}

impl<P: Send + Sync> MlsRs<P> {
    /// Runs `f` in this subject's pool, if it has one (directly when already on the pool's
    /// thread, as the runner arranges for timed loops, so no hand-off is timed).
    fn on<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        match &self.pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }
}

/// Commits with a path and the tree in the Welcome; application messages without padding
/// (`MLSRS_PADDING=default` keeps mls-rs's own default, `StepFunction`).
fn rules() -> DefaultMlsRules {
    let padding = match std::env::var("MLSRS_PADDING").as_deref() {
        Ok("default") => mls_rs::client_builder::PaddingMode::StepFunction,
        _ => mls_rs::client_builder::PaddingMode::None,
    };
    DefaultMlsRules::new()
        .with_commit_options(
            CommitOptions::new()
                .with_path_required(true)
                .with_ratchet_tree_extension(true),
        )
        .with_encryption_options(EncryptionOptions::new(false, padding))
}

impl<P: CryptoProvider + Clone> Mls for MlsRs<P> {
    type Member = MlsRsMember<P>;
    type Checkpoint = Vec<(Vec<u8>, KeyPackageData)>;

    fn label(&self) -> &'static str {
        self.label
    }

    fn member(&self, name: &str) -> Result<MlsRsMember<P>, Error> {
        let suite = self
            .provider
            .cipher_suite_provider(CS)
            .ok_or(Error::Unexpected("mls-rs suite 1"))?;
        let (secret, public) = suite.signature_key_generate().map_err(|e| {
            Error::MlsRs(mls_rs::error::MlsError::CryptoProviderError(
                e.into_any_error(),
            ))
        })?;
        let identity = SigningIdentity::new(
            BasicCredential::new(name.as_bytes().to_vec()).into_credential(),
            public,
        );
        let key_packages = InMemoryKeyPackageStorage::new();
        let client = ClientBuilder::new()
            .key_package_repo(key_packages.clone())
            .identity_provider(BasicIdentityProvider::new())
            .crypto_provider(self.provider.clone())
            .mls_rules(rules())
            .signing_identity(identity, secret, CS)
            .build();
        Ok(MlsRsMember {
            client,
            key_packages,
            group: None,
        })
    }

    fn key_package(&self, m: &mut MlsRsMember<P>) -> Result<Bytes, Error> {
        self.on(|| {
            Ok(m.client
                .generate_key_package_message(
                    ExtensionList::default(),
                    ExtensionList::default(),
                    None,
                )?
                .to_bytes()?)
        })
    }

    fn create(&self, m: &mut MlsRsMember<P>) -> Result<(), Error> {
        m.group = Some(m.client.create_group(
            ExtensionList::default(),
            ExtensionList::default(),
            None,
        )?);
        Ok(())
    }

    fn add(&self, m: &mut MlsRsMember<P>, key_packages: &[Bytes]) -> Result<CommitBytes, Error> {
        self.on(|| {
            let group = m.group()?;
            let mut builder = group.commit_builder();
            for bytes in key_packages {
                builder = builder.add_member(MlsMessage::from_bytes(bytes)?)?;
            }
            let out = builder.build()?;
            let commit = out.commit_message.to_bytes()?;
            let welcome = out
                .welcome_messages
                .first()
                .map(|w| w.to_bytes())
                .transpose()?;
            group.apply_pending_commit()?;
            Ok(CommitBytes { commit, welcome })
        })
    }

    fn join(&self, m: &mut MlsRsMember<P>, welcome: &[u8]) -> Result<(), Error> {
        self.on(|| {
            let welcome = MlsMessage::from_bytes(welcome)?;
            let (group, _info) = m.client.join_group(None, &welcome, None)?;
            m.group = Some(group);
            Ok(())
        })
    }

    fn self_update(&self, m: &mut MlsRsMember<P>) -> Result<Bytes, Error> {
        self.on(|| {
            let group = m.group()?;
            let out = group.commit(Vec::new())?;
            let bytes = out.commit_message.to_bytes()?;
            group.apply_pending_commit()?;
            Ok(bytes)
        })
    }

    fn process_commit(&self, m: &mut MlsRsMember<P>, commit: &[u8]) -> Result<(), Error> {
        self.on(|| {
            let message = MlsMessage::from_bytes(commit)?;
            match m.group()?.process_incoming_message(message)? {
                ReceivedMessage::Commit(_) => Ok(()),
                _ => Err(Error::Unexpected("commit")),
            }
        })
    }

    fn encrypt(&self, m: &mut MlsRsMember<P>, data: &[u8]) -> Result<Bytes, Error> {
        self.on(|| {
            Ok(m.group()?
                .encrypt_application_message(data, Vec::new())?
                .to_bytes()?)
        })
    }

    fn decrypt(&self, m: &mut MlsRsMember<P>, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.on(|| {
            let message = MlsMessage::from_bytes(message)?;
            match m.group()?.process_incoming_message(message)? {
                ReceivedMessage::ApplicationMessage(app) => Ok(app.data().to_vec()),
                _ => Err(Error::Unexpected("application message")),
            }
        })
    }

    fn persist(&self, m: &mut MlsRsMember<P>) -> Result<(), Error> {
        self.on(|| Ok(m.group()?.write_to_storage()?))
    }

    fn epoch_authenticator(&self, m: &MlsRsMember<P>) -> Result<Vec<u8>, Error> {
        Ok(m.group
            .as_ref()
            .ok_or(Error::NoGroup)?
            .epoch_authenticator()?
            .to_vec())
    }

    fn checkpoint(&self, m: &MlsRsMember<P>) -> Vec<(Vec<u8>, KeyPackageData)> {
        m.key_packages.key_packages()
    }

    fn rollback(&self, m: &mut MlsRsMember<P>, checkpoint: &Vec<(Vec<u8>, KeyPackageData)>) {
        for (id, data) in checkpoint {
            m.key_packages.insert(id.clone(), data.clone());
        }
        m.group = None;
    }

    fn floor(&self, reps: crate::primitives::FloorPlan) -> Result<crate::primitives::Floor, Error> {
        crate::primitives::mls_rs(&self.provider, reps)
    }

    fn pool(&self) -> Option<Arc<rayon::ThreadPool>> {
        self.pool.clone()
    }
}
