use super::*;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::{ConsentMethod, ConsentState};
use crate::domain::ids::{AppointmentTypeId, ClinicianId, PatientId};
use crate::domain::message::MessageStatus;
use crate::domain::reminder::plan::{PlanInput, PlanMode, ReminderMessage, plan};
use crate::domain::reminder::reminder_key;
use crate::domain::reminder::rules::ReminderRules;
use crate::domain::reminder::window::PatientFacts;
use chrono::{NaiveTime, TimeZone};
use chrono_tz::America::New_York;
use rstest::rstest;

fn ny(d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    New_York
        .with_ymd_and_hms(2026, 3, d, h, mi, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

const A: AppointmentId = AppointmentId(7);

fn start() -> DateTime<Utc> {
    ny(6, 10, 0)
}

fn cell(offset_hours: u32, state: ReminderState) -> ReminderCell {
    ReminderCell {
        offset_hours,
        state,
        basis: Basis::Forecast,
    }
}

fn decision(offset_hours: u32, decided: Decided) -> ReminderDecision {
    ReminderDecision {
        appointment_id: A,
        start: start(),
        offset_hours,
        decided,
        decided_at: ny(4, 10, 0),
    }
}

fn skipped(reason: SkipReason) -> Decided {
    Decided::Skipped { reason }
}

fn finding() -> Option<GateFinding> {
    Some(GateFinding {
        category: "medication".into(),
        explanation: "looks like a medication name or dose".into(),
    })
}

fn recorded_at() -> Basis {
    Basis::Recorded {
        at: Some(ny(4, 10, 0)),
    }
}

const ROW: Basis = Basis::Recorded { at: None };

// --- the merge rule: recorded states win over forecasts ------------------------------------

#[rstest]
#[case::forecast_stays_a_forecast(
    ReminderState::Skipped(SkipReason::NoConsent),
    None,
    ReminderState::Skipped(SkipReason::NoConsent),
    Basis::Forecast
)]
#[case::the_issue_arrived_does_not_rewrite_no_consent(
    ReminderState::Skipped(SkipReason::NotOpen { status: "arrived".into() }),
    Some(decision(48, skipped(SkipReason::NoConsent))),
    ReminderState::Skipped(SkipReason::NoConsent), recorded_at())]
#[case::a_message_row_wins_over_an_earlier_wait(
    ReminderState::Delivered,
    Some(decision(48, Decided::Waiting { until: ny(4, 8, 0), reason: SkipReason::QuietHours { until: NaiveTime::from_hms_opt(8, 0, 0).unwrap() } })),
    ReminderState::Delivered, ROW)]
#[case::a_blocked_row_takes_the_gate_finding(
    ReminderState::Blocked { finding: None },
    Some(decision(48, Decided::Blocked { finding: finding() })),
    ReminderState::Blocked { finding: finding() }, ROW)]
#[case::a_blocked_row_without_a_decision_stays_blocked(
    ReminderState::Blocked { finding: None }, None,
    ReminderState::Blocked { finding: None }, ROW)]
#[case::a_blocked_row_is_not_turned_into_a_skip(
    ReminderState::Blocked { finding: None },
    Some(decision(48, skipped(SkipReason::NoConsent))),
    ReminderState::Blocked { finding: None }, ROW)]
#[case::a_wait_shows_as_waiting_not_planned(
    ReminderState::Planned { due: ny(4, 10, 0) },
    Some(decision(48, Decided::Waiting { until: ny(5, 8, 0), reason: SkipReason::FrequencyCap })),
    ReminderState::Waiting { until: ny(5, 8, 0), reason: SkipReason::FrequencyCap }, recorded_at())]
#[case::a_planned_forecast_without_decision(
    ReminderState::Planned { due: ny(4, 10, 0) }, None,
    ReminderState::Planned { due: ny(4, 10, 0) }, Basis::Forecast)]
#[case::a_withdrawn_row_is_recorded(
    ReminderState::Skipped(SkipReason::Withdrawn),
    None,
    ReminderState::Skipped(SkipReason::Withdrawn),
    ROW
)]
#[case::another_offsets_decision_does_not_apply(
    ReminderState::Skipped(SkipReason::Superseded),
    Some(decision(24, skipped(SkipReason::NoConsent))),
    ReminderState::Skipped(SkipReason::Superseded),
    Basis::Forecast
)]
fn merge_rule(
    #[case] forecast: ReminderState,
    #[case] recorded: Option<ReminderDecision>,
    #[case] want: ReminderState,
    #[case] basis: Basis,
) {
    let decisions: Vec<_> = recorded.into_iter().collect();
    let got = merge_recorded(vec![cell(48, forecast)], A, start(), &decisions);
    assert_eq!(got[0].state, want);
    assert_eq!(got[0].basis, basis);
}

