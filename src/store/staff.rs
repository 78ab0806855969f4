//! Staff accounts: who may sign in, with which role, and their lockout state.
//!
//! Rows are never deleted and usernames never change (triggers, migration 5), so every audit
//! record stays attributed. The PHC string of the PIN or password lives in `pin_hash` and
//! leaves this module only as a [`PasswordHash`], whose `Debug` hides it.

use crate::store::{Db, Write};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};

use super::{Result, StoreError, from_ts, ts};
use crate::domain::staff::{Lockout, PasswordHash, Role, StaffId, StaffMember};

/// A member about to be added.
#[derive(Clone, Debug)]
pub struct NewStaff<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub hash: &'a PasswordHash,
}

const COLUMNS: &str =
    "id, username, display_name, role, active, failed_attempts, locked_until, created_at";

/// One row as stored, before its role and times are read.
struct Raw {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    active: bool,
    failed_attempts: u32,
    locked_until: Option<i64>,
    created_at: i64,
}

fn raw(r: &Row<'_>) -> rusqlite::Result<Raw> {
    Ok(Raw {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: r.get(3)?,
        active: r.get(4)?,
        failed_attempts: r.get(5)?,
        locked_until: r.get(6)?,
        created_at: r.get(7)?,
    })
}

impl Raw {
    fn into_member(self) -> Result<StaffMember> {
        let role = Role::parse(&self.role).ok_or(StoreError::Corrupt {
            what: "staff role",
            value: self.role.clone(),
        })?;
        Ok(StaffMember {
            id: StaffId(self.id),
            username: self.username,
            display_name: self.display_name,
            role,
            active: self.active,
            lockout: Lockout {
                failed_attempts: self.failed_attempts,
                locked_until: self.locked_until.map(from_ts).transpose()?,
            },
            created_at: from_ts(self.created_at)?,
        })
    }
}

/// Add a member; a taken username is a `Conflict`.
pub fn insert(conn: &impl Write, new: &NewStaff<'_>, now: DateTime<Utc>) -> Result<StaffId> {
    let conn = super::sql(conn);
    let taken: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM staff WHERE username = ?1)",
        params![new.username],
        |r| r.get(0),
    )?;
    if taken {
        return Err(StoreError::Conflict(format!(
            "the username {} is taken (usernames are never reused)",
            new.username
        )));
    }
    conn.execute(
        "INSERT INTO staff (username, display_name, role, pin_hash, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)",
        params![
            new.username,
            new.display_name,
            new.role.as_str(),
            new.hash.as_phc(),
            ts(now)
        ],
    )?;
    Ok(StaffId(conn.last_insert_rowid()))
}

/// The member with this username, if any.
pub fn by_username(conn: &impl Db, username: &str) -> Result<Option<StaffMember>> {
    let conn = super::sql(conn);
    let row = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM staff WHERE username = ?1"))?
        .query_row(params![username], raw)
        .optional()?;
    row.map(Raw::into_member).transpose()
}

/// The member and their stored secret, for signing in.
pub fn credential(
    conn: &impl Db,
    username: &str,
) -> Result<Option<(StaffMember, Option<PasswordHash>)>> {
    let conn = super::sql(conn);
    let Some(m) = by_username(conn, username)? else {
        return Ok(None);
    };
    let hash: Option<String> = conn
        .prepare_cached("SELECT pin_hash FROM staff WHERE id = ?1")?
        .query_row(params![m.id.0], |r| r.get(0))?;
    Ok(Some((m, hash.map(PasswordHash::from_stored))))
}

/// Every member, active first, then by username.
pub fn list(conn: &impl Db) -> Result<Vec<StaffMember>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM staff ORDER BY active DESC, username"
    ))?;
    let rows = stmt.query_map([], raw)?;
    rows.map(|r| r?.into_member()).collect()
}

/// How many members exist at all (zero before `init`).
pub fn count(conn: &impl Db) -> Result<i64> {
    let conn = super::sql(conn);
    Ok(conn.query_row("SELECT COUNT(*) FROM staff", [], |r| r.get(0))?)
}

/// Active admins: the last one may not be disabled or demoted.
pub fn active_admins(conn: &impl Db) -> Result<i64> {
    let conn = super::sql(conn);
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM staff WHERE active = 1 AND role = 'admin'",
        [],
        |r| r.get(0),
    )?)
}

fn changed(n: usize, id: StaffId) -> Result<()> {
    if n == 0 {
        return Err(StoreError::NotFound {
            what: "staff member",
            id: id.to_string(),
        });
    }
    Ok(())
}

/// Disable (`false`) or re-enable (`true`) a member.
pub fn set_active(conn: &impl Write, id: StaffId, active: bool, now: DateTime<Utc>) -> Result<()> {
    let conn = super::sql(conn);
    let n = conn.execute(
        "UPDATE staff SET active = ?2, updated_at = ?3 WHERE id = ?1",
        params![id.0, active, ts(now)],
    )?;
    changed(n, id)
}

/// Change a member's role.
pub fn set_role(conn: &impl Write, id: StaffId, role: Role, now: DateTime<Utc>) -> Result<()> {
    let conn = super::sql(conn);
    let n = conn.execute(
        "UPDATE staff SET role = ?2, updated_at = ?3 WHERE id = ?1",
        params![id.0, role.as_str(), ts(now)],
    )?;
    changed(n, id)
}

