//! Finding the vector files in a folder.

use std::io;
use std::path::{Path, PathBuf};

use crate::Kind;

/// A vector file found by [`discover`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorFile {
    /// The file.
    pub path: PathBuf,
    /// The file's name.
    pub name: String,
    /// The kind inferred from the name, or `None` if the name matches no kind.
    pub kind: Option<Kind>,
}

/// Lists the vector files in `dir`, sorted by name, each with the kind its name implies.
///
/// Only regular files whose name ends in `.json` are listed; README files are skipped. A `.json`
/// file whose name matches no kind is listed with `kind: None`, so the caller can report it
/// rather than skip it silently.
///
/// # Errors
/// The I/O error if `dir` cannot be read.
pub fn discover(dir: &Path) -> io::Result<Vec<VectorFile>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name.to_ascii_lowercase().starts_with("readme") {
            continue;
        }
        if !entry.path().is_file() {
            continue;
        }
        let kind = Kind::from_file_name(&name);
        files.push(VectorFile {
            path: entry.path(),
            name,
            kind,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}
