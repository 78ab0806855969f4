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
    assert_eq!(format_of(&check.conn).unwrap(), Some(Format::NEW));
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

/// The formats of the files made before: SQLCipher's defaults (HMAC-SHA512), every practice's
/// file before new files took HMAC-SHA256; then HMAC-SHA256 with 4 KiB pages, for one release.
const OLD: [Format; 2] = [Format::Sha512Pages4K, Format::Sha256Pages4K];

/// A connection to `path` keyed as a file of `format` is, by hand: SQLCipher's defaults are
/// the key alone, so that format is proved to be exactly them.
fn keyed_as(path: &Path, key: &DbKey, format: Format) -> Connection {
    let conn = Connection::open(path).unwrap();
    match format {
        Format::Sha512Pages4K => conn.pragma_update(None, "key", key.raw()).unwrap(),
        other => apply(&conn, key, other).unwrap(),
    }
    conn
}

/// A file as an earlier frontdesk wrote it in `format`, with 2,000 notes.
fn old_file(path: &Path, key: &DbKey, format: Format) -> Connection {
    let conn = keyed_as(path, key, format);
    conn.execute_batch(
        "CREATE TABLE notes (n INTEGER PRIMARY KEY, text TEXT);
         WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 2000)
         INSERT INTO notes SELECT n, 'before ' || n || printf('%.200c', 'x') FROM k;",
    )
    .unwrap();
    conn
}

/// What a crash leaves of `path` — the file and its `side` file (`-journal`, `-wal`) as they
/// are now, with the connection still open — copied beside it, then opened read-write, as
/// the next start would, and found to be in `old`'s format.
fn open_crashed_copy(path: &Path, side: &str, key: &DbKey, old: Format) -> (PathBuf, Store) {
    let crashed = path.with_file_name("crashed.db");
    std::fs::copy(path, &crashed).unwrap();
    std::fs::copy(sibling(path, side), sibling(&crashed, side)).unwrap();
    let opened = Store::open_verbatim(&crashed, key, true).unwrap();
    assert_eq!(format_of(&opened.conn).unwrap(), Some(old), "{side}");
    (crashed, opened)
}

fn notes_saying(conn: &Connection, word: &str) -> i64 {
    conn.query_row(
        "SELECT COUNT(*) FROM notes WHERE text LIKE ?1 || ' %'",
        [word],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn new_files_have_hmac_sha256_and_16_kib_pages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = Store::create_new_keyed(&path, &key(5)).unwrap();
    settings::set(&store.conn, "who", NAME).unwrap();
    assert_eq!(
        format_of(&store.conn).unwrap(),
        Some(Format::Sha256Pages16K)
    );
    // SQLCipher answers for the page size it encrypts, as text.
    let page: String = store
        .conn
        .pragma_query_value(None, "page_size", |r| r.get(0))
        .unwrap();
    assert_eq!(page, "16384");
    let copy = dir.path().join("copy.db");
    crate::store::backup::write(&store, &copy, &key(5)).unwrap();
    drop(store);
    let copied = Store::open_verbatim(&copy, &key(5), false).unwrap();
    assert_eq!(format_of(&copied.conn).unwrap(), Some(Format::NEW));
    // Neither earlier format reads it with the right key: the format is the new one.
    for old in OLD {
        let conn = keyed_as(&path, &key(5), old);
        conn.pragma_update(None, "cipher_log_level", "NONE")
            .unwrap();
        let read = conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |_| Ok(()));
        assert!(
            read.as_ref().is_err_and(is_not_a_database),
            "{old:?}: {read:?}"
        );
    }
    // What the README tells an admin to type in SQLCipher's shell reads it.
    let shell = Connection::open(&path).unwrap();
    shell.execute_batch(&key(5).sqlcipher_statements()).unwrap();
    let who = settings::get(&shell, "who").unwrap();
    assert_eq!(who.as_deref(), Some(NAME));
}

