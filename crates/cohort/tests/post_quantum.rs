//! The eleven post-quantum suites of draft-ietf-mls-pq-ciphersuites-06 through the facade, on the
//! RustCrypto and aws-lc backends' PQ providers (private-use code points, `CipherSuite::PQ_DRAFT`,
//! and the presets' aliases): a group
//! created, two members added by Welcome, one by external commit, messages both ways, a
//! self-update and a removal, every member agreeing on every epoch.

use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::storage::memory::MemoryStore;
use cohort::{Client, ClientBuilder, ClientGroup, Received};

const NOW: u64 = 1_800_000_000;

// ANCHOR: client
fn client(p: &Arc<dyn CryptoProvider>, cs: CipherSuite, name: &str) -> Client {
    let suite = p.suite(cs).expect("the PQ provider serves the suite");
    ClientBuilder::new(p.clone())
        .cipher_suite(cs)
        .signer(Arc::new(SoftwareSigner::generate(suite).expect("signer")))
        .credential(Credential::basic(name.as_bytes().to_vec()))
        .build(Arc::new(MemoryStore::new()))
        .expect("client")
}
// ANCHOR_END: client

/// `to` processes `commit` and merges it.
fn apply(to: &mut ClientGroup, commit: &cohort::messages::MlsMessage) {
    match to.process_message(commit.clone(), NOW).expect("commit") {
        Received::Commit(staged) => {
            to.merge_staged(*staged).expect("merge");
        }
        other => panic!("{other:?}"),
    }
}

/// `from` sends `text`; every group of `to` reads it.
fn say(from: &mut ClientGroup, to: &mut [&mut ClientGroup], text: &[u8]) {
    let msg = from.send_message(text).expect("send");
    for g in to.iter_mut() {
        match g.process_message(msg.clone(), NOW).expect("read") {
            Received::Application { data, .. } => assert_eq!(data, text),
            other => panic!("{other:?}"),
        }
    }
}

fn same_epoch(groups: &[&ClientGroup]) {
    for pair in groups.windows(2) {
        assert_eq!(pair[0].epoch(), pair[1].epoch());
        assert_eq!(pair[0].epoch_authenticator(), pair[1].epoch_authenticator());
    }
}

#[test]
fn every_pq_suite_runs_a_group_end_to_end() {
    // ANCHOR: provider
    let p: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_rustcrypto::provider_with_pq_draft());
    // ANCHOR_END: provider
    for cs in CipherSuite::PQ_DRAFT {
        run_group(&p, cs);
    }
}

/// Every PQ suite on the aws-lc backend too, in groups that mix the backends: the creator and
/// the member who joins by external commit on aws-lc, the two added by Welcome on RustCrypto.
#[test]
fn every_pq_suite_runs_a_group_across_aws_lc_and_rustcrypto() {
    let aws_lc: Arc<dyn CryptoProvider> = Arc::new(cohort_crypto_aws_lc::provider_with_pq_draft());
    let rustcrypto: Arc<dyn CryptoProvider> =
        Arc::new(cohort_crypto_rustcrypto::provider_with_pq_draft());
    for cs in CipherSuite::PQ_DRAFT {
        run_mixed_group(&aws_lc, &rustcrypto, cs);
    }
}

/// The same group under MLSpp's code points for TBD2, TBD4 and TBD5 (`0x0008` to `0x000a`,
/// through `PqCodePoints::MLSPP`): the suites are the draft's, only their numbers differ.
#[test]
fn mlspp_code_points_run_a_group_end_to_end() {
    let p: Arc<dyn CryptoProvider> = Arc::new(
        cohort_crypto_rustcrypto::provider_with_pq_code_points(cohort::crypto::PqCodePoints::MLSPP),
    );
    for cs in [
        CipherSuite(0x0008),
        CipherSuite(0x0009),
        CipherSuite(0x000a),
    ] {
        run_group(&p, cs);
    }
}

/// The eleven suites in the draft's order, as IANA is expected to assign them (`0x0008` = TBD1
/// to `0x0012` = TBD11, through `PqCodePoints::DRAFT_ORDER`).
#[test]
fn draft_order_code_points_run_a_group_end_to_end() {
    let p: Arc<dyn CryptoProvider> =
        Arc::new(cohort_crypto_rustcrypto::provider_with_pq_code_points(
            cohort::crypto::PqCodePoints::DRAFT_ORDER,
        ));
    for cs in (0x0008..=0x0012).map(CipherSuite) {
        run_group(&p, cs);
    }
}

/// A group of suite `cs`: created, two members added by Welcome, one by external commit,
/// messages both ways, an update and a removal, every member at one epoch throughout.
fn run_group(p: &Arc<dyn CryptoProvider>, cs: CipherSuite) {
    run_mixed_group(p, p, cs);
}

/// As [`run_group`], with Alice (the creator) and Dave (who joins by external commit) on `p`
/// and Bob and Carol (added by Welcome) on `q`.
fn run_mixed_group(p: &Arc<dyn CryptoProvider>, q: &Arc<dyn CryptoProvider>, cs: CipherSuite) {
    {
        let (alice, bob, carol, dave) = (
            client(p, cs, "alice"),
            client(q, cs, "bob"),
            client(q, cs, "carol"),
            client(p, cs, "dave"),
        );
        let mut a = alice.create_group(b"pq", NOW).expect("create");
        let kps = [
            bob.generate_key_package(NOW).expect("kp"),
            carol.generate_key_package(NOW).expect("kp"),
        ];
        let out = a.add_members(&kps, NOW).expect("add");
        a.merge_pending_commit().expect("merge");
        let welcome = out.welcome.expect("welcome");
        let mut b = bob.join(&welcome, None, NOW).expect("bob joins");
        let mut c = carol.join(&welcome, None, NOW).expect("carol joins");
        same_epoch(&[&a, &b, &c]);
        say(&mut b, &mut [&mut a, &mut c], b"hello, quantum world");

        // Dave joins by external commit from Alice's GroupInfo.
        let info = a.group_info().expect("group info");
        let (mut d, commit) = dave
            .join_by_external_commit(&info, None, NOW)
            .expect("dave joins");
        for g in [&mut a, &mut b, &mut c] {
            apply(g, &commit);
        }
        same_epoch(&[&a, &b, &c, &d]);

        // Carol refreshes her keys; then Dave removes Bob.
        let update = c.self_update(NOW).expect("update");
        c.merge_pending_commit().expect("merge");
        for g in [&mut a, &mut b, &mut d] {
            apply(g, &update.commit);
        }
        let bob_leaf = b.own_leaf();
        let removal = d.remove_members(&[bob_leaf], NOW).expect("remove");
        d.merge_pending_commit().expect("merge");
        for g in [&mut a, &mut c] {
            apply(g, &removal.commit);
        }
        same_epoch(&[&a, &c, &d]);
        assert_eq!(a.members().len(), 3, "{cs:?}");
        say(&mut d, &mut [&mut a, &mut c], b"after the removal");
    }
}
