//! The reminder batch screen (SPEC §3.4): the day chooser, the preview with counts by
//! reason, confirm, the gauge fed by progress events, cancel, results and "retry only the
//! failures"; and the worker running a send on a thread of its own while it goes on
//! answering. Snapshots at 80×24 and 120×40.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixture::{self, today};
use crate::config::Config;
use crate::domain::batch::window::LocalWindow;
use crate::domain::batch::{BatchEvent, BatchItem};
use crate::domain::ids::{MessageId, PatientId};
use crate::domain::report::LineAction;
use crate::domain::staff::Action as StaffAction;
use crate::store::Store;
use crate::tui::app::{App, Screen, update};
use crate::tui::keymap::Context;
use crate::tui::msg::{Cmd, Msg};
use crate::tui::screens::batch::{BatchState, Phase, Preset};
use crate::tui::view;
use crate::tui::worker::{Runner, Worker};

fn key(app: &mut App, r: &mut Runner, code: KeyCode) {
    let cmds = update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    fixture::settle(app, r, cmds);
}

fn press(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn render(app: &mut App, width: u16, height: u16) -> String {
    update(app, Msg::Resize { width, height });
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| view::draw(f, app)).unwrap();
    term.backend().to_string()
}

fn started(r: &mut Runner) -> App {
    let mut app = App::new(&Config::default(), today(), None);
    update(
        &mut app,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    let member = r.actor.clone().expect("the runner acts as a member");
    let cmds = update(&mut app, Msg::SignedIn(Ok(member)));
    fixture::settle(&mut app, r, cmds);
    app
}

fn batch(app: &App) -> &BatchState {
    match &app.screen {
        Screen::Batch(b) => b,
        other => panic!("{other:?}"),
    }
}

fn tomorrow() -> LocalWindow {
    LocalWindow::day(today().succ_opt().unwrap())
}

#[test]
fn b_previews_tomorrow_with_every_appointment_and_counts_by_reason() {
    let (store, _) = fixture::store();
    let mut r = fixture::runner_as(store, "rosa");
    let mut app = started(&mut r);
    key(&mut app, &mut r, KeyCode::Char('b'));
    let b = batch(&app);
    assert_eq!(
        (b.phase, b.preset, b.window),
        (Phase::Preview, Preset::Tomorrow, Some(tomorrow()))
    );
    let v = b.view.as_ref().unwrap();
    // Tomorrow: Alexandra (no consent) at 09:00, Grace (opted in) at 14:00.
    assert_eq!(v.report.lines.len(), 2, "{:#?}", v.report.lines);
    assert_eq!(b.will_send(), 1);
    assert!(
        v.by_reason.contains(&("no consent".into(), 1)),
        "{:?}",
        v.by_reason
    );
    let small = render(&mut app, 80, 24);
    assert!(
        small.contains("skip: no consent") && small.contains("will send"),
        "{small}"
    );
    insta::assert_snapshot!("batch_preview_80x24", small);
    insta::assert_snapshot!("batch_preview_120x40", render(&mut app, 120, 40));
    assert_eq!(
        Cmd::PreviewReminders { window: tomorrow() }.permission(),
        Some(StaffAction::ViewSchedule)
    );
}

#[test]
fn tab_and_typing_choose_the_day_and_a_bad_window_says_why() {
    let (store, _) = fixture::store();
    let mut r = fixture::runner_as(store, "rosa");
    let mut app = started(&mut r);
    key(&mut app, &mut r, KeyCode::Char('b'));
    // Tab: tomorrow → a typed day (the field takes the keys; q types, it does not quit).
    assert!(press(&mut app, KeyCode::Tab).is_empty());
    assert_eq!(app.context(), Context::BatchWindow);
    for c in "2026-11-30q".chars() {
        assert!(press(&mut app, KeyCode::Char(c)).is_empty());
    }
    press(&mut app, KeyCode::Backspace);
    let cmds = press(&mut app, KeyCode::Enter);
    let monday = LocalWindow::day(chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
    assert_eq!(cmds, vec![Cmd::PreviewReminders { window: monday }]);
    fixture::settle(&mut app, &mut r, cmds);
    let b = batch(&app);
    assert_eq!(
        (b.phase, b.preset, b.will_send()),
        (Phase::Preview, Preset::Typed, 1)
    );
    assert_eq!(app.context(), Context::Batch);
    // A window that cannot be read: one line, the field stays open, nothing is asked.
    press(&mut app, KeyCode::Char('d'));
    for _ in 0..10 {
        press(&mut app, KeyCode::Backspace);
    }
    for c in "next week".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(
        app.shared
            .toast
            .as_ref()
            .unwrap()
            .text
            .contains("cannot read \"next week\"")
    );
    assert_eq!(app.context(), Context::BatchWindow);
    press(&mut app, KeyCode::Esc);
    // Tab from the typed choice comes round to today.
    let cmds = press(&mut app, KeyCode::Tab);
    assert_eq!(
        cmds,
        vec![Cmd::PreviewReminders {
            window: LocalWindow::day(today())
        }]
    );
}

#[test]
fn enter_asks_first_y_sends_and_the_results_name_what_happened() {
    let (store, _) = fixture::store();
    let mut r = fixture::runner_as(store, "rosa");
    let mut app = started(&mut r);
    key(&mut app, &mut r, KeyCode::Char('b'));
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "Enter only asks"
    );
    assert_eq!(batch(&app).phase, Phase::Confirming);
    assert!(render(&mut app, 80, 24).contains("y sends"));
    press(&mut app, KeyCode::Esc);
    assert_eq!(
        batch(&app).phase,
        Phase::Preview,
        "Esc goes back to the preview"
    );
    press(&mut app, KeyCode::Enter);
    let cmds = press(&mut app, KeyCode::Char('y'));
    assert_eq!(cmds, vec![Cmd::SendReminders { window: tomorrow() }]);
    assert_eq!(batch(&app).phase, Phase::Sending);
    assert_eq!(cmds[0].permission(), Some(StaffAction::SendReminders));
    fixture::settle(&mut app, &mut r, cmds);
    let b = batch(&app);
    assert_eq!(b.phase, Phase::Done);
    let t = &b.view.as_ref().unwrap().report.totals;
    assert_eq!((t.in_outbox, t.skipped), (1, 1), "{t:?}");
    // A commit elsewhere does not wipe the results being read.
    update(&mut app, Msg::DataVersion(Ok(1)));
    assert!(
        update(&mut app, Msg::DataVersion(Ok(2)))
            .iter()
            .all(|c| !matches!(c, Cmd::PreviewReminders { .. }))
    );
    assert_eq!(batch(&app).phase, Phase::Done);
    insta::assert_snapshot!("batch_results_80x24", render(&mut app, 80, 24));
    insta::assert_snapshot!("batch_results_120x40", render(&mut app, 120, 40));
    // Nothing was left waiting: f says so and asks for nothing.
    assert!(press(&mut app, KeyCode::Char('f')).is_empty());
    assert!(
        app.shared
            .toast
            .as_ref()
            .unwrap()
            .text
            .starts_with("No text of this batch")
    );
}

fn item(n: i64) -> BatchItem {
    BatchItem {
        patient_id: PatientId(n),
        appointment_id: None,
        message_id: Some(MessageId(n)),
    }
}

/// The offline outbox only queues: the gauge says "to outbox", never "sent", while the
/// desk's batch goes there; with Twilio it says "sent".
#[test]
fn the_gauge_says_to_outbox_when_the_provider_only_queues() {
    use crate::config::ProviderKind;
    use crate::workflow::day::ProviderStatus;
    for (provider, says, never) in [
        (
            ProviderKind::Outbox,
            "2/4 · to outbox 1 · failed 1",
            "· sent 1",
        ),
        (ProviderKind::Twilio, "2/4 · sent 1 · failed 1", "to outbox"),
    ] {
        let (store, _) = fixture::store();
        let mut r = fixture::runner_as(store, "rosa");
        let mut app = started(&mut r);
        key(&mut app, &mut r, KeyCode::Char('b'));
        press(&mut app, KeyCode::Enter);
        press(&mut app, KeyCode::Char('y'));
        app.shared.provider = Some(Ok(ProviderStatus {
            provider,
            online: None,
            outbox: 0,
        }));
        for e in [
            BatchEvent::Started { total: 4 },
            BatchEvent::Sent { item: item(1) },
            BatchEvent::Failed {
                item: item(2),
                code: Some("30003".into()),
                reason: "unreachable handset".into(),
            },
        ] {
            update(&mut app, Msg::BatchProgress(e));
        }
        let screen = render(&mut app, 80, 24);
        assert!(screen.contains(says), "{provider:?}: {screen}");
        assert!(!screen.contains(never), "{provider:?}: {screen}");
    }
}

#[test]
fn the_gauge_follows_progress_events_and_esc_cancels_once() {
    let (store, _) = fixture::store();
    let mut r = fixture::runner_as(store, "rosa");
    let mut app = started(&mut r);
    key(&mut app, &mut r, KeyCode::Char('b'));
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('y'));
    for e in [
        BatchEvent::Started { total: 4 },
        BatchEvent::Sent { item: item(1) },
        BatchEvent::Failed {
            item: item(2),
            code: Some("30003".into()),
            reason: "unreachable handset".into(),
        },
    ] {
        assert!(update(&mut app, Msg::BatchProgress(e)).is_empty());
    }
    let b = batch(&app);
    assert_eq!((b.progress.done(), b.progress.ratio()), (2, 0.5));
    let screen = render(&mut app, 80, 24);
    // The fixture's practice texts through the offline outbox.
    assert!(screen.contains("2/4 · to outbox 1 · failed 1"), "{screen}");
    insta::assert_snapshot!("batch_gauge_80x24", screen);
    // Keys still work while it sends (scrolling), but nothing else is started.
    assert!(press(&mut app, KeyCode::Char('r')).is_empty());
    assert!(press(&mut app, KeyCode::Tab).is_empty());
    assert_eq!(press(&mut app, KeyCode::Esc), vec![Cmd::CancelReminders]);
    assert!(batch(&app).cancelling);
    assert!(render(&mut app, 120, 40).contains("cancelling after the texts in flight"));
    assert!(
        press(&mut app, KeyCode::Esc).is_empty(),
        "asked once; the screen stays"
    );
    assert!(matches!(app.screen, Screen::Batch(_)));
    assert_eq!(
        Cmd::CancelReminders.permission(),
        Some(StaffAction::SendReminders)
    );
}

