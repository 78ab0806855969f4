//! `frontdesk restore PATH`: bring a backup back. The backup is copied beside the database
//! and checked (integrity, schema, audit chain) before anything is replaced; the person
//! restoring signs in against the staff of the backup (`--as`, an admin); it is refused while
//! another program has the database open; the replaced file is kept beside it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::{Context, acting};
use crate::domain::staff::Action;
use crate::workflow::backup::{self, Act};
use crate::workflow::database::KeySource;

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file written by `frontdesk backup`.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// The key file the backup was written with, if not the practice's.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
}

pub fn run(args: RestoreArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let db = &ctx.paths.db_file;
    let keys = KeySource::from_env(&ctx.paths.config_file, db);
    let key = keys
        .existing_or_new(db)
        .context("cannot get the database key")?;
    if let Some(file) = &key.created {
        crate::cli::runtime::say_note(Some(&format!(
            "there was no database key; a new one was written to {} and the restored database \
             is encrypted with it: keep a copy apart from the database and its backups",
            file.display()
        )));
    }
    let key = key.key;
    let backup_key = match &args.key_file {
        Some(file) => KeySource::file(file)
            .existing(db)
            .context("cannot read the backup's key")?,
        None => key.clone(),
    };
    let staged = backup::stage(db, &args.path, &key, &backup_key)?;
    let actor = {
        let mut copy = staged.open(&key)?;
        acting::acting(ctx, &mut copy, Action::Restore)?
    };
    let act = Act {
        actor: &actor,
        now: ctx.clock.now(),
    };
    let records = staged.audit_records;
    let kept = staged.install(&key, act)?;
    println!(
        "restored {} into {} ({records} audit records, chain intact)",
        args.path.display(),
        db.display()
    );
    if let Some(kept) = kept {
        println!("the database it replaced is kept as {}", kept.display());
    }
    Ok(ExitCode::SUCCESS)
}
