//! X25519 public-key validation without a scalar multiplication.
//!
//! A DHKEM(X25519) public key is any 32-byte string; the only keys to refuse are those whose
//! Diffie-Hellman output is all zero whatever the private key (RFC 9180 §7.1.4, RFC 7748 §6.1):
//! the points of order dividing 8, on the curve or on its twist. Backends used to find them by a
//! Diffie-Hellman with a fixed clamped scalar (a multiple of the cofactor), a full scalar
//! multiplication per check; [`is_small_order`] compares with the list of those points instead.

/// The u-coordinates of the points of small order, little-endian, with bit 255 clear: 0, 1, the
/// two points of order 8, p - 1, and the non-canonical encodings p and p + 1 of 0 and 1.
const SMALL_ORDER: [[u8; 32]; 7] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
        0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
        0xb8, 0x00,
    ],
    [
        0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef,
        0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f,
        0x11, 0x57,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    [
        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    [
        0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// Whether X25519 with any private key maps `u` to the all-zero output: `u`, with bit 255
/// ignored as X25519 ignores it (RFC 7748 §5), is one of the small-order u-coordinates.
///
/// Public keys are public, so the comparison need not be constant-time.
pub fn is_small_order(u: &[u8; 32]) -> bool {
    let mut masked = *u;
    masked[31] &= 0x7f;
    SMALL_ORDER.contains(&masked)
}

#[cfg(test)]
mod tests {
    use super::{SMALL_ORDER, is_small_order};

    /// The list agrees with the check it replaces: X25519 with a fixed clamped scalar.
    #[test]
    fn agrees_with_a_diffie_hellman_probe() {
        let probe = |u: [u8; 32]| x25519_dalek::x25519([0x42; 32], u) == [0; 32];
        let mut inputs: Vec<[u8; 32]> = Vec::new();
        for s in SMALL_ORDER {
            let mut high = s;
            high[31] |= 0x80;
            inputs.extend([s, high]);
        }
        // Non-canonical encodings p + 2 ..= 2^255 - 1 of small integers, and neighbours.
        for last in 0..=20u8 {
            let mut u = [0xff; 32];
            u[0] = 0xed_u8.wrapping_add(last);
            u[31] = 0x7f;
            inputs.push(u);
            let mut v = [0; 32];
            v[0] = last;
            inputs.push(v);
        }
        // A deterministic spread of other values.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..500 {
            let mut u = [0u8; 32];
            for b in &mut u {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            inputs.push(u);
        }
        for u in inputs {
            assert_eq!(is_small_order(&u), probe(u), "{u:02x?}");
        }
    }
}
