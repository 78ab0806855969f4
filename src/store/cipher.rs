//! Encryption at rest with SQLCipher: the database key, keying a connection, telling a plain
//! SQLite file from an encrypted one, and encrypting a plain database into a new file.
//!
//! The key is 256 random bits applied in SQLCipher's raw-key form (`x'…'`): no passphrase,
//! so no PBKDF2 runs on open (256 000 iterations would cost ~100 ms on every command and
//! every test). Each page is AES-256-CBC with an HMAC ([`Format`]: SHA-256 for files made
//! now, SHA-512 for files made before); the 16-byte salt at the start of the file is the only
//! thing readable without the key.
//!
//! Where the key comes from (environment, key file) is the workflow's business; this module
//! never reads the environment or a key file. Must not import workflow, tui or cli.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::{Result, Store, StoreError};

mod swap;
pub use swap::{Exclusive, set_aside, sibling};
pub(super) use swap::{create_private, remove_if_present};

/// Bytes in a database key (AES-256).
pub const KEY_BYTES: usize = 32;

/// The first 16 bytes of every plain SQLite database file.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// A 256-bit database key. Never printed: `Debug` shows no bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct DbKey([u8; KEY_BYTES]);

/// Why a text is not a database key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a database key is 64 hexadecimal digits (256 bits)")]
pub struct KeyFormatError;

impl DbKey {
    /// A fresh key from the operating system's random generator.
    pub fn generate() -> std::result::Result<Self, String> {
        use rand::TryRngCore;
        let mut key = [0u8; KEY_BYTES];
        rand::rngs::OsRng
            .try_fill_bytes(&mut key)
            .map_err(|e| e.to_string())?;
        Ok(Self(key))
    }

    /// Parse 64 hex digits (surrounding whitespace, such as a key file's newline, allowed).
    pub fn from_hex(text: &str) -> std::result::Result<Self, KeyFormatError> {
        let text = text.trim().as_bytes();
        if text.len() != KEY_BYTES * 2 {
            return Err(KeyFormatError);
        }
        let mut key = [0u8; KEY_BYTES];
        for (byte, pair) in key.iter_mut().zip(text.chunks_exact(2)) {
            let digits = std::str::from_utf8(pair).map_err(|_| KeyFormatError)?;
            *byte = u8::from_str_radix(digits, 16).map_err(|_| KeyFormatError)?;
        }
        Ok(Self(key))
    }

    /// The key as 64 lowercase hex digits (what a key file holds).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// SQLCipher's raw-key form: the key bytes themselves, no key derivation.
    fn raw(&self) -> String {
        format!("x'{}'", self.to_hex())
    }

    /// The statements that open a file made now in SQLCipher's own shell, or on any SQLCipher
    /// connection: the key, then the [`Format`]'s settings (a file made before keeps its own:
    /// the key alone for the oldest, these without the page size for the release before 16 KiB
    /// pages). For an admin's recovery (README) and the tests outside the crate.
    /// Holds the key: never logged.
    pub fn sqlcipher_statements(&self) -> String {
        let format = Format::NEW;
        format!(
            "PRAGMA key = \"{}\"; PRAGMA cipher_hmac_algorithm = {}; \
             PRAGMA cipher_kdf_algorithm = {}; PRAGMA cipher_page_size = {};",
            self.raw(),
            format.hmac(),
            format.kdf(),
            format.page_size()
        )
    }
}

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(…)")
    }
}

impl Drop for DbKey {
    fn drop(&mut self) {
        // Best effort: the bytes do not linger in freed memory (copies the compiler made may).
        self.0.fill(0);
    }
}

/// What a database file is, from its first bytes (no key needed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Missing,
    /// Zero bytes: not a frontdesk database.
    Empty,
    /// A plain (unencrypted) SQLite database.
    Plain,
    /// Anything else: an encrypted database, or not a database at all (only a key tells).
    Opaque,
}

/// Read the first bytes of `path` to tell a plain SQLite file from the rest.
pub fn file_kind(path: &Path) -> std::io::Result<FileKind> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileKind::Missing),
        Err(e) => return Err(e),
    };
    let mut head = [0u8; 16];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(match read {
        0 => FileKind::Empty,
        16 if &head == PLAIN_HEADER => FileKind::Plain,
        _ => FileKind::Opaque,
    })
}

/// How an encrypted file is laid out: SQLCipher's `cipher_hmac_algorithm` (with the
/// `cipher_kdf_algorithm` that derives the HMAC's key from the raw key) and its page size.
/// Neither is written in the file (only the key reads it), so a file is opened with each
/// format in turn ([`open_keyed`]); a file keeps its format for life (`rekey`, a backup of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Every file made now: HMAC-SHA256 and 16 KiB pages. SHA-256 runs on this kind of
    /// processor's SHA extensions, about twice SHA-512's speed (1.92 vs 0.85 GB/s here), and
    /// is as sound a MAC for a page; its 32-byte tag leaves 48 reserved bytes a page instead of
    /// 80. A 16 KiB page is a quarter of the pages, IVs, HMACs and B-tree splits of 4 KiB for
    /// the same bytes: the clinic-group generator 7–10 s faster (about 55 s against 62–66 s on
    /// the same machine), its file 3 % smaller, and the desk's reads of a day — a few
    /// neighbouring pages — as fast, because the console keeps every patient's line rather
    /// than reading a page per patient (docs/BENCHMARKS.md, "Eleventh session", "Twelfth
    /// session").
    Sha256Pages16K,
    /// Files made by the release before 16 KiB pages (HMAC-SHA256, 4 KiB). Opened as they are.
    Sha256Pages4K,
    /// SQLCipher 4's defaults (HMAC-SHA512, 4 KiB): every file made before either. Opened as
    /// it is.
    Sha512Pages4K,
}

