//! The closure / schedule-change notice screen (C from the day view, managers) through
//! `update` and the real worker: the window checked as typed, the notice gated as typed, the
//! preview of who gets it and who not, the send behind a confirm box, the call-back list and
//! the rebooking marks. Snapshots at 80×24 and 120×40.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixture::{self, Ids};
use crate::config::Config;
use crate::domain::report::SendOutcome;
use crate::domain::staff::Action as StaffAction;
use crate::store;
use crate::tui::app::{App, Screen, update};
use crate::tui::modal::Modal;
use crate::tui::msg::{Cmd, Msg};
use crate::tui::screens::closure::{ClosureState, Field, Phase};
use crate::tui::strings::closure as words;
use crate::tui::view;
use crate::tui::worker::Runner;

fn signed_in(username: &str) -> (App, Runner, Ids) {
    let (store, ids) = fixture::store();
    let mut r = fixture::runner_as(store, username);
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
    fixture::settle(&mut app, &mut r, cmds);
    (app, r, ids)
}

fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Cmd> {
    update(app, Msg::Key(KeyEvent::new(code, mods)))
}

fn key(app: &mut App, r: &mut Runner, code: KeyCode) {
    let cmds = press(app, code, KeyModifiers::NONE);
    fixture::settle(app, r, cmds);
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        assert!(press(app, KeyCode::Char(c), KeyModifiers::NONE).is_empty());
    }
}

fn erase(app: &mut App, n: usize) {
    for _ in 0..n {
        press(app, KeyCode::Backspace, KeyModifiers::NONE);
    }
}

fn screen(app: &App) -> &ClosureState {
    match &app.screen {
        Screen::Closure(s) => s,
        other => panic!("not the closure screen: {other:?}"),
    }
}

fn render(app: &mut App, width: u16, height: u16) -> String {
    update(app, Msg::Resize { width, height });
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| view::draw(f, app)).unwrap();
    term.backend().to_string()
}

