//! Migration 17 (issue 14, several desks): the change log — one appended row per write that
//! can change what a day sheet or its reminder cells show, so a console that kept a day
//! loaded can tell, after another connection committed, whether that day is still true.
//! Owns only its SQL; imports nothing.
//!
//! A row says *whom or when* a write concerned: a patient, an appointment, a start time (UTC
//! seconds — the practice's time zone is the reader's, not the database's), any of them. A row
//! with all three empty concerns every day: clinicians, appointment types, templates and
//! settings change what every sheet shows or how every cell is planned, and a message or reply
//! that names no patient is not worth reasoning about. The reader
//! (`store::changes::log_since`, `workflow::day::DaysAhead`) drops a kept day when a row after
//! its load names one of its patients or appointments or falls within its bounds.
//!
//! Cheap by design: every trigger appends to a rowid table with no index but its key (the
//! next rowid is the last + 1: no search), reads nothing but the row being written (the reply
//! triggers read their message's patient by key: replies are rare) and no foreign keys. New
//! patients write nothing: none has a visit on any day yet, and their visits are logged
//! themselves; so do new clinicians and appointment types. Staff, audit, external ids and the search index write nothing: no day reads
//! them. Sync's poll cursors (`sync.cursor.*` settings) write nothing either: they move at
//! every poll and no day reads them.
//!
//! Bounded by itself: each 1,024th row deletes the rows 16,384 or more behind it, so the log
//! holds at most ~17,400 rows (a few hundred KB). A console whose kept day is older than what
//! is left sees the gap (the first row is past its mark) and loads the day again.

pub const SQL: &str = r#"
CREATE TABLE change_log (
    seq            INTEGER PRIMARY KEY,
    patient_id     INTEGER,
    appointment_id INTEGER,
    start_at       INTEGER
);

CREATE TRIGGER change_log_pruned AFTER INSERT ON change_log
WHEN NEW.seq % 1024 = 0
BEGIN DELETE FROM change_log WHERE seq <= NEW.seq - 16384; END;

CREATE TRIGGER appointments_logged_insert AFTER INSERT ON appointments
BEGIN
    INSERT INTO change_log (patient_id, appointment_id, start_at)
    VALUES (NEW.patient_id, NEW.id, NEW.start_at);
END;
CREATE TRIGGER appointments_logged_update AFTER UPDATE ON appointments
BEGIN
    INSERT INTO change_log (patient_id, appointment_id, start_at)
    VALUES (NEW.patient_id, NEW.id, NEW.start_at);
    -- Moved out of a day, or to another patient: the day and the patient it left.
    INSERT INTO change_log (patient_id, appointment_id, start_at)
    SELECT OLD.patient_id, OLD.id, OLD.start_at
     WHERE OLD.start_at IS NOT NEW.start_at OR OLD.patient_id IS NOT NEW.patient_id;
END;
CREATE TRIGGER appointments_logged_delete AFTER DELETE ON appointments
BEGIN
    INSERT INTO change_log (patient_id, appointment_id, start_at)
    VALUES (OLD.patient_id, OLD.id, OLD.start_at);
END;

CREATE TRIGGER patients_logged_update AFTER UPDATE ON patients
BEGIN
    INSERT INTO change_log (patient_id) VALUES (NEW.id);
    INSERT INTO change_log (patient_id) SELECT OLD.id WHERE OLD.id IS NOT NEW.id;
END;
CREATE TRIGGER patients_logged_delete AFTER DELETE ON patients
BEGIN
    INSERT INTO change_log (patient_id) VALUES (OLD.id);
END;

CREATE TRIGGER consent_logged AFTER INSERT ON consent_events
BEGIN
    INSERT INTO change_log (patient_id) VALUES (NEW.patient_id);
END;

CREATE TRIGGER messages_logged_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO change_log (patient_id, appointment_id)
    VALUES (NEW.patient_id, NEW.appointment_id);
END;
CREATE TRIGGER messages_logged_update AFTER UPDATE ON messages
BEGIN
    INSERT INTO change_log (patient_id, appointment_id)
    VALUES (NEW.patient_id, NEW.appointment_id);
    INSERT INTO change_log (patient_id, appointment_id)
    SELECT OLD.patient_id, OLD.appointment_id
     WHERE OLD.patient_id IS NOT NEW.patient_id OR OLD.appointment_id IS NOT NEW.appointment_id;
