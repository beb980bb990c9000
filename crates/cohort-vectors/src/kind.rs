//! The vector kinds: one per upstream file format.

use std::fmt;
use std::str::FromStr;

/// A vector file format, named after the upstream file's stem.
///
/// The three `passive-client-*` files share one format, [`Kind::PassiveClient`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `tree-math`: tree math (RFC 9420 §4.1, Appendix C).
    TreeMath,
    /// `deserialization`: variable-length vector headers (§2.1.2).
    Deserialization,
    /// `crypto-basics`: the labelled crypto helpers (§5, §8).
    CryptoBasics,
    /// `secret-tree`: the secret tree and its ratchets (§9).
    SecretTree,
    /// `message-protection`: PublicMessage and PrivateMessage protection (§6).
    MessageProtection,
    /// `key-schedule`: the epoch key schedule (§8).
    KeySchedule,
    /// `psk_secret`: PSK chaining (§8.4).
    PskSecret,
    /// `transcript-hashes`: transcript hashes and the confirmation tag (§8.2).
    TranscriptHashes,
    /// `welcome`: opening a Welcome (§12.4.3.1).
    Welcome,
    /// `tree-operations`: applying proposals to a tree (§7.7, §12.1).
    TreeOperations,
    /// `tree-validation`: resolutions, tree hashes, parent hashes, leaf signatures (§7).
    TreeValidation,
    /// `treekem`: UpdatePath creation and processing (§7.4 to §7.6).
    TreeKem,
    /// `messages`: decode and re-encode every wire struct.
    Messages,
    /// `passive-client`: the `passive-client-*` files, a client joining and following a group.
    PassiveClient,
    /// `hpke-pq`: the HPKE vectors of draft-ietf-hpke-pq (`hpke-pq-test-vectors.json`), base
    /// mode over the post-quantum and hybrid KEMs and the SHAKE/TurboSHAKE KDFs.
    HpkePq,
    /// `partial-membership-proofs`: membership proofs of draft-ietf-mls-partial-02.
    PartialMembershipProofs,
    /// `partial-message-syntax`: the encodings of partial MLS's new structures.
    PartialMessageSyntax,
    /// `partial-sender-authenticated-messages`: messages with their sender's proof.
    PartialSenderAuthenticatedMessages,
    /// `partial-tree-operations`: a light receiver's commit secret from an UpdatePath.
    PartialTreeOperations,
    /// `partial-annotated-welcome`: joining as a light client.
    PartialAnnotatedWelcome,
    /// `partial-annotated-commit`: a light client processing a commit.
    PartialAnnotatedCommit,
    /// `partial-passive-client-scenarios`: a light client following a group.
    PartialPassiveClientScenarios,
}

impl Kind {
    /// Every kind, in the order the vectors are run.
    pub const ALL: [Kind; 22] = [
        Kind::TreeMath,
        Kind::Deserialization,
        Kind::CryptoBasics,
        Kind::SecretTree,
        Kind::MessageProtection,
        Kind::KeySchedule,
        Kind::PskSecret,
        Kind::TranscriptHashes,
        Kind::Welcome,
        Kind::TreeOperations,
        Kind::TreeValidation,
        Kind::TreeKem,
        Kind::Messages,
        Kind::PassiveClient,
        Kind::HpkePq,
        Kind::PartialMembershipProofs,
        Kind::PartialMessageSyntax,
        Kind::PartialSenderAuthenticatedMessages,
        Kind::PartialTreeOperations,
        Kind::PartialAnnotatedWelcome,
        Kind::PartialAnnotatedCommit,
        Kind::PartialPassiveClientScenarios,
    ];

