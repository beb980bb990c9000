//! Where PSKs come from (RFC 9420 §8.4).

use cohort_crypto::Secret;

/// The application's external PSKs.
///
/// # Implementing
/// Return the PSK for `psk_id`, or `None` when it is unknown; the group then rejects the message
/// that names it (V-8.4-01).
pub trait ExternalPsks: Send + Sync {
    /// The PSK named `psk_id`.
    fn external_psk(&self, psk_id: &[u8]) -> Option<Secret>;
}

/// No external PSKs at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPsks;

impl ExternalPsks for NoPsks {
    fn external_psk(&self, _psk_id: &[u8]) -> Option<Secret> {
        None
    }
}

/// External PSKs held in memory, in a list of `(psk_id, psk)`.
#[derive(Debug, Clone, Default)]
pub struct PskList(pub Vec<(Vec<u8>, Secret)>);

impl ExternalPsks for PskList {
    fn external_psk(&self, psk_id: &[u8]) -> Option<Secret> {
        self.0
            .iter()
            .find(|(id, _)| id.as_slice() == psk_id)
            .map(|(_, psk)| psk.clone())
    }
}
