use super::*;
use crate::domain::audit::AuditEntry;
use crate::domain::phone::E164;
use crate::store::appointments::tests::t;
use crate::store::patients::NewPatient;
use std::os::unix::fs::PermissionsExt;

const SURNAME: &str = "Wojciechowska-Okonkwo";
const MOBILE: &str = "+12015550187";

struct Desk {
    dir: tempfile::TempDir,
}

impl Desk {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn db(&self) -> PathBuf {
        self.dir.path().join("data/p.db")
    }
    fn config(&self) -> PathBuf {
        self.dir.path().join("config/config.toml")
    }
    fn key_file(&self) -> PathBuf {
        self.dir.path().join("config/db.key")
    }
    fn keys(&self) -> KeySource {
        KeySource::from_parts(None, None, &self.config(), &self.db())
    }
    fn keys_env(&self, hex: &str) -> KeySource {
        KeySource::from_parts(Some(hex.into()), None, &self.config(), &self.db())
    }
}

/// A plain practice database, as an older frontdesk left it: a patient, audit records.
fn seed(store: &Store) {
    marker::mark(store.test_conn(), DbKind::Practice).unwrap();
    crate::store::patients::insert(
        store.test_conn(),
        &NewPatient {
            external_id: None,
            first_name: "Agnieszka".into(),
            last_name: SURNAME.into(),
            birth_date: None,
            mobile: Some(E164::try_from(MOBILE.to_string()).unwrap()),
            time_zone: None,
            portal_active: true,
        },
        t(9, 0),
    )
    .unwrap();
    for i in 0..5 {
        let e = AuditEntry::new(
            t(9, i),
            "desk",
            "patient.add",
            "patient:1",
            serde_json::json!({}),
        );
        crate::store::audit::append(store.test_conn(), &e).unwrap();
    }
}

fn contains(path: &Path, needle: &str) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_plain_database_is_encrypted_in_place_once_without_loss() {
    let desk = Desk::new();
    let plain = Store::open(&desk.db()).unwrap();
    seed(&plain);
    let before = cipher::census(plain.test_conn()).unwrap();
    drop(plain);
    assert!(contains(&desk.db(), SURNAME), "the fixture is really plain");

    let opened = open_existing(&desk.db(), &desk.keys()).unwrap();
    let note = opened.note.clone().unwrap();
    assert!(note.contains("was not encrypted; it is now"), "{note}");
    assert!(note.contains("5 audit records"), "{note}");
    assert!(note.contains("a new database key was written to"), "{note}");
    assert_eq!(mode(&desk.key_file()), 0o600);
    assert_eq!(cipher::census(opened.store.test_conn()).unwrap(), before);
    let chain = crate::workflow::audit::verify(&opened.store).unwrap();
    assert_eq!((chain.records, chain.broken), (5, None));
    drop(opened);

    for side in ["", "-wal", "-shm", ".encrypting"] {
        let path = cipher::sibling(&desk.db(), side);
        assert!(!contains(&path, SURNAME), "{side}: plaintext name");
        assert!(!contains(&path, MOBILE), "{side}: plaintext number");
    }
    assert!(!cipher::sibling(&desk.db(), ".encrypting").exists());
    let again = open_existing(&desk.db(), &desk.keys()).unwrap();
    assert_eq!(again.note, None, "said once");
}

#[test]
fn a_wrong_key_is_one_line_and_changes_nothing() {
    let desk = Desk::new();
    let opened = create_new(&desk.db(), &desk.keys_env(&"1a".repeat(32))).unwrap();
    seed(&opened.store);
    drop(opened);
    let bytes = std::fs::read(desk.db()).unwrap();
    let err = open_existing(&desk.db(), &desk.keys_env(&"2b".repeat(32)))
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot decrypt {} with the database key from FRONTDESK_DB_KEY: the key is wrong, or \
             the file is not a frontdesk database; nothing was opened or changed",
            desk.db().display()
        )
    );
    assert_eq!(std::fs::read(desk.db()).unwrap(), bytes);
    let shown = format!("{:?}", desk.keys_env(&"2b".repeat(32)));
    assert!(!shown.contains("2b2b"), "{shown}");
    let err = open_existing(&desk.db(), &desk.keys_env("not hex"))
        .err()
        .unwrap();
    assert!(
        matches!(err, DatabaseError::Key(KeyError::EnvMalformed)),
        "{err}"
    );
}

