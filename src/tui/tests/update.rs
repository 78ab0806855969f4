//! `update` without a terminal: feed messages and keys, assert state and commands.

use chrono::NaiveDate;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::fixture::DayView;
use super::fixture::{self, Ids, now, today};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::ids::AppointmentId;
use crate::store::Store;
use crate::tui::app::{App, update};
use crate::tui::modal::Modal;
use crate::tui::msg::{Cmd, Msg};
use crate::tui::shared::ToastKind;
use crate::workflow;

fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ch(app: &mut App, c: char) -> Vec<Cmd> {
    key(app, KeyCode::Char(c))
}

fn setup() -> (Store, Ids, App) {
    let (store, ids) = fixture::store();
    let app = fixture::loaded_app(&store, 80, 24, None);
    (store, ids, app)
}

fn load_generation(cmds: &[Cmd]) -> (u64, NaiveDate) {
    match cmds.iter().find(|c| matches!(c, Cmd::LoadDay { .. })) {
        Some(&Cmd::LoadDay { generation, date }) => (generation, date),
        _ => panic!("no LoadDay in {cmds:?}"),
    }
}

/// Answer a LoadDay as the worker would.
fn deliver(app: &mut App, store: &Store, cmds: &[Cmd]) {
    let (generation, date) = load_generation(cmds);
    update(
        app,
        Msg::DayLoaded {
            generation,
            now: now(),
            result: Ok(fixture::sheet(store, date)),
        },
    );
}

fn selected(app: &App) -> Option<AppointmentId> {
    app.day().selected
}

#[test]
fn start_loads_nothing_until_a_sign_in_then_today_and_the_provider() {
    let (store, _) = fixture::store();
    let mut app = App::new(&crate::config::Config::default(), today(), None);
    assert!(app.lock.is_some(), "the console opens locked");
    assert_eq!(app.start(), Vec::new());
    let cmds = update(&mut app, Msg::SignedIn(Ok(fixture::member(&store, "rosa"))));
    assert!(app.lock.is_none());
    assert_eq!(
        cmds,
        vec![
            Cmd::PollChanges,
            Cmd::LoadDay {
                generation: 1,
                date: today()
            },
            Cmd::LoadProvider,
            Cmd::LoadInbox { generation: 0 }
        ]
    );
    assert!(app.awaiting_first_load());
}

#[test]
fn today_opens_on_the_first_appointment_not_yet_over() {
    let (_s, ids, app) = setup();
    // 09:00 ends at 09:30 = now; the 09:30 one is next.
    assert_eq!(selected(&app), Some(ids.today[3]));
    assert!(!app.awaiting_first_load());
}

#[test]
fn next_day_loads_with_a_new_generation_and_drops_stale_results() {
    let (store, ids, mut app) = setup();
    let first_gen = app.day().generation;
    let cmds = key(&mut app, KeyCode::Right);
    let (generation, date) = load_generation(&cmds);
    assert!(generation > first_gen);
    assert_eq!(date, today().succ_opt().unwrap());
    assert_eq!(app.day().date, date);
    assert!(
        app.day().sheet.is_none(),
        "yesterday's rows must not show under tomorrow's date"
    );

    // Two more presses: only the last generation counts.
    let back = key(&mut app, KeyCode::Left);
    let (back_gen, back_date) = load_generation(&back);
    assert_eq!(back_date, today());
    // The answer for the tomorrow request arrives late: ignored.
    deliver(&mut app, &store, &cmds);
    assert!(app.day().sheet.is_none(), "stale DayLoaded was applied");
    app.mark_drawn();
    update(
        &mut app,
        Msg::DayLoaded {
            generation,
            now: now(),
            result: Ok(fixture::sheet(&store, date)),
        },
    );
    assert!(!app.is_dirty(), "a stale result must not even redraw");
    deliver(&mut app, &store, &back);
    assert_eq!(app.day().generation, back_gen);
    assert_eq!(
        app.day().sheet.as_ref().unwrap().rows.len(),
        ids.today.len()
    );
}

#[test]
fn t_goes_back_to_today() {
    let (store, _ids, mut app) = setup();
    let c = key(&mut app, KeyCode::Left);
    deliver(&mut app, &store, &c);
    let c = key(&mut app, KeyCode::Left);
    deliver(&mut app, &store, &c);
    assert_eq!(
        app.day().date,
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    );
    let c = ch(&mut app, 't');
    assert_eq!(load_generation(&c).1, today());
}