/// Every practice's file made before the change opens, is written, read on a second
/// connection (the statistics), held for a swap, backed up and rekeyed — and stays in its
/// format, which a connection keyed in that format by hand proves by reading it.
#[test]
fn files_made_in_earlier_formats_open_and_stay_as_they_are() {
    for old in OLD {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        drop(old_file(&path, &key(9), old));
        let store = Store::open_keyed(&path, &key(9)).unwrap();
        assert_eq!(format_of(&store.conn).unwrap(), Some(old));
        settings::set(&store.conn, "who", NAME).unwrap();
        let aside = Connection::open(&path).unwrap();
        key_like_before(&aside, &path).unwrap();
        assert_eq!(notes_saying(&aside, "before"), 2000, "{old:?}");
        drop(aside);
        let copy = dir.path().join("copy.db");
        crate::store::backup::write(&store, &copy, &key(9)).unwrap();
        drop(store);

        drop(Exclusive::take(&path, Some(&key(9)), Duration::from_millis(50)).unwrap());
        let rekeyed = Store::open_verbatim(&copy, &key(9), true).unwrap();
        assert_eq!(format_of(&rekeyed.conn).unwrap(), Some(old));
        rekeyed.rekey(&key(10)).unwrap();
        drop(rekeyed);
        for (file, k) in [(&path, key(9)), (&copy, key(10))] {
            let by_hand = keyed_as(file, &k, old);
            assert_eq!(notes_saying(&by_hand, "before"), 2000, "{old:?} {file:?}");
            let who = settings::get(&by_hand, "who").unwrap();
            assert_eq!(who.as_deref(), Some(NAME), "{old:?} {file:?}");
        }
        let err = Store::open_existing_keyed(&path, &key(10)).err().unwrap();
        assert!(matches!(err, StoreError::Undecryptable(_)), "{err}");
    }
}

/// A file of the old format left mid-write (a crash with a hot journal beside it): the first
/// try, in the new format, cannot read the journal's pages; the open still plays the journal
/// back whole, in the file's own format, and the half-written change is gone.
#[test]
fn an_old_file_s_hot_journal_is_played_back_by_the_open_that_reads_it() {
    for old in OLD {
        hot_journal_played_back(old);
    }
}

fn hot_journal_played_back(old: Format) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let conn = old_file(&path, &key(4), old);
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    conn.execute_batch("BEGIN; UPDATE notes SET text = 'after ' || n || printf('%.200c', 'y');")
        .unwrap();
    // The changed pages written into the file, the journal synced first: what a crash
    // part-way through the commit leaves.
    conn.cache_flush().unwrap();
    let journal = sibling(&path, "-journal");
    let head = std::fs::read(&journal).unwrap();
    assert_eq!(
        head[..8],
        [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7],
        "a hot journal: synced, its magic written"
    );
    let (crashed, opened) = open_crashed_copy(&path, "-journal", &key(4), old);
    drop(conn);
    assert_eq!(notes_saying(&opened.conn, "before"), 2000);
    assert_eq!(notes_saying(&opened.conn, "after"), 0);
    integrity_check(&opened.conn).unwrap();
    assert!(!sibling(&crashed, "-journal").exists(), "played back");
}

/// A file of the old format whose last commit is only in its `-wal` (a crash before any
/// checkpoint, copied with no `-shm`): the first try, in the new format, recovers the WAL's
/// index and closes — which may checkpoint, copying the frames' encrypted bytes as they are —
/// and the open that reads it still finds the last commit.
#[test]
fn an_old_file_s_last_commit_in_its_wal_survives_the_failed_first_try() {
    for old in OLD {
        last_commit_in_wal_survives(old);
    }
}

fn last_commit_in_wal_survives(old: Format) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let conn = old_file(&path, &key(6), old);
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    conn.execute("UPDATE notes SET text = 'after ' || n WHERE n <= 700", [])
        .unwrap();
    assert!(std::fs::metadata(sibling(&path, "-wal")).unwrap().len() > 0);
    let (_, opened) = open_crashed_copy(&path, "-wal", &key(6), old);
    drop(conn);
    assert_eq!(notes_saying(&opened.conn, "after"), 700);
    assert_eq!(notes_saying(&opened.conn, "before"), 1300);
    integrity_check(&opened.conn).unwrap();
}
