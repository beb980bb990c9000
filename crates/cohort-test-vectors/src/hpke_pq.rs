//! `hpke-pq-test-vectors.json`: the HPKE test vectors of draft-ietf-hpke-pq (Appendix A), in the
//! format of RFC 9180's `test-vectors.json` (base mode only).

use serde::Deserialize;

use crate::HexBytes;

/// The file's stem.
pub const STEM: &str = "hpke-pq-test-vectors";

/// One case: an HPKE suite, the key pairs derived from `ikmR`, one encapsulation with the
/// randomness `ikmE`, the key schedule's outputs, then encryptions and exports.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HpkePq {
    /// The HPKE mode (`0` base; the only mode in the file).
    pub mode: u8,
    /// The KEM identifier.
    pub kem_id: u16,
    /// The KDF identifier.
    pub kdf_id: u16,
    /// The AEAD identifier.
    pub aead_id: u16,
    /// The `info` of the key schedule.
    pub info: HexBytes,
    /// The randomness of the encapsulation (`EncapsDerand`; for DHKEM, the ephemeral key's
    /// `DeriveKeyPair` input).
    #[serde(rename = "ikmE")]
    pub ikm_e: HexBytes,
    /// The input of `DeriveKeyPair` for the recipient's key pair.
    #[serde(rename = "ikmR")]
    pub ikm_r: HexBytes,
    /// `SerializePrivateKey(skR)`.
    #[serde(rename = "skRm")]
    pub sk_rm: HexBytes,
    /// `SerializePublicKey(pkR)`.
    #[serde(rename = "pkRm")]
    pub pk_rm: HexBytes,
    /// The encapsulation.
    pub enc: HexBytes,
    /// The KEM shared secret.
    pub shared_secret: HexBytes,
    /// `"HPKE" || kem_id || kdf_id || aead_id`.
    pub suite_id: HexBytes,
    /// The AEAD key.
    pub key: HexBytes,
    /// The base nonce.
    pub base_nonce: HexBytes,
    /// The exporter secret.
    pub exporter_secret: HexBytes,
    /// Encryptions with consecutive sequence numbers.
    pub encryptions: Vec<Encryption>,
    /// Exports from the context.
    pub exports: Vec<Export>,
}

/// One `Seal` with the next sequence number.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encryption {
    /// The associated data.
    pub aad: HexBytes,
    /// The expected ciphertext.
    pub ct: HexBytes,
    /// The nonce of this sequence number.
    pub nonce: HexBytes,
    /// The plaintext.
    pub pt: HexBytes,
}

/// One `Export`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Export {
    /// The exporter context.
    pub exporter_context: HexBytes,
    /// The output length.
    #[serde(rename = "L")]
    pub len: usize,
    /// The expected output.
    pub exported_value: HexBytes,
}

#[cfg(test)]
mod tests {
    #[test]
    fn hpke_pq_parses() -> Result<(), crate::LoadError> {
        let cases: Vec<super::HpkePq> = crate::load_file(&crate::draft_vector_path(super::STEM))?;
        assert_eq!(cases.len(), 13);
        assert!(cases.iter().all(|c| c.mode == 0));
        Ok(())
    }
}
