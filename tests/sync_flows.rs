//! `frontdesk sync` against the stateful fake Twilio in `tests/fake_twilio`: replies (STOP and
//! its plain-language and Spanish forms, CANCEL, START, HELP, C, R, free text, unknown
//! numbers), delivery statuses (progress, 30003, 21610), the persisted cursor, and bad
//! credentials — through the workflow, and through the binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use fake_twilio::{AUTH_TOKEN, FakeTwilio};
use frontdesk::clock::Clock;
use frontdesk::config::Config;
use frontdesk::domain::appointment::AppointmentStatus;
use frontdesk::domain::batch::BatchEvent;
use frontdesk::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod, ConsentState};
use frontdesk::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, MessageId, PatientId};
use frontdesk::domain::message::{MessageKind, MessageStatus};
use frontdesk::domain::phone::E164;
use frontdesk::domain::reminder::{ReminderKey, SkipReason};
use frontdesk::phi::Gate;
use frontdesk::provider::retry::RetryPolicy;
use frontdesk::provider::twilio::{Twilio, TwilioSettings};
use frontdesk::store::{self, Store};
use frontdesk::workflow::dispatch::{self, Dispatcher};
use frontdesk::workflow::outbound::{self, Outgoing, Recorded};
use frontdesk::workflow::render::{self, RenderInput};
use frontdesk::workflow::sync::{self, SyncReport};
use frontdesk::workflow::{consent, facts, remind, templates};

const ANA: &str = "+12015550134";
const BEN: &str = "+12015550177";
const STRANGER: &str = "+12015550199";

/// A practice on a temp database, texting through the fake.
struct Practice {
    fake: FakeTwilio,
    store: Store,
    config: Config,
    gate: Gate,
    d: Dispatcher,
    clinician: ClinicianId,
    ty: AppointmentTypeId,
    _dir: tempfile::TempDir,
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(1),
    }
}

fn dispatcher(twilio: Twilio) -> Dispatcher {
    Dispatcher {
        provider: Arc::new(twilio),
        policy: fast_policy(),
        concurrency: 4,
        rate_per_second: None,
        jitter_seed: Some(7),
        quiet: None,
    }
}

fn config_text(fake: &FakeTwilio, token_env: &str) -> String {
    // A practice's config names the practice: nothing is sent in the name of an unset one.
    format!(
        "[practice]\nname = \"Riverside Family Practice\"\nphone = \"+15555550100\"\n\
         portal_url = \"https://portal.example.org\"\n\n[sms]\nprovider = \"twilio\"\n\n{}",
        fake.config_toml(token_env)
    )
}

