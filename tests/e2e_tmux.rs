//! End to end: the real binary in tmux, as a receptionist uses it. `frontdesk demo` opens the
//! console on a fresh demo practice at a fixed time; keys go in with `send-keys`, the screen
//! comes back with `capture-pane`, and afterwards the database must hold what the screen said.
//! The console opens on its sign-in screen: each test signs in first (the demo's receptionist
//! maya, or the admin a scripted `init` created). The idle-lock test lets the fixed clock run
//! 60 times real time (`FRONTDESK_CLOCK_RATE`), so five idle minutes pass in five seconds.
//!
//! Skipped (with a message) only when tmux is not installed; with `CI` set (as `.ci/run`
//! does, after installing tmux) a missing tmux fails instead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

mod plaintext_scan;
#[path = "support/skip.rs"]
mod skip;
#[path = "e2e_tmux/terminal.rs"]
mod terminal;
#[path = "support/tmux.rs"]
mod tmux;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveTime};
use frontdesk::config::Config;
use frontdesk::domain::appointment::AppointmentStatus;
use frontdesk::store::{self, Store};
use frontdesk::workflow;
use tempfile::TempDir;

/// Every database these tests make is encrypted with this key; the binary gets it in
/// `FRONTDESK_DB_KEY`.
pub const TEST_DB_KEY: &str = "7e577e577e577e577e577e577e577e577e577e577e577e577e577e577e577e57";

pub fn test_db_key() -> frontdesk::store::cipher::DbKey {
    frontdesk::store::cipher::DbKey::from_hex(TEST_DB_KEY).unwrap()
}

const NOW: &str = "2026-11-25T09:30:00-05:00";
const WAIT: Duration = Duration::from_secs(20);
const ADMIN_PASSWORD: &str = "correct horse battery";
/// The demo receptionist's PIN, as the demo's lock screen shows it.
const DEMO_PIN: &str = "246810";

/// Skipped with a message when tmux is missing (a failure in CI).
fn no_tmux() -> bool {
    let missing = (!skip::runs("tmux", &["-V"])).then(|| "tmux is not installed".to_string());
    skip::skipped("e2e_tmux", missing)
}

/// One tmux server on its own socket, killed on drop.
struct Session {
    pane: tmux::Pane,
    _home: TempDir,
    db: PathBuf,
}

impl std::ops::Deref for Session {
    type Target = tmux::Pane;
    fn deref(&self) -> &tmux::Pane {
        &self.pane
    }
}

impl Session {
    /// Start `frontdesk <args>` in a detached `width`×`height` pane. The pane runs a shell
    /// that prints the exit code and the terminal's line settings afterwards and stays open,
    /// so the end can be checked too. The console's process id is written to `pid`.
    fn start(name: &str, width: u16, height: u16, args: &str) -> Self {
        Self::start_after(name, width, height, None, args)
    }

    /// The same, after running `frontdesk <before>` in the same environment (e.g. a scripted
    /// `init` that creates the practice the console then opens).
    fn start_after(name: &str, width: u16, height: u16, before: Option<&str>, args: &str) -> Self {
        Self::start_env(name, (width, height), "", before, args)
    }

    /// The same, with `env` (`NAME='value' …`) exported for the console too.
    fn start_env(
        name: &str,
        (width, height): (u16, u16),
        env: &str,
        before: Option<&str>,
        args: &str,
    ) -> Self {
        let extra = env;
        let home = TempDir::new().unwrap();
        let db = home.path().join("demo.db");
        let bin = env!("CARGO_BIN_EXE_frontdesk");
        let h = home.path().display().to_string();
        let d = db.display();
        let env = format!(
            "unset FRONTDESK_LOG; export HOME='{h}' XDG_CONFIG_HOME='{h}/config' \
             XDG_DATA_HOME='{h}/data' FRONTDESK_NOW='{NOW}' FRONTDESK_DB_KEY='{TEST_DB_KEY}' {extra};"
        );
        let before = before.map_or(String::new(), |b| {
            format!(
                "FRONTDESK_ADMIN_PASSWORD='{ADMIN_PASSWORD}' '{bin}' --db '{d}' {b} >/dev/null &&"
            )
        });
        let script = format!(
            "{env} {before} sh -c 'echo $$ > \"$0\"; exec \"$@\"' '{h}/pid' '{bin}' --db '{d}' {args}; \
             echo \"EXIT=$?\"; echo \"STTY=$(stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ,)\"; \
             sleep 600"
        );
        Self {
            pane: tmux::Pane::start(&format!("e2e-{name}"), (width, height), &script, WAIT),
            _home: home,
            db,
        }
    }

