//! End to end, the reminder batch and the reply inbox (issue 9 items 3, 5, 11): the real
//! binary in tmux on the demo practice, its provider the fake Twilio of `tests/fake_twilio`.
//! The receptionist opens the batch (b) for tomorrow, sends it (Enter, y), watches the gauge
//! finish and reads the results; a patient's reply is put into the fake, a `sync` run (as
//! cron would) fetches it, the console shows it in the inbox without a key press, and `h`
//! marks it handled. The database must agree with every screen.
//!
//! Skipped (with a message) only when tmux is missing; with `CI` set it fails instead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

#[path = "fake_twilio/mod.rs"]
mod fake_twilio;
#[path = "support/skip.rs"]
mod skip;
#[path = "support/tmux.rs"]
mod tmux;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use fake_twilio::{AUTH_TOKEN, FakeTwilio};
use frontdesk::store::{self, Store};
use tempfile::TempDir;

const KEY: &str = "7e577e577e577e577e577e577e577e577e577e577e577e577e577e577e577e57";
const NOW: &str = "2026-11-25T09:30:00-05:00";
const WAIT: Duration = Duration::from_secs(30);
const TOKEN_ENV: &str = "FRONTDESK_E2E_TWILIO_TOKEN";

struct Desk {
    pane: tmux::Pane,
    /// The console's files, removed when the test ends.
    _home: TempDir,
    db: PathBuf,
    config: PathBuf,
    env: String,
}

impl std::ops::Deref for Desk {
    type Target = tmux::Pane;
    fn deref(&self) -> &tmux::Pane {
        &self.pane
    }
}

impl Desk {
    fn start(fake: &FakeTwilio, width: u16, height: u16) -> Self {
        let home = TempDir::new().unwrap();
        let h = home.path().display().to_string();
        let db = home.path().join("demo.db");
        let config = home.path().join("config.toml");
        let toml = format!(
            "[practice]\nname = \"Riverside Family Practice\"\nphone = \"+15555550100\"\n\
             time_zone = \"America/New_York\"\nportal_url = \"https://portal.example.org\"\n\n\
             [sms]\nprovider = \"twilio\"\nrate_per_second = 5\n\n{}",
            fake.config_toml(TOKEN_ENV)
        );
        std::fs::write(&config, toml).unwrap();
        std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let env = format!(
            "unset FRONTDESK_LOG; export HOME='{h}' XDG_CONFIG_HOME='{h}/config' \
             XDG_DATA_HOME='{h}/data' FRONTDESK_NOW='{NOW}' FRONTDESK_DB_KEY='{KEY}' \
             {TOKEN_ENV}='{AUTH_TOKEN}';"
        );
        let bin = env!("CARGO_BIN_EXE_frontdesk");
        let script = format!(
            "{env} '{bin}' --config '{}' --db '{}' demo; echo \"EXIT=$?\"; sleep 600",
            config.display(),
            db.display()
        );
        Self {
            pane: tmux::Pane::start("e2e-batch", (width, height), &script, WAIT),
            _home: home,
            db,
            config,
            env,
        }
    }

    /// `frontdesk <args>` beside the console, as cron would run it.
    fn run(&self, args: &str) -> String {
        let bin = env!("CARGO_BIN_EXE_frontdesk");
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{} '{bin}' --config '{}' --db '{}' {args} 2>&1",
                self.env,
                self.config.display(),
                self.db.display()
            ))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn store(&self) -> Store {
        let key = frontdesk::store::cipher::DbKey::from_hex(KEY).unwrap();
        Store::open_keyed(&self.db, &key).unwrap()
    }
}

