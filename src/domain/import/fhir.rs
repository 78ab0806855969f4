//! Reading FHIR R4: a Bundle (collection, searchset, batch, transaction, message, …), a
//! single resource, or NDJSON as a Bulk Data export writes it.
//!
//! Patient, Practitioner, PractitionerRole, Appointment and Consent are read; every other
//! resource type is counted and skipped with one warning. References are resolved inside the
//! file by `fullUrl` (including `urn:uuid:`) and by `Type/id` (relative or absolute), because
//! real bundles mix both (a `urn:uuid:` fullUrl with `Patient/<id>` references inside).
//! Entries are numbered from 0, as FHIRPath counts `Bundle.entry[n]`; NDJSON by line.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{Origin, Parsed, ReadContext, RecordError, Warning};

mod appointment;
mod patient;

/// One resource of the file and where it sits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry<'v> {
    pub(crate) origin: Origin,
    pub(crate) full_url: Option<&'v str>,
    pub(crate) resource: &'v Value,
}

impl<'v> Entry<'v> {
    pub(crate) fn kind(&self) -> &'v str {
        self.resource
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
    pub(crate) fn id(&self) -> Option<&'v str> {
        self.resource
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }
    pub(crate) fn error(
        &self,
        field: &str,
        value: impl Into<String>,
        problem: impl Into<String>,
    ) -> RecordError {
        RecordError::new(self.origin, field, value, problem)
    }
}

/// The file's resources, findable by reference.
pub(crate) struct Index<'v> {
    pub(crate) entries: Vec<Entry<'v>>,
    by_ref: HashMap<String, usize>,
}

impl<'v> Index<'v> {
    fn new(entries: Vec<Entry<'v>>) -> Self {
        let mut by_ref = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            if let Some(u) = e.full_url {
                by_ref.entry(u.to_string()).or_insert(i);
                if let Some(tail) = type_and_id(u) {
                    by_ref.entry(tail).or_insert(i);
                }
            }
            if let Some(id) = e.id() {
                by_ref.entry(format!("{}/{id}", e.kind())).or_insert(i);
            }
        }
        Self { entries, by_ref }
    }

    /// The entry a reference points at, if it is in the file.
    pub(crate) fn resolve(&self, reference: &str) -> Option<&Entry<'v>> {
        self.entries.get(self.position(reference)?)
    }

    /// Where a reference's entry sits in [`Index::entries`].
    pub(crate) fn position(&self, reference: &str) -> Option<usize> {
        self.by_ref
            .get(reference)
            .or_else(|| type_and_id(reference).and_then(|t| self.by_ref.get(&t)))
            .copied()
    }
}

/// "http://x/fhir/Patient/123/_history/2" → "Patient/123"; "Patient/123" stays.
pub(crate) fn type_and_id(reference: &str) -> Option<String> {
    let r = reference.split('#').next().unwrap_or(reference);
    let r = match r.find("/_history/") {
        Some(i) => &r[..i],
        None => r,
    };
    let mut parts = r.rsplit('/');
    let id = parts.next()?;
    let kind = parts.next()?;
    let starts_upper = kind.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    (starts_upper && !id.is_empty() && !r.starts_with("urn:")).then(|| format!("{kind}/{id}"))
}

/// Read a file (or one page a server returned). `first_entry` numbers entries across pages.
pub fn read(bytes: &[u8], ctx: ReadContext<'_>, first_entry: usize) -> Parsed {
    let mut out = Parsed::default();
    let docs = match documents(bytes, &mut out) {
        Some(d) => d,
        None => return out,
    };
    let entries = entries(&docs, first_entry, &mut out);
    let index = Index::new(entries);
    let mut skipped: BTreeMap<&str, usize> = BTreeMap::new();
    let patients = patient::read_all(&index, ctx, &mut out);
    for e in &index.entries {
        match e.kind() {
            "Patient" | "Practitioner" | "PractitionerRole" | "Consent" => {}
            "Appointment" => appointment::read(e, &index, &patients, ctx, &mut out),
            "OperationOutcome" => out.warnings.push(Warning::at(
                e.origin,
                format!("the server reported: {}", outcome_text(e.resource)),
            )),
            "" => {
                out.errors
                    .push(e.error("resourceType", "", "not a FHIR resource: no resourceType"))
            }
            other => *skipped.entry(other).or_default() += 1,
        }
    }
    if !skipped.is_empty() {
        let list: Vec<String> = skipped.iter().map(|(k, n)| format!("{k} ({n})")).collect();
        out.warnings.push(Warning::file(format!(
            "skipped {} resource(s) of types frontdesk does not import: {}",
            skipped.values().sum::<usize>(),
            list.join(", ")
        )));
    }
    out
}

