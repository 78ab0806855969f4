//! Which database this is: a practice's (written by `init`) or the demo's (written by
//! `demo`), recorded in `settings` so `demo` never seeds 400 invented patients into a real
//! practice and a practice command can tell where it is.

use crate::store::{Db, Write};
use rusqlite::{OptionalExtension, params};

use super::Result;

/// The settings key that says what the database is.
const KIND_KEY: &str = "database.kind";
/// Demo databases seeded before the marker existed carry only this key (see workflow::demo).
const LEGACY_DEMO_KEY: &str = "demo.seeded_at";

/// What a database is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbKind {
    /// A real practice's database, written by `init`.
    Practice,
    /// The demo practice.
    Demo,
    /// Written before databases were marked (or by a test): treated as a practice's.
    Unmarked,
}

impl DbKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Practice => "practice",
            Self::Demo => "demo",
            Self::Unmarked => "unmarked",
        }
    }
}

/// Mark the database (inside the transaction that fills it).
pub fn mark(conn: &impl Write, kind: DbKind) -> Result<()> {
    let conn = super::sql(conn);
    super::settings::set(conn, KIND_KEY, kind.as_str())
}

/// What the database says it is.
pub fn kind(conn: &impl Db) -> Result<DbKind> {
    let conn = super::sql(conn);
    let has_settings: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settings')",
        [],
        |r| r.get(0),
    )?;
    if !has_settings {
        return Ok(DbKind::Unmarked);
    }
    let value = |key: &str| -> Result<Option<String>> {
        Ok(conn
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()?)
    };
    Ok(match value(KIND_KEY)?.as_deref() {
        Some("practice") => DbKind::Practice,
        Some("demo") => DbKind::Demo,
        _ if value(LEGACY_DEMO_KEY)?.is_some() => DbKind::Demo,
        _ => DbKind::Unmarked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn a_database_reads_back_what_it_was_marked() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(kind(store.test_conn()).unwrap(), DbKind::Unmarked);
        mark(store.test_conn(), DbKind::Practice).unwrap();
        assert_eq!(kind(store.test_conn()).unwrap(), DbKind::Practice);
        mark(store.test_conn(), DbKind::Demo).unwrap();
        assert_eq!(kind(store.test_conn()).unwrap(), DbKind::Demo);
    }

    #[test]
    fn a_demo_seeded_before_the_marker_is_still_a_demo() {
        let store = Store::open_in_memory().unwrap();
        crate::store::settings::set(store.test_conn(), LEGACY_DEMO_KEY, "2026-11-25T14:30:00Z")
            .unwrap();
        assert_eq!(kind(store.test_conn()).unwrap(), DbKind::Demo);
    }

    #[test]
    fn a_database_without_tables_is_unmarked() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        assert_eq!(kind(&conn).unwrap(), DbKind::Unmarked);
    }
}