#[test]
fn tomorrows_batch_goes_to_twilio_with_a_gauge_and_a_reply_is_handled_from_the_inbox() {
    let missing = (!skip::runs("tmux", &["-V"])).then(|| "tmux is not installed".to_string());
    if skip::skipped("e2e_batch", missing) {
        return;
    }
    let fake = FakeTwilio::start();
    let s = Desk::start(&fake, 100, 30);
    s.wait_text("Demo accounts");
    s.keys(&["Escape"]);
    s.keys(&["-l", "maya"]);
    s.keys(&["Tab"]);
    s.keys(&["-l", "246810"]);
    s.keys(&["Enter"]);
    s.wait_text("Wednesday, November 25, 2026 · today");

    // The batch opens on tomorrow's preview: every appointment, with what happens to it.
    s.keys(&["b"]);
    s.wait_text("Reminders for Thu Nov 26 · preview");
    let preview = s.wait_text("Enter sends ");
    assert!(preview.contains("will send"), "{preview}");
    assert!(
        preview.contains("skip: "),
        "the demo has patients who may not be texted:\n{preview}"
    );
    let line = preview
        .lines()
        .find(|l| l.starts_with("Enter sends "))
        .unwrap_or_else(|| panic!("{preview}"));
    let number = |after: &str| -> usize {
        line.split(after)
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let (texts, appointments) = (number("Enter sends "), number(" for "));
    assert!(texts > 0 && appointments >= texts, "{line}");
    s.keys(&["Enter"]);
    s.wait_text("y sends");
    s.keys(&["y"]);
    // The gauge runs (five texts a second: the rate limit) and finishes.
    let gauge = s.wait_for("the gauge part way", |screen| {
        screen.contains("· sending…") && screen.contains(&format!("/{texts} · sent "))
    });
    assert!(gauge.contains('█'), "{gauge}");
    let results = s.wait_text("Reminders for Thu Nov 26 · results");
    assert!(
        results.contains(&format!("sent {appointments} ·")),
        "{results}"
    );
    assert!(!results.contains("failed ["), "{results}");
    assert_eq!(
        fake.created().len(),
        texts,
        "one text each, none twice: {:?}",
        fake.created()
            .iter()
            .map(|c| c.to.clone())
            .collect::<Vec<_>>()
    );
    assert!(fake.duplicates().is_empty());

    // A patient who got one writes back; sync (as cron runs it) fetches the reply.
    let to = fake.created()[0].to.clone();
    fake.inject_inbound(&to, "What floor is the office on?");
    let out = s.run("sync");
    assert!(!out.contains("error"), "{out}");
    // The console notices the other process's commit by itself: the footer counts it.
    s.keys(&["Escape"]);
    s.wait_text("· today");
    let day = s.wait_for("the reply in the footer", |screen| {
        screen
            .lines()
            .any(|l| l.contains("replies ") && !l.contains("replies 0"))
    });
    let before: usize = count_after(&day, "replies ");
    s.keys(&["i"]);
    s.wait_text("What floor is the office on?");
    s.keys(&["Home"]);
    let handled = s.wait_for("the reply selected", |screen| screen.contains("What floor"));
    // Select the reply we injected, then mark it handled.
    let rows: Vec<&str> = handled.lines().collect();
    let at = rows
        .iter()
        .position(|l| l.contains("What floor is the office on?"))
        .unwrap();
    let first = rows.iter().position(|l| l.starts_with("▶")).unwrap_or(at);
    for _ in first..at {
        s.keys(&["Down"]);
    }
    s.keys(&["h"]);
    s.wait_text("Marked handled");
    s.wait_for("the footer to count one fewer", |screen| {
        count_after(screen, "replies ") + 1 == before
    });
    s.keys(&["q"]);
    s.wait_text("EXIT=0");

    // The database agrees: nothing is left waiting, every text has Twilio's id, and the
    // reply is no longer in the inbox (handled, audited as maya).
    let store = s.store();
    assert!(store::messages::waiting_to_send(&store).unwrap().is_empty());
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    let inbox = frontdesk::workflow::inbox::load(&store, now).unwrap();
    assert_eq!(inbox.replies.len() + 1, before, "{:?}", inbox.replies.len());
    let maya = store::staff::by_username(&store, "maya").unwrap().unwrap();
    let by_maya = store::audit::by_member(&store, maya.id.0, 500).unwrap();
    assert!(
        by_maya.iter().any(|a| a.action == "reply.handled"),
        "{by_maya:?}"
    );
}

fn count_after(screen: &str, label: &str) -> usize {
    screen
        .lines()
        .find_map(|l| l.split(label).nth(1))
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}
