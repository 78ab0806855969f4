//! Consent events: append-only (triggers refuse updates and deletes).

use crate::store::{Db, Write};
use std::collections::HashMap;

use rusqlite::params;

use super::{Result, StoreError, from_ts, ts};
use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod, ConsentState};
use crate::domain::ids::PatientId;

/// Append one event (the caller has validated it).
pub fn append(conn: &impl Write, patient: PatientId, e: &ConsentEvent) -> Result<i64> {
    let conn = super::sql(conn);
    conn.prepare_cached(
        "INSERT INTO consent_events (patient_id, kind, method, evidence, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        patient.0,
        e.kind.as_str(),
        e.method.as_str(),
        e.evidence,
        e.recorded_by,
        ts(e.at)
    ])?;
    Ok(conn.last_insert_rowid())
}

type RawEvent = (i64, String, String, Option<String>, String, i64);

fn check((_, kind, method, evidence, recorded_by, at): RawEvent) -> Result<ConsentEvent> {
    Ok(ConsentEvent {
        kind: ConsentKind::parse(&kind).ok_or(StoreError::Corrupt {
            what: "consent_events.kind",
            value: kind,
        })?,
        method: ConsentMethod::parse(&method).ok_or(StoreError::Corrupt {
            what: "consent_events.method",
            value: method,
        })?,
        evidence,
        recorded_by,
        at: from_ts(at)?,
    })
}

/// One patient's events, oldest first (ties broken by insertion order).
pub fn events(conn: &impl Db, patient: PatientId) -> Result<Vec<ConsentEvent>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT patient_id, kind, method, evidence, recorded_by, recorded_at FROM consent_events
         WHERE patient_id = ?1 ORDER BY recorded_at, id",
    )?;
    let rows = stmt.query_map(params![patient.0], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    })?;
    rows.map(|r| check(r?)).collect()
}

/// Many patients' events in one statement, each patient's oldest first (ties broken by
/// insertion order): one ordered walk of `consent_by_patient`, which carries every column
/// read (migration 13). A patient with no event is left out.
pub fn events_of(
    conn: &impl Db,
    patients: &[PatientId],
) -> Result<HashMap<PatientId, Vec<ConsentEvent>>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(EVENTS_OF)?;
    let rows = stmt.query_map(params![super::id_list(patients.iter().map(|p| p.0))], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    })?;
    let mut out: HashMap<PatientId, Vec<ConsentEvent>> = HashMap::new();
    for raw in rows {
        let raw: RawEvent = raw?;
        let patient = PatientId(raw.0);
        out.entry(patient).or_default().push(check(raw)?);
    }
    Ok(out)
}

/// [`events_of`]'s query.
pub(crate) const EVENTS_OF: &str =
    "SELECT patient_id, kind, method, evidence, recorded_by, recorded_at FROM consent_events
      WHERE patient_id IN (SELECT value FROM json_each(?1))
      ORDER BY patient_id, recorded_at, id";

/// Current consent of many patients at once (the desk's search list): every patient given
/// has a state; a word frontdesk cannot read is an error.
pub fn states(conn: &impl Db, patients: &[PatientId]) -> Result<HashMap<PatientId, ConsentState>> {
    let mut words = last_words(conn, patients)?;
    patients
        .iter()
        .map(|p| {
            let state = words.remove(p).transpose()?.flatten();
            let state = state.unwrap_or(ConsentState::None);
            Ok((*p, state))
        })
        .collect()
}

/// Each patient's consent from their last word as their row carries it (migration 19): what
/// [`ConsentState::from_events`] folds their events to — one row per patient, which a reader
/// of the patients' records has just read, where the events are a descent each. A patient
/// with no event has `None`, with a word frontdesk cannot read an error of their own; an id
/// with no patient is left out.
pub fn last_words(
    conn: &impl Db,
    patients: &[PatientId],
) -> Result<HashMap<PatientId, Result<Option<ConsentState>>>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(LAST_WORDS)?;
    let rows = stmt.query_map(params![super::id_list(patients.iter().map(|p| p.0))], |r| {
        let raw: RawWord = (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
        Ok((PatientId(r.get(0)?), raw))
    })?;
    let mut out = HashMap::with_capacity(patients.len());
    for row in rows {
        let (id, raw) = row?;
        out.insert(id, word(raw));
    }
    Ok(out)
}

