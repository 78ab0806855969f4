use super::*;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::import::ConsentAnswer;
use crate::domain::import::csv::tests::ctx;
use serde_json::json;

fn patient(id: &str, telecom: Value) -> Value {
    json!({
        "resourceType": "Patient", "id": id,
        "identifier": [{"system": "urn:oid:1.2.3", "value": format!("MRN-{id}"),
                        "type": {"coding": [{"code": "MR"}]}}],
        "name": [{"use": "official", "family": "Okafor", "given": ["Ada", "Marie"]}],
        "birthDate": "1980-05-17",
        "telecom": telecom
    })
}

fn appointment(id: &str, status: &str, patient_ref: &str) -> Value {
    json!({
        "resourceType": "Appointment", "id": id, "status": status,
        "start": "2026-11-25T09:30:00-05:00", "end": "2026-11-25T10:00:00-05:00",
        "appointmentType": {"coding": [{"code": "FOLLOWUP", "display": "A follow up visit"}]},
        "participant": [
            {"actor": {"reference": patient_ref}},
            {"actor": {"reference": "Practitioner/dr1", "display": "Dr. Ada Ng"}}
        ]
    })
}

fn bundle(kind: &str, entries: Vec<(Option<&str>, Value)>) -> Vec<u8> {
    let entry: Vec<Value> = entries
        .into_iter()
        .map(|(url, r)| match url {
            Some(u) => json!({"fullUrl": u, "resource": r}),
            None => json!({"resource": r}),
        })
        .collect();
    serde_json::to_vec(&json!({"resourceType": "Bundle", "type": kind, "entry": entry})).unwrap()
}

fn mobile(v: &str) -> Value {
    json!([{"system": "phone", "use": "mobile", "value": v}])
}

#[test]
fn a_transaction_bundle_with_urn_uuid_references() {
    let bytes = bundle(
        "transaction",
        vec![
            (Some("urn:uuid:p-1"), {
                let mut p = patient("p1", mobile("(201) 555-0134"));
                p.as_object_mut().unwrap().remove("id");
                p
            }),
            (
                Some("urn:uuid:a-1"),
                appointment("a1", "booked", "urn:uuid:p-1"),
            ),
        ],
    );
    let p = read(&bytes, ctx(), 0);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.patients[0].keys, vec!["urn:oid:1.2.3|MRN-p1"]);
    assert_eq!(p.patients[0].first_name, "Ada");
    let a = &p.appointments[0];
    assert_eq!(a.patient_key, "urn:oid:1.2.3|MRN-p1");
    assert_eq!(a.keys, vec!["Appointment/a1"]);
    assert_eq!(a.minutes, Some(30));
    assert_eq!(a.clinician.as_deref(), Some("Dr. Ada Ng"));
    assert_eq!(a.type_name.as_deref(), Some("A follow up visit"));
    assert_eq!(a.start.to_rfc3339(), "2026-11-25T14:30:00+00:00");
}

#[test]
fn relative_references_match_absolute_full_urls() {
    let bytes = bundle(
        "searchset",
        vec![
            (
                Some("https://ehr.example/fhir/Appointment/a1"),
                appointment("a1", "booked", "Patient/p1"),
            ),
            (
                Some("https://ehr.example/fhir/Patient/p1"),
                patient("p1", mobile("2015550134")),
            ),
        ],
    );
    let p = read(&bytes, ctx(), 0);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.appointments[0].patient_key, "urn:oid:1.2.3|MRN-p1");
    assert_eq!(
        p.patients[0].keys,
        vec!["urn:oid:1.2.3|MRN-p1", "Patient/p1"]
    );
}

