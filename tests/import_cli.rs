//! `frontdesk import csv|fhir`, `patients add` and `appointments add|move|cancel` as a user
//! runs them, on export-like files in tests/data/import and the shared FHIR examples.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

use frontdesk::domain::staff::{Role, Secret, Username};
use frontdesk::store::Store;
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

const NOW: &str = "2026-11-20T10:00:00-05:00";

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/import")
        .join(name)
        .display()
        .to_string()
}

pub fn shared_fhir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fhir")
}

/// A practice database that exists (made through the library, as `init` would).
struct Practice {
    home: TempDir,
    db: PathBuf,
}

impl Practice {
    fn new() -> Self {
        let home = TempDir::new().unwrap();
        let db = home.path().join("practice.db");
        drop(Store::open_keyed(&db, &test_db_key()).unwrap());
        Self { home, db }
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("frontdesk").unwrap();
        cmd.env_clear()
            .env("FRONTDESK_DB_KEY", TEST_DB_KEY)
            .env("HOME", self.home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("FRONTDESK_NOW", NOW)
            .args(["--db", self.db.to_str().unwrap()]);
        cmd
    }

    /// The first admin, as `init` writes it.
    fn add_admin(&self, username: &str, password: &str) {
        let mut store = Store::open_keyed(&self.db, &test_db_key()).unwrap();
        let member = NewMember {
            username: Username::parse(username).unwrap(),
            display_name: String::new(),
            role: Role::Admin,
            secret: Secret::new(password.to_string()),
        };
        let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
        staff::add_first_admin(&mut store, &member, now).unwrap();
    }

    /// The binary acting as the admin `add_admin` wrote.
    fn as_ana(&self) -> Command {
        let mut cmd = self.cmd();
        cmd.env("FRONTDESK_PIN", "correct horse battery")
            .args(["--as", "ana"]);
        cmd
    }

    fn json(&self, args: &[&str], code: i32) -> Value {
        let out = self
            .cmd()
            .args(args)
            .arg("--json")
            .assert()
            .code(code)
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    }

    fn count(&self, sql: &str) -> i64 {
        keyed_sql(&self.db)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    }
}

fn tally(v: &Value, what: &str) -> (u64, u64, u64, u64) {
    let t = &v[what];
    let n = |k: &str| t[k].as_u64().unwrap();
    (n("added"), n("changed"), n("unchanged"), n("rejected"))
}

#[test]
fn each_export_style_imports_and_a_second_run_changes_nothing() {
    let cases = [
        ("athena_style.csv", (4, 5)),
        ("tebra_style.csv", (3, 3)),
        ("ecw_style.tsv", (3, 3)),
        ("drchrono_style.csv", (2, 2)),
        ("openemr_style.csv", (3, 3)),
        ("patients_only.csv", (3, 0)),
    ];
    for (file, (patients, appointments)) in cases {
        let p = Practice::new();
        let first = p.json(&["import", "csv", &data(file)], 0);
        assert_eq!(first["errors"], Value::Array(vec![]), "{file}: {first:#}");
        assert_eq!(tally(&first, "patients").0, patients, "{file}: {first:#}");
        assert_eq!(
            tally(&first, "appointments").0,
            appointments,
            "{file}: {first:#}"
        );
        let again = p.json(&["import", "csv", &data(file)], 0);
        assert_eq!(
            tally(&again, "patients"),
            (0, 0, patients, 0),
            "{file}: {again:#}"
        );
        assert_eq!(
            tally(&again, "appointments"),
            (0, 0, appointments, 0),
            "{file}: {again:#}"
        );
        p.cmd()
            .args(["import", "csv", &data(file)])
            .assert()
            .success()
            .stdout(predicate::str::contains("nothing changed"));
    }
}

#[test]
fn the_athena_export_keeps_names_statuses_and_consent() {
    let p = Practice::new();
    p.json(&["import", "csv", &data("athena_style.csv")], 0);
    let store = keyed_sql(&p.db).unwrap();
    let names: Vec<(String, String)> = store
        .prepare("SELECT first_name, last_name FROM patients ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(names[0], ("Ada".into(), "Okafor".into()));
    assert_eq!(names[1], ("Seán".into(), "O'Neill, Jr".into()));
    assert_eq!(names[2], ("José Luis".into(), "García López".into()));
    assert_eq!(names[3], ("Thị Hoa".into(), "Nguyễn".into()));
    let statuses: Vec<String> = store
        .prepare("SELECT status FROM appointments ORDER BY external_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        statuses,
        ["confirmed", "booked", "arrived", "no_show", "cancelled"]
    );
    // Y (Ada, Thị Hoa) → opt-in; N (Seán) → opt-out; blank (José) → nothing.
    assert_eq!(
        p.count("SELECT COUNT(*) FROM consent_events WHERE kind = 'opt_in' AND method = 'import'"),
        2
    );
    assert_eq!(
        p.count("SELECT COUNT(*) FROM consent_events WHERE kind = 'opt_out'"),
        1
    );
    let evidence: String = store
        .query_row(
            "SELECT evidence FROM consent_events ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        evidence.starts_with("import athena_style.csv sha256:") && evidence.contains("line 5"),
        "{evidence}"
    );
    assert!(evidence.ends_with("given 2026-01-15"), "{evidence}");
    // The clinical type name stays internal; texts read the neutral label.
    assert_eq!(p.count("SELECT COUNT(*) FROM appointment_types WHERE name = 'Chemo infusion, cycle 2' AND sms_label = 'Appointment'"), 1);
}

#[test]
fn a_malformed_file_is_rejected_whole_with_every_error_named() {
    let p = Practice::new();
    let report = p.json(&["import", "csv", &data("malformed_rows.csv")], 1);
    let errors = report["errors"].as_array().unwrap();
    let found: Vec<(u64, &str)> = errors
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        vec![
            (2, "Appt Date"),
            (3, "Status"),
            (4, "Mobile Phone"),
            (6, "Appt ID")
        ],
        "{report:#}"
    );
    for e in errors {
        assert!(e["value"].is_string() && !e["problem"].as_str().unwrap().is_empty());
    }
    assert_eq!(p.count("SELECT COUNT(*) FROM patients"), 0);
    assert_eq!(p.count("SELECT COUNT(*) FROM audit"), 0);
    p.cmd()
        .args(["import", "csv", &data("malformed_rows.csv")])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "line 2 Appt Date: \"02/30/2026\": February has no day 30 in 2026",
        ))
        .stdout(predicate::str::contains("REJECTED"));
}

