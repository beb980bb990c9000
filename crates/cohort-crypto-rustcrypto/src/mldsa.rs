//! ML-DSA-44/65/87 (FIPS 204) from the `ml-dsa` crate, as draft-ietf-tls-mldsa uses it and the
//! ML-DSA cipher suites of draft-ietf-mls-pq-ciphersuites name it.
//!
//! ```text
//! private key   the 32-byte seed xi of ML-DSA.KeyGen_internal (FIPS 204 Algorithm 6)
//! public key    pkEncode(rho, t1): 1312 / 1952 / 2592 bytes
//! Sign(sk, M)   ML-DSA.Sign with an empty context: Sign_internal(sk, 0x00 || 0x00 || M, rnd),
//!               hedged (rnd: 32 bytes from the OS RNG, FIPS 204 §3.4)
//! signature     sigEncode: 2420 / 3309 / 4627 bytes
//! ```
//!
//! Verification rejects keys and signatures of the wrong length and signatures whose hint
//! encoding is malformed.

use std::sync::Arc;

use cohort_crypto::{CryptoError, PreparedSigningKey};

/// The length of an ML-DSA private key (the seed `xi`).
pub(crate) const SEED_LEN: usize = 32;

/// An ML-DSA parameter set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MlDsa {
    P44,
    P65,
    P87,
}

/// The ML-DSA operations of one parameter set of the `ml-dsa` crate.
macro_rules! ml_dsa_ops {
    ($module:ident, $params:ident) => {
        mod $module {
            use std::fmt;
            use std::sync::Arc;

            use cohort_crypto::{CryptoError, CryptoErrorKind, PreparedSigningKey};
            use ml_dsa::{
                B32, EncodedSignature, EncodedVerifyingKey, ExpandedSigningKey, Seed, Signature,
                SigningKey, VerifyingKey,
            };
            use zeroize::Zeroizing;

            type Params = ml_dsa::$params;

            /// `0x00 || len(ctx) || ctx` of FIPS 204 Algorithm 2, with the empty context.
            const EMPTY_CONTEXT_PREFIX: [u8; 2] = [0, 0];

            fn signing_key(sk: &[u8]) -> Result<SigningKey<Params>, CryptoError> {
                let seed = Zeroizing::new(
                    Seed::try_from(sk).map_err(|_| CryptoErrorKind::InvalidPrivateKey)?,
                );
                Ok(SigningKey::from_seed(&seed))
            }

            pub(crate) fn public_of(sk: &[u8]) -> Result<Vec<u8>, CryptoError> {
                let sk = signing_key(sk)?;
                Ok(sk.expanded_key().verifying_key().encode().to_vec())
            }

            fn sign_expanded(
                key: &ExpandedSigningKey<Params>,
                msg: &[u8],
            ) -> Result<Vec<u8>, CryptoError> {
                let mut rnd = Zeroizing::new(B32::default());
                crate::rng::fill(rnd.as_mut_slice())?;
                let sig = key.sign_internal(&[&EMPTY_CONTEXT_PREFIX, msg], &rnd);
                Ok(sig.encode().to_vec())
            }

            pub(crate) fn sign(sk: &[u8], msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
                sign_expanded(signing_key(sk)?.expanded_key(), msg)
            }

            pub(crate) fn prepare(sk: &[u8]) -> Result<Arc<dyn PreparedSigningKey>, CryptoError> {
                let sk = signing_key(sk)?;
                Ok(Arc::new(Prepared(sk.expanded_key().clone())))
            }

            pub(crate) fn verify(pk: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
                let pk = EncodedVerifyingKey::<Params>::try_from(pk)
                    .map_err(|_| CryptoErrorKind::InvalidPublicKey)?;
                let vk = VerifyingKey::<Params>::decode(&pk);
                let sig = EncodedSignature::<Params>::try_from(sig)
                    .map_err(|_| CryptoErrorKind::InvalidSignature)?;
                let sig =
                    Signature::<Params>::decode(&sig).ok_or(CryptoErrorKind::InvalidSignature)?;
                if vk.verify_with_context(msg, &[], &sig) {
                    Ok(())
                } else {
                    Err(CryptoErrorKind::InvalidSignature.into())
                }
            }

            /// An expanded signing key (the matrix `A` and the secret vectors, computed once).
            /// `ml-dsa` zeroizes it on drop.
            struct Prepared(ExpandedSigningKey<Params>);

            impl fmt::Debug for Prepared {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str(concat!(stringify!($params), " signing key (redacted)"))
                }
            }

            impl PreparedSigningKey for Prepared {
                fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
                    sign_expanded(&self.0, message)
                }
            }
        }
    };
}

