#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(rustdoc::broken_intra_doc_links)]

mod discover;
mod kind;
mod report;
mod run;

pub use discover::{VectorFile, discover};
pub use kind::{Kind, UnknownKind};
pub use report::FileReport;
pub use run::run_file;

/// The crypto backend names `--backend` accepts.
pub const BACKENDS: [&str; 3] = ["rustcrypto", "ring", "aws-lc"];

/// The backends this build can run the crypto kinds on, a subset of [`BACKENDS`].
///
/// Empty until the backend crates land: a kind that needs crypto is not implemented yet either,
/// and a backend name given to [`run_file`] is only recorded in its [`FileReport`].
pub fn built_backends() -> &'static [&'static str] {
    &[]
}
