//! Writing a plan inside the caller's transaction: reference data first, then patients,
//! appointments, consent, cancellations of missing appointments, and the audit record.

use crate::store::Write;
use chrono::{DateTime, Utc};

use super::{Options, Source};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::audit::ImportEvent;
use crate::domain::consent::{ConsentEvent, ConsentMethod};
use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};
use crate::domain::import::Origin;
use crate::domain::import::plan::{NEUTRAL_TYPE_LABEL, Plan, Ref};
use crate::store::bulk::{self, BulkAppointment};
use crate::store::imports::{self, KeyKind, Slot};
use crate::store::patients::NewPatient;
use crate::store::{self, StoreError};
use crate::workflow::consent::{ConsentFlowError, record_in};

/// Ids of what this import created, by their place in the plan.
struct Created {
    clinicians: Vec<ClinicianId>,
    types: Vec<AppointmentTypeId>,
    patients: Vec<PatientId>,
}

impl Created {
    fn clinician(&self, r: Ref<ClinicianId>) -> Result<ClinicianId, StoreError> {
        resolve(r, &self.clinicians, "clinician")
    }
    fn type_id(&self, r: Ref<AppointmentTypeId>) -> Result<AppointmentTypeId, StoreError> {
        resolve(r, &self.types, "appointment type")
    }
    fn patient(&self, r: Ref<PatientId>) -> Result<PatientId, StoreError> {
        resolve(r, &self.patients, "patient")
    }
}

fn resolve<T: Copy>(r: Ref<T>, created: &[T], what: &'static str) -> Result<T, StoreError> {
    match r {
        Ref::Known(id) => Ok(id),
        Ref::New(i) => created.get(i).copied().ok_or(StoreError::NotFound {
            what,
            id: format!("new #{i}"),
        }),
    }
}

pub(super) fn apply(
    conn: &impl Write,
    plan: &Plan,
    source: &Source,
    opts: Options<'_>,
) -> Result<(), StoreError> {
    let now = opts.now;
    let mut created = Created {
        clinicians: Vec::new(),
        types: Vec::new(),
        patients: Vec::new(),
    };
    for name in &plan.new_clinicians {
        created
            .clinicians
            .push(store::reference::insert_clinician(conn, name)?);
    }
    for (name, minutes) in &plan.new_types {
        created.types.push(store::reference::insert_type(
            conn,
            name,
            NEUTRAL_TYPE_LABEL,
            *minutes,
        )?);
    }
    patients(conn, plan, &mut created, now)?;
    appointments(conn, plan, &created, opts)?;
    consents(conn, plan, &created, source, opts)?;
    let cancelled = if plan.cancel_missing {
        cancel_missing(conn, plan, source, opts)?
    } else {
        0
    };
    audit(conn, plan, source, opts, cancelled)
}

fn patients(
    conn: &impl Write,
    plan: &Plan,
    created: &mut Created,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for p in &plan.new_patients {
        let id = store::patients::insert(
            conn,
            &NewPatient {
                external_id: p.keys.first().cloned(),
                first_name: p.first_name.clone(),
                last_name: p.last_name.clone(),
                birth_date: p.birth_date,
                mobile: p.mobile.clone(),
                time_zone: None,
                portal_active: false,
            },
            now,
        )?;
        for k in &p.keys {
            imports::add_key(conn, KeyKind::Patient, k, id.0)?;
        }
        created.patients.push(id);
    }
    for c in &plan.patient_changes {
        imports::rename_patient(conn, c.id, &c.first_name, &c.last_name, c.birth_date)?;
        if let Some(m) = &c.mobile {
            store::patients::set_mobile(conn, c.id, Some(m))?;
        }
    }
    for (who, key) in &plan.patient_keys {
        imports::add_key(conn, KeyKind::Patient, key, created.patient(*who)?.0)?;
    }
    Ok(())
}

