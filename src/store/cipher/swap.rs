//! Swapping database files safely: holding a database alone ([`Exclusive`]), exporting a
//! plain one encrypted, putting a checked file in place (atomic rename), overwriting the bytes
//! of the one replaced, keeping a restored-over file aside. Part of `store::cipher`.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, params};

use super::{DbKey, apply, is_not_a_database};
use crate::store::{Result, Store, StoreError};

/// A database held exclusively by this process: no other connection (console, `remind`,
/// `sync`, an older frontdesk) has it open, and none can open it until this is dropped.
/// Taken before a file is swapped for another (encryption in place, restore).
pub struct Exclusive {
    store: Store,
    path: PathBuf,
}

impl Exclusive {
    /// Take the database at `path` (keyed with `key`, or plain), waiting up to `wait` for
    /// others to let go; `InUse` if they do not. Switches it out of WAL so that no -wal
    /// file is left beside it.
    pub fn take(path: &Path, key: Option<&DbKey>, wait: Duration) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let in_use = |e: rusqlite::Error| match e {
            e if crate::store::error::is_busy(&e) => StoreError::InUse(path.display().to_string()),
            e if is_not_a_database(&e) => StoreError::Undecryptable(path.display().to_string()),
            other => StoreError::Sqlite(other),
        };
        // The file's format from a connection of its own, closed before this one locks.
        let format = match key {
            Some(key) => Some((
                key,
                super::format_for(path, key, flags, wait).map_err(|e| match e {
                    StoreError::Sqlite(e) => in_use(e),
                    other => other,
                })?,
            )),
            None => None,
        };
        let conn = Connection::open_with_flags(path, flags)?;
        if let Some((key, format)) = format {
            apply(&conn, key, format)?;
        }
        conn.busy_timeout(wait)?;
        // Every open WAL connection holds a shared lock on the file, so the exclusive lock
        // (kept until this connection closes) is granted only when nobody else has it open.
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
            .map_err(in_use)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))
            .map_err(in_use)?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(StoreError::InUse(path.display().to_string()));
        }
        conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;")
            .map_err(in_use)?;
        Ok(Self {
            store: Store { conn },
            path: path.to_path_buf(),
        })
    }

    /// The held database, for reading (census, audit chain).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Write an encrypted copy of this (plain) database to `copy`, owner-only; a stale copy
    /// from an interrupted run is replaced.
    pub fn export_encrypted(&self, copy: &Path, key: &DbKey) -> Result<()> {
        remove_if_present(copy)?;
        create_private(copy)?;
        let conn = &self.store.conn;
        let copy_name = copy.display().to_string();
        // ATTACH takes bound parameters, the key among them (raw-key form, no KDF).
        conn.execute(
            "ATTACH DATABASE ?1 AS encrypted KEY ?2",
            params![copy_name, key.raw()],
        )?;
        // An attached file takes SQLCipher's defaults: the new one is made in today's format.
        let format = super::Format::NEW;
        let exported = format
            .set_on(conn, Some("encrypted"))
            .and_then(|()| conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(())))
            .and_then(|()| {
                let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
                conn.pragma_update(Some("encrypted"), "user_version", version)
            });
        let detached = conn.execute("DETACH DATABASE encrypted", []);
        exported?;
        detached?;
        Ok(())
    }

    /// Put `replacement` in this database's place (atomic rename), overwrite the old file's
    /// bytes (it may hold plaintext) and remove any -wal or -shm it left.
    pub fn replace_with(self, replacement: &Path) -> Result<()> {
        let io = |source: std::io::Error| StoreError::Create {
            path: self.path.display().to_string(),
            source,
        };
        let old = File::options().write(true).open(&self.path).map_err(io)?;
        File::open(replacement)
            .and_then(|f| f.sync_all())
            .map_err(io)?;
        std::fs::rename(replacement, &self.path).map_err(io)?;
        sync_dir(&self.path);
        scrub(old).map_err(io)?;
        drop(self.store);
        for suffix in ["-wal", "-shm", "-journal"] {
            let side = sibling(&self.path, suffix);
            if side.exists() {
                File::options()
                    .write(true)
                    .open(&side)
                    .and_then(scrub)
                    .map_err(io)?;
                remove_if_present(&side)?;
            }
        }
        Ok(())
    }

    /// Rename the held database to `kept` (restore keeps what it replaced), then put
    /// `replacement` in its place.
    pub fn set_aside_for(self, kept: &Path, replacement: &Path) -> Result<()> {
        set_aside(&self.path, kept, replacement)?;
        drop(self.store);
        Ok(())
    }
}

/// Keep the database at `path` (with a -wal it may have) as `kept`, and put `replacement` at
/// `path`. Without [`Exclusive`] only for a file no connection can use (unreadable).
///
/// `path` names a whole database at every moment — the old one, then the new one — so a
/// process killed half way (or a power cut) never leaves a practice with no database, which
/// the next command would offer to `init` afresh: the old file gets its second name first
/// (a hard link), then the replacement is renamed over `path` (atomic). Only where hard links
/// are not supported (some network file systems) is the old file renamed away first. A swap
/// that fails is undone.
pub fn set_aside(path: &Path, kept: &Path, replacement: &Path) -> Result<()> {
    let io = |source: std::io::Error| StoreError::Create {
        path: kept.display().to_string(),
        source,
    };
    if kept.exists() {
        return Err(StoreError::Exists {
            path: kept.display().to_string(),
        });
    }
    // Leaving WAL removed the -wal; if one is still there it belongs with the kept file, and
    // must not stay for the replacement to replay as its own.
    let wal = sibling(path, "-wal");
    let kept_wal = sibling(kept, "-wal");
    let moved_wal = wal.exists();
    if moved_wal {
        std::fs::rename(&wal, &kept_wal).map_err(io)?;
    }
    remove_if_present(&sibling(path, "-shm"))?;
    let linked = match std::fs::hard_link(path, kept) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(io(e)),
        Err(_) => {
            std::fs::rename(path, kept).map_err(io)?;
            false
        }
    };
    if let Err(e) = std::fs::rename(replacement, path) {
        let _ = if linked {
            std::fs::remove_file(kept)
        } else {
            std::fs::rename(kept, path)
        };
        if moved_wal {
            let _ = std::fs::rename(&kept_wal, &wal);
        }
        return Err(io(e));
    }
    sync_dir(path);
    Ok(())
}

/// `path` with `suffix` appended to its file name (`p.db` → `p.db-wal`).
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Overwrite a file's bytes with zeros and flush them, before it is unlinked.
fn scrub(mut file: File) -> std::io::Result<()> {
    let len = file.metadata()?.len();
    let zeros = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    file.sync_all()
}

fn sync_dir(path: &Path) {
    // Makes the rename durable; a failure here leaves a correct, if not yet durable, file.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
}

pub(in crate::store) fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(StoreError::Create {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// A new empty owner-only file; an existing one is `Exists`.
pub(in crate::store) fn create_private(path: &Path) -> Result<()> {
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