impl Practice {
    fn new() -> Self {
        let fake = FakeTwilio::start();
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("practice.db")).unwrap();
        let config = Config::parse(&config_text(&fake, "UNUSED"), Path::new("t.toml")).unwrap();
        let clinician = store
            .write(|tx| store::reference::insert_clinician(tx, "Dr. Okafor"))
            .unwrap();
        let ty = store
            .write(|tx| store::reference::insert_type(tx, "Annual physical", "Check-up", 30))
            .unwrap();
        let d = dispatcher(fake.provider());
        Self {
            fake,
            store,
            config,
            gate: Gate::with_allow_list(&[]),
            d,
            clinician,
            ty,
            _dir: dir,
        }
    }

    fn clock(&self) -> Clock {
        Clock::Fixed(self.fake.now())
    }

    fn now(&self) -> DateTime<Utc> {
        self.fake.now()
    }

    /// Tomorrow (26 Nov 2026) at `hour` UTC — `hour - 5` in New York.
    fn tomorrow(&self, hour: u32) -> DateTime<Utc> {
        self.now() + TimeDelta::days(1) + TimeDelta::hours(i64::from(hour) - 14)
    }

    fn patient(&mut self, first: &str, mobile: &str, opted_in: bool) -> PatientId {
        let now = self.now();
        let p = self
            .store
            .write(|tx| {
                store::patients::insert(
                    tx,
                    &store::patients::NewPatient {
                        external_id: None,
                        first_name: first.into(),
                        last_name: "Test".into(),
                        birth_date: None,
                        mobile: Some(E164::try_from(mobile.to_string()).unwrap()),
                        time_zone: None,
                        portal_active: true,
                    },
                    now - TimeDelta::days(60),
                )
            })
            .unwrap();
        if opted_in {
            consent::record(
                &mut self.store,
                p,
                &ConsentEvent {
                    kind: ConsentKind::OptIn,
                    method: ConsentMethod::WrittenForm,
                    evidence: Some(format!("FORM-{p}")),
                    recorded_by: "desk".into(),
                    at: now - TimeDelta::days(30),
                },
            )
            .unwrap();
        }
        p
    }

    fn appointment(&mut self, p: PatientId, start: DateTime<Utc>) -> AppointmentId {
        let booked_at = self.now() - TimeDelta::days(20);
        self.store
            .write(|tx| {
                store::appointments::insert(
                    tx,
                    &store::appointments::NewAppointment {
                        external_id: None,
                        patient_id: p,
                        clinician_id: self.clinician,
                        type_id: self.ty,
                        start,
                        duration_minutes: 30,
                        status: AppointmentStatus::Booked,
                        booked_at,
                    },
                )
            })
            .unwrap()
    }

    /// Record a 24 h reminder for these appointments (one text for a same-day double) the
    /// way every send path does, without sending it.
    fn record_reminder(&mut self, p: PatientId, appts: &[AppointmentId]) -> MessageId {
        let conn = &self.store;
        let patient = store::patients::get(conn, p).unwrap();
        let starts: Vec<(AppointmentId, DateTime<Utc>)> = appts
            .iter()
            .map(|a| (*a, store::appointments::get(conn, *a).unwrap().start))
            .collect();
        let key = ReminderKey::group(starts.iter().copied(), 24).unwrap();
        let kind = if appts.len() > 1 {
            MessageKind::SameDayDouble
        } else {
            MessageKind::Reminder24h
        };
        let times: Vec<DateTime<Utc>> = key.appointments().iter().map(|(_, s)| *s).collect();
        let template = templates::load(conn, kind).unwrap();
        let body = render::render(
            &self.config,
            &template,
            &RenderInput {
                kind,
                patient: &patient,
                starts: &times,
                clinician: Some("Dr. Okafor"),
                opt_out_notice: true,
            },
        )
        .unwrap();
        let out = Outgoing {
            kind,
            patient_id: p,
            appointment_id: Some(appts[0]),
            key: key.to_string(),
            to: patient.mobile.clone().unwrap(),
            body,
            send_by: None,
            trusted: Vec::new(),
        };
        let (now, gate) = (self.now(), &self.gate);
        let recorded = self
            .store
            .write(|tx| outbound::record(tx, &out, gate, "twilio", "system", now))
            .unwrap();
        match recorded {
            Recorded::Ready(id) => id,
            other => panic!("{other:?}"),
        }
    }

    /// Record and send a reminder now.
    async fn remind(&mut self, p: PatientId, appts: &[AppointmentId]) -> MessageId {
        let id = self.record_reminder(p, appts);
        let clock = self.clock();
        let r = dispatch::dispatch(
            &self.d,
            &mut self.store,
            &[id],
            "system",
            &clock,
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!(r.sent, 1, "{r:?}");
        id
    }

    async fn sync(&mut self) -> SyncReport {
        let clock = self.clock();
        let report = sync::sync(
            &self.d,
            &mut self.store,
            &self.config,
            &self.gate,
            &clock,
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!(report.stopped, None, "{report:?}");
        report
    }

    /// A patient texts the practice; the sync runs a minute later.
    fn reply(&self, from: &str, body: &str) -> String {
        self.fake.advance_clock(TimeDelta::minutes(1));
        let sid = self.fake.inject_inbound(from, body);
        self.fake.advance_clock(TimeDelta::minutes(1));
        sid
    }

    fn consent(&self, p: PatientId) -> ConsentState {
        ConsentState::from_events(&store::consent::events(&self.store, p).unwrap())
    }

    fn appt(&self, a: AppointmentId) -> frontdesk::domain::appointment::Appointment {
        store::appointments::get(&self.store, a).unwrap()
    }

    /// Bodies the fake accepted for this number, in order.
    fn texts_to(&self, to: &str) -> Vec<String> {
        self.fake
            .created()
            .into_iter()
            .filter(|c| c.to == to)
            .map(|c| c.body)
            .collect()
    }

    fn audit_actions(&self, subject: &str) -> Vec<String> {
        store::audit::for_subject(&self.store, subject)
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect()
    }
}

fn confirmations(texts: &[String]) -> usize {
    texts.iter().filter(|b| b.contains("unsubscribed")).count()
}

#[tokio::test]
async fn stop_opts_out_with_exactly_one_confirmation_and_nothing_after() {
    let mut pr = Practice::new();
    // As with a Messaging Service whose own opt-out handling is off: our confirmation is the
    // only one, so it must reach the fake.
    pr.fake.set_opt_out_handling(false);
    let ana = pr.patient("Ana", ANA, true);
    let visit = pr.appointment(ana, pr.tomorrow(15));
    let later = pr.appointment(ana, pr.tomorrow(15) + TimeDelta::days(7));
    pr.remind(ana, &[visit]).await;

    let sid = pr.reply(ANA, "STOP");
    let r = pr.sync().await;
    assert_eq!(r.replies.opt_out, 1, "{r:?}");
    assert_eq!(r.opt_outs, 1);
    assert_eq!((r.answers.recorded, r.answers.sent), (1, 1), "{r:?}");
    match pr.consent(ana) {
        ConsentState::OptedOut { method, .. } => assert_eq!(method, ConsentMethod::SmsKeyword),
        other => panic!("{other:?}"),
    }
    let events = store::consent::events(&pr.store, ana).unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.evidence.as_deref(), Some(sid.as_str()));
    assert_eq!(last.recorded_by, "system");
    assert_eq!(confirmations(&pr.texts_to(ANA)), 1);
    let confirmation = pr.texts_to(ANA).pop().unwrap();
    assert!(!confirmation.contains("Reply STOP"), "{confirmation}");
    let patient_audit = pr.audit_actions(&format!("patient:{ana}"));
    assert!(
        patient_audit.contains(&"consent.opt_out".to_string()),
        "{patient_audit:?}"
    );

    // A second sync finds nothing new; a second STOP is filed but changes nothing.
    let again = pr.sync().await;
    assert_eq!(again.replies.total(), 0, "{again:?}");
    pr.reply(ANA, "stop");
    let second = pr.sync().await;
    assert_eq!(second.replies.opt_out, 1);
    assert_eq!(
        (second.opt_outs, second.answers.recorded),
        (0, 0),
        "{second:?}"
    );
    pr.sync().await;
    assert_eq!(
        confirmations(&pr.texts_to(ANA)),
        1,
        "exactly one confirmation"
    );
    assert_eq!(store::consent::events(&pr.store, ana).unwrap().len(), 2);

    // Nothing more may go: the rules say opted out, and a reminder recorded before the
    // STOP was seen is withdrawn by the re-check instead of sent.
    let loaded = facts::load(&pr.store, &pr.config, &[ana], pr.now(), None).unwrap();
    assert_eq!(loaded[&ana].facts.blocked(), Some(SkipReason::OptedOut));
    let sent_before = pr.fake.created().len();
    let waiting = pr.record_reminder(ana, &[later]);
    let flushed = pr.sync().await;
    assert_eq!(flushed.flush.withdrawn, 1, "{flushed:?}");
    assert_eq!(
        store::messages::get(&pr.store, waiting).unwrap().status,
        MessageStatus::Withdrawn
    );
    assert_eq!(
        pr.fake.created().len(),
        sent_before,
        "nothing else was sent"
    );
}

