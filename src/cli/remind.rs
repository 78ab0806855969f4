//! `frontdesk remind [--dry-run] [--json]`: send every reminder due now (the automatic
//! 48 h / 24 h schedule), the onboarding welcome and survey links, obeying every rule of
//! SPEC §5, then print a summary. Meant for cron or a systemd timer.

use std::process::ExitCode;

use clap::Args;

use chrono_tz::Tz;

use super::runtime::{self, StderrProgress};
use super::{Context, acting};
use crate::domain::deadline::local_label;
use crate::domain::report::{LineAction, Totals};
use crate::domain::staff::Action;
use crate::workflow::remind::{self, RemindReport, ReportLine};
use crate::workflow::sender::Sender;

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
    let Sender { dispatcher, gate } = runtime::sender(ctx)?;
    let mut progress = StderrProgress::new(ctx.config.sms.provider);
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
        print!("{}", summary(&report, ctx.config.practice.time_zone));
    }
    if let Some(reason) = &report.stopped {
        anyhow::bail!("the run stopped early: {reason}");
    }
    Ok(runtime::exit_code(report.partly_failed()))
}

/// The human summary: the totals (counted from the lines below), then one line per text and
/// per skip — every line except appointments with nothing due yet.
pub fn summary(r: &RemindReport, tz: Tz) -> String {
    let t = &r.totals;
    let mut out = String::new();
    let (title, verb, first) = if r.dry_run {
        ("Reminders (dry run)", "would send", t.send)
    } else {
        ("Reminders", "sent", t.sent)
    };
    out.push_str(&format!(
        "{title} at {} via {}: {verb} {first}, failed {}, waiting {}, blocked {}, withdrawn {}, \
         skipped {}, unreadable {}, already recorded {}, in outbox {}; not due yet {} (not listed)\n",
        local_label(r.now, tz),
        r.provider,
        t.failed,
        t.waiting,
        t.blocked,
        t.withdrawn,
        t.skipped,
        t.unreadable,
        t.already_recorded,
        t.in_outbox,
        t.wait,
    ));
    if r.welcomes + r.surveys > 0 {
        out.push_str(&format!(
            "  welcome texts {}, survey links {}\n",
            r.welcomes, r.surveys
        ));
    }
    let waited = Totals::of(r.lines.iter().filter(|l| l.waited).map(|l| l.action));
    if waited != Totals::default() {
        out.push_str(&format!(
            "  from the outbox: sent {}, failed {}, waiting {}, withdrawn {}, blocked {}, unreadable {}\n",
            waited.sent + waited.in_outbox,
            waited.failed,
            waited.waiting,
            waited.withdrawn,
            waited.blocked,
            waited.unreadable
        ));
    }
    if let Some(reason) = r.waiting_reason.as_ref().filter(|_| t.waiting > 0) {
        out.push_str(&format!("  left waiting for the next run: {reason}\n"));
    }
    for l in r.lines.iter().filter(|l| l.action != LineAction::Wait) {
        out.push_str(&line_text(l, r.dry_run));
    }
    out
}

/// One report line: action, kind, whose, and why (with the provider's code of a failure).
pub fn line_text(l: &ReportLine, dry_run: bool) -> String {
    // A dry run's preview reads "will send" (SPEC §3.4).
    let action = match l.action {
        LineAction::Send if dry_run => "will send",
        a => a.as_str(),
    };
    let mut what = l.appointment_id.map_or_else(
        || format!("patient {}", l.patient_id),
        |a| format!("appointment {a} (patient {})", l.patient_id),
    );
    if l.waited {
        what.push_str(", waited");
    }
    match &l.reason {
        Some(reason) => format!("  {action:<17} {:<20} {what}: {reason}\n", l.kind.as_str()),
        None => format!("  {action:<17} {:<20} {what}\n", l.kind.as_str()),
    }
}
