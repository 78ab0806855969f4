//! The patient screen end to end without a terminal: the worker runs the commands against the
//! fixture store (offline outbox provider), and the screens are drawn on `TestBackend` —
//! snapshots at 80×24 and 120×40.

use crate::domain::report::SendOutcome;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixture::{self, Ids, now};
use crate::domain::consent::ConsentMethod;
use crate::domain::message::{MessageKind, MessageStatus};
use crate::store;
use crate::tui::app::{App, update};
use crate::tui::msg::{Cmd, Msg};
use crate::tui::view;
use crate::tui::worker::Runner;

fn runner() -> (Runner, Ids) {
    let (store, ids) = fixture::store();
    (fixture::runner_as(store, "rosa"), ids)
}

fn key(app: &mut App, r: &mut Runner, code: KeyCode) {
    let cmds = update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    fixture::settle(app, r, cmds);
}

fn ctrl(app: &mut App, r: &mut Runner, c: char) {
    let cmds = update(
        app,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    );
    fixture::settle(app, r, cmds);
}

fn typed(app: &mut App, r: &mut Runner, text: &str) {
    for c in text.chars() {
        key(app, r, KeyCode::Char(c));
    }
}

fn render(app: &mut App, width: u16, height: u16) -> String {
    update(app, Msg::Resize { width, height });
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| view::draw(f, app)).unwrap();
    term.backend().to_string()
}

/// Ada's screen (09:00 row), at `width`×`height`.
fn ada(r: &mut Runner, ids: &Ids, width: u16, height: u16) -> App {
    let mut app = fixture::loaded_app(&r.store, width, height, None);
    use super::fixture::DayView;
    app.day_mut().selected = Some(ids.today[2]);
    key(&mut app, r, KeyCode::Enter);
    app
}

#[test]
fn patient_screen_80x24_and_120x40() {
    let (mut r, ids) = runner();
    // Some history: a text that went, one the gate stopped, a number that failed.
    let sent = r.run(Cmd::SendCustomText {
        patient: ids.ada,
        text: "Your ride is here.".into(),
    });
    assert!(
        matches!(sent, Some(Msg::TextSent { result: Ok(_), .. })),
        "{sent:?}"
    );
    let mut app = ada(&mut r, &ids, 80, 24);
    insta::assert_snapshot!("patient_80x24", render(&mut app, 80, 24));
    let mut app = ada(&mut r, &ids, 120, 40);
    insta::assert_snapshot!("patient_120x40", render(&mut app, 120, 40));
}

#[test]
fn blocked_text_80x24_then_a_portal_prompt_goes_instead() {
    let (mut r, ids) = runner();
    let mut app = ada(&mut r, &ids, 80, 24);
    key(&mut app, &mut r, KeyCode::Char('w'));
    typed(&mut app, &mut r, "Your biopsy results are in, call us");
    let screen = render(&mut app, 80, 24);
    insta::assert_snapshot!("compose_blocked_80x24", screen);
    key(&mut app, &mut r, KeyCode::Enter);
    let conn = r.store.test_conn();
    assert!(
        store::messages::for_patient(conn, ids.ada)
            .unwrap()
            .is_empty(),
        "nothing recorded while blocked"
    );
    ctrl(&mut app, &mut r, 'p');
    insta::assert_snapshot!("prompt_picker_80x24", render(&mut app, 80, 24));
    key(&mut app, &mut r, KeyCode::Down);
    key(&mut app, &mut r, KeyCode::Enter);
    assert!(app.modals.is_empty());
    let msgs = store::messages::for_patient(r.store.test_conn(), ids.ada).unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].kind, MessageKind::PortalResultsReady);
    assert_eq!(msgs[0].created_by, "rosa");
    let toast = &app.shared.toast.as_ref().unwrap().text;
    assert_eq!(toast, "portal prompt to Lovelace, Ada: in the outbox");
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("portal-results-ready"),
        "the history shows it:\n{screen}"
    );
}

