//! One data row of an export → a patient (once per patient id) and an appointment.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::Columns;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::import::aliases::Field;
use crate::domain::import::fields::{self, TimeOrInstant};
use crate::domain::import::names::{self, clinician_display, tidy, title_case_if_shouting};
use crate::domain::import::{
    AppointmentRecord, ConsentRecord, Origin, Parsed, PatientRecord, ReadContext, RecordError,
    Warning,
};
use crate::domain::phone::E164;

/// Patient fields compared between rows that name the same patient id.
const PATIENT_FIELDS: [Field; 8] = [
    Field::FirstName,
    Field::LastName,
    Field::PatientName,
    Field::BirthDate,
    Field::Mobile,
    Field::OtherPhone,
    Field::SmsConsent,
    Field::SmsConsentDate,
];

/// State across rows: patients already read (by key) and appointment ids already seen.
pub(super) struct RowReader<'a> {
    ctx: ReadContext<'a>,
    month_first: bool,
    /// Patient key → (line first seen, its raw patient cells, accepted?).
    patients: HashMap<String, (u64, Vec<String>, bool)>,
    appointments: HashMap<String, u64>,
    other_phone_used: (usize, Option<u64>),
    no_time: (usize, Option<u64>),
}

/// One row's cells as text, with the line and the columns.
struct Row<'r> {
    line: u64,
    cells: Vec<&'r str>,
    columns: &'r Columns,
}

impl Row<'_> {
    fn get(&self, f: Field) -> &str {
        self.columns
            .by_field
            .get(&f)
            .and_then(|&i| self.cells.get(i))
            .map_or("", |c| c.trim())
    }
    fn error(&self, f: Field, problem: impl Into<String>) -> RecordError {
        RecordError::new(
            Origin::Line(self.line),
            self.columns.header(f),
            self.get(f),
            problem,
        )
    }
}

impl<'a> RowReader<'a> {
    pub(super) fn new(ctx: ReadContext<'a>) -> Self {
        Self {
            ctx,
            month_first: fields::month_first(ctx.region),
            patients: HashMap::new(),
            appointments: HashMap::new(),
            other_phone_used: (0, None),
            no_time: (0, None),
        }
    }

    pub(super) fn read(
        &mut self,
        record: &::csv::ByteRecord,
        line: u64,
        columns: &Columns,
        out: &mut Parsed,
    ) {
        let mut cells = Vec::with_capacity(record.len());
        for (i, raw) in record.iter().enumerate() {
            match std::str::from_utf8(raw) {
                Ok(s) => cells.push(s),
                Err(_) => {
                    let header = columns.headers.get(i).cloned().unwrap_or_default();
                    out.errors.push(RecordError::new(
                        Origin::Line(line),
                        header,
                        String::from_utf8_lossy(raw),
                        "not UTF-8 text (the file looks like Windows-1252 or Latin-1): export \
                         or save it as \"CSV UTF-8\" and import again",
                    ));
                    out.rejected_patients += 1;
                    out.rejected_appointments += usize::from(columns.is_schedule());
                    return;
                }
            }
        }
        if cells.len() > columns.headers.len() {
            out.errors.push(RecordError::new(
                Origin::Line(line),
                "row",
                format!("{} cells", cells.len()),
                format!(
                    "the header has {} columns; a comma inside a name that is not in quotes?",
                    columns.headers.len()
                ),
            ));
            out.rejected_appointments += usize::from(columns.is_schedule());
            return;
        }
        if cells.iter().filter(|c| !c.trim().is_empty()).count() == 1 && columns.headers.len() > 2 {
            out.warnings.push(Warning::at(
                Origin::Line(line),
                "skipped: only one cell filled (a totals or page line?)",
            ));
            return;
        }
        let row = Row {
            line,
            cells,
            columns,
        };
        let patient_key = self.patient(&row, out);
        if columns.is_schedule() {
            self.appointment(&row, patient_key, out);
        }
    }

    /// Read the row's patient the first time its key is seen; later rows must agree.
    fn patient(&mut self, row: &Row<'_>, out: &mut Parsed) -> Option<String> {
        let raw: Vec<String> = PATIENT_FIELDS
            .iter()
            .map(|&f| row.get(f).to_string())
            .collect();
        let key = match row.get(Field::PatientId) {
            "" if row.columns.has(Field::PatientId) => {
                out.errors
                    .push(row.error(Field::PatientId, "no patient id"));
                out.rejected_patients += 1;
                return None;
            }
            "" => derived_key(&raw),
            id => id.to_string(),
        };
        if let Some((first_line, seen, ok)) = self.patients.get(&key) {
            for (i, f) in PATIENT_FIELDS.iter().enumerate() {
                if !seen[i].is_empty() && !raw[i].is_empty() && seen[i] != raw[i] {
                    out.errors.push(row.error(
                        *f,
                        format!(
                            "patient {key} is on line {first_line} with {:?} here; one patient id, two different patients?",
                            seen[i]
                        ),
                    ));
                    return None;
                }
            }
            return ok.then_some(key);
        }
        let record = self.read_patient(row, key.clone(), out);
        let ok = record.is_some();
        self.patients.insert(key.clone(), (row.line, raw, ok));
        match record {
            Some(p) => {
                out.patients.push(p);
                Some(key)
            }
            None => {
                out.rejected_patients += 1;
                None
            }
        }
    }

