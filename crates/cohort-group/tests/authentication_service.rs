//! The application's Authentication Service is consulted wherever a credential enters the group
//! (RFC 9420 §5.3.1): a refused credential is rejected with `CredentialRejected`, and a member
//! may not change its identity unless the policy allows it.

use std::sync::Arc;

use cohort_credential::{
    BasicValidator, Credential, CredentialContext, CredentialError, CredentialValidator, Identity,
};
use cohort_crypto::{CipherSuite, CryptoProvider, SignaturePublicKey, Signer, SoftwareSigner};
use cohort_group::{
    CommitOptions, Error, Group, GroupConfig, HandshakeFormat, JoinInput, LeafSpec, NoPsks,
    ValidationError, create_key_package,
};
use cohort_messages::MlsMessageBody;
use cohort_messages::extensions::{ExtensionPayload, ExternalSender, ExternalSenders};
use cohort_messages::proposal::{Add, GroupContextExtensions, Proposal};
use cohort_tree::extension::Extension;

const NOW: u64 = 1_800_000_000;
const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

/// Refuses any identity starting with "mallory"; records nothing else.
#[derive(Debug)]
struct NoMallory;

impl CredentialValidator for NoMallory {
    fn validate(
        &self,
        credential: &Credential,
        key: &SignaturePublicKey,
        context: CredentialContext,
    ) -> Result<Identity, CredentialError> {
        let id = BasicValidator::default().validate(credential, key, context)?;
        if id.0.starts_with(b"mallory") {
            return Err(CredentialError::Rejected(format!(
                "{context:?}: mallory is not welcome"
            )));
        }
        Ok(id)
    }
}

fn config() -> GroupConfig {
    GroupConfig::default().with_credential_validator(Arc::new(NoMallory))
}

fn spec(name: &str) -> LeafSpec {
    LeafSpec::new(Credential::basic(name.as_bytes().to_vec()), NOW, 30)
}

/// V-5.3.1-01, V-7.3-01: a KeyPackage the AS refuses cannot be added.
#[test]
fn v_5_3_1_01_refused_key_package_cannot_be_added() {
    let p = cohort_crypto_rustcrypto::provider();
    let suite = p.suite(CS).expect("suite");
    let alice_signer = SoftwareSigner::generate(suite.clone()).expect("signer");
    let mut alice = Group::create(
        &p,
        CS,
        &alice_signer,
        &spec("alice"),
        b"g".to_vec(),
        Vec::new(),
        config(),
    )
    .expect("create");
    let mallory = SoftwareSigner::generate(suite).expect("signer");
    let (kp, _) = create_key_package(&p, CS, &mallory, &spec("mallory")).expect("kp");
    let err = alice
        .add_members(&alice_signer, vec![kp], &CommitOptions::new(), Some(NOW))
        .expect_err("refused");
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::CredentialRejected(
                CredentialError::Rejected(_)
            ))
        ),
        "{err}"
    );
    assert!(!alice.has_pending_commit());
}

/// V-5.3.1-02, V-12.4.3.1-25: a joiner refuses a tree holding a credential its AS refuses.
#[test]
fn v_5_3_1_02_join_refuses_a_tree_with_a_refused_credential() {
    let p = cohort_crypto_rustcrypto::provider();
    let suite = p.suite(CS).expect("suite");
    // Mallory's group, created with a permissive validator.
    let mallory = SoftwareSigner::generate(suite.clone()).expect("signer");
    let mut group = Group::create(
        &p,
        CS,
        &mallory,
        &spec("mallory"),
        b"g".to_vec(),
        Vec::new(),
        GroupConfig::default(),
    )
    .expect("create");
    let bob = SoftwareSigner::generate(suite).expect("signer");
    let (kp, secrets) = create_key_package(&p, CS, &bob, &spec("bob")).expect("kp");
    let out = group
        .add_members(&mallory, vec![kp.clone()], &CommitOptions::new(), Some(NOW))
        .expect("add");
    let MlsMessageBody::Welcome(welcome) = out.welcome.expect("welcome").body else {
        panic!()
    };
    let input = JoinInput {
        welcome: &welcome,
        key_package: &kp,
        secrets: &secrets,
        ratchet_tree: None,
        now: Some(NOW),
    };
    let err = Group::join(&p, input, &NoPsks, config()).expect_err("refused");
    assert!(
        matches!(err, Error::Invalid(ValidationError::CredentialRejected(_))),
        "{err}"
    );
}

