//! Sign-in, the lock and roles in the console: `update` fed with keys, clock readings and the
//! worker's answers, and an App driven against a real Runner (Argon2id, lockout, audit).

use crate::domain::batch::window::LocalWindow;
use chrono::{DateTime, Duration, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixture::{self, DayView, PIN, now, today};
use crate::config::Config;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::ConsentMethod;
use crate::domain::ids::AppointmentId;
use crate::domain::ids::PatientId;
use crate::domain::inbox::{InboxEntry, ReplyAction};
use crate::domain::message::MessageKind;
use crate::domain::staff::{Member, Role, Secret};
use crate::domain::stats::{Period, Preset};
use crate::store::{self, Store};
use crate::tui::app::{App, Screen, refusal, update};
use crate::tui::msg::{Cmd, Msg, StaffChange};
use crate::tui::screens::lock::{Field, LockReason};
use crate::tui::worker::Runner;
use crate::workflow::manager_views::AuditQuery;

fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn runner(store: Store) -> Runner {
    Runner::new(store, Config::default(), fixture::clock(), None)
}

/// Run `cmds` on the worker and feed every answer back, until nothing is left to run.
fn drive(app: &mut App, r: &mut Runner, cmds: Vec<Cmd>) {
    let mut queue = cmds;
    while !queue.is_empty() {
        let cmd = queue.remove(0);
        if let Some(msg) = r.run(cmd) {
            queue.extend(update(app, msg));
        }
    }
}

/// Type a username and secret on the lock screen and press Enter; the command it sends.
fn sign_in_keys(app: &mut App, username: &str, secret: &str) -> Vec<Cmd> {
    key(app, KeyCode::Esc); // clear what is there
    typed(app, username);
    key(app, KeyCode::Tab);
    typed(app, secret);
    key(app, KeyCode::Enter)
}

fn at(minutes: i64) -> DateTime<Utc> {
    now() + Duration::minutes(minutes)
}

#[test]
fn the_console_opens_locked_and_enter_sends_the_typed_secret_to_the_worker_only() {
    let mut app = App::new(&Config::default(), today(), None);
    assert_eq!(app.context(), crate::tui::keymap::Context::Lock);
    // Day keys do nothing while locked: 'a' is a letter of the username.
    assert!(key(&mut app, KeyCode::Char('a')).is_empty());
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "Rosa");
    assert!(
        key(&mut app, KeyCode::Enter).is_empty(),
        "Enter moves to the PIN"
    );
    let lock = app.lock.as_ref().unwrap();
    assert_eq!(
        (lock.username.as_str(), lock.focus),
        ("Rosa", Field::Secret)
    );
    typed(&mut app, PIN);
    assert_eq!(app.lock.as_ref().unwrap().secret_len(), 6);
    assert!(
        !format!("{app:?}").contains(PIN),
        "the secret never shows in Debug"
    );
    let cmds = key(&mut app, KeyCode::Enter);
    assert_eq!(
        cmds,
        vec![Cmd::SignIn {
            username: "Rosa".into(),
            secret: Secret::new(PIN)
        }]
    );
    let lock = app.lock.as_ref().unwrap();
    assert!(lock.checking);
    assert_eq!(lock.secret_len(), 0, "the secret left with the command");
    assert!(
        key(&mut app, KeyCode::Enter).is_empty(),
        "one check at a time"
    );
}

#[test]
fn enter_without_a_username_or_secret_says_what_is_missing() {
    let mut app = App::new(&Config::default(), today(), None);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, PIN);
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    let lock = app.lock.as_ref().unwrap();
    assert_eq!(lock.error.as_deref(), Some("Type your username first."));
    assert_eq!(lock.focus, Field::Username);
}

