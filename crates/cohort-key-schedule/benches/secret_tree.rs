//! Secret tree benchmarks (RFC 9420 §9), suite 1 on RustCrypto, for N = 10 to 10,000 leaves:
//! the first key of a leaf (expanding the tree from the root), the next key of a ratchet, and a
//! jump of 100 generations (storing skipped keys).

#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented functions"
)]

use std::hint::black_box;

use cohort_crypto::{CipherSuite, CryptoProvider, Secret};
use cohort_key_schedule::{ContentKind, RatchetConfig, SecretTree};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let suite = cohort_crypto_rustcrypto::provider()
        .suite(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519)
        .expect("suite 1");
    let s = &*suite;
    let config = RatchetConfig {
        max_forward_distance: 1000,
        out_of_order_tolerance: 200,
    };
    let mut group = c.benchmark_group("secret_tree");
    group.sample_size(20);
    for n in [10u32, 100, 1000, 10_000] {
        let fresh = SecretTree::new(Secret::new(vec![7; 32]), n, config);
        group.bench_with_input(BenchmarkId::new("first_key_of_a_leaf", n), &n, |b, &n| {
            b.iter_batched(
                || fresh.clone(),
                |mut t| black_box(t.next_send_key(s, n - 1, ContentKind::Application)),
                criterion::BatchSize::SmallInput,
            );
        });
        let mut warm = fresh.clone();
        warm.next_send_key(s, n - 1, ContentKind::Application)
            .expect("expand");
        group.bench_with_input(BenchmarkId::new("next_key", n), &n, |b, &n| {
            b.iter_batched(
                || warm.clone(),
                |mut t| black_box(t.next_send_key(s, n - 1, ContentKind::Application)),
                criterion::BatchSize::SmallInput,
            );
        });
        group.bench_with_input(BenchmarkId::new("jump_100_generations", n), &n, |b, &n| {
            b.iter_batched(
                || warm.clone(),
                |mut t| {
                    black_box(t.open(s, n - 1, ContentKind::Application, 101, |k| {
                        Ok::<_, ()>(k.generation)
                    }))
                },
                criterion::BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
