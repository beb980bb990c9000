#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![deny(rustdoc::broken_intra_doc_links)]

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

pub mod crypto_basics;
pub mod deserialization;
mod hex_serde;
pub mod hpke_pq;
pub mod key_schedule;
pub mod message_protection;
pub mod messages;
pub mod partial;
pub mod passive_client;
pub mod psk_secret;
pub mod secret_tree;
pub mod transcript_hashes;
pub mod tree_math;
pub mod tree_operations;
pub mod tree_validation;
pub mod treekem;
pub mod welcome;

pub use hex_serde::HexBytes;

/// Why a vector file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read test vector file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid JSON of the expected shape.
    #[error("test vector file {path} is not in the expected format: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
}

/// The folder holding the vectors: `COHORT_TEST_VECTORS_DIR` if set, else the project's
/// `interop/test-vectors`.
pub fn vectors_dir() -> PathBuf {
    match std::env::var_os("COHORT_TEST_VECTORS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/test-vectors"),
    }
}

/// The path of the vector file with stem `stem` (for example `"tree-math"`).
pub fn vector_path(stem: &str) -> PathBuf {
    vectors_dir().join(format!("{stem}.json"))
}

/// The folder holding the vectors of drafts beyond RFC 9420: `COHORT_DRAFT_VECTORS_DIR` if set,
/// else this crate's `drafts` folder (kept apart from the official RFC 9420 files, which the
/// no-argument `cargo xtask vectors` runs).
pub fn draft_vectors_dir() -> PathBuf {
    match std::env::var_os("COHORT_DRAFT_VECTORS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("drafts"),
    }
}

/// The path of the draft vector file with stem `stem` (for example `"hpke-pq-test-vectors"`).
pub fn draft_vector_path(stem: &str) -> PathBuf {
    draft_vectors_dir().join(format!("{stem}.json"))
}

/// Loads and parses a vector file (a JSON array of cases).
///
/// # Errors
/// [`LoadError`] when the file is missing or not of the expected shape.
pub fn load_file<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| LoadError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads the project's copy of the vector file with stem `stem`.
///
/// # Errors
/// As [`load_file`].
pub fn load<T: DeserializeOwned>(stem: &str) -> Result<Vec<T>, LoadError> {
    load_file(&vector_path(stem))
}