/// The JSON documents of the file: one (a Bundle or a resource) or one per NDJSON line.
fn documents(bytes: &[u8], out: &mut Parsed) -> Option<Vec<(Origin, Value)>> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => return Some(vec![(Origin::Entry(0), v)]),
        // More than one JSON value: NDJSON, read line by line below.
        Err(e) if e.to_string().contains("trailing characters") => {}
        Err(e) => {
            let problem = if e.is_eof() && body.iter().all(u8::is_ascii_whitespace) {
                "the file is empty".to_string()
            } else if e.is_eof() {
                format!("not valid JSON, the file ends early (cut short?): {e}")
            } else {
                format!("not valid JSON: {e}")
            };
            out.errors.push(RecordError::new(
                Origin::Line(e.line() as u64),
                "file",
                "",
                problem,
            ));
            return None;
        }
    }
    // NDJSON: one resource a line.
    let mut docs = Vec::new();
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let origin = Origin::Line(i as u64 + 1);
        match serde_json::from_slice::<Value>(line) {
            Ok(v) => docs.push((origin, v)),
            Err(e) => out.errors.push(RecordError::new(
                origin,
                "line",
                "",
                format!("not valid JSON: {e}"),
            )),
        }
    }
    Some(docs)
}

/// Flatten documents into entries: a Bundle's entries (numbered), a lone resource as entry
/// `first_entry`, NDJSON lines as themselves.
fn entries<'v>(
    docs: &'v [(Origin, Value)],
    first_entry: usize,
    out: &mut Parsed,
) -> Vec<Entry<'v>> {
    let mut list = Vec::new();
    let mut n = first_entry;
    for (origin, doc) in docs {
        if !doc.is_object() {
            out.errors.push(RecordError::new(
                *origin,
                "file",
                "",
                "expected a JSON object (a FHIR resource or Bundle)",
            ));
            continue;
        }
        if doc.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
            let origin = match origin {
                Origin::Line(l) => Origin::Line(*l),
                Origin::Entry(_) => Origin::Entry(n),
            };
            n += 1;
            list.push(Entry {
                origin,
                full_url: None,
                resource: doc,
            });
            continue;
        }
        bundle_type_note(doc, out);
        let items = doc
            .get("entry")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for item in items {
            let origin = Origin::Entry(n);
            n += 1;
            let method = item.pointer("/request/method").and_then(Value::as_str);
            if method == Some("DELETE") {
                out.warnings.push(Warning::at(
                    origin,
                    "skipped: a DELETE request in the bundle",
                ));
                continue;
            }
            match item.get("resource") {
                Some(r) if r.is_object() => list.push(Entry {
                    origin,
                    full_url: item.get("fullUrl").and_then(Value::as_str),
                    resource: r,
                }),
                _ => out
                    .warnings
                    .push(Warning::at(origin, "skipped: an entry without a resource")),
            }
        }
    }
    list
}

fn bundle_type_note(doc: &Value, out: &mut Parsed) {
    let kind = doc.get("type").and_then(Value::as_str).unwrap_or("");
    if !matches!(
        kind,
        "collection"
            | "searchset"
            | "batch"
            | "transaction"
            | "message"
            | "document"
            | "history"
            | "batch-response"
            | "transaction-response"
    ) {
        out.warnings.push(Warning::file(format!(
            "Bundle.type {kind:?} is not an R4 bundle type; its entries are read anyway"
        )));
    }
}

fn outcome_text(r: &Value) -> String {
    r.get("issue")
        .and_then(Value::as_array)
        .map(|issues| {
            issues
                .iter()
                .filter_map(|i| i.get("diagnostics").or_else(|| i.pointer("/details/text")))
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "an OperationOutcome without text".into())
}

/// A server page's `next` link (if the server has more) and how many entries it holds.
pub fn page_info(bytes: &[u8]) -> (Option<String>, usize) {
    let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
        return (None, 0);
    };
    let entries = v.get("entry").and_then(Value::as_array).map_or(1, Vec::len);
    (next_in(&v), entries)
}

/// The `next` link of a searchset page, if the server has more.
pub fn next_link(bytes: &[u8]) -> Option<String> {
    next_in(&serde_json::from_slice(bytes).ok()?)
}

fn next_in(v: &Value) -> Option<String> {
    v.get("link")?
        .as_array()?
        .iter()
        .find(|l| l.get("relation").and_then(Value::as_str) == Some("next"))?
        .get("url")?
        .as_str()
        .map(str::to_string)
}

/// A FHIR string element, trimmed, or None when absent or blank.
pub(crate) fn text<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// An array element (absent → empty).
pub(crate) fn array<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests;
