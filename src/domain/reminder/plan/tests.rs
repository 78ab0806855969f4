use super::*;
use crate::config::OptOutNotice;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::{ConsentMethod, ConsentState};
use crate::domain::ids::{AppointmentTypeId, ClinicianId};
use crate::domain::reminder::reminder_key;
use chrono::{NaiveTime, TimeZone};
use chrono_tz::America::{Los_Angeles, New_York};
use chrono_tz::Tz;

// --- fixtures ----------------------------------------------------------------------------

fn at(tz: Tz, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(2026, mo, d, h, mi, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn ny(mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    at(New_York, mo, d, h, mi)
}

fn appt(id: i64, patient: i64, start: DateTime<Utc>) -> Appointment {
    Appointment {
        id: AppointmentId(id),
        patient_id: PatientId(patient),
        clinician_id: ClinicianId(1),
        type_id: AppointmentTypeId(1),
        start,
        duration_minutes: 20,
        status: AppointmentStatus::Booked,
        booked_at: start - Duration::days(30),
        callback_requested: false,
    }
}

fn patient(id: i64, zone: Tz) -> PatientFacts {
    PatientFacts {
        id: PatientId(id),
        zone,
        has_mobile: true,
        number_flag: None,
        consent: ConsentState::OptedIn {
            since: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            method: ConsentMethod::WrittenForm,
            evidence: "FORM-1".into(),
        },
        recent: Vec::new(),
        last_outbound: None,
    }
}

fn msg(key: &str, status: MessageStatus) -> ReminderMessage {
    ReminderMessage {
        key: key.to_string(),
        status,
        error_code: None,
    }
}

fn run(
    now: DateTime<Utc>,
    patients: &[PatientFacts],
    appointments: &[Appointment],
    messages: &[ReminderMessage],
) -> Plan {
    run_with(
        &ReminderConfig::default(),
        now,
        PlanMode::Scheduled,
        patients,
        appointments,
        messages,
    )
}

fn run_with(
    rules: &ReminderConfig,
    now: DateTime<Utc>,
    mode: PlanMode,
    patients: &[PatientFacts],
    appointments: &[Appointment],
    messages: &[ReminderMessage],
) -> Plan {
    plan(
        rules,
        now,
        mode,
        &PlanInput {
            patients,
            appointments,
            messages,
        },
    )
}

fn skip(reason: SkipReason) -> Verdict {
    Verdict::Skip(Held {
        reason,
        retry_at: None,
    })
}

fn cell(offset_hours: u32, state: ReminderState) -> ReminderCell {
    ReminderCell {
        offset_hours,
        state,
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// Thursday 2026-11-26 10:00 New York.
fn thursday_10() -> DateTime<Utc> {
    ny(11, 26, 10, 0)
}

// --- the schedule --------------------------------------------------------------------------

#[test]
fn nothing_due_yet_waits_for_the_first_offset() {
    let p = run(
        ny(11, 23, 9, 0),
        &[patient(1, New_York)],
        &[appt(10, 1, thursday_10())],
        &[],
    );
    assert!(p.sends.is_empty());
    assert_eq!(
        p.lines[0].verdict,
        Verdict::Waiting {
            next_due: ny(11, 24, 10, 0)
        }
    );
    assert_eq!(
        p.lines[0].cells,
        vec![
            cell(
                48,
                ReminderState::Planned {
                    due: ny(11, 24, 10, 0)
                }
            ),
            cell(
                24,
                ReminderState::Planned {
                    due: ny(11, 25, 10, 0)
                }
            ),
        ]
    );
}

#[test]
fn the_48h_reminder_goes_when_its_moment_comes() {
    let now = ny(11, 24, 10, 0);
    let p = run(
        now,
        &[patient(1, New_York)],
        &[appt(10, 1, thursday_10())],
        &[],
    );
    assert_eq!(p.sends.len(), 1);
    let s = &p.sends[0];
    assert_eq!(s.kind, MessageKind::Reminder48h);
    assert_eq!(
        s.key.to_string(),
        format!("reminder:48h:10@{}", "2026-11-26T15:00:00Z")
    );
    assert_eq!(s.appointments(), &[(AppointmentId(10), thursday_10())]);
    assert_eq!((s.due, s.zone, s.patient_id), (now, New_York, PatientId(1)));
    assert!(s.opt_out_notice);
    assert_eq!(p.lines[0].verdict, Verdict::Send { send: 0 });
    assert_eq!(
        p.lines[0].cells[0],
        cell(48, ReminderState::Planned { due: now })
    );
}

#[test]
fn a_missed_reminder_is_not_sent_late_when_a_later_one_is_due() {
    // Offline until Wednesday noon: the 48h moment (Tue 10:00) and the 24h moment (Wed 10:00)
    // have both passed; only the 24h goes.
    let now = ny(11, 25, 12, 0);
    let p = run(
        now,
        &[patient(1, New_York)],
        &[appt(10, 1, thursday_10())],
        &[],
    );
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].kind, MessageKind::Reminder24h);
    assert_eq!(p.sends[0].key.offset_hours(), 24);
    assert_eq!(p.sends[0].due, ny(11, 25, 10, 0));
    assert_eq!(
        p.lines[0].cells,
        vec![
            cell(48, ReminderState::Skipped(SkipReason::Superseded)),
            cell(24, ReminderState::Planned { due: now }),
        ]
    );
}

#[test]
fn the_only_due_reminder_is_sent_late() {
    // Booked 30 hours ahead: the 48h moment passed before booking, nothing later is due yet.
    let now = ny(11, 25, 8, 0);
    let p = run(
        now,
        &[patient(1, New_York)],
        &[appt(10, 1, ny(11, 26, 14, 0))],
        &[],
    );
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].key.offset_hours(), 48);
    assert_eq!(
        p.lines[0].cells[1].state,
        ReminderState::Planned {
            due: ny(11, 25, 14, 0)
        }
    );
}

