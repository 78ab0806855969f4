//! Local time (DST, midnight), reschedules, weeks, bars that add up, CSV, reminder keys.

use super::*;

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
    #![proptest_config(crate::testing::proptest_config(
        "tests/proptest-regressions/domain/stats/tests/time.txt"
    ))]
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