#[tokio::test]
async fn plain_language_and_spanish_opt_outs_count_and_a_late_one_gets_no_confirmation() {
    let mut pr = Practice::new();
    pr.fake.set_opt_out_handling(false);
    let ana = pr.patient("Ana", ANA, true);
    let ben = pr.patient("Ben", BEN, true);
    pr.reply(ANA, "please stop texting me");
    pr.reply(BEN, "No más mensajes, gracias");
    let r = pr.sync().await;
    assert_eq!((r.replies.opt_out, r.opt_outs), (2, 2), "{r:?}");
    assert!(matches!(pr.consent(ana), ConsentState::OptedOut { .. }));
    assert!(matches!(pr.consent(ben), ConsentState::OptedOut { .. }));
    assert_eq!(confirmations(&pr.texts_to(ANA)), 1);
    assert_eq!(confirmations(&pr.texts_to(BEN)), 1);

    // A STOP seen more than 5 minutes after it was sent is recorded, but not confirmed.
    let cara = pr.patient("Cara", STRANGER, true);
    pr.fake.inject_inbound(STRANGER, "Unsubscribe");
    pr.fake.advance_clock(TimeDelta::minutes(6));
    let late = pr.sync().await;
    assert_eq!(
        (late.opt_outs, late.answers.too_late, late.answers.sent),
        (1, 1, 0),
        "{late:?}"
    );
    assert!(matches!(pr.consent(cara), ConsentState::OptedOut { .. }));
    assert!(pr.texts_to(STRANGER).is_empty());
}

#[tokio::test]
async fn cancel_opts_out_and_flags_the_appointment_for_a_call_back() {
    let mut pr = Practice::new();
    // Twilio's default handling: after CANCEL it refuses further texts to the number (21610),
    // and sends its own confirmation.
    let ana = pr.patient("Ana", ANA, true);
    let visit = pr.appointment(ana, pr.tomorrow(15));
    pr.remind(ana, &[visit]).await;
    pr.reply(ANA, "CANCEL");
    let r = pr.sync().await;
    assert_eq!(
        (r.replies.cancel, r.opt_outs, r.callbacks),
        (1, 1, 1),
        "{r:?}"
    );
    assert!(matches!(pr.consent(ana), ConsentState::OptedOut { .. }));
    let a = pr.appt(visit);
    assert!(a.callback_requested);
    assert_eq!(
        a.status,
        AppointmentStatus::Booked,
        "the appointment itself is not cancelled"
    );
    assert!(
        pr.audit_actions(&format!("appointment:{visit}"))
            .contains(&"appointment.callback".to_string())
    );
    // Twilio answered the CANCEL itself and refused our confirmation with 21610: ours is
    // withdrawn (the patient has one), not a failure of the run; no second opt-out.
    assert_eq!(r.answers.failed, 0, "{r:?}");
    assert_eq!(r.lines.len(), 1);
    assert_eq!(r.lines[0].action.as_str(), "withdrawn");
    assert!(!r.partly_failed());
    assert_eq!(confirmations(&pr.texts_to(ANA)), 0);
    assert_eq!(store::consent::events(&pr.store, ana).unwrap().len(), 2);
}

