//! `frontdesk sync` against the stateful fake Twilio: replies — STOP and its plain-language,
//! Spanish, full-width and accentless forms, CANCEL, START, HELP, C, R, free text, a shared
//! family phone. Statuses, the cursor, adoption and the binary are in `sync_status.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/sync.rs"]
mod desk;
mod fake_twilio;
mod support;

use chrono::TimeDelta;
use desk::*;
use frontdesk::domain::appointment::AppointmentStatus;
use frontdesk::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod, ConsentState};
use frontdesk::domain::message::{MessageKind, MessageStatus};
use frontdesk::domain::reminder::SkipReason;
use frontdesk::store::{self};
use frontdesk::workflow::{consent, facts};

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
    let events = store::consent::events(&pr.base.store, ana).unwrap();
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
    assert_eq!(
        store::consent::events(&pr.base.store, ana).unwrap().len(),
        2
    );

    // Nothing more may go: the rules say opted out, and a reminder recorded before the
    // STOP was seen is withdrawn by the re-check instead of sent.
    let loaded = facts::load(&pr.base.store, &pr.config, &[ana], pr.now(), None).unwrap();
    assert_eq!(loaded[&ana].facts.blocked(), Some(SkipReason::OptedOut));
    let sent_before = pr.fake.created().len();
    let waiting = pr.record_reminder(ana, &[later]);
    let flushed = pr.sync().await;
    assert_eq!(flushed.flush.withdrawn, 1, "{flushed:?}");
    assert_eq!(
        store::messages::get(&pr.base.store, waiting)
            .unwrap()
            .status,
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
    assert_eq!(
        store::consent::events(&pr.base.store, ana).unwrap().len(),
        2
    );
}

#[tokio::test]
async fn start_and_yes_opt_in_with_the_reply_as_evidence_and_get_a_confirmation() {
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, false);
    let ben = pr.patient("Ben", BEN, false);
    let two_days_ago = pr.now() - TimeDelta::days(2);
    consent::record(
        &mut pr.base.store,
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
    let row = store::messages::by_key(&pr.base.store, &format!("answer:help-reply:{sid}"))
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
        store::messages::get(&pr.base.store, reminder).unwrap().kind,
        MessageKind::SameDayDouble
    );
    pr.reply(ANA, "C");
    let r = pr.sync().await;
    assert_eq!((r.replies.confirm, r.confirmed), (1, 2), "{r:?}");
    for a in [morning, afternoon] {
        assert_eq!(pr.appt(a).status, AppointmentStatus::Confirmed);
        let audit = store::audit::for_subject(&pr.base.store, &format!("appointment:{a}")).unwrap();
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
        store::appointments::status_change(&pr.base.store, morning)
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
async fn c_after_a_closure_took_the_visit_away_confirms_nothing_and_waits_for_a_person() {
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, true);
    let visit = pr.appointment(ana, pr.tomorrow(15));
    pr.remind(ana, &[visit]).await;
    // The practice closes that day after the reminder went: the notice marks the visit.
    let closed = store::rebookings::NewRebooking {
        appointment_id: visit,
        start: pr.appt(visit).start,
        key: "closure:test",
        by: "desk",
        now: pr.now(),
    };
    pr.base
        .store
        .write(|c| store::rebookings::mark(c, &closed))
        .unwrap();
    pr.reply(ANA, "C");
    let r = pr.sync().await;
    assert_eq!(
        (r.confirmed, r.replies.other, r.inbox_unread),
        (0, 1, 1),
        "{r:?}"
    );
    let after = pr.appt(visit);
    assert_eq!(after.status, AppointmentStatus::Booked);
    assert!(after.to_rebook, "still on the desk's rebook list");
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
    let inbox = store::messages::inbox(&pr.base.store, 10).unwrap();
    assert_eq!(inbox[0].body, "Can I bring my son along?");
    assert_eq!(inbox[0].patient_id, Some(ana));
    // The audit knows how it was read, but never the words.
    let audit =
        store::audit::for_subject(&pr.base.store, &format!("message:{}", inbox[0].id)).unwrap();
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
