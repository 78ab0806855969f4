//! The manager's side of `frontdesk audit`: `export` (the log as CSV or JSON lines, page by
//! page, then its own audit record) and `review` (the compliance review).

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;

use super::Context;
use super::output::{self, LogFormat, ReviewFormat};
use crate::domain::staff::Action;
use crate::domain::stats::Period;
use crate::workflow::audit_log::{self, AuditFilter, CSV_HEADER};
use crate::workflow::compliance::{self, ComplianceReport};
use crate::workflow::export::local;

/// What `audit export` was asked for.
pub struct ExportFilter<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub staff: Option<&'a str>,
    pub action: Option<&'a str>,
    pub subject: Option<&'a str>,
}

pub fn export(ctx: &Context, format: LogFormat, f: &ExportFilter<'_>) -> anyhow::Result<ExitCode> {
    let tz = ctx.config.practice.time_zone;
    let (from, to) = (f.from, f.to);
    let period = match (from, to) {
        (None, None) => None,
        // An open end is the first or the last day anyone could have written.
        _ => Some(Period::from_args(
            Some(from.unwrap_or("1970-01-01")),
            Some(to.unwrap_or("9999-12-31")),
            NaiveDate::MIN,
        )?),
    };
    let (mut store, actor) = output::open_as(ctx, Action::ExportAudit)?;
    let filter = AuditFilter {
        period: period.map(|p| (p, tz)),
        actor: f.staff,
        action: f.action,
        subject: f.subject,
    };
    let (label, header) = match format {
        LogFormat::Csv => ("csv", Some(crate::domain::csv::header(&CSV_HEADER))),
        LogFormat::Jsonl => ("jsonl", None),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = store.write(|c| -> anyhow::Result<usize> {
        if let Some(h) = &header {
            out.write_all(h.as_bytes())?;
        }
        let n = audit_log::for_each(c, &filter, |r| match format {
            LogFormat::Csv => out.write_all(audit_log::csv_line(r).as_bytes()),
            LogFormat::Jsonl => {
                serde_json::to_writer(&mut out, r)?;
                out.write_all(b"\n")
            }
        });
        let n = match n {
            Err(audit_log::AuditExportError::Write(e))
                if e.kind() == std::io::ErrorKind::BrokenPipe =>
            {
                return Ok(0);
            }
            other => other?,
        };
        audit_log::record(c, &filter, label, n, actor.audit_name(), ctx.clock.now())?;
        Ok(n)
    })?;
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write to standard output")?,
    }
    eprintln!("{written} audit records exported");
    Ok(ExitCode::SUCCESS)
}

pub fn review(ctx: &Context, format: ReviewFormat) -> anyhow::Result<ExitCode> {
    let (mut store, actor) = output::open_as(ctx, Action::ReviewAudit)?;
    let gate = crate::workflow::sender::gate(&ctx.config);
    let now = ctx.clock.now();
    let by = actor.audit_name();
    let report = store.write(|c| compliance::review(c, &ctx.config, &gate, by, now))?;
    let text = match format {
        ReviewFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        ReviewFormat::Table => table(&report, ctx),
    };
    output::emit(&text)?;
    Ok(if report.clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

fn table(r: &ComplianceReport, ctx: &Context) -> String {
    let tz = ctx.config.practice.time_zone;
    let mut s = format!(
        "Compliance review with the current PHI gate: {} templates, {} texts that left or are waiting to\n",
        r.templates_checked, r.messages_checked
    );
    if r.clean() {
        s.push_str("No findings: nothing the gate would refuse today.\n");
        return s;
    }
    let _ = writeln!(s, "{} findings:", r.findings.len());
    for f in &r.findings {
        let _ = writeln!(
            s,
            "  {}  {:<40} {}",
            local(f.when, tz),
            f.place.label(),
            f.problem.label()
        );
    }
    s
}
