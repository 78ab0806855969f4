//! The `frontdesk` binary: parse the command line, start logging, load the config, dispatch.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use frontdesk::cli::{self, Cli, Command, Context};
use frontdesk::clock::Clock;
use frontdesk::config::Config;
use frontdesk::paths::Paths;
use frontdesk::store::StoreError;

fn main() -> ExitCode {
    // Before anything is created: the database, its -wal/-shm, logs and locks owner-only.
    frontdesk::files::private_umask();
    let args = Cli::parse();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            // Not eprintln!: after a hang-up stderr may be gone, and that must not panic.
            let _ = writeln!(std::io::stderr(), "error: {}", one_line(&e));
            ExitCode::from(1)
        }
    }
}

fn run(args: Cli) -> anyhow::Result<ExitCode> {
    let paths = Paths::resolve(args.config.as_deref(), args.db.as_deref())?;
    let clock = Clock::from_env()?;
    let demo = matches!(args.command, Some(Command::Demo(_)));
    let fixed = clock.fixed_warning().filter(|_| !demo);
    if let Some(warning) = &fixed {
        let _ = writeln!(std::io::stderr(), "warning: {warning}");
    }
    // Checked before the log folder is made next to it: a mistyped --db creates nothing.
    if args
        .command
        .as_ref()
        .is_none_or(Command::opens_practice_database)
        && !paths.db_file.is_file()
    {
        return Err(StoreError::Missing(paths.db_file.display().to_string()).into());
    }
    let _log = frontdesk::logging::init(&paths.log_dir);
    // `init` writes the config; there is none to read yet (and an existing one stops it).
    let config = if matches!(args.command, Some(Command::Init(_))) {
        Config::unconfigured()
    } else {
        Config::load(&paths.config_file, paths.config_explicit)?
    };
    let ctx = Context {
        paths,
        config,
        clock,
        acting_as: args.acting_as,
    };
    match args.command {
        Some(command) => cli::run(command, &ctx),
        None => {
            // The console opens locked; every action is the signed-in member's.
            let banner = clock.fixed_mark();
            frontdesk::tui::run(&ctx, &ctx.paths.db_file, banner, Vec::new())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The error and its causes on one line, leaving out a cause whose text the line already
/// carries (many errors quote their source in their own message).
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    line
}
