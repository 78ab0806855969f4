//! Logging with `tracing` to a daily file in the data directory — never to the terminal
//! (the console owns it) and never with PHI: log ids and codes, not names, numbers or bodies.
//!
//! A log folder that cannot be written never stops frontdesk: it runs without a log file and
//! says so once on stderr (before the console takes the terminal).

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;

/// Start logging to `log_dir/frontdesk.log.YYYY-MM-DD`. Keep the guard alive until exit so
/// buffered lines are flushed. `FRONTDESK_LOG` sets the filter (default `info`). `None` when
/// there is no log file (the reason is on stderr).
pub fn init(log_dir: &Path) -> Option<WorkerGuard> {
    match start(log_dir) {
        Ok(guard) => Some(guard),
        Err(why) => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "warning: cannot write the log in {} ({why}); running without a log file",
                log_dir.display()
            );
            None
        }
    }
}

fn start(log_dir: &Path) -> Result<WorkerGuard, String> {
    std::fs::create_dir_all(log_dir).map_err(|e| e.to_string())?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("frontdesk.log")
        .build(log_dir)
        .map_err(|e| e.to_string())?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter =
        EnvFilter::try_from_env("FRONTDESK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(|e| format!("cannot start logging: {e}"))?;
    Ok(guard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_folder_that_is_a_file_means_no_log_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("logs");
        std::fs::write(&blocker, "").unwrap();
        assert!(start(&blocker).is_err());
        assert!(init(&blocker.join("deeper")).is_none());
    }
}
