//! `crypto-basics.json`: the labelled crypto helpers of RFC 9420 §5 and §8, per cipher suite.

use serde::Deserialize;

use crate::HexBytes;

/// The file's stem.
pub const STEM: &str = "crypto-basics";

/// One case: one cipher suite and one known answer per helper.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CryptoBasics {
    /// The cipher suite's registry value.
    pub cipher_suite: u16,
    /// `RefHash(label, value)`.
    pub ref_hash: RefHash,
    /// `ExpandWithLabel(secret, label, context, length)`.
    pub expand_with_label: ExpandWithLabel,
    /// `DeriveSecret(secret, label)`.
    pub derive_secret: DeriveSecret,
    /// `DeriveTreeSecret(secret, label, generation, length)`.
    pub derive_tree_secret: DeriveTreeSecret,
    /// `SignWithLabel` / `VerifyWithLabel`.
    pub sign_with_label: SignWithLabel,
    /// `EncryptWithLabel` / `DecryptWithLabel`.
    pub encrypt_with_label: EncryptWithLabel,
}

/// `RefHash` known answer. The label is used verbatim (no "MLS 1.0 " prefix is added).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefHash {
    /// The label.
    pub label: String,
    /// The hashed value.
    pub value: HexBytes,
    /// The expected output.
    pub out: HexBytes,
}

/// `ExpandWithLabel` known answer; the label lacks the "MLS 1.0 " prefix.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpandWithLabel {
    /// The secret.
    pub secret: HexBytes,
    /// The label.
    pub label: String,
    /// The context.
    pub context: HexBytes,
    /// The output length.
    pub length: u16,
    /// The expected output.
    pub out: HexBytes,
}

/// `DeriveSecret` known answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeriveSecret {
    /// The secret.
    pub secret: HexBytes,
    /// The label.
    pub label: String,
    /// The expected output.
    pub out: HexBytes,
}

/// `DeriveTreeSecret` known answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeriveTreeSecret {
    /// The secret.
    pub secret: HexBytes,
    /// The label.
    pub label: String,
    /// The generation.
    pub generation: u32,
    /// The output length.
    pub length: u16,
    /// The expected output.
    pub out: HexBytes,
}

/// `SignWithLabel` case: the signature must verify, and a fresh one too.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignWithLabel {
    /// The private key.
    #[serde(rename = "priv")]
    pub private: HexBytes,
    /// The public key.
    #[serde(rename = "pub")]
    pub public: HexBytes,
    /// The signed content.
    pub content: HexBytes,
    /// The label.
    pub label: String,
    /// A valid signature.
    pub signature: HexBytes,
}

/// `EncryptWithLabel` case: the ciphertext must decrypt, and a fresh encryption round-trip.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptWithLabel {
    /// The HPKE private key.
    #[serde(rename = "priv")]
    pub private: HexBytes,
    /// The HPKE public key.
    #[serde(rename = "pub")]
    pub public: HexBytes,
    /// The label.
    pub label: String,
    /// The context.
    pub context: HexBytes,
    /// The plaintext.
    pub plaintext: HexBytes,
    /// The KEM output.
    pub kem_output: HexBytes,
    /// The ciphertext.
    pub ciphertext: HexBytes,
}

#[cfg(test)]
mod tests {
    #[test]
    fn crypto_basics_parses() -> Result<(), crate::LoadError> {
        let cases: Vec<super::CryptoBasics> = crate::load(super::STEM)?;
        assert_eq!(cases.len(), 7);
        assert_eq!(cases[0].cipher_suite, 1);
        Ok(())
    }
}
