use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::*;
use crate::domain::audit::AuditEntry;
use crate::store::appointments::tests::t;
use crate::store::patients::NewPatient;
use serde_json::json;

fn key(byte: u8) -> DbKey {
    DbKey::from_hex(&format!("{byte:02x}").repeat(32)).unwrap()
}

const SYSTEM: Actor = Actor::System;

fn act() -> Act<'static> {
    Act {
        actor: &SYSTEM,
        now: t(21, 30),
    }
}

/// One patient and its audit record, in one transaction: a consistent copy holds as many
/// patients as `patient.add` records.
fn add_patient(store: &mut Store, n: u32) {
    store
        .write(|conn| {
            let id = store::patients::insert(
                conn,
                &NewPatient {
                    external_id: None,
                    first_name: format!("Aoife{n}"),
                    last_name: "Ó Súilleabháin".into(),
                    birth_date: None,
                    mobile: None,
                    time_zone: None,
                    portal_active: false,
                },
                t(9, 0),
            )?;
            let e = AuditEntry::new(
                t(9, 0),
                "desk",
                "patient.add",
                format!("patient:{}", id.0),
                json!({}),
            );
            store::audit::append(conn, &e).map(|_| ())
        })
        .unwrap();
}

fn practice(path: &Path, k: &DbKey, patients: u32) -> Store {
    let mut store = Store::open_keyed(path, k).unwrap();
    marker::mark(store.test_conn(), DbKind::Practice).unwrap();
    for n in 0..patients {
        add_patient(&mut store, n);
    }
    store
}

fn counts(store: &Store) -> (i64, i64) {
    let q = |sql: &str| {
        store
            .test_conn()
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    (
        q("SELECT COUNT(*) FROM patients"),
        q("SELECT COUNT(*) FROM audit WHERE action = 'patient.add'"),
    )
}

#[test]
fn a_backup_taken_during_writes_restores_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let k = key(1);
    let mut live = practice(&db, &k, 20);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, k, stop) = (db.clone(), k.clone(), stop.clone());
        // A second connection writing all along, as the console or `remind` does.
        std::thread::spawn(move || {
            let mut other = Store::open_existing_keyed(&db, &k).unwrap();
            let mut n = 1000;
            while !stop.load(Ordering::Relaxed) {
                add_patient(&mut other, n);
                n += 1;
            }
            n - 1000
        })
    };
    let mut reports = Vec::new();
    for i in 0..5 {
        add_patient(&mut live, 100 + i);
        let dest = dir.path().join(format!("backup-{i}.db"));
        reports.push(backup(&mut live, &dest, &k, act()).unwrap());
    }
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(written > 0, "the writer ran during the backups");
    for r in &reports {
        assert_eq!(r.chain_broken, None);
        let copy = Store::open_verbatim(&r.path, &k, false).unwrap();
        let (patients, records) = counts(&copy);
        assert_eq!(
            patients,
            records,
            "{}: a consistent snapshot",
            r.path.display()
        );
        assert!(patients >= 21);
    }
    let last = reports.last().unwrap();
    let audited = store::audit::page(live.test_conn(), 0, 100_000).unwrap();
    assert_eq!(
        audited
            .iter()
            .filter(|r| r.entry.action == "database.backup")
            .count(),
        5
    );
    drop(live);

    let staged = stage(&db, &last.path, &k, &k).unwrap();
    let kept = staged.install(&k, act()).unwrap().unwrap();
    assert!(
        kept.to_string_lossy()
            .ends_with(".replaced-20261125T213000Z"),
        "{kept:?}"
    );
    let restored = Store::open_existing_keyed(&db, &k).unwrap();
    let (patients, records) = counts(&restored);
    assert_eq!(patients, records);
    assert_eq!(
        crate::workflow::audit::verify(&restored).unwrap().broken,
        None
    );
    let newest = store::audit::page(restored.test_conn(), 0, 100_000).unwrap();
    assert_eq!(newest.last().unwrap().entry.action, "database.restore");
    let old = Store::open_existing_keyed(&kept, &k).unwrap();
    assert!(
        counts(&old).0 > patients,
        "the replaced file holds the later writes"
    );
    assert!(!cipher::sibling(&db, ".restoring").exists());
}

#[test]
fn restore_is_refused_while_the_database_is_open_and_nothing_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let k = key(2);
    let mut console = practice(&db, &k, 3);
    let dest = dir.path().join("b.db");
    backup(&mut console, &dest, &k, act()).unwrap();
    add_patient(&mut console, 50);
    let staged = stage(&db, &dest, &k, &k).unwrap();
    let err = staged.install(&k, act()).unwrap_err();
    assert!(
        err.to_string().contains("is in use by another program"),
        "{err}"
    );
    assert_eq!(counts(&console).0, 4, "the open database is untouched");
    assert!(!cipher::sibling(&db, ".restoring").exists());
    let replaced: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("replaced"))
        .collect();
    assert!(replaced.is_empty());
}

