//! The token signer against SoftHSM2: signatures cross-checked with the software backends in
//! both directions, key attributes, finding keys, typed errors, threads, the conformance kit.
//!
//! Each test gets a throw-away token in a child process (see `support/softhsm.rs`); without a
//! PKCS#11 module each prints `SKIPPED <name>` and returns.

#[path = "support/softhsm.rs"]
mod softhsm;

use core::error::Error as _;
use std::sync::Arc;

use cohort_crypto::{
    CipherSuite, CryptoErrorKind, CryptoProvider, SignaturePublicKey, SignatureScheme, Signer,
    SoftwareSigner, SuiteOps, labeled,
};
use cohort_crypto_pkcs11::cryptoki::context::{
    CInitializeArgs, CInitializeFlags, Function, Pkcs11,
};
use cohort_crypto_pkcs11::cryptoki::error::{Error as CryptokiError, RvError};
use cohort_crypto_pkcs11::cryptoki::object::{Attribute, AttributeType, ObjectClass};
use cohort_crypto_pkcs11::cryptoki::session::{Session, UserType};
use cohort_crypto_pkcs11::cryptoki::types::AuthPin;
use cohort_crypto_pkcs11::{
    KeySelector, Pkcs11Error, Pkcs11Provider, Pkcs11Signer, Pkcs11Token, SlotSelector, TokenConfig,
};

/// Every software backend, by name.
fn software() -> Vec<(&'static str, Arc<dyn CryptoProvider>)> {
    vec![
        ("rustcrypto", Arc::new(cohort_crypto_rustcrypto::provider())),
        ("aws-lc", Arc::new(cohort_crypto_aws_lc::provider())),
        ("ring", Arc::new(cohort_crypto_ring::provider())),
    ]
}

/// The suite ops of every backend that serves a suite signing with `scheme`.
fn verifiers(scheme: SignatureScheme) -> Vec<(&'static str, Arc<dyn SuiteOps>)> {
    software()
        .into_iter()
        .filter_map(|(name, p)| {
            let cs = p
                .cipher_suites()
                .iter()
                .copied()
                .find(|cs| cs.signature_scheme() == Some(scheme))?;
            Some((name, p.suite(cs)?))
        })
        .collect()
}

