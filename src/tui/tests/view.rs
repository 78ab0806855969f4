//! Views on `TestBackend`: snapshots at 80×24 and 120×40 with a fixed clock, and a sweep of
//! sizes that must never panic.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixture::DayView;
use super::fixture::{self, now};
use crate::store::Store;
use crate::tui::app::{App, update};
use crate::tui::msg::{Cmd, Msg};
use crate::tui::view;
use crate::workflow;

const BANNER: &str = "Demo practice — signed in as the demo receptionist";

fn render(app: &mut App, width: u16, height: u16) -> String {
    update(app, Msg::Resize { width, height });
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| view::draw(f, app)).unwrap();
    term.backend().to_string()
}

fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// Open the search and answer it from the store.
fn search(app: &mut App, store: &Store, query: &str) {
    key(app, KeyCode::Char('/'));
    let mut last = Vec::new();
    for c in query.chars() {
        last = key(app, KeyCode::Char(c));
    }
    if let Some(Cmd::Search { generation, query }) = last.first().cloned() {
        let hits = workflow::day::search(store, &query, now()).unwrap();
        update(
            app,
            Msg::SearchDone {
                generation,
                result: Ok(hits),
            },
        );
    }
}

#[test]
fn day_80x24() {
    let (store, _) = fixture::store();
    let mut app = fixture::loaded_app(&store, 80, 24, Some(BANNER));
    insta::assert_snapshot!(render(&mut app, 80, 24));
}

#[test]
fn day_120x40() {
    let (store, _) = fixture::store();
    let mut app = fixture::loaded_app(&store, 120, 40, Some(BANNER));
    insta::assert_snapshot!(render(&mut app, 120, 40));
}

#[test]
fn day_100x30_without_banner() {
    let (store, _) = fixture::store();
    let mut app = fixture::loaded_app(&store, 100, 30, None);
    insta::assert_snapshot!(render(&mut app, 100, 30));
}

/// A day not loaded ahead: the visits first, the reminder cells marked as loading (they are
/// the slower half), and the day screen asks for them under the same load; then the cells.
#[test]
fn the_sheet_first_and_its_cells_after_100x30() {
    let (store, _) = fixture::store();
    let mut app = fixture::loaded_app(&store, 100, 30, None);
    let cmds = key(&mut app, KeyCode::Right);
    let Some(&Cmd::LoadDay { generation, date }) = cmds.first() else {
        panic!("{cmds:?}");
    };
    let full = fixture::sheet(&store, date);
    let mut first = full.clone();
    first.cells_pending = true;
    for r in &mut first.rows {
        r.reminders.clear();
    }
    let asked = update(
        &mut app,
        Msg::DayLoaded {
            generation,
            now: now(),
            result: Ok(first),
        },
    );
    assert_eq!(asked, [Cmd::LoadCells { generation, date }]);
    let between = render(&mut app, 100, 30);
    assert!(
        between.contains("⋯") || between.contains("loading"),
        "{between}"
    );
    insta::assert_snapshot!("sheet_first_cells_loading_100x30", between);
    key(&mut app, KeyCode::Down);
    let selected = app.day().selected_row().map(|r| r.appointment_id);
    let asked = update(
        &mut app,
        Msg::DayLoaded {
            generation,
            now: now(),
            result: Ok(full),
        },
    );
    assert!(asked.is_empty(), "{asked:?}");
    let after = render(&mut app, 100, 30);
    assert!(
        !after.contains("⋯") && !after.contains("loading"),
        "{after}"
    );
    assert_eq!(
        app.day().selected_row().map(|r| r.appointment_id),
        selected,
        "the selection stays on its visit when the cells arrive"
    );
}

/// Another desk's change reloads the day shown: its sheet comes first, and the cells on
/// screen stay until the new ones come (no row flashes "loading" once a minute at a group).
#[test]
fn a_refresh_of_the_day_shown_keeps_its_cells_until_the_new_ones_come() {
    let (store, _) = fixture::store();
    let mut app = fixture::loaded_app(&store, 100, 30, None);
    let before = render(&mut app, 100, 30);
    let cmds = key(&mut app, KeyCode::Char('r'));
    let Some(&Cmd::LoadDay { generation, date }) = cmds.first() else {
        panic!("{cmds:?}");
    };
    let mut first = fixture::sheet(&store, date);
    first.cells_pending = true;
    for r in &mut first.rows {
        r.reminders.clear();
    }
    let asked = update(
        &mut app,
        Msg::DayLoaded {
            generation,
            now: now(),
            result: Ok(first),
        },
    );
    assert_eq!(
        asked,
        [Cmd::LoadCells { generation, date }],
        "still asked for"
    );
    let between = render(&mut app, 100, 30);
    assert!(!between.contains("⋯"), "{between}");
    assert_eq!(between, before);
}

