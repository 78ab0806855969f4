//! Refusals before anything is written (issue 8, item 7): every command refuses a database
//! with a damaged page with one clear line and leaves the file as it was; a Twilio `from`
//! number that is not a number anyone can text from ("5550123") is refused by name.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;

use std::io::{Seek, SeekFrom, Write};

use fake_twilio::FakeTwilio;
use support::*;

/// Wed 25 Nov 2026, 09:30 in New York.
fn now() -> chrono::DateTime<chrono::Utc> {
    ny(25, 9, 30)
}

/// A practice with enough rows for several pages per table, its database closed, and the page
/// holding the root of `table` overwritten with garbage. Returns the practice's files.
fn damaged_practice(table: &str) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let mut p = Practice::new();
    for i in 0..300 {
        let id = p.patient(
            &format!("Pat{i:03}"),
            Some(&mobile(1000 + i)),
            Consent::OptedIn,
        );
        p.book(id, ny(26, 9, 0) + chrono::Duration::minutes(i64::from(i)));
    }
    let cfg = p.write_config(&toml);
    let conn = p.sql();
    let root: i64 = conn
        .query_row(
            "SELECT rootpage FROM sqlite_master WHERE name = ?1",
            [table],
            |r| r.get(0),
        )
        .unwrap();
    // SQLCipher answers `page_size` as text (its own `cipher_page_size`).
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get::<_, String>(0))
        .unwrap()
        .parse()
        .unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(conn);
    let Practice { dir, db, store, .. } = p;
    drop(store);
    let mut f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
    f.seek(SeekFrom::Start(((root - 1) * page_size) as u64))
        .unwrap();
    f.write_all(&[0xA5; 64]).unwrap();
    f.sync_all().unwrap();
    drop(fake);
    (dir, db, cfg)
}

fn run(
    db: &std::path::Path,
    home: &std::path::Path,
    cfg: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .env_clear()
        .env("FRONTDESK_DB_KEY", TEST_DB_KEY)
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env(TOKEN_ENV, fake_twilio::AUTH_TOKEN)
        .env("FRONTDESK_NOW", now().to_rfc3339())
        .arg("--db")
        .arg(db)
        .arg("--config")
        .arg(cfg)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_command_refuses_a_database_with_a_damaged_page_and_writes_nothing() {
    for table in ["patients", "messages", "audit"] {
        let (dir, db, cfg) = damaged_practice(table);
        let before = std::fs::read(&db).unwrap();
        for args in [
            &["remind"][..],
            &["remind", "--dry-run"][..],
            &["sync"][..],
            &["send", "portal", "--patient", "1", "--kind", "new-message"][..],
            &[
                "send",
                "closure",
                "--from",
                "2026-11-26",
                "--to",
                "2026-11-27",
            ][..],
        ] {
            let out = run(&db, dir.path(), &cfg, args);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{table} {args:?}: {stderr}");
            let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
            assert_eq!(lines.len(), 1, "{table} {args:?}: {stderr}");
            assert!(lines[0].contains("damaged"), "{stderr}");
            assert!(lines[0].contains("backup"), "{stderr}");
            assert_eq!(
                std::fs::read(&db).unwrap(),
                before,
                "{table} {args:?} wrote to the damaged file"
            );
        }
    }
}

#[test]
fn a_from_number_that_is_not_a_number_anyone_can_text_from_is_refused() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let p = Practice::new();
    for bad in ["5550123", "+15550123", "555-0123"] {
        let cfg = p.write_config(&toml.replace(fake_twilio::FROM, bad));
        let out = remind_bin(&p, &cfg, now(), &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{bad}: {stderr}");
        assert!(stderr.contains("sms.twilio.from"), "{stderr}");
        assert!(fake.requests().is_empty(), "nothing sent from {bad}");
    }
}
