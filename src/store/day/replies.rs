//! The latest reply each row of a day sheet shows.
//!
//! A row shows the latest classified reply about its visit: one filed against it or against
//! the patient's other booking that day (a same-day double gets one text, so one reply
//! answers both), or an unfiled one sent since the visit was booked — never one sent after
//! the day. Both halves are read for the whole day at once, from the day's visits through
//! `replies_by_appointment` and `replies_unfiled_by_patient`, and the latest is picked here: a
//! correlated subquery per visit (a sorter opened and closed 1,441 times) was two thirds of
//! the sheet's time at a clinic group's busiest day. Each reply carries its text's patient and
//! time (migration 20), so neither half reads a page of `messages`: on a day not read since
//! the console opened, those pages were most of what had to be decrypted.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::Scope;
use crate::store::Result;

/// Replies filed against a visit of the day: the patient they answer for, class, sent at, id.
pub(crate) const FILED: [&str; 2] = day_and_patient!(
    "SELECT d.patient_id, r.classification, r.received_at, r.message_id
       FROM appointments d CROSS JOIN replies r",
    "d",
    " AND r.appointment_id = d.id AND r.patient_id = d.patient_id AND r.received_at <= ?2"
);

/// Unfiled replies since each visit was booked, up to the day's end: the visit, class, sent
/// at, id. Only the patient's unfiled replies from the booking on are walked
/// (`replies_unfiled_by_patient`, which covers the query), never their whole history.
pub(crate) const UNFILED: [&str; 2] = day_and_patient!(
    "SELECT a.id, r.classification, r.received_at, r.message_id
       FROM appointments a CROSS JOIN replies r",
    "a",
    " AND r.patient_id = a.patient_id AND r.appointment_id IS NULL
      AND r.received_at >= a.booked_at AND r.received_at <= ?2"
);

/// The unfiled replies of the patients with ids in `(?1, ?2]`, in patient order
/// ([`super::patient_lines_after`]): through `replies_unfiled_by_patient`, which covers it and
/// is in that order.
pub(crate) const UNFILED_BETWEEN: &str =
    "SELECT r.patient_id, r.classification, r.received_at, r.message_id
   FROM replies r WHERE r.appointment_id IS NULL AND r.patient_id > ?1 AND r.patient_id <= ?2
  ORDER BY r.patient_id";

/// One patient's unfiled replies (`?1`).
pub(crate) const UNFILED_OF: &str =
    "SELECT r.patient_id, r.classification, r.received_at, r.message_id
   FROM replies r WHERE r.appointment_id IS NULL AND r.patient_id = ?1";

/// A classified reply: its class as stored, and when it was sent (ties broken by id).
#[derive(Debug)]
struct Reply {
    class: String,
    at: (i64, i64),
}

/// The latest filed reply per patient and unfiled reply per visit, of the scopes read.
#[derive(Debug, Default)]
pub(super) struct Latest {
    filed: HashMap<i64, Reply>,
    unfiled: HashMap<i64, Reply>,
}

impl Latest {
    /// Take in the replies about `scope`'s visits.
    pub(super) fn read(&mut self, conn: &rusqlite::Connection, scope: Scope) -> Result<()> {
        self.read_filed(conn, scope)?;
        for (visit, reply) in scope.query(conn, &UNFILED, read_reply)? {
            keep_later(&mut self.unfiled, visit, reply);
        }
        Ok(())
    }

    /// Take in the replies filed against `scope`'s visits (the unfiled ones come from
    /// [`Latest::unfiled`]).
    pub(super) fn read_filed(&mut self, conn: &rusqlite::Connection, scope: Scope) -> Result<()> {
        for (patient, reply) in scope.query(conn, &FILED, read_reply)? {
            keep_later(&mut self.filed, patient, reply);
        }
        Ok(())
    }

    /// Take in an unfiled reply about `visit` that the caller found otherwise (a patient's
    /// kept line): its class as stored, when it was sent, its id.
    pub(super) fn unfiled(&mut self, visit: i64, class: &str, at: (i64, i64)) {
        let reply = Reply {
            class: class.to_string(),
            at,
        };
        keep_later(&mut self.unfiled, visit, reply);
    }

    /// The class of the latest reply about `visit`, `patient`'s (as stored: the caller
    /// parses it, so an unknown class hides no older reply, as the old subquery did not).
    pub(super) fn of(&self, visit: i64, patient: i64) -> Option<&str> {
        let filed = self.filed.get(&patient);
        let unfiled = self.unfiled.get(&visit);
        let latest = match (filed, unfiled) {
            (Some(f), Some(u)) => Some(if u.at > f.at { u } else { f }),
            (f, u) => f.or(u),
        };
        latest.map(|r| r.class.as_str())
    }
}

fn read_reply(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Reply)> {
    Ok((
        r.get(0)?,
        Reply {
            class: r.get(1)?,
            at: (r.get(2)?, r.get(3)?),
        },
    ))
}

/// Keep `reply` under `key` if it is later than the one kept.
fn keep_later(kept: &mut HashMap<i64, Reply>, key: i64, reply: Reply) {
    match kept.entry(key) {
        Entry::Occupied(mut e) if e.get().at < reply.at => {
            e.insert(reply);
        }
        Entry::Occupied(_) => {}
        Entry::Vacant(e) => {
            e.insert(reply);
        }
    }
}
