//! The templates and audit screens driven through `update` with a real worker on the demo
//! practice: every message they take, and snapshots at 80×24 and 120×40.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::managers::{app, demo_runner, press, settle};
use crate::domain::message::MessageKind;
use crate::tui::app::{App, Screen, update};
use crate::tui::msg::{Cmd, Msg};
use crate::tui::screens::audit::{AuditState, Part, Pending};
use crate::tui::screens::templates::TemplatesState;
use crate::tui::view;
use crate::tui::worker::Runner;

fn render(app: &App, width: u16, height: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| view::draw(f, app)).unwrap();
    term.backend().to_string()
}

fn open(key: char, width: u16, height: u16) -> (App, Runner) {
    let mut runner = demo_runner();
    let mut app = app(width, height);
    let cmds = app.start();
    settle(&mut app, &mut runner, cmds);
    press(&mut app, &mut runner, KeyCode::Char(key));
    (app, runner)
}

fn templates(app: &App) -> &TemplatesState {
    match &app.screen {
        Screen::Templates(t) => t,
        other => panic!("not the templates screen: {other:?}"),
    }
}

fn audit(app: &App) -> &AuditState {
    match &app.screen {
        Screen::Audit(a) => a,
        other => panic!("not the audit screen: {other:?}"),
    }
}

fn type_text(app: &mut App, runner: &mut Runner, text: &str) {
    for c in text.chars() {
        press(app, runner, KeyCode::Char(c));
    }
}

fn ctrl_s(app: &mut App, runner: &mut Runner) {
    let cmds = update(
        app,
        Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
    );
    settle(app, runner, cmds);
}

/// Select the 24-hour reminder and start editing it, the cursor at the end.
fn edit_reminder(app: &mut App, runner: &mut Runner) {
    let list = templates(app).list.clone().unwrap();
    let at = list
        .iter()
        .position(|t| t.kind == MessageKind::Reminder24h)
        .unwrap();
    for _ in 0..at {
        press(app, runner, KeyCode::Down);
    }
    press(app, runner, KeyCode::Enter);
}

#[test]
fn t_lists_every_template_with_a_preview_of_the_selected_one() {
    let (app, _) = open('T', 80, 24);
    let t = templates(&app);
    assert!(t.list.as_ref().unwrap().len() > 5);
    let p = t.preview.as_ref().expect("previewed");
    assert_eq!(p.kind, t.list.as_ref().unwrap()[0].kind);
    assert!(p.rendered.is_some());
}

#[test]
fn typing_a_clinical_word_is_flagged_at_once_and_saving_is_refused_with_the_reason() {
    let (mut app, mut runner) = open('T', 80, 24);
    edit_reminder(&mut app, &mut runner);
    // The verdict is redone per keystroke: "q" types (it does not quit).
    type_text(&mut app, &mut runner, " Bring your chemo diary q");
    let t = templates(&app);
    let e = t.editing.as_ref().unwrap();
    assert!(e.text.ends_with("Bring your chemo diary q"));
    let p = t.preview.as_ref().unwrap();
    assert!(p.verdict.blocked, "{p:?}");
    assert!(p.refusal.as_ref().unwrap().contains("chemo"));
    ctrl_s(&mut app, &mut runner);
    let toast = app.shared.toast.clone().unwrap();
    assert!(toast.text.starts_with("Not saved:"), "{toast:?}");
    assert!(toast.text.contains("chemo"), "{toast:?}");
    assert!(
        templates(&app).editing.is_some(),
        "the text stays to be fixed"
    );
}

#[test]
fn removing_the_opt_out_wording_is_refused_and_a_clean_change_is_saved_and_audited() {
    let (mut app, mut runner) = open('T', 80, 24);
    edit_reminder(&mut app, &mut runner);
    let original = templates(&app).editing.clone().unwrap().text;
    assert!(original.contains("{opt_out}"), "{original}");
    // Delete the placeholder at the end: the save rules require it.
    let tail = original.len() - original.rfind("{opt_out}").unwrap();
    for _ in 0..tail {
        press(&mut app, &mut runner, KeyCode::Backspace);
    }
    ctrl_s(&mut app, &mut runner);
    assert!(
        app.shared
            .toast
            .as_ref()
            .unwrap()
            .text
            .starts_with("Not saved")
    );
    type_text(&mut app, &mut runner, "{opt_out} See you soon.");
    ctrl_s(&mut app, &mut runner);
    let toast = app.shared.toast.clone().unwrap();
    assert!(toast.text.starts_with("Saved"), "{toast:?}");
    let t = templates(&app);
    assert!(t.editing.is_none());
    let saved = t
        .list
        .as_ref()
        .unwrap()
        .iter()
        .find(|x| x.kind == MessageKind::Reminder24h)
        .unwrap();
    assert!(saved.stored && saved.body.ends_with("See you soon."));
    assert_eq!(saved.updated_by.as_deref(), Some("omar"));
}

