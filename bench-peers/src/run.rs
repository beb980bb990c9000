//! The whole run: every scenario of SCENARIOS.md, each one run on every implementation in turn
//! (interleaved), with the repetition counts of the file (or a handful in quick mode).

use std::time::Duration;

use std::sync::Arc;

use crate::cohort_impl::Cohort;
use crate::counting::{COUNTED, Counted, CountingProvider, Counts};
use crate::facade_impl::Facade;
use crate::mlsrs_impl::MlsRs;
use crate::openmls_impl::OpenMls;
use crate::primitives::{Floor, FloorPlan, SignedSizes};
use crate::{Error, Mls, Reps, Subject, median};

/// The implementations, by the key `--impls` takes, in run and report order.
pub const IMPLEMENTATIONS: [&str; 7] = [
    "cohort-facade-aws-lc",
    "cohort-aws-lc",
    "openmls",
    "mls-rs-aws-lc",
    "mls-rs-aws-lc-1t",
    "cohort-rustcrypto",
    "mls-rs-rustcrypto",
];

/// What to run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Group sizes N of `create_add`, `join_welcome` and `self_update_*`, ascending.
    pub sizes: Vec<usize>,
    /// A few repetitions of each scenario only (smoke runs, CI).
    pub quick: bool,
    /// The implementations to run (keys of [`IMPLEMENTATIONS`]).
    pub implementations: Vec<String>,
    /// Whether to print progress to stderr.
    pub progress: bool,
}

/// The median of one scenario at one size on one implementation.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// The scenario, e.g. `self_update_process_persist`.
    pub scenario: String,
    /// Its N.
    pub n: usize,
    /// The implementation's label.
    pub implementation: &'static str,
    /// The median.
    pub median: Duration,
    /// How many timed repetitions ran.
    pub runs: usize,
}

/// Everything one run measured.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// The scenario medians.
    pub measurements: Vec<Measurement>,
    /// The primitive floor of each implementation: label, primitive, median.
    pub floor: Vec<(&'static str, &'static str, Duration)>,
    /// The size of the last self-update commit: N, label, bytes.
    pub commit_bytes: Vec<(usize, &'static str, usize)>,
    /// What the application messages sign (the size of the floor's message signatures).
    pub signed: Option<SignedSizes>,
    /// The labels of the implementations that ran, in run order.
    pub labels: Vec<&'static str>,
    /// cohort's operation counts per timed operation: scenario, N, counts in the order of
    /// [`crate::counting::COUNTED`].
    pub counts: Vec<(&'static str, usize, [u64; COUNTED.len()])>,
}

impl Results {
    /// The median of `scenario` at `n` on `label`, if measured.
    pub fn get(&self, scenario: &str, n: usize, label: &str) -> Option<Duration> {
        self.measurements
            .iter()
            .find(|m| m.scenario == scenario && m.n == n && m.implementation == label)
            .map(|m| m.median)
    }

    fn push(&mut self, scenario: &str, n: usize, label: &'static str, samples: &[Duration]) {
        self.measurements.push(Measurement {
            scenario: scenario.to_string(),
            n,
            implementation: label,
            median: median(samples),
            runs: samples.len(),
        });
    }
}

/// The object-safe face of a [`Subject`], so different implementations share one list.
trait Runner: Send {
    fn label(&self) -> &'static str;
    fn pool(&self) -> Option<Arc<rayon::ThreadPool>>;
    fn floor(&self, reps: FloorPlan) -> Result<Floor, Error>;
    fn keypackage_gen(&mut self, reps: Reps) -> Result<Vec<Duration>, Error>;
    fn create_add(&mut self, n: usize, reps: Reps, persist: bool) -> Result<Vec<Duration>, Error>;
    fn grow_to(&mut self, n: usize) -> Result<(), Error>;
    #[allow(clippy::type_complexity, reason = "two sample lists and a byte count")]
    fn self_update(
        &mut self,
        reps: Reps,
        persist: bool,
    ) -> Result<(Vec<Duration>, Vec<Duration>, usize), Error>;
    fn join_welcome(
        &mut self,
        reps: Reps,
        persist: Reps,
    ) -> Result<(Vec<Duration>, Vec<Duration>), Error>;
    #[allow(clippy::type_complexity, reason = "three sample lists")]
    fn app_msg(
        &mut self,
        size: usize,
        reps: Reps,
    ) -> Result<(Vec<Duration>, Vec<Duration>, Vec<Duration>), Error>;
}

impl<M: Mls + Send> Runner for Subject<M>
where
    M::Member: Send,
{
    fn label(&self) -> &'static str {
        Subject::label(self)
    }
    fn pool(&self) -> Option<Arc<rayon::ThreadPool>> {
        self.mls().pool()
    }
    fn floor(&self, reps: FloorPlan) -> Result<Floor, Error> {
        Subject::floor(self, reps)
    }
    fn keypackage_gen(&mut self, reps: Reps) -> Result<Vec<Duration>, Error> {
        Subject::keypackage_gen(self, reps)
    }
    fn create_add(&mut self, n: usize, reps: Reps, persist: bool) -> Result<Vec<Duration>, Error> {
        Subject::create_add(self, n, reps, persist)
    }
    fn grow_to(&mut self, n: usize) -> Result<(), Error> {
        Subject::grow_to(self, n)
    }
    fn self_update(
        &mut self,
        reps: Reps,
        persist: bool,
    ) -> Result<(Vec<Duration>, Vec<Duration>, usize), Error> {
        Subject::self_update(self, reps, persist)
    }
    fn join_welcome(
        &mut self,
        reps: Reps,
        persist: Reps,
    ) -> Result<(Vec<Duration>, Vec<Duration>), Error> {
        Subject::join_welcome(self, reps, persist)
    }
    fn app_msg(
        &mut self,
        size: usize,
        reps: Reps,
    ) -> Result<(Vec<Duration>, Vec<Duration>, Vec<Duration>), Error> {
        Subject::app_msg(self, size, reps)
    }
}

