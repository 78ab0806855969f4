//! Migration 15 (issue 14): the planner finds a day's reminder rows by the visits it plans,
//! not by walking five years of each patient's reminder keys. Owns only its SQL; imports
//! nothing.
//!
//! `reminder_parts` holds, for every reminder row (48 h, 24 h, same-day double; outbound,
//! with a key), each appointment id its key names: the digits right behind a `:` or a `+` and
//! before the next `@` — every place `domain::reminder::holds_part` can find a visit's
//! `{id}@{start}`, so a row that may speak for a visit is always listed under that visit's id
//! (`store::messages::reminder_keys` then reads the row itself and keeps it only when its key
//! holds the visit at its current start, exactly as before). A same-day double's text names
//! two visits but carries one `appointment_id`: it is listed under both.
//!
//! Who writes it: the back-fill below for the rows already there; the store's two insert paths
//! for new rows (`store::messages::parts`, the same rule in Rust — an insert trigger made every
//! text's insert need a statement journal, ~3× dearer); and the trigger below when a row's
//! key, kind or direction is changed afterwards (nothing in frontdesk does; a hand-written
//! statement might). In SQL the key is cut with `json_quote`, whose escapes hold no `:` or
//! `+`, so replacing each `:` and `+` with `","` gives a JSON array of the pieces between them,
//! always valid. An extra entry (a key later changed, an id with a leading zero) only costs a
//! look-up that the key check then drops. Messages are never deleted (migration 2's trigger),
//! so an entry never points at a reused id. The trigger never conflicts (`DISTINCT`, `NOT
//! EXISTS`) rather than `INSERT OR IGNORE`: a statement's own `OR FAIL` overrides a
//! trigger's conflict clause, and a key naming one visit at two starts then failed the whole
//! statement (found by the tests).
//!
//! `messages_reminder_keys` (migration 11), read by nothing else, is dropped after the
//! back-fill that walks it: one index fewer to keep on every reminder text written.

pub const SQL: &str = r#"
CREATE TABLE reminder_parts (
    appointment_id INTEGER NOT NULL,
    message_id     INTEGER NOT NULL,
    PRIMARY KEY (appointment_id, message_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO reminder_parts (appointment_id, message_id)
SELECT CAST(substr(s.value, 1, instr(s.value, '@') - 1) AS INTEGER), m.id
  FROM messages m,
       json_each('[' || replace(replace(json_quote(m.idempotency_key), ':', '","'), '+', '","') || ']') s
 WHERE m.direction = 'out' AND m.kind IN ('reminder-48h', 'reminder-24h', 'same-day-double')
   AND m.idempotency_key IS NOT NULL
   AND s.key > 0 AND instr(s.value, '@') > 1
   AND ltrim(substr(s.value, 1, instr(s.value, '@') - 1), '-0123456789') = ''
 ORDER BY 1, 2;

CREATE TRIGGER messages_reminder_parts_rekeyed AFTER UPDATE OF idempotency_key, kind, direction
ON messages
WHEN NEW.direction = 'out' AND NEW.kind IN ('reminder-48h', 'reminder-24h', 'same-day-double')
     AND NEW.idempotency_key IS NOT NULL
BEGIN
    INSERT INTO reminder_parts (appointment_id, message_id)
    SELECT DISTINCT v.id, NEW.id
      FROM (SELECT CAST(substr(s.value, 1, instr(s.value, '@') - 1) AS INTEGER) AS id
              FROM json_each('[' || replace(replace(json_quote(NEW.idempotency_key), ':', '","'), '+', '","') || ']') s
             WHERE s.key > 0 AND instr(s.value, '@') > 1
               AND ltrim(substr(s.value, 1, instr(s.value, '@') - 1), '-0123456789') = '') v
     WHERE NOT EXISTS (SELECT 1 FROM reminder_parts p
                        WHERE p.appointment_id = v.id AND p.message_id = NEW.id);
END;

DROP INDEX messages_reminder_keys;
"#;
