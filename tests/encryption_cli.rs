//! Encryption at rest and backups, as an admin meets them through the binary: nothing of a
//! patient readable on disk, a wrong or missing key as one line, a plain database from an
//! older frontdesk encrypted on first open, a backup taken during writes restored and
//! verified.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

mod plaintext_scan;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use assert_cmd::Command;
use frontdesk::domain::audit::AuditEntry;
use frontdesk::domain::phone::E164;
use frontdesk::domain::staff::{Role, Secret, Username};
use frontdesk::store::cipher::{DbKey, FileKind, file_kind};
use frontdesk::store::marker::{self, DbKind};
use frontdesk::store::patients::NewPatient;
use frontdesk::store::{self, Store};
use frontdesk::workflow::staff::{self, NewMember};
use predicates::prelude::*;
use tempfile::TempDir;

const NOW: &str = "2026-11-25T09:30:00-05:00";
const PASSWORD: &str = "correct horse battery";

fn frontdesk(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("frontdesk").unwrap();
    cmd.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("FRONTDESK_NOW", NOW);
    cmd
}

/// A practice made by `init`: its key in the config folder.
struct Practice {
    home: TempDir,
    db: PathBuf,
}

impl Practice {
    fn init() -> Self {
        let home = TempDir::new().unwrap();
        let db = home.path().join("data/practice.db");
        let p = Self { home, db };
        p.cmd()
            .env("FRONTDESK_ADMIN_PASSWORD", PASSWORD)
            .args([
                "init",
                "--practice-name",
                "Lakeside Family Medicine",
                "--practice-phone",
                "(201) 555-0134",
                "--time-zone",
                "America/New_York",
                "--admin-user",
                "ana",
            ])
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "A new database key was written to",
            ));
        p
    }

    fn cmd(&self) -> Command {
        let mut cmd = frontdesk(self.home.path());
        cmd.arg("--db").arg(&self.db);
        cmd
    }

    fn key_file(&self) -> PathBuf {
        self.home.path().join(".config/frontdesk/db.key")
    }

    fn key(&self) -> DbKey {
        DbKey::from_hex(&std::fs::read_to_string(self.key_file()).unwrap()).unwrap()
    }

    fn store(&self) -> Store {
        Store::open_existing_keyed(&self.db, &self.key()).unwrap()
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Exit 1 with exactly one line on stderr (after any clock warning) that contains `says`.
fn one_line_error(cmd: &mut Command, says: &str) {
    let out = cmd.assert().code(1).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("warning: the clock is fixed"))
        .collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains(says),
        "{err}"
    );
}

#[test]
fn sqlcipher_is_live_and_the_practice_database_is_not_plain() {
    let p = Practice::init();
    assert_eq!(file_kind(&p.db).unwrap(), FileKind::Opaque);
    assert_eq!(mode(&p.key_file()), 0o600);
    let store = p.store();
    let version = store::cipher::cipher_version(&store).unwrap();
    assert!(version.is_some_and(|v| v.starts_with('4')));
    assert!(Store::open_existing(&p.db).is_err(), "no key, no read");
}

#[test]
fn a_demo_session_leaves_nothing_of_a_patient_readable_on_disk() {
    let home = TempDir::new().unwrap();
    let db = home.path().join("demo.db");
    let run = |args: &[&str]| {
        frontdesk(home.path())
            .arg("--db")
            .arg(&db)
            .args(args)
            .assert()
            .success();
    };
    run(&["demo", "--seed-only"]);
    run(&["remind"]);
    run(&["sync"]);
    run(&["stats"]);
    run(&["audit", "verify"]);
    std::fs::create_dir_all(home.path().join("backups")).unwrap();
    run(&[
        "backup",
        home.path().join("backups/nightly.db").to_str().unwrap(),
    ]);
    let key_beside = home.path().join("demo.db.key");
    assert_eq!(
        mode(&key_beside),
        0o600,
        "the demo's key lives with the demo"
    );
    assert!(!home.path().join(".config/frontdesk/db.key").exists());

    let key = DbKey::from_hex(&std::fs::read_to_string(&key_beside).unwrap()).unwrap();
    let mut store = Store::open_existing_keyed(&db, &key).unwrap();
    store
        .write(|tx| store::settings::set(tx, "scan", "open"))
        .unwrap();
    let needles = plaintext_scan::needles(&store);
    let files = plaintext_scan::files(home.path());
    for must in ["demo.db-wal", "demo.db-shm", "nightly.db", "logs"] {
        assert!(
            files.iter().any(|f| f.to_string_lossy().contains(must)),
            "{must} scanned: {files:?}"
        );
    }
    plaintext_scan::assert_none_in(&files, &needles);
}