    /// The kind's name on the command line: the upstream stem, or `passive-client`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::TreeMath => "tree-math",
            Kind::Deserialization => "deserialization",
            Kind::CryptoBasics => "crypto-basics",
            Kind::SecretTree => "secret-tree",
            Kind::MessageProtection => "message-protection",
            Kind::KeySchedule => "key-schedule",
            Kind::PskSecret => "psk_secret",
            Kind::TranscriptHashes => "transcript-hashes",
            Kind::Welcome => "welcome",
            Kind::TreeOperations => "tree-operations",
            Kind::TreeValidation => "tree-validation",
            Kind::TreeKem => "treekem",
            Kind::Messages => "messages",
            Kind::PassiveClient => PASSIVE_CLIENT,
            Kind::HpkePq => "hpke-pq",
            Kind::PartialMembershipProofs => "partial-membership-proofs",
            Kind::PartialMessageSyntax => "partial-message-syntax",
            Kind::PartialSenderAuthenticatedMessages => "partial-sender-authenticated-messages",
            Kind::PartialTreeOperations => "partial-tree-operations",
            Kind::PartialAnnotatedWelcome => "partial-annotated-welcome",
            Kind::PartialAnnotatedCommit => "partial-annotated-commit",
            Kind::PartialPassiveClientScenarios => "partial-passive-client-scenarios",
        }
    }

    /// Infers the kind from a file name such as `tree-math.json` or
    /// `passive-client-random.json`: the name without `.json` must be a kind's stem, or start
    /// with `passive-client`, or be `hpke-pq-test-vectors` (the upstream name of the
    /// draft-ietf-hpke-pq file), or `test-vector-partial-<name>` (the files of
    /// draft-ietf-mls-partial-02, kind `partial-<name>`). `None` for anything else.
    pub fn from_file_name(name: &str) -> Option<Kind> {
        let stem = name.strip_suffix(".json")?;
        let stem = stem.strip_prefix("test-vector-").unwrap_or(stem);
        if stem.starts_with(PASSIVE_CLIENT) {
            return Some(Kind::PassiveClient);
        }
        if stem == cohort_test_vectors::hpke_pq::STEM {
            return Some(Kind::HpkePq);
        }
        stem.parse().ok()
    }

    /// Whether the kind's checks need a crypto backend. Reports of the other kinds carry no
    /// backend name.
    pub fn uses_crypto(self) -> bool {
        !matches!(
            self,
            Kind::TreeMath | Kind::Deserialization | Kind::Messages | Kind::PartialMessageSyntax
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = UnknownKind;

    /// Parses a kind name: a kind's [`Kind::as_str`], or the stem of one of the three upstream
    /// passive-client files.
    fn from_str(s: &str) -> Result<Kind, UnknownKind> {
        if let Some(kind) = Kind::ALL.into_iter().find(|k| k.as_str() == s) {
            return Ok(kind);
        }
        if cohort_test_vectors::passive_client::STEMS.contains(&s) {
            return Ok(Kind::PassiveClient);
        }
        Err(UnknownKind(s.to_owned()))
    }
}

/// A string that names no [`Kind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown vector kind {0:?}; kinds: tree-math, deserialization, crypto-basics, secret-tree, \
     message-protection, key-schedule, psk_secret, transcript-hashes, welcome, tree-operations, \
     tree-validation, treekem, messages, passive-client, hpke-pq, partial-membership-proofs, \
     partial-message-syntax, partial-sender-authenticated-messages, partial-tree-operations, \
     partial-annotated-welcome, partial-annotated-commit, partial-passive-client-scenarios"
)]
pub struct UnknownKind(pub String);

const PASSIVE_CLIENT: &str = "passive-client";

#[cfg(test)]
mod tests {
    use super::Kind;

    #[test]
    fn names_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(kind.as_str().parse::<Kind>(), Ok(kind));
            assert_eq!(Kind::from_file_name(&format!("{kind}.json")), Some(kind));
        }
    }

    #[test]
    fn passive_client_names() {
        for name in [
            "passive-client-welcome",
            "passive-client-handling-commit",
            "passive-client-random",
        ] {
            assert_eq!(name.parse::<Kind>(), Ok(Kind::PassiveClient));
        }
        assert_eq!(
            Kind::from_file_name("passive-client-extra.json"),
            Some(Kind::PassiveClient)
        );
        assert!("passive-client-extra".parse::<Kind>().is_err());
    }

    #[test]
    fn unknown_names() {
        assert!("tree_math".parse::<Kind>().is_err());
        assert_eq!(Kind::from_file_name("README.md"), None);
        assert_eq!(Kind::from_file_name("tree-math"), None);
        assert_eq!(Kind::from_file_name("other.json"), None);
        assert_eq!(
            Kind::from_file_name("hpke-pq-test-vectors.json"),
            Some(Kind::HpkePq)
        );
    }
}