ml_dsa_ops!(ml_dsa_44, MlDsa44);
ml_dsa_ops!(ml_dsa_65, MlDsa65);
ml_dsa_ops!(ml_dsa_87, MlDsa87);

impl MlDsa {
    /// The public key of the seed `sk`.
    pub(crate) fn public_of(self, sk: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match self {
            Self::P44 => ml_dsa_44::public_of(sk),
            Self::P65 => ml_dsa_65::public_of(sk),
            Self::P87 => ml_dsa_87::public_of(sk),
        }
    }

    /// `ML-DSA.Sign(sk, msg, "")`, hedged.
    pub(crate) fn sign(self, sk: &[u8], msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match self {
            Self::P44 => ml_dsa_44::sign(sk, msg),
            Self::P65 => ml_dsa_65::sign(sk, msg),
            Self::P87 => ml_dsa_87::sign(sk, msg),
        }
    }

    /// The expanded key of the seed `sk`, for signing many times.
    pub(crate) fn prepare(self, sk: &[u8]) -> Result<Arc<dyn PreparedSigningKey>, CryptoError> {
        match self {
            Self::P44 => ml_dsa_44::prepare(sk),
            Self::P65 => ml_dsa_65::prepare(sk),
            Self::P87 => ml_dsa_87::prepare(sk),
        }
    }

    /// `ML-DSA.Verify(pk, msg, sig, "")`.
    pub(crate) fn verify(self, pk: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        match self {
            Self::P44 => ml_dsa_44::verify(pk, msg, sig),
            Self::P65 => ml_dsa_65::verify(pk, msg, sig),
            Self::P87 => ml_dsa_87::verify(pk, msg, sig),
        }
    }
}

#[cfg(test)]
mod tests {
    use cohort_crypto::{
        CryptoErrorKind, SignaturePrivateKey, SignaturePublicKey, SignatureScheme,
    };
    use cohort_crypto_hpke::SignatureAlgorithm;

    use crate::sig::SigAlg;

    /// `(algorithm, scheme, public key length, signature length)` of FIPS 204 Table 2.
    const SCHEMES: [(SigAlg, SignatureScheme, usize, usize); 3] = [
        (SigAlg::MlDsa44, SignatureScheme::MLDSA44, 1312, 2420),
        (SigAlg::MlDsa65, SignatureScheme::MLDSA65, 1952, 3309),
        (SigAlg::MlDsa87, SignatureScheme::MLDSA87, 2592, 4627),
    ];

    fn kind<T>(result: Result<T, cohort_crypto::CryptoError>) -> CryptoErrorKind {
        match result {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.kind(),
        }
    }

    #[test]
    fn sign_verify_and_sizes() {
        for (alg, scheme, pk_len, sig_len) in SCHEMES {
            assert_eq!(alg.scheme(), scheme);
            let (sk, pk) = alg.generate().expect("generate");
            assert_eq!(sk.len(), super::SEED_LEN);
            assert_eq!(pk.as_ref().len(), pk_len);
            assert_eq!(scheme.key_well_formed(pk.as_ref()), Some(true));
            assert_eq!(alg.public_key(&sk).expect("public key"), pk);

            let sig = alg.sign(&sk, b"message").expect("sign");
            assert_eq!(sig.len(), sig_len);
            alg.verify(&pk, b"message", &sig).expect("verify");
            // Hedged: two signatures of one message differ, and both verify.
            let again = alg.sign(&sk, b"message").expect("sign");
            assert_ne!(sig, again);
            alg.verify(&pk, b"message", &again).expect("verify");

            let prepared = alg.prepare(&sk).expect("prepare").expect("a prepared key");
            let sig = prepared.sign(b"prepared").expect("sign");
            alg.verify(&pk, b"prepared", &sig).expect("verify prepared");
            // The key's Debug output is redacted: no run of its seed shows. (Eight bytes: a
            // single byte's two hex digits can occur in the text by chance.)
            let shown = format!("{prepared:?}");
            let seed_prefix: String = sk.as_bytes()[..8]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert!(shown.contains("(redacted)"), "{shown}");
            assert!(!shown.contains(&seed_prefix), "{shown}");
        }
    }