#[test]
fn a_decision_for_the_old_time_of_a_rescheduled_visit_does_not_speak_for_the_new_one() {
    let decisions = [decision(48, skipped(SkipReason::NoConsent))];
    let moved = start() + Duration::days(1);
    let got = merge_recorded(
        vec![cell(48, ReminderState::Planned { due: ny(5, 10, 0) })],
        A,
        moved,
        &decisions,
    );
    assert_eq!(got[0].basis, Basis::Forecast);
    let other = merge_recorded(
        vec![cell(48, ReminderState::Planned { due: ny(4, 10, 0) })],
        AppointmentId(8),
        start(),
        &decisions,
    );
    assert_eq!(
        other[0].basis,
        Basis::Forecast,
        "another appointment's decision"
    );
}

// --- which decisions remind records, from the real planner ----------------------------------

fn appt(status: AppointmentStatus, start: DateTime<Utc>) -> Appointment {
    Appointment {
        id: A,
        patient_id: PatientId(1),
        clinician_id: ClinicianId(1),
        type_id: AppointmentTypeId(1),
        start,
        duration_minutes: 20,
        status,
        booked_at: start - Duration::days(30),
        callback_requested: false,
        to_rebook: false,
    }
}

fn facts(consent: bool) -> PatientFacts {
    PatientFacts {
        id: PatientId(1),
        zone: New_York,
        has_mobile: true,
        number_flag: None,
        consent: if consent {
            ConsentState::OptedIn {
                since: ny(1, 0, 0),
                method: ConsentMethod::WrittenForm,
                evidence: "FORM-1".into(),
            }
        } else {
            ConsentState::None
        },
        recent: Vec::new(),
        last_outbound: None,
    }
}

fn decide(
    now: DateTime<Utc>,
    a: &Appointment,
    consent: bool,
    rows: &[ReminderMessage],
) -> Option<ReminderDecision> {
    let rules = ReminderRules::default();
    let patients = [facts(consent)];
    let p = plan(
        &rules,
        now,
        PlanMode::Scheduled,
        &PlanInput {
            patients: &patients,
            appointments: std::slice::from_ref(a),
            messages: rows,
            later: &[],
        },
    );
    due_decision(&rules.offsets_hours, now, a, &p.lines[0])
}

#[rstest]
#[case::no_consent_at_the_48h_moment(ny(4, 10, 0), AppointmentStatus::Booked, false, Some((48, skipped(SkipReason::NoConsent))))]
#[case::no_consent_at_the_24h_moment(ny(5, 10, 5), AppointmentStatus::Booked, false, Some((24, skipped(SkipReason::NoConsent))))]
#[case::cancelled_at_the_24h_moment(ny(5, 10, 0), AppointmentStatus::Cancelled, true, Some((24, skipped(SkipReason::NotOpen { status: "cancelled".into() }))))]
#[case::nothing_due_yet(ny(3, 10, 0), AppointmentStatus::Booked, false, None)]
#[case::a_send_is_a_message_row_not_a_decision(ny(4, 10, 0), AppointmentStatus::Booked, true, None)]
fn due_decisions(
    #[case] now: DateTime<Utc>,
    #[case] status: AppointmentStatus,
    #[case] consent: bool,
    #[case] want: Option<(u32, Decided)>,
) {
    let got =
        decide(now, &appt(status, start()), consent, &[]).map(|d| (d.offset_hours, d.decided));
    assert_eq!(got, want);
}

#[test]
fn a_reminder_due_in_quiet_hours_waits_until_the_next_allowed_minute() {
    // An evening appointment: its 24-hour moment is 21:00, after the allowed window.
    let a = appt(AppointmentStatus::Booked, ny(6, 21, 0));
    let d = decide(ny(5, 21, 0), &a, true, &[]).expect("a decision");
    assert_eq!(d.offset_hours, 24);
    assert!(
        matches!(d.decided, Decided::Waiting { until, .. } if until == ny(6, 8, 0)),
        "{:?}",
        d.decided
    );
}

#[test]
fn a_reminder_whose_row_exists_decides_nothing_new() {
    let a = appt(AppointmentStatus::Booked, start());
    let rows = [ReminderMessage {
        key: reminder_key(A, start(), 48),
        status: MessageStatus::Blocked,
        error_code: None,
    }];
    assert_eq!(decide(ny(4, 10, 0), &a, true, &rows), None);
}
