//! `frontdesk sync [--json]` (SPEC §4): fetch replies and delivery statuses from the provider,
//! apply them, answer keywords, send the outbox. A thin shell around [`workflow::sync`]:
//! progress lines go to stderr, the summary (or one JSON object) to stdout; a provider that
//! refuses the credentials, or cannot be reached, ends the command with exit 1.
//!
//! [`workflow::sync`]: crate::workflow::sync::sync

use std::io::Write;
use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;

use super::Context;
use super::runtime;
use crate::domain::batch::BatchEvent;
use crate::domain::report::{LineAction, Totals};
use crate::workflow::sync::{self, SyncReport};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Print the report as one JSON object instead of a summary.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: SyncArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let mut store = runtime::open_store(ctx)?;
    let dispatcher = runtime::dispatcher(ctx)?;
    let gate = runtime::gate(ctx);
    let runtime = runtime::tokio()?;
    eprintln!(
        "sync: fetching replies and delivery statuses from {}",
        dispatcher.provider.name()
    );
    let mut progress = |event: BatchEvent| {
        if let Some(line) = progress_line(&event) {
            eprintln!("sync: {line}");
        }
    };
    let report = runtime.block_on(sync::sync(
        &dispatcher,
        &mut store,
        &ctx.config,
        &gate,
        &ctx.clock,
        &mut progress,
    ))?;

    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", summary(&report))?;
    }
    out.flush()?;
    match report.stopped {
        Some(reason) => Err(anyhow!("sync stopped: {reason}")),
        None => Ok(runtime::exit_code(report.partly_failed())),
    }
}

/// One stderr line per send outcome; ids only, never a number or a body.
fn progress_line(event: &BatchEvent) -> Option<String> {
    let id = |item: &crate::domain::batch::BatchItem| {
        item.message_id
            .map_or_else(|| "message".to_string(), |m| format!("message {m}"))
    };
    match event {
        BatchEvent::Sent { item } => Some(format!("{} sent", id(item))),
        BatchEvent::Failed { item, code, .. } => Some(format!(
            "{} failed{}",
            id(item),
            code.as_deref()
                .map(|c| format!(" (error {c})"))
                .unwrap_or_default()
        )),
        BatchEvent::Skipped { item, reason } => {
            Some(format!("{} not sent: {}", id(item), reason.label()))
        }
        BatchEvent::Deferred { item, .. } => Some(format!("{} left waiting", id(item))),
        BatchEvent::Stopped { reason } => Some(format!("stopped: {reason}")),
        BatchEvent::Started { .. } | BatchEvent::Retrying { .. } | BatchEvent::Finished => None,
    }
}

/// The human summary printed to stdout.
pub fn summary(r: &SyncReport) -> String {
    let mut s = String::new();
    let replies = &r.replies;
    s.push_str(&format!(
        "Synced with {}{}.\n",
        r.provider,
        if r.complete {
            ""
        } else {
            " (more to fetch next time)"
        }
    ));
    s.push_str(&format!(
        "  delivery statuses applied: {}\n",
        r.statuses_applied
    ));
    s.push_str(&format!(
        "  replies: {} (confirm {}, reschedule {}, stop {}, cancel {}, start {}, help {}, other {})\n",
        replies.total(),
        replies.confirm,
        replies.reschedule,
        replies.opt_out,
        replies.cancel,
        replies.opt_in,
        replies.help,
        replies.other
    ));
    s.push_str(&format!(
        "  opted out: {}   opted in: {}   confirmed: {}   call-backs: {}   numbers flagged: {}\n",
        r.opt_outs + r.provider_opt_outs,
        r.opt_ins,
        r.confirmed,
        r.callbacks,
        r.numbers_flagged
    ));
    // Both counts below are computed from the report's lines, listed underneath when not sent.
    let answers = Totals::of(r.lines.iter().filter(|l| !l.waited).map(|l| l.action));
    s.push_str(&format!(
        "  answers sent: {} (HELP replies and confirmations), {} failed, {} waiting\n",
        answers.sent + answers.in_outbox,
        answers.failed,
        answers.waiting
    ));
    let f = Totals::of(r.lines.iter().filter(|l| l.waited).map(|l| l.action));
    s.push_str(&format!(
        "  outbox: {} sent, {} failed, {} waiting, {} withdrawn after re-check, {} blocked, {} unreadable\n",
        f.sent,
        f.failed,
        f.waiting + f.in_outbox,
        f.withdrawn,
        f.blocked,
        f.unreadable
    ));
    if r.adopted > 0 {
        s.push_str(&format!(
            "  found at the provider and matched to their texts: {}\n",
            r.adopted
        ));
    }
    s.push_str(&format!("  reply inbox: {} unread\n", r.inbox_unread));
    if let Some(reason) = &r.stopped {
        s.push_str(&format!("  stopped: {reason}\n"));
    }
    for l in r
        .lines
        .iter()
        .filter(|l| !matches!(l.action, LineAction::Sent | LineAction::InOutbox))
    {
        s.push_str(&super::remind::line_text(l, false));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::batch::BatchItem;
    use crate::domain::ids::{MessageId, PatientId};

    #[test]
    fn summary_names_the_counts_staff_act_on() {
        let mut r = SyncReport {
            provider: "twilio".into(),
            complete: true,
            statuses_applied: 3,
            opt_outs: 1,
            confirmed: 2,
            inbox_unread: 4,
            ..SyncReport::default()
        };
        r.replies.other = 4;
        let s = summary(&r);
        assert!(s.starts_with("Synced with twilio.\n"), "{s}");
        assert!(s.contains("delivery statuses applied: 3"), "{s}");
        assert!(s.contains("replies: 4 ("), "{s}");
        assert!(s.contains("opted out: 1"), "{s}");
        assert!(s.contains("confirmed: 2"), "{s}");
        assert!(s.contains("reply inbox: 4 unread"), "{s}");
        assert!(!s.contains("stopped"), "{s}");
        r.stopped = Some("check your Twilio credentials".into());
        r.complete = false;
        let s = summary(&r);
        assert!(s.contains("more to fetch next time"), "{s}");
        assert!(s.contains("stopped: check your Twilio credentials"), "{s}");
    }

    #[test]
    fn progress_lines_carry_ids_only() {
        let item = BatchItem {
            patient_id: PatientId(7),
            appointment_id: None,
            message_id: Some(MessageId(42)),
        };
        assert_eq!(
            progress_line(&BatchEvent::Sent { item: item.clone() }).as_deref(),
            Some("message 42 sent")
        );
        assert_eq!(
            progress_line(&BatchEvent::Failed {
                item,
                code: Some("30003".into()),
                reason: "unreachable".into()
            })
            .as_deref(),
            Some("message 42 failed (error 30003)")
        );
        assert_eq!(progress_line(&BatchEvent::Finished), None);
    }
}
