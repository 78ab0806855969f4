//! The manager screens (statistics, templates, audit) driven like the console drives them:
//! keys into `update`, the commands it returns run by a real [`Runner`] on the demo practice
//! (in memory), the results fed back. Update tests per message, and snapshots at 80×24 and
//! 120×40.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixture::{self, now, today};
use crate::config::Config;
use crate::domain::staff::{Member, Role, StaffId};
use crate::domain::stats::{Measure, Period, Preset};
use crate::store::Store;
use crate::tui::app::{App, Screen, update};
use crate::tui::msg::{Cmd, Msg};
use crate::tui::screen::ScreenState;
use crate::tui::screens::stats::{StatsState, Tile, View};
use crate::tui::view;
use crate::tui::worker::Runner;
use crate::workflow::demo::{self, DemoSize};

/// The demo practice around the fixture's "now", in memory, with a worker for it.
pub fn demo_runner() -> Runner {
    let mut store = Store::open_in_memory().unwrap();
    let config = Config::default();
    demo::seed(&mut store, &config, 7, DemoSize::default(), now()).unwrap();
    demo::staff::seed_staff(&mut store, now()).unwrap();
    let actor = Some(fixture::member(&store, "omar"));
    Runner::new(store, config, fixture::clock(), actor)
}

pub fn app(width: u16, height: u16) -> App {
    let mut app = App::new(&Config::default(), today(), None);
    update(&mut app, Msg::Resize { width, height });
    // Signed in as the demo's manager (the worker acts as the same member).
    let manager = Member {
        id: StaffId(2),
        username: "omar".into(),
        role: Role::Manager,
    };
    update(&mut app, Msg::SignedIn(Ok(manager)));
    app
}

pub use super::fixture::settle;

pub fn press(app: &mut App, runner: &mut Runner, code: KeyCode) {
    let cmds = update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    settle(app, runner, cmds);
}

fn keys(app: &mut App, runner: &mut Runner, text: &str) {
    for c in text.chars() {
        press(app, runner, KeyCode::Char(c));
    }
}

fn render(app: &App, width: u16, height: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| view::draw(f, app)).unwrap();
    term.backend().to_string()
}

fn stats(app: &App) -> &StatsState {
    match &app.screen {
        Screen::Stats(s) => s,
        other => panic!("not the statistics screen: {other:?}"),
    }
}

/// The day view, then `S`: the statistics of the last four weeks, computed.
fn open_stats(width: u16, height: u16) -> (App, Runner) {
    let mut runner = demo_runner();
    let mut app = app(width, height);
    let cmds = app.start();
    settle(&mut app, &mut runner, cmds);
    press(&mut app, &mut runner, KeyCode::Char('S'));
    (app, runner)
}

#[test]
fn s_opens_the_statistics_of_the_last_four_weeks_and_esc_returns_to_the_day() {
    let (mut app, mut runner) = open_stats(80, 24);
    let s = stats(&app);
    assert_eq!(s.period, Period::preset(Preset::Last4Weeks, today()));
    let r = s.report.as_ref().expect("computed");
    assert!(r.totals.appointments > 100, "{:?}", r.totals);
    assert_eq!(app.behind.len(), 1, "the day view waits underneath");
    press(&mut app, &mut runner, KeyCode::Esc);
    assert!(matches!(app.screen, Screen::Day(_)));
    assert!(app.behind.is_empty());
}

#[test]
fn a_stale_computation_is_dropped_and_a_failure_is_shown() {
    let (mut app, _runner) = open_stats(80, 24);
    let before = stats(&app).report.clone();
    let generation = stats(&app).generation;
    update(
        &mut app,
        Msg::StatsLoaded {
            generation: generation - 1,
            result: Err("old".into()),
        },
    );
    assert_eq!(stats(&app).report, before, "an older load changes nothing");
    assert_eq!(stats(&app).error, None);
    update(
        &mut app,
        Msg::StatsLoaded {
            generation,
            result: Err("database is locked".into()),
        },
    );
    assert_eq!(stats(&app).error.as_deref(), Some("database is locked"));
    assert!(app.shared.toast.as_ref().unwrap().text.contains("locked"));
}

