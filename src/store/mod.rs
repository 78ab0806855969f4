//! The database: rusqlite is used here and nowhere else.
//!
//! [`Store`] owns one connection (WAL, foreign keys, busy timeout) with every migration
//! applied. Queries live in one file per aggregate as named operations: a read takes any
//! [`Db`] (the store itself, or a transaction), a write takes a [`Write`] — only the [`Tx`]
//! that [`Store::write`] hands out — so a use case runs several of them, and the audit
//! append, in one transaction. Neither handle can run SQL of its own: the connection never
//! leaves this module. SQL uses bound parameters only.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;

pub mod appointments;
pub mod audit;
pub mod backup;
pub mod bulk;
pub mod callbacks;
pub mod changes;
pub mod cipher;
pub mod consent;
pub mod day;
mod error;
pub mod exports;
pub mod imports;
pub mod inbox;
mod integrity;
pub mod marker;
pub mod messages;
pub mod migrations;
pub mod patient_file;
pub mod patient_search;
pub mod patients;
pub mod rebookings;
pub mod reference;
pub mod reminder_decisions;
pub mod review;
pub mod settings;
pub mod staff;
pub mod stats;
pub mod templates;

pub use error::{Result, StoreError};

/// Something the store's read operations run on: the [`Store`] itself or a [`Tx`] inside
/// [`Store::write`]. Sealed: only this module can say how to reach the connection.
pub trait Db: handle::Sealed {}

/// Something the store's write operations run on: only the [`Tx`] of [`Store::write`], so
/// every change lands in a transaction with its audit record.
pub trait Write: Db {}

/// The read transaction [`Store::read`] runs its closure in: every read operation accepts it,
/// no write does.
pub struct Snapshot<'a> {
    conn: &'a Connection,
}

/// The transaction [`Store::write`] runs its closure in: every read and write operation of
/// every aggregate accepts it, and nothing else can be done with it.
pub struct Tx<'a> {
    conn: &'a Connection,
}

mod handle {
    /// How the store reaches the connection behind a handle; not nameable outside `store`.
    pub trait Sealed {
        fn connection(&self) -> &rusqlite::Connection;
    }
}

impl handle::Sealed for Store {
    fn connection(&self) -> &Connection {
        &self.conn
    }
}
impl handle::Sealed for Snapshot<'_> {
    fn connection(&self) -> &Connection {
        self.conn
    }
}
impl handle::Sealed for Tx<'_> {
    fn connection(&self) -> &Connection {
        self.conn
    }
}
/// The store's own operations call one another with the connection they already hold.
impl handle::Sealed for Connection {
    fn connection(&self) -> &Connection {
        self
    }
}
impl<T: handle::Sealed + ?Sized> handle::Sealed for &T {
    fn connection(&self) -> &Connection {
        (**self).connection()
    }
}
impl<T: handle::Sealed + ?Sized> handle::Sealed for &mut T {
    fn connection(&self) -> &Connection {
        (**self).connection()
    }
}
impl Db for Store {}
impl Db for Tx<'_> {}
impl Db for Snapshot<'_> {}
impl Db for Connection {}
impl<T: Db + ?Sized> Db for &T {}
impl<T: Db + ?Sized> Db for &mut T {}
impl Write for Tx<'_> {}
impl Write for Connection {}
impl<T: Write + ?Sized> Write for &T {}

/// The connection behind a handle (store operations only).
fn sql<D: Db + ?Sized>(db: &D) -> &Connection {
    handle::Sealed::connection(db)
}

/// Whether reading a row failed on a value of the wrong type or range (a row written outside
/// frontdesk), not on the database itself: such a row can be skipped, any other error cannot.
fn is_conversion(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
    )
}