#[test]
fn consent_form_80x24_and_what_the_worker_records() {
    let (mut r, ids) = runner();
    // Wei Zhang (no consent) from the 08:30 row.
    let mut app = fixture::loaded_app(&r.store, 80, 24, None);
    use super::fixture::DayView;
    app.day_mut().selected = Some(ids.today[1]);
    key(&mut app, &mut r, KeyCode::Enter);
    key(&mut app, &mut r, KeyCode::Char('i'));
    key(&mut app, &mut r, KeyCode::Tab);
    typed(&mut app, &mut r, "FORM-2211");
    insta::assert_snapshot!("consent_form_80x24", render(&mut app, 80, 24));
    key(&mut app, &mut r, KeyCode::Enter);
    assert!(app.modals.is_empty(), "recorded and closed");
    let wei = app_patient(&app);
    let events = store::consent::events(r.store.test_conn(), wei).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].method, ConsentMethod::WrittenForm);
    assert_eq!(
        events[0].evidence.as_deref(),
        Some("FORM-2211, signed 2026-11-25")
    );
    assert_eq!(events[0].recorded_by, "rosa");
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("✓ opted in since 2026-11-25"), "{screen}");
}

#[test]
fn a_wrong_number_is_refused_by_the_worker_and_the_form_keeps_it() {
    let (mut r, ids) = runner();
    let mut app = ada(&mut r, &ids, 80, 24);
    key(&mut app, &mut r, KeyCode::Char('m'));
    typed(&mut app, &mut r, "000 000 0000");
    key(&mut app, &mut r, KeyCode::Enter);
    let Some(crate::tui::modal::Modal::Form(f)) = app.modals.last() else {
        panic!("the form stays open");
    };
    assert!(f.error.as_deref().unwrap().contains("not"), "{f:?}");
    assert_eq!(f.text, "000 000 0000");
    let mobile = store::patients::get(r.store.test_conn(), ids.ada)
        .unwrap()
        .mobile;
    assert_eq!(mobile.unwrap().as_str(), "+12015550134", "unchanged");
}

#[test]
fn a_blocked_text_that_reaches_the_worker_is_recorded_blocked_never_sent() {
    // The console refuses it first; the worker's own gate is the second line.
    let (mut r, ids) = runner();
    let msg = r.run(Cmd::SendCustomText {
        patient: ids.ada,
        text: "your chemotherapy is moved".into(),
    });
    let Some(Msg::TextSent {
        result: Ok(rep), ..
    }) = msg
    else {
        panic!("{msg:?}")
    };
    assert_eq!(rep.lines[0].outcome, SendOutcome::Blocked);
    let m = &store::messages::for_patient(r.store.test_conn(), ids.ada).unwrap()[0];
    assert_eq!(m.status, MessageStatus::Blocked);
    let _ = now();
}

fn app_patient(app: &App) -> crate::domain::ids::PatientId {
    match &app.screen {
        crate::tui::app::Screen::Patient(p) => p.patient,
        other => panic!("{other:?}"),
    }
}

#[test]
fn z_undoes_the_last_status_change_and_the_audit_shows_both() {
    use super::fixture::DayView;
    use crate::domain::appointment::AppointmentStatus;
    let (mut r, ids) = runner();
    let mut app = fixture::loaded_app(&r.store, 80, 24, None);
    key(&mut app, &mut r, KeyCode::Char('z'));
    assert!(
        app.shared
            .toast
            .as_ref()
            .unwrap()
            .text
            .starts_with("Nothing to undo")
    );
    // 10:00 booked → confirmed by mistake → z.
    app.day_mut().selected = Some(ids.today[4]);
    key(&mut app, &mut r, KeyCode::Char('c'));
    let id = ids.today[4];
    assert_eq!(
        store::appointments::get(r.store.test_conn(), id)
            .unwrap()
            .status,
        AppointmentStatus::Confirmed
    );
    key(&mut app, &mut r, KeyCode::Char('z'));
    assert_eq!(
        store::appointments::get(r.store.test_conn(), id)
            .unwrap()
            .status,
        AppointmentStatus::Booked
    );
    assert_eq!(
        app.shared.toast.as_ref().unwrap().text,
        "Undone — the appointment is booked again"
    );
    let audit =
        store::audit::for_subject(r.store.test_conn(), &format!("appointment:{id}")).unwrap();
    let actions: Vec<_> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["appointment.status", "appointment.status_undone"]);
    assert!(app.day().last_change.is_none(), "one undo per change");
}

