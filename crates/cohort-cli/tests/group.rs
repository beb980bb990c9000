//! `cohort keypackage` and `cohort group`, run as a user would: a whole group driven through
//! files in a temporary directory (create, add, join, send, receive, update, remove), every
//! member agreeing on the epoch and its authenticator after each commit; and bad input (no
//! state, a truncated message, an unknown group, a wrong command line) giving exit status 2 and
//! one line on standard error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh, empty directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cohort-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test directory");
    dir
}

/// Runs `cohort` in `dir`.
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cohort"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run cohort")
}

/// Runs `cohort` in `dir`, which must succeed; returns its standard output.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{args:?} wrote to stderr");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Runs `cohort` in `dir`, which must fail with exit status 2 and one line on standard error
/// starting `cohort: `; returns that line.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    let stderr = String::from_utf8(out.stderr).expect("UTF-8 errors");
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.starts_with("cohort: "), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    stderr
}

/// A command line's words (for arguments without spaces).
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// The value of `name: ` in `group show`'s output.
fn field<'a>(show: &'a str, name: &str) -> &'a str {
    show.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} in {show}"))
}

/// `group show` of each of `members` must give `epoch` and one epoch authenticator, and list
/// `identities` in leaf order.
fn agree(dir: &Path, members: &[&str], epoch: u64, identities: &[&str]) {
    let mut authenticator = None;
    for m in members {
        let show = ok(dir, &["group", "show", "--state", m, "--group", "team"]);
        assert_eq!(field(&show, "epoch"), epoch.to_string(), "{m}: {show}");
        assert_eq!(field(&show, "status"), "active", "{m}: {show}");
        let auth = field(&show, "epoch authenticator").to_string();
        assert_eq!(auth.len(), 64, "{m}: {show}");
        assert!(auth.bytes().all(|b| b.is_ascii_hexdigit()));
        match &authenticator {
            None => authenticator = Some(auth),
            Some(first) => assert_eq!(*first, auth, "{m} disagrees on epoch {epoch}"),
        }
        let listed: Vec<&str> = show
            .lines()
            .filter_map(|l| l.strip_prefix("  leaf "))
            .map(|l| {
                let name = l.split_once(": ").map_or(l, |(_, n)| n);
                name.trim_end_matches(" (us)")
            })
            .collect();
        assert_eq!(listed, identities, "{m}: {show}");
        assert!(show.contains(&format!("{m} (us)")), "{m}: {show}");
    }
}

