//! The manager's commands as a user runs them on the demo practice: `stats`, `export`,
//! `audit export|review`, `consent export|review` — formats, JSON keys, bad input, exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

use frontdesk::domain::staff::{Actor, Role, Secret, Username};
use frontdesk::store::Store;
use frontdesk::workflow::demo::staff::DEMO_STAFF;
use frontdesk::workflow::staff::{self, NewMember};

/// Every database these tests make is encrypted with this key; the binary gets it in
/// `FRONTDESK_DB_KEY`.
pub const TEST_DB_KEY: &str = "7e577e577e577e577e577e577e577e577e577e577e577e577e577e577e577e57";

pub fn test_db_key() -> frontdesk::store::cipher::DbKey {
    frontdesk::store::cipher::DbKey::from_hex(TEST_DB_KEY).unwrap()
}

/// A raw connection to an encrypted test database, keyed, for SQL of the test's own.
pub fn keyed_sql(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        &frontdesk::store::cipher::DbKey::from_hex(TEST_DB_KEY)
            .expect("a test key")
            .sqlcipher_statements(),
    )?;
    Ok(conn)
}

const NOW: &str = "2026-11-25T09:30:00-05:00";
const PASSWORD: &str = "correct horse battery";

struct Demo {
    home: TempDir,
    db: PathBuf,
}

impl Demo {
    fn new() -> Self {
        let home = TempDir::new().unwrap();
        let db = home.path().join("demo.db");
        let d = Self { home, db };
        d.cmd(&["demo", "--seed-only"]).assert().success();
        // The practice's admin: consent histories and message bodies need a named person.
        // The demo's own admin adds her.
        let mut store = Store::open_keyed(&d.db, &test_db_key()).unwrap();
        let lee = DEMO_STAFF.iter().find(|a| a.role == Role::Admin).unwrap();
        let admin = NewMember {
            username: Username::parse("ana").unwrap(),
            display_name: "Ana".into(),
            role: Role::Admin,
            secret: Secret::new(PASSWORD.to_string()),
        };
        let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
        let lee = staff::sign_in(&mut store, lee.username, &Secret::new(lee.secret), now).unwrap();
        staff::add(&mut store, &Actor::Member(lee), &admin, now).unwrap();
        d
    }

    /// The binary run by the practice's admin (`--as ana`).
    fn as_admin(&self, args: &[&str]) -> Command {
        let mut cmd = self.cmd(&["--as", "ana"]);
        cmd.env("FRONTDESK_PIN", PASSWORD).args(args);
        cmd
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("frontdesk").unwrap();
        cmd.env_clear()
            .env("FRONTDESK_DB_KEY", TEST_DB_KEY)
            .env("HOME", self.home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("FRONTDESK_NOW", NOW)
            .arg("--db")
            .arg(&self.db)
            .args(args);
        cmd
    }

    fn stdout(&self, args: &[&str]) -> String {
        let out = self
            .as_admin(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.stdout(args)).unwrap()
    }

    fn sql(&self, sql: &str) {
        let conn = keyed_sql(&self.db).unwrap();
        conn.execute_batch(sql).unwrap();
    }
}

/// A one-line error on stderr, exit `code`, no panic, nothing on stdout.
fn one_line_error(cmd: &mut Command, code: i32, says: &str) {
    let out = cmd.assert().code(code).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(says), "{err}");
    // The fixed-clock warning every test run gets is not part of the error.
    let lines = err
        .lines()
        .filter(|l| !l.starts_with("warning: the clock is fixed"));
    assert_eq!(lines.count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"));
    assert!(out.stdout.is_empty());
}

#[test]
fn stats_json_has_the_numbers_at_the_top_and_every_breakdown() {
    let d = Demo::new();
    let v = d.json(&["stats", "--format", "json"]);
    for key in [
        "no_show_rate",
        "no_shows",
        "attended",
        "late_cancellation_rate",
        "confirmation_rate",
        "reminder_coverage",
        "delivery_failure_rate",
        "opt_outs",
    ] {
        assert!(v[key].is_number(), "{key}: {}", v[key]);
    }
    let rate = v["no_show_rate"].as_f64().unwrap();
    let (n, a) = (
        v["no_shows"].as_f64().unwrap(),
        v["attended"].as_f64().unwrap(),
    );
    assert!((rate - n / (n + a)).abs() < 1e-12);
    assert_eq!(v["period"]["from"], "2026-10-29");
    assert_eq!(v["period"]["to"], "2026-11-25");
    let c = &v["comparisons"];
    assert!(c["method"].as_str().unwrap().contains("Newcombe"));
    assert!(c["caveat"].as_str().unwrap().contains("Observational"));
    let reminded = &c["reminded"];
    assert!(
        reminded["interval"]["low"].as_f64().unwrap()
            < reminded["interval"]["high"].as_f64().unwrap()
    );
    assert!(reminded["verdict"].is_string());
    assert_eq!(c["by_clinician"].as_array().unwrap().len(), 5);
    let b = v["breakdowns"].as_object().unwrap();
    let mut keys: Vec<&str> = b.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["clinician", "hour", "lead", "type", "week", "weekday"]
    );
    assert_eq!(b["weekday"].as_array().unwrap().len(), 7);
}

