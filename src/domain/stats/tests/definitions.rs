//! Each definition of SPEC §7 on hand-computed fixtures, eligibility, comparisons.

use super::*;

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
