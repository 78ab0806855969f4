//! Opening the practice database with its key: where the key comes from, a wrong or missing
//! key as one clear line (never a crash, never a new empty database), and a plain database
//! encrypted in place on its first open with a key.
//!
//! The key, first that applies:
//! 1. `FRONTDESK_DB_KEY`: 64 hex digits (a secrets manager, a systemd credential);
//! 2. `FRONTDESK_DB_KEY_FILE`: a key file elsewhere (removable media); it must exist;
//! 3. `<database>.key` beside a demo database (the demo's own key; refused for a practice's);
//! 4. `db.key` in the config folder, created owner-only when a database is first encrypted.
//!
//! Reads the environment and key files (shell); the store does the SQLCipher work. Must not
//! import tui or cli.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::files::{self, FileModeError};
use crate::store::cipher::{self, DbKey, Exclusive, FileKind};
use crate::store::marker::{self, DbKind};
use crate::store::{Store, StoreError};

/// The key itself, as 64 hex digits.
pub const KEY_ENV: &str = "FRONTDESK_DB_KEY";
/// A key file somewhere else (removable media).
pub const KEY_FILE_ENV: &str = "FRONTDESK_DB_KEY_FILE";
/// The key file's name in the config folder.
pub const KEY_FILE_NAME: &str = "db.key";
/// How long encryption in place waits for other programs to close the plain database.
const TAKE_WAIT: Duration = Duration::from_secs(10);

/// Which file holds the key, and whether it may be created.
#[derive(Clone, Debug, PartialEq, Eq)]
enum FileRole {
    /// The config folder's `db.key`: created when a database is first encrypted.
    Default,
    /// Named by `FRONTDESK_DB_KEY_FILE`: must exist (a missing drive is not a new key).
    Named,
    /// Beside the demo database: created with it; opens only a demo database.
    Demo,
}

/// Where this run's database key comes from. `Debug` never shows the key.
#[derive(Clone)]
pub struct KeySource {
    env: Option<String>,
    file: PathBuf,
    role: FileRole,
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySource")
            .field("env", &self.env.as_ref().map(|_| "(set)"))
            .field("file", &self.file)
            .field("role", &self.role)
            .finish()
    }
}

/// Why there is no usable key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{KEY_ENV} is not a database key: it must be 64 hexadecimal digits (256 bits)")]
    EnvMalformed,
    #[error("the database key file {0} is not a database key (64 hexadecimal digits)")]
    FileMalformed(PathBuf),
    #[error(
        "{db} is encrypted and its key file {file} is missing: put the key file back from where \
         you keep its copy, or set {KEY_ENV}; nothing was opened"
    )]
    Missing { db: PathBuf, file: PathBuf },
    #[error("the database key file {0} does not exist (is the key drive plugged in?)")]
    NamedMissing(PathBuf),
    #[error("{0}")]
    Mode(#[from] FileModeError),
    #[error("cannot read the database key file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the database key file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot make a database key: {0}")]
    Random(String),
}

/// A key, and whether this run created its file (said once, with where it is).
pub struct Key {
    pub key: DbKey,
    pub created: Option<PathBuf>,
}

impl KeySource {
    /// The key for the database at `db`, with the config file at `config_file`, from the
    /// environment and the files above.
    pub fn from_env(config_file: &Path, db: &Path) -> Self {
        let env = std::env::var(KEY_ENV).ok();
        let named = std::env::var_os(KEY_FILE_ENV).map(PathBuf::from);
        Self::from_parts(env, named, config_file, db)
    }

    /// [`KeySource::from_env`] with the two variables' values given (tests).
    pub fn from_parts(
        env: Option<String>,
        named: Option<PathBuf>,
        config_file: &Path,
        db: &Path,
    ) -> Self {
        let env = env.filter(|v| !v.trim().is_empty());
        let named = named.filter(|v| !v.as_os_str().is_empty());
        let demo = cipher::sibling(db, ".key");
        let (file, role) = match named {
            Some(path) => (path, FileRole::Named),
            None if demo.is_file() => (demo, FileRole::Demo),
            None => (Self::default_file(config_file), FileRole::Default),
        };
        Self { env, file, role }
    }

    /// The demo database's key: `FRONTDESK_DB_KEY` if set, else its own file beside it.
    pub fn for_demo(db: &Path) -> Self {
        let env = std::env::var(KEY_ENV).ok().filter(|v| !v.trim().is_empty());
        Self {
            env,
            file: cipher::sibling(db, ".key"),
            role: FileRole::Demo,
        }
    }

    /// A key file that must exist (`restore --key-file`).
    pub fn file(path: &Path) -> Self {
        Self {
            env: None,
            file: path.to_path_buf(),
            role: FileRole::Named,
        }
    }

