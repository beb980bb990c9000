//! The labeled operations of RFC 9420, written once on top of [`SuiteOps`] and the key handles.
//!
//! ```text
//! ExpandWithLabel(secret, label, context, L) = KDF.Expand(secret, KDFLabel, L)
//!     KDFLabel  = { uint16 length = L; opaque label<V> = "MLS 1.0 " + label; opaque context<V> }
//! DeriveSecret(secret, label)                = ExpandWithLabel(secret, label, "", Nh)
//! DeriveTreeSecret(secret, label, gen, L)    = ExpandWithLabel(secret, label, uint32(gen), L)
//! SignWithLabel(sk, label, content)          = Sign(sk, SignContent)
//!     SignContent = { opaque label<V> = "MLS 1.0 " + label; opaque content<V> }
//! EncryptWithLabel(pk, label, context, pt)   = SealBase(pk, EncryptContext, "", pt)
//!     EncryptContext = { opaque label<V> = "MLS 1.0 " + label; opaque context<V> }
//! RefHash(label, value)                      = Hash(RefHashInput { opaque label<V>; opaque value<V> })
//! ```

use cohort_codec::{Decode, Encode, VarBytes};
use subtle::ConstantTimeEq;

use crate::{
    CryptoError, CryptoErrorKind, Decapsulator, HpkeCiphertext, HpkePublicKey, Secret,
    SignaturePublicKey, Signer, SuiteOps,
};

/// The prefix RFC 9420 adds to every label of the labeled operations.
pub const MLS_LABEL_PREFIX: &[u8] = b"MLS 1.0 ";

/// The `RefHash` label of [`KeyPackageRef`] (RFC 9420 §5.2).
pub const KEY_PACKAGE_REF_LABEL: &[u8] = b"MLS 1.0 KeyPackage Reference";

/// The `RefHash` label of [`ProposalRef`] (RFC 9420 §5.2).
pub const PROPOSAL_REF_LABEL: &[u8] = b"MLS 1.0 Proposal Reference";

/// `ExpandWithLabel` of [RFC 9420 §8](https://www.rfc-editor.org/rfc/rfc9420#section-8).
///
/// `label` is given without the `"MLS 1.0 "` prefix, which is added here.
///
/// # Errors
/// [`CryptoErrorKind::InvalidLength`] when `length` exceeds what the KDF can produce.
pub fn expand_with_label(
    suite: &dyn SuiteOps,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    length: u16,
) -> Result<Secret, CryptoError> {
    suite.kdf_expand(
        secret,
        &kdf_label(length, label, context)?,
        usize::from(length),
    )
}

/// The encoded `KDFLabel` of RFC 9420 §8, written in one buffer (an application message runs
/// ten `ExpandWithLabel`s).
fn kdf_label(length: u16, label: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let full_label = MLS_LABEL_PREFIX.len() + label.len();
    let mut info = Vec::with_capacity(
        2 + cohort_codec::varint_len(full_label)
            + full_label
            + cohort_codec::varint_len(context.len())
            + context.len(),
    );
    info.extend_from_slice(&length.to_be_bytes());
    cohort_codec::encode_varint(full_label, &mut info)?;
    info.extend_from_slice(MLS_LABEL_PREFIX);
    info.extend_from_slice(label);
    cohort_codec::encode_opaque(context, &mut info)?;
    Ok(info)
}

/// `DeriveSecret` of [RFC 9420 §8](https://www.rfc-editor.org/rfc/rfc9420#section-8):
/// `ExpandWithLabel(secret, label, "", Nh)`.
///
/// # Errors
/// As [`expand_with_label`].
pub fn derive_secret(
    suite: &dyn SuiteOps,
    secret: &[u8],
    label: &[u8],
) -> Result<Secret, CryptoError> {
    let nh = u16::try_from(suite.hash_len()).map_err(|_| CryptoErrorKind::InvalidLength)?;
    expand_with_label(suite, secret, label, &[], nh)
}

/// `DeriveTreeSecret` of [RFC 9420 §9](https://www.rfc-editor.org/rfc/rfc9420#section-9):
/// `ExpandWithLabel(secret, label, generation, length)`, the generation as a `uint32`.
///
/// # Errors
/// As [`expand_with_label`].
pub fn derive_tree_secret(
    suite: &dyn SuiteOps,
    secret: &[u8],
    label: &[u8],
    generation: u32,
    length: u16,
) -> Result<Secret, CryptoError> {
    expand_with_label(suite, secret, label, &generation.to_be_bytes(), length)
}

