use super::*;
use crate::domain::consent::ConsentMethod;
use chrono::NaiveTime;
use chrono_tz::America::{Los_Angeles, New_York};
use rstest::rstest;

fn local(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn quiet() -> QuietHours {
    QuietHours::default()
}

fn opted_in() -> ConsentState {
    ConsentState::OptedIn {
        since: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        method: ConsentMethod::WrittenForm,
        evidence: "FORM-1".into(),
    }
}

fn facts(zone: Tz) -> PatientFacts {
    PatientFacts {
        id: PatientId(1),
        zone,
        has_mobile: true,
        number_flag: None,
        consent: opted_in(),
        recent: Vec::new(),
        last_outbound: None,
    }
}

// --- quiet hours -----------------------------------------------------------------------

#[rstest]
#[case::inside(9, 0, None)]
#[case::at_start(8, 0, None)]
#[case::last_minute(19, 59, None)]
#[case::at_end(20, 0, Some((26, 8)))]
#[case::evening(23, 30, Some((26, 8)))]
#[case::after_midnight(0, 10, Some((25, 8)))]
#[case::early(7, 59, Some((25, 8)))]
fn next_allowed_in_the_patients_zone(
    #[case] h: u32,
    #[case] m: u32,
    #[case] expected: Option<(u32, u32)>,
) {
    let now = local(New_York, 2026, 11, 25, h, m);
    let want = expected.map_or(now, |(d, h)| local(New_York, 2026, 11, d, h, 0));
    assert_eq!(next_allowed(now, New_York, &quiet()), want);
    assert_eq!(
        in_allowed_window(now, New_York, &quiet()),
        expected.is_none()
    );
}

#[test]
fn the_patients_zone_decides_not_the_practices() {
    // 09:00 in New York is 06:00 in Los Angeles: deferred to 08:00 Pacific (11:00 Eastern).
    let now = local(New_York, 2026, 11, 25, 9, 0);
    assert!(in_allowed_window(now, New_York, &quiet()));
    assert_eq!(
        next_allowed(now, Los_Angeles, &quiet()),
        local(Los_Angeles, 2026, 11, 25, 8, 0)
    );
    assert_eq!(
        next_allowed(now, Los_Angeles, &quiet()),
        Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).unwrap()
    );
}

#[test]
fn next_allowed_across_spring_forward() {
    // Saturday 2026-03-07 21:00 EST; Sunday's 08:00 is EDT (12:00 UTC), not 13:00 UTC.
    let now = local(New_York, 2026, 3, 7, 21, 0);
    assert_eq!(
        next_allowed(now, New_York, &quiet()),
        Utc.with_ymd_and_hms(2026, 3, 8, 12, 0, 0).unwrap()
    );
    // 01:59 EST and 03:00 EDT on the change night are one minute apart; both are quiet.
    let before_gap = local(New_York, 2026, 3, 8, 1, 59);
    assert_eq!(
        next_allowed(before_gap, New_York, &quiet()),
        Utc.with_ymd_and_hms(2026, 3, 8, 12, 0, 0).unwrap()
    );
}

#[test]
fn next_allowed_across_fall_back() {
    // Saturday 2026-10-31 21:00 EDT; Sunday's 08:00 is EST (13:00 UTC).
    let now = local(New_York, 2026, 10, 31, 21, 0);
    assert_eq!(
        next_allowed(now, New_York, &quiet()),
        Utc.with_ymd_and_hms(2026, 11, 1, 13, 0, 0).unwrap()
    );
    // The repeated hour 01:00–02:00 happens twice; both times are quiet, same answer.
    let first_one = Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).unwrap();
    let second_one = Utc.with_ymd_and_hms(2026, 11, 1, 6, 30, 0).unwrap();
    for now in [first_one, second_one] {
        assert_eq!(
            next_allowed(now, New_York, &quiet()),
            Utc.with_ymd_and_hms(2026, 11, 1, 13, 0, 0).unwrap()
        );
    }
}

