//! Hand-computed fixtures for every definition and edge case of SPEC §7.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::domain::appointment::AppointmentStatus::{self, *};
use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
use crate::domain::consent_history::ConsentTimelines;
use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};
use crate::domain::message::MessageStatus;
use crate::domain::reminder::{ReminderKey, reminder_key};

const NY: Tz = chrono_tz::America::New_York;

/// Local New York time.
fn ny(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    NY.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn date(y: i32, mo: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, mo, d).unwrap()
}

/// Wednesday 25 November 2026, 09:30 in New York.
fn now() -> DateTime<Utc> {
    ny(2026, 11, 25, 9, 30)
}

/// The four weeks before "now", Monday 26 October to Sunday 22 November.
fn weeks() -> Period {
    Period::new(date(2026, 10, 26), date(2026, 11, 22)).unwrap()
}

struct Fx {
    period: Period,
    now: DateTime<Utc>,
    appointments: Vec<AppointmentFacts>,
    reminders: Vec<ReminderCover>,
    consent: HashMap<PatientId, Vec<ConsentEvent>>,
    mobiles: HashSet<PatientId>,
    opt_outs: Vec<DateTime<Utc>>,
    names: Names,
}

impl Fx {
    fn new(period: Period) -> Self {
        let names = Names {
            clinicians: [
                (ClinicianId(1), "Dr. Okafor".into()),
                (ClinicianId(2), "Dr. Reyes".into()),
            ]
            .into(),
            types: [(AppointmentTypeId(1), "Check-up".into())].into(),
        };
        Self {
            period,
            now: now(),
            appointments: Vec::new(),
            reminders: Vec::new(),
            consent: HashMap::new(),
            mobiles: HashSet::new(),
            opt_outs: Vec::new(),
            names,
        }
    }

    /// An appointment for its own patient (patient id = appointment id), booked ten days
    /// before, with Dr. Okafor; the patient has a mobile and opted in long ago.
    fn add(
        &mut self,
        id: i64,
        start: DateTime<Utc>,
        status: AppointmentStatus,
    ) -> &mut AppointmentFacts {
        let p = PatientId(id);
        self.mobiles.insert(p);
        self.consent.insert(
            p,
            vec![ConsentEvent {
                kind: ConsentKind::OptIn,
                method: ConsentMethod::WrittenForm,
                evidence: Some(format!("FORM-{id}")),
                recorded_by: "desk".into(),
                at: ny(2025, 1, 2, 9, 0),
            }],
        );
        self.appointments.push(AppointmentFacts {
            id: AppointmentId(id),
            patient_id: p,
            clinician_id: ClinicianId(1),
            type_id: AppointmentTypeId(1),
            start,
            status,
            booked_at: start - Duration::days(10),
            cancelled_at: None,
            confirmed_at: None,
        });
        self.appointments.last_mut().unwrap()
    }

    /// A reminder row for appointment `id` at `start`, `offset` hours before.
    fn remind(&mut self, id: i64, start: DateTime<Utc>, offset: u32, status: MessageStatus) {
        let key = reminder_key(AppointmentId(id), start, offset);
        self.reminders.extend(ReminderCover::from_key(&key, status));
    }

    fn run(&self) -> StatsReport {
        let mut patients: Vec<PatientId> = self.consent.keys().copied().collect();
        patients.sort_unstable();
        let mut consent = ConsentTimelines::default();
        for p in patients {
            consent.push(p, &self.consent[&p]);
        }
        let mobiles: PatientSet = self.mobiles.iter().copied().collect();
        compute(&StatsInput {
            period: self.period,
            tz: NY,
            now: self.now,
            rules: Rules {
                max_offset_hours: 48,
                min_lead_minutes: 120,
            },
            appointments: &self.appointments,
            reminders: &self.reminders,
            consent: &consent,
            mobiles: &mobiles,
            opt_outs: &self.opt_outs,
            names: &self.names,
        })
    }
}

/// One row of the hand-computed week: id, start, status, reminders (offset, status), confirmed.
type HandRow<'a> = (
    i64,
    DateTime<Utc>,
    AppointmentStatus,
    &'a [(u32, MessageStatus)],
    bool,
);

/// A change to a fixture, for table tests.
type Setup = Box<dyn Fn(&mut Fx)>;

