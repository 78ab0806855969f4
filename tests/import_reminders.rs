//! An appointment moved by a later import earns fresh reminders for its new time (reminder
//! keys carry the start), and none goes out twice for the old one. Consent that came with
//! the import lets reminders go.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;

use fake_twilio::FakeTwilio;
use frontdesk::config::Config;
use frontdesk::domain::ids::PatientId;
use frontdesk::domain::import::csv::{CsvOptions, read};
use frontdesk::domain::message::MessageKind;
use frontdesk::phi::Gate;
use frontdesk::store::imports::{KeyKind, find_key};
use frontdesk::workflow::import::{self, Options, Source, SourceKind};
use support::*;

fn schedule(date: &str, time: &str) -> String {
    format!(
        "Appt ID,Patient ID,Last Name,First Name,Mobile Phone,Text OK,Appt Date,Start Time,Provider,Status\n\
         A1,P1,Tester,Ada,{},Y,{date},{time},{CLINICIAN},Scheduled\n",
        mobile(134)
    )
}

fn import_at(
    p: &mut Practice,
    config: &Config,
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> import::Outcome {
    let parsed = read(
        text.as_bytes(),
        &CsvOptions {
            ctx: import::read_context(config, now),
            mappings: &[],
        },
    );
    let source = Source::new(SourceKind::Csv, "schedule.csv", text.as_bytes());
    let opts = Options {
        dry_run: false,
        cancel_missing: false,
        actor: "system",
        now,
    };
    import::run(
        &mut p.store,
        config,
        &Gate::default(),
        parsed,
        &source,
        opts,
    )
    .unwrap()
}

#[test]
fn a_moved_appointment_earns_fresh_reminders_and_the_old_time_gets_no_more() {
    let fake = FakeTwilio::start_at(ny(25, 9, 30));
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let d = dispatcher(fake.provider());

    // Imported long ago (no onboarding welcome), with its consent.
    let long_ago = p.added;
    let first = import_at(
        &mut p,
        &config,
        &schedule("11/26/2026", "9:00 AM"),
        long_ago,
    );
    assert!(
        first.written && first.report.errors.is_empty(),
        "{:#?}",
        first.report
    );
    let ada = PatientId(find_key(&p.store, KeyKind::Patient, "P1").unwrap().unwrap());

    let (r1, _) = run_remind(&d, &mut p.store, &config, ny(25, 9, 30), false);
    assert_eq!(r1.sent, 1, "{r1:#?}");

    // The practice moves it to Friday in its system; the next import brings the move.
    let moved = import_at(
        &mut p,
        &config,
        &schedule("11/27/2026", "10:00 AM"),
        ny(25, 11, 0),
    );
    assert_eq!(moved.report.appointments.changed, 1);

    // Nothing for the old time, and the new time's 24 h reminder is not due yet.
    let (r2, _) = run_remind(&d, &mut p.store, &config, ny(25, 12, 0), false);
    assert_eq!(r2.sent, 0, "{r2:#?}");

    let (r3, _) = run_remind(&d, &mut p.store, &config, ny(26, 10, 30), false);
    assert_eq!(r3.sent, 1, "the new time's reminder: {r3:#?}");

    let reminders: Vec<_> = p
        .outbound_of(ada)
        .into_iter()
        .filter(|m| m.kind == MessageKind::Reminder24h)
        .collect();
    assert_eq!(reminders.len(), 2);
    let keys: Vec<String> = reminders
        .iter()
        .map(|m| m.idempotency_key.clone().unwrap())
        .collect();
    assert_ne!(keys[0], keys[1]);
    assert!(keys[0].contains("2026-11-26T14:00:00Z"), "{keys:?}");
    assert!(keys[1].contains("2026-11-27T15:00:00Z"), "{keys:?}");
    assert!(
        fake.created()[1].body.contains("Fri Nov 27 at 10:00 AM"),
        "{}",
        fake.created()[1].body
    );
}
