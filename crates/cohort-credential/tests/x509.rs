//! X.509 credential validation against certificates minted here with rcgen: a root CA, an
//! intermediate CA and leaves, for Ed25519, ECDSA P-256 and ECDSA P-384.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cohort_codec::VarBytes;
use cohort_credential::x509::{
    ExtendedKeyUsagePolicy, IdentityPolicy, KeyUsagePolicy, RevocationDepth, UnknownRevocation,
    X509ConfigError, X509Validator, leaf_signature_key,
};
use cohort_credential::{
    Certificate, Credential, CredentialContext, CredentialError, CredentialValidator,
    DuplicatePolicy, Identity,
};
use cohort_crypto::{SignaturePublicKey, SignatureScheme};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason,
    RevokedCertParams, SanType, SerialNumber, SignatureAlgorithm, date_time_ymd,
};

/// id-kp-clientAuth.
const CLIENT_AUTH: [u64; 9] = [1, 3, 6, 1, 5, 5, 7, 3, 2];

/// The validation time of the tests: 2026-06-01.
fn now() -> u64 {
    secs((2026, 6, 1))
}

/// A date as seconds since the Unix epoch.
fn secs((y, m, d): (i32, u8, u8)) -> u64 {
    u64::try_from(date_time_ymd(y, m, d).unix_timestamp()).unwrap()
}

/// A CA: its certificate and an issuer to sign with.
struct Ca {
    der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2040, 1, 1);
    params
}

fn root(alg: &'static SignatureAlgorithm, name: &str) -> Ca {
    let key = KeyPair::generate_for(alg).unwrap();
    let params = ca_params(name);
    let der = params.self_signed(&key).unwrap().der().to_vec();
    Ca {
        der,
        issuer: Issuer::new(params, key),
    }
}

fn intermediate(alg: &'static SignatureAlgorithm, parent: &Ca) -> Ca {
    let key = KeyPair::generate_for(alg).unwrap();
    let params = ca_params("Cohort Test Intermediate");
    let der = params
        .signed_by(&key, &parent.issuer)
        .unwrap()
        .der()
        .to_vec();
    Ca {
        der,
        issuer: Issuer::new(params, key),
    }
}

/// What a leaf certificate says.
struct LeafSpec {
    serial: u64,
    uri: &'static str,
    email: &'static str,
    dns: &'static str,
    common_name: &'static str,
    not_before: (i32, u8, u8),
    not_after: (i32, u8, u8),
    key_usages: Vec<KeyUsagePurpose>,
    ext_key_usages: Vec<ExtendedKeyUsagePurpose>,
}

impl Default for LeafSpec {
    fn default() -> Self {
        Self {
            serial: 1000,
            uri: "mls://example.com/alice",
            email: "alice@example.com",
            dns: "Alice.Example.COM",
            common_name: "alice",
            not_before: (2025, 1, 1),
            not_after: (2027, 1, 1),
            key_usages: vec![KeyUsagePurpose::DigitalSignature],
            ext_key_usages: vec![ExtendedKeyUsagePurpose::ClientAuth],
        }
    }
}

/// A leaf: its certificate and the MLS signature key (the raw public key).
struct Leaf {
    der: Vec<u8>,
    key: SignaturePublicKey,
}

fn leaf(alg: &'static SignatureAlgorithm, issuer: &Ca, spec: LeafSpec) -> Leaf {
    let key = KeyPair::generate_for(alg).unwrap();
    let mut params = CertificateParams::default();
    params.serial_number = Some(SerialNumber::from(spec.serial));
    params
        .distinguished_name
        .push(DnType::CommonName, spec.common_name);
    params.subject_alt_names = vec![
        SanType::DnsName(spec.dns.try_into().unwrap()),
        SanType::URI(spec.uri.try_into().unwrap()),
        SanType::Rfc822Name(spec.email.try_into().unwrap()),
    ];
    let ((y0, m0, d0), (y1, m1, d1)) = (spec.not_before, spec.not_after);
    params.not_before = date_time_ymd(y0, m0, d0);
    params.not_after = date_time_ymd(y1, m1, d1);
    params.key_usages = spec.key_usages;
    params.extended_key_usages = spec.ext_key_usages;
    let der = params
        .signed_by(&key, &issuer.issuer)
        .unwrap()
        .der()
        .to_vec();
    Leaf {
        der,
        key: SignaturePublicKey::from(key.public_key_raw().to_vec()),
    }
}

