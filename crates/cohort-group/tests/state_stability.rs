//! Stored-state stability: a group state serialized by an earlier version and committed to the
//! repository must keep loading, and the group must carry on, in every later version.
//!
//! `tests/data/state-v1.bin` holds two members of one group (Alice and Bob) as state format 1
//! wrote them, their signature keys, an application message from Alice that Bob has not yet
//! read, and what both must agree on. `state-v2.bin` holds the same in the split format 2
//! (each member's state and its ratchets apart), as the facade stores groups; `state-v3.bin` in
//! the split format 3 (past epochs' signature keys stored against the current tree). Changing the state format means reading the old format too
//! (a migration in `src/persist.rs`) and adding a sample beside the old ones with
//! `write_state_sample`; an old sample is never edited or deleted.

use std::path::{Path, PathBuf};

use cohort_codec::{Decode, Encode, VarBytes};
use cohort_credential::Credential;
use cohort_crypto::{CipherSuite, CryptoProvider, SignaturePrivateKey, SoftwareSigner};
use cohort_group::{
    CommitOptions, Error, Group, GroupConfig, JoinInput, LeafSpec, NoPsks, Processed,
    ValidationError, create_key_package,
};
use cohort_messages::{MlsMessage, MlsMessageBody};

const NOW: u64 = 1_800_000_000;
const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
/// The pending message's text in the sample of `version`.
fn plaintext(version: u16) -> Vec<u8> {
    format!("written by state format {version}").into_bytes()
}
const EXPORTER_LABEL: &[u8] = b"state-sample";

/// The fields of a sample, in order, each a `VarBytes`; format-2 samples add the two members'
/// ratchets at the end.
struct Sample {
    alice_key: Vec<u8>,
    alice_state: Vec<u8>,
    bob_key: Vec<u8>,
    bob_state: Vec<u8>,
    /// Alice's application message, not yet read by Bob.
    message: Vec<u8>,
    epoch_authenticator: Vec<u8>,
    exporter: Vec<u8>,
    /// Format 2: Alice's and Bob's ratchets.
    ratchets: Option<(Vec<u8>, Vec<u8>)>,
}

impl Sample {
    fn encode(&self) -> Vec<u8> {
        let mut fields: Vec<&Vec<u8>> = vec![
            &self.alice_key,
            &self.alice_state,
            &self.bob_key,
            &self.bob_state,
            &self.message,
            &self.epoch_authenticator,
            &self.exporter,
        ];
        if let Some((a, b)) = &self.ratchets {
            fields.extend([a, b]);
        }
        let fields: Vec<VarBytes> = fields
            .into_iter()
            .map(|f| VarBytes::from(f.clone()))
            .collect();
        fields.to_bytes().expect("encode sample")
    }

    fn decode(bytes: &[u8]) -> Self {
        let mut fields: Vec<VarBytes> = Decode::from_bytes(bytes).expect("decode sample");
        let ratchets = match fields.len() {
            7 => None,
            9 => {
                let b = fields.pop().expect("nine").into_vec();
                let a = fields.pop().expect("nine").into_vec();
                Some((a, b))
            }
            n => panic!("a sample has 7 or 9 fields, not {n}"),
        };
        let [a, b, c, d, e, f, g]: [VarBytes; 7] = fields.try_into().expect("seven fields");
        Self {
            ratchets,
            alice_key: a.into_vec(),
            alice_state: b.into_vec(),
            bob_key: c.into_vec(),
            bob_state: d.into_vec(),
            message: e.into_vec(),
            epoch_authenticator: f.into_vec(),
            exporter: g.into_vec(),
        }
    }
}

fn sample_path(version: u16) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(format!("state-v{version}.bin"))
}

fn signer(p: &dyn CryptoProvider, private: &[u8]) -> SoftwareSigner {
    let suite = p.suite(CS).expect("suite");
    SoftwareSigner::from_private(suite, SignaturePrivateKey::from(private.to_vec()))
        .expect("signature key")
}

fn message(bytes: &[u8]) -> MlsMessage {
    MlsMessage::from_bytes(bytes).expect("message")
}

fn apply(to: &mut Group, msg: &MlsMessage) {
    match to
        .process_message(msg.clone(), &NoPsks, Some(NOW))
        .expect("process")
    {
        Processed::Commit(staged) => to.merge_staged(*staged).expect("merge"),
        other => panic!("expected a commit, got {other:?}"),
    }
}

/// `from` sends a message that `to` reads.
fn exchange(from: &mut Group, from_signer: &SoftwareSigner, to: &mut Group) {
    let msg = from
        .encrypt_application(from_signer, b"after the reload", b"", 0)
        .expect("encrypt");
    match to.process_message(msg, &NoPsks, Some(NOW)).expect("read") {
        Processed::Application { data, .. } => assert_eq!(data, b"after the reload"),
        other => panic!("{other:?}"),
    }
}

