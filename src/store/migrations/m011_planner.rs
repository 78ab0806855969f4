//! Migration 11 (issue 14): what a clinic group's busy day asks per patient (1,400 of them)
//! and per number. Five years of history is ~45 outbound rows per patient, each on its own
//! page of a multi-GB table (and, encrypted, each page decrypted on read): the planner's
//! reminder keys and the last outbound text come from partial indexes, the day sheet's latest
//! reply reads the patient's few inbound texts rather than probing the replies for every
//! outbound one, and a send's "provider ids already ours for this number" and the outbox are
//! look-ups instead of scans (docs/BENCHMARKS.md, "Clinic group"). Owns only its SQL;
//! imports nothing.

pub const SQL: &str = r#"
-- The planner's taken keys (`messages::reminder_keys`): every reminder row's key and standing.
CREATE INDEX messages_reminder_keys ON messages
    (patient_id, idempotency_key, status, error_code)
    WHERE direction = 'out' AND kind IN ('reminder-48h', 'reminder-24h', 'same-day-double');
-- A patient's outbound rows newest first by when they left (or were written), with their
-- status: "first text since opting in" (`messages::last_outbound_at`) reads one or two.
CREATE INDEX messages_out_by_patient ON messages
    (patient_id, COALESCE(sent_at, created_at), status)
    WHERE direction = 'out';
-- Reconciliation's "provider ids already ours for this number" (`messages::provider_ids_to`),
-- asked once per number a batch sends to: without it, a full scan of every message each time.
CREATE INDEX messages_provider_ids_by_number ON messages (to_number, provider_id)
    WHERE direction = 'out' AND provider_id IS NOT NULL;
-- The day sheet's latest reply (`day::sheet`): a patient's inbound texts by time.
CREATE INDEX messages_in_by_patient ON messages (patient_id, created_at) WHERE direction = 'in';
-- The outbox (`messages::waiting_to_send`, `unsent_to`, the footer's count): the texts not yet
-- handed over. `messages_unfinished` also holds every 'sent' text a receipt never came for
-- (170,000 at a clinic group), which these queries would walk and look up one by one.
CREATE INDEX messages_waiting ON messages (status, to_number, provider_id, provider)
    WHERE status IN ('pending', 'queued');
"#;
