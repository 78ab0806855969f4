//! `frontdesk export appointments|messages [--from D] [--to D] [--format csv|json]`: one row
//! per appointment (status, confirmation, each reminder's outcome and reason) or per message
//! (bodies only with `--with-bodies`). Every export is written to the audit log first.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::Context;
use super::output::{self, DataFormat};
use crate::domain::staff::Action;
use crate::workflow::export::{self, AuditAs};

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub what: ExportCommand,
}

/// The period and format every export takes.
#[derive(Debug, Args)]
pub struct Range {
    /// First day, practice time (YYYY-MM-DD). Default: 27 days before --to.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last day, inclusive (YYYY-MM-DD). Default: today.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: DataFormat,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// One row per appointment starting in the period.
    Appointments {
        #[command(flatten)]
        range: Range,
    },
    /// One row per message (both directions) written in the period.
    Messages {
        #[command(flatten)]
        range: Range,
        /// Include the message texts (they may hold what patients wrote; a manager's call).
        #[arg(long)]
        with_bodies: bool,
    },
}

pub fn run(args: ExportArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let (range, with_bodies) = match &args.what {
        ExportCommand::Appointments { range } => (range, false),
        ExportCommand::Messages { range, with_bodies } => (range, *with_bodies),
    };
    let period = output::period(ctx, range.from.as_deref(), range.to.as_deref())?;
    // Message bodies are the most sensitive thing the practice keeps: a named admin only.
    let action = if with_bodies {
        Action::ExportMessageBodies
    } else {
        Action::ExportData
    };
    let (mut store, actor) = output::open_as(ctx, action)?;
    let audit = AuditAs {
        actor: actor.audit_name(),
        now: ctx.clock.now(),
        format: range.format.as_str(),
    };
    let config = &ctx.config;
    let text = match args.what {
        ExportCommand::Appointments { .. } => {
            let x = store.write(|c| export::appointments(c, config, period, &audit))?;
            match range.format {
                DataFormat::Csv => export::appointments_csv(&x),
                DataFormat::Json => serde_json::to_string_pretty(&x.rows)? + "\n",
            }
        }
        ExportCommand::Messages { .. } => {
            let rows = store.write(|c| export::messages(c, config, period, with_bodies, &audit))?;
            match range.format {
                DataFormat::Csv => export::messages_csv(&rows, with_bodies),
                DataFormat::Json => serde_json::to_string_pretty(&rows)? + "\n",
            }
        }
    };
    output::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}