#[test]
fn selection_moves_and_stays_in_bounds() {
    let (_s, ids, mut app) = setup();
    ch(&mut app, 'j');
    assert_eq!(selected(&app), Some(ids.today[4]));
    ch(&mut app, 'k');
    ch(&mut app, 'k');
    assert_eq!(selected(&app), Some(ids.today[2]));
    key(&mut app, KeyCode::Home);
    assert_eq!(selected(&app), Some(ids.today[0]));
    key(&mut app, KeyCode::Up);
    assert_eq!(selected(&app), Some(ids.today[0]));
    key(&mut app, KeyCode::End);
    assert_eq!(selected(&app), Some(*ids.today.last().unwrap()));
    key(&mut app, KeyCode::Down);
    assert_eq!(selected(&app), Some(*ids.today.last().unwrap()));
    key(&mut app, KeyCode::PageUp);
    assert_eq!(
        selected(&app),
        Some(ids.today[0]),
        "a page at 80×24 holds the whole day"
    );
}

#[test]
fn paging_scrolls_in_a_short_terminal() {
    let (store, ids, _) = setup();
    let mut app = fixture::loaded_app(&store, 80, 12, None);
    let page = crate::tui::screens::day::page_rows(&app.shared);
    assert!(page < ids.today.len(), "page {page}");
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::PageDown);
    assert_eq!(selected(&app), Some(ids.today[page]));
    assert!(
        app.day().offset > 0,
        "the table must scroll to show the selection"
    );
    assert!(app.day().selected_index().unwrap() < app.day().offset + page);
}

#[test]
fn arrived_goes_straight_to_the_worker() {
    let (_s, ids, mut app) = setup();
    ch(&mut app, 'j'); // 10:00 booked
    let cmds = ch(&mut app, 'a');
    assert_eq!(
        cmds,
        vec![Cmd::SetStatus {
            id: ids.today[4],
            to: AppointmentStatus::Arrived
        }]
    );
    assert!(app.modals.is_empty());
}

#[test]
fn cancel_asks_first_and_enter_confirms() {
    let (_s, ids, mut app) = setup();
    let cmds = ch(&mut app, 'x');
    assert!(
        cmds.is_empty(),
        "nothing may change before the desk says yes"
    );
    assert!(
        matches!(app.modals.last(), Some(Modal::Confirm(c)) if c.to == AppointmentStatus::Cancelled)
    );
    // Keys of the day view do not leak through the modal.
    assert!(ch(&mut app, 'a').is_empty());
    let cmds = key(&mut app, KeyCode::Enter);
    assert_eq!(
        cmds,
        vec![Cmd::SetStatus {
            id: ids.today[3],
            to: AppointmentStatus::Cancelled
        }]
    );
    assert!(app.modals.is_empty());
}

#[test]
fn no_show_confirm_can_be_declined() {
    let (_s, _ids, mut app) = setup();
    ch(&mut app, 'n');
    assert!(matches!(app.modals.last(), Some(Modal::Confirm(_))));
    assert!(ch(&mut app, 'n').is_empty(), "n in the box means no");
    assert!(app.modals.is_empty());
    ch(&mut app, 'n');
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(app.modals.is_empty());
}

#[test]
fn impossible_changes_are_refused_without_asking() {
    let (_s, _ids, mut app) = setup();
    for _ in 0..2 {
        ch(&mut app, 'k'); // up to 09:00 arrived, then 08:30 no-show
    }
    key(&mut app, KeyCode::Home); // 08:00 completed
    let cmds = ch(&mut app, 'x');
    assert!(cmds.is_empty());
    assert!(
        app.modals.is_empty(),
        "no confirm box for a change that cannot happen"
    );
    let toast = app.shared.toast.as_ref().unwrap();
    assert_eq!(toast.kind, ToastKind::Error);
    assert!(
        toast
            .text
            .contains("a completed appointment cannot be marked cancelled"),
        "{}",
        toast.text
    );
}

