//! The pages a bulk load writes, let go of by the operating system as they are written
//! ([`LoadSettings::release_written`](super::LoadSettings::release_written)).
//!
//! Why: a clinic group's commit writes 3.4 GB in one go, and the kernel keeps every page of
//! it in its page cache — 3.4 GB of memory the machine had not touched, on top of the load's
//! own page cache. On a virtual machine whose host hands memory back only when first touched,
//! that first touch is most of the commit's kernel time (writing 3.4 GB into a new file took
//! 6.0 s, and 0.66 s again right after into the memory the first write had freed; the
//! generator's commit spent 7 s in the kernel's copy). A second thread asks the kernel, every
//! [`TICK`] (cheap when little is cached), to start writing out what the commit has written so far and to drop what is
//! already on disk (`posix_fadvise(POSIX_FADV_DONTNEED)` does both), so the commit's next
//! writes land in pages just freed. It never changes what the file holds: only what the
//! kernel caches of it.
//!
//! The thread holds a file descriptor of its own on the database, and closing any descriptor
//! of a file drops every POSIX lock the process holds on it — SQLite's too. So the descriptor
//! lives in the caller's frame, not the thread's, and is closed only after the load's
//! transaction has ended (outside a transaction, in rollback-journal mode, SQLite holds no
//! lock on the file).

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

/// How often the thread looks at the file.
pub(super) const TICK: Duration = Duration::from_millis(100);

/// Below this size the file is left alone (a small load's pages cost nothing to keep).
/// The size is not a measure of progress: SQLite sets a file's length to the commit's
/// final size before its first write when memory-mapped reads are on.
const SMALL: u64 = 16 << 20;

/// Run `work` (the load's transaction) while a second thread asks the kernel, every `tick`,
/// to write out and drop the pages of `path` that `work` writes. Returns `work`'s result and how often the
/// kernel was asked. Without a file (`None`), or if it cannot be opened, `work` simply runs.
pub(super) fn while_releasing<T>(
    path: Option<&Path>,
    tick: Duration,
    work: impl FnOnce() -> T,
) -> (T, u32) {
    let Some(file) = path.and_then(|p| File::open(p).ok()) else {
        return (work(), 0);
    };
    let stop = AtomicBool::new(false);
    let advised = AtomicU32::new(0);
    let out = std::thread::scope(|s| {
        let releaser = s.spawn(|| release(&file, tick, &stop, &advised));
        // Stopped on the way out even if `work` panics: the scope joins the thread before
        // the panic goes on, and a thread never told to stop would hang the process.
        let _stop = Stop {
            flag: &stop,
            thread: releaser.thread().clone(),
        };
        work()
    });
    // Only now, with the transaction over and the thread joined (see the module's note).
    drop(file);
    (out, advised.into_inner())
}

/// Tells the releasing thread to stop when dropped.
struct Stop<'a> {
    flag: &'a AtomicBool,
    thread: std::thread::Thread,
}

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        self.flag.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

fn release(file: &File, tick: Duration, stop: &AtomicBool, advised: &AtomicU32) {
    while !stop.load(Ordering::Acquire) {
        std::thread::park_timeout(tick);
        let Ok(len) = file.metadata().map(|m| m.len()) else {
            return;
        };
        if len >= SMALL && advise(file) {
            advised.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Start writing the file's dirty pages out and drop its clean ones from the page cache.
#[cfg(target_os = "linux")]
fn advise(file: &File) -> bool {
    rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::DontNeed).is_ok()
}

#[cfg(not(target_os = "linux"))]
fn advise(_: &File) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn the_kernel_is_asked_while_the_file_grows_and_the_work_is_what_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grows.db");
        let mut out = File::create(&path).unwrap();
        let tick = Duration::from_millis(1);
        let (written, advised) = while_releasing(Some(&path), tick, || {
            let chunk = vec![7u8; 1 << 20];
            for _ in 0..64 {
                out.write_all(&chunk).unwrap();
                // Room for the thread to see the file grow between writes.
                std::thread::sleep(tick * 3);
            }
            out.flush().unwrap();
            64 << 20
        });
        assert_eq!(written, 64 << 20);
        if cfg!(target_os = "linux") {
            assert!(advised >= 1, "asked {advised} times");
        } else {
            assert_eq!(advised, 0);
        }
        // Dropping pages from the cache changes nothing the file holds.
        let back = std::fs::read(&path).unwrap();
        assert_eq!(back.len(), 64 << 20);
        assert!(back.iter().all(|&b| b == 7));
    }

    #[test]
    fn a_panic_in_the_work_stops_the_thread_and_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("panics.db");
        std::fs::write(&path, vec![0u8; 1 << 20]).unwrap();
        let (done, ended) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let caught = std::panic::catch_unwind(|| {
                while_releasing(Some(&path), Duration::from_millis(1), || -> u32 {
                    std::panic::panic_any("the load broke")
                })
            });
            done.send(caught.is_err()).unwrap();
        });
        // A releasing thread never told to stop would keep the scope (and this) waiting.
        let panicked = ended.recv_timeout(Duration::from_secs(30));
        assert_eq!(panicked, Ok(true));
    }

    #[test]
    fn without_a_file_the_work_simply_runs() {
        let (v, advised) = while_releasing(None, TICK, || 42);
        assert_eq!((v, advised), (42, 0));
        let missing = Path::new("/nonexistent/frontdesk/none.db");
        let (v, advised) = while_releasing(Some(missing), TICK, || 43);
        assert_eq!((v, advised), (43, 0));
    }
}
