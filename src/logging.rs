//! Logging with `tracing` to a daily file in the data directory — never to the terminal
//! (the console owns it) and never with PHI: log ids and codes, not names, numbers or bodies.

use std::path::Path;

use anyhow::{Context, Result};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Start logging to `log_dir/frontdesk.log.YYYY-MM-DD`. Keep the guard alive until exit so
/// buffered lines are flushed. `FRONTDESK_LOG` sets the filter (default `info`).
pub fn init(log_dir: &Path) -> Result<WorkerGuard> {
    std::fs::create_dir_all(log_dir)
        .with_context(|| format!("cannot create log directory {}", log_dir.display()))?;
    let appender = tracing_appender::rolling::daily(log_dir, "frontdesk.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter =
        EnvFilter::try_from_env("FRONTDESK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot start logging: {e}"))?;
    Ok(guard)
}
