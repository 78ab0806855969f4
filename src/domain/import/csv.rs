//! Reading a CSV export: encoding, delimiter, the header row, then every data row.
//!
//! Tolerates what real exports contain: a UTF-8 byte-order mark, CRLF, `,` `;` tab or `|`
//! delimiters (detected), quoted fields with delimiters and line breaks inside, title lines
//! above the header and a totals line below the data, blank lines. Refuses, with the line
//! named, what it cannot read faithfully: UTF-16 files and cells that are not UTF-8.

use std::collections::HashMap;

use super::aliases::{Field, field_for_header, normalise};
use super::{Origin, Parsed, ReadContext, RecordError, Warning};

mod row;

/// How to read one export.
#[derive(Clone, Copy, Debug)]
pub struct CsvOptions<'a> {
    pub ctx: ReadContext<'a>,
    /// `--map FIELD=COLUMN` pairs (and those of a mapping file); they win over aliases.
    pub mappings: &'a [(Field, String)],
}

/// The header row, read: which column holds which field.
#[derive(Clone, Debug, Default)]
pub(crate) struct Columns {
    pub(crate) by_field: HashMap<Field, usize>,
    pub(crate) headers: Vec<String>,
    pub(crate) line: u64,
}

impl Columns {
    pub(crate) fn has(&self, f: Field) -> bool {
        self.by_field.contains_key(&f)
    }
    /// The header text of a field's column, as the file writes it (for error reports).
    pub(crate) fn header(&self, f: Field) -> String {
        self.by_field
            .get(&f)
            .and_then(|&i| self.headers.get(i))
            .cloned()
            .unwrap_or_else(|| f.name().to_string())
    }
    fn is_schedule(&self) -> bool {
        self.by_field.keys().any(|f| f.is_appointment())
    }
}

/// Read a whole export. Never stops at the first bad row: every problem is in `errors`.
pub fn read(bytes: &[u8], opts: &CsvOptions<'_>) -> Parsed {
    let mut out = Parsed::default();
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        out.errors.push(RecordError::new(
            Origin::Line(1),
            "file",
            "",
            "the file is UTF-16 (Excel's \"Unicode Text\"); save it as \"CSV UTF-8\" and import again",
        ));
        return out;
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let delimiter = detect_delimiter(body);
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut columns: Option<Columns> = None;
    let mut rows = row::RowReader::new(opts.ctx);
    let mut record = ::csv::ByteRecord::new();
    // Lines counted here: the csv reader does not count the blank lines it skips.
    let mut counted = (0usize, 1u64);
    loop {
        let before = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX);
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                out.errors.push(RecordError::new(
                    Origin::Line(line),
                    "file",
                    "",
                    format!("cannot read this line as CSV: {e}"),
                ));
                break;
            }
        }
        let line = line_of(body, before, &mut counted);
        if record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        match &columns {
            None => match header_row(&record, line, opts, &mut out) {
                Some(c) => {
                    check_required(&c, &mut out);
                    columns = Some(c);
                }
                None => out.warnings.push(Warning::at(
                    Origin::Line(line),
                    "skipped: a line above the header (a report title?)",
                )),
            },
            Some(c) => rows.read(&record, line, c, &mut out),
        }
    }
    match columns {
        None if out.errors.is_empty() => out.errors.push(RecordError::new(
            Origin::Line(1),
            "header",
            "",
            "no header row found: the file needs column names such as Patient ID, Last Name, \
             First Name, Appt Date, Start Time (or --map FIELD=COLUMN)",
        )),
        None => {}
        Some(_) => rows.finish(&mut out),
    }
    out
}

/// The line a record starts on: the reader's offset before it, past the line breaks of any
/// blank lines, counted incrementally (`counted` is the last offset and its line).
fn line_of(body: &[u8], before: usize, counted: &mut (usize, u64)) -> u64 {
    let mut at = before.min(body.len());
    while at < body.len() && matches!(body[at], b'\r' | b'\n') {
        at += 1;
    }
    let (from, n) = *counted;
    let newlines = body
        .get(from..at)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
    *counted = (at.max(from), n + newlines as u64);
    counted.1
}

