//! Online backups: SQLite's backup API copies a consistent snapshot of the open database
//! into a new, encrypted, owner-only file while the console and a `remind` run keep writing
//! (WAL: the copy reads one snapshot; writers are not blocked).
//!
//! Checking a backup (integrity, schema version, audit chain) and putting one in place are
//! the workflow's; this module only copies pages. Must not import workflow, tui or cli.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};

use super::cipher::{self, DbKey};
use super::{Result, Store, StoreError};

/// How often a step that found the source busy is retried before giving up.
const BUSY_RETRIES: u32 = 200;

/// Copy `store` into a new file `dest` encrypted with `key`. Refuses a `dest` that exists;
/// a copy that fails half-way is removed. The copy uses a rollback journal, so it is one
/// self-contained file (no -wal beside it).
pub fn write(store: &Store, dest: &Path, key: &DbKey) -> Result<()> {
    cipher::create_private(dest)?;
    let copied = copy_into(store, dest, key);
    if copied.is_err() {
        let _ = cipher::remove_if_present(dest);
        let _ = cipher::remove_if_present(&cipher::sibling(dest, "-journal"));
    }
    copied
}

fn copy_into(store: &Store, dest: &Path, key: &DbKey) -> Result<()> {
    let mut target = Connection::open(dest)?;
    // The copy's pages are the source's bytes re-encrypted, reserved space and all: SQLite
    // copies only between files of one format, so a file made before the change is backed up
    // as it is.
    let format = cipher::format_of(&store.conn)?.unwrap_or(cipher::Format::NEW);
    cipher::apply(&target, key, format)?;
    {
        let backup = Backup::new(&store.conn, &mut target)?;
        let mut busy = 0;
        // All pages in one step: one read snapshot, so the copy is consistent however much
        // the other connections write meanwhile (a practice's database is a few MB).
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::More => {}
                StepResult::Busy | StepResult::Locked if busy < BUSY_RETRIES => {
                    busy += 1;
                    std::thread::sleep(Duration::from_millis(25));
                }
                StepResult::Busy | StepResult::Locked => {
                    return Err(StoreError::InUse(
                        store
                            .path()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default(),
                    ));
                }
                _ => {}
            }
        }
    }
    // The copied header says WAL (the source's mode); a backup is better as one file.
    target.pragma_update(None, "journal_mode", "DELETE")?;
    drop(target);
    std::fs::File::open(dest)
        .and_then(|f| f.sync_all())
        .map_err(|source| StoreError::Create {
            path: dest.display().to_string(),
            source,
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::cipher::{FileKind, file_kind};

    fn key(byte: u8) -> DbKey {
        DbKey::from_hex(&format!("{byte:02x}").repeat(32)).unwrap()
    }

    #[test]
    fn a_backup_is_encrypted_one_file_and_holds_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_keyed(&dir.path().join("p.db"), &key(1)).unwrap();
        crate::store::settings::set(&store.conn, "greeting", "Siobhán Ní Bhriain").unwrap();
        let dest = dir.path().join("b.db");
        write(&store, &dest, &key(2)).unwrap();
        assert_eq!(file_kind(&dest).unwrap(), FileKind::Opaque);
        assert!(!cipher::sibling(&dest, "-wal").exists());
        let bytes = std::fs::read(&dest).unwrap();
        assert!(!bytes.windows(7).any(|w| w == b"Siobh\xc3\xa1"));
        assert!(Store::open_verbatim(&dest, &key(1), false).is_err());
        let copy = Store::open_verbatim(&dest, &key(2), false).unwrap();
        let greeting = crate::store::settings::get(&copy.conn, "greeting").unwrap();
        assert_eq!(greeting.as_deref(), Some("Siobhán Ní Bhriain"));
    }

    #[test]
    fn a_backup_never_writes_over_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_keyed(&dir.path().join("p.db"), &key(1)).unwrap();
        let dest = dir.path().join("b.db");
        std::fs::write(&dest, "yesterday's backup").unwrap();
        let err = write(&store, &dest, &key(1)).unwrap_err();
        assert!(matches!(err, StoreError::Exists { .. }), "{err}");
        assert_eq!(
            std::fs::read_to_string(&dest).unwrap(),
            "yesterday's backup"
        );
    }
}