#[tokio::test]
async fn start_and_yes_opt_in_with_the_reply_as_evidence_and_get_a_confirmation() {
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, false);
    let ben = pr.patient("Ben", BEN, false);
    let two_days_ago = pr.now() - TimeDelta::days(2);
    consent::record(
        &mut pr.store,
        ben,
        &ConsentEvent {
            kind: ConsentKind::OptOut,
            method: ConsentMethod::Verbal,
            evidence: None,
            recorded_by: "desk".into(),
            at: two_days_ago,
        },
    )
    .unwrap();
    let ana_sid = pr.reply(ANA, "START");
    let ben_sid = pr.reply(BEN, "yes"); // no reminder awaits an answer: YES opts in
    let r = pr.sync().await;
    assert_eq!(
        (r.replies.opt_in, r.opt_ins, r.answers.sent),
        (2, 2, 2),
        "{r:?}"
    );
    for (p, sid) in [(ana, &ana_sid), (ben, &ben_sid)] {
        match pr.consent(p) {
            ConsentState::OptedIn {
                method, evidence, ..
            } => {
                assert_eq!(method, ConsentMethod::SmsKeyword);
                assert_eq!(&evidence, sid);
            }
            other => panic!("{other:?}"),
        }
    }
    let text = pr.texts_to(ANA).pop().unwrap();
    assert!(
        text.contains("subscribed") && text.contains("Reply STOP to opt out"),
        "{text}"
    );
    // A repeated START changes nothing and sends nothing.
    pr.reply(ANA, "START");
    let again = pr.sync().await;
    assert_eq!(
        (again.replies.opt_in, again.opt_ins, again.answers.recorded),
        (1, 0, 0)
    );
    assert_eq!(pr.texts_to(ANA).len(), 1);
}

#[tokio::test]
async fn help_gets_one_reply_naming_the_practice_and_its_phone() {
    let mut pr = Practice::new();
    pr.patient("Ana", ANA, true);
    let sid = pr.reply(ANA, "HELP");
    let r = pr.sync().await;
    assert_eq!((r.replies.help, r.answers.sent), (1, 1), "{r:?}");
    let texts = pr.texts_to(ANA);
    assert_eq!(texts.len(), 1, "{texts:?}");
    let help = &texts[0];
    for needle in [
        "Riverside Family Practice",
        "555-555-0100",
        "Msg & data rates may apply",
        "Reply STOP to opt out",
    ] {
        assert!(help.contains(needle), "{needle:?} missing from {help:?}");
    }
    let row = store::messages::by_key(&pr.store, &format!("answer:help-reply:{sid}"))
        .unwrap()
        .unwrap();
    assert_eq!(row.kind, MessageKind::HelpReply);
    assert!(!row.kind.counts_against_cap());
    pr.sync().await;
    assert_eq!(
        pr.texts_to(ANA).len(),
        1,
        "one reply per HELP, however often we sync"
    );
}

#[tokio::test]
async fn c_after_a_reminder_confirms_both_appointments_of_a_same_day_double() {
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, true);
    let morning = pr.appointment(ana, pr.tomorrow(15));
    let afternoon = pr.appointment(ana, pr.tomorrow(19));
    let reminder = pr.remind(ana, &[morning, afternoon]).await;
    assert_eq!(
        store::messages::get(&pr.store, reminder).unwrap().kind,
        MessageKind::SameDayDouble
    );
    pr.reply(ANA, "C");
    let r = pr.sync().await;
    assert_eq!((r.replies.confirm, r.confirmed), (1, 2), "{r:?}");
    for a in [morning, afternoon] {
        assert_eq!(pr.appt(a).status, AppointmentStatus::Confirmed);
        let audit = store::audit::for_subject(&pr.store, &format!("appointment:{a}")).unwrap();
        let change = audit
            .iter()
            .find(|e| e.action == "appointment.status")
            .unwrap();
        assert_eq!(change.actor, "system");
        assert!(
            change.detail.contains("\"via\":\"sms\""),
            "{}",
            change.detail
        );
    }
    assert_eq!(
        store::appointments::status_change(&pr.store, morning)
            .unwrap()
            .unwrap()
            .0,
        "system"
    );
    // The reminder is answered: another "C" is not guessed at, it waits for a person.
    pr.reply(ANA, "C");
    let again = pr.sync().await;
    assert_eq!(
        (again.replies.other, again.inbox_unread),
        (1, 1),
        "{again:?}"
    );
}

#[tokio::test]
async fn c_without_a_reminder_and_free_text_land_in_the_inbox_unchanged() {
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, true);
    let visit = pr.appointment(ana, pr.tomorrow(15));
    pr.reply(ANA, "C");
    let r = pr.sync().await;
    assert_eq!((r.replies.other, r.inbox_unread), (1, 1), "{r:?}");
    assert_eq!(pr.appt(visit).status, AppointmentStatus::Booked);

    pr.remind(ana, &[visit]).await;
    pr.reply(ANA, "Can I bring my son along?");
    let r = pr.sync().await;
    assert_eq!((r.replies.other, r.inbox_unread), (1, 2), "{r:?}");
    let a = pr.appt(visit);
    assert_eq!(a.status, AppointmentStatus::Booked);
    assert!(!a.callback_requested);
    let inbox = store::messages::inbox(&pr.store, 10).unwrap();
    assert_eq!(inbox[0].body, "Can I bring my son along?");
    assert_eq!(inbox[0].patient_id, Some(ana));
    // The audit knows how it was read, but never the words.
    let audit = store::audit::for_subject(&pr.store, &format!("message:{}", inbox[0].id)).unwrap();
    assert_eq!(audit[0].action, "reply.received");
    assert!(audit[0].detail.contains("\"classification\":\"other\""));
    assert!(!audit[0].detail.contains("son"), "{}", audit[0].detail);
}

