//! Every shipped migration pinned, valid, and reaching the same schema from every version.

use super::*;
use rusqlite::Connection;

/// The schema as `sqlite_master` describes it, for comparing two databases.
fn schema(conn: &Connection) -> Vec<(String, String)> {
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn version(conn: &Connection) -> i64 {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

/// SHA-256 of each shipped migration's text, in order. A database in a clinic ran exactly
/// this SQL: editing it would leave that database with a schema no new install has. A
/// failure here means "add a new migration instead"; a new migration adds its pin here.
const PINNED: [&str; LATEST] = [
    "39c5cea2051b1c4b6a45a2d619cf9b6e727869f1d7af550d1d2f1a73ebba3be3", // M001_PRACTICE
    "959f6a94e7ccef38d28a7b7d0f9f08a7598d3f9b1c84e233dc79c9303d8279e3", // M002_MESSAGING
    "f0606a111703f7bca625e9eb6e8e9fbbc8a8b50137aa6cc82cde6004a03bd8d0", // M003_STAFF_AUDIT
    "1b0993cc3dedb665c82b6f9ac2cd0c3fe5cbb08790b84ef515eb13152044daf6", // M004_OUTBOUND_PROVIDER_IDS
    "f3f085f0b517ce8108e072bde6e94c6edaa2671d991ac17bca645add1d5309af", // M005_EXTERNAL_IDS
    "245ac4994d674bd77f00fc69c75a3aac1270ac98a4d85c6993fb972771134e45", // M006_STAFF_SIGN_IN
    "60edfa8204a8614a04d132d5308e405fe684b7cc36c408318b97aa381e630da8", // M007_DEADLINES_CALLBACKS
    "dc8a988d0387db3164cbd31037a8bf724730f9200be1deaff6ae282cb22cb7be", // M008_STATISTICS
    "4a0c4fe648d97b812d4d5fe4b489ffac3018213542f535fb18f65e09586d7c60", // M009_REBOOKINGS
    "d7a4c5c3a6fbb5cd8cb5f6d312acf5cd693ea324180ae1525aff6aad8655e61e", // M010_REMINDER_DECISIONS
    "8834bab2298b2667bb2cac74a0bb9a4cd91b3130316af21e3600c648a9dadbe2", // M011_PLANNER_INDEXES
    "e1fe3bfcca63b9b94099921e49f2aea54aa3d565b8e0e0ba0b5551eae5b7ad14", // M012_PATIENT_SEARCH
    "962fcfef9a356c9fe08504bf52f125d6fdb6f11f06a4e5f58c3ff603f08eea7e", // M013_REMINDER_ROWS
    "fac35d2ec67bd4cdd658b6240f8c9f4d38dedde1bdb00bc602a33e24f1dfc3e7", // M014_UNUSED_INDEX
    "f9fff4581ee0b13f8014bb3ba52b6c249450a5bbbe546d98f8a5efb33c125175", // M015_REMINDER_PARTS
    "ea1179e4b82cce2365b43bcded37dbe0278c97ff6a413ab8e06cba751b38014f", // M016_OUTBOUND_HISTORY
    "3a3bce4a5eee08095141c904a618a477cfd438ca8e438ffe976f6d7537b7c02c", // M017_CHANGE_LOG
    "1e00eeee178d24e357e06a64bc144377b12ea1caa191e1d1f4d86bb50be3500e", // M018_PATIENT_TEXTS
    "728999cbaeb19c47f0e80f4e6b1f256a17bf910683e9c44307be70c4c38ca049", // M019_CONSENT_LAST_WORD
    "c55c2982caf8c7de8bebc67fbc4ca24cbd9ae0b41f509c6c6302f67b178486c3", // M020_DAY_SHEET_READS
];
/// The SQL migration 12's hook runs after its own (`m012_search::FILL`): shipped too.
const PINNED_FILL: &str = "cb9c30a62eea4c76c7944b46f0fe0190e075e29666a0c97e2436d97672610246";

fn sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn shipped_migrations_never_change() {
    for (n, (sql, pin)) in SHIPPED.iter().zip(PINNED).enumerate() {
        assert_eq!(
            sha256(sql),
            pin,
            "migration {} was edited after it shipped; restore it and add a new migration",
            n + 1
        );
    }
}

#[test]
fn the_hooks_sql_never_changes() {
    assert_eq!(sha256(m012_search::FILL), PINNED_FILL);
}

#[test]
fn the_pin_notices_a_one_character_edit() {
    let edited = SHIPPED[0].replacen("NOT NULL", "NOT  NULL", 1);
    assert_ne!(sha256(&edited), PINNED[0]);
}

#[test]
fn migrations_are_valid() {
    migrations().validate().unwrap();
    assert_eq!(LATEST, 20);
}

#[test]
fn empty_database_reaches_latest() {
    let mut conn = Connection::open_in_memory().unwrap();
    migrations().to_latest(&mut conn).unwrap();
    assert_eq!(version(&conn), LATEST as i64);
}

/// From every earlier version, with data written at that version, migrating to the latest
/// keeps the data and ends with exactly the schema of a fresh database.
#[test]
fn every_earlier_version_upgrades_and_keeps_data() {
    let mut fresh = Connection::open_in_memory().unwrap();
    migrations().to_latest(&mut fresh).unwrap();
    let want = schema(&fresh);
    for from in 0..LATEST {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        migrations().to_version(&mut conn, from).unwrap();
        assert_eq!(version(&conn), from as i64);
        if from >= 1 {
            conn.execute_batch(
                "INSERT INTO clinicians (display_name) VALUES ('Dr. Okafor');
                 INSERT INTO appointment_types (name, sms_label, default_minutes) VALUES ('Physical', 'Check-up', 30);
                 INSERT INTO patients (first_name, last_name, created_at) VALUES ('Ada', 'Lovelace', 0);
                 INSERT INTO appointments (patient_id, clinician_id, type_id, start_at, duration_minutes, status, booked_at)
                 VALUES (1, 1, 1, 1000, 30, 'booked', 0);",
            )
            .unwrap();
        }
        if from >= 2 {
            conn.execute_batch(
                "INSERT INTO consent_events (patient_id, kind, method, evidence, recorded_by, recorded_at)
                 VALUES (1, 'opt_in', 'written_form', 'F1', 'desk', 0);
                 INSERT INTO messages (direction, kind, patient_id, to_number, body, status, provider,
                                       provider_id, created_by, created_at, updated_at)
                 VALUES ('in', 'reply', 1, '+15555550123', 'C', 'received', 'twilio', 'SM1', 'patient', 0, 0);",
            )
            .unwrap();
        }
        if from >= 3 {
            conn.execute_batch(
                "INSERT INTO staff (username, display_name, role, created_at) VALUES ('ana', 'Ana', 'reception', 0);
                 INSERT INTO audit (at, actor, action, subject, detail, prev_hash, hash)
                 VALUES (0, 'ana', 'x', 's', '{}', 'p', 'h');",
            )
            .unwrap();
        }
        migrations().to_latest(&mut conn).unwrap();
        assert_eq!(version(&conn), LATEST as i64, "from {from}");
        assert_eq!(schema(&conn), want, "schema after upgrading from {from}");
        let appts: i64 = conn
            .query_row("SELECT COUNT(*) FROM appointments", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            appts,
            i64::from(from >= 1),
            "data kept when upgrading from {from}"
        );
        let staff: (i64, i64) = conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM staff WHERE failed_attempts = 0),
                        (SELECT COUNT(*) FROM audit WHERE actor_id IS NULL)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let kept = i64::from(from >= 3);
        assert_eq!(staff, (kept, kept), "staff and audit kept from {from}");
    }
}

/// Write a reminder row with `key` (and, when `n` is odd, a text of another kind with it); once
/// migration 15 is in, listed as the store's insert paths list it.
fn write_reminder(conn: &Connection, n: usize, key: &str) {
    use crate::domain::message::MessageKind;
    let kind = if n.is_multiple_of(2) {
        MessageKind::Reminder24h
    } else {
        MessageKind::Welcome
    };
    let written = conn
        .execute(
            "INSERT OR IGNORE INTO messages (direction, kind, patient_id, idempotency_key, to_number,
                                             body, status, provider, created_by, created_at, updated_at)
             VALUES ('out', ?1, NULL, ?2, '+15555550123', 'b', 'sent', 'twilio', 'system', 0, 0)",
            rusqlite::params![kind.as_str(), key],
        )
        .unwrap();
    if written == 1 && version(conn) >= 15 {
        let id = crate::domain::ids::MessageId(conn.last_insert_rowid());
        crate::store::messages::parts::list(conn, id, kind, key).unwrap();
    }
}

