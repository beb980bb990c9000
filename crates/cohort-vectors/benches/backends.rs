//! The three crypto backends side by side, on the operations MLS performs most.
//!
//! Run with `cargo bench -p cohort-vectors --bench backends`. Each benchmark is named
//! `suite<N>/<operation>/<backend>`; `docs/performance.md` holds the table of one run.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use cohort_crypto::{CipherSuite, CryptoProvider, Decapsulator, SoftwareHpkeKey, SuiteOps};
use criterion::{BenchmarkId, Criterion, Throughput};

const SUITES: [CipherSuite; 2] = [
    CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519,
    CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
];

fn backends() -> Vec<(&'static str, Box<dyn CryptoProvider>)> {
    vec![
        ("rustcrypto", Box::new(cohort_crypto_rustcrypto::provider())),
        ("ring", Box::new(cohort_crypto_ring::provider())),
        ("aws-lc", Box::new(cohort_crypto_aws_lc::provider())),
    ]
}

fn bench_suite(c: &mut Criterion, cs: CipherSuite) {
    let backends: Vec<(&str, Arc<dyn SuiteOps>)> = backends()
        .into_iter()
        .map(|(name, p)| (name, p.require_suite(cs).expect("backend serves the suite")))
        .collect();
    let group_name = |op: &str| format!("suite{}/{op}", cs.0);

    let mut g = c.benchmark_group(group_name("hpke_seal_open_32"));
    for (name, ops) in &backends {
        let key = SoftwareHpkeKey::generate(ops.clone()).expect("kem_generate");
        let pt = [0x42u8; 32];
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                let ct = ops
                    .hpke_seal(key.public_key(), b"info", b"aad", black_box(&pt))
                    .expect("hpke_seal");
                ops.hpke_open(&key, &ct, b"info", b"aad")
                    .expect("hpke_open")
            })
        });
    }
    g.finish();

    let msg = [0x17u8; 256];
    let mut g = c.benchmark_group(group_name("sign_256"));
    for (name, ops) in &backends {
        let (sk, _) = ops.signature_generate().expect("signature_generate");
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| ops.sign(&sk, black_box(&msg)).expect("sign"))
        });
    }
    g.finish();

    let mut g = c.benchmark_group(group_name("verify_256"));
    for (name, ops) in &backends {
        let (sk, pk) = ops.signature_generate().expect("signature_generate");
        let sig = ops.sign(&sk, &msg).expect("sign");
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| ops.verify(&pk, black_box(&msg), &sig).expect("verify"))
        });
    }
    g.finish();

    for (label, size) in [("1KiB", 1024usize), ("1MiB", 1024 * 1024)] {
        let pt = vec![0x5au8; size];
        let mut seal = c.benchmark_group(group_name(&format!("aead_seal_{label}")));
        seal.throughput(Throughput::Bytes(size as u64));
        for (name, ops) in &backends {
            let key = vec![1u8; ops.aead_key_len()];
            let nonce = vec![2u8; ops.aead_nonce_len()];
            seal.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter(|| {
                    ops.aead_seal(&key, &nonce, b"aad", black_box(&pt))
                        .expect("aead_seal")
                })
            });
        }
        seal.finish();
        let mut open = c.benchmark_group(group_name(&format!("aead_open_{label}")));
        open.throughput(Throughput::Bytes(size as u64));
        for (name, ops) in &backends {
            let key = vec![1u8; ops.aead_key_len()];
            let nonce = vec![2u8; ops.aead_nonce_len()];
            let ct = ops.aead_seal(&key, &nonce, b"aad", &pt).expect("aead_seal");
            open.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter(|| {
                    ops.aead_open(&key, &nonce, b"aad", black_box(&ct))
                        .expect("aead_open")
                })
            });
        }
        open.finish();
    }

    // ExpandWithLabel-sized: one Nh-byte output, as the key schedule derives its secrets.
    let mut g = c.benchmark_group(group_name("hkdf_expand_nh"));
    for (name, ops) in &backends {
        let prk = ops.kdf_extract(b"salt", b"ikm").expect("kdf_extract");
        let nh = ops.hash_len();
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                ops.kdf_expand(prk.as_bytes(), black_box(b"\x00\x20\x0cMLS 1.0 epoch"), nh)
                    .expect("kdf_expand")
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group(group_name("kem_derive"));
    for (name, ops) in &backends {
        let ikm = [0x33u8; 32];
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| ops.kem_derive(black_box(&ikm)).expect("kem_derive"))
        });
    }
    g.finish();
}

fn main() {
    // Small samples on purpose: the goal is a ranking of the backends in a few minutes, not
    // publication-grade confidence intervals.
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    for cs in SUITES {
        bench_suite(&mut c, cs);
    }
    c.final_summary();
}