fn credential(chain: &[&[u8]]) -> Credential {
    Credential::X509 {
        certificates: chain
            .iter()
            .map(|der| Certificate {
                cert_data: VarBytes::from(der.to_vec()),
            })
            .collect(),
    }
}

/// A root, an intermediate and a default leaf, all with `alg`.
struct Pki {
    root: Ca,
    inter: Ca,
    leaf: Leaf,
}

impl Pki {
    fn new(alg: &'static SignatureAlgorithm) -> Self {
        let root = root(alg, "Cohort Test Root");
        let inter = intermediate(alg, &root);
        let leaf = leaf(alg, &inter, LeafSpec::default());
        Self { root, inter, leaf }
    }

    fn validator(&self) -> X509Validator {
        X509Validator::new([&self.root.der], now).unwrap()
    }

    fn chain_of(&self, leaf: &Leaf) -> Credential {
        credential(&[&leaf.der, &self.inter.der])
    }

    fn chain(&self) -> Credential {
        self.chain_of(&self.leaf)
    }
}

fn ed25519() -> Pki {
    Pki::new(&rcgen::PKCS_ED25519)
}

const ALGS: [(&SignatureAlgorithm, SignatureScheme); 3] = [
    (&rcgen::PKCS_ED25519, SignatureScheme::ED25519),
    (
        &rcgen::PKCS_ECDSA_P256_SHA256,
        SignatureScheme::ECDSA_SECP256R1_SHA256,
    ),
    (
        &rcgen::PKCS_ECDSA_P384_SHA384,
        SignatureScheme::ECDSA_SECP384R1_SHA384,
    ),
];

#[test]
fn valid_chain_passes_for_each_scheme() {
    for (alg, scheme) in ALGS {
        let pki = Pki::new(alg);
        let id = pki
            .validator()
            .validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add)
            .unwrap_or_else(|e| panic!("{scheme:?}: {e}"));
        assert!(!id.0.is_empty());
        let (found, key) = leaf_signature_key(&pki.chain()).unwrap();
        assert_eq!((found, key), (scheme, pki.leaf.key.clone()));
    }
}

#[test]
fn valid_chain_passes_in_every_context() {
    let pki = ed25519();
    let v = pki.validator();
    for context in [
        CredentialContext::Add,
        CredentialContext::Update,
        CredentialContext::CommitPath,
        CredentialContext::Join,
        CredentialContext::ExternalSender,
        CredentialContext::ExternalCommit,
    ] {
        assert!(v.validate(&pki.chain(), &pki.leaf.key, context).is_ok());
    }
}

#[test]
fn chains_mixing_schemes_pass() {
    let root = root(&rcgen::PKCS_ECDSA_P384_SHA384, "Cohort Test Root");
    let inter = intermediate(&rcgen::PKCS_ECDSA_P256_SHA256, &root);
    let leaf = leaf(&rcgen::PKCS_ED25519, &inter, LeafSpec::default());
    let v = X509Validator::new([&root.der], now).unwrap();
    let chain = credential(&[&leaf.der, &inter.der]);
    assert!(
        v.validate(&chain, &leaf.key, CredentialContext::Add)
            .is_ok()
    );
}

#[test]
fn leaf_signed_by_the_root_directly_passes() {
    let root = root(&rcgen::PKCS_ED25519, "Cohort Test Root");
    let leaf = leaf(&rcgen::PKCS_ED25519, &root, LeafSpec::default());
    let v = X509Validator::new([&root.der], now).unwrap();
    let chain = credential(&[&leaf.der]);
    assert!(
        v.validate(&chain, &leaf.key, CredentialContext::Add)
            .is_ok()
    );
}

