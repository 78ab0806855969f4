//! The schedule by hand, for a practice without a practice-management system: add a patient,
//! add or move an appointment. The values go through the same readers as an import
//! (`domain::import::fields`, `names`, `phone`), each change with its audit record.

use crate::domain::audit::AuditEntry;
use crate::domain::audit::{AppointmentEvent, PracticeEvent};
use crate::store::Db;
use crate::store::Write;
use chrono::{DateTime, Utc};

use super::WorkflowError;
use crate::config::Config;
use crate::domain::appointment::{Appointment, AppointmentStatus};
use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};
use crate::domain::import::names::{clinician_display, tidy, title_case_if_shouting};
use crate::domain::import::plan::{DEFAULT_MINUTES, DEFAULT_TYPE_NAME, NEUTRAL_TYPE_LABEL};
use crate::domain::import::{ReadContext, fields};
use crate::domain::phone::E164;
use crate::store::appointments::NewAppointment;
use crate::store::imports::{self, KeyKind, Slot};
use crate::store::patients::NewPatient;
use crate::store::{self, Store};

/// A patient as typed at the command line.
#[derive(Clone, Debug, Default)]
pub struct PatientInput {
    pub first_name: String,
    pub last_name: String,
    pub mobile: Option<String>,
    pub birth_date: Option<String>,
    /// The practice's own chart number, if it keeps one.
    pub external_id: Option<String>,
}

/// When, as typed: a date and a time in the practice's zone.
#[derive(Clone, Debug)]
pub struct When {
    pub date: String,
    pub time: String,
    pub minutes: Option<String>,
}

/// An appointment as typed.
#[derive(Clone, Debug)]
pub struct AppointmentInput {
    /// frontdesk's patient number, or the practice's chart number.
    pub patient: String,
    pub when: When,
    pub clinician: String,
    pub type_name: Option<String>,
}

fn invalid(field: &str, problem: impl std::fmt::Display) -> WorkflowError {
    WorkflowError::Invalid(format!("{field}: {problem}"))
}

pub fn add_patient(
    store: &mut Store,
    config: &Config,
    input: &PatientInput,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<PatientId, WorkflowError> {
    let ctx = super::import::read_context(config, now);
    let first = title_case_if_shouting(&tidy(&input.first_name));
    let last = title_case_if_shouting(&tidy(&input.last_name));
    if first.is_empty() || last.is_empty() {
        return Err(invalid("name", "a patient needs a first and a last name"));
    }
    let mobile = match input
        .mobile
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        Some(m) => Some(E164::parse(m, ctx.region).map_err(|e| invalid("--mobile", e))?),
        None => None,
    };
    let month_first = fields::month_first(ctx.region);
    let birth_date = match input.birth_date.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => Some(
            fields::birth_date(d, month_first, ctx.today)
                .map_err(|e| invalid("--birth-date", e))?,
        ),
        None => None,
    };
    let external_id = input
        .external_id
        .as_deref()
        .map(tidy)
        .filter(|s| !s.is_empty());
    store.write(|conn| {
        if let Some(id) = &external_id
            && imports::find_key(conn, KeyKind::Patient, id)?.is_some()
        {
            return Err(invalid(
                "--id",
                format!("a patient with id {id} already exists"),
            ));
        }
        let new = NewPatient {
            external_id: external_id.clone(),
            first_name: first.clone(),
            last_name: last.clone(),
            birth_date,
            mobile: mobile.clone(),
            time_zone: None,
            portal_active: false,
        };
        let id = store::patients::insert(conn, &new, now)?;
        if let Some(k) = &external_id {
            imports::add_key(conn, KeyKind::Patient, k, id.0)?;
        }
        audit(
            conn,
            &PracticeEvent::PatientAdded { patient: id }.entry(now, actor),
        )?;
        Ok(id)
    })
}

