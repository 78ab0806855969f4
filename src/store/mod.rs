//! The database: rusqlite is used here and nowhere else.
//!
//! [`Store`] owns one connection (WAL, foreign keys, busy timeout) with every migration
//! applied. Queries live in one file per aggregate as functions over `&Connection`, so a
//! use case can run several of them — and the audit append — in one transaction.
//! SQL uses bound parameters only.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;

pub mod appointments;
pub mod audit;
pub mod consent;
pub mod day;
pub mod exports;
pub mod messages;
pub mod migrations;
pub mod patients;
pub mod reference;
pub mod review;
pub mod settings;
pub mod stats;
pub mod templates;

pub use rusqlite::Connection as Conn;

/// What can go wrong in the store; callers match on `NotFound` and `Conflict`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error(
        "this database was written by a newer frontdesk (schema {found}, this one knows {known}); update frontdesk"
    )]
    NewerSchema { found: i64, known: usize },
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Conflict(String),
    #[error("the database holds a value frontdesk cannot read: {what} = {value:?}")]
    Corrupt { what: &'static str, value: String },
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// One open, migrated database.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Open (creating if needed) the database file and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let conn = Connection::open(path)?;
        Self::prepare(conn, true)
    }

    /// A private in-memory database (tests, benchmarks).
    pub fn open_in_memory() -> Result<Self> {
        Self::prepare(Connection::open_in_memory()?, false)
    }

    fn prepare(mut conn: Connection, wal: bool) -> Result<Self> {
        conn.busy_timeout(Duration::from_secs(5))?;
        if wal {
            // WAL lets the console read while a `remind` run writes; NORMAL is durable in WAL.
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            // Read pages through a memory map rather than read() calls and the small default
            // page cache: the statistics scan 10 MB of index for 12 weeks of a clinic group.
            conn.pragma_update(None, "mmap_size", 256 * 1024 * 1024)?;
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if found > migrations::LATEST as i64 {
            return Err(StoreError::NewerSchema {
                found,
                known: migrations::LATEST,
            });
        }
        migrations::migrations().to_latest(&mut conn)?;
        Ok(Self { conn })
    }

    /// The database file, or `None` for an in-memory database.
    pub fn path(&self) -> Option<std::path::PathBuf> {
        self.conn
            .path()
            .filter(|p| !p.is_empty())
            .map(std::path::PathBuf::from)
    }

    /// The connection, for queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Run `f` in one transaction: all of it lands, or none of it.
    pub fn write<T, E>(&mut self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let out = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }
}

/// Stored form of an instant: whole seconds since the epoch, UTC.
pub fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// Read a stored instant.
pub fn from_ts(secs: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0).ok_or(StoreError::Corrupt {
        what: "timestamp",
        value: secs.to_string(),
    })
}

/// Read a stored calendar date (YYYY-MM-DD).
pub fn parse_date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StoreError::Corrupt {
        what: "date",
        value: s.to_string(),
    })
}

/// Map a "no rows" result to a named `NotFound`.
pub(crate) fn found<T>(r: rusqlite::Result<T>, what: &'static str, id: impl ToString) -> Result<T> {
    match r {
        Err(rusqlite::Error::QueryReturnedNoRows) => Err(StoreError::NotFound {
            what,
            id: id.to_string(),
        }),
        other => Ok(other?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_database_uses_wal_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("sub/p.db")).unwrap();
        let mode: String = store
            .conn()
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        let fk: i64 = store
            .conn()
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(mode.to_lowercase(), "wal");
        assert_eq!(fk, 1);
    }

    #[test]
    fn newer_schema_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        drop(Store::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let err = Store::open(&path).err().unwrap();
        assert!(err.to_string().contains("newer frontdesk"), "{err}");
    }
}