fn close(got: Option<f64>, want: f64) {
    let got = got.expect("a rate");
    assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
}

#[test]
fn an_empty_period_has_counts_of_zero_and_no_rates() {
    let r = Fx::new(weeks()).run();
    assert_eq!(r.totals, Tally::default());
    assert_eq!(
        r.rates,
        Rates::default(),
        "no rate is 0 %: there is nothing to divide"
    );
    assert_eq!((r.opt_outs, r.upcoming), (0, 0));
    assert_eq!(r.comparisons.reminded.verdict, Verdict::TooFewToTell);
    assert_eq!(r.comparisons.reminded.difference, None);
    // The charts still have their axes: 7 weekdays, 6 lead times, 4 weeks; no clinicians.
    assert_eq!(r.breakdowns.weekday.len(), 7);
    assert_eq!(r.breakdowns.lead.len(), 6);
    assert_eq!(r.breakdowns.week.len(), 4);
    assert!(r.breakdowns.clinician.is_empty() && r.breakdowns.hour.is_empty());
    assert!(r.visits.is_empty());
}

/// Ten appointments in one week, worked by hand:
///
/// | id | status    | reminders (48 h, 24 h)  | confirmed |
/// |----|-----------|-------------------------|-----------|
/// | 1  | completed | delivered, delivered    | yes       |
/// | 2  | completed | delivered, —            | yes       |
/// | 3  | completed | failed, delivered       | no        |
/// | 4  | no-show   | delivered, —            | no        |
/// | 5  | no-show   | —                       | no        | (no mobile: not eligible)
/// | 6  | completed | —                       | no        | (opted in, nothing sent: a gap)
/// | 7  | arrived   | sent (no receipt)       | yes (desk)|
/// | 8  | booked    | undelivered             | no        | (never marked)
/// | 9  | cancelled | delivered               |           | (late: 3 h notice)
/// | 10 | cancelled | —                       |           | (in time: 3 days)
///
/// appointments 10; attended 1,2,3,6,7 = 5; no-shows 4,5 = 2 → no-show rate 2/7.
/// Late cancellations 1 of 10 booked → 1/10.
/// Not cancelled and reminded: 1,2,3,4,7 (8's only reminder failed) = 5; confirmed among
/// them 1,2,7 = 3 → confirmation rate 3/5.
/// Eligible (not cancelled): 1,2,3,4,6,7,8 = 7 (5 has no mobile); with a delivered
/// reminder 1,2,3,4 = 4 → coverage 4/7.
/// Reminders handed over (all ten): 1:2, 2:1, 3:2, 4:1, 7:1, 8:1, 9:1 = 9; failed 3's
/// first and 8's = 2 → delivery failure rate 2/9.
#[test]
fn every_definition_on_a_hand_computed_week() {
    let mut fx = Fx::new(weeks());
    let day = |d: u32, h: u32| ny(2026, 11, d, h, 0);
    use MessageStatus::{Delivered, Failed, Sent, Undelivered};
    let rows: [HandRow<'_>; 10] = [
        (
            1,
            day(16, 9),
            Completed,
            &[(48, Delivered), (24, Delivered)],
            true,
        ),
        (2, day(16, 10), Completed, &[(48, Delivered)], true),
        (
            3,
            day(17, 9),
            Completed,
            &[(48, Failed), (24, Delivered)],
            false,
        ),
        (4, day(17, 10), NoShow, &[(48, Delivered)], false),
        (5, day(18, 9), NoShow, &[], false),
        (6, day(18, 10), Completed, &[], false),
        (7, day(19, 9), Arrived, &[(24, Sent)], true),
        (8, day(19, 10), Booked, &[(24, Undelivered)], false),
        (9, day(20, 9), Cancelled, &[(24, Delivered)], false),
        (10, day(20, 10), Cancelled, &[], false),
    ];
    for (id, start, status, reminders, confirmed) in rows {
        let a = fx.add(id, start, status);
        if confirmed {
            a.confirmed_at = Some(start - Duration::hours(20));
        }
        for &(offset, s) in reminders {
            fx.remind(id, start, offset, s);
        }
    }
    fx.mobiles.remove(&PatientId(5));
    fx.appointments[8].cancelled_at = Some(day(20, 6));
    fx.appointments[9].cancelled_at = Some(day(17, 10));
    let r = fx.run();
    let t = r.totals;
    assert_eq!(
        (
            t.appointments,
            t.attended,
            t.no_shows,
            t.unrecorded,
            t.cancelled
        ),
        (10, 5, 2, 1, 2)
    );
    close(r.rates.no_show_rate, 2.0 / 7.0);
    close(r.rates.late_cancellation_rate, 1.0 / 10.0);
    assert_eq!(
        (t.reminded, t.confirmed_of_reminded, t.confirmed),
        (5, 3, 3)
    );
    close(r.rates.confirmation_rate, 3.0 / 5.0);
    assert_eq!((t.eligible, t.covered), (7, 4));
    close(r.rates.reminder_coverage, 4.0 / 7.0);
    assert_eq!((t.reminders_handed_over, t.reminders_failed), (9, 2));
    close(r.rates.delivery_failure_rate, 2.0 / 9.0);
    // The drill-down lists exactly the appointments behind each number.
    let ids = |m| {
        r.appointments_behind(None, m)
            .into_iter()
            .map(|a| a.0)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(Measure::NoShows), vec![4, 5]);
    assert_eq!(ids(Measure::LateCancellations), vec![9]);
    assert_eq!(ids(Measure::NotCovered), vec![6, 7, 8]);
    assert_eq!(ids(Measure::DeliveryFailures), vec![3, 8]);
    assert_eq!(ids(Measure::Unrecorded), vec![8]);
    assert_eq!(ids(Measure::NotReminded), vec![5, 6, 8]);
}

