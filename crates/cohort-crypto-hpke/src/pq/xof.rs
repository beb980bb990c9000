//! The single-stage KDFs of draft-ietf-hpke-pq §5: SHAKE128, SHAKE256 (FIPS 202) and
//! TurboSHAKE128, TurboSHAKE256 (RFC 9861), as `Derive(ikm, L)`.
//!
//! SHAKE comes from the `shake` crate. No RustCrypto release has TurboSHAKE yet, so it is the
//! sponge of RFC 9861 §2.2 here, over the 12-round Keccak-p[1600] permutation of the `keccak`
//! crate:
//!
//! ```text
//! TurboSHAKE(M, D, L):  P = M || D || 0x00 ... 0x00 (to a multiple of the rate), P[-1] ^= 0x80
//!                       absorb P block by block, Keccak-p[1600, 12] after each;
//!                       squeeze L bytes, Keccak-p[1600, 12] between blocks
//! rate: 168 bytes (TurboSHAKE128), 136 bytes (TurboSHAKE256); HPKE uses D = 0x1f
//! ```

use crate::OneStageKdf;
use cohort_crypto::{CryptoError, CryptoErrorKind, Secret};
use shake::{ExtendableOutput, Update, XofReader};
use zeroize::{Zeroize, Zeroizing};

/// The HPKE KDF identifiers of draft-ietf-hpke-pq §5.
const KDF_SHAKE128: u16 = 0x0010;
const KDF_SHAKE256: u16 = 0x0011;
const KDF_TURBOSHAKE128: u16 = 0x0012;
const KDF_TURBOSHAKE256: u16 = 0x0013;

/// The domain-separation byte HPKE gives TurboSHAKE (draft-ietf-hpke-pq §5).
const TURBOSHAKE_HPKE_DOMAIN: u8 = 0x1f;

/// A single-stage KDF of draft-ietf-hpke-pq §5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XofKdf {
    /// SHAKE128 (`0x0010`).
    Shake128,
    /// SHAKE256 (`0x0011`).
    Shake256,
    /// TurboSHAKE128 (`0x0012`).
    TurboShake128,
    /// TurboSHAKE256 (`0x0013`).
    TurboShake256,
}

impl XofKdf {
    /// Every single-stage KDF of draft-ietf-hpke-pq.
    pub const ALL: [Self; 4] = [
        Self::Shake128,
        Self::Shake256,
        Self::TurboShake128,
        Self::TurboShake256,
    ];
}

impl OneStageKdf for XofKdf {
    fn kdf_id(&self) -> u16 {
        match self {
            Self::Shake128 => KDF_SHAKE128,
            Self::Shake256 => KDF_SHAKE256,
            Self::TurboShake128 => KDF_TURBOSHAKE128,
            Self::TurboShake256 => KDF_TURBOSHAKE256,
        }
    }

    fn hash_len(&self) -> usize {
        match self {
            Self::Shake128 | Self::TurboShake128 => 32,
            Self::Shake256 | Self::TurboShake256 => 64,
        }
    }

    fn derive(&self, ikm: &[u8], len: usize) -> Result<Secret, CryptoError> {
        // `LabeledDerive` encodes `L` in two bytes; nothing longer is ever asked for.
        if len > usize::from(u16::MAX) {
            return Err(CryptoErrorKind::InvalidLength.into());
        }
        Ok(match self {
            Self::Shake128 => shake::<shake::Shake128>(ikm, len),
            Self::Shake256 => shake256(ikm, len),
            Self::TurboShake128 => turboshake::<168>(ikm, TURBOSHAKE_HPKE_DOMAIN, len),
            Self::TurboShake256 => turboshake::<136>(ikm, TURBOSHAKE_HPKE_DOMAIN, len),
        })
    }
}

/// `SHAKE256(input, 8 * len)`.
pub fn shake256(input: &[u8], len: usize) -> Secret {
    shake::<shake::Shake256>(input, len)
}

fn shake<X: Default + Update + ExtendableOutput>(input: &[u8], len: usize) -> Secret {
    let mut xof = X::default();
    xof.update(input);
    let mut out = Secret::new(vec![0; len]);
    xof.finalize_xof().read(out.as_mut_bytes());
    out
}

/// `TurboSHAKE(input, domain, len)` with a rate of `RATE` bytes (RFC 9861 §2.2).
fn turboshake<const RATE: usize>(input: &[u8], domain: u8, len: usize) -> Secret {
    // The padded message may hold key material (the labeled IKM starts with a secret).
    let mut padded = Zeroizing::new(Vec::with_capacity(input.len() + RATE));
    padded.extend_from_slice(input);
    padded.push(domain);
    let padded_len = padded.len().div_ceil(RATE) * RATE;
    padded.resize(padded_len, 0);
    if let Some(last) = padded.last_mut() {
        *last ^= 0x80;
    }

    let keccak = keccak::Keccak::new();
    let mut state = [0u64; 25];
    let permute = |state: &mut [u64; 25]| keccak.with_p1600::<12>(|f| f(state));
    for block in padded.chunks_exact(RATE) {
        for (lane, bytes) in state.iter_mut().zip(block.chunks_exact(8)) {
            let mut word = [0; 8];
            word.copy_from_slice(bytes);
            *lane ^= u64::from_le_bytes(word);
        }
        permute(&mut state);
    }

    let mut out = Secret::new(vec![0; len]);
    for (index, chunk) in out.as_mut_bytes().chunks_mut(RATE).enumerate() {
        if index > 0 {
            permute(&mut state);
        }
        for (position, byte) in chunk.iter_mut().enumerate() {
            let lane = state[position / 8].to_le_bytes();
            *byte = lane[position % 8];
        }
    }
    state.zeroize();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9861 §5: TurboSHAKE128 and TurboSHAKE256 of the empty message with `D = 0x1f`, and of
    /// the 17-byte pattern `ptn(17)` (`00 01 02 ... 10`).
    #[test]
    fn turboshake_matches_rfc_9861() {
        let empty128 = turboshake::<168>(&[], 0x1f, 32);
        assert_eq!(
            hex::encode(empty128.as_bytes()),
            "1e415f1c5983aff2169217277d17bb538cd945a397ddec541f1ce41af2c1b74c"
        );
        let empty256 = turboshake::<136>(&[], 0x1f, 64);
        assert_eq!(
            hex::encode(empty256.as_bytes()),
            "367a329dafea871c7802ec67f905ae13c57695dc2c6663c61035f59a18f8e7db\
             11edc0e12e91ea60eb6b32df06dd7f002fbafabb6e13ec1cc20d995547600db0"
        );
    }

    #[test]
    fn squeezing_across_blocks_extends_the_output() {
        let long = turboshake::<168>(b"abc", 0x1f, 400);
        let short = turboshake::<168>(b"abc", 0x1f, 32);
        assert_eq!(&long.as_bytes()[..32], short.as_bytes());
        let long = turboshake::<136>(b"abc", 0x1f, 300);
        let short = turboshake::<136>(b"abc", 0x1f, 64);
        assert_eq!(&long.as_bytes()[..64], short.as_bytes());
    }
}
