//! Reminder decisions (issue 9 item 7): what `remind` decided about a due reminder that did
//! not go out, one row per reminder (appointment, start, offset), kept as decided. Holds no
//! body and no patient data beyond the appointment id. Writes take a `Tx`; the caller audits.

use crate::store::{Db, Write};
use rusqlite::{OptionalExtension, params};

use super::{Result, StoreError, from_ts, ts};
use crate::domain::ids::AppointmentId;
use crate::domain::reminder::{Decided, GateFinding, ReminderDecision, SkipReason};

/// What recording a decision did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The same decision was already recorded: nothing written (a rerun).
    Unchanged,
    /// The first decision about this reminder.
    Added,
    /// The decision changed; this was the one recorded before.
    Changed { previous: Decided },
    /// The one recorded before could not be read (edited outside frontdesk): replaced.
    ReplacedUnreadable,
}

/// The columns a decision is kept in: (outcome, reason JSON, until, category, explanation).
/// The columns after the outcome, as read.
type Rest = (Option<String>, Option<i64>, Option<String>, Option<String>);

type Columns = (
    &'static str,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

fn columns(d: &Decided) -> Columns {
    let reason = |r: &SkipReason| serde_json::to_string(r).ok();
    match d {
        Decided::Skipped { reason: r } => ("skipped", reason(r), None, None, None),
        Decided::Waiting { until, reason: r } => {
            ("waiting", reason(r), Some(ts(*until)), None, None)
        }
        Decided::Blocked { finding } => (
            "blocked",
            None,
            None,
            finding.as_ref().map(|f| f.category.clone()),
            finding.as_ref().map(|f| f.explanation.clone()),
        ),
    }
}

/// A decision read back: its outcome and the other columns of [`Columns`].
fn decided(outcome: &str, rest: Rest) -> Result<Decided> {
    let (reason, until, category, explanation) = rest;
    let reason = || -> Result<SkipReason> {
        let text = reason.clone().unwrap_or_default();
        serde_json::from_str(&text).map_err(|_| StoreError::Corrupt {
            what: "reminder_decisions.reason",
            value: text,
        })
    };
    Ok(match (outcome, until) {
        ("skipped", _) => Decided::Skipped { reason: reason()? },
        ("waiting", Some(until)) => Decided::Waiting {
            until: from_ts(until)?,
            reason: reason()?,
        },
        ("blocked", _) => Decided::Blocked {
            finding: category.map(|category| GateFinding {
                category,
                explanation: explanation.unwrap_or_default(),
            }),
        },
        (other, _) => {
            return Err(StoreError::Corrupt {
                what: "reminder_decisions.outcome",
                value: other.to_string(),
            });
        }
    })
}

/// Record `d`, or change the recorded one when what was decided differs. A rerun deciding
/// the same again writes nothing (the first time it was decided stays).
pub fn record(conn: &impl Write, d: &ReminderDecision, actor: &str) -> Result<Change> {
    let conn = super::sql(conn);
    let previous = conn
        .prepare_cached(
            "SELECT outcome, reason, until_at, finding_category, finding_explanation
               FROM reminder_decisions
              WHERE appointment_id = ?1 AND start_at = ?2 AND offset_hours = ?3",
        )?
        .query_row(
            params![d.appointment_id.0, ts(d.start), d.offset_hours],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            },
        )
        .optional()?;
    let (outcome, reason, until, category, explanation) = columns(&d.decided);
    let change = match previous {
        None => Change::Added,
        Some((o, r, u, c, e)) => {
            let old: Rest = (r, u, c, e);
            let new: Rest = (reason.clone(), until, category.clone(), explanation.clone());
            if o == outcome && old == new {
                return Ok(Change::Unchanged);
            }
            match decided(&o, old) {
                Ok(previous) => Change::Changed { previous },
                Err(_) => Change::ReplacedUnreadable,
            }
        }
    };
    // One row per reminder: the decision replaces the one before (the audit keeps that one).
    conn.prepare_cached(
        "INSERT INTO reminder_decisions (appointment_id, start_at, offset_hours, outcome, reason,
                 until_at, finding_category, finding_explanation, decided_by, decided_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (appointment_id, start_at, offset_hours) DO UPDATE SET
             outcome = excluded.outcome, reason = excluded.reason, until_at = excluded.until_at,
             finding_category = excluded.finding_category,
             finding_explanation = excluded.finding_explanation,
             decided_by = excluded.decided_by, decided_at = excluded.decided_at",
    )?
    .execute(params![
        d.appointment_id.0,
        ts(d.start),
        d.offset_hours,
        outcome,
        reason,
        until,
        category,
        explanation,
        actor,
        ts(d.decided_at),
    ])?;
    Ok(change)
}