#[test]
fn a_period_of_nothing_but_cancellations() {
    let mut fx = Fx::new(weeks());
    let start = ny(2026, 11, 18, 9, 0);
    fx.add(1, start, Cancelled).cancelled_at = Some(start - Duration::hours(2));
    fx.add(2, start, Cancelled).cancelled_at = Some(start - Duration::days(4));
    fx.add(3, start, Cancelled); // cancelled, time unknown (imported)
    let r = fx.run();
    let t = r.totals;
    assert_eq!(
        (t.appointments, t.cancelled, t.late_cancellations),
        (3, 3, 1)
    );
    assert_eq!(t.cancellation_time_unknown, 1);
    close(r.rates.late_cancellation_rate, 1.0 / 3.0);
    // Nothing else has a denominator.
    assert_eq!(r.rates.no_show_rate, None);
    assert_eq!(r.rates.confirmation_rate, None);
    assert_eq!(r.rates.reminder_coverage, None);
    assert_eq!(r.rates.delivery_failure_rate, None);
}

#[test]
fn a_cancellation_exactly_24_hours_ahead_is_in_time() {
    let mut fx = Fx::new(weeks());
    let start = ny(2026, 11, 18, 9, 0);
    fx.add(1, start, Cancelled).cancelled_at = Some(start - Duration::hours(24));
    fx.add(2, start, Cancelled).cancelled_at =
        Some(start - Duration::hours(24) + Duration::seconds(1));
    fx.add(3, start, Cancelled).cancelled_at = Some(start + Duration::minutes(5)); // after it began
    let r = fx.run();
    let late: Vec<i64> = r
        .appointments_behind(None, Measure::LateCancellations)
        .iter()
        .map(|a| a.0)
        .collect();
    assert_eq!(late, vec![2, 3]);
}