#[test]
fn a_window_start_inside_a_clock_gap_moves_past_it() {
    // Not a configurable window (08:00 is the earliest) but the helper must not fail: 02:30
    // does not exist in New York on 2026-03-08, the first minute after it is 03:00 EDT.
    let t = local_instant(
        chrono::NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(),
        hm(2, 30),
        New_York,
    );
    assert_eq!(t, Utc.with_ymd_and_hms(2026, 3, 8, 7, 0, 0).unwrap());
    // The repeated hour resolves to its first occurrence.
    let t = local_instant(
        chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        hm(1, 30),
        New_York,
    );
    assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).unwrap());
}

#[test]
fn a_narrower_window_is_respected() {
    let narrow = QuietHours {
        start: hm(9, 30),
        end: hm(17, 0),
    };
    let now = local(New_York, 2026, 11, 25, 9, 0);
    assert_eq!(
        next_allowed(now, New_York, &narrow),
        local(New_York, 2026, 11, 25, 9, 30)
    );
    let now = local(New_York, 2026, 11, 25, 17, 0);
    assert_eq!(
        next_allowed(now, New_York, &narrow),
        local(New_York, 2026, 11, 26, 9, 30)
    );
}

// --- caps ------------------------------------------------------------------------------

fn sent(at: DateTime<Utc>) -> RecentSend {
    RecentSend {
        at,
        kind: MessageKind::Reminder24h,
    }
}

#[test]
fn one_per_local_day_frees_at_local_midnight() {
    let now = local(New_York, 2026, 11, 25, 15, 0);
    let recent = [sent(local(New_York, 2026, 11, 25, 9, 0))];
    assert_eq!(
        cap_check(now, New_York, &recent, 1, 3),
        Err(local(New_York, 2026, 11, 26, 0, 0))
    );
    assert_eq!(cap_check(now, New_York, &recent, 2, 3), Ok(()));
    // Yesterday 23:30 local is another day.
    let recent = [sent(local(New_York, 2026, 11, 24, 23, 30))];
    assert_eq!(cap_check(now, New_York, &recent, 1, 3), Ok(()));
}

#[test]
fn the_local_day_is_the_patients() {
    // 02:30 Eastern on the 25th is 23:30 Pacific on the 24th.
    let at = local(New_York, 2026, 11, 25, 2, 30);
    let now = local(New_York, 2026, 11, 25, 12, 0);
    assert!(cap_check(now, New_York, &[sent(at)], 1, 3).is_err());
    assert_eq!(cap_check(now, Los_Angeles, &[sent(at)], 1, 3), Ok(()));
}

#[test]
fn the_local_day_is_23_hours_on_spring_forward() {
    // Sunday 2026-03-08 in New York: midnight to midnight is 23 hours.
    let now = local(New_York, 2026, 3, 8, 12, 0);
    let recent = [sent(local(New_York, 2026, 3, 8, 0, 30))];
    let free = cap_check(now, New_York, &recent, 1, 3).unwrap_err();
    assert_eq!(free, Utc.with_ymd_and_hms(2026, 3, 9, 4, 0, 0).unwrap());
}

#[test]
fn rolling_week_frees_when_the_oldest_counted_send_is_seven_days_old() {
    let now = local(New_York, 2026, 11, 25, 12, 0);
    let recent = [
        sent(now - Duration::days(6)),
        sent(now - Duration::days(4)),
        sent(now - Duration::days(2)),
    ];
    assert_eq!(
        cap_check(now, New_York, &recent, 1, 3),
        Err(now + Duration::days(1))
    );
    assert_eq!(cap_check(now, New_York, &recent, 1, 4), Ok(()));
    // Eight days ago is outside the window.
    let recent = [
        sent(now - Duration::days(8)),
        sent(now - Duration::days(4)),
        sent(now - Duration::days(2)),
    ];
    assert_eq!(cap_check(now, New_York, &recent, 1, 3), Ok(()));
}