#[test]
fn already_sent_is_not_sent_again_and_shows_the_message_state() {
    let key24 = reminder_key(AppointmentId(10), thursday_10(), 24);
    let key48 = reminder_key(AppointmentId(10), thursday_10(), 48);
    let p = run(
        ny(11, 25, 12, 0),
        &[patient(1, New_York)],
        &[appt(10, 1, thursday_10())],
        &[
            msg(&key48, MessageStatus::Delivered),
            msg(&key24, MessageStatus::Pending),
        ],
    );
    assert!(p.sends.is_empty());
    assert_eq!(p.lines[0].verdict, skip(SkipReason::AlreadySent));
    assert_eq!(
        p.lines[0].cells,
        vec![
            cell(48, ReminderState::Delivered),
            cell(24, ReminderState::Queued),
        ]
    );
}

#[test]
fn after_the_48h_reminder_the_line_waits_for_the_24h_one() {
    let key48 = reminder_key(AppointmentId(10), thursday_10(), 48);
    let p = run(
        ny(11, 24, 15, 0),
        &[patient(1, New_York)],
        &[appt(10, 1, thursday_10())],
        &[msg(&key48, MessageStatus::Sent)],
    );
    assert!(p.sends.is_empty());
    assert_eq!(
        p.lines[0].verdict,
        Verdict::Waiting {
            next_due: ny(11, 25, 10, 0)
        }
    );
    assert_eq!(p.lines[0].cells[0], cell(48, ReminderState::Sent));
}

#[test]
fn a_rescheduled_appointment_earns_fresh_reminders() {
    let old_key = reminder_key(AppointmentId(10), thursday_10(), 24);
    let moved = ny(11, 26, 15, 30);
    let p = run(
        ny(11, 25, 16, 0),
        &[patient(1, New_York)],
        &[appt(10, 1, moved)],
        &[msg(&old_key, MessageStatus::Delivered)],
    );
    assert_eq!(p.sends.len(), 1);
    let new_key = p.sends[0].key.to_string();
    assert_ne!(new_key, old_key);
    assert_eq!(new_key, reminder_key(AppointmentId(10), moved, 24));
}

