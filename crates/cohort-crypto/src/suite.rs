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

/// The eleven suites of draft-ietf-mls-pq-ciphersuites-06 (TBD1 to TBD11), at **private-use**
/// code points (RFC 9420 §17.1: `0xF000` to `0xFFFF`) until IANA assigns theirs: TBD*n* is
/// `0xFF00 + n`. No other implementation uses these values (each uses its own, see
/// `shared/spec/drafts/README.md`), so groups of these suites interoperate only between cohort
/// clients; when IANA assigns the code points, these constants change and nothing else does.
#[allow(missing_docs, non_upper_case_globals)]
impl CipherSuite {
    pub const MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519: Self = Self(0xFF01);
    pub const MLS_128_MLKEM768X25519_AES256GCM_SHA384_Ed25519: Self = Self(0xFF02);
    pub const MLS_128_MLKEM768P256_AES128GCM_SHA256_P256: Self = Self(0xFF03);
    pub const MLS_128_MLKEM768P256_AES256GCM_SHA384_P256: Self = Self(0xFF04);
    pub const MLS_192_MLKEM1024P384_AES256GCM_SHA384_P384: Self = Self(0xFF05);
    pub const MLS_128_MLKEM768_AES256GCM_SHA384_Ed25519: Self = Self(0xFF06);
    pub const MLS_128_MLKEM768_AES256GCM_SHA384_P256: Self = Self(0xFF07);
    pub const MLS_192_MLKEM1024_AES256GCM_SHA384_P384: Self = Self(0xFF08);
    pub const MLS_128_MLKEM768X25519_CHACHA20POLY1305_SHA384_MLDSA44: Self = Self(0xFF09);
    pub const MLS_192_MLKEM768_AES256GCM_SHA384_MLDSA65: Self = Self(0xFF0A);
    pub const MLS_256_MLKEM1024_AES256GCM_SHA384_MLDSA87: Self = Self(0xFF0B);
}

/// Where the post-quantum suites of draft-ietf-mls-pq-ciphersuites-06 sit on the wire.
///
/// Until IANA assigns code points, each implementation picks its own: cohort the private-use
/// `0xFF00 + n` of [`CipherSuite::PQ_DRAFT`], MLSpp `0x0008`-`0x000a`, OpenMLS others (see
/// `shared/spec/drafts/README.md`). A preset maps a code point on the wire to the draft suite it
/// stands for, so that a provider can speak a peer's numbering (and run vectors made with it).
/// The suite's algorithms are the draft's; only the number differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PqCodePoints {
    /// `(code point on the wire, the draft suite at its cohort code point)`.
    pub aliases: &'static [(CipherSuite, CipherSuite)],
    /// How the aliased suites' ML-KEM and hybrid KEMs derive a key pair from a path secret
    /// (`DeriveKeyPair`); the suites at cohort's own code points always follow the draft.
    pub seed_derivation: PqSeedDerivation,
}

/// How a post-quantum KEM's `DeriveKeyPair(ikm)` makes its seed: what a TreeKEM path secret's
/// node key is, so both sides of a group must agree on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PqSeedDerivation {
    /// draft-ietf-hpke-pq: `SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "", Nsk)` with the
    /// KEM's suite id. The default, and what the HPKE-PQ vectors check.
    Labeled,
    /// `SHAKE256(ikm)` to `Nsk` bytes, without the label: what OpenMLS 0.9 (through hpke-rs
    /// 0.7) does. A compatibility setting for groups with such members, documented as a peer
    /// deviation in `docs/interop.md`.
    PlainShake256,
}

impl PqCodePoints {
    /// cohort's private-use code points: TBD*n* is `0xFF00 + n`.
    pub const PRIVATE_USE: Self = Self {
        aliases: &[],
        seed_derivation: PqSeedDerivation::Labeled,
    };

    /// MLSpp's: `0x0008` = TBD2, `0x0009` = TBD4, `0x000a` = TBD5 (the numbering of the
    /// draft-ietf-mls-partial-02 vectors too).
    pub const MLSPP: Self = Self {
        aliases: &[
            (
                CipherSuite(0x0008),
                CipherSuite::MLS_128_MLKEM768X25519_AES256GCM_SHA384_Ed25519,
            ),
            (
                CipherSuite(0x0009),
                CipherSuite::MLS_128_MLKEM768P256_AES256GCM_SHA384_P256,
            ),
            (
                CipherSuite(0x000a),
                CipherSuite::MLS_192_MLKEM1024P384_AES256GCM_SHA384_P384,
            ),
        ],
        seed_derivation: PqSeedDerivation::Labeled,
    };

