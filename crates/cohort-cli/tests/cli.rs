//! The `cohort` binary, run as a user would: golden files for `inspect` on every kind of object
//! in the official vectors, and malformed input (truncated and random files) giving one error
//! line and exit status 2, never a panic.
//!
//! `COHORT_GOLDEN_UPDATE=1 cargo test -p cohort-cli --test cli` rewrites the golden files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cohort(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cohort"))
        .args(args)
        .output()
        .expect("run cohort")
}

fn vectors(stem: &str) -> String {
    cohort_test_vectors::vector_path(stem)
        .to_string_lossy()
        .into_owned()
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Runs `args`, and compares the exit status and standard output with `golden/<name>`.
fn golden(name: &str, args: &[&str], status: i32) {
    let out = cohort(args);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    assert_eq!(
        out.status.code(),
        Some(status),
        "{name}: status; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = golden_dir().join(name);
    if std::env::var_os("COHORT_GOLDEN_UPDATE").is_some() {
        std::fs::write(&path, &stdout).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (COHORT_GOLDEN_UPDATE=1 writes it)", path.display()));
    assert_eq!(stdout, expected, "{name} differs from its golden file");
}

/// A fixed time inside the vectors' KeyPackage lifetimes.
const NOW: &str = "1700000000";

#[test]
fn golden_key_package() {
    let file = vectors("welcome");
    let args = ["inspect", &file, "--field", "key_package", "--now", NOW];
    golden("key_package.txt", &args, 0);
    let mut json = args.to_vec();
    json.push("--json");
    golden("key_package.json", &json, 0);
}

#[test]
fn golden_messages_of_every_wire_format() {
    let file = vectors("messages");
    // The messages vectors are structurally valid but not all of their content is: the
    // KeyPackage has expired at NOW, and the application message is a PublicMessage.
    for (field, name, status) in [
        ("mls_group_info", "group_info.txt", 0),
        ("mls_welcome", "welcome.txt", 0),
        ("mls_key_package", "message_key_package.txt", 1),
        (
            "public_message_application",
            "public_message_application.txt",
            1,
        ),
        ("public_message_proposal", "public_message_proposal.txt", 1),
        ("public_message_commit", "public_message_commit.txt", 0),
        ("private_message", "private_message.txt", 0),
    ] {
        golden(
            name,
            &["inspect", &file, "--field", field, "--now", NOW],
            status,
        );
    }
    // With the suite, the commit's path leaf is verified (signed with the group id and the
    // sender's leaf index).
    golden(
        "public_message_commit_suite_1.txt",
        &[
            "inspect",
            &file,
            "--field",
            "public_message_commit",
            "--suite",
            "1",
            "--now",
            NOW,
        ],
        0,
    );
}

#[test]
fn golden_ratchet_tree_with_and_without_a_suite() {
    let file = vectors("tree-validation");
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("JSON");
    let group_id = cases[0]["group_id"].as_str().expect("group_id");
    golden(
        "ratchet_tree.txt",
        &[
            "inspect",
            &file,
            "--field",
            "tree",
            "--suite",
            "1",
            "--group-id",
            group_id,
        ],
        0,
    );
    golden(
        "ratchet_tree_no_suite.txt",
        &["inspect", &file, "--field", "tree", "--as", "ratchet-tree"],
        0,
    );
}

#[test]
fn a_bad_signature_fails_its_check_from_a_file_and_from_standard_input() {
    let file = vectors("welcome");
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("JSON");
    let mut kp = hex::decode(cases[0]["key_package"].as_str().expect("hex")).expect("hex");
    let last = kp.len() - 1;
    kp[last] ^= 1;
    let dir = std::env::temp_dir().join(format!("cohort-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bad_signature.bin");
    std::fs::write(&path, &kp).expect("write");
    let path = path.to_string_lossy().into_owned();
    golden(
        "key_package_bad_signature.txt",
        &["inspect", &path, "--encoding", "raw", "--now", NOW],
        1,
    );
    // The same file through standard input, as hex.
    let out = Command::new(env!("CARGO_BIN_EXE_cohort"))
        .args(["inspect", "-", "--now", NOW])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(hex::encode(&kp).as_bytes())?;
            child.wait_with_output()
        })
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL  signature (KeyPackageTBS)"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

/// One line on standard error, exit status 2, nothing on standard output.
fn assert_clean_error(out: &Output, what: &str) {
    assert_eq!(out.status.code(), Some(2), "{what}: status");
    assert!(out.stdout.is_empty(), "{what}: printed output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{what}: stderr {stderr:?}");
    assert!(stderr.starts_with("cohort: "), "{what}: stderr {stderr:?}");
}

#[test]
fn truncated_and_random_files_are_one_line_errors() {
    let file = vectors("messages");
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("JSON");
    let dir = std::env::temp_dir().join(format!("cohort-cli-trunc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("input.bin");
    let p = path.to_string_lossy().into_owned();
    for field in ["mls_welcome", "mls_group_info", "public_message_commit"] {
        let whole = hex::decode(cases[0][field].as_str().expect("hex")).expect("hex");
        // A few cuts through the binary (the unit tests try every cut in-process).
        for cut in [1, 2, 5, whole.len() / 3, whole.len() / 2, whole.len() - 1] {
            std::fs::write(&path, &whole[..cut]).expect("write");
            let out = cohort(&["inspect", &p, "--encoding", "raw", "--as", "mls-message"]);
            assert_clean_error(&out, &format!("{field} cut at {cut}"));
        }
    }
    // Random bytes (a fixed xorshift stream): an error or a described object, never a panic.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for i in 0..24 {
        let len = 1 + (state % 300) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        std::fs::write(&path, &bytes).expect("write");
        let out = cohort(&["inspect", &p]);
        match out.status.code() {
            Some(2) => assert_clean_error(&out, &format!("random input {i}")),
            Some(0 | 1) => assert!(!out.stdout.is_empty()),
            other => panic!("random input {i}: status {other:?} (a panic is 101)"),
        }
    }
    // An empty file, a missing file, a bad option.
    std::fs::write(&path, b"").expect("write");
    assert_clean_error(&cohort(&["inspect", &p]), "empty file");
    assert_clean_error(
        &cohort(&["inspect", "/nonexistent/cohort-cli-input"]),
        "missing file",
    );
    assert_clean_error(&cohort(&["inspect", "--as", "tree"]), "bad kind");
    assert_clean_error(&cohort(&["frobnicate"]), "unknown command");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn vectors_command_is_the_xtask_runner() {
    let out = cohort(&["vectors", "--file", &vectors("tree-math")]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("tree-math.json: "), "{stdout}");
    assert!(stdout.trim_end().ends_with(" passed, 0 failed"), "{stdout}");
    let help = cohort(&["vectors", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("cohort vectors --file PATH"));
}
