//! `frontdesk stats [--from D] [--to D] [--by …] [--format table|csv|json]`: the no-show
//! statistics of SPEC §7 — the same computation the console's statistics screen shows
//! (`workflow::stats::compute`).

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::Context;
use super::output::{self, StatsFormat, pct};
use crate::domain::staff::Action;
use crate::domain::stats::{self, Bucket, Comparison, Dimension, StatsReport};
use crate::workflow;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// First day, practice time (YYYY-MM-DD). Default: 27 days before --to.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last day, inclusive (YYYY-MM-DD). Default: today.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Show only this breakdown (default: all of them).
    #[arg(long, value_enum)]
    pub by: Option<By>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: StatsFormat,
}

/// The breakdowns `--by` offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum By {
    Clinician,
    Type,
    Weekday,
    Hour,
    Week,
    /// Booking lead time.
    Lead,
}

impl By {
    fn dimension(self) -> Dimension {
        match self {
            Self::Clinician => Dimension::Clinician,
            Self::Type => Dimension::Type,
            Self::Weekday => Dimension::Weekday,
            Self::Hour => Dimension::Hour,
            Self::Week => Dimension::Week,
            Self::Lead => Dimension::Lead,
        }
    }
}

pub fn run(args: StatsArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let period = output::period(ctx, args.from.as_deref(), args.to.as_deref())?;
    let (store, _actor) = output::open_as(ctx, Action::ViewStatistics)?;
    let report = workflow::stats::compute(&store, &ctx.config, period, ctx.clock.now())?;
    let dims: Vec<Dimension> = match args.by {
        Some(b) => vec![b.dimension()],
        None => Dimension::ALL.to_vec(),
    };
    let text = match args.format {
        StatsFormat::Table => table(&report, &dims),
        StatsFormat::Csv => stats::csv::to_csv(&report, &dims),
        StatsFormat::Json => json(&report, &dims)? + "\n",
    };
    output::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The report as JSON, with only the chosen breakdowns.
fn json(report: &StatsReport, dims: &[Dimension]) -> anyhow::Result<String> {
    let mut value = serde_json::to_value(report)?;
    if let Some(b) = value.get_mut("breakdowns").and_then(|b| b.as_object_mut()) {
        b.retain(|k, _| dims.iter().any(|d| d.as_str() == k));
    }
    Ok(serde_json::to_string_pretty(&value)?)
}

/// The human report: the tiles, the comparisons, then each breakdown.
pub fn table(r: &StatsReport, dims: &[Dimension]) -> String {
    let t = &r.totals;
    let mut s = format!(
        "No-show statistics {} to {} ({}), appointments that started before {}\n",
        r.period.from,
        r.period.to,
        r.time_zone,
        workflow::export::local(r.computed_at, r.time_zone)
    );
    let _ = writeln!(
        s,
        "  appointments        {:>6}  ({} still to come are not counted)",
        t.appointments, r.upcoming
    );
    let mut tile = |name: &str, rate: Option<f64>, detail: String| {
        let _ = writeln!(s, "  {name:<19} {:>6}  ({detail})", pct(rate));
    };
    tile(
        "no-show rate",
        r.rates.no_show_rate,
        format!(
            "{} no-shows of {} attended or no-show; {} never marked",
            t.no_shows,
            t.attended + t.no_shows,
            t.unrecorded
        ),
    );
    tile(
        "late cancellations",
        r.rates.late_cancellation_rate,
        format!(
            "{} of {} booked cancelled with under 24 h notice; {} cancelled at an unknown time",
            t.late_cancellations, t.appointments, t.cancellation_time_unknown
        ),
    );
    tile(
        "confirmation rate",
        r.rates.confirmation_rate,
        format!(
            "{} of {} reminded confirmed",
            t.confirmed_of_reminded, t.reminded
        ),
    );
    tile(
        "reminder coverage",
        r.rates.reminder_coverage,
        format!(
            "{} of {} eligible had a reminder delivered",
            t.covered, t.eligible
        ),
    );
    tile(
        "delivery failures",
        r.rates.delivery_failure_rate,
        format!(
            "{} of {} reminders handed to the provider failed",
            t.reminders_failed, t.reminders_handed_over
        ),
    );
    let _ = writeln!(s, "  opt-outs            {:>6}", r.opt_outs);
    comparisons(&mut s, r);
    for d in dims {
        breakdown(&mut s, *d, r.breakdowns.get(*d));
    }
    s
}

fn comparisons(s: &mut String, r: &StatsReport) {
    let c = &r.comparisons;
    let _ = writeln!(s, "\nDo reminders help? (no-show rates)");
    let _ = writeln!(s, "  {}", c.reminded.summary());
    let _ = writeln!(s, "  {}", c.confirmed.summary());
    for (title, groups) in [("by clinician", &c.by_clinician), ("by type", &c.by_type)] {
        if groups.is_empty() {
            continue;
        }
        let w = groups
            .iter()
            .map(|g| g.label.chars().count())
            .max()
            .unwrap_or(0);
        let line = |label: &str, x: &Comparison| format!("    {label:<w$}  {}", x.summary());
        let _ = writeln!(s, "  {title}:");
        for g in groups {
            let _ = writeln!(s, "{}", line(&g.label, &g.reminded));
            let _ = writeln!(s, "{}", line("", &g.confirmed));
        }
    }
    let _ = writeln!(
        s,
        "  {}.\n  Too few to tell: under {} appointments with a known outcome in a group, or under {} no-shows in both.\n  {}",
        c.method, c.min_per_group, c.min_no_shows, c.caveat
    );
}

fn breakdown(s: &mut String, d: Dimension, bars: &[Bucket]) {
    let width = bars
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(9, 28);
    let _ = writeln!(
        s,
        "\n{}\n  {:<width$} {:>6} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}",
        capitalise(d.title()),
        "",
        "appts",
        "no-shows",
        "no-show",
        "late canc",
        "confirmed",
        "coverage",
        "failures",
    );
    for b in bars {
        let label: String = b.label.chars().take(width).collect();
        let mut line = format!(
            "  {label:<width$} {:>6} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}",
            b.tally.appointments,
            b.tally.no_shows,
            pct(b.rates.no_show_rate),
            pct(b.rates.late_cancellation_rate),
            pct(b.rates.confirmation_rate),
            pct(b.rates.reminder_coverage),
            pct(b.rates.delivery_failure_rate),
        );
        if let Some(n) = b.opt_outs {
            let _ = write!(line, "  opt-outs {n}");
        }
        let _ = writeln!(s, "{line}");
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
