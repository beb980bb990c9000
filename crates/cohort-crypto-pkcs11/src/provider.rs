//! A provider that pairs a token with a software provider.

use core::fmt;
use std::sync::Arc;

use cohort_crypto::{CipherSuite, CryptoProvider, SuiteOps};

use crate::{KeySelector, Pkcs11Error, Pkcs11Signer, Pkcs11Token};

/// A [`CryptoProvider`] for the cipher suites whose signature scheme the token can sign with:
/// every primitive comes from the software provider it wraps, and long-term signature keys come
/// from the token ([`Pkcs11Provider::generate_signer`], [`Pkcs11Provider::find_signer`]).
///
/// cohort signs only through a [`cohort_crypto::Signer`] handle, so the suite operations need
/// no change: `SuiteOps::sign` (signing with a software key) still works, for per-use software
/// keys, and `SuiteOps::verify` checks everyone's signatures, the token member's included.
///
/// # What stays in software, and why
/// Hashes, MACs, HKDF, AEAD, HPKE, the per-epoch and per-message secrets and HPKE private keys:
/// they change every epoch (or every message), so they are worth little to steal later, and
/// a token round trip for each would make every message as slow as the token.
#[derive(Clone)]
pub struct Pkcs11Provider {
    token: Pkcs11Token,
    software: Arc<dyn CryptoProvider>,
    suites: Vec<CipherSuite>,
}

impl Pkcs11Provider {
    /// Pairs `token` with `software`. The provider serves each suite of `software` whose
    /// signature scheme the token can sign with.
    pub fn new(token: Pkcs11Token, software: Arc<dyn CryptoProvider>) -> Self {
        let schemes = token.signature_schemes();
        let suites = software
            .cipher_suites()
            .iter()
            .copied()
            .filter(|cs| cs.signature_scheme().is_some_and(|s| schemes.contains(&s)))
            .collect();
        Self {
            token,
            software,
            suites,
        }
    }

    /// The token.
    pub fn token(&self) -> &Pkcs11Token {
        &self.token
    }

    /// Generates a signature key for `cs` in the token (see [`Pkcs11Token::generate_signer`]).
    ///
    /// # Errors
    /// [`Pkcs11Error::UnsupportedScheme`] when this provider does not serve `cs`; the errors of
    /// [`Pkcs11Token::generate_signer`].
    pub fn generate_signer(
        &self,
        cs: CipherSuite,
        label: &str,
        id: &[u8],
    ) -> Result<Pkcs11Signer, Pkcs11Error> {
        let scheme = self.scheme_of(cs)?;
        self.token.generate_signer(scheme, label, id)
    }

    /// Finds a signature key for `cs` in the token (see [`Pkcs11Token::find_signer`]).
    ///
    /// # Errors
    /// [`Pkcs11Error::UnusableKey`] when the key's scheme is not the suite's; the errors of
    /// [`Pkcs11Token::find_signer`].
    pub fn find_signer(
        &self,
        cs: CipherSuite,
        key: &KeySelector,
    ) -> Result<Pkcs11Signer, Pkcs11Error> {
        let scheme = self.scheme_of(cs)?;
        let signer = self.token.find_signer(key)?;
        if cohort_crypto::Signer::signature_scheme(&signer) != scheme {
            return Err(Pkcs11Error::UnusableKey(
                "the key's scheme is not the cipher suite's",
            ));
        }
        Ok(signer)
    }

    fn scheme_of(&self, cs: CipherSuite) -> Result<cohort_crypto::SignatureScheme, Pkcs11Error> {
        match cs.signature_scheme() {
            Some(s) if self.suites.contains(&cs) => Ok(s),
            Some(s) => Err(Pkcs11Error::UnsupportedScheme(s.0)),
            None => Err(Pkcs11Error::UnsupportedScheme(0)),
        }
    }
}

impl CryptoProvider for Pkcs11Provider {
    fn cipher_suites(&self) -> &[CipherSuite] {
        &self.suites
    }

    fn suite(&self, cs: CipherSuite) -> Option<Arc<dyn SuiteOps>> {
        if self.suites.contains(&cs) {
            self.software.suite(cs)
        } else {
            None
        }
    }
}

impl fmt::Debug for Pkcs11Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Provider")
            .field("token", &self.token)
            .field("software", &self.software)
            .field("suites", &self.suites)
            .finish()
    }
}
