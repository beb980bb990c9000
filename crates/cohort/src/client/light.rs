//! Light members (draft-ietf-mls-partial-02) in the facade: a client joins a group as a light
//! member from an `AnnotatedWelcome` and gets a [`LightGroupOf`] handle that stores the light
//! member's state (a few KiB, growing with log N) in the client's store after every step, as a
//! full group handle does. See `docs/light-clients.md` for what a light member checks and
//! trusts, and how a Delivery Service annotates for it.

use cohort_group::light::{LightApplication, LightGroup};
use cohort_messages::framing::PrivateMessage;
use cohort_messages::partial::{AnnotatedCommit, AnnotatedWelcome, SenderAuthenticated};
use cohort_storage::GroupWrite;
use cohort_tree::math::LeafIndex;

use super::{AsyncClient, Client, Identity};
use crate::Error;

/// A light member's group held by a client ([`Client::join_light`]): it owns a clone of the
/// client, as [`GroupOf`](super::GroupOf) does, and stores the state before every step returns.
#[derive(Debug)]
pub struct LightGroupOf<C> {
    client: C,
    light: LightGroup,
}

/// A light member's group of a synchronous [`Client`].
pub type LightClientGroup = LightGroupOf<Client>;
/// A light member's group of an [`AsyncClient`].
pub type AsyncLightClientGroup = LightGroupOf<AsyncClient>;

impl<C> LightGroupOf<C> {
    /// The group id.
    pub fn group_id(&self) -> &[u8] {
        self.light.context().group_id.as_slice()
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.light.epoch()
    }

    /// The epoch authenticator (RFC 9420 §8.7), shared by every member of the epoch.
    pub fn epoch_authenticator(&self) -> &[u8] {
        self.light.epoch_authenticator()
    }

    /// Our leaf.
    pub fn own_leaf(&self) -> LeafIndex {
        self.light.own_leaf()
    }

    /// The light member underneath, for what the handle does not offer.
    pub fn light(&self) -> &LightGroup {
        &self.light
    }

    /// The write that stores `light`.
    fn write_of(light: &LightGroup) -> Result<GroupWrite, Error> {
        Ok(GroupWrite::new(light.context().group_id.to_vec())
            .with_state(light.epoch(), light.to_bytes()?))
    }
}

impl Identity {
    /// Joins as a light member from `welcome` with the stored KeyPackage `record`.
    fn join_light(
        &self,
        welcome: &AnnotatedWelcome,
        record: &[u8],
        psks: &dyn cohort_group::ExternalPsks,
    ) -> Result<LightGroup, Error> {
        let (kp, (init_key, encryption_key)) = Self::key_package_record(record)?.0;
        let secrets = cohort_group::KeyPackageSecrets {
            init_key,
            encryption_key,
        };
        Ok(LightGroup::join(
            &*self.provider,
            welcome,
            &kp,
            &secrets,
            psks,
        )?)
    }
}

macro_rules! light_client_api {
    ($($async:ident)?, $($await:tt)*) => {
        /// Joins a group as a light member (draft-ietf-mls-partial-02) from a Welcome that its
        /// sender or the Delivery Service annotated with membership proofs, addressed to one of
        /// our stored KeyPackages; the KeyPackage is deleted in the write that stores the light
        /// member (unless it is a last-resort one).
        ///
        /// # Errors
        /// [`Error::Invalid`] when the Welcome is for none of our KeyPackages or a check fails
        /// (the proofs, the GroupInfo, the path secret, the confirmation tag); a storage
        /// failure.
        pub $($async)? fn join_light(&self, welcome: &AnnotatedWelcome) -> Result<LightGroupOf<Self>, Error> {
            let (kp_ref, record, last_resort) =
                self.welcome_key_package(&welcome.welcome.message)$($await)*?;
            let psks = self.psks();
            let light = self
                .id
                .join_light(welcome, &record, &*psks.lookup)
                .map_err(|e| psks.blame(e))?;
            self.check_group_id_free(light.context().group_id.as_slice())$($await)*?;
            let mut write = LightGroupOf::<Self>::write_of(&light)?;
            if !last_resort {
                write = write.consume_key_package(kp_ref);
            }
            self.storage.write(write)$($await)*?;
            Ok(LightGroupOf { client: self.clone(), light })
        }

        /// Loads a light member stored by a [`LightGroupOf`] handle: `Ok(None)` when no group
        /// of this id is stored.
        ///
        /// # Errors
        /// A storage failure; [`Error::Malformed`] for a stored state that is not a light
        /// member's (a full member's group included).
        pub $($async)? fn load_light_group(&self, group_id: &[u8]) -> Result<Option<LightGroupOf<Self>>, Error> {
            let Some(stored) = self.storage.read_state(group_id)$($await)*? else {
                return Ok(None);
            };
            let light = LightGroup::from_bytes(&*self.id.provider, &stored.state)?;
            Ok(Some(LightGroupOf { client: self.clone(), light }))
        }
    };
}

macro_rules! light_group_api {
    ($($async:ident)?, $($await:tt)*) => {
        /// Processes a commit annotated for us and moves to the next epoch; stored before it
        /// returns. On any error nothing changes, in memory or in the store.
        ///
        /// # Errors
        /// [`Error::Invalid`] naming the failed check; a storage failure.
        pub $($async)? fn process_commit(&mut self, commit: &AnnotatedCommit) -> Result<(), Error> {
            let mut next = self.light.clone();
            let psks = self.client.psks();
            next.process_commit(commit, &*psks.lookup).map_err(|e| psks.blame(e))?;
            self.client.storage.write(Self::write_of(&next)?)$($await)*?;
            self.light = next;
            Ok(())
        }

        /// Reads an application message that carries its sender's membership proof; the
        /// ratchet step is stored before it returns.
        ///
        /// # Errors
        /// [`Error::Invalid`] for a proof or message that fails a check (nothing changes); a
        /// storage failure (nothing changes either).
        pub $($async)? fn process_application(
            &mut self,
            message: &SenderAuthenticated<PrivateMessage>,
        ) -> Result<LightApplication, Error> {
            let mut next = self.light.clone();
            let read = next.process_application(message)?;
            self.client.storage.write(Self::write_of(&next)?)$($await)*?;
            self.light = next;
            Ok(read)
        }

        /// Encrypts `data` for the group with our membership proof attached, signed with the
        /// client's key; the ratchet step is stored before the message is returned.
        ///
        /// # Errors
        /// A crypto or storage failure.
        pub $($async)? fn send_message(&mut self, data: &[u8]) -> Result<SenderAuthenticated<PrivateMessage>, Error> {
            let padding = self.client.id.policy.padding_for(data.len());
            let (mut next, data) = (self.light.clone(), data.to_vec());
            let (next, message) = self.client.with_signer(move |signer| {
                let message = next.encrypt_application(signer, &data, &[], padding)?;
                Ok((next, message))
            })$($await)*?;
            self.client.storage.write(Self::write_of(&next)?)$($await)*?;
            self.light = next;
            Ok(message)
        }
    };
}

impl Client {
    light_client_api!(,);
}

impl AsyncClient {
    light_client_api!(async, .await);
}

impl LightGroupOf<Client> {
    light_group_api!(,);
}

impl LightGroupOf<AsyncClient> {
    light_group_api!(async, .await);
}
