use super::*;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::import::ConsentAnswer;
use chrono::{NaiveDate, TimeZone, Utc};

pub(crate) fn ctx() -> ReadContext<'static> {
    ReadContext {
        time_zone: chrono_tz::America::New_York,
        region: "US",
        today: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
    }
}

fn read_str(text: &str) -> Parsed {
    read(
        text.as_bytes(),
        &CsvOptions {
            ctx: ctx(),
            mappings: &[],
        },
    )
}

fn ny(d: u32, h: u32, m: u32) -> chrono::DateTime<Utc> {
    chrono_tz::America::New_York
        .with_ymd_and_hms(2026, 11, d, h, m, 0)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn an_athena_style_export_with_bom_crlf_and_quotes() {
    let text = "\u{feff}Appt ID,Patient ID,Patient Last Name,Patient First Name,Patient DOB,Mobile Phone,Appt Date,Appt Time,Appt Type,Rendering Provider,Appt Status\r\n\
        A100,P1,\"O'Neill, Jr\",Seán,05/17/1980,(201) 555-0134,11/25/2026,9:30 AM,Annual physical,\"OKAFOR, ADA MD\",Confirmed\r\n\
        \r\n\
        A101,P2,García López,José,1975-01-02,201.555.0199,11/25/2026,2:15 PM,Follow up,\"OKAFOR, ADA MD\",Scheduled\r\n";
    let p = read_str(text);
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    assert_eq!(p.patients.len(), 2);
    assert_eq!(p.patients[0].last_name, "O'Neill, Jr");
    assert_eq!(p.patients[0].first_name, "Seán");
    assert_eq!(
        p.patients[0].mobile.as_ref().unwrap().as_str(),
        "+12015550134"
    );
    assert_eq!(
        p.patients[1].birth_date,
        NaiveDate::from_ymd_opt(1975, 1, 2)
    );
    let a = &p.appointments[0];
    assert_eq!(a.keys, vec!["A100"]);
    assert_eq!(a.patient_key, "P1");
    assert_eq!(a.start, ny(25, 9, 30));
    assert_eq!(a.status, AppointmentStatus::Confirmed);
    assert_eq!(a.clinician.as_deref(), Some("Ada Okafor, MD"));
    assert_eq!(a.type_name.as_deref(), Some("Annual physical"));
    assert_eq!(p.appointments[1].start, ny(25, 14, 15));
}

#[test]
fn semicolons_and_tabs_are_detected() {
    for d in [";", "\t", "|"] {
        let text =
            format!("Chart #{d}Last Name{d}First Name{d}Cell Phone\n7{d}Ng{d}Chloé{d}2015550111\n");
        let p = read_str(&text);
        assert!(p.errors.is_empty(), "{d:?}: {:?}", p.errors);
        assert_eq!(p.patients[0].first_name, "Chloé", "{d:?}");
    }
}

#[test]
fn title_lines_above_the_header_and_a_totals_line_are_skipped() {
    let text = "Appointment Report\nDate range: 11/25/2026 - 11/25/2026\n\nPatient ID,Last Name,First Name,Appointment Date,Start Time,Provider\n1,Okafor,Ada,11/25/2026,09:00,Dr. Okafor\nTotal: 1,,,,,\n";
    let p = read_str(text);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.appointments.len(), 1);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.message.contains("above the header"))
    );
    assert!(p.warnings.iter().any(|w| w.message.contains("totals")));
}

