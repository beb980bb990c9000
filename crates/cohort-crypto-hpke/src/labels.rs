//! `LabeledExtract` and `LabeledExpand` of RFC 9180 §4.

use cohort_crypto::{CryptoError, CryptoErrorKind, Secret};

use crate::primitives::{Kdf, OneStageKdf};

const VERSION_LABEL: &[u8] = b"HPKE-v1";

/// `LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm)`.
pub(crate) fn labeled_extract(
    kdf: &dyn Kdf,
    suite_id: &[u8],
    salt: &[u8],
    label: &[u8],
    ikm: &[u8],
) -> Result<Secret, CryptoError> {
    // The input may hold a DH output or a shared secret: keep it in a zeroizing wrapper.
    let labeled_ikm = Secret::new(labeled_ikm(suite_id, label, ikm));
    kdf.extract(salt, labeled_ikm.as_bytes())
}

/// `LabeledExtract("", label, ikm)` for a public `ikm` (HPKE's `info`): the labeled input is not
/// secret, so it is not copied into a zeroizing buffer (for a Welcome it is the size of the
/// whole encrypted GroupInfo).
pub(crate) fn labeled_extract_public(
    kdf: &dyn Kdf,
    suite_id: &[u8],
    label: &[u8],
    ikm: &[u8],
) -> Result<Secret, CryptoError> {
    kdf.extract(&[], &labeled_ikm(suite_id, label, ikm))
}

/// `"HPKE-v1" || suite_id || label || ikm`.
fn labeled_ikm(suite_id: &[u8], label: &[u8], ikm: &[u8]) -> Vec<u8> {
    let mut labeled =
        Vec::with_capacity(VERSION_LABEL.len() + suite_id.len() + label.len() + ikm.len());
    labeled.extend_from_slice(VERSION_LABEL);
    labeled.extend_from_slice(suite_id);
    labeled.extend_from_slice(label);
    labeled.extend_from_slice(ikm);
    labeled
}

/// `LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id ||
/// label || info, L)`.
pub(crate) fn labeled_expand(
    kdf: &dyn Kdf,
    suite_id: &[u8],
    prk: &[u8],
    label: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Secret, CryptoError> {
    let l = u16::try_from(len).map_err(|_| CryptoErrorKind::InvalidLength)?;
    let mut labeled_info =
        Vec::with_capacity(2 + VERSION_LABEL.len() + suite_id.len() + label.len() + info.len());
    labeled_info.extend_from_slice(&l.to_be_bytes());
    labeled_info.extend_from_slice(VERSION_LABEL);
    labeled_info.extend_from_slice(suite_id);
    labeled_info.extend_from_slice(label);
    labeled_info.extend_from_slice(info);
    kdf.expand(prk, &labeled_info, len)
}

/// `LabeledDerive(ikm, label, context, L)` of draft-ietf-hpke-hpke §4, for single-stage KDFs:
///
/// ```text
/// Derive(ikm || "HPKE-v1" || suite_id || I2OSP(len(label), 2) || label || I2OSP(L, 2) || context, L)
/// ```
///
/// The post-quantum KEMs of draft-ietf-hpke-pq derive their key pairs with
/// `SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "", Nsk)` under the KEM's `suite_id`
/// (`"KEM" || I2OSP(kem_id, 2)`), whatever KDF the HPKE suite uses.
///
/// # Errors
/// [`CryptoErrorKind::InvalidLength`] when `label` or `len` does not fit in 16 bits; errors of
/// the KDF.
pub fn labeled_derive(
    kdf: &dyn OneStageKdf,
    suite_id: &[u8],
    ikm: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Result<Secret, CryptoError> {
    let l = u16::try_from(len).map_err(|_| CryptoErrorKind::InvalidLength)?;
    let label_len = u16::try_from(label.len()).map_err(|_| CryptoErrorKind::InvalidLength)?;
    let mut labeled = Vec::with_capacity(
        ikm.len() + VERSION_LABEL.len() + suite_id.len() + 4 + label.len() + context.len(),
    );
    labeled.extend_from_slice(ikm);
    labeled.extend_from_slice(VERSION_LABEL);
    labeled.extend_from_slice(suite_id);
    labeled.extend_from_slice(&label_len.to_be_bytes());
    labeled.extend_from_slice(label);
    labeled.extend_from_slice(&l.to_be_bytes());
    labeled.extend_from_slice(context);
    // The input starts with key material (a seed, a shared secret): keep it zeroizing.
    let labeled = Secret::new(labeled);
    kdf.derive(labeled.as_bytes(), len)
}

/// `"KEM" || I2OSP(kem_id, 2)`: the `suite_id` of a KEM's own derivations.
pub fn kem_suite_id(kem_id: u16) -> [u8; 5] {
    let [a, b] = kem_id.to_be_bytes();
    [b'K', b'E', b'M', a, b]
}