/// `SignWithLabel` of [RFC 9420 §5.1.2](https://www.rfc-editor.org/rfc/rfc9420#section-5.1.2).
///
/// # Errors
/// Errors of [`Signer::sign`].
pub fn sign_with_label(
    signer: &dyn Signer,
    label: &[u8],
    content: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    signer.sign(&sign_content(label, content)?)
}

/// [`sign_with_label`] of `content`'s encoding, written straight into the signed `SignContent`
/// (no separate buffer for the encoding: for a large message that is one copy fewer).
///
/// # Errors
/// As [`sign_with_label`]; an encoding error of `content`.
pub fn sign_encoded_with_label(
    signer: &dyn Signer,
    label: &[u8],
    content: &dyn Encode,
) -> Result<Vec<u8>, CryptoError> {
    signer.sign(&labeled_encoding(label, content)?)
}

/// [`verify_with_label`] of `content`'s encoding, written straight into the `SignContent`.
///
/// # Errors
/// As [`verify_with_label`]; an encoding error of `content`.
pub fn verify_encoded_with_label(
    suite: &dyn SuiteOps,
    public_key: &SignaturePublicKey,
    label: &[u8],
    content: &dyn Encode,
    signature: &[u8],
) -> Result<(), CryptoError> {
    suite.verify(public_key, &labeled_encoding(label, content)?, signature)
}

/// `VerifyWithLabel` of [RFC 9420 §5.1.2](https://www.rfc-editor.org/rfc/rfc9420#section-5.1.2).
///
/// # Errors
/// [`CryptoErrorKind::InvalidSignature`] when the signature does not verify,
/// [`CryptoErrorKind::InvalidPublicKey`] when the key is malformed.
///
/// # Security
/// All three inputs may come from a peer; this never panics on them.
pub fn verify_with_label(
    suite: &dyn SuiteOps,
    public_key: &SignaturePublicKey,
    label: &[u8],
    content: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    suite.verify(public_key, &sign_content(label, content)?, signature)
}

/// `VerifyWithLabel` of [RFC 9420 §5.1.2](https://www.rfc-editor.org/rfc/rfc9420#section-5.1.2)
/// for every `(public_key, content, signature)` of `items` under one label, through
/// [`SuiteOps::verify_batch`] (see there for when a batch check is appropriate). Each content
/// is encoded straight into its `SignContent`, all of them in one shared buffer (a joined
/// tree's leaves are tens of thousands of small contents).
///
/// # Errors
/// As [`SuiteOps::verify_batch`]: an error when any signature does not verify; an encoding
/// error of a content.
pub fn verify_batch_encoded_with_label(
    suite: &dyn SuiteOps,
    label: &[u8],
    items: &[(&SignaturePublicKey, &dyn Encode, &[u8])],
) -> Result<(), CryptoError> {
    let mut buffer = Vec::new();
    let mut ends = Vec::with_capacity(items.len());
    for (_, content, _) in items {
        labeled_encoding_into(label, *content, &mut buffer)?;
        ends.push(buffer.len());
    }
    let mut start = 0;
    let batch: Vec<(&SignaturePublicKey, &[u8], &[u8])> = items
        .iter()
        .zip(&ends)
        .map(|((pk, _, sig), &end)| {
            let content = &buffer[start..end];
            start = end;
            (*pk, content, *sig)
        })
        .collect();
    suite.verify_batch(&batch)
}

/// `EncryptWithLabel` of [RFC 9420 §5.1.3](https://www.rfc-editor.org/rfc/rfc9420#section-5.1.3).
///
/// # Errors
/// Errors of [`SuiteOps::hpke_seal`], for example an invalid `public_key`.
pub fn encrypt_with_label(
    suite: &dyn SuiteOps,
    public_key: &HpkePublicKey,
    label: &[u8],
    context: &[u8],
    plaintext: &[u8],
) -> Result<HpkeCiphertext, CryptoError> {
    let info = encrypt_context(label, context)?;
    suite.hpke_seal(public_key, &info, &[], plaintext)
}