/// V-5.3-01: the leaf certificate's key must be the leaf node's signature key.
#[test]
fn v_5_3_01_leaf_key_must_equal_signature_key() {
    for (alg, _) in ALGS {
        let pki = Pki::new(alg);
        let other = KeyPair::generate_for(alg).unwrap();
        let other = SignaturePublicKey::from(other.public_key_raw().to_vec());
        assert!(matches!(
            pki.validator()
                .validate(&pki.chain(), &other, CredentialContext::Add),
            Err(CredentialError::KeyMismatch)
        ));
    }
    // The intermediate's key is in the chain but is not the leaf's.
    let pki = ed25519();
    let inter_key = leaf_signature_key(&credential(&[&pki.inter.der]))
        .unwrap()
        .1;
    assert!(matches!(
        pki.validator()
            .validate(&pki.chain(), &inter_key, CredentialContext::Add),
        Err(CredentialError::KeyMismatch)
    ));
}

/// V-5.3-02: an empty chain is rejected.
#[test]
fn v_5_3_02_empty_chain_is_rejected() {
    let pki = ed25519();
    let empty = credential(&[]);
    assert!(matches!(
        pki.validator()
            .validate(&empty, &pki.leaf.key, CredentialContext::Add),
        Err(CredentialError::BadCertificate(_))
    ));
    assert!(matches!(
        leaf_signature_key(&empty),
        Err(CredentialError::BadCertificate(_))
    ));
}

/// V-5.3-02: a certificate that is not DER is rejected, leaf or intermediate.
#[test]
fn v_5_3_02_garbage_der_is_rejected() {
    let pki = ed25519();
    let v = pki.validator();
    let mut truncated = pki.leaf.der.clone();
    truncated.truncate(truncated.len() / 2);
    let mut trailing = pki.leaf.der.clone();
    trailing.push(0);
    for garbage in [
        vec![],
        vec![0x30],
        vec![0x30, 0x80, 0x00, 0x00],
        b"not a certificate".to_vec(),
        truncated,
        trailing,
    ] {
        for chain in [
            credential(&[&garbage, &pki.inter.der]),
            credential(&[&pki.leaf.der, &garbage]),
        ] {
            let result = v.validate(&chain, &pki.leaf.key, CredentialContext::Add);
            assert!(
                matches!(result, Err(CredentialError::BadCertificate(_))),
                "{garbage:02x?}: {result:?}"
            );
        }
    }
}

/// No byte string makes the validator panic, and no corrupted certificate is accepted: every
/// single-byte change of the leaf or of the intermediate is refused with an error.
#[test]
fn corrupted_certificates_are_refused_without_panic() {
    let pki = ed25519();
    let v = pki.validator();
    for i in 0..pki.leaf.der.len() {
        let mut der = pki.leaf.der.clone();
        der[i] ^= 0x41;
        let result = v.validate(
            &credential(&[&der, &pki.inter.der]),
            &pki.leaf.key,
            CredentialContext::Add,
        );
        assert!(result.is_err(), "leaf byte {i}");
        let _ = leaf_signature_key(&credential(&[&der]));
        let _ = v.identity(&credential(&[&der]));
    }
    for i in 0..pki.inter.der.len() {
        let mut der = pki.inter.der.clone();
        der[i] ^= 0x41;
        let result = v.validate(
            &credential(&[&pki.leaf.der, &der]),
            &pki.leaf.key,
            CredentialContext::Add,
        );
        assert!(result.is_err(), "intermediate byte {i}");
    }
}

#[test]
fn non_x509_credentials_are_refused() {
    let pki = ed25519();
    assert!(matches!(
        pki.validator().validate(
            &Credential::basic(b"alice".to_vec()),
            &pki.leaf.key,
            CredentialContext::Add
        ),
        Err(CredentialError::UnsupportedType(1))
    ));
}

#[test]
fn chain_to_another_root_is_untrusted() {
    let pki = ed25519();
    let stranger = root(&rcgen::PKCS_ED25519, "Another Root");
    let v = X509Validator::new([&stranger.der], now).unwrap();
    let result = v.validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add);
    assert!(
        matches!(result, Err(CredentialError::Untrusted(_))),
        "{result:?}"
    );
}

