//! The key-schedule kinds: `key-schedule`, `psk_secret`, `transcript-hashes`, `secret-tree`.

use cohort_codec::{Decode, Encode, VarBytes};
use cohort_crypto::{CryptoProvider, Secret, SuiteOps};
use cohort_key_schedule::{
    ContentKind, InitSecret, PskInput, RatchetConfig, SecretTree, confirmation_tag,
    confirmed_transcript_hash, interim_transcript_hash, psk_secret, sender_data_key_nonce,
};
use cohort_messages::framing::{AuthenticatedContent, ConfirmedTranscriptHashInput};
use cohort_messages::psk::{PreSharedKeyId, Psk};
use cohort_test_vectors::key_schedule::KeySchedule;
use cohort_test_vectors::psk_secret::PskSecret;
use cohort_test_vectors::secret_tree::SecretTree as SecretTreeCase;
use cohort_test_vectors::transcript_hashes::TranscriptHashes;

use crate::run::Cases;

type Check = Result<(), String>;

fn same(what: &str, got: &[u8], expected: &[u8]) -> Check {
    if got == expected {
        Ok(())
    } else {
        Err(format!("{what} differs"))
    }
}

/// Runs `check` on every case whose suite the provider has.
fn each<T>(
    cases: &[T],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
    suite_of: impl Fn(&T) -> u16,
    check: impl Fn(&T, &dyn SuiteOps) -> Check,
) {
    for (index, case) in cases.iter().enumerate() {
        let cs = suite_of(case);
        if let Some(ops) = run.suite(provider, cs) {
            run.record(index, Some(cs), check(case, &*ops));
        }
    }
}

/// `key-schedule`: five epochs chained from the initial init secret.
pub(crate) fn run_key_schedule(
    cases: &[KeySchedule],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
) {
    each(cases, run, provider, |c| c.cipher_suite, check_key_schedule);
}

fn check_key_schedule(case: &KeySchedule, ops: &dyn SuiteOps) -> Check {
    let err = |e: cohort_key_schedule::KeyScheduleError| e.to_string();
    let mut init = InitSecret::new(Secret::new(case.initial_init_secret.to_vec()));
    for (n, epoch) in case.epochs.iter().enumerate() {
        let tag = |what: &str| format!("epoch {n}: {what}");
        let joiner = init
            .joiner_secret(ops, &epoch.commit_secret, &epoch.group_context)
            .map_err(err)?;
        same(
            &tag("joiner_secret"),
            joiner.as_bytes(),
            &epoch.joiner_secret,
        )?;
        let welcome = joiner.welcome_secret(ops, &epoch.psk_secret).map_err(err)?;
        same(
            &tag("welcome_secret"),
            welcome.as_bytes(),
            &epoch.welcome_secret,
        )?;
        let secrets = joiner
            .into_epoch(ops, &epoch.psk_secret, &epoch.group_context)
            .map_err(err)?;
        let checks: [(&str, &Secret, &[u8]); 8] = [
            (
                "sender_data_secret",
                &secrets.sender_data_secret,
                &epoch.sender_data_secret,
            ),
            (
                "encryption_secret",
                &secrets.encryption_secret,
                &epoch.encryption_secret,
            ),
            (
                "exporter_secret",
                &secrets.exporter_secret,
                &epoch.exporter_secret,
            ),
            (
                "epoch_authenticator",
                &secrets.epoch_authenticator,
                &epoch.epoch_authenticator,
            ),
            (
                "external_secret",
                &secrets.external_secret,
                &epoch.external_secret,
            ),
            (
                "confirmation_key",
                &secrets.confirmation_key,
                &epoch.confirmation_key,
            ),
            (
                "membership_key",
                &secrets.membership_key,
                &epoch.membership_key,
            ),
            (
                "resumption_psk",
                &secrets.resumption_psk,
                &epoch.resumption_psk,
            ),
        ];
        for (name, got, expected) in checks {
            same(&tag(name), got.as_bytes(), expected)?;
        }
        same(
            &tag("init_secret"),
            secrets.init_secret.as_bytes(),
            &epoch.init_secret,
        )?;
        let (_, external_pub) = secrets.external_key_pair(ops).map_err(err)?;
        same(
            &tag("external_pub"),
            external_pub.as_ref(),
            &epoch.external_pub,
        )?;
        let length = usize::try_from(epoch.exporter.length).map_err(|e| e.to_string())?;
        let exported = secrets
            .export(
                ops,
                epoch.exporter.label.as_bytes(),
                &epoch.exporter.context,
                length,
            )
            .map_err(err)?;
        same(
            &tag("exporter secret"),
            exported.as_bytes(),
            &epoch.exporter.secret,
        )?;
        // The given GroupContext must be the encoding of the given fields.
        let context =
            cohort_messages::group_context::GroupContext::from_bytes(&epoch.group_context)
                .map_err(|e| tag(&format!("group context: {e}")))?;
        if context.epoch != n as u64
            || context.tree_hash.as_slice() != epoch.tree_hash.as_slice()
            || context.confirmed_transcript_hash.as_slice()
                != epoch.confirmed_transcript_hash.as_slice()
            || context.group_id.as_slice() != case.group_id.as_slice()
            || context.cipher_suite.0 != case.cipher_suite
        {
            return Err(tag("group context fields differ"));
        }
        init = secrets.init_secret.clone();
    }
    Ok(())
}