#[test]
fn a_stale_preview_is_dropped_and_a_refused_save_from_the_worker_is_shown() {
    let (mut app, mut runner) = open('T', 80, 24);
    edit_reminder(&mut app, &mut runner);
    let current = templates(&app).preview.clone();
    let stale = templates(&app).preview_generation - 1;
    let mut other = current.clone().unwrap();
    other.rendered = Some("stale".into());
    update(
        &mut app,
        Msg::TemplatePreviewed {
            generation: stale,
            preview: other,
        },
    );
    assert_eq!(templates(&app).preview, current);
    update(
        &mut app,
        Msg::TemplateSaved {
            kind: MessageKind::Reminder24h,
            result: Err("database is locked".into()),
        },
    );
    assert!(app.shared.toast.clone().unwrap().text.contains("locked"));
    assert!(templates(&app).editing.is_some());
    press(&mut app, &mut runner, KeyCode::Esc);
    assert!(templates(&app).editing.is_none(), "Esc leaves the editor");
    press(&mut app, &mut runner, KeyCode::Esc);
    assert!(matches!(app.screen, Screen::Day(_)), "and then the screen");
}

#[test]
fn templates_80x24_and_editing_120x40() {
    let (mut app, mut runner) = open('T', 80, 24);
    let list = render(&app, 80, 24);
    update(
        &mut app,
        Msg::Resize {
            width: 120,
            height: 40,
        },
    );
    edit_reminder(&mut app, &mut runner);
    type_text(&mut app, &mut runner, " Bring your chemo diary.");
    insta::assert_snapshot!(format!("{list}\n{}", render(&app, 120, 40)));
}

#[test]
fn l_shows_the_log_newest_first_and_a_filter_narrows_it() {
    let mut runner = demo_runner();
    for (i, (who, action)) in [("ana", "consent.opt_in"), ("bo", "template.saved")]
        .iter()
        .cycle()
        .take(6)
        .enumerate()
    {
        let entry = crate::domain::audit::AuditEntry::new(
            super::fixture::now(),
            who,
            action,
            format!("patient:{i}"),
            serde_json::json!({}),
        );
        crate::store::audit::append(runner.store.test_conn(), &entry).unwrap();
    }
    let mut app = app(80, 24);
    press(&mut app, &mut runner, KeyCode::Char('A'));
    let a = audit(&app);
    assert!(!a.records.is_empty());
    assert!(
        a.records.windows(2).all(|w| w[0].id > w[1].id),
        "newest first"
    );
    press(&mut app, &mut runner, KeyCode::Char('f'));
    type_text(&mut app, &mut runner, "action:consent");
    press(&mut app, &mut runner, KeyCode::Enter);
    let a = audit(&app);
    assert_eq!(a.filter_text, "action:consent");
    assert!(!a.records.is_empty());
    assert_eq!(a.records.len(), 3);
    assert!(
        a.records
            .iter()
            .all(|r| r.entry.action.starts_with("consent"))
    );
    press(&mut app, &mut runner, KeyCode::Down);
    let a = audit(&app);
    assert_eq!(a.selected, 1);
    let shown = render(&app, 80, 24);
    let title = format!("record {} · consent.opt_in", a.records[1].id);
    assert!(
        shown.contains(&title),
        "the selected record's detail:\n{shown}"
    );
    for _ in 0..5 {
        press(&mut app, &mut runner, KeyCode::Down);
    }
    assert_eq!(audit(&app).selected, 2, "stops at the last");
    press(&mut app, &mut runner, KeyCode::Char('f'));
    type_text(&mut app, &mut runner, " patient:x");
    press(&mut app, &mut runner, KeyCode::Enter);
    assert!(audit(&app).typing_error.is_some(), "a bad filter is named");
    press(&mut app, &mut runner, KeyCode::Esc);
    assert_eq!(audit(&app).filter_text, "action:consent", "kept as it was");
}

