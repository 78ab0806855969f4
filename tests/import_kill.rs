//! An import is all-or-nothing as the practice sees it, even when the process is killed
//! outright (SIGKILL: the OOM killer, a power cut, an SSH session torn down): killed while it
//! reads the file, while its one write transaction is still in memory, half way through
//! writing that transaction to the WAL, or after the commit while the WAL is copied back, the
//! database opens intact with none of the file or all of it, its audit chain unbroken — and
//! importing the file again finishes the job once, and a third time changes nothing.
//!
//! The commit and the checkpoint are told from the files: the WAL gaining frames is the
//! commit being written, the main file growing the checkpoint after it. The two earlier
//! moments are times from the start, and count only if the WAL has no frame yet when the
//! kill lands (else the run is tried again): a fast machine cannot turn them into a commit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use frontdesk::store::Store;
use frontdesk::store::cipher::DbKey;

#[path = "support/athena_export.rs"]
mod athena_export;

/// Enough rows that each moment lasts a while in a debug build (~2 s in all).
const ROWS: usize = 20_000;
const KEY: &str = "7e577e577e577e577e577e577e577e577e577e577e577e577e577e577e577e57";

/// One practice database, empty, and the export beside it.
struct Practice {
    dir: TempDir,
    db: PathBuf,
    csv: PathBuf,
}

impl Practice {
    fn new(csv: &str) -> Self {
        let dir = TempDir::new().unwrap();
        let db = dir.path().join("practice.db");
        drop(Store::open_keyed(&db, &DbKey::from_hex(KEY).unwrap()).unwrap());
        let path = dir.path().join("export.csv");
        std::fs::write(&path, csv).unwrap();
        Self { dir, db, csv: path }
    }

    fn import(&self) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("frontdesk"));
        cmd.env_clear()
            .env("FRONTDESK_DB_KEY", KEY)
            .env("HOME", self.dir.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("FRONTDESK_NOW", "2026-11-20T10:00:00-05:00")
            .args(["--db", self.db.to_str().unwrap(), "import", "csv"])
            .arg(&self.csv)
            .arg("--json")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// A whole run's report.
    fn run(&self) -> Value {
        let out = self.import().output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn wal(&self) -> PathBuf {
        PathBuf::from(format!("{}-wal", self.db.display()))
    }

    /// What a person opening the database now finds: (patients, appointments, consent
    /// events, imports in the audit trail), after checking the file and the audit chain.
    fn found(&self) -> (i64, i64, i64, i64) {
        let store = Store::open_keyed(&self.db, &DbKey::from_hex(KEY).unwrap()).unwrap();
        let chain = frontdesk::workflow::audit::verify(&store).unwrap();
        assert_eq!(chain.broken, None, "the audit chain after the kill");
        drop(store);
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        let key = frontdesk::store::cipher::DbKey::from_hex(KEY).unwrap();
        conn.execute_batch(&key.sqlcipher_statements()).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        conn.query_row(
            "SELECT (SELECT COUNT(*) FROM patients), (SELECT COUNT(*) FROM appointments),
                    (SELECT COUNT(*) FROM consent_events),
                    (SELECT COUNT(*) FROM audit WHERE action = 'import')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
    }
}

/// The moments an import is killed at.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Moment {
    /// Shortly after it started: reading and checking the file.
    Reading,
    /// Its write transaction under way, nothing written to the WAL yet: half the time it
    /// took a whole run to reach the commit.
    InMemory,
    /// The commit half written: the WAL has frames, the run has not ended.
    Committing,
    /// After the commit: the main file growing as the WAL is copied back.
    Checkpointing,
}

/// Start an import on `p` and kill it at `moment` (`commit_after`: how long a whole run
/// took to start writing its commit). Whether the kill landed at that moment before the run
/// ended.
fn kill_at(p: &Practice, moment: Moment, commit_after: Duration) -> bool {
    let before = std::fs::metadata(&p.db).unwrap().len();
    let mut child: Child = p.import().spawn().unwrap();
    let started = Instant::now();
    let seen = |p: &Practice| match moment {
        Moment::Reading => started.elapsed() >= Duration::from_millis(150),
        Moment::InMemory => started.elapsed() >= commit_after / 2,
        Moment::Committing => wal_frames(p) > 64 << 10,
        Moment::Checkpointing => std::fs::metadata(&p.db).is_ok_and(|m| m.len() > before),
    };
    let early = matches!(moment, Moment::Reading | Moment::InMemory);
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if seen(p) {
            child.kill().unwrap();
            child.wait().unwrap();
            // Killed before the commit began, as claimed, or not this moment at all.
            return !early || wal_frames(p) == 0;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// The WAL's length (0 when it has no frame, or is not there).
fn wal_frames(p: &Practice) -> u64 {
    std::fs::metadata(p.wal()).map_or(0, |m| m.len())
}

/// How long a whole run takes to start writing its commit (the WAL's first frames).
fn time_to_commit(p: &Practice) -> (Duration, Value) {
    let mut child = p.import().spawn().unwrap();
    let started = Instant::now();
    let mut commit = None;
    while child.try_wait().unwrap().is_none() {
        if commit.is_none() && wal_frames(p) > 0 {
            commit = Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = serde_json::from_slice(&out.stdout).unwrap();
    (
        commit.expect("the commit was never seen in the WAL"),
        report,
    )
}

fn added(report: &Value, what: &str) -> i64 {
    report[what]["added"].as_i64().unwrap()
}

#[test]
fn an_import_killed_at_any_moment_leaves_none_or_all_and_finishes_once_when_run_again() {
    let csv = athena_export::export(ROWS);
    // The whole file as one run writes it, and when that run starts its commit.
    let reference = Practice::new(&csv);
    let (commit_after, report) = time_to_commit(&reference);
    let all = reference.found();
    assert_eq!(all.3, 1, "the import's one audit record");
    assert_eq!(
        (all.0, all.1),
        (added(&report, "patients"), added(&report, "appointments"))
    );
    assert_eq!(all.1, ROWS as i64, "{report:#}");

    for moment in [
        Moment::Reading,
        Moment::InMemory,
        Moment::Committing,
        Moment::Checkpointing,
    ] {
        // A moment the run passed too fast to catch is tried again on a fresh copy.
        let p = (0..5)
            .map(|_| Practice::new(&csv))
            .find(|p| kill_at(p, moment, commit_after))
            .unwrap_or_else(|| panic!("{moment:?} never seen before the import ended"));
        let none = (0, 0, 0, 0);
        let found = p.found();
        eprintln!("killed {moment:?}: found {found:?}");
        match moment {
            Moment::Reading | Moment::InMemory => assert_eq!(found, none, "{moment:?}"),
            Moment::Committing => assert!(found == none || found == all, "{found:?}"),
            Moment::Checkpointing => assert_eq!(found, all, "{moment:?}"),
        }
        // Run again: the whole file, once; and a third time changes nothing.
        let again = p.run();
        let rows = |f: (i64, i64, i64, i64)| (f.0, f.1, f.2);
        assert_eq!(rows(p.found()), rows(all), "{moment:?}: {again:#}");
        let third = p.run();
        assert_eq!(added(&third, "patients"), 0, "{third:#}");
        assert_eq!(added(&third, "appointments"), 0, "{third:#}");
        assert_eq!(rows(p.found()), rows(all));
    }
}
