//! A backend's HPKE algorithms by registry identifier, for running HPKE outside an MLS cipher
//! suite (the HPKE test vectors, and KEMs whose MLS suites are not wired yet).

use core::fmt;

use crate::composed::{HashFunction, Primitives};
use crate::hpke::{Hpke, HpkeKdf};
use crate::kem::{Dhkem, Kem};
use crate::primitives::{Aead, DhGroup};

/// The KEMs, KDFs and AEADs of a backend, by HPKE identifier (RFC 9180 §7, draft-ietf-hpke-pq).
///
/// # Implementing
/// Return `Some` for exactly the algorithms the backend implements. Each value must behave as
/// its identifier's registry entry says; [`HpkeAlgorithms::hpke`] composes them.
pub trait HpkeAlgorithms: Send + Sync + fmt::Debug {
    /// The KEM `kem_id`, or `None`.
    fn kem(&self, kem_id: u16) -> Option<Box<dyn Kem + '_>>;

    /// The KDF `kdf_id` (two-stage or single-stage), or `None`.
    fn kdf(&self, kdf_id: u16) -> Option<HpkeKdf<'_>>;

    /// The AEAD `aead_id`, or `None`. (The export-only AEAD `0xffff` is not supported.)
    fn aead(&self, aead_id: u16) -> Option<&dyn Aead>;

    /// Runs `f` on the HPKE of `(kem_id, kdf_id, aead_id)`; `Err` names the first algorithm
    /// the backend lacks.
    ///
    /// # Errors
    /// [`MissingAlgorithm`] for an algorithm this backend does not implement.
    fn hpke<T>(
        &self,
        kem_id: u16,
        kdf_id: u16,
        aead_id: u16,
        f: impl FnOnce(&Hpke<'_>) -> T,
    ) -> Result<T, MissingAlgorithm>
    where
        Self: Sized,
    {
        run_hpke(self, kem_id, kdf_id, aead_id, f)
    }
}

/// [`HpkeAlgorithms::hpke`] for a trait object.
///
/// # Errors
/// [`MissingAlgorithm`] for an algorithm `algorithms` does not implement.
pub fn run_hpke<T>(
    algorithms: &(impl HpkeAlgorithms + ?Sized),
    kem_id: u16,
    kdf_id: u16,
    aead_id: u16,
    f: impl FnOnce(&Hpke<'_>) -> T,
) -> Result<T, MissingAlgorithm> {
    let kem = algorithms
        .kem(kem_id)
        .ok_or(MissingAlgorithm::Kem(kem_id))?;
    let kdf = algorithms
        .kdf(kdf_id)
        .ok_or(MissingAlgorithm::Kdf(kdf_id))?;
    let aead = algorithms
        .aead(aead_id)
        .ok_or(MissingAlgorithm::Aead(aead_id))?;
    Ok(f(&Hpke::with_kdf(&*kem, kdf, aead)))
}

/// The HPKE algorithms of a backend's [`Primitives`] table: the DHKEM of each Diffie-Hellman
/// group (with the HKDF its identifier names, when the table has that hash), HKDF on each hash,
/// and each AEAD.
impl<H, A, D, S> HpkeAlgorithms for Primitives<H, A, D, S>
where
    H: HashFunction + 'static,
    A: Aead + 'static,
    D: DhGroup + 'static,
    S: Send + Sync + fmt::Debug + 'static,
{
    fn kem(&self, kem_id: u16) -> Option<Box<dyn Kem + '_>> {
        let group = self.groups.iter().find(|g| g.kem_id() == kem_id)?;
        let kdf_id = dhkem_kdf_id(kem_id)?;
        let kdf = self.hashes.iter().find(|h| h.kdf_id() == kdf_id)?;
        Some(Box::new(Dhkem::new(group, kdf)))
    }

    fn kdf(&self, kdf_id: u16) -> Option<HpkeKdf<'_>> {
        self.hashes
            .iter()
            .find(|h| h.kdf_id() == kdf_id)
            .map(|h| HpkeKdf::TwoStage(h))
    }

    fn aead(&self, aead_id: u16) -> Option<&dyn Aead> {
        self.aeads
            .iter()
            .find(|a| a.aead_id() == aead_id)
            .map(|a| a as &dyn Aead)
    }
}

/// The KDF inside the DHKEM `kem_id` (RFC 9180 §7.1).
fn dhkem_kdf_id(kem_id: u16) -> Option<u16> {
    Some(match kem_id {
        0x0010 | 0x0020 => 0x0001,
        0x0011 => 0x0002,
        0x0012 | 0x0021 => 0x0003,
        _ => return None,
    })
}

/// An HPKE algorithm a backend does not implement.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingAlgorithm {
    /// The KEM with this identifier.
    Kem(u16),
    /// The KDF with this identifier.
    Kdf(u16),
    /// The AEAD with this identifier.
    Aead(u16),
}

impl fmt::Display for MissingAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Kem(id) => write!(f, "KEM 0x{id:04x} ({})", kem_name(id)),
            Self::Kdf(id) => write!(f, "KDF 0x{id:04x} ({})", kdf_name(id)),
            Self::Aead(id) => write!(f, "AEAD 0x{id:04x} ({})", aead_name(id)),
        }
    }
}

impl core::error::Error for MissingAlgorithm {}

/// The registry name of an HPKE KEM identifier.
pub fn kem_name(kem_id: u16) -> &'static str {
    match kem_id {
        0x0010 => "DHKEM(P-256, HKDF-SHA256)",
        0x0011 => "DHKEM(P-384, HKDF-SHA384)",
        0x0012 => "DHKEM(P-521, HKDF-SHA512)",
        0x0020 => "DHKEM(X25519, HKDF-SHA256)",
        0x0021 => "DHKEM(X448, HKDF-SHA512)",
        0x0040 => "ML-KEM-512",
        0x0041 => "ML-KEM-768",
        0x0042 => "ML-KEM-1024",
        0x0050 => "MLKEM768-P256",
        0x0051 => "MLKEM1024-P384",
        0x647a => "MLKEM768-X25519",
        _ => "unknown KEM",
    }
}

/// The registry name of an HPKE KDF identifier.
pub fn kdf_name(kdf_id: u16) -> &'static str {
    match kdf_id {
        0x0001 => "HKDF-SHA256",
        0x0002 => "HKDF-SHA384",
        0x0003 => "HKDF-SHA512",
        0x0010 => "SHAKE128",
        0x0011 => "SHAKE256",
        0x0012 => "TurboSHAKE128",
        0x0013 => "TurboSHAKE256",
        _ => "unknown KDF",
    }
}

/// The registry name of an HPKE AEAD identifier.
pub fn aead_name(aead_id: u16) -> &'static str {
    match aead_id {
        0x0001 => "AES-128-GCM",
        0x0002 => "AES-256-GCM",
        0x0003 => "ChaCha20Poly1305",
        0xffff => "Export-only",
        _ => "unknown AEAD",
    }
}
