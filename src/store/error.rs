//! What can go wrong in the store, in words a person at the desk can act on.

/// What can go wrong in the store; callers match on `NotFound` and `Conflict`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
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
    /// SQLite's own check found the file damaged: refused before anything is written.
    #[error(
        "the database file is damaged ({detail}); nothing was written — restore it from your \
         latest backup, or ask your admin"
    )]
    Damaged { detail: String },
    /// A page SQLite (or SQLCipher's per-page check) could not read while a command ran: the
    /// statement failed and its transaction was rolled back, so that change was not saved.
    #[error(
        "the database file is damaged ({detail}); this change was not saved — restore the \
         database from your latest backup, or ask your admin"
    )]
    DamagedPage { detail: String },
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "there is no database at {0}; check --db, or run `frontdesk init` to set up a practice"
    )]
    Missing(String),
    #[error("{0} is not a frontdesk database; check --db")]
    NotFrontdesk(String),
    /// The key does not open the file: a wrong key, or not a frontdesk database at all.
    #[error(
        "cannot decrypt {0} with this database key: the key is wrong, or the file is not a frontdesk database"
    )]
    Undecryptable(String),
    /// Another connection has the database open when this needs it alone.
    #[error(
        "{0} is in use by another program (the console, a `remind` or `sync` run); close it and try again"
    )]
    InUse(String),
    #[error("{path} already exists; frontdesk never writes a new database over one")]
    Exists { path: String },
    #[error("cannot create the database {path}: {source}")]
    Create {
        path: String,
        source: std::io::Error,
    },
}

/// A damaged page met while a command runs is named as such (one clear line for the desk),
/// whichever statement met it; every other SQLite error keeps its own words.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::SqliteFailure(f, detail)
                if f.code == rusqlite::ErrorCode::DatabaseCorrupt =>
            {
                Self::DamagedPage {
                    detail: detail.unwrap_or_else(|| f.to_string()),
                }
            }
            other => Self::Sqlite(other),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Whether SQLite refused because another connection holds a lock it needs (and the busy
/// timeout ran out): for a person, "in use by another program", not "database is locked".
pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            )
    )
}
