//! The reply inbox's actions through `update` and the real worker: confirm a reply's visit,
//! flag it for a call-back, record the opt-out a patient wrote in their own words (after a
//! confirm box), with the footer's counts following; a closure call-back listed with its
//! reason. Snapshots of the extended inbox at 80×24 and 120×40.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixture::{self, Ids, now};
use crate::config::Config;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::{ConsentMethod, ConsentState};
use crate::domain::ids::PatientId;
use crate::domain::inbox::ReplyAction;
use crate::domain::reply::ReplyKind;
use crate::domain::staff::Action as StaffAction;
use crate::store;
use crate::store::callbacks::NewCallback;
use crate::tui::app::{App, Screen, update};
use crate::tui::modal::Modal;
use crate::tui::msg::{Cmd, Msg};
use crate::tui::strings::desk;
use crate::tui::view;
use crate::tui::worker::Runner;

/// Replies from Ada (her next visit is Monday), José (nothing upcoming) and Wei (no consent,
/// asks to stop in his own words); a closure notice that could not reach Alexandra.
fn runner() -> (Runner, Ids, PatientId) {
    let (store, ids) = fixture::store();
    let conn = store.test_conn();
    let wei = store::patients::search(conn, "Zhang", 5).unwrap()[0].id;
    let reply = |p, from: &str, body: &str, sid: &str, min: i64| {
        let at = now() - chrono::Duration::minutes(min);
        let m = store::messages::insert_inbound(
            conn,
            &store::messages::NewInbound {
                patient: Some(p),
                from,
                to: "+1",
                body,
                provider: "outbox",
                provider_id: sid,
                at,
            },
        )
        .unwrap()
        .unwrap();
        store::messages::classify_reply(conn, m, ReplyKind::Other, None).unwrap();
    };
    reply(
        ids.ada,
        "+12015550134",
        "Yes that works for me, see you then",
        "SM1",
        50,
    );
    reply(
        ids.jose,
        "+12015550111",
        "¿Puedo llevar a mi hija a la cita?",
        "SM2",
        20,
    );
    reply(wei, "+12015550166", "pls no more of these msgs", "SM3", 10);
    let alexandra = store::patients::search(conn, "Okonkwo", 5).unwrap()[0].id;
    store::callbacks::add(
        conn,
        &NewCallback {
            key: "closure:test",
            patient_id: alexandra,
            appointment_id: None,
            message_id: None,
            reason: "closure could not reach the patient in time: no consent",
            now: now(),
        },
    )
    .unwrap();
    (fixture::runner_as(store, "rosa"), ids, wei)
}

fn started(r: &mut Runner) -> App {
    let mut app = App::new(&Config::default(), fixture::today(), None);
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

fn key(app: &mut App, r: &mut Runner, code: KeyCode) -> Vec<Cmd> {
    let cmds = update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    let sent = cmds.clone();
    fixture::settle(app, r, cmds);
    sent
}

fn render(app: &mut App, width: u16, height: u16) -> String {
    update(app, Msg::Resize { width, height });
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| view::draw(f, app)).unwrap();
    term.backend().to_string()
}

