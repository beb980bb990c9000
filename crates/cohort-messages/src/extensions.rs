//! The bodies of the extensions RFC 9420 defines (§5.3.3, §11.1, §12.1.8.1, §12.4.3.2,
//! §12.4.3.3).
//!
//! Each is the `extension_data` of an [`Extension`]; [`ExtensionPayload`] converts between the
//! two, checking the type and that the body is consumed entirely.

use cohort_codec::{CodecError, Decode, Encode, VarBytes};
use cohort_credential::{Credential, CredentialType};
use cohort_crypto::{HpkePublicKey, SignaturePublicKey};
use cohort_tree::extension::{Extension, ExtensionType};
use cohort_tree::leaf::ProposalType;
use cohort_tree::node::RatchetTreeNodes;

/// A typed extension body.
pub trait ExtensionPayload: Encode + Decode {
    /// The extension type whose body this is.
    const EXTENSION_TYPE: ExtensionType;

    /// Wraps the encoded body in an [`Extension`].
    ///
    /// # Errors
    /// A [`CodecError`] when a field is too long to encode.
    fn to_extension(&self) -> Result<Extension, CodecError> {
        Ok(Extension {
            extension_type: Self::EXTENSION_TYPE,
            extension_data: self.to_bytes()?.into(),
        })
    }

    /// Parses the body of `ext`, which must be of [`ExtensionPayload::EXTENSION_TYPE`] and be
    /// consumed entirely.
    ///
    /// # Errors
    /// [`CodecError::InvalidValue`] for another type; any decode error of the body.
    fn from_extension(ext: &Extension) -> Result<Self, CodecError> {
        if ext.extension_type != Self::EXTENSION_TYPE {
            return Err(CodecError::InvalidValue {
                what: "extension",
                reason: "extension type does not match the payload type",
            });
        }
        Self::from_bytes(&ext.extension_data)
    }
}

/// `application_id` (RFC 9420 §5.3.3): an application-level identifier for a leaf.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct ApplicationId(pub VarBytes);

/// `RequiredCapabilities` (RFC 9420 §11.1).
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode)]
pub struct RequiredCapabilities {
    /// Extension types every member must support.
    pub extension_types: Vec<ExtensionType>,
    /// Proposal types every member must support.
    pub proposal_types: Vec<ProposalType>,
    /// Credential types every member must support.
    pub credential_types: Vec<CredentialType>,
}

/// `ExternalPub` (RFC 9420 §12.4.3.2): the key external joiners encrypt to.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct ExternalPub {
    /// The HPKE public key derived from the epoch's external secret.
    pub external_pub: HpkePublicKey,
}

/// `ExternalSender` (RFC 9420 §12.1.8.1): a party outside the group allowed to propose.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct ExternalSender {
    /// Its signature key.
    pub signature_key: SignaturePublicKey,
    /// Its credential.
    pub credential: Credential,
}

/// `ExternalSender external_senders<V>` (RFC 9420 §12.1.8.1).
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode)]
pub struct ExternalSenders(pub Vec<ExternalSender>);

impl ExtensionPayload for ApplicationId {
    const EXTENSION_TYPE: ExtensionType = ExtensionType::APPLICATION_ID;
}

impl ExtensionPayload for RatchetTreeNodes {
    const EXTENSION_TYPE: ExtensionType = ExtensionType::RATCHET_TREE;
}

impl ExtensionPayload for RequiredCapabilities {
    const EXTENSION_TYPE: ExtensionType = ExtensionType::REQUIRED_CAPABILITIES;
}

impl ExtensionPayload for ExternalPub {
    const EXTENSION_TYPE: ExtensionType = ExtensionType::EXTERNAL_PUB;
}

impl ExtensionPayload for ExternalSenders {
    const EXTENSION_TYPE: ExtensionType = ExtensionType::EXTERNAL_SENDERS;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_through_extensions() {
        let rc = RequiredCapabilities {
            extension_types: vec![ExtensionType(0x0a0a)],
            proposal_types: vec![ProposalType(0xfafa)],
            credential_types: vec![CredentialType::BASIC],
        };
        let ext = rc.to_extension().expect("encodes");
        assert_eq!(ext.extension_type, ExtensionType::REQUIRED_CAPABILITIES);
        assert_eq!(
            RequiredCapabilities::from_extension(&ext).expect("decodes"),
            rc
        );
        // The wrong payload type for the extension is refused.
        assert!(ExternalPub::from_extension(&ext).is_err());
    }

    #[test]
    fn v_2_1_03_extension_body_with_trailing_bytes_is_rejected() {
        let mut ext = ApplicationId(VarBytes::from(vec![1]))
            .to_extension()
            .expect("encodes");
        let mut data = ext.extension_data.to_vec();
        data.push(0);
        ext.extension_data = data.into();
        assert_eq!(
            ApplicationId::from_extension(&ext),
            Err(CodecError::TrailingBytes(1))
        );
    }
}