fn reminder_parts(conn: &Connection) -> Vec<(i64, i64)> {
    let mut stmt = conn
        .prepare("SELECT appointment_id, message_id FROM reminder_parts ORDER BY 1, 2")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Every place `holds_part` can find a visit `{id}@…` in a key: the digits right behind a
/// `:` or `+`, up to an `@`.
fn named_ids(key: &str) -> Vec<i64> {
    let b = key.as_bytes();
    let mut out = Vec::new();
    for (i, &c) in b.iter().enumerate() {
        if c != b':' && c != b'+' {
            continue;
        }
        let digits: String = key[i + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if !digits.is_empty()
            && key[i + 1 + digits.len()..].starts_with('@')
            && let Ok(id) = digits.parse::<i64>()
        {
            out.push(id);
        }
    }
    out
}

/// Keys from the pieces reminder keys are made of, and the characters that could upset the
/// trigger's cutting (quotes, backslashes, control characters, more `@`, `:` and `+`).
fn key_like() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop::collection::vec(
        prop::sample::select(vec![
            "reminder:",
            "24h:",
            "48h:",
            ":",
            "+",
            "@",
            "12",
            "7",
            "0",
            "-3",
            "123",
            "2026-11-25T15:30:00Z",
            "\"",
            "\\",
            "\n",
            "\u{1}",
            "é",
            "x",
            "[",
            "]",
            ",",
        ]),
        0..12,
    )
    .prop_map(|pieces| pieces.concat())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 64,
        ..crate::testing::proptest_config("tests/proptest-regressions/store/migrations/tests.txt")
    })]

    /// Every reminder row is listed under each visit id its key names where `holds_part`
    /// could find it — whatever the key holds, written before migration 15 (its back-fill),
    /// after it (the store's insert paths, `messages::parts`) or changed by hand afterwards
    /// (its update trigger) — and rows of other kinds under nothing.
    #[test]
    fn every_visit_a_reminder_key_names_is_listed_under_its_id(
        before in proptest::collection::vec(key_like(), 0..8),
        after in proptest::collection::vec(key_like(), 0..8),
        rekeyed in proptest::option::of((0..16usize, key_like())),
    ) {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations().to_version(&mut conn, 14).unwrap();
        for (n, key) in before.iter().enumerate() {
            write_reminder(&conn, n, key);
        }
        migrations().to_latest(&mut conn).unwrap();
        for (n, key) in after.iter().enumerate() {
            write_reminder(&conn, n, key);
        }
        if let Some((row, key)) = &rekeyed {
            let _ = conn.execute(
                "UPDATE messages SET idempotency_key = ?2 WHERE id = ?1",
                rusqlite::params![*row as i64 + 1, key],
            );
        }
        let listed = reminder_parts(&conn);
        let mut stmt = conn
            .prepare("SELECT id, kind, idempotency_key FROM messages ORDER BY id")
            .unwrap();
        let rows: Vec<(i64, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for (id, kind, key) in rows {
            for visit in named_ids(&key) {
                proptest::prop_assert_eq!(
                    listed.contains(&(visit, id)),
                    kind == "reminder-24h",
                    "{:?} {} {}", key, visit, id
                );
            }
        }
    }
}

