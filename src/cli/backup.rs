//! `frontdesk backup PATH`: a consistent online copy of the practice database while the
//! console and `remind` keep working, encrypted with the practice's key (or `--key-file`),
//! owner-only, never over an existing file; re-read and checked, then audited.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::{Context, acting, runtime};
use crate::domain::staff::Action;
use crate::workflow::backup::{self, Act};
use crate::workflow::database::KeySource;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new backup file (it must not exist; put the date in the name).
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Encrypt the backup with the key in this file instead of the practice's (created,
    /// owner-only, if it does not exist): for a copy that leaves the building.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: BackupArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let mut store = runtime::open_store(ctx)?;
    let actor = acting::acting(ctx, &mut store, Action::Backup)?;
    let db = &ctx.paths.db_file;
    let keys = match &args.key_file {
        Some(file) => KeySource::created_if_missing(file),
        None => KeySource::from_env(&ctx.paths.config_file, db),
    };
    let key = keys
        .existing_or_new(db)
        .context("cannot get the backup's key")?;
    if let Some(file) = &key.created {
        runtime::say_note(Some(&format!(
            "a new key for this backup was written to {}; keep it apart from the backup",
            file.display()
        )));
    }
    let act = Act {
        actor: &actor,
        now: ctx.clock.now(),
    };
    let report = backup::backup(&mut store, &args.path, &key.key, act)
        .with_context(|| format!("no backup was written to {}", args.path.display()))?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "backup written to {}: {} KB, schema {}, {} audit records{}; encrypted with {}",
            report.path.display(),
            report.bytes.div_ceil(1024),
            report.schema,
            report.audit_records,
            match &report.chain_broken {
                None => ", chain intact".to_string(),
                Some(why) => format!(" (the audit chain was already broken: {why})"),
            },
            keys.describe()
        );
    }
    Ok(ExitCode::SUCCESS)
}