#[test]
fn every_r4_appointment_status_has_a_meaning() {
    use appointment::{StatusMeaning, status_meaning};
    let all = [
        "proposed",
        "pending",
        "booked",
        "arrived",
        "fulfilled",
        "cancelled",
        "noshow",
        "entered-in-error",
        "checked-in",
        "waitlist",
    ];
    for code in all {
        assert!(status_meaning(code).is_some(), "{code}");
    }
    assert_eq!(
        status_meaning("noshow"),
        Some(StatusMeaning::Status(AppointmentStatus::NoShow))
    );
    assert_eq!(
        status_meaning("fulfilled"),
        Some(StatusMeaning::Status(AppointmentStatus::Completed))
    );
    assert_eq!(
        status_meaning("checked-in"),
        Some(StatusMeaning::Status(AppointmentStatus::Arrived))
    );
    assert_eq!(status_meaning("waitlist"), Some(StatusMeaning::NotBooked));
    assert_eq!(
        status_meaning("entered-in-error"),
        Some(StatusMeaning::EnteredInError)
    );
    assert_eq!(status_meaning("Booked"), None);
}

#[test]
fn proposed_is_skipped_and_an_unknown_status_is_an_error() {
    let bytes = bundle(
        "collection",
        vec![
            (None, patient("p1", mobile("2015550134"))),
            (None, appointment("a1", "proposed", "Patient/p1")),
            (None, appointment("a2", "teleported", "Patient/p1")),
            (None, appointment("a3", "entered-in-error", "Patient/p1")),
        ],
    );
    let p = read(&bytes, ctx(), 0);
    assert_eq!(p.errors.len(), 1);
    assert_eq!(
        (p.errors[0].origin, p.errors[0].field.as_str()),
        (Origin::Entry(2), "status")
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.origin == Some(Origin::Entry(1)) && w.message.contains("proposed"))
    );
    assert_eq!(p.appointments.len(), 1);
    assert_eq!(p.appointments[0].status, AppointmentStatus::Cancelled);
}

#[test]
fn the_mobile_is_chosen_from_telecom() {
    let telecom = json!([
        {"system": "phone", "use": "home", "value": "201-555-0100"},
        {"system": "phone", "use": "mobile", "value": "201-555-0199", "rank": 2},
        {"system": "phone", "use": "mobile", "value": "201-555-0111", "rank": 1},
        {"system": "phone", "use": "mobile", "value": "201-555-0122", "period": {"end": "2014"}},
        {"system": "email", "value": "ada@example.org"}
    ]);
    let p = read(
        &serde_json::to_vec(&patient("p1", telecom)).unwrap(),
        ctx(),
        0,
    );
    assert_eq!(
        p.patients[0].mobile.as_ref().unwrap().as_str(),
        "+12015550111"
    );
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);

    let home_only = json!([
        {"system": "phone", "use": "home", "value": "201-555-0100", "period": {"end": "2002-01-01"}},
        {"system": "phone", "use": "work", "value": "201-555-0133"},
        {"system": "phone", "use": "home", "value": "201-555-0144"}
    ]);
    let p = read(
        &serde_json::to_vec(&patient("p1", home_only)).unwrap(),
        ctx(),
        0,
    );
    assert_eq!(
        p.patients[0].mobile.as_ref().unwrap().as_str(),
        "+12015550144"
    );
    assert!(
        p.warnings[0].message.contains("home phone ending 0144"),
        "{:?}",
        p.warnings
    );

    let bad = mobile("(03) 3410 5613");
    let p = read(&serde_json::to_vec(&patient("p1", bad)).unwrap(), ctx(), 0);
    assert_eq!(p.errors[0].field, "telecom");
    assert_eq!(p.errors[0].value, "(03) 3410 5613");
}

#[test]
fn ndjson_lines_are_entries_with_their_line_numbers() {
    let text = format!(
        "{}\n\n{}\n{{not json\n",
        patient("p1", mobile("2015550134")),
        appointment("a1", "booked", "Patient/p1")
    );
    let p = read(text.as_bytes(), ctx(), 0);
    assert_eq!(p.patients.len(), 1);
    assert_eq!(p.appointments.len(), 1);
    assert_eq!(p.appointments[0].origin, Origin::Line(3));
    assert_eq!(p.errors.len(), 1);
    assert_eq!(p.errors[0].origin, Origin::Line(4));
}