#[test]
fn p_steps_through_the_presets_and_f_takes_a_typed_period() {
    let (mut app, mut runner) = open_stats(80, 24);
    press(&mut app, &mut runner, KeyCode::Char('p'));
    assert_eq!(stats(&app).preset, Some(Preset::Last12Weeks));
    assert_eq!(stats(&app).period.days(), 84);
    press(&mut app, &mut runner, KeyCode::Char('f'));
    let shown = format!("{} {}", stats(&app).period.from, stats(&app).period.to);
    assert_eq!(
        stats(&app).typing.as_deref(),
        Some(shown.as_str()),
        "starts from the current one"
    );
    for _ in 0..shown.len() {
        press(&mut app, &mut runner, KeyCode::Backspace);
    }
    // Letters type while the period is typed: q does not quit, p does not change the preset.
    keys(&mut app, &mut runner, "2026-11-02 to 2026-11-0q");
    press(&mut app, &mut runner, KeyCode::Enter);
    assert!(stats(&app).typing_error.is_some(), "a bad date is refused");
    press(&mut app, &mut runner, KeyCode::Backspace);
    keys(&mut app, &mut runner, "8");
    press(&mut app, &mut runner, KeyCode::Enter);
    let s = stats(&app);
    assert_eq!((s.preset, s.typing.as_deref()), (None, None));
    assert_eq!(
        (s.period.from.to_string(), s.period.to.to_string()),
        ("2026-11-02".into(), "2026-11-08".into())
    );
    assert_eq!(s.report.as_ref().unwrap().period, s.period);
}

#[test]
fn the_drill_down_lists_the_no_shows_and_enter_opens_their_day() {
    let (mut app, mut runner) = open_stats(80, 24);
    let no_shows = stats(&app).report.as_ref().unwrap().totals.no_shows;
    assert!(no_shows > 0);
    press(&mut app, &mut runner, KeyCode::Enter);
    let d = stats(&app).drill.clone().expect("drill-down open");
    let lines = d.lines.expect("lines loaded");
    assert_eq!(lines.len() as u64, no_shows);
    assert!(lines.iter().all(|l| l.status.as_str() == "no_show"));
    press(&mut app, &mut runner, KeyCode::Down);
    let second = lines[1].clone();
    press(&mut app, &mut runner, KeyCode::Enter);
    let Screen::Day(day) = &app.screen else {
        panic!("not the day view");
    };
    let date = second.start.with_timezone(&fixture::TZ).date_naive();
    assert_eq!(day.date, date);
    let row = day.selected_row().expect("the appointment is selected");
    assert_eq!(row.appointment_id, second.id);
    assert!(app.behind.is_empty());
}

#[test]
fn a_bar_drills_into_its_own_appointments_and_p_opens_the_patient() {
    let (mut app, mut runner) = open_stats(80, 24);
    press(&mut app, &mut runner, KeyCode::Tab); // by type
    press(&mut app, &mut runner, KeyCode::Tab); // by weekday
    assert_eq!(stats(&app).view, View::Weekday);
    press(&mut app, &mut runner, KeyCode::Down); // Monday
    let report = stats(&app).report.clone().unwrap();
    let monday = &report.breakdowns.weekday[0];
    press(&mut app, &mut runner, KeyCode::Enter);
    let lines = stats(&app).drill.clone().unwrap().lines.unwrap();
    assert_eq!(lines.len() as u64, monday.tally.no_shows);
    assert!(
        lines
            .iter()
            .all(|l| l.start.with_timezone(&fixture::TZ).format("%a").to_string() == "Mon")
    );
    press(&mut app, &mut runner, KeyCode::Char('p'));
    assert!(
        matches!(app.screen, Screen::Patient(_)),
        "p opens the patient behind the line"
    );
    // Esc on the patient screen goes back to the list as it was left; Esc again closes it.
    press(&mut app, &mut runner, KeyCode::Esc);
    assert!(stats(&app).drill.is_some(), "back to the same list");
    press(&mut app, &mut runner, KeyCode::Esc);
    assert!(stats(&app).drill.is_none(), "Esc closes the list first");
}

