//! `welcome.json`: opening a Welcome and checking its GroupInfo (RFC 9420 §10, §12.4.3,
//! the first half of §12.4.3.1).

use serde::Deserialize;

use crate::HexBytes;

/// The file's stem.
pub const STEM: &str = "welcome";

/// One case: one cipher suite, the joiner's KeyPackage and private init key, and a Welcome.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Welcome {
    /// The cipher suite's registry value.
    pub cipher_suite: u16,
    /// The private key matching the KeyPackage's `init_key`.
    pub init_priv: HexBytes,
    /// The GroupInfo signer's public key.
    pub signer_pub: HexBytes,
    /// An MLSMessage carrying the joiner's KeyPackage.
    pub key_package: HexBytes,
    /// An MLSMessage carrying the Welcome.
    pub welcome: HexBytes,
}

#[cfg(test)]
mod tests {
    #[test]
    fn welcome_parses() -> Result<(), crate::LoadError> {
        let cases: Vec<super::Welcome> = crate::load(super::STEM)?;
        assert_eq!(cases.len(), 7);
        Ok(())
    }
}