#[test]
fn message_rows_of_every_status_show_in_the_cells() {
    let a = appt(10, 1, thursday_10());
    let mut failed = msg(&reminder_key(a.id, a.start, 48), MessageStatus::Undelivered);
    failed.error_code = Some("30006".into());
    let blocked = msg(&reminder_key(a.id, a.start, 24), MessageStatus::Blocked);
    let p = run(
        ny(11, 25, 12, 0),
        &[patient(1, New_York)],
        std::slice::from_ref(&a),
        &[failed, blocked],
    );
    assert!(p.sends.is_empty(), "a taken key is never planned again");
    assert_eq!(
        p.lines[0].cells,
        vec![
            cell(
                48,
                ReminderState::Failed {
                    code: Some("30006".into())
                }
            ),
            cell(24, ReminderState::Skipped(SkipReason::BlockedByGate)),
        ]
    );
    let withdrawn = msg(&reminder_key(a.id, a.start, 24), MessageStatus::Withdrawn);
    let p = run(
        ny(11, 25, 12, 0),
        &[patient(1, New_York)],
        &[a],
        &[withdrawn],
    );
    assert_eq!(
        p.lines[0].cells[1],
        cell(24, ReminderState::Skipped(SkipReason::Withdrawn))
    );
}

// --- every skip reason ---------------------------------------------------------------------

#[test]
fn patient_reasons() {
    let now = ny(11, 25, 12, 0);
    let a = [appt(10, 1, thursday_10())];
    let check = |f: PatientFacts, reason: SkipReason| {
        let p = run(now, &[f], &a, &[]);
        assert!(p.sends.is_empty());
        assert_eq!(p.lines[0].verdict, skip(reason.clone()));
        assert!(
            p.lines[0]
                .cells
                .iter()
                .all(|c| c.state == ReminderState::Skipped(reason.clone())),
            "{reason:?}"
        );
    };
    let mut f = patient(1, New_York);
    f.consent = ConsentState::None;
    check(f, SkipReason::NoConsent);
    let mut f = patient(1, New_York);
    f.consent = ConsentState::Unverified { since: now };
    check(f, SkipReason::NoConsent);
    let mut f = patient(1, New_York);
    f.consent = ConsentState::OptedOut {
        since: now,
        method: ConsentMethod::SmsKeyword,
    };
    check(f, SkipReason::OptedOut);
    let mut f = patient(1, New_York);
    f.has_mobile = false;
    check(f, SkipReason::NoMobile);
    let mut f = patient(1, New_York);
    f.number_flag = Some("21614".into());
    check(
        f,
        SkipReason::NumberFlagged {
            code: "21614".into(),
        },
    );
    // No facts at all: nothing is sent on a guess.
    let p = run(now, &[], &a, &[]);
    assert_eq!(p.lines[0].verdict, skip(SkipReason::NoConsent));
}

#[test]
fn appointments_that_are_not_open_get_nothing() {
    for status in [
        AppointmentStatus::Cancelled,
        AppointmentStatus::Arrived,
        AppointmentStatus::Completed,
        AppointmentStatus::NoShow,
    ] {
        let mut a = appt(10, 1, thursday_10());
        a.status = status;
        let p = run(ny(11, 25, 12, 0), &[patient(1, New_York)], &[a], &[]);
        assert!(p.sends.is_empty());
        assert_eq!(
            p.lines[0].verdict,
            skip(SkipReason::NotOpen {
                status: status.label().into()
            })
        );
    }
    let mut a = appt(10, 1, thursday_10());
    a.status = AppointmentStatus::Confirmed;
    let p = run(ny(11, 25, 12, 0), &[patient(1, New_York)], &[a], &[]);
    assert_eq!(
        p.sends.len(),
        1,
        "confirmed appointments are still reminded"
    );
}

#[test]
fn passed_appointments_get_nothing_but_keep_their_history() {
    let a = appt(10, 1, thursday_10());
    let sent = msg(&reminder_key(a.id, a.start, 24), MessageStatus::Delivered);
    let p = run(ny(11, 26, 10, 0), &[patient(1, New_York)], &[a], &[sent]);
    assert_eq!(p.lines[0].verdict, skip(SkipReason::Passed));
    assert_eq!(
        p.lines[0].cells,
        vec![
            cell(48, ReminderState::Skipped(SkipReason::Passed)),
            cell(24, ReminderState::Delivered),
        ]
    );
}