/// Runs `f` on `r`, on `r`'s own thread pool when it has one: the whole loop, timing included,
/// runs on that pool's thread, so no hand-off between threads is timed.
fn on<T: Send>(r: &mut Box<dyn Runner>, f: impl FnOnce(&mut Box<dyn Runner>) -> T + Send) -> T {
    match r.pool() {
        Some(pool) => pool.install(|| f(r)),
        None => f(r),
    }
}

fn runner(key: &str) -> Option<Box<dyn Runner>> {
    Some(match key {
        "cohort-facade-aws-lc" => Box::new(Subject::new(Facade::aws_lc())),
        "cohort-aws-lc" => Box::new(Subject::new(Cohort::aws_lc())),
        "cohort-rustcrypto" => Box::new(Subject::new(Cohort::rustcrypto())),
        "openmls" => Box::new(Subject::new(OpenMls::default())),
        "mls-rs-aws-lc" => Box::new(Subject::new(MlsRs::aws_lc())),
        "mls-rs-aws-lc-1t" => Box::new(Subject::new(MlsRs::aws_lc_one_thread())),
        "mls-rs-rustcrypto" => Box::new(Subject::new(MlsRs::rustcrypto())),
        _ => return None,
    })
}

/// Repetitions of SCENARIOS.md by size (10 / 100 / 1000 and beyond), or a few in quick mode.
pub(crate) fn by_size(quick: bool, n: usize, counts: [usize; 3], warmup: usize) -> Reps {
    let count = match n {
        0..=10 => counts[0],
        11..=100 => counts[1],
        _ => counts[2],
    };
    reps(quick, warmup, count)
}

pub(crate) fn reps(quick: bool, warmup: usize, count: usize) -> Reps {
    if quick {
        Reps {
            warmup: warmup.min(1),
            count: count.min(5),
            cap: Duration::from_secs(2),
        }
    } else {
        Reps::new(warmup, count)
    }
}

