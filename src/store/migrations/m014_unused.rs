//! Migration 14 (issue 7, the cost of a send): drops `messages_unfinished`, which no query
//! reads any more. Owns only its SQL; imports nothing.
//!
//! Migration 2 made it for the outbox (`status IN ('pending', 'queued', 'sent')`, by
//! `not_before`). Since migration 11 the outbox's queries read `messages_waiting`, whose term
//! they hold word for word (SQLite uses a partial index only then), and nothing else asks for
//! its term: `store::messages::tests::the_hot_message_queries_never_scan_the_table` pins the
//! plans that matter. Yet every text written, and each change of its status until it is
//! delivered, still updated it — three index changes per text for nothing, and a page more in
//! the write-ahead log of each commit.

pub const SQL: &str = r#"
DROP INDEX messages_unfinished;
"#;
