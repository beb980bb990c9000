//! The report: Markdown tables of medians with the ratio cohort / faster peer in every row.

use std::fmt::Write as _;
use std::time::Duration;

use crate::primitives::{PRIMITIVES, message_floor};
use crate::run::Results;

/// The labels of the default-backend comparison: cohort's facade (what applications run, the
/// headline) first, then its peers.
pub const DEFAULT_ROW: [&str; 3] = [
    "cohort facade (aws-lc)",
    "OpenMLS (RustCrypto)",
    "mls-rs (aws-lc)",
];
/// cohort's sans-IO engine (the sans-IO `Group` of the cohort-group crate) on the same backend, beside the facade: the
/// ratio facade / engine is what the facade's storage and bookkeeping cost.
pub const ENGINE: &str = "cohort engine (aws-lc)";
/// mls-rs on aws-lc confined to one thread, as cohort is.
pub const ONE_THREAD: &str = "mls-rs (aws-lc, 1 thread)";
/// The labels of the like-for-like comparison, everyone on RustCrypto.
pub const RUSTCRYPTO_ROW: [&str; 3] = [
    "cohort (RustCrypto)",
    "OpenMLS (RustCrypto)",
    "mls-rs (RustCrypto)",
];

/// The scenarios in report order, with whether they run at every N (else at N = 2 or 1).
pub const SCENARIOS: [(&str, bool); 15] = [
    ("keypackage_gen", false),
    ("create_add", true),
    ("create_add_persist", true),
    ("join_welcome", true),
    ("join_welcome_persist", true),
    ("self_update_create", true),
    ("self_update_create_persist", true),
    ("self_update_process", true),
    ("self_update_process_persist", true),
    ("app_msg_1k_encrypt", false),
    ("app_msg_1k_decrypt", false),
    ("app_msg_1k_roundtrip", false),
    ("app_msg_1m_encrypt", false),
    ("app_msg_1m_decrypt", false),
    ("app_msg_1m_roundtrip", false),
];

/// `d` with three significant digits and a unit.
pub fn format_duration(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    let (v, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    if v >= 100.0 {
        format!("{v:.0} {unit}")
    } else if v >= 10.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.2} {unit}")
    }
}

fn cell(results: &Results, scenario: &str, n: usize, label: &str) -> String {
    match results.get(scenario, n, label) {
        Some(d) if scenario == "app_msg_1m_roundtrip" && !d.is_zero() => {
            format!(
                "{} ({:.0} MiB/s)",
                format_duration(d),
                1.0 / d.as_secs_f64()
            )
        }
        Some(d) => format_duration(d),
        None => "–".to_string(),
    }
}

/// `cohort / fastest peer` for the labels of `row` (cohort first), e.g. `0.62×`, bold when
/// cohort is not ahead.
fn ratio(results: &Results, scenario: &str, n: usize, row: &[&str]) -> String {
    let Some(ours) = results.get(scenario, n, row[0]) else {
        return "–".to_string();
    };
    let best = row[1..]
        .iter()
        .filter_map(|l| results.get(scenario, n, l))
        .min();
    match best {
        Some(best) if !best.is_zero() => {
            let r = ours.as_secs_f64() / best.as_secs_f64();
            if r >= 1.0 {
                format!("**{r:.2}×**")
            } else {
                format!("{r:.2}×")
            }
        }
        _ => "–".to_string(),
    }
}

/// `a / b`, e.g. `1.07×`, not bold: a cost ratio within cohort, not a race.
fn plain_ratio(results: &Results, scenario: &str, n: usize, a: &str, b: &str) -> String {
    match (results.get(scenario, n, a), results.get(scenario, n, b)) {
        (Some(a), Some(b)) if !b.is_zero() => format!("{:.2}×", a.as_secs_f64() / b.as_secs_f64()),
        _ => "–".to_string(),
    }
}

/// The sizes at which `scenario` ran.
fn sizes_of(results: &Results, scenario: &str) -> Vec<usize> {
    let mut sizes: Vec<usize> = results
        .measurements
        .iter()
        .filter(|m| m.scenario == scenario)
        .map(|m| m.n)
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

/// The main table: one row per scenario and N, the default backends with their ratio, then the
/// like-for-like RustCrypto columns with theirs.
pub fn scenario_table(results: &Results) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| scenario | N | {} | {ENGINE} | facade / engine | {} | {} | facade / faster peer | {ONE_THREAD} | engine / 1-thread mls-rs | {} | {} | RustCrypto: engine / faster peer |",
        DEFAULT_ROW[0], DEFAULT_ROW[1], DEFAULT_ROW[2], RUSTCRYPTO_ROW[0], RUSTCRYPTO_ROW[2]
    );
    let _ = writeln!(s, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (scenario, _) in SCENARIOS.iter() {
        for n in sizes_of(results, scenario) {
            let _ = writeln!(
                s,
                "| {scenario} | {n} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(results, scenario, n, DEFAULT_ROW[0]),
                cell(results, scenario, n, ENGINE),
                plain_ratio(results, scenario, n, DEFAULT_ROW[0], ENGINE),
                cell(results, scenario, n, DEFAULT_ROW[1]),
                cell(results, scenario, n, DEFAULT_ROW[2]),
                ratio(results, scenario, n, &DEFAULT_ROW),
                cell(results, scenario, n, ONE_THREAD),
                ratio(results, scenario, n, &[ENGINE, ONE_THREAD]),
                cell(results, scenario, n, RUSTCRYPTO_ROW[0]),
                cell(results, scenario, n, RUSTCRYPTO_ROW[2]),
                ratio(results, scenario, n, &RUSTCRYPTO_ROW),
            );
        }
    }
    s
}