    fn read_patient(
        &mut self,
        row: &Row<'_>,
        key: String,
        out: &mut Parsed,
    ) -> Option<PatientRecord> {
        let before = out.errors.len();
        let (first, last) = person_name(row, out);
        let birth_date = match row.get(Field::BirthDate) {
            "" => None,
            s => fields::birth_date(s, self.month_first, self.ctx.today)
                .map_err(|p| out.errors.push(row.error(Field::BirthDate, p)))
                .ok(),
        };
        let mobile = self.mobile(row, out);
        let consent = self.consent(row, out);
        (out.errors.len() == before).then(|| PatientRecord {
            origin: Origin::Line(row.line),
            keys: vec![key],
            first_name: first,
            last_name: last,
            birth_date,
            mobile,
            consent,
        })
    }

    fn mobile(&mut self, row: &Row<'_>, out: &mut Parsed) -> Option<E164> {
        match (row.get(Field::Mobile), row.get(Field::OtherPhone)) {
            ("", "") => None,
            ("", other) => match E164::parse(other, self.ctx.region) {
                Ok(n) => {
                    self.other_phone_used.0 += 1;
                    self.other_phone_used.1.get_or_insert(row.line);
                    Some(n)
                }
                Err(_) => None,
            },
            (m, _) => E164::parse(m, self.ctx.region)
                .map_err(|e| out.errors.push(row.error(Field::Mobile, e.to_string())))
                .ok(),
        }
    }

    fn consent(&self, row: &Row<'_>, out: &mut Parsed) -> Option<ConsentRecord> {
        let answer = fields::consent_answer(row.get(Field::SmsConsent))
            .map_err(|p| out.errors.push(row.error(Field::SmsConsent, p)))
            .ok()??;
        let given = match row.get(Field::SmsConsentDate) {
            "" => None,
            s => match fields::date_time(s, self.month_first) {
                Ok((d, _)) if d > self.ctx.today => {
                    out.errors.push(row.error(
                        Field::SmsConsentDate,
                        "a consent date cannot be in the future",
                    ));
                    return None;
                }
                Ok((d, _)) => fields::local_instant(d, NaiveTime::MIN, self.ctx.time_zone).ok(),
                Err(p) => {
                    out.errors.push(row.error(Field::SmsConsentDate, p));
                    return None;
                }
            },
        };
        Some(ConsentRecord {
            answer,
            given,
            origin: Origin::Line(row.line),
        })
    }

    fn appointment(&mut self, row: &Row<'_>, patient_key: Option<String>, out: &mut Parsed) {
        let before = out.errors.len();
        let start = self.start(row, out);
        let minutes = start.and_then(|s| self.minutes(row, s, out));
        let status = fields::status(row.get(Field::Status))
            .map_err(|p| out.errors.push(row.error(Field::Status, p)))
            .unwrap_or(AppointmentStatus::Booked);
        let (Some(patient_key), Some(start)) = (patient_key, start) else {
            out.rejected_appointments += 1;
            return;
        };
        let key = match row.get(Field::AppointmentId) {
            "" if row.columns.has(Field::AppointmentId) => {
                out.errors
                    .push(row.error(Field::AppointmentId, "no appointment id"));
                None
            }
            "" => Some(format!("{patient_key}@{}", start.to_rfc3339())),
            id => Some(id.to_string()),
        };
        if let Some(k) = &key
            && let Some(first) = self.appointments.insert(k.clone(), row.line)
        {
            out.errors.push(row.error(
                Field::AppointmentId,
                format!("appointment id {k} is also on line {first}; each appointment once"),
            ));
        }
        match key {
            Some(k) if out.errors.len() == before => out.appointments.push(AppointmentRecord {
                origin: Origin::Line(row.line),
                keys: vec![k],
                patient_key,
                clinician: Some(row.get(Field::Clinician))
                    .filter(|c| !c.is_empty())
                    .map(clinician_display),
                type_name: Some(tidy(row.get(Field::AppointmentType))).filter(|t| !t.is_empty()),
                start,
                minutes,
                status,
            }),
            _ => out.rejected_appointments += 1,
        }
    }

