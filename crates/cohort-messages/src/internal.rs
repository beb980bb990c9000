//! Hooks for fuzzing and for the vector runner. Not part of the stable API.

pub mod fuzzing;