#[test]
fn wrong_pins_count_down_then_lock_the_account_through_the_console() {
    let (store, _) = fixture::store();
    let mut r = runner(store);
    let mut app = App::new(&Config::default(), today(), None);
    for left in [4, 3, 2, 1] {
        let cmds = sign_in_keys(&mut app, "rosa", "000111");
        drive(&mut app, &mut r, cmds);
        let error = app.lock.as_ref().unwrap().error.clone().unwrap();
        let tries = if left == 1 { "try" } else { "tries" };
        assert!(
            error.contains(&format!("{left} {tries} left before a 5-minute lock")),
            "{error}"
        );
    }
    let cmds = sign_in_keys(&mut app, "rosa", "000111");
    drive(&mut app, &mut r, cmds);
    let error = app.lock.as_ref().unwrap().error.clone().unwrap();
    // 09:30 + 5 minutes, in the practice's zone.
    assert!(error.contains("locked until 09:35"), "{error}");
    // The right PIN is not even checked while locked.
    let cmds = sign_in_keys(&mut app, "rosa", PIN);
    drive(&mut app, &mut r, cmds);
    assert!(app.lock.is_some(), "still locked");
    assert!(r.actor.is_none());
    let conn = r.store.test_conn();
    let rosa = store::staff::by_username(conn, "rosa").unwrap().unwrap();
    assert!(rosa.locked_until(now()).is_some());
}

#[test]
fn signing_in_on_the_worker_starts_the_day_and_every_change_names_the_member() {
    let (store, ids) = fixture::store();
    let mut r = runner(store);
    let mut app = App::new(&Config::default(), today(), None);
    let cmds = sign_in_keys(&mut app, "rosa", PIN);
    drive(&mut app, &mut r, cmds);
    assert!(app.lock.is_none());
    assert_eq!(app.shared.member.as_ref().unwrap().username, "rosa");
    assert!(
        app.day().sheet.is_some(),
        "the day loaded after the sign-in"
    );
    drive(
        &mut app,
        &mut r,
        vec![Cmd::SetStatus {
            id: ids.today[4],
            to: AppointmentStatus::Arrived,
        }],
    );
    let rosa = fixture::member(&r.store, "rosa");
    let trail = store::audit::for_subject(
        r.store.test_conn(),
        &format!("appointment:{}", ids.today[4]),
    )
    .unwrap();
    assert_eq!(trail.last().unwrap().actor, "rosa");
    assert_eq!(trail.last().unwrap().actor_id, Some(rosa.id.0));
    let signed = store::audit::by_member(r.store.test_conn(), rosa.id.0, 10).unwrap();
    assert!(signed.iter().any(|e| e.action == "staff.sign_in"));
}

#[test]
fn before_anyone_signs_in_the_worker_writes_nothing() {
    let (store, ids) = fixture::store();
    let mut r = runner(store);
    let msg = r.run(Cmd::SetStatus {
        id: ids.today[4],
        to: AppointmentStatus::Arrived,
    });
    assert!(
        matches!(&msg, Some(Msg::StatusSet { result: Err(e), .. }) if e == "nobody is signed in"),
        "{msg:?}"
    );
    let appt = store::appointments::get(r.store.test_conn(), ids.today[4]).unwrap();
    assert_eq!(appt.status, AppointmentStatus::Booked);
}

/// A signed-in app with its clock read at `at(0)`.
fn signed_in(store: &Store, username: &str) -> App {
    let mut app = fixture::loaded_app_as(store, username, (80, 24), None);
    update(&mut app, Msg::Now(at(0)));
    app
}

#[test]
fn idle_for_the_configured_minutes_locks_and_hides_the_toast() {
    let (store, _) = fixture::store();
    let mut app = signed_in(&store, "rosa");
    assert_eq!(Config::default().security.idle_lock_minutes, 5);
    update(&mut app, Msg::Now(at(2)));
    key(&mut app, KeyCode::Down); // a key at 09:32 restarts the count
    app.shared.toast(
        crate::tui::shared::ToastKind::Info,
        "10:00 Okonkwo-Whitfield — marked arrived".into(),
    );
    update(&mut app, Msg::Now(at(6)));
    assert!(app.lock.is_none(), "4 minutes after the last key");
    update(&mut app, Msg::Now(at(7)));
    let lock = app.lock.as_ref().expect("locked after 5 idle minutes");
    assert_eq!(lock.reason, LockReason::Idle(5));
    assert_eq!(lock.username, "rosa");
    assert_eq!(lock.focus, Field::Secret);
    assert!(app.shared.toast.is_none(), "a toast may name a patient");
}