    /// NIST ACVP `ML-DSA-keyGen-FIPS204`, tcId 1 (ML-DSA-44): the key pair of a seed, checked
    /// by the public key's first 32 bytes and its SHA-256.
    #[test]
    fn key_generation_matches_acvp() {
        use sha2::Digest;
        let seed = hex::decode("d71361c000f9a7bc99dfb425bcb6bb27c32c36ab444ff3708b2d93b4e66d5b5b")
            .expect("hex");
        let pk = SigAlg::MlDsa44
            .public_key(&SignaturePrivateKey::from_slice(&seed))
            .expect("public key");
        assert_eq!(
            hex::encode(&pk.as_ref()[..32]),
            "b845fa2881407a59183071629b08223128116014fb58ff6bb4c8c9fe19cf5b0b"
        );
        assert_eq!(
            hex::encode(sha2::Sha256::digest(pk.as_ref())),
            "451a808c522218fadbdab146fc12004b0741c7d069f238f43ad77216159f6a34"
        );
    }

    #[test]
    fn keys_come_from_the_seed() {
        for (alg, ..) in SCHEMES {
            let sk = SignaturePrivateKey::from_slice(&[0x5a; 32]);
            let pk = alg.public_key(&sk).expect("public key");
            assert_eq!(alg.public_key(&sk).expect("public key"), pk);
            let other = alg
                .public_key(&SignaturePrivateKey::from_slice(&[0x5b; 32]))
                .expect("public key");
            assert_ne!(other, pk);
        }
    }

    #[test]
    fn bad_signatures_and_keys_are_typed_errors() {
        for (alg, _, pk_len, sig_len) in SCHEMES {
            let (sk, pk) = alg.generate().expect("generate");
            let sig = alg.sign(&sk, b"message").expect("sign");
            assert_eq!(
                kind(alg.verify(&pk, b"other message", &sig)),
                CryptoErrorKind::InvalidSignature
            );
            let mut tampered = sig.clone();
            tampered[10] ^= 1;
            assert_eq!(
                kind(alg.verify(&pk, b"message", &tampered)),
                CryptoErrorKind::InvalidSignature
            );
            // A malformed hint encoding (the last bytes count hints per row; 0xff is too many).
            let mut bad_hints = sig.clone();
            if let Some(last) = bad_hints.last_mut() {
                *last = 0xff;
            }
            assert_eq!(
                kind(alg.verify(&pk, b"message", &bad_hints)),
                CryptoErrorKind::InvalidSignature
            );
            for len in [0, sig_len - 1, sig_len + 1] {
                assert_eq!(
                    kind(alg.verify(&pk, b"message", &vec![0; len])),
                    CryptoErrorKind::InvalidSignature
                );
            }
            for len in [0, pk_len - 1, pk_len + 1] {
                let bad = SignaturePublicKey::from(vec![0; len]);
                assert_eq!(
                    kind(alg.verify(&bad, b"message", &sig)),
                    CryptoErrorKind::InvalidPublicKey
                );
            }
            let (_, other_pk) = alg.generate().expect("generate");
            assert_eq!(
                kind(alg.verify(&other_pk, b"message", &sig)),
                CryptoErrorKind::InvalidSignature
            );
            for len in [0, 31, 33, 64] {
                let bad = SignaturePrivateKey::from_slice(&vec![1; len]);
                assert_eq!(
                    kind(alg.public_key(&bad)),
                    CryptoErrorKind::InvalidPrivateKey
                );
                assert_eq!(
                    kind(alg.sign(&bad, b"m")),
                    CryptoErrorKind::InvalidPrivateKey
                );
                assert_eq!(kind(alg.prepare(&bad)), CryptoErrorKind::InvalidPrivateKey);
            }
        }
    }
}
