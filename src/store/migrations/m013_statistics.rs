//! Migration 13 (issue 14): the statistics' reads at clinic-group scale. Owns only its SQL;
//! imports nothing.
//!
//! The statistics read every reminder row created in a period (`store::stats::reminder_covers`)
//! through `messages_by_created`, which holds every message: in a group about half the
//! messages of a period are replies, welcomes, prompts and other texts the range walks over
//! and drops (12 weeks: 250,000 entries read, 115,000 kept). This index holds only the
//! reminder rows, with the two columns read: half the pages to decrypt, nothing to filter.
//! `direction` is in it so the query's own terms are answered from the index (covering).
//!
//! The statistics also read every consent event, in (patient, time, recording) order
//! (`store::stats::consent_timelines`). `consent_by_patient` now carries the columns
//! consent validity is judged on, so that is one ordered walk of the index: no sort of
//! 93,000 events, no table look-up per event. Look-ups of one patient's events use it as
//! before (same leading columns). Measured in docs/BENCHMARKS.md, "Clinic group".

pub const SQL: &str = r#"
CREATE INDEX messages_reminders_by_created ON messages
    (created_at, status, idempotency_key, direction)
    WHERE direction = 'out' AND idempotency_key >= 'reminder:' AND idempotency_key < 'reminder;';
DROP INDEX consent_by_patient;
CREATE INDEX consent_by_patient ON consent_events
    (patient_id, recorded_at, id, kind, method, evidence, recorded_by);
"#;
