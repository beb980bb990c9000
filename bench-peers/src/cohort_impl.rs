//! cohort: the sans-IO [`Group`] on a chosen crypto provider; persisting is
//! [`Group::to_split_state`], the two blobs an application stores.

use std::sync::Arc;

use cohort_codec::{Decode, Encode};
use cohort_credential::Credential;
use cohort_crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort_group::{
    CommitOptions, Group, GroupConfig, JoinInput, KeyPackageSecrets, LeafSpec, NoPsks, Processed,
    SplitState, create_key_package,
};
use cohort_messages::key_package::KeyPackage;
use cohort_messages::{MlsMessage, MlsMessageBody};

use crate::{Bytes, CommitBytes, Error, Mls};

/// Suite 1, MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519.
const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
/// The time every operation runs at (lifetimes are checked against it).
const NOW: u64 = 1_800_000_000;

/// cohort on one provider.
#[derive(Debug)]
pub struct Cohort {
    provider: Arc<dyn CryptoProvider>,
    label: &'static str,
}

impl Cohort {
    /// cohort's engine on the aws-lc-rs backend (the facade's default).
    pub fn aws_lc() -> Self {
        Cohort {
            provider: Arc::new(cohort_crypto_aws_lc::provider()),
            label: "cohort engine (aws-lc)",
        }
    }

    /// cohort on the RustCrypto backend.
    pub fn rustcrypto() -> Self {
        Cohort {
            provider: Arc::new(cohort_crypto_rustcrypto::provider()),
            label: "cohort (RustCrypto)",
        }
    }

    /// cohort on `provider`, reported as `label`.
    pub fn with_provider(provider: Arc<dyn CryptoProvider>, label: &'static str) -> Self {
        Cohort { provider, label }
    }

    /// The bytes an application message of each of `app_lens` bytes signs and verifies: the
    /// `SignContent` of its `FramedContentTBS` (RFC 9420 §6.1: the application data, the
    /// framing and the GroupContext), in one group of two made as the `app_msg` scenarios make
    /// it.
    ///
    /// # Errors
    /// Errors of making the group.
    pub fn app_signed_lens<const K: usize>(
        &self,
        app_lens: [usize; K],
    ) -> Result<[usize; K], Error> {
        use cohort_messages::framing::{Content, FramedContent, FramedContentTbs, Sender};
        let mut a = self.member("signed-a")?;
        let mut b = self.member("signed-b")?;
        self.create(&mut a)?;
        let key_package = self.key_package(&mut b)?;
        self.add(&mut a, &[key_package])?;
        let group = a.group.as_ref().ok_or(Error::NoGroup)?;
        let signed_len = |app_len: usize| {
            let content = FramedContent {
                group_id: group.group_id().to_vec().into(),
                epoch: group.epoch(),
                sender: Sender::Member(group.own_leaf()),
                authenticated_data: Vec::new().into(),
                content: Content::Application(vec![0; app_len].into()),
            };
            let tbs = FramedContentTbs {
                version: cohort_tree::leaf::ProtocolVersion::MLS10,
                wire_format: cohort_messages::WireFormat::PRIVATE_MESSAGE,
                content: &content,
                context: Some(group.context()),
            };
            let len = tbs.encoded_len();
            let label = b"MLS 1.0 FramedContentTBS".len();
            cohort_codec::varint_len(label) + label + cohort_codec::varint_len(len) + len
        };
        Ok(app_lens.map(signed_len))
    }

    fn options() -> CommitOptions {
        let mut options = CommitOptions::new();
        options.force_path = true;
        options.ratchet_tree_in_welcome = true;
        // No GroupInfo for external joiners: the scenarios do not ask for one, and mls-rs
        // signs one only when configured for external commits (the Welcome still gets its own).
        options.group_info = false;
        options
    }
}

/// A cohort client: its signer, its KeyPackages' private keys, its group and what it last
/// persisted.
#[derive(Debug)]
pub struct CohortMember {
    signer: SoftwareSigner,
    spec: LeafSpec,
    key_packages: Vec<(KeyPackage, KeyPackageSecrets)>,
    group: Option<Group>,
    stored: Option<SplitState>,
}

impl CohortMember {
    fn group(&mut self) -> Result<&mut Group, Error> {
        self.group.as_mut().ok_or(Error::NoGroup)
    }
}

fn parse(bytes: &[u8]) -> Result<MlsMessageBody, Error> {
    Ok(MlsMessage::from_bytes(bytes)?.body)
}

impl Mls for Cohort {
    type Member = CohortMember;
    type Checkpoint = ();