#[test]
fn a_patient_list_without_appointments() {
    let p = read_str(
        "MRN,First,Last,DOB,Text OK,Text OK Date\n9,Ada,Okafor,1980-05-17,Y,2026-01-15\n10,Bo,Li,,N,\n",
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert!(p.appointments.is_empty());
    let c = p.patients[0].consent.unwrap();
    assert_eq!(c.answer, ConsentAnswer::Yes);
    assert_eq!(
        c.given,
        Some(
            chrono_tz::America::New_York
                .with_ymd_and_hms(2026, 1, 15, 0, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        )
    );
    assert_eq!(p.patients[1].consent.unwrap().answer, ConsentAnswer::No);
}

#[test]
fn every_bad_row_is_reported_not_only_the_first() {
    let text = "Appt ID,Patient ID,Last Name,First Name,Mobile,Appt Date,Start Time,Status,Provider\n\
        1,P1,Okafor,Ada,2015550134,02/30/2026,9:00,Scheduled,Dr A\n\
        2,P2,Ng,Bo,12,11/25/2026,9:00,Scheduled,Dr A\n\
        3,P3,Li,Cy,2015550135,11/25/2026,9:00,Teleported,Dr A\n\
        4,P4,Ito,Di,2015550136,11/25/2026,9:00,Scheduled,Dr A\n\
        4,P5,Wu,Ed,2015550137,11/25/2026,10:00,Scheduled,Dr A\n";
    let p = read_str(text);
    let lines: Vec<(u64, &str)> = p
        .errors
        .iter()
        .map(|e| match e.origin {
            Origin::Line(l) => (l, e.field.as_str()),
            Origin::Entry(_) => panic!(),
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            (2, "Appt Date"),
            (3, "Mobile"),
            (4, "Status"),
            (6, "Appt ID")
        ],
        "{:#?}",
        p.errors
    );
    assert!(p.errors[0].problem.contains("February has no day 30"));
    assert_eq!(p.errors[1].value, "12");
    assert!(p.errors[3].problem.contains("also on line 5"));
    assert_eq!(p.appointments.len(), 1, "only line 5 is good");
}

#[test]
fn a_missing_column_is_one_clear_error() {
    let p = read_str(
        "Patient ID,Last Name,First Name,Appt Date,Provider\n1,Okafor,Ada,11/25/2026,Dr A\n2,Ng,Bo,11/26/2026,Dr A\n",
    );
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
    assert_eq!(p.errors[0].field, "start_time");
    assert!(p.errors[0].problem.contains("missing column"));
    assert_eq!(p.rejected_appointments, 2);
    let p = read_str("Patient ID,First Name,Appt Date,Start Time\n1,Ada,11/25/2026,9:00\n");
    assert!(
        p.errors
            .iter()
            .any(|e| e.field == "last_name" && e.problem.contains("missing column"))
    );
}

#[test]
fn non_utf8_names_the_line_and_keeps_reading() {
    let mut bytes = b"Patient ID,Last Name,First Name\n1,Okafor,Ada\n2,Garc".to_vec();
    bytes.push(0xED); // í in Windows-1252
    bytes.extend_from_slice(b"a,Jos\xE9\n3,Ng,Bo\n");
    let p = read(
        &bytes,
        &CsvOptions {
            ctx: ctx(),
            mappings: &[],
        },
    );
    assert_eq!(p.errors.len(), 1);
    assert_eq!(p.errors[0].origin, Origin::Line(3));
    assert!(p.errors[0].problem.contains("UTF-8"));
    assert_eq!(p.patients.len(), 2);
}

#[test]
fn utf16_is_refused_with_what_to_do() {
    let p = read(
        &[0xFF, 0xFE, b'a', 0],
        &CsvOptions {
            ctx: ctx(),
            mappings: &[],
        },
    );
    assert!(p.errors[0].problem.contains("CSV UTF-8"));
}

#[test]
fn maps_name_columns_the_aliases_do_not_know() {
    let mappings = vec![
        (Field::Mobile, "Cell #".to_string()),
        (Field::Clinician, "Doc".to_string()),
    ];
    let text = "Patient ID,Last Name,First Name,Cell #,Appt Date,Start Time,Doc\n1,Okafor,Ada,2015550134,2026-11-25,14:00,Dr. Ng\n";
    let p = read(
        text.as_bytes(),
        &CsvOptions {
            ctx: ctx(),
            mappings: &mappings,
        },
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert!(p.patients[0].mobile.is_some());
    assert_eq!(p.appointments[0].clinician.as_deref(), Some("Dr. Ng"));
    let wrong = vec![(Field::Mobile, "Portable".to_string())];
    let p = read(
        text.as_bytes(),
        &CsvOptions {
            ctx: ctx(),
            mappings: &wrong,
        },
    );
    assert!(
        p.errors[0].problem.contains("its columns are"),
        "{:?}",
        p.errors
    );
}

#[test]
fn one_patient_over_several_rows_must_agree() {
    let text = "Patient ID,Last Name,First Name,Appt Date,Start Time,Provider\n1,Okafor,Ada,11/25/2026,9:00,A\n1,Okafor,Ada,11/26/2026,9:00,A\n1,Smith,Ada,11/27/2026,9:00,A\n";
    let p = read_str(text);
    assert_eq!(p.patients.len(), 1);
    assert_eq!(p.appointments.len(), 2);
    assert_eq!(p.errors.len(), 1);
    assert!(p.errors[0].problem.contains("on line 2"), "{:?}", p.errors);
}

#[test]
fn openemr_columns_and_status_symbols() {
    let text = "pc_eid,pubpid,fname,lname,DOB,phone_cell,hipaa_allowsms,pc_eventDate,pc_startTime,pc_duration,pc_apptstatus,pc_title\n\
        55,1001,ADA,OKAFOR,1980-05-17,201-555-0134,YES,2026-11-25,09:00:00,900,@,Office Visit\n";
    let p = read_str(text);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.patients[0].first_name, "Ada");
    assert_eq!(p.appointments[0].minutes, Some(15));
    assert_eq!(p.appointments[0].status, AppointmentStatus::Arrived);
    assert_eq!(p.patients[0].consent.unwrap().answer, ConsentAnswer::Yes);
}

#[test]
fn end_time_gives_the_length_and_one_cell_may_hold_date_and_time() {
    let text = "AppointmentId,PatientId,PatientName,StartTime,EndTime,Resource\n9,4,\"Li, Bo\",2026-11-25T09:00:00,2026-11-25T09:45:00,Dr. Ng\n";
    let p = read_str(text);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.appointments[0].start, ny(25, 9, 0));
    assert_eq!(p.appointments[0].minutes, Some(45));
    assert_eq!(
        (
            p.patients[0].first_name.as_str(),
            p.patients[0].last_name.as_str()
        ),
        ("Bo", "Li")
    );
}

#[test]
fn no_header_at_all() {
    let p = read_str("just,some\nnumbers,here\n");
    assert!(p.errors[0].problem.contains("no header row"));
    let p = read_str("");
    assert!(p.errors[0].problem.contains("no header row"));
}

#[test]
fn line_numbers_count_blank_lines_and_crlf() {
    let p = read_str(
        "Report title\r\nDate range\r\n\r\nPatient ID,Last Name,First Name\r\n1,Okafor,Ada\r\n\r\n2,Ng,Bo\r\n",
    );
    let lines: Vec<Origin> = p.patients.iter().map(|p| p.origin).collect();
    assert_eq!(lines, vec![Origin::Line(5), Origin::Line(7)]);
}
