//! Pre-shared key identifiers (RFC 9420 §8.4).

use cohort_codec::{Decode, Encode, VarBytes};

/// `ResumptionPSKUsage` (RFC 9420 §8.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
#[repr(u8)]
pub enum ResumptionPskUsage {
    /// `application(1)`: a PSK injected by the application into a later epoch.
    Application = 1,
    /// `reinit(2)`: ties a group to the one it re-initializes.
    Reinit = 2,
    /// `branch(3)`: ties a subgroup to the group it branches from.
    Branch = 3,
}

/// The `PSKType` select of `PreSharedKeyID` (RFC 9420 §8.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode)]
#[repr(u8)]
pub enum Psk {
    /// `external(1)`: a PSK the application provisioned.
    External {
        /// The application's name for the PSK.
        psk_id: VarBytes,
    } = 1,
    /// `resumption(2)`: the resumption secret of an epoch of some group.
    Resumption {
        /// How the PSK is used.
        usage: ResumptionPskUsage,
        /// The group the secret comes from.
        psk_group_id: VarBytes,
        /// The epoch the secret comes from.
        psk_epoch: u64,
    } = 2,
    /// `application(3)` of draft-ietf-mls-extensions ("Pre-Shared Keys"): a PSK an application
    /// component provisioned, named within that component.
    Application {
        /// The component the PSK belongs to.
        component_id: crate::components::ComponentId,
        /// The component's name for the PSK.
        psk_id: VarBytes,
    } = 3,
}

/// `PreSharedKeyID` (RFC 9420 §8.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode)]
pub struct PreSharedKeyId {
    /// Which PSK.
    pub psk: Psk,
    /// A fresh random nonce of the KDF's output length.
    pub psk_nonce: VarBytes,
}

/// `PSKLabel` (RFC 9420 §8.4): the context of each PSK's step in the PSK secret chain.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct PskLabel {
    /// The PSK.
    pub id: PreSharedKeyId,
    /// Its position in the list.
    pub index: u16,
    /// The length of the list.
    pub count: u16,
}