    /// Sign in on the lock screen (whatever was typed is cleared first).
    fn sign_in(&self, username: &str, secret: &str) {
        self.wait_text("Enter sign in");
        self.keys(&["Escape"]);
        self.keys(&["-l", username]);
        self.keys(&["Tab"]);
        self.keys(&["-l", secret]);
        self.keys(&["Enter"]);
    }

    fn db(&self) -> &Path {
        &self.db
    }

    fn home(&self) -> &Path {
        self._home.path()
    }

    /// The console's process id, once it has started.
    fn pid(&self) -> String {
        let file = self.home().join("pid");
        let start = Instant::now();
        loop {
            if let Ok(pid) = std::fs::read_to_string(&file)
                && !pid.trim().is_empty()
            {
                return pid.trim().to_string();
            }
            assert!(start.elapsed() < WAIT, "the console never started");
            std::thread::sleep(Duration::from_millis(40));
        }
    }
}

/// Which table row (0 = first under the header) carries the selection marker.
fn selected_row(screen: &str) -> Option<usize> {
    let lines: Vec<&str> = screen.lines().collect();
    let header = lines.iter().position(|l| l.contains("Time  Patient"))?;
    lines[header + 1..].iter().position(|l| l.starts_with("▶ "))
}

/// The selected row as the detail line names it: ("10:00", "Silva, Fatima").
fn selected_from_detail(screen: &str) -> (String, String) {
    let line = screen
        .lines()
        .find(|l| l.len() > 12 && l.as_bytes()[2] == b':' && l.contains('–') && l.contains(" · "))
        .unwrap_or_else(|| panic!("no detail line on screen:\n{screen}"));
    let first = line.split(" · ").next().unwrap();
    let (range, name) = first.split_once(' ').unwrap();
    let (time, name) = (range[..5].to_string(), name.trim().to_string());
    // The marked row and the detail line must name the same appointment.
    let marked = screen.lines().find(|l| l.starts_with("▶ ")).unwrap();
    assert!(
        marked.starts_with(&format!("▶ {time}")),
        "detail line and selection disagree:\n{screen}"
    );
    (time, name)
}

