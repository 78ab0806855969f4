//! Numbered schema migrations, applied by `PRAGMA user_version`, one transaction each.
//!
//! Never edit a migration that has shipped: add the next one. Times are INTEGER seconds since
//! the Unix epoch, UTC (sortable, compact, fast range scans for the day view at 2M rows).
//! Consent, message and audit rows are kept for at least six years, so triggers refuse
//! deletes (and audit updates) at the database level, not only in code.

use rusqlite_migration::{M, Migrations};

mod m011_planner;
mod m012_search;
mod m013_statistics;
mod m014_unused;
mod m015_reminder_parts;
mod m016_outbound_history;
mod m017_change_log;
mod m018_patient_texts;
mod m019_consent_last_word;
mod m020_day_sheet_reads;

/// 1: the practice — clinicians, appointment types, patients, appointments.
const M001_PRACTICE: &str = r#"
CREATE TABLE clinicians (
    id           INTEGER PRIMARY KEY,
    display_name TEXT NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

-- `name` is internal and may be clinical; `sms_label` is the only one a patient may read.
CREATE TABLE appointment_types (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    sms_label       TEXT NOT NULL,
    default_minutes INTEGER NOT NULL CHECK (default_minutes > 0)
);

CREATE TABLE patients (
    id                  INTEGER PRIMARY KEY,
    external_id         TEXT UNIQUE,
    first_name          TEXT NOT NULL,
    last_name           TEXT NOT NULL,
    birth_date          TEXT,              -- YYYY-MM-DD
    mobile              TEXT,              -- E.164
    time_zone           TEXT,              -- IANA; NULL = practice zone
    portal_active       INTEGER NOT NULL DEFAULT 0 CHECK (portal_active IN (0, 1)),
    number_problem_code TEXT,              -- provider code that flagged the number
    number_problem_at   INTEGER,
    created_at          INTEGER NOT NULL
);
CREATE INDEX patients_by_name ON patients (last_name COLLATE NOCASE, first_name COLLATE NOCASE);
CREATE INDEX patients_by_mobile ON patients (mobile) WHERE mobile IS NOT NULL;

CREATE TABLE appointments (
    id                 INTEGER PRIMARY KEY,
    external_id        TEXT UNIQUE,
    patient_id         INTEGER NOT NULL REFERENCES patients (id),
    clinician_id       INTEGER NOT NULL REFERENCES clinicians (id),
    type_id            INTEGER NOT NULL REFERENCES appointment_types (id),
    start_at           INTEGER NOT NULL,
    duration_minutes   INTEGER NOT NULL CHECK (duration_minutes > 0),
    status             TEXT NOT NULL CHECK (status IN
                         ('booked', 'confirmed', 'arrived', 'completed', 'no_show', 'cancelled')),
    status_changed_by  TEXT,
    status_changed_at  INTEGER,
    booked_at          INTEGER NOT NULL,
    callback_requested INTEGER NOT NULL DEFAULT 0 CHECK (callback_requested IN (0, 1))
);
-- The day view and the reminder planner scan by start time.
CREATE INDEX appointments_by_start ON appointments (start_at);
-- Patient screen and same-day double bookings look up by patient.
CREATE INDEX appointments_by_patient ON appointments (patient_id, start_at);
"#;

/// 2: consent and messages (both directions), replies, templates, provider cursors.
const M002_MESSAGING: &str = r#"
CREATE TABLE consent_events (
    id          INTEGER PRIMARY KEY,
    patient_id  INTEGER NOT NULL REFERENCES patients (id),
    kind        TEXT NOT NULL CHECK (kind IN ('opt_in', 'opt_out')),
    method      TEXT NOT NULL,
    evidence    TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
);
CREATE INDEX consent_by_patient ON consent_events (patient_id, recorded_at, id);
CREATE TRIGGER consent_events_keep BEFORE DELETE ON consent_events
BEGIN SELECT RAISE(ABORT, 'consent records are kept for six years and cannot be deleted'); END;
CREATE TRIGGER consent_events_fixed BEFORE UPDATE ON consent_events
BEGIN SELECT RAISE(ABORT, 'consent records cannot be changed; record a new event'); END;

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    direction       TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    kind            TEXT NOT NULL,
    patient_id      INTEGER REFERENCES patients (id),
    appointment_id  INTEGER REFERENCES appointments (id),
    -- Outbound only: appointment + start + offset (or the send's own key). See SPEC §5.8.
    idempotency_key TEXT UNIQUE,
    to_number       TEXT NOT NULL,
    from_number     TEXT,
    body            TEXT NOT NULL,
    encoding        TEXT,
    segments        INTEGER,
    status          TEXT NOT NULL,
    provider        TEXT NOT NULL,
    provider_id     TEXT,
    error_code      TEXT,
    error_message   TEXT,
    findings        TEXT,              -- JSON of PHI findings when blocked
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    not_before      INTEGER,           -- deferred by quiet hours
    sent_at         INTEGER,
    updated_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_by_patient ON messages (patient_id, created_at);
CREATE INDEX messages_by_appointment ON messages (appointment_id) WHERE appointment_id IS NOT NULL;
-- A provider id is unique per provider; inbound polling dedupes on it.
CREATE UNIQUE INDEX messages_by_provider_id ON messages (provider, provider_id) WHERE provider_id IS NOT NULL;
-- Small partial index: the outbox and reconciliation only look at unfinished rows.
CREATE INDEX messages_unfinished ON messages (status, not_before) WHERE status IN ('pending', 'queued', 'sent');
CREATE TRIGGER messages_keep BEFORE DELETE ON messages
BEGIN SELECT RAISE(ABORT, 'message records are kept for six years and cannot be deleted'); END;

-- How an inbound message was read, and whether staff dealt with it (the reply inbox).
CREATE TABLE replies (
    message_id     INTEGER PRIMARY KEY REFERENCES messages (id),
    classification TEXT NOT NULL,
    appointment_id INTEGER REFERENCES appointments (id),
    handled_by     TEXT,
    handled_at     INTEGER
);
CREATE INDEX replies_unhandled ON replies (message_id) WHERE handled_at IS NULL;

CREATE TABLE templates (
    kind       TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Small key/value state: provider polling cursors, seed markers.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#;

/// 3: staff accounts and the hash-chained audit log.
const M003_STAFF_AUDIT: &str = r#"
CREATE TABLE staff (
    id           INTEGER PRIMARY KEY,
    username     TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('reception', 'manager', 'admin')),
    pin_hash     TEXT,
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at   INTEGER NOT NULL
);

CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_by_subject ON audit (subject, id);
CREATE INDEX audit_by_at ON audit (at);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#;

/// 4: a provider id is unique only among *inbound* rows (where it deduplicates overlapping
/// polls). An outbound id is the provider's answer and may repeat: a Twilio-compatible mock
/// answers every create with the same sid, and that must not stop a run.
const M004_OUTBOUND_PROVIDER_IDS: &str = r#"
DROP INDEX messages_by_provider_id;
CREATE UNIQUE INDEX inbound_by_provider_id ON messages (provider, provider_id)
    WHERE provider_id IS NOT NULL AND direction = 'in';
CREATE INDEX outbound_by_provider_id ON messages (provider, provider_id)
    WHERE provider_id IS NOT NULL AND direction = 'out';
"#;

/// 5: every external id an import met, so a record is found again by any of its ids (a FHIR
/// Patient's MRN, its other identifiers and its `Patient/<id>`). `patients.external_id` and
/// `appointments.external_id` keep the first, shown one.
const M005_EXTERNAL_IDS: &str = r#"
CREATE TABLE external_ids (
    kind   TEXT NOT NULL CHECK (kind IN ('patient', 'appointment')),
    key    TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
-- Missing-appointment detection scans imported appointments by start time.
CREATE INDEX appointments_imported_by_start ON appointments (start_at) WHERE external_id IS NOT NULL;
"#;

/// 6: staff sign-in (lockout state; the PHC string of the PIN or password goes in
/// `pin_hash`), staff rows kept for good with fixed usernames, and the acting member's id on
/// audit records. The id is NULL on older records and on `system`'s; the chain hash covers
/// it only when present, so older records verify unchanged.
const M006_STAFF_SIGN_IN: &str = r#"
ALTER TABLE staff ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0);
ALTER TABLE staff ADD COLUMN locked_until INTEGER;
ALTER TABLE staff ADD COLUMN updated_at INTEGER;
CREATE TRIGGER staff_keep BEFORE DELETE ON staff
BEGIN SELECT RAISE(ABORT, 'staff accounts are disabled, never deleted: their history stays attributed'); END;
CREATE TRIGGER staff_username_fixed BEFORE UPDATE OF username ON staff
WHEN NEW.username IS NOT OLD.username
BEGIN SELECT RAISE(ABORT, 'a username cannot change: audit records name it'); END;

ALTER TABLE audit ADD COLUMN actor_id INTEGER REFERENCES staff (id);
-- A member's actions, for `audit export --staff` and the Staff screen.
CREATE INDEX audit_by_actor ON audit (actor_id, id) WHERE actor_id IS NOT NULL;
"#;

/// 7 (issue 8): a text that must arrive before something begins carries that moment
/// (`send_by`: a closure's start, an appointment's start) and is withdrawn, never sent late,
/// once it has passed; patients a text could not reach in time go on the call-back list.
const M007_DEADLINES_CALLBACKS: &str = r#"
ALTER TABLE messages ADD COLUMN send_by INTEGER;   -- never sent at or after this instant

-- Patients to phone because a text could not do its job in time (e.g. a closure notice that
-- cannot reach them before the closure). `key` makes each entry once (the text's own key).
CREATE TABLE callbacks (
    id             INTEGER PRIMARY KEY,
    key            TEXT NOT NULL UNIQUE,
    patient_id     INTEGER NOT NULL REFERENCES patients (id),
    appointment_id INTEGER REFERENCES appointments (id),
    message_id     INTEGER REFERENCES messages (id),
    reason         TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    handled_by     TEXT,
    handled_at     INTEGER
);
CREATE INDEX callbacks_open ON callbacks (created_at) WHERE handled_at IS NULL;
"#;

/// 8: what the statistics need (SPEC §7) and the schema did not keep.
///
/// - `appointments.confirmed_at`: a confirmation is overwritten when the patient arrives
///   (confirmed → arrived), so "confirmed vs unconfirmed" needs its own column.
/// - `appointments.cancelled_at`: late cancellations are measured from the cancellation.
/// - `messages.delivered_at`: reminder coverage and the message export.
///
/// Triggers fill the columns on every write path (desk, SMS reply, import, demo), so no
/// writer has to remember them; a writer that knows better may set them itself. When a
/// writer changes the status without `status_changed_at`, the time is unknown:
/// `cancelled_at` stays NULL (the statistics count it as "cancellation time unknown") and
/// `confirmed_at` falls back to the booking time (only the fact is used).
///
/// Back-fill of existing rows: `delivered_at` = `updated_at` of delivered rows (a delivered
/// row never changes again); `cancelled_at` = `status_changed_at` of cancelled rows
/// (cancelled is final), else the time of the audit record that cancelled it; `confirmed_at` =
/// the earliest of an audit record confirming it, a "confirm" reply filed against it before
/// its start, or — for rows still confirmed — `status_changed_at` (else the booking time).
const M008_STATISTICS: &str = r#"
ALTER TABLE appointments ADD COLUMN confirmed_at INTEGER;
ALTER TABLE appointments ADD COLUMN cancelled_at INTEGER;
ALTER TABLE messages ADD COLUMN delivered_at INTEGER;

-- Replies filed against an appointment (confirmations for the statistics and exports).
CREATE INDEX replies_by_appointment ON replies (appointment_id) WHERE appointment_id IS NOT NULL;

UPDATE messages SET delivered_at = updated_at WHERE status = 'delivered';

UPDATE appointments SET cancelled_at = COALESCE(status_changed_at,
    (SELECT MIN(au.at) FROM audit au
      WHERE au.subject = 'appointment:' || appointments.id AND au.action = 'appointment.status'
        AND json_extract(au.detail, '$.to') = 'cancelled'))
 WHERE status = 'cancelled';

-- Only rows with some evidence of a confirmation are visited (the IN lists use indexes).
UPDATE appointments SET confirmed_at = (SELECT MIN(t) FROM (
        SELECT au.at AS t FROM audit au
         WHERE au.subject = 'appointment:' || appointments.id AND au.action = 'appointment.status'
           AND json_extract(au.detail, '$.to') = 'confirmed'
        UNION ALL
        SELECT m.created_at FROM replies r JOIN messages m ON m.id = r.message_id
         WHERE r.appointment_id = appointments.id AND r.classification = 'confirm'
           AND m.created_at < appointments.start_at
        UNION ALL
        SELECT COALESCE(appointments.status_changed_at, appointments.booked_at)
         WHERE appointments.status = 'confirmed'))
 WHERE status = 'confirmed'
    OR id IN (SELECT appointment_id FROM replies WHERE classification = 'confirm' AND appointment_id IS NOT NULL)
    OR id IN (SELECT CAST(substr(subject, 13) AS INTEGER) FROM audit
               WHERE action = 'appointment.status' AND json_extract(detail, '$.to') = 'confirmed');

-- "Did the writer set status_changed_at with this change?" is `NEW.status_changed_at IS NOT
-- OLD.status_changed_at`; without it the moment is unknown.
CREATE TRIGGER appointments_confirmed_at AFTER UPDATE OF status ON appointments
WHEN NEW.status = 'confirmed' AND OLD.status <> 'confirmed' AND NEW.confirmed_at IS NULL
BEGIN
    UPDATE appointments SET confirmed_at = CASE
        WHEN NEW.status_changed_at IS NOT OLD.status_changed_at THEN NEW.status_changed_at
        ELSE NEW.booked_at END
     WHERE id = NEW.id;
END;
CREATE TRIGGER appointments_confirmed_on_insert AFTER INSERT ON appointments
WHEN NEW.status = 'confirmed' AND NEW.confirmed_at IS NULL
BEGIN
    UPDATE appointments SET confirmed_at = COALESCE(NEW.status_changed_at, NEW.booked_at)
     WHERE id = NEW.id;
END;
CREATE TRIGGER appointments_cancelled_at AFTER UPDATE OF status ON appointments
WHEN NEW.status = 'cancelled' AND OLD.status <> 'cancelled' AND NEW.cancelled_at IS OLD.cancelled_at
BEGIN
    UPDATE appointments SET cancelled_at = CASE
        WHEN NEW.status_changed_at IS NOT OLD.status_changed_at THEN NEW.status_changed_at END
     WHERE id = NEW.id;
END;
-- An import may bring a cancelled booking back: it is no longer cancelled.
CREATE TRIGGER appointments_uncancelled AFTER UPDATE OF status ON appointments
WHEN OLD.status = 'cancelled' AND NEW.status <> 'cancelled'
BEGIN
    UPDATE appointments SET cancelled_at = NULL WHERE id = NEW.id;
END;
CREATE TRIGGER appointments_cancelled_on_insert AFTER INSERT ON appointments
WHEN NEW.status = 'cancelled' AND NEW.cancelled_at IS NULL
BEGIN
    UPDATE appointments SET cancelled_at = NEW.status_changed_at WHERE id = NEW.id;
END;
-- A "confirm" reply filed against an appointment before it starts confirms it, also when the
-- status could not change (the demo's history, an appointment already marked).
CREATE TRIGGER replies_confirm AFTER INSERT ON replies
WHEN NEW.classification = 'confirm' AND NEW.appointment_id IS NOT NULL
BEGIN
    UPDATE appointments SET confirmed_at = (SELECT created_at FROM messages WHERE id = NEW.message_id)
     WHERE id = NEW.appointment_id AND confirmed_at IS NULL
       AND start_at > (SELECT created_at FROM messages WHERE id = NEW.message_id);
END;
CREATE TRIGGER replies_confirm_reclassified AFTER UPDATE OF classification, appointment_id ON replies
WHEN NEW.classification = 'confirm' AND NEW.appointment_id IS NOT NULL
BEGIN
    UPDATE appointments SET confirmed_at = (SELECT created_at FROM messages WHERE id = NEW.message_id)
     WHERE id = NEW.appointment_id AND confirmed_at IS NULL
       AND start_at > (SELECT created_at FROM messages WHERE id = NEW.message_id);
END;
CREATE TRIGGER messages_delivered_at AFTER UPDATE OF status ON messages
WHEN NEW.status = 'delivered' AND OLD.status <> 'delivered' AND NEW.delivered_at IS NULL
BEGIN
    UPDATE messages SET delivered_at = NEW.updated_at WHERE id = NEW.id;
END;

-- Statistics read every appointment of a period: the index answers from itself, without a
-- lookup into the table per row (12 weeks of a 2M-appointment group is ~150k rows). It
-- replaces the plain start-time index under the same name (the day view uses it as before).
DROP INDEX appointments_by_start;
CREATE INDEX appointments_by_start ON appointments
    (start_at, status, clinician_id, type_id, patient_id, booked_at, cancelled_at, confirmed_at);
-- Statistics read a period's reminder rows, exports a period's messages, by creation time;
-- covering for the statistics' columns.
CREATE INDEX messages_by_created ON messages
    (created_at, direction, status, idempotency_key);
-- Opt-outs per period.
CREATE INDEX consent_by_recorded ON consent_events (recorded_at, kind);
"#;

/// 9: appointments a closure or schedule-change notice took away (SPEC §5.6): the desk must
/// rebook them. One row per appointment and start (a second notice for the same visit marks
/// nothing new); a moved appointment no longer matches its old start, so the mark lapses by
/// itself. Kept like the audit: the history of who was told what.
const M009_REBOOKINGS: &str = r#"
CREATE TABLE rebookings (
    id             INTEGER PRIMARY KEY,
    appointment_id INTEGER NOT NULL REFERENCES appointments (id),
    start_at       INTEGER NOT NULL,       -- the start the notice took away
    key            TEXT NOT NULL,          -- the notice's idempotency key
    marked_by      TEXT NOT NULL,
    marked_at      INTEGER NOT NULL,
    UNIQUE (appointment_id, start_at)
);
"#;

/// 10 (issue 9 item 7): what `remind` decided about a due reminder that did not go out —
/// skipped, waiting (quiet hours, caps) or blocked by the PHI gate — as it was decided, so
/// the desk reads the reason that held then, not one recomputed now. One row per reminder
/// (appointment, the start it was about, offset), updated only when the decision changes.
/// Never the body or the matched words: a block keeps the gate's category and its words.
const M010_REMINDER_DECISIONS: &str = r#"
CREATE TABLE reminder_decisions (
    id                  INTEGER PRIMARY KEY,
    appointment_id      INTEGER NOT NULL REFERENCES appointments (id),
    start_at            INTEGER NOT NULL,  -- the start the reminder was about
    offset_hours        INTEGER NOT NULL CHECK (offset_hours > 0),
    outcome             TEXT NOT NULL CHECK (outcome IN ('skipped', 'waiting', 'blocked')),
    reason              TEXT,              -- JSON of the skip reason; NULL for a block
    until_at            INTEGER,           -- waiting: when it goes
    finding_category    TEXT,              -- blocked: the gate's category
    finding_explanation TEXT,              -- blocked: the category in words
    decided_by          TEXT NOT NULL,
    decided_at          INTEGER NOT NULL,
    UNIQUE (appointment_id, start_at, offset_hours)
);
"#;

/// 11 (issue 14): the planner's, the day sheet's and the outbox's partial indexes
/// (`m011_planner`).
const M011_PLANNER_INDEXES: &str = m011_planner::SQL;
/// 12 (issue 14): the patient search's folded names, trigram index and triggers, with a Rust
/// back-fill (`m012_search`).
const M012_PATIENT_SEARCH: &str = m012_search::SQL;

/// 13 (issue 14): the statistics' reminder rows in an index of their own (`m013_statistics`).
const M013_REMINDER_ROWS: &str = m013_statistics::SQL;

/// 14 (issue 7): `messages_unfinished`, which nothing reads since migration 11, dropped
/// (`m014_unused`).
const M014_UNUSED_INDEX: &str = m014_unused::SQL;

/// 15 (issue 14): each reminder row listed under every visit its key names, kept by triggers;
/// `messages_reminder_keys` dropped (`m015_reminder_parts`).
const M015_REMINDER_PARTS: &str = m015_reminder_parts::SQL;

/// 16 (issue 14): the caps' recent rows and the last outbound text from one index range
/// (`m016_outbound_history`).
const M016_OUTBOUND_HISTORY: &str = m016_outbound_history::SQL;

/// Migration 15's SQL, whose back-fill and trigger name the reminder kinds (checked against the
/// domain's).
#[cfg(test)]
pub(crate) const REMINDER_PARTS_SQL: &str = M015_REMINDER_PARTS;

/// 17 (issue 14, several desks): the change log a console reads to keep a loaded day across
/// other desks' commits that do not touch it (`m017_change_log`).
const M017_CHANGE_LOG: &str = m017_change_log::SQL;

/// 18 (issue 14): `messages_by_patient` dropped; a patient's texts are read through the two
/// by-direction indexes (`m018_patient_texts`).
const M018_PATIENT_TEXTS: &str = m018_patient_texts::SQL;

/// 19 (issue 14): each patient's last consent event on the patient's row, kept by a trigger,
/// for the day sheet (`m019_consent_last_word`).
const M019_CONSENT_LAST_WORD: &str = m019_consent_last_word::SQL;

/// 20 (issue 14): each reply carries its text's patient and time, unfiled replies have an
/// index, and the start-time index covers the day sheet, so a day's sheet reads only pages of
/// that day (`m020_day_sheet_reads`).
const M020_DAY_SHEET_READS: &str = m020_day_sheet_reads::SQL;

/// Every migration in order; `user_version` = how many have been applied. Each one here has
/// shipped: its text is pinned by checksum in the tests (`shipped_migrations_never_change`),
/// so a change to it fails the suite. Add a new one at the end, with its pin.
const SHIPPED: [&str; 20] = [
    M001_PRACTICE,
    M002_MESSAGING,
    M003_STAFF_AUDIT,
    M004_OUTBOUND_PROVIDER_IDS,
    M005_EXTERNAL_IDS,
    M006_STAFF_SIGN_IN,
    M007_DEADLINES_CALLBACKS,
    M008_STATISTICS,
    M009_REBOOKINGS,
    M010_REMINDER_DECISIONS,
    M011_PLANNER_INDEXES,
    M012_PATIENT_SEARCH,
    M013_REMINDER_ROWS,
    M014_UNUSED_INDEX,
    M015_REMINDER_PARTS,
    M016_OUTBOUND_HISTORY,
    M017_CHANGE_LOG,
    M018_PATIENT_TEXTS,
    M019_CONSENT_LAST_WORD,
    M020_DAY_SHEET_READS,
];

/// Where in [`SHIPPED`] the one migration with a Rust hook is (12: it folds existing names).
const HOOKED: usize = 11;

/// All migrations in order, ready to run.
pub fn migrations() -> Migrations<'static> {
    Migrations::new(
        SHIPPED
            .iter()
            .enumerate()
            .map(|(i, sql)| match i {
                HOOKED => M::up_with_hook(sql, m012_search::fill),
                _ => M::up(sql),
            })
            .collect(),
    )
}

/// The schema version a fully migrated database has.
pub const LATEST: usize = SHIPPED.len();

#[cfg(test)]
mod tests;
