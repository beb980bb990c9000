//! [`Member`] on the published `openmls` crate (placeholder until the OpenMLS driver lands).

use crate::member::{Error, Implementation, Member};

/// An OpenMLS client (not wired yet).
pub struct OpenMlsMember;

impl OpenMlsMember {
    /// Not wired yet.
    ///
    /// # Errors
    /// Always [`Error::UnsupportedSuite`].
    pub fn new(_identity: &str, suite: u16) -> Result<Box<dyn Member>, Error> {
        Err(Error::UnsupportedSuite {
            implementation: Implementation::OpenMls,
            suite,
        })
    }
}