/// An anchor with the right name but another key: the intermediate's signature does not verify.
#[test]
fn impostor_root_with_the_same_name_is_rejected() {
    let pki = ed25519();
    let impostor = root(&rcgen::PKCS_ED25519, "Cohort Test Root");
    let v = X509Validator::new([&impostor.der], now).unwrap();
    let result = v.validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add);
    assert!(
        matches!(result, Err(CredentialError::BadSignature)),
        "{result:?}"
    );
}

#[test]
fn chain_missing_its_intermediate_is_untrusted() {
    let pki = ed25519();
    let chain = credential(&[&pki.leaf.der]);
    let result = pki
        .validator()
        .validate(&chain, &pki.leaf.key, CredentialContext::Add);
    assert!(
        matches!(result, Err(CredentialError::Untrusted(_))),
        "{result:?}"
    );
}

#[test]
fn leaf_used_as_issuer_is_untrusted() {
    let pki = ed25519();
    // The leaf is not a CA: a certificate it signs does not chain.
    let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let mut leaf_params = CertificateParams::default();
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "not a ca");
    leaf_params.is_ca = IsCa::ExplicitNoCa;
    let leaf_der = leaf_params
        .signed_by(&leaf_key, &pki.inter.issuer)
        .unwrap()
        .der()
        .to_vec();
    let fake_ca = Ca {
        der: leaf_der,
        issuer: Issuer::new(leaf_params, leaf_key),
    };
    let below = leaf(&rcgen::PKCS_ED25519, &fake_ca, LeafSpec::default());
    let chain = credential(&[&below.der, &fake_ca.der, &pki.inter.der]);
    let result = pki
        .validator()
        .validate(&chain, &below.key, CredentialContext::Add);
    assert!(
        matches!(result, Err(CredentialError::Untrusted(_))),
        "{result:?}"
    );
}

#[test]
fn broken_certificate_signature_is_rejected() {
    let pki = ed25519();
    let mut der = pki.leaf.der.clone();
    let last = der.len() - 1;
    der[last] ^= 0x01; // the last byte of the Ed25519 signature
    let chain = credential(&[&der, &pki.inter.der]);
    let result = pki
        .validator()
        .validate(&chain, &pki.leaf.key, CredentialContext::Add);
    assert!(
        matches!(result, Err(CredentialError::BadSignature)),
        "{result:?}"
    );
}

#[test]
fn expired_leaf_is_rejected() {
    let pki = ed25519();
    let after = secs((2027, 1, 2));
    let v = X509Validator::new([&pki.root.der], move || after).unwrap();
    let result = v.validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add);
    match result {
        Err(CredentialError::Expired { not_after, now }) => {
            assert_eq!(not_after, secs((2027, 1, 1)));
            assert_eq!(now, after);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn leaf_not_yet_valid_is_rejected() {
    let pki = ed25519();
    let before = secs((2024, 12, 31));
    let v = X509Validator::new([&pki.root.der], move || before).unwrap();
    let result = v.validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add);
    match result {
        Err(CredentialError::NotYetValid { not_before, now }) => {
            assert_eq!(not_before, secs((2025, 1, 1)));
            assert_eq!(now, before);
        }
        other => panic!("{other:?}"),
    }
}

/// The clock is read on every validation, not when the validator is built.
#[test]
fn clock_is_consulted_at_each_validation() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    let pki = ed25519();
    let time = Arc::new(AtomicU64::new(now()));
    let clock = Arc::clone(&time);
    let v = X509Validator::new([&pki.root.der], move || clock.load(Ordering::SeqCst)).unwrap();
    assert!(
        v.validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add)
            .is_ok()
    );
    time.store(secs((2030, 1, 1)), Ordering::SeqCst);
    assert!(matches!(
        v.validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add),
        Err(CredentialError::Expired { .. })
    ));
}

