//! Where PSKs come from (RFC 9420 §8.4).

use cohort_crypto::{Secret, SuiteOps};
use cohort_messages::components::ComponentId;
use cohort_messages::psk::{PreSharedKeyId, Psk};

/// The application's external PSKs, and its components' PSKs (draft-ietf-mls-extensions).
///
/// # Implementing
/// Return the PSK for `psk_id`, or `None` when it is unknown; the group then rejects the message
/// that names it (V-8.4-01, X-PSK-01).
pub trait ExternalPsks: Send + Sync {
    /// The PSK named `psk_id`.
    fn external_psk(&self, psk_id: &[u8]) -> Option<Secret>;

    /// The PSK that component `component_id` names `psk_id` (the `application(3)` PSK type of
    /// draft-ietf-mls-extensions, separated by component from each other and from external
    /// PSKs). The default knows none.
    fn application_psk(&self, component_id: ComponentId, psk_id: &[u8]) -> Option<Secret> {
        let _ = (component_id, psk_id);
        None
    }
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

/// PSKs held in memory: external ones and application components' ones.
#[derive(Debug, Clone, Default)]
pub struct PskTable {
    /// External PSKs, as `(psk_id, psk)`.
    pub external: Vec<(Vec<u8>, Secret)>,
    /// Application PSKs, as `(component, psk_id, psk)`.
    pub application: Vec<(ComponentId, Vec<u8>, Secret)>,
}

impl ExternalPsks for PskTable {
    fn external_psk(&self, psk_id: &[u8]) -> Option<Secret> {
        self.external
            .iter()
            .find(|(id, _)| id.as_slice() == psk_id)
            .map(|(_, psk)| psk.clone())
    }

    fn application_psk(&self, component_id: ComponentId, psk_id: &[u8]) -> Option<Secret> {
        self.application
            .iter()
            .find(|(c, id, _)| *c == component_id && id.as_slice() == psk_id)
            .map(|(_, _, psk)| psk.clone())
    }
}

impl ExternalPsks for PskList {
    fn external_psk(&self, psk_id: &[u8]) -> Option<Secret> {
        self.0
            .iter()
            .find(|(id, _)| id.as_slice() == psk_id)
            .map(|(_, psk)| psk.clone())
    }
}

/// `psk` with a fresh `psk_nonce` of the suite's KDF output length `Nh` (RFC 9420 §8.4,
/// V-12.1.4-03), for a PreSharedKey proposal or a commit's PSK list.
///
/// # Errors
/// The provider's failure to draw random bytes.
pub fn fresh_psk_id(suite: &dyn SuiteOps, psk: Psk) -> Result<PreSharedKeyId, crate::Error> {
    let mut nonce = vec![0u8; suite.hash_len()];
    suite.random_fill(&mut nonce)?;
    Ok(PreSharedKeyId {
        psk,
        psk_nonce: nonce.into(),
    })
}
