//! Appointments of the file against stored appointments; clinicians and types as needed.

use std::collections::{HashMap, HashSet};

use super::{
    AppointmentChange, DEFAULT_MINUTES, DEFAULT_TYPE_NAME, Known, KnownAppointment, NewAppointment,
    Plan, Ref, merge_status,
};
use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};
use crate::domain::import::{AppointmentRecord, RecordError, Warning};

pub(super) fn decide(
    records: Vec<AppointmentRecord>,
    patients: &HashMap<String, Ref<PatientId>>,
    known: &Known,
    p: &mut Plan,
) {
    let mut seen: HashMap<&str, &AppointmentRecord> = HashMap::new();
    let mut matched: HashSet<AppointmentId> = HashSet::new();
    let mut names = Names::new(known);
    for r in &records {
        if let Some(first) = r.keys.iter().find_map(|k| seen.get(k.as_str())) {
            if !same(first, r) {
                p.errors.push(error(r, "appointment_id", format!(
                    "this appointment id is also on {} with different details; each appointment once",
                    first.origin.describe()
                )));
                p.appointments.rejected += 1;
            }
            continue;
        }
        for k in &r.keys {
            seen.insert(k, r);
        }
        let before = p.errors.len();
        let patient = patient_ref(r, patients, known, p);
        let stored = stored(r, known, p);
        let clinician = clinician_ref(r, stored, known, &mut names, p);
        let type_ref = type_ref(r, stored, known, &mut names, p);
        if let (Some(stored), Some(Ref::Known(pid))) = (stored, patient)
            && stored.patient_id != pid
        {
            p.errors.push(error(
                r,
                "patient",
                "frontdesk has this appointment for another patient; check the export's ids".into(),
            ));
        }
        let (Some(patient), Some(clinician), Some((type_ref, type_minutes))) =
            (patient, clinician, type_ref)
        else {
            p.appointments.rejected += 1;
            continue;
        };
        if p.errors.len() > before {
            p.appointments.rejected += 1;
            continue;
        }
        let minutes = r.minutes.unwrap_or(type_minutes);
        match stored {
            Some(s) => {
                matched.insert(s.id);
                change(r, s, clinician, type_ref, minutes, known, p);
            }
            None => {
                p.appointments.added += 1;
                p.new_appointments.push(NewAppointment {
                    origin: r.origin,
                    keys: r.keys.clone(),
                    patient,
                    clinician,
                    type_ref,
                    start: r.start,
                    minutes,
                    status: r.status,
                });
            }
        }
    }
    p.missing = known
        .imported_in_range
        .iter()
        .filter(|a| !matched.contains(&a.id) && a.status.is_open())
        .cloned()
        .collect();
}

fn same(a: &AppointmentRecord, b: &AppointmentRecord) -> bool {
    (
        &a.keys,
        &a.patient_key,
        &a.clinician,
        &a.type_name,
        a.start,
        a.minutes,
        a.status,
    ) == (
        &b.keys,
        &b.patient_key,
        &b.clinician,
        &b.type_name,
        b.start,
        b.minutes,
        b.status,
    )
}

fn error(r: &AppointmentRecord, field: &str, problem: String) -> RecordError {
    RecordError::new(
        r.origin,
        field,
        r.keys.first().cloned().unwrap_or_default(),
        problem,
    )
}

fn patient_ref(
    r: &AppointmentRecord,
    patients: &HashMap<String, Ref<PatientId>>,
    known: &Known,
    p: &mut Plan,
) -> Option<Ref<PatientId>> {
    let found = patients
        .get(&r.patient_key)
        .copied()
        .or_else(|| known.patients.get(&r.patient_key).map(|k| Ref::Known(k.id)));
    if found.is_none() {
        p.errors.push(RecordError::new(
            r.origin,
            "patient",
            r.patient_key.clone(),
            "this patient is not in the file and no earlier import has them (or their row was rejected)",
        ));
    }
    found
}

fn stored<'k>(
    r: &AppointmentRecord,
    known: &'k Known,
    p: &mut Plan,
) -> Option<&'k KnownAppointment> {
    let mut found: Option<&KnownAppointment> = None;
    for k in &r.keys {
        if let Some(a) = known.appointments.get(k) {
            if found.is_some_and(|f| f.id != a.id) {
                p.errors.push(error(
                    r,
                    "identifier",
                    "this appointment's ids name two different appointments in frontdesk".into(),
                ));
                return None;
            }
            found = Some(a);
        }
    }
    found
}

