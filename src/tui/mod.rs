//! The console: the day view and its overlays, in the terminal (ratatui/crossterm only here).
//!
//! The loop follows STYLE.md: one thread reads the terminal ([`input`]); [`app::update`]
//! is the only place state changes and returns [`msg::Cmd`]s; one worker thread owns the
//! database and answers with [`msg::Msg`]s ([`worker`]); the screen is redrawn once per
//! batch of messages, only when something changed, with a tick only while a toast shows.
//! The console opens locked; while someone is signed in the loop reads the one clock once a
//! second (and before every key) for the idle lock, drawing nothing unless it locks.
//! The terminal is restored on exit, on error and on panic ([`terminal`]). Gets what it
//! needs from [`AppContext`], never from `cli`. Must not import `store` except to open the
//! database it hands to the worker, nor `provider`.
//!
//! Module order, bottom up (no module imports one above it): `msg`, `keymap`, `strings`,
//! `theme`, `widgets`, `layout` → `shared` → `overlay` → the modals in `screens/` → `modal`
//! → `screen` → the screens in `screens/` → `app` → `view`; `worker` runs `Cmd`s; this file
//! runs the loop.

pub mod action;
pub mod app;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod modal;
pub mod msg;
pub mod overlay;
pub mod screen;
pub mod screens;
pub mod shared;
pub mod signals;
pub mod strings;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod widgets;
pub mod worker;
// reception

#[cfg(test)]
mod tests;

use std::io::{IsTerminal, Write as _};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};

use self::app::{App, update};
use self::msg::{Cmd, Msg};
use self::worker::{Runner, Worker};
use crate::app_context::AppContext;
use crate::clock::Clock;
use crate::store::{Store, StoreError};
use crate::workflow::database::{self, DatabaseError};

/// Tick period while something animates.
const TICK: Duration = Duration::from_millis(250);
/// How often the console asks whether another process changed the database: a change made at
/// another desk (or by cron) shows here within 2 s — one poll plus the reload. The question is
/// one `PRAGMA data_version`, no read of any table.
const POLL: Duration = Duration::from_secs(1);
/// How long the loop waits for a day it asked for before drawing "Loading…" instead.
const LOAD_GRACE: Duration = Duration::from_millis(60);
/// How often the loop reads the clock for the idle lock while someone is signed in.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Open the console on `db_path`, locked until a member signs in, until the user quits.
///
/// `banner` is a line shown under the title (e.g. that this is the demo practice);
/// `sign_in_hint` lines show under the sign-in box (the demo's accounts).
pub fn run(
    ctx: &AppContext,
    db_path: &Path,
    banner: Option<String>,
    sign_in_hint: Vec<String>,
) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(strings::NOT_A_TERMINAL);
    }
    let store = open_store(ctx, db_path)?;
    let tz = ctx.config.practice.time_zone;
    let today = ctx.clock.now().with_timezone(&tz).date_naive();
    let mut app = App::new(&ctx.config, today, banner);
    app.sign_in_hint = sign_in_hint;
    let (msg_tx, msg_rx) = mpsc::channel();
    let runner = Runner::new(store, ctx.config.clone(), ctx.clock, None);
    // batch: a second connection, with the same key, for reminder batches off the loop.
    let reopen: worker::Reopen = {
        let (db, config_file) = (db_path.to_path_buf(), ctx.paths.config_file.clone());
        std::sync::Arc::new(move || {
            let keys = database::KeySource::from_env(&config_file, &db);
            database::open_existing(&db, &keys)
                .map(|opened| opened.store)
                .map_err(|e| e.to_string())
        })
    };
    let worker = Worker::spawn_with(runner, msg_tx.clone(), Some(reopen))?;
    signals::watch(msg_tx.clone()).context("cannot watch for SIGTERM and SIGHUP")?;
    let mut term = terminal::Guard::enter().context("cannot start the console in this terminal")?;
    let input = input::Input::spawn(msg_tx)?;
    tracing::info!("console started");
    let result = event_loop(&mut term, &mut app, &msg_rx, (&worker, ctx.clock));
    // Give the terminal back first; queued status changes may take a moment to land.
    input.stop();
    drop(term);
    worker.stop();
    tracing::info!(ok = result.is_ok(), "console stopped");
    result
}

/// Set (to anything) to leave the console right after its first frame: how
/// `benches/group_e2e.sh` times a cold start to the first frame and its memory. Not for
/// people; nothing else changes.
pub const EXIT_AFTER_FIRST_FRAME_ENV: &str = "FRONTDESK_EXIT_AFTER_FIRST_FRAME";

