//! FHIR Patient → [`PatientRecord`]: identifiers, name, birth date, the mobile from
//! `telecom`, and SMS consent from Consent resources (or a vendor extension on the Patient).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::Value;

use super::{Entry, Index, array, text};
use crate::domain::import::names::{split_full, tidy};
use crate::domain::import::{
    ConsentAnswer, ConsentRecord, Parsed, PatientRecord, ReadContext, Warning, fields,
};
use crate::domain::phone::E164;

/// Entry position of each Patient read → its primary key (None when it was rejected).
pub(super) type Patients = HashMap<usize, Option<String>>;

/// Read every Patient (and the Consent resources that name them).
pub(super) fn read_all(index: &Index<'_>, ctx: ReadContext<'_>, out: &mut Parsed) -> Patients {
    let consents = consents(index, ctx, out);
    let mut patients = Patients::new();
    for (pos, e) in index.entries.iter().enumerate() {
        if e.kind() != "Patient" {
            continue;
        }
        let before = out.errors.len();
        let mut record = read(e, ctx, out);
        if let Some(r) = record.as_mut() {
            r.consent = consents.get(&pos).copied().or_else(|| extension_consent(e));
        }
        match record.filter(|_| out.errors.len() == before) {
            Some(r) => {
                patients.insert(pos, r.keys.first().cloned());
                out.patients.push(r);
            }
            None => {
                patients.insert(pos, None);
                out.rejected_patients += 1;
            }
        }
    }
    patients
}

fn read(e: &Entry<'_>, ctx: ReadContext<'_>, out: &mut Parsed) -> Option<PatientRecord> {
    let keys = keys(e, "Patient");
    if keys.is_empty() {
        out.errors
            .push(e.error("identifier", "", "a Patient needs an identifier or an id"));
    }
    let (first, last) = name(e.resource).unwrap_or_else(|| {
        out.errors
            .push(e.error("name", "", "a Patient needs a given and a family name"));
        (String::new(), String::new())
    });
    let birth_date =
        text(e.resource, "/birthDate").and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let mobile = mobile(e, ctx, out);
    Some(PatientRecord {
        origin: e.origin,
        keys,
        first_name: first,
        last_name: last,
        birth_date,
        mobile,
        consent: None,
    })
}

/// Every identifier as `system|value` (or `value`), type MR first, then `Kind/id`.
pub(super) fn keys(e: &Entry<'_>, kind: &str) -> Vec<String> {
    let mut ids: Vec<(u8, String)> = array(e.resource, "identifier")
        .iter()
        .filter_map(|i| {
            let value = text(i, "/value")?;
            let key = match text(i, "/system") {
                Some(system) => format!("{system}|{value}"),
                None => value.to_string(),
            };
            let is_mr = array(i.get("type").unwrap_or(&Value::Null), "coding")
                .iter()
                .any(|c| text(c, "/code") == Some("MR"));
            let rank = match (is_mr, text(i, "/use")) {
                (true, _) => 0,
                (_, Some("official")) => 1,
                (_, Some("usual")) => 2,
                (_, Some("old")) => 4,
                _ => 3,
            };
            Some((rank, key))
        })
        .collect();
    ids.sort_by_key(|(rank, _)| *rank);
    let mut keys: Vec<String> = ids.into_iter().map(|(_, k)| k).collect();
    if let Some(id) = e.id() {
        keys.push(format!("{kind}/{id}"));
    }
    keys.dedup();
    keys
}

/// (first, last) from the official name, else the usual one, else the first; `text` last.
pub(super) fn name(r: &Value) -> Option<(String, String)> {
    let names = array(r, "name");
    let by_use = |u: &str| names.iter().find(|n| text(n, "/use") == Some(u));
    let n = by_use("official")
        .or_else(|| by_use("usual"))
        .or_else(|| names.iter().find(|n| text(n, "/use") != Some("old")))?;
    let given = array(n, "given")
        .iter()
        .filter_map(Value::as_str)
        .map(tidy)
        .find(|g| !g.is_empty());
    let family = text(n, "/family").map(tidy);
    match (given, family) {
        (Some(g), Some(f)) => Some((g, f)),
        _ => text(n, "/text").and_then(split_full),
    }
}

