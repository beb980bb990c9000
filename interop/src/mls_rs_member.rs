//! [`Member`] on the published `mls-rs` crate, with `mls-rs-crypto-rustcrypto` (suites 1, 2, 3
//! and 7) and basic credentials.
//!
//! mls-rs's client type spells out its whole configuration, so the member is generic over it
//! and [`new_member`] hands it out as a trait object.

use mls_rs::client_builder::{MlsConfig, PaddingMode};
use mls_rs::error::{IntoAnyError, MlsError};
use mls_rs::extension::ExtensionType;
use mls_rs::extension::built_in::RequiredCapabilitiesExt;
use mls_rs::group::{CommitEffect, CommitOutput, ReceivedMessage};
use mls_rs::identity::basic::{BasicCredential, BasicIdentityProvider};
use mls_rs::identity::{CredentialType, SigningIdentity};
use mls_rs::mls_rules::{DefaultMlsRules, EncryptionOptions};
use mls_rs::psk::{ExternalPskId, PreSharedKey};
use mls_rs::{
    CipherSuite, CipherSuiteProvider, Client, CryptoProvider, Extension, ExtensionList, Group,
    MlsMessage,
};
use mls_rs_crypto_rustcrypto::RustCryptoProvider;

use crate::member::{
    CommitBytes, Error, HARNESS_EXTENSION, HARNESS_PSKS, Implementation, Incoming, Member,
    MemberOptions, harness_psk,
};

/// An mls-rs client named `identity` for `suite`, as a [`Member`].
///
/// # Errors
/// [`Error::UnsupportedSuite`]; a failure making the signing key.
pub fn new_member(
    identity: &str,
    suite: u16,
    options: MemberOptions,
) -> Result<Box<dyn Member>, Error> {
    let crypto = RustCryptoProvider::default();
    let cs = CipherSuite::from(suite);
    let ops = crypto
        .cipher_suite_provider(cs)
        .ok_or(Error::UnsupportedSuite {
            implementation: Implementation::MlsRs,
            suite,
        })?;
    let (secret, public) = ops
        .signature_key_generate()
        .map_err(|e| MlsError::CryptoProviderError(e.into_any_error()))?;
    let credential = BasicCredential::new(identity.as_bytes().to_vec()).into_credential();
    let mut builder = Client::builder();
    for (id, secret) in HARNESS_PSKS {
        builder = builder.psk(
            ExternalPskId::new(id.to_vec()),
            PreSharedKey::new(secret.to_vec()),
        );
    }
    let client = builder
        .extension_type(ExtensionType::new(HARNESS_EXTENSION))
        .crypto_provider(crypto)
        .identity_provider(BasicIdentityProvider::new())
        .mls_rules(
            DefaultMlsRules::new().with_encryption_options(EncryptionOptions::new(
                options.private_handshakes,
                // mls-rs's default padding, so that receivers strip real padding (§6.3.1).
                PaddingMode::StepFunction,
            )),
        )
        .signing_identity(SigningIdentity::new(credential, public), secret, cs)
        .build();
    Ok(Box::new(MlsRsMember {
        identity: identity.to_owned(),
        client,
        group: None,
    }))
}

/// An mls-rs client with at most one group.
struct MlsRsMember<C: MlsConfig> {
    identity: String,
    client: Client<C>,
    group: Option<Group<C>>,
}

impl<C: MlsConfig> MlsRsMember<C> {
    fn group(&self) -> Result<&Group<C>, Error> {
        self.group
            .as_ref()
            .ok_or_else(|| Error::Harness(format!("{} (mls-rs) is in no group", self.identity)))
    }

    fn group_mut(&mut self) -> Result<&mut Group<C>, Error> {
        let identity = &self.identity;
        self.group
            .as_mut()
            .ok_or_else(|| Error::Harness(format!("{identity} (mls-rs) is in no group")))
    }
}

