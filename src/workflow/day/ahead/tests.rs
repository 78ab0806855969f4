//! The kept days' bookkeeping, by table: what each logged change means for a kept day
//! (kept, patched, stale), when a day is loaded ahead, and how a patch puts rows back.

use super::*;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::ConsentFlag;
use crate::domain::day::DayRow;
use chrono::TimeZone;

const TZ: chrono_tz::Tz = chrono_tz::America::New_York;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
}

/// 10:00 local on `d`.
fn ten(d: u32) -> DateTime<Utc> {
    TZ.with_ymd_and_hms(2026, 12, d, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn row(appointment: i64, patient: i64, d: u32) -> DayRow {
    DayRow {
        appointment_id: AppointmentId(appointment),
        patient_id: PatientId(patient),
        start: ten(d),
        duration_minutes: 15,
        patient_name: "Ngata, Aroha".into(),
        clinician: "Dr Okafor".into(),
        type_label: "Check-up".into(),
        status: AppointmentStatus::Booked,
        reminders: Vec::new(),
        last_reply: None,
        consent: ConsentFlag::None,
        portal: false,
        has_mobile: true,
        number_flagged: false,
        callback_requested: false,
        rebook: false,
    }
}

/// Day `d` with visit `100 + d` of patient `d`.
fn sheet(d: u32) -> DaySheet {
    DaySheet {
        date: day(d),
        tz: TZ,
        rows: vec![row(100 + i64::from(d), i64::from(d), d)],
        cells_pending: false,
    }
}

fn stamp(version: i64, mark: i64, s: i64) -> Stamp {
    Stamp {
        version,
        mark,
        at: at(s),
    }
}

fn change(seq: i64) -> Change {
    Change {
        seq,
        patient: None,
        appointment: None,
        start: None,
    }
}

fn log(first: i64, changes: Vec<Change>) -> Log {
    Log {
        first: Some(first),
        head: changes.iter().map(|c| c.seq).max().unwrap_or(first),
        changes,
    }
}

#[test]
fn a_kept_day_is_shown_only_while_known_true_and_fresh() {
    let mut days = DaysAhead::default();
    days.keep(sheet(1), stamp(7, 0, 0));
    for (date, version, now, kept) in [
        (day(1), 7, at(0), true),
        (day(1), 7, at(59), true),
        (day(1), 7, at(60), false), // the forecasts are a minute old
        (day(1), 8, at(1), false),  // committed elsewhere, not checked yet
        (day(2), 7, at(1), false),  // never loaded
        (day(1), 7, at(-1), false), // the clock went back: not trusted
    ] {
        assert_eq!(
            days.get(date, version, now).is_some(),
            kept,
            "{date} {version} {now}"
        );
    }
    days.unchecked();
    assert!(days.get(day(1), 7, at(0)).is_none(), "an own write");
    assert_eq!(days.to_check(7), Some(0));
    days.check(7, &log(1, Vec::new()));
    assert!(days.get(day(1), 7, at(0)).is_some(), "checked: nothing");
    days.forget();
    assert!(days.get(day(1), 7, at(0)).is_none(), "the log unreadable");
}

/// What a switch finds after a check.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    Kept,
    /// These patients' rows to read again first.
    Patch(Vec<i64>),
    /// Nothing to show: loaded whole.
    Stale,
}

fn found(days: &DaysAhead, d: u32, version: i64, now: DateTime<Utc>) -> Found {
    if days.get(day(d), version, now).is_some() {
        Found::Kept
    } else if let Some(p) = days.to_patch(day(d), version, now) {
        assert_eq!(p.date, day(d));
        Found::Patch(p.patients.iter().map(|p| p.0).collect())
    } else {
        Found::Stale
    }
}

/// Each kind of logged change against day 5 (visit 105 of patient 5, 10:00 local): whom
/// it names decides whose rows are read again; a change naming nothing concerns every day,
/// and one within its hours naming no patient the whole day.
#[test]
fn a_kept_day_survives_the_changes_that_do_not_concern_it() {
    let d5_start = ten(5);
    let (d5_from, d5_to) = day_bounds(day(5), TZ);
    let with = |patient: Option<i64>, appointment: Option<i64>, start| Change {
        patient: patient.map(PatientId),
        appointment: appointment.map(AppointmentId),
        start,
        ..change(11)
    };
    let cases: [(&str, Change, Found); 14] = [
        (
            "another patient's text",
            with(Some(6), None, None),
            Found::Kept,
        ),
        (
            "its patient's text",
            with(Some(5), None, None),
            Found::Patch(vec![5]),
        ),
        (
            "its visit by id",
            with(None, Some(105), None),
            Found::Patch(vec![5]),
        ),
        (
            "a visit booked into it",
            with(Some(9), Some(900), Some(d5_start)),
            Found::Patch(vec![9]),
        ),
        (
            "its visit given to another patient",
            with(Some(9), Some(105), Some(d5_start)),
            Found::Patch(vec![5, 9]),
        ),
        (
            "its visit moved away",
            with(Some(5), Some(105), Some(ten(6))),
            Found::Patch(vec![5]),
        ),
        (
            "its first second, whose unknown",
            with(None, None, Some(d5_from)),
            Found::Stale,
        ),
        (
            "a decision about a visit not on it, in its hours",
            with(None, Some(900), Some(d5_start)),
            Found::Stale,
        ),
        (
            "the next day's first second",
            with(None, None, Some(d5_to)),
            Found::Kept,
        ),
        (
            "the day before's last second",
            with(None, None, Some(d5_from - Duration::seconds(1))),
            Found::Kept,
        ),
        (
            "another day's visit",
            with(Some(6), Some(106), Some(ten(6))),
            Found::Kept,
        ),
        (
            "everything (a clinician, a template)",
            change(11),
            Found::Stale,
        ),
        (
            "a decision about another visit",
            with(None, Some(106), Some(ten(6))),
            Found::Kept,
        ),
        (
            "a change before its load",
            Change {
                patient: Some(PatientId(5)),
                ..change(10)
            },
            Found::Kept,
        ),
    ];
    for (what, c, expected) in cases {
        let mut days = DaysAhead::default();
        days.keep(sheet(5), stamp(1, 10, 0));
        assert_eq!(days.to_check(2), Some(10), "{what}");
        days.check(2, &log(1, vec![c]));
        assert_eq!(found(&days, 5, 2, at(1)), expected, "{what}");
        assert_eq!(days.to_check(2), None, "{what}: checked up to the head");
    }
}

/// A patch puts the patients' rows read again where a whole load would (start, clinician,
/// visit), drops their visits that left the day, and takes in the ones that came.
#[test]
fn a_patch_puts_the_patients_rows_back_in_load_order() {
    let mut base = sheet(5);
    base.rows = vec![
        row_at(1, 1, 10, "Dr B"),
        row_at(2, 2, 10, "Dr A"),
        row_at(3, 3, 11, "Dr A"),
        row_at(4, 2, 12, "Dr A"),
    ];
    let mut days = DaysAhead::default();
    days.keep(base, stamp(1, 10, 0));
    // Patient 2 had visits 2 and 4: 4 moved away, 7 booked at 10:00 with Dr C; patient 8
    // is new to the day (visit 8, 09:00).
    days.check(
        2,
        &log(1, vec![change_for(11, 2), with_start(12, 8, 8, hour(5, 9))]),
    );
    let patch = days.to_patch(day(5), 2, at(1)).unwrap();
    assert_eq!(patch.patients, vec![PatientId(2), PatientId(8)]);
    days.patched(
        &patch,
        vec![
            row_at(7, 2, 10, "Dr C"),
            row_at(2, 2, 10, "Dr A"),
            row_at(8, 8, 9, "Dr Z"),
        ],
    );
    let sheet = days.get(day(5), 2, at(1)).expect("clean once patched");
    let order: Vec<i64> = sheet.rows.iter().map(|r| r.appointment_id.0).collect();
    assert_eq!(order, vec![8, 2, 1, 7, 3]);
    // The patched day knows its new visits: visit 7 changing is patient 2's again.
    days.check(
        3,
        &log(
            1,
            vec![Change {
                appointment: Some(AppointmentId(7)),
                ..change(13)
            }],
        ),
    );
    assert_eq!(found(&days, 5, 3, at(1)), Found::Patch(vec![2]));
    // And forgets the visit that left: a change to visit 4 alone is no longer its business.
    days.patched(
        &days.to_patch(day(5), 3, at(1)).unwrap(),
        vec![row_at(7, 2, 10, "Dr C"), row_at(2, 2, 10, "Dr A")],
    );
    days.check(
        4,
        &log(
            1,
            vec![Change {
                appointment: Some(AppointmentId(4)),
                ..change(14)
            }],
        ),
    );
    assert_eq!(found(&days, 5, 4, at(1)), Found::Kept);
}

/// Past [`PATCH_AT_MOST`] patients (or a quarter of the day's) a patch is not worth it.
#[test]
fn too_many_patients_to_read_again_load_the_day_whole() {
    for (named, expected_stale) in [(PATCH_AT_MOST, false), (PATCH_AT_MOST + 1, true)] {
        let mut days = DaysAhead::default();
        days.keep(sheet(5), stamp(1, 10, 0));
        let changes = (0..named as i64)
            .map(|i| with_start(11 + i, 1000 + i, 2000 + i, ten(5)))
            .collect();
        days.check(2, &log(1, changes));
        assert_eq!(
            found(&days, 5, 2, at(1)) == Found::Stale,
            expected_stale,
            "{named}"
        );
    }
    // A big day: a quarter of its patients.
    let mut big = sheet(5);
    big.rows = (0..200).map(|i| row_at(i, i, 10, "Dr A")).collect();
    let mut days = DaysAhead::default();
    days.keep(big, stamp(1, 10, 0));
    days.check(2, &log(1, (0..50).map(|i| change_for(11 + i, i)).collect()));
    assert!(matches!(found(&days, 5, 2, at(1)), Found::Patch(p) if p.len() == 50));
    days.check(3, &log(1, vec![change_for(61, 50)]));
    assert_eq!(found(&days, 5, 3, at(1)), Found::Stale, "51 of 200");
}

fn row_at(appointment: i64, patient: i64, hour_: u32, clinician: &str) -> DayRow {
    DayRow {
        start: hour(5, hour_),
        clinician: clinician.into(),
        ..row(appointment, patient, 5)
    }
}

fn hour(d: u32, h: u32) -> DateTime<Utc> {
    TZ.with_ymd_and_hms(2026, 12, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn with_start(seq: i64, patient: i64, appointment: i64, start: DateTime<Utc>) -> Change {
    Change {
        seq,
        patient: Some(PatientId(patient)),
        appointment: Some(AppointmentId(appointment)),
        start: Some(start),
    }
}

#[test]
fn if_the_log_cannot_vouch_for_a_day_it_is_stale() {
    let cases = [
        (
            "pruned past its mark",
            Log {
                first: Some(12),
                head: 20,
                changes: Vec::new(),
            },
            false,
        ),
        (
            "just kept",
            Log {
                first: Some(11),
                head: 20,
                changes: Vec::new(),
            },
            true,
        ),
        (
            "another file: the log went back",
            Log {
                first: Some(1),
                head: 9,
                changes: Vec::new(),
            },
            false,
        ),
        (
            "emptied",
            Log {
                first: None,
                head: 0,
                changes: Vec::new(),
            },
            false,
        ),
        (
            "nothing new",
            Log {
                first: Some(1),
                head: 10,
                changes: Vec::new(),
            },
            true,
        ),
    ];
    for (what, l, kept) in cases {
        let mut days = DaysAhead::default();
        days.keep(sheet(5), stamp(1, 10, 0));
        days.check(2, &l);
        assert_eq!(days.get(day(5), 2, at(1)).is_some(), kept, "{what}");
    }
}

#[test]
fn a_surviving_day_is_checked_from_the_new_head_only() {
    let mut days = DaysAhead::default();
    days.keep(sheet(5), stamp(1, 10, 0));
    days.keep(sheet(6), stamp(1, 12, 0));
    assert_eq!(days.to_check(1), None, "nothing moved");
    assert_eq!(days.to_check(2), Some(10), "the oldest mark");
    // Seq 11 names patient 6 before day 6 was loaded (its mark is 12): day 6 stays.
    let c = Change {
        patient: Some(PatientId(6)),
        ..change(11)
    };
    days.check(2, &log(1, vec![c, change_for(13, 7)]));
    assert!(days.get(day(5), 2, at(1)).is_some());
    assert!(days.get(day(6), 2, at(1)).is_some());
    assert_eq!(days.to_check(2), None);
    assert_eq!(days.to_check(3), Some(13), "both now true at the head");
}

fn change_for(seq: i64, patient: i64) -> Change {
    Change {
        patient: Some(PatientId(patient)),
        ..change(seq)
    }
}

#[test]
fn the_neighbours_of_the_shown_day_are_loaded_ahead_after_first() {
    let mut days = DaysAhead::default();
    assert_eq!(days.next_ahead(1, at(0)), None, "nothing shown yet");
    days.shown(day(10));
    assert_eq!(days.next_ahead(1, at(0)), Some(day(11)));
    days.keep(sheet(11), stamp(1, 0, 0));
    assert_eq!(days.next_ahead(1, at(0)), Some(day(9)));
    days.keep(sheet(9), stamp(1, 0, 0));
    assert_eq!(days.next_ahead(1, at(0)), None);
    // Another desk's commit about someone else: both stay, nothing to load.
    days.check(2, &log(1, vec![change_for(1, 42)]));
    assert_eq!(days.next_ahead(2, at(15)), None, "kept across the commit");
    // One about day 11's patient: that patient's rows are read again, nothing loaded.
    days.check(3, &log(1, vec![change_for(2, 11)]));
    assert_eq!(days.next_ahead(3, at(15)), None);
    let patch = days.next_patch(3, at(15)).expect("day 11 to patch");
    assert_eq!(
        (patch.date, patch.patients.clone()),
        (day(11), vec![PatientId(11)])
    );
    days.patched(&patch, vec![row(111, 11, 11)]);
    assert_eq!(days.next_patch(3, at(15)), None);
    assert!(days.get(day(11), 3, at(15)).is_some());
    // One within day 11's hours naming no patient: day 11 is loaded whole.
    days.check(4, &log(1, vec![in_hours_of(3, 11)]));
    assert_eq!(days.next_ahead(4, at(15)), Some(day(11)));
}

/// A logged row within day `d`'s hours naming no patient or visit (its whole day).
fn in_hours_of(seq: i64, d: u32) -> Change {
    Change {
        start: Some(ten(d)),
        ..change(seq)
    }
}

#[test]
fn a_day_made_stale_by_others_is_loaded_again_at_most_every_fifteen_seconds() {
    let mut days = DaysAhead::default();
    days.shown(day(10));
    days.keep(sheet(11), stamp(1, 0, 0));
    days.keep(sheet(9), stamp(1, 0, 0));
    // Another desk changes day 11 as a whole every second: not reloaded each time.
    for s in 1..15 {
        days.check(1 + s, &log(1, vec![in_hours_of(s, 11)]));
        assert_eq!(days.next_ahead(1 + s, at(s)), None, "{s} s after loading");
    }
    assert_eq!(
        days.to_check(16),
        Some(14),
        "day 9 checked up to the last head"
    );
    days.check(16, &log(1, vec![in_hours_of(15, 11)]));
    assert_eq!(days.next_ahead(16, at(15)), Some(day(11)));
    // Stale days are never shown meanwhile: the switch loads the day itself.
    assert!(days.get(day(11), 16, at(15)).is_none());
    assert!(days.get(day(9), 16, at(15)).is_some(), "untouched");
    // A day not kept is loaded at once, whenever.
    days.shown(day(20));
    assert_eq!(days.next_ahead(16, at(16)), Some(day(21)));
    // The log unreadable: every day forgotten, loaded again at once.
    days.shown(day(10));
    days.forget();
    assert_eq!(days.next_ahead(16, at(16)), Some(day(11)));
    // The clock went back: the kept copy is not trusted, and is loaded again.
    days.keep(sheet(11), stamp(16, 15, 16));
    days.keep(sheet(9), stamp(16, 15, 16));
    assert_eq!(days.next_ahead(16, at(10)), Some(day(11)));
}

#[test]
fn only_the_latest_days_are_kept() {
    let mut days = DaysAhead::default();
    for d in 1..=10 {
        days.keep(sheet(d), stamp(1, 0, 0));
    }
    assert!(days.get(day(3), 1, at(0)).is_none());
    assert!(days.get(day(4), 1, at(0)).is_some());
    days.keep(sheet(4), stamp(1, 0, 1));
    assert_eq!(
        days.kept.last().map(|k| k.sheet.date),
        Some(day(4)),
        "kept again as newest"
    );
    assert_eq!(days.kept.len(), KEPT);
}

#[test]
fn today_and_the_expected_day_are_loaded_ahead_after_the_neighbours_and_patched_too() {
    let mut days = DaysAhead::default();
    days.today(day(2));
    days.expect(Some(day(20)));
    assert_eq!(days.next_ahead(1, at(0)), None, "nothing shown yet");
    days.shown(day(10));
    for d in [11, 9, 20, 2] {
        assert_eq!(days.next_ahead(1, at(0)), Some(day(d)));
        days.keep(sheet(d), stamp(1, 0, 0));
    }
    assert_eq!(days.next_ahead(1, at(0)), None);
    // The shown day is today: nothing more to load for `t`.
    days.shown(day(2));
    days.expect(None);
    assert_eq!(days.next_ahead(1, at(0)), Some(day(3)));
    days.keep(sheet(3), stamp(1, 0, 0));
    assert_eq!(days.next_ahead(1, at(0)), Some(day(1)));
    days.keep(sheet(1), stamp(1, 0, 0));
    assert_eq!(days.next_ahead(1, at(0)), None);
    // The expected day's patient changes: it is patched while idle.
    days.expect(Some(day(20)));
    days.check(2, &log(1, vec![change_for(1, 20)]));
    let patch = days.next_patch(2, at(1)).expect("day 20 to patch");
    assert_eq!(patch.date, day(20));
}