    /// The start: the date cell (which may carry the time) and the time cell.
    fn start(&mut self, row: &Row<'_>, out: &mut Parsed) -> Option<DateTime<Utc>> {
        // Without a date column the start time column holds date and time ("StartTime").
        let (date_field, time_cell) = if row.columns.has(Field::Date) {
            (Field::Date, row.get(Field::StartTime))
        } else {
            (Field::StartTime, "")
        };
        let (day, in_cell) = fields::date_time(row.get(date_field), self.month_first)
            .map_err(|p| out.errors.push(row.error(date_field, p)))
            .ok()?;
        let at = match (time_cell, in_cell) {
            ("", Some(TimeOrInstant::Instant(t))) => return Some(t),
            ("", Some(TimeOrInstant::Local(t))) => t,
            ("", None) => {
                self.no_time.0 += 1;
                self.no_time.1.get_or_insert(row.line);
                return None;
            }
            (s, _) => fields::time(s)
                .map_err(|p| out.errors.push(row.error(Field::StartTime, p)))
                .ok()?,
        };
        fields::local_instant(day, at, self.ctx.time_zone)
            .map_err(|p| out.errors.push(row.error(Field::StartTime, p)))
            .ok()
    }

    fn minutes(&self, row: &Row<'_>, start: DateTime<Utc>, out: &mut Parsed) -> Option<u32> {
        let end = row.get(Field::EndTime);
        if !end.is_empty() {
            let local = start.with_timezone(&self.ctx.time_zone);
            let end_at = match fields::date_time(end, self.month_first) {
                Ok((_, Some(TimeOrInstant::Instant(t)))) => Ok(t),
                Ok((d, Some(TimeOrInstant::Local(t)))) => {
                    fields::local_instant(d, t, self.ctx.time_zone)
                }
                _ => fields::time(end)
                    .and_then(|t| fields::local_instant(local.date_naive(), t, self.ctx.time_zone)),
            };
            return match end_at {
                Ok(e) if e > start => u32::try_from((e - start).num_minutes())
                    .map_err(|_| "too long".to_string())
                    .and_then(fields::check_minutes)
                    .map_err(|p| out.errors.push(row.error(Field::EndTime, p)))
                    .ok(),
                Ok(_) => {
                    out.errors
                        .push(row.error(Field::EndTime, "the end is not after the start"));
                    None
                }
                Err(p) => {
                    out.errors.push(row.error(Field::EndTime, p));
                    None
                }
            };
        }
        match (row.get(Field::Minutes), row.get(Field::Seconds)) {
            ("", "") => None,
            ("", secs) => secs
                .parse::<u32>()
                .map_err(|_| format!("{secs:?} is not a number of seconds"))
                .and_then(|s| fields::check_minutes(s.div_ceil(60)))
                .map_err(|p| out.errors.push(row.error(Field::Seconds, p)))
                .ok(),
            (m, _) => fields::minutes(m)
                .map_err(|p| out.errors.push(row.error(Field::Minutes, p)))
                .ok(),
        }
    }

    /// File-level notes gathered over all rows.
    pub(super) fn finish(&self, out: &mut Parsed) {
        if let (n, Some(first)) = self.no_time {
            out.errors.push(RecordError::new(
                Origin::Line(first),
                Field::StartTime.name(),
                "",
                format!(
                    "missing column: {n} row(s) have a date but no start time and the file has no \
                     start time column (first on line {first}); name it with --map start_time=COLUMN"
                ),
            ));
        }
        if let (n, Some(first)) = self.other_phone_used {
            out.warnings.push(Warning::at(
                Origin::Line(first),
                format!(
                    "{n} patient(s) have no mobile number; their other phone is used for texts \
                     (first on line {first}) — check those numbers can receive texts"
                ),
            ));
        }
    }
}

/// First and last name from separate cells or one "Patient Name" cell.
fn person_name(row: &Row<'_>, out: &mut Parsed) -> (String, String) {
    let first = title_case_if_shouting(&tidy(row.get(Field::FirstName)));
    let last = title_case_if_shouting(&tidy(row.get(Field::LastName)));
    if !first.is_empty() && !last.is_empty() {
        return (first, last);
    }
    if row.columns.has(Field::PatientName) {
        if let Some(split) = names::split_full(row.get(Field::PatientName)) {
            return split;
        }
        out.errors.push(row.error(
            Field::PatientName,
            "needs a first and a last name (\"Last, First\")",
        ));
        return (first, last);
    }
    let f = if last.is_empty() {
        Field::LastName
    } else {
        Field::FirstName
    };
    out.errors
        .push(row.error(f, "empty; a patient needs a first and a last name"));
    (first, last)
}

/// A key for a file without patient ids: the name and birth date, lower case.
fn derived_key(raw: &[String]) -> String {
    let dob = NaiveDate::parse_from_str(&raw[3], "%Y-%m-%d")
        .map(|d| d.to_string())
        .unwrap_or_else(|_| raw[3].clone());
    format!(
        "name:{}|{}|{}|{}",
        raw[1].to_lowercase(),
        raw[0].to_lowercase(),
        raw[2].to_lowercase(),
        dob
    )
}
