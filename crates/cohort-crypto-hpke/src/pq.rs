//! The post-quantum algorithms of draft-ietf-hpke-pq, for every backend (feature `pq`): the
//! ML-KEM and hybrid KEMs ([`PqKem`]) over a backend's [`MlKem`] and Diffie-Hellman groups,
//! ML-KEM from the `ml-kem` crate ([`SoftMlKem`]) for what a backend's library lacks, and the
//! single-stage KDFs ([`XofKdf`]: SHAKE and TurboSHAKE).

mod kem;
mod kems;
mod ml_kem;
mod xof;

pub use kem::{MlKem, MlKemParams, PlainSeed, PqKem, PqKemId};
pub use kems::{PqKems, WithPq};
pub use ml_kem::SoftMlKem;
pub use xof::{XofKdf, shake256};