/// The key shapes the product writes are listed exactly under their visits, and the
/// back-fill lists rows as the trigger does.
#[test]
fn reminder_keys_are_listed_under_their_visits_before_and_after_the_migration() {
    let keys = [
        "reminder:24h:123@2026-11-25T15:30:00Z",
        "reminder:24h:123@2026-11-25T15:30:00Z+124@2026-11-25T19:45:00Z",
        "reminder:24h:125@2026-11-25T15:30:00Z+48h:126@2026-11-26T14:00:00Z",
    ];
    let mut lists = Vec::new();
    for migrate_first in [false, true] {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations().to_version(&mut conn, 14).unwrap();
        if migrate_first {
            migrations().to_latest(&mut conn).unwrap();
        }
        for key in keys {
            write_reminder(&conn, 0, key);
        }
        migrations().to_latest(&mut conn).unwrap();
        lists.push(reminder_parts(&conn));
    }
    assert_eq!(
        lists[0],
        vec![(123, 1), (123, 2), (124, 2), (125, 3), (126, 3)]
    );
    assert_eq!(lists[0], lists[1]);
}

/// Migration 19 copies each patient's last consent event onto the patient's row — the last
/// by time recorded, then by id, even when a later insert carries an earlier time — and its
/// trigger keeps it so after the upgrade.
#[test]
fn the_last_consent_word_is_on_the_patient_s_row_before_and_after_the_upgrade() {
    let mut conn = Connection::open_in_memory().unwrap();
    migrations().to_version(&mut conn, 18).unwrap();
    let event = |conn: &Connection, patient: i64, kind: &str, at: i64| {
        conn.execute(
            "INSERT INTO consent_events (patient_id, kind, method, evidence, recorded_by, recorded_at)
             VALUES (?1, ?2, 'written_form', 'F', 'desk', ?3)",
            rusqlite::params![patient, kind, at],
        )
        .unwrap();
    };
    conn.execute_batch(
        "INSERT INTO patients (first_name, last_name, created_at) VALUES ('Ada', 'Lovelace', 0);
         INSERT INTO patients (first_name, last_name, created_at) VALUES ('Kofi', 'Mensah', 0);
         INSERT INTO patients (first_name, last_name, created_at) VALUES ('Mei', 'Chen', 0);",
    )
    .unwrap();
    // Ada: opted out at 20, then an opt-in entered later but dated 10. Kofi: two at 5, the
    // second inserted wins the tie. Mei: nothing.
    event(&conn, 1, "opt_out", 20);
    event(&conn, 1, "opt_in", 10);
    event(&conn, 2, "opt_out", 5);
    event(&conn, 2, "opt_in", 5);
    let last = |conn: &Connection| -> Vec<(Option<String>, Option<i64>)> {
        conn.prepare("SELECT consent_kind, consent_at FROM patients ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    migrations().to_latest(&mut conn).unwrap();
    let want = vec![
        (Some("opt_out".to_string()), Some(20)),
        (Some("opt_in".to_string()), Some(5)),
        (None, None),
    ];
    assert_eq!(last(&conn), want, "back-filled");
    // After the upgrade the trigger keeps it: an earlier-dated event changes nothing, a
    // later one replaces the word.
    event(&conn, 1, "opt_in", 15);
    event(&conn, 3, "opt_in", 1);
    event(&conn, 2, "opt_out", 6);
    let want = vec![
        (Some("opt_out".to_string()), Some(20)),
        (Some("opt_out".to_string()), Some(6)),
        (Some("opt_in".to_string()), Some(1)),
    ];
    assert_eq!(last(&conn), want, "kept by the trigger");
}

/// Migration 20 copies each reply's text's patient and time of receipt onto the reply; after
/// the upgrade a reply written without them gets them, and a text whose patient or time
/// changes takes its reply along.
#[test]
fn a_reply_carries_its_text_s_patient_and_time_before_and_after_the_upgrade() {
    let mut conn = Connection::open_in_memory().unwrap();
    migrations().to_version(&mut conn, 19).unwrap();
    let text = |conn: &Connection, patient: i64, at: i64| -> i64 {
        conn.execute(
            "INSERT INTO messages (direction, kind, patient_id, to_number, body, status, provider,
                                   created_by, created_at, updated_at)
             VALUES ('in', 'reply', ?1, '+15550100', 'C', 'received', 'twilio', 'patient', ?2, ?2)",
            rusqlite::params![patient, at],
        )
        .unwrap();
        let id = conn.last_insert_rowid();
        conn.execute(
            "INSERT INTO replies (message_id, classification) VALUES (?1, 'confirm')",
            [id],
        )
        .unwrap();
        id
    };
    conn.execute_batch(
        "INSERT INTO patients (first_name, last_name, created_at) VALUES ('Ada', 'Lovelace', 0);
         INSERT INTO patients (first_name, last_name, created_at) VALUES ('Kofi', 'Mensah', 0);",
    )
    .unwrap();
    let before = [text(&conn, 1, 100), text(&conn, 2, 200)];
    let copies = |conn: &Connection| -> Vec<(i64, Option<i64>, Option<i64>)> {
        conn.prepare("SELECT message_id, patient_id, received_at FROM replies ORDER BY message_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    migrations().to_latest(&mut conn).unwrap();
    let mut want = vec![
        (before[0], Some(1), Some(100)),
        (before[1], Some(2), Some(200)),
    ];
    assert_eq!(copies(&conn), want, "back-filled");
    let after = text(&conn, 2, 300);
    want.push((after, Some(2), Some(300)));
    assert_eq!(
        copies(&conn),
        want,
        "a reply written without them takes them"
    );
    conn.execute(
        "UPDATE messages SET patient_id = NULL, created_at = 150 WHERE id = ?1",
        [before[0]],
    )
    .unwrap();
    want[0] = (before[0], None, Some(150));
    assert_eq!(copies(&conn), want, "the copy follows its text");
}
