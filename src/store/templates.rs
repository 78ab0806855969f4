//! Message templates: one current body per kind, seeded from the defaults in `assets/templates/`.
//! Changes are audited by the workflow that makes them.

use crate::store::{Db, Write};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Result, StoreError, from_ts, ts};
use crate::domain::message::MessageKind;

/// A stored template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTemplate {
    pub kind: MessageKind,
    pub body: String,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// Insert the defaults for kinds that have no template yet; returns how many were added.
pub fn seed_defaults(
    conn: &impl Write,
    defaults: &[(MessageKind, &str)],
    now: DateTime<Utc>,
) -> Result<usize> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "INSERT INTO templates (kind, body, updated_by, updated_at) VALUES (?1, ?2, 'system', ?3)
         ON CONFLICT (kind) DO NOTHING",
    )?;
    let mut added = 0;
    for (kind, body) in defaults {
        added += stmt.execute(params![kind.as_str(), body, ts(now)])?;
    }
    Ok(added)
}

pub fn get(conn: &impl Db, kind: MessageKind) -> Result<Option<StoredTemplate>> {
    let conn = super::sql(conn);
    let row: Option<(String, String, i64)> = conn
        .prepare_cached("SELECT body, updated_by, updated_at FROM templates WHERE kind = ?1")?
        .query_row(params![kind.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    row.map(|(body, updated_by, at)| {
        Ok(StoredTemplate {
            kind,
            body,
            updated_by,
            updated_at: from_ts(at)?,
        })
    })
    .transpose()
}

pub fn all(conn: &impl Db) -> Result<Vec<StoredTemplate>> {
    let conn = super::sql(conn);
    let mut stmt = conn
        .prepare_cached("SELECT kind, body, updated_by, updated_at FROM templates ORDER BY kind")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    rows.map(|r| {
        let (kind, body, updated_by, at) = r?;
        Ok(StoredTemplate {
            kind: MessageKind::parse(&kind).ok_or(StoreError::Corrupt {
                what: "templates.kind",
                value: kind,
            })?,
            body,
            updated_by,
            updated_at: from_ts(at)?,
        })
    })
    .collect()
}

/// Replace a template's body (the caller has validated it and writes the audit record).
pub fn save(
    conn: &impl Write,
    kind: MessageKind,
    body: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let conn = super::sql(conn);
    conn.prepare_cached(
        "INSERT INTO templates (kind, body, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (kind) DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by,
                                          updated_at = excluded.updated_at",
    )?
    .execute(params![kind.as_str(), body, by, ts(now)])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::appointments::tests::t;

    #[test]
    fn defaults_seed_once_and_edits_survive_reseeding() {
        let store = Store::open_in_memory().unwrap();
        let defaults = [
            (MessageKind::Reminder24h, "A"),
            (MessageKind::HelpReply, "B"),
        ];
        assert_eq!(
            seed_defaults(store.test_conn(), &defaults, t(9, 0)).unwrap(),
            2
        );
        save(
            store.test_conn(),
            MessageKind::Reminder24h,
            "edited",
            "manager",
            t(10, 0),
        )
        .unwrap();
        assert_eq!(
            seed_defaults(store.test_conn(), &defaults, t(11, 0)).unwrap(),
            0
        );
        let r = get(store.test_conn(), MessageKind::Reminder24h)
            .unwrap()
            .unwrap();
        assert_eq!(
            (r.body.as_str(), r.updated_by.as_str(), r.updated_at),
            ("edited", "manager", t(10, 0))
        );
        assert_eq!(all(store.test_conn()).unwrap().len(), 2);
        assert!(
            get(store.test_conn(), MessageKind::Survey)
                .unwrap()
                .is_none()
        );
    }
}