/// Every recorded decision about these appointments (any start: the caller matches the
/// start the appointment has now).
pub fn for_appointments(conn: &impl Db, ids: &[AppointmentId]) -> Result<Vec<ReminderDecision>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT start_at, offset_hours, outcome, reason, until_at, finding_category,
                finding_explanation, decided_at
           FROM reminder_decisions WHERE appointment_id = ?1",
    )?;
    let mut out = Vec::new();
    for &id in ids {
        let rows = stmt.query_map([id.0], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })?;
        for row in rows {
            let read = row.map_err(StoreError::from).and_then(
                |(start, offset, outcome, reason, until, category, explanation, at)| {
                    Ok(ReminderDecision {
                        appointment_id: id,
                        start: from_ts(start)?,
                        offset_hours: offset,
                        decided: decided(&outcome, (reason, until, category, explanation))?,
                        decided_at: from_ts(at)?,
                    })
                },
            );
            // One row frontdesk cannot read (edited by hand, a newer version's value) must not
            // keep the day from showing: that reminder shows its forecast instead.
            match read {
                Ok(d) => out.push(d),
                Err(e) => match unreadable(&e) {
                    Some(what) => tracing::warn!(
                        appointment = id.0,
                        what,
                        "a recorded reminder decision cannot be read; its forecast is shown"
                    ),
                    None => return Err(e),
                },
            }
        }
    }
    Ok(out)
}

/// What of a row could not be read, when the row (not the database) is at fault; never its
/// value: logs carry no message content.
fn unreadable(e: &StoreError) -> Option<&'static str> {
    match e {
        StoreError::Corrupt { what, .. } => Some(what),
        StoreError::Sqlite(e) if super::is_conversion(e) => Some("a column of the wrong type"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::appointments::tests::{booking, fixture, t};

    /// A row that cannot be read is left out; the others of the same and other visits stay.
    #[test]
    fn a_decision_that_cannot_be_read_does_not_hide_the_others() {
        let (store, p, c, ty) = fixture();
        let conn = store.test_conn();
        let a = crate::store::appointments::insert(conn, &booking(p, c, ty, t(15, 0))).unwrap();
        let b = crate::store::appointments::insert(conn, &booking(p, c, ty, t(16, 0))).unwrap();
        let decision = |id, offset_hours| ReminderDecision {
            appointment_id: id,
            start: t(15, 0),
            offset_hours,
            decided: Decided::Skipped {
                reason: SkipReason::FrequencyCap,
            },
            decided_at: t(9, 0),
        };
        for d in [decision(a, 48), decision(a, 24), decision(b, 24)] {
            record(conn, &d, "remind").unwrap();
        }
        for (column, bad) in [
            ("reason", "''"),
            ("outcome", "'waiting'"),
            ("decided_at", "'noon'"),
        ] {
            conn.execute(
                &format!(
                    "UPDATE reminder_decisions SET {column} = {bad}
                      WHERE appointment_id = ?1 AND offset_hours = 48"
                ),
                [a.0],
            )
            .unwrap();
            let read = for_appointments(conn, &[a, b]).unwrap();
            assert_eq!(read, vec![decision(a, 24), decision(b, 24)], "{column}");
            // `remind` deciding again replaces it, saying it could not read the old one.
            let again = record(conn, &decision(a, 48), "remind").unwrap();
            let expected = if column == "decided_at" {
                Change::Unchanged // the time is not part of what was decided
            } else {
                Change::ReplacedUnreadable
            };
            assert_eq!(again, expected, "{column}");
            if column == "decided_at" {
                conn.execute(
                    "UPDATE reminder_decisions SET decided_at = ?2
                      WHERE appointment_id = ?1 AND offset_hours = 48",
                    [a.0, t(9, 0).timestamp()],
                )
                .unwrap();
            }
            assert_eq!(for_appointments(conn, &[a]).unwrap().len(), 2, "{column}");
        }
    }
}