/// The signature parts of the conformance kit, for a key in the token and in both directions.
fn cross_check(token: &Pkcs11Token, scheme: SignatureScheme, public_len: usize) {
    let signer = token
        .generate_signer(scheme, "cross-check", b"cc")
        .expect("generate in the token");
    assert_eq!(signer.signature_scheme(), scheme);
    assert_eq!(signer.public_key().as_ref().len(), public_len);
    let verifiers = verifiers(scheme);
    assert!(
        !verifiers.is_empty(),
        "no software backend has 0x{:04x}",
        scheme.0
    );

    // Token signs, every software backend verifies; tampering is caught.
    let messages: Vec<Vec<u8>> = (0..12usize)
        .map(|i| (0..i * 29).map(|j| (j * 7 + i) as u8).collect())
        .collect();
    for message in &messages {
        let sig = signer.sign(message).expect("sign in the token");
        for (name, ops) in &verifiers {
            ops.verify(signer.public_key(), message, &sig)
                .unwrap_or_else(|e| panic!("{name} rejects a token signature: {e}"));
            let mut other = message.clone();
            other.push(1);
            assert_invalid(
                ops.verify(signer.public_key(), &other, &sig),
                name,
                "other message",
            );
        }
    }
    let sig = signer.sign(b"message").expect("sign in the token");
    for (name, ops) in &verifiers {
        for i in [0, sig.len() / 2, sig.len() - 1] {
            let mut bad = sig.clone();
            bad[i] ^= 0x01;
            assert_invalid(
                ops.verify(signer.public_key(), b"message", &bad),
                name,
                "tampered",
            );
        }
        assert_invalid(
            ops.verify(signer.public_key(), b"message", &sig[..sig.len() - 1]),
            name,
            "truncated",
        );
        let mut long = sig.clone();
        long.push(0);
        assert_invalid(
            ops.verify(signer.public_key(), b"message", &long),
            name,
            "trailing",
        );
    }

    // The labeled operations of RFC 9420 §5.1.2 through the token's handle.
    let sig = labeled::sign_with_label(&signer, b"LeafNodeTBS", b"content").expect("label");
    for (name, ops) in &verifiers {
        labeled::verify_with_label(
            &**ops,
            signer.public_key(),
            b"LeafNodeTBS",
            b"content",
            &sig,
        )
        .unwrap_or_else(|e| panic!("{name}: VerifyWithLabel of a token signature: {e}"));
        assert_invalid(
            labeled::verify_with_label(
                &**ops,
                signer.public_key(),
                b"KeyPackageTBS",
                b"content",
                &sig,
            ),
            name,
            "another label",
        );
    }

    // EdDSA is deterministic; ECDSA is not, but both signatures verify.
    let (a, b) = (
        signer.sign(b"twice").unwrap(),
        signer.sign(b"twice").unwrap(),
    );
    let eddsa = matches!(scheme, SignatureScheme::ED25519 | SignatureScheme::ED448);
    assert_eq!(a == b, eddsa, "determinism of 0x{:04x}", scheme.0);

    // The other direction: software keys sign, the token verifies (C_Verify), on every backend.
    for (name, ops) in &verifiers {
        let software = SoftwareSigner::generate(ops.clone()).expect("software key");
        for message in &messages {
            let sig = software.sign(message).expect("software sign");
            token
                .verify(scheme, software.public_key(), message, &sig)
                .unwrap_or_else(|e| panic!("the token rejects a {name} signature: {e}"));
        }
        let sig = labeled::sign_with_label(&software, b"GroupInfoTBS", b"x").unwrap();
        let mut bad = sig.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x80;
        let err = token
            .verify(scheme, software.public_key(), b"x", &bad)
            .expect_err("a tampered software signature");
        assert!(
            matches!(err, Pkcs11Error::InvalidSignature),
            "{name}: {err}"
        );
    }
    // And the token's own signatures verify in the token.
    let sig = signer.sign(b"round").unwrap();
    token
        .verify(scheme, signer.public_key(), b"round", &sig)
        .unwrap();
    eprintln!(
        "0x{:04x}: {} backends cross-checked",
        scheme.0,
        verifiers.len()
    );
}

fn assert_invalid(r: Result<(), cohort_crypto::CryptoError>, backend: &str, what: &str) {
    match r {
        Err(e) if e.kind() == CryptoErrorKind::InvalidSignature => {}
        other => panic!("{backend}: {what} signature: expected InvalidSignature, got {other:?}"),
    }
}

/// Runs `cross_check` when the token has the scheme; says so by name when it does not (only
/// for the schemes beyond the three the issue requires).
fn cross_check_if_offered(name: &str, token: &Pkcs11Token, scheme: SignatureScheme, len: usize) {
    if token.signature_schemes().contains(&scheme) {
        cross_check(token, scheme, len);
    } else {
        eprintln!(
            "SKIPPED {name}: the token lacks the mechanisms for 0x{:04x}",
            scheme.0
        );
    }
}

#[test]
fn ed25519_signatures_cross_check_with_software() {
    let Some(env) = softhsm::token("ed25519_signatures_cross_check_with_software") else {
        return;
    };
    cross_check(&env.open(), SignatureScheme::ED25519, 32);
}

#[test]
fn p256_signatures_cross_check_with_software() {
    let Some(env) = softhsm::token("p256_signatures_cross_check_with_software") else {
        return;
    };
    let token = env.open();
    cross_check(&token, SignatureScheme::ECDSA_SECP256R1_SHA256, 65);
}

#[test]
fn p384_signatures_cross_check_with_software() {
    let Some(env) = softhsm::token("p384_signatures_cross_check_with_software") else {
        return;
    };
    cross_check(&env.open(), SignatureScheme::ECDSA_SECP384R1_SHA384, 97);
}

#[test]
fn p521_signatures_cross_check_with_software() {
    let name = "p521_signatures_cross_check_with_software";
    let Some(env) = softhsm::token(name) else {
        return;
    };
    cross_check_if_offered(
        name,
        &env.open(),
        SignatureScheme::ECDSA_SECP521R1_SHA512,
        133,
    );
}