impl Format {
    /// The format every new encrypted file is made in.
    pub const NEW: Self = Self::Sha256Pages16K;
    /// The order files are tried in: the new format first, then the newer of the old.
    const ALL: [Self; 3] = [Self::NEW, Self::Sha256Pages4K, Self::Sha512Pages4K];

    fn hmac(self) -> &'static str {
        match self {
            Self::Sha256Pages16K | Self::Sha256Pages4K => "HMAC_SHA256",
            Self::Sha512Pages4K => "HMAC_SHA512",
        }
    }

    fn kdf(self) -> &'static str {
        match self {
            Self::Sha256Pages16K | Self::Sha256Pages4K => "PBKDF2_HMAC_SHA256",
            Self::Sha512Pages4K => "PBKDF2_HMAC_SHA512",
        }
    }

    /// `cipher_page_size`, which is also the database's page size (SQLCipher encrypts the
    /// header that would say it).
    fn page_size(self) -> i64 {
        match self {
            Self::Sha256Pages16K => 16_384,
            Self::Sha256Pages4K | Self::Sha512Pages4K => 4_096,
        }
    }

    /// Set this format on the connection's schema `db` (`None`: main), after its key.
    fn set_on(self, conn: &Connection, db: Option<&str>) -> rusqlite::Result<()> {
        conn.pragma_update(db, "cipher_hmac_algorithm", self.hmac())?;
        conn.pragma_update(db, "cipher_kdf_algorithm", self.kdf())?;
        conn.pragma_update(db, "cipher_page_size", self.page_size())
    }
}

/// Key a freshly opened connection for `format`; must run before anything reads the file. A
/// PRAGMA takes no bound parameters: the value is built from the key's own hex digits, never
/// from input.
pub(super) fn apply(conn: &Connection, key: &DbKey, format: Format) -> rusqlite::Result<()> {
    conn.pragma_update(None, "key", key.raw())?;
    format.set_on(conn, None)?;
    // SQLCipher's own log goes to stderr by default ("hmac check failed" on a wrong key):
    // a wrong key must be one clear line, and the terminal belongs to the console.
    // The level is set after the key: SQLCipher sets its default (WARN to stderr) when the
    // first key activates it.
    conn.pragma_update(None, "cipher_log_level", "NONE")
}

/// A connection from `open`, keyed and proven to read the file, and the file's format: each
/// [`Format`] in turn on a connection of its own (settings made before a failed read are not
/// changed after it); a new or empty file takes the first. Neither reading it is
/// `Undecryptable`: a wrong key.
/// A failed try writes nothing a right one would not: a hot journal's pages go back as the
/// encrypted bytes they are (its playback stops at the first page it cannot read, and the
/// next try plays it again from the start), and so do a WAL's frames if its close
/// checkpoints (both tested with files of the old format).
pub(super) fn open_keyed(
    path: &Path,
    key: &DbKey,
    open: impl Fn() -> Result<Connection>,
) -> Result<(Connection, Format)> {
    for format in Format::ALL {
        let conn = open()?;
        apply(&conn, key, format)?;
        match conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |_| Ok(())) {
            Ok(()) => {
                remember(path, key, format);
                return Ok((conn, format));
            }
            Err(e) if is_not_a_database(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Undecryptable(path.display().to_string()))
}

/// The format `path` opens in with `key` (`Undecryptable`: neither), read on a connection of
/// its own that waits up to `wait` for a lock, closed again.
pub(super) fn format_for(
    path: &Path,
    key: &DbKey,
    flags: OpenFlags,
    wait: Duration,
) -> Result<Format> {
    let (_, format) = open_keyed(path, key, || {
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(wait)?;
        Ok(conn)
    })?;
    Ok(format)
}

/// The format of the file `conn` has open (`None`: not encrypted).
pub(super) fn format_of(conn: &Connection) -> rusqlite::Result<Option<Format>> {
    let mut stmt = conn.prepare("PRAGMA cipher_hmac_algorithm")?;
    let mut rows = stmt.query([])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let name: String = row.get(0)?;
    // SQLCipher answers with text.
    let page: String = conn.pragma_query_value(None, "cipher_page_size", |r| r.get(0))?;
    Ok(Format::ALL
        .into_iter()
        .find(|f| f.hmac() == name && page.parse() == Ok(f.page_size())))
}

/// The keys (and formats) of the database files this process opened, so that a second
/// connection to the same file (the statistics read on two) is keyed too without every query
/// function taking a key. One process works with one key per file; entries are a few bytes
/// and never removed.
static OPENED: std::sync::Mutex<Vec<(PathBuf, DbKey, Format)>> = std::sync::Mutex::new(Vec::new());

/// Remember that `path` opens with `key` in `format`.
fn remember(path: &Path, key: &DbKey, format: Format) {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut opened = OPENED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    opened.retain(|(p, ..)| p != &path);
    opened.push((path, key.clone(), format));
}

/// Key a further connection to a file this process opened with a key (no-op otherwise).
pub(super) fn key_like_before(conn: &Connection, path: &Path) -> rusqlite::Result<()> {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let known = OPENED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .find(|(p, ..)| p == &path)
        .map(|(_, k, f)| (k.clone(), *f));
    match known {
        Some((key, format)) => apply(conn, &key, format),
        None => Ok(()),
    }
}

/// SQLCipher's version, proof that the database layer encrypts (`None` on plain SQLite).
pub fn cipher_version(conn: &impl super::Db) -> Result<Option<String>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare("PRAGMA cipher_version")?;
    let mut rows = stmt.query([])?;
    Ok(match rows.next()? {
        Some(row) => Some(row.get(0)?),
        None => None,
    })
}