    /// A key file created (owner-only) if missing (`backup --key-file`).
    pub fn created_if_missing(path: &Path) -> Self {
        Self {
            env: None,
            file: path.to_path_buf(),
            role: FileRole::Default,
        }
    }

    fn default_file(config_file: &Path) -> PathBuf {
        match config_file.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join(KEY_FILE_NAME),
            _ => PathBuf::from(KEY_FILE_NAME),
        }
    }

    /// Where the key comes from, in words ("FRONTDESK_DB_KEY", "the key file …").
    pub fn describe(&self) -> String {
        match self.env {
            Some(_) => KEY_ENV.to_string(),
            None => format!("the key file {}", self.file.display()),
        }
    }

    /// The key, which must exist (an encrypted database is never given a new one).
    pub fn existing(&self, db: &Path) -> Result<DbKey, KeyError> {
        if let Some(hex) = &self.env {
            return DbKey::from_hex(hex).map_err(|_| KeyError::EnvMalformed);
        }
        if !self.file.exists() {
            return Err(match self.role {
                FileRole::Named => KeyError::NamedMissing(self.file.clone()),
                FileRole::Default | FileRole::Demo => KeyError::Missing {
                    db: db.to_path_buf(),
                    file: self.file.clone(),
                },
            });
        }
        files::check_owner_only(&self.file, "the database key file")?;
        let text = std::fs::read_to_string(&self.file).map_err(|source| KeyError::Read {
            path: self.file.clone(),
            source,
        })?;
        DbKey::from_hex(&text).map_err(|_| KeyError::FileMalformed(self.file.clone()))
    }

    /// The key, created (256 random bits, owner-only file) if this source may create it.
    pub fn existing_or_new(&self, db: &Path) -> Result<Key, KeyError> {
        if self.env.is_some() || self.file.exists() || self.role == FileRole::Named {
            return self.existing(db).map(|key| Key { key, created: None });
        }
        let key = DbKey::generate().map_err(KeyError::Random)?;
        let text = format!("{}\n", key.to_hex());
        files::write_new_owner_only(&self.file, text.as_bytes()).map_err(|source| {
            KeyError::Write {
                path: self.file.clone(),
                source,
            }
        })?;
        tracing::info!("database key file created");
        Ok(Key {
            key,
            created: Some(self.file.clone()),
        })
    }

    fn opens_only_demo(&self) -> bool {
        self.env.is_none() && self.role == FileRole::Demo
    }
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("{0}")]
    Key(#[from] KeyError),
    #[error(
        "cannot decrypt {db} with the database key from {origin}: the key is wrong, or the file \
         is not a frontdesk database; nothing was opened or changed"
    )]
    WrongKey { db: PathBuf, origin: String },
    #[error(
        "{0} is a practice's database but the key beside it is a demo's; a practice's key lives \
         in the config folder or {KEY_ENV}"
    )]
    DemoKeyOnPractice(PathBuf),
    #[error(
        "{0} is not a demo database; the demo writes only to its own (leave out --db, or name a new file)"
    )]
    NotDemo(PathBuf),
    #[error(
        "encrypting {db} stopped before anything was replaced: the encrypted copy {what}; the \
         unencrypted database is unchanged"
    )]
    CopyDiffers { db: PathBuf, what: String },
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// An open database, and a note to show once (it was encrypted just now, a key was made).
pub struct Opened {
    pub store: Store,
    pub note: Option<String>,
}

/// Open the existing database at `db` with its key; a plain one is encrypted first.
pub fn open_existing(db: &Path, keys: &KeySource) -> Result<Opened, DatabaseError> {
    let mut note = None;
    if kind(db)? == FileKind::Plain {
        note = encrypt_in_place(db, keys)?;
    }
    match kind(db)? {
        FileKind::Missing => return Err(StoreError::Missing(db.display().to_string()).into()),
        FileKind::Empty => return Err(StoreError::NotFrontdesk(db.display().to_string()).into()),
        FileKind::Plain | FileKind::Opaque => {}
    }
    let key = keys.existing(db)?;
    let store = Store::open_existing_keyed(db, &key).map_err(|e| wrong_key(e, db, keys))?;
    if keys.opens_only_demo() && marker::kind(&store)? != DbKind::Demo {
        return Err(DatabaseError::DemoKeyOnPractice(db.to_path_buf()));
    }
    Ok(Opened { store, note })
}

/// Create a new encrypted database at `db` (which must not exist), with the key from
/// `keys` (created if it may be).
pub fn create_new(db: &Path, keys: &KeySource) -> Result<Opened, DatabaseError> {
    if db.exists() {
        return Err(StoreError::Exists {
            path: db.display().to_string(),
        }
        .into());
    }
    let key = keys.existing_or_new(db)?;
    let store = Store::create_new_keyed(db, &key.key)?;
    let note = key.created.map(|file| key_made(&file));
    Ok(Opened { store, note })
}

