//! The `frontdesk` binary: parse the command line, start logging, load the config, dispatch.

use std::process::ExitCode;

use clap::Parser;
use frontdesk::cli::{self, Cli, Context};
use frontdesk::clock::Clock;
use frontdesk::config::Config;
use frontdesk::paths::Paths;

fn main() -> ExitCode {
    let args = Cli::parse();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::from(1)
        }
    }
}

fn run(args: Cli) -> anyhow::Result<ExitCode> {
    let paths = Paths::resolve(args.config.as_deref(), args.db.as_deref())?;
    let _log = frontdesk::logging::init(&paths.log_dir)?;
    let config = Config::load(&paths.config_file, paths.config_explicit)?;
    let clock = Clock::from_env()?;
    let ctx = Context {
        paths,
        config,
        clock,
    };
    match args.command {
        Some(command) => cli::run(command, &ctx),
        None => {
            // A default desk user until staff accounts exist.
            frontdesk::tui::run(&ctx, &ctx.paths.db_file, "desk", None)?;
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