/// V-5.3.1-05 / V-5.3.1-07: a commit path may not change the member's identity under the
/// default policy; a relaxed validator allows it.
#[test]
fn v_5_3_1_07_identity_change_needs_the_policy() {
    let (alice, alice_signer, bob) = alice_then_bob(Vec::new());
    let mut bob = bob.expect("join");
    // Alice's client (wrongly) commits a path under another identity: bob refuses it.
    let before = bob.to_state_bytes().expect("save");
    let mut forged = alice;
    forged.set_credential_validator(Arc::new(BasicValidator {
        allow_identity_change: true,
    }));
    let out = commit_as(&mut forged, &alice_signer, "alice-2");
    let err = bob
        .process_message(out, &NoPsks, Some(NOW))
        .expect_err("refused");
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::CredentialRejected(
                CredentialError::NotSuccessor
            ))
        ),
        "{err}"
    );
    assert_eq!(*bob.to_state_bytes().expect("save"), *before);
    // With a policy that allows the change, the same kind of commit is accepted.
    bob.set_credential_validator(Arc::new(BasicValidator {
        allow_identity_change: true,
    }));
    let out = commit_as(&mut forged, &alice_signer, "alice-3");
    assert!(bob.process_message(out, &NoPsks, Some(NOW)).is_ok());
}

/// A self-update whose new leaf carries `identity`.
fn commit_as(
    group: &mut Group,
    signer: &SoftwareSigner,
    identity: &str,
) -> cohort_messages::MlsMessage {
    group.clear_pending_commit();
    let mut options = CommitOptions::new();
    options.new_credential = Some(Credential::basic(identity.as_bytes().to_vec()));
    options.force_path = true;
    group
        .self_update(signer, &options, Some(NOW))
        .expect("commit")
        .commit
}

/// Basic credentials, with duplicate identities rejected.
#[derive(Debug)]
struct UniqueNames;

impl CredentialValidator for UniqueNames {
    fn validate(
        &self,
        credential: &Credential,
        key: &SignaturePublicKey,
        context: CredentialContext,
    ) -> Result<Identity, CredentialError> {
        BasicValidator::default().validate(credential, key, context)
    }

    fn duplicate_identity_policy(&self) -> cohort_credential::DuplicatePolicy {
        cohort_credential::DuplicatePolicy::Reject
    }
}

/// RFC 9420 §5.3.1: two leaves with the same identity are put to the application's policy:
/// rejected when it says so, allowed by default (one person, two devices).
#[test]
fn duplicate_identities_follow_the_policy() {
    let p = cohort_crypto_rustcrypto::provider();
    let suite = p.suite(CS).expect("suite");
    for (config, allowed) in [
        (
            GroupConfig::default().with_credential_validator(Arc::new(UniqueNames)),
            false,
        ),
        (GroupConfig::default(), true),
    ] {
        let alice_signer = SoftwareSigner::generate(suite.clone()).expect("signer");
        let mut alice = Group::create(
            &p,
            CS,
            &alice_signer,
            &spec("alice"),
            b"g".to_vec(),
            Vec::new(),
            config,
        )
        .expect("create");
        // A second device of "alice": another key, the same identity.
        let second = SoftwareSigner::generate(suite.clone()).expect("signer");
        let (kp, _) = create_key_package(&p, CS, &second, &spec("alice")).expect("kp");
        let result = alice.add_members(&alice_signer, vec![kp], &CommitOptions::new(), Some(NOW));
        if allowed {
            result.expect("the default policy allows it");
        } else {
            let err = result.expect_err("duplicate identity");
            assert!(
                matches!(err, Error::Invalid(ValidationError::DuplicateIdentity)),
                "{err}"
            );
        }
    }
}

/// Alice's group with `extensions` in its GroupContext and a permissive AS, and bob's attempt
/// to join it with an AS that refuses mallory.
fn alice_then_bob(extensions: Vec<Extension>) -> (Group, SoftwareSigner, Result<Group, Error>) {
    let (alice, alice_signer, _, bob) =
        alice_then_bob_with(extensions, GroupConfig::default(), config());
    (alice, alice_signer, bob)
}

