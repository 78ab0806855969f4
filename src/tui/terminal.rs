//! The terminal guard: raw mode and the alternate screen on entry, restored on drop — and on
//! panic, by a hook that restores first and then chains to the previous hook (no
//! `process::exit` in it). Restoring twice is harmless; restoring when the console never
//! started writes nothing.

use std::io::{self, Stdout, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::layout::Size;

/// Whether the terminal is in console mode (raw, alternate screen) right now.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Owns the terminal while the console runs.
pub struct Guard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Guard {
    /// Switch the terminal to console mode.
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let started = execute!(io::stdout(), EnterAlternateScreen)
            .and_then(|()| Terminal::new(CrosstermBackend::new(io::stdout())))
            .and_then(|mut t| {
                t.hide_cursor()?;
                t.clear()?;
                Ok(t)
            });
        match started {
            Ok(terminal) => Ok(Self { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    pub fn size(&self) -> io::Result<Size> {
        self.terminal.size()
    }

    /// Draw one frame.
    pub fn draw(&mut self, f: impl FnOnce(&mut ratatui::Frame)) -> io::Result<()> {
        self.terminal.draw(f).map(|_| ())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leave console mode if in it. Every step is tried even if an earlier one fails.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(out, LeaveAlternateScreen, Show);
    let _ = out.flush();
}

/// Install (once) a panic hook that restores the terminal, then runs the previous hook so
/// the panic message lands on a normal screen.
pub fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn panic_hook_chains_to_the_previous_hook_and_returns() {
        let called = Arc::new(AtomicBool::new(false));
        let seen = called.clone();
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            seen.store(true, Ordering::SeqCst);
            default(info);
        }));
        install_panic_hook();
        let outcome = std::panic::catch_unwind(|| {
            #[allow(clippy::panic)]
            {
                panic!("test panic: the hook must chain, not exit");
            }
        });
        assert!(outcome.is_err());
        assert!(called.load(Ordering::SeqCst), "previous hook not called");
        // Not in console mode: restoring is a no-op and stays one.
        restore();
        assert!(!ACTIVE.load(Ordering::SeqCst));
    }
}
