#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![deny(rustdoc::broken_intra_doc_links)]

mod error;
mod export_tree;
mod psk;
mod schedule;
mod secret_tree;
mod transcript;

pub use error::KeyScheduleError;
pub use export_tree::ApplicationExportTree;
pub use psk::{PskInput, psk_secret};
pub use schedule::{EpochSecrets, InitSecret, JoinerSecret, WelcomeSecret, external_init_secret};
pub use secret_tree::{ContentKind, MessageKey, RatchetConfig, SecretTree, sender_data_key_nonce};
pub use transcript::{confirmation_tag, confirmed_transcript_hash, interim_transcript_hash};