#[test]
fn desk_moves_between_days_marks_an_arrival_and_quits_cleanly() {
    if no_tmux() {
        return;
    }
    let s = Session::start("arrive", 100, 30, "demo");
    let lock = s.wait_text("Demo accounts");
    assert!(lock.contains("maya / 246810  (reception)"), "{lock}");
    s.sign_in("maya", DEMO_PIN);
    s.wait_text("Wednesday, November 25, 2026 · today");
    s.wait_text("q quit");
    assert!(s.screen().contains("Demo practice"), "{}", s.screen());

    // Next day, then back to today.
    s.keys(&["Right"]);
    s.wait_text("Thursday, November 26, 2026 · tomorrow");
    s.keys(&["t"]);
    let screen = s.wait_text("Wednesday, November 25, 2026 · today");
    assert!(screen.contains("unconfirmed"), "{screen}");

    // Show only the unconfirmed, select the second of them, and mark it arrived.
    s.keys(&["u"]);
    s.wait_text("showing unconfirmed only");
    s.keys(&["Home", "j"]);
    // Wait until the keys have landed: the second row is selected.
    let screen = s.wait_for("the second row to be selected", |screen| {
        selected_row(screen) == Some(1)
    });
    let (time, name) = selected_from_detail(&screen);
    s.keys(&["a"]);
    s.wait_text(&format!("{time} {name} — marked arrived"));
    s.keys(&["q"]);
    s.wait_text("EXIT=0");
    // The terminal is back to normal: no alternate screen, cursor visible.
    let flags = s.display("#{alternate_on} #{cursor_flag}");
    assert_eq!(flags, "0 1", "terminal not restored");

    // The database agrees with the screen, and the audit names the member who signed in.
    let store = Store::open_keyed(s.db(), &test_db_key()).unwrap();
    let date = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let sheet = workflow::day::load(
        &store,
        &Config::default(),
        date,
        date.and_hms_opt(14, 30, 0).unwrap().and_utc(),
    )
    .unwrap();
    let at = NaiveTime::parse_from_str(&time, "%H:%M").unwrap();
    let row = sheet
        .rows
        .iter()
        .find(|r| r.patient_name == name && r.start.with_timezone(&sheet.tz).time() == at)
        .unwrap_or_else(|| panic!("{time} {name} not on the day sheet"));
    assert_eq!(row.status, AppointmentStatus::Arrived);
    let audit =
        store::audit::for_subject(&store, &format!("appointment:{}", row.appointment_id)).unwrap();
    let last = audit.last().expect("an audit record for the arrival");
    assert_eq!(last.action, "appointment.status");
    assert_eq!(last.actor, "maya");
    let maya = store::staff::by_username(&store, "maya").unwrap().unwrap();
    assert_eq!(last.actor_id, Some(maya.id.0));
    assert!(
        last.detail.contains("\"to\":\"arrived\""),
        "{}",
        last.detail
    );

    // After the session, no patient's name, number or text is readable anywhere on disk:
    // the database, its -wal and -shm (open here), and the log file.
    let needles = plaintext_scan::needles(&store);
    let files = plaintext_scan::files(s.home());
    assert!(
        files
            .iter()
            .any(|f| f.components().any(|c| c.as_os_str() == "logs")),
        "the session wrote a log: {files:?}"
    );
    plaintext_scan::assert_none_in(&files, &needles);
}

#[test]
fn cancelling_asks_first_and_the_80x24_screen_holds_everything() {
    if no_tmux() {
        return;
    }
    let s = Session::start("cancel", 80, 24, "demo");
    s.sign_in("maya", DEMO_PIN);
    let screen = s.wait_text("q quit");
    for needle in [
        "· today", "48h", "24h", "Reply", "SMS", "Portal", "outbox 0",
    ] {
        assert!(
            screen.contains(needle),
            "{needle:?} missing at 80×24:\n{screen}"
        );
    }
    s.keys(&["u"]);
    s.wait_text("showing unconfirmed only");
    s.keys(&["End", "Home"]);
    let screen = s.wait_for("the first row to be selected", |screen| {
        selected_row(screen) == Some(0)
    });
    let (time, name) = selected_from_detail(&screen);
    s.keys(&["x"]);
    s.wait_text("Cancel this appointment?");
    s.keys(&["Escape"]);
    s.wait_for("the box to close", |screen| {
        !screen.contains("Cancel this appointment?")
    });
    s.keys(&["x"]);
    s.wait_text("Cancel this appointment?");
    s.keys(&["y"]);
    s.wait_text(&format!("{time} {name} — marked cancelled"));
    s.keys(&["q"]);
    s.wait_text("EXIT=0");

    let store = Store::open_keyed(s.db(), &test_db_key()).unwrap();
    let date = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let sheet = workflow::day::load(
        &store,
        &Config::default(),
        date,
        date.and_hms_opt(14, 30, 0).unwrap().and_utc(),
    )
    .unwrap();
    let at = NaiveTime::parse_from_str(&time, "%H:%M").unwrap();
    let row = sheet
        .rows
        .iter()
        .find(|r| r.patient_name == name && r.start.with_timezone(&sheet.tz).time() == at)
        .unwrap();
    assert_eq!(row.status, AppointmentStatus::Cancelled);
}

/// A scripted `init` of a practice in the session's home.
const INIT: &str = "init --practice-name 'Lakeside Family Medicine' --practice-phone '(201) 555-0134' \
                    --time-zone America/New_York --admin-user ana";