fn crl(issuer: &Ca, revoked: &[u64]) -> Vec<u8> {
    CertificateRevocationListParams {
        this_update: date_time_ymd(2026, 1, 1),
        next_update: date_time_ymd(2026, 2, 1),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|&serial| RevokedCertParams {
                serial_number: SerialNumber::from(serial),
                revocation_time: date_time_ymd(2026, 1, 1),
                reason_code: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&issuer.issuer)
    .unwrap()
    .der()
    .to_vec()
}

#[test]
fn leaf_revoked_by_crl_is_rejected() {
    let pki = ed25519();
    let v = pki
        .validator()
        .with_crls([crl(&pki.inter, &[1000])])
        .unwrap();
    assert!(matches!(
        v.validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add),
        Err(CredentialError::Revoked)
    ));
    // Another leaf of the same CA is not on the list.
    let bob = leaf(
        &rcgen::PKCS_ED25519,
        &pki.inter,
        LeafSpec {
            serial: 1001,
            ..LeafSpec::default()
        },
    );
    assert!(
        v.validate(&pki.chain_of(&bob), &bob.key, CredentialContext::Add)
            .is_ok()
    );
}

#[test]
fn intermediate_revoked_by_crl_is_rejected_unless_only_the_leaf_is_checked() {
    let pki = ed25519();
    let serial = SerialNumber::from(77u64);
    // Re-issue the intermediate with a known serial.
    let key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let mut params = ca_params("Cohort Test Intermediate");
    params.serial_number = Some(serial);
    let der = params
        .signed_by(&key, &pki.root.issuer)
        .unwrap()
        .der()
        .to_vec();
    let inter = Ca {
        der,
        issuer: Issuer::new(params, key),
    };
    let alice = leaf(&rcgen::PKCS_ED25519, &inter, LeafSpec::default());
    let chain = credential(&[&alice.der, &inter.der]);
    let v = pki.validator().with_crls([crl(&pki.root, &[77])]).unwrap();
    assert!(matches!(
        v.validate(&chain, &alice.key, CredentialContext::Add),
        Err(CredentialError::Revoked)
    ));
    let v = v.with_revocation_depth(RevocationDepth::EndEntity);
    assert!(
        v.validate(&chain, &alice.key, CredentialContext::Add)
            .is_ok()
    );
}

#[test]
fn unknown_revocation_status_follows_the_policy() {
    let pki = ed25519();
    // A CRL from the root covers the intermediate, not the leaf.
    let v = pki.validator().with_crls([crl(&pki.root, &[])]).unwrap();
    assert!(
        v.validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add)
            .is_ok()
    );
    let v = v.with_unknown_revocation(UnknownRevocation::Deny);
    assert!(matches!(
        v.validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add),
        Err(CredentialError::RevocationUnknown(_))
    ));
}

#[test]
fn expired_crl_counts_only_when_enforced() {
    let pki = ed25519();
    // The CRL's nextUpdate (2026-02-01) is before the validation time (2026-06-01).
    let v = pki.validator().with_crls([crl(&pki.inter, &[])]).unwrap();
    assert!(
        v.validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add)
            .is_ok()
    );
    let v = v.with_crl_expiry_enforced(true);
    assert!(matches!(
        v.validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add),
        Err(CredentialError::RevocationUnknown(_))
    ));
}

#[test]
fn wrong_extended_key_usage_is_rejected() {
    let pki = ed25519();
    let server = leaf(
        &rcgen::PKCS_ED25519,
        &pki.inter,
        LeafSpec {
            ext_key_usages: vec![ExtendedKeyUsagePurpose::ServerAuth],
            ..LeafSpec::default()
        },
    );
    let none = leaf(
        &rcgen::PKCS_ED25519,
        &pki.inter,
        LeafSpec {
            ext_key_usages: vec![],
            ..LeafSpec::default()
        },
    );
    let required = pki
        .validator()
        .with_extended_key_usage(ExtendedKeyUsagePolicy::Required(vec![CLIENT_AUTH.to_vec()]));
    let if_present =
        pki.validator()
            .with_extended_key_usage(ExtendedKeyUsagePolicy::RequiredIfPresent(vec![
                CLIENT_AUTH.to_vec(),
            ]));
    let add = CredentialContext::Add;
    assert!(required.validate(&pki.chain(), &pki.leaf.key, add).is_ok());
    assert!(matches!(
        required.validate(&pki.chain_of(&server), &server.key, add),
        Err(CredentialError::BadUsage(_))
    ));
    assert!(matches!(
        required.validate(&pki.chain_of(&none), &none.key, add),
        Err(CredentialError::BadUsage(_))
    ));
    assert!(matches!(
        if_present.validate(&pki.chain_of(&server), &server.key, add),
        Err(CredentialError::BadUsage(_))
    ));
    assert!(
        if_present
            .validate(&pki.chain_of(&none), &none.key, add)
            .is_ok()
    );
    // The default policy does not look at extKeyUsage.
    assert!(
        pki.validator()
            .validate(&pki.chain_of(&server), &server.key, add)
            .is_ok()
    );
}

