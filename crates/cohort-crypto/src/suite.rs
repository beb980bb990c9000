//! The MLS cipher-suite registry (RFC 9420 §17.1).

use cohort_codec::{Decode, Encode};

/// An MLS cipher suite, as its 16-bit registry value.
///
/// The registry is open: values this library does not implement (including the GREASE values of
/// RFC 9420 §13.5) decode and re-encode unchanged, and are rejected only where a suite must be
/// used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct CipherSuite(pub u16);

#[allow(missing_docs, non_upper_case_globals)]
impl CipherSuite {
    pub const MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519: Self = Self(0x0001);
    pub const MLS_128_DHKEMP256_AES128GCM_SHA256_P256: Self = Self(0x0002);
    pub const MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519: Self = Self(0x0003);
    pub const MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448: Self = Self(0x0004);
    pub const MLS_256_DHKEMP521_AES256GCM_SHA512_P521: Self = Self(0x0005);
    pub const MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448: Self = Self(0x0006);
    pub const MLS_256_DHKEMP384_AES256GCM_SHA384_P384: Self = Self(0x0007);
}

impl CipherSuite {
    /// The seven suites RFC 9420 defines, in registry order.
    pub const ALL: [Self; 7] = [
        Self::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519,
        Self::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
        Self::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519,
        Self::MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448,
        Self::MLS_256_DHKEMP521_AES256GCM_SHA512_P521,
        Self::MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448,
        Self::MLS_256_DHKEMP384_AES256GCM_SHA384_P384,
    ];

    /// Whether this is one of the GREASE values of RFC 9420 §13.5 (`0x0A0A`, `0x1A1A`, ...,
    /// `0xEAEA`).
    pub fn is_grease(self) -> bool {
        is_grease(self.0)
    }

    /// The IANA name of a suite RFC 9420 defines, or `None`.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
            2 => "MLS_128_DHKEMP256_AES128GCM_SHA256_P256",
            3 => "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519",
            4 => "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448",
            5 => "MLS_256_DHKEMP521_AES256GCM_SHA512_P521",
            6 => "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448",
            7 => "MLS_256_DHKEMP384_AES256GCM_SHA384_P384",
            _ => return None,
        })
    }
}

impl CipherSuite {
    /// The signature scheme of a suite RFC 9420 defines, or `None`.
    pub fn signature_scheme(self) -> Option<SignatureScheme> {
        Some(match self.0 {
            1 | 3 => SignatureScheme::ED25519,
            2 => SignatureScheme::ECDSA_SECP256R1_SHA256,
            4 | 6 => SignatureScheme::ED448,
            5 => SignatureScheme::ECDSA_SECP521R1_SHA512,
            7 => SignatureScheme::ECDSA_SECP384R1_SHA384,
            _ => return None,
        })
    }

    /// The HPKE algorithms (RFC 9180 §7) of a suite RFC 9420 defines, or `None`.
    pub fn hpke_suite(self) -> Option<HpkeSuite> {
        let (kem, kdf, aead) = match self.0 {
            1 => (
                HpkeSuite::KEM_X25519_SHA256,
                HpkeSuite::KDF_SHA256,
                HpkeSuite::AEAD_AES128GCM,
            ),
            2 => (
                HpkeSuite::KEM_P256_SHA256,
                HpkeSuite::KDF_SHA256,
                HpkeSuite::AEAD_AES128GCM,
            ),
            3 => (
                HpkeSuite::KEM_X25519_SHA256,
                HpkeSuite::KDF_SHA256,
                HpkeSuite::AEAD_CHACHA20POLY1305,
            ),
            4 => (
                HpkeSuite::KEM_X448_SHA512,
                HpkeSuite::KDF_SHA512,
                HpkeSuite::AEAD_AES256GCM,
            ),
            5 => (
                HpkeSuite::KEM_P521_SHA512,
                HpkeSuite::KDF_SHA512,
                HpkeSuite::AEAD_AES256GCM,
            ),
            6 => (
                HpkeSuite::KEM_X448_SHA512,
                HpkeSuite::KDF_SHA512,
                HpkeSuite::AEAD_CHACHA20POLY1305,
            ),
            7 => (
                HpkeSuite::KEM_P384_SHA384,
                HpkeSuite::KDF_SHA384,
                HpkeSuite::AEAD_AES256GCM,
            ),
            _ => return None,
        };
        Some(HpkeSuite { kem, kdf, aead })
    }
}

