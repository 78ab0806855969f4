//! Backups and restores of the practice database.
//!
//! `backup`: a consistent online copy (SQLite's backup API) while the console and a `remind`
//! run write, encrypted, owner-only, never over an existing file; checked after writing and
//! audited in the live database. `restore`: the backup is copied beside the database and
//! checked there — integrity, a frontdesk database of a schema this binary knows, an intact
//! audit chain — before anything is replaced; it is refused while another program has the
//! database open; the replaced file is kept beside it with a timestamp; the restore is
//! audited in the restored database.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::audit::PracticeEvent;
use crate::domain::staff::Actor;
use crate::store::cipher::{self, DbKey, Exclusive, FileKind};
use crate::store::marker::{self, DbKind};
use crate::store::{self, Store, StoreError};

/// How long a restore waits for other programs to let go of the database.
const HOLD_WAIT: Duration = Duration::from_millis(500);

/// Why a backup or restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("there is no backup at {0}")]
    NoBackup(PathBuf),
    #[error(
        "{0} is not encrypted: restore takes backups written by `frontdesk backup`; nothing was replaced"
    )]
    PlainBackup(PathBuf),
    #[error(
        "cannot decrypt the backup {0} with this key: give the key it was written with (--key-file); nothing was replaced"
    )]
    WrongKey(PathBuf),
    #[error("the backup {path} {why}; nothing was replaced")]
    Refused { path: PathBuf, why: String },
    #[error("cannot copy {from} to {to}: {source}")]
    Copy {
        from: PathBuf,
        to: PathBuf,
        source: std::io::Error,
    },
}

/// Who acts, and when.
#[derive(Clone, Copy, Debug)]
pub struct Act<'a> {
    pub actor: &'a Actor,
    pub now: DateTime<Utc>,
}

/// What a written (and re-read) backup holds.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub schema: i64,
    pub audit_records: usize,
    /// The copied audit chain's first break, if the live one had one.
    pub chain_broken: Option<String>,
}

/// Write a backup of `store` to `dest` encrypted with `key`, check it, audit it.
pub fn backup(
    store: &mut Store,
    dest: &Path,
    key: &DbKey,
    act: Act<'_>,
) -> Result<BackupReport, BackupError> {
    store::backup::write(store, dest, key)?;
    let copy = Store::open_verbatim(dest, key, false)?;
    cipher::integrity_check(&copy)?;
    let chain = super::audit::verify(&copy)?;
    let report = BackupReport {
        path: dest.to_path_buf(),
        bytes: std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0),
        schema: copy.schema_version()?,
        audit_records: chain.records,
        chain_broken: chain.broken,
    };
    drop(copy);
    let file = dest.display().to_string();
    let event = PracticeEvent::BackupWritten {
        file: &file,
        bytes: report.bytes,
        audit_records: report.audit_records,
    };
    store.write(|conn| audit(conn, act, &event))?;
    tracing::info!(bytes = report.bytes, "backup written");
    Ok(report)
}

fn audit(
    conn: &impl store::Write,
    act: Act<'_>,
    event: &PracticeEvent<'_>,
) -> Result<(), StoreError> {
    let mut entry = event.entry(act.now, act.actor.audit_name());
    if let Some(id) = act.actor.staff_id() {
        entry = entry.by_member(id.0);
    }
    store::audit::append(conn, &entry).map(|_| ())
}

/// A checked copy of a backup waiting beside the database; removed if never installed.
#[derive(Debug)]
pub struct Staged {
    staging: PathBuf,
    db: PathBuf,
    backup: PathBuf,
    pub schema: i64,
    pub audit_records: usize,
    installed: bool,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.installed {
            for side in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(cipher::sibling(&self.staging, side));
            }
        }
    }
}

