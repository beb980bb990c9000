//! The certificate fields the validator reads itself: the subject public key, keyUsage,
//! extKeyUsage, subjectAltName and subject.
//!
//! webpki checks the chain; it does not expose these, so they are read here with the strict
//! reader of [`super::der`]. A certificate is always given to webpki as well, so anything this
//! module accepts has also been accepted by webpki's parser.

use cohort_crypto::SignatureScheme;

use super::der::{self, Der};

/// id-ce-keyUsage, 2.5.29.15.
const OID_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
/// id-ce-subjectAltName, 2.5.29.17.
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
/// id-ce-extKeyUsage, 2.5.29.37.
const OID_EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
/// id-Ed25519, 1.3.101.112 (RFC 8410).
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
/// id-Ed448, 1.3.101.113 (RFC 8410).
const OID_ED448: &[u8] = &[0x2b, 0x65, 0x71];
/// id-ecPublicKey, 1.2.840.10045.2.1 (RFC 5480).
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// secp256r1, 1.2.840.10045.3.1.7.
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// secp384r1, 1.3.132.0.34.
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
/// secp521r1, 1.3.132.0.35.
const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
/// rsaEncryption, 1.2.840.113549.1.1.1.
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// GeneralName `[1] rfc822Name`, implicit IA5String.
const SAN_EMAIL: u8 = 0x81;
/// GeneralName `[2] dNSName`, implicit IA5String.
const SAN_DNS: u8 = 0x82;
/// GeneralName `[6] uniformResourceIdentifier`, implicit IA5String.
const SAN_URI: u8 = 0x86;

/// The fields of one certificate that the validator reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CertFields<'a> {
    /// The contents of the subjectPublicKeyInfo SEQUENCE.
    spki: &'a [u8],
    /// The whole subject Name, tag and length included.
    pub(crate) subject: &'a [u8],
    /// The contents of the keyUsage extension value, if present.
    key_usage: Option<&'a [u8]>,
    /// The contents of the extKeyUsage extension value, if present.
    ext_key_usage: Option<&'a [u8]>,
    /// The contents of the subjectAltName extension value, if present.
    subject_alt_name: Option<&'a [u8]>,
}

/// Why the subject key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyError {
    /// The subjectPublicKeyInfo does not parse.
    Malformed,
    /// A key algorithm or curve no MLS cipher suite signs with, by name.
    Unsupported(String),
}

/// A general name kind in subjectAltName.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SanKind {
    /// `rfc822Name`.
    Email,
    /// `dNSName`.
    Dns,
    /// `uniformResourceIdentifier`.
    Uri,
}

impl<'a> CertFields<'a> {
    /// Parses a DER `Certificate` (RFC 5280 §4.1), or `None` when it is malformed.
    pub(crate) fn parse(der: &'a [u8]) -> Option<Self> {
        let mut outer = Der::new(der);
        let certificate = outer.read(der::SEQUENCE)?;
        if !outer.is_empty() {
            return None;
        }
        let mut cert = Der::new(certificate);
        let tbs = cert.read(der::SEQUENCE)?;
        cert.read(der::SEQUENCE)?; // signatureAlgorithm
        cert.read(der::BIT_STRING)?; // signatureValue
        if !cert.is_empty() {
            return None;
        }

        let mut tbs = Der::new(tbs);
        tbs.read_optional(der::CONTEXT_0)?; // version
        tbs.read(0x02)?; // serialNumber
        tbs.read(der::SEQUENCE)?; // signature
        tbs.read(der::SEQUENCE)?; // issuer
        tbs.read(der::SEQUENCE)?; // validity
        let (tag, _, subject) = tbs.read_any()?;
        if tag != der::SEQUENCE {
            return None;
        }
        let spki = tbs.read(der::SEQUENCE)?;
        tbs.read_optional(0x81)?; // issuerUniqueID
        tbs.read_optional(0x82)?; // subjectUniqueID
        let extensions = tbs.read_optional(der::CONTEXT_3)?;
        if !tbs.is_empty() {
            return None;
        }

        let mut fields = Self {
            spki,
            subject,
            key_usage: None,
            ext_key_usage: None,
            subject_alt_name: None,
        };
        if let Some(extensions) = extensions {
            let mut wrapper = Der::new(extensions);
            let list = wrapper.read(der::SEQUENCE)?;
            if !wrapper.is_empty() {
                return None;
            }
            let mut list = Der::new(list);
            while !list.is_empty() {
                let mut ext = Der::new(list.read(der::SEQUENCE)?);
                let oid = ext.read(der::OID)?;
                ext.read_optional(der::BOOLEAN)?; // critical
                let value = ext.read(der::OCTET_STRING)?;
                if !ext.is_empty() {
                    return None;
                }
                let slot = match oid {
                    OID_KEY_USAGE => &mut fields.key_usage,
                    OID_EXT_KEY_USAGE => &mut fields.ext_key_usage,
                    OID_SUBJECT_ALT_NAME => &mut fields.subject_alt_name,
                    _ => continue,
                };
                // RFC 5280 §4.2: an extension appears at most once.
                if slot.replace(value).is_some() {
                    return None;
                }
            }
        }
        Some(fields)
    }