/// The demo database: created with its own key if missing; otherwise it must be a demo's
/// (checked before anything, encryption included, changes it).
pub fn open_demo(db: &Path, keys: &KeySource) -> Result<Opened, DatabaseError> {
    let not_demo = || DatabaseError::NotDemo(db.to_path_buf());
    let found = match kind(db)? {
        FileKind::Missing => {
            let key = keys.existing_or_new(db)?;
            let mut store = Store::open_keyed(db, &key.key)?;
            store.write(|tx| marker::mark(tx, DbKind::Demo))?;
            return Ok(Opened { store, note: None });
        }
        FileKind::Empty => return Err(not_demo()),
        FileKind::Plain => Store::inspect(db).map_err(|_| not_demo())?,
        FileKind::Opaque => {
            // A demo's key is beside it (or in the environment): without one, it is not ours.
            let key = keys.existing(db).map_err(|e| match e {
                KeyError::Missing { .. } => not_demo(),
                other => other.into(),
            })?;
            Store::inspect_keyed(db, &key).map_err(|_| not_demo())?
        }
    };
    if found != Some(DbKind::Demo) {
        return Err(not_demo());
    }
    open_existing(db, keys)
}

fn kind(db: &Path) -> Result<FileKind, DatabaseError> {
    cipher::file_kind(db).map_err(|source| {
        StoreError::Create {
            path: db.display().to_string(),
            source,
        }
        .into()
    })
}

fn wrong_key(e: StoreError, db: &Path, keys: &KeySource) -> DatabaseError {
    match e {
        StoreError::Undecryptable(_) => DatabaseError::WrongKey {
            db: db.to_path_buf(),
            origin: keys.describe(),
        },
        other => other.into(),
    }
}

fn key_made(file: &Path) -> String {
    format!(
        "a new database key was written to {}: keep a copy of it apart from the database and \
         its backups — without it they cannot be read",
        file.display()
    )
}

/// Encrypt the plain database at `db`: hold it alone, write an encrypted copy, check the
/// copy (integrity, every table's row count, the schema version, the audit chain), swap it
/// in atomically and overwrite the plain bytes. `None` when another run got there first.
fn encrypt_in_place(db: &Path, keys: &KeySource) -> Result<Option<String>, DatabaseError> {
    let held = match Exclusive::take(db, None, TAKE_WAIT) {
        Ok(held) => held,
        // Encrypted by another run while this one waited.
        Err(StoreError::Undecryptable(_)) if kind(db)? == FileKind::Opaque => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if kind(db)? != FileKind::Plain {
        return Ok(None);
    }
    let plain = held.store();
    let before = cipher::census(&plain)?;
    if before.user_version == 0 {
        return Err(StoreError::NotFrontdesk(db.display().to_string()).into());
    }
    cipher::integrity_check(&plain)?;
    if keys.opens_only_demo() && marker::kind(&plain)? != DbKind::Demo {
        return Err(DatabaseError::DemoKeyOnPractice(db.to_path_buf()));
    }
    let chain = super::audit::verify(plain)?;
    let key = keys.existing_or_new(db)?;
    let copy = cipher::sibling(db, ".encrypting");
    let checked = held
        .export_encrypted(&copy, &key.key)
        .map_err(DatabaseError::from)
        .and_then(|()| check_copy(db, &copy, &key.key, &before, &chain));
    if let Err(e) = checked {
        let _ = std::fs::remove_file(&copy);
        return Err(e);
    }
    held.replace_with(&copy)?;
    tracing::info!(tables = before.rows.len(), "database encrypted in place");
    let mut note = format!(
        "{} was not encrypted; it is now, with the key from {} ({} audit records carried over, \
         chain checked)",
        db.display(),
        keys.describe(),
        chain.records
    );
    if let Some(file) = key.created {
        note = format!("{note}; {}", key_made(&file));
    }
    Ok(Some(note))
}

fn check_copy(
    db: &Path,
    copy: &Path,
    key: &DbKey,
    before: &cipher::Census,
    chain: &super::audit::ChainReport,
) -> Result<(), DatabaseError> {
    let differs = |what: String| DatabaseError::CopyDiffers {
        db: db.to_path_buf(),
        what,
    };
    let check = Store::open_verbatim(copy, key, false)?;
    cipher::integrity_check(&check).map_err(|e| differs(format!("fails the check ({e})")))?;
    if &cipher::census(&check)? != before {
        return Err(differs("holds different row counts".into()));
    }
    if &super::audit::verify(&check)? != chain {
        return Err(differs("has a different audit trail".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