#[test]
fn a_rescheduled_appointment_counts_once_at_its_final_time() {
    // Booked for Tuesday 3 November, reminded and confirmed for it, then moved to Thursday
    // 12 November, where it was not reminded again, and the patient did not come.
    let mut fx = Fx::new(weeks());
    let old = ny(2026, 11, 3, 9, 0);
    let new = ny(2026, 11, 12, 14, 0);
    fx.add(1, new, NoShow).booked_at = old - Duration::days(10);
    fx.remind(1, old, 24, MessageStatus::Delivered);
    let r = fx.run();
    assert_eq!(r.totals.appointments, 1);
    assert_eq!(r.totals.no_shows, 1);
    assert_eq!(
        r.totals.reminded, 0,
        "a reminder of the old time does not count"
    );
    let week = |monday: NaiveDate| {
        r.breakdowns
            .week
            .iter()
            .find(|b| b.key == BucketKey::Week(monday))
            .unwrap()
            .tally
            .appointments
    };
    assert_eq!(week(date(2026, 11, 2)), 0);
    assert_eq!(week(date(2026, 11, 9)), 1);
    let hour = &r.breakdowns.hour;
    assert_eq!((hour.len(), hour[0].key), (1, BucketKey::Hour(14)));
    // Its lead time runs from the booking to the final start: 19 days.
    let lead = r
        .breakdowns
        .lead
        .iter()
        .find(|b| b.tally.appointments == 1)
        .unwrap();
    assert_eq!(lead.key, BucketKey::Lead(LeadTime::FifteenToThirtyDays));
    // Reminded again for the new time, it counts as reminded.
    fx.remind(1, new, 24, MessageStatus::Delivered);
    assert_eq!(fx.run().totals.reminded, 1);
}

#[test]
fn buckets_are_local_across_both_clock_changes() {
    // Sunday 8 March 2026 (clocks go forward at 02:00) and Sunday 1 November 2026 (back at
    // 02:00: 01:30 happens twice).
    let period = Period::new(date(2026, 3, 1), date(2026, 11, 22)).unwrap();
    let mut fx = Fx::new(period);
    fx.add(1, ny(2026, 3, 8, 1, 30), Completed); // EST
    fx.add(2, ny(2026, 3, 8, 3, 30), Completed); // EDT
    let first = NY
        .with_ymd_and_hms(2026, 11, 1, 1, 30, 0)
        .earliest()
        .unwrap();
    let second = NY.with_ymd_and_hms(2026, 11, 1, 1, 30, 0).latest().unwrap();
    fx.add(3, first.with_timezone(&Utc), NoShow); // EDT
    fx.add(4, second.with_timezone(&Utc), Completed); // EST, an hour later
    let r = fx.run();
    let by = |d: Dimension| {
        r.breakdowns
            .get(d)
            .iter()
            .filter(|b| b.tally.appointments > 0)
            .map(|b| (b.label.clone(), b.tally.appointments))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        by(Dimension::Hour),
        vec![("01:00".into(), 3), ("03:00".into(), 1)]
    );
    assert_eq!(by(Dimension::Weekday), vec![("Sun".into(), 4)]);
    assert_eq!(
        by(Dimension::Week),
        vec![
            ("week of 2026-03-02".into(), 2),
            ("week of 2026-10-26".into(), 2)
        ]
    );
    // The hour axis runs from the first used hour to the last, empty hours included.
    assert_eq!(r.breakdowns.hour.len(), 3);
}

#[test]
fn midnight_starts_belong_to_their_own_day() {
    let monday_midnight = ny(2026, 11, 16, 0, 0);
    let sunday_late = ny(2026, 11, 15, 23, 59);
    let mut fx = Fx::new(Period::new(date(2026, 11, 16), date(2026, 11, 22)).unwrap());
    fx.add(1, monday_midnight, Completed);
    fx.add(2, sunday_late, Completed);
    fx.add(3, ny(2026, 11, 23, 0, 0), Completed); // next Monday's midnight: outside
    let r = fx.run();
    let ids: Vec<i64> = r.visits.iter().map(|v| v.id.0).collect();
    assert_eq!(ids, vec![1]);
    assert_eq!(r.visits[0].keys.hour, 0);
    // The week before ends at Sunday 23:59:59 and holds appointment 2 only.
    fx.period = Period::new(date(2026, 11, 9), date(2026, 11, 15)).unwrap();
    let ids: Vec<i64> = fx.run().visits.iter().map(|v| v.id.0).collect();
    assert_eq!(ids, vec![2]);
}

#[test]
fn appointments_that_have_not_started_are_upcoming_not_counted() {
    let mut fx = Fx::new(Period::new(date(2026, 11, 23), date(2026, 11, 29)).unwrap());
    fx.add(1, ny(2026, 11, 25, 9, 0), Arrived);
    fx.add(2, ny(2026, 11, 25, 9, 30), Booked); // starts exactly now: not started
    fx.add(3, ny(2026, 11, 27, 9, 0), Confirmed);
    let r = fx.run();
    assert_eq!((r.totals.appointments, r.upcoming), (1, 2));
}

