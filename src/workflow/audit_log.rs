//! The audit log for managers: `audit export` (the log, or a period, a member, an action or
//! a patient of it, as CSV or JSON lines, page by page, and the export's own audit record)
//! and the audit screen's filtered pages, newest first.

use crate::store::Db;
use crate::store::Write;
use chrono::{DateTime, Utc};

use crate::domain::audit::AuditRecord;
use crate::domain::audit::{ExportEvent, ExportKind};
use crate::domain::csv::{self, Cell};
use crate::domain::stats::Period;
use crate::store::{self, StoreError};

/// Records read per page.
const PAGE: usize = 5_000;

/// Which records to export.
#[derive(Clone, Copy, Debug, Default)]
pub struct AuditFilter<'a> {
    /// Local days in the practice's zone (`None`: the whole log).
    pub period: Option<(Period, chrono_tz::Tz)>,
    /// Only this member's records (`system` for automatic ones).
    pub actor: Option<&'a str>,
    /// Actions starting with this (`consent` matches `consent.opt_in` and `consent.opt_out`).
    pub action: Option<&'a str>,
    /// Only records about this subject (`patient:7`, `appointment:42`).
    pub subject: Option<&'a str>,
}

impl AuditFilter<'_> {
    pub fn matches(&self, r: &AuditRecord) -> bool {
        self.actor.is_none_or(|a| r.entry.actor == a)
            && self.action.is_none_or(|a| r.entry.action.starts_with(a))
            && self.subject.is_none_or(|s| r.entry.subject == s)
    }
}

/// Up to `limit` matching records before record `before` (`None`: from the newest), newest
/// first — one page of the audit screen.
pub fn newest_first(
    conn: &impl Db,
    filter: &AuditFilter<'_>,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<AuditRecord>, StoreError> {
    let bounds = filter.period.map(|(p, tz)| p.bounds(tz));
    let mut before = before.unwrap_or(i64::MAX);
    let mut out = Vec::new();
    while out.len() < limit {
        let page = store::review::audit_records_before(
            conn,
            bounds.map(|b| b.0),
            bounds.map(|b| b.1),
            before,
            PAGE,
        )?;
        let Some(last) = page.last() else { break };
        before = last.id;
        out.extend(
            page.into_iter()
                .filter(|r| filter.matches(r))
                .take(limit - out.len()),
        );
    }
    Ok(out)
}

/// Call `each` with every matching record in log order; returns how many.
pub fn for_each(
    conn: &impl Db,
    filter: &AuditFilter<'_>,
    mut each: impl FnMut(&AuditRecord) -> std::io::Result<()>,
) -> Result<usize, AuditExportError> {
    let bounds = filter.period.map(|(p, tz)| p.bounds(tz));
    let mut after = 0;
    let mut n = 0;
    loop {
        let page = store::review::audit_records(
            conn,
            bounds.map(|b| b.0),
            bounds.map(|b| b.1),
            after,
            PAGE,
        )?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for r in page.iter().filter(|r| filter.matches(r)) {
            each(r)?;
            n += 1;
        }
    }
    Ok(n)
}

/// Record that the log was exported.
pub fn record(
    conn: &impl Write,
    filter: &AuditFilter<'_>,
    format: &'static str,
    rows: usize,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let event = ExportEvent {
        kind: ExportKind::AuditLog,
        from: filter.period.map(|(p, _)| p.from),
        to: filter.period.map(|(p, _)| p.to),
        patient: None,
        format,
        rows,
        with_bodies: false,
    };
    store::audit::append(conn, &event.audit_entry(actor, now))?;
    Ok(())
}

/// Column names of the CSV form.
pub const CSV_HEADER: [&str; 8] = [
    "id",
    "at",
    "actor",
    "action",
    "subject",
    "detail",
    "prev_hash",
    "hash",
];