#[test]
fn plain_frontdesk_opens_the_console_on_the_practice_database() {
    if no_tmux() {
        return;
    }
    let s = Session::start_after("plain", 80, 24, Some(INIT), "");
    let lock = s.wait_text("Enter sign in");
    assert!(!lock.contains("Demo accounts"), "{lock}");
    s.sign_in("ana", "wrong password here");
    s.wait_text("wrong username or PIN/password; 4 tries left");
    s.sign_in("ana", ADMIN_PASSWORD);
    let screen = s.wait_text("No appointments on this day.");
    assert!(screen.contains("Lakeside Family Medicine"), "{screen}");
    assert!(!screen.contains("Riverside"), "{screen}");
    assert!(!screen.contains("Demo practice"), "{screen}");
    // FRONTDESK_NOW outside the demo: the header says the clock is fixed.
    assert!(
        screen.contains("⚠ clock fixed at 2026-11-25 14:30 UTC by FRONTDESK_NOW"),
        "{screen}"
    );
    // Too small: a notice instead of a broken screen; back to 80×24 and it draws again.
    s.tmux(&["resize-window", "-t", "desk", "-x", "40", "-y", "10"]);
    s.wait_text("Terminal too small");
    s.tmux(&["resize-window", "-t", "desk", "-x", "80", "-y", "24"]);
    s.wait_text("No appointments on this day.");
    s.keys(&["q"]);
    s.wait_text("EXIT=0");
}

// reception
#[test]
fn patient_screen_blocks_a_clinical_text_and_sends_a_portal_prompt_instead() {
    if no_tmux() {
        return;
    }
    let s = Session::start("patient", 100, 30, "demo");
    s.sign_in("maya", DEMO_PIN);
    s.wait_text("q quit");
    // A patient of today who may be texted: opted in, with a working mobile.
    let date = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let (index, name, patient) = {
        let store = Store::open_keyed(s.db(), &test_db_key()).unwrap();
        let sheet = workflow::day::load(
            &store,
            &Config::default(),
            date,
            date.and_hms_opt(14, 30, 0).unwrap().and_utc(),
        )
        .unwrap();
        let (i, row) = sheet
            .rows
            .iter()
            .enumerate()
            .find(|(_, r)| {
                r.consent == frontdesk::domain::consent::ConsentFlag::OptedIn
                    && r.has_mobile
                    && !r.number_flagged
            })
            .expect("the demo has an opted-in patient today");
        (i, row.patient_name.clone(), row.patient_id)
    };
    s.keys(&["Home"]);
    s.wait_for("the first row to be selected", |screen| {
        selected_row(screen) == Some(0)
    });
    for _ in 0..index {
        s.keys(&["Down"]);
    }
    s.wait_for("the patient's row to be selected", |screen| {
        screen.lines().any(|l| l.starts_with("▶ ")) && selected_from_detail(screen).1 == name
    });
    s.keys(&["Enter"]);
    s.wait_text(&format!("Patient · {name}"));
    s.wait_text("✓ opted in since");
    s.keys(&["w"]);
    s.wait_text("Text to");
    s.keys(&["-l", "Your biopsy results are in"]);
    let screen = s.wait_text("Not sendable");
    assert!(screen.contains("\"biopsy\" looks like"), "{screen}");
    // Enter is refused while blocked: the box stays, nothing is recorded.
    s.keys(&["Enter"]);
    std::thread::sleep(Duration::from_millis(200));
    assert!(s.screen().contains("Not sendable"), "{}", s.screen());
    s.keys(&["C-p"]);
    s.wait_text("prescription renewal needs review");
    s.keys(&["Down", "Enter"]);
    s.wait_text(&format!("portal prompt to {name}:"));
    s.keys(&["Escape"]);
    s.wait_text("· today");
    s.keys(&["q"]);
    s.wait_text("EXIT=0");

    let store = Store::open_keyed(s.db(), &test_db_key()).unwrap();
    let msgs = store::messages::for_patient(&store, patient).unwrap();
    let kinds: Vec<_> = msgs
        .iter()
        .filter(|m| m.created_by == "maya")
        .map(|m| m.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        ["portal-results-ready"],
        "only the prompt, never the blocked text"
    );
}

