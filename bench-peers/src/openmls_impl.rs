//! OpenMLS on its RustCrypto provider (`openmls_rust_crypto`), with its in-memory storage, which
//! it writes inside every operation (so persisting is a no-op).

use std::collections::HashMap;

use openmls::prelude::tls_codec::{Deserialize, Serialize};
use openmls::prelude::{
    BasicCredential, Ciphersuite, CredentialWithKey, KeyPackage, LeafNodeParameters,
    MIXED_PLAINTEXT_WIRE_FORMAT_POLICY, MlsGroup, MlsGroupJoinConfig, MlsMessageBodyIn,
    MlsMessageIn, MlsMessageOut, ProcessedMessageContent, ProtocolVersion, StagedWelcome,
};
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;
use openmls_traits::OpenMlsProvider;

use crate::{Bytes, CommitBytes, Error, Mls};

/// Suite 1.
const CS: Ciphersuite = Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

/// OpenMLS on RustCrypto (its fastest backend in the baseline), on one suite.
#[derive(Debug)]
pub struct OpenMls {
    suite: Ciphersuite,
    label: &'static str,
}

impl Default for OpenMls {
    /// Suite 1.
    fn default() -> Self {
        Self {
            suite: CS,
            label: "OpenMLS (RustCrypto)",
        }
    }
}

impl OpenMls {
    /// OpenMLS on `suite` (one of its post-quantum suites, at its code point), labelled `label`.
    ///
    /// # Errors
    /// [`Error::Unexpected`] when OpenMLS does not know the code point.
    pub fn with_suite(suite: u16, label: &'static str) -> Result<Self, Error> {
        let suite = Ciphersuite::try_from(suite).map_err(|_| Error::Unexpected("OpenMLS suite"))?;
        Ok(Self { suite, label })
    }
}

/// An OpenMLS client: its provider (crypto and storage), signer, credential and group.
pub struct OpenMlsMember {
    provider: OpenMlsRustCrypto,
    signer: SignatureKeyPair,
    credential: CredentialWithKey,
    group: Option<MlsGroup>,
}

impl std::fmt::Debug for OpenMlsMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenMlsMember").finish_non_exhaustive()
    }
}

/// Commits as PublicMessage (`MIXED_PLAINTEXT`: plaintext out, either in); the tree in the
/// Welcome.
fn join_config() -> MlsGroupJoinConfig {
    MlsGroupJoinConfig::builder()
        .wire_format_policy(MIXED_PLAINTEXT_WIRE_FORMAT_POLICY)
        .use_ratchet_tree_extension(true)
        .build()
}

fn parse(bytes: &[u8]) -> Result<MlsMessageIn, Error> {
    MlsMessageIn::tls_deserialize_exact(bytes).map_err(|e| Error::openmls("parse", e))
}

fn serialize(message: &MlsMessageOut) -> Result<Bytes, Error> {
    message
        .tls_serialize_detached()
        .map_err(|e| Error::openmls("serialize", e))
}

impl OpenMlsMember {
    fn group(&mut self) -> Result<&mut MlsGroup, Error> {
        self.group.as_mut().ok_or(Error::NoGroup)
    }
}

impl Mls for OpenMls {
    type Member = OpenMlsMember;
    type Checkpoint = HashMap<Vec<u8>, Vec<u8>>;

