//! The portal prompt to several patients (SPEC §3.5): rows marked with space on the day
//! view, P opens the screen, ←/→ picks the prompt, each patient's rendered text previewed as
//! the gate and the rules judge it, Enter asks, y sends through `send::portal_prompts` (the
//! single prompt's path); results per patient. Snapshots at 80×24 and 120×40.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixture::{self, today};
use crate::config::Config;
use crate::domain::message::MessageKind;
use crate::domain::report::SendOutcome;
use crate::domain::staff::Action as StaffAction;
use crate::store;
use crate::tui::app::{App, Screen, update};
use crate::tui::msg::{Cmd, Msg};
use crate::tui::screens::prompts::{Phase, PromptsState};
use crate::tui::view;
use crate::tui::worker::Runner;

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

fn prompts(app: &App) -> &PromptsState {
    match &app.screen {
        Screen::Prompts(p) => p,
        other => panic!("{other:?}"),
    }
}

#[test]
fn marked_patients_get_one_prompt_each_through_the_single_prompts_path() {
    let (store, ids) = fixture::store();
    let mut r = fixture::runner_as(store, "rosa");
    let mut app = App::new(&Config::default(), today(), None);
    update(
        &mut app,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    let member = r.actor.clone().unwrap();
    let cmds = update(&mut app, Msg::SignedIn(Ok(member)));
    fixture::settle(&mut app, &mut r, cmds);
    // Mark Ada (09:00, opted in), Alexandra (10:00, no consent), José (10:30, opted out).
    key(&mut app, &mut r, KeyCode::Home);
    for (downs, _) in [(2, "Ada"), (2, "Alexandra"), (1, "José")] {
        for _ in 0..downs {
            key(&mut app, &mut r, KeyCode::Down);
        }
        key(&mut app, &mut r, KeyCode::Char(' '));
    }
    let day = render(&mut app, 80, 24);
    assert!(
        day.contains("3 marked — P: portal prompt") && day.contains("• Lovelace"),
        "{day}"
    );
    // Space again unmarks.
    key(&mut app, &mut r, KeyCode::Char(' '));
    key(&mut app, &mut r, KeyCode::Char(' '));
    key(&mut app, &mut r, KeyCode::Char('P'));
    let p = prompts(&app);
    assert_eq!(p.patients.len(), 3);
    assert_eq!(p.phase, Phase::Preview);
    let report = p.report.as_ref().unwrap();
    let ada = report
        .lines
        .iter()
        .find(|l| l.patient_id == ids.ada)
        .unwrap();
    assert_eq!(ada.outcome, SendOutcome::WouldSend);
    assert!(
        ada.body.as_deref().unwrap().contains("new secure message"),
        "{ada:?}"
    );
    let jose = report
        .lines
        .iter()
        .find(|l| l.patient_id == ids.jose)
        .unwrap();
    assert_eq!(jose.outcome, SendOutcome::Skipped, "{jose:?}");
    assert_eq!(p.will_send(), 1);
    insta::assert_snapshot!("prompts_preview_80x24", render(&mut app, 80, 24));
    insta::assert_snapshot!("prompts_preview_120x40", render(&mut app, 120, 40));

    // → another prompt: previewed again.
    let cmds = press(&mut app, KeyCode::Right);
    assert!(
        matches!(
            &cmds[..],
            [Cmd::PreviewPrompts {
                kind: MessageKind::PortalResultsReady,
                ..
            }]
        ),
        "{cmds:?}"
    );
    assert_eq!(cmds[0].permission(), Some(StaffAction::SendPortalPrompt));
    fixture::settle(&mut app, &mut r, cmds);
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "Enter asks first"
    );
    assert_eq!(prompts(&app).phase, Phase::Confirming);
    let cmds = press(&mut app, KeyCode::Char('y'));
    assert!(matches!(&cmds[..], [Cmd::SendPrompts { patients, .. }] if patients.len() == 3));
    assert_eq!(cmds[0].permission(), Some(StaffAction::SendPortalPrompt));
    fixture::settle(&mut app, &mut r, cmds);
    let p = prompts(&app);
    assert_eq!(p.phase, Phase::Done);
    let lines = &p.report.as_ref().unwrap().lines;
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.outcome == SendOutcome::InOutbox)
            .count(),
        1
    );
    insta::assert_snapshot!("prompts_results_80x24", render(&mut app, 80, 24));
    // The row is the single prompt's: its key, its kind, written as the desk member.
    let msgs = store::messages::for_patient(r.store.test_conn(), ids.ada).unwrap();
    let prompt = msgs
        .iter()
        .find(|m| m.kind == MessageKind::PortalResultsReady)
        .unwrap();
    assert_eq!(prompt.created_by, "rosa");
    assert!(
        prompt
            .idempotency_key
            .as_deref()
            .unwrap()
            .starts_with("portal:")
    );
    // Sending the same again the same day is recognised, not sent twice.
    let again = r.run(Cmd::SendPrompts {
        patients: vec![ids.ada],
        kind: MessageKind::PortalResultsReady,
    });
    let Some(Msg::Prompts {
        result: Ok(rep), ..
    }) = again
    else {
        panic!("{again:?}")
    };
    assert_eq!(rep.lines[0].outcome, SendOutcome::AlreadySent);
    press(&mut app, KeyCode::Esc);
    assert!(matches!(app.screen, Screen::Day(_)));
}

#[test]
fn patients_found_by_search_are_marked_with_ctrl_t_for_the_same_screen() {
    let (store, _) = fixture::store();
    let mut r = fixture::runner_as(store, "rosa");
    let mut app = App::new(&Config::default(), today(), None);
    update(
        &mut app,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    let member = r.actor.clone().unwrap();
    let cmds = update(&mut app, Msg::SignedIn(Ok(member)));
    fixture::settle(&mut app, &mut r, cmds);
    key(&mut app, &mut r, KeyCode::Char('/'));
    for c in "hopper".chars() {
        key(&mut app, &mut r, KeyCode::Char(c));
    }
    let ctrl_t = KeyEvent::new(KeyCode::Char('t'), KeyModifiers::CONTROL);
    assert!(update(&mut app, Msg::Key(ctrl_t)).is_empty());
    assert!(
        app.shared
            .toast
            .as_ref()
            .unwrap()
            .text
            .starts_with("Marked for a portal prompt (1 marked"),
        "{:?}",
        app.shared.toast
    );
    assert!(
        !app.modals.is_empty(),
        "the search stays open for the next name"
    );
    key(&mut app, &mut r, KeyCode::Esc);
    key(&mut app, &mut r, KeyCode::Char('P'));
    let p = prompts(&app);
    assert_eq!(p.patients.len(), 1);
    assert_eq!(p.patients[0].1, "Hopper, Grace");
}