#[test]
fn key_usage_without_digital_signature_is_rejected() {
    let pki = ed25519();
    let encipher = leaf(
        &rcgen::PKCS_ED25519,
        &pki.inter,
        LeafSpec {
            key_usages: vec![KeyUsagePurpose::KeyAgreement],
            ..LeafSpec::default()
        },
    );
    let none = leaf(
        &rcgen::PKCS_ED25519,
        &pki.inter,
        LeafSpec {
            key_usages: vec![],
            ..LeafSpec::default()
        },
    );
    let add = CredentialContext::Add;
    let v = pki.validator();
    assert!(matches!(
        v.validate(&pki.chain_of(&encipher), &encipher.key, add),
        Err(CredentialError::BadUsage(_))
    ));
    assert!(v.validate(&pki.chain_of(&none), &none.key, add).is_ok());

    let strict = pki
        .validator()
        .with_key_usage(KeyUsagePolicy::DigitalSignatureRequired);
    assert!(matches!(
        strict.validate(&pki.chain_of(&none), &none.key, add),
        Err(CredentialError::BadUsage(_))
    ));
    assert!(strict.validate(&pki.chain(), &pki.leaf.key, add).is_ok());

    let lax = pki.validator().with_key_usage(KeyUsagePolicy::Ignore);
    assert!(
        lax.validate(&pki.chain_of(&encipher), &encipher.key, add)
            .is_ok()
    );
}

/// A chain signed with an algorithm the validator is not configured for is refused with the
/// scheme's name.
#[test]
fn unsupported_chain_scheme_is_named() {
    static ED25519_ONLY: &[&dyn rustls_pki_types::SignatureVerificationAlgorithm] =
        &[webpki::ring::ED25519];
    let pki = Pki::new(&rcgen::PKCS_ECDSA_P384_SHA384);
    let v = pki.validator().with_signature_algorithms(ED25519_ONLY);
    match v.validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add) {
        Err(CredentialError::UnsupportedScheme(name)) => {
            assert!(
                name.starts_with("ecdsa_") && name.ends_with("sha384"),
                "{name}"
            )
        }
        other => panic!("{other:?}"),
    }
    // The defaults cover what rcgen minted.
    assert!(
        pki.validator()
            .validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add)
            .is_ok()
    );
}

#[test]
fn identity_from_each_policy() {
    let pki = ed25519();
    let v = pki.validator();
    let id = |policy| {
        v.clone()
            .with_identity_policy(policy)
            .validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add)
            .unwrap()
    };
    assert_eq!(
        id(IdentityPolicy::SanUri),
        Identity(b"mls://example.com/alice".to_vec())
    );
    assert_eq!(
        id(IdentityPolicy::SanEmail),
        Identity(b"alice@example.com".to_vec())
    );
    assert_eq!(
        id(IdentityPolicy::SanDns),
        Identity(b"alice.example.com".to_vec())
    );
    let subject = id(IdentityPolicy::Subject);
    assert_eq!(subject.0.first(), Some(&0x30));
    assert!(subject.0.windows(5).any(|w| w == b"alice"));
    // The default is the subject; `identity` reads it without validating.
    assert_eq!(v.identity(&pki.chain()).unwrap(), subject);
}