#[tokio::test]
async fn r_after_a_reminder_flags_a_call_back() {
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, true);
    let visit = pr.appointment(ana, pr.tomorrow(15));
    pr.remind(ana, &[visit]).await;
    pr.reply(ANA, "R");
    let r = pr.sync().await;
    assert_eq!((r.replies.reschedule, r.callbacks), (1, 1), "{r:?}");
    let a = pr.appt(visit);
    assert!(a.callback_requested);
    assert_eq!(a.status, AppointmentStatus::Booked);
    assert!(pr.consent(ana).may_text(), "R is not an opt-out");
}

#[tokio::test]
async fn call_me_without_a_reminder_flags_the_next_visit_or_waits_in_the_inbox() {
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, true);
    pr.patient("Ben", BEN, true);
    let soon = pr.appointment(ana, pr.tomorrow(15));
    let later = pr.appointment(ana, pr.tomorrow(15) + TimeDelta::days(14));
    pr.reply(ANA, "can someone call me please");
    pr.reply(BEN, "call me"); // Ben has no appointment: a person must read it
    let r = pr.sync().await;
    assert_eq!((r.replies.reschedule, r.callbacks), (1, 1), "{r:?}");
    assert_eq!((r.replies.other, r.inbox_unread), (1, 1), "{r:?}");
    assert!(pr.appt(soon).callback_requested);
    assert!(!pr.appt(later).callback_requested);
}

#[tokio::test]
async fn a_stop_from_a_shared_family_phone_opts_out_everyone_on_it_once() {
    let mut pr = Practice::new();
    pr.fake.set_opt_out_handling(false);
    let mum = pr.patient("Maria", ANA, true);
    let son = pr.patient("Leo", ANA, true);
    pr.reply(ANA, "STOP");
    let r = pr.sync().await;
    assert_eq!((r.replies.opt_out, r.opt_outs), (1, 2), "{r:?}");
    assert!(matches!(pr.consent(mum), ConsentState::OptedOut { .. }));
    assert!(matches!(pr.consent(son), ConsentState::OptedOut { .. }));
    assert_eq!(confirmations(&pr.texts_to(ANA)), 1);
}

#[tokio::test]
async fn delivery_statuses_progress_and_30003_flags_the_number() {
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, true);
    let ben = pr.patient("Ben", BEN, true);
    pr.fake.undeliverable(BEN, 30003);
    let a_visit = pr.appointment(ana, pr.tomorrow(15));
    let b_visit = pr.appointment(ben, pr.tomorrow(16));
    let to_ana = pr.remind(ana, &[a_visit]).await;
    let to_ben = pr.remind(ben, &[b_visit]).await;
    let status = |pr: &Practice, id| store::messages::get(&pr.store, id).unwrap();
    assert_eq!(status(&pr, to_ana).status, MessageStatus::Queued);

    // Still `queued` at Twilio: taken, not waiting — the sync's flush leaves them alone.
    let r = pr.sync().await;
    assert_eq!((r.statuses_applied, r.flush.sent), (0, 0), "{r:?}");
    assert_eq!(pr.fake.created().len(), 2);

    pr.fake.advance_all();
    let r = pr.sync().await;
    assert_eq!(r.statuses_applied, 2, "{r:?}");
    assert_eq!(status(&pr, to_ana).status, MessageStatus::Sent);

    pr.fake.advance_clock(TimeDelta::minutes(1));
    pr.fake.deliver_all();
    let r = pr.sync().await;
    assert_eq!((r.statuses_applied, r.numbers_flagged), (2, 1), "{r:?}");
    assert_eq!(status(&pr, to_ana).status, MessageStatus::Delivered);
    let failed = status(&pr, to_ben);
    assert_eq!(failed.status, MessageStatus::Undelivered);
    assert_eq!(failed.error_code.as_deref(), Some("30003"));
    let ben_row = store::patients::get(&pr.store, ben).unwrap();
    assert_eq!(ben_row.number_problem.unwrap().code, "30003");
    assert!(
        pr.audit_actions(&format!("patient:{ben}"))
            .contains(&"patient.number_flagged".to_string())
    );
    assert!(
        pr.audit_actions(&format!("message:{to_ana}"))
            .contains(&"message.status".to_string())
    );
    assert_eq!(
        store::patients::get(&pr.store, ana).unwrap().number_problem,
        None
    );

    // The cursor remembers: nothing is applied twice.
    let r = pr.sync().await;
    assert_eq!((r.statuses_applied, r.numbers_flagged), (0, 0), "{r:?}");
}

