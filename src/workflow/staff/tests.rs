use chrono::Duration;

use super::*;
use crate::domain::audit::verify_chain;
use crate::store::appointments::tests::t;

const ADMIN_PASSWORD: &str = "correct horse battery";
const PIN: &str = "482915";

fn new(username: &str, role: Role, secret: &str) -> NewMember {
    NewMember {
        username: Username::parse(username).unwrap(),
        display_name: String::new(),
        role,
        secret: Secret::new(secret),
    }
}

/// A practice with its first admin signed in, and a receptionist.
fn practice() -> (Store, Actor) {
    let mut store = Store::open_in_memory().unwrap();
    add_first_admin(
        &mut store,
        &new("ana", Role::Admin, ADMIN_PASSWORD),
        t(8, 0),
    )
    .unwrap();
    let admin =
        Actor::Member(sign_in(&mut store, "ana", &Secret::new(ADMIN_PASSWORD), t(8, 1)).unwrap());
    add(
        &mut store,
        &admin,
        &new("bo", Role::Reception, PIN),
        t(8, 2),
    )
    .unwrap();
    (store, admin)
}

fn audit_rows(store: &Store) -> Vec<crate::domain::audit::AuditRecord> {
    store::audit::page(store.test_conn(), 0, 1000).unwrap()
}

#[test]
fn an_admin_adds_a_member_and_the_record_names_the_admin_by_id() {
    let (store, admin) = practice();
    let bo = store::staff::by_username(store.test_conn(), "bo")
        .unwrap()
        .unwrap();
    assert_eq!(
        (bo.role, bo.active, bo.display_name.as_str()),
        (Role::Reception, true, "bo")
    );
    let add = audit_rows(&store)
        .into_iter()
        .find(|r| r.entry.action == "staff.add" && r.entry.subject == format!("staff:{}", bo.id))
        .unwrap();
    assert_eq!(add.entry.actor, "ana");
    assert_eq!(add.entry.actor_id, admin.staff_id().map(|i| i.0));
    assert_eq!(add.entry.detail, r#"{"role":"reception"}"#);
}

#[test]
fn only_an_admin_manages_staff() {
    let (mut store, _) = practice();
    let bo = Actor::Member(sign_in(&mut store, "bo", &Secret::new(PIN), t(9, 0)).unwrap());
    let err = add(
        &mut store,
        &bo,
        &new("cy", Role::Reception, "739104"),
        t(9, 1),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "bo (reception) may not manage staff accounts; it needs an admin"
    );
    assert!(matches!(
        disable(&mut store, &Actor::System, "bo", t(9, 2)),
        Err(StaffError::Denied(Denied::NeedsPerson { .. }))
    ));
    assert!(list(&store, &bo).is_err());
    assert!(
        store::staff::by_username(store.test_conn(), "cy")
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_weak_secret_or_a_taken_username_adds_nobody() {
    let (mut store, admin) = practice();
    let err = add(
        &mut store,
        &admin,
        &new("cy", Role::Reception, "123456"),
        t(9, 0),
    )
    .unwrap_err();
    assert!(err.to_string().contains("too easy to guess"), "{err}");
    let err = add(
        &mut store,
        &admin,
        &new("cy", Role::Admin, "739104"),
        t(9, 0),
    )
    .unwrap_err();
    assert!(err.to_string().contains("admin needs a password"), "{err}");
    let err = add(
        &mut store,
        &admin,
        &new("bo", Role::Manager, "739104"),
        t(9, 0),
    )
    .unwrap_err();
    assert!(err.to_string().contains("taken"), "{err}");
    assert_eq!(store::staff::count(store.test_conn()).unwrap(), 2);
}

#[test]
fn the_first_admin_only_goes_into_a_database_without_staff() {
    let (mut store, _) = practice();
    let err = add_first_admin(
        &mut store,
        &new("eve", Role::Admin, ADMIN_PASSWORD),
        t(9, 0),
    )
    .unwrap_err();
    assert!(err.to_string().contains("already has staff"), "{err}");
}

#[test]
fn a_wrong_secret_fails_and_five_in_a_row_lock_for_five_minutes() {
    let (mut store, _) = practice();
    let wrong = Secret::new("000111");
    for i in 0..4 {
        let e = sign_in(&mut store, "bo", &wrong, t(9, i)).unwrap_err();
        let left = 4 - i;
        assert!(
            matches!(e, SignInError::Wrong { tries_left: Some(n) } if n == left),
            "{e}"
        );
        assert!(e.to_string().contains(&format!("{left} tr")), "{e}");
    }
    // An unknown username says nothing about tries.
    let e = sign_in(&mut store, "nobody", &wrong, t(9, 4)).unwrap_err();
    assert_eq!(e.to_string(), "wrong username or PIN/password");
    let e = sign_in(&mut store, "bo", &wrong, t(9, 4)).unwrap_err();
    let until = t(9, 4) + Duration::minutes(5);
    assert!(
        matches!(e, SignInError::Locked { until: u } if u == until),
        "{e}"
    );
    // Even the right PIN is refused while locked, up to the last second.
    let right = Secret::new(PIN);
    let e = sign_in(&mut store, "bo", &right, until - Duration::seconds(1)).unwrap_err();
    assert!(matches!(e, SignInError::Locked { .. }), "{e}");
    assert_eq!(
        e.describe(chrono_tz::America::New_York),
        "too many wrong tries: the account is locked until 04:09"
    );
    let bo = sign_in(&mut store, "bo", &right, until).unwrap();
    assert_eq!(bo.username, "bo");
    let fresh = store::staff::by_username(store.test_conn(), "bo")
        .unwrap()
        .unwrap();
    assert_eq!(
        fresh.lockout,
        Lockout::default(),
        "success clears the count"
    );
    let actions: Vec<String> = audit_rows(&store)
        .into_iter()
        .map(|r| r.entry.action)
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "staff.sign_in_failed")
            .count(),
        6,
        "five for bo, one for the unknown username"
    );
    assert_eq!(actions.iter().filter(|a| *a == "staff.locked").count(), 1);
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "staff.sign_in_refused")
            .count(),
        1
    );
}

