//! Small key/value state: provider polling cursors, seed markers.

use crate::store::{Db, Write};
use rusqlite::{OptionalExtension, params};

use super::Result;

pub fn get(conn: &impl Db, key: &str) -> Result<Option<String>> {
    let conn = super::sql(conn);
    Ok(conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            params![key],
            |r| r.get(0),
        )
        .optional()?)
}

pub fn set(conn: &impl Write, key: &str, value: &str) -> Result<()> {
    let conn = super::sql(conn);
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn set_overwrites_and_get_reads_back() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(get(store.test_conn(), "cursor").unwrap(), None);
        set(store.test_conn(), "cursor", "a").unwrap();
        set(store.test_conn(), "cursor", "b").unwrap();
        assert_eq!(
            get(store.test_conn(), "cursor").unwrap().as_deref(),
            Some("b")
        );
    }
}
