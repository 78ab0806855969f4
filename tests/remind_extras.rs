//! The welcome and survey texts of `remind` when the practice has not set the link they point
//! to: each is skipped with the reason, and the rest of the run goes on.

mod fake_twilio;
mod support;

use fake_twilio::FakeTwilio;
use frontdesk::domain::appointment::AppointmentStatus;
use frontdesk::domain::message::MessageKind;
use frontdesk::domain::report::LineAction;
use support::*;

/// Wednesday 25 March 2026, 09:30 in New York.
fn now() -> chrono::DateTime<chrono::Utc> {
    ny(25, 9, 30)
}

#[test]
fn without_a_portal_url_the_welcome_is_skipped_and_the_reminders_still_go() {
    let fake = FakeTwilio::start_at(now());
    let (_, mut config) = config_for(&fake, "");
    config.practice.portal_url = String::new();
    let mut p = Practice::new();
    let ada = p.patient_added("Ada", Some(&mobile(134)), Consent::OptedIn, ny(24, 16, 0));
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::OptedIn);
    let visit = p.book(bea, ny(26, 9, 0));
    let d = dispatcher(fake.provider());

    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);

    assert_eq!((r.welcomes, r.sent), (0, 1), "{r:#?}");
    let welcome = r
        .lines
        .iter()
        .find(|l| l.kind == MessageKind::Welcome)
        .expect("a line for Ada's welcome");
    assert_eq!(welcome.patient_id, ada);
    assert_eq!(welcome.action, LineAction::Skip);
    assert_eq!(welcome.reason.as_deref(), Some("no portal URL set"));
    assert!(!r.partly_failed(), "a skipped welcome is not a failure");
    let reminder = r
        .lines
        .iter()
        .find(|l| l.appointment_id == Some(visit))
        .expect("a line for Bea's reminder");
    assert_eq!(reminder.action, LineAction::Sent);
    let created = fake.created();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].to, mobile(135));
    assert!(
        p.outbound_of(ada).is_empty(),
        "no row for the skipped welcome"
    );

    // Once the portal is set, the welcome goes (once) on the next run.
    config.practice.portal_url = "https://portal.example.org".into();
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!(r.welcomes, 1, "{r:#?}");
    assert_eq!(p.outbound_of(ada)[0].kind, MessageKind::Welcome);
}

#[test]
fn without_a_survey_url_the_survey_is_skipped_with_the_reason() {
    let fake = FakeTwilio::start_at(now());
    let (_, mut config) = config_for(&fake, "");
    // Validation refuses this in a file; a config edited since the run started can have it.
    config.survey.enabled = true;
    config.survey.url = String::new();
    config.survey.delay_hours = 2;
    let mut p = Practice::new();
    let bo = p.patient("Bo", Some(&mobile(135)), Consent::OptedIn);
    p.book_status(bo, ny(24, 6, 30), AppointmentStatus::Completed);
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    let survey = r
        .lines
        .iter()
        .find(|l| l.kind == MessageKind::Survey)
        .expect("a line for Bo's survey");
    assert_eq!(
        (survey.action, survey.reason.as_deref()),
        (LineAction::Skip, Some("no survey URL set"))
    );
    assert!(fake.created().is_empty());
}
