//! What the console's manager screens read and write beyond the shared use cases: every
//! template kind with its current text (stored, or the built-in default), one page of the
//! audit log for the audit screen's filter, and the statistics screen's CSV file (the same
//! `workflow::stats::compute` and `domain::stats::csv` as `frontdesk stats --format csv`).
//! May import domain, store, files and the other workflow modules; never `tui` or `cli`.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

use super::audit_log::{self, AuditFilter};
use super::stats;
use crate::config::Config;
use crate::domain::audit::AuditRecord;
use crate::domain::message::MessageKind;
use crate::domain::stats::{Dimension, Period, PeriodError};
use crate::domain::template::DEFAULT_TEMPLATES;
use crate::store::{self, Db, StoreError};

/// One line of the drill-down (patient, start, clinician, type, status).
pub use crate::domain::stats::DrillLine;

/// One template kind as the templates screen lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateText {
    pub kind: MessageKind,
    pub body: String,
    /// Saved by someone (false: the built-in default is in use).
    pub stored: bool,
    pub updated_by: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Every kind with a default template, in the defaults' order, with its current text.
pub fn templates(conn: &impl Db) -> Result<Vec<TemplateText>, StoreError> {
    let stored = store::templates::all(conn)?;
    Ok(DEFAULT_TEMPLATES
        .iter()
        .map(
            |(kind, default)| match stored.iter().find(|t| t.kind == *kind) {
                Some(t) => TemplateText {
                    kind: *kind,
                    body: t.body.clone(),
                    stored: true,
                    updated_by: Some(t.updated_by.clone()),
                    updated_at: Some(t.updated_at),
                },
                None => TemplateText {
                    kind: *kind,
                    body: (*default).to_string(),
                    stored: false,
                    updated_by: None,
                    updated_at: None,
                },
            },
        )
        .collect())
}

/// The audit screen's filter, owned so it can travel to the worker.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Only this member's records (`system` for automatic ones).
    pub actor: Option<String>,
    /// Actions starting with this (`consent`, `template`, `export`).
    pub action: Option<String>,
    /// Only records about this patient.
    pub patient: Option<i64>,
    /// Records older than this one (the next page); `None`: from the newest.
    pub before: Option<i64>,
}

/// Records per page on the audit screen.
pub const AUDIT_PAGE: usize = 200;

/// One page of matching records, newest first.
pub fn audit_page(
    conn: &impl Db,
    config: &Config,
    q: &AuditQuery,
) -> Result<Vec<AuditRecord>, StoreError> {
    let tz = config.practice.time_zone;
    let period = match (q.from, q.to) {
        (None, None) => None,
        (from, to) => Some(Period {
            from: from.unwrap_or(NaiveDate::MIN),
            to: to.unwrap_or(NaiveDate::MAX),
        }),
    };
    let subject = q.patient.map(|p| format!("patient:{p}"));
    let filter = AuditFilter {
        // An open end reads to the first or the last record.
        period: period.map(|p| (clamp(p), tz)),
        actor: q.actor.as_deref(),
        action: q.action.as_deref(),
        subject: subject.as_deref(),
    };
    audit_log::newest_first(conn, &filter, q.before, AUDIT_PAGE)
}

/// Keep an open-ended period inside the years a timestamp can name.
fn clamp(p: Period) -> Period {
    let lo = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
    let hi = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
    Period {
        from: p.from.clamp(lo, hi),
        to: p.to.clamp(lo, hi),
    }
}

