//! What imports need from the database: records by any external id, appointments an earlier
//! import brought in a date range, and in-place updates of patients and appointments.

use crate::store::{Db, Write};
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Result, StoreError, found, from_ts, ts};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::ConsentState;
use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};
use crate::domain::import::plan::{KnownAppointment, KnownPatient};

/// Which table an external id belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Patient,
    Appointment,
}

impl KeyKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Appointment => "appointment",
        }
    }
}

/// Remember an external id for a row (a second time is a no-op).
pub fn add_key(conn: &impl Write, kind: KeyKind, key: &str, row_id: i64) -> Result<()> {
    let conn = super::sql(conn);
    conn.prepare_cached(
        "INSERT OR IGNORE INTO external_ids (kind, key, row_id) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![kind.as_str(), key, row_id])?;
    Ok(())
}

/// The row an external id names: from the ids imports remembered, else the row's own
/// `external_id` (rows written before migration 5, or by the demo).
pub fn find_key(conn: &impl Db, kind: KeyKind, key: &str) -> Result<Option<i64>> {
    let conn = super::sql(conn);
    let remembered = conn
        .prepare_cached("SELECT row_id FROM external_ids WHERE kind = ?1 AND key = ?2")?
        .query_row(params![kind.as_str(), key], |r| r.get(0))
        .optional()?;
    if remembered.is_some() {
        return Ok(remembered);
    }
    let sql = match kind {
        KeyKind::Patient => "SELECT id FROM patients WHERE external_id = ?1",
        KeyKind::Appointment => "SELECT id FROM appointments WHERE external_id = ?1",
    };
    Ok(conn
        .prepare_cached(sql)?
        .query_row(params![key], |r| r.get(0))
        .optional()?)
}

/// Stored patients by each of `keys` that names one, with their consent state.
pub fn patients_by_keys<'k>(
    conn: &impl Db,
    keys: impl IntoIterator<Item = &'k str>,
) -> Result<HashMap<String, KnownPatient>> {
    let conn = super::sql(conn);
    let mut by_id: HashMap<i64, KnownPatient> = HashMap::new();
    let mut out = HashMap::new();
    for key in keys {
        let Some(id) = find_key(conn, KeyKind::Patient, key)? else {
            continue;
        };
        let known = match by_id.get(&id) {
            Some(k) => k.clone(),
            None => {
                let p = super::patients::get(conn, PatientId(id))?;
                let consent = ConsentState::from_events(&super::consent::events(conn, p.id)?);
                let k = KnownPatient {
                    id: p.id,
                    first_name: p.first_name,
                    last_name: p.last_name,
                    birth_date: p.birth_date,
                    mobile: p.mobile,
                    consent,
                };
                by_id.insert(id, k.clone());
                k
            }
        };
        out.insert(key.to_string(), known);
    }
    Ok(out)
}

const COLUMNS: &str =
    "id, external_id, patient_id, clinician_id, type_id, start_at, duration_minutes, status";

fn known_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(KnownAppointment, i64, String)> {
    Ok((
        KnownAppointment {
            id: AppointmentId(r.get(0)?),
            external_id: r.get(1)?,
            patient_id: PatientId(r.get(2)?),
            clinician_id: ClinicianId(r.get(3)?),
            type_id: AppointmentTypeId(r.get(4)?),
            start: DateTime::UNIX_EPOCH,
            minutes: r.get(6)?,
            status: AppointmentStatus::Booked,
        },
        r.get(5)?,
        r.get(7)?,
    ))
}

fn check((mut a, start, status): (KnownAppointment, i64, String)) -> Result<KnownAppointment> {
    a.start = from_ts(start)?;
    a.status = AppointmentStatus::parse(&status).ok_or(StoreError::Corrupt {
        what: "appointments.status",
        value: status,
    })?;
    Ok(a)
}

/// Stored appointments by each of `keys` that names one.
pub fn appointments_by_keys<'k>(
    conn: &impl Db,
    keys: impl IntoIterator<Item = &'k str>,
) -> Result<HashMap<String, KnownAppointment>> {
    let conn = super::sql(conn);
    let sql = format!("SELECT {COLUMNS} FROM appointments WHERE id = ?1");
    let mut out = HashMap::new();
    for key in keys {
        let Some(id) = find_key(conn, KeyKind::Appointment, key)? else {
            continue;
        };
        let row = found(
            conn.prepare_cached(&sql)?.query_row(params![id], known_row),
            "appointment",
            id,
        )?;
        out.insert(key.to_string(), check(row)?);
    }
    Ok(out)
}