#[test]
fn empty_subject_is_no_identity() {
    let pki = ed25519();
    let key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.subject_alt_names = vec![SanType::URI("mls://example.com/carol".try_into().unwrap())];
    let der = params
        .signed_by(&key, &pki.inter.issuer)
        .unwrap()
        .der()
        .to_vec();
    let signature_key = SignaturePublicKey::from(key.public_key_raw().to_vec());
    let chain = credential(&[&der, &pki.inter.der]);
    assert!(matches!(
        pki.validator()
            .validate(&chain, &signature_key, CredentialContext::Add),
        Err(CredentialError::MissingIdentity)
    ));
    assert!(
        pki.validator()
            .with_identity_policy(IdentityPolicy::SanUri)
            .validate(&chain, &signature_key, CredentialContext::Add)
            .is_ok()
    );
}

#[test]
fn identity_missing_from_the_certificate_is_rejected() {
    let pki = ed25519();
    let key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, "no sans");
    let der = params
        .signed_by(&key, &pki.inter.issuer)
        .unwrap()
        .der()
        .to_vec();
    let signature_key = SignaturePublicKey::from(key.public_key_raw().to_vec());
    let chain = credential(&[&der, &pki.inter.der]);
    for policy in [
        IdentityPolicy::SanUri,
        IdentityPolicy::SanEmail,
        IdentityPolicy::SanDns,
    ] {
        assert!(matches!(
            pki.validator().with_identity_policy(policy).validate(
                &chain,
                &signature_key,
                CredentialContext::Add
            ),
            Err(CredentialError::MissingIdentity)
        ));
    }
    assert!(
        pki.validator()
            .validate(&chain, &signature_key, CredentialContext::Add)
            .is_ok()
    );
}

/// V-5.3.1-07: a member's new credential must carry the same identity, unless the policy
/// allows a change.
#[test]
fn v_5_3_1_07_successor_keeps_the_identity() {
    let pki = ed25519();
    let v = pki.validator().with_identity_policy(IdentityPolicy::SanUri);
    // Alice rotates her key: a new certificate, same URI.
    let rotated = leaf(
        &rcgen::PKCS_ED25519,
        &pki.inter,
        LeafSpec {
            serial: 1001,
            email: "alice@other.example",
            ..LeafSpec::default()
        },
    );
    assert!(
        v.valid_successor(&pki.chain(), &pki.chain_of(&rotated), &rotated.key)
            .is_ok()
    );
    // Mallory's certificate names another member.
    let mallory = leaf(
        &rcgen::PKCS_ED25519,
        &pki.inter,
        LeafSpec {
            serial: 1002,
            uri: "mls://example.com/mallory",
            ..LeafSpec::default()
        },
    );
    assert!(matches!(
        v.valid_successor(&pki.chain(), &pki.chain_of(&mallory), &mallory.key),
        Err(CredentialError::NotSuccessor)
    ));
    // The same pair passes when identity changes are allowed...
    let relaxed = v.clone().with_identity_change_allowed(true);
    assert!(
        relaxed
            .valid_successor(&pki.chain(), &pki.chain_of(&mallory), &mallory.key)
            .is_ok()
    );
    // ... and by the e-mail policy, under which the rotated certificate is another member.
    let by_email = v.with_identity_policy(IdentityPolicy::SanEmail);
    assert!(matches!(
        by_email.valid_successor(&pki.chain(), &pki.chain_of(&rotated), &rotated.key),
        Err(CredentialError::NotSuccessor)
    ));
}

