use super::*;
use crate::store::settings;

fn key(byte: u8) -> DbKey {
    DbKey::from_hex(&format!("{byte:02x}").repeat(32)).unwrap()
}

const NAME: &str = "Nguyễn Thị Minh Khai";

#[test]
fn sqlcipher_is_live() {
    let store = Store::open_in_memory().unwrap();
    let version = cipher_version(&store.conn).unwrap();
    assert!(
        version.as_deref().is_some_and(|v| v.starts_with('4')),
        "{version:?}"
    );
}

#[test]
fn keys_parse_from_hex_and_never_print() {
    let k = DbKey::from_hex(&format!("  {}\n", "aB".repeat(32))).unwrap();
    assert_eq!(k.to_hex(), "ab".repeat(32));
    assert_eq!(format!("{k:?}"), "DbKey(…)");
    for bad in [
        "",
        "ab",
        &"ab".repeat(31),
        &"zz".repeat(32),
        &"ab".repeat(33),
    ] {
        assert_eq!(DbKey::from_hex(bad), Err(KeyFormatError), "{bad:?}");
    }
    let (a, b) = (DbKey::generate().unwrap(), DbKey::generate().unwrap());
    assert_ne!(a, b);
}

#[test]
fn an_encrypted_database_holds_no_plain_bytes_and_opens_only_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let store = Store::open_keyed(&path, &key(7)).unwrap();
    settings::set(&store.conn, "who", NAME).unwrap();
    drop(store);
    assert_eq!(file_kind(&path).unwrap(), FileKind::Opaque);
    let bytes = std::fs::read(&path).unwrap();
    let needle = "Nguyễn".as_bytes();
    assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    let err = Store::open_existing_keyed(&path, &key(8)).err().unwrap();
    assert!(matches!(err, StoreError::Undecryptable(_)), "{err}");
    let err = Store::open_existing(&path).err().unwrap();
    assert!(
        err.to_string().contains("not a frontdesk database"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "a failed open wrote nothing"
    );
    let store = Store::open_existing_keyed(&path, &key(7)).unwrap();
    assert_eq!(
        settings::get(&store.conn, "who").unwrap().as_deref(),
        Some(NAME)
    );
}

#[test]
fn file_kind_tells_plain_from_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    assert_eq!(file_kind(&p("none.db")).unwrap(), FileKind::Missing);
    std::fs::write(p("empty.db"), "").unwrap();
    assert_eq!(file_kind(&p("empty.db")).unwrap(), FileKind::Empty);
    std::fs::write(p("short.db"), "SQLite").unwrap();
    assert_eq!(file_kind(&p("short.db")).unwrap(), FileKind::Opaque);
    drop(Store::open(&p("plain.db")).unwrap());
    assert_eq!(file_kind(&p("plain.db")).unwrap(), FileKind::Plain);
}

/// The steps of encryption in place, as the workflow runs them.
#[test]
fn a_plain_database_is_exported_encrypted_and_swapped_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let store = Store::open(&path).unwrap();
    settings::set(&store.conn, "who", NAME).unwrap();
    let before = census(&store.conn).unwrap();
    drop(store);
    let held = Exclusive::take(&path, None, Duration::from_secs(1)).unwrap();
    let copy = dir.path().join("p.db.encrypting");
    held.export_encrypted(&copy, &key(3)).unwrap();
    let check = Store::open_verbatim(&copy, &key(3), false).unwrap();
    assert_eq!(census(&check.conn).unwrap(), before);
    integrity_check(&check.conn).unwrap();
    drop(check);
    held.replace_with(&copy).unwrap();
    assert!(!copy.exists());
    assert_eq!(file_kind(&path).unwrap(), FileKind::Opaque);
    for side in ["-wal", "-shm", "-journal"] {
        assert!(!sibling(&path, side).exists(), "{side} left behind");
    }
    let store = Store::open_existing_keyed(&path, &key(3)).unwrap();
    assert_eq!(census(&store.conn).unwrap(), before);
    assert_eq!(
        settings::get(&store.conn, "who").unwrap().as_deref(),
        Some(NAME)
    );
}

#[test]
fn a_database_another_connection_has_open_cannot_be_taken() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let other = Store::open_keyed(&path, &key(1)).unwrap();
    let err = Exclusive::take(&path, Some(&key(1)), Duration::from_millis(50))
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::InUse(_)), "{err}");
    drop(other);
    let held = Exclusive::take(&path, Some(&key(1)), Duration::from_millis(50)).unwrap();
    let err = Store::open_existing_keyed(&path, &key(1)).err();
    assert!(err.is_some(), "nobody opens it while it is held");
    drop(held);
    let err = Exclusive::take(&path, Some(&key(2)), Duration::from_millis(50))
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::Undecryptable(_)), "{err}");
}

#[test]
fn rekey_changes_the_key_of_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let store = Store::open_keyed(&path, &key(1)).unwrap();
    settings::set(&store.conn, "who", NAME).unwrap();
    drop(store);
    drop(Exclusive::take(&path, Some(&key(1)), Duration::from_millis(50)).unwrap());
    let copy = Store::open_verbatim(&path, &key(1), true).unwrap();
    copy.rekey(&key(2)).unwrap();
    drop(copy);
    assert!(Store::open_verbatim(&path, &key(1), false).is_err());
    let store = Store::open_existing_keyed(&path, &key(2)).unwrap();
    assert_eq!(
        settings::get(&store.conn, "who").unwrap().as_deref(),
        Some(NAME)
    );
}

/// Restore's swap keeps the replaced file and puts the new one in its place, and a swap that
/// fails half way (here: the replacement is gone) leaves the database where it was, not a
/// practice with no database at its path.
#[test]
fn a_set_aside_swap_leaves_a_database_at_the_path_whatever_happens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let kept = dir.path().join("p.db.replaced");
    let replacement = dir.path().join("p.db.restoring");
    std::fs::write(&path, b"old practice").unwrap();
    std::fs::write(sibling(&path, "-wal"), b"old frames").unwrap();

    let err = set_aside(&path, &kept, &dir.path().join("gone")).unwrap_err();
    assert!(matches!(err, StoreError::Create { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"old practice");
    assert_eq!(
        std::fs::read(sibling(&path, "-wal")).unwrap(),
        b"old frames"
    );
    assert!(!kept.exists(), "a failed swap is undone");

    std::fs::write(&replacement, b"restored practice").unwrap();
    set_aside(&path, &kept, &replacement).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"restored practice");
    assert_eq!(std::fs::read(&kept).unwrap(), b"old practice");
    assert_eq!(
        std::fs::read(sibling(&kept, "-wal")).unwrap(),
        b"old frames"
    );
    assert!(
        !sibling(&path, "-wal").exists(),
        "the old frames are not the new file's"
    );
    assert!(!replacement.exists());
    // Kept names are never reused.
    std::fs::write(&replacement, b"again").unwrap();
    let err = set_aside(&path, &kept, &replacement).unwrap_err();
    assert!(matches!(err, StoreError::Exists { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"restored practice");
}
