//! The day sheet query: one day's appointments joined with patient, clinician, type,
//! consent and latest reply, in one pass (the day view must switch days in under 10 ms).

use crate::store::Db;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::params;

use super::{Result, StoreError, consent, from_ts, ts};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::ConsentFlag;
use crate::domain::day::{DayRow, DaySheet, PatientHit};
use crate::domain::ids::{AppointmentId, PatientId};
use crate::domain::reply::ReplyKind;

/// The UTC bounds of a local calendar day (DST-safe: 23 or 25 hours long when clocks change).
pub fn day_bounds(date: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start_of = |d: NaiveDate| {
        let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        // A zone may skip midnight; take the earliest valid local time at or after it.
        tz.from_local_datetime(&midnight)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
    };
    (start_of(date), start_of(date.succ_opt().unwrap_or(date)))
}

/// The day sheet's columns and joins, without its `WHERE`: [`SHEET`] reads a whole day,
/// [`SHEET_OF_PATIENT`] one patient's visits that day (the same columns, so a kept day
/// patched patient by patient reads exactly what a whole load would).
macro_rules! sheet_select {
    () => {
        "SELECT a.id, a.patient_id, a.start_at, a.duration_minutes, a.status, a.callback_requested,
                p.last_name || ', ' || p.first_name, p.mobile IS NOT NULL, p.portal_active,
                p.number_problem_code IS NOT NULL, c.display_name, t.sms_label,
                -- The latest reply about this appointment: one filed against it or against the
                -- patient's other booking that day (a same-day double gets one text, so one
                -- reply answers both), or an unattached one since it was booked. Two bounded
                -- reads: the first from the patient's bookings that day (CROSS JOIN keeps that
                -- order; left to itself SQLite walks every reply the patient ever sent, ~10 ms
                -- of a group's day), the second from the texts since the booking.
                (SELECT classification FROM (
                   SELECT r.classification, m.created_at, m.id
                     FROM appointments d CROSS JOIN replies r CROSS JOIN messages m
                    WHERE r.appointment_id = d.id AND m.id = r.message_id
                      AND d.patient_id = a.patient_id AND d.start_at >= ?1 AND d.start_at < ?2
                      AND m.patient_id = a.patient_id AND m.direction = 'in'
                      AND m.created_at <= ?2
                   UNION ALL
                   SELECT r.classification, m.created_at, m.id
                     FROM messages m JOIN replies r ON r.message_id = m.id
                    WHERE m.patient_id = a.patient_id AND m.direction = 'in'
                      AND m.created_at >= a.booked_at AND m.created_at <= ?2
                      AND r.appointment_id IS NULL)
                  ORDER BY created_at DESC, id DESC LIMIT 1),
                -- A closure notice took this visit away (at this start): to rebook.
                EXISTS (SELECT 1 FROM rebookings rb
                         WHERE rb.appointment_id = a.id AND rb.start_at = a.start_at)
           FROM appointments a
           JOIN patients p ON p.id = a.patient_id
           JOIN clinicians c ON c.id = a.clinician_id
           JOIN appointment_types t ON t.id = a.type_id"
    };
}

/// [`sheet`]'s query: the day's appointments between `?1` and `?2`.
pub(crate) const SHEET: &str = concat!(
    sheet_select!(),
    "
          WHERE a.start_at >= ?1 AND a.start_at < ?2
          ORDER BY a.start_at, c.display_name, a.id"
);

/// [`rows_of`]'s query: patient `?3`'s visits between `?1` and `?2`, through
/// `appointments_by_patient` (not the day's whole range).
pub(crate) const SHEET_OF_PATIENT: &str = concat!(
    sheet_select!(),
    "
          WHERE a.patient_id = ?3 AND a.start_at >= ?1 AND a.start_at < ?2"
);

/// Every appointment of the local day `date`, in start order, with reminder cells empty
/// (the messaging planner fills them).
pub fn sheet(conn: &impl Db, date: NaiveDate, tz: Tz) -> Result<DaySheet> {
    let conn = super::sql(conn);
    let (from, to) = day_bounds(date, tz);
    let mut stmt = conn.prepare_cached(SHEET)?;
    let raw = stmt
        .query_map(params![ts(from), ts(to)], SheetRow::read)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(DaySheet {
        date,
        tz,
        rows: with_consent(conn, raw)?,
        cells_pending: false,
    })
}