/// A TLS `SignatureScheme` value (RFC 8446 §4.2.3), as RFC 9420 §5.1 uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SignatureScheme(pub u16);

#[allow(missing_docs)]
impl SignatureScheme {
    pub const ECDSA_SECP256R1_SHA256: Self = Self(0x0403);
    pub const ECDSA_SECP384R1_SHA384: Self = Self(0x0503);
    pub const ECDSA_SECP521R1_SHA512: Self = Self(0x0603);
    pub const ED25519: Self = Self(0x0807);
    pub const ED448: Self = Self(0x0808);
}

impl SignatureScheme {
    /// Whether `key` has the encoding of a public key of this scheme (RFC 9420 §5.1.1): 32 bytes
    /// for Ed25519, 57 for Ed448, an uncompressed SEC1 point (`0x04 || x || y`) for ECDSA. A
    /// structural check, for keys that no signature will test yet (an external sender's);
    /// whether an ECDSA point is on its curve shows when a signature is verified. `None` for a
    /// scheme this function does not know.
    pub fn key_well_formed(self, key: &[u8]) -> Option<bool> {
        let sec1 = |coordinate: usize| key.len() == 1 + 2 * coordinate && key[0] == 0x04;
        Some(match self {
            Self::ED25519 => key.len() == 32,
            Self::ED448 => key.len() == 57,
            Self::ECDSA_SECP256R1_SHA256 => sec1(32),
            Self::ECDSA_SECP384R1_SHA384 => sec1(48),
            Self::ECDSA_SECP521R1_SHA512 => sec1(66),
            _ => return None,
        })
    }
}

/// The HPKE algorithm identifiers of a cipher suite (RFC 9180 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HpkeSuite {
    /// The KEM identifier.
    pub kem: u16,
    /// The KDF identifier.
    pub kdf: u16,
    /// The AEAD identifier.
    pub aead: u16,
}

#[allow(missing_docs)]
impl HpkeSuite {
    pub const KEM_P256_SHA256: u16 = 0x0010;
    pub const KEM_P384_SHA384: u16 = 0x0011;
    pub const KEM_P521_SHA512: u16 = 0x0012;
    pub const KEM_X25519_SHA256: u16 = 0x0020;
    pub const KEM_X448_SHA512: u16 = 0x0021;
    pub const KDF_SHA256: u16 = 0x0001;
    pub const KDF_SHA384: u16 = 0x0002;
    pub const KDF_SHA512: u16 = 0x0003;
    pub const AEAD_AES128GCM: u16 = 0x0001;
    pub const AEAD_AES256GCM: u16 = 0x0002;
    pub const AEAD_CHACHA20POLY1305: u16 = 0x0003;
}

impl core::fmt::Display for CipherSuite {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} (0x{:04x})", self.0),
            None => write!(f, "cipher suite 0x{:04x}", self.0),
        }
    }
}

/// Whether a 16-bit registry value is a GREASE value (RFC 9420 §13.5): both bytes equal and of
/// the form `0x?A`.
pub(crate) fn is_grease(v: u16) -> bool {
    let [hi, lo] = v.to_be_bytes();
    hi == lo && lo & 0x0f == 0x0a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_values_are_recognised() {
        let grease: Vec<u16> = (0..15u16).map(|i| (i << 12) | 0x0a0a | (i << 4)).collect();
        assert_eq!(grease.first(), Some(&0x0a0a));
        assert_eq!(grease.last(), Some(&0xeaea));
        assert!(grease.iter().all(|g| is_grease(*g)));
        assert!(!is_grease(0x0001));
        assert!(!is_grease(0x0a0b));
    }
}
