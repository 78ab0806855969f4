//! The patient screen, its forms and the text box through `update`: keys in, commands and
//! state out, worker answers fed back as the worker would give them.

use crate::domain::report::SendOutcome;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixture::DayView;
use super::fixture::{self, Ids, now};
use crate::domain::consent::ConsentMethod;
use crate::domain::ids::PatientId;
use crate::domain::message::MessageKind;
use crate::domain::staff::Action as StaffAction;
use crate::store::Store;
use crate::tui::app::{App, Screen, update};
use crate::tui::modal::Modal;
use crate::tui::msg::{Cmd, Msg};
use crate::tui::screens::compose::Mode;
use crate::tui::shared::ToastKind;
use crate::workflow;
use crate::workflow::send::{SendLine, SendReport};

fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(app: &mut App, c: char) -> Vec<Cmd> {
    update(
        app,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        assert!(key(app, KeyCode::Char(c)).is_empty(), "typing runs nothing");
    }
}

/// The day view with the 09:00 row (Ada, arrived) selected.
fn setup() -> (Store, Ids, App) {
    let (store, ids) = fixture::store();
    let mut app = fixture::loaded_app(&store, 80, 24, None);
    app.day_mut().selected = Some(ids.today[2]);
    (store, ids, app)
}

/// Answer the LoadPatient in `cmds` from the store.
pub fn deliver(app: &mut App, store: &Store, cmds: &[Cmd]) {
    let Some(&Cmd::LoadPatient {
        generation,
        patient,
    }) = cmds.iter().find(|c| matches!(c, Cmd::LoadPatient { .. }))
    else {
        panic!("no LoadPatient in {cmds:?}");
    };
    let result =
        workflow::desk_patient::load(store, &crate::config::Config::default(), patient, now())
            .map_err(|e| e.to_string());
    update(
        app,
        Msg::PatientLoaded {
            generation,
            now: now(),
            result,
        },
    );
}

/// Open Ada's patient screen from the day view and load it.
pub fn open_ada(store: &Store, ids: &Ids, app: &mut App) {
    let cmds = key(app, KeyCode::Enter);
    assert!(
        matches!(cmds.as_slice(), [Cmd::LoadPatient { patient, .. }] if *patient == ids.ada),
        "{cmds:?}"
    );
    deliver(app, store, &cmds);
}

fn compose(app: &App) -> &crate::tui::screens::compose::ComposeState {
    match app.modals.last() {
        Some(Modal::Compose(c)) => c,
        other => panic!("no text box: {other:?}"),
    }
}

fn report(
    p: PatientId,
    kind: MessageKind,
    outcome: SendOutcome,
    reason: Option<&str>,
) -> SendReport {
    SendReport {
        kind: Some(kind),
        dry_run: false,
        lines: vec![SendLine {
            patient_id: p,
            appointment_id: None,
            outcome,
            reason: reason.map(String::from),
            message_id: None,
            callback: false,
            code: None,
            body: None,
        }],
        stopped: None,
    }
}

#[test]
fn enter_opens_the_patient_and_esc_goes_back_to_the_same_day_and_row() {
    let (store, ids, mut app) = setup();
    open_ada(&store, &ids, &mut app);
    let p = app.patient();
    assert_eq!(p.file.as_ref().unwrap().patient.id, ids.ada);
    assert_eq!(p.name(), "Lovelace, Ada");
    let cmds = key(&mut app, KeyCode::Esc);
    assert!(matches!(app.screen, Screen::Day(_)));
    assert!(app.behind.is_empty());
    assert!(
        matches!(cmds.as_slice(), [Cmd::LoadDay { .. }]),
        "the day reloads: {cmds:?}"
    );
    assert_eq!(
        app.day().selected,
        Some(ids.today[2]),
        "the selection survives"
    );
}

#[test]
fn a_stale_patient_load_is_dropped() {
    let (store, ids, mut app) = setup();
    let first = key(&mut app, KeyCode::Enter);
    let second = key(&mut app, KeyCode::Char('r'));
    deliver(&mut app, &store, &first);
    assert!(app.patient().file.is_none(), "the older load is stale");
    deliver(&mut app, &store, &second);
    assert_eq!(app.patient().file.as_ref().unwrap().patient.id, ids.ada);
}