#[test]
fn tiles_choose_what_the_bars_measure_and_opt_outs_do_not_drill() {
    let (mut app, mut runner) = open_stats(80, 24);
    for _ in 0..3 {
        press(&mut app, &mut runner, KeyCode::Right);
    }
    assert_eq!(stats(&app).tile, Tile::Coverage);
    let (title, ids) = stats(&app).drill_target().unwrap();
    let report = stats(&app).report.clone().unwrap();
    assert_eq!(ids, report.appointments_behind(None, Measure::NotCovered));
    assert!(title.contains("reminder delivered"), "{title}");
    for _ in 0..5 {
        press(&mut app, &mut runner, KeyCode::Right);
    }
    assert_eq!(stats(&app).tile, Tile::OptOuts, "stops at the last");
    press(&mut app, &mut runner, KeyCode::Enter);
    assert!(stats(&app).drill.is_none());
    assert!(app.shared.toast.as_ref().unwrap().text.contains("Opt-outs"));
}

#[test]
fn the_comparison_rows_drill_into_reminded_and_unconfirmed() {
    let (mut app, mut runner) = open_stats(80, 24);
    press(&mut app, &mut runner, KeyCode::BackTab);
    assert_eq!(stats(&app).view, View::Reminders);
    for _ in 0..4 {
        press(&mut app, &mut runner, KeyCode::Down);
    }
    let report = stats(&app).report.clone().unwrap();
    let (_, ids) = stats(&app).drill_target().unwrap();
    assert_eq!(ids, report.appointments_behind(None, Measure::Unconfirmed));
}

#[test]
fn export_without_a_database_folder_says_why() {
    let (mut app, mut runner) = open_stats(80, 24);
    press(&mut app, &mut runner, KeyCode::Char('e'));
    let toast = app.shared.toast.clone().unwrap();
    assert!(toast.text.contains("Export failed"), "{toast:?}");
    update(&mut app, Msg::StatsExported(Ok("/tmp/x.csv".into())));
    assert_eq!(app.shared.toast.unwrap().text, "Exported to /tmp/x.csv");
}

