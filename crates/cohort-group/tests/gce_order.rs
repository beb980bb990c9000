//! V-12.3-01: a GroupContextExtensions applies before the Adds of the same commit, so the Adds
//! are judged under the new extensions.

use cohort_credential::Credential;
use cohort_crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort_group::{
    CommitOptions, Error, Group, GroupConfig, LeafSpec, NoPsks, ValidationError, create_key_package,
};
use cohort_messages::extensions::{ExtensionPayload, RequiredCapabilities};
use cohort_messages::proposal::{Add, GroupContextExtensions, Proposal};
use cohort_tree::extension::ExtensionType;

const NOW: u64 = 1_800_000_000;
const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
const CUSTOM: ExtensionType = ExtensionType(0xff00);

#[test]
fn v_12_3_01_adds_are_judged_under_the_new_extensions() {
    let p = cohort_crypto_rustcrypto::provider();
    let suite = p.suite(CS).expect("suite");
    let signer = SoftwareSigner::generate(suite.clone()).expect("signer");
    let mut alice_spec = LeafSpec::new(Credential::basic(b"alice".to_vec()), NOW, 30);
    alice_spec.capabilities.extensions = vec![CUSTOM];
    let required = RequiredCapabilities {
        extension_types: vec![CUSTOM],
        ..Default::default()
    };
    let mut alice = Group::create(
        &p,
        CS,
        &signer,
        &alice_spec,
        b"gce".to_vec(),
        vec![required.to_extension().expect("ext")],
        GroupConfig::default(),
    )
    .expect("create");
    // Bob's client does not support the required extension.
    let bob = SoftwareSigner::generate(suite).expect("signer");
    let (kp, _) = create_key_package(
        &p,
        CS,
        &bob,
        &LeafSpec::new(Credential::basic(b"bob".to_vec()), NOW, 30),
    )
    .expect("kp");
    let add = Proposal::Add(Add { key_package: kp });
    // Alone, the Add is refused under the current requirement...
    let err = alice
        .commit(
            &signer,
            vec![add.clone()],
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect_err("bob lacks the required extension");
    assert!(
        matches!(
            err,
            Error::Invalid(ValidationError::UnsupportedCapability(
                cohort_group::reason::CapabilityReason::RequiredCapability
            ))
        ),
        "{err}"
    );
    // ...but together with a GroupContextExtensions that drops the requirement, it is valid.
    let gce = Proposal::GroupContextExtensions(GroupContextExtensions {
        extensions: Vec::new(),
    });
    alice
        .commit(
            &signer,
            vec![gce, add],
            &CommitOptions::new(),
            &NoPsks,
            Some(NOW),
        )
        .expect("the new extensions apply first");
}