#[test]
fn stats_by_one_dimension_in_each_format() {
    let d = Demo::new();
    let v = d.json(&["stats", "--by", "week", "--format", "json"]);
    let b = v["breakdowns"].as_object().unwrap();
    assert_eq!(b.keys().collect::<Vec<_>>(), ["week"]);
    let csv = d.stdout(&[
        "stats",
        "--by",
        "clinician",
        "--format",
        "csv",
        "--from",
        "2026-11-02",
        "--to",
        "2026-11-22",
    ]);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("dimension,key,label,appointments,"));
    assert!(lines[1].starts_with("total,,2026-11-02 to 2026-11-22,"));
    assert_eq!(lines.len(), 2 + 5, "header, total, five clinicians");
    assert!(lines.iter().skip(2).all(|l| l.starts_with("clinician,")));
    let table = d.stdout(&["stats", "--by", "lead"]);
    assert!(table.contains("no-show rate") && table.contains("By booking lead time"));
    assert!(table.contains("Do reminders help?") && table.contains("Observational"));
    assert!(!table.contains("Weekly trend"));
}

#[test]
fn stats_of_a_period_without_appointments_has_no_rates() {
    let d = Demo::new();
    let v = d.json(&[
        "stats",
        "--from",
        "2020-01-06",
        "--to",
        "2020-01-12",
        "--format",
        "json",
    ]);
    assert_eq!(v["appointments"], 0);
    assert!(
        v["no_show_rate"].is_null(),
        "nothing to divide: no rate, not 0"
    );
    assert_eq!(v["comparisons"]["reminded"]["verdict"], "too_few_to_tell");
}

#[test]
fn bad_dates_and_options_are_refused_in_one_line() {
    let d = Demo::new();
    one_line_error(
        &mut d.cmd(&["stats", "--from", "2026-13-01"]),
        1,
        "YYYY-MM-DD",
    );
    one_line_error(
        &mut d.cmd(&["stats", "--to", "25/11/2026"]),
        1,
        "YYYY-MM-DD",
    );
    one_line_error(
        &mut d.cmd(&["stats", "--from", "2026-12-01", "--to", "2026-11-01"]),
        1,
        "after it ends",
    );
    one_line_error(
        &mut d.cmd(&["export", "appointments", "--from", "soon"]),
        1,
        "YYYY-MM-DD",
    );
    one_line_error(
        &mut d.cmd(&["audit", "export", "--to", "2026-02-30"]),
        1,
        "YYYY-MM-DD",
    );
    d.cmd(&["stats", "--format", "xml"]).assert().code(2);
    d.cmd(&["stats", "--by", "month"]).assert().code(2);
    d.cmd(&["export", "appointments", "--with-bodies"])
        .assert()
        .code(2);
}

#[test]
fn a_database_that_does_not_exist_is_refused_not_created() {
    let d = Demo::new();
    let missing = d.home.path().join("nope.db");
    for args in [
        vec!["stats"],
        vec!["export", "messages"],
        vec!["audit", "review"],
        vec!["consent", "review"],
    ] {
        let mut cmd = Command::cargo_bin("frontdesk").unwrap();
        cmd.env_clear()
            .env("FRONTDESK_DB_KEY", TEST_DB_KEY)
            .env("HOME", d.home.path())
            .env("FRONTDESK_NOW", NOW)
            .arg("--db")
            .arg(&missing)
            .args(&args);
        one_line_error(&mut cmd, 1, "there is no database at");
        assert!(!missing.exists());
    }
}

#[test]
fn export_appointments_as_csv_and_json_and_it_is_audited() {
    let d = Demo::new();
    let csv = d.stdout(&[
        "export",
        "appointments",
        "--from",
        "2026-11-23",
        "--to",
        "2026-11-23",
    ]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,external_id,patient_id,start,clinician,type,status,confirmed,confirmed_at,reminder_48h,reminder_48h_reason,reminder_24h,reminder_24h_reason"
    );
    assert!(lines.len() > 50, "{} rows", lines.len());
    assert!(
        lines[1].contains(",2026-11-23T08:00:00-05:00,"),
        "{}",
        lines[1]
    );
    let v = d.json(&[
        "export",
        "appointments",
        "--from",
        "2026-11-23",
        "--to",
        "2026-11-23",
        "--format",
        "json",
    ]);
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), lines.len() - 1);
    let outcomes: Vec<&str> = rows
        .iter()
        .flat_map(|r| r["reminders"].as_array().unwrap())
        .map(|x| x["outcome"].as_str().unwrap())
        .collect();
    assert!(
        outcomes.contains(&"delivered") && outcomes.contains(&"not_sent"),
        "{outcomes:?}"
    );
    let audit = d.stdout(&["audit", "export", "--format", "jsonl"]);
    let exports: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["action"] == "export.appointments")
        .collect();
    assert_eq!(exports.len(), 2);
    assert!(
        exports[0]["detail"]
            .as_str()
            .unwrap()
            .contains("\"format\":\"csv\"")
    );
    d.cmd(&["audit", "verify"]).assert().success();
}