#[test]
fn statistics_80x24() {
    let (app, _) = open_stats(80, 24);
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn statistics_120x40() {
    let (mut app, mut runner) = open_stats(120, 40);
    press(&mut app, &mut runner, KeyCode::Down);
    insta::assert_snapshot!(render(&app, 120, 40));
}

#[test]
fn statistics_trend_and_comparisons_120x40() {
    let (mut app, mut runner) = open_stats(120, 40);
    press(&mut app, &mut runner, KeyCode::BackTab);
    let comparisons = render(&app, 120, 40);
    press(&mut app, &mut runner, KeyCode::BackTab);
    press(&mut app, &mut runner, KeyCode::Down);
    insta::assert_snapshot!(format!("{comparisons}\n{}", render(&app, 120, 40)));
}

#[test]
fn statistics_comparisons_and_drill_80x24() {
    let (mut app, mut runner) = open_stats(80, 24);
    press(&mut app, &mut runner, KeyCode::BackTab);
    let comparisons = render(&app, 80, 24);
    press(&mut app, &mut runner, KeyCode::Tab);
    press(&mut app, &mut runner, KeyCode::Enter);
    insta::assert_snapshot!(format!("{comparisons}\n{}", render(&app, 80, 24)));
}

#[test]
fn the_statistics_screen_never_panics_at_any_size() {
    let (mut app, mut runner) = open_stats(80, 24);
    for view in 0..6 {
        for (w, h) in [(60, 12), (61, 13), (80, 24), (200, 60), (59, 11), (1, 1)] {
            update(
                &mut app,
                Msg::Resize {
                    width: w,
                    height: h,
                },
            );
            render(&app, w, h);
        }
        if view == 2 {
            press(&mut app, &mut runner, KeyCode::Enter);
            update(
                &mut app,
                Msg::Resize {
                    width: 60,
                    height: 12,
                },
            );
            render(&app, 60, 12);
            press(&mut app, &mut runner, KeyCode::Esc);
        }
        press(&mut app, &mut runner, KeyCode::Tab);
    }
    // An empty period draws too.
    let s = StatsState::new(today());
    assert_eq!(s.items(), 0);
    assert!(s.drill_target().is_none());
    assert!(s.context() == crate::tui::keymap::Context::Stats);
}

#[test]
fn every_manager_command_names_its_permission() {
    use crate::domain::message::MessageKind;
    use crate::domain::staff::Action as A;
    use crate::workflow::manager_views::AuditQuery;
    let period = Period::preset(Preset::Last4Weeks, today());
    let table = [
        (
            Cmd::LoadStats {
                generation: 1,
                period,
            },
            A::ViewStatistics,
        ),
        (
            Cmd::DrillStats {
                generation: 1,
                ids: Vec::new(),
            },
            A::ViewStatistics,
        ),
        (Cmd::ExportStats { period }, A::ExportData),
        (Cmd::LoadTemplates, A::ViewTemplates),
        (
            Cmd::PreviewTemplate {
                generation: 1,
                kind: MessageKind::Reminder24h,
                body: String::new(),
            },
            A::ViewTemplates,
        ),
        (
            Cmd::SaveTemplate {
                kind: MessageKind::Reminder24h,
                body: String::new(),
            },
            A::EditTemplates,
        ),
        (
            Cmd::LoadAudit {
                generation: 1,
                query: AuditQuery::default(),
            },
            A::ViewAudit,
        ),
        (Cmd::VerifyAudit, A::VerifyAudit),
        (Cmd::ReviewCompliance, A::ReviewAudit),
        (Cmd::ReviewConsent, A::ReviewConsent),
    ];
    for (cmd, action) in table {
        assert_eq!(cmd.permission(), Some(action), "{cmd:?}");
    }
}

#[test]
fn an_empty_period_shows_no_rates_and_nothing_to_drill() {
    let (mut app, mut runner) = open_stats(80, 24);
    press(&mut app, &mut runner, KeyCode::Char('f'));
    for _ in 0..30 {
        press(&mut app, &mut runner, KeyCode::Backspace);
    }
    keys(&mut app, &mut runner, "2027-06-01 2027-06-07");
    press(&mut app, &mut runner, KeyCode::Enter);
    let r = stats(&app).report.clone().unwrap();
    assert_eq!((r.totals.appointments, r.upcoming), (0, 0));
    let shown = render(&app, 80, 24);
    assert!(shown.contains("No appointments in this period."), "{shown}");
    assert!(shown.contains(" —  "), "no rate, not 0%:\n{shown}");
    press(&mut app, &mut runner, KeyCode::Enter);
    assert!(stats(&app).drill.is_none());
    assert_eq!(
        app.shared.toast.as_ref().unwrap().text,
        "No appointments behind this number"
    );
}

#[test]
fn only_the_latest_text_of_a_template_being_typed_is_judged() {
    use crate::domain::message::MessageKind;
    use crate::tui::worker::coalesce;
    let preview = |generation, body: &str| Cmd::PreviewTemplate {
        generation,
        kind: MessageKind::Reminder24h,
        body: body.into(),
    };
    let save = Cmd::SaveTemplate {
        kind: MessageKind::Reminder24h,
        body: "b".into(),
    };
    let batch = vec![
        preview(1, "a"),
        save.clone(),
        preview(2, "ab"),
        preview(3, "abc"),
    ];
    assert_eq!(coalesce(batch), vec![save, preview(3, "abc")]);
}
