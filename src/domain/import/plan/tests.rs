use super::*;
use crate::domain::consent::ConsentMethod;
use crate::domain::import::{ConsentRecord, Origin, PatientRecord};
use chrono::TimeZone;

fn t(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
}

fn patient(key: &str, consent: Option<ConsentAnswer>) -> PatientRecord {
    PatientRecord {
        origin: Origin::Line(2),
        keys: vec![key.into()],
        first_name: "Ada".into(),
        last_name: "Okafor".into(),
        birth_date: None,
        mobile: None,
        consent: consent.map(|answer| ConsentRecord {
            answer,
            given: None,
            origin: Origin::Line(2),
        }),
    }
}

fn appt(
    key: &str,
    patient: &str,
    start: DateTime<Utc>,
    status: AppointmentStatus,
) -> AppointmentRecord {
    AppointmentRecord {
        origin: Origin::Line(3),
        keys: vec![key.into()],
        patient_key: patient.into(),
        clinician: Some("Dr. Ng".into()),
        type_name: Some("Chemo infusion".into()),
        start,
        minutes: Some(30),
        status,
    }
}

fn known_patient(id: i64, consent: ConsentState) -> KnownPatient {
    KnownPatient {
        id: PatientId(id),
        first_name: "Ada".into(),
        last_name: "Okafor".into(),
        birth_date: None,
        mobile: None,
        consent,
    }
}

fn known_appt(id: i64, start: DateTime<Utc>, status: AppointmentStatus) -> KnownAppointment {
    KnownAppointment {
        id: AppointmentId(id),
        external_id: Some(format!("A{id}")),
        patient_id: PatientId(1),
        clinician_id: ClinicianId(1),
        type_id: AppointmentTypeId(1),
        start,
        minutes: 30,
        status,
    }
}

/// A practice that already has patient P1, clinician Dr. Ng, type "Chemo infusion" and
/// appointment A1 at 25th 14:00.
fn known() -> Known {
    let mut k = Known::default();
    k.patients
        .insert("P1".into(), known_patient(1, ConsentState::None));
    k.clinicians.push((ClinicianId(1), "Dr. Ng".into()));
    k.types
        .push((AppointmentTypeId(1), "Chemo infusion".into(), 30));
    k.appointments.insert(
        "A1".into(),
        known_appt(1, t(25, 14), AppointmentStatus::Booked),
    );
    k
}

fn parsed(patients: Vec<PatientRecord>, appointments: Vec<AppointmentRecord>) -> Parsed {
    Parsed {
        patients,
        appointments,
        ..Parsed::default()
    }
}

#[test]
fn the_same_data_again_changes_nothing() {
    let p = plan(
        parsed(
            vec![patient("P1", None)],
            vec![appt("A1", "P1", t(25, 14), AppointmentStatus::Booked)],
        ),
        &known(),
        false,
    );
    assert!(p.is_noop(), "{p:#?}");
    assert_eq!((p.patients.unchanged, p.appointments.unchanged), (1, 1));
}

#[test]
fn new_people_types_and_clinicians_are_created_once() {
    let p = plan(
        parsed(
            vec![patient("P2", None)],
            vec![
                AppointmentRecord {
                    clinician: Some("dr. kim".into()),
                    type_name: Some("Chemo infusion".into()),
                    ..appt("A2", "P2", t(26, 9), AppointmentStatus::Booked)
                },
                AppointmentRecord {
                    clinician: Some("Dr. Kim".into()),
                    type_name: Some("Physical".into()),
                    ..appt("A3", "P2", t(27, 9), AppointmentStatus::Booked)
                },
            ],
        ),
        &known(),
        false,
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.new_clinicians, vec!["dr. kim"]);
    assert_eq!(p.new_types, vec![("Physical".to_string(), 30)]);
    assert_eq!(
        p.new_appointments[0].type_ref,
        Ref::Known(AppointmentTypeId(1))
    );
    assert_eq!(p.new_appointments[1].clinician, Ref::New(0));
    assert_eq!(p.new_appointments[0].patient, Ref::New(0));
    assert_eq!(p.appointments.added, 2);
}

#[test]
fn a_moved_appointment_is_a_change_that_drops_an_old_confirmation() {
    let mut k = known();
    k.appointments.get_mut("A1").unwrap().status = AppointmentStatus::Confirmed;
    let p = plan(
        parsed(
            vec![],
            vec![appt("A1", "P1", t(26, 10), AppointmentStatus::Booked)],
        ),
        &k,
        false,
    );
    let c = &p.appointment_changes[0];
    assert_eq!(c.moved_from, Some(t(25, 14)));
    assert_eq!(c.start, t(26, 10));
    assert_eq!(
        c.status,
        Some((AppointmentStatus::Confirmed, AppointmentStatus::Booked))
    );
    // Not moved: the SMS confirmation stands against an export that says "Scheduled".
    let p = plan(
        parsed(
            vec![],
            vec![appt("A1", "P1", t(25, 14), AppointmentStatus::Booked)],
        ),
        &k,
        false,
    );
    assert!(p.is_noop());
}

