//! The reply inbox and call-back list: from the day view (i), counts on the status line,
//! marking lines handled through the worker, opening the patient. Snapshot at 80×24.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixture::{self, Ids, now};
use crate::config::Config;
use crate::domain::inbox::InboxEntry;
use crate::domain::reply::ReplyKind;
use crate::domain::staff::Action as StaffAction;
use crate::store;
use crate::tui::app::{App, Screen, update};
use crate::tui::msg::{Cmd, Msg};
use crate::tui::view;
use crate::tui::worker::Runner;

/// The fixture with two replies to read and one patient to call back.
fn runner() -> (Runner, Ids) {
    let (store, ids) = fixture::store();
    let conn = store.test_conn();
    let reply = |p, body: &str, sid: &str, min: i64| {
        let at = now() - chrono::Duration::minutes(min);
        let m = store::messages::insert_inbound(
            conn,
            &store::messages::NewInbound {
                patient: Some(p),
                from: "+12015550134",
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
    reply(ids.ada, "What floor is the office on?", "SM1", 50);
    reply(ids.jose, "¿Puedo llevar a mi hija a la cita?", "SM2", 20);
    store::appointments::set_callback(conn, ids.today[4], true).unwrap();
    (fixture::runner_as(store, "rosa"), ids)
}

fn key(app: &mut App, r: &mut Runner, code: KeyCode) {
    let cmds = update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    fixture::settle(app, r, cmds);
}

fn render(app: &mut App, width: u16, height: u16) -> String {
    update(app, Msg::Resize { width, height });
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| view::draw(f, app)).unwrap();
    term.backend().to_string()
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
    // Signed in as the worker's member (the fixture's receptionist).
    let member = r.actor.clone().expect("the runner acts as a member");
    let cmds = update(&mut app, Msg::SignedIn(Ok(member)));
    fixture::settle(&mut app, r, cmds);
    app
}

#[test]
fn the_status_line_counts_what_waits_and_i_opens_the_lists() {
    let (mut r, ids) = runner();
    let mut app = started(&mut r);
    assert_eq!(app.shared.inbox_counts, Some((2, 1)));
    assert!(render(&mut app, 80, 24).contains("replies 2 · call back 1"));
    key(&mut app, &mut r, KeyCode::Char('i'));
    let screen = render(&mut app, 80, 24);
    insta::assert_snapshot!("inbox_80x24", screen);
    // Mark the first reply handled: audited as the desk, gone from the list and the count.
    key(&mut app, &mut r, KeyCode::Char('h'));
    assert_eq!(app.shared.inbox_counts, Some((1, 1)));
    let Screen::Inbox(s) = &app.screen else {
        panic!()
    };
    assert_eq!(s.inbox.as_ref().unwrap().replies.len(), 1);
    assert_eq!(app.shared.toast.as_ref().unwrap().text, "Marked handled");
    // The call-back: handled clears the appointment's flag.
    key(&mut app, &mut r, KeyCode::Down);
    key(&mut app, &mut r, KeyCode::Char('h'));
    assert_eq!(app.shared.inbox_counts, Some((1, 0)));
    assert!(
        !store::appointments::get(r.store.test_conn(), ids.today[4])
            .unwrap()
            .callback_requested
    );
    // Enter opens the patient of the remaining reply (José); Esc comes back to the lists.
    key(&mut app, &mut r, KeyCode::Enter);
    let Screen::Patient(p) = &app.screen else {
        panic!("{:?}", app.screen)
    };
    assert_eq!(p.patient, ids.jose);
    key(&mut app, &mut r, KeyCode::Esc);
    assert!(matches!(app.screen, Screen::Inbox(_)));
    key(&mut app, &mut r, KeyCode::Esc);
    assert!(matches!(app.screen, Screen::Day(_)));
}

#[test]
fn handling_is_audited_and_needs_its_permission() {
    let (mut r, _) = runner();
    let entry = match r.run(Cmd::LoadInbox { generation: 4 }) {
        Some(Msg::InboxLoaded {
            generation: 4,
            result: Ok(inbox),
        }) => inbox.replies[0].entry.clone(),
        other => panic!("{other:?}"),
    };
    let InboxEntry::Reply { message, .. } = entry else {
        panic!()
    };
    let cmd = Cmd::HandleInbox { entry };
    assert_eq!(cmd.permission(), Some(StaffAction::HandleReply));
    assert_eq!(r.run(cmd), Some(Msg::InboxHandled { result: Ok(()) }));
    let audit =
        store::audit::for_subject(r.store.test_conn(), &format!("message:{message}")).unwrap();
    assert_eq!(
        (audit[0].action.as_str(), audit[0].actor.as_str()),
        ("reply.handled", "rosa")
    );
}

#[test]
fn another_process_committing_reloads_what_is_on_screen() {
    let (store, _ids) = fixture::store();
    let mut app = fixture::loaded_app(&store, 80, 24, None);
    assert_eq!(update(&mut app, Msg::PollDue), [Cmd::PollChanges]);
    assert!(
        update(&mut app, Msg::DataVersion(Ok(5))).is_empty(),
        "the first answer sets the mark"
    );
    assert!(
        update(&mut app, Msg::DataVersion(Ok(5))).is_empty(),
        "nothing changed"
    );
    assert!(update(&mut app, Msg::DataVersion(Err("busy".into()))).is_empty());
    let cmds = update(&mut app, Msg::DataVersion(Ok(6)));
    assert!(matches!(cmds[0], Cmd::LoadDay { .. }), "{cmds:?}");
    assert!(
        cmds.contains(&Cmd::LoadProvider) && cmds.contains(&Cmd::LoadInbox { generation: 0 }),
        "{cmds:?}"
    );
    assert_eq!(
        Cmd::PollChanges.permission(),
        Some(StaffAction::ViewSchedule)
    );
}