/// The delimiter used most on the first lines, counted outside quotes. Comma on a tie.
fn detect_delimiter(body: &[u8]) -> u8 {
    let sample: Vec<&[u8]> = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(20)
        .collect();
    let mut best = (b',', 0usize);
    for d in [b',', b';', b'\t', b'|'] {
        let most = sample
            .iter()
            .map(|l| count_outside_quotes(l, d))
            .max()
            .unwrap_or(0);
        if most > best.1 {
            best = (d, most);
        }
    }
    best.0
}

fn count_outside_quotes(line: &[u8], d: u8) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if b == d && !quoted {
            n += 1;
        }
    }
    n
}

/// Is this row the header? It is when at least two of its cells name fields (by alias or by
/// `--map`). Mappings that name no column are errors.
fn header_row(
    record: &::csv::ByteRecord,
    line: u64,
    opts: &CsvOptions<'_>,
    out: &mut Parsed,
) -> Option<Columns> {
    let headers: Vec<String> = record
        .iter()
        .map(|c| String::from_utf8_lossy(c).trim().to_string())
        .collect();
    let mut by_field = HashMap::new();
    let mut unmatched = Vec::new();
    for (field, column) in opts.mappings {
        let want = normalise(column);
        let found = headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(column.trim()))
            .or_else(|| headers.iter().position(|h| normalise(h) == want));
        match found {
            Some(i) => {
                by_field.insert(*field, i);
            }
            None => unmatched.push((*field, column)),
        }
    }
    for (i, h) in headers.iter().enumerate() {
        if by_field.values().any(|&j| j == i) {
            continue;
        }
        if let Some(f) = field_for_header(h) {
            by_field.entry(f).or_insert(i);
        }
    }
    if by_field.len() < 2 {
        return None;
    }
    for (field, column) in unmatched {
        out.errors.push(RecordError::new(
            Origin::Line(line),
            field.name(),
            column.clone(),
            format!(
                "--map names a column this file does not have; its columns are: {}",
                headers.join(", ")
            ),
        ));
    }
    let unused: Vec<&str> = headers
        .iter()
        .enumerate()
        .filter(|(i, h)| !h.is_empty() && !by_field.values().any(|j| j == i))
        .map(|(_, h)| h.as_str())
        .collect();
    if !unused.is_empty() {
        out.warnings.push(Warning::at(
            Origin::Line(line),
            format!("columns not imported: {}", unused.join(", ")),
        ));
    }
    Some(Columns {
        by_field,
        headers,
        line,
    })
}

/// The columns without which no row could be imported: one error each, on the header line.
fn check_required(c: &Columns, out: &mut Parsed) {
    let mut missing = |field: Field, what: &str| {
        out.errors.push(RecordError::new(
            Origin::Line(c.line),
            field.name(),
            "",
            format!(
                "missing column: no {what} column (tried the usual names; name yours with --map {}=COLUMN)",
                field.name()
            ),
        ));
    };
    if !c.has(Field::PatientName) && !c.has(Field::LastName) {
        missing(Field::LastName, "last name (or patient name)");
    }
    if !c.has(Field::PatientName) && !c.has(Field::FirstName) {
        missing(Field::FirstName, "first name (or patient name)");
    }
    if c.is_schedule() && !c.has(Field::Date) && !c.has(Field::StartTime) {
        missing(Field::Date, "appointment date");
    }
    if !c.has(Field::PatientId) {
        out.warnings.push(Warning::at(
            Origin::Line(c.line),
            "no patient id column: patients are matched by name and birth date, which breaks \
             when a name is corrected; export the chart or account number if you can",
        ));
    }
    if c.is_schedule() && !c.has(Field::AppointmentId) {
        out.warnings.push(Warning::at(
            Origin::Line(c.line),
            "no appointment id column: a moved appointment will look like a new one; export \
             the appointment id if you can",
        ));
    }
}

#[cfg(test)]
pub(crate) mod tests;
