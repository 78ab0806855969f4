//! The binary as a new practice meets it: `init`, staff accounts and `--as`, and the ways it
//! fails safe — no silent new databases, owner-only files, refused open configs, a log folder
//! that cannot be written, a fixed clock that says so.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

const NOW: &str = "2026-11-25T09:30:00-05:00";
const ADMIN_PASSWORD: &str = "correct horse battery";

/// The binary with a private HOME and no FRONTDESK_NOW unless a test sets it.
fn frontdesk(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("frontdesk").unwrap();
    cmd.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// A practice set up by a scripted `init` in `dir`: (config, database).
struct Practice {
    dir: TempDir,
    config: PathBuf,
    db: PathBuf,
}

impl Practice {
    fn init() -> Self {
        let dir = TempDir::new().unwrap();
        let config = dir.path().join("etc/frontdesk.toml");
        let db = dir.path().join("data/practice.db");
        let p = Self { dir, config, db };
        p.cmd()
            .env("FRONTDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .args(INIT_ARGS)
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "Practice Lakeside Family Medicine is set up.",
            ));
        p
    }

    /// The binary pointed at this practice's config and database.
    fn cmd(&self) -> Command {
        let mut cmd = frontdesk(self.dir.path());
        cmd.arg("--config")
            .arg(&self.config)
            .arg("--db")
            .arg(&self.db);
        cmd
    }

    /// The binary acting as `name` with `pin`, at the fixed `NOW` (lockouts run on it).
    fn as_member(&self, name: &str, pin: &str) -> Command {
        let mut cmd = self.cmd();
        cmd.env("FRONTDESK_PIN", pin)
            .env("FRONTDESK_NOW", NOW)
            .args(["--as", name]);
        cmd
    }

    fn logs(&self) -> String {
        let mut all = String::new();
        for entry in std::fs::read_dir(self.dir.path().join("data/logs")).unwrap() {
            all.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
        }
        all
    }
}

const INIT_ARGS: [&str; 9] = [
    "init",
    "--practice-name",
    "Lakeside Family Medicine",
    "--practice-phone",
    "(201) 555-0134",
    "--time-zone",
    "America/New_York",
    "--admin-user",
    "ana",
];

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn stderr_of(cmd: &mut Command) -> String {
    String::from_utf8(cmd.output().unwrap().stderr).unwrap()
}

#[test]
fn init_writes_an_owner_only_config_database_and_log_and_the_admin_can_sign_in() {
    let p = Practice::init();
    assert_eq!(mode(&p.config), 0o600);
    assert_eq!(mode(&p.db), 0o600);
    assert_eq!(mode(&p.dir.path().join("data/logs")), 0o700);
    let config = std::fs::read_to_string(&p.config).unwrap();
    assert!(config.contains("phone = \"+12015550134\""), "{config}");
    p.as_member("ana", ADMIN_PASSWORD)
        .args(["staff", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ana").and(predicate::str::contains("admin")));
    // A sending run adds the send lock next to the database.
    p.cmd().arg("remind").assert().success();
    assert!(p.dir.path().join("data/practice.db.send-lock").exists());
    // Every file the product made: the database with its -wal/-shm, the lock, the log.
    for entry in std::fs::read_dir(p.dir.path().join("data")).unwrap() {
        let path = entry.unwrap().path();
        let want = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&path), want, "{}", path.display());
    }
    for entry in std::fs::read_dir(p.dir.path().join("data/logs")).unwrap() {
        assert_eq!(mode(&entry.unwrap().path()), 0o600);
    }
}

