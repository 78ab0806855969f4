//! The lock screen and the Staff screen drawn (80×24 snapshots), and the Staff screen's
//! changes run on a real worker: attributed to the signed-in admin, a disabled member's
//! history kept, and nothing of the day's patients on a locked screen.

use chrono::Duration;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixture::{self, PIN, now, today};
use crate::config::Config;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::staff::Role;
use crate::store::{self, Store};
use crate::tui::app::{App, Screen, update};
use crate::tui::modal::Modal;
use crate::tui::msg::{Cmd, Msg};
use crate::tui::view;
use crate::tui::worker::Runner;

fn render(app: &mut App) -> String {
    update(
        app,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| view::draw(f, app)).unwrap();
    term.backend().to_string()
}

fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn drive(app: &mut App, r: &mut Runner, cmds: Vec<Cmd>) {
    let mut queue = cmds;
    while !queue.is_empty() {
        let cmd = queue.remove(0);
        if let Some(msg) = r.run(cmd) {
            queue.extend(update(app, msg));
        }
    }
}

/// Every fixture patient's family name: none may show on a locked screen.
const NAMES: [&str; 7] = [
    "Lovelace", "Nguyễn", "Okonkwo", "García", "Berg", "Hopper", "Zhang",
];

const HINT: [&str; 2] = [
    "Demo accounts (invented; type one):",
    "maya / 246810  (reception)",
];

#[test]
fn lock_screen_80x24_masks_the_pin_and_shows_the_demo_accounts() {
    let mut app = App::new(&Config::default(), today(), Some("Demo practice".into()));
    app.sign_in_hint = HINT.map(String::from).to_vec();
    typed(&mut app, "maya");
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "2468");
    let screen = render(&mut app);
    let field = screen.lines().find(|l| l.contains("PIN/password")).unwrap();
    assert!(field.contains("••••") && !field.contains('2'), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn locked_80x24_after_idle_shows_nothing_of_the_day() {
    let (store, _) = fixture::store();
    let mut app = fixture::loaded_app(&store, 80, 24, None);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "Lovelace");
    let before = render(&mut app);
    assert!(
        NAMES.iter().any(|n| before.contains(n)),
        "the day shows names: {before}"
    );
    update(&mut app, Msg::Now(now()));
    update(&mut app, Msg::Now(now() + Duration::minutes(5)));
    assert!(app.lock.is_some());
    let screen = render(&mut app);
    for name in NAMES {
        assert!(
            !screen.contains(name),
            "{name} on the locked screen:\n{screen}"
        );
    }
    assert!(screen.contains("Locked after 5 min without a key; rosa was signed in."));
    insta::assert_snapshot!(screen);
}

/// Lee (admin) signed in on a worker, on the Staff screen with the list loaded.
fn admin_on_staff() -> (App, Runner, fixture::Ids) {
    let (store, ids) = fixture::store();
    let lee = fixture::member(&store, "lee");
    let mut app = fixture::loaded_app_as(&store, "lee", (80, 24), None);
    let mut r = Runner::new(store, Config::default(), fixture::clock(), Some(lee));
    let cmds = key(&mut app, KeyCode::Char('U'));
    drive(&mut app, &mut r, cmds);
    (app, r, ids)
}

fn staff_usernames(app: &App) -> Vec<String> {
    match &app.screen {
        Screen::Staff(s) => s.members.iter().map(|m| m.username.clone()).collect(),
        other => panic!("not the staff screen: {other:?}"),
    }
}

#[test]
fn staff_80x24() {
    let (mut app, _r, _) = admin_on_staff();
    assert_eq!(staff_usernames(&app).len(), 3);
    insta::assert_snapshot!(render(&mut app));
}

#[test]
fn adding_a_member_through_the_form_is_written_as_the_admin() {
    let (mut app, mut r, _) = admin_on_staff();
    key(&mut app, KeyCode::Char('a'));
    assert!(matches!(app.modals.last(), Some(Modal::StaffForm(_))));
    typed(&mut app, "Tomás");
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "Tomás Ruiz");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Right); // reception → manager
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "739104");
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "739104");
    // A username with an accent breaks the username rules: said in the form, nothing sent.
    let cmds = key(&mut app, KeyCode::Enter);
    assert!(cmds.is_empty(), "{cmds:?}");
    let Some(Modal::StaffForm(form)) = app.modals.last() else {
        panic!("form closed");
    };
    assert!(form.error.is_some());
    insta::assert_snapshot!("staff_add_form_refused_80x24", render(&mut app));
    // Fix the username: back to the first field, erase the ó.
    for _ in 0..4 {
        key(&mut app, KeyCode::BackTab);
    }
    for _ in 0..3 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "mas");
    let cmds = key(&mut app, KeyCode::Enter);
    let cmds = if cmds.is_empty() {
        // Enter moved through the fields; the last one saves.
        (0..4).flat_map(|_| key(&mut app, KeyCode::Enter)).collect()
    } else {
        cmds
    };
    drive(&mut app, &mut r, cmds);
    assert!(staff_usernames(&app).contains(&"tomas".to_string()));
    let toast = app.shared.toast.clone().unwrap();
    assert_eq!(toast.text, "tomas added as manager");
    let tomas = store::staff::by_username(r.store.test_conn(), "tomas")
        .unwrap()
        .unwrap();
    assert_eq!(tomas.role, Role::Manager);
    let lee = fixture::member(&r.store, "lee");
    let trail = store::audit::by_member(r.store.test_conn(), lee.id.0, 20).unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == "staff.add" && e.subject == format!("staff:{}", tomas.id)),
        "{trail:?}"
    );
}

