//! The binary's commands as a user runs them: exit codes, messages, files written.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

/// Every database these tests make is encrypted with this key; the binary gets it in
/// `FRONTDESK_DB_KEY`.
pub const TEST_DB_KEY: &str = "7e577e577e577e577e577e577e577e577e577e577e577e577e577e577e577e57";

pub fn test_db_key() -> frontdesk::store::cipher::DbKey {
    frontdesk::store::cipher::DbKey::from_hex(TEST_DB_KEY).unwrap()
}

const NOW: &str = "2026-11-25T09:30:00-05:00";

/// The binary with a private HOME so nothing touches the real user's folders.
fn frontdesk(home: &TempDir) -> Command {
    let mut cmd = Command::cargo_bin("frontdesk").unwrap();
    cmd.env_clear()
        .env("FRONTDESK_DB_KEY", TEST_DB_KEY)
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("FRONTDESK_NOW", NOW);
    cmd
}

/// Write a config file as `init` would: readable by its owner only.
fn write_config(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn help_lists_the_commands() {
    let home = TempDir::new().unwrap();
    frontdesk(&home)
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("demo"));
}

#[test]
fn unknown_command_is_a_usage_error() {
    let home = TempDir::new().unwrap();
    frontdesk(&home).arg("frobnicate").assert().code(2);
}

#[test]
fn demo_seed_only_writes_then_reuses() {
    let home = TempDir::new().unwrap();
    let db = home.path().join("demo.db");
    frontdesk(&home)
        .args(["--db", db.to_str().unwrap(), "demo", "--seed-only"])
        .assert()
        .success()
        .stdout(predicate::str::contains("400 patients"));
    assert!(db.exists());
    frontdesk(&home)
        .args(["--db", db.to_str().unwrap(), "demo", "--seed-only"])
        .assert()
        .success()
        .stdout(predicate::str::contains("reused"));
    // Logs went next to the database, not into the terminal.
    assert!(home.path().join("logs").is_dir());
}

#[test]
fn demo_group_at_a_given_size_and_the_size_only_with_the_group() {
    let home = TempDir::new().unwrap();
    let db = home.path().join("group.db");
    let db = db.to_str().unwrap();
    frontdesk(&home)
        .args(["--db", db, "demo", "--seed-only", "--appointments", "2000"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("add --scale group"));
    assert!(!home.path().join("group.db").exists(), "nothing written");
    frontdesk(&home)
        .args(["--db", db, "demo", "--seed-only", "--scale", "group"])
        .args(["--appointments", "999"])
        .assert()
        .code(2);
    frontdesk(&home)
        .args(["--db", db, "demo", "--seed-only", "--scale", "group"])
        .args(["--appointments", "2000"])
        .assert()
        .success()
        .stdout(predicate::str::contains("4 clinicians, 100 patients"));
}

#[test]
fn demo_without_db_uses_the_platform_data_dir_not_the_practice_db() {
    let home = TempDir::new().unwrap();
    frontdesk(&home)
        .args(["demo", "--seed-only"])
        .assert()
        .success();
    let data = home.path().join(".local/share/frontdesk");
    assert!(
        data.join("demo.db").exists(),
        "demo.db in {}",
        data.display()
    );
    assert!(!data.join("frontdesk.db").exists());
}

#[test]
fn bad_config_names_key_and_line_without_a_stack_trace() {
    let home = TempDir::new().unwrap();
    let cfg = home.path().join("config.toml");
    write_config(
        &cfg,
        "[practice]\nname = \"X\"\ntime_zone = \"Mars/Base\"\n",
    );
    frontdesk(&home)
        .args(["--config", cfg.to_str().unwrap(), "demo", "--seed-only"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("config.toml:3"))
        .stderr(predicate::str::contains("practice.time_zone"))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn explicit_config_that_does_not_exist_is_an_error() {
    let home = TempDir::new().unwrap();
    frontdesk(&home)
        .args([
            "--config",
            "/nonexistent/frontdesk.toml",
            "demo",
            "--seed-only",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot read config file"));
}

#[test]
fn bad_clock_override_is_an_error() {
    let home = TempDir::new().unwrap();
    frontdesk(&home)
        .env("FRONTDESK_NOW", "tomorrow")
        .args(["demo", "--seed-only"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("FRONTDESK_NOW"));
}

#[test]
fn unwritable_database_location_is_a_clear_error() {
    let home = TempDir::new().unwrap();
    let blocker = home.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    frontdesk(&home)
        .args([
            "--db",
            blocker.join("demo.db").to_str().unwrap(),
            "demo",
            "--seed-only",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("error:"));
}

#[test]
fn audit_verify_passes_on_an_intact_trail_and_names_a_tampered_record() {
    let home = TempDir::new().unwrap();
    let db = home.path().join("demo.db");
    let db_arg = db.to_str().unwrap();
    frontdesk(&home)
        .args(["--db", db_arg, "demo", "--seed-only"])
        .assert()
        .success();
    frontdesk(&home)
        .args(["--db", db_arg, "audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("intact"));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let key = frontdesk::store::cipher::DbKey::from_hex(TEST_DB_KEY).unwrap();
    conn.execute_batch(&key.sqlcipher_statements()).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_append_only_update; UPDATE audit SET actor = 'mallory' WHERE id = 1;",
    )
    .unwrap();
    drop(conn);
    frontdesk(&home)
        .args(["--db", db_arg, "audit", "verify"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("audit record 1 was changed"));
}
