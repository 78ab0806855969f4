//! Recording SMS consent and opt-outs (SPEC §5.2–§5.3), always with an audit record.

use crate::domain::audit::DeskEvent;

use crate::domain::consent::{ConsentError, ConsentEvent, ConsentState};
use crate::domain::ids::PatientId;
use crate::store::{self, Db, Store, StoreError, Write};

/// Why consent could not be recorded; the text is shown to staff.
#[derive(Debug, thiserror::Error)]
pub enum ConsentFlowError {
    #[error("{0}")]
    Invalid(#[from] ConsentError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Record one event for a patient and return their new consent state.
pub fn record(
    store: &mut Store,
    patient: PatientId,
    event: &ConsentEvent,
) -> Result<ConsentState, ConsentFlowError> {
    store.write(|conn| {
        record_in(conn, patient, event)?;
        Ok(state(conn, patient)?)
    })
}

/// A patient's consent as their events say now: the one place a use case asks "opted out
/// already?" ([`ConsentState::is_opted_out`]) or "may we text?".
pub fn state(conn: &impl Db, patient: PatientId) -> Result<ConsentState, StoreError> {
    Ok(ConsentState::from_events(&store::consent::events(
        conn, patient,
    )?))
}

/// Record inside a caller's transaction (e.g. while applying a STOP reply).
pub fn record_in(
    conn: &impl Write,
    patient: PatientId,
    event: &ConsentEvent,
) -> Result<(), ConsentFlowError> {
    event.validate()?;
    store::patients::must_exist(conn, patient)?;
    let id = store::consent::append(conn, patient, event)?;
    // The evidence reference is a document id, not clinical content.
    let record = DeskEvent::ConsentRecorded {
        patient,
        kind: event.kind,
        event: id,
        method: event.method,
        evidence: event.evidence.as_deref(),
    };
    store::audit::append(conn, &record.entry(event.at, &event.recorded_by))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::consent::ConsentKind;
    use crate::domain::consent::ConsentMethod;
    use crate::store::appointments::tests::{fixture, t};

    #[test]
    fn opt_in_then_opt_out_is_recorded_and_audited() {
        let (mut store, p, _, _) = fixture();
        let opt_in = ConsentEvent {
            kind: ConsentKind::OptIn,
            method: ConsentMethod::WrittenForm,
            evidence: Some("FORM-1".into()),
            recorded_by: "desk".into(),
            at: t(9, 0),
        };
        assert!(record(&mut store, p, &opt_in).unwrap().may_text());
        let out = ConsentEvent {
            kind: ConsentKind::OptOut,
            method: ConsentMethod::Verbal,
            evidence: None,
            at: t(9, 5),
            ..opt_in
        };
        assert!(!record(&mut store, p, &out).unwrap().may_text());
        let audit = store::audit::for_subject(store.test_conn(), &format!("patient:{p}")).unwrap();
        assert_eq!(
            audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
            vec!["consent.opt_in", "consent.opt_out"]
        );
    }

    #[test]
    fn opt_in_without_evidence_is_refused_and_nothing_is_written() {
        let (mut store, p, _, _) = fixture();
        let bad = ConsentEvent {
            kind: ConsentKind::OptIn,
            method: ConsentMethod::Portal,
            evidence: None,
            recorded_by: "desk".into(),
            at: t(9, 0),
        };
        let err = record(&mut store, p, &bad).unwrap_err();
        assert!(err.to_string().contains("needs evidence"), "{err}");
        assert!(
            store::consent::events(store.test_conn(), p)
                .unwrap()
                .is_empty()
        );
        assert!(
            store::audit::for_subject(store.test_conn(), &format!("patient:{p}"))
                .unwrap()
                .is_empty()
        );
    }
}