/// Alice creates a group with `alice_config` and adds Bob, who joins with `bob_config`: both
/// groups and both signers.
fn alice_then_bob_with(
    extensions: Vec<Extension>,
    alice_config: GroupConfig,
    bob_config: GroupConfig,
) -> (Group, SoftwareSigner, SoftwareSigner, Result<Group, Error>) {
    let p = cohort_crypto_rustcrypto::provider();
    let suite = p.suite(CS).expect("suite");
    let alice_signer = SoftwareSigner::generate(suite.clone()).expect("signer");
    let mut alice = Group::create(
        &p,
        CS,
        &alice_signer,
        &spec("alice"),
        b"g".to_vec(),
        extensions,
        alice_config,
    )
    .expect("create");
    let bob_signer = SoftwareSigner::generate(suite).expect("signer");
    let (kp, secrets) = create_key_package(&p, CS, &bob_signer, &spec("bob")).expect("kp");
    let out = alice
        .add_members(
            &alice_signer,
            vec![kp.clone()],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("add bob");
    alice.merge_pending_commit().expect("merge");
    let MlsMessageBody::Welcome(welcome) = out.welcome.expect("welcome").body else {
        panic!()
    };
    let input = JoinInput {
        welcome: &welcome,
        key_package: &kp,
        secrets: &secrets,
        ratchet_tree: None,
        now: Some(NOW),
    };
    let bob = Group::join(&p, input, &NoPsks, bob_config);
    (alice, alice_signer, bob_signer, bob)
}

fn external_senders(names: &[&str]) -> Extension {
    let p = cohort_crypto_rustcrypto::provider();
    let suite = p.suite(CS).expect("suite");
    let senders = names
        .iter()
        .map(|name| ExternalSender {
            signature_key: SoftwareSigner::generate(suite.clone())
                .expect("signer")
                .public_key()
                .clone(),
            credential: Credential::basic(name.as_bytes().to_vec()),
        })
        .collect();
    ExternalSenders(senders).to_extension().expect("extension")
}

/// V-5.3.1-03: every Add a member receives is put to its AS, whether as a proposal message or
/// inside a commit, even when the sender's AS accepted it. Bob's AS refuses mallory; alice's
/// does not.
#[test]
fn v_5_3_1_03_received_add_of_a_refused_credential_is_rejected() {
    let (mut alice, alice_signer, bob) = alice_then_bob(Vec::new());
    let mut bob = bob.expect("join");
    let p = cohort_crypto_rustcrypto::provider();
    let suite = p.suite(CS).expect("suite");

    let mallory = SoftwareSigner::generate(suite.clone()).expect("signer");
    let (mallory_kp, _) = create_key_package(&p, CS, &mallory, &spec("mallory")).expect("kp");
    let before = bob.to_state_bytes().expect("save");
    // The commit comes from a copy of alice that has not cached the proposal.
    let mut committer = alice.clone();
    let proposal = alice
        .propose(
            &alice_signer,
            Proposal::Add(Add {
                key_package: mallory_kp.clone(),
            }),
            HandshakeFormat::Public,
            Some(NOW),
        )
        .expect("alice's AS accepts mallory");
    let commit = committer
        .add_members(
            &alice_signer,
            vec![mallory_kp],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("alice's AS accepts mallory")
        .commit;
    for (what, msg) in [("proposal", proposal), ("commit", commit)] {
        let err = bob
            .process_message(msg, &NoPsks, Some(NOW))
            .expect_err("bob's AS refuses mallory");
        assert!(
            matches!(
                err,
                Error::Invalid(ValidationError::CredentialRejected(
                    CredentialError::Rejected(_)
                ))
            ),
            "{what}: {err}"
        );
        assert_eq!(*bob.to_state_bytes().expect("save"), *before, "{what}");
    }
    // Another newcomer passes bob's AS.
    committer.clear_pending_commit();
    let carol = SoftwareSigner::generate(suite).expect("signer");
    let (carol_kp, _) = create_key_package(&p, CS, &carol, &spec("carol")).expect("kp");
    let commit = committer
        .add_members(
            &alice_signer,
            vec![carol_kp],
            &CommitOptions::new(),
            Some(NOW),
        )
        .expect("add carol")
        .commit;
    assert!(bob.process_message(commit, &NoPsks, Some(NOW)).is_ok());
}

/// V-5.3.1-06, V-12.1.7-04: the credentials of an `external_senders` extension go to the AS
/// when a GroupContextExtensions proposal introduces or changes it, and when a joiner finds it
/// already in the GroupContext.
#[test]
fn v_5_3_1_06_external_sender_credentials_are_validated() {
    // Already in the GroupContext at join.
    let (_, _, bob) = alice_then_bob(vec![external_senders(&["server", "mallory-server"])]);
    let err = bob.expect_err("bob's AS refuses mallory-server");
    assert!(
        matches!(err, Error::Invalid(ValidationError::CredentialRejected(_))),
        "{err}"
    );

    // Introduced by a commit.
    let (mut alice, alice_signer, bob) = alice_then_bob(vec![external_senders(&["server"])]);
    let mut bob = bob.expect("bob's AS accepts server");
    let before = bob.to_state_bytes().expect("save");
    let gce = |names: &[&str]| {
        Proposal::GroupContextExtensions(GroupContextExtensions {
            extensions: vec![external_senders(names)],
        })
    };
    let commit = alice
        .commit(
            &alice_signer,
            vec![gce(&["server", "mallory-server"])],
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("alice's AS accepts mallory-server")
        .commit;
    let err = bob
        .process_message(commit, &NoPsks, Some(NOW))
        .expect_err("bob's AS refuses mallory-server");
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::CredentialRejected(
                CredentialError::Rejected(_)
            ))
        ),
        "{err}"
    );
    assert_eq!(*bob.to_state_bytes().expect("save"), *before);
    alice.clear_pending_commit();
    let commit = alice
        .commit(
            &alice_signer,
            vec![gce(&["server", "another-server"])],
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("commit")
        .commit;
    assert!(bob.process_message(commit, &NoPsks, Some(NOW)).is_ok());
}

/// Accepts basic credentials until `expired` is set, then refuses every credential: the
/// members' credentials "have expired since".
#[derive(Debug)]
struct UntilExpired(Arc<std::sync::atomic::AtomicBool>);

impl CredentialValidator for UntilExpired {
    fn validate(
        &self,
        credential: &Credential,
        key: &SignaturePublicKey,
        context: CredentialContext,
    ) -> Result<Identity, CredentialError> {
        if self.0.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(CredentialError::Rejected(format!(
                "{context:?}: the credential has expired"
            )));
        }
        BasicValidator::default().validate(credential, key, context)
    }
}