#[test]
fn f_retries_only_what_the_batch_left_waiting() {
    let (store, _) = fixture::store();
    let mut r = fixture::runner_as(store, "rosa");
    let mut app = started(&mut r);
    key(&mut app, &mut r, KeyCode::Char('b'));
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('y'));
    let mut view = *batch(&app).view.clone().unwrap();
    view.report.lines[1].action = LineAction::Waiting;
    view.report.lines[1].message_id = Some(MessageId(77));
    update(
        &mut app,
        Msg::Batch {
            sent: true,
            result: Ok(view),
        },
    );
    assert!(render(&mut app, 80, 24).contains("f retries the 1 left waiting"));
    let cmds = press(&mut app, KeyCode::Char('f'));
    assert_eq!(
        cmds,
        vec![Cmd::RetryReminders {
            ids: vec![MessageId(77)]
        }]
    );
    assert_eq!(cmds[0].permission(), Some(StaffAction::SendReminders));
    assert_eq!(batch(&app).phase, Phase::Sending);
}

/// The fixture practice in a database file, and a way to open it again.
fn on_disk() -> (tempfile::TempDir, Store, crate::tui::worker::Reopen) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("practice.db");
    let (store, _) = fixture::store_at(&path);
    let reopen: crate::tui::worker::Reopen =
        Arc::new(move || Store::open_existing(&path).map_err(|e| e.to_string()));
    (dir, store, reopen)
}

