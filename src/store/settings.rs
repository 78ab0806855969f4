//! Small key/value state: provider polling cursors, seed markers.

use rusqlite::{Connection, OptionalExtension, params};

use super::Result;

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            params![key],
            |r| r.get(0),
        )
        .optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
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
        assert_eq!(get(store.conn(), "cursor").unwrap(), None);
        set(store.conn(), "cursor", "a").unwrap();
        set(store.conn(), "cursor", "b").unwrap();
        assert_eq!(get(store.conn(), "cursor").unwrap().as_deref(), Some("b"));
    }
}