#[test]
fn init_never_writes_over_a_config_or_a_database() {
    let p = Practice::init();
    let config_before = std::fs::read(&p.config).unwrap();
    let db_before = std::fs::read(&p.db).unwrap();
    p.cmd()
        .env("FRONTDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .args(INIT_ARGS)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("a config file already exists at"));
    // Only the database exists (its config elsewhere): still refused, nothing written.
    let other_config = p.dir.path().join("other.toml");
    let mut cmd = frontdesk(p.dir.path());
    cmd.arg("--config")
        .arg(&other_config)
        .arg("--db")
        .arg(&p.db);
    cmd.env("FRONTDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .args(INIT_ARGS)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("a database already exists at"));
    assert!(!other_config.exists());
    assert_eq!(std::fs::read(&p.config).unwrap(), config_before);
    assert_eq!(std::fs::read(&p.db).unwrap(), db_before);
}

#[test]
fn scripted_init_refuses_bad_answers_and_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let run = |args: &[&str], password: Option<&str>| {
        let mut cmd = frontdesk(dir.path());
        cmd.arg("--config").arg(dir.path().join("c.toml"));
        cmd.arg("--db").arg(dir.path().join("p.db"));
        if let Some(pw) = password {
            cmd.env("FRONTDESK_ADMIN_PASSWORD", pw);
        }
        cmd.args(args).assert().code(1)
    };
    let mut args = INIT_ARGS.to_vec();
    args[4] = "555-0100";
    run(&args, Some(ADMIN_PASSWORD)).stderr(
        predicate::str::contains("--practice-phone").and(predicate::str::contains("555-0100")),
    );
    run(&INIT_ARGS, None).stderr(predicate::str::contains("FRONTDESK_ADMIN_PASSWORD"));
    run(&INIT_ARGS, Some("482915")).stderr(predicate::str::contains("admin needs a password"));
    let mut args = INIT_ARGS.to_vec();
    args[6] = "Eastern";
    run(&args, Some(ADMIN_PASSWORD)).stderr(predicate::str::contains("--time-zone"));
    run(&INIT_ARGS[..7], Some(ADMIN_PASSWORD)).stderr(predicate::str::contains("--admin-user"));
    assert!(!dir.path().join("c.toml").exists());
    assert!(!dir.path().join("p.db").exists());
}

#[test]
fn init_without_flags_and_without_a_terminal_says_how_to_script_it() {
    let dir = TempDir::new().unwrap();
    frontdesk(dir.path())
        .arg("init")
        .write_stdin("")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--practice-name"));
}

#[test]
fn every_command_but_init_and_demo_refuses_a_missing_database_and_creates_nothing() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("typo/practice.db");
    for args in [
        vec!["remind"],
        vec!["sync"],
        vec!["audit", "verify"],
        vec!["send", "portal", "--patient", "1", "--kind", "new-message"],
        vec!["staff", "list"],
        vec![],
    ] {
        frontdesk(dir.path())
            .arg("--db")
            .arg(&db)
            .args(&args)
            .assert()
            .code(1)
            .stderr(predicate::eq(format!(
                "error: there is no database at {}; check --db, or run `frontdesk init` to set up a practice\n",
                db.display()
            )));
    }
    assert!(!dir.path().join("typo").exists(), "nothing was created");
}

