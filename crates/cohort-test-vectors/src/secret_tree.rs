//! `secret-tree.json`: the secret tree, its hash ratchets (RFC 9420 §9, §9.1) and the sender-data
//! key and nonce (§6.3.2).

use serde::Deserialize;

use crate::HexBytes;

/// The file's stem.
pub const STEM: &str = "secret-tree";

/// One case: one cipher suite and one tree size.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretTree {
    /// The cipher suite's registry value.
    pub cipher_suite: u16,
    /// The sender-data key and nonce derived from a ciphertext sample.
    pub sender_data: SenderData,
    /// The secret at the root of the secret tree.
    pub encryption_secret: HexBytes,
    /// For each leaf, the ratchet outputs at some generations.
    pub leaves: Vec<Vec<RatchetGeneration>>,
}

/// The sender-data key and nonce for one ciphertext sample (RFC 9420 §6.3.2).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderData {
    /// The epoch's `sender_data_secret`.
    pub sender_data_secret: HexBytes,
    /// The ciphertext whose sample feeds the derivation.
    pub ciphertext: HexBytes,
    /// The expected `sender_data_key`.
    pub key: HexBytes,
    /// The expected `sender_data_nonce`.
    pub nonce: HexBytes,
}

/// Both ratchets' key and nonce of one leaf at one generation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatchetGeneration {
    /// The generation.
    pub generation: u32,
    /// The handshake ratchet's key.
    pub handshake_key: HexBytes,
    /// The handshake ratchet's nonce.
    pub handshake_nonce: HexBytes,
    /// The application ratchet's key.
    pub application_key: HexBytes,
    /// The application ratchet's nonce.
    pub application_nonce: HexBytes,
}

#[cfg(test)]
mod tests {
    #[test]
    fn secret_tree_parses() -> Result<(), crate::LoadError> {
        let cases: Vec<super::SecretTree> = crate::load(super::STEM)?;
        assert_eq!(cases.len(), 21);
        assert!(cases.iter().all(|c| !c.leaves.is_empty()));
        Ok(())
    }
}
