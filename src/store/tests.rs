//! The store's own tests: opening, modes, transactions, the page cache.

use super::*;

#[test]
fn file_database_uses_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("sub/p.db")).unwrap();
    let mode: String = store
        .test_conn()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    let fk: i64 = store
        .test_conn()
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert_eq!(mode.to_lowercase(), "wal");
    assert_eq!(fk, 1);
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn a_new_database_and_its_wal_and_shm_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let store = Store::create_new(&path).unwrap();
    store
        .test_conn()
        .execute("INSERT INTO settings (key, value) VALUES ('a', 'b')", [])
        .unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir.path().join("p.db-wal")), 0o600);
    assert_eq!(mode(&dir.path().join("p.db-shm")), 0o600);
    let demo = dir.path().join("d.db");
    drop(Store::open(&demo).unwrap());
    assert_eq!(mode(&demo), 0o600);
}

#[test]
fn a_large_write_gets_its_cache_and_gives_it_back_also_when_it_fails() {
    let mut store = Store::open_in_memory().unwrap();
    let cache = |s: &Store| -> i64 {
        s.test_conn()
            .pragma_query_value(None, "cache_size", |r| r.get(0))
            .unwrap()
    };
    let before = cache(&store);
    let during = store
        .write_large(8, |tx| {
            Ok::<i64, StoreError>(sql(tx).pragma_query_value(None, "cache_size", |r| r.get(0))?)
        })
        .unwrap();
    assert_eq!(during, -8 * 1024);
    assert_eq!(cache(&store), before);
    let failed: Result<(), StoreError> = store.write_large(8, |tx| {
        settings::set(tx, "k", "v")?;
        Err(StoreError::Conflict("no".into()))
    });
    assert!(failed.is_err());
    assert_eq!(cache(&store), before);
    assert_eq!(settings::get(&store, "k").unwrap(), None, "rolled back");
}

#[test]
fn create_new_never_writes_over_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    drop(Store::create_new(&path).unwrap());
    let err = Store::create_new(&path).err().unwrap();
    assert!(err.to_string().contains("already exists"), "{err}");
}

#[test]
fn open_existing_refuses_a_missing_path_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo/p.db");
    let err = Store::open_existing(&path).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "there is no database at {}; check --db, or run `frontdesk init` to set up a practice",
            path.display()
        )
    );
    assert!(!path.exists() && !dir.path().join("typo").exists());
}

#[test]
fn open_existing_refuses_files_that_are_not_frontdesk_databases() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, "").unwrap();
    let text = dir.path().join("notes.db");
    std::fs::write(
        &text,
        "shopping list: milk, eggs, bread, and a lot more text here",
    )
    .unwrap();
    let other = dir.path().join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    for path in [&empty, &text, &other] {
        let err = Store::open_existing(path).err().unwrap();
        assert!(
            err.to_string().contains("is not a frontdesk database"),
            "{err}"
        );
    }
    let tables: i64 = Connection::open(&other)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        tables, 1,
        "nothing was migrated into someone else's database"
    );
    let good = dir.path().join("good.db");
    drop(Store::open(&good).unwrap());
    assert!(Store::open_existing(&good).is_ok());
}

#[test]
fn inspect_reads_the_marker_without_migrating() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    assert_eq!(Store::inspect(&path).unwrap(), None);
    let store = Store::open(&path).unwrap();
    marker::mark(store.test_conn(), marker::DbKind::Demo).unwrap();
    drop(store);
    assert_eq!(Store::inspect(&path).unwrap(), Some(marker::DbKind::Demo));
}

#[test]
fn newer_schema_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    drop(Store::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(err.to_string().contains("newer frontdesk"), "{err}");
}