/// One open, migrated database.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Open (creating if needed) the database file and bring its schema up to date. Only the
    /// demo and tests may create a database this way; every practice command uses
    /// [`Store::open_existing`] and `init` uses [`Store::create_new`].
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, None)
    }

    fn open_with(path: &Path, key: Option<&cipher::DbKey>) -> Result<Self> {
        if !path.exists() {
            create_owner_only(path)?;
        }
        let conn = keyed(path, key, || Ok(Connection::open(path)?))?;
        integrity::check_on_open(&conn, path, key.is_some())?;
        Self::prepare(conn, true)
    }

    /// Open a database that must already exist: a mistyped `--db` is an error naming the
    /// path, never a new empty database that reports "sent 0".
    pub fn open_existing(path: &Path) -> Result<Self> {
        Self::open_existing_with(path, None)
    }

    fn open_existing_with(path: &Path, key: Option<&cipher::DbKey>) -> Result<Self> {
        let shown = || path.display().to_string();
        if !path.is_file() {
            return Err(StoreError::Missing(shown()));
        }
        // Without SQLITE_OPEN_CREATE: a file removed since the check is not recreated.
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
            | rusqlite::OpenFlags::SQLITE_OPEN_URI;
        let conn = keyed(path, key, || {
            Connection::open_with_flags(path, flags).map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::NotADatabase =>
                {
                    StoreError::NotFrontdesk(shown())
                }
                other => StoreError::Sqlite(other),
            })
        })?;
        // Every frontdesk database has been migrated at least once; a file at version 0 is
        // someone else's (or empty), and migrating it would write our tables into it.
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::NotADatabase =>
                {
                    StoreError::NotFrontdesk(shown())
                }
                other => StoreError::Sqlite(other),
            })?;
        if version == 0 {
            return Err(StoreError::NotFrontdesk(shown()));
        }
        integrity::check_on_open(&conn, path, key.is_some())?;
        Self::prepare(conn, true)
    }

    /// Create a new, empty practice database, owner-only; refuses a path that exists.
    ///
    /// The one place a practice database comes into being (`init`): the database key of the
    /// encryption work (SQLCipher) is to be created and applied here, before the first
    /// migration writes anything.
    pub fn create_new(path: &Path) -> Result<Self> {
        Self::create_new_with(path, None)
    }

    fn create_new_with(path: &Path, key: Option<&cipher::DbKey>) -> Result<Self> {
        if path.exists() {
            return Err(StoreError::Exists {
                path: path.display().to_string(),
            });
        }
        create_owner_only(path)?;
        let conn = keyed(path, key, || Ok(Connection::open(path)?))?;
        Self::prepare(conn, true)
    }

    /// What an existing database file says it is, read without changing it (no migration):
    /// `None` when there is no file.
    pub fn inspect(path: &Path) -> Result<Option<marker::DbKind>> {
        Self::inspect_with(path, None)
    }

    fn inspect_with(path: &Path, key: Option<&cipher::DbKey>) -> Result<Option<marker::DbKind>> {
        if !path.exists() {
            return Ok(None);
        }
        let flags =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = keyed(path, key, || Ok(Connection::open_with_flags(path, flags)?))?;
        match marker::kind(&conn) {
            Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)))
                if f.code == rusqlite::ErrorCode::NotADatabase =>
            {
                Err(StoreError::NotFrontdesk(path.display().to_string()))
            }
            other => other.map(Some),
        }
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
            // SQLCipher cannot map pages (each is decrypted on read), so what a screen reads
            // again — today and tomorrow, the patients on them — must stay in SQLite's own
            // cache: 2 MB by default, 1,000 of a clinic group's busy day's patients need
            // about 40 MB of index and table pages. Pages are allocated as they are read, so a
            // small practice's few MB cost no more than before.
            conn.pragma_update(None, "cache_size", -PAGE_CACHE_KIB)?;
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
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

    /// The connection itself, for unit tests that set up or inspect rows with SQL of their
    /// own (tests under `tests/` open the file with rusqlite instead).
    #[cfg(test)]
    pub(crate) fn test_conn(&self) -> &Connection {
        &self.conn
    }

    /// Run `f` in one transaction: all of it lands, or none of it.
    pub fn write<T, E>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let out = f(&Tx { conn: &tx })?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// Run `f` in one read transaction: its reads see one committed state (a cron `remind`
    /// committing meanwhile shows in the next call, never half in this one), and the file's
    /// shared lock and the WAL's read mark are taken once rather than per statement — a day
    /// view of 1,400 patients runs ~7,000 statements.
    pub fn read<T, E>(&self, f: impl FnOnce(&Snapshot<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(StoreError::from)?;
        let out = f(&Snapshot { conn: &tx })?;
        // Nothing was written: ending the transaction only releases the read lock.
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// [`Store::write`] for one large change (an import of a whole schedule): the same single
    /// transaction, with a page cache of up to `cache_mib` MiB for its duration. With the
    /// default 2 MB cache a 100,000-row import evicts its own index pages again and again, and
    /// on an encrypted database every page read back is decrypted and its HMAC checked, and
    /// every dirty page evicted before the commit is encrypted into the WAL once more — a
    /// third of the import's CPU went to libcrypto (docs/BENCHMARKS.md, "Import"). The cache
    /// only grows as pages are touched, and goes back to the default afterwards, so the
    /// memory is held only while the change runs.
    pub fn write_large<T, E>(
        &mut self,
        cache_mib: u32,
        f: impl FnOnce(&Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let before: i64 = self
            .conn
            .pragma_query_value(None, "cache_size", |r| r.get(0))
            .map_err(StoreError::from)?;
        let kib = -i64::from(cache_mib) * 1024;
        self.conn
            .pragma_update(None, "cache_size", kib)
            .map_err(StoreError::from)?;
        let out = self.write(f);
        // Back to the cache the connection had; the pages beyond it are freed now.
        let restored = self.conn.pragma_update(None, "cache_size", before);
        let out = out?;
        restored.map_err(StoreError::from)?;
        Ok(out)
    }
}

/// A connection from `open`, keyed (encrypted databases) and proven to read the file: a wrong
/// key is `Undecryptable` ([`cipher::open_keyed`]). Without a key, `open`'s connection as it
/// is (in-memory and plain test databases).
fn keyed(
    path: &Path,
    key: Option<&cipher::DbKey>,
    open: impl Fn() -> Result<Connection>,
) -> Result<Connection> {
    match key {
        Some(key) => cipher::open_keyed(path, key, open).map(|(conn, _)| conn),
        None => open(),
    }
}

/// Create the database file (and its folder) readable and writable by its owner only. SQLite
/// gives the -wal and -shm files the database file's permissions, so they are owner-only too.
fn create_owner_only(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(StoreError::Exists {
            path: path.display().to_string(),
        }),
        Err(source) => Err(StoreError::Create {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// SQLite's page cache per connection (KiB), see [`Store::prepare`]. 48 MiB held the pages of
/// two busy group days' loads (32 MiB doubled a switch between them; 64 MiB measured the
/// same as 48 and took a working console past its 100 MB). 40 MiB since the console keeps
/// every patient's line (about 8 MB at a group's 100,000 patients) and no longer needs their
/// rows' pages cached: the switch rows measured the same at 40 and 48 (docs/BENCHMARKS.md,
/// "Eighth session").
const PAGE_CACHE_KIB: i64 = 40 * 1024;

/// Prepared statements kept per connection (rusqlite keeps 16 by default). The console's one
/// connection runs a few dozen distinct statements — the day sheet, its reminder cells, the
/// change log, the footer's counts, search, the patient screen — so with 16 they evicted one
/// another, and a screen came back to statements parsed and planned again.
const STATEMENT_CACHE: usize = 64;

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

/// Ids bound as one parameter, a JSON array, for `IN (SELECT value FROM json_each(?))`: one
/// statement for a whole day's patients instead of one per patient.
pub(crate) fn id_list(ids: impl Iterator<Item = i64>) -> String {
    let mut out = String::from("[");
    for (i, id) in ids.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&id.to_string());
    }
    out.push(']');
    out
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
mod tests;
