//! The service answers hostile or wrong requests with a status that says what was wrong, and
//! serves StateAuth and Export consistently with the group.

use cohort_interop_client::proto;
use cohort_interop_client::proto::mls_client_server::MlsClient;
use cohort_interop_client::server::CohortClient;
use tonic::{Code, Request};

async fn group(client: &CohortClient) -> u32 {
    client
        .create_group(Request::new(proto::CreateGroupRequest {
            group_id: b"group".to_vec(),
            cipher_suite: 1,
            encrypt_handshake: false,
            identity: b"alice".to_vec(),
        }))
        .await
        .unwrap()
        .into_inner()
        .state_id
}

#[tokio::test]
async fn bad_requests_get_a_status_not_a_panic() {
    let client = CohortClient::new();
    let state_id = group(&client).await;

    let err = client
        .state_auth(Request::new(proto::StateAuthRequest { state_id: 999 }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert!(err.message().contains("999"), "{}", err.message());

    let err = client
        .create_group(Request::new(proto::CreateGroupRequest {
            cipher_suite: 0x1_0001,
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    let err = client
        .handle_commit(Request::new(proto::HandleCommitRequest {
            state_id,
            proposal: vec![vec![0xff; 7]],
            commit: vec![1, 2, 3],
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("proposal"), "{}", err.message());

    let err = client
        .external_join(Request::new(proto::ExternalJoinRequest {
            group_info: vec![0, 1, 0, 3],
            identity: b"bob".to_vec(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    let err = client
        .remove_proposal(Request::new(proto::RemoveProposalRequest {
            state_id,
            removed_id: b"nobody".to_vec(),
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("nobody"), "{}", err.message());

    let err = client
        .export(Request::new(proto::ExportRequest {
            state_id,
            label: "x".into(),
            context: Vec::new(),
            key_length: 1 << 20,
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    let err = client
        .new_member_add_proposal(Request::new(proto::NewMemberAddProposalRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("group_info"), "{}", err.message());

    let err = client
        .add_external_signer(Request::new(proto::AddExternalSignerRequest {
            state_id,
            external_sender: vec![0xff; 3],
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().contains("external_sender"),
        "{}",
        err.message()
    );

    let err = client
        .external_signer_proposal(Request::new(proto::ExternalSignerProposalRequest {
            signer_id: 4242,
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert!(err.message().contains("4242"), "{}", err.message());

    let err = client
        .create_branch(Request::new(proto::CreateBranchRequest {
            state_id,
            key_packages: vec![b"not a key package".to_vec()],
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    let err = client
        .handle_re_init_welcome(Request::new(proto::HandleReInitWelcomeRequest {
            reinit_id: state_id,
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    let err = client
        .handle_pending_commit(Request::new(proto::HandlePendingCommitRequest { state_id }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);

    client
        .free(Request::new(proto::FreeRequest { state_id }))
        .await
        .unwrap();
    let err = client
        .free(Request::new(proto::FreeRequest { state_id }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

#[tokio::test]
async fn export_and_state_auth() {
    let client = CohortClient::new();
    let state_id = group(&client).await;
    let export = |length| {
        client.export(Request::new(proto::ExportRequest {
            state_id,
            label: "label".into(),
            context: b"context".to_vec(),
            key_length: length,
        }))
    };
    let a = export(32).await.unwrap().into_inner().exported_secret;
    let b = export(32).await.unwrap().into_inner().exported_secret;
    assert_eq!(a.len(), 32);
    assert_eq!(a, b);
    let auth = client
        .state_auth(Request::new(proto::StateAuthRequest { state_id }))
        .await
        .unwrap()
        .into_inner()
        .state_auth_secret;
    assert!(!auth.is_empty());
}

/// ExternalJoin with PSKs: the joiner's commit injects them, a member that stored the PSK
/// reaches the joiner's epoch authenticator, and a member that did not rejects the commit.
#[tokio::test]
async fn external_join_with_psks() {
    let client = CohortClient::new();
    let psk = proto::PreSharedKey {
        psk_id: b"the psk".to_vec(),
        psk_secret: vec![7; 32],
    };
    // Two joins from the same GroupInfo: carol's names a PSK alice lacks, bob's the one alice
    // stored.
    let alice = group(&client).await;
    client
        .store_psk(Request::new(proto::StorePskRequest {
            state_or_transaction_id: alice,
            psk_id: psk.psk_id.clone(),
            psk_secret: psk.psk_secret.clone(),
        }))
        .await
        .unwrap();
    let group_info = client
        .group_info(Request::new(proto::GroupInfoRequest {
            state_id: alice,
            external_tree: false,
        }))
        .await
        .unwrap()
        .into_inner()
        .group_info;

    let unknown = proto::PreSharedKey {
        psk_id: b"another psk".to_vec(),
        psk_secret: vec![8; 32],
    };
    let carol = client
        .external_join(Request::new(proto::ExternalJoinRequest {
            group_info: group_info.clone(),
            identity: b"carol".to_vec(),
            psks: vec![unknown],
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let err = client
        .handle_commit(Request::new(proto::HandleCommitRequest {
            state_id: alice,
            proposal: Vec::new(),
            commit: carol.commit,
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{}", err.message());

    let bob = client
        .external_join(Request::new(proto::ExternalJoinRequest {
            group_info,
            identity: b"bob".to_vec(),
            psks: vec![psk],
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let handled = client
        .handle_commit(Request::new(proto::HandleCommitRequest {
            state_id: alice,
            proposal: Vec::new(),
            commit: bob.commit,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(handled.epoch_authenticator, bob.epoch_authenticator);
}

/// An external signer can propose to a group only once the group lists it in
/// `external_senders` (RFC 9420 §12.1.8): before `AddExternalSigner` is committed the request
/// is refused, after it the proposal is made.
#[tokio::test]
async fn external_signer_proposes_only_once_listed() {
    let client = CohortClient::new();
    let state_id = group(&client).await;
    let signer = client
        .create_external_signer(Request::new(proto::CreateExternalSignerRequest {
            cipher_suite: 1,
            identity: b"ds".to_vec(),
        }))
        .await
        .unwrap()
        .into_inner();
    let group_info = async |state_id| {
        client
            .group_info(Request::new(proto::GroupInfoRequest {
                state_id,
                external_tree: false,
            }))
            .await
            .unwrap()
            .into_inner()
            .group_info
    };
    let propose = async |group_info: Vec<u8>| {
        client
            .external_signer_proposal(Request::new(proto::ExternalSignerProposalRequest {
                signer_id: signer.signer_id,
                signer_index: 0,
                group_info,
                ratchet_tree: Vec::new(),
                description: Some(proto::ProposalDescription {
                    proposal_type: b"remove".to_vec(),
                    removed_id: b"alice".to_vec(),
                    ..Default::default()
                }),
            }))
            .await
    };
    let err = propose(group_info(state_id).await).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{}", err.message());

    client
        .add_external_signer(Request::new(proto::AddExternalSignerRequest {
            state_id,
            external_sender: signer.external_sender.clone(),
        }))
        .await
        .unwrap();
    let committed = client
        .commit(Request::new(proto::CommitRequest {
            state_id,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(!committed.commit.is_empty());
    let state_id = client
        .handle_pending_commit(Request::new(proto::HandlePendingCommitRequest { state_id }))
        .await
        .unwrap()
        .into_inner()
        .state_id;
    let proposal = propose(group_info(state_id).await)
        .await
        .unwrap()
        .into_inner()
        .proposal;
    assert!(!proposal.is_empty());
}

/// CreateKeyPackage returns the signature key it generated and no KeyPackage private keys (the
/// facade keeps those in the client's store); JoinGroup joins with the transaction's client in
/// the framing it asks for, and uses the transaction up.
#[tokio::test]
async fn key_package_transaction_joins_with_the_requested_framing() {
    let client = CohortClient::new();
    let alice = group(&client).await;
    let kp = client
        .create_key_package(Request::new(proto::CreateKeyPackageRequest {
            cipher_suite: 1,
            identity: b"bob".to_vec(),
        }))
        .await
        .unwrap()
        .into_inner();
    // An Ed25519 private key (suite 1).
    assert_eq!(kp.signature_priv.len(), 32);
    assert!(kp.init_priv.is_empty() && kp.encryption_priv.is_empty());

    let committed = client
        .commit(Request::new(proto::CommitRequest {
            state_id: alice,
            by_value: vec![proto::ProposalDescription {
                proposal_type: b"add".to_vec(),
                key_package: kp.key_package,
                ..Default::default()
            }],
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let alice_auth = client
        .handle_pending_commit(Request::new(proto::HandlePendingCommitRequest {
            state_id: alice,
        }))
        .await
        .unwrap()
        .into_inner()
        .epoch_authenticator;
    let join = proto::JoinGroupRequest {
        transaction_id: kp.transaction_id,
        welcome: committed.welcome,
        encrypt_handshake: true,
        ..Default::default()
    };
    let bob = client
        .join_group(Request::new(join.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bob.epoch_authenticator, alice_auth);
    let err = client.join_group(Request::new(join)).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{}", err.message());

    // Bob's handshake messages are PrivateMessages: an MLSMessage's wire_format (after the
    // two-byte version) is 2.
    let proposal = client
        .update_proposal(Request::new(proto::UpdateProposalRequest {
            state_id: bob.state_id,
        }))
        .await
        .unwrap()
        .into_inner()
        .proposal;
    assert_eq!(proposal[2..4], [0, 2]);
}

/// The client advertises the suites of RFC 9420 and the post-quantum suites, at cohort's
/// private-use code points and at OpenMLS's, and creates a group in one of OpenMLS's.
#[tokio::test]
async fn post_quantum_suites_are_advertised_and_usable() {
    let client = CohortClient::new();
    let suites = client
        .supported_ciphersuites(Request::new(proto::SupportedCiphersuitesRequest {}))
        .await
        .unwrap()
        .into_inner()
        .ciphersuites;
    for suite in [1, 7, 0xFF01, 0xFF0B, 0x004F, 0x0051, 0x0907] {
        assert!(suites.contains(&suite), "{suite:#06x} in {suites:?}");
    }
    client
        .create_group(Request::new(proto::CreateGroupRequest {
            group_id: b"pq".to_vec(),
            cipher_suite: 0x004F,
            encrypt_handshake: false,
            identity: b"alice".to_vec(),
        }))
        .await
        .unwrap();
}
