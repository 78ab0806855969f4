//! The console: the day view and its overlays, in the terminal (ratatui/crossterm only here).
//!
//! The loop follows STYLE.md: one thread reads the terminal ([`input`]); [`app::update`]
//! is the only place state changes and returns [`msg::Cmd`]s; one worker thread owns the
//! database and answers with [`msg::Msg`]s ([`worker`]); the screen is redrawn once per
//! batch of messages, only when something changed, with a tick only while a toast shows.
//! The terminal is restored on exit, on error and on panic ([`terminal`]). Must not import
//! `store` except to open the database it hands to the worker.

pub mod app;
pub mod input;
pub mod keymap;
pub mod msg;
pub mod screens;
pub mod signals;
pub mod strings;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod widgets;
pub mod worker;

#[cfg(test)]
mod tests;

use std::io::IsTerminal;
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};

use self::app::{App, update};
use self::msg::{Cmd, Msg};
use crate::cli::Context;

/// Tick period while something animates.
const TICK: Duration = Duration::from_millis(250);
/// How long the loop waits for a day it asked for before drawing "Loading…" instead.
const LOAD_GRACE: Duration = Duration::from_millis(60);

/// Open the console on `db_path`, acting as `actor`, until the user quits.
///
/// `banner` is a line shown under the title (e.g. that this is the demo practice).
pub fn run(
    ctx: &Context,
    db_path: &Path,
    actor: &str,
    banner: Option<String>,
) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(strings::NOT_A_TERMINAL);
    }
    // Never a new empty database: a mistyped path or a wrong key is one line.
    let store = crate::cli::runtime::open_database(ctx, db_path)?;
    let tz = ctx.config.practice.time_zone;
    let today = ctx.clock.now().with_timezone(&tz).date_naive();
    let mut app = App::new(&ctx.config, today, banner);
    let (msg_tx, msg_rx) = mpsc::channel();
    let worker = worker::Worker::spawn(
        store,
        ctx.config.clone(),
        ctx.clock,
        actor.to_string(),
        msg_tx.clone(),
    )?;
    signals::watch(msg_tx.clone()).context("cannot watch for SIGTERM and SIGHUP")?;
    let mut term = terminal::Guard::enter().context("cannot start the console in this terminal")?;
    let input = input::Input::spawn(msg_tx)?;
    tracing::info!("console started");
    let result = event_loop(&mut term, &mut app, &msg_rx, &worker);
    // Give the terminal back first; queued status changes may take a moment to land.
    input.stop();
    drop(term);
    worker.stop();
    tracing::info!(ok = result.is_ok(), "console stopped");
    result
}

fn event_loop(
    term: &mut terminal::Guard,
    app: &mut App,
    rx: &Receiver<Msg>,
    worker: &worker::Worker,
) -> anyhow::Result<()> {
    let size = term.size()?;
    let mut first = vec![Msg::Resize {
        width: size.width,
        height: size.height,
    }];
    for cmd in app.start() {
        worker.send(cmd)?;
    }
    let mut waiting_since: Option<Instant> = None;
    loop {
        for msg in first.drain(..) {
            if dispatch(app, msg, worker)? {
                return Ok(());
            }
        }
        // A day switch normally answers within milliseconds: wait for it instead of
        // flashing "Loading…" for one frame.
        let holding = app.awaiting_day()
            && waiting_since.get_or_insert_with(Instant::now).elapsed() < LOAD_GRACE;
        if !app.awaiting_day() {
            waiting_since = None;
        }
        if app.is_dirty() && !holding {
            term.draw(|f| view::draw(f, app))?;
            app.mark_drawn();
        }
        let next = if holding {
            let waited = waiting_since.map_or(Duration::ZERO, |t| t.elapsed());
            recv(rx, Some(LOAD_GRACE.saturating_sub(waited)), None)?
        } else if app.animating() {
            recv(rx, Some(TICK), Some(Msg::Tick))?
        } else {
            recv(rx, None, None)?
        };
        first.extend(next);
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

/// Apply one message; returns true when the user quit.
fn dispatch(app: &mut App, msg: Msg, worker: &worker::Worker) -> anyhow::Result<bool> {
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