#[tokio::test]
async fn unsubscribed_21610_on_a_send_or_a_status_records_an_opt_out() {
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, true);
    let ben = pr.patient("Ben", BEN, true);
    // Recorded while offline; the sync's flush sends it and Twilio answers 21610.
    let visit = pr.appointment(ana, pr.tomorrow(15));
    pr.fake.fail_number(ANA, 21610);
    let waiting = pr.record_reminder(ana, &[visit]);
    let r = pr.sync().await;
    assert_eq!(r.flush.failed, 1, "{r:?}");
    assert_eq!(
        store::messages::get(&pr.store, waiting)
            .unwrap()
            .error_code
            .as_deref(),
        Some("21610")
    );
    match pr.consent(ana) {
        ConsentState::OptedOut { method, .. } => assert_eq!(method, ConsentMethod::ProviderReport),
        other => panic!("{other:?}"),
    }

    // Reported later, as a failed status on a message Twilio had taken.
    let b_visit = pr.appointment(ben, pr.tomorrow(16));
    let sent = pr.remind(ben, &[b_visit]).await;
    let sid = store::messages::get(&pr.store, sent)
        .unwrap()
        .provider_id
        .unwrap();
    pr.fake.set_status(&sid, "failed", Some(21610));
    let r = pr.sync().await;
    assert_eq!((r.statuses_applied, r.provider_opt_outs), (1, 1), "{r:?}");
    assert!(matches!(pr.consent(ben), ConsentState::OptedOut { .. }));
}

#[tokio::test]
async fn the_cursor_is_stored_and_a_replayed_listing_applies_nothing_twice() {
    let mut pr = Practice::new();
    pr.fake.set_opt_out_handling(false);
    let ana = pr.patient("Ana", ANA, true);
    let visit = pr.appointment(ana, pr.tomorrow(15));
    pr.remind(ana, &[visit]).await;
    pr.reply(ANA, "C");
    pr.reply(ANA, "HELP");
    pr.reply(ANA, "what time is parking open?");
    let first = pr.sync().await;
    assert_eq!(first.replies.total(), 3, "{first:?}");
    let stored = store::settings::get(&pr.store, &sync::cursor_key("twilio"))
        .unwrap()
        .expect("cursor stored");
    assert!(stored.contains("window_start"), "{stored}");
    let texts = pr.fake.created().len();
    let audit = store::audit::page(&pr.store, 0, 10_000).unwrap().len();

    let second = pr.sync().await;
    assert_eq!(
        (second.replies.total(), second.replies_repeated),
        (0, 0),
        "{second:?}"
    );

    // Even with the cursor lost, a full replay changes nothing: inbound rows are unique per
    // provider id and statuses only move forward.
    pr.store
        .write(|tx| store::settings::set(tx, &sync::cursor_key("twilio"), "{damaged"))
        .unwrap();
    let replay = pr.sync().await;
    assert!(replay.cursor_reset);
    assert_eq!(
        (replay.replies.total(), replay.replies_repeated),
        (0, 3),
        "{replay:?}"
    );
    assert_eq!(pr.fake.created().len(), texts);
    assert_eq!(
        store::audit::page(&pr.store, 0, 10_000).unwrap().len(),
        audit
    );
    assert_eq!(replay.inbox_unread, 1);
    assert_eq!(pr.appt(visit).status, AppointmentStatus::Confirmed);
}

#[tokio::test]
async fn a_reply_from_an_unknown_number_is_kept_in_the_inbox() {
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, true);
    pr.reply(STRANGER, "STOP");
    let r = pr.sync().await;
    assert_eq!(
        (r.unknown_senders, r.replies.other, r.inbox_unread),
        (1, 1, 1),
        "{r:?}"
    );
    assert_eq!(r.opt_outs, 0);
    let inbox = store::messages::inbox(&pr.store, 10).unwrap();
    assert_eq!(inbox[0].patient_id, None);
    assert_eq!(inbox[0].from.as_deref(), Some(STRANGER));
    assert!(pr.consent(ana).may_text());
    assert!(
        pr.fake.created().is_empty(),
        "no answer to a number we do not know"
    );
}

#[tokio::test]
async fn sent_answers_are_not_sent_again_by_the_flush() {
    // The flush after the answers sees them `queued` at Twilio: that is "taken", not "waiting".
    let mut pr = Practice::new();
    pr.patient("Ana", ANA, true);
    pr.reply(ANA, "INFO");
    let r = pr.sync().await;
    assert_eq!((r.answers.sent, r.flush.sent), (1, 0), "{r:?}");
    assert_eq!(pr.fake.duplicates(), vec![]);
    assert_eq!(pr.texts_to(ANA).len(), 1);
}

#[tokio::test]
async fn reminders_sent_by_remind_go_once_and_their_answer_confirms() {
    // The whole loop with the real `remind`: its texts sit `queued` at Twilio until a status
    // arrives, and neither a second `remind` nor `sync` may send them again.
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, true);
    let visit = pr.appointment(ana, pr.now() + TimeDelta::hours(47)); // the 48 h reminder is due
    for _ in 0..2 {
        let clock = pr.clock();
        let r = remind::run(
            &pr.d,
            &mut pr.store,
            &pr.config,
            &pr.gate,
            &clock,
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!(r.stopped, None);
    }
    let r = pr.sync().await;
    assert_eq!(r.flush.sent, 0, "{r:?}");
    assert_eq!(pr.texts_to(ANA).len(), 1, "{:?}", pr.texts_to(ANA));
    assert_eq!(pr.fake.duplicates(), vec![]);

    pr.fake.advance_all();
    pr.reply(ANA, "yes");
    let r = pr.sync().await;
    assert_eq!(
        (r.statuses_applied, r.replies.confirm, r.confirmed),
        (1, 1, 1),
        "{r:?}"
    );
    assert_eq!(pr.appt(visit).status, AppointmentStatus::Confirmed);
    assert!(
        pr.consent(ana).may_text(),
        "YES answering a reminder is not an opt-in event"
    );
    assert_eq!(store::consent::events(&pr.store, ana).unwrap().len(), 1);
}