#[test]
fn a_success_between_failures_starts_the_count_again() {
    let (mut store, _) = practice();
    for i in 0..4 {
        let _ = sign_in(&mut store, "bo", &Secret::new("000111"), t(9, i));
    }
    sign_in(&mut store, "bo", &Secret::new(PIN), t(9, 5)).unwrap();
    for i in 0..4 {
        let e = sign_in(&mut store, "bo", &Secret::new("000111"), t(9, 10 + i)).unwrap_err();
        assert!(matches!(e, SignInError::Wrong { .. }), "attempt {i}: {e}");
    }
}

#[test]
fn an_unknown_username_fails_like_a_wrong_secret_and_is_not_recorded() {
    let (mut store, _) = practice();
    let e = sign_in(
        &mut store,
        "hunter2-typed-in-the-name",
        &Secret::new(PIN),
        t(9, 0),
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "wrong username or PIN/password");
    let last = audit_rows(&store).pop().unwrap();
    assert_eq!(
        (
            last.entry.action.as_str(),
            last.entry.subject.as_str(),
            last.entry.detail.as_str()
        ),
        ("staff.sign_in_failed", "staff:unknown", "{}")
    );
    assert!(!format!("{last:?}").contains("hunter2"));
}

#[test]
fn a_disabled_member_cannot_sign_in_and_their_history_stays_theirs() {
    let (mut store, admin) = practice();
    let bo = sign_in(&mut store, "bo", &Secret::new(PIN), t(9, 0)).unwrap();
    let before = store::audit::by_member(store.test_conn(), bo.id.0, 100).unwrap();
    assert!(!before.is_empty());
    disable(&mut store, &admin, "bo", t(9, 5)).unwrap();
    let e = sign_in(&mut store, "bo", &Secret::new(PIN), t(9, 6)).unwrap_err();
    assert_eq!(e.to_string(), "this account is disabled; ask an admin");
    let e = sign_in(&mut store, "bo", &Secret::new("000111"), t(9, 7)).unwrap_err();
    assert!(
        matches!(e, SignInError::Wrong { .. }),
        "a wrong secret says nothing more"
    );
    let after = store::audit::by_member(store.test_conn(), bo.id.0, 100).unwrap();
    assert_eq!(
        after[..before.len()],
        before[..],
        "earlier records still name bo by id"
    );
    assert!(after.iter().all(|e| e.actor == "bo"));
    let bo_row = list(&store, &admin)
        .unwrap()
        .into_iter()
        .find(|m| m.username == "bo")
        .unwrap();
    assert!(!bo_row.active);
    enable(&mut store, &admin, "bo", t(9, 8)).unwrap();
    assert!(sign_in(&mut store, "bo", &Secret::new(PIN), t(9, 9)).is_ok());
}

