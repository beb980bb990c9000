//! [`Member`] on cohort's sans-IO [`Group`], with the RustCrypto backend (suites 1 to 7).
//!
//! The sans-IO group is used directly (not the `cohort` facade's `Client`, whose groups borrow
//! their client), and the KeyPackage private keys are kept in memory.

use std::sync::Arc;

use cohort_codec::{Decode, Encode};
use cohort_credential::Credential;
use cohort_crypto::{CipherSuite, CryptoProvider, Signer, SoftwareSigner};
use cohort_group::{
    CommitOptions, Group, GroupConfig, HandshakeFormat, JoinInput, KeyPackageSecrets, LeafSpec,
    Processed, PskList, create_key_package, key_package_ref,
};
use cohort_messages::key_package::KeyPackage;
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::extension::{Extension, ExtensionType};
use cohort_tree::math::LeafIndex;

use cohort_credential::CredentialType;
use cohort_crypto::Secret;
use cohort_crypto::SignaturePublicKey;
use cohort_messages::extensions::{ExtensionPayload, RequiredCapabilities};
use cohort_messages::extensions::{ExternalSender as ExternalSenderExt, ExternalSenders};
use cohort_messages::group_info::GroupInfo;
use cohort_messages::proposal::{
    Add, GroupContextExtensions, PreSharedKey, Proposal, ReInit, Remove,
};
use cohort_messages::psk::{PreSharedKeyId, Psk, ResumptionPskUsage};
use cohort_tree::leaf::ProtocolVersion;

use crate::member::{
    CommitBytes, Error, ExternalSender, ExternalSenderEntry, HARNESS_EXTENSION, HARNESS_PSKS,
    Implementation, Incoming, Member, MemberOptions, ReInitSpec, harness_psk,
};

/// How many days cohort's KeyPackages stay valid.
const KEY_PACKAGE_DAYS: u64 = 30;

/// The group configuration of the harness: cohort's defaults, which accept the peers' default
/// KeyPackage lifetimes (F-1 in `interop/FINDINGS.md`, fixed on main).
fn config() -> GroupConfig {
    GroupConfig::default()
}

/// A cohort client with at most one group.
pub struct CohortMember {
    identity: String,
    provider: Arc<dyn CryptoProvider>,
    suite: CipherSuite,
    signer: SoftwareSigner,
    /// KeyPackages we published and have not used: reference, KeyPackage, private keys.
    key_packages: Vec<(Vec<u8>, KeyPackage, KeyPackageSecrets)>,
    group: Option<Group>,
    /// How commits and proposals are framed.
    format: HandshakeFormat,
    /// After a ReInit to another cipher suite: that suite and our signer in it, used for the
    /// new group and ours once we move there.
    next_signer: Option<(CipherSuite, SoftwareSigner)>,
}

impl CohortMember {
    /// A cohort client named `identity` for cipher suite `suite`.
    ///
    /// # Errors
    /// [`Error::UnsupportedSuite`]; a crypto failure making the signing key.
    pub fn new(identity: &str, suite: u16, options: MemberOptions) -> Result<Self, Error> {
        let provider: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
        let cs = CipherSuite(suite);
        let ops = provider.suite(cs).ok_or(Error::UnsupportedSuite {
            implementation: Implementation::Cohort,
            suite,
        })?;
        let signer = SoftwareSigner::generate(ops)?;
        Ok(Self {
            identity: identity.to_owned(),
            provider,
            suite: cs,
            signer,
            key_packages: Vec::new(),
            group: None,
            format: if options.private_handshakes {
                HandshakeFormat::Private
            } else {
                HandshakeFormat::Public
            },
            next_signer: None,
        })
    }

