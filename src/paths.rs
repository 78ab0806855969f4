//! Where the config file, the database and the log live.
//!
//! Platform directories come from `directories`; `--config` and `--db` override them. The
//! resolved [`Paths`] value is passed down explicitly — nothing reads a global.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Resolved locations for one run of the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    /// The TOML config file (may not exist: defaults apply).
    pub config_file: PathBuf,
    /// Whether `config_file` was given on the command line (then it must exist).
    pub config_explicit: bool,
    /// The SQLite database of the practice.
    pub db_file: PathBuf,
    /// Whether `db_file` was given on the command line.
    pub db_explicit: bool,
    /// Directory for data that is not the database itself (the demo database, backups).
    pub data_dir: PathBuf,
    /// Directory for the log file.
    pub log_dir: PathBuf,
}

impl Paths {
    /// Platform locations, with command-line overrides applied.
    ///
    /// When `--db` is given, logs go next to that database so a test or a second practice
    /// never writes into the user's real data directory.
    pub fn resolve(config: Option<&Path>, db: Option<&Path>) -> Result<Self> {
        let dirs = directories::ProjectDirs::from("org", "frontdesk", "frontdesk")
            .context("could not find a home directory for frontdesk's config and data; pass --config and --db")?;
        let data_dir = match db {
            Some(db) => parent_or_dot(db),
            None => dirs.data_dir().to_path_buf(),
        };
        Ok(Self {
            config_file: config
                .map(Path::to_path_buf)
                .unwrap_or_else(|| dirs.config_dir().join("config.toml")),
            config_explicit: config.is_some(),
            db_file: db
                .map(Path::to_path_buf)
                .unwrap_or_else(|| data_dir.join("frontdesk.db")),
            db_explicit: db.is_some(),
            log_dir: data_dir.join("logs"),
            data_dir,
        })
    }

    /// The database the demo uses unless `--db` names one: never the practice's real database.
    pub fn demo_db_file(&self) -> PathBuf {
        if self.db_explicit {
            self.db_file.clone()
        } else {
            self.data_dir.join("demo.db")
        }
    }
}

fn parent_or_dot(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_win_and_logs_follow_the_database() {
        let p = Paths::resolve(
            Some(Path::new("/tmp/x/c.toml")),
            Some(Path::new("/tmp/y/p.db")),
        )
        .unwrap();
        assert_eq!(p.config_file, PathBuf::from("/tmp/x/c.toml"));
        assert_eq!(p.db_file, PathBuf::from("/tmp/y/p.db"));
        assert_eq!(p.log_dir, PathBuf::from("/tmp/y/logs"));
        assert_eq!(p.demo_db_file(), PathBuf::from("/tmp/y/p.db"));
    }

    #[test]
    fn bare_db_file_name_logs_in_current_directory() {
        let p = Paths::resolve(None, Some(Path::new("p.db"))).unwrap();
        assert_eq!(p.log_dir, PathBuf::from("./logs"));
    }

    #[test]
    fn demo_never_uses_the_practice_database_by_default() {
        let p = Paths::resolve(None, None).unwrap();
        assert_ne!(p.demo_db_file(), p.db_file);
    }
}
