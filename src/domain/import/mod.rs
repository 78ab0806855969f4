//! Importing a practice's schedule: CSV exports of practice-management systems and FHIR R4.
//!
//! Pure: bytes or JSON in, typed records and per-record errors out — never stopping at the
//! first bad record, so one report can name every problem in a file. No IO, no clock (the
//! caller passes what it needs), no database. May import std, chrono(-tz), serde(_json),
//! thiserror, regex, `csv` (a pure parser over a byte slice) and `domain::phone`.
//!
//! * [`csv`] reads an export: delimiter detection, header aliases ([`aliases`]), `--map`.
//! * [`fhir`] reads a Bundle, a single resource or NDJSON.
//! * [`fields`] reads the values both share: dates, times, statuses, durations, consent.
//! * [`plan`] decides what an import does to the practice's data (add, change, leave).
//! * [`report`] is what the commands print.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Serialize, Serializer};

use super::appointment::AppointmentStatus;
use super::phone::E164;

pub mod aliases;
pub mod csv;
pub mod fhir;
pub mod fields;
pub mod names;
pub mod plan;
pub mod report;

/// Where in the file a record came from: a CSV or NDJSON line (1-based), or a Bundle entry
/// (0-based, as FHIRPath counts `Bundle.entry[n]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    Line(u64),
    Entry(usize),
}

impl Origin {
    /// "line 14" / "entry 3", for reports and consent evidence.
    pub fn describe(self) -> String {
        match self {
            Self::Line(n) => format!("line {n}"),
            Self::Entry(n) => format!("entry {n}"),
        }
    }
}

/// One bad value: where, which field, what it was, and what is wrong with it — enough to fix
/// the file from the report alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordError {
    #[serde(flatten, serialize_with = "origin_fields")]
    pub origin: Origin,
    pub field: String,
    pub value: String,
    pub problem: String,
}

impl RecordError {
    pub fn new(
        origin: Origin,
        field: impl Into<String>,
        value: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        Self {
            origin,
            field: field.into(),
            value: value.into(),
            problem: problem.into(),
        }
    }
}

/// Something the importer did that staff should know about but that is not an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    #[serde(flatten, serialize_with = "origin_opt_fields")]
    pub origin: Option<Origin>,
    pub message: String,
}

impl Warning {
    pub fn at(origin: Origin, message: impl Into<String>) -> Self {
        Self {
            origin: Some(origin),
            message: message.into(),
        }
    }
    pub fn file(message: impl Into<String>) -> Self {
        Self {
            origin: None,
            message: message.into(),
        }
    }
}

fn origin_fields<S: Serializer>(o: &Origin, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(1))?;
    match o {
        Origin::Line(n) => m.serialize_entry("line", n)?,
        Origin::Entry(n) => m.serialize_entry("entry", n)?,
    }
    m.end()
}

fn origin_opt_fields<S: Serializer>(o: &Option<Origin>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    match o {
        Some(o) => origin_fields(o, s),
        None => s.serialize_map(Some(0))?.end(),
    }
}

/// A patient's answer to "may we text you?" as the source recorded it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsentAnswer {
    Yes,
    No,
}

/// Consent that arrived with the data: the answer and, when the source says, when it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsentRecord {
    pub answer: ConsentAnswer,
    pub given: Option<DateTime<Utc>>,
    /// Where the answer was read (a Consent resource may sit in another entry than its Patient).
    pub origin: Origin,
}

/// A patient as the file describes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientRecord {
    pub origin: Origin,
    /// Every id the source knows the patient by; the first is the one shown and stored.
    pub keys: Vec<String>,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: Option<NaiveDate>,
    pub mobile: Option<E164>,
    pub consent: Option<ConsentRecord>,
}

/// An appointment as the file describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppointmentRecord {
    pub origin: Origin,
    /// Every id the source knows the appointment by; the first is the one stored.
    pub keys: Vec<String>,
    /// A key of the patient: one of a [`PatientRecord`]'s keys in the same file, or the id
    /// an earlier import stored.
    pub patient_key: String,
    /// The clinician's display name, when the file names one.
    pub clinician: Option<String>,
    /// The appointment type's name as the source calls it (internal, may be clinical).
    pub type_name: Option<String>,
    pub start: DateTime<Utc>,
    pub minutes: Option<u32>,
    pub status: AppointmentStatus,
}

/// Everything read from one file (or every page of one server query).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub patients: Vec<PatientRecord>,
    pub appointments: Vec<AppointmentRecord>,
    pub errors: Vec<RecordError>,
    pub warnings: Vec<Warning>,
    /// Records the reader could not use at all (a row with a bad date): they count as
    /// rejected in the report even though no patient or appointment came of them.
    pub rejected_patients: usize,
    pub rejected_appointments: usize,
}

impl Parsed {
    /// Append another page of the same import (FHIR paging).
    pub fn extend(&mut self, other: Parsed) {
        self.patients.extend(other.patients);
        self.appointments.extend(other.appointments);
        self.errors.extend(other.errors);
        self.warnings.extend(other.warnings);
        self.rejected_patients += other.rejected_patients;
        self.rejected_appointments += other.rejected_appointments;
    }
}

/// What the readers need to know about the practice.
#[derive(Clone, Copy, Debug)]
pub struct ReadContext<'a> {
    /// Local times in the file are in the practice's zone.
    pub time_zone: chrono_tz::Tz,
    /// Default region for phone numbers written without a country code (and for the order
    /// of day and month in slashed dates).
    pub region: &'a str,
    /// Today in the practice's zone: consent dates may not be in the future, birth dates
    /// may not be either.
    pub today: NaiveDate,
}

/// What kind of source the data came from (audited).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Csv,
    FhirFile,
    FhirServer,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::FhirFile => "fhir_file",
            Self::FhirServer => "fhir_server",
        }
    }
}