#[test]
fn demo_refuses_a_practice_database_and_other_files_but_reuses_its_own() {
    let p = Practice::init();
    let before = std::fs::read(&p.db).unwrap();
    frontdesk(p.dir.path())
        .arg("--db")
        .arg(&p.db)
        .args(["demo", "--seed-only"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not a demo database"));
    assert_eq!(
        std::fs::read(&p.db).unwrap(),
        before,
        "no invented patient landed"
    );
    let notes = p.dir.path().join("notes.db");
    std::fs::write(&notes, "not a database").unwrap();
    frontdesk(p.dir.path())
        .arg("--db")
        .arg(&notes)
        .args(["demo", "--seed-only"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not a demo database"));
    let demo = p.dir.path().join("demo.db");
    for expect in ["400 patients", "reused"] {
        frontdesk(p.dir.path())
            .env("FRONTDESK_NOW", NOW)
            .arg("--db")
            .arg(&demo)
            .args(["demo", "--seed-only"])
            .assert()
            .success()
            .stdout(predicate::str::contains(expect));
    }
}

#[test]
fn sending_refuses_a_practice_without_name_or_phone_and_says_how_to_fix_it() {
    let p = Practice::init();
    std::fs::write(&p.config, "[practice]\ntime_zone = \"America/New_York\"\n").unwrap();
    for args in [vec!["remind"], vec!["remind", "--dry-run"], vec!["sync"]] {
        p.cmd().args(&args).assert().code(1).stderr(predicate::eq(format!(
            "error: the practice's name is not set (every text names it): set `name = ...` under [practice] in {}, or run `frontdesk init`; nothing was sent\n",
            p.config.display()
        )));
    }
    std::fs::write(
        &p.config,
        "[practice]\nname = \"Lakeside Family Medicine\"\n",
    )
    .unwrap();
    p.cmd()
        .arg("remind")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("phone number is not set"));
    // With both set, the same command runs.
    std::fs::write(
        &p.config,
        "[practice]\nname = \"Lakeside Family Medicine\"\nphone = \"(201) 555-0134\"\n",
    )
    .unwrap();
    p.cmd().arg("remind").assert().success();
}

#[test]
fn a_partial_practice_phone_in_the_config_is_refused_with_key_and_line() {
    let p = Practice::init();
    std::fs::write(
        &p.config,
        "[practice]\nname = \"Lakeside\"\nphone = \"555-0100\"\n",
    )
    .unwrap();
    p.cmd()
        .arg("remind")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "frontdesk.toml:3: `practice.phone`",
        ));
}

#[test]
fn a_config_others_can_read_is_refused_with_the_chmod_that_fixes_it() {
    let p = Practice::init();
    std::fs::set_permissions(&p.config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let fix = format!("run: chmod 600 {}", p.config.display());
    for args in [
        vec!["audit", "verify"],
        vec!["phi", "check", "see you at 9"],
    ] {
        p.cmd()
            .args(&args)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(fix.as_str()));
    }
    std::fs::set_permissions(&p.config, std::fs::Permissions::from_mode(0o600)).unwrap();
    p.cmd().args(["audit", "verify"]).assert().success();
}

#[test]
fn a_log_folder_that_cannot_be_written_means_no_log_file_said_once_and_no_panic() {
    let dir = TempDir::new().unwrap();
    // The platform data folder is a file: no log folder can be made under it.
    std::fs::create_dir_all(dir.path().join(".local/share")).unwrap();
    std::fs::write(dir.path().join(".local/share/frontdesk"), "").unwrap();
    let out = frontdesk(dir.path())
        .args(["phi", "check", "Your appointment is Monday at 9."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.matches("running without a log file").count(),
        1,
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("\"blocked\":false")
    );

    // Beside a database, a file called `logs` blocks the folder: the command still works.
    let p = Practice::init();
    std::fs::remove_dir_all(p.dir.path().join("data/logs")).unwrap();
    std::fs::write(p.dir.path().join("data/logs"), "").unwrap();
    let stderr = stderr_of(p.cmd().args(["audit", "verify"]));
    assert_eq!(
        stderr.matches("running without a log file").count(),
        1,
        "{stderr}"
    );
    p.cmd().args(["audit", "verify"]).assert().success();
}

#[test]
fn a_fixed_clock_warns_on_every_command_but_the_demo() {
    let p = Practice::init();
    let warning = "the clock is fixed at 2026-11-25T14:30:00+00:00 by FRONTDESK_NOW";
    for args in [
        vec!["audit", "verify"],
        vec!["phi", "check", "hello"],
        vec!["remind"],
    ] {
        p.cmd()
            .env("FRONTDESK_NOW", NOW)
            .args(&args)
            .assert()
            .success()
            .stderr(predicate::str::contains(warning));
    }
    p.cmd()
        .args(["audit", "verify"])
        .assert()
        .success()
        .stderr(predicate::str::contains("FRONTDESK_NOW").not());
    frontdesk(p.dir.path())
        .env("FRONTDESK_NOW", NOW)
        .arg("--db")
        .arg(p.dir.path().join("demo.db"))
        .args(["demo", "--seed-only"])
        .assert()
        .success()
        .stderr(predicate::str::contains("FRONTDESK_NOW").not());
}

#[test]
fn staff_are_added_by_an_admin_and_roles_hold_in_every_command() {
    let p = Practice::init();
    p.as_member("ana", ADMIN_PASSWORD)
        .env("FRONTDESK_NEW_PIN", "482915")
        .args([
            "staff",
            "add",
            "bo",
            "--role",
            "reception",
            "--name",
            "Bo Nguyễn",
        ])
        .assert()
        .success()
        .stdout("bo (reception) added\n");
    // Reception may send reminders (and closure notices), not manage staff, verify the audit
    // trail or read the statistics; without --as, staff administration needs a person.
    p.as_member("bo", "482915").arg("remind").assert().success();
    for (args, refusal) in [
        (
            vec!["staff", "list"],
            "bo (reception) may not list staff accounts; it needs an admin",
        ),
        (
            vec!["audit", "verify"],
            "bo (reception) may not verify the audit trail",
        ),
        (
            vec!["stats", "--from", "2026-11-01", "--to", "2026-11-28"],
            "bo (reception) may not see statistics; it needs a manager or an admin",
        ),
    ] {
        p.as_member("bo", "482915")
            .args(&args)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(refusal));
    }
    p.cmd()
        .env("FRONTDESK_NEW_PIN", "739104")
        .args(["staff", "add", "cy", "--role", "reception"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("a person must be named")
                .and(predicate::str::contains("--as NAME")),
        );
    let listed = p
        .as_member("ana", ADMIN_PASSWORD)
        .args(["staff", "list", "--json"])
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(listed.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["display_name"], "Bo Nguyễn");
    assert_eq!(lines[1]["role"], "reception");
}

#[test]
fn five_wrong_pins_lock_the_member_and_a_disabled_member_cannot_act() {
    let p = Practice::init();
    p.as_member("ana", ADMIN_PASSWORD)
        .env("FRONTDESK_NEW_PIN", "482915")
        .args(["staff", "add", "bo", "--role", "reception"])
        .assert()
        .success();
    for _ in 0..4 {
        p.as_member("bo", "000111")
            .arg("remind")
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "cannot sign in as bo: wrong username or PIN/password",
            ));
    }
    for pin in ["000111", "482915"] {
        p.as_member("bo", pin)
            .arg("remind")
            .assert()
            .code(1)
            .stderr(predicate::str::contains("locked until"));
    }
    p.as_member("ana", ADMIN_PASSWORD)
        .args(["staff", "list"])
        .assert()
        .stdout(predicate::str::contains("locked until"));
    p.as_member("ana", ADMIN_PASSWORD)
        .args(["staff", "disable", "bo"])
        .assert()
        .success();
    p.as_member("ana", ADMIN_PASSWORD)
        .env("FRONTDESK_NEW_PIN", "739104")
        .args(["staff", "reset", "bo"])
        .assert()
        .success();
    p.as_member("bo", "739104")
        .arg("remind")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "this account is disabled; ask an admin",
        ));
    p.as_member("ana", ADMIN_PASSWORD)
        .args(["staff", "disable", "ana"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("last active admin"));
    p.cmd().args(["audit", "verify"]).assert().success();
    // No secret reached a log line.
    let logs = p.logs();
    for secret in [ADMIN_PASSWORD, "482915", "000111", "739104", "argon2"] {
        assert!(!logs.contains(secret), "{secret} in the log");
    }
}