    /// The subject public key as MLS carries it in `signature_key` (RFC 9420 §5.1.1), with its
    /// signature scheme: Ed25519 and Ed448 keys raw, ECDSA keys as the SEC1 point.
    pub(crate) fn public_key(&self) -> Result<(SignatureScheme, &'a [u8]), KeyError> {
        let mut spki = Der::new(self.spki);
        let mut alg = Der::new(spki.read(der::SEQUENCE).ok_or(KeyError::Malformed)?);
        let bits = spki.read(der::BIT_STRING).ok_or(KeyError::Malformed)?;
        if !spki.is_empty() {
            return Err(KeyError::Malformed);
        }
        let key = match bits.split_first() {
            Some((0, key)) => key,
            _ => return Err(KeyError::Malformed),
        };
        let oid = alg.read(der::OID).ok_or(KeyError::Malformed)?;
        let (scheme, len) = match oid {
            OID_ED25519 if alg.is_empty() => (SignatureScheme::ED25519, 32),
            OID_ED448 if alg.is_empty() => (SignatureScheme::ED448, 57),
            OID_EC_PUBLIC_KEY => {
                let curve = alg.read(der::OID).ok_or(KeyError::Malformed)?;
                if !alg.is_empty() {
                    return Err(KeyError::Malformed);
                }
                match curve {
                    OID_P256 => (SignatureScheme::ECDSA_SECP256R1_SHA256, 65),
                    OID_P384 => (SignatureScheme::ECDSA_SECP384R1_SHA384, 97),
                    OID_P521 => (SignatureScheme::ECDSA_SECP521R1_SHA512, 133),
                    other => {
                        return Err(KeyError::Unsupported(format!(
                            "ecdsa on curve {}",
                            dotted(other)
                        )));
                    }
                }
            }
            OID_ED25519 | OID_ED448 => return Err(KeyError::Malformed),
            OID_RSA => return Err(KeyError::Unsupported("rsa".into())),
            other => {
                return Err(KeyError::Unsupported(format!(
                    "public key algorithm {}",
                    dotted(other)
                )));
            }
        };
        // RFC 9420 §5.1.1: ECDSA keys are uncompressed points.
        let uncompressed = !matches!(
            scheme,
            SignatureScheme::ECDSA_SECP256R1_SHA256
                | SignatureScheme::ECDSA_SECP384R1_SHA384
                | SignatureScheme::ECDSA_SECP521R1_SHA512
        ) || key.first() == Some(&0x04);
        if key.len() != len || !uncompressed {
            return Err(KeyError::Malformed);
        }
        Ok((scheme, key))
    }

    /// Whether keyUsage allows `digitalSignature`: `None` when the extension is absent,
    /// `Err(())` when it is malformed.
    pub(crate) fn digital_signature(&self) -> Result<Option<bool>, ()> {
        let Some(value) = self.key_usage else {
            return Ok(None);
        };
        let mut d = Der::new(value);
        let bits = d.read(der::BIT_STRING).ok_or(())?;
        if !d.is_empty() {
            return Err(());
        }
        match bits {
            [unused, first, ..] if *unused < 8 => Ok(Some(first & 0x80 != 0)),
            [0] => Ok(Some(false)),
            _ => Err(()),
        }
    }

    /// The extKeyUsage purposes as OID arcs: `None` when the extension is absent, `Err(())`
    /// when it is malformed.
    pub(crate) fn ext_key_usages(&self) -> Result<Option<Vec<Vec<u64>>>, ()> {
        let Some(value) = self.ext_key_usage else {
            return Ok(None);
        };
        let mut d = Der::new(value);
        let mut list = Der::new(d.read(der::SEQUENCE).ok_or(())?);
        if !d.is_empty() {
            return Err(());
        }
        let mut purposes = Vec::new();
        while !list.is_empty() {
            let oid = list.read(der::OID).ok_or(())?;
            purposes.push(der::decode_oid(oid).ok_or(())?);
        }
        // RFC 5280 §4.2.1.12: at least one purpose.
        if purposes.is_empty() {
            return Err(());
        }
        Ok(Some(purposes))
    }

