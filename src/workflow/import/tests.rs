use super::*;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::{ConsentKind, ConsentMethod};
use crate::domain::ids::PatientId;
use crate::domain::import::csv::{CsvOptions, read};
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 0).unwrap()
}

const HEADER: &str = "Appt ID,Patient ID,Last Name,First Name,Mobile Phone,Text OK,Appt Date,Start Time,Duration,Provider,Appt Type,Status\n";

/// One row; `when` is the date and time cells, "11/25/2026,9:00 AM".
fn row(
    appt: &str,
    patient: &str,
    last: &str,
    mobile: &str,
    text_ok: &str,
    when: &str,
    status: &str,
) -> String {
    format!(
        "{appt},{patient},{last},Ada,{mobile},{text_ok},{when},30,\"OKAFOR, ADA MD\",Annual physical,{status}\n"
    )
}

fn file() -> String {
    format!(
        "{HEADER}{}{}",
        row(
            "A1",
            "P1",
            "Lovelace",
            "2015550134",
            "Y",
            "11/25/2026,9:00 AM",
            "Scheduled"
        ),
        row(
            "A2",
            "P2",
            "Hopper",
            "2015550135",
            "",
            "11/25/2026,10:00 AM",
            "Confirmed"
        ),
    )
}

fn import(store: &mut Store, text: &str, opts: Options<'_>) -> Outcome {
    let config = Config::default();
    let parsed = read(
        text.as_bytes(),
        &CsvOptions {
            ctx: read_context(&config, now()),
            mappings: &[],
        },
    );
    let source = Source::new(SourceKind::Csv, "schedule.csv", text.as_bytes());
    run(store, &config, &Gate::default(), parsed, &source, opts).unwrap()
}

fn opts() -> Options<'static> {
    Options {
        dry_run: false,
        cancel_missing: false,
        actor: "desk",
        now: now(),
    }
}

fn count(store: &Store, sql: &str) -> i64 {
    store.test_conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn an_import_adds_and_the_same_file_again_changes_nothing_and_says_so() {
    let mut store = Store::open_in_memory().unwrap();
    let first = import(&mut store, &file(), opts());
    assert!(first.written);
    assert_eq!(
        (first.report.patients.added, first.report.appointments.added),
        (2, 2)
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM clinicians"), 1);
    let label: String = store
        .test_conn()
        .query_row("SELECT sms_label FROM appointment_types", [], |r| r.get(0))
        .unwrap();
    assert_eq!(label, "Appointment", "a new type's label is neutral");

    let again = import(&mut store, &file(), opts());
    assert!(again.report.unchanged(), "{:#?}", again.report);
    assert_eq!(
        (
            again.report.patients.unchanged,
            again.report.appointments.unchanged
        ),
        (2, 2)
    );
    assert!(
        again
            .report
            .human("schedule.csv", false)
            .contains("nothing changed")
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM appointments"), 2);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM consent_events"), 1);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM audit WHERE action = 'import'"),
        2
    );
}

#[test]
fn one_bad_row_writes_nothing_and_every_error_is_reported() {
    let mut store = Store::open_in_memory().unwrap();
    let text = format!(
        "{}{}{}",
        file(),
        row(
            "A3",
            "P3",
            "Ng",
            "12",
            "",
            "02/30/2026,9:00 AM",
            "Scheduled"
        ),
        row(
            "A4",
            "P4",
            "Li",
            "2015550136",
            "",
            "11/26/2026,9:00 AM",
            "Teleported"
        ),
    );
    let out = import(&mut store, &text, opts());
    assert!(!out.written);
    assert_eq!(out.report.errors.len(), 3, "{:#?}", out.report.errors);
    assert_eq!(out.report.appointments.rejected, 2);
    for table in [
        "patients",
        "appointments",
        "clinicians",
        "consent_events",
        "audit",
    ] {
        assert_eq!(
            count(&store, &format!("SELECT COUNT(*) FROM {table}")),
            0,
            "{table}"
        );
    }
}

#[test]
fn a_dry_run_reports_and_writes_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let out = import(
        &mut store,
        &file(),
        Options {
            dry_run: true,
            ..opts()
        },
    );
    assert!(!out.written);
    assert_eq!(out.report.appointments.added, 2);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM appointments"), 0);
}