#[test]
fn unsupported_resources_are_counted_in_one_warning() {
    let bytes = bundle(
        "message",
        vec![
            (None, json!({"resourceType": "MessageHeader"})),
            (None, json!({"resourceType": "Observation"})),
            (None, json!({"resourceType": "Observation"})),
            (None, patient("p1", mobile("2015550134"))),
        ],
    );
    let p = read(&bytes, ctx(), 0);
    assert!(p.errors.is_empty());
    assert_eq!(p.warnings.len(), 1);
    assert!(p.warnings[0].message.contains("skipped 3 resource(s)"));
    assert!(p.warnings[0].message.contains("Observation (2)"));
}

#[test]
fn an_sms_consent_resource_becomes_the_patients_consent() {
    let consent = |kind: &str, when: &str| {
        json!({
            "resourceType": "Consent", "status": "active", "dateTime": when,
            "patient": {"reference": "Patient/p1"},
            "category": [{"text": "SMS appointment reminders"}],
            "provision": {"type": kind}
        })
    };
    let bytes = bundle(
        "collection",
        vec![
            (None, patient("p1", mobile("2015550134"))),
            (None, consent("permit", "2025-01-01T10:00:00Z")),
            (None, consent("deny", "2026-02-01T10:00:00Z")),
            (
                None,
                json!({"resourceType": "Consent", "status": "active", "patient": {"reference": "Patient/p1"},
                           "category": [{"text": "research"}], "provision": {"type": "permit"}}),
            ),
        ],
    );
    let p = read(&bytes, ctx(), 0);
    let c = p.patients[0].consent.unwrap();
    assert_eq!(c.answer, ConsentAnswer::No, "the newer deny wins");
    assert_eq!(c.origin, Origin::Entry(2));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.message.contains("not about text messages"))
    );
}

#[test]
fn a_practitioner_role_names_its_practitioner() {
    let mut a = appointment("a1", "booked", "Patient/p1");
    a["participant"][1] = json!({"actor": {"reference": "PractitionerRole/r1"}});
    let bytes = bundle(
        "searchset",
        vec![
            (None, a),
            (None, patient("p1", mobile("2015550134"))),
            (
                None,
                json!({"resourceType": "PractitionerRole", "id": "r1",
                          "practitioner": {"reference": "Practitioner/x"}}),
            ),
            (
                None,
                json!({"resourceType": "Practitioner", "id": "x",
                          "name": [{"prefix": ["Dr."], "given": ["Linh"], "family": "Nguyễn"}]}),
            ),
        ],
    );
    let p = read(&bytes, ctx(), 0);
    assert_eq!(
        p.appointments[0].clinician.as_deref(),
        Some("Dr. Linh Nguyễn")
    );
}

#[test]
fn next_links_are_found() {
    let page = json!({"resourceType": "Bundle", "type": "searchset",
        "link": [{"relation": "self", "url": "a"}, {"relation": "next", "url": "https://x/fhir?page=2"}]});
    assert_eq!(
        next_link(&serde_json::to_vec(&page).unwrap()).as_deref(),
        Some("https://x/fhir?page=2")
    );
    assert_eq!(next_link(b"{}"), None);
}

#[test]
fn broken_json_is_one_error_with_its_line() {
    let p = read(b"{\n \"resourceType\": \"Bundle\",\n", ctx(), 0);
    assert_eq!(p.errors.len(), 1);
    assert!(p.errors[0].problem.contains("ends early"), "{:?}", p.errors);
    let p = read(b"", ctx(), 0);
    assert!(p.errors[0].problem.contains("empty"));
    let p = read(b"[1, 2]", ctx(), 0);
    assert!(p.errors[0].problem.contains("JSON object"));
}