/// The primitive floor: one row per primitive, one column per implementation that ran.
pub fn floor_table(results: &Results) -> String {
    let mut s = String::new();
    let _ = write!(s, "| primitive |");
    for l in &results.labels {
        let _ = write!(s, " {l} |");
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "|---|{}", "--:|".repeat(results.labels.len()));
    for op in PRIMITIVES {
        let _ = write!(s, "| {op} |");
        for l in &results.labels {
            let d = results
                .floor
                .iter()
                .find(|(label, o, _)| label == l && *o == op)
                .map(|(_, _, d)| format_duration(*d))
                .unwrap_or_else(|| "–".to_string());
            let _ = write!(s, " {d} |");
        }
        let _ = writeln!(s);
    }
    s
}

/// What the application messages sign, for the floor tables: a sentence fragment.
pub fn signed_line(results: &Results) -> String {
    match results.signed {
        Some(s) => format!(
            "the \"message\" signature rows sign and verify {} bytes for 1 KiB of application \
             data and {} bytes for 1 MiB, the `SignContent` of the message's `FramedContentTBS`",
            s.kib, s.mib
        ),
        None => "the message sizes were not measured".to_string(),
    }
}

/// The application-message roundtrips against their floor (one signature and one verification
/// of what a message of that size signs, and two AES-128-GCM operations on it; see
/// [`message_floor`]): one row per implementation, with `roundtrip / floor`.
pub fn message_floor_table(results: &Results) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| implementation | app_msg_1k_roundtrip | its floor | / floor | app_msg_1m_roundtrip | its floor | / floor |"
    );
    let _ = writeln!(s, "|---|--:|--:|--:|--:|--:|--:|");
    for l in &results.labels {
        let floor_of = |op: &str| {
            results
                .floor
                .iter()
                .find(|(label, o, _)| label == l && *o == op)
                .map(|(_, _, d)| *d)
        };
        let _ = write!(s, "| {l} |");
        for (scenario, size) in [
            ("app_msg_1k_roundtrip", "1 KiB"),
            ("app_msg_1m_roundtrip", "1 MiB"),
        ] {
            let measured = sizes_of(results, scenario)
                .first()
                .and_then(|&n| results.get(scenario, n, l));
            let floor = message_floor(size, floor_of);
            let show = |d: Option<Duration>| d.map_or_else(|| "–".to_string(), format_duration);
            let r = match (measured, floor) {
                (Some(m), Some(f)) if !f.is_zero() => {
                    format!("{:.2}×", m.as_secs_f64() / f.as_secs_f64())
                }
                _ => "–".to_string(),
            };
            let _ = write!(s, " {} | {} | {r} |", show(measured), show(floor));
        }
        let _ = writeln!(s);
    }
    s
}

/// The self-update commit sizes: one row per N.
pub fn commit_bytes_table(results: &Results) -> String {
    let mut s = String::new();
    let _ = write!(s, "| N |");
    for l in &results.labels {
        let _ = write!(s, " {l} |");
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "|--:|{}", "--:|".repeat(results.labels.len()));
    let mut sizes: Vec<usize> = results.commit_bytes.iter().map(|c| c.0).collect();
    sizes.dedup();
    for n in sizes {
        let _ = write!(s, "| {n} |");
        for l in &results.labels {
            let b = results
                .commit_bytes
                .iter()
                .find(|c| c.0 == n && c.1 == *l)
                .map(|c| format!("{} B", c.2))
                .unwrap_or_else(|| "–".to_string());
            let _ = write!(s, " {b} |");
        }
        let _ = writeln!(s);
    }
    s
}

/// The repetition counts behind each median, for the record.
pub fn runs_line(results: &Results) -> String {
    let mut parts: Vec<String> = Vec::new();
    for (scenario, _) in SCENARIOS.iter() {
        for n in sizes_of(results, scenario) {
            let runs: Vec<usize> = results
                .measurements
                .iter()
                .filter(|m| m.scenario == *scenario && m.n == n)
                .map(|m| m.runs)
                .collect();
            let (lo, hi) = (
                runs.iter().min().copied().unwrap_or(0),
                runs.iter().max().copied().unwrap_or(0),
            );
            if lo == hi {
                parts.push(format!("{scenario}@{n}: {lo}"));
            } else {
                parts.push(format!("{scenario}@{n}: {lo}–{hi}"));
            }
        }
    }
    parts.join(", ")
}

/// cohort's operation counts per timed operation.
pub fn counts_table(results: &Results) -> String {
    let mut s = String::new();
    let _ = write!(s, "| scenario | N |");
    for c in crate::counting::COUNTED {
        let _ = write!(s, " {c} |");
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "|---|--:|{}",
        "--:|".repeat(crate::counting::COUNTED.len())
    );
    for (scenario, n, counts) in &results.counts {
        let _ = write!(s, "| {scenario} | {n} |");
        for c in counts {
            let _ = write!(s, " {c} |");
        }
        let _ = writeln!(s);
    }
    s
}