    fn label(&self) -> &'static str {
        self.label
    }

    fn member(&self, name: &str) -> Result<OpenMlsMember, Error> {
        let provider = OpenMlsRustCrypto::default();
        let signer = SignatureKeyPair::new(self.suite.signature_algorithm())
            .map_err(|e| Error::openmls("signature key", e))?;
        signer
            .store(provider.storage())
            .map_err(|e| Error::openmls("store signature key", e))?;
        let credential = CredentialWithKey {
            credential: BasicCredential::new(name.as_bytes().to_vec()).into(),
            signature_key: signer.public().into(),
        };
        Ok(OpenMlsMember {
            provider,
            signer,
            credential,
            group: None,
        })
    }

    fn key_package(&self, m: &mut OpenMlsMember) -> Result<Bytes, Error> {
        let bundle = KeyPackage::builder()
            .build(self.suite, &m.provider, &m.signer, m.credential.clone())
            .map_err(|e| Error::openmls("key package", e))?;
        serialize(&MlsMessageOut::from(bundle.key_package().clone()))
    }

    fn create(&self, m: &mut OpenMlsMember) -> Result<(), Error> {
        let group = MlsGroup::builder()
            .ciphersuite(self.suite)
            .with_wire_format_policy(MIXED_PLAINTEXT_WIRE_FORMAT_POLICY)
            .use_ratchet_tree_extension(true)
            .build(&m.provider, &m.signer, m.credential.clone())
            .map_err(|e| Error::openmls("create group", e))?;
        m.group = Some(group);
        Ok(())
    }

    fn add(&self, m: &mut OpenMlsMember, key_packages: &[Bytes]) -> Result<CommitBytes, Error> {
        let mut kps = Vec::with_capacity(key_packages.len());
        for bytes in key_packages {
            let MlsMessageBodyIn::KeyPackage(kp) = parse(bytes)?.extract() else {
                return Err(Error::Unexpected("KeyPackage"));
            };
            kps.push(
                kp.validate(m.provider.crypto(), ProtocolVersion::Mls10)
                    .map_err(|e| Error::openmls("validate key package", e))?,
            );
        }
        let group = m.group.as_mut().ok_or(Error::NoGroup)?;
        let (commit, welcome, _group_info) = group
            .add_members(&m.provider, &m.signer, &kps)
            .map_err(|e| Error::openmls("add members", e))?;
        let out = CommitBytes {
            commit: serialize(&commit)?,
            welcome: Some(serialize(&welcome)?),
        };
        group
            .merge_pending_commit(&m.provider)
            .map_err(|e| Error::openmls("merge pending commit", e))?;
        Ok(out)
    }

    fn join(&self, m: &mut OpenMlsMember, welcome: &[u8]) -> Result<(), Error> {
        let MlsMessageBodyIn::Welcome(welcome) = parse(welcome)?.extract() else {
            return Err(Error::Unexpected("Welcome"));
        };
        let group = StagedWelcome::new_from_welcome(&m.provider, &join_config(), welcome, None)
            .map_err(|e| Error::openmls("stage welcome", e))?
            .into_group(&m.provider)
            .map_err(|e| Error::openmls("welcome into group", e))?;
        m.group = Some(group);
        Ok(())
    }

    fn self_update(&self, m: &mut OpenMlsMember) -> Result<Bytes, Error> {
        let group = m.group.as_mut().ok_or(Error::NoGroup)?;
        let bundle = group
            .self_update(&m.provider, &m.signer, LeafNodeParameters::default())
            .map_err(|e| Error::openmls("self update", e))?;
        let bytes = serialize(bundle.commit())?;
        group
            .merge_pending_commit(&m.provider)
            .map_err(|e| Error::openmls("merge pending commit", e))?;
        Ok(bytes)
    }

    fn process_commit(&self, m: &mut OpenMlsMember, commit: &[u8]) -> Result<(), Error> {
        let message = parse(commit)?
            .try_into_protocol_message()
            .map_err(|e| Error::openmls("protocol message", e))?;
        let provider = &m.provider;
        let group = m.group.as_mut().ok_or(Error::NoGroup)?;
        let processed = group
            .process_message(provider, message)
            .map_err(|e| Error::openmls("process commit", e))?;
        let ProcessedMessageContent::StagedCommitMessage(staged) = processed.into_content() else {
            return Err(Error::Unexpected("commit"));
        };
        group
            .merge_staged_commit(provider, *staged)
            .map_err(|e| Error::openmls("merge staged commit", e))
    }

    fn encrypt(&self, m: &mut OpenMlsMember, data: &[u8]) -> Result<Bytes, Error> {
        let group = m.group.as_mut().ok_or(Error::NoGroup)?;
        let message = group
            .create_message(&m.provider, &m.signer, data)
            .map_err(|e| Error::openmls("create message", e))?;
        serialize(&message)
    }

    fn decrypt(&self, m: &mut OpenMlsMember, message: &[u8]) -> Result<Vec<u8>, Error> {
        let message = parse(message)?
            .try_into_protocol_message()
            .map_err(|e| Error::openmls("protocol message", e))?;
        let provider = &m.provider;
        let group = m.group.as_mut().ok_or(Error::NoGroup)?;
        let processed = group
            .process_message(provider, message)
            .map_err(|e| Error::openmls("process application message", e))?;
        match processed.into_content() {
            ProcessedMessageContent::ApplicationMessage(app) => Ok(app.into_bytes()),
            _ => Err(Error::Unexpected("application message")),
        }
    }

    fn persist(&self, m: &mut OpenMlsMember) -> Result<(), Error> {
        // OpenMLS has already written its storage inside the operation.
        m.group()?;
        Ok(())
    }

    fn epoch_authenticator(&self, m: &OpenMlsMember) -> Result<Vec<u8>, Error> {
        Ok(m.group
            .as_ref()
            .ok_or(Error::NoGroup)?
            .epoch_authenticator()
            .as_slice()
            .to_vec())
    }

    fn checkpoint(&self, m: &OpenMlsMember) -> HashMap<Vec<u8>, Vec<u8>> {
        // Bench setup: a poisoned lock means an earlier panic, which already failed the run.
        #[allow(clippy::expect_used, reason = "bench setup")]
        m.provider
            .storage()
            .values
            .read()
            .expect("storage lock")
            .clone()
    }

    fn rollback(&self, m: &mut OpenMlsMember, checkpoint: &HashMap<Vec<u8>, Vec<u8>>) {
        #[allow(clippy::expect_used, reason = "bench setup")]
        let mut values = m.provider.storage().values.write().expect("storage lock");
        *values = checkpoint.clone();
        m.group = None;
    }

    fn floor(&self, reps: crate::primitives::FloorPlan) -> Result<crate::primitives::Floor, Error> {
        crate::primitives::openmls(reps)
    }
}