#[test]
fn both_caps_full_frees_at_the_later_moment() {
    let now = local(New_York, 2026, 11, 25, 12, 0);
    let recent = [
        sent(now - Duration::days(3)),
        sent(now - Duration::days(2)),
        sent(now - Duration::hours(1)),
    ];
    // Day frees at midnight; week frees when the 3-days-old send ages out (in 4 days).
    assert_eq!(
        cap_check(now, New_York, &recent, 1, 3),
        Err(now + Duration::days(4))
    );
}

#[test]
fn replies_to_help_and_stop_do_not_count() {
    let now = local(New_York, 2026, 11, 25, 12, 0);
    let recent = [
        RecentSend {
            at: now - Duration::hours(1),
            kind: MessageKind::HelpReply,
        },
        RecentSend {
            at: now - Duration::hours(2),
            kind: MessageKind::OptInConfirmation,
        },
    ];
    assert_eq!(cap_check(now, New_York, &recent, 1, 3), Ok(()));
    // Operational texts are not reminder-class: they neither count nor are held (SPEC §5.6).
    let recent = [
        RecentSend {
            at: now - Duration::hours(1),
            kind: MessageKind::PortalResultsReady,
        },
        RecentSend {
            at: now - Duration::hours(2),
            kind: MessageKind::Closure,
        },
    ];
    assert_eq!(cap_check(now, New_York, &recent, 1, 3), Ok(()));
    let recent = [RecentSend {
        at: now - Duration::hours(1),
        kind: MessageKind::Welcome,
    }];
    assert!(cap_check(now, New_York, &recent, 1, 3).is_err());
}

#[test]
fn operational_texts_are_not_held_by_the_caps_but_keep_consent_and_quiet_hours() {
    let rules = ReminderRules::default();
    let noon = local(New_York, 2026, 11, 25, 12, 0);
    let mut f = facts(New_York);
    // Three reminders this week, one today: both caps are full.
    for h in [2, 30, 60] {
        f.recent.push(sent(noon - Duration::hours(h)));
    }
    assert_eq!(
        send_check(&rules, noon, &f, MessageKind::Survey).map_err(|h| h.reason),
        Err(SkipReason::FrequencyCap)
    );
    for kind in [
        MessageKind::Closure,
        MessageKind::PortalResultsReady,
        MessageKind::PortalNewMessage,
        MessageKind::Custom,
    ] {
        assert_eq!(send_check(&rules, noon, &f, kind), Ok(()), "{kind}");
        let night = local(New_York, 2026, 11, 25, 21, 0);
        assert_eq!(
            send_check(&rules, night, &f, kind).map_err(|h| h.retry_at),
            Err(Some(local(New_York, 2026, 11, 26, 8, 0))),
            "{kind} waits for the window"
        );
        let mut out = f.clone();
        out.consent = ConsentState::OptedOut {
            since: noon,
            method: ConsentMethod::SmsKeyword,
        };
        assert_eq!(
            send_check(&rules, noon, &out, kind).map_err(|h| h.reason),
            Err(SkipReason::OptedOut),
            "{kind} obeys consent"
        );
    }
}

// --- shared checks ---------------------------------------------------------------------

#[test]
fn send_check_gives_one_reason_in_the_order_staff_ask() {
    let rules = ReminderRules::default();
    let now = local(New_York, 2026, 11, 25, 12, 0);
    let kind = MessageKind::PortalNewMessage;
    let reason = |f: &PatientFacts| send_check(&rules, now, f, kind).map_err(|h| h.reason);

    let mut f = facts(New_York);
    assert_eq!(reason(&f), Ok(()));
    f.number_flag = Some("30003".into());
    assert_eq!(
        reason(&f),
        Err(SkipReason::NumberFlagged {
            code: "30003".into()
        })
    );
    f.has_mobile = false;
    assert_eq!(reason(&f), Err(SkipReason::NoMobile));
    f.consent = ConsentState::Unverified { since: now };
    assert_eq!(reason(&f), Err(SkipReason::NoConsent));
    f.consent = ConsentState::OptedOut {
        since: now,
        method: ConsentMethod::SmsKeyword,
    };
    assert_eq!(reason(&f), Err(SkipReason::OptedOut));
}