#[test]
fn nothing_within_the_minimum_lead() {
    // 1h59 before the start: too close (min_lead 120 minutes). 2h before: allowed.
    let a = [appt(10, 1, thursday_10())];
    let p = run(ny(11, 26, 8, 1), &[patient(1, New_York)], &a, &[]);
    assert!(p.sends.is_empty());
    assert_eq!(p.lines[0].verdict, skip(SkipReason::TooClose));
    assert_eq!(
        p.lines[0].cells[1].state,
        ReminderState::Skipped(SkipReason::TooClose)
    );
    let p = run(ny(11, 26, 8, 0), &[patient(1, New_York)], &a, &[]);
    assert_eq!(p.sends.len(), 1);
}

#[test]
fn quiet_hours_defer_to_the_next_allowed_minute() {
    // Appointment Friday 21:30 (evening clinic): the 24h moment is Thursday 21:30, quiet.
    let a = [appt(10, 1, ny(11, 27, 21, 30))];
    let p = run(ny(11, 26, 21, 30), &[patient(1, New_York)], &a, &[]);
    assert!(p.sends.is_empty());
    assert_eq!(
        p.lines[0].verdict,
        Verdict::Skip(Held {
            reason: SkipReason::QuietHours { until: hm(8, 0) },
            retry_at: Some(ny(11, 27, 8, 0)),
        })
    );
    let Verdict::Skip(held) = &p.lines[0].verdict else {
        unreachable!()
    };
    assert_eq!(held.reason.label(), "quiet hours → deferred to 08:00");
    // At 08:00 it goes.
    let p = run(ny(11, 27, 8, 0), &[patient(1, New_York)], &a, &[]);
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].due, ny(11, 26, 21, 30));
}

#[test]
fn a_deferral_that_would_land_within_the_lead_is_too_close() {
    // Appointment 09:00; at 21:00 the evening before the next allowed minute is 08:00, one
    // hour before the start.
    let a = [appt(10, 1, ny(11, 26, 9, 0))];
    let p = run(ny(11, 25, 21, 0), &[patient(1, New_York)], &a, &[]);
    assert_eq!(p.lines[0].verdict, skip(SkipReason::TooClose));
}

#[test]
fn frequency_cap_counts_recent_sends_and_this_plans_own() {
    let now = ny(11, 25, 12, 0);
    // Already texted today (a portal prompt): the reminder waits for tomorrow's window.
    let mut f = patient(1, New_York);
    f.recent.push(RecentSend {
        at: ny(11, 25, 9, 0),
        kind: MessageKind::PortalResultsReady,
    });
    let p = run(now, &[f], &[appt(10, 1, ny(11, 27, 10, 0))], &[]);
    assert!(p.sends.is_empty());
    assert_eq!(
        p.lines[0].verdict,
        Verdict::Skip(Held {
            reason: SkipReason::FrequencyCap,
            retry_at: Some(ny(11, 26, 8, 0)),
        })
    );
    // A HELP reply does not count.
    let mut f = patient(1, New_York);
    f.recent.push(RecentSend {
        at: ny(11, 25, 9, 0),
        kind: MessageKind::HelpReply,
    });
    let p = run(now, &[f], &[appt(10, 1, ny(11, 27, 10, 0))], &[]);
    assert_eq!(p.sends.len(), 1);
    // Two appointments on different days, both due now: the nearer one goes, the other is
    // capped by the first.
    let p = run(
        now,
        &[patient(1, New_York)],
        &[
            appt(11, 1, ny(11, 27, 9, 0)),
            appt(10, 1, ny(11, 26, 11, 0)),
        ],
        &[],
    );
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].appointments()[0].0, AppointmentId(10));
    assert_eq!(p.lines[1].verdict, Verdict::Send { send: 0 });
    assert!(matches!(
        &p.lines[0].verdict,
        Verdict::Skip(Held {
            reason: SkipReason::FrequencyCap,
            ..
        })
    ));
}

