//! `frontdesk staff add|disable|enable|reset|role|list` (SPEC §4): staff accounts, by an admin
//! named with `--as` (the admin's password from `FRONTDESK_PIN`, or asked at a terminal). A
//! new member's PIN or password comes from `FRONTDESK_NEW_PIN` or is typed twice without echo;
//! it is never printed.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};

use super::{Context, acting, runtime};
use crate::domain::staff::{Action, Actor, Role, StaffMember, Username};
use crate::workflow::staff::{self, NewMember, RoleChange};

/// The variable that carries a new or reset member's PIN or password.
pub const NEW_PIN_ENV: &str = "FRONTDESK_NEW_PIN";

#[derive(Debug, Args)]
pub struct StaffArgs {
    #[command(subcommand)]
    pub command: StaffCommand,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RoleArg {
    Reception,
    Manager,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Reception => Role::Reception,
            RoleArg::Manager => Role::Manager,
            RoleArg::Admin => Role::Admin,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a member (PIN or password from FRONTDESK_NEW_PIN, or typed twice).
    Add {
        username: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The name screens show (default: the username).
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Disable a member: they can no longer sign in; their history stays theirs.
    Disable { username: String },
    /// Re-enable a disabled member.
    Enable { username: String },
    /// Give a member a new PIN or password (and lift a lockout).
    Reset { username: String },
    /// Change a member's role (to admin: with a new password).
    Role {
        username: String,
        #[arg(value_enum)]
        role: RoleArg,
    },
    /// List every member: username, role, active, locked.
    List {
        /// One JSON object per member.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: StaffArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let mut store = runtime::open_store(ctx)?;
    let action = match args.command {
        StaffCommand::List { .. } => Action::ListStaff,
        _ => Action::ManageStaff,
    };
    let actor = acting::acting(ctx, &mut store, action)?;
    let now = ctx.clock.now();
    let (verb, member) = match args.command {
        StaffCommand::Add {
            username,
            role,
            name,
        } => {
            let username = Username::parse(&username).context("username")?;
            let secret = acting::read_new_secret(NEW_PIN_ENV, username.as_str())?;
            let new = NewMember {
                username,
                display_name: name,
                role: role.into(),
                secret,
            };
            ("added", staff::add(&mut store, &actor, &new, now)?)
        }
        StaffCommand::Disable { username } => (
            "disabled",
            staff::disable(&mut store, &actor, &username, now)?,
        ),
        StaffCommand::Enable { username } => (
            "enabled",
            staff::enable(&mut store, &actor, &username, now)?,
        ),
        StaffCommand::Reset { username } => {
            let secret = acting::read_new_secret(NEW_PIN_ENV, &username)?;
            let m = staff::reset(&mut store, &actor, &username, &secret, now)?;
            ("given a new PIN or password", m)
        }
        StaffCommand::Role { username, role } => {
            role_change(ctx, &mut store, &actor, &username, role.into())?
        }
        StaffCommand::List { json } => {
            list(&staff::list(&store, &actor)?, json, ctx)?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    println!("{} ({}) {verb}", member.username, member.role);
    Ok(ExitCode::SUCCESS)
}

fn role_change(
    ctx: &Context,
    store: &mut crate::store::Store,
    actor: &Actor,
    username: &str,
    role: Role,
) -> anyhow::Result<(&'static str, StaffMember)> {
    let password = if role == Role::Admin {
        Some(acting::read_new_secret(NEW_PIN_ENV, username)?)
    } else {
        None
    };
    let change = RoleChange {
        username,
        role,
        new_password: password.as_ref(),
    };
    let m = staff::set_role(store, actor, &change, ctx.clock.now())?;
    Ok(("now has this role", m))
}

fn list(members: &[StaffMember], json: bool, ctx: &Context) -> anyhow::Result<()> {
    let now = ctx.clock.now();
    let tz = ctx.config.practice.time_zone;
    for m in members {
        let locked = m.locked_until(now);
        if json {
            let row = serde_json::json!({
                "username": m.username,
                "display_name": m.display_name,
                "role": m.role,
                "active": m.active,
                "locked_until": locked.map(|t| t.to_rfc3339()),
            });
            println!("{row}");
            continue;
        }
        let state = match (m.active, locked) {
            (false, _) => "disabled".to_string(),
            (true, Some(until)) => {
                format!("locked until {}", until.with_timezone(&tz).format("%H:%M"))
            }
            (true, None) => "active".to_string(),
        };
        println!(
            "{:<20} {:<10} {:<22} {}",
            m.username,
            m.role.as_str(),
            state,
            m.display_name
        );
    }
    Ok(())
}
