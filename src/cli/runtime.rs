//! What the sending commands share: the practice database, the provider, the gate, a tokio
//! runtime, and progress lines on stderr folded from batch events.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context as _;

use super::Context;
use crate::config::{Config, PracticeConfig, ProviderKind};
use crate::domain::batch::{BatchEvent, BatchProgress};
use crate::store::marker::{self, DbKind};
use crate::store::{Store, StoreError};
use crate::workflow::database::{self, DatabaseError};
use crate::workflow::sender::Sender;

/// The practice database named by `--db` or the platform data directory. It must exist: a
/// mistyped path is one line naming it, never a new empty database.
pub fn open_store(ctx: &Context) -> anyhow::Result<Store> {
    open_database(ctx, &ctx.paths.db_file)
}

/// The database at `db`, opened with its key (a plain one is encrypted first, said once on
/// stderr). A wrong or missing key is one line.
pub fn open_database(ctx: &Context, db: &Path) -> anyhow::Result<Store> {
    let keys = database::KeySource::from_env(&ctx.paths.config_file, db);
    let opened = database::open_existing(db, &keys).map_err(|e| match e {
        DatabaseError::Store(inner) => match inner {
            // These already name the path and say what to do.
            StoreError::Missing(_) | StoreError::NotFrontdesk(_) | StoreError::InUse(_) => {
                anyhow::Error::from(inner)
            }
            other => anyhow::Error::from(other)
                .context(format!("cannot open the database {}", db.display())),
        },
        other => anyhow::Error::from(other),
    })?;
    say_note(opened.note.as_deref());
    Ok(opened.store)
}

/// A note for the person at the terminal (or cron mail), on stderr: never PHI.
pub fn say_note(note: Option<&str>) {
    if let Some(note) = note {
        let _ = writeln!(std::io::stderr(), "note: {note}");
    }
}

/// The config texts go out under: the practice must have said its name and phone. A demo
/// database is the demo practice wherever it is opened, so it keeps the demo's identity for
/// what the config leaves unset.
pub fn sending_config(ctx: &Context, store: &Store) -> anyhow::Result<Config> {
    let config = if marker::kind(&store)? == DbKind::Demo {
        with_demo_identity(ctx.config.clone())
    } else {
        ctx.config.clone()
    };
    if let Err(missing) = config.sender_identity() {
        anyhow::bail!(
            "{missing}: set `{} = ...` under [practice] in {}, or run `frontdesk init`; nothing was sent",
            missing.key(),
            ctx.paths.config_file.display()
        );
    }
    Ok(config)
}

/// `config` with the demo practice's name, phone, portal and location wherever it leaves
/// them unset.
pub fn with_demo_identity(mut config: Config) -> Config {
    let demo = PracticeConfig::default();
    let p = &mut config.practice;
    for (mine, theirs) in [
        (&mut p.name, demo.name),
        (&mut p.phone, demo.phone),
        (&mut p.portal_url, demo.portal_url),
        (&mut p.location, demo.location),
    ] {
        if mine.trim().is_empty() {
            *mine = theirs;
        }
    }
    config
}

/// SPEC §4: a run that partly failed — some text could not be sent and will not go by
/// itself (a permanent provider refusal, a PHI block, a record that cannot be read); the
/// report names each.
pub const EXIT_PARTLY_FAILED: u8 = 3;

/// Success, or "partly failed".
pub fn exit_code(partly_failed: bool) -> std::process::ExitCode {
    if partly_failed {
        std::process::ExitCode::from(EXIT_PARTLY_FAILED)
    } else {
        std::process::ExitCode::SUCCESS
    }
}

/// The provider and the PHI gate the config names (assembled by the workflow).
pub fn sender(ctx: &Context) -> anyhow::Result<Sender> {
    Sender::from_config(&ctx.config).context("cannot set up the SMS provider")
}

/// A single-threaded runtime: provider calls are IO-bound and the database has one owner.
pub fn tokio() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Folds batch events into progress on stderr: a line updated in place on a terminal; in cron
/// mail or a log file, only the start and the end of each batch.
pub struct StderrProgress {
    progress: BatchProgress,
    last: String,
    live: bool,
    /// The practice texts through the offline outbox: what it took is waiting there, so the
    /// line says "to outbox", never "sent" (as the desk's batch gauge does).
    outbox: bool,
}

impl StderrProgress {
    /// Progress for a run through `provider`.
    pub fn new(provider: ProviderKind) -> Self {
        Self {
            progress: BatchProgress::default(),
            last: String::new(),
            live: std::io::stderr().is_terminal(),
            outbox: provider == ProviderKind::Outbox,
        }
    }

    /// The line as it stands.
    pub fn line(&self) -> String {
        if self.outbox {
            self.progress.outbox_line()
        } else {
            self.progress.to_string()
        }
    }

    pub fn on_event(&mut self, event: BatchEvent) {
        self.progress.apply(&event);
        if self.progress.total == 0 && self.progress.stopped.is_none() {
            return;
        }
        let ends = matches!(event, BatchEvent::Finished | BatchEvent::Stopped { .. });
        let starts = matches!(event, BatchEvent::Started { .. });
        let line = self.line();
        if line == self.last || !(self.live || starts || ends) {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = if self.live {
            write!(err, "\r{line}\x1b[K{}", if ends { "\n" } else { "" })
        } else {
            writeln!(err, "{line}")
        };
        self.last = line;
    }
}
