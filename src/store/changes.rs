//! Whether another process changed the database: SQLite's `PRAGMA data_version`, which moves
//! when another connection commits (never for this connection's own writes). The console
//! polls it so a cron `remind`/`sync` or a second desk shows within seconds.

use super::Result;

/// The connection's current data version.
pub fn data_version(conn: &impl super::Db) -> Result<i64> {
    let conn = super::sql(conn);
    Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn moves_for_another_connections_commit_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let mut a = Store::open(&path).unwrap();
        let b = Store::open(&path).unwrap();
        let before = data_version(&a.conn).unwrap();
        a.write(|c| {
            crate::store::sql(c)
                .execute_batch("CREATE TABLE scratch (x INTEGER)")
                .map_err(crate::store::StoreError::from)
        })
        .unwrap();
        assert_eq!(
            data_version(&a.conn).unwrap(),
            before,
            "own writes do not count"
        );
        let seen_by_b = data_version(&b.conn).unwrap();
        a.write(|c| {
            crate::store::sql(c)
                .execute("INSERT INTO scratch VALUES (1)", [])
                .map_err(crate::store::StoreError::from)
        })
        .unwrap();
        assert_ne!(
            data_version(&b.conn).unwrap(),
            seen_by_b,
            "b sees a's commit"
        );
    }
}