/// One record as a CSV line (times in UTC, as the hash chain covers them).
pub fn csv_line(r: &AuditRecord) -> String {
    csv::record(&[
        Cell::raw(r.id.to_string()),
        Cell::raw(
            r.entry
                .at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
        Cell::text(r.entry.actor.as_str()),
        Cell::text(r.entry.action.as_str()),
        Cell::text(r.entry.subject.as_str()),
        Cell::text(r.entry.detail.as_str()),
        Cell::raw(r.prev_hash.as_str()),
        Cell::raw(r.hash.as_str()),
    ])
}

/// Why the export stopped.
#[derive(Debug, thiserror::Error)]
pub enum AuditExportError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Write(#[from] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::AuditEntry;
    use crate::store::Store;
    use crate::store::appointments::tests::t;
    use chrono::{Duration, NaiveDate};

    fn log() -> Store {
        let store = Store::open_in_memory().unwrap();
        for (i, actor) in ["desk", "system", "desk"].iter().enumerate() {
            let e = AuditEntry::new(
                t(9, 0) + Duration::days(i as i64),
                actor,
                "appointment.status",
                format!("appointment:{i}"),
                serde_json::json!({"to": "arrived", "note": "=1+1"}),
            );
            store::audit::append(store.test_conn(), &e).unwrap();
        }
        store
    }

    fn ids(store: &Store, filter: &AuditFilter<'_>) -> Vec<i64> {
        let mut out = Vec::new();
        for_each(store.test_conn(), filter, |r| {
            out.push(r.id);
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn filters_by_local_days_and_member() {
        let store = log();
        let tz = chrono_tz::America::New_York;
        assert_eq!(ids(&store, &AuditFilter::default()), vec![1, 2, 3]);
        let day = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let one_day = AuditFilter {
            period: Some((Period::new(day, day).unwrap(), tz)),
            ..AuditFilter::default()
        };
        assert_eq!(ids(&store, &one_day), vec![2]);
        let desk = AuditFilter {
            actor: Some("desk"),
            ..AuditFilter::default()
        };
        assert_eq!(ids(&store, &desk), vec![1, 3]);
        let subject = AuditFilter {
            subject: Some("appointment:1"),
            action: Some("appointment"),
            ..AuditFilter::default()
        };
        assert_eq!(ids(&store, &subject), vec![2]);
        let other = AuditFilter {
            action: Some("consent"),
            ..AuditFilter::default()
        };
        assert!(ids(&store, &other).is_empty());
    }

    #[test]
    fn the_screen_pages_newest_first() {
        let store = log();
        let all = AuditFilter::default();
        let first: Vec<i64> = newest_first(store.test_conn(), &all, None, 2)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(first, vec![3, 2]);
        let next: Vec<i64> = newest_first(store.test_conn(), &all, Some(2), 2)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(next, vec![1]);
        let desk = AuditFilter {
            actor: Some("desk"),
            ..AuditFilter::default()
        };
        let ids: Vec<i64> = newest_first(store.test_conn(), &desk, None, 10)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, vec![3, 1]);
    }

    #[test]
    fn csv_keeps_the_chain_and_quotes_the_detail() {
        let store = log();
        let r = &store::audit::page(store.test_conn(), 0, 1).unwrap()[0];
        let line = csv_line(r);
        assert!(
            line.starts_with("1,2026-11-25T09:00:00Z,desk,appointment.status,appointment:0,"),
            "{line}"
        );
        assert!(
            line.contains("\"{\"\"note\"\":\"\"=1+1\"\",\"\"to\"\":\"\"arrived\"\"}\""),
            "{line}"
        );
        assert!(line.trim_end().ends_with(&r.hash));
    }

    #[test]
    fn the_export_is_itself_audited() {
        let store = log();
        record(
            store.test_conn(),
            &AuditFilter::default(),
            "jsonl",
            3,
            "manager",
            t(12, 0),
        )
        .unwrap();
        let last = store::audit::page(store.test_conn(), 3, 10).unwrap();
        assert_eq!(last[0].entry.action, "export.audit_log");
        assert!(last[0].entry.detail.contains("\"rows\":3"));
    }
}