/// Whether SQLite said "this is not a database" (a wrong key reads as that).
pub(super) fn is_not_a_database(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase)
}

/// What an encrypted copy must hold to replace its original: the schema version and the row
/// count of every table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Census {
    pub user_version: i64,
    pub rows: Vec<(String, i64)>,
}

/// Count every table's rows (names come from `sqlite_master`, quoted as identifiers).
pub fn census(conn: &impl super::Db) -> Result<Census> {
    let conn = super::sql(conn);
    let user_version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut rows = Vec::with_capacity(names.len());
    for name in names {
        // Identifiers cannot be bound; this one comes from the schema, quoted.
        let sql = format!("SELECT COUNT(*) FROM \"{}\"", name.replace('"', "\"\""));
        let n: i64 = conn.query_row(&sql, [], |r| r.get(0))?;
        rows.push((name, n));
    }
    Ok(Census { user_version, rows })
}

/// SQLite's full integrity check (tables and indexes), as `Damaged` when it finds anything.
pub fn integrity_check(conn: &impl super::Db) -> Result<()> {
    let conn = super::sql(conn);
    let problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check(3)")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if problems.iter().all(|p| p == "ok") {
        Ok(())
    } else {
        Err(StoreError::Damaged {
            detail: format!("SQLite reports: {}", problems.join("; ")),
        })
    }
}

impl Store {
    /// Open an existing, encrypted practice database with `key` (see [`Store::open_existing`]).
    /// A wrong key is `Undecryptable`, never a new empty database.
    pub fn open_existing_keyed(path: &Path, key: &DbKey) -> Result<Self> {
        Self::open_existing_with(path, Some(key))
    }

    /// Create a new encrypted practice database (see [`Store::create_new`]).
    pub fn create_new_keyed(path: &Path, key: &DbKey) -> Result<Self> {
        Self::create_new_with(path, Some(key))
    }

    /// Open or create an encrypted database (the demo and tests; see [`Store::open`]).
    pub fn open_keyed(path: &Path, key: &DbKey) -> Result<Self> {
        Self::open_with(path, Some(key))
    }

    /// What an encrypted database says it is, without changing it.
    pub fn inspect_keyed(path: &Path, key: &DbKey) -> Result<Option<super::marker::DbKind>> {
        Self::inspect_with(path, Some(key))
    }

    /// A database file exactly as it is: keyed, not migrated, read-only unless `write`.
    /// For checking a copy or a backup before it replaces anything.
    pub fn open_verbatim(path: &Path, key: &DbKey, write: bool) -> Result<Self> {
        let access = if write {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        } else {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        };
        let (conn, _) = open_keyed(path, key, || {
            let conn = Connection::open_with_flags(path, access | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
            conn.busy_timeout(Duration::from_secs(5))?;
            Ok(conn)
        })?;
        Ok(Self { conn })
    }

    /// Change the key of a database opened writable with [`Store::open_verbatim`]. SQLCipher
    /// cannot rekey a WAL database, so it leaves WAL first.
    pub fn rekey(&self, key: &DbKey) -> Result<()> {
        self.conn.pragma_update(None, "journal_mode", "DELETE")?;
        self.conn.pragma_update(None, "rekey", key.raw())?;
        Ok(())
    }

    /// The schema version the file carries (0: not a frontdesk database).
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests;

/// A plain SQLite file that is not a frontdesk database (someone else's notes), for tests
/// outside the store that must not name rusqlite.
#[cfg(test)]
pub fn write_foreign_sqlite(path: &Path) -> Result<()> {
    Connection::open(path)?
        .execute_batch("CREATE TABLE notes (x); INSERT INTO notes VALUES ('mine');")?;
    Ok(())
}