#[test]
fn a_disabled_member_keeps_her_history_and_cannot_sign_in() {
    let (mut app, mut r, ids) = admin_on_staff();
    // Rosa marked an arrival earlier in the day.
    let rosa = fixture::member(&r.store, "rosa");
    r.actor = Some(rosa.clone());
    r.run(Cmd::SetStatus {
        id: ids.today[4],
        to: AppointmentStatus::Arrived,
    });
    r.actor = Some(fixture::member(&r.store, "lee"));
    // Select rosa and disable her (the form asks first).
    let at = staff_usernames(&app)
        .iter()
        .position(|u| u == "rosa")
        .unwrap();
    key(&mut app, KeyCode::Home);
    for _ in 0..at {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Char('d'));
    let cmds = key(&mut app, KeyCode::Enter);
    drive(&mut app, &mut r, cmds);
    assert_eq!(
        app.shared.toast.as_ref().unwrap().text,
        "rosa disabled; their history stays theirs"
    );
    let trail = store::audit::for_subject(
        r.store.test_conn(),
        &format!("appointment:{}", ids.today[4]),
    )
    .unwrap();
    assert_eq!(trail.last().unwrap().actor_id, Some(rosa.id.0));
    let msg = r.run(Cmd::SignIn {
        username: "rosa".into(),
        secret: crate::domain::staff::Secret::new(PIN),
    });
    assert!(
        matches!(&msg, Some(Msg::SignedIn(Err(e))) if e.contains("disabled")),
        "{msg:?}"
    );
}

#[test]
fn a_worker_signed_in_as_reception_refuses_staff_changes_itself() {
    let (store, _): (Store, _) = fixture::store();
    let rosa = fixture::member(&store, "rosa");
    let mut r = Runner::new(store, Config::default(), fixture::clock(), Some(rosa));
    let msg = r.run(Cmd::ChangeStaff(crate::tui::msg::StaffChange::Disable {
        username: "omar".into(),
    }));
    assert!(
        matches!(&msg, Some(Msg::StaffChanged { result: Err(e), .. }) if e.contains("may not manage staff accounts")),
        "{msg:?}"
    );
}

#[test]
fn help_dims_the_staff_keys_for_a_receptionist_and_not_for_an_admin() {
    let (store, _) = fixture::store();
    let help = |username: &str| {
        let app = fixture::loaded_app_as(&store, username, (80, 24), None);
        crate::tui::screens::help::lines(76, &app.shared)
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
    };
    let line = |lines: &[String], text: &str| {
        lines
            .iter()
            .find(|l| l.contains(text))
            .cloned()
            .unwrap_or_else(|| panic!("{text} not in help: {lines:?}"))
    };
    let rosa = help("rosa");
    assert!(line(&rosa, "staff accounts (admins)").contains("not for your role"));
    assert!(line(&rosa, "add a member of staff").contains("not for your role"));
    assert!(!line(&rosa, "mark arrived").contains("not for your role"));
    let lee = help("lee");
    assert!(!line(&lee, "staff accounts (admins)").contains("not for your role"));
}

#[test]
fn lock_and_staff_screens_draw_at_every_size_without_panicking() {
    let (mut admin, _r, _) = admin_on_staff();
    key(&mut admin, KeyCode::Char('a'));
    let mut locked = App::new(&Config::default(), today(), Some("Demo practice".into()));
    locked.sign_in_hint = HINT.map(String::from).to_vec();
    if let Some(lock) = locked.lock.as_mut() {
        lock.failed("too many wrong tries: the account is locked until 09:35".into());
    }
    for app in [&mut admin, &mut locked] {
        for (w, h) in [
            (1, 1),
            (20, 5),
            (59, 11),
            (60, 12),
            (61, 13),
            (80, 24),
            (200, 60),
        ] {
            update(
                app,
                Msg::Resize {
                    width: w,
                    height: h,
                },
            );
            let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
            term.draw(|f| view::draw(f, app)).unwrap();
        }
    }
}
