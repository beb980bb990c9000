//! HPKE cross-checks against the `hpke` crate, an independent RFC 9180 implementation.

use std::sync::Arc;

use cohort_crypto::{Decapsulator, HpkeCiphertext, HpkePublicKey, SoftwareHpkeKey, SuiteOps};
use hpke::aead::{AesGcm128, AesGcm256, ChaCha20Poly1305};
use hpke::kdf::{HkdfSha256, HkdfSha384, HkdfSha512};
use hpke::kem::{DhP256HkdfSha256, DhP384HkdfSha384, DhP521HkdfSha512, X25519HkdfSha256};
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

use super::CheckFn;
use super::roundtrip::err;

pub(super) const CHECKS: &[(&str, CheckFn)] = &[
    ("hpke/oracle-derive-key-pair", derive_key_pair),
    ("hpke/oracle-to-provider", oracle_to_provider),
    ("hpke/provider-to-oracle", provider_to_oracle),
    ("hpke/oracle-export-to-provider", oracle_export_to_provider),
    ("hpke/provider-export-to-oracle", provider_export_to_oracle),
];

const IKM: &[u8] = b"cohort conformance oracle ikm, long enough";
const INFO: &[u8] = b"oracle info";
const AAD: &[u8] = b"oracle aad";
const PT: &[u8] = b"oracle plaintext";
const EXPORTER_CONTEXT: &[u8] = b"oracle exporter context";

/// Which direction to check.
#[derive(Clone, Copy)]
enum Direction {
    DeriveKeyPair,
    OracleSeals,
    ProviderSeals,
    OracleExports,
    ProviderExports,
}

fn derive_key_pair(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    dispatch(ops, Direction::DeriveKeyPair)
}

fn oracle_to_provider(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    dispatch(ops, Direction::OracleSeals)
}

fn provider_to_oracle(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    dispatch(ops, Direction::ProviderSeals)
}

fn oracle_export_to_provider(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    dispatch(ops, Direction::OracleExports)
}

fn provider_export_to_oracle(ops: &Arc<dyn SuiteOps>) -> Result<bool, String> {
    dispatch(ops, Direction::ProviderExports)
}

/// `Ok(false)` for suites whose KEM the oracle lacks (X448).
fn dispatch(ops: &Arc<dyn SuiteOps>, dir: Direction) -> Result<bool, String> {
    match ops.cipher_suite().0 {
        1 => cross::<AesGcm128, HkdfSha256, X25519HkdfSha256>(ops, dir),
        2 => cross::<AesGcm128, HkdfSha256, DhP256HkdfSha256>(ops, dir),
        3 => cross::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(ops, dir),
        5 => cross::<AesGcm256, HkdfSha512, DhP521HkdfSha512>(ops, dir),
        7 => cross::<AesGcm256, HkdfSha384, DhP384HkdfSha384>(ops, dir),
        _ => return Ok(false),
    }?;
    Ok(true)
}