#[test]
fn capital_l_locks_at_once_and_day_keys_stop_working() {
    let (store, _) = fixture::store();
    let mut app = signed_in(&store, "rosa");
    assert_eq!(
        key(&mut app, KeyCode::Char('L')),
        vec![Cmd::Locked],
        "the worker is told"
    );
    assert_eq!(app.lock.as_ref().unwrap().reason, LockReason::Manual);
    assert!(
        update(&mut app, Msg::PollDue).is_empty(),
        "a locked console polls nothing"
    );
    assert!(key(&mut app, KeyCode::Char('x')).is_empty());
    assert!(app.modals.is_empty(), "x typed a letter, opened nothing");
}

#[test]
fn the_same_member_returns_to_the_same_day_and_row_and_another_starts_fresh() {
    let (store, _) = fixture::store();
    let mut app = signed_in(&store, "rosa");
    let cmds = key(&mut app, KeyCode::Right);
    let Some(&Cmd::LoadDay { generation, date }) = cmds.first() else {
        panic!("{cmds:?}");
    };
    update(
        &mut app,
        Msg::DayLoaded {
            generation,
            now: now(),
            result: Ok(fixture::sheet(&store, date)),
        },
    );
    key(&mut app, KeyCode::Down);
    let (day, row) = (app.day().date, app.day().selected);
    assert!(row.is_some());
    key(&mut app, KeyCode::Char('L'));
    let cmds = update(&mut app, Msg::SignedIn(Ok(fixture::member(&store, "rosa"))));
    assert!(app.lock.is_none());
    assert_eq!((app.day().date, app.day().selected), (day, row));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::LoadDay { date, .. } if *date == day)),
        "the same day is refreshed: {cmds:?}"
    );

    key(&mut app, KeyCode::Char('/'));
    key(&mut app, KeyCode::Char('L'));
    assert!(app.lock.is_none(), "L is a letter in the search box");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('L'));
    let cmds = update(&mut app, Msg::SignedIn(Ok(fixture::member(&store, "omar"))));
    assert_eq!(app.day().date, today(), "another member starts on today");
    assert_eq!(app.day().selected, None);
    assert!(app.modals.is_empty());
    assert_eq!(app.shared.member.as_ref().unwrap().username, "omar");
    assert!(cmds.contains(&Cmd::LoadProvider), "{cmds:?}");
}