/// `EncryptWithLabel` of [RFC 9420 §5.1.3](https://www.rfc-editor.org/rfc/rfc9420#section-5.1.3)
/// to many recipients under one label and context, in order: each `(public_key, plaintext)`
/// gets its own HPKE encapsulation, and the work that depends only on the context is shared
/// (see [`SuiteOps::hpke_seal_many`]).
///
/// # Errors
/// Errors of [`SuiteOps::hpke_seal_many`], for example an invalid public key.
pub fn encrypt_with_label_many(
    suite: &dyn SuiteOps,
    label: &[u8],
    context: &[u8],
    recipients: &[(&HpkePublicKey, &[u8])],
) -> Result<Vec<HpkeCiphertext>, CryptoError> {
    let info = encrypt_context(label, context)?;
    suite.hpke_seal_many(recipients, &info, &[])
}

/// `DecryptWithLabel` of [RFC 9420 §5.1.3](https://www.rfc-editor.org/rfc/rfc9420#section-5.1.3),
/// decapsulating through the key handle `key`.
///
/// # Errors
/// Errors of [`SuiteOps::hpke_open`]: [`CryptoErrorKind::AeadOpenFailed`] for a wrong key or a
/// tampered ciphertext, [`CryptoErrorKind::InvalidPublicKey`] for a malformed `kem_output`.
pub fn decrypt_with_label(
    suite: &dyn SuiteOps,
    key: &dyn Decapsulator,
    label: &[u8],
    context: &[u8],
    ciphertext: &HpkeCiphertext,
) -> Result<Vec<u8>, CryptoError> {
    let info = encrypt_context(label, context)?;
    suite.hpke_open(key, ciphertext, &info, &[])
}

/// `RefHash(label, value)` of [RFC 9420 §5.2](https://www.rfc-editor.org/rfc/rfc9420#section-5.2).
///
/// The label is used as given: the callers in the RFC pass it with the `"MLS 1.0 "` prefix.
///
/// # Errors
/// Errors of [`SuiteOps::hash`].
pub fn ref_hash(suite: &dyn SuiteOps, label: &[u8], value: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let input = RefHashInput {
        label: VarBytes::from(label),
        value: VarBytes::from(value),
    }
    .to_bytes()?;
    suite.hash(&input)
}

/// `MakeKeyPackageRef(value)` of RFC 9420 §5.2, over an encoded `KeyPackage`.
///
/// # Errors
/// As [`ref_hash`].
pub fn make_key_package_ref(
    suite: &dyn SuiteOps,
    key_package: &[u8],
) -> Result<KeyPackageRef, CryptoError> {
    ref_hash(suite, KEY_PACKAGE_REF_LABEL, key_package).map(|h| KeyPackageRef(VarBytes::new(h)))
}

/// `MakeProposalRef(value)` of RFC 9420 §5.2, over an encoded `AuthenticatedContent`.
///
/// # Errors
/// As [`ref_hash`].
pub fn make_proposal_ref(
    suite: &dyn SuiteOps,
    proposal: &[u8],
) -> Result<ProposalRef, CryptoError> {
    ref_hash(suite, PROPOSAL_REF_LABEL, proposal).map(|h| ProposalRef(VarBytes::new(h)))
}

macro_rules! hash_reference {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// # Security
        /// Equality is checked in constant time.
        #[derive(Debug, Clone, Encode, Decode)]
        pub struct $name(pub VarBytes);

        impl $name {
            /// The hash bytes.
            pub fn as_slice(&self) -> &[u8] {
                &self.0
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.0.as_slice().ct_eq(other.0.as_slice()).into()
            }
        }

        impl Eq for $name {}

        impl core::hash::Hash for $name {
            fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
                self.0.as_slice().hash(state);
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }
    };
}

hash_reference!(
    /// `KeyPackageRef` (RFC 9420 §5.2): `RefHash("MLS 1.0 KeyPackage Reference", KeyPackage)`.
    KeyPackageRef
);

hash_reference!(
    /// `ProposalRef` (RFC 9420 §5.2): `RefHash("MLS 1.0 Proposal Reference",
    /// AuthenticatedContent)`.
    ProposalRef
);

/// `RefHashInput` of RFC 9420 §5.2.
#[derive(Encode)]
struct RefHashInput {
    label: VarBytes,
    value: VarBytes,
}

#[cfg(test)]
fn prefixed(label: &[u8]) -> VarBytes {
    let mut full = Vec::with_capacity(MLS_LABEL_PREFIX.len() + label.len());
    full.extend_from_slice(MLS_LABEL_PREFIX);
    full.extend_from_slice(label);
    VarBytes::new(full)
}