#[test]
fn verify_compliance_and_consent_reviews_run_from_the_screen() {
    let (mut app, mut runner) = open('A', 80, 24);
    press(&mut app, &mut runner, KeyCode::Char('v'));
    let a = audit(&app);
    assert_eq!(a.part, Part::Chain);
    let Pending::Done(Ok(chain)) = &a.chain else {
        panic!("{:?}", a.chain)
    };
    assert!(chain.broken.is_none() && chain.records > 0);
    let chain_screen = render(&app, 80, 24);
    press(&mut app, &mut runner, KeyCode::Char('c'));
    let Pending::Done(Ok(review)) = &audit(&app).compliance else {
        panic!()
    };
    assert!(review.templates_checked > 5 && review.messages_checked > 0);
    press(&mut app, &mut runner, KeyCode::Char('o'));
    let Pending::Done(Ok(consent)) = &audit(&app).consent else {
        panic!()
    };
    assert!(consent.sent_without_consent.is_empty(), "must be none");
    let second = consent.stale_opt_ins[1].patient_id;
    press(&mut app, &mut runner, KeyCode::Down);
    assert_eq!(audit(&app).review_patients()[1], second);
    assert_eq!(audit(&app).review_selected, 1);
    let consent_screen = render(&app, 120, 40);
    insta::assert_snapshot!(format!("{chain_screen}\n{consent_screen}"));
    press(&mut app, &mut runner, KeyCode::Char('p'));
    assert!(
        matches!(app.screen, Screen::Patient(_)),
        "p opens the selected patient's screen"
    );
}

#[test]
fn audit_log_80x24_and_tab_runs_a_part_not_yet_run() {
    let (mut app, mut runner) = open('A', 80, 24);
    insta::assert_snapshot!(render(&app, 80, 24));
    let cmds = update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)),
    );
    assert_eq!(cmds, vec![Cmd::VerifyAudit]);
    settle(&mut app, &mut runner, cmds);
    let cmds = update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
    );
    assert!(
        matches!(cmds.as_slice(), [Cmd::LoadAudit { .. }]),
        "back on the log, it is read again (the reviews add records): {cmds:?}"
    );
    update(&mut app, Msg::AuditVerified(Err("disk I/O error".into())));
    assert_eq!(
        audit(&app).chain,
        Pending::Done(Err("disk I/O error".into()))
    );
}

#[test]
fn the_log_reads_older_pages_when_the_selection_reaches_the_end() {
    use crate::workflow::manager_views::AUDIT_PAGE;
    let mut runner = demo_runner();
    let seeded = crate::store::audit::page(runner.store.test_conn(), 0, usize::MAX)
        .unwrap()
        .len();
    for i in 0..(AUDIT_PAGE + 20) {
        let entry = crate::domain::audit::AuditEntry::new(
            super::fixture::now(),
            "ana",
            "export.appointments",
            format!("export:{i}"),
            serde_json::json!({}),
        );
        crate::store::audit::append(runner.store.test_conn(), &entry).unwrap();
    }
    let mut app = app(80, 24);
    press(&mut app, &mut runner, KeyCode::Char('A'));
    assert_eq!(audit(&app).records.len(), AUDIT_PAGE);
    assert!(!audit(&app).exhausted);
    for _ in 0..(AUDIT_PAGE / 10) {
        press(&mut app, &mut runner, KeyCode::PageDown);
    }
    let a = audit(&app);
    assert_eq!(
        a.records.len(),
        AUDIT_PAGE + 20 + seeded,
        "every record, the seed's too"
    );
    assert!(a.exhausted);
    assert!(
        a.records.windows(2).all(|w| w[0].id > w[1].id),
        "no record twice"
    );
}

#[test]
fn a_saved_template_goes_back_to_the_built_in_wording_with_d_and_ctrl_s() {
    let (mut app, mut runner) = open('T', 80, 24);
    edit_reminder(&mut app, &mut runner);
    type_text(&mut app, &mut runner, " See you soon.");
    ctrl_s(&mut app, &mut runner);
    assert!(app.shared.toast.clone().unwrap().text.starts_with("Saved"));
    press(&mut app, &mut runner, KeyCode::Char('D'));
    let default = crate::domain::template::default_template(MessageKind::Reminder24h).unwrap();
    let e = templates(&app).editing.clone().unwrap();
    assert_eq!(e.text, default);
    assert!(e.changed(), "differs from the saved text");
    ctrl_s(&mut app, &mut runner);
    let saved = templates(&app)
        .list
        .clone()
        .unwrap()
        .into_iter()
        .find(|t| t.kind == MessageKind::Reminder24h)
        .unwrap();
    assert_eq!(saved.body, default);
}
