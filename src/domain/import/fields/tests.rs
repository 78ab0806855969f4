use super::*;
use rstest::rstest;

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[rstest]
#[case("2026-11-25", ymd(2026, 11, 25))]
#[case("2026/11/25", ymd(2026, 11, 25))]
#[case("11/25/2026", ymd(2026, 11, 25))]
#[case("1/5/2026", ymd(2026, 1, 5))]
#[case("01-05-2026", ymd(2026, 1, 5))]
#[case("11/25/26", ymd(2026, 11, 25))]
#[case(" Nov 25, 2026 ", ymd(2026, 11, 25))]
#[case("25-Nov-2026", ymd(2026, 11, 25))]
#[case("February 28, 2028", ymd(2028, 2, 28))]
fn us_and_iso_dates(#[case] input: &str, #[case] want: NaiveDate) {
    assert_eq!(date(input, true, false), Ok(want));
}

#[test]
fn day_first_outside_the_us() {
    assert_eq!(date("05/01/2026", false, false), Ok(ymd(2026, 1, 5)));
    assert_eq!(date("05/01/2026", true, false), Ok(ymd(2026, 5, 1)));
    assert!(month_first("us") && month_first("CA") && !month_first("GB"));
}

#[rstest]
#[case("02/30/2026", "February has no day 30 in 2026")]
#[case("2027-02-29", "February has no day 29 in 2027")]
#[case("13/01/2026", "there is no month 13")]
#[case("25/11/2026", "no month 25")]
#[case("tomorrow", "not a date")]
#[case("", "no date")]
#[case("11/25/202", "four digits")]
fn impossible_dates_say_why(#[case] input: &str, #[case] problem: &str) {
    let err = date(input, true, false).unwrap_err();
    assert!(err.contains(problem), "{input}: {err}");
}

#[test]
fn a_leap_day_exists_in_leap_years() {
    assert_eq!(date("02/29/2028", true, false), Ok(ymd(2028, 2, 29)));
}

#[rstest]
#[case("9:30 AM", 9, 30)]
#[case("9:30am", 9, 30)]
#[case("9:30 a.m.", 9, 30)]
#[case("9:30p", 21, 30)]
#[case("12:00 PM", 12, 0)]
#[case("12:15 AM", 0, 15)]
#[case("9 PM", 21, 0)]
#[case("09:30", 9, 30)]
#[case("14:30:00", 14, 30)]
#[case("0930", 9, 30)]
#[case("1545", 15, 45)]
fn twelve_and_twenty_four_hour_times(#[case] input: &str, #[case] h: u32, #[case] m: u32) {
    assert_eq!(time(input), Ok(NaiveTime::from_hms_opt(h, m, 0).unwrap()));
}

#[rstest]
#[case("13:00 PM")]
#[case("25:00")]
#[case("9")]
#[case("noon-ish")]
#[case("9:75")]
fn bad_times_are_refused(#[case] input: &str) {
    assert!(time(input).is_err(), "{input}");
}

#[test]
fn date_and_time_in_one_cell() {
    let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
    assert_eq!(
        date_time("2026-06-15T09:00:00", true),
        Ok((ymd(2026, 6, 15), Some(TimeOrInstant::Local(nine))))
    );
    assert_eq!(
        date_time("06/15/2026 9:00 AM", true),
        Ok((ymd(2026, 6, 15), Some(TimeOrInstant::Local(nine))))
    );
    let (_, t) = date_time("2026-06-15T09:00:00-04:00", true).unwrap();
    assert_eq!(
        t,
        Some(TimeOrInstant::Instant(
            Utc.with_ymd_and_hms(2026, 6, 15, 13, 0, 0).unwrap()
        ))
    );
    assert_eq!(date_time("06/15/2026", true), Ok((ymd(2026, 6, 15), None)));
}

#[test]
fn local_times_cross_daylight_saving_carefully() {
    let ny = chrono_tz::America::New_York;
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    assert_eq!(
        local_instant(ymd(2026, 11, 25), t(9, 0), ny),
        Ok(Utc.with_ymd_and_hms(2026, 11, 25, 14, 0, 0).unwrap())
    );
    let skipped = local_instant(ymd(2026, 3, 8), t(2, 30), ny).unwrap_err();
    assert!(skipped.contains("does not exist"), "{skipped}");
    // 01:30 on 1 Nov 2026 happens twice; the first (EDT) is taken.
    assert_eq!(
        local_instant(ymd(2026, 11, 1), t(1, 30), ny),
        Ok(Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).unwrap())
    );
}

