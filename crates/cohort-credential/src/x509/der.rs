//! A small, strict DER reader for the few certificate fields webpki does not expose: the
//! subjectPublicKeyInfo of the leaf, its keyUsage, extKeyUsage and subjectAltName extensions,
//! and its subject name.
//!
//! Only definite lengths in minimal form and single-byte tags are accepted. Every read is
//! bounds-checked and returns `None` on malformed input; nothing here panics.

/// `SEQUENCE`, constructed.
pub(crate) const SEQUENCE: u8 = 0x30;
/// `OBJECT IDENTIFIER`.
pub(crate) const OID: u8 = 0x06;
/// `BIT STRING`.
pub(crate) const BIT_STRING: u8 = 0x03;
/// `OCTET STRING`.
pub(crate) const OCTET_STRING: u8 = 0x04;
/// `BOOLEAN`.
pub(crate) const BOOLEAN: u8 = 0x01;
/// `[0]` constructed, explicit: the certificate version.
pub(crate) const CONTEXT_0: u8 = 0xa0;
/// `[3]` constructed, explicit: the certificate extensions.
pub(crate) const CONTEXT_3: u8 = 0xa3;

/// A cursor over DER bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    /// Reads `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Whether everything was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The tag of the next element, if any.
    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one element: its tag, its value, and the whole element (tag, length and value).
    pub(crate) fn read_any(&mut self) -> Option<(u8, &'a [u8], &'a [u8])> {
        let whole = self.rest;
        let (&tag, after_tag) = self.rest.split_first()?;
        // High-tag-number form (low five bits all set) never occurs in the fields we read.
        if tag & 0x1f == 0x1f {
            return None;
        }
        let (&first, mut after_len) = after_tag.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            // 0x80 is the indefinite form (BER only); more than four length bytes is absurd.
            if count == 0 || count > 4 {
                return None;
            }
            let (len_bytes, rest) = split(after_len, count)?;
            after_len = rest;
            // Minimal encoding: no leading zero byte, and the long form only from 128 on.
            if len_bytes.first() == Some(&0) {
                return None;
            }
            let len = len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                return None;
            }
            len
        };
        let (value, rest) = split(after_len, len)?;
        let header = whole.len() - after_len.len();
        let (element, _) = split(whole, header + len)?;
        self.rest = rest;
        Some((tag, value, element))
    }

    /// Reads one element that must have tag `tag`, returning its value.
    pub(crate) fn read(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.read_any()? {
            (t, value, _) if t == tag => Some(value),
            _ => None,
        }
    }

    /// Reads an element with tag `tag` if it is next; `Some(None)` when another comes next.
    pub(crate) fn read_optional(&mut self, tag: u8) -> Option<Option<&'a [u8]>> {
        if self.peek_tag() == Some(tag) {
            self.read(tag).map(Some)
        } else {
            Some(None)
        }
    }
}

/// Splits `bytes` at `at`, or `None` when it is too short.
fn split(bytes: &[u8], at: usize) -> Option<(&[u8], &[u8])> {
    if at <= bytes.len() {
        Some(bytes.split_at(at))
    } else {
        None
    }
}

/// Decodes the content bytes of an OBJECT IDENTIFIER into its arcs.
pub(crate) fn decode_oid(bytes: &[u8]) -> Option<Vec<u64>> {
    let mut arcs = Vec::new();
    let mut acc: u64 = 0;
    let mut in_arc = false;
    for &b in bytes {
        // A leading 0x80 is a non-minimal encoding.
        if !in_arc && b == 0x80 {
            return None;
        }
        acc = acc.checked_mul(128)?.checked_add(u64::from(b & 0x7f))?;
        in_arc = b & 0x80 != 0;
        if !in_arc {
            if arcs.is_empty() {
                let first = (acc / 40).min(2);
                arcs.push(first);
                arcs.push(acc - first * 40);
            } else {
                arcs.push(acc);
            }
            acc = 0;
        }
    }
    if in_arc || arcs.is_empty() {
        return None;
    }
    Some(arcs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        let mut d = Der::new(&long);
        assert_eq!(d.read(OCTET_STRING).map(<[u8]>::len), Some(0x80));
        assert!(d.is_empty());

        let mut d = Der::new(&[0x30, 0x02, 0x05, 0x00]);
        let (tag, value, whole) = d.read_any().expect("well formed");
        assert_eq!((tag, value, whole.len()), (SEQUENCE, &[0x05, 0x00][..], 4));
    }

    #[test]
    fn rejects_malformed_lengths() {
        for bad in [
            &[0x30][..],
            &[0x30, 0x80],                   // indefinite
            &[0x30, 0x81, 0x05, 0, 0, 0, 0], // long form below 128
            &[0x30, 0x82, 0x00, 0x80],       // leading zero
            &[0x30, 0x85, 1, 1, 1, 1, 1],    // too many length bytes
            &[0x30, 0x03, 0x00],             // truncated value
            &[0x1f, 0x01, 0x00],             // high tag number
        ] {
            assert!(Der::new(bad).read_any().is_none(), "{bad:02x?}");
        }
    }

    #[test]
    fn decodes_oids() {
        // 1.3.6.1.5.5.7.3.2 (id-kp-clientAuth)
        let oid = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
        assert_eq!(decode_oid(&oid), Some(vec![1, 3, 6, 1, 5, 5, 7, 3, 2]));
        // 1.2.840.10045.2.1 (id-ecPublicKey)
        let oid = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
        assert_eq!(decode_oid(&oid), Some(vec![1, 2, 840, 10045, 2, 1]));
        assert_eq!(decode_oid(&[]), None);
        assert_eq!(decode_oid(&[0x86]), None);
        assert_eq!(decode_oid(&[0x2b, 0x80, 0x01]), None);
        assert_eq!(decode_oid(&[0xff; 20]), None);
    }

    /// Arbitrary bytes never make the reader panic.
    #[test]
    fn never_panics_on_noise() {
        let mut state = 0x1234_5678_u32;
        for len in 0..300 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state.to_le_bytes()[0]
                })
                .collect();
            let mut d = Der::new(&bytes);
            while d.read_any().is_some() {}
            let _ = decode_oid(&bytes);
        }
    }
}