    fn label(&self) -> &'static str {
        self.label
    }

    fn member(&self, name: &str) -> Result<CohortMember, Error> {
        let suite = self.provider.require_suite(CS)?;
        Ok(CohortMember {
            signer: SoftwareSigner::generate(suite)?,
            spec: LeafSpec::new(Credential::basic(name.as_bytes().to_vec()), NOW, 30),
            key_packages: Vec::new(),
            group: None,
            stored: None,
        })
    }

    fn key_package(&self, m: &mut CohortMember) -> Result<Bytes, Error> {
        let (kp, secrets) = create_key_package(&*self.provider, CS, &m.signer, &m.spec)?;
        let bytes = MlsMessage::new(MlsMessageBody::KeyPackage(kp.clone())).to_bytes()?;
        m.key_packages.push((kp, secrets));
        Ok(bytes)
    }

    fn create(&self, m: &mut CohortMember) -> Result<(), Error> {
        m.group = Some(Group::create(
            &*self.provider,
            CS,
            &m.signer,
            &m.spec,
            b"bench-peers".to_vec(),
            Vec::new(),
            GroupConfig::default(),
        )?);
        Ok(())
    }

    fn add(&self, m: &mut CohortMember, key_packages: &[Bytes]) -> Result<CommitBytes, Error> {
        let mut kps = Vec::with_capacity(key_packages.len());
        for bytes in key_packages {
            match parse(bytes)? {
                MlsMessageBody::KeyPackage(kp) => kps.push(kp),
                _ => return Err(Error::Unexpected("KeyPackage")),
            }
        }
        let signer = &m.signer;
        let group = m.group.as_mut().ok_or(Error::NoGroup)?;
        let out = group.add_members(signer, kps, &Self::options(), Some(NOW))?;
        let commit = out.commit.to_bytes()?;
        let welcome = out.welcome.map(|w| w.to_bytes()).transpose()?;
        group.merge_pending_commit()?;
        Ok(CommitBytes { commit, welcome })
    }

    fn join(&self, m: &mut CohortMember, welcome: &[u8]) -> Result<(), Error> {
        let MlsMessageBody::Welcome(welcome) = parse(welcome)? else {
            return Err(Error::Unexpected("Welcome"));
        };
        // The sans-IO core takes the KeyPackage the Welcome is for; this client has made one.
        let (kp, secrets) = m.key_packages.last().ok_or(Error::NoGroup)?;
        let input = JoinInput {
            welcome: &welcome,
            key_package: kp,
            secrets,
            ratchet_tree: None,
            now: Some(NOW),
        };
        m.group = Some(Group::join(
            &*self.provider,
            input,
            &NoPsks,
            GroupConfig::default(),
        )?);
        Ok(())
    }

    fn self_update(&self, m: &mut CohortMember) -> Result<Bytes, Error> {
        let signer = &m.signer;
        let group = m.group.as_mut().ok_or(Error::NoGroup)?;
        let out = group.self_update(signer, &Self::options(), Some(NOW))?;
        let bytes = out.commit.to_bytes()?;
        group.merge_pending_commit()?;
        Ok(bytes)
    }

    fn process_commit(&self, m: &mut CohortMember, commit: &[u8]) -> Result<(), Error> {
        let message = MlsMessage::from_bytes(commit)?;
        let group = m.group()?;
        match group.process_message(message, &NoPsks, Some(NOW))? {
            Processed::Commit(staged) => {
                group.merge_staged(*staged)?;
                Ok(())
            }
            _ => Err(Error::Unexpected("commit")),
        }
    }

    fn encrypt(&self, m: &mut CohortMember, data: &[u8]) -> Result<Bytes, Error> {
        let signer = &m.signer;
        let group = m.group.as_mut().ok_or(Error::NoGroup)?;
        Ok(group
            .encrypt_application(signer, data, &[], 0)?
            .to_bytes()?)
    }

    fn decrypt(&self, m: &mut CohortMember, message: &[u8]) -> Result<Vec<u8>, Error> {
        let message = MlsMessage::from_bytes(message)?;
        match m.group()?.process_message(message, &NoPsks, Some(NOW))? {
            Processed::Application { data, .. } => Ok(data),
            _ => Err(Error::Unexpected("application message")),
        }
    }

    fn persist(&self, m: &mut CohortMember) -> Result<(), Error> {
        let state = m.group()?.to_split_state()?;
        m.stored = Some(state);
        Ok(())
    }

    fn epoch_authenticator(&self, m: &CohortMember) -> Result<Vec<u8>, Error> {
        Ok(m.group
            .as_ref()
            .ok_or(Error::NoGroup)?
            .epoch_authenticator()
            .to_vec())
    }

    fn checkpoint(&self, _m: &CohortMember) {}

    fn rollback(&self, m: &mut CohortMember, _checkpoint: &()) {
        m.group = None;
        m.stored = None;
    }

    fn floor(&self, reps: crate::primitives::FloorPlan) -> Result<crate::primitives::Floor, Error> {
        crate::primitives::cohort(&*self.provider, reps)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::Cohort;
    use crate::Mls;
    use crate::counting::{CountingProvider, Counts};

    /// `app_signed_lens` is what the receiver of an application message verifies the signature
    /// over, for the sizes the floor uses and an empty message.
    #[test]
    fn app_signed_lens_are_what_a_message_signs() {
        let counts = Arc::new(Counts::default());
        let provider =
            CountingProvider::new(Arc::new(cohort_crypto_aws_lc::provider()), counts.clone());
        let c = Cohort::with_provider(Arc::new(provider), "counted");
        let mut a = c.member("a").unwrap();
        let mut b = c.member("b").unwrap();
        c.create(&mut a).unwrap();
        let key_package = c.key_package(&mut b).unwrap();
        let welcome = c.add(&mut a, &[key_package]).unwrap().welcome.unwrap();
        c.join(&mut b, &welcome).unwrap();
        let sizes = [0, 1 << 10, 1 << 20];
        // Computed first: making its group verifies a KeyPackage through the same counter.
        let expected = c.app_signed_lens(sizes).unwrap();
        for (size, expected) in sizes.into_iter().zip(expected) {
            let message = c.encrypt(&mut a, &vec![1; size]).unwrap();
            c.decrypt(&mut b, &message).unwrap();
            let verified = counts.last_verified_len();
            assert_eq!(verified, expected as u64, "{size} bytes");
        }
    }
}