/// The rows [`sheet`] would give for these patients' visits on `date` (each patient once),
/// in no particular order, reminder cells empty: what a kept day re-reads when the change
/// log names a few of its patients.
pub fn rows_of(
    conn: &impl Db,
    date: NaiveDate,
    tz: Tz,
    patients: &[PatientId],
) -> Result<Vec<DayRow>> {
    let conn = super::sql(conn);
    let (from, to) = day_bounds(date, tz);
    let mut stmt = conn.prepare_cached(SHEET_OF_PATIENT)?;
    let mut raw = Vec::new();
    for p in patients {
        let rows = stmt.query_map(params![ts(from), ts(to), p.0], SheetRow::read)?;
        for r in rows {
            raw.push(r?);
        }
    }
    with_consent(conn, raw)
}

/// Day rows from the query's rows, each with its patient's consent flag.
fn with_consent(conn: &rusqlite::Connection, raw: Vec<SheetRow>) -> Result<Vec<DayRow>> {
    let patients: Vec<PatientId> = raw.iter().map(|r| PatientId(r.patient)).collect();
    let consent = consent::states(conn, &patients)?;
    raw.into_iter()
        .map(|r| {
            let flag = consent
                .get(&PatientId(r.patient))
                .map(|s| s.flag())
                .unwrap_or(ConsentFlag::None);
            r.into_day_row(flag)
        })
        .collect()
}

/// One row of the day sheet's query, in its column order.
struct SheetRow {
    id: i64,
    patient: i64,
    start: i64,
    duration: u32,
    status: String,
    callback: bool,
    name: String,
    has_mobile: bool,
    portal: bool,
    flagged: bool,
    clinician: String,
    type_label: String,
    reply: Option<String>,
    rebook: bool,
}

impl SheetRow {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            patient: r.get(1)?,
            start: r.get(2)?,
            duration: r.get(3)?,
            status: r.get(4)?,
            callback: r.get(5)?,
            name: r.get(6)?,
            has_mobile: r.get(7)?,
            portal: r.get(8)?,
            flagged: r.get(9)?,
            clinician: r.get(10)?,
            type_label: r.get(11)?,
            reply: r.get(12)?,
            rebook: r.get(13)?,
        })
    }

    /// The day view's row, reminder cells empty (the planner fills them).
    fn into_day_row(self, consent: ConsentFlag) -> Result<DayRow> {
        Ok(DayRow {
            appointment_id: AppointmentId(self.id),
            patient_id: PatientId(self.patient),
            start: from_ts(self.start)?,
            duration_minutes: self.duration,
            patient_name: self.name,
            clinician: self.clinician,
            type_label: self.type_label,
            status: AppointmentStatus::parse(&self.status).ok_or(StoreError::Corrupt {
                what: "appointments.status",
                value: self.status,
            })?,
            reminders: Vec::new(),
            last_reply: self.reply.as_deref().and_then(ReplyKind::parse),
            consent,
            portal: self.portal,
            has_mobile: self.has_mobile,
            number_flagged: self.flagged,
            callback_requested: self.callback,
            rebook: self.rebook,
        })
    }
}

/// Search hits with next open appointment and consent flag, for the desk's search list.
pub fn patient_hits(
    conn: &impl Db,
    query: &str,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<PatientHit>> {
    let conn = super::sql(conn);
    let found = super::patient_search::search(conn, query, limit)?;
    let ids: Vec<PatientId> = found.iter().map(|p| p.id).collect();
    let consent = consent::states(conn, &ids)?;
    let mut next: HashMap<PatientId, DateTime<Utc>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT MIN(start_at) FROM appointments
          WHERE patient_id = ?1 AND start_at >= ?2 AND status IN ('booked', 'confirmed')",
    )?;
    for id in &ids {
        let t: Option<i64> = stmt.query_row(params![id.0, ts(now)], |r| r.get(0))?;
        if let Some(t) = t {
            next.insert(*id, from_ts(t)?);
        }
    }
    Ok(found
        .into_iter()
        .map(|p| PatientHit {
            patient_id: p.id,
            name: p.list_name(),
            birth_date: p.birth_date,
            mobile_last4: p.mobile.as_ref().map(|m| m.last4().to_string()),
            next_appointment: next.get(&p.id).copied(),
            consent: consent
                .get(&p.id)
                .map(|s| s.flag())
                .unwrap_or(ConsentFlag::None),
        })
        .collect())
}

/// [`outbox_count`]'s query, through the partial index `messages_waiting` (its condition
/// word for word), not every message: the footer asks often.
pub(crate) const OUTBOX_COUNT: &str = "SELECT COUNT(*) FROM messages
  WHERE direction = 'out' AND status IN ('pending', 'queued')
    AND (provider_id IS NULL OR provider = 'outbox')";

