//! The post-quantum rows: cohort's facade and OpenMLS 0.9.2, both on RustCrypto (like for like),
//! and cohort's facade on aws-lc, on suite 1 and on two suites of
//! draft-ietf-mls-pq-ciphersuites-06 at OpenMLS's code points, so both play the same suite:
//! TBD1 (`0x004F`: X-Wing, AES-128-GCM, SHA-256, Ed25519: PQ confidentiality) and TBD10
//! (`0x0051`: ML-KEM-768, AES-256-GCM, SHA-384, ML-DSA-65: PQ confidentiality and
//! authenticity). cohort reaches OpenMLS's numbering through `PqCodePoints::OPENMLS`.
//!
//! The scenarios are those of the main run (`keypackage_gen`, `create_add`, `join_welcome`,
//! `self_update_create`, `self_update_process`), then the sizes a PQ tree brings, from cohort's
//! facade: the add commit and Welcome of a group of N made by one commit, the state its creator
//! stores, and the self-update commit.

use std::time::Duration;

use cohort::crypto::CipherSuite;

use crate::facade_impl::Facade;
use crate::openmls_impl::OpenMls;
use crate::report::format_duration;
use crate::run::{Settings, by_size, reps};
use crate::{Error, Mls, Subject, median};

/// The suites of the PQ rows: code point and name.
pub const PQ_SUITES: [(u16, &str); 3] = [
    (0x0001, "suite 1 (X25519, Ed25519)"),
    (0x004F, "TBD1 (X-Wing, Ed25519)"),
    (0x0051, "TBD10 (ML-KEM-768, ML-DSA-65)"),
];