/// Loads a sample, checks what it recorded, and carries the conversation on: Bob reads Alice's
/// pending message, both agree on the epoch, then two commits and a message each way.
fn check_sample(version: u16) {
    let p = cohort_crypto_rustcrypto::provider();
    let bytes = std::fs::read(sample_path(version))
        .unwrap_or_else(|e| panic!("sample {}: {e}", sample_path(version).display()));
    let s = Sample::decode(&bytes);
    let (alice_ratchets, bob_ratchets) = match &s.ratchets {
        Some((a, b)) => (Some(a.as_slice()), Some(b.as_slice())),
        None => (None, None),
    };
    let mut alice =
        Group::from_split_state(&p, &s.alice_state, alice_ratchets).expect("alice loads");
    let mut bob = Group::from_split_state(&p, &s.bob_state, bob_ratchets).expect("bob loads");
    if version == cohort_group::STATE_VERSION {
        // The self-contained reader takes format 1 too.
        Group::from_state_bytes(&p, &s.alice_state).expect("format 1");
    }
    let alice_signer = signer(&p, &s.alice_key);
    let bob_signer = signer(&p, &s.bob_key);
    for g in [&alice, &bob] {
        assert_eq!(g.epoch_authenticator(), s.epoch_authenticator);
        let exported = g.export_secret(EXPORTER_LABEL, b"", 32).expect("export");
        assert_eq!(exported.as_bytes(), s.exporter);
    }
    match bob
        .process_message(message(&s.message), &NoPsks, Some(NOW))
        .expect("bob reads the stored message")
    {
        Processed::Application { data, .. } => assert_eq!(data, plaintext(version)),
        other => panic!("{other:?}"),
    }
    // The message's key was consumed before the sample was written on Alice's side and now on
    // Bob's: it does not decrypt twice.
    assert!(
        matches!(
            bob.process_message(message(&s.message), &NoPsks, Some(NOW)),
            Err(Error::Invalid(ValidationError::SecretUnavailable(
                cohort_key_schedule::KeyScheduleError::GenerationConsumed { .. }
            )))
        ),
        "a replay"
    );
    let out = bob
        .self_update(&bob_signer, &CommitOptions::new(), Some(NOW))
        .expect("bob updates");
    bob.merge_pending_commit().expect("merge");
    apply(&mut alice, &out.commit);
    let out = alice
        .self_update(&alice_signer, &CommitOptions::new(), Some(NOW))
        .expect("alice updates");
    alice.merge_pending_commit().expect("merge");
    apply(&mut bob, &out.commit);
    assert_eq!(alice.epoch_authenticator(), bob.epoch_authenticator());
    exchange(&mut alice, &alice_signer, &mut bob);
    exchange(&mut bob, &bob_signer, &mut alice);
}

#[test]
fn the_version_1_state_sample_still_loads_and_the_group_carries_on() {
    check_sample(1);
}

#[test]
fn the_version_2_state_sample_still_loads_and_the_group_carries_on() {
    check_sample(2);
}

/// Format 3 stores a past epoch's signature keys as the leaves where they differ from the
/// state's tree.
#[test]
fn the_version_3_state_sample_still_loads_and_the_group_carries_on() {
    check_sample(3);
}

/// Writes a sample of the current stored format (the split one, which the facade writes):
/// `cargo test -p cohort-group --test state_stability -- --ignored`, then commit the new file
/// (never overwrite an old one).
#[test]
#[ignore = "writes a new sample file; run by hand when the state format changes"]
fn write_state_sample() {
    let version = cohort_group::SPLIT_STATE_VERSION;
    let path = sample_path(version);
    assert!(
        !path.exists(),
        "{} exists: samples are never rewritten",
        path.display()
    );
    let p = cohort_crypto_rustcrypto::provider();
    let suite = p.suite(CS).expect("suite");
    let alice_signer = SoftwareSigner::generate(suite.clone()).expect("signer");
    let bob_signer = SoftwareSigner::generate(suite).expect("signer");
    let spec = |n: &str| LeafSpec::new(Credential::basic(n.as_bytes().to_vec()), NOW, 30);
    let mut alice = Group::create(
        &p,
        CS,
        &alice_signer,
        &spec("alice"),
        b"state sample".to_vec(),
        Vec::new(),
        GroupConfig::default(),
    )
    .expect("create");
    let (kp, secrets) = create_key_package(&p, CS, &bob_signer, &spec("bob")).expect("kp");
    let out = alice
        .add_members(
            &alice_signer,
            vec![kp.clone()],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("add");
    alice.merge_pending_commit().expect("merge");
    let MlsMessageBody::Welcome(welcome) = out.welcome.expect("welcome").body else {
        panic!("not a Welcome")
    };
    let input = JoinInput {
        welcome: &welcome,
        key_package: &kp,
        secrets: &secrets,
        ratchet_tree: None,
        now: Some(NOW),
    };
    let mut bob = Group::join(&p, input, &NoPsks, GroupConfig::default()).expect("join");
    // One more epoch, so a past epoch is kept, and a message read in it.
    let out = alice
        .self_update(&alice_signer, &CommitOptions::new(), Some(NOW))
        .expect("update");
    alice.merge_pending_commit().expect("merge");
    apply(&mut bob, &out.commit);
    let first = alice
        .encrypt_application(&alice_signer, b"read before the sample", b"", 0)
        .expect("encrypt");
    bob.process_message(first, &NoPsks, Some(NOW))
        .expect("read");
    let message = alice
        .encrypt_application(&alice_signer, &plaintext(version), b"", 0)
        .expect("encrypt");
    let (alice_split, bob_split) = (
        alice.to_split_state().expect("save"),
        bob.to_split_state().expect("save"),
    );
    let sample = Sample {
        alice_key: alice_signer.private_key().as_bytes().to_vec(),
        alice_state: alice_split.state.to_vec(),
        bob_key: bob_signer.private_key().as_bytes().to_vec(),
        bob_state: bob_split.state.to_vec(),
        ratchets: Some((alice_split.ratchets.to_vec(), bob_split.ratchets.to_vec())),
        message: message.to_bytes().expect("encode"),
        epoch_authenticator: alice.epoch_authenticator().to_vec(),
        exporter: alice
            .export_secret(EXPORTER_LABEL, b"", 32)
            .expect("export")
            .as_bytes()
            .to_vec(),
    };
    std::fs::write(&path, sample.encode()).expect("write sample");
}
