//! What the reporting commands (stats, export, audit export/review, consent) share: the
//! output formats, the period arguments, the existing database, who is acting, and writing
//! to stdout without a panic when the reader goes away (`| head`).

use std::io::Write;

use anyhow::Context as _;
use clap::ValueEnum;

use super::{Context, acting, runtime};
use crate::domain::staff::{Action, Actor};
use crate::domain::stats::Period;
use crate::store::Store;
use crate::workflow;

/// `--format` of the statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    Table,
    Csv,
    Json,
}

/// `--format` of exports and of the consent history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    Csv,
    Json,
}

impl DataFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }
}

/// `audit export --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Csv,
    Jsonl,
}

/// `--format` of the reviews.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReviewFormat {
    Table,
    Json,
}

/// The practice database (which must already exist: a report on a database that was just
/// created empty would be a confident report of nothing), and who is acting — `system`, or
/// the member `--as` names once signed in — checked against the permission table for
/// `action`. Every record a reporting command writes names that actor.
pub fn open_as(ctx: &Context, action: Action) -> anyhow::Result<(Store, Actor)> {
    let mut store = runtime::open_store(ctx)?;
    let actor = acting::acting(ctx, &mut store, action)?;
    Ok((store, actor))
}

/// `--from`/`--to` (local dates, inclusive); by default the four weeks ending today.
pub fn period(ctx: &Context, from: Option<&str>, to: Option<&str>) -> anyhow::Result<Period> {
    let today = workflow::stats::today(&ctx.config, ctx.clock.now());
    Period::from_args(from, to, today).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Write to stdout; a closed pipe ends the output quietly.
pub fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

/// A percentage for tables: "8.1%", or "—" when there is nothing to divide.
pub fn pct(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| format!("{:.1}%", r * 100.0))
}