#[test]
fn a_wrong_or_missing_key_is_one_line_and_never_a_new_database() {
    let p = Practice::init();
    let before = std::fs::read(&p.db).unwrap();
    one_line_error(
        p.cmd()
            .env("FRONTDESK_DB_KEY", "ab".repeat(32))
            .args(["audit", "verify"]),
        "cannot decrypt",
    );
    one_line_error(
        p.cmd()
            .env("FRONTDESK_DB_KEY", "my secret passphrase")
            .args(["audit", "verify"]),
        "FRONTDESK_DB_KEY is not a database key",
    );
    std::fs::set_permissions(p.key_file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    one_line_error(p.cmd().args(["audit", "verify"]), "run: chmod 600");
    std::fs::set_permissions(p.key_file(), std::fs::Permissions::from_mode(0o600)).unwrap();
    let away = p.home.path().join("usb.key");
    std::fs::rename(p.key_file(), &away).unwrap();
    one_line_error(p.cmd().args(["audit", "verify"]), "is missing");
    one_line_error(p.cmd().args(["backup", "/tmp/never.db"]), "is missing");
    assert!(
        !p.key_file().exists(),
        "no new key for an encrypted database"
    );
    assert_eq!(std::fs::read(&p.db).unwrap(), before, "nothing changed");
    // The key on removable media, named by FRONTDESK_DB_KEY_FILE.
    p.cmd()
        .env("FRONTDESK_DB_KEY_FILE", &away)
        .args(["audit", "verify"])
        .assert()
        .success();
    one_line_error(
        p.cmd()
            .env(
                "FRONTDESK_DB_KEY_FILE",
                p.home.path().join("unplugged/usb.key"),
            )
            .args(["audit", "verify"]),
        "is the key drive plugged in?",
    );
}

/// A database as an older frontdesk left it: plain, with an admin and patients.
fn plain_practice(db: &Path) {
    let mut store = Store::open(db).unwrap();
    store
        .write(|tx| marker::mark(tx, DbKind::Practice))
        .unwrap();
    let admin = NewMember {
        username: Username::parse("ana").unwrap(),
        display_name: String::new(),
        role: Role::Admin,
        secret: Secret::new(PASSWORD.to_string()),
    };
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    staff::add_first_admin(&mut store, &admin, now).unwrap();
    for (i, (first, last)) in [
        ("Thandiwe", "Mbeki-Nkosi"),
        ("Sigríður", "Jóhannsdóttir"),
        ("Oluwaseun", "Adebayo"),
        ("Huang", "Xiaoming"),
        ("Mohammed", "Al-Farsi"),
        ("Precious", "Okonkwo"),
    ]
    .into_iter()
    .enumerate()
    {
        add_patient(&mut store, first, last, &format!("+1201555{:04}", 7100 + i));
    }
}

fn add_patient(store: &mut Store, first: &str, last: &str, mobile: &str) {
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    store
        .write(|conn| {
            let id = store::patients::insert(
                conn,
                &NewPatient {
                    external_id: None,
                    first_name: first.into(),
                    last_name: last.into(),
                    birth_date: None,
                    mobile: Some(E164::try_from(mobile.to_string()).unwrap()),
                    time_zone: None,
                    portal_active: true,
                },
                now,
            )?;
            let e = AuditEntry::new(
                now,
                "desk",
                "patient.add",
                format!("patient:{}", id.0),
                serde_json::json!({}),
            );
            store::audit::append(conn, &e).map(|_| ())
        })
        .unwrap();
}

#[test]
fn a_plain_database_is_encrypted_on_first_open_said_once_and_nothing_is_lost() {
    let home = TempDir::new().unwrap();
    let db = home.path().join("data/practice.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    plain_practice(&db);
    let plain = Store::open(&db).unwrap();
    let needles = plaintext_scan::needles(&plain);
    let patients: i64 = store::patients::count(&plain).unwrap();
    drop(plain);
    // The scan finds plaintext where there is some: the database as the older frontdesk left it.
    let found = std::panic::catch_unwind(|| {
        plaintext_scan::assert_none_in(std::slice::from_ref(&db), &needles)
    });
    assert!(found.is_err(), "the scan sees the plain names");
    let run = || {
        frontdesk(home.path())
            .arg("--db")
            .arg(&db)
            .args(["audit", "verify"])
            .assert()
            .success()
    };
    let first = String::from_utf8(run().get_output().stderr.clone()).unwrap();
    assert_eq!(
        first.matches("was not encrypted; it is now").count(),
        1,
        "{first}"
    );
    assert!(
        first.contains("a new database key was written to"),
        "{first}"
    );
    let second = String::from_utf8(run().get_output().stderr.clone()).unwrap();
    assert!(!second.contains("encrypted"), "said once: {second}");

    assert_eq!(file_kind(&db).unwrap(), FileKind::Opaque);
    let key_file = home.path().join(".config/frontdesk/db.key");
    assert_eq!(mode(&key_file), 0o600);
    let key = DbKey::from_hex(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    let store = Store::open_existing_keyed(&db, &key).unwrap();
    let after: i64 = store::patients::count(&store).unwrap();
    assert_eq!(after, patients);
    plaintext_scan::assert_none_in(&plaintext_scan::files(home.path()), &needles);
}

#[test]
fn a_backup_taken_while_others_write_restores_and_verifies() {
    let p = Practice::init();
    let mut store = p.store();
    for i in 0..20 {
        add_patient(
            &mut store,
            "Ngozi",
            &format!("Eze{i}"),
            &format!("+1201555{:04}", 7200 + i),
        );
    }
    drop(store);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, key, stop) = (p.db.clone(), p.key(), stop.clone());
        // The console (or a `remind` run) writing all along.
        std::thread::spawn(move || {
            let mut store = Store::open_existing_keyed(&db, &key).unwrap();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                add_patient(&mut store, "Kwame", &format!("Mensah{n}"), "+12015557300");
                n += 1;
            }
            n
        })
    };
    let backups = p.home.path().join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    let nightly = backups.join("2026-11-25.db");
    for _ in 0..3 {
        let _ = std::fs::remove_file(&nightly);
        p.cmd()
            .args(["backup", nightly.to_str().unwrap()])
            .assert()
            .success()
            .stdout(predicate::str::contains("chain intact"));
    }
    stop.store(true, Ordering::Relaxed);
    assert!(
        writer.join().unwrap() > 0,
        "the writer ran during the backups"
    );
    assert_eq!(mode(&nightly), 0o600);
    assert_eq!(file_kind(&nightly).unwrap(), FileKind::Opaque);
    p.cmd()
        .args(["backup", nightly.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already exists"));

    // Restore: a person (an admin) must be named; not while the database is open.
    p.cmd()
        .args(["restore", nightly.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--as"));
    let console = p.store();
    p.cmd()
        .env("FRONTDESK_PIN", PASSWORD)
        .args(["--as", "ana", "restore", nightly.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("in use by another program"));
    drop(console);
    let out = p
        .cmd()
        .env("FRONTDESK_PIN", PASSWORD)
        .args(["--as", "ana", "restore", nightly.to_str().unwrap()])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("chain intact"), "{out}");
    let kept = p.db.with_file_name("practice.db.replaced-20261125T143000Z");
    assert!(out.contains(&kept.display().to_string()), "{out}");
    assert!(kept.exists());
    p.cmd()
        .args(["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("intact"));

    let restored = p.store();
    let patients = store::patients::count(&restored).unwrap();
    let added = store::audit::page(&restored, 0, 1_000_000)
        .unwrap()
        .iter()
        .filter(|r| r.entry.action == "patient.add")
        .count() as i64;
    assert_eq!(patients, added, "a consistent snapshot");
    let trail = store::audit::page(&restored, 0, 1_000_000).unwrap();
    let last = &trail.last().unwrap().entry;
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("database.restore", "ana")
    );
    // Without the restore's record, the kept database holds everything the backup does.
    let old = Store::open_existing_keyed(&kept, &p.key()).unwrap();
    let old_patients: i64 = store::patients::count(&old).unwrap();
    assert!(old_patients >= patients);

    // Onto a machine where there is no database yet: restore needs none.
    let fresh = p.home.path().join("new-disk/practice.db");
    std::fs::create_dir_all(fresh.parent().unwrap()).unwrap();
    let out = frontdesk(p.home.path())
        .arg("--db")
        .arg(&fresh)
        .env("FRONTDESK_PIN", PASSWORD)
        .args(["--as", "ana", "restore", nightly.to_str().unwrap()])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(!String::from_utf8(out).unwrap().contains("kept as"));
    assert_eq!(file_kind(&fresh).unwrap(), FileKind::Opaque);
    frontdesk(p.home.path())
        .arg("--db")
        .arg(&fresh)
        .args(["audit", "verify"])
        .assert()
        .success();
}
