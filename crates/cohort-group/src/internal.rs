//! Hooks for tests. Not part of the stable API, hidden from the documentation.

#[cfg(feature = "test-utils")]
pub mod testing;
