//! The differential target's Welcome step: W, one client held by both implementations, joins
//! from a Welcome that the harness has opened, mutated and sealed again.
//!
//! The fixture has F commit an Add of W's KeyPackage (made by cohort) once. W's private keys are
//! given to a cohort joiner and, as an mls-rs `KeyPackageData` with the same Ed25519 key, to an
//! mls-rs client. The harness holds W's init key too: it opens F's Welcome to its GroupSecrets
//! and GroupInfo, and each input edits them (the group context, the GroupInfo's extensions and
//! ratchet tree, its signer and tag, the joiner and path secrets, the PSKs, the Welcome's own
//! fields). It then does what a committer would: the tree hash and the confirmation tag are
//! computed again for the edited context (unless an edit breaks them on purpose), the GroupInfo
//! is signed by F, encrypted under the welcome key, and the GroupSecrets sealed to W's init key.
//! So the joiners reach the checks past decryption and the signature: the tree's validation,
//! the parent hashes, the path secret against the tree, the key schedule from the joiner secret
//! and PSKs. cohort and mls-rs must both join, with the same epoch, leaf and epoch
//! authenticator, or both refuse.

use std::sync::Mutex;
use std::time::Duration;

use cohort_codec::{Decode, Encode, VarBytes};
use cohort_crypto::{CryptoProvider, HpkePublicKey, Secret, SoftwareHpkeKey, SuiteOps, labeled};
use cohort_group::{
    CommitOptions, Group, JoinInput, KeyPackageSecrets, LeafSpec, create_key_package,
};
use cohort_key_schedule::{JoinerSecret, PskInput, psk_secret};
use cohort_messages::framing::{Content, Mac, Sender};
use cohort_messages::group_info::GroupInfo;
use cohort_messages::key_package::{KeyPackage, KeyPackageRef};
use cohort_messages::welcome::{EncryptedGroupSecrets, GroupSecrets, PathSecret, Welcome};
use cohort_messages::{MlsMessage, MlsMessageBody};
use cohort_tree::RatchetTree;
use cohort_tree::extension::{Extension, ExtensionType};
use cohort_tree::leaf::ProtocolVersion;
use cohort_tree::math::LeafIndex;
use cohort_tree::node::{Node, RatchetTreeNodes};

use mls_rs::client_builder::MlsConfig;
use mls_rs::crypto::{HpkeSecretKey, SignaturePublicKey, SignatureSecretKey};
use mls_rs::identity::SigningIdentity;
use mls_rs::identity::basic::{BasicCredential, BasicIdentityProvider};
use mls_rs::psk::{ExternalPskId, PreSharedKey as RsPreSharedKey};
use mls_rs::storage_provider::KeyPackageData;
use mls_rs::storage_provider::in_memory::InMemoryKeyPackageStorage;
use mls_rs::time::MlsTime;
use mls_rs_crypto_awslc::AwsLcCryptoProvider;

use super::{
    CS, Disagreement, Fixture, Flow, Input, PSK, PSK_ID, Peer, SUPPORTED_EXT, UNKNOWN_EXT, config,
    disagree, extensions, external_psk, framed, sign_leaf, triage,
};

/// W's Welcome as F made it, opened, and the two clients that join from it.
pub(super) struct WelcomeFixture {
    group_info: GroupInfo,
    secrets: GroupSecrets,
    key_package: KeyPackage,
    kp_secrets: KeyPackageSecrets,
    kp_ref: Vec<u8>,
    /// What mls-rs stores for W's KeyPackage: put back before every join (a join may use it up).
    kp_data: KeyPackageData,
    store: InMemoryKeyPackageStorage,
    joiner: Mutex<Box<dyn WelcomeJoiner>>,
    /// F's epoch authenticator after its commit: that of an unedited Welcome.
    authenticator: Vec<u8>,
}

/// The mls-rs client W, behind an object like [`Peer`].
trait WelcomeJoiner: Send {
    fn join(&self, welcome: &[u8], now: u64) -> Result<Box<dyn Peer>, String>;
}

