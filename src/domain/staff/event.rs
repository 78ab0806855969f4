//! Typed audit events about staff accounts: adding, disabling, roles, resets and sign-ins.
//! Each carries ids, roles, counts and times only — never a password, a PIN, a hash or the
//! username someone typed — and writes the action names and JSON the records have always had.
//!
//! Pure: serde_json for the detail. Imports `domain::audit` (never the other way round).

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Actor, Role, StaffId};
use crate::domain::audit::{AuditEntry, SYSTEM};

/// One thing that happened to a staff account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffEvent<'a> {
    Added {
        role: Role,
    },
    Disabled,
    Enabled,
    /// Given a new password or PIN by an admin.
    Reset,
    RoleChanged {
        from: Role,
        to: Role,
    },
    SignedIn {
        rehashed: bool,
    },
    SignInFailed {
        tries_left: u32,
    },
    /// A sign-in under a username no account has (the name itself is not kept).
    SignInUnknown,
    Locked {
        until: DateTime<Utc>,
    },
    /// Refused before the secret was checked (disabled, locked).
    SignInRefused {
        reason: &'a str,
    },
}

impl StaffEvent<'_> {
    /// The record, at `at`, by `actor`, about `member` (`None` only for [`Self::SignInUnknown`]).
    pub fn entry(&self, at: DateTime<Utc>, actor: &Actor, member: Option<StaffId>) -> AuditEntry {
        let (action, detail) = self.parts();
        let subject = match member {
            Some(id) => format!("staff:{id}"),
            None => "staff:unknown".to_string(),
        };
        let mut entry = AuditEntry::new(at, actor.audit_name(), action, subject, detail);
        if let Some(by) = actor.staff_id() {
            entry = entry.by_member(by.0);
        }
        entry
    }

    /// The same, by the system (sign-ins are the system's records).
    pub fn by_system(&self, at: DateTime<Utc>, member: Option<StaffId>) -> AuditEntry {
        let entry = self.entry(at, &Actor::System, member);
        debug_assert_eq!(entry.actor, SYSTEM);
        entry
    }

    fn parts(&self) -> (&'static str, serde_json::Value) {
        match *self {
            Self::Added { role } => ("staff.add", json!({ "role": role.as_str() })),
            Self::Disabled => ("staff.disable", json!({})),
            Self::Enabled => ("staff.enable", json!({})),
            Self::Reset => ("staff.reset", json!({})),
            Self::RoleChanged { from, to } => (
                "staff.role",
                json!({ "from": from.as_str(), "to": to.as_str() }),
            ),
            Self::SignedIn { rehashed } => ("staff.sign_in", json!({ "rehashed": rehashed })),
            Self::SignInFailed { tries_left } => {
                ("staff.sign_in_failed", json!({ "tries_left": tries_left }))
            }
            Self::SignInUnknown => ("staff.sign_in_failed", json!({})),
            Self::Locked { until } => ("staff.locked", json!({ "until": until.to_rfc3339() })),
            Self::SignInRefused { reason } => {
                ("staff.sign_in_refused", json!({ "reason": reason }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::staff::Member;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 25, 9, 0, 0).unwrap()
    }

    /// The records as the free-form calls wrote them: a change would make new records
    /// differ from old ones in the audit screen and exports.
    #[test]
    fn the_records_are_those_written_before() {
        let lee = Actor::Member(Member {
            id: StaffId(1),
            username: "lee".into(),
            role: Role::Admin,
        });
        let member = Some(StaffId(4));
        let cases: Vec<(AuditEntry, &str, &str, &str, Option<i64>)> = vec![
            (
                StaffEvent::Added {
                    role: Role::Reception,
                }
                .entry(at(), &lee, member),
                "staff.add",
                "staff:4",
                r#"{"role":"reception"}"#,
                Some(1),
            ),
            (
                StaffEvent::RoleChanged {
                    from: Role::Reception,
                    to: Role::Manager,
                }
                .entry(at(), &lee, member),
                "staff.role",
                "staff:4",
                r#"{"from":"reception","to":"manager"}"#,
                Some(1),
            ),
            (
                StaffEvent::SignInFailed { tries_left: 3 }.by_system(at(), member),
                "staff.sign_in_failed",
                "staff:4",
                r#"{"tries_left":3}"#,
                None,
            ),
            (
                StaffEvent::SignInUnknown.by_system(at(), None),
                "staff.sign_in_failed",
                "staff:unknown",
                "{}",
                None,
            ),
            (
                StaffEvent::Locked { until: at() }.by_system(at(), member),
                "staff.locked",
                "staff:4",
                r#"{"until":"2026-03-25T09:00:00+00:00"}"#,
                None,
            ),
            (
                StaffEvent::SignInRefused { reason: "disabled" }.by_system(at(), member),
                "staff.sign_in_refused",
                "staff:4",
                r#"{"reason":"disabled"}"#,
                None,
            ),
        ];
        for (e, action, subject, detail, by) in cases {
            assert_eq!(
                (e.action.as_str(), e.subject.as_str(), e.detail.as_str()),
                (action, subject, detail)
            );
            assert_eq!(e.actor_id, by, "{action}");
        }
    }
}
