//! The code of docs/group-guide.md beyond the quickstart: framing policy, proposals by reference,
//! leaving, external joins and resync, and `operate`. The book includes the marked parts of this
//! file, so what it shows is what compiles and passes.

use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SoftwareSigner};
use cohort::group::{CommitOptions, GroupStatus, HandshakeFormat, NoPsks};
use cohort::messages::proposal::{Proposal, Remove};
use cohort::messages::{MlsMessage, WireFormat};
use cohort::storage::memory::MemoryStore;
use cohort::{Client, ClientGroup, Error, MessagePolicy, Padding, ProposalSender, Received};

const NOW: u64 = 1_800_000_000;

fn provider() -> Arc<dyn CryptoProvider> {
    Arc::new(cohort::crypto::aws_lc::provider())
}

fn signer(provider: &Arc<dyn CryptoProvider>) -> Result<Arc<SoftwareSigner>, Error> {
    let ops = provider.require_suite(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519)?;
    Ok(Arc::new(SoftwareSigner::generate(ops)?))
}

fn client(name: &str) -> Result<Client, Error> {
    let provider = provider();
    Client::builder(provider.clone())
        .signer(signer(&provider)?)
        .credential(Credential::basic(name.as_bytes().to_vec()))
        .build(Arc::new(MemoryStore::new()))
}

/// `creator`'s new group `id` with every client of `others` added and joined; creator first.
fn group_of(creator: &Client, others: &[&Client]) -> Result<Vec<ClientGroup>, Error> {
    let mut first = creator.create_group(b"guide", NOW)?;
    let key_packages = others
        .iter()
        .map(|c| c.generate_key_package(NOW))
        .collect::<Result<Vec<_>, _>>()?;
    let added = first.add_members(&key_packages, NOW)?;
    first.merge_pending_commit()?;
    let welcome = added.welcome.ok_or(Error::Internal("a Welcome"))?;
    let mut groups = vec![first];
    for other in others {
        groups.push(other.join(&welcome, None, NOW)?);
    }
    Ok(groups)
}

/// Processes a commit and merges it.
fn apply(group: &mut ClientGroup, commit: &MlsMessage) -> Result<(), Error> {
    match group.process_message(commit.clone(), NOW)? {
        Received::Commit(staged) => group.merge_staged(*staged).map(|_| ()),
        _ => Err(Error::Internal("expected a commit")),
    }
}

#[test]
fn framing_policy_and_authenticated_data() -> Result<(), Error> {
    let provider = provider();
    let (signer, credential) = (signer(&provider)?, Credential::basic(b"alice".to_vec()));
    let store = Arc::new(MemoryStore::new());
    // ANCHOR: policy
    let client = Client::builder(provider)
        .signer(signer)
        .credential(credential)
        .message_policy(
            MessagePolicy::default()
                .handshake_format(HandshakeFormat::Private) // commits as PrivateMessages
                .padding(Padding::ToMultipleOf(64)), // lengths hidden to within 64 bytes
        )
        .build(store)?;
    // ANCHOR_END: policy
    let bob = self::client("bob")?;
    let mut groups = group_of(&client, &[&bob])?;
    let update = groups[0].self_update(NOW)?;
    assert_eq!(update.commit.wire_format(), WireFormat::PRIVATE_MESSAGE);
    groups[0].merge_pending_commit()?;
    apply(&mut groups[1], &update.commit)?;

    let [alice_group, bob_group] = &mut groups[..] else {
        return Err(Error::Internal("two members"));
    };
    // ANCHOR: authenticated_data
    let message = alice_group.send_message_with(b"hello", b"routing hint")?;
    match bob_group.process_message(message, NOW)? {
        Received::Application {
            data,
            authenticated_data,
            ..
        } => {
            assert_eq!(data, b"hello");
            assert_eq!(authenticated_data, b"routing hint"); // in the clear, but authenticated
        }
        other => panic!("expected application data, got {other:?}"),
    }
    // ANCHOR_END: authenticated_data
    Ok(())
}