#[test]
fn send_check_defers_in_quiet_hours_and_under_the_cap() {
    let rules = ReminderRules::default();
    let night = local(New_York, 2026, 11, 25, 21, 15);
    let held = send_check(&rules, night, &facts(New_York), MessageKind::Welcome).unwrap_err();
    assert_eq!(
        held,
        Held {
            reason: SkipReason::QuietHours { until: hm(8, 0) },
            retry_at: Some(local(New_York, 2026, 11, 26, 8, 0)),
        }
    );
    let noon = local(New_York, 2026, 11, 25, 12, 0);
    let mut f = facts(New_York);
    f.recent.push(sent(noon - Duration::hours(2)));
    let held = send_check(&rules, noon, &f, MessageKind::Survey).unwrap_err();
    // Frees at midnight, then waits for the window: 08:00 tomorrow.
    assert_eq!(held.reason, SkipReason::FrequencyCap);
    assert_eq!(held.retry_at, Some(local(New_York, 2026, 11, 26, 8, 0)));
}

#[test]
fn answers_to_the_patients_own_keywords_go_at_once() {
    let rules = ReminderRules::default();
    let night = local(New_York, 2026, 11, 25, 23, 0);
    let mut f = facts(New_York);
    f.consent = ConsentState::OptedOut {
        since: night,
        method: ConsentMethod::SmsKeyword,
    };
    f.recent.push(sent(night - Duration::hours(1)));
    for kind in [
        MessageKind::OptOutConfirmation,
        MessageKind::HelpReply,
        MessageKind::OptInConfirmation,
    ] {
        assert_eq!(send_check(&rules, night, &f, kind), Ok(()), "{kind}");
    }
    f.number_flag = Some("21614".into());
    assert!(send_check(&rules, night, &f, MessageKind::HelpReply).is_err());
    // Everything else still obeys consent.
    assert!(send_check(&rules, night, &f, MessageKind::Custom).is_err());
}

#[test]
fn patient_facts_take_the_patients_zone_and_flag() {
    use crate::domain::patient::{NumberProblem, Patient};
    use crate::domain::phone::E164;
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut p = Patient {
        id: PatientId(9),
        external_id: None,
        first_name: "Ana".into(),
        last_name: "Diaz".into(),
        birth_date: None,
        mobile: Some(E164::try_from("+12015550134".to_string()).unwrap()),
        time_zone: Some(Los_Angeles),
        portal_active: false,
        number_problem: Some(NumberProblem {
            code: "21211".into(),
            at,
        }),
        created_at: at,
    };
    let f = PatientFacts::new(&p, New_York, opted_in());
    assert_eq!(f.zone, Los_Angeles);
    assert!(f.has_mobile);
    assert_eq!(f.number_flag.as_deref(), Some("21211"));
    p.time_zone = None;
    p.mobile = None;
    let f = PatientFacts::new(&p, New_York, opted_in());
    assert_eq!((f.zone, f.has_mobile), (New_York, false));
}

#[test]
fn allowed_until_is_todays_window_end_in_the_patients_zone() {
    let now = local(New_York, 2026, 11, 25, 19, 59);
    assert_eq!(
        allowed_until(now, New_York, &quiet()),
        Some(local(New_York, 2026, 11, 25, 20, 0))
    );
    // Still 16:59 in Los Angeles: that patient's window runs three more hours.
    assert_eq!(
        allowed_until(now, Los_Angeles, &quiet()),
        Some(local(Los_Angeles, 2026, 11, 25, 20, 0))
    );
    assert_eq!(
        allowed_until(local(New_York, 2026, 11, 25, 20, 0), New_York, &quiet()),
        None
    );
    assert_eq!(
        allowed_until(local(New_York, 2026, 11, 25, 7, 59), New_York, &quiet()),
        None
    );
}