#[test]
fn a_same_day_double_text_reminds_both_bookings() {
    let mut fx = Fx::new(weeks());
    let (a, b) = (ny(2026, 11, 18, 9, 0), ny(2026, 11, 18, 15, 0));
    fx.add(1, a, Completed);
    fx.add(2, b, Completed).patient_id = PatientId(1);
    let key = ReminderKey::group([(AppointmentId(1), a), (AppointmentId(2), b)], 24).unwrap();
    fx.reminders.extend(ReminderCover::from_key(
        &key.to_string(),
        MessageStatus::Delivered,
    ));
    let r = fx.run();
    assert_eq!((r.totals.reminded, r.totals.covered), (2, 2));
}

#[test]
fn eligibility_follows_number_consent_and_booking_lead() {
    let start = ny(2026, 11, 18, 9, 0);
    let opt_in = |at| ConsentEvent {
        kind: ConsentKind::OptIn,
        method: ConsentMethod::Portal,
        evidence: Some("P-1".into()),
        recorded_by: "desk".into(),
        at,
    };
    let opt_out = |at| ConsentEvent {
        kind: ConsentKind::OptOut,
        method: ConsentMethod::SmsKeyword,
        evidence: None,
        recorded_by: "system".into(),
        at,
    };
    let cases: Vec<(&str, Setup, bool)> = vec![
        ("opted in long ago", Box::new(|_| {}), true),
        (
            "no mobile",
            Box::new(|fx| {
                fx.mobiles.clear();
            }),
            false,
        ),
        (
            "no consent",
            Box::new(|fx| {
                fx.consent.clear();
            }),
            false,
        ),
        (
            "opted out before the window",
            Box::new(move |fx| {
                fx.consent
                    .get_mut(&PatientId(1))
                    .unwrap()
                    .push(opt_out(start - Duration::days(5)));
            }),
            false,
        ),
        (
            "opted out during the window: was valid at its start",
            Box::new(move |fx| {
                fx.consent
                    .get_mut(&PatientId(1))
                    .unwrap()
                    .push(opt_out(start - Duration::hours(30)));
            }),
            true,
        ),
        (
            "opted in 3 h before: a reminder could still go",
            Box::new(move |fx| {
                fx.consent
                    .insert(PatientId(1), vec![opt_in(start - Duration::hours(3))]);
            }),
            true,
        ),
        (
            "opted in 1 h before: inside the last 2 h",
            Box::new(move |fx| {
                fx.consent
                    .insert(PatientId(1), vec![opt_in(start - Duration::hours(1))]);
            }),
            false,
        ),
        (
            "booked 90 min before",
            Box::new(move |fx| {
                fx.appointments[0].booked_at = start - Duration::minutes(90);
            }),
            false,
        ),
        (
            "no consent on file, but a reminder went out",
            Box::new(move |fx| {
                fx.consent.clear();
                fx.remind(1, start, 24, MessageStatus::Sent);
            }),
            true,
        ),
    ];
    for (name, setup, want) in cases {
        let mut fx = Fx::new(weeks());
        fx.add(1, start, Completed);
        setup(&mut fx);
        assert_eq!(fx.run().totals.eligible, u64::from(want), "{name}");
    }
}

#[test]
fn opt_outs_are_counted_in_the_period_and_per_week() {
    let mut fx = Fx::new(weeks());
    fx.opt_outs = vec![
        ny(2026, 10, 25, 23, 0), // the Sunday before: outside
        ny(2026, 10, 26, 0, 0),
        ny(2026, 11, 11, 12, 0),
        ny(2026, 11, 12, 12, 0),
        ny(2026, 11, 23, 0, 0), // the Monday after: outside
    ];
    let r = fx.run();
    assert_eq!(r.opt_outs, 3);
    let per_week: Vec<u64> = r
        .breakdowns
        .week
        .iter()
        .map(|b| b.opt_outs.unwrap())
        .collect();
    assert_eq!(per_week, vec![1, 0, 2, 0]);
}

