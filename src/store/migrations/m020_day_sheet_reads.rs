//! Migration 20 (issue 14): what the day sheet reads of a day's visits and their replies is
//! in indexes and rows that belong to the day, not spread over the practice's whole history.
//! Owns only its SQL; imports nothing.
//!
//! On a day whose pages were not in the connection's cache (a day not read since the console
//! opened), most of the time went on pages read and decrypted for one row each:
//!
//! - **Replies.** The sheet shows each visit's latest reply. Read through `messages` it cost
//!   one random page of a table of five million texts per filed reply, and one descent into
//!   `messages_in_by_patient` then one into `replies` per inbound text since each booking.
//!   Each reply now carries its text's patient and time of receipt. Replies are written in
//!   the order texts arrive, so a day's replies sit on a few pages of `replies` (about 110
//!   rows a page), and unfiled ones — a tenth of all — fit a small index that stays cached.
//!   The sheet reads no `messages` page.
//! - **Visits.** `appointments_by_start` had every column the sheet reads but duration and the
//!   callback flag, so each visit was also a lookup into the table. It now has them: a day's
//!   visits are the index's consecutive entries and nothing else.
//!
//! Figures: docs/BENCHMARKS.md, "Eighth session".
//!
//! The reply copies cannot drift: an inbound text's patient and time are set when it is
//! received, and if either ever changes the second trigger follows. A writer that leaves them
//! out gets them from the first; one that gives them (the group generator's bulk load, which
//! has them at hand) is checked by the tests against `messages`.

pub const SQL: &str = r#"
ALTER TABLE replies ADD COLUMN patient_id INTEGER;
ALTER TABLE replies ADD COLUMN received_at INTEGER;

UPDATE replies
   SET (patient_id, received_at) =
       (SELECT m.patient_id, m.created_at FROM messages m WHERE m.id = replies.message_id);

-- appointment_id is always NULL here; listed so the index alone answers the day sheet (SQLite
-- reads a column the partial index's WHERE names from the table unless the index has it).
CREATE INDEX replies_unfiled_by_patient
    ON replies (patient_id, received_at, classification, appointment_id)
 WHERE appointment_id IS NULL;

CREATE TRIGGER reply_takes_its_text AFTER INSERT ON replies
 WHEN NEW.received_at IS NULL
BEGIN
    UPDATE replies
       SET (patient_id, received_at) =
           (SELECT m.patient_id, m.created_at FROM messages m WHERE m.id = NEW.message_id)
     WHERE message_id = NEW.message_id;
END;

CREATE TRIGGER reply_follows_its_text AFTER UPDATE OF patient_id, created_at ON messages
BEGIN
    UPDATE replies SET patient_id = NEW.patient_id, received_at = NEW.created_at
     WHERE message_id = NEW.id;
END;

-- Migration 8's covering index, with the two columns the day sheet also reads.
DROP INDEX appointments_by_start;
CREATE INDEX appointments_by_start ON appointments
    (start_at, status, clinician_id, type_id, patient_id, booked_at, cancelled_at, confirmed_at,
     duration_minutes, callback_requested);
"#;
