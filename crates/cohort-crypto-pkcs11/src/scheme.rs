//! What each MLS signature scheme needs from a PKCS#11 token.
//!
//! | scheme | key type | `CKA_EC_PARAMS` | key generation | signing |
//! |---|---|---|---|---|
//! | Ed25519 (suites 1, 3) | `CKK_EC_EDWARDS` | OID 1.3.101.112 | `CKM_EC_EDWARDS_KEY_PAIR_GEN` | `CKM_EDDSA` |
//! | Ed448 (suites 4, 6) | `CKK_EC_EDWARDS` | OID 1.3.101.113 | `CKM_EC_EDWARDS_KEY_PAIR_GEN` | `CKM_EDDSA` (Ed448 parameters) |
//! | ECDSA P-256 (suite 2) | `CKK_EC` | OID 1.2.840.10045.3.1.7 | `CKM_EC_KEY_PAIR_GEN` | `CKM_ECDSA` on a SHA-256 digest |
//! | ECDSA P-384 (suite 7) | `CKK_EC` | OID 1.3.132.0.34 | `CKM_EC_KEY_PAIR_GEN` | `CKM_ECDSA` on a SHA-384 digest |
//! | ECDSA P-521 (suite 5) | `CKK_EC` | OID 1.3.132.0.35 | `CKM_EC_KEY_PAIR_GEN` | `CKM_ECDSA` on a SHA-512 digest |
//!
//! For ECDSA the digest is computed in software and the token signs it with `CKM_ECDSA`; a token
//! without `CKM_ECDSA` but with the matching `CKM_ECDSA_SHA*` hashes inside the token instead.

use cohort_crypto::SignatureScheme;
use cryptoki::mechanism::MechanismType;
use cryptoki::object::KeyType;
use sha2::Digest;

use crate::der;

/// The token-side description of one signature scheme.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SchemeSpec {
    pub(crate) scheme: SignatureScheme,
    pub(crate) key_type: KeyType,
    /// DER `CKA_EC_PARAMS` to generate with (a named-curve OID).
    pub(crate) ec_params: &'static [u8],
    /// Other `CKA_EC_PARAMS` encodings that name the same curve (PKCS#11 3.0 allows a
    /// PrintableString curve name for Edwards curves).
    pub(crate) ec_params_alt: &'static [u8],
    pub(crate) keygen: MechanismType,
    pub(crate) family: Family,
    /// The length of the public key in MLS wire form.
    pub(crate) public_len: usize,
    /// The length of the token's raw signature (`r || s`, or the EdDSA signature).
    pub(crate) signature_len: usize,
}

/// How the token is asked to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// Pure EdDSA: the message goes to the token as is.
    Ed25519,
    /// Pure Ed448 (empty context).
    Ed448,
    /// ECDSA with the given digest.
    Ecdsa(Hash),
}

/// The digest of an ECDSA scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub(crate) fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => sha2::Sha256::digest(message).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(message).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(message).to_vec(),
        }
    }

    /// The token mechanism that hashes with this digest and signs with ECDSA.
    pub(crate) fn ecdsa_mechanism(self) -> MechanismType {
        match self {
            Self::Sha256 => MechanismType::ECDSA_SHA256,
            Self::Sha384 => MechanismType::ECDSA_SHA384,
            Self::Sha512 => MechanismType::ECDSA_SHA512,
        }
    }
}

const OID_ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
const OID_ED448: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x71];
const NAME_ED25519: &[u8] = b"\x13\x0cedwards25519";
const NAME_ED448: &[u8] = b"\x13\x0aedwards448";
const OID_P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_P521: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];

/// Every scheme this crate can drive, in the order of their TLS code points.
pub(crate) const SCHEMES: [SchemeSpec; 5] = [
    SchemeSpec {
        scheme: SignatureScheme::ECDSA_SECP256R1_SHA256,
        key_type: KeyType::EC,
        ec_params: OID_P256,
        ec_params_alt: OID_P256,
        keygen: MechanismType::ECC_KEY_PAIR_GEN,
        family: Family::Ecdsa(Hash::Sha256),
        public_len: 65,
        signature_len: 64,
    },
    SchemeSpec {
        scheme: SignatureScheme::ECDSA_SECP384R1_SHA384,
        key_type: KeyType::EC,
        ec_params: OID_P384,
        ec_params_alt: OID_P384,
        keygen: MechanismType::ECC_KEY_PAIR_GEN,
        family: Family::Ecdsa(Hash::Sha384),
        public_len: 97,
        signature_len: 96,
    },
    SchemeSpec {
        scheme: SignatureScheme::ECDSA_SECP521R1_SHA512,
        key_type: KeyType::EC,
        ec_params: OID_P521,
        ec_params_alt: OID_P521,
        keygen: MechanismType::ECC_KEY_PAIR_GEN,
        family: Family::Ecdsa(Hash::Sha512),
        public_len: 133,
        signature_len: 132,
    },
    SchemeSpec {
        scheme: SignatureScheme::ED25519,
        key_type: KeyType::EC_EDWARDS,
        ec_params: OID_ED25519,
        ec_params_alt: NAME_ED25519,
        keygen: MechanismType::ECC_EDWARDS_KEY_PAIR_GEN,
        family: Family::Ed25519,
        public_len: 32,
        signature_len: 64,
    },
    SchemeSpec {
        scheme: SignatureScheme::ED448,
        key_type: KeyType::EC_EDWARDS,
        ec_params: OID_ED448,
        ec_params_alt: NAME_ED448,
        keygen: MechanismType::ECC_EDWARDS_KEY_PAIR_GEN,
        family: Family::Ed448,
        public_len: 57,
        signature_len: 114,
    },
];