impl<C: MlsConfig + 'static> WelcomeJoiner for mls_rs::Client<C>
where
    mls_rs::Group<C>: Send,
    mls_rs::Client<C>: Send,
{
    fn join(&self, welcome: &[u8], now: u64) -> Result<Box<dyn Peer>, String> {
        let welcome = mls_rs::MlsMessage::from_bytes(welcome).map_err(|e| format!("{e:?}"))?;
        let time = MlsTime::from_duration_since_epoch(Duration::from_secs(now));
        let (group, _) = self
            .join_group(None, &welcome, Some(time))
            .map_err(|e| format!("{e:?}"))?;
        Ok(Box::new(group))
    }
}

/// Makes W, has F (in its state `f`, signing with `fx_signer`) add it, and opens the Welcome.
pub(super) fn build(
    f: &Group,
    f_signer: &cohort_crypto::SoftwareSigner,
    spec: &LeafSpec,
    now: u64,
) -> WelcomeFixture {
    let p = cohort_crypto_aws_lc::provider();
    let suite = p.suite(CS).expect("suite 1");
    let w_signer = cohort_crypto::SoftwareSigner::generate(suite.clone()).expect("signer");
    let (key_package, kp_secrets) =
        create_key_package(&p, CS, &w_signer, spec).expect("W's KeyPackage");
    let kp_ref = labeled::make_key_package_ref(&*suite, &key_package.to_bytes().expect("encode"))
        .expect("reference")
        .0
        .to_vec();
    let mut f = f.clone();
    let out = f
        .add_members(
            f_signer,
            vec![key_package.clone()],
            &CommitOptions::new(),
            Some(now),
        )
        .expect("F adds W");
    f.merge_pending_commit().expect("merge");
    let authenticator = f.epoch_authenticator().to_vec();
    let welcome = out.welcome.expect("a Welcome");
    let MlsMessageBody::Welcome(welcome) = welcome.body else {
        panic!("not a Welcome")
    };
    let init = SoftwareHpkeKey::from_private(suite.clone(), kp_secrets.init_key.clone())
        .expect("W's init key");
    let entry = welcome.secrets.first().expect("W's GroupSecrets");
    let secrets = labeled::decrypt_with_label(
        &*suite,
        &init,
        b"Welcome",
        welcome.encrypted_group_info.as_slice(),
        &entry.encrypted_group_secrets,
    )
    .expect("open W's GroupSecrets");
    let secrets = GroupSecrets::from_bytes(&secrets).expect("decode GroupSecrets");
    let (key, nonce) =
        welcome_key(&*suite, secrets.joiner_secret.as_slice(), &[]).expect("the welcome key");
    let group_info = suite
        .aead_open(
            key.as_bytes(),
            nonce.as_bytes(),
            &[],
            welcome.encrypted_group_info.as_slice(),
        )
        .expect("open the GroupInfo");
    let group_info = GroupInfo::from_bytes(&group_info).expect("decode GroupInfo");

    // mls-rs: W's signature key (aws-lc's Ed25519 form is the seed and the public key) and its
    // KeyPackage's private keys.
    let mut secret = w_signer.private_key().as_bytes().to_vec();
    secret.extend_from_slice(key_package.leaf_node.signature_key.0.as_slice());
    let credential = BasicCredential::new(b"W".to_vec()).into_credential();
    let store = InMemoryKeyPackageStorage::new();
    let kp_data = KeyPackageData::new(
        key_package.to_bytes().expect("encode"),
        HpkeSecretKey::from(kp_secrets.init_key.as_bytes().to_vec()),
        HpkeSecretKey::from(kp_secrets.encryption_key.as_bytes().to_vec()),
        now + 86_400,
    );
    let joiner: Box<dyn WelcomeJoiner> = Box::new(
        mls_rs::Client::builder()
            .psk(
                ExternalPskId::new(PSK_ID.to_vec()),
                RsPreSharedKey::new(PSK.to_vec()),
            )
            .extension_type(mls_rs::extension::ExtensionType::new(SUPPORTED_EXT))
            .crypto_provider(AwsLcCryptoProvider::default())
            .identity_provider(BasicIdentityProvider::new())
            .key_package_repo(store.clone())
            .signing_identity(
                SigningIdentity::new(
                    credential,
                    SignaturePublicKey::from(key_package.leaf_node.signature_key.0.to_vec()),
                ),
                SignatureSecretKey::from(secret),
                mls_rs::CipherSuite::from(CS.0),
            )
            .build(),
    );
    WelcomeFixture {
        group_info,
        secrets,
        key_package,
        kp_secrets,
        kp_ref,
        kp_data,
        store,
        joiner: Mutex::new(joiner),
        authenticator,
    }
}

