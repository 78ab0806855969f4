//! Staff accounts: roles, who may do what, sign-in lockout, usernames and secrets.
//!
//! Pure: no IO, no clock (`now` is passed in), no random numbers (the shell hands in the
//! salt). Owns the one permission table ([`permission`]), the lockout policy ([`lockout`]),
//! the rules for usernames, PINs and passwords and their Argon2id hashing ([`credential`]).
//! Must not import store, provider, workflow, tui or cli.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::domain::ids::StaffId;

pub mod credential;
pub mod event;
pub mod lockout;
pub mod permission;

pub use credential::{CredentialError, PasswordHash, Secret, SecretKind, Username};
pub use lockout::Lockout;
pub use permission::{Action, Denied, may};

/// What a member of staff is for (SPEC §2): each role may do everything the one before it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The front desk: the day, patients, consent, reminders and prompts.
    Reception,
    /// The practice manager: also templates, statistics, exports, audit and consent review.
    Manager,
    /// The practice admin: also staff accounts, backups, restores and message-body exports.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Reception, Role::Manager, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reception => "reception",
            Self::Manager => "manager",
            Self::Admin => "admin",
        }
    }

    /// Read a stored or typed role name (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A staff account as staff screens and commands show it: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StaffMember {
    pub id: StaffId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// A disabled member cannot sign in; their history stays attributed to them.
    pub active: bool,
    #[serde(skip)]
    pub lockout: Lockout,
    pub created_at: DateTime<Utc>,
}

impl StaffMember {
    /// Locked out until this instant, if so at `now`.
    pub fn locked_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.lockout.locked_at(now)
    }
}

/// A signed-in member, as use cases see the person acting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: StaffId,
    pub username: String,
    pub role: Role,
}

/// Who is acting: a signed-in member, or the machine itself (cron, scripts, `init`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    System,
    Member(Member),
}

impl Actor {
    /// The name audit records and `created_by` columns carry.
    pub fn audit_name(&self) -> &str {
        match self {
            Self::System => crate::domain::audit::SYSTEM,
            Self::Member(m) => &m.username,
        }
    }

    /// The member's id, or `None` for the system.
    pub fn staff_id(&self) -> Option<StaffId> {
        match self {
            Self::System => None,
            Self::Member(m) => Some(m.id),
        }
    }

    /// Whether this actor may take `action`, by the one permission table.
    pub fn may(&self, action: Action) -> Result<(), Denied> {
        permission::check(self, action)
    }
}

#[cfg(test)]
mod tests;
