//! The real console in tmux, driven as a person at the keyboard would: one tmux server on
//! its own socket (so parallel tests never share one), a detached session `desk` running a
//! shell script, keys sent, the screen read once it has settled. Killed on drop. Shared by
//! the end-to-end tests (`tests/e2e_*.rs`), each of which writes its own start script.

#![allow(dead_code)] // each end-to-end test uses only some of these

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Pane {
    socket: String,
    /// How long a wait for the screen may take before the test fails with it.
    wait: Duration,
}

impl Pane {
    /// Run `script` (`sh -c`) in a detached `width`×`height` session on the socket
    /// `frontdesk-<name>-<pid>`.
    pub fn start(name: &str, (width, height): (u16, u16), script: &str, wait: Duration) -> Self {
        let socket = format!("frontdesk-{name}-{}", std::process::id());
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .args(["-s", "desk", "sh", "-c", script])
            .status()
            .unwrap();
        assert!(status.success(), "tmux new-session failed");
        Self { socket, wait }
    }

    /// The pane's state in tmux's `format` (`#{alternate_on}`, `#{cursor_flag}` …), trimmed.
    pub fn display(&self, format: &str) -> String {
        self.tmux(&["display-message", "-p", "-t", "desk", format])
            .trim()
            .to_owned()
    }

    /// A tmux command on this server; its standard output.
    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "desk"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Type `text` literally (no key names).
    pub fn type_text(&self, text: &str) {
        self.keys(&["-l", text]);
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "desk"])
    }

    /// Poll the screen until `pred` holds on a settled screen (two captures 40 ms apart are
    /// equal, so a frame caught half-drawn is never read); fail with the last screen.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        let mut last = String::new();
        loop {
            let screen = self.screen();
            if pred(&screen) && screen == last {
                return screen;
            }
            assert!(
                start.elapsed() < self.wait,
                "timed out waiting for {what}; screen was:\n{screen}"
            );
            last = screen;
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    pub fn wait_text(&self, text: &str) -> String {
        self.wait_for(&format!("{text:?}"), |s| s.contains(text))
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}