/// Store a new secret (an admin's reset, or a rehash at sign-in) and clear the lockout.
pub fn set_secret(
    conn: &impl Write,
    id: StaffId,
    hash: &PasswordHash,
    now: DateTime<Utc>,
) -> Result<()> {
    let conn = super::sql(conn);
    let n = conn.execute(
        "UPDATE staff SET pin_hash = ?2, failed_attempts = 0, locked_until = NULL, updated_at = ?3
         WHERE id = ?1",
        params![id.0, hash.as_phc(), ts(now)],
    )?;
    changed(n, id)
}

/// Store the lockout state after a sign-in attempt.
pub fn set_lockout(conn: &impl Write, id: StaffId, lockout: &Lockout) -> Result<()> {
    let conn = super::sql(conn);
    let n = conn.execute(
        "UPDATE staff SET failed_attempts = ?2, locked_until = ?3 WHERE id = ?1",
        params![id.0, lockout.failed_attempts, lockout.locked_until.map(ts)],
    )?;
    changed(n, id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::appointments::tests::t;

    fn hash() -> PasswordHash {
        PasswordHash::from_stored("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into())
    }

    fn add(store: &Store, username: &str, role: Role) -> StaffId {
        let h = hash();
        let new = NewStaff {
            username,
            display_name: "Zoë O'Brien-Nguyễn",
            role,
            hash: &h,
        };
        insert(store.test_conn(), &new, t(9, 0)).unwrap()
    }

    #[test]
    fn a_member_round_trips_with_their_credential() {
        let store = Store::open_in_memory().unwrap();
        let id = add(&store, "zoe", Role::Manager);
        let (m, h) = credential(store.test_conn(), "zoe").unwrap().unwrap();
        assert_eq!((m.id, m.role, m.active), (id, Role::Manager, true));
        assert_eq!(m.display_name, "Zoë O'Brien-Nguyễn");
        assert_eq!(m.created_at, t(9, 0));
        assert_eq!(h, Some(hash()));
        assert!(credential(store.test_conn(), "nobody").unwrap().is_none());
    }

    #[test]
    fn a_username_is_taken_for_good() {
        let store = Store::open_in_memory().unwrap();
        add(&store, "zoe", Role::Reception);
        let h = hash();
        let again = NewStaff {
            username: "zoe",
            display_name: "Another Zoe",
            role: Role::Reception,
            hash: &h,
        };
        let err = insert(store.test_conn(), &again, t(9, 1)).unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    }

    #[test]
    fn members_are_never_deleted_and_usernames_never_change() {
        let store = Store::open_in_memory().unwrap();
        let id = add(&store, "zoe", Role::Reception);
        assert!(store.test_conn().execute("DELETE FROM staff", []).is_err());
        assert!(
            store
                .test_conn()
                .execute("UPDATE staff SET username = 'mallory'", [])
                .is_err()
        );
        set_active(store.test_conn(), id, false, t(9, 5)).unwrap();
        assert!(
            !by_username(store.test_conn(), "zoe")
                .unwrap()
                .unwrap()
                .active
        );
    }

    #[test]
    fn lockout_state_and_secret_reset() {
        let store = Store::open_in_memory().unwrap();
        let id = add(&store, "zoe", Role::Reception);
        let locked = Lockout {
            failed_attempts: 3,
            locked_until: Some(t(9, 10)),
        };
        set_lockout(store.test_conn(), id, &locked).unwrap();
        assert_eq!(
            by_username(store.test_conn(), "zoe")
                .unwrap()
                .unwrap()
                .lockout,
            locked
        );
        set_secret(store.test_conn(), id, &hash(), t(9, 11)).unwrap();
        assert_eq!(
            by_username(store.test_conn(), "zoe")
                .unwrap()
                .unwrap()
                .lockout,
            Lockout::default()
        );
    }

    #[test]
    fn admins_are_counted_and_the_list_puts_active_first() {
        let store = Store::open_in_memory().unwrap();
        let a = add(&store, "ana", Role::Admin);
        add(&store, "bo", Role::Admin);
        add(&store, "cy", Role::Reception);
        assert_eq!(active_admins(store.test_conn()).unwrap(), 2);
        set_active(store.test_conn(), a, false, t(9, 1)).unwrap();
        assert_eq!(active_admins(store.test_conn()).unwrap(), 1);
        let names: Vec<_> = list(store.test_conn())
            .unwrap()
            .into_iter()
            .map(|m| m.username)
            .collect();
        assert_eq!(names, ["bo", "cy", "ana"]);
        assert_eq!(count(store.test_conn()).unwrap(), 3);
        assert!(matches!(
            set_role(store.test_conn(), StaffId(99), Role::Admin, t(9, 2)),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn audit_records_by_a_member_carry_their_id_and_stay_theirs_after_disabling() {
        use crate::domain::audit::AuditEntry;
        let store = Store::open_in_memory().unwrap();
        let id = add(&store, "zoe", Role::Reception);
        let entry = |actor: &str| AuditEntry::new(t(9, 3), actor, "x", "s", serde_json::json!({}));
        crate::store::audit::append(store.test_conn(), &entry("zoe")).unwrap();
        crate::store::audit::append(store.test_conn(), &entry("system")).unwrap();
        set_active(store.test_conn(), id, false, t(9, 4)).unwrap();
        let mine = crate::store::audit::by_member(store.test_conn(), id.0, 10).unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(
            (mine[0].actor.as_str(), mine[0].actor_id),
            ("zoe", Some(id.0))
        );
        let all = crate::store::audit::page(store.test_conn(), 0, 10).unwrap();
        assert_eq!(all[1].entry.actor_id, None, "system has no id");
        assert_eq!(
            crate::domain::audit::verify_chain(&all, crate::domain::audit::GENESIS.into()),
            Ok(2)
        );
    }
}