/// Runs everything `settings` asks for.
///
/// # Errors
/// [`Error::Unexpected`] for an unknown implementation key; the first failure of an
/// implementation.
pub fn run(settings: &Settings) -> Result<Results, Error> {
    let mut runners = Vec::new();
    for key in IMPLEMENTATIONS {
        if settings.implementations.iter().any(|k| k == key) {
            runners.push(runner(key).ok_or(Error::Unexpected("implementation"))?);
        }
    }
    for key in &settings.implementations {
        if !IMPLEMENTATIONS.contains(&key.as_str()) {
            return Err(Error::Unexpected("unknown implementation key"));
        }
    }
    let q = settings.quick;
    let say = |what: &str, n: usize, label: &str| {
        if settings.progress {
            eprintln!("bench-peers: {what} N={n} {label}");
        }
    };
    let mut results = Results {
        labels: runners.iter().map(|r| r.label()).collect(),
        ..Results::default()
    };

    let [kib, mib] = Cohort::aws_lc().app_signed_lens([1 << 10, 1 << 20])?;
    let signed = SignedSizes { kib, mib };
    results.signed = Some(signed);
    let floor_reps = FloorPlan {
        small: reps(q, 10, 200),
        large: reps(q, 2, 30),
        signed,
    };
    for r in &runners {
        say("primitive floor", 1, r.label());
        for (op, samples) in r.floor(floor_reps)? {
            results.floor.push((r.label(), op, median(&samples)));
        }
    }

    for r in &mut runners {
        say("keypackage_gen", 1, r.label());
        let samples = on(r, |r| r.keypackage_gen(reps(q, 20, 200)))?;
        results.push("keypackage_gen", 1, r.label(), &samples);
    }

    for &n in &settings.sizes {
        for persist in [false, true] {
            let scenario = if persist {
                "create_add_persist"
            } else {
                "create_add"
            };
            for r in &mut runners {
                say(scenario, n, r.label());
                let samples = on(r, |r| {
                    r.create_add(n, by_size(q, n, [100, 25, 7], 1), persist)
                })?;
                results.push(scenario, n, r.label(), &samples);
            }
        }
    }

    for (size, scenario, count, warmup) in [
        (1024, "app_msg_1k", 2000, 20),
        (1 << 20, "app_msg_1m", 30, 2),
    ] {
        for r in &mut runners {
            say(scenario, 2, r.label());
            let (enc, dec, roundtrip) = on(r, |r| r.app_msg(size, reps(q, warmup, count)))?;
            results.push(&format!("{scenario}_encrypt"), 2, r.label(), &enc);
            results.push(&format!("{scenario}_decrypt"), 2, r.label(), &dec);
            results.push(&format!("{scenario}_roundtrip"), 2, r.label(), &roundtrip);
        }
    }

    for &n in &settings.sizes {
        for r in &mut runners {
            say("full-tree construction", n, r.label());
            on(r, |r| r.grow_to(n))?;
        }
        for persist in [false, true] {
            let suffix = if persist { "_persist" } else { "" };
            for r in &mut runners {
                say(&format!("self_update{suffix}"), n, r.label());
                let (create, process, bytes) = on(r, |r| {
                    r.self_update(by_size(q, n, [101, 51, 31], 3), persist)
                })?;
                results.push(
                    &format!("self_update_create{suffix}"),
                    n,
                    r.label(),
                    &create,
                );
                results.push(
                    &format!("self_update_process{suffix}"),
                    n,
                    r.label(),
                    &process,
                );
                if !persist {
                    results.commit_bytes.push((n, r.label(), bytes));
                }
            }
        }
        for r in &mut runners {
            say("join_welcome", n, r.label());
            let join_reps = by_size(q, n, [100, 30, 9], 1);
            let (plain, persisted) = on(r, |r| r.join_welcome(join_reps, join_reps))?;
            results.push("join_welcome", n, r.label(), &plain);
            results.push("join_welcome_persist", n, r.label(), &persisted);
        }
    }
    if settings
        .implementations
        .iter()
        .any(|k| k == "cohort-aws-lc")
    {
        if settings.progress {
            eprintln!("bench-peers: counting cohort's operations");
        }
        results.counts = count_cohort(&settings.sizes)?;
    }
    Ok(results)
}

/// Runs every scenario once more on cohort (aws-lc) with a counting provider, untimed, and
/// returns what one timed operation of each scenario performed.
///
/// # Errors
/// cohort's.
#[allow(clippy::type_complexity, reason = "rows of the counts table")]
pub fn count_cohort(
    sizes: &[usize],
) -> Result<Vec<(&'static str, usize, [u64; COUNTED.len()])>, Error> {
    let counts = Arc::new(Counts::default());
    let provider =
        CountingProvider::new(Arc::new(cohort_crypto_aws_lc::provider()), counts.clone());
    let cohort = Cohort::with_provider(Arc::new(provider), "cohort (aws-lc), counted");
    let mut subject = Subject::new(Counted::new(cohort, counts));
    let once = Reps {
        warmup: 0,
        count: 1,
        cap: Duration::ZERO,
    };
    let mut rows = Vec::new();
    let last = |s: &Subject<Counted<Cohort>>, op: &str| {
        s.mls()
            .last(op)
            .ok_or(Error::Unexpected("no count recorded"))
    };
    subject.keypackage_gen(once)?;
    rows.push(("keypackage_gen", 1, last(&subject, "key_package")?));
    subject.app_msg(1024, once)?;
    rows.push(("app_msg_1k_encrypt", 2, last(&subject, "encrypt")?));
    rows.push(("app_msg_1k_decrypt", 2, last(&subject, "decrypt")?));
    for &n in sizes {
        subject.create_add(n, once, false)?;
        rows.push(("create_add", n, last(&subject, "add")?));
    }
    for &n in sizes {
        subject.grow_to(n)?;
        subject.self_update(once, false)?;
        rows.push(("self_update_create", n, last(&subject, "self_update")?));
        rows.push(("self_update_process", n, last(&subject, "process_commit")?));
        subject.join_welcome(once, once)?;
        rows.push(("join_welcome", n, last(&subject, "join")?));
    }
    Ok(rows)
}
