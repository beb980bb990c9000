//! `psk_secret.json`: chaining external pre-shared keys into `psk_secret` (RFC 9420 §8.4).

use serde::Deserialize;

use crate::HexBytes;

/// The file's stem (upstream spells it with an underscore).
pub const STEM: &str = "psk_secret";

/// One case: one cipher suite and a list of external PSKs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PskSecret {
    /// The cipher suite's registry value.
    pub cipher_suite: u16,
    /// The PSKs, in order. May be empty, and then `psk_secret` is all zero.
    pub psks: Vec<Psk>,
    /// The expected `psk_secret`.
    pub psk_secret: HexBytes,
}

/// One external PSK.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Psk {
    /// The external `psk_id`.
    pub psk_id: HexBytes,
    /// The PSK's value.
    pub psk: HexBytes,
    /// The `psk_nonce` of its PreSharedKeyID.
    pub psk_nonce: HexBytes,
}

#[cfg(test)]
mod tests {
    #[test]
    fn psk_secret_parses() -> Result<(), crate::LoadError> {
        let cases: Vec<super::PskSecret> = crate::load(super::STEM)?;
        assert_eq!(cases.len(), 77);
        assert!(cases.iter().any(|c| c.psks.is_empty()));
        Ok(())
    }
}
