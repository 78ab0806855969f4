//! `frontdesk appointments add|move|cancel`: the schedule by hand, with the same checks as
//! an import and an audit record for each change.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{Context, acting, runtime};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::ids::AppointmentId;
use crate::domain::staff::Action;
use crate::workflow::desk;
use crate::workflow::manual::{self, AppointmentInput, When};

#[derive(Debug, Args)]
pub struct AppointmentsArgs {
    #[command(subcommand)]
    pub command: AppointmentsCommand,
}

#[derive(Debug, Subcommand)]
pub enum AppointmentsCommand {
    /// Book an appointment; prints its number.
    Add(AddAppointment),
    /// Move an appointment to a new time (it gets fresh reminders).
    Move(MoveAppointment),
    /// Cancel an appointment.
    Cancel(CancelAppointment),
}

#[derive(Debug, Args)]
pub struct WhenArgs {
    /// MM/DD/YYYY (US) or YYYY-MM-DD.
    #[arg(long)]
    pub date: String,
    /// 9:30 AM or 09:30, in the practice's time zone.
    #[arg(long)]
    pub time: String,
    /// Length in minutes (default: the appointment type's).
    #[arg(long)]
    pub minutes: Option<String>,
}

impl WhenArgs {
    fn when(self) -> When {
        When {
            date: self.date,
            time: self.time,
            minutes: self.minutes,
        }
    }
}

#[derive(Debug, Args)]
pub struct AddAppointment {
    /// frontdesk's patient number or the practice's chart number.
    #[arg(long)]
    pub patient: String,
    #[command(flatten)]
    pub when: WhenArgs,
    /// As patients know them ("Dr. Okafor"); added if new.
    #[arg(long)]
    pub clinician: String,
    /// Internal name; new types read "Appointment" in texts.
    #[arg(long = "type")]
    pub type_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct MoveAppointment {
    pub id: i64,
    #[command(flatten)]
    pub when: WhenArgs,
}

#[derive(Debug, Args)]
pub struct CancelAppointment {
    pub id: i64,
}

pub fn run(args: AppointmentsArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let mut store = runtime::open_store(ctx)?;
    let now = ctx.clock.now();
    let action = match args.command {
        AppointmentsCommand::Cancel(_) => Action::ChangeAppointmentStatus,
        _ => Action::EditSchedule,
    };
    let acting = acting::acting(ctx, &mut store, action)?;
    let actor = acting.audit_name();
    match args.command {
        AppointmentsCommand::Add(a) => {
            let input = AppointmentInput {
                patient: a.patient,
                when: a.when.when(),
                clinician: a.clinician,
                type_name: a.type_name,
            };
            let id = manual::add_appointment(&mut store, &ctx.config, &input, actor, now)?;
            println!("added appointment {id}");
        }
        AppointmentsCommand::Move(m) => {
            let a = manual::move_appointment(
                &mut store,
                &ctx.config,
                AppointmentId(m.id),
                &m.when.when(),
                actor,
                now,
            )?;
            let local = a.start.with_timezone(&ctx.config.practice.time_zone);
            println!(
                "moved appointment {} to {}",
                a.id,
                local.format("%a %b %-d %Y %-I:%M %p")
            );
        }
        AppointmentsCommand::Cancel(c) => {
            desk::set_status(
                &mut store,
                &ctx.config,
                AppointmentId(c.id),
                AppointmentStatus::Cancelled,
                &acting,
                now,
            )?;
            println!("cancelled appointment {}", c.id);
        }
    }
    Ok(ExitCode::SUCCESS)
}