    /// The cipher suite of the pending ReInit, with a signer of ours in it: a new one, kept
    /// in `next_signer`, when the suite is not ours.
    fn reinit_suite(&mut self) -> Result<CipherSuite, Error> {
        let suite = self
            .group()?
            .pending_reinit()
            .ok_or_else(|| Error::Harness("cohort: no ReInit is pending".into()))?
            .cipher_suite;
        if suite != self.suite && self.next_signer.as_ref().is_none_or(|(s, _)| *s != suite) {
            let ops = self.provider.suite(suite).ok_or(Error::UnsupportedSuite {
                implementation: Implementation::Cohort,
                suite: suite.0,
            })?;
            self.next_signer = Some((suite, SoftwareSigner::generate(ops)?));
        }
        Ok(suite)
    }

    /// Our signer in `suite`: ours, or the one made for a ReInit to it.
    fn signer_for(&self, suite: CipherSuite) -> Result<&SoftwareSigner, Error> {
        if suite == self.suite {
            return Ok(&self.signer);
        }
        match &self.next_signer {
            Some((s, signer)) if *s == suite => Ok(signer),
            _ => Err(Error::Harness(format!(
                "cohort: no signer for cipher suite {}",
                suite.0
            ))),
        }
    }

    /// After moving to a reinitialized group in another suite: its signer becomes ours.
    fn adopt_group_suite(&mut self) {
        let Some(suite) = self.group.as_ref().map(|g| g.context().cipher_suite) else {
            return;
        };
        if suite == self.suite {
            return;
        }
        match self.next_signer.take() {
            Some((s, signer)) if s == suite => {
                self.suite = s;
                self.signer = signer;
            }
            other => self.next_signer = other,
        }
    }

    /// Commit options: the tree in the Welcome, our framing.
    fn commit_options(&self) -> CommitOptions {
        let mut options = CommitOptions::new();
        options.format = self.format;
        options
    }

    fn leaf_spec(&self) -> LeafSpec {
        let mut spec = LeafSpec::new(
            Credential::basic(self.identity.as_bytes().to_vec()),
            now(),
            KEY_PACKAGE_DAYS,
        );
        spec.capabilities
            .extensions
            .push(ExtensionType(HARNESS_EXTENSION));
        spec
    }

    fn group(&self) -> Result<&Group, Error> {
        self.group
            .as_ref()
            .ok_or_else(|| Error::Harness(format!("{} (cohort) is in no group", self.identity)))
    }

    fn group_mut(&mut self) -> Result<&mut Group, Error> {
        let identity = &self.identity;
        self.group
            .as_mut()
            .ok_or_else(|| Error::Harness(format!("{identity} (cohort) is in no group")))
    }

    /// A PreSharedKey proposal for harness PSK `psk`, with a fresh nonce of the KDF's length.
    fn psk_proposal(&self, psk: usize) -> Result<Proposal, Error> {
        let (id, _) = harness_psk(psk)?;
        self.psk_proposal_for(Psk::External {
            psk_id: id.to_vec().into(),
        })
    }

    /// A PreSharedKey proposal for the resumption PSK (usage `application`) of our group's
    /// `epoch`.
    fn resumption_psk_proposal(&self, epoch: u64) -> Result<Proposal, Error> {
        let group_id = self.group()?.group_id().to_vec();
        self.psk_proposal_for(Psk::Resumption {
            usage: ResumptionPskUsage::Application,
            psk_group_id: group_id.into(),
            psk_epoch: epoch,
        })
    }

    /// A PreSharedKey proposal for `psk`, with a fresh nonce of the KDF's length.
    fn psk_proposal_for(&self, psk: Psk) -> Result<Proposal, Error> {
        let ops = self
            .provider
            .suite(self.suite)
            .ok_or(Error::UnsupportedSuite {
                implementation: Implementation::Cohort,
                suite: self.suite.0,
            })?;
        let mut nonce = vec![0u8; ops.hash_len()];
        ops.random_fill(&mut nonce)?;
        Ok(Proposal::PreSharedKey(PreSharedKey {
            psk: PreSharedKeyId {
                psk,
                psk_nonce: nonce.into(),
            },
        }))
    }