#[test]
fn a_missing_column_and_a_latin1_file_say_what_to_do() {
    let p = Practice::new();
    let r = p.json(&["import", "csv", &data("missing_column.csv")], 1);
    assert!(
        r["errors"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("--map start_time=COLUMN"),
        "{r:#}"
    );
    let r = p.json(&["import", "csv", &data("latin1.csv")], 1);
    assert_eq!(r["errors"][0]["line"], 2);
    assert!(
        r["errors"][0]["problem"]
            .as_str()
            .unwrap()
            .contains("CSV UTF-8")
    );
}

#[test]
fn map_options_and_a_mapping_file() {
    let p = Practice::new();
    let csv = p.home.path().join("odd.csv");
    std::fs::write(&csv, "Key,Surname,Given,Portable,Day,Hour,Doc\n1,Okafor,Ada,2015550134,2026-11-25,14:00,Dr. Ng\n").unwrap();
    // Day, Hour and Doc are no known names: a patient list, and the report says what it left.
    let r = p.json(
        &[
            "import",
            "csv",
            csv.to_str().unwrap(),
            "--dry-run",
            "--map",
            "patient_id=Key",
            "--map",
            "mobile=Portable",
        ],
        0,
    );
    assert_eq!(
        (tally(&r, "patients").0, tally(&r, "appointments").0),
        (1, 0)
    );
    assert!(
        r["warnings"]
            .to_string()
            .contains("columns not imported: Day, Hour, Doc"),
        "{r:#}"
    );
    let map = p.home.path().join("map.txt");
    std::fs::write(&map, "# our system\npatient_id=Key\nmobile = Portable\ndate=Day\nstart_time=Hour\nclinician=Doc\n").unwrap();
    let r = p.json(
        &[
            "import",
            "csv",
            csv.to_str().unwrap(),
            "--map-file",
            map.to_str().unwrap(),
        ],
        0,
    );
    assert_eq!(tally(&r, "appointments").0, 1, "{r:#}");
    p.cmd()
        .args(["import", "csv", csv.to_str().unwrap(), "--map", "nonsense"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("FIELD=COLUMN"));
    p.cmd().args(["import", "csv"]).assert().code(2);
}

#[test]
fn a_dry_run_writes_nothing() {
    let p = Practice::new();
    let r = p.json(
        &["import", "csv", &data("athena_style.csv"), "--dry-run"],
        0,
    );
    assert_eq!(tally(&r, "appointments").0, 5);
    assert_eq!(p.count("SELECT COUNT(*) FROM appointments"), 0);
}

#[test]
fn every_shared_fhir_example_reads_without_surprises() {
    let dir = shared_fhir();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        seen += 1;
        let p = Practice::new();
        let out = p
            .cmd()
            .args([
                "import",
                "fhir",
                path.to_str().unwrap(),
                "--dry-run",
                "--json",
            ])
            .output()
            .unwrap();
        let r: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            r["patients"].is_object() && r["appointments"].is_object(),
            "{}",
            path.display()
        );
    }
    assert_eq!(seen, 7, "the shared set has seven JSON files");
}