/// Clinicians and types by lower-case name: stored ones and those this plan creates.
struct Names {
    clinicians: HashMap<String, Ref<ClinicianId>>,
    types: HashMap<String, (Ref<AppointmentTypeId>, u32)>,
}

impl Names {
    fn new(known: &Known) -> Self {
        let mut clinicians = HashMap::new();
        for (id, n) in &known.clinicians {
            clinicians
                .entry(n.to_lowercase())
                .or_insert(Ref::Known(*id));
        }
        let mut types = HashMap::new();
        for (id, n, m) in &known.types {
            types
                .entry(n.to_lowercase())
                .or_insert((Ref::Known(*id), *m));
        }
        Self { clinicians, types }
    }
}

/// The clinician named (matched case-insensitively, created once if new); with none named,
/// the stored appointment's, or the practice's only clinician.
fn clinician_ref(
    r: &AppointmentRecord,
    stored: Option<&KnownAppointment>,
    known: &Known,
    names: &mut Names,
    p: &mut Plan,
) -> Option<Ref<ClinicianId>> {
    let Some(name) = &r.clinician else {
        if let Some(s) = stored {
            return Some(Ref::Known(s.clinician_id));
        }
        if let [(only, _)] = known.clinicians.as_slice()
            && p.new_clinicians.is_empty()
        {
            return Some(Ref::Known(*only));
        }
        p.errors.push(error(r, "clinician", format!(
            "no clinician named and the practice has {} — add a provider column or --map clinician=COLUMN",
            known.clinicians.len() + p.new_clinicians.len()
        )));
        return None;
    };
    let key = name.to_lowercase();
    if let Some(found) = names.clinicians.get(&key) {
        return Some(*found);
    }
    p.new_clinicians.push(name.clone());
    let new = Ref::New(p.new_clinicians.len() - 1);
    names.clinicians.insert(key, new);
    Some(new)
}

/// The type named (exact name, case-insensitive; created once if new, with the neutral
/// label), or the stored appointment's, or the default type. Also its default length.
fn type_ref(
    r: &AppointmentRecord,
    stored: Option<&KnownAppointment>,
    known: &Known,
    names: &mut Names,
    p: &mut Plan,
) -> Option<(Ref<AppointmentTypeId>, u32)> {
    let name = match (&r.type_name, stored) {
        (Some(n), _) => n.clone(),
        (None, Some(s)) => {
            let minutes = known
                .types
                .iter()
                .find(|t| t.0 == s.type_id)
                .map_or(s.minutes, |t| t.2);
            return Some((Ref::Known(s.type_id), minutes));
        }
        (None, None) => DEFAULT_TYPE_NAME.to_string(),
    };
    let key = name.to_lowercase();
    if let Some(found) = names.types.get(&key) {
        return Some(*found);
    }
    let minutes = r.minutes.unwrap_or(DEFAULT_MINUTES);
    p.new_types.push((name, minutes));
    let new = (Ref::New(p.new_types.len() - 1), minutes);
    names.types.insert(key, new);
    Some(new)
}

/// Compare with the stored appointment and plan the change, if any.
fn change(
    r: &AppointmentRecord,
    s: &KnownAppointment,
    clinician: Ref<ClinicianId>,
    type_ref: Ref<AppointmentTypeId>,
    minutes: u32,
    known: &Known,
    p: &mut Plan,
) {
    let moved = r.start != s.start;
    let (status, kept) = merge_status(s.status, r.status, moved);
    if let Some(why) = kept {
        p.warnings.push(Warning::at(
            r.origin,
            format!(
                "appointment {}: {why} ({} in frontdesk, {} in the file)",
                r.keys.first().map_or("", String::as_str),
                s.status.label(),
                r.status.label()
            ),
        ));
    }
    let same = !moved
        && minutes == s.minutes
        && clinician == Ref::Known(s.clinician_id)
        && type_ref == Ref::Known(s.type_id)
        && status == s.status;
    for key in r
        .keys
        .iter()
        .filter(|k| !known.appointments.contains_key(*k))
    {
        p.appointment_keys.push((s.id, key.clone()));
    }
    if same {
        p.appointments.unchanged += 1;
        return;
    }
    p.appointments.changed += 1;
    p.appointment_changes.push(AppointmentChange {
        id: s.id,
        clinician,
        type_ref,
        start: r.start,
        minutes,
        status: (status != s.status).then_some((s.status, status)),
        moved_from: moved.then_some(s.start),
    });
}