/// `psk_secret`: external PSKs chained in order.
pub(crate) fn run_psk_secret(cases: &[PskSecret], run: &mut Cases, provider: &dyn CryptoProvider) {
    each(
        cases,
        run,
        provider,
        |c| c.cipher_suite,
        |case, ops| {
            let mut ids = Vec::new();
            let mut values = Vec::new();
            for psk in &case.psks {
                let id = PreSharedKeyId {
                    psk: Psk::External {
                        psk_id: VarBytes::from(psk.psk_id.as_slice()),
                    },
                    psk_nonce: VarBytes::from(psk.psk_nonce.as_slice()),
                };
                ids.push(id.to_bytes().map_err(|e| e.to_string())?);
                values.push(Secret::new(psk.psk.to_vec()));
            }
            let inputs: Vec<PskInput<'_>> = ids
                .iter()
                .zip(&values)
                .map(|(id, psk)| PskInput { id, psk })
                .collect();
            let secret = psk_secret(ops, &inputs).map_err(|e| e.to_string())?;
            same("psk_secret", secret.as_bytes(), &case.psk_secret)
        },
    );
}

/// `transcript-hashes`: the confirmation tag verifies, and both hashes update.
pub(crate) fn run_transcript_hashes(
    cases: &[TranscriptHashes],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
) {
    each(
        cases,
        run,
        provider,
        |c| c.cipher_suite,
        |case, ops| {
            let err = |e: cohort_key_schedule::KeyScheduleError| e.to_string();
            let content = AuthenticatedContent::from_bytes(&case.authenticated_content)
                .map_err(|e| format!("authenticated content: {e}"))?;
            let tag = content
                .auth
                .confirmation_tag
                .as_ref()
                .ok_or("not a commit")?;
            let input = ConfirmedTranscriptHashInput {
                wire_format: content.wire_format,
                content: &content.content,
                signature: &content.auth.signature,
            }
            .to_bytes()
            .map_err(|e| e.to_string())?;
            let confirmed =
                confirmed_transcript_hash(ops, &case.interim_transcript_hash_before, &input)
                    .map_err(err)?;
            same(
                "confirmed transcript hash",
                &confirmed,
                &case.confirmed_transcript_hash_after,
            )?;
            let expected_tag =
                confirmation_tag(ops, &case.confirmation_key, &confirmed).map_err(err)?;
            if !tag.ct_eq(&expected_tag) {
                return Err("confirmation tag does not verify".into());
            }
            let interim = interim_transcript_hash(ops, &confirmed, &tag.0).map_err(err)?;
            same(
                "interim transcript hash",
                &interim,
                &case.interim_transcript_hash_after,
            )
        },
    );
}

/// `secret-tree`: sender-data key and nonce, and every listed generation of both ratchets of
/// every leaf.
pub(crate) fn run_secret_tree(
    cases: &[SecretTreeCase],
    run: &mut Cases,
    provider: &dyn CryptoProvider,
) {
    each(
        cases,
        run,
        provider,
        |c| c.cipher_suite,
        |case, ops| {
            let err = |e: cohort_key_schedule::KeyScheduleError| e.to_string();
            let sd = &case.sender_data;
            let (key, nonce) =
                sender_data_key_nonce(ops, &sd.sender_data_secret, &sd.ciphertext).map_err(err)?;
            same("sender data key", key.as_bytes(), &sd.key)?;
            same("sender data nonce", nonce.as_bytes(), &sd.nonce)?;
            let leaves = u32::try_from(case.leaves.len()).map_err(|e| e.to_string())?;
            let config = RatchetConfig {
                max_forward_distance: 1000,
                out_of_order_tolerance: 0,
            };
            let mut tree =
                SecretTree::new(Secret::new(case.encryption_secret.to_vec()), leaves, config);
            for (leaf, generations) in (0u32..).zip(&case.leaves) {
                for g in generations {
                    for (kind, key, nonce) in [
                        (ContentKind::Handshake, &g.handshake_key, &g.handshake_nonce),
                        (
                            ContentKind::Application,
                            &g.application_key,
                            &g.application_nonce,
                        ),
                    ] {
                        let got = tree
                            .open(ops, leaf, kind, g.generation, |k| Ok::<_, ()>(k.clone()))
                            .map_err(err)?
                            .map_err(|()| "unreachable".to_owned())?;
                        let what = format!("leaf {leaf} generation {} {kind:?}", g.generation);
                        same(&format!("{what} key"), got.key.as_bytes(), key)?;
                        same(&format!("{what} nonce"), got.nonce.as_bytes(), nonce)?;
                    }
                }
            }
            Ok(())
        },
    );
}