/// The number for texts: a phone marked mobile (or an `sms` contact) in use, lowest rank
/// first; else the best other phone, said in a warning.
fn mobile(e: &Entry<'_>, ctx: ReadContext<'_>, out: &mut Parsed) -> Option<E164> {
    let current: Vec<&Value> = array(e.resource, "telecom")
        .iter()
        .filter(|t| text(t, "/value").is_some() && text(t, "/use") != Some("old"))
        .filter(|t| !ended(t, ctx.today))
        .collect();
    let rank = |t: &&Value| t.get("rank").and_then(Value::as_u64).unwrap_or(u64::MAX);
    fn system(t: &Value) -> &str {
        text(t, "/system").unwrap_or("")
    }
    let marked = current
        .iter()
        .filter(|t| {
            system(t) == "sms" || (system(t) == "phone" && text(t, "/use") == Some("mobile"))
        })
        .min_by_key(|t| rank(t));
    if let Some(t) = marked {
        let value = text(t, "/value").unwrap_or("");
        return E164::parse(value, ctx.region)
            .map_err(|err| out.errors.push(e.error("telecom", value, err.to_string())))
            .ok();
    }
    let preference = |t: &&&Value| match text(t, "/use") {
        Some("home") => 0,
        None => 1,
        Some("temp") => 2,
        _ => 3,
    };
    let mut others: Vec<&&Value> = current.iter().filter(|t| system(t) == "phone").collect();
    others.sort_by_key(|t| (preference(t), rank(t)));
    let t = others.first()?;
    let value = text(t, "/value").unwrap_or("");
    let number = E164::parse(value, ctx.region).ok()?;
    out.warnings.push(Warning::at(
        e.origin,
        format!(
            "no telecom marked mobile; the {} phone ending {} is used for texts — check it can receive them",
            text(t, "/use").unwrap_or("unlabelled"),
            number.last4()
        ),
    ));
    Some(number)
}

/// A contact point whose `period.end` is before today is no longer in use.
fn ended(t: &Value, today: NaiveDate) -> bool {
    text(t, "/period/end")
        .and_then(|end| end.get(..4)?.parse::<i32>().ok().map(|y| (y, end)))
        .is_some_and(|(y, end)| {
            NaiveDate::parse_from_str(end.get(..10).unwrap_or(""), "%Y-%m-%d")
                .map_or(y < chrono::Datelike::year(&today), |d| d < today)
        })
}

/// Consent resources about text messages, by the entry position of the Patient they name.
/// The newest (by `dateTime`) wins when a patient has several.
fn consents(
    index: &Index<'_>,
    ctx: ReadContext<'_>,
    out: &mut Parsed,
) -> HashMap<usize, ConsentRecord> {
    let mut found: HashMap<usize, ConsentRecord> = HashMap::new();
    for e in index.entries.iter().filter(|e| e.kind() == "Consent") {
        let Some(record) = consent(e, ctx, out) else {
            continue;
        };
        let Some(pos) = text(e.resource, "/patient/reference").and_then(|r| index.position(r))
        else {
            out.warnings.push(Warning::at(
                e.origin,
                "skipped: a Consent whose patient is not in the file",
            ));
            continue;
        };
        let newer = found.get(&pos).is_none_or(|old| old.given <= record.given);
        if newer {
            found.insert(pos, record);
        }
    }
    found
}

/// A Consent about SMS: active, its provision a permit or a deny.
fn consent(e: &Entry<'_>, ctx: ReadContext<'_>, out: &mut Parsed) -> Option<ConsentRecord> {
    if !mentions_texts(e.resource) {
        out.warnings.push(Warning::at(
            e.origin,
            "skipped: a Consent that is not about text messages",
        ));
        return None;
    }
    if text(e.resource, "/status") != Some("active") {
        out.warnings.push(Warning::at(
            e.origin,
            "skipped: a Consent that is not active",
        ));
        return None;
    }
    let answer = match text(e.resource, "/provision/type") {
        Some("permit") => ConsentAnswer::Yes,
        Some("deny") => ConsentAnswer::No,
        _ => {
            out.warnings.push(Warning::at(
                e.origin,
                "skipped: a Consent about texts without provision.type permit or deny",
            ));
            return None;
        }
    };
    let given = text(e.resource, "/dateTime").and_then(|d| instant(d, ctx));
    Some(ConsentRecord {
        answer,
        given,
        origin: e.origin,
    })
}

/// Does any code or text of the Consent speak of SMS / text messages?
fn mentions_texts(r: &Value) -> bool {
    let mut words = String::new();
    for key in ["category", "policyRule", "scope", "provision"] {
        if let Some(v) = r.get(key) {
            words.push_str(&v.to_string().to_lowercase());
        }
    }
    ["sms", "text messag", "texting", "text-messag"]
        .iter()
        .any(|w| words.contains(w))
}

/// A vendor extension on the Patient that records SMS consent as a boolean, e.g.
/// `{"url": ".../sms-opt-in", "valueBoolean": true}`.
fn extension_consent(e: &Entry<'_>) -> Option<ConsentRecord> {
    array(e.resource, "extension").iter().find_map(|x| {
        let url = text(x, "/url")?.to_lowercase();
        let about_texts = url.contains("sms") || url.contains("text");
        let about_consent = url.contains("consent") || url.contains("opt");
        let value = x.get("valueBoolean")?.as_bool()?;
        (about_texts && about_consent).then_some(ConsentRecord {
            answer: if value {
                ConsentAnswer::Yes
            } else {
                ConsentAnswer::No
            },
            given: None,
            origin: e.origin,
        })
    })
}

/// A FHIR dateTime / instant: with an offset as is; a date alone at the start of that day
/// in the practice's zone.
pub(super) fn instant(s: &str, ctx: ReadContext<'_>) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
    let at = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .map(|t| t.time())
        .unwrap_or(NaiveTime::MIN);
    fields::local_instant(day, at, ctx.time_zone).ok()
}
