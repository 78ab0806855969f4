//! Command-line interface: clap types and dispatch. One file per command under `cli/`,
//! each a thin call into `workflow`. Exit codes: 0 success, 1 user-facing error, 2 usage,
//! 3 a run that partly failed or a review with findings.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod acting;
pub mod appointments;
pub mod audit;
pub mod audit_review;
pub mod backup;
pub mod consent;
pub mod demo;
pub mod export;
pub mod import;
pub mod init;
pub mod output;
pub mod patients;
pub mod phi;
pub mod remind;
pub mod restore;
pub mod runtime;
pub mod send;
pub mod staff;
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
    /// Act as this member of staff (PIN or password from FRONTDESK_PIN, or asked at a
    /// terminal); without it a command acts as `system`.
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub acting_as: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Appointments by hand: `appointments add|move|cancel`.
    Appointments(appointments::AppointmentsArgs),
    /// The audit trail: `verify` its hash chain, `export` it, `review` what was sent.
    Audit(audit::AuditArgs),
    /// A consistent, encrypted copy of the database while it is in use (for a nightly cron).
    Backup(backup::BackupArgs),
    /// SMS consent: one patient's history for a dispute, or the practice-wide review.
    Consent(consent::ConsentArgs),
    /// Create (or reuse) a demo practice and open the console on it.
    Demo(demo::DemoArgs),
    /// Patients and appointments from a CSV export or FHIR R4 (file or server); all or nothing.
    Import(import::ImportArgs),
    /// Patients by hand: `patients add`.
    Patients(patients::PatientsArgs),
    /// First run: the practice's config file, its database and the first admin account.
    Init(init::InitArgs),
    /// Appointments or messages of a period as CSV or JSON (audited).
    Export(export::ExportArgs),
    /// The PHI gate: check text for clinical detail before it goes by SMS.
    Phi(phi::PhiArgs),
    /// Bring a backup back: checked before anything is replaced; the replaced file is kept.
    Restore(restore::RestoreArgs),
    /// Send every reminder due now (for cron or a systemd timer); --dry-run shows the plan.
    Remind(remind::RemindArgs),
    /// One-off sends through the same rules: a portal prompt, a closure notice.
    Send(send::SendArgs),
    /// Staff accounts (admin): add, disable, enable, reset, role, list.
    Staff(staff::StaffArgs),
    /// No-show statistics for a period: rates, breakdowns, whether reminders help.
    Stats(stats::StatsArgs),
    /// Fetch replies and delivery statuses from the SMS provider, apply them, answer
    /// HELP/STOP/START, then send what waits in the outbox.
    Sync(sync::SyncArgs),
}

impl Command {
    /// Whether the command works on an existing practice database (all but `init`, which
    /// creates one, `demo`, which has its own, `phi`, which needs none, and `restore`, which
    /// may bring one back where there is none).
    pub fn opens_practice_database(&self) -> bool {
        !matches!(
            self,
            Self::Init(_) | Self::Demo(_) | Self::Phi(_) | Self::Restore(_)
        )
    }
}

/// What every command gets: where things are, the config, the clock, and who `--as` names.
/// The console gets the same value; it lives below both in [`crate::app_context`].
pub type Context = crate::app_context::AppContext;

/// Run a parsed command. Errors are printed by `main` as one line and exit 1.
pub fn run(command: Command, ctx: &Context) -> anyhow::Result<ExitCode> {
    match command {
        Command::Appointments(args) => appointments::run(args, ctx),
        Command::Audit(args) => audit::run(args, ctx),
        Command::Backup(args) => backup::run(args, ctx),
        Command::Consent(args) => consent::run(args, ctx),
        Command::Demo(args) => demo::run(args, ctx),
        Command::Export(args) => export::run(args, ctx),
        Command::Import(args) => import::run(args, ctx),
        Command::Patients(args) => patients::run(args, ctx),
        Command::Init(args) => init::run(args, ctx),
        Command::Phi(args) => phi::run(args, ctx),
        Command::Remind(args) => remind::run(args, ctx),
        Command::Restore(args) => restore::run(args, ctx),
        Command::Send(args) => send::run(args, ctx),
        Command::Staff(args) => staff::run(args, ctx),
        Command::Stats(args) => stats::run(args, ctx),
        Command::Sync(args) => sync::run(args, ctx),
    }
}
