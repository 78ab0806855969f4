//! The thread that owns the database. It runs [`Cmd`]s by calling the workflow functions and
//! posts each result back as a [`Msg`]. Loads and searches queued behind newer ones are
//! skipped (their results would be stale anyway); status changes always run, in order, even
//! after the console quit, so nothing the desk confirmed is lost. Logs carry ids only.

use std::io;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::anyhow;

use super::msg::{Cmd, Msg};
use crate::clock::Clock;
use crate::config::Config;
use crate::store::Store;
use crate::store::StoreError;
use crate::workflow::desk::DeskError;
use crate::workflow::{day, desk};

/// How long quitting waits for queued status changes to land.
const STOP_WAIT: Duration = Duration::from_secs(3);

/// The running worker.
pub struct Worker {
    tx: Sender<Cmd>,
    handle: JoinHandle<()>,
}

/// Everything the worker needs to run commands.
pub struct Runner {
    pub store: Store,
    pub config: Config,
    pub clock: Clock,
    pub actor: String,
}

impl Worker {
    pub fn spawn(
        store: Store,
        config: Config,
        clock: Clock,
        actor: String,
        out: Sender<Msg>,
    ) -> io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let mut runner = Runner {
            store,
            config,
            clock,
            actor,
        };
        let handle = std::thread::Builder::new()
            .name("frontdesk-db".into())
            .spawn(move || runner.serve(&rx, &out))?;
        Ok(Self { tx, handle })
    }

    pub fn send(&self, cmd: Cmd) -> anyhow::Result<()> {
        self.tx
            .send(cmd)
            .map_err(|_| anyhow!("the database worker stopped unexpectedly; see the log"))
    }

    /// Close the queue, let queued work finish (bounded), and join.
    pub fn stop(self) {
        let Self { tx, handle } = self;
        drop(tx);
        let start = Instant::now();
        while !handle.is_finished() && start.elapsed() < STOP_WAIT {
            std::thread::sleep(Duration::from_millis(10));
        }
        if handle.is_finished() {
            let _ = handle.join();
        } else {
            tracing::warn!("database worker still busy at exit");
        }
    }
}

/// Tells the console when the worker ends (also when it unwinds).
struct Stopped<'a>(&'a Sender<Msg>);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        let _ = self.0.send(Msg::WorkerStopped);
    }
}

/// Drop loads and searches that a later one of the same kind supersedes.
pub fn coalesce(batch: Vec<Cmd>) -> Vec<Cmd> {
    let last_load = batch.iter().rposition(|c| matches!(c, Cmd::LoadDay { .. }));
    let last_search = batch.iter().rposition(|c| matches!(c, Cmd::Search { .. }));
    let last_provider = batch.iter().rposition(|c| matches!(c, Cmd::LoadProvider));
    batch
        .into_iter()
        .enumerate()
        .filter(|(i, c)| match c {
            Cmd::LoadDay { .. } => Some(*i) == last_load,
            Cmd::Search { .. } => Some(*i) == last_search,
            Cmd::LoadProvider => Some(*i) == last_provider,
            _ => true,
        })
        .map(|(_, c)| c)
        .collect()
}

impl Runner {
    fn serve(&mut self, rx: &Receiver<Cmd>, out: &Sender<Msg>) {
        let _stopped = Stopped(out);
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            batch.extend(rx.try_iter());
            for cmd in coalesce(batch) {
                if matches!(cmd, Cmd::Quit) {
                    return;
                }
                if let Some(msg) = self.run(cmd) {
                    // The console may have quit; queued status changes still ran above.
                    let _ = out.send(msg);
                }
            }
        }
    }

    /// Run one command and say what came of it.
    pub fn run(&mut self, cmd: Cmd) -> Option<Msg> {
        let now = self.clock.now();
        Some(match cmd {
            Cmd::LoadDay { generation, date } => {
                let started = Instant::now();
                let result = day::load(&self.store, &self.config, date, now).map_err(|e| {
                    tracing::error!(%date, error = %log_safe(&e), "day load failed");
                    e.to_string()
                });
                tracing::debug!(%date, ms = started.elapsed().as_millis() as u64, "day loaded");
                Msg::DayLoaded {
                    generation,
                    now,
                    result,
                }
            }
            Cmd::Search { generation, query } => Msg::SearchDone {
                generation,
                // The query may be a name: it is not logged.
                result: day::search(&self.store, &query, now).map_err(|e| {
                    tracing::error!(error = %log_safe(&e), "patient search failed");
                    e.to_string()
                }),
            },
            Cmd::SetStatus { id, to } => {
                let result =
                    desk::set_status(&mut self.store, &self.config, id, to, &self.actor, now);
                match &result {
                    Ok(_) => {
                        tracing::info!(appointment = %id, to = to.as_str(), "desk status change")
                    }
                    Err(DeskError::Transition(e)) => {
                        tracing::info!(appointment = %id, to = to.as_str(), reason = %e, "desk status change refused")
                    }
                    Err(DeskError::Store(e)) => {
                        tracing::error!(appointment = %id, to = to.as_str(), error = %log_safe(e), "desk status change failed")
                    }
                }
                Msg::StatusSet {
                    id,
                    to,
                    result: result.map(|_| ()).map_err(|e| e.to_string()),
                }
            }
            Cmd::LoadProvider => Msg::ProviderLoaded(
                day::provider_status(&self.store, &self.config).map_err(|e| {
                    tracing::error!(error = %log_safe(&e), "provider status failed");
                    e.to_string()
                }),
            ),
            Cmd::Quit => return None,
        })
    }
}

/// A store error for the log: kinds, tables and ids, never stored values (which may be a
/// name or a phone number).
fn log_safe(e: &StoreError) -> String {
    match e {
        StoreError::Sqlite(err) => format!("sqlite: {err}"),
        StoreError::Migration(_) => "migration failed".into(),
        StoreError::NewerSchema { found, known } => format!("newer schema {found} > {known}"),
        StoreError::NotFound { what, id } => format!("{what} {id} not found"),
        StoreError::Conflict(_) => "conflicting change".into(),
        StoreError::Corrupt { what, .. } => format!("unreadable value in {what}"),
        StoreError::Folder { .. } => "database folder unavailable".into(),
        StoreError::Missing(_)
        | StoreError::NotFrontdesk(_)
        | StoreError::Exists { .. }
        | StoreError::Undecryptable(_)
        | StoreError::InUse(_) => "database file not usable".into(),
        StoreError::Create { .. } => "database file cannot be created".into(),
        StoreError::Damaged { .. } => "database file damaged".into(),
    }
}