impl<C: MlsConfig> Member for MlsRsMember<C> {
    fn implementation(&self) -> Implementation {
        Implementation::MlsRs
    }

    fn identity(&self) -> &str {
        &self.identity
    }

    fn key_package(&mut self) -> Result<Vec<u8>, Error> {
        let kp = self.client.generate_key_package_message(
            ExtensionList::default(),
            ExtensionList::default(),
            None,
        )?;
        Ok(kp.to_bytes()?)
    }

    fn create_group(&mut self, group_id: &[u8]) -> Result<(), Error> {
        if self.group.is_some() {
            return Err(Error::Harness(format!(
                "{} (mls-rs) is in a group already",
                self.identity
            )));
        }
        self.group = Some(self.client.create_group_with_id(
            group_id.to_vec(),
            ExtensionList::default(),
            ExtensionList::default(),
            None,
        )?);
        Ok(())
    }

    fn add_members(&mut self, key_packages: &[Vec<u8>]) -> Result<CommitBytes, Error> {
        let group = self.group_mut()?;
        let mut builder = group.commit_builder();
        for kp in key_packages {
            builder = builder.add_member(MlsMessage::from_bytes(kp)?)?;
        }
        let out = builder.build()?;
        group.apply_pending_commit()?;
        let welcome = match out.welcome_messages.as_slice() {
            [one] => one.to_bytes()?,
            other => {
                return Err(Error::Harness(format!(
                    "mls-rs made {} Welcomes for one add commit",
                    other.len()
                )));
            }
        };
        Ok(CommitBytes {
            commit: out.commit_message.to_bytes()?,
            welcome: Some(welcome),
        })
    }

    fn join(&mut self, welcome: &[u8]) -> Result<(), Error> {
        let welcome = MlsMessage::from_bytes(welcome)?;
        let (group, _info) = self.client.join_group(None, &welcome, None)?;
        self.group = Some(group);
        Ok(())
    }

    fn group_info(&mut self) -> Result<Vec<u8>, Error> {
        Ok(self
            .group()?
            .group_info_message_allowing_ext_commit(true)?
            .to_bytes()?)
    }

    fn join_external(&mut self, group_info: &[u8]) -> Result<Vec<u8>, Error> {
        if self.group.is_some() {
            return Err(Error::Harness(format!(
                "{} (mls-rs) is in a group already",
                self.identity
            )));
        }
        let (group, commit) = self
            .client
            .external_commit_builder()?
            .build(MlsMessage::from_bytes(group_info)?)?;
        self.group = Some(group);
        Ok(commit.to_bytes()?)
    }

    fn process(&mut self, message: &[u8]) -> Result<Incoming, Error> {
        let message = MlsMessage::from_bytes(message)?;
        match self.group_mut()?.process_incoming_message(message)? {
            ReceivedMessage::ApplicationMessage(app) => {
                Ok(Incoming::Application(app.data().to_vec()))
            }
            ReceivedMessage::Commit(commit) => Ok(Incoming::Commit {
                removed_us: matches!(commit.effect, CommitEffect::Removed { .. }),
            }),
            ReceivedMessage::Proposal(_) => Ok(Incoming::Proposal),
            other => Err(Error::Harness(format!(
                "mls-rs returned an unexpected result: {other:?}"
            ))),
        }
    }

    fn self_update(&mut self) -> Result<Vec<u8>, Error> {
        let group = self.group_mut()?;
        // A commit with no proposals carries a path (mls-rs always adds one to an empty commit).
        let out = group.commit(Vec::new())?;
        if !out.contains_update_path {
            return Err(Error::Harness(
                "mls-rs made a self-update without a path".into(),
            ));
        }
        group.apply_pending_commit()?;
        Ok(out.commit_message.to_bytes()?)
    }

