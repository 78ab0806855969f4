//! `frontdesk init`: the first run of a real practice (SPEC §4). Asks the practice's name,
//! phone region, phone, time zone, portal address and the first admin account — checking each
//! answer as it is typed — or takes them all from flags for scripts; then writes an empty
//! owner-only database with that admin and an owner-only config file. It never writes over
//! either: an existing config or database stops it before anything is written.

mod prompt;

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};
use clap::Args;

use super::Context;
use crate::config::first_run::{self, PracticeAnswers};
use crate::domain::setup;
use crate::domain::staff::credential::check_new_secret;
use crate::domain::staff::{Role, Secret, Username};
use crate::workflow::database;
use crate::workflow::practice::{self, Setup};
use crate::workflow::staff::NewMember;

/// The variable that carries the first admin's password for scripted runs.
pub const ADMIN_PASSWORD_ENV: &str = "FRONTDESK_ADMIN_PASSWORD";

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The practice's name as patients know it (scripted run; without the flags init asks).
    #[arg(long, value_name = "NAME")]
    pub practice_name: Option<String>,
    /// The number patients call, named in every text.
    #[arg(long, value_name = "NUMBER")]
    pub practice_phone: Option<String>,
    /// IANA time zone of the practice, e.g. America/New_York.
    #[arg(long, value_name = "ZONE")]
    pub time_zone: Option<String>,
    /// The secure patient portal's https:// address.
    #[arg(long, value_name = "URL")]
    pub portal_url: Option<String>,
    /// Country for phone numbers typed without a country code.
    #[arg(long, value_name = "CC", default_value = "US")]
    pub region: String,
    /// The first admin's username; the password comes from FRONTDESK_ADMIN_PASSWORD.
    #[arg(long, value_name = "NAME")]
    pub admin_user: Option<String>,
}

impl InitArgs {
    fn scripted(&self) -> bool {
        self.practice_name.is_some()
            || self.practice_phone.is_some()
            || self.time_zone.is_some()
            || self.portal_url.is_some()
            || self.admin_user.is_some()
    }
}

/// Everything init needs, checked.
pub struct Answers {
    pub practice: PracticeAnswers,
    pub admin: Username,
    pub password: Secret,
}

pub fn run(args: InitArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    if ctx.acting_as.is_some() {
        anyhow::bail!("init creates the first admin; it does not take --as");
    }
    refuse_to_overwrite(ctx)?;
    let answers = if args.scripted() {
        scripted(&args)?
    } else {
        interactive()?
    };
    // Checked again: a file may have appeared while the questions were answered.
    refuse_to_overwrite(ctx)?;
    create(ctx, &answers)?;
    println!(
        "Practice {} is set up.\n  config:   {} (owner-only)\n  database: {} (owner-only)\n  admin:    {}\n\
         Next: add staff with `frontdesk --as {} staff add NAME --role reception`, then open the console with `frontdesk`.",
        answers.practice.name,
        ctx.paths.config_file.display(),
        ctx.paths.db_file.display(),
        answers.admin,
        answers.admin,
    );
    Ok(ExitCode::SUCCESS)
}

fn refuse_to_overwrite(ctx: &Context) -> anyhow::Result<()> {
    for (what, path) in [
        ("config file", &ctx.paths.config_file),
        ("database", &ctx.paths.db_file),
    ] {
        if path.exists() {
            anyhow::bail!(
                "a {what} already exists at {}; init never writes over one (move it away first, or choose another place with --config/--db)",
                path.display()
            );
        }
    }
    Ok(())
}

/// The flags' answers, each checked; all required ones must be there.
fn scripted(args: &InitArgs) -> anyhow::Result<Answers> {
    let need = |value: &Option<String>, flag: &str| {
        value.clone().ok_or_else(|| {
            anyhow!("a scripted init needs --{flag} (or give no flags to be asked at a terminal)")
        })
    };
    let region = setup::region(&args.region).context("--region")?;
    let practice = PracticeAnswers {
        name: setup::practice_name(&need(&args.practice_name, "practice-name")?)
            .context("--practice-name")?,
        phone: setup::practice_phone(&need(&args.practice_phone, "practice-phone")?, &region)
            .context("--practice-phone")?,
        time_zone: setup::time_zone(&need(&args.time_zone, "time-zone")?).context("--time-zone")?,
        portal_url: setup::portal_url(args.portal_url.as_deref().unwrap_or(""))
            .context("--portal-url")?,
        region,
    };
    let admin = Username::parse(&need(&args.admin_user, "admin-user")?).context("--admin-user")?;
    let password = match std::env::var(ADMIN_PASSWORD_ENV) {
        Ok(p) if !p.is_empty() => Secret::new(p),
        _ => anyhow::bail!("set {ADMIN_PASSWORD_ENV} to the first admin's password"),
    };
    check_new_secret(&password, &admin, Role::Admin).context(ADMIN_PASSWORD_ENV)?;
    Ok(Answers {
        practice,
        admin,
        password,
    })
}

/// The questions, at a terminal.
fn interactive() -> anyhow::Result<Answers> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "init asks its questions at a terminal; for scripts give --practice-name, --practice-phone, --time-zone and --admin-user (password in {ADMIN_PASSWORD_ENV})"
        );
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut output = std::io::stdout();
    let mut secret = |question: &str| rpassword::prompt_password(question);
    prompt::ask_all(&mut prompt::Io {
        input: &mut input,
        output: &mut output,
        secret: &mut secret,
    })
}

/// Write the database (with the admin) and then the config; undo the database if the config
/// cannot be written, so a second try starts clean.
fn create(ctx: &Context, answers: &Answers) -> anyhow::Result<()> {
    let db = &ctx.paths.db_file;
    let admin = NewMember {
        username: answers.admin.clone(),
        display_name: String::new(),
        role: Role::Admin,
        secret: answers.password.clone(),
    };
    let keys = database::KeySource::from_env(&ctx.paths.config_file, db);
    let key = keys
        .existing_or_new(db)
        .context("cannot set up the database key")?;
    if let Some(file) = &key.created {
        println!(
            "A new database key was written to {} (owner-only). Keep a copy apart from the \
             database and its backups: without it neither can be read.",
            file.display()
        );
    }
    let setup = Setup {
        time_zone: answers.practice.time_zone.name(),
        region: &answers.practice.region,
        key: &key.key,
    };
    if let Err(e) = practice::create(db, &admin, setup, ctx.clock.now()) {
        if !matches!(
            e,
            practice::PracticeError::Store(crate::store::StoreError::Exists { .. })
        ) {
            practice::remove_database(db);
        }
        return Err(anyhow!(e).context(format!("cannot create the database {}", db.display())));
    }
    let text = first_run::config_text(&answers.practice);
    let config = &ctx.paths.config_file;
    if let Err(e) = crate::files::write_new_owner_only(config, text.as_bytes()) {
        practice::remove_database(db);
        return Err(anyhow!(e).context(format!(
            "cannot write the config file {}; nothing was kept",
            config.display()
        )));
    }
    tracing::info!("practice initialised");
    Ok(())
}
