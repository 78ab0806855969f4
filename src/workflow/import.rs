//! Importing a schedule: load what the file's ids match → plan (domain) → write it all in one
//! transaction with its audit record, or nothing at all.
//!
//! The readers ([`crate::domain::import::csv`], [`crate::domain::import::fhir`]) turn bytes
//! into records; [`fetch`] pages through a FHIR server. [`run`] is the one door both commands
//! use. Nothing is written when any record is rejected or on a dry run.

use crate::store::Db;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::domain::import::plan::{self, Known, Plan};
use crate::domain::import::report::Report;
use crate::domain::import::{Parsed, ReadContext, RecordError};
use crate::phi::Gate;
use crate::store::{self, Store, StoreError};

mod apply;
pub mod fetch;

pub use crate::domain::import::SourceKind;
pub use fetch::{FetchError, FetchLimits, fetch_all};

/// Where the data came from: named in consent evidence, hashed in the audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub kind: SourceKind,
    /// The file's name (no folders) or the server's address without its query.
    pub name: String,
    /// SHA-256 of the bytes read, hex.
    pub sha256: String,
}

impl Source {
    pub fn new(kind: SourceKind, name: impl Into<String>, bytes: &[u8]) -> Self {
        Self {
            kind,
            name: name.into(),
            sha256: sha256_hex(bytes),
        }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How to run it.
#[derive(Clone, Copy, Debug)]
pub struct Options<'a> {
    pub dry_run: bool,
    pub cancel_missing: bool,
    /// Staff username (or `system`), recorded on consent events and the audit.
    pub actor: &'a str,
    pub now: DateTime<Utc>,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub report: Report,
    /// True when the changes were committed.
    pub written: bool,
}

/// What the readers need, from the config and the clock.
pub fn read_context(config: &Config, now: DateTime<Utc>) -> ReadContext<'_> {
    ReadContext {
        time_zone: config.practice.time_zone,
        region: &config.practice.region,
        today: now.with_timezone(&config.practice.time_zone).date_naive(),
    }
}

/// The page cache an import runs with: enough for the pages a 100,000-appointment import
/// touches (a 45 MB database after it), so none is read back and decrypted twice.
const IMPORT_CACHE_MIB: u32 = 64;

/// Plan `parsed` against the database and, unless rejected or a dry run, write it.
pub fn run(
    store: &mut Store,
    config: &Config,
    gate: &Gate,
    parsed: Parsed,
    source: &Source,
    opts: Options<'_>,
) -> Result<Outcome, StoreError> {
    let tz = config.practice.time_zone;
    let range = plan::date_range(&parsed.appointments, tz);
    // One transaction from the first read to the last write: the plan is made from a state
    // nobody can change before it is applied (and SQLite takes its locks once, not per query).
    let (report, plan) = store.write_large(IMPORT_CACHE_MIB, |conn| {
        let known = load_known(conn, &parsed, range)?;
        let mut plan = plan::plan(parsed, &known, opts.cancel_missing);
        check_clinician_names(&mut plan, gate);
        let report = Report::new(&plan, tz);
        if !report.rejected() && !opts.dry_run {
            let search = store::patient_search::defer_indexing(conn)?;
            // One change-log row ("every day") rather than one per row imported.
            let logging = store::changes::pause_logging(conn)?;
            apply::apply(conn, &plan, source, opts)?;
            store::changes::resume_logging(conn, logging)?;
            store::patient_search::index_deferred(conn, search)?;
        }
        Ok::<_, StoreError>((report, plan))
    })?;
    let written = !report.rejected() && !opts.dry_run;
    if written {
        tracing::info!(
            kind = source.kind.as_str(),
            sha256 = %source.sha256,
            patients_added = plan.patients.added,
            appointments_added = plan.appointments.added,
            "import written"
        );
    }
    Ok(Outcome { report, written })
}

/// Everything stored that the file's ids (and date range) can match.
fn load_known(
    conn: &impl Db,
    parsed: &Parsed,
    range: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Result<Known, StoreError> {
    // Each key once: a patient with ten appointments is looked up once, not eleven times.
    let patient_keys: std::collections::HashSet<&str> = parsed
        .patients
        .iter()
        .flat_map(|p| p.keys.iter())
        .chain(parsed.appointments.iter().map(|a| &a.patient_key))
        .map(String::as_str)
        .collect();
    let appointment_keys: std::collections::HashSet<&str> = parsed
        .appointments
        .iter()
        .flat_map(|a| a.keys.iter())
        .map(String::as_str)
        .collect();
    let imported_in_range = match range {
        Some((from, to)) => store::imports::imported_between(conn, from, to)?,
        None => Vec::new(),
    };
    Ok(Known {
        patients: store::imports::patients_by_keys(conn, patient_keys)?,
        appointments: store::imports::appointments_by_keys(conn, appointment_keys)?,
        clinicians: store::reference::clinicians(conn)?
            .into_iter()
            .map(|c| (c.id, c.display_name))
            .collect(),
        types: store::reference::types(conn)?
            .into_iter()
            .map(|t| (t.id, t.name, t.default_minutes))
            .collect(),
        imported_in_range,
    })
}

/// A clinician's name goes into every reminder, where the PHI gate trusts it: a "clinician"
/// that reads as clinical detail ("Chemo Chair 2", a department) is refused here instead.
fn check_clinician_names(plan: &mut Plan, gate: &Gate) {
    let blocked: Vec<String> = plan
        .new_clinicians
        .iter()
        .filter(|name| {
            gate.check(&format!("See you with {name} tomorrow."))
                .blocked
        })
        .cloned()
        .collect();
    for name in blocked {
        let uses = |a: &&plan::NewAppointment| matches!(a.clinician, plan::Ref::New(i) if plan.new_clinicians.get(i) == Some(&name));
        let n = plan.new_appointments.iter().filter(uses).count();
        plan.appointments.added -= n;
        plan.appointments.rejected += n;
        let origin = plan
            .new_appointments
            .iter()
            .find(uses)
            .map_or(crate::domain::import::Origin::Line(0), |a| a.origin);
        plan.errors.push(RecordError::new(
            origin,
            "clinician",
            name,
            "reads as clinical detail and would appear in texts (\"with …\"); map a column of \
             clinician names with --map clinician=COLUMN",
        ));
    }
}

#[cfg(test)]
mod tests;