    /// The subjectAltName entries of `kind`, in certificate order. `Err(())` when the extension
    /// is malformed or an entry of `kind` is not ASCII (IA5String).
    pub(crate) fn alt_names(&self, kind: SanKind) -> Result<Vec<&'a str>, ()> {
        let Some(value) = self.subject_alt_name else {
            return Ok(Vec::new());
        };
        let want = match kind {
            SanKind::Email => SAN_EMAIL,
            SanKind::Dns => SAN_DNS,
            SanKind::Uri => SAN_URI,
        };
        let mut d = Der::new(value);
        let mut list = Der::new(d.read(der::SEQUENCE).ok_or(())?);
        if !d.is_empty() {
            return Err(());
        }
        let mut names = Vec::new();
        while !list.is_empty() {
            let (tag, name, _) = list.read_any().ok_or(())?;
            if tag != want {
                continue;
            }
            if !name.is_ascii() {
                return Err(());
            }
            names.push(core::str::from_utf8(name).map_err(|_| ())?);
        }
        Ok(names)
    }
}

/// An OID in dotted form, or its hex bytes when it does not decode.
pub(crate) fn dotted(oid: &[u8]) -> String {
    match der::decode_oid(oid) {
        Some(arcs) => arcs
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
        None => oid.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DER `tag len value` for short values.
    fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = value.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            out.extend([0x81, len as u8]);
        }
        out.extend_from_slice(value);
        out
    }

    fn spki(alg_oid: &[u8], params: Option<&[u8]>, key: &[u8]) -> Vec<u8> {
        let mut alg = tlv(der::OID, alg_oid);
        if let Some(params) = params {
            alg.extend(tlv(der::OID, params));
        }
        let mut body = tlv(der::SEQUENCE, &alg);
        let mut bits = vec![0];
        bits.extend_from_slice(key);
        body.extend(tlv(der::BIT_STRING, &bits));
        body
    }

    fn key_of(spki: &[u8]) -> Result<(SignatureScheme, Vec<u8>), KeyError> {
        let fields = CertFields {
            spki,
            subject: &[],
            key_usage: None,
            ext_key_usage: None,
            subject_alt_name: None,
        };
        fields.public_key().map(|(s, k)| (s, k.to_vec()))
    }

    #[test]
    fn p521_key_is_the_uncompressed_point() {
        use p521::elliptic_curve::sec1::ToEncodedPoint;

        let mut scalar = [0u8; 66];
        scalar[65] = 7;
        let secret = p521::SecretKey::from_slice(&scalar).expect("a valid scalar");
        let point = secret.public_key().to_encoded_point(false);
        let spki = spki(OID_EC_PUBLIC_KEY, Some(OID_P521), point.as_bytes());
        assert_eq!(
            key_of(&spki),
            Ok((
                SignatureScheme::ECDSA_SECP521R1_SHA512,
                point.as_bytes().to_vec()
            ))
        );
    }

    #[test]
    fn ed448_key_is_raw() {
        let spki = spki(OID_ED448, None, &[5; 57]);
        assert_eq!(key_of(&spki), Ok((SignatureScheme::ED448, vec![5; 57])));
    }

    #[test]
    fn keys_no_mls_suite_uses_are_named() {
        let rsa = spki(OID_RSA, None, &[0x30, 0x00]);
        assert_eq!(key_of(&rsa), Err(KeyError::Unsupported("rsa".into())));
        // secp256k1, 1.3.132.0.10
        let k1 = spki(
            OID_EC_PUBLIC_KEY,
            Some(&[0x2b, 0x81, 0x04, 0x00, 0x0a]),
            &[4; 65],
        );
        assert_eq!(
            key_of(&k1),
            Err(KeyError::Unsupported("ecdsa on curve 1.3.132.0.10".into()))
        );
        let dsa = spki(&[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01], None, &[1]);
        assert_eq!(
            key_of(&dsa),
            Err(KeyError::Unsupported(
                "public key algorithm 1.2.840.10040.4.1".into()
            ))
        );
    }

    #[test]
    fn malformed_keys_are_malformed() {
        let mut compressed = vec![2u8];
        compressed.extend([1u8; 32]);
        for bad in [
            spki(OID_EC_PUBLIC_KEY, Some(OID_P256), &compressed),
            spki(OID_EC_PUBLIC_KEY, Some(OID_P256), &[4; 64]),
            spki(OID_EC_PUBLIC_KEY, None, &[4; 65]),
            spki(OID_ED25519, None, &[1; 31]),
            spki(OID_ED25519, Some(OID_P256), &[1; 32]),
            vec![],
            vec![0x30, 0x00],
        ] {
            assert_eq!(key_of(&bad), Err(KeyError::Malformed), "{bad:02x?}");
        }
    }
}