fn cross<A, K, M>(ops: &Arc<dyn SuiteOps>, dir: Direction) -> Result<(), String>
where
    A: hpke::aead::Aead,
    K: hpke::kdf::Kdf,
    M: hpke::Kem,
{
    let mut rng = ChaCha20Rng::from_seed([0x5a; 32]);
    match dir {
        Direction::DeriveKeyPair => {
            let (_, oracle_pk) = M::derive_keypair(IKM);
            let (_, pk) = ops.kem_derive(IKM).map_err(err("kem_derive"))?;
            if pk.as_ref() != oracle_pk.to_bytes().as_slice() {
                return Err("DeriveKeyPair differs from the oracle".into());
            }
        }
        Direction::OracleSeals => {
            let key = SoftwareHpkeKey::derive(ops.clone(), IKM).map_err(err("kem_derive"))?;
            let pk = M::PublicKey::from_bytes(key.public_key().as_ref())
                .map_err(|e| format!("oracle rejects the provider's public key: {e:?}"))?;
            let (enc, ct) =
                hpke::single_shot_seal::<A, K, M, _>(&OpModeS::Base, &pk, INFO, PT, AAD, &mut rng)
                    .map_err(|e| format!("oracle seal: {e:?}"))?;
            let ct = HpkeCiphertext {
                kem_output: enc.to_bytes().to_vec().into(),
                ciphertext: ct.into(),
            };
            let pt = ops
                .hpke_open(&key, &ct, INFO, AAD)
                .map_err(err("hpke_open of the oracle's ciphertext"))?;
            if pt != PT {
                return Err("hpke_open of the oracle's ciphertext returned other bytes".into());
            }
        }
        Direction::ProviderSeals => {
            let (oracle_sk, oracle_pk) = M::gen_keypair(&mut rng);
            let pk = HpkePublicKey::from(oracle_pk.to_bytes().to_vec());
            let ct = ops
                .hpke_seal(&pk, INFO, AAD, PT)
                .map_err(err("hpke_seal to the oracle's key"))?;
            let enc = M::EncappedKey::from_bytes(&ct.kem_output)
                .map_err(|e| format!("oracle rejects the provider's kem_output: {e:?}"))?;
            let pt = hpke::single_shot_open::<A, K, M>(
                &OpModeR::Base,
                &oracle_sk,
                &enc,
                INFO,
                &ct.ciphertext,
                AAD,
            )
            .map_err(|e| format!("oracle cannot open the provider's ciphertext: {e:?}"))?;
            if pt != PT {
                return Err("the oracle opened other bytes".into());
            }
        }
        Direction::OracleExports => {
            let key = SoftwareHpkeKey::derive(ops.clone(), IKM).map_err(err("kem_derive"))?;
            let pk = M::PublicKey::from_bytes(key.public_key().as_ref())
                .map_err(|e| format!("oracle rejects the provider's public key: {e:?}"))?;
            let (enc, ctx) = hpke::setup_sender::<A, K, M, _>(&OpModeS::Base, &pk, INFO, &mut rng)
                .map_err(|e| format!("oracle setup_sender: {e:?}"))?;
            for len in export_lengths(ops.hash_len()) {
                let mut expected = vec![0; len];
                ctx.export(EXPORTER_CONTEXT, &mut expected)
                    .map_err(|e| format!("oracle export: {e:?}"))?;
                let got = ops
                    .hpke_export_receiver(&key, &enc.to_bytes(), INFO, EXPORTER_CONTEXT, len)
                    .map_err(err("hpke_export_receiver of the oracle's enc"))?;
                if got.as_bytes() != expected.as_slice() {
                    return Err(format!(
                        "hpke_export_receiver of the oracle's enc differs from the oracle's \
                         export ({len} bytes)"
                    ));
                }
            }
        }
        Direction::ProviderExports => {
            let (oracle_sk, oracle_pk) = M::gen_keypair(&mut rng);
            let pk = HpkePublicKey::from(oracle_pk.to_bytes().to_vec());
            for len in export_lengths(ops.hash_len()) {
                let (enc, secret) = ops
                    .hpke_export_sender(&pk, INFO, EXPORTER_CONTEXT, len)
                    .map_err(err("hpke_export_sender to the oracle's key"))?;
                let enc = M::EncappedKey::from_bytes(&enc)
                    .map_err(|e| format!("oracle rejects the provider's enc: {e:?}"))?;
                let ctx = hpke::setup_receiver::<A, K, M>(&OpModeR::Base, &oracle_sk, &enc, INFO)
                    .map_err(|e| format!("oracle setup_receiver: {e:?}"))?;
                let mut expected = vec![0; len];
                ctx.export(EXPORTER_CONTEXT, &mut expected)
                    .map_err(|e| format!("oracle export: {e:?}"))?;
                if secret.as_bytes() != expected.as_slice() {
                    return Err(format!(
                        "the oracle exports another secret from the provider's enc ({len} bytes)"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Export lengths to compare: `Nh` (the external-commit case), shorter, and multi-block.
fn export_lengths(nh: usize) -> [usize; 3] {
    [nh, 1, 3 * nh + 5]
}
