use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{Duration, NaiveDate};

use super::*;
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::batch::BatchProgress;
use crate::domain::ids::PatientId;
use crate::domain::message::MessageStatus;
use crate::domain::phone::E164;
use crate::phi::Gate;
use crate::provider::offline::Outbox;
use crate::store::appointments::tests::{booking, fixture, opt_in, t};
use crate::store::patients::{self, NewPatient};
use crate::workflow::dispatch::Dispatcher;

const TZ: chrono_tz::Tz = chrono_tz::America::New_York;

fn tomorrow() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

/// Six consenting patients booked tomorrow, plus one opted-out, one without a mobile and
/// one cancelled appointment.
fn practice() -> (Store, Vec<PatientId>) {
    let (store, ada, c, ty) = fixture();
    let conn = store.test_conn();
    let mut consenting = vec![ada];
    patients::set_mobile(conn, ada, Some(&E164::parse("2015550100", "US").unwrap())).unwrap();
    opt_in(&store, ada, t(8, 0));
    let add = |n: usize, mobile: bool| {
        patients::insert(
            conn,
            &NewPatient {
                external_id: None,
                first_name: format!("P{n}"),
                last_name: "Test".into(),
                birth_date: None,
                mobile: mobile.then(|| E164::parse(&format!("20155501{n:02}"), "US").unwrap()),
                time_zone: None,
                portal_active: false,
            },
            t(8, 0),
        )
        .unwrap()
    };
    for n in 1..6 {
        let p = add(n, true);
        opt_in(&store, p, t(8, 0));
        consenting.push(p);
    }
    let no_mobile = add(20, false);
    opt_in(&store, no_mobile, t(8, 0));
    let no_consent = add(21, true);
    let day = day_window(tomorrow(), TZ).from;
    for (i, p) in consenting.iter().enumerate() {
        let start = day + Duration::hours(14) + Duration::minutes(20 * i as i64);
        crate::store::appointments::insert(conn, &booking(*p, c, ty, start)).unwrap();
    }
    for p in [no_mobile, no_consent] {
        crate::store::appointments::insert(conn, &booking(p, c, ty, day + Duration::hours(16)))
            .unwrap();
    }
    let mut cancelled = booking(ada, c, ty, day + Duration::hours(17));
    cancelled.status = AppointmentStatus::Cancelled;
    crate::store::appointments::insert(conn, &cancelled).unwrap();
    (store, consenting)
}

struct Kit {
    d: Dispatcher,
    config: Config,
    gate: Gate,
    clock: Clock,
}

fn kit(at: DateTime<Utc>) -> Kit {
    let mut config = Config::default();
    config.sms.concurrency = 2;
    config.sms.rate_per_second = 1000.0;
    Kit {
        d: Dispatcher::from_config(&config, Arc::new(Outbox::new())),
        config,
        gate: Gate::with_allow_list(&[]),
        clock: Clock::Fixed(at),
    }
}