/// `(welcome_key, welcome_nonce)` of a joiner secret and a PSK secret (empty: no PSKs).
fn welcome_key(suite: &dyn SuiteOps, joiner: &[u8], psk: &[u8]) -> Option<(Secret, Secret)> {
    let zero;
    let psk = if psk.is_empty() {
        zero = vec![0; suite.hash_len()];
        &zero
    } else {
        psk
    };
    let secret = JoinerSecret::new(Secret::from_slice(joiner))
        .welcome_secret(suite, psk)
        .ok()?;
    secret.key_and_nonce(suite).ok()
}

/// The edits to the Welcome that act when it is sealed rather than on its content.
#[derive(Default)]
struct Seal {
    /// Sign the GroupInfo with D's key instead of F's.
    signed_by_d: bool,
    /// Flip a bit of the tag after computing it.
    bad_tag: bool,
    /// Keep the tree hash as it was after the tree was edited.
    stale_tree_hash: bool,
    /// Give the PSK a wrong value when deriving the welcome key and the tag.
    wrong_psk: bool,
    /// The Welcome's own edits, by number.
    outer: Vec<u8>,
}

/// What the two joiners made of one edited Welcome.
struct Attempt {
    /// The edits, for messages.
    what: String,
    cohort: Result<Group, String>,
    mls_rs: Result<Box<dyn Peer>, String>,
}

/// The Welcome step: W joins at cohort and at mls-rs from one edited Welcome. Ends the script.
pub(super) fn welcome(fx: &Fixture, input: &mut Input<'_>) -> Flow {
    let Some(Attempt {
        what,
        cohort,
        mls_rs,
    }) = attempt(fx, input)
    else {
        return Flow::Stop;
    };
    if triage() {
        eprintln!(
            "OUTCOME\t{what}\t{:?}\t{:?}",
            cohort.as_ref().map(|_| ()),
            mls_rs.as_ref().map(|_| ())
        );
    }
    match (cohort, mls_rs) {
        (Err(_), Err(_)) => {}
        (Ok(c), Ok(m)) => {
            if what == "welcome" {
                // Unedited: the epoch F moved to.
                assert_eq!(c.epoch_authenticator(), fx.welcome.authenticator.as_slice());
            }
            assert_eq!(c.epoch(), m.epoch(), "epochs differ after: {what}");
            assert_eq!(c.own_leaf().0, m.own_leaf(), "leaves differ after: {what}");
            assert_eq!(
                c.epoch_authenticator(),
                m.authenticator(),
                "epoch authenticators differ after: {what}"
            );
        }
        (cohort, mls_rs) => {
            let d = Disagreement {
                what,
                content: framed(
                    &fx.f,
                    Sender::NewMemberCommit,
                    Content::Application(VarBytes::default()),
                ),
                cohort: cohort.map(|_| "joined".into()),
                mls_rs: mls_rs.map(|_| "joined".into()),
                removes_m: false,
                m_took_rejected_path: false,
            };
            disagree(&d);
        }
    }
    Flow::Stop
}

