//! The one thread that reads the terminal. Keys (presses and repeats) and resizes become
//! [`Msg`]s; a read error becomes `Msg::InputFailed`. It polls so it can be stopped.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::Duration;

use ratatui::crossterm::event::{self, Event, KeyEventKind};

use super::msg::Msg;

const POLL: Duration = Duration::from_millis(100);

/// The running input thread.
pub struct Input {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

impl Input {
    pub fn spawn(tx: Sender<Msg>) -> io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("frontdesk-input".into())
            .spawn(move || read_loop(&tx, &flag))?;
        Ok(Self { stop, handle })
    }

    /// Ask the thread to end and wait for it (it notices within one poll).
    pub fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.handle.join();
    }
}

fn read_loop(tx: &Sender<Msg>, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        let msg = match event::poll(POLL) {
            Ok(false) => continue,
            Ok(true) => match event::read() {
                Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => Msg::Key(k),
                Ok(Event::Resize(width, height)) => Msg::Resize { width, height },
                Ok(_) => continue,
                Err(e) => Msg::InputFailed(e.to_string()),
            },
            Err(e) => Msg::InputFailed(e.to_string()),
        };
        let failed = matches!(msg, Msg::InputFailed(_));
        if tx.send(msg).is_err() || failed {
            return;
        }
    }
}
