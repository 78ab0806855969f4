use super::*;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::{ConsentMethod, ConsentState};
use crate::domain::ids::{AppointmentTypeId, ClinicianId};
use crate::domain::reminder::rules::OptOutNotice;
use crate::domain::reminder::{RecentSend, reminder_key};
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
        to_rebook: false,
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
        &ReminderRules::default(),
        now,
        PlanMode::Scheduled,
        patients,
        appointments,
        messages,
    )
}

fn run_with(
    rules: &ReminderRules,
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
            later: &[],
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
        basis: crate::domain::reminder::Basis::Forecast,
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
fn a_late_reminder_goes_in_its_window_and_gives_way_past_half_way_to_the_next() {
    // Thursday 14:00: the 48h moment is Tue 14:00, the 24h one Wed 14:00; half way is Wed
    // 02:00. Booked (or back online) Tue 18:00: the 48h goes, four hours late.
    let a = [appt(10, 1, ny(11, 26, 14, 0))];
    let p = run(ny(11, 24, 18, 0), &[patient(1, New_York)], &a, &[]);
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].key.offset_hours(), 48);
    // Wed 08:00 (booked 30 hours ahead): the 48h one is dropped, the 24h one goes at 14:00 —
    // never a late 48h reminder six hours before the 24h one.
    let now = ny(11, 25, 8, 0);
    let p = run(now, &[patient(1, New_York)], &a, &[]);
    assert!(p.sends.is_empty());
    assert_eq!(
        p.lines[0].cells,
        vec![
            cell(48, ReminderState::Skipped(SkipReason::Superseded)),
            cell(
                24,
                ReminderState::Planned {
                    due: ny(11, 25, 14, 0)
                }
            ),
        ]
    );
    assert_eq!(
        p.lines[0].verdict,
        Verdict::Waiting {
            next_due: ny(11, 25, 14, 0)
        }
    );
    // When the next one cannot go in time, the late one is the last and is never dropped:
    // a 09:00 visit booked Wed 20:30 (its 24h moment, Wed 09:00, has passed too).
    let a = [appt(11, 1, ny(11, 26, 9, 0))];
    let p = run(ny(11, 25, 19, 30), &[patient(1, New_York)], &a, &[]);
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].key.offset_hours(), 24);
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
            cell(24, ReminderState::Blocked { finding: None }),
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
    let p = run(
        ny(11, 25, 12, 0),
        &[patient(1, New_York)],
        &[a.clone()],
        &[],
    );
    assert_eq!(
        p.sends.len(),
        1,
        "confirmed appointments are still reminded"
    );
    // A visit a closure notice took away is not reminded of until it is moved.
    a.to_rebook = true;
    let p = run(ny(11, 25, 12, 0), &[patient(1, New_York)], &[a], &[]);
    assert!(p.sends.is_empty());
    assert_eq!(
        p.lines[0].verdict,
        skip(SkipReason::NotOpen {
            status: "to rebook (closure)".into()
        })
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
    // Already sent a reminder-class text today (the welcome): the reminder waits for
    // tomorrow's window.
    let mut f = patient(1, New_York);
    f.recent.push(RecentSend {
        at: ny(11, 25, 9, 0),
        kind: MessageKind::Welcome,
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
    // A HELP reply or an operational text (portal prompt, closure notice) does not count.
    for kind in [
        MessageKind::HelpReply,
        MessageKind::PortalResultsReady,
        MessageKind::Closure,
    ] {
        let mut f = patient(1, New_York);
        f.recent.push(RecentSend {
            at: ny(11, 25, 9, 0),
            kind,
        });
        let p = run(now, &[f], &[appt(10, 1, ny(11, 27, 10, 0))], &[]);
        assert_eq!(p.sends.len(), 1, "{kind}");
    }
    // Two appointments on different days, both due now: one text lists both.
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
    assert_eq!(
        p.sends[0].key.to_string(),
        "reminder:24h:10@2026-11-26T16:00:00Z+48h:11@2026-11-27T14:00:00Z"
    );
    assert_eq!(p.lines[0].verdict, Verdict::Send { send: 0 });
    assert_eq!(p.lines[1].verdict, Verdict::Send { send: 0 });
}

#[test]
fn the_weekly_cap_is_configurable_and_holds_only_earlier_reminders() {
    let now = ny(11, 25, 12, 0);
    let mut f = patient(1, New_York);
    f.recent = (2..=4)
        .map(|d| RecentSend {
            at: now - Duration::days(d),
            kind: MessageKind::Reminder24h,
        })
        .collect();
    // Friday 10:00: its 48h reminder (Wed 10:00) is due, its 24h one comes Thursday.
    let a = [appt(10, 1, ny(11, 27, 10, 0))];
    let with = |per_week| {
        let rules = ReminderRules {
            max_per_week: per_week,
            ..ReminderRules::default()
        };
        run_with(
            &rules,
            now,
            PlanMode::Scheduled,
            std::slice::from_ref(&f),
            &a,
            &[],
        )
    };
    let held = |p: &Plan| match &p.lines[0].verdict {
        Verdict::Skip(h) if h.reason == SkipReason::FrequencyCap => Some(h.retry_at),
        _ => None,
    };
    // 3 in the last 7 days: full.
    assert!(held(&with(3)).is_some());
    // 4 allowed: room for one more this week, which Thursday's last reminder needs — the
    // 48h one gives way.
    assert_eq!(held(&with(4)), Some(None));
    // 5 allowed: both fit.
    assert_eq!(with(5).sends.len(), 1);
    // The last reminder itself is never held: Thursday 10:00, caps full.
    let p = run(ny(11, 26, 10, 0), std::slice::from_ref(&f), &a, &[]);
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].key.offset_hours(), 24);
}

mod bookings_and_time;
mod caps;
mod history;