impl Kit {
    fn run(&self) -> Sending<'_> {
        Sending {
            dispatcher: &self.d,
            config: &self.config,
            gate: &self.gate,
            clock: &self.clock,
            actor: "rosa",
        }
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn rows(store: &Store) -> Vec<crate::domain::message::Message> {
    let mut all = Vec::new();
    for id in 1..200 {
        if let Ok(m) = store::messages::get(store, MessageId(id)) {
            all.push(m);
        }
    }
    all
}

#[test]
fn the_preview_lists_every_appointment_of_the_day_with_its_reason_and_writes_nothing() {
    let (store, _) = practice();
    let k = kit(t(15, 0)); // 10:00 in New York, the day before
    let r = preview(&k.run(), &store, day_window(tomorrow(), TZ)).unwrap();
    assert_eq!(r.lines.len(), 9, "{:#?}", r.lines);
    let with = |a: LineAction| r.lines.iter().filter(|l| l.action == a).count();
    assert_eq!(with(LineAction::Send), 6, "{:#?}", r.lines);
    let reasons: Vec<&str> = r
        .lines
        .iter()
        .filter(|l| l.action == LineAction::Skip)
        .filter_map(|l| l.reason.as_deref())
        .collect();
    for expected in ["no mobile number", "no consent", "cancelled"] {
        assert!(reasons.contains(&expected), "{expected}: {reasons:?}");
    }
    assert!(rows(&store).is_empty(), "a preview writes nothing");
}

#[test]
fn in_quiet_hours_a_line_waits_until_the_window_opens_in_local_time() {
    let (store, _) = practice();
    // 22:00 in New York the evening before: nothing may go before 08:00.
    let k = kit(t(15, 0) + Duration::hours(12));
    let r = preview(&k.run(), &store, day_window(tomorrow(), TZ)).unwrap();
    let waits: Vec<&str> = r
        .lines
        .iter()
        .filter(|l| l.action == LineAction::Wait)
        .filter_map(|l| l.reason.as_deref())
        .collect();
    assert_eq!(waits.len(), 6, "{:#?}", r.lines);
    assert!(
        waits.iter().all(|w| *w == "until 08:00 (local)"),
        "{waits:?}"
    );
}

#[test]
fn cancelling_mid_batch_leaves_every_row_final_and_the_rest_unrecorded() {
    let (mut store, _) = practice();
    let k = kit(t(15, 0));
    let cancel = AtomicBool::new(false);
    let mut events = Vec::new();
    let r = rt()
        .block_on(send(
            &k.run(),
            &mut store,
            day_window(tomorrow(), TZ),
            &cancel,
            &mut |e| {
                // The desk presses Esc as soon as the first text has gone.
                if matches!(e, BatchEvent::Sent { .. }) {
                    cancel.store(true, Ordering::SeqCst);
                }
                events.push(e);
            },
        ))
        .unwrap();
    let recorded = rows(&store);
    // The slice in flight (two texts: the concurrency) finished; nothing after it began.
    assert_eq!(recorded.len(), 2, "{recorded:#?}");
    assert!(
        recorded.iter().all(|m| m.status == MessageStatus::Queued),
        "held by the offline outbox, none half-way: {recorded:#?}"
    );
    let not_attempted = r
        .lines
        .iter()
        .filter(|l| l.reason.as_deref() == Some(NOT_ATTEMPTED))
        .count();
    assert_eq!(not_attempted, 4);
    assert!(r.lines.iter().all(|l| l.action != LineAction::Send));
    assert!(
        r.stopped
            .as_deref()
            .unwrap()
            .starts_with("cancelled at the desk: 4")
    );
    let p = BatchProgress::from_events(&events);
    assert_eq!((p.total, p.done(), p.not_attempted()), (6, 2, 4));
    assert!(p.finished && p.stopped.is_some());

    // Sending again later sends only what was not attempted; nothing goes twice.
    let again = rt()
        .block_on(send(
            &k.run(),
            &mut store,
            day_window(tomorrow(), TZ),
            &AtomicBool::new(false),
            &mut |_| {},
        ))
        .unwrap();
    assert!(again.stopped.is_none());
    let recorded = rows(&store);
    assert_eq!(recorded.len(), 6);
    let mut keys: Vec<_> = recorded.iter().map(|m| m.idempotency_key.clone()).collect();
    keys.dedup();
    assert_eq!(keys.len(), 6);
    assert_eq!(
        again
            .lines
            .iter()
            .filter(|l| l.action == LineAction::InOutbox)
            .count(),
        4,
        "{:#?}",
        again.lines
    );
}

#[test]
fn a_full_run_reports_every_text_to_the_gauge_and_audits_the_desk_member() {
    let (mut store, _) = practice();
    let k = kit(t(15, 0));
    let mut events = Vec::new();
    let r = rt()
        .block_on(send(
            &k.run(),
            &mut store,
            day_window(tomorrow(), TZ),
            &AtomicBool::new(false),
            &mut |e| events.push(e),
        ))
        .unwrap();
    let p = BatchProgress::from_events(&events);
    assert_eq!((p.total, p.sent, p.ratio()), (6, 6, 1.0));
    assert!(p.finished && p.stopped.is_none());
    assert_eq!(r.totals.in_outbox, 6, "{:?}", r.totals);
    let m = &rows(&store)[0];
    let audit = store::audit::for_subject(&store, &format!("message:{}", m.id)).unwrap();
    assert!(audit.iter().any(|a| a.actor == "rosa"), "{audit:#?}");
}

/// A provider that refuses the credentials while `down`, and takes every text otherwise.
#[derive(Default)]
struct Flaky {
    down: AtomicBool,
    taken: std::sync::atomic::AtomicUsize,
}

impl crate::provider::SmsProvider for Flaky {
    fn name(&self) -> &'static str {
        "twilio"
    }
    fn send<'a>(
        &'a self,
        _: &'a crate::provider::OutboundSms,
    ) -> crate::provider::ProviderFuture<'a, crate::provider::SendReceipt> {
        Box::pin(async move {
            if self.down.load(Ordering::SeqCst) {
                return Err(crate::provider::ProviderError::Unauthorized { code: Some(20003) });
            }
            let n = self.taken.fetch_add(1, Ordering::SeqCst);
            Ok(crate::provider::SendReceipt {
                provider_id: format!("SM{n:032}"),
                status: MessageStatus::Queued,
                error_code: None,
                segments: Some(1),
            })
        })
    }
    fn fetch_status<'a>(
        &'a self,
        _: &'a str,
    ) -> crate::provider::ProviderFuture<'a, crate::provider::StatusUpdate> {
        Box::pin(async {
            Err(crate::provider::ProviderError::Unreachable(
                "not used".into(),
            ))
        })
    }
    fn poll<'a>(
        &'a self,
        _: &'a crate::provider::PollCursor,
    ) -> crate::provider::ProviderFuture<'a, crate::provider::PollPage> {
        Box::pin(async {
            Err(crate::provider::ProviderError::Unreachable(
                "not used".into(),
            ))
        })
    }
    fn find_sent<'a>(
        &'a self,
        _: &'a crate::provider::SentQuery,
    ) -> crate::provider::ProviderFuture<'a, Vec<crate::provider::SentMessage>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