#[test]
fn the_weekly_cap_is_configurable() {
    let now = ny(11, 25, 12, 0);
    let mut f = patient(1, New_York);
    f.recent = (2..=4)
        .map(|d| RecentSend {
            at: now - Duration::days(d),
            kind: MessageKind::Reminder24h,
        })
        .collect();
    let a = [appt(10, 1, thursday_10())];
    let p = run(now, std::slice::from_ref(&f), &a, &[]);
    assert!(p.sends.is_empty(), "3 in the last 7 days");
    let rules = ReminderConfig {
        max_per_week: 4,
        ..ReminderConfig::default()
    };
    let p = run_with(&rules, now, PlanMode::Scheduled, &[f], &a, &[]);
    assert_eq!(p.sends.len(), 1);
}

// --- same-day double bookings --------------------------------------------------------------

#[test]
fn two_bookings_on_one_day_make_one_text_listing_both() {
    let a = [
        appt(21, 1, ny(11, 26, 15, 0)),
        appt(20, 1, ny(11, 26, 10, 0)),
    ];
    let p = run(ny(11, 25, 12, 0), &[patient(1, New_York)], &a, &[]);
    assert_eq!(p.sends.len(), 1);
    let s = &p.sends[0];
    assert_eq!(s.kind, MessageKind::SameDayDouble);
    assert_eq!(
        s.appointments(),
        &[
            (AppointmentId(20), ny(11, 26, 10, 0)),
            (AppointmentId(21), ny(11, 26, 15, 0))
        ]
    );
    assert_eq!(
        s.key.to_string(),
        "reminder:24h:20@2026-11-26T15:00:00Z+21@2026-11-26T20:00:00Z"
    );
    // The group's moment is the first appointment's.
    assert_eq!(s.due, ny(11, 25, 10, 0));
    assert_eq!(p.lines[0].verdict, Verdict::Send { send: 0 });
    assert_eq!(p.lines[1].verdict, Verdict::Send { send: 0 });
    assert_eq!(
        p.counts(),
        PlanCounts {
            texts: 1,
            sending: 2,
            waiting: 0,
            skipped: 0
        }
    );
    // Once sent, the one key covers both.
    let sent = msg(&s.key.to_string(), MessageStatus::Delivered);
    let p = run(ny(11, 25, 12, 5), &[patient(1, New_York)], &a, &[sent]);
    assert!(p.sends.is_empty());
    for line in &p.lines {
        assert_eq!(line.cells[1], cell(24, ReminderState::Delivered));
    }
}

#[test]
fn the_local_day_of_a_double_booking_is_the_patients() {
    // Pacific patient: 09:00 and 17:30 on the 26th (17:30 Pacific is the 27th in UTC).
    let a = [
        appt(20, 1, at(Los_Angeles, 11, 26, 9, 0)),
        appt(21, 1, at(Los_Angeles, 11, 26, 17, 30)),
    ];
    let p = run(
        at(Los_Angeles, 11, 25, 12, 0),
        &[patient(1, Los_Angeles)],
        &a,
        &[],
    );
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].kind, MessageKind::SameDayDouble);
    assert_eq!(p.sends[0].zone, Los_Angeles);
    // A New York patient with 23:30 and 00:30 has two local days: two groups (both due at
    // 48h), and the daily cap lets only the nearer through.
    let p = run(
        at(Los_Angeles, 11, 25, 12, 0),
        &[patient(1, New_York)],
        &[
            appt(20, 1, ny(11, 26, 23, 30)),
            appt(21, 1, ny(11, 27, 0, 30)),
        ],
        &[],
    );
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].kind, MessageKind::Reminder48h);
    assert_eq!(p.sends[0].appointments()[0].0, AppointmentId(20));
    assert!(matches!(
        &p.lines[1].verdict,
        Verdict::Skip(Held {
            reason: SkipReason::FrequencyCap,
            ..
        })
    ));
}

