//! FHIR Appointment → [`AppointmentRecord`]: status, start and length, the patient and the
//! clinician among the participants, the appointment type.

use serde_json::Value;

use super::patient::{Patients, instant, keys, name};
use super::{Entry, Index, array, text, type_and_id};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::import::names::tidy;
use crate::domain::import::{AppointmentRecord, Parsed, ReadContext, Warning, fields};

/// What an R4 `Appointment.status` means here: a status, or not on the schedule (yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusMeaning {
    Status(AppointmentStatus),
    /// Not (yet) a booking: proposed, waitlisted — not imported.
    NotBooked,
    /// Should never have existed: imported as cancelled so a copy from an earlier import
    /// stops getting reminders.
    EnteredInError,
}

/// Every R4 Appointment.status code (http://hl7.org/fhir/R4/valueset-appointmentstatus.html).
pub fn status_meaning(code: &str) -> Option<StatusMeaning> {
    use AppointmentStatus::*;
    use StatusMeaning::*;
    Some(match code {
        "proposed" | "waitlist" => NotBooked,
        // Some participants have not accepted yet; it holds a slot, so it is a booking.
        "pending" | "booked" => Status(Booked),
        "arrived" | "checked-in" => Status(Arrived),
        "fulfilled" => Status(Completed),
        "cancelled" => Status(Cancelled),
        "noshow" => Status(NoShow),
        "entered-in-error" => EnteredInError,
        _ => return None,
    })
}

pub(super) fn read(
    e: &Entry<'_>,
    index: &Index<'_>,
    patients: &Patients,
    ctx: ReadContext<'_>,
    out: &mut Parsed,
) {
    let r = e.resource;
    let code = text(r, "/status").unwrap_or("");
    let status = match status_meaning(code) {
        Some(StatusMeaning::Status(s)) => s,
        Some(StatusMeaning::EnteredInError) => AppointmentStatus::Cancelled,
        Some(StatusMeaning::NotBooked) => {
            out.warnings.push(Warning::at(
                e.origin,
                format!("skipped: an Appointment with status {code} is not on the schedule yet"),
            ));
            return;
        }
        None => {
            out.errors.push(e.error(
                "status",
                code,
                "not an R4 Appointment status (proposed, pending, booked, arrived, fulfilled, \
                 cancelled, noshow, entered-in-error, checked-in, waitlist)",
            ));
            out.rejected_appointments += 1;
            return;
        }
    };
    let before = out.errors.len();
    let keys = keys(e, "Appointment");
    if keys.is_empty() {
        out.errors.push(e.error(
            "identifier",
            "",
            "an Appointment needs an identifier or an id",
        ));
    }
    let start = match text(r, "/start") {
        Some(s) => instant(s, ctx).or_else(|| {
            out.errors.push(e.error(
                "start",
                s,
                "not a FHIR instant like 2026-11-25T09:30:00-05:00",
            ));
            None
        }),
        None => {
            out.errors
                .push(e.error("start", "", "a booked Appointment needs a start"));
            None
        }
    };
    let minutes = start.and_then(|s| minutes(e, s, ctx, out));
    let patient_key = patient(e, index, patients, out);
    let clinician = clinician(e, index, out);
    let type_name = type_name(r);
    match (start, patient_key) {
        (Some(start), Some(patient_key)) if out.errors.len() == before => {
            out.appointments.push(AppointmentRecord {
                origin: e.origin,
                keys,
                patient_key,
                clinician,
                type_name,
                start,
                minutes,
                status,
            })
        }
        _ => out.rejected_appointments += 1,
    }
}

/// The length: `end` − `start` when there is an end (a contradicting `minutesDuration` is
/// noted), else `minutesDuration`.
fn minutes(
    e: &Entry<'_>,
    start: chrono::DateTime<chrono::Utc>,
    ctx: ReadContext<'_>,
    out: &mut Parsed,
) -> Option<u32> {
    let stated = e.resource.get("minutesDuration").and_then(Value::as_u64);
    let Some(end) = text(e.resource, "/end").and_then(|s| instant(s, ctx)) else {
        return stated.and_then(|m| u32::try_from(m).ok()).and_then(|m| {
            fields::check_minutes(m)
                .map_err(|p| {
                    out.errors
                        .push(e.error("minutesDuration", m.to_string(), p))
                })
                .ok()
        });
    };
    let span = (end - start).num_minutes();
    if span <= 0 {
        out.errors.push(e.error(
            "end",
            text(e.resource, "/end").unwrap_or(""),
            "the end is not after the start",
        ));
        return None;
    }
    let span = u32::try_from(span)
        .ok()
        .and_then(|m| fields::check_minutes(m).ok());
    if let (Some(s), Some(m)) = (span, stated)
        && u64::from(s) != m
    {
        out.warnings.push(Warning::at(
            e.origin,
            format!("minutesDuration {m} contradicts start and end ({s} minutes); start and end are used"),
        ));
    }
    span
}

