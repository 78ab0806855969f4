//! The demo practice's staff: one account per role, with credentials the demo's lock screen
//! shows, so anyone trying the demo can sign in as each role and see what it may do. The
//! secrets are public by design and live only in demo databases (the demo refuses any other).

use chrono::{DateTime, Utc};

use crate::domain::staff::{Actor, Member, Role, Secret, Username};
use crate::store::{self, Store};
use crate::workflow::staff::{self, NewMember, StaffError};

/// One demo account as the lock screen lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoAccount {
    pub username: &'static str,
    pub display_name: &'static str,
    pub role: Role,
    /// Shown on the demo's lock screen: these are invented accounts of an invented practice.
    pub secret: &'static str,
}

/// The demo's staff, receptionist first (the one most people try).
pub const DEMO_STAFF: [DemoAccount; 3] = [
    DemoAccount {
        username: "maya",
        display_name: "Maya (reception)",
        role: Role::Reception,
        secret: "246810",
    },
    DemoAccount {
        username: "omar",
        display_name: "Omar (practice manager)",
        role: Role::Manager,
        secret: "135792",
    },
    DemoAccount {
        username: "lee",
        display_name: "Lee (practice admin)",
        role: Role::Admin,
        secret: "demo practice admin",
    },
];

fn new_member(a: &DemoAccount) -> Result<NewMember, StaffError> {
    Ok(NewMember {
        username: Username::parse(a.username)?,
        display_name: a.display_name.into(),
        role: a.role,
        secret: Secret::new(a.secret),
    })
}

/// Add the demo accounts unless the database already has staff; true when they were added.
/// The admin goes in as the first admin (as `init` would), and adds the others, so the audit
/// trail reads as a practice's would.
pub fn seed_staff(store: &mut Store, now: DateTime<Utc>) -> Result<bool, StaffError> {
    if store::staff::count(&*store)? > 0 {
        return Ok(false);
    }
    let [reception, manager, admin] = &DEMO_STAFF;
    let first = staff::add_first_admin(store, &new_member(admin)?, now)?;
    let actor = Actor::Member(Member {
        id: first.id,
        username: first.username,
        role: first.role,
    });
    for account in [reception, manager] {
        staff::add(store, &actor, &new_member(account)?, now)?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_demo_account_signs_in_with_the_secret_the_lock_screen_shows() {
        let mut store = Store::open_in_memory().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 14, 30, 0).unwrap();
        assert!(seed_staff(&mut store, now).unwrap());
        assert!(!seed_staff(&mut store, now).unwrap(), "seeded once");
        for a in DEMO_STAFF {
            let m = staff::sign_in(&mut store, a.username, &Secret::new(a.secret), now).unwrap();
            assert_eq!(m.role, a.role, "{}", a.username);
        }
    }
}
