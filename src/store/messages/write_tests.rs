//! The outbound insert's two faces (a text recorded, a history text already settled) and the
//! tripwire that keeps every insert listing its reminder rows (`parts`). Split from `tests.rs`
//! by what it owns.

use super::tests::outbound;
use super::*;
use crate::store::appointments::tests::{fixture, t};

/// Every column of row `id` but the ones two texts must differ in (id, key, provider id).
fn settled_columns(store: &crate::store::Store, id: MessageId) -> Vec<rusqlite::types::Value> {
    let conn = crate::store::sql(store.test_conn());
    let mut stmt = conn
        .prepare("SELECT * FROM messages WHERE id = ?1")
        .unwrap();
    let skip = ["id", "idempotency_key", "provider_id"];
    let names: Vec<String> = stmt.column_names().iter().map(|n| n.to_string()).collect();
    stmt.query_row([id.0], |r| {
        Ok(names
            .iter()
            .enumerate()
            .filter(|(_, n)| !skip.contains(&n.as_str()))
            .map(|(i, _)| r.get::<_, rusqlite::types::Value>(i).unwrap())
            .collect())
    })
    .unwrap()
}

#[rstest::rstest]
#[case::delivered(MessageStatus::Delivered, None)]
#[case::still_sent(MessageStatus::Sent, None)]
#[case::undelivered(MessageStatus::Undelivered, Some("30008"))]
#[case::failed(MessageStatus::Failed, Some("30007"))]
#[case::a_late_queued_changes_nothing(MessageStatus::Queued, Some("30001"))]
fn a_settled_text_is_the_row_its_hand_over_and_answer_would_leave(
    #[case] status: MessageStatus,
    #[case] code: Option<&str>,
) {
    let (store, p, _, _) = fixture();
    let conn = store.test_conn();
    // Keys naming visit 1, as the planner's do: both rows must be listed under it.
    let (key_a, key_b) = (
        "reminder:24h:1@2026-11-26T14:00:00Z",
        "reminder:48h:1@2026-11-26T14:00:00Z",
    );
    let three_writes = insert_outbound(conn, &outbound(key_a, p)).unwrap().unwrap();
    mark_handed_over(
        conn,
        three_writes,
        "demo",
        "A",
        MessageStatus::Sent,
        t(9, 1),
    )
    .unwrap();
    apply_provider_status(conn, "demo", "A", status, code, t(9, 2)).unwrap();
    let fate = Settled {
        provider_id: "B",
        status,
        error_code: code,
        handed_over: t(9, 1),
        answered: t(9, 2),
    };
    let settled = NewOutbound {
        provider: "demo",
        status,
        ..outbound(key_b, p)
    };
    let one_write = insert_settled(conn, &settled, &fate).unwrap().unwrap();
    assert_eq!(
        settled_columns(&store, one_write),
        settled_columns(&store, three_writes)
    );
    assert_eq!(
        get(conn, one_write).unwrap().provider_id.as_deref(),
        Some("B")
    );
    let listed: Vec<i64> = crate::store::sql(conn)
        .prepare("SELECT message_id FROM reminder_parts WHERE appointment_id = 1 ORDER BY 1")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        listed,
        vec![three_writes.0, one_write.0],
        "both listed for the planner"
    );
    assert_eq!(
        insert_settled(conn, &settled, &fate).unwrap(),
        None,
        "the key is taken"
    );
}

/// `reminder_parts` is written by the store's insert paths, not by a trigger (migration 15), so
/// every statement that inserts messages must be one of those that list reminder rows (or the
/// inbound one, which writes no reminder). A new one fails here until it lists its rows too.
#[test]
fn every_insert_into_messages_is_one_that_lists_reminder_rows() {
    fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs")
                // Test files (`tests.rs`, `*_tests.rs`) insert fixtures on purpose.
                && !path.to_string_lossy().ends_with("tests.rs")
                && !path.components().any(|c| c.as_os_str() == "tests")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                for _ in text.matches("INTO messages") {
                    found.push(path.display().to_string());
                }
            }
        }
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    walk(&src, &mut found);
    found.sort();
    let want: Vec<String> = [
        "src/store/bulk.rs",
        "src/store/messages/inbound.rs",
        // `insert_row`, behind `insert_outbound` and `insert_settled` (the demo's history).
        "src/store/messages/mod.rs",
    ]
    .iter()
    .map(|p| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(p)
            .display()
            .to_string()
    })
    .collect();
    assert_eq!(found, want);
}