/// Why the statistics file was not written; the text is shown to the manager.
#[derive(Debug, thiserror::Error)]
pub enum StatsFileError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Period(#[from] PeriodError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Write the statistics of `period` (totals and every breakdown) as a new CSV file in `dir`,
/// named after the period (`statistics-2026-02-05-to-2026-03-04.csv`, then `-2`, `-3` … so
/// an earlier export is never overwritten). Aggregates only: no patient is named.
pub fn write_stats_csv(
    conn: &impl Db,
    config: &Config,
    period: Period,
    now: DateTime<Utc>,
    dir: &Path,
) -> Result<PathBuf, StatsFileError> {
    let report = stats::compute(conn, config, period, now)?;
    let text = crate::domain::stats::csv::to_csv(&report, &Dimension::ALL);
    let stem = format!("statistics-{}-to-{}", period.from, period.to);
    for n in 1..1000 {
        let name = match n {
            1 => format!("{stem}.csv"),
            n => format!("{stem}-{n}.csv"),
        };
        let path = dir.join(name);
        match crate::files::write_new_owner_only(&path, text.as_bytes()) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(StatsFileError::Write { path, source }),
        }
    }
    let path = dir.join(format!("{stem}.csv"));
    Err(StatsFileError::Write {
        path,
        source: std::io::Error::new(ErrorKind::AlreadyExists, "999 exports of this period exist"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::appointments::tests::t;

    #[test]
    fn every_kind_is_listed_with_its_stored_or_default_text() {
        let mut store = Store::open_in_memory().unwrap();
        let before = templates(&store).unwrap();
        assert_eq!(before.len(), DEFAULT_TEMPLATES.len());
        assert!(before.iter().all(|t| !t.stored && t.updated_by.is_none()));
        let body = "{practice_name}: {first_name}, see you {date} at {time}. {reply_options} {practice_phone} {opt_out}";
        store
            .write(|c| {
                crate::workflow::templates::save(
                    c,
                    &crate::phi::Gate::default(),
                    MessageKind::Reminder24h,
                    body,
                    "manager",
                    t(9, 0),
                )
            })
            .unwrap();
        let after = templates(&store).unwrap();
        let r = after
            .iter()
            .find(|x| x.kind == MessageKind::Reminder24h)
            .unwrap();
        assert_eq!((r.body.as_str(), r.stored), (body, true));
        assert_eq!(r.updated_by.as_deref(), Some("manager"));
    }

    #[test]
    fn the_statistics_file_is_the_commands_csv_and_never_overwrites() {
        let store = Store::open_in_memory().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = Config::default();
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let period = Period::new(day - chrono::Duration::days(27), day).unwrap();
        let first = write_stats_csv(&store, &config, period, t(20, 0), dir.path()).unwrap();
        let second = write_stats_csv(&store, &config, period, t(20, 0), dir.path()).unwrap();
        assert_eq!(
            first.file_name().unwrap(),
            "statistics-2026-10-29-to-2026-11-25.csv"
        );
        assert_eq!(
            second.file_name().unwrap(),
            "statistics-2026-10-29-to-2026-11-25-2.csv"
        );
        let report = stats::compute(&store, &config, period, t(20, 0)).unwrap();
        let expected = crate::domain::stats::csv::to_csv(&report, &Dimension::ALL);
        assert_eq!(std::fs::read_to_string(&first).unwrap(), expected);
    }

    #[test]
    fn an_audit_page_filters_by_member_and_open_ended_dates() {
        let store = Store::open_in_memory().unwrap();
        let config = Config::default();
        for (who, action) in [("ana", "consent.opt_in"), ("bo", "template.saved")] {
            store::audit::append(
                store.test_conn(),
                &crate::domain::audit::AuditEntry::new(
                    t(9, 0),
                    who,
                    action,
                    "patient:7".to_string(),
                    serde_json::json!({}),
                ),
            )
            .unwrap();
        }
        let q = AuditQuery {
            actor: Some("bo".into()),
            from: NaiveDate::from_ymd_opt(2026, 1, 1),
            ..AuditQuery::default()
        };
        let page = audit_page(&store, &config, &q).unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].entry.action, "template.saved");
        let q = AuditQuery {
            patient: Some(7),
            to: NaiveDate::from_ymd_opt(2026, 1, 1),
            ..AuditQuery::default()
        };
        assert!(audit_page(&store, &config, &q).unwrap().is_empty());
    }
}