/// A practice-sized fixture: every bar's counts add up to the totals in every dimension,
/// and every bar's drill-down has exactly as many appointments as the bar counts.
#[test]
fn bars_add_up_and_drill_downs_match_their_bars() {
    let mut fx = Fx::new(weeks());
    let statuses = [
        Completed, NoShow, Arrived, Cancelled, Completed, Booked, Completed,
    ];
    for i in 0..300_i64 {
        let start = ny(2026, 10, 26, 8, 0) + Duration::minutes(97 * i);
        let status = statuses[(i % 7) as usize];
        let a = fx.add(i + 1, start, status);
        a.clinician_id = ClinicianId(1 + i % 2);
        a.booked_at = start - Duration::hours(7 * i % 900);
        if status == Cancelled {
            a.cancelled_at = Some(start - Duration::hours(i % 50));
        }
        if i % 3 == 0 {
            a.confirmed_at = Some(start - Duration::hours(12));
        }
        if i % 4 != 0 {
            fx.remind(
                i + 1,
                start,
                24,
                [MessageStatus::Delivered, MessageStatus::Failed][(i % 5 == 0) as usize],
            );
        }
    }
    let r = fx.run();
    assert!(r.totals.appointments > 250, "{}", r.totals.appointments);
    for d in Dimension::ALL {
        let bars = r.breakdowns.get(d);
        let sum = |f: fn(&Tally) -> u64| bars.iter().map(|b| f(&b.tally)).sum::<u64>();
        assert_eq!(sum(|t| t.appointments), r.totals.appointments, "{d:?}");
        assert_eq!(sum(|t| t.no_shows), r.totals.no_shows, "{d:?}");
        assert_eq!(
            sum(|t| t.late_cancellations),
            r.totals.late_cancellations,
            "{d:?}"
        );
        assert_eq!(sum(|t| t.covered), r.totals.covered, "{d:?}");
        for b in bars {
            let behind = |m| r.appointments_behind(Some((d, b.key)), m).len() as u64;
            assert_eq!(behind(Measure::All), b.tally.appointments);
            assert_eq!(behind(Measure::NoShows), b.tally.no_shows);
            assert_eq!(behind(Measure::Reminded), b.tally.reminded);
        }
    }
    // Both clinicians have enough for a comparison; the verdict is given with an interval.
    assert_eq!(r.comparisons.by_clinician.len(), 2);
    for g in &r.comparisons.by_clinician {
        let n = g.reminded.with.appointments + g.reminded.without.appointments;
        assert!(n > 60, "{n}");
    }
}

#[test]
fn comparisons_per_clinician_say_too_few_where_counts_do_not_allow() {
    let mut fx = Fx::new(Period::new(date(2026, 1, 5), date(2026, 11, 22)).unwrap());
    // Dr. Okafor: 200 reminded visits with 10 no-shows, 100 not reminded with 20.
    // Dr. Reyes: 10 of each.
    let mut id = 0;
    let mut add = |fx: &mut Fx, clinician: i64, reminded: bool, no_show: bool| {
        id += 1;
        let start = ny(2026, 2, 2, 9, 0) + Duration::hours(id * 20);
        fx.add(id, start, if no_show { NoShow } else { Completed })
            .clinician_id = ClinicianId(clinician);
        if reminded {
            fx.remind(id, start, 24, MessageStatus::Delivered);
        }
    };
    for i in 0..200 {
        add(&mut fx, 1, true, i < 10);
    }
    for i in 0..100 {
        add(&mut fx, 1, false, i < 20);
    }
    for i in 0..20 {
        add(&mut fx, 2, i < 10, i % 5 == 0);
    }
    let r = fx.run();
    let overall = &r.comparisons.reminded;
    assert_eq!(
        (overall.with.appointments, overall.with.no_shows),
        (210, 12)
    );
    assert_eq!(
        (overall.without.appointments, overall.without.no_shows),
        (110, 22)
    );
    let okafor = &r.comparisons.by_clinician[0];
    assert_eq!(okafor.label, "Dr. Okafor");
    // 5 % vs 20 %: Newcombe's interval for −15 points lies wholly below zero.
    assert_eq!(okafor.reminded.verdict, Verdict::FewerNoShows);
    let ci = okafor.reminded.interval.unwrap();
    let (lo, hi) = (ci.low, ci.high);
    let want = intervals::newcombe(10, 200, 20, 100, intervals::Z95).unwrap();
    assert_eq!((lo, hi), (want.low, want.high));
    let reyes = &r.comparisons.by_clinician[1];
    assert_eq!(reyes.reminded.verdict, Verdict::TooFewToTell);
    assert_eq!(reyes.reminded.interval, None);
    assert_eq!(reyes.reminded.with.appointments, 10);
    assert!(r.comparisons.caveat.contains("Observational"));
    assert!(r.comparisons.method.contains("Newcombe") && r.comparisons.method.contains("Wilson"));
}