/// [`last_words`]' query.
pub(crate) const LAST_WORDS: &str =
    "SELECT id, consent_kind, consent_method, consent_evidence, consent_at FROM patients
      WHERE id IN (SELECT value FROM json_each(?1))";

type RawWord = (Option<String>, Option<String>, Option<String>, Option<i64>);

fn word((kind, method, evidence, at): RawWord) -> Result<Option<ConsentState>> {
    let (Some(kind), Some(method), Some(at)) = (kind, method, at) else {
        return Ok(None);
    };
    let kind = ConsentKind::parse(&kind).ok_or(StoreError::Corrupt {
        what: "patients.consent_kind",
        value: kind,
    })?;
    let method = ConsentMethod::parse(&method).ok_or(StoreError::Corrupt {
        what: "patients.consent_method",
        value: method,
    })?;
    let at = from_ts(at)?;
    Ok(Some(ConsentState::after(
        kind,
        method,
        evidence.as_deref(),
        at,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::appointments::tests::{fixture, t};

    fn ev(kind: ConsentKind, at: chrono::DateTime<chrono::Utc>) -> ConsentEvent {
        ConsentEvent {
            kind,
            method: ConsentMethod::WrittenForm,
            evidence: Some("FORM-7".into()),
            recorded_by: "desk".into(),
            at,
        }
    }

    #[test]
    fn events_come_back_in_order_and_fold_to_state() {
        let (store, p, _, _) = fixture();
        append(store.test_conn(), p, &ev(ConsentKind::OptOut, t(10, 0))).unwrap();
        append(store.test_conn(), p, &ev(ConsentKind::OptIn, t(9, 0))).unwrap();
        let events = events(store.test_conn(), p).unwrap();
        assert_eq!(
            events.iter().map(|e| e.kind).collect::<Vec<_>>(),
            vec![ConsentKind::OptIn, ConsentKind::OptOut]
        );
        let states = states(store.test_conn(), &[p, p]).unwrap();
        assert!(!states[&p].may_text());
    }

    #[test]
    fn patients_without_events_have_no_consent() {
        let (store, p, _, _) = fixture();
        assert_eq!(
            states(store.test_conn(), &[p]).unwrap()[&p],
            ConsentState::None
        );
    }

    #[test]
    fn consent_records_cannot_be_changed_or_deleted() {
        let (store, p, _, _) = fixture();
        append(store.test_conn(), p, &ev(ConsentKind::OptIn, t(9, 0))).unwrap();
        assert!(
            store
                .test_conn()
                .execute("DELETE FROM consent_events", [])
                .is_err()
        );
        assert!(
            store
                .test_conn()
                .execute("UPDATE consent_events SET kind = 'opt_out'", [])
                .is_err()
        );
    }

    /// Many patients' events come from one ordered walk of the covering index: no scan of
    /// the table, no sort, and each patient's own events in order.
    #[test]
    fn many_patients_events_come_from_the_index_each_their_own() {
        let (store, p, _, _) = fixture();
        let c = store.test_conn();
        let plan: Vec<String> = c
            .prepare(&format!("EXPLAIN QUERY PLAN {EVENTS_OF}"))
            .unwrap()
            .query_map(["[1]"], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let plan = plan.join("; ");
        assert!(
            plan.contains("USING COVERING INDEX consent_by_patient"),
            "{plan}"
        );
        assert!(
            !plan.contains("TEMP B-TREE") && !plan.contains("SCAN consent_events"),
            "{plan}"
        );
        let other = crate::store::appointments::tests::patient(c, "Kofi", "Mensah");
        append(c, p, &ev(ConsentKind::OptOut, t(10, 0))).unwrap();
        append(c, other, &ev(ConsentKind::OptIn, t(9, 30))).unwrap();
        append(c, p, &ev(ConsentKind::OptIn, t(9, 0))).unwrap();
        let all = events_of(c, &[other, p]).unwrap();
        assert_eq!(all[&p], events(c, p).unwrap());
        assert_eq!(all[&other], events(c, other).unwrap());
        assert_eq!(all[&p].len(), 2);
        let states = states(c, &[p, other, p]).unwrap();
        assert!(!states[&p].may_text() && states[&other].may_text());
    }
}
