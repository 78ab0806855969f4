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
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", // M015_RESERVED
    "3a3bce4a5eee08095141c904a618a477cfd438ca8e438ffe976f6d7537b7c02c", // M016_CHANGE_LOG
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
    assert_eq!(LATEST, 16);
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