fn toast(app: &App) -> String {
    app.shared
        .toast
        .as_ref()
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

#[test]
fn confirm_flag_and_an_opt_out_in_the_patients_words_straight_from_the_inbox() {
    let (mut r, ids, wei) = runner();
    let mut app = started(&mut r);
    assert_eq!(app.shared.inbox_counts, Some((3, 1)));
    key(&mut app, &mut r, Char('i'));
    insta::assert_snapshot!("inbox_actions_80x24", render(&mut app, 80, 24));
    insta::assert_snapshot!("inbox_actions_120x40", render(&mut app, 120, 40));
    render(&mut app, 80, 24);

    // c on Ada's reply confirms her next visit (Monday) and handles the reply.
    let sent = key(&mut app, &mut r, Char('c'));
    assert_eq!(
        sent,
        [Cmd::ReplyAct {
            message: message_of(&r, "SM1"),
            action: ReplyAction::Confirm
        }]
    );
    assert_eq!(
        sent[0].permission(),
        Some(StaffAction::ChangeAppointmentStatus)
    );
    assert!(
        toast(&app).starts_with("Confirmed the visit on Mon Nov 30 11:15"),
        "{}",
        toast(&app)
    );
    let monday =
        store::appointments::open_for_patient_after(r.store.test_conn(), ids.ada, now(), 1)
            .unwrap();
    assert_eq!(monday[0].status, AppointmentStatus::Confirmed);
    assert_eq!(app.shared.inbox_counts, Some((2, 1)), "the footer follows");

    // f on José's reply: he has nothing upcoming, so it is refused and stays unread.
    key(&mut app, &mut r, Char('f'));
    assert!(toast(&app).contains("no upcoming visit"), "{}", toast(&app));
    assert_eq!(app.shared.inbox_counts, Some((2, 1)));

    // o on Wei's reply asks first, with his words; no leaves him as he was.
    key(&mut app, &mut r, Down);
    key(&mut app, &mut r, Char('o'));
    let Some(Modal::Ask(ask)) = app.modals.last() else {
        panic!("{:?}", app.modals)
    };
    assert!(
        ask.lines[0].contains("\"pls no more of these msgs\""),
        "{:?}",
        ask.lines
    );
    insta::assert_snapshot!("inbox_opt_out_ask_80x24", render(&mut app, 80, 24));
    key(&mut app, &mut r, Char('n'));
    assert!(app.modals.is_empty());
    assert_eq!(
        store::consent::events(r.store.test_conn(), wei)
            .unwrap()
            .len(),
        0
    );
    key(&mut app, &mut r, Char('o'));
    let sent = key(&mut app, &mut r, Char('y'));
    assert_eq!(sent[0].permission(), Some(StaffAction::RecordOptOut));
    assert!(app.modals.is_empty());
    assert!(
        toast(&app).starts_with("Opt-out recorded"),
        "{}",
        toast(&app)
    );
    let events = store::consent::events(r.store.test_conn(), wei).unwrap();
    assert_eq!(events[0].method, ConsentMethod::SmsReply);
    assert_eq!(events[0].recorded_by, "rosa");
    assert!(
        events[0]
            .evidence
            .as_deref()
            .unwrap()
            .contains("pls no more of these msgs")
    );
    assert!(matches!(
        ConsentState::from_events(&events),
        ConsentState::OptedOut { .. }
    ));
    assert_eq!(app.shared.inbox_counts, Some((1, 1)));

    // On a call-back line c/f/o say what to do instead; h marks it handled.
    key(&mut app, &mut r, Down);
    let Screen::Inbox(s) = &app.screen else {
        panic!()
    };
    assert!(
        s.selected_item()
            .unwrap()
            .name
            .starts_with("Okonkwo-Whitfield")
    );
    assert!(key(&mut app, &mut r, Char('c')).is_empty());
    assert_eq!(toast(&app), desk::ONLY_REPLIES);
    key(&mut app, &mut r, Char('h'));
    assert_eq!(app.shared.inbox_counts, Some((1, 0)));
}

#[test]
fn a_flag_puts_the_visit_on_the_call_back_list_under_the_replies() {
    let (mut r, ids, _) = runner();
    let mut app = started(&mut r);
    key(&mut app, &mut r, Char('i'));
    let sent = key(&mut app, &mut r, Char('f'));
    assert_eq!(sent[0].permission(), Some(StaffAction::HandleReply));
    assert_eq!(app.shared.inbox_counts, Some((2, 2)));
    let Screen::Inbox(s) = &app.screen else {
        panic!()
    };
    let calls = &s.inbox.as_ref().unwrap().callbacks;
    assert!(
        calls
            .iter()
            .any(|c| c.patient == Some(ids.ada) && c.visit.is_some()),
        "{calls:?}"
    );
}

fn message_of(r: &Runner, sid: &str) -> crate::domain::ids::MessageId {
    use crate::domain::message::Direction;
    store::messages::by_provider_id(r.store.test_conn(), Direction::Inbound, "outbox", sid)
        .unwrap()
        .unwrap()
        .id
}

use KeyCode::{Char, Down};