    /// OpenMLS's (0.9.2 and main): `0x004F` = TBD1, `0x004E` = TBD2, `0xF042` = TBD6,
    /// `0x0050` = TBD7, `0x0042` = TBD8, `0x0052` = TBD9, `0x0051` = TBD10, `0x0907` = TBD11,
    /// with OpenMLS 0.9's key derivation ([`PqSeedDerivation::PlainShake256`]) for them.
    pub const OPENMLS: Self = Self {
        aliases: &[
            (
                CipherSuite(0x004F),
                CipherSuite::MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519,
            ),
            (
                CipherSuite(0x004E),
                CipherSuite::MLS_128_MLKEM768X25519_AES256GCM_SHA384_Ed25519,
            ),
            (
                CipherSuite(0xF042),
                CipherSuite::MLS_128_MLKEM768_AES256GCM_SHA384_Ed25519,
            ),
            (
                CipherSuite(0x0050),
                CipherSuite::MLS_128_MLKEM768_AES256GCM_SHA384_P256,
            ),
            (
                CipherSuite(0x0042),
                CipherSuite::MLS_192_MLKEM1024_AES256GCM_SHA384_P384,
            ),
            (
                CipherSuite(0x0052),
                CipherSuite::MLS_128_MLKEM768X25519_CHACHA20POLY1305_SHA384_MLDSA44,
            ),
            (
                CipherSuite(0x0051),
                CipherSuite::MLS_192_MLKEM768_AES256GCM_SHA384_MLDSA65,
            ),
            (
                CipherSuite(0x0907),
                CipherSuite::MLS_256_MLKEM1024_AES256GCM_SHA384_MLDSA87,
            ),
        ],
        seed_derivation: PqSeedDerivation::PlainShake256,
    };

    /// The draft's order, as IANA is expected to assign the suites: the next free values of the
    /// registry after RFC 9420's seven, TBD*n* = `0x0007 + n` (`0x0008` = TBD1 to `0x0012` =
    /// TBD11). A guess until IANA acts, for peers that number the suites the same way; it
    /// overlaps [`PqCodePoints::MLSPP`] (whose `0x0008` is TBD2), so a provider takes one or the
    /// other.
    pub const DRAFT_ORDER: Self = Self {
        aliases: &DRAFT_ORDER_ALIASES,
        seed_derivation: PqSeedDerivation::Labeled,
    };

    /// This preset with `seed_derivation` for its aliased suites (for example OpenMLS's code
    /// points with the draft's derivation, to meet an OpenMLS that has fixed it).
    pub const fn with_seed_derivation(self, seed_derivation: PqSeedDerivation) -> Self {
        Self {
            aliases: self.aliases,
            seed_derivation,
        }
    }

    /// The draft suite the wire code point `cs` stands for under this preset, if an alias.
    pub fn draft_suite(self, cs: CipherSuite) -> Option<CipherSuite> {
        self.aliases
            .iter()
            .find(|(wire, _)| *wire == cs)
            .map(|(_, draft)| *draft)
    }

    /// A provider's suites with this preset: `base` (the suites of RFC 9420 it serves), then
    /// the eleven of [`CipherSuite::PQ_DRAFT`] at cohort's code points, then the preset's
    /// aliases.
    pub fn suites_after(self, base: &[CipherSuite]) -> Vec<CipherSuite> {
        base.iter()
            .copied()
            .chain(CipherSuite::PQ_DRAFT)
            .chain(self.wire_suites())
            .collect()
    }

    /// The wire code points of the preset's aliases.
    pub fn wire_suites(self) -> impl Iterator<Item = CipherSuite> {
        self.aliases.iter().map(|(wire, _)| *wire)
    }
}

/// [`PqCodePoints::DRAFT_ORDER`]'s aliases: TBD*n* at `0x0007 + n`.
const DRAFT_ORDER_ALIASES: [(CipherSuite, CipherSuite); 11] = {
    let mut out = [(CipherSuite(0), CipherSuite(0)); 11];
    let mut i = 0;
    while i < 11 {
        out[i] = (CipherSuite(0x0008 + i as u16), CipherSuite::PQ_DRAFT[i]);
        i += 1;
    }
    out
};

