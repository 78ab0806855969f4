//! Migration 16 (issue 14): the planner's two per-patient reads of outbound history — the
//! last 8 days' rows for the caps and the newest text that counts — from one range of one
//! index, without a table row. Owns only its SQL; imports nothing.
//!
//! `messages_out_by_patient` (migration 11: patient, `COALESCE(sent_at, created_at)`, status)
//! gains the columns the caps read (`created_at`, `kind`, `sent_at`, `not_before`): its
//! patient's entries from `COALESCE(sent_at, created_at) >= since` up are every outbound row
//! written since `since` — a text is sent after it is written — and, when one of them counts,
//! the newest that counts. The exception is a text whose recorded sending is *before* its
//! writing (a clock moved back between the two, as `FRONTDESK_NOW` and the tests do): those
//! few rows are in `messages_sent_before_written`, normally empty, read beside it
//! (`store::messages::outbound_history`). The old reads were one seek in
//! `messages_by_patient` plus a table row per recent text, and a second seek here.
//!
//! The index was already changed on every status change (status is in it), so the wider
//! entries add bytes, not index writes; the small one is written only for such rows.

pub const SQL: &str = r#"
DROP INDEX messages_out_by_patient;
CREATE INDEX messages_out_by_patient ON messages
    (patient_id, COALESCE(sent_at, created_at), status, created_at, kind, sent_at, not_before)
    WHERE direction = 'out';
CREATE INDEX messages_sent_before_written ON messages (patient_id, created_at)
    WHERE direction = 'out' AND sent_at < created_at;
"#;
