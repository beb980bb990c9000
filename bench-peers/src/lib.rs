//! Times the scenarios of `shared/bench/SCENARIOS.md` on cohort, OpenMLS and mls-rs, side by side
//! in one process, so that only ratios measured in the same run are compared.
//!
//! Every implementation is driven through the [`Mls`] trait, whose methods are exactly the timed
//! regions of the scenarios (a sender's region includes serializing what it sends, a receiver's
//! includes parsing what it receives). The scenario logic ([`Subject`]) is written once, generic
//! over the trait, so all implementations run the same steps in the same order; `cargo xtask
//! bench-peers` runs the binary and writes the report into `docs/performance.md`.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

pub mod cohort_impl;
pub mod counting;
pub mod facade_impl;
pub mod mlsrs_impl;
pub mod openmls_impl;
pub mod plot;
pub mod pq;
pub mod primitives;
pub mod report;
pub mod run;

/// A failure of one implementation while running a scenario.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// cohort's engine returned an error.
    #[error("cohort: {0}")]
    Cohort(#[from] cohort_group::Error),
    /// cohort's facade returned an error.
    #[error("cohort facade: {0}")]
    Facade(#[from] cohort::Error),
    /// cohort's codec returned an error outside a group operation.
    #[error("cohort codec: {0}")]
    CohortCodec(#[from] cohort::codec::CodecError),
    /// cohort's crypto provider returned an error outside a group operation.
    #[error("cohort crypto: {0}")]
    CohortCrypto(#[from] cohort::crypto::CryptoError),
    /// mls-rs returned an error.
    #[error("mls-rs: {0}")]
    MlsRs(#[from] mls_rs::error::MlsError),
    /// OpenMLS returned an error (its error types are generic over the storage provider; the
    /// operation and the error's text are kept).
    #[error("openmls {op}: {message}")]
    OpenMls {
        /// The operation that failed.
        op: &'static str,
        /// The error's `Debug` text.
        message: String,
    },
    /// A crypto layer failed in the primitive benchmarks.
    #[error("{backend} primitive {op}: {message}")]
    Primitive {
        /// The backend.
        backend: &'static str,
        /// The primitive.
        op: &'static str,
        /// The error's `Debug` text.
        message: String,
    },
    /// A message of an unexpected kind arrived (for example an application message where a
    /// commit was expected).
    #[error("{0}: unexpected message")]
    Unexpected(&'static str),
    /// Two members of one group disagree (epoch authenticator or decrypted data).
    #[error("{implementation}: members disagree after {scenario}")]
    Disagree {
        /// The implementation.
        implementation: String,
        /// The scenario after which the check failed.
        scenario: &'static str,
    },
    /// A member was used before it had a group.
    #[error("member has no group")]
    NoGroup,
}

impl Error {
    /// An OpenMLS error of operation `op`.
    pub fn openmls(op: &'static str, e: impl std::fmt::Debug) -> Self {
        Error::OpenMls {
            op,
            message: format!("{e:?}"),
        }
    }
}

/// Serialized `MLSMessage` bytes, as they cross the wire.
pub type Bytes = Vec<u8>;

/// A commit as it is sent: the commit message and, when it adds members, one Welcome.
#[derive(Debug, Clone)]
pub struct CommitBytes {
    /// The commit (a PublicMessage).
    pub commit: Bytes,
    /// The Welcome for the members added, if any.
    pub welcome: Option<Bytes>,
}

/// One MLS implementation on one crypto backend, as the scenarios drive it.
///
/// Each method is one timed region of SCENARIOS.md (or untimed setup where its doc says so). A
/// member is a client with its own signature key, its own storage and at most one group.
pub trait Mls {
    /// A client and its group.
    type Member;
    /// A saved copy of a member's storage, to undo a join between repetitions.
    type Checkpoint;

    /// The label of this implementation and backend in the report, e.g. `mls-rs (aws-lc)`.
    fn label(&self) -> &'static str;
    /// A fresh client named `name` with a fresh Ed25519 key (untimed setup).
    fn member(&self, name: &str) -> Result<Self::Member, Error>;
    /// Generates one KeyPackage, keeps its private keys in the client as the library normally
    /// does, and serializes it as `MLSMessage(KeyPackage)`.
    fn key_package(&self, m: &mut Self::Member) -> Result<Bytes, Error>;
    /// Creates a one-member group (untimed setup).
    fn create(&self, m: &mut Self::Member) -> Result<(), Error>;
    /// Parses and validates `key_packages`, commits their Adds with an UpdatePath, serializes
    /// the commit and the Welcome (with the ratchet tree), and merges the pending commit.
    fn add(&self, m: &mut Self::Member, key_packages: &[Bytes]) -> Result<CommitBytes, Error>;
    /// Parses a Welcome and turns it into a usable group.
    fn join(&self, m: &mut Self::Member, welcome: &[u8]) -> Result<(), Error>;
    /// Builds an empty commit with an UpdatePath, serializes it and merges it.
    fn self_update(&self, m: &mut Self::Member) -> Result<Bytes, Error>;
    /// Parses, processes and merges a commit.
    fn process_commit(&self, m: &mut Self::Member, commit: &[u8]) -> Result<(), Error>;
    /// Encrypts `data` as an application message (no padding) and serializes it.
    fn encrypt(&self, m: &mut Self::Member, data: &[u8]) -> Result<Bytes, Error>;
    /// Parses and decrypts an application message.
    fn decrypt(&self, m: &mut Self::Member, message: &[u8]) -> Result<Vec<u8>, Error>;
    /// Persists the member's group state the way the library expects an application to (a
    /// no-op where the library writes its storage inside every operation).
    fn persist(&self, m: &mut Self::Member) -> Result<(), Error>;
    /// The member's current epoch authenticator (untimed check).
    fn epoch_authenticator(&self, m: &Self::Member) -> Result<Vec<u8>, Error>;
    /// Saves the member's storage (untimed).
    fn checkpoint(&self, m: &Self::Member) -> Self::Checkpoint;
    /// Restores a saved storage and forgets the member's group (untimed).
    fn rollback(&self, m: &mut Self::Member, checkpoint: &Self::Checkpoint);
    /// The primitive floor of this implementation's crypto layer.
    ///
    /// # Errors
    /// The crypto layer's.
    fn floor(&self, reps: primitives::FloorPlan) -> Result<primitives::Floor, Error>;
    /// A thread pool the whole scenario loop must run on (timing included), if any.
    fn pool(&self) -> Option<std::sync::Arc<rayon::ThreadPool>> {
        None
    }
}

/// How many repetitions a timed loop runs.
#[derive(Debug, Clone, Copy)]
pub struct Reps {
    /// Repetitions run first and discarded.
    pub warmup: usize,
    /// Repetitions timed (at most).
    pub count: usize,
    /// Soft cap: stop once at least [`Reps::MIN_RUNS`] samples were taken and this much time
    /// has passed.
    pub cap: Duration,
}

impl Reps {
    /// The fewest samples a capped loop keeps.
    pub const MIN_RUNS: usize = 3;

    /// `count` timed repetitions after `warmup` discarded ones, with a 15 s soft cap.
    pub fn new(warmup: usize, count: usize) -> Self {
        Reps {
            warmup,
            count,
            cap: Duration::from_secs(15),
        }
    }
}

/// Runs `one` `reps.warmup` times (discarded), then up to `reps.count` times, and returns what
/// the timed runs returned.
///
/// # Errors
/// The first error of `one`.
pub fn measure<T>(reps: Reps, mut one: impl FnMut() -> Result<T, Error>) -> Result<Vec<T>, Error> {
    for _ in 0..reps.warmup {
        one()?;
    }
    let start = Instant::now();
    let mut out = Vec::with_capacity(reps.count);
    while out.len() < reps.count.max(1) {
        out.push(one()?);
        if out.len() >= Reps::MIN_RUNS && start.elapsed() >= reps.cap {
            break;
        }
    }
    Ok(out)
}

/// Times `f`.
pub fn timed<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<(Duration, T), Error> {
    let start = Instant::now();
    let out = f()?;
    Ok((start.elapsed(), out))
}

/// The median of `samples` (the mean of the two middle ones for an even count); zero when empty.
pub fn median(samples: &[Duration]) -> Duration {
    let mut v = samples.to_vec();
    v.sort_unstable();
    match v.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2,
    }
}

/// The scenarios' state for one implementation: the growing group of the full-tree construction
/// (only A, leaf 0, and C, the newest member, are kept current) and a name counter.
pub struct Subject<M: Mls> {
    mls: M,
    a: Option<M::Member>,
    c: Option<M::Member>,
    size: usize,
    next_name: usize,
}

impl<M: Mls> std::fmt::Debug for Subject<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subject")
            .field("implementation", &self.mls.label())
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl<M: Mls> Subject<M> {
    /// A subject with no group yet.
    pub fn new(mls: M) -> Self {
        Subject {
            mls,
            a: None,
            c: None,
            size: 0,
            next_name: 0,
        }
    }

    /// The implementation's label.
    pub fn label(&self) -> &'static str {
        self.mls.label()
    }

    /// The primitive floor of the implementation's crypto layer.
    ///
    /// # Errors
    /// The crypto layer's.
    pub fn floor(&self, reps: primitives::FloorPlan) -> Result<primitives::Floor, Error> {
        self.mls.floor(reps)
    }

    /// The implementation.
    pub fn mls(&self) -> &M {
        &self.mls
    }

    /// The current size of the full-tree group.
    pub fn size(&self) -> usize {
        self.size
    }

    fn fresh(&mut self, prefix: &str) -> Result<M::Member, Error> {
        self.next_name += 1;
        self.mls.member(&format!("{prefix}{}", self.next_name))
    }

    fn check(&self, x: &M::Member, y: &M::Member, scenario: &'static str) -> Result<(), Error> {
        if self.mls.epoch_authenticator(x)? != self.mls.epoch_authenticator(y)? {
            return Err(Error::Disagree {
                implementation: self.label().to_string(),
                scenario,
            });
        }
        Ok(())
    }

    /// `keypackage_gen`: one client generates `reps` KeyPackages.
    ///
    /// # Errors
    /// The implementation's.
    pub fn keypackage_gen(&mut self, reps: Reps) -> Result<Vec<Duration>, Error> {
        let mut client = self.fresh("kp")?;
        measure(reps, || {
            let (t, _) = timed(|| self.mls.key_package(&mut client))?;
            Ok(t)
        })
    }

    /// `create_add` (or `create_add_persist`): a fresh creator adds `n` KeyPackages, generated
    /// once and reused as bytes, in one commit.
    ///
    /// # Errors
    /// The implementation's.
    pub fn create_add(
        &mut self,
        n: usize,
        reps: Reps,
        persist: bool,
    ) -> Result<Vec<Duration>, Error> {
        let mut key_packages = Vec::with_capacity(n);
        for _ in 0..n {
            let mut joiner = self.fresh("ca")?;
            key_packages.push(self.mls.key_package(&mut joiner)?);
        }
        measure(reps, || {
            let mut creator = self.fresh("creator")?;
            self.mls.create(&mut creator)?;
            let (t, _) = timed(|| {
                let out = self.mls.add(&mut creator, &key_packages)?;
                if persist {
                    self.mls.persist(&mut creator)?;
                }
                Ok(out)
            })?;
            Ok(t)
        })
    }

    /// Grows the full-tree group to `n` members (untimed), then the newest member sends an
    /// empty self-update and becomes B.
    ///
    /// # Errors
    /// The implementation's.
    pub fn grow_to(&mut self, n: usize) -> Result<(), Error> {
        if self.a.is_none() {
            let mut a = self.fresh("a")?;
            self.mls.create(&mut a)?;
            self.a = Some(a);
            self.size = 1;
        }
        while self.size < n {
            let count = (n - self.size).min(2);
            let mut joiners = Vec::with_capacity(count);
            let mut key_packages = Vec::with_capacity(count);
            for _ in 0..count {
                let mut j = self.fresh("m")?;
                key_packages.push(self.mls.key_package(&mut j)?);
                joiners.push(j);
            }
            let a = self.a.as_mut().ok_or(Error::NoGroup)?;
            let out = match self.c.as_mut() {
                Some(c) => {
                    let out = self.mls.add(c, &key_packages)?;
                    self.mls.process_commit(a, &out.commit)?;
                    out
                }
                None => self.mls.add(a, &key_packages)?,
            };
            let welcome = out
                .welcome
                .ok_or(Error::Unexpected("add without Welcome"))?;
            let mut newest = joiners.pop().ok_or(Error::NoGroup)?;
            self.mls.join(&mut newest, &welcome)?;
            self.c = Some(newest);
            self.size += count;
        }
        let a = self.a.as_mut().ok_or(Error::NoGroup)?;
        if let Some(c) = self.c.as_mut() {
            let commit = self.mls.self_update(c)?;
            self.mls.process_commit(a, &commit)?;
        }
        if let (Some(a), Some(c)) = (&self.a, &self.c) {
            self.check(a, c, "full-tree construction")?;
        }
        Ok(())
    }

    /// `self_update_create` and `self_update_process` (or their `_persist` variants) at the
    /// current size: A commits, B processes. Returns the two sample lists and the size of the
    /// last commit.
    ///
    /// # Errors
    /// The implementation's.
    #[allow(clippy::type_complexity, reason = "two sample lists and a byte count")]
    pub fn self_update(
        &mut self,
        reps: Reps,
        persist: bool,
    ) -> Result<(Vec<Duration>, Vec<Duration>, usize), Error> {
        let mls = &self.mls;
        let (Some(a), Some(b)) = (self.a.as_mut(), self.c.as_mut()) else {
            return Err(Error::NoGroup);
        };
        let mut commit_bytes = 0;
        let pairs = measure(reps, || {
            let (create, commit) = timed(|| {
                let commit = mls.self_update(a)?;
                if persist {
                    mls.persist(a)?;
                }
                Ok(commit)
            })?;
            commit_bytes = commit.len();
            let (process, ()) = timed(|| {
                mls.process_commit(b, &commit)?;
                if persist {
                    mls.persist(b)?;
                }
                Ok(())
            })?;
            Ok((create, process))
        })?;
        if let (Some(a), Some(b)) = (&self.a, &self.c) {
            self.check(a, b, "self_update")?;
        }
        let (create, process) = pairs.into_iter().unzip();
        Ok((create, process, commit_bytes))
    }

    /// `join_welcome` and `join_welcome_persist` at the current size N: A adds a fresh client J
    /// (untimed); J processes the same Welcome `reps` times, then `persist_reps` times with a
    /// persist, its storage rolled back in between. J then becomes C (the group has N + 1
    /// members).
    ///
    /// # Errors
    /// The implementation's.
    pub fn join_welcome(
        &mut self,
        reps: Reps,
        persist_reps: Reps,
    ) -> Result<(Vec<Duration>, Vec<Duration>), Error> {
        let mut j = self.fresh("j")?;
        let key_package = self.mls.key_package(&mut j)?;
        let mls = &self.mls;
        let a = self.a.as_mut().ok_or(Error::NoGroup)?;
        let out = mls.add(a, &[key_package])?;
        let welcome = out
            .welcome
            .ok_or(Error::Unexpected("add without Welcome"))?;
        let saved = mls.checkpoint(&j);
        let mut run = |persist: bool, reps: Reps| {
            measure(reps, || {
                mls.rollback(&mut j, &saved);
                let (t, ()) = timed(|| {
                    mls.join(&mut j, &welcome)?;
                    if persist {
                        mls.persist(&mut j)?;
                    }
                    Ok(())
                })?;
                Ok(t)
            })
        };
        let plain = run(false, reps)?;
        let persisted = run(true, persist_reps)?;
        if let Some(a) = &self.a {
            self.check(a, &j, "join_welcome")?;
        }
        self.c = Some(j);
        self.size += 1;
        Ok((plain, persisted))
    }

    /// `app_msg_*` with `size` bytes: a fresh two-member group; A encrypts, B decrypts. Returns
    /// encrypt, decrypt and roundtrip (their sum per repetition) samples.
    ///
    /// # Errors
    /// The implementation's; [`Error::Disagree`] when B reads something else.
    #[allow(clippy::type_complexity, reason = "three sample lists")]
    pub fn app_msg(
        &mut self,
        size: usize,
        reps: Reps,
    ) -> Result<(Vec<Duration>, Vec<Duration>, Vec<Duration>), Error> {
        let mut a = self.fresh("app-a")?;
        let mut b = self.fresh("app-b")?;
        self.mls.create(&mut a)?;
        let key_package = self.mls.key_package(&mut b)?;
        let out = self.mls.add(&mut a, &[key_package])?;
        let welcome = out
            .welcome
            .ok_or(Error::Unexpected("add without Welcome"))?;
        self.mls.join(&mut b, &welcome)?;
        let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let mls = &self.mls;
        let mut mismatch = false;
        let triples = measure(reps, || {
            let (enc, message) = timed(|| mls.encrypt(&mut a, &data))?;
            let (dec, read) = timed(|| mls.decrypt(&mut b, &message))?;
            mismatch |= read != data;
            Ok((enc, dec, enc + dec))
        })?;
        if mismatch {
            return Err(Error::Disagree {
                implementation: self.label().to_string(),
                scenario: "app_msg",
            });
        }
        let mut enc = Vec::with_capacity(triples.len());
        let mut dec = Vec::with_capacity(triples.len());
        let mut roundtrip = Vec::with_capacity(triples.len());
        for (e, d, r) in triples {
            enc.push(e);
            dec.push(d);
            roundtrip.push(r);
        }
        Ok((enc, dec, roundtrip))
    }
}
