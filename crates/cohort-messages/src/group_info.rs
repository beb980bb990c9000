//! GroupInfo (RFC 9420 §12.4.3): what a joiner learns of the group.

use cohort_codec::{CodecError, Decode, Encode, VarBytes};
use cohort_tree::extension::Extension;
use cohort_tree::math::LeafIndex;

use crate::framing::Mac;
use crate::group_context::GroupContext;

/// `GroupInfo` (RFC 9420 §12.4.3).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct GroupInfo {
    /// The new epoch's group context.
    pub group_context: GroupContext,
    /// GroupInfo extensions (`ratchet_tree`, `external_pub`, ...).
    pub extensions: Vec<Extension>,
    /// The new epoch's confirmation tag.
    pub confirmation_tag: Mac,
    /// The leaf of the member who signed.
    pub signer: LeafIndex,
    /// `SignWithLabel(., "GroupInfoTBS", GroupInfoTBS)`.
    pub signature: VarBytes,
}

impl GroupInfo {
    /// The encoded `GroupInfoTBS`: every field but the signature.
    ///
    /// # Errors
    /// A [`CodecError`] when a field is too long to encode.
    pub fn to_be_signed(&self) -> Result<Vec<u8>, CodecError> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.group_context.encode(&mut out)?;
        self.extensions.encode(&mut out)?;
        self.confirmation_tag.encode(&mut out)?;
        self.signer.encode(&mut out)?;
        Ok(out)
    }
}