#[tokio::test]
async fn bad_credentials_stop_the_sync_with_a_clear_message() {
    let mut pr = Practice::new();
    pr.patient("Ana", ANA, true);
    pr.reply(ANA, "HELP");
    let wrong = Twilio::new(TwilioSettings {
        auth_token: "not-the-token".into(),
        ..pr.fake.settings()
    })
    .unwrap();
    let d = dispatcher(wrong);
    let clock = pr.clock();
    let mut events = Vec::new();
    let r = sync::sync(&d, &mut pr.store, &pr.config, &pr.gate, &clock, &mut |e| {
        events.push(e)
    })
    .await
    .unwrap();
    let reason = r.stopped.clone().unwrap();
    assert!(reason.contains("check your Twilio credentials"), "{reason}");
    assert_eq!(r.replies.total(), 0);
    assert!(!r.complete);
    assert!(matches!(events.last(), Some(BatchEvent::Stopped { .. })));
    assert_eq!(
        store::settings::get(&pr.store, &sync::cursor_key("twilio")).unwrap(),
        None,
        "no cursor moves without its page being applied"
    );
}

mod cli {
    use super::*;
    use assert_cmd::Command;
    use predicates::prelude::*;

    const TOKEN_ENV: &str = "FD_TEST_TWILIO_TOKEN";

    fn frontdesk(home: &Path, fake: &FakeTwilio) -> Command {
        let mut cmd = Command::cargo_bin("frontdesk").unwrap();
        cmd.env_clear()
            .env("HOME", home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env(
                "FRONTDESK_NOW",
                (fake.now() + TimeDelta::minutes(1)).to_rfc3339(),
            );
        cmd
    }

    fn setup(fake: &FakeTwilio) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("frontdesk.toml");
        std::fs::write(&config, config_text(fake, TOKEN_ENV)).unwrap();
        // Config files are refused unless only their owner can read them (as `init` writes them).
        std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let db = home.path().join("practice.db");
        // Commands never create a practice database; the practice already has one.
        drop(Store::open(&db).unwrap());
        (home, config, db)
    }

    #[test]
    fn json_report_after_a_stop_reply() {
        let fake = FakeTwilio::start();
        fake.set_opt_out_handling(false);
        let (home, config, db) = setup(&fake);
        {
            let mut store = Store::open(&db).unwrap();
            let p = store
                .write(|tx| {
                    store::patients::insert(
                        tx,
                        &store::patients::NewPatient {
                            external_id: None,
                            first_name: "Ana".into(),
                            last_name: "Test".into(),
                            birth_date: None,
                            mobile: Some(E164::try_from(ANA.to_string()).unwrap()),
                            time_zone: None,
                            portal_active: false,
                        },
                        fake.now(),
                    )
                })
                .unwrap();
            consent::record(
                &mut store,
                p,
                &ConsentEvent {
                    kind: ConsentKind::OptIn,
                    method: ConsentMethod::WrittenForm,
                    evidence: Some("FORM-1".into()),
                    recorded_by: "desk".into(),
                    at: fake.now() - TimeDelta::days(3),
                },
            )
            .unwrap();
        }
        fake.inject_inbound(ANA, "STOP");
        fake.inject_inbound(STRANGER, "who is this?");
        let out = frontdesk(home.path(), &fake)
            .env(TOKEN_ENV, AUTH_TOKEN)
            .args([
                "--db",
                db.to_str().unwrap(),
                "--config",
                config.to_str().unwrap(),
            ])
            .args(["sync", "--json"])
            .assert()
            .success()
            .stderr(predicate::str::contains("sync: fetching replies"))
            .get_output()
            .stdout
            .clone();
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(json["provider"], "twilio");
        assert_eq!(json["opt_outs"], 1, "{json}");
        assert_eq!(json["replies"]["opt_out"], 1);
        assert_eq!(json["answers"]["sent"], 1);
        assert_eq!(json["inbox_unread"], 1);
        assert_eq!(json["stopped"], serde_json::Value::Null);
        assert_eq!(
            confirmations(
                &fake
                    .created()
                    .into_iter()
                    .map(|c| c.body)
                    .collect::<Vec<_>>()
            ),
            1
        );

        // The human summary on a second run: nothing new.
        frontdesk(home.path(), &fake)
            .env(TOKEN_ENV, AUTH_TOKEN)
            .args([
                "--db",
                db.to_str().unwrap(),
                "--config",
                config.to_str().unwrap(),
            ])
            .arg("sync")
            .assert()
            .success()
            .stdout(predicate::str::contains("Synced with twilio."))
            .stdout(predicate::str::contains("replies: 0"))
            .stdout(predicate::str::contains("reply inbox: 1 unread"));
    }

