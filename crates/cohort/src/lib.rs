#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![deny(rustdoc::broken_intra_doc_links)]

mod client;
mod delivery;
mod error;
mod policy;
mod remote_signer;

pub use client::{
    AsyncClient, AsyncClientGroup, AsyncLightClientGroup, Client, ClientBuilder, ClientGroup,
    ExternalJoinOptions, GroupOf, LightClientGroup, LightGroupOf, Member, ProposalSender, Received,
};
pub use delivery::{
    DeliveryError, DeliveryPolicy, LostCommit, LostCommitPolicy, Merged, winning_commit,
};
pub use error::Error;
pub use policy::{GroupInfoPolicy, MessagePolicy, Padding};
pub use remote_signer::AsyncSigner;

/// The sans-IO group state machine, for applications that run their own persistence loop.
pub mod group {
    /// The safe application interface of draft-ietf-mls-extensions: component-scoped
    /// signatures, HPKE encryption and exported secrets, Safe AAD, last-resort markings (see
    /// `docs/extensions.md`).
    pub use cohort_group::components;
    /// Light ("partial") members of draft-ietf-mls-partial-02, and the annotator that serves
    /// them from a full member's trees: see `docs/light-clients.md`.
    pub use cohort_group::light;
    /// Why a message failed validation: one typed reason per check, each naming its RFC
    /// section ([`ValidationError`]'s payloads).
    pub use cohort_group::reason;
    pub use cohort_group::{
        AcceptExternalProposals, AllowAllProposals, ApiMisuse, AppComponents, CommitOptions,
        CommitOutput, CommitSummary, CustomProposals, ExternalJoin, ExternalProposalPolicy,
        ExternalPsks, Group, GroupConfig, GroupStatus, HandshakeFormat, JoinInput,
        KeyPackageSecrets, LeafSpec, LifetimePolicy, MaxLifetime, NoAppComponents,
        NoCustomProposals, NoPsks, Processed, PskList, PskTable, RatchetSnapshot, ReplaceAppData,
        SplitState, StagedCommit, StrictChecks, ValidationError, create_key_package,
        external_proposal, fresh_psk_id, key_package_ref, new_member_proposal,
    };
}

/// Storage: the traits a backend implements, and the in-memory backend (feature `memory`).
pub mod storage {
    pub use cohort_storage::{
        AsyncGroupStore, AsyncKeyPackageStore, AsyncPskStore, AsyncStorageProvider, EpochRecord,
        GroupStore, GroupWrite, KeyPackageStore, PskStore, StorageError, StorageErrorKind,
        StorageProvider, StoredGroup, Zeroizing, discard,
    };
    /// The in-memory store (feature `memory`, on by default).
    #[cfg(feature = "memory")]
    pub mod memory {
        pub use cohort_storage_memory::MemoryStore;
    }
    /// The SQLite store (feature `sqlite`): one transaction per group write, WAL mode.
    #[cfg(feature = "sqlite")]
    pub mod sqlite {
        pub use cohort_storage_sqlite::SqliteStore;
    }
}

/// The TLS presentation language as MLS uses it: `Encode`, `Decode`, bounded readers.
pub mod codec {
    pub use cohort_codec::{
        CodecError, Decode, DecodeOptions, Encode, MAX_VECTOR_LEN, Reader, SecretVarBytes, VarBytes,
    };
}

/// Credentials (RFC 9420 §5.3) and the Authentication Service hook (§5.3.1).
pub mod credential {
    /// X.509 credentials validated against trust anchors (feature `x509`).
    #[cfg(feature = "x509")]
    pub use cohort_credential::x509;
    pub use cohort_credential::{
        BasicValidator, Certificate, Credential, CredentialBinding, CredentialContext,
        CredentialError, CredentialType, CredentialValidator, DuplicatePolicy, Identity,
        MultiCredential, MultiCredentialValidator,
    };
}

/// Cipher suites, the public key types on the wire (RFC 9420 §5.1), the provider traits and the
/// crypto backends enabled by Cargo features.
///
/// A backend module only makes a provider available; nothing uses it unless the application
/// passes it in.
pub mod crypto {
    pub use cohort_crypto::{
        CipherSuite, CryptoError, CryptoErrorKind, CryptoProvider, Decapsulator, HpkeCiphertext,
        HpkePrivateKey, HpkePublicKey, PqCodePoints, PqSeedDerivation, Secret, SignaturePrivateKey,
        SignaturePublicKey, SignatureScheme, Signer, SoftwareHpkeKey, SoftwareSigner, SuiteOps,
        labeled,
    };

    /// The aws-lc-rs backend (feature `aws-lc`, on by default): cipher suites 1, 2, 3, 5 and 7,
    /// and the post-quantum drafts' suites through `provider_with_pq_draft` or
    /// `provider_with_pq_code_points`, as on RustCrypto.
    #[cfg(feature = "aws-lc")]
    pub mod aws_lc {
        pub use cohort_crypto_aws_lc::{
            AwsLcPqProvider, AwsLcProvider, provider, provider_with_pq_code_points,
            provider_with_pq_draft,
        };
    }

    /// The ring backend (feature `ring`): cipher suites 1, 2, 3 and 7.
    #[cfg(feature = "ring")]
    pub mod ring {
        pub use cohort_crypto_ring::{RingProvider, provider};
    }

    /// The pure-Rust RustCrypto backend (feature `rustcrypto`): cipher suites 1 to 7, and the
    /// post-quantum drafts' suites through `provider_with_pq_draft` (cohort's private-use code
    /// points) or `provider_with_pq_code_points` (another implementation's numbering too).
    #[cfg(feature = "rustcrypto")]
    pub mod rustcrypto {
        pub use cohort_crypto_rustcrypto::{
            RustCryptoPqProvider, RustCryptoProvider, provider, provider_with_pq_code_points,
            provider_with_pq_draft,
        };
    }
}

/// The ratchet tree: tree math, nodes, leaves, extensions, UpdatePath (RFC 9420 §4, §7).
pub mod tree {
    pub use cohort_tree::{extension, leaf, math, membership, node, partial, path, tree};
}

/// Every wire struct above the tree: KeyPackage, proposals, Commit, GroupInfo, Welcome,
/// framing and MLSMessage (RFC 9420 §6, §10, §12).
pub mod messages {
    pub use cohort_messages::{
        MlsMessage, MlsMessageBody, WireFormat, components, extensions, framing, group_context,
        group_info, key_package, partial, proposal, psk, welcome,
    };
}