#[test]
fn tab_in_the_search_opens_the_patient_screen() {
    let (store, ids, mut app) = setup();
    key(&mut app, KeyCode::Char('/'));
    let mut cmds = Vec::new();
    for c in "lovel".chars() {
        cmds = key(&mut app, KeyCode::Char(c));
    }
    let Some(Cmd::Search { generation, query }) = cmds.first().cloned() else {
        panic!("{cmds:?}")
    };
    let hits = workflow::day::search(&store, &query, now()).unwrap();
    update(
        &mut app,
        Msg::SearchDone {
            generation,
            result: Ok(hits),
        },
    );
    let cmds = key(&mut app, KeyCode::Tab);
    assert!(app.modals.is_empty(), "the search closed");
    assert!(matches!(
        cmds.as_slice(),
        [Cmd::LoadPatient { patient, .. }, Cmd::ExpectDay { date: None }] if *patient == ids.ada
    ));
}

#[test]
fn a_clinical_text_is_blocked_live_and_a_portal_prompt_goes_instead() {
    let (store, ids, mut app) = setup();
    open_ada(&store, &ids, &mut app);
    key(&mut app, KeyCode::Char('w'));
    typed(&mut app, "Your chemotherapy starts Monday");
    let c = compose(&app);
    assert!(c.check.refusal.is_some(), "{:?}", c.check);
    let mark = c.check.marks.iter().find(|m| !m.allowed).unwrap();
    assert_eq!(&c.text[mark.range.clone()], "chemotherapy");
    assert!(!mark.category.is_empty());
    // Enter is refused while blocked: nothing goes to the worker, the box stays.
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(!compose(&app).sending);
    // One key: a portal prompt instead.
    assert!(ctrl(&mut app, 'p').is_empty());
    assert_eq!(compose(&app).mode, Mode::Prompt);
    key(&mut app, KeyCode::Down);
    let cmds = key(&mut app, KeyCode::Enter);
    assert_eq!(
        cmds,
        [Cmd::SendPortalPrompt {
            patient: ids.ada,
            kind: MessageKind::PortalResultsReady
        }]
    );
    let r = report(
        ids.ada,
        MessageKind::PortalResultsReady,
        SendOutcome::InOutbox,
        None,
    );
    let cmds = update(
        &mut app,
        Msg::TextSent {
            patient: ids.ada,
            result: Ok(r),
        },
    );
    assert!(app.modals.is_empty(), "the box closes once sent");
    assert!(
        cmds.iter().any(|c| matches!(c, Cmd::LoadPatient { .. })),
        "{cmds:?}"
    );
    let toast = app.shared.toast.as_ref().unwrap();
    assert_eq!(toast.text, "portal prompt to Lovelace, Ada: in the outbox");
}

#[test]
fn fixing_the_words_unblocks_and_the_counter_follows_the_encoding() {
    let (store, ids, mut app) = setup();
    open_ada(&store, &ids, &mut app);
    key(&mut app, KeyCode::Char('w'));
    typed(&mut app, "Your HIV");
    assert!(compose(&app).check.refusal.is_some());
    for _ in 0..3 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "ride is here");
    let c = compose(&app);
    assert_eq!(c.check.refusal, None, "{:?}", c.check);
    assert_eq!((c.check.encoding, c.check.segments), ("GSM-7", 1));
    // A curly apostrophe is typed as the GSM-7 one; an emoji forces UCS-2.
    typed(&mut app, " \u{2019}");
    assert!(compose(&app).text.ends_with(" '"));
    assert_eq!(compose(&app).check.encoding, "GSM-7");
    typed(&mut app, "🙂");
    assert_eq!(compose(&app).check.encoding, "UCS-2");
    let cmds = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&cmds[..], [Cmd::SendCustomText { patient, text }] if *patient == ids.ada && text.starts_with("Your ride is here")),
        "{cmds:?}"
    );
    // A refusal from the worker (e.g. no consent) is an error toast naming why.
    let r = report(
        ids.ada,
        MessageKind::Custom,
        SendOutcome::Skipped,
        Some("no consent"),
    );
    update(
        &mut app,
        Msg::TextSent {
            patient: ids.ada,
            result: Ok(r),
        },
    );
    let toast = app.shared.toast.as_ref().unwrap();
    assert_eq!(toast.kind, ToastKind::Error);
    assert!(
        toast.text.contains("skipped — no consent"),
        "{}",
        toast.text
    );
}

