//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A fresh directory under the system temp dir, removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory whose name contains `label`, the process id and a counter.
    pub(crate) fn new(label: &str) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("cohort-sqlite-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A facade client named `name` on `store`, signing with `signer`.
///
/// The one place the tests build a client, so a change of the builder touches one function.
pub(crate) fn client(
    provider: std::sync::Arc<dyn cohort::crypto::CryptoProvider>,
    store: std::sync::Arc<dyn cohort::storage::StorageProvider>,
    signer: cohort::crypto::SoftwareSigner,
    name: &str,
) -> Result<cohort::Client, cohort::Error> {
    cohort::Client::builder(provider)
        .signer(std::sync::Arc::new(signer))
        .credential(cohort::credential::Credential::basic(
            name.as_bytes().to_vec(),
        ))
        .build(store)
}
