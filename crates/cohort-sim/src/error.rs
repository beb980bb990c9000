//! Failures of the harness itself (as opposed to divergences, which are what it looks for).

/// Why a simulation could not run.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// Setting up a client or the first group failed.
    #[error("setup of {what}: {source}")]
    Setup {
        /// What was being set up.
        what: &'static str,
        /// The library's error.
        #[source]
        source: cohort::Error,
    },
    /// The directory for the SQLite files could not be made.
    #[error("directory {path}: {source}")]
    Io {
        /// The directory.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}
