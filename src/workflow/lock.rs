//! One sender at a time per database: `remind`, `sync`, `send` and the console's batches take
//! an exclusive lock on a file next to the database before they send.
//!
//! The unique idempotency key already stops two runs from *recording* the same text; the lock
//! stops a second run from mistaking the first run's fresh `pending` rows for crash leftovers
//! and sending them too. The OS releases the lock when a process dies, even by SIGKILL, so a
//! crash never leaves it held.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;

use crate::store::Store;

use super::WorkflowError;

/// How long a run waits for another to finish sending before it gives up.
const WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Held while a run sends; released on drop.
#[derive(Debug)]
pub struct SendLock {
    _file: File,
    pub path: PathBuf,
}

/// Wait for and take the send lock of this store's database (`None` for an in-memory store,
/// which no other process can see).
pub fn acquire(store: &Store) -> Result<Option<SendLock>, WorkflowError> {
    let Some(db) = store.path() else {
        return Ok(None);
    };
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".send-lock");
    let path = db.with_file_name(name);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| {
            WorkflowError::Lock(format!("cannot open the send lock {}: {e}", path.display()))
        })?;
    // Wait a bounded time: a run that hangs must not make every later cron run pile up
    // behind it forever.
    let started = std::time::Instant::now();
    loop {
        // File::try_lock is std since Rust 1.89, the crate's MSRV.
        match file.try_lock() {
            Ok(()) => return Ok(Some(SendLock { _file: file, path })),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(WorkflowError::Lock(format!(
                    "another frontdesk run has been sending for over {} s (lock {}); try again when it has finished",
                    WAIT.as_secs(),
                    path.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(WorkflowError::Lock(format!(
                    "cannot take the send lock {}: {e}",
                    path.display()
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("p.db")).unwrap();
        let first = acquire(&store).unwrap().unwrap();
        let other = File::options().write(true).open(&first.path).unwrap();
        {
            assert!(other.try_lock().is_err(), "held by the first");
            drop(first);
            assert!(other.try_lock().is_ok(), "free once dropped");
        }
    }

    #[test]
    fn in_memory_stores_need_no_lock() {
        assert!(
            acquire(&Store::open_in_memory().unwrap())
                .unwrap()
                .is_none()
        );
    }
}
