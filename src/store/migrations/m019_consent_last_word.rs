//! Migration 19 (issue 14): each patient's last consent event copied onto the patient's row,
//! kept by a trigger. Owns only its SQL; imports nothing.
//!
//! A patient's consent is the last word they gave (`ConsentState::from_events` folds to the
//! last event), and the day sheet shows it for every visit. Read from `consent_by_patient` it
//! was one more B-tree descent per patient — a third of the sheet at a clinic group's day of
//! 2,000 visits, on top of the patient's row the sheet reads anyway. The row now carries the
//! last event's words (kind, method, evidence) and its place in the order (recorded at, id);
//! the domain still decides what they mean (`ConsentFlag::after`). The events stay the record:
//! append-only (migration 2's triggers), so the copy can only move forward, and only this
//! trigger writes it. An event recorded late with an earlier time (a form signed last week,
//! entered today) does not replace a later word.

pub const SQL: &str = r#"
ALTER TABLE patients ADD COLUMN consent_kind TEXT;
ALTER TABLE patients ADD COLUMN consent_method TEXT;
ALTER TABLE patients ADD COLUMN consent_evidence TEXT;
ALTER TABLE patients ADD COLUMN consent_at INTEGER;
ALTER TABLE patients ADD COLUMN consent_event INTEGER;

UPDATE patients
   SET (consent_kind, consent_method, consent_evidence, consent_at, consent_event) =
       (SELECT e.kind, e.method, e.evidence, e.recorded_at, e.id FROM consent_events e
         WHERE e.patient_id = patients.id ORDER BY e.recorded_at DESC, e.id DESC LIMIT 1)
 WHERE id IN (SELECT patient_id FROM consent_events);

CREATE TRIGGER consent_last_word AFTER INSERT ON consent_events
BEGIN
    UPDATE patients
       SET consent_kind = NEW.kind, consent_method = NEW.method,
           consent_evidence = NEW.evidence, consent_at = NEW.recorded_at,
           consent_event = NEW.id
     WHERE id = NEW.patient_id
       AND (consent_event IS NULL OR consent_at < NEW.recorded_at
            OR (consent_at = NEW.recorded_at AND consent_event < NEW.id));
END;
"#;