#[test]
fn a_booking_added_after_the_reminder_gets_its_own() {
    // The 10:00 visit was reminded alone at 24h; the 15:00 one was booked later.
    let first = appt(20, 1, ny(11, 26, 10, 0));
    let second = appt(21, 1, ny(11, 26, 15, 0));
    let sent = msg(
        &reminder_key(first.id, first.start, 24),
        MessageStatus::Delivered,
    );
    let mut f = patient(1, New_York);
    f.recent.push(RecentSend {
        at: ny(11, 25, 10, 0),
        kind: MessageKind::Reminder24h,
    });
    let rules = ReminderConfig {
        max_per_day: 2,
        ..ReminderConfig::default()
    };
    let p = run_with(
        &rules,
        ny(11, 25, 12, 0),
        PlanMode::Scheduled,
        &[f],
        &[first, second],
        &[sent],
    );
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].kind, MessageKind::Reminder24h);
    assert_eq!(
        p.sends[0].appointments(),
        &[(AppointmentId(21), ny(11, 26, 15, 0))]
    );
    assert_eq!(p.lines[0].verdict, skip(SkipReason::AlreadySent));
}

#[test]
fn an_appointment_listed_twice_is_still_one_single_reminder() {
    let a = appt(10, 1, thursday_10());
    let p = run(
        ny(11, 25, 12, 0),
        &[patient(1, New_York)],
        &[a.clone(), a],
        &[],
    );
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].kind, MessageKind::Reminder24h);
    assert_eq!(p.sends[0].appointments().len(), 1);
}

#[test]
fn a_cancelled_booking_leaves_a_single_reminder() {
    let mut cancelled = appt(20, 1, ny(11, 26, 10, 0));
    cancelled.status = AppointmentStatus::Cancelled;
    let p = run(
        ny(11, 25, 16, 0),
        &[patient(1, New_York)],
        &[cancelled, appt(21, 1, ny(11, 26, 15, 0))],
        &[],
    );
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].kind, MessageKind::Reminder24h);
    assert_eq!(p.sends[0].due, ny(11, 25, 15, 0));
}

// --- time zones and clock changes ----------------------------------------------------------

#[test]
fn spring_forward_reminder_moments_and_quiet_hours() {
    // Sunday 2026-03-08 08:30 EDT (12:30 UTC). 24 hours earlier is Saturday 07:30 EST: quiet,
    // so the reminder waits for 08:00 EST (13:00 UTC).
    let a = [appt(10, 1, ny(3, 8, 8, 30))];
    assert_eq!(
        a[0].start,
        Utc.with_ymd_and_hms(2026, 3, 8, 12, 30, 0).unwrap()
    );
    let p = run(ny(3, 5, 12, 0), &[patient(1, New_York)], &a, &[]);
    assert_eq!(
        p.lines[0].cells,
        vec![
            cell(
                48,
                ReminderState::Planned {
                    due: Utc.with_ymd_and_hms(2026, 3, 6, 13, 0, 0).unwrap()
                }
            ),
            cell(
                24,
                ReminderState::Planned {
                    due: Utc.with_ymd_and_hms(2026, 3, 7, 13, 0, 0).unwrap()
                }
            ),
        ]
    );
    // 48h moment: Friday 07:30 EST → deferred to 08:00 EST.
    let p = run(ny(3, 6, 7, 45), &[patient(1, New_York)], &a, &[]);
    assert_eq!(
        p.lines[0].verdict,
        Verdict::Skip(Held {
            reason: SkipReason::QuietHours { until: hm(8, 0) },
            retry_at: Some(Utc.with_ymd_and_hms(2026, 3, 6, 13, 0, 0).unwrap()),
        })
    );
}

#[test]
fn fall_back_reminder_moments() {
    // Monday 2026-11-02 09:00 EST (14:00 UTC): 24h before is Sunday 09:00 EST, 48h before
    // is Saturday 10:00 EDT (both 14:00 UTC).
    let a = [appt(10, 1, ny(11, 2, 9, 0))];
    let p = run(ny(10, 30, 12, 0), &[patient(1, New_York)], &a, &[]);
    assert_eq!(
        p.lines[0].cells,
        vec![
            cell(
                48,
                ReminderState::Planned {
                    due: Utc.with_ymd_and_hms(2026, 10, 31, 14, 0, 0).unwrap()
                }
            ),
            cell(
                24,
                ReminderState::Planned {
                    due: Utc.with_ymd_and_hms(2026, 11, 1, 14, 0, 0).unwrap()
                }
            ),
        ]
    );
    // During the repeated hour (second 01:30, EST) it is quiet: deferred to 08:00 EST.
    let p = run(
        Utc.with_ymd_and_hms(2026, 11, 1, 6, 30, 0).unwrap(),
        &[patient(1, New_York)],
        &a,
        &[msg(
            &reminder_key(a[0].id, a[0].start, 48),
            MessageStatus::Sent,
        )],
    );
    assert_eq!(
        p.lines[0].verdict,
        Verdict::Waiting {
            next_due: Utc.with_ymd_and_hms(2026, 11, 1, 14, 0, 0).unwrap()
        }
    );
}

