//! The few DER encodings a PKCS#11 signer needs: ECDSA signatures (RFC 9420 §5.1.2 wants
//! `Ecdsa-Sig-Value`, PKCS#11 gives `r || s`), and the OCTET STRING around `CKA_EC_POINT`.
//!
//! ```text
//! CKM_ECDSA output:  r (n bytes) || s (n bytes)          big-endian, zero-padded to n
//! MLS wire form:     30 len  02 len r'  02 len s'        r', s': minimal, 00-prefixed if the
//!                                                        top bit is set
//! ```

/// Encodes a fixed-width `r || s` ECDSA signature as a DER `SEQUENCE { r INTEGER, s INTEGER }`.
///
/// Returns `None` when `raw` is empty or of odd length.
pub(crate) fn ecdsa_raw_to_der(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_empty() || raw.len() % 2 != 0 {
        return None;
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let mut body = Vec::with_capacity(raw.len() + 8);
    push_integer(&mut body, r);
    push_integer(&mut body, s);
    let mut out = Vec::with_capacity(body.len() + 4);
    out.push(0x30);
    push_len(&mut out, body.len());
    out.extend_from_slice(&body);
    Some(out)
}

/// Decodes a DER ECDSA signature into `r || s`, each left-padded to `n` bytes.
///
/// Strict: rejects trailing bytes, non-minimal integers, negative values and values wider than
/// `n` bytes. Returns `None` on any of these.
pub(crate) fn ecdsa_der_to_raw(der: &[u8], n: usize) -> Option<Vec<u8>> {
    let (seq, rest) = read_tlv(der, 0x30)?;
    if !rest.is_empty() {
        return None;
    }
    let (r, seq) = read_tlv(seq, 0x02)?;
    let (s, seq) = read_tlv(seq, 0x02)?;
    if !seq.is_empty() {
        return None;
    }
    let mut out = vec![0u8; 2 * n];
    let (r_out, s_out) = out.split_at_mut(n);
    copy_unsigned(r, r_out)?;
    copy_unsigned(s, s_out)?;
    Some(out)
}

/// Wraps `content` in a DER OCTET STRING.
pub(crate) fn octet_string(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 4);
    out.push(0x04);
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// The content of a DER OCTET STRING that spans all of `der`, or `None`.
pub(crate) fn unwrap_octet_string(der: &[u8]) -> Option<&[u8]> {
    match read_tlv(der, 0x04)? {
        (content, []) => Some(content),
        _ => None,
    }
}

/// Appends a DER INTEGER holding the unsigned big-endian value `v`.
fn push_integer(out: &mut Vec<u8>, v: &[u8]) {
    let first = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    let v = &v[first..];
    let pad = v.first().is_none_or(|&b| b & 0x80 != 0);
    out.push(0x02);
    push_len(out, v.len() + usize::from(pad));
    if pad {
        out.push(0);
    }
    out.extend_from_slice(v);
}

/// Appends a DER length.
fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        // Fits in the short form: the cast cannot truncate.
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let first = bytes
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(bytes.len() - 1);
        let bytes = &bytes[first..];
        // At most size_of::<usize>() bytes, far below 0x7f.
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(bytes);
    }
}

/// Reads one DER TLV with tag `tag`: its content and what follows it.
fn read_tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, input) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, mut input) = input.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 2 || input.len() < n {
            return None;
        }
        let (bytes, rest) = input.split_at(n);
        input = rest;
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        // DER: the long form only for lengths of 128 and more, with no leading zero byte.
        if len < 0x80 || bytes[0] == 0 {
            return None;
        }
        len
    };
    (input.len() >= len).then(|| input.split_at(len))
}

/// Copies a DER INTEGER's content, which must be a minimal non-negative value, into `out`,
/// right-aligned.
fn copy_unsigned(int: &[u8], out: &mut [u8]) -> Option<()> {
    match int {
        [] => return None,
        [b, ..] if b & 0x80 != 0 => return None,
        [0, b, ..] if b & 0x80 == 0 => return None,
        _ => {}
    }
    let int = match int {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => int,
    };
    let start = out.len().checked_sub(int.len())?;
    out[start..].copy_from_slice(int);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_and_der_round_trip() {
        for n in [32usize, 48, 66] {
            for (r0, s0) in [(0x01u8, 0x7f_u8), (0x80, 0xff), (0x00, 0x00)] {
                let mut raw = vec![0x5a; 2 * n];
                raw[0] = r0;
                raw[n] = s0;
                let der = ecdsa_raw_to_der(&raw).unwrap();
                assert_eq!(der[0], 0x30);
                assert_eq!(ecdsa_der_to_raw(&der, n).unwrap(), raw, "n = {n}");
            }
        }
    }

    #[test]
    fn integers_are_minimal_and_positive() {
        let mut raw = vec![0u8; 64];
        raw[31] = 1; // r = 1
        raw[32] = 0x80; // s has its top bit set
        let der = ecdsa_raw_to_der(&raw).unwrap();
        assert_eq!(&der[..5], &[0x30, 0x26, 0x02, 0x01, 0x01]);
        assert_eq!(&der[5..8], &[0x02, 0x21, 0x00]);
    }

    #[test]
    fn long_form_length_for_p521() {
        let raw = vec![0xff; 132];
        let der = ecdsa_raw_to_der(&raw).unwrap();
        // Two INTEGERs of 1 + 66 bytes (a zero byte before the set top bit), 2 + 67 each.
        assert_eq!(&der[..3], &[0x30, 0x81, 0x8a]);
        assert_eq!(ecdsa_der_to_raw(&der, 66).unwrap(), raw);
    }

    #[test]
    fn malformed_der_is_rejected() {
        let raw = vec![0x11; 64];
        let der = ecdsa_raw_to_der(&raw).unwrap();
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(ecdsa_der_to_raw(&trailing, 32).is_none());
        assert!(ecdsa_der_to_raw(&der[..der.len() - 1], 32).is_none());
        assert!(ecdsa_der_to_raw(&der, 16).is_none(), "integer wider than n");
        // A non-minimal integer: 02 02 00 11.
        let bad = [0x30, 0x08, 0x02, 0x02, 0x00, 0x11, 0x02, 0x02, 0x00, 0x11];
        assert!(ecdsa_der_to_raw(&bad, 32).is_none());
        // A negative integer.
        let neg = [0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01];
        assert!(ecdsa_der_to_raw(&neg, 32).is_none());
        assert!(ecdsa_raw_to_der(&[]).is_none());
        assert!(ecdsa_raw_to_der(&[1, 2, 3]).is_none());
    }

    #[test]
    fn octet_strings() {
        let point = [4u8; 65];
        let wrapped = octet_string(&point);
        assert_eq!(&wrapped[..2], &[0x04, 0x41]);
        assert_eq!(unwrap_octet_string(&wrapped), Some(&point[..]));
        let big = [4u8; 133];
        let wrapped = octet_string(&big);
        assert_eq!(&wrapped[..3], &[0x04, 0x81, 0x85]);
        assert_eq!(unwrap_octet_string(&wrapped), Some(&big[..]));
        assert_eq!(unwrap_octet_string(&point), None);
    }
}