/// The medians of one implementation on one suite: scenario, N, median.
type Cells = Vec<(&'static str, usize, Duration)>;

/// Runs the PQ rows at `settings.sizes` (OpenMLS up to `openmls_max`, as it grows a group of
/// 1000 on a PQ suite in minutes) and returns them as Markdown.
///
/// # Errors
/// The first failure of an implementation.
pub fn run(settings: &Settings, openmls_max: usize) -> Result<String, Error> {
    let mut columns: Vec<(String, Cells)> = Vec::new();
    let mut sizes_rows = Vec::new();
    for (code_point, name) in PQ_SUITES {
        let facade_label = leak(format!("cohort facade (RustCrypto), {name}"));
        let openmls_label = leak(format!("OpenMLS (RustCrypto), {name}"));
        let facade = Subject::new(Facade::rustcrypto_pq(CipherSuite(code_point), facade_label));
        columns.push((
            facade_label.to_string(),
            cells(facade, settings, usize::MAX)?,
        ));
        let aws_lc_label = leak(format!("cohort facade (aws-lc), {name}"));
        let aws_lc = Subject::new(Facade::aws_lc_pq(CipherSuite(code_point), aws_lc_label));
        columns.push((
            aws_lc_label.to_string(),
            cells(aws_lc, settings, usize::MAX)?,
        ));
        let openmls = Subject::new(OpenMls::with_suite(code_point, openmls_label)?);
        columns.push((
            openmls_label.to_string(),
            cells(openmls, settings, openmls_max)?,
        ));
        for &n in &settings.sizes {
            sizes_rows.push((name, n, sizes(code_point, n)?));
        }
        if settings.progress {
            eprintln!("bench-peers: PQ rows done for {name}");
        }
    }
    Ok(render(settings, &columns, &sizes_rows))
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The scenarios on one implementation and suite.
fn cells<M: Mls>(
    mut subject: Subject<M>,
    settings: &Settings,
    max_n: usize,
) -> Result<Cells, Error> {
    let q = settings.quick;
    let label = subject.label();
    let say = |what: &str, n: usize| {
        if settings.progress {
            eprintln!("bench-peers: {what} N={n} {label}");
        }
    };
    let mut out = Vec::new();
    say("keypackage_gen", 1);
    let samples = subject.keypackage_gen(reps(q, 5, 50))?;
    out.push(("keypackage_gen", 1, median(&samples)));
    for &n in settings.sizes.iter().filter(|&&n| n <= max_n) {
        say("create_add", n);
        let samples = subject.create_add(n, by_size(q, n, [30, 10, 3], 1), false)?;
        out.push(("create_add", n, median(&samples)));
    }
    for &n in settings.sizes.iter().filter(|&&n| n <= max_n) {
        say("full-tree construction", n);
        subject.grow_to(n)?;
        say("self_update", n);
        let (create, process, _) = subject.self_update(by_size(q, n, [51, 31, 11], 2), false)?;
        out.push(("self_update_create", n, median(&create)));
        out.push(("self_update_process", n, median(&process)));
        say("join_welcome", n);
        let join_reps = by_size(q, n, [30, 10, 3], 1);
        let (plain, _) = subject.join_welcome(join_reps, reps(q, 0, 1))?;
        out.push(("join_welcome", n, median(&plain)));
    }
    Ok(out)
}

/// Sizes in cohort's facade on `code_point` at `n`: KeyPackage, add commit and Welcome of one
/// commit adding `n - 1`, the creator's stored state, and a self-update after that.
fn sizes(code_point: u16, n: usize) -> Result<[usize; 5], Error> {
    let facade = Facade::rustcrypto_pq(CipherSuite(code_point), "sizes");
    let mut creator = facade.member("creator")?;
    facade.create(&mut creator)?;
    let mut key_packages = Vec::with_capacity(n.saturating_sub(1));
    for i in 1..n {
        let mut joiner = facade.member(&format!("m{i}"))?;
        key_packages.push(facade.key_package(&mut joiner)?);
    }
    let key_package = key_packages.first().map_or(0, Vec::len);
    let out = facade.add(&mut creator, &key_packages)?;
    let welcome = out.welcome.as_ref().map_or(0, Vec::len);
    let stored = creator.stored_bytes()?;
    let update = facade.self_update(&mut creator)?.len();
    Ok([key_package, out.commit.len(), welcome, stored, update])
}

fn render(
    settings: &Settings,
    columns: &[(String, Cells)],
    sizes_rows: &[(&str, usize, [usize; 5])],
) -> String {
    let mut md = String::from("| scenario | N |");
    for (label, _) in columns {
        md.push_str(&format!(" {label} |"));
    }
    md.push_str("\n|---|--:|");
    for _ in columns {
        md.push_str("--:|");
    }
    md.push('\n');
    let mut rows: Vec<(&str, usize)> = vec![("keypackage_gen", 1)];
    for scenario in [
        "create_add",
        "join_welcome",
        "self_update_create",
        "self_update_process",
    ] {
        for &n in &settings.sizes {
            rows.push((scenario, n));
        }
    }
    for (scenario, n) in rows {
        md.push_str(&format!("| {scenario} | {n} |"));
        for (_, cells) in columns {
            let cell = cells
                .iter()
                .find(|(s, m, _)| *s == scenario && *m == n)
                .map_or_else(|| "–".to_string(), |(_, _, d)| format_duration(*d));
            md.push_str(&format!(" {cell} |"));
        }
        md.push('\n');
    }
    md.push_str(
        "\nSizes in cohort's facade (bytes; a group of N made by one commit adding N - 1, its \
         creator's stored state, then the creator's first self-update, which encrypts to every \
         member as the parents are still blank):\n\n\
         | suite | N | KeyPackage | add commit | Welcome | stored state | first self-update |\n\
         |---|--:|--:|--:|--:|--:|--:|\n",
    );
    for (name, n, [kp, commit, welcome, stored, update]) in sizes_rows {
        md.push_str(&format!(
            "| {name} | {n} | {kp} | {commit} | {welcome} | {stored} | {update} |\n"
        ));
    }
    md
}