#[test]
fn proposals_by_reference_and_leaving() -> Result<(), Error> {
    let (alice, bob, carol) = (client("alice")?, client("bob")?, client("carol")?);
    let mut groups = group_of(&alice, &[&bob])?;
    let [alice_group, bob_group] = &mut groups[..] else {
        return Err(Error::Internal("two members"));
    };
    let carol_kp = carol.generate_key_package(NOW)?;
    // ANCHOR: proposals
    // Bob proposes adding Carol. A proposal is a message to the group like any other.
    let proposal = bob_group.propose_add(&carol_kp, NOW)?;
    // Alice receives it with its sender, and caches it ...
    let Received::Proposal { sender, proposal } = alice_group.process_message(proposal, NOW)?
    else {
        return Err(Error::Internal("expected a proposal"));
    };
    assert!(matches!(sender, ProposalSender::Member(m) if m.leaf == bob_group.own_leaf()));
    assert!(matches!(*proposal, Proposal::Add(_)));
    // ... until a member (any member, Bob included) commits every cached proposal.
    let out = alice_group.commit_pending(NOW)?;
    alice_group.merge_pending_commit()?; // once the Delivery Service has accepted it
    let Received::Commit(staged) = bob_group.process_message(out.commit, NOW)? else {
        return Err(Error::Internal("expected a commit"));
    };
    assert_eq!(staged.summary().added.len(), 1);
    bob_group.merge_staged(*staged)?;
    let welcome = out
        .welcome
        .ok_or(Error::Internal("an Add makes a Welcome"))?;
    let mut carol_group = carol.join(&welcome, None, NOW)?;

    // Leaving is a proposal too: Carol proposes her own removal, and another member commits it.
    let leaving = carol_group.leave(NOW)?;
    alice_group.process_message(leaving.clone(), NOW)?;
    bob_group.process_message(leaving, NOW)?;
    let out = bob_group.commit_pending(NOW)?;
    bob_group.merge_pending_commit()?;
    let Received::Commit(staged) = carol_group.process_message(out.commit.clone(), NOW)? else {
        return Err(Error::Internal("expected a commit"));
    };
    assert!(staged.summary().removes_us);
    carol_group.merge_staged(*staged)?;
    assert_eq!(carol_group.status(), GroupStatus::Removed);
    carol.delete_group(carol_group.id())?; // nothing more is readable: forget it
    // ANCHOR_END: proposals
    apply(alice_group, &out.commit)?;
    assert_eq!(
        alice_group.epoch_authenticator(),
        bob_group.epoch_authenticator()
    );
    assert_eq!(alice_group.members().len(), 2);
    Ok(())
}

#[test]
fn external_join_and_resync() -> Result<(), Error> {
    let (alice, bob, dave) = (client("alice")?, client("bob")?, client("dave")?);
    let mut groups = group_of(&alice, &[&bob])?;
    let [alice_group, bob_group] = &mut groups[..] else {
        return Err(Error::Internal("two members"));
    };
    // ANCHOR: external
    // A member publishes a signed GroupInfo, with the ratchet tree, for whoever may join.
    let group_info = alice_group.group_info()?;
    // Dave joins from it alone: his group is already in the new epoch, and the others process
    // his commit like any other.
    let (dave_group, commit) = dave.join_by_external_commit(&group_info, None, NOW)?;
    apply(alice_group, &commit)?; // process_message, then merge_staged
    apply(bob_group, &commit)?;

    // A member that lost its state, or missed commits it can no longer process, resyncs: an
    // external commit that replaces its own leaf.
    let group_info = alice_group.group_info()?;
    let commit = bob_group.resync(&group_info, NOW)?;
    apply(alice_group, &commit)?;
    // ANCHOR_END: external
    let mut dave_group = dave_group;
    apply(&mut dave_group, &commit)?;
    for g in [&*bob_group, &dave_group] {
        assert_eq!(g.epoch_authenticator(), alice_group.epoch_authenticator());
    }
    assert_eq!(alice_group.members().len(), 3);
    Ok(())
}

#[test]
fn operate_runs_any_group_operation() -> Result<(), Error> {
    let (alice, bob) = (client("alice")?, client("bob")?);
    let mut groups = group_of(&alice, &[&bob])?;
    let leaf = groups[1].own_leaf();
    let group = &mut groups[0];
    // ANCHOR: operate
    // A commit with proposals by value and options of its own: authenticated data, and a path
    // even though a Remove alone would not need one.
    let mut options = CommitOptions::new();
    options.authenticated_data = b"removed by policy".to_vec();
    options.force_path = true;
    let out = group.operate(move |g, signer| {
        let remove = Proposal::Remove(Remove { removed: leaf });
        g.commit(signer, vec![remove], &options, &NoPsks, Some(NOW))
    })?;
    group.merge_pending_commit()?;
    // ANCHOR_END: operate
    apply(&mut groups[1], &out.commit)?;
    assert_eq!(groups[1].status(), GroupStatus::Removed);
    assert_eq!(groups[0].members().len(), 1);
    Ok(())
}