#[test]
fn a_whole_group_through_files() {
    let dir = temp_dir("group");
    let d = dir.as_path();

    let out = ok(
        d,
        &words("group create --state alice --group team --name alice"),
    );
    assert!(out.contains("created group team"), "{out}");
    for f in ["client.json", "signature.key", "client.sqlite"] {
        assert!(d.join("alice").join(f).exists(), "{f}");
    }
    agree(d, &["alice"], 0, &["alice"]);

    ok(d, &words("keypackage --state bob --name bob --out bob.kp"));
    let out = ok(
        d,
        &words("keypackage --state carol --name carol --count 2 --out carol.kp"),
    );
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(d.join("carol.kp.0").exists() && d.join("carol.kp.1").exists());
    // The KeyPackage file is a raw MLSMessage that `inspect` reads and checks.
    let inspected = ok(d, &words("inspect bob.kp --as mls-message"));
    assert!(inspected.contains("key_package"), "{inspected}");
    // A second run reuses the state: no --name needed, a wrong one refused.
    ok(d, &words("keypackage --state bob --out bob2.kp"));
    fails(d, &words("keypackage --state bob --name robert --out x.kp"));

    // Alice adds Bob and Carol; both join from the Welcome.
    let out = ok(
        d,
        &words(
            "group add --state alice --group team --key-package bob.kp carol.kp.1 --commit-out add.commit --welcome-out add.welcome",
        ),
    );
    assert!(out.contains("bob (leaf 1), carol (leaf 2)"), "{out}");
    let out = ok(d, &words("group join --state bob --welcome add.welcome"));
    assert!(out.contains("as leaf 1"), "{out}");
    let out = ok(d, &words("group join --state carol --welcome add.welcome"));
    assert!(out.contains("as leaf 2"), "{out}");
    agree(d, &["alice", "bob", "carol"], 1, &["alice", "bob", "carol"]);

    // Alice writes; Bob reads the raw file, Carol a base64 copy of it.
    ok(
        d,
        &[
            "group",
            "send",
            "--state",
            "alice",
            "--group",
            "team",
            "--message",
            "hello, team",
            "--out",
            "hello.msg",
        ],
    );
    let out = ok(
        d,
        &words("group receive --state bob --group team --in hello.msg"),
    );
    assert_eq!(out, "alice (leaf 0): hello, team\n");
    let raw = std::fs::read(d.join("hello.msg")).expect("read the message");
    let b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&raw)
    };
    std::fs::write(d.join("hello.b64"), format!("{b64}\n")).expect("write base64");
    let out = ok(
        d,
        &words("group receive --state carol --group team --in hello.b64"),
    );
    assert_eq!(out, "alice (leaf 0): hello, team\n");
    // A message is read once.
    fails(
        d,
        &words("group receive --state bob --group team --in hello.msg"),
    );

    // Bob updates; Alice and Carol process his commit.
    ok(
        d,
        &words("group update --state bob --group team --commit-out update.commit"),
    );
    for m in ["alice", "carol"] {
        let out = ok(
            d,
            &[
                "group",
                "receive",
                "--state",
                m,
                "--group",
                "team",
                "--in",
                "update.commit",
            ],
        );
        assert!(
            out.starts_with("commit from bob (leaf 1): epoch 1 -> 2"),
            "{out}"
        );
        assert!(out.contains("updated bob (leaf 1)"), "{out}");
    }
    agree(d, &["alice", "bob", "carol"], 2, &["alice", "bob", "carol"]);

    // Alice removes Carol; Bob processes it, and so does Carol, who learns she is out.
    let out = ok(
        d,
        &words("group remove --state alice --group team --leaf 2 --commit-out remove.commit"),
    );
    assert!(out.contains("removed carol (leaf 2)"), "{out}");
    let out = ok(
        d,
        &words("group receive --state bob --group team --in remove.commit"),
    );
    assert!(out.contains("removed carol (leaf 2)"), "{out}");
    let out = ok(
        d,
        &words("group receive --state carol --group team --in remove.commit"),
    );
    assert!(out.contains("removed us from the group"), "{out}");
    agree(d, &["alice", "bob"], 3, &["alice", "bob"]);
    let show = ok(d, &words("group show --state carol --group team"));
    assert!(field(&show, "status").starts_with("removed"), "{show}");
    fails(
        d,
        &words("group send --state carol --group team --message hi --out carol.msg"),
    );

    // The two left still talk, in the new epoch.
    ok(
        d,
        &[
            "group",
            "send",
            "--state",
            "bob",
            "--group",
            "team",
            "--message",
            "just us",
            "--out",
            "bye.msg",
        ],
    );
    let out = ok(
        d,
        &words("group receive --state alice --group team --in bye.msg"),
    );
    assert_eq!(out, "bob (leaf 1): just us\n");

    // Commits taken out of order: the later one is refused (nothing is held between runs),
    // and goes through once the earlier one is in.
    for file in ["u1.commit", "u2.commit"] {
        ok(
            d,
            &[
                "group",
                "update",
                "--state",
                "bob",
                "--group",
                "team",
                "--commit-out",
                file,
            ],
        );
    }
    let line = fails(
        d,
        &words("group receive --state alice --group team --in u2.commit"),
    );
    assert!(
        line.contains("process the commits before it first"),
        "{line}"
    );
    for file in ["u1.commit", "u2.commit"] {
        ok(
            d,
            &[
                "group", "receive", "--state", "alice", "--group", "team", "--in", file,
            ],
        );
    }
    agree(d, &["alice", "bob"], 5, &["alice", "bob"]);

    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_inputs_give_one_line_and_status_2() {
    let dir = temp_dir("bad");
    let d = dir.as_path();
    ok(
        d,
        &words("group create --state alice --group g --name alice"),
    );
    ok(
        d,
        &words("group send --state alice --group g --message x --out m"),
    );
    let message = std::fs::read(d.join("m")).expect("read the message");
    std::fs::write(d.join("truncated"), &message[..message.len() / 2]).expect("write");
    std::fs::write(d.join("empty"), b"").expect("write");
    std::fs::write(d.join("random"), [0x00, 0x01, 0x00, 0x07, 0xff, 0x13]).expect("write");

    for (args, says) in [
        // No state.
        (
            &["group", "show", "--state", "nobody", "--group", "g"][..],
            "no client state in nobody",
        ),
        (
            &["group", "join", "--state", "nobody", "--welcome", "m"],
            "no client state",
        ),
        (
            &["keypackage", "--state", "nobody", "--out", "kp"],
            "give --name",
        ),
        // An unknown group.
        (
            &["group", "show", "--state", "alice", "--group", "other"],
            "no group \"other\"",
        ),
        (
            &["group", "create", "--state", "alice", "--group", "g"],
            "exists already",
        ),
        // Damaged or wrong message files.
        (
            &[
                "group",
                "receive",
                "--state",
                "alice",
                "--group",
                "g",
                "--in",
                "truncated",
            ],
            "not an MLSMessage",
        ),
        (
            &[
                "group", "receive", "--state", "alice", "--group", "g", "--in", "empty",
            ],
            "empty",
        ),
        (
            &[
                "group", "receive", "--state", "alice", "--group", "g", "--in", "random",
            ],
            "not an MLSMessage",
        ),
        (
            &[
                "group", "receive", "--state", "alice", "--group", "g", "--in", "absent",
            ],
            "cannot read absent",
        ),
        (
            &["group", "join", "--state", "alice", "--welcome", "m"],
            "not a Welcome",
        ),
        (
            &[
                "group",
                "add",
                "--state",
                "alice",
                "--group",
                "g",
                "--key-package",
                "m",
                "--commit-out",
                "c",
                "--welcome-out",
                "w",
            ],
            "not a KeyPackage",
        ),
        // Leaves that are not members.
        (
            &[
                "group",
                "remove",
                "--state",
                "alice",
                "--group",
                "g",
                "--leaf",
                "5",
                "--commit-out",
                "c",
            ],
            "not a member",
        ),
        (
            &[
                "group",
                "remove",
                "--state",
                "alice",
                "--group",
                "g",
                "--leaf",
                "0",
                "--commit-out",
                "c",
            ],
            "our own",
        ),
        // Wrong command lines.
        (&["group"], "needs a subcommand"),
        (
            &["group", "frob", "--state", "alice"],
            "unknown group subcommand",
        ),
        (&["group", "show", "--group", "g"], "--state is required"),
        (
            &["group", "show", "--state", "alice"],
            "--group is required",
        ),
        (
            &[
                "group", "send", "--state", "alice", "--group", "g", "--out", "m",
            ],
            "--message is required",
        ),
        (
            &[
                "group", "show", "--state", "alice", "--group", "g", "--leaf", "1",
            ],
            "unknown option --leaf",
        ),
        (
            &[
                "keypackage",
                "--state",
                "alice",
                "--count",
                "0",
                "--out",
                "kp",
            ],
            "--count must be",
        ),
        (
            &[
                "keypackage",
                "--state",
                "new",
                "--name",
                "n",
                "--suite",
                "99",
                "--out",
                "kp",
            ],
            "cipher suite 99 is not supported",
        ),
    ] {
        let line = fails(d, args);
        assert!(line.contains(says), "{args:?}: {line}");
    }
    // Nothing failed half-way: the group is as it was.
    let show = ok(d, &words("group show --state alice --group g"));
    assert_eq!(field(&show, "epoch"), "0");
    assert!(!d.join("c").exists() && !d.join("new").join("client.json").exists());

    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_names_the_client_commands() {
    let dir = temp_dir("help");
    for args in [&["--help"][..], &["group", "--help"], &["keypackage", "-h"]] {
        let help = ok(&dir, args);
        assert!(help.starts_with("cohort: "), "{help}");
        for command in [
            "cohort keypackage --state DIR",
            "cohort group create",
            "cohort group add",
            "cohort group join",
            "cohort group remove",
            "cohort group update",
            "cohort group send",
            "cohort group receive",
            "cohort group show",
        ] {
            assert!(help.contains(command), "{args:?} lacks {command}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
