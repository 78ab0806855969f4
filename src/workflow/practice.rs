//! A new practice's database: created empty and owner-only, marked as a practice's (so
//! `demo` never seeds into it), with its first admin and the audit records of both.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::domain::audit::PracticeEvent;
use crate::domain::audit::SYSTEM;
use crate::domain::staff::StaffMember;
use crate::store::cipher::DbKey;
use crate::store::marker::{self, DbKind};
use crate::store::{self, Store, StoreError};
use crate::workflow::staff::{self, NewMember, StaffError};

/// Why the practice database could not be created.
#[derive(Debug, thiserror::Error)]
pub enum PracticeError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Staff(#[from] StaffError),
}

/// What `init` records about the practice (no names of people, no numbers), and the key
/// the new database is encrypted with.
#[derive(Clone, Copy, Debug)]
pub struct Setup<'a> {
    pub time_zone: &'a str,
    pub region: &'a str,
    pub key: &'a DbKey,
}

/// Create the database at `path` (which must not exist) with `admin` as the first admin.
/// On failure after the file was created, the caller removes it with [`remove_database`].
pub fn create(
    path: &Path,
    admin: &NewMember,
    setup: Setup<'_>,
    now: DateTime<Utc>,
) -> Result<StaffMember, PracticeError> {
    let mut db = create_database(path, setup.key)?;
    db.write(|conn| {
        marker::mark(conn, DbKind::Practice)?;
        let entry = PracticeEvent::Initialised {
            time_zone: setup.time_zone,
            region: setup.region,
        }
        .entry(now, SYSTEM);
        store::audit::append(conn, &entry).map(|_| ())
    })?;
    Ok(staff::add_first_admin(&mut db, admin, now)?)
}

/// The one place a practice database comes into being: encrypted with `key` (from
/// `workflow::database::KeySource`) before the first migration writes anything.
pub fn create_database(path: &Path, key: &DbKey) -> Result<Store, StoreError> {
    Store::create_new_keyed(path, key)
}

/// Remove a database this run created and could not finish (with its -wal and -shm).
pub fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(std::path::PathBuf::from(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::staff::{Role, Secret, Username};
    use crate::store::appointments::tests::t;

    fn admin(secret: &str) -> NewMember {
        NewMember {
            username: Username::parse("ana").unwrap(),
            display_name: "Ana Lima".into(),
            role: Role::Reception,
            secret: Secret::new(secret),
        }
    }

    fn key() -> DbKey {
        DbKey::from_hex(&"5e".repeat(32)).unwrap()
    }

    fn setup(key: &DbKey) -> Setup<'_> {
        Setup {
            time_zone: "America/Chicago",
            region: "US",
            key,
        }
    }

    #[test]
    fn a_new_practice_has_its_marker_its_admin_and_an_intact_trail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let key = key();
        let m = create(&path, &admin("correct horse battery"), setup(&key), t(9, 0)).unwrap();
        assert_eq!(
            m.role,
            Role::Admin,
            "the first member is an admin whatever was asked"
        );
        assert!(Store::open_existing(&path).is_err(), "encrypted");
        let store = Store::open_existing_keyed(&path, &key).unwrap();
        assert_eq!(marker::kind(store.test_conn()).unwrap(), DbKind::Practice);
        let trail = crate::workflow::audit::verify(&store).unwrap();
        assert_eq!((trail.records, trail.broken), (2, None));
        let rows = store::audit::page(store.test_conn(), 0, 10).unwrap();
        assert_eq!(rows[0].entry.action, "practice.init");
        assert_eq!(rows[1].entry.action, "staff.add");
    }

    #[test]
    fn an_existing_database_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        std::fs::write(&path, "precious").unwrap();
        let err = create(
            &path,
            &admin("correct horse battery"),
            setup(&key()),
            t(9, 0),
        )
        .unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "precious");
    }

    #[test]
    fn a_weak_admin_password_fails_and_the_half_made_database_can_be_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        assert!(create(&path, &admin("482915"), setup(&key()), t(9, 0)).is_err());
        remove_database(&path);
        assert!(!path.exists());
        assert!(!dir.path().join("p.db-wal").exists());
    }
}