    /// Sends `proposal` from our group, cached for a commit by reference.
    fn send_proposal(&mut self, proposal: Proposal) -> Result<Vec<u8>, Error> {
        let format = self.format;
        let signer = &self.signer;
        let group = self
            .group
            .as_mut()
            .ok_or_else(|| Error::Harness("cohort member is in no group".into()))?;
        let mut next = group.clone();
        let message = next.propose(signer, proposal, format, Some(now()))?;
        *group = next;
        Ok(message.to_bytes()?)
    }

    /// Commits `proposal` by value with every cached proposal, merged at once.
    fn commit_one(&mut self, proposal: Proposal) -> Result<CommitBytes, Error> {
        let options = self.commit_options();
        self.commit_with(|g, signer| {
            Ok(g.commit(signer, vec![proposal], &options, &psks(), Some(now()))?)
        })
    }

    /// The KeyPackages of `key_packages` (`MLSMessage` bytes).
    fn parse_key_packages(key_packages: &[Vec<u8>]) -> Result<Vec<KeyPackage>, Error> {
        key_packages
            .iter()
            .map(|bytes| match MlsMessage::from_bytes(bytes)?.body {
                MlsMessageBody::KeyPackage(kp) => Ok(kp),
                _ => Err(Error::Harness("expected KeyPackages".into())),
            })
            .collect()
    }

    /// Joins the group of `welcome` that resumes our current group (a reinit or a branch,
    /// RFC 9420 §11), and moves to it.
    fn join_resumed(&mut self, welcome: &[u8]) -> Result<(), Error> {
        let MlsMessageBody::Welcome(welcome) = MlsMessage::from_bytes(welcome)?.body else {
            return Err(Error::Harness("expected a Welcome".into()));
        };
        let position = self.key_package_for(&welcome)?;
        let (_, kp, secrets) = &self.key_packages[position];
        let group = Group::join_resumed(
            &*self.provider,
            JoinInput {
                welcome: &welcome,
                key_package: kp,
                secrets,
                ratchet_tree: None,
                now: Some(now()),
            },
            &psks(),
            self.group()?,
            config(),
        )?;
        self.key_packages.remove(position);
        self.group = Some(group);
        self.adopt_group_suite();
        Ok(())
    }

    /// Which of our KeyPackages `welcome` is for.
    fn key_package_for(&self, welcome: &cohort_messages::welcome::Welcome) -> Result<usize, Error> {
        self.key_packages
            .iter()
            .position(|(r, _, _)| {
                welcome
                    .secrets
                    .iter()
                    .any(|s| s.new_member.0.as_ref() == r.as_slice())
            })
            .ok_or_else(|| Error::Harness("the Welcome is for none of our KeyPackages".into()))
    }

    /// The commit's messages; the group `next` (already at the commit's epoch) becomes ours.
    fn move_to(
        &mut self,
        next: Group,
        out: cohort_group::CommitOutput,
    ) -> Result<CommitBytes, Error> {
        let bytes = CommitBytes {
            commit: out.commit.to_bytes()?,
            welcome: out.welcome.map(|w| w.to_bytes()).transpose()?,
        };
        self.group = Some(next);
        self.adopt_group_suite();
        Ok(bytes)
    }

    /// Runs a commit-making operation on the group and merges the result at once.
    fn commit_with(
        &mut self,
        op: impl FnOnce(&mut Group, &SoftwareSigner) -> Result<cohort_group::CommitOutput, Error>,
    ) -> Result<CommitBytes, Error> {
        let mut next = self.group()?.clone();
        let out = op(&mut next, &self.signer)?;
        next.merge_pending_commit()?;
        self.group = Some(next);
        Ok(CommitBytes {
            commit: out.commit.to_bytes()?,
            welcome: out.welcome.map(|w| w.to_bytes()).transpose()?,
        })
    }
}