/// Edits W's Welcome as the input says, seals it and has both joiners process it.
fn attempt(fx: &Fixture, input: &mut Input<'_>) -> Option<Attempt> {
    let wf = &fx.welcome;
    let mut gi = wf.group_info.clone();
    let mut gs = wf.secrets.clone();
    let mut seal = Seal::default();
    let mut what = vec!["welcome".to_string()];
    for _ in 0..input.below(4) {
        let name = match input.below(18) {
            0 => {
                gi.group_context.epoch = gi.group_context.epoch.wrapping_add(1);
                "epoch".to_string()
            }
            1 => {
                gi.group_context.tree_hash = flip(gi.group_context.tree_hash.as_slice()).into();
                "tree hash".into()
            }
            2 => {
                gi.group_context.extensions = extensions(fx, input, &mut what);
                "context extensions".into()
            }
            3 => {
                gi.extensions
                    .retain(|e| e.extension_type != ExtensionType::RATCHET_TREE);
                "no ratchet_tree".into()
            }
            4 => {
                seal.bad_tag = true;
                "confirmation tag".into()
            }
            5 => {
                gi.signer = LeafIndex(u32::from(input.below(6)));
                format!("signer {}", gi.signer.0)
            }
            6 => {
                gi.extensions
                    .push(Extension::new(ExtensionType(UNKNOWN_EXT), input.bytes(4)));
                "unknown GroupInfo extension".into()
            }
            7 => {
                if let Some(e) = gi
                    .extensions
                    .iter()
                    .find(|e| e.extension_type == ExtensionType::RATCHET_TREE)
                    .cloned()
                {
                    gi.extensions.push(e);
                }
                "ratchet_tree twice".into()
            }
            8 => {
                gi.group_context.group_id = b"other".to_vec().into();
                "group id".into()
            }
            9 => {
                seal.signed_by_d = true;
                "signed by D".into()
            }
            10 => {
                gi.group_context.confirmed_transcript_hash = input.bytes(32).into();
                "transcript hash".into()
            }
            11 | 12 => {
                if input.chance(4) {
                    seal.stale_tree_hash = true;
                }
                format!("tree: {}", edit_tree(fx, input, &mut gi))
            }
            13 => {
                if input.chance(2) {
                    gs.path_secret = None;
                    "no path secret".into()
                } else {
                    gs.path_secret = Some(PathSecret {
                        path_secret: input.bytes(32).into(),
                    });
                    "path secret".into()
                }
            }
            14 => {
                gs.joiner_secret = input.bytes(32).into();
                "joiner secret".into()
            }
            15 => {
                gs.psks.push(external_psk(PSK_ID, 32));
                if input.chance(3) {
                    seal.wrong_psk = true;
                    "external PSK (wrong value)".into()
                } else {
                    "external PSK".into()
                }
            }
            16 => {
                if input.chance(2) {
                    gi.group_context.version = ProtocolVersion(2);
                    "version".into()
                } else {
                    gi.group_context.cipher_suite = cohort_crypto::CipherSuite(3);
                    "context cipher suite".into()
                }
            }
            _ => {
                let n = input.below(4);
                seal.outer.push(n);
                [
                    "Welcome cipher suite",
                    "GroupSecrets twice",
                    "another joiner's entry",
                    "GroupInfo cut",
                ][usize::from(n)]
                .into()
            }
        };
        what.push(format!("mutated {name}"));
    }
    let bytes = seal_welcome(fx, &mut gi, &gs, &seal)?;
    let what = what.join(", ");
    let cohort = MlsMessage::from_bytes(&bytes)
        .map_err(|e| e.to_string())
        .and_then(|m| match m.body {
            MlsMessageBody::Welcome(w) => Group::join(
                &cohort_crypto_aws_lc::provider(),
                JoinInput {
                    welcome: &w,
                    key_package: &wf.key_package,
                    secrets: &wf.kp_secrets,
                    ratchet_tree: None,
                    now: Some(fx.now),
                },
                &fx.psks,
                config(),
            )
            .map_err(|e| e.to_string()),
            _ => Err("not a Welcome".into()),
        });
    wf.store.insert(wf.kp_ref.clone(), wf.kp_data.clone());
    let mls_rs = wf
        .joiner
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .join(&bytes, fx.now);
    Some(Attempt {
        what,
        cohort,
        mls_rs,
    })
}

