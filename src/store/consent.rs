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

/// A patient row's consent columns: kind, method, evidence, time.
pub(super) type RawWord = (Option<String>, Option<String>, Option<String>, Option<i64>);

/// A patient's consent from their row's consent columns ([`last_words`] for one row).
pub(super) fn word((kind, method, evidence, at): RawWord) -> Result<Option<ConsentState>> {
    let Some((kind, method)) = row_word(kind.as_deref(), method.as_deref())? else {
        return Ok(None);
    };
    let at = at.ok_or(StoreError::Corrupt {
        what: "patients.consent_at",
        value: "NULL".into(),
    })?;
    let at = from_ts(at)?;
    Ok(Some(ConsentState::after(
        kind,
        method,
        evidence.as_deref(),
        at,
    )))
}

/// The kind and method of a patient's last consent word as their row carries it (migration
/// 19): `None` when no event was ever recorded; a word present but not readable (a kind or
/// method this version does not know, or missing beside a kind) is `Corrupt`, naming the
/// column. The one reading of those columns, for the planner's facts ([`last_words`]) and the
/// day sheet's flag alike, so the two cannot disagree about a row.
pub(crate) fn row_word(
    kind: Option<&str>,
    method: Option<&str>,
) -> Result<Option<(ConsentKind, ConsentMethod)>> {
    let Some(k) = kind else {
        return Ok(None);
    };
    let corrupt = |what, value: Option<&str>| StoreError::Corrupt {
        what,
        value: value.unwrap_or("NULL").to_string(),
    };
    let kind = ConsentKind::parse(k).ok_or_else(|| corrupt("patients.consent_kind", kind))?;
    let method = method
        .and_then(ConsentMethod::parse)
        .ok_or_else(|| corrupt("patients.consent_method", method))?;
    Ok(Some((kind, method)))
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

    /// Many patients' consent is read from their rows by id (no scan, no events), and is
    /// what their events fold to — whatever order the events were recorded in.
    #[test]
    fn many_patients_consent_is_their_rows_last_word() {
        let (store, p, _, _) = fixture();
        let c = store.test_conn();
        let plan: Vec<String> = c
            .prepare(&format!("EXPLAIN QUERY PLAN {LAST_WORDS}"))
            .unwrap()
            .query_map(["[1]"], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let plan = plan.join("; ");
        assert!(
            plan.contains("SEARCH patients USING INTEGER PRIMARY KEY (rowid=?)"),
            "{plan}"
        );
        assert!(
            !plan.contains("SCAN patients") && !plan.contains("consent_events"),
            "{plan}"
        );
        let other = crate::store::appointments::tests::patient(c, "Kofi", "Mensah");
        let third = crate::store::appointments::tests::patient(c, "Ama", "Owusu");
        append(c, p, &ev(ConsentKind::OptOut, t(10, 0))).unwrap();
        append(c, other, &ev(ConsentKind::OptIn, t(9, 30))).unwrap();
        // Recorded after the opt-out, but with an earlier time: not the last word.
        append(c, p, &ev(ConsentKind::OptIn, t(9, 0))).unwrap();
        let words = last_words(c, &[other, p, third, PatientId(999)]).unwrap();
        for id in [p, other] {
            let folded = ConsentState::from_events(&events(c, id).unwrap());
            assert_eq!(words[&id].as_ref().unwrap().as_ref(), Some(&folded));
        }
        assert!(words[&p].as_ref().unwrap().as_ref().unwrap().is_opted_out());
        assert_eq!(words[&third].as_ref().unwrap(), &None);
        assert!(!words.contains_key(&PatientId(999)));
        let states = states(c, &[p, other, third, p]).unwrap();
        assert!(!states[&p].may_text() && states[&other].may_text());
        assert_eq!(states[&third], ConsentState::None);
    }

    /// A word on the row that cannot be read — an unknown kind or method, or a kind with its
    /// method or time gone (edited by hand) — is that patient's error, named by column, for
    /// the planner's facts and the day sheet's flag alike; never read as "no consent".
    #[test]
    fn a_half_written_or_unknown_word_is_corrupt_for_every_reader() {
        use crate::store::appointments::tests::booking;
        for (set, column) in [
            ("consent_method = NULL", "patients.consent_method"),
            ("consent_method = 'telepathy'", "patients.consent_method"),
            ("consent_kind = 'maybe'", "patients.consent_kind"),
            ("consent_at = NULL", "patients.consent_at"),
        ] {
            let (store, p, clinician, ty) = fixture();
            let c = store.test_conn();
            crate::store::appointments::insert(c, &booking(p, clinician, ty, t(10, 0))).unwrap();
            append(c, p, &ev(ConsentKind::OptIn, t(9, 0))).unwrap();
            c.execute(&format!("UPDATE patients SET {set} WHERE id = ?1"), [p.0])
                .unwrap();
            match &last_words(c, &[p]).unwrap()[&p] {
                Err(StoreError::Corrupt { what, .. }) => assert_eq!(*what, column, "{set}"),
                other => panic!("{set}: {other:?}"),
            }
            // The sheet reads no time; for the rest it names the same column.
            let sheet = crate::store::day::sheet(c, t(10, 0).date_naive(), chrono_tz::UTC);
            if column == "patients.consent_at" {
                assert_eq!(sheet.unwrap().rows.len(), 1, "{set}");
            } else {
                let err = sheet.unwrap_err().to_string();
                assert!(err.contains(column), "{set}: {err}");
            }
        }
    }
}