END;

CREATE TRIGGER replies_logged_insert AFTER INSERT ON replies
BEGIN
    INSERT INTO change_log (patient_id, appointment_id)
    VALUES ((SELECT patient_id FROM messages WHERE id = NEW.message_id), NEW.appointment_id);
END;
CREATE TRIGGER replies_logged_update AFTER UPDATE ON replies
BEGIN
    INSERT INTO change_log (patient_id, appointment_id)
    VALUES ((SELECT patient_id FROM messages WHERE id = NEW.message_id), NEW.appointment_id);
    INSERT INTO change_log (patient_id, appointment_id)
    SELECT (SELECT patient_id FROM messages WHERE id = OLD.message_id), OLD.appointment_id
     WHERE OLD.appointment_id IS NOT NEW.appointment_id OR OLD.message_id IS NOT NEW.message_id;
END;

CREATE TRIGGER rebookings_logged AFTER INSERT ON rebookings
BEGIN
    INSERT INTO change_log (appointment_id, start_at) VALUES (NEW.appointment_id, NEW.start_at);
END;

CREATE TRIGGER reminder_decisions_logged_insert AFTER INSERT ON reminder_decisions
BEGIN
    INSERT INTO change_log (appointment_id, start_at) VALUES (NEW.appointment_id, NEW.start_at);
END;
CREATE TRIGGER reminder_decisions_logged_update AFTER UPDATE ON reminder_decisions
BEGIN
    INSERT INTO change_log (appointment_id, start_at) VALUES (NEW.appointment_id, NEW.start_at);
    INSERT INTO change_log (appointment_id, start_at)
    SELECT OLD.appointment_id, OLD.start_at
     WHERE OLD.appointment_id IS NOT NEW.appointment_id OR OLD.start_at IS NOT NEW.start_at;
END;

CREATE TRIGGER callbacks_logged_insert AFTER INSERT ON callbacks
BEGIN
    INSERT INTO change_log (patient_id, appointment_id) VALUES (NEW.patient_id, NEW.appointment_id);
END;
CREATE TRIGGER callbacks_logged_update AFTER UPDATE ON callbacks
BEGIN
    INSERT INTO change_log (patient_id, appointment_id) VALUES (NEW.patient_id, NEW.appointment_id);
END;

-- Every day: what every sheet shows (names, labels) or how every cell is planned. A new
-- clinician or type changes no day (no visit names it yet; the visits that will are logged).
CREATE TRIGGER clinicians_logged_update AFTER UPDATE ON clinicians
BEGIN INSERT INTO change_log (patient_id) VALUES (NULL); END;
CREATE TRIGGER clinicians_logged_delete AFTER DELETE ON clinicians
BEGIN INSERT INTO change_log (patient_id) VALUES (NULL); END;
CREATE TRIGGER appointment_types_logged_update AFTER UPDATE ON appointment_types
BEGIN INSERT INTO change_log (patient_id) VALUES (NULL); END;
CREATE TRIGGER appointment_types_logged_delete AFTER DELETE ON appointment_types
BEGIN INSERT INTO change_log (patient_id) VALUES (NULL); END;
CREATE TRIGGER templates_logged_insert AFTER INSERT ON templates
BEGIN INSERT INTO change_log (patient_id) VALUES (NULL); END;
CREATE TRIGGER templates_logged_update AFTER UPDATE ON templates
BEGIN INSERT INTO change_log (patient_id) VALUES (NULL); END;
CREATE TRIGGER templates_logged_delete AFTER DELETE ON templates
BEGIN INSERT INTO change_log (patient_id) VALUES (NULL); END;
CREATE TRIGGER settings_logged_insert AFTER INSERT ON settings
WHEN NEW.key NOT LIKE 'sync.cursor.%'
BEGIN INSERT INTO change_log (patient_id) VALUES (NULL); END;
CREATE TRIGGER settings_logged_update AFTER UPDATE ON settings
WHEN NEW.key NOT LIKE 'sync.cursor.%' OR OLD.key NOT LIKE 'sync.cursor.%'
BEGIN INSERT INTO change_log (patient_id) VALUES (NULL); END;
CREATE TRIGGER settings_logged_delete AFTER DELETE ON settings
WHEN OLD.key NOT LIKE 'sync.cursor.%'
BEGIN INSERT INTO change_log (patient_id) VALUES (NULL); END;
"#;