#[test]
fn a_backup_with_another_key_is_restored_under_the_practice_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let (k, offsite) = (key(3), key(4));
    let mut live = practice(&db, &k, 3);
    let dest = dir.path().join("offsite.db");
    backup(&mut live, &dest, &offsite, act()).unwrap();
    drop(live);
    let err = stage(&db, &dest, &k, &k).unwrap_err();
    assert!(
        err.to_string().contains("give the key it was written with"),
        "{err}"
    );
    stage(&db, &dest, &k, &offsite)
        .unwrap()
        .install(&k, act())
        .unwrap();
    let restored = Store::open_existing_keyed(&db, &k).unwrap();
    assert_eq!(counts(&restored).0, 3);
    assert!(
        Store::open_verbatim(&dest, &offsite, false).is_ok(),
        "backup unchanged"
    );
}

#[test]
fn restore_onto_a_machine_without_the_database_needs_no_lock() {
    let dir = tempfile::tempdir().unwrap();
    let k = key(5);
    let mut live = practice(&dir.path().join("old.db"), &k, 2);
    let dest = dir.path().join("b.db");
    backup(&mut live, &dest, &k, act()).unwrap();
    let db = dir.path().join("new/p.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    assert_eq!(
        stage(&db, &dest, &k, &k)
            .unwrap()
            .install(&k, act())
            .unwrap(),
        None
    );
    assert_eq!(counts(&Store::open_existing_keyed(&db, &k).unwrap()).0, 2);
}

/// The database in place cannot be read with the practice's key — written over by something
/// else, or under another key — so there is no user to wait for: it is set aside byte for
/// byte as `.replaced-…`, and the backup takes its place.
#[test]
fn a_database_the_key_cannot_read_is_set_aside_as_it_is_and_the_backup_installed() {
    let dir = tempfile::tempdir().unwrap();
    let k = key(6);
    let mut live = practice(&dir.path().join("old.db"), &k, 2);
    let dest = dir.path().join("b.db");
    backup(&mut live, &dest, &k, act()).unwrap();
    for (n, what) in [("garbage", None), ("other key", Some(key(7)))]
        .into_iter()
        .enumerate()
    {
        let db = dir.path().join(format!("p{n}.db"));
        match &what.1 {
            None => std::fs::write(&db, vec![0x5a; 64 * 1024]).unwrap(),
            Some(other) => drop(practice(&db, other, 1)),
        }
        let before = std::fs::read(&db).unwrap();
        let kept = stage(&db, &dest, &k, &k)
            .unwrap()
            .install(&k, act())
            .unwrap()
            .unwrap_or_else(|| panic!("{}: the old file is kept", what.0));
        assert_eq!(
            std::fs::read(&kept).unwrap(),
            before,
            "{}: set aside as it was",
            what.0
        );
        let restored = Store::open_existing_keyed(&db, &k).unwrap();
        assert_eq!(counts(&restored).0, 2, "{}", what.0);
        let audited: i64 = restored
            .test_conn()
            .query_row(
                "SELECT COUNT(*) FROM audit WHERE action LIKE '%restore%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(audited, 1, "{}", what.0);
    }
}

#[test]
fn backups_that_fail_a_check_are_refused_before_anything_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let k = key(6);
    let mut live = practice(&db, &k, 3);
    let good = dir.path().join("good.db");
    backup(&mut live, &good, &k, act()).unwrap();
    drop(live);
    let before = std::fs::read(&db).unwrap();

    let tampered = dir.path().join("tampered.db");
    std::fs::copy(&good, &tampered).unwrap();
    Store::open_verbatim(&tampered, &k, true)
        .unwrap()
        .test_conn()
        .execute_batch(
            "DROP TRIGGER audit_append_only_update; UPDATE audit SET actor = 'nobody' WHERE id = 2;",
        )
        .unwrap();
    let newer = dir.path().join("newer.db");
    std::fs::copy(&good, &newer).unwrap();
    Store::open_verbatim(&newer, &k, true)
        .unwrap()
        .test_conn()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
    let plain = dir.path().join("plain.db");
    drop(Store::open(&plain).unwrap());

    for (file, expect) in [
        (&tampered, "broken audit trail"),
        (&newer, "newer frontdesk"),
        (&garbage, "cannot decrypt"),
        (&plain, "is not encrypted"),
        (&dir.path().join("missing.db"), "there is no backup"),
    ] {
        let err = stage(&db, file, &k, &k).unwrap_err();
        assert!(
            err.to_string().contains(expect),
            "{}: {err}",
            file.display()
        );
        assert!(!cipher::sibling(&db, ".restoring").exists());
    }
    assert_eq!(std::fs::read(&db).unwrap(), before, "nothing was replaced");
}