/// Tomorrow (Thursday 26 November) 08:00–18:00: Alexandra at 09:00 (no consent) and Grace at
/// 14:00 (opted in) are booked.
fn fill_window(app: &mut App) {
    type_text(app, "2026-11-26 08:00");
    assert!(press(app, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    type_text(app, "2026-11-26 18");
    assert_eq!(screen(app).field, Field::To);
    assert!(
        screen(app)
            .draft(&app.shared)
            .unwrap_err()
            .starts_with("To:")
    );
    type_text(app, ":00");
    press(app, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(screen(app).field, Field::Who);
    assert!(press(app, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    assert_eq!(screen(app).field, Field::Text);
}

const WORDS: &str = "We are closed tomorrow (water leak). We will call you to rebook.";

#[test]
fn a_manager_announces_a_closure_and_the_unreachable_go_on_the_call_back_list() {
    let (mut app, mut r, _) = signed_in("omar");
    key(&mut app, &mut r, KeyCode::Char('C'));
    assert_eq!(screen(&app).phase, Phase::Editing);
    fill_window(&mut app);

    // Clinical words are found as they are typed; Enter shows nothing and says why.
    type_text(&mut app, "Closed tomorrow; your insulin refill will wait");
    let refusal = screen(&app).compose.check.refusal.clone();
    assert!(refusal.is_some(), "{:?}", screen(&app).compose.check);
    assert!(press(&mut app, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    assert!(
        app.shared
            .toast
            .as_ref()
            .unwrap()
            .text
            .starts_with("Notice:")
    );
    erase(&mut app, 60);
    type_text(&mut app, WORDS);
    assert_eq!(screen(&app).compose.check.refusal, None);

    // Sending before seeing who gets it is refused.
    assert!(press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL).is_empty());
    assert_eq!(
        app.shared.toast.as_ref().unwrap().text,
        words::PREVIEW_FIRST
    );

    let cmds = press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert!(
        matches!(cmds.as_slice(), [Cmd::PreviewClosure(d)] if d.text == WORDS),
        "{cmds:?}"
    );
    assert_eq!(cmds[0].permission(), Some(StaffAction::SendClosureNotice));
    fixture::settle(&mut app, &mut r, cmds);
    let s = screen(&app);
    assert_eq!(s.phase, Phase::Preview);
    let v = &s.view.as_ref().unwrap().1;
    assert_eq!(v.lines.len(), 2, "{v:?}");
    assert_eq!(v.counts(), (1, 1));
    assert!(v.lines[0].name.starts_with("Okonkwo-Whitfield") && v.lines[0].line.callback);
    assert_eq!(v.lines[1].line.outcome, SendOutcome::WouldSend);
    assert!(
        store::callbacks::open(r.store.test_conn())
            .unwrap()
            .is_empty(),
        "a preview writes nothing"
    );
    insta::assert_snapshot!("closure_preview_80x24", render(&mut app, 80, 24));
    insta::assert_snapshot!("closure_preview_120x40", render(&mut app, 120, 40));
    render(&mut app, 80, 24);

    // Ctrl-S asks first; no sends nothing; yes sends through the worker.
    assert!(press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL).is_empty());
    assert!(matches!(app.modals.last(), Some(Modal::Ask(_))));
    insta::assert_snapshot!("closure_ask_80x24", render(&mut app, 80, 24));
    assert!(press(&mut app, KeyCode::Char('n'), KeyModifiers::NONE).is_empty());
    assert!(app.modals.is_empty());
    press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
    let cmds = press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert!(matches!(cmds.as_slice(), [Cmd::SendClosure(_)]), "{cmds:?}");
    assert!(
        matches!(app.modals.last(), Some(Modal::Ask(a)) if a.running),
        "the box says it works"
    );
    fixture::settle(&mut app, &mut r, cmds);
    assert!(app.modals.is_empty(), "the answer closes the box");
    let s = screen(&app);
    assert_eq!(s.phase, Phase::Done);
    let v = &s.view.as_ref().unwrap().1;
    assert!(v.lines.iter().all(|l| l.rebook), "{v:?}");
    assert_eq!(v.lines[1].line.outcome, SendOutcome::InOutbox);
    assert_eq!(
        app.shared.inbox_counts,
        Some((0, 1)),
        "the footer counts the call-back"
    );
    insta::assert_snapshot!("closure_sent_80x24", render(&mut app, 80, 24));
    insta::assert_snapshot!("closure_sent_120x40", render(&mut app, 120, 40));

    // Back on the day view, tomorrow's visits read "rebook".
    key(&mut app, &mut r, KeyCode::Esc);
    key(&mut app, &mut r, KeyCode::Right);
    let day = render(&mut app, 80, 24);
    let rows = day
        .lines()
        .filter(|l| l.contains("Dr. ") && l.contains(" rebook "));
    assert_eq!(rows.count(), 2, "{day}");
    assert!(
        day.contains("Dr. Okafor · rebook"),
        "the selected visit says so first: {day}"
    );
}

#[test]
fn the_window_is_checked_as_typed_and_a_list_goes_stale_when_the_words_change() {
    let (mut app, mut r, _) = signed_in("omar");
    key(&mut app, &mut r, KeyCode::Char('C'));
    type_text(&mut app, "2026-11-26 18:00");
    press(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    type_text(&mut app, "2026-11-26 08:00xyz");
    assert_eq!(
        screen(&app).to,
        "2026-11-26 08:00",
        "letters do not go into a time"
    );
    assert!(render(&mut app, 80, 24).contains(words::END_BEFORE_START));
    press(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    press(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    type_text(&mut app, WORDS);
    assert!(press(&mut app, KeyCode::Enter, KeyModifiers::NONE).is_empty());
    assert!(
        app.shared
            .toast
            .as_ref()
            .unwrap()
            .text
            .contains(words::END_BEFORE_START)
    );
    // Fix the window: the preview comes; then changing a word makes it stale.
    for _ in 0..3 {
        press(&mut app, KeyCode::BackTab, KeyModifiers::NONE);
    }
    assert_eq!(screen(&app).field, Field::From);
    erase(&mut app, 5);
    type_text(&mut app, "07:00");
    press(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    erase(&mut app, 5);
    type_text(&mut app, "18:00");
    press(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    // A schedule change for one clinician: Dr. Nguyen's visits only (Grace at 14:00).
    assert_eq!(
        screen(&app).clinicians.len(),
        3,
        "loaded when the screen opened"
    );
    press(&mut app, KeyCode::Right, KeyModifiers::NONE);
    assert_eq!(screen(&app).clinician().unwrap().1, "Dr. Nguyen");
    assert!(render(&mut app, 80, 24).contains("only Dr. Nguyen's visits"));
    press(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    let cmds = press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert!(
        matches!(&cmds[..], [Cmd::PreviewClosure(d)] if d.clinician.is_some()),
        "{cmds:?}"
    );
    fixture::settle(&mut app, &mut r, cmds);
    assert_eq!(screen(&app).phase, Phase::Preview);
    let v = &screen(&app).view.as_ref().unwrap().1;
    assert_eq!(v.lines.len(), 1, "{v:?}");
    assert!(v.lines[0].name.starts_with("Hopper"));
    type_text(&mut app, " Sorry!");
    assert_eq!(screen(&app).phase, Phase::Editing);
    assert!(render(&mut app, 80, 24).contains(words::EDITED));
    assert!(press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL).is_empty());
    assert!(app.modals.is_empty(), "a stale list is never sent");
    // Words typed while a preview is on its way: the list is for the words it was asked for.
    let cmds = press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    type_text(&mut app, " Again.");
    fixture::settle(&mut app, &mut r, cmds);
    assert!(
        !screen(&app)
            .view
            .as_ref()
            .unwrap()
            .0
            .text
            .ends_with("Again.")
    );
    assert_eq!(screen(&app).phase, Phase::Editing);
    assert!(press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL).is_empty());
    assert!(
        app.modals.is_empty(),
        "the list on screen is not for these words"
    );
    // Esc leaves without sending anything.
    key(&mut app, &mut r, KeyCode::Esc);
    assert!(matches!(app.screen, Screen::Day(_)));
    assert!(
        store::callbacks::open(r.store.test_conn())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn reception_announces_a_closure_and_no_one_signed_out_can() {
    let (mut app, mut r, _) = signed_in("rosa");
    key(&mut app, &mut r, KeyCode::Char('C'));
    assert!(
        matches!(app.screen, Screen::Closure(_)),
        "the desk opens it"
    );
    let draft = crate::tui::msg::ClosureDraft {
        from: fixture::now(),
        to: fixture::now() + chrono::Duration::hours(8),
        clinician: None,
        text: WORDS.into(),
    };
    let send = Cmd::SendClosure(draft);
    assert_eq!(
        crate::tui::app::refusal(app.shared.member.as_ref(), &send),
        None
    );
    // Without a signed-in member the one gate drops it.
    assert!(crate::tui::app::refusal(None, &send).is_some());
}
