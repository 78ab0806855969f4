//! `frontdesk import csv FILE` and `frontdesk import fhir FILE|URL`: patients and
//! appointments from a practice-management export, a FHIR R4 file or a FHIR server.
//! All or nothing. Exit 0 when imported (or nothing changed), 1 when any record was
//! rejected (nothing written), 2 for usage errors (clap).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{Months, NaiveDate};
use clap::{Args, Subcommand};

use super::Context;
use super::{acting, runtime};
use crate::domain::import::aliases::{Field, parse_mapping, parse_mapping_file};
use crate::domain::import::csv::{CsvOptions, read as read_csv};
use crate::domain::import::{Parsed, fhir};
use crate::domain::staff::Action;
use crate::workflow::import::{self, FetchLimits, Options, Source, SourceKind, fetch};

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub command: ImportCommand,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// A CSV export of a practice-management system (see the README for the columns).
    Csv(CsvArgs),
    /// A FHIR R4 Bundle, resource or NDJSON file, or a FHIR server's address.
    Fhir(FhirArgs),
}

/// What both imports share.
#[derive(Debug, Args)]
pub struct Common {
    /// Show what would be added, changed, unchanged and rejected; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Cancel appointments an earlier import brought, in the file's date range, that this
    /// file no longer has (without it they are only listed).
    #[arg(long)]
    pub cancel_missing: bool,
}

#[derive(Debug, Args)]
pub struct CsvArgs {
    pub file: PathBuf,
    /// FIELD=COLUMN for a column the usual names miss (repeatable), e.g. mobile="Cell #".
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    pub maps: Vec<String>,
    /// A file of FIELD=COLUMN lines.
    #[arg(long, value_name = "FILE")]
    pub map_file: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct FhirArgs {
    /// A file (.json Bundle or resource, .ndjson) or a server's base address (https://…/fhir).
    pub source: String,
    /// First day of the server query (default: a month before today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<NaiveDate>,
    /// Last day of the server query (default: a month after today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<NaiveDate>,
    /// The environment variable that holds the server's bearer token.
    #[arg(long, value_name = "NAME", default_value = "FRONTDESK_FHIR_TOKEN")]
    pub token_env: String,
    /// Seconds to wait for each page.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
    /// Stop (and import nothing) past this many pages.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub max_pages: usize,
    #[command(flatten)]
    pub common: Common,
}

pub fn run(args: ImportArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let (parsed, source, common) = match args.command {
        ImportCommand::Csv(a) => {
            let (parsed, source) = read_csv_file(&a, ctx)?;
            (parsed, source, a.common)
        }
        ImportCommand::Fhir(a) if is_url(&a.source) => {
            let (parsed, source) = read_fhir_server(&a, ctx)?;
            (parsed, source, a.common)
        }
        ImportCommand::Fhir(a) => {
            let bytes = read_file(Path::new(&a.source))?;
            let now = ctx.clock.now();
            let parsed = fhir::read(&bytes, import::read_context(&ctx.config, now), 0);
            (
                parsed,
                Source::new(
                    SourceKind::FhirFile,
                    file_name(Path::new(&a.source)),
                    &bytes,
                ),
                a.common,
            )
        }
    };
    let mut store = runtime::open_store(ctx)?;
    let actor = acting::acting(ctx, &mut store, Action::Import)?;
    let gate = crate::workflow::sender::gate(&ctx.config);
    let opts = Options {
        dry_run: common.dry_run,
        cancel_missing: common.cancel_missing,
        actor: actor.audit_name(),
        now: ctx.clock.now(),
    };
    let outcome = import::run(&mut store, &ctx.config, &gate, parsed, &source, opts)?;
    if common.json {
        println!("{}", serde_json::to_string(&outcome.report)?);
    } else {
        print!("{}", outcome.report.human(&source.name, common.dry_run));
    }
    Ok(if outcome.report.rejected() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn read_csv_file(a: &CsvArgs, ctx: &Context) -> anyhow::Result<(Parsed, Source)> {
    let mut mappings: Vec<(Field, String)> = Vec::new();
    if let Some(path) = &a.map_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the mapping file {}", path.display()))?;
        mappings.extend(
            parse_mapping_file(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        );
    }
    for m in &a.maps {
        mappings.push(parse_mapping(m).map_err(|e| anyhow::anyhow!("--map {e}"))?);
    }
    let bytes = read_file(&a.file)?;
    let rc = import::read_context(&ctx.config, ctx.clock.now());
    let parsed = read_csv(
        &bytes,
        &CsvOptions {
            ctx: rc,
            mappings: &mappings,
        },
    );
    Ok((
        parsed,
        Source::new(SourceKind::Csv, file_name(&a.file), &bytes),
    ))
}

fn read_fhir_server(a: &FhirArgs, ctx: &Context) -> anyhow::Result<(Parsed, Source)> {
    let now = ctx.clock.now();
    let today = now
        .with_timezone(&ctx.config.practice.time_zone)
        .date_naive();
    let from = a
        .from
        .unwrap_or_else(|| today.checked_sub_months(Months::new(1)).unwrap_or(today));
    let to =
        a.to.unwrap_or_else(|| today.checked_add_months(Months::new(1)).unwrap_or(today));
    anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
    let token = std::env::var(&a.token_env)
        .ok()
        .filter(|t| !t.trim().is_empty());
    let url = fetch::search_url(&a.source, from, to);
    let server = fetch::Server {
        first: &url,
        token,
        timeout: Duration::from_secs(a.timeout.max(1)),
        limits: FetchLimits {
            max_pages: a.max_pages.max(1),
        },
    };
    let rc = import::read_context(&ctx.config, now);
    let fetched = runtime::tokio()?.block_on(fetch::fetch_from_server(server, rc))?;
    let name = url.split('?').next().unwrap_or(&url).to_string();
    let source = Source {
        kind: SourceKind::FhirServer,
        name,
        sha256: fetched.sha256,
    };
    Ok((fetched.parsed, source))
}

fn is_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

fn read_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The file's own name, without its folders (they may name a person or a machine).
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