#[test]
fn consent_evidence_names_the_import_and_the_audit_names_no_one() {
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &file(), opts());
    let p1 = store::imports::find_key(store.test_conn(), store::imports::KeyKind::Patient, "P1")
        .unwrap()
        .unwrap();
    let events = store::consent::events(store.test_conn(), PatientId(p1)).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].kind, events[0].method),
        (ConsentKind::OptIn, ConsentMethod::Import)
    );
    let sha = sha256_hex(file().as_bytes());
    assert_eq!(
        events[0].evidence.as_deref(),
        Some(format!("import schedule.csv sha256:{} line 2", &sha[..16]).as_str())
    );
    let details: Vec<String> = store
        .test_conn()
        .prepare("SELECT detail FROM audit")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let import_detail = details
        .iter()
        .find(|d| d.contains("\"source\":\"csv\""))
        .unwrap();
    assert!(import_detail.contains(&sha), "{import_detail}");
    for d in &details {
        for phi in ["Lovelace", "Hopper", "Ada", "2015550134", "5550134"] {
            assert!(!d.contains(phi), "{phi} in audit: {d}");
        }
    }
}

#[test]
fn an_import_never_turns_an_opt_out_into_an_opt_in() {
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &file(), opts());
    let p1 = PatientId(
        store::imports::find_key(store.test_conn(), store::imports::KeyKind::Patient, "P1")
            .unwrap()
            .unwrap(),
    );
    let stop = crate::domain::consent::ConsentEvent {
        kind: ConsentKind::OptOut,
        method: ConsentMethod::SmsKeyword,
        evidence: Some("SM1".into()),
        recorded_by: "system".into(),
        at: now() + chrono::Duration::hours(1),
    };
    crate::workflow::consent::record(&mut store, p1, &stop).unwrap();
    let later = Options {
        now: now() + chrono::Duration::hours(2),
        ..opts()
    };
    let out = import(&mut store, &file(), later);
    assert!(
        out.report
            .warnings
            .iter()
            .any(|w| w.message.contains("opted out"))
    );
    let events = store::consent::events(store.test_conn(), p1).unwrap();
    assert_eq!(events.last().unwrap().kind, ConsentKind::OptOut);
    assert_eq!(events.len(), 2);
}

#[test]
fn a_moved_appointment_is_rescheduled_in_place() {
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &file(), opts());
    let moved = file().replace("11/25/2026,9:00 AM", "11/27/2026,11:30 AM");
    let out = import(&mut store, &moved, opts());
    assert_eq!(
        (
            out.report.appointments.changed,
            out.report.appointments.unchanged
        ),
        (1, 1)
    );
    let a1 = store::imports::appointments_by_keys(store.test_conn(), ["A1"]).unwrap()["A1"].clone();
    assert_eq!(
        a1.start,
        chrono_tz::America::New_York
            .with_ymd_and_hms(2026, 11, 27, 11, 30, 0)
            .unwrap()
            .with_timezone(&Utc)
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM appointments"), 2);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM audit WHERE action = 'appointment.import_change'"
        ),
        1
    );
}

#[test]
fn missing_appointments_are_listed_then_cancelled_only_with_the_flag() {
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &file(), opts());
    let without_a2 = format!(
        "{HEADER}{}",
        row(
            "A1",
            "P1",
            "Lovelace",
            "2015550134",
            "Y",
            "11/25/2026,9:00 AM",
            "Scheduled"
        )
    );
    let listed = import(&mut store, &without_a2, opts());
    assert!(listed.report.warnings.iter().any(|w| w.message.contains("appointment A2") && w.message.contains("--cancel-missing")));
    let a2 = |store: &Store| {
        store::imports::appointments_by_keys(store.test_conn(), ["A2"]).unwrap()["A2"].status
    };
    assert_eq!(a2(&store), AppointmentStatus::Confirmed);
    let out = import(
        &mut store,
        &without_a2,
        Options {
            cancel_missing: true,
            ..opts()
        },
    );
    assert_eq!(out.report.appointments.changed, 1);
    assert_eq!(a2(&store), AppointmentStatus::Cancelled);
}

#[test]
fn a_clinician_name_that_reads_as_clinical_detail_is_refused() {
    let mut store = Store::open_in_memory().unwrap();
    let text = file().replace("\"OKAFOR, ADA MD\"", "Chemotherapy infusion chair 2");
    let out = import(&mut store, &text, opts());
    assert!(!out.written);
    assert_eq!(
        out.report.errors[0].field, "clinician",
        "{:?}",
        out.report.errors
    );
}