#[test]
fn message_bodies_only_with_the_flag() {
    let d = Demo::new();
    let without = d.stdout(&[
        "export",
        "messages",
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-24",
    ]);
    assert!(!without.lines().next().unwrap().contains("body"));
    assert!(!without.contains("Reply STOP"));
    let with = d.stdout(&[
        "export",
        "messages",
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-24",
        "--with-bodies",
    ]);
    assert!(with.lines().next().unwrap().ends_with(",body"));
    assert!(with.contains("STOP"), "reminder bodies are there");
    let v = d.json(&[
        "export",
        "messages",
        "--format",
        "json",
        "--from",
        "2026-11-24",
        "--to",
        "2026-11-24",
    ]);
    let first = &v.as_array().unwrap()[0];
    assert!(first.get("body").is_none());
    for key in [
        "kind",
        "direction",
        "status",
        "error_code",
        "sent_at",
        "delivered_at",
    ] {
        assert!(first.get(key).is_some(), "{key}");
    }
}

#[test]
fn audit_export_in_both_formats_with_a_period_and_a_member() {
    let d = Demo::new();
    let csv = d.stdout(&["audit", "export"]);
    assert!(csv.starts_with("id,at,actor,action,subject,detail,prev_hash,hash\n"));
    let jsonl = d.stdout(&[
        "audit",
        "export",
        "--format",
        "jsonl",
        "--staff",
        "demo-seed",
    ]);
    let records: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!records.is_empty());
    assert!(records.iter().all(|r| r["actor"] == "demo-seed"));
    assert!(
        records
            .iter()
            .all(|r| r["hash"].as_str().unwrap().len() == 64)
    );
    let none = d.stdout(&[
        "audit",
        "export",
        "--from",
        "2020-01-01",
        "--to",
        "2020-01-31",
    ]);
    assert_eq!(none.lines().count(), 1, "only the header");
}

#[test]
fn audit_review_is_clean_on_the_demo_and_finds_a_clinical_text() {
    let d = Demo::new();
    d.cmd(&["audit", "review"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("No findings"));
    d.sql(
        "INSERT INTO messages (direction, kind, patient_id, idempotency_key, to_number, body, status,
                               provider, created_by, created_at, sent_at, updated_at)
         VALUES ('out', 'custom', 1, 'custom:test', '+12015550101',
                 'Your biopsy results show melanoma, call us.', 'sent', 'twilio', 'desk',
                 1795000000, 1795000000, 1795000000);",
    );
    d.cmd(&["audit", "review"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("(custom, sent)"))
        .stdout(predicate::str::contains("melanoma"));
    let v: Value = serde_json::from_slice(
        &d.cmd(&["audit", "review", "--format", "json"])
            .assert()
            .code(3)
            .get_output()
            .stdout,
    )
    .unwrap();
    assert!(!v["findings"].as_array().unwrap().is_empty());
    assert_eq!(v["findings"][0]["place"]["in"], "message");
}

#[test]
fn consent_export_and_review() {
    let d = Demo::new();
    let v = d.json(&["consent", "export", "--patient", "1"]);
    assert_eq!(v["patient"]["id"], 1);
    assert!(v["events"].is_array() && v["texts"].is_array());
    let csv = d.stdout(&["consent", "export", "--patient", "1", "--format", "csv"]);
    assert!(csv.starts_with(
        "at,record,kind,method,evidence,recorded_by,message_id,to,status,consent_at_that_moment\n"
    ));
    one_line_error(
        &mut d.as_admin(&["consent", "export", "--patient", "99999"]),
        1,
        "patient 99999 does not exist",
    );
    d.cmd(&["consent", "review"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("none, as it must be"));
    // A text sent to a patient who never consented: the review must name it and fail.
    d.sql(
        "INSERT INTO patients (first_name, last_name, mobile, created_at) VALUES ('Ngozi', 'Adeyemi', '+12015550199', 0);
         INSERT INTO messages (direction, kind, patient_id, idempotency_key, to_number, body, status,
                               provider, created_by, created_at, sent_at, updated_at)
         VALUES ('out', 'portal-new-message', (SELECT MAX(id) FROM patients), 'portal:x', '+12015550199',
                 'Please log in to the portal.', 'delivered', 'twilio', 'desk', 1795000000, 1795000000, 1795000000);",
    );
    d.cmd(&["consent", "review"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("Adeyemi, Ngozi"))
        .stdout(predicate::str::contains("while no consent recorded"));
}
