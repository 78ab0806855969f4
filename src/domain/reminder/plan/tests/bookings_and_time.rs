//! Same-day double bookings, time zones and clock changes, the opt-out notice, the desk's
//! batch, the re-check before the outbox goes, and scale.

use super::*;

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
    // A New York patient with 23:30 and 00:30 has two local days, but both visits are due
    // their 48h reminder now: one text lists both, each under its own day.
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
    assert_eq!(p.sends[0].kind, MessageKind::SameDayDouble);
    assert_eq!(p.sends[0].appointments().len(), 2);
    assert!(p.sends[0].key.each().all(|(_, _, o)| o == 48));
    assert_eq!(p.lines[0].verdict, Verdict::Send { send: 0 });
    assert_eq!(p.lines[1].verdict, Verdict::Send { send: 0 });
}

#[test]
fn a_booking_added_after_the_reminder_gets_its_own_at_its_own_moment() {
    // The 10:00 visit was reminded alone at 24h; the 15:00 one was booked later: its own 24h
    // reminder goes at its own moment (15:00), though the daily cap is full — it is its last.
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
    let a = [first, second];
    let p = run(
        ny(11, 25, 12, 0),
        std::slice::from_ref(&f),
        &a,
        std::slice::from_ref(&sent),
    );
    assert!(p.sends.is_empty());
    assert_eq!(p.lines[0].verdict, skip(SkipReason::AlreadySent));
    assert_eq!(
        p.lines[1].verdict,
        Verdict::Waiting {
            next_due: ny(11, 25, 15, 0)
        }
    );
    let p = run(ny(11, 25, 15, 0), &[f], &a, &[sent]);
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].kind, MessageKind::Reminder24h);
    assert_eq!(
        p.sends[0].appointments(),
        &[(AppointmentId(21), ny(11, 26, 15, 0))]
    );
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
    let rules = ReminderRules {
        opt_out_notice: OptOutNotice::First,
        max_per_day: 2,
        ..ReminderRules::default()
    };
    let now = ny(11, 25, 12, 0);
    let a = [appt(10, 1, thursday_10()), appt(11, 1, ny(11, 27, 10, 0))];
    // Never texted: the one text (both visits are due, so one lists both) carries it.
    let p = run_with(
        &rules,
        now,
        PlanMode::Scheduled,
        &[patient(1, New_York)],
        &a,
        &[],
    );
    assert_eq!(p.sends.len(), 1);
    assert_eq!(p.sends[0].appointments().len(), 2);
    assert!(p.sends[0].opt_out_notice);
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
    let rules = ReminderRules::default();
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

#[test]
fn the_desk_batch_sends_the_last_reminder_early_rather_than_one_past_its_window() {
    let a = [appt(10, 1, thursday_10())];
    let f = [patient(1, New_York)];
    let rules = ReminderRules::default();
    // Wednesday 09:00: the 48h moment (Tuesday 10:00) is more than half way to the 24h one.
    let p = run_with(&rules, ny(11, 25, 9, 0), PlanMode::DeskBatch, &f, &a, &[]);
    assert_eq!(p.sends.len(), 1, "{p:#?}");
    assert_eq!(p.sends[0].key.offset_hours(), 24);
    // Tuesday 12:00: the 48h one is late but still in its window: it goes.
    let p = run_with(&rules, ny(11, 24, 12, 0), PlanMode::DeskBatch, &f, &a, &[]);
    assert_eq!(p.sends[0].key.offset_hours(), 48);
}

// --- re-check before the outbox goes -------------------------------------------------------

#[test]
fn recheck_before_a_waiting_reminder_goes() {
    let rules = ReminderRules::default();
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
    let mut closed = a.clone();
    closed.to_rebook = true;
    assert_eq!(
        reason(noon, &f, &closed),
        Err(SkipReason::NotOpen {
            status: "to rebook (closure)".into()
        }),
        "a reminder that waited is withdrawn once a closure took its visit"
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
