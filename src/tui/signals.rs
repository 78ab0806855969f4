//! SIGTERM, SIGHUP and SIGINT end the console cleanly instead of leaving the terminal in raw
//! mode on the alternate screen: the loop is told (`Msg::Terminated`), quits and restores the
//! terminal as on `q`. If the console has not ended within two seconds (or a second signal
//! comes), the terminal is restored here and the process exits with 128 + the signal.
//!
//! The watcher stays for the life of the process: closing it would leave these signals
//! ignored (signal-hook does not put the default action back).

use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::msg::Msg;
use super::terminal;

/// How long the console has to end on its own after a signal.
const GRACE: Duration = Duration::from_secs(2);

fn name(signal: i32) -> &'static str {
    match signal {
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        SIGINT => "SIGINT",
        _ => "a signal",
    }
}

/// Start watching for the signals that end the console.
pub fn watch(tx: Sender<Msg>) -> std::io::Result<()> {
    let mut signals = Signals::new([SIGTERM, SIGHUP, SIGINT])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let Some(first) = signals.forever().next() else {
                return;
            };
            tracing::info!(signal = name(first), "console asked to stop");
            let _ = tx.send(Msg::Terminated {
                signal: name(first),
            });
            let deadline = Instant::now() + GRACE;
            while Instant::now() < deadline {
                if signals.pending().next().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            terminal::restore();
            std::process::exit(128 + first);
        })?;
    Ok(())
}
