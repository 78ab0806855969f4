//! `frontdesk demo`: seed (or reuse) the demo practice and open the console on it.

use std::process::ExitCode;

use clap::Args;

use super::Context;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Only write the demo database, then exit.
    #[arg(long)]
    pub seed_only: bool,
    /// Seed for the synthetic practice (same seed, same practice).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

pub fn run(_args: DemoArgs, _ctx: &Context) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the demo practice is not built yet")
}
