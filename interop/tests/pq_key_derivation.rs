//! OpenMLS 0.9.2 derives a post-quantum node key pair from a path secret with `SHAKE256(ikm)`
//! as the KEM seed, without the `LabeledDerive` of draft-ietf-hpke-pq (through hpke-rs 0.7's
//! `derive_key_pair`). cohort's `PqCodePoints::OPENMLS` preset carries that derivation for
//! OpenMLS's code points, so groups with OpenMLS members work; the draft's derivation stays
//! cohort's default. This test shows the deviation still exists, suite by suite: the OpenMLS
//! key equals cohort's under the preset and differs from cohort's draft derivation (at the
//! same algorithms' private-use code point). If OpenMLS adopts the draft's derivation, the
//! second assertion fails and the preset should change (docs/interop.md).

use cohort::crypto::{CipherSuite, CryptoProvider, PqCodePoints};
use cohort_interop::OPENMLS_PQ_SUITES;
use openmls::prelude::{Ciphersuite, OpenMlsCrypto, OpenMlsProvider};
use openmls_rust_crypto::OpenMlsRustCrypto;

/// The public key `provider` derives from `ikm` on `suite`.
fn derived(
    provider: &dyn CryptoProvider,
    suite: CipherSuite,
    ikm: &[u8],
) -> cohort::crypto::HpkePublicKey {
    provider
        .suite(suite)
        .expect("the provider serves the suite")
        .kem_derive(ikm)
        .expect("cohort derives")
        .1
}

#[test]
fn openmls_pq_node_keys_need_the_plain_seed_derivation() {
    let openmls = OpenMlsRustCrypto::default();
    let preset = cohort::crypto::rustcrypto::provider_with_pq_code_points(PqCodePoints::OPENMLS);
    let draft = cohort::crypto::rustcrypto::provider_with_pq_code_points(PqCodePoints::PRIVATE_USE);
    for code_point in OPENMLS_PQ_SUITES {
        let suite = Ciphersuite::try_from(code_point).expect("an OpenMLS suite");
        let same_algorithms = PqCodePoints::OPENMLS
            .draft_suite(CipherSuite(code_point))
            .expect("a preset alias");
        for ikm in [[0x11u8; 32], [0xA5; 32]] {
            let theirs = openmls
                .crypto()
                .derive_hpke_keypair(suite.hpke_config(), &ikm)
                .expect("OpenMLS derives");
            let ours = derived(&preset, CipherSuite(code_point), &ikm);
            let drafts = derived(&draft, same_algorithms, &ikm);
            assert_eq!(
                theirs.public.as_slice(),
                ours.as_ref(),
                "{code_point:#06x}: OpenMLS and the preset"
            );
            assert_ne!(
                theirs.public.as_slice(),
                drafts.as_ref(),
                "{code_point:#06x}: OpenMLS now follows the draft"
            );
            // The preset changes only its aliases: at cohort's own code point, the draft's.
            let own = derived(&preset, same_algorithms, &ikm);
            assert_eq!(
                own, drafts,
                "{code_point:#06x}: the preset's own code point"
            );
        }
    }
}

/// One cell per post-quantum suite and direction with OpenMLS (`cargo xtask interop` runs every
/// scenario on them): a group of two through an update and application messages.
#[test]
fn openmls_pq_suites_interoperate() {
    use cohort_interop::matrix::{self, Filter, Outcome, Peer};
    use cohort_interop::{Implementation, Scenario};
    let results = matrix::run(&Filter {
        suites: OPENMLS_PQ_SUITES.to_vec(),
        peers: vec![Peer::One(Implementation::OpenMls)],
        scenarios: vec![Scenario::Update],
        seed: None,
    });
    assert_eq!(results.len(), 2 * OPENMLS_PQ_SUITES.len());
    for (cell, outcome) in results {
        assert_eq!(outcome, Outcome::Passed, "{cell:?}");
    }
}