#[test]
fn a_missing_key_file_is_never_replaced_by_a_new_key() {
    let desk = Desk::new();
    drop(create_new(&desk.db(), &desk.keys()).unwrap());
    std::fs::remove_file(desk.key_file()).unwrap();
    let err = open_existing(&desk.db(), &desk.keys()).err().unwrap();
    assert!(err.to_string().contains("its key file"), "{err}");
    assert!(err.to_string().contains("is missing"), "{err}");
    assert!(
        !desk.key_file().exists(),
        "no new key for an encrypted database"
    );
    let usb = desk.dir.path().join("usb/frontdesk.key");
    let named = KeySource::from_parts(None, Some(usb.clone()), &desk.config(), &desk.db());
    let err = open_existing(&desk.db(), &named).err().unwrap();
    assert!(err.to_string().contains("key drive plugged in"), "{err}");
    assert!(!usb.exists());
}

#[test]
fn a_key_file_others_can_read_is_refused_with_the_fix() {
    let desk = Desk::new();
    drop(create_new(&desk.db(), &desk.keys()).unwrap());
    std::fs::set_permissions(desk.key_file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = open_existing(&desk.db(), &desk.keys()).err().unwrap();
    assert!(
        err.to_string()
            .ends_with(&format!("run: chmod 600 {}", desk.key_file().display())),
        "{err}"
    );
    std::fs::write(desk.key_file(), "garbage\n").unwrap();
    std::fs::set_permissions(desk.key_file(), std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = open_existing(&desk.db(), &desk.keys()).err().unwrap();
    assert!(err.to_string().contains("is not a database key"), "{err}");
}

#[test]
fn someone_elses_sqlite_file_is_neither_encrypted_nor_keyed() {
    let desk = Desk::new();
    std::fs::create_dir_all(desk.db().parent().unwrap()).unwrap();
    cipher::write_foreign_sqlite(&desk.db()).unwrap();
    let err = open_existing(&desk.db(), &desk.keys()).err().unwrap();
    assert!(
        err.to_string().contains("not a frontdesk database"),
        "{err}"
    );
    assert_eq!(cipher::file_kind(&desk.db()).unwrap(), FileKind::Plain);
    assert!(!desk.key_file().exists());
}

#[test]
fn the_demo_has_its_own_key_which_never_opens_a_practice() {
    let desk = Desk::new();
    let demo_db = desk.dir.path().join("data/demo.db");
    let demo = open_demo(&demo_db, &KeySource::for_demo(&demo_db)).unwrap();
    drop(demo);
    let beside = cipher::sibling(&demo_db, ".key");
    assert_eq!(mode(&beside), 0o600);
    let keys = KeySource::from_parts(None, None, &desk.config(), &demo_db);
    assert!(
        open_existing(&demo_db, &keys).is_ok(),
        "found beside the demo"
    );
    assert!(!desk.key_file().exists(), "the demo made no practice key");

    drop(create_new(&desk.db(), &desk.keys()).unwrap());
    // The demo cannot read the practice's database, so it leaves it alone.
    assert!(open_demo(&desk.db(), &KeySource::for_demo(&desk.db())).is_err());
    assert!(open_existing(&desk.db(), &desk.keys()).is_ok());
    // A demo key put beside a practice's database does not open it.
    std::fs::copy(&beside, cipher::sibling(&desk.db(), ".key")).unwrap();
    let err = open_existing(&desk.db(), &desk.keys()).err().unwrap();
    assert!(matches!(err, DatabaseError::WrongKey { .. }), "{err}");
    // Nor does a practice's plain database get encrypted with it.
    let plain = desk.dir.path().join("data/old.db");
    seed(&Store::open(&plain).unwrap());
    std::fs::copy(&beside, cipher::sibling(&plain, ".key")).unwrap();
    let keys = KeySource::from_parts(None, None, &desk.config(), &plain);
    let err = open_existing(&plain, &keys).err().unwrap();
    assert!(matches!(err, DatabaseError::DemoKeyOnPractice(_)), "{err}");
    assert_eq!(cipher::file_kind(&plain).unwrap(), FileKind::Plain);
}