#[test]
fn a_send_runs_on_its_own_thread_and_the_worker_keeps_answering() {
    let (_dir, store, reopen) = on_disk();
    let runner = fixture::runner_as(store, "rosa");
    let (tx, rx) = mpsc::channel();
    let worker = Worker::spawn_with(runner, tx, Some(reopen)).unwrap();
    worker
        .send(Cmd::SendReminders { window: tomorrow() })
        .unwrap();
    worker
        .send(Cmd::LoadDay {
            generation: 9,
            date: today(),
        })
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut events, mut day, mut done) = (Vec::new(), false, None);
    while done.is_none() || !day {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx
            .recv_timeout(left)
            .expect("the batch and the day both answer")
        {
            Msg::BatchProgress(e) => events.push(e),
            Msg::DayLoaded {
                generation: 9,
                result,
                ..
            } => day = result.is_ok(),
            Msg::Batch { sent: true, result } => done = Some(result),
            _ => {}
        }
    }
    let view = done.unwrap().unwrap();
    assert_eq!(view.report.totals.in_outbox, 1, "{:?}", view.report.totals);
    let p = crate::domain::batch::BatchProgress::from_events(&events);
    assert_eq!((p.total, p.sent, p.ratio()), (1, 1, 1.0));
    assert!(p.finished);
    worker.stop();
}