#[rstest]
#[case("30", 30)]
#[case("30 min", 30)]
#[case("45 minutes", 45)]
#[case("15m", 15)]
#[case("1:15", 75)]
fn durations(#[case] input: &str, #[case] want: u32) {
    assert_eq!(minutes(input), Ok(want));
}

#[rstest]
#[case("0")]
#[case("-5")]
#[case("half an hour")]
#[case("2000")]
fn bad_durations(#[case] input: &str) {
    assert!(minutes(input).is_err(), "{input}");
}

#[rstest]
#[case("Scheduled", AppointmentStatus::Booked)]
#[case("Reminder Sent", AppointmentStatus::Booked)]
#[case("Not Confirmed", AppointmentStatus::Booked)]
#[case("PEN", AppointmentStatus::Booked)]
#[case("- None", AppointmentStatus::Booked)]
#[case("* Reminder done", AppointmentStatus::Booked)]
#[case("f", AppointmentStatus::Booked)]
#[case("Confirmed", AppointmentStatus::Confirmed)]
#[case("Checked In", AppointmentStatus::Arrived)]
#[case("Check-in", AppointmentStatus::Arrived)]
#[case("Arrived/Ready", AppointmentStatus::Arrived)]
#[case("@ Arrived", AppointmentStatus::Arrived)]
#[case("< In exam room", AppointmentStatus::Arrived)]
#[case("In Session", AppointmentStatus::Arrived)]
#[case("Checked Out", AppointmentStatus::Completed)]
#[case("CHK", AppointmentStatus::Completed)]
#[case("> Checked out", AppointmentStatus::Completed)]
#[case("Complete", AppointmentStatus::Completed)]
#[case("No Show", AppointmentStatus::NoShow)]
#[case("No-Show", AppointmentStatus::NoShow)]
#[case("N/S", AppointmentStatus::NoShow)]
#[case("? No show", AppointmentStatus::NoShow)]
#[case("Cancelled", AppointmentStatus::Cancelled)]
#[case("Canceled", AppointmentStatus::Cancelled)]
#[case("x Canceled", AppointmentStatus::Cancelled)]
#[case("% Canceled < 24h", AppointmentStatus::Cancelled)]
#[case("Rescheduled", AppointmentStatus::Cancelled)]
#[case("R/S", AppointmentStatus::Cancelled)]
#[case("", AppointmentStatus::Booked)]
fn status_words_of_common_systems(#[case] word: &str, #[case] want: AppointmentStatus) {
    assert_eq!(status(word), Ok(want), "{word}");
}

#[test]
fn an_unknown_status_names_itself_and_the_accepted_words() {
    let err = status("Teleported").unwrap_err();
    assert!(
        err.contains("\"Teleported\"") && err.contains("Checked In"),
        "{err}"
    );
}

#[rstest]
#[case("Y", Some(ConsentAnswer::Yes))]
#[case("yes", Some(ConsentAnswer::Yes))]
#[case("TRUE", Some(ConsentAnswer::Yes))]
#[case("Opted In", Some(ConsentAnswer::Yes))]
#[case("N", Some(ConsentAnswer::No))]
#[case("no", Some(ConsentAnswer::No))]
#[case("Declined", Some(ConsentAnswer::No))]
#[case("", None)]
#[case("  ", None)]
fn consent_answers(#[case] input: &str, #[case] want: Option<ConsentAnswer>) {
    assert_eq!(consent_answer(input), Ok(want));
}

#[test]
fn a_consent_cell_that_is_not_yes_or_no_is_an_error() {
    assert!(consent_answer("maybe").is_err());
}

#[test]
fn birth_dates_need_a_full_year_and_the_past() {
    let today = ymd(2026, 11, 25);
    assert_eq!(birth_date("05/17/1980", true, today), Ok(ymd(1980, 5, 17)));
    assert!(
        birth_date("05/17/80", true, today)
            .unwrap_err()
            .contains("two-digit")
    );
    assert!(
        birth_date("2027-01-01", true, today)
            .unwrap_err()
            .contains("future")
    );
    assert!(birth_date("1801-01-01", true, today).is_err());
}
