//! Welcome (RFC 9420 §12.4.3.1): how new members learn the group's secrets.

use cohort_codec::{Decode, Encode, SecretVarBytes, VarBytes};
use cohort_crypto::{CipherSuite, HpkeCiphertext};

use crate::key_package::KeyPackageRef;
use crate::psk::PreSharedKeyId;

/// `PathSecret` (RFC 9420 §12.4.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct PathSecret {
    /// The path secret of the lowest common ancestor of the committer and the joiner.
    pub path_secret: SecretVarBytes,
}

/// `GroupSecrets` (RFC 9420 §12.4.3.1): what a Welcome encrypts to each joiner.
///
/// # Security
/// Holds secrets: they are zeroized on drop and redacted in `Debug`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct GroupSecrets {
    /// The joiner secret of the new epoch.
    pub joiner_secret: SecretVarBytes,
    /// A path secret when the commit had a path.
    pub path_secret: Option<PathSecret>,
    /// The PSKs the new epoch uses.
    pub psks: Vec<PreSharedKeyId>,
}

/// `EncryptedGroupSecrets` (RFC 9420 §12.4.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct EncryptedGroupSecrets {
    /// The joiner's KeyPackage.
    pub new_member: KeyPackageRef,
    /// `EncryptWithLabel(init_key, "Welcome", encrypted_group_info, GroupSecrets)`.
    pub encrypted_group_secrets: HpkeCiphertext,
}

/// `Welcome` (RFC 9420 §12.4.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Welcome {
    /// The group's cipher suite.
    pub cipher_suite: CipherSuite,
    /// One entry per joiner.
    pub secrets: Vec<EncryptedGroupSecrets>,
    /// The GroupInfo, encrypted under keys derived from the welcome secret.
    pub encrypted_group_info: VarBytes,
}
