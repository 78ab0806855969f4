//! `frontdesk sync [--json] [--watch [--interval SECS]]` (SPEC §4): fetch replies and
//! delivery statuses from the provider, apply them, answer keywords, send the outbox. A thin
//! shell around [`workflow::sync`]: progress lines go to stderr, the summary (or one JSON
//! object) to stdout; a provider that refuses the credentials, or cannot be reached, ends a
//! single sync with exit 1; a partly failed one exits 3. `--watch` polls every `--interval`
//! seconds (default 30) until SIGTERM or SIGINT, then exits 0 with the send lock released.
//!
//! [`workflow::sync`]: crate::workflow::sync::sync

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::anyhow;
use clap::Args;

use super::runtime;
use super::{Context, acting};
use crate::config::Config;
use crate::domain::batch::BatchEvent;
use crate::domain::report::{LineAction, Totals};
use crate::domain::staff::Action;
use crate::phi::Gate;
use crate::store::Store;
use crate::workflow::dispatch::Dispatcher;
use crate::workflow::sender::Sender;
use crate::workflow::sync::{self, SyncReport};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Print the report as one JSON object instead of a summary (with --watch: one object
    /// per line, for each pass in which something happened).
    #[arg(long)]
    pub json: bool,
    /// Keep polling until stopped (SIGTERM or Ctrl-C), so that a STOP is applied and
    /// confirmed within minutes: for a systemd service or a terminal left open.
    #[arg(long)]
    pub watch: bool,
    /// Seconds between two polls with --watch (1 to 240: a STOP must be confirmed within 5
    /// minutes of its arrival).
    #[arg(long, value_name = "SECS", default_value_t = 30, requires = "watch",
          value_parser = clap::value_parser!(u64).range(1..=MAX_INTERVAL))]
    pub interval: u64,
}

/// The longest pause `--watch` allows between polls: a STOP fetched later than 5 minutes
/// after it arrived may no longer be confirmed (FCC), and a pass itself takes some time.
pub const MAX_INTERVAL: u64 = 240;

/// After a stop signal, how long a pass in progress may take to finish before it is
/// abandoned (safe: every text is `pending` before its provider call and reconciled next
/// time).
const STOP_GRACE: Duration = Duration::from_secs(10);

pub fn run(args: SyncArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let mut store = runtime::open_store(ctx)?;
    // Like `remind`, sync's records name `system`; --as only checks who may start it.
    acting::acting(ctx, &mut store, Action::SyncProvider)?;
    let config = runtime::sending_config(ctx, &store)?;
    let Sender { dispatcher, gate } = runtime::sender(ctx)?;
    let runtime = runtime::tokio()?;
    eprintln!(
        "sync: fetching replies and delivery statuses from {}{}",
        dispatcher.provider.name(),
        if args.watch {
            format!(" every {} s until stopped", args.interval)
        } else {
            String::new()
        }
    );
    let pass = Pass {
        d: &dispatcher,
        ctx,
        config: &config,
        gate: &gate,
        json: args.json,
    };
    if args.watch {
        return runtime.block_on(pass.watch(&mut store, Duration::from_secs(args.interval)));
    }
    let report = runtime.block_on(pass.once(&mut store))?;
    pass.print(&report, true)?;
    match report.stopped {
        Some(reason) => Err(anyhow!("sync stopped: {reason}")),
        None => Ok(runtime::exit_code(report.partly_failed())),
    }
}

/// What every sync pass of one command shares.
struct Pass<'a> {
    d: &'a Dispatcher,
    ctx: &'a Context,
    /// The config checked for sending (the practice's name and phone are set).
    config: &'a Config,
    gate: &'a Gate,
    json: bool,
}

impl Pass<'_> {
    async fn once(&self, store: &mut Store) -> anyhow::Result<SyncReport> {
        let mut progress = |event: BatchEvent| {
            if let Some(line) = progress_line(&event) {
                eprintln!("sync: {line}");
            }
        };
        Ok(sync::sync(
            self.d,
            store,
            self.config,
            self.gate,
            &self.ctx.clock,
            &mut progress,
        )
        .await?)
    }

    /// Print a pass's report; with `always` false only when something happened.
    fn print(&self, r: &SyncReport, always: bool) -> anyhow::Result<()> {
        let happened = r.replies.total() + r.statuses_applied + r.adopted + r.lines.len() > 0
            || r.stopped.is_some();
        if !(always || happened) {
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
        if self.json {
            serde_json::to_writer(&mut out, r)?;
            writeln!(out)?;
        } else {
            write!(out, "{}", summary(r))?;
        }
        out.flush()?;
        Ok(())
    }

    /// Poll every `interval` until SIGTERM or SIGINT; each pass takes and releases the send
    /// lock, so `remind` runs between passes. Stops with an error only when the provider
    /// refuses the credentials or setup (nothing will change until someone fixes it); a
    /// network failure is printed and polling goes on.
    async fn watch(&self, store: &mut Store, interval: Duration) -> anyhow::Result<ExitCode> {
        let stop = stop_signal();
        tokio::pin!(stop);
        loop {
            let pass = self.once(store);
            tokio::pin!(pass);
            let report = tokio::select! {
                r = &mut pass => r?,
                () = &mut stop => {
                    eprintln!("sync: stopping; letting the pass in progress finish");
                    if let Ok(r) = tokio::time::timeout(STOP_GRACE, &mut pass).await {
                        self.print(&r?, false)?;
                    }
                    return Ok(ExitCode::SUCCESS);
                }
            };
            self.print(&report, false)?;
            if let (true, Some(reason)) = (report.stopped_for_good, &report.stopped) {
                return Err(anyhow!("sync stopped: {reason}"));
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = &mut stop => {
                    eprintln!("sync: stopped");
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    }
}

/// Resolves on SIGTERM (systemd, `kill`) or SIGINT (Ctrl-C). If the handlers cannot be
/// installed it never resolves (the process can still be killed).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
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