#[test]
fn unconfirmed_filter_80x24() {
    let (store, _) = fixture::store();
    let mut app = fixture::loaded_app(&store, 80, 24, None);
    key(&mut app, KeyCode::Char('u'));
    insta::assert_snapshot!(render(&mut app, 80, 24));
}

#[test]
fn confirm_cancel_80x24() {
    let (store, _) = fixture::store();
    let mut app = fixture::loaded_app(&store, 80, 24, None);
    key(&mut app, KeyCode::Char('x'));
    insta::assert_snapshot!(render(&mut app, 80, 24));
}

#[test]
fn help_80x24() {
    let (store, _) = fixture::store();
    let mut app = fixture::loaded_app(&store, 80, 24, None);
    key(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!(render(&mut app, 80, 24));
}

#[test]
fn search_80x24() {
    let (store, _) = fixture::store();
    let mut app = fixture::loaded_app(&store, 80, 24, None);
    search(&mut app, &store, "a");
    insta::assert_snapshot!(render(&mut app, 80, 24));
}

#[test]
fn refusal_toast_80x24() {
    let (store, ids) = fixture::store();
    let mut app = fixture::loaded_app(&store, 80, 24, None);
    update(
        &mut app,
        Msg::StatusSet {
            id: ids.today[4],
            to: crate::domain::appointment::AppointmentStatus::NoShow,
            result: Err("cannot mark no-show before the appointment has started".into()),
        },
    );
    insta::assert_snapshot!(render(&mut app, 80, 24));
}

#[test]
fn empty_saturday_80x24() {
    let (store, _) = fixture::store();
    let mut app = fixture::loaded_app(&store, 80, 24, None);
    for _ in 0..3 {
        let cmds = key(&mut app, KeyCode::Right);
        if let Some(&Cmd::LoadDay { generation, date }) = cmds.first() {
            update(
                &mut app,
                Msg::DayLoaded {
                    generation,
                    now: now(),
                    result: Ok(fixture::sheet(&store, date)),
                },
            );
        }
    }
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("Saturday, November 28, 2026"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn too_small_notice() {
    let (store, _) = fixture::store();
    let mut app = fixture::loaded_app(&store, 50, 10, None);
    let screen = render(&mut app, 50, 10);
    assert!(screen.contains("Terminal too small"), "{screen}");
    assert!(screen.contains("60×12"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn key_columns_and_counts_are_on_the_80x24_screen() {
    let (store, _) = fixture::store();
    let mut app = fixture::loaded_app(&store, 80, 24, None);
    let screen = render(&mut app, 80, 24);
    for needle in [
        "Wednesday, November 25, 2026 · today",
        "Riverside Family Practice",
        "9 appointments · 3 unconfirmed",
        "48h",
        "24h",
        "Reply",
        "SMS",
        "Portal",
        "✓ in",
        "✗ out",
        "no-show",
        "SMS ○ offline",
        "outbox 0",
        "q quit",
    ] {
        assert!(screen.contains(needle), "{needle:?} missing:\n{screen}");
    }
}

/// Every size from 1×1 to 200×60 (a sweep, not the full grid) and every overlay: no panic,
/// and nothing drawn outside the buffer.
#[test]
fn renders_at_many_sizes_without_panicking() {
    let (store, _) = fixture::store();
    let mut sizes = Vec::new();
    for w in 1..=200u16 {
        sizes.push((w, 24));
        sizes.push((w, 1 + w % 60));
    }
    for h in 1..=60u16 {
        sizes.push((80, h));
        sizes.push((60, h));
        sizes.push((200, h));
    }
    let mut states: Vec<App> = Vec::new();
    states.push(fixture::loaded_app(&store, 80, 24, Some(BANNER)));
    let mut s = fixture::loaded_app(&store, 80, 24, None);
    search(&mut s, &store, "a");
    states.push(s);
    let mut h = fixture::loaded_app(&store, 80, 24, None);
    key(&mut h, KeyCode::Char('?'));
    for _ in 0..100 {
        key(&mut h, KeyCode::Down);
    }
    states.push(h);
    let mut c = fixture::loaded_app(&store, 80, 24, None);
    key(&mut c, KeyCode::Char('n'));
    states.push(c);
    for app in &mut states {
        for &(w, h) in &sizes {
            let _ = render(app, w, h);
        }
    }
}

/// Once messaging lands the reminder and reply cells fill in; their layout is ready.
#[test]
fn reminder_and_reply_cells_80x24_and_120x40() {
    use crate::domain::reminder::{Basis, ReminderCell, ReminderState, SkipReason};
    use crate::domain::reply::ReplyKind;
    let (store, _) = fixture::store();
    let mut sheet = fixture::sheet(&store, fixture::today());
    let states = [
        (
            ReminderState::Delivered,
            ReminderState::Sent,
            Some(ReplyKind::Confirm),
        ),
        (
            ReminderState::Skipped(SkipReason::NoConsent),
            ReminderState::Skipped(SkipReason::NoConsent),
            None,
        ),
        (
            ReminderState::Delivered,
            ReminderState::Failed {
                code: Some("30006".into()),
            },
            Some(ReplyKind::Reschedule),
        ),
        (
            ReminderState::Delivered,
            ReminderState::Queued,
            Some(ReplyKind::OptOut),
        ),
        (
            ReminderState::Delivered,
            ReminderState::Planned {
                due: now() + chrono::Duration::hours(3),
            },
            Some(ReplyKind::Other),
        ),
    ];
    for (row, (a, b, reply)) in sheet.rows.iter_mut().zip(states) {
        row.reminders = vec![
            ReminderCell {
                offset_hours: 48,
                state: a,
                basis: Basis::Recorded { at: None },
            },
            ReminderCell {
                offset_hours: 24,
                state: b,
                basis: Basis::Recorded { at: None },
            },
        ];
        row.last_reply = reply;
    }
    let mut app = fixture::loaded_app(&store, 80, 24, None);
    let generation = app.day().generation + 1;
    app.day_mut().generation = generation;
    update(
        &mut app,
        Msg::DayLoaded {
            generation,
            now: now(),
            result: Ok(sheet),
        },
    );
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::Down);
    let narrow = render(&mut app, 80, 24);
    assert!(narrow.contains("48h skipped: no consent"), "{narrow}");
    insta::assert_snapshot!("reminders_80x24", narrow);
    insta::assert_snapshot!("reminders_120x40", render(&mut app, 120, 40));
}

/// Recorded decisions and forecasts side by side (issue 9 item 7): a block (its own symbol
/// and the gate's category), a wait, a skip as decided and one still to be decided.
#[test]
fn recorded_and_forecast_cells_80x24_and_120x40() {
    use crate::domain::reminder::{Basis, GateFinding, ReminderCell, ReminderState, SkipReason};
    let (store, _) = fixture::store();
    let mut sheet = fixture::sheet(&store, fixture::today());
    let decided = Basis::Recorded {
        at: Some(now() - chrono::Duration::hours(24)),
    };
    let blocked = ReminderState::Blocked {
        finding: Some(GateFinding {
            category: "medication".into(),
            explanation: "looks like a medication or dose".into(),
        }),
    };
    let rows = [
        (
            ReminderState::Skipped(SkipReason::NoConsent),
            decided,
            blocked,
            Basis::Recorded { at: None },
        ),
        (
            ReminderState::Skipped(SkipReason::NoConsent),
            decided,
            ReminderState::Skipped(SkipReason::NoConsent),
            Basis::Forecast,
        ),
        (
            ReminderState::Delivered,
            Basis::Recorded { at: None },
            ReminderState::Waiting {
                until: now() + chrono::Duration::hours(2),
                reason: SkipReason::FrequencyCap,
            },
            decided,
        ),
    ];
    for (row, (a, basis_a, b, basis_b)) in sheet.rows.iter_mut().zip(rows) {
        row.reminders = vec![
            ReminderCell {
                offset_hours: 48,
                state: a,
                basis: basis_a,
            },
            ReminderCell {
                offset_hours: 24,
                state: b,
                basis: basis_b,
            },
        ];
    }
    let mut app = fixture::loaded_app(&store, 80, 24, None);
    let generation = app.day().generation + 1;
    app.day_mut().generation = generation;
    update(
        &mut app,
        Msg::DayLoaded {
            generation,
            now: now(),
            result: Ok(sheet),
        },
    );
    key(&mut app, KeyCode::Home);
    let narrow = render(&mut app, 80, 24);
    assert!(narrow.contains('⊘') && narrow.contains('»'), "{narrow}");
    insta::assert_snapshot!("decisions_80x24", narrow);
    let wide = render(&mut app, 120, 40);
    assert!(
        wide.contains("48h skipped: no consent · 24h blocked by the PHI gate: medic"),
        "{wide}"
    );
    insta::assert_snapshot!("decisions_120x40", wide);
    key(&mut app, KeyCode::Down);
    let second = render(&mut app, 120, 40);
    assert!(
        second.contains("48h skipped: no consent · 24h will skip: no consent"),
        "decided and still to decide read differently: {second}"
    );
}