#[test]
fn a_patient_in_another_zone_is_judged_in_theirs() {
    // 07:00 Pacific = 10:00 Eastern. A Pacific patient's 24h moment has come but it is quiet
    // for them; an Eastern patient with the same appointment instant is texted.
    let start = ny(11, 26, 10, 0);
    let now = ny(11, 25, 10, 0);
    let p = run(
        now,
        &[patient(1, Los_Angeles), patient(2, New_York)],
        &[appt(10, 1, start), appt(11, 2, start)],
        &[],
    );
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].patient_id, PatientId(2));
    assert_eq!(
        p.lines[0].verdict,
        Verdict::Skip(Held {
            reason: SkipReason::QuietHours { until: hm(8, 0) },
            retry_at: Some(at(Los_Angeles, 11, 25, 8, 0)),
        })
    );
}

#[test]
fn a_start_just_after_midnight() {
    // Appointment 00:30 local: the 24h moment is 00:30 the night before (quiet) → 08:00.
    let a = [appt(10, 1, ny(11, 26, 0, 30))];
    let p = run(ny(11, 25, 0, 45), &[patient(1, New_York)], &a, &[]);
    assert_eq!(
        p.lines[0].verdict,
        Verdict::Skip(Held {
            reason: SkipReason::QuietHours { until: hm(8, 0) },
            retry_at: Some(ny(11, 25, 8, 0)),
        })
    );
    let p = run(ny(11, 25, 8, 0), &[patient(1, New_York)], &a, &[]);
    assert_eq!(p.sends.len(), 1);
}

// --- the opt-out notice ----------------------------------------------------------------------

#[test]
fn with_first_only_the_notice_goes_on_the_first_text_since_the_opt_in() {
    let rules = ReminderConfig {
        opt_out_notice: OptOutNotice::First,
        max_per_day: 2,
        ..ReminderConfig::default()
    };
    let now = ny(11, 25, 12, 0);
    let a = [appt(10, 1, thursday_10()), appt(11, 1, ny(11, 27, 10, 0))];
    // Never texted: the first send carries it, the second one of the same plan does not.
    let p = run_with(
        &rules,
        now,
        PlanMode::Scheduled,
        &[patient(1, New_York)],
        &a,
        &[],
    );
    assert_eq!(p.sends.len(), 2);
    assert!(p.sends[0].opt_out_notice);
    assert!(!p.sends[1].opt_out_notice);
    // Texted since the opt-in: no notice.
    let mut f = patient(1, New_York);
    f.last_outbound = Some(ny(11, 1, 10, 0));
    let p = run_with(&rules, now, PlanMode::Scheduled, &[f], &a[..1], &[]);
    assert!(!p.sends[0].opt_out_notice);
    // With "every", always.
    let mut f = patient(1, New_York);
    f.last_outbound = Some(ny(11, 1, 10, 0));
    let p = run(now, &[f], &a[..1], &[]);
    assert!(p.sends[0].opt_out_notice);
}

// --- the desk's batch --------------------------------------------------------------------