/// One of every command (the match below fails to compile when a command is added, so the
/// matrix cannot forget one).
fn every_cmd() -> Vec<Cmd> {
    let all = vec![
        Cmd::LoadDay {
            generation: 1,
            date: today(),
        },
        Cmd::LoadCells {
            generation: 1,
            date: today(),
        },
        Cmd::ExpectDay {
            date: Some(today()),
        },
        Cmd::Locked,
        Cmd::Search {
            generation: 1,
            query: "a".into(),
        },
        Cmd::SetStatus {
            id: AppointmentId(1),
            to: AppointmentStatus::Arrived,
        },
        Cmd::LoadProvider,
        Cmd::Quit,
        Cmd::SignIn {
            username: "rosa".into(),
            secret: Secret::new(PIN),
        },
        Cmd::ListStaff { generation: 1 },
        Cmd::ChangeStaff(StaffChange::Enable {
            username: "rosa".into(),
        }),
    ];
    let period = Period::preset(Preset::Last4Weeks, today());
    let managers = [
        Cmd::LoadStats {
            generation: 1,
            period,
        },
        Cmd::DrillStats {
            generation: 1,
            ids: Vec::new(),
        },
        Cmd::ExportStats { period },
        Cmd::LoadTemplates,
        Cmd::PreviewTemplate {
            generation: 1,
            kind: MessageKind::Reminder24h,
            body: String::new(),
        },
        Cmd::SaveTemplate {
            kind: MessageKind::Reminder24h,
            body: String::new(),
        },
        Cmd::LoadAudit {
            generation: 1,
            query: AuditQuery::default(),
        },
        Cmd::VerifyAudit,
        Cmd::ReviewCompliance,
        Cmd::ReviewConsent,
    ];
    let p = PatientId(1);
    let reception = [
        Cmd::LoadPatient {
            generation: 1,
            patient: p,
        },
        Cmd::RecordConsent {
            patient: p,
            method: ConsentMethod::WrittenForm,
            evidence: "FORM-1".into(),
            signed_on: today(),
        },
        Cmd::RecordOptOut {
            patient: p,
            method: ConsentMethod::WrittenForm,
        },
        Cmd::FixPhone {
            patient: p,
            number: "+15555550134".into(),
        },
        Cmd::SendPortalPrompt {
            patient: p,
            kind: MessageKind::PortalResultsReady,
        },
        Cmd::SendCustomText {
            patient: p,
            text: "Your ride is here.".into(),
        },
        Cmd::LoadInbox { generation: 1 },
        Cmd::HandleInbox {
            entry: InboxEntry::Callback {
                id: 1,
                reason: "closure".into(),
            },
        },
        Cmd::UndoStatus {
            id: AppointmentId(1),
            now_is: AppointmentStatus::Arrived,
            back_to: AppointmentStatus::Booked,
        },
        Cmd::PollChanges,
        Cmd::PreviewReminders {
            window: LocalWindow::day(today()),
        },
        Cmd::SendReminders {
            window: LocalWindow::day(today()),
        },
        Cmd::RetryReminders {
            ids: vec![crate::domain::ids::MessageId(1)],
        },
        Cmd::CancelReminders,
        Cmd::PreviewPrompts {
            patients: vec![p],
            kind: MessageKind::PortalNewMessage,
        },
        Cmd::SendPrompts {
            patients: vec![p],
            kind: MessageKind::PortalNewMessage,
        },
    ];
    let draft = crate::tui::msg::ClosureDraft {
        from: fixture::now(),
        to: fixture::now() + Duration::hours(4),
        clinician: None,
        text: "Closed this afternoon.".into(),
    };
    let message = crate::domain::ids::MessageId(1);
    let closure = [
        Cmd::ReplyAct {
            message,
            action: ReplyAction::Confirm,
        },
        Cmd::ReplyAct {
            message,
            action: ReplyAction::Flag,
        },
        Cmd::ReplyAct {
            message,
            action: ReplyAction::OptOut,
        },
        Cmd::LoadClinicians,
        Cmd::PreviewClosure(draft.clone()),
        Cmd::SendClosure(draft),
    ];
    let all: Vec<Cmd> = all
        .into_iter()
        .chain(managers)
        .chain(reception)
        .chain(closure)
        .collect();
    for cmd in &all {
        match cmd {
            Cmd::LoadDay { .. }
            | Cmd::LoadCells { .. }
            | Cmd::ExpectDay { .. }
            | Cmd::Locked
            | Cmd::Search { .. }
            | Cmd::SetStatus { .. }
            | Cmd::LoadProvider
            | Cmd::Quit
            | Cmd::SignIn { .. }
            | Cmd::ListStaff { .. }
            | Cmd::ChangeStaff(_)
            | Cmd::LoadStats { .. }
            | Cmd::DrillStats { .. }
            | Cmd::ExportStats { .. }
            | Cmd::LoadTemplates
            | Cmd::PreviewTemplate { .. }
            | Cmd::SaveTemplate { .. }
            | Cmd::LoadAudit { .. }
            | Cmd::VerifyAudit
            | Cmd::ReviewCompliance
            | Cmd::ReviewConsent
            | Cmd::LoadPatient { .. }
            | Cmd::RecordConsent { .. }
            | Cmd::RecordOptOut { .. }
            | Cmd::FixPhone { .. }
            | Cmd::SendPortalPrompt { .. }
            | Cmd::SendCustomText { .. }
            | Cmd::LoadInbox { .. }
            | Cmd::HandleInbox { .. }
            | Cmd::UndoStatus { .. }
            | Cmd::PollChanges
            | Cmd::ReplyAct { .. }
            | Cmd::LoadClinicians
            | Cmd::PreviewClosure(_)
            | Cmd::SendClosure(_)
            | Cmd::PreviewReminders { .. }
            | Cmd::SendReminders { .. }
            | Cmd::RetryReminders { .. }
            | Cmd::CancelReminders
            | Cmd::PreviewPrompts { .. }
            | Cmd::SendPrompts { .. } => {}
        }
    }
    all
}

