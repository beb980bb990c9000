//! The outcome of running one vector file.

/// What running one vector file (on one backend) gave.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReport {
    /// The file's name.
    pub name: String,
    /// The crypto backend the file ran on; `None` for kinds that use no crypto.
    pub backend: Option<String>,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed, including every case of a kind that is not implemented yet, and one for
    /// a file that could not be loaded.
    pub failed: usize,
    /// Cases skipped because the backend lacks their cipher suite (or, for HPKE vectors, one of
    /// their algorithms).
    pub unsupported: usize,
    /// One line per unsupported case that names what the backend lacks (HPKE vectors: the KEM,
    /// KDF or AEAD), so that no case is skipped without a reason.
    pub unsupported_details: Vec<String>,
    /// Whether the kind is not implemented yet (then every case counts as failed).
    pub not_implemented: bool,
    /// One line per failure, naming the file, the case index and the cipher suite.
    pub failures: Vec<String>,
}

impl FileReport {
    /// An empty report for the file `name`.
    pub fn new(name: impl Into<String>, backend: Option<String>) -> FileReport {
        FileReport {
            name: name.into(),
            backend,
            ..FileReport::default()
        }
    }

    /// Whether nothing failed.
    pub fn is_success(&self) -> bool {
        self.failed == 0
    }
}
