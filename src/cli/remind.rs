//! `frontdesk remind [--dry-run] [--json]`: send every reminder due now (the automatic
//! 48 h / 24 h schedule), the onboarding welcome and survey links, obeying every rule of
//! SPEC §5, then print a summary. Meant for cron or a systemd timer.

use std::process::ExitCode;

use clap::Args;

use super::runtime::{self, StderrProgress};
use super::{Context, acting};
use crate::domain::staff::Action;
use crate::workflow::remind::{self, RemindReport};

#[derive(Debug, Args)]
pub struct RemindArgs {
    /// Plan and render only: show what would be sent and why others are skipped; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: RemindArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let mut store = runtime::open_store(ctx)?;
    // Reminders are the practice's automatic schedule: their records name `system` even when
    // a person starts the run with --as (who may start it is still checked).
    acting::acting(ctx, &mut store, Action::SendReminders)?;
    let config = runtime::sending_config(ctx, &store)?;
    let dispatcher = runtime::dispatcher(ctx)?;
    let gate = runtime::gate(ctx);
    let mut progress = StderrProgress::default();
    let report = runtime::tokio()?.block_on(remind::run(
        &dispatcher,
        &mut store,
        &config,
        &gate,
        &ctx.clock,
        args.dry_run,
        &mut |e| progress.on_event(e),
    ))?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", summary(&report));
    }
    if let Some(reason) = &report.stopped {
        anyhow::bail!("the run stopped early: {reason}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The human summary: counts first, then one line per text and per skip.
pub fn summary(r: &RemindReport) -> String {
    let mut out = String::new();
    let verb = if r.dry_run { "would send" } else { "sent" };
    let sent = if r.dry_run {
        r.lines.iter().filter(|l| l.action == "send").count()
    } else {
        r.sent
    };
    out.push_str(&format!(
        "{} at {} via {}: {verb} {sent}, failed {}, deferred {}, blocked {}, skipped {}, waiting {}\n",
        if r.dry_run { "Reminders (dry run)" } else { "Reminders" },
        r.now.to_rfc3339(),
        r.provider,
        r.failed,
        r.deferred + r.unknown,
        r.blocked,
        r.plan.skipped,
        r.plan.waiting,
    ));
    if r.welcomes + r.surveys > 0 {
        out.push_str(&format!(
            "  welcome texts {}, survey links {}\n",
            r.welcomes, r.surveys
        ));
    }
    if let Some(reason) = r
        .waiting_reason
        .as_ref()
        .filter(|_| r.deferred + r.unknown > 0)
    {
        out.push_str(&format!("  left waiting for the next run: {reason}\n"));
    }
    if r.outbox_sent + r.outbox_withdrawn + r.outbox_waiting > 0 {
        out.push_str(&format!(
            "  from the outbox: sent {}, withdrawn {}, still waiting {}\n",
            r.outbox_sent, r.outbox_withdrawn, r.outbox_waiting
        ));
    }
    for l in r.lines.iter().filter(|l| l.action != "wait") {
        // A dry run's preview reads "will send" (SPEC §3.4), a real run's line "send".
        let action = match l.action {
            "send" if r.dry_run => "will send",
            a => a,
        };
        let what = l.appointment_id.map_or_else(
            || format!("patient {}", l.patient_id),
            |a| format!("appointment {a}"),
        );
        match &l.reason {
            Some(reason) => out.push_str(&format!(
                "  {:<17} {:<20} {what}: {reason}\n",
                action,
                l.kind.as_str()
            )),
            None => out.push_str(&format!(
                "  {:<17} {:<20} {what}\n",
                action,
                l.kind.as_str()
            )),
        }
    }
    out
}