/// Copy `backup` beside `db` and check the copy: it opens with `backup_key`, is re-keyed to
/// `key` (the practice's), passes SQLite's integrity check, is a frontdesk database of a
/// schema this binary knows, of the same kind (practice, demo), with an intact audit chain.
pub fn stage(
    db: &Path,
    backup: &Path,
    key: &DbKey,
    backup_key: &DbKey,
) -> Result<Staged, BackupError> {
    match cipher::file_kind(backup).map_err(|e| copy_error(backup, backup, e))? {
        FileKind::Missing => return Err(BackupError::NoBackup(backup.to_path_buf())),
        FileKind::Plain => return Err(BackupError::PlainBackup(backup.to_path_buf())),
        FileKind::Empty | FileKind::Opaque => {}
    }
    let staging = cipher::sibling(db, ".restoring");
    for side in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(cipher::sibling(&staging, side));
    }
    copy_private(backup, &staging)?;
    let mut staged = Staged {
        staging,
        db: db.to_path_buf(),
        backup: backup.to_path_buf(),
        schema: 0,
        audit_records: 0,
        installed: false,
    };
    let refused = |why: &str| BackupError::Refused {
        path: backup.to_path_buf(),
        why: why.to_string(),
    };
    let copy = Store::open_verbatim(&staged.staging, backup_key, true).map_err(|e| match e {
        StoreError::Undecryptable(_) => BackupError::WrongKey(backup.to_path_buf()),
        other => other.into(),
    })?;
    if backup_key != key {
        copy.rekey(key)?;
    }
    cipher::integrity_check(&copy).map_err(|e| refused(&format!("is damaged ({e})")))?;
    let schema = copy.schema_version()?;
    if schema == 0 {
        return Err(refused("is not a frontdesk database"));
    }
    if schema > store::migrations::LATEST as i64 {
        return Err(refused(&format!(
            "was written by a newer frontdesk (schema {schema}, this one knows {}); update frontdesk first",
            store::migrations::LATEST
        )));
    }
    let kind = marker::kind(&copy)?;
    if kind == DbKind::Demo && current_kind(db, key) != Some(DbKind::Demo) {
        return Err(refused("is the demo practice's, not this practice's"));
    }
    let chain = super::audit::verify(&copy)?;
    if let Some(broken) = chain.broken {
        return Err(refused(&format!("has a broken audit trail ({broken})")));
    }
    staged.schema = schema;
    staged.audit_records = chain.records;
    Ok(staged)
}

fn current_kind(db: &Path, key: &DbKey) -> Option<DbKind> {
    Store::inspect_keyed(db, key).ok().flatten()
}

impl Staged {
    /// The staged copy as a store (migrated to this binary's schema), to sign in against
    /// the staff it will bring back. Drop it before [`Staged::install`].
    pub fn open(&self, key: &DbKey) -> Result<Store, StoreError> {
        Store::open_existing_keyed(&self.staging, key)
    }

    /// Put the staged copy in place of the database: refused while another program has it
    /// open; the replaced file is kept as `<db>.replaced-<UTC time>`. Audited in the restored
    /// database. Returns the kept file, if there was one.
    pub fn install(mut self, key: &DbKey, act: Act<'_>) -> Result<Option<PathBuf>, BackupError> {
        let stamp = act.now.format("%Y%m%dT%H%M%SZ");
        let kept = cipher::sibling(&self.db, &format!(".replaced-{stamp}"));
        let had_db = self.db.exists();
        if had_db {
            match Exclusive::take(&self.db, Some(key), HOLD_WAIT) {
                Ok(held) => held.set_aside_for(&kept, &self.staging)?,
                Err(e @ StoreError::InUse(_)) => return Err(e.into()),
                // A database this key cannot read (or that is damaged) has no user to wait
                // for: it is set aside as it is.
                Err(_) => cipher::set_aside(&self.db, &kept, &self.staging)?,
            }
        } else {
            std::fs::rename(&self.staging, &self.db)
                .map_err(|e| copy_error(&self.staging, &self.db, e))?;
        }
        self.installed = true;
        let _ = std::fs::remove_file(cipher::sibling(&self.staging, "-shm"));
        let mut restored = Store::open_existing_keyed(&self.db, key)?;
        let from = self.backup.display().to_string();
        let kept_name = had_db.then(|| kept.display().to_string());
        let event = PracticeEvent::Restored {
            from: &from,
            kept: kept_name.as_deref(),
            schema: self.schema,
            audit_records: self.audit_records,
        };
        restored.write(|conn| {
            // A console that kept days of the replaced file must not trust them here.
            store::changes::everything(conn)?;
            audit(conn, act, &event)
        })?;
        tracing::info!(schema = self.schema, "backup restored");
        Ok(had_db.then_some(kept))
    }
}

fn copy_private(from: &Path, to: &Path) -> Result<(), BackupError> {
    let err = |e| copy_error(from, to, e);
    let mut source = std::fs::File::open(from).map_err(err)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut target = options.open(to).map_err(err)?;
    std::io::copy(&mut source, &mut target)
        .and_then(|_| target.sync_all())
        .map_err(err)
}

fn copy_error(from: &Path, to: &Path, source: std::io::Error) -> BackupError {
    BackupError::Copy {
        from: from.to_path_buf(),
        to: to.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests;