#[test]
fn worker_refusal_shows_as_a_toast() {
    let (_s, ids, mut app) = setup();
    let cmds = update(
        &mut app,
        Msg::StatusSet {
            id: ids.today[4],
            to: AppointmentStatus::NoShow,
            result: Err("cannot mark no-show before the appointment has started".into()),
        },
    );
    assert!(cmds.is_empty());
    let toast = app.shared.toast.as_ref().unwrap();
    assert_eq!(toast.kind, ToastKind::Error);
    assert!(toast.text.contains("before the appointment has started"));
    assert!(app.animating(), "a toast needs the tick to go away");
}

#[test]
fn success_reloads_the_day_and_the_footer() {
    let (_s, ids, mut app) = setup();
    let before = app.day().generation;
    let cmds = update(
        &mut app,
        Msg::StatusSet {
            id: ids.today[3],
            to: AppointmentStatus::Arrived,
            result: Ok(()),
        },
    );
    let (generation, date) = load_generation(&cmds);
    assert!(generation > before);
    assert_eq!(date, today());
    assert!(cmds.contains(&Cmd::LoadProvider));
    let toast = app.shared.toast.as_ref().unwrap();
    assert_eq!(toast.text, "09:30 Nguyễn, Thị Mai — marked arrived");
    // Reloading the same day keeps the rows on screen (no "Loading…" flash).
    assert!(app.day().sheet.is_some());
    assert!(!app.awaiting_first_load());
}

#[test]
fn toasts_expire_after_their_ticks() {
    let (_s, _ids, mut app) = setup();
    app.shared.toast(ToastKind::Info, "hello".into());
    for _ in 0..crate::tui::shared::TOAST_TICKS - 1 {
        update(&mut app, Msg::Tick);
    }
    assert!(app.shared.toast.is_some());
    update(&mut app, Msg::Tick);
    assert!(app.shared.toast.is_none());
    assert!(!app.animating(), "no ticking once nothing animates");
}

#[test]
fn unconfirmed_filter_shows_booked_only_and_keeps_a_selection() {
    let (_s, ids, mut app) = setup();
    ch(&mut app, 'u');
    let visible: Vec<_> = app
        .day()
        .visible()
        .iter()
        .map(|r| r.appointment_id)
        .collect();
    assert_eq!(visible, vec![ids.today[4], ids.today[6], ids.today[7]]);
    // The 09:30 confirmed row is hidden: the selection moves to a visible row.
    assert!(visible.contains(&selected(&app).unwrap()));
    ch(&mut app, 'u');
    assert_eq!(app.day().visible().len(), ids.today.len());
}

#[test]
fn search_types_with_generations_and_ignores_stale_hits() {
    let (store, ids, mut app) = setup();
    assert!(ch(&mut app, '/').is_empty());
    assert!(matches!(app.modals.last(), Some(Modal::Search(_))));
    let first = ch(&mut app, 'l');
    let second = ch(&mut app, 'o');
    let (
        Cmd::Search {
            generation: g1,
            query: q1,
        },
        Cmd::Search {
            generation: g2,
            query: q2,
        },
    ) = (&first[0], &second[0])
    else {
        panic!("typing must search: {first:?} {second:?}");
    };
    assert_eq!((q1.as_str(), q2.as_str()), ("l", "lo"));
    assert!(g2 > g1);
    // 'q' and 'j' are text here, not quit or move.
    assert!(!ch(&mut app, 'q').contains(&Cmd::Quit));
    key(&mut app, KeyCode::Backspace);
    let hits = workflow::day::search(&store, "lo", now()).unwrap();
    update(
        &mut app,
        Msg::SearchDone {
            generation: *g1,
            result: Ok(Vec::new()),
        },
    );
    let Some(Modal::Search(s)) = app.modals.last() else {
        panic!()
    };
    assert!(s.hits.is_empty() && s.searching, "stale result applied");
    let generation = s.generation;
    let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let expect = update(
        &mut app,
        Msg::SearchDone {
            generation,
            result: Ok(hits),
        },
    );
    let Some(Modal::Search(s)) = app.modals.last() else {
        panic!()
    };
    assert_eq!(s.hits[0].patient_id, ids.ada);
    // The worker is told where Enter would go, to load it ahead; once only.
    assert_eq!(expect, vec![Cmd::ExpectDay { date: Some(monday) }]);
    assert!(
        !key(&mut app, KeyCode::Up)
            .iter()
            .any(|c| matches!(c, Cmd::ExpectDay { .. }))
    );

    // Enter jumps to Ada's next appointment (Monday) and selects it once loaded.
    let cmds = key(&mut app, KeyCode::Enter);
    let (_, date) = load_generation(&cmds);
    assert_eq!(date, monday);
    assert!(
        cmds.contains(&Cmd::ExpectDay { date: None }),
        "the search closed"
    );
    assert!(app.modals.is_empty());
    deliver(&mut app, &store, &cmds);
    let row = app.day().selected_row().unwrap();
    assert_eq!((row.patient_id, row.start), (ids.ada, ids.ada_next));
}