#[test]
fn ed448_signatures_cross_check_with_software() {
    let name = "ed448_signatures_cross_check_with_software";
    let Some(env) = softhsm::token(name) else {
        return;
    };
    cross_check_if_offered(name, &env.open(), SignatureScheme::ED448, 57);
}

/// A raw cryptoki session on the same module, independent of the crate under test.
fn raw_session(env: &softhsm::Env) -> Session {
    let pkcs11 = Pkcs11::new(&env.module).unwrap();
    match pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CryptokiError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => panic!("{e}"),
    }
    let slot = pkcs11
        .get_slots_with_initialized_token()
        .unwrap()
        .into_iter()
        .find(|s| pkcs11.get_token_info(*s).unwrap().label().trim_end() == softhsm::LABEL)
        .unwrap();
    let session = pkcs11.open_rw_session(slot).unwrap();
    match session.login(
        UserType::User,
        Some(&AuthPin::from(softhsm::PIN.to_owned())),
    ) {
        Ok(()) | Err(CryptokiError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
        Err(e) => panic!("{e}"),
    }
    session
}

#[test]
fn generated_keys_are_sensitive_and_never_leave_the_token() {
    let Some(env) = softhsm::token("generated_keys_are_sensitive_and_never_leave_the_token") else {
        return;
    };
    let token = env.open();
    for (i, scheme) in [
        SignatureScheme::ED25519,
        SignatureScheme::ECDSA_SECP256R1_SHA256,
    ]
    .into_iter()
    .enumerate()
    {
        let label = format!("key-{i}");
        let signer = token.generate_signer(scheme, &label, &[i as u8]).unwrap();
        let a = signer.key_attributes().unwrap();
        assert!(a.sensitive, "CKA_SENSITIVE");
        assert!(!a.extractable, "CKA_EXTRACTABLE");
        assert!(a.always_sensitive, "CKA_ALWAYS_SENSITIVE");
        assert!(a.never_extractable, "CKA_NEVER_EXTRACTABLE");
        assert!(a.local, "CKA_LOCAL: generated in the token");
        assert!(a.persistent && a.private, "a private token object");

        // Asked directly, through a session of its own, the token refuses the key's value and
        // refuses to make it extractable.
        let session = raw_session(&env);
        let keys = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Label(label.clone().into_bytes()),
            ])
            .unwrap();
        assert_eq!(keys.len(), 1);
        match session.get_attributes(keys[0], &[AttributeType::Value]) {
            Ok(attrs) => assert!(
                !attrs.iter().any(|a| matches!(a, Attribute::Value(_))),
                "the token released CKA_VALUE"
            ),
            Err(CryptokiError::Pkcs11(rv, _)) => assert_eq!(rv, RvError::AttributeSensitive),
            Err(e) => panic!("{e}"),
        }
        assert!(
            session
                .update_attributes(keys[0], &[Attribute::Extractable(true)])
                .is_err(),
            "CKA_EXTRACTABLE could be set"
        );
        assert!(
            session
                .update_attributes(keys[0], &[Attribute::Sensitive(false)])
                .is_err(),
            "CKA_SENSITIVE could be cleared"
        );
    }
}