    #[test]
    fn wrong_credentials_exit_1_with_the_credentials_message() {
        let fake = FakeTwilio::start();
        let (home, config, db) = setup(&fake);
        frontdesk(home.path(), &fake)
            .env(TOKEN_ENV, "wrong-token")
            .args([
                "--db",
                db.to_str().unwrap(),
                "--config",
                config.to_str().unwrap(),
            ])
            .arg("sync")
            .assert()
            .code(1)
            .stderr(predicate::str::contains("check your Twilio credentials"))
            .stderr(predicate::str::contains("panicked").not());
    }

    #[test]
    fn a_missing_token_is_a_clear_error() {
        let fake = FakeTwilio::start();
        let (home, config, db) = setup(&fake);
        frontdesk(home.path(), &fake)
            .args([
                "--db",
                db.to_str().unwrap(),
                "--config",
                config.to_str().unwrap(),
            ])
            .args(["sync", "--json"])
            .assert()
            .code(1)
            .stderr(predicate::str::contains(TOKEN_ENV))
            .stdout(predicate::str::is_empty());
        assert!(fake.requests().is_empty());
    }
}

#[tokio::test]
async fn a_message_twilio_has_that_no_row_knows_is_adopted_by_its_row_with_its_status() {
    // The state a SIGKILL leaves between Twilio taking a text and the write-back: the row is
    // `pending` without a provider id, and Twilio holds the message.
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, true);
    let ben = pr.patient("Ben", BEN, true);
    let visit = pr.appointment(ana, pr.tomorrow(15));
    let other = pr.appointment(ben, pr.tomorrow(16));
    let lost = pr.record_reminder(ana, &[visit]);
    let waiting = pr.record_reminder(ben, &[other]);
    let row = store::messages::get(&pr.store, lost).unwrap();
    let sms = frontdesk::provider::OutboundSms {
        to: E164::try_from(row.to.clone()).unwrap(),
        body: row.body.clone(),
        idempotency_key: row.idempotency_key.clone().unwrap(),
    };
    use frontdesk::provider::SmsProvider as _;
    let receipt = pr.fake.provider().send(&sms).await.unwrap();
    // Ben's row was never attempted (queued, attempts 0): a message to him with his body
    // would not be his row's, and there is none.
    let now = pr.now();
    pr.store
        .write(|tx| store::messages::set_status(tx, waiting, MessageStatus::Queued, None, now))
        .unwrap();
    pr.fake.deliver_all();
    pr.fake.advance_clock(TimeDelta::minutes(1));

    let r = pr.sync().await;
    assert_eq!(r.adopted, 1, "{r:?}");
    let row = store::messages::get(&pr.store, lost).unwrap();
    assert_eq!(
        row.provider_id.as_deref(),
        Some(receipt.provider_id.as_str())
    );
    assert_eq!(
        row.status,
        MessageStatus::Delivered,
        "its status is recorded"
    );
    assert!(
        pr.audit_actions(&format!("message:{lost}"))
            .contains(&"message.sent".to_string())
    );
    // Ana got one text; Ben's waiting one went with the flush, once.
    assert_eq!(pr.texts_to(ANA).len(), 1);
    assert_eq!(pr.texts_to(BEN).len(), 1);
    assert!(pr.fake.duplicates().is_empty());
}

#[tokio::test]
async fn full_width_accentless_and_bare_opt_outs_are_honoured_and_confirmed_once() {
    // The wordings an adversarial run found filed as "other" (issue 8, item 3).
    let mut pr = Practice::new();
    pr.fake.set_opt_out_handling(false);
    let wordings = ["ＳＴＯＰ", "no más", "No mas", "no more"];
    let numbers = [
        "+12015550141",
        "+12015550142",
        "+12015550143",
        "+12015550144",
    ];
    let mut patients = Vec::new();
    for (i, n) in numbers.iter().enumerate() {
        patients.push(pr.patient(&format!("P{i}"), n, true));
    }
    for (n, w) in numbers.iter().zip(wordings) {
        pr.fake.inject_inbound(n, w);
    }
    pr.fake.advance_clock(TimeDelta::minutes(1));
    let r = pr.sync().await;
    assert_eq!(
        (r.replies.opt_out, r.opt_outs, r.replies.other),
        (4, 4, 0),
        "{r:?}"
    );
    for (p, n) in patients.iter().zip(numbers) {
        assert!(matches!(pr.consent(*p), ConsentState::OptedOut { .. }));
        assert_eq!(confirmations(&pr.texts_to(n)), 1, "{n}");
    }
    // "Cancel appointment" and "Cancelar cita" are handled alike: a call-back, no opt-out.
    let ana = pr.patient("Ana", ANA, true);
    let ben = pr.patient("Ben", BEN, true);
    let a_visit = pr.appointment(ana, pr.tomorrow(15));
    let b_visit = pr.appointment(ben, pr.tomorrow(16));
    pr.reply(ANA, "Cancel appointment");
    pr.reply(BEN, "Cancelar cita");
    let r = pr.sync().await;
    assert_eq!(
        (r.replies.reschedule, r.opt_outs, r.callbacks),
        (2, 0, 2),
        "{r:?}"
    );
    assert!(pr.appt(a_visit).callback_requested && pr.appt(b_visit).callback_requested);
    assert!(pr.consent(ana).may_text() && pr.consent(ben).may_text());
}