impl SchemeSpec {
    /// The spec of `scheme`, or `None` for a scheme this crate does not drive.
    pub(crate) fn of(scheme: SignatureScheme) -> Option<&'static Self> {
        SCHEMES.iter().find(|s| s.scheme == scheme)
    }

    /// The spec of a key of `key_type` on the curve named by `ec_params`.
    pub(crate) fn from_key(key_type: KeyType, ec_params: &[u8]) -> Option<&'static Self> {
        SCHEMES.iter().find(|s| {
            s.key_type == key_type && (s.ec_params == ec_params || s.ec_params_alt == ec_params)
        })
    }

    /// The mechanism the token must have to sign with this scheme (the one a missing-mechanism
    /// error names).
    pub(crate) fn sign_mechanism(&self) -> MechanismType {
        match self.family {
            Family::Ed25519 | Family::Ed448 => MechanismType::EDDSA,
            Family::Ecdsa(_) => MechanismType::ECDSA,
        }
    }

    /// Reads `CKA_EC_POINT` into MLS wire form: the raw EdDSA key or the uncompressed point.
    ///
    /// PKCS#11 says the attribute is a DER OCTET STRING; some modules return the bare value,
    /// so both are accepted when the length (and, for ECDSA, the `04` prefix) fits.
    pub(crate) fn public_key_from_ec_point(&self, ec_point: &[u8]) -> Option<Vec<u8>> {
        let fits = |v: &[u8]| {
            v.len() == self.public_len && (self.key_type != KeyType::EC || v.first() == Some(&0x04))
        };
        if fits(ec_point) {
            return Some(ec_point.to_vec());
        }
        der::unwrap_octet_string(ec_point)
            .filter(|v| fits(v))
            .map(<[u8]>::to_vec)
    }

    /// The name of the scheme, for messages.
    pub(crate) fn name(&self) -> &'static str {
        scheme_name(self.scheme)
    }
}

/// A readable name of a signature scheme.
pub(crate) fn scheme_name(scheme: SignatureScheme) -> &'static str {
    match scheme {
        SignatureScheme::ED25519 => "Ed25519",
        SignatureScheme::ED448 => "Ed448",
        SignatureScheme::ECDSA_SECP256R1_SHA256 => "ECDSA P-256 SHA-256",
        SignatureScheme::ECDSA_SECP384R1_SHA384 => "ECDSA P-384 SHA-384",
        SignatureScheme::ECDSA_SECP521R1_SHA512 => "ECDSA P-521 SHA-512",
        _ => "an unknown signature scheme",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scheme_is_found_by_its_key() {
        for spec in &SCHEMES {
            let found = SchemeSpec::from_key(spec.key_type, spec.ec_params).unwrap();
            assert_eq!(found.scheme, spec.scheme);
            let found = SchemeSpec::from_key(spec.key_type, spec.ec_params_alt).unwrap();
            assert_eq!(found.scheme, spec.scheme);
            assert_eq!(SchemeSpec::of(spec.scheme).unwrap().scheme, spec.scheme);
        }
        assert!(SchemeSpec::from_key(KeyType::EC, OID_ED25519).is_none());
        assert!(SchemeSpec::of(SignatureScheme(0x0401)).is_none());
    }

    #[test]
    fn ec_point_in_both_forms() {
        let spec = SchemeSpec::of(SignatureScheme::ECDSA_SECP256R1_SHA256).unwrap();
        let mut point = vec![0x04];
        // x[0] = 63 makes the bare point look like an OCTET STRING header; the length decides.
        point.push(63);
        point.extend_from_slice(&[7u8; 63]);
        assert_eq!(spec.public_key_from_ec_point(&point).unwrap(), point);
        let wrapped = der::octet_string(&point);
        assert_eq!(spec.public_key_from_ec_point(&wrapped).unwrap(), point);
        assert!(spec.public_key_from_ec_point(&point[1..]).is_none());

        let ed = SchemeSpec::of(SignatureScheme::ED25519).unwrap();
        let key = [9u8; 32];
        assert_eq!(ed.public_key_from_ec_point(&key).unwrap(), key);
        assert_eq!(
            ed.public_key_from_ec_point(&der::octet_string(&key))
                .unwrap(),
            key
        );
    }

    #[test]
    fn digests_have_their_lengths() {
        assert_eq!(Hash::Sha256.digest(b"x").len(), 32);
        assert_eq!(Hash::Sha384.digest(b"x").len(), 48);
        assert_eq!(Hash::Sha512.digest(b"x").len(), 64);
    }
}
