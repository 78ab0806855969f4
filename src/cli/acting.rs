//! Who runs a headless command, and reading secrets without echo.
//!
//! A command acts as `system` (cron, scripts) unless `--as NAME` names a member of staff; then
//! the member's PIN or password comes from `FRONTDESK_PIN`, or is asked for without echo when
//! a person is at a terminal, and signing in follows the same lockout as the console. The
//! permission table decides what either may do. Secrets are never echoed, logged or printed.

use std::io::IsTerminal;

use anyhow::anyhow;

use super::Context;
use crate::domain::staff::{Action, Actor, Denied, Secret};
use crate::store::Store;
use crate::workflow::staff;

/// The variable that carries the PIN or password of the member `--as` names.
pub const PIN_ENV: &str = "FRONTDESK_PIN";

/// Sign in the member `--as` names (or act as `system`) and check that they may `action`.
pub fn acting(ctx: &Context, store: &mut Store, action: Action) -> anyhow::Result<Actor> {
    let actor = match &ctx.acting_as {
        None => Actor::System,
        Some(name) => {
            let secret = read_secret(PIN_ENV, &format!("PIN or password for {name}: "))?;
            let member = staff::sign_in(store, name, &secret, ctx.clock.now())
                .map_err(|e| anyhow!("cannot sign in as {name}: {}", e.describe(tz(ctx))))?;
            tracing::info!(staff_id = member.id.0, "signed in for a command");
            Actor::Member(member)
        }
    };
    permit(&actor, action)?;
    Ok(actor)
}

/// The permission table's answer, with what to do next when it is no.
pub fn permit(actor: &Actor, action: Action) -> anyhow::Result<()> {
    actor.may(action).map_err(|e| match e {
        Denied::NeedsPerson { .. } => {
            anyhow!("{e}; run it as that person with --as NAME (PIN or password in {PIN_ENV})")
        }
        Denied::Role { .. } => anyhow!("{e}"),
    })
}

fn tz(ctx: &Context) -> chrono_tz::Tz {
    ctx.config.practice.time_zone
}

/// A secret from the environment variable `env`, or typed without echo at a terminal.
pub fn read_secret(env: &str, prompt: &str) -> anyhow::Result<Secret> {
    if let Ok(value) = std::env::var(env)
        && !value.is_empty()
    {
        return Ok(Secret::new(value));
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("set {env} to the PIN or password (no terminal to ask on)");
    }
    let typed = rpassword::prompt_password(prompt)
        .map_err(|e| anyhow!("cannot read the PIN or password: {e}"))?;
    Ok(Secret::new(typed))
}

/// A new secret: from `env`, or typed twice without echo at a terminal.
pub fn read_new_secret(env: &str, whose: &str) -> anyhow::Result<Secret> {
    if let Ok(value) = std::env::var(env)
        && !value.is_empty()
    {
        return Ok(Secret::new(value));
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("set {env} to {whose}'s new PIN or password (no terminal to ask on)");
    }
    let first = rpassword::prompt_password(format!("New PIN or password for {whose}: "))?;
    let again = rpassword::prompt_password("Type it again: ")?;
    if first != again {
        anyhow::bail!("the two entries differ; nothing was changed");
    }
    Ok(Secret::new(first))
}
