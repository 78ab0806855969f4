//! Issue 8, item 8: the cap rule over whole weeks. A simulated `remind` every 15 minutes
//! feeds each text it sends back into the next plan (as a message row and as history), and
//! the table checks what patients actually receive: every appointment of a consenting patient
//! gets at least its last reminder; earlier reminders give way under the caps; appointments
//! close together share one text; a missed reminder is not sent late when the next one is
//! near.

use super::*;

/// What a week of scheduled runs sent: (when, key).
fn simulate(
    rules: &ReminderRules,
    history: &[RecentSend],
    appointments: &[Appointment],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, ReminderKey)> {
    let mut sent: Vec<(DateTime<Utc>, ReminderKey)> = Vec::new();
    let mut messages: Vec<ReminderMessage> = Vec::new();
    let mut facts = patient(1, New_York);
    facts.recent = history.to_vec();
    let mut now = from;
    while now < to {
        // As `remind` loads them: the next 72 hours get lines, the week after is `later`.
        let horizon = now + Duration::hours(72);
        let lines: Vec<Appointment> = appointments
            .iter()
            .filter(|a| a.start >= now && a.start < horizon)
            .cloned()
            .collect();
        let later: Vec<Appointment> = appointments
            .iter()
            .filter(|a| a.start >= horizon && a.start < horizon + Duration::days(7))
            .cloned()
            .collect();
        let p = plan(
            rules,
            now,
            PlanMode::Scheduled,
            &PlanInput {
                patients: std::slice::from_ref(&facts),
                appointments: &lines,
                messages: &messages,
                later: &later,
            },
        );
        for s in p.sends {
            messages.push(msg(&s.key.to_string(), MessageStatus::Delivered));
            facts.recent.push(RecentSend {
                at: now,
                kind: s.kind,
            });
            facts.last_outbound = Some(now);
            sent.push((now, s.key));
        }
        now += Duration::minutes(15);
    }
    sent
}

/// The most texts in any rolling 7 days, and on any one local day.
fn peaks(sent: &[(DateTime<Utc>, ReminderKey)]) -> (usize, usize) {
    let week = sent
        .iter()
        .map(|(t, _)| {
            sent.iter()
                .filter(|(u, _)| *u > *t - Duration::days(7) && *u <= *t)
                .count()
        })
        .max()
        .unwrap_or(0);
    let day = sent
        .iter()
        .map(|(t, _)| {
            let d = t.with_timezone(&New_York).date_naive();
            sent.iter()
                .filter(|(u, _)| u.with_timezone(&New_York).date_naive() == d)
                .count()
        })
        .max()
        .unwrap_or(0);
    (week, day)
}

/// Did `a` get its reminder at `offset`, and when?
fn reminded(
    sent: &[(DateTime<Utc>, ReminderKey)],
    a: &Appointment,
    offset: u32,
) -> Option<DateTime<Utc>> {
    sent.iter()
        .find(|(_, k)| k.covers(a.id, a.start, offset))
        .map(|(t, _)| *t)
}

struct Case {
    /// Local starts (day of Nov 2026, hour, minute), in New York.
    starts: &'static [(u32, u32, u32)],
    /// Reminder-class texts already sent (days before Sun 22 Nov, 10:00).
    history_days_before: &'static [i64],
    /// Texts expected in all, and the most of them in any rolling week (the cap is 3: more
    /// only when that many visits each need their last reminder).
    texts: usize,
    week_peak: usize,
}