#[test]
fn keys_are_found_again_by_label_and_id() {
    let Some(env) = softhsm::token("keys_are_found_again_by_label_and_id") else {
        return;
    };
    let token = env.open();
    let made = token
        .generate_signer(SignatureScheme::ECDSA_SECP256R1_SHA256, "alice", &[1, 2, 3])
        .unwrap();
    let ed = token
        .generate_signer(SignatureScheme::ED25519, "bob", &[4])
        .unwrap();

    // A second handle on the same module and token: the module is initialized already.
    let again = env.open();
    let by_label = again
        .find_signer(&KeySelector::Label("alice".into()))
        .unwrap();
    let by_id = again.find_signer(&KeySelector::Id(vec![1, 2, 3])).unwrap();
    for found in [&by_label, &by_id] {
        assert_eq!(found.public_key(), made.public_key());
        assert_eq!(
            found.signature_scheme(),
            SignatureScheme::ECDSA_SECP256R1_SHA256
        );
        assert_eq!(found.label(), "alice");
        assert_eq!(found.id(), &[1, 2, 3]);
        let sig = found.sign(b"hello").unwrap();
        for (name, ops) in verifiers(SignatureScheme::ECDSA_SECP256R1_SHA256) {
            ops.verify(made.public_key(), b"hello", &sig)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    let found_ed = again
        .find_signer(&KeySelector::Label("bob".into()))
        .unwrap();
    assert_eq!(found_ed.signature_scheme(), SignatureScheme::ED25519);
    assert_eq!(found_ed.public_key(), ed.public_key());

    let missing = again
        .find_signer(&KeySelector::Label("carol".into()))
        .unwrap_err();
    assert!(matches!(missing, Pkcs11Error::KeyNotFound(_)), "{missing}");
    let duplicate = token
        .generate_signer(SignatureScheme::ED25519, "alice", &[9])
        .unwrap_err();
    assert!(
        matches!(duplicate, Pkcs11Error::KeyExists(_)),
        "{duplicate}"
    );
    let unsupported = token
        .generate_signer(SignatureScheme(0x0401), "rsa", &[7])
        .unwrap_err();
    assert!(matches!(
        unsupported,
        Pkcs11Error::UnsupportedScheme(0x0401)
    ));
}

#[test]
fn module_errors_keep_their_return_codes() {
    let Some(env) = softhsm::token("module_errors_keep_their_return_codes") else {
        return;
    };
    // A wrong PIN, on the first login of the process.
    let wrong = TokenConfig::new(
        &env.module,
        SlotSelector::TokenLabel(softhsm::LABEL.into()),
        "0000",
    );
    let err = Pkcs11Token::open(wrong).unwrap_err();
    assert_eq!(err.return_code(), Some(RvError::PinIncorrect), "{err}");
    assert!(matches!(err.function(), Some(Function::Login)));

    // A token that is not there, and a module that is not there.
    let absent = TokenConfig::new(&env.module, SlotSelector::TokenLabel("absent".into()), "1");
    assert!(matches!(
        Pkcs11Token::open(absent),
        Err(Pkcs11Error::TokenNotFound(_))
    ));
    let nowhere = TokenConfig::new("/nonexistent/libpkcs11.so", SlotSelector::First, "1");
    assert!(matches!(
        Pkcs11Token::open(nowhere),
        Err(Pkcs11Error::LoadModule { .. })
    ));

    // A key destroyed behind the signer's back: the signature fails with the module's code,
    // which survives as the downcastable source of the CryptoError.
    let token = env.open();
    let signer = token
        .generate_signer(SignatureScheme::ED25519, "doomed", b"d")
        .unwrap();
    let session = raw_session(&env);
    for class in [ObjectClass::PRIVATE_KEY, ObjectClass::PUBLIC_KEY] {
        let keys = session
            .find_objects(&[
                Attribute::Class(class),
                Attribute::Label(b"doomed".to_vec()),
            ])
            .unwrap();
        session.destroy_object(keys[0]).unwrap();
    }
    let err = signer.sign(b"message").unwrap_err();
    assert_eq!(err.kind(), CryptoErrorKind::Backend);
    let source = err
        .source()
        .and_then(|s| s.downcast_ref::<Pkcs11Error>())
        .expect("the PKCS#11 error is the source");
    let rv = source.return_code().expect("a return code");
    assert!(
        matches!(rv, RvError::KeyHandleInvalid | RvError::ObjectHandleInvalid),
        "{rv:?}"
    );
    assert!(matches!(
        source.function(),
        Some(Function::SignInit | Function::Sign)
    ));
    eprintln!("a destroyed key: {err}: {source}");
}

#[test]
fn one_signer_signs_from_many_threads() {
    let Some(env) = softhsm::token("one_signer_signs_from_many_threads") else {
        return;
    };
    let token = Pkcs11Token::open(env.config().max_sessions(3)).unwrap();
    let ed: Arc<Pkcs11Signer> = Arc::new(
        token
            .generate_signer(SignatureScheme::ED25519, "shared-ed", b"e")
            .unwrap(),
    );
    let ec: Arc<Pkcs11Signer> = Arc::new(
        token
            .generate_signer(SignatureScheme::ECDSA_SECP256R1_SHA256, "shared-ec", b"p")
            .unwrap(),
    );
    let handles: Vec<_> = (0..8u8)
        .map(|t| {
            let signer: Arc<dyn Signer> = if t % 2 == 0 { ed.clone() } else { ec.clone() };
            std::thread::spawn(move || {
                (0..25u8)
                    .map(|i| {
                        let message = vec![t, i];
                        let sig = signer.sign(&message).expect("sign from a thread");
                        (
                            signer.public_key().clone(),
                            signer.signature_scheme(),
                            message,
                            sig,
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut checked = 0;
    for handle in handles {
        for (pk, scheme, message, sig) in handle.join().expect("a signing thread") {
            let (_, ops) = &verifiers(scheme)[0];
            ops.verify(&pk, &message, &sig).unwrap();
            checked += 1;
        }
    }
    assert_eq!(checked, 200);
    assert!(
        (1..=3).contains(&token.open_sessions()),
        "{} sessions",
        token.open_sessions()
    );
}

#[test]
fn provider_over_the_token_passes_the_conformance_kit() {
    let Some(env) = softhsm::token("provider_over_the_token_passes_the_conformance_kit") else {
        return;
    };
    let token = env.open();
    let provider = Pkcs11Provider::new(token, Arc::new(cohort_crypto_rustcrypto::provider()));
    for cs in [1u16, 2, 3, 7] {
        assert!(
            provider.cipher_suites().contains(&CipherSuite(cs)),
            "suite {cs}"
        );
    }
    let report = cohort_conformance::crypto::run(&provider);
    println!("{report}");
    assert!(report.is_success(), "{report}");

    // Every suite it serves signs through the token and verifies through its own suite ops.
    for (i, &cs) in provider.cipher_suites().iter().enumerate() {
        let signer = provider
            .generate_signer(cs, &format!("suite-{}", cs.0), &[0xc5, i as u8])
            .unwrap();
        let ops = provider.require_suite(cs).unwrap();
        let sig = labeled::sign_with_label(&signer, b"FramedContentTBS", b"hi").unwrap();
        labeled::verify_with_label(&*ops, signer.public_key(), b"FramedContentTBS", b"hi", &sig)
            .unwrap();
        let found = provider
            .find_signer(cs, &KeySelector::Id(vec![0xc5, i as u8]))
            .unwrap();
        assert_eq!(found.public_key(), signer.public_key());
    }
    let wrong = provider
        .find_signer(CipherSuite(2), &KeySelector::Id(vec![0xc5, 0]))
        .unwrap_err();
    assert!(matches!(wrong, Pkcs11Error::UnusableKey(_)), "{wrong}");
    eprintln!("suites served: {:?}", provider.cipher_suites());
}

#[test]
fn missing_eddsa_is_a_typed_error_naming_it() {
    let Some(env) =
        softhsm::token_without("missing_eddsa_is_a_typed_error_naming_it", &["CKM_EDDSA"])
    else {
        return;
    };
    let token = env.open();
    let err = token
        .generate_signer(SignatureScheme::ED25519, "ed", b"e")
        .unwrap_err();
    match &err {
        Pkcs11Error::MechanismNotSupported { mechanism, .. } => {
            assert_eq!(mechanism.to_string(), "CKM_EDDSA");
        }
        other => panic!("expected MechanismNotSupported, got {other}"),
    }
    assert!(err.to_string().contains("CKM_EDDSA"), "{err}");
    assert!(
        !token
            .signature_schemes()
            .contains(&SignatureScheme::ED25519)
    );
    // The suites that sign with Ed25519 drop out of the composed provider; the others stay.
    let provider = Pkcs11Provider::new(
        token.clone(),
        Arc::new(cohort_crypto_rustcrypto::provider()),
    );
    assert!(provider.suite(CipherSuite(1)).is_none());
    assert!(provider.suite(CipherSuite(3)).is_none());
    assert!(provider.suite(CipherSuite(2)).is_some());
    // ECDSA still works.
    let ec = token
        .generate_signer(SignatureScheme::ECDSA_SECP256R1_SHA256, "ec", b"p")
        .unwrap();
    let sig = ec.sign(b"m").unwrap();
    verifiers(SignatureScheme::ECDSA_SECP256R1_SHA256)[0]
        .1
        .verify(ec.public_key(), b"m", &sig)
        .unwrap();
}

#[test]
fn missing_key_generation_is_a_typed_error_naming_it() {
    let Some(env) = softhsm::token_without(
        "missing_key_generation_is_a_typed_error_naming_it",
        &["CKM_EC_EDWARDS_KEY_PAIR_GEN"],
    ) else {
        return;
    };
    let err = env
        .open()
        .generate_signer(SignatureScheme::ED25519, "ed", b"e")
        .unwrap_err();
    match err {
        Pkcs11Error::MechanismNotSupported { mechanism, .. } => {
            assert_eq!(mechanism.to_string(), "CKM_EC_EDWARDS_KEY_PAIR_GEN");
        }
        other => panic!("expected MechanismNotSupported, got {other}"),
    }
}

#[test]
fn ecdsa_without_any_ecdsa_mechanism_names_ckm_ecdsa() {
    let Some(env) = softhsm::token_without(
        "ecdsa_without_any_ecdsa_mechanism_names_ckm_ecdsa",
        &[
            "CKM_ECDSA",
            "CKM_ECDSA_SHA1",
            "CKM_ECDSA_SHA224",
            "CKM_ECDSA_SHA256",
            "CKM_ECDSA_SHA384",
            "CKM_ECDSA_SHA512",
        ],
    ) else {
        return;
    };
    let err = env
        .open()
        .generate_signer(SignatureScheme::ECDSA_SECP384R1_SHA384, "ec", b"e")
        .unwrap_err();
    match err {
        Pkcs11Error::MechanismNotSupported { mechanism, purpose } => {
            assert_eq!(mechanism.to_string(), "CKM_ECDSA");
            assert!(purpose.contains("P-384"), "{purpose}");
        }
        other => panic!("expected MechanismNotSupported, got {other}"),
    }
}

#[test]
fn ecdsa_hashes_in_the_token_when_it_lacks_ckm_ecdsa() {
    let name = "ecdsa_hashes_in_the_token_when_it_lacks_ckm_ecdsa";
    let Some(env) = softhsm::token_without(name, &["CKM_ECDSA"]) else {
        return;
    };
    let token = env.open();
    if !token.has_mechanism(cryptoki::mechanism::MechanismType::ECDSA_SHA256) {
        eprintln!("SKIPPED {name}: the token has no CKM_ECDSA_SHA256 either");
        return;
    }
    let signer = token
        .generate_signer(SignatureScheme::ECDSA_SECP256R1_SHA256, "ec", b"e")
        .unwrap();
    assert!(!signer.hashes_in_software());
    let sig = signer.sign(b"hashed in the token").unwrap();
    for (name, ops) in verifiers(SignatureScheme::ECDSA_SECP256R1_SHA256) {
        ops.verify(signer.public_key(), b"hashed in the token", &sig)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn malformed_public_keys_are_refused_by_token_verify() {
    let Some(env) = softhsm::token("malformed_public_keys_are_refused_by_token_verify") else {
        return;
    };
    let token = env.open();
    let short = SignaturePublicKey::from(vec![4u8; 64]);
    let err = token
        .verify(
            SignatureScheme::ECDSA_SECP256R1_SHA256,
            &short,
            b"m",
            &[0x30, 0],
        )
        .unwrap_err();
    assert!(matches!(err, Pkcs11Error::UnusableKey(_)), "{err}");
    let ed = token
        .generate_signer(SignatureScheme::ED25519, "ed", b"e")
        .unwrap();
    let err = token
        .verify(SignatureScheme::ED25519, ed.public_key(), b"m", &[0u8; 10])
        .unwrap_err();
    assert!(matches!(err, Pkcs11Error::InvalidSignature), "{err}");
}
