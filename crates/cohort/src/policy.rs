//! How a client frames what it sends: handshake messages in the clear or encrypted, and how much
//! padding hides the length of application data.

use cohort_group::HandshakeFormat;

/// How a client frames the messages it sends. The default sends commits as PublicMessages and
/// pads nothing.
///
/// ```
/// use cohort::{MessagePolicy, Padding};
/// use cohort::group::HandshakeFormat;
///
/// // Hide commits from the Delivery Service, and message lengths to within 64 bytes.
/// let policy = MessagePolicy::default()
///     .handshake_format(HandshakeFormat::Private)
///     .padding(Padding::ToMultipleOf(64));
/// assert_eq!(policy.padding_for(10), 54);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MessagePolicy {
    /// How commits are framed (RFC 9420 §6): as a PublicMessage, which a Delivery Service can
    /// inspect to order and filter commits (the default), or as a PrivateMessage, which hides
    /// them from it.
    pub handshake_format: HandshakeFormat,
    /// Padding of application messages (RFC 9420 §6.3).
    pub padding: Padding,
    /// Whether every commit also returns a signed GroupInfo for external joiners
    /// (`CommitOutput::group_info`). Default: no; publish one when needed with
    /// [`GroupOf::group_info`](crate::GroupOf::group_info).
    pub group_info: GroupInfoPolicy,
}

impl MessagePolicy {
    /// The policy with commits framed as `format`.
    pub fn handshake_format(mut self, format: HandshakeFormat) -> Self {
        self.handshake_format = format;
        self
    }

    /// The policy with application messages padded by `padding`.
    pub fn padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }

    /// The policy with `group_info` deciding whether commits carry a GroupInfo.
    pub fn group_info(mut self, group_info: GroupInfoPolicy) -> Self {
        self.group_info = group_info;
        self
    }

    /// The number of zero bytes to pad `data_len` bytes of application data with.
    pub fn padding_for(&self, data_len: usize) -> usize {
        match self.padding {
            Padding::None => 0,
            Padding::ToMultipleOf(0) => 0,
            Padding::ToMultipleOf(block) => (block - data_len % block) % block,
        }
    }
}

/// How much zero padding an application message carries (RFC 9420 §6.3). Padding hides the
/// exact length of what is sent from everyone but the group's members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Padding {
    /// No padding (the default).
    #[default]
    None,
    /// Pad the data up to the next multiple of this many bytes, so that messages whose lengths
    /// fall in the same block encrypt to the same length. `ToMultipleOf(0)` pads nothing.
    ToMultipleOf(usize),
}

/// When a client signs a GroupInfo (RFC 9420 §12.4.3.1), the message an external joiner needs.
///
/// A GroupInfo carries the ratchet tree, so it is the size of the group, and signing it hashes
/// all of it: at a thousand members that is most of a self-update's cost. The default signs one
/// only when asked ([`GroupOf::group_info`](crate::GroupOf::group_info)), for example when the
/// Delivery Service asks for a fresh one; [`GroupInfoPolicy::EveryCommit`] suits a Delivery
/// Service that hands the latest GroupInfo to external joiners without asking a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum GroupInfoPolicy {
    /// Only on request (the default).
    #[default]
    OnRequest,
    /// With every commit, with the ratchet tree, in `CommitOutput::group_info`.
    EveryCommit,
}
