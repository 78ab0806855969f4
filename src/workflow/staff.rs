//! Staff accounts as use cases: add, disable, re-enable, reset, change role, list, and sign
//! in with lockout. Each change is written with its audit record, attributed to the acting
//! member by username and id; each is checked against the one permission table first.
//!
//! The shell's part of hashing lives here: 16 bytes of salt from the OS random generator;
//! the hashing itself is `domain::staff::credential`. Hashing and checking run outside the
//! write transaction, so a sign-in never holds the database while Argon2 works. Secrets and
//! their hashes never reach a log line, an error message or an audit record.

use crate::store::Db;
use crate::store::Write;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::audit::AuditEntry;
use crate::domain::staff::credential::{self, SALT_LEN, Verification};
use crate::domain::staff::event::StaffEvent;
use crate::domain::staff::lockout::{self, Failure};
use crate::domain::staff::{
    Action, Actor, CredentialError, Denied, Lockout, Member, PasswordHash, Role, Secret,
    StaffMember, Username,
};
use crate::store::staff::NewStaff;
use crate::store::{self, Store, StoreError};

/// Why a staff change did not happen. The text is shown to the person as is.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("{0}")]
    Denied(#[from] Denied),
    #[error("{0}")]
    Credential(#[from] CredentialError),
    #[error("there is no member of staff called {0}")]
    Unknown(String),
    #[error("{0} is the last active admin; add or enable another admin first")]
    LastAdmin(String),
    #[error("{0}")]
    Unchanged(String),
    #[error("a display name is 1 to 80 characters on one line")]
    DisplayName,
    #[error("the system's random number generator failed: {0}")]
    Random(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// A member to add.
#[derive(Clone, Debug)]
pub struct NewMember {
    pub username: Username,
    /// Shown on screens; the username when empty.
    pub display_name: String,
    pub role: Role,
    pub secret: Secret,
}

/// 16 bytes from the operating system's random generator, for one salt.
fn fresh_salt() -> Result<[u8; SALT_LEN], StaffError> {
    use rand::TryRngCore;
    let mut salt = [0u8; SALT_LEN];
    rand::rngs::OsRng
        .try_fill_bytes(&mut salt)
        .map_err(|e| StaffError::Random(e.to_string()))?;
    Ok(salt)
}

/// Hash a secret with a fresh salt.
fn hash(secret: &Secret) -> Result<PasswordHash, StaffError> {
    Ok(credential::hash_secret(secret, &fresh_salt()?)?)
}

/// Append one staff record.
fn audit(conn: &impl Write, entry: &AuditEntry) -> Result<(), StoreError> {
    store::audit::append(conn, entry).map(|_| ())
}

fn display_name(new: &NewMember) -> Result<String, StaffError> {
    let name = new.display_name.trim();
    if name.is_empty() {
        return Ok(new.username.to_string());
    }
    if name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(StaffError::DisplayName);
    }
    Ok(name.to_string())
}

/// Add a member (admins only).
pub fn add(
    store: &mut Store,
    actor: &Actor,
    new: &NewMember,
    now: DateTime<Utc>,
) -> Result<StaffMember, StaffError> {
    actor.may(Action::ManageStaff)?;
    insert_member(store, actor, new, now)
}

/// The first admin, written by `init` into a database that has no staff yet.
pub fn add_first_admin(
    store: &mut Store,
    new: &NewMember,
    now: DateTime<Utc>,
) -> Result<StaffMember, StaffError> {
    Actor::System.may(Action::InitPractice)?;
    if store::staff::count(&store)? > 0 {
        return Err(StaffError::Unchanged(
            "this database already has staff accounts; an admin adds more with `frontdesk staff add`"
                .into(),
        ));
    }
    let admin = NewMember {
        role: Role::Admin,
        ..new.clone()
    };
    insert_member(store, &Actor::System, &admin, now)
}

fn insert_member(
    store: &mut Store,
    actor: &Actor,
    new: &NewMember,
    now: DateTime<Utc>,
) -> Result<StaffMember, StaffError> {
    credential::check_new_secret(&new.secret, &new.username, new.role)?;
    let display = display_name(new)?;
    let hashed = hash(&new.secret)?;
    store.write(|conn| {
        let row = NewStaff {
            username: new.username.as_str(),
            display_name: &display,
            role: new.role,
            hash: &hashed,
        };
        let id = store::staff::insert(conn, &row, now)?;
        let event = StaffEvent::Added { role: new.role };
        audit(conn, &event.entry(now, actor, Some(id)))?;
        found(conn, new.username.as_str())
    })
}

/// Load a member by the username someone typed.
fn found(conn: &impl Db, username: &str) -> Result<StaffMember, StaffError> {
    let name = username.trim().to_lowercase();
    store::staff::by_username(conn, &name)?.ok_or(StaffError::Unknown(name))
}

/// Refuse to leave the practice without an active admin.
fn keep_an_admin(conn: &impl Db, member: &StaffMember) -> Result<(), StaffError> {
    if member.active && member.role == Role::Admin && store::staff::active_admins(conn)? <= 1 {
        return Err(StaffError::LastAdmin(member.username.clone()));
    }
    Ok(())
}

/// Disable a member: they cannot sign in; everything they did stays theirs.
pub fn disable(
    store: &mut Store,
    actor: &Actor,
    username: &str,
    now: DateTime<Utc>,
) -> Result<StaffMember, StaffError> {
    actor.may(Action::ManageStaff)?;
    store.write(|conn| {
        let m = found(conn, username)?;
        if !m.active {
            return Err(StaffError::Unchanged(format!(
                "{} is already disabled",
                m.username
            )));
        }
        keep_an_admin(conn, &m)?;
        store::staff::set_active(conn, m.id, false, now)?;
        audit(conn, &StaffEvent::Disabled.entry(now, actor, Some(m.id)))?;
        found(conn, &m.username)
    })
}

/// Re-enable a disabled member.
pub fn enable(
    store: &mut Store,
    actor: &Actor,
    username: &str,
    now: DateTime<Utc>,
) -> Result<StaffMember, StaffError> {
    actor.may(Action::ManageStaff)?;
    store.write(|conn| {
        let m = found(conn, username)?;
        if m.active {
            return Err(StaffError::Unchanged(format!(
                "{} is already enabled",
                m.username
            )));
        }
        store::staff::set_active(conn, m.id, true, now)?;
        audit(conn, &StaffEvent::Enabled.entry(now, actor, Some(m.id)))?;
        found(conn, &m.username)
    })
}

/// Give a member a new PIN or password (and lift any lockout).
pub fn reset(
    store: &mut Store,
    actor: &Actor,
    username: &str,
    secret: &Secret,
    now: DateTime<Utc>,
) -> Result<StaffMember, StaffError> {
    actor.may(Action::ManageStaff)?;
    let m = found(&store, username)?;
    let name = Username::parse(&m.username)?;
    credential::check_new_secret(secret, &name, m.role)?;
    let hashed = hash(secret)?;
    store.write(|conn| {
        store::staff::set_secret(conn, m.id, &hashed, now)?;
        audit(conn, &StaffEvent::Reset.entry(now, actor, Some(m.id)))?;
        found(conn, &m.username)
    })
}

/// A change of role. Admins sign in with a password, never a PIN, and a stored hash cannot
/// tell which one a member has, so promoting to admin sets a new password in the same step.
#[derive(Clone, Debug)]
pub struct RoleChange<'a> {
    pub username: &'a str,
    pub role: Role,
    /// Required when the new role is admin.
    pub new_password: Option<&'a Secret>,
}

/// Change a member's role.
pub fn set_role(
    store: &mut Store,
    actor: &Actor,
    change: &RoleChange<'_>,
    now: DateTime<Utc>,
) -> Result<StaffMember, StaffError> {
    actor.may(Action::ManageStaff)?;
    let m = found(&store, change.username)?;
    let hashed = match (change.role, change.new_password) {
        (Role::Admin, None) if m.role != Role::Admin => {
            return Err(StaffError::Unchanged(format!(
                "an admin signs in with a password: give {} a new password of at least {} characters with the change",
                m.username,
                credential::PASSWORD_MIN_CHARS
            )));
        }
        (_, Some(secret)) => {
            credential::check_new_secret(secret, &Username::parse(&m.username)?, change.role)?;
            Some(hash(secret)?)
        }
        _ => None,
    };
    store.write(|conn| {
        let m = found(conn, &m.username)?;
        if m.role == change.role {
            return Err(StaffError::Unchanged(format!(
                "{} is already {}",
                m.username, m.role
            )));
        }
        if change.role != Role::Admin {
            keep_an_admin(conn, &m)?;
        }
        store::staff::set_role(conn, m.id, change.role, now)?;
        if let Some(h) = &hashed {
            store::staff::set_secret(conn, m.id, h, now)?;
        }
        let event = StaffEvent::RoleChanged {
            from: m.role,
            to: change.role,
        };
        audit(conn, &event.entry(now, actor, Some(m.id)))?;
        found(conn, &m.username)
    })
}

/// Every member (admins only), active first.
pub fn list(store: &Store, actor: &Actor) -> Result<Vec<StaffMember>, StaffError> {
    actor.may(Action::ListStaff)?;
    Ok(store::staff::list(&store)?)
}

/// Why a sign-in failed. The same words for an unknown username and a wrong secret; a known
/// member's wrong secret also says how many tries are left before the lock (staff usernames
/// are not secret at a shared desk, and the lock, not the silence, is what stops guessing).
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("wrong username or PIN/password{}", tries_left_note(*.tries_left))]
    Wrong { tries_left: Option<u32> },
    #[error("too many wrong tries: the account is locked for {minutes} minutes", minutes = lockout::LOCK_MINUTES)]
    Locked { until: DateTime<Utc> },
    #[error("this account is disabled; ask an admin")]
    Disabled,
    #[error("{0}")]
    Credential(#[from] CredentialError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// "; 3 tries left before a 5-minute lock", when known.
fn tries_left_note(tries_left: Option<u32>) -> String {
    match tries_left {
        None => String::new(),
        Some(1) => format!(
            "; 1 try left before a {}-minute lock",
            lockout::LOCK_MINUTES
        ),
        Some(n) => format!(
            "; {n} tries left before a {}-minute lock",
            lockout::LOCK_MINUTES
        ),
    }
}

impl SignInError {
    /// The message with the end of a lock in the practice's time zone.
    pub fn describe(&self, tz: Tz) -> String {
        match self {
            Self::Locked { until } => format!(
                "too many wrong tries: the account is locked until {}",
                until.with_timezone(&tz).format("%H:%M")
            ),
            other => other.to_string(),
        }
    }
}

/// Check a username and secret at `now`, applying the lockout policy; every attempt is
/// audited (without the typed username when no such member exists).
pub fn sign_in(
    store: &mut Store,
    username: &str,
    secret: &Secret,
    now: DateTime<Utc>,
) -> Result<Member, SignInError> {
    let name = username.trim().to_lowercase();
    let Some((member, stored)) = store::staff::credential(&store, &name)? else {
        // Spend what a real check costs, so timing does not tell which usernames exist.
        let decoy = PasswordHash::from_stored(credential::DECOY_HASH.into());
        let _ = credential::verify_secret(secret, &decoy);
        record_unknown(store, now)?;
        return Err(SignInError::Wrong { tries_left: None });
    };
    if let Some(until) = member.locked_until(now) {
        refuse(store, &member, "locked", now)?;
        return Err(SignInError::Locked { until });
    }
    let verdict = match &stored {
        Some(hash) => credential::verify_secret(secret, hash)?,
        None => Verification::Mismatch,
    };
    match verdict {
        Verification::Mismatch => Err(record_failure(store, &member, now)?),
        Verification::Match { .. } if !member.active => {
            refuse(store, &member, "disabled", now)?;
            Err(SignInError::Disabled)
        }
        Verification::Match { rehash } => record_success(store, &member, secret, rehash, now),
    }
}

fn record_unknown(store: &mut Store, now: DateTime<Utc>) -> Result<(), StoreError> {
    store.write(|conn| audit(conn, &StaffEvent::SignInUnknown.by_system(now, None)))
}

fn refuse(
    store: &mut Store,
    m: &StaffMember,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store.write(|conn| {
        audit(
            conn,
            &StaffEvent::SignInRefused { reason }.by_system(now, Some(m.id)),
        )
    })
}

/// Count a wrong secret against the state as it is now (another attempt may have landed
/// while this one was being checked).
fn record_failure(
    store: &mut Store,
    m: &StaffMember,
    now: DateTime<Utc>,
) -> Result<SignInError, StoreError> {
    store.write(|conn| {
        let current: Lockout =
            store::staff::by_username(conn, &m.username)?.map_or(m.lockout, |fresh| fresh.lockout);
        let (next, failure) = current.after_failure(now);
        store::staff::set_lockout(conn, m.id, &next)?;
        Ok(match failure {
            Failure::Counted { remaining } => {
                let event = StaffEvent::SignInFailed {
                    tries_left: remaining,
                };
                audit(conn, &event.by_system(now, Some(m.id)))?;
                SignInError::Wrong {
                    tries_left: Some(remaining),
                }
            }
            Failure::Locked { until } => {
                let failed = StaffEvent::SignInFailed { tries_left: 0 };
                audit(conn, &failed.by_system(now, Some(m.id)))?;
                audit(
                    conn,
                    &StaffEvent::Locked { until }.by_system(now, Some(m.id)),
                )?;
                SignInError::Locked { until }
            }
        })
    })
}

fn record_success(
    store: &mut Store,
    m: &StaffMember,
    secret: &Secret,
    rehash: bool,
    now: DateTime<Utc>,
) -> Result<Member, SignInError> {
    // Parameters raised since this hash was made: store it again with the current ones.
    let fresh = if rehash {
        fresh_salt()
            .ok()
            .and_then(|salt| credential::hash_secret(secret, &salt).ok())
    } else {
        None
    };
    let member = Member {
        id: m.id,
        username: m.username.clone(),
        role: m.role,
    };
    let actor = Actor::Member(member.clone());
    store.write(|conn| {
        match &fresh {
            Some(hash) => store::staff::set_secret(conn, m.id, hash, now)?,
            None => store::staff::set_lockout(conn, m.id, &Lockout::cleared())?,
        }
        let event = StaffEvent::SignedIn {
            rehashed: fresh.is_some(),
        };
        audit(conn, &event.entry(now, &actor, Some(m.id)))
    })?;
    Ok(member)
}

#[cfg(test)]
mod tests;