/// The patient participant's key: the Patient's own key when it is in the file, else the
/// reference itself (`Patient/123`), which an earlier import may have stored.
fn patient(
    e: &Entry<'_>,
    index: &Index<'_>,
    patients: &Patients,
    out: &mut Parsed,
) -> Option<String> {
    let refs: Vec<&str> = array(e.resource, "participant")
        .iter()
        .filter_map(|p| text(p, "/actor/reference"))
        .filter(|r| {
            index.resolve(r).map_or_else(
                || type_and_id(r).is_some_and(|t| t.starts_with("Patient/")),
                |x| x.kind() == "Patient",
            )
        })
        .collect();
    let Some(reference) = refs.first() else {
        out.errors
            .push(e.error("participant", "", "no participant is a Patient"));
        return None;
    };
    if refs.len() > 1 {
        out.warnings.push(Warning::at(
            e.origin,
            "several patients on one appointment; the first is used",
        ));
    }
    match index.position(reference) {
        Some(pos) => match patients.get(&pos) {
            Some(Some(key)) => Some(key.clone()),
            // The patient itself was rejected; its own error says why.
            _ => None,
        },
        None => type_and_id(reference).or_else(|| {
            out.errors.push(e.error(
                "participant.actor",
                *reference,
                "this patient is not in the file",
            ));
            None
        }),
    }
}

/// The clinician: a Practitioner (or PractitionerRole) participant, the attender (ATND) or
/// primary performer (PPRF) first. Named from the resource when it is in the file, else from
/// the reference's `display`.
fn clinician(e: &Entry<'_>, index: &Index<'_>, out: &mut Parsed) -> Option<String> {
    let mut found: Vec<(bool, String)> = Vec::new();
    for p in array(e.resource, "participant") {
        let Some(actor) = p.get("actor") else {
            continue;
        };
        let reference = text(actor, "/reference");
        let resolved = reference.and_then(|r| index.resolve(r));
        let kind = resolved.map(Entry::kind).map(str::to_string).or_else(|| {
            reference
                .and_then(type_and_id)
                .and_then(|t| t.split('/').next().map(str::to_string))
        });
        if !matches!(kind.as_deref(), Some("Practitioner" | "PractitionerRole")) {
            continue;
        }
        let display = resolved
            .and_then(|r| practitioner_name(r, index))
            .or_else(|| text(actor, "/display").map(tidy));
        let Some(display) = display else {
            out.errors.push(e.error(
                "participant.actor",
                reference.unwrap_or(""),
                "this practitioner is not in the file and the reference has no display name",
            ));
            continue;
        };
        let lead = array(p, "type")
            .iter()
            .flat_map(|t| array(t, "coding"))
            .any(|c| matches!(text(c, "/code"), Some("ATND" | "PPRF")));
        found.push((lead, display));
    }
    found.sort_by_key(|(lead, _)| !*lead);
    if found.len() > 1 {
        out.warnings.push(Warning::at(
            e.origin,
            format!(
                "{} practitioners on one appointment; {} is used",
                found.len(),
                found[0].1
            ),
        ));
    }
    found.into_iter().next().map(|(_, d)| d)
}

/// "Dr Adam Careful" from a Practitioner; a PractitionerRole is named by its practitioner.
fn practitioner_name(e: &Entry<'_>, index: &Index<'_>) -> Option<String> {
    let r = e.resource;
    if e.kind() == "PractitionerRole" {
        let inner = text(r, "/practitioner/reference").and_then(|x| index.resolve(x));
        return inner
            .and_then(|p| practitioner_name(p, index))
            .or_else(|| text(r, "/practitioner/display").map(tidy));
    }
    let n = array(r, "name")
        .iter()
        .find(|n| text(n, "/use") != Some("old"))?;
    if let Some(t) = text(n, "/text") {
        return Some(tidy(t));
    }
    let parts: Vec<&str> = array(n, "prefix")
        .iter()
        .chain(array(n, "given"))
        .filter_map(Value::as_str)
        .chain(text(n, "/family"))
        .collect();
    (!parts.is_empty())
        .then(|| tidy(&parts.join(" ")))
        .or_else(|| name(r).map(|(g, f)| format!("{g} {f}")))
}

/// appointmentType, else the first serviceType: its text, else a coding's display or code.
fn type_name(r: &Value) -> Option<String> {
    let concept = |v: &Value| {
        text(v, "/text").map(tidy).or_else(|| {
            array(v, "coding")
                .iter()
                .find_map(|c| text(c, "/display").or_else(|| text(c, "/code")).map(tidy))
        })
    };
    r.get("appointmentType")
        .and_then(concept)
        .or_else(|| array(r, "serviceType").first().and_then(concept))
}