/// `SignContent` / `EncryptContext`: `opaque label<V> = "MLS 1.0 " + label; opaque
/// content<V>`, encoded straight from the slices (the content may be a megabyte-sized
/// application message or a Welcome's encrypted GroupInfo: it is copied once, not twice).
fn labeled_content(label: &[u8], content: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let full_label = MLS_LABEL_PREFIX.len() + label.len();
    let mut out = Vec::with_capacity(
        cohort_codec::varint_len(full_label)
            + full_label
            + cohort_codec::varint_len(content.len())
            + content.len(),
    );
    cohort_codec::encode_varint(full_label, &mut out)?;
    out.extend_from_slice(MLS_LABEL_PREFIX);
    out.extend_from_slice(label);
    cohort_codec::encode_opaque(content, &mut out)?;
    Ok(out)
}

/// `LabeledContent` (as [`labeled_content`]) of the encoding of `content`, encoded in place.
fn labeled_encoding(label: &[u8], content: &dyn Encode) -> Result<Vec<u8>, CryptoError> {
    let mut out = Vec::new();
    labeled_encoding_into(label, content, &mut out)?;
    Ok(out)
}

/// Appends the `SignContent` of `label` and `content`'s encoding to `out`.
fn labeled_encoding_into(
    label: &[u8],
    content: &dyn Encode,
    out: &mut Vec<u8>,
) -> Result<(), CryptoError> {
    let full_label = MLS_LABEL_PREFIX.len() + label.len();
    let len = content.encoded_len();
    out.reserve(
        cohort_codec::varint_len(full_label) + full_label + cohort_codec::varint_len(len) + len,
    );
    cohort_codec::encode_varint(full_label, out)?;
    out.extend_from_slice(MLS_LABEL_PREFIX);
    out.extend_from_slice(label);
    cohort_codec::encode_varint(len, out)?;
    let start = out.len();
    content.encode(out)?;
    if out.len() - start != len {
        return Err(CryptoErrorKind::InvalidLength.into());
    }
    Ok(())
}

fn sign_content(label: &[u8], content: &[u8]) -> Result<Vec<u8>, CryptoError> {
    labeled_content(label, content)
}

fn encrypt_context(label: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
    labeled_content(label, context)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `KDFLabel` of RFC 9420 §8 as a derived struct encoding: the oracle for [`kdf_label`].
    #[derive(Encode)]
    struct KdfLabel {
        length: u16,
        label: VarBytes,
        context: VarBytes,
    }

    #[test]
    fn kdf_label_encoding() -> Result<(), CryptoError> {
        assert_eq!(kdf_label(32, b"x", b"c")?, b"\x00\x20\x09MLS 1.0 x\x01c");
        for context_len in [0usize, 63, 64, 300] {
            let context = vec![3u8; context_len];
            for label in [&b""[..], b"key", &[b'l'; 60]] {
                let expected = KdfLabel {
                    length: 16,
                    label: prefixed(label),
                    context: VarBytes::from(&context[..]),
                }
                .to_bytes()?;
                assert_eq!(kdf_label(16, label, &context)?, expected);
            }
        }
        Ok(())
    }

    /// `SignContent` of RFC 9420 §5.1.2 and `EncryptContext` of §5.1.3, through the derived
    /// struct encoding: the oracle for the direct encoding.
    #[derive(Encode)]
    struct LabeledContent {
        label: VarBytes,
        content: VarBytes,
    }

    #[test]
    fn labeled_encoding_matches_labeled_content_of_the_bytes() -> Result<(), CryptoError> {
        for len in [0usize, 63, 64, 16_384, 70_000] {
            let content = VarBytes::from(vec![0x5a; len]);
            for label in [&b""[..], b"FramedContentTBS"] {
                assert_eq!(
                    labeled_encoding(label, &content)?,
                    labeled_content(label, &content.to_bytes()?)?
                );
            }
        }
        Ok(())
    }

    #[test]
    fn labeled_content_matches_the_struct_encoding() -> Result<(), CryptoError> {
        // Lengths on both sides of the one-, two- and four-byte varint boundaries.
        for len in [0usize, 1, 63, 64, 16_383, 16_384, 70_000] {
            let content = vec![0xa5; len];
            for label in [&b""[..], b"FramedContentTBS", &[b'l'; 60]] {
                let expected = LabeledContent {
                    label: prefixed(label),
                    content: VarBytes::from(&content[..]),
                }
                .to_bytes()?;
                assert_eq!(labeled_content(label, &content)?, expected, "len {len}");
            }
        }
        Ok(())
    }
}