pub fn add_appointment(
    store: &mut Store,
    config: &Config,
    input: &AppointmentInput,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<AppointmentId, WorkflowError> {
    let ctx = super::import::read_context(config, now);
    let (start, minutes) = when(&input.when, ctx)?;
    let clinician = clinician_display(&input.clinician);
    if clinician.is_empty() {
        return Err(invalid("--clinician", "name the clinician"));
    }
    let type_name = input
        .type_name
        .as_deref()
        .map(tidy)
        .filter(|t| !t.is_empty());
    store.write(|conn| {
        let patient = find_patient(conn, &input.patient)?;
        let clinician_id = clinician_id(conn, &clinician)?;
        let (type_id, type_minutes) = type_id(
            conn,
            type_name.as_deref().unwrap_or(DEFAULT_TYPE_NAME),
            minutes,
        )?;
        let new = NewAppointment {
            external_id: None,
            patient_id: patient,
            clinician_id,
            type_id,
            start,
            duration_minutes: minutes.unwrap_or(type_minutes),
            status: AppointmentStatus::Booked,
            booked_at: now,
        };
        let id = store::appointments::insert(conn, &new)?;
        let event = AppointmentEvent::AppointmentAdded {
            appointment: id,
            patient,
            start,
        };
        audit(conn, &event.entry(now, actor))?;
        Ok(id)
    })
}

/// Move an open appointment; a confirmation given for the old time no longer counts, and
/// the reminders (keyed by start) go out again for the new time.
pub fn move_appointment(
    store: &mut Store,
    config: &Config,
    id: AppointmentId,
    to: &When,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Appointment, WorkflowError> {
    let ctx = super::import::read_context(config, now);
    let (start, minutes) = when(to, ctx)?;
    if start <= now {
        return Err(invalid("--date/--time", "the new time has already passed"));
    }
    store.write(|conn| {
        let a = store::appointments::get(conn, id)?;
        if !a.status.is_open() {
            return Err(WorkflowError::Invalid(format!(
                "a {} appointment cannot be moved; book a new one",
                a.status
            )));
        }
        let slot = Slot {
            clinician: a.clinician_id,
            type_id: a.type_id,
            start,
            minutes: minutes.unwrap_or(a.duration_minutes),
        };
        imports::reslot_appointment(conn, id, slot)?;
        if a.status == AppointmentStatus::Confirmed {
            store::appointments::set_status(
                conn,
                id,
                a.status,
                AppointmentStatus::Booked,
                actor,
                now,
            )?;
        }
        let event = AppointmentEvent::AppointmentMoved {
            appointment: id,
            from: a.start,
            to: start,
        };
        audit(conn, &event.entry(now, actor))?;
        Ok(store::appointments::get(conn, id)?)
    })
}

fn when(w: &When, ctx: ReadContext<'_>) -> Result<(DateTime<Utc>, Option<u32>), WorkflowError> {
    let day = fields::date(&w.date, fields::month_first(ctx.region), false)
        .map_err(|e| invalid("--date", e))?;
    let at = fields::time(&w.time).map_err(|e| invalid("--time", e))?;
    let start = fields::local_instant(day, at, ctx.time_zone).map_err(|e| invalid("--time", e))?;
    let minutes = match w.minutes.as_deref() {
        Some(m) => Some(fields::minutes(m).map_err(|e| invalid("--minutes", e))?),
        None => None,
    };
    Ok((start, minutes))
}

/// frontdesk's own number first, then the practice's chart number.
fn find_patient(conn: &impl Db, s: &str) -> Result<PatientId, WorkflowError> {
    let s = s.trim();
    if let Some(id) = imports::find_key(conn, KeyKind::Patient, s)? {
        return Ok(PatientId(id));
    }
    if let Ok(n) = s.parse::<i64>()
        && store::patients::get(conn, PatientId(n)).is_ok()
    {
        return Ok(PatientId(n));
    }
    Err(invalid(
        "--patient",
        format!("no patient {s:?} (use frontdesk's patient number or the chart number)"),
    ))
}

fn clinician_id(conn: &impl Write, name: &str) -> Result<ClinicianId, WorkflowError> {
    let found = store::reference::clinicians(conn)?
        .into_iter()
        .find(|c| c.display_name.to_lowercase() == name.to_lowercase());
    Ok(match found {
        Some(c) => c.id,
        None => store::reference::insert_clinician(conn, name)?,
    })
}

/// The type by name, or a new one with the neutral label; and its default length.
fn type_id(
    conn: &impl Write,
    name: &str,
    minutes: Option<u32>,
) -> Result<(AppointmentTypeId, u32), WorkflowError> {
    let found = store::reference::types(conn)?
        .into_iter()
        .find(|t| t.name.to_lowercase() == name.to_lowercase());
    Ok(match found {
        Some(t) => (t.id, t.default_minutes),
        None => {
            let m = minutes.unwrap_or(DEFAULT_MINUTES);
            (
                store::reference::insert_type(conn, name, NEUTRAL_TYPE_LABEL, m)?,
                m,
            )
        }
    })
}

fn audit(conn: &impl Write, entry: &AuditEntry) -> Result<(), WorkflowError> {
    store::audit::append(conn, entry)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 0).unwrap()
    }

    fn ada() -> PatientInput {
        PatientInput {
            first_name: "ADA".into(),
            last_name: "O'NEILL".into(),
            mobile: Some("(201) 555-0134".into()),
            birth_date: Some("05/17/1980".into()),
            external_id: Some("C-9".into()),
        }
    }

    fn at(date: &str, time: &str) -> When {
        When {
            date: date.into(),
            time: time.into(),
            minutes: None,
        }
    }

    #[test]
    fn add_move_and_every_step_is_audited() {
        let mut store = Store::open_in_memory().unwrap();
        let cfg = Config::default();
        let p = add_patient(&mut store, &cfg, &ada(), "desk", now()).unwrap();
        assert_eq!(
            store::patients::get(store.test_conn(), p)
                .unwrap()
                .list_name(),
            "O'Neill, Ada"
        );
        let input = AppointmentInput {
            patient: "C-9".into(),
            when: at("11/25/2026", "9:30 AM"),
            clinician: "okafor, ada md".into(),
            type_name: Some("Chemo infusion".into()),
        };
        let a = add_appointment(&mut store, &cfg, &input, "desk", now()).unwrap();
        let ty = &store::reference::types(store.test_conn()).unwrap()[0];
        assert_eq!(
            (ty.name.as_str(), ty.sms_label.as_str()),
            ("Chemo infusion", "Appointment")
        );
        let moved = move_appointment(
            &mut store,
            &cfg,
            a,
            &at("2026-11-26", "14:00"),
            "desk",
            now(),
        )
        .unwrap();
        assert_eq!(
            moved.start,
            Utc.with_ymd_and_hms(2026, 11, 26, 19, 0, 0).unwrap()
        );
        let actions: Vec<String> = store::audit::page(store.test_conn(), 0, 10)
            .unwrap()
            .into_iter()
            .map(|r| r.entry.action)
            .collect();
        assert_eq!(
            actions,
            vec!["patient.add", "appointment.add", "appointment.move"]
        );
    }

    #[test]
    fn bad_input_is_refused_with_the_option_named_and_nothing_written() {
        let mut store = Store::open_in_memory().unwrap();
        let cfg = Config::default();
        let bad_phone = PatientInput {
            mobile: Some("555-0100".into()),
            ..ada()
        };
        assert!(
            add_patient(&mut store, &cfg, &bad_phone, "desk", now())
                .unwrap_err()
                .to_string()
                .starts_with("--mobile")
        );
        let bad_date = PatientInput {
            birth_date: Some("02/30/1980".into()),
            ..ada()
        };
        assert!(
            add_patient(&mut store, &cfg, &bad_date, "desk", now())
                .unwrap_err()
                .to_string()
                .contains("February")
        );
        add_patient(&mut store, &cfg, &ada(), "desk", now()).unwrap();
        assert!(
            add_patient(&mut store, &cfg, &ada(), "desk", now())
                .unwrap_err()
                .to_string()
                .contains("already exists")
        );
        let nobody = AppointmentInput {
            patient: "C-404".into(),
            when: at("11/25/2026", "9:30"),
            clinician: "Dr. A".into(),
            type_name: None,
        };
        assert!(add_appointment(&mut store, &cfg, &nobody, "desk", now()).is_err());
        assert_eq!(store::appointments::count(store.test_conn()).unwrap(), 0);
        assert_eq!(store::patients::count(store.test_conn()).unwrap(), 1);
    }
}
