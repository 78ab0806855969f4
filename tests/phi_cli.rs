//! `frontdesk phi check` as a black box (SPEC §4): JSON lines, byte offsets, --explain,
//! exit codes, stdin streaming, the config's allow-list, no database needed.

// Test helpers may fail loudly: a failed expectation is the test's answer.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Write as _;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

/// The binary with HOME and XDG directories in a fresh temp dir: no real config or data.
fn frontdesk(home: &tempfile::TempDir) -> Command {
    let mut cmd = Command::cargo_bin("frontdesk").expect("the frontdesk binary builds");
    cmd.env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env_remove("FRONTDESK_NOW");
    cmd
}

fn home() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temp dir")
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect()
}

#[test]
fn text_argument_gives_one_json_object_with_byte_offsets() {
    let h = home();
    let text = "Hola José, su quimioterapia es el lunes";
    let out = frontdesk(&h)
        .args(["phi", "check", text])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 1);
    let v = &lines[0];
    assert_eq!(v["blocked"], true);
    let f = &v["findings"][0];
    let (start, end) = (
        f["start"].as_u64().unwrap() as usize,
        f["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[start..end], "quimioterapia");
    assert_eq!(f["category"], "procedure");
    assert_eq!(f["rule"], "term");
    assert_eq!(f["text"], "quimioterapia");
    let keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 5, "{keys:?}");
}

#[test]
fn clean_text_exits_zero_and_is_not_blocked() {
    let h = home();
    frontdesk(&h)
        .args([
            "phi",
            "check",
            "Hi Maria, see you Tue at 9:30 AM. Reply STOP to opt out.",
        ])
        .assert()
        .success()
        .stdout("{\"blocked\":false,\"findings\":[]}\n");
}

#[test]
fn stdin_gives_one_line_per_input_line_in_order() {
    let h = home();
    let input = "Your A1C was 8.2\nSee you Monday at 10\r\n\nStop taking warfarin\nc@ncer";
    let out = frontdesk(&h)
        .args(["phi", "check"])
        .write_stdin(input)
        .output()
        .expect("runs");
    assert!(out.status.success());
    let lines = json_lines(&out.stdout);
    let blocked: Vec<bool> = lines
        .iter()
        .map(|v| v["blocked"].as_bool().unwrap())
        .collect();
    assert_eq!(blocked, [true, false, false, true, true]);
    assert_eq!(lines[0]["findings"][0]["category"], "result");
    assert_eq!(lines[3]["findings"][0]["category"], "instruction");
    assert_eq!(lines[4]["findings"][0]["rule"], "term_obfuscated");
}

#[test]
fn explain_prints_a_table() {
    let h = home();
    frontdesk(&h)
        .args([
            "phi",
            "check",
            "--explain",
            "Your chemotherapy starts Monday, MRN 00482913",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("blocked: \"chemotherapy\" looks like a procedure/treatment")
                .and(predicate::str::contains("category"))
                .and(predicate::str::contains("record_number"))
                .and(predicate::str::contains("5..17")),
        );
}

#[test]
fn invalid_utf8_on_stdin_is_an_error_naming_the_line() {
    let h = home();
    frontdesk(&h)
        .args(["phi", "check"])
        .write_stdin(b"fine line\n\xff\xfe bad\n".to_vec())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("line 2"));
}

#[test]
fn allow_list_from_the_config_reports_without_blocking() {
    let h = home();
    let config = h.path().join("frontdesk.toml");
    let mut f = std::fs::File::create(&config).expect("config");
    writeln!(f, "[phi]\nallow = [\"Riverside Cancer Center\"]").expect("write");
    // Config files are refused unless only their owner can read them (as `init` writes them).
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let out = frontdesk(&h)
        .args(["--config", config.to_str().unwrap(), "phi", "check"])
        .args(["Your visit at Riverside Cancer Center is Monday at 9."])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = &json_lines(&out.stdout)[0];
    assert_eq!(v["blocked"], false);
    assert_eq!(v["findings"][0]["allowed"], true);
    assert_eq!(v["findings"][0]["category"], "service");
}

#[test]
fn many_lines_stream_through() {
    let h = home();
    let mut input = String::new();
    for i in 0..20_000 {
        if i % 2 == 0 {
            input.push_str("Hi Ana, your appointment is Tue at 9:30 AM. Reply C to confirm.\n");
        } else {
            input.push_str("Your HIV test came back negative.\n");
        }
    }
    let out = frontdesk(&h)
        .args(["phi", "check"])
        .write_stdin(input)
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 20_000);
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("{\"blocked\":true"))
            .count(),
        10_000
    );
}
