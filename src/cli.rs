//! Command-line interface: clap types and dispatch. One file per command under `cli/`,
//! each a thin call into `workflow`. Exit codes: 0 success, 1 user-facing error, 2 usage,
//! 3 a run that partly failed or a review with findings.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::clock::Clock;
use crate::config::Config;
use crate::paths::Paths;

pub mod audit;
pub mod audit_review;
pub mod consent;
pub mod demo;
pub mod export;
pub mod output;
pub mod phi;
pub mod remind;
pub mod runtime;
pub mod send;
pub mod stats;
pub mod sync;

/// frontdesk — the front desk of a small medical practice, in a terminal.
#[derive(Debug, Parser)]
#[command(name = "frontdesk", version, about, long_about = None)]
pub struct Cli {
    /// The practice database (default: the platform data directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The config file (default: the platform config directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The audit trail: `verify` its hash chain, `export` it, `review` what was sent.
    Audit(audit::AuditArgs),
    /// SMS consent: one patient's history for a dispute, or the practice-wide review.
    Consent(consent::ConsentArgs),
    /// Create (or reuse) a demo practice and open the console on it.
    Demo(demo::DemoArgs),
    /// Appointments or messages of a period as CSV or JSON (audited).
    Export(export::ExportArgs),
    /// The PHI gate: check text for clinical detail before it goes by SMS.
    Phi(phi::PhiArgs),
    /// Send every reminder due now (for cron or a systemd timer); --dry-run shows the plan.
    Remind(remind::RemindArgs),
    /// One-off sends through the same rules: a portal prompt, a closure notice.
    Send(send::SendArgs),
    /// No-show statistics for a period: rates, breakdowns, whether reminders help.
    Stats(stats::StatsArgs),
    /// Fetch replies and delivery statuses from the SMS provider, apply them, answer
    /// HELP/STOP/START, then send what waits in the outbox.
    Sync(sync::SyncArgs),
}

/// What every command gets: where things are, the config, and the clock.
#[derive(Clone, Debug)]
pub struct Context {
    pub paths: Paths,
    pub config: Config,
    pub clock: Clock,
}

/// Run a parsed command. Errors are printed by `main` as one line and exit 1.
pub fn run(command: Command, ctx: &Context) -> anyhow::Result<ExitCode> {
    match command {
        Command::Audit(args) => audit::run(args, ctx),
        Command::Consent(args) => consent::run(args, ctx),
        Command::Demo(args) => demo::run(args, ctx),
        Command::Export(args) => export::run(args, ctx),
        Command::Phi(args) => phi::run(args, ctx),
        Command::Remind(args) => remind::run(args, ctx),
        Command::Send(args) => send::run(args, ctx),
        Command::Stats(args) => stats::run(args, ctx),
        Command::Sync(args) => sync::run(args, ctx),
    }
}