#[test]
fn a_stopped_batch_leaves_rows_waiting_and_retry_sends_only_those_once() {
    let (mut store, _) = practice();
    let mut k = kit(t(15, 0));
    let flaky = Arc::new(Flaky::default());
    flaky.down.store(true, Ordering::SeqCst);
    k.d = Dispatcher::from_config(&k.config, flaky.clone());
    let w = day_window(tomorrow(), TZ);
    let r = rt()
        .block_on(send(
            &k.run(),
            &mut store,
            w,
            &AtomicBool::new(false),
            &mut |_| {},
        ))
        .unwrap();
    // Bad credentials stop the run: the slice in flight waits, the rest is not attempted.
    assert!(
        r.stopped.as_deref().unwrap().contains("credentials"),
        "{:?}",
        r.stopped
    );
    let waiting: Vec<MessageId> = r
        .lines
        .iter()
        .filter(|l| l.action == LineAction::Waiting)
        .filter_map(|l| l.message_id)
        .collect();
    assert_eq!(waiting.len(), 2, "{:#?}", r.lines);
    assert!(
        rows(&store)
            .iter()
            .all(|m| m.status == MessageStatus::Queued)
    );
    // The credentials are fixed; "retry only the failures" sends those two and nothing else.
    flaky.down.store(false, Ordering::SeqCst);
    let mut events = Vec::new();
    let again = rt()
        .block_on(retry(&k.run(), &mut store, &waiting, &mut |e| {
            events.push(e)
        }))
        .unwrap();
    assert_eq!(flaky.taken.load(Ordering::SeqCst), 2);
    assert_eq!(again.totals.sent, 2, "{:#?}", again.lines);
    let p = BatchProgress::from_events(&events);
    assert_eq!((p.total, p.sent, p.ratio()), (2, 2, 1.0));
    // A second retry finds nothing left to send.
    rt().block_on(retry(&k.run(), &mut store, &waiting, &mut |_| {}))
        .unwrap();
    assert_eq!(flaky.taken.load(Ordering::SeqCst), 2, "never twice");
}

#[test]
fn a_day_is_its_local_midnight_to_the_next_across_a_clock_change() {
    // 1 November 2026: New York leaves summer time; the day has 25 hours.
    let w = day_window(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), TZ);
    assert_eq!(w.to - w.from, Duration::hours(25));
    assert_eq!(w.from.to_rfc3339(), "2026-11-01T04:00:00+00:00");
}
