//! Deterministic corruptions of valid encodings, for robustness tests: every decoder fed these
//! must return a typed error or a value, never panic.

/// Every strict prefix of `bytes`, from empty to one byte short, shortest first.
pub fn truncations(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    (0..bytes.len()).map(move |len| &bytes[..len])
}

/// `count` copies of `bytes`, each with one to four bytes replaced by pseudo-random values.
///
/// The choice is a fixed function of `seed`, so a failing input can be reproduced from the seed
/// printed by the test. Empty input gives nothing.
pub fn byte_flips(bytes: &[u8], seed: u64, count: usize) -> impl Iterator<Item = Vec<u8>> + '_ {
    let mut rng = SplitMix64(seed);
    (0..count).filter(|_| !bytes.is_empty()).map(move |_| {
        let mut out = bytes.to_vec();
        let flips = 1 + rng.below(4);
        for _ in 0..flips {
            let at = rng.below(out.len());
            // XOR the original byte with a non-zero value, so each chosen byte really changes
            // even when a position is picked twice.
            let mask = 1 + rng.below(255);
            // `below(255)` < 255, so `mask` is in 1..=255 and fits a byte.
            out[at] = bytes[at] ^ mask as u8;
        }
        out
    })
}

/// SplitMix64: a tiny deterministic generator, plenty for picking positions to corrupt.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..n`; `n` must be non-zero.
    fn below(&mut self, n: usize) -> usize {
        // The modulo bias is irrelevant for picking corruption sites. `n` fits u64 on every
        // target, and the result is below `n`, so it fits usize.
        (self.next() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncations_are_strict_prefixes() {
        let all: Vec<&[u8]> = truncations(&[1, 2, 3]).collect();
        assert_eq!(all, [&[][..], &[1][..], &[1, 2][..]]);
    }

    #[test]
    fn flips_change_the_input_and_are_deterministic() {
        let input = [0u8; 16];
        let a: Vec<Vec<u8>> = byte_flips(&input, 7, 20).collect();
        let b: Vec<Vec<u8>> = byte_flips(&input, 7, 20).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 20);
        assert!(a.iter().all(|v| v.len() == 16 && v != &input));
        assert_eq!(byte_flips(&[], 7, 20).count(), 0);
    }
}