// reception
#[test]
fn a_change_made_by_another_process_shows_without_a_key_press() {
    if no_tmux() {
        return;
    }
    let s = Session::start("live", 120, 40, "demo");
    s.sign_in("maya", DEMO_PIN);
    let before = s.wait_text("q quit");
    let count = |screen: &str| screen.matches("cancelled").count();
    let n = count(&before);
    // Another process (a second desk, a script) cancels a booked appointment of today.
    let date = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let mut store = Store::open_keyed(s.db(), &test_db_key()).unwrap();
    let sheet = workflow::day::load(
        &store,
        &Config::default(),
        date,
        date.and_hms_opt(14, 30, 0).unwrap().and_utc(),
    )
    .unwrap();
    let row = sheet
        .rows
        .iter()
        .take(25)
        .find(|r| r.status == AppointmentStatus::Booked)
        .expect("a booked appointment on screen");
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-25T08:00:00-05:00")
        .unwrap()
        .with_timezone(&chrono::Utc);
    workflow::desk::set_status(
        &mut store,
        &Config::default(),
        row.appointment_id,
        AppointmentStatus::Cancelled,
        &frontdesk::domain::staff::Actor::System,
        at,
    )
    .unwrap();
    drop(store);
    s.wait_for("the cancellation to show by itself", |screen| {
        count(screen) > n
    });
    s.keys(&["q"]);
    s.wait_text("EXIT=0");
}

#[test]
fn left_alone_the_console_locks_hides_the_day_and_gives_it_back_to_the_same_member() {
    if no_tmux() {
        return;
    }
    // Five idle minutes (the default) pass in five real seconds.
    let s = Session::start_env("idle", (80, 24), "FRONTDESK_CLOCK_RATE=60", None, "demo");
    s.sign_in("maya", DEMO_PIN);
    s.wait_text("· today");
    s.keys(&["Right"]);
    s.wait_text("Thursday, November 26, 2026 · tomorrow");
    s.keys(&["Home", "j", "j"]);
    let day = s.wait_for("the third row to be selected", |screen| {
        selected_row(screen) == Some(2)
    });
    let (_, name) = selected_from_detail(&day);
    // Every family name in the table ("  10:00 Silva, Fatima  …": the part before the comma).
    let names: Vec<String> = day
        .lines()
        .map(|l| l.chars().collect::<Vec<char>>())
        .filter(|c| c.len() > 30 && c[4] == ':')
        .map(|c| c[8..30].iter().collect::<String>())
        .filter_map(|n| n.split(',').next().map(|f| f.trim().to_string()))
        .filter(|n| n.chars().count() > 2)
        .collect();
    assert!(
        names.len() >= 3,
        "patient names on the day: {names:?}\n{day}"
    );

    let locked = s.wait_text("Locked after 5 min without a key; maya was signed in.");
    for seen in names.iter().chain([&name]) {
        assert!(
            !locked.contains(seen.as_str()),
            "{seen} shows on the locked screen:\n{locked}"
        );
    }
    assert!(!locked.contains("Time  Patient"), "{locked}");
    assert!(!locked.contains("outbox 0"), "no provider line: {locked}");

    // Maya's name is filled in; her PIN brings back the same day and row.
    s.keys(&["-l", DEMO_PIN]);
    s.keys(&["Enter"]);
    let back = s.wait_text("Thursday, November 26, 2026 · tomorrow");
    assert_eq!(selected_row(&back), Some(2), "{back}");
    assert_eq!(selected_from_detail(&back).1, name);

    // `L` locks at once; another member starts on today with nothing selected from before.
    s.keys(&["L"]);
    s.wait_text("maya locked the console.");
    s.sign_in("omar", "135792");
    s.wait_text("Wednesday, November 25, 2026 · today");
    s.keys(&["q"]);
    s.wait_text("EXIT=0");
}
