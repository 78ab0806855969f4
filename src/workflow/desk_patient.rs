//! What the desk does on the patient screen (SPEC §3.3) apart from sending: load the
//! patient's record, record consent (with the date the form was signed) or an opt-out, and
//! fix the mobile number (which clears the number-problem flag). Every change is audited in
//! the same transaction. Sends are `send` (portal prompts) and `custom_text`.

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Config;
use crate::domain::audit::PracticeEvent;
use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod, ConsentState};
use crate::domain::ids::PatientId;
use crate::domain::patient_file::PatientFile;
use crate::domain::phone::E164;
use crate::domain::reminder::Basis;
use crate::store::{self, Store, StoreError};
use crate::workflow::WorkflowError;
use crate::workflow::{consent, day};

/// Newest messages the patient screen reads (older ones are in `export messages`).
pub const MAX_MESSAGES: usize = 200;

/// The patient's record for the patient screen at `now`, each appointment with its reminder
/// cells: what was recorded (sent, skipped, held, blocked with the gate's finding) and, for
/// visits still to come, what the schedule will do.
pub fn load(
    store: &Store,
    config: &Config,
    patient: PatientId,
    now: DateTime<Utc>,
) -> Result<PatientFile, StoreError> {
    let conn = store;
    let p = store::patients::get(conn, patient)?;
    let mut messages = store::messages::for_patient(conn, patient)?;
    messages.reverse();
    messages.truncate(MAX_MESSAGES);
    let mut appointments = store::patient_file::appointments(conn, patient)?;
    let full = appointments
        .iter()
        .map(|a| store::appointments::get(conn, a.id))
        .collect::<Result<Vec<_>, _>>()?;
    let mut cells = day::reminder_cells(store, config, &full, now)?;
    for a in &mut appointments {
        let mut mine = cells.remove(&a.id).unwrap_or_default();
        if a.start < now {
            // A visit that has begun: only what happened, no forecast.
            mine.retain(|c| c.basis != Basis::Forecast);
        }
        a.reminders = mine;
    }
    Ok(PatientFile {
        patient: p,
        consent: store::consent::events(conn, patient)?,
        messages,
        appointments,
    })
}

/// A written opt-in as the desk records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedConsent {
    pub method: ConsentMethod,
    /// The form, signature or portal record reference.
    pub evidence: String,
    /// The day the patient signed (practice calendar).
    pub signed_on: NaiveDate,
}

