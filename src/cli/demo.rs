//! `frontdesk demo`: seed (or reuse) the demo practice and open the console on it.
//!
//! The demo uses its own database (`demo.db` in the data directory unless `--db` is given) and
//! the built-in demo configuration with the offline outbox — unless `--config` names a file,
//! as SPEC §4 allows — so it can never text a real patient of the practice. It refuses a
//! database that is not a demo database (the seed marks its own), so 400 invented patients
//! never land in a practice's records, where the append-only tables could not remove them.

use std::process::ExitCode;

use clap::Args;

use super::{Context, runtime};
use crate::config::{Config, ProviderKind};
use crate::workflow::database::{self, DatabaseError};
use crate::workflow::demo::group::{self, GroupScale};
use crate::workflow::demo::staff::{DEMO_STAFF, seed_staff};
use crate::workflow::demo::{self, DemoSize, Seeded};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Only write the demo database, then exit.
    #[arg(long)]
    pub seed_only: bool,
    /// Seed for the synthetic practice (same seed and day, same practice).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// How big a practice: the demo practice, or a clinic group (100,000 patients, 40
    /// clinicians at 4 sites, about 2,000,000 appointments and 5,000,000 messages over five
    /// years; needs `--seed-only` and a new database path).
    #[arg(long, value_enum, default_value_t = Scale::Practice)]
    pub scale: Scale,
    /// With `--scale group`: a smaller group of about this many appointments (1,000 to
    /// 2,000,000), with patients and clinicians in proportion over the same five years — the
    /// databases of issue 14's growth table.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1_000..=2_000_000))]
    pub appointments: Option<u32>,
}

/// `--scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    Practice,
    Group,
}

pub fn run(args: DemoArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    if args.appointments.is_some() && args.scale != Scale::Group {
        anyhow::bail!("--appointments sizes the clinic group: add --scale group");
    }
    let db = ctx.paths.demo_db_file();
    let config = if ctx.paths.config_explicit {
        runtime::with_demo_identity(ctx.config.clone())
    } else {
        Config::demo()
    };
    // Encrypted like a practice's (one code path); its key lives beside it, not in the
    // practice's config folder. A database that is not a demo's is refused untouched.
    let opened =
        database::open_demo(&db, &database::KeySource::for_demo(&db)).map_err(|e| match e {
            DatabaseError::NotDemo(_) | DatabaseError::Key(_) | DatabaseError::WrongKey { .. } => {
                anyhow::Error::from(e)
            }
            other => anyhow::Error::from(other)
                .context(format!("cannot open the demo database {}", db.display())),
        })?;
    runtime::say_note(opened.note.as_deref());
    let mut store = opened.store;
    if args.scale == Scale::Group {
        return seed_group(&mut store, &config, &args, ctx, &db);
    }
    let outcome = demo::seed(
        &mut store,
        &config,
        args.seed,
        DemoSize::default(),
        ctx.clock.now(),
    )?;
    let staff_added = seed_staff(&mut store, ctx.clock.now())?;
    drop(store);
    tracing::info!(db = %db.display(), ?outcome, staff_added, "demo practice ready");
    if args.seed_only {
        match outcome {
            Seeded::Created {
                clinicians,
                patients,
                appointments,
            } => println!(
                "demo practice written to {}: {clinicians} clinicians, {patients} patients, {appointments} appointments",
                db.display()
            ),
            Seeded::Reused { seeded_at } => {
                println!(
                    "demo practice already in {} (seeded {seeded_at}); reused",
                    db.display()
                )
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let ctx = Context {
        config,
        ..ctx.clone()
    };
    open_console(&ctx, &db)
}

/// `--scale group`: write the clinic group into a new demo database and say what it holds.
fn seed_group(
    store: &mut crate::store::Store,
    config: &Config,
    args: &DemoArgs,
    ctx: &Context,
    db: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    if !args.seed_only {
        anyhow::bail!("--scale group only writes the database: add --seed-only");
    }
    let scale = args.appointments.map_or_else(GroupScale::group, |n| {
        GroupScale::with_appointments(n as usize)
    });
    let started = std::time::Instant::now();
    let out = group::seed(store, config, args.seed, scale, ctx.clock.now())
        .map_err(|e| match e {
            crate::store::StoreError::Conflict(_) => anyhow::anyhow!(
                "{} already holds a practice; --scale group writes only into a new database (give another --db)",
                db.display()
            ),
            other => other.into(),
        })?;
    let staff_added = seed_staff(store, ctx.clock.now())?;
    tracing::info!(db = %db.display(), ?out, staff_added, "clinic group written");
    println!(
        "clinic group written to {} in {:.1} s: {} sites, {} clinicians, {} patients, {} appointments, {} messages, {} consent events",
        db.display(),
        started.elapsed().as_secs_f64(),
        out.sites,
        out.clinicians,
        out.patients,
        out.appointments,
        out.messages,
        out.consent_events
    );
    Ok(ExitCode::SUCCESS)
}

/// The lines under the demo's sign-in box: its invented accounts and their secrets.
pub fn demo_sign_in_hint() -> Vec<String> {
    let mut lines = vec!["Demo accounts (invented; type one):".to_string()];
    lines.extend(
        DEMO_STAFF
            .iter()
            .map(|a| format!("{} / {}  ({})", a.username, a.secret, a.role)),
    );
    lines
}

/// The line under the title: what the practice is, and where its texts go — the built-in
/// configuration keeps them in the outbox, but `--config` may name a Twilio account, and then
/// the desk must not be told they stay.
fn demo_banner(provider: ProviderKind) -> String {
    let texts = match provider {
        ProviderKind::Outbox => "texts stay in the outbox",
        ProviderKind::Twilio => "texts go out through Twilio",
    };
    format!("Demo practice — invented patients; {texts}")
}

fn open_console(ctx: &Context, db: &std::path::Path) -> anyhow::Result<ExitCode> {
    crate::tui::run(
        ctx,
        db,
        Some(demo_banner(ctx.config.sms.provider)),
        demo_sign_in_hint(),
    )?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case::outbox(ProviderKind::Outbox, "texts stay in the outbox")]
    #[case::twilio(ProviderKind::Twilio, "texts go out through Twilio")]
    fn the_banner_says_where_the_demo_texts_go(#[case] provider: ProviderKind, #[case] says: &str) {
        let banner = demo_banner(provider);
        assert!(banner.starts_with("Demo practice — invented patients"));
        assert!(banner.ends_with(says), "{banner}");
    }
}