impl Member for CohortMember {
    fn implementation(&self) -> Implementation {
        Implementation::Cohort
    }

    fn identity(&self) -> &str {
        &self.identity
    }

    fn key_package(&mut self) -> Result<Vec<u8>, Error> {
        let (kp, secrets) =
            create_key_package(&*self.provider, self.suite, &self.signer, &self.leaf_spec())?;
        let reference = key_package_ref(&*self.provider, &kp)?;
        let bytes = MlsMessage::new(MlsMessageBody::KeyPackage(kp.clone())).to_bytes()?;
        self.key_packages.push((reference.0.to_vec(), kp, secrets));
        Ok(bytes)
    }

    fn create_group(&mut self, group_id: &[u8]) -> Result<(), Error> {
        if self.group.is_some() {
            return Err(Error::Harness(format!(
                "{} (cohort) is in a group already",
                self.identity
            )));
        }
        self.group = Some(Group::create(
            &*self.provider,
            self.suite,
            &self.signer,
            &self.leaf_spec(),
            group_id.to_vec(),
            Vec::new(),
            config(),
        )?);
        Ok(())
    }

    fn add_members(&mut self, key_packages: &[Vec<u8>]) -> Result<CommitBytes, Error> {
        let kps = key_packages
            .iter()
            .map(|bytes| match MlsMessage::from_bytes(bytes)?.body {
                MlsMessageBody::KeyPackage(kp) => Ok(kp),
                _ => Err(Error::Harness("add_members takes KeyPackages".into())),
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let options = self.commit_options();
        let out =
            self.commit_with(|g, signer| Ok(g.add_members(signer, kps, &options, Some(now()))?))?;
        if out.welcome.is_none() {
            return Err(Error::Harness("cohort made no Welcome for an add".into()));
        }
        Ok(out)
    }

    fn join(&mut self, welcome: &[u8]) -> Result<(), Error> {
        let message = MlsMessage::from_bytes(welcome)?;
        let MlsMessageBody::Welcome(welcome) = message.body else {
            return Err(Error::Harness("join takes a Welcome".into()));
        };
        let position = self.key_package_for(&welcome)?;
        let (_, kp, secrets) = &self.key_packages[position];
        let group = Group::join(
            &*self.provider,
            JoinInput {
                welcome: &welcome,
                key_package: kp,
                secrets,
                ratchet_tree: None,
                now: Some(now()),
            },
            &psks(),
            config(),
        )?;
        self.key_packages.remove(position);
        self.group = Some(group);
        Ok(())
    }

    fn group_info(&mut self) -> Result<Vec<u8>, Error> {
        Ok(self.group()?.group_info(&self.signer, true)?.to_bytes()?)
    }

    fn join_external(
        &mut self,
        group_info: &[u8],
        psk_numbers: &[usize],
    ) -> Result<Vec<u8>, Error> {
        if self.group.is_some() {
            return Err(Error::Harness(format!(
                "{} (cohort) is in a group already",
                self.identity
            )));
        }
        let MlsMessageBody::GroupInfo(group_info) = MlsMessage::from_bytes(group_info)?.body else {
            return Err(Error::Harness("join_external takes a GroupInfo".into()));
        };
        let psk_ids = psk_numbers
            .iter()
            .map(|i| harness_psk(*i).map(|(id, _)| id))
            .collect::<Result<Vec<_>, _>>()?;
        let joined = Group::join_by_external_commit_with_psks(
            &*self.provider,
            &self.signer,
            &self.leaf_spec(),
            &group_info,
            None,
            None,
            &psk_ids,
            &psks(),
            config(),
            Some(now()),
        )?;
        self.group = Some(joined.group);
        Ok(joined.commit.to_bytes()?)
    }

    fn process(&mut self, message: &[u8]) -> Result<Incoming, Error> {
        let message = MlsMessage::from_bytes(message)?;
        let group = self.group_mut()?;
        let mut next = group.clone();
        let incoming = match next.process_message(message, &psks(), Some(now()))? {
            Processed::Application { data, .. } => Incoming::Application(data),
            Processed::Proposal { .. } => Incoming::Proposal,
            Processed::Commit(staged) => {
                let removed_us = staged.summary().removes_us;
                next.merge_staged(*staged)?;
                Incoming::Commit { removed_us }
            }
            _ => return Err(Error::Harness("cohort returned an unknown result".into())),
        };
        *group = next;
        Ok(incoming)
    }

    fn self_update(&mut self) -> Result<Vec<u8>, Error> {
        let mut options = self.commit_options();
        options.force_path = true;
        Ok(self
            .commit_with(|g, signer| Ok(g.self_update(signer, &options, Some(now()))?))?
            .commit)
    }

    fn remove(&mut self, leaf: u32) -> Result<Vec<u8>, Error> {
        let options = self.commit_options();
        Ok(self
            .commit_with(|g, signer| {
                Ok(g.remove_members(signer, &[LeafIndex(leaf)], &options, Some(now()))?)
            })?
            .commit)
    }

    fn propose_update(&mut self) -> Result<Vec<u8>, Error> {
        let format = self.format;
        let signer = &self.signer;
        let group = self
            .group
            .as_mut()
            .ok_or_else(|| Error::Harness("cohort member is in no group".into()))?;
        let mut next = group.clone();
        let message = next.propose_update(signer, format, Some(now()))?;
        *group = next;
        Ok(message.to_bytes()?)
    }

    fn propose_remove(&mut self, leaf: u32) -> Result<Vec<u8>, Error> {
        let format = self.format;
        let signer = &self.signer;
        let group = self
            .group
            .as_mut()
            .ok_or_else(|| Error::Harness("cohort member is in no group".into()))?;
        let mut next = group.clone();
        let message = next.propose(
            signer,
            Proposal::Remove(Remove {
                removed: LeafIndex(leaf),
            }),
            format,
            Some(now()),
        )?;
        *group = next;
        Ok(message.to_bytes()?)
    }

    fn propose_psk(&mut self, psk: usize) -> Result<Vec<u8>, Error> {
        let proposal = self.psk_proposal(psk)?;
        self.send_proposal(proposal)
    }

    fn commit_psk(&mut self, psk: usize) -> Result<CommitBytes, Error> {
        let proposal = self.psk_proposal(psk)?;
        let options = self.commit_options();
        self.commit_with(|g, signer| {
            Ok(g.commit(signer, vec![proposal], &options, &psks(), Some(now()))?)
        })
    }

    fn commit_require_basic(&mut self) -> Result<Vec<u8>, Error> {
        let required = RequiredCapabilities {
            extension_types: Vec::new(),
            proposal_types: Vec::new(),
            credential_types: vec![CredentialType::BASIC],
        }
        .to_extension()?;
        let proposal = Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: vec![required],
        });
        let options = self.commit_options();
        Ok(self
            .commit_with(|g, signer| {
                Ok(g.commit(signer, vec![proposal], &options, &psks(), Some(now()))?)
            })?
            .commit)
    }