#[test]
fn search_hit_without_upcoming_appointment_says_so() {
    let (store, ids, mut app) = setup();
    ch(&mut app, '/');
    let mut cmds = Vec::new();
    for c in "garc".chars() {
        cmds = ch(&mut app, c);
    }
    let Cmd::Search {
        generation,
        ref query,
    } = cmds[0]
    else {
        panic!()
    };
    assert_eq!(query, "garc");
    // José's only appointment today was cancelled: nothing upcoming.
    let hits = workflow::day::search(&store, query, now()).unwrap();
    assert_eq!(hits[0].patient_id, ids.jose);
    update(
        &mut app,
        Msg::SearchDone {
            generation,
            result: Ok(hits),
        },
    );
    let cmds = key(&mut app, KeyCode::Enter);
    assert!(cmds.is_empty());
    assert!(
        app.shared
            .toast
            .as_ref()
            .unwrap()
            .text
            .contains("García López, José has no upcoming appointment")
    );
    assert!(
        matches!(app.modals.last(), Some(Modal::Search(_))),
        "the search stays open"
    );
    key(&mut app, KeyCode::Esc);
    assert!(app.modals.is_empty());
}

#[test]
fn quit_keys() {
    let (_s, _ids, mut app) = setup();
    assert_eq!(ch(&mut app, 'q'), vec![Cmd::Quit]);
    ch(&mut app, '/');
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(update(&mut app, Msg::Key(ctrl_c)), vec![Cmd::Quit]);
}

#[test]
fn help_opens_scrolls_within_bounds_and_closes() {
    let (_s, _ids, mut app) = setup();
    ch(&mut app, '?');
    assert!(matches!(app.modals.last(), Some(Modal::Help(_))));
    for _ in 0..500 {
        ch(&mut app, 'j');
    }
    let Some(Modal::Help(h)) = app.modals.last() else {
        panic!()
    };
    let max = crate::tui::screens::help::max_scroll(app.shared.modal_rect(), &app.shared);
    assert!(max > 0, "the help is longer than 24 rows");
    assert_eq!(h.scroll, max);
    ch(&mut app, 'k');
    let Some(Modal::Help(h)) = app.modals.last() else {
        panic!()
    };
    assert_eq!(h.scroll, max - 1, "one key back up after holding down");
    key(&mut app, KeyCode::Esc);
    assert!(app.modals.is_empty());
}

#[test]
fn a_failed_load_is_shown_not_panicked() {
    let (_s, _ids, mut app) = setup();
    let cmds = ch(&mut app, 'r');
    let (generation, _) = load_generation(&cmds);
    update(
        &mut app,
        Msg::DayLoaded {
            generation,
            now: now(),
            result: Err("database error: disk I/O error".into()),
        },
    );
    assert_eq!(
        app.day().error.as_deref(),
        Some("database error: disk I/O error")
    );
    assert_eq!(app.shared.toast.as_ref().unwrap().kind, ToastKind::Error);
}

#[test]
fn key_releases_are_ignored() {
    let (_s, _ids, mut app) = setup();
    let mut ev = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    ev.kind = KeyEventKind::Release;
    assert!(update(&mut app, Msg::Key(ev)).is_empty());
}

#[test]
fn a_termination_signal_quits_like_q_even_with_a_modal_open() {
    let (_store, _ids, mut app) = setup();
    ch(&mut app, '?');
    let cmds = update(&mut app, Msg::Terminated { signal: "SIGTERM" });
    assert_eq!(cmds, vec![Cmd::Quit]);
}