    fn remove(&mut self, leaf: u32) -> Result<Vec<u8>, Error> {
        let group = self.group_mut()?;
        let out = group.commit_builder().remove_member(leaf)?.build()?;
        group.apply_pending_commit()?;
        Ok(out.commit_message.to_bytes()?)
    }

    fn propose_update(&mut self) -> Result<Vec<u8>, Error> {
        Ok(self.group_mut()?.propose_update(Vec::new())?.to_bytes()?)
    }

    fn propose_remove(&mut self, leaf: u32) -> Result<Vec<u8>, Error> {
        Ok(self
            .group_mut()?
            .propose_remove(leaf, Vec::new())?
            .to_bytes()?)
    }

    fn propose_psk(&mut self, psk: usize) -> Result<Vec<u8>, Error> {
        let (id, _) = harness_psk(psk)?;
        Ok(self
            .group_mut()?
            .propose_external_psk(ExternalPskId::new(id.to_vec()), Vec::new())?
            .to_bytes()?)
    }

    fn commit_psk(&mut self, psk: usize) -> Result<CommitBytes, Error> {
        let (id, _) = harness_psk(psk)?;
        let group = self.group_mut()?;
        let out = group
            .commit_builder()
            .add_external_psk(ExternalPskId::new(id.to_vec()))?
            .build()?;
        finish_commit(group, out)
    }

    fn commit_require_basic(&mut self) -> Result<Vec<u8>, Error> {
        let mut extensions = ExtensionList::new();
        extensions
            .set_from(RequiredCapabilitiesExt {
                extensions: Vec::new(),
                proposals: Vec::new(),
                credentials: vec![CredentialType::BASIC],
            })
            .map_err(MlsError::from)?;
        let group = self.group_mut()?;
        let out = group
            .commit_builder()
            .set_group_context_ext(extensions)?
            .build()?;
        Ok(finish_commit(group, out)?.commit)
    }

    fn commit_custom_extension(&mut self, data: &[u8]) -> Result<Vec<u8>, Error> {
        let mut extensions = ExtensionList::new();
        extensions.set(Extension::new(
            ExtensionType::new(HARNESS_EXTENSION),
            data.to_vec(),
        ));
        let group = self.group_mut()?;
        let out = group
            .commit_builder()
            .set_group_context_ext(extensions)?
            .build()?;
        Ok(finish_commit(group, out)?.commit)
    }

    fn commit_pending(&mut self) -> Result<CommitBytes, Error> {
        let group = self.group_mut()?;
        // A commit with no new proposals takes every cached one by reference.
        let out = group.commit(Vec::new())?;
        finish_commit(group, out)
    }

    fn encrypt(&mut self, data: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(self
            .group_mut()?
            .encrypt_application_message(data, Vec::new())?
            .to_bytes()?)
    }

    fn epoch(&self) -> Result<u64, Error> {
        Ok(self.group()?.current_epoch())
    }

    fn own_leaf(&self) -> Result<u32, Error> {
        Ok(self.group()?.current_member_index())
    }

    fn epoch_authenticator(&self) -> Result<Vec<u8>, Error> {
        Ok(self.group()?.epoch_authenticator()?.to_vec())
    }

    fn export(&self, label: &[u8], context: &[u8], length: usize) -> Result<Vec<u8>, Error> {
        Ok(self
            .group()?
            .export_secret(label, context, length)?
            .to_vec())
    }
}

/// Merges our commit `out` and returns its messages.
fn finish_commit<C: MlsConfig>(
    group: &mut Group<C>,
    out: CommitOutput,
) -> Result<CommitBytes, Error> {
    group.apply_pending_commit()?;
    let welcome = match out.welcome_messages.as_slice() {
        [] => None,
        [one] => Some(one.to_bytes()?),
        other => {
            return Err(Error::Harness(format!(
                "mls-rs made {} Welcomes for one commit",
                other.len()
            )));
        }
    };
    Ok(CommitBytes {
        commit: out.commit_message.to_bytes()?,
        welcome,
    })
}
