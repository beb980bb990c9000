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
