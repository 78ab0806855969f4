//! `reminder_parts` (migration 15): each reminder row listed under every visit its key names,
//! so the planner reads a day's reminder rows by its visits ([`super::reminder_keys`]). Owns
//! the writing of that list by the store's insert paths (`insert_outbound`, `insert_settled`,
//! `bulk::insert_messages`); a key changed afterwards is listed again by migration 15's update
//! trigger, and rows written before it by its back-fill, with the same rule in SQL.
//!
//! Written here rather than by an insert trigger: a statement whose trigger writes a second
//! table needs a statement journal, and that made every text's insert ~3× dearer (the demo
//! seed +25 %, docs/BENCHMARKS.md).

use rusqlite::params;

use crate::domain::ids::MessageId;
use crate::domain::message::MessageKind;
use crate::store::{Result, Write};

/// Every visit id `key` names where `domain::reminder::holds_part` can find `{id}@…`: the
/// digits (a leading `-` allowed) right behind a `:` or a `+`, up to an `@` before the next
/// `:` or `+` — the rule migration 15 writes in SQL. Ids too large for an `i64` are left out
/// (no visit has one).
pub(crate) fn named_visits(key: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for (i, c) in key.char_indices() {
        if c != ':' && c != '+' {
            continue;
        }
        let rest = &key[i + 1..];
        let piece = rest.split([':', '+']).next().unwrap_or_default();
        let Some((id, _)) = piece.split_once('@') else {
            continue;
        };
        if let Ok(id) = id.parse::<i64>()
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    out
}

/// Whether rows of `kind` are listed: the kinds migration 15 names.
pub(crate) fn listed(kind: MessageKind) -> bool {
    matches!(
        kind,
        MessageKind::Reminder48h | MessageKind::Reminder24h | MessageKind::SameDayDouble
    )
}

/// The visits an outbound row of `kind` with `key` is listed under (none for a kind that is
/// not [`listed`]).
pub(crate) fn visits(kind: MessageKind, key: &str) -> Vec<i64> {
    if listed(kind) {
        named_visits(key)
    } else {
        Vec::new()
    }
}

/// List the outbound row `id` (of `kind`, with `key`) under the visits its key names.
pub(crate) fn list(conn: &impl Write, id: MessageId, kind: MessageKind, key: &str) -> Result<()> {
    let visits = visits(kind, key);
    if visits.is_empty() {
        return Ok(());
    }
    let conn = crate::store::sql(conn);
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO reminder_parts (appointment_id, message_id) VALUES (?1, ?2)",
    )?;
    for visit in visits {
        stmt.execute(params![visit, id.0])?;
    }
    Ok(())
}
