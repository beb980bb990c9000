//! Multi-credentials (draft-ietf-mls-extensions, "Multi-Credentials"): a leaf's credential made
//! of several credentials, each bound to the leaf's signature key by a signature of that
//! credential's own key.
//!
//! A multi-credential travels as a [`Credential::Other`] of type [`CredentialType::MULTI`] or
//! [`CredentialType::WEAK_MULTI`], whose body (`CredentialBinding bindings<V>`) is the opaque
//! body cohort reads for any credential type it does not parse itself; [`MultiCredential`]
//! reads and writes it.

use cohort_codec::{CodecError, Decode, Encode, Reader, VarBytes};
use cohort_crypto::{CipherSuite, CryptoError, SignaturePublicKey, Signer, SuiteOps, labeled};

use crate::{
    Credential, CredentialContext, CredentialError, CredentialType, CredentialValidator, Identity,
};

impl CredentialType {
    /// `multi(3)` of draft-ietf-mls-extensions (suggested value): every binding must be
    /// supported by every member.
    pub const MULTI: Self = Self(3);
    /// `weak-multi(4)` of draft-ietf-mls-extensions (suggested value): every member must support
    /// at least one binding.
    pub const WEAK_MULTI: Self = Self(4);
}

/// `CredentialBinding`: one credential, its key, and that key's signature binding it to the
/// leaf's signature key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Encode, Decode)]
pub struct CredentialBinding {
    /// The cipher suite whose signature scheme `credential_key` and `signature` use.
    pub cipher_suite: CipherSuite,
    /// The credential.
    pub credential: Credential,
    /// The key the credential certifies.
    pub credential_key: SignaturePublicKey,
    /// `SignWithLabel(credential_key's private key, "CredentialBindingTBS",
    /// CredentialBindingTBS)`.
    pub signature: VarBytes,
}

/// `CredentialBindingTBS`: what a binding's signature covers.
#[derive(Encode)]
struct CredentialBindingTbs<'a> {
    cipher_suite: CipherSuite,
    credential: &'a Credential,
    credential_key: &'a SignaturePublicKey,
    signature_key: &'a SignaturePublicKey,
}

const LABEL: &[u8] = b"CredentialBindingTBS";

impl CredentialBinding {
    /// Binds `credential` (whose key `signer` holds, in `cipher_suite`) to the leaf signature key
    /// `signature_key`.
    ///
    /// # Errors
    /// The signer's failure; an encoding failure.
    pub fn sign(
        signer: &dyn Signer,
        cipher_suite: CipherSuite,
        credential: Credential,
        signature_key: &SignaturePublicKey,
    ) -> Result<Self, CryptoError> {
        let credential_key = signer.public_key().clone();
        let tbs = CredentialBindingTbs {
            cipher_suite,
            credential: &credential,
            credential_key: &credential_key,
            signature_key,
        }
        .to_bytes()?;
        let signature = labeled::sign_with_label(signer, LABEL, &tbs)?;
        Ok(Self {
            cipher_suite,
            credential,
            credential_key,
            signature: signature.into(),
        })
    }

    /// Verifies the binding's signature, with `suite` (of the binding's cipher suite), in the
    /// context of a leaf whose signature key is `signature_key`.
    ///
    /// # Errors
    /// A [`CryptoError`] when the signature does not verify (or `suite` is not the binding's).
    pub fn verify(
        &self,
        suite: &dyn SuiteOps,
        signature_key: &SignaturePublicKey,
    ) -> Result<(), CryptoError> {
        if suite.cipher_suite() != self.cipher_suite {
            return Err(
                cohort_crypto::CryptoErrorKind::UnsupportedCipherSuite(self.cipher_suite).into(),
            );
        }
        let tbs = CredentialBindingTbs {
            cipher_suite: self.cipher_suite,
            credential: &self.credential,
            credential_key: &self.credential_key,
            signature_key,
        }
        .to_bytes()?;
        labeled::verify_with_label(suite, &self.credential_key, LABEL, &tbs, &self.signature)
    }
}

/// A `MultiCredential` or `WeakMultiCredential`: the bindings, and which of the two it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiCredential {
    /// `true` for `weak-multi`.
    pub weak: bool,
    /// The bindings.
    pub bindings: Vec<CredentialBinding>,
}

