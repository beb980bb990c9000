#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod components;
pub mod extensions;
pub mod framing;
pub mod group_context;
pub mod group_info;
pub mod key_package;
pub mod message;
pub mod partial;
pub mod proposal;
pub mod psk;
pub mod welcome;

pub use message::{MlsMessage, MlsMessageBody, WireFormat};

#[doc(hidden)]
pub mod internal;
