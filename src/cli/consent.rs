//! `frontdesk consent export --patient ID` (one patient's whole consent history for a
//! dispute) and `frontdesk consent review` (opt-ins older than 12 months, opt-ins without
//! evidence, texts sent without consent — exit 3 if there is any of the last kind).

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::Context;
use super::output::{self, DataFormat, ReviewFormat};
use crate::domain::consent_history::ConsentFinding;
use crate::domain::csv::{self, Cell};
use crate::domain::ids::PatientId;
use crate::domain::staff::Action;
use crate::workflow::consent_review::{self, ConsentExport, ConsentReview, ReviewLine};
use crate::workflow::export::local;

#[derive(Debug, Args)]
pub struct ConsentArgs {
    #[command(subcommand)]
    pub command: ConsentCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// One patient's consent history: every event (method, evidence, who recorded it) and
    /// every text sent, with whether consent was valid at that moment.
    Export {
        /// The patient's id (as in the console or an export).
        #[arg(long)]
        patient: i64,
        #[arg(long, value_enum, default_value = "json")]
        format: DataFormat,
    },
    /// Opt-ins to re-confirm or fix, and texts sent without consent (exit 3 if any).
    Review {
        #[arg(long, value_enum, default_value = "table")]
        format: ReviewFormat,
    },
}

pub fn run(args: ConsentArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let action = match args.command {
        ConsentCommand::Export { .. } => Action::ExportConsent,
        ConsentCommand::Review { .. } => Action::ReviewConsent,
    };
    let (mut store, actor) = output::open_as(ctx, action)?;
    let by = actor.audit_name();
    let now = ctx.clock.now();
    match args.command {
        ConsentCommand::Export { patient, format } => {
            let x = store.write(|c| {
                consent_review::export(c, PatientId(patient), format.as_str(), by, now)
            })?;
            let text = match format {
                DataFormat::Json => serde_json::to_string_pretty(&x)? + "\n",
                DataFormat::Csv => export_csv(&x, ctx),
            };
            output::emit(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        ConsentCommand::Review { format } => {
            let r = store.write(|c| consent_review::review(c, by, now))?;
            let text = match format {
                ReviewFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
                ReviewFormat::Table => review_table(&r, ctx),
            };
            output::emit(&text)?;
            Ok(if r.sent_without_consent.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            })
        }
    }
}

/// One table for a lawyer: events and texts in time order, one line each.
fn export_csv(x: &ConsentExport, ctx: &Context) -> String {
    let tz = ctx.config.practice.time_zone;
    let mut out = csv::header(&[
        "at",
        "record",
        "kind",
        "method",
        "evidence",
        "recorded_by",
        "message_id",
        "to",
        "status",
        "consent_at_that_moment",
    ]);
    let mut lines: Vec<(chrono::DateTime<chrono::Utc>, String)> = Vec::new();
    for e in &x.events {
        lines.push((
            e.at,
            csv::record(&[
                Cell::raw(local(e.at, tz)),
                Cell::raw("consent"),
                Cell::raw(e.kind.as_str()),
                Cell::raw(e.method.as_str()),
                Cell::opt(e.evidence.as_deref()),
                Cell::text(e.recorded_by.as_str()),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ]),
        ));
    }
    for t in &x.texts {
        lines.push((
            t.sent_at,
            csv::record(&[
                Cell::raw(local(t.sent_at, tz)),
                Cell::raw("text"),
                Cell::raw(t.kind.as_str()),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::raw(t.id.to_string()),
                Cell::text(t.to.as_str()),
                Cell::raw(t.status.as_str()),
                Cell::text(t.consent.label()),
            ]),
        ));
    }
    lines.sort_by_key(|(at, _)| *at);
    for (_, l) in lines {
        out.push_str(&l);
    }
    out
}

fn review_table(r: &ConsentReview, ctx: &Context) -> String {
    let tz = ctx.config.practice.time_zone;
    let mut s = format!(
        "Consent review: {} patients, {} texts sent\n",
        r.patients_checked, r.texts_checked
    );
    let section = |s: &mut String, title: &str, lines: &[ReviewLine], none: &str| {
        let _ = writeln!(s, "\n{title}: {}", lines.len());
        if lines.is_empty() {
            let _ = writeln!(s, "  {none}");
        }
        for l in lines {
            let what = match &l.finding {
                ConsentFinding::StaleOptIn {
                    since,
                    method,
                    evidence,
                } => format!(
                    "opted in {} by {} ({evidence})",
                    local(*since, tz),
                    method.label()
                ),
                ConsentFinding::OptInWithoutEvidence { since } => {
                    format!("opt-in of {} has no evidence", local(*since, tz))
                }
                ConsentFinding::SentWithoutConsent {
                    message,
                    kind,
                    sent_at,
                    state,
                } => format!(
                    "message {message} ({kind}) sent {} while {state}",
                    local(*sent_at, tz)
                ),
            };
            let _ = writeln!(s, "  patient {:<6} {:<28} {what}", l.patient_id, l.name);
        }
    };
    section(
        &mut s,
        "Opt-ins older than 12 months (ask the patient to re-confirm)",
        &r.stale_opt_ins,
        "none",
    );
    section(
        &mut s,
        "Opt-ins without evidence (no texts go until the form or record is filed)",
        &r.opt_ins_without_evidence,
        "none",
    );
    section(
        &mut s,
        "Texts sent without valid consent at that moment (must be none)",
        &r.sent_without_consent,
        "none, as it must be",
    );
    s
}