/// V-5.3.2-02: messages signed while the sender's credential was valid are still accepted after
/// it has expired: one of the current epoch, and one of the retained past epoch (old traffic
/// caught up on after a commit).
#[test]
fn v_5_3_2_02_old_traffic_of_an_expired_credential_is_accepted() {
    let expired = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let config = || {
        GroupConfig::default().with_credential_validator(Arc::new(UntilExpired(expired.clone())))
    };
    let (mut alice, alice_signer, bob_signer, bob) =
        alice_then_bob_with(Vec::new(), config(), config());
    let mut bob = bob.expect("join");

    // Bob writes in epoch 1; Alice moves the group on before reading it.
    let old = bob
        .encrypt_application(&bob_signer, b"before the commit", &[], 0)
        .expect("encrypt");
    let update = alice
        .self_update(&alice_signer, &CommitOptions::new(), Some(NOW))
        .expect("self-update");
    alice.merge_pending_commit().expect("merge");
    match bob
        .process_message(update.commit, &NoPsks, Some(NOW))
        .expect("bob processes the commit")
    {
        cohort_group::Processed::Commit(staged) => bob.merge_staged(*staged).expect("merge"),
        _ => panic!("not a commit"),
    }
    let current = bob
        .encrypt_application(&bob_signer, b"after the commit", &[], 0)
        .expect("encrypt");

    // Now every credential has expired: both messages are still read.
    expired.store(true, std::sync::atomic::Ordering::SeqCst);
    for (message, text) in [
        (current, &b"after the commit"[..]),
        (old, &b"before the commit"[..]),
    ] {
        match alice
            .process_message(message, &NoPsks, Some(NOW))
            .expect("accepted after the credential expired")
        {
            cohort_group::Processed::Application { data, .. } => assert_eq!(data, text),
            _ => panic!("not application data"),
        }
    }
    // The validator is consulted for credentials entering the group: Carol cannot be added.
    let p = cohort_crypto_rustcrypto::provider();
    let late = SoftwareSigner::generate(p.suite(CS).expect("suite")).expect("signer");
    let (kp, _) = create_key_package(&p, CS, &late, &spec("carol")).expect("kp");
    assert!(
        matches!(
            alice.add_members(&alice_signer, vec![kp], &CommitOptions::new(), Some(NOW)),
            Err(Error::Invalid(ValidationError::CredentialRejected(_)))
        ),
        "a credential the validator refuses"
    );
}