#[rstest::rstest]
// One visit: both reminders, two texts.
#[case::one_visit(Case { starts: &[(26, 10, 0)], history_days_before: &[], texts: 2, week_peak: 2 })]
// Mon, Wed, Fri at 3 a week: the 48h reminders give way; each visit gets its 24h one.
#[case::three_visits_a_week(Case { starts: &[(23, 10, 0), (25, 10, 0), (27, 10, 0)], history_days_before: &[], texts: 3, week_peak: 3 })]
// Tue 10:00 and Wed 09:00: Monday's text lists both (Wed's 48h, Tue's 24h).
#[case::two_close_visits(Case { starts: &[(24, 10, 0), (25, 9, 0)], history_days_before: &[], texts: 3, week_peak: 3 })]
// Same day, twice: one text per reminder, both visits in it.
#[case::double_booking(Case { starts: &[(26, 9, 0), (26, 14, 30)], history_days_before: &[], texts: 2, week_peak: 2 })]
// The week already full (welcome, survey, another reminder): the last reminder still goes.
#[case::full_week_before(Case { starts: &[(25, 10, 0)], history_days_before: &[1, 2, 3], texts: 1, week_peak: 1 })]
// A visit every day for a week: every one is reminded; texts share where they can.
#[case::daily_visits(Case { starts: &[(23, 10, 0), (24, 10, 0), (25, 10, 0), (26, 10, 0), (27, 10, 0), (28, 10, 0), (29, 10, 0)], history_days_before: &[], texts: 7, week_peak: 7 })]
fn every_visit_gets_at_least_its_last_reminder(#[case] case: Case) {
    let rules = ReminderRules::default();
    let start = ny(11, 21, 0, 0);
    let appointments: Vec<Appointment> = case
        .starts
        .iter()
        .enumerate()
        .map(|(i, &(d, h, m))| appt(10 + i as i64, 1, ny(11, d, h, m)))
        .collect();
    let history: Vec<RecentSend> = case
        .history_days_before
        .iter()
        .map(|&d| RecentSend {
            at: ny(11, 22, 10, 0) - Duration::days(d) + Duration::days(2),
            kind: MessageKind::Welcome,
        })
        .collect();
    let sent = simulate(&rules, &history, &appointments, start, ny(11, 30, 0, 0));
    for a in &appointments {
        let at = reminded(&sent, a, 24).unwrap_or_else(|| {
            panic!(
                "appointment {} never got its last reminder: {sent:#?}",
                a.id
            )
        });
        assert!(
            at <= a.start - Duration::hours(2),
            "in time, not within the lead"
        );
    }
    assert_eq!(sent.len(), case.texts, "{sent:#?}");
    let (week, day) = peaks(&sent);
    assert_eq!(
        week, case.week_peak,
        "most texts in a rolling week: {sent:#?}"
    );
    assert!(day <= 1, "never two reminder texts a day: {sent:#?}");
}

#[test]
fn a_missed_48h_reminder_is_not_sent_an_hour_before_the_24h_one() {
    // Offline until Wed 09:00 for a Thu 10:00 visit: the 48h moment (Tue 10:00) is 23 hours
    // past and the 24h one is an hour away — only the 24h one goes.
    let a = [appt(10, 1, ny(11, 26, 10, 0))];
    let sent = simulate(
        &ReminderRules::default(),
        &[],
        &a,
        ny(11, 25, 9, 0),
        ny(11, 26, 10, 0),
    );
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0].0, ny(11, 25, 10, 0));
    assert_eq!(sent[0].1.offset_hours(), 24);
}

#[test]
fn a_rescheduled_visit_gets_its_fresh_last_reminder_though_the_week_is_full() {
    // Reminded at 48h and 24h for Wed 10:00, plus a welcome: 3 this week. Moved to Fri 15:00.
    let old = appt(10, 1, ny(11, 25, 10, 0));
    let history = [
        RecentSend {
            at: ny(11, 23, 10, 0),
            kind: MessageKind::Reminder48h,
        },
        RecentSend {
            at: ny(11, 24, 10, 0),
            kind: MessageKind::Reminder24h,
        },
        RecentSend {
            at: ny(11, 24, 12, 0),
            kind: MessageKind::Welcome,
        },
    ];
    let mut moved = old.clone();
    moved.start = ny(11, 27, 15, 0);
    let sent = simulate(
        &ReminderRules::default(),
        &history,
        std::slice::from_ref(&moved),
        ny(11, 24, 13, 0),
        ny(11, 27, 15, 0),
    );
    assert!(reminded(&sent, &moved, 24).is_some(), "{sent:#?}");
    assert!(
        reminded(&sent, &moved, 48).is_none(),
        "the earlier one gives way"
    );
}
