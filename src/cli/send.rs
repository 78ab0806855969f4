//! `frontdesk send ...`: one-off sends from scripts through the same rules as everything else —
//! a portal prompt to one patient, or a closure notice to everyone booked in a window.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use super::runtime;
use super::{Context, acting};
use crate::domain::ids::PatientId;
use crate::domain::message::MessageKind;
use crate::domain::report::SendOutcome;
use crate::domain::staff::Action;
use crate::workflow::closure_desk;
use crate::workflow::send::{self, SendReport};
use crate::workflow::sender::Sender;

#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(subcommand)]
    pub what: SendCommand,
    /// Check and render only; record and send nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Print the report as one JSON object on stdout.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SendCommand {
    /// "Please log in to the portal" to one patient (the content stays in the portal).
    Portal {
        /// The patient's id (as shown by the console or an export).
        #[arg(long)]
        patient: i64,
        /// Which prompt.
        #[arg(long, value_enum)]
        kind: PromptKind,
    },
    /// A closure / schedule-change notice to everyone with an open appointment in a window.
    Closure {
        /// Start of the window, practice time: 2026-11-27 or 2026-11-27T13:00.
        #[arg(long)]
        from: String,
        /// End of the window (exclusive), same forms.
        #[arg(long)]
        to: String,
        /// Only this clinician's visits (a schedule change): their name, or part of it.
        #[arg(long)]
        clinician: Option<String>,
        /// The notice's words (the practice's name goes in front); without it, the
        /// practice's closure template. Checked by the PHI gate like the console's.
        #[arg(long)]
        text: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PromptKind {
    NewMessage,
    ResultsReady,
    IntakeForms,
    RenewalReview,
}

impl PromptKind {
    fn kind(self) -> MessageKind {
        match self {
            Self::NewMessage => MessageKind::PortalNewMessage,
            Self::ResultsReady => MessageKind::PortalResultsReady,
            Self::IntakeForms => MessageKind::PortalIntakeForms,
            Self::RenewalReview => MessageKind::PortalRenewalReview,
        }
    }
}

pub fn run(args: SendArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let mut store = runtime::open_store(ctx)?;
    let action = match args.what {
        SendCommand::Portal { .. } => Action::SendPortalPrompt,
        SendCommand::Closure { .. } => Action::SendClosureNotice,
    };
    let actor = acting::acting(ctx, &mut store, action)?;
    let config = runtime::sending_config(ctx, &store)?;
    let Sender {
        dispatcher: d,
        gate,
    } = runtime::sender(ctx)?;
    let rt = runtime::tokio()?;
    let sending = send::Sending {
        dispatcher: &d,
        config: &config,
        gate: &gate,
        clock: &ctx.clock,
        actor: actor.audit_name(),
    };
    let report = match args.what {
        SendCommand::Portal { patient, kind } => rt.block_on(send::portal_prompt(
            &sending,
            &mut store,
            PatientId(patient),
            kind.kind(),
            args.dry_run,
        ))?,
        SendCommand::Closure {
            from,
            to,
            clinician,
            text,
        } => {
            let clinician = match clinician {
                Some(name) => Some(closure_desk::clinician_named(&store, &name)?),
                None => None,
            };
            let notice = send::ClosureNotice {
                from: send::parse_local(&from, &config)?,
                to: send::parse_local(&to, &config)?,
                clinician,
                text: text.as_deref(),
            };
            rt.block_on(send::closure(&sending, &mut store, &notice, args.dry_run))?
        }
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", summary(&report));
    }
    if let Some(reason) = &report.stopped {
        anyhow::bail!("the send stopped early: {reason}");
    }
    Ok(runtime::exit_code(report.partly_failed()))
}

fn summary(r: &SendReport) -> String {
    let kind = r.kind.map_or("text", |k| k.as_str());
    let n = r.lines.len();
    let mut out = format!(
        "{kind}{}: {n} {} — sent {}, in the outbox {}, queued {}, deferred {}, already sent {}, blocked {}, skipped {}, withdrawn {}, unreadable {}, failed {}; call-back list {}\n",
        if r.dry_run { " (dry run)" } else { "" },
        if n == 1 { "text" } else { "texts" },
        r.count(SendOutcome::Sent) + r.count(SendOutcome::WouldSend),
        r.count(SendOutcome::InOutbox),
        r.count(SendOutcome::Queued),
        r.count(SendOutcome::Deferred),
        r.count(SendOutcome::AlreadySent),
        r.count(SendOutcome::Blocked),
        r.count(SendOutcome::Skipped),
        r.count(SendOutcome::Withdrawn),
        r.count(SendOutcome::Unreadable),
        r.count(SendOutcome::Failed),
        r.lines.iter().filter(|l| l.callback).count(),
    );
    for l in &r.lines {
        let what = l.appointment_id.map_or_else(
            || format!("patient {}", l.patient_id),
            |a| format!("appointment {a} (patient {})", l.patient_id),
        );
        out.push_str(&format!("  {:<12} {what}", l.outcome));
        if let Some(reason) = &l.reason {
            out.push_str(&format!(": {reason}"));
        }
        if l.callback {
            out.push_str(" [call back]");
        }
        out.push('\n');
    }
    out
}