impl MultiCredential {
    /// The multi-credential `credential` carries: `None` when it is of another type.
    ///
    /// # Errors
    /// A decode error when its body is not a list of bindings.
    pub fn from_credential(credential: &Credential) -> Option<Result<Self, CodecError>> {
        let Credential::Other {
            credential_type,
            data,
        } = credential
        else {
            return None;
        };
        let weak = match *credential_type {
            CredentialType::MULTI => false,
            CredentialType::WEAK_MULTI => true,
            _ => return None,
        };
        // The opaque body is the content of `bindings<V>`: bindings one after another.
        let mut r = Reader::new(data);
        let mut bindings = Vec::new();
        while !r.is_empty() {
            match CredentialBinding::decode(&mut r) {
                Ok(b) => bindings.push(b),
                Err(e) => return Some(Err(e)),
            }
        }
        Some(Ok(Self { weak, bindings }))
    }

    /// This multi-credential as a [`Credential`] to put in a leaf.
    ///
    /// # Errors
    /// An encoding failure.
    pub fn to_credential(&self) -> Result<Credential, CodecError> {
        let mut data = Vec::new();
        for b in &self.bindings {
            b.encode(&mut data)?;
        }
        Ok(Credential::Other {
            credential_type: if self.weak {
                CredentialType::WEAK_MULTI
            } else {
                CredentialType::MULTI
            },
            data: data.into(),
        })
    }
}

/// An Authentication Service for multi-credentials: a multi-credential is valid when its inner
/// validator accepts the credential of every binding with that binding's key (the draft's "The
/// credential is valid according to the MLS Authentication Service" and "The credential_key
/// corresponds to the specified credential"), and its identity is the first binding's. Other
/// credentials go to the inner validator unchanged.
///
/// (The group checks the bindings' signatures and the members' support; the application's
/// validator decides what each credential is worth.)
#[derive(Debug, Clone)]
pub struct MultiCredentialValidator<V> {
    inner: V,
}

impl<V: CredentialValidator> MultiCredentialValidator<V> {
    /// Multi-credentials over `inner`.
    pub fn new(inner: V) -> Self {
        Self { inner }
    }
}

impl<V: CredentialValidator> CredentialValidator for MultiCredentialValidator<V> {
    fn validate(
        &self,
        credential: &Credential,
        signature_key: &SignaturePublicKey,
        context: CredentialContext,
    ) -> Result<Identity, CredentialError> {
        let Some(multi) = MultiCredential::from_credential(credential) else {
            return self.inner.validate(credential, signature_key, context);
        };
        let multi =
            multi.map_err(|_| CredentialError::Rejected("malformed multi-credential".into()))?;
        let mut identity = None;
        for b in &multi.bindings {
            let id = self
                .inner
                .validate(&b.credential, &b.credential_key, context)?;
            identity.get_or_insert(id);
        }
        identity.ok_or(CredentialError::Rejected(
            "a multi-credential without bindings".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BasicValidator;

    fn binding(identity: &[u8]) -> CredentialBinding {
        CredentialBinding {
            cipher_suite: CipherSuite(1),
            credential: Credential::basic(identity.to_vec()),
            credential_key: SignaturePublicKey::from(vec![7; 32]),
            signature: VarBytes::from(vec![1; 64]),
        }
    }

    #[test]
    fn multi_credentials_round_trip_and_validate_each_binding() {
        let multi = MultiCredential {
            weak: true,
            bindings: vec![binding(b"corp"), binding(b"chat")],
        };
        let credential = multi.to_credential().expect("encodes");
        assert_eq!(credential.credential_type(), CredentialType::WEAK_MULTI);
        let bytes = credential.to_bytes().expect("encodes");
        let read = Credential::from_bytes(&bytes).expect("decodes");
        assert_eq!(
            MultiCredential::from_credential(&read)
                .expect("a multi-credential")
                .expect("well formed"),
            multi
        );
        let v = MultiCredentialValidator::new(BasicValidator::default());
        let key = SignaturePublicKey::from(vec![9; 32]);
        assert_eq!(
            v.validate(&credential, &key, CredentialContext::Add)
                .expect("valid")
                .0,
            b"corp"
        );
        // One binding the inner validator refuses refuses the whole credential.
        let bad = MultiCredential {
            weak: false,
            bindings: vec![binding(b"corp"), binding(b"")],
        };
        assert!(
            v.validate(
                &bad.to_credential().expect("encodes"),
                &key,
                CredentialContext::Add
            )
            .is_err()
        );
        // Other credentials go to the inner validator.
        assert!(
            v.validate(
                &Credential::basic(b"x".to_vec()),
                &key,
                CredentialContext::Add
            )
            .is_ok()
        );
    }
}
