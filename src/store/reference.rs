//! Clinicians and appointment types: the practice's reference data.

use crate::store::{Db, Write};
use rusqlite::params;

use super::Result;
use crate::domain::ids::{AppointmentTypeId, ClinicianId};
use crate::domain::patient::{AppointmentType, Clinician};

pub fn insert_clinician(conn: &impl Write, display_name: &str) -> Result<ClinicianId> {
    let conn = super::sql(conn);
    conn.execute(
        "INSERT INTO clinicians (display_name) VALUES (?1)",
        params![display_name],
    )?;
    Ok(ClinicianId(conn.last_insert_rowid()))
}

pub fn clinicians(conn: &impl Db) -> Result<Vec<Clinician>> {
    let conn = super::sql(conn);
    let mut stmt = conn
        .prepare_cached("SELECT id, display_name, active FROM clinicians ORDER BY display_name")?;
    let rows = stmt.query_map([], |r| {
        Ok(Clinician {
            id: ClinicianId(r.get(0)?),
            display_name: r.get(1)?,
            active: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn insert_type(
    conn: &impl Write,
    name: &str,
    sms_label: &str,
    default_minutes: u32,
) -> Result<AppointmentTypeId> {
    let conn = super::sql(conn);
    conn.execute(
        "INSERT INTO appointment_types (name, sms_label, default_minutes) VALUES (?1, ?2, ?3)",
        params![name, sms_label, default_minutes],
    )?;
    Ok(AppointmentTypeId(conn.last_insert_rowid()))
}

pub fn types(conn: &impl Db) -> Result<Vec<AppointmentType>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, sms_label, default_minutes FROM appointment_types ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(AppointmentType {
            id: AppointmentTypeId(r.get(0)?),
            name: r.get(1)?,
            sms_label: r.get(2)?,
            default_minutes: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn clinicians_and_types_round_trip() {
        let store = Store::open_in_memory().unwrap();
        let c = insert_clinician(store.test_conn(), "Dr. Okafor").unwrap();
        let t = insert_type(
            store.test_conn(),
            "Diabetes follow-up",
            "Follow-up visit",
            20,
        )
        .unwrap();
        assert_eq!(clinicians(store.test_conn()).unwrap()[0].id, c);
        let ty = &types(store.test_conn()).unwrap()[0];
        assert_eq!(
            (ty.id, ty.sms_label.as_str(), ty.default_minutes),
            (t, "Follow-up visit", 20)
        );
    }

    #[test]
    fn type_names_are_unique() {
        let store = Store::open_in_memory().unwrap();
        insert_type(store.test_conn(), "Annual physical", "Check-up", 30).unwrap();
        assert!(insert_type(store.test_conn(), "Annual physical", "Check-up", 30).is_err());
    }
}