    fn commit_custom_extension(&mut self, data: &[u8]) -> Result<Vec<u8>, Error> {
        let proposal = Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: vec![Extension {
                extension_type: ExtensionType(HARNESS_EXTENSION),
                extension_data: data.to_vec().into(),
            }],
        });
        let options = self.commit_options();
        Ok(self
            .commit_with(|g, signer| {
                Ok(g.commit(signer, vec![proposal], &options, &psks(), Some(now()))?)
            })?
            .commit)
    }

    fn commit_external_senders(
        &mut self,
        senders: &[ExternalSenderEntry],
    ) -> Result<Vec<u8>, Error> {
        let extension = ExternalSenders(
            senders
                .iter()
                .map(|e| ExternalSenderExt {
                    signature_key: SignaturePublicKey::from(e.signature_key.clone()),
                    credential: Credential::basic(e.identity.clone()),
                })
                .collect(),
        )
        .to_extension()?;
        let proposal = Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: vec![extension],
        });
        Ok(self.commit_one(proposal)?.commit)
    }

    fn propose_resumption_psk(&mut self, epoch: u64) -> Result<Vec<u8>, Error> {
        let proposal = self.resumption_psk_proposal(epoch)?;
        self.send_proposal(proposal)
    }

    fn commit_resumption_psk(&mut self, epoch: u64) -> Result<CommitBytes, Error> {
        let proposal = self.resumption_psk_proposal(epoch)?;
        self.commit_one(proposal)
    }

    fn propose_reinit(&mut self, spec: &ReInitSpec) -> Result<Vec<u8>, Error> {
        self.send_proposal(reinit_proposal(spec))
    }

    fn propose_join(&mut self, group_info: &[u8]) -> Result<Vec<u8>, Error> {
        if self.group.is_some() {
            return Err(Error::Harness(format!(
                "{} (cohort) is in a group already",
                self.identity
            )));
        }
        let group_info = parse_group_info(group_info)?;
        self.key_package()?;
        let (_, key_package, _) = self
            .key_packages
            .last()
            .ok_or_else(|| Error::Harness("cohort: no KeyPackage".into()))?;
        Ok(cohort_group::new_member_proposal(
            &*self.provider,
            &self.signer,
            &group_info.group_context,
            key_package.clone(),
            &[],
        )?
        .to_bytes()?)
    }

    fn reinit_key_package(&mut self) -> Result<Vec<u8>, Error> {
        let suite = self.reinit_suite()?;
        let signer = self.signer_for(suite)?;
        let (kp, secrets) = create_key_package(&*self.provider, suite, signer, &self.leaf_spec())?;
        let reference = key_package_ref(&*self.provider, &kp)?;
        let bytes = MlsMessage::new(MlsMessageBody::KeyPackage(kp.clone())).to_bytes()?;
        self.key_packages.push((reference.0.to_vec(), kp, secrets));
        Ok(bytes)
    }

    fn reinit_create(&mut self, key_packages: &[Vec<u8>]) -> Result<CommitBytes, Error> {
        let kps = Self::parse_key_packages(key_packages)?;
        let options = self.commit_options();
        let suite = self.reinit_suite()?;
        let (next, out) = self.group()?.reinit(
            &*self.provider,
            self.signer_for(suite)?,
            &self.leaf_spec(),
            kps,
            &options,
            config(),
            Some(now()),
        )?;
        self.move_to(next, out)
    }

    fn reinit_join(&mut self, welcome: &[u8]) -> Result<(), Error> {
        if self.group()?.pending_reinit().is_none() {
            return Err(Error::Harness("cohort: no ReInit is pending".into()));
        }
        self.join_resumed(welcome)
    }

    fn branch(&mut self, group_id: &[u8], key_packages: &[Vec<u8>]) -> Result<CommitBytes, Error> {
        let kps = Self::parse_key_packages(key_packages)?;
        let options = self.commit_options();
        let old = self.group()?;
        let (next, out) = old.branch(
            &*self.provider,
            &self.signer,
            &self.leaf_spec(),
            group_id.to_vec(),
            old.context().extensions.clone(),
            kps,
            &options,
            config(),
            Some(now()),
        )?;
        self.move_to(next, out)
    }

    fn join_branch(&mut self, welcome: &[u8]) -> Result<(), Error> {
        self.join_resumed(welcome)
    }

    fn commit_pending(&mut self) -> Result<CommitBytes, Error> {
        let options = self.commit_options();
        self.commit_with(|g, signer| {
            Ok(g.commit(signer, Vec::new(), &options, &psks(), Some(now()))?)
        })
    }

    fn encrypt(&mut self, data: &[u8]) -> Result<Vec<u8>, Error> {
        let signer = &self.signer;
        let group = self
            .group
            .as_mut()
            .ok_or_else(|| Error::Harness("cohort member is in no group".into()))?;
        Ok(group
            .encrypt_application(signer, data, &[], padding_for(data.len()))?
            .to_bytes()?)
    }

    fn epoch(&self) -> Result<u64, Error> {
        Ok(self.group()?.epoch())
    }

    fn own_leaf(&self) -> Result<u32, Error> {
        Ok(self.group()?.own_leaf().0)
    }

    fn epoch_authenticator(&self) -> Result<Vec<u8>, Error> {
        Ok(self.group()?.epoch_authenticator().to_vec())
    }

    fn export(&self, label: &[u8], context: &[u8], length: usize) -> Result<Vec<u8>, Error> {
        Ok(self
            .group()?
            .export_secret(label, context, length)?
            .as_bytes()
            .to_vec())
    }
}

