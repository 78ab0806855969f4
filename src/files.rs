//! Files only their owner may read: the process umask, the one check every secret-bearing
//! file shares (config, provider token file, and the database key file to come), and writing
//! a new file owner-only without ever overwriting one.
//!
//! Shell code (file system); imports nothing of the crate.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Make every file and folder this process creates owner-only (0600 / 0700): the database
/// and its -wal/-shm, logs, locks, backups and exports, including files that libraries
/// (SQLite, the log appender) create with their own modes.
pub fn private_umask() {
    #[cfg(unix)]
    {
        let _previous = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    }
}

/// Why a file that must be owner-only cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FileModeError {
    #[error("{what} {path} can be read or changed by other users; run: chmod 600 {path}")]
    TooOpen { what: &'static str, path: PathBuf },
    #[error("cannot read {what} {path}: {source}")]
    Unreadable {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Refuse `path` unless only its owner may read or write it. `what` names the file in the
/// message ("the config file", "the Twilio auth token file").
pub fn check_owner_only(path: &Path, what: &'static str) -> Result<(), FileModeError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|source| FileModeError::Unreadable {
            what,
            path: path.to_path_buf(),
            source,
        })?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(FileModeError::TooOpen {
                what,
                path: path.to_path_buf(),
            });
        }
    }
    #[cfg(not(unix))]
    let _ = (path, what);
    Ok(())
}

/// Write a new owner-only file (0600), creating its folder; an existing file is an error
/// (`AlreadyExists`) and is left untouched.
pub fn write_new_owner_only(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    if written.is_err() {
        // A half-written file would block the next attempt; it is ours, so remove it.
        let _ = std::fs::remove_file(path);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn only_owner_only_files_pass_and_the_refusal_says_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "").unwrap();
        for mode in [0o644, 0o640, 0o604, 0o620, 0o602, 0o660] {
            chmod(&path, mode);
            let err = check_owner_only(&path, "the config file").unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "the config file {0} can be read or changed by other users; run: chmod 600 {0}",
                    path.display()
                ),
                "mode {mode:o}"
            );
        }
        for mode in [0o600, 0o400] {
            chmod(&path, mode);
            assert!(
                check_owner_only(&path, "the config file").is_ok(),
                "{mode:o}"
            );
        }
    }

    #[test]
    fn a_new_file_is_owner_only_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        write_new_owner_only(&path, b"a = 1\n").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let err = write_new_owner_only(&path, b"b = 2\n").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a = 1\n");
    }
}