#[test]
fn a_change_on_another_day_asks_first() {
    use super::fixture::DayView;
    let (mut r, _ids) = runner();
    let mut app = fixture::loaded_app(&r.store, 80, 24, None);
    key(&mut app, &mut r, KeyCode::Right); // tomorrow
    let row = app.day().visible()[0].appointment_id;
    app.day_mut().selected = Some(row);
    key(&mut app, &mut r, KeyCode::Char('c'));
    let Some(crate::tui::modal::Modal::Confirm(c)) = app.modals.last() else {
        panic!("asks first: {:?}", app.modals)
    };
    assert_eq!(
        c.other_day.as_deref(),
        Some("This is Thursday, November 26 — not today.")
    );
    insta::assert_snapshot!("confirm_other_day_80x24", render(&mut app, 80, 24));
    key(&mut app, &mut r, KeyCode::Char('y'));
    let a = store::appointments::get(r.store.test_conn(), row).unwrap();
    assert_eq!(
        a.status,
        crate::domain::appointment::AppointmentStatus::Confirmed
    );
}

#[test]
fn the_patient_screen_shows_what_the_gate_found_when_it_blocked() {
    let (mut r, ids) = runner();
    r.run(Cmd::SendCustomText {
        patient: ids.ada,
        text: "your chemotherapy is moved".into(),
    });
    let mut app = ada(&mut r, &ids, 120, 40);
    let screen = render(&mut app, 120, 40);
    assert!(screen.contains("blocked: \"chemotherapy\""), "{screen}");
}

/// What was decided is what is shown (issue 9 item 7): Ada's visit today had its 48-hour
/// reminder skipped for no consent two days ago and its 24-hour one refused by the gate;
/// she has since arrived. The patient screen shows both as decided, the block with the
/// gate's finding, and the next visit's reminders as what will happen.
#[test]
fn patient_screen_shows_recorded_decisions_80x24_and_120x40() {
    use crate::domain::reminder::{
        Decided, GateFinding, ReminderDecision, SkipReason, reminder_key,
    };
    use crate::workflow::record_text::{self, Outgoing, Recorded};
    let (mut r, ids) = runner();
    let visit = ids.today[2];
    let start = fixture::local(fixture::today(), 9, 0);
    let conn = r.store.test_conn();
    let blocked = record_text::record(
        conn,
        &Outgoing {
            kind: MessageKind::Reminder24h,
            patient_id: ids.ada,
            appointment_id: Some(visit),
            key: reminder_key(visit, start, 24),
            to: crate::domain::phone::E164::try_from("+12015550134".to_string()).unwrap(),
            body: "Riverside: Ada, bring your metformin tomorrow at 9:00 AM.".into(),
            send_by: None,
            trusted: Vec::new(),
        },
        &crate::phi::Gate::with_allow_list(&[]),
        "outbox",
        "system",
        start - chrono::Duration::hours(24),
    )
    .unwrap();
    assert!(matches!(blocked, Recorded::Blocked { .. }), "{blocked:?}");
    let decided = |offset, decided, hours| ReminderDecision {
        appointment_id: visit,
        start,
        offset_hours: offset,
        decided,
        decided_at: start - chrono::Duration::hours(hours),
    };
    for d in [
        decided(
            48,
            Decided::Skipped {
                reason: SkipReason::NoConsent,
            },
            48,
        ),
        decided(
            24,
            Decided::Blocked {
                finding: Some(GateFinding {
                    category: "medication".into(),
                    explanation: "looks like a medication or dose".into(),
                }),
            },
            24,
        ),
    ] {
        store::reminder_decisions::record(conn, &d, "system").unwrap();
    }
    let mut app = ada(&mut r, &ids, 80, 24);
    let narrow = render(&mut app, 80, 24);
    assert!(
        narrow.contains("48h skipped: no consent · decided"),
        "{narrow}"
    );
    assert!(
        narrow.contains("24h blocked by the PHI gate: looks like a medica"),
        "{narrow}"
    );
    insta::assert_snapshot!("patient_decisions_80x24", narrow);
    let mut app = ada(&mut r, &ids, 120, 40);
    let wide = render(&mut app, 120, 40);
    assert!(
        wide.contains("(medication); send a portal prompt instead"),
        "{wide}"
    );
    assert!(
        wide.contains("48h will send"),
        "the next visit's are forecasts: {wide}"
    );
    insta::assert_snapshot!("patient_decisions_120x40", wide);
}