#[test]
fn the_shared_examples_import_as_a_practice_would_see_them() {
    let dir = shared_fhir();
    let f = |n: &str| dir.join(n).display().to_string();
    let p = Practice::new();
    // The Australian mobile of Peter Chalmers is not a US number: rejected, named.
    let r = p.json(&["import", "fhir", &f("Patient-example.json")], 1);
    assert_eq!(r["errors"][0]["field"], "telecom");
    assert_eq!(r["errors"][0]["value"], "(03) 3410 5613");
    // The single Appointment refers to a patient that is in neither the file nor the database.
    let r = p.json(&["import", "fhir", &f("Appointment-example.json")], 1);
    assert_eq!(r["errors"][0]["value"], "Patient/example", "{r:#}");
    // The proposed request has no time yet: skipped with a note, nothing rejected.
    let r = p.json(&["import", "fhir", &f("Appointment-examplereq.json")], 0);
    assert_eq!(tally(&r, "appointments"), (0, 0, 0, 0));
    assert!(r["warnings"].to_string().contains("proposed"));
    // The converter's batch bundle: relative references inside urn:uuid entries.
    let r = p.json(&["import", "fhir", &f("SIU-S12-01-expected.json")], 0);
    assert_eq!(
        (tally(&r, "patients").0, tally(&r, "appointments").0),
        (1, 1),
        "{r:#}"
    );
    assert!(
        r["warnings"]
            .to_string()
            .contains("minutesDuration 1 contradicts")
    );
    assert_eq!(p.count("SELECT duration_minutes FROM appointments"), 50);
    let r = p.json(&["import", "fhir", &f("SIU-S12-01-expected.json")], 0);
    assert_eq!(tally(&r, "appointments"), (0, 0, 1, 0));
}

#[test]
fn australian_practice_imports_the_hl7_examples_file_by_file() {
    let p = Practice::new();
    let config = p.home.path().join("config.toml");
    std::fs::write(
        &config,
        "[practice]\nregion = \"AU\"\ntime_zone = \"Australia/Melbourne\"\n",
    )
    .unwrap();
    // The product refuses a config others can read.
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let dir = shared_fhir();
    let run = |file: &str, code: i32| {
        let out = p
            .cmd()
            .args([
                "--config",
                config.to_str().unwrap(),
                "import",
                "fhir",
                dir.join(file).to_str().unwrap(),
                "--json",
            ])
            .assert()
            .code(code)
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice::<Value>(&out).unwrap()
    };
    let r = run("Patient-example.json", 0);
    assert_eq!(tally(&r, "patients").0, 1, "{r:#}");
    run("Practitioner-example.json", 0);
    // Now Patient/example is known from the earlier import.
    let r = run("Appointment-example.json", 0);
    assert_eq!(tally(&r, "appointments").0, 1, "{r:#}");
    let r = run("Appointment-2docs.json", 0);
    assert!(
        r["warnings"].to_string().contains("2 practitioners"),
        "{r:#}"
    );
    assert_eq!(p.count("SELECT COUNT(*) FROM appointments"), 2);
    let mobile: String = keyed_sql(&p.db)
        .unwrap()
        .query_row("SELECT mobile FROM patients", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mobile, "+61334105613");
}

#[test]
fn patients_and_appointments_by_hand() {
    let p = Practice::new();
    // Adding patients by hand needs a named person; `system` may not.
    p.cmd()
        .args([
            "patients",
            "add",
            "--first-name",
            "Ada",
            "--last-name",
            "Okafor",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--as NAME"));
    p.add_admin("ana", "correct horse battery");
    p.as_ana()
        .args([
            "patients",
            "add",
            "--first-name",
            "Ada",
            "--last-name",
            "Okafor",
            "--mobile",
            "(201) 555-0134",
            "--birth-date",
            "05/17/1980",
            "--id",
            "C-1",
        ])
        .assert()
        .success()
        .stdout("added patient 1\n");
    p.as_ana()
        .args([
            "patients",
            "add",
            "--first-name",
            "Bo",
            "--last-name",
            "Ng",
            "--mobile",
            "555-0100",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--mobile"));
    p.as_ana()
        .args([
            "appointments",
            "add",
            "--patient",
            "C-1",
            "--date",
            "11/25/2026",
            "--time",
            "9:30 AM",
            "--clinician",
            "Dr. Okafor",
        ])
        .assert()
        .success()
        .stdout("added appointment 1\n");
    p.as_ana()
        .args([
            "appointments",
            "add",
            "--patient",
            "C-1",
            "--date",
            "02/30/2026",
            "--time",
            "9:30",
            "--clinician",
            "Dr. Okafor",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("February has no day 30"));
    p.as_ana()
        .args([
            "appointments",
            "move",
            "1",
            "--date",
            "2026-11-26",
            "--time",
            "14:00",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Thu Nov 26 2026 2:00 PM"));
    p.as_ana()
        .args(["appointments", "cancel", "1"])
        .assert()
        .success();
    p.as_ana()
        .args([
            "appointments",
            "move",
            "1",
            "--date",
            "2026-11-27",
            "--time",
            "14:00",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot be moved"));
    // The four changes, each by the member who made it (sign-ins have their own records).
    assert_eq!(
        p.count("SELECT COUNT(*) FROM audit WHERE action NOT LIKE 'staff.%' AND actor = 'ana'"),
        4
    );
    assert_eq!(
        p.count("SELECT COUNT(*) FROM audit WHERE action NOT LIKE 'staff.%' AND actor <> 'ana'"),
        0
    );
}