/// The loop; `shell` is what it hands work to and reads time from.
fn event_loop(
    term: &mut terminal::Guard,
    app: &mut App,
    rx: &Receiver<Msg>,
    shell: (&Worker, Clock),
) -> anyhow::Result<()> {
    let worker = shell.0;
    let exit_after_first_frame = std::env::var_os(EXIT_AFTER_FIRST_FRAME_ENV).is_some();
    let size = term.size()?;
    let mut first = vec![Msg::Resize {
        width: size.width,
        height: size.height,
    }];
    for cmd in app.start() {
        worker.send(cmd)?;
    }
    let mut waiting_since: Option<Instant> = None;
    let mut last_poll = Instant::now();
    loop {
        for msg in first.drain(..) {
            if process_message(app, msg, shell)? {
                return Ok(());
            }
        }
        // A day switch normally answers within milliseconds: wait for it instead of
        // flashing "Loading…" for one frame.
        let holding = app.awaiting_first_load()
            && waiting_since.get_or_insert_with(Instant::now).elapsed() < LOAD_GRACE;
        if !app.awaiting_first_load() {
            waiting_since = None;
        }
        if app.is_dirty() && !holding {
            term.draw(|f| view::draw(f, app))?;
            app.mark_drawn();
            if exit_after_first_frame {
                tracing::info!("first frame drawn; leaving as {EXIT_AFTER_FIRST_FRAME_ENV} asks");
                return Ok(());
            }
        }
        let next = if holding {
            let waited = waiting_since.map_or(Duration::ZERO, |t| t.elapsed());
            recv(rx, Some(LOAD_GRACE.saturating_sub(waited)), None)?
        } else if app.animating() {
            let until_poll = POLL.saturating_sub(last_poll.elapsed());
            recv(rx, Some(TICK.min(until_poll)), Some(Msg::Tick))?
        } else if app.watching_idle() {
            let until_poll = POLL.saturating_sub(last_poll.elapsed());
            recv(rx, Some(IDLE_POLL.min(until_poll)), Some(Msg::Tick))?
        } else {
            recv(rx, Some(POLL.saturating_sub(last_poll.elapsed())), None)?
        };
        first.extend(next);
        // reception: changes made by other processes show within a few seconds.
        if last_poll.elapsed() >= POLL {
            first.push(Msg::PollDue);
            last_poll = Instant::now();
        }
        first.extend(rx.try_iter());
    }
}

/// Wait for the next message; on timeout yield `on_timeout`.
fn recv(
    rx: &Receiver<Msg>,
    timeout: Option<Duration>,
    on_timeout: Option<Msg>,
) -> anyhow::Result<Option<Msg>> {
    match timeout {
        None => rx
            .recv()
            .map(Some)
            .map_err(|_| anyhow!("the console lost its input and its worker")),
        Some(t) => match rx.recv_timeout(t) {
            Ok(m) => Ok(Some(m)),
            Err(RecvTimeoutError::Timeout) => Ok(on_timeout),
            Err(RecvTimeoutError::Disconnected) => {
                Err(anyhow!("the console lost its input and its worker"))
            }
        },
    }
}

/// Apply one message and hand its commands to the worker; returns true when the user quit.
/// A key or a tick is preceded by the clock's reading, so idleness is judged first.
fn process_message(app: &mut App, msg: Msg, shell: (&Worker, Clock)) -> anyhow::Result<bool> {
    let (worker, clock) = shell;
    if matches!(msg, Msg::Key(_) | Msg::Tick) {
        for cmd in update(app, Msg::Now(clock.now())) {
            worker.send(cmd)?;
        }
    }
    match &msg {
        Msg::InputFailed(e) => return Err(anyhow!("cannot read the keyboard: {e}")),
        Msg::WorkerStopped => {
            return Err(anyhow!(
                "the database worker stopped unexpectedly; see the log, then start again"
            ));
        }
        _ => {}
    }
    for cmd in update(app, msg) {
        match cmd {
            Cmd::Quit => return Ok(true),
            other => worker.send(other)?,
        }
    }
    Ok(false)
}

/// The database with its key. Never a new empty database: a mistyped path or a wrong key is
/// one line naming it; a plain database is encrypted first, said on stderr before the console
/// takes the screen.
fn open_store(ctx: &AppContext, db_path: &Path) -> anyhow::Result<Store> {
    let keys = database::KeySource::from_env(&ctx.paths.config_file, db_path);
    let opened = database::open_existing(db_path, &keys).map_err(|e| match e {
        DatabaseError::Store(
            inner @ (StoreError::Missing(_) | StoreError::NotFrontdesk(_) | StoreError::InUse(_)),
        ) => anyhow!(inner),
        DatabaseError::Store(other) => {
            anyhow!(other).context(format!("cannot open the database {}", db_path.display()))
        }
        other => anyhow!(other),
    })?;
    if let Some(note) = opened.note {
        let _ = writeln!(std::io::stderr(), "note: {note}");
    }
    Ok(opened.store)
}
