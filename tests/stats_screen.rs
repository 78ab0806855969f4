//! The console's statistics screen and `frontdesk stats` show the same numbers (both call
//! `workflow::stats::compute`): the command's JSON against the screen's report and what it
//! draws, on the demo practice; and the screen's CSV export is the command's CSV.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use std::path::Path;

use assert_cmd::Command;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;
use tempfile::TempDir;

use frontdesk::clock::Clock;
use frontdesk::config::Config;
use frontdesk::domain::staff::Secret;
use frontdesk::store::Store;
use frontdesk::tui::app::{App, Screen, update};
use frontdesk::tui::msg::{Cmd, Msg};
use frontdesk::tui::screens::stats::StatsState;
use frontdesk::tui::view;
use frontdesk::tui::worker::Runner;

const NOW: &str = "2026-11-25T09:30:00-05:00";
/// The demo's admin and password, as its lock screen shows them.
const ADMIN: &str = "lee";
const PASSWORD: &str = "demo practice admin";

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc()
}

/// The database key the binary and the test share (the demo encrypts like a practice).
const TEST_DB_KEY: &str = "7e577e577e577e577e577e577e577e577e577e577e577e577e577e577e577e57";

fn cmd(home: &Path, db: &Path, args: &[&str]) -> Command {
    let mut c = Command::cargo_bin("frontdesk").unwrap();
    c.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("FRONTDESK_NOW", NOW)
        .env("FRONTDESK_PIN", PASSWORD)
        .env("FRONTDESK_DB_KEY", TEST_DB_KEY)
        .arg("--db")
        .arg(db)
        .args(args);
    c
}

fn stdout(home: &Path, db: &Path, args: &[&str]) -> String {
    let mut all = vec!["--as", ADMIN];
    all.extend_from_slice(args);
    let out = cmd(home, db, &all)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

/// The demo practice (with its demo accounts), written by the binary as a user would.
fn demo() -> (TempDir, std::path::PathBuf) {
    let home = TempDir::new().unwrap();
    let db = home.path().join("demo.db");
    cmd(home.path(), &db, &["demo", "--seed-only"])
        .assert()
        .success();
    (home, db)
}

/// The console on that database, through its real worker, on the statistics screen.
fn console(db: &Path) -> (App, Runner) {
    let config = Config::default();
    let store = Store::open_existing_keyed(
        db,
        &frontdesk::store::cipher::DbKey::from_hex(TEST_DB_KEY).unwrap(),
    )
    .unwrap();
    let mut runner = Runner::new(store, config.clone(), Clock::Fixed(now()), None);
    let today = now().with_timezone(&config.practice.time_zone).date_naive();
    let mut app = App::new(&config, today, None);
    update(
        &mut app,
        Msg::Resize {
            width: 120,
            height: 40,
        },
    );
    // Signed in as the admin, through the worker, as at the desk.
    let sign_in = Cmd::SignIn {
        username: ADMIN.into(),
        secret: Secret::new(PASSWORD.to_string()),
    };
    let signed_in = runner.run(sign_in).expect("the worker answers a sign-in");
    let cmds = update(&mut app, signed_in);
    settle(&mut app, &mut runner, cmds);
    press(&mut app, &mut runner, KeyCode::Char('S'));
    (app, runner)
}

fn settle(app: &mut App, runner: &mut Runner, mut cmds: Vec<Cmd>) {
    while !cmds.is_empty() {
        let mut next = Vec::new();
        for c in cmds {
            if let Some(msg) = runner.run(c) {
                next.extend(update(app, msg));
            }
        }
        cmds = next;
    }
}

fn press(app: &mut App, runner: &mut Runner, code: KeyCode) {
    let cmds = update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    settle(app, runner, cmds);
}

fn stats(app: &App) -> &StatsState {
    match &app.screen {
        Screen::Stats(s) => s,
        other => panic!("not the statistics screen: {other:?}"),
    }
}

fn draw(app: &App) -> String {
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| view::draw(f, app)).unwrap();
    term.backend().to_string()
}

fn pct(v: &Value) -> String {
    format!("{:.1}%", v.as_f64().unwrap() * 100.0)
}

#[test]
fn the_screen_shows_the_numbers_of_frontdesk_stats() {
    let (home, db) = demo();
    // Both default to the four weeks ending today.
    let json: Value =
        serde_json::from_str(&stdout(home.path(), &db, &["stats", "--format", "json"])).unwrap();
    let (mut app, mut runner) = console(&db);
    let report = stats(&app).report.clone().expect("computed");
    // Through the same text as the command's output (the parser may round the last digit).
    let screen: Value = serde_json::from_str(&serde_json::to_string(&*report).unwrap()).unwrap();
    for key in [
        "no_show_rate",
        "no_shows",
        "attended",
        "late_cancellation_rate",
        "confirmation_rate",
        "reminder_coverage",
        "delivery_failure_rate",
        "opt_outs",
        "upcoming",
        "comparisons",
        "breakdowns",
    ] {
        assert_eq!(screen[key], json[key], "{key}");
    }
    assert!(
        json["no_shows"].as_u64().unwrap() > 0,
        "a period with no-shows"
    );
    // And what the screen draws is those numbers.
    let text = draw(&app);
    for key in [
        "no_show_rate",
        "late_cancellation_rate",
        "confirmation_rate",
        "reminder_coverage",
        "delivery_failure_rate",
    ] {
        assert!(
            text.contains(&pct(&json[key])),
            "{key} {}:\n{text}",
            json[key]
        );
    }
    for bar in json["breakdowns"]["clinician"].as_array().unwrap() {
        let line = text
            .lines()
            .find(|l| l.contains(bar["label"].as_str().unwrap()))
            .unwrap_or_else(|| panic!("no bar for {bar}:\n{text}"));
        let counts = format!(
            "{}/{}",
            bar["no_shows"],
            bar["no_shows"].as_u64().unwrap() + bar["attended"].as_u64().unwrap()
        );
        assert!(line.contains(&pct(&bar["no_show_rate"])), "{line}");
        assert!(line.contains(&counts), "{line} {counts}");
    }
    // The no-shows behind the tile are the command's count.
    press(&mut app, &mut runner, KeyCode::Enter);
    let lines = stats(&app).drill.clone().unwrap().lines.unwrap();
    assert_eq!(lines.len() as u64, json["no_shows"].as_u64().unwrap());
}

#[test]
fn the_screens_csv_export_is_the_commands_csv() {
    let (home, db) = demo();
    let csv = stdout(home.path(), &db, &["stats", "--format", "csv"]);
    let (mut app, mut runner) = console(&db);
    press(&mut app, &mut runner, KeyCode::Char('e'));
    let toast = app.shared.toast.clone().unwrap().text;
    let path = toast
        .strip_prefix("Exported to ")
        .unwrap_or_else(|| panic!("{toast}"));
    assert!(
        path.starts_with(home.path().join("exports").to_str().unwrap()),
        "{path}"
    );
    assert_eq!(std::fs::read_to_string(path).unwrap(), csv);
    // A second export never overwrites the first.
    press(&mut app, &mut runner, KeyCode::Char('e'));
    let second = app.shared.toast.clone().unwrap().text;
    assert_ne!(second, toast);
    assert!(second.ends_with("-2.csv"), "{second}");
}
