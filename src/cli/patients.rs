//! `frontdesk patients add`: a patient by hand, for a practice without a practice-management
//! system. The same checks as an import (name, mobile in the default region, birth date).

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{Context, acting, runtime};
use crate::domain::staff::Action;
use crate::workflow::manual::{self, PatientInput};

#[derive(Debug, Args)]
pub struct PatientsArgs {
    #[command(subcommand)]
    pub command: PatientsCommand,
}

#[derive(Debug, Subcommand)]
pub enum PatientsCommand {
    /// Add a patient; prints frontdesk's patient number.
    Add(AddPatient),
}

#[derive(Debug, Args)]
pub struct AddPatient {
    #[arg(long)]
    pub first_name: String,
    #[arg(long)]
    pub last_name: String,
    /// Mobile number for texts, as people write it: (201) 555-0134.
    #[arg(long)]
    pub mobile: Option<String>,
    /// MM/DD/YYYY (US) or YYYY-MM-DD.
    #[arg(long)]
    pub birth_date: Option<String>,
    /// The practice's chart number, so a later import finds this patient.
    #[arg(long = "id", value_name = "CHART")]
    pub external_id: Option<String>,
}

pub fn run(args: PatientsArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let PatientsCommand::Add(a) = args.command;
    let mut store = runtime::open_store(ctx)?;
    let actor = acting::acting(ctx, &mut store, Action::EditSchedule)?;
    let input = PatientInput {
        first_name: a.first_name,
        last_name: a.last_name,
        mobile: a.mobile,
        birth_date: a.birth_date,
        external_id: a.external_id,
    };
    let id = manual::add_patient(
        &mut store,
        &ctx.config,
        &input,
        actor.audit_name(),
        ctx.clock.now(),
    )?;
    println!("added patient {id}");
    Ok(ExitCode::SUCCESS)
}
