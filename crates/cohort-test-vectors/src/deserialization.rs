//! `deserialization.json`: MLS variable-length vector headers (RFC 9420 §2.1.2).

use serde::Deserialize;

use crate::HexBytes;

/// The file's stem.
pub const STEM: &str = "deserialization";

/// One case: a header and the length it encodes. Every case is a valid, minimal encoding.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deserialization {
    /// The encoded header, exactly one varint.
    pub vlbytes_header: HexBytes,
    /// The length it encodes.
    pub length: u32,
}

#[cfg(test)]
mod tests {
    #[test]
    fn deserialization_parses() -> Result<(), crate::LoadError> {
        let cases: Vec<super::Deserialization> = crate::load(super::STEM)?;
        assert_eq!(cases.len(), 14);
        assert_eq!(cases[0].vlbytes_header.as_slice(), [0u8]);
        assert_eq!(cases[0].length, 0);
        Ok(())
    }
}
