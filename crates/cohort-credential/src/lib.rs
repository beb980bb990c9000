#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![deny(rustdoc::broken_intra_doc_links)]

mod multi;
mod validator;
#[cfg(feature = "x509")]
pub mod x509;

use cohort_codec::{CodecError, Decode, Encode, Reader, VarBytes, opaque_len};

pub use multi::{CredentialBinding, MultiCredential, MultiCredentialValidator};
pub use validator::{
    BasicValidator, CredentialContext, CredentialError, CredentialValidator, DuplicatePolicy,
    Identity,
};

/// A credential type from the "MLS Credential Types" registry (RFC 9420 §17.5).
///
/// Open registry: unknown values, GREASE included, are carried as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct CredentialType(pub u16);

impl CredentialType {
    /// `basic(1)`: an opaque application-defined identity.
    pub const BASIC: Self = Self(1);
    /// `x509(2)`: a chain of DER certificates, leaf first.
    pub const X509: Self = Self(2);
}

/// `Certificate` (RFC 9420 §5.3): one DER-encoded X.509 certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode)]
pub struct Certificate {
    /// The DER bytes.
    pub cert_data: VarBytes,
}

/// `Credential` (RFC 9420 §5.3): binds an identity to a member's signature key.
///
/// The RFC gives the `select` no default arm, so a type this library does not implement cannot
/// be parsed from the RFC's grammar alone. Like the other deployed implementations, cohort reads
/// the body of any other credential type as one `opaque<V>` and keeps it as
/// [`Credential::Other`], so unknown and GREASE types survive a round trip; whether such a
/// credential is acceptable is decided by credential validation, not by the decoder.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Credential {
    /// `basic`: `opaque identity<V>`.
    Basic {
        /// The identity.
        identity: VarBytes,
    },
    /// `x509`: `Certificate certificates<V>`, leaf first.
    X509 {
        /// The chain.
        certificates: Vec<Certificate>,
    },
    /// Any other credential type, body kept as it was read.
    Other {
        /// The type.
        credential_type: CredentialType,
        /// The body.
        data: VarBytes,
    },
}

impl Credential {
    /// A basic credential for `identity`.
    pub fn basic(identity: impl Into<Vec<u8>>) -> Self {
        Self::Basic {
            identity: VarBytes::new(identity.into()),
        }
    }

    /// The credential's type.
    pub fn credential_type(&self) -> CredentialType {
        match self {
            Self::Basic { .. } => CredentialType::BASIC,
            Self::X509 { .. } => CredentialType::X509,
            Self::Other {
                credential_type, ..
            } => *credential_type,
        }
    }
}

impl Encode for Credential {
    fn encoded_len(&self) -> usize {
        2 + match self {
            Self::Basic { identity } => identity.encoded_len(),
            Self::X509 { certificates } => certificates.encoded_len(),
            Self::Other { data, .. } => opaque_len(data),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        self.credential_type().encode(out)?;
        match self {
            Self::Basic { identity } => identity.encode(out),
            Self::X509 { certificates } => certificates.encode(out),
            Self::Other {
                credential_type,
                data,
            } => {
                if matches!(
                    *credential_type,
                    CredentialType::BASIC | CredentialType::X509
                ) {
                    return Err(CodecError::InvalidValue {
                        what: "Credential",
                        reason: "a known credential type must use its own variant",
                    });
                }
                data.encode(out)
            }
        }
    }
}

impl Decode for Credential {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, CodecError> {
        let credential_type = CredentialType::decode(reader)?;
        Ok(match credential_type {
            CredentialType::BASIC => Self::Basic {
                identity: VarBytes::decode(reader)?,
            },
            CredentialType::X509 => Self::X509 {
                certificates: Vec::decode(reader)?,
            },
            _ => Self::Other {
                credential_type,
                data: VarBytes::decode(reader)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x509_and_unknown_credentials_round_trip() {
        let x509 = Credential::X509 {
            certificates: vec![
                Certificate {
                    cert_data: VarBytes::from(vec![0x30, 0x01, 0x00]),
                },
                Certificate {
                    cert_data: VarBytes::from(vec![0x30, 0x00]),
                },
            ],
        };
        let grease = Credential::Other {
            credential_type: CredentialType(0x3a3a),
            data: VarBytes::from(vec![1, 2, 3]),
        };
        for c in [x509, grease] {
            let bytes = c.to_bytes().expect("encodes");
            assert_eq!(bytes.len(), c.encoded_len());
            assert_eq!(Credential::from_bytes(&bytes).expect("decodes"), c);
        }
    }

    #[test]
    fn other_variant_cannot_masquerade_as_basic() {
        let bad = Credential::Other {
            credential_type: CredentialType::BASIC,
            data: VarBytes::default(),
        };
        assert!(bad.to_bytes().is_err());
    }
}