#[test]
fn a_reset_lifts_the_lock_and_only_the_new_secret_works() {
    let (mut store, admin) = practice();
    for i in 0..5 {
        let _ = sign_in(&mut store, "bo", &Secret::new("000111"), t(9, i));
    }
    reset(&mut store, &admin, "bo", &Secret::new("739104"), t(9, 6)).unwrap();
    assert!(matches!(
        sign_in(&mut store, "bo", &Secret::new(PIN), t(9, 7)),
        Err(SignInError::Wrong { .. })
    ));
    assert!(sign_in(&mut store, "bo", &Secret::new("739104"), t(9, 8)).is_ok());
}

#[test]
fn the_last_active_admin_cannot_be_disabled_or_demoted() {
    let (mut store, admin) = practice();
    let err = disable(&mut store, &admin, "ana", t(9, 0)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ana is the last active admin; add or enable another admin first"
    );
    let demote = RoleChange {
        username: "ana",
        role: Role::Manager,
        new_password: None,
    };
    assert!(matches!(
        set_role(&mut store, &admin, &demote, t(9, 1)),
        Err(StaffError::LastAdmin(_))
    ));
    add(
        &mut store,
        &admin,
        &new("cy", Role::Admin, "another long password"),
        t(9, 2),
    )
    .unwrap();
    set_role(&mut store, &admin, &demote, t(9, 3)).unwrap();
}

#[test]
fn promoting_to_admin_sets_a_password_in_the_same_step() {
    let (mut store, admin) = practice();
    let mut change = RoleChange {
        username: "bo",
        role: Role::Admin,
        new_password: None,
    };
    let err = set_role(&mut store, &admin, &change, t(9, 0)).unwrap_err();
    assert!(
        err.to_string().contains("signs in with a password"),
        "{err}"
    );
    let password = Secret::new("a much longer password");
    change.new_password = Some(&password);
    let bo = set_role(&mut store, &admin, &change, t(9, 1)).unwrap();
    assert_eq!(bo.role, Role::Admin);
    assert!(sign_in(&mut store, "bo", &password, t(9, 2)).is_ok());
    assert!(sign_in(&mut store, "bo", &Secret::new(PIN), t(9, 3)).is_err());
}

#[test]
fn no_secret_or_hash_reaches_the_audit_trail_and_the_chain_holds() {
    let (mut store, admin) = practice();
    reset(&mut store, &admin, "bo", &Secret::new("739104"), t(9, 0)).unwrap();
    let _ = sign_in(&mut store, "bo", &Secret::new("000111"), t(9, 1));
    let phc: Vec<String> = store
        .test_conn()
        .prepare("SELECT pin_hash FROM staff")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let rows = audit_rows(&store);
    let text = format!("{rows:?}");
    for secret in [ADMIN_PASSWORD, PIN, "739104", "000111", "argon2"] {
        assert!(!text.contains(secret), "{secret} in the audit trail");
    }
    for h in phc {
        assert!(!text.contains(&h));
    }
    assert_eq!(
        verify_chain(&rows, crate::domain::audit::GENESIS.into()),
        Ok(rows.len())
    );
}