/// Zero padding (RFC 9420 §6.3.1) that rounds the content up to a multiple of 32 bytes, so that
/// the peers strip real padding from cohort's messages.
fn padding_for(len: usize) -> usize {
    32 - len % 32
}

/// The harness's external PSKs, as cohort looks them up.
fn psks() -> PskList {
    PskList(
        HARNESS_PSKS
            .iter()
            .map(|(id, secret)| (id.to_vec(), Secret::new(secret.to_vec())))
            .collect(),
    )
}

/// Seconds since the Unix epoch (cohort takes time as an argument).
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An external sender (RFC 9420 §12.1.8) on cohort: a signer and a basic credential, proposing
/// with [`cohort_group::external_proposal`] from a GroupInfo's GroupContext.
pub struct CohortExternalSender {
    identity: String,
    provider: Arc<dyn CryptoProvider>,
    signer: SoftwareSigner,
}

impl CohortExternalSender {
    /// An external sender named `identity` for cipher suite `suite`.
    ///
    /// # Errors
    /// [`Error::UnsupportedSuite`]; a crypto failure making the signing key.
    pub fn new(identity: &str, suite: u16) -> Result<Self, Error> {
        let provider: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider());
        let ops = provider
            .suite(CipherSuite(suite))
            .ok_or(Error::UnsupportedSuite {
                implementation: Implementation::Cohort,
                suite,
            })?;
        Ok(Self {
            identity: identity.to_owned(),
            provider,
            signer: SoftwareSigner::generate(ops)?,
        })
    }

    /// Signs `proposal` for the group of `group_info` as external sender `sender_index`.
    fn send(
        &self,
        group_info: &[u8],
        sender_index: u32,
        proposal: Proposal,
    ) -> Result<Vec<u8>, Error> {
        let group_info = parse_group_info(group_info)?;
        Ok(cohort_group::external_proposal(
            &*self.provider,
            &self.signer,
            &group_info.group_context,
            sender_index,
            proposal,
            &[],
        )?
        .to_bytes()?)
    }
}