/// V-5.3.1-07 with V-5.3.2-01: the new credential is fully validated (even when identity changes
/// are allowed); the old one only provides the identity, so it may have expired.
#[test]
fn v_5_3_1_07_successor_is_validated_and_old_may_have_expired() {
    let pki = ed25519();
    let old = leaf(
        &rcgen::PKCS_ED25519,
        &pki.inter,
        LeafSpec {
            serial: 999,
            not_before: (2024, 1, 1),
            not_after: (2025, 1, 1),
            ..LeafSpec::default()
        },
    );
    let v = pki.validator();
    assert!(matches!(
        v.validate(&pki.chain_of(&old), &old.key, CredentialContext::Update),
        Err(CredentialError::Expired { .. })
    ));
    assert!(
        v.valid_successor(&pki.chain_of(&old), &pki.chain(), &pki.leaf.key)
            .is_ok()
    );
    // The new credential must bind the new key ...
    assert!(matches!(
        v.valid_successor(&pki.chain(), &pki.chain_of(&old), &old.key),
        Err(CredentialError::Expired { .. })
    ));
    let relaxed = v.with_identity_change_allowed(true);
    assert!(matches!(
        relaxed.valid_successor(&pki.chain_of(&old), &pki.chain(), &old.key),
        Err(CredentialError::KeyMismatch)
    ));
}

#[test]
fn duplicate_identity_policy_is_configurable() {
    let pki = ed25519();
    assert_eq!(
        pki.validator().duplicate_identity_policy(),
        DuplicatePolicy::Allow
    );
    assert_eq!(
        pki.validator()
            .with_duplicate_identity_policy(DuplicatePolicy::Reject)
            .duplicate_identity_policy(),
        DuplicatePolicy::Reject
    );
    assert_eq!(
        cohort_credential::BasicValidator::default().duplicate_identity_policy(),
        DuplicatePolicy::Allow
    );
}

#[test]
fn configuration_errors_are_typed() {
    let pki = ed25519();
    assert!(matches!(
        X509Validator::new(Vec::<Vec<u8>>::new(), now),
        Err(X509ConfigError::NoTrustAnchor)
    ));
    assert!(matches!(
        X509Validator::new([&pki.root.der[..], b"junk"], now),
        Err(X509ConfigError::BadTrustAnchor { index: 1, .. })
    ));
    assert!(matches!(
        pki.validator().with_crls([b"junk"]),
        Err(X509ConfigError::BadCrl { index: 0, .. })
    ));
}

/// The configuration shown in docs/credentials.md.
#[test]
fn documented_configuration() -> Result<(), X509ConfigError> {
    let pki = ed25519();
    let root_der = pki.root.der.clone();
    let crl_der = crl(&pki.inter, &[]);
    let clock = now;

    // ANCHOR: configure
    use cohort_credential::DuplicatePolicy;
    use cohort_credential::x509::{
        ExtendedKeyUsagePolicy, IdentityPolicy, KeyUsagePolicy, UnknownRevocation, X509Validator,
    };

    // `clock` is the application's: seconds since the Unix epoch, read at every validation.
    let validator = X509Validator::new([&root_der], clock)?
        // The member is the URI in subjectAltName ("mls://example.com/alice").
        .with_identity_policy(IdentityPolicy::SanUri)
        // MLS leaves sign: keyUsage must allow digitalSignature if present (the default).
        .with_key_usage(KeyUsagePolicy::DigitalSignatureIfPresent)
        // Only certificates issued for client authentication.
        .with_extended_key_usage(ExtendedKeyUsagePolicy::Required(vec![vec![
            1, 3, 6, 1, 5, 5, 7, 3, 2,
        ]]))
        // Revocation: the CRLs the application fetched; a certificate no CRL covers passes.
        .with_crls([&crl_der])?
        .with_unknown_revocation(UnknownRevocation::Allow)
        // One leaf per identity in a group; no identity change on update (the default).
        .with_duplicate_identity_policy(DuplicatePolicy::Reject)
        .with_identity_change_allowed(false);
    // ANCHOR_END: configure

    let identity = validator
        .validate(&pki.chain(), &pki.leaf.key, CredentialContext::Add)
        .unwrap();
    assert_eq!(identity, Identity(b"mls://example.com/alice".to_vec()));
    Ok(())
}

#[test]
fn validator_is_usable_as_a_trait_object() {
    let pki = ed25519();
    let v: std::sync::Arc<dyn CredentialValidator> = std::sync::Arc::new(pki.validator());
    assert!(
        v.validate(&pki.chain(), &pki.leaf.key, CredentialContext::Join)
            .is_ok()
    );
    assert!(format!("{v:?}").contains("X509Validator"));
}
