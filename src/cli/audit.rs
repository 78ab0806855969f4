//! `frontdesk audit verify`: walk the audit trail's hash chain and say whether it is intact.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{Context, acting, runtime};
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
}

pub fn run(args: AuditArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    match args.command {
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