/// Edits the GroupInfo's ratchet tree (and, unless told not to at sealing, its tree hash
/// follows). Returns what it did.
fn edit_tree(fx: &Fixture, input: &mut Input<'_>, gi: &mut GroupInfo) -> String {
    let Some(ext) = gi
        .extensions
        .iter_mut()
        .find(|e| e.extension_type == ExtensionType::RATCHET_TREE)
    else {
        return "none to edit".into();
    };
    let Ok(mut nodes) = RatchetTreeNodes::from_bytes(ext.extension_data.as_slice()) else {
        return "undecodable".into();
    };
    let parents: Vec<usize> = (0..nodes.0.len())
        .filter(|i| matches!(nodes.0[*i].as_deref(), Some(Node::Parent(_))))
        .collect();
    let leaves = nodes.0.len().div_ceil(2);
    let pick_parent = |input: &mut Input<'_>| -> Option<usize> {
        (!parents.is_empty()).then(|| parents[usize::from(input.byte()) % parents.len()])
    };
    let what = match input.below(9) {
        0 => {
            let leaf = usize::from(input.below(leaves as u8)) * 2;
            if let Some(n) = nodes.0.get_mut(leaf) {
                *n = None;
            }
            format!("blank leaf {}", leaf / 2)
        }
        1 => {
            let a = usize::from(input.below(leaves as u8)) * 2;
            let b = usize::from(input.below(leaves as u8)) * 2;
            nodes.0.swap(a, b);
            format!("swap leaves {} and {}", a / 2, b / 2)
        }
        2 => {
            nodes.0.push(None);
            "trailing blank".into()
        }
        3 => {
            let n = nodes.0.len().saturating_sub(2);
            nodes.0.truncate(n);
            "last leaf cut".into()
        }
        4 => match pick_parent(input) {
            Some(i) => {
                let leaf = LeafIndex(u32::from(input.below(leaves as u8)));
                if let Some(Some(node)) = nodes.0.get_mut(i)
                    && let Node::Parent(p) = std::sync::Arc::make_mut(node)
                {
                    p.unmerged_leaves.push(leaf);
                }
                format!("unmerged leaf {} at node {i}", leaf.0)
            }
            None => "no parent".into(),
        },
        5 => match pick_parent(input) {
            Some(i) => {
                if let Some(Some(node)) = nodes.0.get_mut(i)
                    && let Node::Parent(p) = std::sync::Arc::make_mut(node)
                {
                    p.parent_hash = flip(p.parent_hash.as_slice()).into();
                }
                format!("parent hash at node {i}")
            }
            None => "no parent".into(),
        },
        6 => match pick_parent(input) {
            Some(i) => {
                let key = leaf_key(&nodes, input.below(leaves as u8));
                if let Some(Some(node)) = nodes.0.get_mut(i)
                    && let Node::Parent(p) = std::sync::Arc::make_mut(node)
                    && let Some(key) = key
                {
                    p.encryption_key = key;
                }
                format!("a leaf's key at node {i}")
            }
            None => "no parent".into(),
        },
        7 => match pick_parent(input) {
            Some(i) => {
                if let Some(n) = nodes.0.get_mut(i) {
                    *n = None;
                }
                format!("blank parent {i}")
            }
            None => "no parent".into(),
        },
        _ => {
            // F's leaf, its capabilities or extensions edited and signed again by F.
            let edit = input.below(3);
            if let Some(Some(node)) = nodes.0.get_mut(0)
                && let Node::Leaf(leaf) = std::sync::Arc::make_mut(node)
            {
                match edit {
                    0 => leaf.capabilities.extensions.clear(),
                    1 => leaf
                        .extensions
                        .push(Extension::new(ExtensionType(SUPPORTED_EXT), vec![7])),
                    _ => leaf
                        .extensions
                        .push(Extension::new(ExtensionType(UNKNOWN_EXT), vec![7])),
                }
                sign_leaf(
                    leaf,
                    &fx.f_signer,
                    Some((gi.group_context.group_id.as_slice(), LeafIndex(0))),
                );
            }
            [
                "F's leaf: no custom capability",
                "F's leaf: custom extension",
                "F's leaf: unknown extension",
            ][usize::from(edit)]
            .into()
        }
    };
    if let Ok(data) = nodes.to_bytes() {
        ext.extension_data = data.into();
    }
    what
}

