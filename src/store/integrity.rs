//! Is the database file sound enough to write to? Decided once per open, before the first
//! write (issue 8, item 7); see [`check_on_open`] for which check a file gets and why.
//! Imports only rusqlite and the store's error.

use std::path::Path;

use rusqlite::Connection;

use super::{Result, StoreError};

/// Files up to this size get the whole `quick_check` on every open (about 0.25 s for 16 MiB
/// encrypted on the 2-core reference machine; a practice's first years); see [`check_on_open`].
const FULL_CHECK_MAX_BYTES: u64 = 16 << 20;

/// A hidden switch for the refusal tests: a lower size limit for the whole check, so a small
/// test database takes the large-file path. It can only ever lower the limit.
const FULL_CHECK_MAX_ENV: &str = "FRONTDESK_FULL_CHECK_MAX_BYTES";

/// Refuse a damaged database before anything writes over it (issue 8, item 7); every command
/// and the console open the store through here.
///
/// * A plain (unencrypted) file, or an encrypted one up to [`FULL_CHECK_MAX_BYTES`]: the whole
///   `PRAGMA quick_check` ([`check_integrity`]) — milliseconds for a practice's few MB.
/// * A larger encrypted file (a clinic group's 3 GB takes 35–45 s to check, on every console
///   start and cron run): the key check already read the schema, and SQLCipher checks each
///   page's HMAC whenever SQLite reads it. SQLite reads a b-tree page before it changes it, and
///   a write that meets a page failing its check fails inside its transaction, which rolls
///   back ([`StoreError::DamagedPage`]): a damaged page is never written over and nothing is
///   committed on top of it. What this gives up is finding structural damage in pages with a
///   valid HMAC (only a writer holding the key can make that) before the first read, and
///   damage in pages the command never touches; `backup` runs the full `integrity_check` on
///   every copy it makes, so a nightly backup is also the nightly whole-file check.
pub(super) fn check_on_open(conn: &Connection, path: &Path, keyed: bool) -> Result<()> {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    if whole_check_on_open(size, keyed, full_check_limit()) {
        check_integrity(conn)
    } else {
        tracing::debug!(size, "large encrypted database: page checks on read only");
        Ok(())
    }
}

/// The size limit for the whole check, lowered by [`FULL_CHECK_MAX_ENV`] (tests only).
fn full_check_limit() -> u64 {
    std::env::var(FULL_CHECK_MAX_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(FULL_CHECK_MAX_BYTES, |v| v.min(FULL_CHECK_MAX_BYTES))
}

/// Does a file of `size` bytes get the whole `quick_check` on open? Always when it is not
/// encrypted (no per-page check stands in for it).
fn whole_check_on_open(size: u64, keyed: bool, limit: u64) -> bool {
    !keyed || size <= limit
}

/// The whole-file check: `PRAGMA quick_check` reads every page and checks each b-tree's
/// structure, but not that indexes match their tables (what the full `integrity_check` adds,
/// at about three times the cost). A file SQLite cannot read at all ("malformed", "not a
/// database") is refused the same way.
fn check_integrity(conn: &Connection) -> Result<()> {
    let damaged = |detail: String| StoreError::Damaged { detail };
    let problems: Vec<String> = match conn.prepare("PRAGMA quick_check(3)").and_then(|mut s| {
        s.query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<String>>>()
    }) {
        Ok(rows) => rows,
        Err(rusqlite::Error::SqliteFailure(e, msg))
            if matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
            ) =>
        {
            return Err(damaged(msg.unwrap_or_else(|| e.to_string())));
        }
        Err(e) => return Err(e.into()),
    };
    if problems.iter().all(|p| p == "ok") {
        return Ok(());
    }
    // One line: SQLite's report can span several, with a heading of its own.
    let detail: Vec<&str> = problems
        .iter()
        .flat_map(|p| p.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("***"))
        .take(3)
        .collect();
    Err(damaged(format!("SQLite reports: {}", detail.join("; "))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_check_runs_on_plain_files_and_small_encrypted_ones() {
        let limit = FULL_CHECK_MAX_BYTES;
        for (size, keyed, whole) in [
            (0, true, true),
            (limit, true, true),
            (limit + 1, true, false),
            (3 << 30, true, false),
            (limit + 1, false, true),
            (3 << 30, false, true),
        ] {
            assert_eq!(
                whole_check_on_open(size, keyed, limit),
                whole,
                "{size} {keyed}"
            );
        }
    }
}