/// Texts waiting to go out, for the footer's "outbox N": held by the offline outbox, or not
/// yet accepted by the provider (network down, crash before write-back).
pub fn outbox_count(conn: &impl Db) -> Result<i64> {
    let conn = super::sql(conn);
    Ok(conn.query_row(OUTBOX_COUNT, [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::appointments::insert;
    use crate::store::appointments::tests::{booking, fixture, t};

    const NY: Tz = chrono_tz::America::New_York;

    #[test]
    fn day_bounds_follow_local_midnight_and_dst() {
        let (a, b) = day_bounds(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(), NY);
        assert_eq!(a.to_rfc3339(), "2026-11-25T05:00:00+00:00");
        assert_eq!((b - a).num_hours(), 24);
        // 2026-11-01: clocks go back, the day is 25 hours long.
        let (a, b) = day_bounds(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), NY);
        assert_eq!((b - a).num_hours(), 25);
        let (a, b) = day_bounds(NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(), NY);
        assert_eq!((b - a).num_hours(), 23);
    }

    #[test]
    fn sheet_lists_the_local_day_in_start_order_with_flags() {
        let (store, p, c, ty) = fixture();
        // 03:00 UTC on the 26th is 22:00 on the 25th in New York: belongs to the 25th.
        let late = insert(
            store.test_conn(),
            &booking(p, c, ty, t(3, 0) + chrono::Duration::days(1)),
        )
        .unwrap();
        let early = insert(store.test_conn(), &booking(p, c, ty, t(14, 0))).unwrap();
        // 04:00 UTC on the 25th is 23:00 on the 24th: not on the sheet.
        insert(store.test_conn(), &booking(p, c, ty, t(4, 0))).unwrap();
        crate::store::appointments::tests::opt_in(&store, p, t(8, 0));
        let sheet = sheet(
            store.test_conn(),
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            NY,
        )
        .unwrap();
        assert_eq!(
            sheet
                .rows
                .iter()
                .map(|r| r.appointment_id)
                .collect::<Vec<_>>(),
            vec![early, late]
        );
        let row = &sheet.rows[0];
        assert_eq!(row.patient_name, "Lovelace, Ada");
        assert_eq!(row.type_label, "Check-up");
        assert_eq!(row.clinician, "Dr. Okafor");
        assert_eq!(row.consent, ConsentFlag::OptedIn);
        assert!(!row.has_mobile && !row.portal);
        assert_eq!(sheet.unconfirmed().count(), 2);
    }

    #[test]
    fn a_reply_shows_on_the_appointments_its_reminder_covered_only() {
        let (store, p, c, ty) = fixture();
        let today = insert(store.test_conn(), &booking(p, c, ty, t(15, 0))).unwrap();
        // The same patient's second booking that day shares the reminder, so the reply too.
        let double = insert(store.test_conn(), &booking(p, c, ty, t(16, 0))).unwrap();
        let other_day = insert(
            store.test_conn(),
            &booking(p, c, ty, t(16, 0) + chrono::Duration::days(1)),
        )
        .unwrap();
        let m = crate::store::messages::insert_inbound(
            store.test_conn(),
            &crate::store::messages::NewInbound {
                patient: Some(p),
                from: "+12015550134",
                to: "+15555550123",
                body: "C",
                provider: "twilio",
                provider_id: "SMin",
                at: t(9, 0),
            },
        )
        .unwrap()
        .unwrap();
        crate::store::messages::classify_reply(
            store.test_conn(),
            m,
            ReplyKind::Confirm,
            Some(today),
        )
        .unwrap();
        let day = |d| {
            sheet(
                store.test_conn(),
                NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
                NY,
            )
            .unwrap()
        };
        let reply = |sheet: &DaySheet, id| {
            sheet
                .rows
                .iter()
                .find(|r| r.appointment_id == id)
                .unwrap()
                .last_reply
        };
        assert_eq!(reply(&day(25), today), Some(ReplyKind::Confirm));
        assert_eq!(reply(&day(25), double), Some(ReplyKind::Confirm));
        assert_eq!(reply(&day(26), other_day), None);
    }

    /// The latest reply as the sheet read it before (every reply the patient ever sent walked
    /// from the newest), kept as the oracle for the two bounded reads.
    const LATEST_REPLY_BEFORE: &str = "SELECT a.id,
            (SELECT r.classification FROM replies r JOIN messages m ON m.id = r.message_id
              WHERE m.patient_id = a.patient_id AND m.direction = 'in' AND m.created_at <= ?2
                AND (r.appointment_id IN (SELECT d.id FROM appointments d
                                           WHERE d.patient_id = a.patient_id
                                             AND d.start_at >= ?1 AND d.start_at < ?2)
                     OR (r.appointment_id IS NULL AND m.created_at >= a.booked_at))
              ORDER BY m.created_at DESC, m.id DESC LIMIT 1)
       FROM appointments a WHERE a.start_at >= ?1 AND a.start_at < ?2";

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Whatever replies two patients sent (before, on and after the day, filed against a
        /// visit of theirs, of another day, or against none, or never classified), each row
        /// of each day shows the reply the old walk of every reply showed.
        #[test]
        fn the_latest_reply_is_the_one_the_walk_of_every_reply_found(
            visits in proptest::collection::vec((0..2usize, 0..3i64, 8..20u32, 0..72i64), 1..8),
            replies in proptest::collection::vec(
                (0..2usize, -48..72i64, proptest::option::of(0..9usize), 0..4usize), 0..12),
        ) {
            let (store, first, c, ty) = fixture();
            let conn = store.test_conn();
            let second = crate::store::patients::insert(
                conn,
                &crate::store::patients::NewPatient {
                    external_id: None,
                    first_name: "Kofi".into(),
                    last_name: "Mensah".into(),
                    birth_date: None,
                    mobile: None,
                    time_zone: None,
                    portal_active: false,
                },
                t(8, 0),
            )
            .unwrap();
            let patients = [first, second];
            let mut ids = Vec::new();
            for &(p, day, hour, booked_before) in &visits {
                let start = t(hour, 0) + chrono::Duration::days(day);
                let mut b = booking(patients[p], c, ty, start);
                b.booked_at = start - chrono::Duration::hours(booked_before);
                ids.push(insert(conn, &b).unwrap());
            }
            let kinds = [ReplyKind::Confirm, ReplyKind::Cancel, ReplyKind::Reschedule];
            for (n, &(p, hours, about, kind)) in replies.iter().enumerate() {
                let m = crate::store::messages::insert_inbound(
                    conn,
                    &crate::store::messages::NewInbound {
                        patient: Some(patients[p]),
                        from: "+12015550134",
                        to: "+15555550123",
                        body: "C",
                        provider: "twilio",
                        provider_id: &format!("SMin{n}"),
                        at: t(12, 0) + chrono::Duration::hours(hours),
                    },
                )
                .unwrap()
                .unwrap();
                // The fourth kind: never classified (no replies row).
                if let Some(&k) = kinds.get(kind) {
                    let about = about.and_then(|i| ids.get(i).copied());
                    crate::store::messages::classify_reply(conn, m, k, about).unwrap();
                }
            }
            for d in 24..=27 {
                let date = NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
                let (from, to) = day_bounds(date, NY);
                let mut stmt = conn.prepare(LATEST_REPLY_BEFORE).unwrap();
                let before: HashMap<i64, Option<String>> = stmt
                    .query_map(params![ts(from), ts(to)], |r| Ok((r.get(0)?, r.get(1)?)))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                let rows = sheet(conn, date, NY).unwrap().rows;
                proptest::prop_assert_eq!(rows.len(), before.len());
                for row in rows {
                    let was = before[&row.appointment_id.0].as_deref().and_then(ReplyKind::parse);
                    proptest::prop_assert_eq!(row.last_reply, was, "{:?}", row.appointment_id);
                }
            }
        }
    }

    /// The latest reply is read from the day's bookings and from the texts since booking,
    /// never by walking every reply the patient ever sent (five years of them at a group).
    #[test]
    fn the_sheet_reads_replies_from_the_day_s_bookings() {
        let (store, ..) = fixture();
        let plan: Vec<String> = store
            .test_conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {SHEET}"))
            .unwrap()
            .query_map(params![0, 1], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let at = |step: &str| plan.iter().position(|p| p.contains(step));
        let bookings = at("SEARCH d USING COVERING INDEX appointments_by_patient");
        let replies = at("SEARCH r USING INDEX replies_by_appointment");
        assert!(bookings.is_some() && bookings < replies, "{plan:#?}");
        assert!(
            at("SEARCH m USING COVERING INDEX messages_in_by_patient (patient_id=? AND created_at>? AND created_at<?)").is_some(),
            "{plan:#?}"
        );
    }

    #[test]
    fn hits_carry_next_open_appointment() {
        let (store, p, c, ty) = fixture();
        insert(store.test_conn(), &booking(p, c, ty, t(15, 0))).unwrap();
        let hits = patient_hits(store.test_conn(), "love", t(9, 0), 10).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].next_appointment, Some(t(15, 0)));
        assert_eq!(hits[0].consent, ConsentFlag::None);
    }
}