impl CipherSuite {
    /// The eleven post-quantum suites of draft-ietf-mls-pq-ciphersuites-06, TBD1 to TBD11, at
    /// their private-use code points. Not part of [`CipherSuite::ALL`].
    pub const PQ_DRAFT: [Self; 11] = [
        Self::MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519,
        Self::MLS_128_MLKEM768X25519_AES256GCM_SHA384_Ed25519,
        Self::MLS_128_MLKEM768P256_AES128GCM_SHA256_P256,
        Self::MLS_128_MLKEM768P256_AES256GCM_SHA384_P256,
        Self::MLS_192_MLKEM1024P384_AES256GCM_SHA384_P384,
        Self::MLS_128_MLKEM768_AES256GCM_SHA384_Ed25519,
        Self::MLS_128_MLKEM768_AES256GCM_SHA384_P256,
        Self::MLS_192_MLKEM1024_AES256GCM_SHA384_P384,
        Self::MLS_128_MLKEM768X25519_CHACHA20POLY1305_SHA384_MLDSA44,
        Self::MLS_192_MLKEM768_AES256GCM_SHA384_MLDSA65,
        Self::MLS_256_MLKEM1024_AES256GCM_SHA384_MLDSA87,
    ];

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

    /// The IANA name of a suite RFC 9420 defines (or the draft name of one of
    /// [`CipherSuite::PQ_DRAFT`]), or `None`.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
            2 => "MLS_128_DHKEMP256_AES128GCM_SHA256_P256",
            3 => "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519",
            4 => "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448",
            5 => "MLS_256_DHKEMP521_AES256GCM_SHA512_P521",
            6 => "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448",
            7 => "MLS_256_DHKEMP384_AES256GCM_SHA384_P384",
            0xFF01 => "MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519",
            0xFF02 => "MLS_128_MLKEM768X25519_AES256GCM_SHA384_Ed25519",
            0xFF03 => "MLS_128_MLKEM768P256_AES128GCM_SHA256_P256",
            0xFF04 => "MLS_128_MLKEM768P256_AES256GCM_SHA384_P256",
            0xFF05 => "MLS_192_MLKEM1024P384_AES256GCM_SHA384_P384",
            0xFF06 => "MLS_128_MLKEM768_AES256GCM_SHA384_Ed25519",
            0xFF07 => "MLS_128_MLKEM768_AES256GCM_SHA384_P256",
            0xFF08 => "MLS_192_MLKEM1024_AES256GCM_SHA384_P384",
            0xFF09 => "MLS_128_MLKEM768X25519_CHACHA20POLY1305_SHA384_MLDSA44",
            0xFF0A => "MLS_192_MLKEM768_AES256GCM_SHA384_MLDSA65",
            0xFF0B => "MLS_256_MLKEM1024_AES256GCM_SHA384_MLDSA87",
            _ => return None,
        })
    }
}

impl CipherSuite {
    /// The signature scheme of a suite RFC 9420 defines (or of one of
    /// [`CipherSuite::PQ_DRAFT`]), or `None`.
    pub fn signature_scheme(self) -> Option<SignatureScheme> {
        Some(match self.0 {
            1 | 3 | 0xFF01 | 0xFF02 | 0xFF06 => SignatureScheme::ED25519,
            2 | 0xFF03 | 0xFF04 | 0xFF07 => SignatureScheme::ECDSA_SECP256R1_SHA256,
            4 | 6 => SignatureScheme::ED448,
            5 => SignatureScheme::ECDSA_SECP521R1_SHA512,
            7 | 0xFF05 | 0xFF08 => SignatureScheme::ECDSA_SECP384R1_SHA384,
            0xFF09 => SignatureScheme::MLDSA44,
            0xFF0A => SignatureScheme::MLDSA65,
            0xFF0B => SignatureScheme::MLDSA87,
            _ => return None,
        })
    }