#[test]
fn unrecorded_and_cancelled_appointments_are_not_compared() {
    let mut fx = Fx::new(weeks());
    fx.add(1, ny(2026, 11, 18, 9, 0), Booked);
    fx.add(2, ny(2026, 11, 18, 10, 0), Cancelled);
    let r = fx.run();
    let c = &r.comparisons.reminded;
    assert_eq!(c.with.appointments + c.without.appointments, 0);
}

#[test]
fn csv_has_a_total_row_then_the_chosen_bars() {
    let mut fx = Fx::new(weeks());
    fx.add(1, ny(2026, 11, 16, 9, 0), NoShow);
    fx.add(2, ny(2026, 11, 17, 9, 0), Completed);
    let r = fx.run();
    let text = csv::to_csv(&r, &[Dimension::Weekday, Dimension::Week]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], csv::COLUMNS.join(","));
    assert!(
        lines[1].starts_with("total,,2026-10-26 to 2026-11-22,2,1,1,0,"),
        "{}",
        lines[1]
    );
    assert_eq!(lines.len(), 1 + 1 + 7 + 4);
    assert!(lines[2].starts_with("weekday,0,Mon,1,0,1,"), "{}", lines[2]);
    // Tuesday: no-show rate 0; Wednesday: no rate at all (empty cell, not 0).
    let tue: Vec<&str> = lines[3].split(',').collect();
    let wed: Vec<&str> = lines[4].split(',').collect();
    assert_eq!((tue[17], wed[17]), ("0", ""));
    assert!(
        lines[9].starts_with("week,2026-10-26,week of 2026-10-26,0,"),
        "{}",
        lines[9]
    );
}

proptest::proptest! {
    /// The in-place reader of one-appointment keys says what `ReminderKey::parse` says.
    #[test]
    fn the_fast_key_reader_agrees_with_the_key_s_owner(
        id in 1i64..100_000_000,
        secs in 0i64..4_000_000_000,
        offset in 1u32..1000,
    ) {
        let start = DateTime::from_timestamp(secs, 0).unwrap();
        let key = reminder_key(AppointmentId(id), start, offset);
        let slow: Vec<ReminderCover> = ReminderKey::parse(&key)
            .unwrap()
            .appointments()
            .iter()
            .map(|&(appointment_id, start)| ReminderCover { appointment_id, start, status: MessageStatus::Sent })
            .collect();
        proptest::prop_assert_eq!(ReminderCover::from_key(&key, MessageStatus::Sent), slow);
    }
}

#[test]
fn keys_of_other_shapes_cover_what_the_owner_reads() {
    for bad in [
        "reminder:24h:12@2026-13-01T09:00:00Z",
        "reminder:24h:@2026-11-01T09:00:00Z",
        "reminder:24h:-3@2026-11-01T09:00:00Z",
        "reminder:24h:12@2026-11-01 09:00:00Z",
        "closure:2026-11-25",
        "",
    ] {
        let owner: Vec<(i64, DateTime<Utc>)> = ReminderKey::parse(bad)
            .map(|k| k.appointments().iter().map(|(a, t)| (a.0, *t)).collect())
            .unwrap_or_default();
        let fast: Vec<(i64, DateTime<Utc>)> = ReminderCover::from_key(bad, MessageStatus::Sent)
            .iter()
            .map(|c| (c.appointment_id.0, c.start))
            .collect();
        assert_eq!(fast, owner, "{bad}");
    }
    let t = ny(2026, 11, 18, 9, 0);
    let group = ReminderKey::group([(AppointmentId(2), t), (AppointmentId(1), t)], 24).unwrap();
    let ids: Vec<i64> = ReminderCover::from_key(&group.to_string(), MessageStatus::Sent)
        .iter()
        .map(|c| c.appointment_id.0)
        .collect();
    assert_eq!(ids, vec![1, 2]);
}
