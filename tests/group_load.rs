//! The clinic-group generator's load is all-or-nothing as another process sees it: killed at
//! any moment it leaves the empty database it started from (a second run then writes the whole
//! group), and while it runs another process reads none of it or all of it, never half
//! (`Store::load_new`: one transaction, a rollback journal, and beside the commit a thread with
//! a descriptor of its own on the file, which must not let SQLite's locks go).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

const APPOINTMENTS: &str = "50000";

fn generator(home: &Path, db: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("frontdesk"));
    cmd.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("FRONTDESK_NOW", "2026-12-04T09:00:00-05:00")
        .args([
            "--db",
            db.to_str().unwrap(),
            "demo",
            "--seed-only",
            "--scale",
            "group",
        ])
        .args(["--appointments", APPOINTMENTS]);
    cmd
}

/// A connection of this process to the demo database, keyed with the key beside it, that
/// does not wait for a lock (rusqlite's default waits five seconds).
fn open(db: &Path) -> rusqlite::Result<rusqlite::Connection> {
    let key = key(db).expect("the demo's key beside its database");
    let conn = rusqlite::Connection::open(db)?;
    conn.execute_batch(
        &frontdesk::store::cipher::DbKey::from_hex(&key)
            .expect("the demo's key")
            .sqlcipher_statements(),
    )?;
    conn.busy_timeout(Duration::ZERO)?;
    Ok(conn)
}

/// The key beside the database, once it is all written.
fn key(db: &Path) -> Option<String> {
    let key = std::fs::read_to_string(key_file(db)).ok()?;
    let key = key.trim();
    (key.len() == 64).then(|| key.to_owned())
}

fn key_file(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}.key", db.display()))
}

fn journal(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}-journal", db.display()))
}

/// Whether the load's transaction has begun, told from the files alone (a connection of the
/// test's own before then would keep the generator from leaving WAL mode, and fail it): the
/// migrations are in the file (the WAL was checkpointed and closed when the load left WAL
/// mode), and the rollback journal of the load's first write is there.
fn loading(db: &Path) -> bool {
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    journal(db).exists()
        && !wal.exists()
        && std::fs::metadata(db).is_ok_and(|m| m.len() >= 128 << 10)
}

fn patients(conn: &rusqlite::Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT COUNT(*) FROM patients", [], |r| r.get(0))
}

/// The patients a finished run reports ("… 2500 patients, …").
fn reported_patients(stdout: &[u8]) -> i64 {
    let out = String::from_utf8_lossy(stdout);
    let before = out.split(" patients").next().unwrap();
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

/// Wait (at most a minute) until `ready` holds or the child has ended; whether it held.
fn wait_for(child: &mut Child, mut ready: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        if ready() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("the generator neither got there nor ended within a minute");
}

fn killed_when(ready: impl Fn(&Path) -> bool) {
    let home = TempDir::new().unwrap();
    let db = home.path().join("group.db");
    let mut child = generator(home.path(), &db)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let caught = wait_for(&mut child, || ready(&db));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        caught,
        "the generator ended before the moment the test kills it at"
    );
    assert!(
        journal(&db).exists(),
        "killed inside the load's transaction"
    );

    // The next open rolls the hot journal back: the empty database the run started from.
    let conn = open(&db).unwrap();
    assert_eq!(patients(&conn).unwrap(), 0);
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);

    let again = generator(home.path(), &db).output().unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let want = reported_patients(&again.stdout);
    assert!(want > 0);
    // Written while the kernel was told to drop its pages: every page as SQLite wrote it.
    let conn = open(&db).unwrap();
    assert_eq!(patients(&conn).unwrap(), want);
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn killed_while_writing_the_rows_the_database_is_empty_and_a_second_run_writes_it_all() {
    // The rows are still going in: nothing reaches the file before the commit.
    killed_when(loading);
}

#[test]
fn killed_half_way_through_the_commit_the_database_is_empty_and_a_second_run_writes_it_all() {
    // SQLite sets the file's length to its final size before the commit's first write, so
    // the blocks actually written tell how far the commit got: a fifth of an ~84 MB file.
    killed_when(|db| {
        loading(db) && std::fs::metadata(db).is_ok_and(|m| m.blocks() * 512 > 16 << 20)
    });
}

#[test]
fn another_process_reads_none_of_the_group_or_all_of_it_while_it_loads() {
    let home = TempDir::new().unwrap();
    let db = home.path().join("group.db");
    let mut child = generator(home.path(), &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    let mut refused = 0;
    let mut begun = false;
    let started = Instant::now();
    loop {
        let ended = child.try_wait().unwrap().is_some();
        if begun || loading(&db) {
            begun = true;
            match open(&db).and_then(|conn| patients(&conn)) {
                Ok(n) => seen.push(n),
                // The commit holds its lock: SQLite says so, and the reader may come back.
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if matches!(
                        e.code,
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                    ) =>
                {
                    refused += 1;
                }
                Err(other) => panic!("a reader during the load got: {other}"),
            }
        }
        if ended {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the generator did not end within two minutes"
        );
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let want = reported_patients(&output.stdout);
    assert!(
        seen.iter().all(|&n| n == 0 || n == want),
        "a reader saw part of the group: {:?}",
        seen.iter()
            .filter(|&&n| n != 0 && n != want)
            .collect::<Vec<_>>()
    );
    assert!(seen.contains(&0), "no read while the rows went in");
    assert!(refused > 0, "no read ever met the commit's lock");
    assert_eq!(seen.last(), Some(&want), "the last read, after the end");
}