impl ExternalSender for CohortExternalSender {
    fn implementation(&self) -> Implementation {
        Implementation::Cohort
    }

    fn entry(&self) -> ExternalSenderEntry {
        ExternalSenderEntry {
            signature_key: self.signer.public_key().0.as_slice().to_vec(),
            identity: self.identity.as_bytes().to_vec(),
        }
    }

    fn propose_add(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        key_package: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let MlsMessageBody::KeyPackage(key_package) = MlsMessage::from_bytes(key_package)?.body
        else {
            return Err(Error::Harness("propose_add takes a KeyPackage".into()));
        };
        self.send(group_info, sender_index, Proposal::Add(Add { key_package }))
    }

    fn propose_remove(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        leaf: u32,
    ) -> Result<Vec<u8>, Error> {
        self.send(
            group_info,
            sender_index,
            Proposal::Remove(Remove {
                removed: LeafIndex(leaf),
            }),
        )
    }

    fn propose_psk(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        psk: usize,
    ) -> Result<Vec<u8>, Error> {
        let (id, _) = harness_psk(psk)?;
        let proposal = self.psk_proposal(
            group_info,
            Psk::External {
                psk_id: id.to_vec().into(),
            },
        )?;
        self.send(group_info, sender_index, proposal)
    }

    fn propose_resumption_psk(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        epoch: u64,
    ) -> Result<Vec<u8>, Error> {
        let group_id = parse_group_info(group_info)?.group_context.group_id;
        let proposal = self.psk_proposal(
            group_info,
            Psk::Resumption {
                usage: ResumptionPskUsage::Application,
                psk_group_id: group_id,
                psk_epoch: epoch,
            },
        )?;
        self.send(group_info, sender_index, proposal)
    }

