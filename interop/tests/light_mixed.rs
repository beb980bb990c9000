//! A light member (draft-ietf-mls-partial-02) in a group whose full members are OpenMLS 0.9.2,
//! mls-rs 0.57 and cohort: OpenMLS creates the group and adds everyone; the cohort full member
//! annotates every commit for the light member from its own trees (as a Delivery Service that
//! holds the tree would), whoever made the commit: self-updates by each, OpenMLS's removal of
//! mls-rs and its add of a new mls-rs member. After every commit all members agree on the epoch
//! authenticator; the light member then reads a message from OpenMLS and sends one the
//! full members read.

use cohort::codec::{Decode, Encode};
use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::group::light::{LightGroup, annotate_commit, annotate_welcome};
use cohort::group::{
    Group, GroupConfig, JoinInput, LeafSpec, NoPsks, Processed, create_key_package,
};
use cohort::messages::partial::SenderAuthenticated;
use cohort::messages::{MlsMessage, MlsMessageBody};
use cohort::tree::math::LeafIndex;
use cohort::tree::membership::MembershipProof;
use cohort::tree::tree::RatchetTree;
use cohort_interop::{Implementation, Incoming, Member, MemberOptions};

const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
/// The peers check lifetimes against the clock: so do we.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The cohort full member, the light member, and the suite.
struct Cohort {
    full: Group,
    full_signer: SoftwareSigner,
    light: LightGroup,
    light_signer: SoftwareSigner,
    suite: std::sync::Arc<dyn cohort::crypto::SuiteOps>,
}

impl Cohort {
    /// The full member processes `commit` (made by a peer); the light member processes it as
    /// the full member annotates it.
    fn follow(&mut self, commit: &[u8]) {
        let before = self.full.tree().clone();
        let message = MlsMessage::from_bytes(commit).expect("decode");
        let committer = match &message.body {
            MlsMessageBody::PublicMessage(m) => match m.content.sender {
                cohort::messages::framing::Sender::Member(leaf) => leaf,
                other => panic!("a commit from {other:?}"),
            },
            _ => panic!("a PublicMessage commit"),
        };
        match self
            .full
            .process_message(message.clone(), &NoPsks, Some(now()))
            .expect("the cohort full member processes")
        {
            Processed::Commit(staged) => self.full.merge_staged(*staged).expect("merge"),
            other => panic!("{other:?}"),
        }
        self.light_follows(&before, message, committer);
    }

    /// The light member processes `commit`, annotated from `before` and the full member's tree.
    fn light_follows(&mut self, before: &RatchetTree, commit: MlsMessage, committer: LeafIndex) {
        let annotated = annotate_commit(
            &*self.suite,
            before,
            self.full.tree(),
            commit,
            committer,
            self.light.own_leaf(),
        )
        .expect("annotate");
        self.light
            .process_commit(&annotated, &NoPsks)
            .expect("the light member processes");
    }

    /// `message` (a PrivateMessage from `sender`) with the sender's proof.
    fn annotate(
        &self,
        message: &[u8],
        sender: LeafIndex,
    ) -> SenderAuthenticated<cohort::messages::framing::PrivateMessage> {
        let MlsMessageBody::PrivateMessage(m) =
            MlsMessage::from_bytes(message).expect("decode").body
        else {
            panic!("a PrivateMessage")
        };
        let mut tree = self.full.tree().clone();
        SenderAuthenticated {
            message: m,
            sender_membership_proof: MembershipProof::from_tree(&mut tree, &*self.suite, sender)
                .expect("proof"),
        }
    }
}

fn key_package(
    provider: &dyn CryptoProvider,
    name: &str,
) -> (
    cohort::messages::key_package::KeyPackage,
    cohort::group::KeyPackageSecrets,
    SoftwareSigner,
) {
    let signer = SoftwareSigner::generate(provider.suite(CS).expect("suite")).expect("signer");
    let spec = LeafSpec::new(Credential::basic(name.as_bytes().to_vec()), now(), 30);
    let (kp, secrets) = create_key_package(provider, CS, &signer, &spec).expect("kp");
    (kp, secrets, signer)
}

fn bytes(kp: &cohort::messages::key_package::KeyPackage) -> Vec<u8> {
    MlsMessage::new(MlsMessageBody::KeyPackage(kp.clone()))
        .to_bytes()
        .expect("encode")
}

/// Every member's epoch authenticator, the light member's last.
fn authenticators(peers: &[&dyn Member], cohort: &Cohort) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = peers
        .iter()
        .map(|p| p.epoch_authenticator().expect("in the group"))
        .collect();
    out.push(cohort.full.epoch_authenticator().to_vec());
    out.push(cohort.light.epoch_authenticator().to_vec());
    out
}

fn all_equal(values: &[Vec<u8>]) -> bool {
    values.windows(2).all(|w| w[0] == w[1])
}