/// What each role may ask the console for, written out (not derived from the table).
fn expected(role: Role, cmd: &Cmd) -> bool {
    match cmd {
        Cmd::ListStaff { .. } | Cmd::ChangeStaff(_) => role == Role::Admin,
        // Anyone at the desk may read the templates (they are what patients receive).
        Cmd::LoadTemplates | Cmd::PreviewTemplate { .. } => true,
        Cmd::LoadStats { .. }
        | Cmd::DrillStats { .. }
        | Cmd::ExportStats { .. }
        | Cmd::SaveTemplate { .. }
        | Cmd::LoadAudit { .. }
        | Cmd::VerifyAudit
        | Cmd::ReviewCompliance
        | Cmd::ReviewConsent => role != Role::Reception,
        _ => true,
    }
}

#[test]
fn role_matrix_every_command_for_every_role() {
    for role in Role::ALL {
        let member = Member {
            id: crate::domain::staff::StaffId(1),
            username: "someone".into(),
            role,
        };
        for cmd in every_cmd() {
            let refused = refusal(Some(&member), &cmd);
            assert_eq!(
                refused.is_none(),
                expected(role, &cmd),
                "{role} {cmd:?}: {refused:?}"
            );
            if let Some(why) = refused {
                assert!(
                    why.contains("needs an admin") || why.contains("needs a manager"),
                    "{why}"
                );
            }
            // Nobody signed in: only quitting and signing in (and telling the worker the
            // console locked, which only stops work).
            let anonymous = refusal(None, &cmd).is_none();
            assert_eq!(
                anonymous,
                matches!(cmd, Cmd::Quit | Cmd::SignIn { .. } | Cmd::Locked),
                "{cmd:?}"
            );
        }
    }
}

#[test]
fn a_receptionist_or_manager_pressing_u_is_refused_and_an_admin_opens_staff() {
    let (store, _) = fixture::store();
    for (username, opens) in [("rosa", false), ("omar", false), ("lee", true)] {
        let mut app = signed_in(&store, username);
        let cmds = key(&mut app, KeyCode::Char('U'));
        match &app.screen {
            Screen::Staff(_) => {
                assert!(opens, "{username} opened the staff screen");
                assert!(
                    matches!(cmds.as_slice(), [Cmd::ListStaff { .. }]),
                    "{cmds:?}"
                );
            }
            Screen::Day(_) => {
                assert!(!opens, "{username} was refused");
                assert!(cmds.is_empty());
                let toast = app.shared.toast.as_ref().unwrap();
                assert!(
                    toast
                        .text
                        .contains("may not list staff accounts; it needs an admin"),
                    "{}",
                    toast.text
                );
            }
            _ => panic!("{username}: neither the day view nor the staff screen"),
        }
        // The footer only offers the staff key to whoever may use it.
        assert_eq!(app.shared.may(crate::tui::msg::Action::OpenStaff), opens);
    }
}

/// A member's own account disabled while she is signed in (by another admin's desk, or by
/// herself on the Staff screen): the console locks and tells the worker (`Cmd::Locked`), which
/// lets go of every day and patient it kept — as a lock by key or idleness does.
#[test]
fn being_disabled_locks_the_console_and_tells_the_worker() {
    let (store, _) = fixture::store();
    let mut app = signed_in(&store, "rosa");
    let mut me = store::staff::by_username(store.test_conn(), "rosa")
        .unwrap()
        .unwrap();
    me.active = false;
    let cmds = update(
        &mut app,
        Msg::StaffChanged {
            change: crate::tui::msg::StaffChangeKind::Disabled,
            username: "rosa".into(),
            result: Ok(me),
        },
    );
    assert!(app.lock.is_some(), "locked");
    assert!(app.shared.member.is_none(), "and nobody signed in");
    assert!(cmds.iter().any(|c| matches!(c, Cmd::Locked)), "{cmds:?}");
}