fn leaf_key(nodes: &RatchetTreeNodes, leaf: u8) -> Option<HpkePublicKey> {
    match nodes.0.get(usize::from(leaf) * 2)?.as_deref()? {
        Node::Leaf(l) => Some(l.encryption_key.clone()),
        Node::Parent(_) => None,
    }
}

/// Computes the tree hash and the tag again, signs, encrypts and encodes the Welcome.
fn seal_welcome(
    fx: &Fixture,
    gi: &mut GroupInfo,
    gs: &GroupSecrets,
    seal: &Seal,
) -> Option<Vec<u8>> {
    let wf = &fx.welcome;
    let p = cohort_crypto_aws_lc::provider();
    let suite = p.suite(CS)?;
    let s = &*suite;
    if !seal.stale_tree_hash
        && let Some(ext) = gi
            .extensions
            .iter()
            .find(|e| e.extension_type == ExtensionType::RATCHET_TREE)
        && let Ok(nodes) = RatchetTreeNodes::from_bytes(ext.extension_data.as_slice())
        && let Ok(mut tree) = RatchetTree::from_nodes(nodes)
        && let Ok(hash) = tree.tree_hash(s)
    {
        gi.group_context.tree_hash = hash.into();
    }
    let psk_value = if seal.wrong_psk {
        Secret::from_slice(&[0x24; 32])
    } else {
        Secret::from_slice(&PSK)
    };
    let ids: Vec<Vec<u8>> = gs.psks.iter().filter_map(|id| id.to_bytes().ok()).collect();
    let inputs: Vec<PskInput<'_>> = ids
        .iter()
        .map(|id| PskInput {
            id,
            psk: &psk_value,
        })
        .collect();
    let psk = psk_secret(s, &inputs).ok()?;
    let joiner = gs.joiner_secret.as_slice();
    let context = gi.group_context.to_bytes().ok()?;
    let epoch = JoinerSecret::new(Secret::from_slice(joiner))
        .into_epoch(s, psk.as_bytes(), &context)
        .ok()?;
    let mut tag = s
        .mac(
            epoch.confirmation_key.as_bytes(),
            gi.group_context.confirmed_transcript_hash.as_slice(),
        )
        .ok()?;
    if seal.bad_tag
        && let Some(b) = tag.first_mut()
    {
        *b ^= 1;
    }
    gi.confirmation_tag = Mac(tag.into());
    let signer = if seal.signed_by_d {
        &fx.d_signer
    } else {
        &fx.f_signer
    };
    let tbs = gi.to_be_signed().ok()?;
    gi.signature = labeled::sign_with_label(signer, b"GroupInfoTBS", &tbs)
        .ok()?
        .into();
    let (key, nonce) = welcome_key(s, joiner, psk.as_bytes())?;
    let mut encrypted_group_info = s
        .aead_seal(key.as_bytes(), nonce.as_bytes(), &[], &gi.to_bytes().ok()?)
        .ok()?;
    let plaintext = gs.to_bytes().ok()?;
    let entry = |context: &[u8]| -> Option<EncryptedGroupSecrets> {
        Some(EncryptedGroupSecrets {
            new_member: KeyPackageRef(wf.kp_ref.clone().into()),
            encrypted_group_secrets: labeled::encrypt_with_label(
                s,
                &wf.key_package.init_key,
                b"Welcome",
                context,
                &plaintext,
            )
            .ok()?,
        })
    };
    let mut welcome = Welcome {
        cipher_suite: CS,
        secrets: Vec::new(),
        encrypted_group_info: VarBytes::default(),
    };
    for edit in &seal.outer {
        match edit {
            0 => welcome.cipher_suite = cohort_crypto::CipherSuite(3),
            3 => {
                let n = encrypted_group_info.len().saturating_sub(1);
                encrypted_group_info.truncate(n);
            }
            _ => {}
        }
    }
    let mine = entry(&encrypted_group_info)?;
    if seal.outer.contains(&2) {
        // Another joiner's entry first: W must find its own by reference.
        let mut other = mine.clone();
        other.new_member = KeyPackageRef(flip(&wf.kp_ref).into());
        welcome.secrets.push(other);
    }
    welcome.secrets.push(mine.clone());
    if seal.outer.contains(&1) {
        welcome.secrets.push(mine);
    }
    welcome.encrypted_group_info = encrypted_group_info.into();
    MlsMessage::new(MlsMessageBody::Welcome(welcome))
        .to_bytes()
        .ok()
}