#[test]
fn the_desk_batch_sends_the_next_reminder_early_and_the_schedule_then_skips_it() {
    let a = [appt(10, 1, thursday_10())];
    let f = [patient(1, New_York)];
    let rules = ReminderConfig::default();
    // Monday: nothing due; the batch sends the 48h one now.
    let monday = ny(11, 23, 9, 0);
    let p = run_with(&rules, monday, PlanMode::DeskBatch, &f, &a, &[]);
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].key.offset_hours(), 48);
    let sent48 = msg(&p.sends[0].key.to_string(), MessageStatus::Delivered);
    // Tuesday 09:00: the 48h is done; the batch sends the 24h one early.
    let p = run_with(
        &rules,
        ny(11, 24, 12, 0),
        PlanMode::DeskBatch,
        &f,
        &a,
        std::slice::from_ref(&sent48),
    );
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].key.offset_hours(), 24);
    let sent24 = msg(&p.sends[0].key.to_string(), MessageStatus::Delivered);
    // Wednesday's scheduled run finds both taken.
    let p = run(ny(11, 25, 12, 0), &f, &a, &[sent48.clone(), sent24.clone()]);
    assert!(p.sends.is_empty());
    assert_eq!(p.lines[0].verdict, skip(SkipReason::AlreadySent));
    let p = run_with(
        &rules,
        ny(11, 25, 12, 0),
        PlanMode::DeskBatch,
        &f,
        &a,
        &[sent48, sent24],
    );
    assert!(p.sends.is_empty());
}

// --- re-check before the outbox goes -------------------------------------------------------

#[test]
fn recheck_before_a_waiting_reminder_goes() {
    let rules = ReminderConfig::default();
    let a = appt(10, 1, thursday_10());
    let key = ReminderKey::single(a.id, a.start, 24);
    let f = patient(1, New_York);
    let noon = ny(11, 25, 12, 0);
    assert_eq!(
        recheck(&rules, noon, &f, &key, std::slice::from_ref(&a)),
        Ok(())
    );
    let reason = |now, f: &PatientFacts, a: &Appointment| {
        recheck(&rules, now, f, &key, std::slice::from_ref(a)).map_err(|h| h.reason)
    };
    let mut moved = a.clone();
    moved.start += Duration::hours(1);
    assert_eq!(
        reason(noon, &f, &moved),
        Err(SkipReason::NotOpen {
            status: "rescheduled".into()
        })
    );
    let mut cancelled = a.clone();
    cancelled.status = AppointmentStatus::Cancelled;
    assert_eq!(
        reason(noon, &f, &cancelled),
        Err(SkipReason::NotOpen {
            status: "cancelled".into()
        })
    );
    let mut out = f.clone();
    out.consent = ConsentState::OptedOut {
        since: noon,
        method: ConsentMethod::SmsKeyword,
    };
    assert_eq!(reason(noon, &out, &a), Err(SkipReason::OptedOut));
    let night = ny(11, 25, 22, 0);
    let held = recheck(&rules, night, &f, &key, std::slice::from_ref(&a)).unwrap_err();
    assert_eq!(
        held.retry_at,
        Some(ny(11, 26, 8, 0)),
        "wait, do not withdraw"
    );
    assert_eq!(reason(ny(11, 26, 9, 0), &f, &a), Err(SkipReason::TooClose));
    assert_eq!(reason(ny(11, 26, 10, 0), &f, &a), Err(SkipReason::Passed));
    assert!(recheck(&rules, noon, &f, &key, &[]).is_err());
}

// --- scale ---------------------------------------------------------------------------------

#[test]
fn a_thousand_appointments_plan_quickly() {
    let now = ny(11, 25, 12, 0);
    let patients: Vec<PatientFacts> = (0..800)
        .map(|i| {
            let mut f = patient(i, if i % 5 == 0 { Los_Angeles } else { New_York });
            if i % 7 == 0 {
                f.consent = ConsentState::None;
            }
            f.recent.push(RecentSend {
                at: now - Duration::days(i % 6 + 1),
                kind: MessageKind::Reminder24h,
            });
            f
        })
        .collect();
    let appointments: Vec<Appointment> = (0..1000)
        .map(|i| {
            appt(
                i,
                i % 800,
                now + Duration::minutes(30 * (i % 200) + 60 * 20),
            )
        })
        .collect();
    let messages: Vec<ReminderMessage> = appointments
        .iter()
        .step_by(3)
        .map(|a| msg(&reminder_key(a.id, a.start, 48), MessageStatus::Delivered))
        .collect();
    let p = run(now, &patients, &appointments, &messages);
    assert_eq!(p.lines.len(), 1000);
    let c = p.counts();
    assert!(c.texts > 0 && c.skipped > 0, "{c:?}");
    assert_eq!(c.sending + c.waiting + c.skipped, 1000);
    // Its speed (budget 20 ms) is measured by `benches/messaging.rs`, never asserted here.
}
