//! `frontdesk audit verify`: walk the audit trail's hash chain and say whether it is intact.
//! `audit export`: the log as CSV or JSON lines. `audit review`: the compliance review
//! (every template and sent body re-scanned with the current PHI gate; exit 3 on findings).

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::output::LogFormat;
use super::{Context, acting, audit_review, runtime};
use crate::domain::staff::Action;
use crate::workflow::audit;

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check that no audit record was changed, removed or reordered (exit 1 if one was).
    Verify {
        /// Print the result as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Write the log (or part of it) as CSV or JSON lines, hashes included.
    Export {
        #[arg(long, value_enum, default_value = "csv")]
        format: LogFormat,
        /// First day, practice time (YYYY-MM-DD). Default: the first record.
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// Last day, inclusive. Default: the last record.
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// Only this member's records (`system` for automatic ones).
        #[arg(long, value_name = "USERNAME")]
        staff: Option<String>,
        /// Only actions starting with this (`consent`, `export`, `message.sent`).
        #[arg(long)]
        action: Option<String>,
        /// Only records about this patient.
        #[arg(long, value_name = "ID")]
        patient: Option<i64>,
    },
    /// Re-scan every template and every sent text with the current PHI gate (exit 3 if
    /// anything is found).
    Review {
        #[arg(long, value_enum, default_value = "table")]
        format: super::output::ReviewFormat,
    },
}

pub fn run(args: AuditArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    match args.command {
        AuditCommand::Export {
            format,
            from,
            to,
            staff,
            action,
            patient,
        } => {
            let subject = patient.map(|p| format!("patient:{p}"));
            let filter = audit_review::ExportFilter {
                from: from.as_deref(),
                to: to.as_deref(),
                staff: staff.as_deref(),
                action: action.as_deref(),
                subject: subject.as_deref(),
            };
            audit_review::export(ctx, format, &filter)
        }
        AuditCommand::Review { format } => audit_review::review(ctx, format),
        AuditCommand::Verify { json } => {
            let mut store = runtime::open_store(ctx)?;
            acting::acting(ctx, &mut store, Action::VerifyAudit)?;
            let report = audit::verify(&store)?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            }
            match &report.broken {
                None => {
                    if !json {
                        println!(
                            "audit trail intact: {} records, each chained to the one before",
                            report.records
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Some(why) => anyhow::bail!(
                    "the audit trail is broken after {} good records: {why}; keep a copy of this database and report it",
                    report.records
                ),
            }
        }
    }
}