#[test]
fn light_member_with_openmls_mls_rs_and_cohort_full_members() {
    let provider = cohort::crypto::rustcrypto::provider();
    let options = MemberOptions::default();
    let mut openmls = Implementation::OpenMls
        .new_member("openmls", CS.0, options)
        .expect("OpenMLS");
    let mut mls_rs = Implementation::MlsRs
        .new_member("mls-rs", CS.0, options)
        .expect("mls-rs");
    let (full_kp, full_secrets, full_signer) = key_package(&provider, "cohort");
    let (light_kp, light_secrets, light_signer) = key_package(&provider, "light");

    // OpenMLS creates the group and adds mls-rs, the cohort full member and the light member.
    openmls.create_group(b"light-mixed").expect("create");
    let rs_kp = mls_rs.key_package().expect("kp");
    let out = openmls
        .add_members(&[rs_kp, bytes(&full_kp), bytes(&light_kp)])
        .expect("add");
    let welcome_bytes = out.welcome.expect("a Welcome");
    mls_rs.join(&welcome_bytes).expect("mls-rs joins");
    let MlsMessageBody::Welcome(welcome) =
        MlsMessage::from_bytes(&welcome_bytes).expect("decode").body
    else {
        panic!("not a Welcome")
    };
    let full = Group::join(
        &provider,
        JoinInput {
            welcome: &welcome,
            key_package: &full_kp,
            secrets: &full_secrets,
            ratchet_tree: None,
            now: Some(now()),
        },
        &NoPsks,
        GroupConfig::default(),
    )
    .expect("the cohort full member joins");
    let suite = provider.suite(CS).expect("suite");
    let light_leaf = (0..full.tree().leaf_count())
        .map(LeafIndex)
        .find(|l| full.tree().leaf(*l) == Some(&light_kp.leaf_node))
        .expect("the light member's leaf");
    let sender = LeafIndex(openmls.own_leaf().expect("leaf"));
    let annotated = annotate_welcome(&*suite, full.tree(), welcome, sender, light_leaf)
        .expect("annotate the Welcome");
    let light = LightGroup::join(&provider, &annotated, &light_kp, &light_secrets, &NoPsks)
        .expect("the light member joins");
    let mut cohort = Cohort {
        full,
        full_signer,
        light,
        light_signer,
        suite,
    };
    assert!(all_equal(&authenticators(&[&*openmls, &*mls_rs], &cohort)));

    // Commits by OpenMLS, mls-rs and cohort (self-updates, then OpenMLS removes mls-rs), each
    // annotated by the cohort full member for the light member.
    let steps: [(&str, &str); 5] = [
        ("openmls", "update"),
        ("mls-rs", "update"),
        ("cohort", "update"),
        ("openmls", "remove mls-rs"),
        ("cohort", "update"),
    ];
    let mls_rs_leaf = mls_rs.own_leaf().expect("leaf");
    let mut mls_rs_in = true;
    for (committer, what) in steps {
        match committer {
            "openmls" => {
                let c = if what == "update" {
                    openmls.self_update().expect("update")
                } else {
                    openmls.remove(mls_rs_leaf).expect("remove")
                };
                if mls_rs_in {
                    mls_rs.process(&c).expect("mls-rs processes");
                }
                cohort.follow(&c);
                mls_rs_in &= what == "update";
            }
            "mls-rs" => {
                let c = mls_rs.self_update().expect("update");
                openmls.process(&c).expect("OpenMLS processes");
                cohort.follow(&c);
            }
            _ => {
                let before = cohort.full.tree().clone();
                let out = cohort
                    .full
                    .self_update(
                        &cohort.full_signer,
                        &cohort::group::CommitOptions::new(),
                        Some(now()),
                    )
                    .expect("update");
                cohort.full.merge_pending_commit().expect("merge");
                let c = out.commit.to_bytes().expect("encode");
                openmls.process(&c).expect("OpenMLS processes");
                if mls_rs_in {
                    mls_rs.process(&c).expect("mls-rs processes");
                }
                let own = cohort.full.own_leaf();
                cohort.light_follows(&before, out.commit, own);
            }
        }
        let peers: Vec<&dyn Member> = if mls_rs_in {
            vec![&*openmls, &*mls_rs]
        } else {
            vec![&*openmls]
        };
        assert!(
            all_equal(&authenticators(&peers, &cohort)),
            "after {committer}'s {what}"
        );
    }

    // OpenMLS adds a new mls-rs member; the light member follows the add from its annotation.
    let mut newcomer = Implementation::MlsRs
        .new_member("mls-rs 2", CS.0, options)
        .expect("mls-rs");
    let kp = newcomer.key_package().expect("kp");
    let out = openmls.add_members(&[kp]).expect("add");
    cohort.follow(&out.commit);
    newcomer
        .join(&out.welcome.expect("a Welcome"))
        .expect("the newcomer joins");
    assert!(
        all_equal(&authenticators(&[&*openmls, &*newcomer], &cohort)),
        "after OpenMLS's add"
    );

    // Application messages: OpenMLS to the light member (annotated with OpenMLS's proof), the
    // light member to OpenMLS and the cohort full member.
    let m = openmls.encrypt(b"from openmls").expect("encrypt");
    let read = cohort
        .light
        .process_application(&cohort.annotate(&m, sender))
        .expect("the light member reads");
    assert_eq!(read.data, b"from openmls");
    assert_eq!(read.credential, Credential::basic(b"openmls".to_vec()));
    let sent = cohort
        .light
        .encrypt_application(&cohort.light_signer, b"from light", b"", 0)
        .expect("the light member sends");
    let wire = MlsMessage::new(MlsMessageBody::PrivateMessage(sent.message))
        .to_bytes()
        .expect("encode");
    match openmls.process(&wire).expect("OpenMLS reads") {
        Incoming::Application(data) => assert_eq!(data, b"from light"),
        other => panic!("{other:?}"),
    }
    match cohort
        .full
        .process_message(
            MlsMessage::from_bytes(&wire).expect("decode"),
            &NoPsks,
            Some(now()),
        )
        .expect("cohort reads")
    {
        Processed::Application { data, .. } => assert_eq!(data, b"from light"),
        other => panic!("{other:?}"),
    }
}