#[test]
fn the_desks_arrival_is_not_undone_by_a_stale_export() {
    assert_eq!(
        merge_status(AppointmentStatus::Arrived, AppointmentStatus::Booked, false).0,
        AppointmentStatus::Arrived
    );
    assert_eq!(
        merge_status(AppointmentStatus::Booked, AppointmentStatus::NoShow, false),
        (AppointmentStatus::NoShow, None)
    );
    assert_eq!(
        merge_status(
            AppointmentStatus::Cancelled,
            AppointmentStatus::Booked,
            false
        )
        .0,
        AppointmentStatus::Booked,
        "the system re-booked it"
    );
}

#[test]
fn missing_appointments_are_listed_and_cancelled_only_on_request() {
    let mut k = known();
    k.imported_in_range = vec![
        known_appt(1, t(25, 14), AppointmentStatus::Booked),
        known_appt(2, t(25, 15), AppointmentStatus::Booked),
        known_appt(3, t(25, 16), AppointmentStatus::Cancelled),
    ];
    let file = || {
        parsed(
            vec![],
            vec![appt("A1", "P1", t(25, 14), AppointmentStatus::Booked)],
        )
    };
    let listed = plan(file(), &k, false);
    assert_eq!(
        listed.missing.iter().map(|a| a.id.0).collect::<Vec<_>>(),
        vec![2]
    );
    assert!(listed.is_noop(), "listing writes nothing");
    let cancel = plan(file(), &k, true);
    assert!(!cancel.is_noop());
}

#[test]
fn an_unknown_patient_reference_is_an_error_naming_it() {
    let p = plan(
        parsed(
            vec![],
            vec![appt(
                "A9",
                "Patient/zz",
                t(25, 9),
                AppointmentStatus::Booked,
            )],
        ),
        &known(),
        false,
    );
    assert_eq!(p.errors[0].field, "patient");
    assert_eq!(p.errors[0].value, "Patient/zz");
    assert_eq!(p.appointments.rejected, 1);
}

#[test]
fn no_clinician_is_fine_with_one_and_an_error_with_several() {
    let r = AppointmentRecord {
        clinician: None,
        ..appt("A9", "P1", t(25, 9), AppointmentStatus::Booked)
    };
    let p = plan(parsed(vec![], vec![r.clone()]), &known(), false);
    assert_eq!(p.new_appointments[0].clinician, Ref::Known(ClinicianId(1)));
    let mut k = known();
    k.clinicians.push((ClinicianId(2), "Dr. Kim".into()));
    let p = plan(parsed(vec![], vec![r]), &k, false);
    assert!(
        p.errors[0].problem.contains("no clinician"),
        "{:?}",
        p.errors
    );
}

#[test]
fn an_import_never_turns_an_opt_out_into_an_opt_in() {
    let out = ConsentState::OptedOut {
        since: t(1, 9),
        method: ConsentMethod::SmsKeyword,
    };
    assert!(consent_decision(ConsentAnswer::Yes, None, &out).is_err());
    let mut k = known();
    k.patients.get_mut("P1").unwrap().consent = out;
    let p = plan(
        parsed(vec![patient("P1", Some(ConsentAnswer::Yes))], vec![]),
        &k,
        false,
    );
    assert!(p.consents.is_empty());
    assert!(p.warnings[0].message.contains("opted out"));
    assert!(p.is_noop());
}

#[test]
fn consent_from_the_file_is_recorded_once() {
    let p = plan(
        parsed(vec![patient("P1", Some(ConsentAnswer::Yes))], vec![]),
        &known(),
        false,
    );
    assert_eq!(p.consents.len(), 1);
    assert_eq!(p.consents[0].kind, ConsentKind::OptIn);
    assert_eq!((p.patients.changed, p.patients.unchanged), (1, 0));
    let opted_in = ConsentState::OptedIn {
        since: t(1, 9),
        method: ConsentMethod::WrittenForm,
        evidence: "F".into(),
    };
    assert_eq!(
        consent_decision(ConsentAnswer::Yes, None, &opted_in),
        Ok(None)
    );
    assert_eq!(
        consent_decision(ConsentAnswer::No, None, &opted_in),
        Ok(Some(ConsentKind::OptOut))
    );
    assert!(
        consent_decision(ConsentAnswer::No, Some(t(1, 8)), &opted_in).is_err(),
        "an older no"
    );
}

#[test]
fn one_id_for_two_different_patients_is_an_error() {
    let mut other = patient("P7", None);
    other.first_name = "Bo".into();
    let p = plan(
        parsed(vec![patient("P7", None), other], vec![]),
        &known(),
        false,
    );
    assert_eq!(p.errors.len(), 1);
    assert_eq!(p.patients.added, 1);
    // The same patient twice (a server's pages repeat included resources) is fine.
    let p = plan(
        parsed(vec![patient("P7", None), patient("P7", None)], vec![]),
        &known(),
        false,
    );
    assert!(p.errors.is_empty());
}

#[test]
fn the_date_range_covers_whole_local_days() {
    let ny = chrono_tz::America::New_York;
    let records = vec![
        appt("A", "P1", t(25, 14), AppointmentStatus::Booked),
        appt("B", "P1", t(27, 3), AppointmentStatus::Booked), // 26th, 22:00 in New York
    ];
    let (from, to) = date_range(&records, ny).unwrap();
    assert_eq!(
        from,
        ny.with_ymd_and_hms(2026, 11, 25, 0, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    );
    assert_eq!(
        to,
        ny.with_ymd_and_hms(2026, 11, 27, 0, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    );
    assert_eq!(date_range(&[], ny), None);
}
