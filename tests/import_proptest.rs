//! Whatever bytes a file holds, the CSV and FHIR readers answer with records and errors —
//! they never panic. Arbitrary bytes, and bytes built from the characters that matter to
//! each format (delimiters, quotes, line breaks, braces, digits, separators of dates).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use frontdesk::domain::import::aliases::Field;
use frontdesk::domain::import::csv::{CsvOptions, read as read_csv};
use frontdesk::domain::import::fhir::read as read_fhir;
use frontdesk::domain::import::{Origin, ReadContext};
use proptest::prelude::*;

fn ctx() -> ReadContext<'static> {
    ReadContext {
        time_zone: chrono_tz::America::New_York,
        region: "US",
        today: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
    }
}

/// Every error names a line or an entry that exists (lines from 1).
fn origins_are_sane(errors: &[frontdesk::domain::import::RecordError]) -> bool {
    errors.iter().all(|e| match e.origin {
        Origin::Line(n) => n >= 1,
        Origin::Entry(_) => true,
    })
}

const HEADER: &str = "Appt ID,Patient ID,Last Name,First Name,DOB,Mobile,Appt Date,Start Time,End Time,Provider,Status,Text OK,Text OK Date\n";

fn csv_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just(",".to_string()),
            Just(";".to_string()),
            Just("\t".to_string()),
            Just("\"".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("/".to_string()),
            Just(":".to_string()),
            Just("-".to_string()),
            Just(" PM".to_string()),
            Just("02/30/2026".to_string()),
            Just("11/25/2026".to_string()),
            Just("9:30".to_string()),
            Just("Y".to_string()),
            "[0-9]{1,4}",
            "[A-Za-zéñ' ]{1,8}",
            Just("\u{feff}".to_string()),
            Just("(201) 555-01".to_string()),
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

fn json_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("{".to_string()),
            Just("}".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just(",".to_string()),
            Just(":".to_string()),
            Just("\n".to_string()),
            Just("\"resourceType\"".to_string()),
            Just("\"Bundle\"".to_string()),
            Just("\"entry\"".to_string()),
            Just("\"resource\"".to_string()),
            Just("\"Appointment\"".to_string()),
            Just("\"Patient\"".to_string()),
            Just("\"participant\"".to_string()),
            Just("\"actor\"".to_string()),
            Just("\"reference\"".to_string()),
            Just("\"Patient/1\"".to_string()),
            Just("\"start\"".to_string()),
            Just("\"2026-11-25T09:00:00Z\"".to_string()),
            Just("\"status\"".to_string()),
            Just("\"booked\"".to_string()),
            Just("\"telecom\"".to_string()),
            Just("\"fullUrl\"".to_string()),
            Just("\"urn:uuid:1\"".to_string()),
            "[0-9]{1,3}",
            Just("null".to_string()),
        ],
        0..80,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 400,
        // Failures kept under tests/, not in a folder at the crate's top.
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
            "tests/proptest-regressions/import_proptest.txt",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic_either_reader(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let maps = vec![(Field::Mobile, "Cell".to_string())];
        let p = read_csv(&bytes, &CsvOptions { ctx: ctx(), mappings: &maps });
        prop_assert!(origins_are_sane(&p.errors));
        let f = read_fhir(&bytes, ctx(), 0);
        prop_assert!(origins_are_sane(&f.errors));
    }

    #[test]
    fn csv_shaped_noise_under_a_real_header_never_panics(body in csv_like()) {
        let text = format!("{HEADER}{body}");
        let p = read_csv(text.as_bytes(), &CsvOptions { ctx: ctx(), mappings: &[] });
        prop_assert!(origins_are_sane(&p.errors));
        // Every data line is accounted for: a record, an error, or a note.
        prop_assert!(p.appointments.len() <= text.lines().count());
    }

    #[test]
    fn json_shaped_noise_never_panics(text in json_like()) {
        let f = read_fhir(text.as_bytes(), ctx(), 0);
        prop_assert!(origins_are_sane(&f.errors));
    }
}