/// `b` with the low bit of its first byte flipped (a byte 1 if empty).
fn flip(b: &[u8]) -> Vec<u8> {
    let mut v = b.to_vec();
    match v.first_mut() {
        Some(x) => *x ^= 1,
        None => v.push(1),
    }
    v
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    /// The edits `bytes` ask for (after the step's own bytes), tried by both joiners.
    fn attempt_of(bytes: &[u8]) -> Attempt {
        let mut input = Input {
            data: bytes,
            pos: 0,
        };
        attempt(fixture(), &mut input).expect("sealed")
    }

    fn joined(bytes: &[u8]) -> (Vec<u8>, String) {
        let a = attempt_of(bytes);
        let c = a
            .cohort
            .unwrap_or_else(|e| panic!("cohort refused {}: {e}", a.what));
        let m = a
            .mls_rs
            .unwrap_or_else(|e| panic!("mls-rs refused {}: {e}", a.what));
        assert_eq!(c.epoch_authenticator(), m.authenticator(), "{}", a.what);
        assert_eq!(c.own_leaf().0, 4, "W's leaf");
        (c.epoch_authenticator().to_vec(), a.what)
    }

    /// Both refuse; returns the edits and cohort's error.
    fn refused(bytes: &[u8]) -> (String, String) {
        let a = attempt_of(bytes);
        assert!(a.mls_rs.is_err(), "mls-rs joined from {}", a.what);
        match a.cohort {
            Ok(_) => panic!("cohort joined from {}", a.what),
            Err(e) => (a.what, e),
        }
    }

    #[test]
    fn resealed_welcome_joins_both_and_edits_reach_the_deep_checks() {
        // No edit: both join F's epoch.
        let (honest, _) = joined(&[0]);
        assert_eq!(honest, fixture().welcome.authenticator);
        // A joiner secret of the harness's own, the tag and welcome key derived from it: a
        // consistent Welcome of another epoch, which both take.
        let (other, what) = joined(&[1, 14, 32, 0x5a]);
        assert!(what.contains("joiner secret"), "{what}");
        assert_ne!(other, honest);
        // The external PSK both hold, in the GroupSecrets: both join, at another epoch secret.
        let (with_psk, _) = joined(&[1, 15, 1]);
        assert_ne!(with_psk, honest);
        // An entry for another KeyPackage before W's.
        joined(&[1, 17, 2]);
        // A parent hash broken with the tree hash computed again: past the tree hash and the
        // tag, refused for the parent hash.
        let (what, error) = refused(&[1, 11, 1, 5, 0]);
        assert!(what.contains("parent hash"), "{what}");
        assert!(error.contains("valid parent-hash links"), "{error}");
        // A path secret that does not match the tree's key for it.
        let (what, error) = refused(&[1, 13, 1, 32, 7]);
        assert!(what.contains("path secret"), "{what}");
        assert!(error.contains("derived public key differs"), "{error}");
        // The PSK with a wrong value: the welcome key differs from the joiners'.
        let (what, error) = refused(&[1, 15, 0]);
        assert!(what.contains("wrong value"), "{what}");
        assert!(error.contains("decryption of GroupInfo failed"), "{error}");
        // A stale tag.
        let (_, error) = refused(&[1, 4]);
        assert!(error.contains("invalid confirmation tag"), "{error}");
    }
}
