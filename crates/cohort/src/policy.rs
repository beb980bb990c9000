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