fn appointments(
    conn: &impl Write,
    plan: &Plan,
    created: &Created,
    opts: Options<'_>,
) -> Result<(), StoreError> {
    // One multi-row insert per 128 appointments (store::bulk): ids are handed out here,
    // inside the transaction that holds the write lock.
    let first = bulk::next_id(conn, bulk::Table::Appointments)?;
    let rows = plan
        .new_appointments
        .iter()
        .zip(first..)
        .map(|(a, id)| {
            Ok(BulkAppointment {
                id: AppointmentId(id),
                external_id: a.keys.first().map(String::as_str),
                patient_id: created.patient(a.patient)?,
                clinician_id: created.clinician(a.clinician)?,
                type_id: created.type_id(a.type_ref)?,
                start: a.start,
                duration_minutes: a.minutes,
                status: a.status,
                booked_at: opts.now,
                status_changed: None,
                confirmed_at: None,
                cancelled_at: None,
                callback_requested: false,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    bulk::insert_appointments(conn, &rows)?;
    for (a, row) in plan.new_appointments.iter().zip(&rows) {
        for k in &a.keys {
            imports::add_key(conn, KeyKind::Appointment, k, row.id.0)?;
        }
    }
    for c in &plan.appointment_changes {
        let slot = Slot {
            clinician: created.clinician(c.clinician)?,
            type_id: created.type_id(c.type_ref)?,
            start: c.start,
            minutes: c.minutes,
        };
        imports::reslot_appointment(conn, c.id, slot)?;
        if let Some((from, to)) = c.status {
            store::appointments::set_status(conn, c.id, from, to, opts.actor, opts.now)?;
        }
        let event = ImportEvent::AppointmentChanged {
            appointment: c.id,
            start: c.start,
            moved_from: c.moved_from,
            status: c.status,
        };
        append_audit(conn, opts, &event)?;
    }
    for (id, key) in &plan.appointment_keys {
        imports::add_key(conn, KeyKind::Appointment, key, id.0)?;
    }
    Ok(())
}

fn consents(
    conn: &impl Write,
    plan: &Plan,
    created: &Created,
    source: &Source,
    opts: Options<'_>,
) -> Result<(), StoreError> {
    for c in &plan.consents {
        let event = ConsentEvent {
            kind: c.kind,
            method: ConsentMethod::Import,
            evidence: Some(evidence(source, c.origin, c.given)),
            recorded_by: opts.actor.to_string(),
            at: opts.now,
        };
        record_in(conn, created.patient(c.patient)?, &event).map_err(|e| match e {
            ConsentFlowError::Store(s) => s,
            ConsentFlowError::Invalid(v) => StoreError::Conflict(v.to_string()),
        })?;
    }
    Ok(())
}

/// "import practice.csv sha256:1f2e…(16) line 14; given 2026-01-15": enough to find the
/// record in the file the practice keeps.
pub(super) fn evidence(source: &Source, origin: Origin, given: Option<DateTime<Utc>>) -> String {
    let hash = source.sha256.get(..16).unwrap_or(&source.sha256);
    let mut e = format!("import {} sha256:{hash} {}", source.name, origin.describe());
    if let Some(g) = given {
        e.push_str(&format!("; given {}", g.format("%Y-%m-%d")));
    }
    e
}

fn cancel_missing(
    conn: &impl Write,
    plan: &Plan,
    source: &Source,
    opts: Options<'_>,
) -> Result<usize, StoreError> {
    for a in &plan.missing {
        store::appointments::set_status(
            conn,
            a.id,
            a.status,
            AppointmentStatus::Cancelled,
            opts.actor,
            opts.now,
        )?;
        let event = ImportEvent::MissingCancelled {
            appointment: a.id,
            from: a.status,
            sha256: &source.sha256,
        };
        append_audit(conn, opts, &event)?;
    }
    Ok(plan.missing.len())
}

/// One record for the import: counts and the file's hash, never names or numbers.
fn audit(
    conn: &impl Write,
    plan: &Plan,
    source: &Source,
    opts: Options<'_>,
    cancelled: usize,
) -> Result<(), StoreError> {
    let event = ImportEvent::Applied {
        source: source.kind,
        sha256: &source.sha256,
        plan,
        cancelled_missing: cancelled,
    };
    append_audit(conn, opts, &event)
}

fn append_audit(
    conn: &impl Write,
    opts: Options<'_>,
    event: &ImportEvent<'_>,
) -> Result<(), StoreError> {
    store::audit::append(conn, &event.entry(opts.now, opts.actor))?;
    Ok(())
}