/// Appointments an import brought (they have an external id) starting in `[from, to)`.
pub fn imported_between(
    conn: &impl Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<KnownAppointment>> {
    let conn = super::sql(conn);
    let sql = format!(
        "SELECT {COLUMNS} FROM appointments
          WHERE external_id IS NOT NULL AND start_at >= ?1 AND start_at < ?2 ORDER BY start_at, id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![ts(from), ts(to)], known_row)?;
    rows.map(|r| check(r?)).collect()
}

/// New name and birth date of a patient (the mobile goes through `patients::set_mobile`).
pub fn rename_patient(
    conn: &impl Write,
    id: PatientId,
    first: &str,
    last: &str,
    birth_date: Option<chrono::NaiveDate>,
) -> Result<()> {
    let conn = super::sql(conn);
    conn.prepare_cached(
        "UPDATE patients SET first_name = ?2, last_name = ?3, birth_date = ?4 WHERE id = ?1",
    )?
    .execute(params![
        id.0,
        first,
        last,
        birth_date.map(|d| d.format("%Y-%m-%d").to_string())
    ])?;
    super::patients::write_folded(conn, id, first, last)
}

/// Where, when, with whom and how long (the status goes through `set_status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub clinician: ClinicianId,
    pub type_id: AppointmentTypeId,
    pub start: DateTime<Utc>,
    pub minutes: u32,
}

pub fn reslot_appointment(conn: &impl Write, id: AppointmentId, slot: Slot) -> Result<()> {
    let conn = super::sql(conn);
    let n = conn
        .prepare_cached(
            "UPDATE appointments SET clinician_id = ?2, type_id = ?3, start_at = ?4, duration_minutes = ?5
              WHERE id = ?1",
        )?
        .execute(params![id.0, slot.clinician.0, slot.type_id.0, ts(slot.start), slot.minutes])?;
    if n == 0 {
        return Err(StoreError::NotFound {
            what: "appointment",
            id: id.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::appointments::tests::{booking, fixture, t};
    use crate::store::appointments::{self, NewAppointment};

    #[test]
    fn any_remembered_key_finds_the_row() {
        let (store, p, c, ty) = fixture();
        let a = appointments::insert(
            store.test_conn(),
            &NewAppointment {
                external_id: Some("A1".into()),
                ..booking(p, c, ty, t(9, 0))
            },
        )
        .unwrap();
        add_key(store.test_conn(), KeyKind::Patient, "urn:oid:1|7", p.0).unwrap();
        add_key(store.test_conn(), KeyKind::Patient, "urn:oid:1|7", p.0).unwrap();
        let found = patients_by_keys(store.test_conn(), ["urn:oid:1|7", "nope"]).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found["urn:oid:1|7"].id, p);
        assert_eq!(found["urn:oid:1|7"].consent, ConsentState::None);
        let by_column = appointments_by_keys(store.test_conn(), ["A1"]).unwrap();
        assert_eq!(by_column["A1"].id, a);
        assert_eq!(
            find_key(store.test_conn(), KeyKind::Appointment, "A2").unwrap(),
            None
        );
    }

    #[test]
    fn only_imported_appointments_in_the_range_are_listed() {
        let (store, p, c, ty) = fixture();
        let imported = |start| NewAppointment {
            external_id: Some(format!("X{start:?}")),
            ..booking(p, c, ty, start)
        };
        let inside = appointments::insert(store.test_conn(), &imported(t(10, 0))).unwrap();
        appointments::insert(store.test_conn(), &imported(t(23, 0))).unwrap();
        appointments::insert(store.test_conn(), &booking(p, c, ty, t(11, 0))).unwrap();
        let got = imported_between(store.test_conn(), t(9, 0), t(12, 0)).unwrap();
        assert_eq!(got.iter().map(|a| a.id).collect::<Vec<_>>(), vec![inside]);
    }

    #[test]
    fn a_reslot_moves_the_appointment() {
        let (store, p, c, ty) = fixture();
        let a = appointments::insert(store.test_conn(), &booking(p, c, ty, t(9, 0))).unwrap();
        let slot = Slot {
            clinician: c,
            type_id: ty,
            start: t(15, 0),
            minutes: 45,
        };
        reslot_appointment(store.test_conn(), a, slot).unwrap();
        let got = appointments::get(store.test_conn(), a).unwrap();
        assert_eq!((got.start, got.duration_minutes), (t(15, 0), 45));
        rename_patient(store.test_conn(), p, "Ada", "King", None).unwrap();
        assert_eq!(
            crate::store::patients::get(store.test_conn(), p)
                .unwrap()
                .last_name,
            "King"
        );
    }
}