    /// The HPKE algorithms (RFC 9180 §7, draft-ietf-hpke-pq) of a suite RFC 9420 defines (or
    /// of one of [`CipherSuite::PQ_DRAFT`], Table 2 of the draft), or `None`.
    pub fn hpke_suite(self) -> Option<HpkeSuite> {
        use HpkeSuite as H;
        let (kem, kdf, aead) = match self.0 {
            0xFF01 => (H::KEM_MLKEM768_X25519, H::KDF_SHA256, H::AEAD_AES128GCM),
            0xFF02 => (H::KEM_MLKEM768_X25519, H::KDF_SHA384, H::AEAD_AES256GCM),
            0xFF03 => (H::KEM_MLKEM768_P256, H::KDF_SHA256, H::AEAD_AES128GCM),
            0xFF04 => (H::KEM_MLKEM768_P256, H::KDF_SHA384, H::AEAD_AES256GCM),
            0xFF05 => (H::KEM_MLKEM1024_P384, H::KDF_SHA384, H::AEAD_AES256GCM),
            0xFF06 | 0xFF07 | 0xFF0A => (H::KEM_MLKEM768, H::KDF_SHA384, H::AEAD_AES256GCM),
            0xFF08 | 0xFF0B => (H::KEM_MLKEM1024, H::KDF_SHA384, H::AEAD_AES256GCM),
            0xFF09 => (
                H::KEM_MLKEM768_X25519,
                H::KDF_SHA384,
                H::AEAD_CHACHA20POLY1305,
            ),
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
    /// ML-DSA-44 (FIPS 204), pure mode with an empty context (draft-ietf-tls-mldsa).
    pub const MLDSA44: Self = Self(0x0904);
    /// ML-DSA-65 (FIPS 204), pure mode with an empty context (draft-ietf-tls-mldsa).
    pub const MLDSA65: Self = Self(0x0905);
    /// ML-DSA-87 (FIPS 204), pure mode with an empty context (draft-ietf-tls-mldsa).
    pub const MLDSA87: Self = Self(0x0906);
}

impl SignatureScheme {
    /// Whether `key` has the encoding of a public key of this scheme (RFC 9420 §5.1.1): 32 bytes
    /// for Ed25519, 57 for Ed448, an uncompressed SEC1 point (`0x04 || x || y`) for ECDSA, the
    /// FIPS 204 encoding for ML-DSA (1312, 1952 or 2592 bytes). A
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
            Self::MLDSA44 => key.len() == 1312,
            Self::MLDSA65 => key.len() == 1952,
            Self::MLDSA87 => key.len() == 2592,
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
    pub const KEM_MLKEM512: u16 = 0x0040;
    pub const KEM_MLKEM768: u16 = 0x0041;
    pub const KEM_MLKEM1024: u16 = 0x0042;
    pub const KEM_MLKEM768_P256: u16 = 0x0050;
    pub const KEM_MLKEM1024_P384: u16 = 0x0051;
    pub const KEM_MLKEM768_X25519: u16 = 0x647a;
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

    #[test]
    fn pq_draft_suites_are_private_use_and_complete() {
        for cs in CipherSuite::PQ_DRAFT {
            assert!(cs.0 >= 0xF000, "{cs}");
            assert!(!cs.is_grease());
            assert!(cs.name().is_some());
            assert!(cs.hpke_suite().is_some());
            assert!(cs.signature_scheme().is_some());
            assert!(!CipherSuite::ALL.contains(&cs));
        }
        let cs = CipherSuite::MLS_128_MLKEM768X25519_CHACHA20POLY1305_SHA384_MLDSA44;
        assert_eq!(cs.signature_scheme(), Some(SignatureScheme::MLDSA44));
        assert_eq!(
            cs.hpke_suite(),
            Some(HpkeSuite {
                kem: 0x647a,
                kdf: HpkeSuite::KDF_SHA384,
                aead: HpkeSuite::AEAD_CHACHA20POLY1305
            })
        );
    }

    #[test]
    fn draft_order_preset_numbers_the_suites_in_the_drafts_order() {
        let points = PqCodePoints::DRAFT_ORDER;
        let wire: Vec<u16> = points.wire_suites().map(|cs| cs.0).collect();
        assert_eq!(wire, (0x0008..=0x0012).collect::<Vec<u16>>());
        for (n, draft) in CipherSuite::PQ_DRAFT.into_iter().enumerate() {
            let at = CipherSuite(0x0008 + n as u16);
            assert_eq!(points.draft_suite(at), Some(draft), "TBD{}", n + 1);
            assert!(!at.is_grease() && !CipherSuite::ALL.contains(&at));
        }
        assert_eq!(points.draft_suite(CipherSuite(0x0013)), None);
        // MLSpp's 0x0008 is TBD2, the draft order's TBD1: the presets do not mix.
        assert_ne!(
            points.draft_suite(CipherSuite(0x0008)),
            PqCodePoints::MLSPP.draft_suite(CipherSuite(0x0008))
        );
    }
}