/// Record an opt-in with its evidence. The day signed is kept with the evidence reference
/// ("FORM-7, signed 2026-03-02") so the timeline and a consent export both show it; a date
/// in the future is refused.
pub fn record_consent(
    store: &mut Store,
    config: &Config,
    patient: PatientId,
    c: &SignedConsent,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ConsentState, WorkflowError> {
    let today = now.with_timezone(&config.practice.time_zone).date_naive();
    if c.signed_on > today {
        return Err(WorkflowError::Invalid(format!(
            "the form cannot be signed on {} — that is after today",
            c.signed_on
        )));
    }
    let evidence = c.evidence.trim();
    let event = ConsentEvent {
        kind: ConsentKind::OptIn,
        method: c.method,
        evidence: (!evidence.is_empty()).then(|| format!("{evidence}, signed {}", c.signed_on)),
        recorded_by: actor.to_string(),
        at: now,
    };
    consent::record(store, patient, &event).map_err(consent_error)
}

/// Record an opt-out the patient told the desk (in person, by phone, on a form).
pub fn record_opt_out(
    store: &mut Store,
    patient: PatientId,
    method: ConsentMethod,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ConsentState, WorkflowError> {
    let event = ConsentEvent {
        kind: ConsentKind::OptOut,
        method,
        evidence: None,
        recorded_by: actor.to_string(),
        at: now,
    };
    consent::record(store, patient, &event).map_err(consent_error)
}

fn consent_error(e: consent::ConsentFlowError) -> WorkflowError {
    match e {
        consent::ConsentFlowError::Store(s) => WorkflowError::Store(s),
        invalid => WorkflowError::Invalid(invalid.to_string()),
    }
}

/// Set a new mobile number typed at the desk (national numbers read in the practice's
/// region), clearing the number-problem flag; audited with the last four digits only.
/// Returns the number as stored.
pub fn fix_phone(
    store: &mut Store,
    config: &Config,
    patient: PatientId,
    typed: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<E164, WorkflowError> {
    let number = E164::parse(typed, &config.practice.region)
        .map_err(|e| WorkflowError::Invalid(e.to_string()))?;
    store.write(|c| {
        let (old, flagged) = store::patients::number_state(c, patient)?;
        store::patients::set_mobile(c, patient, Some(&number))?;
        let old_last4 = old.as_deref().map(|o| last4(o).to_string());
        let event = PracticeEvent::MobileFixed {
            patient,
            old_last4: old_last4.as_deref(),
            new_last4: number.last4(),
            cleared_number_problem: flagged,
        };
        store::audit::append(c, &event.entry(now, actor))?;
        Ok::<_, WorkflowError>(())
    })?;
    Ok(number)
}

fn last4(number: &str) -> &str {
    let cut = number.len().saturating_sub(4);
    number.get(cut..).unwrap_or(number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::appointments::tests::{fixture, t};

    #[test]
    fn fixing_a_flagged_number_clears_the_flag_and_audits_last_digits_only() {
        let (mut store, p, _, _) = fixture();
        store::patients::flag_number(store.test_conn(), p, "21614", t(8, 0)).unwrap();
        let config = Config::default();
        let n = fix_phone(&mut store, &config, p, "(415) 555-0142", "desk", t(9, 0)).unwrap();
        assert_eq!(n.as_str(), "+14155550142");
        let file = load(&store, &Config::default(), p, t(9, 0)).unwrap();
        assert_eq!(file.patient.number_problem, None);
        let audit = store::audit::for_subject(store.test_conn(), &format!("patient:{p}")).unwrap();
        let last = audit.last().unwrap();
        assert_eq!(last.action, "patient.mobile_fixed");
        let detail = last.detail.to_string();
        assert!(
            detail.contains("\"0142\"") && !detail.contains("5550142"),
            "{detail}"
        );
        assert!(
            detail.contains("\"cleared_number_problem\":true"),
            "{detail}"
        );
    }

    #[test]
    fn a_bad_number_is_refused_and_nothing_changes() {
        let (mut store, p, _, _) = fixture();
        let before = load(&store, &Config::default(), p, t(9, 0))
            .unwrap()
            .patient
            .mobile;
        let err = fix_phone(&mut store, &Config::default(), p, "12", "desk", t(9, 0));
        assert!(err.is_err());
        assert_eq!(
            load(&store, &Config::default(), p, t(9, 0))
                .unwrap()
                .patient
                .mobile,
            before
        );
    }

    #[test]
    fn consent_keeps_the_signed_day_and_refuses_a_future_one() {
        let (mut store, p, _, _) = fixture();
        let config = Config::default();
        let mut c = SignedConsent {
            method: ConsentMethod::WrittenForm,
            evidence: "FORM-7".into(),
            signed_on: NaiveDate::from_ymd_opt(2099, 1, 1).unwrap(),
        };
        assert!(record_consent(&mut store, &config, p, &c, "desk", t(9, 0)).is_err());
        c.signed_on = t(9, 0).date_naive().pred_opt().unwrap();
        let state = record_consent(&mut store, &config, p, &c, "desk", t(9, 0)).unwrap();
        assert!(state.may_text());
        let ev = &load(&store, &Config::default(), p, t(9, 0))
            .unwrap()
            .consent[0];
        let expected = format!("FORM-7, signed {}", c.signed_on);
        assert_eq!(ev.evidence.as_deref(), Some(expected.as_str()));
        // No evidence: refused by the consent rules, nothing written.
        c.evidence = "  ".into();
        assert!(record_consent(&mut store, &config, p, &c, "desk", t(9, 5)).is_err());
        let state = record_opt_out(&mut store, p, ConsentMethod::Verbal, "desk", t(9, 6)).unwrap();
        assert!(!state.may_text());
        assert_eq!(
            load(&store, &Config::default(), p, t(9, 0))
                .unwrap()
                .consent
                .len(),
            2
        );
    }
}