    fn propose_group_extensions(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        senders: &[ExternalSenderEntry],
    ) -> Result<Vec<u8>, Error> {
        let proposal = Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: vec![external_senders_extension(senders)?, require_basic()?],
        });
        self.send(group_info, sender_index, proposal)
    }

    fn propose_reinit(
        &mut self,
        group_info: &[u8],
        sender_index: u32,
        spec: &ReInitSpec,
    ) -> Result<Vec<u8>, Error> {
        self.send(group_info, sender_index, reinit_proposal(spec))
    }
}

impl CohortExternalSender {
    /// A PreSharedKey proposal for `psk` with a fresh nonce of the KDF's length in the suite
    /// of `group_info`.
    fn psk_proposal(&self, group_info: &[u8], psk: Psk) -> Result<Proposal, Error> {
        let suite = parse_group_info(group_info)?.group_context.cipher_suite;
        let ops = self.provider.suite(suite).ok_or(Error::UnsupportedSuite {
            implementation: Implementation::Cohort,
            suite: suite.0,
        })?;
        let mut nonce = vec![0u8; ops.hash_len()];
        ops.random_fill(&mut nonce)?;
        Ok(Proposal::PreSharedKey(PreSharedKey {
            psk: PreSharedKeyId {
                psk,
                psk_nonce: nonce.into(),
            },
        }))
    }
}

/// The ReInit proposal `spec` describes, in version MLS 1.0.
fn reinit_proposal(spec: &ReInitSpec) -> Proposal {
    Proposal::ReInit(ReInit {
        group_id: spec.group_id.clone().into(),
        version: ProtocolVersion::MLS10,
        cipher_suite: CipherSuite(spec.suite),
        extensions: spec
            .extension
            .iter()
            .map(|data| Extension {
                extension_type: ExtensionType(HARNESS_EXTENSION),
                extension_data: data.clone().into(),
            })
            .collect(),
    })
}

/// An `external_senders` extension (RFC 9420 §12.1.8.1) listing `senders`.
fn external_senders_extension(senders: &[ExternalSenderEntry]) -> Result<Extension, Error> {
    Ok(ExternalSenders(
        senders
            .iter()
            .map(|e| ExternalSenderExt {
                signature_key: SignaturePublicKey::from(e.signature_key.clone()),
                credential: Credential::basic(e.identity.clone()),
            })
            .collect(),
    )
    .to_extension()?)
}

/// A `required_capabilities` extension (RFC 9420 §11.1) requiring basic credentials.
fn require_basic() -> Result<Extension, Error> {
    Ok(RequiredCapabilities {
        extension_types: Vec::new(),
        proposal_types: Vec::new(),
        credential_types: vec![CredentialType::BASIC],
    }
    .to_extension()?)
}

/// The GroupInfo of a GroupInfo `MLSMessage`.
fn parse_group_info(bytes: &[u8]) -> Result<GroupInfo, Error> {
    match MlsMessage::from_bytes(bytes)?.body {
        MlsMessageBody::GroupInfo(group_info) => Ok(group_info),
        _ => Err(Error::Harness("expected a GroupInfo".into())),
    }
}