#[test]
fn the_consent_form_checks_before_sending_and_keeps_the_typing_on_a_refusal() {
    let (store, ids, mut app) = setup();
    open_ada(&store, &ids, &mut app);
    key(&mut app, KeyCode::Char('i'));
    assert!(key(&mut app, KeyCode::Enter).is_empty(), "no evidence yet");
    key(&mut app, KeyCode::Right); // e-signature
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "SIG-42");
    key(&mut app, KeyCode::Tab);
    for _ in 0..10 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "2026-11-20");
    let cmds = key(&mut app, KeyCode::Enter);
    assert_eq!(
        cmds,
        [Cmd::RecordConsent {
            patient: ids.ada,
            method: ConsentMethod::ESignature,
            evidence: "SIG-42".into(),
            signed_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        }]
    );
    update(
        &mut app,
        Msg::PatientChanged {
            patient: ids.ada,
            result: Err("database is locked".into()),
        },
    );
    let Some(Modal::Form(f)) = app.modals.last() else {
        panic!("the form stays open")
    };
    assert_eq!(
        (f.text.as_str(), f.error.as_deref()),
        ("SIG-42", Some("database is locked"))
    );
    let cmds = key(&mut app, KeyCode::Enter);
    assert_eq!(cmds.len(), 1);
    let cmds = update(
        &mut app,
        Msg::PatientChanged {
            patient: ids.ada,
            result: Ok("SMS consent recorded".into()),
        },
    );
    assert!(app.modals.is_empty(), "recorded: the form closes");
    assert!(
        matches!(cmds.as_slice(), [Cmd::LoadPatient { .. }]),
        "{cmds:?}"
    );
    assert_eq!(
        app.shared.toast.as_ref().unwrap().text,
        "SMS consent recorded"
    );
}

#[test]
fn a_day_signed_after_today_and_a_short_number_are_refused_in_the_form() {
    let (store, ids, mut app) = setup();
    open_ada(&store, &ids, &mut app);
    key(&mut app, KeyCode::Char('i'));
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "FORM-9");
    key(&mut app, KeyCode::Tab);
    for _ in 0..10 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "2026-12-01");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('m'));
    typed(&mut app, "555");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    typed(&mut app, "-0142 415");
    let cmds = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&cmds[..], [Cmd::FixPhone { number, .. }] if number == "555-0142 415"),
        "{cmds:?}"
    );
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('o'));
    let cmds = key(&mut app, KeyCode::Enter);
    assert_eq!(
        cmds,
        [Cmd::RecordOptOut {
            patient: ids.ada,
            method: ConsentMethod::Verbal
        }]
    );
}

#[test]
fn every_reception_command_names_its_permission() {
    let p = PatientId(1);
    let cases = [
        (
            Cmd::LoadPatient {
                generation: 1,
                patient: p,
            },
            StaffAction::ViewSchedule,
        ),
        (
            Cmd::RecordConsent {
                patient: p,
                method: ConsentMethod::WrittenForm,
                evidence: "F".into(),
                signed_on: fixture::today(),
            },
            StaffAction::RecordConsent,
        ),
        (
            Cmd::RecordOptOut {
                patient: p,
                method: ConsentMethod::Verbal,
            },
            StaffAction::RecordOptOut,
        ),
        (
            Cmd::FixPhone {
                patient: p,
                number: "1".into(),
            },
            StaffAction::FixPhone,
        ),
        (
            Cmd::SendPortalPrompt {
                patient: p,
                kind: MessageKind::PortalNewMessage,
            },
            StaffAction::SendPortalPrompt,
        ),
        (
            Cmd::SendCustomText {
                patient: p,
                text: "x".into(),
            },
            StaffAction::SendCustomText,
        ),
    ];
    for (cmd, action) in cases {
        assert_eq!(cmd.permission(), Some(action), "{cmd:?}");
    }
}

#[test]
fn a_search_with_more_hits_than_listed_says_so() {
    let (_store, ids, mut app) = setup();
    key(&mut app, KeyCode::Char('/'));
    let cmds = key(&mut app, KeyCode::Char('s'));
    let Some(Cmd::Search { generation, .. }) = cmds.first().cloned() else {
        panic!("{cmds:?}")
    };
    let hit = crate::domain::day::PatientHit {
        patient_id: ids.ada,
        name: "Smith, Pat".into(),
        birth_date: None,
        mobile_last4: None,
        next_appointment: None,
        consent: crate::domain::consent::ConsentFlag::None,
    };
    let hits = vec![hit; workflow::day::SEARCH_SHOWN + 1];
    update(
        &mut app,
        Msg::SearchDone {
            generation,
            result: Ok(hits),
        },
    );
    let Some(Modal::Search(s)) = app.modals.last() else {
        panic!()
    };
    assert!(s.more);
    assert_eq!(s.hits.len(), workflow::day::SEARCH_SHOWN);
}
